// Tokenizer: loading from metadata, encode, decode and the streaming decoder (see tokenizer.h).
#include "tokenizer/tokenizer.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <climits>
#include <functional>
#include <mutex>
#include <unordered_map>

#include "tokenizer/added_tokens.h"
#include "tokenizer/bpe.h"
#include "tokenizer/byte_level.h"
#include "tokenizer/pretokenizer.h"
#include "tokenizer/unicode.h"

namespace qwl {
namespace {

// Hashing for maps keyed by std::string that are looked up with string_views, without building
// a std::string per lookup.
struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>()(s); }
};
template <typename V>
using StringMap = std::unordered_map<std::string, V, StringHash, std::equal_to<>>;

// Encoded pieces by their bytes. Text repeats its words, and a lookup is cheaper than merging
// again; shards keep threads that encode at the same time from waiting on one lock. A shard
// that fills up is simply cleared: the cache only saves time, it never changes a result.
class WordCache {
 public:
  static constexpr size_t kMinBytes = 4;   // shorter pieces merge faster than a lookup
  static constexpr size_t kMaxBytes = 64;  // longer ones rarely repeat

  bool find(std::string_view word, size_t hash, std::vector<int32_t>* out) const {
    const Shard& s = shards_[hash % kShards];
    std::lock_guard<std::mutex> lock(s.mu);
    const auto it = s.map.find(word);
    if (it == s.map.end()) return false;
    out->insert(out->end(), it->second.begin(), it->second.end());
    return true;
  }

  void insert(std::string_view word, size_t hash, std::span<const int32_t> ids) {
    Shard& s = shards_[hash % kShards];
    std::lock_guard<std::mutex> lock(s.mu);
    if (s.map.size() >= kMaxEntriesPerShard) s.map.clear();
    s.map.emplace(std::string(word), std::vector<int32_t>(ids.begin(), ids.end()));
  }

 private:
  static constexpr size_t kShards = 16;
  static constexpr size_t kMaxEntriesPerShard = 1 << 14;
  struct Shard {
    mutable std::mutex mu;
    StringMap<std::vector<int32_t>> map;
  };
  std::array<Shard, kShards> shards_;
};

}  // namespace

struct Tokenizer::Impl {
  explicit Impl(const std::array<int32_t, 256>& byte_tokens) : bpe(byte_tokens) {}

  std::vector<std::string> texts;  // vocabulary entries, by id
  std::vector<std::string> bytes;  // what each id decodes to
  std::vector<TokenType> types;
  StringMap<int32_t> normal_by_bytes;
  StringMap<int32_t> other_by_text;  // control, user-defined, unused
  BpeMerges bpe;
  AddedTokenMatcher all_added;   // control and user-defined tokens
  AddedTokenMatcher user_added;  // user-defined tokens only
  int32_t eos = -1;
  int32_t bos = -1;
  int32_t pad = -1;
  bool add_bos = false;
  mutable WordCache cache;

  void encode_piece(std::string_view piece, std::vector<int32_t>* out) const {
    if (piece.size() < WordCache::kMinBytes || piece.size() > WordCache::kMaxBytes) {
      bpe.encode(piece, out);
      return;
    }
    const size_t hash = std::hash<std::string_view>()(piece);
    if (cache.find(piece, hash, out)) return;
    const size_t start = out->size();
    bpe.encode(piece, out);
    cache.insert(piece, hash, std::span<const int32_t>(*out).subspan(start));
  }
};

Tokenizer::Tokenizer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Tokenizer::Tokenizer(Tokenizer&&) noexcept = default;
Tokenizer& Tokenizer::operator=(Tokenizer&&) noexcept = default;
Tokenizer::~Tokenizer() = default;

namespace {

constexpr std::string_view kTokensKey = "tokenizer.ggml.tokens";
constexpr std::string_view kTypesKey = "tokenizer.ggml.token_type";
constexpr std::string_view kMergesKey = "tokenizer.ggml.merges";

// An optional token id key: -1 when absent, an error when present but not an id below n_vocab.
Result<int32_t> optional_id(const Metadata& m, std::string_view key, size_t n_vocab) {
  if (!m.contains(key)) return -1;
  QWL_ASSIGN_OR_RETURN(const uint64_t id, m.get_uint(key, n_vocab - 1));
  return static_cast<int32_t>(id);
}

}  // namespace

