// `qwenlayer users`: the accounts of the ecosystem database (services/identity.h), for the
// operator at the console, who acts as the system (an admin). Passwords are read from a file
// (--password-file) or from stdin (typed without echo on a terminal, twice), never taken from
// the command line, where other users could read them in the process list.
//
// Also the database helpers every ecosystem command shares (common.h): --db and open_database().
#include <fmt/format.h>
#include <termios.h>
#include <unistd.h>

#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "base/clock.h"
#include "base/mmap_file.h"
#include "cli/common.h"
#include "server/app_api.h"
#include "services/identity.h"
#include "services/schema.h"
#include "store/db.h"
#include "store/migrations.h"

namespace qwl::cli {

CLI::Option* add_db_option(CLI::App* cmd, std::string& url) {
  return cmd->add_option("--db", url, "The database: a SQLite file or postgresql://USER@HOST/DB")
      ->envname("QWL_DB")
      ->capture_default_str();
}

Result<std::unique_ptr<Db>> open_database(const std::string& url) {
  if (url.empty()) return InvalidArgumentError("--db: the database URL is empty");
  auto db = Db::open(url);
  if (!db.ok()) return db.status().with_context("--db");
  auto migrated = migrate(**db, services::migrations());
  if (!migrated.ok()) return migrated.status().with_context(fmt::format("--db {}", (*db)->url()));
  return std::move(db).value();
}

namespace {

using services::Actor;

struct UsersArgs {
  std::string db = kDefaultDbUrl;
  std::string email;
  std::string name;
  std::string role = "customer";
  std::string locale = "en";
  std::optional<int64_t> daily_limit;
  bool no_limit = false;
  bool password_stdin = false;
  std::string password_file;
  bool enable = false;
  bool json = false;
};

// One line of `text` without its line ending.
std::string first_line(std::string_view text) {
  std::string_view line = text.substr(0, text.find('\n'));
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  return std::string(line);
}

// A line typed on the terminal without echo.
Result<std::string> prompt_hidden(const char* prompt) {
  fmt::print(stderr, "{}", prompt);
  termios old_mode{};
  const bool tty = ::tcgetattr(STDIN_FILENO, &old_mode) == 0;
  if (tty) {
    termios quiet = old_mode;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
  }
  std::string line;
  const bool got = static_cast<bool>(std::getline(std::cin, line));
  if (tty) ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &old_mode);
  fmt::print(stderr, "\n");
  if (!got) return InvalidArgumentError("password: stdin ended before a line was read");
  return first_line(line);
}

// The password from --password-file, else stdin: typed twice on a terminal, else one line.
Result<std::string> read_password(const UsersArgs& a) {
  if (!a.password_file.empty()) {
    QWL_ASSIGN_OR_RETURN(std::string text, read_file(a.password_file));
    return first_line(text);
  }
  if (::isatty(STDIN_FILENO)) {
    QWL_ASSIGN_OR_RETURN(std::string first, prompt_hidden("Password: "));
    QWL_ASSIGN_OR_RETURN(std::string again, prompt_hidden("Repeat it: "));
    if (first != again) return InvalidArgumentError("password: the two entries differ");
    return first;
  }
  std::string line;
  if (!std::getline(std::cin, line))
    return InvalidArgumentError("password: expected one line on stdin (or --password-file)");
  return first_line(line);
}

Result<services::Role> parse_role_arg(const std::string& name) {
  const std::optional<services::Role> role = services::parse_role(name);
  if (!role)
    return InvalidArgumentError("--role: '{}' is not one of customer, merchant, admin", name);
  return *role;
}

struct Session {
  std::unique_ptr<Db> db;
  std::unique_ptr<services::Identity> identity;
};

Result<Session> open_identity(const std::string& url) {
  Session s;
  QWL_ASSIGN_OR_RETURN(s.db, open_database(url));
  s.identity = std::make_unique<services::Identity>(*s.db, Clock::real());
  return s;
}

std::string limit_text(const std::optional<int64_t>& limit) {
  return limit ? fmt::format("{}.{:02d}", *limit / 100, *limit % 100) : "-";
}

void print_user(const services::User& u, bool json) {
  if (json) {
    fmt::print("{}\n", app::user_json(u).dump());
    return;
  }
  fmt::print("{:<6} {:<32} {:<20} {:<9} {:<6} {:<8} {:<8} {}\n", u.id, u.email, u.name,
             services::role_name(u.role), u.locale, u.has_password ? "yes" : "no",
             u.disabled ? "yes" : "no", limit_text(u.daily_spend_limit));
}

void print_header() {
  fmt::print("{:<6} {:<32} {:<20} {:<9} {:<6} {:<8} {:<8} {}\n", "id", "email", "name", "role",
             "locale", "password", "disabled", "daily limit (yuan)");
}

Status create(const UsersArgs& a) {
  if (a.password_stdin && !a.password_file.empty())
    return InvalidArgumentError("--password-stdin and --password-file: give one of them");
  services::NewUser user{
      .email = a.email, .name = a.name, .locale = a.locale, .daily_spend_limit = a.daily_limit};
  QWL_ASSIGN_OR_RETURN(user.role, parse_role_arg(a.role));
  if (a.password_stdin || !a.password_file.empty()) {
    QWL_ASSIGN_OR_RETURN(user.password, read_password(a));
    if (user.password.empty()) return InvalidArgumentError("password: is empty");
  }
  QWL_ASSIGN_OR_RETURN(Session s, open_identity(a.db));
  QWL_ASSIGN_OR_RETURN(services::User created, s.identity->create_user(Actor::system(), user));
  if (!a.json)
    fmt::print(stderr, "created user {} ({}) in {}\n", created.email, created.id, s.db->url());
  if (!a.json) print_header();
  print_user(created, a.json);
  return Status::Ok();
}

Status list(const UsersArgs& a) {
  QWL_ASSIGN_OR_RETURN(Session s, open_identity(a.db));
  nlohmann::json all = nlohmann::json::array();
  if (!a.json) print_header();
  int64_t after = 0;
  do {
    QWL_ASSIGN_OR_RETURN(services::UserPage page,
                         s.identity->list_users(Actor::system(), after, 1000));
    for (const services::User& u : page.users) {
      if (a.json)
        all.push_back(app::user_json(u));
      else
        print_user(u, false);
    }
    after = page.next_after_id;
  } while (after != 0);
  if (a.json) fmt::print("{}\n", all.dump());
  return Status::Ok();
}

Result<services::User> find(Session& s, const std::string& email) {
  return s.identity->find_user(Actor::system(), email);
}

Status done(const UsersArgs& a, const services::User& u, std::string_view what) {
  if (a.json) {
    fmt::print("{}\n", app::user_json(u).dump());
  } else {
    fmt::print(stderr, "{}: {}\n", u.email, what);
  }
  return Status::Ok();
}

Status set_password(const UsersArgs& a) {
  QWL_ASSIGN_OR_RETURN(Session s, open_identity(a.db));
  QWL_ASSIGN_OR_RETURN(services::User u, find(s, a.email));
  QWL_ASSIGN_OR_RETURN(std::string password, read_password(a));
  QWL_RETURN_IF_ERROR(s.identity->set_password(Actor::system(), u.id, password));
  QWL_ASSIGN_OR_RETURN(u, s.identity->get_user(Actor::system(), u.id));
  return done(a, u, "password set; the user's web sessions were signed out");
}

Status set_role(const UsersArgs& a) {
  QWL_ASSIGN_OR_RETURN(services::Role role, parse_role_arg(a.role));
  QWL_ASSIGN_OR_RETURN(Session s, open_identity(a.db));
  QWL_ASSIGN_OR_RETURN(services::User u, find(s, a.email));
  QWL_RETURN_IF_ERROR(s.identity->set_role(Actor::system(), u.id, role));
  QWL_ASSIGN_OR_RETURN(u, s.identity->get_user(Actor::system(), u.id));
  return done(a, u, fmt::format("role is now {}", services::role_name(role)));
}

Status disable(const UsersArgs& a) {
  QWL_ASSIGN_OR_RETURN(Session s, open_identity(a.db));
  QWL_ASSIGN_OR_RETURN(services::User u, find(s, a.email));
  QWL_RETURN_IF_ERROR(s.identity->set_disabled(Actor::system(), u.id, !a.enable));
  QWL_ASSIGN_OR_RETURN(u, s.identity->get_user(Actor::system(), u.id));
  return done(a, u,
              a.enable ? "enabled" : "disabled (sessions ended; API keys refused until enabled)");
}

Status set_limit(const UsersArgs& a) {
  if (a.no_limit == a.daily_limit.has_value())
    return InvalidArgumentError("give --daily-limit FEN or --no-limit");
  QWL_ASSIGN_OR_RETURN(Session s, open_identity(a.db));
  QWL_ASSIGN_OR_RETURN(services::User u, find(s, a.email));
  QWL_RETURN_IF_ERROR(s.identity->set_daily_spend_limit(Actor::system(), u.id, a.daily_limit));
  QWL_ASSIGN_OR_RETURN(u, s.identity->get_user(Actor::system(), u.id));
  return done(a, u, fmt::format("daily spending limit {}", limit_text(u.daily_spend_limit)));
}

}  // namespace

