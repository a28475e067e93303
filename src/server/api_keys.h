// API keys (DESIGN.md "Identity"): every request on the OpenAI API, the app API and MCP acts as
// one user with one role, proven by "Authorization: Bearer KEY".
//
// Keys are 32 random bytes from /dev/urandom written as "qwl-" + 43 base64url characters. They
// are stored only as their SHA-256 (a key is a 256-bit random value, so one unsalted hash is as
// good as a password hash and lets a lookup go straight to the row). A KeyRing maps key hashes to
// their owner; MemoryKeyRing is the in-memory one, and the store layer can implement the same
// interface over a database table (find = SELECT ... WHERE key_hash = ?). authenticate() hashes
// the presented key, finds it and compares the stored hash with a constant-time comparison, so
// neither a store's lookup nor our comparison tells by timing how much of a guess was right.
// The operator's --api-key becomes an admin key of the user "operator".
//
// Each key may limit the requests it has in flight: ConcurrencyLimiter hands out RAII guards and
// refuses (ResourceExhausted -> 429) beyond the limit.
//
// Errors: a missing, malformed or unknown key is Unauthenticated (HTTP 401 through
// auth_error_response(), which adds WWW-Authenticate: Bearer). Store failures keep their own
// codes (IoError, Unavailable -> 5xx).
// Thread-safety: MemoryKeyRing and ConcurrencyLimiter are thread-safe; the functions are pure
// (generate_api_key reads /dev/urandom).
#pragma once

#include <cstdint>
#include <initializer_list>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>

#include "base/sha256.h"
#include "base/status.h"
#include "server/http_message.h"

namespace qwl::auth {

enum class Role { kCustomer, kMerchant, kAdmin };
// "customer", "merchant", "admin".
std::string_view role_name(Role role);
// The Role for its name; InvalidArgument for anything else.
Result<Role> parse_role(std::string_view name);

using KeyHash = Sha256Digest;

inline constexpr std::string_view kKeyPrefix = "qwl-";
// The user id of the operator's key (--api-key).
inline constexpr std::string_view kOperatorUserId = "operator";
// Keys given by an operator or a client: this many characters at least and at most.
inline constexpr size_t kMinKeyLength = 16;
inline constexpr size_t kMaxKeyLength = 256;

// The SHA-256 of the key's bytes.
KeyHash hash_api_key(std::string_view key);
// Lower-case hex (64 characters), as a store keeps it.
std::string key_hash_hex(const KeyHash& hash);
// The reverse; InvalidArgument unless 64 hex digits.
Result<KeyHash> parse_key_hash_hex(std::string_view hex);
// The first 12 hex digits of the hash: names a key in logs and metrics without revealing it.
std::string key_id(const KeyHash& hash);

// Equal contents, in a time that depends only on the lengths.
bool constant_time_equal(std::span<const uint8_t> a, std::span<const uint8_t> b);

// "qwl-" + base64url (no padding) of the 32 bytes.
std::string format_api_key(std::span<const uint8_t, 32> random_bytes);
// A new key from 32 bytes of /dev/urandom. IoError when it cannot be read.
Result<std::string> generate_api_key();
// A key's text is acceptable (for --api-key and for presented keys): kMinKeyLength to
// kMaxKeyLength characters of visible ASCII (0x21..0x7e). InvalidArgument saying why not; the
// message never contains the key.
Status check_key_text(std::string_view key);

// The credential of an Authorization header value ("Bearer KEY", the scheme case-insensitive).
// Unauthenticated when the header is absent or empty, or not a Bearer credential. The view points
// into `authorization`.
Result<std::string_view> bearer_token(std::optional<std::string_view> authorization);

// What a KeyRing keeps per key.
struct ApiKeyRecord {
  KeyHash hash{};
  std::string user_id;
  Role role = Role::kCustomer;
  int max_concurrent = 0;  // requests in flight at most with this key; <= 0: no limit
  std::string label;       // what the owner calls it ("laptop"); never the key
};

// Who a request acts as.
struct Principal {
  std::string user_id;
  Role role = Role::kCustomer;
  std::string key_id;  // key_id(hash) of the key used
  KeyHash key_hash{};
  int max_concurrent = 0;
};

// Where key hashes are kept. Implementations are thread-safe.
class KeyRing {
 public:
  virtual ~KeyRing() = default;
  // Adds a key. InvalidArgument when the hash is already there or the user id is empty.
  virtual Status add(ApiKeyRecord record) = 0;
  // Removes a key. NotFound when it is not there.
  virtual Status remove(const KeyHash& hash) = 0;
  // The record of `hash`. NotFound when there is none; a store may also fail (IoError, ...).
  virtual Result<ApiKeyRecord> find(const KeyHash& hash) const = 0;

