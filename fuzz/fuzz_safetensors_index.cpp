// libFuzzer target: model.safetensors.index.json parsing. Shard names that come out must be
// plain file names, so that no index can make us open a file outside the model's folder.
#include <cstdint>
#include <string_view>

#include "base/check.h"
#include "format/safetensors.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto index = qwl::parse_safetensors_index(text, "fuzz.index.json");
  if (!index.ok()) return 0;
  for (const std::string& shard : index->shards)
    QWL_CHECK(!shard.empty() && shard != "." && shard != ".." &&
              shard.find('/') == std::string::npos);
  for (const auto& [tensor, shard] : index->weight_map) QWL_CHECK(shard < index->shards.size());
  return 0;
}
