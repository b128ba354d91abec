-- Training completed in a review period ($date_from to $day): hours and the people who completed it.
SELECT coalesce((SELECT sum("hours") FROM training_completions WHERE completed_on BETWEEN $date_from AND $day), 0)
           AS hours,
       (SELECT count(DISTINCT employee_id) FROM training_employee_standards
        WHERE len(list_filter(days, d -> d BETWEEN $date_from AND $day)) > 0) AS people
