// Test support for the commerce services (cart, coupons, orders, payments, fulfilment,
// merchant tools): a small world written with plain SQL (a café with options, a shop with
// variants, customers with addresses and money, a funded coupon budget) and helpers to count
// rows and audit the ledger. Test builds only.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/status.h"
#include "services/actor.h"
#include "services/ledger.h"
#include "store/db.h"

namespace qwl::services::testing {

// Ids of everything build_world() made.
struct CommerceWorld {
  Actor owner;           // merchant role, owns the café and the shop
  Actor other_merchant;  // merchant role, owns "Elsewhere Tea"
  Actor alice;           // customer with ¥1,000 and two addresses
  Actor bob;             // customer with ¥0 and one address
  Actor admin;
  int64_t cafe = 0;  // Luna Café: prep 10 min, delivery fee ¥3, radius 5 km, always open
  int64_t cafe_poi = 0;
  int64_t shop = 0;      // Corner Mart (supermarket), no delivery fee
  int64_t tea_shop = 0;  // Elsewhere Tea, owned by other_merchant
  // Oat Latte ¥23 with groups size (1 of: Medium default ¥0, Large +¥3), ice (0..1: Regular
  // default, Less, No), sugar (0..1: Regular default, Half), extra (0..3: Extra shot +¥5,
  // Oat foam +¥2, Vanilla +¥3).
  int64_t latte = 0;
  int64_t size_group = 0, medium = 0, large = 0;
  int64_t ice_group = 0, regular_ice = 0, less_ice = 0, no_ice = 0;
  int64_t sugar_group = 0, regular_sugar = 0, half_sugar = 0;
  int64_t extra_group = 0, shot = 0, foam = 0, vanilla = 0;
  int64_t croissant = 0;   // ¥15, stock 5
  int64_t tea_item = 0;    // Jasmine Tea ¥12 at Elsewhere Tea
  int64_t product = 0;     // Green Tea at Corner Mart
  int64_t bottle = 0;      // variant 500 ml ¥3.50, stock 10
  int64_t big_bottle = 0;  // variant 1 L ¥6, stock 0
  int64_t alice_home = 0;  // 300 m from the café
  int64_t alice_far = 0;   // Shanghai: outside every radius
  int64_t bob_home = 0;
};

inline constexpr int64_t kAliceFunds = 100'000;               // ¥1,000
inline constexpr int64_t kCouponBudget = 10'000'000;          // ¥100,000
inline constexpr int64_t kWorldTime = 1'700'000'000'000'000;  // ManualClock's default

Result<CommerceWorld> build_world(Db& db);

struct CouponSpec {
  std::string code;
  int64_t merchant_id = 0;  // 0: platform
  std::string funded_by = "merchant";
  int64_t min_subtotal = 0;
  int64_t amount_off = 0;
  int64_t percent_off = 0;
  std::optional<int64_t> max_discount;
  bool stackable = false;
  int64_t starts_at_us = kWorldTime - 86'400'000'000LL;
  int64_t ends_at_us = kWorldTime + 30 * 86'400'000'000LL;
  std::optional<int64_t> total_limit;
};

Result<int64_t> add_coupon(Db& db, const CouponSpec& spec);
// Puts coupon `coupon_id` in the user's hands; returns the user_coupons id.
Result<int64_t> give_coupon(Db& db, int64_t user_id, int64_t coupon_id);

// One integer from a read-only query (COUNT, SUM, a column).
Result<int64_t> query_int(Db& db, std::string_view sql, Params params = {});
// Runs one statement in its own transaction.
Status exec_sql(Db& db, std::string_view sql, Params params = {});

// The balance of (kind, owner); 0 when the account does not exist.
Result<int64_t> balance_of(Db& db, AccountKind kind, int64_t owner_id);

// check_ledger() in a read transaction.
Result<LedgerAudit> audit(Db& db);

// Gives the poi opening hours that do NOT cover `now_us` (closed now, open later today).
Status close_now(Db& db, int64_t poi_id, int64_t now_us);

}  // namespace qwl::services::testing
