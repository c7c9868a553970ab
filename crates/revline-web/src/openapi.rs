//! The OpenAPI document of `/api/v1` (served at `/api/v1/openapi.json`). Written out
//! here rather than derived, so that it reads like the contract it is; a test checks
//! that it names every report and every parameter the runner accepts, and a snapshot
//! test keeps it from changing unnoticed.

use revline_engine::query::ReportKind;
use serde_json::{Value, json};

/// (name, JSON schema type, description) of every report parameter.
pub const PARAMETERS: &[(&str, &str, &str)] = &[
    (
        "from",
        "string",
        "Start of the period (date or date-time, workspace time zone); default: the 12 whole months before the as-of month, or 12 months before `to` (forecast: the start of the as-of year).",
    ),
    (
        "to",
        "string",
        "End of the period, exclusive; default: the start of the as-of month, or the as-of time when only `from` is given (forecast: the end of the as-of year).",
    ),
    (
        "as_of",
        "string",
        "Pins \"now\"; nothing after it is counted. Default: the current time.",
    ),
    (
        "by",
        "string",
        "Breakdown: channel, first_touch_channel, campaign, segment, owner, country or score_band (the lead score's band: top 0–10%, top 10–25%, top 25–50%, top 50–100% of leads).",
    ),
    (
        "filter",
        "string",
        "Only one slice, DIM:VALUE (channel:paid_search, score_band:top 0–10%); scorecard, funnel, members, mrr, sla, cohorts, forecast, attribution, bottlenecks. Sliced to a segment, the scorecard uses that segment's targets.",
    ),
    (
        "stage",
        "string",
        "Members: the funnel stage whose people are listed (exactly the funnel's `reached` for it).",
    ),
    ("view", "string", "Funnel: cohort (default) or flow."),
    (
        "window_days",
        "number",
        "Funnel: count a stage only when reached within this many days of the first.",
    ),
    ("contact", "string", "Journeys: the contact's id."),
    ("account", "string", "Journeys: the account's id."),
    ("email", "string", "Journeys: the contact with this email."),
    (
        "target",
        "string",
        "Forecast: plan for this revenue target (an amount) instead of targets.csv's. Scores: the stage to predict (default: customer).",
    ),
    (
        "horizon_days",
        "number",
        "Scores: the target counts when reached within this many days of the lead entry (default 90).",
    ),
    (
        "train_as_of",
        "string",
        "Scores: train on what was known at this time, on leads that entered at least horizon_days before it (default: the as-of time).",
    ),
    (
        "capacity",
        "number",
        "Scores: sales' capacity in leads per month for the threshold (default: the current rate of SQLs per month).",
    ),
    (
        "contacts",
        "string",
        "Scores: only these contacts (comma-separated ids), whenever they were created, instead of those created in the period.",
    ),
    (
        "model",
        "string",
        "Attribution: first_touch, last_touch, linear, time_decay, position_based, w_shaped, markov or all (default).",
    ),
    (
        "order",
        "integer",
        "Attribution: Markov order, 1 to 4 (default 1).",
    ),
    (
        "lookback_days",
        "number",
        "Attribution: touches this many days before a conversion count (default: the workspace's lookback_days).",
    ),
    (
        "half_life_days",
        "number",
        "Attribution: half-life of the time-decay model (default 7).",
    ),
    (
        "conversion",
        "string",
        "Attribution: won (default), created or stage:NAME.",
    ),
    (
        "touches",
        "string",
        "Attribution: which touches make up journeys: all (default) or marketing (sales and service touches left out).",
    ),
    (
        "account_based",
        "boolean",
        "Attribution: journeys of every contact of the account.",
    ),
    (
        "what_if",
        "string",
        "Bottlenecks: LINK=RATE, e.g. conversion:mql->sql=0.6, handoff=0.95, retention=0.99.",
    ),
    (
        "min_gap",
        "number",
        "Bottlenecks: the smallest gap worth reporting, as a share of the benchmark (default 0.25).",
    ),
    (
        "maturity_days",
        "number",
        "Bottlenecks: days a step may take to count as converted (default 90).",
    ),
];

fn error_response(description: &str) -> Value {
    json!({
        "description": description,
        "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } }
    })
}

