// Identity: the ecosystem's users, their passwords and web sessions, and their API keys
// (DESIGN.md "Identity"). Every request acts as one user with one role; this is where a
// presented credential becomes that Actor.
//
// Users (table users): an email (trimmed and lower-cased; unique), a display name, a role
// (customer, merchant, admin), a locale (en, zh), an optional password (services/password.h:
// PBKDF2, per-user salt), an optional daily spending limit in fen, and a disabled flag. Only an
// admin creates users, changes roles and disables accounts; a user may read themselves, set
// their own password and lower (or set) their own spending limit. A disabled user's sessions
// are deleted and their keys refused (kept, so that enabling the account restores them).
//
// Web sessions (table web_sessions): sign_in() checks an email and password and returns a
// random 256-bit token (base64url, 43 characters) that the server puts in an HTTP-only cookie;
// the table keeps only its SHA-256, so a copy of the database signs nobody in. A session lasts
// IdentityOptions::session_ttl_us from sign-in (no sliding); sign_out() deletes it; changing a
// password or disabling the account deletes all of the user's sessions.
//
// API keys (table api_keys): "qwl-" + base64url of 32 random bytes, the same form as the
// key-file keys of server/api_keys.h. create_api_key() returns the key once; the table keeps its
// SHA-256 (hex), its first 12 characters as a display prefix, a name and the number of requests
// the key may have in flight. resolve_api_key() finds the row by the hash (an index lookup that
// reveals nothing about the key, since an attacker cannot steer the hash) and compares the
// stored hash with the computed one in constant time.
//
// Errors: InvalidArgument (a malformed email, name, locale, role, password, limit or key
// name), NotFound (an unknown user or key, or one the actor may not see), FailedPrecondition (a
// duplicate email, an already revoked key, a disabled user given a key, an admin changing their
// own role or disabling themselves), PermissionDenied (a role that may not do this; a disabled
// account signing in with the right password), Unauthenticated (a wrong email or password, an
// unknown, revoked or malformed key or session token, an expired session). Messages name the
// field or the record, never a password, key or token.
//
// Randomness comes from an injected RandomSource (getrandom(2) by default) and time from an
// injected Clock, so tests are exact. Thread-safety: an Identity may be used from any number
// of threads at once (as its Db); the Db, Clock and RandomSource must outlive it.
#pragma once

#include <atomic>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/clock.h"
#include "base/sha256.h"
#include "base/status.h"
#include "services/actor.h"
#include "store/db.h"

namespace qwl::services {

// Where secrets' randomness comes from. Implementations are thread-safe.
class RandomSource {
 public:
  virtual ~RandomSource() = default;
  // Fills `out` with random bytes. IoError when the source fails.
  virtual Status fill(std::span<uint8_t> out) = 0;
  // The kernel's CSPRNG through getrandom(2) (blocking only until it is seeded at boot).
  static RandomSource& system();
};

// A reproducible stream for tests: SHA-256(seed, counter) blocks. Never for real secrets.
class SeededRandom final : public RandomSource {
 public:
  explicit SeededRandom(uint64_t seed) : seed_(seed) {}
  Status fill(std::span<uint8_t> out) override;

 private:
  uint64_t seed_;
  std::atomic<uint64_t> counter_{0};
};

inline constexpr std::string_view kApiKeyPrefix = "qwl-";
// Passwords: at least this many characters (code points), at most kMaxPasswordBytes bytes.
inline constexpr int kMinPasswordChars = 8;
inline constexpr size_t kMaxPasswordBytes = 1024;
// The largest max_concurrent a key may have.
inline constexpr int64_t kMaxKeyConcurrency = 100'000;

struct IdentityOptions {
  int64_t session_ttl_us = 7LL * 24 * 3600 * 1'000'000;  // a web session lasts a week
  int password_iterations = 20'000;                      // PBKDF2 (tests lower it)
};

struct User {
  int64_t id = 0;
  std::string email;
  std::string name;
  Role role = Role::kCustomer;
  std::string locale = "en";
  bool has_password = false;
  std::optional<int64_t> daily_spend_limit;  // fen per local day; nullopt = no limit
  bool disabled = false;
  int64_t created_at_us = 0;

