// Backup and restore on SQLite and PostgreSQL: a round trip keeps every row, a non-empty target
// needs force, garbage and newer schemas are refused, a damaged SQLite backup fails its
// integrity check, and a backup taken while a writer commits is one consistent snapshot.
#include "store/backup.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <thread>

#include "store/db.h"
#include "store/migrations.h"
#include "store/test_db.h"

namespace qwl {
namespace {

namespace fs = std::filesystem;

const Migration kMigrations[] = {
    {.version = 1,
     .name = "items",
     .up = "CREATE TABLE items (id {{pk}}, amount BIGINT NOT NULL, note TEXT NOT NULL DEFAULT '')"},
    {.version = 2, .name = "items_amount", .up = "CREATE INDEX items_amount ON items (amount)"},
};

class BackupTest : public ::testing::TestWithParam<DbKind> {
 protected:
  void SetUp() override {
    static std::atomic<int> counter{0};
    dir_ = fs::temp_directory_path() /
           fmt::format("qwl-backup-test-{}-{}", ::getpid(), counter.fetch_add(1));
    fs::create_directories(dir_);
    auto url = fresh_database_url(GetParam(), kMigrations);
    ASSERT_TRUE(url.ok()) << url.status().to_string();
    url_ = *url;
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  // A URL of a new database without any table.
  std::string empty_url() {
    static std::atomic<int> counter{0};
    if (GetParam() == DbKind::kSqlite)
      return (dir_ / fmt::format("empty-{}.db", counter.fetch_add(1))).string();
    auto admin_url = test_postgres_admin_url();
    EXPECT_TRUE(admin_url.ok()) << admin_url.status().to_string();
    const std::string name = fmt::format("restore_target_{}_{}", ::getpid(), counter.fetch_add(1));
    auto admin = Db::open(*admin_url, DbOptions{.pool_size = 1});
    EXPECT_TRUE(admin.ok());
    EXPECT_TRUE((*admin)->exec_outside_transaction("CREATE DATABASE " + name).ok());
    std::string url = *admin_url;
    const size_t at = url.find("/postgres?");
    return url.substr(0, at + 1) + name + url.substr(at + 9);
  }

  Status insert(Db& db, int n) {
    return db.transact([&](Tx& tx) -> Status {
      for (int i = 0; i < n; ++i) {
        QWL_RETURN_IF_ERROR(tx.exec("INSERT INTO items (amount, note) VALUES (?, ?)",
                                    {i, fmt::format("第{}项 item {}", i, std::string(40, 'x'))})
                                .status());
      }
      return Status::Ok();
    });
  }

  static int64_t scalar(Db& db, std::string_view sql) {
    int64_t v = -1;
    Status s = db.read([&](Tx& tx) -> Status {
      QWL_ASSIGN_OR_RETURN(v, tx.query_int64(sql));
      return Status::Ok();
    });
    EXPECT_TRUE(s.ok()) << s.to_string();
    return v;
  }

  std::unique_ptr<Db> open(const std::string& url) {
    auto db = Db::open(url, DbOptions{.pool_size = 2});
    EXPECT_TRUE(db.ok()) << db.status().to_string();
    return db.ok() ? std::move(*db) : nullptr;
  }

  std::string file(std::string_view name) const { return (dir_ / name).string(); }

  fs::path dir_;
  std::string url_;
};

TEST_P(BackupTest, RoundTripKeepsEveryRow) {
  {
    auto db = open(url_);
    ASSERT_TRUE(insert(*db, 500).ok());
  }
  auto backup = backup_database(url_, file("b.bak"));
  ASSERT_TRUE(backup.ok()) << backup.status().to_string();
  EXPECT_EQ(backup->kind, GetParam());
  EXPECT_GT(backup->bytes, 1000);
  EXPECT_FALSE(fs::exists(file("b.bak.tmp")));

  const std::string target = empty_url();
  auto restored = restore_database(target, file("b.bak"), {.newest_known_version = 2});
  ASSERT_TRUE(restored.ok()) << restored.status().to_string();
  EXPECT_EQ(restored->schema_version, 2);
  EXPECT_EQ(restored->tables, 2);  // items and schema_migrations
  EXPECT_EQ(restored->integrity, GetParam() == DbKind::kSqlite ? "ok" : "not checked");

  auto db = open(target);
  EXPECT_EQ(scalar(*db, "SELECT COUNT(*) FROM items"), 500);
  EXPECT_EQ(scalar(*db, "SELECT SUM(amount) FROM items"), 499 * 500 / 2);
  EXPECT_EQ(scalar(*db, "SELECT COUNT(*) FROM items WHERE note LIKE '第42项%'"), 1);
  // The restored database is a working one: migrations see it as current, ids go on.
  auto report = migrate(*db, kMigrations);
  ASSERT_TRUE(report.ok()) << report.status().to_string();
  EXPECT_EQ(report->applied, 0);
  ASSERT_TRUE(insert(*db, 1).ok());
  EXPECT_EQ(scalar(*db, "SELECT MAX(id) FROM items"), 501);
}

TEST_P(BackupTest, RefusesToOverwriteUnlessForced) {
  auto db = open(url_);
  ASSERT_TRUE(insert(*db, 10).ok());
  ASSERT_TRUE(backup_database(url_, file("b.bak")).ok());
  // An existing output file.
  auto again = backup_database(url_, file("b.bak"));
  EXPECT_EQ(again.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_TRUE(backup_database(url_, file("b.bak"), {.overwrite = true}).ok());

  ASSERT_TRUE(insert(*db, 5).ok());
  db.reset();  // a restore wants no server on the database
  auto refused = restore_database(url_, file("b.bak"));
  EXPECT_EQ(refused.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(refused.status().message().find("--force"), std::string::npos);
  db = open(url_);
  EXPECT_EQ(scalar(*db, "SELECT COUNT(*) FROM items"), 15);
  db.reset();

  auto forced = restore_database(url_, file("b.bak"), {.force = true});
  ASSERT_TRUE(forced.ok()) << forced.status().to_string();
  db = open(url_);
  EXPECT_EQ(scalar(*db, "SELECT COUNT(*) FROM items"), 10);
}

TEST_P(BackupTest, RefusesGarbageMissingFilesAndNewerSchemas) {
  { std::ofstream(file("garbage.bak")) << std::string(8192, 'g'); }
  const std::string target = empty_url();
  auto garbage = restore_database(target, file("garbage.bak"));
  EXPECT_EQ(garbage.status().code(), StatusCode::kInvalidArgument) << garbage.status().to_string();
  EXPECT_EQ(restore_database(target, file("missing.bak")).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(backup_database("mysql://x", file("x.bak")).status().code(),
            StatusCode::kInvalidArgument);
  if (GetParam() == DbKind::kSqlite) {
    EXPECT_EQ(backup_database(file("no-such.db"), file("x.bak")).status().code(),
              StatusCode::kNotFound);
  }

  ASSERT_TRUE(backup_database(url_, file("b.bak")).ok());
  auto newer = restore_database(target, file("b.bak"), {.newest_known_version = 1});
  EXPECT_EQ(newer.status().code(), StatusCode::kUnsupported) << newer.status().to_string();
  EXPECT_NE(newer.status().message().find("newer than this binary"), std::string::npos);
  if (GetParam() == DbKind::kSqlite) {
    // Checked before the target was written: it is still empty.
    auto db = open(target);
    EXPECT_EQ(scalar(*db, "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table'"), 0);
  }
}

TEST_P(BackupTest, DamagedBackupIsRefusedAndLeavesTheTargetEmpty) {
  {
    auto db = open(url_);
    ASSERT_TRUE(insert(*db, 3000).ok());
  }
  ASSERT_TRUE(backup_database(url_, file("b.bak")).ok());
  const auto size = static_cast<std::streamoff>(fs::file_size(file("b.bak")));
  if (GetParam() == DbKind::kSqlite) {
    // Overwrite the middle of the file (b-tree pages) with garbage; the header stays intact.
    std::fstream f(file("b.bak"), std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(size / 2);
    const std::string junk(8192, '\x5a');
    f.write(junk.data(), static_cast<std::streamsize>(junk.size()));
  } else {
    // A dump cut short (the table of contents at its start survives, the data does not).
    fs::resize_file(file("b.bak"), static_cast<uintmax_t>(size / 2));
  }
  const std::string target = empty_url();
  auto restored = restore_database(target, file("b.bak"));
  ASSERT_FALSE(restored.ok());
  if (GetParam() == DbKind::kSqlite) {
    EXPECT_EQ(restored.status().code(), StatusCode::kCorrupt) << restored.status().to_string();
    EXPECT_NE(restored.status().message().find("integrity"), std::string::npos);
  }
  // pg_restore ran in one transaction, and SQLite's check came before the copy.
  auto db = open(target);
  const char* count_tables =
      GetParam() == DbKind::kSqlite
          ? "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table'"
          : "SELECT COUNT(*) FROM pg_catalog.pg_tables WHERE schemaname = 'public'";
  EXPECT_EQ(scalar(*db, count_tables), 0);
}

TEST_P(BackupTest, BackupWhileWritingIsOneSnapshot) {
  auto db = open(url_);
  std::atomic<bool> stop{false};
  std::atomic<int64_t> commits{0};
  // Every transaction inserts +k and -k: any consistent snapshot sums to zero with an even
  // number of rows; a torn copy would not.
  std::thread writer([&] {
    for (int64_t k = 1; !stop.load(); ++k) {
      Status s = db->transact([&](Tx& tx) -> Status {
        QWL_RETURN_IF_ERROR(tx.exec("INSERT INTO items (amount) VALUES (?)", {k}).status());
        return tx.exec("INSERT INTO items (amount) VALUES (?)", {-k}).status();
      });
      if (s.ok()) ++commits;
    }
  });
  std::vector<std::string> copies;
  for (int i = 0; i < 3; ++i) {
    while (commits.load() < 50 * (i + 1)) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    const std::string out = file(fmt::format("live-{}.bak", i));
    auto b = backup_database(url_, out);
    ASSERT_TRUE(b.ok()) << b.status().to_string();
    copies.push_back(out);
  }
  stop = true;
  writer.join();
  for (const std::string& copy : copies) {
    const std::string target = empty_url();
    auto r = restore_database(target, copy);
    ASSERT_TRUE(r.ok()) << r.status().to_string();
    auto restored = open(target);
    const int64_t rows = scalar(*restored, "SELECT COUNT(*) FROM items");
    EXPECT_GT(rows, 0);
    EXPECT_EQ(rows % 2, 0);
    EXPECT_EQ(scalar(*restored, "SELECT COALESCE(SUM(amount), 0) FROM items"), 0);
  }
}

TEST(BackupToolsTest, FindsThePostgresClientPrograms) {
  auto dir = find_postgres_program("pg_dump");
  ASSERT_TRUE(dir.ok()) << dir.status().to_string();
  EXPECT_TRUE(fs::exists(*dir + "/pg_dump"));
  auto missing = find_postgres_program("pg_no_such_program");
  EXPECT_EQ(missing.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(missing.status().message().find("postgresql-client"), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(Db, BackupTest, ::testing::Values(DbKind::kSqlite, DbKind::kPostgres),
                         [](const auto& info) {
                           return info.param == DbKind::kSqlite ? "sqlite" : "postgres";
                         });

}  // namespace
}  // namespace qwl
