"""Training through the app: the Train tab's wall time, against the library's own (train_time).

    python -m benchmarks.app_training                  # fast preset, 250 px, as a visitor would

Launches the app on 127.0.0.1 and sends a visitor to it from another process, as a browser
would be: the visitor draws a sample first (so the app's handler threads have run PyTorch,
as they have once anyone has looked at a tab), then trains over HTTP and times the run from
the request to the finished model, which shows what the app adds to the library's own time
(why the app trains in a child process: docs/design.md#the-app). The server's and the
visitor's CPU time are reported beside it: on 2 cores, every second of either is taken from
training.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import time

from .common import ROOT, markdown_table, write_section


def visit(url: str, image: str, preset: str, max_size: int) -> dict:
    """The visitor's side: a sample, then a training run, timed; its final status and own CPU time."""
    from gradio_client import Client, handle_file

    client = Client(url, verbose=False)
    client.predict("mountains", 1, 0, 1.0, 1.0, 0, api_name="/sample")
    started = time.perf_counter()
    job = client.submit(handle_file(image), preset, max_size, 0, 0, api_name="/train")
    status = job.result()[0]
    return {"status": status, "wall": time.perf_counter() - started, "cpu": time.process_time()}


def serve_and_visit(image: str, preset: str, max_size: int) -> tuple[dict, float]:
    """The visit's report and the server's CPU seconds while it lasted (training's own process aside)."""
    from demo.ui import build_demo, launch_options

    demo = build_demo()
    _, url, _ = demo.launch(server_name="127.0.0.1", prevent_thread_lock=True, quiet=True, **launch_options())
    try:
        started = time.process_time()
        visitor = subprocess.run(
            [
                sys.executable,
                "-m",
                "benchmarks.app_training",
                "--visit",
                url,
                "--image",
                image,
                "--preset",
                preset,
                "--max-size",
                str(max_size),
            ],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        )
        server_cpu = time.process_time() - started
    finally:
        demo.close()
    return json.loads(visitor.stdout.splitlines()[-1]), server_cpu


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="fast")
    parser.add_argument("--image", default=str(ROOT / "assets" / "images" / "mountains.png"))
    parser.add_argument("--max-size", type=int, default=250)
    parser.add_argument("--visit", metavar="URL", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.visit:
        print(json.dumps(visit(args.visit, args.image, args.preset, args.max_size)))
        return 0

    report, server_cpu = serve_and_visit(args.image, args.preset, args.max_size)
    status = report["status"]
    if not status.startswith("Finished"):
        print(status, file=sys.stderr)
        return 1
    scales = re.search(r"\((\d+) of \d+ scales\)", status).group(1)
    table = markdown_table(
        ["preset", "max size", "scales", "wall s, request to finished model", "server CPU s", "visitor CPU s"],
        [[args.preset, args.max_size, scales, round(report["wall"], 1), round(server_cpu, 1), round(report["cpu"], 1)]],
    )
    body = (
        f"{table}\n\nThe app trains in a child process on a CPU; compare with the library alone in "
        "*Training cost* above (same preset, size and machine). Server CPU: the app's process while "
        "the visit lasted (its handlers and update stream; training's own process aside). Visitor CPU: "
        "the Python client that stands in for a browser, in its own process."
    )
    write_section(f"Training in the app, `{args.preset}` preset", body, "python -m benchmarks.app_training")
    print(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
