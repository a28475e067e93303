// Checks the scalar quantized formats against golden data written by llama.cpp's ggml
// (testdata/quant_golden.bin; testdata/README.md says how it was produced): our quantizers
// must write ggml's bytes, our dequantizers must produce ggml's floats bit for bit, and our dot
// products must match ggml's generic kernels to float rounding.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <iterator>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "ops/dtype.h"
#include "ops/quant.h"

namespace qwl {
namespace {

// One record of the golden file: a named payload for a (type, row) pair.
struct Record {
  std::string name;
  uint32_t type = 0;
  uint32_t row = 0;
  uint32_t n = 0;  // elements
  std::vector<uint8_t> data;
};

// File layout: "QWLQGOLD", u32 version (1), u32 record count; then per record: char name[24]
// (NUL-padded), u32 type, u32 row, u32 n, u32 byte count, bytes. All little-endian.
class Golden {
 public:
  static const Golden& get() {
    static const Golden golden(std::string(QWL_SOURCE_DIR) + "/src/ops/testdata/quant_golden.bin");
    return golden;
  }

  const Record* find(const std::string& name, DType t, uint32_t row) const {
    for (const Record& r : records_)
      if (r.name == name && r.type == static_cast<uint32_t>(t) && r.row == row) return &r;
    return nullptr;
  }
  const Record& at(const std::string& name, DType t, uint32_t row) const {
    const Record* r = find(name, t, row);
    if (r == nullptr) {
      ADD_FAILURE() << "golden record missing: " << name << " " << dtype_name(t) << " row " << row;
      static const Record kEmpty;
      return kEmpty;
    }
    return *r;
  }
  uint32_t rows() const { return rows_; }
  bool ok() const { return ok_; }

 private:
  explicit Golden(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    const std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)),
                                     std::istreambuf_iterator<char>());
    size_t pos = 0;
    auto u32 = [&]() {
      uint32_t v = 0;
      if (pos + 4 <= bytes.size()) std::memcpy(&v, bytes.data() + pos, 4);
      pos += 4;
      return v;
    };
    if (bytes.size() < 16 || std::memcmp(bytes.data(), "QWLQGOLD", 8) != 0) return;
    pos = 8;
    if (u32() != 1) return;
    const uint32_t count = u32();
    for (uint32_t i = 0; i < count; ++i) {
      if (pos + 40 > bytes.size()) return;
      Record r;
      r.name.assign(reinterpret_cast<const char*>(bytes.data() + pos),
                    strnlen(reinterpret_cast<const char*>(bytes.data() + pos), 24));
      pos += 24;
      r.type = u32();
      r.row = u32();
      r.n = u32();
      const uint32_t nbytes = u32();
      if (pos + nbytes > bytes.size()) return;
      r.data.assign(bytes.begin() + pos, bytes.begin() + pos + nbytes);
      pos += nbytes;
      if (r.name == "input") rows_ = std::max(rows_, r.row + 1);
      records_.push_back(std::move(r));
    }
    ok_ = true;
  }

  std::vector<Record> records_;
  uint32_t rows_ = 0;
  bool ok_ = false;
};

std::vector<float> floats(const Record& r) {
  std::vector<float> v(r.data.size() / sizeof(float));
  std::memcpy(v.data(), r.data.data(), v.size() * sizeof(float));
  return v;
}

// A byte buffer aligned for any block type (8 bytes), since the kernels require alignment.
std::vector<uint64_t> aligned_copy(const std::vector<uint8_t>& bytes) {
  std::vector<uint64_t> out((bytes.size() + 7) / 8);
  std::memcpy(out.data(), bytes.data(), bytes.size());
  return out;
}

TEST(QuantGoldenFile, LoadsWithEveryRow) {
  const Golden& g = Golden::get();
  ASSERT_TRUE(g.ok()) << "cannot read src/ops/testdata/quant_golden.bin";
  EXPECT_EQ(g.rows(), 8u);
}

class QuantizerGolden : public testing::TestWithParam<DType> {};

