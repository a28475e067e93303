// Hugging Face folder tests: tiny Qwen2 and Qwen3 folders written by the test (config.json,
// safetensors, sharded index, tokenizer files) opened through ModelFile, checked against the
// GGUF names, shapes, bytes and metadata keys they must translate to.
#include "format/hf_folder.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <functional>
#include <map>
#include <set>

#include "format/model_file.h"
#include "format/test_util.h"

namespace qwl {
namespace {

using ::testing::HasSubstr;

struct HfTensor {
  std::string name;
  DType type;
  std::vector<int64_t> shape;  // PyTorch order
  std::vector<uint8_t> bytes;
};

struct TinyModel {
  std::string arch = "qwen3";
  int n_layer = 2;
  bool tie = true;
  bool lm_head_in_file = true;  // written even when tied, as some exports do
  int64_t vocab = 8, hidden = 8, ff = 16, heads = 2, kv_heads = 1, head_dim = 4;

  std::string config(std::string_view extra = "") const {
    std::string head_dim_entry =
        arch == "qwen3" ? fmt::format(R"("head_dim": {},)", head_dim) : std::string();
    return fmt::format(
        R"({{"architectures": ["X"], "model_type": "{}", "hidden_size": {},)"
        R"( "intermediate_size": {}, "num_hidden_layers": {}, "num_attention_heads": {},)"
        R"( "num_key_value_heads": {}, {} "max_position_embeddings": 4096,)"
        R"( "rope_theta": 1000000, "rms_norm_eps": 1e-06, "tie_word_embeddings": {},)"
        R"( "vocab_size": {}, "bos_token_id": 4, "eos_token_id": 5, "torch_dtype": "bfloat16",)"
        R"( "rope_scaling": null {}}})",
        arch, hidden, ff, n_layer, heads, kv_heads, head_dim_entry, tie ? "true" : "false", vocab,
        extra);
  }

