// A hand-written MCP server on stdio (newline-delimited JSON-RPC, no SDK), for the MCP client's
// tests (src/agent/mcp_client_test.cpp): it does on purpose what real servers do by accident or
// rarely, and what the SDK cannot be made to do.
//   - tools/list in three pages (nextCursor), with tools the client must skip: a schema that
//     does not compile into a grammar, a name outside [a-zA-Z0-9_-], a name too long once
//     namespaced, a duplicate; a stray non-JSON line on stdout before anything else;
//   - tools/call: echo (arguments back, as text and structuredContent), big (40 KiB of text),
//     parts (text, image and resource parts), ping_me (the server pings the client and answers
//     once the client has answered), notify (notifications before the result), silent (never
//     answers), die (exits with status 7 in the middle of the call), counter (irreversible:
//     counts its calls and echoes the _meta it got), pid (the server's process id);
//   - `--version V` answers initialize with protocol version V; `--exit-at-start` exits at once;
//     `--stubborn` ignores SIGTERM and the end of its stdin (only SIGKILL ends it);
//   - `--http PORT` (0: any) serves the same over HTTP instead, printing {"url": ...} once it
//     listens: without sessions, every answer an SSE stream written the hard way (CRLF line
//     ends, a comment, a priming event without data, a notification first, the response split
//     over two data lines) that is never closed after the response.
import http from 'node:http';
import readline from 'node:readline';

const argv = process.argv.slice(2);
const option = (name) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
};
if (argv.includes('--exit-at-start')) {
  console.error('fake: exiting at start');
  process.exit(5);
}
const version = option('--version') ?? '2025-11-25';
const stubborn = argv.includes('--stubborn');
if (stubborn) process.on('SIGTERM', () => console.error('fake: ignoring SIGTERM'));

let sink = (message) => process.stdout.write(JSON.stringify(message) + '\n');
const send = (message) => sink({ jsonrpc: '2.0', ...message });
const obj = (properties, required = []) => ({ type: 'object', properties, required, additionalProperties: false });

const pages = {
  '': {
    tools: [
      { name: 'echo', description: 'Echoes its arguments.', annotations: { readOnlyHint: true },
        inputSchema: obj({ text: { type: 'string' }, n: { type: 'integer' } }, ['text']) },
      { name: 'bad_schema', description: 'A schema with a keyword the grammar lacks.',
        annotations: { readOnlyHint: true },
        inputSchema: { type: 'object', patternProperties: { '^x': { type: 'string' } } } },
      { name: 'bad.name', description: 'A dot is not allowed in our names.', inputSchema: obj({}) },
      { name: 'big', description: 'A lot of text.', annotations: { readOnlyHint: true }, inputSchema: obj({}) },
    ],
    nextCursor: 'page-2',
  },
  'page-2': {
    tools: [
      { name: 'note', description: 'Writes a note.', annotations: { readOnlyHint: false, destructiveHint: false },
        inputSchema: obj({ text: { type: 'string' } }, ['text']) },
      { name: 'parts', description: 'Several content parts.', annotations: { readOnlyHint: true }, inputSchema: obj({}) },
      { name: 'ping_me', description: 'Pings the client first.', annotations: { readOnlyHint: true }, inputSchema: obj({}) },
      { name: 'x'.repeat(60), description: 'Too long once namespaced.', inputSchema: obj({}) },
    ],
    nextCursor: 'page-3',
  },
  'page-3': {
    tools: [
      { name: 'echo', description: 'A second echo: a duplicate.', inputSchema: obj({}) },
      { name: 'notify', description: 'Notifications first.', annotations: { readOnlyHint: true }, inputSchema: obj({}) },
      { name: 'silent', description: 'Never answers.', annotations: { readOnlyHint: true }, inputSchema: obj({}) },
      { name: 'die', description: 'Exits mid-call.', annotations: { readOnlyHint: true }, inputSchema: obj({}) },
      { name: 'counter', description: 'Counts calls (no annotations: destructive).',
        inputSchema: obj({ amount: { type: 'integer' } }, ['amount']) },
      { name: 'pid', description: 'The process id.', annotations: { readOnlyHint: true }, inputSchema: obj({}) },
    ],
  },
};

let calls = 0;
const pendingPings = new Map();  // our request id -> the tools/call id to answer afterwards

