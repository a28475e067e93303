// TokenConstraint: grammar states to token masks through per-node analyses of the vocabulary
// trie; the thinking wrapper; the factories.
#include "runtime/token_constraint.h"

#include <algorithm>
#include <bit>
#include <limits>

#include "base/check.h"

namespace qwl {

namespace {

constexpr size_t kMaxCachedMasks = 256;  // ~19 KiB each for Qwen's vocabulary

bool test_bit(const std::vector<uint64_t>& bits, int32_t id) {
  return (bits[static_cast<size_t>(id) >> 6] >> (id & 63)) & 1;
}

void set_bit(std::vector<uint64_t>* bits, int32_t id) {
  (*bits)[static_cast<size_t>(id) >> 6] |= uint64_t{1} << (id & 63);
}

size_t n_words(const ConstraintVocab& v) {
  return (static_cast<size_t>(v.n_vocab()) + 63) / 64;
}

// Program keys of string-room analyses: kStringRoomKey - room (node ids are >= 0).
constexpr int32_t kStringRoomKey = -1;

}  // namespace

// What one node on top of a stack decides by itself: the tokens its own rule accepts whatever
// lies below, and the trie nodes of the tokens that run past the rule's end (to be walked
// from the full state). Tokens in neither list are rejected.
struct ConstraintPosition {
  std::vector<uint64_t> accepted_bits;  // dense form, when many tokens are accepted
  std::vector<int32_t> accepted;        // sparse form otherwise
  std::vector<int32_t> context_nodes;   // in trie (preorder) order
};

// ---------------------------------------------------------------------------------------------
// ConstraintProgram

Result<std::shared_ptr<ConstraintProgram>> ConstraintProgram::compile(
    std::shared_ptr<const ConstraintVocab> vocab, const Grammar& grammar) {
  const ConstraintVocab* v = vocab.get();
  QWL_ASSIGN_OR_RETURN(std::shared_ptr<const CompiledGrammar> compiled,
                       CompiledGrammar::compile(
                           grammar, [v](std::string_view text) { return v->special_token(text); }));
  return std::shared_ptr<ConstraintProgram>(
      new ConstraintProgram(std::move(vocab), std::move(compiled)));
}

ConstraintProgram::ConstraintProgram(std::shared_ptr<const ConstraintVocab> vocab,
                                     std::shared_ptr<const CompiledGrammar> grammar)
    : vocab_(std::move(vocab)), grammar_(std::move(grammar)) {}

ConstraintProgram::~ConstraintProgram() = default;

size_t ConstraintProgram::n_positions() const {
  std::lock_guard<std::mutex> lock(mu_);
  return positions_.size();
}

const ConstraintPosition* ConstraintProgram::find(int32_t key) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = positions_.find(key);
  return it == positions_.end() ? nullptr : it->second.get();
}

const ConstraintPosition* ConstraintProgram::insert(int32_t key,
                                                    std::unique_ptr<ConstraintPosition> p) {
  std::lock_guard<std::mutex> lock(mu_);
  auto [it, inserted] = positions_.emplace(key, std::move(p));
  return it->second.get();
}

// ---------------------------------------------------------------------------------------------
// TokenConstraint

TokenConstraint::TokenConstraint(std::shared_ptr<ConstraintProgram> program)
    : program_(std::move(program)), vocab_(*program_->vocab()), engine_(program_->grammar()) {
  state_ = engine_.initial();
  eog_mask_.assign(n_words(vocab_), 0);
  for (int32_t id : vocab_.eog_tokens()) set_bit(&eog_mask_, id);
  walk_states_.assign(vocab_.max_token_bytes() + 2, GrammarEngine::kDead);
}

TokenConstraint::~TokenConstraint() = default;

std::unique_ptr<TokenConstraint> TokenConstraint::create(
    std::shared_ptr<ConstraintProgram> program) {
  return std::unique_ptr<TokenConstraint>(new TokenConstraint(std::move(program)));
}

Result<std::unique_ptr<TokenConstraint>> TokenConstraint::create(
    std::shared_ptr<const ConstraintVocab> vocab, const Grammar& grammar) {
  QWL_ASSIGN_OR_RETURN(std::shared_ptr<ConstraintProgram> program,
                       ConstraintProgram::compile(std::move(vocab), grammar));
  return create(std::move(program));
}

