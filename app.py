"""The isokpi app frame: page config, who is signed in, navigation, and the page the URL asks for.

`streamlit run app.py` first imports this file to find `app`, the server it runs (Streamlit's own, with
isokpi's gate in front of its routes: isokpi/gate.py), then runs this file as the script of every session.
"""

import streamlit as st


def main() -> None:
    # Imported here: the server imports this file before Streamlit's runtime exists, and ui's caches need it.
    from isokpi import auth, ui

    st.set_page_config(page_title=ui.APP_TITLE, page_icon=ui.PAGE_ICON, layout="wide")

    database = ui.database()
    user = ui.current_user(database)

    PAGES = {
        "Dashboard": [
            st.Page("pages/overview.py", title="Overview", icon=":material/dashboard:", default=True,
                    help="The eight leadership pillars at a glance: status against target, trend, and whether a change is real."),
            st.Page("pages/pillar.py", title="Pillar", icon=":material/insights:", url_path="pillar",
                    help="Every KPI of one pillar as a process-behaviour chart with limits, target, signals and notes."),
            st.Page("pages/training.py", title="Training", icon=":material/school:", url_path="training",
                    help="Hours per employee, mandatory completion, the training matrix and training effectiveness."),
            st.Page("pages/findings.py", title="Findings", icon=":material/fact_check:", url_path="findings",
                    help="Open, overdue and aging findings, time to close, Pareto by clause and root cause, repeats."),
            st.Page("pages/surveys.py", title="Surveys", icon=":material/forum:", url_path="surveys",
                    help="Favourable answers per pillar with intervals, answer distributions, customer NPS, responses."),
        ],
        "Management review": [
            st.Page("pages/review.py", title="Review (ISO 9.3)", icon=":material/groups:", url_path="review",
                    help="The ISO 9001 9.3 management review: inputs a) to f) from the data, completeness, the pack."),
            st.Page("pages/actions.py", title="Actions", icon=":material/task_alt:", url_path="actions",
                    help="The register of review decisions and actions, with owners, due dates and status history."),
        ],
        "Data": [
            st.Page("pages/data.py", title="Data", icon=":material/database:", url_path="data",
                    help="What is loaded per dataset: rows, date range, last batch and freshness."),
            st.Page("pages/upload.py", title="Upload", icon=":material/upload_file:", url_path="upload",
                    help="Load CSV or Excel exports: preview, column mapping, validation report, history and undo."),
        ],
        "Admin": [
            st.Page("pages/admin.py", title="Admin", icon=":material/admin_panel_settings:", url_path="admin",
                    help="Assign roles by e-mail and read the audit trail of loads, undos, edits and reviews."),
        ],
    }  # fmt: skip
    NEEDS = {"upload": auth.QUALITY_LEAD, "admin": auth.ADMIN}  # by url_path

    if user is not None and user.role is not None:
        # Pages a user cannot use are left out of the menu; each page still checks the role itself.
        visible = {
            section: [page for page in pages if user.can(NEEDS.get(page.url_path, auth.VIEWER))]
            for section, pages in PAGES.items()
        }
        page = st.navigation({section: pages for section, pages in visible.items() if pages})
        with st.sidebar:
            st.caption(f"Signed in as **{ui.plain(user.name)}** ({auth.ROLE_NAMES[user.role]})")
            if ui.auth_configured() and st.button("Sign out", icon=":material/logout:"):
                st.logout()
    else:
        page = st.navigation(PAGES, position="hidden")
    page.run()


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
