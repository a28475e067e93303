// Search: answering queries over the in-memory index (see search.h; search.cpp builds it).
#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <numeric>
#include <unordered_map>

#include "services/search.h"
#include "services/search_internal.h"

namespace qwl::services {
using namespace search_internal;  // NOLINT(google-build-using-namespace): search's own types

namespace {

using Data = SearchIndex::Data;

// Catalog matches (products only): the product's own category, a parent category, its brand.
const float kCategorySat = saturate(2.0f);
const float kParentCategorySat = saturate(1.0f);
const float kBrandSat = saturate(2.0f);

// How much an expanded word counts against the word itself.
constexpr float kPrefixPenalty = 0.8f;
constexpr float kTypo1Penalty = 0.7f;
constexpr float kTypo2Penalty = 0.5f;
constexpr int kMaxPrefixTerms = 32;
constexpr int kMaxTypoTerms = 8;
constexpr float kItemShare = 0.8f;  // a merchant's score takes this share of its best item's

double distance_m(double lat1, double lon1, double lat2, double lon2) {
  constexpr double kEarthRadiusM = 6'371'008.8;
  constexpr double kRad = 3.14159265358979323846 / 180.0;
  const double dlat = (lat2 - lat1) * kRad;
  const double dlon = (lon2 - lon1) * kRad;
  const double a =
      std::sin(dlat / 2) * std::sin(dlat / 2) +
      std::cos(lat1 * kRad) * std::cos(lat2 * kRad) * std::sin(dlon / 2) * std::sin(dlon / 2);
  return 2 * kEarthRadiusM * std::asin(std::min(1.0, std::sqrt(a)));
}

// One term a query group looks for, with what it is worth.
struct GroupTerm {
  std::string term;
  float penalty = 1;  // 1, or less for prefix and typo expansions
  uint32_t mask = 1;  // CJK: the run's characters it covers (bit i = character i)
  float unit = 1;     // CJK: 1 for a bigram, 0.5 for a single character
};

// A query group resolved against the vocabularies: a document matches it when the masks of the
// terms it holds cover `required`.
struct Group {
  bool cjk = false;
  std::vector<GroupTerm> terms;
  uint32_t required = 1;
  float norm = 1;  // CJK: the number of bigrams that exist
};

// The vocabularies one search looks in (the term indexes of its kind, and for products the
// catalog's category and brand terms).
class Vocab {
 public:
  Vocab(std::vector<const TermIndex*> indexes, const std::vector<std::string>* catalog)
      : indexes_(std::move(indexes)), catalog_(catalog) {}

  int64_t df(std::string_view term) const {
    int64_t n = 0;
    for (const TermIndex* x : indexes_) {
      if (std::optional<uint32_t> id = x->find(term)) n += x->df(*id);
    }
    if (catalog_ != nullptr && std::binary_search(catalog_->begin(), catalog_->end(), term)) ++n;
    return n;
  }
  bool exists(std::string_view term) const { return df(term) > 0; }

  // Calls fn(term, df) for every term starting with `prefix` (a term in several indexes once
  // per index; filter terms never).
  template <typename Fn>
  void for_each_with_prefix(std::string_view prefix, Fn&& fn) const {
    for (const TermIndex* x : indexes_) {
      x->for_each_with_prefix(prefix, [&](uint32_t id, std::string_view term) {
        if (term[0] != '\x01') fn(term, static_cast<int64_t>(x->df(id)));
      });
    }
    if (catalog_ != nullptr) {
      for (auto it = std::lower_bound(catalog_->begin(), catalog_->end(), prefix);
           it != catalog_->end() && it->starts_with(prefix); ++it) {
        fn(std::string_view(*it), int64_t{1});
      }
    }
  }

 private:
  std::vector<const TermIndex*> indexes_;
  const std::vector<std::string>* catalog_;
};

bool ascii_word(std::string_view w) {
  for (char c : w) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))) return false;
  }
  return !w.empty();
}

// (rank, term) pairs gathered over several indexes: one per term, the ranks summed, best first.
template <typename Rank>
std::vector<std::pair<Rank, std::string>> merge_found(
    std::vector<std::pair<std::string, Rank>> found, size_t keep) {
  std::sort(found.begin(), found.end());
  std::vector<std::pair<Rank, std::string>> out;
  for (size_t i = 0; i < found.size();) {
    size_t j = i;
    Rank rank = found[i].second;
    while (++j < found.size() && found[j].first == found[i].first) rank = rank + found[j].second;
    out.emplace_back(rank, std::move(found[i].first));
    i = j;
  }
  std::sort(out.begin(), out.end());
  if (out.size() > keep) out.resize(keep);
  return out;
}

// (edit distance, -df): summing over indexes keeps the distance and adds the counts.
struct TypoRank {
  int distance;
  int64_t neg_df;
  TypoRank operator+(const TypoRank& o) const { return TypoRank{distance, neg_df + o.neg_df}; }
  auto operator<=>(const TypoRank&) const = default;
};

// Expansions of a word: (term, penalty), best first, deterministic.
std::vector<GroupTerm> expand_word(const QueryGroup& q, const Vocab& vocab, bool prefix) {
  std::vector<GroupTerm> out;
  const bool exact = vocab.exists(q.word);
  if (exact) out.push_back(GroupTerm{.term = q.word});
  if (prefix && q.last && q.raw.size() >= 2) {
    // The most frequent words that continue it.
    std::vector<std::pair<std::string, int64_t>> found;
    vocab.for_each_with_prefix(q.word, [&](std::string_view t, int64_t df) {
      if (t != q.word) found.emplace_back(std::string(t), -df);
    });
    for (auto& [rank, t] : merge_found(std::move(found), kMaxPrefixTerms)) {
      out.push_back(GroupTerm{.term = std::move(t), .penalty = kPrefixPenalty});
    }
  }
  if (exact || !out.empty() || q.word.size() < 4 || !ascii_word(q.word)) return out;
  // A typo: the same first letter, within one edit (two from 8 letters).
  const int max_d = q.word.size() >= 8 ? 2 : 1;
  std::vector<std::pair<std::string, TypoRank>> found;
  vocab.for_each_with_prefix(q.word.substr(0, 1), [&](std::string_view t, int64_t df) {
    if (std::abs(static_cast<int>(t.size()) - static_cast<int>(q.word.size())) > max_d) return;
    const int d = edit_distance(q.word, t, max_d);
    if (d <= max_d) found.emplace_back(std::string(t), TypoRank{d, -df});
  });
  for (auto& [rank, t] : merge_found(std::move(found), kMaxTypoTerms)) {
    out.push_back(GroupTerm{.term = std::move(t),
                            .penalty = rank.distance == 1 ? kTypo1Penalty : kTypo2Penalty});
  }
  return out;
}

