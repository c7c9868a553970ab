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
        "Start of the period (date or date-time, workspace time zone); default: a year before `to` (forecast: the start of the as-of year).",
    ),
    (
        "to",
        "string",
        "End of the period, exclusive; default: the as-of time (forecast: the end of the as-of year).",
    ),
    (
        "as_of",
        "string",
        "Pins \"now\"; nothing after it is counted. Default: the current time.",
    ),
    (
        "by",
        "string",
        "Breakdown: channel, first_touch_channel, campaign, segment, owner or country.",
    ),
    (
        "filter",
        "string",
        "Only one slice, DIM:VALUE (channel:paid_search); scorecard, funnel, sla, cohorts, forecast.",
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
        "number",
        "Forecast: plan for this revenue target instead of targets.csv's.",
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
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Revline API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Reports with the same parameters and the same JSON as `revline report NAME --format json`. Every route but /healthz needs `Authorization: Bearer TOKEN` (revline token create)."
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
                            "code": { "type": "string", "enum": ["bad_request", "unauthorized", "not_found", "store_error"] },
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
                    "404": error_response("An unknown report, contact, account or what-if link.")
                }
            } }
        }
    })
}
