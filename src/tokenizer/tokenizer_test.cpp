// Tests of Tokenizer: known ids of the real Qwen3 tokenizer (expected values come from the
// reference, tests/oracle/encode_text.mjs), decode, the streaming decoder, concurrency, and
// from_metadata's errors on a toy vocabulary.
#include "tokenizer/tokenizer.h"

#include <gtest/gtest.h>

#include <atomic>
#include <functional>
#include <thread>

#include "tokenizer/byte_level.h"
#include "tokenizer/test_qwen3.h"
#include "tokenizer/unicode.h"

namespace qwl {
namespace {

using Ids = std::vector<int32_t>;
const std::string kFffd = "\xEF\xBF\xBD";

class Qwen3Test : public ::testing::Test {
 protected:
  void SetUp() override {
    tok_ = testing::qwen3_tokenizer();
    ASSERT_NE(tok_, nullptr);
  }
  const Tokenizer* tok_ = nullptr;
};

TEST_F(Qwen3Test, KnownIds) {
  EXPECT_EQ(tok_->encode("Hello world! 你好，世界。"),
            (Ids{9707, 1879, 0, 220, 108386, 3837, 99489, 1773}));
  EXPECT_EQ(tok_->encode("<|im_start|>"), (Ids{151644}));
  EXPECT_EQ(tok_->encode("<|im_start|>user\nWhat's 2+2? <think>ok</think><tool_call>{\"a\": "
                         "1}</tool_call><|im_end|>"),
            (Ids{151644, 872,    198,    3838, 594, 220, 17,  10, 17, 30,     220,   151667,
                 562,    151668, 151657, 4913, 64,  788, 220, 16, 92, 151658, 151645}));
  EXPECT_EQ(tok_->encode("<|im_sta"), (Ids{27, 91, 318, 79951}));
  EXPECT_EQ(tok_->encode("DON'T it's"), (Ids{84641, 17323, 432, 594}));
  EXPECT_EQ(tok_->encode("e\xCC\x81"), (Ids{963}));  // NFC first: é
  EXPECT_EQ(tok_->encode("🚀👨‍👩‍👧 👍🏽"),
            (Ids{145836, 145367, 378, 235, 145233, 378, 235, 145665, 61804, 235, 145375}));
  EXPECT_EQ(tok_->encode("    x = 1"), (Ids{262, 856, 284, 220, 16}));
  EXPECT_EQ(tok_->encode("<|fim_prefix|>a"), (Ids{151659, 64}));
  EXPECT_TRUE(tok_->encode("").empty());
}

// Cases where the reference (a JavaScript regex) differs from Hugging Face's Rust tokenizers:
// U+FEFF is whitespace and U+0085 is not, and contractions match ASCII letters only ("'ſt").
TEST_F(Qwen3Test, FollowsTheJavaScriptReferenceOnRareCharacters) {
  EXPECT_EQ(tok_->encode("\xEF\xBB\xBFhi \xC2\x85x"), (Ids{3225, 6023, 2139, 227, 87}));
  EXPECT_EQ(tok_->encode("'\xC5\xBFt"), (Ids{6, 144815, 83}));
  EXPECT_EQ(tok_->encode("a\xE2\x80\xA8"
                         "b"),
            (Ids{64, 378, 101, 65}));
}

// NFC applies to the text between added tokens: U+0338 after "<|im_end|>" does not compose
// with its '>' into U+226F.
TEST_F(Qwen3Test, NormalizationStopsAtAddedTokens) {
  const Ids ids = tok_->encode("<|im_end|>\xCC\xB8");
  EXPECT_EQ(ids, (Ids{151645, 136, 116}));
  EXPECT_EQ(tok_->decode(ids), "<|im_end|>\xCC\xB8");
}

TEST_F(Qwen3Test, ParseSpecialOffEncodesControlTokensAsText) {
  // As plain text "<|im_start|>" splits into "<|", "im", "_start", "|>".
  Ids expected = tok_->encode("<|im_start");
  const Ids tail = tok_->encode("|>");
  expected.insert(expected.end(), tail.begin(), tail.end());
  EXPECT_EQ(tok_->encode("<|im_start|>", false), expected);
  EXPECT_EQ(tok_->decode(tok_->encode("<|im_start|>", false)), "<|im_start|>");
  // User-defined added tokens still match, as in llama.cpp.
  EXPECT_EQ(tok_->encode("<think>", false), (Ids{151667}));
}

TEST_F(Qwen3Test, IllFormedInputIsRepairedFirst) {
  EXPECT_EQ(tok_->encode("a\xFF"
                         "b"),
            tok_->encode("a" + kFffd + "b"));
  EXPECT_EQ(tok_->encode("\xE4\xBD"), tok_->encode(kFffd));
  EXPECT_EQ(tok_->encode("x\xED\xA0\x80y"), tok_->encode("x" + kFffd + kFffd + kFffd + "y"));
}

TEST_F(Qwen3Test, VocabularyFacts) {
  EXPECT_EQ(tok_->n_vocab(), 151936);
  EXPECT_EQ(tok_->n_merges(), 151387u);
  EXPECT_EQ(tok_->eos_id(), 151645);
  EXPECT_EQ(tok_->pad_id(), 151643);
  EXPECT_EQ(tok_->bos_id(), -1);
  EXPECT_FALSE(tok_->add_bos());
  EXPECT_EQ(tok_->token_text(1879), "\xC4\xA0world");  // "Ġworld"
  EXPECT_EQ(tok_->token_bytes(1879), " world");
  EXPECT_EQ(tok_->token_id("\xC4\xA0world"), 1879);
  EXPECT_EQ(tok_->token_id("<|im_end|>"), 151645);
  // eos (<|im_end|> here) once, then <|endoftext|>.
  EXPECT_EQ(tok_->end_of_generation_ids(), (std::vector<int32_t>{151645, 151643}));
  EXPECT_EQ(tok_->token_id("[PAD151700]"), 151700);
  EXPECT_FALSE(tok_->token_id(" world").has_value());  // raw bytes are not vocab text
  EXPECT_FALSE(tok_->token_id("no such token anywhere").has_value());
  EXPECT_TRUE(tok_->is_special(151644));   // <|im_start|>
  EXPECT_TRUE(tok_->is_special(151659));   // <|fim_prefix|>: not special in the file, looks it
  EXPECT_FALSE(tok_->is_special(151667));  // <think>: user-defined
  EXPECT_FALSE(tok_->is_special(9707));
  EXPECT_EQ(tok_->token_type(151667), TokenType::kUserDefined);
  EXPECT_EQ(tok_->token_type(151700), TokenType::kUnused);
  EXPECT_EQ(tok_->token_text(-1), "");
  EXPECT_EQ(tok_->token_text(151936), "");
}

TEST_F(Qwen3Test, DecodeInvertsEncode) {
  for (const std::string text :
       {"Hello world! 你好，世界。", "<|im_start|>system\nYou are helpful.<|im_end|>\n",
        "تجربة عربية ١٢٣", "हिन्दी पाठ", "  \t\r\n\n  trailing  ",
        "👨‍👩‍👧‍👦 🏳️‍🌈 👋🏿",
        "e\xCC\x81 \xE1\x84\x92\xE1\x85\xA1\xE1\x86\xAB"}) {
    EXPECT_EQ(tok_->decode(tok_->encode(text)), nfc(text)) << text;
  }
}

TEST_F(Qwen3Test, DecodeShowsSpecialTokensAndRepairsBrokenBytes) {
  EXPECT_EQ(tok_->decode(Ids{151644, 872, 151645}), "<|im_start|>user<|im_end|>");
  EXPECT_EQ(tok_->decode(Ids{151700, -5, 999999}), "");
  // The single-byte token of 0xE4 alone is an unfinished character.
  const int32_t e4 = *tok_->token_id(bytes_to_vocab_text("\xE4"));
  EXPECT_EQ(tok_->decode(Ids{e4}), kFffd);
  EXPECT_EQ(tok_->decode(Ids{e4, 151645}), kFffd + "<|im_end|>");
}

TEST_F(Qwen3Test, StreamDecoderHoldsBackPartialCharacters) {
  auto byte_id = [&](char b) { return *tok_->token_id(bytes_to_vocab_text(std::string(1, b))); };
  Tokenizer::StreamDecoder dec(*tok_);
  EXPECT_EQ(dec.push(byte_id('\xE4')), "");
  EXPECT_EQ(dec.push(byte_id('\xBD')), "");
  EXPECT_EQ(dec.push(byte_id('\xA0')), "你");
  EXPECT_EQ(dec.push(9707), "Hello");
  EXPECT_EQ(dec.push(byte_id('\xF0')), "");
  EXPECT_EQ(dec.push(byte_id('\x9F')), "");
  EXPECT_EQ(dec.flush(), kFffd);  // never completed
  EXPECT_EQ(dec.flush(), "");
  // A byte that can never start a character comes out at once.
  EXPECT_EQ(dec.push(byte_id('\xFF')), kFffd);
  // An unfinished character cut by a special token.
  EXPECT_EQ(dec.push(byte_id('\xE4')), "");
  EXPECT_EQ(dec.push(151645), kFffd + "<|im_end|>");
}

TEST_F(Qwen3Test, StreamDecoderMatchesDecode) {
  // Emoji sequences split their bytes across tokens (378, 235 above are parts of U+200D).
  const std::string text =
      "🚀👨‍👩‍👧 👍🏽 你好，世界 ꦲꦏ꧀ꦱꦫ ∮ E⋅da = Q";
  const Ids ids = tok_->encode(text);
  Tokenizer::StreamDecoder dec(*tok_);
  std::string streamed;
  for (int32_t id : ids) {
    const std::string part = dec.push(id);
    EXPECT_TRUE(utf8_is_valid(part)) << id;
    streamed += part;
  }
  streamed += dec.flush();
  EXPECT_EQ(streamed, tok_->decode(ids));
  EXPECT_EQ(streamed, nfc(text));
}

TEST_F(Qwen3Test, ConcurrentEncodeGivesTheSameIds) {
  const std::vector<std::string> texts = {
      "The quick brown fox jumps over the lazy dog. " + std::string(50, '!'),
      "并发编码必须得到相同的结果，缓存也必须是线程安全的。",
      "def f(x):\n    return x * 2  # doubled\n",
      "Ünïcödé wörds wïth äccents, répétés répétés répétés.",
  };
  std::vector<Ids> expected;
  for (const std::string& t : texts) expected.push_back(tok_->encode(t));
  std::vector<std::thread> threads;
  std::atomic<int> mismatches{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int round = 0; round < 200; ++round) {
        const size_t i = static_cast<size_t>(t + round) % texts.size();
        if (tok_->encode(texts[i]) != expected[i]) ++mismatches;
      }
    });
  }
  for (std::thread& th : threads) th.join();
  EXPECT_EQ(mismatches.load(), 0);
}

