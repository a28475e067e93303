// Bad requests: the errors the official `openai` client raises (their class, status and
// `param`), and malformed traffic on raw sockets (bad JSON, bad HTTP, huge bodies, a prompt far
// past the context). After each, the server must still answer a normal request.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import OpenAI from 'openai';

import { MODEL_ID, NO_THINK, httpRequest, parseHttpResponse, rawExchange, startServer } from './lib/harness.mjs';

let server;
let client;

before(async () => {
  server = await startServer({ name: 'errors', args: ['--ctx-size', '2048'] });
  client = server.client();
});
after(async () => { await server?.stopClean(); });

const MSG = [{ role: 'user', content: 'hi' }];

// The request must be refused with `cls` (status `status`) and, when given, `param`.
async function refused(promise, { cls = OpenAI.BadRequestError, status = 400, param, message } = {}) {
  await assert.rejects(promise, (e) => {
    assert.ok(e instanceof cls, `expected ${cls.name}, got ${e.constructor.name} (${e.status}): ${e.message}`);
    assert.equal(e.status, status);
    if (param instanceof RegExp) assert.match(e.param ?? '', param, `param of: ${e.message}`);
    else if (param !== undefined) assert.equal(e.param, param, `param of: ${e.message}`);
    if (message) assert.match(e.message, message);
    // OpenAI's error object: message, type, param, code.
    assert.equal(typeof e.error?.message, 'string');
    assert.equal(typeof e.error?.type, 'string');
    return true;
  });
}

async function stillServes() {
  const r = await client.chat.completions.create({ model: MODEL_ID, messages: MSG, max_tokens: 2, ...NO_THINK });
  assert.equal(r.choices.length, 1);
}

