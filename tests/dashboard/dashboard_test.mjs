// The dashboard in headless Chromium against a real server fed by `supportpipe demo`:
// the page loads with no console errors, its charts draw and keep updating, the numbers it
// shows equal what /metrics says (read by the Prometheus project's own parser), and a
// screenshot is saved.
//
//   node dashboard_test.mjs BUILD/src/cli/supportpipe SCREENSHOT.png
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, readFileSync, existsSync, rmSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const [binary, screenshot] = process.argv.slice(2);
if (!binary || !screenshot) throw new Error('usage: dashboard_test.mjs SUPPORTPIPE SCREENSHOT.png');

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
function check(ok, what) {
  if (!ok) throw new Error(`FAILED: ${what}`);
  console.log(`ok: ${what}`);
}

// A private data directory and config: the demo's, on a free port.
const dir = mkdtempSync(join(tmpdir(), 'supportpipe-dashboard-'));
copyFileSync(join(root, 'examples', 'demo.secret'), join(dir, 'demo.secret'));
const config = join(dir, 'supportpipe.toml');
writeFileSync(config, readFileSync(join(root, 'examples', 'demo.toml'), 'utf8')
    .replace('listen = "127.0.0.1:8080"', 'listen = "127.0.0.1:0"')
    .replace('data_dir = "./data-demo"', `data_dir = "${join(dir, 'data')}"`)
    .replaceAll('secret_file = "examples/demo.secret"', `secret_file = "${join(dir, 'demo.secret')}"`));

const readyFile = join(dir, 'port');
const server = spawn(binary, ['serve', '--config', config, '--ready-file', readyFile],
                     {stdio: ['ignore', 'inherit', 'inherit']});
let browser;
try {
  for (let i = 0; i < 300 && !existsSync(readyFile); i++) await sleep(50);
  check(existsSync(readyFile), 'the server started');
  const base = `http://127.0.0.1:${readFileSync(readyFile, 'utf8').trim()}`;

  const demo = (args) => execFileSync(binary, ['demo', '--config', config, '--url', base, ...args],
                                      {encoding: 'utf8', timeout: 120000});
  const out = demo(['--tickets', '90', '--wait', '80']);
  console.log(out.trim());
  check(/surges [1-9]/.test(out) && /SLA breaches [1-9]/.test(out),
        'the demo saw SLA breaches and a surge');

  // /metrics through the Prometheus parser: its checks, and its samples.
  const metrics = () => execFileSync('/usr/bin/python3', [join(here, 'metrics_check.py'), base],
                                     {encoding: 'utf8'})
      .trim().split('\n').map((l) => JSON.parse(l));
  check(metrics().length > 50, '/metrics parses with prometheus_client and passes its checks');

  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
           '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const page = await browser.newPage({viewport: {width: 1400, height: 1000}});
  const errors = [];
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('pageerror', (e) => errors.push(String(e)));
  const requests = [];
  page.on('request', (r) => requests.push(r.url()));
  await page.goto(`${base}/?interval=1`);
  const ticks = () => page.evaluate(() => window.supportpipeDashboard.ticks);
  for (let i = 0; i < 100 && (await ticks()) < 3; i++) await sleep(100);
  check((await ticks()) >= 3, 'the page reads /metrics every second');

  // New traffic moves the charts and the numbers.
  const before = await page.$eval('#tile-received', (e) => Number(e.dataset.value));
  const pointsBefore = await page.$eval('#chart-throughput svg', (s) => Number(s.dataset.points));
  demo(['--tickets', '30', '--wait', '0', '--seed', '7']);
  await sleep(3000);
  const after = await page.$eval('#tile-received', (e) => Number(e.dataset.value));
  const pointsAfter = await page.$eval('#chart-throughput svg', (s) => Number(s.dataset.points));
  check(after > before, `the received tile went up (${before} → ${after})`);
  check(pointsAfter > pointsBefore, `the throughput chart grew (${pointsBefore} → ${pointsAfter} points)`);
  const rate = await page.$eval('#chart-throughput .legend', (e) => e.textContent);
  check(/received/.test(rate), `the throughput legend names the sources: ${rate}`);

  // Every chart draws (latency needs events in its last minute: the second round); the throughput chart has one line per source.
  const charts = await page.$$eval('.chart svg', (svgs) => svgs.map((s) => ({
    id: s.parentElement.id, series: Number(s.dataset.series), points: Number(s.dataset.points),
    paths: s.querySelectorAll('path').length})));
  check(charts.length === 6, `six charts drawn (${charts.map((c) => c.id).join(', ')})`);
  for (const c of charts) check(c.paths > 0 && c.points > 0, `${c.id} has lines (${c.points} points)`);
  const throughput = charts.find((c) => c.id === 'chart-throughput');
  check(throughput.series >= 6, 'throughput has a line per source plus processed and loaded');

  // Once the pipeline is still, each tile shows exactly what /metrics says.
  const tileIds = ['received', 'events', 'tickets', 'dead-letters', 'sla-active', 'sla-breached',
                   'surges', 'alerts'];
  const expected = (samples, tile) => {
    const matching = samples.filter((s) => s.name === tile.metric &&
        Object.entries(tile.filter).every(([k, v]) => s.labels[k] === v));
    if (!matching.length) return null;
    return tile.kind === 'sum' ? matching.reduce((n, s) => n + s.value, 0) : matching[0].value;
  };
  let compared = false;
  for (let attempt = 0; attempt < 20 && !compared; attempt++) {
    const m1 = metrics();
    const t0 = await ticks();
    while ((await ticks()) < t0 + 2) await sleep(100);
    const tiles = await page.$$eval('.tile', (els) => els.map((e) => ({
      id: e.id.slice(5), metric: e.dataset.metric, filter: JSON.parse(e.dataset.filter),
      kind: e.dataset.kind, value: e.dataset.value === '' ? null : Number(e.dataset.value),
      text: e.querySelector('.value').textContent})));
    const m2 = metrics();
    const chosen = tiles.filter((t) => tileIds.includes(t.id));
    if (chosen.some((t) => expected(m1, t) !== expected(m2, t))) continue;  // still moving
    check(chosen.length === tileIds.length, `${chosen.length} tiles to compare`);
    for (const t of chosen) {
      check(t.value === expected(m2, t),
            `tile ${t.id} shows ${t.text} = ${t.metric}${JSON.stringify(t.filter)} ${expected(m2, t)}`);
    }
    compared = true;
  }
  check(compared, 'the pipeline came to rest to compare the tiles with /metrics');
  const sources = await page.$$eval('#sources tbody tr', (rows) => rows.map((r) => r.cells[0].textContent));
  check(['demo-zendesk', 'demo-intercom', 'demo-helpscout', 'api'].every((s) => sources.includes(s)),
        `the sources table lists every source (${sources.join(', ')})`);

  check(requests.every((u) => u.startsWith(base)), 'the page loads nothing from another host');
  await page.screenshot({path: screenshot, fullPage: true});
  check(existsSync(screenshot), `screenshot saved to ${screenshot}`);
  check(errors.length === 0, `no console errors${errors.length ? ': ' + errors.join(' | ') : ''}`);
} finally {
  if (browser) await browser.close();
  server.kill('SIGTERM');
  await new Promise((r) => server.once('exit', r));
  rmSync(dir, {recursive: true, force: true});
}
console.log('dashboard test passed');
