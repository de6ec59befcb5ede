// What was sung, kept live: on every change of the show (its stream), read its performances and who sings now.
(function () {
  var boot = JSON.parse(document.getElementById("boot").textContent);
  var api = "/api/v1/shows/" + encodeURIComponent(boot.show_id);

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  // The server writes times in UTC; the reader wants their own clock.
  function clock(iso) {
    var at = new Date(iso);
    return isNaN(at) ? "" : at.toLocaleTimeString([], {hour: "2-digit", minute: "2-digit"});
  }

  function localTimes() {
    document.querySelectorAll("time[datetime]").forEach(function (node) {
      var text = clock(node.getAttribute("datetime"));
      if (text) node.textContent = text;
    });
  }

  function summary(sung) {
    if (!sung.length) return "No songs yet";
    var singers = {};
    sung.forEach(function (p) { singers[p.singer.name] = true; });
    var people = Object.keys(singers).length;
    return sung.length + (sung.length === 1 ? " song" : " songs") + " by " + people +
      (people === 1 ? " singer" : " singers");
  }

  function row(p) {
    var item = el("li");
    var time = el("time", "", clock(p.started_at));
    time.setAttribute("datetime", p.started_at);
    item.appendChild(time);
    var who = el("span", "who wrap");
    who.appendChild(el("span", "singer", p.singer.name));
    var song = el("span", "song");
    song.appendChild(el("span", "title", p.song.title));
    song.appendChild(document.createTextNode(" · "));
    song.appendChild(el("span", "artist", p.song.artist));
    who.appendChild(song);
    item.appendChild(who);
    return item;
  }

  function render(performances, queue) {
    var sung = performances.items.filter(function (p) { return p.outcome === "sung"; });
    var list = document.getElementById("sung");
    list.replaceChildren.apply(list, sung.slice().reverse().map(row));
    document.getElementById("empty").hidden = sung.length > 0;
    document.getElementById("summary").textContent = summary(sung);
    document.getElementById("ended").hidden = !performances.closed;
    document.body.dataset.closed = performances.closed ? "yes" : "no";
    var now = performances.closed ? null : queue.now;
    document.getElementById("now").hidden = !now;
    document.getElementById("now-singer").textContent = now ? now.singer.name : "";
    document.getElementById("now-song").textContent = now ? now.song.title + " · " + now.song.artist : "";
    document.body.dataset.version = String(queue.version);
    document.body.dataset.sung = String(sung.length);
  }

  async function read(path) {
    var answer = await fetch(api + path, {cache: "no-store"});
    if (!answer.ok) throw new Error(path + " " + answer.status);
    return answer.json();
  }

  var load = refresher(async function () {
    // The queue first: the performances, read after it, are caught up at least as far as its version.
    var queue = await read("/queue");
    render(await read("/performances"), queue);
  });

  localTimes();
  followShow(boot.show_id, load, function (live) { document.body.dataset.live = live ? "yes" : "no"; });
})();
