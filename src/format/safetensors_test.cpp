// safetensors tests: valid files (F32, F16, BF16, metadata, shapes), one crafted file per
// validation rule, and the sharded index.
#include "format/safetensors.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstring>

#include "format/test_util.h"

namespace qwl {
namespace {

using ::testing::HasSubstr;

constexpr const char* kName = "crafted.safetensors";

// A file from a JSON header text and a data section.
std::string file_of(std::string_view header, std::string_view data) {
  return test::Bytes().u64(header.size()).raw(header).raw(data).str();
}

Result<SafetensorsHeader> parse(const std::string& bytes) {
  return parse_safetensors(
      std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()),
      kName);
}

void expect_error(const Status& s, StatusCode code, std::vector<std::string> fragments) {
  ASSERT_FALSE(s.ok()) << "expected an error";
  EXPECT_EQ(s.code(), code) << s.to_string();
  EXPECT_THAT(s.message(), HasSubstr(kName));
  for (const std::string& f : fragments) EXPECT_THAT(s.message(), HasSubstr(f));
}

// One F32 tensor "w" of shape [2, 3] (24 bytes) with the given data_offsets text.
std::string one_tensor(std::string_view offsets, size_t data_bytes = 24,
                       std::string_view dtype = "F32", std::string_view shape = "[2,3]") {
  const std::string header = fmt::format(R"({{"w":{{"dtype":"{}","shape":{},"data_offsets":{}}}}})",
                                         dtype, shape, offsets);
  return file_of(header, std::string(data_bytes, '\x01'));
}

TEST(Safetensors, ReadsValidFile) {
  const std::string header = R"({"__metadata__":{"format":"pt"},)"
                             R"("b":{"dtype":"BF16","shape":[4],"data_offsets":[24,32]},)"
                             R"("a":{"dtype":"F32","shape":[2,3],"data_offsets":[0,24]},)"
                             R"("c":{"dtype":"F16","shape":[],"data_offsets":[32,34]}})";
  std::string data(34, '\0');
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>(i);
  const std::string bytes = file_of(header, data);
  auto h = parse(bytes);
  ASSERT_TRUE(h.ok()) << h.status().to_string();
  EXPECT_EQ(h->data_offset, 8 + header.size());
  ASSERT_EQ(h->metadata.size(), 1u);
  EXPECT_EQ(h->metadata[0], (std::pair<std::string, std::string>("format", "pt")));
  ASSERT_EQ(h->tensors.size(), 3u);  // sorted by offset
  EXPECT_EQ(h->tensors[0].name, "a");
  EXPECT_EQ(h->tensors[0].type, DType::kF32);
  EXPECT_EQ(h->tensors[0].shape, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(h->tensors[1].name, "b");
  EXPECT_EQ(h->tensors[1].type, DType::kBF16);
  EXPECT_EQ(h->tensors[2].name, "c");
  EXPECT_EQ(h->tensors[2].type, DType::kF16);
  EXPECT_TRUE(h->tensors[2].shape.empty());

  // Views: ggml order (reversed shape), pointing at the tensor's bytes.
  const auto* base = reinterpret_cast<const uint8_t*>(bytes.data()) + h->data_offset;
  TensorView a = safetensors_view(h->tensors[0], base);
  EXPECT_EQ(a.n_dims, 2);
  EXPECT_EQ(a.ne[0], 3);
  EXPECT_EQ(a.ne[1], 2);
  EXPECT_EQ(a.n_bytes(), 24u);
  EXPECT_EQ(a.data, base);
  TensorView b = safetensors_view(h->tensors[1], base);
  EXPECT_EQ(static_cast<const uint8_t*>(b.data)[0], 24);
  TensorView c = safetensors_view(h->tensors[2], base);  // a scalar
  EXPECT_EQ(c.n_dims, 1);
  EXPECT_EQ(c.n_elements(), 1);
}

TEST(Safetensors, EncodeThenParse) {
  const std::vector<uint8_t> w = test::pattern_bytes(2 * 4 * 3, 1);
  const std::vector<uint8_t> n = test::pattern_bytes(4 * 5, 2);
  const SafetensorsInput inputs[] = {{"weight", DType::kBF16, {4, 3}, w},
                                     {"norm", DType::kF32, {5}, n}};
  auto image = encode_safetensors(inputs, {{"format", "pt"}});
  ASSERT_TRUE(image.ok()) << image.status().to_string();
  auto h = parse(*image);
  ASSERT_TRUE(h.ok()) << h.status().to_string();
  EXPECT_EQ(h->data_offset % 8, 0u);
  ASSERT_EQ(h->tensors.size(), 2u);
  EXPECT_EQ(h->tensors[0].name, "weight");
  EXPECT_EQ(h->tensors[1].name, "norm");
  const auto* base = reinterpret_cast<const uint8_t*>(image->data()) + h->data_offset;
  EXPECT_EQ(std::memcmp(base + h->tensors[1].begin, n.data(), n.size()), 0);
  EXPECT_EQ(std::memcmp(base, w.data(), w.size()), 0);
}

TEST(Safetensors, EncodeRejectsBadInput) {
  const std::vector<uint8_t> four(4);
  const SafetensorsInput wrong_size[] = {{"x", DType::kF32, {2}, four}};
  EXPECT_EQ(encode_safetensors(wrong_size).status().code(), StatusCode::kInvalidArgument);
  const SafetensorsInput wrong_type[] = {{"x", DType::kQ8_0, {32}, four}};
  EXPECT_EQ(encode_safetensors(wrong_type).status().code(), StatusCode::kInvalidArgument);
  const SafetensorsInput duplicate[] = {{"x", DType::kF32, {1}, four},
                                        {"x", DType::kF32, {1}, four}};
  EXPECT_EQ(encode_safetensors(duplicate).status().code(), StatusCode::kInvalidArgument);
}

TEST(Safetensors, OpensMappedFile) {
  test::TempDir dir;
  const std::vector<uint8_t> w = test::float_bytes({1, 2, 3, 4, 5, 6});
  const SafetensorsInput inputs[] = {{"w", DType::kF32, {2, 3}, w}};
  test::write_bytes(dir.file("m.safetensors"), encode_safetensors(inputs).value());
  auto f = SafetensorsFile::open(dir.file("m.safetensors"));
  ASSERT_TRUE(f.ok()) << f.status().to_string();
  TensorView v = f->view(f->tensors()[0]);
  EXPECT_EQ(v.ne[0], 3);
  float x[6];
  std::memcpy(x, v.data, sizeof x);
  EXPECT_EQ(x[5], 6.0f);

  auto missing = SafetensorsFile::open(dir.file("none.safetensors"));
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
}

// --- the header length and the JSON ---

TEST(Safetensors, ShorterThanTheLength) {
  expect_error(parse("\x10\0\0").status(), StatusCode::kCorrupt, {"truncated"});
}

TEST(Safetensors, HeaderOverTheLimit) {
  const std::string bytes = test::Bytes().u64(100'000'001).raw("{}").str();
  expect_error(parse(bytes).status(), StatusCode::kCorrupt, {"header length", "limit"});
}

TEST(Safetensors, HeaderPastTheEnd) {
  const std::string bytes = test::Bytes().u64(1000).raw("{}").str();
  expect_error(parse(bytes).status(), StatusCode::kCorrupt, {"header length", "past the end"});
}

TEST(Safetensors, HostileHeaderLength) {
  const std::string bytes = test::Bytes().u64(UINT64_MAX).raw("{}").str();
  expect_error(parse(bytes).status(), StatusCode::kCorrupt, {"header length"});
}

TEST(Safetensors, HeaderNotAnObject) {
  expect_error(parse(file_of("[1,2]", "")).status(), StatusCode::kCorrupt, {"header", "'{'"});
  expect_error(parse(file_of("{\"a\":", "")).status(), StatusCode::kCorrupt,
               {"header is not valid JSON"});
}

TEST(Safetensors, PaddedHeaderIsFine) {
  auto h = parse(file_of("{}    ", ""));
  ASSERT_TRUE(h.ok()) << h.status().to_string();
  EXPECT_TRUE(h->tensors.empty());
}

TEST(Safetensors, DuplicateTensorName) {
  const std::string header = R"({"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},)"
                             R"("w":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})";
  expect_error(parse(file_of(header, std::string(8, '\0'))).status(), StatusCode::kCorrupt,
               {"duplicate key \"w\""});
}

