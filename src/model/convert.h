// Model conversion: any model the engine reads (a Hugging Face folder, a GGUF file) to a GGUF
// file of one of the common llama.cpp file types, with llama.cpp's rules for which tensor gets
// which type, so that the output loads in llama.cpp and matches what llama-quantize would make.
//
// Type rules (llama.cpp's llama-quant.cpp, for the types we write):
//   - 1-D tensors (norm scales, biases) stay F32.
//   - f32 / f16 / bf16: every 2-D weight in that type.
//   - q8_0: every 2-D weight Q8_0.
//   - q4_0: 2-D weights Q4_0, except output.weight (token_embd.weight when tied) which gets Q6_K.
//   - q4_k_m: 2-D weights Q4_K, except output (and tied token_embd) Q6_K, and attn_v / ffn_down
//     of the layers use_more_bits() picks (the first and last eighth, and every third between)
//     Q6_K.
//   - K-quant fallback: a tensor whose row width is not a multiple of 256 gets Q5_0 instead of
//     Q4_K and Q8_0 instead of Q6_K (Qwen2.5-0.5B's width 896 makes most of it Q5_0).
#pragma once

#include <functional>
#include <string>

#include "base/status.h"
#include "base/thread_pool.h"
#include "format/model_file.h"
#include "ops/dtype.h"

namespace qwl {

enum class FileType { kF32, kF16, kBF16, kQ8_0, kQ4_0, kQ4_K_M };

// Parses "f32|f16|bf16|q8_0|q4_0|q4_k_m" (case-insensitive).
Result<FileType> parse_file_type(std::string_view name);
std::string_view file_type_name(FileType t);
// llama.cpp's llama_ftype number, written as general.file_type.
uint32_t llama_ftype(FileType t);

// The type a tensor gets. `layer`/`n_layer` locate blk.N tensors (layer -1 for others).
DType convert_tensor_type(FileType target, const std::string& name, const TensorView& source,
                          int layer, int n_layer, bool tied_embeddings);

struct ConvertProgress {
  size_t index;  // 1-based
  size_t count;
  const std::string* name;
  DType type;
  const TensorView* source;
};

// Writes `source` to `out_path` as GGUF of type `target`. Metadata is copied (with
// general.file_type and general.quantization_version set); tensors keep their order. Rows are
// converted in parallel on `pool`. The write is atomic (old file or new, never a torn one).
// Errors: Unsupported (a source type that cannot be read), IoError.
Status convert_model(const ModelFile& source, const std::string& out_path, FileType target,
                     ThreadPool& pool,
                     const std::function<void(const ConvertProgress&)>& on_tensor = nullptr);

}  // namespace qwl
