"""The isokpi app frame: page config, who is signed in, navigation, and the page the URL asks for.

`streamlit run app.py` first imports this file to find `app`, the server it runs (Streamlit's own, with
isokpi's gate in front of its routes: isokpi/gate.py), then runs this file as the script of every session.
"""

import streamlit as st


def menu(shown) -> dict[str, list]:
    """The pages of isokpi.navigation.PAGES that `shown(spec)` keeps, by section, as st.Page entries."""
    from isokpi import navigation

    sections: dict[str, list] = {}
    for spec in navigation.PAGES:
        if shown(spec):
            page = st.Page(
                spec.script, title=spec.title, icon=spec.icon, url_path=spec.url_path or None, default=not spec.url_path,
                help=spec.help,
            )  # fmt: skip
            sections.setdefault(spec.section, []).append(page)
    return sections


def main() -> None:
    # Imported here: the server imports this file before Streamlit's runtime exists, and ui's caches need it.
    from isokpi import auth, navigation, ui
    from isokpi.safety import plain

    st.set_page_config(page_title=ui.APP_TITLE, page_icon=ui.PAGE_ICON, layout="wide")
    ui.keep_linked_filters()  # first: a menu link clicked while this run opens the database keeps the link's filters
    database = ui.database()
    user = ui.current_user(database)
    if user is not None and user.role is not None:
        # Pages a user cannot use are left out of the menu; each page still checks the role itself. The menu is
        # drawn by ui.page_menu, whose links keep the sidebar's filters (Streamlit's own menu would drop them).
        sections = menu(lambda spec: user.can(spec.role))
        page = st.navigation(sections, position="hidden")
        with st.sidebar:
            ui.page_menu(sections)
            local = ", the local user" if user.email == auth.LOCAL_USER else ""
            st.caption(f"Signed in as **{plain(user.name)}**{local} ({auth.ROLE_NAMES[user.role]})")
            if ui.auth_configured() and st.button("Sign out", icon=":material/logout:"):
                st.logout()
    else:
        page = st.navigation(menu(lambda spec: True), position="hidden")
    spec = navigation.page_at(page.url_path)
    if spec.filters and user is not None and user.role is not None:
        ui.frame_filters(database, standards=spec.filters != "no standard")
    try:
        page.run()
    finally:
        ui.page_done()


def local_mode() -> bool:
    from isokpi import ui

    return not ui.auth_configured()


def max_upload_bytes() -> int:
    from isokpi.uploads import MAX_UPLOAD_MB

    return min(int(st.get_option("server.maxUploadSize")), MAX_UPLOAD_MB) * 1024 * 1024


if __name__ == "__main__":  # a session's script run
    main()
else:  # imported by `streamlit run app.py`
    from starlette.middleware import Middleware

    from isokpi.gate import Gate

    app = st.App(
        __file__,
        middleware=[
            Middleware(
                Gate,
                allowed_hosts=lambda: st.get_option("server.allowedHosts"),
                local_mode=local_mode,
                max_upload_bytes=max_upload_bytes,
            )
        ],
    )
