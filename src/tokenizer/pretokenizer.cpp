// The Qwen2 split regex as a hand-written matcher over code points (see pretokenizer.h).
// Each branch below is one alternative of the regex, tried in the regex's order; the comments
// say how the regex's backtracking resolves when the greedy attempt fails.
#include "tokenizer/pretokenizer.h"

#include <cstdint>

#include "tokenizer/unicode.h"

namespace qwl {
namespace {

struct Decoded {
  std::vector<char32_t> cps;
  std::vector<uint8_t> cls;
  std::vector<size_t> offsets;  // byte offset of each code point, plus the end
};

char32_t ascii_lower(char32_t c) {
  return (c >= 'A' && c <= 'Z') ? c + ('a' - 'A') : c;
}
bool is_crlf(char32_t c) {
  return c == '\r' || c == '\n';
}

class Splitter {
 public:
  explicit Splitter(const Decoded& d) : cps_(d.cps), cls_(d.cls), n_(d.cps.size()) {}

  // The end (exclusive) of the match that starts at code point i.
  size_t match(size_t i) const {
    const char32_t c = cps_[i];
    // (?i:'s|'t|'re|'ve|'m|'ll|'d)
    if (c == '\'' && i + 1 < n_) {
      const char32_t c1 = ascii_lower(cps_[i + 1]);
      if (c1 == 's' || c1 == 't' || c1 == 'm' || c1 == 'd') return i + 2;
      if (i + 2 < n_) {
        const char32_t c2 = ascii_lower(cps_[i + 2]);
        if ((c1 == 'r' && c2 == 'e') || (c1 == 'v' && c2 == 'e') || (c1 == 'l' && c2 == 'l')) {
          return i + 3;
        }
      }
    }
    // [^\r\n\p{L}\p{N}]?\p{L}+ : a letter run, optionally after one character that is neither
    // a letter, a number nor CR/LF (a letter can not be that prefix, so a letter starts the run).
    if (letter(i)) return letter_run(i);
    if (!number(i) && !is_crlf(c) && i + 1 < n_ && letter(i + 1)) return letter_run(i + 1);
    // \p{N}
    if (number(i)) return i + 1;
    // ' ?[^\s\p{L}\p{N}]+[\r\n]*' : the optional prefix is U+0020 only.
    {
      size_t k = c == ' ' ? i + 1 : i;
      if (k < n_ && other(k)) {
        while (k < n_ && other(k)) ++k;
        while (k < n_ && is_crlf(cps_[k])) ++k;
        return k;
      }
    }
    // What is left at i is whitespace.
    size_t end = i;
    while (end < n_ && space(end)) ++end;
    // \s*[\r\n]+ : \s* gives back characters until a CR/LF follows, so the match ends just
    // after the last CR/LF of the whitespace run.
    for (size_t k = end; k > i; --k) {
      if (is_crlf(cps_[k - 1])) return k;
    }
    // \s+(?!\S) : the whole run at the end of the text, else the run minus its last character
    // (which is then followed by whitespace); a single space before a non-space fails here.
    if (end == n_) return end;
    if (end - 1 > i) return end - 1;
    // \s+
    return end;
  }

 private:
  bool letter(size_t k) const { return cls_[k] & kCharLetter; }
  bool number(size_t k) const { return cls_[k] & kCharNumber; }
  bool space(size_t k) const { return cls_[k] & kCharSpace; }
  bool other(size_t k) const { return cls_[k] == 0; }
  size_t letter_run(size_t k) const {
    while (k < n_ && letter(k)) ++k;
    return k;
  }

  const std::vector<char32_t>& cps_;
  const std::vector<uint8_t>& cls_;
  size_t n_;
};

}  // namespace

void split_qwen2(std::string_view text, std::vector<std::string_view>* pieces) {
  if (text.empty()) return;
  // Decoding first keeps the matcher simple (it looks ahead up to two code points and scans
  // runs); thread_local buffers avoid reallocating them for every piece of text.
  thread_local Decoded d;
  d.cps.clear();
  d.cls.clear();
  d.offsets.clear();
  for (size_t pos = 0; pos < text.size();) {
    char32_t cp;
    const size_t len = utf8_decode(text, pos, &cp);
    d.cps.push_back(cp);
    d.cls.push_back(char_class(cp));
    d.offsets.push_back(pos);
    pos += len;
  }
  d.offsets.push_back(text.size());

  const Splitter splitter(d);
  const size_t n = d.cps.size();
  for (size_t i = 0; i < n;) {
    const size_t j = splitter.match(i);
    pieces->push_back(text.substr(d.offsets[i], d.offsets[j] - d.offsets[i]));
    i = j;
  }
  // Do not keep a huge text's buffers (13 bytes per character) alive in every thread.
  constexpr size_t kKeepChars = size_t{1} << 20;
  if (d.cps.capacity() > kKeepChars) d = Decoded();
}

}  // namespace qwl