void add_users(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<UsersArgs>();
  CLI::App* cmd = app.add_subcommand(
      "users",
      "Accounts of the ecosystem database (customers, merchants, admins).\n"
      "Example: qwenlayer users create --email ann@example.com --role merchant --password-stdin\n"
      "         qwenlayer users list --db postgresql://qwl@db.internal/qwl --json\n"
      "         qwenlayer users set-role --email ann@example.com --role admin");
  cmd->require_subcommand(1);
  auto common = [&](CLI::App* sub) {
    add_db_option(sub, args->db);
    sub->add_flag("--json", args->json, "Print only JSON on stdout");
  };
  auto email = [&](CLI::App* sub) {
    sub->add_option("--email", args->email, "The user's email address")->required();
  };
  auto password_file = [&](CLI::App* sub) {
    sub->add_option("--password-file", args->password_file,
                    "Read the password from the first line of this file");
  };

  CLI::App* c = cmd->add_subcommand("create", "Create a user");
  common(c);
  email(c);
  c->add_option("--name", args->name, "Display name (default: the email's part before '@')");
  c->add_option("--role", args->role, "customer, merchant or admin")->capture_default_str();
  c->add_option("--locale", args->locale, "en or zh")->capture_default_str();
  c->add_option("--daily-limit", args->daily_limit,
                "Spending limit per day in fen (minor units); none when not given");
  c->add_flag("--password-stdin", args->password_stdin,
              "Read a password from stdin (typed twice, without echo, on a terminal); without "
              "one the account cannot sign in to the web app");
  password_file(c);
  c->callback([args, &exit_code] { exit_code = report(create(*args)); });

  CLI::App* l = cmd->add_subcommand("list", "List users (never passwords)");
  common(l);
  l->callback([args, &exit_code] { exit_code = report(list(*args)); });

  CLI::App* p = cmd->add_subcommand(
      "set-password",
      "Set a user's password from stdin or --password-file; signs out their browsers");
  common(p);
  email(p);
  password_file(p);
  p->callback([args, &exit_code] { exit_code = report(set_password(*args)); });

  CLI::App* r = cmd->add_subcommand("set-role", "Change a user's role");
  common(r);
  email(r);
  r->add_option("--role", args->role, "customer, merchant or admin")->required();
  r->callback([args, &exit_code] { exit_code = report(set_role(*args)); });

  CLI::App* d = cmd->add_subcommand(
      "disable", "Disable a user (sessions end, API keys are refused); --enable undoes it");
  common(d);
  email(d);
  d->add_flag("--enable", args->enable, "Enable the user again");
  d->callback([args, &exit_code] { exit_code = report(disable(*args)); });

  CLI::App* s = cmd->add_subcommand("set-limit", "Set or remove a user's daily spending limit");
  common(s);
  email(s);
  s->add_option("--daily-limit", args->daily_limit, "Fen (minor units) per day");
  s->add_flag("--no-limit", args->no_limit, "Remove the limit");
  s->callback([args, &exit_code] { exit_code = report(set_limit(*args)); });
}

}  // namespace qwl::cli
