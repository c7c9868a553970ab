-- Web sessions (the cookie is stored as a digest only) with each session's CSRF token,
-- and the interface language a user chose.
CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    csrf_token TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX sessions_expiry ON sessions (expires_at);

ALTER TABLE users ADD COLUMN lang TEXT;
