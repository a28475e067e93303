// Writes tiny random Qwen models with the GGUF writer.
#include "model/test_model.h"

#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "format/gguf_writer.h"

namespace qwl::testing {
namespace {

// GPT-2's byte-to-unicode map: printable bytes map to themselves, the rest to U+0100 onwards.
std::vector<std::string> byte_tokens() {
  std::vector<int> printable;
  for (int b = '!'; b <= '~'; ++b) printable.push_back(b);
  for (int b = 0xA1; b <= 0xAC; ++b) printable.push_back(b);
  for (int b = 0xAE; b <= 0xFF; ++b) printable.push_back(b);
  std::vector<int> cp(256, -1);
  for (int b : printable) cp[static_cast<size_t>(b)] = b;
  int next = 256;
  for (int b = 0; b < 256; ++b)
    if (cp[static_cast<size_t>(b)] < 0) cp[static_cast<size_t>(b)] = next++;
  std::vector<std::string> out;
  for (int b = 0; b < 256; ++b) {
    const int c = cp[static_cast<size_t>(b)];
    std::string s;
    if (c < 0x80) {
      s += static_cast<char>(c);
    } else {
      s += static_cast<char>(0xC0 | (c >> 6));
      s += static_cast<char>(0x80 | (c & 0x3F));
    }
    out.push_back(s);
  }
  return out;
}

}  // namespace

Status write_test_model(const std::string& path, const TestModelSpec& s) {
  const std::string arch = !s.arch_name_override.empty() ? s.arch_name_override
                           : s.arch == Arch::kQwen2      ? "qwen2"
                                                         : "qwen3";
  std::vector<std::string> tokens = byte_tokens();
  std::vector<int64_t> types(tokens.size(), 1);
  for (const char* special : {"<|endoftext|>", "<|im_start|>", "<|im_end|>"}) {
    tokens.push_back(special);
    types.push_back(3);
  }
  const int n_vocab = static_cast<int>(tokens.size());

  GgufWriter w;
  Metadata& m = w.metadata();
  m.set("general.architecture", MetaValue::string(arch));
  m.set("general.name", MetaValue::string("test-" + arch));
  m.set(arch + ".block_count", MetaValue::uint32(s.n_layer));
  m.set(arch + ".context_length", MetaValue::uint32(s.n_ctx));
  m.set(arch + ".embedding_length", MetaValue::uint32(s.n_embd));
  m.set(arch + ".feed_forward_length", MetaValue::uint32(s.n_ff));
  m.set(arch + ".attention.head_count", MetaValue::uint32(s.n_head));
  m.set(arch + ".attention.head_count_kv", MetaValue::uint32(s.n_head_kv));
  m.set(arch + ".attention.key_length", MetaValue::uint32(s.head_dim));
  m.set(arch + ".attention.value_length", MetaValue::uint32(s.head_dim));
  m.set(arch + ".rope.freq_base", MetaValue::float32(1e6f));
  m.set(arch + ".attention.layer_norm_rms_epsilon", MetaValue::float32(1e-6f));
  m.set("tokenizer.ggml.model", MetaValue::string("gpt2"));
  m.set("tokenizer.ggml.pre", MetaValue::string("qwen2"));
  m.set("tokenizer.ggml.tokens", MetaValue::string_array(tokens));
  m.set("tokenizer.ggml.token_type", MetaValue::integer_array(ValueType::kInt32, types));
  m.set("tokenizer.ggml.merges", MetaValue::string_array({}));
  m.set("tokenizer.ggml.eos_token_id", MetaValue::uint32(static_cast<uint32_t>(n_vocab - 1)));
  m.set("tokenizer.ggml.padding_token_id", MetaValue::uint32(static_cast<uint32_t>(n_vocab - 3)));
  m.set("tokenizer.ggml.add_bos_token", MetaValue::boolean(false));

  std::mt19937_64 rng(s.seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  auto add = [&](const std::string& name, std::vector<int64_t> ne, float scale,
                 float offset) -> Status {
    if (name == s.omit_tensor) return Status::Ok();
    if (name == s.bad_shape_tensor) ne[0] += 32;
    int64_t n = 1;
    for (int64_t d : ne) n *= d;
    std::vector<float> v(static_cast<size_t>(n));
    for (float& x : v) x = offset + scale * normal(rng);
    std::vector<uint8_t> bytes(v.size() * 4);
    std::memcpy(bytes.data(), v.data(), bytes.size());
    return w.add_tensor(name, DType::kF32, std::move(ne), std::move(bytes));
  };
  const int q = s.n_head * s.head_dim, kv = s.n_head_kv * s.head_dim;
  auto lin = [&](const std::string& name, int n_in, int n_out) {
    return add(name, {n_in, n_out}, 1.0f / std::sqrt(static_cast<float>(n_in)), 0.0f);
  };
  QWL_RETURN_IF_ERROR(add("token_embd.weight", {s.n_embd, n_vocab}, 0.2f, 0.0f));
  for (int il = 0; il < s.n_layer; ++il) {
    const std::string p = "blk." + std::to_string(il) + ".";
    QWL_RETURN_IF_ERROR(add(p + "attn_norm.weight", {s.n_embd}, 0.1f, 1.0f));
    QWL_RETURN_IF_ERROR(lin(p + "attn_q.weight", s.n_embd, q));
    QWL_RETURN_IF_ERROR(lin(p + "attn_k.weight", s.n_embd, kv));
    QWL_RETURN_IF_ERROR(lin(p + "attn_v.weight", s.n_embd, kv));
    if (s.arch == Arch::kQwen2) {
      QWL_RETURN_IF_ERROR(add(p + "attn_q.bias", {q}, 0.1f, 0.0f));
      QWL_RETURN_IF_ERROR(add(p + "attn_k.bias", {kv}, 0.1f, 0.0f));
      QWL_RETURN_IF_ERROR(add(p + "attn_v.bias", {kv}, 0.1f, 0.0f));
    } else {
      QWL_RETURN_IF_ERROR(add(p + "attn_q_norm.weight", {s.head_dim}, 0.1f, 1.0f));
      QWL_RETURN_IF_ERROR(add(p + "attn_k_norm.weight", {s.head_dim}, 0.1f, 1.0f));
    }
    QWL_RETURN_IF_ERROR(lin(p + "attn_output.weight", q, s.n_embd));
    QWL_RETURN_IF_ERROR(add(p + "ffn_norm.weight", {s.n_embd}, 0.1f, 1.0f));
    QWL_RETURN_IF_ERROR(lin(p + "ffn_gate.weight", s.n_embd, s.n_ff));
    QWL_RETURN_IF_ERROR(lin(p + "ffn_up.weight", s.n_embd, s.n_ff));
    QWL_RETURN_IF_ERROR(lin(p + "ffn_down.weight", s.n_ff, s.n_embd));
  }
  QWL_RETURN_IF_ERROR(add("output_norm.weight", {s.n_embd}, 0.1f, 1.0f));
  if (!s.tied) QWL_RETURN_IF_ERROR(lin("output.weight", s.n_embd, n_vocab));
  return w.write(path);
}

}  // namespace qwl::testing
