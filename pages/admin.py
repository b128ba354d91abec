"""Admin: who has which role, and the audit trail of everything that changed data or decisions."""

import pandas as pd
import streamlit as st

from isokpi import audit, auth, ui
from isokpi.errors import IsokpiError
from isokpi.safety import plain

database, user = ui.start_page(
    __file__, caption="Roles by e-mail, the sign-in accounts that hold them, and the audit trail."
)

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
    st.caption(
        "issuer and subject: the sign-in account that holds the address (empty until the address is first used "
        "to sign in). Addresses match exactly as the provider sends them, the domain in any case."
    )
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
            st.success(f"{plain(auth.normalize_email(email))} is now {auth.ROLE_NAMES[role]}.")
        else:
            auth.remove_role(database, user, email)
            st.success(f"Removed the assigned role of {plain(auth.normalize_email(email))}.")
    except IsokpiError as error:
        st.error(plain(error))

st.subheader("Sign-in accounts", anchor=False)
st.caption(
    "The first sign-in with a verified address links the address to that provider account (issuer + subject). "
    "From then on the role given to the address goes to that account only, whatever e-mail it later sends; "
    "another account claiming the address gets no role. Unlink an address when its person got a new account."
)
trusted = ui.settings().verified_email_issuers
if trusted:
    st.caption(
        "Providers whose addresses count as verified without an email_verified claim ([isokpi] "
        f"verified_email_issuers): {', '.join(ui.plain(issuer) for issuer in trusted)}."
    )
linked = auth.linked_accounts(database)
if linked:
    st.dataframe(pd.DataFrame(linked), hide_index=True)
    with st.form("unlink-account", border=True):
        address = st.selectbox("Address", [account["email"] for account in linked])
        unlink = st.form_submit_button("Unlink the account from this address", icon=":material/link_off:")
    if unlink:
        try:
            auth.unlink_account(database, user, address)
            st.success(f"{ui.plain(address)} is free: the next verified sign-in with it links its account.")
        except IsokpiError as error:
            st.error(ui.plain(error))
else:
    st.caption("No account has signed in with a verified address yet.")

st.subheader("Audit trail", anchor=False)
trail = pd.DataFrame(audit.audit_trail(database))
if trail.empty:
    st.caption("Nothing recorded yet.")
else:
    st.dataframe(trail, hide_index=True)
    st.caption(f"The newest {len(trail):,} events; the download holds all of them.")
    ui.download(
        "Download the audit trail (CSV)",
        lambda: ui.csv_bytes(pd.DataFrame(audit.audit_trail(database, limit=None))),
        file_name="isokpi-audit-trail.csv",
        key=None,
    )
