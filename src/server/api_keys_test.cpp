// API keys: hashing and hex, key generation and format, the Authorization header, the key
// ring (lookup, unknown and malformed keys, removal), the operator key, the HTTP answers for
// failures, and the per-key concurrency limit.
#include "server/api_keys.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <set>
#include <thread>
#include <vector>

namespace qwl::auth {
namespace {

constexpr std::string_view kKey = "qwl-test-key-0123456789abcdef";

ApiKeyRecord record(std::string_view key, std::string user, Role role, int limit = 0) {
  return {
      .hash = hash_api_key(key), .user_id = std::move(user), .role = role, .max_concurrent = limit};
}

TEST(ApiKeysTest, HashIsSha256OfTheKey) {
  EXPECT_EQ(key_hash_hex(hash_api_key("abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(key_id(hash_api_key("abc")), "ba7816bf8f01");
  auto parsed =
      parse_key_hash_hex("BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD");
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(*parsed, hash_api_key("abc"));
  EXPECT_FALSE(parse_key_hash_hex("ba78").ok());
  EXPECT_FALSE(parse_key_hash_hex(std::string(63, 'a') + "g").ok());
}

TEST(ApiKeysTest, ConstantTimeEqual) {
  const uint8_t a[] = {1, 2, 3};
  const uint8_t b[] = {1, 2, 3};
  const uint8_t c[] = {1, 2, 4};
  const uint8_t d[] = {1, 2};
  EXPECT_TRUE(constant_time_equal(a, b));
  EXPECT_FALSE(constant_time_equal(a, c));
  EXPECT_FALSE(constant_time_equal(a, d));
  EXPECT_TRUE(constant_time_equal({}, {}));
}

TEST(ApiKeysTest, KeyFormat) {
  std::array<uint8_t, 32> zeros{};
  EXPECT_EQ(format_api_key(zeros), "qwl-" + std::string(43, 'A'));
  std::array<uint8_t, 32> ff;
  ff.fill(0xff);
  // 30 bytes -> 40 "_"; the last 2 bytes (0xffff, 16 bits) -> "__8".
  EXPECT_EQ(format_api_key(ff), "qwl-" + std::string(42, '_') + "8");
  std::array<uint8_t, 32> seq;
  for (int i = 0; i < 32; ++i) seq[i] = static_cast<uint8_t>(i * 8 + 3);
  // Python: base64.urlsafe_b64encode(bytes).rstrip(b"=").
  EXPECT_EQ(format_api_key(seq), "qwl-AwsTGyMrMztDS1NbY2tze4OLk5ujq7O7w8vT2-Pr8_s");
}

TEST(ApiKeysTest, GeneratedKeysAreWellFormedAndDistinct) {
  std::set<std::string> keys;
  for (int i = 0; i < 50; ++i) {
    auto key = generate_api_key();
    ASSERT_TRUE(key.ok()) << key.status().to_string();
    EXPECT_EQ(key->size(), 4u + 43u);
    EXPECT_EQ(key->rfind("qwl-", 0), 0u);
    for (char c : key->substr(4)) {
      EXPECT_TRUE(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_') << *key;
    }
    EXPECT_TRUE(check_key_text(*key).ok());
    keys.insert(*key);
  }
  EXPECT_EQ(keys.size(), 50u);
}

TEST(ApiKeysTest, KeyText) {
  EXPECT_TRUE(check_key_text(kKey).ok());
  EXPECT_FALSE(check_key_text("short").ok());
  EXPECT_FALSE(check_key_text(std::string(257, 'a')).ok());
  EXPECT_FALSE(check_key_text("has a space in the middle").ok());
  EXPECT_FALSE(check_key_text("non-ascii-\xc3\xa9-characters").ok());
  // The message never repeats the key.
  EXPECT_EQ(check_key_text("secret secret secret").message().find("secret"), std::string::npos);
}

TEST(ApiKeysTest, BearerToken) {
  EXPECT_EQ(*bearer_token("Bearer abc"), "abc");
  EXPECT_EQ(*bearer_token("bearer   abc  "), "abc");
  EXPECT_EQ(*bearer_token("BEARER\tabc"), "abc");
  EXPECT_EQ(bearer_token(std::nullopt).status().code(), StatusCode::kUnauthenticated);
  EXPECT_EQ(bearer_token("").status().code(), StatusCode::kUnauthenticated);
  EXPECT_EQ(bearer_token("Basic dXNlcjpwYXNz").status().code(), StatusCode::kUnauthenticated);
  EXPECT_EQ(bearer_token("Bearerabc").status().code(), StatusCode::kUnauthenticated);
  EXPECT_EQ(bearer_token("Bearer ").status().code(), StatusCode::kUnauthenticated);
  EXPECT_EQ(bearer_token("Bearer    ").status().code(), StatusCode::kUnauthenticated);
}

TEST(ApiKeysTest, RingLooksUpByPresentedKey) {
  MemoryKeyRing ring;
  ASSERT_TRUE(ring.add(record(kKey, "u-1", Role::kMerchant, 3)).ok());
  ASSERT_TRUE(ring.add(record("qwl-another-key-abcdefghij", "u-2", Role::kCustomer)).ok());
  EXPECT_EQ(ring.size(), 2u);

  auto p = ring.authenticate(kKey);
  ASSERT_TRUE(p.ok()) << p.status().to_string();
  EXPECT_EQ(p->user_id, "u-1");
  EXPECT_EQ(p->role, Role::kMerchant);
  EXPECT_EQ(p->max_concurrent, 3);
  EXPECT_EQ(p->key_id, key_id(hash_api_key(kKey)));
  EXPECT_EQ(p->key_hash, hash_api_key(kKey));

  // Unknown, nearly right, and malformed keys all get the same answer.
  for (std::string_view bad : {std::string_view("qwl-test-key-0123456789abcdeX"),
                               std::string_view("qwl-test-key-0123456789abcde"),
                               std::string_view("short"), std::string_view("")}) {
    auto r = ring.authenticate(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().code(), StatusCode::kUnauthenticated);
    EXPECT_EQ(r.status().message(), "invalid API key");
  }
  // The ring stores hashes: a record for the key's hash is not a record for the hex text.
  EXPECT_FALSE(ring.authenticate(key_hash_hex(hash_api_key(kKey))).ok());
}

TEST(ApiKeysTest, RingAddAndRemove) {
  MemoryKeyRing ring;
  EXPECT_TRUE(ring.add(record(kKey, "u", Role::kCustomer)).ok());
  EXPECT_EQ(ring.add(record(kKey, "v", Role::kAdmin)).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ring.add(record("qwl-other-key-000000000", "", Role::kAdmin)).code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(ring.authenticate(kKey)->user_id, "u");  // the first one stays
  EXPECT_TRUE(ring.remove(hash_api_key(kKey)).ok());
  EXPECT_EQ(ring.remove(hash_api_key(kKey)).code(), StatusCode::kNotFound);
  EXPECT_FALSE(ring.authenticate(kKey).ok());
}

// A KeyRing over a store that matches loosely (as a careless SQL collation might): the
// constant-time check of the full hash still refuses the wrong key.
class LooseRing : public KeyRing {
 public:
  explicit LooseRing(ApiKeyRecord r) : r_(std::move(r)) {}
  Status add(ApiKeyRecord) override { return Status::Ok(); }
  Status remove(const KeyHash&) override { return Status::Ok(); }
  Result<ApiKeyRecord> find(const KeyHash& hash) const override {
    if (hash[0] == r_.hash[0]) return r_;  // first byte only
    return NotFoundError("no row");
  }
  ApiKeyRecord r_;
};

class FailingRing : public KeyRing {
 public:
  Status add(ApiKeyRecord) override { return Status::Ok(); }
  Status remove(const KeyHash&) override { return Status::Ok(); }
  Result<ApiKeyRecord> find(const KeyHash&) const override {
    return UnavailableError("database is locked");
  }
};

TEST(ApiKeysTest, AuthenticateChecksTheWholeHash) {
  const LooseRing ring(record(kKey, "u", Role::kAdmin));
  EXPECT_TRUE(ring.authenticate(kKey).ok());
  // Find a different key whose hash shares the first byte.
  std::string other;
  for (int i = 0; i < 100000; ++i) {
    std::string candidate = fmt::format("qwl-candidate-key-{:08}", i);
    if (hash_api_key(candidate)[0] == hash_api_key(kKey)[0] && candidate != kKey) {
      other = candidate;
      break;
    }
  }
  ASSERT_FALSE(other.empty());
  auto r = ring.authenticate(other);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kUnauthenticated);
}

TEST(ApiKeysTest, StoreFailuresAreNotAuthFailures) {
  const FailingRing ring;
  auto r = ring.authenticate(kKey);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(auth_error_response(r.status()).status, 503);
}

TEST(ApiKeysTest, OperatorKey) {
  auto rec = operator_key_record(kKey);
  ASSERT_TRUE(rec.ok());
  EXPECT_EQ(rec->user_id, "operator");
  EXPECT_EQ(rec->role, Role::kAdmin);
  EXPECT_EQ(rec->max_concurrent, 0);
  EXPECT_EQ(rec->hash, hash_api_key(kKey));
  MemoryKeyRing ring;
  ASSERT_TRUE(ring.add(*rec).ok());
  EXPECT_EQ(ring.authenticate(kKey)->role, Role::kAdmin);
  auto bad = operator_key_record("tiny");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("--api-key"), std::string::npos);
}

TEST(ApiKeysTest, AuthenticateRequest) {
  MemoryKeyRing ring;
  ASSERT_TRUE(ring.add(record(kKey, "u-9", Role::kCustomer)).ok());
  http::Request req;
  req.headers.set("Authorization", fmt::format("Bearer {}", kKey));
  auto p = authenticate_request(ring, req);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->user_id, "u-9");

  http::Request none;
  auto missing = authenticate_request(ring, none);
  ASSERT_FALSE(missing.ok());
  http::Response r = auth_error_response(missing.status());
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(r.headers.get("WWW-Authenticate"), "Bearer");
  auto j = nlohmann::json::parse(r.body);
  EXPECT_EQ(j["error"]["type"], "authentication_error");
  EXPECT_TRUE(j["error"]["code"].is_null());
  EXPECT_NE(j["error"]["message"].get<std::string>().find("Authorization: Bearer"),
            std::string::npos);

  http::Request wrong;
  wrong.headers.set("authorization", "Bearer qwl-wrong-key-000000000000");
  r = auth_error_response(authenticate_request(ring, wrong).status());
  EXPECT_EQ(r.status, 401);
  j = nlohmann::json::parse(r.body);
  EXPECT_EQ(j["error"]["code"], "invalid_api_key");
  EXPECT_EQ(j["error"]["message"], "invalid API key");
  EXPECT_EQ(r.body.find("qwl-wrong-key"), std::string::npos);  // the key is not echoed

  http::Request basic;
  basic.headers.set("Authorization", "Basic dXNlcjpwYXNz");
  EXPECT_EQ(auth_error_response(authenticate_request(ring, basic).status()).status, 401);
}

TEST(ApiKeysTest, Roles) {
  EXPECT_EQ(role_name(Role::kCustomer), "customer");
  EXPECT_EQ(role_name(Role::kMerchant), "merchant");
  EXPECT_EQ(role_name(Role::kAdmin), "admin");
  for (Role r : {Role::kCustomer, Role::kMerchant, Role::kAdmin}) {
    EXPECT_EQ(*parse_role(role_name(r)), r);
  }
  EXPECT_FALSE(parse_role("root").ok());
  const Principal merchant{.user_id = "m", .role = Role::kMerchant};
  EXPECT_TRUE(has_role(merchant, {Role::kMerchant, Role::kAdmin}));
  EXPECT_FALSE(has_role(merchant, {Role::kAdmin}));
  const http::Response r = forbidden_response("merchants only");
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(nlohmann::json::parse(r.body)["error"]["type"], "permission_error");
}

TEST(ApiKeysTest, ConcurrencyLimit) {
  ConcurrencyLimiter limiter;
  auto a = limiter.acquire("k", 2);
  auto b = limiter.acquire("k", 2);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(limiter.in_flight("k"), 2);
  auto c = limiter.acquire("k", 2);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), StatusCode::kResourceExhausted);
  const http::Response r = auth_error_response(c.status());
  EXPECT_EQ(r.status, 429);
  EXPECT_EQ(nlohmann::json::parse(r.body)["error"]["type"], "rate_limit_error");
  // Other keys are counted apart.
  auto other = limiter.acquire("other", 1);
  EXPECT_TRUE(other.ok());
  // Releasing one slot admits one more.
  a->release();
  EXPECT_FALSE(a->held());
  EXPECT_EQ(limiter.in_flight("k"), 1);
  auto d = limiter.acquire("k", 2);
  EXPECT_TRUE(d.ok());
  // A moved guard releases once.
  ConcurrencyLimiter::Guard moved = std::move(*d);
  EXPECT_TRUE(moved.held());
  EXPECT_FALSE(d->held());
  { ConcurrencyLimiter::Guard scoped = std::move(moved); }
  EXPECT_EQ(limiter.in_flight("k"), 1);
  // No limit: always admitted, still counted.
  std::vector<ConcurrencyLimiter::Guard> many;
  for (int i = 0; i < 10; ++i) many.push_back(limiter.acquire("free", 0).value());
  EXPECT_EQ(limiter.in_flight("free"), 10);
  many.clear();
  EXPECT_EQ(limiter.in_flight("free"), 0);
  // For a principal: its key and limit.
  const Principal p{.user_id = "u", .key_id = "abc", .max_concurrent = 1};
  auto g = limiter.acquire(p);
  EXPECT_TRUE(g.ok());
  EXPECT_FALSE(limiter.acquire(p).ok());
}

TEST(ApiKeysTest, ConcurrencyLimitHoldsUnderContention) {
  ConcurrencyLimiter limiter;
  constexpr int kLimit = 3;
  std::atomic<int> inside{0};
  std::atomic<int> max_inside{0};
  std::atomic<int> admitted{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 2000; ++i) {
        auto g = limiter.acquire("k", kLimit);
        if (!g.ok()) continue;
        ++admitted;
        const int now = ++inside;
        int seen = max_inside.load();
        while (now > seen && !max_inside.compare_exchange_weak(seen, now)) {
        }
        --inside;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_LE(max_inside.load(), kLimit);
  EXPECT_GT(admitted.load(), 0);
  EXPECT_EQ(limiter.in_flight("k"), 0);
}

}  // namespace
}  // namespace qwl::auth

namespace qwl::auth {
namespace {

TEST(ApiKeysTest, KeyFileRoundTrips) {
  const ApiKeyRecord a{.hash = hash_api_key("qwl-first-key-0123456789"),
                       .user_id = "alice",
                       .role = Role::kCustomer,
                       .max_concurrent = 4,
                       .label = "alice's laptop"};
  const ApiKeyRecord b{.hash = hash_api_key("qwl-second-key-0123456789"),
                       .user_id = "shop-7",
                       .role = Role::kMerchant};
  const std::string text = "# keys\n" + format_key_line(a) + "\n\n" + format_key_line(b) + "\r\n";
  auto records = parse_key_file(text);
  ASSERT_TRUE(records.ok()) << records.status().to_string();
  ASSERT_EQ(records->size(), 2u);
  EXPECT_EQ((*records)[0].hash, a.hash);
  EXPECT_EQ((*records)[0].user_id, "alice");
  EXPECT_EQ((*records)[0].max_concurrent, 4);
  EXPECT_EQ((*records)[0].label, "alice's laptop");
  EXPECT_EQ((*records)[1].role, Role::kMerchant);
  EXPECT_EQ((*records)[1].label, "");
  // The key itself never appears in the file.
  EXPECT_EQ(text.find("first-key"), std::string::npos);
}

TEST(ApiKeysTest, KeyFileErrorsNameTheLine) {
  const std::string hash = key_hash_hex(hash_api_key("qwl-first-key-0123456789"));
  for (const std::string& bad :
       {std::string("nothex alice customer 0"), hash + " alice", hash + " alice boss 0",
        hash + " alice customer -1", hash + " alice customer x",
        hash + " alice customer 0\n" + hash + " bob customer 0"}) {
    auto r = parse_key_file("# header\n" + bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << bad;
    EXPECT_NE(r.status().message().find("line "), std::string::npos) << r.status().message();
  }
}

}  // namespace
}  // namespace qwl::auth
