#!/usr/bin/env node
// Load generator for qwenlayer's OpenAI-compatible server (or any OpenAI-compatible server):
// N concurrent streaming clients share M requests and measure, per request, the time to the
// first token (TTFT), the time per output token after it (TPOT) and the gaps between streamed
// chunks (ITL), with p50/p99 of each, output tokens/s over the run and the errors seen. A second
// mode measures the prefix cache: the TTFT of a request whose ~2,000-token prompt prefix an
// earlier request already sent, against the TTFT of that earlier (cold) request. A third, soak,
// runs mixed traffic (plain and streamed chat and completions, forced tool calls, json_schema
// output, aborted streams, bad requests) for a while, checks every answer, samples the server's
// memory and exits 1 on any unexpected answer, memory growth or a server not idle at the end.
//
// No dependencies (Node >= 20, node:http): the SSE parsing is here so that every chunk is timed
// when its bytes arrive. Output: a human table on stderr, JSON on stdout (or --json FILE).
//
//   # against a running server
//   node bench/load/loadgen.mjs --url http://127.0.0.1:8080 -c 8 -n 32 --max-tokens 64
//   # start `qwenlayer serve` itself on a free port (stopped with SIGTERM at the end)
//   node bench/load/loadgen.mjs --qwenlayer build/qwenlayer --model m.gguf --serve-args "-t 2" -c 1,8 -n 16
//   # prefix-cache effect
//   node bench/load/loadgen.mjs --model m.gguf --mode prefix --prefix-tokens 2000 --trials 5
//   # 10 minutes of mixed load, 4 clients
//   node bench/load/loadgen.mjs --model m.gguf --serve-args "-t 2" --mode soak --duration 600 -c 4
//
// Token counts come from the server's usage (stream_options.include_usage); a chunk may carry
// more than one token, so ITL is per chunk, TPOT per token. `--ignore-eos` bans the Qwen end
// tokens (151643, 151645; --ban-tokens to change) through logit_bias so that every request
// generates exactly --max-tokens.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';

const HELP = `usage: loadgen.mjs [options]
  --url URL             server origin (default: start one with --model)
  --qwenlayer PATH      the binary to start (default: build/qwenlayer)
  --model FILE          model for the server it starts
  --serve-args "..."    more arguments for qwenlayer serve (e.g. "-t 2 --parallel 16")
  --mode throughput|prefix|soak   (default throughput)
  -c, --concurrency LIST     concurrent clients, e.g. 1,8 (default 1; soak: one number, default 4)
  -n, --requests M      requests per concurrency level (default 8 x concurrency)
  --max-tokens T        tokens per request (default 64)
  --prompt-words W      words of the prompt (default 48; each request's prompt differs)
  --endpoint chat|completions  (default completions)
  --temperature X       (default 0)
  --ignore-eos          ban the end tokens so each request generates --max-tokens
  --ban-tokens IDS      ids banned by --ignore-eos (default 151643,151645)
  --repeat R            run each concurrency level R times; the table shows medians (default 1)
  --prefix-tokens P     prefix mode: shared prefix length in tokens (default 2000)
  --trials K            prefix mode: prefixes tried (default 5)
  --duration S          soak: seconds of load (default 60); the first 10% is the warm-up
  --seed N              soak: seed of the clients' random choices (default 1)
  --kinds LIST          soak: request kinds (default all: chat,chat_stream,completion,
                        completion_stream,tool_required,json_schema,abort,bad)
  --request-timeout S   soak: a request without its whole answer after S seconds is an error (120)
  --sample-interval S   soak: seconds between memory samples (default 2)
  --rss-slack-pct P, --rss-slack-mb M   soak: allowed growth of RSS after the warm-up,
                        P% of the start + M MB (default 5, 16)
  --slope-mb-per-min X  soak: allowed least-squares RSS slope after the warm-up (default 1),
                        judged when that window is at least --slope-min-window minutes (default 4)
  --json FILE           write the JSON there instead of stdout
  --api-key KEY         sent as Authorization: Bearer KEY`;

function parseArgs(argv) {
  const o = { mode: 'throughput', concurrency: [1], maxTokens: 64, promptWords: 48,
    endpoint: 'completions', temperature: 0, ignoreEos: false, banTokens: [151643, 151645],
    repeat: 1, prefixTokens: 2000, trials: 5, serveArgs: [], qwenlayer: 'build/qwenlayer',
    duration: 60, seed: 1, requestTimeout: 120, sampleInterval: 2, warmupFrac: 0.1, rssSlackPct: 5,
    rssSlackMb: 16, slopeMbPerMin: 1, slopeMinWindowMin: 4 };
  let concurrencySet = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = () => {
      if (i + 1 >= argv.length) throw new Error(`${a} needs a value`);
      return argv[++i];
    };
    switch (a) {
      case '-h': case '--help': console.log(HELP); process.exit(0);
      case '--url': o.url = next().replace(/\/+$/, ''); break;
      case '--qwenlayer': o.qwenlayer = next(); break;
      case '--model': o.model = next(); break;
      case '--serve-args': o.serveArgs = next().split(/\s+/).filter(Boolean); break;
      case '--mode': o.mode = next(); break;
      case '-c': case '--concurrency': o.concurrency = next().split(',').map(Number); concurrencySet = true; break;
      case '-n': case '--requests': o.requests = Number(next()); break;
      case '--max-tokens': o.maxTokens = Number(next()); break;
      case '--prompt-words': o.promptWords = Number(next()); break;
      case '--endpoint': o.endpoint = next(); break;
      case '--temperature': o.temperature = Number(next()); break;
      case '--ignore-eos': o.ignoreEos = true; break;
      case '--ban-tokens': o.banTokens = next().split(',').map(Number); break;
      case '--repeat': o.repeat = Number(next()); break;
      case '--prefix-tokens': o.prefixTokens = Number(next()); break;
      case '--trials': o.trials = Number(next()); break;
      case '--duration': o.duration = Number(next()); break;
      case '--seed': o.seed = Number(next()); break;
      case '--kinds': o.kinds = next().split(','); break;
      case '--request-timeout': o.requestTimeout = Number(next()); break;
      case '--sample-interval': o.sampleInterval = Number(next()); break;
      case '--rss-slack-pct': o.rssSlackPct = Number(next()); break;
      case '--rss-slack-mb': o.rssSlackMb = Number(next()); break;
      case '--slope-mb-per-min': o.slopeMbPerMin = Number(next()); break;
      case '--slope-min-window': o.slopeMinWindowMin = Number(next()); break;
      case '--json': o.json = next(); break;
      case '--api-key': o.apiKey = next(); break;
      default: throw new Error(`unknown argument ${a}\n${HELP}`);
    }
  }
  if (!['throughput', 'prefix', 'soak'].includes(o.mode)) throw new Error(`--mode ${o.mode}?`);
  if (o.mode === 'soak') {
    o.clients = concurrencySet ? o.concurrency[0] : 4;
    if (o.concurrency.length !== 1 || !(o.clients >= 1)) throw new Error('soak: -c takes one number');
    if (!(o.duration > 0)) throw new Error('--duration: positive seconds');
    if (o.kinds?.some((k) => !SOAK_KINDS.includes(k))) throw new Error(`--kinds: of ${SOAK_KINDS.join(',')}`);
  }
  if (!['chat', 'completions'].includes(o.endpoint)) throw new Error(`--endpoint ${o.endpoint}?`);
  if (!o.url && !o.model) throw new Error('give --url or --model');
  if (o.concurrency.some((c) => !(c >= 1))) throw new Error('--concurrency: positive integers');
  return o;
}

