"""Management review (ISO 9001 9.3): inputs a) to f) from the data, completeness, decisions, a frozen record, the pack."""

import datetime as dt

import pandas as pd
import streamlit as st

from isokpi import actions, charts, narrative, pack, pack_html, pack_pptx, pack_xlsx, review, review_inputs, ui
from isokpi import format as fmt
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

if can_edit:
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
            st.error(str(error), icon=":material/error:")
        else:
            st.session_state["review"] = new_id
            st.rerun()

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
chosen = st.selectbox("Review", list(labels), format_func=labels.get, key="review", bind="query-params")
current = review.get_review(db, chosen)
record = review.review_record(db, chosen, evidence_of=ui.cached(review_inputs.evidence))
before = review.previous_review(db, current)
previous = (
    review.review_record(db, before["review_id"], evidence_of=ui.cached(review_inputs.evidence)) if before else None
)
is_open = current["status"] == "open"
editable = is_open and can_edit

st.subheader(plain(record["review"]["title"]), anchor=False)
st.caption(
    f"Held {current['review_date']:%d %b %Y} · period {current['period_from']:%d %b %Y} to "
    f"{current['period_to']:%d %b %Y} · data up to {record['as_of']}"
)
if is_open:
    st.info(
        "Open: the inputs are built from the data as it is now. Close the review at the end of the meeting to freeze them.",
        icon=":material/edit_note:",
    )
else:
    st.success(
        f"Closed on {current['closed_at']:%d %b %Y %H:%M} UTC by {plain(current['closed_by'])}: this is the record "
        "as it was presented. Later uploads do not change it.",
        icon=":material/lock:",
    )

downloads = [
    ("PowerPoint pack", lambda: pack_pptx.pptx_bytes(record, previous), "pptx", ":material/slideshow:"),
    ("HTML pack (prints to PDF)", lambda: pack_html.html_page(record, previous), "html", ":material/html:"),
    (
        "Actions register (Excel)",
        lambda: pack_xlsx.actions_xlsx(pack.register_rows(record)),
        "xlsx",
        ":material/table:",
    ),
]
# Files are made only when a button is clicked (data is a callable): the HTML pack embeds plotly.js (~5 MB).
for column, (label, make, suffix, icon) in zip(st.columns(3), downloads, strict=True):
    column.download_button(
        label, make, file_name=pack.file_name(record, suffix), mime=pack.MIME[suffix], icon=icon, on_click="ignore",
        key=f"download-{suffix}",
    )  # fmt: skip

inputs_tab, decisions_tab, compare_tab = st.tabs(
    ["Inputs (9.3.2)", "Decisions and actions (9.3.3)", "Compared with the previous review"]
)

with inputs_tab:
    done = record["completeness"]["with_evidence"]
    missing = record["completeness"]["missing"]
    with st.container(border=True):
        st.metric("Inputs with evidence", f"{len(done)} of {len(done) + len(missing)}")
        for section in record["sections"]:
            if section["evidence"]:
                st.markdown(f":material/check_circle: {section['clause']} {section['title']}")
            else:
                st.markdown(
                    f":orange[:material/error: {section['clause']} {section['title']}: missing.] {section['missing']}"
                )

    if editable:
        with st.form("texts"):
            st.markdown("**Texts for the meeting**")
            texts = {
                key: st.text_area(
                    f"{review_inputs.SPEC_BY_KEY[key].clause} {review_inputs.SPEC_BY_KEY[key].title}",
                    value=current["inputs"].get(key, ""),
                    key=f"text-{key}",
                    help=help_text,
                )
                for key, help_text in (
                    ("b", "Context, interested parties, scope, regulation: what changed since the last review."),
                    ("e", "How effective the actions on risks and opportunities were."),
                    ("a", "A note on earlier actions, for example that this is the first review."),
                )
            }
            save = st.form_submit_button("Save texts", icon=":material/save:")
        if save:
            try:
                changed = review.save_texts(db, user, chosen, texts)
            except IsokpiError as error:
                st.error(plain(error), icon=":material/error:")
            else:
                st.toast(f"Saved: {', '.join(changed)}" if changed else "Nothing changed.", icon=":material/check:")
                st.rerun()

    for section in record["sections"]:
        with st.container(border=True):
            st.subheader(f"{section['clause']} {section['title']}", anchor=False)
            if section["text_only"] or (section["key"] == "a" and section["text"]):
                if section["text"].strip():
                    st.text(section["text"])
                elif section["text_only"]:
                    st.caption("Not written yet.")
            if not section["text_only"]:
                st.markdown(f"**{section['summary']}**")
            if section["facts"]:
                columns = st.columns(min(len(section["facts"]), 6))
                for index, fact in enumerate(section["facts"]):
                    columns[index % len(columns)].metric(fact["label"], pack.fact_value(fact))
            for table in section["tables"]:
                st.markdown(f"*{table['title']}*")
                st.dataframe(pd.DataFrame(table["rows"], columns=table["columns"]), hide_index=True)
            chart_columns = st.columns(2) if section["kpis"] else []
            for index, kpi in enumerate(section["kpis"]):
                with chart_columns[index % 2]:
                    if kpi["latest"] is None:
                        st.caption(f"{kpi['name']}: no data in the review period.")
                        continue
                    ui.chart(
                        charts.record_chart(kpi),
                        pack.points_frame(kpi),
                        name=f"review-{chosen}-{kpi['id']}",
                        key=f"chart-{section['key']}-{kpi['id']}",
                    )
                    st.caption(narrative.verdict_line(kpi))

