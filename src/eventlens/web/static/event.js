// The event page: drag-and-drop uploads with progress and retries, live status over Server-Sent
// Events, more photos on demand, and a lightbox that boxes the faces found. Without this script
// the page still works: the plain upload form and the server-rendered grid stay.

const root = document.getElementById("event-app");
const eventId = root.dataset.eventId;
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
  $("retry-failed").hidden = failed === 0;
}

function finish(item, ok, text, kind) {
  active--;
  item.done = true;
  item.ok = ok;
  item.state.textContent = text;
  item.li.className = `upload-row ${kind}`;
  if (!ok) {
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

function send(item) {
  active++;
  item.tries++;
  item.sent = 0;
  item.state.textContent = say("uploading");
  const xhr = new XMLHttpRequest();
  xhr.open("POST", `/api/events/${eventId}/photos`);
  xhr.setRequestHeader("X-CSRF-Token", csrf);
  xhr.setRequestHeader("X-EventLens-Source", "web");
  xhr.responseType = "json";
  xhr.upload.addEventListener("progress", (e) => {
    if (e.lengthComputable) {
      item.sent = (e.loaded / e.total) * item.file.size;
      item.bar.value = e.loaded / e.total;
      total();
    }
  });
  xhr.addEventListener("load", () => {
    const answer = xhr.response?.items?.[0];
    item.bar.value = 1;
    if (xhr.status === 201) finish(item, true, say("stored"), "ok");
    else if (xhr.status === 200 && answer?.duplicate_of) finish(item, true, say("duplicate"), "ok");
    else if (xhr.status === 429 || xhr.status >= 500) later(item, say("server_busy"));
    else finish(item, false, answer?.error?.message || xhr.response?.error?.message || say("refused"), "failed");
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
  $("retry-failed").addEventListener("click", () => uploads.filter((u) => u.done && !u.ok).forEach(again));
}

// --- live status -----------------------------------------------------------------------------

function setCounts(counts) {
  for (const el of document.querySelectorAll("[data-count]")) {
    const path = el.dataset.count.split(".");
    const value = path.reduce((obj, key) => obj?.[key], counts);
    if (value !== undefined) el.textContent = value;
  }
  const reprocess = $("reprocess-form");
  if (reprocess) reprocess.hidden = counts.photos.failed === 0;
}

function tile(photo) {
  const li = document.createElement("li");
  li.dataset.photoId = photo.id;
  li.innerHTML = '<button type="button" class="thumb"></button><span class="badge"></span> <span class="muted faces"></span> <span class="error-text"></span>';
  return li;
}

function showPhoto(photo) {
  const grid = $("photo-grid");
  let li = grid.querySelector(`[data-photo-id="${photo.id}"]`);
  if (!li) {
    li = tile(photo);
    grid.prepend(li);
    $("no-photos")?.remove();
  }
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

// --- more photos -----------------------------------------------------------------------------

$("load-more")?.addEventListener("click", async () => {
  const button = $("load-more");
  button.disabled = true;
  const params = new URLSearchParams({ limit: button.dataset.page, cursor: button.dataset.cursor });
  const page = await (await fetch(`/api/events/${eventId}/photos?${params}`)).json();
  const grid = $("photo-grid");
  for (const photo of page.items) {
    if (!grid.querySelector(`[data-photo-id="${photo.id}"]`)) {
      grid.append(tile(photo));
      showPhoto(photo);
    }
  }
  button.dataset.cursor = page.next_cursor || "";
  button.disabled = false;
  button.hidden = !page.next_cursor;
});

// --- lightbox with faces ---------------------------------------------------------------------

$("photo-grid").addEventListener("click", async (e) => {
  const li = e.target.closest("[data-photo-id]");
  if (!li || !e.target.closest(".thumb")) return;
  const id = li.dataset.photoId;
  const [photo, faces] = await Promise.all([
    fetch(`/api/photos/${id}`).then((r) => r.json()),
    fetch(`/api/photos/${id}/faces`).then((r) => r.json()),
  ]);
  if (!photo.preview_url) return;
  const img = $("lightbox-img");
  img.src = photo.preview_url;
  img.alt = say("thumb_alt", { name: photo.original_filename });
  const boxes = $("lightbox-faces");
  boxes.replaceChildren();
  for (const face of faces.items) {
    const box = document.createElement("div");
    box.className = "face-box";
    box.style.left = `${(100 * face.x) / photo.width}%`;
    box.style.top = `${(100 * face.y) / photo.height}%`;
    box.style.width = `${(100 * face.width) / photo.width}%`;
    box.style.height = `${(100 * face.height) / photo.height}%`;
    box.title = say("face_score", { score: face.score.toFixed(2) });
    boxes.append(box);
  }
  $("lightbox-caption").textContent = `${photo.original_filename} · ${say("faces", { n: faces.items.length })}`;
  $("lightbox").dataset.photoId = id;
  $("lightbox-cover").textContent = say("set_cover");
  $("lightbox").showModal();
});
$("lightbox-cover").addEventListener("click", async () => {
  const response = await fetch(`/api/events/${eventId}`, {
    method: "PATCH",
    headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
    body: JSON.stringify({ cover_photo_id: $("lightbox").dataset.photoId }),
  });
  $("lightbox-cover").textContent = response.ok ? say("cover_set") : say("refused");
});
$("lightbox-close").addEventListener("click", () => $("lightbox").close());
