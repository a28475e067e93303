// Internal to search (search.cpp builds and refreshes, search_query.cpp answers): the records
// the index keeps beside its term indexes, the constants both sides share, and
// SearchIndex::Data itself. Not a contract for anyone else; see search.h.
//
// Thread-safety: as SearchIndex::Data is used by SearchIndex (search.h): readers share it under
// the index's lock, one writer changes it under the exclusive lock.
#pragma once

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "services/city_time.h"
#include "services/search.h"
#include "services/search_index.h"
#include "services/text_segment.h"

namespace qwl::services::search_internal {

// BM25: saturation k1 and length normalisation b (the usual values).
constexpr float kK1 = 1.2f;
constexpr float kB = 0.75f;
constexpr float kMaxSat = kK1 + 1;

inline float saturate(float wtf) {
  return wtf * (kK1 + 1) / (wtf + kK1);
}

// A posting's weight: a BM25 saturation level 1..31 (0 would read as absent), whether the term is
// in a name, whether it starts one.
constexpr int kSatLevels = 31;
constexpr uint8_t kNameBit = 32;
constexpr uint8_t kStartBit = 64;
inline float sat_of(uint8_t weight) {
  return static_cast<float>(weight & kSatLevels) * (kMaxSat / kSatLevels);
}

constexpr int64_t kNoPrice = -1;

// Filter terms live in the same indexes; \x01 never comes out of the tokenizer.
inline std::string category_term(int64_t id) {
  return fmt::format(
      "\x01"
      "c:{}",
      id);
}
inline std::string brand_term(int64_t id) {
  return fmt::format(
      "\x01"
      "b:{}",
      id);
}
inline std::string merchant_term(int64_t id) {
  return fmt::format("\x01m:{}", id);
}

inline std::string fold_joined(std::string_view text) {
  std::string out;
  for (const TextToken& t : split_text(text)) {
    if (!out.empty()) out += ' ';
    out += t.text;
  }
  return out;
}
inline std::string attribute_term(std::string_view name, std::string_view value) {
  return "\x01"
         "a:" +
         fold_joined(name) + "=" + fold_joined(value);
}

constexpr std::string_view kMerchantKinds[] = {"cafe",        "tea",      "restaurant",
                                               "supermarket", "pharmacy", "shop"};

// Opening hours of a merchant's place (poi_hours rows).
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

// Record id <-> slot. The build's slots are looked up through an id-sorted copy (binary search);
// records re-indexed later are in a hash map.
class SlotIds {
 public:
  void push(int64_t id) { ids_.push_back(id); }
  // Ends the build: its slots become searchable by id.
  void seal() {
    sorted_.resize(ids_.size());
    for (uint32_t slot = 0; slot < ids_.size(); ++slot) sorted_[slot] = {ids_[slot], slot};
    std::sort(sorted_.begin(), sorted_.end());
  }
  int64_t id(uint32_t slot) const { return ids_[slot]; }
  // The record's live slot, if any.
  std::optional<uint32_t> find(int64_t id, const TermIndex& index) const {
    if (auto it = moved_.find(id); it != moved_.end()) return it->second;
    auto it = std::lower_bound(sorted_.begin(), sorted_.end(), std::make_pair(id, uint32_t{0}));
    if (it != sorted_.end() && it->first == id && index.alive(it->second)) return it->second;
    return std::nullopt;
  }
  void moved(int64_t id, uint32_t slot) { moved_[id] = slot; }
  void removed(int64_t id) { moved_.erase(id); }
  size_t memory_bytes() const {
    return ids_.capacity() * 8 + sorted_.capacity() * sizeof(sorted_[0]) + moved_.size() * 48;
  }

 private:
  std::vector<int64_t> ids_;                          // by slot
  std::vector<std::pair<int64_t, uint32_t>> sorted_;  // the build's (id, slot), by id
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
  uint8_t name_len_en = 0;  // name lengths (words, CJK characters; at most 255)
  uint8_t name_len_zh = 0;
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
  uint8_t name_len_en = 0;
  uint8_t name_len_zh = 0;
};
struct ItemDoc {
  int64_t price = 0;
  int64_t sales = 0;
  uint64_t names = 0;
  uint64_t text_hash = 0;
  uint32_t merchant = 0;
  bool sold_out = false;
  uint8_t name_len_en = 0;
  uint8_t name_len_zh = 0;
};

inline bool hours_open(const std::vector<HoursRange>& hours, const LocalTime& t) {
  if (hours.empty()) return true;
  const int yesterday = (t.weekday + 6) % 7;
  for (const HoursRange& r : hours) {
    if (r.weekday == t.weekday && r.open_min <= t.minute && r.close_min > t.minute) return true;
    if (r.weekday == yesterday && r.close_min > t.minute + 1440) return true;
  }
  return false;
}

struct IndexData {
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

}  // namespace qwl::services::search_internal

namespace qwl::services {
struct SearchIndex::Data : search_internal::IndexData {};
}  // namespace qwl::services
