// Chat sessions in the database (sessions.h; tables of migration 0007). Every statement names the
// acting user in its WHERE clause, so another user's session reads exactly as a missing one.
//
// Two details keep the list and the turn lease exact:
//   - updated_at_us is unique per user: a write takes the larger of now and the user's newest
//     + 1 (inside the serializable transaction), so paging with `before_us` can neither skip nor
//     repeat sessions touched in the same microsecond (tests run on a ManualClock);
//   - a lease is claimed with a random token and released only by the claim that holds it: the
//     token stays in this process (the header's end_turn() takes the session id alone), so a
//     node whose lease ran out cannot release the lease another node took over since.
#include "agent/sessions.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <limits>
#include <map>
#include <mutex>
#include <span>
#include <utility>

#include "base/log.h"
#include "base/utf8.h"
#include "services/identity.h"

namespace qwl::agent {
namespace {

constexpr std::string_view kSessionPrefix = "ses_";
constexpr size_t kIdHexDigits = 24;
constexpr size_t kMaxTitleChars = 80;
constexpr int kMaxListLimit = 100;
constexpr int64_t kMicrosPerSecond = 1'000'000;
// One message as stored (its JSON text): a long tool result or a pasted document fits, a runaway
// one does not fill the database.
constexpr size_t kMaxMessageBytes = 1 << 20;
constexpr size_t kMaxEventsBytes = 1 << 20;

constexpr std::string_view kSessionColumns =
    "id, user_id, title, created_at_us, updated_at_us, message_count";

int64_t unix_seconds(int64_t us) {
  // Floor, so that instants before 1970 (never expected) still round consistently.
  return us >= 0 ? us / kMicrosPerSecond : -((-us + kMicrosPerSecond - 1) / kMicrosPerSecond);
}

Result<std::string> random_hex(size_t digits) {
  std::array<uint8_t, 32> bytes{};
  const size_t n = (digits + 1) / 2;
  QWL_CHECK(n <= bytes.size(), "random_hex: {} digits", digits);
  QWL_RETURN_IF_ERROR(services::RandomSource::system().fill(std::span(bytes.data(), n)));
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(digits);
  for (size_t i = 0; i < n; ++i) {
    out += kHex[bytes[i] >> 4];
    out += kHex[bytes[i] & 15];
  }
  out.resize(digits);
  return out;
}

bool is_session_id(std::string_view id) {
  if (id.size() != kSessionPrefix.size() + kIdHexDigits || !id.starts_with(kSessionPrefix))
    return false;
  for (char c : id.substr(kSessionPrefix.size())) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

// A client's text inside an error message, cut short: echoed, not trusted.
std::string shown(std::string_view text) {
  return utf8_shorten(text, 40);
}

Status check_session_id(std::string_view id) {
  if (is_session_id(id)) return Status::Ok();
  return InvalidArgumentError("session id '{}' is not a session id (\"ses_\" and 24 hex digits)",
                              shown(id));
}

Status check_actor(const services::Actor& actor) {
  if (actor.user_id > 0) return Status::Ok();
  return InvalidArgumentError(
      "sessions: user {} is not a user (a chat session belongs to a signed-in user; the "
      "operator key acts for no one)",
      actor.user_id);
}

Status session_not_found(std::string_view id) {
  return NotFoundError("session {} not found", id);
}

// Length in bytes of the UTF-8 sequence starting with `lead`, 0 when `lead` cannot start one.
size_t utf8_length(unsigned char lead) {
  if (lead < 0x80) return 1;
  if (lead >= 0xC2 && lead <= 0xDF) return 2;
  if (lead >= 0xE0 && lead <= 0xEF) return 3;
  if (lead >= 0xF0 && lead <= 0xF4) return 4;
  return 0;
}

// A title: one line (runs of whitespace and control characters become one space, ends trimmed),
// invalid UTF-8 dropped, at most kMaxTitleChars code points.
std::string make_title(std::string_view text) {
  std::string out;
  size_t chars = 0;
  bool space = false;
  for (size_t i = 0; i < text.size() && chars < kMaxTitleChars;) {
    const auto c = static_cast<unsigned char>(text[i]);
    const size_t len = utf8_length(c);
    bool valid = len > 0 && i + len <= text.size();
    for (size_t k = 1; valid && k < len; ++k)
      valid = (static_cast<unsigned char>(text[i + k]) & 0xC0) == 0x80;
    if (!valid) {
      ++i;
      continue;
    }
    if (len == 1 && (c <= 0x20 || c == 0x7F)) {
      space = !out.empty();
      ++i;
      continue;
    }
    if (space) {
      out += ' ';
      ++chars;
      space = false;
      if (chars >= kMaxTitleChars) break;
    }
    out.append(text.substr(i, len));
    ++chars;
    i += len;
  }
  return out;
}

std::string dump(const nlohmann::json& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}
std::string dump(const ChatJson& j) {
  return j.dump(-1, ' ', false, ChatJson::error_handler_t::replace);
}

SessionInfo session_from(const Row& row) {
  return SessionInfo{.id = row.text(0),
                     .user_id = row.int64(1),
                     .title = row.text(2),
                     .created_us = row.int64(3),
                     .updated_us = row.int64(4),
                     .message_count = row.int64(5)};
}

// The session's row as `actor` may see it (NotFound for another user's).
Result<SessionInfo> read_session(Tx& tx, const services::Actor& actor, std::string_view id) {
  Rows rows;
  QWL_ASSIGN_OR_RETURN(
      rows, tx.query(fmt::format("SELECT {} FROM agent_sessions WHERE id = ? AND user_id = ?",
                                 kSessionColumns),
                     {std::string(id), actor.user_id}));
  if (rows.empty()) return session_not_found(id);
  return session_from(rows[0]);
}

// The next updated_at_us of the user's sessions: now, or just after the newest (see the top).
Result<int64_t> next_update_us(Tx& tx, int64_t user_id, int64_t now_us) {
  QWL_ASSIGN_OR_RETURN(
      int64_t newest,
      tx.query_int64("SELECT COALESCE(MAX(updated_at_us), 0) FROM agent_sessions WHERE user_id = ?",
                     {user_id}));
  if (newest == std::numeric_limits<int64_t>::max()) return newest;
  return std::max(now_us, newest + 1);
}

// Leases this process holds: (store, session) -> token. See the top of the file.
struct Leases {
  std::mutex mu;
  std::map<std::pair<const void*, std::string>, std::string> tokens;
};
Leases& leases() {
  static Leases* l = new Leases();  // never destroyed: end_turn() may run during exit
  return *l;
}

}  // namespace

nlohmann::json SessionInfo::to_json() const {
  return {{"object", "session"},
          {"id", id},
          {"title", title},
          {"created_at", unix_seconds(created_us)},
          {"updated_at", unix_seconds(updated_us)},
          {"messages", message_count}};
}

nlohmann::json StoredMessage::to_json() const {
  return {{"object", "message"},
          {"seq", seq},
          {"message", nlohmann::json::parse(dump(message), nullptr, false)},
          {"events", events},
          {"created_at", unix_seconds(created_us)}};
}

SessionStore::SessionStore(Db& db, const Clock& clock) : db_(db), clock_(clock) {}

Result<SessionInfo> SessionStore::create(const services::Actor& actor, std::string_view title) {
  QWL_RETURN_IF_ERROR(check_actor(actor));
  QWL_ASSIGN_OR_RETURN(std::string hex, random_hex(kIdHexDigits));
  SessionInfo info{.id = std::string(kSessionPrefix) + hex,
                   .user_id = actor.user_id,
                   .title = make_title(title)};
  const int64_t now = clock_.wall_us();
  QWL_RETURN_IF_ERROR(db_.transact([&](Tx& tx) -> Status {
    info.created_us = now;
    QWL_ASSIGN_OR_RETURN(info.updated_us, next_update_us(tx, actor.user_id, now));
    return tx
        .exec(
            "INSERT INTO agent_sessions (id, user_id, title, created_at_us, updated_at_us) "
            "VALUES (?, ?, ?, ?, ?)",
            {info.id, actor.user_id, info.title, info.created_us, info.updated_us})
        .status();
  }));
  return info;
}

Result<std::vector<SessionInfo>> SessionStore::list(const services::Actor& actor, int limit,
                                                    int64_t before_us) {
  QWL_RETURN_IF_ERROR(check_actor(actor));
  if (limit < 1 || limit > kMaxListLimit)
    return InvalidArgumentError("limit: {} outside [1, {}]", limit, kMaxListLimit);
  if (before_us < 0) return InvalidArgumentError("before: {} is negative", before_us);
  const int64_t before = before_us == 0 ? std::numeric_limits<int64_t>::max() : before_us;
  std::vector<SessionInfo> out;
  QWL_RETURN_IF_ERROR(db_.read([&](Tx& tx) -> Status {
    out.clear();
    QWL_ASSIGN_OR_RETURN(
        Rows rows, tx.query(fmt::format("SELECT {} FROM agent_sessions WHERE user_id = ? AND "
                                        "updated_at_us < ? ORDER BY updated_at_us DESC, id DESC "
                                        "LIMIT ?",
                                        kSessionColumns),
                            {actor.user_id, before, limit}));
    for (const Row& r : rows) out.push_back(session_from(r));
    return Status::Ok();
  }));
  return out;
}

Result<SessionInfo> SessionStore::get(const services::Actor& actor, std::string_view session_id) {
  QWL_RETURN_IF_ERROR(check_actor(actor));
  QWL_RETURN_IF_ERROR(check_session_id(session_id));
  SessionInfo info;
  QWL_RETURN_IF_ERROR(db_.read([&](Tx& tx) -> Status {
    QWL_ASSIGN_OR_RETURN(info, read_session(tx, actor, session_id));
    return Status::Ok();
  }));
  return info;
}

Result<std::vector<StoredMessage>> SessionStore::messages(const services::Actor& actor,
                                                          std::string_view session_id) {
  QWL_RETURN_IF_ERROR(check_actor(actor));
  QWL_RETURN_IF_ERROR(check_session_id(session_id));
  std::vector<StoredMessage> out;
  QWL_RETURN_IF_ERROR(db_.read([&](Tx& tx) -> Status {
    out.clear();
    QWL_RETURN_IF_ERROR(read_session(tx, actor, session_id).status());
    QWL_ASSIGN_OR_RETURN(Rows rows, tx.query("SELECT seq, message, events, created_at_us FROM "
                                             "agent_messages WHERE session_id = ? ORDER BY seq",
                                             {std::string(session_id)}));
    out.reserve(rows.size());
    for (const Row& r : rows) {
      StoredMessage m{.seq = r.int64(0), .created_us = r.int64(3)};
      m.message = ChatJson::parse(r.text(1), nullptr, false);
      if (m.message.is_discarded())
        return InternalError("session {}: message {} is not JSON", session_id, m.seq);
      m.events = nlohmann::json::parse(r.text(2), nullptr, false);
      if (!m.events.is_array())
        return InternalError("session {}: the events of message {} are not a JSON array",
                             session_id, m.seq);
      out.push_back(std::move(m));
    }
    return Status::Ok();
  }));
  return out;
}

Result<ChatJson> SessionStore::history(const services::Actor& actor, std::string_view session_id) {
  QWL_ASSIGN_OR_RETURN(std::vector<StoredMessage> stored, messages(actor, session_id));
  ChatJson out = ChatJson::array();
  for (StoredMessage& m : stored) out.push_back(std::move(m.message));
  return out;
}

Status SessionStore::append(const services::Actor& actor, std::string_view session_id,
                            const std::vector<ChatJson>& messages,
                            const std::vector<nlohmann::json>& events) {
  QWL_RETURN_IF_ERROR(check_actor(actor));
  QWL_RETURN_IF_ERROR(check_session_id(session_id));
  if (!events.empty() && events.size() != messages.size())
    return InvalidArgumentError("session {}: {} event lists for {} messages", session_id,
                                events.size(), messages.size());
  if (messages.empty()) return Status::Ok();
  // Everything is checked and serialised before the transaction, which may run several times.
  struct Prepared {
    std::string role, message, events;
  };
  std::vector<Prepared> prepared;
  prepared.reserve(messages.size());
  std::string first_user_text;
  for (size_t i = 0; i < messages.size(); ++i) {
    const ChatJson& m = messages[i];
    if (!m.is_object() || !m.contains("role") || !m["role"].is_string())
      return InvalidArgumentError("session {}: messages[{}] is not a message with a \"role\"",
                                  session_id, i);
    const std::string role = m["role"].get<std::string>();
    if (role != "system" && role != "user" && role != "assistant" && role != "tool")
      return InvalidArgumentError(
          "session {}: messages[{}].role: '{}' is not system, user, "
          "assistant or tool",
          session_id, i, shown(role));
    Prepared p{.role = role, .message = dump(m), .events = "[]"};
    if (p.message.size() > kMaxMessageBytes)
      return InvalidArgumentError("session {}: messages[{}] holds {} bytes, at most {}", session_id,
                                  i, p.message.size(), kMaxMessageBytes);
    if (!events.empty() && !events[i].is_null()) {
      if (!events[i].is_array())
        return InvalidArgumentError("session {}: events[{}] is not a JSON array", session_id, i);
      p.events = dump(events[i]);
      if (p.events.size() > kMaxEventsBytes)
        return InvalidArgumentError("session {}: events[{}] holds {} bytes, at most {}", session_id,
                                    i, p.events.size(), kMaxEventsBytes);
    }
    if (first_user_text.empty() && role == "user" && m.contains("content") &&
        m["content"].is_string())
      first_user_text = make_title(m["content"].get<std::string>());
    prepared.push_back(std::move(p));
  }
  const int64_t now = clock_.wall_us();
  const std::string id(session_id);
  const auto count = static_cast<int64_t>(prepared.size());
  return db_.transact([&](Tx& tx) -> Status {
    // The count first: the row lock makes a concurrent append of the same session wait and
    // then fail as a serialization conflict (retried), where inserting the same seq first would
    // fail as a duplicate key (not retried) on PostgreSQL.
    QWL_ASSIGN_OR_RETURN(
        Rows rows, tx.query("UPDATE agent_sessions SET message_count = message_count + ? WHERE "
                            "id = ? AND user_id = ? RETURNING message_count, title",
                            {count, id, actor.user_id}));
    if (rows.empty()) return session_not_found(id);
    int64_t seq = rows[0].int64(0) - count;
    const std::string& old_title = rows[0].text(1);
    for (const Prepared& p : prepared) {
      ++seq;
      QWL_RETURN_IF_ERROR(tx.exec("INSERT INTO agent_messages (session_id, seq, role, message, "
                                  "events, created_at_us) VALUES (?, ?, ?, ?, ?, ?)",
                                  {id, seq, p.role, p.message, p.events, now})
                              .status());
    }
    QWL_ASSIGN_OR_RETURN(int64_t updated, next_update_us(tx, actor.user_id, now));
    // The title comes from the first user message unless one was given (or named) before.
    const std::string title = old_title.empty() ? first_user_text : old_title;
    return tx
        .exec("UPDATE agent_sessions SET updated_at_us = ?, title = ? WHERE id = ? AND user_id = ?",
              {updated, title, id, actor.user_id})
        .status();
  });
}

Status SessionStore::rename(const services::Actor& actor, std::string_view session_id,
                            std::string_view title) {
  QWL_RETURN_IF_ERROR(check_actor(actor));
  QWL_RETURN_IF_ERROR(check_session_id(session_id));
  const std::string t = make_title(title);
  if (t.empty()) return InvalidArgumentError("title: is empty");
  return db_.transact([&](Tx& tx) -> Status {
    QWL_ASSIGN_OR_RETURN(int64_t changed,
                         tx.exec("UPDATE agent_sessions SET title = ? WHERE id = ? AND user_id = ?",
                                 {t, std::string(session_id), actor.user_id}));
    return changed == 1 ? Status::Ok() : session_not_found(session_id);
  });
}

Status SessionStore::remove(const services::Actor& actor, std::string_view session_id) {
  QWL_RETURN_IF_ERROR(check_actor(actor));
  QWL_RETURN_IF_ERROR(check_session_id(session_id));
  const std::string id(session_id);
  QWL_RETURN_IF_ERROR(db_.transact([&](Tx& tx) -> Status {
    QWL_RETURN_IF_ERROR(read_session(tx, actor, id).status());
    QWL_RETURN_IF_ERROR(tx.exec("DELETE FROM agent_messages WHERE session_id = ?", {id}).status());
    return tx.exec("DELETE FROM agent_sessions WHERE id = ? AND user_id = ?", {id, actor.user_id})
        .status();
  }));
  std::lock_guard lock(leases().mu);
  leases().tokens.erase({this, id});
  return Status::Ok();
}

Status SessionStore::begin_turn(const services::Actor& actor, std::string_view session_id,
                                std::chrono::seconds lease) {
  QWL_RETURN_IF_ERROR(check_actor(actor));
  QWL_RETURN_IF_ERROR(check_session_id(session_id));
  if (lease.count() <= 0) return InvalidArgumentError("lease: {} s is not positive", lease.count());
  QWL_ASSIGN_OR_RETURN(std::string token, random_hex(32));
  const int64_t now = clock_.wall_us();
  const int64_t until = now + std::chrono::duration_cast<std::chrono::microseconds>(lease).count();
  const std::string id(session_id);
  QWL_RETURN_IF_ERROR(db_.transact([&](Tx& tx) -> Status {
    QWL_ASSIGN_OR_RETURN(
        int64_t changed,
        tx.exec("UPDATE agent_sessions SET turn_token = ?, turn_until_us = ? WHERE id = ? AND "
                "user_id = ? AND (turn_until_us IS NULL OR turn_until_us <= ?)",
                {token, until, id, actor.user_id, now}));
    if (changed == 1) return Status::Ok();
    QWL_RETURN_IF_ERROR(read_session(tx, actor, id).status());
    return FailedPreconditionError("session {}: a message is being answered", id);
  }));
  std::lock_guard lock(leases().mu);
  leases().tokens[{this, id}] = std::move(token);
  return Status::Ok();
}

void SessionStore::end_turn(std::string_view session_id) {
  std::string token;
  {
    std::lock_guard lock(leases().mu);
    auto it = leases().tokens.find({this, std::string(session_id)});
    if (it == leases().tokens.end()) return;  // not ours (never claimed, or released already)
    token = std::move(it->second);
    leases().tokens.erase(it);
  }
  const Status s = db_.transact([&](Tx& tx) -> Status {
    return tx
        .exec(
            "UPDATE agent_sessions SET turn_token = NULL, turn_until_us = NULL WHERE id = ? AND "
            "turn_token = ?",
            {std::string(session_id), token})
        .status();
  });
  // The lease still runs out by itself; a stuck session is the only cost.
  if (!s.ok())
    QWL_LOG_WARN("session {}: releasing the turn failed (it frees itself when the lease ends): {}",
                 session_id, s.to_string());
}

}  // namespace qwl::agent
