// Grammars over bytes for constrained decoding: how they are written (Grammar), what they
// compile to (CompiledGrammar, a pushdown automaton), and how text is matched against them
// incrementally (GrammarEngine for the token masks, GrammarMatcher for plain use).
//
// A Grammar is a set of rules, each a regular expression over bytes whose symbols may also be
// calls of other rules (so the language is context-free) and special tokens (single vocabulary
// entries such as "<tool_call>", written as text when the vocabulary lacks them). Expressions
// are built bottom-up and referenced by index; an expression used in several places is
// expanded at each use, while a rule is compiled once and called. UTF-8 is not special to the
// grammar: codepoint_set() expands a set of code points into the byte sequences of their
// UTF-8 encodings, so a matcher fed bytes one at a time accepts exactly the valid encodings.
//
// Compilation turns every rule into an epsilon-free automaton: nodes with byte-range edges,
// call edges (rule, return node) and special-token edges, and a final flag. Matching keeps a
// set of stacks (a node plus the return nodes below it); stacks are interned frames shared
// between states, and each distinct set of stacks is interned as a state whose byte
// transitions are computed once and then looked up in a table (a deterministic automaton
// built lazily over the pushdown automaton's configurations). Stacks deeper than
// kMaxStackDepth frames are not followed (this bounds recursive and left-recursive rules).
//
// Errors: compile() returns OutOfRange when the automaton would exceed max_nodes, and
// InvalidArgument for a rule that is declared but never defined or a bad repetition.
// Thread-safety: Grammar and CompiledGrammar are plain values, immutable once built (a
// CompiledGrammar may be shared between threads). A GrammarEngine and a GrammarMatcher
// mutate their caches on every call: one thread at a time.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/status.h"

namespace qwl {

struct ByteRange {
  uint8_t lo;
  uint8_t hi;  // inclusive
  bool operator==(const ByteRange&) const = default;
};

struct CodepointRange {
  char32_t lo;
  char32_t hi;  // inclusive
  bool operator==(const CodepointRange&) const = default;
};

using GrammarExpr = int32_t;  // an expression's index in its Grammar
using GrammarRule = int32_t;  // a rule's index in its Grammar

inline constexpr int kUnbounded = -1;  // repeat()'s max for "no upper bound"

class Grammar {
 public:
  GrammarExpr empty();
  GrammarExpr literal(std::string_view bytes);
  // One byte in any of the ranges (an empty set matches nothing).
  GrammarExpr byte_set(std::vector<ByteRange> ranges);
  // One code point in any of the ranges, as its UTF-8 bytes. Surrogates (U+D800..U+DFFF) and
  // values above U+10FFFF are never matched, whatever the ranges say.
  GrammarExpr codepoint_set(std::vector<CodepointRange> ranges);
  GrammarExpr seq(std::vector<GrammarExpr> items);
  GrammarExpr alt(std::vector<GrammarExpr> items);  // an empty alternation matches nothing
  // `item` between min and max times (max = kUnbounded for no upper bound). Each bounded
  // repetition is expanded into max copies of the item's automaton: keep bounds modest or put
  // the item in a rule.
  GrammarExpr repeat(GrammarExpr item, int min, int max);
  GrammarExpr optional(GrammarExpr item) { return repeat(item, 0, 1); }
  GrammarExpr star(GrammarExpr item) { return repeat(item, 0, kUnbounded); }
  GrammarExpr plus(GrammarExpr item) { return repeat(item, 1, kUnbounded); }
  GrammarExpr call(GrammarRule rule);
  // One character of JSON string content: raw (any code point but controls, U+007F..U+009F,
  // '"' and '\'), a short escape, or \uXXXX (a surrogate only as a high-low pair).
  GrammarExpr json_char();
  // A whole JSON string: '"', between min and max json_char()s (max = kUnbounded for no
  // bound), '"'. Its character positions are marked in the compiled grammar (Node::string_room)
  // so token masks can use per-token character counts there instead of walking the vocabulary
  // at every position of a bounded string.
  GrammarExpr json_string(int min, int max);
  // A special token written as `text` (e.g. "<tool_call>"): compiled to that single token when
  // the resolver passed to compile() knows it, else to the literal bytes of `text`.
  GrammarExpr special_token(std::string text);

  // Rules may be declared first and defined later (for recursion).
  GrammarRule declare_rule(std::string name);
  void define_rule(GrammarRule rule, GrammarExpr body);
  GrammarRule add_rule(std::string name, GrammarExpr body);
  // The rule a text must match as a whole; the first rule added unless set.
  void set_root(GrammarRule rule) { root_ = rule; }
  GrammarRule root() const { return root_; }

