"""The Gradio app for singan-lite: plain handlers (demo.handlers), a model registry, thin UI wiring.

Nothing here runs at import time; `app.py` builds the page with `demo.ui.build_demo`.
"""
