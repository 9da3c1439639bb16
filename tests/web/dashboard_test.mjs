// The dashboard in headless Chromium (run by tests/integration/test_dashboard.sh).
// Env: BASE (http://127.0.0.1:PORT), CHROMIUM (the browser), RUN_ID (a
// deployed training run of the test's data home), SHOTS (a folder for
// screenshots, kept with KEEP_T=1). Prints "PASS name" / "FAIL name: why".
import fs from 'node:fs';
import http from 'node:http';
import puppeteer from 'puppeteer-core';

const BASE = process.env.BASE;
const RUN_ID = process.env.RUN_ID;
const SHOTS = process.env.SHOTS;
const T = 30000; // generous: a slow machine under ASan
let failed = 0;

async function check(name, fn) {
  try {
    await fn();
    console.log(`PASS ${name}`);
  } catch (e) {
    failed++;
    console.log(`FAIL ${name}: ${String(e && e.message || e).split('\n')[0].slice(0, 300)}`);
  }
}
function assert(cond, msg) { if (!cond) throw new Error(msg || 'assertion failed'); }

async function api(path, opts = {}) {
  const r = await fetch(`${BASE}/api/v1/${path}`, opts);
  return { status: r.status, body: await r.json().catch(() => null) };
}
async function csrf() { return (await api('csrf')).body.csrf_token; }

