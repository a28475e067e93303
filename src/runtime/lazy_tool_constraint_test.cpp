// Tests of the lazy tool-call constraint (tool_choice "auto") over the real Qwen3 vocabulary:
// free text stays free, a <tool_call> token hands the text to the call grammar (wrong names and
// arguments that break the schema are masked) until </tool_call>, calls in a row, calls inside
// a <think> block stay free, the tags spelled out as text are refused where the parser would
// misread them, complete() and accept() semantics, and random generations whose calls all
// parse and validate under a small copy of the chat layer's parsing rules.
#include "runtime/lazy_tool_constraint.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "runtime/sampler.h"
#include "tokenizer/byte_level.h"
#include "tokenizer/test_qwen3.h"

namespace qwl {
namespace {

using Json = nlohmann::ordered_json;

std::shared_ptr<const ConstraintVocab> vocab() {
  static const std::shared_ptr<const ConstraintVocab> v = [] {
    const Tokenizer* tok = testing::qwen3_tokenizer();
    return tok ? ConstraintVocab::build(*tok) : nullptr;
  }();
  return v;
}

const char kTools[] = R"([
  {"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object",
    "properties": {"city": {"type": "string", "maxLength": 12},
                   "days": {"type": "integer", "minimum": 1, "maximum": 7}},
    "required": ["city", "days"]}}},
  {"type": "function", "function": {"name": "send_note", "parameters": {"type": "object",
    "properties": {"text": {"type": "string"}}, "required": ["text"]}}}])";

// One program for the whole binary, as a server keeps it.
std::shared_ptr<const LazyToolCallProgram> program() {
  static const std::shared_ptr<const LazyToolCallProgram> p = [] {
    auto v = vocab();
    if (v == nullptr) return std::shared_ptr<const LazyToolCallProgram>();
    auto compiled = LazyToolCallProgram::compile(v, kTools);
    EXPECT_TRUE(compiled.ok()) << compiled.status().to_string();
    return compiled.ok() ? *compiled : nullptr;
  }();
  return p;
}

class LazyToolCallTest : public ::testing::Test {
 protected:
  void SetUp() override {
    tok_ = testing::qwen3_tokenizer();
    ASSERT_NE(tok_, nullptr);
    v_ = vocab();
    p_ = program();
    ASSERT_NE(p_, nullptr);
    open_ = *v_->special_token("<tool_call>");
    close_ = *v_->special_token("</tool_call>");
    think_ = *v_->special_token("<think>");
    think_end_ = *v_->special_token("</think>");
    im_end_ = *v_->special_token("<|im_end|>");
  }

  // The one token `text` encodes to.
  int32_t id(std::string_view text) const {
    const std::vector<int32_t> ids = tok_->encode(text, /*parse_special=*/false);
    EXPECT_EQ(ids.size(), 1u) << text;
    return ids.empty() ? -1 : ids[0];
  }

  // The mask apply() makes, as "allowed" flags.
  std::vector<bool> mask(LogitsConstraint& c) const {
    std::vector<float> logits(v_->n_vocab(), 0.0f);
    c.apply(logits);
    std::vector<bool> out(logits.size());
    for (size_t i = 0; i < logits.size(); ++i) out[i] = std::isfinite(logits[i]);
    return out;
  }

  // Accepts the tokens of `text` (tokenized without special tokens: the tags are added with
  // their ids where a test wants them).
  void feed(LogitsConstraint& c, std::string_view text) const {
    for (int32_t t : tok_->encode(text, /*parse_special=*/false)) {
      const Status s = c.accept(t);
      ASSERT_TRUE(s.ok()) << s.to_string() << " at '" << tok_->token_text(t) << "' of " << text;
    }
  }

  const Tokenizer* tok_ = nullptr;
  std::shared_ptr<const ConstraintVocab> v_;
  std::shared_ptr<const LazyToolCallProgram> p_;
  int32_t open_ = -1, close_ = -1, think_ = -1, think_end_ = -1, im_end_ = -1;
};

int64_t count_allowed(const std::vector<bool>& m) {
  return std::count(m.begin(), m.end(), true);
}

