-- The newest message of each dialogue that still carries its buttons, per person: an
-- answer typed instead takes them off, so an old Skip or Back no longer looks pressable.
CREATE TABLE flow_prompts (
    participant_id INTEGER NOT NULL REFERENCES participants (telegram_id) ON DELETE CASCADE,
    flow_code      TEXT    NOT NULL,            -- the `f:<code>:` of its buttons
    message_id     INTEGER NOT NULL,            -- in the person's private chat
    shown_at       TEXT    NOT NULL,
    PRIMARY KEY (participant_id, flow_code)
);
