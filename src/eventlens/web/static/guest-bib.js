// Search by bib number on the guest page: GET /search?bib=, results as thumbnails that open the preview
// and download the original. Uses the guest pass that guest.js keeps for the event (access code).

const root = document.getElementById("guest");
const form = document.getElementById("bib-form");
if (root && form) {
  const slug = root.dataset.slug;
  const api = `/api/public/events/${encodeURIComponent(slug)}`;
  const strings = JSON.parse(document.getElementById("guest-strings").textContent);
  const say = (key, values = {}) =>
    strings[`guest.${key}`].replace(/\{(\w+)\}/g, (_, name) => String(values[name] ?? ""));
  const input = document.getElementById("bib-input");
  const statusLine = document.getElementById("bib-status");
  const grid = document.getElementById("bib-grid");
  const step = document.getElementById("bib-step");

  // The bib search shows once the access code was accepted (guest.js shows the selfie step then).
  const selfieStep = document.getElementById("selfie-step");
  if (selfieStep) {
    new MutationObserver(() => { step.hidden = selfieStep.hidden && root.dataset.codeRequired === "true"; })
      .observe(selfieStep, { attributes: true, attributeFilter: ["hidden"] });
  }

  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const bib = input.value.trim();
    const pass = sessionStorage.getItem(`eventlens:pass:${slug}`) || "";
    const query = new URLSearchParams({ bib });
    if (pass) query.set("t", pass);
    statusLine.textContent = say("bib_searching");
    grid.replaceChildren();
    let response;
    try {
      response = await fetch(`${api}/search?${query}`);
    } catch {
      statusLine.textContent = say("bib_failed");
      return;
    }
    if (!response.ok) {
      let message = say("bib_failed");
      try { message = (await response.json()).error.message || message; } catch { /* not JSON */ }
      statusLine.textContent = message;
      return;
    }
    const answer = await response.json();
    const found = answer.matches.filter((m) => m.bib);
    statusLine.textContent = found.length ? say("bib_found", { n: found.length, bib }) : say("bib_none", { bib });
    for (const match of found) {
      const item = document.createElement("li");
      const link = document.createElement("a");
      link.href = match.preview_url;
      link.target = "_blank";
      link.rel = "noopener";
      const img = document.createElement("img");
      img.src = match.thumbnail_url;
      img.alt = say("bib_alt", { bib });
      img.loading = "lazy";
      link.append(img);
      const download = document.createElement("a");
      download.href = match.download_url;
      download.className = "button secondary";
      download.textContent = say("download_one");
      download.setAttribute("download", "");
      item.append(link, download);
      grid.append(item);
    }
  });
}
