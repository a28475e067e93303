// libFuzzer target: the safetensors header parser on arbitrary bytes. A successful parse must
// give tensors that tile the data section exactly; each one is touched at both ends.
#include <cstdint>

#include "base/check.h"
#include "format/safetensors.h"

namespace {
volatile uint8_t g_sink;
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto h = qwl::parse_safetensors(std::span<const uint8_t>(data, size), "fuzz.safetensors");
  if (!h.ok()) return 0;
  uint64_t end = 0;
  for (const qwl::SafetensorsTensor& t : h->tensors) {
    QWL_CHECK(t.begin == end, "tensors do not tile the data section");
    end = t.end;
    qwl::TensorView v = qwl::safetensors_view(t, data + h->data_offset);
    QWL_CHECK(v.n_bytes() == t.end - t.begin, "view size differs from the byte range");
    const auto* p = static_cast<const uint8_t*>(v.data);
    g_sink = p[0];
    g_sink = p[v.n_bytes() - 1];
  }
  QWL_CHECK(h->data_offset + end == size, "data section not fully used");
  return 0;
}
