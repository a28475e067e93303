// Writes small valid inputs for each fuzzer into <dir>/{gguf,safetensors,index,config}/, so
// that fuzzing starts from files that get past the magic and the JSON syntax.
#include <cstdio>
#include <filesystem>
#include <string>

#include "base/mmap_file.h"
#include "format/gguf_writer.h"
#include "format/safetensors.h"

namespace {

int fail(const qwl::Status& s) {
  std::fprintf(stderr, "fuzz_seeds: %s\n", s.to_string().c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: fuzz_seeds DIR\n");
    return 2;
  }
  const std::string dir = argv[1];
  for (const char* sub : {"gguf", "safetensors", "index", "config"})
    std::filesystem::create_directories(dir + "/" + sub);

  qwl::GgufWriter w;
  w.metadata().set("general.architecture", qwl::MetaValue::string("qwen3"));
  w.metadata().set("qwen3.block_count", qwl::MetaValue::uint32(1));
  w.metadata().set("tokenizer.ggml.tokens", qwl::MetaValue::string_array({"a", "b"}));
  w.metadata().set("nested", qwl::MetaValue::nested_array(
                                 {qwl::MetaValue::integer_array(qwl::ValueType::kInt16, {1, 2})}));
  std::vector<uint8_t> f32(4 * 4, 1), q8(34, 2);
  if (auto s = w.add_tensor("token_embd.weight", qwl::DType::kF32, {2, 2}, f32); !s.ok())
    return fail(s);
  if (auto s = w.add_tensor("blk.0.attn_q.weight", qwl::DType::kQ8_0, {32}, q8); !s.ok())
    return fail(s);
  if (auto s = w.write(dir + "/gguf/small.gguf"); !s.ok()) return fail(s);

  const std::vector<uint8_t> bf16(2 * 6, 3);
  const qwl::SafetensorsInput inputs[] = {{"model.norm.weight", qwl::DType::kBF16, {2, 3}, bf16}};
  auto image = qwl::encode_safetensors(inputs, {{"format", "pt"}});
  if (!image.ok()) return fail(image.status());
  if (auto s = qwl::write_file_atomic(dir + "/safetensors/small.safetensors", *image); !s.ok())
    return fail(s);

  if (auto s = qwl::write_file_atomic(
          dir + "/index/index.json",
          R"({"metadata":{"total_size":12},"weight_map":{"model.norm.weight":"a.safetensors"}})");
      !s.ok())
    return fail(s);
  if (auto s = qwl::write_file_atomic(
          dir + "/config/config.json",
          R"({"model_type":"qwen3","hidden_size":8,"intermediate_size":16,"num_hidden_layers":1,)"
          R"("num_attention_heads":2,"num_key_value_heads":1,"head_dim":4,)"
          R"("max_position_embeddings":64,"rope_theta":1000000,"rms_norm_eps":1e-6,)"
          R"("rope_scaling":{"rope_type":"yarn","factor":4.0,)"
          R"("original_max_position_embeddings":32}})");
      !s.ok())
    return fail(s);
  return 0;
}
