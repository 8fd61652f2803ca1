// Squeeze compare view: the slider moves the line between the original (left) and the result (right).
(function () {
  "use strict";

  var stage = document.getElementById("compare-stage");
  var slider = document.getElementById("compare-slider");
  if (!stage || !slider) return;

  function show() {
    var value = Number(slider.value);
    stage.style.setProperty("--split", value + "%");  // the CSSOM, which the CSP allows
    slider.setAttribute("aria-valuetext", value + "% original, " + (100 - value) + "% result");
  }

  slider.addEventListener("input", show);
  show();
})();
