// SHA-256 against the examples of NIST's "Secure Hashing" example values (FIPS 180-4) and the
// one-million-'a' vector, in one piece and split at every point.
#include "base/sha256.h"

#include <gtest/gtest.h>

#include <string>

namespace qwl {
namespace {

std::string hex_of(std::string_view message) {
  return to_hex(sha256(message));
}

TEST(Sha256Test, NistOneBlockMessageAbc) {
  EXPECT_EQ(hex_of("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Sha256Test, NistTwoBlockMessage448Bits) {
  EXPECT_EQ(hex_of("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

TEST(Sha256Test, Nist896BitMessage) {
  EXPECT_EQ(
      hex_of("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopq"
             "klmnopqrlmnopqrsmnopqrstnopqrstu"),
      "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
}

TEST(Sha256Test, EmptyMessage) {
  EXPECT_EQ(hex_of(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(Sha256Test, OneMillionA) {
  EXPECT_EQ(hex_of(std::string(1'000'000, 'a')),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
  // The same message in uneven pieces.
  Sha256 h;
  const std::string piece(997, 'a');
  size_t left = 1'000'000;
  while (left > 0) {
    const size_t n = std::min(left, piece.size());
    h.update(std::string_view(piece).substr(0, n));
    left -= n;
  }
  EXPECT_EQ(to_hex(h.finish()), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(Sha256Test, AnySplitGivesTheSameDigest) {
  // 119 bytes: padding crosses a block boundary for some prefixes, not for others.
  std::string message;
  for (int i = 0; i < 119; ++i) message.push_back(static_cast<char>('!' + (i * 7) % 90));
  for (size_t len = 0; len <= message.size(); ++len) {
    const std::string_view m = std::string_view(message).substr(0, len);
    const Sha256Digest whole = sha256(m);
    for (size_t cut = 0; cut <= len; ++cut) {
      Sha256 h;
      h.update(m.substr(0, cut));
      h.update(m.substr(cut));
      ASSERT_EQ(h.finish(), whole) << "len " << len << " cut " << cut;
    }
  }
}

TEST(Sha256Test, FinishResetsForTheNextMessage) {
  Sha256 h;
  h.update("something else");
  (void)h.finish();
  h.update("abc");
  EXPECT_EQ(to_hex(h.finish()), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Sha256Test, PaddingBoundaries) {
  // Lengths 55, 56 and 64 bytes straddle the one-or-two padding blocks; digests from
  // coreutils sha256sum.
  EXPECT_EQ(hex_of(std::string(55, 'a')),
            "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318");
  EXPECT_EQ(hex_of(std::string(56, 'a')),
            "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a");
  EXPECT_EQ(hex_of(std::string(64, 'a')),
            "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb");
}

TEST(Sha256Test, HexIsLowerCaseTwoCharactersPerByte) {
  const uint8_t bytes[] = {0x00, 0x0f, 0xa0, 0xff};
  EXPECT_EQ(to_hex(bytes), "000fa0ff");
}

}  // namespace
}  // namespace qwl