// A toy gpt2/qwen2 vocabulary: the 256 byte tokens, "he" from one merge, a control token, a
// user-defined token and one padding entry.
Metadata toy_metadata() {
  std::vector<std::string> tokens;
  std::vector<int64_t> types;
  for (int b = 0; b < 256; ++b) {
    tokens.push_back(bytes_to_vocab_text(std::string(1, static_cast<char>(b))));
    types.push_back(1);
  }
  tokens.push_back("he");  // 256
  types.push_back(1);
  tokens.push_back("<|end|>");  // 257
  types.push_back(3);
  tokens.push_back("<u>");  // 258
  types.push_back(4);
  tokens.push_back("[PAD259]");  // 259
  types.push_back(5);
  Metadata m;
  m.set("tokenizer.ggml.model", MetaValue::string("gpt2"));
  m.set("tokenizer.ggml.pre", MetaValue::string("qwen2"));
  m.set("tokenizer.ggml.tokens", MetaValue::string_array(tokens));
  m.set("tokenizer.ggml.token_type", MetaValue::integer_array(ValueType::kInt32, types));
  m.set("tokenizer.ggml.merges", MetaValue::string_array({"h e"}));
  m.set("tokenizer.ggml.eos_token_id", MetaValue::uint32(257));
  return m;
}

