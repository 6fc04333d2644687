// ijgate console: live updates. The server sends an event on /console/events (server-sent
// events) when what the pages show has changed; the page's parts marked data-live are then
// fetched again and replaced. Progressive enhancement: every page reads the same without this
// script (reload to see changes); it only spares the reload. No build step, no library.
(function () {
  "use strict";
  var root = document.documentElement;
  var status = document.getElementById("live-status");
  if (!document.querySelector("[data-live][id]") || !window.fetch || !window.DOMParser ||
      !window.EventSource) return;
  var busy = false, again = false, updates = 0, connected = false;

  function say(state) {
    root.setAttribute("data-live-state", state);
    if (status) {
      status.textContent = status.getAttribute("data-" + state) || "";
      status.hidden = false;
    }
  }

  function swap(text) {
    var doc = new DOMParser().parseFromString(text, "text/html");
    document.querySelectorAll("[data-live][id]").forEach(function (el) {
      var fresh = doc.getElementById(el.id);
      // Do not replace a part while the user is in one of its forms.
      if (fresh && !el.contains(document.activeElement)) el.replaceWith(fresh);
    });
    updates += 1;
    root.setAttribute("data-live-updates", String(updates));
  }

  // One fetch at a time; an event during a fetch asks for one more afterwards.
  function refresh() {
    if (busy) { again = true; return; }
    busy = true;
    fetch(window.location.href, { credentials: "same-origin", cache: "no-store" })
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (text) { if (text) swap(text); })
      .catch(function () {})
      .then(function () {
        busy = false;
        if (again) { again = false; refresh(); }
      });
  }

  var events = new EventSource("/console/events");
  events.addEventListener("ready", function () {
    // After a reconnection, changes may have been missed meanwhile.
    if (connected) refresh();
    connected = true;
    say("on");
  });
  events.addEventListener("change", refresh);
  // EventSource reconnects by itself (the server's retry: delay).
  events.onerror = function () { say("off"); };
})();
