/*
 * mnemo dashboard (docs/dashboard.md). Plain JavaScript, no build step.
 * Pages are hash routes: #/overview, #/memories[/ID], #/learning[/RUN],
 * #/curves. Every number comes from the JSON API (docs/http.md); charts
 * are drawn by uPlot (vendor/, installed from npm by `make web`).
 * Text from the API is only ever put into the page as text, never as HTML.
 */
'use strict';

const API = 'api/v1/';
/* uPlot is loaded when a page first draws a chart, not before the overview. */
const UPLOT = 'vendor/uplot-1.6.32/uPlot.iife.min.js';
const state = { token: sessionStorage.getItem('mnemo.token') || '', csrf: '', timer: 0 };
/* uPlot instances by name: tests read them (window.mnemoCharts). */
const charts = {};
window.mnemoCharts = charts;

/* ---- small helpers ---- */

function el(tag, attrs, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') e.className = v;
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v === true ? '' : v);
  }
  for (const k of kids.flat(Infinity)) {
    if (k === undefined || k === null || k === false) continue;
    e.append(k instanceof Node ? k : String(k));
  }
  return e;
}

function fmt(v, digits = 3) {
  if (v === undefined || v === null) return '—';
  if (typeof v === 'boolean') return v ? 'yes' : 'no';
  if (typeof v === 'number') return Number.isInteger(v) ? v.toLocaleString('en') : v.toFixed(digits);
  return String(v);
}

function when(iso) {
  if (!iso) return '—';
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return iso;
  const s = Math.round((Date.now() - t) / 1000);
  const ago = s < 60 ? `${s}s` : s < 3600 ? `${Math.round(s / 60)}m` : s < 86400 ?
    `${Math.round(s / 3600)}h` : `${Math.round(s / 86400)}d`;
  return el('time', { datetime: iso, title: iso }, s >= 0 ? `${ago} ago` : iso.slice(0, 16));
}

const secs = (iso) => (iso ? Date.parse(iso) / 1000 : null);

function badge(text, kind) {
  const k = kind || ({ deployed: 'ok', pass: 'ok', encoded: 'ok', gold: 'ok', running: 'ok',
    completed: 'ok', closed: 'ok', helpful: 'ok', rejected: 'bad', failed: 'bad', fail: 'bad',
    rolled_back: 'warn', cancelled: 'warn', open: 'bad', needs_improvement: 'warn',
    excluded: 'bad', partial: 'warn', interrupted: 'warn', queued: 'warn' })[text] || '';
  return el('span', { class: `badge ${k}` }, fmt(text));
}

function kv(pairs) {
  return el('dl', { class: 'kv' }, pairs.filter(Boolean).map(([k, v]) => [el('dt', {}, k), el('dd', {}, v instanceof Node ? v : fmt(v))]));
}

function card(label, big, ...rest) {
  return el('div', { class: 'card' }, el('div', { class: 'label' }, label), el('div', { class: 'big' }, big), ...rest);
}

function toast(msg, isError) {
  const t = document.getElementById('toast');
  t.textContent = msg;
  t.className = isError ? 'error' : '';
  t.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => { t.hidden = true; }, isError ? 8000 : 3000);
}

/* ---- the API ---- */

class ApiError extends Error {
  constructor(status, code, message) { super(message); this.status = status; this.code = code; }
}

async function csrf() {
  if (!state.csrf) state.csrf = (await api('GET', 'csrf')).csrf_token;
  return state.csrf;
}

