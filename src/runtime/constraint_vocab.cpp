// Building the vocabulary trie: the text tokens sorted by their bytes, then laid out in
// preorder by walking the sorted list with the longest common prefix of neighbours.
#include "runtime/constraint_vocab.h"

#include <algorithm>
#include <numeric>

#include "base/check.h"
#include "runtime/grammar.h"

namespace qwl {

std::shared_ptr<const ConstraintVocab> ConstraintVocab::build(const Tokenizer& tokenizer) {
  auto v = std::make_shared<ConstraintVocab>();
  const int32_t n = tokenizer.n_vocab();
  v->n_vocab_ = n;
  v->is_text_.assign(n, false);
  v->text_offset_.assign(n + 1, 0);
  for (int32_t id = 0; id < n; ++id) {
    const TokenType type = tokenizer.token_type(id);
    v->text_offset_[id] = static_cast<uint32_t>(v->text_.size());
    if (type == TokenType::kControl || type == TokenType::kUserDefined) {
      v->specials_.emplace(tokenizer.token_text(id), id);
      continue;
    }
    if (type != TokenType::kNormal && type != TokenType::kByte) continue;
    const std::string_view bytes = tokenizer.token_bytes(id);
    if (bytes.empty()) continue;
    v->is_text_[id] = true;
    v->text_ += bytes;
    v->max_len_ = std::max(v->max_len_, bytes.size());
  }
  v->text_offset_[n] = static_cast<uint32_t>(v->text_.size());

  // The same list the generator and the scheduler stop on.
  for (int32_t id : tokenizer.end_of_generation_ids()) {
    if (id >= 0 && id < n) v->eog_.push_back(id);
  }

  std::vector<int32_t> order;
  for (int32_t id = 0; id < n; ++id) {
    if (v->is_text_[id]) order.push_back(id);
  }
  std::stable_sort(order.begin(), order.end(),
                   [&](int32_t a, int32_t b) { return v->text_bytes(a) < v->text_bytes(b); });

  std::vector<int32_t> path;  // path[d] = node at depth d + 1 on the current branch
  std::string_view prev;
  for (int32_t id : order) {
    const std::string_view bytes = v->text_bytes(id);
    size_t lcp = 0;
    while (lcp < prev.size() && lcp < bytes.size() && prev[lcp] == bytes[lcp]) ++lcp;
    if (lcp == bytes.size() && lcp == prev.size()) {
      v->duplicates_.push_back({v->token_[path.back()], id});
      continue;
    }
    while (path.size() > lcp) {
      v->end_[path.back()] = static_cast<int32_t>(v->byte_.size());
      path.pop_back();
    }
    for (size_t d = lcp; d < bytes.size(); ++d) {
      const auto node = static_cast<int32_t>(v->byte_.size());
      v->byte_.push_back(static_cast<uint8_t>(bytes[d]));
      v->depth_.push_back(static_cast<uint16_t>(d + 1));
      v->end_.push_back(-1);
      v->token_.push_back(-1);
      v->parent_.push_back(path.empty() ? -1 : path.back());
      path.push_back(node);
    }
    v->token_[path.back()] = id;
    prev = bytes;
  }
  while (!path.empty()) {
    v->end_[path.back()] = static_cast<int32_t>(v->byte_.size());
    path.pop_back();
  }
  QWL_CHECK(v->max_len_ < 65535, "token longer than the trie's depth type");
  v->count_string_chars();
  return v;
}

// Walks the trie through the grammar of JSON string content (json_char repeated): the
// grammar accepts exactly at character boundaries, so every byte read from an accepting state
// starts a character.
void ConstraintVocab::count_string_chars() {
  string_chars_.assign(n_vocab_, -1);
  Grammar g;
  g.add_rule("content", g.star(g.json_char()));
  auto compiled = CompiledGrammar::compile(g);
  QWL_CHECK(compiled.ok(), "{}", compiled.status().to_string());
  GrammarEngine engine(*compiled);
  std::vector<GrammarEngine::StateId> st(max_len_ + 2);
  std::vector<int16_t> count(max_len_ + 2, 0);
  st[0] = engine.initial();
  for (int32_t i = 0, n = n_nodes(); i < n;) {
    const int d = depth_[i];
    const GrammarEngine::StateId s = engine.next(st[d - 1], byte_[i]);
    if (s == GrammarEngine::kDead) {
      i = end_[i];
      continue;
    }
    st[d] = s;
    count[d] = static_cast<int16_t>(
        count[d - 1] + ((engine.flags(st[d - 1]) & GrammarEngine::kAccepting) ? 1 : 0));
    if (token_[i] >= 0) string_chars_[token_[i]] = count[d];
    ++i;
  }
  for (auto [id, dup] : duplicates_) string_chars_[dup] = string_chars_[id];
  for (int16_t c : string_chars_) max_string_chars_ = std::max<int32_t>(max_string_chars_, c);
  for (int32_t i = 0, n = n_nodes(); i < n; ++i) {
    const int32_t id = token_[i];
    if (id >= 0 && string_chars_[id] < 0 && text_bytes(id).find('"') != std::string_view::npos) {
      quote_nodes_.push_back(i);
    }
  }
}

bool ConstraintVocab::is_eog(int32_t id) const {
  return std::find(eog_.begin(), eog_.end(), id) != eog_.end();
}

std::optional<int32_t> ConstraintVocab::special_token(std::string_view text) const {
  auto it = specials_.find(std::string(text));
  if (it == specials_.end()) return std::nullopt;
  return it->second;
}

std::string_view ConstraintVocab::text_bytes(int32_t id) const {
  if (id < 0 || id >= n_vocab_) return {};
  return std::string_view(text_).substr(text_offset_[id], text_offset_[id + 1] - text_offset_[id]);
}

}  // namespace qwl
