// The prefix cache must not change answers: the same greedy requests against a server with the
// cache and one started with --no-prefix-cache give the same text and nearly the same logprobs,
// whether the shared prefix was cached by an earlier request, is shared by requests running at
// the same time, or ends exactly on / just past a KV block boundary.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { MODEL_ID, NO_THINK, startServer, tokenize } from './lib/harness.mjs';

let cached;
let plain;

before(async () => {
  [cached, plain] = await Promise.all([
    startServer({ name: 'prefix-cached' }),
    startServer({ name: 'prefix-none', args: ['--no-prefix-cache'] }),
  ]);
});
after(async () => { await Promise.all([cached?.stopClean(), plain?.stopClean()]); });

const NO_END = { logit_bias: { 151643: -100, 151645: -100 } };
const LONG = 'In the old harbour town the lighthouse keeper counted ships, storms and stars. '.repeat(12);

async function complete(server, prompt, extra = {}) {
  const r = await server.client().completions.create({ model: MODEL_ID, prompt, max_tokens: 16,
    temperature: 0, logprobs: 1, ...NO_END, ...extra });
  return r;
}

function sameAnswer(a, b, what) {
  assert.equal(a.choices[0].text, b.choices[0].text, `${what}: text differs with the prefix cache`);
  const la = a.choices[0].logprobs.token_logprobs;
  const lb = b.choices[0].logprobs.token_logprobs;
  const worst = Math.max(...la.map((x, i) => Math.abs(x - lb[i])));
  assert.ok(worst < 0.05, `${what}: logprobs differ by up to ${worst}`);
}

describe('prefix cache', () => {
  test('a prompt extending an earlier one: same answer as without the cache', async () => {
    await complete(cached, LONG);  // fills the cache
    for (const tail of [' And then', ' The keeper said:', ' 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20']) {
      const a = await complete(cached, LONG + tail);
      const b = await complete(plain, LONG + tail);
      assert.ok((a.usage.prompt_tokens_details?.cached_tokens ?? 0) > 0, 'the prefix came from the cache');
      sameAnswer(a, b, JSON.stringify(tail));
    }
  });

  test('the repeated prompt is answered from the cache and reports cached tokens', async () => {
    const c = cached.client();
    const p = LONG + ' Once more.';
    await c.completions.create({ model: MODEL_ID, prompt: p, max_tokens: 1 });
    const again = await c.completions.create({ model: MODEL_ID, prompt: p, max_tokens: 1 });
    const n = tokenize(p, { special: false }).length;
    const hit = again.usage.prompt_tokens_details?.cached_tokens ?? 0;
    assert.ok(hit > 0 && hit < n, `cached_tokens ${hit} of ${n}`);
  });

  test('prompts ending on and around block boundaries', async () => {
    // Token-id prompts of exact lengths; the cache keeps full blocks (16 tokens or more).
    const ids = tokenize(LONG, { special: false });
    for (const n of [15, 16, 17, 31, 32, 33, 64, 65]) {
      const prompt = ids.slice(0, n);
      await complete(cached, prompt);  // cache it
      const a = await complete(cached, prompt);
      const b = await complete(plain, prompt);
      sameAnswer(a, b, `prompt of ${n} tokens, repeated`);
    }
  });

  test('identical and overlapping prompts running at the same time', async () => {
    const prompts = [LONG + ' A', LONG + ' A', LONG + ' B', LONG + ' A', `${LONG.slice(0, 300)} C`, LONG + ' B'];
    const fresh = prompts.map((p, i) => `Batch ${Date.now()} ${i % 2}. ${p}`);
    const together = await Promise.all(fresh.map((p) => complete(cached, p)));
    for (let i = 0; i < fresh.length; i++) sameAnswer(together[i], await complete(plain, fresh[i]), `prompt ${i}`);
  });

  test('chat turns that share their history', async () => {
    const history = [{ role: 'system', content: LONG }, { role: 'user', content: 'First question?' }];
    const c1 = cached.client();
    const c2 = plain.client();
    const first = await c1.chat.completions.create({ model: MODEL_ID, messages: history, max_tokens: 8,
      temperature: 0, ...NO_END, ...NO_THINK });
    const next = [...history, { role: 'assistant', content: first.choices[0].message.content },
      { role: 'user', content: 'Second question?' }];
    const a = await c1.chat.completions.create({ model: MODEL_ID, messages: next, max_tokens: 12,
      temperature: 0, ...NO_END, ...NO_THINK });
    const b = await c2.chat.completions.create({ model: MODEL_ID, messages: next, max_tokens: 12,
      temperature: 0, ...NO_END, ...NO_THINK });
    assert.equal(a.choices[0].message.content, b.choices[0].message.content);
    assert.ok((a.usage.prompt_tokens_details?.cached_tokens ?? 0) > 0, 'the history came from the cache');
  });
});
