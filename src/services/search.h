// Search over the ecosystem: products (with their variants, attributes, category and brand) and
// merchants (with their menu items), for English, Chinese and mixed queries, with filters,
// sorts and pagination, identical on SQLite and PostgreSQL.
//
// How: SearchIndex holds an inverted index of its own in memory (search_index.h; segmentation in
// text_segment.h), built from the tables at start-up and kept current from the change log that
// triggers write (migration 0002_search: search_changes). refresh() reads the log after the last
// change it applied and reloads only the records named there; a product whose text is unchanged
// (stock, price, sales at checkout) is updated in place, one whose text changed is re-indexed
// under a new slot. When too much of the index is stale (killed slots or postings added since the
// build), when the log was pruned past what this index read, or when a bulk load bumped the
// generation, refresh() rebuilds from the tables instead. Neither the database's collation nor
// its text search is used, so the same rows give the same results on both databases.
//
// Matching: every query word must match (AND) — an English word by its stem in a name,
// description, variant name, attribute value, or the product's category (or a parent category)
// or brand name; a Chinese run when the document's character bigrams cover it (text_segment.h).
// A word that matches nothing is tried as a typo (edit distance 1, or 2 from 8 letters) and,
// when `prefix` is set, as the unfinished last word of a type-ahead query. A merchant matches
// when its own text matches or one of its menu items matches the words its own text lacks
// ("luna latte": Luna Café with its lattes; "oat latte": the cafés with an item matching both);
// those items come back as matched_items.
//
// Ranking (sort = relevance): BM25 over weighted fields (name 3 > category, brand, cuisine,
// menu category 2 > variants, attributes 1.5 > description 1) with per-field length
// normalisation, summed over the query's words; then bonuses for a name that holds every word
// (+25%), the query as a phrase (+25%), at the start of the name (+25%), or the whole name
// (+50%). A merchant adds 0.8 x the score of its best matching item. Without text, relevance
// means sales. The other sorts use the BM25 score without bonuses to order equal keys. Every sort
// ends in score (descending) and then id (ascending), so equal records always come in the same
// order.
//
// Thread-safety: search() may run on any number of threads at once; refresh() may run beside
// them (one at a time; a second caller waits). The Db passed to build() must outlive the index.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/clock.h"
#include "base/status.h"
#include "services/actor.h"
#include "store/db.h"

