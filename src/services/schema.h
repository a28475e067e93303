// The ecosystem's database schema: the migrations every service runs on, in order.
//
// One list for the whole services layer, applied by migrate() at every start-up (`serve`,
// `seed`, the CLI's admin commands) and by the tests' fresh databases. Each migration is a SQL
// file in src/services/migrations/ (NNNN_name.sql for both databases, NNNN_name.sqlite.sql /
// NNNN_name.postgres.sql where they differ), embedded into the binary at build time. Versions
// are reserved per domain so that work on different services never collides: 1 the core
// tables, 2 search, 3 commerce, 4 maps, 5 bookings, 6 identity and sessions, 7 seed; later
// additions take the next free number. A shipped migration is never edited: a change is a new
// migration.
//
// Conventions (docs/ECOSYSTEM.md describes the tables): money is BIGINT minor units (fen);
// times are BIGINT microseconds since the Unix epoch from the injected Clock; hotel nights are
// BIGINT days since the epoch; ratings are BIGINT tenths (45 = 4.5 stars) so that both databases
// compare them exactly; coordinates are WGS84 degrees in {{real}} columns; names and texts come
// in pairs, *_en and *_zh.
#pragma once

#include <span>

#include "store/migrations.h"

namespace qwl::services {

// All migrations of the ecosystem, strictly increasing by version.
std::span<const Migration> migrations();

}  // namespace qwl::services
