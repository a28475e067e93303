// Chat sessions, persisted in the database (tables agent_sessions and agent_messages,
// migration 0007), so a conversation survives a restart and any node on one PostgreSQL can
// continue it.
//
// A session belongs to one user: every call takes the acting user, and another user's session
// is NotFound. Messages are stored in order with the events the app showed for them (cards,
// pending actions), so the app can redraw a conversation; the agent reads back only the
// OpenAI-format messages. begin_turn() claims the session for one turn at a time (across
// nodes): a second turn while one runs is FailedPrecondition ("a message is being answered").
// Thread-safety: all methods may be called concurrently.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/clock.h"
#include "base/status.h"
#include "chat/chat_template.h"
#include "services/actor.h"
#include "store/db.h"

namespace qwl::agent {

struct SessionInfo {
  std::string id;  // "ses_" + 24 random hex digits
  int64_t user_id = 0;
  std::string title;  // from the first message, cut to 80 characters, until renamed
  int64_t created_us = 0;
  int64_t updated_us = 0;
  int64_t message_count = 0;
  nlohmann::json to_json() const;  // {"id", "title", "created_at", "updated_at", "messages"}
};

struct StoredMessage {
  int64_t seq = 0;   // 1, 2, ... within the session
  ChatJson message;  // OpenAI format: role, content, tool_calls, tool_call_id
  nlohmann::json events = nlohmann::json::array();  // cards and actions shown with it
  int64_t created_us = 0;
  nlohmann::json to_json() const;
};

class SessionStore {
 public:
  SessionStore(Db& db, const Clock& clock);

  Result<SessionInfo> create(const services::Actor& actor, std::string_view title = "");
  // Newest first; `before_us` pages (updated_us < before_us), 0 = from the newest.
  Result<std::vector<SessionInfo>> list(const services::Actor& actor, int limit = 50,
                                        int64_t before_us = 0);
  Result<SessionInfo> get(const services::Actor& actor, std::string_view session_id);
  Result<std::vector<StoredMessage>> messages(const services::Actor& actor,
                                              std::string_view session_id);
  // The OpenAI-format history (what Agent::run_turn takes).
  Result<ChatJson> history(const services::Actor& actor, std::string_view session_id);
  // Appends messages (with the events shown for each; `events` empty or the same length).
  Status append(const services::Actor& actor, std::string_view session_id,
                const std::vector<ChatJson>& messages,
                const std::vector<nlohmann::json>& events = {});
  Status rename(const services::Actor& actor, std::string_view session_id, std::string_view title);
  // Deletes the session and its messages (its actions stay, for the record).
  Status remove(const services::Actor& actor, std::string_view session_id);

  // One turn at a time: claims the session until end_turn() or `lease` passes (a node that
  // died mid-turn does not block the session forever).
  Status begin_turn(const services::Actor& actor, std::string_view session_id,
                    std::chrono::seconds lease = std::chrono::seconds{300});
  void end_turn(std::string_view session_id);

 private:
  Db& db_;
  const Clock& clock_;
};

}  // namespace qwl::agent
