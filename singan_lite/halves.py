"""A training step's loss in two halves: one after the other, or side by side in two threads.

Each of SinGAN's steps minimises a sum of two parts that share no intermediate result: the
critic's adversarial scores and its gradient penalty; the generator's adversarial score and its
reconstruction. On small training windows the networks are too small for torch's threads to keep
two cores busy within one operation, so on a CPU with two threads the halves run in two threads,
one torch thread each, and the step adds their gradients before the optimiser's step. The sums
come out in another order than one backward pass over the whole loss would add them, so such a
run differs from one in turn in the last bits; for a given thread count it is still reproducible
bit for bit.

Batch norm updates its running statistics in every forward pass, which two threads would do at
once: a model with batch norm steps one half after the other. Why: docs/design.md#threads
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Iterator
from concurrent import futures

import torch

# A half of a step: the loss to differentiate, and the losses to report (detached).
Half = Callable[[], tuple[torch.Tensor, dict[str, torch.Tensor]]]
# A half's gradients for a list of parameters: None for one its loss does not depend on.
Gradients = tuple[torch.Tensor | None, ...]


class StepHalves:
    """Runs the steps of one training iteration: `step` per critic or generator step."""

    def __init__(self, side_by_side: bool) -> None:
        self.side_by_side = side_by_side

    def step(self, optimiser: torch.optim.Optimizer, first: Half, second: Half) -> dict[str, torch.Tensor]:
        """One optimiser step on the sum of the two halves' losses; both halves' reports."""
        optimiser.zero_grad(set_to_none=True)
        if not self.side_by_side:
            first_loss, first_report = first()
            second_loss, second_report = second()
            (first_loss + second_loss).backward()
        else:
            params = [p for group in optimiser.param_groups for p in group["params"]]
            pending = _worker().submit(_gradients, second, params)
            try:
                first_grads, first_report = _gradients(first, params)
            finally:
                futures.wait([pending])  # never leave the other half running on these networks
            second_grads, second_report = pending.result()
            for param, first_grad, second_grad in zip(params, first_grads, second_grads, strict=True):
                param.grad = _sum(first_grad, second_grad)
        optimiser.step()
        return {**first_report, **second_report}


@contextlib.contextmanager
def step_halves(allowed: bool) -> Iterator[StepHalves]:
    """How this iteration's steps run: side by side, on one thread each, where `allowed` and torch
    has two threads; else in turn. With more threads each half would need a team of OpenMP
    threads, and two teams in one process wake their threads for every small operation.
    """
    if not allowed or torch.get_num_threads() != 2:
        yield StepHalves(side_by_side=False)
        return
    torch.set_num_threads(1)
    try:
        yield StepHalves(side_by_side=True)
    finally:
        torch.set_num_threads(2)


def _gradients(half: Half, params: list[torch.Tensor]) -> tuple[Gradients, dict[str, torch.Tensor]]:
    """The half's gradients for `params`, and its report."""
    loss, report = half()
    return torch.autograd.grad(loss, params, allow_unused=True), report


def _sum(first: torch.Tensor | None, second: torch.Tensor | None) -> torch.Tensor | None:
    """Two halves' gradients of one parameter added; None where neither half depends on it."""
    if first is None or second is None:
        return second if first is None else first
    return first + second


@functools.cache
def _worker() -> futures.ThreadPoolExecutor:
    """The one thread that runs second halves, on one torch thread (a thread's own setting), started
    at first use and kept for the process.
    """
    return futures.ThreadPoolExecutor(
        max_workers=1, thread_name_prefix="singan-step-half", initializer=torch.set_num_threads, initargs=(1,)
    )