  std::vector<HfTensor> tensors() const {
    std::vector<HfTensor> out;
    uint32_t seed = 1;
    auto add = [&](std::string name, DType type, std::vector<int64_t> shape) {
      size_t n = type_size(type);
      for (int64_t d : shape) n *= static_cast<size_t>(d);
      out.push_back({std::move(name), type, std::move(shape), test::pattern_bytes(n, seed++)});
    };
    const int64_t q = heads * head_dim, kv = kv_heads * head_dim;
    add("model.embed_tokens.weight", DType::kBF16, {vocab, hidden});
    for (int il = 0; il < n_layer; ++il) {
      const std::string p = fmt::format("model.layers.{}.", il);
      add(p + "input_layernorm.weight", DType::kF32, {hidden});
      add(p + "self_attn.q_proj.weight", DType::kBF16, {q, hidden});
      add(p + "self_attn.k_proj.weight", DType::kBF16, {kv, hidden});
      add(p + "self_attn.v_proj.weight", DType::kBF16, {kv, hidden});
      if (arch == "qwen2") {
        add(p + "self_attn.q_proj.bias", DType::kBF16, {q});
        add(p + "self_attn.k_proj.bias", DType::kBF16, {kv});
        add(p + "self_attn.v_proj.bias", DType::kBF16, {kv});
      } else {
        add(p + "self_attn.q_norm.weight", DType::kBF16, {head_dim});
        add(p + "self_attn.k_norm.weight", DType::kBF16, {head_dim});
      }
      add(p + "self_attn.o_proj.weight", DType::kBF16, {hidden, q});
      add(p + "post_attention_layernorm.weight", DType::kF32, {hidden});
      add(p + "mlp.gate_proj.weight", DType::kF16, {ff, hidden});
      add(p + "mlp.up_proj.weight", DType::kF16, {ff, hidden});
      add(p + "mlp.down_proj.weight", DType::kF16, {hidden, ff});
    }
    add("model.norm.weight", DType::kF32, {hidden});
    if (!tie || lm_head_in_file) add("lm_head.weight", DType::kBF16, {vocab, hidden});
    return out;
  }
};

void write_safetensors(const std::string& path, const std::vector<HfTensor>& tensors) {
  std::vector<SafetensorsInput> inputs;
  for (const HfTensor& t : tensors) inputs.push_back({t.name, t.type, t.shape, t.bytes});
  auto image = encode_safetensors(inputs);
  QWL_CHECK(image.ok(), "{}", image.status().to_string());
  test::write_bytes(path, *image);
}

// tokenizer_config.json as Qwen3 ships it, in short: no bos token, a chat template.
constexpr std::string_view kTokenizerConfig =
    R"({"bos_token": null, "eos_token": "<|im_end|>", "pad_token": "<|endoftext|>",)"
    R"( "chat_template": "{% for m in messages %}{{ m.content }}{% endfor %}"})";

// Writes a complete single-file folder for `m` under dir/name and returns its path.
std::string write_folder(const test::TempDir& dir, const TinyModel& m,
                         const std::string& name = "Tiny-Qwen") {
  const std::string path = dir.file(name);
  std::filesystem::create_directories(path);
  test::write_bytes(path + "/config.json", m.config());
  write_safetensors(path + "/model.safetensors", m.tensors());
  test::write_bytes(path + "/tokenizer.json", test::tiny_tokenizer_json());
  test::write_bytes(path + "/tokenizer_config.json", kTokenizerConfig);
  return path;
}

// The GGUF name each HF name must get, spelled out independently of the table in hf_folder.cpp.
std::map<std::string, std::string> expected_names(const TinyModel& m) {
  std::map<std::string, std::string> out = {{"model.embed_tokens.weight", "token_embd.weight"},
                                            {"model.norm.weight", "output_norm.weight"}};
  if (!m.tie) out["lm_head.weight"] = "output.weight";
  for (int il = 0; il < m.n_layer; ++il) {
    const std::string hf = fmt::format("model.layers.{}.", il);
    const std::string gg = fmt::format("blk.{}.", il);
    out[hf + "input_layernorm.weight"] = gg + "attn_norm.weight";
    out[hf + "post_attention_layernorm.weight"] = gg + "ffn_norm.weight";
    out[hf + "self_attn.q_proj.weight"] = gg + "attn_q.weight";
    out[hf + "self_attn.k_proj.weight"] = gg + "attn_k.weight";
    out[hf + "self_attn.v_proj.weight"] = gg + "attn_v.weight";
    out[hf + "self_attn.o_proj.weight"] = gg + "attn_output.weight";
    out[hf + "mlp.gate_proj.weight"] = gg + "ffn_gate.weight";
    out[hf + "mlp.up_proj.weight"] = gg + "ffn_up.weight";
    out[hf + "mlp.down_proj.weight"] = gg + "ffn_down.weight";
    if (m.arch == "qwen2") {
      out[hf + "self_attn.q_proj.bias"] = gg + "attn_q.bias";
      out[hf + "self_attn.k_proj.bias"] = gg + "attn_k.bias";
      out[hf + "self_attn.v_proj.bias"] = gg + "attn_v.bias";
    } else {
      out[hf + "self_attn.q_norm.weight"] = gg + "attn_q_norm.weight";
      out[hf + "self_attn.k_norm.weight"] = gg + "attn_k_norm.weight";
    }
  }
  return out;
}

// Every expected tensor is there with the GGUF name, reversed shape and the very same bytes.
void expect_tensors(const ModelFile& f, const TinyModel& m) {
  const auto names = expected_names(m);
  EXPECT_EQ(f.tensors().size(), names.size());
  for (const HfTensor& t : m.tensors()) {
    auto it = names.find(t.name);
    if (it == names.end()) {
      EXPECT_EQ(f.find_tensor("output.weight"), nullptr) << "tied lm_head must be left out";
      continue;
    }
    SCOPED_TRACE(t.name);
    const TensorEntry* e = f.find_tensor(it->second);
    ASSERT_NE(e, nullptr) << it->second;
    EXPECT_EQ(e->view.type, t.type);
    EXPECT_EQ(e->view.n_dims, static_cast<int>(t.shape.size()));
    for (size_t d = 0; d < t.shape.size(); ++d)
      EXPECT_EQ(e->view.ne[d], t.shape[t.shape.size() - 1 - d]);
    ASSERT_EQ(e->view.n_bytes(), t.bytes.size());
    EXPECT_EQ(std::memcmp(e->view.data, t.bytes.data(), t.bytes.size()), 0);
  }
}

// --- names ---

TEST(HfNames, TranslatesEveryQwenName) {
  TinyModel qwen2;
  qwen2.arch = "qwen2";
  qwen2.tie = false;
  TinyModel qwen3;
  qwen3.tie = false;
  for (const TinyModel* m : {&qwen2, &qwen3}) {
    for (const auto& [hf, gguf] : expected_names(*m)) {
      int64_t layer = -2;
      auto name = hf_tensor_name_to_gguf(hf, &layer);
      ASSERT_TRUE(name.ok()) << hf;
      EXPECT_EQ(*name, gguf);
      EXPECT_EQ(layer, gguf.starts_with("blk.") ? std::stoll(gguf.substr(4)) : -1) << hf;
    }
  }
  EXPECT_EQ(hf_tensor_name_to_gguf("model.layers.27.mlp.down_proj.weight").value(),
            "blk.27.ffn_down.weight");
}

TEST(HfNames, DropsRotaryBuffers) {
  EXPECT_EQ(hf_tensor_name_to_gguf("model.layers.3.self_attn.rotary_emb.inv_freq").value(), "");
}

TEST(HfNames, RejectsOtherNames) {
  for (const char* name :
       {"model.layers.0.mlp.experts.0.up_proj.weight", "model.layers.x.mlp",
        "model.layers.01.mlp.up_proj.weight", "model.layers.-1.mlp.up_proj.weight",
        "model.layers..mlp.up_proj.weight", "model.layers.0",
        "model.layers.0.self_attn.o_proj.bias", "visual.blocks.0.weight", ""}) {
    auto r = hf_tensor_name_to_gguf(name);
    EXPECT_EQ(r.status().code(), StatusCode::kUnsupported) << name;
    EXPECT_THAT(r.status().message(), HasSubstr(fmt::format("'{}'", name)));
  }
}

// --- config.json ---

TEST(HfConfig, Qwen3KeysAndTypes) {
  TinyModel m;
  Metadata md;
  auto c = translate_hf_config(m.config(), "cfg.json", "Tiny", &md);
  ASSERT_TRUE(c.ok()) << c.status().to_string();
  EXPECT_EQ(c->architecture, "qwen3");
  EXPECT_EQ(c->block_count, 2u);
  EXPECT_TRUE(c->tie_word_embeddings);
  EXPECT_EQ(c->vocab_size, 8);
  EXPECT_EQ(c->bos_token_id, 4u);
  EXPECT_EQ(c->eos_token_id, 5u);

  struct Key {
    const char* key;
    ValueType type;
    double value;
  };
  const Key keys[] = {
      {"qwen3.block_count", ValueType::kUint32, 2},
      {"qwen3.context_length", ValueType::kUint32, 4096},
      {"qwen3.embedding_length", ValueType::kUint32, 8},
      {"qwen3.feed_forward_length", ValueType::kUint32, 16},
      {"qwen3.attention.head_count", ValueType::kUint32, 2},
      {"qwen3.attention.head_count_kv", ValueType::kUint32, 1},
      {"qwen3.rope.freq_base", ValueType::kFloat32, 1e6},
      {"qwen3.attention.layer_norm_rms_epsilon", ValueType::kFloat32, static_cast<float>(1e-6)},
      {"qwen3.attention.key_length", ValueType::kUint32, 4},
      {"qwen3.attention.value_length", ValueType::kUint32, 4},
  };
  ASSERT_EQ(md.size(), 2 + std::size(keys));
  EXPECT_EQ(md.entries()[0].first, "general.architecture");
  EXPECT_EQ(md.get_string("general.architecture").value(), "qwen3");
  EXPECT_EQ(md.entries()[1].first, "general.name");
  EXPECT_EQ(md.get_string("general.name").value(), "Tiny");
  for (size_t i = 0; i < std::size(keys); ++i) {
    SCOPED_TRACE(keys[i].key);
    EXPECT_EQ(md.entries()[2 + i].first, keys[i].key);
    const MetaValue* v = md.find(keys[i].key);
    ASSERT_NE(v, nullptr);
    EXPECT_EQ(v->type(), keys[i].type);
    EXPECT_EQ(*v->as_float(), keys[i].value);
  }
}

TEST(HfConfig, Qwen2WithoutHeadDimOrKvHeads) {
  Metadata md;
  auto c = translate_hf_config(
      R"({"model_type":"qwen2","hidden_size":896,"intermediate_size":4864,)"
      R"("num_hidden_layers":24,"num_attention_heads":14,"max_position_embeddings":32768})",
      "cfg.json", "Qwen2.5-0.5B", &md);
  ASSERT_TRUE(c.ok()) << c.status().to_string();
  EXPECT_EQ(md.get_uint("qwen2.attention.head_count_kv").value(), 14u);  // defaults to heads
  EXPECT_FALSE(md.contains("qwen2.attention.key_length"));
  EXPECT_FALSE(md.contains("qwen2.rope.freq_base"));  // absent in, absent out
  EXPECT_FALSE(c->tie_word_embeddings);
  EXPECT_EQ(c->vocab_size, 0);
  EXPECT_FALSE(c->bos_token_id.has_value());
}

TEST(HfConfig, YarnRopeScaling) {
  TinyModel m;
  Metadata md;
  auto c = translate_hf_config(m.config(R"(, "rope_scaling_unused": 1)"), "cfg.json", "T", &md);
  ASSERT_TRUE(c.ok()) << c.status().to_string();
  const std::string yarn =
      R"({"model_type":"qwen3","hidden_size":8,"intermediate_size":16,"num_hidden_layers":1,)"
      R"("num_attention_heads":2,"max_position_embeddings":32768,"rope_scaling":{"rope_type":)"
      R"("yarn","factor":4.0,"original_max_position_embeddings":32768}})";
  Metadata y;
  ASSERT_TRUE(translate_hf_config(yarn, "cfg.json", "T", &y).ok());
  EXPECT_EQ(y.get_string("qwen3.rope.scaling.type").value(), "yarn");
  EXPECT_EQ(y.find("qwen3.rope.scaling.factor")->type(), ValueType::kFloat32);
  EXPECT_EQ(y.get_float("qwen3.rope.scaling.factor").value(), 4.0);
  EXPECT_EQ(y.get_uint("qwen3.rope.scaling.original_context_length").value(), 32768u);

  std::string dynamic = yarn;
  dynamic.replace(dynamic.find("yarn"), 4, "dynamic");
  Metadata d;
  Status s = translate_hf_config(dynamic, "cfg.json", "T", &d).status();
  EXPECT_EQ(s.code(), StatusCode::kUnsupported);
  EXPECT_THAT(s.message(), HasSubstr("\"dynamic\""));
}

TEST(HfConfig, UnsupportedModelType) {
  Metadata md;
  Status s =
      translate_hf_config(R"({"model_type":"llama","hidden_size":8})", "dir/config.json", "T", &md)
          .status();
  EXPECT_EQ(s.code(), StatusCode::kUnsupported);
  EXPECT_THAT(s.message(), HasSubstr("dir/config.json"));
  EXPECT_THAT(s.message(), HasSubstr("model_type"));
  EXPECT_THAT(s.message(), HasSubstr("\"llama\""));
  EXPECT_EQ(translate_hf_config(R"({"model_type":"qwen3_moe"})", "c", "T", &md).status().code(),
            StatusCode::kUnsupported);
}

TEST(HfConfig, MissingAndMistypedFields) {
  TinyModel m;
  auto expect = [](std::string json, StatusCode code, std::string fragment) {
    Metadata md;
    Status s = translate_hf_config(json, "x/config.json", "T", &md).status();
    EXPECT_EQ(s.code(), code) << json;
    EXPECT_THAT(s.message(), HasSubstr("x/config.json"));
    EXPECT_THAT(s.message(), HasSubstr(fragment));
  };
  std::string no_hidden = m.config();
  no_hidden.replace(no_hidden.find("\"hidden_size\": 8,"), 17, "");
  expect(no_hidden, StatusCode::kCorrupt, "hidden_size: missing");
  std::string text_layers = m.config();
  text_layers.replace(text_layers.find("\"num_hidden_layers\": 2"), 22,
                      "\"num_hidden_layers\": \"2\"");
  expect(text_layers, StatusCode::kCorrupt, "num_hidden_layers: is a string");
  std::string zero_heads = m.config();
  zero_heads.replace(zero_heads.find("\"num_attention_heads\": 2"), 24,
                     "\"num_attention_heads\": 0");
  expect(zero_heads, StatusCode::kCorrupt, "num_attention_heads: is 0");
  std::string float_ff = m.config();
  float_ff.replace(float_ff.find("\"intermediate_size\": 16"), 23, "\"intermediate_size\": 16.5");
  expect(float_ff, StatusCode::kCorrupt, "intermediate_size: is a fractional number");
  expect("{\"model_type\": \"qwen3\", \"model_type\": \"qwen2\"}", StatusCode::kCorrupt,
         "duplicate key");
  expect("not json", StatusCode::kCorrupt, "not valid JSON");
  expect("[]", StatusCode::kCorrupt, "expected an object");
  expect("{}", StatusCode::kCorrupt, "model_type: missing");
}

// --- whole folders ---

TEST(HfFolder, OpensQwen3SingleFile) {
  test::TempDir dir;
  TinyModel m;  // tied, with an lm_head in the file that must be left out
  const std::string path = write_folder(dir, m, "Qwen3-Tiny");
  auto f = ModelFile::open(path);
  ASSERT_TRUE(f.ok()) << f.status().to_string();
  EXPECT_FALSE(f->is_gguf());
  EXPECT_EQ(f->gguf_version(), 0u);
  EXPECT_EQ(f->path(), path);
  EXPECT_EQ(f->metadata().get_string("general.architecture").value(), "qwen3");
  EXPECT_EQ(f->metadata().get_string("general.name").value(), "Qwen3-Tiny");
  EXPECT_EQ(f->metadata().get_uint("qwen3.block_count").value(), 2u);
  expect_tensors(*f, m);
  EXPECT_EQ(f->find_tensor("output.weight"), nullptr);
  // File order: the order of the bytes in the shard.
  EXPECT_EQ(f->tensors().front().name, "token_embd.weight");
}

TEST(HfFolder, OpensQwen2Sharded) {
  test::TempDir dir;
  TinyModel m;
  m.arch = "qwen2";
  m.tie = false;
  const std::string path = dir.file("Qwen2-Tiny");
  std::filesystem::create_directories(path);
  test::write_bytes(path + "/config.json", m.config());
  // Layer 1 and the head in shard 2, the rest in shard 1.
  std::vector<HfTensor> one, two;
  std::string weight_map;
  for (HfTensor& t : m.tensors()) {
    const bool second = t.name.starts_with("model.layers.1.") || t.name == "lm_head.weight";
    const char* shard =
        second ? "model-00002-of-00002.safetensors" : "model-00001-of-00002.safetensors";
    weight_map += fmt::format("{}\"{}\": \"{}\"", weight_map.empty() ? "" : ",", t.name, shard);
    (second ? two : one).push_back(std::move(t));
  }
  write_safetensors(path + "/model-00001-of-00002.safetensors", one);
  write_safetensors(path + "/model-00002-of-00002.safetensors", two);
  test::write_bytes(path + "/model.safetensors.index.json",
                    R"({"metadata": {"total_size": 1}, "weight_map": {)" + weight_map + "}}");

  auto f = ModelFile::open(path);
  ASSERT_TRUE(f.ok()) << f.status().to_string();
  expect_tensors(*f, m);
  ASSERT_NE(f->find_tensor("output.weight"), nullptr);
  ASSERT_NE(f->find_tensor("blk.1.attn_q.bias"), nullptr);
  // Shard order: everything of shard 1 before shard 2.
  EXPECT_EQ(f->tensors().front().name, "token_embd.weight");
  EXPECT_TRUE(f->tensors().back().name.starts_with("blk.1.") ||
              f->tensors().back().name == "output.weight");
}

// A sharded folder where `edit` may change the tensors of the shards or the index's map.
Status open_sharded(const std::function<void(std::vector<HfTensor>& one, std::vector<HfTensor>& two,
                                             std::string& weight_map)>& edit,
                    std::string* path_out = nullptr) {
  test::TempDir dir;
  TinyModel m;
  m.n_layer = 1;
  const std::string path = dir.file("sharded");
  std::filesystem::create_directories(path);
  test::write_bytes(path + "/config.json", m.config());
  std::vector<HfTensor> one, two;
  std::string weight_map;
  for (HfTensor& t : m.tensors()) {
    const bool second = t.name.starts_with("model.layers.0.mlp");
    weight_map += fmt::format("{}\"{}\": \"{}\"", weight_map.empty() ? "" : ",", t.name,
                              second ? "b.safetensors" : "a.safetensors");
    (second ? two : one).push_back(std::move(t));
  }
  edit(one, two, weight_map);
  write_safetensors(path + "/a.safetensors", one);
  write_safetensors(path + "/b.safetensors", two);
  test::write_bytes(path + "/model.safetensors.index.json",
                    R"({"weight_map": {)" + weight_map + "}}");
  if (path_out != nullptr) *path_out = path;
  return ModelFile::open(path).status();
}

TEST(HfFolder, ShardedConsistentIsFine) {
  Status s = open_sharded([](auto&, auto&, auto&) {});
  EXPECT_TRUE(s.ok()) << s.to_string();
}

TEST(HfFolder, ShardedTensorMissingFromItsShard) {
  Status s = open_sharded([](auto&, std::vector<HfTensor>& two, auto&) { two.pop_back(); });
  EXPECT_EQ(s.code(), StatusCode::kCorrupt);
  EXPECT_THAT(s.message(), HasSubstr("model.safetensors.index.json: weight_map"));
  EXPECT_THAT(s.message(), HasSubstr("not found in b.safetensors"));
}

TEST(HfFolder, ShardedTensorNotListed) {
  Status s = open_sharded([](auto&, auto&, std::string& map) {
    map.replace(map.find("\"model.norm.weight\""), 19, "\"model.norm.weight.renamed\"");
  });
  EXPECT_EQ(s.code(), StatusCode::kCorrupt);
  EXPECT_THAT(s.message(), HasSubstr("a.safetensors: tensor 'model.norm.weight'"));
  EXPECT_THAT(s.message(), HasSubstr("not listed"));
}

TEST(HfFolder, ShardedTensorInTheWrongShard) {
  Status s = open_sharded([](std::vector<HfTensor>& one, std::vector<HfTensor>& two, auto&) {
    two.push_back(std::move(one.back()));
    one.pop_back();
  });
  EXPECT_EQ(s.code(), StatusCode::kCorrupt);
  EXPECT_THAT(s.message(), HasSubstr("b.safetensors"));
  EXPECT_THAT(s.message(), HasSubstr("lists it in a.safetensors"));
}

TEST(HfFolder, ShardedMissingShardFile) {
  Status s = open_sharded(
      [](auto&, auto&, std::string& map) { map += R"(, "extra.weight": "c.safetensors")"; });
  EXPECT_EQ(s.code(), StatusCode::kNotFound);
  EXPECT_THAT(s.message(), HasSubstr("c.safetensors"));
}

TEST(HfFolder, UnknownTensorIsUnsupported) {
  test::TempDir dir;
  TinyModel m;
  const std::string path = write_folder(dir, m);
  auto tensors = m.tensors();
  tensors.push_back(
      {"model.layers.0.mlp.experts.0.up_proj.weight", DType::kF32, {1}, std::vector<uint8_t>(4)});
  write_safetensors(path + "/model.safetensors", tensors);
  Status s = ModelFile::open(path).status();
  EXPECT_EQ(s.code(), StatusCode::kUnsupported);
  EXPECT_THAT(s.message(), HasSubstr(path + "/model.safetensors"));
  EXPECT_THAT(s.message(), HasSubstr("model.layers.0.mlp.experts.0.up_proj.weight"));
}

TEST(HfFolder, RotaryBuffersAreLeftOut) {
  test::TempDir dir;
  TinyModel m;
  const std::string path = write_folder(dir, m);
  auto tensors = m.tensors();
  tensors.push_back(
      {"model.layers.0.self_attn.rotary_emb.inv_freq", DType::kF32, {2}, std::vector<uint8_t>(8)});
  write_safetensors(path + "/model.safetensors", tensors);
  auto f = ModelFile::open(path);
  ASSERT_TRUE(f.ok()) << f.status().to_string();
  expect_tensors(*f, m);
}

TEST(HfFolder, LayerPastBlockCount) {
  test::TempDir dir;
  TinyModel m;
  const std::string path = write_folder(dir, m);
  TinyModel fewer = m;
  fewer.n_layer = 1;
  test::write_bytes(path + "/config.json", fewer.config());
  Status s = ModelFile::open(path).status();
  EXPECT_EQ(s.code(), StatusCode::kCorrupt);
  EXPECT_THAT(s.message(), HasSubstr("layer 1 but config.json has num_hidden_layers = 1"));
}

TEST(HfFolder, UnsupportedArchitectureNamesModelType) {
  test::TempDir dir;
  TinyModel m;
  const std::string path = write_folder(dir, m);
  std::string config = m.config();
  config.replace(config.find("\"qwen3\""), 7, "\"mistral\"");
  test::write_bytes(path + "/config.json", config);
  Status s = ModelFile::open(path).status();
  EXPECT_EQ(s.code(), StatusCode::kUnsupported);
  EXPECT_THAT(s.message(), HasSubstr("\"mistral\""));
  EXPECT_THAT(s.message(), HasSubstr(path + "/config.json"));
}

TEST(HfFolder, MissingPieces) {
  test::TempDir dir;
  std::filesystem::create_directories(dir.file("empty"));
  Status s = ModelFile::open(dir.file("empty")).status();
  EXPECT_EQ(s.code(), StatusCode::kNotFound);
  EXPECT_THAT(s.message(), HasSubstr("config.json"));

  TinyModel m;
  const std::string path = write_folder(dir, m);
  std::filesystem::remove(path + "/model.safetensors");
  test::write_bytes(path + "/pytorch_model.bin", "pickle");
  s = ModelFile::open(path).status();
  EXPECT_EQ(s.code(), StatusCode::kNotFound);
  EXPECT_THAT(s.message(), HasSubstr("model.safetensors"));
}

TEST(HfFolder, CorruptShardNamesTheFile) {
  test::TempDir dir;
  TinyModel m;
  const std::string path = write_folder(dir, m);
  std::string bytes = test::read_bytes(path + "/model.safetensors");
  bytes.pop_back();
  test::write_bytes(path + "/model.safetensors", bytes);
  Status s = ModelFile::open(path).status();
  EXPECT_EQ(s.code(), StatusCode::kCorrupt);
  EXPECT_THAT(s.message(), HasSubstr(path + "/model.safetensors"));
}

TEST(HfFolder, WithoutTokenizerHasNoTokenizerKeys) {
  test::TempDir dir;
  TinyModel m;
  const std::string path = write_folder(dir, m);
  std::filesystem::remove(path + "/tokenizer.json");
  auto f = ModelFile::open(path);
  ASSERT_TRUE(f.ok()) << f.status().to_string();
  EXPECT_FALSE(f->metadata().contains("tokenizer.ggml.tokens"));
}

// --- tokenizer metadata ---

class HfTokenizer : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!QWL_HAVE_HF_TOKENIZER) GTEST_SKIP() << "format/hf_tokenizer.h is not built in yet";
  }
};

