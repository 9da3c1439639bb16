// mnemo's MCP server driven by the official MCP TypeScript SDK client.
//
// Spawns `mnemo mcp` ($MNEMO_BIN) over StdioClientTransport with a fresh
// MNEMO_HOME, lists the tools, calls every tool and validates each result's
// structuredContent against the tool's declared outputSchema (the SDK
// validates too; this checks explicitly with Ajv), runs remember -> recall ->
// feedback -> status, then runs two clients at once beside a running
// `mnemo serve` on the same home. Prints "PASS name" / "FAIL name: why".
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import Ajv from 'ajv';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { LATEST_PROTOCOL_VERSION, McpError } from '@modelcontextprotocol/sdk/types.js';

const MNEMO = process.env.MNEMO_BIN;
if (!MNEMO) {
  console.log('FAIL setup: MNEMO_BIN is not set');
  process.exit(1);
}
const T = mkdtempSync(join(process.env.TMPDIR || tmpdir(), 'mnemo-sdk-'));
const HOME = join(T, 'home');
let failed = 0;
let serve = null; // the daemon, killed on the way out whatever happens

function report(name, ok, why = '') {
  if (ok) {
    console.log(`PASS ${name}`);
  } else {
    failed++;
    console.log(`FAIL ${name}: ${typeof why === 'string' ? why : JSON.stringify(why)?.slice(0, 400)}`);
  }
}

function serverEnv(extra = {}) {
  // StdioClientTransport passes only a small default environment unless
  // told otherwise; mnemo needs its home (and the test weights, if any).
  const env = { ...process.env, MNEMO_HOME: HOME, ...extra };
  delete env.MNEMO_CONFIG;
  return env;
}

async function connect(name) {
  const transport = new StdioClientTransport({
    command: MNEMO,
    args: ['mcp'],
    env: serverEnv(),
    stderr: 'pipe',
  });
  // The SDK tells a transport the negotiated revision through this hook
  // (HTTP needs it for headers); stdio has none, so record it here.
  let protocol = null;
  transport.setProtocolVersion = (v) => { protocol = v; };
  const client = new Client({ name, version: '1.0.0' });
  await client.connect(transport);
  return { client, transport, protocol };
}

const ajv = new Ajv({ strict: false, allErrors: true });
const validators = new Map();

// Call a tool; check the result's shape and its structuredContent against
// the declared outputSchema. Returns the result.
async function callChecked(client, name, args, label = name) {
  let res;
  try {
    res = await client.callTool({ name, arguments: args });
  } catch (e) {
    report(label, false, `threw ${e}`);
    return null;
  }
  const textOk = Array.isArray(res.content) && res.content[0]?.type === 'text' &&
    typeof res.content[0].text === 'string' && res.content[0].text.length > 0;
  if (res.isError) {
    report(label, false, `isError: ${res.content?.[0]?.text}`);
    return res;
  }
  const validate = validators.get(name);
  const valid = validate(res.structuredContent);
  report(label, textOk && valid, valid ? res : ajv.errorsText(validate.errors));
  return res;
}

