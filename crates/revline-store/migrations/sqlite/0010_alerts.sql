-- Alert rules (alerts.md), the state of each rule and subject, the history of alerts
-- fired and resolved, and the outbox of their deliveries. A change of state, its event
-- and its deliveries are written in one transaction.
CREATE TABLE alert_rules (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    condition TEXT NOT NULL,
    destinations TEXT NOT NULL,
    muted_until BIGINT,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE alert_states (
    rule_id BIGINT NOT NULL REFERENCES alert_rules (id) ON DELETE CASCADE,
    subject TEXT NOT NULL,
    firing BIGINT NOT NULL,
    false_streak BIGINT NOT NULL,
    changed_at BIGINT NOT NULL,
    PRIMARY KEY (rule_id, subject)
);

-- History outlives its rule: no foreign key.
CREATE TABLE alert_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    rule_id BIGINT NOT NULL,
    subject TEXT NOT NULL,
    state TEXT NOT NULL,
    at BIGINT NOT NULL,
    payload TEXT NOT NULL
);
CREATE INDEX alert_events_by_rule ON alert_events (rule_id, at);

CREATE TABLE alert_deliveries (
    id TEXT PRIMARY KEY,
    event_id BIGINT NOT NULL REFERENCES alert_events (id),
    destination TEXT NOT NULL,
    attempts BIGINT NOT NULL,
    next_at BIGINT NOT NULL,
    delivered_at BIGINT,
    failed_at BIGINT,
    last_error TEXT,
    claimed_by TEXT,
    claimed_until BIGINT
);
CREATE INDEX alert_deliveries_due ON alert_deliveries (next_at) WHERE delivered_at IS NULL AND failed_at IS NULL;
