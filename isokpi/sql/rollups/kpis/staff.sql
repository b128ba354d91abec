-- Staff on record at each period's end (common.sql's rule, from the roll-ups), counted once and handed to the KPIs that
-- divide by it as $staff_periods / $staff_counts.
SELECT period, CAST(staff AS BIGINT) AS staff FROM staff ORDER BY period
