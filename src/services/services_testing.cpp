// Test support for the services layer (see services_testing.h).
#include "services/services_testing.h"

#include "services/ledger.h"
#include "services/schema.h"
#include "store/test_db.h"

namespace qwl::services::testing {

Result<std::unique_ptr<Db>> fresh_db(DbKind kind, const DbOptions& options) {
  return fresh_database(kind, migrations(), options);
}

std::string kind_name(DbKind kind) {
  return kind == DbKind::kSqlite ? "sqlite" : "postgres";
}

Result<Actor> add_user(Db& db, std::string_view email, Role role) {
  Actor actor{.role = role};
  QWL_RETURN_IF_ERROR(db.transact([&](Tx& tx) -> Status {
    QWL_ASSIGN_OR_RETURN(actor.user_id,
                         tx.query_int64("INSERT INTO users (email, name, role, created_at_us) "
                                        "VALUES (?, ?, ?, 1) RETURNING id",
                                        {email, email, role_name(role)}));
    return Status::Ok();
  }));
  return actor;
}

Result<int64_t> add_merchant(Db& db, std::string_view name, int64_t owner_user_id,
                             std::string_view kind, double lat, double lon) {
  int64_t merchant_id = 0;
  QWL_RETURN_IF_ERROR(db.transact([&](Tx& tx) -> Status {
    QWL_ASSIGN_OR_RETURN(int64_t poi_id,
                         tx.query_int64("INSERT INTO pois (kind, name_en, name_zh, lat, lon) "
                                        "VALUES (?, ?, ?, ?, ?) RETURNING id",
                                        {kind, name, name, lat, lon}));
    QWL_ASSIGN_OR_RETURN(
        merchant_id,
        tx.query_int64(
            "INSERT INTO merchants (poi_id, owner_user_id, kind, name_en, name_zh, "
            "created_at_us) VALUES (?, ?, ?, ?, ?, 1) RETURNING id",
            {poi_id, owner_user_id == 0 ? Value() : Value(owner_user_id), kind, name, name}));
    return Status::Ok();
  }));
  return merchant_id;
}

Result<int64_t> add_menu_item(Db& db, int64_t merchant_id, std::string_view name, int64_t price,
                              std::optional<int64_t> stock) {
  int64_t item_id = 0;
  QWL_RETURN_IF_ERROR(db.transact([&](Tx& tx) -> Status {
    QWL_ASSIGN_OR_RETURN(
        item_id, tx.query_int64("INSERT INTO menu_items (merchant_id, name_en, name_zh, price, "
                                "stock, updated_at_us) VALUES (?, ?, ?, ?, ?, 1) RETURNING id",
                                {merchant_id, name, name, price, stock ? Value(*stock) : Value()}));
    return Status::Ok();
  }));
  return item_id;
}

Status fund_wallet(Db& db, int64_t user_id, int64_t amount, int64_t now_us) {
  return db.transact([&](Tx& tx) -> Status {
    QWL_ASSIGN_OR_RETURN(int64_t external, account_id(tx, AccountKind::kExternal, 0, now_us));
    QWL_ASSIGN_OR_RETURN(int64_t wallet, account_id(tx, AccountKind::kWallet, user_id, now_us));
    return post(tx,
                LedgerTxn{.kind = "topup",
                          .user_id = user_id,
                          .memo = "test top-up",
                          .postings = {{external, -amount}, {wallet, amount}}},
                now_us)
        .status();
  });
}

}  // namespace qwl::services::testing
