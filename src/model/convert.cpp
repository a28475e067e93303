// Model conversion to GGUF (see convert.h for the type rules).
#include "model/convert.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <vector>

#include "format/gguf_writer.h"
#include "ops/quant.h"

namespace qwl {
namespace {

// llama.cpp's use_more_bits: the layers that get more bits in the *_M mixes.
bool use_more_bits(int i_layer, int n_layers) {
  return i_layer < n_layers / 8 || i_layer >= 7 * n_layers / 8 || (i_layer - n_layers / 8) % 3 == 2;
}

bool ends_with(const std::string& s, std::string_view suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// llama.cpp's fallback for rows that are not a whole number of 256-element super-blocks.
DType k_quant_fallback(DType t, int64_t n_cols) {
  if (n_cols % 256 == 0) return t;
  if (t == DType::kQ4_K) return DType::kQ5_0;
  if (t == DType::kQ6_K) return DType::kQ8_0;
  return t;
}

int layer_of(const std::string& name) {
  int layer = -1;
  if (std::sscanf(name.c_str(), "blk.%d.", &layer) != 1) return -1;
  return layer;
}

}  // namespace

Result<FileType> parse_file_type(std::string_view name) {
  std::string lower(name);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (FileType t : {FileType::kF32, FileType::kF16, FileType::kBF16, FileType::kQ8_0,
                     FileType::kQ4_0, FileType::kQ4_K_M})
    if (file_type_name(t) == lower) return t;
  return InvalidArgumentError("unknown type '{}' (choose f32, f16, bf16, q8_0, q4_0, q4_k_m)",
                              name);
}

std::string_view file_type_name(FileType t) {
  switch (t) {
    case FileType::kF32:
      return "f32";
    case FileType::kF16:
      return "f16";
    case FileType::kBF16:
      return "bf16";
    case FileType::kQ8_0:
      return "q8_0";
    case FileType::kQ4_0:
      return "q4_0";
    case FileType::kQ4_K_M:
      return "q4_k_m";
  }
  return "?";
}

uint32_t llama_ftype(FileType t) {
  switch (t) {
    case FileType::kF32:
      return 0;
    case FileType::kF16:
      return 1;
    case FileType::kQ4_0:
      return 2;
    case FileType::kQ8_0:
      return 7;
    case FileType::kQ4_K_M:
      return 15;
    case FileType::kBF16:
      return 32;
  }
  return 0;
}

DType convert_tensor_type(FileType target, const std::string& name, const TensorView& source,
                          int layer, int n_layer, bool tied_embeddings) {
  if (source.n_dims != 2) return DType::kF32;
  const int64_t n_cols = source.ne[0];
  switch (target) {
    case FileType::kF32:
      return DType::kF32;
    case FileType::kF16:
      return DType::kF16;
    case FileType::kBF16:
      return DType::kBF16;
    case FileType::kQ8_0:
      return DType::kQ8_0;
    case FileType::kQ4_0:
    case FileType::kQ4_K_M:
      break;
  }
  const DType base = target == FileType::kQ4_0 ? DType::kQ4_0 : DType::kQ4_K;
  const bool is_output =
      name == "output.weight" || (tied_embeddings && name == "token_embd.weight");
  DType t = base;
  if (is_output) {
    // The output matrix decides every logit: llama.cpp gives it Q6_K (Q8_0 if the row width
    // does not fit the base type's blocks).
    t = n_cols % block_size(base) != 0 ? DType::kQ8_0 : DType::kQ6_K;
  } else if (target == FileType::kQ4_K_M && layer >= 0 &&
             (ends_with(name, "attn_v.weight") || ends_with(name, "ffn_down.weight"))) {
    if (use_more_bits(layer, n_layer)) t = DType::kQ6_K;
  }
  return k_quant_fallback(t, n_cols);
}

Status convert_model(const ModelFile& source, const std::string& out_path, FileType target,
                     ThreadPool& pool,
                     const std::function<void(const ConvertProgress&)>& on_tensor) {
  const Metadata& meta = source.metadata();
  int n_layer = 0;
  if (auto arch = meta.get_string("general.architecture"); arch.ok()) {
    if (auto n = meta.get_uint(arch.value() + ".block_count", 1 << 20); n.ok())
      n_layer = static_cast<int>(n.value());
  }
  const bool tied = source.find_tensor("output.weight") == nullptr;

  GgufWriter writer;
  for (const auto& [key, value] : meta.entries()) {
    if (key == "general.file_type" || key == "general.quantization_version") continue;
    writer.metadata().set(key, value);
  }
  writer.metadata().set("general.file_type", MetaValue::uint32(llama_ftype(target)));
  if (target == FileType::kQ8_0 || target == FileType::kQ4_0 || target == FileType::kQ4_K_M)
    writer.metadata().set("general.quantization_version", MetaValue::uint32(2));

  const auto& tensors = source.tensors();
  for (size_t i = 0; i < tensors.size(); ++i) {
    const TensorEntry& e = tensors[i];
    const TensorView src = e.view;
    if (!has_dequantize(src.type))
      return UnsupportedError("{}: tensor '{}' has type {}, which cannot be converted",
                              source.path(), e.name, dtype_name(src.type));
    const DType out = convert_tensor_type(target, e.name, src, layer_of(e.name), n_layer, tied);
    std::vector<int64_t> ne(src.ne, src.ne + src.n_dims);
    if (out == src.type) {
      QWL_RETURN_IF_ERROR(writer.add_tensor(e.name, src));
      continue;
    }
    const size_t index = i + 1;
    const std::string* name = &e.name;
    QWL_RETURN_IF_ERROR(writer.add_tensor(
        e.name, out, ne, [&, src, out, index, name](std::span<uint8_t> bytes) -> Status {
          if (on_tensor) on_tensor({index, tensors.size(), name, out, &src});
          const int64_t n_cols = src.ne[0];
          const size_t out_row = row_size(out, n_cols);
          pool.parallel_for(src.n_rows(), [&](int64_t begin, int64_t end) {
            std::vector<float> row(static_cast<size_t>(n_cols));
            for (int64_t r = begin; r < end; ++r) {
              ref::dequantize_row(src.type, src.row(r), row.data(), n_cols);
              ref::quantize_row(out, row.data(), bytes.data() + static_cast<size_t>(r) * out_row,
                                n_cols);
            }
          });
          return Status::Ok();
        }));
  }
  return writer.write(out_path);
}

}  // namespace qwl
