-- Broadcasts: one row each; their messages are outbox rows keyed broadcast:<id>:<participant>.
CREATE TABLE broadcasts (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    created_by    INTEGER,                 -- NULL: the command line
    audience      TEXT    NOT NULL,
    html          TEXT    NOT NULL,        -- Telegram HTML, the organiser's formatting
    button_label  TEXT    NOT NULL DEFAULT '',
    button_url    TEXT    NOT NULL DEFAULT '',
    due_at        TEXT    NOT NULL,
    status        TEXT    NOT NULL DEFAULT 'scheduled'
                  CHECK (status IN ('scheduled', 'sending', 'paused', 'cancelled', 'done')),
    total         INTEGER NOT NULL,
    progress_chat INTEGER,                 -- the organiser's progress message
    progress_message INTEGER,
    created_at    TEXT    NOT NULL,
    finished_at   TEXT
);
CREATE INDEX outbox_kind_status ON outbox (kind, status);
