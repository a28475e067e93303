// MappedFile: a read-only memory map of a whole file (model weights are used in place, no copy).
//
// Ownership: the object owns the mapping; pointers into data() are valid until it is destroyed
// or moved from. Move-only. Thread-safe for concurrent reads.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "base/status.h"

namespace qwl {

class MappedFile {
 public:
  MappedFile() = default;
  ~MappedFile();
  MappedFile(MappedFile&& other) noexcept;
  MappedFile& operator=(MappedFile&& other) noexcept;
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  // Maps `path` read-only. Errors: NotFound, IoError (with the path and errno text). An empty
  // file maps to size() == 0 and data() == nullptr.
  static Result<MappedFile> open(const std::string& path);

  const uint8_t* data() const { return data_; }
  size_t size() const { return size_; }
  std::span<const uint8_t> bytes() const { return {data_, size_}; }
  const std::string& path() const { return path_; }

 private:
  uint8_t* data_ = nullptr;
  size_t size_ = 0;
  std::string path_;
};

// Tells the kernel that the mapped pages wholly inside [data, data + bytes) will not be read
// soon, so that they leave this process's resident memory (for a read-only file mapping they are
// dropped and would be read back from the file on the next access). Used after model weights are
// copied into a repacked layout. Partial pages at either end are kept. Never fails: advice the
// kernel rejects is ignored.
void drop_mapped_pages(const void* data, size_t bytes);

// Reads a whole file into memory. Errors: NotFound, IoError.
Result<std::string> read_file(const std::string& path);

// Writes `contents` to `path` so that a crash leaves either the old file or the new one, never
// a torn one: write to "<path>.tmp", fsync, rename over `path`.
Status write_file_atomic(const std::string& path, std::string_view contents);

}  // namespace qwl
