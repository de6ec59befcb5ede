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
  // the request comes from our own page.
  async function call(method, path, body) {
    var options = {method: method, credentials: "same-origin", headers: {"X-Karaoke-CSRF": "1"}};
    if (body !== undefined) {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    var response;
    writing += 1;
    try {
      response = await fetch(showUrl + path, options);
    } catch (e) {
      say("No connection to the server; try again.", true);
      return null;
    } finally {
      writing -= 1;
    }
    if (response.status === 401) {
      say("Your session has ended. Reload the page and log in again.", true);
      return null;
    }
    if (!response.ok) {
      var text = "That did not work (" + response.status + ").";
      try { text = (await response.json()).error.message; } catch (e) { /* keep the generic text */ }
      say(text, true);
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

  refresh();
  followShow(boot.show_id, function () { if (!writing) refresh(); }, function (live) { document.body.dataset.live = live ? "yes" : "no"; });
})();
