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

  // Distinct terms starting with `prefix`, in byte order.
  std::vector<std::string> with_prefix(std::string_view prefix) const {
    std::vector<std::string> out;
    for (const TermIndex* x : indexes_) {
      x->for_each_with_prefix(prefix,
                              [&](uint32_t, std::string_view term) { out.emplace_back(term); });
    }
    if (catalog_ != nullptr) {
      for (auto it = std::lower_bound(catalog_->begin(), catalog_->end(), prefix);
           it != catalog_->end() && it->starts_with(prefix); ++it) {
        out.push_back(*it);
      }
    }
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
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

// Expansions of a word: (term, penalty), best first, deterministic.
std::vector<GroupTerm> expand_word(const QueryGroup& q, const Vocab& vocab, bool prefix) {
  std::vector<GroupTerm> out;
  const bool exact = vocab.exists(q.word);
  if (exact) out.push_back(GroupTerm{.term = q.word});
  if (prefix && q.last) {
    std::vector<std::pair<int64_t, std::string>> found;
    for (std::string& t : vocab.with_prefix(q.word)) {
      if (t != q.word && t[0] != '\x01') found.emplace_back(-vocab.df(t), std::move(t));
    }
    std::sort(found.begin(), found.end());
    if (found.size() > kMaxPrefixTerms) found.resize(kMaxPrefixTerms);
    for (auto& [df, t] : found)
      out.push_back(GroupTerm{.term = std::move(t), .penalty = kPrefixPenalty});
  }
  if (exact || !out.empty() || q.word.size() < 4 || !ascii_word(q.word)) return out;
  // A typo: the same first letter, within one edit (two from 8 letters).
  const int max_d = q.word.size() >= 8 ? 2 : 1;
  std::vector<std::tuple<int, int64_t, std::string>> found;
  for (std::string& t : vocab.with_prefix(q.word.substr(0, 1))) {
    if (std::abs(static_cast<int>(t.size()) - static_cast<int>(q.word.size())) > max_d) continue;
    const int d = edit_distance(q.word, t, max_d);
    if (d <= max_d) found.emplace_back(d, -vocab.df(t), std::move(t));
  }
  std::sort(found.begin(), found.end());
  if (found.size() > kMaxTypoTerms) found.resize(kMaxTypoTerms);
  for (auto& [d, df, t] : found) {
    out.push_back(
        GroupTerm{.term = std::move(t), .penalty = d == 1 ? kTypo1Penalty : kTypo2Penalty});
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
  bool name;  // the group is matched inside the document's name
};

// The documents of one index that match a group, in slot order (k-way merge of the postings).
std::vector<GroupHit> eval_group(const TermIndex& index, const Group& g,
                                 const std::vector<CatalogSource>& catalog) {
  struct Source {
    PostingCursor cursor;
    const GroupTerm* term;  // null: a catalog source
    float fixed;
  };
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
  std::vector<GroupHit> out;
  auto later = [&](uint32_t a, uint32_t b) {
    return sources[a].cursor.slot() > sources[b].cursor.slot();
  };
  std::vector<uint32_t> heap;
  for (uint32_t i = 0; i < sources.size(); ++i) {
    if (sources[i].cursor.valid()) heap.push_back(i);
  }
  std::make_heap(heap.begin(), heap.end(), later);
  while (!heap.empty()) {
    const uint32_t slot = sources[heap.front()].cursor.slot();
    float text = 0, catalog_sat = 0;
    uint32_t mask = 0, name_mask = 0;
    while (!heap.empty() && sources[heap.front()].cursor.slot() == slot) {
      std::pop_heap(heap.begin(), heap.end(), later);
      Source& s = sources[heap.back()];
      if (s.term == nullptr) {
        catalog_sat = std::max(catalog_sat, s.fixed);
        mask |= g.required;
      } else {
        const uint8_t w = s.cursor.weight();
        const float v = sat_of(w) * s.term->penalty;
        text = g.cjk ? text + v * s.term->unit : std::max(text, v);
        mask |= s.term->mask;
        if (w & kNameBit) name_mask |= s.term->mask;
      }
      s.cursor.next();
      if (s.cursor.valid()) {
        std::push_heap(heap.begin(), heap.end(), later);
      } else {
        heap.pop_back();
      }
    }
    if ((mask & g.required) != g.required || !index.alive(slot)) continue;
    if (g.cjk) text = std::min(text / g.norm, kMaxSat);
    out.push_back(GroupHit{slot, text + catalog_sat, (name_mask & g.required) == g.required});
  }
  return out;
}

float idf(uint32_t n_docs, size_t n_matching) {
  const double n = static_cast<double>(n_matching);
  return static_cast<float>(std::log(1 + (n_docs - n + 0.5) / (n + 0.5)));
}

// A document matching every group: its BM25 score and whether every group is in its name.
struct Candidate {
  uint32_t slot;
  float score;
  bool name_all;
};

// AND over the groups of one index; slot order.
std::vector<Candidate> match_all(const TermIndex& index, const std::vector<Group>& groups,
                                 const std::vector<std::vector<CatalogSource>>& catalog) {
  std::vector<std::vector<GroupHit>> hits;
  for (size_t i = 0; i < groups.size(); ++i)
    hits.push_back(eval_group(index, groups[i], catalog[i]));
  std::vector<size_t> order(hits.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(),
            [&](size_t a, size_t b) { return hits[a].size() < hits[b].size(); });
  std::vector<Candidate> out;
  const uint32_t n = std::max<uint32_t>(index.n_alive(), 1);
  for (size_t k = 0; k < order.size(); ++k) {
    const std::vector<GroupHit>& h = hits[order[k]];
    const float w = idf(n, h.size());
    if (k == 0) {
      out.reserve(h.size());
      for (const GroupHit& x : h) out.push_back(Candidate{x.slot, w * x.sat, x.name});
      continue;
    }
    size_t kept = 0;
    auto it = h.begin();
    for (const Candidate& c : out) {
      it = std::lower_bound(it, h.end(), c.slot,
                            [](const GroupHit& x, uint32_t slot) { return x.slot < slot; });
      if (it == h.end()) break;
      if (it->slot != c.slot) continue;
      out[kept++] = Candidate{c.slot, c.score + w * it->sat, c.name_all && it->name};
    }
    out.resize(kept);
    if (out.empty()) break;
  }
  return out;
}

// The bonus factor of a name that holds the query (text_segment.h match_phrase).
float name_bonus(const std::vector<std::string>& query, std::string_view en, std::string_view zh) {
  float factor = 1.25f;  // every group is in the name
  PhraseMatch best;
  for (std::string_view name : {en, zh}) {
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

// A union of posting lists probed in increasing slot order (a list filter).
class ListFilter {
 public:
  ListFilter(const TermIndex& index, const std::vector<std::string>& terms) {
    for (const std::string& t : terms) {
      if (std::optional<uint32_t> id = index.find(t)) cursors_.push_back(index.cursor(*id));
    }
  }
  bool empty() const { return cursors_.empty(); }
  bool contains(uint32_t slot) {
    bool found = false;
    for (PostingCursor& c : cursors_) {
      c.seek(slot);
      found |= c.slot() == slot;
    }
    return found;
  }
  // The smallest slot >= `from` in any list (kNoSlot: none).
  uint32_t next_from(uint32_t from) {
    uint32_t best = kNoSlot;
    for (PostingCursor& c : cursors_) {
      c.seek(from);
      best = std::min(best, c.slot());
    }
    return best;
  }

 private:
  std::vector<PostingCursor> cursors_;
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

// Per-query facts about merchants, computed once per merchant.
class MerchantFacts {
 public:
  MerchantFacts(const Data& d, const SearchQuery& q) : d_(d), q_(q) {
    if (q.now_us != 0) now_ = local_time(q.now_us);
  }
  bool open(uint32_t m) {
    const MerchantInfo& info = d_.merchants[m];
    return info.row.accepting && hours_open(info.row.hours, now_);
  }
  // Metres from the query's point, or -1 (no point given, or the merchant has no place).
  int64_t distance(uint32_t m) {
    if (!q_.lat || !q_.lon) return -1;
    auto [it, inserted] = distance_.try_emplace(m, -1);
    if (inserted) {
      const MerchantRow& r = d_.merchants[m].row;
      if (r.has_place) it->second = std::llround(distance_m(*q_.lat, *q_.lon, r.lat, r.lon));
    }
    return it->second;
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
  const Data& d_;
  const SearchQuery& q_;
  LocalTime now_;
  std::unordered_map<uint32_t, int64_t> distance_;
};

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
  std::vector<Candidate> matches;
  const bool has_text = !parsed.empty();
  if (has_text) {
    std::optional<std::vector<Group>> groups =
        resolve(parsed, Vocab({&index}, &d.catalog_terms), q.prefix);
    if (!groups) return result;
    std::vector<std::vector<CatalogSource>> catalog;
    for (const Group& g : *groups) catalog.push_back(catalog_sources(d, g));
    matches = match_all(index, *groups, catalog);
  }

  // List filters: category subtree, brand, merchant, attributes.
  std::vector<ListFilter> lists;
  if (f.category_id) {
    std::vector<std::string> terms;
    for (uint32_t sub : d.categories[d.category_index.at(*f.category_id)].subtree) {
      terms.push_back(category_term(d.categories[sub].id));
    }
    lists.emplace_back(index, terms);
  }
  if (f.brand_id) lists.emplace_back(index, std::vector<std::string>{brand_term(*f.brand_id)});
  if (f.merchant_id) {
    lists.emplace_back(index, std::vector<std::string>{merchant_term(*f.merchant_id)});
  }
  for (const auto& [name, value] : f.attributes) {
    lists.emplace_back(index, std::vector<std::string>{attribute_term(name, value)});
  }
  for (const ListFilter& l : lists) {
    if (l.empty()) return result;
  }

  MerchantFacts facts(d, q);
  const std::vector<std::string> phrase =
      has_text ? phrase_tokens(q.text) : std::vector<std::string>{};
  TopK top(static_cast<size_t>(q.offset + q.limit));
  auto consider = [&](uint32_t slot, float score, bool name_all) {
    for (size_t i = 0; i < lists.size(); ++i) {
      if (!lists[i].contains(slot)) return;
    }
    const ProductDoc& p = d.products[slot];
    if (!price_in_range(f, p.price)) return;
    if (f.min_rating_x10 && p.rating_x10 < *f.min_rating_x10) return;
    if (f.in_stock && !p.in_stock) return;
    if (!facts.passes(p.merchant)) return;
    ++result.total;
    Ranked r;
    r.id = d.product_ids.id(slot);
    r.ref = slot;
    r.price = p.price;
    r.distance = facts.distance(p.merchant);
    if (name_all) {
      auto [en, zh] = d.names.get(p.names);
      score *= name_bonus(phrase, en, zh);
    }
    r.score = score;
    set_keys(q.sort, has_text, p.price, p.rating_x10, p.review_count, p.sales, r.distance, &r);
    top.push(r);
  };
  if (has_text) {
    for (const Candidate& c : matches) consider(c.slot, c.score, c.name_all);
  } else if (!lists.empty()) {
    // The first list generates, the others probe.
    uint32_t slot = lists[0].next_from(0);
    while (slot != kNoSlot) {
      if (index.alive(slot)) consider(slot, 0, false);
      slot = lists[0].next_from(slot + 1);
    }
  } else {
    for (uint32_t slot = 0; slot < index.n_slots(); ++slot) {
      if (index.alive(slot)) consider(slot, 0, false);
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
    if (r.distance >= 0) hit.distance_m = r.distance;
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
  TopK top(static_cast<size_t>(q.offset + q.limit));
  const bool has_text = !parsed.empty();
  const std::vector<std::string> phrase =
      has_text ? phrase_tokens(q.text) : std::vector<std::string>{};
  // Matched items of the ranked merchants, referred to by Ranked::items.
  std::vector<std::vector<std::pair<uint32_t, float>>> item_lists(1);

  auto passes = [&](const MerchantInfo& info, uint32_t number) {
    if (!info.exists) return false;
    if (!f.merchant_kind.empty() && info.row.kind != f.merchant_kind) return false;
    if (f.min_rating_x10 && info.row.rating_x10 < *f.min_rating_x10) return false;
    return facts.passes(number);
  };
  auto rank = [&](uint32_t number, float score, int64_t price, size_t items) {
    const MerchantInfo& info = d.merchants[number];
    ++result.total;
    Ranked r;
    r.id = info.row.id;
    r.ref = number;
    r.score = score;
    r.price = price;
    r.distance = facts.distance(number);
    r.items = items;
    set_keys(q.sort, has_text, price, info.row.rating_x10, 0, info.row.sales, r.distance, &r);
    top.push(r);
  };

  if (!has_text) {
    const TermIndex& index = *d.merchant_index;
    for (uint32_t slot = 0; slot < index.n_slots(); ++slot) {
      if (!index.alive(slot)) continue;
      const uint32_t number = d.merchant_slot_number(slot);
      const MerchantInfo& info = d.merchants[number];
      if (!passes(info, number) || !price_in_range(f, info.row.min_item_price)) continue;
      rank(number, 0, info.row.min_item_price, 0);
    }
  } else {
    std::optional<std::vector<Group>> groups =
        resolve(parsed, Vocab({d.merchant_index.get(), d.item_index.get()}, nullptr), q.prefix);
    if (!groups) return result;
    const uint32_t all = (1u << groups->size()) - 1;
    struct Own {
      uint32_t mask = 0;
      uint32_t name_mask = 0;
      float score = 0;
    };
    struct ItemMatch {
      uint32_t mask = 0;
      uint32_t name_mask = 0;
      float score = 0;
    };
    std::unordered_map<uint32_t, Own> own;          // merchant number ->
    std::unordered_map<uint32_t, ItemMatch> items;  // item slot ->
    const std::vector<CatalogSource> none;
    for (size_t g = 0; g < groups->size(); ++g) {
      const uint32_t bit = 1u << g;
      std::vector<GroupHit> mh = eval_group(*d.merchant_index, (*groups)[g], none);
      const float mw = idf(std::max<uint32_t>(d.merchant_index->n_alive(), 1), mh.size());
      for (const GroupHit& h : mh) {
        Own& o = own[d.merchant_slot_number(h.slot)];
        o.mask |= bit;
        if (h.name) o.name_mask |= bit;
        o.score += mw * h.sat;
      }
      std::vector<GroupHit> ih = eval_group(*d.item_index, (*groups)[g], none);
      const float iw = idf(std::max<uint32_t>(d.item_index->n_alive(), 1), ih.size());
      for (const GroupHit& h : ih) {
        const ItemDoc& doc = d.items[h.slot];
        if (f.in_stock && doc.sold_out) continue;
        if (!price_in_range(f, doc.price)) continue;
        ItemMatch& m = items[h.slot];
        m.mask |= bit;
        if (h.name) m.name_mask |= bit;
        m.score += iw * h.sat;
      }
    }
    // Items by merchant, in a fixed order.
    struct ItemRef {
      uint32_t merchant;
      uint32_t slot;
      ItemMatch match;
    };
    std::vector<ItemRef> by_merchant;
    by_merchant.reserve(items.size());
    for (const auto& [slot, m] : items)
      by_merchant.push_back(ItemRef{d.items[slot].merchant, slot, m});
    std::sort(by_merchant.begin(), by_merchant.end(), [](const ItemRef& a, const ItemRef& b) {
      return a.merchant != b.merchant ? a.merchant < b.merchant : a.slot < b.slot;
    });
    std::vector<uint32_t> numbers;
    for (const auto& [number, o] : own) numbers.push_back(number);
    for (const ItemRef& r : by_merchant) numbers.push_back(r.merchant);
    std::sort(numbers.begin(), numbers.end());
    numbers.erase(std::unique(numbers.begin(), numbers.end()), numbers.end());
    size_t at = 0;  // position in by_merchant
    for (uint32_t number : numbers) {
      const size_t first = at;
      while (at < by_merchant.size() && by_merchant[at].merchant == number) ++at;
      const MerchantInfo& info = d.merchants[number];
      if (info.slot == kNoSlot || !passes(info, number)) continue;
      Own o;
      if (auto it = own.find(number); it != own.end()) o = it->second;
      // Items count when they hold every group the merchant's own text lacks.
      std::vector<std::pair<uint32_t, float>> full;
      int64_t price = kNoPrice;
      for (size_t i = first; i < at; ++i) {
        const ItemMatch& m = by_merchant[i].match;
        if ((m.mask | o.mask) != all) continue;
        const uint32_t slot = by_merchant[i].slot;
        float score = m.score;
        if (m.name_mask == all) {
          auto [en, zh] = d.names.get(d.items[slot].names);
          score *= name_bonus(phrase, en, zh);
        }
        full.emplace_back(slot, score);
        const int64_t p = d.items[slot].price;
        if (price == kNoPrice || p < price) price = p;
      }
      if (o.mask != all && full.empty()) continue;
      if (full.empty()) {
        price = info.row.min_item_price;
        if (!price_in_range(f, price)) continue;
      }
      float score = o.score;
      if (o.mask == all && o.name_mask == all) {
        score *= name_bonus(phrase, info.row.name_en, info.row.name_zh);
      }
      std::sort(full.begin(), full.end(), [&](const auto& a, const auto& b) {
        if (a.second != b.second) return a.second > b.second;
        return d.item_ids.id(a.first) < d.item_ids.id(b.first);
      });
      if (!full.empty()) score += kItemShare * full[0].second;
      if (full.size() > static_cast<size_t>(kSearchMaxMatchedItems)) {
        full.resize(kSearchMaxMatchedItems);
      }
      item_lists.push_back(std::move(full));
      rank(number, score, price, item_lists.size() - 1);
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
    for (const auto& [slot, score] : item_lists[r.items]) {
      const ItemDoc& doc = d.items[slot];
      auto [en, zh] = d.names.get(doc.names);
      hit.matched_items.push_back(MatchedItem{.id = d.item_ids.id(slot),
                                              .name_en = std::string(en),
                                              .name_zh = std::string(zh),
                                              .price = doc.price,
                                              .sold_out = doc.sold_out,
                                              .score = score});
    }
    result.hits.push_back(std::move(hit));
  }
  return result;
}

}  // namespace

Result<SearchResult> SearchIndex::search(const Actor& actor, const SearchQuery& query) const {
  std::shared_lock lock(mu_);
  QWL_RETURN_IF_ERROR(validate(*data_, query));
  const std::vector<QueryGroup> parsed = parse_query(query.text);
  if (query.kind == SearchKind::kProducts) return search_products(*data_, query, parsed);
  return search_merchants(*data_, query, parsed);
}

}  // namespace qwl::services
