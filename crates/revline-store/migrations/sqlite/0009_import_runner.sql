-- Which process runs an import ("HOST PID"), so that a run whose process is gone (a
-- killed import) is shown as interrupted instead of running for ever.
ALTER TABLE import_runs ADD COLUMN runner TEXT;