// --- The server, when we start it ------------------------------------------------------------

async function startServer(o) {
  const proc = spawn(o.qwenlayer, ['serve', '-m', o.model, '--port', '0', ...o.serveArgs],
    { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  let portSeen = false;
  let partial = '';
  const flagged = { warning: 0, error: 0, first: [] };  // the server's warning and error lines
  const port = await new Promise((resolve, reject) => {
    proc.stderr.setEncoding('utf8');
    proc.stderr.on('data', (d) => {
      log += d;
      const lines = (partial + d).split('\n');
      partial = lines.pop();
      for (const line of lines) {
        const m = /^qwenlayer: (warning|error|internal error)/.exec(line);
        if (!m) continue;
        flagged[m[1] === 'warning' ? 'warning' : 'error']++;
        if (flagged.first.length < 10) flagged.first.push(line.slice(0, 300));
      }
      if (log.length > 1 << 20) log = log.slice(-(1 << 19));  // a long soak: keep the tail
      const m = portSeen ? null : /http: listening on 127\.0\.0\.1:(\d+)/.exec(log);
      if (m) { portSeen = true; resolve(Number(m[1])); }
    });
    proc.on('exit', (code) => reject(new Error(`qwenlayer serve exited (${code}):\n${log}`)));
  });
  let exited = null;  // { code, signal } once the process ended
  const exit = new Promise((resolve) => proc.on('exit', (code, signal) => resolve(exited = { code, signal })));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 300_000;
  while (Date.now() < deadline) {
    if (exited) throw new Error(`qwenlayer serve exited (${JSON.stringify(exited)}):\n${log}`);
    try {
      const r = await fetch(`${url}/health`);
      if (r.status === 200) break;
    } catch { /* not yet */ }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    pid: proc.pid,
    log: () => log,
    flagged: () => flagged,
    exited: () => exited,
    // SIGTERM (unless it already ended, e.g. crashed) and its exit; `early` says it had ended.
    stop: async () => {
      if (exited) return { ...exited, early: true };
      proc.kill('SIGTERM');
      return exit;
    },
  };
}

// --- One streamed request, timed ------------------------------------------------------------

const agent = new http.Agent({ keepAlive: true, maxSockets: 1024 });

// POSTs `body` with stream: true and times every SSE event. Resolves
// { ok, status, error, tSend, tFirst, tLast, tEnd, chunkTimes[], tokens, promptTokens, cachedTokens }.
function streamRequest(url, path, body, apiKey) {
  return new Promise((resolve) => {
    const data = JSON.stringify(body);
    const tSend = performance.now();
    const res = { ok: false, status: 0, error: null, tSend, tFirst: null, tLast: null, tEnd: null,
      chunkTimes: [], tokens: 0, promptTokens: 0, cachedTokens: 0, finish: null };
    const u = new URL(path, url);
    const headers = { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(data) };
    if (apiKey) headers.Authorization = `Bearer ${apiKey}`;
    const req = http.request({ hostname: u.hostname, port: u.port, path: u.pathname, method: 'POST',
      headers, agent }, (r) => {
      res.status = r.statusCode;
      r.setEncoding('utf8');
      let buf = '';
      let body = '';
      r.on('data', (d) => {
        const now = performance.now();
        if (r.statusCode !== 200) { body += d; return; }
        buf += d;
        let i;
        while ((i = buf.indexOf('\n\n')) >= 0) {
          const event = buf.slice(0, i);
          buf = buf.slice(i + 2);
          for (const line of event.split('\n')) {
            if (!line.startsWith('data:')) continue;
            const payload = line.slice(5).trim();
            if (payload === '[DONE]') { res.ok = res.error === null; continue; }
            let j;
            try { j = JSON.parse(payload); } catch { res.error = `bad SSE data: ${payload.slice(0, 80)}`; continue; }
            if (j.error) { res.error = j.error.message ?? JSON.stringify(j.error); continue; }
            if (j.usage) {
              res.tokens = j.usage.completion_tokens;
              res.promptTokens = j.usage.prompt_tokens;
              res.cachedTokens = j.usage.prompt_tokens_details?.cached_tokens ?? 0;
            }
            const c = j.choices?.[0];
            if (!c) continue;
            const text = c.text ?? c.delta?.content ?? c.delta?.reasoning_content ?? '';
            if (text !== '' || c.delta?.tool_calls) {
              if (res.tFirst === null) res.tFirst = now;
              res.tLast = now;
              res.chunkTimes.push(now);
            }
            if (c.finish_reason) res.finish = c.finish_reason;
          }
        }
      });
      r.on('end', () => {
        res.tEnd = performance.now();
        if (r.statusCode !== 200) res.error = `HTTP ${r.statusCode}: ${body.slice(0, 200)}`;
        else if (!res.ok && !res.error) res.error = 'stream ended without [DONE]';
        resolve(res);
      });
      r.on('error', (e) => { res.error = e.message; res.tEnd = performance.now(); resolve(res); });
    });
    req.on('error', (e) => { res.error = e.message; res.tEnd = performance.now(); resolve(res); });
    req.end(data);
  });
}

// --- Prompts --------------------------------------------------------------------------------

const WORDS = ('the of and to in is was for on that with as by at from his her an which or had are ' +
  'this but not they were be have one all their has been more when there can who will would ' +
  'river mountain city garden winter summer music number letter market window engine signal ' +
  'history science machine language picture student teacher morning evening forest island').split(' ');

// Deterministic pseudo-random words (xorshift) so that prompts differ between requests but not
// between runs.
function words(n, seed) {
  let x = (seed * 2654435761) >>> 0 || 1;
  const out = [];
  for (let i = 0; i < n; i++) {
    x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
    out.push(WORDS[x % WORDS.length]);
  }
  return out.join(' ');
}

function requestBody(o, prompt, maxTokens = o.maxTokens) {
  const body = { max_tokens: maxTokens, temperature: o.temperature, stream: true,
    stream_options: { include_usage: true } };
  if (o.ignoreEos) body.logit_bias = Object.fromEntries(o.banTokens.map((t) => [t, -100]));
  if (o.endpoint === 'chat') {
    body.messages = [{ role: 'user', content: prompt }];
    body.chat_template_kwargs = { enable_thinking: false };
  } else {
    body.prompt = prompt;
  }
  return body;
}
const routeOf = (o) => (o.endpoint === 'chat' ? '/v1/chat/completions' : '/v1/completions');

// --- Statistics -----------------------------------------------------------------------------

function pct(values, p) {
  if (values.length === 0) return null;
  const s = [...values].sort((a, b) => a - b);
  const rank = (p / 100) * (s.length - 1);
  const lo = Math.floor(rank);
  const hi = Math.ceil(rank);
  return s[lo] + (s[hi] - s[lo]) * (rank - lo);
}
const median = (v) => pct(v, 50);
const round = (x, d = 1) => (x === null || x === undefined ? null : Number(x.toFixed(d)));

// --- Throughput mode ------------------------------------------------------------------------

async function runLevel(o, url, concurrency, requests, runIndex) {
  let next = 0;
  const results = [];
  const t0 = performance.now();
  await Promise.all(Array.from({ length: concurrency }, async () => {
    for (;;) {
      const i = next++;
      if (i >= requests) return;
      const prompt = words(o.promptWords, 1 + i + 100_000 * runIndex + 1_000 * concurrency);
      results.push(await streamRequest(url, routeOf(o), requestBody(o, prompt), o.apiKey));
    }
  }));
  const wall = (performance.now() - t0) / 1000;
  const ok = results.filter((r) => !r.error);
  const ttft = ok.map((r) => r.tFirst - r.tSend);
  const tpot = ok.filter((r) => r.tokens > 1).map((r) => (r.tLast - r.tFirst) / (r.tokens - 1));
  const itl = ok.flatMap((r) => r.chunkTimes.slice(1).map((t, k) => t - r.chunkTimes[k]));
  const tokens = ok.reduce((s, r) => s + r.tokens, 0);
  const errors = results.filter((r) => r.error).map((r) => r.error);
  return {
    concurrency, requests, wall_s: round(wall, 2), ok: ok.length, errors: errors.length,
    error_samples: [...new Set(errors)].slice(0, 5),
    prompt_tokens_mean: round(ok.reduce((s, r) => s + r.promptTokens, 0) / Math.max(1, ok.length)),
    output_tokens: tokens,
    output_tokens_per_s: round(tokens / wall, 2),
    requests_per_s: round(ok.length / wall, 3),
    ttft_ms: { p50: round(pct(ttft, 50)), p99: round(pct(ttft, 99)) },
    tpot_ms: { p50: round(pct(tpot, 50), 2), p99: round(pct(tpot, 99), 2) },
    itl_ms: { p50: round(pct(itl, 50), 2), p99: round(pct(itl, 99), 2) },
  };
}

function throughputTable(levels) {
  const rows = [['conc', 'reqs', 'ok', 'err', 'wall s', 'tok/s', 'TTFT p50', 'TTFT p99', 'TPOT p50',
    'TPOT p99', 'ITL p50', 'ITL p99']];
  for (const l of levels) {
    rows.push([l.concurrency, l.requests, l.ok, l.errors, l.wall_s, l.output_tokens_per_s,
      l.ttft_ms.p50, l.ttft_ms.p99, l.tpot_ms.p50, l.tpot_ms.p99, l.itl_ms.p50, l.itl_ms.p99]
      .map((x) => String(x ?? '-')));
  }
  return table(rows) + '\n(times in ms; tok/s = output tokens over the wall time of the level' +
    (levels[0]?.runs > 1 ? `; medians of ${levels[0].runs} runs` : '') + ')';
}

function table(rows) {
  const w = rows[0].map((_, j) => Math.max(...rows.map((r) => r[j].length)));
  return rows.map((r) => r.map((c, j) => c.padStart(w[j])).join('  ')).join('\n');
}

// Medians over repeated runs of one level (each field separately).
function medianOfRuns(runs) {
  const m = (f) => round(median(runs.map(f).filter((x) => x !== null)), 2);
  return {
    ...runs[0],
    runs: runs.length,
    wall_s: m((r) => r.wall_s),
    ok: runs.reduce((s, r) => s + r.ok, 0) / runs.length,
    errors: runs.reduce((s, r) => s + r.errors, 0),
    error_samples: [...new Set(runs.flatMap((r) => r.error_samples))].slice(0, 5),
    output_tokens_per_s: m((r) => r.output_tokens_per_s),
    requests_per_s: m((r) => r.requests_per_s),
    ttft_ms: { p50: m((r) => r.ttft_ms.p50), p99: m((r) => r.ttft_ms.p99) },
    tpot_ms: { p50: m((r) => r.tpot_ms.p50), p99: m((r) => r.tpot_ms.p99) },
    itl_ms: { p50: m((r) => r.itl_ms.p50), p99: m((r) => r.itl_ms.p99) },
    each_run: runs,
  };
}

// --- Prefix mode ----------------------------------------------------------------------------

async function runPrefix(o, url) {
  // Calibrate words per token with one request.
  const probe = await streamRequest(url, routeOf(o), requestBody(o, words(400, 7), 1), o.apiKey);
  if (probe.error) throw new Error(`calibration request failed: ${probe.error}`);
  const tokensPerWord = probe.promptTokens / 400;
  const prefixWords = Math.round(o.prefixTokens / tokensPerWord);
  const trials = [];
  for (let t = 0; t < o.trials; t++) {
    const prefix = words(prefixWords, 9_000 + t * 7919);
    const cold = await streamRequest(url, routeOf(o),
      requestBody(o, `${prefix}\nQuestion one: what comes next?`, 1), o.apiKey);
    const warm = await streamRequest(url, routeOf(o),
      requestBody(o, `${prefix}\nQuestion two: and after that, what?`, 1), o.apiKey);
    for (const r of [cold, warm]) if (r.error) throw new Error(`trial ${t}: ${r.error}`);
    trials.push({
      prompt_tokens: cold.promptTokens,
      cold_ttft_ms: round(cold.tFirst - cold.tSend),
      warm_ttft_ms: round(warm.tFirst - warm.tSend),
      cold_cached_tokens: cold.cachedTokens,
      warm_cached_tokens: warm.cachedTokens,
    });
  }
  const ratio = trials.map((x) => x.warm_ttft_ms / x.cold_ttft_ms);
  return {
    prefix_tokens_target: o.prefixTokens,
    prompt_tokens_median: median(trials.map((x) => x.prompt_tokens)),
    cold_ttft_ms_median: round(median(trials.map((x) => x.cold_ttft_ms))),
    warm_ttft_ms_median: round(median(trials.map((x) => x.warm_ttft_ms))),
    warm_cached_tokens_median: median(trials.map((x) => x.warm_cached_tokens)),
    warm_over_cold_median: round(median(ratio), 3),
    speedup_median: round(1 / median(ratio), 1),
    trials,
  };
}

function prefixTable(p) {
  const rows = [['trial', 'prompt tok', 'cold TTFT', 'warm TTFT', 'warm cached', 'warm/cold']];
  p.trials.forEach((t, i) => rows.push([i, t.prompt_tokens, t.cold_ttft_ms, t.warm_ttft_ms,
    t.warm_cached_tokens, round(t.warm_ttft_ms / t.cold_ttft_ms, 3)].map(String)));
  rows.push(['median', p.prompt_tokens_median, p.cold_ttft_ms_median, p.warm_ttft_ms_median,
    p.warm_cached_tokens_median, p.warm_over_cold_median].map(String));
  return table(rows) + '\n(TTFT in ms; warm = same prefix as the request before it, another ending)';
}

// --- Soak mode ------------------------------------------------------------------------------
//
// N clients for --duration seconds, each drawing request kinds at random (a seeded PRNG per
// client, so a run is reproducible up to the interleaving) and checking every answer. An error
// is anything a correct server would not do: a 5xx, a connection failure or timeout, a stream
// without its finish_reason / usage chunk / [DONE] (streams the client aborts excepted), an
// error event inside a stream, a 4xx on a good request, a 2xx or another 4xx on a bad one,
// output that breaks the schema it was constrained to. Meanwhile the server's memory is sampled
// from /proc/PID/status (only when the loadgen started the server) and judged flat or not; at the
// end /metrics must show an idle scheduler (see soakVerdict and docs/SERVING.md, "Soak").

// mulberry32: a small seeded PRNG (uniform in [0, 1)).
function rngOf(seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)),  // inclusive
    pick: (xs) => xs[Math.floor(next() * xs.length)],
    u32: () => Math.floor(next() * 4294967296),
  };
}

