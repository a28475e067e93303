// The seeded city's people: the demo accounts and generated customers, their saved addresses,
// and their wallets, funded through the ledger so that check_ledger() holds (see
// seed_internal.h). Generated customers have no password (they cannot sign in); the demo
// accounts sign in with "demo", hashed with a salt drawn from the seed so that two seeds with
// the same options store the same hash.
#include <fmt/format.h>

#include <algorithm>

#include "services/ledger.h"
#include "services/password.h"
#include "services/seed_internal.h"
#include "services/seed_names.h"

namespace qwl::services::seed_internal {
namespace {

constexpr int64_t kDayUs = 86'400'000'000LL;

struct DemoAccount {
  int64_t id;
  std::string_view email;
  std::string_view name;
  std::string_view role;
  std::string_view locale;
  int64_t wallet;  // fen
};

constexpr DemoAccount kDemoAccounts[] = {
    {kAliceId, kDemoAliceEmail, "Alice Chen", "customer", "en", 50'000},
    {kWangId, kDemoWangEmail, "王芳", "customer", "zh", 30'000},
    {kLunaOwnerId, kDemoLunaEmail, "Lin Yue", "merchant", "en", 0},
    {kMannerOwnerId, kDemoMannerEmail, "周敏", "merchant", "zh", 0},
    {kAdminId, kDemoAdminEmail, "Admin", "admin", "en", 0},
};

std::string ascii_lower(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c >= 'A' && c <= 'Z')
      out += static_cast<char>(c - 'A' + 'a');
    else if (c >= 'a' && c <= 'z')
      out += c;
  }
  return out;
}

std::string mobile(Rng& rng) {
  return fmt::format("1{}{:09}", rng.range(3, 9), rng.range(0, 999'999'999));
}

struct Person {
  std::string name;
  std::string email;
  bool zh = false;
};

Person customer(const Context& ctx, int64_t id) {
  Rng rng = ctx.rng("user", static_cast<uint64_t>(id));
  const Bi& family = rng.pick(family_names());
  const Bi& given = rng.pick(given_names());
  Person p;
  p.zh = customer_prefers_zh(ctx, id);
  p.name =
      p.zh ? fmt::format("{}{}", family.zh, given.zh) : fmt::format("{} {}", given.en, family.en);
  p.email = fmt::format("{}.{}{}@example.com", ascii_lower(given.en), ascii_lower(family.en), id);
  return p;
}

// An address line in a residence or office: "Room 1203, Building 3, Willow Bank Residences, 57
// Willow Wave Road, Lakeside District" / "湖滨区柳浪路57号柳岸花园3幢1203室".
void write_address(Context& ctx, int64_t id, int64_t user_id, std::string_view label,
                   std::string_view recipient, const Place& place, bool is_default, Rng& rng) {
  const bool office = place.kind == PoiKind::kOffice;
  const int64_t floor = rng.range(2, 28);
  const int64_t room = floor * 100 + rng.range(1, 12);
  std::string en;
  std::string zh;
  if (office) {
    en = fmt::format("{}F, {}, {}", floor, place.name_en, place.address_en);
    zh = fmt::format("{}{}{}层", place.address_zh, place.name_zh, floor);
  } else {
    const int64_t building = rng.range(1, 12);
    en = fmt::format("Room {}, Building {}, {}, {}", room, building, place.name_en,
                     place.address_en);
    zh = fmt::format("{}{}{}幢{}室", place.address_zh, place.name_zh, building, room);
  }
  // The door is a few metres from the place's point; routes end at the same road node.
  const LatLon at = offset_m(place.at, rng.uniform(-20, 20), rng.uniform(-20, 20));
  ctx.w.row(T::kAddresses, id, user_id, label, recipient, mobile(rng), std::move(en), std::move(zh),
            at.lat, at.lon, place.district_id, place.node_id, is_default,
            ctx.epoch_us() - rng.range(30, 400) * kDayUs);
}

}  // namespace

Status seed_users(Context& ctx) {
  ctx.w.begin_phase("users");
  for (const DemoAccount& a : kDemoAccounts) {
    Rng rng = ctx.rng("salt", static_cast<uint64_t>(a.id));
    std::string salt(16, '\0');
    for (char& c : salt) c = static_cast<char>(rng.range(0, 255));
    ctx.w.row(T::kUsers, a.id, a.email, a.name, a.role, a.locale,
              hash_password(kDemoPassword, salt), Value(), ctx.epoch_us() - 400 * kDayUs);
  }
  ctx.users = kDemoUserCount + ctx.plan.customers;
  for (int64_t id = kDemoUserCount + 1; id <= ctx.users; ++id) {
    if (!ctx.w.status().ok()) return ctx.w.status();
    Rng rng = ctx.rng("user_row", static_cast<uint64_t>(id));
    Person p = customer(ctx, id);
    // A few customers set a daily spending limit (payments refuse beyond it).
    const Value limit = rng.chance(0.1) ? Value(rng.range(1, 5) * 10'000) : Value();
    ctx.w.row(T::kUsers, id, std::move(p.email), std::move(p.name), "customer", p.zh ? "zh" : "en",
              "", limit, ctx.epoch_us() - rng.range(30, 1000) * kDayUs);
  }
  return ctx.w.end_phase();
}

Status seed_addresses(Context& ctx) {
  ctx.w.begin_phase("addresses");
  int64_t next_id = 1;
  {
    Rng rng = ctx.rng("address", kAliceId);
    write_address(ctx, next_id++, kAliceId, "home", "Alice Chen",
                  ctx.landmark(Landmark::kAliceHome), true, rng);
    write_address(ctx, next_id++, kAliceId, "office", "Alice Chen",
                  ctx.landmark(Landmark::kAliceOffice), false, rng);
  }
  {
    Rng rng = ctx.rng("address", kWangId);
    write_address(ctx, next_id++, kWangId, "home", "王芳", ctx.landmark(Landmark::kWangHome), true,
                  rng);
    write_address(ctx, next_id++, kWangId, "office", "王芳", ctx.landmark(Landmark::kWangOffice),
                  false, rng);
  }
  std::vector<size_t> homes;
  std::vector<size_t> offices;
  for (size_t i = 0; i < ctx.places.size(); ++i) {
    if (ctx.places[i].kind == PoiKind::kResidence) homes.push_back(i);
    if (ctx.places[i].kind == PoiKind::kOffice) offices.push_back(i);
  }
  for (int64_t id = kDemoUserCount + 1; id <= ctx.users; ++id) {
    if (!ctx.w.status().ok()) return ctx.w.status();
    Rng rng = ctx.rng("address", static_cast<uint64_t>(id));
    const Person p = customer(ctx, id);
    write_address(ctx, next_id++, id, "home", p.name, ctx.places[homes[rng.index(homes.size())]],
                  true, rng);
    if (rng.chance(0.5)) {
      write_address(ctx, next_id++, id, "office", p.name,
                    ctx.places[offices[rng.index(offices.size())]], false, rng);
    }
  }
  return ctx.w.end_phase();
}

Status seed_wallets(Context& ctx) {
  ctx.w.begin_phase("wallets");
  QWL_RETURN_IF_ERROR(ctx.w.flush());
  // Who gets how much, in user order: Alice 500.00 CNY, Wang 300.00, then some customers.
  std::vector<std::pair<int64_t, int64_t>> topups;
  for (const DemoAccount& a : kDemoAccounts) {
    if (a.wallet > 0) topups.emplace_back(a.id, a.wallet);
  }
  for (int64_t id = kDemoUserCount + 1; id <= ctx.users; ++id) {
    Rng rng = ctx.rng("wallet", static_cast<uint64_t>(id));
    if (rng.chance(ctx.plan.funded_share)) topups.emplace_back(id, rng.range(20, 2000) * 100);
  }
  // The platform's coupon budget pays platform-funded discounts.
  constexpr int64_t kCouponBudget = 100'000'000;  // 1,000,000.00 CNY
  const int64_t at = ctx.epoch_us() - 7 * kDayUs;
  constexpr size_t kPerTransaction = 500;
  for (size_t begin = 0; begin <= topups.size(); begin += kPerTransaction) {
    const size_t end = std::min(topups.size(), begin + kPerTransaction);
    Status s = ctx.w.db().transact([&](Tx& tx) -> Status {
      QWL_ASSIGN_OR_RETURN(int64_t external, account_id(tx, AccountKind::kExternal, 0, at));
      if (begin == 0) {
        QWL_ASSIGN_OR_RETURN(int64_t budget, account_id(tx, AccountKind::kCouponFunding, 0, at));
        QWL_RETURN_IF_ERROR(
            post(tx,
                 LedgerTxn{.kind = "topup",
                           .memo = "seed: platform coupon budget",
                           .postings = {{external, -kCouponBudget}, {budget, kCouponBudget}}},
                 at)
                .status());
      }
      for (size_t i = begin; i < end; ++i) {
        const auto [user, amount] = topups[i];
        QWL_ASSIGN_OR_RETURN(int64_t wallet, account_id(tx, AccountKind::kWallet, user, at));
        QWL_RETURN_IF_ERROR(post(tx,
                                 LedgerTxn{.kind = "topup",
                                           .user_id = user,
                                           .memo = "seed: wallet top-up",
                                           .postings = {{external, -amount}, {wallet, amount}}},
                                 at)
                                .status());
      }
      return Status::Ok();
    });
    if (!s.ok()) return s.with_context("seed: funding wallets");
  }
  const int64_t txns = static_cast<int64_t>(topups.size()) + 1;
  ctx.w.count_external_rows("accounts", txns + 1);
  ctx.w.count_external_rows("ledger_txns", txns);
  ctx.w.count_external_rows("ledger_entries", 2 * txns);
  return ctx.w.end_phase();
}

}  // namespace qwl::services::seed_internal
