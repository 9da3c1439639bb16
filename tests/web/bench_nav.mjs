// bench/bench_dashboard.sh: a real browser's navigation to the overview
// drawn (main[data-ready]), cold cache, 10 loads. Env: CHROMIUM, BASE.
import puppeteer from 'puppeteer-core';

const b = await puppeteer.launch({ executablePath: process.env.CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu'] });
const lat = [];
const own = [];
for (let i = 0; i < 10; i++) {
  const ctx = await b.createBrowserContext(); // a cold cache each time
  const p = await ctx.newPage();
  const t = performance.now();
  await p.goto(`${process.env.BASE}/`, { waitUntil: 'domcontentloaded' });
  await p.waitForSelector('main[data-ready]', { timeout: 60000 });
  lat.push(performance.now() - t);
  own.push(Number(await p.$eval('main', (m) => m.dataset.firstMs)));
  await ctx.close();
}
await b.close();
lat.sort((x, y) => x - y);
own.sort((x, y) => x - y);
console.log(`   chromium, cold cache, 10 loads: overview drawn ${own[5]} ms after navigation start (p50; max ${own[9]} ms); ` +
  `goto to drawn as the driver sees it p50 ${lat[5].toFixed(1)} ms`);
