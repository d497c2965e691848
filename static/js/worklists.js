// Worklists and the officer search (templates/dossiers/officer/_worklist_table.html), kept out of
// the HTML for the Content-Security-Policy: j/k move the cursor through the rows, Enter opens the
// dossier under it, x (or space) selects it; "select all" and the count of selected rows.
(function () {
  "use strict";
  var table = document.querySelector("table[data-keyboard-list]");
  if (!table) {
    return;
  }
  var rows = Array.prototype.slice.call(table.querySelectorAll("tbody tr[data-code]"));
  var cursor = -1;
  var counter = document.getElementById("bulk-selected-count");
  var all = document.getElementById("select-all");

  function boxes() {
    return Array.prototype.slice.call(table.querySelectorAll("input.row-select"));
  }

  function updateCount() {
    if (!counter) {
      return;
    }
    var n = boxes().filter(function (b) { return b.checked; }).length;
    counter.textContent = n ? (counter.getAttribute("data-label") || "") + n : "";
  }

  function move(to) {
    if (!rows.length) {
      return;
    }
    if (cursor >= 0) {
      rows[cursor].classList.remove("row-cursor");
      rows[cursor].removeAttribute("aria-current");
    }
    cursor = Math.max(0, Math.min(rows.length - 1, to));
    var row = rows[cursor];
    row.classList.add("row-cursor");
    row.setAttribute("aria-current", "true");
    row.scrollIntoView({ block: "nearest" });
  }

  function typing(target) {
    var tag = target && target.tagName;
    return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || (target && target.isContentEditable);
  }

  document.addEventListener("keydown", function (event) {
    if (event.altKey || event.ctrlKey || event.metaKey || typing(event.target)) {
      return;
    }
    if (event.key === "j") {
      move(cursor + 1);
      event.preventDefault();
    } else if (event.key === "k") {
      move(cursor - 1);
      event.preventDefault();
    } else if (event.key === "Enter" && cursor >= 0) {
      var link = rows[cursor].querySelector("a.officer-dossier-link");
      if (link) {
        window.location.assign(link.href);
        event.preventDefault();
      }
    } else if ((event.key === "x" || event.key === " ") && cursor >= 0) {
      var box = rows[cursor].querySelector("input.row-select");
      if (box) {
        box.checked = !box.checked;
        updateCount();
        event.preventDefault();
      }
    }
  });

  if (all) {
    all.addEventListener("change", function () {
      boxes().forEach(function (b) { b.checked = all.checked; });
      updateCount();
    });
  }
  table.addEventListener("change", function (event) {
    if (event.target.classList && event.target.classList.contains("row-select")) {
      updateCount();
    }
  });
  updateCount();
})();
