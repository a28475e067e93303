// TensorView: a non-owning view of a tensor's bytes with ggml's shape convention.
//
// ne[0] is the innermost, contiguous dimension (for a weight matrix: the input width); rows are
// stored one after the other, so a 2-D weight of shape (n_out, n_in) in PyTorch terms has
// ne = {n_in, n_out, 1, 1}. Unused dimensions are 1. The bytes are owned elsewhere (a mapped
// model file, an arena); a view is valid as long as they are.
#pragma once

#include <cstddef>
#include <cstdint>

#include "ops/dtype.h"

namespace qwl {

struct TensorView {
  DType type = DType::kF32;
  int n_dims = 1;
  int64_t ne[4] = {1, 1, 1, 1};
  const void* data = nullptr;

  int64_t n_elements() const { return ne[0] * ne[1] * ne[2] * ne[3]; }
  int64_t n_rows() const { return ne[1] * ne[2] * ne[3]; }
  size_t row_bytes() const { return row_size(type, ne[0]); }
  size_t n_bytes() const { return row_bytes() * static_cast<size_t>(n_rows()); }
  const uint8_t* row(int64_t i) const {
    return static_cast<const uint8_t*>(data) + static_cast<size_t>(i) * row_bytes();
  }
};

}  // namespace qwl