// a raw request (no URL normalisation, as a hostile client would send it)
function raw(path, method = 'GET') {
  const u = new URL(BASE);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: u.hostname, port: u.port, path, method }, (res) => {
      let body = '';
      res.on('data', (c) => { body += c; });
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

if (SHOTS) fs.mkdirSync(SHOTS, { recursive: true });
const browser = await puppeteer.launch({
  executablePath: process.env.CHROMIUM,
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
});
const page = await browser.newPage();
await page.setViewport({ width: 1280, height: 900 });
const pageErrors = [];
const badResponses = [];
page.on('pageerror', (e) => pageErrors.push(e.message));
page.on('console', (m) => { if (m.type() === 'error') pageErrors.push(m.text()); });
page.on('response', (r) => { if (r.status() >= 400) badResponses.push(`${r.status()} ${r.url()}`); });
page.on('dialog', (d) => d.accept());

async function open(hash) {
  const before = await page.evaluate(() => document.getElementById('page')?.dataset.ready || '').catch(() => '');
  if (hash === null) await page.goto(`${BASE}/`, { waitUntil: 'load' });
  else await page.evaluate((h) => { location.hash = h; }, hash);
  await page.waitForFunction((b) => { const m = document.getElementById('page'); return m && m.dataset.ready && m.dataset.ready !== b; }, { timeout: T }, before);
}
const text = (sel) => page.$eval(sel, (e) => e.textContent);
const shot = (name) => (SHOTS ? page.screenshot({ path: `${SHOTS}/${name}.png`, fullPage: true }) : null);
// a chart drawn: its uPlot instance exists with a canvas of real size
async function chartDrawn(name, minPoints = 1) {
  await page.waitForFunction((n) => window.mnemoCharts && window.mnemoCharts[n], { timeout: T }, name);
  return page.evaluate((n, min) => {
    const u = window.mnemoCharts[n];
    const c = u.root.querySelector('canvas');
    const pts = u.data[0].length;
    const some = u.data.slice(1).some((s) => s.some((v) => typeof v === 'number'));
    return { ok: !!c && c.width > 100 && c.height > 50 && pts >= min && some, pts, series: u.series.map((s) => s.label), data: u.data };
  }, name, minPoints);
}

// TOKEN set: the daemon wants a bearer token; only the token checks run
if (process.env.TOKEN) {
  await check('with a token: the page asks for it, then shows the overview', async () => {
    await page.goto(`${BASE}/`, { waitUntil: 'load' });
    await page.waitForSelector('#token-form:not([hidden])', { timeout: T });
    assert(/Could not load/.test(await text('#page')), 'the overview loaded without the token');
    await page.type('#token', process.env.TOKEN);
    await page.click('#token-form button[type=submit]');
    await page.waitForSelector('#overview', { timeout: T });
    assert(await page.$eval('#token-form', (f) => f.hidden), 'token form still shown');
  });
  await check('with a token: a change from the page carries it', async () => {
    await open('#/learning');
    await page.waitForSelector('#versions-table', { timeout: T });
    await page.click('#versions-table tr[data-version=v0002] button[data-action=rollback]');
    await page.waitForFunction(() => /Current: v0002/.test(document.querySelector('#learning')?.textContent || ''), { timeout: T });
  });
  await browser.close();
  process.exit(failed ? 1 : 0);
}

const status = (await api('status')).body;

await check('overview loads at / with the counts of the API', async () => {
  await open(null);
  const t = await text('#overview');
  assert(t.includes(status.memories.toLocaleString('en')), `memories ${status.memories} not shown`);
  assert(t.includes('v0002'), 'current model v0002 not shown');
  assert(t.includes('Last dream cycle'), 'no dream cycle card');
  assert((await text('#last-dream')).includes('curriculum'), 'dream phases not shown');
  await shot('overview');
});

await check('dashboard files: content types, caching, CSP', async () => {
  const idx = await raw('/');
  assert(idx.status === 200 && idx.headers['content-type'].startsWith('text/html'), `/ ${idx.status} ${idx.headers['content-type']}`);
  assert(idx.headers['cache-control'] === 'no-cache', `cache-control ${idx.headers['cache-control']}`);
  assert(idx.headers['content-security-policy'], 'no CSP');
  const js = await raw('/app.js');
  assert(js.status === 200 && js.headers['content-type'].startsWith('text/javascript'), `app.js ${js.headers['content-type']}`);
  const css = await raw('/style.css');
  assert(css.headers['content-type'].startsWith('text/css'), `style.css ${css.headers['content-type']}`);
  const lib = await raw('/vendor/uplot-1.6.32/uPlot.iife.min.js');
  assert(lib.status === 200 && /immutable/.test(lib.headers['cache-control']), `vendor ${lib.status} ${lib.headers['cache-control']}`);
});

await check('no file outside the web directory, no dot file', async () => {
  for (const p of ['/../../../../etc/passwd', '/%2e%2e/%2e%2e/etc/passwd', '/vendor/../../README.md',
    '/.gitignore', '/node_modules/uplot/package.json'.replace('node_modules', '.node_modules'), '/nope.html']) {
    const r = await raw(p);
    assert(r.status === 404 && !r.body.includes('root:'), `${p}: ${r.status}`);
  }
  const post = await raw('/index.html', 'PUT');
  assert(post.status >= 400 && post.status < 500, `PUT / ${post.status}`);
});

let memId = '';
await check('memory browser: recall search shows encodings with metrics', async () => {
  await open('#/memories');
  await page.waitForSelector('#memory-table', { timeout: T });
  await page.$eval('#search-form input[name=query]', (e) => { e.value = ''; });
  await page.type('#search-form input[name=query]', 'Redis cache latency');
  await page.click('#search-form button[type=submit]');
  await page.waitForFunction(() => /recalled/.test(document.querySelector('#results p')?.textContent || ''), { timeout: T });
  const rows = await page.$$eval('#memory-table tbody tr', (trs) => trs.map((t) => ({ id: t.dataset.id, text: t.textContent })));
  assert(rows.length >= 3, `${rows.length} rows`);
  assert(rows[0].text.includes('Redis'), `first row: ${rows[0].text.slice(0, 80)}`);
  memId = rows[0].id;
  await page.click(`#memory-table tbody tr[data-id="${memId}"] td`);
  await page.waitForSelector(`#memory-detail[data-id="${memId}"]`, { timeout: T });
  const m = await text('#metrics-table');
  assert(/epr/.test(m) && /confidence/.test(m), 'metrics table incomplete');
  await shot('memories');
});

await check('memory browser: filters (project, category) narrow the list', async () => {
  await page.$eval('#search-form input[name=project]', (e) => { e.value = 'nosuchproject'; });
  await page.click('#search-form button[type=submit]');
  await page.waitForFunction(() => /^0 recalled/.test(document.querySelector('#results p')?.textContent || ''), { timeout: T });
  await page.$eval('#search-form input[name=project]', (e) => { e.value = ''; });
  await page.$eval('#search-form input[name=query]', (e) => { e.value = ''; });
  await page.click('#search-form button[type=submit]');
  await page.waitForFunction(() => /newest/.test(document.querySelector('#results p')?.textContent || ''), { timeout: T });
  const all = await page.$$eval('#memory-table tbody tr td:nth-child(2)', (tds) => tds.map((t) => t.textContent));
  const want = all.find((c) => c);
  assert(want, 'no memory with a category');
  await page.select('#search-form select[name=category]', want);
  await page.click('#search-form button[type=submit]');
  await page.waitForFunction(() => /newest/.test(document.querySelector('#results p')?.textContent || ''), { timeout: T });
  const cats = await page.$$eval('#memory-table tbody tr td:nth-child(2)', (tds) => tds.map((t) => t.textContent));
  assert(cats.length >= 1 && cats.every((c) => c === want), `categories ${cats.join(',')} (want ${want})`);
  await page.select('#search-form select[name=category]', '');
});

await check('memory browser: the list pages with Show more', async () => {
  await page.$eval('#search-form input[name=query]', (e) => { e.value = ''; });
  await page.select('#search-form select[name=limit]', '10');
  await page.click('#search-form button[type=submit]');
  await page.waitForFunction(() => /^10 newest/.test(document.querySelector('#results p')?.textContent || ''), { timeout: T });
  await page.click('#more');
  await page.waitForFunction(() => document.querySelectorAll('#memory-table tbody tr').length > 10, { timeout: T });
  const ids = await page.$$eval('#memory-table tbody tr', (trs) => trs.map((t) => t.dataset.id));
  assert(new Set(ids).size === ids.length, 'a memory listed twice');
  await page.select('#search-form select[name=limit]', '20');
});

await check('feedback from the browser', async () => {
  await page.type('#search-form input[name=query]', 'Redis cache latency');
  await page.click('#search-form button[type=submit]');
  await page.waitForSelector('#memory-table button[data-rate=helpful]', { timeout: T });
  await page.click('#memory-table tbody tr:first-child button[data-rate=helpful]');
  await page.waitForFunction(() => /helpful/.test(document.querySelector('#memory-table tbody tr:first-child td:last-child .badge')?.textContent || ''), { timeout: T });
});

await check('amend a memory from the browser', async () => {
  // from the list of the newest memories (no query)
  await page.$eval('#search-form input[name=query]', (e) => { e.value = ''; });
  await page.click('#search-form button[type=submit]');
  await page.waitForFunction(() => /newest/.test(document.querySelector('#results p')?.textContent || ''), { timeout: T });
  memId = await page.$eval('#memory-table tbody tr[data-id]', (t) => t.dataset.id);
  await page.click(`#memory-table tbody tr[data-id="${memId}"] td`);
  await page.waitForSelector(`#memory-detail[data-id="${memId}"] #amend-text`, { timeout: T });
  await page.$eval('#amend-text', (ta) => {
    const e = JSON.parse(ta.value);
    e.gist = 'Amended in the dashboard';
    e.significance = 'important';
    ta.value = JSON.stringify(e, null, 2);
  });
  await page.click('#amend-btn');
  await page.waitForFunction(() => /human correction/.test(document.getElementById('amend-result')?.textContent || ''), { timeout: T });
  const r = await text('#amend-result');
  assert(/epr/.test(r), `no metrics in ${r.slice(0, 100)}`);
});

await check('a bad amendment is refused with the reason', async () => {
  await page.$eval('#amend-text', (ta) => { ta.value = '{"gist": 5}'; });
  await page.click('#amend-btn');
  await page.waitForFunction(() => document.querySelector('#amend-result .error'), { timeout: T });
});

await check('forget a memory from the browser', async () => {
  const rows = await page.$$eval('#memory-table tbody tr', (trs) => trs.map((t) => t.dataset.id));
  const victim = rows[rows.length - 1];
  assert(victim && victim !== memId, 'no second memory to forget');
  await page.click(`#memory-table tbody tr[data-id="${victim}"] td`);
  await page.waitForSelector(`#memory-detail[data-id="${victim}"] #forget-btn`, { timeout: T });
  await page.click('#forget-btn');
  await page.waitForFunction(() => location.hash === '#/memories', { timeout: T });
  const again = await api(`memories/${victim}`, { method: 'DELETE', headers: { 'X-Mnemo-CSRF': await csrf() } });
  assert(again.status === 404, `forgetting it again: ${again.status}`);
});

await check('learning view: runs, gate table of the test run, its chart', async () => {
  await open(`#/learning/${RUN_ID}`);
  await page.waitForSelector('#runs-table', { timeout: T });
  const n = await page.$$eval('#runs-table tbody tr', (t) => t.length);
  assert(n >= 2, `${n} runs`);
  await page.waitForSelector(`#run-${RUN_ID} .gate-table`, { timeout: T });
  const gate = await page.$$eval(`#run-${RUN_ID} .gate-table tbody tr`, (trs) => trs.map((t) => [...t.children].map((c) => c.textContent)));
  assert(gate.length >= 5, `${gate.length} gate checks`);
  assert(gate.every((g) => g[5] === 'pass' || g[5] === 'info'), 'a deployed run has a failing check');
  assert(gate.some((g) => g[5] === 'pass'), 'no passing check');
  assert(gate.some((g) => g[3] !== '—'), 'no incumbent value beside the candidate');
  const c = await chartDrawn(`run-${RUN_ID}`, 3);
  assert(c.ok, `run chart not drawn: ${JSON.stringify(c).slice(0, 200)}`);
  const run = (await api(`training/runs/${RUN_ID}`)).body.runs[0];
  assert(Math.abs(c.data[1][0] - run.candidate_metrics.epr) < 1e-9, 'chart is not the run\'s candidate EPR');
  const b = await chartDrawn('buffer');
  assert(b.ok && b.series.includes('gold'), `buffer chart ${JSON.stringify(b.series)}`);
  const k = await chartDrawn('corrections');
  assert(k.ok && k.series.includes('attempted'), `corrections chart ${JSON.stringify(k.series)}`);
  await shot('learning');
});

await check('clicking a run shows its gate', async () => {
  const other = await page.$$eval('#runs-table tbody tr', (trs) => trs.map((t) => t.dataset.run));
  const id = other.find((x) => x !== RUN_ID);
  await page.click(`#runs-table tbody tr[data-run="${id}"] td`);
  await page.waitForSelector(`#run-${id}`, { timeout: T });
});

await check('roll the model back from the browser', async () => {
  await page.click('#rollback-prev');
  await page.waitForFunction(() => /Current: v0001/.test(document.querySelector('#learning')?.textContent || ''), { timeout: T });
  const m = (await api('models')).body;
  assert(m.current === 'v0001', `current ${m.current}`);
});

await check('pin a version from the browser', async () => {
  await page.click('#versions-table tr[data-version=v0001] button[data-action=pin]');
  await page.waitForFunction(() => /pinned v0001/.test(document.querySelector('#learning')?.textContent || ''), { timeout: T });
  assert((await api('models')).body.pinned === 'v0001', 'not pinned');
});

await check('learning curves: versions, runs, live quality, helpful rate', async () => {
  await open('#/curves');
  const v = await chartDrawn('versions', 2);
  assert(v.ok, `versions chart ${v.pts} points`);
  const r = await chartDrawn('runs', 2);
  assert(r.ok, `runs chart ${r.pts} points`);
  const f = await chartDrawn('feedback', 1);
  assert(f.ok && f.data[1].some((x) => x > 0), 'no helpful rate');
  const l = await chartDrawn('live', 1);
  assert(l.ok && l.data[1][0] > 0, `live quality chart ${JSON.stringify(l.data).slice(0, 120)}`);
  await shot('curves');
});

await check('the browser saw no script error and no failed request', async () => {
  // the refused amendment is the one 400 the test asked for
  const bad = badResponses.filter((x) => !/\/amend$/.test(x));
  assert(!pageErrors.filter((e) => !/status of 400/.test(e)).length, pageErrors.join(' | '));
  assert(!bad.length, bad.join(' | '));
});

await browser.close();
process.exit(failed ? 1 : 0);
