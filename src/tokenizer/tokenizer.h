// Tokenizer: Qwen's byte-level BPE, built from a model's tokenizer.ggml.* metadata and exact
// against the reference tokenizer (Hugging Face tokenizers / its JavaScript port).
//
// encode(text):
//   1. ill-formed UTF-8 is repaired: each maximal subpart of a bad sequence becomes U+FFFD, as
//      when the reference reads text from a file decoded as UTF-8 with replacement;
//   2. added tokens (control and user-defined tokens: "<|im_start|>", "<think>", ...) are cut
//      out of the raw text, longest match first, scanning left to right; each becomes its id;
//   3. the text between them is NFC-normalized, split by the Qwen2 pre-tokenizer regex
//      (pretokenizer.h), and each piece's bytes are BPE-merged by rank (bpe.h).
// decode(ids): the bytes of the tokens (added tokens as their text), with ill-formed UTF-8
// replaced by U+FFFD as the reference's decoder does, so the result is always valid UTF-8.
//
// Metadata keys read: tokenizer.ggml.model ("gpt2"), tokenizer.ggml.pre ("qwen2"),
// tokenizer.ggml.tokens, tokenizer.ggml.token_type, tokenizer.ggml.merges, and optionally
// tokenizer.ggml.{eos,bos,padding}_token_id and tokenizer.ggml.add_bos_token.
//
// Ownership: a Tokenizer owns copies of everything it needs; the Metadata may be dropped after
// from_metadata. Move-only (about 30 MB for Qwen's 151k tokens). Thread-safety: every const
// method may be called concurrently; the internal cache of encoded words is locked.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "format/metadata.h"

namespace qwl {

// GGUF token types (tokenizer.ggml.token_type).
enum class TokenType : int32_t {
  kNormal = 1,
  kUnknown = 2,
  kControl = 3,      // special tokens: matched in text only with parse_special
  kUserDefined = 4,  // added tokens that are not special ("<tool_call>", "<think>")
  kUnused = 5,       // padding entries "[PAD<id>]"
  kByte = 6,
};

class Tokenizer {
 public:
  Tokenizer(Tokenizer&&) noexcept;
  Tokenizer& operator=(Tokenizer&&) noexcept;
  Tokenizer(const Tokenizer&) = delete;
  Tokenizer& operator=(const Tokenizer&) = delete;
  ~Tokenizer();

  // Errors name the key: NotFound for a missing required key, Corrupt for a wrong type or
  // inconsistent values ("tokenizer.ggml.merges[12]: ..."), Unsupported for another tokenizer
  // model or pre-tokenizer than gpt2 / qwen2.
  static Result<Tokenizer> from_metadata(const Metadata& m);

  // Token ids of `text` (any bytes; see the header comment for ill-formed UTF-8). With
  // parse_special, control tokens written in the text ("<|im_start|>") become their ids;
  // without it they are encoded as plain text. User-defined added tokens ("<think>") are always
  // matched, as in llama.cpp. No BOS is added.
  std::vector<int32_t> encode(std::string_view text, bool parse_special = true) const;

  // The text of `ids`: token bytes concatenated, control and user-defined tokens as their text,
  // unused ids and ids outside [0, n_vocab()) as nothing; ill-formed UTF-8 (a sequence cut by
  // the end of `ids`, or a token sequence that never forms a character) as U+FFFD.
  std::string decode(std::span<const int32_t> ids) const;

  // The raw vocabulary entry of `id` (byte-level text such as "Ġworld" for normal tokens);
  // empty for an id out of range.
  std::string token_text(int32_t id) const;
  // The bytes that `id` stands for when decoded (" world"); may be part of a UTF-8 character.
  // Empty for unused ids and ids out of range. The view lives as long as the Tokenizer.
  std::string_view token_bytes(int32_t id) const;
  TokenType token_type(int32_t id) const;  // kUnused for ids out of range

  int32_t n_vocab() const;
  int32_t eos_id() const;  // tokenizer.ggml.eos_token_id, -1 if absent
  // The tokens that end a generation: eos_id() and, when the vocabulary has them, Qwen's
  // "<|im_end|>" and "<|endoftext|>" (each once).
  std::vector<int32_t> end_of_generation_ids() const;
  int32_t bos_id() const;  // -1 if none
  int32_t pad_id() const;  // -1 if none
  bool add_bos() const;    // tokenizer.ggml.add_bos_token (false when absent)
  size_t n_merges() const;

  // Exact lookup of a vocabulary entry ("Ġworld", "<|im_end|>"), as token_text() spells it.
  std::optional<int32_t> token_id(std::string_view piece) const;
  // Control tokens (type 3).
  bool is_special(int32_t id) const;

  // Turns generated ids into text as they arrive, never emitting part of a UTF-8 character:
  // bytes of an unfinished character are held back until a later token completes them. The
  // concatenation of every push() and the final flush() equals decode() of all the ids.
  // The Tokenizer must outlive the decoder. Not thread-safe (one per stream).
  class StreamDecoder {
   public:
    explicit StreamDecoder(const Tokenizer& tokenizer) : tokenizer_(&tokenizer) {}
    // Text that became complete with `id` (possibly empty).
    std::string push(int32_t id);
    // Whatever is still held back, as U+FFFD (a character that was never completed); resets.
    std::string flush();

   private:
    const Tokenizer* tokenizer_;
    std::string pending_;
  };

 private:
  struct Impl;
  explicit Tokenizer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace qwl
