-- Pending actions of the agent (src/agent/actions.h) and the sessions of MCP clients over HTTP
-- (src/server/api_mcp.h), both in the database so that any node on one PostgreSQL can confirm an
-- action or continue an MCP session, and both survive a restart.
--
-- agent_actions: one irreversible tool call worked out and waiting for its user. `content` is
-- the canonical JSON the user agrees to and `hash` its SHA-256 (hex); `arguments`, `info` and
-- `result` are JSON text. A row leaves 'pending' once (confirmed, cancelled, expired, replaced,
-- failed). confirming_since_us is the lease of the one confirm() that re-prepares and commits
-- it (0 when none holds it): other confirms of the same action wait for its outcome instead of
-- running the tool again. session_id is the chat session (agent_sessions.id), or '' for actions
-- proposed over MCP; it is not a foreign key, so deleting a conversation keeps its actions'
-- record.
CREATE TABLE agent_actions (
  id TEXT PRIMARY KEY,
  user_id BIGINT NOT NULL REFERENCES users (id),
  session_id TEXT NOT NULL DEFAULT '',
  tool TEXT NOT NULL,
  arguments TEXT NOT NULL,
  content TEXT NOT NULL,
  info TEXT NOT NULL DEFAULT 'null',
  summary TEXT NOT NULL DEFAULT '',
  hash TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('pending', 'confirmed', 'cancelled', 'expired',
                                         'replaced', 'failed')),
  created_at_us BIGINT NOT NULL,
  expires_at_us BIGINT NOT NULL,
  decided_at_us BIGINT NOT NULL DEFAULT 0,
  confirming_since_us BIGINT NOT NULL DEFAULT 0,
  result TEXT,
  error TEXT NOT NULL DEFAULT '',
  replaced_by TEXT NOT NULL DEFAULT ''
);
CREATE INDEX agent_actions_session ON agent_actions (user_id, session_id, created_at_us);
CREATE INDEX agent_actions_pending ON agent_actions (user_id, session_id) WHERE status = 'pending';

-- An MCP client's session over Streamable HTTP: issued at initialize (the Mcp-Session-Id header),
-- bound to the user who initialized it and to the negotiated protocol version; closed by DELETE.
-- last_used_at_us moves at most about once an hour, so that idle sessions can be purged.
CREATE TABLE mcp_sessions (
  id TEXT PRIMARY KEY,
  user_id BIGINT NOT NULL,
  protocol_version TEXT NOT NULL,
  client_name TEXT NOT NULL DEFAULT '',
  created_at_us BIGINT NOT NULL,
  last_used_at_us BIGINT NOT NULL,
  closed_at_us BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX mcp_sessions_last_used ON mcp_sessions (last_used_at_us);