TEST(TokenizerToy, BuildsAndEncodes) {
  Result<Tokenizer> tok = Tokenizer::from_metadata(toy_metadata());
  ASSERT_TRUE(tok.ok()) << tok.status().to_string();
  EXPECT_EQ(tok->encode("hehe<|end|><u>h"), (Ids{256, 256, 257, 258, 'h'}));
  EXPECT_EQ(tok->encode("<|end|>", false), (Ids{'<', '|', 'e', 'n', 'd', '|', '>'}));
  EXPECT_EQ(tok->eos_id(), 257);
  EXPECT_EQ(tok->bos_id(), -1);
  EXPECT_EQ(tok->decode(Ids{256, 257, 258, 259}), "he<|end|><u>");
}

// Applies `edit` to the toy metadata and expects from_metadata to fail with `code` and a
// message that contains `key`.
void expect_error(const std::function<void(Metadata*)>& edit, StatusCode code,
                  std::string_view key) {
  Metadata m = toy_metadata();
  edit(&m);
  Result<Tokenizer> tok = Tokenizer::from_metadata(m);
  ASSERT_FALSE(tok.ok());
  EXPECT_EQ(tok.status().code(), code) << tok.status().to_string();
  EXPECT_NE(tok.status().message().find(key), std::string::npos) << tok.status().to_string();
}

