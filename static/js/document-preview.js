// Document previews on the officer's dossier page: while a document's page images are being
// prepared (pdf queue), ask its preview URL every few seconds and show the pages once ready.
(function () {
  "use strict";
  var INTERVAL_MS = 2000;
  var MAX_TRIES = 60;

  function show(block, status) {
    var holder = block.querySelector(".document-preview-pages");
    if (!holder) { return; }
    holder.textContent = "";
    status.pages.forEach(function (url, index) {
      var img = document.createElement("img");
      img.className = "document-preview-page img-fluid border mb-2";
      img.src = url;
      img.loading = "lazy";
      img.alt = (block.dataset.previewAlt || "").replace("{page}", String(index + 1));
      holder.appendChild(img);
    });
    if (!status.pages.length) {
      var note = document.createElement("p");
      note.className = "small text-muted document-preview-unavailable";
      note.textContent = status.state_label;
      holder.appendChild(note);
    }
    block.dataset.previewState = status.state;
  }

  function poll(block, tries) {
    fetch(block.dataset.previewUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (status) {
        if (status && status.state !== "pending") {
          show(block, status);
        } else if (tries < MAX_TRIES) {
          window.setTimeout(function () { poll(block, tries + 1); }, INTERVAL_MS);
        }
      })
      .catch(function () {
        if (tries < MAX_TRIES) { window.setTimeout(function () { poll(block, tries + 1); }, INTERVAL_MS); }
      });
  }

  document.querySelectorAll('.document-preview[data-preview-state="pending"]').forEach(function (block) {
    poll(block, 0);
  });
})();