  int n_rules() const { return static_cast<int>(rules_.size()); }
  int n_exprs() const { return static_cast<int>(exprs_.size()); }
  const std::string& rule_name(GrammarRule rule) const { return rules_[rule].name; }
  // A readable dump, one rule per line, in a GBNF-like notation (for debugging and tests).
  std::string to_string() const;

  enum class Kind : uint8_t {
    kEmpty,
    kLiteral,
    kByteSet,
    kSeq,
    kAlt,
    kRepeat,
    kCall,
    kSpecial,
    kJsonString
  };
  struct Expr {
    Kind kind = Kind::kEmpty;
    std::string text;                // kLiteral, kSpecial
    std::vector<ByteRange> ranges;   // kByteSet
    std::vector<GrammarExpr> items;  // kSeq, kAlt, kRepeat and kJsonString (one item)
    int min = 0, max = 0;            // kRepeat, kJsonString
    GrammarRule rule = -1;           // kCall
  };
  struct Rule {
    std::string name;
    GrammarExpr body = -1;  // -1 while only declared
  };
  const Expr& expr(GrammarExpr e) const { return exprs_[e]; }
  const Rule& rule(GrammarRule r) const { return rules_[r]; }

 private:
  GrammarExpr add(Expr e);
  std::string expr_to_string(GrammarExpr e) const;

  std::vector<Expr> exprs_;
  std::vector<Rule> rules_;
  GrammarRule root_ = 0;
  GrammarExpr json_char_ = -1;
};

// Maps a special token's text to its id; nullopt writes the text as plain bytes instead.
using SpecialTokenResolver = std::function<std::optional<int32_t>(std::string_view text)>;

class CompiledGrammar {
 public:
  struct ByteEdge {
    uint8_t lo, hi;  // inclusive
    int32_t target;
  };
  struct CallEdge {
    int32_t rule;
    int32_t ret;  // the node the caller continues at when the rule ends
  };
  struct TokenEdge {
    int32_t token;
    int32_t target;
  };
  struct Node {
    std::vector<ByteEdge> bytes;
    std::vector<CallEdge> calls;
    std::vector<TokenEdge> tokens;
    bool final = false;  // the rule may end here
    int32_t rule = -1;
    // Between two characters of a json_string(): how many more it may hold (kUnbounded for
    // any number); kNotString elsewhere. Such a node's only edges are the next character's
    // and, once the minimum is reached, the closing quote.
    int32_t string_room = kNotString;
    static constexpr int32_t kNotString = -2;
    // Consumes input itself (has byte or token edges): the only nodes that appear on top of a
    // matcher's stacks.
    bool consuming() const { return !bytes.empty() || !tokens.empty(); }
  };

  static constexpr size_t kDefaultMaxNodes = size_t{1} << 20;
  static Result<std::shared_ptr<const CompiledGrammar>> compile(
      const Grammar& grammar, const SpecialTokenResolver& resolver = {},
      size_t max_nodes = kDefaultMaxNodes);

  const std::vector<Node>& nodes() const { return nodes_; }
  const Node& node(int32_t id) const { return nodes_[id]; }
  int32_t rule_start(int32_t rule) const { return rule_start_[rule]; }
  int32_t root_rule() const { return root_; }
  const std::string& rule_name(int32_t rule) const { return rule_names_[rule]; }
  int n_rules() const { return static_cast<int>(rule_start_.size()); }

 private:
  std::vector<Node> nodes_;
  std::vector<int32_t> rule_start_;
  std::vector<std::string> rule_names_;
  int32_t root_ = 0;
};

// Runs a CompiledGrammar. States are small integers; transitions between them are cached, so
// next() on a state and byte seen before is one table lookup. States are never freed while
// the engine lives (a generation creates a number of them linear in its structure).
class GrammarEngine {
 public:
  using StateId = int32_t;
  static constexpr StateId kDead = 0;  // matches nothing more and is not accepting
  // Frames deeper than this are not pushed: nesting beyond it cannot be generated.
  static constexpr int kMaxStackDepth = 1024;
  // How much deeper than its own frame a context-independent analysis (position()) may push;
  // frames deeper than kMaxStackDepth - kPositionDepth need the full walk (TokenConstraint).
  static constexpr int kPositionDepth = 128;

