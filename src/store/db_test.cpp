// The Db interface on both databases: types, transactions, retries, concurrency, crashes.
#include "store/db.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <latch>
#include <limits>
#include <thread>
#include <vector>

#include "store/test_db.h"

namespace qwl {
namespace {

const Migration kSchema[] = {
    {.version = 1,
     .name = "test tables",
     .up = "CREATE TABLE accounts (id {{pk}}, owner TEXT NOT NULL UNIQUE,"
           " balance BIGINT NOT NULL CHECK (balance >= 0));"
           "CREATE TABLE transfers (id {{pk}}, src BIGINT NOT NULL REFERENCES accounts (id),"
           " dst BIGINT NOT NULL REFERENCES accounts (id), amount BIGINT NOT NULL);"
           "CREATE TABLE counters (name TEXT PRIMARY KEY, n BIGINT NOT NULL);"
           "CREATE TABLE things (id {{pk}}, i BIGINT, r {{real}}, t TEXT, b {{blob}},"
           " flag {{bool}});"
           "INSERT INTO counters (name, n) VALUES ('c', 0);"
           "INSERT INTO accounts (owner, balance) VALUES ('alice', 1000), ('bob', 1000),"
           " ('carol', 1000);"},
};
constexpr int64_t kTotal = 3000;  // the sum of the seeded balances

class DbTest : public ::testing::TestWithParam<DbKind> {
 protected:
  void SetUp() override {
    auto url = fresh_database_url(GetParam(), kSchema);
    ASSERT_TRUE(url.ok()) << url.status().to_string();
    url_ = *url;
    auto db = Db::open(url_, options());
    ASSERT_TRUE(db.ok()) << db.status().to_string();
    db_ = std::move(db).value();
  }
  virtual DbOptions options() { return DbOptions{}; }

  int64_t query_int(std::string_view sql, Params params = {}) {
    int64_t n = -1;
    Status s = db_->read([&](Tx& tx) -> Status {
      QWL_ASSIGN_OR_RETURN(n, tx.query_int64(sql, params));
      return Status::Ok();
    });
    EXPECT_TRUE(s.ok()) << s.to_string();
    return n;
  }

  // The ledger invariants: money is conserved and every balance matches the transfers.
  void expect_consistent() {
    EXPECT_EQ(query_int("SELECT SUM(balance) FROM accounts"), kTotal);
    const int64_t mismatched = query_int(
        "SELECT COUNT(*) FROM accounts a WHERE a.balance <> 1000"
        " - COALESCE((SELECT SUM(amount) FROM transfers WHERE src = a.id), 0)"
        " + COALESCE((SELECT SUM(amount) FROM transfers WHERE dst = a.id), 0)");
    EXPECT_EQ(mismatched, 0);
  }