// Every kind with its share of the requests.
const SOAK_WEIGHTS = { chat: 3, chat_stream: 3, completion: 2, completion_stream: 2, tool_required: 2,
  json_schema: 2, abort: 2, bad: 2 };
const SOAK_KINDS = Object.keys(SOAK_WEIGHTS);

// A few shared system prompts (~60-150 tokens) so that the prefix cache gets hits and evictions.
const SYSTEMS = [words(60, 501), words(110, 502), words(150, 503)];

const WEATHER_TOOL = { type: 'function', function: { name: 'get_weather', description: 'Forecast',
  parameters: { type: 'object', properties: {
    city: { type: 'string', minLength: 1, maxLength: 12 },
    days: { type: 'integer', minimum: 1, maximum: 7 } },
  required: ['city', 'days'], additionalProperties: false } } };
const ANSWER_SCHEMA = { type: 'object', properties: {
  name: { type: 'string', maxLength: 16 },
  count: { type: 'integer', minimum: 0, maximum: 100 },
  ok: { type: 'boolean' },
  tags: { type: 'array', items: { type: 'string', enum: ['red', 'green', 'blue'] }, maxItems: 3 } },
required: ['name', 'count', 'ok'], additionalProperties: false };

// The JSON Schema subset above (type, properties, required, additionalProperties: false, enum,
// minimum, maximum, minLength, maxLength, items, maxItems). Returns the problems (empty = valid).
function schemaProblems(schema, v, where = '$') {
  const is = { object: (x) => x !== null && typeof x === 'object' && !Array.isArray(x),
    array: Array.isArray, string: (x) => typeof x === 'string', integer: Number.isInteger,
    number: (x) => typeof x === 'number', boolean: (x) => typeof x === 'boolean' };
  if (schema.type && !is[schema.type](v)) return [`${where}: ${JSON.stringify(v)} is not ${schema.type}`];
  const out = [];
  if (schema.enum && !schema.enum.includes(v)) out.push(`${where}: ${JSON.stringify(v)} not in enum`);
  if (schema.minimum !== undefined && v < schema.minimum) out.push(`${where}: below minimum`);
  if (schema.maximum !== undefined && v > schema.maximum) out.push(`${where}: above maximum`);
  if (typeof v === 'string') {
    const n = [...v].length;
    if (schema.minLength !== undefined && n < schema.minLength) out.push(`${where}: shorter than minLength`);
    if (schema.maxLength !== undefined && n > schema.maxLength) out.push(`${where}: longer than maxLength`);
  }
  if (Array.isArray(v)) {
    if (schema.maxItems !== undefined && v.length > schema.maxItems) out.push(`${where}: too many items`);
    if (schema.items) v.forEach((x, i) => out.push(...schemaProblems(schema.items, x, `${where}[${i}]`)));
  }
  if (is.object(v)) {
    for (const r of schema.required ?? []) if (!(r in v)) out.push(`${where}: missing "${r}"`);
    for (const [k, x] of Object.entries(v)) {
      if (schema.properties?.[k]) out.push(...schemaProblems(schema.properties[k], x, `${where}.${k}`));
      else if (schema.additionalProperties === false) out.push(`${where}: extra property "${k}"`);
    }
  }
  return out;
}

