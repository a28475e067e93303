// Merchants' tools: a store's menu (items, option groups, options) and its catalog products
// and variants, read by anyone and edited by the store's owner or an admin. A store's orders
// are listed and advanced through Orders (orders.h: list_merchant_orders, advance, cancel,
// refund, resolve_after_sale).
//
// Every write stamps updated_at_us with the clock's time: a menu item's own row for edits of
// the item, its option groups and options; a product's row for edits of the product and its
// variants. The search index follows those stamps. Nothing is deleted that an order may point
// at: menu items and products are switched off (available = false, listed = false); option
// groups and options may be removed (orders keep their names as text), which turns the cart
// lines that chose them into lines with a problem (cart.h).
//
// Authorization (actor.h): writes need the store's owner or an admin; a customer gets
// PermissionDenied, another merchant NotFound (for the store and for anything in it).
// Errors: InvalidArgument (empty or too long names, bad key, price or stock out of range,
// min_choices > max_choices, nothing to change), NotFound, FailedPrecondition (a duplicate
// group key or SKU), PermissionDenied.
// Thread-safety: as Db.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/status.h"
#include "services/actor.h"
#include "store/db.h"

namespace qwl::services {

inline constexpr int64_t kMaxStock = 1'000'000'000;

struct MenuOption {
  int64_t id = 0;
  int64_t group_id = 0;
  std::string name_en;
  std::string name_zh;
  int64_t price_delta = 0;  // fen, may be negative
  bool is_default = false;
  int64_t sort = 0;
};

struct MenuOptionGroup {
  int64_t id = 0;
  int64_t item_id = 0;
  std::string key;  // size, sugar, ice, ...
  std::string name_en;
  std::string name_zh;
  int64_t min_choices = 0;
  int64_t max_choices = 1;
  int64_t sort = 0;
  std::vector<MenuOption> options;  // by sort, id
};

struct MenuItem {
  int64_t id = 0;
  int64_t merchant_id = 0;
  std::string category_en;
  std::string category_zh;
  std::string name_en;
  std::string name_zh;
  std::string description_en;
  std::string description_zh;
  int64_t price = 0;  // fen
  bool available = true;
  std::optional<int64_t> stock;  // nullopt: made to order
  int64_t sales = 0;
  int64_t sort = 0;
  int64_t updated_at_us = 0;
  std::vector<MenuOptionGroup> groups;  // by sort, id
};

struct MerchantSummary {
  int64_t id = 0;
  std::string name_en;
  std::string name_zh;
  std::string kind;
  bool accepting = true;
};

// The stores the actor manages (an admin: every store), by id.
Result<std::vector<MerchantSummary>> list_managed_merchants(Db& db, const Actor& actor);

// A store's menu, by category order (sort, id); unavailable items only when asked.
Result<std::vector<MenuItem>> get_menu(Db& db, int64_t merchant_id,
                                       bool include_unavailable = false);
Result<MenuItem> get_menu_item(Db& db, int64_t item_id);

struct MenuItemDraft {
  std::string category_en;
  std::string category_zh;
  std::string name_en;
  std::string name_zh;
  std::string description_en;
  std::string description_zh;
  int64_t price = 0;
  bool available = true;
  std::optional<int64_t> stock;
  int64_t sort = 0;
};

// Fields left nullopt are kept. `stock` is set to its inner value (nullopt inside: made to
// order).
struct MenuItemPatch {
  std::optional<std::string> category_en, category_zh;
  std::optional<std::string> name_en, name_zh;
  std::optional<std::string> description_en, description_zh;
  std::optional<int64_t> price;
  std::optional<bool> available;
  std::optional<std::optional<int64_t>> stock;
  std::optional<int64_t> sort;
};

struct OptionDraft {
  std::string name_en;
  std::string name_zh;
  int64_t price_delta = 0;
  bool is_default = false;
  int64_t sort = 0;
};

struct OptionGroupDraft {
  std::string key;  // [a-z0-9_]{1,32}, unique per item
  std::string name_en;
  std::string name_zh;
  int64_t min_choices = 0;
  int64_t max_choices = 1;
  int64_t sort = 0;
  std::vector<OptionDraft> options;
};

struct OptionGroupPatch {
  std::optional<std::string> name_en, name_zh;
  std::optional<int64_t> min_choices, max_choices, sort;
};

struct OptionPatch {
  std::optional<std::string> name_en, name_zh;
  std::optional<int64_t> price_delta;
  std::optional<bool> is_default;  // true in a one-choice group clears the other defaults
  std::optional<int64_t> sort;
};

// Each returns the item as it is after the change.
Result<MenuItem> create_menu_item(Db& db, const Clock& clock, const Actor& actor,
                                  int64_t merchant_id, const MenuItemDraft& draft);
Result<MenuItem> update_menu_item(Db& db, const Clock& clock, const Actor& actor, int64_t item_id,
                                  const MenuItemPatch& patch);
Result<MenuItem> add_option_group(Db& db, const Clock& clock, const Actor& actor, int64_t item_id,
                                  const OptionGroupDraft& draft);
Result<MenuItem> update_option_group(Db& db, const Clock& clock, const Actor& actor,
                                     int64_t group_id, const OptionGroupPatch& patch);
Result<MenuItem> remove_option_group(Db& db, const Clock& clock, const Actor& actor,
                                     int64_t group_id);
Result<MenuItem> add_option(Db& db, const Clock& clock, const Actor& actor, int64_t group_id,
                            const OptionDraft& draft);
Result<MenuItem> update_option(Db& db, const Clock& clock, const Actor& actor, int64_t option_id,
                               const OptionPatch& patch);
Result<MenuItem> remove_option(Db& db, const Clock& clock, const Actor& actor, int64_t option_id);

struct ProductVariant {
  int64_t id = 0;
  int64_t product_id = 0;
  std::string sku;
  std::string name_en;
  std::string name_zh;
  int64_t price = 0;  // fen
  int64_t stock = 0;
};

struct Product {
  int64_t id = 0;
  int64_t merchant_id = 0;
  int64_t category_id = 0;
  int64_t brand_id = 0;  // 0: none
  std::string name_en;
  std::string name_zh;
  std::string description_en;
  std::string description_zh;
  bool listed = true;
  int64_t sales = 0;
  int64_t updated_at_us = 0;
  std::vector<ProductVariant> variants;  // by id
};

// A store's products for its owner or an admin (unlisted ones too), by id, `limit` (1..200)
// after product id `after_id`.
Result<std::vector<Product>> list_merchant_products(Db& db, const Actor& actor, int64_t merchant_id,
                                                    int64_t limit = 50, int64_t after_id = 0);

struct VariantDraft {
  std::string sku;  // unique across the catalog, 1..64 printable ASCII
  std::string name_en;
  std::string name_zh;
  int64_t price = 0;
  int64_t stock = 0;
};

struct ProductDraft {
  int64_t category_id = 0;
  int64_t brand_id = 0;  // 0: none
  std::string name_en;
  std::string name_zh;
  std::string description_en;
  std::string description_zh;
  bool listed = true;
  std::vector<VariantDraft> variants;  // at least one
};

struct ProductPatch {
  std::optional<std::string> name_en, name_zh;
  std::optional<std::string> description_en, description_zh;
  std::optional<bool> listed;
};

struct VariantPatch {
  std::optional<std::string> name_en, name_zh;
  std::optional<int64_t> price;
  std::optional<int64_t> stock;
};

Result<Product> create_product(Db& db, const Clock& clock, const Actor& actor, int64_t merchant_id,
                               const ProductDraft& draft);
Result<Product> update_product(Db& db, const Clock& clock, const Actor& actor, int64_t product_id,
                               const ProductPatch& patch);
Result<Product> add_variant(Db& db, const Clock& clock, const Actor& actor, int64_t product_id,
                            const VariantDraft& draft);
Result<Product> update_variant(Db& db, const Clock& clock, const Actor& actor, int64_t variant_id,
                               const VariantPatch& patch);

}  // namespace qwl::services
