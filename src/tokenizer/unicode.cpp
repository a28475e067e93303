// UTF-8 repair, NFC and character classes for the tokenizer (see unicode.h).
#include "tokenizer/unicode.h"

#include <utf8proc.h>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <memory>
#include <vector>

#include "base/check.h"
#include "base/utf8.h"

namespace qwl {
namespace {

// The allowed range of the second byte after each lead byte (Unicode Table 3-7): the narrow
// ranges after E0, ED, F0 and F4 exclude overlongs, surrogates and values above U+10FFFF.
struct LeadInfo {
  uint8_t length;  // 0: not a valid lead byte
  uint8_t lower;
  uint8_t upper;
};

LeadInfo lead_info(uint8_t b) {
  if (b < 0x80) return {1, 0, 0};
  if (b >= 0xC2 && b <= 0xDF) return {2, 0x80, 0xBF};
  if (b == 0xE0) return {3, 0xA0, 0xBF};
  if (b == 0xED) return {3, 0x80, 0x9F};
  if (b >= 0xE1 && b <= 0xEF) return {3, 0x80, 0xBF};
  if (b == 0xF0) return {4, 0x90, 0xBF};
  if (b >= 0xF1 && b <= 0xF3) return {4, 0x80, 0xBF};
  if (b == 0xF4) return {4, 0x80, 0x8F};
  return {0, 0, 0};
}

// How many bytes of a well-formed sequence start at s[pos]: the sequence's length when all of
// it is there and valid, else -(number of bytes that form a valid but incomplete start), or 0
// when s[pos] itself is not a valid lead byte. The second case with a full-length window can
// not occur: a bad continuation byte ends the maximal subpart, reported as a negative count.
int sequence_at(std::string_view s, size_t pos) {
  const auto b0 = static_cast<uint8_t>(s[pos]);
  const LeadInfo lead = lead_info(b0);
  if (lead.length <= 1) return lead.length;
  size_t k = 1;
  for (; k < lead.length; ++k) {
    if (pos + k >= s.size()) return -static_cast<int>(k);
    const auto b = static_cast<uint8_t>(s[pos + k]);
    const uint8_t lo = k == 1 ? lead.lower : 0x80;
    const uint8_t hi = k == 1 ? lead.upper : 0xBF;
    if (b < lo || b > hi) return -static_cast<int>(k);
  }
  return lead.length;
}

bool is_js_space(char32_t cp) {
  switch (cp) {
    case 0x09:
    case 0x0A:
    case 0x0B:
    case 0x0C:
    case 0x0D:
    case 0x20:
    case 0xA0:
    case 0x1680:
    case 0x2028:
    case 0x2029:
    case 0x202F:
    case 0x205F:
    case 0x3000:
    case 0xFEFF:
      return true;
    default:
      return cp >= 0x2000 && cp <= 0x200A;
  }
}

uint8_t compute_class(char32_t cp) {
  if (is_js_space(cp)) return kCharSpace;
  switch (utf8proc_category(static_cast<utf8proc_int32_t>(cp))) {
    case UTF8PROC_CATEGORY_LU:
    case UTF8PROC_CATEGORY_LL:
    case UTF8PROC_CATEGORY_LT:
    case UTF8PROC_CATEGORY_LM:
    case UTF8PROC_CATEGORY_LO:
      return kCharLetter;
    case UTF8PROC_CATEGORY_ND:
    case UTF8PROC_CATEGORY_NL:
    case UTF8PROC_CATEGORY_NO:
      return kCharNumber;
    default:
      return 0;
  }
}

// Classes of the Basic Multilingual Plane, where nearly all text lives, precomputed so that the
// pre-tokenizer does one array load per character.
const std::array<uint8_t, 0x10000>& bmp_classes() {
  static const auto* const table = [] {
    auto* t = new std::array<uint8_t, 0x10000>();
    for (char32_t cp = 0; cp < 0x10000; ++cp) (*t)[cp] = compute_class(cp);
    return t;
  }();
  return *table;
}

// Code points that NFC never changes and that never combine with what precedes them
// (canonical combining class 0, NFC_Quick_Check=Yes); text can be normalized piecewise with cuts
// before them. Derived once from utf8proc's data for planes 0-2 (no canonical mapping lies
// beyond); higher code points count as not inert, which is only slower, never wrong.
constexpr char32_t kInertLimit = 0x30000;

std::vector<bool> build_inert_table() {
  std::vector<bool> not_inert(kInertLimit, false);
  for (char32_t cp = 0; cp < kInertLimit; ++cp) {
    if (cp >= 0xD800 && cp <= 0xDFFF) {
      not_inert[cp] = true;
      continue;
    }
    const auto c = static_cast<utf8proc_int32_t>(cp);
    if (utf8proc_get_property(c)->combining_class != 0) not_inert[cp] = true;
    utf8proc_int32_t buf[32];
    int boundclass = 0;
    const utf8proc_ssize_t n = utf8proc_decompose_char(c, buf, 32, UTF8PROC_DECOMPOSE, &boundclass);
    if (n == 1 && buf[0] == c) continue;  // no canonical decomposition
    // The last code point of a canonical decomposition may compose with what precedes it
    // (the second half of a pair, Hangul V and T jamo included): NFC_Quick_Check=Maybe.
    if (n > 1 && static_cast<char32_t>(buf[n - 1]) < kInertLimit) not_inert[buf[n - 1]] = true;
    // A decomposable character is inert only if NFC composes it back to itself.
    std::string one;
    utf8_append(cp, &one);
    if (nfc_full(one) != one) not_inert[cp] = true;
  }
  return not_inert;
}

bool nfc_inert(char32_t cp) {
  if (cp < 0x300) return true;
  if (cp >= kInertLimit) return false;
  static const std::vector<bool>* const not_inert = new std::vector<bool>(build_inert_table());
  return !(*not_inert)[cp];
}

}  // namespace

bool utf8_is_valid(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    // Skip ASCII eight bytes at a time when possible.
    while (i + 8 <= s.size()) {
      uint64_t w;
      __builtin_memcpy(&w, s.data() + i, 8);
      if (w & 0x8080808080808080ull) break;
      i += 8;
    }
    if (i >= s.size()) break;
    const int n = sequence_at(s, i);
    if (n <= 0) return false;
    i += static_cast<size_t>(n);
  }
  return true;
}

