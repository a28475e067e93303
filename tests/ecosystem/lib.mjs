// Shared pieces of the ecosystem's end-to-end tests: a seeded database (SQLite file or a fresh
// PostgreSQL database from tests/ecosystem/pg_fixture), users' API keys made with the CLI, a
// small JSON client for the app API, a seeded random generator, and `qwenlayer audit`.
//
// Environment (ecosystem.cmake sets them): QWL_BIN, QWL_API_WORK (the folder of the test model),
// QWL_ECO_WORK (a writable folder), QWL_PG_FIXTURE (the pg_fixture binary).
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';

export { startServer } from '../api/lib/harness.mjs';
import { BIN } from '../api/lib/harness.mjs';
export { BIN };

export const WORK = process.env.QWL_ECO_WORK ?? path.resolve('build', 'tests', 'ecosystem');
export const OPERATOR_KEY = 'operator-key-for-ecosystem-tests-0123456789';

// A database for one test: { url, close() }. kind 'sqlite' -> a new file under WORK;
// 'postgres' -> a new database on a throw-away server that pg_fixture starts (stopped by close()).
export async function freshDatabase(kind, name) {
  fs.mkdirSync(WORK, { recursive: true });
  if (kind === 'sqlite') {
    const dir = fs.mkdtempSync(path.join(WORK, `${name}-`));
    return { url: path.join(dir, 'qwenlayer.db'), close: async () => fs.rmSync(dir, { recursive: true, force: true }) };
  }
  const fixture = process.env.QWL_PG_FIXTURE;
  if (!fixture) throw new Error('QWL_PG_FIXTURE is not set (the pg_fixture binary)');
  const proc = spawn(fixture, [], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = readline.createInterface({ input: proc.stdout });
  const url = await new Promise((resolve, reject) => {
    lines.once('line', resolve);
    proc.once('exit', (code) => reject(new Error(`pg_fixture exited with ${code}`)));
  });
  const exited = new Promise((resolve) => proc.once('exit', resolve));
  return { url, close: async () => { proc.stdin.end(); await exited; } };
}

// Runs the CLI; returns stdout (throws with stderr on a non-zero exit unless allowFailure).
export function cli(args, { allowFailure = false, input } = {}) {
  try {
    return execFileSync(BIN, args, { encoding: 'utf8', input, stdio: ['pipe', 'pipe', 'pipe'] });
  } catch (e) {
    if (allowFailure) return e.stdout ?? '';
    throw new Error(`qwenlayer ${args.join(' ')} failed (${e.status}):\n${e.stderr}`);
  }
}

export function seed(url) { cli(['seed', '--db', url, '--scale', 'demo', '--json']); }

export function apiKey(url, email) {
  return JSON.parse(cli(['keys', 'create', '--db', url, '--user', email, '--json'])).key;
}

// `qwenlayer audit --json` (its exit code is 1 when an invariant fails; the JSON says which).
export function audit(url) {
  return JSON.parse(cli(['audit', '--db', url, '--json'], { allowFailure: true }));
}

// A client of the app API acting with one key. Every call resolves { status, body, headers };
// connection errors reject (the crash test relies on that).
export class Client {
  constructor(origin, key) { this.origin = origin; this.key = key; }
  async call(method, p, body, { idempotencyKey, timeoutMs = 30_000 } = {}) {
    const headers = { authorization: `Bearer ${this.key}` };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (idempotencyKey) headers['idempotency-key'] = idempotencyKey;
    const r = await fetch(this.origin + p, {
      method, headers, body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await r.text();
    let parsed = null;
    try { parsed = text ? JSON.parse(text) : null; } catch { parsed = { raw: text }; }
    return { status: r.status, body: parsed, headers: r.headers };
  }
  get(p) { return this.call('GET', p); }
  post(p, body = {}, opts) { return this.call('POST', p, body, opts); }
  patch(p, body, opts) { return this.call('PATCH', p, body, opts); }
  del(p) { return this.call('DELETE', p); }
}

// xorshift-style seeded generator: the same seed gives the same operations.
export function rng(seed) {
  let s = BigInt(seed) * 0x9e3779b97f4a7c15n & 0xffffffffffffffffn || 1n;
  const next = () => {
    s ^= s << 13n; s &= 0xffffffffffffffffn;
    s ^= s >> 7n;
    s ^= s << 17n; s &= 0xffffffffffffffffn;
    return Number(s >> 11n) / 2 ** 53;
  };
  return { float: next, int: (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)),
           pick: (xs) => xs[Math.floor(next() * xs.length)] };
}

// The city's local date (UTC+8) `days` from now as YYYY-MM-DD.
export function localDate(days) {
  const d = new Date(Date.now() + 8 * 3600_000 + days * 86_400_000);
  return d.toISOString().slice(0, 10);
}
