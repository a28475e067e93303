// JSON string characters and regular-expression patterns as grammar expressions.
//
// The pattern is parsed into a small tree of code point sets, sequences, alternations and
// repetitions; anchors are then removed from the ends of the top-level alternatives (turning
// the unanchored sides into "any text"), and the tree becomes grammar expressions whose
// characters are JSON-encoded with json_string_char.
#include "runtime/constraint_regex.h"

#include <fmt/format.h>

#include <algorithm>
#include <string>

namespace qwl {

namespace {

using Ranges = std::vector<CodepointRange>;
constexpr char32_t kMaxCp = 0x10FFFF;

Ranges normalize(Ranges r) {
  std::sort(r.begin(), r.end(), [](CodepointRange a, CodepointRange b) { return a.lo < b.lo; });
  Ranges out;
  for (CodepointRange x : r) {
    if (x.lo > x.hi) continue;
    if (!out.empty() && x.lo <= out.back().hi + 1) {
      out.back().hi = std::max(out.back().hi, x.hi);
    } else {
      out.push_back(x);
    }
  }
  return out;
}

Ranges complement(const Ranges& set) {
  Ranges n = normalize(set);
  Ranges out;
  char32_t next = 0;
  for (CodepointRange x : n) {
    if (x.lo > next) out.push_back({next, x.lo - 1});
    next = x.hi + 1;
  }
  if (next <= kMaxCp) out.push_back({next, kMaxCp});
  return out;
}

Ranges intersect(const Ranges& a, const Ranges& b) {
  Ranges out;
  for (CodepointRange x : a) {
    for (CodepointRange y : b) {
      const char32_t lo = std::max(x.lo, y.lo), hi = std::min(x.hi, y.hi);
      if (lo <= hi) out.push_back({lo, hi});
    }
  }
  return normalize(out);
}

bool contains(const Ranges& set, char32_t cp) {
  for (CodepointRange x : set) {
    if (x.lo <= cp && cp <= x.hi) return true;
  }
  return false;
}

// Code points JSON text may carry unescaped (we also escape U+007F..U+009F, the C1 controls).
const Ranges kRawAllowed = {{0x20, 0x21}, {0x23, 0x5B}, {0x5D, 0x7E}, {0xA0, kMaxCp}};

GrammarExpr hex_digit(Grammar* g, int d) {
  if (d < 10) return g->literal(std::string(1, static_cast<char>('0' + d)));
  const auto lower = static_cast<uint8_t>('a' + d - 10), upper = static_cast<uint8_t>('A' + d - 10);
  return g->byte_set({{lower, lower}, {upper, upper}});
}

GrammarExpr any_hex(Grammar* g) {
  return g->byte_set({{'0', '9'}, {'a', 'f'}, {'A', 'F'}});
}

// \u00XX for one control code point.
GrammarExpr unicode_escape(Grammar* g, char32_t cp) {
  return g->seq({g->literal("\\u00"), hex_digit(g, static_cast<int>(cp >> 4)),
                 hex_digit(g, static_cast<int>(cp & 0xF))});
}

}  // namespace

GrammarExpr json_string_char(Grammar* g, std::vector<CodepointRange> set) {
  set = normalize(std::move(set));
  std::vector<GrammarExpr> alts;
  const Ranges raw = intersect(set, kRawAllowed);
  if (!raw.empty()) alts.push_back(g->codepoint_set(raw));
  if (contains(set, '"')) alts.push_back(g->literal("\\\""));
  if (contains(set, '\\')) alts.push_back(g->literal("\\\\"));
  if (contains(set, '/')) alts.push_back(g->literal("\\/"));
  // Controls: the short escapes, then \u00XX (one compact expression for a whole block).
  const std::pair<char32_t, const char*> kShort[] = {
      {0x08, "\\b"}, {0x09, "\\t"}, {0x0A, "\\n"}, {0x0C, "\\f"}, {0x0D, "\\r"}};
  for (auto [cp, text] : kShort) {
    if (contains(set, cp)) alts.push_back(g->literal(text));
  }
  const bool all_c0 = intersect(set, {{0x00, 0x1F}}) == Ranges{{0x00, 0x1F}};
  if (all_c0) {
    alts.push_back(g->seq({g->literal("\\u00"), g->byte_set({{'0', '1'}}), any_hex(g)}));
  } else {
    for (char32_t cp = 0; cp < 0x20; ++cp) {
      if (contains(set, cp)) alts.push_back(unicode_escape(g, cp));
    }
  }
  const bool all_c1 = intersect(set, {{0x7F, 0x9F}}) == Ranges{{0x7F, 0x9F}};
  if (all_c1) {
    alts.push_back(g->seq({g->literal("\\u007"), g->byte_set({{'f', 'f'}, {'F', 'F'}})}));
    alts.push_back(g->seq({g->literal("\\u00"), g->byte_set({{'8', '9'}}), any_hex(g)}));
  } else {
    for (char32_t cp = 0x7F; cp < 0xA0; ++cp) {
      if (contains(set, cp)) alts.push_back(unicode_escape(g, cp));
    }
  }
  return g->alt(std::move(alts));
}

GrammarExpr json_string_any_char(Grammar* g) {
  return g->json_char();
}

// ---------------------------------------------------------------------------------------------
// Patterns

namespace {

struct RegexNode {
  enum class Kind { kSet, kSeq, kAlt, kRepeat, kStart, kEnd };
  Kind kind;
  Ranges set;              // kSet
  std::vector<int> items;  // kSeq, kAlt, kRepeat (one)
  int min = 0, max = 0;    // kRepeat
};

const Ranges kDigit = {{'0', '9'}};
const Ranges kWord = {{'0', '9'}, {'A', 'Z'}, {'_', '_'}, {'a', 'z'}};
const Ranges kSpace = {{0x09, 0x0D},     {0x20, 0x20},     {0xA0, 0xA0},     {0x1680, 0x1680},
                       {0x2000, 0x200A}, {0x2028, 0x2029}, {0x202F, 0x202F}, {0x205F, 0x205F},
                       {0x3000, 0x3000}, {0xFEFF, 0xFEFF}};
const Ranges kDot = {{0, 0x09}, {0x0B, 0x0C}, {0x0E, 0x2027}, {0x202A, kMaxCp}};

class RegexParser {
 public:
  explicit RegexParser(std::u32string p) : p_(std::move(p)) {}

