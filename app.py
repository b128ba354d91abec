"""The isokpi app frame: page config, navigation, and the page the URL asks for."""

import streamlit as st

from isokpi import ui

st.set_page_config(page_title=ui.APP_TITLE, page_icon="📈", layout="wide")

database = ui.database()

page = st.navigation(
    [
        st.Page(
            "pages/data.py",
            title="Data",
            icon=":material/database:",
            url_path="data",
            default=True,
            help="What is loaded per dataset: rows, date range, last batch and freshness.",
        ),
    ]
)
page.run()
