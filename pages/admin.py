"""Admin: who has which role, and the audit trail of everything that changed data or decisions."""

import pandas as pd
import streamlit as st

from isokpi import audit, auth, ui
from isokpi.db import DatabaseError
from isokpi.safety import plain

database, user = ui.start_page(__file__, caption="Roles by e-mail, and the audit trail.")

st.subheader("Roles", anchor=False)
if not ui.auth_configured():
    st.info(
        "Sign-in is off, so isokpi runs in local mode: one local user with the admin role, on this machine only. "
        "Roles assigned here take effect once sign-in is on (README: Turning sign-in on).",
        icon=":material/info:",
    )
assigned = auth.assigned_roles(database)
if assigned:
    st.dataframe(pd.DataFrame(assigned), hide_index=True)
else:
    st.caption(
        "No roles assigned yet: signed-in users get the default role set in secrets.toml ([isokpi] unknown_users)."
    )

with st.form("assign-role", border=True):
    email = st.text_input("E-mail", placeholder="name@example.com")
    role = st.selectbox("Role", auth.ROLES, format_func=auth.ROLE_NAMES.get)
    col_assign, col_remove = st.columns(2)
    assign = col_assign.form_submit_button("Assign role", icon=":material/person_add:", type="primary")
    remove = col_remove.form_submit_button("Remove assigned role", icon=":material/person_remove:")
if assign or remove:
    try:
        if assign:
            auth.assign_role(database, user, email, role)
            st.success(f"{plain(email.strip().lower())} is now {auth.ROLE_NAMES[role]}.")
        else:
            auth.remove_role(database, user, email)
            st.success(f"Removed the assigned role of {plain(email.strip().lower())}.")
    except (ValueError, auth.AccessError, DatabaseError) as error:
        st.error(plain(error))

st.subheader("Audit trail", anchor=False)
trail = pd.DataFrame(audit.audit_trail(database))
if trail.empty:
    st.caption("Nothing recorded yet.")
else:
    st.dataframe(trail, hide_index=True)
    st.caption(f"The newest {len(trail):,} events; the download holds all of them.")
    st.download_button(
        "Download the audit trail (CSV)",
        lambda: ui.csv_bytes(pd.DataFrame(audit.audit_trail(database, limit=None))),
        file_name="isokpi-audit-trail.csv",
        mime="text/csv",
        icon=":material/download:",
        on_click="ignore",
    )
