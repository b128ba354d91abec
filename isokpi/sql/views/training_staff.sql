-- Staff on record on $day: the staff rule of common.sql (a training record within the 12 months before).
SELECT count(*) AS staff
FROM employees
WHERE first_seen <= $day AND last_seen > $day - INTERVAL 12 MONTH
