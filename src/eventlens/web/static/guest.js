// The guest page: access code, selfie (camera or file), results, lightbox, downloads.
// The selfie only ever lives in memory here and in the one search request; nothing is stored.

const root = document.getElementById("guest");
const slug = root.dataset.slug;
const api = `/api/public/events/${encodeURIComponent(slug)}`;
const strings = JSON.parse(document.getElementById("guest-strings").textContent);
const $ = (id) => document.getElementById(id);
const say = (key, values = {}) =>
  strings[`guest.${key}`].replace(/\{(\w+)\}/g, (_, name) => String(values[name] ?? ""));

const codeKey = `eventlens:code:${slug}`;
let code = sessionStorage.getItem(codeKey) || "";
let matches = [];
let shown = 0;
let stream = null;

function show(id, visible) {
  $(id).hidden = !visible;
}

function status(text, kind = "") {
  const el = $("status");
  el.textContent = text;
  el.className = `status ${kind}`;
}

function headers() {
  return code ? { "X-Access-Code": code } : {};
}

async function errorOf(response) {
  try {
    return (await response.json()).error || {};
  } catch {
    return {};
  }
}

// --- access code -----------------------------------------------------------------------------

async function checkCode(candidate) {
  const response = await fetch(`${api}/access`, { method: "POST", headers: { "X-Access-Code": candidate } });
  if (response.ok) {
    code = candidate;
    sessionStorage.setItem(codeKey, code);
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

if (root.dataset.codeRequired === "true" && code) {
  checkCode(code); // a code remembered for this tab: skip the prompt when it still works
}

// --- selfie ----------------------------------------------------------------------------------

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
  canvas.toBlob((blob) => search(blob), "image/jpeg", 0.9);
});

$("file-input").addEventListener("change", (event) => {
  const file = event.target.files[0];
  event.target.value = ""; // the same photo may be picked again
  if (file) search(file);
});

async function search(image) {
  status(say("searching"), "busy");
  $("camera-open").disabled = true;
  const body = new FormData();
  body.append("selfie", image, "selfie.jpg");
  let response;
  try {
    response = await fetch(`${api}/search`, { method: "POST", headers: headers(), body });
  } catch {
    status(say("offline"), "error");
    return;
  } finally {
    $("camera-open").disabled = false;
  }
  if (response.ok) {
    status("");
    showResults(await response.json());
    return;
  }
  const err = await errorOf(response);
  if (err.code === "no_face_found") status(say("no_face"), "warn");
  else if (response.status === 429) status(say("rate_limited"), "warn");
  else if (response.status === 403) {
    sessionStorage.removeItem(codeKey);
    code = "";
    show("selfie-step", false);
    show("code-step", true);
  } else status(err.message || say("failed"), "error");
}

// --- results ---------------------------------------------------------------------------------

function showResults(result) {
  matches = result.matches;
  const grid = $("grid");
  grid.replaceChildren();
  matches.forEach((match, i) => {
    const item = document.createElement("li");
    const open = document.createElement("button");
    open.type = "button";
    open.className = "thumb";
    const img = document.createElement("img");
    img.src = match.thumbnail_url;
    img.loading = "lazy";
    img.alt = say("photo_alt", { n: i + 1, total: matches.length });
    if (match.width && match.height) {
      img.width = 400;
      img.height = Math.round((400 * match.height) / match.width);
    }
    open.append(img);
    open.addEventListener("click", () => openLightbox(i));
    item.append(open);
    grid.append(item);
  });
  $("results-title").textContent = matches.length
    ? say(matches.length === 1 ? "found_one" : "found_many", { n: matches.length })
    : say("found_none");
  show("empty", matches.length === 0);
  show("zip-form", matches.length > 0);
  const form = $("zip-form");
  form.querySelectorAll("input[name=photo_ids]").forEach((input) => input.remove());
  form.elements.t.value = result.guest_pass;
  for (const match of matches) {
    const input = document.createElement("input");
    input.type = "hidden";
    input.name = "photo_ids";
    input.value = match.photo_id;
    form.append(input);
  }
  show("results", true);
  $("results-title").focus(); // screen readers land on the answer
  $("results").scrollIntoView({ behavior: "smooth", block: "start" });
}

$("again").addEventListener("click", () => {
  show("results", false);
  $("camera-open").focus();
});

// --- lightbox --------------------------------------------------------------------------------

function openLightbox(i) {
  shown = (i + matches.length) % matches.length;
  const match = matches[shown];
  const img = $("lightbox-img");
  img.src = match.preview_url;
  img.alt = say("photo_alt", { n: shown + 1, total: matches.length });
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
