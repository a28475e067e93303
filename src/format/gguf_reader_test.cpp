// GGUF reader tests: every metadata value type, v2 and v3, alignment, and one hand-crafted file
// per validation rule, each checked for its error code and for a message naming the file and
// the field.
#include "format/gguf_reader.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <optional>

#include "format/test_util.h"

namespace qwl {
namespace {

using test::Bytes;
using ::testing::HasSubstr;

constexpr const char* kName = "crafted.gguf";

std::string kv(std::string_view key, ValueType type, const Bytes& payload) {
  return Bytes().str(key).u32(static_cast<uint32_t>(type)).raw(payload.str()).str();
}
std::string kv_string(std::string_view key, std::string_view value) {
  return kv(key, ValueType::kString, Bytes().str(value));
}
std::string kv_u32(std::string_view key, uint32_t value) {
  return kv(key, ValueType::kUint32, Bytes().u32(value));
}

struct TensorSpec {
  std::string name;
  std::vector<uint64_t> ne;
  uint32_t type = 0;  // f32
  uint64_t offset = 0;
  std::optional<uint32_t> n_dims;  // defaults to ne.size()
};

// A GGUF file built field by field, valid by default: one string key and one 4x2 f32 tensor.
struct Crafted {
  std::string magic = "GGUF";
  uint32_t version = 3;
  std::optional<uint64_t> n_tensors;  // override the counts
  std::optional<uint64_t> n_kv;
  std::vector<std::string> kvs = {kv_string("general.architecture", "qwen3")};
  std::vector<TensorSpec> tensors = {{"t", {4, 2}, 0, 0, std::nullopt}};
  uint32_t align = 32;
  std::string data = std::string(32, '\x11');
  bool pad = true;  // pad the tensor infos to the alignment

