"""An independent reference of Making Data Count SPC, transliterated from NHSRplotthedots' R sources.

Written from R/ptd_spc_standard.R, R/ptd_calculate_point_type.R, R/ptd_calculate_assurance_type.R and
R/ptd_spc.R (summary.ptd_spc_df), function by function and in R's own style (padded vectors, vapply, case_when,
NA logic), not from isokpi.stats, so that tests can compare the two on many random series. R's NA is None here,
and R's three-valued logic is spelt out by r_and / r_or / r_all / r_any.

Where the reference departs from the R text, it is on purpose and marked DEVIATION:
1. 2-in-3 counts every point beyond the two-sigma line, those beyond the limits too: the MDC team's rule
   (NHSRplotthedots issue #194); the R code still counts only points between two and three sigma.
2. A gap (NA) in a 7-point trend window makes it no trend; R stops with "missing value where TRUE/FALSE needed".
3. A point that ends one trend and is followed by a tie and then another trend keeps its own trend's direction;
   R reads the tie's sign 0 as "Decreasing".
4. Outlier screening leaves moving ranges alone when their mean is 0; R screens all of them and has no limits.
5. Verdicts: the class of the latest point with a value in its rebase group (R's summary takes the last row),
   withheld (None) under 12 limit-setting points or without limits (issue 13; R only warns).
"""

from __future__ import annotations

import math

LIMIT = 2.66
LIMIT_CLOSE = 2 * (LIMIT / 3)
MIN_POINTS = 12

NA = None


# --- R's NA logic --------------------------------------------------------------------------------------------


def _r_fold(values, decisive: bool):
    """R's all() (decisive False) and any() (decisive True) over TRUE, FALSE and NA."""
    values = list(values)
    if any(v is decisive for v in values):
        return decisive
    if any(v is NA for v in values):
        return NA
    return not decisive


def r_and(a, b):
    return _r_fold((a, b), False)


def r_or(a, b):
    return _r_fold((a, b), True)


def r_all(values):
    return _r_fold(values, False)


def r_any(values):
    return _r_fold(values, True)


def r_eq(a, b):
    return NA if a is NA or b is NA else a == b


def r_gt(a, b):
    return NA if a is NA or b is NA else a > b


def r_lt(a, b):
    return NA if a is NA or b is NA else a < b


def r_sign(x):
    if x is NA:
        return NA
    return (x > 0) - (x < 0)


def r_sub(a, b):
    return NA if a is NA or b is NA else a - b


def r_mean_na_rm(values):
    kept = [v for v in values if v is not NA]
    return math.nan if not kept else sum(kept) / len(kept)


def truthy(x) -> bool:
    """case_when: an NA condition does not match."""
    return x is True or (x is not NA and x is not False and x != 0)


# --- ptd_spc_standard ----------------------------------------------------------------------------------------


def spc_standard(y, rebase, fix_after_n_points=None, screen_outliers=False):
    """Per row: mean_col, lpl, upl, outside_limits, relative_to_mean, close_to_limits, rebase_group."""
    rebase_group = []
    total = 0
    for flag in rebase:
        total += flag
        rebase_group.append(total)
    rows = [{} for _ in y]
    for group in sorted(set(rebase_group)):
        idx = [i for i, g in enumerate(rebase_group) if g == group]
        gy = [y[i] for i in idx]
        fix_y = [v if (k + 1) <= (fix_after_n_points or math.inf) else NA for k, v in enumerate(gy)]
        mean_col = r_mean_na_rm(fix_y)
        mr = [NA] + [NA if (a is NA or b is NA) else abs(b - a) for a, b in zip(fix_y, fix_y[1:], strict=False)]
        amr = r_mean_na_rm(mr)
        if screen_outliers and amr > 0:  # DEVIATION 4: R screens every range when amr is 0
            mr = [v if (v is not NA and v < 3.267 * amr) else NA for v in mr]
            amr = r_mean_na_rm(mr)
        no_limits = math.isnan(amr) or math.isnan(mean_col)
        lpl = NA if no_limits else mean_col - LIMIT * amr
        upl = NA if no_limits else mean_col + LIMIT * amr
        nlpl = NA if no_limits else mean_col - LIMIT_CLOSE * amr
        nupl = NA if no_limits else mean_col + LIMIT_CLOSE * amr
        for k, i in enumerate(idx):
            v = gy[k]
            outside = r_or(r_gt(v, upl), r_lt(v, lpl))
            relative = NA if (v is NA or math.isnan(mean_col)) else r_sign(v - mean_col)
            # DEVIATION 1 (issue #194): beyond two sigma, outside the limits included; R: !outside & (...)
            close = r_or(r_lt(v, nlpl), r_gt(v, nupl))
            rows[i] = {
                "y": v,
                "mean_col": None if math.isnan(mean_col) else mean_col,
                "lpl": lpl,
                "upl": upl,
                "outside_limits": outside,
                "relative_to_mean": relative,
                "close_to_limits": close,
                "rebase_group": group,
                "limit_points": sum(1 for value in fix_y if value is not NA),
                "no_limits": no_limits,
            }
    return rows


