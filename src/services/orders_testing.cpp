// Test support for the commerce services (see orders_testing.h).
#include "services/orders_testing.h"

#include "services/city_time.h"
#include "services/services_testing.h"

namespace qwl::services::testing {

namespace {

Result<int64_t> insert_id(Tx& tx, std::string_view sql, Params params) {
  return tx.query_int64(sql, params);
}

Result<int64_t> add_group(Tx& tx, int64_t item, std::string_view key, std::string_view en,
                          std::string_view zh, int64_t min_choices, int64_t max_choices,
                          int64_t sort) {
  return insert_id(tx,
                   "INSERT INTO menu_option_groups (item_id, key, name_en, name_zh, min_choices, "
                   "max_choices, sort) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
                   {item, key, en, zh, min_choices, max_choices, sort});
}

Result<int64_t> add_option(Tx& tx, int64_t group, std::string_view en, std::string_view zh,
                           int64_t delta, bool is_default, int64_t sort) {
  return insert_id(tx,
                   "INSERT INTO menu_options (group_id, name_en, name_zh, price_delta, "
                   "is_default, sort) VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
                   {group, en, zh, delta, is_default, sort});
}

Result<int64_t> add_address(Tx& tx, int64_t user, std::string_view label, double lat, double lon) {
  return insert_id(tx,
                   "INSERT INTO addresses (user_id, label, line_en, lat, lon, created_at_us) "
                   "VALUES (?, ?, ?, ?, ?, 1) RETURNING id",
                   {user, label, fmt::format("{} of user {}", label, user), lat, lon});
}

}  // namespace

Result<CommerceWorld> build_world(Db& db) {
  CommerceWorld w;
  QWL_ASSIGN_OR_RETURN(w.owner, add_user(db, "owner@luna.test", Role::kMerchant));
  QWL_ASSIGN_OR_RETURN(w.other_merchant, add_user(db, "owner@elsewhere.test", Role::kMerchant));
  QWL_ASSIGN_OR_RETURN(w.alice, add_user(db, "alice@example.com"));
  QWL_ASSIGN_OR_RETURN(w.bob, add_user(db, "bob@example.com"));
  QWL_ASSIGN_OR_RETURN(w.admin, add_user(db, "admin@example.com", Role::kAdmin));
  QWL_ASSIGN_OR_RETURN(w.cafe,
                       add_merchant(db, "Luna Cafe", w.owner.user_id, "cafe", 30.25, 120.16));
  QWL_ASSIGN_OR_RETURN(
      w.shop, add_merchant(db, "Corner Mart", w.owner.user_id, "supermarket", 30.251, 120.161));
  QWL_ASSIGN_OR_RETURN(w.tea_shop, add_merchant(db, "Elsewhere Tea", w.other_merchant.user_id,
                                                "tea", 30.26, 120.17));
  QWL_RETURN_IF_ERROR(db.transact([&](Tx& tx) -> Status {
    QWL_ASSIGN_OR_RETURN(w.cafe_poi,
                         tx.query_int64("SELECT poi_id FROM merchants WHERE id = ?", {w.cafe}));
    QWL_RETURN_IF_ERROR(tx.exec("UPDATE merchants SET prep_minutes = 10, delivery_fee = 300, "
                                "delivery_radius_m = 5000 WHERE id = ?",
                                {w.cafe})
                            .status());
    QWL_RETURN_IF_ERROR(
        tx.exec("UPDATE merchants SET delivery_fee = 0 WHERE id = ?", {w.shop}).status());
    QWL_ASSIGN_OR_RETURN(
        w.latte, insert_id(tx,
                           "INSERT INTO menu_items (merchant_id, category_en, category_zh, "
                           "name_en, name_zh, price, updated_at_us) VALUES (?, 'Coffee', '咖啡', "
                           "'Oat Latte', '燕麦拿铁', 2300, 1) RETURNING id",
                           {w.cafe}));
    QWL_ASSIGN_OR_RETURN(w.size_group, add_group(tx, w.latte, "size", "Size", "规格", 1, 1, 0));
    QWL_ASSIGN_OR_RETURN(w.medium, add_option(tx, w.size_group, "Medium", "中杯", 0, true, 0));
    QWL_ASSIGN_OR_RETURN(w.large, add_option(tx, w.size_group, "Large", "大杯", 300, false, 1));
    QWL_ASSIGN_OR_RETURN(w.ice_group, add_group(tx, w.latte, "ice", "Ice", "冰量", 0, 1, 1));
    QWL_ASSIGN_OR_RETURN(w.regular_ice,
                         add_option(tx, w.ice_group, "Regular", "正常冰", 0, true, 0));
    QWL_ASSIGN_OR_RETURN(w.less_ice, add_option(tx, w.ice_group, "Less", "少冰", 0, false, 1));
    QWL_ASSIGN_OR_RETURN(w.no_ice, add_option(tx, w.ice_group, "No", "去冰", 0, false, 2));
    QWL_ASSIGN_OR_RETURN(w.sugar_group, add_group(tx, w.latte, "sugar", "Sugar", "糖度", 0, 1, 2));
    QWL_ASSIGN_OR_RETURN(w.regular_sugar,
                         add_option(tx, w.sugar_group, "Regular", "标准糖", 0, true, 0));
    QWL_ASSIGN_OR_RETURN(w.half_sugar, add_option(tx, w.sugar_group, "Half", "半糖", 0, false, 1));
    QWL_ASSIGN_OR_RETURN(w.extra_group, add_group(tx, w.latte, "extra", "Extras", "加料", 0, 3, 3));
    QWL_ASSIGN_OR_RETURN(w.shot,
                         add_option(tx, w.extra_group, "Extra shot", "加浓缩", 500, false, 0));
    QWL_ASSIGN_OR_RETURN(w.foam,
                         add_option(tx, w.extra_group, "Oat foam", "燕麦奶盖", 200, false, 1));
    QWL_ASSIGN_OR_RETURN(w.vanilla,
                         add_option(tx, w.extra_group, "Vanilla", "香草", 300, false, 2));
    QWL_ASSIGN_OR_RETURN(
        w.croissant, insert_id(tx,
                               "INSERT INTO menu_items (merchant_id, name_en, name_zh, price, "
                               "stock, updated_at_us) VALUES (?, 'Croissant', '牛角包', 1500, 5, "
                               "1) RETURNING id",
                               {w.cafe}));
    QWL_ASSIGN_OR_RETURN(w.tea_item,
                         insert_id(tx,
                                   "INSERT INTO menu_items (merchant_id, name_en, name_zh, price, "
                                   "updated_at_us) VALUES (?, 'Jasmine Tea', '茉莉花茶', 1200, 1) "
                                   "RETURNING id",
                                   {w.tea_shop}));
    QWL_ASSIGN_OR_RETURN(int64_t category,
                         insert_id(tx,
                                   "INSERT INTO categories (name_en, name_zh) VALUES "
                                   "('Drinks', '饮料') RETURNING id",
                                   {}));
    QWL_ASSIGN_OR_RETURN(
        w.product, insert_id(tx,
                             "INSERT INTO products (merchant_id, category_id, name_en, name_zh, "
                             "created_at_us, updated_at_us) VALUES (?, ?, 'Green Tea', '绿茶', "
                             "1, 1) RETURNING id",
                             {w.shop, category}));
    QWL_ASSIGN_OR_RETURN(
        w.bottle, insert_id(tx,
                            "INSERT INTO product_variants (product_id, sku, name_en, name_zh, "
                            "price, stock) VALUES (?, 'GT-500', '500 ml', '500毫升', 350, 10) "
                            "RETURNING id",
                            {w.product}));
    QWL_ASSIGN_OR_RETURN(
        w.big_bottle, insert_id(tx,
                                "INSERT INTO product_variants (product_id, sku, name_en, "
                                "name_zh, price, stock) VALUES (?, 'GT-1000', '1 L', '1升', 600, "
                                "0) RETURNING id",
                                {w.product}));
    QWL_ASSIGN_OR_RETURN(w.alice_home, add_address(tx, w.alice.user_id, "home", 30.2525, 120.161));
    QWL_ASSIGN_OR_RETURN(w.alice_far, add_address(tx, w.alice.user_id, "far", 31.23, 121.47));
    QWL_ASSIGN_OR_RETURN(w.bob_home, add_address(tx, w.bob.user_id, "home", 30.249, 120.159));
    return Status::Ok();
  }));
  QWL_RETURN_IF_ERROR(fund_wallet(db, w.alice.user_id, kAliceFunds));
  // The platform's coupon budget comes from outside, as an adjustment.
  QWL_RETURN_IF_ERROR(db.transact([&](Tx& tx) -> Status {
    QWL_ASSIGN_OR_RETURN(int64_t external, account_id(tx, AccountKind::kExternal, 0, 1));
    QWL_ASSIGN_OR_RETURN(int64_t budget, account_id(tx, AccountKind::kCouponFunding, 0, 1));
    return post(tx,
                LedgerTxn{.kind = "adjustment",
                          .memo = "test coupon budget",
                          .postings = {{external, -kCouponBudget}, {budget, kCouponBudget}}},
                1)
        .status();
  }));
  return w;
}

Result<int64_t> add_coupon(Db& db, const CouponSpec& s) {
  int64_t id = 0;
  QWL_RETURN_IF_ERROR(db.transact([&](Tx& tx) -> Status {
    QWL_ASSIGN_OR_RETURN(
        id, tx.query_int64(
                "INSERT INTO coupons (code, title_en, title_zh, merchant_id, funded_by, "
                "min_subtotal, amount_off, percent_off, max_discount, stackable, starts_at_us, "
                "ends_at_us, total_limit) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                "RETURNING id",
                {s.code, s.code, s.code, s.merchant_id != 0 ? Value(s.merchant_id) : Value(),
                 s.funded_by, s.min_subtotal, s.amount_off, s.percent_off,
                 s.max_discount ? Value(*s.max_discount) : Value(), s.stackable, s.starts_at_us,
                 s.ends_at_us, s.total_limit ? Value(*s.total_limit) : Value()}));
    return Status::Ok();
  }));
  return id;
}

Result<int64_t> give_coupon(Db& db, int64_t user_id, int64_t coupon_id) {
  int64_t id = 0;
  QWL_RETURN_IF_ERROR(db.transact([&](Tx& tx) -> Status {
    QWL_ASSIGN_OR_RETURN(id, tx.query_int64("INSERT INTO user_coupons (user_id, coupon_id, "
                                            "claimed_at_us) VALUES (?, ?, 1) RETURNING id",
                                            {user_id, coupon_id}));
    return Status::Ok();
  }));
  return id;
}

Result<int64_t> query_int(Db& db, std::string_view sql, Params params) {
  int64_t v = 0;
  QWL_RETURN_IF_ERROR(db.read([&](Tx& tx) -> Status {
    QWL_ASSIGN_OR_RETURN(v, tx.query_int64(sql, params));
    return Status::Ok();
  }));
  return v;
}

Status exec_sql(Db& db, std::string_view sql, Params params) {
  return db.transact([&](Tx& tx) -> Status { return tx.exec(sql, params).status(); });
}

Result<int64_t> balance_of(Db& db, AccountKind kind, int64_t owner_id) {
  int64_t v = 0;
  QWL_RETURN_IF_ERROR(db.read([&](Tx& tx) -> Status {
    QWL_ASSIGN_OR_RETURN(Rows rows, tx.query("SELECT balance FROM accounts WHERE kind = ? AND "
                                             "owner_id = ?",
                                             {account_kind_name(kind), owner_id}));
    v = rows.empty() ? 0 : rows[0].int64(0);
    return Status::Ok();
  }));
  return v;
}

Result<LedgerAudit> audit(Db& db) {
  LedgerAudit a;
  QWL_RETURN_IF_ERROR(db.read([&](Tx& tx) -> Status {
    QWL_ASSIGN_OR_RETURN(a, check_ledger(tx));
    return Status::Ok();
  }));
  return a;
}

Status close_now(Db& db, int64_t poi_id, int64_t now_us) {
  const LocalTime t = local_time(now_us);
  return db.transact([&](Tx& tx) -> Status {
    QWL_RETURN_IF_ERROR(tx.exec("DELETE FROM poi_hours WHERE poi_id = ?", {poi_id}).status());
    // Open one hour, starting two hours from now (or two hours ago late in the day): never now.
    const int open = t.minute < 1440 - 200 ? t.minute + 120 : t.minute - 180;
    return tx
        .exec("INSERT INTO poi_hours (poi_id, weekday, open_min, close_min) VALUES (?, ?, ?, ?)",
              {poi_id, t.weekday, open, open + 60})
        .status();
  });
}

}  // namespace qwl::services::testing
