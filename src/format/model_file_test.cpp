// ModelFile tests for GGUF files and path handling (HF folders: hf_folder_test.cpp): views
// point into the mapping without copies and survive moves; errors name the path.
#include "format/model_file.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstring>

#include "format/gguf_writer.h"
#include "format/test_util.h"

namespace qwl {
namespace {

using ::testing::HasSubstr;

std::string write_small_gguf(const test::TempDir& dir, const std::string& name = "m.gguf") {
  GgufWriter w;
  w.metadata().set("general.architecture", MetaValue::string("qwen2"));
  w.metadata().set("tokenizer.ggml.tokens", MetaValue::string_array({"a", "b"}));
  EXPECT_TRUE(w.add_tensor("token_embd.weight", DType::kF32, {4, 2},
                           test::float_bytes({1, 2, 3, 4, 5, 6, 7, 8}))
                  .ok());
  EXPECT_TRUE(w.add_tensor("output_norm.weight", DType::kF16, {4}, test::pattern_bytes(8, 3)).ok());
  const std::string path = dir.file(name);
  EXPECT_TRUE(w.write(path).ok());
  return path;
}

TEST(ModelFile, OpensGguf) {
  test::TempDir dir;
  const std::string path = write_small_gguf(dir);
  auto f = ModelFile::open(path);
  ASSERT_TRUE(f.ok()) << f.status().to_string();
  EXPECT_TRUE(f->is_gguf());
  EXPECT_EQ(f->gguf_version(), 3u);
  EXPECT_EQ(f->path(), path);
  EXPECT_EQ(f->metadata().get_string("general.architecture").value(), "qwen2");
  ASSERT_EQ(f->tensors().size(), 2u);
  EXPECT_EQ(f->tensors()[0].name, "token_embd.weight");
  EXPECT_EQ(f->tensors()[1].name, "output_norm.weight");
  EXPECT_EQ(f->tensor_bytes(), 32u + 8u);

  const TensorEntry* e = f->find_tensor("token_embd.weight");
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e, &f->tensors()[0]);
  EXPECT_EQ(e->view.n_rows(), 2);
  float row1[4];
  std::memcpy(row1, e->view.row(1), sizeof row1);
  EXPECT_EQ(row1[0], 5.0f);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(e->view.data) % 32, 0u);  // mmap base + aligned offsets
  EXPECT_EQ(f->find_tensor("nope"), nullptr);
  EXPECT_EQ(f->find_tensor(std::string_view("output_norm.weight_x").substr(0, 18)),
            &f->tensors()[1]);
}

TEST(ModelFile, MoveKeepsViews) {
  test::TempDir dir;
  auto f = ModelFile::open(write_small_gguf(dir));
  ASSERT_TRUE(f.ok());
  const void* data = f->tensors()[0].view.data;
  ModelFile moved = std::move(f.value());
  ModelFile again;
  again = std::move(moved);
  ASSERT_NE(again.find_tensor("token_embd.weight"), nullptr);
  EXPECT_EQ(again.find_tensor("token_embd.weight")->view.data, data);
  float x;
  std::memcpy(&x, data, 4);
  EXPECT_EQ(x, 1.0f);
}

TEST(ModelFile, ErrorsNameThePath) {
  test::TempDir dir;
  Status s = ModelFile::open(dir.file("missing.gguf")).status();
  EXPECT_EQ(s.code(), StatusCode::kNotFound);
  EXPECT_THAT(s.message(), HasSubstr(dir.file("missing.gguf")));

  test::write_bytes(dir.file("junk.gguf"), "definitely not gguf");
  s = ModelFile::open(dir.file("junk.gguf")).status();
  EXPECT_EQ(s.code(), StatusCode::kCorrupt);
  EXPECT_THAT(s.message(), HasSubstr(dir.file("junk.gguf")));
  EXPECT_THAT(s.message(), HasSubstr("bad magic"));

  std::string cut = test::read_bytes(write_small_gguf(dir, "cut.gguf"));
  cut.resize(cut.size() - 30);  // 64 bytes of data (32 + 8, padded) down to 34
  test::write_bytes(dir.file("cut.gguf"), cut);
  s = ModelFile::open(dir.file("cut.gguf")).status();
  EXPECT_EQ(s.code(), StatusCode::kCorrupt);
  EXPECT_THAT(s.message(), HasSubstr(dir.file("cut.gguf") + ": tensor 'output_norm.weight'"));

  test::write_bytes(dir.file("w.safetensors"), "x");
  s = ModelFile::open(dir.file("w.safetensors")).status();
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("folder"));
}

TEST(ModelFile, TokenizerMetadataFromGgufReadsOnlyTheHeader) {
  test::TempDir dir;
  // Cut the file inside the tensor data: the weights are broken but the tokenizer is not.
  std::string bytes = test::read_bytes(write_small_gguf(dir));
  bytes.resize(bytes.size() - 40);
  test::write_bytes(dir.file("m.gguf"), bytes);
  ASSERT_FALSE(ModelFile::open(dir.file("m.gguf")).ok());
  auto md = load_tokenizer_metadata(dir.file("m.gguf"));
  ASSERT_TRUE(md.ok()) << md.status().to_string();
  EXPECT_EQ(md->get_string_array("tokenizer.ggml.tokens").value()->size(), 2u);
  EXPECT_EQ(md->get_string("general.architecture").value(), "qwen2");
}

}  // namespace
}  // namespace qwl
