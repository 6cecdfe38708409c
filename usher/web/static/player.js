// player.js plays a stream through usher's redirect in one of four modes
// (hls.js, dash.js, chunked, or the browser's native HLS) and shows live
// figures. window.livetree exposes the same figures to the browser tests.
(function () {
  const video = document.getElementById('video');
  const params = new URLSearchParams(location.search);
  const stream = decodeURIComponent(location.pathname.split('/').filter(Boolean)[1] || '');
  const nativeHLS = video.canPlayType('application/vnd.apple.mpegurl') !== '';
  const mse = 'MediaSource' in window || 'ManagedMediaSource' in window;
  const mode = params.get('mode') || (!mse && nativeHLS ? 'native' : 'hls');
  const t0 = performance.now();
  const stats = (window.livetree = {
    stream, mode, started: false, ttffMs: null, stalls: 0, stallMs: 0, latencies: [],
    edge: null, bytes: 0, errors: [], decodedFrames: 0, currentTime: 0, buffer: 0,
    events: [], // recent player warnings and stalls, for a test that fails to show
  });
  const note = (what) => {
    stats.events.push(`${Math.round(performance.now() - t0)} ms: ${what}`);
    if (stats.events.length > 100) stats.events.shift();
  };
  const $ = (id) => document.getElementById(id);
  const setStatus = (s) => { $('status').textContent = s; };

  document.title = `livetree — ${stream}`;
  $('title').textContent = stream;
  $('mode').textContent = mode;
  $('modes').innerHTML = ['hls', 'dash', 'chunked', 'native']
    .map((m) => `<a href="?mode=${m}"${m === mode ? ' class="on"' : ''}>${m}</a>`).join('');

  // The server clock, not the browser's, is the reference for latency:
  // serverNow() = Date.now() + clockOffset, from the lowest-RTT of a few probes.
  let clockOffset = 0;
  async function syncClock(timeURL) {
    let best = Infinity;
    for (let i = 0; i < 5; i++) {
      const sent = Date.now();
      const text = await fetch(timeURL, { cache: 'no-store' }).then((r) => r.text()).catch(() => null);
      const got = Date.now();
      const server = text && Date.parse(text.trim());
      if (server && got - sent < best) { best = got - sent; clockOffset = server - (sent + got) / 2; }
    }
  }
  const serverNow = () => Date.now() + clockOffset;

  // resolve follows usher's 302 and returns the edge URL it chose (with the
  // playback token), so the player then talks to that edge directly.
  async function resolve(file) {
    const res = await fetch(`/live/${encodeURIComponent(stream)}/${file}`, { cache: 'no-store' });
    if (!res.ok) throw new Error(`usher answered ${res.status} for ${file}`);
    stats.edge = res.headers.get('X-Livetree-Hop') || new URL(res.url).host;
    return res.url;
  }

  let ingestTimeMs = () => null;

  async function startHLS() {
    const url = await resolve('index.m3u8');
    if (!window.Hls || !Hls.isSupported()) { video.src = url; return nativeClock(); }
    // hls.js's own catch-up only speeds up with more than a second
    // buffered, so it would settle near a second behind; steer() does it.
    const hls = new Hls({ lowLatencyMode: true, backBufferLength: 4, maxLiveSyncPlaybackRate: 1, debug: params.has('debug') });
    hls.on(Hls.Events.FRAG_LOADED, (_, d) => { stats.bytes += (d.part || d.frag).stats.loaded || 0; });
    hls.on(Hls.Events.ERROR, (_, d) => {
      if (d.fatal) stats.errors.push(`hls.js: ${d.details}`);
      else note(`hls.js ${d.details}${d.frag ? ` sn ${d.frag.sn}` : ''}${d.part ? ` part ${d.part.index}` : ''}`);
    });
    hls.loadSource(url);
    hls.attachMedia(video);
    ingestTimeMs = () => (hls.playingDate ? hls.playingDate.getTime() : null);
    steer(HLS_TARGET_MS);
  }

  // HLS_TARGET_MS is the latency hls.js is steered to: three 200 ms parts
  // behind live, as PART-HOLD-BACK says, leaves it 0.3–0.5 s of buffer.
  const HLS_TARGET_MS = 600;

  // steer plays faster, within limits, while the latency behind live is
  // over targetMs and the buffer can afford it, and at normal speed
  // otherwise. It never slows playback down: a low buffer is the player's
  // to refill, and slowing would only add latency.
  function steer(targetMs) {
    setInterval(() => {
      const ingest = ingestTimeMs();
      if (!ingest || !stats.started || video.paused) return;
      const over = serverNow() - ingest - targetMs;
      const b = video.buffered;
      const buffer = b.length ? b.end(b.length - 1) - video.currentTime : 0;
      let rate = 1;
      if (over > 40 && buffer > 0.3) rate = over > 400 ? 1.2 : 1.08;
      if (video.playbackRate !== rate) video.playbackRate = rate;
    }, 100);
  }

  async function startDASH() {
    // Simple addressing numbers live segments by the clock, so dash.js asks
    // for the next one when it is due instead of after an MPD refresh that
    // lists it; the default SegmentTimeline suits clients like ffmpeg.
    const resolved = new URL(await resolve('manifest.mpd'));
    resolved.searchParams.set('addressing', 'simple');
    const url = resolved.toString();
    const player = dashjs.MediaPlayer().create();
    player.updateSettings({
      debug: { logLevel: params.has('debug') ? dashjs.Debug.LOG_LEVEL_DEBUG : dashjs.Debug.LOG_LEVEL_WARNING },
      streaming: {
        delay: { liveDelay: 0.6 },
        // Gentle catch-up: a fast playback rate would drain the short
        // buffer a 0.6 s delay leaves.
        liveCatchup: { enabled: true, maxDrift: 1.5, playbackRate: { min: -0.05, max: 0.05 } },
      },
    });
    player.on(dashjs.MediaPlayer.events.FRAGMENT_LOADING_COMPLETED, (e) => {
      stats.bytes += (e.response && e.response.byteLength) || 0;
    });
    player.on(dashjs.MediaPlayer.events.ERROR, (e) => stats.errors.push(`dash.js: ${JSON.stringify(e.error || e)}`));
    player.initialize(video, url, true);
    ingestTimeMs = () => { const t = player.timeAsUTC(); return t ? t * 1000 : null; };
  }

  async function startChunked() {
    const url = await resolve('index.m3u8');
    const u = new URL(url);
    const base = u.origin + u.pathname.replace(/[^/]*$/, '');
    const c = await window.livetreeChunked.start(video, base, u.searchParams.toString(), stats);
    ingestTimeMs = c.ingestTimeMs;
  }

  function nativeClock() {
    ingestTimeMs = () => {
      const d = video.getStartDate && video.getStartDate();
      return d && !isNaN(d.getTime()) ? d.getTime() + video.currentTime * 1000 : null;
    };
  }

  async function startNative() {
    video.src = await resolve('index.m3u8');
    nativeClock();
  }

  video.addEventListener('playing', () => {
    if (!stats.started) { stats.started = true; stats.ttffMs = Math.round(performance.now() - t0); $('ttff').textContent = `${stats.ttffMs} ms`; }
    setStatus('playing');
  });
  let stallStart = 0;
  video.addEventListener('waiting', () => {
    if (!stats.started) return;
    stats.stalls++; stallStart = performance.now(); setStatus('stalled'); $('stalls').textContent = stats.stalls;
    const b = video.buffered;
    note(`stall at ${video.currentTime.toFixed(3)} s, buffered ${[...Array(b.length).keys()].map((i) => `${b.start(i).toFixed(3)}-${b.end(i).toFixed(3)}`).join(' ') || 'nothing'}`);
  });
  video.addEventListener('timeupdate', () => {
    if (stallStart) { stats.stallMs += performance.now() - stallStart; stallStart = 0; }
  });

  let lastBytes = 0;
  let lastTick = performance.now();
  setInterval(() => {
    const now = performance.now();
    stats.currentTime = video.currentTime;
    const q = video.getVideoPlaybackQuality ? video.getVideoPlaybackQuality() : null;
    stats.decodedFrames = q ? q.totalVideoFrames : 0;
    const b = video.buffered;
    stats.buffer = b.length ? Math.max(0, b.end(b.length - 1) - video.currentTime) : 0;
    $('buffer').textContent = `${(stats.buffer * 1000).toFixed(0)} ms`;
    const ingest = ingestTimeMs();
    if (ingest && stats.started && !video.paused) {
      const latency = serverNow() - ingest;
      stats.latencies.push(latency);
      if (stats.latencies.length > 2400) stats.latencies.splice(0, 1200);
      const el = $('latency');
      el.textContent = `${(latency / 1000).toFixed(3)} s`;
      el.classList.toggle('slow', latency > 1000);
      $('ingest').textContent = new Date(ingest).toISOString().slice(11, 23) + ' UTC';
    }
    if (now - lastTick >= 1000) {
      $('bitrate').textContent = `${(((stats.bytes - lastBytes) * 8) / ((now - lastTick) / 1000) / 1e6).toFixed(2)} Mbps`;
      lastBytes = stats.bytes; lastTick = now;
    }
    $('edge').textContent = stats.edge || '–';
  }, 250);

  (async function main() {
    try {
      const starts = { hls: startHLS, dash: startDASH, chunked: startChunked, native: startNative };
      if (!starts[mode]) throw new Error(`unknown mode ${mode}`);
      await starts[mode]();
      // usher's /time is the reference clock; the fleet keeps its servers'
      // clocks in step (NTP), so any of them would do.
      await syncClock('/time');
      setInterval(() => syncClock('/time'), 30000);
      video.play().catch(() => {});
    } catch (e) {
      stats.errors.push(String(e));
      setStatus(String(e));
    }
  })();
})();
