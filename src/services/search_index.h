// TermIndex: the inverted index under search (one per kind of document: products, merchants,
// menu items). It maps interned terms to posting lists of document slots with a small weight,
// compactly enough for a million documents in memory, and takes later documents without a
// rebuild.
//
// Slots: documents are numbered 0, 1, 2, ... in the order they are added; a changed document gets
// a new slot and its old one is killed (a tombstone), so every posting list stays sorted by slot
// and is only ever appended to. Killed slots stay in the lists until the owner rebuilds the
// index (search.h decides when).
//
// Layout. The terms of a finished build live in one sorted character arena (binary search for
// lookups, contiguous ranges for prefix and typo expansion). Each term's postings are one byte
// run: per posting a varint of (slot delta << 7 | weight), weight = 7 bits (search.cpp: a
// quantised BM25 saturation in the low 5 bits, then "found in a name" and "starts a name"), so
// a posting of a frequent term takes 2 bytes, of a rare one 3. Every kBlock postings a skip entry
// records the block's last slot and byte offset, so a cursor seeks past blocks without decoding
// them. Terms and postings added after the build go to a small uncompressed tail (a hash map of new
// terms and per-term slot vectors).
//
// Thread-safety: const methods may run concurrently; add/kill need exclusive access (the owner's
// lock). Cursors borrow the index and must not outlive it or run across a write.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace qwl::services {

inline constexpr uint32_t kPostingBlock = 128;
inline constexpr uint32_t kNoSlot = 0xFFFFFFFFu;
inline constexpr int kPostingWeightBits = 7;
inline constexpr uint8_t kMaxPostingWeight = (1 << kPostingWeightBits) - 1;

class TermIndex;

// Hash map keys that can be looked up by string_view without building a string.
struct TermHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>()(s); }
};
using TermIds = std::unordered_map<std::string, uint32_t, TermHash, std::equal_to<>>;

// Walks one term's postings in slot order: the compressed main run, then the tail.
class PostingCursor {
 public:
  PostingCursor() = default;
  bool valid() const { return slot_ != kNoSlot; }
  uint32_t slot() const { return slot_; }     // kNoSlot when exhausted
  uint8_t weight() const { return weight_; }  // 0..kMaxPostingWeight
  void next();
  // Moves to the first posting with slot >= target (never backwards).
  void seek(uint32_t target);

 private:
  friend class TermIndex;

  // Hash map keys that can be looked up by string_view without building a string.
  struct TermHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>()(s); }
  };
  using TermIds = std::unordered_map<std::string, uint32_t, TermHash, std::equal_to<>>;
  void load_block(uint32_t block);
  void enter_tail(size_t from);

  const TermIndex* index_ = nullptr;
  // Main run.
  const uint8_t* bytes_ = nullptr;
  const uint32_t* skip_last_ = nullptr;    // per block: last slot (n_blocks_ entries)
  const uint32_t* skip_offset_ = nullptr;  // per block: byte offset in bytes_
  uint32_t count_ = 0;                     // postings in the main run
  uint32_t n_blocks_ = 0;
  uint32_t last_main_ = 0;  // last slot of the main run
  uint32_t block_ = 0;      // current block (== n_blocks_: in the tail)
  uint32_t pos_ = 0;        // position in buf_
  uint32_t buf_len_ = 0;
  uint32_t buf_slot_[kPostingBlock];
  uint8_t buf_weight_[kPostingBlock];
  // Tail.
  const std::vector<uint32_t>* tail_slots_ = nullptr;
  const std::vector<uint8_t>* tail_weights_ = nullptr;
  size_t tail_pos_ = 0;

  uint32_t slot_ = kNoSlot;
  uint8_t weight_ = 0;
};

