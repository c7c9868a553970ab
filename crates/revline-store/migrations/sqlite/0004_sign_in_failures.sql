-- Failed sign-ins, per email address and per client address (one row each), kept in
-- the store so that every server of a team counts them alike and a restart forgets
-- nothing. Rows older than the limit's window are deleted as new ones arrive.
CREATE TABLE sign_in_failures (
    key TEXT NOT NULL,
    at INTEGER NOT NULL
);
CREATE INDEX sign_in_failures_by_key ON sign_in_failures (key, at);
CREATE INDEX sign_in_failures_by_time ON sign_in_failures (at);