TEST(Safetensors, MetadataMustBeStrings) {
  expect_error(parse(file_of(R"({"__metadata__":{"n":1}})", "")).status(), StatusCode::kCorrupt,
               {"__metadata__", "\"n\""});
  expect_error(parse(file_of(R"({"__metadata__":[]})", "")).status(), StatusCode::kCorrupt,
               {"__metadata__"});
}

// --- tensor entries ---

TEST(Safetensors, EntryNotAnObject) {
  expect_error(parse(file_of(R"({"w":3})", "")).status(), StatusCode::kCorrupt,
               {"tensor 'w'", "expected an object"});
}

TEST(Safetensors, MissingFields) {
  expect_error(parse(file_of(R"({"w":{"shape":[1],"data_offsets":[0,4]}})", "abcd")).status(),
               StatusCode::kCorrupt, {"tensor 'w'", "missing \"dtype\""});
  expect_error(parse(file_of(R"({"w":{"dtype":"F32","data_offsets":[0,4]}})", "abcd")).status(),
               StatusCode::kCorrupt, {"tensor 'w'", "missing \"shape\""});
  expect_error(parse(file_of(R"({"w":{"dtype":"F32","shape":[1]}})", "abcd")).status(),
               StatusCode::kCorrupt, {"tensor 'w'", "missing \"data_offsets\""});
}

