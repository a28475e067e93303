// The scheduler thread: admission, step planning (decodes, prefill chunks, preemption), one
// forward pass per step, sampling and events.
#include "runtime/scheduler.h"

#include <algorithm>
#include <cmath>
#include <exception>
#include <utility>

#include "base/log.h"
#include "base/thread_pool.h"
#include "runtime/kv_cache.h"
#include "runtime/prefix_cache.h"

namespace qwl {
namespace {

constexpr int kMaxTopLogprobs = 20;

int64_t ceil_div(int64_t a, int64_t b) {
  return (a + b - 1) / b;
}

// The end-of-generation ids as Generator::generate chooses them.
TokenLogprob token_logprob(std::span<const float> row, int32_t token, int n_top,
                           std::vector<int32_t>& order) {
  // log-softmax: x - (max + log sum exp(x - max)), summed in double for 150k-entry rows.
  const float mx = *std::max_element(row.begin(), row.end());
  double sum = 0.0;
  for (float x : row) sum += std::exp(static_cast<double>(x - mx));
  const float lse = mx + static_cast<float>(std::log(sum));
  TokenLogprob lp{.token = token, .logprob = row[static_cast<size_t>(token)] - lse};
  if (n_top > 0) {
    order.resize(row.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = static_cast<int32_t>(i);
    const auto mid = order.begin() + std::min<ptrdiff_t>(n_top, std::ssize(order));
    std::partial_sort(order.begin(), mid, order.end(), [&](int32_t a, int32_t b) {
      const float xa = row[static_cast<size_t>(a)], xb = row[static_cast<size_t>(b)];
      return xa > xb || (xa == xb && a < b);
    });
    for (auto it = order.begin(); it != mid; ++it)
      lp.top.push_back({.token = *it, .logprob = row[static_cast<size_t>(*it)] - lse});
  }
  return lp;
}

// Hands an event to its callback; a throwing callback must not take the scheduler thread down.
void emit(const SequenceCallback& cb, SequenceEvent&& ev) {
  try {
    cb(std::move(ev));
  } catch (const std::exception& e) {
    QWL_LOG_ERROR("scheduler: event callback threw: {}", e.what());
  } catch (...) {
    QWL_LOG_ERROR("scheduler: event callback threw");
  }
}

}  // namespace

struct Scheduler::Sequence {
  Sequence(SequenceParams p, SequenceCallback cb, const Tokenizer& tok)
      : params(std::move(p)),
        on_event(std::move(cb)),
        sampler(params.sampling),
        stops(params.stop),
        decoder(tok) {}

  int64_t remaining() const { return static_cast<int64_t>(tokens.size()) - n_computed; }

  uint64_t id = 0;
  SequenceParams params;  // prompt moved out into `tokens`
  SequenceCallback on_event;
  SamplerChain sampler;
  StopMatcher stops;
  Tokenizer::StreamDecoder decoder;
  std::vector<int32_t> tokens;  // the prompt, then every generated token
  KvCache::SeqId kv = -1;       // -1 while it holds no KV (queued, preempted)
  int64_t n_computed = 0;       // positions whose K/V are in the cache
  int64_t chunk = 0;            // tokens in this step's batch
  bool prompt_indexed = false;  // computed prompt blocks given to the prefix cache
  bool admitted = false;        // admitted at least once
  bool first_token = false;     // a token has been generated
  bool finished = false;        // done event queued; to be dropped from `running`
  int64_t submit_us = 0;
  SequenceUsage usage;
  std::vector<float> masked;  // (n_vocab) a logits row after the constraint
};

// Everything the scheduler thread alone touches.
struct Scheduler::Impl {
  Impl(KvCache kv_cache, int n_threads) : kv(std::move(kv_cache)), prefix(kv), pool(n_threads) {}

