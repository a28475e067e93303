// SHA-256 (FIPS 180-4): the digest under API-key hashing and other content hashes (pending
// actions, idempotency keys). Written from the standard; tested against the NIST examples.
//
// Sha256 hashes a message given in any number of pieces; sha256() hashes one buffer. The digest
// is 32 bytes, big-endian words as the standard writes them; to_hex() gives the usual lower-case
// text. Not for passwords (no salt, fast by design): API keys are 256-bit random values, for
// which one unsalted hash is enough.
// Thread-safety: a Sha256 is one computation; distinct objects are independent.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace qwl {

using Sha256Digest = std::array<uint8_t, 32>;

class Sha256 {
 public:
  Sha256() { reset(); }

  // Appends bytes to the message.
  void update(std::span<const uint8_t> bytes);
  void update(std::string_view bytes) {
    update(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()));
  }
  // Pads the message and returns its digest; the object is then reset for a new message.
  Sha256Digest finish();
  void reset();

 private:
  void compress(const uint8_t* block);  // one 64-byte block into state_

  std::array<uint32_t, 8> state_;
  std::array<uint8_t, 64> buffer_;  // the partial block not yet compressed
  size_t buffered_ = 0;             // bytes in buffer_
  uint64_t length_bytes_ = 0;       // message length so far
};

// The digest of `bytes`.
Sha256Digest sha256(std::string_view bytes);

// Lower-case hexadecimal, two characters per byte.
std::string to_hex(std::span<const uint8_t> bytes);

}  // namespace qwl
