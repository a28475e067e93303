// Merchants' tools (see merchant_admin.h): menus and products read and edited under the
// store's owner's rights, each write stamping updated_at_us.
#include "services/merchant_admin.h"

#include <map>

#include "services/ledger.h"

namespace qwl::services {

namespace {

constexpr size_t kMaxNameBytes = 200;
constexpr size_t kMaxDescriptionBytes = 4000;

Status check_name(std::string_view field, std::string_view value, bool required = true) {
  if (required && value.empty()) return InvalidArgumentError("{} must not be empty", field);
  if (value.size() > kMaxNameBytes) {
    return InvalidArgumentError("{} is {} bytes, at most {}", field, value.size(), kMaxNameBytes);
  }
  return Status::Ok();
}

Status check_description(std::string_view field, std::string_view value) {
  if (value.size() > kMaxDescriptionBytes) {
    return InvalidArgumentError("{} is {} bytes, at most {}", field, value.size(),
                                kMaxDescriptionBytes);
  }
  return Status::Ok();
}

Status check_price(std::string_view field, int64_t price) {
  if (price < 0 || price > kMaxAmount) {
    return InvalidArgumentError("{} {} is outside 0..{}", field, price, kMaxAmount);
  }
  return Status::Ok();
}

Status check_stock(std::string_view field, int64_t stock) {
  if (stock < 0 || stock > kMaxStock) {
    return InvalidArgumentError("{} {} is outside 0..{}", field, stock, kMaxStock);
  }
  return Status::Ok();
}

Status check_delta(int64_t delta) {
  if (delta < -kMaxAmount || delta > kMaxAmount) {
    return InvalidArgumentError("option price_delta {} is outside -{}..{}", delta, kMaxAmount,
                                kMaxAmount);
  }
  return Status::Ok();
}

Status check_key(std::string_view key) {
  if (key.empty() || key.size() > 32) {
    return InvalidArgumentError("option group key must be 1 to 32 characters");
  }
  for (char c : key) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) {
      return InvalidArgumentError("option group key '{}' may hold only a-z, 0-9 and _", key);
    }
  }
  return Status::Ok();
}

Status check_choices(int64_t min_choices, int64_t max_choices) {
  if (min_choices < 0 || max_choices < 1 || max_choices > 50 || min_choices > max_choices) {
    return InvalidArgumentError(
        "option group choices: need 0 <= min_choices <= max_choices, 1 <= max_choices <= 50 "
        "(got {}..{})",
        min_choices, max_choices);
  }
  return Status::Ok();
}

Status check_sku(std::string_view sku) {
  if (sku.empty() || sku.size() > 64) return InvalidArgumentError("sku must be 1 to 64 bytes");
  for (char c : sku) {
    if (c < 0x21 || c > 0x7e) {
      return InvalidArgumentError("sku '{}' must be printable ASCII without spaces", sku);
    }
  }
  return Status::Ok();
}

Status check_option_draft(const OptionDraft& o) {
  QWL_RETURN_IF_ERROR(check_name("option name_en", o.name_en));
  QWL_RETURN_IF_ERROR(check_name("option name_zh", o.name_zh));
  return check_delta(o.price_delta);
}

Status check_variant_draft(const VariantDraft& v) {
  QWL_RETURN_IF_ERROR(check_sku(v.sku));
  QWL_RETURN_IF_ERROR(check_name("variant name_en", v.name_en, false));
  QWL_RETURN_IF_ERROR(check_name("variant name_zh", v.name_zh, false));
  QWL_RETURN_IF_ERROR(check_price("variant price", v.price));
  return check_stock("variant stock", v.stock);
}

// Access to `merchant_id` reported as NotFound of `what` for an outsider, so that ids of
// another store's items reveal nothing.
Status check_access(Tx& tx, const Actor& actor, int64_t merchant_id, std::string_view what,
                    int64_t id) {
  Status s = check_merchant_access(tx, actor, merchant_id);
  if (s.code() == StatusCode::kNotFound) return NotFoundError("{} {} not found", what, id);
  return s;
}

Result<int64_t> item_merchant(Tx& tx, const Actor& actor, int64_t item_id) {
  QWL_ASSIGN_OR_RETURN(Rows rows,
                       tx.query("SELECT merchant_id FROM menu_items WHERE id = ?", {item_id}));
  if (rows.empty()) {
    if (actor.role == Role::kCustomer) {
      return PermissionDeniedError("only a store's owner edits its menu");
    }
    return NotFoundError("menu item {} not found", item_id);
  }
  QWL_RETURN_IF_ERROR(check_access(tx, actor, rows[0].int64(0), "menu item", item_id));
  return rows[0].int64(0);
}

