#include "model/convert.h"

#include <gtest/gtest.h>

#include "model/model.h"
#include "model/test_model.h"

namespace qwl {
namespace {

TensorView matrix(int64_t n_in, int64_t n_out) {
  TensorView v;
  v.type = DType::kF32;
  v.n_dims = 2;
  v.ne[0] = n_in;
  v.ne[1] = n_out;
  return v;
}

TensorView vec(int64_t n) {
  TensorView v;
  v.ne[0] = n;
  return v;
}

TEST(ConvertTypes, Qwen25HalfBillionQ4KM) {
  // Qwen2.5-0.5B: hidden 896 (not a multiple of 256), ffn 4864 = 19 x 256, 24 layers, tied.
  const auto T = [](const char* name, TensorView v, int layer) {
    return convert_tensor_type(FileType::kQ4_K_M, name, v, layer, 24, /*tied=*/true);
  };
  EXPECT_EQ(T("token_embd.weight", matrix(896, 151936), -1), DType::kQ8_0);  // Q6_K fallback
  EXPECT_EQ(T("blk.5.attn_q.weight", matrix(896, 896), 5), DType::kQ5_0);    // Q4_K fallback
  EXPECT_EQ(T("blk.0.attn_v.weight", matrix(896, 128), 0), DType::kQ8_0);    // more bits + fallback
  EXPECT_EQ(T("blk.0.ffn_down.weight", matrix(4864, 896), 0), DType::kQ6_K);    // first eighth
  EXPECT_EQ(T("blk.4.ffn_down.weight", matrix(4864, 896), 4), DType::kQ4_K);    // (4-3)%3 != 2
  EXPECT_EQ(T("blk.5.ffn_down.weight", matrix(4864, 896), 5), DType::kQ6_K);    // (5-3)%3 == 2
  EXPECT_EQ(T("blk.21.ffn_down.weight", matrix(4864, 896), 21), DType::kQ6_K);  // last eighth
  EXPECT_EQ(T("blk.3.attn_norm.weight", vec(896), 3), DType::kF32);
}

TEST(ConvertTypes, Qwen3SmallQ4KMAndQ4_0) {
  // Qwen3-0.6B: hidden 1024 = 4 x 256, 28 layers, tied.
  EXPECT_EQ(convert_tensor_type(FileType::kQ4_K_M, "token_embd.weight", matrix(1024, 151936), -1,
                                28, true),
            DType::kQ6_K);
  EXPECT_EQ(convert_tensor_type(FileType::kQ4_K_M, "blk.10.attn_q.weight", matrix(1024, 2048), 10,
                                28, true),
            DType::kQ4_K);
  EXPECT_EQ(
      convert_tensor_type(FileType::kQ4_0, "token_embd.weight", matrix(1024, 151936), -1, 28, true),
      DType::kQ6_K);
  EXPECT_EQ(convert_tensor_type(FileType::kQ4_0, "token_embd.weight", matrix(1024, 151936), -1, 28,
                                false),
            DType::kQ4_0);
  EXPECT_EQ(
      convert_tensor_type(FileType::kQ4_0, "output.weight", matrix(896, 151936), -1, 24, false),
      DType::kQ8_0);
  EXPECT_EQ(
      convert_tensor_type(FileType::kQ8_0, "output.weight", matrix(896, 151936), -1, 24, false),
      DType::kQ8_0);
  EXPECT_EQ(
      convert_tensor_type(FileType::kBF16, "blk.0.ffn_up.weight", matrix(896, 4864), 0, 24, false),
      DType::kBF16);
}

TEST(ConvertTypes, ParseNames) {
  EXPECT_EQ(parse_file_type("Q4_K_M").value(), FileType::kQ4_K_M);
  EXPECT_EQ(parse_file_type("q5_k").status().code(), StatusCode::kInvalidArgument);
}

TEST(Convert, WritesALoadableModelWithFileType) {
  const std::string src = std::string(::testing::TempDir()) + "/convert-src.gguf";
  ASSERT_TRUE(
      testing::write_test_model(src, {.n_embd = 256, .n_ff = 512, .n_head = 4, .head_dim = 64})
          .ok());
  auto file = ModelFile::open(src);
  ASSERT_TRUE(file.ok());
  ThreadPool pool(2);
  for (FileType t : {FileType::kF16, FileType::kQ8_0, FileType::kQ4_K_M}) {
    const std::string out = std::string(::testing::TempDir()) + "/convert-out.gguf";
    ASSERT_TRUE(convert_model(file.value(), out, t, pool).ok());
    auto model = Model::load(out);
    ASSERT_TRUE(model.ok()) << model.status().to_string();
    EXPECT_EQ(model.value()->file().metadata().get_uint("general.file_type").value(),
              llama_ftype(t));
    const TensorView& ffn = model.value()->weights().layers[0].w_up.view();
    EXPECT_EQ(ffn.type, t == FileType::kF16    ? DType::kF16
                        : t == FileType::kQ8_0 ? DType::kQ8_0
                                               : DType::kQ4_K);
  }
}

}  // namespace
}  // namespace qwl
