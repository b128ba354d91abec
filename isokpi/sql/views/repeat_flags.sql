-- Nonconformities with their repeat flag, the rule of the repeat_finding_rate_pct KPI: an explicit repeat_of, or
-- an earlier nonconformity on the same clause of the same standard at the same site within the 365 days before,
-- looked for among all findings whatever the filters. A fragment of CTEs like common.sql, for the repeat views.
ncs AS (
    SELECT finding_id, standard, clause, site, raised_on, repeat_of,
           lag(raised_on) OVER (PARTITION BY standard, site, clause ORDER BY raised_on, finding_id) AS previous_on,
           clause IS NOT NULL AND site IS NOT NULL AND standard IS NOT NULL AS placed
    FROM findings
    WHERE status <> 'cancelled' AND severity IN ('major_nc', 'minor_nc')
),
flagged AS (
    SELECT *, coalesce(repeat_of IS NOT NULL OR (placed AND raised_on - previous_on <= 365), false) AS is_repeat
    FROM ncs
    WHERE finding_id IN (SELECT finding_id FROM f_findings)
)