// Resolves the query's groups; nullopt when one of them cannot match anything.
std::optional<std::vector<Group>> resolve(const std::vector<QueryGroup>& parsed, const Vocab& vocab,
                                          bool prefix) {
  std::vector<Group> groups;
  for (const QueryGroup& q : parsed) {
    Group g;
    g.cjk = q.cjk;
    if (!q.cjk) {
      g.terms = expand_word(q, vocab, prefix);
      if (g.terms.empty()) return std::nullopt;
      groups.push_back(std::move(g));
      continue;
    }
    const size_t k = q.chars.size();
    if (k == 1) {
      if (!vocab.exists(q.chars[0])) return std::nullopt;
      g.terms.push_back(GroupTerm{.term = q.chars[0]});
      groups.push_back(std::move(g));
      continue;
    }
    // Bigrams that occur anywhere decide which characters must be covered: a character no
    // existing bigram covers is noise of the query (a word the catalog never uses).
    g.required = 0;
    int bigrams = 0;
    for (size_t i = 0; i + 1 < k; ++i) {
      std::string bigram = q.chars[i] + q.chars[i + 1];
      if (!vocab.exists(bigram)) continue;
      const uint32_t mask = (1u << i) | (1u << (i + 1));
      g.required |= mask;
      g.terms.push_back(GroupTerm{.term = std::move(bigram), .mask = mask});
      ++bigrams;
    }
    if (bigrams == 0) return std::nullopt;
    if (k >= 3) {
      // The run's ends may also be covered by the character alone (芒果冰 finds 冰芒果).
      for (size_t i : {size_t{0}, k - 1}) {
        if (g.required & (1u << i)) {
          g.terms.push_back(GroupTerm{.term = q.chars[i], .mask = 1u << i, .unit = 0.5f});
        }
      }
    }
    g.norm = static_cast<float>(bigrams);
    groups.push_back(std::move(g));
  }
  return groups;
}

// A posting list that counts for a group with a fixed saturation (a category or brand match).
struct CatalogSource {
  std::string term;
  float sat;
};

// Categories and brands whose names match the group, as product filter terms with their worth.
std::vector<CatalogSource> catalog_sources(const Data& d, const Group& g) {
  // Coverage of the group by a sorted term list: the best penalty, or 0 when not covered.
  auto covers = [&](const std::vector<std::string>& terms) -> float {
    uint32_t mask = 0;
    float best = 0;
    for (const GroupTerm& t : g.terms) {
      if (std::binary_search(terms.begin(), terms.end(), t.term)) {
        mask |= t.mask;
        best = std::max(best, t.penalty);
      }
    }
    return (mask & g.required) == g.required ? best : 0;
  };
  std::map<int64_t, float> categories;  // category id -> sat
  for (const CategoryInfo& c : d.categories) {
    const float penalty = covers(c.terms);
    if (penalty == 0) continue;
    for (uint32_t sub : c.subtree) {
      const int64_t id = d.categories[sub].id;
      const float sat = (id == c.id ? kCategorySat : kParentCategorySat) * penalty;
      float& best = categories[id];
      best = std::max(best, sat);
    }
  }
  std::vector<CatalogSource> out;
  for (const auto& [id, sat] : categories) out.push_back(CatalogSource{category_term(id), sat});
  for (const BrandInfo& b : d.brands) {
    const float penalty = covers(b.terms);
    if (penalty > 0) out.push_back(CatalogSource{brand_term(b.id), kBrandSat * penalty});
  }
  return out;
}

struct GroupHit {
  uint32_t slot;
  float sat;
  bool name;   // the group is matched inside the document's name
  bool start;  // ... and a name starts with it
};

// The posting lists one group reads in one index: its terms, and for products the catalog's.
struct Source {
  PostingCursor cursor;
  const GroupTerm* term;  // null: a catalog source
  float fixed;            // a catalog source's saturation
};

std::vector<Source> make_sources(const TermIndex& index, const Group& g,
                                 const std::vector<CatalogSource>& catalog) {
  std::vector<Source> sources;
  for (const GroupTerm& t : g.terms) {
    if (std::optional<uint32_t> id = index.find(t.term)) {
      sources.push_back(Source{index.cursor(*id), &t, 0});
    }
  }
  for (const CatalogSource& c : catalog) {
    if (std::optional<uint32_t> id = index.find(c.term)) {
      sources.push_back(Source{index.cursor(*id), nullptr, c.sat});
    }
  }
  return sources;
}

// The postings a group reads (dead slots included): its size for IDF and for choosing which
// group to walk. An estimate (a document in two of its lists counts twice), but the same one
// however the group is evaluated, so scores do not depend on the plan.
size_t group_df(const TermIndex& index, const Group& g, const std::vector<CatalogSource>& catalog) {
  size_t n = 0;
  for (const GroupTerm& t : g.terms) {
    if (std::optional<uint32_t> id = index.find(t.term)) n += index.df(*id);
  }
  for (const CatalogSource& c : catalog) {
    if (std::optional<uint32_t> id = index.find(c.term)) n += index.df(*id);
  }
  return n;
}

float idf(uint32_t n_docs, size_t df) {
  const double n = static_cast<double>(std::min<size_t>(df, n_docs));
  return static_cast<float>(std::log(1 + (n_docs - n + 0.5) / (n + 0.5)));
}
float idf_of(const TermIndex& index, size_t df) {
  return idf(std::max<uint32_t>(index.n_alive(), 1), df);
}

// What the postings of one group say about one slot.
struct SlotAcc {
  float text = 0;
  float catalog = 0;
  uint32_t mask = 0;
  uint32_t name_mask = 0;
  bool start = false;

  void add(const Source& src, uint8_t weight, const Group& g) {
    if (src.term == nullptr) {
      catalog = std::max(catalog, src.fixed);
      mask |= g.required;
      return;
    }
    const float v = sat_of(weight) * src.term->penalty;
    text = g.cjk ? text + v * src.term->unit : std::max(text, v);
    mask |= src.term->mask;
    if (weight & kNameBit) name_mask |= src.term->mask;
    if ((weight & kStartBit) && (src.term->mask & 1)) start = true;
  }
  bool matches(const Group& g) const { return (mask & g.required) == g.required; }
  GroupHit hit(uint32_t slot, const Group& g) const {
    const float t = g.cjk ? std::min(text / g.norm, kMaxSat) : text;
    return GroupHit{slot, t + catalog, (name_mask & g.required) == g.required, start};
  }
};

