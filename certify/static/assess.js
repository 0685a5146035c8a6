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
