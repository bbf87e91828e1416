-- Roles granted from the chat or the command line (settings.toml can grant them too).
CREATE TABLE roles (
    telegram_id BIGINT NOT NULL,
    role        TEXT    NOT NULL CHECK (role IN ('organiser', 'facilitator')),
    granted_by  BIGINT,                 -- NULL: the command line
    granted_at  TIMESTAMPTZ    NOT NULL,
    PRIMARY KEY (telegram_id, role)
);

-- One-time invite links: t.me/<bot>?start=inv_<token>.
CREATE TABLE invites (
    token       TEXT    PRIMARY KEY,
    role        TEXT    NOT NULL CHECK (role IN ('organiser', 'facilitator')),
    created_by  BIGINT NOT NULL,
    created_at  TIMESTAMPTZ    NOT NULL,
    expires_at  TIMESTAMPTZ    NOT NULL,
    used_by     BIGINT,
    used_at     TIMESTAMPTZ
);
