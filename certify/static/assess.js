// Running total and pass-rule status of a score form; the page works without it.
(function () {
  document.querySelectorAll("form").forEach(function (form) {
    var inputs = form.querySelectorAll("input[data-score]");
    var box = form.querySelector("[data-total-box]");
    if (!inputs.length || !box) return;
    var minTotal = +box.dataset.minTotal, minEach = +box.dataset.minEach;
    var texts = JSON.parse(document.getElementById("assess-texts").textContent);
    function update() {
      var total = 0, complete = true, low = false;
      inputs.forEach(function (i) {
        var v = i.value.trim();
        if (v === "" || !/^\d+$/.test(v)) { complete = false; return; }
        v = +v; total += v; if (v < minEach) low = true;
      });
      box.querySelector("[data-total]").textContent = total;
      var s = box.querySelector("[data-status]");
      var ok = complete && !low && total >= minTotal;
      s.textContent = !complete ? texts.incomplete : (ok ? texts.pass : texts.fail);
      s.className = ok ? "pass" : "fail";
    }
    inputs.forEach(function (i) { i.addEventListener("input", update); });
  });
})();

// "Điền theo điểm tự đánh giá": fill the form in place from each field's data-fill (without
// JavaScript the link reloads the page with the form filled by the server).
(function () {
  document.querySelectorAll("a[data-prefill]").forEach(function (link) {
    var form = link.closest("form");
    if (!form) return;
    link.addEventListener("click", function (event) {
      event.preventDefault();
      form.querySelectorAll("[data-fill]").forEach(function (field) {
        field.value = field.dataset.fill;
        field.dispatchEvent(new Event("input", {bubbles: true}));
        field.dispatchEvent(new Event("change", {bubbles: true}));
      });
      var first = form.querySelector("[data-fill]");
      if (first) first.focus();
    });
  });
})();
