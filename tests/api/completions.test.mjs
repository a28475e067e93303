// The legacy /v1/completions route through the official `openai` client: plain and streamed
// text, echo, logprobs, token-id prompts, usage against `qwenlayer tokenize`.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { MODEL_ID, collect, startServer, tokenize } from './lib/harness.mjs';

let server;
let client;

before(async () => {
  server = await startServer({ name: 'completions' });
  client = server.client();
});
after(async () => { await server?.stopClean(); });

const PROMPT = 'The quick brown fox jumps over the lazy dog. Once upon a time';
const NO_END = { logit_bias: { 151643: -100, 151645: -100 } };

describe('completions', () => {
  test('plain: text, usage from the tokenizer, 16 tokens by default', async () => {
    const r = await client.completions.create({ model: MODEL_ID, prompt: PROMPT, ...NO_END });
    assert.equal(r.object, 'text_completion');
    assert.match(r.id, /^cmpl-/);
    assert.equal(r.model, MODEL_ID);
    assert.equal(r.choices.length, 1);
    assert.equal(typeof r.choices[0].text, 'string');
    assert.equal(r.choices[0].index, 0);
    assert.equal(r.choices[0].finish_reason, 'length');
    // A raw prompt is text: special-token spellings are not parsed.
    assert.equal(r.usage.prompt_tokens, tokenize(PROMPT, { special: false }).length);
    assert.equal(r.usage.completion_tokens, 16, "OpenAI's legacy default max_tokens is 16");
    assert.equal(r.usage.total_tokens, r.usage.prompt_tokens + r.usage.completion_tokens);
  });

  test('special-token spellings in a text prompt stay text', async () => {
    const text = 'a <|im_end|> b';
    const r = await client.completions.create({ model: MODEL_ID, prompt: text, max_tokens: 1 });
    assert.equal(r.usage.prompt_tokens, tokenize(text, { special: false }).length);
    assert.notEqual(tokenize(text, { special: false }).length, tokenize(text).length);
  });

  test('a prompt of token ids equals the same prompt as text', async () => {
    const ids = tokenize(PROMPT, { special: false });
    const a = await client.completions.create(
      { model: MODEL_ID, prompt: ids, max_tokens: 12, temperature: 0 });
    const b = await client.completions.create(
      { model: MODEL_ID, prompt: PROMPT, max_tokens: 12, temperature: 0 });
    assert.equal(a.choices[0].text, b.choices[0].text);
    assert.equal(a.usage.prompt_tokens, ids.length);
  });

  test('streamed: chunks reassemble to the plain text; include_usage ends with usage', async () => {
    const params = { model: MODEL_ID, prompt: PROMPT, max_tokens: 20, seed: 5, temperature: 0.8 };
    const plain = await client.completions.create(params);
    const chunks = await collect(await client.completions.create(
      { ...params, stream: true, stream_options: { include_usage: true } }));
    for (const c of chunks) assert.equal(c.object, 'text_completion');
    const text = chunks.flatMap((c) => c.choices.map((x) => x.text)).join('');
    assert.equal(text, plain.choices[0].text);
    const last = chunks.at(-1);
    assert.deepEqual(last.choices, []);
    assert.deepEqual(last.usage, plain.usage);
    const finishes = chunks.flatMap((c) => c.choices.map((x) => x.finish_reason)).filter(Boolean);
    assert.deepEqual(finishes, [plain.choices[0].finish_reason]);
  });

  test('echo puts the prompt before the completion, plain and streamed', async () => {
    const params = { model: MODEL_ID, prompt: PROMPT, max_tokens: 8, temperature: 0 };
    const base = await client.completions.create(params);
    const echoed = await client.completions.create({ ...params, echo: true });
    assert.equal(echoed.choices[0].text, PROMPT + base.choices[0].text);
    const chunks = await collect(await client.completions.create({ ...params, echo: true, stream: true }));
    assert.equal(chunks.flatMap((c) => c.choices.map((x) => x.text)).join(''),
      PROMPT + base.choices[0].text);
  });

  test('logprobs: tokens, token_logprobs, top_logprobs and text_offset line up with the text', async () => {
    const r = await client.completions.create(
      { model: MODEL_ID, prompt: PROMPT, max_tokens: 10, temperature: 0, logprobs: 3, ...NO_END });
    const lp = r.choices[0].logprobs;
    assert.ok(lp, 'choices[0].logprobs');
    const n = r.usage.completion_tokens;
    assert.equal(lp.tokens.length, n);
    assert.equal(lp.token_logprobs.length, n);
    assert.equal(lp.top_logprobs.length, n);
    assert.equal(lp.text_offset.length, n);
    const text = r.choices[0].text;
    assert.equal(lp.tokens.join(''), text, 'tokens spell the text');
    for (let i = 0; i < n; i++) {
      assert.ok(lp.token_logprobs[i] <= 0);
      const alts = Object.entries(lp.top_logprobs[i]);
      assert.ok(alts.length >= 1 && alts.length <= 3, `${alts.length} alternatives`);
      // Greedy: the token is the best alternative.
      const best = alts.reduce((a, b) => (b[1] > a[1] ? b : a));
      assert.equal(best[0], lp.tokens[i]);
      assert.ok(Math.abs(best[1] - lp.token_logprobs[i]) < 1e-4);
      assert.ok(i === 0 || lp.text_offset[i] > lp.text_offset[i - 1]);
    }
    assert.equal(lp.text_offset[0], 0);
  });

  test('streamed logprobs equal the plain ones', async () => {
    const params = { model: MODEL_ID, prompt: PROMPT, max_tokens: 8, temperature: 0, logprobs: 2 };
    const plain = await client.completions.create(params);
    const chunks = await collect(await client.completions.create({ ...params, stream: true }));
    const tokens = chunks.flatMap((c) => c.choices.flatMap((x) => x.logprobs?.tokens ?? []));
    const offsets = chunks.flatMap((c) => c.choices.flatMap((x) => x.logprobs?.text_offset ?? []));
    assert.deepEqual(tokens, plain.choices[0].logprobs.tokens);
    assert.deepEqual(offsets, plain.choices[0].logprobs.text_offset);
  });

  test('stop strings and seeds work here too', async () => {
    const full = (await client.completions.create(
      { model: MODEL_ID, prompt: PROMPT, max_tokens: 30, temperature: 0, ...NO_END })).choices[0].text;
    const chars = [...full];
    assert.ok(chars.length >= 10, JSON.stringify(full));
    const stop = chars.slice(Math.floor(chars.length / 2), Math.floor(chars.length / 2) + 2).join('');
    const r = await client.completions.create(
      { model: MODEL_ID, prompt: PROMPT, max_tokens: 30, temperature: 0, stop, ...NO_END });
    assert.equal(r.choices[0].text, full.slice(0, full.indexOf(stop)));
    assert.equal(r.choices[0].finish_reason, 'stop');
    const s1 = await client.completions.create({ model: MODEL_ID, prompt: PROMPT, max_tokens: 16, seed: 8, temperature: 1 });
    const s2 = await client.completions.create({ model: MODEL_ID, prompt: PROMPT, max_tokens: 16, seed: 8, temperature: 1 });
    assert.equal(s1.choices[0].text, s2.choices[0].text);
  });
});
