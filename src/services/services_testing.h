// Test support for the services layer: a fresh, migrated database per test on SQLite and on a
// throw-away PostgreSQL server (store/test_db.h), and small builders for the records most tests
// need (users, merchants, menu items, funded wallets). Builders write directly with SQL so that a
// test of one service does not depend on another service's code.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "base/status.h"
#include "services/actor.h"
#include "store/db.h"

namespace qwl::services::testing {

// A new database holding the ecosystem's schema (the template is migrated once per process).
Result<std::unique_ptr<Db>> fresh_db(DbKind kind, const DbOptions& options = {});

// "sqlite" / "postgres", for test names.
std::string kind_name(DbKind kind);

// Inserts a user and returns it as an Actor.
Result<Actor> add_user(Db& db, std::string_view email, Role role = Role::kCustomer);

// Inserts a merchant of `kind` owned by `owner_user_id` (0: none) with a poi at (lat, lon)
// open all day every day; returns the merchant id.
Result<int64_t> add_merchant(Db& db, std::string_view name, int64_t owner_user_id = 0,
                             std::string_view kind = "cafe", double lat = 30.25,
                             double lon = 120.16);

// Inserts a menu item (no options) and returns its id.
Result<int64_t> add_menu_item(Db& db, int64_t merchant_id, std::string_view name, int64_t price,
                              std::optional<int64_t> stock = std::nullopt);

// Credits `amount` to the user's wallet from the external account (a ledger top-up).
Status fund_wallet(Db& db, int64_t user_id, int64_t amount, int64_t now_us = 1);

}  // namespace qwl::services::testing
