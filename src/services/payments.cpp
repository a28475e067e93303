// Payments (see payments.h): the wallet over the ledger, top-ups, history and spending limits.
#include "services/payments.h"

#include <algorithm>
#include <charconv>
#include <limits>

#include "services/city_time.h"
#include "services/coupons.h"
#include "services/idempotency.h"
#include "services/ledger.h"

namespace qwl::services {

namespace {

// The user whose wallet the call is about: the actor's own, or any for an admin.
Result<int64_t> wallet_owner(const Actor& actor, int64_t user_id) {
  const int64_t target = user_id == 0 ? actor.user_id : user_id;
  if (target <= 0) return InvalidArgumentError("wallet: no user given");
  QWL_RETURN_IF_ERROR(check_owner(actor, target, "wallet of user", target));
  return target;
}

// The wallet's account id without creating it (reads run in read-only transactions); 0 when
// the user never had money.
Result<int64_t> find_wallet(Tx& tx, int64_t user_id) {
  QWL_ASSIGN_OR_RETURN(Rows rows, tx.query("SELECT id FROM accounts WHERE kind = 'wallet' AND "
                                           "owner_id = ? AND currency = 'CNY'",
                                           {user_id}));
  return rows.empty() ? int64_t{0} : rows[0].int64(0);
}

// The stored response of an idempotent top-up: "txn=<id>;amount=<fen>;balance=<fen>".
std::string encode_topup(const TopUpResult& r) {
  return fmt::format("txn={};amount={};balance={}", r.txn_id, r.amount, r.balance);
}

Result<TopUpResult> decode_topup(std::string_view s) {
  TopUpResult r;
  int64_t* fields[] = {&r.txn_id, &r.amount, &r.balance};
  std::string_view names[] = {"txn=", "amount=", "balance="};
  for (int i = 0; i < 3; ++i) {
    if (s.substr(0, names[i].size()) != names[i]) {
      return InternalError("top-up: stored response '{}' is malformed", s);
    }
    s.remove_prefix(names[i].size());
    auto [next, ec] = std::from_chars(s.data(), s.data() + s.size(), *fields[i]);
    if (ec != std::errc()) return InternalError("top-up: stored response is malformed");
    s.remove_prefix(next - s.data());
    if (!s.empty() && s[0] == ';') s.remove_prefix(1);
  }
  return r;
}

}  // namespace

Status add_user_event(Tx& tx, int64_t user_id, std::string_view kind, int64_t ref_id,
                      std::string_view status, std::string_view payload, int64_t now_us) {
  return tx
      .exec(
          "INSERT INTO user_events (user_id, kind, ref_id, status, payload, at_us) VALUES "
          "(?, ?, ?, ?, ?, ?)",
          {user_id, kind, ref_id, status, payload, now_us})
      .status();
}

Result<int64_t> spent_today(Tx& tx, int64_t user_id, int64_t now_us) {
  QWL_ASSIGN_OR_RETURN(int64_t wallet, find_wallet(tx, user_id));
  if (wallet == 0) return int64_t{0};
  const LocalTime t = local_time(now_us);
  const int64_t start_us = local_instant_us(t.day, 0);
  const int64_t end_us = local_instant_us(t.day + 1, 0);
  // Entries of this wallet in today's payments and refunds: their sum is minus the net spend.
  QWL_ASSIGN_OR_RETURN(
      int64_t sum,
      tx.query_int64("SELECT COALESCE(SUM(e.amount), 0) FROM ledger_entries e JOIN ledger_txns "
                     "t ON t.id = e.txn_id WHERE e.account_id = ? AND t.created_at_us >= ? AND "
                     "t.created_at_us < ? AND t.kind IN ('payment', 'refund')",
                     {wallet, start_us, end_us}));
  return std::max<int64_t>(0, -sum);
}

Status check_spend_limit(Tx& tx, int64_t user_id, int64_t amount, int64_t now_us) {
  QWL_ASSIGN_OR_RETURN(Rows rows,
                       tx.query("SELECT daily_spend_limit FROM users WHERE id = ?", {user_id}));
  if (rows.empty()) return NotFoundError("user {} not found", user_id);
  if (rows[0].is_null(0)) return Status::Ok();
  const int64_t limit = rows[0].int64(0);
  QWL_ASSIGN_OR_RETURN(int64_t spent, spent_today(tx, user_id, now_us));
  if (spent + amount > limit) {
    return FailedPreconditionError(
        "daily spending limit {} reached: {} spent today, this payment is {} (left {})",
        format_yuan(limit), format_yuan(spent), format_yuan(amount),
        format_yuan(std::max<int64_t>(0, limit - spent)));
  }
  return Status::Ok();
}

Result<Wallet> get_wallet(Db& db, const Clock& clock, const Actor& actor, int64_t user_id) {
  QWL_ASSIGN_OR_RETURN(int64_t owner, wallet_owner(actor, user_id));
  const int64_t now_us = clock.wall_us();
  Wallet w{.user_id = owner};
  QWL_RETURN_IF_ERROR(db.read([&](Tx& tx) -> Status {
    w = Wallet{.user_id = owner};
    QWL_ASSIGN_OR_RETURN(Rows users,
                         tx.query("SELECT daily_spend_limit FROM users WHERE id = ?", {owner}));
    if (users.empty()) return NotFoundError("wallet of user {} not found", owner);
    if (!users[0].is_null(0)) w.daily_spend_limit = users[0].int64(0);
    QWL_ASSIGN_OR_RETURN(int64_t wallet, find_wallet(tx, owner));
    if (wallet != 0) {
      QWL_ASSIGN_OR_RETURN(w.balance, account_balance(tx, wallet));
    }
    QWL_ASSIGN_OR_RETURN(w.spent_today, spent_today(tx, owner, now_us));
    if (w.daily_spend_limit) {
      w.left_today = std::max<int64_t>(0, *w.daily_spend_limit - w.spent_today);
    }
    return Status::Ok();
  }));
  return w;
}

Result<TopUpResult> top_up(Db& db, const Clock& clock, const Actor& actor, int64_t amount,
                           std::string_view idempotency_key) {
  if (actor.user_id <= 0) return InvalidArgumentError("top-up: the actor is not a user");
  if (amount < kMinTopUp || amount > kMaxTopUp) {
    return InvalidArgumentError("top-up: amount {} fen is outside {}..{} ({}..{})", amount,
                                kMinTopUp, kMaxTopUp, format_yuan(kMinTopUp),
                                format_yuan(kMaxTopUp));
  }
  const int64_t now_us = clock.wall_us();
  auto body = [&](Tx& tx) -> Result<TopUpResult> {
    QWL_ASSIGN_OR_RETURN(Rows users,
                         tx.query("SELECT disabled FROM users WHERE id = ?", {actor.user_id}));
    if (users.empty()) return NotFoundError("user {} not found", actor.user_id);
    if (users[0].int64(0) != 0) {
      return PermissionDeniedError("user {} is disabled", actor.user_id);
    }
    QWL_ASSIGN_OR_RETURN(int64_t external, account_id(tx, AccountKind::kExternal, 0, now_us));
    QWL_ASSIGN_OR_RETURN(int64_t wallet,
                         account_id(tx, AccountKind::kWallet, actor.user_id, now_us));
    TopUpResult r{.amount = amount};
    QWL_ASSIGN_OR_RETURN(r.txn_id,
                         post(tx,
                              LedgerTxn{.kind = "topup",
                                        .user_id = actor.user_id,
                                        .memo = "wallet top-up",
                                        .postings = {{external, -amount}, {wallet, amount}}},
                              now_us));
    QWL_ASSIGN_OR_RETURN(r.balance, account_balance(tx, wallet));
    QWL_RETURN_IF_ERROR(add_user_event(
        tx, actor.user_id, "wallet", r.txn_id, "topup",
        fmt::format("{{\"amount\":{},\"balance\":{}}}", r.amount, r.balance), now_us));
    return r;
  };
  if (idempotency_key.empty()) {
    TopUpResult out;
    QWL_RETURN_IF_ERROR(db.transact([&](Tx& tx) -> Status {
      QWL_ASSIGN_OR_RETURN(out, body(tx));
      return Status::Ok();
    }));
    return out;
  }
  const std::string request = fmt::format("amount={}", amount);
  QWL_ASSIGN_OR_RETURN(IdempotentResult res,
                       run_idempotent(db,
                                      IdempotentRequest{.user_id = actor.user_id,
                                                        .key = idempotency_key,
                                                        .operation = "topup",
                                                        .request = request},
                                      now_us, [&](Tx& tx) -> Result<std::string> {
                                        QWL_ASSIGN_OR_RETURN(TopUpResult r, body(tx));
                                        return encode_topup(r);
                                      }));
  QWL_ASSIGN_OR_RETURN(TopUpResult out, decode_topup(res.response));
  out.replayed = res.replayed;
  return out;
}

Result<std::vector<WalletEntry>> wallet_history(Db& db, const Actor& actor, int64_t limit,
                                                int64_t before_id, int64_t user_id) {
  QWL_ASSIGN_OR_RETURN(int64_t owner, wallet_owner(actor, user_id));
  if (limit < 1 || limit > 200) {
    return InvalidArgumentError("wallet history: limit {} is outside 1..200", limit);
  }
  if (before_id < 0) return InvalidArgumentError("wallet history: before_id must be >= 0");
  const int64_t before = before_id == 0 ? std::numeric_limits<int64_t>::max() : before_id;
  std::vector<WalletEntry> out;
  QWL_RETURN_IF_ERROR(db.read([&](Tx& tx) -> Status {
    out.clear();
    QWL_ASSIGN_OR_RETURN(int64_t exists,
                         tx.query_int64("SELECT COUNT(*) FROM users WHERE id = ?", {owner}));
    if (exists == 0) return NotFoundError("wallet of user {} not found", owner);
    QWL_ASSIGN_OR_RETURN(int64_t wallet, find_wallet(tx, owner));
    if (wallet == 0) return Status::Ok();
    QWL_ASSIGN_OR_RETURN(
        Rows rows,
        tx.query("SELECT e.id, e.txn_id, t.kind, e.amount, e.balance_after, t.order_id, t.memo, "
                 "t.created_at_us FROM ledger_entries e JOIN ledger_txns t ON t.id = e.txn_id "
                 "WHERE e.account_id = ? AND e.id < ? ORDER BY e.id DESC LIMIT ?",
                 {wallet, before, limit}));
    for (const Row& r : rows) {
      out.push_back(WalletEntry{.entry_id = r.int64(0),
                                .txn_id = r.int64(1),
                                .kind = r.text(2),
                                .amount = r.int64(3),
                                .balance_after = r.int64(4),
                                .order_id = r.is_null(5) ? 0 : r.int64(5),
                                .memo = r.text(6),
                                .at_us = r.int64(7)});
    }
    return Status::Ok();
  }));
  return out;
}

Status set_daily_spend_limit(Db& db, const Actor& actor, std::optional<int64_t> limit,
                             int64_t user_id) {
  QWL_ASSIGN_OR_RETURN(int64_t owner, wallet_owner(actor, user_id));
  if (limit && (*limit < 0 || *limit > kMaxAmount)) {
    return InvalidArgumentError("daily_spend_limit {} is outside 0..{}", *limit, kMaxAmount);
  }
  return db.transact([&](Tx& tx) -> Status {
    QWL_ASSIGN_OR_RETURN(int64_t n, tx.exec("UPDATE users SET daily_spend_limit = ? WHERE id = ?",
                                            {limit ? Value(*limit) : Value(), owner}));
    if (n == 0) return NotFoundError("user {} not found", owner);
    return Status::Ok();
  });
}

}  // namespace qwl::services
