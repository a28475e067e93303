// GGUF writer tests: write -> read gives identical metadata (keys, order, exact types, values)
// and identical tensor bytes, aligned; bad input is refused; writes are atomic.
#include "format/gguf_writer.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>

#include "format/gguf_reader.h"
#include "format/model_file.h"
#include "format/test_util.h"

namespace qwl {
namespace {

using ::testing::HasSubstr;

// Metadata with every value type, arrays of each and an array of arrays.
Metadata every_type() {
  Metadata m;
  m.set("general.architecture", MetaValue::string("qwen3"));
  m.set("u8", MetaValue::integer(ValueType::kUint8, 255));
  m.set("i8", MetaValue::integer(ValueType::kInt8, -128));
  m.set("u16", MetaValue::integer(ValueType::kUint16, 65535));
  m.set("i16", MetaValue::integer(ValueType::kInt16, -32768));
  m.set("u32", MetaValue::uint32(4294967295u));
  m.set("i32", MetaValue::int32(-5));
  m.set("f32", MetaValue::float32(0.1f));
  m.set("bool", MetaValue::boolean(false));
  m.set("u64", MetaValue::uint64(UINT64_MAX));
  m.set("i64", MetaValue::integer(ValueType::kInt64, INT64_MIN));
  m.set("f64", MetaValue::floating(ValueType::kFloat64, 1e-300));
  m.set("strings", MetaValue::string_array({"<|im_start|>", "", "中文"}));
  m.set("ints", MetaValue::integer_array(ValueType::kInt32, {1, -2, 3}));
  m.set("u8s", MetaValue::integer_array(ValueType::kUint8, {0, 255}));
  m.set("bools", MetaValue::integer_array(ValueType::kBool, {1, 0}));
  m.set("f32s", MetaValue::float_array(ValueType::kFloat32, {0.5, -1.25}));
  m.set("f64s", MetaValue::float_array(ValueType::kFloat64, {1e100}));
  m.set("empty", MetaValue::string_array({}));
  m.set("nested",
        MetaValue::nested_array(
            {MetaValue::integer_array(ValueType::kInt16, {7}), MetaValue::string_array({"a", "b"}),
             MetaValue::nested_array({MetaValue::float_array(ValueType::kFloat32, {2.0})})}));
  return m;
}

TEST(GgufWriter, RoundTripsMetadataAndTensors) {
  test::TempDir dir;
  GgufWriter w;
  const Metadata source = every_type();
  for (const auto& [k, v] : source.entries()) w.metadata().set(k, v);

  const std::vector<uint8_t> f32 = test::pattern_bytes(4 * 3 * 4, 1);
  const std::vector<uint8_t> f16 = test::pattern_bytes(2 * 10, 2);
  const std::vector<uint8_t> q8 = test::pattern_bytes(34 * 2 * 2, 3);
  const std::vector<uint8_t> q4k = test::pattern_bytes(144, 4);
  ASSERT_TRUE(w.add_tensor("token_embd.weight", DType::kF32, {4, 3}, f32).ok());
  ASSERT_TRUE(w.add_tensor("odd", DType::kF16, {10}, f16).ok());
  ASSERT_TRUE(
      w.add_tensor("blk.0.attn_q.weight", DType::kQ8_0, {64, 2}, [&](std::span<uint8_t> out) {
         EXPECT_EQ(out.size(), q8.size());
         std::memcpy(out.data(), q8.data(), out.size());
         return Status::Ok();
       }).ok());
  TensorView view;
  view.type = DType::kQ4_K;
  view.n_dims = 1;
  view.ne[0] = 256;
  view.data = q4k.data();
  ASSERT_TRUE(w.add_tensor("q4k", view).ok());
  ASSERT_TRUE(w.write(dir.file("m.gguf")).ok());
  EXPECT_FALSE(std::filesystem::exists(dir.file("m.gguf.tmp")));

  auto m = ModelFile::open(dir.file("m.gguf"));
  ASSERT_TRUE(m.ok()) << m.status().to_string();
  EXPECT_EQ(m->gguf_version(), 3u);
  EXPECT_EQ(test::metadata_diff(m->metadata(), every_type()), "");
  ASSERT_EQ(m->tensors().size(), 4u);

  struct Expected {
    const char* name;
    DType type;
    std::vector<int64_t> ne;
    const std::vector<uint8_t>* bytes;
  };
  const Expected expected[] = {{"token_embd.weight", DType::kF32, {4, 3}, &f32},
                               {"odd", DType::kF16, {10}, &f16},
                               {"blk.0.attn_q.weight", DType::kQ8_0, {64, 2}, &q8},
                               {"q4k", DType::kQ4_K, {256}, &q4k}};
  const auto* base = static_cast<const uint8_t*>(m->tensors()[0].view.data);
  for (size_t i = 0; i < 4; ++i) {
    const TensorEntry& t = m->tensors()[i];
    SCOPED_TRACE(t.name);
    EXPECT_EQ(t.name, expected[i].name);
    EXPECT_EQ(t.view.type, expected[i].type);
    EXPECT_EQ(t.view.n_dims, static_cast<int>(expected[i].ne.size()));
    for (size_t d = 0; d < expected[i].ne.size(); ++d) EXPECT_EQ(t.view.ne[d], expected[i].ne[d]);
    ASSERT_EQ(t.view.n_bytes(), expected[i].bytes->size());
    EXPECT_EQ(std::memcmp(t.view.data, expected[i].bytes->data(), t.view.n_bytes()), 0);
    const auto* p = static_cast<const uint8_t*>(t.view.data);
    EXPECT_EQ((p - base) % 32, 0);
  }
}

TEST(GgufWriter, HonoursAlignment) {
  test::TempDir dir;
  GgufWriter w;
  w.set_alignment(128);
  ASSERT_TRUE(w.add_tensor("a", DType::kF32, {3}, test::pattern_bytes(12, 5)).ok());
  ASSERT_TRUE(w.add_tensor("b", DType::kF32, {5}, test::pattern_bytes(20, 6)).ok());
  ASSERT_TRUE(w.write(dir.file("a.gguf")).ok());
  const std::string bytes = test::read_bytes(dir.file("a.gguf"));
  auto h = parse_gguf(
      std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()),
      "a.gguf");
  ASSERT_TRUE(h.ok()) << h.status().to_string();
  EXPECT_EQ(h->alignment, 128u);
  EXPECT_EQ(h->data_offset % 128, 0u);
  EXPECT_EQ(h->tensors[1].offset, 128u);
  EXPECT_EQ(h->metadata.find("general.alignment")->type(), ValueType::kUint32);
  // Every tensor is padded, the last one included.
  EXPECT_EQ(bytes.size(), h->data_offset + 256);
}

TEST(GgufWriter, EmptyModelRoundTrips) {
  test::TempDir dir;
  GgufWriter w;
  w.metadata().set("general.name", MetaValue::string("empty"));
  ASSERT_TRUE(w.write(dir.file("e.gguf")).ok());
  auto m = ModelFile::open(dir.file("e.gguf"));
  ASSERT_TRUE(m.ok()) << m.status().to_string();
  EXPECT_TRUE(m->tensors().empty());
  EXPECT_EQ(m->metadata().get_string("general.name").value(), "empty");
}

TEST(GgufWriter, CopiesAModelFileWithoutChange) {
  test::TempDir dir;
  GgufWriter w;
  const Metadata source = every_type();
  for (const auto& [k, v] : source.entries()) w.metadata().set(k, v);
  ASSERT_TRUE(w.add_tensor("x", DType::kBF16, {8, 2, 3}, test::pattern_bytes(96, 7)).ok());
  ASSERT_TRUE(w.write(dir.file("one.gguf")).ok());

  auto one = ModelFile::open(dir.file("one.gguf"));
  ASSERT_TRUE(one.ok());
  GgufWriter copy;
  for (const auto& [k, v] : one->metadata().entries()) copy.metadata().set(k, v);
  for (const TensorEntry& t : one->tensors()) ASSERT_TRUE(copy.add_tensor(t.name, t.view).ok());
  ASSERT_TRUE(copy.write(dir.file("two.gguf")).ok());
  EXPECT_EQ(test::read_bytes(dir.file("one.gguf")), test::read_bytes(dir.file("two.gguf")));
}

TEST(GgufWriter, StreamsLargeTensorsFromFillCallbacks) {
  test::TempDir dir;
  GgufWriter w;
  constexpr int64_t kRows = 1024, kCols = 4096;  // 16 MiB of f32 per tensor
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(w.add_tensor(fmt::format("blk.{}.ffn_up.weight", i), DType::kF32, {kCols, kRows},
                             [i](std::span<uint8_t> out) {
                               for (size_t k = 0; k < out.size(); k += 4096)
                                 out[k] = static_cast<uint8_t>(i + 1);
                               return Status::Ok();
                             })
                    .ok());
  }
  ASSERT_TRUE(w.write(dir.file("big.gguf")).ok());
  auto m = ModelFile::open(dir.file("big.gguf"));
  ASSERT_TRUE(m.ok()) << m.status().to_string();
  for (int i = 0; i < 3; ++i) {
    const auto* p = static_cast<const uint8_t*>(m->tensors()[i].view.data);
    EXPECT_EQ(p[0], i + 1);
    EXPECT_EQ(p[4096], i + 1);
    EXPECT_EQ(p[1], 0);  // zeroed before the callback
  }
  EXPECT_EQ(m->tensor_bytes(), 3u * kRows * kCols * 4);
}

