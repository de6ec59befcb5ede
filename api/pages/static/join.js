// The web way in: join with a name, search, request, see "my songs" live, cancel, say "On my way"; sing again
// what you sang on earlier nights, keep favourites, and link this page to your chat account with a /link code.
// Everything goes through /api/v1/join/{code}; the session is an HttpOnly cookie this script never sees.
(function () {
  var boot = JSON.parse(document.getElementById("boot").textContent);
  var api = "/api/v1/join/" + encodeURIComponent(boot.code);
  var $ = function (id) { return document.getElementById(id); };
  var me = null, renaming = false, said = 0, latest = 0, timer = null, alerted = {}, audio = null, onWay = {};
  // Favourites by song id (the stars), and whether the regulars' lists were loaded for this person yet.
  var favIds = {}, regularsLoaded = false;

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function ordinal(n) {
    var tens = n % 100, ones = n % 10;
    if (tens >= 11 && tens <= 13) return n + "th";
    return n + (ones === 1 ? "st" : ones === 2 ? "nd" : ones === 3 ? "rd" : "th");
  }

  function wait(seconds) {
    return seconds < 30 ? "any moment now" : etaText(seconds);
  }

  async function problem(response) {
    try {
      var body = await response.json();
      var fields = (body.error.details && body.error.details.fieldErrors) || [];
      if (fields.length && response.status === 400) return "That name won't do: " + fields[0].reason + ".";
      return body.error.message;
    } catch (e) {
      return "That did not work; try again.";
    }
  }

  // What an action answered stays a while; once the show moved on, the line goes back to its hint.
  function tell(text) {
    $("status").textContent = text;
    said = Date.now();
  }

  function show(state) {
    document.body.dataset.state = state;
    $("join").hidden = state !== "join";
    $("singer").hidden = state !== "singer";
  }

  // Sound needs a tap first on phones: the first tap on the page makes the audio context ready.
  function unlockSound() {
    if (audio || !(window.AudioContext || window.webkitAudioContext)) return;
    try { audio = new (window.AudioContext || window.webkitAudioContext)(); } catch (e) { audio = null; }
  }
  document.addEventListener("click", unlockSound, {capture: true});
  document.addEventListener("keydown", unlockSound, {capture: true});

  function beep() {
    if (!audio) return;
    try {
      if (audio.state === "suspended") audio.resume();
      [0, 0.25].forEach(function (at) {
        var tone = audio.createOscillator(), gain = audio.createGain();
        tone.frequency.value = 880;
        gain.gain.setValueAtTime(0.25, audio.currentTime + at);
        gain.gain.exponentialRampToValueAtTime(0.001, audio.currentTime + at + 0.2);
        tone.connect(gain); gain.connect(audio.destination);
        tone.start(audio.currentTime + at); tone.stop(audio.currentTime + at + 0.2);
      });
    } catch (e) { /* no sound here */ }
  }

  function alertOnce(requestId) {
    if (alerted[requestId]) return;
    alerted[requestId] = true;
    if (navigator.vibrate) navigator.vibrate([300, 150, 300]);
    beep();
    document.body.dataset.alerted = String(Number(document.body.dataset.alerted || 0) + 1);
  }

  function renderCalled(data) {
    var box = $("called"), text = $("called-text"), now = data.singing_now;
    var next = data.requests.filter(function (r) { return r.position === 1; })[0];
    var called = now || next;
    box.hidden = !called || data.status === "closed";
    document.title = (called ? (now ? "🎤 You're up! · " : "🎤 You're next! · ") : "") + "Sing · " + data.show_name;
    if (!called) return;
    box.dataset.requestId = called.request_id;
    box.classList.toggle("done", !!onWay[called.request_id]);
    if (onWay[called.request_id]) text.textContent = "See you at the stage!";
    else if (now) text.textContent = "You're up: " + now.song.title + "! Head to the stage.";
    else text.textContent = "You're next: " + next.song.title + ", " + wait(next.eta_seconds) + ". Make your way to the stage.";
    if (!now) alertOnce(next.request_id);
  }

  function render(data) {
    me = data;
    if (!renaming) show("singer");
    $("me-name").textContent = data.name;
    var notice = $("notice");
    var over = data.status === "closed", blocked = data.blocked;
    notice.hidden = !over && !blocked;
    notice.textContent = over ? "This show is over. Thanks for singing!" : blocked ? "The KJ isn't taking songs from you tonight." : "";
    $("finder").hidden = over || blocked;
    document.body.dataset.canSing = over || blocked ? "no" : "yes";
    if (!regularsLoaded) { regularsLoaded = true; loadRegulars(); }
    if (said && Date.now() - said > 8000) { said = 0; $("status").textContent = "Type a song or an artist; typos are fine."; }
    renderCalled(data);
    var rows = data.requests.map(function (own) {
      var item = el("li", own.position === 1 ? "next" : "");
      item.dataset.requestId = own.request_id;
      var what = el("div", "what");
      what.appendChild(el("div", "song-title", own.song.title));
      what.appendChild(el("div", "song-artist", own.song.artist));
      var where = own.position === null ? "On hold: the KJ paused you"
        : own.position === 1 ? "You're next, " + wait(own.eta_seconds)
        : ordinal(own.position) + " in line, " + wait(own.eta_seconds);
      what.appendChild(el("div", "where", where));
      item.appendChild(what);
      if (!over) {
        var cancel = el("button", "danger", "Cancel");
        cancel.type = "button";
        cancel.addEventListener("click", function () { withdraw(own, cancel); });
        item.appendChild(cancel);
      }
      return item;
    });
    var list = $("mine");
    list.replaceChildren.apply(list, rows);
    $("none").hidden = rows.length > 0 || !!data.singing_now;
    document.body.dataset.version = String(Number(document.body.dataset.version || 0) + 1);
  }

  var refresh = refresher(async function () {
    var response = await fetch(api + "/me", {cache: "no-store"});
    if (response.status === 401) { show("join"); return; }
    if (response.ok) render(await response.json());
  });

  async function withdraw(own, button) {
    button.disabled = true;
    var response = await fetch(api + "/requests/" + encodeURIComponent(own.request_id), {method: "DELETE"});
    if (!response.ok && response.status !== 409) tell(await problem(response));
    else tell("Cancelled " + own.song.title + ".");
    await refresh();
  }

  $("on-my-way").addEventListener("click", async function () {
    var id = $("called").dataset.requestId;
    var response = await fetch(api + "/requests/" + encodeURIComponent(id) + "/on-my-way", {method: "POST"});
    if (response.ok) onWay[id] = true;
    else tell(await problem(response));
    await refresh();
  });

  $("join-form").addEventListener("submit", async function (event) {
    event.preventDefault();
    var error = $("join-error");
    var name = $("name").value;
    if (!name.trim()) { error.textContent = "Tell us a name first."; error.hidden = false; return; }
    $("join-button").disabled = true;
    try {
      var response = await fetch(api, {method: "POST", headers: {"Content-Type": "application/json"},
                                       body: JSON.stringify({name: name})});
      if (!response.ok) { error.textContent = await problem(response); error.hidden = false; return; }
      error.hidden = true;
      renaming = false;
      regularsLoaded = false;  // a new browser may be a new person
      await refresh();
      $("q").focus();
    } catch (e) {
      error.textContent = "No connection; try again."; error.hidden = false;
    } finally {
      $("join-button").disabled = false;
    }
  });

  $("rename").addEventListener("click", function () {
    $("name").value = me ? me.name : "";
    renaming = true;
    show("join");
    $("name").focus();
  });

  async function request(song, button) {
    button.disabled = true;
    try {
      var response = await fetch(api + "/requests", {method: "POST", headers: {"Content-Type": "application/json"},
                                                     body: JSON.stringify({song_id: song.song_id})});
      if (!response.ok) { tell(await problem(response)); button.disabled = false; return; }
      var queued = await response.json();
      // The place itself lives under "My songs", kept true over the show's stream; this line would go stale.
      tell("Queued " + song.title + ". Your place is under My songs, kept up to date.");
      button.textContent = "Queued";
      await refresh();
    } catch (e) {
      tell("No connection; try again."); button.disabled = false;
    }
  }

  // A song as a row: title and artist, a one-tap "Sing this" and a star (keep or drop it as a favourite).
  function songItem(song) {
    var item = el("li");
    var what = el("div", "what");
    what.appendChild(el("div", "song-title", song.title));
    what.appendChild(el("div", "song-artist", song.artist));
    item.appendChild(what);
    var star = el("button", "star");
    star.type = "button";
    star.dataset.songId = song.song_id;
    star.dataset.title = song.title;
    paintStar(star);
    star.addEventListener("click", function () { toggleFavourite(song, star); });
    var sing = el("button", "primary sing", "Sing this");
    sing.type = "button";
    sing.addEventListener("click", function () { request(song, sing); });
    item.appendChild(sing);
    item.appendChild(star);
    return item;
  }

  function paintStar(star) {
    var on = !!favIds[star.dataset.songId];
    star.textContent = on ? "★" : "☆";
    star.setAttribute("aria-pressed", on ? "true" : "false");
    star.setAttribute("aria-label", (on ? "Drop from favourites: " : "Keep as a favourite: ") + star.dataset.title);
    star.title = on ? "One of your favourites (tap to drop it)" : "Keep as a favourite";
  }

  function renderResults(items) {
    var results = $("results");
    results.replaceChildren.apply(results, items.map(songItem));
  }

  function renderList(box, list, songs) {
    $(list).replaceChildren.apply($(list), songs.map(songItem));
    $(box).hidden = songs.length === 0;
  }

  // The person's favourites and the songs they sang on earlier nights (their linked accounts' too).
  var loadRegulars = refresher(async function () {
    var favs = await fetch(api + "/favourites", {cache: "no-store"});
    if (!favs.ok) return;
    var songs = (await favs.json()).items;
    favIds = {};
    songs.forEach(function (song) { favIds[song.song_id] = true; });
    document.querySelectorAll("button.star").forEach(paintStar);
    renderList("favs-box", "favs", songs);
    var again = await fetch(api + "/again", {cache: "no-store"});
    if (again.ok) renderList("again-box", "again", (await again.json()).items.map(function (p) { return p.song; }));
    document.querySelectorAll("button.star").forEach(paintStar);
    document.body.dataset.regulars = String(Number(document.body.dataset.regulars || 0) + 1);
  });

  async function toggleFavourite(song, star) {
    var on = !!favIds[song.song_id];
    star.disabled = true;
    try {
      var response = await fetch(api + "/favourites/" + encodeURIComponent(song.song_id), {method: on ? "DELETE" : "PUT"});
      if (!response.ok && !(on && response.status === 404)) { tell(await problem(response)); return; }
      if (on) delete favIds[song.song_id]; else favIds[song.song_id] = true;
      document.querySelectorAll("button.star").forEach(paintStar);
      tell(on ? song.title + " is no longer a favourite." : "★ Kept " + song.title + " in your favourites.");
      await loadRegulars();
    } catch (e) {
      tell("No connection; try again.");
    } finally {
      star.disabled = false;
    }
  }

  $("link-form").addEventListener("submit", async function (event) {
    event.preventDefault();
    var status = $("link-status"), typed = $("link-code").value.trim();
    if (!typed) { status.textContent = "Type the code the bot gave you first."; status.className = "error"; return; }
    $("link-button").disabled = true;
    try {
      var response = await fetch(api + "/link", {method: "POST", headers: {"Content-Type": "application/json"},
                                                 body: JSON.stringify({link_code: typed})});
      if (!response.ok) { status.textContent = await problem(response); status.className = "error"; return; }
      status.textContent = (await response.json()).message;
      status.className = "done";
      $("link-code").value = "";
      await refresh();
      await loadRegulars();
    } catch (e) {
      status.textContent = "No connection; try again."; status.className = "error";
    } finally {
      $("link-button").disabled = false;
    }
  });

  async function search() {
    var q = $("q").value.trim(), status = $("status");
    var mine = ++latest;
    if (!q) { renderResults([]); status.textContent = "Type a song or an artist; typos are fine."; return; }
    status.textContent = "Searching…";
    try {
      var response = await fetch("/api/v1/songs/search?limit=15&q=" + encodeURIComponent(q));
      if (mine !== latest) return;
      if (response.status === 503) { status.textContent = "The songbook is warming up; try again in a moment."; return; }
      if (!response.ok) { status.textContent = "That search did not work; try other words."; return; }
      var items = (await response.json()).items;
      status.textContent = items.length ? "Tap one to sing it:" : "No song matched. Try the artist's name.";
      renderResults(items);
    } catch (e) {
      if (mine === latest) status.textContent = "No connection; try again.";
    }
  }

  $("q").addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(search, 250);
  });

  refresh();
  followShow(boot.show_id, refresh, function (live) { document.body.dataset.live = live ? "yes" : "no"; });
})();
