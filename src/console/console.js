// ijgate console: refresh the parts of the page marked data-live every 5 s (GET pages only).
// Without this script every page still reads the same; it only spares a reload.
(function () {
  "use strict";
  var live = document.querySelectorAll("[data-live][id]");
  if (!live.length || !window.fetch || !window.DOMParser) return;
  function refresh() {
    fetch(window.location.href, { credentials: "same-origin", cache: "no-store" })
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (text) {
        if (!text) return;
        var doc = new DOMParser().parseFromString(text, "text/html");
        live.forEach(function (el) {
          var fresh = doc.getElementById(el.id);
          // Do not replace a part while the user is in one of its forms.
          if (fresh && !el.contains(document.activeElement)) el.replaceWith(fresh);
        });
        live = document.querySelectorAll("[data-live][id]");
      })
      .catch(function () {});
  }
  setInterval(refresh, 5000);
})();