const ConstraintPosition& TokenConstraint::position(int32_t node) {
  auto local = positions_.find(node);
  if (local != positions_.end()) return *local->second;
  const ConstraintVocab& v = vocab_;
  // Positions between two characters of a JSON string are analysed per remaining room, not
  // per node: every bounded string with that much room left shares one analysis, and rooms
  // beyond the longest token are all the same as no bound.
  int32_t key = node;
  int32_t room = engine_.grammar().node(node).string_room;
  if (room != CompiledGrammar::Node::kNotString) {
    if (room == kUnbounded || room > v.max_string_chars()) room = v.max_string_chars();
    key = kStringRoomKey - room;
  }
  if (const ConstraintPosition* shared = program_->find(key)) {
    positions_.emplace(node, shared);
    return *shared;
  }
  ++stats_.positions;
  auto p = std::make_unique<ConstraintPosition>();
  if (key != node) {
    // Content tokens that fit the room stay inside the string whatever follows; tokens with a
    // quote may close it (decided from the full state).
    for (int32_t id = 0; id < v.n_vocab(); ++id) {
      const int32_t chars = v.string_chars(id);
      if (chars >= 1 && chars <= room) p->accepted.push_back(id);
    }
    p->context_nodes.assign(v.quote_nodes().begin(), v.quote_nodes().end());
    return keep(node, key, std::move(p));
  }
  const uint8_t* byte = v.bytes_data();
  const uint16_t* depth = v.depth_data();
  const int32_t* end = v.end_data();
  const int32_t* token = v.token_data();
  const int32_t n = v.n_nodes();
  GrammarEngine::StateId* st = walk_states_.data();
  st[0] = engine_.position(node);
  // Preorder walk: a node's state is its parent's (at depth - 1) advanced by its byte; a dead
  // state skips the whole subtree.
  for (int32_t i = 0; i < n;) {
    const int d = depth[i];
    const GrammarEngine::StateId s = engine_.next(st[d - 1], byte[i]);
    if (s == GrammarEngine::kDead) {
      i = end[i];
      continue;
    }
    st[d] = s;
    const uint8_t flags = engine_.flags(s);
    if (flags == GrammarEngine::kReachedContext) {
      // Only the context can decide anything below: all of the subtree depends on it.
      for (int32_t j = i; j < end[i]; ++j) {
        if (token[j] >= 0) p->context_nodes.push_back(j);
      }
      i = end[i];
      continue;
    }
    if (token[i] >= 0) {
      if (flags & GrammarEngine::kHasFrames) {
        p->accepted.push_back(token[i]);
      } else {
        p->context_nodes.push_back(i);
      }
    }
    ++i;
  }
  return keep(node, key, std::move(p));
}

const ConstraintPosition& TokenConstraint::keep(int32_t node, int32_t key,
                                                std::unique_ptr<ConstraintPosition> p) {
  if (p->accepted.size() > static_cast<size_t>(vocab_.n_vocab() / 64)) {
    p->accepted_bits.assign(n_words(vocab_), 0);
    for (int32_t id : p->accepted) set_bit(&p->accepted_bits, id);
    p->accepted.clear();
    p->accepted.shrink_to_fit();
  }
  const ConstraintPosition* kept = program_->insert(key, std::move(p));
  positions_.emplace(node, kept);
  return *kept;
}

