// Password hashes: PBKDF2-HMAC-SHA256 against published test vectors, and the stored format.
#include "services/password.h"

#include <gtest/gtest.h>

#include "base/sha256.h"

namespace qwl::services {
namespace {

std::string hex(const std::string& bytes) {
  return to_hex({reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()});
}

// The PBKDF2-HMAC-SHA256 vectors of RFC 7914 section 11 (first 32 bytes) and the widely used
// "password"/"salt" set.
TEST(PasswordTest, Pbkdf2MatchesPublishedVectors) {
  EXPECT_EQ(hex(pbkdf2_sha256("password", "salt", 1)),
            "120fb6cffcf8b32c43e7225256c4f837a86548c92ccc35480805987cb70be17b");
  EXPECT_EQ(hex(pbkdf2_sha256("password", "salt", 2)),
            "ae4d0c95af6b46d32d0adff928f06dd02a303f8ef3c251dfd6e2d85a95474c43");
  EXPECT_EQ(hex(pbkdf2_sha256("password", "salt", 4096)),
            "c5e478d59288c841aa530db6845c4c8d962893a001ce4e11a4963873aa98134a");
  EXPECT_EQ(hex(pbkdf2_sha256("passwd", "salt", 1)),
            "55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc");
}

TEST(PasswordTest, HashVerifiesOnlyTheRightPassword) {
  std::string stored = hash_password("correct horse", "0123456789abcdef", 1000);
  EXPECT_TRUE(stored.starts_with("pbkdf2-sha256$1000$30313233"));
  EXPECT_TRUE(verify_password("correct horse", stored));
  EXPECT_FALSE(verify_password("correct horsf", stored));
  EXPECT_FALSE(verify_password("", stored));
  EXPECT_FALSE(verify_password("x", ""));
  EXPECT_FALSE(verify_password("x", "pbkdf2-sha256$abc$00$00"));
  EXPECT_FALSE(verify_password("x", "pbkdf2-sha256$10$zz$00"));
  EXPECT_FALSE(verify_password("x", "md5$whatever"));
}

}  // namespace
}  // namespace qwl::services
