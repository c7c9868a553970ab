-- The service period a recurring revenue row pays for (data contract, revenue.csv):
-- `period_start` and `period_end`, dates, inclusive. Earlier versions kept these
-- columns among the custom properties; they move into their own columns here.
ALTER TABLE revenue ADD COLUMN "period_start" TEXT;
ALTER TABLE revenue ADD COLUMN "period_end" TEXT;
UPDATE revenue
SET "period_start" = json_extract(props, '$.period_start'),
    "period_end" = json_extract(props, '$.period_end'),
    props = json_remove(props, '$.period_start', '$.period_end')
WHERE json_extract(props, '$.period_start') IS NOT NULL
   OR json_extract(props, '$.period_end') IS NOT NULL;
