// Translation of a Hugging Face tokenizer (tokenizer.json + tokenizer_config.json) into the
// GGUF tokenizer keys that llama.cpp's convert_hf_to_gguf.py writes for Qwen2 / Qwen3, so that a
// Hugging Face folder and a GGUF file give the tokenizer layer the same metadata.
//
// Keys written, in this order (types as llama.cpp's gguf writer uses them):
//   tokenizer.ggml.model          string        "gpt2"
//   tokenizer.ggml.pre            string        "qwen2"
//   tokenizer.ggml.tokens         string array  by id, ids without an entry as "[PAD<id>]"
//   tokenizer.ggml.token_type     int32 array   1 normal, 3 control (special added tokens and
//                                               added tokens that look special, "<|...|>"),
//                                               4 user-defined (other added tokens), 5 unused
//   tokenizer.ggml.merges         string array  "left right" (spaces inside a part as U+0120)
//   tokenizer.ggml.{bos,eos,unknown,seperator,padding,mask}_token_id   uint32, each only when
//                                 tokenizer_config.json names that token and it is an added token
//   tokenizer.ggml.add_{bos,eos,sep}_token   bool, when tokenizer_config.json says so;
//                                 add_bos_token defaults to false (Qwen never adds a BOS)
//   tokenizer.chat_template       string, when tokenizer_config.json has one (a list of named
//                                 templates also gives tokenizer.chat_template.<name> and
//                                 tokenizer.chat_templates)
//
// Only the Qwen2 family is accepted: a BPE model, the NFC normalizer and the Qwen2 split regex
// followed by ByteLevel; anything else is an Unsupported error naming the field.
// Thread-safety: a pure function.
#pragma once

#include <cstdint>
#include <string_view>

#include "base/status.h"
#include "format/metadata.h"

namespace qwl {

// Fills tokenizer.ggml.* and tokenizer.chat_template keys from the texts of
// tokenizer.json and tokenizer_config.json (the latter may be empty).
// `vocab_size` is the model's embedding size (config.json "vocab_size"); ids from the tokenizer's
// size up to it are padding. vocab_size <= 0 means exactly the tokenizer's size (largest id + 1).
// Errors: InvalidArgument for text that is not JSON or a vocab_size below the tokenizer's size,
// Corrupt for a missing or wrong-typed field (the message names it, e.g.
// "tokenizer.json: model.vocab: expected an object"), Unsupported for a non-Qwen2 tokenizer.
// On error `out` may hold some of the keys.
Status tokenizer_json_to_metadata(std::string_view tokenizer_json,
                                  std::string_view tokenizer_config_json, int64_t vocab_size,
                                  Metadata* out);

}  // namespace qwl
