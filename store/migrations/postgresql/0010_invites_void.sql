-- An invite dies with its maker's power to invite: when an organiser's role is revoked
-- (or they are forgotten), the invites they made and nobody used are void.
-- `used_at`, not `used_by` (which /forget clears), is what marks an invite as spent.
ALTER TABLE invites ADD COLUMN voided_at TIMESTAMPTZ;
CREATE INDEX invites_unused_by_maker ON invites (created_by) WHERE used_at IS NULL;
