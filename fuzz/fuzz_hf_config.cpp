// libFuzzer target: config.json translation and HF tensor-name translation on arbitrary text.
// A translated config must carry the keys the model layer relies on.
#include <cstdint>
#include <string_view>

#include "base/check.h"
#include "format/hf_folder.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  qwl::Metadata md;
  auto config = qwl::translate_hf_config(text, "fuzz/config.json", "fuzz", &md);
  if (config.ok()) {
    const std::string& a = config->architecture;
    QWL_CHECK(a == "qwen2" || a == "qwen3");
    QWL_CHECK(md.get_uint(a + ".block_count").ok());
    QWL_CHECK(md.get_uint(a + ".attention.head_count_kv").ok());
  }
  int64_t layer = -1;
  auto name = qwl::hf_tensor_name_to_gguf(text, &layer);
  if (name.ok() && !name->empty()) QWL_CHECK(name->size() < text.size() + 16);
  return 0;
}
