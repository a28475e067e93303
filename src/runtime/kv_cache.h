// KvCache: the keys and values of every sequence, in fixed-size blocks shared copy-on-write.
//
// Memory is allocated once: for each layer a pool of n_blocks blocks of block_size positions,
// K and V separately (layout in model/forward.h, KvView). A sequence is a block table (block ids
// in position order) and a length. Blocks are reference-counted so that sequences can share a
// prefix (fork()); a shared block is copied before a sequence writes into it
// (prepare_write()). This is the structure the server's prefix cache and batch scheduler build on.
//
// Limits: a sequence holds at most max_positions positions (the context size); asking for more
// is OutOfRange "context is full". Running out of free blocks is ResourceExhausted.
// Thread-safety: none; one owner (the scheduler or a single generator) drives it.
#pragma once

#include <cstdint>
#include <span>
#include <unordered_map>
#include <vector>

#include "base/status.h"
#include "model/config.h"
#include "model/forward.h"

namespace qwl {

struct KvCacheOptions {
  DType type = DType::kF16;      // F16 or F32
  int block_size = 32;           // positions per block
  int64_t max_positions = 4096;  // per sequence: the context size
  int64_t n_blocks = 0;          // total blocks; 0 = enough for one full sequence
};

class KvCache {
 public:
  using SeqId = int32_t;

  // Validates options and allocates the pools. Errors: InvalidArgument (type, sizes),
  // ResourceExhausted (allocation failed).
  static Result<KvCache> create(const ModelConfig& config, const KvCacheOptions& options);

  KvCache(KvCache&&) = default;
  KvCache& operator=(KvCache&&) = default;
  KvCache(const KvCache&) = delete;
  KvCache& operator=(const KvCache&) = delete;

  KvView view() { return view_; }
  const KvCacheOptions& options() const { return options_; }
  int64_t n_blocks() const { return view_.n_blocks; }
  int64_t n_free_blocks() const { return static_cast<int64_t>(free_.size()); }
  // Bytes of K+V per position over all layers.
  int64_t bytes_per_position() const;

  SeqId create_sequence();
  // A new sequence of `length` positions whose block table starts with `shared` (blocks that
  // hold those positions, e.g. from the prefix cache); each block gains a reference, which
  // release() drops. length <= shared.size() * block_size; writes into the shared blocks go
  // through prepare_write() as for fork().
  SeqId create_sequence(std::span<const int32_t> shared, int64_t length);
  // A new sequence sharing all of `seq`'s blocks (and its length).
  Result<SeqId> fork(SeqId seq);
  // Drops the sequence and releases its blocks.
  void release(SeqId seq);

  // Makes room for positions [0, n_positions) of `seq`, allocating blocks as needed.
  Status reserve(SeqId seq, int64_t n_positions);
  // Gives every block touched by positions [begin, end) a private copy if it is shared.
  Status prepare_write(SeqId seq, int64_t begin, int64_t end);
  // Forgets positions >= n_positions (blocks wholly past it are released).
  void truncate(SeqId seq, int64_t n_positions);

  std::span<const int32_t> block_table(SeqId seq) const;
  int64_t length(SeqId seq) const;
  void set_length(SeqId seq, int64_t n_positions);
  int32_t ref_count(int32_t block) const { return refs_[static_cast<size_t>(block)]; }
  // A reference held by something other than a sequence (the prefix cache keeps the blocks it
  // indexes alive this way). unref_block() drops it; a block with no references left is free.
  void ref_block(int32_t block);
  void unref_block(int32_t block) { release_block(block); }
  int64_t n_sequences() const { return static_cast<int64_t>(seqs_.size()); }

 private:
  KvCache() = default;
  struct Sequence {
    std::vector<int32_t> blocks;
    int64_t length = 0;
  };
  Sequence& seq_ref(SeqId seq);
  const Sequence& seq_ref(SeqId seq) const;
  Result<int32_t> allocate_block();
  void release_block(int32_t block);
  void copy_block(int32_t from, int32_t to);

  KvCacheOptions options_;
  int n_layer_ = 0;
  std::vector<uint8_t> k_, v_;  // (n_layer, n_blocks, block_size, kv_width) each
  KvView view_;
  std::vector<int32_t> refs_;  // (n_blocks) sequences holding each block
  std::vector<int32_t> free_;  // free block ids, used as a stack
  std::unordered_map<SeqId, Sequence> seqs_;
  SeqId next_id_ = 0;
};

}  // namespace qwl
