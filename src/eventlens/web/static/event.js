// The event page: drag-and-drop uploads with progress and retries, live status over Server-Sent
// Events, the photo grid (more on demand, several selected at once, sorted by time taken) and a
// lightbox that steps through it and boxes the faces found. Without this script the page still
// works: the plain upload form, the status filter and the server-rendered grid stay.

const root = document.getElementById("event-app");
const eventId = root.dataset.eventId;
// A viewer or photographer member gets no curating controls (the page leaves them out; the server
// refuses them anyway): the script only wires what is there.
const canManage = root.dataset.canManage === "true";
const csrf = document.querySelector('meta[name="csrf-token"]')?.content || "";
const strings = JSON.parse(document.getElementById("dash-strings").textContent);
const $ = (id) => document.getElementById(id);
const say = (key, values = {}) =>
  strings[`dash.${key}`].replace(/\{(\w+)\}/g, (_, name) => String(values[name] ?? ""));

const PARALLEL = 3;
const MAX_TRIES = 4;
const uploads = [];
const waiting = [];
let active = 0;

// --- uploads ---------------------------------------------------------------------------------

function row(file) {
  const li = document.createElement("li");
  li.className = "upload-row";
  const name = document.createElement("span");
  name.className = "name";
  name.textContent = file.name;
  const bar = document.createElement("progress");
  bar.max = 1;
  bar.value = 0;
  bar.setAttribute("aria-label", file.name);
  const state = document.createElement("span");
  state.className = "state";
  state.textContent = say("queued");
  li.append(name, bar, state);
  $("upload-list").append(li);
  return { li, bar, state };
}

function addFiles(files) {
  for (const file of files) {
    const item = { file, sent: 0, tries: 0, done: false, ok: false, ...row(file) };
    uploads.push(item);
    waiting.push(item);
  }
  $("upload-progress").hidden = uploads.length === 0;
  pump();
  total();
}

function pump() {
  while (active < PARALLEL && waiting.length) send(waiting.shift());
}

function total() {
  const bytes = uploads.reduce((sum, u) => sum + u.file.size, 0) || 1;
  const sent = uploads.reduce((sum, u) => sum + (u.done ? u.file.size : u.sent), 0);
  const finished = uploads.filter((u) => u.done).length;
  const failed = uploads.filter((u) => u.done && !u.ok).length;
  $("upload-total").value = sent / bytes;
  $("upload-summary").textContent = say("upload_summary", { done: finished, total: uploads.length, failed });
  $("retry-failed").hidden = !uploads.some(retryable);
}

// A file the server refused for what it is (wrong type, too big, broken) fails the same way again:
// only network trouble and busy servers are offered a retry.
const retryable = (u) => u.done && !u.ok && !u.final;

function finish(item, ok, text, kind, final = false) {
  active--;
  item.done = true;
  item.ok = ok;
  item.final = final;
  item.state.textContent = text;
  item.li.className = `upload-row ${kind}`;
  if (!ok && !final) {
    const retry = document.createElement("button");
    retry.type = "button";
    retry.className = "secondary small";
    retry.textContent = say("retry");
    retry.addEventListener("click", () => again(item));
    item.state.append(" ", retry);
  }
  total();
  pump();
}

function again(item) {
  item.done = false;
  item.ok = false;
  item.tries = 0;
  item.sent = 0;
  item.li.className = "upload-row";
  item.state.textContent = say("queued");
  waiting.push(item);
  total();
  pump();
}

function later(item, reason) {
  // Network trouble or a busy server: try again with growing pauses, then offer a retry button.
  if (item.tries >= MAX_TRIES) {
    finish(item, false, reason, "failed");
    return;
  }
  active--;
  item.state.textContent = say("retrying", { n: item.tries });
  setTimeout(() => {
    waiting.unshift(item);
    pump();
  }, 1000 * 2 ** item.tries);
}

// With the S3 store the file goes straight to the bucket (the API only signs and registers it);
// crypto.subtle (to hash the file first) exists only on https pages and localhost.
const direct = root.dataset.directUploads === "true" && Boolean(window.crypto?.subtle);

async function postJson(path, body) {
  // Unlike api() below, answers every status to the caller: a refusal is one file's outcome.
  const r = await fetch(path, {
    method: "POST",
    headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
    body: JSON.stringify(body),
  });
  return { status: r.status, body: await r.json().catch(() => ({})) };
}