  std::string build() const {
    Bytes b;
    b.raw(magic).u32(version);
    b.u64(n_tensors.value_or(tensors.size())).u64(n_kv.value_or(kvs.size()));
    for (const std::string& e : kvs) b.raw(e);
    for (const TensorSpec& t : tensors) {
      b.str(t.name).u32(t.n_dims.value_or(static_cast<uint32_t>(t.ne.size())));
      for (uint64_t d : t.ne) b.u64(d);
      b.u32(t.type).u64(t.offset);
    }
    if (pad && !tensors.empty()) b.pad_to(align);
    b.raw(data);
    return b.str();
  }
};

Result<GgufHeader> parse(const std::string& bytes) {
  return parse_gguf(
      std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()),
      kName);
}
Status parse_status(const Crafted& c) {
  return parse(c.build()).status();
}

// Expects an error of `code` whose message names the file and contains every fragment.
void expect_error(const Status& s, StatusCode code, std::vector<std::string> fragments) {
  ASSERT_FALSE(s.ok()) << "expected an error";
  EXPECT_EQ(s.code(), code) << s.to_string();
  EXPECT_THAT(s.message(), HasSubstr(kName));
  for (const std::string& f : fragments) EXPECT_THAT(s.message(), HasSubstr(f));
}

TEST(GgufReader, ReadsDefaultCraftedFile) {
  auto h = parse(Crafted().build());
  ASSERT_TRUE(h.ok()) << h.status().to_string();
  EXPECT_EQ(h->version, 3u);
  EXPECT_EQ(h->alignment, 32u);
  EXPECT_EQ(h->metadata.get_string("general.architecture").value(), "qwen3");
  ASSERT_EQ(h->tensors.size(), 1u);
  const GgufTensorInfo& t = h->tensors[0];
  EXPECT_EQ(t.name, "t");
  EXPECT_EQ(t.type, DType::kF32);
  EXPECT_EQ(t.n_dims, 2);
  EXPECT_EQ(t.ne[0], 4);
  EXPECT_EQ(t.ne[1], 2);
  EXPECT_EQ(t.ne[2], 1);
  EXPECT_EQ(t.n_bytes, 32u);
  EXPECT_EQ(h->data_offset % 32, 0u);
}

TEST(GgufReader, ReadsVersion2) {
  Crafted c;
  c.version = 2;
  auto h = parse(c.build());
  ASSERT_TRUE(h.ok()) << h.status().to_string();
  EXPECT_EQ(h->version, 2u);
}

TEST(GgufReader, ReadsEveryValueType) {
  Crafted c;
  c.kvs = {
      kv("u8", ValueType::kUint8, Bytes().u8(250)),
      kv("i8", ValueType::kInt8, Bytes().put<int8_t>(-7)),
      kv("u16", ValueType::kUint16, Bytes().put<uint16_t>(65000)),
      kv("i16", ValueType::kInt16, Bytes().put<int16_t>(-30000)),
      kv("u32", ValueType::kUint32, Bytes().u32(4000000000u)),
      kv("i32", ValueType::kInt32, Bytes().put<int32_t>(-2000000000)),
      kv("f32", ValueType::kFloat32, Bytes().f32(1.5f)),
      kv("bool", ValueType::kBool, Bytes().u8(1)),
      kv("str", ValueType::kString, Bytes().str("héllo")),
      kv("u64", ValueType::kUint64, Bytes().u64(UINT64_MAX - 1)),
      kv("i64", ValueType::kInt64, Bytes().i64(-(int64_t{1} << 40))),
      kv("f64", ValueType::kFloat64, Bytes().put<double>(-2.25e300)),
      kv("arr_i16", ValueType::kArray, Bytes().u32(3).u64(2).put<int16_t>(-1).put<int16_t>(2)),
      kv("arr_f32", ValueType::kArray, Bytes().u32(6).u64(2).f32(0.5f).f32(-4.f)),
      kv("arr_bool", ValueType::kArray, Bytes().u32(7).u64(3).u8(1).u8(0).u8(1)),
      kv("arr_str", ValueType::kArray, Bytes().u32(8).u64(2).str("a").str("")),
      kv("arr_u64", ValueType::kArray, Bytes().u32(10).u64(1).u64(UINT64_MAX)),
      kv("arr_empty", ValueType::kArray, Bytes().u32(4).u64(0)),
      // [[1, 2], ["x"], []] with inner arrays of different element types.
      kv("arr_arr", ValueType::kArray,
         Bytes()
             .u32(9)
             .u64(3)
             .u32(5)
             .u64(2)
             .put<int32_t>(1)
             .put<int32_t>(2)
             .u32(8)
             .u64(1)
             .str("x")
             .u32(12)
             .u64(0)),
  };
  auto h = parse(c.build());
  ASSERT_TRUE(h.ok()) << h.status().to_string();
  const Metadata& m = h->metadata;
  ASSERT_EQ(m.size(), c.kvs.size());
  // File order is kept.
  EXPECT_EQ(m.entries()[0].first, "u8");
  EXPECT_EQ(m.entries().back().first, "arr_arr");

  auto expect_int = [&](const char* key, ValueType t, int64_t v) {
    const MetaValue* mv = m.find(key);
    ASSERT_NE(mv, nullptr) << key;
    EXPECT_EQ(mv->type(), t) << key;
    EXPECT_EQ(mv->int_bits(), v) << key;
  };
  expect_int("u8", ValueType::kUint8, 250);
  expect_int("i8", ValueType::kInt8, -7);
  expect_int("u16", ValueType::kUint16, 65000);
  expect_int("i16", ValueType::kInt16, -30000);
  expect_int("u32", ValueType::kUint32, 4000000000);
  expect_int("i32", ValueType::kInt32, -2000000000);
  expect_int("u64", ValueType::kUint64, static_cast<int64_t>(UINT64_MAX - 1));
  expect_int("i64", ValueType::kInt64, -(int64_t{1} << 40));
  EXPECT_EQ(m.find("f32")->type(), ValueType::kFloat32);
  EXPECT_EQ(*m.find("f32")->as_float(), 1.5);
  EXPECT_EQ(m.find("f64")->type(), ValueType::kFloat64);
  EXPECT_EQ(*m.find("f64")->as_float(), -2.25e300);
  EXPECT_EQ(m.get_bool("bool").value(), true);
  EXPECT_EQ(m.get_string("str").value(), "héllo");

  EXPECT_EQ(m.find("arr_i16")->elem_type(), ValueType::kInt16);
  EXPECT_EQ(*m.get_int_array("arr_i16").value(), (std::vector<int64_t>{-1, 2}));
  EXPECT_EQ(m.find("arr_f32")->elem_type(), ValueType::kFloat32);
  EXPECT_EQ(*m.get_float_array("arr_f32").value(), (std::vector<double>{0.5, -4.0}));
  EXPECT_EQ(m.find("arr_bool")->elem_type(), ValueType::kBool);
  EXPECT_EQ(*m.get_int_array("arr_bool").value(), (std::vector<int64_t>{1, 0, 1}));
  EXPECT_EQ(*m.get_string_array("arr_str").value(), (std::vector<std::string>{"a", ""}));
  EXPECT_EQ(m.get_int_array("arr_u64").value()->at(0), -1);  // bit-cast UINT64_MAX
  EXPECT_EQ(m.find("arr_empty")->elem_type(), ValueType::kUint32);
  EXPECT_EQ(m.find("arr_empty")->array_size(), 0u);

  const auto* nested = m.find("arr_arr")->as_nested_array();
  ASSERT_NE(nested, nullptr);
  ASSERT_EQ(nested->size(), 3u);
  EXPECT_EQ((*nested)[0].elem_type(), ValueType::kInt32);
  EXPECT_EQ(*(*nested)[0].as_int_array(), (std::vector<int64_t>{1, 2}));
  EXPECT_EQ(*(*nested)[1].as_string_array(), (std::vector<std::string>{"x"}));
  EXPECT_EQ((*nested)[2].elem_type(), ValueType::kFloat64);
  EXPECT_EQ((*nested)[2].array_size(), 0u);
}

TEST(GgufReader, CustomAlignmentPlacesDataSection) {
  Crafted c;
  c.kvs.push_back(kv_u32("general.alignment", 64));
  c.align = 64;
  c.tensors = {{"a", {4}, 0, 0, std::nullopt}, {"b", {4}, 0, 64, std::nullopt}};
  c.data = std::string(64 + 16, '\0');
  auto h = parse(c.build());
  ASSERT_TRUE(h.ok()) << h.status().to_string();
  EXPECT_EQ(h->alignment, 64u);
  EXPECT_EQ(h->data_offset % 64, 0u);
  EXPECT_EQ(h->tensors[1].offset, 64u);
}

TEST(GgufReader, NoTensorsNeedsNoPadding) {
  Crafted c;
  c.tensors.clear();
  c.data.clear();
  auto h = parse(c.build());
  ASSERT_TRUE(h.ok()) << h.status().to_string();
  EXPECT_EQ(h->data_offset, c.build().size());
}

// --- the header ---

TEST(GgufReader, EmptyFileIsTruncated) {
  expect_error(parse(std::string()).status(), StatusCode::kCorrupt, {"header", "truncated"});
}

TEST(GgufReader, EveryTruncationFails) {
  const std::string full = Crafted().build();
  for (size_t n = 0; n < full.size(); ++n) {
    Status s = parse(full.substr(0, n)).status();
    ASSERT_FALSE(s.ok()) << "prefix of " << n << " bytes parsed";
    EXPECT_EQ(s.code(), StatusCode::kCorrupt) << s.to_string();
    EXPECT_THAT(s.message(), HasSubstr(kName));
  }
}

TEST(GgufReader, BadMagic) {
  Crafted c;
  c.magic = "GGML";
  expect_error(parse_status(c), StatusCode::kCorrupt, {"header", "bad magic 'GGML'"});
}

TEST(GgufReader, Version1IsUnsupported) {
  Crafted c;
  c.version = 1;
  expect_error(parse_status(c), StatusCode::kUnsupported, {"header", "version 1"});
}

TEST(GgufReader, FutureVersionIsUnsupported) {
  Crafted c;
  c.version = 4;
  expect_error(parse_status(c), StatusCode::kUnsupported, {"header", "version 4"});
}

TEST(GgufReader, VersionZeroIsCorrupt) {
  Crafted c;
  c.version = 0;
  expect_error(parse_status(c), StatusCode::kCorrupt, {"header", "version 0"});
}

TEST(GgufReader, BigEndianFileIsUnsupported) {
  Crafted c;
  c.version = 0x03000000;
  expect_error(parse_status(c), StatusCode::kUnsupported, {"header", "big-endian"});
}

TEST(GgufReader, HostileMetadataCountFailsFastWithoutAllocating) {
  Crafted c;
  c.n_kv = uint64_t{1} << 60;
  const auto start = std::chrono::steady_clock::now();
  expect_error(parse_status(c), StatusCode::kCorrupt, {"header", "metadata count"});
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(100));
}

