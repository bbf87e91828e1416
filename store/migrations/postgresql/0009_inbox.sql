-- The way in: every update from Telegram is a row here before Telegram is told it arrived.
-- A row is handled in the same transaction as the handler's own writes; its text is
-- dropped once handled (only the id stays, to refuse a redelivery).
CREATE TABLE inbox (
    update_id   BIGINT PRIMARY KEY,           -- Telegram's id: a redelivery is ignored
    person      BIGINT NOT NULL DEFAULT 0,    -- whose updates run in order (0: nobody's)
    payload     TEXT,                          -- the update as JSON, NULL once handled
    status      TEXT    NOT NULL DEFAULT 'pending'
                CHECK (status IN ('pending', 'handled', 'parked')),
    attempts    BIGINT NOT NULL DEFAULT 0,
    last_error  TEXT,
    received_at TIMESTAMPTZ    NOT NULL,
    handled_at  TIMESTAMPTZ
);
CREATE INDEX inbox_pending ON inbox (status, update_id);
CREATE INDEX inbox_person ON inbox (person);

-- Replies (what a person gets back for an update) are outbox rows too, sent ahead of bulk.
CREATE INDEX outbox_replies ON outbox (due_at) WHERE kind = 'reply' AND status IN ('pending', 'sending');
