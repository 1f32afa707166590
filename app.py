"""Start the singan-lite web app: `python app.py` (also the Hugging Face Spaces entry point)."""

from demo.ui import build_demo, launch_options

if __name__ == "__main__":
    build_demo().launch(**launch_options())
