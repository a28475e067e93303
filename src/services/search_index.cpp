// The inverted index of search: interned terms, delta-varint posting runs with skip entries, a
// tail for documents added after the build (see search_index.h).
#include "services/search_index.h"

#include <algorithm>
#include <numeric>

#include "base/check.h"

namespace qwl::services {
namespace {

void put_varint(uint64_t v, std::vector<uint8_t>* out) {
  while (v >= 0x80) {
    out->push_back(static_cast<uint8_t>(v | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<uint8_t>(v));
}

inline uint64_t get_varint(const uint8_t** p) {
  uint64_t v = 0;
  int shift = 0;
  while (true) {
    const uint8_t b = *(*p)++;
    v |= static_cast<uint64_t>(b & 0x7F) << shift;
    if (b < 0x80) return v;
    shift += 7;
  }
}

}  // namespace

// ---- PostingCursor ----------------------------------------------------------------------------

void PostingCursor::load_block(uint32_t block) {
  block_ = block;
  const uint32_t first = block * kPostingBlock;
  buf_len_ = std::min(kPostingBlock, count_ - first);
  const uint8_t* p = bytes_ + skip_offset_[block];
  uint32_t prev = block == 0 ? 0 : skip_last_[block - 1];
  for (uint32_t i = 0; i < buf_len_; ++i) {
    const uint64_t v = get_varint(&p);
    prev += static_cast<uint32_t>(v >> kPostingWeightBits);
    buf_slot_[i] = prev;
    buf_weight_[i] = static_cast<uint8_t>(v & kMaxPostingWeight);
  }
  pos_ = 0;
  slot_ = buf_slot_[0];
  weight_ = buf_weight_[0];
}

void PostingCursor::enter_tail(size_t from) {
  block_ = n_blocks_;
  tail_pos_ = from;
  if (tail_slots_ != nullptr && from < tail_slots_->size()) {
    slot_ = (*tail_slots_)[from];
    weight_ = (*tail_weights_)[from];
  } else {
    slot_ = kNoSlot;
  }
}

void PostingCursor::next() {
  if (slot_ == kNoSlot) return;
  if (block_ < n_blocks_) {
    if (++pos_ < buf_len_) {
      slot_ = buf_slot_[pos_];
      weight_ = buf_weight_[pos_];
    } else if (block_ + 1 < n_blocks_) {
      load_block(block_ + 1);
    } else {
      enter_tail(0);
    }
    return;
  }
  enter_tail(tail_pos_ + 1);
}

void PostingCursor::seek(uint32_t target) {
  if (slot_ == kNoSlot || slot_ >= target) return;
  if (block_ < n_blocks_) {
    if (target <= last_main_) {
      if (target > skip_last_[block_]) {
        const uint32_t* end = skip_last_ + n_blocks_;
        const uint32_t b = static_cast<uint32_t>(
            std::lower_bound(skip_last_ + block_ + 1, end, target) - skip_last_);
        load_block(b);
      }
      // The block's last slot is >= target, so this stops inside the buffer.
      while (buf_slot_[pos_] < target) ++pos_;
      slot_ = buf_slot_[pos_];
      weight_ = buf_weight_[pos_];
      return;
    }
    if (tail_slots_ == nullptr) {
      block_ = n_blocks_;
      slot_ = kNoSlot;
      return;
    }
    enter_tail(0);
    if (slot_ >= target) return;
  }
  const auto begin = tail_slots_->begin() + static_cast<std::ptrdiff_t>(tail_pos_);
  enter_tail(static_cast<size_t>(std::lower_bound(begin, tail_slots_->end(), target) -
                                 tail_slots_->begin()));
}

// ---- Builder ----------------------------------------------------------------------------------

struct TermIndex::Builder::Term {
  std::vector<uint8_t> bytes;
  uint32_t last = 0;
  uint32_t count = 0;
};

TermIndex::Builder::Builder() = default;
TermIndex::Builder::~Builder() = default;
TermIndex::Builder::Builder(Builder&&) noexcept = default;
TermIndex::Builder& TermIndex::Builder::operator=(Builder&&) noexcept = default;

uint32_t TermIndex::Builder::add_doc() {
  return n_slots_++;
}

void TermIndex::Builder::add(std::string_view term, uint32_t slot, uint8_t weight) {
  QWL_CHECK(slot < n_slots_ && weight <= kMaxPostingWeight, "posting {} {}", slot, weight);
  auto it = ids_.find(term);
  if (it == ids_.end()) {
    it = ids_.emplace(std::string(term), static_cast<uint32_t>(terms_.size())).first;
    terms_.emplace_back();
    names_.emplace_back(term);
  }
  Term& t = terms_[it->second];
  QWL_CHECK(t.count == 0 || slot > t.last, "term '{}': slot {} after {}", term, slot, t.last);
  const uint32_t delta = t.count == 0 ? slot : slot - t.last;
  put_varint((static_cast<uint64_t>(delta) << kPostingWeightBits) | weight, &t.bytes);
  t.last = slot;
  ++t.count;
}

void TermIndex::Builder::kill(uint32_t slot) {
  dead_.push_back(slot);
}

std::unique_ptr<TermIndex> TermIndex::Builder::finish() {
  std::unique_ptr<TermIndex> index(new TermIndex());
  TermIndex& x = *index;
  std::vector<uint32_t> order(terms_.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(),
            [&](uint32_t a, uint32_t b) { return names_[a] < names_[b]; });
  size_t chars = 0, bytes = 0, blocks = 0;
  for (size_t i = 0; i < terms_.size(); ++i) {
    chars += names_[i].size();
    bytes += terms_[i].bytes.size();
    blocks += (terms_[i].count + kPostingBlock - 1) / kPostingBlock;
  }
  x.term_chars_.reserve(chars);
  x.term_offset_.reserve(order.size() + 1);
  x.info_.reserve(order.size());
  x.bytes_.reserve(bytes);
  x.skip_last_.reserve(blocks);
  x.skip_offset_.reserve(blocks);
  for (uint32_t id : order) {
    x.term_offset_.push_back(static_cast<uint32_t>(x.term_chars_.size()));
    x.term_chars_ += names_[id];
    Term& t = terms_[id];
    TermInfo info{.offset = x.bytes_.size(),
                  .count = t.count,
                  .skip = static_cast<uint32_t>(x.skip_last_.size())};
    // Block boundaries: decode the run once to find each block's start and last slot.
    const uint8_t* p = t.bytes.data();
    uint32_t slot = 0;
    for (uint32_t k = 0; k < t.count; ++k) {
      if (k % kPostingBlock == 0) {
        x.skip_offset_.push_back(static_cast<uint32_t>(p - t.bytes.data()));
      }
      slot += static_cast<uint32_t>(get_varint(&p) >> kPostingWeightBits);
      if (k % kPostingBlock == kPostingBlock - 1 || k + 1 == t.count) x.skip_last_.push_back(slot);
    }
    x.bytes_.insert(x.bytes_.end(), t.bytes.begin(), t.bytes.end());
    x.main_postings_ += t.count;
    x.info_.push_back(info);
    std::vector<uint8_t>().swap(t.bytes);  // release as we go: the peak stays near one copy
  }
  x.term_offset_.push_back(static_cast<uint32_t>(x.term_chars_.size()));
  x.n_slots_ = n_slots_;
  x.main_slots_ = n_slots_;
  x.alive_.assign((n_slots_ + 63) / 64, ~uint64_t{0});
  x.n_alive_ = n_slots_;
  std::sort(dead_.begin(), dead_.end());
  dead_.erase(std::unique(dead_.begin(), dead_.end()), dead_.end());
  for (uint32_t s : dead_) x.kill(s);
  *this = Builder();
  return index;
}

// ---- TermIndex --------------------------------------------------------------------------------

TermIndex::~TermIndex() = default;

std::string_view TermIndex::term(uint32_t id) const {
  if (id < main_terms()) {
    return std::string_view(term_chars_)
        .substr(term_offset_[id], term_offset_[id + 1] - term_offset_[id]);
  }
  return tail_names_[id - main_terms()];
}

std::optional<uint32_t> TermIndex::find(std::string_view key) const {
  uint32_t lo = 0, hi = main_terms();
  while (lo < hi) {
    const uint32_t mid = lo + (hi - lo) / 2;
    if (term(mid) < key) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  if (lo < main_terms() && term(lo) == key) return lo;
  if (!tail_ids_.empty()) {
    auto it = tail_ids_.find(key);
    if (it != tail_ids_.end()) return it->second;
  }
  return std::nullopt;
}

uint32_t TermIndex::df(uint32_t id) const {
  uint32_t n = id < main_terms() ? info_[id].count : 0;
  if (!tail_.empty()) {
    auto it = tail_.find(id);
    if (it != tail_.end()) n += static_cast<uint32_t>(it->second.slots.size());
  }
  return n;
}

PostingCursor TermIndex::cursor(uint32_t id) const {
  PostingCursor c;
  c.index_ = this;
  if (id < main_terms() && info_[id].count > 0) {
    const TermInfo& info = info_[id];
    c.bytes_ = bytes_.data() + info.offset;
    c.skip_last_ = skip_last_.data() + info.skip;
    c.skip_offset_ = skip_offset_.data() + info.skip;
    c.count_ = info.count;
    c.n_blocks_ = (info.count + kPostingBlock - 1) / kPostingBlock;
    c.last_main_ = c.skip_last_[c.n_blocks_ - 1];
  }
  if (!tail_.empty()) {
    auto it = tail_.find(id);
    if (it != tail_.end()) {
      c.tail_slots_ = &it->second.slots;
      c.tail_weights_ = &it->second.weights;
    }
  }
  if (c.n_blocks_ > 0) {
    c.load_block(0);
  } else {
    c.enter_tail(0);
  }
  return c;
}

void TermIndex::for_each_with_prefix(
    std::string_view prefix, const std::function<void(uint32_t, std::string_view)>& fn) const {
  uint32_t lo = 0, hi = main_terms();
  while (lo < hi) {
    const uint32_t mid = lo + (hi - lo) / 2;
    if (term(mid) < prefix) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  for (uint32_t id = lo; id < main_terms() && term(id).starts_with(prefix); ++id) fn(id, term(id));
  for (size_t i = 0; i < tail_names_.size(); ++i) {
    if (std::string_view(tail_names_[i]).starts_with(prefix)) {
      fn(main_terms() + static_cast<uint32_t>(i), tail_names_[i]);
    }
  }
}

uint32_t TermIndex::add_doc() {
  const uint32_t slot = n_slots_++;
  if (alive_.size() * 64 < n_slots_) alive_.push_back(0);
  alive_[slot >> 6] |= uint64_t{1} << (slot & 63);
  ++n_alive_;
  return slot;
}

void TermIndex::add(std::string_view term, uint32_t slot, uint8_t weight) {
  QWL_CHECK(slot < n_slots_ && slot >= main_slots_ && weight <= kMaxPostingWeight,
            "tail posting {} {}", slot, weight);
  uint32_t id;
  if (std::optional<uint32_t> found = find(term)) {
    id = *found;
  } else {
    id = main_terms() + static_cast<uint32_t>(tail_names_.size());
    tail_names_.emplace_back(term);
    tail_ids_.emplace(std::string(term), id);
  }
  Tail& t = tail_[id];
  QWL_CHECK(t.slots.empty() || slot > t.slots.back(), "term '{}': slot {} after {}", term, slot,
            t.slots.back());
  t.slots.push_back(slot);
  t.weights.push_back(weight);
  ++tail_postings_;
}

void TermIndex::kill(uint32_t slot) {
  QWL_CHECK(slot < n_slots_, "kill slot {} of {}", slot, n_slots_);
  uint64_t& word = alive_[slot >> 6];
  const uint64_t bit = uint64_t{1} << (slot & 63);
  if (word & bit) {
    word &= ~bit;
    --n_alive_;
  }
}

size_t TermIndex::memory_bytes() const {
  size_t n = term_chars_.capacity() + term_offset_.capacity() * sizeof(uint32_t) +
             info_.capacity() * sizeof(TermInfo) + bytes_.capacity() +
             (skip_last_.capacity() + skip_offset_.capacity()) * sizeof(uint32_t) +
             alive_.capacity() * sizeof(uint64_t);
  // Hash maps: a node, the key and a bucket pointer per entry (an estimate).
  for (const std::string& s : tail_names_) n += 2 * (s.capacity() + 64);
  for (const auto& [id, t] : tail_) n += 64 + t.slots.capacity() * 4 + t.weights.capacity();
  return n;
}

}  // namespace qwl::services
