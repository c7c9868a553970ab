-- The workspace's data version: raised by every write that changes what a snapshot is
-- built from (records, merges, settings), in the writing transaction. Snapshot files
-- name the version they reflect; files of another version are out of date.
CREATE TABLE data_version (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    n BIGINT NOT NULL
);
INSERT INTO data_version (id, n) VALUES (1, 0);
