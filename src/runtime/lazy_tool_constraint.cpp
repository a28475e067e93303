// LazyToolCallProgram (the call grammar and the tag scanner's tables) and the constraint that
// is free outside calls and hands each call to a fresh TokenConstraint.
#include "runtime/lazy_tool_constraint.h"

#include <algorithm>
#include <bit>
#include <limits>
#include <optional>
#include <string>

#include "base/check.h"

namespace qwl {

namespace {

constexpr std::string_view kThinkOpen = "<think>";
constexpr std::string_view kThinkClose = "</think>";
constexpr std::string_view kCallOpen = "<tool_call>";
constexpr std::string_view kCallClose = "</tool_call>";
// The special tokens whose text the scanner follows, in tag_tokens_ order.
constexpr std::array<std::string_view, 4> kTags = {kThinkOpen, kThinkClose, kCallOpen, kCallClose};

static_assert(LazyToolCallProgram::kThink - LazyToolCallProgram::kStart == kThinkOpen.size());
static_assert(LazyToolCallProgram::kFree - LazyToolCallProgram::kThink == kThinkClose.size());
static_assert(LazyToolCallProgram::kCall - LazyToolCallProgram::kFree == kCallOpen.size());
static_assert(LazyToolCallProgram::kStates - LazyToolCallProgram::kCall == kCallClose.size());

// The parser's whitespace (chat/tool_call_parser.cpp): what may come before "<think>".
bool is_ws(uint8_t c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

// Matching a tag in a text, Knuth-Morris-Pratt style: with `matched` bytes of `tag` seen, the
// number matched after `c` (the longest prefix of the tag that ends the text); tag.size() on a
// complete match. Tags are short, so the table is built by brute force.
size_t advance(std::string_view tag, size_t matched, uint8_t c) {
  std::string seen(tag.substr(0, matched));
  seen.push_back(static_cast<char>(c));
  for (size_t n = std::min(seen.size(), tag.size()); n > 0; --n) {
    if (std::string_view(seen).substr(seen.size() - n) == tag.substr(0, n)) return n;
  }
  return 0;
}

int advance_text(const LazyToolCallProgram& p, int state, std::string_view bytes) {
  for (char c : bytes) {
    state = p.next(state, static_cast<uint8_t>(c));
    if (state == LazyToolCallProgram::kRefused) return state;
  }
  return state;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// LazyToolCallProgram

Result<std::shared_ptr<const LazyToolCallProgram>> LazyToolCallProgram::compile(
    std::shared_ptr<const ConstraintVocab> vocab, std::string_view tools_json,
    const JsonGrammarOptions& options) {
  const std::optional<int32_t> open = vocab->special_token(kCallOpen);
  if (!open.has_value()) {
    return NotFoundError("constraint: the vocabulary has no <tool_call> token");
  }
  const std::optional<int32_t> close = vocab->special_token(kCallClose);
  if (!close.has_value()) {
    return NotFoundError("constraint: the vocabulary has no </tool_call> token");
  }
  QWL_ASSIGN_OR_RETURN(Grammar g,
                       tool_call_grammar(tools_json, std::nullopt, /*parallel=*/false, options));
  QWL_ASSIGN_OR_RETURN(std::shared_ptr<ConstraintProgram> call,
                       ConstraintProgram::compile(vocab, g));
  std::shared_ptr<LazyToolCallProgram> p(new LazyToolCallProgram());
  p->vocab_ = std::move(vocab);
  p->call_program_ = std::move(call);
  p->call_open_ = *open;
  p->call_close_ = *close;
  for (size_t i = 0; i < kTags.size(); ++i) {
    p->tag_tokens_[i] = p->vocab_->special_token(kTags[i]).value_or(-1);
  }
  p->build_tables();
  return std::shared_ptr<const LazyToolCallProgram>(std::move(p));
}

void LazyToolCallProgram::build_tables() {
  for (int c = 0; c < 256; ++c) {
    const auto b = static_cast<uint8_t>(c);
    // Before anything but whitespace: "<think>" opens reasoning; anything else makes the rest
    // free text, in which the bytes matched so far may already begin "<tool_call>" ("<t").
    for (size_t j = 0; j < kThinkOpen.size(); ++j) {
      int to;
      if (j == 0 && is_ws(b)) {
        to = kStart;
      } else if (b == static_cast<uint8_t>(kThinkOpen[j])) {
        to = j + 1 == kThinkOpen.size() ? kThink : kStart + static_cast<int>(j) + 1;
      } else {
        size_t m = 0;
        for (char x : kThinkOpen.substr(0, j)) m = advance(kCallOpen, m, static_cast<uint8_t>(x));
        m = advance(kCallOpen, m, b);
        // Fewer than 8 bytes cannot hold the 11 of "<tool_call>".
        QWL_CHECK(m < kCallOpen.size(), "scanner: a complete <tool_call> in {} bytes", j + 1);
        to = kFree + static_cast<int>(m);
      }
      next_[kStart + j][c] = static_cast<int8_t>(to);
    }
    // Reasoning ends at the first "</think>"; what follows is free text.
    for (size_t k = 0; k < kThinkClose.size(); ++k) {
      const size_t m = advance(kThinkClose, k, b);
      next_[kThink + k][c] =
          static_cast<int8_t>(m == kThinkClose.size() ? kFree : kThink + static_cast<int>(m));
    }
    // Free text may not spell "<tool_call>"; a call's JSON may not spell "</tool_call>".
    for (size_t k = 0; k < kCallOpen.size(); ++k) {
      const size_t m = advance(kCallOpen, k, b);
      next_[kFree + k][c] =
          static_cast<int8_t>(m == kCallOpen.size() ? kRefused : kFree + static_cast<int>(m));
    }
    for (size_t k = 0; k < kCallClose.size(); ++k) {
      const size_t m = advance(kCallClose, k, b);
      next_[kCall + k][c] =
          static_cast<int8_t>(m == kCallClose.size() ? kRefused : kCall + static_cast<int>(m));
    }
  }
  // A refusal completes a tag, and every tag ends in '>': only tokens holding a '>' can be
  // refused from any state (a few thousand of Qwen's 151k).
  const ConstraintVocab& v = *vocab_;
  for (int32_t id = 0; id < v.n_vocab(); ++id) {
    const std::string_view bytes = v.text_bytes(id);
    if (bytes.find('>') == std::string_view::npos) continue;
    for (int s = 0; s < kStates; ++s) {
      if (next(s, bytes) == kRefused) refused_[s].push_back(id);
    }
  }
}

int LazyToolCallProgram::next(int state, std::string_view bytes) const {
  return advance_text(*this, state, bytes);
}

std::string_view LazyToolCallProgram::tag_text(int32_t token) const {
  for (size_t i = 0; i < kTags.size(); ++i) {
    if (token >= 0 && tag_tokens_[i] == token) return kTags[i];
  }
  return {};
}

// ---------------------------------------------------------------------------------------------
// The constraint

namespace {

constexpr float kNegInf = -std::numeric_limits<float>::infinity();

class LazyToolCallConstraint final : public LogitsConstraint {
 public:
  LazyToolCallConstraint(std::shared_ptr<const LazyToolCallProgram> program,
                         const LazyToolCallOptions& options)
      : program_(std::move(program)),
        vocab_(*program_->vocab()),
        parallel_(options.parallel),
        state_(options.thinking_open ? LazyToolCallProgram::kThink : LazyToolCallProgram::kStart) {}

  void apply(std::span<float> logits) override {
    const size_t covered = std::min(logits.size(), static_cast<size_t>(vocab_.n_vocab()));
    for (size_t i = covered; i < logits.size(); ++i) logits[i] = kNegInf;  // padding rows
    if (finished_ || (call_ != nullptr && call_dead_end())) {
      only_end_of_generation(logits);
      return;
    }
    if (call_ != nullptr) call_->apply(logits);
    for (int32_t id : program_->refused(state_)) {
      if (static_cast<size_t>(id) < covered) logits[id] = kNegInf;
    }
    const int32_t open = program_->call_open();
    if (call_ == nullptr && !in_reasoning() && !may_open() && static_cast<size_t>(open) < covered) {
      logits[open] = kNegInf;
    }
  }

  Status accept(int32_t token) override {
    if (token < 0 || token >= vocab_.n_vocab()) {
      return InvalidArgumentError("constraint: token {} is outside the vocabulary", token);
    }
    if (finished_) {
      if (vocab_.is_eog(token)) return Status::Ok();
      return InvalidArgumentError("constraint: token {} after the end of generation", token);
    }
    if (call_ != nullptr) return accept_in_call(token);
    if (vocab_.is_eog(token)) {
      finished_ = true;
      return Status::Ok();
    }
    if (vocab_.is_text(token)) {
      const int s = program_->next(state_, vocab_.text_bytes(token));
      if (s == LazyToolCallProgram::kRefused) {
        return InvalidArgumentError(
            "constraint: token {} would spell out <tool_call> as text (a call starts with the "
            "<tool_call> token)",
            token);
      }
      state_ = s;
      return Status::Ok();
    }
    if (token == program_->call_open() && !in_reasoning()) return open_call(token);
    const std::string_view tag = program_->tag_text(token);
    if (!tag.empty()) {
      const int s = program_->next(state_, tag);
      QWL_CHECK(s != LazyToolCallProgram::kRefused, "scanner: tag {} refused", tag);
      state_ = s;
      return Status::Ok();
    }
    // Another special token ("<|im_start|>", "<tool_response>"): its text ends whatever tag
    // was being matched, and is text, not whitespace, before a <think>.
    if (state_ < LazyToolCallProgram::kThink) {
      state_ = LazyToolCallProgram::kFree;
    } else if (state_ < LazyToolCallProgram::kFree) {
      state_ = LazyToolCallProgram::kThink;
    } else {
      state_ = LazyToolCallProgram::kFree;
    }
    return Status::Ok();
  }

  bool complete() const override { return finished_ || call_ == nullptr; }

 private:
  // Inside a <think> block, where "<tool_call>" is reasoning text.
  bool in_reasoning() const {
    return state_ >= LazyToolCallProgram::kThink && state_ < LazyToolCallProgram::kFree;
  }
  // Whether another call may start (outside reasoning).
  bool may_open() const { return parallel_ || calls_ == 0; }

  Status open_call(int32_t token) {
    if (!may_open()) {
      return InvalidArgumentError(
          "constraint: a second tool call (parallel tool calls are off), token {}", token);
    }
    std::unique_ptr<TokenConstraint> call = TokenConstraint::create(program_->call_program());
    const Status s = call->accept(token);
    QWL_CHECK(s.ok(), "the call grammar refused <tool_call>: {}", s.to_string());
    call_ = std::move(call);
    state_ = LazyToolCallProgram::kCall;
    return Status::Ok();
  }

  Status accept_in_call(int32_t token) {
    if (vocab_.is_eog(token)) {
      // Only at a dead end: the grammar's own, or one the refused tokens make.
      if (call_->accept(token).ok() || call_dead_end()) {
        finished_ = true;
        return Status::Ok();
      }
      return InvalidArgumentError("constraint: end-of-generation token {} inside a tool call",
                                  token);
    }
    if (vocab_.is_text(token) &&
        program_->next(state_, vocab_.text_bytes(token)) == LazyToolCallProgram::kRefused) {
      return InvalidArgumentError(
          "constraint: token {} would spell out </tool_call> inside the call's JSON", token);
    }
    QWL_RETURN_IF_ERROR(call_->accept(token));
    if (token == program_->call_close()) {
      // The call grammar ends with this token: the text is free again.
      call_.reset();
      ++calls_;
      state_ = LazyToolCallProgram::kFree;
    } else if (vocab_.is_text(token)) {
      state_ = program_->next(state_, vocab_.text_bytes(token));
    }
    return Status::Ok();
  }

  // Inside a call: every token the grammar allows is refused (a grammar whose only way on is
  // to spell "</tool_call>" in a string), so the text ends there, unfinished.
  bool call_dead_end() {
    const std::vector<int32_t>& refused = program_->refused(state_);
    if (refused.empty()) return false;
    const std::vector<uint64_t>& bits = call_->allowed();
    int64_t allowed = 0;
    for (uint64_t w : bits) allowed += std::popcount(w);
    int64_t refused_allowed = 0;
    for (int32_t id : refused)
      refused_allowed += (bits[static_cast<size_t>(id) >> 6] >> (id & 63)) & 1;
    return allowed == refused_allowed;
  }

  void only_end_of_generation(std::span<float> logits) const {
    std::vector<std::pair<int32_t, float>> keep;
    for (int32_t id : vocab_.eog_tokens()) {
      if (static_cast<size_t>(id) < logits.size()) keep.push_back({id, logits[id]});
    }
    std::fill(logits.begin(), logits.end(), kNegInf);
    for (auto [id, value] : keep) logits[id] = value;
  }

  std::shared_ptr<const LazyToolCallProgram> program_;
  const ConstraintVocab& vocab_;
  bool parallel_;
  int state_;                              // LazyToolCallProgram's scanner state
  std::unique_ptr<TokenConstraint> call_;  // the call being written, or null
  int calls_ = 0;                          // calls closed
  bool finished_ = false;                  // an end-of-generation token was accepted
};

}  // namespace

std::unique_ptr<LogitsConstraint> make_lazy_tool_call_constraint(
    std::shared_ptr<const LazyToolCallProgram> program, const LazyToolCallOptions& options) {
  QWL_CHECK(program != nullptr, "make_lazy_tool_call_constraint: no program");
  return std::make_unique<LazyToolCallConstraint>(std::move(program), options);
}

Result<std::unique_ptr<LogitsConstraint>> make_lazy_tool_call_constraint(
    std::shared_ptr<const ConstraintVocab> vocab, std::string_view tools_json,
    const JsonGrammarOptions& options) {
  QWL_ASSIGN_OR_RETURN(std::shared_ptr<const LazyToolCallProgram> program,
                       LazyToolCallProgram::compile(std::move(vocab), tools_json, options));
  return make_lazy_tool_call_constraint(std::move(program));
}

}  // namespace qwl