# --- ptd_calculate_point_type --------------------------------------------------------------------------------


def seven_point_one_side_mean(v):
    vp = [0] * 6 + list(v)
    out = []
    for i in range(6, len(vp)):
        same = r_all(r_eq(vp[i], vp[i - k]) for k in range(1, 7))
        out.append(r_and(same, NA if vp[i] is NA else vp[i] != 0))
    return [NA if x is NA else int(x) for x in out]


def part_of_seven_trend(v):
    vp = list(v) + [0] * 6
    out = []
    for i in range(len(v)):
        out.append(r_any(NA if vp[i + k] is NA else abs(vp[i + k]) == 1 for k in range(7)))
    return [NA if x is NA else int(x) for x in out]


def seven_point_trend(y):
    if len(y) < 7:
        return [0] * len(y)
    out = [0] * 6
    for i in range(6, len(y)):
        window = [y[i - k] for k in range(7)]  # y[i - 0:6]: newest first
        d = [NA if r_sub(b, a) is NA else -r_sign(r_sub(b, a)) for a, b in zip(window, window[1:], strict=False)]
        if any(x is NA for x in d):  # DEVIATION 2: R's if(NA) would stop here
            out.append(0)
        elif all(x == 1 for x in d):
            out.append(1)
        elif all(x == -1 for x in d):
            out.append(-1)
        else:
            out.append(0)
    return out


def two_in_three(v, rtm):
    if len(v) == 0:
        return []
    vp = [0, 0, *v, 0, 0]
    rtmp = [0, 0, *rtm, 0, 0]

    def window(i, ks):
        close = [vp[i + k] for k in ks]
        side = [rtmp[i + k] for k in ks]
        count = NA if any(c is NA for c in close) else sum(int(c) for c in close)
        total = NA if any(s is NA for s in side) else sum(side)
        return r_and(NA if count is NA else count >= 2, NA if total is NA else abs(total) == 3)

    out = []
    for i in range(len(v)):
        result = r_or(r_or(window(i, (0, 1, 2)), window(i, (1, 2, 3))), window(i, (2, 3, 4)))
        out.append(NA if result is NA else int(result))
    return out


def part_of_two_in_three(v, x):
    return [r_and(r_eq(a, 1), NA if b is NA else abs(int(b)) == 1) for a, b in zip(v, x, strict=True)]


def special_cause_type(y, relative_to_mean, close_to_limits, outside_limits):
    n = len(y)
    part_trend = part_of_seven_trend(seven_point_trend(y))
    part_two = part_of_two_in_three(two_in_three(close_to_limits, relative_to_mean), close_to_limits)
    part_run = part_of_seven_trend(seven_point_one_side_mean(relative_to_mean))

    sdy = [r_sign(r_sub(b, a)) for a, b in zip(y, y[1:], strict=False)]
    right = [*sdy, sdy[-1] if sdy else NA]  # c(sdy, tail(sdy, 1))
    left = [0, *sdy]  # c(0, sdy)
    shifted = [*part_trend[1:], 0]  # c(part_seven_point_trend[-1], 0)
    chosen = []
    for i in range(n):
        use_right = r_and(truthy(shifted[i]), truthy(part_trend[i]))
        direction = right[i] if use_right is True else left[i]
        if use_right is True and direction == 0:  # DEVIATION 3: a tie after the trend's last point
            direction = left[i]
        chosen.append(direction)

    types = []
    for i in range(n):
        above_or_below = "Above" if truthy(r_gt(relative_to_mean[i], 0)) else "Below"
        if truthy(NA if outside_limits[i] is NA else outside_limits[i] != 0):
            types.append("Above UCL" if relative_to_mean[i] == 1 else "Below LCL")
        elif truthy(NA if part_trend[i] is NA else part_trend[i] != 0):
            types.append("7 Point Trend (" + ("In" if chosen[i] == 1 else "De") + "creasing)")
        elif truthy(NA if part_two[i] is NA else part_two[i] != 0):
            types.append(f"2 in 3 {above_or_below} CL")
        elif truthy(NA if part_run[i] is NA else part_run[i] != 0):
            types.append(f"7 Points {above_or_below} CL")
        else:
            types.append("Common Cause")
    return types


