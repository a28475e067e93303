// /v1/models and /v1/chat/completions through the official `openai` client: plain and streamed
// chat, usage against the prompt the chat template should produce, reproducibility, stop
// strings, length limits, logprobs, multi-turn conversations with tool messages.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import OpenAI from 'openai';

import { MODEL_ID, NO_THINK, collect, renderChat, startServer, tokenize } from './lib/harness.mjs';

let server;
let client;

before(async () => {
  server = await startServer({ name: 'chat' });
  client = server.client();
});
after(async () => { await server?.stopClean(); });

const USER = [{ role: 'user', content: 'Tell me about the weather in Paris today.' }];

// Greedy text of a chat request (temperature 0), the reference for several tests.
async function greedy(messages = USER, extra = {}) {
  const r = await client.chat.completions.create(
    { model: MODEL_ID, messages, max_tokens: 24, temperature: 0, ...NO_THINK, ...extra });
  return r.choices[0].message.content;
}

describe('models', () => {
  test('GET /v1/models lists the served model', async () => {
    const page = await client.models.list();
    const ids = page.data.map((m) => m.id);
    assert.deepEqual(ids, [MODEL_ID]);
    const m = page.data[0];
    assert.equal(m.object, 'model');
    assert.equal(typeof m.created, 'number');
    assert.equal(typeof m.owned_by, 'string');
  });

  test('GET /v1/models/{id} retrieves it; an unknown id is NotFoundError', async () => {
    const m = await client.models.retrieve(MODEL_ID);
    assert.equal(m.id, MODEL_ID);
    assert.equal(m.object, 'model');
    await assert.rejects(client.models.retrieve('no-such-model'), (e) => {
      assert.ok(e instanceof OpenAI.NotFoundError, `got ${e.constructor.name}: ${e.message}`);
      assert.equal(e.status, 404);
      return true;
    });
  });
});

describe('chat', () => {
  test('plain chat: content string, usage matches the rendered prompt', async () => {
    const r = await client.chat.completions.create(
      { model: MODEL_ID, messages: USER, max_tokens: 12, seed: 3, ...NO_THINK });
    assert.equal(r.object, 'chat.completion');
    assert.match(r.id, /^chatcmpl-/);
    assert.equal(r.model, MODEL_ID);
    assert.equal(r.choices.length, 1);
    const c = r.choices[0];
    assert.equal(c.index, 0);
    assert.equal(c.message.role, 'assistant');
    assert.equal(typeof c.message.content, 'string');
    assert.ok(['stop', 'length'].includes(c.finish_reason), c.finish_reason);
    // The prompt the server should build: Qwen3's template rendered by transformers' rules.
    const prompt = renderChat({ messages: USER, enable_thinking: false });
    assert.ok(prompt.endsWith('<|im_start|>assistant\n<think>\n\n</think>\n\n'));
    assert.equal(r.usage.prompt_tokens, tokenize(prompt).length, 'usage.prompt_tokens');
    assert.ok(r.usage.completion_tokens >= 1 && r.usage.completion_tokens <= 12);
    if (c.finish_reason === 'length') assert.equal(r.usage.completion_tokens, 12);
    assert.equal(r.usage.total_tokens, r.usage.prompt_tokens + r.usage.completion_tokens);
  });

  test('a system message and thinking left on change the prompt as the template says', async () => {
    const messages = [{ role: 'system', content: 'You are terse.' }, ...USER];
    const r = await client.chat.completions.create(
      { model: MODEL_ID, messages, max_tokens: 1 });
    const prompt = renderChat({ messages });  // enable_thinking undefined: no empty think block
    assert.equal(r.usage.prompt_tokens, tokenize(prompt).length);
  });

  test('content given as an array of text parts equals the joined string', async () => {
    const parts = [{ role: 'user', content: [{ type: 'text', text: 'Tell me about the weather' },
      { type: 'text', text: 'in Paris today.' }] }];
    const a = await client.chat.completions.create(
      { model: MODEL_ID, messages: parts, max_tokens: 1, ...NO_THINK });
    const joined = [{ role: 'user', content: 'Tell me about the weather\nin Paris today.' }];
    assert.equal(a.usage.prompt_tokens,
      tokenize(renderChat({ messages: joined, enable_thinking: false })).length);
  });

  test('max_tokens gives finish_reason "length" with exactly that many tokens', async () => {
    // Ban both end tokens so that only the limit can stop it.
    const bias = { 151643: -100, 151645: -100 };
    for (const stream of [false, true]) {
      if (!stream) {
        const r = await client.chat.completions.create(
          { model: MODEL_ID, messages: USER, max_tokens: 7, logit_bias: bias, ...NO_THINK });
        assert.equal(r.choices[0].finish_reason, 'length');
        assert.equal(r.usage.completion_tokens, 7);
      } else {
        const chunks = await collect(await client.chat.completions.create(
          { model: MODEL_ID, messages: USER, max_tokens: 7, logit_bias: bias, stream: true,
            stream_options: { include_usage: true }, ...NO_THINK }));
        const finishes = chunks.flatMap((c) => c.choices.map((x) => x.finish_reason)).filter(Boolean);
        assert.deepEqual(finishes, ['length']);
        assert.equal(chunks.at(-1).usage.completion_tokens, 7);
      }
    }
  });

  test('max_completion_tokens works like max_tokens', async () => {
    const r = await client.chat.completions.create({ model: MODEL_ID, messages: USER,
      max_completion_tokens: 3, logit_bias: { 151643: -100, 151645: -100 }, ...NO_THINK });
    assert.equal(r.usage.completion_tokens, 3);
    assert.equal(r.choices[0].finish_reason, 'length');
  });
});

