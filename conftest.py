"""Test-session environment, set before anything imports gradio or starts a notebook kernel.

Nothing may reach the network, and the notebooks run in their quick mode (SINGAN_FAST)
unless the caller asks otherwise; nbmake's kernels inherit this environment.
"""

import os
import tempfile

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
os.environ.setdefault("GRADIO_TEMP_DIR", tempfile.mkdtemp(prefix="gradio-tests-"))
os.environ.setdefault("SINGAN_FAST", "1")
