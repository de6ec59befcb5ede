(function () {
  var boot = JSON.parse(document.getElementById("boot").textContent);
  var showUrl = "/api/v1/shows/" + encodeURIComponent(boot.show_id);
  var message = document.getElementById("message");
  var NUMBERS = ["max_pending", "default_song_seconds", "changeover_seconds", "heads_up_position",
                 "reminder_minutes", "no_show_timeout_seconds"];

  function say(text, isError) {
    message.textContent = text;
    message.className = "message" + (isError ? " error" : "");
  }

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  // Writes in flight: the live event they cause is left to the refresh that follows the write.
  var writing = 0;

  // Every write goes through the admin API; the HttpOnly cookie authenticates it, the header proves
  // the request comes from our own page. ``options.report`` says where a failure is told (default: the
  // message line at the top); ``options.headers`` adds headers (an Idempotency-Key).
  async function call(method, path, body, options) {
    options = options || {};
    var report = options.report || say;
    var headers = {"X-Karaoke-CSRF": "1"};
    Object.keys(options.headers || {}).forEach(function (name) { headers[name] = options.headers[name]; });
    var request = {method: method, credentials: "same-origin", headers: headers};
    if (body !== undefined) {
      headers["Content-Type"] = "application/json";
      request.body = JSON.stringify(body);
    }
    var response;
    writing += 1;
    try {
      response = await fetch(showUrl + path, request);
    } catch (e) {
      report("No connection to the server; try again.", true);
      return null;
    } finally {
      writing -= 1;
    }
    if (response.status === 401) {
      report("Your session has ended. Reload the page and log in again.", true);
      return null;
    }
    if (!response.ok) {
      var text = "That did not work (" + response.status + ").";
      try { text = (await response.json()).error.message; } catch (e) { /* keep the generic text */ }
      report(text, true);
      refresh();
      return null;
    }
    say("");
    refresh();
    return response;
  }

  function button(label, cls, onClick) {
    var b = el("button", cls, label);
    b.type = "button";
    b.addEventListener("click", onClick);
    return b;
  }

  // Re-render only what changed: replacing a row between a button's mousedown and mouseup loses the click.
  var shownQueue = "", shownPaused = "";

  function renderQueue(queue) {
    var key = queue.version + "|" + queue.upcoming.map(function (s) { return etaText(s.eta_seconds); }).join();
    if (key === shownQueue) return;
    shownQueue = key;
    var now = queue.now;
    document.getElementById("now").textContent =
      now ? now.singer.name + " — " + now.song.title + " · " + now.song.artist : "The stage is free.";
    document.getElementById("void").hidden = !now;
    var body = document.getElementById("queue");
    var last = queue.upcoming.length;
    var rows = queue.upcoming.map(function (slot) {
      var row = el("tr");
      row.dataset.requestId = slot.request_id;
      row.dataset.singerId = slot.singer.singer_id;
      row.appendChild(el("td", "pos", String(slot.position)));
      var who = el("td", "who");
      who.appendChild(el("span", "singer-name", slot.singer.name));
      row.appendChild(who);
      row.appendChild(el("td", "song", slot.song.title + " · " + slot.song.artist));
      row.appendChild(el("td", "eta", etaText(slot.eta_seconds)));
      var actions = el("td", "actions");
      var up = button("↑ Up", "move-up", function () {
        call("POST", "/requests/" + slot.request_id + "/move", {position: slot.position - 1});
      });
      up.disabled = slot.position <= 1;
      var down = button("↓ Down", "move-down", function () {
        call("POST", "/requests/" + slot.request_id + "/move", {position: slot.position + 1});
      });
      down.disabled = slot.position >= last;
      actions.appendChild(up);
      actions.appendChild(document.createTextNode(" "));
      actions.appendChild(down);
      actions.appendChild(document.createTextNode(" "));
      actions.appendChild(button("Pause", "pause", function () {
        call("POST", "/singers/" + slot.singer.singer_id + "/pause");
      }));
      actions.appendChild(document.createTextNode(" "));
      actions.appendChild(button("Remove", "danger remove", function () {
        call("DELETE", "/requests/" + slot.request_id);
      }));
      row.appendChild(actions);
      return row;
    });
    body.replaceChildren.apply(body, rows);
    document.getElementById("queue-empty").hidden = rows.length > 0;
    document.body.dataset.version = String(queue.version);
  }

  function renderPaused(singers) {
    var key = JSON.stringify(singers);
    if (key === shownPaused) return;
    shownPaused = key;
    var list = document.getElementById("paused");
    var items = singers.filter(function (s) { return s.paused; }).map(function (s) {
      var item = el("li");
      item.dataset.singerId = s.singer_id;
      item.appendChild(el("span", "singer-name wrap", s.name));
      item.appendChild(button("Resume", "resume", function () {
        call("POST", "/singers/" + s.singer_id + "/resume");
      }));
      return item;
    });
    list.replaceChildren.apply(list, items);
    document.getElementById("paused-empty").hidden = items.length > 0;
  }

  function renderSettings(settings) {
    var form = document.getElementById("settings");
    if (form.contains(document.activeElement) && document.activeElement.tagName !== "BUTTON") return;
    form.policy.value = settings.policy;
    NUMBERS.forEach(function (name) { form[name].value = String(settings[name]); });
    form.auto_skip.checked = settings.auto_skip;
  }

  // One request at a time: gentler on the server than three at once, and the page asks often.
  var refresh = refresher(async function () {
    var queue = await fetch(showUrl + "/queue", {cache: "no-store"});
    if (queue.ok) renderQueue(await queue.json());
    var singers = await fetch("/kj/" + encodeURIComponent(boot.code) + "/singers",
                              {cache: "no-store", credentials: "same-origin"});
    if (singers.ok) renderPaused((await singers.json()).items);
    var show = await fetch(showUrl, {cache: "no-store"});
    if (show.ok) renderSettings((await show.json()).settings);
  });

  document.querySelectorAll(".controls button").forEach(function (b) {
    b.addEventListener("click", function () { call("POST", "/" + b.dataset.action); });
  });
  document.getElementById("void").addEventListener("click", function () { call("POST", "/skip", {who: "now"}); });

  document.getElementById("settings").addEventListener("submit", function (event) {
    event.preventDefault();
    var form = event.target;
    var settings = {policy: form.policy.value, auto_skip: form.auto_skip.checked};
    NUMBERS.forEach(function (name) { settings[name] = parseInt(form[name].value, 10); });
    call("PATCH", "", {settings: settings}).then(function (ok) { if (ok) say("Settings saved."); });
  });

  // A walk-in: a name and a song, queued as the chat's /add does it (the show's singer who goes by that name,
  // else a new singer without a phone).
  var wName = document.getElementById("w-name"), wQuery = document.getElementById("w-q");
  var wStatus = document.getElementById("w-status"), wResults = document.getElementById("w-results");
  var wHint = wStatus.textContent, wLatest = 0, wTimer = null;

  function tellWalkIn(text, isError) {
    wStatus.textContent = text;
    wStatus.className = isError ? "error" : "muted";
  }

  function ordinal(n) {
    var tens = n % 100, ones = n % 10;
    if (tens >= 11 && tens <= 13) return n + "th";
    return n + (ones === 1 ? "st" : ones === 2 ? "nd" : ones === 3 ? "rd" : "th");
  }

  // The same key for a retry of the same name and song (safe: applied once), a new one otherwise.
  function newKey() {
    var bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return (b + 256).toString(16).slice(1); }).join("");
  }

  async function addWalkIn(song, add) {
    var name = wName.value.trim();
    if (!name) { tellWalkIn("Type their name first.", true); wName.focus(); return; }
    if (add.dataset.name !== name) { add.dataset.name = name; add.dataset.key = newKey(); }
    add.disabled = true;
    var response = await call("POST", "/requests", {singer: {name: name}, song_id: song.song_id},
                              {report: tellWalkIn, headers: {"Idempotency-Key": add.dataset.key}});
    if (!response) { add.disabled = false; return; }
    var added = await response.json();
    var where = added.position === null ? "on hold while they are paused"
      : added.position === 1 ? "next in line" : ordinal(added.position) + " in line";
    tellWalkIn("Queued " + song.title + " for " + added.singer.name + ": " + where +
               (added.already_sung_tonight ? " (sung once already tonight)." : "."));
    wName.value = "";
    wQuery.value = "";
    wLatest += 1;
    wResults.replaceChildren();
    wName.focus();
  }

  function renderWalkInResults(items) {
    var rows = items.map(function (song) {
      var item = el("li");
      var what = el("div", "what");
      what.appendChild(el("div", "song-title", song.title));
      what.appendChild(el("div", "song-artist", song.artist));
      item.appendChild(what);
      var add = button("Add", "primary add", function () { addWalkIn(song, add); });
      item.appendChild(add);
      return item;
    });
    wResults.replaceChildren.apply(wResults, rows);
  }

  async function searchWalkIn() {
    var q = wQuery.value.trim();
    var mine = ++wLatest;
    if (!q) { renderWalkInResults([]); tellWalkIn(wHint); return; }
    tellWalkIn("Searching…");
    try {
      var response = await fetch("/api/v1/songs/search?limit=8&q=" + encodeURIComponent(q));
      if (mine !== wLatest) return;
      if (response.status === 503) { tellWalkIn("The songbook is warming up; try again in a moment."); return; }
      if (!response.ok) { tellWalkIn("That search did not work; try other words."); return; }
      var items = (await response.json()).items;
      tellWalkIn(items.length ? "Add one for " + (wName.value.trim() || "them") + ":"
                              : "No song matched. Try the artist's name.");
      renderWalkInResults(items);
    } catch (e) {
      if (mine === wLatest) tellWalkIn("No connection; try again.", true);
    }
  }

  wQuery.addEventListener("input", function () {
    clearTimeout(wTimer);
    wTimer = setTimeout(searchWalkIn, 250);
  });
  document.getElementById("walk-in-form").addEventListener("submit", function (event) {
    event.preventDefault();
    if (document.activeElement === wName) wQuery.focus();
  });

  refresh();
  followShow(boot.show_id, function () { if (!writing) refresh(); }, function (live) { document.body.dataset.live = live ? "yes" : "no"; });
})();