async function main() {
  // ---- one client: tools and schemas ----
  const { client: a, transport: ta, protocol } = await connect('sdk-a');
  report(`initialize: the SDK's revision ${LATEST_PROTOCOL_VERSION} is negotiated`,
    protocol === LATEST_PROTOCOL_VERSION, protocol);
  const info = a.getServerVersion();
  report('initialize: serverInfo', info?.name === 'mnemo' && typeof info.version === 'string', info);
  report('initialize: capabilities', a.getServerCapabilities()?.tools?.listChanged === false,
    a.getServerCapabilities());
  report('initialize: instructions', (a.getInstructions() || '').includes('recall'));

  const { tools } = await a.listTools();
  const names = tools.map((t) => t.name).sort();
  const want = ['amend', 'audit_encodings', 'feedback', 'forget', 'get_memory', 'list_memories',
    'model_versions', 'recall', 'remember', 'status', 'train_model', 'training_status',
    'update_memory'];
  report('tools/list: every tool', JSON.stringify(names) === JSON.stringify(want), names);
  let schemasOk = true;
  for (const t of tools) {
    try {
      validators.set(t.name, ajv.compile(t.outputSchema));
      ajv.compile(t.inputSchema);
    } catch (e) {
      schemasOk = false;
      report(`schema compiles: ${t.name}`, false, String(e));
    }
    schemasOk &&= t.inputSchema.additionalProperties === false && typeof t.description === 'string';
  }
  report('tools/list: input and output schemas compile', schemasOk);
  const args = Object.fromEntries(tools.map((t) => [t.name, Object.keys(t.inputSchema.properties || {}).sort()]));
  report('argument names are the contract',
    JSON.stringify(args.remember) === '["project","source","text","time","type"]' &&
    JSON.stringify(args.recall) === '["explain","full","limit","max_chars","project","query","since","source","type","until"]' &&
    JSON.stringify(args.feedback) === '["memory_ids","query_id","rating"]' &&
    JSON.stringify(args.amend) === '["encoding","memory_id"]' &&
    JSON.stringify(args.forget) === '["memory_id"]' &&
    JSON.stringify(args.audit_encodings) === '["category","limit"]' &&
    JSON.stringify(args.train_model) === '["force","model","reason"]' &&
    JSON.stringify(args.model_versions) === '["model"]' &&
    JSON.stringify(args.training_status) === '["request_id"]' &&
    JSON.stringify(args.list_memories) === '["category","cursor","limit","oldest","project","since","source","state","type","until"]' &&
    JSON.stringify(args.get_memory) === '["memory_id"]' &&
    JSON.stringify(args.update_memory) === '["memory_id","text"]', args);
  const amendEnc = tools.find((t) => t.name === 'amend')?.inputSchema?.properties?.encoding;
  report('amend: the encoding schema lists the ten keys with their types and values',
    amendEnc?.required?.length === 10 && amendEnc.additionalProperties === false &&
    amendEnc.properties?.outcome?.enum?.includes('success') &&
    amendEnc.properties?.salience?.type === 'number', amendEnc);
  const ann = Object.fromEntries(tools.map((t) => [t.name, t.annotations || {}]));
  report('annotations: recall and status are read-only',
    ann.recall.readOnlyHint === true && ann.status.readOnlyHint === true, ann);
  report('annotations: feedback and amend overwrite, forget is idempotent',
    ann.feedback.destructiveHint === true && ann.feedback.idempotentHint === true &&
    ann.amend.destructiveHint === true && ann.amend.idempotentHint === true &&
    ann.forget.destructiveHint === true && ann.forget.idempotentHint === true &&
    ann.remember.destructiveHint === false && ann.remember.idempotentHint === false, ann);
  const noMax = [];
  for (const t of tools) {
    for (const [k, p0] of Object.entries(t.inputSchema.properties || {})) {
      const p = p0.type === 'array' ? p0.items : p0;
      if (p0.type === 'array' && !Number.isInteger(p0.maxItems)) noMax.push(`${t.name}.${k} maxItems`);
      if (p?.type === 'string' && !Number.isInteger(p.maxLength)) noMax.push(`${t.name}.${k}`);
    }
  }
  report('every string argument has maxLength', noMax.length === 0, noMax);
  try {
    await a.listTools({ cursor: 'bogus' });
    report('invalid cursor: -32602', false, 'no error');
  } catch (e) {
    report('invalid cursor: -32602', e instanceof McpError && e.code === -32602, String(e));
  }

  // ---- the loop: remember -> recall -> feedback -> status ----
  const rem = await callChecked(a, 'remember', {
    text: 'Fixed the flaky test in tests/net_test.py by raising the timeout to 30 seconds.',
    type: 'fix', project: 'demo',
  });
  const mid = rem?.structuredContent?.memory_id;
  report('remember: encoded with a memory id', rem?.structuredContent?.state === 'encoded' && !!mid,
    rem?.structuredContent);
  const rec = await callChecked(a, 'recall', { query: 'flaky test timeout', limit: 5, project: 'demo' });
  const sc = rec?.structuredContent;
  report('recall: finds the memory', !!sc?.memories?.some((m) => m.id === mid), sc);
  report('recall: text names the query id', rec?.content?.[0]?.text?.includes(sc?.query_id));
  const fb = await callChecked(a, 'feedback', { query_id: sc?.query_id, rating: 'helpful', memory_ids: [mid] });
  report('feedback: rated one', fb?.structuredContent?.rated === 1, fb?.structuredContent);
  const st = await callChecked(a, 'status', {});
  report('status: counts the memory and rating', st?.structuredContent?.memories === 1 &&
    st?.structuredContent?.ratings === 1, st?.structuredContent);

  // ---- every other tool ----
  const au = await callChecked(a, 'audit_encodings', { limit: 5 });
  const enc = au?.structuredContent?.memories?.[0]?.encoding;
  report('audit_encodings: newest first with metrics', au?.structuredContent?.memories?.[0]?.id === mid &&
    typeof au.structuredContent.memories[0].metrics?.epr === 'number');
  await callChecked(a, 'audit_encodings', { category: 'needs_improvement', limit: 1 }, 'audit_encodings by category');
  if (enc) {
    await callChecked(a, 'amend', { memory_id: mid, encoding: { ...enc, gist: 'Raised flaky test timeout to 30s' } });
  } else {
    report('amend', false, 'no encoding to amend');
  }
  await callChecked(a, 'recall', { query: 'timeout', since: '2000-01-01T00:00:00Z', type: 'fix' }, 'recall with filters');
  const rt = await callChecked(a, 'remember', { text: 'Yesterday we moved the build cache to the NVMe disks.',
    project: 'demo', time: '2026-03-04T10:00:00Z' }, 'remember with a time');
  const rd = await callChecked(a, 'recall', { query: 'what happened on March 3 2026', explain: true, full: true,
    project: 'demo' }, 'recall of a resolved date, full and explained');
  const top = rd?.structuredContent?.memories?.[0];
  report('recall: a relative date in the text is found by its day, with explain and the full memory',
    top?.raw_id === rt?.structuredContent?.raw_id && !!top?.explain && !!top?.encoding &&
    top?.time?.startsWith('2026-03-04'), rd?.structuredContent);
  const rb = await callChecked(a, 'recall', { query: 'timeout cache', max_chars: 100, until: '2100-01-01' },
    'recall with a budget');
  report('recall: max_chars returns the whole results that fit', rb?.structuredContent?.memories?.length === 1 &&
    rb.structuredContent.omitted >= 1, rb?.structuredContent);
  await callChecked(a, 'training_status', {});
  await callChecked(a, 'model_versions', {});

  // ---- browse and correct (list_memories, get_memory, update_memory, resources) ----
  await callChecked(a, 'remember', { text: 'The CI cache key includes the lockfile hash.', project: 'demo' },
    'remember (a second memory to page)');
  const l1 = await callChecked(a, 'list_memories', { limit: 1 });
  const cur = l1?.structuredContent?.nextCursor;
  report('list_memories: one page and a nextCursor', l1?.structuredContent?.memories?.length === 1 &&
    typeof cur === 'string', l1?.structuredContent);
  const l2 = await callChecked(a, 'list_memories', { limit: 1, cursor: cur }, 'list_memories next page');
  report('list_memories: the next page is another memory',
    l2?.structuredContent?.memories?.[0]?.raw_id !== l1?.structuredContent?.memories?.[0]?.raw_id);
  const gm = await callChecked(a, 'get_memory', { memory_id: mid });
  report('get_memory: the amendment is in its history', gm?.structuredContent?.history?.[0]?.kind === 'amend',
    gm?.structuredContent?.history);
  const um = await callChecked(a, 'update_memory', { memory_id: mid,
    text: 'Fixed the flaky test in tests/net_test.py by raising the timeout to 60 seconds.' });
  report('update_memory: re-encoded in place', um?.structuredContent?.reencoded === true &&
    um.structuredContent.memory_id === mid, um?.structuredContent);
  const dup = await callChecked(a, 'remember', { text: 'Fixed the flaky test in tests/net_test.py by raising the timeout to 60 seconds.', project: 'demo' }, 'remember the same text');
  report('remember the same text: duplicate of the memory', dup?.structuredContent?.duplicate === true &&
    dup.structuredContent.memory_id === mid, dup?.structuredContent);
  report('initialize: resources capability', !!a.getServerCapabilities()?.resources);
  try {
    const rl = await a.listResources();
    report('resources/list: memories as mnemo://memory/ID',
      rl.resources.some((r) => r.uri === `mnemo://memory/${mid}`), rl);
    const rr = await a.readResource({ uri: `mnemo://memory/${mid}` });
    report('resources/read: the memory as JSON', JSON.parse(rr.contents[0].text).id === mid, rr);
    const tl = await a.listResourceTemplates();
    report('resources/templates/list', tl.resourceTemplates[0]?.uriTemplate === 'mnemo://memory/{id}', tl);
  } catch (e) {
    report('resources', false, String(e));
  }
  const estop = join(HOME, 'training.disabled');
  writeFileSync(estop, 'sdk test\n');
  const tm = await callChecked(a, 'train_model', { reason: 'sdk test' });
  report('train_model: declined with a reason, not an error', tm?.structuredContent?.accepted === false &&
    typeof tm.structuredContent.reason === 'string', tm?.structuredContent);
  unlinkSync(estop);
  const tmp = await callChecked(a, 'remember', { text: 'Temporary memory to forget.' }, 'remember (to forget)');
  const fid = tmp?.structuredContent?.memory_id || tmp?.structuredContent?.raw_id;
  await callChecked(a, 'forget', { memory_id: fid });
  const again = await callChecked(a, 'forget', { memory_id: fid }, 'forget again (idempotent)');
  report('forget again: forgotten false, not an error', again?.structuredContent?.forgotten === false,
    again?.structuredContent);

  // ---- errors as the SDK sees them ----
  const empty = await a.callTool({ name: 'remember', arguments: { text: '' } });
  report('empty text: isError without structuredContent', empty.isError === true &&
    empty.structuredContent === undefined && /empty/.test(empty.content[0].text), empty);
  const unknownQ = await a.callTool({ name: 'feedback', arguments: { query_id: 'nope', rating: 'partial' } });
  report('unknown query id: isError', unknownQ.isError === true, unknownQ);
  // Not a call of a tool the server has: protocol errors.
  for (const [label, call] of [
    ['unknown tool', { name: 'no_such_tool', arguments: {} }],
    ['tool name with a NUL', { name: 'status\u0000x', arguments: {} }],
  ]) {
    try {
      await a.callTool(call);
      report(`${label}: -32602`, false, 'no error');
    } catch (e) {
      report(`${label}: -32602`, e instanceof McpError && e.code === -32602, String(e));
    }
  }
  // Invalid arguments: a tool result the model reads and acts on (SEP-1303).
  for (const [label, call, needle] of [
    ['missing argument', { name: 'recall', arguments: {} }, "missing argument 'query'"],
    ['wrong type', { name: 'recall', arguments: { query: 5 } }, "'query' of tool 'recall' must be a string"],
    ['unknown argument', { name: 'forget', arguments: { memory_id: 'x', force: true } },
      "unknown argument 'force' for tool 'forget'; it takes: memory_id"],
    ['too long', { name: 'recall', arguments: { query: 'q'.repeat(4097) } }, 'over its limit of 4096'],
  ]) {
    let res;
    try {
      res = await a.callTool(call);
    } catch (e) {
      report(`${label}: isError`, false, `threw ${e}`);
      continue;
    }
    report(`${label}: isError`, res.isError === true && res.structuredContent === undefined &&
      res.content?.[0]?.text?.includes(needle), res);
  }
  // A response from the client to nothing the server asked gets no reply;
  // one would reach the SDK as a response to an unknown id.
  const stray = [];
  a.onerror = (e) => stray.push(String(e));
  await ta.send({ jsonrpc: '2.0', id: 'stray', result: {} });
  await ta.send({ jsonrpc: '2.0', id: null, error: { code: -32600, message: 'Invalid Request' } });
  await a.ping();
  await new Promise((r) => setTimeout(r, 200));
  report('client responses get no reply', stray.length === 0, stray);
  a.onerror = undefined;
  await a.ping();
  report('ping', true);
  await a.close();

  // ---- two clients beside a running daemon ----
  serve = spawn(MNEMO, ['serve'], { env: serverEnv(), stdio: ['ignore', 'ignore', 'pipe'] });
  let serveLog = '';
  serve.stderr.on('data', (d) => { serveLog += d; });
  const c1 = (await connect('sdk-1')).client;
  const c2 = (await connect('sdk-2')).client;
  let daemon = '';
  for (let i = 0; i < 100 && daemon !== 'running'; i++) {
    const s = await c1.callTool({ name: 'status', arguments: {} });
    daemon = s.structuredContent?.daemon;
    if (daemon !== 'running') await new Promise((r) => setTimeout(r, 100));
  }
  report('daemon: running beside the MCP servers', daemon === 'running', serveLog.slice(-400));
  const writes = [];
  for (let i = 0; i < 5; i++) {
    writes.push(c1.callTool({ name: 'remember', arguments: { text: `alpha client observation number ${i} about zebrafish`, project: 'shared' } }));
    writes.push(c2.callTool({ name: 'remember', arguments: { text: `bravo client observation number ${i} about zebrafish`, project: 'shared' } }));
  }
  const results = await Promise.all(writes);
  report('two clients: every remember stored', results.every((r) => !r.isError &&
    ['encoded', 'queued'].includes(r.structuredContent?.state)), results.filter((r) => r.isError));
  for (const [label, c] of [['client 1', c1], ['client 2', c2]]) {
    const r = await callChecked(c, 'recall', { query: 'zebrafish', limit: 20, project: 'shared' }, `${label}: recall`);
    const texts = JSON.stringify(r?.structuredContent?.memories || []);
    report(`${label}: recall sees both clients`, r?.structuredContent?.memories?.length === 10 &&
      texts.includes('alpha client') && texts.includes('bravo client'), r?.structuredContent?.memories?.length);
  }
  // the daemon drains the queue
  let queued = -1;
  for (let i = 0; i < 100 && queued !== 0; i++) {
    const s = await c2.callTool({ name: 'status', arguments: {} });
    queued = s.structuredContent?.queue?.queued + s.structuredContent?.queue?.claimed;
    if (queued !== 0) await new Promise((r) => setTimeout(r, 100));
  }
  report('daemon: encodes what the MCP servers queued', queued === 0, `queued ${queued}`);
  await c1.close();
  await c2.close();
  serve.kill('SIGTERM');
  const code = await new Promise((r) => serve.on('exit', (c) => r(c)));
  report('daemon: exits cleanly', code === 0, `exit ${code}: ${serveLog.slice(-400)}`);
}

try {
  await main();
} catch (e) {
  report('sdk test', false, e?.stack || String(e));
} finally {
  if (serve && serve.exitCode === null && serve.signalCode === null) serve.kill('SIGKILL');
  rmSync(T, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
