// Copy buttons: <button data-copy="#selector"> copies that field's value (or text) to the clipboard.
for (const button of document.querySelectorAll("[data-copy]")) {
  button.addEventListener("click", async () => {
    const source = document.querySelector(button.dataset.copy);
    const text = source.value ?? source.textContent;
    const label = button.textContent;
    try {
      await navigator.clipboard.writeText(text);
    } catch {
      source.select?.(); // no clipboard permission (plain http): leave it selected for Ctrl-C
      document.execCommand?.("copy");
    }
    button.textContent = button.dataset.copied || "✓";
    setTimeout(() => (button.textContent = label), 1500);
  });
}