TEST_F(LazyToolCallTest, FreeTextIsUnconstrained) {
  auto c = make_lazy_tool_call_constraint(p_);
  EXPECT_TRUE(c->complete());
  const std::vector<bool> m = mask(*c);
  // Everything but the few tokens that would spell "<tool_call>" from here (none at the start).
  EXPECT_EQ(count_allowed(m), v_->n_vocab());
  feed(*c, "Sure! Let me check the weather <for> you: {\"name\": 1} 你好");
  EXPECT_TRUE(c->complete());
  const std::vector<bool> after = mask(*c);
  EXPECT_TRUE(after[id("hello")]);
  EXPECT_TRUE(after[open_]);
  EXPECT_TRUE(after[im_end_]);
  EXPECT_TRUE(after[think_]);
  ASSERT_TRUE(c->accept(im_end_).ok());
  EXPECT_TRUE(c->complete());
}

TEST_F(LazyToolCallTest, PaddingRowsAreMasked) {
  auto c = make_lazy_tool_call_constraint(p_);
  std::vector<float> logits(v_->n_vocab() + 100, 0.0f);
  c->apply(logits);
  EXPECT_TRUE(std::isfinite(logits[v_->n_vocab() - 1]));
  EXPECT_FALSE(std::isfinite(logits[v_->n_vocab()]));
  EXPECT_EQ(c->accept(v_->n_vocab()).code(), StatusCode::kInvalidArgument);
}

TEST_F(LazyToolCallTest, AfterToolCallOnlyAValidCallIsAllowed) {
  auto c = make_lazy_tool_call_constraint(p_);
  feed(*c, "I will look it up.\n\n");
  ASSERT_TRUE(c->accept(open_).ok());
  EXPECT_FALSE(c->complete());
  std::vector<bool> m = mask(*c);
  EXPECT_TRUE(m[id("\n")]);
  EXPECT_FALSE(m[id("hello")]);
  EXPECT_FALSE(m[im_end_]);  // the call must be finished first
  EXPECT_EQ(c->accept(im_end_).code(), StatusCode::kInvalidArgument);
  feed(*c, "\n{\"name\": \"");
  // The name: one of the tools.
  m = mask(*c);
  EXPECT_TRUE(m[id("get")]);
  EXPECT_TRUE(m[id("send")]);
  EXPECT_FALSE(m[id("delete")]);
  EXPECT_EQ(c->accept(id("delete")).code(), StatusCode::kInvalidArgument);
  feed(*c, "get_weather\", \"arguments\": {\"city\": \"Paris\", \"days\": ");
  // days: an integer in 1..7.
  m = mask(*c);
  EXPECT_TRUE(m[id("3")]);
  EXPECT_FALSE(m[id("9")]);
  EXPECT_FALSE(m[id("\"")]);
  EXPECT_FALSE(m[close_]);
  EXPECT_EQ(c->accept(id("9")).code(), StatusCode::kInvalidArgument);
  feed(*c, "3}}\n");
  EXPECT_FALSE(c->complete());
  m = mask(*c);
  EXPECT_TRUE(m[close_]);
  EXPECT_EQ(count_allowed(m), 1);
  ASSERT_TRUE(c->accept(close_).ok());
  // Free again.
  EXPECT_TRUE(c->complete());
  m = mask(*c);
  EXPECT_TRUE(m[id("hello")]);
  EXPECT_TRUE(m[im_end_]);
  ASSERT_TRUE(c->accept(im_end_).ok());
}

TEST_F(LazyToolCallTest, TwoCallsInARowAreEachConstrained) {
  auto c = make_lazy_tool_call_constraint(p_);
  for (int k = 0; k < 2; ++k) {
    ASSERT_TRUE(c->accept(open_).ok()) << k;
    feed(*c, k == 0 ? "\n{\"name\": \"send_note\", \"arguments\": {\"text\": \"hi\"}}\n"
                    : "\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Oslo\", "
                      "\"days\": 7}}\n");
    EXPECT_FALSE(c->complete());
    ASSERT_TRUE(c->accept(close_).ok()) << k;
    EXPECT_TRUE(c->complete());
    feed(*c, "\n");
  }
  // A third call starts constrained again, from the first byte.
  ASSERT_TRUE(c->accept(open_).ok());
  feed(*c, "\n{\"name\": \"");
  const std::vector<bool> m = mask(*c);
  EXPECT_FALSE(m[id("Paris")]);
  EXPECT_TRUE(m[id("send")]);
}

