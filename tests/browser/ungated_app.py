"""isokpi without its gate (isokpi/gate.py), for tests of what Streamlit's own checks and the app do alone:
`streamlit run tests/browser/ungated_app.py` serves app.py through a plain st.App."""

from pathlib import Path

import streamlit as st

app = st.App(Path(__file__).resolve().parents[2] / "app.py")
