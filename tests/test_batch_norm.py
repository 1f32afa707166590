import copy

import pytest
import torch
from torch import nn

from singan_lite.batch_norm import BatchNorm2d
from singan_lite.networks import Critic
from singan_lite.training import gradient_penalty


def _pair(channels: int) -> tuple[nn.BatchNorm2d, BatchNorm2d]:
    torch.manual_seed(0)
    reference = nn.BatchNorm2d(channels).double()
    with torch.no_grad():
        reference.weight.normal_(1.0, 0.5)
        reference.bias.normal_(0.0, 0.5)
    ours = BatchNorm2d(channels).double()
    ours.load_state_dict(reference.state_dict())
    return reference, ours


def _second_order_grads(norm: nn.Module, x: torch.Tensor, weights: torch.Tensor) -> tuple[torch.Tensor, ...]:
    """A penalty on the input gradient, differentiated again: what the critic's gradient penalty does.

    The outer loss depends on the first gradients of x and of both parameters, so every
    branch of the double backward is exercised.
    """
    y = norm(x)
    inner = (y * weights).sum() + (y**3).sum()
    grad_x, grad_weight, grad_bias = torch.autograd.grad(inner, [x, norm.weight, norm.bias], create_graph=True)
    outer = (grad_x**2).sum() + (grad_x * x).sum() + (grad_weight**2).sum() + (grad_bias * norm.weight).sum()
    return (y, *torch.autograd.grad(outer, [x, norm.weight, norm.bias]))


@pytest.mark.parametrize("shape", [(1, 3, 5, 6), (2, 4, 3, 7)])
def test_second_derivatives_match_pytorchs_batch_norm(shape):
    reference, ours = _pair(shape[1])
    x = torch.randn(*shape, dtype=torch.double, requires_grad=True)
    weights = torch.randn(*shape, dtype=torch.double)
    for expected, got in zip(
        _second_order_grads(reference, x, weights), _second_order_grads(ours, x, weights), strict=True
    ):
        torch.testing.assert_close(got, expected, rtol=1e-9, atol=1e-9)
    torch.testing.assert_close(ours.running_mean, reference.running_mean)
    torch.testing.assert_close(ours.running_var, reference.running_var)
    assert ours.num_batches_tracked == reference.num_batches_tracked == 1


def test_double_backward_passes_gradgradcheck():
    """Against finite differences, not only against PyTorch: both could share a mistake otherwise."""
    _, ours = _pair(3)

    def normalise(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
        # gradgradcheck perturbs these very tensors in place: they are the module's parameters.
        assert weight is ours.weight and bias is ours.bias
        return ours(x)

    x = torch.randn(1, 3, 4, 5, dtype=torch.double, requires_grad=True)
    assert torch.autograd.gradgradcheck(normalise, (x, ours.weight, ours.bias))


def test_eval_mode_uses_the_running_statistics():
    reference, ours = _pair(3)
    reference.running_mean.fill_(0.5)
    ours.running_mean.fill_(0.5)
    x = torch.randn(1, 3, 6, 6, dtype=torch.double)
    torch.testing.assert_close(ours.eval()(x), reference.eval()(x))
    assert ours.num_batches_tracked == 0


def _penalty_grads(critic: Critic, bf16: bool, dtype: torch.dtype = torch.float32) -> list[torch.Tensor]:
    torch.manual_seed(2)
    real, fake = (torch.rand(1, 3, 24, 24).to(dtype, memory_format=torch.channels_last) for _ in range(2))
    critic = copy.deepcopy(critic).to(dtype)
    with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
        penalty = gradient_penalty(critic, real, fake, torch.tensor(0.5))
    # The last convolution's bias does not change the critic's input gradient.
    return [grad.double() for grad in torch.autograd.grad(penalty, list(critic.parameters())[:-1])]


def test_the_critics_penalty_gradients_match_pytorchs_batch_norm():
    """The training case: channels-last maps, one image per batch, fp32 and bf16 autocast.

    bf16 gradients through batch norm are a few tens of percent off for PyTorch's batch norm
    too, so in bf16 ours must be as close to the exact gradient as PyTorch's, not equal to it.
    """
    torch.manual_seed(1)
    ours = Critic(8).to(memory_format=torch.channels_last)
    reference = copy.deepcopy(ours)  # then with PyTorch's batch norm, on the same parameters
    for module in reference.modules():
        if isinstance(module, BatchNorm2d):
            module.__class__ = nn.BatchNorm2d
    # The biases before a batch norm have no gradient at all; their rounding noise is left out.
    exact = _penalty_grads(reference, bf16=False, dtype=torch.double)
    kept = [index for index, grad in enumerate(exact) if grad.norm() > 1e-6]
    assert len(kept) == 12
    ours_fp32 = _penalty_grads(ours, bf16=False)
    ours_bf16, reference_bf16 = _penalty_grads(ours, bf16=True), _penalty_grads(reference, bf16=True)
    for index in kept:
        expected = exact[index]
        torch.testing.assert_close(ours_fp32[index], expected, rtol=1e-4, atol=1e-4 * expected.abs().max().item())
        ours_error = (ours_bf16[index] - expected).norm()
        assert ours_error <= 1.25 * (reference_bf16[index] - expected).norm() + 0.01 * expected.norm()