TEST(GgufReader, HostileTensorCountFailsFast) {
  Crafted c;
  c.n_tensors = uint64_t{1} << 60;
  const auto start = std::chrono::steady_clock::now();
  expect_error(parse_status(c), StatusCode::kCorrupt, {"header", "tensor count"});
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(100));
}

TEST(GgufReader, TensorCountPastTheEndAfterMetadata) {
  Crafted c;
  // Enough for the check before the metadata, but not after the metadata's 40 bytes.
  c.tensors.clear();
  c.data = std::string(40, '\0');
  c.n_tensors = 2;
  expect_error(parse_status(c), StatusCode::kCorrupt, {"tensor"});
}

// --- metadata ---

TEST(GgufReader, KeyLengthPastTheEnd) {
  Crafted c;
  c.kvs = {Bytes().u64(uint64_t{1} << 62).str()};
  expect_error(parse_status(c), StatusCode::kCorrupt,
               {"metadata entry #0", "key length 4611686018427387904 runs past the end"});
}

TEST(GgufReader, StringValueLengthPastTheEnd) {
  Crafted c;
  c.kvs = {kv("general.name", ValueType::kString, Bytes().u64(1000).raw("abc"))};
  expect_error(parse_status(c), StatusCode::kCorrupt,
               {"metadata key 'general.name'", "string length 1000 runs past the end"});
}

