"""What every tab wires its events with: the picked model, the queue slots, and readable errors.

`Shared.model_event` is the one place where the picker's model name and the browser
session become a loaded model; tab code receives the model and never looks it up.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import gradio as gr

from singan_lite import ImageError, ModelFileError
from singan_lite.background import TrainingDiedError

from ..gpu import on_gpu
from ..handlers.train import StopSwitches
from ..models import ModelRegistry

USER_ERRORS = (ImageError, ModelFileError, ValueError, TrainingDiedError)
# Model work shares one slot and training another, so a training run never blocks sampling;
# cheap events (settings, seeds, the stop button) never wait.
GENERATE = {"concurrency_id": "generate", "concurrency_limit": 1}
TRAIN = {"concurrency_id": "train", "concurrency_limit": 1}
INSTANT = {"concurrency_limit": None}


def _sentence(error: Exception) -> str:
    message = str(error)
    return message[:1].upper() + message[1:]


def friendly(function: Callable) -> Callable:
    """Turn the library's user errors into gr.Error, for plain and generator handlers alike."""
    if inspect.isgeneratorfunction(function):

        @functools.wraps(function)
        def stream(*args, **kwargs):
            try:
                yield from function(*args, **kwargs)
            except gr.Error:
                raise
            except USER_ERRORS as error:
                raise gr.Error(_sentence(error), print_exception=False) from error

        return stream

    @functools.wraps(function)
    def call(*args, **kwargs):
        try:
            return function(*args, **kwargs)
        except gr.Error:
            raise
        except USER_ERRORS as error:
            raise gr.Error(_sentence(error), print_exception=False) from error

    return call


def _parameter(name: str) -> inspect.Parameter:
    return inspect.Parameter(name, inspect.Parameter.POSITIONAL_OR_KEYWORD)


@dataclass
class Shared:
    """What every tab reads: the registry, the session's models, the picker, the page, the Stop switches."""

    registry: ModelRegistry
    session: gr.State
    picker: gr.Dropdown
    demo: gr.Blocks
    stops: StopSwitches

    @property
    def model_inputs(self) -> list[gr.components.Component]:
        """The inputs that name the picked model: put them first in a model event's inputs."""
        return [self.picker, self.session]

    def model_event(self, function: Callable, with_name: bool = False) -> Callable:
        """`function(model, *inputs)` (with `with_name`: `function(model, name, *inputs)`) as a handler
        of `(name, session, *inputs)`, the picked model loaded from the registry.

        Gradio reads a handler's signature for the HTTP API's parameter names and for a
        gr.Progress default, so the handler's signature is the function's own, with the
        model's name and the session in place of the model.
        """
        registry = self.registry
        skipped = 2 if with_name else 1

        def handler(name, session, *inputs):
            model = registry.load(name, session)
            return function(model, name, *inputs) if with_name else function(model, *inputs)

        own = list(inspect.signature(function).parameters.values())[skipped:]
        handler.__signature__ = inspect.Signature([_parameter("name"), _parameter("session"), *own])
        handler.__name__ = handler.__qualname__ = function.__name__
        return handler

    def on_model(
        self,
        function: Callable,
        outputs: Sequence[gr.components.Component],
        api_name: str,
        extra_inputs: Sequence[gr.components.Component] = (),
        heavy: bool = False,
        with_name: bool = False,
    ) -> None:
        """Run `function(model, *extra)` (see `model_event`) on page load and whenever the model changes.

        `heavy` (it generates images) puts it in the generation slot and on ZeroGPU's GPU;
        settings updates never wait. With no model at all (nothing shipped, nothing trained
        yet) the tab is left as it is.
        """
        handler = self.model_event(function, with_name)
        if heavy:
            handler = on_gpu(handler)

        def unless_empty(name, session, *extra):
            if name:
                return handler(name, session, *extra)
            skips = tuple(gr.skip() for _ in outputs)
            return skips if len(skips) > 1 else skips[0]

        gr.on(
            [self.demo.load, self.picker.change],
            friendly(unless_empty),
            inputs=[*self.model_inputs, *extra_inputs],
            outputs=list(outputs),
            api_name=api_name,
            **(GENERATE if heavy else INSTANT),
        )

    def generate(
        self,
        button: gr.Button,
        function: Callable,
        inputs: Sequence[gr.components.Component],
        outputs: Sequence[gr.components.Component] | gr.components.Component,
        api_name: str,
    ) -> None:
        """A click runs `function(model, *inputs)` on the picked model, in the generation slot, on ZeroGPU's GPU."""
        handler = on_gpu(friendly(self.model_event(function)))
        button.click(handler, [*self.model_inputs, *inputs], outputs, api_name=api_name, **GENERATE)
