// Password hashing for accounts that sign in to the web app: PBKDF2-HMAC-SHA256 (RFC 8018)
// with a per-user random salt, stored as one self-describing text
//   "pbkdf2-sha256$<iterations>$<salt hex>$<hash hex>"
// so that the iteration count can rise later without invalidating stored hashes. An empty
// stored hash means "no password": such an account cannot sign in with one.
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace qwl::services {

inline constexpr int kPasswordIterations = 20'000;

// The stored form of `password` with `salt` (16 random bytes from the caller's RNG; tests and
// the seed pass fixed ones so that databases are reproducible).
std::string hash_password(std::string_view password, std::string_view salt,
                          int iterations = kPasswordIterations);

// True when `password` matches `stored` (compared in constant time). False for an empty or
// malformed stored hash.
bool verify_password(std::string_view password, std::string_view stored);

// PBKDF2-HMAC-SHA256 with one 32-byte output block (exposed for the RFC test vectors).
std::string pbkdf2_sha256(std::string_view password, std::string_view salt, int iterations);

}  // namespace qwl::services
