// The cart (see cart.h): exact pricing of menu items with options and of product variants, and
// the cart_items rows that hold a user's lines.
#include "services/cart.h"

#include <algorithm>
#include <charconv>
#include <map>

#include "services/ledger.h"

namespace qwl::services {

Result<int64_t> checked_line_total(int64_t unit_price, int64_t quantity, std::string_view what) {
  if (unit_price < 0 || unit_price > kMaxAmount) {
    return InvalidArgumentError("{}: unit price {} is outside 0..{}", what, unit_price, kMaxAmount);
  }
  if (quantity <= 0 || quantity > kMaxLineQuantity) {
    return InvalidArgumentError("{}: quantity {} is outside 1..{}", what, quantity,
                                kMaxLineQuantity);
  }
  // Both factors are bounded above, so the product fits int64 (10^12 x 99); the check that
  // matters is the one against kMaxAmount, which keeps every later sum exact.
  const int64_t total = unit_price * quantity;
  if (total > kMaxAmount) {
    return InvalidArgumentError("{}: {} x {} = {} is above the largest amount {}", what, unit_price,
                                quantity, total, kMaxAmount);
  }
  return total;
}

Result<int64_t> checked_add(int64_t a, int64_t b, std::string_view what) {
  if (a < 0 || b < 0 || a > kMaxAmount || b > kMaxAmount || a + b > kMaxAmount) {
    return InvalidArgumentError("{}: {} + {} is outside 0..{}", what, a, b, kMaxAmount);
  }
  return a + b;
}

namespace {

struct MenuOptionRow {
  int64_t id = 0;
  std::string name_en;
  std::string name_zh;
  int64_t price_delta = 0;
  bool is_default = false;
};

struct MenuGroupRow {
  int64_t id = 0;
  std::string key;
  std::string name_en;
  std::string name_zh;
  int64_t min_choices = 0;
  int64_t max_choices = 1;
  std::vector<MenuOptionRow> options;  // by sort, id
};

struct MenuItemRow {
  int64_t id = 0;
  int64_t merchant_id = 0;
  std::string name_en;
  std::string name_zh;
  int64_t price = 0;
  bool available = true;
  std::optional<int64_t> stock;
  std::vector<MenuGroupRow> groups;  // by sort, id
};

Result<MenuItemRow> load_menu_item(Tx& tx, int64_t item_id) {
  QWL_ASSIGN_OR_RETURN(Rows rows,
                       tx.query("SELECT merchant_id, name_en, name_zh, price, available, stock "
                                "FROM menu_items WHERE id = ?",
                                {item_id}));
  if (rows.empty()) return NotFoundError("menu item {} not found", item_id);
  const Row& r = rows[0];
  MenuItemRow item{.id = item_id,
                   .merchant_id = r.int64(0),
                   .name_en = r.text(1),
                   .name_zh = r.text(2),
                   .price = r.int64(3),
                   .available = r.int64(4) != 0};
  if (!r.is_null(5)) item.stock = r.int64(5);
  QWL_ASSIGN_OR_RETURN(
      Rows opts,
      tx.query("SELECT g.id, g.key, g.name_en, g.name_zh, g.min_choices, g.max_choices, o.id, "
               "o.name_en, o.name_zh, o.price_delta, o.is_default FROM menu_option_groups g "
               "LEFT JOIN menu_options o ON o.group_id = g.id WHERE g.item_id = ? "
               "ORDER BY g.sort, g.id, o.sort, o.id",
               {item_id}));
  for (const Row& o : opts) {
    if (item.groups.empty() || item.groups.back().id != o.int64(0)) {
      item.groups.push_back(MenuGroupRow{.id = o.int64(0),
                                         .key = o.text(1),
                                         .name_en = o.text(2),
                                         .name_zh = o.text(3),
                                         .min_choices = o.int64(4),
                                         .max_choices = o.int64(5)});
    }
    if (o.is_null(6)) continue;  // a group without options yet
    item.groups.back().options.push_back(MenuOptionRow{.id = o.int64(6),
                                                       .name_en = o.text(7),
                                                       .name_zh = o.text(8),
                                                       .price_delta = o.int64(9),
                                                       .is_default = o.int64(10) != 0});
  }
  return item;
}

std::string group_choices(const MenuGroupRow& g) {
  std::string out;
  for (const MenuOptionRow& o : g.options) {
    if (!out.empty()) out += ", ";
    out += fmt::format("{}/{} ({})", o.name_en, o.name_zh, o.id);
  }
  return out;
}

// Fills `out` as far as it gets, so that a cart line that can no longer be bought still shows
// its name next to the problem.
Status price_menu_item(Tx& tx, const CartLineInput& input, PricedLine* out) {
  QWL_ASSIGN_OR_RETURN(MenuItemRow item, load_menu_item(tx, input.menu_item_id));
  out->merchant_id = item.merchant_id;
  out->menu_item_id = item.id;
  out->name_en = item.name_en;
  out->name_zh = item.name_zh;
  out->stock = item.stock;
  const std::string what = fmt::format("menu item {} ({})", item.id, item.name_en);
  if (!item.available) return FailedPreconditionError("{} is not available now", what);

  std::vector<int64_t> ids = input.option_ids;
  std::sort(ids.begin(), ids.end());
  if (std::adjacent_find(ids.begin(), ids.end()) != ids.end()) {
    return InvalidArgumentError("{}: option {} is chosen twice", what,
                                *std::adjacent_find(ids.begin(), ids.end()));
  }
  std::vector<const MenuOptionRow*> chosen_per_option(ids.size(), nullptr);
  std::vector<ChosenOption> chosen;
  for (const MenuGroupRow& g : item.groups) {
    std::vector<const MenuOptionRow*> picked;
    for (const MenuOptionRow& o : g.options) {
      auto it = std::lower_bound(ids.begin(), ids.end(), o.id);
      if (it != ids.end() && *it == o.id) {
        picked.push_back(&o);
        chosen_per_option[it - ids.begin()] = &o;
      }
    }
    // A group the order says nothing about gets its defaults ("regular sugar").
    if (picked.empty()) {
      for (const MenuOptionRow& o : g.options) {
        if (o.is_default && static_cast<int64_t>(picked.size()) < g.max_choices) {
          picked.push_back(&o);
        }
      }
    }
    if (static_cast<int64_t>(picked.size()) > g.max_choices) {
      return InvalidArgumentError("{}: group '{}' takes at most {} choice(s), got {}", what, g.key,
                                  g.max_choices, picked.size());
    }
    if (static_cast<int64_t>(picked.size()) < g.min_choices) {
      return InvalidArgumentError("{}: choose at least {} of '{}' ({})", what, g.min_choices, g.key,
                                  group_choices(g));
    }
    for (const MenuOptionRow* o : picked) {
      chosen.push_back(ChosenOption{.id = o->id,
                                    .group_id = g.id,
                                    .group_key = g.key,
                                    .name_en = o->name_en,
                                    .name_zh = o->name_zh,
                                    .price_delta = o->price_delta});
    }
  }
  for (size_t i = 0; i < ids.size(); ++i) {
    if (chosen_per_option[i] == nullptr) {
      return InvalidArgumentError("{}: option {} is not one of its options", what, ids[i]);
    }
  }

  // Base and deltas are summed in a wide range first: each is bounded by kMaxAmount below, so
  // the running sum of a few dozen options cannot overflow before the range check.
  if (item.price < 0 || item.price > kMaxAmount) {
    return InvalidArgumentError("{}: price {} is outside 0..{}", what, item.price, kMaxAmount);
  }
  int64_t unit = item.price;
  std::vector<int64_t> key_ids;
  for (const ChosenOption& c : chosen) {
    if (c.price_delta < -kMaxAmount || c.price_delta > kMaxAmount) {
      return InvalidArgumentError("{}: option {} price delta {} is out of range", what, c.id,
                                  c.price_delta);
    }
    unit += c.price_delta;
    if (unit > kMaxAmount || unit < -kMaxAmount) {
      return InvalidArgumentError("{}: price with options is above {}", what, kMaxAmount);
    }
    key_ids.push_back(c.id);
    if (!out->options_en.empty()) {
      out->options_en += ", ";
      out->options_zh += "，";
    }
    out->options_en += c.name_en;
    out->options_zh += c.name_zh;
  }
  if (unit < 0) return InvalidArgumentError("{}: price with options {} is below zero", what, unit);
  std::sort(key_ids.begin(), key_ids.end());
  for (size_t i = 0; i < key_ids.size(); ++i) {
    if (i > 0) out->options_key += ',';
    out->options_key += std::to_string(key_ids[i]);
  }
  out->options = std::move(chosen);
  out->unit_price = unit;
  out->quantity = input.quantity;
  QWL_ASSIGN_OR_RETURN(out->line_total, checked_line_total(unit, input.quantity, what));
  if (item.stock && *item.stock < input.quantity) {
    return FailedPreconditionError("{}: only {} left, {} wanted", what, *item.stock,
                                   input.quantity);
  }
  return Status::Ok();
}

Status price_variant(Tx& tx, const CartLineInput& input, PricedLine* out) {
  QWL_ASSIGN_OR_RETURN(Rows rows,
                       tx.query("SELECT p.merchant_id, p.name_en, p.name_zh, v.name_en, v.name_zh, "
                                "v.price, v.stock, p.listed, p.id FROM product_variants v "
                                "JOIN products p ON p.id = v.product_id WHERE v.id = ?",
                                {input.variant_id}));
  if (rows.empty()) return NotFoundError("product variant {} not found", input.variant_id);
  const Row& r = rows[0];
  out->merchant_id = r.int64(0);
  out->variant_id = input.variant_id;
  out->name_en = r.text(3).empty() ? r.text(1) : fmt::format("{} ({})", r.text(1), r.text(3));
  out->name_zh = r.text(4).empty() ? r.text(2) : fmt::format("{}（{}）", r.text(2), r.text(4));
  out->stock = r.int64(6);
  const std::string what = fmt::format("product variant {} ({})", input.variant_id, out->name_en);
  if (!input.option_ids.empty()) {
    return InvalidArgumentError("{}: a product variant takes no options", what);
  }
  if (r.int64(7) == 0) return FailedPreconditionError("{} is not for sale now", what);
  out->unit_price = r.int64(5);
  out->quantity = input.quantity;
  QWL_ASSIGN_OR_RETURN(out->line_total, checked_line_total(out->unit_price, input.quantity, what));
  if (*out->stock < input.quantity) {
    return FailedPreconditionError("{}: only {} left, {} wanted", what, *out->stock,
                                   input.quantity);
  }
  return Status::Ok();
}

Status price_into(Tx& tx, const CartLineInput& input, PricedLine* out) {
  *out = PricedLine{};
  out->quantity = input.quantity;
  if ((input.menu_item_id != 0) == (input.variant_id != 0)) {
    return InvalidArgumentError(
        "cart line: give exactly one of menu_item_id and variant_id (got {} and {})",
        input.menu_item_id, input.variant_id);
  }
  if (input.menu_item_id < 0 || input.variant_id < 0) {
    return InvalidArgumentError("cart line: ids must be positive");
  }
  if (input.quantity <= 0 || input.quantity > kMaxLineQuantity) {
    return InvalidArgumentError("cart line: quantity {} is outside 1..{}", input.quantity,
                                kMaxLineQuantity);
  }
  if (input.menu_item_id != 0) return price_menu_item(tx, input, out);
  return price_variant(tx, input, out);
}

std::vector<int64_t> parse_options_key(const std::string& key) {
  std::vector<int64_t> ids;
  const char* p = key.data();
  const char* end = key.data() + key.size();
  while (p < end) {
    int64_t v = 0;
    auto [next, ec] = std::from_chars(p, end, v);
    if (ec != std::errc()) break;  // written by us: never malformed
    ids.push_back(v);
    p = next;
    if (p < end && *p == ',') ++p;
  }
  return ids;
}

struct StoredLine {
  int64_t id = 0;
  int64_t user_id = 0;
  int64_t merchant_id = 0;
  CartLineInput input;
  int64_t added_at_us = 0;
};

StoredLine stored_line_from(const Row& r) {
  StoredLine s;
  s.id = r.int64(0);
  s.user_id = r.int64(1);
  s.merchant_id = r.int64(2);
  s.input.menu_item_id = r.is_null(3) ? 0 : r.int64(3);
  s.input.variant_id = r.is_null(4) ? 0 : r.int64(4);
  s.input.option_ids = parse_options_key(r.text(5));
  s.input.quantity = r.int64(6);
  s.added_at_us = r.int64(7);
  return s;
}

constexpr std::string_view kLineColumns =
    "id, user_id, merchant_id, menu_item_id, variant_id, options, quantity, added_at_us";

Result<StoredLine> load_line(Tx& tx, const Actor& actor, int64_t line_id) {
  QWL_ASSIGN_OR_RETURN(
      Rows rows,
      tx.query(fmt::format("SELECT {} FROM cart_items WHERE id = ?", kLineColumns), {line_id}));
  if (rows.empty()) return NotFoundError("cart line {} not found", line_id);
  StoredLine line = stored_line_from(rows[0]);
  QWL_RETURN_IF_ERROR(check_owner(actor, line.user_id, "cart line", line_id));
  return line;
}

// An existing line of `user_id` holding exactly what `priced` describes, other than `except`.
Result<std::optional<StoredLine>> find_identical(Tx& tx, int64_t user_id, const PricedLine& priced,
                                                 int64_t except) {
  Result<Rows> rows = priced.menu_item_id != 0
                          ? tx.query(fmt::format("SELECT {} FROM cart_items WHERE user_id = ? AND "
                                                 "menu_item_id = ? AND options = ? AND id <> ?",
                                                 kLineColumns),
                                     {user_id, priced.menu_item_id, priced.options_key, except})
                          : tx.query(fmt::format("SELECT {} FROM cart_items WHERE user_id = ? AND "
                                                 "variant_id = ? AND id <> ?",
                                                 kLineColumns),
                                     {user_id, priced.variant_id, except});
  if (!rows.ok()) return rows.status();
  if (rows->empty()) return std::optional<StoredLine>();
  return std::optional<StoredLine>(stored_line_from((*rows)[0]));
}

Status require_user(const Actor& actor) {
  if (actor.user_id <= 0) return InvalidArgumentError("cart: the actor is not a user");
  return Status::Ok();
}

// Merges `priced` (already validated for its own quantity) into an identical line when there is
// one, else inserts it. Returns the line as stored.
Result<CartLine> merge_or_insert(Tx& tx, int64_t user_id, PricedLine priced, int64_t now_us,
                                 int64_t except) {
  QWL_ASSIGN_OR_RETURN(std::optional<StoredLine> same, find_identical(tx, user_id, priced, except));
  if (same) {
    const int64_t quantity = same->input.quantity + priced.quantity;
    if (quantity > kMaxLineQuantity) {
      return InvalidArgumentError("cart line {}: quantity would be {}, at most {}", same->id,
                                  quantity, kMaxLineQuantity);
    }
    CartLineInput merged = same->input;
    merged.quantity = quantity;
    PricedLine repriced;
    QWL_RETURN_IF_ERROR(price_into(tx, merged, &repriced));
    QWL_RETURN_IF_ERROR(
        tx.exec("UPDATE cart_items SET quantity = ? WHERE id = ?", {quantity, same->id}).status());
    return CartLine{
        .id = same->id, .priced = std::move(repriced), .added_at_us = same->added_at_us};
  }
  QWL_ASSIGN_OR_RETURN(
      int64_t lines,
      tx.query_int64("SELECT COUNT(*) FROM cart_items WHERE user_id = ?", {user_id}));
  if (lines >= kMaxCartLines) {
    return FailedPreconditionError("cart: {} lines already, at most {}", lines, kMaxCartLines);
  }
  QWL_ASSIGN_OR_RETURN(
      int64_t id,
      tx.query_int64("INSERT INTO cart_items (user_id, merchant_id, menu_item_id, variant_id, "
                     "options, quantity, added_at_us) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
                     {user_id, priced.merchant_id,
                      priced.menu_item_id != 0 ? Value(priced.menu_item_id) : Value(),
                      priced.variant_id != 0 ? Value(priced.variant_id) : Value(),
                      priced.options_key, priced.quantity, now_us}));
  return CartLine{.id = id, .priced = std::move(priced), .added_at_us = now_us};
}

}  // namespace

Result<PricedLine> price_line(Tx& tx, const CartLineInput& input) {
  PricedLine out;
  QWL_RETURN_IF_ERROR(price_into(tx, input, &out));
  return out;
}

Result<CartLine> add_to_cart(Db& db, const Clock& clock, const Actor& actor,
                             const CartLineInput& input) {
  QWL_RETURN_IF_ERROR(require_user(actor));
  const int64_t now_us = clock.wall_us();
  CartLine result;
  QWL_RETURN_IF_ERROR(db.transact([&](Tx& tx) -> Status {
    PricedLine priced;
    QWL_RETURN_IF_ERROR(price_into(tx, input, &priced));
    QWL_ASSIGN_OR_RETURN(result, merge_or_insert(tx, actor.user_id, std::move(priced), now_us, 0));
    return Status::Ok();
  }));
  return result;
}

Result<CartLine> update_cart_line(Db& db, const Actor& actor, int64_t line_id, int64_t quantity) {
  CartLine result;
  QWL_RETURN_IF_ERROR(db.transact([&](Tx& tx) -> Status {
    QWL_ASSIGN_OR_RETURN(StoredLine line, load_line(tx, actor, line_id));
    CartLineInput input = line.input;
    input.quantity = quantity;
    PricedLine priced;
    QWL_RETURN_IF_ERROR(price_into(tx, input, &priced));
    QWL_RETURN_IF_ERROR(
        tx.exec("UPDATE cart_items SET quantity = ? WHERE id = ?", {quantity, line_id}).status());
    result = CartLine{.id = line_id, .priced = std::move(priced), .added_at_us = line.added_at_us};
    return Status::Ok();
  }));
  return result;
}

Result<CartLine> update_cart_line_options(Db& db, const Actor& actor, int64_t line_id,
                                          std::span<const int64_t> option_ids) {
  CartLine result;
  QWL_RETURN_IF_ERROR(db.transact([&](Tx& tx) -> Status {
    QWL_ASSIGN_OR_RETURN(StoredLine line, load_line(tx, actor, line_id));
    CartLineInput input = line.input;
    input.option_ids.assign(option_ids.begin(), option_ids.end());
    PricedLine priced;
    QWL_RETURN_IF_ERROR(price_into(tx, input, &priced));
    QWL_ASSIGN_OR_RETURN(std::optional<StoredLine> same,
                         find_identical(tx, line.user_id, priced, line_id));
    if (same) {
      // The new options make it the same as another line: fold this one into that.
      QWL_RETURN_IF_ERROR(tx.exec("DELETE FROM cart_items WHERE id = ?", {line_id}).status());
      QWL_ASSIGN_OR_RETURN(
          result, merge_or_insert(tx, line.user_id, std::move(priced), line.added_at_us, line_id));
      return Status::Ok();
    }
    QWL_RETURN_IF_ERROR(
        tx.exec("UPDATE cart_items SET options = ? WHERE id = ?", {priced.options_key, line_id})
            .status());
    result = CartLine{.id = line_id, .priced = std::move(priced), .added_at_us = line.added_at_us};
    return Status::Ok();
  }));
  return result;
}

Status remove_cart_line(Db& db, const Actor& actor, int64_t line_id) {
  return db.transact([&](Tx& tx) -> Status {
    QWL_ASSIGN_OR_RETURN(StoredLine line, load_line(tx, actor, line_id));
    return tx.exec("DELETE FROM cart_items WHERE id = ?", {line.id}).status();
  });
}

Result<int64_t> clear_cart(Db& db, const Actor& actor, int64_t merchant_id) {
  QWL_RETURN_IF_ERROR(require_user(actor));
  int64_t removed = 0;
  QWL_RETURN_IF_ERROR(db.transact([&](Tx& tx) -> Status {
    Result<int64_t> n =
        merchant_id == 0 ? tx.exec("DELETE FROM cart_items WHERE user_id = ?", {actor.user_id})
                         : tx.exec("DELETE FROM cart_items WHERE user_id = ? AND merchant_id = ?",
                                   {actor.user_id, merchant_id});
    if (!n.ok()) return n.status();
    removed = *n;
    return Status::Ok();
  }));
  return removed;
}

Result<Cart> list_cart(Tx& tx, int64_t user_id, int64_t merchant_id) {
  Result<Rows> rows = merchant_id == 0
                          ? tx.query(fmt::format("SELECT {} FROM cart_items WHERE user_id = ? "
                                                 "ORDER BY merchant_id, id",
                                                 kLineColumns),
                                     {user_id})
                          : tx.query(fmt::format("SELECT {} FROM cart_items WHERE user_id = ? AND "
                                                 "merchant_id = ? ORDER BY id",
                                                 kLineColumns),
                                     {user_id, merchant_id});
  if (!rows.ok()) return rows.status();
  Cart cart;
  for (const Row& r : *rows) {
    StoredLine stored = stored_line_from(r);
    if (cart.merchants.empty() || cart.merchants.back().merchant_id != stored.merchant_id) {
      MerchantCart mc{.merchant_id = stored.merchant_id};
      QWL_ASSIGN_OR_RETURN(Row m, tx.query_row("SELECT name_en, name_zh FROM merchants "
                                               "WHERE id = ?",
                                               {stored.merchant_id}));
      mc.merchant_name_en = m.text(0);
      mc.merchant_name_zh = m.text(1);
      cart.merchants.push_back(std::move(mc));
    }
    MerchantCart& mc = cart.merchants.back();
    CartLine line{.id = stored.id, .added_at_us = stored.added_at_us};
    Status s = price_into(tx, stored.input, &line.priced);
    if (!s.ok()) {
      // Only what the shop or the database refuses makes a line unbuyable; a broken
      // statement is our bug and fails the listing.
      if (s.code() != StatusCode::kFailedPrecondition && s.code() != StatusCode::kNotFound &&
          s.code() != StatusCode::kInvalidArgument) {
        return s;
      }
      line.problem = s.message();
      line.priced.merchant_id = stored.merchant_id;
      line.priced.quantity = stored.input.quantity;
    } else {
      QWL_ASSIGN_OR_RETURN(mc.subtotal,
                           checked_add(mc.subtotal, line.priced.line_total,
                                       fmt::format("cart of merchant {}", mc.merchant_id)));
      mc.item_count += line.priced.quantity;
    }
    mc.lines.push_back(std::move(line));
  }
  return cart;
}

Result<Cart> list_cart(Db& db, const Actor& actor, int64_t merchant_id) {
  QWL_RETURN_IF_ERROR(require_user(actor));
  Cart cart;
  QWL_RETURN_IF_ERROR(db.read([&](Tx& tx) -> Status {
    QWL_ASSIGN_OR_RETURN(cart, list_cart(tx, actor.user_id, merchant_id));
    return Status::Ok();
  }));
  return cart;
}

namespace {

// Lower-cases ASCII and drops spaces (ASCII and the ideographic one), '-' and '_', so that
// "Less Ice", "less-ice" and "lessice" compare equal; other UTF-8 bytes pass unchanged.
std::string fold(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c == ' ' || c == '\t' || c == '-' || c == '_') continue;
    if (c == 0xE3 && i + 2 < s.size() && static_cast<unsigned char>(s[i + 1]) == 0x80 &&
        static_cast<unsigned char>(s[i + 2]) == 0x80) {
      i += 2;  // U+3000 IDEOGRAPHIC SPACE
      continue;
    }
    out += (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : static_cast<char>(c);
  }
  return out;
}

bool group_matches(const MenuGroupRow& g, const std::string& word) {
  return fold(g.key) == word || fold(g.name_en) == word || fold(g.name_zh) == word;
}

bool option_matches(const MenuGroupRow& g, const MenuOptionRow& o, const std::string& word) {
  const std::string en = fold(o.name_en);
  const std::string zh = fold(o.name_zh);
  const std::string gen = fold(g.name_en);
  const std::string gzh = fold(g.name_zh);
  const std::string gkey = fold(g.key);
  return word == en || word == zh || word == en + gen || word == gen + en || word == zh + gzh ||
         word == gzh + zh || word == en + gkey || word == gkey + en;
}

std::string describe_choices(const MenuItemRow& item) {
  std::string out;
  for (const MenuGroupRow& g : item.groups) {
    if (!out.empty()) out += "; ";
    out += fmt::format("{}/{}/{}: ", g.key, g.name_en, g.name_zh);
    for (size_t i = 0; i < g.options.size(); ++i) {
      if (i > 0) out += ", ";
      out += fmt::format("{}/{}", g.options[i].name_en, g.options[i].name_zh);
    }
  }
  return out.empty() ? "none" : out;
}

}  // namespace