  std::string url_;
  std::unique_ptr<Db> db_;
};

TEST_P(DbTest, TypesRoundTrip) {
  const int64_t kMax = std::numeric_limits<int64_t>::max();
  const int64_t kMin = std::numeric_limits<int64_t>::min();
  std::string all_bytes;
  for (int b = 0; b < 256; ++b) all_bytes.push_back(static_cast<char>(b));
  const std::string chinese = "珍珠奶茶 pearl milk tea 🧋 ¥46 – “引号” 'quote'";
  struct Case {
    Value i, r, t, b, flag;
  };
  const std::vector<Case> cases = {
      {kMax, 0.1, chinese, Value::blob(all_bytes), true},
      {kMin, -1e300, "", Value::blob(""), false},
      {0, 6.02214076e23, "plain", Value::blob(std::string("\0\xff", 2)), 1},
      {nullptr, nullptr, nullptr, nullptr, nullptr},
  };
  std::vector<int64_t> ids;
  ASSERT_TRUE(
      db_->transact([&](Tx& tx) -> Status {
           ids.clear();
           for (const Case& c : cases) {
             QWL_ASSIGN_OR_RETURN(
                 int64_t id,
                 tx.query_int64("INSERT INTO things (i, r, t, b, flag) VALUES (?, ?, ?, ?, ?)"
                                " RETURNING id",
                                {c.i, c.r, c.t, c.b, c.flag}));
             ids.push_back(id);
           }
           return Status::Ok();
         })
          .ok());
  ASSERT_EQ(ids.size(), cases.size());
  EXPECT_LT(ids[0], ids[1]);
  for (size_t k = 0; k < cases.size(); ++k) {
    Row row;
    ASSERT_TRUE(db_->read([&](Tx& tx) -> Status {
                     QWL_ASSIGN_OR_RETURN(row, tx.query_row("SELECT i, r, t, b, flag FROM things"
                                                            " WHERE id = ?",
                                                            {ids[k]}));
                     return Status::Ok();
                   })
                    .ok());
    const Case& c = cases[k];
    EXPECT_EQ(row[0], c.i) << row[0].debug_string();
    EXPECT_EQ(row[1], c.r) << row[1].debug_string();
    EXPECT_EQ(row[2], c.t) << row[2].debug_string();
    EXPECT_EQ(row[3], c.b) << row[3].debug_string();
    // Booleans read back as 0/1 on both databases.
    const Value flag = c.flag.is_null() ? Value() : Value(c.flag.int64() ? 1 : 0);
    EXPECT_EQ(row[4], flag) << row[4].debug_string();
  }
  // Empty text is not NULL, on both.
  EXPECT_EQ(query_int("SELECT COUNT(*) FROM things WHERE t = ''"), 1);
  EXPECT_EQ(query_int("SELECT COUNT(*) FROM things WHERE t IS NULL"), 1);
  EXPECT_EQ(query_int("SELECT COUNT(*) FROM things WHERE flag = TRUE"), 2);
  // Chinese text is compared as text, not bytes mangled by an encoding.
  EXPECT_EQ(query_int("SELECT COUNT(*) FROM things WHERE t LIKE ?", {"%奶茶%"}), 1);
  // Aggregates have the same shape on both: SUM of BIGINT is an integer (NUMERIC on PG).
  EXPECT_EQ(query_int("SELECT SUM(balance) FROM accounts"), kTotal);
}

TEST_P(DbTest, DialectTokensAndUpsert) {
  ASSERT_TRUE(db_->transact([&](Tx& tx) -> Status {
                   for (int k = 0; k < 3; ++k) {
                     QWL_RETURN_IF_ERROR(
                         tx.exec("INSERT INTO counters (name, n) VALUES (?, ?)"
                                 " ON CONFLICT (name) DO UPDATE SET n = counters.n + excluded.n",
                                 {"upsert", 5})
                             .status());
                   }
                   return Status::Ok();
                 })
                  .ok());
  EXPECT_EQ(query_int("SELECT n FROM counters WHERE name = ?", {"upsert"}), 15);
  EXPECT_EQ(query_int("SELECT COUNT(*) FROM accounts WHERE owner {{ilike}} ?", {"ALI%"}), 1);
  const int64_t now_us = std::chrono::duration_cast<std::chrono::microseconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count();
  const int64_t db_now_us = query_int("SELECT {{now_us}}");
  EXPECT_LT(std::llabs(db_now_us - now_us), 60'000'000) << db_now_us << " vs " << now_us;
}

TEST_P(DbTest, CommitAndRollback) {
  auto insert = [&](Tx& tx, const char* owner) {
    return tx.exec("INSERT INTO accounts (owner, balance) VALUES (?, 0)", {owner}).status();
  };
  ASSERT_TRUE(db_->transact([&](Tx& tx) { return insert(tx, "dave"); }).ok());
  EXPECT_EQ(query_int("SELECT COUNT(*) FROM accounts WHERE owner = 'dave'"), 1);
  int64_t deleted = 0;
  ASSERT_TRUE(db_->transact([&](Tx& tx) -> Status {
                   QWL_ASSIGN_OR_RETURN(deleted,
                                        tx.exec("DELETE FROM accounts WHERE owner LIKE 'dav%'"));
                   return Status::Ok();
                 })
                  .ok());
  EXPECT_EQ(deleted, 1);

  Status s = db_->transact([&](Tx& tx) -> Status {
    QWL_RETURN_IF_ERROR(insert(tx, "erin"));
    return PermissionDeniedError("changed my mind");
  });
  EXPECT_EQ(s.code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(s.message(), "changed my mind");
  EXPECT_EQ(query_int("SELECT COUNT(*) FROM accounts WHERE owner = 'erin'"), 0);

  // A failed statement fails the whole transaction, even when the callable ignores it.
  s = db_->transact([&](Tx& tx) -> Status {
    QWL_RETURN_IF_ERROR(insert(tx, "frank"));
    Status dup = insert(tx, "alice");
    EXPECT_EQ(dup.code(), StatusCode::kInvalidArgument) << dup.to_string();
    EXPECT_FALSE(insert(tx, "gina").ok());
    return Status::Ok();
  });
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << s.to_string();
  EXPECT_EQ(query_int("SELECT COUNT(*) FROM accounts WHERE owner IN ('frank', 'gina')"), 0);

  // Constraint checks (CHECK, FOREIGN KEY) are on in both.
  s = db_->transact([&](Tx& tx) {
    return tx.exec("UPDATE accounts SET balance = -1 WHERE owner = 'bob'").status();
  });
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << s.to_string();
  s = db_->transact([&](Tx& tx) {
    return tx.exec("INSERT INTO transfers (src, dst, amount) VALUES (999, 998, 1)").status();
  });
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << s.to_string();
  expect_consistent();
}

TEST_P(DbTest, MisuseIsRefusedClearly) {
  Status nested = db_->transact([&](Tx&) -> Status {
    Status inner = db_->transact([](Tx&) { return Status::Ok(); });
    EXPECT_EQ(inner.code(), StatusCode::kInvalidArgument);
    EXPECT_NE(inner.message().find("nested transaction"), std::string::npos) << inner.message();
    EXPECT_EQ(db_->read([](Tx&) { return Status::Ok(); }).code(), StatusCode::kInvalidArgument);
    return Status::Ok();
  });
  EXPECT_TRUE(nested.ok()) << nested.to_string();

  Status write_in_read =
      db_->read([](Tx& tx) { return tx.exec("UPDATE accounts SET balance = 0").status(); });
  EXPECT_FALSE(write_in_read.ok());
  EXPECT_EQ(query_int("SELECT SUM(balance) FROM accounts"), kTotal);

  Status wrong_count = db_->read([](Tx& tx) {
    return tx.query("SELECT * FROM accounts WHERE id = ?", {1, 2}).status();
  });
  EXPECT_EQ(wrong_count.code(), StatusCode::kInvalidArgument) << wrong_count.to_string();
  EXPECT_NE(wrong_count.message().find("2 parameters given"), std::string::npos);

  auto bad_url = Db::open("mysql://localhost/x");
  EXPECT_EQ(bad_url.status().code(), StatusCode::kInvalidArgument);
}

// Read-modify-write increments: lost updates would show as a short total.
TEST_P(DbTest, ConcurrentIncrementsGiveTheExactTotal) {
  constexpr int kThreads = 8;
  constexpr int kPerThread = 250;
  std::atomic<int> errors{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int k = 0; k < kPerThread; ++k) {
        Status s = db_->transact([&](Tx& tx) -> Status {
          QWL_ASSIGN_OR_RETURN(int64_t n,
                               tx.query_int64("SELECT n FROM counters WHERE name = 'c'"));
          return tx.exec("UPDATE counters SET n = ? WHERE name = 'c'", {n + 1}).status();
        });
        if (!s.ok()) {
          ADD_FAILURE() << s.to_string();
          ++errors;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(errors.load(), 0);
  EXPECT_EQ(query_int("SELECT n FROM counters WHERE name = 'c'"), kThreads * kPerThread);
  const DbStats stats = db_->stats();
  EXPECT_EQ(stats.failures, 0);
  RecordProperty("retries", static_cast<int>(stats.retries));
}

// Steady contention on one row cannot starve a writer: with max_attempts one past
// exclusive_after, the last attempt runs alone among the Db's writers and must commit. (Without
// the gate, 8 PostgreSQL writers of one row lose four races in a row many times over.)
TEST_P(DbTest, ContentionCannotStarveAWriter) {
  DbOptions tight;
  tight.exclusive_after = 3;
  tight.max_attempts = 4;
  tight.backoff_min_us = 50;
  tight.backoff_max_us = 200;
  auto db = Db::open(url_, tight);
  ASSERT_TRUE(db.ok()) << db.status().to_string();
  constexpr int kThreads = 8;
  constexpr int kPerThread = 100;
  std::atomic<int> errors{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int k = 0; k < kPerThread; ++k) {
        Status s = (*db)->transact([&](Tx& tx) -> Status {
          QWL_ASSIGN_OR_RETURN(int64_t n,
                               tx.query_int64("SELECT n FROM counters WHERE name = 'c'"));
          return tx.exec("UPDATE counters SET n = ? WHERE name = 'c'", {n + 1}).status();
        });
        if (!s.ok() && errors.fetch_add(1) < 3) ADD_FAILURE() << s.to_string();
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(errors.load(), 0);
  EXPECT_EQ(query_int("SELECT n FROM counters WHERE name = 'c'"), kThreads * kPerThread);
  RecordProperty("retries", static_cast<int>((*db)->stats().retries));
}

// Two writers that collide: on PostgreSQL two SERIALIZABLE transactions update the row both
// read (40001); on SQLite a second Db on the same file (another process, in effect) finds the
// write lock taken (SQLITE_BUSY). Either way the loser runs again and both increments land.
TEST_P(DbTest, RetriesABusyOrSerializationConflict) {
  DbOptions impatient;
  impatient.busy_timeout_ms = 0;
  auto other = Db::open(url_, impatient);
  ASSERT_TRUE(other.ok()) << other.status().to_string();
  Db* dbs[2] = {db_.get(), other->get()};

  // PostgreSQL: both transactions have read before either writes. SQLite: the second starts
  // while the first holds the write lock.
  std::latch both_read(2), holder_ready(1);
  std::atomic<int> calls{0};
  auto increment = [&](int who) {
    bool first_attempt = true;
    return dbs[who]->transact([&](Tx& tx) -> Status {
      ++calls;
      QWL_ASSIGN_OR_RETURN(int64_t n, tx.query_int64("SELECT n FROM counters WHERE name = 'c'"));
      if (first_attempt) {
        first_attempt = false;
        if (tx.kind() == DbKind::kPostgres) {
          both_read.arrive_and_wait();
        } else if (who == 0) {
          holder_ready.count_down();
          std::this_thread::sleep_for(std::chrono::milliseconds(300));
        }
      }
      return tx.exec("UPDATE counters SET n = ? WHERE name = 'c'", {n + 1}).status();
    });
  };
  Status results[2];
  std::thread first([&] { results[0] = increment(0); });
  if (GetParam() == DbKind::kSqlite) holder_ready.wait();
  std::thread second([&] { results[1] = increment(1); });
  first.join();
  second.join();
  ASSERT_TRUE(results[0].ok()) << results[0].to_string();
  ASSERT_TRUE(results[1].ok()) << results[1].to_string();
  EXPECT_EQ(query_int("SELECT n FROM counters WHERE name = 'c'"), 2);
  // PostgreSQL reruns the callable after its UPDATE fails; SQLite fails at BEGIN IMMEDIATE,
  // before the callable runs again.
  EXPECT_GE(calls.load(), GetParam() == DbKind::kPostgres ? 3 : 2);
  EXPECT_GE(dbs[0]->stats().retries + dbs[1]->stats().retries, 1);
}

TEST_P(DbTest, GivesUpAfterMaxAttempts) {
  DbOptions once;
  once.busy_timeout_ms = 0;
  once.max_attempts = 1;
  auto other = Db::open(url_, once);
  ASSERT_TRUE(other.ok()) << other.status().to_string();
  std::latch holding(1), done(1);
  std::thread holder([&] {
    Status s = db_->transact([&](Tx& tx) -> Status {
      QWL_RETURN_IF_ERROR(tx.exec("UPDATE counters SET n = n + 1 WHERE name = 'c'").status());
      holding.count_down();
      done.wait();
      return Status::Ok();
    });
    EXPECT_TRUE(s.ok()) << s.to_string();
  });
  holding.wait();
  Status s = (*other)->transact([&](Tx& tx) -> Status {
    if (tx.kind() == DbKind::kPostgres) {
      // Fail fast instead of waiting for the holder's row lock.
      QWL_RETURN_IF_ERROR(tx.exec("SET LOCAL lock_timeout = '50ms'").status());
    }
    return tx.exec("UPDATE counters SET n = n + 1 WHERE name = 'c'").status();
  });
  done.count_down();
  holder.join();
  if (GetParam() == DbKind::kSqlite) {
    EXPECT_EQ(s.code(), StatusCode::kUnavailable) << s.to_string();
    EXPECT_NE(s.message().find("gave up after 1 attempts"), std::string::npos) << s.message();
  } else {
    // A lock timeout (55P03) is not a serialization failure: reported, not retried.
    EXPECT_FALSE(s.ok());
  }
  EXPECT_EQ((*other)->stats().retries, 0);
  EXPECT_EQ(query_int("SELECT n FROM counters WHERE name = 'c'"), 1);
}

// A child process killed with SIGKILL in the middle of a transfer (after the debit, before the
// credit), and another killed at a random point of a stream of transfers: the database must
// hold only whole transfers and stay usable.
TEST_P(DbTest, SigkillMidTransactionLeavesTheDatabaseConsistent) {
  auto transfer = [](Tx& tx, int64_t src, int64_t dst, int64_t amount) -> Status {
    QWL_RETURN_IF_ERROR(
        tx.exec("UPDATE accounts SET balance = balance - ? WHERE id = ?", {amount, src}).status());
    QWL_RETURN_IF_ERROR(
        tx.exec("UPDATE accounts SET balance = balance + ? WHERE id = ?", {amount, dst}).status());
    return tx.exec("INSERT INTO transfers (src, dst, amount) VALUES (?, ?, ?)", {src, dst, amount})
        .status();
  };

  for (int mode = 0; mode < 2; ++mode) {
    int fds[2];
    ASSERT_EQ(pipe(fds), 0);
    const pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      // The child: its own Db (connections never cross fork), and _exit, never return.
      close(fds[0]);
      auto db = Db::open(url_, DbOptions{.pool_size = 1});
      if (!db.ok()) _exit(2);
      if (mode == 0) {
        Status s = (*db)->transact([&](Tx& tx) -> Status {
          QWL_RETURN_IF_ERROR(
              tx.exec("UPDATE accounts SET balance = balance - 100 WHERE id = 1").status());
          if (write(fds[1], "x", 1) != 1) _exit(3);
          pause();  // killed here, with the debit written but not committed
          return Status::Ok();
        });
        _exit(s.ok() ? 0 : 4);
      }
      bool told = false;
      for (int64_t k = 0;; ++k) {
        Status s = (*db)->transact(
            [&](Tx& tx) { return transfer(tx, 1 + k % 3, 1 + (k + 1) % 3, 1 + k % 7); });
        if (!s.ok()) _exit(5);
        if (k == 20 && !told) {
          told = true;
          if (write(fds[1], "x", 1) != 1) _exit(3);
        }
      }
    }
    close(fds[1]);
    char c = 0;
    ASSERT_EQ(read(fds[0], &c, 1), 1) << "the child failed before its signal";
    close(fds[0]);
    if (mode == 1) std::this_thread::sleep_for(std::chrono::milliseconds(50 + getpid() % 50));
    ASSERT_EQ(kill(pid, SIGKILL), 0);
    int wstatus = 0;
    ASSERT_EQ(waitpid(pid, &wstatus, 0), pid);
    ASSERT_TRUE(WIFSIGNALED(wstatus) && WTERMSIG(wstatus) == SIGKILL) << wstatus;

    // A fresh Db, as after a restart; then the old one too.
    auto reopened = Db::open(url_);
    ASSERT_TRUE(reopened.ok()) << reopened.status().to_string();
    std::swap(db_, *reopened);
    expect_consistent();
    if (mode == 0) {
      EXPECT_EQ(query_int("SELECT balance FROM accounts WHERE id = 1"), 1000);
    } else {
      EXPECT_GT(query_int("SELECT COUNT(*) FROM transfers"), 20);
    }
    if (GetParam() == DbKind::kSqlite) {
      std::string check;
      ASSERT_TRUE(db_->read([&](Tx& tx) -> Status {
                       QWL_ASSIGN_OR_RETURN(Row row, tx.query_row("PRAGMA integrity_check"));
                       check = row.text(0);
                       return Status::Ok();
                     })
                      .ok());
      EXPECT_EQ(check, "ok");
    }
    // The database takes writes again (no lock left behind by the dead child).
    Status s = db_->transact([&](Tx& tx) { return transfer(tx, 2, 3, 5); });
    ASSERT_TRUE(s.ok()) << s.to_string();
    expect_consistent();
  }
}

INSTANTIATE_TEST_SUITE_P(Both, DbTest, ::testing::Values(DbKind::kSqlite, DbKind::kPostgres),
                         [](const auto& info) { return std::string(Dialect(info.param).name()); });

}  // namespace
}  // namespace qwl