def point_type(special_cause, improvement_direction):
    out = []
    for text in special_cause:
        if "Above" in text or "Increasing" in text:
            v = 1
        elif "Below" in text or "Decreasing" in text:
            v = -1
        else:
            v = 0
        v *= improvement_direction
        out.append("special_cause_improvement" if v > 0 else "special_cause_concern" if v < 0 else "common_cause")
    return out


def calculate_point_type(rows, improvement_direction):
    for group in sorted({row["rebase_group"] for row in rows}):
        idx = [i for i, row in enumerate(rows) if row["rebase_group"] == group]
        types = special_cause_type(
            [rows[i]["y"] for i in idx],
            [rows[i]["relative_to_mean"] for i in idx],
            [rows[i]["close_to_limits"] for i in idx],
            [rows[i]["outside_limits"] for i in idx],
        )
        for i, text, kind in zip(idx, types, point_type(types, improvement_direction), strict=True):
            rows[i]["special_cause_type"] = text
            rows[i]["point_type"] = kind
    return rows


# --- ptd_calculate_assurance_type ----------------------------------------------------------------------------


def assurance_type(row, target, is_increasing):
    if target is None:
        return None
    if r_gt(target, row["upl"]) is True:
        return "consistent_fail" if is_increasing else "consistent_pass"
    if r_lt(target, row["lpl"]) is True:
        return "consistent_pass" if is_increasing else "consistent_fail"
    return "inconsistent"


# --- ptd_spc, in isokpi's vocabulary -------------------------------------------------------------------------

POINT_TYPES = {
    "special_cause_improvement": "improvement",
    "special_cause_concern": "concern",
    "common_cause": "common_cause",
}
RULES = {
    "Above UCL": "outside_limits",
    "Below LCL": "outside_limits",
    "7 Point Trend (Increasing)": "trend_of_7",
    "7 Point Trend (Decreasing)": "trend_of_7",
    "2 in 3 Above CL": "two_of_three_beyond_2sigma",
    "2 in 3 Below CL": "two_of_three_beyond_2sigma",
    "7 Points Above CL": "run_of_7",
    "7 Points Below CL": "run_of_7",
    "Common Cause": None,
}
ASSURANCE = {"consistent_pass": "pass", "consistent_fail": "fail", "inconsistent": "inconsistent", None: None}


def reference_spc(values, direction, *, target=None, baseline=None, rebase_at=(), screen_outliers=False) -> dict:
    """{"points": [{value, mean, lpl, upl, special_cause, rule}], "variation", "assurance"} as the R code gives."""
    y = [NA if v is None else float(v) for v in values]
    rebase = [1 if (i in rebase_at and i > 0) else 0 for i in range(len(y))]
    rows = spc_standard(y, rebase, baseline, screen_outliers)
    improvement = 1 if direction == "higher" else -1
    rows = calculate_point_type(rows, improvement)
    points = []
    for row in rows:
        gap = row["y"] is NA
        points.append(
            {
                "value": row["y"],
                "mean": None if row["no_limits"] else row["mean_col"],
                "lpl": row["lpl"],
                "upl": row["upl"],
                "special_cause": None if gap else POINT_TYPES[row["point_type"]],
                "rule": None if gap else RULES[row["special_cause_type"]],
            }
        )
    # DEVIATION 5: the latest point with a value; verdicts withheld under 12 limit-setting points.
    latest = next((i for i in range(len(rows) - 1, -1, -1) if rows[i]["y"] is not NA), None)
    if latest is None or rows[latest]["no_limits"] or rows[latest]["limit_points"] < MIN_POINTS:
        return {"points": points, "variation": None, "assurance": None}
    return {
        "points": points,
        "variation": POINT_TYPES[rows[latest]["point_type"]],
        "assurance": ASSURANCE[assurance_type(rows[latest], target, direction == "higher")],
    }
