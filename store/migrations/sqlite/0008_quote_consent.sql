-- How each reflection answer may be used in the live session, as the participant chose.
CREATE TABLE quote_consent (
    participant_id INTEGER NOT NULL REFERENCES participants (telegram_id) ON DELETE CASCADE,
    question       TEXT    NOT NULL,
    choice         TEXT    NOT NULL CHECK (choice IN ('name', 'anonymous', 'private')),
    updated_at     TEXT    NOT NULL,
    PRIMARY KEY (participant_id, question)
);
