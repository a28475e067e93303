// Token-level constraints: a grammar (grammar.h) applied to a vocabulary as a LogitsConstraint,
// the factories for JSON Schema, JSON objects and Qwen tool calls, and a wrapper that leaves
// a Qwen3 <think> block free and constrains what follows it.
//
// Per step, the allowed tokens are those whose bytes can continue the text under the grammar
// (and, once the text can end, the end-of-generation tokens; special tokens only where the
// grammar names them). Computing them: the matcher state is a set of stacks; for the node on
// top of each stack, the tokens that its own rule accepts or rejects whatever lies below are
// found once per node by walking the vocabulary trie (ConstraintVocab) and cached; only the
// few tokens that run past the end of that rule are then walked from the full state (in trie
// order, sharing prefixes). Whole masks are also cached per state, since a generation keeps
// returning to the same states (inside a string, between array items). docs/CONSTRAINTS.md
// has the measurements.
//
// Errors: accept() returns InvalidArgument for a token the mask would have excluded, and
// leaves the constraint unchanged. Factories return the grammar's errors (json_schema.h).
// If a grammar reaches a state where no token fits (a dead end, or nesting deeper than
// GrammarEngine::kMaxStackDepth), apply() allows only end-of-generation tokens and accept()
// takes them (complete() then says true: the text ends there, unfinished).
// Thread-safety: a constraint is used by one thread at a time; the ConstraintVocab it holds
// is shared and immutable.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/status.h"
#include "runtime/constraint_vocab.h"
#include "runtime/grammar.h"
#include "runtime/json_schema.h"
#include "runtime/logits_constraint.h"
#include "tokenizer/tokenizer.h"

namespace qwl {

struct ConstraintPosition;  // one node's analysis of the vocabulary (token_constraint.cpp)

// A grammar compiled against a vocabulary, with the per-node analyses of the vocabulary that
// every constraint made from it shares: a server compiles one program per schema (or tool
// set) and makes one TokenConstraint per request from it, so only the first request pays for
// the analyses. Thread-safe: analyses are added under a lock and never change afterwards.
class ConstraintProgram {
 public:
  // Special tokens the vocabulary has become single tokens; the others are written as text.
  static Result<std::shared_ptr<ConstraintProgram>> compile(
      std::shared_ptr<const ConstraintVocab> vocab, const Grammar& grammar);

  ~ConstraintProgram();
  const std::shared_ptr<const ConstraintVocab>& vocab() const { return vocab_; }
  const std::shared_ptr<const CompiledGrammar>& grammar() const { return grammar_; }
  size_t n_positions() const;

 private:
  friend class TokenConstraint;
  ConstraintProgram(std::shared_ptr<const ConstraintVocab> vocab,
                    std::shared_ptr<const CompiledGrammar> grammar);
  // Analyses are keyed by node, or (negative keys) by the room left in a JSON string.
  const ConstraintPosition* find(int32_t key) const;
  // Keeps `p` unless another constraint stored one for the key first; returns the kept one.
  const ConstraintPosition* insert(int32_t key, std::unique_ptr<ConstraintPosition> p);

  std::shared_ptr<const ConstraintVocab> vocab_;
  std::shared_ptr<const CompiledGrammar> grammar_;
  mutable std::mutex mu_;
  std::unordered_map<int32_t, std::unique_ptr<const ConstraintPosition>> positions_;
};

class TokenConstraint final : public LogitsConstraint {
 public:
  static std::unique_ptr<TokenConstraint> create(std::shared_ptr<ConstraintProgram> program);
  // A constraint with a program of its own.
  static Result<std::unique_ptr<TokenConstraint>> create(
      std::shared_ptr<const ConstraintVocab> vocab, const Grammar& grammar);
  ~TokenConstraint() override;

  void apply(std::span<float> logits) override;
  Status accept(int32_t token) override;
  bool complete() const override;

  // The allowed tokens now, as apply() uses them: bit (id % 64) of word id / 64.
  const std::vector<uint64_t>& allowed();
  // The same set computed without any cache, by walking every token from the current state
  // (the reference the cached computation is tested against; slow).
  std::vector<uint64_t> allowed_by_full_walk();

