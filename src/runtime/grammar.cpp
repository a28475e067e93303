// Grammar construction, compilation to an epsilon-free pushdown automaton, and the lazily
// determinized matcher over it.
#include "runtime/grammar.h"

#include <fmt/format.h>

#include <algorithm>

#include "base/utf8.h"

namespace qwl {

namespace {

constexpr char32_t kMaxCodepoint = 0x10FFFF;

// Appends to *out the byte-range sequences whose concatenations are exactly the UTF-8
// encodings of [lo, hi] (surrogates removed). A range is split until, at every continuation
// position, either the higher bits agree or the low bits span their full 6-bit range; then
// each byte position of the encodings is an independent range.
void utf8_sequences(char32_t lo, char32_t hi, std::vector<std::vector<ByteRange>>* out) {
  if (lo > hi) return;
  if (lo <= 0xDFFF && hi >= 0xD800) {
    if (lo < 0xD800) utf8_sequences(lo, 0xD7FF, out);
    if (hi > 0xDFFF) utf8_sequences(0xE000, hi, out);
    return;
  }
  for (char32_t max : {char32_t{0x7F}, char32_t{0x7FF}, char32_t{0xFFFF}}) {
    if (lo <= max && hi > max) {
      utf8_sequences(lo, max, out);
      utf8_sequences(max + 1, hi, out);
      return;
    }
  }
  std::string a, b;
  utf8_encode(lo, &a);
  utf8_encode(hi, &b);
  const int n = static_cast<int>(a.size());
  for (int i = 1; i < n; ++i) {
    const char32_t m = (char32_t{1} << (6 * i)) - 1;
    if ((lo & ~m) != (hi & ~m)) {
      if ((lo & m) != 0) {
        utf8_sequences(lo, lo | m, out);
        utf8_sequences((lo | m) + 1, hi, out);
        return;
      }
      if ((hi & m) != m) {
        utf8_sequences(lo, (hi & ~m) - 1, out);
        utf8_sequences(hi & ~m, hi, out);
        return;
      }
    }
  }
  std::vector<ByteRange> seq;
  for (int i = 0; i < n; ++i) {
    seq.push_back({static_cast<uint8_t>(a[i]), static_cast<uint8_t>(b[i])});
  }
  out->push_back(std::move(seq));
}

std::string byte_repr(uint8_t b) {
  if (b == '\\' || b == ']' || b == '-' || b == '"')
    return fmt::format("\\{}", static_cast<char>(b));
  if (b >= 0x20 && b < 0x7F) return std::string(1, static_cast<char>(b));
  return fmt::format("\\x{:02X}", b);
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Grammar

GrammarExpr Grammar::add(Expr e) {
  exprs_.push_back(std::move(e));
  return static_cast<GrammarExpr>(exprs_.size() - 1);
}

GrammarExpr Grammar::empty() {
  return add(Expr{.kind = Kind::kEmpty});
}

GrammarExpr Grammar::literal(std::string_view bytes) {
  if (bytes.empty()) return empty();
  return add(Expr{.kind = Kind::kLiteral, .text = std::string(bytes)});
}

GrammarExpr Grammar::byte_set(std::vector<ByteRange> ranges) {
  std::sort(ranges.begin(), ranges.end(),
            [](ByteRange a, ByteRange b) { return a.lo < b.lo || (a.lo == b.lo && a.hi < b.hi); });
  std::vector<ByteRange> merged;
  for (ByteRange r : ranges) {
    if (r.lo > r.hi) continue;
    if (!merged.empty() && r.lo <= merged.back().hi + 1) {
      merged.back().hi = std::max(merged.back().hi, r.hi);
    } else {
      merged.push_back(r);
    }
  }
  return add(Expr{.kind = Kind::kByteSet, .ranges = std::move(merged)});
}

GrammarExpr Grammar::codepoint_set(std::vector<CodepointRange> ranges) {
  std::sort(ranges.begin(), ranges.end(), [](CodepointRange a, CodepointRange b) {
    return a.lo < b.lo || (a.lo == b.lo && a.hi < b.hi);
  });
  std::vector<std::vector<ByteRange>> sequences;
  char32_t next_lo = 0;  // code points below this were emitted already
  for (CodepointRange r : ranges) {
    const char32_t lo = std::max(r.lo, next_lo);
    const char32_t hi = std::min(r.hi, kMaxCodepoint);
    if (lo > hi) continue;
    utf8_sequences(lo, hi, &sequences);
    next_lo = hi + 1;
  }
  // One-byte sequences share one byte set; longer ones become a sequence of sets each.
  std::vector<ByteRange> single;
  std::vector<GrammarExpr> alternatives;
  for (const auto& seq : sequences) {
    if (seq.size() == 1) {
      single.push_back(seq[0]);
      continue;
    }
    std::vector<GrammarExpr> items;
    for (ByteRange br : seq) items.push_back(byte_set({br}));
    alternatives.push_back(this->seq(std::move(items)));
  }
  if (!single.empty()) alternatives.insert(alternatives.begin(), byte_set(std::move(single)));
  if (alternatives.size() == 1) return alternatives[0];
  return alt(std::move(alternatives));
}

GrammarExpr Grammar::seq(std::vector<GrammarExpr> items) {
  if (items.empty()) return empty();
  if (items.size() == 1) return items[0];
  return add(Expr{.kind = Kind::kSeq, .items = std::move(items)});
}

GrammarExpr Grammar::alt(std::vector<GrammarExpr> items) {
  if (items.size() == 1) return items[0];
  return add(Expr{.kind = Kind::kAlt, .items = std::move(items)});
}

GrammarExpr Grammar::repeat(GrammarExpr item, int min, int max) {
  return add(Expr{.kind = Kind::kRepeat, .items = {item}, .min = min, .max = max});
}

GrammarExpr Grammar::call(GrammarRule rule) {
  return add(Expr{.kind = Kind::kCall, .rule = rule});
}

GrammarExpr Grammar::json_char() {
  if (json_char_ >= 0) return json_char_;
  const GrammarExpr raw =
      codepoint_set({{0x20, 0x21}, {0x23, 0x5B}, {0x5D, 0x7E}, {0xA0, kMaxCodepoint}});
  const GrammarExpr h = byte_set({{'0', '9'}, {'a', 'f'}, {'A', 'F'}});
  const auto one = [](char c) {
    const auto b = static_cast<uint8_t>(c);
    return ByteRange{b, b};
  };
  // \uXXXX outside the surrogates, or a high surrogate followed by a low one, so the text
  // always decodes.
  const GrammarExpr bmp = alt({
      seq({byte_set({{'0', '9'}, {'a', 'c'}, {'A', 'C'}}), h, h, h}),
      seq({byte_set({one('d'), one('D')}), byte_set({{'0', '7'}}), h, h}),
      seq({byte_set({{'e', 'f'}, {'E', 'F'}}), h, h, h}),
  });
  const GrammarExpr pair = seq(
      {byte_set({one('d'), one('D')}), byte_set({{'8', '9'}, {'a', 'b'}, {'A', 'B'}}), h, h,
       literal("\\u"), byte_set({one('d'), one('D')}), byte_set({{'c', 'f'}, {'C', 'F'}}), h, h});
  const GrammarExpr escape =
      seq({literal("\\"), alt({byte_set({one('"'), one('\\'), one('/'), one('b'), one('f'),
                                         one('n'), one('r'), one('t')}),
                               seq({literal("u"), alt({bmp, pair})})})});
  json_char_ = alt({raw, escape});
  return json_char_;
}

GrammarExpr Grammar::json_string(int min, int max) {
  return add(Expr{.kind = Kind::kJsonString, .items = {json_char()}, .min = min, .max = max});
}

GrammarExpr Grammar::special_token(std::string text) {
  return add(Expr{.kind = Kind::kSpecial, .text = std::move(text)});
}

GrammarRule Grammar::declare_rule(std::string name) {
  rules_.push_back(Rule{.name = std::move(name)});
  return static_cast<GrammarRule>(rules_.size() - 1);
}

void Grammar::define_rule(GrammarRule rule, GrammarExpr body) {
  rules_[rule].body = body;
}

GrammarRule Grammar::add_rule(std::string name, GrammarExpr body) {
  const GrammarRule r = declare_rule(std::move(name));
  define_rule(r, body);
  return r;
}

std::string Grammar::expr_to_string(GrammarExpr e) const {
  const Expr& x = exprs_[e];
  switch (x.kind) {
    case Kind::kEmpty:
      return "\"\"";
    case Kind::kLiteral: {
      std::string s = "\"";
      for (char c : x.text) s += byte_repr(static_cast<uint8_t>(c));
      return s + "\"";
    }
    case Kind::kByteSet: {
      std::string s = "[";
      for (ByteRange r : x.ranges) {
        s += byte_repr(r.lo);
        if (r.hi != r.lo) {
          s += '-';
          s += byte_repr(r.hi);
        }
      }
      return s + "]";
    }
    case Kind::kSeq:
    case Kind::kAlt: {
      std::string s = "(";
      for (size_t i = 0; i < x.items.size(); ++i) {
        if (i > 0) s += x.kind == Kind::kSeq ? " " : " | ";
        s += expr_to_string(x.items[i]);
      }
      return s + ")";
    }
    case Kind::kRepeat:
      if (x.max == kUnbounded) return fmt::format("{}{{{},}}", expr_to_string(x.items[0]), x.min);
      return fmt::format("{}{{{},{}}}", expr_to_string(x.items[0]), x.min, x.max);
    case Kind::kCall:
      return rules_[x.rule].name;
    case Kind::kJsonString:
      if (x.max == kUnbounded) return fmt::format("json_string{{{},}}", x.min);
      return fmt::format("json_string{{{},{}}}", x.min, x.max);
    case Kind::kSpecial:
      return "<special " + x.text + ">";
  }
  return "?";
}

std::string Grammar::to_string() const {
  std::string out;
  for (const Rule& r : rules_) {
    out += r.name + " ::= " + (r.body < 0 ? "<undefined>" : expr_to_string(r.body)) + "\n";
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Compilation

namespace {

// A rule's automaton with epsilon edges (Thompson construction), before elimination.
struct TmpNode {
  std::vector<CompiledGrammar::ByteEdge> bytes;
  std::vector<CompiledGrammar::CallEdge> calls;  // ret = target
  std::vector<CompiledGrammar::TokenEdge> tokens;
  std::vector<int32_t> eps;
  int32_t room = CompiledGrammar::Node::kNotString;  // see Node::string_room
};

class RuleBuilder {
 public:
  RuleBuilder(const Grammar& g, const SpecialTokenResolver& resolver, size_t budget)
      : g_(g), resolver_(resolver), budget_(budget) {}

  std::vector<TmpNode> nodes;

  Result<int32_t> new_node() {
    if (nodes.size() >= budget_) {
      return OutOfRangeError(
          "grammar: the automaton exceeds {} nodes (bounded repetitions are "
          "expanded: lower maxLength/maxItems or a pattern's {{m,n}})",
          budget_);
    }
    nodes.emplace_back();
    return static_cast<int32_t>(nodes.size() - 1);
  }

  Status build(GrammarExpr e, int32_t from, int32_t to, int depth) {
    if (depth > 2000) return OutOfRangeError("grammar: expressions nested deeper than 2000");
    const Grammar::Expr& x = g_.expr(e);
    switch (x.kind) {
      case Grammar::Kind::kEmpty:
        nodes[from].eps.push_back(to);
        return Status::Ok();
      case Grammar::Kind::kLiteral:
        return build_literal(x.text, from, to);
      case Grammar::Kind::kByteSet:
        for (ByteRange r : x.ranges) nodes[from].bytes.push_back({r.lo, r.hi, to});
        return Status::Ok();
      case Grammar::Kind::kSeq: {
        int32_t cur = from;
        for (size_t i = 0; i < x.items.size(); ++i) {
          int32_t nxt = to;
          if (i + 1 < x.items.size()) {
            QWL_ASSIGN_OR_RETURN(nxt, new_node());
          }
          QWL_RETURN_IF_ERROR(build(x.items[i], cur, nxt, depth + 1));
          cur = nxt;
        }
        return Status::Ok();
      }
      case Grammar::Kind::kAlt:
        for (GrammarExpr item : x.items) QWL_RETURN_IF_ERROR(build(item, from, to, depth + 1));
        return Status::Ok();
      case Grammar::Kind::kRepeat:
        return build_repeat(x, from, to, depth, false);
      case Grammar::Kind::kJsonString: {
        QWL_ASSIGN_OR_RETURN(const int32_t open, new_node());
        QWL_ASSIGN_OR_RETURN(const int32_t close, new_node());
        QWL_RETURN_IF_ERROR(build_literal("\"", from, open));
        QWL_RETURN_IF_ERROR(build_repeat(x, open, close, depth, true));
        return build_literal("\"", close, to);
      }
      case Grammar::Kind::kCall:
        if (x.rule < 0 || x.rule >= g_.n_rules()) {
          return InvalidArgumentError("grammar: call of rule {} that does not exist", x.rule);
        }
        nodes[from].calls.push_back({x.rule, to});
        return Status::Ok();
      case Grammar::Kind::kSpecial: {
        std::optional<int32_t> id;
        if (resolver_) id = resolver_(x.text);
        if (id.has_value()) {
          nodes[from].tokens.push_back({*id, to});
          return Status::Ok();
        }
        return build_literal(x.text, from, to);
      }
    }
    return InternalError("grammar: unknown expression kind");
  }

 private:
  Status build_literal(const std::string& text, int32_t from, int32_t to) {
    int32_t cur = from;
    for (size_t i = 0; i < text.size(); ++i) {
      int32_t nxt = to;
      if (i + 1 < text.size()) {
        QWL_ASSIGN_OR_RETURN(nxt, new_node());
      }
      const auto b = static_cast<uint8_t>(text[i]);
      nodes[cur].bytes.push_back({b, b, nxt});
      cur = nxt;
    }
    if (text.empty()) nodes[from].eps.push_back(to);
    return Status::Ok();
  }

  // With mark_room, the nodes between two items record how many more items fit (json_string).
  Status build_repeat(const Grammar::Expr& x, int32_t from, int32_t to, int depth, bool mark_room) {
    if (x.min < 0 || (x.max != kUnbounded && x.max < x.min)) {
      return InvalidArgumentError("grammar: bad repetition {{{},{}}}", x.min, x.max);
    }
    const GrammarExpr item = x.items[0];
    auto mark = [&](int32_t node, int i) {
      if (mark_room) nodes[node].room = x.max == kUnbounded ? kUnbounded : x.max - i;
    };
    int32_t cur = from;
    for (int i = 0; i < x.min; ++i) {
      mark(cur, i);
      QWL_ASSIGN_OR_RETURN(int32_t nxt, new_node());
      QWL_RETURN_IF_ERROR(build(item, cur, nxt, depth + 1));
      cur = nxt;
    }
    if (x.max == kUnbounded) {
      // A loop node that the item returns to: cur -> loop -(item)-> back -> loop -> to.
      mark(cur, x.min);
      QWL_ASSIGN_OR_RETURN(int32_t loop, new_node());
      nodes[cur].eps.push_back(loop);
      QWL_ASSIGN_OR_RETURN(int32_t back, new_node());
      mark(loop, x.min);
      mark(back, x.min);
      QWL_RETURN_IF_ERROR(build(item, loop, back, depth + 1));
      nodes[back].eps.push_back(loop);
      nodes[loop].eps.push_back(to);
      return Status::Ok();
    }
    for (int i = x.min; i < x.max; ++i) {
      mark(cur, i);
      nodes[cur].eps.push_back(to);
      QWL_ASSIGN_OR_RETURN(int32_t nxt, new_node());
      QWL_RETURN_IF_ERROR(build(item, cur, nxt, depth + 1));
      cur = nxt;
    }
    mark(cur, x.max);
    nodes[cur].eps.push_back(to);
    return Status::Ok();
  }

  const Grammar& g_;
  const SpecialTokenResolver& resolver_;
  size_t budget_;
};

template <typename T, typename Less>
void sort_unique(std::vector<T>* v, Less less) {
  std::sort(v->begin(), v->end(), less);
  v->erase(std::unique(v->begin(), v->end(),
                       [&](const T& a, const T& b) { return !less(a, b) && !less(b, a); }),
           v->end());
}

}  // namespace

Result<std::shared_ptr<const CompiledGrammar>> CompiledGrammar::compile(
    const Grammar& grammar, const SpecialTokenResolver& resolver, size_t max_nodes) {
  auto out = std::make_shared<CompiledGrammar>();
  if (grammar.n_rules() == 0) return InvalidArgumentError("grammar: no rules");
  if (grammar.root() < 0 || grammar.root() >= grammar.n_rules()) {
    return InvalidArgumentError("grammar: root rule {} does not exist", grammar.root());
  }
  out->root_ = grammar.root();
  out->rule_start_.assign(grammar.n_rules(), -1);
  for (int r = 0; r < grammar.n_rules(); ++r) out->rule_names_.push_back(grammar.rule_name(r));

  for (int r = 0; r < grammar.n_rules(); ++r) {
    if (grammar.rule(r).body < 0) {
      return InvalidArgumentError("grammar: rule '{}' is declared but never defined",
                                  grammar.rule_name(r));
    }
    const size_t budget = max_nodes > out->nodes_.size() ? max_nodes - out->nodes_.size() : 0;
    RuleBuilder b(grammar, resolver, budget);
    QWL_ASSIGN_OR_RETURN(const int32_t start, b.new_node());
    QWL_ASSIGN_OR_RETURN(const int32_t end, b.new_node());
    QWL_RETURN_IF_ERROR(b.build(grammar.rule(r).body, start, end, 0));

    // Epsilon elimination: a node gets the symbol edges of every node in its epsilon closure
    // and is final when the closure holds the end. Only nodes reachable through symbol edges
    // (and the start) are kept.
    const size_t n = b.nodes.size();
    std::vector<int32_t> global(n, -1);
    std::vector<int32_t> order;  // tmp nodes in the order they get global ids
    const size_t base = out->nodes_.size();
    auto assign = [&](int32_t t) {
      if (global[t] < 0) {
        global[t] = static_cast<int32_t>(base + order.size());
        order.push_back(t);
      }
    };
    assign(start);
    std::vector<uint32_t> mark(n, 0);
    uint32_t generation = 0;
    std::vector<int32_t> stack;
    for (size_t k = 0; k < order.size(); ++k) {
      const int32_t t = order[k];
      Node node;
      node.rule = r;
      node.string_room = b.nodes[t].room;
      ++generation;
      stack.assign(1, t);
      while (!stack.empty()) {
        const int32_t u = stack.back();
        stack.pop_back();
        if (mark[u] == generation) continue;
        mark[u] = generation;
        const TmpNode& tn = b.nodes[u];
        if (u == end) node.final = true;
        for (auto e : tn.bytes) node.bytes.push_back(e);
        for (auto e : tn.calls) node.calls.push_back(e);
        for (auto e : tn.tokens) node.tokens.push_back(e);
        for (int32_t v : tn.eps) stack.push_back(v);
      }
      for (auto& e : node.bytes) {
        assign(e.target);
        e.target = global[e.target];
      }
      for (auto& e : node.calls) {
        assign(e.ret);
        e.ret = global[e.ret];
      }
      for (auto& e : node.tokens) {
        assign(e.target);
        e.target = global[e.target];
      }
      sort_unique(&node.bytes, [](const ByteEdge& a, const ByteEdge& b) {
        return std::tie(a.lo, a.hi, a.target) < std::tie(b.lo, b.hi, b.target);
      });
      sort_unique(&node.calls, [](const CallEdge& a, const CallEdge& b) {
        return std::tie(a.rule, a.ret) < std::tie(b.rule, b.ret);
      });
      sort_unique(&node.tokens, [](const TokenEdge& a, const TokenEdge& b) {
        return std::tie(a.token, a.target) < std::tie(b.token, b.target);
      });
      out->nodes_.push_back(std::move(node));
    }
    out->rule_start_[r] = global[start];
    if (out->nodes_.size() > max_nodes) {
      return OutOfRangeError("grammar: the automaton exceeds {} nodes", max_nodes);
    }
  }
  return std::shared_ptr<const CompiledGrammar>(std::move(out));
}

// ---------------------------------------------------------------------------------------------
// GrammarEngine

namespace {
constexpr int32_t kRootFrame = 0;  // below the root rule: popping to it means accepting
constexpr int32_t kCtxFrame = 1;   // below a position(): popping to it reaches the context
// States past this many have no transition row (their transitions are recomputed each time):
// bounds the table at 64 MiB for pathological grammars.
constexpr size_t kMaxTabledStates = size_t{1} << 16;
}  // namespace

GrammarEngine::GrammarEngine(std::shared_ptr<const CompiledGrammar> grammar)
    : grammar_(std::move(grammar)) {
  frame_info_.push_back({-1, -1, 0});
  frame_info_.push_back({-1, -1, kMaxStackDepth - kPositionDepth});
  closures_.push_back(Closure{});
  closures_.push_back(Closure{});
  // State 0: dead, its own successor on every byte.
  states_.push_back({0, 0, 0});
  state_ids_.emplace(std::string(1, '\0'), kDead);
  trans_.assign(256, kDead);
  n_tabled_ = 1;
}

int32_t GrammarEngine::intern_frame(int32_t node, int32_t parent) {
  const uint64_t key =
      (static_cast<uint64_t>(static_cast<uint32_t>(node)) << 32) | static_cast<uint32_t>(parent);
  auto [it, inserted] = frame_ids_.emplace(key, static_cast<int32_t>(frame_info_.size()));
  if (inserted) {
    frame_info_.push_back({node, parent, frame_info_[parent].depth + 1});
    closures_.emplace_back();
  }
  return it->second;
}

void GrammarEngine::compute_closure(int32_t frame) {
  const CompiledGrammar& g = *grammar_;
  const uint32_t begin = static_cast<uint32_t>(closure_pool_.size());
  uint8_t flags = 0;
  visited_.clear();
  visit_stack_.assign(1, frame);
  while (!visit_stack_.empty()) {
    const int32_t x = visit_stack_.back();
    visit_stack_.pop_back();
    if (std::find(visited_.begin(), visited_.end(), x) != visited_.end()) continue;
    visited_.push_back(x);
    const Frame fx = frame_info_[x];
    const CompiledGrammar::Node& node = g.node(fx.node);
    if (node.consuming()) closure_pool_.push_back(x);
    for (const CompiledGrammar::CallEdge& call : node.calls) {
      const CompiledGrammar::Node& ret = g.node(call.ret);
      // A call in tail position (nothing follows in the caller) needs no return frame, so
      // rules that end by calling another rule do not grow the stack.
      const bool tail = ret.final && !ret.consuming() && ret.calls.empty();
      const int32_t parent = tail ? fx.parent : intern_frame(call.ret, fx.parent);
      if (frame_info_[parent].depth + 1 > kMaxStackDepth) continue;
      visit_stack_.push_back(intern_frame(g.rule_start(call.rule), parent));
    }
    if (node.final) {
      if (fx.parent == kRootFrame) {
        flags |= kAccepting;
      } else if (fx.parent == kCtxFrame) {
        flags |= kReachedContext;
      } else {
        visit_stack_.push_back(fx.parent);
      }
    }
  }
  Closure& c = closures_[frame];
  c.begin = begin;
  c.size = static_cast<uint32_t>(closure_pool_.size()) - begin;
  c.flags = flags;
  c.done = true;
}

void GrammarEngine::closure(int32_t frame, std::vector<int32_t>* out, uint8_t* flags) {
  if (!closures_[frame].done) compute_closure(frame);
  const Closure& c = closures_[frame];
  out->insert(out->end(), closure_pool_.begin() + c.begin,
              closure_pool_.begin() + c.begin + c.size);
  *flags |= c.flags;
}

GrammarEngine::StateId GrammarEngine::intern_state(std::vector<int32_t>* frames, uint8_t flags) {
  std::sort(frames->begin(), frames->end());
  frames->erase(std::unique(frames->begin(), frames->end()), frames->end());
  if (!frames->empty()) flags |= kHasFrames;
  if (flags == 0) return kDead;
  std::string key(1, static_cast<char>(flags));
  key.append(reinterpret_cast<const char*>(frames->data()), frames->size() * sizeof(int32_t));
  auto [it, inserted] = state_ids_.emplace(std::move(key), static_cast<StateId>(states_.size()));
  if (inserted) {
    states_.push_back(
        {static_cast<uint32_t>(frame_pool_.size()), static_cast<uint32_t>(frames->size()), flags});
    frame_pool_.insert(frame_pool_.end(), frames->begin(), frames->end());
    if (states_.size() <= kMaxTabledStates) {
      trans_.resize(states_.size() * 256, -1);
      n_tabled_ = states_.size();
    }
  }
  return it->second;
}

GrammarEngine::StateId GrammarEngine::initial() {
  std::vector<int32_t> frames;
  uint8_t flags = 0;
  closure(intern_frame(grammar_->rule_start(grammar_->root_rule()), kRootFrame), &frames, &flags);
  return intern_state(&frames, flags);
}

GrammarEngine::StateId GrammarEngine::position(int32_t node) {
  std::vector<int32_t> frames{intern_frame(node, kCtxFrame)};
  return intern_state(&frames, 0);
}

GrammarEngine::StateId GrammarEngine::next_slow(StateId s, uint8_t byte) {
  const CompiledGrammar& g = *grammar_;
  scratch_.clear();
  uint8_t flags = states_[s].flags & kReachedContext;
  const State st = states_[s];
  for (uint32_t i = 0; i < st.frames_size; ++i) {
    const Frame f = frame_info_[frame_pool_[st.frames_begin + i]];
    for (const CompiledGrammar::ByteEdge& e : g.node(f.node).bytes) {
      if (e.lo <= byte && byte <= e.hi)
        closure(intern_frame(e.target, f.parent), &scratch_, &flags);
    }
  }
  std::vector<int32_t> frames = scratch_;
  const StateId t = intern_state(&frames, flags);
  if (static_cast<size_t>(s) < n_tabled_) trans_[static_cast<size_t>(s) * 256 + byte] = t;
  return t;
}

GrammarEngine::StateId GrammarEngine::next_token(StateId s, int32_t token) {
  const CompiledGrammar& g = *grammar_;
  std::vector<int32_t> frames;
  uint8_t flags = 0;
  const State st = states_[s];
  for (uint32_t i = 0; i < st.frames_size; ++i) {
    const Frame f = frame_info_[frame_pool_[st.frames_begin + i]];
    for (const CompiledGrammar::TokenEdge& e : g.node(f.node).tokens) {
      if (e.token == token) closure(intern_frame(e.target, f.parent), &frames, &flags);
    }
  }
  if (frames.empty() && flags == 0) return kDead;
  return intern_state(&frames, flags | (st.flags & kReachedContext));
}

// ---------------------------------------------------------------------------------------------
// GrammarMatcher

GrammarMatcher::GrammarMatcher(std::shared_ptr<const CompiledGrammar> grammar)
    : engine_(std::make_unique<GrammarEngine>(std::move(grammar))) {
  state_ = engine_->initial();
}

bool GrammarMatcher::accept(std::string_view bytes) {
  const GrammarEngine::StateId t = engine_->next(state_, bytes);
  if (t == GrammarEngine::kDead) return false;
  state_ = t;
  return true;
}

bool GrammarMatcher::accept_token(int32_t token) {
  const GrammarEngine::StateId t = engine_->next_token(state_, token);
  if (t == GrammarEngine::kDead) return false;
  state_ = t;
  return true;
}

bool GrammarMatcher::can_accept(std::string_view bytes) {
  return engine_->next(state_, bytes) != GrammarEngine::kDead;
}

bool GrammarMatcher::accepting() const {
  return (engine_->flags(state_) & GrammarEngine::kAccepting) != 0;
}

bool GrammarMatcher::complete() const {
  return engine_->flags(state_) == GrammarEngine::kAccepting;
}

bool GrammarMatcher::matches(std::shared_ptr<const CompiledGrammar> grammar,
                             std::string_view text) {
  GrammarMatcher m(std::move(grammar));
  return m.accept(text) && m.accepting();
}

}  // namespace qwl
