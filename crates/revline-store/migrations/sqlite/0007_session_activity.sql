-- When each web session was last used, so that an idle one ends before its expiry.
ALTER TABLE sessions ADD COLUMN last_seen_at INTEGER;
UPDATE sessions SET last_seen_at = created_at;