// The item a group belongs to, after the access check.
Result<int64_t> group_item(Tx& tx, const Actor& actor, int64_t group_id) {
  QWL_ASSIGN_OR_RETURN(Rows rows, tx.query("SELECT g.item_id, i.merchant_id FROM "
                                           "menu_option_groups g JOIN menu_items i ON "
                                           "i.id = g.item_id WHERE g.id = ?",
                                           {group_id}));
  if (rows.empty()) {
    if (actor.role == Role::kCustomer) {
      return PermissionDeniedError("only a store's owner edits its menu");
    }
    return NotFoundError("option group {} not found", group_id);
  }
  QWL_RETURN_IF_ERROR(check_access(tx, actor, rows[0].int64(1), "option group", group_id));
  return rows[0].int64(0);
}

struct OptionOwner {
  int64_t item_id = 0;
  int64_t group_id = 0;
  int64_t max_choices = 1;
};

Result<OptionOwner> option_owner(Tx& tx, const Actor& actor, int64_t option_id) {
  QWL_ASSIGN_OR_RETURN(Rows rows, tx.query("SELECT g.item_id, g.id, g.max_choices, i.merchant_id "
                                           "FROM menu_options o JOIN menu_option_groups g ON "
                                           "g.id = o.group_id JOIN menu_items i ON i.id = "
                                           "g.item_id WHERE o.id = ?",
                                           {option_id}));
  if (rows.empty()) {
    if (actor.role == Role::kCustomer) {
      return PermissionDeniedError("only a store's owner edits its menu");
    }
    return NotFoundError("option {} not found", option_id);
  }
  QWL_RETURN_IF_ERROR(check_access(tx, actor, rows[0].int64(3), "option", option_id));
  return OptionOwner{
      .item_id = rows[0].int64(0), .group_id = rows[0].int64(1), .max_choices = rows[0].int64(2)};
}

Status touch_item(Tx& tx, int64_t item_id, int64_t now_us) {
  return tx.exec("UPDATE menu_items SET updated_at_us = ? WHERE id = ?", {now_us, item_id})
      .status();
}

Status touch_product(Tx& tx, int64_t product_id, int64_t now_us) {
  return tx.exec("UPDATE products SET updated_at_us = ? WHERE id = ?", {now_us, product_id})
      .status();
}

constexpr std::string_view kItemColumns =
    "id, merchant_id, category_en, category_zh, name_en, name_zh, description_en, "
    "description_zh, price, available, stock, sales, sort, updated_at_us";

MenuItem item_from(const Row& r) {
  MenuItem m;
  m.id = r.int64(0);
  m.merchant_id = r.int64(1);
  m.category_en = r.text(2);
  m.category_zh = r.text(3);
  m.name_en = r.text(4);
  m.name_zh = r.text(5);
  m.description_en = r.text(6);
  m.description_zh = r.text(7);
  m.price = r.int64(8);
  m.available = r.int64(9) != 0;
  if (!r.is_null(10)) m.stock = r.int64(10);
  m.sales = r.int64(11);
  m.sort = r.int64(12);
  m.updated_at_us = r.int64(13);
  return m;
}

// Option groups and options of `items` (all of one merchant or one item), in two queries.
Status load_groups(Tx& tx, std::vector<MenuItem>& items, std::string_view where, int64_t id) {
  std::map<int64_t, MenuItem*> by_id;
  for (MenuItem& m : items) by_id[m.id] = &m;
  QWL_ASSIGN_OR_RETURN(
      Rows groups,
      tx.query(fmt::format("SELECT g.id, g.item_id, g.key, g.name_en, g.name_zh, g.min_choices, "
                           "g.max_choices, g.sort FROM menu_option_groups g JOIN menu_items i ON "
                           "i.id = g.item_id WHERE {} = ? ORDER BY g.item_id, g.sort, g.id",
                           where),
               {id}));
  std::map<int64_t, MenuOptionGroup*> group_by_id;
  for (const Row& r : groups) {
    auto it = by_id.find(r.int64(1));
    if (it == by_id.end()) continue;  // an unavailable item not listed
    it->second->groups.push_back(MenuOptionGroup{.id = r.int64(0),
                                                 .item_id = r.int64(1),
                                                 .key = r.text(2),
                                                 .name_en = r.text(3),
                                                 .name_zh = r.text(4),
                                                 .min_choices = r.int64(5),
                                                 .max_choices = r.int64(6),
                                                 .sort = r.int64(7)});
  }
  for (MenuItem& m : items) {
    for (MenuOptionGroup& g : m.groups) group_by_id[g.id] = &g;
  }
  QWL_ASSIGN_OR_RETURN(
      Rows options,
      tx.query(fmt::format("SELECT o.id, o.group_id, o.name_en, o.name_zh, o.price_delta, "
                           "o.is_default, o.sort FROM menu_options o JOIN menu_option_groups g "
                           "ON g.id = o.group_id JOIN menu_items i ON i.id = g.item_id "
                           "WHERE {} = ? ORDER BY o.group_id, o.sort, o.id",
                           where),
               {id}));
  for (const Row& r : options) {
    auto it = group_by_id.find(r.int64(1));
    if (it == group_by_id.end()) continue;
    it->second->options.push_back(MenuOption{.id = r.int64(0),
                                             .group_id = r.int64(1),
                                             .name_en = r.text(2),
                                             .name_zh = r.text(3),
                                             .price_delta = r.int64(4),
                                             .is_default = r.int64(5) != 0,
                                             .sort = r.int64(6)});
  }
  return Status::Ok();
}

