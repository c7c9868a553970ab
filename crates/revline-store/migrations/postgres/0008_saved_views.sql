-- Views saved under a name for the whole workspace: a page with its period, filter and
-- breakdown (the page's path and query string), opened by anyone signed in.
CREATE TABLE saved_views (
    name TEXT PRIMARY KEY,
    path TEXT NOT NULL,
    query TEXT NOT NULL,
    saved_by TEXT NOT NULL,
    saved_at BIGINT NOT NULL
);
