// chunked.js is livetree's chunked low-latency mode: it fetches the segment
// being written with fetch() streaming and appends its bytes to Media Source
// Extensions as they arrive, keeping a buffer of about a tenth of a second.
// It reads the prft box in front of every chunk to map media time to the
// ingest wall clock, which is how latency behind live is measured.
(function () {
  const NTP_UNIX_OFFSET = 2208988800;
  const VIDEO_TIMESCALE = 90000; // the packager's fixed video timescale
  const TARGET_BUFFER = 0.12; // seconds kept ahead of the playhead

  // TopLevelBoxes walks a stream of concatenated top-level boxes split at
  // arbitrary byte boundaries and hands every prft box to onPrft.
  class TopLevelBoxes {
    constructor(onPrft) { this.onPrft = onPrft; this.skip = 0; this.want = 8; this.head = new Uint8Array(40); this.have = 0; }
    push(bytes) {
      let i = 0;
      while (i < bytes.length) {
        if (this.skip > 0) { const n = Math.min(this.skip, bytes.length - i); this.skip -= n; i += n; continue; }
        const n = Math.min(this.want - this.have, bytes.length - i);
        this.head.set(bytes.subarray(i, i + n), this.have);
        this.have += n; i += n;
        if (this.have < this.want) return;
        const view = new DataView(this.head.buffer);
        const size = view.getUint32(0);
        const type = String.fromCharCode(...this.head.subarray(4, 8));
        if (type === 'prft' && this.want === 8 && size <= this.head.length) { this.want = size; continue; }
        if (type === 'prft' && this.have === size) { this.onPrft(view); }
        this.skip = Math.max(0, size - this.have);
        this.want = 8; this.have = 0;
      }
    }
  }

  // Appender serialises appendBuffer calls on one SourceBuffer.
  class Appender {
    constructor(sb) { this.sb = sb; this.queue = []; sb.addEventListener('updateend', () => this.next()); }
    push(bytes) { this.queue.push(bytes); this.next(); }
    next() {
      if (this.sb.updating || this.queue.length === 0) return;
      try { this.sb.appendBuffer(this.queue.shift()); } catch (e) { console.warn('append', e); }
    }
  }

  function parseHint(playlist) {
    const m = /#EXT-X-PRELOAD-HINT:TYPE=PART,URI="([a-z]+)-([a-z2-7]+)-(\d+)\.(\d+)\.m4s/.exec(playlist);
    return m && { epoch: m[2], msn: Number(m[3]), part: Number(m[4]) };
  }

  async function start(video, base, query, stats) {
    const q = query ? '?' + query : '';
    const mappings = []; // {media, wall} from video prft boxes, oldest first
    const ms = new MediaSource();
    video.src = URL.createObjectURL(ms);
    await new Promise((resolve) => ms.addEventListener('sourceopen', resolve, { once: true }));

    const playlist = await fetch(base + 'video.m3u8' + q).then((r) => r.text());
    const hint = parseHint(playlist);
    if (!hint) throw new Error('no preload hint in the video playlist');
    const tracks = [{ kind: 'video', codec: /CODECS="(avc1[^",]*)/ }, { kind: 'audio', codec: /(mp4a[^",]*)/ }];
    const master = await fetch(base + 'index.m3u8' + q).then((r) => r.text());
    let epoch = hint.epoch;
    let msn = hint.part === 0 ? hint.msn - 1 : hint.msn;

    async function run(track) {
      const m = track.codec.exec(master);
      if (!m) return;
      const mime = `${track.kind}/mp4; codecs="${m[1]}"`;
      const appender = new Appender(ms.addSourceBuffer(mime));
      let cur = msn;
      let initFor = '';
      for (;;) {
        if (initFor !== epoch) {
          const init = await fetch(`${base}${track.kind}-${epoch}-init.mp4${q}`);
          if (!init.ok) throw new Error(`init ${init.status}`);
          appender.push(new Uint8Array(await init.arrayBuffer()));
          initFor = epoch;
        }
        const res = await fetch(`${base}${track.kind}-${epoch}-${cur}.m4s${q}`);
        if (!res.ok) {
          // The publisher came back as a new epoch, or we fell out of the
          // window: find the live edge again.
          const h = parseHint(await fetch(base + 'video.m3u8' + q).then((r) => r.text()));
          if (h) { epoch = h.epoch; cur = h.part === 0 ? h.msn - 1 : h.msn; }
          await new Promise((r) => setTimeout(r, 100));
          continue;
        }
        stats.edge = stats.edge || res.headers.get('X-Livetree-Hop');
        const boxes = new TopLevelBoxes((view) => {
          if (track.kind !== 'video') return;
          const ntp = view.getUint32(16) + view.getUint32(20) / 4294967296;
          const media = Number(view.getBigUint64(24)) / VIDEO_TIMESCALE;
          mappings.push({ media, wall: (ntp - NTP_UNIX_OFFSET) * 1000 });
          if (mappings.length > 600) mappings.splice(0, 300);
        });
        const reader = res.body.getReader();
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          stats.bytes += value.length;
          boxes.push(value);
          appender.push(value);
        }
        cur++;
      }
    }
    tracks.forEach((t) => run(t).catch((e) => { stats.errors.push(String(e)); console.error(e); }));

    // Steer the playhead: jump to the live edge once, then trim the buffer
    // with small playback-rate changes rather than seeks.
    let seeked = false;
    setInterval(() => {
      const b = video.buffered;
      if (b.length === 0) return;
      const end = b.end(b.length - 1);
      const ahead = end - video.currentTime;
      if (!seeked || ahead > 1.5) { video.currentTime = Math.max(b.start(b.length - 1), end - TARGET_BUFFER); seeked = true; video.play().catch(() => {}); return; }
      video.playbackRate = ahead > TARGET_BUFFER * 2 ? 1.08 : ahead < TARGET_BUFFER / 2 ? 0.95 : 1;
    }, 100);

    return {
      // ingestTimeMs returns the ingest wall clock of the frame on screen.
      ingestTimeMs() {
        const t = video.currentTime;
        let best = null;
        for (let i = mappings.length - 1; i >= 0; i--) { if (mappings[i].media <= t) { best = mappings[i]; break; } }
        return best ? best.wall + (t - best.media) * 1000 : null;
      },
    };
  }

  window.livetreeChunked = { start, TopLevelBoxes };
})();
