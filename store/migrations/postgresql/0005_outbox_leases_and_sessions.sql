-- A claimed outbox row carries a lease: if the process dies, the row is retried when it ends.
ALTER TABLE outbox ADD COLUMN lease_until TIMESTAMPTZ;

-- The start time each session had when the bot last ran, to notice a change of time.
CREATE TABLE session_times (
    session_id TEXT PRIMARY KEY,
    starts_at  TIMESTAMPTZ NOT NULL
);
