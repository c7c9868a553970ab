-- Digests (alerts.md "Digest") are kept with the alerts' history, as events of state
-- 'digest' (no rule) whose subject is the slot they were sent for, and go out through
-- the same outbox. One digest per slot, however many servers share the database.
CREATE UNIQUE INDEX alert_events_digest_slot ON alert_events (subject) WHERE state = 'digest';