// Our quantize_row writes exactly the bytes of ggml's quantize_row_*_ref for every test row.
TEST_P(QuantizerGolden, BytesEqualGgml) {
  const DType t = GetParam();
  const Golden& g = Golden::get();
  ASSERT_TRUE(g.ok());
  for (uint32_t row = 0; row < g.rows(); ++row) {
    const std::vector<float> x = floats(g.at("input", DType::kF32, row));
    const Record& want = g.at("quant", t, row);
    ASSERT_EQ(want.data.size(), row_size(t, static_cast<int64_t>(x.size())));
    std::vector<uint64_t> got((want.data.size() + 7) / 8);
    ref::quantize_row(t, x.data(), got.data(), static_cast<int64_t>(x.size()));
    const uint8_t* gb = reinterpret_cast<const uint8_t*>(got.data());
    size_t first_diff = want.data.size();
    for (size_t i = 0; i < want.data.size() && first_diff == want.data.size(); ++i)
      if (gb[i] != want.data[i]) first_diff = i;
    EXPECT_EQ(first_diff, want.data.size())
        << dtype_name(t) << " row " << row << ": first differing byte " << first_diff << " (block "
        << first_diff / type_size(t) << ")";
  }
}

// The activation rows too (the x side of every golden dot product).
TEST_P(QuantizerGolden, ActivationBytesEqualGgml) {
  const DType t = GetParam();
  const Golden& g = Golden::get();
  ASSERT_TRUE(g.ok());
  int checked = 0;
  for (uint32_t row = 0; row < g.rows(); ++row) {
    const Record* want = g.find("act", t, row);
    if (want == nullptr) continue;
    const std::vector<float> x = floats(g.at("xinput", DType::kF32, row));
    std::vector<uint64_t> got((want->data.size() + 7) / 8);
    ref::quantize_row(t, x.data(), got.data(), static_cast<int64_t>(x.size()));
    EXPECT_EQ(std::memcmp(got.data(), want->data.data(), want->data.size()), 0)
        << dtype_name(t) << " activation row " << row;
    ++checked;
  }
  const bool is_activation_type = t == DType::kF32 || t == DType::kF16 || t == DType::kBF16 ||
                                  t == DType::kQ8_0 || t == DType::kQ8_1 || t == DType::kQ8_K;
  EXPECT_EQ(checked > 0, is_activation_type) << dtype_name(t);
}

INSTANTIATE_TEST_SUITE_P(AllQuantizers, QuantizerGolden,
                         testing::Values(DType::kF32, DType::kF16, DType::kBF16, DType::kQ8_0,
                                         DType::kQ8_1, DType::kQ4_0, DType::kQ5_0, DType::kQ4_K,
                                         DType::kQ6_K, DType::kQ8_K),
                         [](const testing::TestParamInfo<DType>& p) {
                           return std::string(dtype_name(p.param));
                         });

class DequantizerGolden : public testing::TestWithParam<DType> {};

// Our dequantize_row of ggml's bytes gives ggml's floats, bit for bit.
TEST_P(DequantizerGolden, FloatsEqualGgml) {
  const DType t = GetParam();
  const Golden& g = Golden::get();
  ASSERT_TRUE(g.ok());
  for (uint32_t row = 0; row < g.rows(); ++row) {
    const Record& bytes = g.at("quant", t, row);
    const std::vector<float> want = floats(g.at("dequant", t, row));
    std::vector<uint64_t> src = aligned_copy(bytes.data);
    std::vector<float> got(want.size());
    ref::dequantize_row(t, src.data(), got.data(), static_cast<int64_t>(got.size()));
    int mismatches = 0;
    for (size_t i = 0; i < want.size(); ++i) {
      if (std::memcmp(&got[i], &want[i], sizeof(float)) != 0 && mismatches++ < 5) {
        ADD_FAILURE() << dtype_name(t) << " row " << row << " element " << i << ": got " << got[i]
                      << ", ggml " << want[i];
      }
    }
    EXPECT_EQ(mismatches, 0) << dtype_name(t) << " row " << row;
  }
}

INSTANTIATE_TEST_SUITE_P(AllDequantizers, DequantizerGolden,
                         testing::Values(DType::kF32, DType::kF16, DType::kBF16, DType::kQ4_0,
                                         DType::kQ4_1, DType::kQ5_0, DType::kQ5_1, DType::kQ8_0,
                                         DType::kQ3_K, DType::kQ4_K, DType::kQ5_K, DType::kQ6_K,
                                         DType::kQ8_K),
                         [](const testing::TestParamInfo<DType>& p) {
                           return std::string(dtype_name(p.param));
                         });