TEST(GgufReader, ArrayCountPastTheEnd) {
  Crafted c;
  c.kvs = {kv("tokenizer.ggml.token_type", ValueType::kArray,
              Bytes().u32(5).u64(uint64_t{1} << 61).u32(1))};
  const auto start = std::chrono::steady_clock::now();
  expect_error(parse_status(c), StatusCode::kCorrupt,
               {"metadata key 'tokenizer.ggml.token_type'", "array of 2305843009213693952 int32"});
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(100));
}

TEST(GgufReader, StringArrayCountPastTheEnd) {
  Crafted c;
  c.kvs = {kv("tokenizer.ggml.tokens", ValueType::kArray, Bytes().u32(8).u64(1000).str("a"))};
  expect_error(parse_status(c), StatusCode::kCorrupt,
               {"metadata key 'tokenizer.ggml.tokens'", "array of 1000 string"});
}

TEST(GgufReader, StringInsideArrayPastTheEnd) {
  Crafted c;
  c.kvs = {kv("tokenizer.ggml.tokens", ValueType::kArray,
              Bytes().u32(8).u64(2).str("a").u64(500).raw("bcdefgh"))};
  expect_error(parse_status(c), StatusCode::kCorrupt,
               {"metadata key 'tokenizer.ggml.tokens'", "string [1] length 500"});
}

TEST(GgufReader, UnknownValueType) {
  Crafted c;
  c.kvs = {Bytes().str("weird").u32(13).u32(0).str()};
  expect_error(parse_status(c), StatusCode::kCorrupt,
               {"metadata key 'weird'", "unknown value type 13"});
}

TEST(GgufReader, UnknownArrayElementType) {
  Crafted c;
  c.kvs = {kv("weird", ValueType::kArray, Bytes().u32(99).u64(0))};
  expect_error(parse_status(c), StatusCode::kCorrupt,
               {"metadata key 'weird'", "unknown array element type 99"});
}

