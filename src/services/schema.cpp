// The ecosystem's migrations: the SQL files of src/services/migrations/, embedded at build time
// by cmake/embed_migrations.cmake into migrations_embedded.cpp (in the build folder).
#include "services/schema.h"

namespace qwl::services {

std::span<const Migration> embedded_migrations();  // generated

std::span<const Migration> migrations() {
  return embedded_migrations();
}

}  // namespace qwl::services