Result<MenuItem> load_item(Tx& tx, int64_t item_id) {
  QWL_ASSIGN_OR_RETURN(
      Rows rows,
      tx.query(fmt::format("SELECT {} FROM menu_items WHERE id = ?", kItemColumns), {item_id}));
  if (rows.empty()) return NotFoundError("menu item {} not found", item_id);
  std::vector<MenuItem> items{item_from(rows[0])};
  QWL_RETURN_IF_ERROR(load_groups(tx, items, "i.id", item_id));
  return std::move(items[0]);
}

Status insert_option(Tx& tx, int64_t group_id, int64_t max_choices, const OptionDraft& o) {
  if (o.is_default && max_choices == 1) {
    QWL_RETURN_IF_ERROR(
        tx.exec("UPDATE menu_options SET is_default = FALSE WHERE group_id = ?", {group_id})
            .status());
  }
  return tx
      .exec(
          "INSERT INTO menu_options (group_id, name_en, name_zh, price_delta, is_default, "
          "sort) VALUES (?, ?, ?, ?, ?, ?)",
          {group_id, o.name_en, o.name_zh, o.price_delta, o.is_default, o.sort})
      .status();
}

// Runs `edit` (which returns the item id it changed) in one transaction, stamps the item and
// returns it as it now is.
template <typename Edit>
Result<MenuItem> edit_item(Db& db, int64_t now_us, Edit edit) {
  MenuItem out;
  QWL_RETURN_IF_ERROR(db.transact([&](Tx& tx) -> Status {
    QWL_ASSIGN_OR_RETURN(int64_t item_id, edit(tx));
    QWL_RETURN_IF_ERROR(touch_item(tx, item_id, now_us));
    QWL_ASSIGN_OR_RETURN(out, load_item(tx, item_id));
    return Status::Ok();
  }));
  return out;
}

// UPDATE <table> SET a = ?, b = ? ... WHERE id = ? from the fields that are set.
class UpdateBuilder {
 public:
  template <typename T>
  void set(std::string_view column, const std::optional<T>& value) {
    if (!value) return;
    add(column);
    params_.emplace_back(*value);
  }
  void set_nullable(std::string_view column, const std::optional<std::optional<int64_t>>& value) {
    if (!value) return;
    add(column);
    params_.push_back(*value ? Value(**value) : Value());
  }
  bool empty() const { return params_.empty(); }
  Status run(Tx& tx, std::string_view table, int64_t id) {
    params_.emplace_back(id);
    return tx.exec(fmt::format("UPDATE {} SET {} WHERE id = ?", table, sets_), params_).status();
  }

 private:
  void add(std::string_view column) {
    if (!sets_.empty()) sets_ += ", ";
    sets_ += fmt::format("{} = ?", column);
  }
  std::string sets_;
  std::vector<Value> params_;
};

constexpr std::string_view kProductColumns =
    "id, merchant_id, category_id, brand_id, name_en, name_zh, description_en, description_zh, "
    "listed, sales, updated_at_us";

Product product_from(const Row& r) {
  return Product{.id = r.int64(0),
                 .merchant_id = r.int64(1),
                 .category_id = r.int64(2),
                 .brand_id = r.is_null(3) ? 0 : r.int64(3),
                 .name_en = r.text(4),
                 .name_zh = r.text(5),
                 .description_en = r.text(6),
                 .description_zh = r.text(7),
                 .listed = r.int64(8) != 0,
                 .sales = r.int64(9),
                 .updated_at_us = r.int64(10)};
}

