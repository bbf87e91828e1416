-- One broadcast, every language: the message in the languages besides the default one
-- (JSON {"nl": "<b>…</b>"}); a recipient whose language has none gets `html`.
ALTER TABLE broadcasts ADD COLUMN versions TEXT NOT NULL DEFAULT '{}';
