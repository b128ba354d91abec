-- CTEs shared by the findings roll-ups. input_rows: findings rows, each with _side (1: the data with the change, 0:
-- without it); state_rows: every findings row on both sides, for look-ups beyond a partition.
kept AS (
    -- common.sql's keyed_findings without the cancelled ones: f_findings before any filter
    SELECT *, coalesce(audit_id, audit_type || '|' || coalesce(site, '') || '|' || raised_on) AS audit_key
    FROM input_rows
    WHERE status <> 'cancelled'
),
actions AS (
    SELECT * FROM kept WHERE severity <> 'ofi'
),
repeat_flags AS (
    -- common.sql's repeat_flags, for the (standard, site, clause) places a change touched: each nonconformity with
    -- whether it repeats an earlier one of another audit.
    WITH ncs AS (
        SELECT _side, finding_id, standard, clause, site, department, raised_on, repeat_of, audit_key,
               clause IS NOT NULL AND site IS NOT NULL AND standard IS NOT NULL AS placed,
               lag(raised_on) OVER clause_order AS before_on,
               lag(audit_key) OVER clause_order IS DISTINCT FROM audit_key AS new_audit
        FROM kept
        WHERE severity IN ('major_nc', 'minor_nc')
        WINDOW clause_order AS (PARTITION BY _side, standard, site, clause ORDER BY raised_on, finding_id)
    ),
    audit_stretches AS (
        SELECT *, sum(CAST(new_audit AS INTEGER)) OVER (
                      PARTITION BY _side, standard, site, clause ORDER BY raised_on, finding_id ROWS UNBOUNDED PRECEDING
                  ) AS stretch
        FROM ncs
    )
    SELECT n._side, n.finding_id, n.standard, n.clause, n.site, n.department, n.raised_on,
           coalesce(
               (n.repeat_of IS NOT NULL AND r.audit_key IS DISTINCT FROM n.audit_key)
               OR (n.placed AND n.raised_on - n.previous_on <= 365),
               false
           ) AS is_repeat
    FROM (
        SELECT *, max(CASE WHEN new_audit THEN before_on END) OVER (PARTITION BY _side, standard, site, clause, stretch)
                  AS previous_on
        FROM audit_stretches
    ) n
    LEFT JOIN (
        SELECT _side, finding_id, coalesce(audit_id, audit_type || '|' || coalesce(site, '') || '|' || raised_on) AS audit_key
        FROM state_rows
    ) r ON r._side = n._side AND r.finding_id = n.repeat_of
)