void TokenConstraint::walk_context_tokens(GrammarEngine::StateId s0, std::span<const int32_t> nodes,
                                          std::vector<uint64_t>* bits) {
  const ConstraintVocab& v = vocab_;
  GrammarEngine::StateId* st = walk_states_.data();
  st[0] = s0;
  std::string_view prev;
  size_t valid = 0;  // st[0..valid] hold the states along prev's bytes
  for (size_t k = 0; k < nodes.size(); ++k) {
    const int32_t node = nodes[k];
    const int32_t id = v.token(node);
    const std::string_view bytes = v.text_bytes(id);
    size_t d = 0;
    const size_t limit = std::min({prev.size(), bytes.size(), valid});
    while (d < limit && prev[d] == bytes[d]) ++d;
    ++stats_.context_tokens;
    GrammarEngine::StateId s = st[d];
    size_t dead_at = bytes.size();
    for (size_t i = d; i < bytes.size(); ++i) {
      s = engine_.next(s, static_cast<uint8_t>(bytes[i]));
      if (s == GrammarEngine::kDead) {
        dead_at = i;
        break;
      }
      st[i + 1] = s;
    }
    prev = bytes;
    if (dead_at == bytes.size()) {
      valid = bytes.size();
      if (engine_.flags(s) & (GrammarEngine::kHasFrames | GrammarEngine::kAccepting))
        set_bit(bits, id);
      continue;
    }
    valid = dead_at;
    // Every listed token below the trie node of bytes[0..dead_at] dies the same way.
    int32_t anc = node;
    for (size_t depth = bytes.size(); depth > dead_at + 1; --depth) anc = v.parent(anc);
    const int32_t skip_to = v.end(anc);
    const auto it =
        std::lower_bound(nodes.begin() + static_cast<long>(k) + 1, nodes.end(), skip_to);
    k = static_cast<size_t>(it - nodes.begin()) - 1;
  }
}

void TokenConstraint::walk_all(GrammarEngine::StateId s0, std::vector<uint64_t>* bits) {
  const ConstraintVocab& v = vocab_;
  const uint8_t* byte = v.bytes_data();
  const uint16_t* depth = v.depth_data();
  const int32_t* end = v.end_data();
  const int32_t* token = v.token_data();
  GrammarEngine::StateId* st = walk_states_.data();
  st[0] = s0;
  for (int32_t i = 0, n = v.n_nodes(); i < n;) {
    const int d = depth[i];
    const GrammarEngine::StateId s = engine_.next(st[d - 1], byte[i]);
    if (s == GrammarEngine::kDead) {
      i = end[i];
      continue;
    }
    st[d] = s;
    if (token[i] >= 0 &&
        (engine_.flags(s) & (GrammarEngine::kHasFrames | GrammarEngine::kAccepting))) {
      set_bit(bits, token[i]);
    }
    ++i;
  }
}

void TokenConstraint::compute_mask(GrammarEngine::StateId s, std::vector<uint64_t>* bits) {
  ++stats_.masks;
  bits->assign(n_words(vocab_), 0);
  const uint8_t flags = engine_.flags(s);
  const CompiledGrammar& g = engine_.grammar();
  // Copy the frame list: position() may create engine states and move the frame pool.
  const std::vector<int32_t> frames(engine_.frames(s).begin(), engine_.frames(s).end());
  bool deep = false;
  for (int32_t f : frames) {
    deep = deep ||
           engine_.frame_depth(f) > GrammarEngine::kMaxStackDepth - GrammarEngine::kPositionDepth;
  }
  if (deep) {
    // Position analyses assume room for kPositionDepth more frames: walk everything instead.
    walk_all(s, bits);
  } else {
    merged_.clear();
    size_t lists = 0;
    for (int32_t f : frames) {
      const ConstraintPosition& p = position(engine_.frame_node(f));
      if (!p.accepted_bits.empty()) {
        for (size_t w = 0; w < bits->size(); ++w) (*bits)[w] |= p.accepted_bits[w];
      }
      for (int32_t id : p.accepted) set_bit(bits, id);
      if (!p.context_nodes.empty()) {
        merged_.insert(merged_.end(), p.context_nodes.begin(), p.context_nodes.end());
        ++lists;
      }
    }
    if (lists > 1) {
      std::sort(merged_.begin(), merged_.end());
      merged_.erase(std::unique(merged_.begin(), merged_.end()), merged_.end());
    }
    walk_context_tokens(s, merged_, bits);
  }
  for (int32_t f : frames) {
    for (const CompiledGrammar::TokenEdge& e : g.node(engine_.frame_node(f)).tokens) {
      if (e.token >= 0 && e.token < vocab_.n_vocab()) set_bit(bits, e.token);
    }
  }
  if (flags & GrammarEngine::kAccepting) {
    for (int32_t id : vocab_.eog_tokens()) set_bit(bits, id);
  }
  for (auto [id, dup] : vocab_.duplicates()) {
    if (test_bit(*bits, id)) set_bit(bits, dup);
  }
  bool any = false;
  for (uint64_t w : *bits) any = any || w != 0;
  if (!any) *bits = eog_mask_;  // a dead end: let the generation stop
}

