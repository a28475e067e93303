// The server under rough clients: streams aborted half way, requests abandoned before their
// answer, 8 requests at once (each must equal its answer when alone), a slow-loris client that
// trickles its headers, and SIGTERM while streams are running.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import OpenAI from 'openai';

import { MODEL_ID, NO_THINK, collect, httpRequest, parseHttpResponse, rawExchange, sleep,
  startServer } from './lib/harness.mjs';

let server;
let client;

before(async () => {
  server = await startServer({ name: 'robustness' });
  client = server.client();
});
after(async () => { await server?.stopClean(); });

const NO_END = { logit_bias: { 151643: -100, 151645: -100 } };
const MSG = [{ role: 'user', content: 'Write a long story about a lighthouse keeper.' }];

async function gauge(name) {
  const text = await (await fetch(server.url('/metrics'))).text();
  const m = new RegExp(`^${name} (\\S+)$`, 'm').exec(text);
  return m ? Number(m[1]) : NaN;
}

// Waits until no sequence is running (aborted requests must be cancelled, not run to the end).
async function drained(timeoutMs = 5000) {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const running = await gauge('qwl_running_sequences');
    if (running === 0) return;
    if (performance.now() > deadline) assert.fail(`${running} sequences still running ${timeoutMs} ms later`);
    await sleep(50);
  }
}

describe('clients that go away', () => {
  test('a stream aborted half way is cancelled and does not hurt the next requests', async () => {
    const ref = await client.chat.completions.create(
      { model: MODEL_ID, messages: MSG, max_tokens: 12, temperature: 0, ...NO_THINK });
    for (let round = 0; round < 3; round++) {
      const ac = new AbortController();
      const stream = await client.chat.completions.create(
        { model: MODEL_ID, messages: MSG, max_tokens: 2000, stream: true, ...NO_END, ...NO_THINK },
        { signal: ac.signal });
      let n = 0;
      // The openai client ends the iteration quietly when its signal aborts.
      try {
        for await (const chunk of stream) {
          if (chunk.choices[0]?.delta?.content) n++;
          if (n === 5) ac.abort();
        }
      } catch (e) {
        if (e.name !== 'AbortError' && !/abort/i.test(e.message)) throw e;
      }
      assert.ok(ac.signal.aborted);
      assert.ok(n < 100, `${n} chunks read after the abort`);
      assert.ok(n >= 5);
    }
    // 2000-token generations would take seconds: cancelled, they are gone at once.
    await drained();
    const again = await client.chat.completions.create(
      { model: MODEL_ID, messages: MSG, max_tokens: 12, temperature: 0, ...NO_THINK });
    assert.equal(again.choices[0].message.content, ref.choices[0].message.content);
  });

  test('a plain request whose client hangs up before the answer is cancelled', async () => {
    const body = JSON.stringify({ messages: MSG, max_tokens: 3000, ...NO_END, ...NO_THINK });
    // Send and close at once.
    await rawExchange(server.port, httpRequest('POST', '/v1/chat/completions', { body }),
      { timeoutMs: 300 });
    await drained();
    const r = await client.chat.completions.create({ model: MODEL_ID, messages: MSG, max_tokens: 2, ...NO_THINK });
    assert.ok(r.usage.completion_tokens >= 1);
  });
});

describe('concurrency', () => {
  test('8 requests at once all succeed, each equal to its answer alone', async () => {
    const prompts = Array.from({ length: 8 }, (_, i) => [{ role: 'user', content: `Question number ${i}: why ${'?'.repeat(i + 1)}` }]);
    const params = (messages) => ({ model: MODEL_ID, messages, max_tokens: 24, temperature: 0, ...NO_END, ...NO_THINK });
    const alone = [];
    for (const m of prompts) alone.push((await client.chat.completions.create(params(m))).choices[0].message.content);
    const t0 = performance.now();
    const together = await Promise.all(prompts.map((m) => client.chat.completions.create(params(m))));
    const ms = performance.now() - t0;
    together.forEach((r, i) => {
      assert.equal(r.usage.completion_tokens, 24);
      assert.equal(r.choices[0].message.content, alone[i], `request ${i}: batched output differs from alone`);
    });
    console.log(`# 8 concurrent chat requests x 24 tokens: ${ms.toFixed(0)} ms`);
  });

  test('seeded sampling: 8 at once give what each gives alone', async () => {
    const params = (i) => ({ model: MODEL_ID, messages: [{ role: 'user', content: `Seeded ${i % 3}` }],
      max_tokens: 20, temperature: 1, top_k: 40, seed: 100 + i, ...NO_END, ...NO_THINK });
    const alone = [];
    for (let i = 0; i < 8; i++) alone.push((await client.chat.completions.create(params(i))).choices[0].message.content);
    const together = await Promise.all(Array.from({ length: 8 }, (_, i) => client.chat.completions.create(params(i))));
    together.forEach((r, i) => assert.equal(r.choices[0].message.content, alone[i], `request ${i} (seed ${100 + i})`));
  });

  test('over --parallel + --queue, requests get 429 RateLimitError and the rest finish', async () => {
    const s = await startServer({ name: 'queue-full', args: ['--parallel', '1', '--queue', '1'] });
    try {
      const c = s.client();
      const long = (i) => c.completions.create({ model: MODEL_ID, prompt: `go ${i}`, max_tokens: 200,
        temperature: 0, ...NO_END }).then((r) => r.usage.completion_tokens, (e) => e);
      const res = await Promise.all([long(1), long(2), long(3), long(4)]);
      const ok = res.filter((x) => x === 200).length;
      const limited = res.filter((x) => x instanceof OpenAI.RateLimitError).length;
      assert.ok(ok >= 2 && ok + limited === 4, `results: ${res.map((x) => x?.message ?? x).join(' | ')}`);
      assert.ok(limited >= 1, 'one running and one queued: the others are refused');
    } finally {
      await s.stopClean();
    }
  });

  test('8 streams at once all complete with their usage', async () => {
    const streams = await Promise.all(Array.from({ length: 8 }, (_, i) => client.chat.completions.create({
      model: MODEL_ID, messages: [{ role: 'user', content: `Stream ${i}` }], max_tokens: 16 + i, stream: true,
      stream_options: { include_usage: true }, ...NO_END, ...NO_THINK })));
    const results = await Promise.all(streams.map(collect));
    results.forEach((chunks, i) => {
      assert.equal(chunks.at(-1).usage.completion_tokens, 16 + i);
      const finishes = chunks.flatMap((c) => c.choices.map((x) => x.finish_reason)).filter(Boolean);
      assert.deepEqual(finishes, ['length']);
    });
  });
});