TEST(GgufReader, BoolOutsideZeroOne) {
  Crafted c;
  c.kvs = {kv("flag", ValueType::kBool, Bytes().u8(2))};
  expect_error(parse_status(c), StatusCode::kCorrupt, {"metadata key 'flag'", "bool value 2"});
}

TEST(GgufReader, BoolArrayElementOutsideZeroOne) {
  Crafted c;
  c.kvs = {kv("flags", ValueType::kArray, Bytes().u32(7).u64(2).u8(0).u8(7))};
  expect_error(parse_status(c), StatusCode::kCorrupt, {"metadata key 'flags'", "[1] = 7"});
}

TEST(GgufReader, DuplicateKey) {
  Crafted c;
  c.kvs.push_back(kv_string("general.architecture", "qwen2"));
  expect_error(parse_status(c), StatusCode::kCorrupt,
               {"metadata key 'general.architecture'", "duplicate key"});
}

TEST(GgufReader, EmptyKey) {
  Crafted c;
  c.kvs = {kv_string("", "x")};
  expect_error(parse_status(c), StatusCode::kCorrupt, {"metadata entry #0", "empty key"});
}

TEST(GgufReader, ArraysNestedTooDeep) {
  Bytes nested;
  for (int i = 0; i < kGgufMaxArrayDepth; ++i) nested.u32(9).u64(1);
  nested.u32(4).u64(0);
  Crafted c;
  c.kvs = {kv("deep", ValueType::kArray, nested)};
  expect_error(parse_status(c), StatusCode::kCorrupt, {"metadata key 'deep'", "nested deeper"});
}

TEST(GgufReader, ArraysNestedToTheLimitAreRead) {
  Bytes nested;
  for (int i = 1; i < kGgufMaxArrayDepth; ++i) nested.u32(9).u64(1);
  nested.u32(4).u64(1).u32(42);
  Crafted c;
  c.kvs = {kv("deep", ValueType::kArray, nested)};
  auto h = parse(c.build());
  ASSERT_TRUE(h.ok()) << h.status().to_string();
  const MetaValue* v = h->metadata.find("deep");
  for (int i = 1; i < kGgufMaxArrayDepth; ++i) v = &v->as_nested_array()->at(0);
  EXPECT_EQ(v->as_int_array()->at(0), 42);
}

TEST(GgufReader, AlignmentOfWrongType) {
  Crafted c;
  c.kvs.push_back(kv("general.alignment", ValueType::kUint64, Bytes().u64(32)));
  expect_error(parse_status(c), StatusCode::kCorrupt,
               {"metadata key 'general.alignment'", "expected uint32"});
}

TEST(GgufReader, AlignmentNotAPowerOfTwo) {
  Crafted c;
  c.kvs.push_back(kv_u32("general.alignment", 48));
  expect_error(parse_status(c), StatusCode::kCorrupt,
               {"metadata key 'general.alignment'", "48 is not a power of two"});
}

TEST(GgufReader, AlignmentZero) {
  Crafted c;
  c.kvs.push_back(kv_u32("general.alignment", 0));
  expect_error(parse_status(c), StatusCode::kCorrupt, {"general.alignment", "power of two"});
}

// --- tensor infos ---

TEST(GgufReader, TensorNameLengthPastTheEnd) {
  Crafted c;
  c.tensors.clear();
  c.n_tensors = 1;
  c.data = Bytes().u64(uint64_t{1} << 40).raw(std::string(40, 'x')).str();
  expect_error(parse_status(c), StatusCode::kCorrupt, {"tensor #0", "name length"});
}

TEST(GgufReader, DuplicateTensorName) {
  Crafted c;
  c.tensors = {{"w", {4}, 0, 0, std::nullopt}, {"w", {4}, 0, 32, std::nullopt}};
  c.data = std::string(48, '\0');
  expect_error(parse_status(c), StatusCode::kCorrupt, {"tensor 'w'", "duplicate tensor name"});
}