const std::vector<uint64_t>& TokenConstraint::allowed() {
  if (finished_) return eog_mask_;
  auto it = masks_.find(state_);
  if (it != masks_.end()) {
    ++stats_.mask_cache_hits;
    return it->second;
  }
  if (masks_.size() >= kMaxCachedMasks || !cache_masks_) masks_.clear();
  std::vector<uint64_t>& bits = masks_[state_];
  compute_mask(state_, &bits);
  return bits;
}

std::vector<uint64_t> TokenConstraint::allowed_by_full_walk() {
  if (finished_) return eog_mask_;
  std::vector<uint64_t> bits((static_cast<size_t>(vocab_.n_vocab()) + 63) / 64, 0);
  walk_all(state_, &bits);
  for (int32_t id = 0; id < vocab_.n_vocab(); ++id) {
    if (vocab_.is_text(id)) continue;
    if (vocab_.is_eog(id)) {
      if (engine_.flags(state_) & GrammarEngine::kAccepting) set_bit(&bits, id);
      continue;
    }
    if (engine_.next_token(state_, id) != GrammarEngine::kDead) set_bit(&bits, id);
  }
  for (auto [id, dup] : vocab_.duplicates()) {
    if (test_bit(bits, id)) set_bit(&bits, dup);
  }
  bool any = false;
  for (uint64_t w : bits) any = any || w != 0;
  if (!any) bits = eog_mask_;
  return bits;
}

void TokenConstraint::apply(std::span<float> logits) {
  const std::vector<uint64_t>& bits = allowed();
  constexpr float kNegInf = -std::numeric_limits<float>::infinity();
  const size_t n = logits.size();
  const size_t covered = std::min(n, static_cast<size_t>(vocab_.n_vocab()));
  for (size_t w = 0; w * 64 < covered; ++w) {
    const uint64_t word = bits[w];
    const size_t base = w * 64;
    const size_t stop = std::min(base + 64, covered);
    if (word == ~uint64_t{0} && stop == base + 64) continue;
    if (word == 0) {
      std::fill(logits.begin() + static_cast<long>(base), logits.begin() + static_cast<long>(stop),
                kNegInf);
      continue;
    }
    // Visit only the disallowed tokens of the word (few of them inside a string).
    uint64_t banned = ~word;
    if (stop < base + 64) banned &= (uint64_t{1} << (stop - base)) - 1;
    while (banned != 0) {
      logits[base + static_cast<size_t>(std::countr_zero(banned))] = kNegInf;
      banned &= banned - 1;
    }
  }
  for (size_t i = covered; i < n; ++i) logits[i] = kNegInf;  // ids the tokenizer lacks
}

Status TokenConstraint::accept(int32_t token) {
  if (token < 0 || token >= vocab_.n_vocab()) {
    return InvalidArgumentError("constraint: token {} is outside the vocabulary", token);
  }
  if (vocab_.is_eog(token)) {
    // Also at a dead end, where the mask offers end of generation as the only way out.
    if (finished_ || (engine_.flags(state_) & GrammarEngine::kAccepting) ||
        test_bit(allowed(), token)) {
      finished_ = true;
      return Status::Ok();
    }
    return InvalidArgumentError(
        "constraint: end-of-generation token {} before the text is complete", token);
  }
  if (finished_) {
    return InvalidArgumentError("constraint: token {} after the end of generation", token);
  }
  GrammarEngine::StateId s = GrammarEngine::kDead;
  if (vocab_.is_text(token)) {
    s = engine_.next(state_, vocab_.text_bytes(token));
    if (s != GrammarEngine::kDead &&
        !(engine_.flags(s) & (GrammarEngine::kHasFrames | GrammarEngine::kAccepting))) {
      s = GrammarEngine::kDead;
    }
  } else {
    s = engine_.next_token(state_, token);
  }
  if (s == GrammarEngine::kDead) {
    return InvalidArgumentError("constraint: token {} is not allowed here", token);
  }
  state_ = s;
  return Status::Ok();
}

