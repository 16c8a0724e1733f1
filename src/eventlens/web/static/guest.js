// The guest page: access code, selfies (camera or file), results in two tiers as justified rows, a
// full-screen lightbox (swipe, pinch-zoom, swipe down to close, share), downloads.
// Selfies only ever live in this page's memory and the search requests; nothing of them is stored.
// What stays in sessionStorage (this tab only): the guest pass and the photos marked "Not me".

const root = document.getElementById("guest");
const slug = root.dataset.slug;
const api = `/api/public/events/${encodeURIComponent(slug)}`;
// "off": the photographer turned downloads off; the page has no download buttons (the API says 403).
const downloadsOff = root.dataset.downloads === "off";
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
    // notify.js offers "Tell me when new photos of me arrive" with these same selfies.
    document.dispatchEvent(new CustomEvent("guest:searched", { detail: { selfies, guestPass } }));
    return;
  }
  const err = await errorOf(response);
  if (err.code === "no_face_found") status(say("no_face"), "warn");
  else if (response.status === 429) status(say("rate_limited"), "warn");
  else if (response.status === 403) askForCode();
  else status(err.message || say("failed"), "error");
}

// --- results ---------------------------------------------------------------------------------

const phone = window.matchMedia("(max-width: 600px)");

function tile(match, alt, index) {
  // Justified rows: a tile grows in proportion to its photo's width at a common height, so each
  // row fills the width and no photo is cropped much (the grid's ::after keeps the last row short).
  const item = document.createElement("li");
  const ratio = match.width && match.height ? match.width / match.height : 1;
  const rowHeight = phone.matches ? 120 : 200;
  item.style.flexGrow = String(ratio);
  item.style.flexBasis = `${Math.round(ratio * rowHeight)}px`;
  const open = document.createElement("button");
  open.type = "button";
  open.className = "thumb";
  open.style.aspectRatio = String(ratio);
  const img = document.createElement("img");
  img.src = match.thumbnail_url;
  img.loading = "lazy";
  img.alt = alt;
  if (match.width && match.height) {
    img.width = 400;
    img.height = Math.round(400 / ratio);
  }
  open.append(img);
  open.addEventListener("click", () => openLightbox(index));
  item.append(open);
  return item;
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

  $("grid").replaceChildren(...high.map((match, i) => tile(match, say("photo_alt", { n: i + 1, total: high.length }), i)));
  $("maybe-grid").replaceChildren(
    ...maybe.map((match, i) => {
      const alt = say("maybe_alt", { n: i + 1, total: maybe.length });
      const item = tile(match, alt, high.length + i);
      item.dataset.photoId = match.photo_id;
      const hide = document.createElement("button");
      hide.type = "button";
      hide.className = "secondary not-me";
      hide.textContent = say("not_me");
      hide.setAttribute("aria-label", say("not_me_label", { n: i + 1 }));
      hide.addEventListener("click", () => notMe(match.photo_id));
      item.append(hide);
      return item;
    }),
  );

  $("results-title").textContent = high.length
    ? say(high.length === 1 ? "found_one" : "found_many", { n: high.length })
    : say("found_none");
  $("maybe-title").textContent = say("maybe_title", { n: maybe.length });
  show("maybe", maybe.length > 0);
  show("empty", visible.length === 0);
  show("add-selfie", selfies.length < MAX_SELFIES);
  if (downloadsOff) return;
  show("zip-form", visible.length > 0);

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

// removal.js: the guest asked to be removed from the search; the results shown predate that.
document.addEventListener("guest:removed", () => {
  selfies = [];
  setAdding(false);
  show("results", false);
});

$("again").addEventListener("click", () => {
  selfies = [];
  setAdding(false);
  status("");
  show("results", false);
  $("camera-open").focus();
});

// --- lightbox --------------------------------------------------------------------------------

const box = $("lightbox");
const stage = $("lightbox-stage");
const photo = $("lightbox-img");
const view = { scale: 1, x: 0, y: 0 }; // pinch-zoom and pan of the photo shown
const pointers = new Map();
let gesture = null;

function place(dx = 0, dy = 0) {
  photo.style.transform = `translate(${view.x + dx}px, ${view.y + dy}px) scale(${view.scale})`;
}

function settle() {
  stage.classList.add("settling");
  setTimeout(() => stage.classList.remove("settling"), 220);
}

function resetView() {
  view.scale = 1;
  view.x = 0;
  view.y = 0;
  photo.style.opacity = "";
  place();
}

function openLightbox(i) {
  if (!visible.length) return;
  shown = (i + visible.length) % visible.length;
  const match = visible[shown];
  resetView();
  photo.src = match.preview_url;
  photo.alt = say(match.tier === "high" ? "photo_alt" : "maybe_alt", { n: shown + 1, total: visible.length });
  $("lightbox-counter").textContent = say("counter", { n: shown + 1, total: visible.length });
  $("lightbox-download").href = match.download_url;
  if (!box.open) box.showModal();
}

function spread() {
  const [a, b] = [...pointers.values()];
  return Math.hypot(a.x - b.x, a.y - b.y) || 1;
}

function startGesture() {
  if (pointers.size >= 2) gesture = { kind: "pinch", spread: spread(), scale: view.scale };
  else if (pointers.size === 1) {
    const [p] = pointers.values();
    gesture = { kind: view.scale > 1 ? "pan" : "swipe", x: p.x, y: p.y, vx: view.x, vy: view.y };
  } else gesture = null;
}

stage.addEventListener("pointerdown", (e) => {
  stage.setPointerCapture(e.pointerId);
  pointers.set(e.pointerId, { x: e.clientX, y: e.clientY });
  startGesture();
});

stage.addEventListener("pointermove", (e) => {
  if (!pointers.has(e.pointerId) || !gesture) return;
  pointers.set(e.pointerId, { x: e.clientX, y: e.clientY });
  if (gesture.kind === "pinch") {
    view.scale = Math.min(4, Math.max(1, (gesture.scale * spread()) / gesture.spread));
    place();
    return;
  }
  const dx = e.clientX - gesture.x;
  const dy = e.clientY - gesture.y;
  if (gesture.kind === "pan") {
    view.x = gesture.vx + dx;
    view.y = gesture.vy + dy;
    place();
  } else if (Math.abs(dy) > Math.abs(dx) && dy > 0) {
    place(0, dy); // pulled down: it follows the finger and fades, and closes when let go far enough
    photo.style.opacity = String(Math.max(0.3, 1 - dy / 400));
  } else place(dx, 0);
});

function endPointer(e) {
  if (!pointers.has(e.pointerId)) return;
  const was = gesture;
  pointers.delete(e.pointerId);
  if (was?.kind === "swipe") {
    const dx = e.clientX - was.x;
    const dy = e.clientY - was.y;
    if (Math.abs(dx) > 60 && Math.abs(dx) > Math.abs(dy)) openLightbox(shown + (dx < 0 ? 1 : -1));
    else if (dy > 100 && dy > Math.abs(dx)) box.close();
    else {
      settle();
      resetView();
    }
  } else if (was?.kind === "pinch" && view.scale < 1.05) {
    settle();
    resetView();
  }
  startGesture(); // a pinch that loses a finger goes on as a pan
}
stage.addEventListener("pointerup", endPointer);
stage.addEventListener("pointercancel", endPointer);

stage.addEventListener("dblclick", (e) => {
  // Double tap: zoom in on that spot, or back out.
  settle();
  if (view.scale > 1) resetView();
  else {
    const r = stage.getBoundingClientRect();
    view.scale = 2.5;
    view.x = (r.left + r.width / 2 - e.clientX) * 1.5;
    view.y = (r.top + r.height / 2 - e.clientY) * 1.5;
    place();
  }
});

$("lightbox-prev").addEventListener("click", () => openLightbox(shown - 1));
$("lightbox-next").addEventListener("click", () => openLightbox(shown + 1));
$("lightbox-close").addEventListener("click", () => box.close());
box.addEventListener("close", () => {
  pointers.clear();
  gesture = null;
  resetView();
});
box.addEventListener("keydown", (event) => {
  if (event.key === "ArrowLeft") openLightbox(shown - 1);
  if (event.key === "ArrowRight") openLightbox(shown + 1);
});

// Share the photo itself (the phone's share sheet), never a link: links carry the guest pass.
const share = $("lightbox-share");
share.hidden = downloadsOff || !(navigator.share && navigator.canShare);
share.addEventListener("click", async () => {
  const match = visible[shown];
  try {
    const blob = await (await fetch(match.download_url)).blob();
    const ext = (blob.type.split("/")[1] || "jpg").replace("jpeg", "jpg");
    const file = new File([blob], `${slug}-${shown + 1}.${ext}`, { type: blob.type });
    if (!navigator.canShare({ files: [file] })) {
      share.hidden = true;
      return;
    }
    await navigator.share({ files: [file] });
  } catch {
    // The guest closed the share sheet, or the photo could not be fetched: nothing to undo.
  }
});
