// Merchants' tools on both databases: menu items, option groups and options, products and
// variants, with updated_at_us stamps, validation and the owner-only rules.
#include "services/merchant_admin.h"

#include <gtest/gtest.h>

#include "services/cart.h"
#include "services/orders_testing.h"
#include "services/services_testing.h"

namespace qwl::services {
namespace {

class MerchantAdminTest : public ::testing::TestWithParam<DbKind> {
 protected:
  void SetUp() override {
    auto db = testing::fresh_db(GetParam());
    ASSERT_TRUE(db.ok()) << db.status().to_string();
    db_ = std::move(*db);
    auto w = testing::build_world(*db_);
    ASSERT_TRUE(w.ok()) << w.status().to_string();
    w_ = *w;
  }
  int64_t stamp(std::string_view table, int64_t id) {
    auto v = testing::query_int(
        *db_, fmt::format("SELECT updated_at_us FROM {} WHERE id = ?", table), {id});
    EXPECT_TRUE(v.ok());
    return v.ok() ? *v : -1;
  }
  std::unique_ptr<Db> db_;
  testing::CommerceWorld w_;
  ManualClock clock_{testing::kWorldTime};
};

TEST_P(MerchantAdminTest, ReadsTheMenuWithItsOptions) {
  auto menu = get_menu(*db_, w_.cafe);
  ASSERT_TRUE(menu.ok()) << menu.status().to_string();
  ASSERT_EQ(menu->size(), 2u);
  const MenuItem& latte = (*menu)[0];
  EXPECT_EQ(latte.name_zh, "燕麦拿铁");
  ASSERT_EQ(latte.groups.size(), 4u);
  EXPECT_EQ(latte.groups[0].key, "size");
  ASSERT_EQ(latte.groups[0].options.size(), 2u);
  EXPECT_TRUE(latte.groups[0].options[0].is_default);
  EXPECT_EQ(latte.groups[0].options[1].price_delta, 300);
  EXPECT_EQ(latte.groups[3].max_choices, 3);
  EXPECT_EQ((*menu)[1].stock, 5);
  ASSERT_TRUE(testing::exec_sql(*db_, "UPDATE menu_items SET available = FALSE WHERE id = ?",
                                {w_.croissant})
                  .ok());
  EXPECT_EQ(get_menu(*db_, w_.cafe)->size(), 1u);
  EXPECT_EQ(get_menu(*db_, w_.cafe, true)->size(), 2u);
  EXPECT_EQ(get_menu(*db_, 999999).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(get_menu_item(*db_, w_.latte)->groups.size(), 4u);
  auto stores = list_managed_merchants(*db_, w_.owner);
  ASSERT_TRUE(stores.ok());
  EXPECT_EQ(stores->size(), 2u);
  EXPECT_EQ(list_managed_merchants(*db_, w_.admin)->size(), 3u);
  EXPECT_EQ(list_managed_merchants(*db_, w_.alice).status().code(), StatusCode::kPermissionDenied);
}

TEST_P(MerchantAdminTest, EditsMenuItemsAndStampsThem) {
  clock_.advance_us(5'000'000);
  auto created = create_menu_item(*db_, clock_, w_.owner, w_.cafe,
                                  {.category_en = "Tea",
                                   .category_zh = "茶",
                                   .name_en = "Matcha Latte",
                                   .name_zh = "抹茶拿铁",
                                   .price = 2600,
                                   .stock = 20});
  ASSERT_TRUE(created.ok()) << created.status().to_string();
  EXPECT_EQ(created->updated_at_us, clock_.wall_us());
  EXPECT_EQ(created->stock, 20);
  clock_.advance_us(1'000'000);
  auto updated = update_menu_item(*db_, clock_, w_.owner, created->id,
                                  {.name_en = "Iced Matcha Latte",
                                   .price = 2800,
                                   .available = false,
                                   .stock = std::optional<int64_t>()});
  ASSERT_TRUE(updated.ok()) << updated.status().to_string();
  EXPECT_EQ(updated->name_en, "Iced Matcha Latte");
  EXPECT_EQ(updated->name_zh, "抹茶拿铁");
  EXPECT_EQ(updated->price, 2800);
  EXPECT_FALSE(updated->available);
  EXPECT_FALSE(updated->stock.has_value());
  EXPECT_EQ(updated->updated_at_us, clock_.wall_us());

  auto code = [&](MenuItemPatch p) {
    return update_menu_item(*db_, clock_, w_.owner, created->id, p).status().code();
  };
  EXPECT_EQ(code({}), StatusCode::kInvalidArgument);
  EXPECT_EQ(code({.name_en = ""}), StatusCode::kInvalidArgument);
  EXPECT_EQ(code({.name_en = std::string(300, 'x')}), StatusCode::kInvalidArgument);
  EXPECT_EQ(code({.price = -1}), StatusCode::kInvalidArgument);
  EXPECT_EQ(code({.price = kMaxAmount + 1}), StatusCode::kInvalidArgument);
  EXPECT_EQ(code({.stock = std::optional<int64_t>(-1)}), StatusCode::kInvalidArgument);
  EXPECT_EQ(create_menu_item(*db_, clock_, w_.owner, w_.cafe, {.name_en = "x", .name_zh = ""})
                .status()
                .code(),
            StatusCode::kInvalidArgument);
  // Owners only: a customer is refused, another merchant does not see the item.
  EXPECT_EQ(update_menu_item(*db_, clock_, w_.alice, created->id, {.price = 1}).status().code(),
            StatusCode::kPermissionDenied);
  EXPECT_EQ(
      update_menu_item(*db_, clock_, w_.other_merchant, created->id, {.price = 1}).status().code(),
      StatusCode::kNotFound);
  EXPECT_EQ(update_menu_item(*db_, clock_, w_.owner, 999999, {.price = 1}).status().code(),
            StatusCode::kNotFound);
  EXPECT_EQ(create_menu_item(*db_, clock_, w_.other_merchant, w_.cafe,
                             {.name_en = "x", .name_zh = "x", .price = 1})
                .status()
                .code(),
            StatusCode::kNotFound);
  EXPECT_EQ(create_menu_item(*db_, clock_, w_.alice, w_.cafe,
                             {.name_en = "x", .name_zh = "x", .price = 1})
                .status()
                .code(),
            StatusCode::kPermissionDenied);
  EXPECT_TRUE(update_menu_item(*db_, clock_, w_.admin, created->id, {.price = 1}).ok());
}

TEST_P(MerchantAdminTest, EditsOptionGroupsAndOptions) {
  clock_.advance_us(7'000'000);
  auto item =
      add_option_group(*db_, clock_, w_.owner, w_.croissant,
                       {.key = "warm",
                        .name_en = "Warming",
                        .name_zh = "加热",
                        .min_choices = 1,
                        .max_choices = 1,
                        .options = {{.name_en = "Cold", .name_zh = "常温", .is_default = true},
                                    {.name_en = "Warm",
                                     .name_zh = "加热",
                                     .price_delta = 100,
                                     .is_default = true,
                                     .sort = 1}}});
  ASSERT_TRUE(item.ok()) << item.status().to_string();
  EXPECT_EQ(item->updated_at_us, clock_.wall_us());
  ASSERT_EQ(item->groups.size(), 1u);
  const MenuOptionGroup& g = item->groups[0];
  ASSERT_EQ(g.options.size(), 2u);
  // One default in a one-choice group: the later one wins.
  EXPECT_FALSE(g.options[0].is_default);
  EXPECT_TRUE(g.options[1].is_default);
  EXPECT_EQ(add_option_group(*db_, clock_, w_.owner, w_.croissant,
                             {.key = "warm", .name_en = "x", .name_zh = "x"})
                .status()
                .code(),
            StatusCode::kFailedPrecondition);
  for (OptionGroupDraft bad :
       {OptionGroupDraft{.key = "Bad Key", .name_en = "x", .name_zh = "x"},
        OptionGroupDraft{.key = "", .name_en = "x", .name_zh = "x"},
        OptionGroupDraft{
            .key = "k", .name_en = "x", .name_zh = "x", .min_choices = 2, .max_choices = 1},
        OptionGroupDraft{.key = "k",
        .name_en = "x",
        .name_zh = "x",
        .options = {{.name_en = "", .name_zh = "y"}}}}) {
    EXPECT_EQ(add_option_group(*db_, clock_, w_.owner, w_.croissant, bad).status().code(),
              StatusCode::kInvalidArgument)
        << bad.key;
  }
  // The cart prices the new options: warm by default.
  auto line = add_to_cart(*db_, clock_, w_.alice, {.menu_item_id = w_.croissant});
  ASSERT_TRUE(line.ok()) << line.status().to_string();
  EXPECT_EQ(line->priced.unit_price, 1600);

  clock_.advance_us(1'000'000);
  auto changed = update_option(*db_, clock_, w_.owner, g.options[0].id,
                               {.price_delta = -200, .is_default = true});
  ASSERT_TRUE(changed.ok()) << changed.status().to_string();
  EXPECT_TRUE(changed->groups[0].options[0].is_default);
  EXPECT_FALSE(changed->groups[0].options[1].is_default);
  EXPECT_EQ(changed->updated_at_us, clock_.wall_us());
  auto regrouped = update_option_group(*db_, clock_, w_.owner, g.id, {.max_choices = 2});
  ASSERT_TRUE(regrouped.ok());
  EXPECT_EQ(regrouped->groups[0].max_choices, 2);
  EXPECT_EQ(update_option_group(*db_, clock_, w_.owner, g.id, {.min_choices = 3}).status().code(),
            StatusCode::kInvalidArgument);
  auto added =
      add_option(*db_, clock_, w_.owner, g.id, {.name_en = "Hot", .name_zh = "热", .sort = 2});
  ASSERT_TRUE(added.ok());
  EXPECT_EQ(added->groups[0].options.size(), 3u);

  // Removing the option a cart line chose turns the line into one with a problem.
  auto removed = remove_option(*db_, clock_, w_.owner, g.options[1].id);
  ASSERT_TRUE(removed.ok()) << removed.status().to_string();
  EXPECT_EQ(removed->groups[0].options.size(), 2u);
  auto cart = list_cart(*db_, w_.alice);
  ASSERT_TRUE(cart.ok());
  EXPECT_FALSE(cart->merchants[0].lines[0].problem.empty());

  // Outsiders.
  EXPECT_EQ(update_option(*db_, clock_, w_.alice, g.options[0].id, {.sort = 1}).status().code(),
            StatusCode::kPermissionDenied);
  EXPECT_EQ(
      update_option(*db_, clock_, w_.other_merchant, g.options[0].id, {.sort = 1}).status().code(),
      StatusCode::kNotFound);
  EXPECT_EQ(remove_option_group(*db_, clock_, w_.other_merchant, g.id).status().code(),
            StatusCode::kNotFound);
  EXPECT_EQ(
      add_option(*db_, clock_, w_.owner, 999999, {.name_en = "x", .name_zh = "x"}).status().code(),
      StatusCode::kNotFound);
  EXPECT_EQ(update_option(*db_, clock_, w_.owner, g.options[0].id, {}).status().code(),
            StatusCode::kInvalidArgument);

  auto gone = remove_option_group(*db_, clock_, w_.admin, g.id);
  ASSERT_TRUE(gone.ok()) << gone.status().to_string();
  EXPECT_TRUE(gone->groups.empty());
  EXPECT_EQ(
      *testing::query_int(*db_, "SELECT COUNT(*) FROM menu_options WHERE group_id = ?", {g.id}), 0);
}

TEST_P(MerchantAdminTest, EditsProductsAndVariants) {
  clock_.advance_us(3'000'000);
  auto cat = testing::query_int(*db_, "SELECT MIN(id) FROM categories");
  ASSERT_TRUE(cat.ok());
  auto p =
      create_product(*db_, clock_, w_.owner, w_.shop,
                     {.category_id = *cat,
                      .name_en = "Oolong",
                      .name_zh = "乌龙茶",
                      .variants = {{.sku = "OL-1", .name_en = "Can", .price = 450, .stock = 30}}});
  ASSERT_TRUE(p.ok()) << p.status().to_string();
  EXPECT_EQ(p->updated_at_us, clock_.wall_us());
  ASSERT_EQ(p->variants.size(), 1u);
  EXPECT_EQ(create_product(*db_, clock_, w_.owner, w_.shop,
                           {.category_id = *cat, .name_en = "x", .name_zh = "x"})
                .status()
                .code(),
            StatusCode::kInvalidArgument);  // no variant
  EXPECT_EQ(
      create_product(
          *db_, clock_, w_.owner, w_.shop,
          {.category_id = 999999, .name_en = "x", .name_zh = "x", .variants = {{.sku = "X-1"}}})
          .status()
          .code(),
      StatusCode::kInvalidArgument);
  EXPECT_EQ(
      add_variant(*db_, clock_, w_.owner, p->id, {.sku = "GT-500", .price = 1}).status().code(),
      StatusCode::kFailedPrecondition);  // the SKU exists
  clock_.advance_us(1'000'000);
  auto with_two = add_variant(*db_, clock_, w_.owner, p->id,
                              {.sku = "OL-6", .name_en = "6 cans", .price = 2400, .stock = 5});
  ASSERT_TRUE(with_two.ok()) << with_two.status().to_string();
  EXPECT_EQ(with_two->variants.size(), 2u);
  EXPECT_EQ(with_two->updated_at_us, clock_.wall_us());

  clock_.advance_us(1'000'000);
  auto repriced = update_variant(*db_, clock_, w_.owner, w_.bottle, {.price = 300, .stock = 50});
  ASSERT_TRUE(repriced.ok()) << repriced.status().to_string();
  EXPECT_EQ(repriced->id, w_.product);
  EXPECT_EQ(repriced->variants[0].price, 300);
  EXPECT_EQ(repriced->variants[0].stock, 50);
  EXPECT_EQ(stamp("products", w_.product), clock_.wall_us());
  EXPECT_EQ(update_variant(*db_, clock_, w_.owner, w_.bottle, {.stock = -1}).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(
      update_variant(*db_, clock_, w_.owner, w_.bottle, {.price = kMaxAmount + 1}).status().code(),
      StatusCode::kInvalidArgument);
  auto unlisted = update_product(*db_, clock_, w_.owner, w_.product, {.listed = false});
  ASSERT_TRUE(unlisted.ok());
  EXPECT_FALSE(unlisted->listed);
  EXPECT_EQ(add_to_cart(*db_, clock_, w_.alice, {.variant_id = w_.bottle}).status().code(),
            StatusCode::kFailedPrecondition);

  EXPECT_EQ(update_product(*db_, clock_, w_.alice, w_.product, {.listed = true}).status().code(),
            StatusCode::kPermissionDenied);
  EXPECT_EQ(
      update_product(*db_, clock_, w_.other_merchant, w_.product, {.listed = true}).status().code(),
      StatusCode::kNotFound);
  EXPECT_EQ(
      update_variant(*db_, clock_, w_.other_merchant, w_.bottle, {.price = 1}).status().code(),
      StatusCode::kNotFound);
  EXPECT_EQ(update_variant(*db_, clock_, w_.owner, 999999, {.price = 1}).status().code(),
            StatusCode::kNotFound);
  auto listed = list_merchant_products(*db_, w_.owner, w_.shop);
  ASSERT_TRUE(listed.ok());
  EXPECT_EQ(listed->size(), 2u);
  EXPECT_EQ(list_merchant_products(*db_, w_.owner, w_.shop, 1, w_.product)->front().id, p->id);
  EXPECT_EQ(list_merchant_products(*db_, w_.other_merchant, w_.shop).status().code(),
            StatusCode::kNotFound);
  EXPECT_EQ(list_merchant_products(*db_, w_.alice, w_.shop).status().code(),
            StatusCode::kPermissionDenied);
}

INSTANTIATE_TEST_SUITE_P(Db, MerchantAdminTest,
                         ::testing::Values(DbKind::kSqlite, DbKind::kPostgres),
                         [](const auto& info) { return testing::kind_name(info.param); });

}  // namespace
}  // namespace qwl::services
