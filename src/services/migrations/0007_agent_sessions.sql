-- The agent's chat sessions (src/agent/sessions.h): one row per conversation and one per message,
-- so a conversation survives a restart and any node on one PostgreSQL can continue it.
--
-- agent_sessions.updated_at_us is kept unique per user (the store writes the larger of now and
-- the user's newest + 1), so paging the list by it never skips or repeats a session. The turn
-- lease (turn_token, turn_until_us) lets one node at a time answer a session's message; a node
-- that died mid-turn blocks the session only until turn_until_us passes.
-- agent_messages holds each message as its OpenAI-format JSON and the events the app showed with
-- it (cards, pending actions) as a JSON array, in order by seq (1, 2, ... per session).

CREATE TABLE agent_sessions (
  id TEXT PRIMARY KEY,
  user_id BIGINT NOT NULL REFERENCES users (id),
  title TEXT NOT NULL DEFAULT '',
  created_at_us BIGINT NOT NULL,
  updated_at_us BIGINT NOT NULL,
  message_count BIGINT NOT NULL DEFAULT 0 CHECK (message_count >= 0),
  turn_token TEXT,
  turn_until_us BIGINT
);
CREATE INDEX agent_sessions_user_updated ON agent_sessions (user_id, updated_at_us);

CREATE TABLE agent_messages (
  session_id TEXT NOT NULL REFERENCES agent_sessions (id) ON DELETE CASCADE,
  seq BIGINT NOT NULL CHECK (seq > 0),
  role TEXT NOT NULL,
  message TEXT NOT NULL,
  events TEXT NOT NULL DEFAULT '[]',
  created_at_us BIGINT NOT NULL,
  PRIMARY KEY (session_id, seq)
);
