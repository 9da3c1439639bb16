// mnemo's MCP server over Streamable HTTP, driven by the official MCP
// TypeScript SDK's StreamableHTTPClientTransport.
//
// Starts `mnemo serve --http 127.0.0.1:0` ($MNEMO_BIN) on a fresh
// MNEMO_HOME, connects, checks the negotiated revision and the session,
// calls every tool and validates each structuredContent against the
// declared outputSchema, compares the tool list and a result with
// `mnemo mcp` on stdio (one implementation below both), runs 8 HTTP
// clients and a stdio client at once on one store, and ends sessions.
// Prints "PASS name" / "FAIL name: why".
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import Ajv from 'ajv';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { LATEST_PROTOCOL_VERSION, McpError } from '@modelcontextprotocol/sdk/types.js';

const MNEMO = process.env.MNEMO_BIN;
if (!MNEMO) {
  console.log('FAIL setup: MNEMO_BIN is not set');
  process.exit(1);
}
const T = mkdtempSync(join(process.env.TMPDIR || tmpdir(), 'mnemo-sdk-http-'));
const HOME = join(T, 'home');
let failed = 0;
let serve = null;
let serveLog = '';

function report(name, ok, why = '') {
  if (ok) {
    console.log(`PASS ${name}`);
  } else {
    failed++;
    console.log(`FAIL ${name}: ${typeof why === 'string' ? why : JSON.stringify(why)?.slice(0, 400)}`);
  }
}

