// Hugging Face model folders (docs/formats/hf_folder.md) translated into GGUF semantics: tensor
// names as llama.cpp names them, config.json as GGUF metadata keys with the value types
// llama.cpp's converter writes (uint32 for counts, float32 for floats), tokenizer.json and
// tokenizer_config.json through hf_tokenizer.h. ModelFile (model_file.h) is the entry point;
// the pieces are public so that tools and tests can use them alone.
//
// Only the Qwen2 (model_type "qwen2", also Qwen2.5) and Qwen3 dense ("qwen3") architectures are
// translated; others are Unsupported, naming the model_type.
// Thread-safety: free functions without shared state; HfFolder is immutable once opened.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "format/metadata.h"
#include "format/model_file.h"
#include "format/safetensors.h"

namespace qwl {

// The GGUF name of a Hugging Face tensor: "model.layers.3.mlp.up_proj.weight" ->
// "blk.3.ffn_up.weight". An empty string for tensors that GGUF files do not carry
// (rotary_emb.inv_freq buffers, which are recomputed from the config). Unsupported for names
// outside the Qwen2/Qwen3 vocabulary. `layer` receives N for "model.layers.N." names, else -1.
Result<std::string> hf_tensor_name_to_gguf(std::string_view hf_name, int64_t* layer = nullptr);

// What the rest of a folder's translation needs from config.json.
struct HfConfig {
  std::string architecture;  // "qwen2" or "qwen3"
  uint32_t block_count = 0;
  bool tie_word_embeddings = false;
  int64_t vocab_size = 0;  // 0 when config.json has none
  std::optional<uint32_t> bos_token_id;
  std::optional<uint32_t> eos_token_id;
};

// Translates config.json's text into GGUF metadata appended to `out`: general.architecture,
// general.name (= `model_name`), <arch>.block_count, context_length, embedding_length,
// feed_forward_length, attention.head_count, attention.head_count_kv, rope.freq_base,
// attention.layer_norm_rms_epsilon, attention.key_length / value_length (from head_dim), and
// rope.scaling.* for yarn or linear rope_scaling. Errors name `path` and the JSON field:
// Corrupt (bad JSON, a missing or wrong-typed field), Unsupported (model_type, rope_scaling type).
Result<HfConfig> translate_hf_config(std::string_view config_json, std::string_view path,
                                     std::string_view model_name, Metadata* out);

// Adds the tokenizer keys from tokenizer.json at `tokenizer_json_path` and, when they exist in
// `dir`, tokenizer_config.json and chat_template.jinja (whose template replaces the one in
// tokenizer_config.json, as newer transformers saves it). `config` (may be null) gives the
// vocabulary size to pad to, and bos/eos token ids used when the tokenizer files name none.
Status add_hf_tokenizer_metadata(const std::string& tokenizer_json_path, const std::string& dir,
                                 const HfConfig* config, Metadata* out);

// The tokenizer keys of a folder (or of the folder holding a tokenizer.json) without touching
// the weights: config.json, when present, is read only for vocab_size and bos/eos ids, so its
// architecture is not checked.
Result<Metadata> load_hf_tokenizer_metadata(const std::string& tokenizer_json_path,
                                            const std::string& dir);

// An opened folder: translated metadata, the mapped shards, and GGUF-named views into them in
// shard order (shard file names sorted), then byte order within a shard.
struct HfFolder {
  Metadata metadata;
  std::vector<SafetensorsFile> shards;
  std::vector<TensorEntry> tensors;
};

// Opens the folder at `dir`: config.json, model.safetensors.index.json with its shards or else
// model.safetensors, and the tokenizer files (tokenizer.json is optional here; without it the
// metadata has no tokenizer keys). lm_head.weight is left out when tie_word_embeddings is true.
// A sharded folder must agree with its index: every listed tensor in its shard, every shard's
// tensor listed for that shard.
Result<HfFolder> open_hf_folder(const std::string& dir);

}  // namespace qwl
