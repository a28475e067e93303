// The change log behind the search index (migration 0002): on both databases every write to an
// indexed table notes (kind, ref_id) in the same transaction, an update that moves a row to
// another parent notes both, a rolled-back write notes nothing, and capture = FALSE stops it.
#include <gtest/gtest.h>

#include "services/services_testing.h"

namespace qwl::services {
namespace {

class SearchLogTest : public ::testing::TestWithParam<DbKind> {
 protected:
  void SetUp() override {
    auto db = testing::fresh_db(GetParam());
    ASSERT_TRUE(db.ok()) << db.status().to_string();
    db_ = std::move(*db);
  }
  // The log after id `after`, as "kind:ref" strings.
  std::vector<std::string> log(int64_t after = 0) {
    std::vector<std::string> out;
    Status s = db_->read([&](Tx& tx) -> Status {
      out.clear();
      QWL_ASSIGN_OR_RETURN(
          Rows rows,
          tx.query("SELECT kind, ref_id FROM search_changes WHERE id > ? ORDER BY id", {after}));
      for (const Row& r : rows) out.push_back(r.text(0) + ":" + std::to_string(r.int64(1)));
      return Status::Ok();
    });
    EXPECT_TRUE(s.ok()) << s.to_string();
    return out;
  }
  int64_t last_id() {
    int64_t id = 0;
    Status s = db_->read([&](Tx& tx) -> Status {
      QWL_ASSIGN_OR_RETURN(id, tx.query_int64("SELECT COALESCE(MAX(id), 0) FROM search_changes"));
      return Status::Ok();
    });
    EXPECT_TRUE(s.ok()) << s.to_string();
    return id;
  }
  Status exec(std::string_view sql, Params params = {}) {
    return db_->transact([&](Tx& tx) -> Status { return tx.exec(sql, params).status(); });
  }
  std::unique_ptr<Db> db_;
};

using V = std::vector<std::string>;

TEST_P(SearchLogTest, EveryIndexedTableNotesItsChanges) {
  auto merchant = testing::add_merchant(*db_, "Luna Cafe");
  ASSERT_TRUE(merchant.ok()) << merchant.status().to_string();
  auto item = testing::add_menu_item(*db_, *merchant, "Oat Latte", 2800);
  ASSERT_TRUE(item.ok());
  const std::string m = std::to_string(*merchant), i = std::to_string(*item);
  EXPECT_EQ(log(), (V{"merchant:" + m, "item:" + i}));

  int64_t mark = last_id();
  ASSERT_TRUE(exec("INSERT INTO categories (id, name_en, name_zh) VALUES (7, 'Tea', '茶')").ok());
  ASSERT_TRUE(exec("INSERT INTO brands (id, name_en, name_zh) VALUES (3, 'Leaf', '叶')").ok());
  ASSERT_TRUE(exec("INSERT INTO products (id, merchant_id, category_id, brand_id, name_en, "
                   "name_zh, created_at_us, updated_at_us) VALUES (11, ?, 7, 3, 'Green Tea', "
                   "'绿茶', 1, 1), (12, ?, 7, NULL, 'Black Tea', '红茶', 1, 1)",
                   {*merchant, *merchant})
                  .ok());
  ASSERT_TRUE(exec("INSERT INTO product_variants (product_id, sku, price, stock) VALUES "
                   "(11, 'g1', 1200, 5)")
                  .ok());
  ASSERT_TRUE(
      exec("INSERT INTO product_attributes (product_id, name, value) VALUES (11, 'size', 'l')")
          .ok());
  EXPECT_EQ(log(mark),
            (V{"category:7", "brand:3", "product:11", "product:12", "product:11", "product:11"}));

  // Stock at checkout, a variant moved to another product, a delisting, opening hours, the poi.
  mark = last_id();
  ASSERT_TRUE(exec("UPDATE product_variants SET stock = stock - 1 WHERE sku = 'g1'").ok());
  ASSERT_TRUE(exec("UPDATE product_variants SET product_id = 12 WHERE sku = 'g1'").ok());
  ASSERT_TRUE(exec("DELETE FROM product_attributes WHERE product_id = 11").ok());
  ASSERT_TRUE(exec("UPDATE products SET listed = FALSE WHERE id = 12").ok());
  ASSERT_TRUE(exec("UPDATE menu_items SET price = 3000 WHERE id = ?", {*item}).ok());
  ASSERT_TRUE(exec("UPDATE merchants SET rating_x10 = 48 WHERE id = ?", {*merchant}).ok());
  ASSERT_TRUE(exec("INSERT INTO poi_hours (poi_id, weekday, open_min, close_min) SELECT poi_id, "
                   "0, 480, 1320 FROM merchants WHERE id = ?",
                   {*merchant})
                  .ok());
  ASSERT_TRUE(
      exec("UPDATE pois SET rating_x10 = 40 WHERE id IN (SELECT poi_id FROM merchants)").ok());
  int64_t poi = 0;
  ASSERT_TRUE(db_->read([&](Tx& tx) -> Status {
                   QWL_ASSIGN_OR_RETURN(poi, tx.query_int64("SELECT poi_id FROM merchants"));
                   return Status::Ok();
                 })
                  .ok());
  const std::string p = std::to_string(poi);
  V moved = log(mark);
  // The moved variant notes its new and its old product (in either order within the update).
  ASSERT_EQ(moved.size(), 9u) << ::testing::PrintToString(moved);
  EXPECT_EQ(moved[0], "product:11");
  std::sort(moved.begin() + 1, moved.begin() + 3);
  EXPECT_EQ(V(moved.begin() + 1, moved.begin() + 3), (V{"product:11", "product:12"}));
  EXPECT_EQ(V(moved.begin() + 3, moved.end()),
            (V{"product:11", "product:12", "item:" + i, "merchant:" + m, "poi:" + p, "poi:" + p}));

  // A rolled-back write notes nothing.
  mark = last_id();
  Status s = db_->transact([&](Tx& tx) -> Status {
    QWL_RETURN_IF_ERROR(tx.exec("UPDATE products SET sales = 5 WHERE id = 11").status());
    return InvalidArgumentError("changed my mind");
  });
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(log(mark), V{});

  // Capture off: writes note nothing.
  ASSERT_TRUE(exec("UPDATE search_state SET capture = FALSE WHERE id = 1").ok());
  ASSERT_TRUE(exec("UPDATE products SET sales = 9 WHERE id = 11").ok());
  EXPECT_EQ(log(mark), V{});
  ASSERT_TRUE(exec("UPDATE search_state SET capture = TRUE WHERE id = 1").ok());
  ASSERT_TRUE(exec("UPDATE products SET sales = 10 WHERE id = 11").ok());
  EXPECT_EQ(log(mark), V{"product:11"});
}

INSTANTIATE_TEST_SUITE_P(Db, SearchLogTest, ::testing::Values(DbKind::kSqlite, DbKind::kPostgres),
                         [](const auto& info) { return testing::kind_name(info.param); });

}  // namespace
}  // namespace qwl::services
