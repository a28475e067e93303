// Folding, splitting and stemming of search text (see text_segment.h).
#include "services/text_segment.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdlib>
#include <iterator>

#include "base/utf8.h"

namespace qwl::services {
namespace {

// ASCII base letters of U+00C0..U+024F and U+1E00..U+1EFF, two characters per code point
// ("a ", "ae", "th"; "  " = not a Latin letter with a base we fold to). Generated once from
// Unicode's compatibility decompositions with the combining marks removed, plus the letters that
// have no decomposition (æ ð ø þ ß đ ħ ı ł ŋ œ ŧ ſ).
constexpr std::string_view kLatinFold =
    "a a a a a a aec e e e e i i i i d n o o o o o   o u u u u y thss"
    "a a a a a a aec e e e e i i i i d n o o o o o   o u u u u y thy "
    "a a a a a a c c c c c c c c d d d d e e e e e e e e e e g g g g "
    "g g g g h h h h i i i i i i i i i i ijijj j k k k l l l l l l l "
    "l l l n n n n n n n n n o o o o o o oeoer r r r r r s s s s s s "
    "s s t t t t t t u u u u u u u u u u u u w w y y y z z z z z z s "
    "                                                                "
    "o o                           u u                               "
    "        dzdzdzljljljnjnjnja a i i o o u u u u u u u u u u   a a "
    "a a         g g k k o o o o     j dzdzdzg g     n n a a         "
    "a a a a e e e e i i i i o o o o r r r r u u u u s s t t     h h "
    "            a a e e o o o o o o o o y y                         "
    "                                ";
constexpr std::string_view kLatinExtAdditionalFold =
    "a a b b b b b b c c d d d d d d d d d d e e e e e e e e e e f f "
    "g g h h h h h h h h h h i i i i k k k k k k l l l l l l l l m m "
    "m m m m n n n n n n n n o o o o o o o o p p p p r r r r r r r r "
    "s s s s s s s s s s t t t t t t t t u u u u u u u u u u v v v v "
    "w w w w w w w w w w x x x x y y z z z z z z h t w y   s     ss  "
    "a a a a a a a a a a a a a a a a a a a a a a a a e e e e e e e e "
    "e e e e e e e e i i i i o o o o o o o o o o o o o o o o o o o o "
    "o o o o u u u u u u u u u u u u u u y y y y y y y y             ";

enum class CharClass { kSeparator, kWord, kDigit, kCjk, kJoiner, kIgnore };

// Decodes one UTF-8 character at text[*i]; advances *i. Invalid bytes decode as U+FFFD.
char32_t decode(std::string_view text, size_t* i) {
  const auto b0 = static_cast<unsigned char>(text[*i]);
  auto cont = [&](size_t k) -> int {
    if (*i + k >= text.size()) return -1;
    const auto b = static_cast<unsigned char>(text[*i + k]);
    return (b & 0xC0) == 0x80 ? (b & 0x3F) : -1;
  };
  if (b0 < 0x80) {
    *i += 1;
    return b0;
  }
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    const int c1 = cont(1);
    if (c1 >= 0) {
      *i += 2;
      return ((b0 & 0x1F) << 6) | c1;
    }
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    const int c1 = cont(1), c2 = cont(2);
    if (c1 >= 0 && c2 >= 0) {
      const char32_t cp = ((b0 & 0x0F) << 12) | (c1 << 6) | c2;
      if (cp >= 0x800 && (cp < 0xD800 || cp > 0xDFFF)) {
        *i += 3;
        return cp;
      }
    }
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    const int c1 = cont(1), c2 = cont(2), c3 = cont(3);
    if (c1 >= 0 && c2 >= 0 && c3 >= 0) {
      const char32_t cp = ((b0 & 0x07) << 18) | (c1 << 12) | (c2 << 6) | c3;
      if (cp >= 0x10000 && cp <= 0x10FFFF) {
        *i += 4;
        return cp;
      }
    }
  }
  *i += 1;
  return 0xFFFD;
}

bool is_cjk(char32_t c) {
  return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) ||
         (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x20000 && c <= 0x2FA1F) ||
         (c >= 0x3040 && c <= 0x30FF && c != 0x30FB) ||  // kana, without the middle dot
         (c >= 0xAC00 && c <= 0xD7AF) || c == 0x3007;    // hangul; 〇 (zero)
}

