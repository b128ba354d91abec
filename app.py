"""The isokpi app frame: page config, who is signed in, navigation, and the page the URL asks for."""

import streamlit as st

from isokpi import auth, navigation, ui
from isokpi.safety import plain

st.set_page_config(page_title=ui.APP_TITLE, page_icon=ui.PAGE_ICON, layout="wide")

database = ui.database()
user = ui.current_user(database)


def menu(shown) -> dict[str, list]:
    """The pages of navigation.PAGES that `shown(spec)` keeps, by section, as st.Page entries."""
    sections: dict[str, list] = {}
    for spec in navigation.PAGES:
        if shown(spec):
            page = st.Page(
                spec.script, title=spec.title, icon=spec.icon, url_path=spec.url_path or None, default=not spec.url_path,
                help=spec.help,
            )  # fmt: skip
            sections.setdefault(spec.section, []).append(page)
    return sections


if user is not None and user.role is not None:
    # Pages a user cannot use are left out of the menu; each page still checks the role itself.
    page = st.navigation(menu(lambda spec: user.can(spec.role)))
    with st.sidebar:
        st.caption(f"Signed in as **{plain(user.name)}** ({auth.ROLE_NAMES[user.role]})")
        if ui.auth_configured() and st.button("Sign out", icon=":material/logout:"):
            st.logout()
else:
    page = st.navigation(menu(lambda spec: True), position="hidden")
page.run()
