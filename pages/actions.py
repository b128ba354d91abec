"""Actions: the register of management review decisions and actions, with owners, due dates, status and history;
an action raised here belongs to no review until it is linked to an open one."""

import datetime as dt

import pandas as pd
import streamlit as st

from isokpi import actions, pack, pack_xlsx, review, ui
from isokpi.auth import QUALITY_LEAD
from isokpi.errors import IsokpiError
from isokpi.pillars import PILLAR_IDS, PILLAR_NAMES
from isokpi.safety import plain

db, user = ui.start_page(
    __file__,
    caption="Decisions and actions from management reviews (ISO 9001 9.3.3): improvement opportunities, changes to "
    "the system and resource needs. Every change is kept with who made it and when.",
)
can_edit = user.can(QUALITY_LEAD)

with st.sidebar:
    st.subheader("Filters", anchor=False)
    statuses = st.multiselect(
        "Status",
        list(actions.STATUSES),
        format_func=actions.STATUSES.get,
        key="status",
        bind="query-params",
        placeholder="All statuses",
    )
    pillars = st.multiselect(
        "Pillar",
        list(PILLAR_IDS),
        format_func=PILLAR_NAMES.get,
        key="pillar",
        bind="query-params",
        placeholder="All pillars",
    )
    owners = st.multiselect("Owner", actions.owners(db), key="owner", bind="query-params", placeholder="All owners")

today = dt.date.today()
rows = actions.list_actions(db, statuses=statuses, pillars=pillars, owners=owners)
register = [actions.describe(a, today) for a in rows]
counts = actions.register_effectiveness(rows, today)
reviews = {r["review_id"]: r for r in review.list_reviews(db)}
open_reviews = [review_id for review_id, r in reviews.items() if r["status"] == "open"]


def review_name(review_id: int | None) -> str:
    if review_id is None:
        return "No review (the register's own)"
    chosen = reviews[review_id]
    return f"#{review_id} · {chosen['review_date']:%d %b %Y} · {chosen['title']} ({chosen['status']})"


metrics = st.columns(5)
metrics[0].metric("Open", counts["open"])
metrics[1].metric("In progress", counts["in_progress"])
metrics[2].metric("Overdue", counts["overdue"])
metrics[3].metric("Done", counts["done"])
metrics[4].metric("Verified", counts["verified"])

if not register:
    ui.empty_state(
        "No actions match these filters: clear the filters in the sidebar, or record decisions on the Management review page."
    )
else:
    frame = pd.DataFrame(
        [
            {"ID": a["id"], "Review": f"#{a['review_id']}" if a["review_id"] else "", "Type": a["kind_label"], "Action": a["title"], "Pillar": a["pillar_name"],
             "Owner": a["owner"], "Raised": a["raised_on"], "Due": a["due_on"], "Status": a["status_label"], "Notes": a["notes"],
             "Last changed": f"{a['updated_at'][:16].replace('T', ' ')} by {a['updated_by']}"}
            for a in register
        ]
    )  # fmt: skip
    st.dataframe(frame, hide_index=True)
    ui.download(
        "Download the register (Excel)",
        lambda: pack_xlsx.actions_xlsx(register, actions.action_history(db)),
        file_name="actions-register.xlsx",
        mime=pack.MIME["xlsx"],
        key="download-register",
    )

if can_edit:
    with st.expander("New action", icon=":material/add_task:"):
        with st.form("new-action", clear_on_submit=True, border=False):
            kind = st.selectbox(
                "Type", list(actions.KINDS), format_func=lambda k: f"{actions.KINDS[k]} ({actions.KIND_CLAUSES[k]})"
            )
            title = st.text_input("Action", placeholder="What will be done", key="new-action-title")
            linked = st.selectbox(
                "Review", [None, *open_reviews], format_func=review_name, key="new-action-review",
                help="The open review that decides it (9.3.3), or none: an action of the register alone is not counted "
                "as an action from an earlier review.",
            )  # fmt: skip
            left, middle, right = st.columns(3)
            pillar = left.selectbox("Pillar", [None, *PILLAR_IDS], format_func=lambda p: PILLAR_NAMES.get(p, "None"))
            owner = middle.text_input("Owner", placeholder=f"{user.name} if left empty")
            due = right.date_input(
                "Due",
                value=None,
                format="YYYY-MM-DD",
                help="On or after the day it is raised: today, or the review's date.",
            )
            add = st.form_submit_button("Add action", icon=":material/add:", type="primary")
        if add:
            try:
                new_id = actions.create_action(
                    db, user, title=title, kind=kind, pillar=pillar, owner=owner, due_on=due, review_id=linked
                )
            except IsokpiError as error:
                st.error(plain(error), icon=":material/error:")
            else:
                st.toast(f"Action {new_id} added.", icon=":material/check:")
                st.rerun()

everything = actions.list_actions(db)  # an action edited out of the filter stays selectable here
if everything:
    st.subheader("One action", anchor=False)
    titles = {a["action_id"]: f"#{a['action_id']} {a['title']} ({actions.STATUSES[a['status']]})" for a in everything}
    chosen = st.selectbox("Action", list(titles), format_func=titles.get, key="action")
    action = actions.get_action(db, chosen)
    decided = action["review_id"] is not None and reviews[action["review_id"]]["status"] == "closed"
    if can_edit:
        with st.form(f"edit-{chosen}"):
            if decided:
                st.caption(f"Decided at {plain(review_name(action['review_id']))}: it stays with that review's record.")
            links = [None, *open_reviews]
            review_choice = {} if decided else {
                "review_id": st.selectbox("Review", links, index=links.index(action["review_id"]), format_func=review_name, key=f"edit-review-{chosen}"),
            }  # fmt: skip
            edited = review_choice | {
                "title": st.text_input("Action", value=action["title"], key=f"edit-title-{chosen}"),
                "kind": st.selectbox("Type", list(actions.KINDS), index=list(actions.KINDS).index(action["kind"]), format_func=actions.KINDS.get),
                "status": st.selectbox("Status", list(actions.STATUSES), index=list(actions.STATUSES).index(action["status"]), format_func=actions.STATUSES.get, key=f"edit-status-{chosen}"),
                "pillar": st.selectbox("Pillar", [None, *PILLAR_IDS], index=[None, *PILLAR_IDS].index(action["pillar"]), format_func=lambda p: PILLAR_NAMES.get(p, "None")),
                "owner": st.text_input("Owner", value=action["owner"] or "", key=f"edit-owner-{chosen}"),
                "due_on": st.date_input("Due", value=action["due_on"], format="YYYY-MM-DD"),
                "notes": st.text_area("Notes", value=action["notes"] or ""),
            }  # fmt: skip
            save = st.form_submit_button("Save changes", icon=":material/save:", type="primary")
        if save:
            try:
                changed = actions.update_action(db, user, chosen, **edited)
            except IsokpiError as error:
                st.error(plain(error), icon=":material/error:")
            else:
                st.toast(f"Saved: {', '.join(changed)}" if changed else "Nothing changed.", icon=":material/check:")
                st.rerun()
    st.markdown("**History**")
    history = pd.DataFrame(actions.action_history(db, chosen))
    st.dataframe(
        history.rename(columns={"action_id": "Action", "changed_at": "When (UTC)", "changed_by": "Who", "field": "Field",
                                "old_value": "Old value", "new_value": "New value"}),
        hide_index=True,
    )  # fmt: skip
