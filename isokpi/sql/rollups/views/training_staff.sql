-- Staff on record on $day: the staff rule of common.sql (a training record within the 12 months before).
SELECT CAST(coalesce((SELECT sum(starts) - sum(ends) FROM staff_days WHERE "day" <= $day), 0)
            + (SELECT count(*) FROM complex_employees
               WHERE first_seen <= $day AND last_seen > $day - INTERVAL 12 MONTH) AS BIGINT) AS staff
