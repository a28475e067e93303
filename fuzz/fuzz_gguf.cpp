// libFuzzer target: the GGUF reader on arbitrary bytes. Beyond "no crash, no sanitizer report",
// it checks what a successful parse promises: every tensor's bytes lie inside the input (touched
// at both ends, so AddressSanitizer would see a read past the buffer), and the file written back
// by GgufWriter parses to the same metadata and tensors.
#include <unistd.h>

#include <cstdint>
#include <cstring>
#include <string>

#include "base/check.h"
#include "base/mmap_file.h"
#include "format/gguf_reader.h"
#include "format/gguf_writer.h"

namespace {

volatile uint8_t g_sink;

void round_trip(const qwl::GgufHeader& h, const uint8_t* data) {
  qwl::GgufWriter w;
  for (const auto& [key, value] : h.metadata.entries()) w.metadata().set(key, value);
  for (const qwl::GgufTensorInfo& t : h.tensors) {
    qwl::TensorView v;
    v.type = t.type;
    v.n_dims = t.n_dims;
    for (int d = 0; d < 4; ++d) v.ne[d] = t.ne[d];
    v.data = data + h.data_offset + t.offset;
    QWL_CHECK(w.add_tensor(t.name, v).ok(), "a parsed tensor was refused by the writer");
  }
  static const std::string path = "/tmp/qwl_fuzz_gguf_" + std::to_string(::getpid()) + ".gguf";
  qwl::Status s = w.write(path);
  QWL_CHECK(s.ok(), "writing back a parsed file failed: {}", s.to_string());
  auto bytes = qwl::read_file(path);
  ::unlink(path.c_str());
  QWL_CHECK(bytes.ok());
  auto again = qwl::parse_gguf(
      std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(bytes->data()), bytes->size()),
      path);
  QWL_CHECK(again.ok(), "the written file does not parse: {}", again.status().to_string());
  QWL_CHECK(again->metadata.size() == h.metadata.size());
  QWL_CHECK(again->tensors.size() == h.tensors.size());
  for (size_t i = 0; i < h.tensors.size(); ++i) {
    const auto& a = h.tensors[i];
    const auto& b = again->tensors[i];
    QWL_CHECK(a.name == b.name && a.type == b.type && a.n_bytes == b.n_bytes);
    QWL_CHECK(std::memcmp(data + h.data_offset + a.offset,
                          bytes->data() + again->data_offset + b.offset, a.n_bytes) == 0);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto h = qwl::parse_gguf(std::span<const uint8_t>(data, size), "fuzz.gguf");
  if (!h.ok()) return 0;
  for (const qwl::GgufTensorInfo& t : h->tensors) {
    const uint8_t* p = data + h->data_offset + t.offset;
    g_sink = p[0];
    g_sink = p[t.n_bytes - 1];
  }
  round_trip(*h, data);
  return 0;
}
