-- The service period a recurring revenue row pays for (data contract, revenue.csv):
-- `period_start` and `period_end`, dates, inclusive. Earlier versions kept these
-- columns among the custom properties; they move into their own columns here.
ALTER TABLE revenue ADD COLUMN "period_start" TEXT;
ALTER TABLE revenue ADD COLUMN "period_end" TEXT;
UPDATE revenue
SET "period_start" = props ->> 'period_start',
    "period_end" = props ->> 'period_end',
    props = props - 'period_start' - 'period_end'
WHERE props ? 'period_start' OR props ? 'period_end';
