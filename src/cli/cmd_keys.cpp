// `qwenlayer keys`: API keys for the server's users, kept as SHA-256 hashes in a key file that
// `qwenlayer serve --keys-file` loads (server/api_keys.h has the format). A new key is printed
// once, when it is created; the file never holds it.
#include <fmt/format.h>

#include <filesystem>
#include <memory>
#include <string>

#include "base/mmap_file.h"
#include "cli/common.h"
#include "server/api_keys.h"

namespace qwl::cli {
namespace {

struct KeysArgs {
  std::string file;
  std::string user;
  std::string role = "customer";
  int max_concurrent = 0;
  std::string label;
  std::string id;
};

// The file's text, or "" when it does not exist yet.
Result<std::string> read_key_file(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return std::string();
  return read_file(path);
}

Status write_records(const std::string& path, const std::vector<auth::ApiKeyRecord>& records) {
  std::string text =
      "# qwenlayer API keys: HASH USER ROLE MAX_CONCURRENT [LABEL] (SHA-256 of each key; the "
      "keys themselves are not kept)\n";
  for (const auth::ApiKeyRecord& r : records) text += auth::format_key_line(r) + "\n";
  return write_file_atomic(path, text);
}

Status create(const KeysArgs& a) {
  if (a.user.empty() || a.user.find_first_of(" \t\r\n") != std::string::npos)
    return InvalidArgumentError("--user: a user id without spaces is required");
  QWL_ASSIGN_OR_RETURN(auth::Role role, auth::parse_role(a.role));
  QWL_ASSIGN_OR_RETURN(std::string text, read_key_file(a.file));
  QWL_ASSIGN_OR_RETURN(std::vector<auth::ApiKeyRecord> records, auth::parse_key_file(text));
  QWL_ASSIGN_OR_RETURN(std::string key, auth::generate_api_key());
  auth::ApiKeyRecord record{.hash = auth::hash_api_key(key),
                            .user_id = a.user,
                            .role = role,
                            .max_concurrent = a.max_concurrent,
                            .label = a.label};
  records.push_back(record);
  QWL_RETURN_IF_ERROR(write_records(a.file, records));
  fmt::print(stderr, "created key {} for {} ({}) in {}; it is shown only now:\n",
             auth::key_id(record.hash), a.user, a.role, a.file);
  fmt::print("{}\n", key);
  return Status::Ok();
}

Status list(const KeysArgs& a) {
  QWL_ASSIGN_OR_RETURN(std::string text, read_file(a.file));
  QWL_ASSIGN_OR_RETURN(std::vector<auth::ApiKeyRecord> records, auth::parse_key_file(text));
  fmt::print("{:<14} {:<20} {:<9} {:>14}  {}\n", "id", "user", "role", "max concurrent", "label");
  for (const auth::ApiKeyRecord& r : records)
    fmt::print("{:<14} {:<20} {:<9} {:>14}  {}\n", auth::key_id(r.hash), r.user_id,
               auth::role_name(r.role), r.max_concurrent, r.label);
  return Status::Ok();
}

Status revoke(const KeysArgs& a) {
  QWL_ASSIGN_OR_RETURN(std::string text, read_file(a.file));
  QWL_ASSIGN_OR_RETURN(std::vector<auth::ApiKeyRecord> records, auth::parse_key_file(text));
  const size_t before = records.size();
  std::erase_if(records, [&](const auth::ApiKeyRecord& r) { return auth::key_id(r.hash) == a.id; });
  if (records.size() == before)
    return NotFoundError("{}: no key with id {} (see 'qwenlayer keys list')", a.file, a.id);
  QWL_RETURN_IF_ERROR(write_records(a.file, records));
  fmt::print(stderr, "revoked key {}; a running server picks it up when restarted\n", a.id);
  return Status::Ok();
}

}  // namespace

void add_keys(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<KeysArgs>();
  CLI::App* cmd = app.add_subcommand(
      "keys",
      "API keys for `qwenlayer serve --keys-file FILE`, stored as SHA-256 hashes.\n"
      "Example: qwenlayer keys create --file data/keys.txt --user alice --max-concurrent 4\n"
      "         qwenlayer keys list --file data/keys.txt");
  cmd->require_subcommand(1);
  auto file_option = [&](CLI::App* sub) {
    sub->add_option("--file", args->file, "The key file")->required()->envname("QWL_KEYS_FILE");
  };
  CLI::App* c = cmd->add_subcommand("create", "Create a key; prints it once on stdout");
  file_option(c);
  c->add_option("--user", args->user, "The user the key acts as")->required();
  c->add_option("--role", args->role, "customer, merchant or admin")->capture_default_str();
  c->add_option("--max-concurrent", args->max_concurrent,
                "Requests in flight at most with this key (0 = no limit)")
      ->check(CLI::Range(0, 1000000))
      ->capture_default_str();
  c->add_option("--label", args->label, "What the owner calls the key");
  c->callback([args, &exit_code] { exit_code = report(create(*args)); });
  CLI::App* l = cmd->add_subcommand("list", "List the keys (ids, users, roles; never the keys)");
  file_option(l);
  l->callback([args, &exit_code] { exit_code = report(list(*args)); });
  CLI::App* r = cmd->add_subcommand("revoke", "Remove a key by its id");
  file_option(r);
  r->add_option("--id", args->id, "The key's id, as 'keys list' shows it")->required();
  r->callback([args, &exit_code] { exit_code = report(revoke(*args)); });
}

}  // namespace qwl::cli
