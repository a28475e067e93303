// The seed's bilingual word pools and templates: street and district names, place names and
// descriptions per kind, people's names, review sentences, menus with their option groups, and
// the product catalog (categories, nouns, variant axes, attributes). All of it is our own
// invented vocabulary: no real brand appears except the two cafés the demo names on purpose.
// Static data; thread-safe.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "services/seed_internal.h"

namespace qwl::services::seed_internal {

// ---- the city
std::span<const Bi> street_roots();    // "Willow Wave" / "柳浪"
std::span<const Bi> district_names();  // "Lakeside" / "湖滨"
std::span<const Bi> place_roots();     // words place names start with: "Maple" / "枫叶"
std::string chinese_number(int n);     // 1..99: 一 .. 九十九
std::string english_ordinal(int n);    // 1st, 2nd, 3rd, 4th, ... 11th, 21st

struct Cuisine {
  std::string_view key;  // pois.cuisine: sichuan, cantonese, ...
  Bi suffix;             // "Sichuan Kitchen" / "川菜馆"
  Bi description;
  int weight = 1;
  int price_level = 2;
};
std::span<const Cuisine> cuisines();
int cuisine_index(std::string_view key);

struct ShopLine {
  std::string_view key;
  Bi suffix;  // "Books" / "书店"
  Bi description;
  int top_category = 0;  // index into catalog()
};
std::span<const ShopLine> shop_lines();

std::span<const Bi> kind_suffixes(PoiKind kind);
std::span<const Bi> kind_descriptions(PoiKind kind);

// ---- people
std::span<const Bi> family_names();  // "Li" / "李"
std::span<const Bi> given_names();   // "Na" / "娜"

// ---- reviews: sentiment 0 bad, 1 mixed, 2 good
std::span<const Bi> review_sentences(PoiKind kind, int sentiment);

// ---- menus
enum GroupBit : uint32_t {
  kGSize = 1u << 0,  // drinks: Medium / Large
  kGBowl = 1u << 1,  // noodles, rice: Regular / Large
  kGCoffeeSugar = 1u << 2,
  kGTeaSugar = 1u << 3,
  kGCoffeeIce = 1u << 4,
  kGTeaIce = 1u << 5,
  kGTemperature = 1u << 6,  // hot / iced for drinks served either way
  kGMilk = 1u << 7,
  kGCoffeeExtra = 1u << 8,  // key "extra", up to 2
  kGTeaToppings = 1u << 9,  // key "extra", up to 3
  kGSpice = 1u << 10,
  kGNoodleExtra = 1u << 11,  // key "extra", up to 3
  kGPortion = 1u << 12,      // small / regular / large plate
};

struct OptionT {
  Bi name;
  int64_t price_delta = 0;  // fen
  bool is_default = false;
};
struct GroupT {
  uint32_t bit = 0;
  std::string_view key;
  Bi name;
  int min_choices = 0;
  int max_choices = 1;
  std::span<const OptionT> options;
};
// Every option group, in the order they appear on an item.
std::span<const GroupT> option_groups();

struct ItemT {
  Bi category;
  Bi name;
  Bi description;
  int64_t price = 0;  // fen
  uint32_t groups = 0;
  bool signature = false;  // every merchant of the menu sells it
  bool stocked = false;    // counted stock (pastries) instead of made to order
};
std::span<const ItemT> cafe_menu();
std::span<const ItemT> tea_menu();
std::span<const ItemT> cuisine_menu(int cuisine);

// ---- the catalog
enum class Axis : uint8_t {
  kNone,
  kClothing,
  kShoe,
  kCapacity,
  kWeight,
  kPack,
  kTablets,
  kVolume,
  kColour,
  kBed,
  kFormat,
  kBattery,
  kDiaper,
  kDumbbell,
};
struct VariantT {
  Bi name;
  int price_pct = 100;  // of the product's base price
};
std::span<const VariantT> axis_variants(Axis axis);
// Ordered axes take a prefix (sizes up from the smallest); colours a random subset.
bool axis_is_ordered(Axis axis);

struct AttrT {
  std::string_view name;  // lower-case English
  std::span<const std::string_view> values;
};
std::span<const AttrT> attributes();

struct LeafT {
  Bi name;
  std::span<const Bi> nouns;
  Axis axis = Axis::kNone;
  std::span<const int> attrs;  // indexes into attributes()
  int64_t price_min = 0;       // fen
  int64_t price_max = 0;
};
struct TopT {
  Bi name;
  std::span<const LeafT> leaves;
  std::span<const Bi> modifiers;  // "Classic" / "经典"
  std::span<const Bi> features;   // description sentences
};
std::span<const TopT> catalog();
inline constexpr int kTopFood = 0;
inline constexpr int kTopHealth = 1;
inline constexpr int kTopElectronics = 2;
inline constexpr int kTopHome = 3;
inline constexpr int kTopClothing = 4;
inline constexpr int kTopBeauty = 5;
inline constexpr int kTopBooks = 6;
inline constexpr int kTopSports = 7;
inline constexpr int kTopBaby = 8;
inline constexpr int kTopPets = 9;

std::span<const Bi> brand_syllables();  // "Yun" / "云"

}  // namespace qwl::services::seed_internal
