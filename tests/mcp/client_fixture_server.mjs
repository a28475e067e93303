// An MCP server built with the official TypeScript SDK (@modelcontextprotocol/sdk), for the MCP
// client's tests (src/agent/mcp_client_test.cpp). It speaks stdio by default; with
// `--http PORT` (0: any free port) it serves Streamable HTTP on 127.0.0.1 instead, printing one
// line {"url": "http://127.0.0.1:PORT"} on stdout once it listens. Two endpoints: /mcp answers
// requests with SSE streams (the SDK's default), /mcp-json with plain JSON bodies; both are
// stateful (MCP-Session-Id). With `--token T` every HTTP request needs "Authorization: Bearer T".
//
// Tools, one per behaviour the client must handle: annotations of each side-effect class, text
// with structuredContent after a log notification, isError, a slow call, a crash mid-call (stdio), the request headers
// seen (HTTP), a counter of irreversible calls (idempotency), and dropping the session (HTTP 404
// then re-initialize).
import http from 'node:http';
import { randomUUID } from 'node:crypto';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';

const argv = process.argv.slice(2);
const option = (name) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
};
const httpPort = option('--http');
const token = option('--token');

let transfers = 0;  // send_money calls, shared by every session
const sessions = new Map();  // session id -> transport

const text = (s) => ({ content: [{ type: 'text', text: s }] });

function makeServer() {
  const server = new McpServer({ name: 'client-fixture', version: '1.0.0' },
                                { capabilities: { logging: {} } });

  server.registerTool('lookup', {
    title: 'Weather lookup',
    description: 'The weather in a city.',
    inputSchema: { city: z.string().min(1).describe('city name') },
    outputSchema: { city: z.string(), temp_c: z.number().int() },
    annotations: { readOnlyHint: true },
  }, async ({ city }, extra) => {
    // Over HTTP with SSE this notification precedes the response in the same stream.
    await extra.sendNotification({ method: 'notifications/message',
                                   params: { level: 'info', logger: 'fixture', data: `looking up ${city}` } });
    const structured = { city, temp_c: 21 };
    return { content: [{ type: 'text', text: `${city}: sunny, 21°C` }], structuredContent: structured };
  });

  server.registerTool('save_note', {
    description: 'Saves a note for later.',
    inputSchema: { note: z.string() },
    annotations: { readOnlyHint: false, destructiveHint: false },
  }, async ({ note }) => text(`saved: ${note}`));

  // No annotations at all: MCP's defaults make it destructive (irreversible for us).
  server.registerTool('send_money', {
    description: 'Sends money to someone.',
    inputSchema: { to: z.string(), amount_fen: z.number().int().min(1) },
  }, async ({ to, amount_fen }) => {
    transfers += 1;
    return text(`sent ${amount_fen} fen to ${to} (transfer #${transfers})`);
  });

  server.registerTool('delete_everything', {
    description: 'Deletes every record.',
    annotations: { readOnlyHint: false, destructiveHint: true },
  }, async () => text('deleted'));

  server.registerTool('transfers', {
    description: 'How many transfers were made.',
    annotations: { readOnlyHint: true },
  }, async () => text(String(transfers)));

  server.registerTool('fail', {
    description: 'Always fails.',
    annotations: { readOnlyHint: true },
  }, async () => ({ content: [{ type: 'text', text: 'the fixture failed on purpose' }], isError: true }));

  server.registerTool('sleep', {
    description: 'Answers after a while.',
    inputSchema: { ms: z.number().int().min(0) },
    annotations: { readOnlyHint: true },
  }, async ({ ms }) => {
    await new Promise((resolve) => setTimeout(resolve, ms));
    return text(`slept ${ms} ms`);
  });

  server.registerTool('crash', {
    description: 'Exits the server process in the middle of the call.',
    annotations: { readOnlyHint: true },
  }, async () => {
    process.exit(3);
  });

  server.registerTool('headers', {
    description: 'The HTTP request headers this call came with.',
    annotations: { readOnlyHint: true },
  }, async (extra) => {
    const headers = extra.requestInfo?.headers ?? {};
    return text(JSON.stringify({
      'mcp-protocol-version': headers['mcp-protocol-version'] ?? null,
      'mcp-session-id': headers['mcp-session-id'] ?? null,
      authorization: headers.authorization ?? null,
      'x-extra': headers['x-extra'] ?? null,
    }));
  });

  server.registerTool('forget_session', {
    description: 'Drops this HTTP session, as a restarted server would.',
    annotations: { readOnlyHint: true },
  }, async (extra) => {
    // At once: the client's next request may come on the same connection before any timer.
    sessions.delete(extra.sessionId);
    return text('forgotten');
  });

  return server;
}

async function readBody(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  const body = Buffer.concat(chunks).toString('utf8');
  return body ? JSON.parse(body) : undefined;
}

async function handle(req, res) {
  const url = new URL(req.url, 'http://127.0.0.1');
  if (url.pathname !== '/mcp' && url.pathname !== '/mcp-json') {
    res.writeHead(404).end();
    return;
  }
  if (token && req.headers.authorization !== `Bearer ${token}`) {
    res.writeHead(401, { 'Content-Type': 'application/json' }).end('{"error":"unauthorized"}');
    return;
  }
  const body = req.method === 'POST' ? await readBody(req) : undefined;
  const sessionId = req.headers['mcp-session-id'];
  let transport = sessionId ? sessions.get(sessionId) : undefined;
  if (!transport) {
    if (sessionId) {  // a session we do not know (any more): the client starts a new one
      res.writeHead(404, { 'Content-Type': 'application/json' })
          .end('{"jsonrpc":"2.0","error":{"code":-32001,"message":"Session not found"},"id":null}');
      return;
    }
    if (req.method !== 'POST' || !isInitializeRequest(body)) {
      res.writeHead(400).end('expected initialize');
      return;
    }
    transport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      enableJsonResponse: url.pathname === '/mcp-json',
      onsessioninitialized: (id) => sessions.set(id, transport),
    });
    await makeServer().connect(transport);
  }
  await transport.handleRequest(req, res, body);
}

if (httpPort !== undefined) {
  const server = http.createServer((req, res) => {
    handle(req, res).catch((err) => {
      console.error('fixture:', err);
      if (!res.headersSent) res.writeHead(500).end();
    });
  });
  server.listen(Number(httpPort), '127.0.0.1', () => {
    process.stdout.write(JSON.stringify({ url: `http://127.0.0.1:${server.address().port}` }) + '\n');
  });
} else {
  await makeServer().connect(new StdioServerTransport());
  console.error('client-fixture: ready on stdio');
}