// One HTTP exchange with `body` (a string, sent as is). For an SSE answer the events are parsed
// as they come; `abortAfter` (a count of content-carrying events, 0 = as soon as the headers
// arrive) makes the client hang up there. Resolves { status, text, events[], done, aborted,
// error } where `error` is a connection failure or timeout and `done` says [DONE] was seen.
function exchange(url, path, body, { apiKey, abortAfter = null, timeoutMs = 120_000 } = {}) {
  return new Promise((resolve) => {
    const out = { status: 0, text: '', events: [], done: false, aborted: false, error: null };
    const u = new URL(path, url);
    const headers = { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) };
    if (apiKey) headers.Authorization = `Bearer ${apiKey}`;
    let settled = false;
    const finish = () => { if (!settled) { settled = true; clearTimeout(timer); resolve(out); } };
    const req = http.request({ hostname: u.hostname, port: u.port, path: u.pathname, method: 'POST',
      headers, agent }, (r) => {
      out.status = r.statusCode;
      r.setEncoding('utf8');
      const sse = /^text\/event-stream/.test(r.headers['content-type'] ?? '');
      let buf = '';
      let content = 0;
      const hangUp = () => { out.aborted = true; req.destroy(); finish(); };
      if (sse && abortAfter === 0) return hangUp();
      r.on('data', (d) => {
        if (settled) return;
        if (!sse) { out.text += d; return; }
        buf += d;
        let i;
        while ((i = buf.indexOf('\n\n')) >= 0) {
          const event = buf.slice(0, i);
          buf = buf.slice(i + 2);
          for (const line of event.split('\n')) {
            if (!line.startsWith('data:')) continue;
            const payload = line.slice(5).trim();
            if (payload === '[DONE]') { out.done = true; continue; }
            let j;
            try { j = JSON.parse(payload); } catch { j = { unparsable: payload.slice(0, 200) }; }
            out.events.push(j);
            const c = j.choices?.[0];
            if (c && (c.text || c.delta?.content || c.delta?.reasoning_content || c.delta?.tool_calls)) ++content;
          }
          if (abortAfter !== null && content >= abortAfter && !out.done) return hangUp();
        }
      });
      r.on('end', finish);
      r.on('error', (e) => { if (!settled) out.error = `response: ${e.code ?? e.message}`; finish(); });
    });
    const timer = setTimeout(() => {
      out.error = `no complete answer within ${timeoutMs / 1000} s`;
      req.destroy();
      finish();
    }, timeoutMs);
    req.on('error', (e) => { if (!settled) out.error = `connection: ${e.code ?? e.message}`; finish(); });
    req.end(body);
  });
}

// Checks that apply to every non-aborted stream: no unparsable data, no error event, a
// finish_reason, the usage chunk (choices: []) and [DONE]. Returns [category, message] or null.
function streamProblem(x, wantUsage) {
  const bad = x.events.find((e) => e.unparsable !== undefined);
  if (bad) return ['bad_sse', `unparsable data: ${bad.unparsable}`];
  const err = x.events.find((e) => e.error);
  if (err) return ['stream_error_event', JSON.stringify(err.error).slice(0, 300)];
  if (!x.events.some((e) => e.choices?.[0]?.finish_reason)) return ['no_final_chunk', 'no chunk with a finish_reason'];
  if (wantUsage && !x.events.some((e) => e.usage && Array.isArray(e.choices) && e.choices.length === 0))
    return ['no_final_chunk', 'no usage chunk (include_usage)'];
  if (!x.done) return ['no_final_chunk', 'the stream ended without [DONE]'];
  return null;
}

// usage must be consistent with finish_reason and max_tokens.
function usageProblem(usage, finish, maxTokens) {
  if (!usage || !Number.isInteger(usage.completion_tokens) || !Number.isInteger(usage.prompt_tokens))
    return `usage ${JSON.stringify(usage)}`;
  if (usage.total_tokens !== usage.prompt_tokens + usage.completion_tokens) return `usage total ${JSON.stringify(usage)}`;
  if (usage.completion_tokens > maxTokens) return `${usage.completion_tokens} tokens > max_tokens ${maxTokens}`;
  if (finish === 'length' && usage.completion_tokens !== maxTokens)
    return `finish_reason length after ${usage.completion_tokens} of ${maxTokens} tokens`;
  return null;
}