// Calls sink(GroupHit) for the live documents of one index that match a group, in slot order
// (one posting list is walked directly; several are merged window by window).
constexpr uint32_t kScanWindow = 4096;
template <typename Sink>
void scan_group(const TermIndex& index, const Group& g, const std::vector<CatalogSource>& catalog,
                Sink&& sink) {
  std::vector<Source> sources = make_sources(index, g, catalog);
  if (sources.size() == 1 && sources[0].term != nullptr && g.required == sources[0].term->mask) {
    // One word, one term (the common case): no merge needed.
    const Source& src = sources[0];
    for (PostingCursor& c = sources[0].cursor; c.valid(); c.next()) {
      if (!index.alive(c.slot())) continue;
      SlotAcc acc;
      acc.add(src, c.weight(), g);
      sink(acc.hit(c.slot(), g));
    }
    return;
  }
  // Several lists: accumulate them a window of slots at a time (cache-sized; cheaper per posting
  // than a heap merge), then emit the window's slots in order. Within a slot the sources add up
  // in their fixed order, so the result never depends on timing.
  std::vector<SlotAcc> window(kScanWindow);
  uint64_t touched[kScanWindow / 64] = {};
  while (true) {
    uint32_t next = kNoSlot;
    for (const Source& src : sources) next = std::min(next, src.cursor.slot());
    if (next == kNoSlot) break;
    const uint32_t base = next - next % kScanWindow;
    const uint32_t end = base + kScanWindow;
    for (Source& src : sources) {
      for (PostingCursor& c = src.cursor; c.valid() && c.slot() < end; c.next()) {
        const uint32_t i = c.slot() - base;
        uint64_t& word = touched[i / 64];
        if (!(word & (uint64_t{1} << (i % 64)))) {
          word |= uint64_t{1} << (i % 64);
          window[i] = SlotAcc();
        }
        window[i].add(src, c.weight(), g);
      }
    }
    for (uint32_t k = 0; k < kScanWindow / 64; ++k) {
      for (uint64_t bits = touched[k]; bits != 0; bits &= bits - 1) {
        const uint32_t i = k * 64 + static_cast<uint32_t>(__builtin_ctzll(bits));
        if (window[i].matches(g) && index.alive(base + i)) sink(window[i].hit(base + i, g));
      }
      touched[k] = 0;
    }
  }
}

std::vector<GroupHit> eval_group(const TermIndex& index, const Group& g,
                                 const std::vector<CatalogSource>& catalog) {
  std::vector<GroupHit> out;
  scan_group(index, g, catalog, [&](const GroupHit& h) { out.push_back(h); });
  return out;
}

// A group evaluated at given slots, in increasing order (its lists are sought, not walked):
// for the larger groups of an AND, once the smallest has named the candidates.
class GroupProbe {
 public:
  GroupProbe(const TermIndex& index, const Group& g, const std::vector<CatalogSource>& catalog)
      : g_(&g), sources_(make_sources(index, g, catalog)) {}
  std::optional<GroupHit> at(uint32_t slot) {
    SlotAcc acc;
    for (Source& src : sources_) {
      src.cursor.seek(slot);
      if (src.cursor.slot() == slot) acc.add(src, src.cursor.weight(), *g_);
    }
    if (!acc.matches(*g_)) return std::nullopt;
    return acc.hit(slot, *g_);
  }

 private:
  const Group* g_;
  std::vector<Source> sources_;
};

// A document matching every group: its BM25 score and whether every group is in its name.
struct Candidate {
  uint32_t slot;
  float score;
  bool name_all;  // every group is in a name
  bool starts;    // the query's first group starts a name
};

// AND over the groups of one index, in slot order: the group with the fewest postings is walked,
// the others are sought at its documents.
std::vector<Candidate> match_all(const TermIndex& index, const std::vector<Group>& groups,
                                 const std::vector<std::vector<CatalogSource>>& catalog) {
  std::vector<size_t> df(groups.size());
  size_t smallest = 0;
  for (size_t i = 0; i < groups.size(); ++i) {
    df[i] = group_df(index, groups[i], catalog[i]);
    if (df[i] < df[smallest]) smallest = i;
  }
  std::vector<GroupProbe> probes;
  std::vector<float> weight;  // IDF per probe
  std::vector<size_t> probe_group;
  for (size_t i = 0; i < groups.size(); ++i) {
    if (i == smallest) continue;
    probes.emplace_back(index, groups[i], catalog[i]);
    weight.push_back(idf_of(index, df[i]));
    probe_group.push_back(i);
  }
  const float w0 = idf_of(index, df[smallest]);
  std::vector<Candidate> out;
  scan_group(index, groups[smallest], catalog[smallest], [&](const GroupHit& h) {
    Candidate c{h.slot, w0 * h.sat, h.name, smallest == 0 && h.start};
    for (size_t p = 0; p < probes.size(); ++p) {
      std::optional<GroupHit> x = probes[p].at(h.slot);
      if (!x) return;
      c.score += weight[p] * x->sat;
      c.name_all = c.name_all && x->name;
      if (probe_group[p] == 0) c.starts = x->start;
    }
    out.push_back(c);
  });
  return out;
}

// The bonus factor of a name that holds the query (text_segment.h match_phrase).
// Only the names in the query's scripts are read (English words: the English name; Chinese: the
// Chinese name; a mixed query: both).
float name_bonus(const std::vector<std::string>& query, bool read_en, bool read_zh,
                 std::string_view en, std::string_view zh) {
  float factor = 1.25f;  // every group is in the name
  PhraseMatch best;
  for (std::string_view name :
       {read_en ? en : std::string_view(), read_zh ? zh : std::string_view()}) {
    if (name.empty()) continue;
    const PhraseMatch m = match_phrase(query, phrase_tokens(name));
    best.phrase |= m.phrase;
    best.starts |= m.starts;
    best.equals |= m.equals;
  }
  if (best.phrase) factor += 0.25f;
  if (best.starts) factor += 0.25f;
  if (best.equals) factor += 0.5f;
  return factor;
}

// Bonus factors of a name that holds every group: at least, at most.
constexpr float kMinNameBonus = 1.25f;
constexpr float kMaxNameBonus = 2.25f;