describe('streamed chat', () => {
  test('chunks reassemble to the same text as a plain request; include_usage ends with usage', async () => {
    const params = { model: MODEL_ID, messages: USER, max_tokens: 20, seed: 11, temperature: 0.9,
      ...NO_THINK };
    const plain = await client.chat.completions.create(params);
    const chunks = await collect(await client.chat.completions.create(
      { ...params, stream: true, stream_options: { include_usage: true } }));
    assert.ok(chunks.length >= 3, `${chunks.length} chunks`);
    const ids = new Set(chunks.map((c) => c.id));
    assert.equal(ids.size, 1, 'one id for all chunks');
    assert.match(chunks[0].id, /^chatcmpl-/);
    for (const c of chunks) assert.equal(c.object, 'chat.completion.chunk');
    assert.equal(chunks[0].choices[0].delta.role, 'assistant');
    // The usage chunk: last, no choices; every chunk before it has usage null.
    const last = chunks.at(-1);
    assert.deepEqual(last.choices, []);
    assert.ok(last.usage, 'the last chunk carries usage');
    for (const c of chunks.slice(0, -1)) assert.equal(c.usage ?? null, null);
    const text = chunks.flatMap((c) => c.choices.map((x) => x.delta?.content ?? '')).join('');
    assert.equal(text, plain.choices[0].message.content, 'streamed text == plain text (same seed)');
    assert.deepEqual(last.usage, plain.usage);
    const finishes = chunks.flatMap((c) => c.choices.map((x) => x.finish_reason)).filter(Boolean);
    assert.equal(finishes.length, 1);
    assert.equal(finishes[0], plain.choices[0].finish_reason);
  });

  test('without include_usage there is no usage chunk', async () => {
    const chunks = await collect(await client.chat.completions.create(
      { model: MODEL_ID, messages: USER, max_tokens: 5, stream: true, ...NO_THINK }));
    assert.ok(chunks.every((c) => c.usage == null));
    assert.ok(chunks.at(-1).choices.length === 1 && chunks.at(-1).choices[0].finish_reason);
  });

  test("the client's stream helper assembles the final completion", async () => {
    const params = { model: MODEL_ID, messages: USER, max_tokens: 16, temperature: 0, ...NO_THINK };
    const deltas = [];
    const runner = client.chat.completions.stream(params);
    runner.on('content', (delta) => deltas.push(delta));
    const final = await runner.finalChatCompletion();
    const content = final.choices[0].message.content;
    assert.equal(deltas.join(''), content);
    assert.equal(content, await greedy(USER, { max_tokens: 16 }));
    assert.ok(['stop', 'length'].includes(final.choices[0].finish_reason));
  });
});

