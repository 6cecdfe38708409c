// index.js lists the live streams usher knows and links to their players.
(async function () {
  const list = document.getElementById('streams');
  const info = await fetch('/api/streams').then((r) => r.json()).catch(() => ({ streams: [] }));
  const streams = info.streams || [];
  list.innerHTML = '';
  if (streams.length === 0) {
    list.innerHTML = '<li class="muted">No live streams yet.</li>';
  }
  for (const s of streams) {
    const li = document.createElement('li');
    const modes = ['hls', 'dash', 'chunked'].map((m) => `<a href="/watch/${encodeURIComponent(s.name)}?mode=${m}">${m}</a>`).join(' · ');
    const rate = s.bitrate_mbps ? ` <span class="muted">${s.bitrate_mbps.toFixed(1)} Mbps</span>` : '';
    li.innerHTML = `<a class="name" href="/watch/${encodeURIComponent(s.name)}">${s.name}</a>${rate} <span class="modes">${modes}</span>`;
    list.appendChild(li);
  }
  const rtmp = info.rtmp || 'rtmp://127.0.0.1:1935/live';
  document.getElementById('ffmpeg').textContent =
    `ffmpeg -re -f lavfi -i testsrc2=size=1280x720:rate=30 -f lavfi -i sine \\\n` +
    `  -c:v libx264 -preset veryfast -tune zerolatency -g 30 -c:a aac \\\n` +
    `  -f flv "${rtmp}/NAME?key=KEY"`;
  document.getElementById('obs-server').textContent = rtmp;
})();
