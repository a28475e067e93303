// `qwenlayer audit`: checks the ecosystem database's invariants (services/audit.h) on one
// read-only snapshot: the ledger balances, no negative stock, every order paid exactly once, one
// order per idempotency key, no double-booked table or room. Exit code 0 when all hold, 1 (with
// one line per problem) when one does not, so scripts and the crash test can rely on it.
#include <fmt/format.h>

#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "cli/common.h"
#include "services/audit.h"
#include "store/db.h"

namespace qwl::cli {
namespace {

struct AuditArgs {
  std::string db = kDefaultDbUrl;
  bool json = false;
};

int run_audit(const AuditArgs& args) {
  auto db = open_database(args.db);
  if (!db.ok()) return report(db.status());
  services::EcosystemAudit audit;
  Status s = (*db)->read([&](Tx& tx) -> Status {
    QWL_ASSIGN_OR_RETURN(audit, services::audit_ecosystem(tx));
    return Status::Ok();
  });
  if (!s.ok()) return report(s);
  const std::vector<std::string> problems = audit.problems();
  if (args.json) {
    nlohmann::json j = {
        {"ok", audit.ok()},
        {"accounts", audit.ledger.accounts},
        {"ledger_transactions", audit.ledger.transactions},
        {"ledger_entries", audit.ledger.entries},
        {"balance_sum", audit.ledger.balance_sum},
        {"unbalanced_transactions", audit.ledger.unbalanced_txns},
        {"mismatched_accounts", audit.ledger.mismatched_accounts},
        {"negative_accounts", audit.ledger.negative_accounts},
        {"orders", audit.orders},
        {"negative_stock", audit.negative_stock},
        {"orders_paid_twice", audit.orders_paid_twice},
        {"orders_unpaid", audit.orders_unpaid},
        {"orders_over_refunded", audit.orders_over_refunded},
        {"duplicate_idempotent_orders", audit.duplicate_idempotent_orders},
        {"double_booked_tables", audit.double_booked_tables},
        {"double_booked_rooms", audit.double_booked_rooms},
        {"problems", problems},
    };
    std::cout << j.dump(2) << "\n";
  } else {
    fmt::print("{}: {} accounts, {} ledger transactions, {} orders\n", (*db)->url(),
               audit.ledger.accounts, audit.ledger.transactions, audit.orders);
    if (problems.empty()) fmt::print("ok: every invariant holds\n");
    for (const std::string& p : problems) fmt::print("problem: {}\n", p);
  }
  return audit.ok() ? 0 : kExitFailure;
}

}  // namespace

void add_audit(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<AuditArgs>();
  CLI::App* cmd = app.add_subcommand(
      "audit",
      "Check the ecosystem database's invariants: the ledger balances (entries sum to zero, "
      "balances equal their entries, no account below zero), no negative stock, every order "
      "paid exactly once and never refunded beyond it, one order per idempotency key, no table "
      "or room booked twice. Exit code 1 when any fails.\n"
      "Example: qwenlayer audit --db data/qwenlayer.db --json");
  add_db_option(cmd, args->db);
  cmd->add_flag("--json", args->json, "Print only JSON on stdout");
  cmd->callback([args, &exit_code] { exit_code = run_audit(*args); });
}

}  // namespace qwl::cli
