"""Management review (ISO 9001 9.3), in steps: the summary, the inputs a) to f) one at a time, the decisions and
actions, the comparison with the previous review, and closing it, which freezes what it presented; the packs."""

import datetime as dt

import pandas as pd
import streamlit as st

from isokpi import actions, auth, charts, narrative, pack, pack_html, pack_pdf, pack_pptx, pack_xlsx, review, ui, words
from isokpi import format as fmt
from isokpi import review_inputs as inputs
from isokpi.auth import QUALITY_LEAD
from isokpi.errors import IsokpiError
from isokpi.pillars import PILLAR_IDS, PILLAR_NAMES
from isokpi.safety import plain

db, user = ui.start_page(
    __file__,
    caption="ISO 9001 9.3: the inputs a) to f) filled from the data, which are missing, the decisions taken, and the "
    "pack to take away. Closing a review freezes what it presented.",
)
can_edit = user.can(QUALITY_LEAD)
reviews = review.list_reviews(db)
TEXT_HELP = {
    "b": "Context, interested parties, scope, regulation: what changed since the last review.",
    "e": "How effective the actions on risks and opportunities were.",
    "a": "A note on earlier actions, for example that this is the first review.",
}


def new_review_form() -> None:
    today = dt.date.today()
    default_from, default_to = review.default_period(db, today)
    with (
        st.expander("New review", icon=":material/add_circle:", expanded=not reviews),
        st.form("new-review", border=False),
    ):
        title = st.text_input("Title", placeholder=f"Management review {today:%d %B %Y}", key="new-title")
        review_date = st.date_input("Review date", value=today, format="YYYY-MM-DD", key="new-date")
        left, right = st.columns(2)
        period_from = left.date_input("Period from", value=default_from, format="YYYY-MM-DD", key="new-from")
        period_to = right.date_input("Period to", value=default_to, format="YYYY-MM-DD", key="new-to")
        st.caption("The period defaults to since the previous review's period ended (the first review: 12 months).")
        create = st.form_submit_button("Create review", icon=":material/add:", type="primary")
    if create:
        try:
            new_id = review.create_review(
                db, user, review_date=review_date, period_from=period_from, period_to=period_to, title=title
            )
        except IsokpiError as error:
            st.error(plain(error), icon=":material/error:")
        else:
            st.session_state["review"] = new_id
            st.rerun()


def header(current: dict, record: dict) -> None:
    st.subheader(plain(record["review"]["title"]), anchor=False)
    st.caption(
        f"Held {current['review_date']:%d %b %Y} · period {current['period_from']:%d %b %Y} to "
        f"{current['period_to']:%d %b %Y} · data up to {record['as_of']}"
    )
    if current["status"] == "open":
        st.info(
            "Open: the inputs are built from the data as it is now. Close the review at the end of the meeting to "
            "freeze them.",
            icon=":material/edit_note:",
        )
    else:
        st.success(
            f"{plain(pack.state_text(record))}: this is the record as it was presented. Later uploads do not change it.",
            icon=":material/lock:",
        )


def downloads(record: dict, previous: dict | None) -> None:
    """The packs, each made only when its button is clicked (the HTML embeds plotly.js, the PDF takes Chromium)."""
    files = [
        ("PowerPoint pack", lambda: pack_pptx.pptx_bytes(record, previous), "pptx", ":material/slideshow:"),
        ("HTML pack", lambda: pack_html.html_page(record, previous), "html", ":material/html:"),
        ("PDF pack", lambda: pack_pdf.pdf_bytes(record, previous), "pdf", ":material/picture_as_pdf:"),
        ("Actions register (Excel)", lambda: pack_xlsx.actions_xlsx(pack.register_rows(record)), "xlsx", ":material/table:"),
    ]  # fmt: skip
    for column, (label, make, suffix, icon) in zip(st.columns(4), files, strict=True):
        if suffix == "pdf" and pack_pdf.chromium() is None:
            column.caption(f":material/picture_as_pdf: No PDF pack: {plain(pack_pdf.missing_message())}")
            continue
        ui.download(
            label, make, file_name=pack.file_name(record, suffix), mime=pack.MIME[suffix], icon=icon,
            key=f"download-{suffix}", where=column,
        )  # fmt: skip


