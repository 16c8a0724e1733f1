// The watermark settings' live preview: the server draws the mark as set (not yet saved) on a sample.
const form = document.getElementById("watermark-form");
const sample = document.getElementById("wm-sample");

if (form && sample) {
  let timer = null;
  const refresh = () => {
    const query = new URLSearchParams();
    for (const name of ["kind", "text", "position", "size", "opacity"]) {
      query.set(name, form.elements[name].value);
    }
    sample.src = `${form.dataset.sample}?${query}`;
  };
  // Sliders send many events while dragged: draw once they settle.
  form.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(refresh, 200);
  });
  // A text no font can draw answers 422: keep the last good preview rather than a broken image.
  let last = sample.src;
  sample.addEventListener("load", () => {
    last = sample.src;
  });
  sample.addEventListener("error", () => {
    if (sample.src !== last) sample.src = last;
  });
}
