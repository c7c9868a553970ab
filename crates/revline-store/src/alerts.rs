//! Alert rules, the state of each alert, its history and the delivery outbox
//! (alerts.md). An alert's change of state and its deliveries are written in one
//! transaction, so a restart neither repeats nor forgets one; deliveries are claimed
//! with a lease, so several servers on one database deliver each once.

/// A rule as stored: its condition and destinations are the JSON of alerts.md.
#[derive(Debug, Clone, PartialEq)]
pub struct AlertRule {
    pub id: i64,
    pub name: String,
    pub condition: serde_json::Value,
    pub destinations: serde_json::Value,
    pub muted_until: Option<i64>,
    pub created_by: String,
    pub created_at: i64,
}

/// The stored state of one rule and subject.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct StoredAlertState {
    pub firing: bool,
    pub false_streak: u8,
}

/// One evaluation's outcome for a rule and subject. With `event`, the alert fired or
/// resolved: the event is logged and one delivery per destination is queued, with the
/// state, in the same transaction.
#[derive(Debug, Clone, PartialEq)]
pub struct AlertChange {
    pub rule_id: i64,
    pub subject: String,
    /// The state this evaluation started from (`None`: the subject had none). The
    /// change is written only if it is still the stored one, so of two servers that
    /// evaluated the same change, one records it.
    pub before: Option<StoredAlertState>,
    pub state: StoredAlertState,
    pub at: i64,
    pub event: Option<NewAlertEvent>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewAlertEvent {
    /// `firing` or `resolved`.
    pub state: String,
    /// The payload of alerts.md, without its `id` (the event's id is added).
    pub payload: serde_json::Value,
    /// One per destination of the rule (its JSON).
    pub destinations: Vec<serde_json::Value>,
}

/// A fired or resolved alert, as its history lists it.
#[derive(Debug, Clone, PartialEq)]
pub struct AlertEvent {
    pub id: i64,
    pub rule_id: i64,
    pub subject: String,
    pub state: String,
    pub at: i64,
    pub payload: serde_json::Value,
}

/// One message to one destination.
#[derive(Debug, Clone, PartialEq)]
pub struct Delivery {
    /// Stable across retries: `<event id>-<destination index>`.
    pub id: String,
    pub event_id: i64,
    pub destination: serde_json::Value,
    pub payload: serde_json::Value,
    pub attempts: i64,
    pub next_at: i64,
    pub delivered_at: Option<i64>,
    pub failed_at: Option<i64>,
    pub last_error: Option<String>,
}

/// What became of one attempt.
#[derive(Debug, Clone, PartialEq)]
pub enum DeliveryOutcome {
    Delivered {
        at: i64,
    },
    /// Try again at `next_at`.
    Retry {
        next_at: i64,
        error: String,
    },
    /// Given up (retries ran out, or it can never succeed).
    Failed {
        at: i64,
        error: String,
    },
}

/// The alert part of `Store` (every store implements both): rules, each alert's state,
/// its history and the outbox.
#[async_trait::async_trait]
pub trait AlertStore {
    async fn add_alert_rule(
        &self,
        name: &str,
        condition: &serde_json::Value,
        destinations: &serde_json::Value,
        created_by: &str,
        now: i64,
    ) -> crate::Result<AlertRule>;

    /// Every rule, oldest first.
    async fn alert_rules(&self) -> crate::Result<Vec<AlertRule>>;

    /// Changes a rule's name, condition and destinations (its alerts keep their state);
    /// false when none.
    async fn update_alert_rule(
        &self,
        id: i64,
        name: &str,
        condition: &serde_json::Value,
        destinations: &serde_json::Value,
    ) -> crate::Result<bool>;

    /// Deletes a rule and its alerts' states (their history stays); false when none.
    async fn delete_alert_rule(&self, id: i64) -> crate::Result<bool>;

    /// Mutes a rule until an instant, or unmutes it with `None`; false when none.
    async fn mute_alert_rule(&self, id: i64, until: Option<i64>) -> crate::Result<bool>;