std::string utf8_sanitize(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 16);
  size_t i = 0;
  while (i < s.size()) {
    const int n = sequence_at(s, i);
    if (n > 0) {
      out.append(s.substr(i, static_cast<size_t>(n)));
      i += static_cast<size_t>(n);
    } else {
      // A bad lead byte is a subpart of length 1; an incomplete or broken sequence is one
      // subpart covering the bytes that were still valid.
      out.append("\xEF\xBF\xBD");
      i += n == 0 ? 1 : static_cast<size_t>(-n);
    }
  }
  return out;
}

size_t utf8_complete_prefix(std::string_view s) {
  // Only the last lead byte, at most 3 bytes back, can start a sequence still being received.
  const size_t lo = s.size() >= 3 ? s.size() - 3 : 0;
  for (size_t p = s.size(); p > lo;) {
    --p;
    const auto b = static_cast<uint8_t>(s[p]);
    if (b >= 0x80 && b <= 0xBF) continue;  // a continuation byte: look further back
    const int n = sequence_at(s, p);
    // Pending only when the sequence is valid so far and runs into the end of `s`.
    if (n < 0 && p + static_cast<size_t>(-n) == s.size()) return p;
    return s.size();
  }
  return s.size();
}

size_t utf8_decode(std::string_view s, size_t pos, char32_t* cp) {
  const auto b0 = static_cast<uint8_t>(s[pos]);
  if (b0 < 0x80) {
    *cp = b0;
    return 1;
  }
  if (b0 < 0xE0) {
    *cp = (char32_t{b0} & 0x1F) << 6 | (static_cast<uint8_t>(s[pos + 1]) & 0x3F);
    return 2;
  }
  if (b0 < 0xF0) {
    *cp = (char32_t{b0} & 0x0F) << 12 | (char32_t{static_cast<uint8_t>(s[pos + 1])} & 0x3F) << 6 |
          (static_cast<uint8_t>(s[pos + 2]) & 0x3F);
    return 3;
  }
  *cp = (char32_t{b0} & 0x07) << 18 | (char32_t{static_cast<uint8_t>(s[pos + 1])} & 0x3F) << 12 |
        (char32_t{static_cast<uint8_t>(s[pos + 2])} & 0x3F) << 6 |
        (static_cast<uint8_t>(s[pos + 3]) & 0x3F);
  return 4;
}

