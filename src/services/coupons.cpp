// Coupons (see coupons.h): eligibility, the exhaustive choice of the best combination, its
// explanation, and the rows that mark coupons used and give them back.
#include "services/coupons.h"

#include <algorithm>
#include <tuple>

#include "services/ledger.h"

namespace qwl::services {

std::string format_yuan(int64_t fen) {
  const bool negative = fen < 0;
  // kMaxAmount bounds every amount we format; the unsigned detour keeps INT64_MIN defined.
  const uint64_t abs = negative ? 0 - static_cast<uint64_t>(fen) : static_cast<uint64_t>(fen);
  const uint64_t yuan = abs / 100;
  const uint64_t cents = abs % 100;
  if (cents == 0) return fmt::format("{}¥{}", negative ? "-" : "", yuan);
  return fmt::format("{}¥{}.{:02}", negative ? "-" : "", yuan, cents);
}

int64_t Coupon::discount_on(int64_t subtotal) const {
  subtotal = std::clamp<int64_t>(subtotal, 0, kMaxAmount);
  if (amount_off > 0) return amount_off;
  if (percent_off <= 0) return 0;
  // subtotal <= 10^12 and percent <= 100: the product fits int64. Rounded down: the customer
  // never gets a fraction of a fen the merchant did not agree to.
  int64_t d = subtotal * std::min<int64_t>(percent_off, 100) / 100;
  if (max_discount) d = std::min(d, *max_discount);
  return d;
}

std::string Coupon::terms_en() const {
  std::string out;
  if (amount_off > 0) {
    out = fmt::format("{} off", format_yuan(amount_off));
  } else {
    out = fmt::format("{}% off", percent_off);
    if (max_discount) out += fmt::format(" up to {}", format_yuan(*max_discount));
  }
  if (min_subtotal > 0) out += fmt::format(" from {}", format_yuan(min_subtotal));
  return out;
}

std::string Coupon::terms_zh() const {
  std::string out;
  if (min_subtotal > 0) out = fmt::format("满{}", format_yuan(min_subtotal));
  if (amount_off > 0) {
    out += fmt::format("{}{}", min_subtotal > 0 ? "减" : "立减", format_yuan(amount_off));
  } else {
    out += fmt::format("减{}%", percent_off);
    if (max_discount) out += fmt::format("，最多{}", format_yuan(*max_discount));
  }
  return out;
}

std::string_view coupon_skip_name(CouponSkip skip) {
  switch (skip) {
    case CouponSkip::kUsed:
      return "used";
    case CouponSkip::kNotStarted:
      return "not_started";
    case CouponSkip::kExpired:
      return "expired";
    case CouponSkip::kOtherMerchant:
      return "other_merchant";
    case CouponSkip::kBelowThreshold:
      return "below_threshold";
    case CouponSkip::kExhausted:
      return "exhausted";
    case CouponSkip::kNoDiscount:
      return "no_discount";
    case CouponSkip::kOutdone:
      return "outdone";
    case CouponSkip::kNotStackable:
      return "not_stackable";
    case CouponSkip::kNotChosen:
      return "not_chosen";
  }
  return "outdone";
}

namespace {

// Why `uc` cannot be used on this order at all, or nullopt when it can.
std::optional<SkippedCoupon> ineligible(const UserCoupon& uc, int64_t merchant_id, int64_t subtotal,
                                        int64_t now_us) {
  const Coupon& c = uc.coupon;
  auto skip = [&](CouponSkip why, std::string en, std::string zh) {
    return SkippedCoupon{.user_coupon_id = uc.id,
                         .coupon = c,
                         .why = why,
                         .reason_en = std::move(en),
                         .reason_zh = std::move(zh)};
  };
  if (uc.order_id != 0) {
    return skip(CouponSkip::kUsed, fmt::format("already used on order {}", uc.order_id),
                fmt::format("已用于订单{}", uc.order_id));
  }
  if (!c.is_platform() && c.merchant_id != merchant_id) {
    return skip(CouponSkip::kOtherMerchant, fmt::format("only valid at merchant {}", c.merchant_id),
                fmt::format("仅限商家{}使用", c.merchant_id));
  }
  if (now_us < c.starts_at_us) {
    return skip(CouponSkip::kNotStarted, "not valid yet", "尚未生效");
  }
  if (now_us >= c.ends_at_us) return skip(CouponSkip::kExpired, "expired", "已过期");
  if (c.total_limit && c.used_count >= *c.total_limit) {
    return skip(CouponSkip::kExhausted, "all uses of this coupon are taken", "该券已被用完");
  }
  if (subtotal < c.min_subtotal) {
    return skip(
        CouponSkip::kBelowThreshold,
        fmt::format("needs {}, subtotal {}", format_yuan(c.min_subtotal), format_yuan(subtotal)),
        fmt::format("满{}可用，小计{}", format_yuan(c.min_subtotal), format_yuan(subtotal)));
  }
  if (c.discount_on(subtotal) <= 0) {
    return skip(CouponSkip::kNoDiscount, "gives nothing on this order", "本单无优惠");
  }
  return std::nullopt;
}

// One combination: at most one merchant coupon (m) and one platform coupon (p).
struct Combo {
  const UserCoupon* m = nullptr;
  const UserCoupon* p = nullptr;
  int64_t dm = 0;
  int64_t dp = 0;
  int64_t total() const { return dm + dp; }
  int count() const { return (m ? 1 : 0) + (p ? 1 : 0); }
};

Combo make_combo(const UserCoupon* m, const UserCoupon* p, int64_t subtotal) {
  Combo c{.m = m, .p = p};
  if (m) c.dm = std::min(m->coupon.discount_on(subtotal), subtotal);
  if (p) c.dp = std::min(p->coupon.discount_on(subtotal), subtotal - c.dm);
  return c;
}

// The sort key of a combination: larger discount, then fewer coupons, then the earliest expiry
// used first, then lower ids. Smaller is better.
auto combo_key(const Combo& c) {
  constexpr int64_t kNever = INT64_MAX;
  int64_t first_end = kNever, second_end = kNever, first_id = 0, second_id = 0;
  std::vector<const UserCoupon*> used;
  if (c.m) used.push_back(c.m);
  if (c.p) used.push_back(c.p);
  std::sort(used.begin(), used.end(), [](const UserCoupon* a, const UserCoupon* b) {
    return std::tie(a->coupon.ends_at_us, a->id) < std::tie(b->coupon.ends_at_us, b->id);
  });
  if (used.size() > 0) first_end = used[0]->coupon.ends_at_us, first_id = used[0]->id;
  if (used.size() > 1) second_end = used[1]->coupon.ends_at_us, second_id = used[1]->id;
  return std::make_tuple(-c.total(), c.count(), first_end, second_end, first_id, second_id);
}

void explain(CouponQuote* q) {
  if (q->applied.empty()) {
    q->explanation_en = "No coupon applies to this order.";
    q->explanation_zh = "本单没有可用的优惠券。";
    return;
  }
  std::string en, zh;
  for (size_t i = 0; i < q->applied.size(); ++i) {
    const AppliedCoupon& a = q->applied[i];
    if (i > 0) {
      en += " and ";
      zh += "和";
    }
    en += fmt::format("{} ({}, {} coupon, -{})", a.coupon.code, a.coupon.terms_en(),
                      a.coupon.is_platform() ? "platform" : "merchant", format_yuan(a.amount));
    zh += fmt::format("{}（{}，{}券，-{}）", a.coupon.code, a.coupon.terms_zh(),
                      a.coupon.is_platform() ? "平台" : "商家", format_yuan(a.amount));
  }
  q->explanation_en = fmt::format("Applied {}: {} off a subtotal of {}.", en,
                                  format_yuan(q->discount), format_yuan(q->subtotal));
  q->explanation_zh = fmt::format("已用{}：小计{}，共减{}。", zh, format_yuan(q->subtotal),
                                  format_yuan(q->discount));
}

void apply(CouponQuote* q, const Combo& best) {
  if (best.m)
    q->applied.push_back(
        {.user_coupon_id = best.m->id, .coupon = best.m->coupon, .amount = best.dm});
  if (best.p && best.dp > 0) {
    q->applied.push_back(
        {.user_coupon_id = best.p->id, .coupon = best.p->coupon, .amount = best.dp});
  }
  for (const AppliedCoupon& a : q->applied) {
    q->discount += a.amount;
    (a.coupon.funded_by == "platform" ? q->platform_funded : q->merchant_funded) += a.amount;
  }
}

}  // namespace

Result<CouponQuote> choose_coupons(std::span<const UserCoupon> owned, int64_t merchant_id,
                                   int64_t subtotal, int64_t now_us,
                                   const std::optional<std::vector<int64_t>>& chosen) {
  if (subtotal < 0 || subtotal > kMaxAmount) {
    return InvalidArgumentError("coupons: subtotal {} is outside 0..{}", subtotal, kMaxAmount);
  }
  CouponQuote q{.merchant_id = merchant_id, .subtotal = subtotal};
  std::vector<const UserCoupon*> merchant, platform;
  std::vector<std::pair<const UserCoupon*, SkippedCoupon>> unusable;
  for (const UserCoupon& uc : owned) {
    if (auto why = ineligible(uc, merchant_id, subtotal, now_us)) {
      unusable.emplace_back(&uc, std::move(*why));
    } else {
      (uc.coupon.is_platform() ? platform : merchant).push_back(&uc);
    }
  }

  Combo best;
  if (chosen) {
    const UserCoupon* m = nullptr;
    const UserCoupon* p = nullptr;
    for (int64_t id : *chosen) {
      auto it = std::find_if(owned.begin(), owned.end(),
                             [&](const UserCoupon& uc) { return uc.id == id; });
      if (it == owned.end()) {
        return InvalidArgumentError("coupons: user coupon {} is not one of yours", id);
      }
      for (const auto& [uc, why] : unusable) {
        if (uc->id == id) {
          return FailedPreconditionError("coupon {} cannot be used: {}", uc->coupon.code,
                                         why.reason_en);
        }
      }
      const UserCoupon*& slot = it->coupon.is_platform() ? p : m;
      if (slot != nullptr) {
        return InvalidArgumentError(
            "coupons: at most one {} coupon per order (user coupons {} "
            "and {})",
            it->coupon.is_platform() ? "platform" : "merchant", slot->id, id);
      }
      slot = &*it;
    }
    if (m && p && !p->coupon.stackable) {
      return FailedPreconditionError("coupon {} does not combine with merchant coupon {}",
                                     p->coupon.code, m->coupon.code);
    }
    best = make_combo(m, p, subtotal);
  } else {
    std::vector<Combo> combos{Combo{}};
    for (const UserCoupon* m : merchant) combos.push_back(make_combo(m, nullptr, subtotal));
    for (const UserCoupon* p : platform) {
      combos.push_back(make_combo(nullptr, p, subtotal));
      if (!p->coupon.stackable) continue;
      for (const UserCoupon* m : merchant) {
        Combo c = make_combo(m, p, subtotal);
        if (c.dp > 0) combos.push_back(c);  // a platform coupon adding nothing is not "used"
      }
    }
    best = *std::min_element(combos.begin(), combos.end(), [](const Combo& a, const Combo& b) {
      return combo_key(a) < combo_key(b);
    });
  }
  apply(&q, best);

  // Every coupon not applied, with its reason, by user_coupon id.
  for (auto& [uc, why] : unusable) q.skipped.push_back(std::move(why));
  auto is_applied = [&](const UserCoupon* uc) {
    return std::any_of(q.applied.begin(), q.applied.end(),
                       [&](const AppliedCoupon& a) { return a.user_coupon_id == uc->id; });
  };
  auto add_skip = [&](const UserCoupon* uc, CouponSkip why, std::string en, std::string zh) {
    q.skipped.push_back(SkippedCoupon{.user_coupon_id = uc->id,
                                      .coupon = uc->coupon,
                                      .why = why,
                                      .reason_en = std::move(en),
                                      .reason_zh = std::move(zh)});
  };
  for (const UserCoupon* uc : merchant) {
    if (is_applied(uc)) continue;
    if (chosen) {
      add_skip(uc, CouponSkip::kNotChosen, "not chosen", "未选择");
    } else if (best.m) {
      add_skip(
          uc, CouponSkip::kOutdone,
          fmt::format("one merchant coupon per order; {} saves {}", best.m->coupon.code,
                      format_yuan(best.dm)),
          fmt::format("每单限用一张商家券；{}可减{}", best.m->coupon.code, format_yuan(best.dm)));
    } else {
      add_skip(uc, CouponSkip::kOutdone,
               fmt::format("platform coupon {} saves more on its own",
                           best.p ? best.p->coupon.code : ""),
               fmt::format("平台券{}单独使用更划算", best.p ? best.p->coupon.code : ""));
    }
  }
  for (const UserCoupon* uc : platform) {
    if (is_applied(uc)) continue;
    if (uc == best.p) {
      add_skip(uc, CouponSkip::kOutdone, "the coupons used already cover the subtotal",
               "已用的券已抵扣全部小计");
    } else if (chosen) {
      add_skip(uc, CouponSkip::kNotChosen, "not chosen", "未选择");
    } else if (best.m && !uc->coupon.stackable) {
      add_skip(uc, CouponSkip::kNotStackable,
               fmt::format("does not combine with merchant coupon {}, which saves more",
                           best.m->coupon.code),
               fmt::format("不可与商家券{}叠加，商家券更划算", best.m->coupon.code));
    } else if (best.p && best.p != uc) {
      add_skip(
          uc, CouponSkip::kOutdone,
          fmt::format("one platform coupon per order; {} saves {}", best.p->coupon.code,
                      format_yuan(best.dp)),
          fmt::format("每单限用一张平台券；{}可减{}", best.p->coupon.code, format_yuan(best.dp)));
    } else {
      add_skip(uc, CouponSkip::kOutdone, "the coupons used already cover the subtotal",
               "已用的券已抵扣全部小计");
    }
  }
  std::sort(q.skipped.begin(), q.skipped.end(), [](const SkippedCoupon& a, const SkippedCoupon& b) {
    return a.user_coupon_id < b.user_coupon_id;
  });
  explain(&q);
  return q;
}

namespace {

constexpr std::string_view kCouponColumns =
    "c.id, c.code, c.title_en, c.title_zh, c.merchant_id, c.funded_by, c.min_subtotal, "
    "c.amount_off, c.percent_off, c.max_discount, c.stackable, c.starts_at_us, c.ends_at_us, "
    "c.total_limit, c.used_count";

Coupon coupon_from(const Row& r, size_t at) {
  Coupon c;
  c.id = r.int64(at + 0);
  c.code = r.text(at + 1);
  c.title_en = r.text(at + 2);
  c.title_zh = r.text(at + 3);
  c.merchant_id = r.is_null(at + 4) ? 0 : r.int64(at + 4);
  c.funded_by = r.text(at + 5);
  c.min_subtotal = r.int64(at + 6);
  c.amount_off = r.int64(at + 7);
  c.percent_off = r.int64(at + 8);
  if (!r.is_null(at + 9)) c.max_discount = r.int64(at + 9);
  c.stackable = r.int64(at + 10) != 0;
  c.starts_at_us = r.int64(at + 11);
  c.ends_at_us = r.int64(at + 12);
  if (!r.is_null(at + 13)) c.total_limit = r.int64(at + 13);
  c.used_count = r.int64(at + 14);
  return c;
}

Status require_user(const Actor& actor) {
  if (actor.user_id <= 0) return InvalidArgumentError("coupons: the actor is not a user");
  return Status::Ok();
}

}  // namespace

Result<std::vector<UserCoupon>> user_coupons(Tx& tx, int64_t user_id, bool include_used) {
  QWL_ASSIGN_OR_RETURN(
      Rows rows,
      tx.query(fmt::format("SELECT uc.id, uc.user_id, uc.claimed_at_us, uc.used_at_us, "
                           "uc.order_id, {} FROM user_coupons uc JOIN coupons c ON c.id = "
                           "uc.coupon_id WHERE uc.user_id = ?{} "
                           "ORDER BY uc.claimed_at_us DESC, uc.id DESC",
                           kCouponColumns, include_used ? "" : " AND uc.order_id IS NULL"),
               {user_id}));
  std::vector<UserCoupon> out;
  out.reserve(rows.size());
  for (const Row& r : rows) {
    out.push_back(UserCoupon{.id = r.int64(0),
                             .user_id = r.int64(1),
                             .coupon = coupon_from(r, 5),
                             .claimed_at_us = r.int64(2),
                             .used_at_us = r.is_null(3) ? 0 : r.int64(3),
                             .order_id = r.is_null(4) ? 0 : r.int64(4)});
  }
  return out;
}

Result<std::vector<UserCoupon>> list_user_coupons(Db& db, const Actor& actor, bool include_used) {
  QWL_RETURN_IF_ERROR(require_user(actor));
  std::vector<UserCoupon> out;
  QWL_RETURN_IF_ERROR(db.read([&](Tx& tx) -> Status {
    QWL_ASSIGN_OR_RETURN(out, user_coupons(tx, actor.user_id, include_used));
    return Status::Ok();
  }));
  return out;
}

Result<std::vector<Coupon>> list_claimable_coupons(Db& db, const Clock& clock,
                                                   int64_t merchant_id) {
  const int64_t now_us = clock.wall_us();
  std::vector<Coupon> out;
  QWL_RETURN_IF_ERROR(db.read([&](Tx& tx) -> Status {
    QWL_ASSIGN_OR_RETURN(
        Rows rows,
        tx.query(fmt::format("SELECT {} FROM coupons c WHERE (c.merchant_id IS NULL OR "
                             "c.merchant_id = ?) AND c.starts_at_us <= ? AND c.ends_at_us > ? "
                             "AND (c.total_limit IS NULL OR c.used_count < c.total_limit) "
                             "ORDER BY c.merchant_id IS NULL, c.id",
                             kCouponColumns),
                 {merchant_id, now_us, now_us}));
    out.clear();
    for (const Row& r : rows) out.push_back(coupon_from(r, 0));
    return Status::Ok();
  }));
  return out;
}

Result<UserCoupon> claim_coupon(Db& db, const Clock& clock, const Actor& actor,
                                std::string_view code) {
  QWL_RETURN_IF_ERROR(require_user(actor));
  const int64_t now_us = clock.wall_us();
  UserCoupon out;
  QWL_RETURN_IF_ERROR(db.transact([&](Tx& tx) -> Status {
    QWL_ASSIGN_OR_RETURN(
        Rows rows,
        tx.query(fmt::format("SELECT {} FROM coupons c WHERE c.code = ?", kCouponColumns), {code}));
    if (rows.empty()) return NotFoundError("coupon '{}' not found", code);
    Coupon c = coupon_from(rows[0], 0);
    if (now_us >= c.ends_at_us) return FailedPreconditionError("coupon '{}' has expired", code);
    if (c.total_limit && c.used_count >= *c.total_limit) {
      return FailedPreconditionError("coupon '{}': all {} uses are taken", code, *c.total_limit);
    }
    QWL_ASSIGN_OR_RETURN(int64_t held,
                         tx.query_int64("SELECT COUNT(*) FROM user_coupons WHERE user_id = ? "
                                        "AND coupon_id = ?",
                                        {actor.user_id, c.id}));
    if (held > 0) return FailedPreconditionError("coupon '{}' is already claimed", code);
    QWL_ASSIGN_OR_RETURN(int64_t id, tx.query_int64("INSERT INTO user_coupons (user_id, coupon_id, "
                                                    "claimed_at_us) VALUES (?, ?, ?) RETURNING id",
                                                    {actor.user_id, c.id, now_us}));
    out = UserCoupon{
        .id = id, .user_id = actor.user_id, .coupon = std::move(c), .claimed_at_us = now_us};
    return Status::Ok();
  }));
  return out;
}

Result<CouponQuote> quote_coupons(Db& db, const Clock& clock, const Actor& actor,
                                  int64_t merchant_id, int64_t subtotal) {
  QWL_RETURN_IF_ERROR(require_user(actor));
  const int64_t now_us = clock.wall_us();
  std::vector<UserCoupon> owned;
  QWL_RETURN_IF_ERROR(db.read([&](Tx& tx) -> Status {
    QWL_ASSIGN_OR_RETURN(owned, user_coupons(tx, actor.user_id, false));
    return Status::Ok();
  }));
  return choose_coupons(owned, merchant_id, subtotal, now_us);
}

Status redeem_coupons(Tx& tx, const CouponQuote& quote, int64_t order_id, int64_t now_us) {
  for (const AppliedCoupon& a : quote.applied) {
    // The limit is checked in the UPDATE itself: two orders racing for the last use cannot
    // both pass (and the CHECK constraint would refuse it as a last line).
    QWL_ASSIGN_OR_RETURN(int64_t n,
                         tx.exec("UPDATE coupons SET used_count = used_count + 1 WHERE id = ? AND "
                                 "(total_limit IS NULL OR used_count < total_limit)",
                                 {a.coupon.id}));
    if (n != 1) {
      return FailedPreconditionError("coupon '{}': all uses are taken", a.coupon.code);
    }
    QWL_ASSIGN_OR_RETURN(n, tx.exec("UPDATE user_coupons SET order_id = ?, used_at_us = ? "
                                    "WHERE id = ? AND order_id IS NULL",
                                    {order_id, now_us, a.user_coupon_id}));
    if (n != 1) {
      return FailedPreconditionError("coupon '{}' (user coupon {}) is already used", a.coupon.code,
                                     a.user_coupon_id);
    }
    QWL_RETURN_IF_ERROR(
        tx.exec("INSERT INTO order_coupons (order_id, coupon_id, user_coupon_id, "
                "amount, funded_by) VALUES (?, ?, ?, ?, ?)",
                {order_id, a.coupon.id, a.user_coupon_id, a.amount, a.coupon.funded_by})
            .status());
  }
  return Status::Ok();
}

Result<int64_t> restore_coupons(Tx& tx, int64_t order_id) {
  QWL_ASSIGN_OR_RETURN(Rows rows, tx.query("SELECT coupon_id, user_coupon_id FROM order_coupons "
                                           "WHERE order_id = ?",
                                           {order_id}));
  int64_t restored = 0;
  for (const Row& r : rows) {
    QWL_RETURN_IF_ERROR(tx.exec("UPDATE coupons SET used_count = used_count - 1 WHERE id = ? "
                                "AND used_count > 0",
                                {r.int64(0)})
                            .status());
    if (r.is_null(1)) continue;
    QWL_ASSIGN_OR_RETURN(int64_t n, tx.exec("UPDATE user_coupons SET order_id = NULL, "
                                            "used_at_us = NULL WHERE id = ? AND order_id = ?",
                                            {r.int64(1), order_id}));
    restored += n;
  }
  return restored;
}

}  // namespace qwl::services
