// The table of ggml types. Block layouts are documented in docs/formats/quant.md; the sizes here
// are sizeof() of ggml's block structs.
#include "ops/dtype.h"

#include <array>
#include <cctype>

#include "base/check.h"

namespace qwl {
namespace {

struct Entry {
  uint32_t raw;
  DTypeTraits traits;
};

constexpr std::array kTable = {
    Entry{0, {"f32", 1, 4}},         Entry{1, {"f16", 1, 2}},
    Entry{2, {"q4_0", 32, 18}},      Entry{3, {"q4_1", 32, 20}},
    Entry{6, {"q5_0", 32, 22}},      Entry{7, {"q5_1", 32, 24}},
    Entry{8, {"q8_0", 32, 34}},      Entry{9, {"q8_1", 32, 36}},
    Entry{10, {"q2_K", 256, 84}},    Entry{11, {"q3_K", 256, 110}},
    Entry{12, {"q4_K", 256, 144}},   Entry{13, {"q5_K", 256, 176}},
    Entry{14, {"q6_K", 256, 210}},   Entry{15, {"q8_K", 256, 292}},
    Entry{16, {"iq2_xxs", 256, 66}}, Entry{17, {"iq2_xs", 256, 74}},
    Entry{18, {"iq3_xxs", 256, 98}}, Entry{19, {"iq1_s", 256, 50}},
    Entry{20, {"iq4_nl", 32, 18}},   Entry{21, {"iq3_s", 256, 110}},
    Entry{22, {"iq2_s", 256, 82}},   Entry{23, {"iq4_xs", 256, 136}},
    Entry{24, {"i8", 1, 1}},         Entry{25, {"i16", 1, 2}},
    Entry{26, {"i32", 1, 4}},        Entry{27, {"i64", 1, 8}},
    Entry{28, {"f64", 1, 8}},        Entry{29, {"iq1_m", 256, 56}},
    Entry{30, {"bf16", 1, 2}},       Entry{34, {"tq1_0", 256, 54}},
    Entry{35, {"tq2_0", 256, 66}},   Entry{39, {"mxfp4", 32, 17}},
};

const Entry* find(uint32_t raw) {
  for (const Entry& e : kTable)
    if (e.raw == raw) return &e;
  return nullptr;
}

}  // namespace

std::optional<DTypeTraits> dtype_traits(uint32_t raw) {
  const Entry* e = find(raw);
  if (e == nullptr) return std::nullopt;
  return e->traits;
}

const DTypeTraits& traits(DType t) {
  const Entry* e = find(static_cast<uint32_t>(t));
  QWL_CHECK(e != nullptr, "invalid DType {}", static_cast<uint32_t>(t));
  return e->traits;
}

size_t row_size(DType t, int64_t n) {
  const DTypeTraits& tr = traits(t);
  QWL_CHECK(n % tr.block_size == 0, "row of {} elements is not a whole number of {} blocks", n,
            tr.name);
  return static_cast<size_t>(n / tr.block_size) * tr.type_size;
}

std::optional<DType> parse_dtype(std::string_view name) {
  for (const Entry& e : kTable) {
    if (e.traits.name.size() != name.size()) continue;
    bool same = true;
    for (size_t i = 0; i < name.size() && same; ++i)
      same = std::tolower(static_cast<unsigned char>(name[i])) ==
             std::tolower(static_cast<unsigned char>(e.traits.name[i]));
    if (same) return static_cast<DType>(e.raw);
  }
  return std::nullopt;
}

}  // namespace qwl