async function api(method, path, body, retried) {
  const headers = { Accept: 'application/json' };
  if (state.token) headers.Authorization = `Bearer ${state.token}`;
  if (method !== 'GET') {
    headers['X-Mnemo-CSRF'] = await csrf();
    if (body !== undefined) headers['Content-Type'] = 'application/json';
  }
  const r = await fetch(API + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await r.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch (e) { data = null; }
  if (r.ok) return data;
  const err = (data && data.error) || {};
  if (r.status === 401) document.getElementById('token-form').hidden = false;
  if (r.status === 403 && err.code === 'csrf_required' && !retried) {
    state.csrf = ''; /* the daemon restarted: a new token */
    return api(method, path, body, true);
  }
  throw new ApiError(r.status, err.code || 'http', err.message || `${r.status} ${r.statusText}`);
}

const q = (params) => Object.entries(params).filter(([, v]) => v !== '' && v !== undefined && v !== null)
  .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&');

/* ---- charts ---- */

const palette = ['#2962a8', '#1e7d32', '#c77700', '#b3261e', '#7b3fa0', '#00838f', '#6d6d6d'];

/* A figure with a uPlot chart. xs: x values (unix seconds, or indexes with
 * opts.labels); series: [{label, values, dash?, points?, scale?}]. */
function chart(name, title, xs, series, opts = {}) {
  const fig = el('figure', { class: 'chart', 'data-chart': name }, el('figcaption', {}, title));
  if (opts.note) fig.append(el('div', { class: 'note' }, opts.note));
  if (!xs.length) {
    fig.append(el('p', { class: 'muted empty' }, opts.empty || 'No data yet.'));
    return fig;
  }
  if (!window.uPlot) {
    fig.append(el('p', { class: 'muted' }, 'Charts are not installed (run `make web`); the numbers are in the tables.'));
    return fig;
  }
  const holder = el('div', { class: 'plot', role: 'img', 'aria-label': title });
  fig.append(holder);
  const cfg = {
    width: 440, height: opts.height || 220,
    /* a lone point (or a short span) gets room around it, not years */
    scales: { x: { time: !opts.labels, range: (u, min, max) => (min === max ? [min - 43200, max + 43200] : [min - (max - min) * 0.05, max + (max - min) * 0.05]) } },
    series: [{ label: opts.xlabel || (opts.labels ? '' : 'time'),
      value: opts.labels ? (u, v) => (v === null ? '—' : opts.labels[v] || v) : undefined }],
    axes: [{ values: opts.labels ? (u, vals) => vals.map((v) => (Number.isInteger(v) ? opts.labels[v] || '' : '')) : undefined,
      stroke: getComputedStyle(document.body).color },
    { stroke: getComputedStyle(document.body).color, size: 50 }],
    legend: { live: true },
  };
  if (opts.scales) Object.assign(cfg.scales, opts.scales);
  series.forEach((s, i) => {
    const color = s.color || palette[i % palette.length];
    const ser = { label: s.label, stroke: color, width: 2, dash: s.dash, scale: s.scale || 'y',
      points: { show: s.points !== false, size: 6, fill: color },
      value: (u, v) => (v === null || v === undefined ? '—' : fmt(v, 3)) };
    if (s.bars && uPlot.paths && uPlot.paths.bars) {
      ser.paths = uPlot.paths.bars({ size: [0.35, 60], align: s.align || 0 });
      ser.fill = color + '99';
      ser.points = { show: false };
    }
    cfg.series.push(ser);
  });
  if (series.some((s) => s.scale === 'right')) cfg.axes.push({ scale: 'right', side: 1, grid: { show: false }, stroke: getComputedStyle(document.body).color });
  const data = [xs, ...series.map((s) => s.values)];
  if (charts[name]) charts[name].destroy();
  requestAnimationFrame(() => {
    cfg.width = Math.max(300, holder.clientWidth || 440);
    charts[name] = new uPlot(cfg, data, holder);
  });
  return fig;
}

let uplotLoading = null;
function loadCharts() {
  if (window.uPlot) return Promise.resolve();
  if (!uplotLoading) {
    uplotLoading = new Promise((resolve) => {
      const s = el('script', { src: UPLOT });
      s.onload = resolve;
      s.onerror = resolve; /* not installed: the pages say so and show their tables */
      document.head.append(s);
    });
  }
  return uplotLoading;
}

/* ---- pages ---- */

const pages = { overview, memories, learning, curves };

async function route() {
  clearInterval(state.timer);
  const [page, arg] = (location.hash.replace(/^#\/?/, '') || 'overview').split('/');
  const fn = pages[page] || overview;
  document.querySelectorAll('nav a').forEach((a) => a.classList.toggle('active', a.dataset.page === (pages[page] ? page : 'overview')));
  const main = document.getElementById('page');
  try {
    if (fn === learning || fn === curves) await loadCharts();
    if (fn === overview) state.timer = setInterval(refreshOverview, 10000);
    const content = await fn(arg ? decodeURIComponent(arg) : '');
    main.replaceChildren(content);
    main.dataset.page = page || 'overview';
    main.dataset.ready = String(Date.now());
    if (!main.dataset.firstMs) main.dataset.firstMs = String(Math.round(performance.now())); /* since navigation start */
  } catch (e) {
    main.replaceChildren(el('p', { class: 'error' }, `Could not load this page: ${e.message}`));
    if (!(e instanceof ApiError)) console.error(e);
  }
}

/* Overview: counts, queue, encoder, learning state, last dream cycle. */
async function overview() {
  const s = await api('GET', 'status');
  const L = s.learning || {};
  const dream = L.dream || {};
  const queue = s.queue || {};
  const exp = s.experience || {};
  const model = L.model || {};
  const last = L.last_run;
  document.getElementById('conn').textContent = `mnemo ${s.version} · ${s.daemon}`;
  const cyc = dream.last_cycle;
  return el('section', { id: 'overview' },
    el('div', { class: 'cards' },
      card('Memories', fmt(s.memories), el('div', { class: 'muted' }, `${fmt(s.recalls)} recalls · ${fmt(s.ratings)} ratings`)),
      card('Queue', fmt((queue.queued || 0) + (queue.claimed || 0)),
        kv([['queued', queue.queued], ['encoding', queue.claimed], ['failed', queue.failed],
          queue.oldest_queued_at && ['oldest', when(queue.oldest_queued_at)]])),
      card('Encoder', (s.encoder && (s.encoder.current || 'unavailable')) || '—',
        kv([['student', s.encoder && [s.encoder.student_provider, s.encoder.student_model].filter(Boolean).join(' ')],
          ['teacher', s.encoder && [s.encoder.teacher_provider, s.encoder.teacher_model].filter(Boolean).join(' ')],
          s.encoder && s.encoder.error && ['error', s.encoder.error]])),
      card('Model', model.current || '—',
        kv([['student', model.student], ['pinned', model.pinned || 'no']])),
      card('Experience buffer', fmt(exp.total),
        kv([['gold', exp.gold], ['needs improvement', exp.needs_improvement], ['ambiguous', exp.ambiguous],
          ['excluded', exp.excluded], ['corrected', exp.corrected], ['trained', exp.trained]]))),
    el('h2', {}, 'Learning'),
    el('div', { class: 'cards' },
      el('div', { class: 'card' }, el('div', { class: 'label' }, 'State'),
        kv([['learning', L.enabled ? badge('on', 'ok') : badge('off', 'warn')],
          ['emergency stop', L.estop && L.estop.active ? badge('active', 'bad') : 'no'],
          ['runner', L.runner], ['window', `${fmt(L.window)}${L.in_window ? ' (now)' : ''}`],
          ['breaker', L.breaker ? badge(L.breaker.state) : '—'],
          ['in flight', L.in_flight ? el('a', { href: `#/learning/${L.in_flight}` }, L.in_flight.slice(0, 8)) : 'none']])),
      el('div', { class: 'card' }, el('div', { class: 'label' }, 'Last training run'),
        last ? kv([['run', el('a', { href: `#/learning/${last.id}` }, last.id.slice(0, 8))], ['state', badge(last.state)],
          ['trigger', last.trigger], ['finished', when(last.finished_at)], ['verdict', last.gate_verdict],
          ['candidate', last.candidate_version], last.error && ['error', last.error]]) : el('p', { class: 'muted' }, 'No run yet.')),
      el('div', { class: 'card', id: 'last-dream' }, el('div', { class: 'label' }, `Last dream cycle (${fmt(dream.cycles || 0)} in all)`),
        cyc ? [kv([['status', badge(cyc.status)], ['trigger', cyc.trigger], ['started', when(cyc.started_at)],
          ['finished', when(cyc.finished_at)], ['drift', dream.drift && dream.drift.state], ['teacher', dream.teacher]]),
        el('div', { class: 'chips' }, Object.entries(cyc.phases || {}).map(([k, v]) => badge(`${k}: ${v}`, v === 'ok' ? 'ok' : v === 'failed' ? 'bad' : '')))]
          : el('p', { class: 'muted' }, 'No dream cycle yet.'))),
    el('p', { class: 'muted' }, `Data home ${s.paths && s.paths.home} · schema ${s.schema_version}`));
}

async function refreshOverview() {
  try {
    const fresh = await overview();
    const cur = document.getElementById('overview');
    if (cur) cur.replaceWith(fresh);
  } catch (e) { /* keep the last view; the next tick tries again */ }
}

/* Memories: recall search with filters, or recent memories by category. */
const search = { query: '', limit: '20', type: '', project: '', since: '', category: '', result: null };

async function memories(id) {
  const form = el('form', { class: 'inline', id: 'search-form' },
    el('label', {}, 'Recall', el('input', { name: 'query', type: 'search', size: 36, placeholder: 'what to recall (empty: the newest)', value: search.query })),
    el('label', {}, 'Type', el('input', { name: 'type', size: 10, value: search.type })),
    el('label', {}, 'Project', el('input', { name: 'project', size: 12, value: search.project })),
    el('label', {}, 'Since', el('input', { name: 'since', type: 'date', value: search.since })),
    el('label', {}, 'Category', el('select', { name: 'category' },
      ['', 'gold', 'needs_improvement', 'ambiguous', 'excluded'].map((c) => el('option', { value: c, selected: c === search.category }, c || 'any')))),
    el('label', {}, 'Limit', el('select', { name: 'limit' }, ['10', '20', '50', '100'].map((n) => el('option', { selected: n === search.limit }, n)))),
    el('button', { type: 'submit' }, 'Search'));
  const list = el('div', { id: 'results' });
  const detail = el('div', { id: 'detail' }, el('p', { class: 'muted' }, 'Choose a memory to see its encoding.'));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const f = new FormData(form);
    for (const k of ['query', 'type', 'project', 'since', 'category', 'limit']) search[k] = String(f.get(k) || '').trim();
    await runSearch(list);
  });
  await runSearch(list);
  if (id) showMemory(id, detail);
  const view = el('section', { id: 'memories' }, form, el('div', { class: 'split' }, list, detail));
  view.addEventListener('click', (ev) => {
    const tr = ev.target.closest('tr[data-id]');
    if (!tr || ev.target.closest('button')) return;
    view.querySelectorAll('tr.selected').forEach((r) => r.classList.remove('selected'));
    tr.classList.add('selected');
    history.replaceState(null, '', `#/memories/${tr.dataset.id}`);
    showMemory(tr.dataset.id, detail);
  });
  return view;
}

const since = () => (search.since ? `${search.since}T00:00:00.000Z` : '');

async function runSearch(list) {
  let res;
  try {
    if (search.query) {
      const body = { query: search.query, limit: Number(search.limit) };
      if (search.type) body.type = search.type;
      if (search.project) body.project = search.project;
      if (search.since) body.since = since();
      res = await api('POST', 'recall', body);
      /* recall has no category filter: applied here when its results carry one */
      if (search.category && res.memories.some((m) => 'category' in m)) res.memories = res.memories.filter((m) => m.category === search.category);
    } else {
      res = await api('GET', `memories?${q({ limit: search.limit, type: search.type, project: search.project, category: search.category, since: since() })}`);
    }
  } catch (e) {
    list.replaceChildren(el('p', { class: 'error' }, e.message));
    return;
  }
  search.result = res;
  const rows = res.memories || [];
  const rated = res.query_id;
  const body = el('tbody', {}, rows.map((m) => memoryRow(m, rated)));
  const count = el('p', { class: 'muted' }, rated ? `${rows.length} recalled (query ${rated.slice(0, 8)}); rate what helped:` : `${rows.length} newest memories`);
  /* the list pages with its cursor */
  const more = !rated && res.nextCursor && el('button', { type: 'button', class: 'secondary', id: 'more', onclick: async () => {
    try {
      const next = await api('GET', `memories?${q({ limit: search.limit, type: search.type, project: search.project, category: search.category, since: since(), cursor: res.nextCursor })}`);
      search.result.memories.push(...next.memories);
      body.append(...next.memories.map((m) => memoryRow(m, null)));
      count.textContent = `${search.result.memories.length} newest memories`;
      res.nextCursor = next.nextCursor;
      if (!next.nextCursor) more.remove();
    } catch (e) { toast(e.message, true); }
  } }, 'Show more');
  list.replaceChildren(count,
    el('table', { id: 'memory-table' },
      el('thead', {}, el('tr', {}, el('th', {}, 'Memory'), el('th', {}, 'Category'), el('th', { class: 'num' }, 'EPR'),
        el('th', {}, 'Flags'), el('th', {}, rated ? 'Score' : 'Created'), rated && el('th', {}, 'Feedback'))),
      body),
    more);
}

function memoryRow(m, queryId) {
  const id = m.id || m.memory_id;
  const enc = m.encoding || {};
  const text = enc.gist || m.gist || m.content || m.text || '';
  const met = m.metrics || {};
  return el('tr', { class: id ? 'clickable' : '', 'data-id': id || null },
    el('td', {}, el('div', {}, text), el('div', { class: 'muted' }, [m.type, m.project, m.encoder_version].filter(Boolean).join(' · '), id ? '' : ` (${m.state})`)),
    el('td', {}, m.category ? badge(m.category) : ''),
    el('td', { class: 'num' }, fmt(met.epr, 2)),
    el('td', {}, (m.flags || []).map((f) => badge(f, 'warn'))),
    el('td', { class: 'num' }, queryId ? fmt(m.score, 3) : when(m.created_at)),
    queryId && id && el('td', { class: 'actions' }, ['helpful', 'partial', 'irrelevant'].map((r) =>
      el('button', { class: 'secondary', type: 'button', 'data-rate': r, onclick: (ev) => rate(queryId, id, r, ev.target) }, r))));
}

async function rate(queryId, id, rating, btn) {
  try {
    const r = await api('POST', 'feedback', { query_id: queryId, rating, memory_ids: [id] });
    btn.closest('td').replaceChildren(badge(r.rating));
    toast(`Rated ${rating}`);
  } catch (e) { toast(e.message, true); }
}

const METRICS = [['epr', 'entity preservation (share of the input\'s entities kept)'], ['fr', 'fabrication rate'],
  ['np', 'number preservation'], ['sc', 'schema compliant'], ['ted', 'truncated / degenerate'],
  ['mig', 'migrated from an older format'], ['confidence', 'the encoder\'s confidence']];

async function showMemory(id, detail) {
  detail.replaceChildren(el('p', { class: 'muted' }, 'Loading…'));
  /* the memory as the list returned it when that has its encoding (the
   * audit listing does), else as GET memories/ID shows it */
  let m = ((search.result && (search.result.memories || search.result.items)) || []).find((x) => (x.id || x.memory_id) === id);
  let shown = null;
  if (!m || !m.encoding) {
    try {
      shown = await api('GET', `memories/${encodeURIComponent(id)}`);
      m = shown.memory || shown;
    } catch (e) {
      detail.replaceChildren(el('p', { class: 'error' }, e.message));
      return;
    }
  }
  const enc = m.encoding || {};
  const met = m.metrics || {};
  const ta = el('textarea', { id: 'amend-text', spellcheck: 'false' }, JSON.stringify(enc, null, 2));
  const out = el('div', { id: 'amend-result' });
  detail.replaceChildren(el('div', { class: 'card', id: 'memory-detail', 'data-id': m.id },
    el('h3', {}, enc.gist || '(no gist)'),
    kv([['id', m.id], ['raw id', m.raw_id], ['encoder', `${fmt(m.encoder)} ${fmt(m.encoder_version)}`],
      ['category', m.category ? badge(m.category) : '—'], ['salience', m.salience], ['feedback score', m.feedback_score],
      ['source', m.source], ['created', when(m.created_at)],
      ['significance', enc.significance], ['tone', enc.emotional_tone], ['outcome', enc.outcome],
      ['concepts', (enc.concepts || []).join(', ')]]),
    el('h3', {}, 'Metrics'),
    el('table', { id: 'metrics-table' }, el('tbody', {}, METRICS.map(([k, what]) =>
      el('tr', {}, el('th', {}, k), el('td', { class: 'num' }, fmt(met[k], 3)), el('td', { class: 'muted' }, what))))),
    el('h3', {}, 'Flags'), el('div', { class: 'chips' }, (m.flags || []).length ? m.flags.map((f) => badge(f, 'warn')) : el('span', { class: 'muted' }, 'none')),
    (m.text || m.content) && [el('h3', {}, 'Observation'), el('pre', {}, String(m.text || m.content))],
    shown && extras(shown),
    el('h3', {}, 'Amend the encoding'),
    el('p', { class: 'muted' }, 'A human correction: checked against the schema, scored against the input, and used as a training example (it wins over the teacher).'),
    ta,
    el('div', { class: 'actions' },
      el('button', { type: 'button', id: 'amend-btn', onclick: () => amend(m.id, ta, out) }, 'Save amendment'),
      el('button', { type: 'button', class: 'danger', id: 'forget-btn', onclick: () => forget(m.id) }, 'Forget')),
    out));
}

/* What `mnemo show` adds to a memory: its raw row, experience-buffer row,
 * ratings and history, each folded away. */
function extras(r) {
  const objTable = (rows) => {
    const keys = [...new Set(rows.flatMap((x) => Object.keys(x)))].filter((k) => rows.some((x) => x[k] !== null && typeof x[k] !== 'object')).slice(0, 6);
    return el('table', {}, el('thead', {}, el('tr', {}, keys.map((k) => el('th', {}, k)))),
      el('tbody', {}, rows.map((x) => el('tr', {}, keys.map((k) => el('td', {}, /_at$/.test(k) ? when(x[k]) : fmt(x[k])))))));
  };
  const part = (title, v) => {
    if (v === undefined || v === null) return null;
    const body = Array.isArray(v) ? (v.length ? objTable(v.map((x) => (typeof x === 'object' ? x : { value: x }))) : el('p', { class: 'muted' }, 'none'))
      : typeof v === 'object' ? kv(Object.entries(v).filter(([, x]) => typeof x !== 'object' || x === null)) : fmt(v);
    return el('details', { class: `extra-${title.toLowerCase()}` }, el('summary', {}, `${title}${Array.isArray(v) ? ` (${v.length})` : ''}`), body);
  };
  return [part('Raw', r.raw), part('Experience', r.experience), part('Feedback', r.feedback), part('History', r.history)];
}

async function amend(id, ta, out) {
  let enc;
  try { enc = JSON.parse(ta.value); } catch (e) { toast(`Not JSON: ${e.message}`, true); return; }
  try {
    const r = await api('POST', `memories/${encodeURIComponent(id)}/amend`, { encoding: enc });
    out.replaceChildren(el('p', { class: 'ok' }, `Saved as a ${r.correction_source} correction.`),
      kv(Object.entries(r.metrics || {}).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') || 'none' : v])));
    toast('Amendment saved');
  } catch (e) { out.replaceChildren(el('p', { class: 'error' }, e.message)); toast(e.message, true); }
}

async function forget(id) {
  if (!confirm(`Forget memory ${id}? Its raw text, encoding and feedback are deleted.`)) return;
  try {
    await api('DELETE', `memories/${encodeURIComponent(id)}`);
    toast('Forgotten');
    location.hash = '#/memories';
  } catch (e) { toast(e.message, true); }
}

/* Learning: buffer and corrections over time, runs with their gate tables,
 * model versions with rollback and pin. */
async function learning(runId) {
  const [hist, runs, models, rankers] = await Promise.all([
    api('GET', 'learning/history'), api('GET', 'training/runs?limit=50'), api('GET', 'models'),
    api('GET', 'models?model=ranker').catch(() => null)]);
  const cyc = hist.cycles.filter((c) => c.buffer);
  const cats = ['gold', 'needs_improvement', 'ambiguous', 'excluded'];
  const bufChart = cyc.length
    ? chart('buffer', 'Experience buffer at each dream cycle', cyc.map((c) => secs(c.started_at)),
      cats.map((k) => ({ label: k, values: cyc.map((c) => c.buffer[k] || 0) })))
    : chart('buffer', 'New experience per day, by category', hist.experience_daily.map((d) => secs(`${d.day}T12:00:00Z`)),
      cats.map((k) => ({ label: k, values: hist.experience_daily.map((d) => d[k]) })),
      { note: 'No dream cycle has run yet: rows by the day they arrived.' });
  const cur = hist.cycles.filter((c) => c.curriculum && c.curriculum.attempted !== undefined);
  const corrChart = cur.length
    ? chart('corrections', 'Teacher corrections per dream cycle', cur.map((c) => secs(c.started_at)),
      [{ label: 'attempted', values: cur.map((c) => c.curriculum.attempted) },
        { label: 'accepted', values: cur.map((c) => c.curriculum.passed) },
        { label: 'rejected', values: cur.map((c) => (c.curriculum.rejected || 0) + (c.curriculum.errors || 0)) }])
    : chart('corrections', 'Corrections per day', hist.corrections_daily.map((d) => secs(`${d.day}T12:00:00Z`)),
      [{ label: 'teacher', values: hist.corrections_daily.map((d) => d.teacher) },
        { label: 'human', values: hist.corrections_daily.map((d) => d.human) }],
      { note: 'No curriculum has run in a dream cycle yet: corrections by day.', empty: 'No corrections yet.' });
  const view = el('section', { id: 'learning' },
    el('div', { class: 'charts' }, bufChart, corrChart),
    el('h2', {}, 'Training runs'),
    runsTable(runs.runs || [], runId),
    el('div', { id: 'run-detail' }),
    el('h2', {}, 'Model versions'),
    versionsTable(models),
    el('h2', {}, 'Ranker versions'),
    rankerTable(rankers));
  const sel = (runs.runs || []).find((r) => r.id === runId) || null;
  if (sel) view.querySelector('#run-detail').replaceChildren(runDetail(sel));
  view.addEventListener('click', (ev) => {
    const tr = ev.target.closest('tr[data-run]');
    if (!tr) return;
    const r = (runs.runs || []).find((x) => x.id === tr.dataset.run);
    view.querySelectorAll('tr.selected').forEach((x) => x.classList.remove('selected'));
    tr.classList.add('selected');
    history.replaceState(null, '', `#/learning/${r.id}`);
    view.querySelector('#run-detail').replaceChildren(runDetail(r));
  });
  return view;
}

function runsTable(runs, selected) {
  if (!runs.length) return el('p', { class: 'muted' }, 'No training run yet.');
  return el('table', { id: 'runs-table' },
    el('thead', {}, el('tr', {}, ['Run', 'Model', 'State', 'Trigger', 'Created', 'Duration', 'Train / valid', 'Candidate', 'Verdict'].map((h) => el('th', {}, h)))),
    el('tbody', {}, runs.map((r) => el('tr', { class: `clickable${r.id === selected ? ' selected' : ''}`, 'data-run': r.id },
      el('td', {}, r.id.slice(0, 8)), el('td', {}, r.model || 'student'), el('td', {}, badge(r.state)), el('td', {}, r.trigger, r.reason ? ` — ${r.reason}` : ''),
      el('td', {}, when(r.created_at)), el('td', { class: 'num' }, r.duration_ms === null ? '—' : `${(r.duration_ms / 1000).toFixed(1)} s`),
      el('td', { class: 'num' }, `${fmt(r.counts && r.counts.n_train)} / ${fmt(r.counts && r.counts.n_valid)}`),
      el('td', {}, fmt(r.candidate_version)), el('td', {}, r.gate_verdict ? badge(r.gate_verdict) : '—')))));
}

/* The metrics a run's chart compares, higher is better for each. */
const RUN_METRICS = [['epr', 'EPR'], ['sc_rate', 'SC rate'], ['np', 'NP'], ['enum_acc', 'enum acc'],
  ['concept_f1', 'concept F1'], ['holdout.enum_acc', 'holdout enum'], ['holdout.concept_f1', 'holdout F1'], ['probe.enum_acc', 'probe enum'],
  ['holdout.ndcg10', 'holdout NDCG@10'], ['holdout.mrr', 'holdout MRR'], ['bench.ndcg10', 'bench NDCG@10'], ['bench.mrr', 'bench MRR']];
const pick = (o, path) => path.split('.').reduce((v, k) => (v && typeof v === 'object' ? v[k] : undefined), o);

function runDetail(r) {
  const c = r.candidate_metrics;
  const i = r.incumbent_metrics;
  const avail = RUN_METRICS.filter(([k]) => typeof pick(c, k) === 'number');
  const gate = r.gate || [];
  return el('div', { class: 'card', id: `run-${r.id}`, 'data-run': r.id },
    el('h3', {}, `Run ${r.id}`),
    kv([['state', badge(r.state)], ['trigger', r.trigger], ['reason', r.reason], ['created', when(r.created_at)],
      ['finished', when(r.finished_at)], ['candidate', r.candidate_version], ['deployed', r.deployed_version],
      ['trainer exit', r.trainer_exit], r.error && ['error', r.error],
      ['batch', r.counts && r.counts.by_source ? Object.entries(r.counts.by_source).filter(([, v]) => typeof v === 'number' && v)
        .map(([k, v]) => `${k} ${v}`).join(' · ') : '—']]),
    c ? chart(`run-${r.id}`, 'Candidate beside incumbent', avail.map((_, n) => n),
      [{ label: 'candidate', values: avail.map(([k]) => pick(c, k)), bars: true, align: -1 },
        { label: 'incumbent', values: avail.map(([k]) => (i ? pick(i, k) ?? null : null)), bars: true, align: 1 }],
      { labels: avail.map(([, l]) => l), xlabel: 'metric', scales: { x: { time: false, range: [-0.5, avail.length - 0.5] }, y: { range: [0, 1] } } })
      : el('p', { class: 'muted' }, 'This run has no evaluation (it ended before the gate).'),
    el('h3', {}, `Gate${r.gate_verdict ? `: ${r.gate_verdict}` : ''}`),
    gate.length ? el('table', { class: 'gate-table' },
      el('thead', {}, el('tr', {}, ['Check', 'Kind', 'Candidate', 'Incumbent', 'Threshold', 'Verdict'].map((h) => el('th', {}, h)))),
      el('tbody', {}, gate.map((g) => el('tr', {},
        el('td', {}, g.name), el('td', {}, g.kind || ''), el('td', { class: 'num' }, fmt(g.candidate)),
        el('td', { class: 'num' }, fmt(g.incumbent)), el('td', { class: 'num' }, fmt(g.threshold)),
        el('td', { class: `verdict-${g.verdict}` }, badge(g.verdict))))))
      : el('p', { class: 'muted' }, 'No gate report for this run.'),
    (r.gate_reasons || []).length ? [el('h3', {}, 'Reasons'), el('ul', {}, r.gate_reasons.map((x) => el('li', {}, x)))] : null);
}

function versionsTable(models) {
  const vs = (models.versions || []).slice().reverse();
  const head = el('div', { class: 'actions' },
    el('span', {}, `Current: ${models.current}`, models.pinned ? ` (pinned ${models.pinned})` : ''),
    el('button', { type: 'button', id: 'rollback-prev', onclick: () => modelAction('rollback', {}, 'Roll back to the previously deployed version?') }, 'Roll back'),
    models.pinned && el('button', { type: 'button', class: 'secondary', id: 'unpin', onclick: () => modelAction('unpin', undefined) }, 'Unpin'));
  if (!vs.length) return el('div', {}, head, el('p', { class: 'muted' }, 'Only the shipped default model; no trained version yet.'));
  const g = (v, k) => fmt(pick(v.gate_metrics, k), 3);
  const buttons = (v) => el('td', { class: 'actions' },
    !v.current && el('button', { type: 'button', class: 'secondary', 'data-action': 'rollback',
      onclick: () => modelAction('rollback', { version: v.version }, `Switch the encoder to ${v.version}?`) }, 'Roll back to'),
    !v.pinned && el('button', { type: 'button', class: 'secondary', 'data-action': 'pin',
      onclick: () => modelAction('pin', { version: v.version }, `Pin ${v.version} (no automatic deploy or rollback moves it)?`) }, 'Pin'));
  const row = (v) => el('tr', { 'data-version': v.version },
    el('td', {}, v.version, v.current ? ' (current)' : '', v.pinned ? ' (pinned)' : ''), el('td', {}, badge(v.state)),
    el('td', {}, when(v.created_at)), el('td', {}, when(v.deployed_at)),
    el('td', { class: 'num' }, g(v, 'epr')), el('td', { class: 'num' }, g(v, 'sc_rate')),
    el('td', { class: 'num' }, g(v, 'enum_acc')), el('td', { class: 'num' }, g(v, 'concept_f1')),
    el('td', { class: 'num' }, fmt(v.live_metrics && v.live_metrics.epr)),
    el('td', { class: 'num' }, v.live_metrics ? `${fmt(v.live_metrics.sc)} (${fmt(v.live_metrics.n)})` : '—'),
    buttons(v));
  return el('div', {}, head, el('table', { id: 'versions-table' },
    el('thead', {}, el('tr', {}, ['Version', 'State', 'Created', 'Deployed', 'Gate EPR', 'Gate SC', 'Enum acc',
      'Concept F1', 'Live EPR', 'Live SC (n)', ''].map((h) => el('th', {}, h)))),
    el('tbody', {}, vs.map(row))));
}

/* The learned ranker's versions (docs/ranker.md), with its gate metrics
 * (held-out ratings, benchmark) and the post-deploy monitor's helpful share. */
function rankerTable(models) {
  if (!models) return el('p', { class: 'muted' }, 'The ranker registry could not be read.');
  const vs = (models.versions || []).slice().reverse();
  const L = models.learning || {};
  const act = (what, body, q) => modelAction(what, body, q, 'ranker');
  const head = el('div', { class: 'actions', id: 'ranker-head' },
    el('span', {}, `Current: ${models.current} (recall uses ${models.source || models.current})`, models.pinned ? ` (pinned ${models.pinned})` : '',
      ` · ${fmt(L.ratings_since_last_run)} rating(s) since the last ranker run, ${fmt(L.min_feedback)} start one`),
    el('button', { type: 'button', id: 'ranker-rollback-prev', onclick: () => act('rollback', {}, 'Roll the ranker back to the previously deployed version?') }, 'Roll back'),
    models.pinned && el('button', { type: 'button', class: 'secondary', id: 'ranker-unpin', onclick: () => act('unpin', undefined) }, 'Unpin'));
  if (!vs.length) return el('div', {}, head, el('p', { class: 'muted' }, 'Only the shipped default ranker; no trained version yet.'));
  const g = (v, k) => fmt(pick(v.gate_metrics, k), 3);
  const lm = (v) => (v.live_metrics && typeof v.live_metrics.helpful_share === 'number'
    ? `${fmt(v.live_metrics.helpful_share, 3)} (${fmt(v.live_metrics.n)}) vs ${fmt(v.live_metrics.before_share, 3)}` : '—');
  const row = (v) => el('tr', { 'data-version': v.version },
    el('td', {}, v.version, v.current ? ' (current)' : '', v.pinned ? ' (pinned)' : ''), el('td', {}, badge(v.state)),
    el('td', {}, when(v.created_at)), el('td', {}, when(v.deployed_at)),
    el('td', { class: 'num' }, g(v, 'holdout.ndcg10')), el('td', { class: 'num' }, g(v, 'holdout.mrr')),
    el('td', { class: 'num' }, g(v, 'bench.ndcg10')), el('td', { class: 'num' }, g(v, 'bench.mrr')),
    el('td', { class: 'num' }, lm(v)),
    el('td', { class: 'actions' },
      !v.current && el('button', { type: 'button', class: 'secondary', 'data-action': 'rollback',
        onclick: () => act('rollback', { version: v.version }, `Switch recall to ranker ${v.version}?`) }, 'Roll back to'),
      !v.pinned && el('button', { type: 'button', class: 'secondary', 'data-action': 'pin',
        onclick: () => act('pin', { version: v.version }, `Pin ranker ${v.version}?`) }, 'Pin')));
  return el('div', {}, head, el('table', { id: 'ranker-versions-table' },
    el('thead', {}, el('tr', {}, ['Version', 'State', 'Created', 'Deployed', 'Holdout NDCG@10', 'Holdout MRR', 'Bench NDCG@10',
      'Bench MRR', 'Live helpful (n) vs before', ''].map((h) => el('th', {}, h)))),
    el('tbody', {}, vs.map(row))));
}

async function modelAction(what, body, question, model) {
  if (question && !confirm(question)) return;
  try {
    const r = await api('POST', `models/${what}${model ? `?model=${model}` : ''}`, body);
    toast(`${what}: current ${r.current}${r.pinned ? `, pinned ${r.pinned}` : ''}`);
    await route();
  } catch (e) { toast(e.message, true); }
}

/* Curves: gate metrics of every version and run over time, live quality
 * after each deploy, helpful rate of recall feedback. */
async function curves() {
  const h = await api('GET', 'learning/history');
  const ev = h.runs.filter((r) => r.candidate && r.finished_at && (r.model || 'student') === 'student');
  const vs = h.versions.filter((v) => v.gate_metrics);
  const live = h.versions.filter((v) => v.live_metrics && v.live_metrics.checked_at);
  const fb = h.feedback_daily;
  return el('section', { id: 'curves' },
    el('div', { class: 'charts' },
      chart('versions', 'Gate metrics of each model version', vs.map((v) => secs(v.created_at)),
        [['epr', 'EPR'], ['sc_rate', 'SC rate'], ['enum_acc', 'enum accuracy'], ['concept_f1', 'concept F1'], ['holdout.enum_acc', 'holdout enum']]
          .map(([k, l]) => ({ label: l, values: vs.map((v) => pick(v.gate_metrics, k) ?? null) })),
        { empty: 'No trained version yet.', scales: { y: { range: [0, 1] } } }),
      chart('runs', 'Every evaluated run: candidate against incumbent', ev.map((r) => secs(r.finished_at)),
        [{ label: 'candidate enum acc', values: ev.map((r) => pick(r.candidate, 'enum_acc') ?? null) },
          { label: 'incumbent enum acc', values: ev.map((r) => pick(r.incumbent, 'enum_acc') ?? null), dash: [6, 4] },
          { label: 'candidate concept F1', values: ev.map((r) => pick(r.candidate, 'concept_f1') ?? null) },
          { label: 'incumbent concept F1', values: ev.map((r) => pick(r.incumbent, 'concept_f1') ?? null), dash: [6, 4] }],
        { empty: 'No run has been evaluated yet.', scales: { y: { range: [0, 1] } } }),
      chart('live', 'Live quality after each deploy', live.map((v) => secs(v.live_metrics.checked_at)),
        [{ label: 'live EPR', values: live.map((v) => v.live_metrics.epr) },
          { label: 'gate EPR', values: live.map((v) => v.live_metrics.gate_epr), dash: [6, 4] },
          { label: 'live SC', values: live.map((v) => v.live_metrics.sc) },
          { label: 'gate SC', values: live.map((v) => v.live_metrics.gate_sc), dash: [6, 4] }],
        { empty: 'The post-deploy monitor has not measured a deployed version yet.', scales: { y: { range: [0, 1] } } }),
      chart('feedback', 'Helpful rate of recall feedback per day', fb.map((d) => secs(`${d.day}T12:00:00Z`)),
        [{ label: 'helpful rate', values: fb.map((d) => d.helpful_rate) },
          { label: 'ratings', values: fb.map((d) => d.total), scale: 'right', bars: true }],
        { empty: 'No recall has been rated yet.', scales: { y: { range: [0, 1] } } })),
    el('h2', {}, 'Versions'),
    vs.length ? el('table', { id: 'curve-table' },
      el('thead', {}, el('tr', {}, ['Version', 'State', 'Created', 'EPR', 'SC', 'enum acc', 'concept F1', 'live EPR', 'live verdict'].map((x) => el('th', {}, x)))),
      el('tbody', {}, vs.slice().reverse().map((v) => el('tr', {}, el('td', {}, v.version), el('td', {}, badge(v.state)), el('td', {}, when(v.created_at)),
        ['epr', 'sc_rate', 'enum_acc', 'concept_f1'].map((k) => el('td', { class: 'num' }, fmt(pick(v.gate_metrics, k)))),
        el('td', { class: 'num' }, fmt(v.live_metrics && v.live_metrics.epr)), el('td', {}, v.live_metrics ? badge(v.live_metrics.verdict) : '—')))))
      : null);
}

/* ---- start ---- */

document.getElementById('token-form').addEventListener('submit', (ev) => {
  ev.preventDefault();
  state.token = document.getElementById('token').value.trim();
  sessionStorage.setItem('mnemo.token', state.token);
  state.csrf = '';
  ev.target.hidden = true;
  route();
});
window.addEventListener('hashchange', route);
window.addEventListener('resize', () => {
  for (const u of Object.values(charts)) {
    const w = u.root.parentElement && u.root.parentElement.clientWidth;
    if (w) u.setSize({ width: Math.max(300, w), height: u.height });
  }
});
route();
