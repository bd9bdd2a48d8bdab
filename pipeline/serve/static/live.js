// Parts of a page marked data-live are fetched again when the store changes:
// /events sends the store's version whenever a batch of records changed it.
(function () {
  "use strict";
  const parts = document.querySelectorAll("[data-live]");
  const state = document.getElementById("live-state");
  if (!parts.length || !window.EventSource) {
    return;
  }
  let version = null;

  async function refresh() {
    for (const part of parts) {
      const answer = await fetch(part.dataset.live, { credentials: "same-origin" });
      if (answer.ok) {
        part.innerHTML = await answer.text();
      }
    }
  }

  function listen() {
    const events = new EventSource("/events");
    events.onopen = function () {
      if (state) { state.textContent = "live"; state.className = "live-state on"; }
    };
    events.onmessage = function (event) {
      const seen = event.data;
      if (version !== null && seen !== version) {
        refresh();
      }
      version = seen;
    };
    events.onerror = function () {
      // The browser reconnects by itself; say so meanwhile.
      if (state) { state.textContent = "reconnecting"; state.className = "live-state off"; }
    };
  }

  listen();
})();