with decisions_tab:
    outputs = record["actions"]
    st.caption(
        "Decisions and actions on improvement opportunities (9.3.3 a), changes to the system (b) and resource needs (c). "
        "Follow them up on the Actions page."
    )
    if outputs:
        st.dataframe(
            pd.DataFrame(
                [
                    {"ID": a["id"], "Type": a["kind_label"], "Action": a["title"], "Pillar": a["pillar_name"],
                     "Owner": a["owner"], "Due": a["due_on"], "Status": a["status_label"]}
                    for a in outputs
                ]
            ),
            hide_index=True,
        )  # fmt: skip
    else:
        st.caption("No decisions or actions recorded at this review yet.")
    if editable:
        with st.form("new-action", clear_on_submit=True):
            st.markdown("**Record a decision or action**")
            kind = st.selectbox(
                "Type", list(actions.KINDS), format_func=lambda k: f"{actions.KINDS[k]} ({actions.KIND_CLAUSES[k]})"
            )
            action_title = st.text_input("Action", placeholder="What will be done", key="action-title")
            left, middle, right = st.columns(3)
            pillar = left.selectbox("Pillar", [None, *PILLAR_IDS], format_func=lambda p: PILLAR_NAMES.get(p, "None"))
            owner = middle.text_input("Owner", key="action-owner")
            due = right.date_input("Due", value=None, format="YYYY-MM-DD")
            add = st.form_submit_button("Add action", icon=":material/add_task:", type="primary")
        if add:
            try:
                actions.create_action(
                    db, user, title=action_title, kind=kind, pillar=pillar, owner=owner, due_on=due, review_id=chosen
                )
            except IsokpiError as error:
                st.error(str(error), icon=":material/error:")
            else:
                st.rerun()

with compare_tab:
    if previous is None:
        st.caption("This is the first review: there is nothing to compare with.")
    else:
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
            "Latest values at each review, judged by each KPI's direction; the Inputs tab says which changes are signals."
        )

if editable:
    with st.container(border=True):
        st.markdown("**Close the review**")
        st.caption(
            "Closing freezes the values, verdicts, texts, scorecard and actions shown above. It cannot be undone; the "
            "actions stay open in the register and come back as input a) of the next review."
        )
        with st.form("close-review", border=False):
            confirm = st.checkbox("I confirm this is the record of the meeting", key="close-confirm")
            close = st.form_submit_button("Close and freeze", icon=":material/lock:")
        if close:
            if not confirm:
                st.warning("Tick the confirmation first: closing cannot be undone.", icon=":material/warning:")
            else:
                try:
                    review.close_review(db, user, chosen)
                except IsokpiError as error:
                    st.error(plain(error), icon=":material/error:")
                else:
                    st.rerun()
