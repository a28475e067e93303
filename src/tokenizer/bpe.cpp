// BPE merge table and piece encoding (see bpe.h).
#include "tokenizer/bpe.h"

#include <algorithm>
#include <climits>
#include <queue>

#include "base/check.h"

namespace qwl {
namespace {

uint64_t pair_key(int32_t left, int32_t right) {
  return uint64_t{static_cast<uint32_t>(left)} << 32 | static_cast<uint32_t>(right);
}

}  // namespace

BpeMerges::BpeMerges(const std::array<int32_t, 256>& byte_tokens) : byte_tokens_(byte_tokens) {
  slots_.assign(1024, Slot{kEmpty, {}});
  shift_ = 64 - 10;
}

size_t BpeMerges::slot_of(uint64_t key) const {
  // Fibonacci hashing spreads the (left, right) ids, which are dense small integers.
  size_t i = static_cast<size_t>((key * 0x9E3779B97F4A7C15ull) >> shift_);
  const size_t mask = slots_.size() - 1;
  while (slots_[i].key != kEmpty && slots_[i].key != key) i = (i + 1) & mask;
  return i;
}

void BpeMerges::grow() {
  std::vector<Slot> old = std::move(slots_);
  slots_.assign(old.size() * 2, Slot{kEmpty, {}});
  --shift_;
  for (const Slot& s : old) {
    if (s.key != kEmpty) slots_[slot_of(s.key)] = s;
  }
}

void BpeMerges::add(int32_t left, int32_t right, int32_t merged) {
  QWL_CHECK(left >= 0 && right >= 0 && merged >= 0);
  const int32_t rank = static_cast<int32_t>(n_merges_++);
  const uint64_t key = pair_key(left, right);
  Slot& s = slots_[slot_of(key)];
  if (s.key == key) {
    s.merge = {rank, merged};
    return;
  }
  s = Slot{key, {rank, merged}};
  if (++n_used_ * 2 > slots_.size()) grow();
}

std::optional<BpeMerges::Merge> BpeMerges::find(int32_t left, int32_t right) const {
  const Slot& s = slots_[slot_of(pair_key(left, right))];
  if (s.key == kEmpty) return std::nullopt;
  return s.merge;
}

void BpeMerges::encode(std::string_view piece, std::vector<int32_t>* out, size_t linear_max) const {
  if (piece.empty()) return;
  if (piece.size() == 1) {
    out->push_back(byte_tokens_[static_cast<uint8_t>(piece[0])]);
    return;
  }
  if (piece.size() <= std::min(linear_max, kLinearMax)) {
    encode_linear(piece, out);
  } else {
    encode_heap(piece, out);
  }
}

void BpeMerges::encode_linear(std::string_view piece, std::vector<int32_t>* out) const {
  // ids[0..m) are the current symbols; rank[i] / merged[i] describe the pair (ids[i], ids[i+1]).
  int32_t ids[kLinearMax];
  int32_t rank[kLinearMax];
  int32_t merged[kLinearMax];
  size_t m = piece.size();
  for (size_t i = 0; i < m; ++i) ids[i] = byte_tokens_[static_cast<uint8_t>(piece[i])];
  auto update = [&](size_t i) {
    const std::optional<Merge> mg = find(ids[i], ids[i + 1]);
    rank[i] = mg ? mg->rank : INT32_MAX;
    merged[i] = mg ? mg->merged : -1;
  };
  for (size_t i = 0; i + 1 < m; ++i) update(i);
  while (m > 1) {
    size_t best = 0;
    for (size_t i = 1; i + 1 < m; ++i) {
      if (rank[i] < rank[best]) best = i;  // strict: the leftmost of equal ranks wins
    }
    if (rank[best] == INT32_MAX) break;
    ids[best] = merged[best];
    // Remove symbol best+1 and the pair it started.
    for (size_t i = best + 1; i + 1 < m; ++i) {
      ids[i] = ids[i + 1];
      rank[i] = rank[i + 1];
      merged[i] = merged[i + 1];
    }
    --m;
    if (best > 0) update(best - 1);
    if (best + 1 < m) update(best);
  }
  out->insert(out->end(), ids, ids + m);
}

void BpeMerges::encode_heap(std::string_view piece, std::vector<int32_t>* out) const {
  // Symbols form a linked list over the piece's byte positions; a symbol keeps the position of
  // its first byte. Each change to a symbol bumps its version, which invalidates the heap
  // entries that refer to the old symbol (they are skipped when popped).
  struct Symbol {
    int32_t id;
    int32_t prev;
    int32_t next;
    uint32_t version;
  };
  struct Candidate {
    int32_t rank;
    int32_t left;
    int32_t right;
    uint32_t left_version;
    uint32_t right_version;
    bool operator>(const Candidate& o) const {
      return rank != o.rank ? rank > o.rank : left > o.left;
    }
  };
  const auto n = static_cast<int32_t>(piece.size());
  std::vector<Symbol> sym(static_cast<size_t>(n));
  for (int32_t i = 0; i < n; ++i) {
    sym[i] = {byte_tokens_[static_cast<uint8_t>(piece[i])], i - 1, i + 1 < n ? i + 1 : -1, 0};
  }
  std::vector<Candidate> storage;
  storage.reserve(static_cast<size_t>(n));
  std::priority_queue<Candidate, std::vector<Candidate>, std::greater<>> heap(std::greater<>(),
                                                                              std::move(storage));
  auto consider = [&](int32_t left) {
    if (left < 0) return;
    const int32_t right = sym[left].next;
    if (right < 0) return;
    const std::optional<Merge> mg = find(sym[left].id, sym[right].id);
    if (mg) heap.push({mg->rank, left, right, sym[left].version, sym[right].version});
  };
  for (int32_t i = 0; i + 1 < n; ++i) consider(i);
  while (!heap.empty()) {
    const Candidate c = heap.top();
    heap.pop();
    Symbol& l = sym[c.left];
    Symbol& r = sym[c.right];
    if (l.version != c.left_version || r.version != c.right_version || l.next != c.right) continue;
    l.id = find(l.id, r.id)->merged;
    ++l.version;
    ++r.version;  // r is gone; its stale entries must not match any more
    l.next = r.next;
    if (r.next >= 0) sym[r.next].prev = c.left;
    r.next = -1;
    consider(l.prev);
    consider(c.left);
  }
  // Position 0 always survives: merges keep the left symbol.
  for (int32_t i = 0; i >= 0; i = sym[i].next) out->push_back(sym[i].id);
}

}  // namespace qwl
