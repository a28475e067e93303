// The ecosystem's invariants over the whole database (see audit.h). Each check is one
// aggregate query, so an audit of a large database is a few table scans.
#include "services/audit.h"

#include <fmt/format.h>

namespace qwl::services {

std::vector<std::string> EcosystemAudit::problems() const {
  std::vector<std::string> out;
  auto add = [&](int64_t n, std::string_view what) {
    if (n != 0) out.push_back(fmt::format("{} {}", n, what));
  };
  if (ledger.balance_sum != 0) {
    out.push_back(fmt::format("account balances sum to {}, not 0", ledger.balance_sum));
  }
  add(ledger.unbalanced_txns, "ledger transactions do not balance");
  add(ledger.mismatched_accounts, "accounts differ from the sum of their entries");
  add(ledger.negative_accounts, "accounts below zero");
  add(negative_stock, "items or variants with negative stock");
  add(orders_paid_twice, "orders paid more than once");
  add(orders_unpaid, "orders with money due but no payment");
  add(orders_over_refunded, "orders refunded more than was paid");
  add(duplicate_idempotent_orders, "idempotency keys with more than one order");
  add(double_booked_tables, "overlapping bookings of one table");
  add(double_booked_rooms, "room nights booked twice");
  return out;
}

Result<EcosystemAudit> audit_ecosystem(Tx& tx) {
  EcosystemAudit a;
  QWL_ASSIGN_OR_RETURN(a.ledger, check_ledger(tx));
  QWL_ASSIGN_OR_RETURN(a.orders, tx.query_int64("SELECT COUNT(*) FROM orders"));
  QWL_ASSIGN_OR_RETURN(a.negative_stock,
                       tx.query_int64("SELECT (SELECT COUNT(*) FROM menu_items WHERE stock < 0) + "
                                      "(SELECT COUNT(*) FROM product_variants WHERE stock < 0)"));
  // Payments per order: one transaction of kind 'payment' carries the order id.
  QWL_ASSIGN_OR_RETURN(
      a.orders_paid_twice,
      tx.query_int64("SELECT COUNT(*) FROM (SELECT order_id FROM ledger_txns WHERE kind = "
                     "'payment' AND order_id IS NOT NULL GROUP BY order_id HAVING COUNT(*) > 1) "
                     "AS t"));
  QWL_ASSIGN_OR_RETURN(
      a.orders_unpaid,
      tx.query_int64("SELECT COUNT(*) FROM orders o WHERE o.total > 0 AND NOT EXISTS (SELECT 1 "
                     "FROM ledger_txns t WHERE t.kind = 'payment' AND t.order_id = o.id)"));
  // What reached the customer's wallet back (refund credits) against what left it (payment
  // debits), per order.
  QWL_ASSIGN_OR_RETURN(
      a.orders_over_refunded,
      tx.query_int64(
          "SELECT COUNT(*) FROM (SELECT t.order_id, "
          "SUM(CASE WHEN t.kind = 'payment' AND e.amount < 0 THEN -e.amount ELSE 0 END) AS paid, "
          "SUM(CASE WHEN t.kind = 'refund' AND e.amount > 0 THEN e.amount ELSE 0 END) AS back "
          "FROM ledger_txns t JOIN ledger_entries e ON e.txn_id = t.id "
          "JOIN accounts acc ON acc.id = e.account_id AND acc.kind = 'wallet' "
          "WHERE t.order_id IS NOT NULL GROUP BY t.order_id) AS s WHERE s.back > s.paid"));
  QWL_ASSIGN_OR_RETURN(
      a.duplicate_idempotent_orders,
      tx.query_int64("SELECT COUNT(*) FROM (SELECT user_id, idempotency_key FROM orders WHERE "
                     "idempotency_key IS NOT NULL AND idempotency_key <> '' GROUP BY user_id, "
                     "idempotency_key HAVING COUNT(*) > 1) AS t"));
  QWL_ASSIGN_OR_RETURN(
      a.double_booked_tables,
      tx.query_int64("SELECT COUNT(*) FROM table_bookings a JOIN table_bookings b ON "
                     "a.table_id = b.table_id AND a.id < b.id AND a.starts_at_us < b.ends_at_us "
                     "AND b.starts_at_us < a.ends_at_us WHERE a.status = 'booked' AND "
                     "b.status = 'booked'"));
  QWL_ASSIGN_OR_RETURN(
      a.double_booked_rooms,
      tx.query_int64("SELECT COUNT(*) FROM hotel_bookings a JOIN hotel_bookings b ON "
                     "a.room_id = b.room_id AND a.id < b.id AND a.check_in_day < b.check_out_day "
                     "AND b.check_in_day < a.check_out_day WHERE a.status = 'booked' AND "
                     "b.status = 'booked'"));
  return a;
}

}  // namespace qwl::services
