// Follow a show live: call onChange when the queue may have changed, and keep following across
// server restarts. EventSource reconnects by itself after a dropped stream; after an error answer
// (a proxy's 502 while the server restarts) it gives up, so then we open a new one ourselves.
function followShow(showId, onChange, onLive) {
  var source = null;
  function connect() {
    source = new EventSource("/api/v1/shows/" + encodeURIComponent(showId) + "/stream");
    // Whatever happened while we were away: refetch as soon as we are connected again.
    source.addEventListener("open", function () { onLive(true); onChange(); });
    source.addEventListener("queue", function () { onChange(); });
    source.addEventListener("error", function () {
      onLive(false);
      if (source.readyState === EventSource.CLOSED) {
        source.close();
        setTimeout(connect, 2000);
      }
    });
  }
  connect();
  // ETAs count down with the clock, not only with changes; and a safety net if a proxy eats the stream.
  setInterval(onChange, 30000);
}

// Coalesce refreshes: at most one fetch in flight, and one more after it if asked meanwhile.
function refresher(load) {
  var running = false, again = false;
  async function run() {
    if (running) { again = true; return; }
    running = true;
    try {
      do { again = false; await load(); } while (again);
    } catch (e) {
      // The next event or the periodic refresh tries again.
    } finally {
      running = false;
    }
  }
  return run;
}

function etaText(seconds) {
  return "in ~" + Math.max(1, Math.round(seconds / 60)) + " min";
}
