"""ZeroGPU support without depending on it.

On a Hugging Face ZeroGPU Space the `spaces` package is installed and a GPU is
attached only while a function decorated with `spaces.GPU` runs; everywhere else
(CPU Spaces, a laptop, the tests) the package is missing and functions run as they are.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

try:
    import spaces
except ImportError:
    spaces = None

Function = TypeVar("Function", bound=Callable)


def on_gpu(function: Function, duration: int = 60) -> Function:
    """Ask ZeroGPU for a GPU for up to `duration` seconds per call, when running on ZeroGPU."""
    if spaces is None:
        return function
    return spaces.GPU(duration=duration)(function)