namespace qwl::services {

enum class SearchKind { kProducts, kMerchants };
enum class SearchSort { kRelevance, kPriceAsc, kPriceDesc, kRating, kSales, kDistance };

// "products" / "merchants"; "relevance", "price_asc", "price_desc", "rating", "sales",
// "distance". Parsing: InvalidArgument naming the field and the accepted values.
std::string_view search_kind_name(SearchKind kind);
std::string_view search_sort_name(SearchSort sort);
Result<SearchKind> parse_search_kind(std::string_view text);
Result<SearchSort> parse_search_sort(std::string_view text);

inline constexpr int kSearchDefaultLimit = 20;
inline constexpr int kSearchMaxLimit = 100;
inline constexpr int kSearchMaxOffset = 10'000;
inline constexpr size_t kSearchMaxTextBytes = 512;
inline constexpr int kSearchMaxMatchedItems = 5;

struct SearchFilters {
  // Products: this category or any category below it.
  std::optional<int64_t> category_id;
  std::optional<int64_t> brand_id;     // products
  std::optional<int64_t> merchant_id;  // products of one merchant
  std::string merchant_kind;           // merchants: cafe, tea, restaurant, ... ("" any)
  // Minor units, inclusive. Products: the cheapest variant. Merchants: the cheapest matched
  // item (an item outside the range does not match), or without text the cheapest item.
  std::optional<int64_t> min_price;
  std::optional<int64_t> max_price;
  // Products: every (name, value) must be an attribute of the product (lower-case English, as
  // product_attributes holds them; compared after folding).
  std::vector<std::pair<std::string, std::string>> attributes;
  // Open at SearchQuery::now_us by the poi's opening hours (city_time.h) and accepting orders;
  // products: their merchant. Needs now_us.
  bool open_now = false;
  std::optional<int64_t> min_rating_x10;  // 0..50
  // Products with a variant in stock; merchants: matched items that are not sold out.
  bool in_stock = false;
  // Within this many metres of (lat, lon); records without a place never pass. Needs lat/lon.
  std::optional<int64_t> max_distance_m;
};

struct SearchQuery {
  std::string text;  // empty: everything that passes the filters
  SearchKind kind = SearchKind::kProducts;
  SearchFilters filters;
  SearchSort sort = SearchSort::kRelevance;
  // Where the user is (WGS84 degrees): distances, the distance sort and max_distance_m.
  std::optional<double> lat;
  std::optional<double> lon;
  int limit = kSearchDefaultLimit;  // 1..kSearchMaxLimit
  int offset = 0;                   // 0..kSearchMaxOffset
  int64_t now_us = 0;               // wall time (the injected Clock) for open_now; 0: not given
  bool prefix = false;              // type-ahead: the last word may be unfinished
};

struct MatchedItem {
  int64_t id = 0;
  std::string name_en;
  std::string name_zh;
  int64_t price = 0;  // minor units
  bool sold_out = false;
  double score = 0;
};

struct SearchHit {
  int64_t id = 0;  // products.id or merchants.id
  double score = 0;
  std::string name_en;
  std::string name_zh;
  std::optional<int64_t> price;  // minor units (see SearchFilters::min_price); none: no price
  int64_t rating_x10 = 0;
  int64_t review_count = 0;  // products
  int64_t sales = 0;
  // Products: the seller. Merchants: the merchant itself.
  int64_t merchant_id = 0;
  std::string merchant_name_en;
  std::string merchant_name_zh;
  std::string merchant_kind;
  std::optional<int64_t> distance_m;  // when lat/lon were given and the record has a place
  std::optional<bool> open_now;       // when now_us was given
  // Products.
  int64_t category_id = 0;
  std::optional<int64_t> brand_id;
  bool in_stock = false;
  // Merchants: the menu items that match the query, best first (at most
  // kSearchMaxMatchedItems).
  std::vector<MatchedItem> matched_items;
};

struct SearchResult {
  std::vector<SearchHit> hits;
  int64_t total = 0;  // every match that passes the filters (exact)
};

struct SearchIndexOptions {
  // refresh() rebuilds instead of patching when this share of slots is dead or was added since
  // the build.
  double rebuild_stale_fraction = 0.25;
  // ... or when one refresh would reload more records than this.
  int64_t rebuild_change_count = 200'000;
  // The change log is pruned by refresh() to about this many rows (0: never prune).
  int64_t keep_changes = 200'000;
  // Change ids skipped by a concurrent PostgreSQL transaction are looked for again for this long.
  int64_t gap_timeout_us = 60'000'000;
  // Rows read per statement while building.
  int64_t build_page = 20'000;
};

struct SearchIndexStats {
  int64_t products = 0;  // live documents
  int64_t merchants = 0;
  int64_t menu_items = 0;
  int64_t terms = 0;     // distinct terms over the three indexes
  int64_t postings = 0;  // postings in the compressed runs
  int64_t posting_bytes = 0;
  int64_t memory_bytes = 0;  // everything the index holds (capacity)
  int64_t dead_slots = 0;
  int64_t last_change_id = 0;  // the change log id the index has read up to
  int64_t pending_gaps = 0;    // ids below it not seen yet (PostgreSQL: not yet committed)
  int64_t builds = 0;          // full builds since construction
  int64_t refreshes = 0;       // refresh() calls that applied changes
  int64_t build_us = 0;        // duration of the last full build
};

class SearchIndex {
 public:
  // Builds the index from the database (docs/ecosystem/search.md has the time and memory at a
  // million products). `clock` times how long a change-log gap is waited for. Errors: the
  // database's.
  static Result<std::unique_ptr<SearchIndex>> build(Db& db, const Clock& clock,
                                                    SearchIndexOptions options = {});
  ~SearchIndex();
  SearchIndex(const SearchIndex&) = delete;
  SearchIndex& operator=(const SearchIndex&) = delete;

  // Applies the changes logged since the last build or refresh (or rebuilds, see above).
  // Callers: a periodic task, and writers that want their change visible at once (call it after
  // the commit). Errors: the database's; the index stays as it was.
  Status refresh();

  // Any actor may search; results hold only public catalog data. Errors: InvalidArgument for a
  // bad query, naming the field (limit, offset, text, filters.min_price, filters.category_id
  // unknown or on merchants, sort distance without lat/lon, ...).
  Result<SearchResult> search(const Actor& actor, const SearchQuery& query) const;

  SearchIndexStats stats() const;

  struct Data;  // the index proper (search.cpp)

 private:
  SearchIndex(Db& db, const Clock& clock, SearchIndexOptions options);
  Status rebuild();

  Db& db_;
  const Clock& clock_;
  SearchIndexOptions options_;
  // data_ is shared by searches and taken exclusively to apply changes. std::shared_mutex lets a
  // stream of readers starve a writer (glibc prefers readers), so both pass a turnstile first: a
  // writer holds it while it waits and works, which holds new readers back.
  class ReadLock {
   public:
    explicit ReadLock(const SearchIndex& index);

   private:
    std::shared_lock<std::shared_mutex> lock_;
  };
  class WriteLock {
   public:
    explicit WriteLock(SearchIndex& index);

   private:
    std::lock_guard<std::mutex> turnstile_;
    std::unique_lock<std::shared_mutex> lock_;
  };

  std::mutex writer_;  // one refresh or rebuild at a time
  mutable std::mutex turnstile_;
  mutable std::shared_mutex mu_;
  std::unique_ptr<Data> data_;
};

// Turns the change log off for a bulk load (seeding) and back on. Turning it on bumps the
// generation, so every index rebuilds at its next refresh. Run in the loader's transaction.
Status set_search_capture(Tx& tx, bool capture);

}  // namespace qwl::services