// The name bonus of a record whose name holds every group of the query. A one-group query needs
// no text: the group is a phrase by itself, the postings say whether it starts a name, and the
// name's length whether it is the whole name. Longer queries compare the name's text.
class NameBonus {
 public:
  NameBonus(const std::vector<QueryGroup>& parsed, std::string_view text)
      : groups_(parsed.size()), tokens_(phrase_tokens(text)) {
    for (const QueryGroup& g : parsed) (g.cjk ? read_zh_ : read_en_) = true;
    // The query's length in the units of a name's length (a word, or a CJK character).
    for (const std::string& t : tokens_) {
      units_ += static_cast<unsigned char>(t[0]) >= 0xE0
                    ? static_cast<int>(utf8_char_offsets(t).size()) - 1
                    : 1;
    }
    if (groups_ == 1) {
      cjk_ = parsed[0].cjk;
      length_ = cjk_ ? static_cast<int>(parsed[0].chars.size()) : 1;
    }
  }
  bool needs_text() const { return groups_ != 1; }
  // The most a name that holds every group can get, from the postings alone: the query cannot
  // start it unless its first group does, nor be all of it unless the lengths agree.
  float upper(bool starts, uint8_t len_en, uint8_t len_zh) const {
    if (!starts) return kMinNameBonus + 0.25f;
    return len_en == units_ || len_zh == units_ ? kMaxNameBonus : kMinNameBonus + 0.5f;
  }
  // names() -> pair of the English and Chinese names (called only when the text is needed).
  template <typename Names>
  float operator()(bool starts, uint8_t len_en, uint8_t len_zh, Names&& names) const {
    if (needs_text()) {
      const auto [en, zh] = names();
      return name_bonus(tokens_, read_en_, read_zh_, en, zh);
    }
    float factor = kMinNameBonus + 0.25f;
    if (starts) {
      factor += 0.25f;
      if ((cjk_ ? len_zh : len_en) == length_) factor += 0.5f;
    }
    return factor;
  }

 private:
  size_t groups_;
  std::vector<std::string> tokens_;
  bool cjk_ = false;
  int length_ = 0;
  bool read_en_ = false;
  bool read_zh_ = false;
  int units_ = 0;
};

// A union of posting lists (a category with its subcategories, an attribute): generated in slot
// order, or probed with increasing slots.
class SlotUnion {
 public:
  SlotUnion(const TermIndex& index, const std::vector<std::string>& terms) {
    for (const std::string& t : terms) {
      if (std::optional<uint32_t> id = index.find(t)) {
        cursors_.push_back(index.cursor(*id));
        size_ += index.df(*id);
      }
    }
  }
  bool empty() const { return cursors_.empty(); }
  size_t size() const { return size_; }  // postings, dead slots included
  bool contains(uint32_t slot) {
    bool found = false;
    for (PostingCursor& c : cursors_) {
      c.seek(slot);
      found |= c.slot() == slot;
    }
    return found;
  }
  // The next slot of the union (kNoSlot at the end); not to be mixed with contains().
  uint32_t next() {
    if (!started_) {
      started_ = true;
      for (uint32_t i = 0; i < cursors_.size(); ++i) {
        if (cursors_[i].valid()) heap_.push_back(i);
      }
      std::make_heap(heap_.begin(), heap_.end(), later());
    }
    if (heap_.empty()) return kNoSlot;
    const uint32_t slot = cursors_[heap_.front()].slot();
    while (!heap_.empty() && cursors_[heap_.front()].slot() == slot) {
      std::pop_heap(heap_.begin(), heap_.end(), later());
      PostingCursor& c = cursors_[heap_.back()];
      c.next();
      if (c.valid()) {
        std::push_heap(heap_.begin(), heap_.end(), later());
      } else {
        heap_.pop_back();
      }
    }
    return slot;
  }

 private:
  struct Later {
    const std::vector<PostingCursor>* cursors;
    bool operator()(uint32_t a, uint32_t b) const {
      return (*cursors)[a].slot() > (*cursors)[b].slot();
    }
  };
  Later later() const { return Later{&cursors_}; }
  std::vector<PostingCursor> cursors_;
  std::vector<uint32_t> heap_;
  size_t size_ = 0;
  bool started_ = false;
};

// A ranked hit before hydration.
struct Ranked {
  int64_t key1 = 0;
  int64_t key2 = 0;
  float score = 0;
  int64_t id = 0;
  uint32_t ref = 0;  // product slot, or merchant number
  int64_t price = kNoPrice;
  int64_t distance = -1;
  size_t items = 0;  // merchants: index into the matched-item lists
};
bool before(const Ranked& a, const Ranked& b) {
  if (a.key1 != b.key1) return a.key1 < b.key1;
  if (a.key2 != b.key2) return a.key2 < b.key2;
  if (a.score != b.score) return a.score > b.score;
  return a.id < b.id;
}

// Keeps the best `k` of a stream (a bounded heap whose top is the worst kept).
class TopK {
 public:
  explicit TopK(size_t k) : k_(k) {}
  void push(const Ranked& r) {
    if (heap_.size() < k_) {
      heap_.push_back(r);
      std::push_heap(heap_.begin(), heap_.end(), before);
    } else if (k_ > 0 && before(r, heap_.front())) {
      std::pop_heap(heap_.begin(), heap_.end(), before);
      heap_.back() = r;
      std::push_heap(heap_.begin(), heap_.end(), before);
    }
  }
  // Whether a record with these keys and score would be turned away whatever its id (checked
  // before the rest of a Ranked is filled in).
  bool turns_away(int64_t key1, int64_t key2, float score) const {
    if (heap_.size() < k_) return false;
    const Ranked& worst = heap_.front();
    if (key1 != worst.key1) return key1 > worst.key1;
    if (key2 != worst.key2) return key2 > worst.key2;
    return score < worst.score;
  }
  // Whether a relevance-only record with this score and id would come after the worst kept one.
  bool ties_after(float score, int64_t id) const {
    return heap_.size() >= k_ && score == heap_.front().score && id > heap_.front().id;
  }
  std::vector<Ranked> sorted() && {
    std::sort(heap_.begin(), heap_.end(), before);
    return std::move(heap_);
  }

 private:
  size_t k_;
  std::vector<Ranked> heap_;
};

constexpr int64_t kLast = std::numeric_limits<int64_t>::max();

// The sort keys of a record.
void set_keys(SearchSort sort, bool has_text, int64_t price, int64_t rating, int64_t reviews,
              int64_t sales, int64_t distance, Ranked* r) {
  switch (sort) {
    case SearchSort::kRelevance:
      if (!has_text) r->key1 = -sales;
      break;
    case SearchSort::kPriceAsc:
      r->key1 = price == kNoPrice ? kLast : price;
      break;
    case SearchSort::kPriceDesc:
      r->key1 = price == kNoPrice ? kLast : -price;
      break;
    case SearchSort::kRating:
      r->key1 = -rating;
      r->key2 = -reviews;
      break;
    case SearchSort::kSales:
      r->key1 = -sales;
      break;
    case SearchSort::kDistance:
      r->key1 = distance < 0 ? kLast : distance;
      break;
  }
}