  KvCache kv;
  PrefixCache prefix;  // after kv: destroyed first, giving its references back
  ThreadPool pool;
  ForwardState state;
  const Clock* clock = nullptr;
  bool use_prefix = true;
  std::vector<int32_t> eog;
  std::vector<std::unique_ptr<Sequence>> running;  // in admission order
  SchedulerStats counters;                         // the cumulative fields of SchedulerStats
  // Batch buffers, reused every step.
  std::vector<int32_t> tokens, positions, order;
  std::vector<ForwardSeq> seqs;
  std::vector<Sequence*> in_batch;
  // Events of this step, sent once the step's state and stats are published, so that a done
  // event's receiver sees the sequence's blocks already freed in stats(). Finished sequences
  // stay alive in `retired` until their events are out.
  std::vector<std::pair<Sequence*, SequenceEvent>> outbox;
  std::vector<std::unique_ptr<Sequence>> retired;
};

Scheduler::Scheduler(const Model& model, const SchedulerOptions& options,
                     std::unique_ptr<Impl> impl)
    : model_(&model), options_(options), impl_(std::move(impl)) {}

Scheduler::~Scheduler() {
  shutdown();
}

Result<std::unique_ptr<Scheduler>> Scheduler::create(const Model& model,
                                                     const SchedulerOptions& options) {
  const ModelConfig& config = model.config();
  SchedulerOptions o = options;
  if (o.n_threads <= 0) o.n_threads = ThreadPool::hardware_threads();
  if (o.ctx_size <= 0) o.ctx_size = config.n_ctx_train;
  if (o.ctx_size <= 0)
    return InvalidArgumentError("SchedulerOptions.ctx_size: the model gives no context length");
  if (o.block_size <= 0 || o.block_size > 4096)
    return InvalidArgumentError("SchedulerOptions.block_size {} out of range [1, 4096]",
                                o.block_size);
  if (o.kv_type != DType::kF16 && o.kv_type != DType::kF32)
    return InvalidArgumentError("SchedulerOptions.kv_type must be f16 or f32, got {}",
                                dtype_name(o.kv_type));
  if (o.max_running < 1)
    return InvalidArgumentError("SchedulerOptions.max_running must be >= 1, got {}", o.max_running);
  if (o.max_queue < 1)
    return InvalidArgumentError("SchedulerOptions.max_queue must be >= 1, got {}", o.max_queue);
  if (o.max_batch_tokens < o.max_running)
    return InvalidArgumentError(
        "SchedulerOptions.max_batch_tokens ({}) must be >= max_running ({}): every running "
        "sequence needs a token in each step",
        o.max_batch_tokens, o.max_running);
  if (o.kv_blocks < 0 || o.kv_memory_bytes < 0)
    return InvalidArgumentError("SchedulerOptions.kv_blocks / kv_memory_bytes must be >= 0");

  // One full sequence, plus one block for the copy-on-write of a fully cached prompt.
  const int64_t per_seq = ceil_div(o.ctx_size, o.block_size);
  const int64_t block_bytes = 2 * static_cast<int64_t>(config.n_layer) * config.kv_width() *
                              (o.kv_type == DType::kF32 ? 4 : 2) * o.block_size;
  const char* field = "kv_blocks";
  if (o.kv_blocks == 0 && o.kv_memory_bytes > 0) {
    o.kv_blocks = o.kv_memory_bytes / block_bytes;
    field = "kv_memory_bytes";
  } else if (o.kv_blocks == 0) {
    o.kv_blocks = o.max_running * per_seq + 1;
  }
  if (o.kv_blocks < per_seq + 1)
    return InvalidArgumentError(
        "SchedulerOptions.{}: {} KV blocks cannot hold one sequence of ctx_size {} ({} blocks of "
        "{} positions, {} bytes each, plus one)",
        field, o.kv_blocks, o.ctx_size, per_seq, o.block_size, block_bytes);

  QWL_ASSIGN_OR_RETURN(KvCache kv, KvCache::create(config, {.type = o.kv_type,
                                                            .block_size = o.block_size,
                                                            .max_positions = o.ctx_size,
                                                            .n_blocks = o.kv_blocks}));
  auto impl = std::make_unique<Impl>(std::move(kv), o.n_threads);
  impl->clock = o.clock != nullptr ? o.clock : &Clock::real();
  impl->use_prefix = o.prefix_cache;
  impl->eog = model.tokenizer().end_of_generation_ids();
  std::unique_ptr<Scheduler> s(new Scheduler(model, o, std::move(impl)));
  s->stats_.kv_blocks_total = o.kv_blocks;
  s->thread_ = std::thread([p = s.get()] { p->loop(); });
  s->thread_id_ = s->thread_.get_id();
  QWL_LOG_DEBUG("scheduler: {} KV blocks of {} positions ({} MiB), ctx {}, {} running at most",
                o.kv_blocks, o.block_size, (o.kv_blocks * block_bytes) >> 20, o.ctx_size,
                o.max_running);
  return s;
}

Result<uint64_t> Scheduler::submit(SequenceParams params, SequenceCallback on_event) {
  const int32_t n_vocab = model_->config().n_vocab;
  const int64_t n_prompt = static_cast<int64_t>(params.prompt.size());
  if (n_prompt == 0) return InvalidArgumentError("prompt: empty");
  for (size_t i = 0; i < params.prompt.size(); ++i)
    if (params.prompt[i] < 0 || params.prompt[i] >= n_vocab)
      return InvalidArgumentError("prompt[{}]: token id {} outside the vocabulary [0, {})", i,
                                  params.prompt[i], n_vocab);
  if (params.max_tokens > 0 && n_prompt + params.max_tokens > options_.ctx_size)
    return InvalidArgumentError(
        "max_tokens: {} prompt tokens + max_tokens {} exceed the context size {}", n_prompt,
        params.max_tokens, options_.ctx_size);
  if (n_prompt > options_.ctx_size)
    return InvalidArgumentError("prompt: {} tokens exceed the context size {}", n_prompt,
                                options_.ctx_size);
  QWL_RETURN_IF_ERROR(params.sampling.validate(n_vocab));
  if (params.top_logprobs < -1 || params.top_logprobs > kMaxTopLogprobs)
    return InvalidArgumentError("top_logprobs: {} outside [-1, {}]", params.top_logprobs,
                                kMaxTopLogprobs);
  if (!on_event) return InvalidArgumentError("on_event: empty callback");

  auto seq =
      std::make_unique<Sequence>(std::move(params), std::move(on_event), model_->tokenizer());
  seq->tokens = std::move(seq->params.prompt);
  seq->usage.n_prompt = n_prompt;
  // The penalty stages see the prompt, as in Generator::generate.
  for (int32_t t : seq->tokens) seq->sampler.accept(t);
  seq->submit_us = impl_->clock->monotonic_us();

  std::lock_guard lock(mu_);
  if (stop_) return UnavailableError("scheduler: shut down");
  // Sequences submitted but not yet admitted wait here even when a running slot is free (the
  // scheduler thread admits them at its next step), so free slots count as room too: otherwise
  // a burst would be refused although it fits.
  const int64_t free_slots = std::max<int64_t>(0, options_.max_running - stats_.running);
  if (static_cast<int64_t>(waiting_.size()) >= options_.max_queue + free_slots)
    return ResourceExhaustedError("scheduler: queue is full ({} sequences waiting)",
                                  waiting_.size());
  const uint64_t id = next_id_++;
  seq->id = id;
  waiting_.push_back(std::move(seq));
  cv_.notify_one();
  return id;
}

void Scheduler::cancel(uint64_t id) {
  std::lock_guard lock(mu_);
  cancels_.push_back(id);
  cv_.notify_one();
}

SchedulerStats Scheduler::stats() const {
  std::lock_guard lock(mu_);
  SchedulerStats s = stats_;
  s.queued = static_cast<int64_t>(waiting_.size());
  return s;
}

void Scheduler::shutdown() {
  QWL_CHECK(std::this_thread::get_id() != thread_id_,
            "Scheduler::shutdown called from an event callback");
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  std::call_once(joined_, [this] {
    if (thread_.joinable()) thread_.join();
  });
}

void Scheduler::loop() {
  Impl& m = *impl_;
  const int64_t bs = options_.block_size;
  const int32_t n_vocab = model_->config().n_vocab;

  auto now_us = [&] { return m.clock->monotonic_us(); };

  // Gives a sequence's computed full blocks to the prefix cache.
  auto index = [&](Sequence& s) {
    if (!m.use_prefix || s.kv < 0) return;
    m.prefix.insert(s.params.cache_namespace,
                    std::span<const int32_t>(s.tokens).first(static_cast<size_t>(s.n_computed)),
                    m.kv.block_table(s.kv));
  };
  auto release_kv = [&](Sequence& s, bool keep_blocks) {
    if (s.kv < 0) return;
    if (keep_blocks) index(s);
    m.kv.release(s.kv);
    s.kv = -1;
    s.n_computed = 0;
    s.chunk = 0;
  };
  // Ends a sequence: frees its KV and sends its done event.
  auto finish = [&](Sequence& s, SequenceEvent ev, StopReason stop, Status error) {
    release_kv(s, error.ok());
    ev.id = s.id;
    ev.done = true;
    ev.stop = stop;
    ev.error = std::move(error);
    ev.usage = s.usage;
    s.finished = true;
    ++m.counters.finished;
    m.outbox.emplace_back(&s, std::move(ev));
  };
  auto drop_finished = [&] {
    for (auto& s : m.running)
      if (s->finished) m.retired.push_back(std::move(s));
    std::erase(m.running, nullptr);
  };
  auto end_step = [&] {
    {
      std::lock_guard lock(mu_);
      stats_ = m.counters;
      stats_.running = static_cast<int64_t>(m.running.size());
      stats_.kv_blocks_total = m.kv.n_blocks();
      stats_.kv_blocks_used = m.kv.n_blocks() - m.kv.n_free_blocks();
      stats_.kv_blocks_cached = m.prefix.n_blocks();
      stats_.prefix_evicted_blocks = m.prefix.stats().evicted_blocks;
    }
    for (auto& [seq, ev] : m.outbox) emit(seq->on_event, std::move(ev));
    m.outbox.clear();
    m.retired.clear();
  };
  // Makes room for positions [0, end) of `s` and a private copy of the block `end - 1` falls in.
  // False when the KV cache cannot supply the blocks even after prefix-cache eviction.
  auto grow = [&](Sequence& s, int64_t end) {
    const auto table = m.kv.block_table(s.kv);
    const int64_t have = static_cast<int64_t>(table.size());
    int64_t need = std::max<int64_t>(0, ceil_div(end, bs) - have);
    const int64_t last = (end - 1) / bs;
    if (last < have && m.kv.ref_count(table[static_cast<size_t>(last)]) > 1) ++need;
    if (need > m.kv.n_free_blocks() && !(m.use_prefix && m.prefix.make_free(need))) return false;
    Status st = m.kv.reserve(s.kv, end);
    if (st.ok()) st = m.kv.prepare_write(s.kv, end - 1, end);
    QWL_CHECK(st.ok(), "KV growth failed with blocks free: {}", st.to_string());
    return true;
  };

  for (;;) {
    std::vector<std::unique_ptr<Sequence>> dropped;  // cancelled while queued
    std::vector<uint64_t> cancel_running;
    bool stopping = false;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [&] {
        return stop_ || !cancels_.empty() || !waiting_.empty() || !m.running.empty();
      });
      stopping = stop_;
      if (stopping) {
        for (auto& s : waiting_) dropped.push_back(std::move(s));
        waiting_.clear();
      } else {
        for (uint64_t id : cancels_) {
          auto it = std::find_if(waiting_.begin(), waiting_.end(),
                                 [&](const auto& s) { return s->id == id; });
          if (it != waiting_.end()) {
            dropped.push_back(std::move(*it));
            waiting_.erase(it);
          } else {
            cancel_running.push_back(id);
          }
        }
      }
      cancels_.clear();
    }
    for (auto& s : dropped) {
      finish(*s, {}, StopReason::kCancelled, Status::Ok());
      m.retired.push_back(std::move(s));
    }
    for (auto& s : m.running)
      if (stopping ||
          std::find(cancel_running.begin(), cancel_running.end(), s->id) != cancel_running.end())
        finish(*s, {}, StopReason::kCancelled, Status::Ok());
    drop_finished();
    if (stopping) {
      end_step();
      return;
    }

