// API keys: hashing, generation, the Authorization header, the in-memory key ring and the
// per-key concurrency limiter.
#include "server/api_keys.h"

#include <fcntl.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "server/http_error.h"

namespace qwl::auth {
namespace {

constexpr char kBase64Url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

std::string base64url(std::span<const uint8_t> bytes) {
  std::string out;
  out.reserve((bytes.size() * 4 + 2) / 3);
  size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    const uint32_t v = (uint32_t{bytes[i]} << 16) | (uint32_t{bytes[i + 1]} << 8) | bytes[i + 2];
    out.push_back(kBase64Url[(v >> 18) & 63]);
    out.push_back(kBase64Url[(v >> 12) & 63]);
    out.push_back(kBase64Url[(v >> 6) & 63]);
    out.push_back(kBase64Url[v & 63]);
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

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

Status invalid_key() {
  return UnauthenticatedError("invalid API key");
}

}  // namespace

std::string_view role_name(Role role) {
  switch (role) {
    case Role::kCustomer:
      return "customer";
    case Role::kMerchant:
      return "merchant";
    case Role::kAdmin:
      return "admin";
  }
  return "customer";
}

Result<Role> parse_role(std::string_view name) {
  if (name == "customer") return Role::kCustomer;
  if (name == "merchant") return Role::kMerchant;
  if (name == "admin") return Role::kAdmin;
  return InvalidArgumentError("role: '{}' is not one of customer, merchant, admin", name);
}

KeyHash hash_api_key(std::string_view key) {
  return sha256(key);
}

std::string key_hash_hex(const KeyHash& hash) {
  return to_hex(hash);
}

Result<KeyHash> parse_key_hash_hex(std::string_view hex) {
  KeyHash hash{};
  if (hex.size() != hash.size() * 2) {
    return InvalidArgumentError("key hash: expected 64 hex digits, got {} characters", hex.size());
  }
  for (size_t i = 0; i < hash.size(); ++i) {
    const int hi = hex_digit(hex[2 * i]);
    const int lo = hex_digit(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return InvalidArgumentError("key hash: not a hex digit at {}", 2 * i);
    hash[i] = static_cast<uint8_t>(hi << 4 | lo);
  }
  return hash;
}

std::string key_id(const KeyHash& hash) {
  return to_hex(std::span(hash).first(6));
}

bool constant_time_equal(std::span<const uint8_t> a, std::span<const uint8_t> b) {
  if (a.size() != b.size()) return false;
  // Every byte is looked at whatever the first difference; volatile keeps the compiler from
  // turning the loop into an early-exit memcmp.
  volatile uint8_t diff = 0;
  for (size_t i = 0; i < a.size(); ++i) diff = diff | (a[i] ^ b[i]);
  return diff == 0;
}

std::string format_api_key(std::span<const uint8_t, 32> random_bytes) {
  return std::string(kKeyPrefix) + base64url(random_bytes);
}

Result<std::string> generate_api_key() {
  std::array<uint8_t, 32> bytes{};
  const int fd = ::open("/dev/urandom", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return IoErrorError("/dev/urandom: {}", std::strerror(errno));
  size_t got = 0;
  while (got < bytes.size()) {
    const ssize_t n = ::read(fd, bytes.data() + got, bytes.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int err = n < 0 ? errno : EIO;
      ::close(fd);
      return IoErrorError("/dev/urandom: {}", std::strerror(err));
    }
    got += static_cast<size_t>(n);
  }
  ::close(fd);
  std::string key = format_api_key(bytes);
  // The bytes are a secret: do not leave them on the stack.
  volatile uint8_t* p = bytes.data();
  for (size_t i = 0; i < bytes.size(); ++i) p[i] = 0;
  return key;
}

Status check_key_text(std::string_view key) {
  if (key.size() < kMinKeyLength || key.size() > kMaxKeyLength) {
    return InvalidArgumentError("API key: must be {} to {} characters long, got {}", kMinKeyLength,
                                kMaxKeyLength, key.size());
  }
  for (char c : key) {
    if (c < 0x21 || c > 0x7e) {
      return InvalidArgumentError("API key: only visible ASCII characters are allowed");
    }
  }
  return Status::Ok();
}

Result<std::string_view> bearer_token(std::optional<std::string_view> authorization) {
  if (!authorization || authorization->empty()) {
    return UnauthenticatedError(
        "no API key: send it in an Authorization header using Bearer auth "
        "(Authorization: Bearer YOUR_KEY)");
  }
  std::string_view v = *authorization;
  constexpr std::string_view kScheme = "bearer";
  if (v.size() <= kScheme.size() || !http::iequals(v.substr(0, kScheme.size()), kScheme) ||
      (v[kScheme.size()] != ' ' && v[kScheme.size()] != '\t')) {
    return UnauthenticatedError("Authorization header: expected 'Bearer KEY'");
  }
  v.remove_prefix(kScheme.size());
  while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
  while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
  if (v.empty())
    return UnauthenticatedError("Authorization header: the key after 'Bearer' is empty");
  return v;
}

Result<Principal> KeyRing::authenticate(std::string_view presented_key) const {
  // A malformed key is as unknown as a wrong one: the same answer, no hint.
  if (!check_key_text(presented_key).ok()) return invalid_key();
  const KeyHash hash = hash_api_key(presented_key);
  Result<ApiKeyRecord> record = find(hash);
  if (!record.ok()) {
    if (record.status().code() == StatusCode::kNotFound) return invalid_key();
    return record.status();
  }
  // find() matched on the hash already; this check does not rely on how a store compares.
  if (!constant_time_equal(record->hash, hash)) return invalid_key();
  return Principal{.user_id = record->user_id,
                   .role = record->role,
                   .key_id = key_id(hash),
                   .key_hash = hash,
                   .max_concurrent = record->max_concurrent};
}

size_t MemoryKeyRing::HashOfHash::operator()(const KeyHash& h) const {
  // The bytes of a SHA-256 are uniform: any eight of them make a good hash.
  size_t v = 0;
  std::memcpy(&v, h.data(), sizeof(v));
  return v;
}

Status MemoryKeyRing::add(ApiKeyRecord record) {
  if (record.user_id.empty()) return InvalidArgumentError("API key: the user id is empty");
  std::unique_lock lock(mu_);
  const KeyHash hash = record.hash;
  if (!records_.emplace(hash, std::move(record)).second) {
    return InvalidArgumentError("API key {}: already registered", key_id(hash));
  }
  return Status::Ok();
}

Status MemoryKeyRing::remove(const KeyHash& hash) {
  std::unique_lock lock(mu_);
  if (records_.erase(hash) == 0) return NotFoundError("API key {}: not registered", key_id(hash));
  return Status::Ok();
}

Result<ApiKeyRecord> MemoryKeyRing::find(const KeyHash& hash) const {
  std::shared_lock lock(mu_);
  auto it = records_.find(hash);
  if (it == records_.end()) return invalid_key();
  return it->second;
}

size_t MemoryKeyRing::size() const {
  std::shared_lock lock(mu_);
  return records_.size();
}

Result<ApiKeyRecord> operator_key_record(std::string_view key) {
  QWL_RETURN_IF_ERROR(check_key_text(key).with_context("--api-key"));
  return ApiKeyRecord{.hash = hash_api_key(key),
                      .user_id = std::string(kOperatorUserId),
                      .role = Role::kAdmin,
                      .max_concurrent = 0,
                      .label = "--api-key"};
}

std::string format_key_line(const ApiKeyRecord& r) {
  std::string line = fmt::format("{} {} {} {}", key_hash_hex(r.hash), r.user_id, role_name(r.role),
                                 r.max_concurrent);
  if (!r.label.empty()) line += " " + r.label;
  return line;
}

Result<std::vector<ApiKeyRecord>> parse_key_file(std::string_view text) {
  std::vector<ApiKeyRecord> records;
  int line_no = 0;
  while (!text.empty()) {
    const size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    ++line_no;
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.remove_suffix(1);
    while (!line.empty() && line.front() == ' ') line.remove_prefix(1);
    if (line.empty() || line.front() == '#') continue;
    // The first four fields, then the label (the rest of the line).
    std::string_view fields[4];
    for (std::string_view& f : fields) {
      const size_t sp = line.find(' ');
      f = line.substr(0, sp);
      line = sp == std::string_view::npos ? std::string_view() : line.substr(sp + 1);
      while (!line.empty() && line.front() == ' ') line.remove_prefix(1);
      if (f.empty())
        return InvalidArgumentError("key file line {}: expected HASH USER ROLE MAX_CONCURRENT",
                                    line_no);
    }
    ApiKeyRecord r;
    auto hash = parse_key_hash_hex(fields[0]);
    if (!hash.ok()) return hash.status().with_context(fmt::format("key file line {}", line_no));
    r.hash = hash.value();
    r.user_id = std::string(fields[1]);
    auto role = parse_role(fields[2]);
    if (!role.ok()) return role.status().with_context(fmt::format("key file line {}", line_no));
    r.role = role.value();
    const std::string limit(fields[3]);
    char* end = nullptr;
    const long n = std::strtol(limit.c_str(), &end, 10);
    if (end == limit.c_str() || *end != '\0' || n < 0 || n > 1'000'000)
      return InvalidArgumentError("key file line {}: MAX_CONCURRENT '{}' is not 0..1000000",
                                  line_no, limit);
    r.max_concurrent = static_cast<int>(n);
    r.label = std::string(line);
    for (const ApiKeyRecord& earlier : records)
      if (earlier.hash == r.hash)
        return InvalidArgumentError("key file line {}: the key {} is listed twice", line_no,
                                    key_id(r.hash));
    records.push_back(std::move(r));
  }
  return records;
}

Result<Principal> authenticate_request(const KeyRing& ring, const http::Request& request) {
  QWL_ASSIGN_OR_RETURN(const std::string_view key, bearer_token(request.header("authorization")));
  return ring.authenticate(key);
}

http::Response auth_error_response(const Status& status) {
  const StatusCode code = status.code();
  if (code != StatusCode::kUnauthenticated) return http::error_response(status);
  // OpenAI answers a missing key without an error code and a wrong one with "invalid_api_key".
  const bool no_key = status.message().rfind("no API key", 0) == 0;
  http::Response r =
      http::error_response(401, status.message(), {}, no_key ? "" : "invalid_api_key");
  r.headers.set("WWW-Authenticate", "Bearer");
  return r;
}

bool has_role(const Principal& principal, std::initializer_list<Role> roles) {
  for (Role r : roles) {
    if (principal.role == r) return true;
  }
  return false;
}

http::Response forbidden_response(std::string_view message) {
  return http::error_response(403, message);
}

ConcurrencyLimiter::Guard::Guard(Guard&& other) noexcept
    : limiter_(other.limiter_), key_(std::move(other.key_)) {
  other.limiter_ = nullptr;
}

ConcurrencyLimiter::Guard& ConcurrencyLimiter::Guard::operator=(Guard&& other) noexcept {
  if (this != &other) {
    release();
    limiter_ = other.limiter_;
    key_ = std::move(other.key_);
    other.limiter_ = nullptr;
  }
  return *this;
}

void ConcurrencyLimiter::Guard::release() {
  if (limiter_ == nullptr) return;
  limiter_->release(key_);
  limiter_ = nullptr;
}

Result<ConcurrencyLimiter::Guard> ConcurrencyLimiter::acquire(std::string_view key, int limit) {
  std::lock_guard<std::mutex> lock(mu_);
  auto [it, inserted] = held_.try_emplace(std::string(key), 0);
  if (limit > 0 && it->second >= limit) {
    return ResourceExhaustedError(
        "too many concurrent requests with this API key (at most {}): retry when one finishes",
        limit);
  }
  ++it->second;
  return Guard(this, it->first);
}

int ConcurrencyLimiter::in_flight(std::string_view key) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = held_.find(std::string(key));
  return it == held_.end() ? 0 : it->second;
}

void ConcurrencyLimiter::release(const std::string& key) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = held_.find(key);
  QWL_CHECK(it != held_.end() && it->second > 0, "ConcurrencyLimiter: release without acquire");
  if (--it->second == 0) held_.erase(it);  // idle keys take no memory
}

}  // namespace qwl::auth
