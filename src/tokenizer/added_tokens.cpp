// Trie of added tokens and the left-to-right longest-match split (see added_tokens.h).
#include "tokenizer/added_tokens.h"

#include <cstring>

namespace qwl {

AddedTokenMatcher::AddedTokenMatcher() : nodes_(1) {}

void AddedTokenMatcher::add(std::string_view text, int32_t id) {
  if (text.empty()) return;
  can_start_[static_cast<uint8_t>(text[0])] = true;
  int32_t node = 0;
  for (char c : text) {
    const auto b = static_cast<uint8_t>(c);
    int32_t next = -1;
    for (const auto& [byte, child] : nodes_[node].children) {
      if (byte == b) next = child;
    }
    if (next < 0) {
      next = static_cast<int32_t>(nodes_.size());
      nodes_[node].children.emplace_back(b, next);
      nodes_.emplace_back();
    }
    node = next;
  }
  if (nodes_[node].id < 0) ++n_tokens_;
  nodes_[node].id = id;
}

bool AddedTokenMatcher::match_at(std::string_view text, size_t pos, Match* match) const {
  if (!can_start_[static_cast<uint8_t>(text[pos])]) return false;
  int32_t node = 0;
  bool found = false;
  for (size_t j = pos; j < text.size(); ++j) {
    const auto b = static_cast<uint8_t>(text[j]);
    int32_t next = -1;
    for (const auto& [byte, child] : nodes_[node].children) {
      if (byte == b) next = child;
    }
    if (next < 0) break;
    node = next;
    if (nodes_[node].id >= 0) {  // keep going: the longest match wins
      *match = {nodes_[node].id, j - pos + 1};
      found = true;
    }
  }
  return found;
}

void AddedTokenMatcher::split(std::string_view text, std::vector<Segment>* out) const {
  size_t start = 0;
  size_t i = 0;
  while (i < text.size()) {
    Match m;
    if (!empty() && match_at(text, i, &m)) {
      if (i > start) out->push_back({text.substr(start, i - start), -1});
      out->push_back({text.substr(i, m.length), m.id});
      i += m.length;
      start = i;
    } else {
      ++i;
    }
  }
  if (start < text.size()) out->push_back({text.substr(start), -1});
}

}  // namespace qwl
