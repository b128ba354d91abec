-- Nonconformities (not cancelled) per cell, clause and day raised, and how many repeat an earlier one (repeat_flags).
SELECT _side, site, department, standard, clause, raised_on,
       count(*) AS ncs, count(*) FILTER (WHERE is_repeat) AS repeats
FROM repeat_flags
GROUP BY ALL