Result<Tokenizer> Tokenizer::from_metadata(const Metadata& m) {
  QWL_ASSIGN_OR_RETURN(const std::string model, m.get_string("tokenizer.ggml.model"));
  if (model != "gpt2") {
    return UnsupportedError(
        "tokenizer.ggml.model: '{}' is not supported (only 'gpt2', byte-level BPE)", model);
  }
  QWL_ASSIGN_OR_RETURN(const std::string pre, m.get_string("tokenizer.ggml.pre"));
  if (pre != "qwen2") {
    return UnsupportedError(
        "tokenizer.ggml.pre: '{}' is not supported (only the 'qwen2' pre-tokenizer)", pre);
  }
  QWL_ASSIGN_OR_RETURN(const std::vector<std::string>* tokens, m.get_string_array(kTokensKey));
  QWL_ASSIGN_OR_RETURN(const std::vector<int64_t>* types, m.get_int_array(kTypesKey));
  QWL_ASSIGN_OR_RETURN(const std::vector<std::string>* merges, m.get_string_array(kMergesKey));
  if (tokens->empty()) return CorruptError("{}: empty", kTokensKey);
  if (tokens->size() >= static_cast<size_t>(INT32_MAX)) {
    return CorruptError("{}: {} tokens is too many", kTokensKey, tokens->size());
  }
  if (types->size() != tokens->size()) {
    return CorruptError("{}: {} entries, but {} has {}", kTypesKey, types->size(), kTokensKey,
                        tokens->size());
  }
  const size_t n = tokens->size();

  // Tokens first: every merge and byte is looked up among the normal tokens by their bytes.
  std::vector<std::string> bytes(n);
  std::vector<TokenType> token_types(n);
  StringMap<int32_t> normal_by_bytes;
  StringMap<int32_t> other_by_text;
  normal_by_bytes.reserve(n);
  for (size_t id = 0; id < n; ++id) {
    const std::string& text = (*tokens)[id];
    const int64_t type = (*types)[id];
    switch (type) {
      case static_cast<int64_t>(TokenType::kNormal): {
        std::optional<std::string> b = vocab_text_to_bytes(text);
        if (!b || b->empty()) {
          return CorruptError("{}[{}]: '{}' is not byte-level BPE text", kTokensKey, id, text);
        }
        normal_by_bytes.emplace(*b, static_cast<int32_t>(id));
        bytes[id] = std::move(*b);
        break;
      }
      case static_cast<int64_t>(TokenType::kControl):
      case static_cast<int64_t>(TokenType::kUserDefined):
        bytes[id] = text;
        other_by_text.emplace(text, static_cast<int32_t>(id));
        break;
      case static_cast<int64_t>(TokenType::kUnused):
        other_by_text.emplace(text, static_cast<int32_t>(id));
        break;
      default:
        return UnsupportedError("{}[{}]: token type {} is not supported by a gpt2 tokenizer",
                                kTypesKey, id, type);
    }
    token_types[id] = static_cast<TokenType>(type);
  }

  std::array<int32_t, 256> byte_tokens{};
  for (int b = 0; b < 256; ++b) {
    const char byte = static_cast<char>(b);
    const auto it = normal_by_bytes.find(std::string_view(&byte, 1));
    if (it == normal_by_bytes.end()) {
      return CorruptError("{}: no token for the byte 0x{:02X}", kTokensKey, b);
    }
    byte_tokens[b] = it->second;
  }

  auto impl = std::make_unique<Impl>(byte_tokens);
  for (size_t i = 0; i < merges->size(); ++i) {
    const std::string& merge = (*merges)[i];
    // As llama.cpp: the parts are separated by the first space after the first character.
    const size_t space = merge.find(' ', 1);
    if (space == std::string::npos) {
      return CorruptError("{}[{}]: '{}' is not two tokens separated by a space", kMergesKey, i,
                          merge);
    }
    const std::optional<std::string> left = vocab_text_to_bytes(merge.substr(0, space));
    const std::optional<std::string> right = vocab_text_to_bytes(merge.substr(space + 1));
    if (!left || !right) {
      return CorruptError("{}[{}]: '{}' is not byte-level BPE text", kMergesKey, i, merge);
    }
    const auto l = normal_by_bytes.find(*left);
    const auto r = normal_by_bytes.find(*right);
    const auto merged = normal_by_bytes.find(*left + *right);
    if (l == normal_by_bytes.end() || r == normal_by_bytes.end() ||
        merged == normal_by_bytes.end()) {
      return CorruptError("{}[{}]: '{}': a part or the merged token is not in {}", kMergesKey, i,
                          merge, kTokensKey);
    }
    impl->bpe.add(l->second, r->second, merged->second);
  }

  for (size_t id = 0; id < n; ++id) {
    if (token_types[id] == TokenType::kControl || token_types[id] == TokenType::kUserDefined) {
      impl->all_added.add((*tokens)[id], static_cast<int32_t>(id));
    }
    if (token_types[id] == TokenType::kUserDefined) {
      impl->user_added.add((*tokens)[id], static_cast<int32_t>(id));
    }
  }
  QWL_ASSIGN_OR_RETURN(impl->eos, optional_id(m, "tokenizer.ggml.eos_token_id", n));
  QWL_ASSIGN_OR_RETURN(impl->bos, optional_id(m, "tokenizer.ggml.bos_token_id", n));
  QWL_ASSIGN_OR_RETURN(impl->pad, optional_id(m, "tokenizer.ggml.padding_token_id", n));
  if (m.contains("tokenizer.ggml.add_bos_token")) {
    QWL_ASSIGN_OR_RETURN(impl->add_bos, m.get_bool("tokenizer.ggml.add_bos_token"));
  }
  impl->texts = *tokens;
  impl->bytes = std::move(bytes);
  impl->types = std::move(token_types);
  impl->normal_by_bytes = std::move(normal_by_bytes);
  impl->other_by_text = std::move(other_by_text);
  return Tokenizer(std::move(impl));
}