  std::vector<RegexNode> nodes;

  Result<int> parse() {
    QWL_ASSIGN_OR_RETURN(int root, parse_alt(0));
    if (i_ < p_.size()) return InvalidArgumentError("unmatched ')' at offset {}", i_);
    return root;
  }

 private:
  int add(RegexNode n) {
    nodes.push_back(std::move(n));
    return static_cast<int>(nodes.size() - 1);
  }
  bool at_end() const { return i_ >= p_.size(); }
  char32_t peek() const { return p_[i_]; }

  Result<int> parse_alt(int depth) {
    if (depth > 100) return UnsupportedError("groups nested deeper than 100");
    std::vector<int> alts;
    QWL_ASSIGN_OR_RETURN(int first, parse_seq(depth));
    alts.push_back(first);
    while (!at_end() && peek() == '|') {
      ++i_;
      QWL_ASSIGN_OR_RETURN(int next, parse_seq(depth));
      alts.push_back(next);
    }
    if (alts.size() == 1) return alts[0];
    return add({.kind = RegexNode::Kind::kAlt, .items = std::move(alts)});
  }

  Result<int> parse_seq(int depth) {
    std::vector<int> items;
    while (!at_end() && peek() != '|' && peek() != ')') {
      QWL_ASSIGN_OR_RETURN(int atom, parse_quantified(depth));
      items.push_back(atom);
    }
    return add({.kind = RegexNode::Kind::kSeq, .items = std::move(items)});
  }

  // Reads digits; returns -1 when there are none.
  long read_number() {
    long v = -1;
    while (!at_end() && peek() >= '0' && peek() <= '9') {
      v = (v < 0 ? 0 : v * 10) + static_cast<long>(peek() - '0');
      if (v > 1000000) v = 1000000;
      ++i_;
    }
    return v;
  }

  // Parses "{m}", "{m,}", "{m,n}" at i_; false (and i_ unchanged) if the brace is a literal.
  bool parse_braces(int* min, int* max) {
    const size_t start = i_;
    ++i_;
    const long m = read_number();
    if (m < 0) {
      i_ = start;
      return false;
    }
    long n = m;
    if (!at_end() && peek() == ',') {
      ++i_;
      n = read_number();  // -1: unbounded
    }
    if (at_end() || peek() != '}') {
      i_ = start;
      return false;
    }
    ++i_;
    *min = static_cast<int>(m);
    *max = n < 0 ? kUnbounded : static_cast<int>(n);
    return true;
  }

  // Reads one quantifier at i_ into *min / *max; false when there is none.
  bool read_quantifier(int* min, int* max) {
    if (at_end()) return false;
    switch (peek()) {
      case '*':
        *min = 0, *max = kUnbounded;
        ++i_;
        return true;
      case '+':
        *min = 1, *max = kUnbounded;
        ++i_;
        return true;
      case '?':
        *min = 0, *max = 1;
        ++i_;
        return true;
      case '{':
        return parse_braces(min, max);
      default:
        return false;
    }
  }

