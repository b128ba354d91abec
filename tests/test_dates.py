"""Reading dates: ISO, Excel, month names, day-first or month-first decided by the values, never guessed."""

import datetime as dt

import pytest

from isokpi.dates import DMY, MDY, DateFormatError, detect_order, is_ambiguous, parse_date, parse_date_format


@pytest.mark.parametrize(
    ("text", "order", "expected"),
    [
        ("2025-03-04", None, dt.date(2025, 3, 4)),
        ("2025-03-04 13:45:00", None, dt.date(2025, 3, 4)),
        ("2025-03-04T13:45:00Z", None, dt.date(2025, 3, 4)),
        ("2025/3/4", None, dt.date(2025, 3, 4)),
        ("20250304", None, dt.date(2025, 3, 4)),
        ("25/03/2025", None, dt.date(2025, 3, 25)),
        ("03/25/2025", None, dt.date(2025, 3, 25)),
        ("04.03.2025", DMY, dt.date(2025, 3, 4)),
        ("04-03-25", MDY, dt.date(2025, 4, 3)),
        ("03/03/2025", None, dt.date(2025, 3, 3)),
        ("4 Mar 2025", None, dt.date(2025, 3, 4)),
        ("March 4, 2025", None, dt.date(2025, 3, 4)),
        ("04-Mar-2025", None, dt.date(2025, 3, 4)),
        ("04.03.2025", "%d.%m.%Y", dt.date(2025, 3, 4)),
        ("03/04/2025", None, None),
        ("2025-02-30", None, None),
        ("soon", None, None),
    ],
)
def test_parse_date(text, order, expected):
    assert parse_date(text, order) == expected


def test_the_order_comes_from_values_with_a_day_over_12():
    assert detect_order(["01/02/2025", "25/02/2025"]) == (DMY, ["25/02/2025"], [])
    assert detect_order(["01/02/2025", "02/25/2025"]) == (MDY, [], ["02/25/2025"])
    assert detect_order(["01/02/2025", "03/04/2025"]) == (None, [], [])
    assert detect_order(["25/02/2025", "02/25/2025"])[0] is None
    assert is_ambiguous("03/04/2025") and not is_ambiguous("03/03/2025") and not is_ambiguous("2025-03-04")


@pytest.mark.parametrize(
    ("text", "expected"), [("DMY", DMY), ("dd/mm/yyyy", DMY), ("mdy", MDY), ("MM-DD-YY", MDY), ("%d.%m.%Y", "%d.%m.%Y")]
)
def test_date_format_option(text, expected):
    assert parse_date_format(text) == expected


def test_a_date_format_we_do_not_understand_is_refused():
    with pytest.raises(DateFormatError, match="not understood"):
        parse_date_format("XYZ")
