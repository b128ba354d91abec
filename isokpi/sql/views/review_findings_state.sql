-- The state of findings for a review period ($date_from to $day): nonconformities raised in it marked as repeats,
-- actions open at its end (raised by then, not closed by then) and how many of those were past due, findings closed in it.
WITH flagged AS (
    SELECT *, severity <> 'ofi' AND raised_on <= $day AND (closed_on IS NULL OR closed_on > $day)
              AND (closed_on IS NOT NULL OR status IN ('open', 'in_progress')) AS still_open
    FROM f_findings
)
SELECT count(*) FILTER (WHERE raised_on BETWEEN $date_from AND $day AND severity IN ('major_nc', 'minor_nc')
                        AND repeat_of IS NOT NULL) AS repeats_marked,
       count(*) FILTER (WHERE still_open) AS open_at_end,
       count(*) FILTER (WHERE still_open AND due_on < $day) AS overdue_at_end,
       count(*) FILTER (WHERE closed_on BETWEEN $date_from AND $day) AS closed_in_period
FROM flagged
