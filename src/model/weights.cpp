// Tensor lookup and shape checks for ModelWeights.
#include "model/weights.h"

#include <fmt/format.h>

#include "base/log.h"
#include "ops/quant.h"

namespace qwl {
namespace {

class Loader {
 public:
  Loader(const ModelFile& file) : file_(file) {}

  Result<TensorView> matrix(const std::string& name, int64_t n_in, int64_t n_out) {
    QWL_ASSIGN_OR_RETURN(const TensorEntry* e, find(name));
    const TensorView& v = e->view;
    if (v.n_dims != 2 || v.ne[0] != n_in || v.ne[1] != n_out)
      return CorruptError("{}: tensor '{}' has shape {}, expected [{}, {}]", file_.path(), name,
                          shape(v), n_in, n_out);
    if (!has_vec_dot(v.type))
      return UnsupportedError("{}: tensor '{}' has type {}, which has no matmul kernel",
                              file_.path(), name, dtype_name(v.type));
    return v;
  }

  Result<std::vector<float>> vector(const std::string& name, int64_t n) {
    QWL_ASSIGN_OR_RETURN(const TensorEntry* e, find(name));
    const TensorView& v = e->view;
    if (v.n_dims != 1 || v.ne[0] != n)
      return CorruptError("{}: tensor '{}' has shape {}, expected [{}]", file_.path(), name,
                          shape(v), n);
    if (!has_dequantize(v.type) || n % block_size(v.type) != 0)
      return UnsupportedError("{}: tensor '{}' has type {}, expected a float type", file_.path(),
                              name, dtype_name(v.type));
    std::vector<float> out(static_cast<size_t>(n));
    ref::dequantize_row(v.type, v.data, out.data(), n);
    return out;
  }

  bool has(const std::string& name) const { return file_.find_tensor(name) != nullptr; }

 private:
  Result<const TensorEntry*> find(const std::string& name) {
    const TensorEntry* e = file_.find_tensor(name);
    if (e == nullptr) return NotFoundError("{}: missing tensor '{}'", file_.path(), name);
    return e;
  }
  static std::string shape(const TensorView& v) {
    std::string s = "[";
    for (int i = 0; i < v.n_dims; ++i) s += fmt::format("{}{}", i ? ", " : "", v.ne[i]);
    return s + "]";
  }

  const ModelFile& file_;
};

}  // namespace

Result<ModelWeights> ModelWeights::load(const ModelFile& file, const ModelConfig& c, bool pack,
                                        ThreadPool* pool) {
  Loader ld(file);
  ModelWeights w;
  // Repacks one matrix; once packed, its mapped pages are not read again (unless the ISA level
  // changes), so they leave resident memory. A tied embedding table too: get_row faults back
  // only the rows of the tokens it looks up.
  auto prepare = [&](const TensorView& v) {
    if (!pack) return ops::PackedWeight::unpacked(v);
    return ops::PackedWeight(v, pool, /*drop_source=*/true);
  };
  QWL_ASSIGN_OR_RETURN(w.token_embd, ld.matrix("token_embd.weight", c.n_embd, c.n_vocab));
  QWL_ASSIGN_OR_RETURN(w.output_norm, ld.vector("output_norm.weight", c.n_embd));
  if (c.tied_embeddings) {
    w.output = prepare(w.token_embd);
  } else {
    QWL_ASSIGN_OR_RETURN(TensorView output, ld.matrix("output.weight", c.n_embd, c.n_vocab));
    w.output = prepare(output);
  }
  w.layers.resize(static_cast<size_t>(c.n_layer));
  for (int il = 0; il < c.n_layer; ++il) {
    LayerWeights& l = w.layers[static_cast<size_t>(il)];
    auto name = [il](const char* suffix) { return fmt::format("blk.{}.{}", il, suffix); };
    QWL_ASSIGN_OR_RETURN(l.attn_norm, ld.vector(name("attn_norm.weight"), c.n_embd));
    QWL_ASSIGN_OR_RETURN(TensorView wq, ld.matrix(name("attn_q.weight"), c.n_embd, c.q_width()));
    l.wq = prepare(wq);
    QWL_ASSIGN_OR_RETURN(TensorView wk, ld.matrix(name("attn_k.weight"), c.n_embd, c.kv_width()));
    l.wk = prepare(wk);
    QWL_ASSIGN_OR_RETURN(TensorView wv, ld.matrix(name("attn_v.weight"), c.n_embd, c.kv_width()));
    l.wv = prepare(wv);
    if (c.qkv_bias) {
      QWL_ASSIGN_OR_RETURN(l.bq, ld.vector(name("attn_q.bias"), c.q_width()));
      QWL_ASSIGN_OR_RETURN(l.bk, ld.vector(name("attn_k.bias"), c.kv_width()));
      QWL_ASSIGN_OR_RETURN(l.bv, ld.vector(name("attn_v.bias"), c.kv_width()));
    }
    if (c.qk_norm) {
      QWL_ASSIGN_OR_RETURN(l.q_norm, ld.vector(name("attn_q_norm.weight"), c.head_dim));
      QWL_ASSIGN_OR_RETURN(l.k_norm, ld.vector(name("attn_k_norm.weight"), c.head_dim));
    }
    QWL_ASSIGN_OR_RETURN(TensorView wo,
                         ld.matrix(name("attn_output.weight"), c.q_width(), c.n_embd));
    l.wo = prepare(wo);
    QWL_ASSIGN_OR_RETURN(l.ffn_norm, ld.vector(name("ffn_norm.weight"), c.n_embd));
    QWL_ASSIGN_OR_RETURN(TensorView w_gate, ld.matrix(name("ffn_gate.weight"), c.n_embd, c.n_ff));
    l.w_gate = prepare(w_gate);
    QWL_ASSIGN_OR_RETURN(TensorView w_up, ld.matrix(name("ffn_up.weight"), c.n_embd, c.n_ff));
    l.w_up = prepare(w_up);
    QWL_ASSIGN_OR_RETURN(TensorView w_down, ld.matrix(name("ffn_down.weight"), c.n_ff, c.n_embd));
    l.w_down = prepare(w_down);
  }
  w.embd_rows_only = !c.tied_embeddings || w.output.packed();
  if (pack) {
    size_t packed = w.output.packed_bytes();
    for (const LayerWeights& l : w.layers)
      for (const ops::PackedWeight* p : {&l.wq, &l.wk, &l.wv, &l.wo, &l.w_gate, &l.w_up, &l.w_down})
        packed += p->packed_bytes();
    QWL_LOG_DEBUG("{}: repacked {:.1f} MiB of weights", file.path(),
                  static_cast<double>(packed) / (1 << 20));
  }
  return w;
}

}  // namespace qwl