function progress(xhr, item) {
  xhr.upload.addEventListener("progress", (e) => {
    if (e.lengthComputable) {
      item.sent = (e.loaded / e.total) * item.file.size;
      item.bar.value = e.loaded / e.total;
      total();
    }
  });
}

function refusedOrLater(item, status, error) {
  if (status === 0 || status === 429 || status >= 500) later(item, say(status ? "server_busy" : "network"));
  else finish(item, false, error?.message || say("refused"), "failed", [413, 415, 422].includes(error?.status ?? status));
}

async function sendDirect(item) {
  const f = item.file;
  const hex = [...new Uint8Array(await crypto.subtle.digest("SHA-256", await f.arrayBuffer()))]
    .map((b) => b.toString(16).padStart(2, "0"))
    .join("");
  const offer = await postJson(`/api/events/${eventId}/uploads/presign`, {
    filename: f.name,
    size: f.size,
    content_type: f.type || "image/jpeg",
    sha256: hex,
  });
  if (offer.status !== 200) return refusedOrLater(item, offer.status, offer.body.error);
  if (offer.body.duplicate_of) return finish(item, true, say("duplicate"), "ok");
  const form = new FormData();
  for (const [k, v] of Object.entries(offer.body.fields)) form.append(k, v);
  form.append("file", f, f.name);
  const xhr = new XMLHttpRequest();
  xhr.open("POST", offer.body.url);
  progress(xhr, item);
  xhr.addEventListener("error", () => later(item, say("network")));
  xhr.addEventListener("load", async () => {
    if (xhr.status >= 300) return refusedOrLater(item, xhr.status >= 500 ? xhr.status : 422, null);
    const done = await postJson(`/api/events/${eventId}/uploads/complete`, { ticket: offer.body.ticket, filename: f.name });
    item.bar.value = 1;
    if (done.status === 201) finish(item, true, say("stored"), "ok");
    else if (done.status === 200) finish(item, true, say("duplicate"), "ok");
    else refusedOrLater(item, done.status, done.body.error);
  });
  xhr.send(form);
}

function send(item) {
  active++;
  item.tries++;
  item.sent = 0;
  item.state.textContent = say("uploading");
  if (direct) {
    sendDirect(item).catch(() => later(item, say("network")));
    return;
  }
  const xhr = new XMLHttpRequest();
  xhr.open("POST", `/api/events/${eventId}/photos`);
  xhr.setRequestHeader("X-CSRF-Token", csrf);
  xhr.setRequestHeader("X-EventLens-Source", "web");
  xhr.responseType = "json";
  progress(xhr, item);
  xhr.addEventListener("load", () => {
    const answer = xhr.response?.items?.[0];
    item.bar.value = 1;
    if (xhr.status === 201) finish(item, true, say("stored"), "ok");
    else if (xhr.status === 200 && answer?.duplicate_of) finish(item, true, say("duplicate"), "ok");
    else if (xhr.status === 429 || xhr.status >= 500) later(item, say("server_busy"));
    else {
      const reason = answer?.error?.message || xhr.response?.error?.message || say("refused");
      finish(item, false, reason, "failed", [413, 415, 422].includes(answer?.error?.status ?? xhr.status));
    }
  });
  xhr.addEventListener("error", () => later(item, say("network")));
  const body = new FormData();
  body.append("files", item.file, item.file.name);
  xhr.send(body);
}

const zone = $("dropzone");
if (zone) {
  $("upload-form").hidden = true; // the script takes over from the plain form
  zone.hidden = false;
  zone.addEventListener("dragover", (e) => {
    e.preventDefault();
    zone.classList.add("over");
  });
  zone.addEventListener("dragleave", () => zone.classList.remove("over"));
  zone.addEventListener("drop", (e) => {
    e.preventDefault();
    zone.classList.remove("over");
    addFiles([...e.dataTransfer.files].filter((f) => f.type.startsWith("image/") || /\.hei[cf]$/i.test(f.name)));
  });
  $("pick-files").addEventListener("change", (e) => {
    addFiles([...e.target.files]);
    e.target.value = "";
  });
  $("retry-failed").addEventListener("click", () => uploads.filter(retryable).forEach(again));
}

// --- live status -----------------------------------------------------------------------------

const grid = $("photo-grid");
const filter = $("filter-status").value; // the server's filter: new photos of another status stay out

