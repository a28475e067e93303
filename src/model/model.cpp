// Model loading and the dispatch from architecture to its forward function.
#include "model/model.h"

#include "base/log.h"
#include "model/blocks.h"

namespace qwl {

Result<std::unique_ptr<Model>> Model::load(const std::string& path,
                                           const ModelLoadOptions& options) {
  QWL_ASSIGN_OR_RETURN(ModelFile file, ModelFile::open(path));
  const TensorEntry* embd = file.find_tensor("token_embd.weight");
  if (embd == nullptr) return NotFoundError("{}: missing tensor 'token_embd.weight'", path);
  auto config = ModelConfig::from_metadata(file.metadata(), embd->view.ne[1]);
  if (!config.ok()) return config.status().with_context(path);
  config->tied_embeddings = file.find_tensor("output.weight") == nullptr;
  QWL_ASSIGN_OR_RETURN(ModelWeights weights,
                       ModelWeights::load(file, config.value(), options.pack, options.pool));
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
  auto add = [&](const ops::PackedWeight& w) { bytes += static_cast<int64_t>(w.view().n_bytes()); };
  add(weights_.output);
  bytes += static_cast<int64_t>(weights_.token_embd.row_bytes());
  for (const LayerWeights& l : weights_.layers) {
    for (const ops::PackedWeight* w : {&l.wq, &l.wk, &l.wv, &l.wo, &l.w_gate, &l.w_up, &l.w_down})
      add(*w);
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
  const auto n_tokens = static_cast<int64_t>(batch.tokens.size());
  const ForwardSeq single{.n_tokens = n_tokens, .block_table = batch.block_table};
  const std::span<const ForwardSeq> seqs =
      batch.seqs.empty() ? std::span<const ForwardSeq>(&single, 1) : batch.seqs;
  int64_t t = 0;
  for (const ForwardSeq& seq : seqs) {
    if (seq.n_tokens <= 0 || seq.n_tokens > n_tokens - t)
      return InvalidArgumentError("sequence of {} tokens at token {} of a batch of {}",
                                  seq.n_tokens, t, n_tokens);
    for (int32_t b : seq.block_table)
      if (b < 0 || b >= kv.n_blocks) return InvalidArgumentError("KV block {} out of range", b);
    const int64_t capacity = static_cast<int64_t>(seq.block_table.size()) * kv.block_size;
    for (const int64_t end = t + seq.n_tokens; t < end; ++t) {
      if (batch.tokens[t] < 0 || batch.tokens[t] >= config_.n_vocab)
        return InvalidArgumentError("token id {} outside the vocabulary [0, {})", batch.tokens[t],
                                    config_.n_vocab);
      if (batch.positions[t] < 0 || batch.positions[t] >= capacity)
        return InvalidArgumentError("position {} outside the sequence's KV blocks ({} positions)",
                                    batch.positions[t], capacity);
    }
  }
  if (t != n_tokens)
    return InvalidArgumentError("the sequences hold {} tokens but the batch {}", t, n_tokens);
  if (kv.kv_width != config_.kv_width())
    return InvalidArgumentError("KV cache width {} does not match the model's {}", kv.kv_width,
                                config_.kv_width());

  ForwardContext f{config_, weights_, state, kv, batch, seqs, pool, callback, n_tokens};
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
