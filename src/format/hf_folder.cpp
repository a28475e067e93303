// Hugging Face folder translation. Tensor names are matched piece by piece rather than with
// regular expressions so that every accepted name is spelled out in one table below. config.json
// keys are read with strict types: a count must be a non-negative JSON integer, since a float or
// a string there means the file is not what we think it is.
#include "format/hf_folder.h"

#include <sys/stat.h>

#include <algorithm>
#include <charconv>
#include <unordered_map>
#include <utility>

#include "base/log.h"
#include "base/mmap_file.h"
#include "format/json_util.h"

#if QWL_HAVE_HF_TOKENIZER
#include "format/hf_tokenizer.h"
#endif

namespace qwl {
namespace {

using json_util::Json;

constexpr std::string_view kConfigFile = "config.json";
constexpr std::string_view kSingleWeightsFile = "model.safetensors";
constexpr std::string_view kIndexFile = "model.safetensors.index.json";
constexpr std::string_view kTokenizerFile = "tokenizer.json";
constexpr std::string_view kTokenizerConfigFile = "tokenizer_config.json";
constexpr std::string_view kChatTemplateFile = "chat_template.jinja";

struct NamePair {
  std::string_view hf;
  std::string_view gguf;
};

// Names outside the layers.
constexpr NamePair kGlobalNames[] = {
    {"model.embed_tokens.weight", "token_embd.weight"},
    {"model.norm.weight", "output_norm.weight"},
    {"lm_head.weight", "output.weight"},
};

// Names inside "model.layers.N.", mapped into "blk.N.".
constexpr NamePair kLayerNames[] = {
    {"input_layernorm.weight", "attn_norm.weight"},
    {"post_attention_layernorm.weight", "ffn_norm.weight"},
    {"self_attn.q_proj.weight", "attn_q.weight"},
    {"self_attn.k_proj.weight", "attn_k.weight"},
    {"self_attn.v_proj.weight", "attn_v.weight"},
    {"self_attn.q_proj.bias", "attn_q.bias"},  // Qwen2
    {"self_attn.k_proj.bias", "attn_k.bias"},
    {"self_attn.v_proj.bias", "attn_v.bias"},
    {"self_attn.o_proj.weight", "attn_output.weight"},
    {"self_attn.q_norm.weight", "attn_q_norm.weight"},  // Qwen3
    {"self_attn.k_norm.weight", "attn_k_norm.weight"},
    {"mlp.gate_proj.weight", "ffn_gate.weight"},
    {"mlp.up_proj.weight", "ffn_up.weight"},
    {"mlp.down_proj.weight", "ffn_down.weight"},
};

// Buffers some checkpoints carry that GGUF recomputes from the config.
constexpr std::string_view kDroppedLayerNames[] = {"self_attn.rotary_emb.inv_freq"};

#if !QWL_HAVE_HF_TOKENIZER
// SEAM: format/hf_tokenizer.{h,cpp} (tokenizer.json -> tokenizer.ggml.*) is not in this build;
// hf_tokenizer.cmake lists its sources once they exist, and the real function replaces this.
Status tokenizer_json_to_metadata(std::string_view, std::string_view, int64_t, Metadata*) {
  return UnsupportedError("tokenizer.json: translation not built in (format/hf_tokenizer.h)");
}
#endif

std::string join_path(std::string_view dir, std::string_view file) {
  std::string out(dir);
  while (out.size() > 1 && out.back() == '/') out.pop_back();
  if (!out.empty() && out.back() != '/') out += '/';
  out += file;
  return out;
}

bool is_regular_file(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

// The folder's own name, for general.name ("Qwen3-0.6B" for "/models/Qwen3-0.6B/").
std::string folder_name(std::string_view dir) {
  std::string d(dir);
  while (d.size() > 1 && d.back() == '/') d.pop_back();
  if (d == "." || d == "/" || d.empty()) {
    char buf[4096];
    if (::realpath(d.empty() ? "." : d.c_str(), buf) != nullptr) d = buf;
  }
  const size_t slash = d.rfind('/');
  return slash == std::string::npos ? d : d.substr(slash + 1);
}

// Typed reads of config.json's top-level keys. Absent and null are the same for optional keys,
// as transformers writes null for unset ones.
class ConfigReader {
 public:
  ConfigReader(const Json& j, std::string_view path) : j_(j), path_(path) {}

  const Json* find(std::string_view key) const {
    auto it = j_.find(key);
    return it == j_.end() || it->is_null() ? nullptr : &*it;
  }
  Status wrong(std::string_view key, const Json& v, std::string_view expected) const {
    return CorruptError("{}: {}: is {}, expected {}", path_, key, json_util::type_phrase(v),
                        expected);
  }
  Result<std::optional<uint32_t>> opt_u32(std::string_view key) const {
    const Json* v = find(key);
    if (v == nullptr) return std::optional<uint32_t>();
    if (!v->is_number_unsigned() || v->get<uint64_t>() > UINT32_MAX)
      return wrong(key, *v, "an integer in [0, 2^32)");
    return std::optional<uint32_t>(static_cast<uint32_t>(v->get<uint64_t>()));
  }
  // A required count: present, an integer, at least 1.
  Result<uint32_t> count(std::string_view key) const {
    QWL_ASSIGN_OR_RETURN(std::optional<uint32_t> v, opt_u32(key));
    if (!v) return CorruptError("{}: {}: missing", path_, key);
    if (*v == 0) return CorruptError("{}: {}: is 0, expected at least 1", path_, key);
    return *v;
  }
  Result<std::optional<double>> opt_number(std::string_view key) const {
    const Json* v = find(key);
    if (v == nullptr) return std::optional<double>();
    if (!v->is_number()) return wrong(key, *v, "a number");
    return std::optional<double>(v->get<double>());
  }
  // Token ids: an integer, or (as some configs write eos) a list, which we leave to the
  // tokenizer files.
  Result<std::optional<uint32_t>> opt_token_id(std::string_view key) const {
    const Json* v = find(key);
    if (v == nullptr || v->is_array()) return std::optional<uint32_t>();
    return opt_u32(key);
  }

 private:
  const Json& j_;
  std::string_view path_;
};

Result<Json> parse_config(std::string_view config_json, std::string_view path) {
  QWL_ASSIGN_OR_RETURN(Json j, json_util::parse_strict(config_json, path, "config"));
  if (!j.is_object())
    return CorruptError("{}: is {}, expected an object", path, json_util::type_phrase(j));
  return j;
}

// The architecture-independent part of config.json: tying, vocabulary and special ids.
Result<HfConfig> read_common_config(const Json& j, std::string_view path) {
  ConfigReader r(j, path);
  HfConfig c;
  if (const Json* tie = r.find("tie_word_embeddings")) {
    if (!tie->is_boolean()) return r.wrong("tie_word_embeddings", *tie, "a boolean");
    c.tie_word_embeddings = tie->get<bool>();
  }
  QWL_ASSIGN_OR_RETURN(std::optional<uint32_t> vocab, r.opt_u32("vocab_size"));
  c.vocab_size = vocab.value_or(0);
  QWL_ASSIGN_OR_RETURN(c.bos_token_id, r.opt_token_id("bos_token_id"));
  QWL_ASSIGN_OR_RETURN(c.eos_token_id, r.opt_token_id("eos_token_id"));
  return c;
}

Status add_rope_scaling(const ConfigReader& r, std::string_view path, const std::string& arch,
                        Metadata* out) {
  const Json* s = r.find("rope_scaling");
  if (s == nullptr) return Status::Ok();
  if (!s->is_object()) return r.wrong("rope_scaling", *s, "an object");
  // transformers renamed "type" to "rope_type"; files carry either.
  std::string type;
  for (const char* key : {"rope_type", "type"}) {
    auto it = s->find(key);
    if (it == s->end() || it->is_null()) continue;
    if (!it->is_string()) return r.wrong(fmt::format("rope_scaling.{}", key), *it, "a string");
    type = it->get<std::string>();
    break;
  }
  if (type.empty() || type == "default") return Status::Ok();
  if (type != "yarn" && type != "linear")
    return UnsupportedError(
        "{}: rope_scaling.rope_type: \"{}\" is not supported (yarn, linear are)", path, type);
  ConfigReader sr(*s, path);
  QWL_ASSIGN_OR_RETURN(std::optional<double> factor, sr.opt_number("factor"));
  if (!factor) return CorruptError("{}: rope_scaling.factor: missing", path);
  out->set(arch + ".rope.scaling.type", MetaValue::string(type));
  out->set(arch + ".rope.scaling.factor", MetaValue::float32(static_cast<float>(*factor)));
  if (type == "yarn") {
    QWL_ASSIGN_OR_RETURN(std::optional<uint32_t> original,
                         sr.opt_u32("original_max_position_embeddings"));
    if (original)
      out->set(arch + ".rope.scaling.original_context_length", MetaValue::uint32(*original));
  }
  return Status::Ok();
}

// Reads a whole file when it exists; an empty string when it does not.
Result<std::string> read_optional(const std::string& path) {
  if (!is_regular_file(path)) return std::string();
  return read_file(path);
}

}  // namespace

Result<std::string> hf_tensor_name_to_gguf(std::string_view hf_name, int64_t* layer) {
  if (layer != nullptr) *layer = -1;
  for (const NamePair& p : kGlobalNames)
    if (hf_name == p.hf) return std::string(p.gguf);
  constexpr std::string_view kLayerPrefix = "model.layers.";
  if (hf_name.starts_with(kLayerPrefix)) {
    std::string_view rest = hf_name.substr(kLayerPrefix.size());
    const size_t dot = rest.find('.');
    const std::string_view digits = rest.substr(0, dot);
    int64_t n = -1;
    // Digits only, no sign, no leading zeros: one spelling per layer.
    const bool canonical =
        !digits.empty() && digits.size() <= 9 && (digits.size() == 1 || digits[0] != '0') &&
        std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; });
    if (canonical && dot != std::string_view::npos) {
      std::from_chars(digits.data(), digits.data() + digits.size(), n);
      const std::string_view suffix = rest.substr(dot + 1);
      for (std::string_view dropped : kDroppedLayerNames)
        if (suffix == dropped) return std::string();
      for (const NamePair& p : kLayerNames) {
        if (suffix == p.hf) {
          if (layer != nullptr) *layer = n;
          return fmt::format("blk.{}.{}", n, p.gguf);
        }
      }
    }
  }
  return UnsupportedError("tensor '{}' has no GGUF name (not a Qwen2/Qwen3 weight)", hf_name);
}