function setCounts(counts) {
  for (const el of document.querySelectorAll("[data-count]")) {
    const path = el.dataset.count.split(".");
    const value = path.reduce((obj, key) => obj?.[key], counts);
    if (value !== undefined) el.textContent = value;
  }
  const reprocess = $("reprocess-form");
  if (reprocess) reprocess.hidden = counts.photos.failed === 0;
  const total = filter ? counts.photos[filter] : counts.photos.total;
  if (total !== undefined) grid.dataset.total = total;
  redrawChart(counts.photos.total);
}

// The uploads chart is an SVG drawn by the server: ask for it again when the count moves, at most
// every few seconds, so a camera sending hundreds of photos does not mean hundreds of redraws.
let chartTotal = null;
let chartTimer = null;
function redrawChart(total) {
  const chart = document.querySelector("img.chart");
  if (!chart || total === chartTotal) return;
  const first = chartTotal === null;
  chartTotal = total;
  if (first || chartTimer) return;
  chartTimer = setTimeout(() => {
    chartTimer = null;
    chart.src = `/events/${eventId}/uploads.svg?n=${chartTotal}`;
  }, 3000);
}

function tile(photo) {
  const li = document.createElement("li");
  li.dataset.photoId = photo.id;
  li.innerHTML =
    '<input type="checkbox" class="pick"><button type="button" class="thumb"></button>' +
    '<span class="tile-info"><span class="badge"></span> <span class="badge hidden-badge"></span> ' +
    '<span class="muted faces"></span></span><span class="error-text"></span>';
  li.querySelector(".pick").setAttribute("aria-label", say("select_photo", { name: photo.original_filename }));
  li.querySelector(".hidden-badge").textContent = say("hidden_badge");
  return li;
}

function setHiddenMark(li, hidden) {
  li.dataset.hidden = String(hidden);
  li.classList.toggle("is-hidden", hidden);
}

function showPhoto(photo, { append = false } = {}) {
  let li = grid.querySelector(`[data-photo-id="${photo.id}"]`);
  if (!li) {
    if (filter && photo.status !== filter) return;
    li = tile(photo);
    if (append) grid.append(li);
    else grid.prepend(li);
    $("no-photos")?.remove();
  }
  if (photo.created_at) li.dataset.created = photo.created_at;
  if (photo.taken_at !== undefined) li.dataset.taken = photo.taken_at || "";
  if (photo.hidden !== undefined) setHiddenMark(li, photo.hidden);
  const button = li.querySelector(".thumb");
  if (photo.thumbnail_url && !button.querySelector("img")) {
    const img = document.createElement("img");
    img.src = photo.thumbnail_url;
    img.alt = say("thumb_alt", { name: photo.original_filename });
    img.loading = "lazy";
    img.width = 160;
    img.height = 120;
    button.replaceChildren(img);
  } else if (!photo.thumbnail_url && !button.firstChild) {
    button.innerHTML = '<span class="placeholder" aria-hidden="true"></span>';
  }
  const badge = li.querySelector(".badge");
  badge.className = `badge ${photo.status}`;
  badge.textContent = say(`status_${photo.status}`);
  li.querySelector(".faces").textContent = photo.status === "indexed" ? say("faces", { n: photo.face_count }) : "";
  li.querySelector(".error-text").textContent = photo.error || "";
  li.querySelector(".pick").hidden = !canManage;
  if (!append) sortGrid();
}

function listen() {
  const source = new EventSource(`/api/events/${eventId}/stream`);
  source.addEventListener("counts", (e) => setCounts(JSON.parse(e.data)));
  source.addEventListener("photo", (e) => showPhoto(JSON.parse(e.data)));
  source.addEventListener("open", () => ($("live").textContent = say("live_on")));
  source.addEventListener("error", () => ($("live").textContent = say("live_off")));
  source.addEventListener("gone", () => source.close());
}
listen();

// --- filter and order ------------------------------------------------------------------------

// The server sorts (GET /api/events/{id}/photos?sort=): choosing reloads the page in that order, and
// "load more" asks for the next page in it.
$("filter-apply").hidden = true; // choosing applies at once
for (const id of ["filter-status", "sort-order"]) $(id).addEventListener("change", () => $("filter-form").requestSubmit());

const tiles = () => [...grid.querySelectorAll("li[data-photo-id]")];
const sortedBy = new URLSearchParams(location.search).get("sort") === "taken" ? "taken" : "uploaded";