TEST(Safetensors, UnsupportedDtype) {
  expect_error(parse(one_tensor("[0,48]", 48, "I64")).status(), StatusCode::kUnsupported,
               {"tensor 'w'", "dtype I64 is not supported"});
  expect_error(parse(one_tensor("[0,24]", 24, "F8_E4M3")).status(), StatusCode::kUnsupported,
               {"F8_E4M3"});
}

TEST(Safetensors, UnknownDtype) {
  expect_error(parse(one_tensor("[0,24]", 24, "Q9")).status(), StatusCode::kCorrupt,
               {"tensor 'w'", "unknown dtype \"Q9\""});
}

TEST(Safetensors, BadShapes) {
  expect_error(parse(one_tensor("[0,24]", 24, "F32", "[2,-3]")).status(), StatusCode::kCorrupt,
               {"tensor 'w'", "shape entry -3"});
  expect_error(parse(one_tensor("[0,24]", 24, "F32", "[2.5]")).status(), StatusCode::kCorrupt,
               {"shape entry 2.5"});
  expect_error(parse(one_tensor("[0,24]", 24, "F32", "3")).status(), StatusCode::kCorrupt,
               {"\"shape\" is not an array"});
  expect_error(parse(one_tensor("[0,4]", 4, "F32", "[1,1,1,1,1]")).status(),
               StatusCode::kUnsupported, {"tensor 'w'", "5 dimensions"});
  expect_error(parse(one_tensor("[0,0]", 0, "F32", "[0,3]")).status(), StatusCode::kUnsupported,
               {"tensor 'w'", "empty tensor"});
  expect_error(
      parse(one_tensor("[0,24]", 24, "F32", "[4294967296,4294967296,4294967296]")).status(),
      StatusCode::kCorrupt, {"overflows"});
}

// --- data_offsets ---

TEST(Safetensors, OffsetsNotTwoIntegers) {
  expect_error(parse(one_tensor("[0]")).status(), StatusCode::kCorrupt,
               {"tensor 'w'", "data_offsets"});
  expect_error(parse(one_tensor("[0,24,48]")).status(), StatusCode::kCorrupt, {"data_offsets"});
  expect_error(parse(one_tensor("[-1,23]")).status(), StatusCode::kCorrupt, {"data_offsets"});
  expect_error(parse(one_tensor("\"0-24\"")).status(), StatusCode::kCorrupt, {"data_offsets"});
}

