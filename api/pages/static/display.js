(function () {
  var boot = JSON.parse(document.getElementById("boot").textContent);
  var onScreen = 5;

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  var shown = "";

  function render(queue) {
    var key = queue.version + "|" + queue.upcoming.map(function (s) { return etaText(s.eta_seconds); }).join();
    if (key === shown) return;
    shown = key;
    var now = queue.now;
    document.getElementById("now").hidden = !now;
    document.getElementById("idle").hidden = !!now;
    document.getElementById("now-singer").textContent = now ? now.singer.name : "";
    document.getElementById("now-title").textContent = now ? now.song.title : "";
    document.getElementById("now-artist").textContent = now ? now.song.artist : "";
    var list = document.getElementById("upcoming");
    var rows = queue.upcoming.slice(0, onScreen).map(function (slot) {
      var row = el("li", "next");
      row.appendChild(el("span", "pos", String(slot.position)));
      var who = el("span", "who fit");
      who.appendChild(el("span", "singer", slot.singer.name));
      var song = el("span", "song");
      song.appendChild(el("span", "title", slot.song.title));
      song.appendChild(document.createTextNode(" · "));
      song.appendChild(el("span", "artist", slot.song.artist));
      who.appendChild(song);
      row.appendChild(who);
      row.appendChild(el("span", "eta", etaText(slot.eta_seconds)));
      return row;
    });
    list.replaceChildren.apply(list, rows);
    document.getElementById("no-upcoming").hidden = rows.length > 0;
    fitAll();
    document.body.dataset.version = String(queue.version);
  }

  // Shrink a name or title until it fits its line, but not below --fit-min of its size; then let it wrap.
  function fit(node) {
    node.style.fontSize = "";
    node.style.whiteSpace = "nowrap";
    var width = node.clientWidth;
    if (node.scrollWidth > width && width > 0) {
      var base = parseFloat(getComputedStyle(node).fontSize);
      var least = base * (parseFloat(getComputedStyle(node).getPropertyValue("--fit-min")) || 0.5);
      var size = Math.max(least, base * width / node.scrollWidth);
      node.style.fontSize = size + "px";
      // Text does not scale exactly with its size (hinting, rounding): tighten until it fits.
      while (node.scrollWidth > width && size > least) {
        size = Math.max(least, size * 0.97);
        node.style.fontSize = size + "px";
      }
    }
    node.style.whiteSpace = node.scrollWidth > width ? "" : "nowrap";
  }

  function fitAll() {
    document.querySelectorAll(".fit").forEach(fit);
    // On a wall screen nothing scrolls: rather one waiting singer fewer than a row cut in half.
    var rows = document.querySelectorAll("#upcoming li");
    rows.forEach(function (row) { row.hidden = false; });
    if (!window.matchMedia("(orientation: portrait)").matches) {
      for (var last = rows.length - 1; last > 0; last--) {
        if (rows[last].getBoundingClientRect().bottom <= window.innerHeight) break;
        rows[last].hidden = true;
      }
    }
    document.body.dataset.fitted = String(Number(document.body.dataset.fitted || 0) + 1);
  }

  var refitting = null;
  window.addEventListener("resize", function () {
    clearTimeout(refitting);
    refitting = setTimeout(fitAll, 100);
  });
  // A web font or a CJK fallback face loading late changes every width.
  if (document.fonts) document.fonts.ready.then(fitAll);

  var refresh = refresher(async function () {
    var response = await fetch("/api/v1/shows/" + encodeURIComponent(boot.show_id) + "/queue", {cache: "no-store"});
    if (response.ok) render(await response.json());
  });

  render(boot.queue);
  followShow(boot.show_id, refresh, function (live) { document.body.dataset.live = live ? "yes" : "no"; });
})();
