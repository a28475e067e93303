// PostgreSQL connections over libpq. Statements are prepared once per connection (PQprepare,
// parameter types inferred by the server from the statement) and run with PQexecPrepared.
// Parameters travel as text except blobs (binary, so bytes need no escaping); results come back
// as text and are converted by column type, so that both databases hand rows of the same shape
// to the services.
#include <libpq-fe.h>

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <unordered_map>

#include "store/connection.h"

namespace qwl::store_internal {
namespace {

// Type OIDs from PostgreSQL's pg_type.dat (stable across versions).
constexpr Oid kBoolOid = 16, kByteaOid = 17, kInt8Oid = 20, kInt2Oid = 21, kInt4Oid = 23,
              kOidOid = 26, kFloat4Oid = 700, kFloat8Oid = 701, kNumericOid = 1700;

std::string trimmed(const char* msg) {
  std::string s = msg ? msg : "";
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

StatusCode code_for_sqlstate(std::string_view state) {
  if (state.size() != 5) return StatusCode::kUnavailable;  // no SQLSTATE: the connection failed
  const std::string_view cls = state.substr(0, 2);
  if (cls == "23" || cls == "22" || cls == "25") return StatusCode::kInvalidArgument;
  if (cls == "40" || cls == "08" || cls == "57" || cls == "53") return StatusCode::kUnavailable;
  return StatusCode::kInternal;
}

std::string decode_bytea(std::string_view text) {
  // Hex format ("\x0aff"), PostgreSQL's default output since 9.0.
  std::string out;
  if (text.size() < 2 || text[0] != '\\' || text[1] != 'x') return std::string(text);
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return c - 'A' + 10;
  };
  out.reserve((text.size() - 2) / 2);
  for (size_t i = 2; i + 1 < text.size(); i += 2) {
    out.push_back(static_cast<char>(nibble(text[i]) << 4 | nibble(text[i + 1])));
  }
  return out;
}

Value convert(Oid type, const char* p, int len) {
  const std::string_view text(p, len);
  switch (type) {
    case kInt8Oid:
    case kInt2Oid:
    case kInt4Oid:
    case kOidOid: {
      int64_t v = 0;
      std::from_chars(p, p + len, v);
      return Value(v);
    }
    case kFloat4Oid:
    case kFloat8Oid:
      return Value(std::strtod(std::string(text).c_str(), nullptr));
    case kNumericOid: {
      // SUM() of BIGINT is NUMERIC on PostgreSQL and INTEGER on SQLite: integral NUMERIC reads
      // as int64 so that both give the same row.
      int64_t v = 0;
      auto [end, ec] = std::from_chars(p, p + len, v);
      if (ec == std::errc() && end == p + len) return Value(v);
      return Value(std::strtod(std::string(text).c_str(), nullptr));
    }
    case kBoolOid:
      return Value(int64_t{len > 0 && p[0] == 't'});
    case kByteaOid:
      return Value::blob(decode_bytea(text));
    default:
      return Value(text);
  }
}

struct Prepared {
  std::string name;
  int n_params = 0;
};

class PostgresConnection final : public Connection {
 public:
  PostgresConnection(PGconn* conn, std::string shown) : conn_(conn), shown_(std::move(shown)) {}
  ~PostgresConnection() override { PQfinish(conn_); }