  // State flags.
  static constexpr uint8_t kHasFrames = 1;  // some stack can consume more input
  static constexpr uint8_t kAccepting = 2;  // the input so far is a complete sentence
  // Some stack of a position() state returned below its first frame: what follows depends on
  // the frames that were under it. Sticky: kept by every later state of that walk.
  static constexpr uint8_t kReachedContext = 4;

  explicit GrammarEngine(std::shared_ptr<const CompiledGrammar> grammar);
  GrammarEngine(const GrammarEngine&) = delete;
  GrammarEngine& operator=(const GrammarEngine&) = delete;

  const CompiledGrammar& grammar() const { return *grammar_; }

  // The state before any input: the root rule's start.
  StateId initial();
  // The state of one stack made of `node` alone on top of an unknown context (node must be
  // consuming). Walking bytes from it tells which continuations are decided by the node's own
  // rule (kHasFrames) and which depend on the frames below (kReachedContext only).
  StateId position(int32_t node);

  StateId next(StateId s, uint8_t byte) {
    if (static_cast<size_t>(s) < n_tabled_) {
      const int32_t t = trans_[static_cast<size_t>(s) * 256 + byte];
      if (t >= 0) return t;
    }
    return next_slow(s, byte);
  }
  StateId next(StateId s, std::string_view bytes) {
    for (char c : bytes) {
      if (s == kDead) break;
      s = next(s, static_cast<uint8_t>(c));
    }
    return s;
  }
  // Follows a special-token edge; kDead when no stack's top allows `token`.
  StateId next_token(StateId s, int32_t token);

  uint8_t flags(StateId s) const { return states_[s].flags; }
  // The consuming frames of `s` (ids valid for frame_node / frame_depth).
  std::span<const int32_t> frames(StateId s) const {
    const State& st = states_[s];
    return {frame_pool_.data() + st.frames_begin, st.frames_size};
  }
  int32_t frame_node(int32_t frame) const { return frame_info_[frame].node; }
  int32_t frame_depth(int32_t frame) const { return frame_info_[frame].depth; }
  size_t n_states() const { return states_.size(); }

 private:
  struct Frame {
    int32_t node;
    int32_t parent;
    int32_t depth;
  };
  struct State {
    uint32_t frames_begin;
    uint32_t frames_size;
    uint8_t flags;
  };
  struct Closure {
    uint32_t begin = 0, size = 0;
    uint8_t flags = 0;
    bool done = false;
  };

  StateId next_slow(StateId s, uint8_t byte);
  int32_t intern_frame(int32_t node, int32_t parent);
  // Appends the consuming frames reachable from `frame` without input to *out.
  void closure(int32_t frame, std::vector<int32_t>* out, uint8_t* flags);
  void compute_closure(int32_t frame);
  StateId intern_state(std::vector<int32_t>* frames, uint8_t flags);

  std::shared_ptr<const CompiledGrammar> grammar_;
  std::vector<Frame> frame_info_;
  std::unordered_map<uint64_t, int32_t> frame_ids_;
  std::vector<Closure> closures_;  // per frame
  std::vector<int32_t> closure_pool_;
  std::vector<State> states_;
  std::vector<int32_t> frame_pool_;
  std::unordered_map<std::string, StateId> state_ids_;
  std::vector<int32_t> trans_;  // (n_tabled_, 256): next state, -1 unknown
  size_t n_tabled_ = 0;         // states with a transition row (the first kMaxTabledStates)
  std::vector<int32_t> scratch_;
  std::vector<int32_t> visit_stack_;
  std::vector<int32_t> visited_;
};

// Matches text against a compiled grammar, byte by byte.
class GrammarMatcher {
 public:
  explicit GrammarMatcher(std::shared_ptr<const CompiledGrammar> grammar);

  // Consumes `bytes` if the text so far followed by them can still be completed (or is
  // complete); otherwise returns false and leaves the matcher unchanged.
  bool accept(std::string_view bytes);
  bool accept_token(int32_t token);  // a special-token edge
  // Whether accept(bytes) would succeed, without consuming them.
  bool can_accept(std::string_view bytes);
  // The text so far is a complete sentence of the grammar (more input may still be allowed).
  bool accepting() const;
  // Accepting, and no input can follow.
  bool complete() const;
  // Whether `text` as a whole is a sentence of the grammar (from a fresh start).
  static bool matches(std::shared_ptr<const CompiledGrammar> grammar, std::string_view text);

 private:
  std::unique_ptr<GrammarEngine> engine_;
  GrammarEngine::StateId state_;
};

}  // namespace qwl