TEST_F(HfTokenizer, FolderCarriesTokenizerKeys) {
  test::TempDir dir;
  TinyModel m;
  auto f = ModelFile::open(write_folder(dir, m));
  ASSERT_TRUE(f.ok()) << f.status().to_string();
  const Metadata& md = f->metadata();
  EXPECT_EQ(md.get_string("tokenizer.ggml.model").value(), "gpt2");
  EXPECT_EQ(md.get_string("tokenizer.ggml.pre").value(), "qwen2");
  // Padded to config.json's vocab_size of 8.
  const auto* tokens = md.get_string_array("tokenizer.ggml.tokens").value();
  ASSERT_EQ(tokens->size(), 8u);
  EXPECT_EQ((*tokens)[2], "ab");
  EXPECT_EQ((*tokens)[5], "<|im_end|>");
  // tokenizer_config.json has "bos_token": null, so config.json's bos_token_id stands in.
  EXPECT_EQ(md.get_uint("tokenizer.ggml.bos_token_id").value(), 4u);
  EXPECT_EQ(md.find("tokenizer.ggml.bos_token_id")->type(), ValueType::kUint32);
  EXPECT_EQ(md.get_uint("tokenizer.ggml.eos_token_id").value(), 5u);
  EXPECT_EQ(md.get_string("tokenizer.chat_template").value(),
            "{% for m in messages %}{{ m.content }}{% endfor %}");
  // Architecture keys come first, tokenizer keys after.
  EXPECT_EQ(md.entries()[0].first, "general.architecture");
}