  // The Principal for a presented key. Unauthenticated ("invalid API key") when the key is
  // malformed or unknown; other codes from find().
  Result<Principal> authenticate(std::string_view presented_key) const;
};

class MemoryKeyRing final : public KeyRing {
 public:
  Status add(ApiKeyRecord record) override;
  Status remove(const KeyHash& hash) override;
  Result<ApiKeyRecord> find(const KeyHash& hash) const override;
  size_t size() const;

 private:
  struct HashOfHash {
    size_t operator()(const KeyHash& h) const;
  };
  mutable std::shared_mutex mu_;
  std::unordered_map<KeyHash, ApiKeyRecord, HashOfHash> records_;
};

// The record of the operator's key (--api-key KEY): user "operator", role admin, no limit.
// InvalidArgument when check_key_text(key) fails.
Result<ApiKeyRecord> operator_key_record(std::string_view key);

// Key files: the keys `qwenlayer keys` creates and `qwenlayer serve --keys-file` loads, one per
// line as "HASH USER ROLE MAX_CONCURRENT [LABEL...]" (HASH: key_hash_hex; ROLE: role_name;
// MAX_CONCURRENT: an integer, 0 = no limit); '#' starts a comment line. Only hashes are stored.
// Until the store layer keeps keys in the database, this is where user keys live.
std::string format_key_line(const ApiKeyRecord& record);
// All records of a key file. InvalidArgument naming the line for a malformed one or a user id
// with spaces; a hash listed twice is refused too.
Result<std::vector<ApiKeyRecord>> parse_key_file(std::string_view text);

// The Principal for a request's Authorization header (bearer_token + authenticate).
Result<Principal> authenticate_request(const KeyRing& ring, const http::Request& request);

// The response for a failed authentication or admission: Unauthenticated ->
// 401 with WWW-Authenticate: Bearer and code "invalid_api_key" (or no code when no key was
// given); anything else as http::error_response(status) (429 for the concurrency limit, 5xx for
// a store failure).
http::Response auth_error_response(const Status& status);

// True when the principal has one of `roles`.
bool has_role(const Principal& principal, std::initializer_list<Role> roles);
// 403 with the OpenAI error JSON (type permission_error).
http::Response forbidden_response(std::string_view message);

// Limits the requests in flight per key.
class ConcurrencyLimiter {
 public:
  // Holds one slot until destroyed or release()d. Movable; the limiter must outlive it.
  class Guard {
   public:
    Guard() = default;
    Guard(Guard&& other) noexcept;
    Guard& operator=(Guard&& other) noexcept;
    Guard(const Guard&) = delete;
    Guard& operator=(const Guard&) = delete;
    ~Guard() { release(); }
    void release();
    bool held() const { return limiter_ != nullptr; }

   private:
    friend class ConcurrencyLimiter;
    Guard(ConcurrencyLimiter* limiter, std::string key) : limiter_(limiter), key_(std::move(key)) {}
    ConcurrencyLimiter* limiter_ = nullptr;
    std::string key_;
  };

  ConcurrencyLimiter() = default;
  ConcurrencyLimiter(const ConcurrencyLimiter&) = delete;
  ConcurrencyLimiter& operator=(const ConcurrencyLimiter&) = delete;

  // Takes a slot for `key` (a key id) if fewer than `limit` are held (<= 0: no limit, counted
  // all the same). ResourceExhausted otherwise.
  Result<Guard> acquire(std::string_view key, int limit);
  // For the principal's key and limit.
  Result<Guard> acquire(const Principal& principal) {
    return acquire(principal.key_id, principal.max_concurrent);
  }
  // Slots held for `key` now.
  int in_flight(std::string_view key) const;

 private:
  void release(const std::string& key);

  mutable std::mutex mu_;
  std::unordered_map<std::string, int> held_;  // keys with at least one slot held
};

}  // namespace qwl::auth
