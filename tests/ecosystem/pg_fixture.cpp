// A throw-away PostgreSQL database for the end-to-end tests written in JavaScript: starts the
// test server of store/test_db.h, creates a fresh database holding the ecosystem's schema,
// prints its URL on one line of stdout, and waits until stdin closes; then the server stops and
// its folder is removed. Exit code 1 (with the reason on stderr) when PostgreSQL cannot start.
#include <cstdio>
#include <iostream>
#include <string>

#include "services/schema.h"
#include "store/test_db.h"

int main() {
  auto url = qwl::fresh_database_url(qwl::DbKind::kPostgres, qwl::services::migrations());
  if (!url.ok()) {
    std::fprintf(stderr, "pg_fixture: %s\n", url.status().to_string().c_str());
    return 1;
  }
  std::cout << *url << std::endl;
  std::string line;
  while (std::getline(std::cin, line)) {
  }
  return 0;
}