TEST(Safetensors, OffsetsBackwards) {
  expect_error(parse(one_tensor("[24,0]")).status(), StatusCode::kCorrupt,
               {"tensor 'w'", "end before they begin"});
}

TEST(Safetensors, ByteLengthDisagreesWithShape) {
  expect_error(parse(one_tensor("[0,20]", 20)).status(), StatusCode::kCorrupt,
               {"tensor 'w'", "hold 20 bytes", "needs 24"});
}

TEST(Safetensors, NotStartingAtZero) {
  expect_error(parse(one_tensor("[8,32]", 32)).status(), StatusCode::kCorrupt,
               {"tensor 'w'", "start at 8, expected 0", "gap"});
}

TEST(Safetensors, GapBetweenTensors) {
  const std::string header = R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},)"
                             R"("b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}})";
  expect_error(parse(file_of(header, std::string(12, '\0'))).status(), StatusCode::kCorrupt,
               {"tensor 'b'", "start at 8, expected 4", "gap"});
}

TEST(Safetensors, OverlappingTensors) {
  const std::string header = R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                             R"("b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})";
  expect_error(parse(file_of(header, std::string(8, '\0'))).status(), StatusCode::kCorrupt,
               {"start at 4, expected 8", "overlaps"});
}

TEST(Safetensors, TensorPastTheEnd) {
  expect_error(parse(one_tensor("[0,24]", 16)).status(), StatusCode::kCorrupt,
               {"tensor 'w'", "past the data section of 16 bytes"});
}

TEST(Safetensors, HostileOffsets) {
  const std::string huge = std::to_string(UINT64_MAX);
  expect_error(parse(one_tensor("[0," + huge + "]")).status(), StatusCode::kCorrupt,
               {"tensor 'w'"});
}

TEST(Safetensors, TrailingBytes) {
  expect_error(parse(one_tensor("[0,24]", 25)).status(), StatusCode::kCorrupt,
               {"data section", "1 trailing bytes"});
}

// --- the sharded index ---

TEST(SafetensorsIndex, ParsesWeightMap) {
  auto index = parse_safetensors_index(
      R"({"metadata":{"total_size":48},"weight_map":{)"
      R"("b":"model-00002-of-00002.safetensors","a":"model-00001-of-00002.safetensors",)"
      R"("c":"model-00001-of-00002.safetensors"}})",
      "index.json");
  ASSERT_TRUE(index.ok()) << index.status().to_string();
  EXPECT_EQ(index->shards, (std::vector<std::string>{"model-00001-of-00002.safetensors",
                                                     "model-00002-of-00002.safetensors"}));
  ASSERT_EQ(index->weight_map.size(), 3u);
  for (const auto& [tensor, shard] : index->weight_map)
    EXPECT_EQ(shard, tensor == "b" ? 1u : 0u) << tensor;
}

TEST(SafetensorsIndex, Rejects) {
  auto code_and_text = [](std::string_view json, std::string_view fragment) {
    Status s = parse_safetensors_index(json, "idx.json").status();
    EXPECT_EQ(s.code(), StatusCode::kCorrupt) << json;
    EXPECT_THAT(s.message(), HasSubstr("idx.json")) << json;
    EXPECT_THAT(s.message(), HasSubstr(std::string(fragment))) << json;
  };
  code_and_text("nope", "not valid JSON");
  code_and_text("[]", "expected an object");
  code_and_text(R"({"metadata":{}})", "weight_map: missing");
  code_and_text(R"({"weight_map":[]})", "weight_map");
  code_and_text(R"({"weight_map":{"a":1}})", "tensor 'a'");
  code_and_text(R"({"weight_map":{"a":"../secret.safetensors"}})", "not a file name");
  code_and_text(R"({"weight_map":{"a":"sub/x.safetensors"}})", "not a file name");
  code_and_text(R"({"weight_map":{"a":".."}})", "not a file name");
  code_and_text(R"({"weight_map":{"a":""}})", "not a file name");
  code_and_text(R"({"weight_map":{"a":"x","a":"y"}})", "duplicate key");
}

}  // namespace
}  // namespace qwl