// Folds one code point: its class and, for word and digit characters, the ASCII (or kept)
// characters to append.
CharClass fold(char32_t c, std::string* folded) {
  folded->clear();
  if (c >= 0xFF01 && c <= 0xFF5E) c -= 0xFEE0;  // full-width ASCII
  if (c < 0x80) {
    if (c >= 'A' && c <= 'Z') c += 'a' - 'A';
    if (c >= 'a' && c <= 'z') {
      folded->push_back(static_cast<char>(c));
      return CharClass::kWord;
    }
    if (c >= '0' && c <= '9') {
      folded->push_back(static_cast<char>(c));
      return CharClass::kDigit;
    }
    return c == '\'' ? CharClass::kJoiner : CharClass::kSeparator;
  }
  if (c == 0x2019) return CharClass::kJoiner;                 // ’
  if (c >= 0x0300 && c <= 0x036F) return CharClass::kIgnore;  // combining accents
  std::string_view base;
  if (c >= 0xC0 && c < 0x250) base = kLatinFold.substr((c - 0xC0) * 2, 2);
  if (c >= 0x1E00 && c < 0x1F00) base = kLatinExtAdditionalFold.substr((c - 0x1E00) * 2, 2);
  if (!base.empty()) {
    if (base[0] == ' ') {
      if (c == 0xD7 || c == 0xF7) return CharClass::kSeparator;  // × ÷
      utf8_encode(c, folded);  // a letter without an ASCII base: kept as it is
      return CharClass::kWord;
    }
    folded->push_back(base[0]);
    if (base[1] != ' ') folded->push_back(base[1]);
    return CharClass::kWord;
  }
  if (is_cjk(c)) {
    utf8_encode(c, folded);
    return CharClass::kCjk;
  }
  // Greek and Cyrillic capitals to lower case; the letters themselves are words.
  if (c >= 0x391 && c <= 0x3A9 && c != 0x3A2) c += 0x20;
  if (c >= 0x410 && c <= 0x42F) c += 0x20;
  if ((c >= 0x370 && c <= 0x3FF) || (c >= 0x400 && c <= 0x4FF)) {
    utf8_encode(c, folded);
    return CharClass::kWord;
  }
  return CharClass::kSeparator;
}

constexpr std::string_view kStopwords[] = {
    "a",   "about", "an", "and",    "any",  "are",  "as",   "at",  "be",   "by",
    "for", "from",  "i",  "in",     "is",   "it",   "me",   "my",  "near", "nearby",
    "of",  "on",    "or", "please", "show", "some", "that", "the", "this", "to",
    "us",  "want",  "we", "what",   "with", "you",  "your"};

// CJK function characters that cut a query run: they join words rather than belong to them.
bool is_cjk_cut(std::string_view ch) {
  static constexpr std::array<std::string_view, 7> kCuts = {"的", "了", "和", "与",
                                                            "或", "在", "是"};
  return std::find(kCuts.begin(), kCuts.end(), ch) != kCuts.end();
}

bool is_vowel(char c) {
  return c == 'a' || c == 'e' || c == 'i' || c == 'o' || c == 'u';
}

}  // namespace

void split_text(std::string_view text, std::vector<TextToken>* out) {
  std::string folded;
  CharClass current = CharClass::kSeparator;  // class of the open token
  bool open = false;
  // Appends to the open token of class `cls` (opening one if needed).
  auto token = [&](CharClass cls) -> std::string& {
    if (!open || cls != current) {
      out->push_back(TextToken{.text = {}, .cjk = cls == CharClass::kCjk});
      current = cls;
      open = true;
    }
    return out->back().text;
  };
  size_t i = 0;
  while (i < text.size()) {
    const auto byte = static_cast<unsigned char>(text[i]);
    if (byte < 0x80 && byte != '\'') {
      // ASCII (most of the text searched): classified here, without decoding or folding.
      const char lower = static_cast<char>(byte >= 'A' && byte <= 'Z' ? byte + ('a' - 'A') : byte);
      ++i;
      if (lower >= 'a' && lower <= 'z') {
        token(CharClass::kWord).push_back(lower);
      } else if (lower >= '0' && lower <= '9') {
        token(CharClass::kDigit).push_back(lower);
      } else {
        open = false;
      }
      continue;
    }
    const size_t start = i;
    const char32_t c = decode(text, &i);
    const CharClass cls = fold(c, &folded);
    if (cls == CharClass::kIgnore) continue;
    if (cls == CharClass::kJoiner) {
      // An apostrophe joins letters (women's); anywhere else it separates.
      const bool inside = open && current == CharClass::kWord && i < text.size() &&
                          std::isalpha(static_cast<unsigned char>(text[i]));
      if (!inside) open = false;
      continue;
    }
    if (cls == CharClass::kSeparator) {
      open = false;
      continue;
    }
    if (cls == CharClass::kCjk) {
      token(cls).append(text.substr(start, i - start));  // valid UTF-8, kept as it is
    } else {
      token(cls) += folded;
    }
  }
}

std::vector<TextToken> split_text(std::string_view text) {
  std::vector<TextToken> out;
  split_text(text, &out);
  return out;
}

