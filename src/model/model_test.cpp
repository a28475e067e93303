#include "model/model.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "model/convert.h"
#include "model/test_model.h"
#include "ops/isa.h"

namespace qwl {
namespace {

using testing::TestModelSpec;
using testing::write_test_model;

std::string temp_model(const std::string& name, const TestModelSpec& spec) {
  const std::string path = std::string(::testing::TempDir()) + "/" + name + ".gguf";
  Status s = write_test_model(path, spec);
  EXPECT_TRUE(s.ok()) << s.to_string();
  return path;
}

// A KV cache without the runtime layer: one sequence, blocks in order.
struct PlainKv {
  PlainKv(const ModelConfig& c, int block_size, int n_blocks, DType type) {
    view.type = type;
    view.block_size = block_size;
    view.n_blocks = n_blocks;
    view.kv_width = c.kv_width();
    k.resize(view.layer_bytes() * c.n_layer);
    v.resize(view.layer_bytes() * c.n_layer);
    view.k = k.data();
    view.v = v.data();
    // Blocks in reverse order, so a bug that ignores the table shows.
    for (int b = n_blocks - 1; b >= 0; --b) table.push_back(b);
  }
  KvView view;
  std::vector<uint8_t> k, v;
  std::vector<int32_t> table;
};

std::vector<float> run_all(const Model& m, const std::vector<int32_t>& tokens, int block_size,
                           DType kv_type, int threads) {
  PlainKv kv(m.config(), block_size, 64 / block_size + 1, kv_type);
  std::vector<int32_t> pos(tokens.size());
  for (size_t i = 0; i < pos.size(); ++i) pos[i] = static_cast<int32_t>(i);
  ForwardState st;
  ThreadPool pool(threads);
  Status s =
      m.forward({.tokens = tokens, .positions = pos, .block_table = kv.table, .all_logits = true},
                kv.view, st, pool);
  EXPECT_TRUE(s.ok()) << s.to_string();
  return {st.logits().begin(), st.logits().end()};
}

class ModelArchTest : public ::testing::TestWithParam<Arch> {
 protected:
  // ctest runs the Qwen2 and Qwen3 instances in parallel: each needs its own files.
  static std::string arch_tag(const std::string& name) {
    return name + (GetParam() == Arch::kQwen2 ? "-qwen2" : "-qwen3");
  }
};

TEST_P(ModelArchTest, IncrementalDecodingMatchesOneBatch) {
  TestModelSpec spec{.arch = GetParam(), .n_head = 4, .n_head_kv = 2, .head_dim = 32};
  auto model = Model::load(temp_model(arch_tag("incr"), spec));
  ASSERT_TRUE(model.ok()) << model.status().to_string();
  const Model& m = *model.value();
  const std::vector<int32_t> tokens = {72, 101, 108, 108, 111, 32, 258, 257, 1, 200, 9, 10};
  const std::vector<float> full = run_all(m, tokens, 4, DType::kF32, 1);
  const int V = m.config().n_vocab;

  PlainKv kv(m.config(), 4, 8, DType::kF32);
  ForwardState st;
  ThreadPool pool(2);
  for (size_t i = 0; i < tokens.size(); ++i) {
    const int32_t tok[1] = {tokens[i]};
    const int32_t pos[1] = {static_cast<int32_t>(i)};
    ASSERT_TRUE(
        m.forward({.tokens = tok, .positions = pos, .block_table = kv.table}, kv.view, st, pool)
            .ok());
    ASSERT_EQ(st.logit_rows(), 1);
    for (int j = 0; j < V; ++j)
      ASSERT_NEAR(st.logits()[j], full[i * V + j], 1e-4f * (1.0f + std::fabs(full[i * V + j])))
          << "position " << i << " token " << j;
  }
}

TEST_P(ModelArchTest, BlockSizeAndThreadsDoNotChangeLogits) {
  TestModelSpec spec{.arch = GetParam()};
  auto model = Model::load(temp_model(arch_tag("blocks"), spec));
  ASSERT_TRUE(model.ok()) << model.status().to_string();
  const std::vector<int32_t> tokens = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11};
  const std::vector<float> a = run_all(*model.value(), tokens, 1, DType::kF32, 1);
  const std::vector<float> b = run_all(*model.value(), tokens, 16, DType::kF32, 3);
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) ASSERT_FLOAT_EQ(a[i], b[i]) << i;
  // F16 KV stays close to F32 KV.
  const std::vector<float> h = run_all(*model.value(), tokens, 4, DType::kF16, 2);
  for (size_t i = 0; i < a.size(); ++i) ASSERT_NEAR(a[i], h[i], 1e-2f * (1.0f + std::fabs(a[i])));
}

