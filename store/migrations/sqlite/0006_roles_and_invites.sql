-- Roles granted from the chat or the command line (settings.toml can grant them too).
CREATE TABLE roles (
    telegram_id INTEGER NOT NULL,
    role        TEXT    NOT NULL CHECK (role IN ('organiser', 'facilitator')),
    granted_by  INTEGER,                 -- NULL: the command line
    granted_at  TEXT    NOT NULL,
    PRIMARY KEY (telegram_id, role)
);

-- One-time invite links: t.me/<bot>?start=inv_<token>.
CREATE TABLE invites (
    token       TEXT    PRIMARY KEY,
    role        TEXT    NOT NULL CHECK (role IN ('organiser', 'facilitator')),
    created_by  INTEGER NOT NULL,
    created_at  TEXT    NOT NULL,
    expires_at  TEXT    NOT NULL,
    used_by     INTEGER,
    used_at     TEXT
);
