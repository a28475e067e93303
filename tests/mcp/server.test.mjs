// qwenlayer's MCP server driven by the official MCP TypeScript SDK client
// (@modelcontextprotocol/sdk, pinned in the root package.json), over stdio (`qwenlayer mcp`)
// and over Streamable HTTP (/mcp of `qwenlayer serve`), on a freshly seeded SQLite database:
// the tool list with its annotations, a read tool, an irreversible tool that leaves a pending
// action and changes nothing, argument validation, both protocol versions (2025-11-25, the
// SDK's own, and 2025-06-18, asked for by rewriting the SDK's initialize), and over HTTP the
// Origin check, authentication, sessions and their end.
//
// Environment (tests/mcp/mcp.cmake sets it): QWL_BIN (the qwenlayer binary), QWL_API_WORK (the
// API tests' folder with the tiny test model, for `serve`), QWL_MCP_WORK (a writable folder).
// By hand: QWL_BIN=build/qwenlayer QWL_API_WORK=build/tests/api QWL_MCP_WORK=build/tests/mcp \
//          node --test tests/mcp/server.test.mjs
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { McpError } from '@modelcontextprotocol/sdk/types.js';

import { BIN, featureTest, startServer } from '../api/lib/harness.mjs';

const WORK = process.env.QWL_MCP_WORK ?? path.resolve('build', 'tests', 'mcp');
const USER = 'alice@example.com';
const NEWEST = '2025-11-25';
const OLDER = '2025-06-18';

