-- The state of findings for a review period ($date_from to $day): nonconformities raised in it marked as repeats,
-- actions open at its end (raised by then, not closed by then) and how many of those were past due, findings closed in it.
WITH flagged AS (
    SELECT *, severity <> 'ofi' AND raised_on <= $day AND (closed_on IS NULL OR closed_on > $day)
              AND (closed_on IS NOT NULL OR open_status) AS still_open
    FROM findings_facts
)
SELECT CAST(coalesce(sum(findings) FILTER (WHERE raised_on BETWEEN $date_from AND $day
                                           AND severity IN ('major_nc', 'minor_nc') AND repeat_marked), 0) AS BIGINT)
           AS repeats_marked,
       CAST(coalesce(sum(findings) FILTER (WHERE still_open), 0) AS BIGINT) AS open_at_end,
       CAST(coalesce(sum(findings) FILTER (WHERE still_open AND due_on < $day), 0) AS BIGINT) AS overdue_at_end,
       CAST(coalesce(sum(findings) FILTER (WHERE closed_on BETWEEN $date_from AND $day), 0) AS BIGINT)
           AS closed_in_period
FROM flagged