def summary_step(record: dict) -> None:
    """The executive summary, as slide 2 and page 1 of the packs show it."""
    done, missing = record["completeness"]["with_evidence"], record["completeness"]["missing"]
    carried = pack.section_of(record, "a")["facts"]
    statuses = [row[1] for row in pack.summary_rows(record)]
    metrics = st.columns(4)
    metrics[0].metric("Inputs with evidence", f"{len(done)} of {len(done) + len(missing)}")
    metrics[1].metric("Pillars off track", statuses.count(words.STATUS["off_track"]))
    metrics[2].metric("Pillars at risk", statuses.count(words.STATUS["at_risk"]))
    metrics[3].metric("Earlier actions overdue", next(f["value"] for f in carried if f["label"] == "Overdue"))
    frame = pd.DataFrame(
        [[plain(cell) for cell in row] for row in pack.summary_rows(record)], columns=pack.SUMMARY_COLUMNS
    )
    st.table(frame.set_index("Pillar"))
    st.markdown("**Decisions asked for**")
    st.markdown("\n".join(f"{n}. {plain(text)}" for n, text in enumerate(pack.decisions(record), start=1)))
    st.caption(pack.recorded_text(record))


def input_label(record: dict, key: str) -> str:
    section = pack.section_of(record, key)
    return f"{'✓' if section['evidence'] else '!'} {section['clause'].removeprefix('9.3.2 ')}"


def inputs_step(record: dict, current: dict, editable: bool) -> None:
    """One 9.3.2 input at a time, chosen above it; the texts for the meeting are written in their own input."""
    missing = record["completeness"]["missing"]
    if missing:
        st.caption(
            ":orange[:material/error: Missing:] "
            + "; ".join(f"{m['clause']} {m['title']}" for m in missing)
            + ". Each says below what to do."
        )
    key = st.segmented_control(
        "Input", inputs.SECTION_KEYS, format_func=lambda k: input_label(record, k), default="a", required=True,
        key="input", bind="query-params", help="✓ has evidence, ! missing",
    )  # fmt: skip
    section = pack.section_of(record, key)
    st.subheader(f"{section['clause']} {section['title']}", anchor=False)
    if section["missing"]:
        st.markdown(f":orange[:material/error: Missing.] {plain(section['missing'])}")
    if editable and key in TEXT_HELP:
        text_form(key, current)
    elif section["text"].strip():
        st.text(section["text"])
    elif section["text_only"]:
        st.caption("Not written yet.")
    if not section["text_only"]:
        st.markdown(f"**{plain(section['summary'])}**")
    section_evidence(section, current)


def text_form(key: str, current: dict) -> None:
    spec = inputs.SPEC_BY_KEY[key]
    with st.form(f"text-form-{key}"):
        text = st.text_area(
            f"Written for the meeting: {spec.clause} {spec.title}", value=current["inputs"].get(key, ""),
            key=f"text-{key}", help=TEXT_HELP[key],
        )  # fmt: skip
        save = st.form_submit_button("Save text", icon=":material/save:")
    if save:
        try:
            changed = review.save_texts(db, user, current["review_id"], {key: text})
        except IsokpiError as error:
            st.error(plain(error), icon=":material/error:")
        else:
            st.toast("Saved." if changed else "Nothing changed.", icon=":material/check:")
            st.rerun()


