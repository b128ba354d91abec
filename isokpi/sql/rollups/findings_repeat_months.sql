-- Nonconformities (not cancelled) per cell and month raised, and how many repeat an earlier one (repeat_flags).
SELECT _side, site, department, standard, CAST(date_trunc('month', raised_on) AS DATE) AS raised_month,
       count(*) AS ncs, count(*) FILTER (WHERE is_repeat) AS repeats
FROM repeat_flags
GROUP BY ALL
