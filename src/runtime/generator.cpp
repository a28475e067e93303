// The generation loop.
#include "runtime/generator.h"

#include <algorithm>

#include "base/clock.h"

namespace qwl {

std::string_view stop_reason_name(StopReason r) {
  switch (r) {
    case StopReason::kEog:
      return "eog";
    case StopReason::kStopString:
      return "stop";
    case StopReason::kMaxTokens:
      return "length";
    case StopReason::kContextFull:
      return "context_full";
    case StopReason::kCancelled:
      return "cancelled";
  }
  return "?";
}

std::string StopMatcher::push(std::string_view text) {
  if (stopped_) return {};
  pending_.append(text);
  // A completed stop string ends the text at its earliest start.
  size_t cut = std::string::npos;
  for (const auto& s : stops_) {
    if (s.empty()) continue;
    size_t at = pending_.find(s);
    if (at != std::string::npos) cut = std::min(cut, at);
  }
  if (cut != std::string::npos) {
    stopped_ = true;
    std::string out = pending_.substr(0, cut);
    pending_.clear();
    return out;
  }
  // Otherwise keep the longest tail that is a proper prefix of some stop string.
  size_t hold = 0;
  for (const auto& s : stops_) {
    for (size_t n = std::min(s.size() - 1, pending_.size()); n > hold; --n) {
      if (pending_.compare(pending_.size() - n, n, s, 0, n) == 0) {
        hold = n;
        break;
      }
    }
  }
  std::string out = pending_.substr(0, pending_.size() - hold);
  pending_.erase(0, pending_.size() - hold);
  return out;
}

std::string StopMatcher::flush() {
  std::string out;
  out.swap(pending_);
  return out;
}

Result<Generator> Generator::create(const Model& model, ThreadPool& pool,
                                    KvCacheOptions kv_options) {
  if (kv_options.max_positions <= 0) kv_options.max_positions = model.config().n_ctx_train;
  QWL_ASSIGN_OR_RETURN(KvCache kv, KvCache::create(model.config(), kv_options));
  return Generator(model, pool, std::move(kv));
}

void Generator::clear() {
  kv_.truncate(seq_, 0);
  kv_.set_length(seq_, 0);
}

Status Generator::eval(std::span<const int32_t> tokens, bool all_logits, int n_batch) {
  if (tokens.empty()) return InvalidArgumentError("nothing to evaluate");
  if (n_batch <= 0) n_batch = 256;
  const int64_t past = kv_.length(seq_);
  const int64_t total = past + static_cast<int64_t>(tokens.size());
  QWL_RETURN_IF_ERROR(kv_.reserve(seq_, total));
  QWL_RETURN_IF_ERROR(kv_.prepare_write(seq_, past, total));
  std::vector<int32_t> positions;
  std::vector<float> all;  // logits of every chunk, when every row is wanted
  for (size_t begin = 0; begin < tokens.size(); begin += static_cast<size_t>(n_batch)) {
    const size_t end = std::min(tokens.size(), begin + static_cast<size_t>(n_batch));
    positions.resize(end - begin);
    for (size_t i = 0; i < positions.size(); ++i)
      positions[i] = static_cast<int32_t>(past + static_cast<int64_t>(begin + i));
    ForwardBatch batch{.tokens = tokens.subspan(begin, end - begin),
                       .positions = positions,
                       .block_table = kv_.block_table(seq_),
                       .all_logits = all_logits};
    QWL_RETURN_IF_ERROR(model_->forward(batch, kv_.view(), state_, *pool_));
    kv_.set_length(seq_, past + static_cast<int64_t>(end));
    if (all_logits && tokens.size() > static_cast<size_t>(n_batch))
      all.insert(all.end(), state_.logits().begin(), state_.logits().end());
  }
  // Several chunks: every row is handed back as one (T, n_vocab) block.
  chunked_logits_.swap(all);
  return Status::Ok();
}

Result<GenerateResult> Generator::generate(std::span<const int32_t> prompt,
                                           const GenerateOptions& options,
                                           const TextCallback& on_text) {
  const Tokenizer& tok = model_->tokenizer();
  QWL_RETURN_IF_ERROR(options.sampling.validate(model_->config().n_vocab));
  GenerateResult result;
  result.n_prompt = static_cast<int64_t>(prompt.size());
  Stopwatch watch;
  QWL_RETURN_IF_ERROR(eval(prompt, false, options.n_batch));
  result.t_prompt_us = watch.elapsed_us();
  watch.reset();

  std::vector<int32_t> eog;
  if (options.stop_at_eog) eog = tok.end_of_generation_ids();
  SamplerChain sampler(options.sampling);
  for (int32_t t : prompt) sampler.accept(t);
  StopMatcher stops(options.stop);
  Tokenizer::StreamDecoder decoder(tok);
  auto emit = [&](const std::string& piece) -> bool {
    if (piece.empty()) return true;
    result.text += piece;
    return on_text ? on_text(piece) : true;
  };

  const int64_t ctx = kv_.options().max_positions;
  for (;;) {
    if (options.max_tokens > 0 && result.n_generated >= options.max_tokens) {
      result.stop = StopReason::kMaxTokens;
      break;
    }
    const int32_t token =
        sampler.sample(state_.logits().last(static_cast<size_t>(model_->config().n_vocab)));
    sampler.accept(token);
    result.tokens.push_back(token);
    ++result.n_generated;
    if (std::find(eog.begin(), eog.end(), token) != eog.end()) {
      result.stop = StopReason::kEog;
      break;
    }
    if (!emit(stops.push(decoder.push(token)))) {
      result.stop = StopReason::kCancelled;
      break;
    }
    if (stops.stopped()) {
      result.stop = StopReason::kStopString;
      break;
    }
    if (n_past() >= ctx) {
      result.stop = StopReason::kContextFull;
      break;
    }
    const int32_t next[1] = {token};
    QWL_RETURN_IF_ERROR(eval(next));
  }
  if (result.stop != StopReason::kStopString && result.stop != StopReason::kCancelled) {
    emit(stops.push(decoder.flush()));
    if (!stops.stopped())
      emit(stops.flush());
    else
      result.stop = StopReason::kStopString;
  }
  result.t_generate_us = watch.elapsed_us();
  return result;
}

}  // namespace qwl
