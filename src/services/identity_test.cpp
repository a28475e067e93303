// Identity on SQLite and PostgreSQL: users and their rules, passwords and web sessions (expiry,
// sign-out, disabled accounts), API keys (stored hashed, shown once, revoked, refused), the
// actor rules of every call, and bad input.
#include "services/identity.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "services/ledger.h"
#include "services/services_testing.h"

namespace qwl::services {
namespace {

constexpr int64_t kHourUs = 3600LL * 1'000'000;

class IdentityTest : public ::testing::TestWithParam<DbKind> {
 protected:
  void SetUp() override {
    auto db = testing::fresh_db(GetParam(), DbOptions{.pool_size = 4, .max_attempts = 200});
    ASSERT_TRUE(db.ok()) << db.status().to_string();
    db_ = std::move(*db);
    // Few PBKDF2 iterations: the tests check behaviour, not the cost.
    identity_ = std::make_unique<Identity>(
        *db_, clock_, random_,
        IdentityOptions{.session_ttl_us = 24 * kHourUs, .password_iterations = 100});
  }

  User make_user(std::string_view email, Role role = Role::kCustomer,
                 std::string_view password = "") {
    auto user = identity_->create_user(
        admin_,
        NewUser{.email = std::string(email), .role = role, .password = std::string(password)});
    EXPECT_TRUE(user.ok()) << user.status().to_string();
    return user.ok() ? *user : User{};
  }

  int64_t count(std::string_view sql, Params params = {}) {
    int64_t n = -1;
    EXPECT_TRUE(db_->read([&](Tx& tx) -> Status {
                     QWL_ASSIGN_OR_RETURN(n, tx.query_int64(sql, params));
                     return Status::Ok();
                   })
                    .ok());
    return n;
  }