describe('sampling', () => {
  test('same seed -> same text; another seed -> another text', async () => {
    const params = { model: MODEL_ID, messages: USER, max_tokens: 24, temperature: 1.0, ...NO_THINK };
    const a = await client.chat.completions.create({ ...params, seed: 1234 });
    const b = await client.chat.completions.create({ ...params, seed: 1234 });
    const c = await client.chat.completions.create({ ...params, seed: 4321 });
    assert.equal(a.choices[0].message.content, b.choices[0].message.content);
    assert.notEqual(a.choices[0].message.content, c.choices[0].message.content,
      'a random-weight model at temperature 1 should not repeat 24 tokens under another seed');
  });

  test('temperature 0 -> the same text every time, whatever the seed', async () => {
    const a = await greedy();
    const b = await greedy(USER, { seed: 99 });
    const c = await greedy();
    assert.equal(a, b);
    assert.equal(a, c);
    assert.ok(a.length > 0);
  });

  test('stop strings end the text before the stop string, plain and streamed', async () => {
    const bias = { logit_bias: { 151643: -100, 151645: -100 } };
    const full = await greedy(USER, { max_tokens: 40, ...bias });
    // A stop string from the middle of what the model says anyway.
    const chars = [...full];
    assert.ok(chars.length >= 12, `greedy text too short: ${JSON.stringify(full)}`);
    const mid = Math.floor(chars.length / 2);
    const stop = chars.slice(mid, mid + 3).join('');
    const expected = full.slice(0, full.indexOf(stop));
    const r = await client.chat.completions.create({ model: MODEL_ID, messages: USER,
      max_tokens: 40, temperature: 0, stop: [stop, 'never-said-0xffff'], ...bias, ...NO_THINK });
    assert.equal(r.choices[0].message.content, expected);
    assert.equal(r.choices[0].finish_reason, 'stop');
    const chunks = await collect(await client.chat.completions.create({ model: MODEL_ID,
      messages: USER, max_tokens: 40, temperature: 0, stop, stream: true, ...bias, ...NO_THINK }));
    const text = chunks.flatMap((c) => c.choices.map((x) => x.delta?.content ?? '')).join('');
    assert.equal(text, expected, 'streamed text stops before the stop string');
    const finishes = chunks.flatMap((c) => c.choices.map((x) => x.finish_reason)).filter(Boolean);
    assert.deepEqual(finishes, ['stop']);
  });

  test('logprobs and top_logprobs have the OpenAI shape and agree with greedy choice', async () => {
    const r = await client.chat.completions.create({ model: MODEL_ID, messages: USER,
      max_tokens: 10, temperature: 0, logprobs: true, top_logprobs: 3, ...NO_THINK });
    const c = r.choices[0];
    const lp = c.logprobs?.content;
    assert.ok(Array.isArray(lp), 'choices[0].logprobs.content is an array');
    assert.equal(lp.length, r.usage.completion_tokens, 'one entry per generated token');
    for (const t of lp) {
      assert.equal(typeof t.token, 'string');
      assert.ok(t.logprob <= 0 && Number.isFinite(t.logprob), `logprob ${t.logprob}`);
      assert.ok(Array.isArray(t.bytes) && t.bytes.every((b) => Number.isInteger(b) && b >= 0 && b < 256),
        'bytes is an array of byte values');
      assert.equal(t.top_logprobs.length, 3);
      for (let i = 1; i < 3; i++)
        assert.ok(t.top_logprobs[i - 1].logprob >= t.top_logprobs[i].logprob, 'most likely first');
      // Greedy: the sampled token is the most likely one.
      assert.equal(t.token, t.top_logprobs[0].token);
      assert.ok(Math.abs(t.logprob - t.top_logprobs[0].logprob) < 1e-4);
      const probSum = t.top_logprobs.reduce((s, x) => s + Math.exp(x.logprob), 0);
      assert.ok(probSum <= 1 + 1e-4, `top-3 probabilities sum to ${probSum}`);
    }
    // The tokens' bytes spell the content (when the model did not stop on an end token, which
    // is not content).
    const bytes = Buffer.from(lp.flatMap((t) => t.bytes));
    const content = Buffer.from(c.message.content);
    assert.ok(bytes.subarray(0, content.length).equals(content),
      `token bytes ${JSON.stringify(bytes.toString())} vs content ${JSON.stringify(c.message.content)}`);
    // Without logprobs: null.
    const plain = await client.chat.completions.create(
      { model: MODEL_ID, messages: USER, max_tokens: 2, ...NO_THINK });
    assert.equal(plain.choices[0].logprobs ?? null, null);
  });

  test('streamed logprobs list every token once, in order', async () => {
    const params = { model: MODEL_ID, messages: USER, max_tokens: 10, temperature: 0,
      logprobs: true, top_logprobs: 2, ...NO_THINK };
    const plain = await client.chat.completions.create(params);
    const chunks = await collect(await client.chat.completions.create({ ...params, stream: true }));
    const streamed = chunks.flatMap((c) => c.choices.flatMap((x) => x.logprobs?.content ?? []));
    assert.deepEqual(streamed.map((t) => t.token), plain.choices[0].logprobs.content.map((t) => t.token));
  });
});