std::string stem_word(std::string_view word) {
  std::string w(word);
  if (w.empty() || (w[0] >= '0' && w[0] <= '9')) return w;
  for (char c : w) {
    if (static_cast<unsigned char>(c) >= 0x80) return w;  // not an ASCII word: as it is
  }
  auto ends = [&](std::string_view s) { return w.size() >= s.size() && w.ends_with(s); };
  // Plural s (not in -ss or -us: glass, bus), then a final e, so that both forms of
  // boxes/box, glasses/glass, cookies/cookie, tomatoes/tomato meet at one stem.
  if (w.size() >= 4 && ends("s") && !ends("ss") && !ends("us")) w.pop_back();
  if (w.size() >= 4 && ends("e")) w.pop_back();
  // -y after a consonant and -ie meet at -i: berry/berries -> berri, candy/candies -> candi.
  if (w.size() >= 3 && ends("y") && !is_vowel(w[w.size() - 2])) w.back() = 'i';
  return w;
}

bool is_stopword(std::string_view word) {
  return std::find(std::begin(kStopwords), std::end(kStopwords), word) != std::end(kStopwords);
}

std::vector<uint32_t> utf8_char_offsets(std::string_view text) {
  std::vector<uint32_t> at;
  size_t i = 0;
  while (i < text.size()) {
    at.push_back(static_cast<uint32_t>(i));
    decode(text, &i);
  }
  at.push_back(static_cast<uint32_t>(text.size()));
  return at;
}

std::vector<QueryGroup> parse_query(std::string_view text) {
  const std::vector<TextToken> tokens = split_text(text);
  bool has_content = false;
  for (const TextToken& t : tokens) has_content |= t.cjk || !is_stopword(t.text);
  std::vector<QueryGroup> groups;
  for (const TextToken& t : tokens) {
    if (static_cast<int>(groups.size()) >= kMaxQueryGroups) break;
    if (!t.cjk) {
      if (has_content && is_stopword(t.text)) continue;
      groups.push_back(QueryGroup{.cjk = false, .word = stem_word(t.text), .raw = t.text});
      continue;
    }
    const std::vector<uint32_t> at = utf8_char_offsets(t.text);
    QueryGroup run{.cjk = true};
    auto flush = [&] {
      if (!run.chars.empty() && static_cast<int>(groups.size()) < kMaxQueryGroups) {
        groups.push_back(std::move(run));
      }
      run = QueryGroup{.cjk = true};
    };
    for (size_t i = 0; i + 1 < at.size(); ++i) {
      std::string_view ch = std::string_view(t.text).substr(at[i], at[i + 1] - at[i]);
      if (is_cjk_cut(ch)) {
        flush();
        continue;
      }
      if (static_cast<int>(run.chars.size()) == kMaxCjkRun) flush();
      run.chars.emplace_back(ch);
    }
    flush();
  }
  if (!groups.empty()) groups.back().last = true;
  return groups;
}

std::vector<std::string> phrase_tokens(std::string_view text) {
  std::vector<std::string> out;
  for (TextToken& t : split_text(text)) {
    out.push_back(t.cjk ? std::move(t.text) : stem_word(t.text));
  }
  return out;
}

PhraseMatch match_phrase(const std::vector<std::string>& query,
                         const std::vector<std::string>& name) {
  PhraseMatch m;
  const size_t n = query.size();
  if (n == 0 || n > name.size()) return m;
  auto cjk = [](const std::string& s) {
    return !s.empty() && static_cast<unsigned char>(s[0]) >= 0xE0;
  };
  for (size_t start = 0; start + n <= name.size(); ++start) {
    bool ok = true;
    bool exact = true;
    for (size_t j = 0; j < n && ok; ++j) {
      const std::string& q = query[j];
      const std::string& t = name[start + j];
      if (q == t) continue;
      exact = false;
      if (!cjk(q) || !cjk(t)) {
        ok = false;
      } else if (n == 1) {
        ok = t.find(q) != std::string::npos;
      } else if (j == 0) {
        ok = t.ends_with(q);
      } else if (j == n - 1) {
        ok = t.starts_with(q);
      } else {
        ok = false;
      }
    }
    if (!ok) continue;
    m.phrase = true;
    if (start == 0 && (exact || name[0].starts_with(query[0]))) m.starts = true;
    if (start == 0 && exact && n == name.size()) m.equals = true;
  }
  return m;
}

int edit_distance(std::string_view a, std::string_view b, int max_distance) {
  const int n = static_cast<int>(a.size());
  const int m = static_cast<int>(b.size());
  if (std::abs(n - m) > max_distance) return max_distance + 1;
  // Three rows of the optimal-string-alignment table.
  std::vector<int> prev2(m + 1), prev(m + 1), cur(m + 1);
  for (int j = 0; j <= m; ++j) prev[j] = j;
  for (int i = 1; i <= n; ++i) {
    cur[0] = i;
    int row_min = cur[0];
    for (int j = 1; j <= m; ++j) {
      const int cost = a[i - 1] == b[j - 1] ? 0 : 1;
      int d = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        d = std::min(d, prev2[j - 2] + 1);
      }
      cur[j] = d;
      row_min = std::min(row_min, d);
    }
    if (row_min > max_distance) return max_distance + 1;
    std::swap(prev2, prev);
    std::swap(prev, cur);
  }
  return std::min(prev[m], max_distance + 1);
}

}  // namespace qwl::services
