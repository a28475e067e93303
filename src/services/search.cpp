// Search: loading records from the database into the three term indexes (products, merchants,
// menu items) and keeping them current from the change log (see search.h; queries are answered
// in search_query.cpp).
#include "services/search.h"

#include <malloc.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <unordered_map>
#include <unordered_set>

#include "services/search_internal.h"

namespace qwl::services {
using namespace search_internal;  // NOLINT(google-build-using-namespace): this file's own types
namespace {

// ---- Documents --------------------------------------------------------------------------------

// A field of a document: its weight, its reference length (the length at which normalisation is
// neutral; fixed rather than the corpus average so that a record indexed later scores exactly as
// it would in a fresh build), whether it is a name, and whether CJK single characters are terms.
struct FieldSpec {
  float weight;
  float ref_len;
  bool name;
  bool unigrams;
};
constexpr FieldSpec kNameEn{3.0f, 3, true, false};
constexpr FieldSpec kNameZh{3.0f, 5, true, true};
constexpr FieldSpec kDescEn{1.0f, 20, false, false};
constexpr FieldSpec kDescZh{1.0f, 40, false, false};
constexpr FieldSpec kVariantEn{1.5f, 4, false, false};
constexpr FieldSpec kVariantZh{1.5f, 6, false, false};
constexpr FieldSpec kAttributes{1.5f, 3, false, false};
constexpr FieldSpec kCategoryEn{2.0f, 2, false, true};  // menu items' category text
constexpr FieldSpec kCategoryZh{2.0f, 3, false, true};
constexpr FieldSpec kKindLabels{2.0f, 6, false, true};  // merchants: cafe -> "cafe coffee 咖啡 ..."
constexpr FieldSpec kCuisine{2.0f, 2, false, true};

// A posting's weight (search_internal.h kNameBit).
uint8_t quantize(float sat, bool name, bool start) {
  int level = static_cast<int>(std::lround(sat / kMaxSat * kSatLevels));
  level = std::clamp(level, 1, kSatLevels);
  return static_cast<uint8_t>(level | (name ? kNameBit : 0) | (start ? kStartBit : 0));
}

uint8_t clamp_len(int n) {
  return static_cast<uint8_t>(std::min(n, 255));
}

// Words that describe a merchant's kind in both languages, indexed with the merchant.
std::string_view kind_labels(std::string_view kind) {
  if (kind == "cafe") return "cafe coffee 咖啡 咖啡馆 咖啡店";
  if (kind == "tea") return "tea 茶 茶饮";
  if (kind == "restaurant") return "restaurant 餐厅 饭店";
  if (kind == "supermarket") return "supermarket grocery 超市";
  if (kind == "pharmacy") return "pharmacy drugstore 药店 药房";
  if (kind == "shop") return "shop store 商店";
  return "";
}
uint64_t fnv1a(uint64_t h, std::string_view s) {
  for (char c : s) {
    h ^= static_cast<unsigned char>(c);
    h *= 1099511628211ULL;
  }
  h ^= 0xFF;  // field separator
  return h * 1099511628211ULL;
}
constexpr uint64_t kFnvBasis = 14695981039346656037ULL;

// The terms of one document with their BM25F weighted frequencies, collected field by field.
class DocTerms {
 public:
  void clear() {
    terms_.clear();
    hash_ = kFnvBasis;
  }
  // Returns the field's length (text_segment.h for_each_index_term).
  int add_field(std::string_view text, const FieldSpec& spec) {
    hash_ = fnv1a(hash_, text);
    if (text.empty()) return 0;
    const size_t first = terms_.size();
    const int length =
        for_each_index_term(text, spec.unigrams, &scratch_, [&](std::string term, bool start) {
          terms_.push_back(Entry{std::move(term), 1, spec.name, spec.name && start});
        });
    const float norm = 1 - kB + kB * static_cast<float>(length) / spec.ref_len;
    for (size_t i = first; i < terms_.size(); ++i) terms_[i].wtf = spec.weight / norm;
    return length;
  }
  // A term that only filters (category, brand, attribute): weight 1, never a name.
  void add_filter(std::string term) {
    hash_ = fnv1a(hash_, term);
    terms_.push_back(Entry{std::move(term), 0, false, false});
  }
  // Merges repeated terms and calls sink(term, weight) once per term, in byte order.
  template <typename Sink>
  void emit(Sink&& sink) {
    std::sort(terms_.begin(), terms_.end(),
              [](const Entry& a, const Entry& b) { return a.term < b.term; });
    for (size_t i = 0; i < terms_.size();) {
      float wtf = 0;
      bool name = false, start = false;
      size_t j = i;
      for (; j < terms_.size() && terms_[j].term == terms_[i].term; ++j) {
        wtf += terms_[j].wtf;
        name |= terms_[j].name;
        start |= terms_[j].start;
      }
      sink(terms_[i].term, wtf > 0 ? quantize(saturate(wtf), name, start) : uint8_t{1});
      i = j;
    }
  }
  uint64_t hash() const { return hash_; }

  // The lengths of the document's names, recorded by the *_terms() functions.
  uint8_t name_len_en = 0;
  uint8_t name_len_zh = 0;