TEST(GgufReader, EmptyTensorName) {
  Crafted c;
  c.tensors[0].name = "";
  expect_error(parse_status(c), StatusCode::kCorrupt, {"tensor #0", "empty name"});
}

TEST(GgufReader, TensorNameTooLong) {
  Crafted c;
  c.tensors[0].name = std::string(64, 'n');
  expect_error(parse_status(c), StatusCode::kCorrupt, {"name is 64 bytes long"});
}

TEST(GgufReader, MoreThanFourDimensions) {
  Crafted c;
  c.tensors[0].ne = {2, 2, 2, 1, 1};
  expect_error(parse_status(c), StatusCode::kCorrupt,
               {"tensor 't'", "has 5 dimensions, at most 4"});
}

TEST(GgufReader, HostileDimensionCount) {
  Crafted c;
  c.tensors[0].n_dims = 0xffffffffu;
  expect_error(parse_status(c), StatusCode::kCorrupt, {"tensor 't'", "4294967295 dimensions"});
}

TEST(GgufReader, ZeroDimensions) {
  Crafted c;
  c.tensors[0].ne = {};
  expect_error(parse_status(c), StatusCode::kCorrupt, {"tensor 't'", "has 0 dimensions"});
}

TEST(GgufReader, ZeroSizedDimension) {
  Crafted c;
  c.tensors[0].ne = {4, 0};
  expect_error(parse_status(c), StatusCode::kCorrupt, {"tensor 't'", "ne[1] is 0"});
}

TEST(GgufReader, NegativeDimension) {
  Crafted c;
  c.tensors[0].ne = {4, static_cast<uint64_t>(int64_t{-2})};
  expect_error(parse_status(c), StatusCode::kCorrupt, {"tensor 't'", "ne[1] is negative (-2)"});
}

TEST(GgufReader, ElementCountOverflow) {
  Crafted c;
  c.tensors[0].ne = {uint64_t{1} << 32, uint64_t{1} << 32};
  expect_error(parse_status(c), StatusCode::kCorrupt, {"tensor 't'", "overflows int64"});
}

TEST(GgufReader, ByteSizeOverflow) {
  Crafted c;
  c.tensors[0].ne = {uint64_t{1} << 31, uint64_t{1} << 31};  // 2^62 f32 = 2^64 bytes
  expect_error(parse_status(c), StatusCode::kCorrupt, {"tensor 't'", "byte size overflows"});
}

TEST(GgufReader, UnknownTensorType) {
  Crafted c;
  c.tensors[0].type = 4;  // Q4_2, removed from ggml
  expect_error(parse_status(c), StatusCode::kUnsupported, {"tensor 't'", "unknown tensor type 4"});
  c.tensors[0].type = 1000;
  expect_error(parse_status(c), StatusCode::kUnsupported, {"unknown tensor type 1000"});
}

TEST(GgufReader, ElementCountNotMultipleOfBlockSize) {
  Crafted c;
  c.tensors[0].type = static_cast<uint32_t>(DType::kQ8_0);
  c.tensors[0].ne = {33, 1};
  expect_error(parse_status(c), StatusCode::kCorrupt,
               {"tensor 't'", "ne[0] = 33 is not a multiple of the block size 32 of q8_0"});
}

TEST(GgufReader, RowNotWholeBlocksEvenIfCountIs) {
  Crafted c;
  c.tensors[0].type = static_cast<uint32_t>(DType::kQ4_K);
  c.tensors[0].ne = {128, 2};  // 256 elements, but rows of half a block
  expect_error(parse_status(c), StatusCode::kCorrupt, {"tensor 't'", "block size 256 of q4_K"});
}

TEST(GgufReader, QuantizedTensorSizes) {
  Crafted c;
  c.tensors = {{"q8", {64, 3}, static_cast<uint32_t>(DType::kQ8_0), 0, std::nullopt},
               {"q4k", {256}, static_cast<uint32_t>(DType::kQ4_K), 224, std::nullopt}};
  c.data = std::string(224 + 144, '\0');
  auto h = parse(c.build());
  ASSERT_TRUE(h.ok()) << h.status().to_string();
  EXPECT_EQ(h->tensors[0].n_bytes, 2u * 34 * 3);
  EXPECT_EQ(h->tensors[1].n_bytes, 144u);
}

