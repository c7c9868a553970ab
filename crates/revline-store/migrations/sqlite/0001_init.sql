-- Revline schema: one table per record kind of the data contract.
-- `id` is the source id or a derived one; `row_hash` is a digest of the content so
-- that a re-import can tell unchanged rows from updated ones; `props` keeps the
-- columns the contract does not name.

CREATE TABLE accounts (
    id TEXT PRIMARY KEY NOT NULL,
    "name" TEXT,
    "domain" TEXT,
    "industry" TEXT,
    "segment" TEXT,
    "country" TEXT,
    "owner" TEXT,
    "created_at" INTEGER,
    props TEXT NOT NULL DEFAULT '{}',
    row_hash INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE contacts (
    id TEXT PRIMARY KEY NOT NULL,
    "email" TEXT,
    "name" TEXT,
    "phone" TEXT,
    "title" TEXT,
    "account_id" TEXT,
    "owner" TEXT,
    "source" TEXT,
    "created_at" INTEGER,
    props TEXT NOT NULL DEFAULT '{}',
    row_hash INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE deals (
    id TEXT PRIMARY KEY NOT NULL,
    "contact_id" TEXT,
    "account_id" TEXT,
    "name" TEXT,
    "owner" TEXT,
    "pipeline" TEXT,
    "stage" TEXT,
    "amount" INTEGER,
    "currency" TEXT,
    "created_at" INTEGER,
    "expected_close_at" INTEGER,
    "closed_at" INTEGER,
    "status" TEXT,
    "lost_reason" TEXT,
    "probability" TEXT,
    props TEXT NOT NULL DEFAULT '{}',
    row_hash INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE touchpoints (
    id TEXT PRIMARY KEY NOT NULL,
    "contact_id" TEXT,
    "occurred_at" INTEGER,
    "channel" TEXT,
    "campaign" TEXT,
    "kind" TEXT,
    "team" TEXT,
    "cost" INTEGER,
    props TEXT NOT NULL DEFAULT '{}',
    row_hash INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE stages (
    id TEXT PRIMARY KEY NOT NULL,
    "contact_id" TEXT,
    "stage" TEXT,
    "occurred_at" INTEGER,
    props TEXT NOT NULL DEFAULT '{}',
    row_hash INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE deal_stages (
    id TEXT PRIMARY KEY NOT NULL,
    "deal_id" TEXT,
    "stage" TEXT,
    "occurred_at" INTEGER,
    props TEXT NOT NULL DEFAULT '{}',
    row_hash INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE revenue (
    id TEXT PRIMARY KEY NOT NULL,
    "account_id" TEXT,
    "contact_id" TEXT,
    "deal_id" TEXT,
    "occurred_at" INTEGER,
    "amount" INTEGER,
    "currency" TEXT,
    "kind" TEXT,
    props TEXT NOT NULL DEFAULT '{}',
    row_hash INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE spend (
    id TEXT PRIMARY KEY NOT NULL,
    "period_start" TEXT,
    "period_end" TEXT,
    "channel" TEXT,
    "campaign" TEXT,
    "amount" INTEGER,
    "currency" TEXT,
    "team" TEXT,
    props TEXT NOT NULL DEFAULT '{}',
    row_hash INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE tickets (
    id TEXT PRIMARY KEY NOT NULL,
    "contact_id" TEXT,
    "account_id" TEXT,
    "opened_at" INTEGER,
    "first_response_at" INTEGER,
    "resolved_at" INTEGER,
    "csat" INTEGER,
    "category" TEXT,
    props TEXT NOT NULL DEFAULT '{}',
    row_hash INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE targets (
    id TEXT PRIMARY KEY NOT NULL,
    "period" TEXT,
    "metric" TEXT,
    "value" TEXT,
    "segment" TEXT,
    props TEXT NOT NULL DEFAULT '{}',
    row_hash INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE fx_rates (
    id TEXT PRIMARY KEY NOT NULL,
    "date" TEXT,
    "currency" TEXT,
    "rate" TEXT,
    props TEXT NOT NULL DEFAULT '{}',
    row_hash INTEGER NOT NULL
) WITHOUT ROWID;

CREATE INDEX contacts_email ON contacts (email);

CREATE TABLE settings (
    key TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE import_runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    source TEXT NOT NULL,
    dry_run INTEGER NOT NULL,
    started_at INTEGER NOT NULL,
    finished_at INTEGER,
    status TEXT NOT NULL,
    summary TEXT
);
