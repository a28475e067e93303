// GGUF: the constants and records shared by the reader (gguf_reader.h) and the writer
// (gguf_writer.h). The byte layout is written down in docs/formats/gguf.md; this header only
// names its pieces. All multi-byte numbers in a GGUF file are little-endian, and so is every
// machine we build for (checked at compile time in the .cpp files).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "format/metadata.h"
#include "ops/dtype.h"

namespace qwl {

// "GGUF" as the first four bytes of the file.
inline constexpr char kGgufMagic[4] = {'G', 'G', 'U', 'F'};
// Versions read; the writer always writes kGgufWriteVersion. v1 (32-bit counts) is not read.
inline constexpr uint32_t kGgufMinVersion = 2;
inline constexpr uint32_t kGgufMaxVersion = 3;
inline constexpr uint32_t kGgufWriteVersion = 3;
// The data section and every tensor in it are aligned to this many bytes unless the metadata
// key "general.alignment" (uint32, a power of two) says otherwise.
inline constexpr uint32_t kGgufDefaultAlignment = 32;
inline constexpr const char* kGgufAlignmentKey = "general.alignment";
// ggml's limits: at most 4 dimensions, tensor names shorter than 64 bytes.
inline constexpr int kGgufMaxDims = 4;
inline constexpr size_t kGgufMaxNameBytes = 63;
// Arrays of arrays deeper than this are refused (the reader recurses once per level).
inline constexpr int kGgufMaxArrayDepth = 8;

// One tensor's entry in the tensor-info section.
struct GgufTensorInfo {
  std::string name;
  DType type = DType::kF32;
  int n_dims = 1;
  int64_t ne[4] = {1, 1, 1, 1};  // ggml order: ne[0] is the contiguous dimension
  uint64_t offset = 0;           // bytes from the start of the data section
  uint64_t n_bytes = 0;          // bytes of data, from the type and shape
};

// Everything before the tensor data.
struct GgufHeader {
  uint32_t version = 0;
  Metadata metadata;                    // in file order, with the file's value types
  std::vector<GgufTensorInfo> tensors;  // in file order
  uint32_t alignment = kGgufDefaultAlignment;
  uint64_t data_offset = 0;  // where the data section starts, bytes from the start of the file
};

}  // namespace qwl