Status load_variants(Tx& tx, std::vector<Product>& products) {
  if (products.empty()) return Status::Ok();
  std::string marks;
  std::vector<Value> ids;
  std::map<int64_t, Product*> by_id;
  for (Product& p : products) {
    marks += marks.empty() ? "?" : ", ?";
    ids.emplace_back(p.id);
    by_id[p.id] = &p;
  }
  QWL_ASSIGN_OR_RETURN(
      Rows rows,
      tx.query(fmt::format("SELECT id, product_id, sku, name_en, name_zh, price, stock FROM "
                           "product_variants WHERE product_id IN ({}) ORDER BY product_id, id",
                           marks),
               ids));
  for (const Row& r : rows) {
    by_id[r.int64(1)]->variants.push_back(ProductVariant{.id = r.int64(0),
                                                         .product_id = r.int64(1),
                                                         .sku = r.text(2),
                                                         .name_en = r.text(3),
                                                         .name_zh = r.text(4),
                                                         .price = r.int64(5),
                                                         .stock = r.int64(6)});
  }
  return Status::Ok();
}

Result<Product> load_product(Tx& tx, int64_t product_id) {
  QWL_ASSIGN_OR_RETURN(
      Rows rows,
      tx.query(fmt::format("SELECT {} FROM products WHERE id = ?", kProductColumns), {product_id}));
  if (rows.empty()) return NotFoundError("product {} not found", product_id);
  std::vector<Product> products{product_from(rows[0])};
  QWL_RETURN_IF_ERROR(load_variants(tx, products));
  return std::move(products[0]);
}

Status check_product_access(Tx& tx, const Actor& actor, int64_t product_id) {
  QWL_ASSIGN_OR_RETURN(Rows rows,
                       tx.query("SELECT merchant_id FROM products WHERE id = ?", {product_id}));
  if (rows.empty()) {
    if (actor.role == Role::kCustomer) {
      return PermissionDeniedError("only a store's owner edits its products");
    }
    return NotFoundError("product {} not found", product_id);
  }
  return check_access(tx, actor, rows[0].int64(0), "product", product_id);
}

Status insert_variant(Tx& tx, int64_t product_id, const VariantDraft& v) {
  QWL_ASSIGN_OR_RETURN(int64_t taken, tx.query_int64("SELECT COUNT(*) FROM product_variants "
                                                     "WHERE sku = ?",
                                                     {v.sku}));
  if (taken > 0) return FailedPreconditionError("sku '{}' already exists", v.sku);
  return tx
      .exec(
          "INSERT INTO product_variants (product_id, sku, name_en, name_zh, price, stock) "
          "VALUES (?, ?, ?, ?, ?, ?)",
          {product_id, v.sku, v.name_en, v.name_zh, v.price, v.stock})
      .status();
}

template <typename Edit>
Result<Product> edit_product(Db& db, int64_t now_us, Edit edit) {
  Product out;
  QWL_RETURN_IF_ERROR(db.transact([&](Tx& tx) -> Status {
    QWL_ASSIGN_OR_RETURN(int64_t product_id, edit(tx));
    QWL_RETURN_IF_ERROR(touch_product(tx, product_id, now_us));
    QWL_ASSIGN_OR_RETURN(out, load_product(tx, product_id));
    return Status::Ok();
  }));
  return out;
}

}  // namespace

Result<std::vector<MerchantSummary>> list_managed_merchants(Db& db, const Actor& actor) {
  if (actor.role == Role::kCustomer) {
    return PermissionDeniedError("only merchants and admins manage stores");
  }
  std::vector<MerchantSummary> out;
  QWL_RETURN_IF_ERROR(db.read([&](Tx& tx) -> Status {
    out.clear();
    Result<Rows> rows =
        actor.is_admin()
            ? tx.query("SELECT id, name_en, name_zh, kind, accepting FROM merchants ORDER BY id")
            : tx.query(
                  "SELECT id, name_en, name_zh, kind, accepting FROM merchants WHERE "
                  "owner_user_id = ? ORDER BY id",
                  {actor.user_id});
    if (!rows.ok()) return rows.status();
    for (const Row& r : *rows) {
      out.push_back(MerchantSummary{.id = r.int64(0),
                                    .name_en = r.text(1),
                                    .name_zh = r.text(2),
                                    .kind = r.text(3),
                                    .accepting = r.int64(4) != 0});
    }
    return Status::Ok();
  }));
  return out;
}