// --- offsets and the data section ---

TEST(GgufReader, UnalignedOffset) {
  Crafted c;
  c.tensors[0].offset = 4;
  c.data = std::string(64, '\0');
  expect_error(parse_status(c), StatusCode::kCorrupt,
               {"tensor 't'", "offset 4 is not a multiple of the alignment 32"});
}

TEST(GgufReader, TensorPastTheDataSection) {
  Crafted c;
  c.data = std::string(31, '\0');
  expect_error(parse_status(c), StatusCode::kCorrupt,
               {"tensor 't'", "offset 0 + 32 bytes leaves the data section of 31 bytes"});
}

TEST(GgufReader, OffsetPastTheDataSection) {
  Crafted c;
  c.tensors[0].offset = 64;
  expect_error(parse_status(c), StatusCode::kCorrupt, {"tensor 't'", "leaves the data section"});
}

TEST(GgufReader, OffsetThatWouldWrapAround) {
  Crafted c;
  c.tensors[0].offset = UINT64_MAX - 31;  // aligned; offset + size wraps to 0
  expect_error(parse_status(c), StatusCode::kCorrupt, {"tensor 't'", "leaves the data section"});
}

TEST(GgufReader, OverlappingTensors) {
  Crafted c;
  c.tensors = {{"a", {16}, 0, 0, std::nullopt}, {"b", {16}, 0, 64, std::nullopt}};
  c.data = std::string(128, '\0');
  ASSERT_TRUE(parse_status(c).ok());
  c.tensors[1].offset = 32;  // a is [0, 64)
  expect_error(parse_status(c), StatusCode::kCorrupt, {"tensor 'b'", "overlaps tensor 'a'"});
}

TEST(GgufReader, DataSectionStartPastTheEnd) {
  Crafted c;
  c.pad = false;  // the file ends with the tensor infos, before the aligned data section
  c.data.clear();
  ASSERT_NE(c.build().size() % 32, 0u);
  expect_error(parse_status(c), StatusCode::kCorrupt, {"data section", "truncated file"});
}

// --- the metadata-only reader ---

TEST(GgufReader, MetadataOnlyReadSkipsTensors) {
  test::TempDir dir;
  Crafted c;
  // Broken tensor infos and no data: the metadata-only reader must not look at them.
  c.tensors[0].type = 1000;
  c.data.clear();
  test::write_bytes(dir.file("m.gguf"), c.build());
  auto h = read_gguf_metadata(dir.file("m.gguf"));
  ASSERT_TRUE(h.ok()) << h.status().to_string();
  EXPECT_EQ(h->metadata.get_string("general.architecture").value(), "qwen3");
  EXPECT_TRUE(h->tensors.empty());
  // The full parse does look.
  EXPECT_FALSE(parse(c.build()).ok());
}

TEST(GgufReader, MetadataOnlyReadValidates) {
  test::TempDir dir;
  Crafted c;
  c.n_kv = uint64_t{1} << 60;
  test::write_bytes(dir.file("bad.gguf"), c.build());
  Status s = read_gguf_metadata(dir.file("bad.gguf")).status();
  EXPECT_EQ(s.code(), StatusCode::kCorrupt);
  EXPECT_THAT(s.message(), HasSubstr(dir.file("bad.gguf")));
  EXPECT_THAT(s.message(), HasSubstr("metadata count"));
}

TEST(GgufReader, MetadataOnlyReadOfMissingFile) {
  test::TempDir dir;
  Status s = read_gguf_metadata(dir.file("nope.gguf")).status();
  EXPECT_EQ(s.code(), StatusCode::kNotFound);
  EXPECT_THAT(s.message(), HasSubstr("nope.gguf"));
}

}  // namespace
}  // namespace qwl