// Reassembles streamed chat deltas: { content, toolCalls[], finish, usage }.
function assembleChat(events) {
  let content = '';
  const calls = [];
  let finish = null;
  let usage = null;
  for (const e of events) {
    if (e.usage) usage = e.usage;
    const c = e.choices?.[0];
    if (!c) continue;
    if (c.delta?.content) content += c.delta.content;
    for (const t of c.delta?.tool_calls ?? []) {
      const call = (calls[t.index] ??= { id: '', type: 'function', function: { name: '', arguments: '' } });
      if (t.id) call.id = t.id;
      if (t.function?.name) call.function.name += t.function.name;
      if (t.function?.arguments) call.function.arguments += t.function.arguments;
    }
    if (c.finish_reason) finish = c.finish_reason;
  }
  return { content, toolCalls: calls, finish, usage };
}

function toolCallProblem(calls) {
  if (!Array.isArray(calls) || calls.length !== 1) return `${calls?.length ?? 0} tool calls (parallel_tool_calls false)`;
  const f = calls[0].function;
  if (f?.name !== 'get_weather') return `tool ${JSON.stringify(f?.name)}`;
  let args;
  try { args = JSON.parse(f.arguments); } catch { return `arguments are not JSON: ${f.arguments}`; }
  const p = schemaProblems(WEATHER_TOOL.function.parameters, args);
  return p.length ? `arguments ${f.arguments}: ${p.join('; ')}` : null;
}

// The bad requests: [name, route, body, expected status].
function badRequest(model, rng) {
  const msgs = [{ role: 'user', content: words(6, rng.u32()) }];
  const cases = [
    ['malformed_json', '/v1/chat/completions', `{"model": "${model}", "messages": [{"role": "user", "content": "hi"`, 400],
    ['malformed_json_completions', '/v1/completions', '{"prompt": "hi", max_tokens: 4}', 400],
    ['wrong_type_temperature', '/v1/chat/completions', JSON.stringify({ model, messages: msgs, temperature: 'hot' }), 400],
    ['wrong_type_content', '/v1/chat/completions', JSON.stringify({ model, messages: [{ role: 'user', content: 42 }] }), 400],
    ['wrong_type_prompt', '/v1/completions', JSON.stringify({ model, prompt: { text: 'hi' }, max_tokens: 4 }), 400],
    ['negative_max_tokens', '/v1/chat/completions', JSON.stringify({ model, messages: msgs, max_tokens: -3 }), 400],
    ['unknown_model', '/v1/chat/completions', JSON.stringify({ model: 'no-such-model', messages: msgs, max_tokens: 4 }), 404],
    ['unknown_model_completions', '/v1/completions', JSON.stringify({ model: 'no-such-model', prompt: 'hi', max_tokens: 4 }), 404],
    ['unknown_tool_choice', '/v1/chat/completions', JSON.stringify({ model, messages: msgs, tools: [WEATHER_TOOL],
      tool_choice: { type: 'function', function: { name: 'nope' } } }), 400],
  ];
  return rng.pick(cases);
}

