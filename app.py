"""Realtime Voice Studio: navigation and the shared sidebar (settings -> SessionConfig).

Runs on the Streamlit script thread at every rerun, before the selected page. The sidebar
(``realtime/ui/sidebar.py``) turns its values into one validated ``SessionConfig``, kept in
session state for the pages; a refused value is explained next to its widget and the last
valid config stays in force.
"""

from __future__ import annotations

import logging

import streamlit as st

from realtime.ui import deployment
from realtime.ui.gatekeeper import require_sign_in
from realtime.ui.sidebar import sidebar

logging.basicConfig(
    level=deployment.current().log_level(), format="%(levelname)s %(name)s: %(message)s"
)
st.set_page_config(page_title="Realtime Voice Studio", page_icon=":material/mic:", layout="wide")

# With [auth] in secrets, nothing else shows before sign-in.
require_sign_in(deployment.current().guardrails())
sidebar()
navigation = st.navigation(
    [
        st.Page("pages/voice.py", title="Voice chat", icon=":material/mic:", default=True),
        st.Page("pages/inspector.py", title="Event inspector", icon=":material/manage_search:"),
        st.Page("pages/metrics.py", title="Latency and cost", icon=":material/monitoring:"),
    ]
)
navigation.run()
