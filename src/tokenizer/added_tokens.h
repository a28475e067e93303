// Added tokens ("<|im_start|>", "<think>", ...) found in raw text before normalization.
//
// The reference tokenizer cuts the text at added tokens first, scanning left to right and taking
// the longest added token that starts at each position; the text between them is then
// normalized and BPE-encoded, and each added token becomes its own id. Matching works on bytes,
// which for well-formed UTF-8 text and tokens is the same as matching characters.
// Thread-safety: built single-threaded, then const and safe to share.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace qwl {

class AddedTokenMatcher {
 public:
  AddedTokenMatcher();

  // Adds a token; an empty text is ignored. A text added twice keeps the last id.
  void add(std::string_view text, int32_t id);
  bool empty() const { return n_tokens_ == 0; }

  struct Match {
    int32_t id;
    size_t length;  // in bytes
  };
  // The longest token that starts at text[pos], if any.
  bool match_at(std::string_view text, size_t pos, Match* match) const;

  // A part of the text: either plain text or one added token.
  struct Segment {
    std::string_view text;
    int32_t id;  // -1 for plain text
  };
  // Appends the segments of `text` in order; plain segments are never empty.
  void split(std::string_view text, std::vector<Segment>* out) const;

 private:
  struct Node {
    std::vector<std::pair<uint8_t, int32_t>> children;  // byte -> node index
    int32_t id = -1;                                    // token ending here, or -1
  };
  std::vector<Node> nodes_;
  bool can_start_[256] = {};
  size_t n_tokens_ = 0;
};

}  // namespace qwl
