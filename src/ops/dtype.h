// DType: the element and block types of tensors, numbered and laid out exactly as ggml's
// ggml_type so that GGUF files written by llama.cpp and by us are interchangeable.
//
// A tensor row of n elements of a block type occupies n / block_size(t) * type_size(t) bytes;
// n must be a multiple of block_size(t). Types listed here can be read from a file and sized;
// which of them have kernels is said by ops/quant.h.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace qwl {

enum class DType : uint32_t {
  kF32 = 0,
  kF16 = 1,
  kQ4_0 = 2,
  kQ4_1 = 3,
  kQ5_0 = 6,
  kQ5_1 = 7,
  kQ8_0 = 8,
  kQ8_1 = 9,
  kQ2_K = 10,
  kQ3_K = 11,
  kQ4_K = 12,
  kQ5_K = 13,
  kQ6_K = 14,
  kQ8_K = 15,
  kIQ2_XXS = 16,
  kIQ2_XS = 17,
  kIQ3_XXS = 18,
  kIQ1_S = 19,
  kIQ4_NL = 20,
  kIQ3_S = 21,
  kIQ2_S = 22,
  kIQ4_XS = 23,
  kI8 = 24,
  kI16 = 25,
  kI32 = 26,
  kI64 = 27,
  kF64 = 28,
  kIQ1_M = 29,
  kBF16 = 30,
  kTQ1_0 = 34,
  kTQ2_0 = 35,
  kMXFP4 = 39,
};

struct DTypeTraits {
  std::string_view name;  // ggml's name: "f32", "q4_K", ...
  int64_t block_size;     // elements per block (1 for plain types)
  size_t type_size;       // bytes per block
};

// Traits of a valid DType value, or nullopt for numbers that are not (or no longer) ggml types.
std::optional<DTypeTraits> dtype_traits(uint32_t raw);
// Traits of a known type; aborts on an invalid value (use dtype_traits(raw) on file input).
const DTypeTraits& traits(DType t);
inline std::string_view dtype_name(DType t) {
  return traits(t).name;
}
inline int64_t block_size(DType t) {
  return traits(t).block_size;
}
inline size_t type_size(DType t) {
  return traits(t).type_size;
}
// Bytes of a row of n elements; n must be a multiple of block_size(t).
size_t row_size(DType t, int64_t n);
// Parses a name as printed by dtype_name ("q4_K"), case-insensitively.
std::optional<DType> parse_dtype(std::string_view name);

}  // namespace qwl