 private:
  struct Entry {
    std::string term;
    float wtf;
    bool name;
    bool start;
  };
  std::vector<Entry> terms_;
  std::vector<TextToken> scratch_;
  uint64_t hash_ = kFnvBasis;
};

// Rows as loaded from the database.
struct VariantRow {
  std::string name_en, name_zh;
  int64_t price = 0;
  int64_t stock = 0;
};
struct ProductRow {
  int64_t id = 0;
  int64_t merchant_id = 0;
  int64_t category_id = 0;
  int64_t brand_id = 0;  // 0: none
  std::string name_en, name_zh, description_en, description_zh;
  int64_t rating_x10 = 0, review_count = 0, sales = 0;
  bool listed = true;
  std::vector<VariantRow> variants;
  std::vector<std::pair<std::string, std::string>> attributes;
};
struct ItemRow {
  int64_t id = 0;
  int64_t merchant_id = 0;
  std::string category_en, category_zh, name_en, name_zh, description_en, description_zh;
  int64_t price = 0;
  bool available = true;
  bool sold_out = false;
  int64_t sales = 0;
};
void product_terms(const ProductRow& p, DocTerms* d) {
  d->clear();
  d->name_len_en = clamp_len(d->add_field(p.name_en, kNameEn));
  d->name_len_zh = clamp_len(d->add_field(p.name_zh, kNameZh));
  d->add_field(p.description_en, kDescEn);
  d->add_field(p.description_zh, kDescZh);
  std::string variants_en, variants_zh, values;
  for (const VariantRow& v : p.variants) {
    variants_en += v.name_en + " ";
    variants_zh += v.name_zh + " ";
  }
  for (const auto& [name, value] : p.attributes) values += value + " ";
  d->add_field(variants_en, kVariantEn);
  d->add_field(variants_zh, kVariantZh);
  d->add_field(values, kAttributes);
  d->add_filter(category_term(p.category_id));
  if (p.brand_id != 0) d->add_filter(brand_term(p.brand_id));
  d->add_filter(merchant_term(p.merchant_id));
  for (const auto& [name, value] : p.attributes) d->add_filter(attribute_term(name, value));
}

void item_terms(const ItemRow& i, DocTerms* d) {
  d->clear();
  d->name_len_en = clamp_len(d->add_field(i.name_en, kNameEn));
  d->name_len_zh = clamp_len(d->add_field(i.name_zh, kNameZh));
  d->add_field(i.category_en, kCategoryEn);
  d->add_field(i.category_zh, kCategoryZh);
  d->add_field(i.description_en, kDescEn);
  d->add_field(i.description_zh, kDescZh);
}

void merchant_terms(const MerchantRow& m, DocTerms* d) {
  d->clear();
  d->name_len_en = clamp_len(d->add_field(m.name_en, kNameEn));
  d->name_len_zh = clamp_len(d->add_field(m.name_zh, kNameZh));
  d->add_field(kind_labels(m.kind), kKindLabels);
  d->add_field(m.cuisine, kCuisine);
  d->add_field(m.description_en, kDescEn);
  d->add_field(m.description_zh, kDescZh);
}

std::vector<std::string> sorted_terms(std::string_view a, std::string_view b) {
  std::vector<std::string> out;
  std::vector<TextToken> scratch;
  for (std::string_view text : {a, b}) {
    for_each_index_term(text, true, &scratch,
                        [&](std::string t, bool) { out.push_back(std::move(t)); });
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

using Data = SearchIndex::Data;

// ---- Loading -----------------------------------------------------------------------------------

// Statements that take a fixed number of ids (so that each is prepared once): a chunk shorter
// than kIdChunk repeats its last id.
constexpr size_t kIdChunk = 64;
std::string in_list() {
  std::string s = "(";
  for (size_t i = 0; i < kIdChunk; ++i) s += i == 0 ? "?" : ", ?";
  return s + ")";
}
std::vector<Value> chunk_params(const std::vector<int64_t>& ids, size_t from) {
  std::vector<Value> params;
  params.reserve(kIdChunk);
  for (size_t i = 0; i < kIdChunk; ++i)
    params.emplace_back(ids[std::min(from + i, ids.size() - 1)]);
  return params;
}

std::string opt_text(const Row& r, size_t col) {
  return r.is_null(col) ? "" : r.text(col);
}
int64_t opt_int(const Row& r, size_t col, int64_t none = 0) {
  return r.is_null(col) ? none : r.int64(col);
}

Result<std::pair<std::vector<CategoryInfo>, std::vector<BrandInfo>>> load_catalog(Tx& tx) {
  std::vector<CategoryInfo> cats;
  std::vector<BrandInfo> brands;
  QWL_ASSIGN_OR_RETURN(
      Rows rows, tx.query("SELECT id, parent_id, name_en, name_zh FROM categories ORDER BY id"));
  for (const Row& r : rows) {
    cats.push_back(CategoryInfo{.id = r.int64(0),
                                .parent_id = opt_int(r, 1),
                                .terms = sorted_terms(r.text(2), r.text(3)),
                                .subtree = {}});
  }
  QWL_ASSIGN_OR_RETURN(rows, tx.query("SELECT id, name_en, name_zh FROM brands ORDER BY id"));
  for (const Row& r : rows) {
    brands.push_back(BrandInfo{.id = r.int64(0), .terms = sorted_terms(r.text(1), r.text(2))});
  }
  return std::make_pair(std::move(cats), std::move(brands));
}

constexpr std::string_view kMerchantColumns =
    "SELECT m.id, m.poi_id, m.kind, m.name_en, m.name_zh, m.description_en, m.description_zh, "
    "m.rating_x10, m.sales, m.accepting, p.lat, p.lon, p.cuisine, (SELECT MIN(i.price) FROM "
    "menu_items i WHERE i.merchant_id = m.id AND i.available = TRUE) FROM merchants m LEFT JOIN "
    "pois p ON p.id = m.poi_id ";

MerchantRow merchant_row(const Row& r) {
  MerchantRow m;
  m.id = r.int64(0);
  m.poi_id = opt_int(r, 1);
  m.kind = r.text(2);
  m.name_en = r.text(3);
  m.name_zh = r.text(4);
  m.description_en = r.text(5);
  m.description_zh = r.text(6);
  m.rating_x10 = r.int64(7);
  m.sales = r.int64(8);
  m.accepting = r.int64(9) != 0;
  m.has_place = !r.is_null(10) && !r.is_null(11);
  if (m.has_place) {
    m.lat = r.real(10);
    m.lon = r.real(11);
  }
  m.cuisine = opt_text(r, 12);
  m.min_item_price = opt_int(r, 13, kNoPrice);
  return m;
}

// Attaches opening hours rows (merchant id, weekday, open, close) to merchants by id.
void attach_hours(const Rows& rows, std::vector<MerchantRow>* merchants) {
  std::unordered_map<int64_t, MerchantRow*> by_id;
  for (MerchantRow& m : *merchants) by_id[m.id] = &m;
  for (const Row& r : rows) {
    auto it = by_id.find(r.int64(0));
    if (it == by_id.end()) continue;
    it->second->hours.push_back(HoursRange{static_cast<int8_t>(r.int64(1)),
                                           static_cast<int16_t>(r.int64(2)),
                                           static_cast<int16_t>(r.int64(3))});
  }
}

constexpr std::string_view kItemColumns =
    "SELECT id, merchant_id, category_en, category_zh, name_en, name_zh, description_en, "
    "description_zh, price, available, stock, sales FROM menu_items ";

ItemRow item_row(const Row& r) {
  ItemRow i;
  i.id = r.int64(0);
  i.merchant_id = r.int64(1);
  i.category_en = r.text(2);
  i.category_zh = r.text(3);
  i.name_en = r.text(4);
  i.name_zh = r.text(5);
  i.description_en = r.text(6);
  i.description_zh = r.text(7);
  i.price = r.int64(8);
  i.available = r.int64(9) != 0;
  i.sold_out = !r.is_null(10) && r.int64(10) == 0;
  i.sales = r.int64(11);
  return i;
}

constexpr std::string_view kProductColumns =
    "SELECT id, merchant_id, category_id, brand_id, name_en, name_zh, description_en, "
    "description_zh, rating_x10, review_count, sales, listed FROM products ";

ProductRow product_row(const Row& r) {
  ProductRow p;
  p.id = r.int64(0);
  p.merchant_id = r.int64(1);
  p.category_id = r.int64(2);
  p.brand_id = opt_int(r, 3);
  p.name_en = r.text(4);
  p.name_zh = r.text(5);
  p.description_en = r.text(6);
  p.description_zh = r.text(7);
  p.rating_x10 = r.int64(8);
  p.review_count = r.int64(9);
  p.sales = r.int64(10);
  p.listed = r.int64(11) != 0;
  return p;
}

// Attaches variants (product_id, name_en, name_zh, price, stock) and attributes (product_id,
// name, value) to products sorted by id. Attributes are sorted here, not by SQL, so that the
// databases' collations never matter.
void attach_product_parts(const Rows& variants, const Rows& attributes,
                          std::vector<ProductRow>* products) {
  auto find = [&](int64_t id) -> ProductRow* {
    auto it = std::lower_bound(products->begin(), products->end(), id,
                               [](const ProductRow& p, int64_t v) { return p.id < v; });
    return it != products->end() && it->id == id ? &*it : nullptr;
  };
  for (const Row& r : variants) {
    if (ProductRow* p = find(r.int64(0))) {
      p->variants.push_back(VariantRow{r.text(1), r.text(2), r.int64(3), r.int64(4)});
    }
  }
  for (const Row& r : attributes) {
    if (ProductRow* p = find(r.int64(0))) p->attributes.emplace_back(r.text(1), r.text(2));
  }
  for (ProductRow& p : *products) std::sort(p.attributes.begin(), p.attributes.end());
}

ProductDoc product_doc(const ProductRow& p, uint32_t merchant, uint64_t names,
                       const DocTerms& terms) {
  ProductDoc d;
  for (const VariantRow& v : p.variants) {
    if (d.price == kNoPrice || v.price < d.price) d.price = v.price;
    d.in_stock |= v.stock > 0;
  }
  d.sales = p.sales;
  d.category_id = p.category_id;
  d.brand_id = p.brand_id;
  d.names = names;
  d.text_hash = terms.hash();
  d.name_len_en = terms.name_len_en;
  d.name_len_zh = terms.name_len_zh;
  d.merchant = merchant;
  d.review_count = static_cast<int32_t>(std::min<int64_t>(p.review_count, INT32_MAX));
  d.rating_x10 = static_cast<uint8_t>(std::clamp<int64_t>(p.rating_x10, 0, 50));
  return d;
}

ItemDoc item_doc(const ItemRow& i, uint32_t merchant, uint64_t names, const DocTerms& terms) {
  return ItemDoc{.price = i.price,
                 .sales = i.sales,
                 .names = names,
                 .text_hash = terms.hash(),
                 .merchant = merchant,
                 .sold_out = i.sold_out,
                 .name_len_en = terms.name_len_en,
                 .name_len_zh = terms.name_len_zh};
}

// Reads the change log's position, and the ids present just below it (for gaps: ids that a
// transaction still running holds and will commit later, on PostgreSQL).
constexpr int64_t kGapLookback = 1000;
Status load_log_position(Tx& tx, Data* d, int64_t now_us) {
  QWL_ASSIGN_OR_RETURN(d->generation,
                       tx.query_int64("SELECT generation FROM search_state WHERE id = 1"));
  QWL_ASSIGN_OR_RETURN(d->pruned_through,
                       tx.query_int64("SELECT pruned_through FROM search_prune WHERE id = 1"));
  QWL_ASSIGN_OR_RETURN(d->last_change_id,
                       tx.query_int64("SELECT COALESCE(MAX(id), 0) FROM search_changes"));
  const int64_t from = std::max(d->pruned_through, d->last_change_id - kGapLookback);
  QWL_ASSIGN_OR_RETURN(Rows rows,
                       tx.query("SELECT id FROM search_changes WHERE id > ? ORDER BY id", {from}));
  int64_t expect = from + 1;
  for (const Row& r : rows) {
    for (; expect < r.int64(0); ++expect) d->gaps.emplace(expect, now_us);
    expect = r.int64(0) + 1;
  }
  return Status::Ok();
}

// Builds everything from the tables in one read snapshot.
Status load_all(Tx& tx, const SearchIndexOptions& options, int64_t now_us, Data* d) {
  QWL_RETURN_IF_ERROR(load_log_position(tx, d, now_us));
  QWL_ASSIGN_OR_RETURN(auto catalog, load_catalog(tx));
  d->set_catalog(std::move(catalog.first), std::move(catalog.second));
  DocTerms terms;

  // Merchants, page by page.
  TermIndex::Builder merchant_builder;
  const std::string merchant_page =
      std::string(kMerchantColumns) + "WHERE m.id > ? ORDER BY m.id LIMIT ?";
  int64_t after = 0;
  while (true) {
    QWL_ASSIGN_OR_RETURN(Rows rows, tx.query(merchant_page, {after, options.build_page}));
    if (rows.empty()) break;
    std::vector<MerchantRow> page;
    for (const Row& r : rows) page.push_back(merchant_row(r));
    QWL_ASSIGN_OR_RETURN(
        Rows hours,
        tx.query("SELECT m.id, h.weekday, h.open_min, h.close_min FROM poi_hours h JOIN merchants "
                 "m ON m.poi_id = h.poi_id WHERE m.id > ? AND m.id <= ? ORDER BY m.id, "
                 "h.weekday, h.open_min",
                 {after, page.back().id}));
    attach_hours(hours, &page);
    for (MerchantRow& m : page) {
      const uint32_t number = d->merchant_for(m.id);
      MerchantInfo& info = d->merchants[number];
      merchant_terms(m, &terms);
      info.slot = merchant_builder.add_doc();
      d->merchant_of_slot.push_back(number);
      terms.emit([&](const std::string& t, uint8_t w) { merchant_builder.add(t, info.slot, w); });
      info.text_hash = terms.hash();
      info.name_len_en = terms.name_len_en;
      info.name_len_zh = terms.name_len_zh;
      info.exists = true;
      if (m.poi_id != 0) d->poi_merchant[m.poi_id] = number;
      info.row = std::move(m);
    }
    after = page.back().id;
    if (static_cast<int64_t>(rows.size()) < options.build_page) break;
  }
  d->merchant_index = merchant_builder.finish();

  // Menu items that are on the menu.
  TermIndex::Builder item_builder;
  const std::string item_page =
      std::string(kItemColumns) + "WHERE available = TRUE AND id > ? ORDER BY id LIMIT ?";
  after = 0;
  while (true) {
    QWL_ASSIGN_OR_RETURN(Rows rows, tx.query(item_page, {after, options.build_page}));
    if (rows.empty()) break;
    for (const Row& r : rows) {
      const ItemRow i = item_row(r);
      item_terms(i, &terms);
      const uint32_t slot = item_builder.add_doc();
      terms.emit([&](const std::string& t, uint8_t w) { item_builder.add(t, slot, w); });
      d->item_ids.push(i.id);
      d->items.push_back(
          item_doc(i, d->merchant_for(i.merchant_id), d->names.add(i.name_en, i.name_zh), terms));
      after = i.id;
    }
    if (static_cast<int64_t>(rows.size()) < options.build_page) break;
  }
  d->item_index = item_builder.finish();
  d->item_ids.seal();

  // Listed products with their variants and attributes, category by category: a category's
  // products get neighbouring slots, so browsing or sorting one reads their records in order
  // (a million records read at random would be a cache miss each).
  TermIndex::Builder product_builder;
  const std::string product_page = std::string(kProductColumns) +
                                   "WHERE listed = TRUE AND category_id = ? AND id > ? ORDER BY "
                                   "id LIMIT ?";
  for (const CategoryInfo& category : d->categories) {
    after = 0;
    while (true) {
      QWL_ASSIGN_OR_RETURN(Rows rows,
                           tx.query(product_page, {category.id, after, options.build_page}));
      if (rows.empty()) break;
      std::vector<ProductRow> page;
      page.reserve(rows.size());
      for (const Row& r : rows) page.push_back(product_row(r));
      rows = Rows();
      const std::vector<Value> range = {category.id, page.front().id, page.back().id};
      QWL_ASSIGN_OR_RETURN(
          Rows variants,
          tx.query("SELECT v.product_id, v.name_en, v.name_zh, v.price, v.stock FROM "
                   "product_variants v JOIN products p ON p.id = v.product_id WHERE "
                   "p.category_id = ? AND p.listed = TRUE AND p.id >= ? AND p.id <= ? ORDER BY "
                   "v.product_id, v.id",
                   range));
      QWL_ASSIGN_OR_RETURN(
          Rows attributes,
          tx.query("SELECT a.product_id, a.name, a.value FROM product_attributes a JOIN products p "
                   "ON p.id = a.product_id WHERE p.category_id = ? AND p.listed = TRUE AND p.id "
                   ">= ? AND p.id <= ?",
                   range));
      attach_product_parts(variants, attributes, &page);
      for (const ProductRow& p : page) {
        product_terms(p, &terms);
        const uint32_t slot = product_builder.add_doc();
        terms.emit([&](const std::string& t, uint8_t w) { product_builder.add(t, slot, w); });
        d->product_ids.push(p.id);
        d->products.push_back(product_doc(p, d->merchant_for(p.merchant_id),
                                          d->names.add(p.name_en, p.name_zh), terms));
      }
      after = page.back().id;
      if (static_cast<int64_t>(page.size()) < options.build_page) break;
    }
  }
  d->product_index = product_builder.finish();
  d->product_ids.seal();
  d->names.shrink();
  d->products.shrink_to_fit();
  d->items.shrink_to_fit();
  return Status::Ok();
}

// ---- Changes -----------------------------------------------------------------------------------

// What one refresh reloads, read in one snapshot.
struct ChangeSet {
  bool rebuild = false;
  int64_t generation = 0;
  int64_t pruned_through = 0;
  int64_t last_change_id = 0;
  std::vector<int64_t> found_gaps;  // gap ids that have now appeared
  std::vector<int64_t> new_gaps;    // ids skipped below the new position
  bool catalog = false;
  std::vector<CategoryInfo> categories;
  std::vector<BrandInfo> brands;
  std::vector<int64_t> product_ids, item_ids, merchant_ids;  // sorted, unique
  std::vector<ProductRow> products;                          // found ones, by id
  std::vector<ItemRow> items;
  std::vector<MerchantRow> merchants;
};

void sort_unique(std::vector<int64_t>* v) {
  std::sort(v->begin(), v->end());
  v->erase(std::unique(v->begin(), v->end()), v->end());
}

Status load_changes(Tx& tx, const Data& d, const SearchIndexOptions& options, ChangeSet* c) {
  *c = ChangeSet();
  QWL_ASSIGN_OR_RETURN(c->generation,
                       tx.query_int64("SELECT generation FROM search_state WHERE id = 1"));
  QWL_ASSIGN_OR_RETURN(c->pruned_through,
                       tx.query_int64("SELECT pruned_through FROM search_prune WHERE id = 1"));
  if (c->generation != d.generation || c->pruned_through > d.last_change_id) {
    c->rebuild = true;
    return Status::Ok();
  }
  std::vector<int64_t> poi_ids;
  auto note = [&](const Row& r) {
    const std::string& kind = r.text(1);
    const int64_t ref = r.int64(2);
    if (kind == "product")
      c->product_ids.push_back(ref);
    else if (kind == "item")
      c->item_ids.push_back(ref);
    else if (kind == "merchant")
      c->merchant_ids.push_back(ref);
    else if (kind == "poi")
      poi_ids.push_back(ref);
    else
      c->catalog = true;  // category, brand
  };
  // New entries, in pages.
  c->last_change_id = d.last_change_id;
  constexpr int64_t kPage = 10'000;
  int64_t read = 0;
  while (true) {
    QWL_ASSIGN_OR_RETURN(Rows rows, tx.query("SELECT id, kind, ref_id FROM search_changes WHERE "
                                             "id > ? ORDER BY id LIMIT ?",
                                             {c->last_change_id, kPage}));
    for (const Row& r : rows) {
      for (int64_t id = c->last_change_id + 1; id < r.int64(0); ++id) c->new_gaps.push_back(id);
      c->last_change_id = r.int64(0);
      note(r);
    }
    read += static_cast<int64_t>(rows.size());
    if (read > options.rebuild_change_count) {
      c->rebuild = true;
      return Status::Ok();
    }
    if (static_cast<int64_t>(rows.size()) < kPage) break;
  }
  // Entries that were missing before.
  std::vector<int64_t> gaps;
  for (const auto& [id, since] : d.gaps) gaps.push_back(id);
  for (size_t i = 0; i < gaps.size(); i += kIdChunk) {
    QWL_ASSIGN_OR_RETURN(
        Rows rows, tx.query("SELECT id, kind, ref_id FROM search_changes WHERE id IN " + in_list(),
                            chunk_params(gaps, i)));
    for (const Row& r : rows) {
      c->found_gaps.push_back(r.int64(0));
      note(r);
    }
  }
  sort_unique(&c->found_gaps);
  sort_unique(&poi_ids);
  for (size_t i = 0; i < poi_ids.size(); i += kIdChunk) {
    QWL_ASSIGN_OR_RETURN(Rows rows,
                         tx.query("SELECT id FROM merchants WHERE poi_id IN " + in_list(),
                                  chunk_params(poi_ids, i)));
    for (const Row& r : rows) c->merchant_ids.push_back(r.int64(0));
  }
  sort_unique(&c->product_ids);
  sort_unique(&c->item_ids);

  if (c->catalog) {
    QWL_ASSIGN_OR_RETURN(auto catalog, load_catalog(tx));
    c->categories = std::move(catalog.first);
    c->brands = std::move(catalog.second);
  }
  // Products with their parts.
  for (size_t i = 0; i < c->product_ids.size(); i += kIdChunk) {
    const std::vector<Value> params = chunk_params(c->product_ids, i);
    QWL_ASSIGN_OR_RETURN(Rows rows, tx.query(std::string(kProductColumns) + "WHERE id IN " +
                                                 in_list() + " ORDER BY id",
                                             params));
    std::vector<ProductRow> page;
    for (const Row& r : rows) page.push_back(product_row(r));
    QWL_ASSIGN_OR_RETURN(Rows variants,
                         tx.query("SELECT product_id, name_en, name_zh, price, stock FROM "
                                  "product_variants WHERE product_id IN " +
                                      in_list() + " ORDER BY product_id, id",
                                  params));
    QWL_ASSIGN_OR_RETURN(Rows attributes,
                         tx.query("SELECT product_id, name, value FROM product_attributes WHERE "
                                  "product_id IN " +
                                      in_list(),
                                  params));
    attach_product_parts(variants, attributes, &page);
    for (ProductRow& p : page) c->products.push_back(std::move(p));
  }
  // Items; their merchants' cheapest item may have changed too.
  for (size_t i = 0; i < c->item_ids.size(); i += kIdChunk) {
    QWL_ASSIGN_OR_RETURN(
        Rows rows, tx.query(std::string(kItemColumns) + "WHERE id IN " + in_list() + " ORDER BY id",
                            chunk_params(c->item_ids, i)));
    for (const Row& r : rows) {
      c->items.push_back(item_row(r));
      c->merchant_ids.push_back(c->items.back().merchant_id);
    }
  }
  for (int64_t id : c->item_ids) {
    if (std::optional<uint32_t> slot = d.item_ids.find(id, *d.item_index)) {
      c->merchant_ids.push_back(d.merchants[d.items[*slot].merchant].row.id);
    }
  }
  sort_unique(&c->merchant_ids);
  for (size_t i = 0; i < c->merchant_ids.size(); i += kIdChunk) {
    const std::vector<Value> params = chunk_params(c->merchant_ids, i);
    QWL_ASSIGN_OR_RETURN(Rows rows, tx.query(std::string(kMerchantColumns) + "WHERE m.id IN " +
                                                 in_list() + " ORDER BY m.id",
                                             params));
    std::vector<MerchantRow> page;
    for (const Row& r : rows) page.push_back(merchant_row(r));
    QWL_ASSIGN_OR_RETURN(Rows hours,
                         tx.query("SELECT m.id, h.weekday, h.open_min, h.close_min FROM poi_hours "
                                  "h JOIN merchants m ON m.poi_id = h.poi_id WHERE m.id IN " +
                                      in_list() + " ORDER BY m.id, h.weekday, h.open_min",
                                  params));
    attach_hours(hours, &page);
    for (MerchantRow& m : page) c->merchants.push_back(std::move(m));
  }
  if (static_cast<int64_t>(c->product_ids.size() + c->item_ids.size() + c->merchant_ids.size()) >
      options.rebuild_change_count) {
    c->rebuild = true;
  }
  return Status::Ok();
}

// Applies a change set (exclusive access).
void apply_changes(ChangeSet& c, int64_t now_us, const SearchIndexOptions& options, Data* d) {
  DocTerms terms;
  if (c.catalog) d->set_catalog(std::move(c.categories), std::move(c.brands));

  // Merchants first: products and items refer to them by number.
  std::unordered_set<int64_t> found;
  for (MerchantRow& m : c.merchants) {
    found.insert(m.id);
    const uint32_t number = d->merchant_for(m.id);
    MerchantInfo& info = d->merchants[number];
    merchant_terms(m, &terms);
    if (info.exists && info.row.poi_id != m.poi_id) d->poi_merchant.erase(info.row.poi_id);
    if (m.poi_id != 0) d->poi_merchant[m.poi_id] = number;
    if (!info.exists || info.text_hash != terms.hash()) {
      if (info.slot != kNoSlot) d->merchant_index->kill(info.slot);
      info.slot = d->merchant_index->add_doc();
      d->merchant_of_slot.push_back(number);
      terms.emit([&](const std::string& t, uint8_t w) { d->merchant_index->add(t, info.slot, w); });
      info.text_hash = terms.hash();
      info.name_len_en = terms.name_len_en;
      info.name_len_zh = terms.name_len_zh;
    }
    info.exists = true;
    info.row = std::move(m);
  }
  for (int64_t id : c.merchant_ids) {
    if (found.count(id)) continue;
    auto it = d->merchant_number.find(id);
    if (it == d->merchant_number.end()) continue;
    MerchantInfo& info = d->merchants[it->second];
    if (info.slot != kNoSlot) d->merchant_index->kill(info.slot);
    if (info.exists) d->poi_merchant.erase(info.row.poi_id);
    info.slot = kNoSlot;
    info.exists = false;
  }

  // Items.
  found.clear();
  for (const ItemRow& i : c.items) {
    found.insert(i.id);
    std::optional<uint32_t> slot = d->item_ids.find(i.id, *d->item_index);
    if (!i.available) {
      if (slot) d->item_index->kill(*slot);
      d->item_ids.removed(i.id);
      continue;
    }
    item_terms(i, &terms);
    const uint32_t merchant = d->merchant_for(i.merchant_id);
    if (slot && d->items[*slot].text_hash == terms.hash() && d->items[*slot].merchant == merchant) {
      ItemDoc& doc = d->items[*slot];
      doc.price = i.price;
      doc.sales = i.sales;
      doc.sold_out = i.sold_out;
      continue;
    }
    if (slot) d->item_index->kill(*slot);
    const uint32_t s = d->item_index->add_doc();
    terms.emit([&](const std::string& t, uint8_t w) { d->item_index->add(t, s, w); });
    d->item_ids.push(i.id);
    d->item_ids.moved(i.id, s);
    d->items.push_back(item_doc(i, merchant, d->names.add(i.name_en, i.name_zh), terms));
  }
  for (int64_t id : c.item_ids) {
    if (found.count(id)) continue;
    if (std::optional<uint32_t> slot = d->item_ids.find(id, *d->item_index)) {
      d->item_index->kill(*slot);
    }
    d->item_ids.removed(id);
  }

  // Products.
  found.clear();
  for (const ProductRow& p : c.products) {
    found.insert(p.id);
    std::optional<uint32_t> slot = d->product_ids.find(p.id, *d->product_index);
    if (!p.listed) {
      if (slot) d->product_index->kill(*slot);
      d->product_ids.removed(p.id);
      continue;
    }
    product_terms(p, &terms);
    const uint32_t merchant = d->merchant_for(p.merchant_id);
    if (slot && d->products[*slot].text_hash == terms.hash()) {
      // Same text, category, brand, seller and attributes: numbers only (checkout's stock and
      // sales, a price change), in place.
      ProductDoc& doc = d->products[*slot];
      doc = product_doc(p, merchant, doc.names, terms);
      continue;
    }
    if (slot) d->product_index->kill(*slot);
    const uint32_t s = d->product_index->add_doc();
    terms.emit([&](const std::string& t, uint8_t w) { d->product_index->add(t, s, w); });
    d->product_ids.push(p.id);
    d->product_ids.moved(p.id, s);
    d->products.push_back(product_doc(p, merchant, d->names.add(p.name_en, p.name_zh), terms));
  }
  for (int64_t id : c.product_ids) {
    if (found.count(id)) continue;
    if (std::optional<uint32_t> slot = d->product_ids.find(id, *d->product_index)) {
      d->product_index->kill(*slot);
    }
    d->product_ids.removed(id);
  }

  // The log position: new gaps wait for their transaction; found or expired ones go.
  for (int64_t id : c.found_gaps) d->gaps.erase(id);
  for (int64_t id : c.new_gaps) d->gaps.emplace(id, now_us);
  for (auto it = d->gaps.begin(); it != d->gaps.end();) {
    if (now_us - it->second > options.gap_timeout_us || it->first <= c.pruned_through) {
      it = d->gaps.erase(it);
    } else {
      ++it;
    }
  }
  constexpr size_t kMaxGaps = 1024;
  while (d->gaps.size() > kMaxGaps) d->gaps.erase(d->gaps.begin());
  d->last_change_id = c.last_change_id;
  d->pruned_through = c.pruned_through;
}

// Whether the layout is stale enough to rebuild: dead slots and slots added since the build.
bool stale(const Data& d, const SearchIndexOptions& options) {
  for (const TermIndex* x : {d.product_index.get(), d.item_index.get(), d.merchant_index.get()}) {
    const double slots = std::max<uint32_t>(x->n_slots(), 1000);
    const double waste = (x->n_slots() - x->n_alive()) + x->tail_slots();
    if (waste / slots > options.rebuild_stale_fraction) return true;
  }
  return false;
}

}  // namespace

// ---- SearchIndex: build and refresh
// --------------------------------------------------------------

SearchIndex::SearchIndex(Db& db, const Clock& clock, SearchIndexOptions options)
    : db_(db), clock_(clock), options_(options) {}

SearchIndex::~SearchIndex() = default;

SearchIndex::ReadLock::ReadLock(const SearchIndex& index) {
  std::lock_guard turnstile(index.turnstile_);
  lock_ = std::shared_lock(index.mu_);
}

SearchIndex::WriteLock::WriteLock(SearchIndex& index)
    : turnstile_(index.turnstile_), lock_(index.mu_) {}

Result<std::unique_ptr<SearchIndex>> SearchIndex::build(Db& db, const Clock& clock,
                                                        SearchIndexOptions options) {
  std::unique_ptr<SearchIndex> index(new SearchIndex(db, clock, options));
  std::lock_guard writer(index->writer_);
  QWL_RETURN_IF_ERROR(index->rebuild());
  return index;
}

Status SearchIndex::rebuild() {
  Stopwatch watch;
  std::unique_ptr<Data> fresh;
  const int64_t now_us = clock_.monotonic_us();
  QWL_RETURN_IF_ERROR(db_.read([&](Tx& tx) -> Status {
    fresh = std::make_unique<Data>();  // a retried snapshot starts over
    return load_all(tx, options_, now_us, fresh.get());
  }));
  // The build's scratch (rows, per-term buffers) is freed by now; hand it back to the system
  // rather than keep it in the allocator's free lists (hundreds of MB at a million products).
  malloc_trim(0);
  std::unique_ptr<Data> old;
  {
    WriteLock lock(*this);
    if (data_) fresh->counters = data_->counters;
    fresh->counters.builds += 1;
    fresh->counters.build_us = watch.elapsed_us();
    old = std::move(data_);
    data_ = std::move(fresh);
  }
  return Status::Ok();  // `old` is freed here, outside the lock
}

Status SearchIndex::refresh() {
  std::lock_guard writer(writer_);
  // Only this thread writes data_, so reading it here without mu_ is safe.
  ChangeSet changes;
  QWL_RETURN_IF_ERROR(
      db_.read([&](Tx& tx) -> Status { return load_changes(tx, *data_, options_, &changes); }));
  if (changes.rebuild) return rebuild();
  const bool any = changes.last_change_id != data_->last_change_id || !changes.found_gaps.empty() ||
                   changes.catalog;
  {
    WriteLock lock(*this);
    apply_changes(changes, clock_.monotonic_us(), options_, data_.get());
    if (any) data_->counters.refreshes += 1;
  }
  if (stale(*data_, options_)) QWL_RETURN_IF_ERROR(rebuild());
  // Keep the log short: the front goes once it is well behind (an index that has not read that
  // far rebuilds, see load_changes()).
  const int64_t keep = options_.keep_changes;
  if (keep > 0 && data_->last_change_id - data_->pruned_through > 2 * keep) {
    const int64_t through = data_->last_change_id - keep;
    QWL_RETURN_IF_ERROR(db_.transact([&](Tx& tx) -> Status {
      QWL_RETURN_IF_ERROR(tx.exec("DELETE FROM search_changes WHERE id <= ?", {through}).status());
      return tx
          .exec("UPDATE search_prune SET pruned_through = ? WHERE id = 1 AND pruned_through < ?",
                {through, through})
          .status();
    }));
    WriteLock lock(*this);
    data_->pruned_through = through;
  }
  return Status::Ok();
}

SearchIndexStats SearchIndex::stats() const {
  ReadLock lock(*this);
  SearchIndexStats s = data_->counters;
  s.products = data_->product_index->n_alive();
  s.merchants = data_->merchant_index->n_alive();
  s.menu_items = data_->item_index->n_alive();
  s.terms = 0;
  s.postings = 0;
  s.posting_bytes = 0;
  s.dead_slots = 0;
  for (const TermIndex* x :
       {data_->product_index.get(), data_->item_index.get(), data_->merchant_index.get()}) {
    s.terms += static_cast<int64_t>(x->n_terms());
    s.postings += static_cast<int64_t>(x->main_postings() + x->tail_postings());
    s.posting_bytes += static_cast<int64_t>(x->posting_bytes());
    s.dead_slots += x->n_slots() - x->n_alive();
  }
  s.memory_bytes = static_cast<int64_t>(data_->memory_bytes());
  s.last_change_id = data_->last_change_id;
  s.pending_gaps = static_cast<int64_t>(data_->gaps.size());
  return s;
}

Status set_search_capture(Tx& tx, bool capture) {
  if (capture) {
    return tx
        .exec("UPDATE search_state SET capture = TRUE, generation = generation + 1 WHERE id = 1")
        .status();
  }
  return tx.exec("UPDATE search_state SET capture = FALSE WHERE id = 1").status();
}

// ---- Names of options
// ----------------------------------------------------------------------------

std::string_view search_kind_name(SearchKind kind) {
  return kind == SearchKind::kProducts ? "products" : "merchants";
}

std::string_view search_sort_name(SearchSort sort) {
  switch (sort) {
    case SearchSort::kRelevance:
      return "relevance";
    case SearchSort::kPriceAsc:
      return "price_asc";
    case SearchSort::kPriceDesc:
      return "price_desc";
    case SearchSort::kRating:
      return "rating";
    case SearchSort::kSales:
      return "sales";
    case SearchSort::kDistance:
      return "distance";
  }
  return "?";
}

Result<SearchKind> parse_search_kind(std::string_view text) {
  if (text == "products") return SearchKind::kProducts;
  if (text == "merchants") return SearchKind::kMerchants;
  return InvalidArgumentError("search: kind '{}' unknown (products, merchants)", text);
}

Result<SearchSort> parse_search_sort(std::string_view text) {
  for (SearchSort s : {SearchSort::kRelevance, SearchSort::kPriceAsc, SearchSort::kPriceDesc,
                       SearchSort::kRating, SearchSort::kSales, SearchSort::kDistance}) {
    if (search_sort_name(s) == text) return s;
  }
  return InvalidArgumentError(
      "search: sort '{}' unknown (relevance, price_asc, price_desc, rating, sales, distance)",
      text);
}

}  // namespace qwl::services
