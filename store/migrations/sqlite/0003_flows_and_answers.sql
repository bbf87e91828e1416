-- Dialogue state (saved after every step) and every version of every answer.
CREATE TABLE flow_states (
    participant_id INTEGER NOT NULL REFERENCES participants (telegram_id) ON DELETE CASCADE,
    flow_id        TEXT    NOT NULL,
    state          TEXT    NOT NULL,            -- JSON of flows.engine.FlowState
    listening      INTEGER NOT NULL DEFAULT 0,  -- typed text goes to this flow
    updated_at     TEXT    NOT NULL,
    PRIMARY KEY (participant_id, flow_id)
);

CREATE TABLE answers (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    participant_id INTEGER NOT NULL REFERENCES participants (telegram_id) ON DELETE CASCADE,
    flow_id        TEXT    NOT NULL,
    step_id        TEXT    NOT NULL,
    question       TEXT    NOT NULL DEFAULT '',
    value          TEXT    NOT NULL,            -- exactly as typed; '' when skipped
    version        INTEGER NOT NULL,            -- 1, 2, …: every edit is kept
    answered_at    TEXT    NOT NULL,
    UNIQUE (participant_id, flow_id, step_id, version)
);
CREATE INDEX answers_by_step ON answers (flow_id, step_id, participant_id, version);
