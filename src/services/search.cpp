// Search over products and merchants (see search.h): loading records from the database into
// three term indexes, keeping them current from the change log, and answering queries in memory.
#include "services/search.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <numeric>
#include <unordered_map>
#include <unordered_set>

#include "base/log.h"
#include "services/city_time.h"
#include "services/search_index.h"
#include "services/text_segment.h"

namespace qwl::services {
namespace {

// ---- Scoring constants -----------------------------------------------------------------------

// BM25: saturation k1 and length normalisation b (the usual values).
constexpr float kK1 = 1.2f;
constexpr float kB = 0.75f;
constexpr float kMaxSat = kK1 + 1;

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

float saturate(float wtf) {
  return wtf * (kK1 + 1) / (wtf + kK1);
}

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

// A posting's weight: a BM25 saturation level 1..15 (0 would read as absent) and the name bit.
constexpr uint8_t kNameBit = 16;
uint8_t quantize(float sat, bool name) {
  int level = static_cast<int>(std::lround(sat / kMaxSat * 15));
  level = std::clamp(level, 1, 15);
  return static_cast<uint8_t>(level | (name ? kNameBit : 0));
}
float sat_of(uint8_t weight) {
  return static_cast<float>(weight & 15) * (kMaxSat / 15);
}

constexpr int64_t kNoPrice = -1;

// Filter terms live in the same indexes; \x01 never comes out of the tokenizer.
std::string category_term(int64_t id) {
  return fmt::format("\x01c:{}", id);
}
std::string brand_term(int64_t id) {
  return fmt::format(
      "\x01"
      "b:{}",
      id);
}
std::string merchant_term(int64_t id) {
  return fmt::format("\x01m:{}", id);
}

std::string fold_joined(std::string_view text) {
  std::string out;
  for (const TextToken& t : split_text(text)) {
    if (!out.empty()) out += ' ';
    out += t.text;
  }
  return out;
}
std::string attribute_term(std::string_view name, std::string_view value) {
  return "\x01"
         "a:" +
         fold_joined(name) + "=" + fold_joined(value);
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
constexpr std::string_view kMerchantKinds[] = {"cafe",        "tea",      "restaurant",
                                               "supermarket", "pharmacy", "shop"};

uint64_t fnv1a(uint64_t h, std::string_view s) {
  for (char c : s) {
    h ^= static_cast<unsigned char>(c);
    h *= 1099511628211ULL;
  }
  h ^= 0xFF;  // field separator
  return h * 1099511628211ULL;
}
constexpr uint64_t kFnvBasis = 14695981039346656037ULL;

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

// ---- Documents -------------------------------------------------------------------------------

// The terms of one document with their BM25F weighted frequencies, collected field by field.
class DocTerms {
 public:
  void clear() {
    terms_.clear();
    hash_ = kFnvBasis;
  }
  void add_field(std::string_view text, const FieldSpec& spec) {
    hash_ = fnv1a(hash_, text);
    if (text.empty()) return;
    const size_t first = terms_.size();
    const int length = for_each_index_term(text, spec.unigrams, &scratch_, [&](std::string term) {
      terms_.push_back(Entry{std::move(term), 1, spec.name});
    });
    const float norm = 1 - kB + kB * static_cast<float>(length) / spec.ref_len;
    for (size_t i = first; i < terms_.size(); ++i) terms_[i].wtf = spec.weight / norm;
  }
  // A term that only filters (category, brand, attribute): weight 1, never a name.
  void add_filter(std::string term) {
    hash_ = fnv1a(hash_, term);
    terms_.push_back(Entry{std::move(term), 0, false});
  }
  // Merges repeated terms and calls sink(term, weight) once per term, in byte order.
  template <typename Sink>
  void emit(Sink&& sink) {
    std::sort(terms_.begin(), terms_.end(),
              [](const Entry& a, const Entry& b) { return a.term < b.term; });
    for (size_t i = 0; i < terms_.size();) {
      float wtf = 0;
      bool name = false;
      size_t j = i;
      for (; j < terms_.size() && terms_[j].term == terms_[i].term; ++j) {
        wtf += terms_[j].wtf;
        name |= terms_[j].name;
      }
      sink(terms_[i].term, wtf > 0 ? quantize(saturate(wtf), name) : uint8_t{1});
      i = j;
    }
  }
  uint64_t hash() const { return hash_; }

 private:
  struct Entry {
    std::string term;
    float wtf;
    bool name;
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
struct HoursRange {
  int8_t weekday;
  int16_t open_min;
  int16_t close_min;
};
struct MerchantRow {
  int64_t id = 0;
  int64_t poi_id = 0;
  std::string kind, name_en, name_zh, description_en, description_zh, cuisine;
  bool has_place = false;
  double lat = 0, lon = 0;
  int64_t rating_x10 = 0, sales = 0;
  bool accepting = true;
  int64_t min_item_price = kNoPrice;
  std::vector<HoursRange> hours;
};

void product_terms(const ProductRow& p, DocTerms* d) {
  d->clear();
  d->add_field(p.name_en, kNameEn);
  d->add_field(p.name_zh, kNameZh);
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
  d->add_field(i.name_en, kNameEn);
  d->add_field(i.name_zh, kNameZh);
  d->add_field(i.category_en, kCategoryEn);
  d->add_field(i.category_zh, kCategoryZh);
  d->add_field(i.description_en, kDescEn);
  d->add_field(i.description_zh, kDescZh);
}

void merchant_terms(const MerchantRow& m, DocTerms* d) {
  d->clear();
  d->add_field(m.name_en, kNameEn);
  d->add_field(m.name_zh, kNameZh);
  d->add_field(kind_labels(m.kind), kKindLabels);
  d->add_field(m.cuisine, kCuisine);
  d->add_field(m.description_en, kDescEn);
  d->add_field(m.description_zh, kDescZh);
}

// Names of documents, in one arena: [len_en varint][en][len_zh varint][zh].
class NameArena {
 public:
  uint64_t add(std::string_view en, std::string_view zh) {
    const uint64_t at = bytes_.size();
    put(en);
    put(zh);
    return at;
  }
  std::pair<std::string_view, std::string_view> get(uint64_t at) const {
    std::string_view en = read(&at);
    std::string_view zh = read(&at);
    return {en, zh};
  }
  size_t memory_bytes() const { return bytes_.capacity(); }
  void shrink() { bytes_.shrink_to_fit(); }

 private:
  void put(std::string_view s) {
    uint64_t n = s.size();
    while (n >= 0x80) {
      bytes_.push_back(static_cast<char>(n | 0x80));
      n >>= 7;
    }
    bytes_.push_back(static_cast<char>(n));
    bytes_.append(s);
  }
  std::string_view read(uint64_t* at) const {
    uint64_t n = 0;
    int shift = 0;
    while (true) {
      const auto b = static_cast<unsigned char>(bytes_[(*at)++]);
      n |= static_cast<uint64_t>(b & 0x7F) << shift;
      if (b < 0x80) break;
      shift += 7;
    }
    std::string_view s = std::string_view(bytes_).substr(*at, n);
    *at += n;
    return s;
  }
  std::string bytes_;
};

// Record id -> current slot. Slots of the build are in id order (binary search); records
// re-indexed later are in a hash map.
class SlotIds {
 public:
  void push(int64_t id) { ids_.push_back(id); }
  void seal() { main_ = static_cast<uint32_t>(ids_.size()); }
  int64_t id(uint32_t slot) const { return ids_[slot]; }
  // The record's live slot, if any.
  std::optional<uint32_t> find(int64_t id, const TermIndex& index) const {
    if (auto it = moved_.find(id); it != moved_.end()) return it->second;
    auto begin = ids_.begin(), end = ids_.begin() + main_;
    auto it = std::lower_bound(begin, end, id);
    if (it != end && *it == id) {
      const auto slot = static_cast<uint32_t>(it - ids_.begin());
      if (index.alive(slot)) return slot;
    }
    return std::nullopt;
  }
  void moved(int64_t id, uint32_t slot) { moved_[id] = slot; }
  void removed(int64_t id) { moved_.erase(id); }
  size_t memory_bytes() const { return ids_.capacity() * 8 + moved_.size() * 48; }

 private:
  std::vector<int64_t> ids_;
  uint32_t main_ = 0;
  std::unordered_map<int64_t, uint32_t> moved_;
};

struct CategoryInfo {
  int64_t id = 0;
  int64_t parent_id = 0;
  std::vector<std::string> terms;  // sorted, unique
  std::vector<uint32_t> subtree;   // indexes of itself and every category below it
};
struct BrandInfo {
  int64_t id = 0;
  std::vector<std::string> terms;
};

struct MerchantInfo {
  MerchantRow row;
  bool exists = false;
  uint32_t slot = kNoSlot;  // its document in the merchant index
  uint64_t text_hash = 0;
};

struct ProductDoc {
  int64_t price = kNoPrice;  // cheapest variant
  int64_t sales = 0;
  int64_t category_id = 0;
  int64_t brand_id = 0;
  uint64_t names = 0;
  uint64_t text_hash = 0;
  uint32_t merchant = 0;  // merchant number
  int32_t review_count = 0;
  uint8_t rating_x10 = 0;
  bool in_stock = false;
};
struct ItemDoc {
  int64_t price = 0;
  int64_t sales = 0;
  uint64_t names = 0;
  uint64_t text_hash = 0;
  uint32_t merchant = 0;
  bool sold_out = false;
};

std::vector<std::string> sorted_terms(std::string_view a, std::string_view b) {
  std::vector<std::string> out;
  std::vector<TextToken> scratch;
  for (std::string_view text : {a, b}) {
    for_each_index_term(text, true, &scratch, [&](std::string t) { out.push_back(std::move(t)); });
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

bool hours_open(const std::vector<HoursRange>& hours, const LocalTime& t) {
  if (hours.empty()) return true;
  const int yesterday = (t.weekday + 6) % 7;
  for (const HoursRange& r : hours) {
    if (r.weekday == t.weekday && r.open_min <= t.minute && r.close_min > t.minute) return true;
    if (r.weekday == yesterday && r.close_min > t.minute + 1440) return true;
  }
  return false;
}

}  // namespace

// ---- The index proper --------------------------------------------------------------------------

struct SearchIndex::Data {
  // Catalog.
  std::vector<CategoryInfo> categories;
  std::unordered_map<int64_t, uint32_t> category_index;
  std::vector<BrandInfo> brands;
  std::unordered_map<int64_t, uint32_t> brand_index;
  std::vector<std::string> catalog_terms;  // every category and brand term, sorted, unique

  // Merchants: numbers are stable for the life of this Data.
  std::vector<MerchantInfo> merchants;
  std::unordered_map<int64_t, uint32_t> merchant_number;
  std::unordered_map<int64_t, uint32_t> poi_merchant;  // poi id -> merchant number
  std::unique_ptr<TermIndex> merchant_index;
  std::vector<uint32_t> merchant_of_slot;

  std::unique_ptr<TermIndex> item_index;
  SlotIds item_ids;
  std::vector<ItemDoc> items;

  std::unique_ptr<TermIndex> product_index;
  SlotIds product_ids;
  std::vector<ProductDoc> products;

  NameArena names;

  // The change log.
  int64_t generation = 0;
  int64_t last_change_id = 0;
  int64_t pruned_through = 0;
  std::map<int64_t, int64_t> gaps;  // change id -> monotonic us when first missed

  SearchIndexStats counters;

  uint32_t merchant_slot_number(uint32_t slot) const { return merchant_of_slot[slot]; }

  // Merchant number for an id, creating an empty record for one not seen yet.
  uint32_t merchant_for(int64_t id) {
    auto [it, inserted] = merchant_number.try_emplace(id, static_cast<uint32_t>(merchants.size()));
    if (inserted) {
      merchants.emplace_back();
      merchants.back().row.id = id;
    }
    return it->second;
  }

  void set_catalog(std::vector<CategoryInfo> cats, std::vector<BrandInfo> brs) {
    categories = std::move(cats);
    brands = std::move(brs);
    category_index.clear();
    brand_index.clear();
    catalog_terms.clear();
    for (uint32_t i = 0; i < categories.size(); ++i) category_index[categories[i].id] = i;
    for (uint32_t i = 0; i < brands.size(); ++i) brand_index[brands[i].id] = i;
    // Subtrees: walk each category up to the root (a cycle in bad data stops at the depth cap).
    for (uint32_t i = 0; i < categories.size(); ++i) {
      uint32_t at = i;
      for (int depth = 0; depth < 32; ++depth) {
        categories[at].subtree.push_back(i);
        auto it = category_index.find(categories[at].parent_id);
        if (categories[at].parent_id == 0 || it == category_index.end() || it->second == i) break;
        at = it->second;
      }
    }
    for (const CategoryInfo& c : categories) {
      catalog_terms.insert(catalog_terms.end(), c.terms.begin(), c.terms.end());
    }
    for (const BrandInfo& b : brands) {
      catalog_terms.insert(catalog_terms.end(), b.terms.begin(), b.terms.end());
    }
    std::sort(catalog_terms.begin(), catalog_terms.end());
    catalog_terms.erase(std::unique(catalog_terms.begin(), catalog_terms.end()),
                        catalog_terms.end());
  }

  size_t memory_bytes() const {
    size_t n = names.memory_bytes() + product_ids.memory_bytes() + item_ids.memory_bytes() +
               products.capacity() * sizeof(ProductDoc) + items.capacity() * sizeof(ItemDoc) +
               merchant_of_slot.capacity() * 4 + merchants.capacity() * sizeof(MerchantInfo);
    for (const TermIndex* x : {product_index.get(), item_index.get(), merchant_index.get()}) {
      n += x->memory_bytes();
    }
    for (const MerchantInfo& m : merchants) {
      n += m.row.name_en.capacity() + m.row.name_zh.capacity() + m.row.description_en.capacity() +
           m.row.description_zh.capacity() + m.row.hours.capacity() * sizeof(HoursRange);
    }
    n += (merchant_number.size() + poi_merchant.size()) * 32;
    for (const CategoryInfo& c : categories) n += 64 + c.terms.size() * 32 + c.subtree.size() * 4;
    for (const BrandInfo& b : brands) n += 48 + b.terms.size() * 32;
    return n;
  }
};

namespace {

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

ProductDoc product_doc(const ProductRow& p, uint32_t merchant, uint64_t names, uint64_t hash) {
  ProductDoc d;
  for (const VariantRow& v : p.variants) {
    if (d.price == kNoPrice || v.price < d.price) d.price = v.price;
    d.in_stock |= v.stock > 0;
  }
  d.sales = p.sales;
  d.category_id = p.category_id;
  d.brand_id = p.brand_id;
  d.names = names;
  d.text_hash = hash;
  d.merchant = merchant;
  d.review_count = static_cast<int32_t>(std::min<int64_t>(p.review_count, INT32_MAX));
  d.rating_x10 = static_cast<uint8_t>(std::clamp<int64_t>(p.rating_x10, 0, 50));
  return d;
}

ItemDoc item_doc(const ItemRow& i, uint32_t merchant, uint64_t names, uint64_t hash) {
  return ItemDoc{.price = i.price,
                 .sales = i.sales,
                 .names = names,
                 .text_hash = hash,
                 .merchant = merchant,
                 .sold_out = i.sold_out};
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
      d->items.push_back(item_doc(i, d->merchant_for(i.merchant_id),
                                  d->names.add(i.name_en, i.name_zh), terms.hash()));
      after = i.id;
    }
    if (static_cast<int64_t>(rows.size()) < options.build_page) break;
  }
  d->item_index = item_builder.finish();
  d->item_ids.seal();

  // Listed products with their variants and attributes.
  TermIndex::Builder product_builder;
  const std::string product_page =
      std::string(kProductColumns) + "WHERE listed = TRUE AND id > ? ORDER BY id LIMIT ?";
  after = 0;
  while (true) {
    QWL_ASSIGN_OR_RETURN(Rows rows, tx.query(product_page, {after, options.build_page}));
    if (rows.empty()) break;
    std::vector<ProductRow> page;
    page.reserve(rows.size());
    for (const Row& r : rows) page.push_back(product_row(r));
    rows = Rows();
    const int64_t lo = page.front().id, hi = page.back().id;
    QWL_ASSIGN_OR_RETURN(Rows variants,
                         tx.query("SELECT product_id, name_en, name_zh, price, stock FROM "
                                  "product_variants WHERE product_id >= ? AND product_id <= ? "
                                  "ORDER BY product_id, id",
                                  {lo, hi}));
    QWL_ASSIGN_OR_RETURN(Rows attributes,
                         tx.query("SELECT product_id, name, value FROM product_attributes WHERE "
                                  "product_id >= ? AND product_id <= ?",
                                  {lo, hi}));
    attach_product_parts(variants, attributes, &page);
    for (const ProductRow& p : page) {
      product_terms(p, &terms);
      const uint32_t slot = product_builder.add_doc();
      terms.emit([&](const std::string& t, uint8_t w) { product_builder.add(t, slot, w); });
      d->product_ids.push(p.id);
      d->products.push_back(product_doc(p, d->merchant_for(p.merchant_id),
                                        d->names.add(p.name_en, p.name_zh), terms.hash()));
    }
    after = hi;
    if (static_cast<int64_t>(page.size()) < options.build_page) break;
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
    d->items.push_back(item_doc(i, merchant, d->names.add(i.name_en, i.name_zh), terms.hash()));
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
      doc = product_doc(p, merchant, doc.names, doc.text_hash);
      continue;
    }
    if (slot) d->product_index->kill(*slot);
    const uint32_t s = d->product_index->add_doc();
    terms.emit([&](const std::string& t, uint8_t w) { d->product_index->add(t, s, w); });
    d->product_ids.push(p.id);
    d->product_ids.moved(p.id, s);
    d->products.push_back(
        product_doc(p, merchant, d->names.add(p.name_en, p.name_zh), terms.hash()));
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
  std::unique_ptr<Data> old;
  {
    std::unique_lock lock(mu_);
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
    std::unique_lock lock(mu_);
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
    std::unique_lock lock(mu_);
    data_->pruned_through = through;
  }
  return Status::Ok();
}

SearchIndexStats SearchIndex::stats() const {
  std::shared_lock lock(mu_);
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

// ---- Queries
// -------------------------------------------------------------------------------------

namespace {

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