function env() {
  const e = { ...process.env, MNEMO_HOME: HOME };
  delete e.MNEMO_CONFIG;
  return e;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function connectHttp(url, name) {
  const transport = new StreamableHTTPClientTransport(new URL(`${url}/mcp`));
  const client = new Client({ name, version: '1.0.0' });
  await client.connect(transport);
  return { client, transport };
}

async function connectStdio(name) {
  const transport = new StdioClientTransport({ command: MNEMO, args: ['mcp'], env: env(), stderr: 'pipe' });
  const client = new Client({ name, version: '1.0.0' });
  await client.connect(transport);
  return { client, transport };
}

const ajv = new Ajv({ strict: false, allErrors: true });
const validators = new Map();

async function callChecked(client, name, args, label = name) {
  let res;
  try {
    res = await client.callTool({ name, arguments: args });
  } catch (e) {
    report(`http ${label}`, false, `threw ${e}`);
    return null;
  }
  if (res.isError) {
    report(`http ${label}`, false, `isError: ${res.content?.[0]?.text}`);
    return res;
  }
  const validate = validators.get(name);
  const valid = validate ? validate(res.structuredContent) : true;
  report(`http ${label}: structuredContent matches outputSchema`,
    Array.isArray(res.content) && valid, valid ? res : ajv.errorsText(validate.errors));
  return res;
}

async function main() {
  serve = spawn(MNEMO, ['serve', '--no-dream', '--http', '127.0.0.1:0'],
    { env: env(), stdio: ['ignore', 'ignore', 'pipe'] });
  serve.stderr.on('data', (d) => { serveLog += d; });
  const addrFile = join(HOME, 'http.addr');
  for (let i = 0; i < 300 && !existsSync(addrFile); i++) await sleep(100);
  if (!existsSync(addrFile)) {
    report('serve --http starts', false, serveLog.slice(-400));
    return;
  }
  const url = readFileSync(addrFile, 'utf8').trim();
  report(`serve --http starts (${url})`, true);

  // ---- one client: initialize, session, tools ----
  const { client: a, transport: ta } = await connectHttp(url, 'sdk-http-a');
  report(`initialize: the SDK's revision ${LATEST_PROTOCOL_VERSION} is negotiated`,
    ta.protocolVersion === LATEST_PROTOCOL_VERSION, ta.protocolVersion);
  report('initialize: a session id', typeof ta.sessionId === 'string' && ta.sessionId.length === 32,
    ta.sessionId);
  report('initialize: serverInfo', a.getServerVersion()?.name === 'mnemo', a.getServerVersion());
  const { tools } = await a.listTools();
  for (const t of tools) validators.set(t.name, ajv.compile(t.outputSchema || {}));
  const { client: s0 } = await connectStdio('sdk-stdio-0');
  const stdioTools = (await s0.listTools()).tools;
  report('tools/list over HTTP is the stdio list', JSON.stringify(tools) === JSON.stringify(stdioTools),
    tools.map((t) => t.name));

  if (a.getServerCapabilities()?.resources) {
    const hr = await a.listResources();
    const sr = await s0.listResources();
    report('resources/list over HTTP is the stdio list', JSON.stringify(hr) === JSON.stringify(sr),
      hr);
  }

  // ---- every tool ----
  const rem = await callChecked(a, 'remember', {
    text: 'Moved the nightly backup to 03:00 because the 01:00 slot collided with the index rebuild.',
    type: 'decision', project: 'ops',
  });
  const mid = rem?.structuredContent?.memory_id;
  const rawId = rem?.structuredContent?.raw_id;
  let memId = mid;
  for (let i = 0; i < 300 && !memId; i++) {
    const r = await a.callTool({ name: 'recall', arguments: { query: 'nightly backup', project: 'ops' } });
    memId = r.structuredContent?.memories?.find((m) => m.raw_id === rawId)?.id;
    if (!memId) await sleep(100);
  }
  report('remember: encoded (by the daemon)', !!memId, rem?.structuredContent);
  const rec = await callChecked(a, 'recall', { query: 'nightly backup', limit: 5, project: 'ops' });
  const qid = rec?.structuredContent?.query_id;
  report('recall: finds the memory', !!rec?.structuredContent?.memories?.some((m) => m.id === memId));
  const srec = await s0.callTool({ name: 'recall', arguments: { query: 'nightly backup', limit: 5, project: 'ops' } });
  // the same memories in the same order with the same fields (scores move
  // with time and with the recall log, so they are not compared)
  const strip = (o) => JSON.stringify((o?.memories || []).map((m) => [m.id, Object.keys(m).sort()]));
  report('recall over HTTP and over stdio: the same result', strip(rec?.structuredContent) === strip(srec.structuredContent),
    [rec?.structuredContent, srec.structuredContent]);
  const fb = await callChecked(a, 'feedback', { query_id: qid, rating: 'helpful', memory_ids: [memId] });
  report('feedback: rated one', fb?.structuredContent?.rated === 1, fb?.structuredContent);
  const st = await callChecked(a, 'status', {});
  report('status: the daemon is running', st?.structuredContent?.daemon === 'running', st?.structuredContent);
  const au = await callChecked(a, 'audit_encodings', { limit: 5 });
  const enc = au?.structuredContent?.memories?.find((m) => m.id === memId)?.encoding;
  if (enc) await callChecked(a, 'amend', { memory_id: memId, encoding: { ...enc, gist: 'Nightly backup moved to 03:00' } });
  else report('http amend', false, 'no encoding to amend');
  await callChecked(a, 'training_status', {});
  await callChecked(a, 'model_versions', {});
  const tm = await callChecked(a, 'train_model', { reason: 'sdk http test' });
  report('train_model: an answer (accepted or declined)', typeof tm?.structuredContent?.accepted === 'boolean',
    tm?.structuredContent);
  const known = new Set(['remember', 'recall', 'feedback', 'status', 'audit_encodings', 'amend',
    'training_status', 'model_versions', 'train_model', 'forget']);
  for (const t of tools.filter((x) => !known.has(x.name))) {
    // tools added later: called when they need no argument
    if (!(t.inputSchema.required || []).length) await callChecked(a, t.name, {});
    else if ((t.inputSchema.required || []).join() === 'memory_id') await callChecked(a, t.name, { memory_id: memId });
    else report(`http ${t.name}: (no sample arguments; listed and schema compiled)`, true);
  }
  const f = await callChecked(a, 'forget', { memory_id: memId });
  report('forget: forgotten', f?.structuredContent?.forgotten === true, f?.structuredContent);
  try {
    await a.callTool({ name: 'no_such_tool', arguments: {} });
    report('unknown tool: -32602', false, 'no error');
  } catch (e) {
    report('unknown tool: -32602', e instanceof McpError && e.code === -32602, String(e));
  }
  const bad = await a.callTool({ name: 'recall', arguments: {} });
  report('missing argument: isError as on stdio', bad.isError === true && /query/.test(bad.content?.[0]?.text), bad);
  await a.ping();
  report('ping', true);

  // ---- 8 HTTP clients and a stdio client at once, one store ----
  const clients = [];
  for (let k = 0; k < 8; k++) clients.push((await connectHttp(url, `sdk-http-${k}`)).client);
  const work = [];
  for (let k = 0; k < 8; k++) {
    work.push((async () => {
      const out = [];
      for (let i = 0; i < 10; i++) {
        out.push(await clients[k].callTool({ name: 'remember', arguments: { text: `agent ${k} learned fact ${i} about the okapi deployment`, project: 'conc' } }));
        out.push(await clients[k].callTool({ name: 'recall', arguments: { query: 'okapi deployment', project: 'conc' } }));
      }
      return out;
    })());
  }
  work.push((async () => {
    const out = [];
    for (let i = 0; i < 10; i++) out.push(await s0.callTool({ name: 'remember', arguments: { text: `stdio agent fact ${i} about the okapi deployment`, project: 'conc' } }));
    return out;
  })());
  const all = (await Promise.all(work)).flat();
  report('8 HTTP clients and a stdio client at once: no errors', all.every((r) => !r.isError),
    all.filter((r) => r.isError).slice(0, 2));
  let total = 0;
  for (let i = 0; i < 300; i++) {
    const r = await a.callTool({ name: 'status', arguments: {} });
    const q = r.structuredContent?.queue || {};
    total = (q.queued || 0) + (q.claimed || 0) + (q.encoded || 0) + (q.failed || 0);
    if (total >= 2 + 90 && !q.queued && !q.claimed) break;
    await sleep(100);
  }
  // remember (1), its forget removed it; the concurrent 90; the stdio 0 before
  report('every concurrent remember is stored and encoded', total === 90, `total ${total}`);

  // ---- sessions end ----
  await ta.terminateSession();
  report('terminateSession (DELETE /mcp)', ta.sessionId === undefined, ta.sessionId);
  for (const c of clients) await c.close();
  await a.close();
  await s0.close();
  serve.kill('SIGTERM');
  const code = await new Promise((r) => serve.on('exit', (c) => r(c)));
  report('serve --http exits cleanly', code === 0 && /http: stopped/.test(serveLog),
    `exit ${code}: ${serveLog.slice(-400)}`);
}

try {
  await main();
} catch (e) {
  report('sdk http test', false, `${e?.stack || e} cause: ${e?.cause?.stack || e?.cause}; ` +
    `server ${serve?.exitCode ?? serve?.signalCode ?? 'running'}: ${serveLog.slice(-600)}`);
} finally {
  if (serve && serve.exitCode === null && serve.signalCode === null) serve.kill('SIGKILL');
  rmSync(T, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