Result<HfConfig> translate_hf_config(std::string_view config_json, std::string_view path,
                                     std::string_view model_name, Metadata* out) {
  QWL_ASSIGN_OR_RETURN(Json j, parse_config(config_json, path));
  QWL_ASSIGN_OR_RETURN(HfConfig c, read_common_config(j, path));
  ConfigReader r(j, path);

  const Json* model_type = r.find("model_type");
  if (model_type == nullptr) return CorruptError("{}: model_type: missing", path);
  if (!model_type->is_string()) return r.wrong("model_type", *model_type, "a string");
  const std::string type = model_type->get<std::string>();
  if (type != "qwen2" && type != "qwen3")
    return UnsupportedError("{}: model_type: \"{}\" is not supported (qwen2 and qwen3 are)", path,
                            type);
  c.architecture = type;
  const std::string& a = c.architecture;

  QWL_ASSIGN_OR_RETURN(c.block_count, r.count("num_hidden_layers"));
  QWL_ASSIGN_OR_RETURN(uint32_t context_length, r.count("max_position_embeddings"));
  QWL_ASSIGN_OR_RETURN(uint32_t embedding_length, r.count("hidden_size"));
  QWL_ASSIGN_OR_RETURN(uint32_t feed_forward_length, r.count("intermediate_size"));
  QWL_ASSIGN_OR_RETURN(uint32_t head_count, r.count("num_attention_heads"));
  QWL_ASSIGN_OR_RETURN(std::optional<uint32_t> head_count_kv, r.opt_u32("num_key_value_heads"));
  if (head_count_kv && *head_count_kv == 0)
    return CorruptError("{}: num_key_value_heads: is 0, expected at least 1", path);
  QWL_ASSIGN_OR_RETURN(std::optional<double> rope_theta, r.opt_number("rope_theta"));
  QWL_ASSIGN_OR_RETURN(std::optional<double> rms_eps, r.opt_number("rms_norm_eps"));
  QWL_ASSIGN_OR_RETURN(std::optional<uint32_t> head_dim, r.opt_u32("head_dim"));

  out->set("general.architecture", MetaValue::string(a));
  out->set("general.name", MetaValue::string(std::string(model_name)));
  out->set(a + ".block_count", MetaValue::uint32(c.block_count));
  out->set(a + ".context_length", MetaValue::uint32(context_length));
  out->set(a + ".embedding_length", MetaValue::uint32(embedding_length));
  out->set(a + ".feed_forward_length", MetaValue::uint32(feed_forward_length));
  out->set(a + ".attention.head_count", MetaValue::uint32(head_count));
  // transformers' default when the key is absent: as many KV heads as query heads.
  out->set(a + ".attention.head_count_kv", MetaValue::uint32(head_count_kv.value_or(head_count)));
  if (rope_theta)
    out->set(a + ".rope.freq_base", MetaValue::float32(static_cast<float>(*rope_theta)));
  if (rms_eps)
    out->set(a + ".attention.layer_norm_rms_epsilon",
             MetaValue::float32(static_cast<float>(*rms_eps)));
  if (head_dim) {
    out->set(a + ".attention.key_length", MetaValue::uint32(*head_dim));
    out->set(a + ".attention.value_length", MetaValue::uint32(*head_dim));
  }
  QWL_RETURN_IF_ERROR(add_rope_scaling(r, path, a, out));
  return c;
}

