// Drafts that survive a bad connection (issue 25), and the service worker's registration.
//
// A form marked data-offline-draft (the form step of the filing wizard) keeps what is typed on
// the phone (localStorage) while the connection is down: "Lưu bản nháp" and "Lưu và tiếp tục"
// then keep the answers instead of leaving the page. When the connection is back (the online
// event, or the next page opened with one) they are posted as "Lưu bản nháp", with the version of
// the server's draft they were typed on (draft_version): the server refuses them when its draft
// has been saved since, so the server's draft stays the truth. A form sent while the connection
// seemed up is kept too, marked as sent, until the next page says whether it arrived.
//
// The answers are kept under the signed-in person's key (data-user-key on <body>, made by the
// server), are only sent for that person, are dropped after seven days and on signing out.
(function () {
  "use strict";
  var PREFIX = "portal-draft:";
  var MAX_AGE = 7 * 24 * 3600 * 1000;
  // Kept answers are only ever sent back to a form step of a draft, whatever the storage says.
  var DRAFT_URL = /^\/dossiers\/drafts\/\d+\/form\/(\?[\w=&%.-]*)?$/;
  var TEXT = {
    vi: {
      kept: "Mất kết nối mạng: câu trả lời của bạn được giữ trên máy này và sẽ tự động gửi lên khi có mạng trở lại.",
      sent: "Đã có mạng trở lại: câu trả lời giữ trên máy đã được lưu vào bản nháp trên cổng.",
      changed: "Câu trả lời giữ trên máy không được lưu vì bản nháp trên cổng đã được sửa ở nơi khác. Bản nháp trên cổng được giữ nguyên.",
      refused: "Cổng chưa nhận câu trả lời giữ trên máy. Hãy mở lại tờ khai để xem và sửa."
    },
    en: {
      kept: "No connection: your answers are kept on this device and will be sent automatically when the connection is back.",
      sent: "Back online: the answers kept on this device were saved to your draft on the portal.",
      changed: "The answers kept on this device were not saved: the draft on the portal was changed elsewhere. The portal's draft is kept.",
      refused: "The portal did not accept the answers kept on this device. Open the form again to review them."
    }
  };

  function text(key) {
    var lang = document.documentElement.getAttribute("lang") === "en" ? "en" : "vi";
    return TEXT[lang][key];
  }

  function store() {
    try {
      var probe = PREFIX + "probe";
      window.localStorage.setItem(probe, "1");
      window.localStorage.removeItem(probe);
      return window.localStorage;
    } catch (error) {
      return null;  // private browsing or storage switched off: nothing is kept
    }
  }

  function userKey() {
    return (document.body && document.body.getAttribute("data-user-key")) || "";
  }

  function entries(storage, user) {
    var found = [];
    for (var i = 0; i < storage.length; i++) {
      var key = storage.key(i);
      if (!key || key.indexOf(PREFIX) !== 0 || key === PREFIX + "probe") continue;
      var record = null;
      try { record = JSON.parse(storage.getItem(key)); } catch (error) { record = null; }
      if (!record || typeof record.url !== "string" || !DRAFT_URL.test(record.url) || !Array.isArray(record.pairs) ||
          Date.now() - (record.saved || 0) > MAX_AGE) {
        found.push({ key: key, record: null });  // unreadable or too old: dropped below
      } else if (user === null || record.user === user) {
        found.push({ key: key, record: record });
      }
    }
    found.forEach(function (entry) { if (!entry.record) storage.removeItem(entry.key); });
    return found.filter(function (entry) { return entry.record; });
  }

  function formUrl(form) {
    return form.getAttribute("action") || (window.location.pathname + window.location.search);
  }

  function keep(form, sent) {
    var storage = store();
    var user = userKey();
    if (!storage || !user) return;
    var pairs = [];
    new FormData(form).forEach(function (value, name) {
      if (typeof value !== "string") return;  // files are never kept
      if (name === "csrfmiddlewaretoken" || name === "action" || name === "draft_version") return;
      pairs.push([name, value]);
    });
    var version = form.querySelector('input[name="draft_version"]');
    var url = formUrl(form);
    try {
      storage.setItem(PREFIX + user + ":" + url, JSON.stringify({
        user: user, url: url, version: version ? version.value : "", pairs: pairs, sent: !!sent, saved: Date.now()
      }));
    } catch (error) { /* storage full: the form is still sent when it can be */ }
  }

  function notice(message) {
    var region = document.getElementById("offline-draft-notice");
    if (!region) {
      region = document.createElement("div");
      region.id = "offline-draft-notice";
      region.className = "alert alert-info offline-draft-notice";
      region.setAttribute("role", "status");
      region.setAttribute("aria-live", "polite");
      var main = document.getElementById("main") || document.body;
      main.insertBefore(region, main.firstChild);
    }
    region.textContent = message;
    region.hidden = false;
  }

  function csrfToken() {
    var input = document.querySelector('input[name="csrfmiddlewaretoken"]');
    return input ? input.value : "";
  }

  var syncing = false;

  function sendOne(storage, entry) {
    var record = entry.record;
    var body = new FormData();
    record.pairs.forEach(function (pair) { body.append(pair[0], pair[1]); });
    body.append("csrfmiddlewaretoken", csrfToken());
    body.append("action", "save");
    body.append("draft_version", record.version);
    // Redirects are not followed: a sign-in page or a submitted dossier's page is no answer.
    return fetch(record.url, {
      method: "POST", body: body, credentials: "same-origin", redirect: "manual", headers: { "X-Offline-Draft": "1" }
    }).then(function (response) {
      var json = (response.headers.get("Content-Type") || "").indexOf("application/json") === 0;
      if (response.status === 404) {
        storage.removeItem(entry.key);  // no such draft of this person's any more
        return null;
      }
      if (!json) return null;  // signed out, a refused token, a server error: kept, tried again later
      storage.removeItem(entry.key);
      return response.json().then(function (data) {
        if (response.ok && data.saved) {
          notice(text("sent"));
          var form = document.querySelector("form[data-offline-draft]");
          if (form && formUrl(form) === record.url) {
            var version = form.querySelector('input[name="draft_version"]');
            if (version && data.draft_version) version.value = data.draft_version;
          }
          return "saved";
        }
        // A copy kept as its form was sent, when that form did arrive: its draft is newer.
        if (!record.wasSent) notice(response.status === 409 ? text("changed") : text("refused"));
        return null;
      });
    }).catch(function () { return null; });  // still no connection: kept
  }

  function sync() {
    var storage = store();
    var user = userKey();
    if (!storage || !user || syncing || navigator.onLine === false || !csrfToken()) return;
    var pending = entries(storage, user).filter(function (entry) { return !entry.record.sent; });
    if (!pending.length) return;
    syncing = true;
    pending.reduce(function (chain, entry) {
      return chain.then(function () { return sendOne(storage, entry); });
    }, Promise.resolve()).then(function () { syncing = false; }, function () { syncing = false; });
  }

  function draftForm(target) {
    return target && target.closest ? target.closest("form[data-offline-draft]") : null;
  }

  document.addEventListener("input", function (event) {
    var form = draftForm(event.target);
    if (form && navigator.onLine === false) keep(form, false);
  });
  document.addEventListener("change", function (event) {
    var form = draftForm(event.target);
    if (form && navigator.onLine === false) keep(form, false);
  });
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.matches && form.matches('form[action*="logout"]')) {
      var storage = store();
      if (storage) entries(storage, null).forEach(function (entry) { storage.removeItem(entry.key); });
      return;
    }
    if (!form.matches || !form.matches("form[data-offline-draft]")) return;
    if (navigator.onLine === false) {
      event.preventDefault();
      keep(form, false);
      notice(text("kept"));
    } else {
      keep(form, true);
    }
  });
  window.addEventListener("offline", function () {
    var form = document.querySelector("form[data-offline-draft]");
    if (form) keep(form, false);
  });
  window.addEventListener("online", sync);

  // A copy kept as a form was sent (sent: true) is only needed if the form never arrived. The
  // offline page, which the service worker shows for a navigation that failed, says it did
  // not: the copy is then sent back later. Any page from the server says it did: dropped.
  function settleSent(storage, offlinePage) {
    entries(storage, null).forEach(function (entry) {
      if (!entry.record.sent) return;
      if (offlinePage) {
        entry.record.sent = false;
        entry.record.wasSent = true;
        try { storage.setItem(entry.key, JSON.stringify(entry.record)); } catch (error) { /* kept as it was */ }
      } else {
        storage.removeItem(entry.key);
      }
    });
  }

  // Signed in as somebody else on this phone: the answers kept for another person are dropped
  // (they were never sent for anybody but their own person, whose draft stays on the server).
  function forgetOthers(storage, user) {
    if (!user) return;
    entries(storage, null).forEach(function (entry) {
      if (entry.record.user !== user) storage.removeItem(entry.key);
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var storage = store();
    if (storage) {
      settleSent(storage, document.body.hasAttribute("data-offline-page"));
      forgetOthers(storage, userKey());
    }
    // The offline page: how many drafts this phone keeps (for anybody: it knows nobody).
    var count = document.getElementById("offline-drafts");
    if (count && storage) {
      var n = entries(storage, null).length;
      if (n) {
        count.textContent = (n === 1 ? count.getAttribute("data-one") : count.getAttribute("data-many")).replace("{count}", n);
        count.hidden = false;
      }
    }
    document.querySelectorAll("[data-reload]").forEach(function (button) {
      button.addEventListener("click", function () { window.location.reload(); });
    });
    sync();
  });

  // The installable portal's service worker (/sw.js, portal/pwa.py): static files and the offline page.
  if ("serviceWorker" in navigator && window.isSecureContext) {
    window.addEventListener("load", function () {
      navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(function () { /* the site works without it */ });
    });
  }
})();