  ManualClock clock_;
  SeededRandom random_{42};
  std::unique_ptr<Db> db_;
  std::unique_ptr<Identity> identity_;
  Actor admin_ = Actor::system();
};

TEST_P(IdentityTest, CreatesUsersWithNormalisedEmailsAndRefusesDuplicates) {
  auto alice = identity_->create_user(admin_, NewUser{.email = "  Alice@Example.COM ",
                                                      .name = "Alice 爱丽丝",
                                                      .role = Role::kMerchant,
                                                      .locale = "zh",
                                                      .daily_spend_limit = 50'000});
  ASSERT_TRUE(alice.ok()) << alice.status().to_string();
  EXPECT_EQ(alice->email, "alice@example.com");
  EXPECT_EQ(alice->name, "Alice 爱丽丝");
  EXPECT_EQ(alice->role, Role::kMerchant);
  EXPECT_EQ(alice->locale, "zh");
  EXPECT_FALSE(alice->has_password);
  EXPECT_EQ(alice->daily_spend_limit, 50'000);
  EXPECT_FALSE(alice->disabled);
  EXPECT_EQ(alice->created_at_us, clock_.wall_us());

  // The same address in other case is the same user.
  auto again = identity_->create_user(admin_, NewUser{.email = "ALICE@example.com"});
  EXPECT_EQ(again.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(again.status().message().find("already used"), std::string::npos);

  // A name defaults to the email's local part.
  EXPECT_EQ(make_user("bob@example.com").name, "bob");

  auto found = identity_->find_user(admin_, "ALICE@EXAMPLE.COM");
  ASSERT_TRUE(found.ok());
  EXPECT_EQ(found->id, alice->id);
  EXPECT_EQ(identity_->find_user(admin_, "nobody@example.com").status().code(),
            StatusCode::kNotFound);
}

TEST_P(IdentityTest, RefusesBadInput) {
  for (std::string_view email : {"", "no-at-sign", "@example.com", "a@b", "a@@b.com", "a b@c.com",
                                 "a@b.", "a@.com", "a@b.com\n"}) {
    auto r = identity_->create_user(admin_, NewUser{.email = std::string(email)});
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << "'" << email << "'";
    EXPECT_NE(r.status().message().find("email"), std::string::npos) << r.status().message();
  }
  auto r = identity_->create_user(admin_, NewUser{.email = "x@y.com", .locale = "fr"});
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("locale"), std::string::npos);
  r = identity_->create_user(admin_, NewUser{.email = "x@y.com", .daily_spend_limit = -1});
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  r = identity_->create_user(admin_, NewUser{.email = "x@y.com", .name = std::string(300, 'n')});
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  r = identity_->create_user(admin_, NewUser{.email = "x@y.com", .name = "bad\x01name"});
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  // Nothing of the refused users was written.
  EXPECT_EQ(count("SELECT COUNT(*) FROM users"), 0);
}

TEST_P(IdentityTest, RefusesWeakPasswordsWithoutEchoingThem) {
  for (std::string_view pw : {"short1", "aaaaaaaaaaaa", "Password1", "12345678", "carol@x.org",
                              "carol", "\xff\xfe\xfd\xfc\xfb\xfa\xf9\xf8"}) {
    auto r = identity_->create_user(admin_,
                                    NewUser{.email = "carol@x.org", .password = std::string(pw)});
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << pw;
    EXPECT_NE(r.status().message().find("password"), std::string::npos);
    if (pw.size() > 5) {
      EXPECT_EQ(r.status().message().find(pw), std::string::npos);
    }
  }
  EXPECT_EQ(check_password_strength("", "").code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(check_password_strength(std::string(kMaxPasswordBytes + 1, 'x') + "y").code(),
            StatusCode::kInvalidArgument);
  // Eight code points of Chinese are eight characters, though 24 bytes.
  EXPECT_TRUE(check_password_strength("我的密码很安全啊").ok());
  EXPECT_EQ(check_password_strength("我的密码很安全").code(), StatusCode::kInvalidArgument);
  const User u = make_user("carol@x.org", Role::kCustomer, "correct horse battery");
  EXPECT_TRUE(u.has_password);
  EXPECT_EQ(identity_->set_password(u.actor(), u.id, "").code(), StatusCode::kInvalidArgument);
}

TEST_P(IdentityTest, OnlyAdminsManageUsersAndOthersAreNotFound) {
  const User alice = make_user("alice@example.com");
  const User bob = make_user("bob@example.com", Role::kMerchant);
  const Actor a = alice.actor();

  EXPECT_EQ(identity_->create_user(a, NewUser{.email = "eve@example.com"}).status().code(),
            StatusCode::kPermissionDenied);
  EXPECT_EQ(identity_->list_users(a).status().code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(identity_->set_role(a, a.user_id, Role::kAdmin).code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(identity_->set_disabled(a, bob.id, true).code(), StatusCode::kPermissionDenied);

  // Oneself: visible. Someone else, or nobody: the same NotFound.
  EXPECT_TRUE(identity_->get_user(a, alice.id).ok());
  const Status other = identity_->get_user(a, bob.id).status();
  const Status missing = identity_->get_user(admin_, 9999).status();
  EXPECT_EQ(other.code(), StatusCode::kNotFound);
  EXPECT_EQ(missing.code(), StatusCode::kNotFound);
  EXPECT_EQ(identity_->find_user(a, "bob@example.com").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(identity_->set_password(a, bob.id, "a long passphrase").code(), StatusCode::kNotFound);
  EXPECT_EQ(identity_->set_daily_spend_limit(a, bob.id, 1).code(), StatusCode::kNotFound);

  // An admin changes roles, but not their own; unknown users are NotFound.
  EXPECT_TRUE(identity_->set_role(admin_, alice.id, Role::kMerchant).ok());
  EXPECT_EQ(identity_->get_user(admin_, alice.id)->role, Role::kMerchant);
  const User root = make_user("root@example.com", Role::kAdmin);
  EXPECT_EQ(identity_->set_role(root.actor(), root.id, Role::kCustomer).code(),
            StatusCode::kFailedPrecondition);
  EXPECT_EQ(identity_->set_disabled(root.actor(), root.id, true).code(),
            StatusCode::kFailedPrecondition);
  EXPECT_EQ(identity_->set_role(admin_, 9999, Role::kAdmin).code(), StatusCode::kNotFound);
  EXPECT_EQ(identity_->set_disabled(admin_, 9999, true).code(), StatusCode::kNotFound);

  // Spending limits: oneself or an admin, within bounds, removable.
  EXPECT_TRUE(identity_->set_daily_spend_limit(a, alice.id, 20'000).ok());
  EXPECT_EQ(identity_->get_user(a, alice.id)->daily_spend_limit, 20'000);
  EXPECT_EQ(identity_->set_daily_spend_limit(a, alice.id, -5).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(identity_->set_daily_spend_limit(a, alice.id, kMaxAmount + 1).code(),
            StatusCode::kInvalidArgument);
  EXPECT_TRUE(identity_->set_daily_spend_limit(admin_, alice.id, std::nullopt).ok());
  EXPECT_FALSE(identity_->get_user(a, alice.id)->daily_spend_limit.has_value());
}

TEST_P(IdentityTest, ListsUsersInPages) {
  for (int i = 0; i < 5; ++i) make_user(fmt::format("u{}@example.com", i));
  auto first = identity_->list_users(admin_, 0, 2);
  ASSERT_TRUE(first.ok()) << first.status().to_string();
  ASSERT_EQ(first->users.size(), 2u);
  EXPECT_EQ(first->users[0].email, "u0@example.com");
  std::vector<std::string> seen;
  int64_t after = 0;
  for (int pages = 0; pages < 10; ++pages) {
    auto page = identity_->list_users(admin_, after, 2);
    ASSERT_TRUE(page.ok());
    for (const User& u : page->users) seen.push_back(u.email);
    after = page->next_after_id;
    if (after == 0) break;
  }
  EXPECT_EQ(seen.size(), 5u);
  EXPECT_EQ(seen.back(), "u4@example.com");
  EXPECT_EQ(identity_->list_users(admin_, 0, 0).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(identity_->list_users(admin_, 0, 1001).status().code(), StatusCode::kInvalidArgument);
}

TEST_P(IdentityTest, SignInKeepsOnlyTheTokensHashAndSessionsExpire) {
  const User u = make_user("dana@example.com", Role::kMerchant, "pearl milk tea!");
  auto session = identity_->sign_in("Dana@Example.com", "pearl milk tea!");
  ASSERT_TRUE(session.ok()) << session.status().to_string();
  EXPECT_EQ(session->token.size(), 43u);
  EXPECT_EQ(session->user.id, u.id);
  EXPECT_EQ(session->expires_at_us, clock_.wall_us() + 24 * kHourUs);
  // The table holds the SHA-256 of the token, never the token.
  EXPECT_EQ(count("SELECT COUNT(*) FROM web_sessions WHERE token_hash = ?",
                  {to_hex(sha256(session->token))}),
            1);
  EXPECT_EQ(count("SELECT COUNT(*) FROM web_sessions WHERE token_hash = ?", {session->token}), 0);

  auto resolved = identity_->resolve_session(session->token);
  ASSERT_TRUE(resolved.ok()) << resolved.status().to_string();
  EXPECT_EQ(resolved->actor.user_id, u.id);
  EXPECT_EQ(resolved->actor.role, Role::kMerchant);

  // Malformed or unknown tokens.
  for (std::string_view t : {"", "short", "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!",
                             "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"})
    EXPECT_EQ(identity_->resolve_session(t).status().code(), StatusCode::kUnauthenticated) << t;

  // A day later the session has expired.
  clock_.advance_us(24 * kHourUs - 1);
  EXPECT_TRUE(identity_->resolve_session(session->token).ok());
  clock_.advance_us(1);
  auto expired = identity_->resolve_session(session->token);
  EXPECT_EQ(expired.status().code(), StatusCode::kUnauthenticated);
  EXPECT_NE(expired.status().message().find("expired"), std::string::npos);
  auto purged = identity_->purge_expired_sessions();
  ASSERT_TRUE(purged.ok());
  EXPECT_EQ(*purged, 1);
  EXPECT_EQ(count("SELECT COUNT(*) FROM web_sessions"), 0);
}

TEST_P(IdentityTest, WrongPasswordsUnknownEmailsAndPasswordlessAccountsGetOneAnswer) {
  make_user("erin@example.com", Role::kCustomer, "violet sunrise 7");
  make_user("nopw@example.com");
  std::vector<Status> refusals = {
      identity_->sign_in("erin@example.com", "violet sunrise 8").status(),
      identity_->sign_in("erin@example.com", "").status(),
      identity_->sign_in("nobody@example.com", "violet sunrise 7").status(),
      identity_->sign_in("not an email", "violet sunrise 7").status(),
      identity_->sign_in("nopw@example.com", "").status(),
      identity_->sign_in("nopw@example.com", "anything at all").status(),
      identity_->sign_in("erin@example.com", std::string(5000, 'x')).status(),
  };
  for (const Status& s : refusals) {
    EXPECT_EQ(s.code(), StatusCode::kUnauthenticated);
    EXPECT_EQ(s.message(), "email or password is wrong");
  }
  EXPECT_EQ(count("SELECT COUNT(*) FROM web_sessions"), 0);
}

TEST_P(IdentityTest, SignOutPasswordChangeAndDisablingEndSessions) {
  const User u = make_user("fay@example.com", Role::kCustomer, "first passphrase");
  auto s1 = identity_->sign_in("fay@example.com", "first passphrase");
  auto s2 = identity_->sign_in("fay@example.com", "first passphrase");
  ASSERT_TRUE(s1.ok() && s2.ok());
  EXPECT_NE(s1->token, s2->token);

  ASSERT_TRUE(identity_->sign_out(s1->token).ok());
  EXPECT_EQ(identity_->resolve_session(s1->token).status().code(), StatusCode::kUnauthenticated);
  EXPECT_TRUE(identity_->resolve_session(s2->token).ok());
  EXPECT_TRUE(identity_->sign_out(s1->token).ok());  // already gone: fine
  EXPECT_TRUE(identity_->sign_out("junk").ok());

  // A new password signs out every browser; the old password no longer works.
  ASSERT_TRUE(identity_->set_password(u.actor(), u.id, "second passphrase").ok());
  EXPECT_EQ(identity_->resolve_session(s2->token).status().code(), StatusCode::kUnauthenticated);
  EXPECT_EQ(identity_->sign_in("fay@example.com", "first passphrase").status().code(),
            StatusCode::kUnauthenticated);
  auto s3 = identity_->sign_in("fay@example.com", "second passphrase");
  ASSERT_TRUE(s3.ok());

  // Disabled: sessions deleted, sign-in refused (403 once the password is right), and the
  // wrong password still gets the plain 401.
  ASSERT_TRUE(identity_->set_disabled(admin_, u.id, true).ok());
  EXPECT_EQ(identity_->resolve_session(s3->token).status().code(), StatusCode::kUnauthenticated);
  EXPECT_EQ(identity_->sign_in("fay@example.com", "second passphrase").status().code(),
            StatusCode::kPermissionDenied);
  EXPECT_EQ(identity_->sign_in("fay@example.com", "wrong passphrase").status().code(),
            StatusCode::kUnauthenticated);
  ASSERT_TRUE(identity_->set_disabled(admin_, u.id, false).ok());
  EXPECT_TRUE(identity_->sign_in("fay@example.com", "second passphrase").ok());
}

TEST_P(IdentityTest, ApiKeysAreShownOnceStoredHashedAndRevocable) {
  const User u = make_user("gus@example.com", Role::kMerchant);
  auto created =
      identity_->create_api_key(u.actor(), u.id, {.name = "laptop", .max_concurrent = 3});
  ASSERT_TRUE(created.ok()) << created.status().to_string();
  const std::string key = created->key;
  EXPECT_TRUE(key.starts_with("qwl-"));
  EXPECT_EQ(key.size(), 47u);
  EXPECT_EQ(created->info.prefix, key.substr(0, 12));
  EXPECT_EQ(created->info.user_email, "gus@example.com");
  // Only the hash is stored.
  EXPECT_EQ(count("SELECT COUNT(*) FROM api_keys WHERE key_hash = ?", {to_hex(sha256(key))}), 1);
  EXPECT_EQ(count("SELECT COUNT(*) FROM api_keys WHERE key_hash = ? OR prefix = ? OR name = ?",
                  {key, key, key}),
            0);

  auto who = identity_->resolve_api_key(key);
  ASSERT_TRUE(who.ok()) << who.status().to_string();
  EXPECT_EQ(who->actor.user_id, u.id);
  EXPECT_EQ(who->actor.role, Role::kMerchant);
  EXPECT_EQ(who->key_id, created->info.id);
  EXPECT_EQ(who->max_concurrent, 3);

  // A role change is seen at once by the key.
  ASSERT_TRUE(identity_->set_role(admin_, u.id, Role::kCustomer).ok());
  EXPECT_EQ(identity_->resolve_api_key(key)->actor.role, Role::kCustomer);

  auto listed = identity_->list_api_keys(u.actor());
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].name, "laptop");

  // Unknown and malformed keys.
  std::string wrong = key;
  wrong.back() = wrong.back() == 'A' ? 'B' : 'A';
  for (std::string_view k :
       {std::string_view(wrong), std::string_view("qwl-short"),
        std::string_view("qwl-has space in it........"), std::string_view("")}) {
    auto r = identity_->resolve_api_key(k);
    EXPECT_EQ(r.status().code(), StatusCode::kUnauthenticated) << k;
    EXPECT_EQ(r.status().message(), "invalid API key");
  }

  ASSERT_TRUE(identity_->revoke_api_key(u.actor(), created->info.id).ok());
  auto revoked = identity_->resolve_api_key(key);
  EXPECT_EQ(revoked.status().code(), StatusCode::kUnauthenticated);
  EXPECT_EQ(revoked.status().message(), "API key revoked");
  EXPECT_EQ(identity_->revoke_api_key(u.actor(), created->info.id).code(),
            StatusCode::kFailedPrecondition);
  EXPECT_EQ(identity_->revoke_api_key(admin_, 9999).code(), StatusCode::kNotFound);
  listed = identity_->list_api_keys(admin_);
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].revoked_at_us, clock_.wall_us());
}

TEST_P(IdentityTest, KeysBelongToTheirUsers) {
  const User a = make_user("hal@example.com");
  const User b = make_user("ida@example.com");
  auto ka = identity_->create_api_key(a.actor(), a.id, {});
  auto kb = identity_->create_api_key(admin_, b.id, {.name = "made by an admin"});
  ASSERT_TRUE(ka.ok() && kb.ok());
  EXPECT_EQ(ka->info.max_concurrent, 4);
  // Another user's key or user: NotFound, as a missing one.
  EXPECT_EQ(identity_->create_api_key(a.actor(), b.id, {}).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(identity_->revoke_api_key(a.actor(), kb->info.id).code(), StatusCode::kNotFound);
  EXPECT_EQ(identity_->list_api_keys(a.actor(), b.id).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(identity_->create_api_key(admin_, 9999, {}).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(identity_->list_api_keys(admin_, 9999).status().code(), StatusCode::kNotFound);
  // A customer's "all keys" is their own; an admin's is everyone's.
  EXPECT_EQ(identity_->list_api_keys(a.actor())->size(), 1u);
  EXPECT_EQ(identity_->list_api_keys(admin_)->size(), 2u);
  EXPECT_EQ(identity_->list_api_keys(admin_, b.id)->size(), 1u);

  // Bad parameters.
  EXPECT_EQ(identity_->create_api_key(a.actor(), a.id, {.max_concurrent = 0}).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(
      identity_->create_api_key(a.actor(), a.id, {.name = std::string(101, 'n')}).status().code(),
      StatusCode::kInvalidArgument);

  // A disabled user's keys are refused (and kept: enabling restores them); no new key.
  ASSERT_TRUE(identity_->set_disabled(admin_, a.id, true).ok());
  EXPECT_EQ(identity_->resolve_api_key(ka->key).status().code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(identity_->create_api_key(admin_, a.id, {}).status().code(),
            StatusCode::kFailedPrecondition);
  ASSERT_TRUE(identity_->set_disabled(admin_, a.id, false).ok());
  EXPECT_TRUE(identity_->resolve_api_key(ka->key).ok());
}

TEST_P(IdentityTest, SeededRandomnessMakesKeysReproducible) {
  SeededRandom r1(7), r2(7), r3(8);
  std::array<uint8_t, 32> a{}, b{}, c{};
  ASSERT_TRUE(r1.fill(a).ok() && r2.fill(b).ok() && r3.fill(c).ok());
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
  EXPECT_EQ(format_api_key(a), format_api_key(b));
  // The system source gives distinct values.
  std::array<uint8_t, 32> s1{}, s2{};
  ASSERT_TRUE(RandomSource::system().fill(s1).ok() && RandomSource::system().fill(s2).ok());
  EXPECT_NE(s1, s2);
  // Base64url of known bytes (RFC 4648 alphabet, no padding).
  std::array<uint8_t, 32> ff{};
  ff.fill(0xff);
  EXPECT_EQ(format_api_key(ff), "qwl-" + std::string(42, '_') + "8");
}

TEST_P(IdentityTest, ConcurrentCreationOfOneEmailMakesOneUser) {
  std::atomic<int> created{0}, refused{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 6; ++i) {
    threads.emplace_back([&] {
      auto r = identity_->create_user(admin_, NewUser{.email = "race@example.com"});
      if (r.ok())
        ++created;
      else if (r.status().code() == StatusCode::kFailedPrecondition)
        ++refused;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(created.load(), 1);
  EXPECT_EQ(refused.load(), 5);
  EXPECT_EQ(count("SELECT COUNT(*) FROM users"), 1);
}

INSTANTIATE_TEST_SUITE_P(Db, IdentityTest, ::testing::Values(DbKind::kSqlite, DbKind::kPostgres),
                         [](const auto& info) { return testing::kind_name(info.param); });

}  // namespace
}  // namespace qwl::services