  Status begin(TxMode mode) override {
    return simple(mode == TxMode::kWrite ? "BEGIN ISOLATION LEVEL SERIALIZABLE"
                                         : "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
  }
  Status commit() override { return simple("COMMIT"); }
  void rollback() override {
    if (PQtransactionStatus(conn_) != PQTRANS_IDLE) PQclear(PQexec(conn_, "ROLLBACK"));
  }
  Status exec_script(std::string_view sql) override { return simple(std::string(sql)); }

  void recover() override {
    if (PQstatus(conn_) == CONNECTION_BAD) {
      PQreset(conn_);
      cache_.clear();  // prepared statements died with the session
    }
  }

  Status run(std::string_view sql, Params params, Rows* rows, int64_t* changes) override {
    retryable_ = false;
    const Prepared* prepared = nullptr;
    QWL_RETURN_IF_ERROR(prepare(sql, &prepared));
    if (prepared->n_params != static_cast<int>(params.size())) {
      return InvalidArgumentError("{}: {}: {} parameters given, the statement has {}", shown_,
                                  sql_excerpt(sql), params.size(), prepared->n_params);
    }
    const size_t n = params.size();
    std::vector<std::string> texts(n);
    std::vector<const char*> values(n, nullptr);
    std::vector<int> lengths(n, 0), formats(n, 0);
    for (size_t i = 0; i < n; ++i) {
      const Value& v = params[i];
      switch (v.type()) {
        case Value::Type::kNull:
          break;
        case Value::Type::kInt64:
          texts[i] = fmt::format("{}", v.int64());
          break;
        case Value::Type::kDouble: {
          const double d = v.real();
          texts[i] = std::isnan(d)   ? "NaN"
                     : std::isinf(d) ? (d > 0 ? "Infinity" : "-Infinity")
                                     : fmt::format("{}", d);
          break;
        }
        case Value::Type::kText:
          values[i] = v.text().c_str();
          break;
        case Value::Type::kBlob:
          values[i] = v.blob_bytes().data();
          lengths[i] = static_cast<int>(v.blob_bytes().size());
          formats[i] = 1;
          break;
      }
      if (v.type() == Value::Type::kInt64 || v.type() == Value::Type::kDouble) {
        values[i] = texts[i].c_str();
      }
    }
    PGresult* res = PQexecPrepared(conn_, prepared->name.c_str(), static_cast<int>(n),
                                   values.data(), lengths.data(), formats.data(), 0);
    Status status = check(res, sql);
    if (status.ok()) {
      if (rows) read_rows(res, rows);
      if (changes) {
        const char* tuples = PQcmdTuples(res);
        *changes = (tuples && *tuples) ? std::strtoll(tuples, nullptr, 10) : 0;
      }
    }
    PQclear(res);
    return status;
  }

 private:
  Status simple(const std::string& sql) {
    retryable_ = false;
    PGresult* res = PQexec(conn_, sql.c_str());
    Status status = check(res, sql);
    PQclear(res);
    return status;
  }

  // Ok for a result that succeeded; otherwise the error, with retryable_ set.
  Status check(PGresult* res, std::string_view sql) {
    const ExecStatusType st = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
    if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK || st == PGRES_EMPTY_QUERY) {
      return Status::Ok();
    }
    const char* state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : nullptr;
    const std::string_view sqlstate = state ? state : "";
    retryable_ = sqlstate == "40001" || sqlstate == "40P01";
    std::string msg = trimmed(res ? PQresultErrorMessage(res) : PQerrorMessage(conn_));
    if (msg.empty()) msg = trimmed(PQerrorMessage(conn_));
    return Status(code_for_sqlstate(sqlstate),
                  fmt::format("{}: {}: {} (SQLSTATE {})", shown_, sql_excerpt(sql), msg,
                              sqlstate.empty() ? "none" : sqlstate));
  }

  Status prepare(std::string_view sql, const Prepared** out) {
    std::string key(sql);
    if (auto it = cache_.find(key); it != cache_.end()) {
      *out = &it->second;
      return Status::Ok();
    }
    QWL_ASSIGN_OR_RETURN(std::string text, Dialect(DbKind::kPostgres).translate(sql));
    Prepared prepared{.name = fmt::format("qwl_{}", next_id_++)};
    PGresult* res = PQprepare(conn_, prepared.name.c_str(), text.c_str(), 0, nullptr);
    Status status = check(res, sql);
    PQclear(res);
    QWL_RETURN_IF_ERROR(status);
    res = PQdescribePrepared(conn_, prepared.name.c_str());
    status = check(res, sql);
    if (status.ok()) prepared.n_params = PQnparams(res);
    PQclear(res);
    QWL_RETURN_IF_ERROR(status);
    *out = &cache_.emplace(std::move(key), std::move(prepared)).first->second;
    return Status::Ok();
  }

  static void read_rows(PGresult* res, Rows* rows) {
    const int n_cols = PQnfields(res);
    const int n_rows = PQntuples(res);
    rows->columns.clear();
    rows->rows.clear();
    std::vector<Oid> types(n_cols);
    for (int c = 0; c < n_cols; ++c) {
      rows->columns.emplace_back(PQfname(res, c));
      types[c] = PQftype(res, c);
    }
    rows->rows.reserve(n_rows);
    for (int r = 0; r < n_rows; ++r) {
      std::vector<Value> values;
      values.reserve(n_cols);
      for (int c = 0; c < n_cols; ++c) {
        if (PQgetisnull(res, r, c)) {
          values.emplace_back();
        } else {
          values.push_back(convert(types[c], PQgetvalue(res, r, c), PQgetlength(res, r, c)));
        }
      }
      rows->rows.emplace_back(std::move(values));
    }
  }

  PGconn* conn_;
  std::string shown_;
  std::unordered_map<std::string, Prepared> cache_;
  int64_t next_id_ = 0;
};

void ignore_notice(void*, const char*) {}

}  // namespace

Result<std::unique_ptr<Connection>> open_postgres(const std::string& conninfo,
                                                  const std::string& shown) {
  PGconn* conn = PQconnectdb(conninfo.c_str());
  if (!conn) return ResourceExhaustedError("{}: out of memory for a connection", shown);
  if (PQstatus(conn) != CONNECTION_OK) {
    Status status =
        UnavailableError("{}: cannot connect: {}", shown, trimmed(PQerrorMessage(conn)));
    PQfinish(conn);
    return status;
  }
  // Notices ("relation already exists, skipping") are not errors and must not reach stderr.
  PQsetNoticeProcessor(conn, ignore_notice, nullptr);
  if (PQsetClientEncoding(conn, "UTF8") != 0) {
    PQfinish(conn);
    return UnavailableError("{}: cannot set client encoding UTF8", shown);
  }
  return std::unique_ptr<Connection>(std::make_unique<PostgresConnection>(conn, shown));
}

}  // namespace qwl::store_internal
