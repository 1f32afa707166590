"""The Gradio app for singan-lite: plain handlers (demo.handlers), one module per tab (demo.tabs), a model registry.

Nothing here runs at import time; `app.py` builds the page with `demo.ui.build_demo`.
"""