// Per-query facts about merchants, computed once per merchant (products share their seller's).
class MerchantFacts {
 public:
  MerchantFacts(const Data& d, const SearchQuery& q) : d_(d), q_(q) {
    if (q.now_us != 0) {
      now_ = local_time(q.now_us);
      open_.assign(d.merchants.size(), -1);
    }
    if (q.lat && q.lon) distance_.assign(d.merchants.size(), kUnknown);
  }
  // Open at now_us (which must have been given).
  bool open(uint32_t m) {
    int8_t& open = open_[m];
    if (open < 0) {
      const MerchantInfo& info = d_.merchants[m];
      open = info.row.accepting && hours_open(info.row.hours, now_) ? 1 : 0;
    }
    return open == 1;
  }
  // Metres from the query's point, or -1 (no point given, or the merchant has no place).
  int64_t distance(uint32_t m) {
    if (distance_.empty()) return -1;
    int64_t& dist = distance_[m];
    if (dist == kUnknown) {
      const MerchantRow& r = d_.merchants[m].row;
      dist = r.has_place ? std::llround(distance_m(*q_.lat, *q_.lon, r.lat, r.lon)) : -1;
    }
    return dist;
  }
  // The filters that depend only on the merchant: open now, distance.
  bool passes(uint32_t m) {
    if (q_.filters.open_now && !open(m)) return false;
    if (q_.filters.max_distance_m) {
      const int64_t dist = distance(m);
      if (dist < 0 || dist > *q_.filters.max_distance_m) return false;
    }
    return true;
  }

 private:
  static constexpr int64_t kUnknown = -2;
  const Data& d_;
  const SearchQuery& q_;
  LocalTime now_;
  std::vector<int8_t> open_;       // by merchant number: -1 not yet known
  std::vector<int64_t> distance_;  // by merchant number
};

// The k-th largest of `values` (-infinity when there are fewer than k): candidates whose best
// possible score is below it cannot reach the first k places, so their bonus (a phrase check on
// their names) need not be computed.
float kth_largest(std::vector<float> values, size_t k) {
  if (k == 0 || values.size() < k) return -std::numeric_limits<float>::infinity();
  std::nth_element(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(k - 1),
                   values.end(), std::greater<>());
  return values[k - 1];
}

bool price_in_range(const SearchFilters& f, int64_t price) {
  if (!f.min_price && !f.max_price) return true;
  if (price == kNoPrice) return false;
  return (!f.min_price || price >= *f.min_price) && (!f.max_price || price <= *f.max_price);
}

Status validate(const Data& d, const SearchQuery& q) {
  const SearchFilters& f = q.filters;
  if (q.limit < 1 || q.limit > kSearchMaxLimit) {
    return InvalidArgumentError("search: limit {} is outside 1..{}", q.limit, kSearchMaxLimit);
  }
  if (q.offset < 0 || q.offset > kSearchMaxOffset) {
    return InvalidArgumentError("search: offset {} is outside 0..{}", q.offset, kSearchMaxOffset);
  }
  if (q.text.size() > kSearchMaxTextBytes) {
    return InvalidArgumentError("search: text is {} bytes, more than {}", q.text.size(),
                                kSearchMaxTextBytes);
  }
  if (f.min_price && *f.min_price < 0) {
    return InvalidArgumentError("search: filters.min_price {} is negative", *f.min_price);
  }
  if (f.max_price && *f.max_price < 0) {
    return InvalidArgumentError("search: filters.max_price {} is negative", *f.max_price);
  }
  if (f.min_price && f.max_price && *f.min_price > *f.max_price) {
    return InvalidArgumentError("search: filters.min_price {} is above filters.max_price {}",
                                *f.min_price, *f.max_price);
  }
  if (f.min_rating_x10 && (*f.min_rating_x10 < 0 || *f.min_rating_x10 > 50)) {
    return InvalidArgumentError("search: filters.min_rating_x10 {} is outside 0..50",
                                *f.min_rating_x10);
  }
  if (q.lat.has_value() != q.lon.has_value()) {
    return InvalidArgumentError("search: lat and lon go together");
  }
  if (q.lat && !(*q.lat >= -90 && *q.lat <= 90)) {
    return InvalidArgumentError("search: lat {} is outside -90..90", *q.lat);
  }
  if (q.lon && !(*q.lon >= -180 && *q.lon <= 180)) {
    return InvalidArgumentError("search: lon {} is outside -180..180", *q.lon);
  }
  if (q.sort == SearchSort::kDistance && !q.lat) {
    return InvalidArgumentError("search: sort distance needs lat and lon");
  }
  if (f.max_distance_m) {
    if (!q.lat) return InvalidArgumentError("search: filters.max_distance_m needs lat and lon");
    if (*f.max_distance_m <= 0) {
      return InvalidArgumentError("search: filters.max_distance_m {} is not positive",
                                  *f.max_distance_m);
    }
  }
  if (f.open_now && q.now_us <= 0) {
    return InvalidArgumentError("search: filters.open_now needs now_us");
  }
  if (q.kind == SearchKind::kMerchants) {
    if (f.category_id) return InvalidArgumentError("search: filters.category_id is for products");
    if (f.brand_id) return InvalidArgumentError("search: filters.brand_id is for products");
    if (f.merchant_id) return InvalidArgumentError("search: filters.merchant_id is for products");
    if (!f.attributes.empty()) {
      return InvalidArgumentError("search: filters.attributes are for products");
    }
    if (!f.merchant_kind.empty() && std::find(std::begin(kMerchantKinds), std::end(kMerchantKinds),
                                              f.merchant_kind) == std::end(kMerchantKinds)) {
      return InvalidArgumentError(
          "search: filters.merchant_kind '{}' unknown (cafe, tea, restaurant, supermarket, "
          "pharmacy, shop)",
          f.merchant_kind);
    }
    return Status::Ok();
  }
  if (!f.merchant_kind.empty()) {
    return InvalidArgumentError("search: filters.merchant_kind is for merchants");
  }
  if (f.category_id && !d.category_index.count(*f.category_id)) {
    return InvalidArgumentError("search: filters.category_id {} is not a category", *f.category_id);
  }
  if (f.brand_id && !d.brand_index.count(*f.brand_id)) {
    return InvalidArgumentError("search: filters.brand_id {} is not a brand", *f.brand_id);
  }
  if (f.merchant_id) {
    auto it = d.merchant_number.find(*f.merchant_id);
    if (it == d.merchant_number.end() || !d.merchants[it->second].exists) {
      return InvalidArgumentError("search: filters.merchant_id {} is not a merchant",
                                  *f.merchant_id);
    }
  }
  for (const auto& [name, value] : f.attributes) {
    if (fold_joined(name).empty() || fold_joined(value).empty()) {
      return InvalidArgumentError(
          "search: filters.attributes: '{}' = '{}' needs a name and a value", name, value);
    }
  }
  return Status::Ok();
}

