// `make bench` (UI): how long from a POST to the row showing in an open notifications page, in
// headless Chromium, and how big the release bundle is. Writes the "ui" section of BENCHMARKS.md.
// Expects a running release server: HERALD_BENCH_URL, HERALD_BENCH_SERVICE_TOKEN.
import { readFileSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { chromium } from 'playwright-core';

const base = process.env.HERALD_BENCH_URL;
const token = process.env.HERALD_BENCH_SERVICE_TOKEN;
const user = 'user:default/tester-20';
const SAMPLES = 60;

const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync'],
});
const page = await browser.newPage({ baseURL: base });
const signIn = await page.request.post('/api/auth/guest/sign-in', { data: { user } });
if (!signIn.ok()) throw new Error(`sign-in failed: ${signIn.status()}`);
await page.goto('/notifications?view=all&size=20');
await page.waitForSelector('body[data-hydrated]');
await page.waitForTimeout(1500); // the signal socket connects

const samples = [];
for (let i = 0; i < SAMPLES; i++) {
  const elapsed = await page.evaluate(async ({ title, token, user }) => {
    const shown = new Promise((resolve) => {
      const look = () => [...document.querySelectorAll('[data-testid=notification-row]')].some((r) => r.textContent.includes(title));
      const observer = new MutationObserver(() => {
        if (look()) {
          observer.disconnect();
          requestAnimationFrame(() => resolve(performance.now()));
        }
      });
      observer.observe(document.body, { subtree: true, childList: true, characterData: true });
    });
    const started = performance.now();
    await fetch('/api/notifications/notifications', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ recipients: { type: 'entity', entityRef: user }, payload: { title, topic: 'latency' } }),
    });
    return (await shown) - started;
  }, { title: `Latency probe ${i}`, token, user });
  samples.push(elapsed);
  await page.waitForTimeout(400);
}
await browser.close();

samples.sort((a, b) => a - b);
const at = (q) => samples[Math.min(samples.length - 1, Math.floor(samples.length * q))];
const size = (file) => (existsSync(file) ? statSync(file).size : 0);
const wasm = size('target/site/pkg/herald.wasm.gz');
const js = size('target/site/pkg/herald.js.gz');
const css = size('target/site/pkg/herald.css.gz');
// What plain `gzip -9` would make of the same files, for comparison with the Zopfli output served.
const gzip9 = (file) => (existsSync(file) ? gzipSync(readFileSync(file), { level: 9 }).length : 0);
const plain = gzip9('target/site/pkg/herald.wasm') + gzip9('target/site/pkg/herald.js');
const kb = (bytes) => (bytes / 1024).toFixed(1);
const date = new Date().toISOString().slice(0, 10);
const body = `## Notifications page in the browser

Measured ${date} on the machine above, release build, headless Chromium (Debian's), SQLite.

| measurement | result | budget |
|---|---:|---:|
| POST → row visible in an open page, p50 | ${at(0.5).toFixed(1)} ms | 100 ms |
| POST → row visible in an open page, p99 | ${at(0.99).toFixed(1)} ms | |
| release WASM + JS, gzip as served (Zopfli) | ${kb(wasm + js)} KB (WASM ${kb(wasm)} KB, JS ${kb(js)} KB) | 300 KB |
| the same with \`gzip -9\` | ${kb(plain)} KB | |
| CSS, gzip | ${kb(css)} KB | |

The latency is timed inside the page: from just before its \`fetch\` of \`POST /api/notifications/notifications\`
(with a service token) to the animation frame after the row appears, over ${SAMPLES} notifications. It covers
the store, the signal, the coalesced refetch of the page's data and the render. The server-side render of the
page is timed with the API above ("page \`/notifications\`, 20 rows").
`;
console.log(body);
const file = 'BENCHMARKS.md';
const existing = existsSync(file) ? readFileSync(file, 'utf8') : '# Benchmarks\n\nWritten by `make bench`.\n';
const open = '<!-- ui -->';
const close = '<!-- /ui -->';
const section = `${open}\n${body}${close}`;
const start = existing.indexOf(open);
const end = existing.indexOf(close);
writeFileSync(file, start >= 0 && end >= 0 ? existing.slice(0, start) + section + existing.slice(end + close.length) : `${existing.trimEnd()}\n\n${section}\n`);
