-- Course progress, drip preferences and the outbox of messages to send later.
ALTER TABLE participants ADD COLUMN drips_paused INTEGER NOT NULL DEFAULT 0;
ALTER TABLE participants ADD COLUMN nudges_sent INTEGER NOT NULL DEFAULT 0;

-- The card a participant saw last.
CREATE TABLE course_progress (
    participant_id INTEGER PRIMARY KEY REFERENCES participants (telegram_id) ON DELETE CASCADE,
    section_id     TEXT    NOT NULL,
    card           INTEGER NOT NULL,
    updated_at     TEXT    NOT NULL
);

-- Sections read to the end.
CREATE TABLE sections_read (
    participant_id INTEGER NOT NULL REFERENCES participants (telegram_id) ON DELETE CASCADE,
    section_id     TEXT    NOT NULL,
    finished_at    TEXT    NOT NULL,
    PRIMARY KEY (participant_id, section_id)
);

-- Everything the bot sends later is a row here first; a dispatcher sends due rows.
CREATE TABLE outbox (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    dedup_key      TEXT    NOT NULL UNIQUE,   -- the same promise is never queued twice
    participant_id INTEGER NOT NULL,
    chat_id        INTEGER NOT NULL,
    kind           TEXT    NOT NULL,          -- e.g. 'drip'
    payload        TEXT    NOT NULL DEFAULT '{}',
    due_at         TEXT    NOT NULL,
    status         TEXT    NOT NULL DEFAULT 'pending'
                   CHECK (status IN ('pending', 'sending', 'sent', 'failed', 'cancelled', 'missed')),
    attempts       INTEGER NOT NULL DEFAULT 0,
    last_error     TEXT,
    created_at     TEXT    NOT NULL,
    sent_at        TEXT
);
CREATE INDEX outbox_due ON outbox (status, due_at);
CREATE INDEX outbox_participant ON outbox (participant_id, status);
