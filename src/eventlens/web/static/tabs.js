// The event page's sections as tabs. Without this script every section is shown one below the
// other and the tab bar is a list of links to them; with it one section shows at a time, the
// address's #fragment names it (so a reload or the back button keeps it), and links to a section
// (data-tab-link) switch to it.

const panels = [...document.querySelectorAll(".tab-panel")];
const links = [...document.querySelectorAll("nav.tabs a")];
const start = document.getElementById("event-app")?.dataset.startTab || panels[0]?.id;

function select(id, focus = false) {
  // A #fragment inside a section (such as #ftp after a form) opens that section.
  const target = id ? document.getElementById(id)?.closest(".tab-panel") : null;
  const panel = target || panels.find((p) => p.id === start) || panels[0];
  for (const p of panels) p.hidden = p !== panel;
  for (const a of links) {
    if (a.hash === `#${panel.id}`) {
      a.setAttribute("aria-current", "page");
      a.scrollIntoView({ block: "nearest", inline: "nearest" }); // a narrow tab bar scrolls sideways
    } else a.removeAttribute("aria-current");
  }
  if (focus) panel.focus({ preventScroll: true });
}

if (panels.length) {
  document.body.classList.add("tabbed");
  for (const p of panels) p.tabIndex = -1;
  select(location.hash.slice(1));
  window.addEventListener("hashchange", () => select(location.hash.slice(1), true));
  window.addEventListener("popstate", () => select(location.hash.slice(1)));
  document.addEventListener("click", (e) => {
    const link = e.target.closest("a[data-tab-link]");
    if (!link) return;
    e.preventDefault();
    if (link.hash !== location.hash) history.pushState(null, "", link.hash);
    select(link.hash.slice(1), true);
  });
}