Status add_hf_tokenizer_metadata(const std::string& tokenizer_json_path, const std::string& dir,
                                 const HfConfig* config, Metadata* out) {
  QWL_ASSIGN_OR_RETURN(std::string tokenizer_json, read_file(tokenizer_json_path));
  QWL_ASSIGN_OR_RETURN(std::string tokenizer_config,
                       read_optional(join_path(dir, kTokenizerConfigFile)));
  const int64_t vocab_size = config != nullptr ? config->vocab_size : 0;
  Status s = tokenizer_json_to_metadata(tokenizer_json, tokenizer_config, vocab_size, out);
  if (!s.ok()) return s.with_context(dir);

  const std::string template_path = join_path(dir, kChatTemplateFile);
  if (is_regular_file(template_path)) {
    QWL_ASSIGN_OR_RETURN(std::string tmpl, read_file(template_path));
    out->set("tokenizer.chat_template", MetaValue::string(std::move(tmpl)));
  }
  // As llama.cpp's converter does: config.json's ids stand in when the tokenizer files name
  // no such token (Qwen's tokenizer_config.json has "bos_token": null).
  if (config != nullptr) {
    if (config->bos_token_id && !out->contains("tokenizer.ggml.bos_token_id"))
      out->set("tokenizer.ggml.bos_token_id", MetaValue::uint32(*config->bos_token_id));
    if (config->eos_token_id && !out->contains("tokenizer.ggml.eos_token_id"))
      out->set("tokenizer.ggml.eos_token_id", MetaValue::uint32(*config->eos_token_id));
  }
  return Status::Ok();
}

