// The venue's live screen: follows the event's public stream and cross-fades its photos, newest first.
//
// Built to run for hours on a projector or TV without growing: two <img> elements swapped (one shown,
// one loading the next photo), at most MAX_ITEMS photos remembered, one EventSource at a time (closed
// before another is opened), listeners added once at start, one timer per purpose.
// Options come from the query string (?interval=8&faces=1) or the panel shown when the mouse moves.

const root = document.getElementById("live");
const slug = root.dataset.slug;
const strings = JSON.parse(document.getElementById("live-strings").textContent);
const api = `/api/public/events/${encodeURIComponent(slug)}`;
const passKey = `eventlens:pass:${slug}`;
const MAX_ITEMS = 60;
const MIN_SHOW_MS = 2500; // a new arrival replaces the current photo once it was up this long
const RETRY_MS = 5000;

const waiting = document.getElementById("waiting");
const statusLine = document.getElementById("live-status");
const codeForm = document.getElementById("code-form");
const codeError = document.getElementById("code-error");
const intervalSelect = document.getElementById("opt-interval");
const facesBox = document.getElementById("opt-faces");
const [slideA, slideB] = document.querySelectorAll("#stage .slide");

const params = new URLSearchParams(location.search);
let intervalS = Math.min(600, Math.max(1, Number(params.get("interval")) || 8));
let facesOnly = ["1", "true", "yes"].includes(params.get("faces") || "");
let guestPass = sessionStorage.getItem(passKey) || "";

const items = []; // {id, url, faces}: oldest first, at most MAX_ITEMS
const fresh = []; // ids received and not yet shown: they go first
let front = slideA; // the photo shown
let back = slideB; // the next photo, loading
let currentId = null;
let shownAt = 0;
let loadingId = null;
let source = null;
let slideTimer = 0;
let retryTimer = 0;
let received = 0;

// --- showing --------------------------------------------------------------------------------------

function schedule(ms) {
  clearTimeout(slideTimer);
  slideTimer = setTimeout(advance, ms);
}

function nextItem() {
  while (fresh.length) {
    const found = items.find((item) => item.id === fresh[0]);
    fresh.shift();
    if (found) return found;
  }
  if (!items.length) return null;
  const at = items.findIndex((item) => item.id === currentId);
  return items[(at + 1) % items.length];
}

function advance() {
  clearTimeout(slideTimer);
  const item = nextItem();
  waiting.hidden = item !== null || currentId !== null;
  if (!item) return; // a new photo starts the show again
  if (item.id === currentId) {
    schedule(intervalS * 1000); // the only photo: keep it
    return;
  }
  loadingId = item.id;
  back.dataset.id = item.id;
  back.src = item.url;
}

function onLoad(event) {
  if (event.target !== back || back.dataset.id !== loadingId) return;
  back.classList.add("on");
  front.classList.remove("on");
  [front, back] = [back, front];
  currentId = loadingId;
  loadingId = null;
  shownAt = Date.now();
  root.dataset.showing = currentId;
  waiting.hidden = true;
  schedule(intervalS * 1000);
}

function onError(event) {
  if (event.target !== back || back.dataset.id !== loadingId) return;
  forget(loadingId); // deleted, or its pass expired: the stream sends it again with a fresh one
  loadingId = null;
  // Nothing left to show (the server was busy, say): connect again, and the backlog comes back.
  if (!items.length && currentId === null) retryLater(RETRY_MS);
  schedule(200);
}

function forget(id) {
  const at = items.findIndex((item) => item.id === id);
  if (at >= 0) items.splice(at, 1);
  const queued = fresh.indexOf(id);
  if (queued >= 0) fresh.splice(queued, 1);
}

function blank() {
  front.classList.remove("on");
  front.removeAttribute("src");
  delete front.dataset.id;
  currentId = null;
  delete root.dataset.showing;
}

// --- the stream -----------------------------------------------------------------------------------

function onPhoto(message) {
  const photo = JSON.parse(message.data);
  if (facesOnly && !photo.face_count) return;
  received += 1;
  root.dataset.received = String(received);
  root.dataset.lastId = photo.id;
  root.dataset.lastAt = String(Date.now());
  const known = items.find((item) => item.id === photo.id);
  if (known) {
    known.url = photo.preview_url; // a fresher pass
    return;
  }
  items.push({ id: photo.id, url: photo.preview_url, faces: photo.face_count });
  if (items.length > MAX_ITEMS) forget(items[0].id === currentId ? items[1].id : items[0].id);
  fresh.push(photo.id);
  if (fresh.length > MAX_ITEMS) fresh.shift();
  root.dataset.kept = String(items.length);
  if (loadingId !== null) return;
  if (currentId === null) advance();
  else if (fresh.length === 1) schedule(Math.max(0, MIN_SHOW_MS - (Date.now() - shownAt)));
}

