(function () {
  var input = document.getElementById("q");
  var status = document.getElementById("status");
  var results = document.getElementById("results");
  var latest = 0, timer = null, items = [];

  function platform() {
    return document.querySelector("input[name=platform]:checked").value;
  }

  function command(song) {
    var words = song.title + " " + song.artist;
    return (platform() === "slack" ? "/karaoke request " : "/request ") + words;
  }

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  async function copy(text) {
    // The clipboard API needs a secure context; a phone on the venue's plain-HTTP address is not one.
    if (navigator.clipboard && window.isSecureContext) {
      await navigator.clipboard.writeText(text);
      return;
    }
    var area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.style.position = "fixed";
    area.style.opacity = "0";
    document.body.appendChild(area);
    area.select();
    document.execCommand("copy");
    area.remove();
  }

  function render() {
    var rows = items.map(function (song) {
      var item = el("li");
      item.appendChild(el("div", "song-title", song.title));
      item.appendChild(el("div", "song-artist", song.artist));
      var line = el("div", "request");
      var text = command(song);
      line.appendChild(el("span", "cmd", text));
      var b = el("button", "copy", "Copy");
      b.type = "button";
      b.addEventListener("click", function () {
        copy(text).then(function () { b.textContent = "Copied!"; }, function () { b.textContent = "Copy failed"; });
        setTimeout(function () { b.textContent = "Copy"; }, 2000);
      });
      line.appendChild(b);
      item.appendChild(line);
      return item;
    });
    results.replaceChildren.apply(results, rows);
  }

  async function search() {
    var q = input.value.trim();
    var mine = ++latest;
    if (!q) { items = []; render(); status.textContent = "Type a song or an artist; typos are fine."; return; }
    status.textContent = "Searching…";
    try {
      var response = await fetch("/api/v1/songs/search?limit=20&q=" + encodeURIComponent(q));
      if (mine !== latest) return;
      if (response.status === 503) { status.textContent = "The songbook is warming up; try again in a moment."; return; }
      if (!response.ok) { status.textContent = "That search did not work; try other words."; return; }
      items = (await response.json()).items;
      status.textContent = items.length ? "Send the command to the bot to sign up:" : "No song matched. Try the artist's name.";
      render();
    } catch (e) {
      if (mine === latest) status.textContent = "No connection; try again.";
    }
  }

  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(search, 250);
  });
  document.querySelectorAll("input[name=platform]").forEach(function (radio) {
    radio.addEventListener("change", render);
  });
  // "Popular here": a song pressed is looked up, so its request command shows for the chosen chat.
  document.querySelectorAll("button.popular-song").forEach(function (button) {
    button.addEventListener("click", function () {
      input.value = button.dataset.query;
      clearTimeout(timer);
      search();
      input.scrollIntoView({block: "start"});
    });
  });
})();
