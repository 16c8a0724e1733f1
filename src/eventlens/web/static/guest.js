// The guest page: access code, selfies (camera or file), results in two tiers, lightbox, downloads.
// Selfies only ever live in this page's memory and the search requests; nothing of them is stored.
// What stays in sessionStorage (this tab only): the guest pass and the photos marked "Not me".

const root = document.getElementById("guest");
const slug = root.dataset.slug;
const api = `/api/public/events/${encodeURIComponent(slug)}`;
const strings = JSON.parse(document.getElementById("guest-strings").textContent);
const $ = (id) => document.getElementById(id);
const say = (key, values = {}) =>
  strings[`guest.${key}`].replace(/\{(\w+)\}/g, (_, name) => String(values[name] ?? ""));

const MAX_SELFIES = 3;
const passKey = `eventlens:pass:${slug}`;
const hiddenKey = `eventlens:not-me:${slug}`;
sessionStorage.removeItem(`eventlens:code:${slug}`); // earlier versions kept the raw code here

// The pass, not the code, goes with every search: the code is checked once (argon2 is slow on purpose).
let guestPass = sessionStorage.getItem(passKey) || "";
let hidden = new Set(readHidden());
let selfies = []; // photos of this guest, in memory only, for "Add another photo of yourself"
let adding = false;
let result = null;
let visible = []; // what the lightbox steps through: "Photos of you", then the "Maybe you" still shown
let shown = 0;
let stream = null;

function readHidden() {
  try {
    const ids = JSON.parse(sessionStorage.getItem(hiddenKey) || "[]");
    return Array.isArray(ids) ? ids : [];
  } catch {
    return [];
  }
}

function show(id, isVisible) {
  $(id).hidden = !isVisible;
}

function status(text, kind = "") {
  const el = $("status");
  el.textContent = text;
  el.className = `status ${kind}`;
}

async function errorOf(response) {
  try {
    return (await response.json()).error || {};
  } catch {
    return {};
  }
}

function keepPass(value) {
  guestPass = value || "";
  if (guestPass) sessionStorage.setItem(passKey, guestPass);
  else sessionStorage.removeItem(passKey);
}

function askForCode() {
  keepPass("");
  show("results", false);
  show("selfie-step", false);
  show("code-step", true);
  $("code-input").focus();
}

// --- access code -----------------------------------------------------------------------------

async function checkCode(candidate) {
  const response = await fetch(`${api}/access`, { method: "POST", headers: { "X-Access-Code": candidate } });
  if (response.ok) {
    keepPass((await response.json()).guest_pass);
    $("code-input").value = "";
    show("code-step", false);
    show("selfie-step", true);
    $("camera-open").focus();
    return;
  }
  const err = await errorOf(response);
  const box = $("code-error");
  box.textContent = response.status === 429 ? say("rate_limited") : err.message || say("code_wrong");
  box.hidden = false;
  $("code-input").setAttribute("aria-invalid", "true");
  $("code-input").focus();
}

$("code-form").addEventListener("submit", (event) => {
  event.preventDefault();
  checkCode($("code-input").value.trim());
});

if (root.dataset.codeRequired === "true" && guestPass) {
  // A pass from earlier in this tab: skip the prompt (a search answers 403 if it has expired).
  show("code-step", false);
  show("selfie-step", true);
}

// --- selfies ---------------------------------------------------------------------------------

function stopCamera() {
  if (stream) stream.getTracks().forEach((track) => track.stop());
  stream = null;
  show("camera", false);
}

$("camera-open").addEventListener("click", async () => {
  if (!navigator.mediaDevices?.getUserMedia) {
    $("file-input").click();
    return;
  }
  try {
    stream = await navigator.mediaDevices.getUserMedia({
      video: { facingMode: "user", width: { ideal: 1280 }, height: { ideal: 960 } },
      audio: false,
    });
  } catch {
    status(say("camera_denied"), "warn");
    return;
  }
  const video = $("camera-video");
  video.srcObject = stream;
  show("camera", true);
  await video.play();
  $("camera-shoot").focus();
});

$("camera-cancel").addEventListener("click", stopCamera);

$("camera-shoot").addEventListener("click", () => {
  const video = $("camera-video");
  const canvas = document.createElement("canvas");
  canvas.width = video.videoWidth;
  canvas.height = video.videoHeight;
  canvas.getContext("2d").drawImage(video, 0, 0);
  stopCamera();
  canvas.toBlob((blob) => take(blob), "image/jpeg", 0.9);
});

$("file-input").addEventListener("change", (event) => {
  const file = event.target.files[0];
  event.target.value = ""; // the same photo may be picked again
  if (file) take(file);
});

function take(image) {
  // After "Add another photo of yourself" the new one joins the others; otherwise it starts afresh.
  const list = adding ? [...selfies, image].slice(-MAX_SELFIES) : [image];
  setAdding(false);
  search(list);
}

function setAdding(on) {
  adding = on;
  $("find-title").textContent = on ? say("add_selfie") : say("find_title");
}

