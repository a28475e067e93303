// The ecosystem's invariants, checked over the whole database: what the concurrency and crash
// tests assert after thousands of operations, and what `qwenlayer audit` shows an operator.
//
//   - the ledger (ledger.h check_ledger): every transaction balances, every balance equals its
//     entries, no account below zero but the external one, all balances sum to zero;
//   - no negative stock (menu items, product variants);
//   - every order that moved money was paid exactly once (one 'payment' ledger transaction),
//     and none was paid twice; refunds never exceed what was paid;
//   - one order per (user, idempotency key);
//   - no table held by two live bookings at overlapping times, no room by two live stays on one
//     night.
// Thread-safety: as the caller's Tx (run it in Db::read for a consistent snapshot).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/status.h"
#include "services/ledger.h"
#include "store/db.h"

namespace qwl::services {

struct EcosystemAudit {
  LedgerAudit ledger;
  int64_t orders = 0;
  int64_t negative_stock = 0;               // menu items and variants below zero
  int64_t orders_paid_twice = 0;            // more than one payment transaction
  int64_t orders_unpaid = 0;                // money moved (total > 0) but no payment transaction
  int64_t orders_over_refunded = 0;         // refund transactions above what was paid
  int64_t duplicate_idempotent_orders = 0;  // (user, key) pairs with more than one order
  int64_t double_booked_tables = 0;         // pairs of live table bookings that overlap
  int64_t double_booked_rooms = 0;          // pairs of live hotel stays sharing a room night

  bool ok() const {
    return ledger.ok() && negative_stock == 0 && orders_paid_twice == 0 && orders_unpaid == 0 &&
           orders_over_refunded == 0 && duplicate_idempotent_orders == 0 &&
           double_booked_tables == 0 && double_booked_rooms == 0;
  }
  // One line per violated invariant ("2 orders paid twice"); empty when ok().
  std::vector<std::string> problems() const;
};

Result<EcosystemAudit> audit_ecosystem(Tx& tx);

}  // namespace qwl::services
