// Users, passwords, web sessions and API keys over the users / web_sessions / api_keys tables
// (see identity.h).
#include "services/identity.h"

#include <sys/random.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>

#include "services/ledger.h"
#include "services/password.h"

namespace qwl::services {
namespace {

constexpr char kBase64Url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
// 32 bytes in base64url without padding.
constexpr size_t kTokenChars = 43;
constexpr size_t kKeyDisplayPrefix = 12;
constexpr size_t kMaxEmailBytes = 254;
constexpr size_t kMaxNameBytes = 200;
constexpr size_t kMaxKeyNameBytes = 100;
constexpr size_t kMinKeyChars = 16;
constexpr size_t kMaxKeyChars = 256;

// The columns every user query reads, in the order row_to_user() expects them.
constexpr std::string_view kUserColumns =
    "id, email, name, role, locale, CASE WHEN password_hash = '' THEN 0 ELSE 1 END, "
    "daily_spend_limit, disabled, created_at_us";

std::string base64url(std::span<const uint8_t> bytes) {
  std::string out;
  out.reserve((bytes.size() * 4 + 2) / 3);
  size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    const uint32_t v = (uint32_t{bytes[i]} << 16) | (uint32_t{bytes[i + 1]} << 8) | bytes[i + 2];
    for (int shift : {18, 12, 6, 0}) out.push_back(kBase64Url[(v >> shift) & 63]);
  }
  const size_t rest = bytes.size() - i;
  if (rest > 0) {
    uint32_t v = uint32_t{bytes[i]} << 16;
    if (rest == 2) v |= uint32_t{bytes[i + 1]} << 8;
    out.push_back(kBase64Url[(v >> 18) & 63]);
    out.push_back(kBase64Url[(v >> 12) & 63]);
    if (rest == 2) out.push_back(kBase64Url[(v >> 6) & 63]);
  }
  return out;
}

bool is_base64url_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_';
}

std::string hash_hex(std::string_view secret) {
  return to_hex(sha256(secret));
}

