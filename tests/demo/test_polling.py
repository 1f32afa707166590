"""The app's one use of private Gradio attributes (demo/polling.py), checked against the installed Gradio.

These tests fail when Gradio renames the attributes, replaces the queue at launch, or
its queue loops stop reading them; demo/polling.py then needs another way in
(gradio-app/gradio#12521 is the upstream thread).
"""

import inspect

from gradio import queueing

from demo.models import ModelRegistry
from demo.polling import PROGRESS_POLL_SECONDS, QUEUE_POLL_SECONDS
from demo.ui import build_demo, launch_options


def _intervals(demo) -> tuple[float, float]:
    return demo._queue.sleep_when_free, demo._queue.progress_update_sleep_when_free


def test_the_queue_polls_gently(tmp_path):
    demo = build_demo(ModelRegistry(tmp_path, device="cpu"))
    assert _intervals(demo) == (QUEUE_POLL_SECONDS, PROGRESS_POLL_SECONDS)
    demo.launch(server_name="127.0.0.1", prevent_thread_lock=True, quiet=True, **launch_options())
    try:
        assert _intervals(demo) == (QUEUE_POLL_SECONDS, PROGRESS_POLL_SECONDS)
    finally:
        demo.close()


def test_gradios_queue_loops_sleep_for_those_intervals():
    assert "asyncio.sleep(self.sleep_when_free)" in inspect.getsource(queueing.Queue.start_processing)
    progress_loop = inspect.getsource(queueing.Queue.start_progress_updates)
    assert "asyncio.sleep(self.progress_update_sleep_when_free)" in progress_loop