def section_evidence(section: dict, current: dict) -> None:
    """The facts, tables and charts of one input; charts three to a row when there are more than four. A chart's
    points open their records for the review's period (a closed review's say what it presented)."""
    review_id, filters = current["review_id"], inputs.review_filters(current["period_from"], current["period_to"])
    if section["facts"]:
        columns = st.columns(min(len(section["facts"]), 6))
        for index, fact in enumerate(section["facts"]):
            columns[index % len(columns)].metric(fact["label"], pack.fact_value(fact))
    for table in section["tables"]:
        st.markdown(f"*{plain(table['title'])}*")
        st.dataframe(pd.DataFrame(table["rows"], columns=table["columns"]), hide_index=True)
    shown = section["kpis"]
    per_row = 3 if len(shown) > 4 else 2
    columns = st.columns(per_row) if shown else []
    for index, kpi in enumerate(shown):
        with columns[index % per_row]:
            if kpi["latest"] is None:
                st.caption(f"{kpi['name']}: no data in the review period.")
                continue
            if not kpi["points"]:  # a value from before the period only (an annual survey): its words, no chart
                st.markdown(f"**{plain(kpi['name'])}**")
                st.caption(narrative.verdict_line(kpi))
                continue
            values = {dt.date.fromisoformat(p["start"]): p["value"] for p in kpi["points"] if not p.get("suppressed")}
            ui.drill_chart(
                db, kpi["id"], [day for day, value in values.items() if value is not None],
                charts.record_chart(kpi, height=280), pack.points_frame(kpi), filters,
                name=f"review-{review_id}-{kpi['id']}", key=f"chart-{review_id}-{section['key']}-{kpi['id']}",
                frozen=values if current["status"] == "closed" else None,
            )  # fmt: skip
            st.caption(narrative.verdict_line(kpi))


def decisions_step(record: dict, current: dict, editable: bool) -> None:
    st.caption(
        "Decisions and actions on improvement opportunities (9.3.3 a), changes to the system (b) and resource needs "
        "(c). Follow them up on the Actions page, where actions raised outside a review can be linked to this one."
    )
    if record["actions"]:
        st.dataframe(
            pd.DataFrame(
                [
                    {"ID": a["id"], "Type": a["kind_label"], "Action": a["title"], "Pillar": a["pillar_name"],
                     "Owner": a["owner"], "Due": a["due_on"], "Status": a["status_label"]}
                    for a in record["actions"]
                ]
            ),
            hide_index=True,
        )  # fmt: skip
    else:
        st.caption("No decisions or actions recorded at this review yet.")
    if editable:
        new_action_form(current)


def new_action_form(current: dict) -> None:
    with st.form("new-action", clear_on_submit=True):
        st.markdown("**Record a decision or action**")
        kind = st.selectbox(
            "Type", list(actions.KINDS), format_func=lambda k: f"{actions.KINDS[k]} ({actions.KIND_CLAUSES[k]})"
        )
        action_title = st.text_input("Action", placeholder="What will be done", key="action-title")
        left, middle, right = st.columns(3)
        pillar = left.selectbox("Pillar", [None, *PILLAR_IDS], format_func=lambda p: PILLAR_NAMES.get(p, "None"))
        owner = middle.text_input("Owner", placeholder=f"{user.name} if left empty", key="action-owner")
        due = right.date_input(
            "Due", value=None, min_value=current["review_date"], format="YYYY-MM-DD", key="action-due",
            help="On or after the review's date: the day the action is raised.",
        )  # fmt: skip
        add = st.form_submit_button("Add action", icon=":material/add_task:", type="primary")
    if add:
        try:
            actions.create_action(
                db, user, title=action_title, kind=kind, pillar=pillar, owner=owner, due_on=due,
                review_id=current["review_id"],
            )  # fmt: skip
        except IsokpiError as error:
            st.error(plain(error), icon=":material/error:")
        else:
            st.rerun()


def compare_step(record: dict, previous: dict | None) -> None:
    if previous is None:
        st.caption("This is the first review: there is nothing to compare with.")
        return
    comparison = review.compare(previous, record)
    left, right = st.columns(2)
    for column, shown, heading in ((left, previous, "Previous review"), (right, record, "This review")):
        with column.container(border=True):
            st.markdown(f"**{heading}**")
            st.text(f"{shown['review']['title']} ({shown['review']['review_date']}, {shown['review']['status']})")
            evidence = shown["completeness"]
            st.metric(
                "Inputs with evidence",
                f"{len(evidence['with_evidence'])} of {len(evidence['with_evidence']) + len(evidence['missing'])}",
            )
            st.dataframe(
                pd.DataFrame([{"Pillar": p["name"], "Status": narrative.record_pillar_texts(p)["status"], "On target": f"{p['on_target']} of {p['with_target']}"} for p in shown["scorecard"]["pillars"]]),
                hide_index=True,
            )  # fmt: skip
    frame = pd.DataFrame(
        [
            {"KPI": row["name"], "Previous review": fmt.value(row["before"], row["unit"]),
             "This review": fmt.value(row["after"], row["unit"]), "Change": row["change"]}
            for row in comparison["kpis"]
        ]
    )  # fmt: skip
    improved, worse = st.columns(2)
    with improved.container(border=True):
        st.metric("KPIs improved", len(comparison["improved"]))
        st.dataframe(frame[frame["Change"] == "improved"], hide_index=True)
    with worse.container(border=True):
        st.metric("KPIs got worse", len(comparison["worse"]))
        st.dataframe(frame[frame["Change"] == "worse"], hide_index=True)
    st.caption(
        "Latest values at each review, judged by each KPI's direction; the Inputs step says which changes are signals."
    )