pub fn document() -> Value {
    let names: Vec<&str> = ReportKind::ALL.iter().map(|k| k.name()).collect();
    let mut parameters = vec![json!({
        "name": "name", "in": "path", "required": true,
        "description": "The report.",
        "schema": { "type": "string", "enum": names }
    })];
    for (name, ty, description) in PARAMETERS {
        parameters.push(json!({
            "name": name, "in": "query", "required": false,
            "description": description, "schema": { "type": ty }
        }));
    }
    // Not a report parameter: how the answer is written.
    parameters.push(json!({
        "name": "format", "in": "query", "required": false,
        "description": "json (default) or csv: the rows of `revline report NAME --format csv`, as a download",
        "schema": { "type": "string", "enum": ["json", "csv"] }
    }));
    let write = |summary: &str, body: &str| {
        json!({ "post": {
            "summary": summary,
            "requestBody": { "required": true, "content": {
                "application/x-ndjson": { "schema": { "type": "string" }, "example": body },
                "application/json": { "schema": { "oneOf": [
                    { "type": "object" }, { "type": "array", "items": { "type": "object" } }
                ] } }
            } },
            "responses": {
                "200": { "description": "Every row landed: the import summary `{\"files\":[{\"file\",\"read\",\"inserted\",\"updated\",\"rejected\",\"errors\":[{\"line\",\"column\",\"reason\"}]}]}`." },
                "207": { "description": "Some rows were rejected (listed in errors with line, column and reason); the others landed." },
                "400": error_response("A body that is not JSON, or a call without a required field."),
                "401": error_response("No or an unknown token."),
                "403": error_response("The caller's role (viewer) may not write."),
                "422": error_response("Input that cannot be imported at all (a missing required column).")
            }
        } })
    };
    let kinds: Vec<&str> = crate::ingest::BATCH_KINDS
        .iter()
        .map(|k| k.name())
        .collect();
    let mut paths = serde_json::Map::new();
    paths.insert("/api/v1/{kind}".into(), {
        let mut batch = write(
            "A batch of records of one kind (data-contract.md columns), as NDJSON, a JSON array, or CSV with Content-Type text/csv",
            "{\"contact_id\":\"c1\",\"email\":\"ann@example.com\",\"created_at\":\"2026-03-01\"}",
        );
        batch["post"]["parameters"] = json!([{
            "name": "kind", "in": "path", "required": true,
            "schema": { "type": "string", "enum": kinds }
        }]);
        batch
    });
    paths.insert("/api/v1/track".into(), write(
        "Segment-style track: an event of a known person (userId) becomes a touchpoint; channel from properties.channel or context.campaign.source",
        "{\"userId\":\"c1\",\"event\":\"webinar\",\"properties\":{\"channel\":\"webinar\",\"campaign\":\"q3-launch\"},\"timestamp\":\"2026-03-02T10:00:00Z\"}",
    ));
    paths.insert(
        "/api/v1/identify".into(),
        write(
            "Segment-style identify: userId and traits become (or update) a contact",
            "{\"userId\":\"c1\",\"traits\":{\"email\":\"ann@example.com\",\"name\":\"Ann\"}}",
        ),
    );
    paths.insert("/api/v1/group".into(), write(
        "Segment-style group: groupId and traits become (or update) an account; with userId, that contact joins it",
        "{\"userId\":\"c1\",\"groupId\":\"a1\",\"traits\":{\"name\":\"Acme\",\"segment\":\"smb\"}}",
    ));
    let mut doc = json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Revline API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Reports with the same parameters and the same JSON as `revline report NAME --format json`; record batches and Segment-style events with the summary of `revline import --format json`. Every route but /healthz needs `Authorization: Bearer TOKEN` (revline token create, or Settings in the web app) or a web session (state changes with a session also need X-CSRF-Token). Writing records needs the editor or admin role."
        },
        "components": {
            "securitySchemes": { "token": { "type": "http", "scheme": "bearer" } },
            "schemas": {
                "Error": {
                    "type": "object",
                    "required": ["error"],
                    "properties": { "error": {
                        "type": "object",
                        "required": ["code", "message", "details"],
                        "properties": {
                            "code": { "type": "string", "enum": ["bad_request", "unauthorized", "forbidden", "not_found", "conflict", "unprocessable", "too_many_requests", "store_error", "cluster_failed"] },
                            "message": { "type": "string" },
                            "details": {}
                        }
                    } }
                }
            }
        },
        "security": [{ "token": [] }],
        "paths": {
            "/healthz": { "get": {
                "summary": "Liveness", "security": [],
                "responses": { "200": { "description": "The server is up." } }
            } },
            "/api/v1/me": { "get": {
                "summary": "The token's user",
                "responses": {
                    "200": { "description": "`{\"email\", \"role\"}`" },
                    "401": error_response("No or an unknown token.")
                }
            } },
            "/api/v1/alerts": {
                "get": {
                    "summary": "Alert rules (alerts.md); webhook secrets are shown as (hidden)",
                    "responses": {
                        "200": { "description": "`[{\"id\", \"name\", \"condition\", \"destinations\", \"muted_until\"}]`" },
                        "401": error_response("No or an unknown token.")
                    }
                },
                "post": {
                    "summary": "Add a rule (editor or admin): `{\"name\", \"condition\", \"destinations\"}` as alerts.md writes them",
                    "responses": {
                        "201": { "description": "The rule, as GET lists it" },
                        "400": error_response("The condition or a destination is wrong; the message says which."),
                        "401": error_response("No or an unknown token."),
                        "403": error_response("A viewer.")
                    }
                }
            },
            "/api/v1/alerts/{id}": { "delete": {
                "summary": "Remove a rule (editor or admin); its history stays",
                "parameters": [{ "name": "id", "in": "path", "required": true, "schema": { "type": "integer" } }],
                "responses": {
                    "204": { "description": "Removed" },
                    "403": error_response("A viewer."),
                    "404": error_response("No such rule.")
                }
            } },
            "/api/v1/openapi.json": { "get": {
                "summary": "This document",
                "responses": { "200": { "description": "OpenAPI 3.1" } }
            } },
            "/api/v1/reports/{name}": { "get": {
                "summary": "A report (interface.md \"JSON shapes\")",
                "parameters": parameters,
                "responses": {
                    "200": { "description": "The report's JSON document." },
                    "400": error_response("A parameter that cannot be used; details.param names it."),
                    "401": error_response("No or an unknown token."),
                    "404": error_response("An unknown report, contact, account or what-if link."),
                    "502": error_response("A server started with --cluster: the cluster failed a report that runs there (code cluster_failed).")
                }
            } }
        }
    });
    let doc_paths = doc["paths"].as_object_mut().expect("paths is an object");
    doc_paths.extend(paths);
    doc
}
