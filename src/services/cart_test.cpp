// The cart on both databases: exact prices with options and defaults, merging, bounds, bad
// input, stock and availability, ownership, and the option-words resolver in English and
// Chinese.
#include "services/cart.h"

#include <gtest/gtest.h>

#include "services/ledger.h"
#include "services/orders_testing.h"
#include "services/services_testing.h"

namespace qwl::services {
namespace {

using testing::CommerceWorld;

class CartTest : public ::testing::TestWithParam<DbKind> {
 protected:
  void SetUp() override {
    auto db = testing::fresh_db(GetParam());
    ASSERT_TRUE(db.ok()) << db.status().to_string();
    db_ = std::move(*db);
    auto w = testing::build_world(*db_);
    ASSERT_TRUE(w.ok()) << w.status().to_string();
    w_ = *w;
  }
  Result<CartLine> add(const Actor& who, CartLineInput in) {
    return add_to_cart(*db_, clock_, who, in);
  }
  CartLineInput latte(std::vector<int64_t> options, int64_t quantity = 1) {
    return CartLineInput{.menu_item_id = w_.latte, .option_ids = options, .quantity = quantity};
  }
  std::unique_ptr<Db> db_;
  CommerceWorld w_;
  ManualClock clock_;
};

TEST_P(CartTest, PricesOptionsExactlyAndFillsDefaults) {
  auto line = add(w_.alice, latte({w_.shot, w_.large}, 2));
  ASSERT_TRUE(line.ok()) << line.status().to_string();
  const PricedLine& p = line->priced;
  EXPECT_EQ(p.unit_price, 2300 + 300 + 500);
  EXPECT_EQ(p.line_total, 2 * 3100);
  EXPECT_EQ(p.merchant_id, w_.cafe);
  // Size chosen, ice and sugar by their defaults, the extra shot: in group order.
  ASSERT_EQ(p.options.size(), 4u);
  EXPECT_EQ(p.options[0].id, w_.large);
  EXPECT_EQ(p.options[1].id, w_.regular_ice);
  EXPECT_EQ(p.options[2].id, w_.regular_sugar);
  EXPECT_EQ(p.options[3].id, w_.shot);
  EXPECT_EQ(p.options_en, "Large, Regular, Regular, Extra shot");
  EXPECT_EQ(p.options_zh, "大杯，正常冰，标准糖，加浓缩");
  // Nothing chosen: the medium size is the required group's default.
  auto plain = add(w_.alice, latte({}));
  ASSERT_TRUE(plain.ok()) << plain.status().to_string();
  EXPECT_EQ(plain->priced.unit_price, 2300);
  EXPECT_EQ(plain->priced.options[0].id, w_.medium);
  // Three extras are allowed (max_choices 3).
  auto rich = add(w_.alice, latte({w_.shot, w_.foam, w_.vanilla}));
  ASSERT_TRUE(rich.ok()) << rich.status().to_string();
  EXPECT_EQ(rich->priced.unit_price, 2300 + 500 + 200 + 300);

  auto cart = list_cart(*db_, w_.alice);
  ASSERT_TRUE(cart.ok()) << cart.status().to_string();
  ASSERT_EQ(cart->merchants.size(), 1u);
  EXPECT_EQ(cart->merchants[0].subtotal, 6200 + 2300 + 3300);
  EXPECT_EQ(cart->merchants[0].item_count, 4);
  EXPECT_EQ(cart->merchants[0].merchant_name_en, "Luna Cafe");
}

TEST_P(CartTest, MergesIdenticalLinesAndBoundsQuantity) {
  auto a = add(w_.alice, latte({w_.large, w_.less_ice}, 1));
  // The same choice in another order, and with a default spelled out, is the same line.
  auto b = add(w_.alice, latte({w_.less_ice, w_.large, w_.regular_sugar}, 2));
  ASSERT_TRUE(a.ok() && b.ok()) << b.status().to_string();
  EXPECT_EQ(a->id, b->id);
  EXPECT_EQ(b->priced.quantity, 3);
  EXPECT_EQ(b->priced.line_total, 3 * 2600);
  auto other = add(w_.alice, latte({w_.large}, 1));
  ASSERT_TRUE(other.ok());
  EXPECT_NE(other->id, a->id);

  auto too_many = add(w_.alice, latte({w_.large, w_.less_ice}, kMaxLineQuantity - 2));
  EXPECT_EQ(too_many.status().code(), StatusCode::kInvalidArgument)
      << too_many.status().to_string();
  auto lines = testing::query_int(*db_, "SELECT quantity FROM cart_items WHERE id = ?", {a->id});
  EXPECT_EQ(*lines, 3);
  auto fits = add(w_.alice, latte({w_.large, w_.less_ice}, kMaxLineQuantity - 3));
  ASSERT_TRUE(fits.ok()) << fits.status().to_string();
  EXPECT_EQ(fits->priced.quantity, kMaxLineQuantity);
}

TEST_P(CartTest, RefusesBadInput) {
  auto code = [&](CartLineInput in) { return add(w_.alice, in).status().code(); };
  EXPECT_EQ(code({.menu_item_id = 999999}), StatusCode::kNotFound);
  EXPECT_EQ(code({.variant_id = 999999}), StatusCode::kNotFound);
  EXPECT_EQ(code({}), StatusCode::kInvalidArgument);
  EXPECT_EQ(code({.menu_item_id = w_.latte, .variant_id = w_.bottle}),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(code({.menu_item_id = -3}), StatusCode::kInvalidArgument);
  for (int64_t q : std::vector<int64_t>{0, -1, -1000, kMaxLineQuantity + 1, INT64_MAX, INT64_MIN}) {
    EXPECT_EQ(code(latte({}, q)), StatusCode::kInvalidArgument) << q;
  }
  EXPECT_EQ(code(latte({999999})), StatusCode::kInvalidArgument);               // unknown option
  EXPECT_EQ(code(latte({w_.medium, w_.large})), StatusCode::kInvalidArgument);  // two sizes
  EXPECT_EQ(code(latte({w_.shot, w_.shot})), StatusCode::kInvalidArgument);     // twice
  EXPECT_EQ(code({.menu_item_id = w_.croissant, .option_ids = {w_.large}}),
            StatusCode::kInvalidArgument);  // another item's option
  EXPECT_EQ(code({.variant_id = w_.bottle, .option_ids = {w_.large}}),
            StatusCode::kInvalidArgument);
  // A required group without a default must be chosen.
  ASSERT_TRUE(testing::exec_sql(*db_, "UPDATE menu_options SET is_default = FALSE WHERE id = ?",
                                {w_.medium})
                  .ok());
  auto missing = add(w_.alice, latte({}));
  EXPECT_EQ(missing.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(missing.status().message().find("size"), std::string::npos)
      << missing.status().message();
  EXPECT_EQ(code(latte({w_.medium})), StatusCode::kOk);
  // The system actor has no cart.
  EXPECT_EQ(add_to_cart(*db_, clock_, Actor::system(), latte({})).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(*testing::query_int(*db_, "SELECT COUNT(*) FROM cart_items"), 1);
}

TEST_P(CartTest, RefusesUnavailableItemsAndMissingStock) {
  auto code = [&](CartLineInput in) { return add(w_.alice, in).status().code(); };
  EXPECT_EQ(code({.menu_item_id = w_.croissant, .quantity = 6}), StatusCode::kFailedPrecondition);
  EXPECT_EQ(code({.menu_item_id = w_.croissant, .quantity = 5}), StatusCode::kOk);
  // Merging into the line counts: 5 + 1 > 5.
  EXPECT_EQ(code({.menu_item_id = w_.croissant, .quantity = 1}), StatusCode::kFailedPrecondition);
  EXPECT_EQ(code({.variant_id = w_.big_bottle}), StatusCode::kFailedPrecondition);
  EXPECT_EQ(code({.variant_id = w_.bottle, .quantity = 10}), StatusCode::kOk);
  ASSERT_TRUE(
      testing::exec_sql(*db_, "UPDATE menu_items SET available = FALSE WHERE id = ?", {w_.latte})
          .ok());
  EXPECT_EQ(code(latte({})), StatusCode::kFailedPrecondition);
  ASSERT_TRUE(
      testing::exec_sql(*db_, "UPDATE products SET listed = FALSE WHERE id = ?", {w_.product})
          .ok());
  EXPECT_EQ(code({.variant_id = w_.bottle}), StatusCode::kFailedPrecondition);

  // Lines already in the cart stay, marked with their problem and out of the subtotal.
  auto cart = list_cart(*db_, w_.alice);
  ASSERT_TRUE(cart.ok());
  ASSERT_EQ(cart->merchants.size(), 2u);
  const MerchantCart& mart = cart->merchants[1];
  EXPECT_EQ(mart.merchant_id, w_.shop);
  ASSERT_EQ(mart.lines.size(), 1u);
  EXPECT_NE(mart.lines[0].problem.find("not for sale"), std::string::npos) << mart.lines[0].problem;
  EXPECT_EQ(mart.subtotal, 0);
  EXPECT_EQ(cart->merchants[0].subtotal, 5 * 1500);
}

TEST_P(CartTest, RefusesOverflowingAmounts) {
  auto set_price = [&](int64_t price) {
    ASSERT_TRUE(testing::exec_sql(*db_, "UPDATE menu_items SET price = ? WHERE id = ?",
                                  {price, w_.croissant})
                    .ok());
  };
  ASSERT_TRUE(
      testing::exec_sql(*db_, "UPDATE menu_items SET stock = NULL WHERE id = ?", {w_.croissant})
          .ok());
  set_price(kMaxAmount / 2 + 1);
  auto one = add(w_.alice, {.menu_item_id = w_.croissant, .quantity = 1});
  ASSERT_TRUE(one.ok()) << one.status().to_string();
  auto two = add(w_.alice, {.menu_item_id = w_.croissant, .quantity = 1});  // merged: 2 units
  EXPECT_EQ(two.status().code(), StatusCode::kInvalidArgument) << two.status().to_string();
  set_price(900'000'000'000'000'000);  // 9e17 fen, written past the services' checks
  EXPECT_EQ(add(w_.bob, {.menu_item_id = w_.croissant, .quantity = 50}).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(add(w_.bob, {.menu_item_id = w_.croissant, .quantity = 1}).status().code(),
            StatusCode::kInvalidArgument);
  // Option deltas that push the unit price past the bound or below zero.
  ASSERT_TRUE(testing::exec_sql(*db_, "UPDATE menu_options SET price_delta = ? WHERE id = ?",
                                {kMaxAmount, w_.shot})
                  .ok());
  EXPECT_EQ(add(w_.bob, latte({w_.shot})).status().code(), StatusCode::kInvalidArgument);
  ASSERT_TRUE(testing::exec_sql(*db_, "UPDATE menu_options SET price_delta = ? WHERE id = ?",
                                {-5000, w_.shot})
                  .ok());
  EXPECT_EQ(add(w_.bob, latte({w_.shot})).status().code(), StatusCode::kInvalidArgument);
  // The checked arithmetic itself, at its edges.
  EXPECT_EQ(checked_add(kMaxAmount, 1, "x").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(checked_line_total(kMaxAmount, 2, "x").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(*checked_line_total(kMaxAmount / 99, 99, "x"), kMaxAmount / 99 * 99);
}

TEST_P(CartTest, UpdatesRemovesClearsAndKeepsCartsPrivate) {
  auto a = add(w_.alice, latte({w_.large}));
  auto c = add(w_.alice, {.menu_item_id = w_.croissant, .quantity = 2});
  auto v = add(w_.alice, {.variant_id = w_.bottle, .quantity = 3});
  auto b = add(w_.bob, latte({}));
  ASSERT_TRUE(a.ok() && c.ok() && v.ok() && b.ok());

  auto up = update_cart_line(*db_, w_.alice, a->id, 4);
  ASSERT_TRUE(up.ok()) << up.status().to_string();
  EXPECT_EQ(up->priced.line_total, 4 * 2600);
  EXPECT_EQ(update_cart_line(*db_, w_.alice, a->id, 0).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(update_cart_line(*db_, w_.alice, c->id, 6).status().code(),
            StatusCode::kFailedPrecondition);  // stock 5
  // Another user's line is not there for alice; an admin may reach it.
  EXPECT_EQ(update_cart_line(*db_, w_.alice, b->id, 2).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(remove_cart_line(*db_, w_.alice, b->id).code(), StatusCode::kNotFound);
  EXPECT_EQ(update_cart_line(*db_, w_.admin, b->id, 2).status().code(), StatusCode::kOk);

  // Changing options into an existing line's options merges the two.
  auto plain = add(w_.alice, latte({}));
  ASSERT_TRUE(plain.ok());
  auto merged = update_cart_line_options(*db_, w_.alice, plain->id, std::vector<int64_t>{w_.large});
  ASSERT_TRUE(merged.ok()) << merged.status().to_string();
  EXPECT_EQ(merged->id, a->id);
  EXPECT_EQ(merged->priced.quantity, 5);
  auto changed =
      update_cart_line_options(*db_, w_.alice, a->id, std::vector<int64_t>{w_.large, w_.no_ice});
  ASSERT_TRUE(changed.ok());
  EXPECT_EQ(changed->priced.options_en, "Large, No, Regular");

  auto cafe = list_cart(*db_, w_.alice, w_.cafe);
  ASSERT_TRUE(cafe.ok());
  ASSERT_EQ(cafe->merchants.size(), 1u);
  EXPECT_EQ(cafe->merchants[0].lines.size(), 2u);
  EXPECT_EQ(cafe->merchants[0].subtotal, 5 * 2600 + 2 * 1500);
  auto all = list_cart(*db_, w_.alice);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->merchants.size(), 2u);

  EXPECT_TRUE(remove_cart_line(*db_, w_.alice, c->id).ok());
  EXPECT_EQ(remove_cart_line(*db_, w_.alice, c->id).code(), StatusCode::kNotFound);
  auto cleared = clear_cart(*db_, w_.alice, w_.shop);
  ASSERT_TRUE(cleared.ok());
  EXPECT_EQ(*cleared, 1);
  EXPECT_EQ(*clear_cart(*db_, w_.alice), 1);
  EXPECT_EQ(*testing::query_int(*db_, "SELECT COUNT(*) FROM cart_items WHERE user_id = ?",
                                {w_.bob.user_id}),
            1);
}

TEST_P(CartTest, ResolvesOptionWordsInEnglishAndChinese) {
  auto resolve = [&](std::vector<OptionWords> words) {
    return resolve_options(*db_, w_.latte, words);
  };
  auto ids = resolve({{"size", "large"}, {"", "less ice"}, {"", "Extra Shot"}});
  ASSERT_TRUE(ids.ok()) << ids.status().to_string();
  EXPECT_EQ(*ids, (std::vector<int64_t>{w_.large, w_.less_ice, w_.shot}));
  auto zh = resolve({{"规格", "大杯"}, {"", "少冰"}, {"糖度", "半糖"}, {"", "香草"}});
  ASSERT_TRUE(zh.ok()) << zh.status().to_string();
  EXPECT_EQ(*zh, (std::vector<int64_t>{w_.large, w_.less_ice, w_.half_sugar, w_.vanilla}));
  auto spelled = resolve({{"ice", "No"}, {"Sugar", "regular"}, {"", "ICE-less"}});
  ASSERT_TRUE(spelled.ok()) << spelled.status().to_string();
  EXPECT_EQ(*spelled, (std::vector<int64_t>{w_.no_ice, w_.regular_sugar, w_.less_ice}));

  auto unknown = resolve({{"", "extra large"}});
  EXPECT_EQ(unknown.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(unknown.status().message().find("Large/大杯"), std::string::npos)
      << unknown.status().message();
  auto no_group = resolve({{"temperature", "hot"}});
  EXPECT_EQ(no_group.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(no_group.status().message().find("temperature"), std::string::npos);
  // "regular" is a choice of both ice and sugar: the group must be named.
  auto ambiguous = resolve({{"", "regular"}});
  EXPECT_EQ(ambiguous.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(ambiguous.status().message().find("ambiguous"), std::string::npos);
  EXPECT_EQ(resolve({{"size", ""}}).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(
      resolve_options(*db_, 999999, std::vector<OptionWords>{{"size", "large"}}).status().code(),
      StatusCode::kNotFound);

  // What the resolver returns goes straight into the cart.
  auto line = add(w_.alice, latte(*zh));
  ASSERT_TRUE(line.ok()) << line.status().to_string();
  EXPECT_EQ(line->priced.unit_price, 2300 + 300 + 300);
  EXPECT_EQ(line->priced.options_zh, "大杯，少冰，半糖，香草");
}

INSTANTIATE_TEST_SUITE_P(Db, CartTest, ::testing::Values(DbKind::kSqlite, DbKind::kPostgres),
                         [](const auto& info) { return testing::kind_name(info.param); });

}  // namespace
}  // namespace qwl::services