    // 1. Every generating sequence gets its next token; one that needs a KV block that cannot
    // be had preempts the most recently admitted sequence (possibly itself).
    int64_t budget = options_.max_batch_tokens;
    bool preempted = false;
    std::vector<std::unique_ptr<Sequence>> requeue;  // newest first
    for (size_t i = 0; i < m.running.size(); ++i) {
      Sequence& s = *m.running[i];
      s.chunk = 0;
      if (s.remaining() != 1) continue;
      bool ok = false;
      while (!(ok = grow(s, s.n_computed + 1))) {
        std::unique_ptr<Sequence> victim = std::move(m.running.back());
        m.running.pop_back();
        release_kv(*victim, true);
        victim->prompt_indexed = false;
        requeue.push_back(std::move(victim));
        ++m.counters.preemptions;
        preempted = true;
        if (i >= m.running.size()) break;  // `s` itself was the newest
      }
      if (ok) {
        s.chunk = 1;
        --budget;
      }
    }
    // 2. Prompts being evaluated continue, oldest first, in chunks that fill the budget.
    for (auto& s : m.running) {
      if (s->remaining() <= 1) continue;
      s->chunk = std::min(s->remaining(), budget);
      budget -= s->chunk;
    }
    // 3. Admission, first in first out, unless this step had to preempt.
    std::vector<std::pair<std::unique_ptr<Sequence>, Status>> rejected;
    {
      std::lock_guard lock(mu_);
      for (auto& v : requeue) waiting_.push_front(std::move(v));
      while (!preempted && budget > 0 && !waiting_.empty() &&
             static_cast<int>(m.running.size()) < options_.max_running) {
        Sequence& s = *waiting_.front();
        const int64_t n = static_cast<int64_t>(s.tokens.size());
        PrefixCache::Match match;
        if (m.use_prefix) match = m.prefix.lookup(s.params.cache_namespace, s.tokens);
        // The last token is always evaluated again: its logits start generation.
        const int64_t start = std::min(match.n_tokens, n - 1);
        int64_t pinned = 0;  // matched blocks the cache alone holds: sharing pins them
        for (int32_t b : match.blocks)
          if (m.kv.ref_count(b) == 1) ++pinned;
        const int64_t need = ceil_div(n, bs) - static_cast<int64_t>(match.blocks.size()) +
                             (start < match.n_tokens ? 1 : 0);
        const int64_t headroom = static_cast<int64_t>(m.running.size()) + 1;
        const int64_t available =
            m.kv.n_free_blocks() + (m.use_prefix ? m.prefix.n_evictable() - pinned : 0);
        if (need + headroom > available) {
          // Alone it always fits (create() checks); this guards against waiting forever.
          if (m.running.empty()) {
            rejected.emplace_back(
                std::move(waiting_.front()),
                ResourceExhaustedError("scheduler: the KV cache cannot hold {} positions ({} "
                                       "blocks needed, {} available)",
                                       n, need + headroom, available));
            waiting_.pop_front();
            continue;
          }
          break;
        }
        s.kv = match.blocks.empty() ? m.kv.create_sequence()
                                    : m.kv.create_sequence(match.blocks, match.n_tokens);
        if (need > m.kv.n_free_blocks()) m.prefix.make_free(need);
        Status st = m.kv.reserve(s.kv, n);
        if (st.ok()) st = m.kv.prepare_write(s.kv, start, n);
        QWL_CHECK(st.ok(), "admission failed with blocks free: {}", st.to_string());
        m.kv.set_length(s.kv, start);
        s.n_computed = start;
        if (!s.admitted) {
          s.admitted = true;
          s.usage.n_cached = start;
          s.usage.queue_us = now_us() - s.submit_us;
          m.counters.prompt_tokens += s.usage.n_prompt;
          if (m.use_prefix) {
            ++m.counters.prefix_lookups;
            m.counters.prefix_hit_tokens += start;
          }
        }
        s.chunk = std::min(n - start, budget);
        budget -= s.chunk;
        m.running.push_back(std::move(waiting_.front()));
        waiting_.pop_front();
      }
    }
    for (auto& [s, st] : rejected) {
      finish(*s, {}, StopReason::kMaxTokens, st);
      m.retired.push_back(std::move(s));
    }