void utf8_append(char32_t cp, std::string* out) {
  utf8_encode(cp, out);
}

std::string nfc_full(std::string_view s) {
  utf8proc_uint8_t* mapped = nullptr;
  // An explicit length (no UTF8PROC_NULLTERM) keeps NUL characters inside the text.
  const utf8proc_ssize_t n = utf8proc_map(
      reinterpret_cast<const utf8proc_uint8_t*>(s.data()), static_cast<utf8proc_ssize_t>(s.size()),
      &mapped, static_cast<utf8proc_option_t>(UTF8PROC_STABLE | UTF8PROC_COMPOSE));
  // utf8proc only fails on ill-formed input or out of memory; callers pass sanitized text.
  QWL_CHECK(n >= 0, "utf8proc_map failed: {}", utf8proc_errmsg(n));
  std::unique_ptr<utf8proc_uint8_t, decltype(&std::free)> owned(mapped, &std::free);
  return std::string(reinterpret_cast<const char*>(mapped), static_cast<size_t>(n));
}

std::string_view nfc_view(std::string_view s, std::string* storage) {
  // Below U+0300 every character is inert; their UTF-8 has no byte >= 0xCC.
  size_t first = 0;
  while (first < s.size() && static_cast<uint8_t>(s[first]) < 0xCC) ++first;
  if (first == s.size()) return s;
  // Back up to the start of the character that holds the byte.
  while (first > 0 && (static_cast<uint8_t>(s[first]) & 0xC0) == 0x80) --first;

  size_t copied = 0;  // s[0, copied) is already in *storage
  // Start of the last inert character seen, where the text may be cut: at first, the
  // character before `first` (all characters before it are below U+0300).
  size_t boundary = first > 0 ? first - 1 : 0;
  while (boundary > 0 && (static_cast<uint8_t>(s[boundary]) & 0xC0) == 0x80) --boundary;
  bool changed = false;
  for (size_t pos = first; pos < s.size();) {
    char32_t cp;
    const size_t len = utf8_decode(s, pos, &cp);
    if (nfc_inert(cp)) {
      boundary = pos;
      pos += len;
      continue;
    }
    // A stretch that NFC may change: from the inert character before it (which a mark may
    // compose with) to the next inert character.
    size_t end = pos + len;
    while (end < s.size()) {
      char32_t next;
      const size_t next_len = utf8_decode(s, end, &next);
      if (nfc_inert(next)) break;
      end += next_len;
    }
    if (!changed) {
      storage->clear();
      storage->reserve(s.size() + 16);
      changed = true;
    }
    const size_t start = std::max(boundary, copied);
    storage->append(s.substr(copied, start - copied));
    storage->append(nfc_full(s.substr(start, end - start)));
    copied = end;
    boundary = end;
    pos = end;
  }
  if (!changed) return s;
  storage->append(s.substr(copied));
  return *storage;
}

std::string nfc(std::string_view s) {
  std::string storage;
  const std::string_view out = nfc_view(s, &storage);
  return out.data() == storage.data() ? std::move(storage) : std::string(out);
}

uint8_t char_class(char32_t cp) {
  if (cp < 0x10000) return bmp_classes()[cp];
  return compute_class(cp);
}

}  // namespace qwl