  Actor actor() const { return Actor{.user_id = id, .role = role}; }
};

struct NewUser {
  std::string email;
  std::string name;  // empty: the part of the email before '@'
  Role role = Role::kCustomer;
  std::string locale = "en";
  std::string password;  // empty: no password (the account cannot sign in to the web app)
  std::optional<int64_t> daily_spend_limit;
};

// A NewUser checked and normalised, its password hashed (hashing takes ~10 ms, so it happens
// before, never inside, a transaction).
struct PreparedUser {
  std::string email;
  std::string name;
  Role role = Role::kCustomer;
  std::string locale;
  std::string password_hash;  // empty: none
  std::optional<int64_t> daily_spend_limit;
};

struct UserPage {
  std::vector<User> users;    // by id
  int64_t next_after_id = 0;  // pass as after_id for the next page; 0 when this was the last
};

// What sign_in() returns: the token is shown only now (it goes into the cookie).
struct NewSession {
  std::string token;
  User user;
  int64_t expires_at_us = 0;
};

// A valid session.
struct SessionInfo {
  Actor actor;
  int64_t expires_at_us = 0;
};

struct NewApiKeyParams {
  std::string name;            // what the owner calls it ("laptop"), at most 100 characters
  int64_t max_concurrent = 4;  // 1 .. kMaxKeyConcurrency
};

struct ApiKeyInfo {
  int64_t id = 0;
  int64_t user_id = 0;
  std::string user_email;
  std::string name;
  std::string prefix;  // the key's first 12 characters ("qwl-AbCdEfGh")
  int64_t max_concurrent = 0;
  int64_t created_at_us = 0;
  std::optional<int64_t> revoked_at_us;
};

// What create_api_key() returns: the key is shown only now.
struct NewApiKey {
  std::string key;
  ApiKeyInfo info;
};

// Who a presented key acts as.
struct KeyIdentity {
  Actor actor;
  int64_t key_id = 0;
  int64_t max_concurrent = 0;
};

// Checks and normalises (trims, lower-cases) an email: one '@' with text on both sides, a dot
// in the domain, no spaces or control characters, at most 254 bytes.
Result<std::string> normalize_email(std::string_view email);
// A password is acceptable: kMinPasswordChars code points or more, at most kMaxPasswordBytes,
// valid UTF-8, not one character repeated, not a well-known password, not the email or its
// name part. InvalidArgument saying which rule (never the password).
Status check_password_strength(std::string_view password, std::string_view email = {});
// "qwl-" + base64url (no padding) of 32 bytes.
std::string format_api_key(std::span<const uint8_t, 32> bytes);
// A presented key's text: 16 to 256 visible ASCII characters. Unauthenticated otherwise.
Status check_presented_key(std::string_view key);

class Identity {
 public:
  Identity(Db& db, const Clock& clock, RandomSource& random = RandomSource::system(),
           IdentityOptions options = {});
  Identity(const Identity&) = delete;
  Identity& operator=(const Identity&) = delete;

  Db& db() const { return db_; }
  const Clock& clock() const { return clock_; }

  // ---- users -------------------------------------------------------------------------------

  // Admin only. Errors as the header says; FailedPrecondition for an email already used.
  Result<User> create_user(const Actor& actor, const NewUser& user);
  // The two halves of create_user(), for a caller that creates a user inside its own
  // transaction (an idempotent request): prepare_user() outside it, insert_user() inside.
  Result<PreparedUser> prepare_user(const NewUser& user) const;
  Result<User> insert_user(Tx& tx, const Actor& actor, const PreparedUser& user);

  // Admin only: users by id after `after_id`, at most `limit` (1..1000).
  Result<UserPage> list_users(const Actor& actor, int64_t after_id = 0, int limit = 100);
  // The actor themselves or anyone for an admin; NotFound otherwise.
  Result<User> get_user(const Actor& actor, int64_t user_id);
  // As get_user() by email (normalised first).
  Result<User> find_user(const Actor& actor, std::string_view email);

  // The user themselves or an admin. Checks the password's strength; deletes every session of
  // the user (a changed password signs out all browsers).
  Status set_password(const Actor& actor, int64_t user_id, std::string_view password);
  // Admin only; an admin may not change their own role.
  Status set_role(const Actor& actor, int64_t user_id, Role role);
  // Admin only; an admin may not disable themselves. Disabling deletes the user's sessions.
  Status set_disabled(const Actor& actor, int64_t user_id, bool disabled);
  // The user themselves or an admin: fen per local day, 0..kMaxAmount; nullopt removes it.
  Status set_daily_spend_limit(const Actor& actor, int64_t user_id, std::optional<int64_t> limit);

  // ---- web sessions ------------------------------------------------------------------------

  // Unauthenticated ("email or password is wrong") for an unknown email, a wrong password or an
  // account without one, in about the same time in each case; PermissionDenied for a disabled
  // account (only once the password was right). Also deletes the user's expired sessions.
  Result<NewSession> sign_in(std::string_view email, std::string_view password);
  // The session of a cookie's token. Unauthenticated for a malformed or unknown token, an
  // expired session or a disabled user.
  Result<SessionInfo> resolve_session(std::string_view token);
  // Deletes the session (ok if it was already gone).
  Status sign_out(std::string_view token);
  // Deletes every expired session; returns how many.
  Result<int64_t> purge_expired_sessions();

  // ---- API keys ----------------------------------------------------------------------------

  // A new key for `user_id`: the user themselves or an admin (another user's id is NotFound).
  // FailedPrecondition for a disabled user.
  Result<NewApiKey> create_api_key(const Actor& actor, int64_t user_id,
                                   const NewApiKeyParams& params);
  // Keys, newest first, revoked ones included. user_id 0: every user's (admin only; anyone
  // else gets their own).
  Result<std::vector<ApiKeyInfo>> list_api_keys(const Actor& actor, int64_t user_id = 0);
  // The owner or an admin; NotFound for an unknown key or another user's, FailedPrecondition
  // when it is already revoked.
  Status revoke_api_key(const Actor& actor, int64_t key_id);
  // Who `key` acts as. Unauthenticated ("invalid API key") for a malformed or unknown key,
  // ("API key revoked") for a revoked one; PermissionDenied for a disabled user.
  Result<KeyIdentity> resolve_api_key(std::string_view key);
  // The same for a key's SHA-256 (for the server's KeyRing, which hashes first).
  Result<KeyIdentity> resolve_api_key_hash(const Sha256Digest& hash);

 private:
  Result<std::string> random_token();
  Result<User> load_user(Tx& tx, int64_t user_id);

  Db& db_;
  const Clock& clock_;
  RandomSource& random_;
  IdentityOptions options_;
  std::string dummy_hash_;  // verified against when an email is unknown (equal timing)
};

}  // namespace qwl::services
