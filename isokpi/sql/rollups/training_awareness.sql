-- Each employee's months with a completed course tied to an ISO standard, per site, department and standard, as a
-- bitmask: months are numbered year * 12 + month - 1, and a row holds the 52 months of one block (block = month
-- number // 52, bit = month number % 52; 52 so that a month's bit moved on by the 11 months it reaches still fits in
-- a UBIGINT). The standards awareness KPI (kpis/standards_awareness_coverage_pct.sql) ORs the masks of the cells its
-- filters select, which is exactly which months the records hold such a completion in. first_completed is the first
-- completion date of any record (of any status or standard), where the KPI's periods begin. One row per employee,
-- cell, standard and block: 704,900 for the 4.3M completed records of the benchmark database.
-- (Blocks and bits by floor division, so that a date before year 1, which no load accepts, would still have its own.)
SELECT employee_id, site, department, standard, CAST(floor(month_number / 52) AS INTEGER) AS block,
       bit_or(CAST(1 AS UBIGINT) << CAST(month_number - 52 * floor(month_number / 52) AS UBIGINT))
           FILTER (WHERE status = 'completed' AND standard IS NOT NULL) AS months,
       min(completed_on) AS first_completed
FROM (SELECT *, year(completed_on) * 12 + month(completed_on) - 1 AS month_number FROM input_rows)
WHERE completed_on IS NOT NULL
GROUP BY ALL