describe('slow clients', () => {
  test('slow-loris: trickled headers are cut off while other clients are served', async () => {
    // One header byte every 300 ms: the server's header timeout (10 s from the first byte)
    // must close it. Meanwhile normal requests keep being answered quickly.
    const head = 'POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ' + 'a'.repeat(200);
    const loris = rawExchange(server.port, [...head], { timeoutMs: 25_000, gapMs: 300 });
    const latencies = [];
    let stop = false;
    const others = (async () => {
      while (!stop) {
        const t0 = performance.now();
        const r = await client.chat.completions.create({ model: MODEL_ID, messages: MSG, max_tokens: 4, ...NO_THINK });
        assert.ok(r.choices.length === 1);
        latencies.push(performance.now() - t0);
        await sleep(250);
      }
    })();
    const r = await loris;
    stop = true;
    await others;
    assert.equal(r.closedBy, 'server', `the slow client was not cut off (${r.closedBy} after ${r.ms.toFixed(0)} ms)`);
    assert.ok(r.ms >= 9_000 && r.ms < 16_000, `cut off after ${r.ms.toFixed(0)} ms (header timeout 10 s)`);
    const status = parseHttpResponse(r.data).status;
    assert.ok(status === 0 || status === 408, `answer to the slow client: ${r.data.slice(0, 100)}`);
    assert.ok(latencies.length >= 10, `${latencies.length} requests served meanwhile`);
    latencies.sort((a, b) => a - b);
    assert.ok(latencies.at(-1) < 3000, `slowest request meanwhile ${latencies.at(-1).toFixed(0)} ms`);
  });
});

describe('shutdown', () => {
  test('SIGTERM lets a short stream finish, refuses new connections, exits 0', async () => {
    const s = await startServer({ name: 'sigterm-finish', args: ['--grace', '10'] });
    const c = s.client();
    const stream = await c.chat.completions.create({ model: MODEL_ID, messages: MSG, max_tokens: 60,
      stream: true, stream_options: { include_usage: true }, ...NO_END, ...NO_THINK });
    const chunks = [];
    let stopping = null;
    for await (const chunk of stream) {
      chunks.push(chunk);
      if (chunks.length === 3) stopping = s.stop();
    }
    const exit = await stopping;
    assert.equal(exit.code, 0, `exit ${JSON.stringify(exit)}\n${s.tail()}`);
    assert.equal(chunks.at(-1).usage.completion_tokens, 60, 'the stream in flight finished');
    await assert.rejects(fetch(s.url('/health')), 'no new connections after shutdown');
  });

  test('SIGTERM past the grace period ends a long stream cleanly and exits 0', async () => {
    const s = await startServer({ name: 'sigterm-cut', args: ['--grace', '1'] });
    const c = s.client();
    // The same on a raw socket, to see how the HTTP response itself ends.
    const body = JSON.stringify({ messages: MSG, max_tokens: 3500, stream: true, ...NO_END, ...NO_THINK });
    const raw = rawExchange(s.port, httpRequest('POST', '/v1/chat/completions', { body }), { timeoutMs: 10_000 });
    const stream = await c.chat.completions.create({ model: MODEL_ID, messages: MSG, max_tokens: 3500,
      stream: true, ...NO_END, ...NO_THINK });
    let n = 0;
    let stopping = null;
    let error = null;
    const chunks = [];
    const t0 = performance.now();
    try {
      for await (const chunk of stream) {
        chunks.push(chunk);
        if (chunk.choices[0]?.delta?.content !== undefined) n++;
        if (n === 5 && !stopping) stopping = s.stop();
      }
    } catch (e) {
      error = e;
    }
    const ended = performance.now() - t0;
    const exit = await stopping;
    const r = await raw;
    assert.equal(exit.code, 0, `exit ${JSON.stringify(exit)}\n${s.tail()}`);
    assert.ok(ended < 6000, `the stream ended ${ended.toFixed(0)} ms after it started (grace 1 s)`);
    assert.ok(n < 3500);
    // Clean: the client sees either a finished stream (a finish_reason, then the end) or an
    // error event it raises as an APIError; not a connection torn down mid-body.
    assert.ok(error === null || (error instanceof OpenAI.APIError && !(error instanceof OpenAI.APIConnectionError)),
      `the client saw ${error?.constructor.name}: ${error?.message} after ${n} chunks`);
    if (error === null) {
      const finishes = chunks.flatMap((x) => x.choices.map((y) => y.finish_reason)).filter(Boolean);
      assert.equal(finishes.length, 1, 'one finish_reason');
    }
    // The HTTP response is complete: the SSE stream ends with [DONE] (or an error event) and the
    // chunked body with its last chunk.
    assert.match(r.data, /0\r\n\r\n$/, `the chunked body was cut: ...${JSON.stringify(r.data.slice(-120))}`);
  });
});
