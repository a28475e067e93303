// GgufWriter: builds a GGUF v3 file (docs/formats/gguf.md) from metadata and tensors.
//
// Metadata is written in insertion order with each value's exact type. Tensors are written in
// the order they were added, each at an offset aligned to the file's alignment ("general.alignment"
// when set, else 32), zero-padded. Tensor bytes are not held by the writer unless the caller hands
// them over: add_tensor with a fill callback produces a tensor's bytes only while write() runs,
// one tensor at a time, so a multi-GB file needs memory for its largest tensor only (or none,
// for tensors added from views).
//
// write() is atomic: the file is streamed to "<path>.tmp", fsync'ed and renamed over `path`, so
// a crash leaves the old file or the new one, never a torn one.
//
// Errors: add_tensor returns InvalidArgument for a bad name (empty, 64 bytes or longer, a
// duplicate), shape (0 or more than 4 dimensions, a dimension < 1, ne[0] not a multiple of the
// type's block size) or byte count; write() returns InvalidArgument for metadata that cannot be
// encoded (a value outside its declared type, a bad alignment), the fill callback's error with
// the tensor's name, or IoError with the path.
//
// Thread-safety: one thread at a time. Move-only: the writer may own tensor bytes.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <unordered_set>
#include <vector>

#include "base/status.h"
#include "format/gguf.h"
#include "format/metadata.h"
#include "ops/tensor.h"

namespace qwl {

class GgufWriter {
 public:
  // Fills all of `out` (the tensor's bytes, zeroed beforehand) when write() reaches the tensor.
  using FillFn = std::function<Status(std::span<uint8_t> out)>;

  GgufWriter() = default;
  GgufWriter(GgufWriter&&) = default;
  GgufWriter& operator=(GgufWriter&&) = default;
  GgufWriter(const GgufWriter&) = delete;
  GgufWriter& operator=(const GgufWriter&) = delete;

  // The metadata to write; add keys in the order they should appear in the file.
  Metadata& metadata() { return metadata_; }
  const Metadata& metadata() const { return metadata_; }
  // Shorthand for metadata().set(kGgufAlignmentKey, uint32(alignment)).
  void set_alignment(uint32_t alignment);

  // A tensor of `type` and shape `ne` (ggml order, ne[0] contiguous; 1 to 4 dimensions) whose
  // bytes `fill` produces at write time.
  Status add_tensor(std::string name, DType type, std::vector<int64_t> ne, FillFn fill);
  // A tensor whose bytes the writer takes over; bytes.size() must match the type and shape.
  Status add_tensor(std::string name, DType type, std::vector<int64_t> ne,
                    std::vector<uint8_t> bytes);
  // A tensor written from `view`'s bytes, which are not copied: they must stay valid until
  // write() returns (for example, a tensor of an open ModelFile).
  Status add_tensor(std::string name, const TensorView& view);

  size_t tensor_count() const { return tensors_.size(); }

  // Writes the file. May be called more than once (fill callbacks then run again).
  Status write(const std::string& path) const;

 private:
  struct Pending {
    GgufTensorInfo info;
    FillFn fill;  // one of these three gives the bytes
    std::vector<uint8_t> owned;
    const uint8_t* view = nullptr;
  };
  // Validates a new tensor and fills pending->info (offset excepted: write() lays them out).
  Status check_tensor(std::string name, DType type, std::span<const int64_t> ne,
                      Pending* pending) const;

  Metadata metadata_;
  std::vector<Pending> tensors_;
  std::unordered_set<std::string> names_;
};

}  // namespace qwl