def close_step(current: dict) -> None:
    st.caption(
        "Closing freezes the values, verdicts, texts, scorecard and actions of every step. It cannot be undone; the "
        "actions stay open in the register and come back as input a) of the next review."
    )
    st.markdown(f"The record will say it was closed by **{plain(user.name)}**.")
    if user.email == auth.LOCAL_USER and not auth.local_name_is_configured(ui.settings()):
        st.caption(
            f":material/badge: {plain(user.name)} is this computer's account name. To record yours, set "
            f"{auth.LOCAL_NAME_VARIABLE} in the environment, or local\\_user\\_name under \\[isokpi\\] in "
            ".streamlit/secrets.toml, and restart."
        )
    with st.form("close-review", border=False):
        confirm = st.checkbox("I confirm this is the record of the meeting", key="close-confirm")
        close = st.form_submit_button("Close and freeze", icon=":material/lock:", type="primary")
    if close:
        if not confirm:
            st.warning("Tick the confirmation first: closing cannot be undone.", icon=":material/warning:")
            return
        try:
            review.close_review(db, user, current["review_id"])
        except IsokpiError as error:
            st.error(plain(error), icon=":material/error:")
        else:
            st.session_state["review-closed"] = current["review_id"]
            st.rerun()


if can_edit:
    new_review_form()
if not reviews:
    st.info(
        "No management review yet. "
        + ("Create the first one above." if can_edit else "A quality lead creates one here before the meeting."),
        icon=":material/groups:",
    )
    st.stop()

labels = {
    r["review_id"]: f"#{r['review_id']} · {r['review_date']:%d %b %Y} · {r['title']} ({r['status']})" for r in reviews
}
if "review-closed" in st.session_state:
    # Set from here, the selector shows the review's new label ("closed") at once; the browser would keep the old.
    st.session_state["review"] = st.session_state.pop("review-closed")
elif st.session_state.get("review") not in labels:
    # The link names a review by its number (?review=3), kept by hand: bound to the URL, the selector would write
    # its label there, and a link sent before the meeting would stop opening the review once closing changes it.
    linked = st.query_params.get("review", "")
    st.session_state["review"] = int(linked) if linked.isdigit() and int(linked) in labels else next(iter(labels))
chosen = st.selectbox("Review", list(labels), format_func=labels.get, key="review")
st.query_params["review"] = str(chosen)
current = review.get_review(db, chosen)
record = review.review_record(db, chosen, evidence_of=ui.cached(inputs.evidence))
before = review.previous_review(db, current)
previous = review.review_record(db, before["review_id"], evidence_of=ui.cached(inputs.evidence)) if before else None
editable = current["status"] == "open" and can_edit

header(current, record)
downloads(record, previous)
STEPS = ["Summary", "Inputs (9.3.2)", "Decisions and actions (9.3.3)", "Compared with the previous review"]
steps = st.tabs([*STEPS, "Close the review"] if editable else STEPS, key="step", bind="query-params")
with steps[0]:
    if steps[0].open:
        summary_step(record)
with steps[1]:
    if steps[1].open:
        inputs_step(record, current, editable)
with steps[2]:
    if steps[2].open:
        decisions_step(record, current, editable)
with steps[3]:
    if steps[3].open:
        compare_step(record, previous)
if editable:
    with steps[4]:
        if steps[4].open:
            close_step(current)