async function search(list) {
  status(say("searching"), "busy");
  $("camera-open").disabled = true;
  const body = new FormData();
  list.forEach((image, i) => body.append("selfie", image, `selfie-${i + 1}.jpg`));
  const url = guestPass ? `${api}/search?t=${encodeURIComponent(guestPass)}` : `${api}/search`;
  let response;
  try {
    response = await fetch(url, { method: "POST", body });
  } catch {
    status(say("offline"), "error");
    return;
  } finally {
    $("camera-open").disabled = false;
  }
  if (response.ok) {
    const answer = await response.json();
    const skipped = new Set(answer.skipped_selfies || []);
    selfies = list.filter((_, i) => !skipped.has(i)); // a photo without a face is not kept for later
    if (skipped.size) status(say("skipped"), "warn");
    else status(selfies.length > 1 ? say("searched_with", { n: selfies.length }) : "");
    keepPass(answer.guest_pass);
    showResults(answer);
    return;
  }
  const err = await errorOf(response);
  if (err.code === "no_face_found") status(say("no_face"), "warn");
  else if (response.status === 429) status(say("rate_limited"), "warn");
  else if (response.status === 403) askForCode();
  else status(err.message || say("failed"), "error");
}

// --- results ---------------------------------------------------------------------------------

function thumb(match, alt, index) {
  const open = document.createElement("button");
  open.type = "button";
  open.className = "thumb";
  const img = document.createElement("img");
  img.src = match.thumbnail_url;
  img.loading = "lazy";
  img.alt = alt;
  if (match.width && match.height) {
    img.width = 400;
    img.height = Math.round((400 * match.height) / match.width);
  }
  open.append(img);
  open.addEventListener("click", () => openLightbox(index));
  return open;
}

function notMe(photoId) {
  hidden.add(photoId);
  sessionStorage.setItem(hiddenKey, JSON.stringify([...hidden]));
  render();
  // Keep keyboard users in the list: the next "Not me", else the section's summary.
  const next = $("maybe-grid").querySelector(".not-me");
  (next || ($("maybe").hidden ? $("results-title") : $("maybe-title"))).focus();
}

function render() {
  const high = result.matches.filter((m) => m.tier === "high" && !hidden.has(m.photo_id));
  const maybe = result.matches.filter((m) => m.tier !== "high" && !hidden.has(m.photo_id));
  visible = [...high, ...maybe];

  $("grid").replaceChildren(
    ...high.map((match, i) => {
      const item = document.createElement("li");
      item.append(thumb(match, say("photo_alt", { n: i + 1, total: high.length }), i));
      return item;
    }),
  );
  $("maybe-grid").replaceChildren(
    ...maybe.map((match, i) => {
      const item = document.createElement("li");
      item.dataset.photoId = match.photo_id;
      const alt = say("maybe_alt", { n: i + 1, total: maybe.length });
      const hide = document.createElement("button");
      hide.type = "button";
      hide.className = "secondary not-me";
      hide.textContent = say("not_me");
      hide.setAttribute("aria-label", say("not_me_label", { n: i + 1 }));
      hide.addEventListener("click", () => notMe(match.photo_id));
      item.append(thumb(match, alt, high.length + i), hide);
      return item;
    }),
  );

  $("results-title").textContent = high.length
    ? say(high.length === 1 ? "found_one" : "found_many", { n: high.length })
    : say("found_none");
  $("maybe-title").textContent = say("maybe_title", { n: maybe.length });
  show("maybe", maybe.length > 0);
  show("empty", visible.length === 0);
  show("zip-form", visible.length > 0);
  show("add-selfie", selfies.length < MAX_SELFIES);

  // "Download all": what is shown, so a photo marked "Not me" is not in the ZIP.
  const form = $("zip-form");
  form.querySelectorAll("input[name=photo_ids]").forEach((input) => input.remove());
  form.elements.t.value = result.guest_pass;
  for (const match of visible) {
    const input = document.createElement("input");
    input.type = "hidden";
    input.name = "photo_ids";
    input.value = match.photo_id;
    form.append(input);
  }
}

function showResults(answer) {
  result = answer;
  $("maybe").open = false; // "Maybe you" starts folded: look-alikes are not pushed at anyone
  render();
  show("results", true);
  $("results-title").focus(); // screen readers land on the answer
  $("results").scrollIntoView({ behavior: "smooth", block: "start" });
}

$("add-selfie").addEventListener("click", () => {
  setAdding(true);
  status(say("add_hint", { n: selfies.length + 1, max: MAX_SELFIES }));
  $("selfie-step").scrollIntoView({ behavior: "smooth", block: "start" });
  $("camera-open").focus();
});

$("again").addEventListener("click", () => {
  selfies = [];
  setAdding(false);
  status("");
  show("results", false);
  $("camera-open").focus();
});

// --- lightbox --------------------------------------------------------------------------------

function openLightbox(i) {
  if (!visible.length) return;
  shown = (i + visible.length) % visible.length;
  const match = visible[shown];
  const img = $("lightbox-img");
  img.src = match.preview_url;
  img.alt = say(match.tier === "high" ? "photo_alt" : "maybe_alt", { n: shown + 1, total: visible.length });
  $("lightbox-download").href = match.download_url;
  const box = $("lightbox");
  if (!box.open) box.showModal();
}

$("lightbox-prev").addEventListener("click", () => openLightbox(shown - 1));
$("lightbox-next").addEventListener("click", () => openLightbox(shown + 1));
$("lightbox-close").addEventListener("click", () => $("lightbox").close());
$("lightbox").addEventListener("keydown", (event) => {
  if (event.key === "ArrowLeft") openLightbox(shown - 1);
  if (event.key === "ArrowRight") openLightbox(shown + 1);
});
