// The language side of search: how English and Chinese text becomes index terms and query terms,
// identically for documents and queries and on both databases (nothing here depends on a
// database's collation or text functions).
//
// Folding: ASCII lower case; Latin letters with accents lose them (café -> cafe, ß -> ss,
// pinyin ǎ -> a); full-width ASCII becomes ASCII (ＡＢＣ１２ -> abc12); a few Greek and Cyrillic
// capitals are lowered; punctuation, symbols and spaces separate tokens. Apostrophes inside a word
// join it (women's -> womens). Letters and digits split into separate tokens (500ml -> 500, ml).
//
// Chinese (and Japanese kana, Korean hangul) has no spaces: a run of such characters is one
// CJK token, indexed as overlapping character bigrams (珍珠奶茶 -> 珍珠 珠奶 奶茶) and, in short
// fields such as names, also as single characters so that a one-character query (茶) finds them.
// A query run of two or more characters matches a document whose bigrams (and, at the run's two
// ends, single characters) cover every character of the run, so 燕麦拿铁 finds 拿铁（燕麦奶） but
// 奶茶 does not find 牛奶红茶.
//
// English words are stemmed by a small, predictable rule set that maps singular and plural to
// one stem (lattes, latte -> latt; berries, berry -> berri; glasses, glass -> glass; boxes, box ->
// box); stems are never shown to users. Very common English words (a, the, with, ...) are dropped
// from queries and documents.
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace qwl::services {

// One token of folded text.
struct TextToken {
  std::string text;  // a folded word or digit run (ASCII mostly), or a CJK run (UTF-8)
  bool cjk = false;  // a run of CJK characters, one term per character
};

// Folds `text` and splits it into tokens, in order; appends to `out`. Invalid UTF-8 bytes are
// separators. Never fails.
void split_text(std::string_view text, std::vector<TextToken>* out);
std::vector<TextToken> split_text(std::string_view text);

// The stem of a folded word (digit runs are returned unchanged).
std::string stem_word(std::string_view word);

// Whether a folded word is an English stop word (dropped from documents and queries).
bool is_stopword(std::string_view word);

// Byte offsets of each character of a UTF-8 string, plus the end offset (size() + 1 entries).
std::vector<uint32_t> utf8_char_offsets(std::string_view text);

// Calls sink(term, first) for every index term of one field, in order; returns the field's length
// (English tokens + CJK characters) for length normalisation. Terms: stemmed words (stop words
// dropped), CJK bigrams and, with `cjk_unigrams`, CJK single characters; a one-character CJK run
// always yields its character. `first`: the term starts the field (the first word that is not a
// stop word; for a leading CJK run, its first character and first bigram).
template <typename Sink>
int for_each_index_term(std::string_view text, bool cjk_unigrams, std::vector<TextToken>* scratch,
                        Sink&& sink);

// A query, parsed into groups that must all match (AND).
struct QueryGroup {
  bool cjk = false;
  std::string word;                // !cjk: the stemmed word
  std::string raw;                 // !cjk: the folded word before stemming
  std::vector<std::string> chars;  // cjk: the run's characters (UTF-8), at most kMaxCjkRun
  bool last = false;               // the query's last group (type-ahead prefix candidate)
};
inline constexpr int kMaxCjkRun = 24;
inline constexpr int kMaxQueryGroups = 12;

// Splits a query into groups: one per English word that is not a stop word (unless the query has
// nothing else), one per CJK run (runs are cut at 的/了/和/与/或/在/是 and at kMaxCjkRun
// characters). At most kMaxQueryGroups groups; the rest of a longer query is ignored.
std::vector<QueryGroup> parse_query(std::string_view text);

// Canonical tokens of a name for phrase checks: stemmed words (stop words kept) and CJK runs.
std::vector<std::string> phrase_tokens(std::string_view text);

// How a query's groups sit in a name, for ranking bonuses.
struct PhraseMatch {
  bool phrase = false;  // the query's tokens appear consecutively in the name
  bool starts = false;  // ... at its start
  bool equals = false;  // the name is exactly the query
};
// `query` and `name` are phrase_tokens() outputs. A CJK query token may sit inside a longer CJK
// name run (奶茶 in 珍珠奶茶) when it is the phrase's only token, its first (a suffix) or last (a
// prefix) token.
PhraseMatch match_phrase(const std::vector<std::string>& query,
                         const std::vector<std::string>& name);

// Damerau-Levenshtein distance (adjacent transpositions count 1) between two ASCII words, or
// max_distance + 1 as soon as it is known to exceed max_distance.
int edit_distance(std::string_view a, std::string_view b, int max_distance);

// ---------------------------------------------------------------------------------------------

template <typename Sink>
int for_each_index_term(std::string_view text, bool cjk_unigrams, std::vector<TextToken>* scratch,
                        Sink&& sink) {
  scratch->clear();
  split_text(text, scratch);
  int length = 0;
  bool first = true;
  for (const TextToken& token : *scratch) {
    if (!token.cjk) {
      ++length;
      if (is_stopword(token.text)) continue;
      sink(stem_word(token.text), first);
      first = false;
      continue;
    }
    const std::vector<uint32_t> at = utf8_char_offsets(token.text);
    const size_t n = at.size() - 1;
    length += static_cast<int>(n);
    std::string_view run = token.text;
    if (n == 1 || cjk_unigrams) {
      for (size_t i = 0; i < n; ++i) {
        sink(std::string(run.substr(at[i], at[i + 1] - at[i])), first && i == 0);
      }
    }
    for (size_t i = 0; i + 1 < n; ++i) {
      sink(std::string(run.substr(at[i], at[i + 2] - at[i])), first && i == 0);
    }
    first = false;
  }
  return length;
}

}  // namespace qwl::services