void fill_merchant(const MerchantInfo& info, SearchHit* hit) {
  hit->merchant_id = info.row.id;
  hit->merchant_name_en = info.row.name_en;
  hit->merchant_name_zh = info.row.name_zh;
  hit->merchant_kind = info.row.kind;
}

Result<SearchResult> search_products(const Data& d, const SearchQuery& q,
                                     const std::vector<QueryGroup>& parsed) {
  const TermIndex& index = *d.product_index;
  const SearchFilters& f = q.filters;
  SearchResult result;
  const bool has_text = !parsed.empty();
  const bool bonus = has_text && q.sort == SearchSort::kRelevance;
  const size_t k = static_cast<size_t>(q.offset + q.limit);
  std::vector<Candidate> matches;
  std::optional<std::vector<Group>> groups;
  std::vector<std::vector<CatalogSource>> catalog;
  if (has_text) {
    groups = resolve(parsed, Vocab({&index}, &d.catalog_terms), q.prefix);
    if (!groups) return result;
    for (const Group& g : *groups) catalog.push_back(catalog_sources(d, g));
    // One group is streamed below, without materialising its hits.
    if (groups->size() > 1) matches = match_all(index, *groups, catalog);
  }

  // Filters on the product's own fields, then attributes through their posting lists.
  std::vector<int64_t> categories;  // the category and those below it, sorted
  if (f.category_id) {
    for (uint32_t sub : d.categories[d.category_index.at(*f.category_id)].subtree) {
      categories.push_back(d.categories[sub].id);
    }
    std::sort(categories.begin(), categories.end());
  }
  std::optional<uint32_t> merchant;
  if (f.merchant_id) merchant = d.merchant_number.at(*f.merchant_id);
  std::vector<SlotUnion> attributes;
  for (const auto& [name, value] : f.attributes) {
    attributes.emplace_back(index, std::vector<std::string>{attribute_term(name, value)});
    if (attributes.back().empty()) return result;
  }
  MerchantFacts facts(d, q);
  // Called in increasing slot order (attribute lists are probed forward).
  // Whether any filter reads the product's record: most text queries need none, and a record
  // not read is a cache miss saved.
  const bool filtered = !categories.empty() || f.brand_id || merchant || f.min_price ||
                        f.max_price || f.min_rating_x10 || f.in_stock || f.open_now ||
                        f.max_distance_m || !attributes.empty();
  auto passes = [&](uint32_t slot) {
    if (!filtered) return true;
    const ProductDoc& p = d.products[slot];
    if (!categories.empty() &&
        !std::binary_search(categories.begin(), categories.end(), p.category_id)) {
      return false;
    }
    if (f.brand_id && p.brand_id != *f.brand_id) return false;
    if (merchant && p.merchant != *merchant) return false;
    if (!price_in_range(f, p.price)) return false;
    if (f.min_rating_x10 && p.rating_x10 < *f.min_rating_x10) return false;
    if (f.in_stock && !p.in_stock) return false;
    if (!facts.passes(p.merchant)) return false;
    for (SlotUnion& a : attributes) {
      if (!a.contains(slot)) return false;
    }
    return true;
  };

  TopK top(k);
  // Relevance with text ranks by score alone: the record is read only for what makes the page.
  const bool by_score = has_text && q.sort == SearchSort::kRelevance;
  auto rank = [&](uint32_t slot, float score) {
    Ranked r;
    if (by_score) {
      if (top.turns_away(0, 0, score)) return;
    } else {
      const ProductDoc& p = d.products[slot];
      set_keys(q.sort, has_text, p.price, p.rating_x10, p.review_count, p.sales,
               facts.distance(p.merchant), &r);
      if (top.turns_away(r.key1, r.key2, score)) return;
    }
    r.id = d.product_ids.id(slot);
    r.ref = slot;
    r.score = score;
    top.push(r);
  };
  if (has_text && groups->size() == 1) {
    // One group: streamed, its name bonus from the postings (no text).
    const NameBonus name_bonus(parsed, q.text);
    const float weight = idf_of(index, group_df(index, (*groups)[0], catalog[0]));
    scan_group(index, (*groups)[0], catalog[0], [&](const GroupHit& h) {
      if (!passes(h.slot)) return;
      ++result.total;
      float score = weight * h.sat;
      if (bonus && h.name) {
        // Only a name that starts with the word needs its length (whole-name bonus).
        const ProductDoc* p = h.start ? &d.products[h.slot] : nullptr;
        score *= name_bonus(h.start, p ? p->name_len_en : 0, p ? p->name_len_zh : 0,
                            [&] { return d.names.get(d.products[h.slot].names); });
      }
      rank(h.slot, score);
    });
  } else if (has_text) {
    std::vector<Candidate> passed;
    for (const Candidate& c : matches) {
      if (!passes(c.slot)) continue;
      ++result.total;
      if (bonus) {
        passed.push_back(c);
      } else {
        rank(c.slot, c.score);
      }
    }
    if (bonus) {
      // Several words: a name's bonus needs its text (is the query a phrase in it?). The postings
      // bound it: at least x1.25, at most x1.5 unless the first word starts the name (then
      // x2.25). Candidates that cannot reach the page are dropped (the k-th best lower bound),
      // the rest are checked best upper bound first, until no unchecked one can still enter:
      // many names made from one pattern tie, and their first k settle it.
      const NameBonus name_bonus(parsed, q.text);
      std::vector<float> lower(passed.size());
      for (size_t i = 0; i < passed.size(); ++i) {
        lower[i] = passed[i].score * (passed[i].name_all ? kMinNameBonus : 1);
      }
      const float bound = kth_largest(std::move(lower), k);
      struct Unchecked {
        float upper;
        int64_t id;
        const Candidate* c;
      };
      std::vector<Unchecked> unchecked;
      for (const Candidate& c : passed) {
        if (!c.name_all) {
          if (c.score >= bound) rank(c.slot, c.score);
          continue;
        }
        const ProductDoc& p = d.products[c.slot];
        const float upper = c.score * name_bonus.upper(c.starts, p.name_len_en, p.name_len_zh);
        if (upper >= bound) unchecked.push_back(Unchecked{upper, d.product_ids.id(c.slot), &c});
      }
      std::sort(unchecked.begin(), unchecked.end(), [](const Unchecked& a, const Unchecked& b) {
        return a.upper != b.upper ? a.upper > b.upper : a.id < b.id;
      });
      for (const Unchecked& u : unchecked) {
        if (top.turns_away(0, 0, u.upper) || top.ties_after(u.upper, u.id)) break;
        const ProductDoc& p = d.products[u.c->slot];
        rank(u.c->slot, u.c->score * name_bonus(u.c->starts, p.name_len_en, p.name_len_zh,
                                                [&] { return d.names.get(p.names); }));
      }
    }
  } else {
    // Browsing: the narrowest list filter generates, everything else checks.
    std::optional<SlotUnion> generator;
    if (!categories.empty()) {
      std::vector<std::string> terms;
      for (int64_t id : categories) terms.push_back(category_term(id));
      generator.emplace(index, terms);
    }
    auto narrower = [&](SlotUnion u) {
      if (!generator || u.size() < generator->size()) generator.emplace(std::move(u));
    };
    if (f.brand_id) narrower(SlotUnion(index, {brand_term(*f.brand_id)}));
    if (f.merchant_id) narrower(SlotUnion(index, {merchant_term(*f.merchant_id)}));
    for (const auto& [name, value] : f.attributes) {
      narrower(SlotUnion(index, {attribute_term(name, value)}));
    }
    auto take = [&](uint32_t slot) {
      if (!index.alive(slot) || !passes(slot)) return;
      ++result.total;
      rank(slot, 0);
    };
    if (generator) {
      for (uint32_t slot = generator->next(); slot != kNoSlot; slot = generator->next()) take(slot);
    } else {
      for (uint32_t slot = 0; slot < index.n_slots(); ++slot) take(slot);
    }
  }

  std::vector<Ranked> ranked = std::move(top).sorted();
  for (size_t i = static_cast<size_t>(q.offset); i < ranked.size(); ++i) {
    const Ranked& r = ranked[i];
    const ProductDoc& p = d.products[r.ref];
    SearchHit hit;
    hit.id = r.id;
    hit.score = r.score;
    auto [en, zh] = d.names.get(p.names);
    hit.name_en = en;
    hit.name_zh = zh;
    if (p.price != kNoPrice) hit.price = p.price;
    hit.rating_x10 = p.rating_x10;
    hit.review_count = p.review_count;
    hit.sales = p.sales;
    fill_merchant(d.merchants[p.merchant], &hit);
    if (const int64_t distance = facts.distance(p.merchant); distance >= 0) {
      hit.distance_m = distance;
    }
    if (q.now_us != 0) hit.open_now = facts.open(p.merchant);
    hit.category_id = p.category_id;
    if (p.brand_id != 0) hit.brand_id = p.brand_id;
    hit.in_stock = p.in_stock;
    result.hits.push_back(std::move(hit));
  }
  return result;
}