bool TokenConstraint::complete() const {
  return finished_ || engine_.flags(state_) == GrammarEngine::kAccepting;
}

// ---------------------------------------------------------------------------------------------
// Thinking wrapper

namespace {

class ThinkingConstraint final : public LogitsConstraint {
 public:
  ThinkingConstraint(std::shared_ptr<const ConstraintVocab> vocab,
                     std::unique_ptr<LogitsConstraint> inner, int32_t think_open, int32_t think_end,
                     int budget)
      : vocab_(std::move(vocab)),
        inner_(std::move(inner)),
        think_open_(think_open),
        think_end_(think_end),
        budget_(budget),
        phase_(think_open >= 0 ? Phase::kMaybeThinking : Phase::kThinking) {
    for (int32_t id = 0; id < vocab_->n_vocab(); ++id) {
      const std::string_view b = vocab_->text_bytes(id);
      if (!b.empty() && b.size() <= kMaxNewlines &&
          b.find_first_not_of('\n') == std::string_view::npos) {
        newline_tokens_.push_back(id);
      }
    }
  }

  void apply(std::span<float> logits) override {
    constexpr float kNegInf = -std::numeric_limits<float>::infinity();
    if (phase_ == Phase::kMaybeThinking) {
      // "<think>", or a first token of the constrained answer.
      const bool in_range = static_cast<size_t>(think_open_) < logits.size();
      const float keep = in_range ? logits[think_open_] : 0.0f;
      inner_->apply(logits);
      if (in_range) logits[think_open_] = keep;
      return;
    }
    if (phase_ == Phase::kThinking) {
      if (budget_ >= 0 && thinking_tokens_ >= budget_) {
        const float keep =
            static_cast<size_t>(think_end_) < logits.size() ? logits[think_end_] : 0.0f;
        std::fill(logits.begin(), logits.end(), kNegInf);
        if (static_cast<size_t>(think_end_) < logits.size()) logits[think_end_] = keep;
        return;
      }
      for (int32_t id : vocab_->eog_tokens()) {
        if (static_cast<size_t>(id) < logits.size()) logits[id] = kNegInf;
      }
      return;
    }
    if (phase_ == Phase::kNewlines) {
      // The inner mask, plus the newline tokens that still fit.
      saved_.clear();
      for (int32_t id : newline_tokens_) {
        const size_t n = vocab_->text_bytes(id).size();
        if (n <= newlines_left_ && static_cast<size_t>(id) < logits.size())
          saved_.push_back({id, logits[id]});
      }
      inner_->apply(logits);
      for (auto [id, value] : saved_) logits[id] = value;
      return;
    }
    inner_->apply(logits);
  }

  Status accept(int32_t token) override {
    if (phase_ == Phase::kMaybeThinking) {
      if (token == think_open_) {
        phase_ = Phase::kThinking;
        return Status::Ok();
      }
      QWL_RETURN_IF_ERROR(inner_->accept(token));
      phase_ = Phase::kInner;
      return Status::Ok();
    }
    if (phase_ == Phase::kThinking) {
      if (token == think_end_) {
        phase_ = Phase::kNewlines;
        return Status::Ok();
      }
      if (budget_ >= 0 && thinking_tokens_ >= budget_) {
        return InvalidArgumentError(
            "constraint: the thinking budget of {} tokens is spent; only "
            "</think> is allowed",
            budget_);
      }
      if (vocab_->is_eog(token)) {
        return InvalidArgumentError("constraint: end of generation inside the <think> block");
      }
      ++thinking_tokens_;
      return Status::Ok();
    }
    if (phase_ == Phase::kNewlines) {
      const std::string_view b = vocab_->text_bytes(token);
      const bool newline_token =
          std::find(newline_tokens_.begin(), newline_tokens_.end(), token) != newline_tokens_.end();
      if (newline_token && b.size() <= newlines_left_) {
        newlines_left_ -= b.size();
        return Status::Ok();
      }
      QWL_RETURN_IF_ERROR(inner_->accept(token));
      phase_ = Phase::kInner;
      return Status::Ok();
    }
    return inner_->accept(token);
  }