TEST_P(ModelArchTest, UntiedOutputIsUsed) {
  auto tied = Model::load(temp_model(arch_tag("tied"), {.arch = GetParam(), .tied = true}));
  auto untied = Model::load(temp_model(arch_tag("untied"), {.arch = GetParam(), .tied = false}));
  ASSERT_TRUE(tied.ok() && untied.ok());
  EXPECT_TRUE(tied.value()->config().tied_embeddings);
  EXPECT_FALSE(untied.value()->config().tied_embeddings);
  EXPECT_NE(run_all(*tied.value(), {5, 6}, 4, DType::kF32, 1),
            run_all(*untied.value(), {5, 6}, 4, DType::kF32, 1));
}

// Continuous batching: the tokens of several sequences in one forward give each sequence the
// logits it gets alone, prefill and decode mixed in one batch.
TEST_P(ModelArchTest, SeveralSequencesInOneBatchMatchEachAlone) {
  TestModelSpec spec{.arch = GetParam(), .n_head = 4, .n_head_kv = 2, .head_dim = 32};
  auto model = Model::load(temp_model(arch_tag("multi"), spec));
  ASSERT_TRUE(model.ok()) << model.status().to_string();
  const Model& m = *model.value();
  const int64_t V = m.config().n_vocab;
  const std::vector<int32_t> a = {72, 101, 108, 108, 111, 32, 258};
  const std::vector<int32_t> b = {257, 1, 200};
  const std::vector<float> a_alone = run_all(m, a, 4, DType::kF32, 1);
  const std::vector<float> b_alone = run_all(m, b, 4, DType::kF32, 1);

  PlainKv kv(m.config(), 4, 8, DType::kF32);
  const std::vector<int32_t> table_a = {5, 1};
  const std::vector<int32_t> table_b = {2, 7};
  ForwardState st;
  ThreadPool pool(2);
  // Step 1: a's first 6 tokens and b's first 2, prefilled together.
  std::vector<int32_t> tokens = {a[0], a[1], a[2], a[3], a[4], a[5], b[0], b[1]};
  std::vector<int32_t> pos = {0, 1, 2, 3, 4, 5, 0, 1};
  std::vector<ForwardSeq> seqs = {{6, table_a}, {2, table_b}};
  ASSERT_TRUE(
      m.forward({.tokens = tokens, .positions = pos, .seqs = seqs}, kv.view, st, pool).ok());
  ASSERT_EQ(st.logit_rows(), 2);
  for (int64_t i = 0; i < V; ++i) {
    ASSERT_NEAR(st.logits()[i], a_alone[5 * V + i], 1e-5) << i;
    ASSERT_NEAR(st.logits()[V + i], b_alone[1 * V + i], 1e-5) << i;
  }
  // Step 2: one decode token each, in the other order.
  tokens = {b[2], a[6]};
  pos = {2, 6};
  seqs = {{1, table_b}, {1, table_a}};
  ASSERT_TRUE(
      m.forward({.tokens = tokens, .positions = pos, .seqs = seqs}, kv.view, st, pool).ok());
  for (int64_t i = 0; i < V; ++i) {
    ASSERT_NEAR(st.logits()[i], b_alone[2 * V + i], 1e-5) << i;
    ASSERT_NEAR(st.logits()[V + i], a_alone[6 * V + i], 1e-5) << i;
  }
  // Token counts that do not add up are refused.
  seqs = {{1, table_b}};
  EXPECT_FALSE(
      m.forward({.tokens = tokens, .positions = pos, .seqs = seqs}, kv.view, st, pool).ok());
  seqs = {{1, table_b}, {2, table_a}};
  EXPECT_FALSE(
      m.forward({.tokens = tokens, .positions = pos, .seqs = seqs}, kv.view, st, pool).ok());
}

