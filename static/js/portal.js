// Behaviour of every page, kept out of the HTML so that the Content-Security-Policy can refuse
// inline script: a form that asks for confirmation first (data-confirm="question"), and a text
// box that filters the options of a list (data-filter-for="<select id>": by name or code, with or
// without accents). The language switch has its own button: choosing an option changes nothing
// until it is submitted. A file input with data-max-size (bytes) warns in the element named by
// its data-size-warning when a chosen file alone is over that limit (the server still decides);
// photos taken one at a time with the camera add up (data-accumulate).
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
  function sizeText(bytes) {
    var format = new Intl.NumberFormat(document.documentElement.lang || "vi", { maximumFractionDigits: 1 });
    return bytes >= 1048576 ? format.format(bytes / 1048576) + " MB" : format.format(Math.max(bytes, 1) / 1024) + " KB";
  }
  function filled(template, values) {
    return template.replace(/\{(\w+)\}/g, function (whole, key) { return key in values ? values[key] : whole; });
  }
  // Every input sharing the warning element is read again, so one input's choice does not hide
  // the warning about another's.
  function sizeWarn(target) {
    var box = document.getElementById(target);
    if (!box) {
      return;
    }
    var lines = [];
    document.querySelectorAll('input[type="file"][data-size-warning="' + target + '"]').forEach(function (input) {
      var limit = parseInt(input.getAttribute("data-max-size"), 10);
      Array.prototype.forEach.call(input.files || [], function (file) {
        if (limit && file.size > limit) {
          lines.push(filled(box.getAttribute("data-message"), {
            name: file.name, size: sizeText(file.size), limit: input.getAttribute("data-max-size-text")
          }));
        }
      });
    });
    box.textContent = lines.join(" ");
  }
  // The camera gives one picture per choice, and a new choice would replace the pictures taken
  // before: the input keeps them all, in the order taken (where the browser lets a script set
  // an input's files).
  var photosKept = new WeakMap();
  function photosAdd(input) {
    var all = (photosKept.get(input) || []).concat(Array.prototype.slice.call(input.files));
    try {
      var transfer = new DataTransfer();
      all.forEach(function (file) { transfer.items.add(file); });
      input.files = transfer.files;
    } catch (error) {
      all = Array.prototype.slice.call(input.files);
    }
    photosKept.set(input, all);
  }
  function photosShow(input) {
    var status = document.getElementById(input.getAttribute("data-photos-status"));
    var clear = document.querySelector('[data-photos-clear="' + input.id + '"]');
    var files = Array.prototype.slice.call(input.files || []);
    if (status) {
      status.textContent = files.length ? filled(status.getAttribute("data-message"), {
        count: files.length, names: files.map(function (file) { return file.name; }).join(", ")
      }) : "";
    }
    if (clear) {
      clear.hidden = !files.length;
    }
  }
  document.addEventListener("change", function (event) {
    var input = event.target;
    if (!input.matches || !input.matches('input[type="file"]')) {
      return;
    }
    if (input.hasAttribute("data-accumulate")) {
      photosAdd(input);
      photosShow(input);
    }
    if (input.hasAttribute("data-size-warning")) {
      sizeWarn(input.getAttribute("data-size-warning"));
    }
  });
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-photos-clear]");
    var input = button && document.getElementById(button.getAttribute("data-photos-clear"));
    if (!input) {
      return;
    }
    input.value = "";
    photosKept.delete(input);
    photosShow(input);
    sizeWarn(input.getAttribute("data-size-warning"));
    input.focus();
  });
  // The error summary takes the focus, so a screen reader reads it and the page scrolls to it.
  document.addEventListener("DOMContentLoaded", function () {
    var summary = document.getElementById("error-summary");
    if (summary) {
      summary.focus();
    }
  });
})();
