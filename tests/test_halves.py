import threading

import pytest
import torch
from torch import nn

from singan_lite.halves import StepHalves, step_halves


@pytest.fixture()
def two_threads():
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    yield
    torch.set_num_threads(before)


def _net_and_halves():
    """A net whose loss has two halves: one uses both layers, the other only the first."""
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 1))
    x, y = torch.randn(16, 4), torch.randn(16, 4)

    def first():
        loss = net(x).square().mean()
        return loss, {"first": loss.detach()}

    def second():
        loss = 0.5 * net[0](y).square().mean()
        return loss, {"second": loss.detach()}

    return net, first, second


def _stepped(halves: StepHalves) -> tuple[list[torch.Tensor], dict[str, torch.Tensor]]:
    net, first, second = _net_and_halves()
    report = halves.step(torch.optim.SGD(net.parameters(), lr=1.0), first, second)
    return [p.detach() for p in net.parameters()], report


def test_halves_side_by_side_step_on_the_gradient_of_the_whole_loss():
    in_turn, in_turn_report = _stepped(StepHalves(side_by_side=False))
    side_by_side, side_by_side_report = _stepped(StepHalves(side_by_side=True))
    for a, b in zip(in_turn, side_by_side, strict=True):
        torch.testing.assert_close(a, b, rtol=1e-6, atol=1e-7)
    assert set(in_turn_report) == set(side_by_side_report) == {"first", "second"}
    # The last layer changed, though only the first half's loss depends on it.
    net, _, _ = _net_and_halves()
    assert not torch.equal(side_by_side[-1], net[2].bias.detach())


def test_with_two_threads_the_second_half_runs_beside_the_first_on_one_thread_each(two_threads):
    seen = {}
    param = nn.Parameter(torch.ones(3))

    def first():
        seen["first"] = (threading.get_ident(), torch.get_num_threads())
        return param.sum(), {}

    def second():
        seen["second"] = (threading.get_ident(), torch.get_num_threads())
        return 2 * param.sum(), {}

    with step_halves(True) as halves:
        assert halves.side_by_side
        halves.step(torch.optim.SGD([param], lr=1.0), first, second)
    assert seen["first"] == (threading.get_ident(), 1)
    assert seen["second"][0] != threading.get_ident() and seen["second"][1] == 1
    assert torch.get_num_threads() == 2  # the caller's count is back
    torch.testing.assert_close(param.detach(), torch.full((3,), -2.0))


def test_halves_run_in_turn_on_one_thread_or_where_not_allowed(two_threads):
    with step_halves(False) as halves:
        assert not halves.side_by_side and torch.get_num_threads() == 2
    torch.set_num_threads(1)
    with step_halves(True) as halves:
        assert not halves.side_by_side


def test_a_failing_half_fails_the_step_after_the_other_half_ends():
    ended = threading.Event()
    param = nn.Parameter(torch.ones(1))

    def first():
        raise RuntimeError("first half failed")

    def second():
        ended.wait(0.2)
        ended.set()
        return param.sum(), {}

    with pytest.raises(RuntimeError, match="first half failed"):
        StepHalves(side_by_side=True).step(torch.optim.SGD([param], lr=1.0), first, second)
    assert ended.is_set()