    // 4. One forward pass over every sequence's chunk, in running order.
    m.tokens.clear();
    m.positions.clear();
    m.seqs.clear();
    m.in_batch.clear();
    for (auto& s : m.running) {
      if (s->chunk == 0) continue;
      for (int64_t i = 0; i < s->chunk; ++i) {
        m.tokens.push_back(s->tokens[static_cast<size_t>(s->n_computed + i)]);
        m.positions.push_back(static_cast<int32_t>(s->n_computed + i));
      }
      m.seqs.push_back({.n_tokens = s->chunk, .block_table = m.kv.block_table(s->kv)});
      m.in_batch.push_back(s.get());
    }
    if (m.in_batch.empty()) {
      end_step();
      continue;
    }
    ForwardBatch batch{.tokens = m.tokens, .positions = m.positions};
    if (m.seqs.size() == 1)
      batch.block_table = m.seqs[0].block_table;
    else
      batch.seqs = m.seqs;
    Status st = model_->forward(batch, m.kv.view(), m.state, m.pool);
    if (st.ok() && m.state.logit_rows() != static_cast<int64_t>(m.in_batch.size()))
      st = InternalError("model returned {} logit rows for a batch of {} sequences",
                         m.state.logit_rows(), m.in_batch.size());
    ++m.counters.steps;
    m.counters.computed_tokens += static_cast<int64_t>(m.tokens.size());
    if (!st.ok()) {
      QWL_LOG_ERROR("scheduler: forward pass failed: {}", st.to_string());
      for (Sequence* s : m.in_batch)
        finish(*s, {}, StopReason::kMaxTokens, st.with_context("scheduler: forward pass"));
      drop_finished();
      end_step();
      continue;
    }