class TermIndex {
 public:
  // Collects postings term by term, documents in increasing slot order. Not thread-safe.
  class Builder {
   public:
    Builder();
    ~Builder();
    Builder(Builder&&) noexcept;
    Builder& operator=(Builder&&) noexcept;
    // The next slot (0, 1, 2, ...).
    uint32_t add_doc();
    // One posting of the current (or an earlier, alive) document. Within a term, slots must
    // increase; a document adds each term at most once. weight <= kMaxPostingWeight.
    void add(std::string_view term, uint32_t slot, uint8_t weight);
    // Marks a slot added in this build as dead (a document skipped after its slot was taken).
    void kill(uint32_t slot);
    // Sorts and compacts the terms into a finished index (the builder is emptied).
    std::unique_ptr<TermIndex> finish();

   private:
    struct Term;
    TermIds ids_;
    std::vector<std::string> names_;
    std::vector<Term> terms_;
    std::vector<uint32_t> dead_;
    uint32_t n_slots_ = 0;
  };

  TermIndex(const TermIndex&) = delete;
  TermIndex& operator=(const TermIndex&) = delete;
  ~TermIndex();

  // Term ids: main terms are 0..main_terms()-1 in byte order; tail terms follow.
  std::optional<uint32_t> find(std::string_view term) const;
  std::string_view term(uint32_t id) const;
  uint32_t main_terms() const { return static_cast<uint32_t>(term_offset_.size()) - 1; }
  size_t n_terms() const { return main_terms() + tail_names_.size(); }
  // Postings of a term (dead slots included).
  uint32_t df(uint32_t id) const;
  PostingCursor cursor(uint32_t id) const;

  // Calls fn(id, term) for every term starting with `prefix` (main terms in byte order, then
  // tail terms in the order they were added).
  void for_each_with_prefix(std::string_view prefix,
                            const std::function<void(uint32_t, std::string_view)>& fn) const;

  // Slots.
  uint32_t n_slots() const { return n_slots_; }
  uint32_t n_alive() const { return n_alive_; }
  bool alive(uint32_t slot) const { return (alive_[slot >> 6] >> (slot & 63)) & 1; }

  // Writes (exclusive access). A new slot, alive.
  uint32_t add_doc();
  // Appends a posting of a slot newer than every slot the term holds.
  void add(std::string_view term, uint32_t slot, uint8_t weight);
  void kill(uint32_t slot);
  // Slots and postings added since the build (a measure of how stale the layout is).
  uint32_t tail_slots() const { return n_slots_ - main_slots_; }
  size_t tail_postings() const { return tail_postings_; }

  // Bytes held (capacity, not size), for the stats.
  size_t memory_bytes() const;
  size_t posting_bytes() const { return bytes_.capacity(); }
  size_t main_postings() const { return main_postings_; }

 private:
  friend class PostingCursor;
  TermIndex() = default;

  struct TermInfo {
    uint64_t offset = 0;  // into bytes_
    uint32_t count = 0;   // postings
    uint32_t skip = 0;    // its first block's entry in skip_last_/skip_offset_
  };
  struct Tail {
    std::vector<uint32_t> slots;
    std::vector<uint8_t> weights;
  };

  // Main (built) part.
  std::string term_chars_;             // sorted terms, concatenated
  std::vector<uint32_t> term_offset_;  // main_terms()+1 offsets into term_chars_
  std::vector<TermInfo> info_;         // per main term
  std::vector<uint8_t> bytes_;         // all postings runs
  std::vector<uint32_t> skip_last_;    // per block of every term
  std::vector<uint32_t> skip_offset_;  // per block, relative to the term's offset
  uint32_t main_slots_ = 0;
  size_t main_postings_ = 0;
  // Tail.
  TermIds tail_ids_;
  std::vector<std::string> tail_names_;      // id - main_terms()
  std::unordered_map<uint32_t, Tail> tail_;  // by term id (main or tail)
  size_t tail_postings_ = 0;
  // Slots.
  std::vector<uint64_t> alive_;
  uint32_t n_slots_ = 0;
  uint32_t n_alive_ = 0;
};

}  // namespace qwl::services
