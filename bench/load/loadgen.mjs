#!/usr/bin/env node
// Load generator for qwenlayer's OpenAI-compatible server (or any OpenAI-compatible server):
// N concurrent streaming clients share M requests and measure, per request, the time to the
// first token (TTFT), the time per output token after it (TPOT) and the gaps between streamed
// chunks (ITL), with p50/p99 of each, output tokens/s over the run and the errors seen. A second
// mode measures the prefix cache: the TTFT of a request whose ~2,000-token prompt prefix an
// earlier request already sent, against the TTFT of that earlier (cold) request.
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
  --mode throughput|prefix   (default throughput)
  -c, --concurrency LIST     concurrent clients, e.g. 1,8 (default 1)
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
  --json FILE           write the JSON there instead of stdout
  --api-key KEY         sent as Authorization: Bearer KEY`;

function parseArgs(argv) {
  const o = { mode: 'throughput', concurrency: [1], maxTokens: 64, promptWords: 48,
    endpoint: 'completions', temperature: 0, ignoreEos: false, banTokens: [151643, 151645],
    repeat: 1, prefixTokens: 2000, trials: 5, serveArgs: [], qwenlayer: 'build/qwenlayer' };
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
      case '-c': case '--concurrency': o.concurrency = next().split(',').map(Number); break;
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
      case '--json': o.json = next(); break;
      case '--api-key': o.apiKey = next(); break;
      default: throw new Error(`unknown argument ${a}\n${HELP}`);
    }
  }
  if (!['throughput', 'prefix'].includes(o.mode)) throw new Error(`--mode ${o.mode}?`);
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
  const port = await new Promise((resolve, reject) => {
    proc.stderr.setEncoding('utf8');
    proc.stderr.on('data', (d) => {
      log += d;
      const m = /http: listening on 127\.0\.0\.1:(\d+)/.exec(log);
      if (m) resolve(Number(m[1]));
    });
    proc.on('exit', (code) => reject(new Error(`qwenlayer serve exited (${code}):\n${log}`)));
  });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 300_000;
  while (Date.now() < deadline) {
    try {
      const r = await fetch(`${url}/health`);
      if (r.status === 200) break;
    } catch { /* not yet */ }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    log: () => log,
    stop: () => new Promise((resolve) => {
      proc.on('exit', (code, signal) => resolve({ code, signal }));
      proc.kill('SIGTERM');
    }),
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
    } else {
      out.prefix = await runPrefix(o, url);
      console.error(prefixTable(out.prefix));
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