// Issues one request of `kind` and judges the answer. Returns { tokens, sub, aborted, error }
// with error = { category, message, route, request } or null.
async function soakOne(kind, ctx, rng) {
  const { url, model, apiKey, timeoutMs } = ctx;
  const noThink = { chat_template_kwargs: { enable_thinking: false } };
  const messages = () => {
    const m = [];
    const sys = rng.int(0, SYSTEMS.length);
    if (sys < SYSTEMS.length) m.push({ role: 'system', content: SYSTEMS[sys] });
    m.push({ role: 'user', content: words(rng.int(4, 80), rng.u32()) });
    return m;
  };
  const sampling = () => ({ temperature: rng.pick([0, 0.7, 1]), seed: rng.int(1, 1_000_000) });
  const chatRoute = '/v1/chat/completions';
  const res = { tokens: 0, sub: null, aborted: false, error: null };
  let route = chatRoute;
  let body;
  const fail = (category, message, x) => {
    res.error = { category, message: String(message).slice(0, 500), status: x?.status ?? null, route,
      request: body };
    return res;
  };
  // Transport-level judgement common to every good request.
  const transport = (x) => {
    if (x.error) return fail(x.error.startsWith('no complete') ? 'timeout' : 'connection', x.error, x);
    if (x.status >= 500) return fail('http_5xx', `HTTP ${x.status}: ${x.text.slice(0, 300)}`, x);
    if (x.status !== 200) return fail('unexpected_4xx', `HTTP ${x.status}: ${x.text.slice(0, 300)}`, x);
    return null;
  };
  const plainJson = (x) => {
    try { return JSON.parse(x.text); } catch { return null; }
  };
  const x = async (path, b, opts = {}) => {
    route = path;
    body = b;
    return exchange(url, path, JSON.stringify(b), { apiKey, timeoutMs, ...opts });
  };

  switch (kind) {
    case 'chat':
    case 'completion': {
      const maxTokens = rng.int(4, 48);
      const b = kind === 'chat'
        ? { model, messages: messages(), max_tokens: maxTokens, ...sampling(), ...noThink }
        : { model, prompt: words(rng.int(4, 120), rng.u32()), max_tokens: maxTokens, ...sampling() };
      const r = await x(kind === 'chat' ? chatRoute : '/v1/completions', b);
      if (transport(r)) return res;
      const j = plainJson(r);
      const c = j?.choices?.[0];
      const text = kind === 'chat' ? c?.message?.content : c?.text;
      if (typeof text !== 'string' || !['stop', 'length'].includes(c?.finish_reason))
        return fail('bad_response', `choice ${JSON.stringify(c)?.slice(0, 300)}`, r);
      const u = usageProblem(j.usage, c.finish_reason, maxTokens);
      if (u) return fail('bad_response', u, r);
      res.tokens = j.usage.completion_tokens;
      return res;
    }
    case 'chat_stream':
    case 'completion_stream': {
      const maxTokens = rng.int(4, 48);
      const common = { max_tokens: maxTokens, stream: true, stream_options: { include_usage: true }, ...sampling() };
      const b = kind === 'chat_stream'
        ? { model, messages: messages(), ...common, ...noThink }
        : { model, prompt: words(rng.int(4, 120), rng.u32()), ...common };
      const r = await x(kind === 'chat_stream' ? chatRoute : '/v1/completions', b);
      if (transport(r)) return res;
      const p = streamProblem(r, true);
      if (p) return fail(p[0], p[1], r);
      const finish = r.events.find((e) => e.choices?.[0]?.finish_reason).choices[0].finish_reason;
      const usage = r.events.find((e) => e.usage)?.usage;
      const u = usageProblem(usage, finish, maxTokens);
      if (u) return fail('bad_response', u, r);
      res.tokens = usage.completion_tokens;
      return res;
    }
    case 'tool_required': {
      const stream = rng.next() < 0.5;
      res.sub = stream ? 'stream' : 'plain';
      const b = { model, messages: [{ role: 'user', content: `Weather for ${words(rng.int(2, 12), rng.u32())}?` }],
        tools: [WEATHER_TOOL], tool_choice: 'required', parallel_tool_calls: false, max_tokens: 200,
        ...sampling(), ...noThink };
      if (stream) Object.assign(b, { stream: true, stream_options: { include_usage: true } });
      const r = await x(chatRoute, b);
      if (transport(r)) return res;
      let a;
      if (stream) {
        const p = streamProblem(r, true);
        if (p) return fail(p[0], p[1], r);
        a = assembleChat(r.events);
      } else {
        const j = plainJson(r);
        const c = j?.choices?.[0];
        a = { toolCalls: c?.message?.tool_calls, finish: c?.finish_reason, usage: j?.usage };
      }
      if (a.finish !== 'tool_calls') return fail('invalid_tool_call', `finish_reason ${a.finish}`, r);
      const t = toolCallProblem(a.toolCalls);
      if (t) return fail('invalid_tool_call', t, r);
      const u = usageProblem(a.usage, a.finish, 200);
      if (u) return fail('bad_response', u, r);
      res.tokens = a.usage.completion_tokens;
      return res;
    }
    case 'json_schema': {
      const stream = rng.next() < 0.5;
      res.sub = stream ? 'stream' : 'plain';
      const b = { model, messages: [{ role: 'user', content: `Describe ${words(rng.int(2, 20), rng.u32())} as JSON.` }],
        response_format: { type: 'json_schema', json_schema: { name: 'answer', strict: true, schema: ANSWER_SCHEMA } },
        max_tokens: 200, ...sampling(), ...noThink };
      if (stream) Object.assign(b, { stream: true, stream_options: { include_usage: true } });
      const r = await x(chatRoute, b);
      if (transport(r)) return res;
      let a;
      if (stream) {
        const p = streamProblem(r, true);
        if (p) return fail(p[0], p[1], r);
        a = assembleChat(r.events);
      } else {
        const j = plainJson(r);
        const c = j?.choices?.[0];
        a = { content: c?.message?.content, finish: c?.finish_reason, usage: j?.usage };
      }
      if (a.finish !== 'stop') return fail('invalid_json', `finish_reason ${a.finish}, content ${JSON.stringify(a.content)}`, r);
      let v;
      try { v = JSON.parse(a.content); } catch { return fail('invalid_json', `not JSON: ${JSON.stringify(a.content)}`, r); }
      const s = schemaProblems(ANSWER_SCHEMA, v);
      if (s.length) return fail('invalid_json', `${a.content}: ${s.join('; ')}`, r);
      const u = usageProblem(a.usage, a.finish, 200);
      if (u) return fail('bad_response', u, r);
      res.tokens = a.usage.completion_tokens;
      return res;
    }
    case 'abort': {
      const chat = rng.next() < 0.5;
      const abortAfter = rng.int(0, 6);
      res.sub = `${chat ? 'chat' : 'completion'}`;
      const common = { max_tokens: rng.int(32, 96), stream: true, stream_options: { include_usage: true }, ...sampling() };
      const b = chat ? { model, messages: messages(), ...common, ...noThink }
        : { model, prompt: words(rng.int(4, 120), rng.u32()), ...common };
      const r = await x(chat ? chatRoute : '/v1/completions', b, { abortAfter });
      if (transport(r)) return res;
      res.aborted = r.aborted;
      if (!r.aborted) {  // it ended before the client hung up: then it must be whole
        const p = streamProblem(r, true);
        if (p) return fail(p[0], p[1], r);
      }
      return res;
    }
    case 'bad': {
      const [name, path, raw, want] = badRequest(model, rng);
      res.sub = name;
      route = path;
      body = raw;
      const r = await exchange(url, path, raw, { apiKey, timeoutMs });
      if (r.error) return fail(r.error.startsWith('no complete') ? 'timeout' : 'connection', r.error, r);
      if (r.status >= 500) return fail('http_5xx', `HTTP ${r.status}: ${r.text.slice(0, 300)}`, r);
      if (r.status < 400) return fail('unexpected_2xx', `HTTP ${r.status} for a bad request: ${r.text.slice(0, 200)}`, r);
      if (r.status !== want) return fail('wrong_4xx', `HTTP ${r.status}, expected ${want}: ${r.text.slice(0, 200)}`, r);
      if (typeof plainJson(r)?.error?.message !== 'string') return fail('bad_response', `error body ${r.text.slice(0, 200)}`, r);
      return res;
    }
    default:
      throw new Error(`soak kind ${kind}?`);
  }
}

// --- Memory and /metrics ---------------------------------------------------------------------

// VmRSS, VmHWM, RssAnon, RssFile of `pid` in MB (null when unreadable).
function procMemory(pid) {
  let text;
  try { text = fs.readFileSync(`/proc/${pid}/status`, 'utf8'); } catch { return null; }
  const kb = (k) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? NaN);
  const mb = (k) => round(kb(k) / 1024, 2);
  return { rss_mb: mb('VmRSS'), hwm_mb: mb('VmHWM'), anon_mb: mb('RssAnon'), file_mb: mb('RssFile') };
}

// Least-squares slope of ys over xs.
function slope(xs, ys) {
  const n = xs.length;
  if (n < 2) return null;
  const mx = xs.reduce((s, x) => s + x, 0) / n;
  const my = ys.reduce((s, y) => s + y, 0) / n;
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < n; i++) {
    sxy += (xs[i] - mx) * (ys[i] - my);
    sxx += (xs[i] - mx) ** 2;
  }
  return sxx > 0 ? sxy / sxx : null;
}

// GET `path` on a fresh connection (not the load's keep-alive pool). Resolves { status, text }.
function getFresh(url, path, apiKey) {
  return new Promise((resolve) => {
    const u = new URL(path, url);
    const headers = { Connection: 'close' };
    if (apiKey) headers.Authorization = `Bearer ${apiKey}`;
    const req = http.get({ hostname: u.hostname, port: u.port, path: u.pathname, headers, agent: false }, (r) => {
      let text = '';
      r.setEncoding('utf8');
      r.on('data', (d) => { text += d; });
      r.on('end', () => resolve({ status: r.statusCode, text }));
      r.on('error', (e) => resolve({ status: 0, text: e.message }));
    });
    req.setTimeout(10_000, () => req.destroy(new Error('timeout')));
    req.on('error', (e) => resolve({ status: 0, text: e.message }));
  });
}

// Samples of the Prometheus text: Map('name{labels}' -> number).
function parseMetrics(text) {
  const m = new Map();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const i = line.lastIndexOf(' ');
    m.set(line.slice(0, i), Number(line.slice(i + 1)));
  }
  return m;
}

