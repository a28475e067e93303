// safetensors: Hugging Face's weight files (docs/formats/safetensors.md), read in place.
//
// A file is an 8-byte little-endian header length N, N bytes of JSON describing the tensors
// (dtype, shape, byte range), then the tensor bytes. The header is validated as the format
// requires: at most 100 MB, ranges sorted, contiguous from 0, ending exactly at the end of the
// file, each as long as dtype x shape. We read F32, F16 and BF16 tensors with 0 to 4 dimensions;
// other dtypes are refused with Unsupported. A sharded model adds an index
// (model.safetensors.index.json) mapping each tensor to its shard.
//
// Shapes are kept as the file has them, outermost first (PyTorch order); a TensorView made
// from one reverses them into ggml order, which describes the same bytes: (out, in) row-major
// is ne = {in, out}. No transposition ever happens.
//
// Errors name the file and the field: Corrupt for bytes or JSON that break the format,
// Unsupported for dtypes and ranks we do not read, NotFound/IoError from the file system.
// Thread-safety: SafetensorsFile is immutable after open and safe to share; free functions
// hold no state.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/mmap_file.h"
#include "base/status.h"
#include "ops/dtype.h"
#include "ops/tensor.h"

namespace qwl {

// The format's limit on the JSON header.
inline constexpr uint64_t kSafetensorsMaxHeaderBytes = 100'000'000;

struct SafetensorsTensor {
  std::string name;
  DType type = DType::kF32;    // kF32, kF16 or kBF16
  std::vector<int64_t> shape;  // outermost first, as in the file; empty for a scalar
  uint64_t begin = 0;          // byte range [begin, end) relative to the data section
  uint64_t end = 0;
};

struct SafetensorsHeader {
  std::vector<SafetensorsTensor> tensors;  // sorted by begin, i.e. in the order of their bytes
  std::vector<std::pair<std::string, std::string>> metadata;  // "__metadata__", sorted by key
  uint64_t data_offset = 0;  // 8 + the header length: where the data section starts
};

// Parses and validates the image of a whole safetensors file. `name` prefixes errors.
Result<SafetensorsHeader> parse_safetensors(std::span<const uint8_t> file, std::string_view name);

// A ggml-order view of tensor `t` whose data section starts at `data`.
TensorView safetensors_view(const SafetensorsTensor& t, const uint8_t* data);

// The safetensors name of a dtype we read ("F32", "F16", "BF16"); empty for other types.
std::string_view safetensors_dtype_name(DType t);

// A mapped, validated safetensors file. Move-only; views are valid while it lives.
class SafetensorsFile {
 public:
  static Result<SafetensorsFile> open(const std::string& path);

  const std::string& path() const { return file_.path(); }
  const SafetensorsHeader& header() const { return header_; }
  const std::vector<SafetensorsTensor>& tensors() const { return header_.tensors; }
  TensorView view(const SafetensorsTensor& t) const {
    return safetensors_view(t, file_.data() + header_.data_offset);
  }

 private:
  MappedFile file_;
  SafetensorsHeader header_;
};

// model.safetensors.index.json: which shard holds each tensor.
struct SafetensorsIndex {
  std::vector<std::string> shards;                         // file names, sorted, unique
  std::vector<std::pair<std::string, size_t>> weight_map;  // tensor -> index into shards
};

// Parses an index's JSON text. Shard names must be plain file names in the same folder (no '/',
// not "." or ".."), so an index cannot point outside its folder. `name` prefixes errors.
Result<SafetensorsIndex> parse_safetensors_index(std::string_view json_text, std::string_view name);

// One tensor to write: `bytes` must be exactly dtype x shape long and stay valid during the call.
struct SafetensorsInput {
  std::string name;
  DType type = DType::kF32;    // kF32, kF16 or kBF16
  std::vector<int64_t> shape;  // outermost first
  std::span<const uint8_t> bytes;
};

// Encodes tensors (laid out in the given order) and optional "__metadata__" as a safetensors
// image; the JSON is padded with spaces so the data section starts 8-byte aligned. Errors:
// InvalidArgument for a bad dtype, shape, byte count or a duplicate name. For tests and tools;
// the whole image is built in memory.
Result<std::string> encode_safetensors(
    std::span<const SafetensorsInput> tensors,
    const std::vector<std::pair<std::string, std::string>>& metadata = {});

}  // namespace qwl
