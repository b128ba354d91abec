-- Findings that need an action raised from $date_from up to $day, counted by $by ('clause', labelled with its
-- standard, or 'root_cause'): the $top largest, then the rest as one row (findings_view says it in words, never as a bar),
-- with the cumulative share of every finding with a label.
-- not_recorded counts the findings without a value (left out of the bars).
WITH labelled AS (
    SELECT CASE $by WHEN 'root_cause' THEN root_cause ELSE clause || ' (' || standard || ')' END AS label
    FROM actions
    WHERE raised_on <= $day AND ($date_from IS NULL OR raised_on >= $date_from)
),
counted AS (
    SELECT label, count(*) AS findings,
           row_number() OVER (ORDER BY count(*) DESC, label) AS rank
    FROM labelled
    WHERE label IS NOT NULL
    GROUP BY label
),
grouped AS (
    SELECT CASE WHEN rank <= $top THEN label END AS label, min(rank) AS rank, sum(findings) AS findings,
           count(*) AS labels
    FROM counted
    GROUP BY 1
)
SELECT coalesce(label, 'Other (' || labels || ' more)') AS label, CAST(findings AS BIGINT) AS findings, labels,
       100.0 * sum(findings) OVER (ORDER BY rank) / sum(findings) OVER () AS cumulative_pct,
       (SELECT count(*) FROM labelled WHERE label IS NULL) AS not_recorded
FROM grouped
ORDER BY rank