function onDrop(message) {
  const { id } = JSON.parse(message.data);
  forget(id);
  if (loadingId === id) {
    loadingId = null;
    back.removeAttribute("src");
  }
  if (currentId === id) {
    blank();
    advance();
  }
}

function onGone() {
  closeStream();
  items.length = 0;
  fresh.length = 0;
  blank();
  waiting.textContent = strings["live.gone"];
  waiting.hidden = false;
  retryLater(30000);
}

function streamUrl() {
  const query = new URLSearchParams();
  if (guestPass) query.set("t", guestPass);
  if (facesOnly) query.set("faces", "true");
  return `${api}/live?${query}`;
}

function closeStream() {
  if (source) source.close();
  source = null;
}

function openStream() {
  clearTimeout(retryTimer);
  closeStream();
  source = new EventSource(streamUrl());
  source.addEventListener("photo", onPhoto);
  source.addEventListener("drop", onDrop);
  source.addEventListener("gone", onGone);
  source.addEventListener("open", () => {
    statusLine.textContent = "";
  });
  source.addEventListener("error", onStreamError);
}

async function onStreamError() {
  if (!source || source.readyState !== EventSource.CLOSED) {
    statusLine.textContent = strings["live.connecting"]; // the browser reconnects by itself
    return;
  }
  // The server answered with an error, not a stream: find out which before trying again.
  closeStream();
  let status = 0;
  try {
    const response = await fetch(streamUrl());
    status = response.status;
    if (response.body) await response.body.cancel();
  } catch {
    status = 0;
  }
  if (status === 403) askForCode();
  else if (status === 404) onGone();
  else retryLater(RETRY_MS);
}

function retryLater(ms) {
  clearTimeout(retryTimer);
  retryTimer = setTimeout(openStream, ms);
}

// --- access code ----------------------------------------------------------------------------------

function askForCode() {
  guestPass = "";
  sessionStorage.removeItem(passKey);
  codeForm.hidden = false;
  codeForm.elements.code.focus();
}

codeForm.addEventListener("submit", async (event) => {
  event.preventDefault();
  codeError.hidden = true;
  const response = await fetch(`${api}/access`, {
    method: "POST",
    headers: { "X-Access-Code": codeForm.elements.code.value.trim() },
  });
  if (!response.ok) {
    codeError.textContent = strings["live.code_wrong"];
    codeError.hidden = false;
    return;
  }
  guestPass = (await response.json()).guest_pass;
  sessionStorage.setItem(passKey, guestPass);
  codeForm.hidden = true;
  openStream();
});

// --- options --------------------------------------------------------------------------------------

function keepOptions() {
  const query = new URLSearchParams(location.search);
  query.set("interval", String(intervalS));
  if (facesOnly) query.set("faces", "1");
  else query.delete("faces");
  history.replaceState(null, "", `${location.pathname}?${query}`);
}

intervalSelect.value = String(intervalS);
if (intervalSelect.value !== String(intervalS)) {
  intervalSelect.add(new Option(`${intervalS} s`, String(intervalS), true, true));
}
facesBox.checked = facesOnly;

intervalSelect.addEventListener("change", () => {
  intervalS = Number(intervalSelect.value);
  keepOptions();
  if (currentId !== null && loadingId === null) schedule(intervalS * 1000);
});

facesBox.addEventListener("change", () => {
  facesOnly = facesBox.checked;
  keepOptions();
  if (facesOnly) {
    for (const item of items.filter((i) => !i.faces)) forget(item.id);
    if (currentId !== null && !items.some((i) => i.id === currentId)) blank();
  }
  openStream();
  if (currentId === null) advance();
});

document.getElementById("fullscreen").addEventListener("click", () => {
  if (document.fullscreenElement) document.exitFullscreen();
  else document.documentElement.requestFullscreen().catch(() => {});
});

// The panel and the cursor hide after a few still seconds.
let idleTimer = 0;
function wake() {
  document.body.classList.remove("idle");
  clearTimeout(idleTimer);
  idleTimer = setTimeout(() => document.body.classList.add("idle"), 4000);
}
document.addEventListener("pointermove", wake);
document.addEventListener("keydown", wake);
wake();

// A screen that dims itself defeats the purpose; not every browser allows keeping it on.
async function keepAwake() {
  try {
    if (navigator.wakeLock && document.visibilityState === "visible") await navigator.wakeLock.request("screen");
  } catch {
    /* not allowed here: the screen may dim */
  }
}
document.addEventListener("visibilitychange", keepAwake);
keepAwake();

for (const slide of [slideA, slideB]) {
  slide.addEventListener("load", onLoad);
  slide.addEventListener("error", onError);
}

if (root.dataset.codeRequired === "true" && !guestPass) askForCode();
else openStream();