  Result<int> parse_quantified(int depth) {
    QWL_ASSIGN_OR_RETURN(int atom, parse_atom(depth));
    const size_t q_at = i_;
    int min = 0, max = 0;
    if (!read_quantifier(&min, &max)) return atom;
    const RegexNode::Kind k = nodes[atom].kind;
    if (k == RegexNode::Kind::kStart || k == RegexNode::Kind::kEnd) {
      return InvalidArgumentError("quantifier after an anchor at offset {}", q_at);
    }
    if (max != kUnbounded && max < min) {
      return InvalidArgumentError("numbers out of order in {{{},{}}} at offset {}", min, max, q_at);
    }
    if (min > kMaxPatternRepeat || max > kMaxPatternRepeat) {
      return UnsupportedError("repetition bound above {} at offset {}", kMaxPatternRepeat, q_at);
    }
    if (!at_end() && peek() == '?') ++i_;  // lazy: the same language
    const size_t again = i_;
    int min2 = 0, max2 = 0;
    if (read_quantifier(&min2, &max2))
      return InvalidArgumentError("nothing to repeat at offset {}", again);
    return add({.kind = RegexNode::Kind::kRepeat, .items = {atom}, .min = min, .max = max});
  }

  Result<int> parse_atom(int depth) {
    const size_t at = i_;
    const char32_t c = peek();
    switch (c) {
      case '(': {
        ++i_;
        if (!at_end() && peek() == '?') {
          ++i_;
          if (at_end()) return InvalidArgumentError("unterminated group at offset {}", at);
          const char32_t k = peek();
          if (k == ':') {
            ++i_;
          } else if (k == '=' || k == '!') {
            return UnsupportedError("lookahead at offset {}", at);
          } else if (k == '<') {
            ++i_;
            if (!at_end() && (peek() == '=' || peek() == '!')) {
              return UnsupportedError("lookbehind at offset {}", at);
            }
            while (!at_end() && peek() != '>') ++i_;  // a named group: the name is irrelevant
            if (at_end()) return InvalidArgumentError("unterminated group name at offset {}", at);
            ++i_;
          } else {
            return UnsupportedError("group modifier '(?{}' at offset {}",
                                    static_cast<char>(k < 0x80 ? k : '?'), at);
          }
        }
        QWL_ASSIGN_OR_RETURN(int inner, parse_alt(depth + 1));
        if (at_end() || peek() != ')')
          return InvalidArgumentError("unterminated group at offset {}", at);
        ++i_;
        return inner;
      }
      case '[':
        return parse_class();
      case '.':
        ++i_;
        return add({.kind = RegexNode::Kind::kSet, .set = kDot});
      case '^':
        ++i_;
        return add({.kind = RegexNode::Kind::kStart});
      case '$':
        ++i_;
        return add({.kind = RegexNode::Kind::kEnd});
      case '*':
      case '+':
      case '?':
        return InvalidArgumentError("nothing to repeat at offset {}", at);
      case '{': {
        int min = 0, max = 0;
        if (parse_braces(&min, &max))
          return InvalidArgumentError("nothing to repeat at offset {}", at);
        ++i_;
        return add({.kind = RegexNode::Kind::kSet, .set = {{c, c}}});
      }
      case '\\': {
        QWL_ASSIGN_OR_RETURN(Ranges set, parse_escape(false));
        return add({.kind = RegexNode::Kind::kSet, .set = std::move(set)});
      }
      default:
        ++i_;
        return add({.kind = RegexNode::Kind::kSet, .set = {{c, c}}});
    }
  }

  Result<char32_t> read_hex(int n, size_t at) {
    char32_t v = 0;
    for (int k = 0; k < n; ++k) {
      if (at_end()) return InvalidArgumentError("bad hex escape at offset {}", at);
      const char32_t h = peek();
      int d = -1;
      if (h >= '0' && h <= '9') d = static_cast<int>(h - '0');
      if (h >= 'a' && h <= 'f') d = static_cast<int>(h - 'a' + 10);
      if (h >= 'A' && h <= 'F') d = static_cast<int>(h - 'A' + 10);
      if (d < 0) return InvalidArgumentError("bad hex escape at offset {}", at);
      v = v * 16 + static_cast<char32_t>(d);
      ++i_;
    }
    return v;
  }