describe('multi-turn', () => {
  const tools = [{ type: 'function', function: { name: 'get_weather', description: 'Weather now',
    parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } } }];

  test('assistant tool calls and tool results are rendered into the prompt', async () => {
    const messages = [
      { role: 'system', content: 'You help with weather.' },
      { role: 'user', content: 'Weather in Paris and Rome?' },
      { role: 'assistant', content: null, tool_calls: [
        { id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
        { id: 'call_2', type: 'function', function: { name: 'get_weather', arguments: '{"city": "Rome"}' } }] },
      { role: 'tool', tool_call_id: 'call_1', content: '{"temp_c": 21}' },
      { role: 'tool', tool_call_id: 'call_2', content: '{"temp_c": 25}' },
      { role: 'assistant', content: 'Paris 21 C, Rome 25 C.' },
      { role: 'user', content: 'And tomorrow?' },
    ];
    const r = await client.chat.completions.create(
      { model: MODEL_ID, messages, tools, max_tokens: 4, ...NO_THINK });
    const prompt = renderChat({ messages, tools, enable_thinking: false });
    assert.ok(prompt.includes('<tool_response>\n{"temp_c": 25}\n</tool_response>'));
    assert.equal(r.usage.prompt_tokens, tokenize(prompt).length, 'prompt_tokens vs the template');
    assert.ok(['stop', 'length', 'tool_calls'].includes(r.choices[0].finish_reason));
  });

  test('tool_choice "none" keeps the tools out of the prompt', async () => {
    const r = await client.chat.completions.create(
      { model: MODEL_ID, messages: USER, tools, tool_choice: 'none', max_tokens: 1, ...NO_THINK });
    assert.equal(r.usage.prompt_tokens, tokenize(renderChat({ messages: USER, enable_thinking: false })).length);
    const offered = await client.chat.completions.create(
      { model: MODEL_ID, messages: USER, tools, max_tokens: 1, ...NO_THINK });
    assert.equal(offered.usage.prompt_tokens,
      tokenize(renderChat({ messages: USER, tools, enable_thinking: false })).length);
  });

  test('a tool message naming no earlier tool call is a 400', async () => {
    await assert.rejects(client.chat.completions.create({ model: MODEL_ID, max_tokens: 2, messages: [
      { role: 'user', content: 'hi' },
      { role: 'tool', tool_call_id: 'call_x', content: 'orphan' }] }), (e) => {
      assert.ok(e instanceof OpenAI.BadRequestError, `${e.constructor.name}: ${e.message}`);
      return true;
    });
  });
});