Result<std::vector<int64_t>> resolve_options(Tx& tx, int64_t menu_item_id,
                                             std::span<const OptionWords> words) {
  QWL_ASSIGN_OR_RETURN(MenuItemRow item, load_menu_item(tx, menu_item_id));
  std::vector<int64_t> ids;
  for (const OptionWords& w : words) {
    const std::string value = fold(w.value);
    const std::string group = fold(w.group);
    if (value.empty()) {
      return InvalidArgumentError("menu item {}: option words '{}' name no choice", menu_item_id,
                                  w.group);
    }
    std::vector<std::pair<const MenuGroupRow*, const MenuOptionRow*>> found;
    bool group_found = group.empty();
    for (const MenuGroupRow& g : item.groups) {
      if (!group.empty()) {
        if (!group_matches(g, group)) continue;
        group_found = true;
      }
      for (const MenuOptionRow& o : g.options) {
        if (option_matches(g, o, value)) found.emplace_back(&g, &o);
      }
    }
    if (!group_found) {
      return InvalidArgumentError("menu item {} ({}) has no option group '{}'; its choices: {}",
                                  menu_item_id, item.name_en, w.group, describe_choices(item));
    }
    if (found.empty()) {
      return InvalidArgumentError(
          "menu item {} ({}): '{}' is not a choice{}; its choices: {}", menu_item_id, item.name_en,
          w.value, w.group.empty() ? "" : fmt::format(" of '{}'", w.group), describe_choices(item));
    }
    if (found.size() > 1) {
      std::string groups;
      for (const auto& [g, o] : found) {
        if (!groups.empty()) groups += ", ";
        groups += fmt::format("{}={}", g->key, o->name_en);
      }
      return InvalidArgumentError("menu item {} ({}): '{}' is ambiguous ({}); name the group",
                                  menu_item_id, item.name_en, w.value, groups);
    }
    const int64_t id = found[0].second->id;
    if (std::find(ids.begin(), ids.end(), id) == ids.end()) ids.push_back(id);
  }
  return ids;
}

Result<std::vector<int64_t>> resolve_options(Db& db, int64_t menu_item_id,
                                             std::span<const OptionWords> words) {
  std::vector<int64_t> ids;
  QWL_RETURN_IF_ERROR(db.read([&](Tx& tx) -> Status {
    QWL_ASSIGN_OR_RETURN(ids, resolve_options(tx, menu_item_id, words));
    return Status::Ok();
  }));
  return ids;
}

}  // namespace qwl::services