  bool complete() const override {
    return phase_ != Phase::kThinking && phase_ != Phase::kMaybeThinking && inner_->complete();
  }

 private:
  static constexpr size_t kMaxNewlines = 2;
  enum class Phase { kMaybeThinking, kThinking, kNewlines, kInner };
  std::shared_ptr<const ConstraintVocab> vocab_;
  std::unique_ptr<LogitsConstraint> inner_;
  int32_t think_open_;  // -1 when the prompt opened the block
  int32_t think_end_;
  int budget_;
  int thinking_tokens_ = 0;
  Phase phase_;
  size_t newlines_left_ = kMaxNewlines;
  std::vector<int32_t> newline_tokens_;
  std::vector<std::pair<int32_t, float>> saved_;
};

}  // namespace

// ---------------------------------------------------------------------------------------------
// Factories

Result<std::unique_ptr<LogitsConstraint>> make_grammar_constraint(
    std::shared_ptr<const ConstraintVocab> vocab, const Grammar& grammar) {
  QWL_ASSIGN_OR_RETURN(std::unique_ptr<TokenConstraint> c,
                       TokenConstraint::create(std::move(vocab), grammar));
  return std::unique_ptr<LogitsConstraint>(std::move(c));
}

Result<std::unique_ptr<LogitsConstraint>> make_json_schema_constraint(
    std::shared_ptr<const ConstraintVocab> vocab, std::string_view schema_json,
    const JsonGrammarOptions& options) {
  QWL_ASSIGN_OR_RETURN(Grammar g, json_schema_grammar(schema_json, options));
  return make_grammar_constraint(std::move(vocab), g);
}

Result<std::unique_ptr<LogitsConstraint>> make_json_schema_constraint(
    const Tokenizer& tokenizer, std::string_view schema_json) {
  return make_json_schema_constraint(ConstraintVocab::build(tokenizer), schema_json);
}

Result<std::unique_ptr<LogitsConstraint>> make_json_object_constraint(
    std::shared_ptr<const ConstraintVocab> vocab, const JsonGrammarOptions& options) {
  return make_grammar_constraint(std::move(vocab), json_object_grammar(options));
}

Result<std::unique_ptr<LogitsConstraint>> make_json_object_constraint(const Tokenizer& tokenizer) {
  return make_json_object_constraint(ConstraintVocab::build(tokenizer));
}

Result<std::unique_ptr<LogitsConstraint>> make_tool_call_constraint(
    std::shared_ptr<const ConstraintVocab> vocab, std::string_view tools_json,
    std::optional<std::string> only_name, bool parallel, const JsonGrammarOptions& options) {
  QWL_ASSIGN_OR_RETURN(Grammar g, tool_call_grammar(tools_json, only_name, parallel, options));
  return make_grammar_constraint(std::move(vocab), g);
}

Result<std::unique_ptr<LogitsConstraint>> make_tool_call_constraint(
    const Tokenizer& tokenizer, std::string_view tools_json, std::optional<std::string> only_name,
    bool parallel) {
  return make_tool_call_constraint(ConstraintVocab::build(tokenizer), tools_json,
                                   std::move(only_name), parallel);
}

Result<std::unique_ptr<LogitsConstraint>> make_thinking_constraint(
    std::shared_ptr<const ConstraintVocab> vocab, std::unique_ptr<LogitsConstraint> inner,
    int thinking_budget, bool opened) {
  const std::optional<int32_t> think_end = vocab->special_token("</think>");
  if (!think_end.has_value()) {
    return NotFoundError("constraint: the vocabulary has no </think> token");
  }
  int32_t think_open = -1;
  if (!opened) {
    const std::optional<int32_t> open = vocab->special_token("<think>");
    if (!open.has_value()) return NotFoundError("constraint: the vocabulary has no <think> token");
    think_open = *open;
  }
  if (thinking_budget < -1) {
    return InvalidArgumentError("constraint: thinking budget {} (use -1 for none)",
                                thinking_budget);
  }
  return std::unique_ptr<LogitsConstraint>(new ThinkingConstraint(
      std::move(vocab), std::move(inner), think_open, *think_end, thinking_budget));
}

}  // namespace qwl
