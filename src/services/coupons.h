// Coupons: the merchant and platform coupons there are, the ones a user has claimed
// (user_coupons), and the quote that picks the best combination of the user's coupons for an
// order and explains the choice.
//
// Rules (the coupons table holds the terms): a coupon applies from min_subtotal (the order's
// subtotal of goods, before delivery fee) inside [starts_at_us, ends_at_us), while used_count <
// total_limit (no limit when NULL), once per claimed user_coupon. Its discount is amount_off
// when that is set, else percent_off of the subtotal (rounded down) capped at max_discount. An
// order takes at most one merchant coupon (of its merchant) and one platform coupon (merchant_id
// NULL); both together only when the platform coupon is stackable. The merchant coupon applies
// first; the platform coupon takes at most what is left of the subtotal, so a discount never
// exceeds the goods (the delivery fee is always paid).
//
// Choice: every allowed combination of the user's usable coupons is tried (the user holds a
// handful; the search is exhaustive). The best gives the largest discount; ties go to fewer
// coupons, then to the coupons that expire first (keeping the longer-lived ones for later), then
// to the lower user_coupon ids, so the choice is deterministic. Each coupon not used gets a
// reason in English and Chinese ("needs ¥30, subtotal ¥25" / "满¥30可用，小计¥25").
//
// Money is fen; display amounts as format_yuan() does ("¥25", "¥25.50").
// Thread-safety: pure functions, or the caller's Db / Tx.
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

// "¥25" for 2500 fen, "¥25.50" for 2550, "-¥3" for -300.
std::string format_yuan(int64_t fen);

struct Coupon {
  int64_t id = 0;
  std::string code;
  std::string title_en;
  std::string title_zh;
  int64_t merchant_id = 0;  // 0: a platform coupon
  std::string funded_by;    // "platform" or "merchant"
  int64_t min_subtotal = 0;
  int64_t amount_off = 0;
  int64_t percent_off = 0;
  std::optional<int64_t> max_discount;
  bool stackable = false;
  int64_t starts_at_us = 0;
  int64_t ends_at_us = 0;
  std::optional<int64_t> total_limit;
  int64_t used_count = 0;

  bool is_platform() const { return merchant_id == 0; }
  // The discount on `subtotal` ignoring the threshold: amount_off, or the capped percentage.
  int64_t discount_on(int64_t subtotal) const;
  // "¥5 off from ¥30" / "10% off up to ¥8".
  std::string terms_en() const;
  std::string terms_zh() const;
};

struct UserCoupon {
  int64_t id = 0;  // user_coupons.id
  int64_t user_id = 0;
  Coupon coupon;
  int64_t claimed_at_us = 0;
  int64_t used_at_us = 0;  // 0: not used
  int64_t order_id = 0;    // 0: not used
};

// Why a coupon was not used in a quote.
enum class CouponSkip {
  kUsed,            // already used on an order
  kNotStarted,      // before starts_at_us
  kExpired,         // at or after ends_at_us
  kOtherMerchant,   // a merchant coupon of another merchant
  kBelowThreshold,  // subtotal below min_subtotal
  kExhausted,       // total_limit reached
  kNoDiscount,      // gives nothing on this subtotal
  kOutdone,         // allowed, but another choice gives more (or the same, tie-broken)
  kNotStackable,    // a platform coupon that does not combine with the merchant coupon used
  kNotChosen,       // the user chose other coupons
};
std::string_view coupon_skip_name(CouponSkip skip);  // "used", "below_threshold", ...

struct AppliedCoupon {
  int64_t user_coupon_id = 0;
  Coupon coupon;
  int64_t amount = 0;  // fen taken off
};

struct SkippedCoupon {
  int64_t user_coupon_id = 0;
  Coupon coupon;
  CouponSkip why = CouponSkip::kOutdone;
  std::string reason_en;  // "needs ¥30, subtotal ¥25"
  std::string reason_zh;  // "满¥30可用，小计¥25"
};

struct CouponQuote {
  int64_t merchant_id = 0;
  int64_t subtotal = 0;                // fen, goods only
  std::vector<AppliedCoupon> applied;  // the merchant coupon first
  std::vector<SkippedCoupon> skipped;  // by user_coupon id
  int64_t discount = 0;                // sum of applied amounts, <= subtotal
  int64_t platform_funded = 0;         // the part of discount the platform pays
  int64_t merchant_funded = 0;         // the part of discount the merchant gives up
  std::string explanation_en;          // one sentence: what was applied and the total saving
  std::string explanation_zh;
};

// The choice described above over `owned` (a user's coupons, used ones included: they are
// listed as skipped) for an order of `merchant_id` with `subtotal` at `now_us`. With `chosen`
// set, exactly those user_coupon ids are applied (an empty list: none) and a chosen coupon
// that cannot be used is an error: FailedPrecondition with its reason, InvalidArgument for an
// id the user does not hold or two coupons of one kind.
Result<CouponQuote> choose_coupons(std::span<const UserCoupon> owned, int64_t merchant_id,
                                   int64_t subtotal, int64_t now_us,
                                   const std::optional<std::vector<int64_t>>& chosen = {});

// The user's coupons (used ones too when include_used), newest claim first.
Result<std::vector<UserCoupon>> user_coupons(Tx& tx, int64_t user_id, bool include_used);
Result<std::vector<UserCoupon>> list_user_coupons(Db& db, const Actor& actor,
                                                  bool include_used = false);

// Coupons that can be claimed now: platform coupons and, with merchant_id != 0, that merchant's
// (0: platform only), valid at `now` and not exhausted.
Result<std::vector<Coupon>> list_claimable_coupons(Db& db, const Clock& clock, int64_t merchant_id);

// Claims the coupon with `code` for the actor: once per user and coupon. Errors: NotFound
// (unknown code), FailedPrecondition (expired, exhausted, already claimed).
Result<UserCoupon> claim_coupon(Db& db, const Clock& clock, const Actor& actor,
                                std::string_view code);

// Quote of the actor's coupons for `subtotal` at `merchant_id` (what checkout would apply).
Result<CouponQuote> quote_coupons(Db& db, const Clock& clock, const Actor& actor,
                                  int64_t merchant_id, int64_t subtotal);

// Inside checkout's transaction: marks the quote's coupons used by `order_id` (used_count + 1
// under total_limit, user_coupons.order_id/used_at_us, order_coupons rows). FailedPrecondition
// when a coupon was used or exhausted meanwhile.
Status redeem_coupons(Tx& tx, const CouponQuote& quote, int64_t order_id, int64_t now_us);

// Gives back the coupons of a cancelled order: used_count - 1, the user_coupons free again.
// Returns how many were restored.
Result<int64_t> restore_coupons(Tx& tx, int64_t order_id);

}  // namespace qwl::services
