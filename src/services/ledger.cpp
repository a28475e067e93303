// The double-entry ledger (see ledger.h).
#include "services/ledger.h"

#include <algorithm>
#include <array>

namespace qwl::services {

std::string_view account_kind_name(AccountKind kind) {
  switch (kind) {
    case AccountKind::kWallet:
      return "wallet";
    case AccountKind::kMerchant:
      return "merchant";
    case AccountKind::kPlatform:
      return "platform";
    case AccountKind::kCouponFunding:
      return "coupon_funding";
    case AccountKind::kExternal:
      return "external";
  }
  return "wallet";
}

Result<int64_t> account_id(Tx& tx, AccountKind kind, int64_t owner_id, int64_t now_us) {
  const std::string_view name = account_kind_name(kind);
  // Insert-if-missing then read: under concurrency both racers' inserts meet the unique key,
  // and ON CONFLICT turns the loser's into a no-op instead of a failed transaction.
  QWL_RETURN_IF_ERROR(tx.exec("INSERT INTO accounts (kind, owner_id, allow_negative, "
                              "created_at_us) VALUES (?, ?, ?, ?) "
                              "ON CONFLICT (kind, owner_id, currency) DO NOTHING",
                              {name, owner_id, kind == AccountKind::kExternal, now_us})
                          .status());
  return tx.query_int64(
      "SELECT id FROM accounts WHERE kind = ? AND owner_id = ? AND currency = 'CNY'",
      {name, owner_id});
}

Result<int64_t> account_balance(Tx& tx, int64_t account_id) {
  Result<int64_t> balance =
      tx.query_int64("SELECT balance FROM accounts WHERE id = ?", {account_id});
  if (!balance.ok() && balance.status().code() == StatusCode::kNotFound) {
    return NotFoundError("account {} not found", account_id);
  }
  return balance;
}

namespace {

constexpr std::array<std::string_view, 5> kTxnKinds = {"topup", "payment", "refund", "payout",
                                                       "adjustment"};

Status validate(const LedgerTxn& txn) {
  if (std::find(kTxnKinds.begin(), kTxnKinds.end(), txn.kind) == kTxnKinds.end()) {
    return InvalidArgumentError("ledger: unknown transaction kind '{}'", txn.kind);
  }
  if (txn.postings.size() < 2) {
    return InvalidArgumentError("ledger: a transaction needs at least two postings, got {}",
                                txn.postings.size());
  }
  int64_t sum = 0;
  for (const Posting& p : txn.postings) {
    if (p.amount == 0 || p.amount > kMaxAmount || p.amount < -kMaxAmount) {
      return InvalidArgumentError("ledger: posting of {} to account {} is zero or above {}",
                                  p.amount, p.account_id, kMaxAmount);
    }
    sum += p.amount;  // |sum| <= postings * kMaxAmount: no overflow for any real list
  }
  if (sum != 0) return InvalidArgumentError("ledger: postings sum to {}, not 0", sum);
  return Status::Ok();
}

}  // namespace

Result<int64_t> post(Tx& tx, const LedgerTxn& txn, int64_t now_us) {
  QWL_RETURN_IF_ERROR(validate(txn));
  QWL_ASSIGN_OR_RETURN(
      int64_t txn_id,
      tx.query_int64(
          "INSERT INTO ledger_txns (kind, user_id, order_id, booking_ref, memo, "
          "created_at_us) VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
          {txn.kind, txn.user_id == 0 ? Value() : Value(txn.user_id),
           txn.order_id == 0 ? Value() : Value(txn.order_id),
           txn.booking_ref.empty() ? Value() : Value(txn.booking_ref), txn.memo, now_us}));
  // Debits first: an account that cannot pay fails the transaction before anything is
  // credited (the caller's rollback would undo it anyway; this keeps the error the useful one).
  std::vector<Posting> ordered = txn.postings;
  std::stable_sort(ordered.begin(), ordered.end(),
                   [](const Posting& a, const Posting& b) { return a.amount < b.amount; });
  for (const Posting& p : ordered) {
    // The balance check and the update are one statement, so two transactions cannot both
    // spend the same money (on PostgreSQL the second meets a serialization failure and
    // retries; on SQLite writers are serialized).
    QWL_ASSIGN_OR_RETURN(Rows rows,
                         tx.query("UPDATE accounts SET balance = balance + ? "
                                  "WHERE id = ? AND (allow_negative OR balance + ? >= 0) "
                                  "RETURNING balance",
                                  {p.amount, p.account_id, p.amount}));
    if (rows.empty()) {
      QWL_ASSIGN_OR_RETURN(int64_t balance, account_balance(tx, p.account_id));
      return FailedPreconditionError("insufficient funds: account {} holds {}, needs {}",
                                     p.account_id, balance, -p.amount);
    }
    QWL_RETURN_IF_ERROR(tx.exec("INSERT INTO ledger_entries (txn_id, account_id, amount, "
                                "balance_after) VALUES (?, ?, ?, ?)",
                                {txn_id, p.account_id, p.amount, rows[0].int64(0)})
                            .status());
  }
  return txn_id;
}

Result<LedgerAudit> check_ledger(Tx& tx) {
  LedgerAudit audit;
  QWL_ASSIGN_OR_RETURN(audit.accounts, tx.query_int64("SELECT COUNT(*) FROM accounts"));
  QWL_ASSIGN_OR_RETURN(audit.transactions, tx.query_int64("SELECT COUNT(*) FROM ledger_txns"));
  QWL_ASSIGN_OR_RETURN(audit.entries, tx.query_int64("SELECT COUNT(*) FROM ledger_entries"));
  QWL_ASSIGN_OR_RETURN(audit.balance_sum,
                       tx.query_int64("SELECT COALESCE(SUM(balance), 0) FROM accounts"));
  QWL_ASSIGN_OR_RETURN(
      audit.unbalanced_txns,
      tx.query_int64("SELECT COUNT(*) FROM (SELECT txn_id FROM ledger_entries GROUP BY txn_id "
                     "HAVING SUM(amount) <> 0) AS t"));
  QWL_ASSIGN_OR_RETURN(
      audit.mismatched_accounts,
      tx.query_int64(
          "SELECT COUNT(*) FROM accounts a WHERE a.balance <> (SELECT "
          "COALESCE(SUM(e.amount), 0) FROM ledger_entries e WHERE e.account_id = a.id)"));
  QWL_ASSIGN_OR_RETURN(
      audit.negative_accounts,
      tx.query_int64("SELECT COUNT(*) FROM accounts WHERE balance < 0 AND NOT allow_negative"));
  return audit;
}

}  // namespace qwl::services
