"""Tests of the Gradio app (demo/): handlers called directly, the wiring in-process, the HTTP API, a browser."""