    /// The state of each subject of a rule that has one.
    async fn alert_states(
        &self,
        rule_id: i64,
    ) -> crate::Result<std::collections::HashMap<String, StoredAlertState>>;

    /// Writes one evaluation's outcome in one transaction: the state, and when the
    /// alert fired or resolved, its event and one queued delivery per destination.
    /// Returns the event's id; `None` without an event, or when the stored state is no
    /// longer `before` (another server recorded this change first), which writes nothing.
    async fn record_alert(&self, change: &AlertChange) -> crate::Result<Option<i64>>;

    /// Records a digest for its slot (`weekly:2026-12-07`, or a one-off's) with one
    /// queued delivery per destination; `None` when that slot already has one (another
    /// server sent it).
    async fn record_digest(
        &self,
        slot: &str,
        at: i64,
        payload: &serde_json::Value,
        destinations: &[serde_json::Value],
    ) -> crate::Result<Option<i64>>;

    /// The newest digest, if any was sent.
    async fn last_digest(&self) -> crate::Result<Option<AlertEvent>>;

    /// The newest events first, of one rule or of all (digests are not listed).
    async fn alert_events(
        &self,
        rule_id: Option<i64>,
        limit: i64,
    ) -> crate::Result<Vec<AlertEvent>>;

    /// Claims due deliveries for `lease_ms`: a delivery is handed to one worker at a
    /// time, across processes.
    async fn claim_deliveries(
        &self,
        worker: &str,
        now: i64,
        lease_ms: i64,
        limit: i64,
    ) -> crate::Result<Vec<Delivery>>;

    async fn finish_delivery(&self, id: &str, outcome: &DeliveryOutcome) -> crate::Result<()>;

