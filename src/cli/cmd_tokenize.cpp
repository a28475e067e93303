// `qwenlayer tokenize`: text to token ids with a model's tokenizer. MODEL may be a GGUF file,
// a Hugging Face folder, or a tokenizer.json; only the tokenizer is loaded.
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <iostream>
#include <iterator>

#include "cli/common.h"
#include "format/model_file.h"
#include "tokenizer/tokenizer.h"

namespace qwl::cli {
namespace {

struct TokenizeArgs {
  std::string model;
  std::string resources;
  std::string text;
  bool stdin_text = false;
  bool ids_only = false;
  bool no_special = false;
};

Status run(TokenizeArgs& a) {
  if (a.stdin_text) a.text.assign(std::istreambuf_iterator<char>(std::cin), {});
  const std::string path =
      a.model.empty() ? default_model_path(resource_dir(a.resources)) : a.model;
  QWL_ASSIGN_OR_RETURN(Metadata meta, load_tokenizer_metadata(path));
  auto tok = Tokenizer::from_metadata(meta);
  if (!tok.ok()) return tok.status().with_context(path);
  const std::vector<int32_t> ids = tok->encode(a.text, !a.no_special);
  if (a.ids_only) {
    const std::string out = nlohmann::json(ids).dump();
    std::fwrite(out.data(), 1, out.size(), stdout);
    std::fputc('\n', stdout);
    return Status::Ok();
  }
  for (int32_t id : ids) {
    const std::string piece = tok->decode(std::span<const int32_t>(&id, 1));
    fmt::print("{:>8} {}\n", id, nlohmann::json(piece).dump());
  }
  fmt::print(stderr, "{} tokens\n", ids.size());
  return Status::Ok();
}

}  // namespace

void add_tokenize(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<TokenizeArgs>();
  CLI::App* cmd = app.add_subcommand(
      "tokenize",
      "Turn text into token ids.\n"
      "MODEL may be a GGUF file, a Hugging Face folder or a tokenizer.json.\n"
      "Example: qwenlayer tokenize -m tokenizer.json --ids \"Hello world! 你好，世界。\"");
  cmd->add_option("-m,--model", args->model, "GGUF file, HF folder or tokenizer.json")
      ->envname("QWL_MODEL");
  cmd->add_option("--resources", args->resources, "Resource directory")->envname("QWL_RESOURCES");
  cmd->add_option("text", args->text, "Text to tokenize");
  cmd->add_flag("--stdin", args->stdin_text, "Read the text from standard input");
  cmd->add_flag("--ids", args->ids_only, "Print only a JSON array of ids");
  cmd->add_flag("--no-special", args->no_special,
                "Treat special-token text (<|im_start|>...) as plain text");
  cmd->callback([args, &exit_code] { exit_code = report(run(*args)); });
}

}  // namespace qwl::cli
