// Timestamps in the viewer's own time zone and language. The server writes them in UTC (the text
// stays as it is without this script); <time datetime="…" data-local> holds the exact instant.

const format = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });

for (const el of document.querySelectorAll("time[data-local]")) {
  const when = new Date(el.dateTime);
  if (Number.isNaN(when.getTime())) continue;
  el.title = el.textContent; // the UTC text stays at hand
  el.textContent = format.format(when);
}