    // 5. Sample for every sequence whose tokens are all computed; events; retirement.
    const auto logits = m.state.logits();
    for (size_t r = 0; r < m.in_batch.size(); ++r) {
      Sequence& s = *m.in_batch[r];
      s.n_computed += s.chunk;
      s.chunk = 0;
      m.kv.set_length(s.kv, s.n_computed);
      if (m.use_prefix && !s.prompt_indexed && s.n_computed >= s.usage.n_prompt) {
        index(s);
        s.prompt_indexed = true;
      }
      if (s.remaining() > 0) continue;  // prompt still being evaluated

      const auto row =
          logits.subspan(r * static_cast<size_t>(n_vocab), static_cast<size_t>(n_vocab));
      int32_t token;
      if (s.params.constraint) {
        s.masked.assign(row.begin(), row.end());
        s.params.constraint->apply(s.masked);
        token = s.sampler.sample(s.masked);
      } else {
        token = s.sampler.sample(row);
      }
      s.sampler.accept(token);
      SequenceEvent ev;
      ev.id = s.id;
      const bool complete = s.params.constraint && s.params.constraint->complete();
      if (s.params.constraint) {
        Status cs = s.params.constraint->accept(token);
        if (!cs.ok()) {
          finish(s, std::move(ev), StopReason::kMaxTokens,
                 cs.with_context(fmt::format("constraint rejected sampled token {}", token)));
          continue;
        }
      }
      s.tokens.push_back(token);
      ++s.usage.n_generated;
      ++m.counters.generated_tokens;
      if (!s.first_token) {
        s.first_token = true;
        s.usage.ttft_us = now_us() - s.submit_us;
      }
      ev.tokens.push_back(token);
      if (s.params.top_logprobs >= 0)
        ev.logprobs.push_back(token_logprob(row, token, s.params.top_logprobs, m.order));

      // Stop conditions in Generator::generate's order.
      const bool eog = std::find(m.eog.begin(), m.eog.end(), token) != m.eog.end();
      bool done = true;
      StopReason stop = StopReason::kEog;
      if (!(eog && (s.params.stop_at_eog || complete))) {
        ev.text = s.stops.push(s.decoder.push(token));
        if (s.stops.stopped())
          stop = StopReason::kStopString;
        else if (s.n_computed >= options_.ctx_size)
          stop = StopReason::kContextFull;
        else if (s.params.max_tokens > 0 && s.usage.n_generated >= s.params.max_tokens)
          stop = StopReason::kMaxTokens;
        else
          done = false;
      }
      if (!done) {
        ev.usage = s.usage;
        m.outbox.emplace_back(&s, std::move(ev));
        continue;
      }
      if (stop != StopReason::kStopString) {
        ev.text += s.stops.push(s.decoder.flush());
        if (!s.stops.stopped())
          ev.text += s.stops.flush();
        else
          stop = StopReason::kStopString;
      }
      finish(s, std::move(ev), stop, Status::Ok());
    }
    drop_finished();
    end_step();
  }
}

}  // namespace qwl
