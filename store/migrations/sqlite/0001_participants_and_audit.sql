-- Participants: one row per Telegram user who has talked to the bot.
CREATE TABLE participants (
    telegram_id   INTEGER PRIMARY KEY,
    chat_id       INTEGER NOT NULL,
    first_name    TEXT    NOT NULL,
    last_name     TEXT,
    username      TEXT,
    language      TEXT    NOT NULL,
    joined_at     TEXT    NOT NULL,   -- ISO 8601, UTC
    last_seen_at  TEXT    NOT NULL,   -- ISO 8601, UTC
    status        TEXT    NOT NULL DEFAULT 'active'
                  CHECK (status IN ('active', 'blocked'))
);

-- Audit log of organiser and facilitator actions (and refused attempts).
CREATE TABLE audit_log (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    at          TEXT    NOT NULL,     -- ISO 8601, UTC
    actor_id    INTEGER,              -- Telegram id, NULL for the command line
    action      TEXT    NOT NULL,
    detail      TEXT    NOT NULL DEFAULT '{}',   -- JSON object
    recipients  INTEGER
);
CREATE INDEX audit_log_at ON audit_log (at);
