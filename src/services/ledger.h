// The double-entry ledger: every movement of money is one ledger transaction whose entries sum
// to zero, written inside the caller's database transaction together with whatever caused it
// (an order, a booking, a top-up), so money and the records that explain it commit together.
//
// Accounts: a user's wallet, a merchant's takings, the platform's revenue, the platform's
// coupon budget (which pays platform-funded discounts) and 'external' (the outside world: top-ups
// come from it, payouts go to it; the only account that may go negative). post() keeps each
// account's balance in the same statement that checks it, so a wallet or merchant balance never
// goes below zero (FailedPrecondition "insufficient funds"); the database's CHECK constraint is
// the last line. Because all entries sum to zero, the balances of all accounts always sum to
// zero; check_ledger() verifies that and that every balance equals the sum of its entries.
//
// Amounts are int64 minor units (fen). One posting is at most kMaxAmount, so no sum of a
// transaction's postings can overflow.
//
// Thread-safety: functions take the caller's Tx and are as thread-safe as it is.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "store/db.h"

namespace qwl::services {

// 10^12 fen = 10 billion yuan: above any real payment, far below int64 overflow.
inline constexpr int64_t kMaxAmount = 1'000'000'000'000;

enum class AccountKind { kWallet, kMerchant, kPlatform, kCouponFunding, kExternal };
std::string_view account_kind_name(AccountKind kind);  // the accounts.kind text

// The account of (kind, owner), created on first use. owner: user id (wallet), merchant id
// (merchant), 0 for the system accounts.
Result<int64_t> account_id(Tx& tx, AccountKind kind, int64_t owner_id, int64_t now_us);

// An account's balance; NotFound for an unknown id.
Result<int64_t> account_balance(Tx& tx, int64_t account_id);

struct Posting {
  int64_t account_id = 0;
  int64_t amount = 0;  // > 0 credits the account, < 0 debits it; never 0
};

struct LedgerTxn {
  std::string kind;         // topup, payment, refund, payout, adjustment
  int64_t user_id = 0;      // the user whose action this is (0: none)
  int64_t order_id = 0;     // the order it pays or refunds (0: none)
  std::string booking_ref;  // "table:12", "hotel:3", "ride:7" (empty: none)
  std::string memo;
  std::vector<Posting> postings;
};

// Writes the transaction and updates the balances. Errors: InvalidArgument (fewer than two
// postings, a zero or oversized amount, entries that do not sum to zero, an unknown kind),
// NotFound (an unknown account), FailedPrecondition (an account would go negative; nothing of
// the transaction is kept once the caller returns the error). Returns the ledger_txns id.
Result<int64_t> post(Tx& tx, const LedgerTxn& txn, int64_t now_us);

// What check_ledger() found.
struct LedgerAudit {
  int64_t accounts = 0;
  int64_t transactions = 0;
  int64_t entries = 0;
  int64_t balance_sum = 0;          // must be 0
  int64_t unbalanced_txns = 0;      // transactions whose entries do not sum to 0
  int64_t mismatched_accounts = 0;  // balance != sum of entries
  int64_t negative_accounts = 0;    // below zero without allow_negative
  bool ok() const {
    return balance_sum == 0 && unbalanced_txns == 0 && mismatched_accounts == 0 &&
           negative_accounts == 0;
  }
};

// Audits the whole ledger (for tests and `qwenlayer ledger check`).
Result<LedgerAudit> check_ledger(Tx& tx);

}  // namespace qwl::services