// Repacked weights (the default) and the file's layout give the same logits.
TEST_P(ModelArchTest, RepackedWeightsMatchTheFileLayout) {
  TestModelSpec spec{
      .arch = GetParam(), .n_embd = 256, .n_ff = 512, .n_head = 4, .n_head_kv = 2, .head_dim = 64};
  const std::string source = temp_model(arch_tag("repack-f32"), spec);
  auto file = ModelFile::open(source);
  ASSERT_TRUE(file.ok());
  // Q4_K_M mixes Q4_K and Q6_K; Q8_0 and Q4_0 are the legacy layouts.
  for (FileType type : {FileType::kQ4_0, FileType::kQ8_0, FileType::kQ4_K_M}) {
    const std::string path = std::string(::testing::TempDir()) + "/" +
                             arch_tag("repack-" + std::to_string(static_cast<int>(type))) + ".gguf";
    ThreadPool convert_pool(1);
    ASSERT_TRUE(convert_model(file.value(), path, type, convert_pool).ok());
    auto packed = Model::load(path);
    auto plain = Model::load(path, {.pack = false});
    ASSERT_TRUE(packed.ok() && plain.ok());
    if (ops::active_isa() != ops::Isa::kScalar)
      EXPECT_TRUE(packed.value()->weights().layers[0].w_gate.packed());
    EXPECT_FALSE(plain.value()->weights().layers[0].w_gate.packed());
    const std::vector<int32_t> tokens = {72, 101, 108, 108, 111, 32, 258, 257};
    const std::vector<float> x = run_all(*packed.value(), tokens, 4, DType::kF16, 2);
    const std::vector<float> y = run_all(*plain.value(), tokens, 4, DType::kF16, 2);
    ASSERT_EQ(x.size(), y.size());
    for (size_t i = 0; i < x.size(); ++i) ASSERT_EQ(x[i], y[i]) << i;
  }
}

INSTANTIATE_TEST_SUITE_P(Qwen, ModelArchTest, ::testing::Values(Arch::kQwen2, Arch::kQwen3),
                         [](const auto& info) {
                           return info.param == Arch::kQwen2 ? "Qwen2" : "Qwen3";
                         });

TEST(ModelLoad, MissingTensorIsNamed) {
  auto m = Model::load(temp_model("missing", {.omit_tensor = "blk.1.ffn_up.weight"}));
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.status().code(), StatusCode::kNotFound);
  EXPECT_NE(m.status().message().find("blk.1.ffn_up.weight"), std::string::npos)
      << m.status().message();
  EXPECT_NE(m.status().message().find("missing.gguf"), std::string::npos);
}

TEST(ModelLoad, WrongShapeIsCorrupt) {
  auto m = Model::load(temp_model("shape", {.bad_shape_tensor = "blk.0.attn_k.weight"}));
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.status().code(), StatusCode::kCorrupt);
  EXPECT_NE(m.status().message().find("blk.0.attn_k.weight"), std::string::npos);
}

TEST(ModelLoad, UnsupportedArchitecture) {
  auto m = Model::load(temp_model("llama", {.arch_name_override = "llama"}));
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.status().code(), StatusCode::kUnsupported);
  EXPECT_NE(m.status().message().find("llama"), std::string::npos);
}

TEST(ModelLoad, RopeScalingIsRefusedNotIgnored) {
  Metadata meta;
  meta.set("general.architecture", MetaValue::string("qwen2"));
  for (const char* k : {"qwen2.block_count", "qwen2.embedding_length", "qwen2.feed_forward_length",
                        "qwen2.context_length"})
    meta.set(k, MetaValue::uint32(64));
  meta.set("qwen2.attention.head_count", MetaValue::uint32(8));
  meta.set("qwen2.attention.layer_norm_rms_epsilon", MetaValue::float32(1e-6f));
  ASSERT_TRUE(ModelConfig::from_metadata(meta, 100).ok());
  meta.set("qwen2.rope.scaling.type", MetaValue::string("yarn"));
  auto c = ModelConfig::from_metadata(meta, 100);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), StatusCode::kUnsupported);
  EXPECT_NE(c.status().message().find("yarn"), std::string::npos);
}

TEST(ModelLoad, MissingFile) {
  auto m = Model::load(std::string(::testing::TempDir()) + "/nope.gguf");
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.status().code(), StatusCode::kNotFound);
}

TEST(ModelForward, RejectsBadInput) {
  auto model = Model::load(temp_model("bad-input", {}));
  ASSERT_TRUE(model.ok());
  const Model& m = *model.value();
  PlainKv kv(m.config(), 4, 2, DType::kF32);
  ForwardState st;
  ThreadPool pool(1);
  const int32_t bad_tok[1] = {100000};
  const int32_t pos0[1] = {0};
  EXPECT_EQ(
      m.forward({.tokens = bad_tok, .positions = pos0, .block_table = kv.table}, kv.view, st, pool)
          .code(),
      StatusCode::kInvalidArgument);
  const int32_t tok[1] = {5};
  const int32_t far[1] = {8};  // 2 blocks of 4 hold positions 0..7
  EXPECT_EQ(m.forward({.tokens = tok, .positions = far, .block_table = kv.table}, kv.view, st, pool)
                .code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(m.forward({}, kv.view, st, pool).code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace qwl
