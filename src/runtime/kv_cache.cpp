// Block allocation, reference counting and copy-on-write for KvCache.
#include "runtime/kv_cache.h"

#include <cstring>
#include <new>

#include "base/check.h"

namespace qwl {

Result<KvCache> KvCache::create(const ModelConfig& config, const KvCacheOptions& options) {
  if (options.type != DType::kF16 && options.type != DType::kF32)
    return InvalidArgumentError("KV cache type must be f16 or f32, got {}",
                                dtype_name(options.type));
  if (options.block_size <= 0 || options.block_size > 4096)
    return InvalidArgumentError("KV block size {} out of range [1, 4096]", options.block_size);
  if (options.max_positions <= 0)
    return InvalidArgumentError("context size must be positive, got {}", options.max_positions);
  KvCache kv;
  kv.options_ = options;
  kv.n_layer_ = config.n_layer;
  const int64_t per_seq = (options.max_positions + options.block_size - 1) / options.block_size;
  const int64_t n_blocks = options.n_blocks > 0 ? options.n_blocks : per_seq;
  kv.view_ = KvView{.type = options.type,
                    .block_size = options.block_size,
                    .n_blocks = n_blocks,
                    .kv_width = config.kv_width()};
  const size_t bytes = kv.view_.layer_bytes() * static_cast<size_t>(config.n_layer);
  try {
    kv.k_.assign(bytes, 0);
    kv.v_.assign(bytes, 0);
  } catch (const std::bad_alloc&) {
    return ResourceExhaustedError("cannot allocate {} MiB for the KV cache (reduce --ctx-size)",
                                  2 * bytes >> 20);
  }
  kv.view_.k = kv.k_.data();
  kv.view_.v = kv.v_.data();
  kv.refs_.assign(static_cast<size_t>(n_blocks), 0);
  for (int64_t b = n_blocks - 1; b >= 0; --b) kv.free_.push_back(static_cast<int32_t>(b));
  return kv;
}

int64_t KvCache::bytes_per_position() const {
  return 2 * static_cast<int64_t>(view_.position_bytes()) * n_layer_;
}

KvCache::Sequence& KvCache::seq_ref(SeqId seq) {
  auto it = seqs_.find(seq);
  QWL_CHECK(it != seqs_.end(), "unknown sequence {}", seq);
  return it->second;
}
const KvCache::Sequence& KvCache::seq_ref(SeqId seq) const {
  auto it = seqs_.find(seq);
  QWL_CHECK(it != seqs_.end(), "unknown sequence {}", seq);
  return it->second;
}

KvCache::SeqId KvCache::create_sequence() {
  const SeqId id = next_id_++;
  seqs_.emplace(id, Sequence{});
  return id;
}

KvCache::SeqId KvCache::create_sequence(std::span<const int32_t> shared, int64_t length) {
  QWL_CHECK(length >= 0 && length <= static_cast<int64_t>(shared.size()) * options_.block_size,
            "{} positions do not fit {} shared blocks", length, shared.size());
  Sequence s;
  s.blocks.assign(shared.begin(), shared.end());
  s.length = length;
  for (int32_t b : s.blocks) ref_block(b);
  const SeqId id = next_id_++;
  seqs_.emplace(id, std::move(s));
  return id;
}

void KvCache::ref_block(int32_t block) {
  QWL_CHECK(block >= 0 && block < view_.n_blocks, "block {} out of range", block);
  int32_t& r = refs_[static_cast<size_t>(block)];
  QWL_CHECK(r > 0, "referencing free block {}", block);
  ++r;
}

Result<KvCache::SeqId> KvCache::fork(SeqId seq) {
  Sequence copy = seq_ref(seq);
  for (int32_t b : copy.blocks) ++refs_[static_cast<size_t>(b)];
  const SeqId id = next_id_++;
  seqs_.emplace(id, std::move(copy));
  return id;
}

void KvCache::release(SeqId seq) {
  Sequence& s = seq_ref(seq);
  for (int32_t b : s.blocks) release_block(b);
  seqs_.erase(seq);
}

Result<int32_t> KvCache::allocate_block() {
  if (free_.empty())
    return ResourceExhaustedError("KV cache is out of blocks ({} blocks of {} positions in use)",
                                  view_.n_blocks, options_.block_size);
  const int32_t b = free_.back();
  free_.pop_back();
  QWL_CHECK(refs_[static_cast<size_t>(b)] == 0, "free block {} has references", b);
  refs_[static_cast<size_t>(b)] = 1;
  return b;
}

void KvCache::release_block(int32_t block) {
  int32_t& r = refs_[static_cast<size_t>(block)];
  QWL_CHECK(r > 0, "releasing free block {}", block);
  if (--r == 0) free_.push_back(block);
}

void KvCache::copy_block(int32_t from, int32_t to) {
  const size_t bb = view_.block_bytes();
  for (int il = 0; il < n_layer_; ++il) {
    const size_t layer = static_cast<size_t>(il) * view_.layer_bytes();
    std::memcpy(k_.data() + layer + to * bb, k_.data() + layer + from * bb, bb);
    std::memcpy(v_.data() + layer + to * bb, v_.data() + layer + from * bb, bb);
  }
}

Status KvCache::reserve(SeqId seq, int64_t n_positions) {
  if (n_positions > options_.max_positions)
    return OutOfRangeError("context is full: {} positions requested, the context size is {}",
                           n_positions, options_.max_positions);
  Sequence& s = seq_ref(seq);
  const int64_t need = (n_positions + options_.block_size - 1) / options_.block_size;
  while (static_cast<int64_t>(s.blocks.size()) < need) {
    QWL_ASSIGN_OR_RETURN(int32_t b, allocate_block());
    s.blocks.push_back(b);
  }
  return Status::Ok();
}

Status KvCache::prepare_write(SeqId seq, int64_t begin, int64_t end) {
  Sequence& s = seq_ref(seq);
  if (end <= begin) return Status::Ok();
  const int64_t first = begin / options_.block_size;
  const int64_t last = (end - 1) / options_.block_size;
  QWL_CHECK(last < static_cast<int64_t>(s.blocks.size()), "write past reserved blocks");
  for (int64_t i = first; i <= last; ++i) {
    int32_t& b = s.blocks[static_cast<size_t>(i)];
    if (refs_[static_cast<size_t>(b)] == 1) continue;
    QWL_ASSIGN_OR_RETURN(int32_t fresh, allocate_block());
    copy_block(b, fresh);
    release_block(b);
    b = fresh;
  }
  return Status::Ok();
}

void KvCache::truncate(SeqId seq, int64_t n_positions) {
  Sequence& s = seq_ref(seq);
  const int64_t keep = (n_positions + options_.block_size - 1) / options_.block_size;
  while (static_cast<int64_t>(s.blocks.size()) > keep) {
    release_block(s.blocks.back());
    s.blocks.pop_back();
  }
  if (s.length > n_positions) s.length = n_positions;
}

std::span<const int32_t> KvCache::block_table(SeqId seq) const {
  return seq_ref(seq).blocks;
}
int64_t KvCache::length(SeqId seq) const {
  return seq_ref(seq).length;
}
void KvCache::set_length(SeqId seq, int64_t n_positions) {
  seq_ref(seq).length = n_positions;
}

}  // namespace qwl
