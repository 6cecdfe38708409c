// play.mjs opens livetree's player page in headless Chromium (Debian's
// binary, driven by playwright-core), lets it play, and prints what the page
// measured as one JSON object on stdout. The Go browser tests run it and
// judge the figures.
//
// usage: node play.mjs URL SECONDS [SCREENSHOT.png]
import { chromium } from 'playwright-core';

const [url, secondsArg, screenshot] = process.argv.slice(2);
const seconds = Number(secondsArg || 20);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: [
    '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
    '--autoplay-policy=no-user-gesture-required',
  ],
});
const errors = [];
try {
  const page = await browser.newPage({ viewport: { width: 1360, height: 640 } });
  page.on('pageerror', (e) => errors.push(`page: ${e.message}`));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(`console: ${m.text()}`); });
  await page.goto(url);
  const snap = () => page.evaluate(() => {
    const s = window.livetree;
    return s && { started: s.started, currentTime: s.currentTime, decodedFrames: s.decodedFrames, stalls: s.stalls,
      stallMs: s.stallMs, buffer: s.buffer, edge: s.edge, ttffMs: s.ttffMs, bytes: s.bytes, errors: s.errors };
  });
  const samples = [];
  const t0 = Date.now();
  while (Date.now() - t0 < seconds * 1000) {
    await page.waitForTimeout(500);
    samples.push({ at: Date.now() - t0, ...(await snap()) });
  }
  const latencies = await page.evaluate(() => (window.livetree ? window.livetree.latencies : []));
  const events = await page.evaluate(() => (window.livetree ? window.livetree.events : []));
  if (screenshot) await page.screenshot({ path: screenshot });
  console.log(JSON.stringify({ samples, latencies, events, errors }));
} finally {
  await browser.close();
}
