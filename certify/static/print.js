// The receipt's print button (no inline handlers: the pages' CSP allows scripts from the app only).
document.querySelectorAll("[data-print]").forEach(function (b) {
  b.addEventListener("click", function () { window.print(); });
});
