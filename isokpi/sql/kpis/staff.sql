-- Staff on record at each period's end (the rule in common.sql), counted once and handed to the KPIs that
-- divide by it as $staff_periods / $staff_counts.
SELECT period, staff FROM staff ORDER BY period