  // At a '\': returns the set it denotes (one code point for character escapes).
  Result<Ranges> parse_escape(bool in_class) {
    const size_t at = i_;
    ++i_;
    if (at_end()) return InvalidArgumentError("pattern ends with '\\'");
    const char32_t c = peek();
    ++i_;
    auto one = [](char32_t cp) { return Ranges{{cp, cp}}; };
    switch (c) {
      case 'd':
        return kDigit;
      case 'D':
        return complement(kDigit);
      case 'w':
        return kWord;
      case 'W':
        return complement(kWord);
      case 's':
        return kSpace;
      case 'S':
        return complement(kSpace);
      case 'n':
        return one('\n');
      case 'r':
        return one('\r');
      case 't':
        return one('\t');
      case 'f':
        return one('\f');
      case 'v':
        return one('\v');
      case '0':
        return one(0);
      case 'b':
        if (in_class) return one('\b');
        return UnsupportedError("word boundary \\b at offset {}", at);
      case 'B':
        return UnsupportedError("word boundary \\B at offset {}", at);
      case 'k':
        return UnsupportedError("backreference \\k at offset {}", at);
      case 'p':
      case 'P':
        return UnsupportedError("Unicode property escape at offset {}", at);
      case 'c': {
        if (at_end()) return InvalidArgumentError("bad \\c escape at offset {}", at);
        const char32_t l = peek();
        if (!((l >= 'a' && l <= 'z') || (l >= 'A' && l <= 'Z'))) {
          return InvalidArgumentError("bad \\c escape at offset {}", at);
        }
        ++i_;
        return one(l % 32);
      }
      case 'x': {
        QWL_ASSIGN_OR_RETURN(char32_t v, read_hex(2, at));
        return one(v);
      }
      case 'u': {
        if (!at_end() && peek() == '{') {
          ++i_;
          char32_t v = 0;
          int n = 0;
          while (!at_end() && peek() != '}') {
            QWL_ASSIGN_OR_RETURN(char32_t d, read_hex(1, at));
            v = v * 16 + d;
            if (++n > 6 || v > kMaxCp)
              return InvalidArgumentError("bad \\u{{}} escape at offset {}", at);
          }
          if (at_end() || n == 0)
            return InvalidArgumentError("bad \\u{{}} escape at offset {}", at);
          ++i_;
          return one(v);
        }
        QWL_ASSIGN_OR_RETURN(char32_t v, read_hex(4, at));
        return one(v);
      }
      default:
        if (c >= '1' && c <= '9') {
          if (in_class)
            return InvalidArgumentError("bad escape \\{} in a class at offset {}",
                                        static_cast<char>(c), at);
          return UnsupportedError("backreference at offset {}", at);
        }
        return one(c);  // identity escape: \. \* \/ \- ...
    }
  }

  Result<int> parse_class() {
    const size_t at = i_;
    ++i_;
    bool negate = false;
    if (!at_end() && peek() == '^') {
      negate = true;
      ++i_;
    }
    Ranges set;
    bool first = true;
    while (true) {
      if (at_end()) return InvalidArgumentError("unterminated class at offset {}", at);
      if (peek() == ']' && !first) break;
      if (peek() == ']' && first) break;  // "[]" is the empty class, "[^]" any character
      first = false;
      QWL_ASSIGN_OR_RETURN(Ranges lo_set, class_atom());
      if (!at_end() && peek() == '-' && i_ + 1 < p_.size() && p_[i_ + 1] != ']') {
        const size_t dash = i_;
        ++i_;
        QWL_ASSIGN_OR_RETURN(Ranges hi_set, class_atom());
        if (lo_set.size() != 1 || lo_set[0].lo != lo_set[0].hi || hi_set.size() != 1 ||
            hi_set[0].lo != hi_set[0].hi) {
          return InvalidArgumentError("a class escape cannot bound a range at offset {}", dash);
        }
        if (lo_set[0].lo > hi_set[0].lo) {
          return InvalidArgumentError("range out of order in class at offset {}", dash);
        }
        set.push_back({lo_set[0].lo, hi_set[0].lo});
      } else {
        set.insert(set.end(), lo_set.begin(), lo_set.end());
      }
    }
    ++i_;
    set = normalize(set);
    if (negate) set = complement(set);
    return add({.kind = RegexNode::Kind::kSet, .set = std::move(set)});
  }

  Result<Ranges> class_atom() {
    if (peek() == '\\') return parse_escape(true);
    const char32_t c = peek();
    ++i_;
    return Ranges{{c, c}};
  }

