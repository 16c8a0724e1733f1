// The People tab: the event's faces grouped into people, most photos first. Open a person to see
// their faces and photos; the event's managers also name people, merge several into one, move faces
// that are someone else to a new person, and have every face grouped again.

const root = document.getElementById("event-app");
const eventId = root.dataset.eventId;
const canManage = root.dataset.canManage === "true";
const csrf = document.querySelector('meta[name="csrf-token"]')?.content || "";
const strings = JSON.parse(document.getElementById("dash-strings").textContent);
const $ = (id) => document.getElementById(id);
const say = (key, values = {}) =>
  strings[`dash.${key}`].replace(/\{(\w+)\}/g, (_, name) => String(values[name] ?? ""));
const base = `/api/events/${eventId}/people`;
const PAGE = 60;

const grid = $("people-grid");
let cursor = null;
let people = [];
let current = null;

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
  return response.json();
}

const label = (person) => person.name || say("people.unnamed");
const count = (n) => (n === 1 ? say("people.count_one") : say("people.count", { count: n }));

function tile(person) {
  const li = document.createElement("li");
  li.dataset.personId = person.id;
  li.dataset.photoCount = person.photo_count;
  if (canManage) {
    const pick = document.createElement("input");
    pick.type = "checkbox";
    pick.className = "pick";
    pick.setAttribute("aria-label", say("people.select", { name: label(person) }));
    pick.addEventListener("change", picked);
    li.append(pick);
  }
  const open = document.createElement("button");
  open.type = "button";
  open.className = "person-open";
  const img = document.createElement("img");
  img.src = person.face_thumbnail_url || "";
  img.alt = say("people.face_alt", { name: label(person) });
  img.width = 120;
  img.height = 120;
  img.loading = "lazy";
  const name = document.createElement("span");
  name.className = "person-name";
  name.textContent = label(person);
  const n = document.createElement("span");
  n.className = "muted person-count";
  n.textContent = count(person.photo_count);
  open.append(img, name, n);
  if (person.hidden) {
    li.classList.add("hidden-person");
    const badge = document.createElement("span");
    badge.className = "badge";
    badge.textContent = say("people.hidden_badge");
    open.append(badge);
  }
  open.addEventListener("click", () => show(person));
  li.append(open);
  return li;
}

async function load(more = false) {
  const params = new URLSearchParams({ limit: String(PAGE) });
  if (more && cursor) params.set("cursor", cursor);
  const page = await (await fetch(`${base}?${params}`)).json();
  if (!more) {
    grid.replaceChildren();
    people = [];
  }
  people.push(...page.items);
  for (const person of page.items) grid.append(tile(person));
  cursor = page.next_cursor;
  $("people-more").hidden = !cursor;
  $("people-none").hidden = people.length > 0;
  $("people-status").textContent = people.length ? say("people.total", { count: people.length }) : "";
  picked();
}

function chosenPeople() {
  return [...grid.querySelectorAll(".pick:checked")].map((box) => box.closest("li"));
}

function picked() {
  const merge = $("people-merge");
  if (merge) merge.disabled = chosenPeople().length < 2;
  for (const li of grid.children) li.classList.toggle("picked", !!li.querySelector(".pick:checked"));
}

async function merge() {
  // The one with most photos keeps its id (and name): the others join it.
  const tiles = chosenPeople().sort((a, b) => b.dataset.photoCount - a.dataset.photoCount);
  const into = tiles[0].dataset.personId;
  for (const li of tiles.slice(1)) await api("POST", `${base}/${li.dataset.personId}/merge`, { into });
  await load();
}

async function show(person) {
  current = person;
  $("people-list").hidden = true;
  $("person-view").hidden = false;
  $("person-title").textContent = `${label(person)} · ${count(person.photo_count)}`;
  if ($("person-name")) $("person-name").value = person.name || "";
  showHidden(person);
  const [faces, photos] = await Promise.all([
    fetch(`${base}/${person.id}/faces`).then((r) => r.json()),
    fetch(`${base}/${person.id}/photos?limit=200`).then((r) => r.json()),
  ]);
  const faceList = $("person-faces");
  faceList.replaceChildren();
  for (const face of faces.items) {
    const li = document.createElement("li");
    li.dataset.faceId = face.id;
    const img = document.createElement("img");
    img.src = face.thumbnail_url;
    img.alt = say("people.face_alt", { name: label(person) });
    img.width = 96;
    img.height = 96;
    img.loading = "lazy";
    if (canManage) {
      const pick = document.createElement("input");
      pick.type = "checkbox";
      pick.className = "pick";
      pick.setAttribute("aria-label", say("people.select", { name: label(person) }));
      pick.addEventListener("change", facesPicked);
      li.append(pick);
    }
    li.append(img);
    faceList.append(li);
  }
  const photoList = $("person-photos");
  photoList.replaceChildren();
  for (const photo of photos.items) {
    const li = document.createElement("li");
    const img = document.createElement("img");
    img.src = photo.thumbnail_url;
    img.alt = photo.original_filename;
    img.loading = "lazy";
    li.append(img);
    photoList.append(li);
  }
  facesPicked();
}

function facesPicked() {
  const boxes = [...$("person-faces").querySelectorAll(".pick")];
  const ticked = boxes.filter((b) => b.checked);
  for (const b of boxes) b.closest("li").classList.toggle("picked", b.checked);
  // Moving every face would leave nobody behind: that is a rename, not a split.
  if ($("person-split")) $("person-split").disabled = !ticked.length || ticked.length === boxes.length;
}

async function split() {
  const faceIds = [...$("person-faces").querySelectorAll(".pick:checked")].map(
    (b) => b.closest("li").dataset.faceId,
  );
  await api("POST", `${base}/${current.id}/split`, { face_ids: faceIds });
  const updated = await (await fetch(`${base}?limit=500`)).json();
  await show(updated.items.find((p) => p.id === current.id) || current);
}

function showHidden(person) {
  $("person-hidden-note").hidden = !person.hidden;
  if ($("person-hide")) $("person-hide").hidden = person.hidden;
  if ($("person-unhide")) $("person-unhide").hidden = !person.hidden;
}

async function hide() {
  if (!confirm(say("people.hide_confirm", { name: label(current) }))) return;
  current = await api("POST", `${base}/${current.id}/hide`, { photos_too: $("person-hide-photos").checked });
  showHidden(current);
}

async function unhide() {
  current = await api("POST", `${base}/${current.id}/unhide`);
  showHidden(current);
}

function back() {
  current = null;
  $("person-view").hidden = true;
  $("people-list").hidden = false;
  load();
}

$("people-more").addEventListener("click", () => load(true));
$("people-merge")?.addEventListener("click", merge);
$("people-regroup")?.addEventListener("click", async () => {
  await api("POST", `${base}/regroup`);
  $("people-status").textContent = say("people.regroup_queued");
});
$("person-back").addEventListener("click", back);
$("person-split")?.addEventListener("click", split);
$("person-hide")?.addEventListener("click", hide);
$("person-unhide")?.addEventListener("click", unhide);
$("person-rename")?.addEventListener("submit", async (e) => {
  e.preventDefault();
  current = await api("PATCH", `${base}/${current.id}`, { name: $("person-name").value });
  $("person-title").textContent = `${label(current)} · ${count(current.photo_count)}`;
});

load();
