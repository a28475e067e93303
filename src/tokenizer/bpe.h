// Byte-level BPE over token ids: the merge table and the encoding of one pre-tokenized piece.
//
// A piece's bytes start as single-byte tokens; then, repeatedly, the adjacent pair with the
// lowest merge rank is replaced by its merged token, the leftmost pair winning among equal ranks,
// until no adjacent pair has a merge. This is the reference's order (Hugging Face tokenizers and
// its JavaScript port use a priority queue keyed by rank, then position).
// Thread-safety: building is single-threaded; encode() is const and safe to call concurrently.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

namespace qwl {

class BpeMerges {
 public:
  // Pieces up to this many bytes are merged by scanning the pair array (fastest for short
  // pieces); longer ones use a heap, so that a long piece costs O(n log n), not O(n^2).
  static constexpr size_t kLinearMax = 64;

  struct Merge {
    int32_t rank;
    int32_t merged;  // the token that replaces the pair
  };

  // `byte_tokens[b]` is the token of the single byte b.
  explicit BpeMerges(const std::array<int32_t, 256>& byte_tokens);

  // Adds the merge (left, right) -> merged with the next rank (0, 1, ...). A pair that is
  // already present takes the new rank, as the reference's map of ranks does.
  void add(int32_t left, int32_t right, int32_t merged);
  size_t size() const { return n_merges_; }
  std::optional<Merge> find(int32_t left, int32_t right) const;

  // Appends the tokens of `piece` (raw bytes) to `out`. `linear_max` selects the algorithm
  // (tests force the heap with 0); both give the same result.
  void encode(std::string_view piece, std::vector<int32_t>* out,
              size_t linear_max = kLinearMax) const;

 private:
  struct Slot {
    uint64_t key;  // left << 32 | right; kEmpty when unused
    Merge merge;
  };
  static constexpr uint64_t kEmpty = ~uint64_t{0};

  size_t slot_of(uint64_t key) const;
  void grow();
  void encode_linear(std::string_view piece, std::vector<int32_t>* out) const;
  void encode_heap(std::string_view piece, std::vector<int32_t>* out) const;

  std::array<int32_t, 256> byte_tokens_;
  // Open addressing with linear probing; the capacity is a power of two, at most half full.
  std::vector<Slot> slots_;
  int shift_ = 64;  // 64 - log2(capacity), for Fibonacci hashing
  size_t n_merges_ = 0;
  size_t n_used_ = 0;
};

}  // namespace qwl