TEST_F(HfTokenizer, ChatTemplateFileWins) {
  test::TempDir dir;
  TinyModel m;
  const std::string path = write_folder(dir, m);
  test::write_bytes(path + "/chat_template.jinja", "{{ messages[0].content }}\n");
  auto f = ModelFile::open(path);
  ASSERT_TRUE(f.ok()) << f.status().to_string();
  EXPECT_EQ(f->metadata().get_string("tokenizer.chat_template").value(),
            "{{ messages[0].content }}\n");
}

TEST_F(HfTokenizer, BadTokenizerNamesTheFolder) {
  test::TempDir dir;
  TinyModel m;
  const std::string path = write_folder(dir, m);
  test::write_bytes(path + "/tokenizer.json", R"({"model": {"type": "Unigram"}})");
  Status s = ModelFile::open(path).status();
  EXPECT_FALSE(s.ok());
  EXPECT_THAT(s.message(), HasSubstr(path));
  EXPECT_THAT(s.message(), HasSubstr("tokenizer.json"));
}

TEST_F(HfTokenizer, LoadFromFolderWithoutWeights) {
  test::TempDir dir;
  TinyModel m;
  const std::string path = write_folder(dir, m);
  std::filesystem::remove(path + "/model.safetensors");
  auto md = load_tokenizer_metadata(path);
  ASSERT_TRUE(md.ok()) << md.status().to_string();
  EXPECT_EQ(md->get_string_array("tokenizer.ggml.tokens").value()->size(), 8u);
  EXPECT_EQ(md->get_uint("tokenizer.ggml.bos_token_id").value(), 4u);
  EXPECT_FALSE(md->contains("general.architecture"));
}

