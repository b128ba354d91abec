-- Nonconformities raised in the period that repeat an earlier one: an explicit repeat_of, or an earlier
-- nonconformity on the same clause of the same standard at the same site within the 365 days before.
-- The earlier one is looked for among all findings, whatever the filters (another department's counts).
WITH ncs AS (
    SELECT finding_id, raised_on, repeat_of,
           lag(raised_on) OVER (PARTITION BY standard, site, clause ORDER BY raised_on, finding_id) AS previous_on,
           clause IS NOT NULL AND site IS NOT NULL AND standard IS NOT NULL AS placed
    FROM findings WHERE status <> 'cancelled' AND severity IN ('major_nc', 'minor_nc')
)
SELECT date_trunc($grain, raised_on)::DATE AS period,
       100.0 * count(*) FILTER (WHERE repeat_of IS NOT NULL OR (placed AND raised_on - previous_on <= 365)) / count(*) AS value,
       count(*) AS n
FROM ncs
WHERE finding_id IN (SELECT finding_id FROM f_findings)
GROUP BY ALL
ORDER BY period
