"""Training through the app: the Train tab's wall time, against the library's own (train_time).

    python -m benchmarks.app_training                  # fast preset, 250 px, as a visitor would

Launches the app on 127.0.0.1, draws a sample first (so the app's handler threads have
run PyTorch, as they have once anyone has looked at a tab), then trains over HTTP and
times the run from the request to the finished model. In-process threads once made this
twice as slow as the library alone (singan_lite.background says why).
"""

from __future__ import annotations

import argparse
import re
import sys
import time

from gradio_client import Client, handle_file

from demo.ui import build_demo, launch_options

from .common import ROOT, markdown_table, write_section


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="fast")
    parser.add_argument("--image", default=str(ROOT / "assets" / "images" / "mountains.png"))
    parser.add_argument("--max-size", type=int, default=250)
    args = parser.parse_args(argv)

    demo = build_demo()
    _, url, _ = demo.launch(server_name="127.0.0.1", prevent_thread_lock=True, quiet=True, **launch_options())
    try:
        client = Client(url, verbose=False)
        client.predict("mountains", 1, 0, 1.0, 1.0, 0, api_name="/sample")
        started = time.perf_counter()
        job = client.submit(handle_file(args.image), args.preset, args.max_size, 0, 0, api_name="/train")
        status = job.result()[0]
        wall = time.perf_counter() - started
    finally:
        demo.close()
    if not status.startswith("Finished"):
        print(status, file=sys.stderr)
        return 1
    scales = re.search(r"\((\d+) of \d+ scales\)", status).group(1)
    table = markdown_table(
        ["preset", "max size", "scales", "wall s, request to finished model"],
        [[args.preset, args.max_size, scales, round(wall, 1)]],
    )
    body = (
        f"{table}\n\nThe app trains in a child process on a CPU; compare with the library alone in "
        "*Training cost* above (same preset, size and machine)."
    )
    write_section(f"Training in the app, `{args.preset}` preset", body, "python -m benchmarks.app_training")
    print(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