function cli(args) {
  return execFileSync(BIN, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

// A seeded SQLite database of its own for this file.
let dir;
let dbUrl;
before(() => {
  fs.mkdirSync(WORK, { recursive: true });
  dir = fs.mkdtempSync(path.join(WORK, 'server-'));
  dbUrl = path.join(dir, 'qwenlayer.db');
  cli(['seed', '--db', dbUrl, '--scale', 'demo', '--json']);
});
after(() => { if (dir) fs.rmSync(dir, { recursive: true, force: true }); });

// A transport that asks for `version` in initialize (the SDK always offers its newest) and
// keeps every message the server sent, so the test can read the negotiated version.
class VersionedTransport {
  constructor(inner, version) {
    this.inner = inner;
    this.version = version;
    this.received = [];
  }
  async start() {
    this.inner.onmessage = (message, extra) => {
      this.received.push(message);
      this.onmessage?.(message, extra);
    };
    this.inner.onclose = () => this.onclose?.();
    this.inner.onerror = (e) => this.onerror?.(e);
    return this.inner.start();
  }
  async send(message, options) {
    if (this.version && message.method === 'initialize') {
      message = { ...message, params: { ...message.params, protocolVersion: this.version } };
    }
    return this.inner.send(message, options);
  }
  async close() { return this.inner.close(); }
  get sessionId() { return this.inner.sessionId; }
  setProtocolVersion(v) { this.inner.setProtocolVersion?.(v); }
  get negotiated() {
    const init = this.received.find((m) => m.result?.protocolVersion);
    return init?.result.protocolVersion;
  }
}

function stdioTransport(version) {
  const inner = new StdioClientTransport({
    command: BIN,
    args: ['mcp', '--db', dbUrl, '--user', USER],
    stderr: 'pipe',
  });
  const stderr = [];
  inner.stderr?.on('data', (d) => stderr.push(String(d)));
  const t = new VersionedTransport(inner, version);
  t.stderr = stderr;
  return t;
}

async function connect(transport) {
  const client = new Client({ name: 'qwenlayer-mcp-test', version: '1.0.0' });
  try {
    await client.connect(transport);
  } catch (e) {
    throw new Error(`connect failed (HTTP ${e.code ?? '-'}): ${e.message}\n${(transport.stderr ?? []).join('')}`);
  }
  return client;
}

// The checks both transports share.
async function checkToolList(client) {
  const { tools } = await client.listTools();
  assert.equal(tools.length, 27, tools.map((t) => t.name).join(', '));
  const byName = Object.fromEntries(tools.map((t) => [t.name, t]));
  for (const read of ['search_products', 'search_merchants', 'get_wallet', 'get_route']) {
    assert.equal(byName[read].annotations.readOnlyHint, true, read);
  }
  for (const write of ['add_to_cart', 'claim_coupon']) {
    assert.equal(byName[write].annotations.readOnlyHint, false, write);
    assert.equal(byName[write].annotations.destructiveHint, false, write);
  }
  for (const irreversible of ['checkout', 'top_up_wallet', 'book_table', 'request_ride',
    'cancel_order']) {
    assert.equal(byName[irreversible].annotations.readOnlyHint, false, irreversible);
    assert.equal(byName[irreversible].annotations.destructiveHint, true, irreversible);
    assert.match(byName[irreversible].description, /pending action/);
  }
  const checkout = byName.checkout;
  assert.equal(checkout.title, 'Checkout');
  assert.equal(checkout.inputSchema.type, 'object');
  assert.deepEqual(checkout.inputSchema.required, ['merchant_id']);
  assert.equal(checkout.inputSchema.additionalProperties, false);
}

async function wallet(client) {
  const r = await client.callTool({ name: 'get_wallet', arguments: {} });
  assert.equal(r.isError, false, JSON.stringify(r));
  assert.equal(r.content[0].type, 'text');
  assert.deepEqual(JSON.parse(r.content[0].text), r.structuredContent);
  return r.structuredContent;
}

async function checkReadTool(client) {
  const r = await client.callTool({ name: 'search_merchants', arguments: { query: 'latte' } });
  assert.equal(r.isError, false, JSON.stringify(r));
  assert.equal(typeof r.structuredContent, 'object');
  assert.deepEqual(JSON.parse(r.content[0].text), r.structuredContent);
  await wallet(client);
}

// top_up_wallet over MCP: a pending action awaiting the user, and the wallet unchanged.
async function checkIrreversibleTool(client) {
  const before = await wallet(client);
  const r = await client.callTool({ name: 'top_up_wallet', arguments: { amount: 10000 } });
  assert.equal(r.isError, false, JSON.stringify(r));
  assert.equal(r.structuredContent.status, 'pending_confirmation');
  const action = r.structuredContent.action;
  assert.match(action.id, /^act_[0-9a-f]{24}$/);
  assert.equal(action.status, 'pending');
  assert.equal(action.tool, 'top_up_wallet');
  assert.match(action.hash, /^[0-9a-f]{64}$/);
  assert.ok(action.expires_at > Date.now() / 1000);
  assert.match(r.content[0].text, /^NOT EXECUTED/);
  assert.ok(r.content[0].text.includes(action.id));
  assert.deepEqual(await wallet(client), before, 'the wallet must not change before the user confirms');
  // Calling it again replaces the first pending action; still nothing runs.
  const again = await client.callTool({ name: 'top_up_wallet', arguments: { amount: 20000 } });
  assert.equal(again.structuredContent.status, 'pending_confirmation');
  assert.notEqual(again.structuredContent.action.id, action.id);
  assert.deepEqual(await wallet(client), before);
  return action;
}

describe('stdio: qwenlayer mcp', () => {
  test(`protocol ${NEWEST}: tools, a read, an irreversible call, validation as a tool error`, async () => {
    const transport = stdioTransport(null);
    const client = await connect(transport);
    try {
      assert.equal(transport.negotiated, NEWEST);
      assert.equal(client.getServerVersion().name, 'qwenlayer');
      assert.deepEqual(client.getServerCapabilities().tools, { listChanged: false });
      assert.match(client.getInstructions(), /pending action/);
      await checkToolList(client);
      await checkReadTool(client);
      await checkIrreversibleTool(client);
      const bad = await client.callTool({ name: 'top_up_wallet', arguments: { amount: 5 } });
      assert.equal(bad.isError, true);
      assert.match(bad.content[0].text, /\/amount: 5 is less than the minimum 100/);
      await assert.rejects(client.callTool({ name: 'no_such_tool', arguments: {} }),
        (e) => e instanceof McpError && e.code === -32602);
      await client.ping();
    } finally {
      await client.close();
    }
  });

  test(`protocol ${OLDER}: negotiated, and invalid arguments are a JSON-RPC error`, async () => {
    const transport = stdioTransport(OLDER);
    const client = await connect(transport);
    try {
      assert.equal(transport.negotiated, OLDER);
      await checkToolList(client);
      await checkReadTool(client);
      await assert.rejects(client.callTool({ name: 'top_up_wallet', arguments: { amount: 5 } }),
        (e) => e instanceof McpError && e.code === -32602 && /\/amount/.test(e.message));
    } finally {
      await client.close();
    }
  });
});

describe('Streamable HTTP: /mcp of qwenlayer serve', () => {
  let server;
  let key;
  let otherKey;
  const mcpUrl = () => new URL(server.url('/mcp'));
  const mcpPresent = async () => {
    const r = await fetch(server.url('/mcp'), { method: 'POST' });
    return r.status !== 404;
  };
  const httpTransport = (version, headers = {}) => new VersionedTransport(
    new StreamableHTTPClientTransport(mcpUrl(), {
      requestInit: { headers: { Authorization: `Bearer ${key}`, ...headers } },
    }), version);

  before(async () => {
    key = JSON.parse(cli(['keys', 'create', '--db', dbUrl, '--user', USER, '--json'])).key;
    otherKey = JSON.parse(cli(['keys', 'create', '--db', dbUrl, '--user', 'wang@example.com',
      '--json'])).key;
    server = await startServer({ args: ['--db', dbUrl], name: 'mcp-serve' });
  });
  after(async () => { if (server) await server.stopClean(); });

  for (const version of [NEWEST, OLDER]) {
    test(`protocol ${version}: tools, a read, an irreversible call`, featureTest('/mcp in serve', mcpPresent, async () => {
      const transport = httpTransport(version === NEWEST ? null : version);
      const client = await connect(transport);
      try {
        assert.equal(transport.negotiated, version);
        assert.match(transport.sessionId, /^mcp_[0-9a-f]{32}$/);
        await checkToolList(client);
        await checkReadTool(client);
        await checkIrreversibleTool(client);
      } finally {
        await transport.inner.terminateSession();
        await client.close();
      }
    }));
  }

  test('the user confirms an action an MCP client proposed, through the app API', featureTest('/mcp and /api/v1/actions in serve', mcpPresent, async () => {
    const transport = httpTransport(null);
    const client = await connect(transport);
    try {
      const before = await wallet(client);
      const r = await client.callTool({ name: 'top_up_wallet', arguments: { amount: 12300 } });
      const action = r.structuredContent.action;
      assert.deepEqual(await wallet(client), before);
      const confirm = (id, hash, bearer) => fetch(server.url(`/api/v1/actions/${id}/confirm`), {
        method: 'POST',
        headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/json' },
        body: JSON.stringify({ hash }),
      });
      // Another user cannot, nor can a wrong hash.
      assert.equal((await confirm(action.id, action.hash, otherKey)).status, 404);
      assert.equal((await confirm(action.id, '0'.repeat(64), key)).status, 400);
      assert.deepEqual(await wallet(client), before);
      const ok = await confirm(action.id, action.hash, key);
      const body = await ok.json();
      assert.equal(ok.status, 200, JSON.stringify(body));
      assert.equal(body.status, 'confirmed');
      const after = await wallet(client);
      assert.equal(after.balance, before.balance + 12300);
      // Confirming again executes nothing more.
      assert.equal((await confirm(action.id, action.hash, key)).status, 200);
      assert.equal((await wallet(client)).balance, after.balance);
    } finally {
      await transport.inner.terminateSession();
      await client.close();
    }
  }));

  test('sessions: bound to their user and version, ended by DELETE', featureTest('/mcp in serve', mcpPresent, async () => {
    const transport = httpTransport(null);
    const client = await connect(transport);
    const sid = transport.sessionId;
    const post = (body, headers) => fetch(server.url('/mcp'), {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream',
        ...headers },
      body: JSON.stringify(body),
    });
    const ping = { jsonrpc: '2.0', id: 9, method: 'ping' };
    try {
      let r = await post(ping, { authorization: `Bearer ${key}`, 'mcp-session-id': sid,
        'mcp-protocol-version': NEWEST });
      assert.equal(r.status, 200);
      assert.deepEqual(await r.json(), { jsonrpc: '2.0', id: 9, result: {} });
      r = await post(ping, { authorization: `Bearer ${key}`, 'mcp-session-id': sid,
        'mcp-protocol-version': OLDER });
      assert.equal(r.status, 400, 'another version than the session negotiated');
      r = await post(ping, { authorization: `Bearer ${otherKey}`, 'mcp-session-id': sid });
      assert.equal(r.status, 404, "another user's session reads as unknown");
      r = await post(ping, { authorization: `Bearer ${key}` });
      assert.equal(r.status, 400, 'no session header');
      r = await fetch(server.url('/mcp'), { headers: { authorization: `Bearer ${key}` } });
      assert.equal(r.status, 405, 'no GET stream');
      await transport.inner.terminateSession();
      r = await post(ping, { authorization: `Bearer ${key}`, 'mcp-session-id': sid });
      assert.equal(r.status, 404, 'a deleted session');
    } finally {
      await client.close();
    }
  }));

  test('a foreign Origin is refused with 403; localhost origins are not', featureTest('/mcp in serve', mcpPresent, async () => {
    const init = { jsonrpc: '2.0', id: 1, method: 'initialize',
      params: { protocolVersion: NEWEST, capabilities: {}, clientInfo: { name: 'x', version: '1' } } };
    const post = (origin) => fetch(server.url('/mcp'), {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream',
        authorization: `Bearer ${key}`, ...(origin ? { origin } : {}) },
      body: JSON.stringify(init),
    });
    let r = await post('http://evil.example');
    assert.equal(r.status, 403);
    assert.equal(r.headers.get('mcp-session-id'), null);
    r = await post('http://localhost.evil.example:8080');
    assert.equal(r.status, 403);
    r = await post(`http://localhost:${server.port}`);
    assert.equal(r.status, 200);
    r = await post(null);
    assert.equal(r.status, 200);
    // And the SDK client itself, sending a foreign Origin, cannot connect.
    const transport = httpTransport(null, { Origin: 'http://evil.example' });
    await assert.rejects(connect(transport), /403|Origin/);
  }));

  test('credentials are required', featureTest('/mcp in serve', mcpPresent, async () => {
    const transport = new StreamableHTTPClientTransport(mcpUrl());
    await assert.rejects(connect(transport), /401|not signed in/);
    const wrong = new StreamableHTTPClientTransport(mcpUrl(), {
      requestInit: { headers: { Authorization: 'Bearer qwl-this-is-not-a-valid-key' } } });
    await assert.rejects(connect(wrong), /401/);
  }));
});