Result<HfFolder> open_hf_folder(const std::string& dir) {
  HfFolder folder;
  const std::string config_path = join_path(dir, kConfigFile);
  if (!is_regular_file(config_path))
    return NotFoundError("{}: not a GGUF file or a Hugging Face folder: no {}", dir, kConfigFile);
  QWL_ASSIGN_OR_RETURN(std::string config_text, read_file(config_path));
  QWL_ASSIGN_OR_RETURN(HfConfig config, translate_hf_config(config_text, config_path,
                                                            folder_name(dir), &folder.metadata));

  // Weights: an index with shards, else one file.
  const std::string index_path = join_path(dir, kIndexFile);
  const std::string single_path = join_path(dir, kSingleWeightsFile);
  if (is_regular_file(index_path)) {
    QWL_ASSIGN_OR_RETURN(std::string index_text, read_file(index_path));
    QWL_ASSIGN_OR_RETURN(SafetensorsIndex index, parse_safetensors_index(index_text, index_path));
    for (const std::string& shard : index.shards) {
      QWL_ASSIGN_OR_RETURN(SafetensorsFile f, SafetensorsFile::open(join_path(dir, shard)));
      folder.shards.push_back(std::move(f));
    }
    // The index and the shards must agree in both directions.
    std::unordered_map<std::string_view, size_t> listed;  // tensor -> shard
    for (const auto& [tensor, shard] : index.weight_map) listed.emplace(tensor, shard);
    size_t found = 0;
    for (size_t s = 0; s < folder.shards.size(); ++s) {
      for (const SafetensorsTensor& t : folder.shards[s].tensors()) {
        auto it = listed.find(t.name);
        if (it == listed.end())
          return CorruptError("{}: tensor '{}': not listed in {}", folder.shards[s].path(), t.name,
                              kIndexFile);
        if (it->second != s)
          return CorruptError("{}: tensor '{}': {} lists it in {}", folder.shards[s].path(), t.name,
                              kIndexFile, index.shards[it->second]);
        ++found;
      }
    }
    if (found != listed.size()) {
      for (const auto& entry : index.weight_map) {
        const std::string& tensor = entry.first;
        const auto& ts = folder.shards[entry.second].tensors();
        if (std::none_of(ts.begin(), ts.end(),
                         [&](const SafetensorsTensor& t) { return t.name == tensor; }))
          return CorruptError("{}: weight_map: tensor '{}': not found in {}", index_path, tensor,
                              index.shards[entry.second]);
      }
    }
  } else if (is_regular_file(single_path)) {
    QWL_ASSIGN_OR_RETURN(SafetensorsFile f, SafetensorsFile::open(single_path));
    folder.shards.push_back(std::move(f));
  } else {
    return NotFoundError("{}: no {} or {} (only safetensors weights are read)", dir,
                         kSingleWeightsFile, kIndexFile);
  }

  for (const SafetensorsFile& shard : folder.shards) {
    for (const SafetensorsTensor& t : shard.tensors()) {
      int64_t layer = -1;
      Result<std::string> name = hf_tensor_name_to_gguf(t.name, &layer);
      if (!name.ok()) return name.status().with_context(shard.path());
      if (name->empty()) continue;
      if (*name == "output.weight" && config.tie_word_embeddings) continue;
      if (layer >= static_cast<int64_t>(config.block_count))
        return CorruptError("{}: tensor '{}': layer {} but {} has num_hidden_layers = {}",
                            shard.path(), t.name, layer, kConfigFile, config.block_count);
      folder.tensors.push_back(TensorEntry{std::move(*name), shard.view(t)});
    }
  }

  const std::string tokenizer_path = join_path(dir, kTokenizerFile);
  if (is_regular_file(tokenizer_path)) {
#if QWL_HAVE_HF_TOKENIZER
    QWL_RETURN_IF_ERROR(add_hf_tokenizer_metadata(tokenizer_path, dir, &config, &folder.metadata));
#else
    QWL_LOG_WARN("{}: tokenizer.json translation not built in: no tokenizer metadata", dir);
#endif
  } else {
    QWL_LOG_WARN("{}: no {}: the model has no tokenizer metadata", dir, kTokenizerFile);
  }
  return folder;
}

// Used by load_tokenizer_metadata (model_file.cpp): the folder's tokenizer without weights or
// architecture checks, so that any folder with a Qwen tokenizer can tokenize.
Result<Metadata> load_hf_tokenizer_metadata(const std::string& tokenizer_json_path,
                                            const std::string& dir) {
  std::optional<HfConfig> config;
  const std::string config_path = join_path(dir, kConfigFile);
  if (is_regular_file(config_path)) {
    QWL_ASSIGN_OR_RETURN(std::string text, read_file(config_path));
    QWL_ASSIGN_OR_RETURN(Json j, parse_config(text, config_path));
    QWL_ASSIGN_OR_RETURN(config, read_common_config(j, config_path));
  }
  Metadata out;
  QWL_RETURN_IF_ERROR(
      add_hf_tokenizer_metadata(tokenizer_json_path, dir, config ? &*config : nullptr, &out));
  return out;
}

}  // namespace qwl
