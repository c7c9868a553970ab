-- Revline schema: one table per record kind of the data contract.
-- `id` is the source id or a derived one; `row_hash` is a digest of the content so
-- that a re-import can tell unchanged rows from updated ones; `props` keeps the
-- columns the contract does not name.

CREATE TABLE accounts (
    id TEXT COLLATE "C" PRIMARY KEY,
    "name" TEXT,
    "domain" TEXT,
    "industry" TEXT,
    "segment" TEXT,
    "country" TEXT,
    "owner" TEXT,
    "created_at" BIGINT,
    props JSONB NOT NULL DEFAULT '{}',
    row_hash BIGINT NOT NULL
);

CREATE TABLE contacts (
    id TEXT COLLATE "C" PRIMARY KEY,
    "email" TEXT,
    "name" TEXT,
    "phone" TEXT,
    "title" TEXT,
    "account_id" TEXT,
    "owner" TEXT,
    "source" TEXT,
    "created_at" BIGINT,
    props JSONB NOT NULL DEFAULT '{}',
    row_hash BIGINT NOT NULL
);

CREATE TABLE deals (
    id TEXT COLLATE "C" PRIMARY KEY,
    "contact_id" TEXT,
    "account_id" TEXT,
    "name" TEXT,
    "owner" TEXT,
    "pipeline" TEXT,
    "stage" TEXT,
    "amount" BIGINT,
    "currency" TEXT,
    "created_at" BIGINT,
    "expected_close_at" BIGINT,
    "closed_at" BIGINT,
    "status" TEXT,
    "lost_reason" TEXT,
    "probability" TEXT,
    props JSONB NOT NULL DEFAULT '{}',
    row_hash BIGINT NOT NULL
);

CREATE TABLE touchpoints (
    id TEXT COLLATE "C" PRIMARY KEY,
    "contact_id" TEXT,
    "occurred_at" BIGINT,
    "channel" TEXT,
    "campaign" TEXT,
    "kind" TEXT,
    "team" TEXT,
    "cost" BIGINT,
    props JSONB NOT NULL DEFAULT '{}',
    row_hash BIGINT NOT NULL
);

CREATE TABLE stages (
    id TEXT COLLATE "C" PRIMARY KEY,
    "contact_id" TEXT,
    "stage" TEXT,
    "occurred_at" BIGINT,
    props JSONB NOT NULL DEFAULT '{}',
    row_hash BIGINT NOT NULL
);

CREATE TABLE deal_stages (
    id TEXT COLLATE "C" PRIMARY KEY,
    "deal_id" TEXT,
    "stage" TEXT,
    "occurred_at" BIGINT,
    props JSONB NOT NULL DEFAULT '{}',
    row_hash BIGINT NOT NULL
);

CREATE TABLE revenue (
    id TEXT COLLATE "C" PRIMARY KEY,
    "account_id" TEXT,
    "contact_id" TEXT,
    "deal_id" TEXT,
    "occurred_at" BIGINT,
    "amount" BIGINT,
    "currency" TEXT,
    "kind" TEXT,
    props JSONB NOT NULL DEFAULT '{}',
    row_hash BIGINT NOT NULL
);

CREATE TABLE spend (
    id TEXT COLLATE "C" PRIMARY KEY,
    "period_start" TEXT,
    "period_end" TEXT,
    "channel" TEXT,
    "campaign" TEXT,
    "amount" BIGINT,
    "currency" TEXT,
    "team" TEXT,
    props JSONB NOT NULL DEFAULT '{}',
    row_hash BIGINT NOT NULL
);

CREATE TABLE tickets (
    id TEXT COLLATE "C" PRIMARY KEY,
    "contact_id" TEXT,
    "account_id" TEXT,
    "opened_at" BIGINT,
    "first_response_at" BIGINT,
    "resolved_at" BIGINT,
    "csat" BIGINT,
    "category" TEXT,
    props JSONB NOT NULL DEFAULT '{}',
    row_hash BIGINT NOT NULL
);

CREATE TABLE targets (
    id TEXT COLLATE "C" PRIMARY KEY,
    "period" TEXT,
    "metric" TEXT,
    "value" TEXT,
    "segment" TEXT,
    props JSONB NOT NULL DEFAULT '{}',
    row_hash BIGINT NOT NULL
);

CREATE TABLE fx_rates (
    id TEXT COLLATE "C" PRIMARY KEY,
    "date" TEXT,
    "currency" TEXT,
    "rate" TEXT,
    props JSONB NOT NULL DEFAULT '{}',
    row_hash BIGINT NOT NULL
);

CREATE INDEX contacts_email ON contacts (email);

CREATE TABLE settings (
    key TEXT COLLATE "C" PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE import_runs (
    id BIGSERIAL PRIMARY KEY,
    source TEXT NOT NULL,
    dry_run BOOLEAN NOT NULL,
    started_at BIGINT NOT NULL,
    finished_at BIGINT,
    status TEXT NOT NULL,
    summary JSONB
);
