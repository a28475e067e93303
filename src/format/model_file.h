// ModelFile: the one entry point through which the layers above open a model, whatever its
// format. A GGUF file is presented as it is; a Hugging Face folder (config.json +
// model.safetensors or shards + tokenizer files, docs/formats/hf_folder.md) is translated into
// GGUF semantics: GGUF tensor names ("blk.0.attn_q.weight") and GGUF metadata keys
// ("qwen3.block_count", "tokenizer.ggml.tokens"), so above this layer there is one vocabulary.
//
// Tensor data is never copied: views point into read-only memory maps of the files, which the
// ModelFile owns. Views (and the pointers in them) stay valid while the ModelFile lives, moves
// included. Move-only.
//
// Errors name the path and the field ("m.gguf: tensor 'blk.0.attn_q.weight': ..."): NotFound for
// a missing file, Corrupt for bytes that break a format, Unsupported for well-formed inputs we do
// not read (a GGUF version, a tensor type, a model_type), IoError from the operating system.
// Thread-safety: immutable after open(); safe to read from many threads.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/mmap_file.h"
#include "base/status.h"
#include "format/metadata.h"
#include "format/safetensors.h"
#include "ops/tensor.h"

namespace qwl {

struct TensorEntry {
  std::string name;  // GGUF name
  TensorView view;   // ggml order; data points into the ModelFile's mappings
};

class ModelFile {
 public:
  ModelFile() = default;
  ModelFile(ModelFile&&) noexcept = default;
  ModelFile& operator=(ModelFile&&) noexcept = default;
  ModelFile(const ModelFile&) = delete;
  ModelFile& operator=(const ModelFile&) = delete;

  // A GGUF file, or a directory holding a Hugging Face model. Errors name the path.
  static Result<ModelFile> open(const std::string& path);

  const std::string& path() const { return path_; }
  bool is_gguf() const { return gguf_version_ != 0; }
  uint32_t gguf_version() const { return gguf_version_; }  // 0 for HF folders
  const Metadata& metadata() const { return metadata_; }
  const std::vector<TensorEntry>& tensors() const { return tensors_; }  // file order
  // The tensor with this GGUF name, or nullptr.
  const TensorEntry* find_tensor(std::string_view name) const;
  // Bytes of all tensor data (for GB/s figures).
  uint64_t tensor_bytes() const { return tensor_bytes_; }

 private:
  struct NameHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  Status index_tensors();

  std::string path_;
  uint32_t gguf_version_ = 0;
  Metadata metadata_;
  std::vector<TensorEntry> tensors_;
  std::unordered_map<std::string, size_t, NameHash, std::equal_to<>> by_name_;
  uint64_t tensor_bytes_ = 0;
  MappedFile gguf_;                      // GGUF: the file
  std::vector<SafetensorsFile> shards_;  // HF folder: the weight files
};

// The tokenizer's metadata without the weights: from a GGUF file (its whole metadata, read with
// plain reads, nothing mapped), a Hugging Face folder, or a tokenizer.json file (then
// tokenizer_config.json, chat_template.jinja and config.json next to it are used when present).
// For the last two, the result holds the tokenizer.* keys only.
Result<Metadata> load_tokenizer_metadata(const std::string& path);

}  // namespace qwl