TEST(GgufWriter, RejectsBadTensors) {
  GgufWriter w;
  ASSERT_TRUE(w.add_tensor("a", DType::kF32, {4}, std::vector<uint8_t>(16)).ok());
  auto code = [](Status s) { return s.code(); };
  EXPECT_EQ(code(w.add_tensor("a", DType::kF32, {4}, std::vector<uint8_t>(16))),
            StatusCode::kInvalidArgument);  // duplicate
  EXPECT_EQ(code(w.add_tensor("", DType::kF32, {4}, std::vector<uint8_t>(16))),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(code(w.add_tensor(std::string(64, 'n'), DType::kF32, {4}, std::vector<uint8_t>(16))),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(code(w.add_tensor("b", DType::kF32, {}, std::vector<uint8_t>(4))),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(code(w.add_tensor("b", DType::kF32, {1, 1, 1, 1, 1}, std::vector<uint8_t>(4))),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(code(w.add_tensor("b", DType::kF32, {4, 0}, std::vector<uint8_t>(0))),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(code(w.add_tensor("b", DType::kQ8_0, {16}, std::vector<uint8_t>(17))),
            StatusCode::kInvalidArgument);  // not whole blocks
  Status s = w.add_tensor("b", DType::kF32, {4}, std::vector<uint8_t>(15));
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("15 bytes given, its shape needs 16"));
  EXPECT_EQ(code(w.add_tensor("b", DType::kF32, {4}, GgufWriter::FillFn())),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(w.tensor_count(), 1u);
}

TEST(GgufWriter, RejectsValuesOutsideTheirType) {
  test::TempDir dir;
  GgufWriter w;
  w.metadata().set("small", MetaValue::integer(ValueType::kUint8, 300));
  Status s = w.write(dir.file("v.gguf"));
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("v.gguf"));
  EXPECT_THAT(s.message(), HasSubstr("metadata key 'small'"));
  EXPECT_FALSE(std::filesystem::exists(dir.file("v.gguf")));

  GgufWriter w2;
  w2.metadata().set("ints", MetaValue::integer_array(ValueType::kInt8, {1, -129}));
  EXPECT_EQ(w2.write(dir.file("v.gguf")).code(), StatusCode::kInvalidArgument);

  GgufWriter w3;
  w3.set_alignment(24);
  EXPECT_EQ(w3.write(dir.file("v.gguf")).code(), StatusCode::kInvalidArgument);
}

TEST(GgufWriter, FailedWriteKeepsTheOldFile) {
  test::TempDir dir;
  test::write_bytes(dir.file("keep.gguf"), "old contents");
  GgufWriter w;
  ASSERT_TRUE(w.add_tensor("t", DType::kF32, {4}, [](std::span<uint8_t>) {
                 return IoErrorError("disk on fire");
               }).ok());
  Status s = w.write(dir.file("keep.gguf"));
  EXPECT_EQ(s.code(), StatusCode::kIoError);
  EXPECT_THAT(s.message(), HasSubstr("tensor 't'"));
  EXPECT_THAT(s.message(), HasSubstr("disk on fire"));
  EXPECT_EQ(test::read_bytes(dir.file("keep.gguf")), "old contents");
  EXPECT_FALSE(std::filesystem::exists(dir.file("keep.gguf.tmp")));
}

TEST(GgufWriter, UnwritablePathIsIoError) {
  test::TempDir dir;
  GgufWriter w;
  Status s = w.write(dir.file("no/such/dir/m.gguf"));
  EXPECT_EQ(s.code(), StatusCode::kIoError);
  EXPECT_THAT(s.message(), HasSubstr("no/such/dir/m.gguf"));
}

}  // namespace
}  // namespace qwl
