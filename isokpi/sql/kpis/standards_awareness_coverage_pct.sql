-- Staff on record at the period's end who completed a course tied to an ISO standard in the 12 months before
-- (the month of the period's end and the 11 before it).
--
-- From the roll-up of each employee's completion months as bitmasks of 52-month blocks
-- (isokpi/sql/rollups/training_awareness.sql), not the records. A completion reaches its month and the 11 after it:
-- an employee's masks under the filters, ORed per block and moved on by 0 to 11 months, hold the months the employee
-- is reached in; the bits moved past a block's 52 belong to the next block. A period counts the employees whose
-- month of its end is among them. (About 0.1 s for the 124,608 employees of the benchmark database, where testing
-- each employee's 12-month window in each period took 1.4 s.)
WITH masks AS (
    SELECT employee_id, block, bit_or(months) AS months
    FROM f_training_awareness
    WHERE months IS NOT NULL
    GROUP BY employee_id, block
),
moved AS (
    SELECT employee_id, block,
           months | (months << 1) | (months << 2) | (months << 3) | (months << 4) | (months << 5) | (months << 6)
           | (months << 7) | (months << 8) | (months << 9) | (months << 10) | (months << 11) AS reach
    FROM masks
),
reach AS (
    SELECT employee_id, block, bit_or(reach) AS reach
    FROM (
        SELECT employee_id, block, reach & CAST(4503599627370495 AS UBIGINT) AS reach FROM moved  -- the 52 bits
        UNION ALL
        SELECT employee_id, block + 1, reach >> 52 FROM moved WHERE reach >> 52 <> 0
    )
    GROUP BY employee_id, block
),
reached AS (
    SELECT s.period, count(*) AS reached
    FROM (SELECT period, CAST(year(period_last) * 12 + month(period_last) - 1 AS INTEGER) AS end_month FROM spine) s
    JOIN reach r ON r.block = s.end_month // 52
    WHERE (r.reach >> CAST(s.end_month % 52 AS UBIGINT)) & CAST(1 AS UBIGINT) = 1
    GROUP BY s.period
)
SELECT s.period, 100.0 * least(coalesce(r.reached, 0), st.staff) / st.staff AS value, st.staff AS n
FROM spine s
JOIN known_staff st USING (period)  -- staff on record, counted once per call by isokpi.kpis (staff.sql)
LEFT JOIN reached r USING (period)
WHERE st.staff > 0 AND s.period >= (SELECT date_trunc($grain, min(first_completed))::DATE FROM f_training_awareness)
ORDER BY s.period