Result<std::vector<MenuItem>> get_menu(Db& db, int64_t merchant_id, bool include_unavailable) {
  std::vector<MenuItem> out;
  QWL_RETURN_IF_ERROR(db.read([&](Tx& tx) -> Status {
    out.clear();
    QWL_ASSIGN_OR_RETURN(int64_t exists, tx.query_int64("SELECT COUNT(*) FROM merchants WHERE "
                                                        "id = ?",
                                                        {merchant_id}));
    if (exists == 0) return NotFoundError("merchant {} not found", merchant_id);
    QWL_ASSIGN_OR_RETURN(
        Rows rows,
        tx.query(fmt::format("SELECT {} FROM menu_items WHERE merchant_id = ?{} ORDER BY sort, id",
                             kItemColumns, include_unavailable ? "" : " AND available"),
                 {merchant_id}));
    for (const Row& r : rows) out.push_back(item_from(r));
    return load_groups(tx, out, "i.merchant_id", merchant_id);
  }));
  return out;
}

Result<MenuItem> get_menu_item(Db& db, int64_t item_id) {
  MenuItem out;
  QWL_RETURN_IF_ERROR(db.read([&](Tx& tx) -> Status {
    QWL_ASSIGN_OR_RETURN(out, load_item(tx, item_id));
    return Status::Ok();
  }));
  return out;
}

Result<MenuItem> create_menu_item(Db& db, const Clock& clock, const Actor& actor,
                                  int64_t merchant_id, const MenuItemDraft& d) {
  QWL_RETURN_IF_ERROR(check_name("menu item name_en", d.name_en));
  QWL_RETURN_IF_ERROR(check_name("menu item name_zh", d.name_zh));
  QWL_RETURN_IF_ERROR(check_name("menu item category_en", d.category_en, false));
  QWL_RETURN_IF_ERROR(check_name("menu item category_zh", d.category_zh, false));
  QWL_RETURN_IF_ERROR(check_description("menu item description_en", d.description_en));
  QWL_RETURN_IF_ERROR(check_description("menu item description_zh", d.description_zh));
  QWL_RETURN_IF_ERROR(check_price("menu item price", d.price));
  if (d.stock) QWL_RETURN_IF_ERROR(check_stock("menu item stock", *d.stock));
  const int64_t now_us = clock.wall_us();
  return edit_item(db, now_us, [&](Tx& tx) -> Result<int64_t> {
    QWL_RETURN_IF_ERROR(check_merchant_access(tx, actor, merchant_id));
    return tx.query_int64(
        "INSERT INTO menu_items (merchant_id, category_en, category_zh, name_en, name_zh, "
        "description_en, description_zh, price, available, stock, sort, updated_at_us) VALUES "
        "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
        {merchant_id, d.category_en, d.category_zh, d.name_en, d.name_zh, d.description_en,
         d.description_zh, d.price, d.available, d.stock ? Value(*d.stock) : Value(), d.sort,
         now_us});
  });
}

Result<MenuItem> update_menu_item(Db& db, const Clock& clock, const Actor& actor, int64_t item_id,
                                  const MenuItemPatch& p) {
  if (p.name_en) QWL_RETURN_IF_ERROR(check_name("menu item name_en", *p.name_en));
  if (p.name_zh) QWL_RETURN_IF_ERROR(check_name("menu item name_zh", *p.name_zh));
  if (p.category_en)
    QWL_RETURN_IF_ERROR(check_name("menu item category_en", *p.category_en, false));
  if (p.category_zh)
    QWL_RETURN_IF_ERROR(check_name("menu item category_zh", *p.category_zh, false));
  if (p.description_en) {
    QWL_RETURN_IF_ERROR(check_description("menu item description_en", *p.description_en));
  }
  if (p.description_zh) {
    QWL_RETURN_IF_ERROR(check_description("menu item description_zh", *p.description_zh));
  }
  if (p.price) QWL_RETURN_IF_ERROR(check_price("menu item price", *p.price));
  if (p.stock && *p.stock) QWL_RETURN_IF_ERROR(check_stock("menu item stock", **p.stock));
  UpdateBuilder update;
  update.set("category_en", p.category_en);
  update.set("category_zh", p.category_zh);
  update.set("name_en", p.name_en);
  update.set("name_zh", p.name_zh);
  update.set("description_en", p.description_en);
  update.set("description_zh", p.description_zh);
  update.set("price", p.price);
  update.set("available", p.available);
  update.set_nullable("stock", p.stock);
  update.set("sort", p.sort);
  if (update.empty()) return InvalidArgumentError("menu item {}: nothing to change", item_id);
  const int64_t now_us = clock.wall_us();
  return edit_item(db, now_us, [&](Tx& tx) -> Result<int64_t> {
    QWL_RETURN_IF_ERROR(item_merchant(tx, actor, item_id).status());
    UpdateBuilder copy = update;  // run() appends the id; the callable may run again
    QWL_RETURN_IF_ERROR(copy.run(tx, "menu_items", item_id));
    return item_id;
  });
}