describe('errors through the client', () => {
  test('wrong types name the field', async () => {
    await refused(client.chat.completions.create({ model: MODEL_ID, messages: MSG, temperature: 'hot' }),
      { param: 'temperature' });
    await refused(client.chat.completions.create({ model: MODEL_ID, messages: [{ role: 'user', content: 5 }] }),
      { param: 'messages[0].content' });
    await refused(client.chat.completions.create({ model: MODEL_ID, messages: MSG, stop: [1, 2] }),
      { param: 'stop[0]' });
    await refused(client.chat.completions.create({ model: MODEL_ID, messages: 'hi' }), { param: 'messages' });
    await refused(client.completions.create({ model: MODEL_ID, prompt: 'x', max_tokens: 'ten' }),
      { param: 'max_tokens' });
    await refused(client.chat.completions.create({ model: MODEL_ID, messages: [{ role: 'wizard', content: 'x' }] }),
      { param: 'messages[0].role' });
  });

  test('out-of-range values', async () => {
    await refused(client.chat.completions.create({ model: MODEL_ID, messages: MSG, max_tokens: -1 }),
      { param: 'max_tokens' });
    await refused(client.chat.completions.create({ model: MODEL_ID, messages: MSG, max_tokens: 0 }),
      { param: 'max_tokens' });
    await refused(client.chat.completions.create({ model: MODEL_ID, messages: MSG, temperature: 2.5 }),
      { param: 'temperature' });
    await refused(client.chat.completions.create({ model: MODEL_ID, messages: MSG, top_p: 0 }),
      { param: 'top_p' });
    await refused(client.chat.completions.create({ model: MODEL_ID, messages: MSG, logprobs: true, top_logprobs: 21 }),
      { param: 'top_logprobs' });
    await refused(client.chat.completions.create({ model: MODEL_ID, messages: MSG, stop: ['a', 'b', 'c', 'd', 'e'] }),
      { param: 'stop' });
    await refused(client.chat.completions.create({ model: MODEL_ID, messages: MSG, logit_bias: { 5: 101 } }),
      { param: 'logit_bias' });
    await refused(client.chat.completions.create({ model: MODEL_ID, messages: MSG, logit_bias: { 999999999: 1 } }),
      { param: 'logit_bias' });
    await refused(client.completions.create({ model: MODEL_ID, prompt: [1, 2, 999999999], max_tokens: 1 }),
      { param: 'prompt' });
  });

  test('n=2 and other parameters we cannot honour are refused, not ignored', async () => {
    await refused(client.chat.completions.create({ model: MODEL_ID, messages: MSG, n: 2 }), { param: 'n' });
    await refused(client.completions.create({ model: MODEL_ID, prompt: 'x', n: 3 }), { param: 'n' });
    await refused(client.completions.create({ model: MODEL_ID, prompt: 'x', best_of: 2 }), { param: 'best_of' });
    await refused(client.completions.create({ model: MODEL_ID, prompt: 'x', suffix: 'y' }), { param: 'suffix' });
    await refused(client.chat.completions.create({ model: MODEL_ID, messages: MSG, frobnicate: 1 }),
      { param: 'frobnicate' });
    // n=1 is fine.
    await client.chat.completions.create({ model: MODEL_ID, messages: MSG, n: 1, max_tokens: 1 });
  });

  test('tool_choice naming an unknown tool; bad tools', async () => {
    const tools = [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object' } } }];
    await refused(client.chat.completions.create({ model: MODEL_ID, messages: MSG, tools,
      tool_choice: { type: 'function', function: { name: 'launch_rockets' } } }), { param: /^tool_choice/ });
    await refused(client.chat.completions.create({ model: MODEL_ID, messages: MSG,
      tool_choice: 'required' }), { param: /^tool_choice/ });
    await refused(client.chat.completions.create({ model: MODEL_ID, messages: MSG, tools: [
      { type: 'function', function: { name: 'bad name!' } }] }), { param: 'tools[0].function.name' });
    await refused(client.chat.completions.create({ model: MODEL_ID, messages: MSG, tools: [...tools, ...tools] }),
      { param: 'tools[1].function.name' });
  });

  test('an unknown model is NotFoundError (chat, completions, retrieve)', async () => {
    await refused(client.chat.completions.create({ model: 'gpt-9', messages: MSG }),
      { cls: OpenAI.NotFoundError, status: 404, param: 'model' });
    await refused(client.completions.create({ model: 'gpt-9', prompt: 'x' }),
      { cls: OpenAI.NotFoundError, status: 404, param: 'model' });
    await refused(client.models.retrieve('gpt-9'), { cls: OpenAI.NotFoundError, status: 404 });
  });

  test('a body over the limit is 413, and the client gets to read it', async () => {
    // The server refuses from Content-Length, before reading the body; a client that sends the
    // whole body at once (the openai client, fetch) must still receive the 413 rather than a
    // reset connection.
    const huge = 'x'.repeat(17 * 1024 * 1024);
    await assert.rejects(client.chat.completions.create({ model: MODEL_ID, messages: [{ role: 'user', content: huge }] }),
      (e) => { assert.equal(e.status, 413, `${e.constructor.name}: ${e.message}`); return true; });
    await stillServes();
  });

  test('a prompt past the context is a clear 400 about the context length', async () => {
    // About 1 MB of text: far more tokens than --ctx-size 2048.
    const big = 'lorem ipsum dolor sit amet '.repeat(40_000);
    await refused(client.chat.completions.create({ model: MODEL_ID, messages: [{ role: 'user', content: big }] }),
      { param: 'messages', message: /context length/ });
    await refused(client.completions.create({ model: MODEL_ID, prompt: big }),
      { param: 'prompt', message: /context length/ });
    await stillServes();
  });

  test('a prompt that fits but leaves max_tokens no room is capped, not an error', async () => {
    // OpenAI refuses prompt + max_tokens > context; we cap max_tokens at what is left.
    const r = await client.completions.create({ model: MODEL_ID, prompt: 'word '.repeat(2000),
      max_tokens: 500, logit_bias: { 151643: -100, 151645: -100 } });
    assert.equal(r.usage.prompt_tokens + r.usage.completion_tokens, 2048);
    assert.equal(r.choices[0].finish_reason, 'length');
  });
});

describe('raw sockets', () => {
  test('malformed JSON is a 400 with an OpenAI error body; the connection stays usable', async () => {
    const bad = httpRequest('POST', '/v1/chat/completions', { body: '{"messages": [', headers: { Connection: 'keep-alive' } });
    const good = httpRequest('GET', '/v1/models');
    const r = await rawExchange(server.port, [bad, good], { timeoutMs: 5000, gapMs: 100 });
    const first = parseHttpResponse(r.data);
    assert.equal(first.status, 400, r.data.slice(0, 300));
    const body = JSON.parse(first.body);
    assert.equal(typeof body.error.message, 'string');
    assert.equal(body.error.type, 'invalid_request_error');
    // The second request on the same connection got its answer.
    assert.match(r.data.slice(r.data.indexOf('\r\n\r\n') + 4), /HTTP\/1\.1 200[\s\S]*"object":"list"/);
  });

  test('a body that is not a JSON object, or empty', async () => {
    for (const body of ['[]', '"x"', '', 'null']) {
      const r = parseHttpResponse((await rawExchange(server.port,
        httpRequest('POST', '/v1/chat/completions', { body }))).data);
      assert.equal(r.status, 400, `body ${JSON.stringify(body)}`);
      assert.ok(JSON.parse(r.body).error);
    }
  });

  test('bad HTTP gets 400 and the connection is closed', async () => {
    for (const req of ['GARBAGE\r\n\r\n', 'GET / HTTP/9.9\r\n\r\n', 'POST /v1/completions HTTP/1.1\r\nContent-Length: -5\r\n\r\n']) {
      const r = await rawExchange(server.port, req, { timeoutMs: 5000 });
      assert.equal(r.closedBy, 'server', `${JSON.stringify(req)}: connection left open`);
      const status = parseHttpResponse(r.data).status;
      assert.ok(status === 400 || status === 505, `${JSON.stringify(req)} -> ${status}: ${r.data.slice(0, 200)}`);
    }
    await stillServes();
  });

  test('unknown route 404, wrong method 405, both with JSON errors', async () => {
    const a = parseHttpResponse((await rawExchange(server.port, httpRequest('GET', '/v1/nothing'))).data);
    assert.equal(a.status, 404);
    assert.ok(JSON.parse(a.body).error);
    const b = parseHttpResponse((await rawExchange(server.port, httpRequest('GET', '/v1/chat/completions'))).data);
    assert.equal(b.status, 405);
    assert.ok(JSON.parse(b.body).error);
  });

  test('a huge Content-Length is refused before the body is sent', async () => {
    const head = 'POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n' +
                 'Content-Length: 1000000000\r\n\r\n';
    const r = await rawExchange(server.port, head, { timeoutMs: 5000 });
    assert.equal(parseHttpResponse(r.data).status, 413, r.data.slice(0, 200));
  });

  test('headers over the limit get 431', async () => {
    const r = await rawExchange(server.port,
      `GET /v1/models HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(64 * 1024)}\r\n\r\n`, { timeoutMs: 5000 });
    assert.equal(parseHttpResponse(r.data).status, 431, r.data.slice(0, 200));
    await stillServes();
  });

  test('invalid UTF-8 in a message is a 400, not a crash', async () => {
    const body = Buffer.concat([Buffer.from('{"messages":[{"role":"user","content":"'), Buffer.from([0xff, 0xfe, 0xc3]),
      Buffer.from('"}],"max_tokens":2}')]);
    const head = `POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n` +
                 `Content-Length: ${body.length}\r\nConnection: close\r\n\r\n`;
    const r = await rawExchange(server.port, [head, body], { timeoutMs: 5000 });
    assert.equal(parseHttpResponse(r.data).status, 400, r.data.slice(0, 300));
    await stillServes();
  });
});