Result<SearchResult> search_merchants(const Data& d, const SearchQuery& q,
                                      const std::vector<QueryGroup>& parsed) {
  const SearchFilters& f = q.filters;
  SearchResult result;
  MerchantFacts facts(d, q);
  const bool has_text = !parsed.empty();
  const bool bonus = has_text && q.sort == SearchSort::kRelevance;
  const size_t k = static_cast<size_t>(q.offset + q.limit);
  TopK top(k);

  // A matching merchant: its own score and the items that complete its match.
  struct FullItem {
    uint32_t slot;
    float score;  // BM25; with the name bonus once decided
    bool named;   // every group is in the item's name
    bool starts;  // the query's first group starts its name
  };
  struct Match {
    uint32_t number;
    float own = 0;
    bool own_named = false;
    bool own_starts = false;
    int64_t price = kNoPrice;
    size_t items_begin = 0, items_end = 0;  // in `full`
  };
  std::vector<Match> matches;
  std::vector<FullItem> full;

  auto passes = [&](const MerchantInfo& info, uint32_t number) {
    if (!info.exists || info.slot == kNoSlot) return false;
    if (!f.merchant_kind.empty() && info.row.kind != f.merchant_kind) return false;
    if (f.min_rating_x10 && info.row.rating_x10 < *f.min_rating_x10) return false;
    return facts.passes(number);
  };
  auto rank = [&](size_t match, float score) {
    const Match& m = matches[match];
    const MerchantInfo& info = d.merchants[m.number];
    Ranked r;
    r.id = info.row.id;
    r.ref = m.number;
    r.score = score;
    r.price = m.price;
    r.distance = facts.distance(m.number);
    r.items = match;
    set_keys(q.sort, has_text, m.price, info.row.rating_x10, 0, info.row.sales, r.distance, &r);
    top.push(r);
  };

  if (!has_text) {
    const TermIndex& index = *d.merchant_index;
    for (uint32_t slot = 0; slot < index.n_slots(); ++slot) {
      if (!index.alive(slot)) continue;
      const uint32_t number = d.merchant_slot_number(slot);
      const MerchantInfo& info = d.merchants[number];
      if (!passes(info, number) || !price_in_range(f, info.row.min_item_price)) continue;
      ++result.total;
      matches.push_back(Match{.number = number, .price = info.row.min_item_price});
      rank(matches.size() - 1, 0);
    }
  } else {
    std::optional<std::vector<Group>> groups =
        resolve(parsed, Vocab({d.merchant_index.get(), d.item_index.get()}, nullptr), q.prefix);
    if (!groups) return result;
    const uint32_t all = (1u << groups->size()) - 1;
    struct Hit {
      uint32_t key;  // merchant number or item slot
      uint32_t bit;
      float score;
      bool name;
      bool start;
    };
    std::vector<Hit> own_hits, item_hits;
    const std::vector<CatalogSource> none;
    for (size_t g = 0; g < groups->size(); ++g) {
      const uint32_t bit = 1u << g;
      const float mw = idf_of(*d.merchant_index, group_df(*d.merchant_index, (*groups)[g], none));
      std::vector<GroupHit> mh = eval_group(*d.merchant_index, (*groups)[g], none);
      for (const GroupHit& h : mh) {
        own_hits.push_back(Hit{d.merchant_slot_number(h.slot), bit, mw * h.sat, h.name, h.start});
      }
      const float iw = idf_of(*d.item_index, group_df(*d.item_index, (*groups)[g], none));
      std::vector<GroupHit> ih = eval_group(*d.item_index, (*groups)[g], none);
      for (const GroupHit& h : ih) {
        const ItemDoc& doc = d.items[h.slot];
        if ((f.in_stock && doc.sold_out) || !price_in_range(f, doc.price)) continue;
        item_hits.push_back(Hit{h.slot, bit, iw * h.sat, h.name, h.start});
      }
    }
    // Per merchant and per item: the groups matched, their scores, the groups in the name.
    struct Agg {
      uint32_t key;
      uint32_t mask = 0, name_mask = 0;
      float score = 0;
      bool starts = false;
    };
    auto aggregate = [](std::vector<Hit>& hits) {
      std::sort(hits.begin(), hits.end(), [](const Hit& a, const Hit& b) {
        return a.key != b.key ? a.key < b.key : a.bit < b.bit;
      });
      std::vector<Agg> out;
      for (const Hit& h : hits) {
        if (out.empty() || out.back().key != h.key) out.push_back(Agg{h.key});
        out.back().mask |= h.bit;
        if (h.name) out.back().name_mask |= h.bit;
        if (h.bit == 1 && h.start) out.back().starts = true;
        out.back().score += h.score;
      }
      return out;
    };
    const std::vector<Agg> own = aggregate(own_hits);
    std::vector<Agg> items = aggregate(item_hits);
    // Items grouped by merchant, in slot order within one.
    std::stable_sort(items.begin(), items.end(), [&](const Agg& a, const Agg& b) {
      return d.items[a.key].merchant < d.items[b.key].merchant;
    });
    size_t oi = 0, ii = 0;
    while (oi < own.size() || ii < items.size()) {
      const uint32_t number =
          std::min(oi < own.size() ? own[oi].key : kNoSlot,
                   ii < items.size() ? d.items[items[ii].key].merchant : kNoSlot);
      Agg o{number};
      if (oi < own.size() && own[oi].key == number) o = own[oi++];
      const size_t first = ii;
      while (ii < items.size() && d.items[items[ii].key].merchant == number) ++ii;
      const MerchantInfo& info = d.merchants[number];
      if (!passes(info, number)) continue;
      // Items count when they hold every group the merchant's own text lacks.
      Match m{.number = number,
              .own = o.score,
              .own_named = o.mask == all && o.name_mask == all,
              .own_starts = o.starts};
      m.items_begin = full.size();
      for (size_t i = first; i < ii; ++i) {
        if ((items[i].mask | o.mask) != all) continue;
        full.push_back(
            FullItem{items[i].key, items[i].score, items[i].name_mask == all, items[i].starts});
        const int64_t price = d.items[items[i].key].price;
        if (m.price == kNoPrice || price < m.price) m.price = price;
      }
      m.items_end = full.size();
      if (o.mask != all && m.items_end == m.items_begin) continue;
      if (m.items_end == m.items_begin) {
        m.price = info.row.min_item_price;
        if (!price_in_range(f, m.price)) continue;
      }
      ++result.total;
      matches.push_back(m);
    }
    // Scores: own + kItemShare x the best item, with name bonuses under the relevance sort
    // (decided only where they can reach the first k places, as for products).
    auto best_item = [&](const Match& m, float named_factor) {
      float best = 0;
      for (size_t i = m.items_begin; i < m.items_end; ++i) {
        best = std::max(best, full[i].score * (full[i].named ? named_factor : 1));
      }
      return best;
    };
    const NameBonus name_bonus(parsed, q.text);
    float bound = -std::numeric_limits<float>::infinity();
    if (bonus && name_bonus.needs_text()) {
      std::vector<float> lower(matches.size());
      for (size_t i = 0; i < matches.size(); ++i) {
        const Match& m = matches[i];
        lower[i] =
            m.own * (m.own_named ? kMinNameBonus : 1) + kItemShare * best_item(m, kMinNameBonus);
      }
      bound = kth_largest(std::move(lower), k);
    }
    for (size_t i = 0; i < matches.size(); ++i) {
      Match& m = matches[i];
      if (!bonus) {
        rank(i, m.own + kItemShare * best_item(m, 1));
        continue;
      }
      const float upper =
          m.own * (m.own_named ? kMaxNameBonus : 1) + kItemShare * best_item(m, kMaxNameBonus);
      if (upper < bound) continue;
      for (size_t j = m.items_begin; j < m.items_end; ++j) {
        if (!full[j].named) continue;
        const ItemDoc& item = d.items[full[j].slot];
        full[j].score *= name_bonus(full[j].starts, item.name_len_en, item.name_len_zh,
                                    [&] { return d.names.get(item.names); });
      }
      float own = m.own;
      if (m.own_named) {
        const MerchantInfo& info = d.merchants[m.number];
        own *= name_bonus(m.own_starts, info.name_len_en, info.name_len_zh, [&] {
          return std::make_pair(std::string_view(info.row.name_en),
                                std::string_view(info.row.name_zh));
        });
      }
      rank(i, own + kItemShare * best_item(m, 1));
    }
  }

  std::vector<Ranked> ranked = std::move(top).sorted();
  for (size_t i = static_cast<size_t>(q.offset); i < ranked.size(); ++i) {
    const Ranked& r = ranked[i];
    const MerchantInfo& info = d.merchants[r.ref];
    SearchHit hit;
    hit.id = r.id;
    hit.score = r.score;
    hit.name_en = info.row.name_en;
    hit.name_zh = info.row.name_zh;
    if (r.price != kNoPrice) hit.price = r.price;
    hit.rating_x10 = info.row.rating_x10;
    hit.sales = info.row.sales;
    fill_merchant(info, &hit);
    if (r.distance >= 0) hit.distance_m = r.distance;
    if (q.now_us != 0) hit.open_now = facts.open(r.ref);
    const Match& m = matches[r.items];
    std::vector<FullItem> mine(full.begin() + static_cast<std::ptrdiff_t>(m.items_begin),
                               full.begin() + static_cast<std::ptrdiff_t>(m.items_end));
    std::sort(mine.begin(), mine.end(), [&](const FullItem& a, const FullItem& b) {
      if (a.score != b.score) return a.score > b.score;
      return d.item_ids.id(a.slot) < d.item_ids.id(b.slot);
    });
    if (mine.size() > static_cast<size_t>(kSearchMaxMatchedItems)) {
      mine.resize(kSearchMaxMatchedItems);
    }
    for (const FullItem& item : mine) {
      const ItemDoc& doc = d.items[item.slot];
      auto [en, zh] = d.names.get(doc.names);
      hit.matched_items.push_back(MatchedItem{.id = d.item_ids.id(item.slot),
                                              .name_en = std::string(en),
                                              .name_zh = std::string(zh),
                                              .price = doc.price,
                                              .sold_out = doc.sold_out,
                                              .score = item.score});
    }
    result.hits.push_back(std::move(hit));
  }
  return result;
}

}  // namespace

Result<SearchResult> SearchIndex::search(const Actor& actor, const SearchQuery& query) const {
  ReadLock lock(*this);
  QWL_RETURN_IF_ERROR(validate(*data_, query));
  const std::vector<QueryGroup> parsed = parse_query(query.text);
  if (query.kind == SearchKind::kProducts) return search_products(*data_, query, parsed);
  return search_merchants(*data_, query, parsed);
}

}  // namespace qwl::services