class VecDotGolden : public testing::TestWithParam<DType> {};

// Our vec_dot of ggml's weight and activation bytes matches ggml's result (its generic scalar
// kernel for the quantized types, its default CPU kernel for F32/F16/BF16) within 1e-6 of the
// sum of the magnitudes of the terms, sum_i |w_i x_i|: a relative error in the sense that
// matters for a sum with cancellation. In practice the quantized types agree exactly.
TEST_P(VecDotGolden, MatchesGgml) {
  const DType t = GetParam();
  const DType xt = vec_dot_type(t);
  const Golden& g = Golden::get();
  ASSERT_TRUE(g.ok());
  for (uint32_t row = 0; row < g.rows(); ++row) {
    const Record& wr = g.at("quant", t, row);
    const Record& xr = g.at("act", xt, row);
    const int64_t n = wr.n;
    std::vector<uint64_t> w = aligned_copy(wr.data);
    std::vector<uint64_t> x = aligned_copy(xr.data);
    float want = 0;
    std::memcpy(&want, g.at("vec_dot", t, row).data.data(), sizeof(float));
    const float got = ref::vec_dot(t, n, w.data(), x.data());

    std::vector<float> wd(n), xd(n);
    ref::dequantize_row(t, w.data(), wd.data(), n);
    ref::dequantize_row(xt, x.data(), xd.data(), n);
    double magnitude = 0;
    for (int64_t i = 0; i < n; ++i) magnitude += std::fabs(double(wd[i]) * xd[i]);
    EXPECT_LE(std::fabs(double(got) - want), 1e-6 * magnitude)
        << dtype_name(t) << " row " << row << ": got " << got << ", ggml " << want;
    if (t != DType::kF32 && t != DType::kF16 && t != DType::kBF16) {
      EXPECT_LE(std::fabs(double(got) - want), 1e-6 * std::fabs(want) + 1e-30)
          << dtype_name(t) << " row " << row << " (relative to the result)";
    }
  }
}

INSTANTIATE_TEST_SUITE_P(AllWeightTypes, VecDotGolden,
                         testing::Values(DType::kF32, DType::kF16, DType::kBF16, DType::kQ4_0,
                                         DType::kQ4_1, DType::kQ5_0, DType::kQ5_1, DType::kQ8_0,
                                         DType::kQ3_K, DType::kQ4_K, DType::kQ5_K, DType::kQ6_K),
                         [](const testing::TestParamInfo<DType>& p) {
                           return std::string(dtype_name(p.param));
                         });

// Stronger than the criterion above and true of this build: the results are bit for bit ggml's
// generic kernels (compiled without SIMD, see testdata/README.md), because we keep their float
// order and the project compiles as ISO C++ for baseline x86-64, so no FMA contraction. A
// toolchain that contracts a * b + c into an FMA may fail this test and still pass the one
// above.
TEST_P(VecDotGolden, BitExactWithGgmlGeneric) {
  const DType t = GetParam();
  const Golden& g = Golden::get();
  ASSERT_TRUE(g.ok());
  for (uint32_t row = 0; row < g.rows(); ++row) {
    const Record& wr = g.at("quant", t, row);
    std::vector<uint64_t> w = aligned_copy(wr.data);
    std::vector<uint64_t> x = aligned_copy(g.at("act", vec_dot_type(t), row).data);
    float want = 0;
    std::memcpy(&want, g.at("vec_dot", t, row).data.data(), sizeof(float));
    EXPECT_EQ(ref::vec_dot(t, wr.n, w.data(), x.data()), want) << dtype_name(t) << " row " << row;
  }
}