function callTool(id, name, args, meta) {
  const text = (s) => send({ id, result: { content: [{ type: 'text', text: s }] } });
  switch (name) {
    case 'echo':
      send({ id, result: { content: [{ type: 'text', text: `echo: ${args.text}` }], structuredContent: args } });
      return;
    case 'big':
      text('0123456789abcdef'.repeat(40 * 64));
      return;
    case 'parts':
      send({ id, result: { content: [
        { type: 'text', text: 'first' },
        { type: 'image', data: 'iVBORw0KGgo=', mimeType: 'image/png' },
        { type: 'resource', resource: { uri: 'file:///x.txt', mimeType: 'text/plain', text: 'from a resource' } },
        { type: 'text', text: 'last' },
      ] } });
      return;
    case 'note':
      text(`noted: ${args.text}`);
      return;
    case 'ping_me':
      pendingPings.set('s-1', id);
      send({ id: 's-1', method: 'ping' });
      return;
    case 'notify':
      send({ method: 'notifications/message', params: { level: 'info', logger: 'fake', data: 'working on it' } });
      send({ method: 'notifications/progress', params: { progressToken: 1, progress: 0.5 } });
      text('notified');
      return;
    case 'silent':
      return;
    case 'die':
      console.error('fake: dying mid-call');
      process.exit(7);
    case 'pid':
      text(String(process.pid));
      return;
    case 'counter':
      calls += 1;
      text(JSON.stringify({ calls, amount: args.amount, meta: meta ?? null }));
      return;
    default:
      send({ id, error: { code: -32602, message: `Unknown tool: ${name}` } });
  }
}

function handle(message) {
  if (message.method === undefined) {  // a response to our ping
    const callId = pendingPings.get(message.id);
    if (callId !== undefined) {
      pendingPings.delete(message.id);
      const ok = message.result !== undefined && message.error === undefined;
      send({ id: callId, result: { content: [{ type: 'text', text: ok ? 'pong received' : 'bad pong' }] } });
    }
    return;
  }
  const { id, method, params } = message;
  if (id === undefined) return;  // notifications: initialized, cancelled
  switch (method) {
    case 'initialize':
      send({ id, result: { protocolVersion: version, capabilities: { tools: {} },
                           serverInfo: { name: 'fake', version: '0.0.1' } } });
      return;
    case 'tools/list': {
      const page = pages[params?.cursor ?? ''];
      if (!page) send({ id, error: { code: -32602, message: `bad cursor ${params.cursor}` } });
      else send({ id, result: page });
      return;
    }
    case 'tools/call':
      callTool(id, params.name, params.arguments ?? {}, params._meta);
      return;
    default:
      send({ id, error: { code: -32601, message: `Method not found: ${method}` } });
  }
}

const httpPort = option('--http');
if (httpPort !== undefined) {
  const server = http.createServer(async (req, res) => {
    const chunks = [];
    for await (const chunk of req) chunks.push(chunk);
    const text = Buffer.concat(chunks).toString('utf8');
    const message = req.method === 'POST' && text ? JSON.parse(text) : undefined;
    if (message === undefined) {
      res.writeHead(405).end();
      return;
    }
    if (message.id === undefined || message.method === undefined) {
      res.writeHead(202).end();
      return;
    }
    res.writeHead(200, { 'Content-Type': 'text/event-stream' });
    res.write(': a comment\r\n\r\nid: prime\r\ndata:\r\n\r\n');
    const note = { jsonrpc: '2.0', method: 'notifications/message', params: { level: 'info', data: 'over sse' } };
    res.write(`event: message\r\ndata: ${JSON.stringify(note)}\r\n\r\n`);
    // handle() answers synchronously (except ping_me, not offered over HTTP): this request's
    // answer goes to this stream.
    sink = (answer) => {
      const json = JSON.stringify(answer);
      const cut = json.indexOf(',') + 1;
      res.write(`id: 7\r\ndata: ${json.slice(0, cut)}\r\ndata: ${json.slice(cut)}\r\n\r\n`);
    };
    handle(message);
  });
  server.listen(Number(httpPort), '127.0.0.1', () => {
    process.stdout.write(JSON.stringify({ url: `http://127.0.0.1:${server.address().port}/` }) + '\n');
  });
} else {
  process.stdout.write('fake server starting (not JSON)\n');
  const lines = readline.createInterface({ input: process.stdin });
  lines.on('line', (line) => {
    if (line.trim() === '') return;
    handle(JSON.parse(line));
  });
  lines.on('close', () => {
    if (stubborn) setInterval(() => {}, 1000);
    else process.exit(0);
  });
}
