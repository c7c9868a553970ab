-- Identity resolution: a contact merged into another (the same person under two ids,
-- usually two records sharing an email). The records keep their own ids, so a
-- re-import of either changes nothing here; reports read the merged contact's
-- records as the survivor's. Deleting the row undoes the merge.
CREATE TABLE contact_merges (
    merged_id TEXT PRIMARY KEY,
    survivor_id TEXT NOT NULL,
    merged_at BIGINT NOT NULL,
    merged_by TEXT NOT NULL
);