// The formats we have no quantizer for (Q4_1, Q5_1, Q3_K, Q5_K) get their round-trip error
// checked on ggml's bytes: ||x - dequant(ggml_quant(x))|| / ||x|| per golden row, bounded as in
// docs/formats/quant.md (measured worst: 0.117, 0.059, 0.240, 0.052). Row 5 (values ~1e-5,
// below the fp16 scales' range) is excluded, as the docs say.
TEST(GgmlRowsRoundTrip, ErrorWithinStatedBound) {
  const Golden& g = Golden::get();
  ASSERT_TRUE(g.ok());
  const std::pair<DType, double> bounds[] = {
      {DType::kQ4_1, 0.13}, {DType::kQ5_1, 0.07}, {DType::kQ3_K, 0.27}, {DType::kQ5_K, 0.065}};
  for (const auto& [t, bound] : bounds) {
    for (uint32_t row = 0; row < g.rows(); ++row) {
      if (row == 5) continue;
      const std::vector<float> x = floats(g.at("input", DType::kF32, row));
      std::vector<uint64_t> q = aligned_copy(g.at("quant", t, row).data);
      std::vector<float> y(x.size());
      ref::dequantize_row(t, q.data(), y.data(), static_cast<int64_t>(y.size()));
      double err2 = 0, norm2 = 0;
      for (size_t i = 0; i < x.size(); ++i) {
        err2 += double(x[i] - y[i]) * (x[i] - y[i]);
        norm2 += double(x[i]) * x[i];
      }
      EXPECT_LE(std::sqrt(err2 / norm2), bound) << dtype_name(t) << " row " << row;
    }
  }
}

uint64_t fnv1a(uint64_t h, const void* p, size_t n) {
  const uint8_t* b = static_cast<const uint8_t*>(p);
  for (size_t i = 0; i < n; ++i) {
    h ^= b[i];
    h *= 1099511628211ull;
  }
  return h;
}

constexpr uint64_t kFnvBasis = 1469598103934665603ull;

uint64_t golden_hash(const char* name, DType t) {
  uint64_t h = 0;
  std::memcpy(&h, Golden::get().at(name, t, 0).data.data(), sizeof(h));
  return h;
}

// 4096 chosen floats (specials, ties, boundaries of half's range, random bit patterns).
TEST(ConversionGolden, SampledF32ToHalfAndBf16EqualGgml) {
  const Golden& g = Golden::get();
  ASSERT_TRUE(g.ok());
  const std::vector<float> in = floats(g.at("conv_in", DType::kF32, 0));
  const Record& h = g.at("conv_fp16", DType::kF16, 0);
  const Record& b = g.at("conv_bf16", DType::kBF16, 0);
  ASSERT_EQ(h.data.size(), in.size() * 2);
  ASSERT_EQ(b.data.size(), in.size() * 2);
  for (size_t i = 0; i < in.size(); ++i) {
    uint16_t want_h, want_b;
    std::memcpy(&want_h, h.data.data() + 2 * i, 2);
    std::memcpy(&want_b, b.data.data() + 2 * i, 2);
    uint32_t bits;
    std::memcpy(&bits, &in[i], 4);
    EXPECT_EQ(f32_to_fp16(in[i]), want_h) << std::hex << "f32 bits 0x" << bits;
    EXPECT_EQ(f32_to_bf16(in[i]), want_b) << std::hex << "f32 bits 0x" << bits;
  }
}

// Every half converted to float, hashed in order, equals ggml's hash.
TEST(ConversionGolden, AllHalvesToF32EqualGgml) {
  std::vector<float> out(65536);
  for (uint32_t i = 0; i < 65536; ++i) out[i] = fp16_to_f32(static_cast<uint16_t>(i));
  EXPECT_EQ(fnv1a(kFnvBasis, out.data(), out.size() * sizeof(float)),
            golden_hash("fp16_to_f32_fnv", DType::kF16));
}

// Every 4093rd float bit pattern (about a million, all exponents) narrowed, hashed.
TEST(ConversionGolden, StridedF32ToHalfAndBf16EqualGgml) {
  uint64_t hh = kFnvBasis, hb = kFnvBasis;
  for (uint64_t b = 0; b <= 0xffffffffull; b += 4093) {
    const uint32_t bits = static_cast<uint32_t>(b);
    float f;
    std::memcpy(&f, &bits, 4);
    const uint16_t h = f32_to_fp16(f), bf = f32_to_bf16(f);
    hh = fnv1a(hh, &h, 2);
    hb = fnv1a(hb, &bf, 2);
  }
  EXPECT_EQ(hh, golden_hash("f32_to_fp16_fnv", DType::kF16));
  EXPECT_EQ(hb, golden_hash("f32_to_bf16_fnv", DType::kBF16));
}

}  // namespace
}  // namespace qwl
