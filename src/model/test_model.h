// Tiny random-weight Qwen models written as GGUF files, for tests of the model and runtime
// layers. Deterministic for a given seed; weights scaled so activations stay O(1).
#pragma once

#include <string>

#include "base/status.h"
#include "model/config.h"

namespace qwl::testing {

struct TestModelSpec {
  Arch arch = Arch::kQwen2;
  int n_layer = 2;
  int n_embd = 64;
  int n_ff = 128;
  int n_head = 4;
  int n_head_kv = 2;
  int head_dim = 16;
  int n_ctx = 256;
  bool tied = true;
  uint64_t seed = 1;
  // Tensors to leave out or reshape, to test load errors.
  std::string omit_tensor;
  std::string bad_shape_tensor;
  std::string arch_name_override;
};

// Writes the model to `path`. Its vocabulary: the 256 byte tokens of byte-level BPE plus
// <|endoftext|>, <|im_start|>, <|im_end|> (n_vocab 259, no merges).
Status write_test_model(const std::string& path, const TestModelSpec& spec);

}  // namespace qwl::testing