TEST_F(LazyToolCallTest, WithoutParallelCallsASecondCallIsRefused) {
  auto c = make_lazy_tool_call_constraint(p_, {.parallel = false});
  ASSERT_TRUE(c->accept(open_).ok());
  feed(*c, "\n{\"name\": \"send_note\", \"arguments\": {\"text\": \"a\"}}\n");
  ASSERT_TRUE(c->accept(close_).ok());
  std::vector<bool> m = mask(*c);
  EXPECT_FALSE(m[open_]);
  EXPECT_TRUE(m[id("Done")]);
  EXPECT_EQ(c->accept(open_).code(), StatusCode::kInvalidArgument);
  feed(*c, "Done.");
  EXPECT_TRUE(c->complete());
}

TEST_F(LazyToolCallTest, CallsInsideThinkAreReasoningAndStayFree) {
  auto c = make_lazy_tool_call_constraint(p_);
  feed(*c, "\n");
  ASSERT_TRUE(c->accept(think_).ok());
  feed(*c, "\nMaybe ");
  ASSERT_TRUE(c->accept(open_).ok());  // reasoning text, not a call
  EXPECT_TRUE(c->complete());
  std::vector<bool> m = mask(*c);
  EXPECT_TRUE(m[id("hello")]);
  EXPECT_TRUE(m[think_end_]);
  feed(*c, "{\"name\": \"drop_table\"}");
  ASSERT_TRUE(c->accept(close_).ok());
  feed(*c, " or <tool_call> written out.\n");  // spelled out inside reasoning: free
  ASSERT_TRUE(c->accept(think_end_).ok());
  feed(*c, "\n\n");
  // After </think>, a call is a call.
  ASSERT_TRUE(c->accept(open_).ok());
  EXPECT_FALSE(c->complete());
  m = mask(*c);
  EXPECT_FALSE(m[id("hello")]);
  EXPECT_TRUE(m[id("\n")]);
}

TEST_F(LazyToolCallTest, ThePromptCanOpenTheThinkBlock) {
  auto c = make_lazy_tool_call_constraint(p_, {.thinking_open = true});
  ASSERT_TRUE(c->accept(open_).ok());
  feed(*c, "hello");
  ASSERT_TRUE(c->accept(think_end_).ok());
  ASSERT_TRUE(c->accept(open_).ok());
  EXPECT_FALSE(mask(*c)[id("hello")]);
}

// The parser opens reasoning only at the start of the output: a <think> after text is text, and
// a call after it is a call.
TEST_F(LazyToolCallTest, ThinkAfterTextIsNotReasoning) {
  for (const bool spelled : {false, true}) {
    auto c = make_lazy_tool_call_constraint(p_);
    feed(*c, "Hi ");
    if (spelled) {
      feed(*c, "<think>");
    } else {
      ASSERT_TRUE(c->accept(think_).ok());
    }
    ASSERT_TRUE(c->accept(open_).ok());
    EXPECT_FALSE(c->complete()) << spelled;
  }
  // At the start (after whitespace), the spelled-out tag opens reasoning like the token.
  auto c = make_lazy_tool_call_constraint(p_);
  feed(*c, " \n");
  for (const char* piece : {"<", "think", ">"}) ASSERT_TRUE(c->accept(id(piece)).ok());
  ASSERT_TRUE(c->accept(open_).ok());
  EXPECT_TRUE(c->complete());
  for (const char* piece : {"</", "think", ">"}) ASSERT_TRUE(c->accept(id(piece)).ok());
  ASSERT_TRUE(c->accept(open_).ok());
  EXPECT_FALSE(c->complete());
}