  std::u32string p_;
  size_t i_ = 0;
};

Result<std::u32string> decode_utf8(std::string_view s) {
  std::u32string out;
  size_t i = 0;
  while (i < s.size()) {
    const auto b = static_cast<uint8_t>(s[i]);
    int n = 0;
    char32_t cp = 0;
    if (b < 0x80) {
      cp = b;
    } else if (b >= 0xC2 && b < 0xE0) {
      n = 1, cp = b & 0x1F;
    } else if (b >= 0xE0 && b < 0xF0) {
      n = 2, cp = b & 0x0F;
    } else if (b >= 0xF0 && b < 0xF5) {
      n = 3, cp = b & 0x07;
    } else {
      return InvalidArgumentError("pattern is not valid UTF-8 at byte {}", i);
    }
    for (int k = 1; k <= n; ++k) {
      if (i + k >= s.size())
        return InvalidArgumentError("pattern is not valid UTF-8 at byte {}", i);
      const auto c = static_cast<uint8_t>(s[i + k]);
      if ((c & 0xC0) != 0x80)
        return InvalidArgumentError("pattern is not valid UTF-8 at byte {}", i);
      cp = (cp << 6) | (c & 0x3F);
    }
    if ((n == 2 && cp < 0x800) || (n == 3 && (cp < 0x10000 || cp > kMaxCp)) ||
        (cp >= 0xD800 && cp <= 0xDFFF)) {
      return InvalidArgumentError("pattern is not valid UTF-8 at byte {}", i);
    }
    out.push_back(cp);
    i += n + 1;
  }
  return out;
}

class RegexToGrammar {
 public:
  RegexToGrammar(const std::vector<RegexNode>& nodes, Grammar* g) : nodes_(nodes), g_(g) {}

  Result<GrammarExpr> convert(int n) {
    const RegexNode& x = nodes_[n];
    switch (x.kind) {
      case RegexNode::Kind::kSet:
        return json_string_char(g_, x.set);
      case RegexNode::Kind::kSeq:
      case RegexNode::Kind::kAlt: {
        std::vector<GrammarExpr> items;
        for (int k : x.items) {
          QWL_ASSIGN_OR_RETURN(GrammarExpr e, convert(k));
          items.push_back(e);
        }
        return x.kind == RegexNode::Kind::kSeq ? g_->seq(std::move(items))
                                               : g_->alt(std::move(items));
      }
      case RegexNode::Kind::kRepeat: {
        QWL_ASSIGN_OR_RETURN(GrammarExpr e, convert(x.items[0]));
        return g_->repeat(e, x.min, x.max);
      }
      case RegexNode::Kind::kStart:
      case RegexNode::Kind::kEnd:
        return UnsupportedError("anchor '{}' inside the pattern (only at the start or end)",
                                x.kind == RegexNode::Kind::kStart ? '^' : '$');
    }
    return InternalError("pattern: unknown node");
  }

 private:
  const std::vector<RegexNode>& nodes_;
  Grammar* g_;
};

}  // namespace

Result<GrammarExpr> json_string_pattern(Grammar* g, std::string_view pattern) {
  QWL_ASSIGN_OR_RETURN(std::u32string cps, decode_utf8(pattern));
  RegexParser parser(std::move(cps));
  QWL_ASSIGN_OR_RETURN(const int root, parser.parse());
  std::vector<RegexNode>& nodes = parser.nodes;

  // Top-level alternatives; each loses the anchors at its ends.
  std::vector<int> alternatives;
  if (nodes[root].kind == RegexNode::Kind::kAlt) {
    alternatives = nodes[root].items;
  } else {
    alternatives = {root};
  }
  RegexToGrammar conv(nodes, g);
  std::vector<GrammarExpr> out;
  for (int a : alternatives) {
    std::vector<int> items;
    if (nodes[a].kind == RegexNode::Kind::kSeq) {
      items = nodes[a].items;
    } else {
      items = {a};
    }
    bool anchored_start = false, anchored_end = false;
    while (!items.empty() && nodes[items.front()].kind == RegexNode::Kind::kStart) {
      anchored_start = true;
      items.erase(items.begin());
    }
    while (!items.empty() && nodes[items.back()].kind == RegexNode::Kind::kEnd) {
      anchored_end = true;
      items.pop_back();
    }
    std::vector<GrammarExpr> seq;
    if (!anchored_start) seq.push_back(g->star(json_string_any_char(g)));
    for (int item : items) {
      QWL_ASSIGN_OR_RETURN(GrammarExpr e, conv.convert(item));
      seq.push_back(e);
    }
    if (!anchored_end) seq.push_back(g->star(json_string_any_char(g)));
    out.push_back(g->seq(std::move(seq)));
  }
  return g->alt(std::move(out));
}

}  // namespace qwl
