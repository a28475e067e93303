// Payments as the customer sees them: the wallet's balance, top-ups from the outside world, the
// history of the wallet's ledger entries, and the daily spending limit.
//
// The wallet is the user's 'wallet' account in the ledger (ledger.h); a top-up is a ledger
// transaction external -> wallet of kMinTopUp..kMaxTopUp fen, run through run_idempotent() when
// the client sends an idempotency key, with a 'wallet' row in the user_events outbox. Spending
// today is measured from the ledger over the city's local day (city_time.h): the wallet's
// payments minus its refunds between local midnight and the next, never below zero. Checkout
// (orders.h) refuses an order that would take today's spending past users.daily_spend_limit
// (NULL: no limit).
//
// Authorization (actor.h): a user reaches only their own wallet; an admin any user's (pass the
// user id; 0 means the actor's own). Another user's wallet answers NotFound.
// Errors: InvalidArgument (amount out of bounds, negative limit, bad key), NotFound (user),
// PermissionDenied (a disabled user tops up).
// Thread-safety: as Db.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/clock.h"
#include "base/status.h"
#include "services/actor.h"
#include "store/db.h"

namespace qwl::services {

inline constexpr int64_t kMinTopUp = 100;        // ¥1
inline constexpr int64_t kMaxTopUp = 5'000'000;  // ¥50,000 per top-up

struct Wallet {
  int64_t user_id = 0;
  int64_t balance = 0;                       // fen
  std::optional<int64_t> daily_spend_limit;  // fen; nullopt: none
  int64_t spent_today = 0;                   // fen, net of refunds, local day
  std::optional<int64_t> left_today;         // limit - spent (>= 0); nullopt: no limit
};

struct TopUpResult {
  int64_t txn_id = 0;   // ledger_txns id
  int64_t amount = 0;   // fen
  int64_t balance = 0;  // the wallet's balance right after this top-up
  bool replayed = false;
};

// One ledger entry of the wallet, newest first.
struct WalletEntry {
  int64_t entry_id = 0;
  int64_t txn_id = 0;
  std::string kind;           // topup, payment, refund, payout, adjustment
  int64_t amount = 0;         // fen; > 0 into the wallet
  int64_t balance_after = 0;  // fen
  int64_t order_id = 0;       // 0: none
  std::string memo;
  int64_t at_us = 0;
};

Result<Wallet> get_wallet(Db& db, const Clock& clock, const Actor& actor, int64_t user_id = 0);

// Tops up the actor's own wallet. With an idempotency key, a retry with the same key and
// amount returns the first result (replayed) and moves no money again.
Result<TopUpResult> top_up(Db& db, const Clock& clock, const Actor& actor, int64_t amount,
                           std::string_view idempotency_key = {});

// Up to `limit` (1..200) entries older than entry id `before_id` (0: from the newest).
Result<std::vector<WalletEntry>> wallet_history(Db& db, const Actor& actor, int64_t limit = 50,
                                                int64_t before_id = 0, int64_t user_id = 0);

// Sets (or with nullopt clears) the user's daily spending limit, 0..kMaxAmount fen.
Status set_daily_spend_limit(Db& db, const Actor& actor, std::optional<int64_t> limit,
                             int64_t user_id = 0);

// Inside a transaction: the wallet's net spending of the local day that holds `now_us`.
Result<int64_t> spent_today(Tx& tx, int64_t user_id, int64_t now_us);

// Inside a transaction: FailedPrecondition ("daily spending limit ...") when paying `amount`
// now would take the user past their limit; NotFound for an unknown user.
Status check_spend_limit(Tx& tx, int64_t user_id, int64_t amount, int64_t now_us);

// Inside a transaction: writes a user_events outbox row (kind: order, wallet, ...; payload: a
// JSON object text).
Status add_user_event(Tx& tx, int64_t user_id, std::string_view kind, int64_t ref_id,
                      std::string_view status, std::string_view payload, int64_t now_us);

}  // namespace qwl::services
