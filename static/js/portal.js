// Behaviour of every page, kept out of the HTML so that the Content-Security-Policy can refuse
// inline script: a form that asks for confirmation first (data-confirm="question"), and a text
// box that filters the options of a list (data-filter-for="<select id>": by name or code, with or
// without accents). The language switch has its own button: choosing an option changes nothing
// until it is submitted.
(function () {
  "use strict";
  function fold(text) {
    return (text || "").normalize("NFD").replace(/[\u0300-\u036f]/g, "").replace(/[đĐ]/g, "d").toLowerCase();
  }
  document.addEventListener("input", function (event) {
    var box = event.target;
    var target = box.getAttribute && box.getAttribute("data-filter-for");
    var select = target && document.getElementById(target);
    if (!select) {
      return;
    }
    var words = fold(box.value).split(/\s+/).filter(Boolean);
    Array.prototype.forEach.call(select.options, function (option) {
      var text = fold(option.text + " " + option.value);
      option.hidden = option.value !== "" && !words.every(function (word) { return text.indexOf(word) !== -1; });
    });
  });
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form.getAttribute && form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      event.preventDefault();
    }
  });
  // The error summary takes the focus, so a screen reader reads it and the page scrolls to it.
  document.addEventListener("DOMContentLoaded", function () {
    var summary = document.getElementById("error-summary");
    if (summary) {
      summary.focus();
    }
  });
})();
