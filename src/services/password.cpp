// PBKDF2-HMAC-SHA256 password hashes (see password.h).
#include "services/password.h"

#include <fmt/format.h>

#include <array>
#include <cstring>
#include <vector>

#include "base/sha256.h"

namespace qwl::services {
namespace {

// HMAC-SHA256 (RFC 2104) with the key's pads prepared once: PBKDF2 calls it `iterations`
// times with the same key. At 20,000 iterations a hash takes about 10 ms, fine for sign-in.
struct Hmac {
  std::array<uint8_t, 64> ipad{};
  std::array<uint8_t, 64> opad{};

  explicit Hmac(std::string_view key) {
    std::array<uint8_t, 64> k{};
    if (key.size() > 64) {
      Sha256Digest d = sha256(key);
      std::memcpy(k.data(), d.data(), d.size());
    } else {
      std::memcpy(k.data(), key.data(), key.size());
    }
    for (size_t i = 0; i < 64; ++i) {
      ipad[i] = k[i] ^ 0x36;
      opad[i] = k[i] ^ 0x5c;
    }
  }
  Sha256Digest mac(std::span<const uint8_t> message) const {
    Sha256 inner;
    inner.update(ipad);
    inner.update(message);
    Sha256Digest inner_digest = inner.finish();
    Sha256 outer;
    outer.update(opad);
    outer.update(inner_digest);
    return outer.finish();
  }
};

std::span<const uint8_t> bytes_of(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

bool from_hex(std::string_view hex, std::string* out) {
  if (hex.size() % 2 != 0) return false;
  out->clear();
  for (size_t i = 0; i < hex.size(); i += 2) {
    auto nibble = [](char c) -> int {
      if (c >= '0' && c <= '9') return c - '0';
      if (c >= 'a' && c <= 'f') return c - 'a' + 10;
      return -1;
    };
    int hi = nibble(hex[i]);
    int lo = nibble(hex[i + 1]);
    if (hi < 0 || lo < 0) return false;
    out->push_back(static_cast<char>(hi * 16 + lo));
  }
  return true;
}

}  // namespace

std::string pbkdf2_sha256(std::string_view password, std::string_view salt, int iterations) {
  Hmac hmac(password);
  std::vector<uint8_t> first(salt.begin(), salt.end());
  for (uint8_t b : {0, 0, 0, 1}) first.push_back(b);  // block index 1, big-endian
  Sha256Digest u = hmac.mac(first);
  Sha256Digest t = u;
  for (int i = 1; i < iterations; ++i) {
    u = hmac.mac(u);
    for (size_t j = 0; j < t.size(); ++j) t[j] ^= u[j];
  }
  return std::string(reinterpret_cast<const char*>(t.data()), t.size());
}

std::string hash_password(std::string_view password, std::string_view salt, int iterations) {
  std::string hash = pbkdf2_sha256(password, salt, iterations);
  return fmt::format("pbkdf2-sha256${}${}${}", iterations, to_hex(bytes_of(salt)),
                     to_hex(bytes_of(hash)));
}

bool verify_password(std::string_view password, std::string_view stored) {
  constexpr std::string_view kPrefix = "pbkdf2-sha256$";
  if (!stored.starts_with(kPrefix)) return false;
  std::string_view rest = stored.substr(kPrefix.size());
  size_t a = rest.find('$');
  if (a == std::string_view::npos) return false;
  size_t b = rest.find('$', a + 1);
  if (b == std::string_view::npos) return false;
  int iterations = 0;
  for (char c : rest.substr(0, a)) {
    if (c < '0' || c > '9' || iterations > 10'000'000) return false;
    iterations = iterations * 10 + (c - '0');
  }
  std::string salt, expected;
  if (iterations < 1 || !from_hex(rest.substr(a + 1, b - a - 1), &salt) ||
      !from_hex(rest.substr(b + 1), &expected) || expected.size() != 32) {
    return false;
  }
  std::string actual = pbkdf2_sha256(password, salt, iterations);
  uint8_t diff = 0;
  for (size_t i = 0; i < actual.size(); ++i) diff |= static_cast<uint8_t>(actual[i] ^ expected[i]);
  return diff == 0;
}

}  // namespace qwl::services