TEST_F(LazyToolCallTest, SpelledOutTagsAreRefusedWhereTheParserWouldMisreadThem) {
  // Free text: "<tool_call>" written as text would read as a call the grammar never saw.
  auto c = make_lazy_tool_call_constraint(p_);
  feed(*c, "Calling ");
  for (const char* piece : {"<", "tool", "_call"}) ASSERT_TRUE(c->accept(id(piece)).ok());
  std::vector<bool> m = mask(*c);
  EXPECT_FALSE(m[id(">")]);
  EXPECT_FALSE(m[id(">\n")]);
  EXPECT_TRUE(m[id("s")]);
  EXPECT_EQ(c->accept(id(">")).code(), StatusCode::kInvalidArgument);
  ASSERT_TRUE(c->accept(id("s")).ok());  // "<tool_calls" is harmless
  feed(*c, " and <tool_call");
  EXPECT_EQ(c->accept(id(">")).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(p_->refused(LazyToolCallProgram::kFree).size(), 0u)
      << "a single token spells <tool_call>";
  // The token itself may follow a partial tag: the text "<tool_call<tool_call>" reads as a
  // call at the token.
  ASSERT_TRUE(c->accept(open_).ok());
  EXPECT_FALSE(c->complete());

  // Inside a call: "</tool_call>" in a JSON string would end the call early for the parser;
  // the escaped form is fine.
  auto d = make_lazy_tool_call_constraint(p_);
  ASSERT_TRUE(d->accept(open_).ok());
  feed(*d, "\n{\"name\": \"send_note\", \"arguments\": {\"text\": \"see ");
  for (const char* piece : {"</", "tool", "_call"}) ASSERT_TRUE(d->accept(id(piece)).ok());
  m = mask(*d);
  EXPECT_FALSE(m[id(">")]);
  EXPECT_FALSE(m[id(">\"")]);
  EXPECT_TRUE(m[id("\"")]);
  EXPECT_EQ(d->accept(id(">")).code(), StatusCode::kInvalidArgument);
  feed(*d, " <\\/tool_call>\"}}\n");
  ASSERT_TRUE(d->accept(close_).ok());
  EXPECT_TRUE(d->complete());
}

// A refused token changes nothing: the mask afterwards is the mask before, and the text goes
// on as if the token had not been offered.
TEST_F(LazyToolCallTest, RefusedTokensLeaveTheStateUnchanged) {
  auto c = make_lazy_tool_call_constraint(p_);
  feed(*c, "ok <tool_call");
  std::vector<bool> before = mask(*c);
  EXPECT_EQ(c->accept(id(">")).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(c->accept(-1).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(mask(*c), before);

  ASSERT_TRUE(c->accept(open_).ok());
  feed(*c, "\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Rome\", \"days\": ");
  before = mask(*c);
  for (int32_t bad : {id("0"), id("x"), im_end_, open_, think_end_, close_}) {
    EXPECT_EQ(c->accept(bad).code(), StatusCode::kInvalidArgument) << bad;
    EXPECT_FALSE(c->complete());
  }
  EXPECT_EQ(mask(*c), before);
  feed(*c, "2}}\n");
  ASSERT_TRUE(c->accept(close_).ok());
  EXPECT_TRUE(c->complete());
}

TEST_F(LazyToolCallTest, EndOfGenerationIsFinal) {
  auto c = make_lazy_tool_call_constraint(p_);
  feed(*c, "Hello.");
  ASSERT_TRUE(c->accept(im_end_).ok());
  EXPECT_TRUE(c->complete());
  const std::vector<bool> m = mask(*c);
  EXPECT_TRUE(m[im_end_]);
  EXPECT_EQ(count_allowed(m), static_cast<int64_t>(v_->eog_tokens().size()));
  EXPECT_EQ(c->accept(id("more")).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(c->accept(open_).code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(c->accept(im_end_).ok());
}

// Constraints made from one program share its analyses: the second call pays for nothing the
// first one analysed.
TEST_F(LazyToolCallTest, CallsShareTheProgramsAnalyses) {
  auto fresh = LazyToolCallProgram::compile(v_, kTools);
  ASSERT_TRUE(fresh.ok());
  const std::string call = "\n{\"name\": \"send_note\", \"arguments\": {\"text\": \"x\"}}\n";
  auto c = make_lazy_tool_call_constraint(*fresh);
  ASSERT_TRUE(c->accept(open_).ok());
  for (int32_t t : tok_->encode(call, false)) {
    mask(*c);
    ASSERT_TRUE(c->accept(t).ok());
  }
  const size_t analysed = (*fresh)->call_program()->n_positions();
  EXPECT_GT(analysed, 0u);
  ASSERT_TRUE(c->accept(close_).ok());
  for (int k = 0; k < 2; ++k) {
    auto other = k == 0 ? std::move(c) : make_lazy_tool_call_constraint(*fresh);
    ASSERT_TRUE(other->accept(open_).ok());
    for (int32_t t : tok_->encode(call, false)) {
      mask(*other);
      ASSERT_TRUE(other->accept(t).ok());
    }
    ASSERT_TRUE(other->accept(close_).ok());
  }
  EXPECT_EQ((*fresh)->call_program()->n_positions(), analysed);
}

TEST(LazyToolCallProgramTest, VocabularyWithoutToolCallTokenIsNotFound) {
  std::vector<std::string> tokens;
  std::vector<int64_t> types;
  for (int b = 0; b < 256; ++b) {
    tokens.push_back(bytes_to_vocab_text(std::string(1, static_cast<char>(b))));
    types.push_back(1);
  }
  tokens.push_back("<|end|>");
  types.push_back(3);
  Metadata m;
  m.set("tokenizer.ggml.model", MetaValue::string("gpt2"));
  m.set("tokenizer.ggml.pre", MetaValue::string("qwen2"));
  m.set("tokenizer.ggml.tokens", MetaValue::string_array(tokens));
  m.set("tokenizer.ggml.token_type", MetaValue::integer_array(ValueType::kInt32, types));
  m.set("tokenizer.ggml.merges", MetaValue::string_array({}));
  m.set("tokenizer.ggml.eos_token_id", MetaValue::uint32(256));
  Result<Tokenizer> tok = Tokenizer::from_metadata(m);
  ASSERT_TRUE(tok.ok()) << tok.status().to_string();
  auto c = make_lazy_tool_call_constraint(ConstraintVocab::build(*tok), kTools);
  EXPECT_EQ(c.status().code(), StatusCode::kNotFound);
  EXPECT_NE(c.status().message().find("<tool_call>"), std::string::npos);
}

TEST(LazyToolCallProgramTest, ToolErrorsNameTheTool) {
  auto v = vocab();
  ASSERT_NE(v, nullptr);
  auto c = make_lazy_tool_call_constraint(
      v, R"([{"type": "function", "function": {"name": "f", "parameters": {"not": {}}}}])");
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("tools[0] (f)"), std::string::npos) << c.status().to_string();
  EXPECT_EQ(make_lazy_tool_call_constraint(v, "[]").status().code(), StatusCode::kInvalidArgument);
}

// ---------------------------------------------------------------------------------------------
// Random generations. The reading below follows chat/tool_call_parser.h's rules (reasoning at
// the start up to the first </think>; each <tool_call>...</tool_call> after it is a call).

bool valid_arguments(const std::string& name, const Json& args, std::string* why) {
  if (!args.is_object()) return *why = "arguments not an object", false;
  std::set<std::string> keys;
  for (const auto& [k, value] : args.items()) keys.insert(k);
  if (name == "get_weather") {
    if (keys != std::set<std::string>{"city", "days"}) return *why = "keys", false;
    if (!args["city"].is_string()) return *why = "city", false;
    const std::string city = args["city"].get<std::string>();
    size_t chars = 0;
    for (unsigned char ch : city) chars += (ch & 0xC0) != 0x80;
    if (chars > 12) return *why = "city too long", false;
    if (!args["days"].is_number_integer()) return *why = "days type", false;
    const int64_t days = args["days"].get<int64_t>();
    if (days < 1 || days > 7) return *why = "days range", false;
    return true;
  }
  if (name == "send_note") {
    if (keys != std::set<std::string>{"text"} || !args["text"].is_string())
      return *why = "text", false;
    return true;
  }
  return *why = "unknown tool " + name, false;
}

TEST_F(LazyToolCallTest, RandomGenerationsWriteOnlyValidCalls) {
  // A random model is pushed towards spelling the tags out piece by piece, so that the
  // scanner's refusals are exercised: the pieces get a bonus, and the piece that continues
  // the previous one a larger one.
  const std::vector<int32_t> tricky = {id("<"),    id("</"),    id(">"),
                                       id("tool"), id("_call"), id("think")};
  const std::map<int32_t, std::vector<int32_t>> continues = {{id("<"), {id("tool"), id("think")}},
                                                             {id("</"), {id("tool"), id("think")}},
                                                             {id("tool"), {id("_call")}},
                                                             {id("_call"), {id(">")}},
                                                             {id("think"), {id(">")}}};
  Rng rng(11);
  int calls_seen = 0;
  int unconstrained_seen = 0;
  int near_misses = 0;
  std::vector<float> logits(v_->n_vocab());
  for (int k = 0; k < 16; ++k) {
    auto c = make_lazy_tool_call_constraint(p_);
    std::string text;
    std::vector<size_t> open_at;  // text offsets of the <tool_call> tokens
    bool ended = false;
    int in_call_steps = 0;
    int32_t last = -1;
    for (int step = 0; step < 160; ++step) {
      for (float& x : logits) x = static_cast<float>(rng.uniform());
      if (step == 0 && k % 3 == 0) logits[think_] += 20.0f;
      for (int32_t t : tricky) logits[t] += 0.9f;
      if (auto it = continues.find(last); it != continues.end()) {
        for (int32_t t : it->second) logits[t] += 1.5f;
      }
      logits[open_] += rng.uniform() < 0.1 ? 20.0f : 0.0f;
      logits[think_end_] += rng.uniform() < 0.05 ? 20.0f : 0.0f;
      if (c->complete()) {
        in_call_steps = 0;
        if (step > 120) logits[im_end_] += 20.0f;
      } else if (++in_call_steps > 20) {
        // Let calls end: closing characters, then the closing token.
        for (int32_t t : {id("\""), id("}"), id("}\n"), id("\"}"), id("\n"), close_})
          logits[t] += 5.0f;
      }
      c->apply(logits);
      const auto best = std::max_element(logits.begin(), logits.end());
      ASSERT_TRUE(std::isfinite(*best)) << text;
      const auto t = static_cast<int32_t>(best - logits.begin());
      const Status st = c->accept(t);
      ASSERT_TRUE(st.ok()) << st.to_string() << " after: " << text;
      if (v_->is_eog(t)) {
        ended = true;
        break;
      }
      if (t == open_) open_at.push_back(text.size());
      last = t;
      text += v_->is_text(t) ? std::string(v_->text_bytes(t)) : tok_->token_text(t);
    }
    // Tags spelled out up to their last byte, which was then refused (or not wanted).
    for (size_t at = text.find("<tool_call"); at != std::string::npos;
         at = text.find("<tool_call", at + 1)) {
      near_misses += text.compare(at, 11, "<tool_call>") != 0;
    }
    // Read it as the parser does.
    size_t pos = 0;
    const size_t first = text.find_first_not_of(" \t\n\r");
    if (first != std::string::npos && text.compare(first, 7, "<think>") == 0) {
      const size_t end = text.find("</think>", first);
      if (end == std::string::npos) continue;  // all reasoning
      pos = end + 8;
    }
    const auto opens_after =
        std::count_if(open_at.begin(), open_at.end(), [&](size_t at) { return at >= pos; });
    unconstrained_seen += static_cast<int>(open_at.size() - opens_after);
    int calls = 0;
    for (size_t at = text.find("<tool_call>", pos); at != std::string::npos;
         at = text.find("<tool_call>", at + 1)) {
      ++calls;
      const size_t body = at + 11;
      const size_t close = text.find("</tool_call>", body);
      if (close == std::string::npos) {
        EXPECT_FALSE(ended) << "an unclosed call at the end: " << text;
        break;
      }
      const std::string inner = text.substr(body, close - body);
      ASSERT_GE(inner.size(), 2u) << text;
      EXPECT_EQ(inner.front(), '\n');
      EXPECT_EQ(inner.back(), '\n');
      const Json call = Json::parse(inner, nullptr, /*allow_exceptions=*/false);
      ASSERT_TRUE(call.is_object()) << inner;
      ASSERT_TRUE(call.contains("name") && call["name"].is_string()) << inner;
      std::string why;
      EXPECT_TRUE(valid_arguments(call["name"].get<std::string>(), call["arguments"], &why))
          << why << ": " << inner;
      ++calls_seen;
      at = close;
    }
    // Every call the parser finds began with the token: none was spelled out.
    EXPECT_EQ(calls, opens_after) << text;
  }
  EXPECT_GT(calls_seen, 10);
  EXPECT_GT(unconstrained_seen, 0);  // some calls fell inside reasoning and were left free
  EXPECT_GT(near_misses, 5);
}

}  // namespace
}  // namespace qwl
