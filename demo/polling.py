"""How often Gradio's queue looks for new events and for progress: Windows' intervals, on every platform.

While the server runs, Gradio's queue loop sleeps between looks for events to start and
for progress to send. Its Linux and macOS intervals wake the server's event loop so often
that it takes CPU from a training run on a small machine; Gradio itself uses longer
intervals on Windows, where the short ones starved PyTorch in event handlers
(gradio-app/gradio#12521, fixed for Windows only by gradio-app/gradio#12556). A click
then waits at most one interval longer to start. Why: docs/design.md#the-app
"""

from __future__ import annotations

import gradio as gr

QUEUE_POLL_SECONDS = 0.05
PROGRESS_POLL_SECONDS = 0.1


def poll_gently(demo: gr.Blocks) -> None:
    """Set the queue's polling intervals; a Gradio without these settings keeps its own.

    These are private Gradio attributes (Blocks._queue, Queue.sleep_when_free and
    Queue.progress_update_sleep_when_free): Gradio has no public setting for them, see
    gradio-app/gradio#12521. tests/demo/test_polling.py fails when Gradio renames them or
    its queue stops reading them.
    """
    queue = getattr(demo, "_queue", None)
    if hasattr(queue, "sleep_when_free") and hasattr(queue, "progress_update_sleep_when_free"):
        queue.sleep_when_free = QUEUE_POLL_SECONDS
        queue.progress_update_sleep_when_free = PROGRESS_POLL_SECONDS
