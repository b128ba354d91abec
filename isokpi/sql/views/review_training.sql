-- Training completed in a review period ($date_from to $day): hours and the people who completed it.
SELECT coalesce(sum("hours"), 0) AS hours, count(DISTINCT employee_id) AS people
FROM f_training
WHERE status = 'completed' AND completed_on BETWEEN $date_from AND $day
