// Tests of TokenConstraint over the real Qwen3 vocabulary.
#include "runtime/token_constraint.h"

#include <gtest/gtest.h>

#include <chrono>

#include "tokenizer/test_qwen3.h"

namespace qwl {
namespace {

TEST(TokenConstraintTest, Explore) {
  const Tokenizer* tok = testing::qwen3_tokenizer();
  ASSERT_NE(tok, nullptr);
  auto t0 = std::chrono::steady_clock::now();
  auto vocab = ConstraintVocab::build(*tok);
  auto t1 = std::chrono::steady_clock::now();
  printf("vocab: %d nodes, max len %zu, build %.1f ms, eog %zu dups %zu\n", vocab->n_nodes(),
         vocab->max_token_bytes(), std::chrono::duration<double, std::milli>(t1 - t0).count(),
         vocab->eog_tokens().size(), vocab->duplicates().size());
  auto c = TokenConstraint::create(vocab, json_object_grammar());
  ASSERT_TRUE(c.ok()) << c.status().to_string();
  TokenConstraint& tc = **c;
  for (const char* piece : {"{\"", "name", "\":", " \"", "hello", " world", "\",", " \"", "x", "\":", " ", "1", "2", "}"}) {
    auto a = std::chrono::steady_clock::now();
    const auto& bits = tc.allowed();
    auto b = std::chrono::steady_clock::now();
    size_t n = 0;
    for (auto w : bits) n += __builtin_popcountll(w);
    auto a2 = std::chrono::steady_clock::now();
    auto ref = tc.allowed_by_full_walk();
    auto b2 = std::chrono::steady_clock::now();
    printf("%-10s allowed %zu  mask %.3f ms  full %.3f ms  equal %d  positions %ld ctx %ld\n", piece, n,
           std::chrono::duration<double, std::milli>(b - a).count(),
           std::chrono::duration<double, std::milli>(b2 - a2).count(), int(ref == bits),
           (long)tc.stats().positions, (long)tc.stats().context_tokens);
    auto ids = tok->encode(piece);
    ASSERT_EQ(ids.size(), 1u) << piece;
    ASSERT_TRUE(tc.accept(ids[0]).ok()) << piece;
  }
  EXPECT_TRUE(tc.complete());
}

}  // namespace
}  // namespace qwl