Result<MenuItem> add_option_group(Db& db, const Clock& clock, const Actor& actor, int64_t item_id,
                                  const OptionGroupDraft& d) {
  QWL_RETURN_IF_ERROR(check_key(d.key));
  QWL_RETURN_IF_ERROR(check_name("option group name_en", d.name_en));
  QWL_RETURN_IF_ERROR(check_name("option group name_zh", d.name_zh));
  QWL_RETURN_IF_ERROR(check_choices(d.min_choices, d.max_choices));
  for (const OptionDraft& o : d.options) QWL_RETURN_IF_ERROR(check_option_draft(o));
  const int64_t now_us = clock.wall_us();
  return edit_item(db, now_us, [&](Tx& tx) -> Result<int64_t> {
    QWL_RETURN_IF_ERROR(item_merchant(tx, actor, item_id).status());
    QWL_ASSIGN_OR_RETURN(int64_t taken, tx.query_int64("SELECT COUNT(*) FROM menu_option_groups "
                                                       "WHERE item_id = ? AND key = ?",
                                                       {item_id, d.key}));
    if (taken > 0) {
      return FailedPreconditionError("menu item {} already has an option group '{}'", item_id,
                                     d.key);
    }
    QWL_ASSIGN_OR_RETURN(
        int64_t group_id,
        tx.query_int64(
            "INSERT INTO menu_option_groups (item_id, key, name_en, name_zh, "
            "min_choices, max_choices, sort) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
            {item_id, d.key, d.name_en, d.name_zh, d.min_choices, d.max_choices, d.sort}));
    for (const OptionDraft& o : d.options) {
      QWL_RETURN_IF_ERROR(insert_option(tx, group_id, d.max_choices, o));
    }
    return item_id;
  });
}

Result<MenuItem> update_option_group(Db& db, const Clock& clock, const Actor& actor,
                                     int64_t group_id, const OptionGroupPatch& p) {
  if (p.name_en) QWL_RETURN_IF_ERROR(check_name("option group name_en", *p.name_en));
  if (p.name_zh) QWL_RETURN_IF_ERROR(check_name("option group name_zh", *p.name_zh));
  UpdateBuilder update;
  update.set("name_en", p.name_en);
  update.set("name_zh", p.name_zh);
  update.set("min_choices", p.min_choices);
  update.set("max_choices", p.max_choices);
  update.set("sort", p.sort);
  if (update.empty()) return InvalidArgumentError("option group {}: nothing to change", group_id);
  const int64_t now_us = clock.wall_us();
  return edit_item(db, now_us, [&](Tx& tx) -> Result<int64_t> {
    QWL_ASSIGN_OR_RETURN(int64_t item_id, group_item(tx, actor, group_id));
    QWL_ASSIGN_OR_RETURN(Row now, tx.query_row("SELECT min_choices, max_choices FROM "
                                               "menu_option_groups WHERE id = ?",
                                               {group_id}));
    QWL_RETURN_IF_ERROR(
        check_choices(p.min_choices.value_or(now.int64(0)), p.max_choices.value_or(now.int64(1))));
    UpdateBuilder copy = update;
    QWL_RETURN_IF_ERROR(copy.run(tx, "menu_option_groups", group_id));
    return item_id;
  });
}

Result<MenuItem> remove_option_group(Db& db, const Clock& clock, const Actor& actor,
                                     int64_t group_id) {
  const int64_t now_us = clock.wall_us();
  return edit_item(db, now_us, [&](Tx& tx) -> Result<int64_t> {
    QWL_ASSIGN_OR_RETURN(int64_t item_id, group_item(tx, actor, group_id));
    QWL_RETURN_IF_ERROR(
        tx.exec("DELETE FROM menu_options WHERE group_id = ?", {group_id}).status());
    QWL_RETURN_IF_ERROR(
        tx.exec("DELETE FROM menu_option_groups WHERE id = ?", {group_id}).status());
    return item_id;
  });
}

Result<MenuItem> add_option(Db& db, const Clock& clock, const Actor& actor, int64_t group_id,
                            const OptionDraft& d) {
  QWL_RETURN_IF_ERROR(check_option_draft(d));
  const int64_t now_us = clock.wall_us();
  return edit_item(db, now_us, [&](Tx& tx) -> Result<int64_t> {
    QWL_ASSIGN_OR_RETURN(int64_t item_id, group_item(tx, actor, group_id));
    QWL_ASSIGN_OR_RETURN(
        int64_t max_choices,
        tx.query_int64("SELECT max_choices FROM menu_option_groups WHERE id = ?", {group_id}));
    QWL_RETURN_IF_ERROR(insert_option(tx, group_id, max_choices, d));
    return item_id;
  });
}