function sortGrid() {
  // Only for photos arriving live: put them where the server's order would (a photo without a
  // capture time after those with one, uploads in time order among themselves).
  const byTaken = sortedBy === "taken";
  const key = (li) => (byTaken ? `${li.dataset.taken || "~"}|${li.dataset.created}` : li.dataset.created || "");
  const sorted = tiles().sort((a, b) => (byTaken ? key(a).localeCompare(key(b)) : key(b).localeCompare(key(a))));
  grid.append(...sorted);
}

// --- more photos -----------------------------------------------------------------------------

async function loadMore() {
  const button = $("load-more");
  if (!button || button.hidden || !button.dataset.cursor) return false;
  button.disabled = true;
  const params = new URLSearchParams({ limit: button.dataset.page, cursor: button.dataset.cursor });
  if (button.dataset.status) params.set("status", button.dataset.status);
  params.set("sort", button.dataset.sort || "uploaded");
  const page = await (await fetch(`/api/events/${eventId}/photos?${params}`)).json();
  for (const photo of page.items) showPhoto(photo, { append: true });
  button.dataset.cursor = page.next_cursor || "";
  button.disabled = false;
  button.hidden = !page.next_cursor;
  return page.items.length > 0;
}
$("load-more")?.addEventListener("click", loadMore);

// --- selection and bulk actions --------------------------------------------------------------

let anchor = null; // the last box ticked by hand: shift-click selects from it

const picks = () => tiles().map((li) => li.querySelector(".pick"));
const chosen = () => tiles().filter((li) => li.querySelector(".pick").checked);

function selectionChanged() {
  if (!canManage) return;
  const n = chosen().length;
  $("selected-count").textContent = n ? say("selected", { n }) : "";
  for (const id of ["bulk-hide", "bulk-show", "bulk-delete"]) $(id).disabled = n === 0;
  const all = picks();
  $("select-all").checked = n > 0 && n === all.length;
  $("select-all").indeterminate = n > 0 && n < all.length;
  for (const li of tiles()) li.classList.toggle("picked", li.querySelector(".pick").checked);
}

if (canManage) {
  $("selection-bar").hidden = false;
  for (const box of picks()) box.hidden = false;
}

grid.addEventListener("click", (e) => {
  const box = e.target.closest(".pick");
  if (!box) return;
  const all = picks();
  if (e.shiftKey && anchor && anchor !== box && all.includes(anchor)) {
    const [from, to] = [all.indexOf(anchor), all.indexOf(box)].sort((a, b) => a - b);
    for (const other of all.slice(from, to + 1)) other.checked = box.checked;
  }
  anchor = box;
  selectionChanged();
});
$("select-all")?.addEventListener("change", (e) => {
  for (const box of picks()) box.checked = e.target.checked;
  selectionChanged();
});

