// Helpers for the format layer's tests only (not part of qwl_format): a temporary directory that
// removes itself, file writing, a little-endian byte builder for hand-crafted GGUF files, and a
// minimal Qwen2-style tokenizer.json that hf_tokenizer.h accepts.
#pragma once

#include <stdlib.h>

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#include "base/check.h"
#include "format/metadata.h"

namespace qwl::test {

class TempDir {
 public:
  TempDir() {
    std::string templ = (std::filesystem::temp_directory_path() / "qwl_format_XXXXXX").string();
    QWL_CHECK(::mkdtemp(templ.data()) != nullptr, "mkdtemp failed");
    path_ = templ;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  std::string file(std::string_view name) const { return path_ + "/" + std::string(name); }

 private:
  std::string path_;
};

inline void write_bytes(const std::string& path, std::string_view bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  QWL_CHECK(out.good(), "writing {} failed", path);
}

inline std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// Appends little-endian numbers and GGUF strings to a byte string.
class Bytes {
 public:
  template <typename T>
  Bytes& put(T v) {
    char b[sizeof(T)];
    std::memcpy(b, &v, sizeof v);
    s_.append(b, sizeof v);
    return *this;
  }
  Bytes& u8(uint8_t v) { return put(v); }
  Bytes& u32(uint32_t v) { return put(v); }
  Bytes& u64(uint64_t v) { return put(v); }
  Bytes& i64(int64_t v) { return put(v); }
  Bytes& f32(float v) { return put(v); }
  Bytes& str(std::string_view v) {
    u64(v.size());
    s_.append(v);
    return *this;
  }
  Bytes& raw(std::string_view v) {
    s_.append(v);
    return *this;
  }
  Bytes& pad_to(size_t align) {
    s_.resize((s_.size() + align - 1) / align * align, '\0');
    return *this;
  }
  size_t size() const { return s_.size(); }
  const std::string& str() const { return s_; }

 private:
  std::string s_;
};

// Bytes of a vector of floats, for tensor contents.
inline std::vector<uint8_t> float_bytes(const std::vector<float>& v) {
  std::vector<uint8_t> out(v.size() * 4);
  std::memcpy(out.data(), v.data(), out.size());
  return out;
}

// A byte pattern of n bytes that differs from tensor to tensor (seeded).
inline std::vector<uint8_t> pattern_bytes(size_t n, uint32_t seed) {
  std::vector<uint8_t> out(n);
  uint32_t x = seed * 2654435761u + 1;
  for (size_t i = 0; i < n; ++i) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    out[i] = static_cast<uint8_t>(x);
  }
  return out;
}

// Whether two values have the same type, element type and contents (recursively).
inline bool same_value(const MetaValue& a, const MetaValue& b) {
  if (a.type() != b.type()) return false;
  switch (a.type()) {
    case ValueType::kString:
      return *a.as_string() == *b.as_string();
    case ValueType::kFloat32:
    case ValueType::kFloat64:
      return *a.as_float() == *b.as_float();
    case ValueType::kArray: {
      if (a.elem_type() != b.elem_type() || a.array_size() != b.array_size()) return false;
      if (a.as_string_array()) return *a.as_string_array() == *b.as_string_array();
      if (a.as_float_array()) return *a.as_float_array() == *b.as_float_array();
      if (a.as_int_array()) return *a.as_int_array() == *b.as_int_array();
      const auto& x = *a.as_nested_array();
      const auto& y = *b.as_nested_array();
      for (size_t i = 0; i < x.size(); ++i)
        if (!same_value(x[i], y[i])) return false;
      return true;
    }
    default:
      return a.int_bits() == b.int_bits();
  }
}

// "" when both hold the same keys in the same order with the same values, else the first
// difference.
inline std::string metadata_diff(const Metadata& a, const Metadata& b) {
  if (a.size() != b.size())
    return "sizes " + std::to_string(a.size()) + " and " + std::to_string(b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    const auto& [ka, va] = a.entries()[i];
    const auto& [kb, vb] = b.entries()[i];
    if (ka != kb) return "key #" + std::to_string(i) + ": " + ka + " vs " + kb;
    if (!same_value(va, vb)) return "key " + ka + ": " + va.summary() + " vs " + vb.summary();
  }
  return "";
}

// The pre-tokenizer regex of Qwen2/Qwen3 tokenizer.json files (hf_tokenizer.h accepts only it).
inline constexpr std::string_view kQwen2SplitRegex =
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";

// A tiny Qwen2-style tokenizer.json: byte-level tokens "a", "b", "ab", "Ġ" (ids 0-3), one merge,
// and two special added tokens "<|endoftext|>" (4) and "<|im_end|>" (5).
inline std::string tiny_tokenizer_json() {
  std::string regex;
  for (char c : kQwen2SplitRegex) {  // as a JSON string
    if (c == '\\' || c == '"') regex += '\\';
    regex += c;
  }
  return R"({"version":"1.0","added_tokens":[)"
         R"({"id":4,"content":"<|endoftext|>","special":true},)"
         R"({"id":5,"content":"<|im_end|>","special":true}],)"
         R"("normalizer":{"type":"NFC"},)"
         R"("pre_tokenizer":{"type":"Sequence","pretokenizers":[)"
         R"({"type":"Split","pattern":{"Regex":")" +
         regex +
         R"("},"behavior":"Isolated","invert":false},)"
         R"({"type":"ByteLevel","add_prefix_space":false,"trim_offsets":false,"use_regex":false}]},)"
         R"("model":{"type":"BPE","vocab":{"a":0,"b":1,"ab":2,"\u0120":3},"merges":["a b"]}})";
}

}  // namespace qwl::test
