// Coupons: the best combination and its explanation (pure cases), then claiming and quoting on
// both databases.
#include "services/coupons.h"

#include <gtest/gtest.h>

#include "services/orders_testing.h"
#include "services/services_testing.h"

namespace qwl::services {
namespace {

constexpr int64_t kNow = 1'000'000'000;
constexpr int64_t kMerchant = 7;

// A user coupon; `id` doubles as the coupon id and code "C<id>".
UserCoupon coupon(int64_t id, int64_t merchant_id, int64_t min_subtotal, int64_t amount_off,
                  int64_t percent_off = 0, std::optional<int64_t> max_discount = {},
                  bool stackable = false) {
  return UserCoupon{.id = id,
                    .user_id = 1,
                    .coupon = Coupon{.id = id,
                                     .code = fmt::format("C{}", id),
                                     .merchant_id = merchant_id,
                                     .funded_by = merchant_id == 0 ? "platform" : "merchant",
                                     .min_subtotal = min_subtotal,
                                     .amount_off = amount_off,
                                     .percent_off = percent_off,
                                     .max_discount = max_discount,
                                     .stackable = stackable,
                                     .starts_at_us = 0,
                                     .ends_at_us = kNow + 1000 + id}};
}

const SkippedCoupon* skipped(const CouponQuote& q, int64_t id) {
  for (const SkippedCoupon& s : q.skipped) {
    if (s.user_coupon_id == id) return &s;
  }
  return nullptr;
}

std::vector<int64_t> applied_ids(const CouponQuote& q) {
  std::vector<int64_t> ids;
  for (const AppliedCoupon& a : q.applied) ids.push_back(a.user_coupon_id);
  return ids;
}

TEST(FormatYuan, WholeAndFractionalAmounts) {
  EXPECT_EQ(format_yuan(2500), "¥25");
  EXPECT_EQ(format_yuan(2550), "¥25.50");
  EXPECT_EQ(format_yuan(5), "¥0.05");
  EXPECT_EQ(format_yuan(0), "¥0");
  EXPECT_EQ(format_yuan(-300), "-¥3");
  EXPECT_EQ(format_yuan(INT64_MIN), "-¥92233720368547758.08");
}

TEST(ChooseCoupons, ExplainsAThresholdNotMet) {
  std::vector<UserCoupon> owned = {coupon(1, kMerchant, 3000, 500)};
  auto q = choose_coupons(owned, kMerchant, 2500, kNow);
  ASSERT_TRUE(q.ok());
  EXPECT_TRUE(q->applied.empty());
  EXPECT_EQ(q->discount, 0);
  ASSERT_EQ(q->skipped.size(), 1u);
  EXPECT_EQ(q->skipped[0].why, CouponSkip::kBelowThreshold);
  EXPECT_EQ(q->skipped[0].reason_en, "needs ¥30, subtotal ¥25");
  EXPECT_EQ(q->skipped[0].reason_zh, "满¥30可用，小计¥25");
  EXPECT_EQ(q->explanation_en, "No coupon applies to this order.");
  // At exactly the threshold it applies.
  auto at = choose_coupons(owned, kMerchant, 3000, kNow);
  ASSERT_TRUE(at.ok());
  EXPECT_EQ(at->discount, 500);
  EXPECT_EQ(at->merchant_funded, 500);
  EXPECT_EQ(at->explanation_en,
            "Applied C1 (¥5 off from ¥30, merchant coupon, -¥5): ¥5 off a subtotal of ¥30.");
  EXPECT_EQ(at->explanation_zh, "已用C1（满¥30减¥5，商家券，-¥5）：小计¥30，共减¥5。");
}

TEST(ChooseCoupons, PercentWithCapRoundsDown) {
  std::vector<UserCoupon> owned = {coupon(1, 0, 0, 0, 15, 800)};
  auto small = choose_coupons(owned, kMerchant, 3333, kNow);
  ASSERT_TRUE(small.ok());
  EXPECT_EQ(small->discount, 499);  // 15% of 33.33 = 4.9995 -> 4.99
  EXPECT_EQ(small->platform_funded, 499);
  auto big = choose_coupons(owned, kMerchant, 100'000, kNow);
  ASSERT_TRUE(big.ok());
  EXPECT_EQ(big->discount, 800);  // capped
  EXPECT_EQ(owned[0].coupon.terms_en(), "15% off up to ¥8");
  EXPECT_EQ(owned[0].coupon.terms_zh(), "减15%，最多¥8");
}

TEST(ChooseCoupons, StacksAStackablePlatformCouponWithTheBestMerchantCoupon) {
  std::vector<UserCoupon> owned = {
      coupon(1, kMerchant, 2000, 300),                  // merchant ¥3
      coupon(2, kMerchant, 4000, 800),                  // merchant ¥8 from ¥40
      coupon(3, 0, 0, 0, 10, 500, /*stackable=*/true),  // platform 10% up to ¥5
      coupon(4, 0, 0, 400),                             // platform ¥4, not stackable
  };
  auto q = choose_coupons(owned, kMerchant, 5000, kNow);
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(applied_ids(*q), (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(q->discount, 800 + 500);
  EXPECT_EQ(q->merchant_funded, 800);
  EXPECT_EQ(q->platform_funded, 500);
  ASSERT_NE(skipped(*q, 1), nullptr);
  EXPECT_EQ(skipped(*q, 1)->why, CouponSkip::kOutdone);
  EXPECT_EQ(skipped(*q, 1)->reason_en, "one merchant coupon per order; C2 saves ¥8");
  ASSERT_NE(skipped(*q, 4), nullptr);
  EXPECT_EQ(skipped(*q, 4)->why, CouponSkip::kNotStackable);
  // Below ¥40 the ¥3 merchant coupon takes the merchant slot.
  auto lower = choose_coupons(owned, kMerchant, 3000, kNow);
  ASSERT_TRUE(lower.ok());
  EXPECT_EQ(applied_ids(*lower), (std::vector<int64_t>{1, 3}));
  EXPECT_EQ(lower->discount, 300 + 300);
  EXPECT_EQ(skipped(*lower, 2)->why, CouponSkip::kBelowThreshold);
}

TEST(ChooseCoupons, ANonStackablePlatformCouponWinsWhenItAloneSavesMore) {
  std::vector<UserCoupon> owned = {coupon(1, kMerchant, 0, 300), coupon(2, 0, 0, 1000)};
  auto q = choose_coupons(owned, kMerchant, 5000, kNow);
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(applied_ids(*q), (std::vector<int64_t>{2}));
  EXPECT_EQ(q->discount, 1000);
  EXPECT_EQ(skipped(*q, 1)->why, CouponSkip::kOutdone);
  EXPECT_EQ(skipped(*q, 1)->reason_en, "platform coupon C2 saves more on its own");
}

TEST(ChooseCoupons, TiesGoToFewerCouponsThenEarliestExpiryThenLowerId) {
  // Merchant ¥5 alone equals platform ¥5 alone; both stack to ¥10 only if stackable (not).
  std::vector<UserCoupon> owned = {coupon(5, kMerchant, 0, 500), coupon(3, 0, 0, 500)};
  // coupon(3) ends at kNow + 1003, coupon(5) at kNow + 1005: the earlier expiry wins.
  auto q = choose_coupons(owned, kMerchant, 5000, kNow);
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(applied_ids(*q), (std::vector<int64_t>{3}));
  owned[1].coupon.ends_at_us = kNow + 2000;
  q = choose_coupons(owned, kMerchant, 5000, kNow);
  EXPECT_EQ(applied_ids(*q), (std::vector<int64_t>{5}));
  // Same expiry: the lower id.
  owned[1].coupon.ends_at_us = owned[0].coupon.ends_at_us;
  q = choose_coupons(owned, kMerchant, 5000, kNow);
  EXPECT_EQ(applied_ids(*q), (std::vector<int64_t>{3}));
  // A stackable platform coupon that would add nothing (the merchant coupon covers the
  // subtotal) is not used: fewer coupons for the same saving.
  std::vector<UserCoupon> cover = {coupon(1, kMerchant, 0, 2000),
                                   coupon(2, 0, 0, 300, 0, {}, true)};
  auto c = choose_coupons(cover, kMerchant, 1500, kNow);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(applied_ids(*c), (std::vector<int64_t>{1}));
  EXPECT_EQ(c->discount, 1500);  // never more than the goods
  EXPECT_EQ(skipped(*c, 2)->reason_en, "the coupons used already cover the subtotal");
  // The order of the input does not change the choice.
  std::reverse(owned.begin(), owned.end());
  q = choose_coupons(owned, kMerchant, 5000, kNow);
  EXPECT_EQ(applied_ids(*q), (std::vector<int64_t>{3}));
}

TEST(ChooseCoupons, ExplainsEveryCouponThatCannotBeUsed) {
  UserCoupon used = coupon(1, kMerchant, 0, 100);
  used.order_id = 42;
  UserCoupon later = coupon(2, 0, 0, 100);
  later.coupon.starts_at_us = kNow + 1;
  UserCoupon expired = coupon(3, 0, 0, 100);
  expired.coupon.ends_at_us = kNow;  // the end is exclusive
  UserCoupon exhausted = coupon(4, 0, 0, 100);
  exhausted.coupon.total_limit = 10;
  exhausted.coupon.used_count = 10;
  UserCoupon elsewhere = coupon(5, kMerchant + 1, 0, 100);
  UserCoupon nothing = coupon(6, 0, 0, 0, 0);
  std::vector<UserCoupon> owned = {used, later, expired, exhausted, elsewhere, nothing};
  auto q = choose_coupons(owned, kMerchant, 5000, kNow);
  ASSERT_TRUE(q.ok());
  EXPECT_TRUE(q->applied.empty());
  ASSERT_EQ(q->skipped.size(), 6u);
  EXPECT_EQ(q->skipped[0].why, CouponSkip::kUsed);
  EXPECT_EQ(q->skipped[0].reason_en, "already used on order 42");
  EXPECT_EQ(q->skipped[1].why, CouponSkip::kNotStarted);
  EXPECT_EQ(q->skipped[2].why, CouponSkip::kExpired);
  EXPECT_EQ(q->skipped[3].why, CouponSkip::kExhausted);
  EXPECT_EQ(q->skipped[4].why, CouponSkip::kOtherMerchant);
  EXPECT_EQ(q->skipped[5].why, CouponSkip::kNoDiscount);
  for (const SkippedCoupon& s : q->skipped) EXPECT_FALSE(s.reason_zh.empty());
}

TEST(ChooseCoupons, AppliesExactlyTheChosenCouponsOrSaysWhyNot) {
  std::vector<UserCoupon> owned = {coupon(1, kMerchant, 0, 300), coupon(2, kMerchant, 0, 800),
                                   coupon(3, 0, 0, 400), coupon(4, 0, 6000, 900, 0, {}, true)};
  auto q = choose_coupons(owned, kMerchant, 5000, kNow, std::vector<int64_t>{1});
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(applied_ids(*q), (std::vector<int64_t>{1}));
  EXPECT_EQ(skipped(*q, 2)->why, CouponSkip::kNotChosen);
  auto none = choose_coupons(owned, kMerchant, 5000, kNow, std::vector<int64_t>{});
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(none->discount, 0);
  auto code = [&](std::vector<int64_t> ids) {
    return choose_coupons(owned, kMerchant, 5000, kNow, ids).status().code();
  };
  EXPECT_EQ(code({1, 2}), StatusCode::kInvalidArgument);     // two merchant coupons
  EXPECT_EQ(code({99}), StatusCode::kInvalidArgument);       // not held
  EXPECT_EQ(code({1, 3}), StatusCode::kFailedPrecondition);  // C3 does not stack
  auto below = choose_coupons(owned, kMerchant, 5000, kNow, std::vector<int64_t>{4});
  EXPECT_EQ(below.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(below.status().message().find("needs ¥60, subtotal ¥50"), std::string::npos);
  EXPECT_EQ(choose_coupons(owned, kMerchant, -1, kNow).status().code(),
            StatusCode::kInvalidArgument);
}

class CouponDbTest : public ::testing::TestWithParam<DbKind> {
 protected:
  void SetUp() override {
    auto db = testing::fresh_db(GetParam());
    ASSERT_TRUE(db.ok()) << db.status().to_string();
    db_ = std::move(*db);
    auto w = testing::build_world(*db_);
    ASSERT_TRUE(w.ok()) << w.status().to_string();
    w_ = *w;
  }
  std::unique_ptr<Db> db_;
  testing::CommerceWorld w_;
  ManualClock clock_;
};

TEST_P(CouponDbTest, ClaimsOncePerUserWithinTheWindowAndLimit) {
  auto luna = testing::add_coupon(
      *db_, {.code = "LUNA5", .merchant_id = w_.cafe, .min_subtotal = 3000, .amount_off = 500});
  auto plat = testing::add_coupon(*db_, {.code = "PLAT10",
                                         .funded_by = "platform",
                                         .percent_off = 10,
                                         .max_discount = 800,
                                         .stackable = true,
                                         .total_limit = 1});
  auto old = testing::add_coupon(*db_, {.code = "OLD", .ends_at_us = testing::kWorldTime});
  ASSERT_TRUE(luna.ok() && plat.ok() && old.ok());

  auto claimed = claim_coupon(*db_, clock_, w_.alice, "LUNA5");
  ASSERT_TRUE(claimed.ok()) << claimed.status().to_string();
  EXPECT_EQ(claimed->coupon.merchant_id, w_.cafe);
  EXPECT_EQ(claim_coupon(*db_, clock_, w_.alice, "LUNA5").status().code(),
            StatusCode::kFailedPrecondition);
  EXPECT_EQ(claim_coupon(*db_, clock_, w_.alice, "NOPE").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(claim_coupon(*db_, clock_, w_.alice, "OLD").status().code(),
            StatusCode::kFailedPrecondition);
  ASSERT_TRUE(claim_coupon(*db_, clock_, w_.alice, "PLAT10").ok());
  ASSERT_TRUE(
      testing::exec_sql(*db_, "UPDATE coupons SET used_count = 1 WHERE id = ?", {*plat}).ok());
  EXPECT_EQ(claim_coupon(*db_, clock_, w_.bob, "PLAT10").status().code(),
            StatusCode::kFailedPrecondition);  // total_limit reached

  auto mine = list_user_coupons(*db_, w_.alice);
  ASSERT_TRUE(mine.ok());
  EXPECT_EQ(mine->size(), 2u);
  EXPECT_TRUE(list_user_coupons(*db_, w_.bob)->empty());
  auto claimable = list_claimable_coupons(*db_, clock_, w_.cafe);
  ASSERT_TRUE(claimable.ok());
  ASSERT_EQ(claimable->size(), 1u);  // PLAT10 is used up, OLD has ended
  EXPECT_EQ((*claimable)[0].code, "LUNA5");

  // The quote reads the user's coupons: PLAT10 is exhausted, LUNA5 needs ¥30.
  auto quote = quote_coupons(*db_, clock_, w_.alice, w_.cafe, 2500);
  ASSERT_TRUE(quote.ok()) << quote.status().to_string();
  EXPECT_EQ(quote->discount, 0);
  ASSERT_EQ(quote->skipped.size(), 2u);
  EXPECT_EQ(quote->skipped[0].reason_en, "needs ¥30, subtotal ¥25");
  EXPECT_EQ(quote->skipped[1].why, CouponSkip::kExhausted);
  ASSERT_TRUE(
      testing::exec_sql(*db_, "UPDATE coupons SET used_count = 0 WHERE id = ?", {*plat}).ok());
  quote = quote_coupons(*db_, clock_, w_.alice, w_.cafe, 5000);
  ASSERT_TRUE(quote.ok());
  EXPECT_EQ(quote->discount, 500 + 500);
  EXPECT_EQ(quote->applied.size(), 2u);
}

INSTANTIATE_TEST_SUITE_P(Db, CouponDbTest, ::testing::Values(DbKind::kSqlite, DbKind::kPostgres),
                         [](const auto& info) { return testing::kind_name(info.param); });

}  // namespace
}  // namespace qwl::services
