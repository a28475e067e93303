// GET /metrics (Prometheus text format 0.0.4): well-formed, and its counters agree with what the
// API answered (requests by route and status, prompt / generated / cached tokens, TTFT counts).
//
// Written before the feature landed: when /metrics is 404, a failure reads
// [WAITS ON FEATURE: /metrics (not in this build)]; otherwise it is a bug.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { MODEL_ID, NO_THINK, collect, featureTest, sleep, startServer } from './lib/harness.mjs';

let server;
let client;

before(async () => {
  server = await startServer({ name: 'metrics' });
  client = server.client();
});
after(async () => { await server?.stopClean(); });

const present = async () => (await fetch(server.url('/metrics'))).status !== 404;
const metricsTest = (fn) => featureTest('/metrics', present, fn);

// Parses the exposition text: { samples: Map('name{labels}' -> value), types, helps }.
function parse(text) {
  const samples = new Map();
  const types = new Map();
  const helps = new Map();
  for (const line of text.split('\n')) {
    if (line === '') continue;
    let m;
    if ((m = /^# HELP (\S+) (.*)$/.exec(line))) { helps.set(m[1], m[2]); continue; }
    if ((m = /^# TYPE (\S+) (counter|gauge|histogram|summary|untyped)$/.exec(line))) { types.set(m[1], m[2]); continue; }
    assert.ok(!line.startsWith('#'), `unknown comment line: ${line}`);
    m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*",?)*\})? (\S+)$/.exec(line);
    assert.ok(m, `malformed sample line: ${JSON.stringify(line)}`);
    const v = m[3] === '+Inf' ? Infinity : m[3] === '-Inf' ? -Infinity : Number(m[3]);
    assert.ok(!Number.isNaN(v) || m[3] === 'NaN', `bad value in ${line}`);
    samples.set(m[1] + (m[2] ?? ''), v);
  }
  return { samples, types, helps };
}

async function scrape() {
  const r = await fetch(server.url('/metrics'));
  assert.equal(r.status, 200);
  assert.match(r.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
  return parse(await r.text());
}

// The value of `name` with exactly these labels (order as the server writes them), 0 if absent.
function value(s, name, labels = '') {
  return s.samples.get(labels ? `${name}{${labels}}` : name) ?? 0;
}

describe('/metrics', () => {
  test('the exposition is well formed: HELP and TYPE for each family, cumulative buckets', metricsTest(async () => {
    await client.chat.completions.create({ model: MODEL_ID, messages: [{ role: 'user', content: 'x' }], max_tokens: 2, ...NO_THINK });
    const s = await scrape();
    assert.ok(s.types.size >= 5, `${s.types.size} families`);
    for (const [name, type] of s.types) {
      assert.ok(s.helps.has(name), `no HELP for ${name}`);
      if (type !== 'histogram') continue;
      // Per label set: buckets non-decreasing in le, +Inf bucket == _count.
      const series = new Map();
      for (const [k, v] of s.samples) {
        if (!k.startsWith(`${name}_bucket{`)) continue;
        const le = /le="([^"]*)"/.exec(k)[1];
        const rest = k.replace(/,?le="[^"]*"/, '').replace(`${name}_bucket`, '');
        if (!series.has(rest)) series.set(rest, []);
        series.get(rest).push([le === '+Inf' ? Infinity : Number(le), v]);
      }
      assert.ok(series.size >= 1 || ![...s.samples.keys()].some((k) => k.startsWith(`${name}_count`)),
        `${name}: a _count without buckets`);
      for (const [rest, buckets] of series) {
        buckets.sort((a, b) => a[0] - b[0]);
        for (let i = 1; i < buckets.length; i++)
          assert.ok(buckets[i][1] >= buckets[i - 1][1], `${name}${rest}: buckets not cumulative`);
        assert.equal(buckets.at(-1)[0], Infinity, `${name}${rest}: no +Inf bucket`);
        const countKey = rest === '{}' || rest === '' ? `${name}_count` : `${name}_count${rest}`;
        assert.equal(buckets.at(-1)[1], s.samples.get(countKey), `${name}${rest}: +Inf bucket != _count`);
      }
    }
  }));

  test('counters follow the requests answered and the tokens in their usage', metricsTest(async () => {
    const before = await scrape();
    const route = (r, st) => `route="${r}",status="${st}"`;
    let prompt = 0;
    let generated = 0;
    let cached = 0;
    const messages = [{ role: 'user', content: 'Count the tokens of this request, please, all of them. '.repeat(8) }];
    for (let i = 0; i < 3; i++) {
      const r = await client.chat.completions.create({ model: MODEL_ID, messages, max_tokens: 5, ...NO_THINK });
      prompt += r.usage.prompt_tokens;
      generated += r.usage.completion_tokens;
      cached += r.usage.prompt_tokens_details?.cached_tokens ?? 0;
    }
    const chunks = await collect(await client.completions.create(
      { model: MODEL_ID, prompt: 'abc', max_tokens: 4, stream: true, stream_options: { include_usage: true } }));
    prompt += chunks.at(-1).usage.prompt_tokens;
    generated += chunks.at(-1).usage.completion_tokens;
    await client.chat.completions.create({ model: MODEL_ID, messages, temperature: 9 }).catch(() => {});
    await client.chat.completions.create({ model: 'nope', messages }).catch(() => {});
    assert.ok(cached > 0, 'the repeated prompt should have hit the prefix cache');
    // The request log is written after each response: give it a moment.
    await sleep(200);
    const after = await scrape();
    const d = (name, labels) => value(after, name, labels) - value(before, name, labels);
    assert.equal(d('qwl_http_requests_total', route('/v1/chat/completions', '200')), 3);
    assert.equal(d('qwl_http_requests_total', route('/v1/completions', '200')), 1);
    assert.equal(d('qwl_http_requests_total', route('/v1/chat/completions', '400')), 1);
    assert.equal(d('qwl_http_requests_total', route('/v1/chat/completions', '404')), 1);
    assert.equal(d('qwl_prompt_tokens_total'), prompt);
    assert.equal(d('qwl_generated_tokens_total'), generated);
    assert.equal(d('qwl_prompt_cached_tokens_total'), cached);
    assert.equal(d('qwl_time_to_first_token_seconds_count'), 4);
    assert.equal(d('qwl_http_request_duration_seconds_count', 'route="/v1/chat/completions"'), 5);
    // The request that scraped is counted on /metrics itself.
    assert.ok(value(after, 'qwl_http_requests_total', route('/metrics', '200')) >= 1);
  }));

  test('gauges: nothing queued or running when idle; KV blocks within the total', metricsTest(async () => {
    const s = await scrape();
    assert.equal(value(s, 'qwl_queue_depth'), 0);
    assert.equal(value(s, 'qwl_running_sequences'), 0);
    const total = value(s, 'qwl_kv_blocks_total');
    assert.ok(total > 0);
    assert.ok(value(s, 'qwl_kv_blocks_used') <= total);
    const ratio = value(s, 'qwl_prefix_cache_hit_ratio');
    assert.ok(ratio >= 0 && ratio <= 1);
  }));

  test('unknown paths are counted under one label, not one series each', metricsTest(async () => {
    for (let i = 0; i < 3; i++) await fetch(server.url(`/random/${i}/${Math.random()}`));
    const s = await scrape();
    const keys = [...s.samples.keys()].filter((k) => k.includes('/random/'));
    assert.deepEqual(keys, []);
  }));
});
