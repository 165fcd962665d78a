// Live updates of an open page: ftrack.update events, filtered by the server for the logged-in
// user, arrive over Server-Sent Events from /live (authenticated by the session cookie).
// - status badges ([data-status-of=ID]) and status selects ([data-status-select-of=ID]) follow
//   status changes, using the page's statuses (#live[data-statuses]);
// - parts marked [data-live-fragment=URL][data-live-watch=IDS] (with an id) are re-read from URL when an
//   update concerns one of IDS (the entity, a parent, a note of the part or a value pointing at it).
(function () {
  "use strict";
  var settings = document.getElementById("live");
  if (!settings || !window.EventSource) { return; }
  var statuses = JSON.parse(settings.dataset.statuses || "{}");
  var notice = document.getElementById("live-notice");
  var connected = false;

  function each(selector, callback) {
    Array.prototype.forEach.call(document.querySelectorAll(selector), callback);
  }

  function attr(value) { return (window.CSS && CSS.escape) ? CSS.escape(value) : value; }

  function showStatus(entityId, statusId) {
    var status = statuses[statusId];
    if (!status) { return false; }
    each('[data-status-of="' + attr(entityId) + '"]', function (badge) {
      badge.textContent = status.name;
      badge.style.setProperty("--status-color", status.color);
      badge.dataset.statusId = statusId;
    });
    each('[data-status-select-of="' + attr(entityId) + '"]', function (select) {
      if (document.activeElement !== select) { select.value = statusId; }
    });
    return true;
  }

  function concerned(entity) {
    var ids = [entity.id].concat(entity.parents || []);
    Object.keys(entity.changes || {}).forEach(function (key) {
      if (typeof entity.changes[key] === "string") { ids.push(entity.changes[key]); } // references by id
    });
    return ids;
  }

  // Re-read a part (by its id) from its URL; only the latest request of a part is applied, and a
  // part holding what the user is typing waits until they leave it.
  var generations = {};
  function refresh(fragment) {
    var key = fragment.id;
    var generation = (generations[key] || 0) + 1;
    generations[key] = generation;
    fetch(fragment.dataset.liveFragment, {credentials: "same-origin", headers: {"Accept": "text/html"}})
      .then(function (response) {
        if (!response.ok) { throw new Error(response.status); }
        return response.text();
      }).then(function (html) {
        var current = document.getElementById(key);
        if (generations[key] !== generation || !current) { return; } // a newer refresh is on its way
        var focused = document.activeElement;
        if (focused && current.contains(focused) && focused.value) {
          focused.addEventListener("blur", function () { refresh(document.getElementById(key)); }, {once: true});
          return;
        }
        var holder = document.createElement("div");
        holder.innerHTML = html;
        var replacement = holder.querySelector("#" + attr(key));
        if (replacement) { current.replaceWith(replacement); }
      }).catch(function () { /* the next update or a reload shows it */ });
  }

  function watched(fragment) {
    var ids = (fragment.dataset.liveWatch || "").split(/\s+/).filter(Boolean);
    Array.prototype.forEach.call(fragment.querySelectorAll("[data-note-id]"), function (note) {
      ids.push(note.dataset.noteId);
    });
    return ids;
  }

  function apply(update) {
    var touched = new Set();
    update.entities.forEach(function (entity) {
      var changes = entity.changes || {};
      var status = changes.status_id || changes.status; // ftrack.update names the attribute "status"
      if (typeof status === "string") { showStatus(entity.id, status); }
      concerned(entity).forEach(function (id) { if (id) { touched.add(id); } });
    });
    each("[data-live-fragment][id]", function (fragment) {
      if (watched(fragment).some(function (id) { return touched.has(id); })) { refresh(fragment); }
    });
    if (notice && update.user) {
      notice.textContent = "Updated by " + update.user + " at " + new Date().toLocaleTimeString();
    }
  }

  var source = new EventSource("/live");
  source.addEventListener("hello", function () {
    if (connected) { each("[data-live-fragment][id]", refresh); } // reconnected: catch up
    connected = true;
    document.documentElement.dataset.live = "connected";
  });
  source.addEventListener("update", function (message) {
    try { apply(JSON.parse(message.data)); } catch (error) { /* a malformed message changes nothing */ }
  });
  source.addEventListener("error", function () { document.documentElement.dataset.live = "reconnecting"; });
}());
