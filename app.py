"""Start the singan-lite web app: `python app.py` (also the Hugging Face Spaces entry point)."""

if __name__ == "__main__":
    # Imported here, not above: the Train tab's child process re-imports this file and
    # would otherwise load Gradio for nothing before training starts.
    from demo.ui import build_demo, launch_options

    build_demo().launch(**launch_options())
