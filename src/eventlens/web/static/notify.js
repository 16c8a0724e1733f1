// "Tell me when new photos of me arrive" on the guest page: after a search, the same selfies (still
// only in this page's memory), an e-mail address and an explicit consent go to the subscriptions route.

const panel = document.getElementById("notify");
const strings = JSON.parse(document.getElementById("notify-strings").textContent);
const $ = (id) => document.getElementById(id);
let latest = null; // { selfies, guestPass } of the last search

function status(text, kind = "") {
  const el = $("notify-status");
  el.textContent = text;
  el.className = `status ${kind}`;
}

document.addEventListener("guest:searched", (event) => {
  latest = event.detail;
  panel.hidden = false;
});

$("notify-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const email = $("notify-email").value.trim();
  if (!email || !$("notify-email").checkValidity()) {
    status(strings["notify.bad_email"], "warn");
    $("notify-email").focus();
    return;
  }
  if (!$("notify-consent").checked) {
    status(strings["notify.need_consent"], "warn");
    $("notify-consent").focus();
    return;
  }
  if (!latest || !latest.selfies.length) return;
  const body = new FormData();
  latest.selfies.forEach((image, i) => body.append("selfie", image, `selfie-${i + 1}.jpg`));
  body.append("email", email);
  body.append("consent", "true");
  const slug = encodeURIComponent(panel.dataset.slug);
  const pass = latest.guestPass ? `?t=${encodeURIComponent(latest.guestPass)}` : "";
  $("notify-submit").disabled = true;
  let response;
  try {
    response = await fetch(`/api/public/events/${slug}/subscriptions${pass}`, { method: "POST", body });
  } catch {
    status(strings["notify.offline"], "error");
    return;
  } finally {
    $("notify-submit").disabled = false;
  }
  if (response.status === 201) {
    $("notify-form").hidden = true;
    status(strings["notify.done"].replace("{email}", email), "ok");
    return;
  }
  let message = strings["notify.failed"];
  try {
    message = (await response.json()).error.message || message;
  } catch {}
  status(response.status === 429 ? strings["notify.rate_limited"] : message, "error");
});