bool constant_time_equal(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  // Every byte is looked at whatever the first difference is.
  volatile uint8_t diff = 0;
  for (size_t i = 0; i < a.size(); ++i)
    diff = diff | static_cast<uint8_t>(static_cast<uint8_t>(a[i]) ^ static_cast<uint8_t>(b[i]));
  return diff == 0;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::string ascii_lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

// The number of code points in valid UTF-8 (shortest forms, no surrogates), or -1.
int64_t utf8_length(std::string_view s) {
  int64_t n = 0;
  size_t i = 0;
  while (i < s.size()) {
    const auto b = static_cast<uint8_t>(s[i]);
    size_t len = 0;
    char32_t cp = 0;
    if (b < 0x80) {
      len = 1;
      cp = b;
    } else if ((b & 0xe0) == 0xc0) {
      len = 2;
      cp = b & 0x1f;
    } else if ((b & 0xf0) == 0xe0) {
      len = 3;
      cp = b & 0x0f;
    } else if ((b & 0xf8) == 0xf0) {
      len = 4;
      cp = b & 0x07;
    } else {
      return -1;
    }
    if (i + len > s.size()) return -1;
    for (size_t k = 1; k < len; ++k) {
      const auto c = static_cast<uint8_t>(s[i + k]);
      if ((c & 0xc0) != 0x80) return -1;
      cp = (cp << 6) | (c & 0x3f);
    }
    static constexpr char32_t kMinForLength[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < kMinForLength[len] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return -1;
    i += len;
    ++n;
  }
  return n;
}

bool has_control_char(std::string_view s) {
  return std::any_of(s.begin(), s.end(),
                     [](char c) { return static_cast<uint8_t>(c) < 0x20 || c == 0x7f; });
}

Result<std::string> normalize_name(std::string_view name, std::string_view email) {
  name = trim(name);
  if (name.empty()) name = email.substr(0, email.find('@'));
  if (name.size() > kMaxNameBytes)
    return InvalidArgumentError("name: at most {} bytes, got {}", kMaxNameBytes, name.size());
  if (utf8_length(name) < 0 || has_control_char(name))
    return InvalidArgumentError("name: must be UTF-8 text without control characters");
  return std::string(name);
}

Status check_locale(std::string_view locale) {
  if (locale == "en" || locale == "zh") return Status::Ok();
  return InvalidArgumentError("locale: '{}' is not one of en, zh", locale);
}

Status check_spend_limit(std::optional<int64_t> limit) {
  if (limit && (*limit < 0 || *limit > kMaxAmount))
    return InvalidArgumentError("daily_spend_limit: {} is not between 0 and {} fen", *limit,
                                kMaxAmount);
  return Status::Ok();
}

Result<User> row_to_user(const Row& row) {
  User u;
  u.id = row.int64(0);
  u.email = row.text(1);
  u.name = row.text(2);
  const std::optional<Role> role = parse_role(row.text(3));
  if (!role) return CorruptError("users {}: unknown role '{}'", u.id, row.text(3));
  u.role = *role;
  u.locale = row.text(4);
  u.has_password = row.int64(5) != 0;
  if (!row.is_null(6)) u.daily_spend_limit = row.int64(6);
  u.disabled = row.int64(7) != 0;
  u.created_at_us = row.int64(8);
  return u;
}

Status require_admin(const Actor& actor, std::string_view what) {
  if (actor.is_admin()) return Status::Ok();
  return PermissionDeniedError("only an admin may {}", what);
}

Status unauthenticated_sign_in() {
  return UnauthenticatedError("email or password is wrong");
}

Status invalid_key() {
  return UnauthenticatedError("invalid API key");
}

Status invalid_session() {
  return UnauthenticatedError("not signed in (the session is unknown or signed out)");
}

// Passwords that are among the most used ones: refused whatever their length.
constexpr std::string_view kCommonPasswords[] = {
    "password",  "password1", "password123", "passw0rd",   "12345678", "123456789",    "1234567890",
    "87654321",  "qwertyui",  "qwerty123",   "qwertyuiop", "iloveyou", "admin123",     "letmein1",
    "abcdefgh",  "abc12345",  "welcome1",    "sunshine",   "football", "baseball",     "princess",
    "monkey123", "dragon123", "trustno1",    "asdfghjk",   "zxcvbnm1", "1q2w3e4r",     "qwer1234",
    "a1b2c3d4",  "changeme",  "whatever",    "superman",   "starwars", "qwertyuiop123"};

}  // namespace

// ---- random ------------------------------------------------------------------------------------

namespace {

class SystemRandom final : public RandomSource {
 public:
  Status fill(std::span<uint8_t> out) override {
    size_t got = 0;
    while (got < out.size()) {
      const ssize_t n = ::getrandom(out.data() + got, out.size() - got, 0);
      if (n < 0) {
        if (errno == EINTR) continue;
        return IoErrorError("getrandom: {}", std::strerror(errno));
      }
      got += static_cast<size_t>(n);
    }
    return Status::Ok();
  }
};

}  // namespace

RandomSource& RandomSource::system() {
  static SystemRandom random;
  return random;
}

Status SeededRandom::fill(std::span<uint8_t> out) {
  size_t done = 0;
  while (done < out.size()) {
    const uint64_t n = counter_.fetch_add(1);
    std::array<uint8_t, 16> input{};
    for (int i = 0; i < 8; ++i) {
      input[i] = static_cast<uint8_t>(seed_ >> (8 * i));
      input[8 + i] = static_cast<uint8_t>(n >> (8 * i));
    }
    const Sha256Digest block =
        sha256(std::string_view(reinterpret_cast<const char*>(input.data()), input.size()));
    const size_t take = std::min(block.size(), out.size() - done);
    std::memcpy(out.data() + done, block.data(), take);
    done += take;
  }
  return Status::Ok();
}

// ---- checks ------------------------------------------------------------------------------------

Result<std::string> normalize_email(std::string_view email) {
  email = trim(email);
  if (email.empty()) return InvalidArgumentError("email: is empty");
  if (email.size() > kMaxEmailBytes)
    return InvalidArgumentError("email: at most {} bytes, got {}", kMaxEmailBytes, email.size());
  if (utf8_length(email) < 0 || has_control_char(email) ||
      email.find_first_of(" \t,;<>()[]\\\"") != std::string_view::npos)
    return InvalidArgumentError("email: '{}' holds characters an address cannot hold", email);
  const size_t at = email.find('@');
  if (at == std::string_view::npos || at == 0 || email.find('@', at + 1) != std::string_view::npos)
    return InvalidArgumentError("email: '{}' is not an address (name@domain)", email);
  const std::string_view domain = email.substr(at + 1);
  const size_t dot = domain.find('.');
  if (domain.empty() || dot == std::string_view::npos || dot == 0 || domain.back() == '.')
    return InvalidArgumentError("email: '{}' has no valid domain", email);
  // Addresses are compared without case: Alice@Example.com and alice@example.com are one user.
  return ascii_lower(email);
}

Status check_password_strength(std::string_view password, std::string_view email) {
  if (password.empty()) return InvalidArgumentError("password: is empty");
  if (password.size() > kMaxPasswordBytes)
    return InvalidArgumentError("password: at most {} bytes", kMaxPasswordBytes);
  const int64_t chars = utf8_length(password);
  if (chars < 0) return InvalidArgumentError("password: is not valid UTF-8");
  if (chars < kMinPasswordChars)
    return InvalidArgumentError("password: too short ({} characters; at least {})", chars,
                                kMinPasswordChars);
  if (std::all_of(password.begin(), password.end(), [&](char c) { return c == password[0]; }))
    return InvalidArgumentError("password: too weak (one character repeated)");
  const std::string lower = ascii_lower(password);
  for (std::string_view common : kCommonPasswords)
    if (lower == common) return InvalidArgumentError("password: too weak (a well-known password)");
  if (!email.empty()) {
    const std::string e = ascii_lower(trim(email));
    if (lower == e || lower == e.substr(0, e.find('@')))
      return InvalidArgumentError("password: too weak (the same as the email)");
  }
  return Status::Ok();
}

std::string format_api_key(std::span<const uint8_t, 32> bytes) {
  return std::string(kApiKeyPrefix) + base64url(bytes);
}

Status check_presented_key(std::string_view key) {
  if (key.size() < kMinKeyChars || key.size() > kMaxKeyChars) return invalid_key();
  for (char c : key)
    if (c < 0x21 || c > 0x7e) return invalid_key();
  return Status::Ok();
}

// ---- Identity ----------------------------------------------------------------------------------

Identity::Identity(Db& db, const Clock& clock, RandomSource& random, IdentityOptions options)
    : db_(db), clock_(clock), random_(random), options_(options) {
  // A hash of a password nobody knows, with the real iteration count: an unknown email is
  // verified against it so that it costs as much as a known one (no timing oracle on emails).
  dummy_hash_ = hash_password("no such user", std::string(16, '\0'), options_.password_iterations);
}

Result<std::string> Identity::random_token() {
  std::array<uint8_t, 32> bytes{};
  QWL_RETURN_IF_ERROR(random_.fill(bytes));
  std::string token = base64url(bytes);
  volatile uint8_t* p = bytes.data();  // the bytes are a secret: do not leave them behind
  for (size_t i = 0; i < bytes.size(); ++i) p[i] = 0;
  return token;
}

Result<User> Identity::load_user(Tx& tx, int64_t user_id) {
  QWL_ASSIGN_OR_RETURN(
      Rows rows,
      tx.query(fmt::format("SELECT {} FROM users WHERE id = ?", kUserColumns), {user_id}));
  if (rows.empty()) return NotFoundError("user {} not found", user_id);
  return row_to_user(rows[0]);
}

Result<PreparedUser> Identity::prepare_user(const NewUser& user) const {
  PreparedUser p;
  QWL_ASSIGN_OR_RETURN(p.email, normalize_email(user.email));
  QWL_ASSIGN_OR_RETURN(p.name, normalize_name(user.name, p.email));
  p.role = user.role;
  QWL_RETURN_IF_ERROR(check_locale(user.locale));
  p.locale = user.locale;
  QWL_RETURN_IF_ERROR(check_spend_limit(user.daily_spend_limit));
  p.daily_spend_limit = user.daily_spend_limit;
  if (!user.password.empty()) {
    QWL_RETURN_IF_ERROR(check_password_strength(user.password, p.email));
    std::array<uint8_t, 16> salt{};
    QWL_RETURN_IF_ERROR(random_.fill(salt));
    p.password_hash = hash_password(
        user.password, std::string_view(reinterpret_cast<const char*>(salt.data()), salt.size()),
        options_.password_iterations);
  }
  return p;
}

Result<User> Identity::insert_user(Tx& tx, const Actor& actor, const PreparedUser& user) {
  QWL_RETURN_IF_ERROR(require_admin(actor, "create users"));
  // The email's uniqueness is checked by the insert itself (ON CONFLICT), so that two admins
  // creating the same address at once get one user and one clear refusal, not an SQL error.
  QWL_ASSIGN_OR_RETURN(
      Rows rows,
      tx.query(
          "INSERT INTO users (email, name, role, locale, password_hash, daily_spend_limit, "
          "created_at_us) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (email) DO NOTHING "
          "RETURNING id",
          {user.email, user.name, role_name(user.role), user.locale, user.password_hash,
           user.daily_spend_limit ? Value(*user.daily_spend_limit) : Value(), clock_.wall_us()}));
  if (rows.empty())
    return FailedPreconditionError("user {}: the email is already used", user.email);
  return load_user(tx, rows[0].int64(0));
}

Result<User> Identity::create_user(const Actor& actor, const NewUser& user) {
  // The role check comes first so that a customer learns nothing about the input's validity.
  QWL_RETURN_IF_ERROR(require_admin(actor, "create users"));
  QWL_ASSIGN_OR_RETURN(PreparedUser prepared, prepare_user(user));
  User created;
  QWL_RETURN_IF_ERROR(db_.transact([&](Tx& tx) -> Status {
    QWL_ASSIGN_OR_RETURN(created, insert_user(tx, actor, prepared));
    return Status::Ok();
  }));
  return created;
}

Result<UserPage> Identity::list_users(const Actor& actor, int64_t after_id, int limit) {
  QWL_RETURN_IF_ERROR(require_admin(actor, "list users"));
  if (limit < 1 || limit > 1000) return InvalidArgumentError("limit: {} is not 1..1000", limit);
  if (after_id < 0) return InvalidArgumentError("after: {} is negative", after_id);
  UserPage page;
  QWL_RETURN_IF_ERROR(db_.read([&](Tx& tx) -> Status {
    page = UserPage{};
    QWL_ASSIGN_OR_RETURN(
        Rows rows,
        tx.query(fmt::format("SELECT {} FROM users WHERE id > ? ORDER BY id LIMIT ?", kUserColumns),
                 {after_id, int64_t{limit} + 1}));
    for (const Row& row : rows) {
      if (page.users.size() == static_cast<size_t>(limit)) {
        page.next_after_id = page.users.back().id;
        break;
      }
      QWL_ASSIGN_OR_RETURN(User u, row_to_user(row));
      page.users.push_back(std::move(u));
    }
    return Status::Ok();
  }));
  return page;
}

Result<User> Identity::get_user(const Actor& actor, int64_t user_id) {
  QWL_RETURN_IF_ERROR(check_owner(actor, user_id, "user", user_id));
  User user;
  QWL_RETURN_IF_ERROR(db_.read([&](Tx& tx) -> Status {
    QWL_ASSIGN_OR_RETURN(user, load_user(tx, user_id));
    return Status::Ok();
  }));
  return user;
}

Result<User> Identity::find_user(const Actor& actor, std::string_view email) {
  QWL_ASSIGN_OR_RETURN(std::string normalized, normalize_email(email));
  std::optional<User> user;
  QWL_RETURN_IF_ERROR(db_.read([&](Tx& tx) -> Status {
    user.reset();
    QWL_ASSIGN_OR_RETURN(
        Rows rows,
        tx.query(fmt::format("SELECT {} FROM users WHERE email = ?", kUserColumns), {normalized}));
    if (rows.empty()) return Status::Ok();
    QWL_ASSIGN_OR_RETURN(user, row_to_user(rows[0]));
    return Status::Ok();
  }));
  if (!user || !check_owner(actor, user->id, "user", user->id).ok())
    return NotFoundError("user {} not found", normalized);
  return *user;
}

Status Identity::set_password(const Actor& actor, int64_t user_id, std::string_view password) {
  QWL_RETURN_IF_ERROR(check_owner(actor, user_id, "user", user_id));
  // The email is needed for the strength check (a password equal to it is refused).
  QWL_ASSIGN_OR_RETURN(User user, get_user(actor, user_id));
  QWL_RETURN_IF_ERROR(check_password_strength(password, user.email));
  std::array<uint8_t, 16> salt{};
  QWL_RETURN_IF_ERROR(random_.fill(salt));
  const std::string hash = hash_password(
      password, std::string_view(reinterpret_cast<const char*>(salt.data()), salt.size()),
      options_.password_iterations);
  return db_.transact([&](Tx& tx) -> Status {
    QWL_ASSIGN_OR_RETURN(
        int64_t n, tx.exec("UPDATE users SET password_hash = ? WHERE id = ?", {hash, user_id}));
    if (n == 0) return NotFoundError("user {} not found", user_id);
    return tx.exec("DELETE FROM web_sessions WHERE user_id = ?", {user_id}).status();
  });
}

Status Identity::set_role(const Actor& actor, int64_t user_id, Role role) {
  QWL_RETURN_IF_ERROR(require_admin(actor, "change roles"));
  if (actor.user_id == user_id)
    return FailedPreconditionError("user {}: an admin may not change their own role", user_id);
  return db_.transact([&](Tx& tx) -> Status {
    QWL_ASSIGN_OR_RETURN(
        int64_t n, tx.exec("UPDATE users SET role = ? WHERE id = ?", {role_name(role), user_id}));
    if (n == 0) return NotFoundError("user {} not found", user_id);
    return Status::Ok();
  });
}

Status Identity::set_disabled(const Actor& actor, int64_t user_id, bool disabled) {
  QWL_RETURN_IF_ERROR(require_admin(actor, "disable or enable users"));
  if (disabled && actor.user_id == user_id)
    return FailedPreconditionError("user {}: an admin may not disable themselves", user_id);
  return db_.transact([&](Tx& tx) -> Status {
    QWL_ASSIGN_OR_RETURN(int64_t n,
                         tx.exec(disabled ? "UPDATE users SET disabled = TRUE WHERE id = ?"
                                          : "UPDATE users SET disabled = FALSE WHERE id = ?",
                                 {user_id}));
    if (n == 0) return NotFoundError("user {} not found", user_id);
    if (!disabled) return Status::Ok();
    return tx.exec("DELETE FROM web_sessions WHERE user_id = ?", {user_id}).status();
  });
}

Status Identity::set_daily_spend_limit(const Actor& actor, int64_t user_id,
                                       std::optional<int64_t> limit) {
  QWL_RETURN_IF_ERROR(check_owner(actor, user_id, "user", user_id));
  QWL_RETURN_IF_ERROR(check_spend_limit(limit));
  return db_.transact([&](Tx& tx) -> Status {
    QWL_ASSIGN_OR_RETURN(int64_t n, tx.exec("UPDATE users SET daily_spend_limit = ? WHERE id = ?",
                                            {limit ? Value(*limit) : Value(), user_id}));
    if (n == 0) return NotFoundError("user {} not found", user_id);
    return Status::Ok();
  });
}

// ---- web sessions ------------------------------------------------------------------------------

Result<NewSession> Identity::sign_in(std::string_view email, std::string_view password) {
  if (password.size() > kMaxPasswordBytes) return unauthenticated_sign_in();
  Result<std::string> normalized = normalize_email(email);
  std::optional<User> user;
  std::string stored_hash;
  if (normalized.ok()) {
    QWL_RETURN_IF_ERROR(db_.read([&](Tx& tx) -> Status {
      user.reset();
      QWL_ASSIGN_OR_RETURN(
          Rows rows,
          tx.query(fmt::format("SELECT {}, password_hash FROM users WHERE email = ?", kUserColumns),
                   {*normalized}));
      if (rows.empty()) return Status::Ok();
      QWL_ASSIGN_OR_RETURN(user, row_to_user(rows[0]));
      stored_hash = rows[0].text(9);
      return Status::Ok();
    }));
  }
  // The password is checked whatever happened above (against a dummy hash when the user is
  // unknown or has no password), so the answer takes the same time either way.
  const bool known = user && !stored_hash.empty();
  const bool match = verify_password(password, known ? stored_hash : dummy_hash_);
  if (!known || !match) return unauthenticated_sign_in();
  if (user->disabled) return PermissionDeniedError("user {}: the account is disabled", user->email);

  QWL_ASSIGN_OR_RETURN(std::string token, random_token());
  const int64_t now = clock_.wall_us();
  NewSession session{.token = token, .user = *user, .expires_at_us = now + options_.session_ttl_us};
  const std::string token_hash = hash_hex(token);
  QWL_RETURN_IF_ERROR(db_.transact([&](Tx& tx) -> Status {
    // The user's expired sessions go now: a sign-in is a cheap moment to tidy one user's rows.
    QWL_RETURN_IF_ERROR(tx.exec("DELETE FROM web_sessions WHERE user_id = ? AND expires_at_us <= ?",
                                {user->id, now})
                            .status());
    return tx
        .exec(
            "INSERT INTO web_sessions (token_hash, user_id, created_at_us, expires_at_us) "
            "VALUES (?, ?, ?, ?)",
            {token_hash, user->id, now, session.expires_at_us})
        .status();
  }));
  return session;
}

Result<SessionInfo> Identity::resolve_session(std::string_view token) {
  if (token.size() != kTokenChars || !std::all_of(token.begin(), token.end(), is_base64url_char))
    return invalid_session();
  const std::string token_hash = hash_hex(token);
  std::optional<Row> row;
  QWL_RETURN_IF_ERROR(db_.read([&](Tx& tx) -> Status {
    row.reset();
    QWL_ASSIGN_OR_RETURN(
        Rows rows,
        tx.query("SELECT s.token_hash, s.user_id, s.expires_at_us, u.role, u.disabled "
                 "FROM web_sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = ?",
                 {token_hash}));
    if (!rows.empty()) row = rows[0];
    return Status::Ok();
  }));
  if (!row || !constant_time_equal(row->text(0), token_hash)) return invalid_session();
  if (row->int64(2) <= clock_.wall_us())
    return UnauthenticatedError("the session has expired: sign in again");
  if (row->int64(4) != 0) return UnauthenticatedError("the account is disabled");
  const std::optional<Role> role = parse_role(row->text(3));
  if (!role) return CorruptError("users {}: unknown role '{}'", row->int64(1), row->text(3));
  return SessionInfo{.actor = Actor{.user_id = row->int64(1), .role = *role},
                     .expires_at_us = row->int64(2)};
}

Status Identity::sign_out(std::string_view token) {
  if (token.size() != kTokenChars) return Status::Ok();  // nothing could match it
  const std::string token_hash = hash_hex(token);
  return db_.transact([&](Tx& tx) -> Status {
    return tx.exec("DELETE FROM web_sessions WHERE token_hash = ?", {token_hash}).status();
  });
}

Result<int64_t> Identity::purge_expired_sessions() {
  int64_t deleted = 0;
  const int64_t now = clock_.wall_us();
  QWL_RETURN_IF_ERROR(db_.transact([&](Tx& tx) -> Status {
    QWL_ASSIGN_OR_RETURN(deleted,
                         tx.exec("DELETE FROM web_sessions WHERE expires_at_us <= ?", {now}));
    return Status::Ok();
  }));
  return deleted;
}

// ---- API keys ----------------------------------------------------------------------------------

namespace {

constexpr std::string_view kKeyColumns =
    "k.id, k.user_id, u.email, k.name, k.prefix, k.max_concurrent, k.created_at_us, "
    "k.revoked_at_us";

ApiKeyInfo row_to_key(const Row& row) {
  ApiKeyInfo k;
  k.id = row.int64(0);
  k.user_id = row.int64(1);
  k.user_email = row.text(2);
  k.name = row.text(3);
  k.prefix = row.text(4);
  k.max_concurrent = row.int64(5);
  k.created_at_us = row.int64(6);
  if (!row.is_null(7)) k.revoked_at_us = row.int64(7);
  return k;
}

}  // namespace

Result<NewApiKey> Identity::create_api_key(const Actor& actor, int64_t user_id,
                                           const NewApiKeyParams& params) {
  QWL_RETURN_IF_ERROR(check_owner(actor, user_id, "user", user_id));
  const std::string_view name = trim(params.name);
  if (name.size() > kMaxKeyNameBytes)
    return InvalidArgumentError("key name: at most {} bytes, got {}", kMaxKeyNameBytes,
                                name.size());
  if (utf8_length(name) < 0 || has_control_char(name))
    return InvalidArgumentError("key name: must be UTF-8 text without control characters");
  if (params.max_concurrent < 1 || params.max_concurrent > kMaxKeyConcurrency)
    return InvalidArgumentError("max_concurrent: {} is not 1..{}", params.max_concurrent,
                                kMaxKeyConcurrency);
  std::array<uint8_t, 32> bytes{};
  QWL_RETURN_IF_ERROR(random_.fill(bytes));
  NewApiKey out;
  out.key = format_api_key(bytes);
  volatile uint8_t* p = bytes.data();
  for (size_t i = 0; i < bytes.size(); ++i) p[i] = 0;
  const std::string key_hash = hash_hex(out.key);
  const std::string prefix = out.key.substr(0, kKeyDisplayPrefix);
  const int64_t now = clock_.wall_us();
  QWL_RETURN_IF_ERROR(db_.transact([&](Tx& tx) -> Status {
    QWL_ASSIGN_OR_RETURN(User user, load_user(tx, user_id));
    if (user.disabled)
      return FailedPreconditionError("user {}: the account is disabled", user.email);
    QWL_ASSIGN_OR_RETURN(
        int64_t id,
        tx.query_int64("INSERT INTO api_keys (user_id, name, prefix, key_hash, max_concurrent, "
                       "created_at_us) VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
                       {user_id, name, prefix, key_hash, params.max_concurrent, now}));
    out.info = ApiKeyInfo{.id = id,
                          .user_id = user_id,
                          .user_email = user.email,
                          .name = std::string(name),
                          .prefix = prefix,
                          .max_concurrent = params.max_concurrent,
                          .created_at_us = now};
    return Status::Ok();
  }));
  return out;
}

Result<std::vector<ApiKeyInfo>> Identity::list_api_keys(const Actor& actor, int64_t user_id) {
  if (user_id == 0 && !actor.is_admin()) user_id = actor.user_id;
  if (user_id != 0) QWL_RETURN_IF_ERROR(check_owner(actor, user_id, "user", user_id));
  std::vector<ApiKeyInfo> keys;
  QWL_RETURN_IF_ERROR(db_.read([&](Tx& tx) -> Status {
    keys.clear();
    Result<Rows> rows =
        user_id == 0
            ? tx.query(fmt::format("SELECT {} FROM api_keys k JOIN users u ON u.id = k.user_id "
                                   "ORDER BY k.id DESC",
                                   kKeyColumns))
            : tx.query(fmt::format("SELECT {} FROM api_keys k JOIN users u ON u.id = k.user_id "
                                   "WHERE k.user_id = ? ORDER BY k.id DESC",
                                   kKeyColumns),
                       {user_id});
    if (!rows.ok()) return rows.status();
    for (const Row& row : *rows) keys.push_back(row_to_key(row));
    if (keys.empty() && user_id != 0) {
      // An unknown user is an error, not an empty list.
      QWL_RETURN_IF_ERROR(load_user(tx, user_id).status());
    }
    return Status::Ok();
  }));
  return keys;
}

Status Identity::revoke_api_key(const Actor& actor, int64_t key_id) {
  const int64_t now = clock_.wall_us();
  return db_.transact([&](Tx& tx) -> Status {
    QWL_ASSIGN_OR_RETURN(Rows rows, tx.query("SELECT user_id, revoked_at_us FROM api_keys "
                                             "WHERE id = ?",
                                             {key_id}));
    if (rows.empty()) return NotFoundError("API key {} not found", key_id);
    QWL_RETURN_IF_ERROR(check_owner(actor, rows[0].int64(0), "API key", key_id));
    if (!rows[0].is_null(1)) return FailedPreconditionError("API key {}: already revoked", key_id);
    return tx.exec("UPDATE api_keys SET revoked_at_us = ? WHERE id = ?", {now, key_id}).status();
  });
}

Result<KeyIdentity> Identity::resolve_api_key(std::string_view key) {
  QWL_RETURN_IF_ERROR(check_presented_key(key));
  return resolve_api_key_hash(sha256(key));
}

Result<KeyIdentity> Identity::resolve_api_key_hash(const Sha256Digest& hash) {
  const std::string key_hash = to_hex(hash);
  std::optional<Row> row;
  QWL_RETURN_IF_ERROR(db_.read([&](Tx& tx) -> Status {
    row.reset();
    QWL_ASSIGN_OR_RETURN(
        Rows rows,
        tx.query("SELECT k.key_hash, k.id, k.user_id, k.max_concurrent, k.revoked_at_us, u.role, "
                 "u.disabled FROM api_keys k JOIN users u ON u.id = k.user_id "
                 "WHERE k.key_hash = ?",
                 {key_hash}));
    if (!rows.empty()) row = rows[0];
    return Status::Ok();
  }));
  // The lookup matched on the hash already; this comparison does not rely on how the database
  // compares text.
  if (!row || !constant_time_equal(row->text(0), key_hash)) return invalid_key();
  if (!row->is_null(4)) return UnauthenticatedError("API key revoked");
  if (row->int64(6) != 0) return PermissionDeniedError("the account of this API key is disabled");
  const std::optional<Role> role = parse_role(row->text(5));
  if (!role) return CorruptError("users {}: unknown role '{}'", row->int64(2), row->text(5));
  return KeyIdentity{.actor = Actor{.user_id = row->int64(2), .role = *role},
                     .key_id = row->int64(1),
                     .max_concurrent = row->int64(3)};
}

}  // namespace qwl::services
