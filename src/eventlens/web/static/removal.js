// "Remove me from this event's search" on the guest page: a selfie (chosen here, or the last search's,
// still only in this page's memory) and an explicit confirmation go to the removals route.

const panel = document.getElementById("removal");
const strings = JSON.parse(document.getElementById("removal-strings").textContent);
const $ = (id) => document.getElementById(id);
const slug = panel.dataset.slug;
let latest = null; // { selfies, guestPass } of the last search

function status(text, kind = "") {
  const el = $("removal-status");
  el.textContent = text;
  el.className = `status ${kind}`;
}

document.addEventListener("guest:searched", (event) => {
  latest = event.detail;
});

$("removal-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const file = $("removal-file").files[0];
  const selfies = file ? [file] : latest?.selfies || [];
  if (!selfies.length) {
    status(strings["removal.need_selfie"], "warn");
    $("removal-file").focus();
    return;
  }
  if (!$("removal-confirm").checked) {
    status(strings["removal.need_confirm"], "warn");
    $("removal-confirm").focus();
    return;
  }
  const body = new FormData();
  selfies.forEach((image, i) => body.append("selfie", image, `selfie-${i + 1}.jpg`));
  body.append("confirm", "true");
  // The guest pass the search page keeps for this tab (an event with an access code needs it).
  const guestPass = latest?.guestPass || sessionStorage.getItem(`eventlens:pass:${slug}`) || "";
  const pass = guestPass ? `?t=${encodeURIComponent(guestPass)}` : "";
  $("removal-submit").disabled = true;
  let response;
  try {
    response = await fetch(`/api/public/events/${encodeURIComponent(slug)}/removals${pass}`, {
      method: "POST",
      body,
    });
  } catch {
    status(strings["removal.offline"], "error");
    return;
  } finally {
    $("removal-submit").disabled = false;
  }
  if (response.status === 201) {
    const done = await response.json();
    $("removal-form").hidden = true;
    status(strings["removal.done"].replace("{count}", String(done.faces_hidden)), "ok");
    document.dispatchEvent(new CustomEvent("guest:removed")); // guest.js puts the old results away
    return;
  }
  let message = strings["removal.failed"];
  try {
    message = (await response.json()).error.message || message;
  } catch {}
  status(response.status === 429 ? strings["removal.rate_limited"] : message, "error");
});
