// ConstraintVocab: what token constraints need from a tokenizer, computed once and shared: the
// byte strings of the text tokens arranged as a trie (so a grammar state tests a shared
// prefix once for all the tokens that start with it), the end-of-generation tokens, and the
// special tokens a grammar may name.
//
// Text tokens are the normal (and byte) tokens with non-empty bytes. Control and user-defined
// added tokens ("<|im_end|>", "<tool_call>", "<think>") are never text: a constraint allows
// them only where its grammar names them as special tokens, or as end of generation.
// End-of-generation tokens: Tokenizer::end_of_generation_ids() (eos_id(), "<|im_end|>" and
// "<|endoftext|>", those that exist), the list the generator stops on.
//
// The trie is stored in preorder (which is the lexicographic order of the byte strings): node
// i consumes byte(i) at depth(i) (1 for children of the root), its subtree is [i, end(i)),
// and token(i) is the text token whose bytes end there (-1 if none). Tokens with identical
// bytes (none in Qwen's vocabularies) share a node; duplicates() lists the others.
//
// Ownership: owns copies of everything (the Tokenizer may be destroyed afterwards). Immutable:
// safe to share between threads and constraints. About 12 bytes per trie node (Qwen3: ~0.6M
// nodes).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "tokenizer/tokenizer.h"

namespace qwl {

class ConstraintVocab {
 public:
  static std::shared_ptr<const ConstraintVocab> build(const Tokenizer& tokenizer);

  int32_t n_vocab() const { return n_vocab_; }
  std::span<const int32_t> eog_tokens() const { return eog_; }
  bool is_eog(int32_t id) const;
  // The id of the control or user-defined token spelled `text`, if the vocabulary has one.
  std::optional<int32_t> special_token(std::string_view text) const;
  bool is_text(int32_t id) const { return id >= 0 && id < n_vocab_ && is_text_[id]; }
  // The bytes of a text token (empty for other ids).
  std::string_view text_bytes(int32_t id) const;
  size_t max_token_bytes() const { return max_len_; }

  // The trie (see the header comment).
  int32_t n_nodes() const { return static_cast<int32_t>(byte_.size()); }
  uint8_t byte(int32_t node) const { return byte_[node]; }
  int32_t depth(int32_t node) const { return depth_[node]; }
  int32_t end(int32_t node) const { return end_[node]; }
  int32_t token(int32_t node) const { return token_[node]; }
  int32_t parent(int32_t node) const { return parent_[node]; }
  const uint8_t* bytes_data() const { return byte_.data(); }
  const uint16_t* depth_data() const { return depth_.data(); }
  const int32_t* end_data() const { return end_.data(); }
  const int32_t* token_data() const { return token_.data(); }
  // (token at a node, another token with the same bytes).
  std::span<const std::pair<int32_t, int32_t>> duplicates() const { return duplicates_; }

  // JSON string content: how many characters (Grammar::json_char) a text token starts when
  // written inside a JSON string at a character boundary (a character it leaves unfinished
  // counts), or -1 when its bytes are not such content (an unescaped '"', a control, bad
  // UTF-8). quote_nodes(): the trie nodes, in order, of the tokens that are not content but
  // contain a '"' (those that may close a string). Token masks use both at the positions of
  // Grammar::json_string().
  int32_t string_chars(int32_t id) const { return is_text(id) ? string_chars_[id] : -1; }
  std::span<const int32_t> quote_nodes() const { return quote_nodes_; }
  // The largest string_chars() of any token: rooms above it accept the same tokens.
  int32_t max_string_chars() const { return max_string_chars_; }

 private:
  void count_string_chars();

  int32_t n_vocab_ = 0;
  std::vector<int32_t> eog_;
  std::unordered_map<std::string, int32_t> specials_;
  std::vector<bool> is_text_;
  std::vector<uint32_t>
      text_offset_;  // (n_vocab + 1): bytes of id in text_[offset[id], offset[id+1])
  std::string text_;
  size_t max_len_ = 0;
  std::vector<uint8_t> byte_;
  std::vector<uint16_t> depth_;
  std::vector<int32_t> end_;
  std::vector<int32_t> token_;
  std::vector<int32_t> parent_;
  std::vector<std::pair<int32_t, int32_t>> duplicates_;
  std::vector<int16_t> string_chars_;
  std::vector<int32_t> quote_nodes_;
  int32_t max_string_chars_ = 0;
};

}  // namespace qwl
