// The cart: what a user is about to buy, one line per menu item with its chosen options or per
// product variant, priced exactly in integer minor units (fen).
//
// A menu item's unit price is its base price plus the price_delta of every chosen option; a
// variant's is its own price; a line's total is unit price x quantity, refused when it would
// pass kMaxAmount (InvalidArgument). Options are given by id, or by words through
// resolve_options() ({"size": "large"}, {"规格": "大杯"}, "less ice", "少冰"), which the agent
// uses to turn a sentence into ids. Option groups are checked on every add: at most max_choices
// per group, at least min_choices (a group left empty gets its default options first), no
// option of another item, no option twice. Identical lines (same item or variant, same options)
// merge into one. A user's cart may hold several merchants' lines; checkout (orders.h) takes
// one merchant's.
//
// The cart always belongs to the acting user (actor.user_id); lines of another user answer
// NotFound (an admin may edit any line by id). list_cart() re-prices every line from the
// current menu and marks lines that can no longer be bought (problem) instead of failing.
//
// Errors: InvalidArgument (quantity <= 0 or above kMaxLineQuantity, unknown or repeated option,
// too many/few choices in a group, both or neither of item and variant, amounts past
// kMaxAmount), NotFound (unknown menu item, variant or line), FailedPrecondition (item
// unavailable or unlisted, not enough stock, too many lines).
// Thread-safety: functions take a Db (thread-safe) or the caller's Tx.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/status.h"
#include "services/actor.h"
#include "store/db.h"

namespace qwl::services {

inline constexpr int64_t kMaxLineQuantity = 99;  // per cart line
inline constexpr int64_t kMaxCartLines = 100;    // per user, all merchants together

// What to put in the cart: exactly one of menu_item_id and variant_id.
struct CartLineInput {
  int64_t menu_item_id = 0;
  int64_t variant_id = 0;
  std::vector<int64_t> option_ids;  // menu items only; any order; defaults are filled in
  int64_t quantity = 1;
};

struct ChosenOption {
  int64_t id = 0;
  int64_t group_id = 0;
  std::string group_key;  // size, sugar, ice, ...
  std::string name_en;
  std::string name_zh;
  int64_t price_delta = 0;  // fen, may be negative
};

// One line priced from the current menu or catalog.
struct PricedLine {
  int64_t merchant_id = 0;
  int64_t menu_item_id = 0;  // 0 for a variant
  int64_t variant_id = 0;    // 0 for a menu item
  std::string name_en;       // "Oat Latte"; a variant: "Product (variant)"
  std::string name_zh;
  std::vector<ChosenOption> options;  // sorted by group sort, then option sort
  std::string options_key;            // option ids ascending, comma separated ("3,7"; "" none)
  std::string options_en;             // "Large, Less ice"
  std::string options_zh;             // "大杯，少冰"
  int64_t unit_price = 0;             // fen: base + option deltas
  int64_t quantity = 0;
  int64_t line_total = 0;        // fen: unit_price x quantity
  std::optional<int64_t> stock;  // what is left now; nullopt: made to order
};

struct CartLine {
  int64_t id = 0;
  PricedLine priced;
  int64_t added_at_us = 0;
  std::string problem;  // empty when it can be bought now; else why not ("sold out")
};

struct MerchantCart {
  int64_t merchant_id = 0;
  std::string merchant_name_en;
  std::string merchant_name_zh;
  std::vector<CartLine> lines;  // oldest first
  int64_t subtotal = 0;         // fen, lines without a problem
  int64_t item_count = 0;       // quantities summed, lines without a problem
};

struct Cart {
  std::vector<MerchantCart> merchants;  // by merchant id
};

// Prices `input` for `quantity` from the current menu inside the caller's transaction,
// validating everything add_to_cart() validates (stock included). Used by cart and checkout.
Result<PricedLine> price_line(Tx& tx, const CartLineInput& input);

// Adds a line (merged with an identical one: quantities add up, bounded). Returns the line.
Result<CartLine> add_to_cart(Db& db, const Clock& clock, const Actor& actor,
                             const CartLineInput& input);

// Sets a line's quantity (> 0; use remove_cart_line to delete). Returns the re-priced line.
Result<CartLine> update_cart_line(Db& db, const Actor& actor, int64_t line_id, int64_t quantity);

// Replaces a menu line's options (merging into an identical line if one exists).
Result<CartLine> update_cart_line_options(Db& db, const Actor& actor, int64_t line_id,
                                          std::span<const int64_t> option_ids);

Status remove_cart_line(Db& db, const Actor& actor, int64_t line_id);

// Removes the actor's lines of `merchant_id`, or all of them when merchant_id is 0. Returns how
// many lines were removed.
Result<int64_t> clear_cart(Db& db, const Actor& actor, int64_t merchant_id = 0);

// The actor's cart, all merchants or only `merchant_id` (0: all).
Result<Cart> list_cart(Db& db, const Actor& actor, int64_t merchant_id = 0);
Result<Cart> list_cart(Tx& tx, int64_t user_id, int64_t merchant_id = 0);

// One option in words: a group and a value ({"size", "large"}, {"规格", "大杯"}) or a value
// alone ({"", "less ice"}, {"", "少冰"}).
struct OptionWords {
  std::string group;
  std::string value;
};

// Turns words into option ids of `menu_item_id`. Matching ignores ASCII case, spaces, '-' and
// '_'; a group matches its key, English or Chinese name; a value matches an option's English or
// Chinese name, alone or joined with its group's name in either order ("less" in group "Ice"
// matches "less ice"; "少" in group "冰" matches "少冰"). A value alone must match options of one
// group only. Errors: NotFound (the item), InvalidArgument naming the words and the choices the
// item offers (unknown group or value, ambiguous value).
Result<std::vector<int64_t>> resolve_options(Tx& tx, int64_t menu_item_id,
                                             std::span<const OptionWords> words);
Result<std::vector<int64_t>> resolve_options(Db& db, int64_t menu_item_id,
                                             std::span<const OptionWords> words);

// Multiplies a unit price by a quantity, InvalidArgument (naming `what`) when the result
// passes kMaxAmount or either input is out of range.
Result<int64_t> checked_line_total(int64_t unit_price, int64_t quantity, std::string_view what);

// Adds two non-negative amounts, InvalidArgument (naming `what`) past kMaxAmount.
Result<int64_t> checked_add(int64_t a, int64_t b, std::string_view what);

}  // namespace qwl::services
