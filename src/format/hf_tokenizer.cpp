// tokenizer.json -> GGUF tokenizer keys, following what llama.cpp's convert_hf_to_gguf.py
// (TextModel.get_vocab_base, _set_vocab_gpt2) and gguf-py's SpecialVocab write for Qwen2/Qwen3.
// nlohmann-json is used only inside this file; its exceptions are caught here and turned into
// Status values that name the file and the field.
#include "format/hf_tokenizer.h"

#include <fmt/format.h>

#include <array>
#include <limits>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace qwl {
namespace {

using Json = nlohmann::json;

// The pre-tokenizer regex of Qwen2 / Qwen2.5 / Qwen3 tokenizer.json files, verbatim. The
// tokenizer layer implements exactly this split, so any other pattern is refused.
constexpr std::string_view kQwen2Pattern =
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";

// GGUF token types (llama.cpp's gguf.TokenType).
constexpr int64_t kTypeNormal = 1;
constexpr int64_t kTypeControl = 3;
constexpr int64_t kTypeUserDefined = 4;
constexpr int64_t kTypeUnused = 5;

// Largest vocabulary accepted; far above any real model, it only guards the padding loop.
constexpr int64_t kMaxVocab = 1 << 24;

struct AddedToken {
  int64_t id = 0;
  std::string content;
  bool special = false;
};

Result<Json> parse_json(std::string_view text, std::string_view file) {
  try {
    return Json::parse(text.begin(), text.end());
  } catch (const Json::exception& e) {
    return InvalidArgumentError("{}: not valid JSON: {}", file, e.what());
  }
}

// llama.cpp marks some added tokens as control even when the file does not call them special
// (TextModel.does_token_look_special); Qwen's "<|fim_prefix|>" etc. are such tokens.
bool looks_special(std::string_view t) {
  auto starts = [&](std::string_view p) { return t.substr(0, p.size()) == p; };
  auto ends = [&](std::string_view s) {
    return t.size() >= s.size() && t.substr(t.size() - s.size()) == s;
  };
  if (t == "<pad>" || t == "<mask>" || t == "<2mass>" || t == "[@BOS@]") return true;
  if (starts("<|") && ends("|>")) return true;
  if (starts("<\xEF\xBD\x9C") && ends("\xEF\xBD\x9C>")) return true;  // "<｜" ... "｜>"
  if (starts("<unused") && ends(">")) return true;
  return false;
}

// Replaces every occurrence of `from` in `s` with `to`.
std::string replace_all(std::string s, std::string_view from, std::string_view to) {
  size_t pos = 0;
  while ((pos = s.find(from, pos)) != std::string::npos) {
    s.replace(pos, from.size(), to);
    pos += to.size();
  }
  return s;
}

// A merge part with its spaces written as U+0120 ("Ġ"), as gguf-py does for pair-form merges.
std::string encode_merge_part(const std::string& part) {
  return replace_all(part, " ", "\xC4\xA0");
}

Status check_qwen2_pipeline(const Json& tok) {
  const auto normalizer = tok.find("normalizer");
  if (normalizer == tok.end() || !normalizer->is_object() ||
      normalizer->value("type", Json()) != "NFC") {
    return UnsupportedError("tokenizer.json: normalizer: expected {{\"type\": \"NFC\"}} (Qwen2)");
  }
  const auto pre = tok.find("pre_tokenizer");
  bool has_split = false;
  bool has_byte_level = false;
  if (pre != tok.end() && pre->is_object()) {
    const auto list = pre->find("pretokenizers");
    if (list != pre->end() && list->is_array()) {
      for (const Json& p : *list) {
        if (!p.is_object()) continue;
        const Json type = p.value("type", Json());
        if (type == "ByteLevel") has_byte_level = true;
        if (type == "Split") {
          const auto pattern = p.find("pattern");
          if (pattern != p.end() && pattern->is_object()) {
            const Json regex = pattern->value("Regex", Json());
            if (regex.is_string() && regex.get<std::string>() == kQwen2Pattern) has_split = true;
          }
        }
      }
    }
  }
  if (!has_split || !has_byte_level) {
    return UnsupportedError(
        "tokenizer.json: pre_tokenizer: expected the Qwen2 Split regex followed by ByteLevel");
  }
  return Status::Ok();
}

Result<int64_t> token_id_value(const Json& v, std::string_view where) {
  if (!v.is_number_integer()) return CorruptError("tokenizer.json: {}: expected an integer", where);
  const int64_t id = v.get<int64_t>();
  if (id < 0 || id >= kMaxVocab) {
    return CorruptError("tokenizer.json: {}: id {} out of range", where, id);
  }
  return id;
}

Result<std::vector<AddedToken>> read_added_tokens(const Json& tok) {
  std::vector<AddedToken> added;
  const auto it = tok.find("added_tokens");
  if (it == tok.end() || it->is_null()) return added;
  if (!it->is_array()) return CorruptError("tokenizer.json: added_tokens: expected an array");
  for (size_t i = 0; i < it->size(); ++i) {
    const Json& a = (*it)[i];
    const std::string where = fmt::format("added_tokens[{}]", i);
    if (!a.is_object()) return CorruptError("tokenizer.json: {}: expected an object", where);
    const auto id = a.find("id");
    const auto content = a.find("content");
    if (id == a.end()) return CorruptError("tokenizer.json: {}.id: missing", where);
    if (content == a.end() || !content->is_string()) {
      return CorruptError("tokenizer.json: {}.content: expected a string", where);
    }
    QWL_ASSIGN_OR_RETURN(const int64_t id_value, token_id_value(*id, where + ".id"));
    const auto special = a.find("special");
    if (special != a.end() && !special->is_boolean()) {
      return CorruptError("tokenizer.json: {}.special: expected a bool", where);
    }
    added.push_back({.id = id_value,
                     .content = content->get<std::string>(),
                     .special = special != a.end() && special->get<bool>()});
  }
  return added;
}

Result<std::vector<std::string>> read_merges(const Json& model) {
  const auto it = model.find("merges");
  if (it == model.end() || !it->is_array()) {
    return CorruptError("tokenizer.json: model.merges: expected an array");
  }
  std::vector<std::string> merges;
  merges.reserve(it->size());
  for (size_t i = 0; i < it->size(); ++i) {
    const Json& m = (*it)[i];
    if (m.is_string()) {
      merges.push_back(m.get<std::string>());
    } else if (m.is_array() && m.size() == 2 && m[0].is_string() && m[1].is_string()) {
      merges.push_back(encode_merge_part(m[0].get<std::string>()) + " " +
                       encode_merge_part(m[1].get<std::string>()));
    } else {
      return CorruptError(
          "tokenizer.json: model.merges[{}]: expected a string or a pair of strings", i);
    }
  }
  return merges;
}

// The text of a token entry of tokenizer_config.json: a string, or an AddedToken object's
// "content". Anything else (null, a number, a malformed object) counts as absent, as in
// gguf-py's SpecialVocab.
std::optional<std::string> config_token(const Json& config, const std::string& key) {
  const auto it = config.find(key);
  if (it == config.end()) return std::nullopt;
  if (it->is_string()) return it->get<std::string>();
  if (it->is_object()) {
    const auto content = it->find("content");
    if (content != it->end() && content->is_string()) return content->get<std::string>();
  }
  return std::nullopt;
}

// Python truthiness of a config entry, for SpecialVocab's cls->bos and sep->eos fallbacks.
bool truthy(const Json& config, const std::string& key) {
  const auto it = config.find(key);
  if (it == config.end() || it->is_null()) return false;
  if (it->is_string()) return !it->get<std::string>().empty();
  if (it->is_boolean()) return it->get<bool>();
  if (it->is_object() || it->is_array()) return !it->empty();
  return true;
}

Status add_special_tokens(Json config, const std::vector<AddedToken>& added, int64_t n_vocab,
                          Metadata* out) {
  // SpecialVocab: a missing bos falls back to cls, a missing eos to sep.
  if (!truthy(config, "bos_token") && truthy(config, "cls_token")) {
    config["bos_token"] = config["cls_token"];
  }
  if (!truthy(config, "eos_token") && truthy(config, "sep_token")) {
    config["eos_token"] = config["sep_token"];
  }
  struct Kind {
    const char* type;
    const char* id_key;   // nullptr: the gguf writer has no key for it (cls)
    const char* add_key;  // nullptr: no add_<type>_token key
  };
  static constexpr std::array<Kind, 7> kKinds = {{
      {"bos", "tokenizer.ggml.bos_token_id", "tokenizer.ggml.add_bos_token"},
      {"eos", "tokenizer.ggml.eos_token_id", "tokenizer.ggml.add_eos_token"},
      {"unk", "tokenizer.ggml.unknown_token_id", nullptr},
      {"sep", "tokenizer.ggml.seperator_token_id", "tokenizer.ggml.add_sep_token"},
      {"pad", "tokenizer.ggml.padding_token_id", nullptr},
      {"cls", nullptr, nullptr},
      {"mask", "tokenizer.ggml.mask_token_id", nullptr},
  }};
  std::vector<std::pair<const char*, bool>> add_flags;
  for (const Kind& kind : kKinds) {
    const std::string type = kind.type;
    const auto add = config.find("add_" + type + "_token");
    if (add != config.end() && add->is_boolean() && kind.add_key != nullptr) {
      add_flags.emplace_back(kind.add_key, add->get<bool>());
    }
    const std::optional<std::string> content = config_token(config, type + "_token");
    if (!content || kind.id_key == nullptr) continue;
    for (const AddedToken& a : added) {
      if (a.content != *content) continue;
      if (a.id < n_vocab) out->set(kind.id_key, MetaValue::uint32(static_cast<uint32_t>(a.id)));
      break;
    }
  }
  bool has_add_bos = false;
  for (const auto& [key, value] : add_flags) {
    out->set(key, MetaValue::boolean(value));
    if (std::string_view(key) == "tokenizer.ggml.add_bos_token") has_add_bos = true;
  }
  // Qwen never prepends a BOS token; say so even when tokenizer_config.json is silent.
  if (!has_add_bos) out->set("tokenizer.ggml.add_bos_token", MetaValue::boolean(false));
  return Status::Ok();
}

Status add_chat_template(const Json& config, Metadata* out) {
  const auto it = config.find("chat_template");
  if (it == config.end() || it->is_null()) return Status::Ok();
  if (it->is_string()) {
    out->set("tokenizer.chat_template", MetaValue::string(it->get<std::string>()));
    return Status::Ok();
  }
  if (!it->is_array()) {
    return CorruptError("tokenizer_config.json: chat_template: expected a string or a list");
  }
  // A list of {"name", "template"}: "default" is the main template, the others are named.
  std::optional<std::string> default_template;
  std::vector<std::string> names;
  for (const Json& choice : *it) {
    if (!choice.is_object()) continue;
    const Json name_json = choice.value("name", Json(""));
    const auto tmpl = choice.find("template");
    if (!name_json.is_string() || tmpl == choice.end() || !tmpl->is_string()) continue;
    std::string name = name_json.get<std::string>();
    for (char& c : name) {
      const bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
      if (!alnum) c = '_';
    }
    if (name.empty()) continue;
    if (name == "default") {
      default_template = tmpl->get<std::string>();
    } else {
      out->set("tokenizer.chat_template." + name, MetaValue::string(tmpl->get<std::string>()));
      names.push_back(name);
    }
  }
  if (!names.empty()) out->set("tokenizer.chat_templates", MetaValue::string_array(names));
  if (default_template) {
    out->set("tokenizer.chat_template", MetaValue::string(*default_template));
  }
  return Status::Ok();
}

Status convert(std::string_view tokenizer_json, std::string_view tokenizer_config_json,
               int64_t vocab_size, Metadata* out) {
  QWL_ASSIGN_OR_RETURN(const Json tok, parse_json(tokenizer_json, "tokenizer.json"));
  if (!tok.is_object()) return CorruptError("tokenizer.json: expected a JSON object");
  Json config = Json::object();
  if (tokenizer_config_json.find_first_not_of(" \t\r\n") != std::string_view::npos) {
    QWL_ASSIGN_OR_RETURN(config, parse_json(tokenizer_config_json, "tokenizer_config.json"));
    if (!config.is_object()) return CorruptError("tokenizer_config.json: expected a JSON object");
  }

  const auto model = tok.find("model");
  if (model == tok.end() || !model->is_object()) {
    return CorruptError("tokenizer.json: model: expected an object");
  }
  const Json model_type = model->value("type", Json());
  if (model_type != "BPE") {
    return UnsupportedError("tokenizer.json: model.type: {} is not BPE", model_type.dump());
  }
  QWL_RETURN_IF_ERROR(check_qwen2_pipeline(tok));

  const auto vocab = model->find("vocab");
  if (vocab == model->end() || !vocab->is_object()) {
    return CorruptError("tokenizer.json: model.vocab: expected an object");
  }
  QWL_ASSIGN_OR_RETURN(const std::vector<AddedToken> added, read_added_tokens(tok));
  QWL_ASSIGN_OR_RETURN(std::vector<std::string> merges, read_merges(*model));

  // id -> text, from the model's vocab and then the added tokens (which win, as in
  // transformers' tokenizer.vocab).
  int64_t n_tokens = 0;
  for (const auto& [text, id_json] : vocab->items()) {
    QWL_ASSIGN_OR_RETURN(const int64_t id,
                         token_id_value(id_json, fmt::format("model.vocab[\"{}\"]", text)));
    n_tokens = std::max(n_tokens, id + 1);
  }
  for (const AddedToken& a : added) n_tokens = std::max(n_tokens, a.id + 1);
  if (vocab_size <= 0) vocab_size = n_tokens;
  if (vocab_size < n_tokens) {
    return InvalidArgumentError("vocab_size {} is smaller than the tokenizer's {} tokens",
                                vocab_size, n_tokens);
  }
  if (vocab_size > kMaxVocab) {
    return InvalidArgumentError("vocab_size {} is larger than {}", vocab_size, kMaxVocab);
  }

  std::vector<std::string> tokens(static_cast<size_t>(vocab_size));
  std::vector<int64_t> types(static_cast<size_t>(vocab_size), 0);
  for (const auto& [text, id_json] : vocab->items()) {
    const size_t id = static_cast<size_t>(id_json.get<int64_t>());
    if (types[id] != 0) {
      return CorruptError("tokenizer.json: model.vocab: id {} is used by two tokens", id);
    }
    tokens[id] = text;
    types[id] = kTypeNormal;
  }
  for (const AddedToken& a : added) {
    const size_t id = static_cast<size_t>(a.id);
    // Non-normalized added tokens would be re-encoded and decoded by llama.cpp; for a
    // byte-level BPE that round trip gives the token's own text back, so it is left out.
    if (a.special || looks_special(a.content)) {
      tokens[id] = a.content;
      types[id] = kTypeControl;
    } else {
      tokens[id] = replace_all(a.content, "\xE2\x96\x81", " ");  // "▁" -> " " as llama.cpp
      types[id] = kTypeUserDefined;
    }
  }
  for (size_t id = 0; id < tokens.size(); ++id) {
    if (types[id] != 0) continue;
    tokens[id] = fmt::format("[PAD{}]", id);
    types[id] = kTypeUnused;
  }

  out->set("tokenizer.ggml.model", MetaValue::string("gpt2"));
  out->set("tokenizer.ggml.pre", MetaValue::string("qwen2"));
  out->set("tokenizer.ggml.tokens", MetaValue::string_array(std::move(tokens)));
  out->set("tokenizer.ggml.token_type",
           MetaValue::integer_array(ValueType::kInt32, std::move(types)));
  out->set("tokenizer.ggml.merges", MetaValue::string_array(std::move(merges)));
  QWL_RETURN_IF_ERROR(add_special_tokens(config, added, vocab_size, out));
  QWL_RETURN_IF_ERROR(add_chat_template(config, out));
  return Status::Ok();
}

}  // namespace

Status tokenizer_json_to_metadata(std::string_view tokenizer_json,
                                  std::string_view tokenizer_config_json, int64_t vocab_size,
                                  Metadata* out) {
  QWL_CHECK(out != nullptr);
  // Every access above checks types first; this catch is the module edge's last guard so that
  // no nlohmann exception (or bad_alloc on absurd input) escapes.
  try {
    return convert(tokenizer_json, tokenizer_config_json, vocab_size, out);
  } catch (const nlohmann::json::exception& e) {
    return CorruptError("tokenizer.json: unexpected structure: {}", e.what());
  } catch (const std::bad_alloc&) {
    return ResourceExhaustedError("tokenizer.json: out of memory while converting");
  }
}

}  // namespace qwl
