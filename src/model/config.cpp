// Reading and validating ModelConfig.
#include "model/config.h"

#include <fmt/format.h>

namespace qwl {
namespace {
constexpr uint64_t kMaxDim = 1 << 20;  // far above any real model; keeps products in int range
}  // namespace

Result<ModelConfig> ModelConfig::from_metadata(const Metadata& meta, int64_t n_vocab) {
  ModelConfig c;
  QWL_ASSIGN_OR_RETURN(c.arch_name, meta.get_string("general.architecture"));
  if (c.arch_name == "qwen2") {
    c.arch = Arch::kQwen2;
    c.qkv_bias = true;
  } else if (c.arch_name == "qwen3") {
    c.arch = Arch::kQwen3;
    c.qk_norm = true;
  } else {
    return UnsupportedError("architecture '{}' is not supported (supported: qwen2, qwen3)",
                            c.arch_name);
  }
  if (auto name = meta.get_string("general.name"); name.ok()) c.name = name.value();
  const std::string& a = c.arch_name;
  auto get_int = [&](const std::string& key, int* out) -> Status {
    QWL_ASSIGN_OR_RETURN(uint64_t v, meta.get_uint(key, kMaxDim));
    *out = static_cast<int>(v);
    return Status::Ok();
  };
  QWL_RETURN_IF_ERROR(get_int(a + ".block_count", &c.n_layer));
  QWL_RETURN_IF_ERROR(get_int(a + ".embedding_length", &c.n_embd));
  QWL_RETURN_IF_ERROR(get_int(a + ".feed_forward_length", &c.n_ff));
  QWL_RETURN_IF_ERROR(get_int(a + ".attention.head_count", &c.n_head));
  if (meta.contains(a + ".attention.head_count_kv")) {
    QWL_RETURN_IF_ERROR(get_int(a + ".attention.head_count_kv", &c.n_head_kv));
  } else {
    c.n_head_kv = c.n_head;
  }
  QWL_ASSIGN_OR_RETURN(uint64_t n_ctx, meta.get_uint(a + ".context_length", 1u << 30));
  c.n_ctx_train = static_cast<int>(n_ctx);
  if (meta.contains(a + ".attention.key_length")) {
    QWL_RETURN_IF_ERROR(get_int(a + ".attention.key_length", &c.head_dim));
    int value_length = c.head_dim;
    if (meta.contains(a + ".attention.value_length"))
      QWL_RETURN_IF_ERROR(get_int(a + ".attention.value_length", &value_length));
    if (value_length != c.head_dim)
      return UnsupportedError("{}.attention.value_length {} differs from key_length {}", a,
                              value_length, c.head_dim);
  } else {
    if (c.n_head == 0 || c.n_embd % c.n_head != 0)
      return CorruptError("{}.embedding_length {} is not a multiple of head_count {}", a, c.n_embd,
                          c.n_head);
    c.head_dim = c.n_embd / c.n_head;
  }
  if (meta.contains(a + ".rope.freq_base")) {
    QWL_ASSIGN_OR_RETURN(double base, meta.get_float(a + ".rope.freq_base"));
    c.rope_freq_base = static_cast<float>(base);
  }
  // Rope scaling (YaRN, linear) changes every frequency, so running such a model without it
  // would silently give wrong logits; refuse it until it is implemented.
  if (auto scaling = meta.get_string(a + ".rope.scaling.type");
      scaling.ok() && scaling.value() != "none")
    return UnsupportedError(
        "{}.rope.scaling.type '{}' is not supported yet (remove rope_scaling "
        "from config.json to run within the original context)",
        a, scaling.value());
  QWL_ASSIGN_OR_RETURN(double eps, meta.get_float(a + ".attention.layer_norm_rms_epsilon"));
  c.rms_eps = static_cast<float>(eps);
  if (n_vocab <= 0 || n_vocab > (1 << 24))
    return CorruptError("vocabulary size {} out of range", n_vocab);
  c.n_vocab = static_cast<int>(n_vocab);
  QWL_RETURN_IF_ERROR(c.validate());
  return c;
}

Status ModelConfig::validate() const {
  auto positive = [&](int v, const char* what) -> Status {
    if (v <= 0) return CorruptError("{}.{} must be positive, got {}", arch_name, what, v);
    return Status::Ok();
  };
  QWL_RETURN_IF_ERROR(positive(n_layer, "block_count"));
  QWL_RETURN_IF_ERROR(positive(n_embd, "embedding_length"));
  QWL_RETURN_IF_ERROR(positive(n_ff, "feed_forward_length"));
  QWL_RETURN_IF_ERROR(positive(n_head, "attention.head_count"));
  QWL_RETURN_IF_ERROR(positive(n_head_kv, "attention.head_count_kv"));
  QWL_RETURN_IF_ERROR(positive(head_dim, "attention.key_length"));
  QWL_RETURN_IF_ERROR(positive(n_ctx_train, "context_length"));
  if (n_head % n_head_kv != 0)
    return CorruptError("{}.attention.head_count {} is not a multiple of head_count_kv {}",
                        arch_name, n_head, n_head_kv);
  if (head_dim % 2 != 0 || head_dim > 1024)
    return UnsupportedError("head size {} must be even and at most 1024", head_dim);
  if (!(rms_eps > 0.0f) || rms_eps > 1.0f)
    return CorruptError("{}.attention.layer_norm_rms_epsilon {} out of range", arch_name, rms_eps);
  if (!(rope_freq_base > 0.0f))
    return CorruptError("{}.rope.freq_base {} must be positive", arch_name, rope_freq_base);
  return Status::Ok();
}

}  // namespace qwl