// Metadata has no erase; rebuilding it without one key does the same.
Metadata without(const Metadata& m, std::string_view key) {
  Metadata out;
  for (const auto& [k, v] : m.entries()) {
    if (k != key) out.set(k, v);
  }
  return out;
}

TEST(TokenizerToy, MissingKeysAreNamed) {
  for (const char* key : {"tokenizer.ggml.model", "tokenizer.ggml.pre", "tokenizer.ggml.tokens",
                          "tokenizer.ggml.token_type", "tokenizer.ggml.merges"}) {
    expect_error([&](Metadata* m) { *m = without(*m, key); }, StatusCode::kNotFound, key);
  }
}

TEST(TokenizerToy, WrongTypesAreNamed) {
  expect_error([](Metadata* m) { m->set("tokenizer.ggml.model", MetaValue::uint32(2)); },
               StatusCode::kCorrupt, "tokenizer.ggml.model");
  expect_error(
      [](Metadata* m) { m->set("tokenizer.ggml.tokens", MetaValue::string("not an array")); },
      StatusCode::kCorrupt, "tokenizer.ggml.tokens");
  expect_error(
      [](Metadata* m) {
        m->set("tokenizer.ggml.token_type", MetaValue::string_array({"1", "2"}));
      },
      StatusCode::kCorrupt, "tokenizer.ggml.token_type");
  expect_error(
      [](Metadata* m) {
        m->set("tokenizer.ggml.merges", MetaValue::integer_array(ValueType::kInt32, {1}));
      },
      StatusCode::kCorrupt, "tokenizer.ggml.merges");
  expect_error([](Metadata* m) { m->set("tokenizer.ggml.eos_token_id", MetaValue::string("257")); },
               StatusCode::kCorrupt, "tokenizer.ggml.eos_token_id");
  expect_error([](Metadata* m) { m->set("tokenizer.ggml.add_bos_token", MetaValue::uint32(1)); },
               StatusCode::kCorrupt, "tokenizer.ggml.add_bos_token");
}

TEST(TokenizerToy, BadValuesAreNamed) {
  expect_error([](Metadata* m) { m->set("tokenizer.ggml.model", MetaValue::string("llama")); },
               StatusCode::kUnsupported, "tokenizer.ggml.model");
  expect_error([](Metadata* m) { m->set("tokenizer.ggml.pre", MetaValue::string("llama3")); },
               StatusCode::kUnsupported, "tokenizer.ggml.pre");
  expect_error(
      [](Metadata* m) {
        m->set("tokenizer.ggml.token_type", MetaValue::integer_array(ValueType::kInt32, {1}));
      },
      StatusCode::kCorrupt, "tokenizer.ggml.token_type");
  expect_error(
      [](Metadata* m) { m->set("tokenizer.ggml.merges", MetaValue::string_array({"h x y"})); },
      StatusCode::kCorrupt, "tokenizer.ggml.merges[0]");
  expect_error(
      [](Metadata* m) { m->set("tokenizer.ggml.merges", MetaValue::string_array({"he"})); },
      StatusCode::kCorrupt, "tokenizer.ggml.merges[0]");
  expect_error([](Metadata* m) { m->set("tokenizer.ggml.eos_token_id", MetaValue::uint32(260)); },
               StatusCode::kCorrupt, "tokenizer.ggml.eos_token_id");
  expect_error(
      [](Metadata* m) {
        std::vector<int64_t> types = *m->find("tokenizer.ggml.token_type")->as_int_array();
        types[3] = 6;
        m->set("tokenizer.ggml.token_type", MetaValue::integer_array(ValueType::kInt32, types));
      },
      StatusCode::kUnsupported, "tokenizer.ggml.token_type[3]");
  expect_error(
      [](Metadata* m) {
        std::vector<std::string> tokens = *m->find("tokenizer.ggml.tokens")->as_string_array();
        tokens[65] = "A B";  // no longer the token of byte 'A', and not byte-level text
        m->set("tokenizer.ggml.tokens", MetaValue::string_array(tokens));
      },
      StatusCode::kCorrupt, "tokenizer.ggml.tokens[65]");
  expect_error(
      [](Metadata* m) {
        std::vector<std::string> tokens = *m->find("tokenizer.ggml.tokens")->as_string_array();
        tokens[65] = "ZZ";  // valid text, but now no token stands for the byte 'A'
        m->set("tokenizer.ggml.tokens", MetaValue::string_array(tokens));
      },
      StatusCode::kCorrupt, "0x41");
}

}  // namespace
}  // namespace qwl
