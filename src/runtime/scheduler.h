// Scheduler: many generation requests over one model at once — continuous batching over one
// paged KV cache, chunked prefill, and a prefix cache — on one thread of its own.
//
// Each step the scheduler thread builds one ForwardBatch from (1) the next token of every running
// sequence that is generating, (2) chunks of prompts still being evaluated, in admission order,
// and (3) the first chunks of newly admitted sequences, up to max_batch_tokens tokens in all; it
// runs model.forward once, samples one token for every sequence whose prompt is complete (its own
// SamplerChain, optional LogitsConstraint), emits events and retires finished sequences.
// Sequences join and leave at token boundaries, so a long prompt never stalls the others for
// more than one chunk. Greedy output is the same as running each request alone with Generator
// (up to the rounding differences of different batch shapes).
//
// Admission is first in, first out: the head of the queue is admitted when a running slot is free
// and the KV cache can hold its whole prompt plus one block of headroom per running sequence
// (blocks held only by the prefix cache count as free: they are evicted, least recently used
// first, when needed). The prompt's blocks are reserved at admission; generating sequences take
// one more block every block_size tokens. When a generating sequence needs a block and none can
// be had, the most recently admitted sequence is preempted: its computed blocks go to the prefix
// cache, its KV is released and it returns to the front of the queue, to resume later exactly
// where it stopped (its sampler, text and event stream continue; its tokens so far are
// re-evaluated, mostly from the prefix cache). create() checks that the cache holds at least one
// full sequence, so a sequence running alone can always finish.
//
// Prefix cache (PrefixCache): at admission the longest chain of cached full blocks that starts
// the prompt, in the request's cache_namespace, is shared into the sequence (copy-on-write), and
// the prompt is evaluated from there; at least the last prompt token is evaluated, for its logits
// (when the whole prompt is cached, in a private copy of its block). Full blocks are indexed when a
// prompt has been evaluated and when a sequence finishes or is preempted (prompt and generated
// tokens alike, so a chat's next turn finds its history).
//
// Events: each sampled token produces one SequenceEvent; the last event of a sequence has
// done = true. Every accepted submit() gets exactly one done event, also on cancel() and
// shutdown(). A step's events are sent after the step, so stats() read in a done event's callback
// already shows that sequence's blocks released. on_event runs on the scheduler thread, without the
// scheduler's lock held: it must return quickly and never block (hand the event to another thread
// or an I/O loop), must not throw (an exception is caught and logged), and may call submit(),
// cancel() and stats() but not shutdown() or the destructor. Events can arrive before submit() has
// returned the id.
//
// Thread-safety: submit(), cancel(), stats() and shutdown() may be called from any thread. The
// Model must outlive the Scheduler.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "base/clock.h"
#include "base/status.h"
#include "model/model.h"
#include "runtime/generator.h"
#include "runtime/logits_constraint.h"
#include "runtime/sampler.h"

