-- Registrations for sessions (configured in settings.toml) and the pool of MOOC logins.
CREATE TABLE registrations (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,   -- also the waitlist order
    participant_id INTEGER NOT NULL REFERENCES participants (telegram_id) ON DELETE CASCADE,
    session_id     TEXT    NOT NULL,
    status         TEXT    NOT NULL
                   CHECK (status IN ('registered', 'waitlisted', 'cancelled', 'attended')),
    name           TEXT    NOT NULL,
    email          TEXT    NOT NULL,
    organisation   TEXT    NOT NULL DEFAULT '',
    role           TEXT    NOT NULL DEFAULT '',
    knows          TEXT    NOT NULL DEFAULT '',
    consent_at     TEXT    NOT NULL,
    created_at     TEXT    NOT NULL,
    updated_at     TEXT    NOT NULL,
    queued_at      TEXT    NOT NULL               -- waitlist order: when they (re)joined
);
-- One live registration per person and session; cancelled ones stay for the record.
CREATE UNIQUE INDEX registrations_live
    ON registrations (participant_id, session_id) WHERE status != 'cancelled';
CREATE INDEX registrations_session ON registrations (session_id, status, queued_at, id);

CREATE TABLE mooc_logins (
    code           TEXT    PRIMARY KEY,
    imported_at    TEXT    NOT NULL,
    participant_id INTEGER UNIQUE,                -- a code is handed out once, for good
    assigned_at    TEXT
);
