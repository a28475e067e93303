// Model loading and the dispatch from architecture to its forward function.
#include "model/model.h"

#include "base/log.h"
#include "model/blocks.h"

namespace qwl {

Result<std::unique_ptr<Model>> Model::load(const std::string& path) {
  QWL_ASSIGN_OR_RETURN(ModelFile file, ModelFile::open(path));
  const TensorEntry* embd = file.find_tensor("token_embd.weight");
  if (embd == nullptr) return NotFoundError("{}: missing tensor 'token_embd.weight'", path);
  auto config = ModelConfig::from_metadata(file.metadata(), embd->view.ne[1]);
  if (!config.ok()) return config.status().with_context(path);
  config->tied_embeddings = file.find_tensor("output.weight") == nullptr;
  QWL_ASSIGN_OR_RETURN(ModelWeights weights, ModelWeights::load(file, config.value()));
  auto tokenizer = Tokenizer::from_metadata(file.metadata());
  if (!tokenizer.ok()) return tokenizer.status().with_context(path);
  if (tokenizer->n_vocab() > config->n_vocab)
    return CorruptError("{}: tokenizer has {} tokens but token_embd only {} rows", path,
                        tokenizer->n_vocab(), config->n_vocab);
  std::unique_ptr<Model> model(new Model(std::move(file), std::move(config).value(),
                                         std::move(weights), std::move(tokenizer).value()));
  if (auto tmpl = model->file_.metadata().get_string("tokenizer.chat_template"); tmpl.ok())
    model->chat_template_ = tmpl.value();
  QWL_LOG_DEBUG("loaded {}: {} layers, n_embd {}, {} heads ({} kv) x {}, vocab {}", path,
                model->config_.n_layer, model->config_.n_embd, model->config_.n_head,
                model->config_.n_head_kv, model->config_.head_dim, model->config_.n_vocab);
  return model;
}

int64_t Model::weight_bytes_per_token() const {
  int64_t bytes = 0;
  auto add = [&](const TensorView& v) { bytes += static_cast<int64_t>(v.n_bytes()); };
  add(weights_.output);
  bytes += static_cast<int64_t>(weights_.token_embd.row_bytes());
  for (const LayerWeights& l : weights_.layers) {
    for (const TensorView* v : {&l.wq, &l.wk, &l.wv, &l.wo, &l.w_gate, &l.w_up, &l.w_down}) add(*v);
    bytes +=
        static_cast<int64_t>(4 * (l.attn_norm.size() + l.ffn_norm.size() + l.bq.size() +
                                  l.bk.size() + l.bv.size() + l.q_norm.size() + l.k_norm.size()));
  }
  return bytes;
}

Status Model::forward(const ForwardBatch& batch, const KvView& kv, ForwardState& state,
                      ThreadPool& pool, const TensorCallback* callback) const {
  if (batch.tokens.empty()) return InvalidArgumentError("empty batch");
  if (batch.tokens.size() != batch.positions.size())
    return InvalidArgumentError("{} tokens but {} positions", batch.tokens.size(),
                                batch.positions.size());
  const int64_t capacity = static_cast<int64_t>(batch.block_table.size()) * kv.block_size;
  for (size_t i = 0; i < batch.tokens.size(); ++i) {
    if (batch.tokens[i] < 0 || batch.tokens[i] >= config_.n_vocab)
      return InvalidArgumentError("token id {} outside the vocabulary [0, {})", batch.tokens[i],
                                  config_.n_vocab);
    if (batch.positions[i] < 0 || batch.positions[i] >= capacity)
      return InvalidArgumentError("position {} outside the sequence's KV blocks ({} positions)",
                                  batch.positions[i], capacity);
  }
  for (int32_t b : batch.block_table)
    if (b < 0 || b >= kv.n_blocks) return InvalidArgumentError("KV block {} out of range", b);
  if (kv.kv_width != config_.kv_width())
    return InvalidArgumentError("KV cache width {} does not match the model's {}", kv.kv_width,
                                config_.kv_width());

  ForwardContext f{config_, weights_, state,    kv,
                   batch,   pool,     callback, static_cast<int64_t>(batch.tokens.size())};
  f.prepare();
  switch (config_.arch) {
    case Arch::kQwen2:
      forward_qwen2(f);
      break;
    case Arch::kQwen3:
      forward_qwen3(f);
      break;
  }
  return Status::Ok();
}

}  // namespace qwl