std::vector<int32_t> Tokenizer::encode(std::string_view text, bool parse_special) const {
  std::vector<int32_t> ids;
  ids.reserve(text.size() / 3 + 8);
  std::string repaired;
  if (!utf8_is_valid(text)) {
    repaired = utf8_sanitize(text);
    text = repaired;
  }
  const AddedTokenMatcher& added = parse_special ? impl_->all_added : impl_->user_added;
  std::vector<AddedTokenMatcher::Segment> segments;
  added.split(text, &segments);
  std::vector<std::string_view> pieces;
  std::string storage;
  for (const AddedTokenMatcher::Segment& seg : segments) {
    if (seg.id >= 0) {
      ids.push_back(seg.id);
      continue;
    }
    // Normalized per segment, after added tokens are cut out, as the reference does (a
    // combining mark right after "<|im_end|>" must not compose with its '>').
    const std::string_view normalized = nfc_view(seg.text, &storage);
    pieces.clear();
    split_qwen2(normalized, &pieces);
    for (std::string_view piece : pieces) impl_->encode_piece(piece, &ids);
  }
  return ids;
}

std::string Tokenizer::decode(std::span<const int32_t> ids) const {
  std::string out;
  for (int32_t id : ids) out.append(token_bytes(id));
  if (!utf8_is_valid(out)) out = utf8_sanitize(out);
  return out;
}

std::string Tokenizer::token_text(int32_t id) const {
  if (id < 0 || id >= n_vocab()) return {};
  return impl_->texts[static_cast<size_t>(id)];
}

std::string_view Tokenizer::token_bytes(int32_t id) const {
  if (id < 0 || id >= n_vocab()) return {};
  return impl_->bytes[static_cast<size_t>(id)];
}

TokenType Tokenizer::token_type(int32_t id) const {
  if (id < 0 || id >= n_vocab()) return TokenType::kUnused;
  return impl_->types[static_cast<size_t>(id)];
}

int32_t Tokenizer::n_vocab() const {
  return static_cast<int32_t>(impl_->texts.size());
}
int32_t Tokenizer::eos_id() const {
  return impl_->eos;
}
std::vector<int32_t> Tokenizer::end_of_generation_ids() const {
  std::vector<int32_t> ids;
  if (eos_id() >= 0) ids.push_back(eos_id());
  for (const char* s : {"<|im_end|>", "<|endoftext|>"})
    if (auto id = token_id(s); id && std::find(ids.begin(), ids.end(), *id) == ids.end())
      ids.push_back(*id);
  return ids;
}

int32_t Tokenizer::bos_id() const {
  return impl_->bos;
}
int32_t Tokenizer::pad_id() const {
  return impl_->pad;
}
bool Tokenizer::add_bos() const {
  return impl_->add_bos;
}
size_t Tokenizer::n_merges() const {
  return impl_->bpe.size();
}

std::optional<int32_t> Tokenizer::token_id(std::string_view piece) const {
  const auto other = impl_->other_by_text.find(piece);
  if (other != impl_->other_by_text.end()) return other->second;
  const std::optional<std::string> b = vocab_text_to_bytes(piece);
  if (!b) return std::nullopt;
  const auto normal = impl_->normal_by_bytes.find(*b);
  if (normal == impl_->normal_by_bytes.end()) return std::nullopt;
  return normal->second;
}

bool Tokenizer::is_special(int32_t id) const {
  return token_type(id) == TokenType::kControl;
}

std::string Tokenizer::StreamDecoder::push(int32_t id) {
  pending_.append(tokenizer_->token_bytes(id));
  const size_t ready = utf8_complete_prefix(pending_);
  const std::string_view head(pending_.data(), ready);
  std::string out = utf8_is_valid(head) ? std::string(head) : utf8_sanitize(head);
  pending_.erase(0, ready);
  return out;
}

std::string Tokenizer::StreamDecoder::flush() {
  std::string out = utf8_sanitize(pending_);
  pending_.clear();
  return out;
}

}  // namespace qwl