namespace qwl {

struct SchedulerOptions {
  int n_threads = 1;        // forward-pass threads, the scheduler thread included; <= 0: all
  int64_t ctx_size = 4096;  // positions per sequence (prompt + generated); <= 0: n_ctx_train
  // Total KV blocks. 0: kv_memory_bytes / bytes per block when that is set, else enough for
  // max_running sequences of ctx_size positions. At least one full sequence plus one block.
  int64_t kv_blocks = 0;
  int64_t kv_memory_bytes = 0;  // budget for K and V of all layers, used when kv_blocks is 0
  int block_size = 32;          // positions per KV block (and per prefix-cache entry)
  DType kv_type = DType::kF16;  // F16 or F32
  int max_running = 16;         // sequences in the batch at once
  // Sequences waiting for admission beyond the free running slots; submit() beyond: exhausted.
  int max_queue = 64;
  int max_batch_tokens = 512;  // tokens per forward step; >= max_running
  bool prefix_cache = true;
  const Clock* clock = nullptr;  // timestamps for queue_us and ttft_us; nullptr: Clock::real()
};

// A token's log-probability under the model (log-softmax of the raw logits, before sampling
// parameters and constraints), with the most likely alternatives.
struct TokenLogprob {
  struct Alternative {
    int32_t token = -1;
    float logprob = 0.0f;
  };
  int32_t token = -1;
  float logprob = 0.0f;
  std::vector<Alternative> top;  // top_logprobs entries, most likely first
};

struct SequenceParams {
  std::vector<int32_t> prompt;  // token ids, not empty, each in [0, n_vocab)
  // Generated tokens at most (the end token included); <= 0: until the context is full.
  // prompt.size() + max_tokens must not exceed ctx_size.
  int max_tokens = 256;
  SamplingParams sampling;
  std::vector<std::string> stop;  // stop strings: the text ends before the first match
  bool stop_at_eog = true;        // stop at eos / <|im_end|> / <|endoftext|>
  // -1: no log-probabilities; 0..20: the sampled token's and this many alternatives.
  int top_logprobs = -1;
  // Applied to each row of logits before sampling (accept() after). Once it is complete, an
  // end token ends the sequence even with stop_at_eog off.
  std::unique_ptr<LogitsConstraint> constraint;
  // Prefix-cache isolation: sequences share cached blocks only within one namespace (e.g. one
  // per API key); "" is a namespace like any other.
  std::string cache_namespace;
};

struct SequenceUsage {
  int64_t n_prompt = 0;     // prompt tokens
  int64_t n_cached = 0;     // prompt tokens served from the prefix cache (at first admission)
  int64_t n_generated = 0;  // tokens generated so far (an end token included)
  int64_t queue_us = 0;     // submit to first admission; 0 until admitted
  int64_t ttft_us = 0;      // submit to first generated token; 0 until then
};

struct SequenceEvent {
  uint64_t id = 0;
  // Text that became final with this event: valid UTF-8, never part of a possible stop string;
  // the end token and the stop string itself are not included.
  std::string text;
  std::vector<int32_t> tokens;               // ids generated since the last event (one, or none)
  std::vector<TokenLogprob> logprobs;        // one per token when top_logprobs >= 0
  bool done = false;                         // the last event of this sequence
  StopReason stop = StopReason::kMaxTokens;  // why it ended (when done and error is ok)
  // Not ok when the sequence failed (done is then true): ResourceExhausted, Internal, or the
  // constraint's error.
  Status error;
  SequenceUsage usage;
};

using SequenceCallback = std::function<void(SequenceEvent&&)>;

// Counters since create(); a consistent snapshot taken at the end of a step.
struct SchedulerStats {
  int64_t queued = 0;   // waiting for admission
  int64_t running = 0;  // admitted, not finished
  int64_t kv_blocks_total = 0;
  int64_t kv_blocks_used = 0;         // held by sequences or the prefix cache
  int64_t kv_blocks_cached = 0;       // indexed by the prefix cache
  int64_t prefix_lookups = 0;         // admissions that consulted the prefix cache
  int64_t prefix_hit_tokens = 0;      // prompt tokens served from it
  int64_t prefix_evicted_blocks = 0;  // cached blocks dropped to make room
  int64_t prompt_tokens = 0;          // prompt tokens admitted (first admissions)
  int64_t generated_tokens = 0;
  int64_t computed_tokens = 0;  // tokens run through the model (prefill and decode)
  int64_t steps = 0;            // forward passes
  int64_t preemptions = 0;
  int64_t finished = 0;  // sequences that got their done event
};

class Scheduler {
 public:
  // Validates the options against the model, allocates the KV cache and starts the thread.
  // Errors: InvalidArgument naming the option, ResourceExhausted when the KV cache cannot be
  // allocated.
  static Result<std::unique_ptr<Scheduler>> create(const Model& model,
                                                   const SchedulerOptions& options);
  ~Scheduler();  // shutdown()
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  // Queues a sequence and returns its id (> 0). Errors: InvalidArgument for an empty prompt, a
  // token outside the vocabulary, prompt + max_tokens beyond ctx_size, bad sampling params or
  // top_logprobs; ResourceExhausted when max_queue sequences wait beyond the free running slots
  // (HTTP 429);
  // Unavailable after shutdown(). On error on_event is never called.
  Result<uint64_t> submit(SequenceParams params, SequenceCallback on_event);
  // Ends the sequence at the next step boundary: its KV is freed and it gets a done event with
  // StopReason::kCancelled. Unknown or finished ids are ignored.
  void cancel(uint64_t id);
  SchedulerStats stats() const;
  // Cancels every sequence (each gets its done event) and joins the thread. Idempotent.
  void shutdown();

  // The options in force (kv_blocks and ctx_size resolved).
  const SchedulerOptions& options() const { return options_; }

 private:
  struct Sequence;
  struct Impl;
  Scheduler(const Model& model, const SchedulerOptions& options, std::unique_ptr<Impl> impl);
  void loop();

  const Model* model_;
  SchedulerOptions options_;
  std::unique_ptr<Impl> impl_;  // owned by the scheduler thread: KV cache, prefix cache, pool

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::unique_ptr<Sequence>> waiting_;  // guarded by mu_
  std::vector<uint64_t> cancels_;                  // guarded by mu_
  SchedulerStats stats_;                           // guarded by mu_
  uint64_t next_id_ = 1;                           // guarded by mu_
  bool stop_ = false;                              // guarded by mu_
  std::once_flag joined_;
  std::thread thread_;
  std::thread::id thread_id_;  // the scheduler thread's, set before create() returns
};

}  // namespace qwl