  // Whether allowed() keeps whole masks per state (on by default). Benchmarks turn it off to
  // time the computation itself; per-node analyses stay shared either way.
  void set_mask_cache(bool on) {
    cache_masks_ = on;
    masks_.clear();
  }

  struct Stats {
    int64_t masks = 0;  // allowed() computations (cache misses)
    int64_t mask_cache_hits = 0;
    int64_t positions = 0;       // nodes this constraint analysed by a trie walk
    int64_t context_tokens = 0;  // tokens walked from a full state
  };
  const Stats& stats() const { return stats_; }

 private:
  explicit TokenConstraint(std::shared_ptr<ConstraintProgram> program);
  const ConstraintPosition& position(int32_t node);
  // Stores a new analysis in the program under `key` (the node, or a string room) in dense
  // form when large, and in the local cache under `node`.
  const ConstraintPosition& keep(int32_t node, int32_t key, std::unique_ptr<ConstraintPosition> p);
  void compute_mask(GrammarEngine::StateId s, std::vector<uint64_t>* bits);
  void walk_context_tokens(GrammarEngine::StateId s, std::span<const int32_t> nodes,
                           std::vector<uint64_t>* bits);
  void walk_all(GrammarEngine::StateId s, std::vector<uint64_t>* bits);

  std::shared_ptr<ConstraintProgram> program_;
  const ConstraintVocab& vocab_;
  GrammarEngine engine_;
  GrammarEngine::StateId state_;
  bool finished_ = false;  // an end-of-generation token was accepted
  bool cache_masks_ = true;
  std::unordered_map<int32_t, const ConstraintPosition*> positions_;  // owned by program_
  std::unordered_map<GrammarEngine::StateId, std::vector<uint64_t>> masks_;
  std::vector<uint64_t> eog_mask_;
  std::vector<GrammarEngine::StateId> walk_states_;  // (max token bytes + 2)
  std::vector<int32_t> merged_;
  Stats stats_;
};

// Factories. The Tokenizer overloads build a ConstraintVocab each time (tens of
// milliseconds for Qwen's vocabulary); servers should build one per model and pass it.
Result<std::unique_ptr<LogitsConstraint>> make_grammar_constraint(
    std::shared_ptr<const ConstraintVocab> vocab, const Grammar& grammar);
Result<std::unique_ptr<LogitsConstraint>> make_json_schema_constraint(
    std::shared_ptr<const ConstraintVocab> vocab, std::string_view schema_json,
    const JsonGrammarOptions& options = {});
Result<std::unique_ptr<LogitsConstraint>> make_json_schema_constraint(const Tokenizer& tokenizer,
                                                                      std::string_view schema_json);
Result<std::unique_ptr<LogitsConstraint>> make_json_object_constraint(
    std::shared_ptr<const ConstraintVocab> vocab, const JsonGrammarOptions& options = {});
Result<std::unique_ptr<LogitsConstraint>> make_json_object_constraint(const Tokenizer& tokenizer);
Result<std::unique_ptr<LogitsConstraint>> make_tool_call_constraint(
    std::shared_ptr<const ConstraintVocab> vocab, std::string_view tools_json,
    std::optional<std::string> only_name, bool parallel, const JsonGrammarOptions& options = {});
Result<std::unique_ptr<LogitsConstraint>> make_tool_call_constraint(
    const Tokenizer& tokenizer, std::string_view tools_json, std::optional<std::string> only_name,
    bool parallel);

// Qwen3 thinking: until the model emits "</think>", every token but end of generation is
// allowed; after `thinking_budget` tokens inside the block (>= 0; -1 for no budget) only
// "</think>" is. After "</think>", tokens made only of '\n' are allowed for up to two newlines
// (the "\n\n" Qwen3 writes there), then `inner` constrains the rest. With `opened` false the
// prompt has not opened the block: the first token is either "<think>" (the model chooses to
// think, and the above follows) or the first token `inner` allows (no thinking at all).
// NotFound when the vocabulary has no "</think>" token (or, with `opened` false, no "<think>").
Result<std::unique_ptr<LogitsConstraint>> make_thinking_constraint(
    std::shared_ptr<const ConstraintVocab> vocab, std::unique_ptr<LogitsConstraint> inner,
    int thinking_budget, bool opened = true);

}  // namespace qwl