Result<MenuItem> update_option(Db& db, const Clock& clock, const Actor& actor, int64_t option_id,
                               const OptionPatch& p) {
  if (p.name_en) QWL_RETURN_IF_ERROR(check_name("option name_en", *p.name_en));
  if (p.name_zh) QWL_RETURN_IF_ERROR(check_name("option name_zh", *p.name_zh));
  if (p.price_delta) QWL_RETURN_IF_ERROR(check_delta(*p.price_delta));
  UpdateBuilder update;
  update.set("name_en", p.name_en);
  update.set("name_zh", p.name_zh);
  update.set("price_delta", p.price_delta);
  update.set("is_default", p.is_default);
  update.set("sort", p.sort);
  if (update.empty()) return InvalidArgumentError("option {}: nothing to change", option_id);
  const int64_t now_us = clock.wall_us();
  return edit_item(db, now_us, [&](Tx& tx) -> Result<int64_t> {
    QWL_ASSIGN_OR_RETURN(OptionOwner owner, option_owner(tx, actor, option_id));
    if (p.is_default.value_or(false) && owner.max_choices == 1) {
      QWL_RETURN_IF_ERROR(tx.exec("UPDATE menu_options SET is_default = FALSE WHERE group_id = ? "
                                  "AND id <> ?",
                                  {owner.group_id, option_id})
                              .status());
    }
    UpdateBuilder copy = update;
    QWL_RETURN_IF_ERROR(copy.run(tx, "menu_options", option_id));
    return owner.item_id;
  });
}

Result<MenuItem> remove_option(Db& db, const Clock& clock, const Actor& actor, int64_t option_id) {
  const int64_t now_us = clock.wall_us();
  return edit_item(db, now_us, [&](Tx& tx) -> Result<int64_t> {
    QWL_ASSIGN_OR_RETURN(OptionOwner owner, option_owner(tx, actor, option_id));
    QWL_RETURN_IF_ERROR(tx.exec("DELETE FROM menu_options WHERE id = ?", {option_id}).status());
    return owner.item_id;
  });
}

Result<std::vector<Product>> list_merchant_products(Db& db, const Actor& actor, int64_t merchant_id,
                                                    int64_t limit, int64_t after_id) {
  if (limit < 1 || limit > 200) {
    return InvalidArgumentError("products: limit {} is outside 1..200", limit);
  }
  std::vector<Product> out;
  QWL_RETURN_IF_ERROR(db.read([&](Tx& tx) -> Status {
    out.clear();
    QWL_RETURN_IF_ERROR(check_merchant_access(tx, actor, merchant_id));
    QWL_ASSIGN_OR_RETURN(
        Rows rows, tx.query(fmt::format("SELECT {} FROM products WHERE merchant_id = ? AND id > ? "
                                        "ORDER BY id LIMIT ?",
                                        kProductColumns),
                            {merchant_id, after_id, limit}));
    for (const Row& r : rows) out.push_back(product_from(r));
    return load_variants(tx, out);
  }));
  return out;
}

Result<Product> create_product(Db& db, const Clock& clock, const Actor& actor, int64_t merchant_id,
                               const ProductDraft& d) {
  QWL_RETURN_IF_ERROR(check_name("product name_en", d.name_en));
  QWL_RETURN_IF_ERROR(check_name("product name_zh", d.name_zh));
  QWL_RETURN_IF_ERROR(check_description("product description_en", d.description_en));
  QWL_RETURN_IF_ERROR(check_description("product description_zh", d.description_zh));
  if (d.variants.empty()) return InvalidArgumentError("product: at least one variant is needed");
  for (const VariantDraft& v : d.variants) QWL_RETURN_IF_ERROR(check_variant_draft(v));
  const int64_t now_us = clock.wall_us();
  return edit_product(db, now_us, [&](Tx& tx) -> Result<int64_t> {
    QWL_RETURN_IF_ERROR(check_merchant_access(tx, actor, merchant_id));
    QWL_ASSIGN_OR_RETURN(int64_t cat, tx.query_int64("SELECT COUNT(*) FROM categories WHERE "
                                                     "id = ?",
                                                     {d.category_id}));
    if (cat == 0) return InvalidArgumentError("product: category {} does not exist", d.category_id);
    if (d.brand_id != 0) {
      QWL_ASSIGN_OR_RETURN(int64_t brand, tx.query_int64("SELECT COUNT(*) FROM brands WHERE "
                                                         "id = ?",
                                                         {d.brand_id}));
      if (brand == 0) return InvalidArgumentError("product: brand {} does not exist", d.brand_id);
    }
    QWL_ASSIGN_OR_RETURN(
        int64_t product_id,
        tx.query_int64(
            "INSERT INTO products (merchant_id, category_id, brand_id, name_en, "
            "name_zh, description_en, description_zh, listed, created_at_us, "
            "updated_at_us) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
            {merchant_id, d.category_id, d.brand_id != 0 ? Value(d.brand_id) : Value(), d.name_en,
             d.name_zh, d.description_en, d.description_zh, d.listed, now_us, now_us}));
    for (const VariantDraft& v : d.variants) {
      QWL_RETURN_IF_ERROR(insert_variant(tx, product_id, v));
    }
    return product_id;
  });
}