// After the load: waits (up to `waitMs`) for an idle scheduler: nothing queued, no sequence
// running, and every KV block in use held by the prefix cache alone (a block held by nothing
// else after every request ended would be a leak). Then the connections: once the load's
// keep-alive sockets are closed, only the scrape's own connection may stay open.
async function metricsAtEnd(url, apiKey, waitMs = 15_000) {
  const deadline = Date.now() + waitMs;
  let last = null;
  for (;;) {
    const r = await getFresh(url, '/metrics', apiKey);
    if (r.status !== 200) return { ok: false, problem: `/metrics answered ${r.status}: ${r.text.slice(0, 200)}` };
    const s = parseMetrics(r.text);
    last = {
      queue_depth: s.get('qwl_queue_depth'), running_sequences: s.get('qwl_running_sequences'),
      kv_blocks_used: s.get('qwl_kv_blocks_used'), kv_blocks_cached: s.get('qwl_kv_blocks_cached'),
      kv_blocks_total: s.get('qwl_kv_blocks_total'), http_connections_open: s.get('qwl_http_connections_open'),
      preemptions: s.get('qwl_preemptions'), http_timeouts: s.get('qwl_http_timeouts'),
      prefix_cache_hit_ratio: s.get('qwl_prefix_cache_hit_ratio'),
      // /health answers 503 while the model loads: not an error.
      server_5xx: [...s].filter(([k]) => /^qwl_http_requests_total\{.*status="5\d\d"/.test(k) &&
        !k.includes('route="/health"'))
        .reduce((t, [, v]) => t + v, 0),
      requests_by_status: Object.fromEntries([...s].filter(([k]) => k.startsWith('qwl_http_requests_total{'))
        .map(([k, v]) => [k.slice('qwl_http_requests_total'.length), v])),
    };
    const idle = last.queue_depth === 0 && last.running_sequences === 0 &&
      last.kv_blocks_used === last.kv_blocks_cached && last.http_connections_open <= 1;
    if (idle || Date.now() > deadline) {
      const problems = [];
      if (last.queue_depth !== 0) problems.push(`queue depth ${last.queue_depth}`);
      if (last.running_sequences !== 0) problems.push(`${last.running_sequences} sequences running`);
      if (last.kv_blocks_used !== last.kv_blocks_cached)
        problems.push(`${last.kv_blocks_used} KV blocks used but ${last.kv_blocks_cached} held by the prefix cache`);
      if (!(last.http_connections_open <= 1)) problems.push(`${last.http_connections_open} connections open`);
      if (last.server_5xx > 0) problems.push(`${last.server_5xx} 5xx answers counted by the server`);
      return { ok: problems.length === 0, problem: problems.join('; ') || null, ...last };
    }
    await new Promise((res) => setTimeout(res, 250));
  }
}

// The memory verdict over the samples taken after the warm-up (see docs/SERVING.md, "Soak").
// Judged on VmRSS; RssAnon (heap, the repacked weights, the KV cache) is judged the same way for
// information, and RssFile (pages of the mmap'd model file: they come and go with the page cache
// and are bounded by the file) only reported.
function memoryVerdict(samples, warmupS, o) {
  const post = samples.filter((s) => s.t_s >= warmupS && s.load);
  if (post.length < 2) return { judged: false, reason: 'fewer than 2 samples after the warm-up' };
  const first = post[0];
  const lastS = post.at(-1);
  const windowMin = (lastS.t_s - first.t_s) / 60;
  const judge = (key) => {
    const start = first[key];
    const end = lastS[key];
    const allowed = start * o.rssSlackPct / 100 + o.rssSlackMb;
    const sl = slope(post.map((s) => s.t_s / 60), post.map((s) => s[key]));
    const slopeJudged = windowMin >= o.slopeMinWindowMin;
    const problems = [];
    if (end - start > allowed) problems.push(`grew ${round(end - start)} MB (allowed ${round(allowed)} MB)`);
    if (slopeJudged && sl > o.slopeMbPerMin) problems.push(`slope ${round(sl, 2)} MB/min > ${o.slopeMbPerMin}`);
    return { start_mb: start, end_mb: end, max_mb: Math.max(...post.map((s) => s[key])),
      growth_mb: round(end - start, 2), allowed_growth_mb: round(allowed, 2),
      slope_mb_per_min: round(sl, 3), slope_judged: slopeJudged, flat: problems.length === 0,
      problem: problems.join('; ') || null };
  };
  return { judged: true, window_min: round(windowMin, 2), samples: post.length,
    hwm_end_mb: lastS.hwm_mb, rss: judge('rss_mb'), anon: judge('anon_mb'),
    file: { ...judge('file_mb'), flat: null, problem: null } };
}

async function runSoak(o, url, server) {
  const models = await getFresh(url, '/v1/models', o.apiKey);
  const model = (() => { try { return JSON.parse(models.text).data[0].id; } catch { return null; } })();
  if (!model) throw new Error(`GET /v1/models: ${models.status} ${models.text.slice(0, 200)}`);
  const kinds = o.kinds ?? SOAK_KINDS;
  const totalWeight = kinds.reduce((s, k) => s + SOAK_WEIGHTS[k], 0);
  const ctx = { url, model, apiKey: o.apiKey, timeoutMs: o.requestTimeout * 1000 };
  const stats = Object.fromEntries(kinds.map((k) => [k, { requests: 0, errors: 0, tokens: 0, aborted: 0,
    sub: {}, ms: [] }]));
  const errors = [];
  const warmupS = o.duration * o.warmupFrac;

  // Memory samples every --sample-interval s while the load runs.
  const pid = server?.pid ?? null;
  const samples = [];
  const t0 = performance.now();
  let loading = true;
  const sample = () => {
    const m = pid ? procMemory(pid) : null;
    if (m) samples.push({ t_s: round((performance.now() - t0) / 1000, 2), load: loading, ...m });
  };
  sample();
  const sampler = setInterval(sample, o.sampleInterval * 1000);
  let lastReport = 0;

  const endAt = t0 + o.duration * 1000;
  await Promise.all(Array.from({ length: o.clients }, async (_, client) => {
    const rng = rngOf((o.seed * 7919 + client * 104729) >>> 0);
    while (performance.now() < endAt && !server?.exited()) {
      let w = rng.next() * totalWeight;
      const kind = kinds.find((k) => (w -= SOAK_WEIGHTS[k]) < 0) ?? kinds.at(-1);
      const tStart = performance.now();
      const r = await soakOne(kind, ctx, rng);
      const st = stats[kind];
      st.requests++;
      st.ms.push(performance.now() - tStart);
      st.tokens += r.tokens;
      if (r.aborted) st.aborted++;
      if (r.sub) st.sub[r.sub] = (st.sub[r.sub] ?? 0) + 1;
      if (r.error) {
        st.errors++;
        errors.push({ kind, sub: r.sub, client, t_s: round((tStart - t0) / 1000, 1), ...r.error });
      }
      const now = performance.now();
      if (now - lastReport > 30_000) {
        lastReport = now;
        const n = Object.values(stats).reduce((s, x) => s + x.requests, 0);
        const m = samples.at(-1);
        console.error(`loadgen: soak ${round((now - t0) / 1000, 0)} s: ${n} requests, ${errors.length} errors` +
          (m ? `, RSS ${m.rss_mb} MB (anon ${m.anon_mb})` : ''));
      }
    }
  }));
  const wall = (performance.now() - t0) / 1000;
  const died = server?.exited() ?? null;
  if (died) console.error(`loadgen: the server ended during the soak: ${JSON.stringify(died)}\n${server.log().slice(-3000)}`);
  sample();
  loading = false;
  clearInterval(sampler);

  // Close the load's keep-alive connections, then /metrics must show an idle server.
  agent.destroy();
  const metrics = await metricsAtEnd(url, o.apiKey);
  sample();  // idle

  const tokens = Object.values(stats).reduce((s, x) => s + x.tokens, 0);
  const byKind = Object.fromEntries(Object.entries(stats).map(([k, s]) => [k, { requests: s.requests,
    errors: s.errors, output_tokens: s.tokens, ...(s.aborted ? { aborted: s.aborted } : {}),
    ...(Object.keys(s.sub).length ? { by_variant: s.sub } : {}),
    ms_p50: round(pct(s.ms, 50)), ms_p99: round(pct(s.ms, 99)) }]));
  const errorsBy = (key) => {
    const g = {};
    for (const e of errors) (g[e[key]] ??= []).push(e);
    return Object.fromEntries(Object.entries(g).map(([k, es]) => [k, { count: es.length, first: es.slice(0, 3) }]));
  };
  const memory = pid ? memoryVerdict(samples, warmupS, o)
    : { judged: false, reason: '--url: the server is not our child process, its memory is not sampled' };
  return {
    duration_s: o.duration, clients: o.clients, seed: o.seed, kinds, model_id: model, wall_s: round(wall, 1),
    requests: Object.values(stats).reduce((s, x) => s + x.requests, 0), errors: errors.length,
    output_tokens: tokens, output_tokens_per_s: round(tokens / wall, 2),
    by_kind: byKind, errors_by_kind: errorsBy('kind'), errors_by_category: errorsBy('category'),
    warmup_s: warmupS, memory, metrics_at_end: metrics, server_died: died,
    server_log: server ? server.flagged() : null,
    thresholds: { rss_slack_pct: o.rssSlackPct, rss_slack_mb: o.rssSlackMb, slope_mb_per_min: o.slopeMbPerMin,
      slope_min_window_min: o.slopeMinWindowMin },
    samples,
  };
}

function soakReport(s) {
  const rows = [['kind', 'requests', 'errors', 'out tokens', 'p50 ms', 'p99 ms', 'notes']];
  for (const [k, v] of Object.entries(s.by_kind)) {
    const notes = [v.aborted ? `${v.aborted} aborted` : '',
      v.by_variant ? Object.entries(v.by_variant).map(([a, b]) => `${a} ${b}`).join(', ') : ''].filter(Boolean).join('; ');
    rows.push([k, v.requests, v.errors, v.output_tokens, v.ms_p50, v.ms_p99, notes].map((x) => String(x ?? '-')));
  }
  const w = rows[0].slice(0, -1).map((_, j) => Math.max(...rows.map((r) => r[j].length)));
  const lines = [rows.map((r) => [...r.slice(0, -1).map((c, j) => c.padStart(w[j])), r.at(-1)].join('  ')).join('\n'),
    `${s.requests} requests in ${s.wall_s} s by ${s.clients} clients, ${s.errors} errors, ` +
    `${s.output_tokens_per_s} output tok/s`];
  for (const [cat, g] of Object.entries(s.errors_by_category)) {
    lines.push(`errors ${cat}: ${g.count}`);
    for (const e of g.first) lines.push(`  ${e.kind}${e.sub ? `/${e.sub}` : ''} at ${e.t_s} s: ${e.message}\n` +
      `    POST ${e.route} ${typeof e.request === 'string' ? e.request : JSON.stringify(e.request)}`.slice(0, 1200));
  }
  const m = s.memory;
  if (m.judged) {
    for (const [name, v] of [['VmRSS', m.rss], ['RssAnon', m.anon], ['RssFile', m.file]]) {
      lines.push(`${name}: start ${v.start_mb} MB (after ${s.warmup_s} s warm-up), end ${v.end_mb}, max ${v.max_mb}, ` +
        `growth ${v.growth_mb} (allowed ${v.allowed_growth_mb}), slope ${v.slope_mb_per_min} MB/min` +
        `${v.slope_judged ? '' : ' (not judged: window too short)'}${name === 'RssFile' ? '' : v.flat ? ': flat' : `: NOT FLAT (${v.problem})`}`);
    }
    lines.push(`VmHWM at the end: ${m.hwm_end_mb} MB; ${m.samples} samples over ${m.window_min} min`);
  } else {
    lines.push(`memory: not judged (${m.reason})`);
  }
  const x = s.metrics_at_end;
  lines.push(`/metrics at the end: queue ${x.queue_depth}, running ${x.running_sequences}, KV blocks used ` +
    `${x.kv_blocks_used} / cached ${x.kv_blocks_cached} / total ${x.kv_blocks_total}, connections open ` +
    `${x.http_connections_open}, preemptions ${x.preemptions}: ${x.ok ? 'idle' : `NOT IDLE (${x.problem})`}`);
  if (s.server_log) {
    lines.push(`server log: ${s.server_log.warning} warning and ${s.server_log.error} error lines`);
    for (const l of s.server_log.first.slice(0, 5)) lines.push(`  ${l}`);
  }
  return lines.join('\n');
}

// --- Main -----------------------------------------------------------------------------------

async function main() {
  let o;
  try {
    o = parseArgs(process.argv.slice(2));
  } catch (e) {
    console.error(`loadgen: ${e.message}`);
    process.exit(2);
  }
  const server = o.url ? null : await startServer(o);
  const url = o.url ?? server.url;
  const out = { url, mode: o.mode, endpoint: o.endpoint, model: o.model ?? null,
    serve_args: server ? o.serveArgs : null, max_tokens: o.maxTokens, temperature: o.temperature,
    ignore_eos: o.ignoreEos, started: new Date().toISOString() };
  let failed = false;
  try {
    // A warm-up request (page faults of the weights, first allocations).
    await streamRequest(url, routeOf(o), requestBody(o, words(16, 1), 4), o.apiKey);
    if (o.mode === 'throughput') {
      out.levels = [];
      for (const c of o.concurrency) {
        const runs = [];
        for (let r = 0; r < o.repeat; r++) {
          runs.push(await runLevel(o, url, c, o.requests ?? 8 * c, r));
          console.error(`loadgen: concurrency ${c} run ${r + 1}/${o.repeat}: ` +
            `${runs.at(-1).output_tokens_per_s} tok/s, ${runs.at(-1).errors} errors`);
        }
        out.levels.push(o.repeat > 1 ? medianOfRuns(runs) : runs[0]);
      }
      console.error(throughputTable(out.levels));
      failed = out.levels.some((l) => l.errors > 0);
    } else if (o.mode === 'prefix') {
      out.prefix = await runPrefix(o, url);
      console.error(prefixTable(out.prefix));
    } else {
      out.soak = await runSoak(o, url, server);
      console.error(soakReport(out.soak));
      const memoryBad = out.soak.memory.judged && !out.soak.memory.rss.flat;
      // An error line in the server's log under this traffic is a problem too (warnings are not).
      const logErrors = out.soak.server_log?.error ?? 0;
      failed = out.soak.errors > 0 || memoryBad || !out.soak.metrics_at_end.ok || !!out.soak.server_died ||
        logErrors > 0;
      out.soak.passed = !failed;
    }
  } finally {
    if (server) {
      const exit = await server.stop();
      out.server_exit = exit;
      if (exit.code !== 0) {
        console.error(`loadgen: the server exited with ${JSON.stringify(exit)}\n${server.log().slice(-2000)}`);
        failed = true;
      }
    }
    agent.destroy();
  }
  const json = JSON.stringify(out, null, 2);
  if (o.json) fs.writeFileSync(o.json, json + '\n');
  else console.log(json);
  process.exit(failed ? 1 : 0);
}

main().catch((e) => {
  console.error(`loadgen: ${e.stack ?? e.message}`);
  process.exit(1);
});
