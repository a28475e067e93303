// `qwenlayer keys`: API keys for the server's users, kept as SHA-256 hashes, in one of two places:
//   - the ecosystem database (the default: --db URL, QWL_DB, else data/qwenlayer.db), where keys
//     belong to users (--user EMAIL) and act with the user's current role
//     (services/identity.h); `serve` accepts them on the OpenAI API and the app API;
//   - a key file (--file FILE, QWL_KEYS_FILE) that `qwenlayer serve --keys-file` loads
//     (server/api_keys.h has the format), with free-form user ids and roles; OpenAI API only.
// A new key is printed once, when it is created; neither place ever holds it.
#include <fmt/format.h>

#include <charconv>
#include <ctime>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "base/clock.h"
#include "base/mmap_file.h"
#include "cli/common.h"
#include "server/api_keys.h"
#include "server/app_api.h"
#include "services/identity.h"
#include "store/db.h"

namespace qwl::cli {
namespace {

struct KeysArgs {
  std::string file;
  std::string db = kDefaultDbUrl;
  std::string user;
  std::string role = "customer";
  int max_concurrent = 0;
  std::string label;
  std::string id;
  bool json = false;
  // Which of the options were given (the database mode refuses --role and has its own default
  // for --max-concurrent).
  bool db_given = false;
  CLI::Option* role_option = nullptr;
  CLI::Option* max_concurrent_option = nullptr;
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

Status file_create(const KeysArgs& a) {
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
  if (a.json) {
    fmt::print("{}\n", nlohmann::json{{"id", auth::key_id(record.hash)},
                                      {"key", key},
                                      {"user", a.user},
                                      {"role", a.role},
                                      {"max_concurrent", a.max_concurrent},
                                      {"label", a.label}}
                           .dump());
    return Status::Ok();
  }
  fmt::print(stderr, "created key {} for {} ({}) in {}; it is shown only now:\n",
             auth::key_id(record.hash), a.user, a.role, a.file);
  fmt::print("{}\n", key);
  return Status::Ok();
}

Status file_list(const KeysArgs& a) {
  QWL_ASSIGN_OR_RETURN(std::string text, read_file(a.file));
  QWL_ASSIGN_OR_RETURN(std::vector<auth::ApiKeyRecord> records, auth::parse_key_file(text));
  if (a.json) {
    nlohmann::json all = nlohmann::json::array();
    for (const auth::ApiKeyRecord& r : records)
      all.push_back({{"id", auth::key_id(r.hash)},
                     {"user", r.user_id},
                     {"role", auth::role_name(r.role)},
                     {"max_concurrent", r.max_concurrent},
                     {"label", r.label}});
    fmt::print("{}\n", all.dump());
    return Status::Ok();
  }
  fmt::print("{:<14} {:<20} {:<9} {:>14}  {}\n", "id", "user", "role", "max concurrent", "label");
  for (const auth::ApiKeyRecord& r : records)
    fmt::print("{:<14} {:<20} {:<9} {:>14}  {}\n", auth::key_id(r.hash), r.user_id,
               auth::role_name(r.role), r.max_concurrent, r.label);
  return Status::Ok();
}

Status file_revoke(const KeysArgs& a) {
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

// ---- the database ------------------------------------------------------------------------

struct Opened {
  std::unique_ptr<Db> db;
  std::unique_ptr<services::Identity> identity;
};

Result<Opened> open_identity(const KeysArgs& a) {
  Opened o;
  QWL_ASSIGN_OR_RETURN(o.db, open_database(a.db));
  o.identity = std::make_unique<services::Identity>(*o.db, Clock::real());
  return o;
}

std::string time_text(int64_t us) {
  const std::time_t t = static_cast<std::time_t>(us / 1'000'000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M", &tm);
  return buf;
}

Status db_create(const KeysArgs& a) {
  if (a.role_option->count() > 0)
    return InvalidArgumentError(
        "--role: a database key acts with its user's role (change it with 'qwenlayer users "
        "set-role')");
  QWL_ASSIGN_OR_RETURN(Opened o, open_identity(a));
  QWL_ASSIGN_OR_RETURN(services::User user,
                       o.identity->find_user(services::Actor::system(), a.user));
  services::NewApiKeyParams params{.name = a.label};
  if (a.max_concurrent_option->count() > 0) params.max_concurrent = a.max_concurrent;
  QWL_ASSIGN_OR_RETURN(services::NewApiKey key,
                       o.identity->create_api_key(services::Actor::system(), user.id, params));
  if (a.json) {
    nlohmann::json out = app::api_key_json(key.info);
    out["key"] = key.key;
    fmt::print("{}\n", out.dump());
    return Status::Ok();
  }
  fmt::print(stderr, "created key {} ({}...) for {} ({}) in {}; it is shown only now:\n",
             key.info.id, key.info.prefix, user.email, services::role_name(user.role), o.db->url());
  fmt::print("{}\n", key.key);
  return Status::Ok();
}

Status db_list(const KeysArgs& a) {
  QWL_ASSIGN_OR_RETURN(Opened o, open_identity(a));
  int64_t user_id = 0;
  if (!a.user.empty()) {
    QWL_ASSIGN_OR_RETURN(services::User user,
                         o.identity->find_user(services::Actor::system(), a.user));
    user_id = user.id;
  }
  QWL_ASSIGN_OR_RETURN(std::vector<services::ApiKeyInfo> keys,
                       o.identity->list_api_keys(services::Actor::system(), user_id));
  if (a.json) {
    nlohmann::json all = nlohmann::json::array();
    for (const services::ApiKeyInfo& k : keys) all.push_back(app::api_key_json(k));
    fmt::print("{}\n", all.dump());
    return Status::Ok();
  }
  fmt::print("{:<6} {:<14} {:<32} {:>14}  {:<16} {:<16} {}\n", "id", "prefix", "user",
             "max concurrent", "created (UTC)", "revoked (UTC)", "name");
  for (const services::ApiKeyInfo& k : keys)
    fmt::print("{:<6} {:<14} {:<32} {:>14}  {:<16} {:<16} {}\n", k.id, k.prefix, k.user_email,
               k.max_concurrent, time_text(k.created_at_us),
               k.revoked_at_us ? time_text(*k.revoked_at_us) : "-", k.name);
  return Status::Ok();
}

Status db_revoke(const KeysArgs& a) {
  int64_t id = 0;
  const auto [end, ec] = std::from_chars(a.id.data(), a.id.data() + a.id.size(), id);
  if (a.id.empty() || ec != std::errc() || end != a.id.data() + a.id.size() || id <= 0)
    return InvalidArgumentError("--id: '{}' is not a database key id (see 'qwenlayer keys list')",
                                a.id);
  QWL_ASSIGN_OR_RETURN(Opened o, open_identity(a));
  QWL_RETURN_IF_ERROR(o.identity->revoke_api_key(services::Actor::system(), id));
  if (a.json) {
    fmt::print("{}\n", nlohmann::json{{"id", id}, {"revoked", true}}.dump());
  } else {
    fmt::print(stderr, "revoked key {}; servers refuse it from now on\n", id);
  }
  return Status::Ok();
}

// The key file when --file (or QWL_KEYS_FILE) is given, else the database.
Status check_mode(const KeysArgs& a) {
  if (!a.file.empty() && a.db_given)
    return InvalidArgumentError("--file and --db: give one of them");
  return Status::Ok();
}

Status create(const KeysArgs& a) {
  QWL_RETURN_IF_ERROR(check_mode(a));
  return a.file.empty() ? db_create(a) : file_create(a);
}

Status list(const KeysArgs& a) {
  QWL_RETURN_IF_ERROR(check_mode(a));
  return a.file.empty() ? db_list(a) : file_list(a);
}

Status revoke(const KeysArgs& a) {
  QWL_RETURN_IF_ERROR(check_mode(a));
  return a.file.empty() ? db_revoke(a) : file_revoke(a);
}

}  // namespace

void add_keys(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<KeysArgs>();
  CLI::App* cmd = app.add_subcommand(
      "keys",
      "API keys, stored as SHA-256 hashes: users' keys in the ecosystem database (the default;\n"
      "--db), or a key file for `qwenlayer serve --keys-file` (--file).\n"
      "Example: qwenlayer keys create --user ann@example.com --name laptop --max-concurrent 4\n"
      "         qwenlayer keys list --db postgresql://qwl@db.internal/qwl\n"
      "         qwenlayer keys revoke --id 12\n"
      "         qwenlayer keys create --file data/keys.txt --user alice --role merchant");
  cmd->require_subcommand(1);
  // Returns the --db option, so that a callback can tell whether it was given.
  auto store_options = [&](CLI::App* sub) {
    sub->add_option("--file", args->file, "A key file instead of the database")
        ->envname("QWL_KEYS_FILE");
    sub->add_flag("--json", args->json, "Print only JSON on stdout");
    return add_db_option(sub, args->db);
  };
  CLI::App* c = cmd->add_subcommand("create", "Create a key; prints it once on stdout");
  CLI::Option* c_db = store_options(c);
  c->add_option("--user", args->user,
                "The user the key acts as: an email (database) or a user id (key file)")
      ->required();
  args->role_option =
      c->add_option("--role", args->role, "Key file only: customer, merchant or admin")
          ->capture_default_str();
  args->max_concurrent_option =
      c->add_option("--max-concurrent", args->max_concurrent,
                    "Requests in flight at most with this key (database: 1 or more, default 4; "
                    "key file: 0 = no limit, the default)")
          ->check(CLI::Range(0, 1000000));
  c->add_option("--label,--name", args->label, "What the owner calls the key");
  c->callback([args, c_db, &exit_code] {
    args->db_given = c_db->count() > 0;
    exit_code = report(create(*args));
  });
  CLI::App* l = cmd->add_subcommand("list", "List the keys (ids, users, limits; never the keys)");
  CLI::Option* l_db = store_options(l);
  l->add_option("--user", args->user, "Database: only this user's keys (an email)");
  l->callback([args, l_db, &exit_code] {
    args->db_given = l_db->count() > 0;
    exit_code = report(list(*args));
  });
  CLI::App* r = cmd->add_subcommand("revoke", "Revoke a key by its id");
  CLI::Option* r_db = store_options(r);
  r->add_option("--id", args->id, "The key's id, as 'keys list' shows it")->required();
  r->callback([args, r_db, &exit_code] {
    args->db_given = r_db->count() > 0;
    exit_code = report(revoke(*args));
  });
}

}  // namespace qwl::cli