Result<Product> update_product(Db& db, const Clock& clock, const Actor& actor, int64_t product_id,
                               const ProductPatch& p) {
  if (p.name_en) QWL_RETURN_IF_ERROR(check_name("product name_en", *p.name_en));
  if (p.name_zh) QWL_RETURN_IF_ERROR(check_name("product name_zh", *p.name_zh));
  if (p.description_en) {
    QWL_RETURN_IF_ERROR(check_description("product description_en", *p.description_en));
  }
  if (p.description_zh) {
    QWL_RETURN_IF_ERROR(check_description("product description_zh", *p.description_zh));
  }
  UpdateBuilder update;
  update.set("name_en", p.name_en);
  update.set("name_zh", p.name_zh);
  update.set("description_en", p.description_en);
  update.set("description_zh", p.description_zh);
  update.set("listed", p.listed);
  if (update.empty()) return InvalidArgumentError("product {}: nothing to change", product_id);
  const int64_t now_us = clock.wall_us();
  return edit_product(db, now_us, [&](Tx& tx) -> Result<int64_t> {
    QWL_RETURN_IF_ERROR(check_product_access(tx, actor, product_id));
    UpdateBuilder copy = update;
    QWL_RETURN_IF_ERROR(copy.run(tx, "products", product_id));
    return product_id;
  });
}

Result<Product> add_variant(Db& db, const Clock& clock, const Actor& actor, int64_t product_id,
                            const VariantDraft& d) {
  QWL_RETURN_IF_ERROR(check_variant_draft(d));
  const int64_t now_us = clock.wall_us();
  return edit_product(db, now_us, [&](Tx& tx) -> Result<int64_t> {
    QWL_RETURN_IF_ERROR(check_product_access(tx, actor, product_id));
    QWL_RETURN_IF_ERROR(insert_variant(tx, product_id, d));
    return product_id;
  });
}

Result<Product> update_variant(Db& db, const Clock& clock, const Actor& actor, int64_t variant_id,
                               const VariantPatch& p) {
  if (p.name_en) QWL_RETURN_IF_ERROR(check_name("variant name_en", *p.name_en, false));
  if (p.name_zh) QWL_RETURN_IF_ERROR(check_name("variant name_zh", *p.name_zh, false));
  if (p.price) QWL_RETURN_IF_ERROR(check_price("variant price", *p.price));
  if (p.stock) QWL_RETURN_IF_ERROR(check_stock("variant stock", *p.stock));
  UpdateBuilder update;
  update.set("name_en", p.name_en);
  update.set("name_zh", p.name_zh);
  update.set("price", p.price);
  update.set("stock", p.stock);
  if (update.empty()) return InvalidArgumentError("variant {}: nothing to change", variant_id);
  const int64_t now_us = clock.wall_us();
  return edit_product(db, now_us, [&](Tx& tx) -> Result<int64_t> {
    QWL_ASSIGN_OR_RETURN(Rows rows, tx.query("SELECT product_id FROM product_variants WHERE "
                                             "id = ?",
                                             {variant_id}));
    if (rows.empty()) {
      if (actor.role == Role::kCustomer) {
        return PermissionDeniedError("only a store's owner edits its products");
      }
      return NotFoundError("product variant {} not found", variant_id);
    }
    const int64_t product_id = rows[0].int64(0);
    Status access = check_product_access(tx, actor, product_id);
    if (access.code() == StatusCode::kNotFound) {
      return NotFoundError("product variant {} not found", variant_id);
    }
    QWL_RETURN_IF_ERROR(access);
    UpdateBuilder copy = update;
    QWL_RETURN_IF_ERROR(copy.run(tx, "product_variants", variant_id));
    return product_id;
  });
}

}  // namespace qwl::services