TEST_F(HfTokenizer, LoadFromBareTokenizerJson) {
  test::TempDir dir;
  test::write_bytes(dir.file("tokenizer.json"), test::tiny_tokenizer_json());
  test::write_bytes(dir.file("tokenizer_config.json"), kTokenizerConfig);
  auto md = load_tokenizer_metadata(dir.file("tokenizer.json"));
  ASSERT_TRUE(md.ok()) << md.status().to_string();
  // No config.json: exactly the tokenizer's own 6 tokens, no bos.
  EXPECT_EQ(md->get_string_array("tokenizer.ggml.tokens").value()->size(), 6u);
  EXPECT_FALSE(md->contains("tokenizer.ggml.bos_token_id"));
  EXPECT_TRUE(md->contains("tokenizer.chat_template"));
}

TEST(HfTokenizerLoad, MissingTokenizer) {
  test::TempDir dir;
  Status s = load_tokenizer_metadata(dir.path()).status();
  EXPECT_EQ(s.code(), StatusCode::kNotFound);
  EXPECT_THAT(s.message(), HasSubstr("tokenizer.json"));
  s = load_tokenizer_metadata(dir.file("nothing.json")).status();
  EXPECT_EQ(s.code(), StatusCode::kNotFound);
  EXPECT_THAT(s.message(), HasSubstr("nothing.json"));
}

}  // namespace
}  // namespace qwl