async function api(method, url, body) {
  const response = await fetch(url, {
    method,
    headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!response.ok) {
    alert(say("action_failed"));
    throw new Error(`${method} ${url}: ${response.status}`);
  }
  return response.status === 204 ? null : response.json();
}

function dropTiles(ids) {
  for (const id of ids) grid.querySelector(`[data-photo-id="${id}"]`)?.remove();
  grid.dataset.total = Math.max(0, Number(grid.dataset.total) - ids.length);
  selectionChanged();
}

async function bulk(action) {
  const items = chosen();
  const ids = items.map((li) => li.dataset.photoId);
  if (!ids.length) return;
  if (action === "delete" && !confirm(say("confirm_delete", { n: ids.length }))) return;
  await api("POST", `/api/events/${eventId}/photos/bulk`, { photo_ids: ids, action });
  if (action === "delete") dropTiles(ids);
  else {
    for (const li of items) {
      setHiddenMark(li, action === "hide");
      li.querySelector(".pick").checked = false;
    }
    selectionChanged();
  }
}
$("bulk-hide")?.addEventListener("click", () => bulk("hide"));
$("bulk-show")?.addEventListener("click", () => bulk("show"));
$("bulk-delete")?.addEventListener("click", () => bulk("delete"));

// --- lightbox --------------------------------------------------------------------------------

const box = $("lightbox");
let current = null; // the grid tile shown
let showBoxes = true;
let token = 0; // a newer step wins over an answer still on its way

async function openAt(li) {
  if (!li) return;
  current = li;
  const mine = ++token;
  const id = li.dataset.photoId;
  const [photo, faces] = await Promise.all([
    fetch(`/api/photos/${id}`).then((r) => r.json()),
    fetch(`/api/photos/${id}/faces`).then((r) => r.json()),
  ]);
  if (mine !== token) return;
  const img = $("lightbox-img");
  img.src = photo.preview_url || "";
  img.alt = say("thumb_alt", { name: photo.original_filename });
  const layer = $("lightbox-faces");
  layer.replaceChildren();
  for (const face of faces.items || []) {
    const mark = document.createElement("div");
    mark.className = "face-box";
    mark.style.left = `${(100 * face.x) / photo.width}%`;
    mark.style.top = `${(100 * face.y) / photo.height}%`;
    mark.style.width = `${(100 * face.width) / photo.width}%`;
    mark.style.height = `${(100 * face.height) / photo.height}%`;
    mark.title = say("face_score", { score: face.score.toFixed(2) });
    layer.append(mark);
  }
  layer.hidden = !showBoxes;
  const list = tiles();
  $("lightbox-counter").textContent = say("counter", {
    n: list.indexOf(li) + 1,
    total: Math.max(Number(grid.dataset.total) || 0, list.length),
  });
  $("lightbox-caption").textContent = `${photo.original_filename} · ${say("faces", { n: faces.items.length })}`;
  if (canManage) {
    $("lightbox-cover").textContent = say("set_cover");
    $("lightbox-logo").textContent = say("set_logo");
    $("lightbox-hide").textContent = photo.hidden ? say("show") : say("hide");
    $("lightbox-hide").dataset.hidden = String(photo.hidden);
  }
  $("lightbox-download").href = `${photo.original_url}?download=true`;
  box.dataset.photoId = id;
  if (!box.open) box.showModal();
}

async function step(by) {
  if (!current) return;
  let list = tiles();
  let i = list.indexOf(current) + by;
  if (i >= list.length && (await loadMore())) list = tiles();
  i = (i + list.length) % list.length;
  openAt(list[i]);
}

grid.addEventListener("click", (e) => {
  if (e.target.closest(".thumb")) openAt(e.target.closest("[data-photo-id]"));
});
$("lightbox-prev").addEventListener("click", () => step(-1));
$("lightbox-next").addEventListener("click", () => step(1));
$("lightbox-close").addEventListener("click", () => box.close());
box.addEventListener("keydown", (e) => {
  if (e.key === "ArrowLeft") step(-1);
  else if (e.key === "ArrowRight") step(1);
});

// A horizontal swipe (touch, pen or a dragged mouse) steps; the page keeps vertical scrolling.
let swipeFrom = null;
$("lightbox-stage").addEventListener("pointerdown", (e) => {
  swipeFrom = { x: e.clientX, y: e.clientY };
});
$("lightbox-stage").addEventListener("pointerup", (e) => {
  if (!swipeFrom) return;
  const dx = e.clientX - swipeFrom.x;
  const dy = e.clientY - swipeFrom.y;
  swipeFrom = null;
  if (Math.abs(dx) > 50 && Math.abs(dx) > 1.5 * Math.abs(dy)) step(dx < 0 ? 1 : -1);
});

$("lightbox-boxes").addEventListener("click", (e) => {
  showBoxes = !showBoxes;
  e.currentTarget.setAttribute("aria-pressed", String(showBoxes));
  $("lightbox-faces").hidden = !showBoxes;
});
$("lightbox-cover")?.addEventListener("click", async () => {
  await api("PATCH", `/api/events/${eventId}`, { cover_photo_id: box.dataset.photoId });
  $("lightbox-cover").textContent = say("cover_set");
});
$("lightbox-logo")?.addEventListener("click", async () => {
  await api("PATCH", `/api/events/${eventId}`, { branding: { logo_photo_id: box.dataset.photoId } });
  $("lightbox-logo").textContent = say("logo_set");
});
$("lightbox-hide")?.addEventListener("click", async (e) => {
  const hide = e.currentTarget.dataset.hidden !== "true";
  const photo = await api("PATCH", `/api/photos/${box.dataset.photoId}`, { hidden: hide });
  setHiddenMark(current, photo.hidden);
  e.currentTarget.dataset.hidden = String(photo.hidden);
  e.currentTarget.textContent = photo.hidden ? say("show") : say("hide");
});
$("lightbox-delete")?.addEventListener("click", async () => {
  if (!confirm(say("confirm_delete_one"))) return;
  const gone = current;
  const list = tiles();
  const next = list[list.indexOf(gone) + 1] || list[list.indexOf(gone) - 1];
  await api("DELETE", `/api/photos/${box.dataset.photoId}`);
  dropTiles([gone.dataset.photoId]);
  if (next) openAt(next);
  else box.close();
});