    /// The newest deliveries first, with their state.
    async fn alert_deliveries(&self, limit: i64) -> crate::Result<Vec<Delivery>>;
}

/// The alert queries, one body for both stores (they differ in the database type and
/// its placeholders).
macro_rules! alert_queries {
    ($module:ident, $db:ty, $conn:ty, $dialect:expr) => {
        pub(crate) mod $module {
            use crate::alerts::*;
            use crate::sql::numbered;
            use crate::Result;
            use sqlx::AssertSqlSafe;
            type Pool = sqlx::Pool<$db>;

            fn json(text: &str) -> serde_json::Value {
                serde_json::from_str(text).unwrap_or(serde_json::Value::Null)
            }

            pub(crate) async fn add_rule(
                write: &Pool,
                name: &str,
                condition: &serde_json::Value,
                destinations: &serde_json::Value,
                created_by: &str,
                now: i64,
            ) -> Result<AlertRule> {
                let text = numbered(
                    $dialect,
                    "INSERT INTO alert_rules (name, condition, destinations, created_by, created_at) \
                     VALUES (#1, #2, #3, #4, #5) RETURNING id",
                );
                let id: i64 = sqlx::query_scalar(AssertSqlSafe(text))
                    .bind(name)
                    .bind(condition.to_string())
                    .bind(destinations.to_string())
                    .bind(created_by)
                    .bind(now)
                    .fetch_one(write)
                    .await?;
                Ok(AlertRule {
                    id,
                    name: name.to_string(),
                    condition: condition.clone(),
                    destinations: destinations.clone(),
                    muted_until: None,
                    created_by: created_by.to_string(),
                    created_at: now,
                })
            }

            pub(crate) async fn rules(read: &Pool) -> Result<Vec<AlertRule>> {
                let rows: Vec<(i64, String, String, String, Option<i64>, String, i64)> =
                    sqlx::query_as(
                        "SELECT id, name, condition, destinations, muted_until, created_by, created_at \
                         FROM alert_rules ORDER BY id",
                    )
                    .fetch_all(read)
                    .await?;
                Ok(rows
                    .into_iter()
                    .map(|(id, name, c, d, muted_until, created_by, created_at)| AlertRule {
                        id,
                        name,
                        condition: json(&c),
                        destinations: json(&d),
                        muted_until,
                        created_by,
                        created_at,
                    })
                    .collect())
            }

            pub(crate) async fn update_rule(
                write: &Pool,
                id: i64,
                name: &str,
                condition: &serde_json::Value,
                destinations: &serde_json::Value,
            ) -> Result<bool> {
                let text = numbered(
                    $dialect,
                    "UPDATE alert_rules SET name = #1, condition = #2, destinations = #3 WHERE id = #4",
                );
                let done = sqlx::query(AssertSqlSafe(text))
                    .bind(name)
                    .bind(condition.to_string())
                    .bind(destinations.to_string())
                    .bind(id)
                    .execute(write)
                    .await?;
                Ok(done.rows_affected() > 0)
            }

            pub(crate) async fn delete_rule(write: &Pool, id: i64) -> Result<bool> {
                let text = numbered($dialect, "DELETE FROM alert_rules WHERE id = #1");
                let done = sqlx::query(AssertSqlSafe(text)).bind(id).execute(write).await?;
                Ok(done.rows_affected() > 0)
            }

            pub(crate) async fn mute_rule(write: &Pool, id: i64, until: Option<i64>) -> Result<bool> {
                let text = numbered($dialect, "UPDATE alert_rules SET muted_until = #1 WHERE id = #2");
                let done = sqlx::query(AssertSqlSafe(text))
                    .bind(until)
                    .bind(id)
                    .execute(write)
                    .await?;
                Ok(done.rows_affected() > 0)
            }

            pub(crate) async fn states(
                read: &Pool,
                rule_id: i64,
            ) -> Result<std::collections::HashMap<String, StoredAlertState>> {
                let text = numbered(
                    $dialect,
                    "SELECT subject, firing, false_streak FROM alert_states WHERE rule_id = #1",
                );
                let rows: Vec<(String, i64, i64)> = sqlx::query_as(AssertSqlSafe(text))
                    .bind(rule_id)
                    .fetch_all(read)
                    .await?;
                Ok(rows
                    .into_iter()
                    .map(|(subject, firing, streak)| {
                        (
                            subject,
                            StoredAlertState {
                                firing: firing != 0,
                                false_streak: streak.clamp(0, 255) as u8,
                            },
                        )
                    })
                    .collect())
            }

            /// The state, and with an event the event and its deliveries, in the
            /// caller's transaction.
            pub(crate) async fn record(conn: $conn, change: &AlertChange) -> Result<Option<i64>> {
                let written = match change.before {
                    None => {
                        let text = numbered(
                            $dialect,
                            "INSERT INTO alert_states (rule_id, subject, firing, false_streak, changed_at) \
                             VALUES (#1, #2, #3, #4, #5) ON CONFLICT (rule_id, subject) DO NOTHING",
                        );
                        sqlx::query(AssertSqlSafe(text))
                            .bind(change.rule_id)
                            .bind(&change.subject)
                            .bind(i64::from(change.state.firing))
                            .bind(i64::from(change.state.false_streak))
                            .bind(change.at)
                            .execute(&mut *conn)
                            .await?
                    }
                    Some(before) => {
                        let text = numbered(
                            $dialect,
                            "UPDATE alert_states SET firing = #3, false_streak = #4, changed_at = #5 \
                             WHERE rule_id = #1 AND subject = #2 AND firing = #6 AND false_streak = #7",
                        );
                        sqlx::query(AssertSqlSafe(text))
                            .bind(change.rule_id)
                            .bind(&change.subject)
                            .bind(i64::from(change.state.firing))
                            .bind(i64::from(change.state.false_streak))
                            .bind(change.at)
                            .bind(i64::from(before.firing))
                            .bind(i64::from(before.false_streak))
                            .execute(&mut *conn)
                            .await?
                    }
                };
                if written.rows_affected() == 0 {
                    return Ok(None);
                }
                let Some(event) = &change.event else {
                    return Ok(None);
                };
                let text = numbered(
                    $dialect,
                    "INSERT INTO alert_events (rule_id, subject, state, at, payload) \
                     VALUES (#1, #2, #3, #4, #5) RETURNING id",
                );
                let id: i64 = sqlx::query_scalar(AssertSqlSafe(text))
                    .bind(change.rule_id)
                    .bind(&change.subject)
                    .bind(&event.state)
                    .bind(change.at)
                    .bind(event.payload.to_string())
                    .fetch_one(&mut *conn)
                    .await?;
                queue(&mut *conn, id, &event.destinations, change.at).await?;
                Ok(Some(id))
            }

            /// One delivery per destination of an event, due at once.
            async fn queue(
                conn: $conn,
                event: i64,
                destinations: &[serde_json::Value],
                at: i64,
            ) -> Result<()> {
                for (i, destination) in destinations.iter().enumerate() {
                    let text = numbered(
                        $dialect,
                        "INSERT INTO alert_deliveries (id, event_id, destination, attempts, next_at) \
                         VALUES (#1, #2, #3, 0, #4)",
                    );
                    sqlx::query(AssertSqlSafe(text))
                        .bind(format!("{event}-{i}"))
                        .bind(event)
                        .bind(destination.to_string())
                        .bind(at)
                        .execute(&mut *conn)
                        .await?;
                }
                Ok(())
            }

            /// A digest for its slot and its deliveries, in the caller's transaction.
            pub(crate) async fn digest(
                conn: $conn,
                slot: &str,
                at: i64,
                payload: &serde_json::Value,
                destinations: &[serde_json::Value],
            ) -> Result<Option<i64>> {
                let text = numbered(
                    $dialect,
                    "INSERT INTO alert_events (rule_id, subject, state, at, payload) \
                     VALUES (0, #1, 'digest', #2, #3) \
                     ON CONFLICT (subject) WHERE state = 'digest' DO NOTHING RETURNING id",
                );
                let id: Option<i64> = sqlx::query_scalar(AssertSqlSafe(text))
                    .bind(slot)
                    .bind(at)
                    .bind(payload.to_string())
                    .fetch_optional(&mut *conn)
                    .await?;
                if let Some(id) = id {
                    queue(&mut *conn, id, destinations, at).await?;
                }
                Ok(id)
            }

            pub(crate) async fn last_digest(read: &Pool) -> Result<Option<AlertEvent>> {
                let row: Option<(i64, i64, String, String, i64, String)> = sqlx::query_as(
                    "SELECT id, rule_id, subject, state, at, payload FROM alert_events \
                     WHERE state = 'digest' ORDER BY at DESC, id DESC LIMIT 1",
                )
                .fetch_optional(read)
                .await?;
                Ok(row.map(|(id, rule_id, subject, state, at, payload)| AlertEvent {
                    id,
                    rule_id,
                    subject,
                    state,
                    at,
                    payload: json(&payload),
                }))
            }

            pub(crate) async fn events(
                read: &Pool,
                rule_id: Option<i64>,
                limit: i64,
            ) -> Result<Vec<AlertEvent>> {
                let text = numbered(
                    $dialect,
                    "SELECT id, rule_id, subject, state, at, payload FROM alert_events \
                     WHERE (#1 IS NULL OR rule_id = #1) AND state <> 'digest' \
                     ORDER BY at DESC, id DESC LIMIT #2",
                );
                let rows: Vec<(i64, i64, String, String, i64, String)> =
                    sqlx::query_as(AssertSqlSafe(text))
                        .bind(rule_id)
                        .bind(limit)
                        .fetch_all(read)
                        .await?;
                Ok(rows
                    .into_iter()
                    .map(|(id, rule_id, subject, state, at, payload)| AlertEvent {
                        id,
                        rule_id,
                        subject,
                        state,
                        at,
                        payload: json(&payload),
                    })
                    .collect())
            }

            const DELIVERY: &str = "SELECT d.id, d.event_id, d.destination, e.payload, d.attempts, d.next_at, \
                 d.delivered_at, d.failed_at, d.last_error FROM alert_deliveries d \
                 JOIN alert_events e ON e.id = d.event_id";

            type DeliveryRow = (
                String,
                i64,
                String,
                String,
                i64,
                i64,
                Option<i64>,
                Option<i64>,
                Option<String>,
            );

            fn delivery(row: DeliveryRow) -> Delivery {
                let (id, event_id, destination, payload, attempts, next_at, delivered_at, failed_at, last_error) =
                    row;
                let mut payload = json(&payload);
                payload["id"] = serde_json::Value::String(id.clone());
                Delivery {
                    id,
                    event_id,
                    destination: json(&destination),
                    payload,
                    attempts,
                    next_at,
                    delivered_at,
                    failed_at,
                    last_error,
                }
            }

            /// Takes up to `limit` due deliveries for `lease` milliseconds. The
            /// conditions are repeated on the row being updated, so that of two servers
            /// claiming at once only one gets each delivery.
            pub(crate) async fn claim(
                write: &Pool,
                worker: &str,
                now: i64,
                lease: i64,
                limit: i64,
            ) -> Result<Vec<Delivery>> {
                let text = numbered(
                    $dialect,
                    "UPDATE alert_deliveries SET claimed_by = #1, claimed_until = #2 \
                     WHERE delivered_at IS NULL AND failed_at IS NULL AND next_at <= #3 \
                     AND (claimed_until IS NULL OR claimed_until < #3) \
                     AND id IN (SELECT id FROM alert_deliveries WHERE delivered_at IS NULL \
                        AND failed_at IS NULL AND next_at <= #3 \
                        AND (claimed_until IS NULL OR claimed_until < #3) ORDER BY next_at, id LIMIT #4) \
                     RETURNING id",
                );
                let ids: Vec<String> = sqlx::query_scalar(AssertSqlSafe(text))
                    .bind(worker)
                    .bind(now + lease)
                    .bind(now)
                    .bind(limit)
                    .fetch_all(write)
                    .await?;
                let mut out = Vec::with_capacity(ids.len());
                for id in ids {
                    let text = numbered($dialect, &format!("{DELIVERY} WHERE d.id = #1"));
                    let row: DeliveryRow = sqlx::query_as(AssertSqlSafe(text))
                        .bind(&id)
                        .fetch_one(write)
                        .await?;
                    out.push(delivery(row));
                }
                Ok(out)
            }

            pub(crate) async fn finish(write: &Pool, id: &str, outcome: &DeliveryOutcome) -> Result<()> {
                let (delivered, next_at, failed, error) = match outcome {
                    DeliveryOutcome::Delivered { at } => (Some(*at), None, None, None),
                    DeliveryOutcome::Retry { next_at, error } => (None, Some(*next_at), None, Some(error.as_str())),
                    DeliveryOutcome::Failed { at, error } => (None, None, Some(*at), Some(error.as_str())),
                };
                let text = numbered(
                    $dialect,
                    "UPDATE alert_deliveries SET attempts = attempts + 1, delivered_at = #1, \
                     next_at = COALESCE(#2, next_at), failed_at = #3, last_error = #4, \
                     claimed_by = NULL, claimed_until = NULL WHERE id = #5",
                );
                sqlx::query(AssertSqlSafe(text))
                    .bind(delivered)
                    .bind(next_at)
                    .bind(failed)
                    .bind(error)
                    .bind(id)
                    .execute(write)
                    .await?;
                Ok(())
            }

            pub(crate) async fn deliveries(read: &Pool, limit: i64) -> Result<Vec<Delivery>> {
                let text = numbered(
                    $dialect,
                    &format!("{DELIVERY} ORDER BY d.next_at DESC, d.id DESC LIMIT #1"),
                );
                let rows: Vec<DeliveryRow> = sqlx::query_as(AssertSqlSafe(text))
                    .bind(limit)
                    .fetch_all(read)
                    .await?;
                Ok(rows.into_iter().map(delivery).collect())
            }
        }
    };
}

/// The alert methods of `Store`, one body for both stores: each delegates to its
/// dialect's queries (`$module`) and opens its write transaction the store's own way.
macro_rules! store_methods {
    ($store:ty, $module:ident) => {
        #[async_trait::async_trait]
        impl crate::alerts::AlertStore for $store {
            async fn add_alert_rule(
                &self,
                name: &str,
                condition: &serde_json::Value,
                destinations: &serde_json::Value,
                created_by: &str,
                now: i64,
            ) -> Result<crate::alerts::AlertRule> {
                crate::alerts::$module::add_rule(
                    self.writes(),
                    name,
                    condition,
                    destinations,
                    created_by,
                    now,
                )
                .await
            }

            async fn alert_rules(&self) -> Result<Vec<crate::alerts::AlertRule>> {
                crate::alerts::$module::rules(&self.pool).await
            }

            async fn update_alert_rule(
                &self,
                id: i64,
                name: &str,
                condition: &serde_json::Value,
                destinations: &serde_json::Value,
            ) -> Result<bool> {
                crate::alerts::$module::update_rule(
                    self.writes(),
                    id,
                    name,
                    condition,
                    destinations,
                )
                .await
            }

            async fn delete_alert_rule(&self, id: i64) -> Result<bool> {
                crate::alerts::$module::delete_rule(self.writes(), id).await
            }

            async fn mute_alert_rule(&self, id: i64, until: Option<i64>) -> Result<bool> {
                crate::alerts::$module::mute_rule(self.writes(), id, until).await
            }

            async fn alert_states(
                &self,
                rule_id: i64,
            ) -> crate::Result<std::collections::HashMap<String, crate::alerts::StoredAlertState>>
            {
                crate::alerts::$module::states(&self.pool, rule_id).await
            }

            async fn record_alert(
                &self,
                change: &crate::alerts::AlertChange,
            ) -> Result<Option<i64>> {
                let mut tx = self.write_transaction().await?;
                let id = crate::alerts::$module::record(&mut tx, change).await?;
                tx.commit().await?;
                Ok(id)
            }

            async fn record_digest(
                &self,
                slot: &str,
                at: i64,
                payload: &serde_json::Value,
                destinations: &[serde_json::Value],
            ) -> Result<Option<i64>> {
                let mut tx = self.write_transaction().await?;
                let id = crate::alerts::$module::digest(&mut tx, slot, at, payload, destinations)
                    .await?;
                tx.commit().await?;
                Ok(id)
            }

            async fn last_digest(&self) -> Result<Option<crate::alerts::AlertEvent>> {
                crate::alerts::$module::last_digest(&self.pool).await
            }

            async fn alert_events(
                &self,
                rule_id: Option<i64>,
                limit: i64,
            ) -> Result<Vec<crate::alerts::AlertEvent>> {
                crate::alerts::$module::events(&self.pool, rule_id, limit).await
            }

            async fn claim_deliveries(
                &self,
                worker: &str,
                now: i64,
                lease_ms: i64,
                limit: i64,
            ) -> Result<Vec<crate::alerts::Delivery>> {
                crate::alerts::$module::claim(self.writes(), worker, now, lease_ms, limit).await
            }

            async fn finish_delivery(
                &self,
                id: &str,
                outcome: &crate::alerts::DeliveryOutcome,
            ) -> Result<()> {
                crate::alerts::$module::finish(self.writes(), id, outcome).await
            }

            async fn alert_deliveries(&self, limit: i64) -> Result<Vec<crate::alerts::Delivery>> {
                crate::alerts::$module::deliveries(&self.pool, limit).await
            }
        }
    };
}
pub(crate) use store_methods;

alert_queries!(
    sqlite_alerts,
    sqlx::Sqlite,
    &mut sqlx::SqliteConnection,
    crate::sql::Dialect::Sqlite
);
alert_queries!(
    pg_alerts,
    sqlx::Postgres,
    &mut sqlx::PgConnection,
    crate::sql::Dialect::Postgres
);
