"""Batch norm whose second derivative is cheap on a CPU.

The critic's gradient penalty differentiates the critic twice, and so batch norm twice.
PyTorch's own double backward of batch norm sums over the batch dimension on its own before
the spatial ones; with one image per batch that is a sum over a dimension of size 1, which
PyTorch's CPU kernels run slowly. Here the double backward is written out in closed form:
mostly PyTorch's own first-backward kernel, applied again, and one channel sum over all of
(N, H, W) at once. The forward and the first backward are PyTorch's kernels, so values and
first derivatives are PyTorch's, bit for bit. Why: docs/design.md#batch-norms-double-backward
"""

from __future__ import annotations

import torch
from torch import Tensor, nn
from torch.autograd import Function
from torch.autograd.function import FunctionCtx

_NON_CHANNEL_DIMS = (0, 2, 3)


def _per_channel(values: Tensor) -> Tensor:
    return values.view(1, -1, 1, 1)


def _channel_sum(values: Tensor) -> Tensor:
    return values.sum(dim=_NON_CHANNEL_DIMS, keepdim=True)


def _native_backward(
    grad_out: Tensor, x: Tensor, weight: Tensor, mean: Tensor, inv_std: Tensor, eps: float
) -> tuple[Tensor, Tensor, Tensor]:
    return torch.ops.aten.native_batch_norm_backward(
        grad_out, x, weight, None, None, mean, inv_std, True, eps, [True, True, True]
    )


class _BatchNormBackward(Function):
    """The first backward, (grad_out, x, weight) -> (dx, dweight, dbias), as its own function so
    that its backward, the double backward, can be ours.
    """

    @staticmethod
    def forward(
        ctx: FunctionCtx, grad_out: Tensor, x: Tensor, weight: Tensor, mean: Tensor, inv_std: Tensor, eps: float
    ) -> tuple[Tensor, Tensor, Tensor]:
        dx, dweight, dbias = _native_backward(grad_out, x, weight, mean, inv_std, eps)
        ctx.save_for_backward(grad_out, x, weight, mean, inv_std, dx, dweight, dbias)
        ctx.eps = eps
        # The gradient penalty uses only dx: its double backward then gets None, not zero maps, for
        # dweight and dbias, and skips their branch, four passes over the map and their dtype casts.
        ctx.set_materialize_grads(False)
        return dx, dweight, dbias

    @staticmethod
    def backward(
        ctx: FunctionCtx, grad_dx: Tensor | None, grad_dweight: Tensor | None, grad_dbias: Tensor | None
    ) -> tuple[Tensor | None, ...]:
        """Write <.> for a channel's mean, x_hat = s (x - mu) and P(v) = v - <v> - x_hat <v x_hat>.
        The first backward is dx = gamma s P(g), dweight = sum(g x_hat), dbias = sum(g), with
        g = grad_out. P is self-adjoint, so the gradient of sum(a dx) with respect to g is
        gamma s P(a): the first backward again, applied to a, in PyTorch's kernel. The one with
        respect to x is -s (<g x_hat> dx_a + <a x_hat> dx) - gamma s^2 <a P(g)> x_hat, made of
        tensors at hand and one more channel sum, <a g>.
        """
        grad_out, x, weight, mean, inv_std, dx, dweight, dbias = ctx.saved_tensors
        count = x.numel() // x.shape[1]
        mu, s, gamma = _per_channel(mean), _per_channel(inv_std), _per_channel(weight)
        mean_g, mean_g_xhat = _per_channel(dbias) / count, _per_channel(dweight) / count
        a = grad_dx if grad_dx is not None else torch.zeros_like(x)
        dx_a, sum_a_xhat, sum_a = _native_backward(a, x, weight, mean, inv_std, ctx.eps)
        mean_a, mean_a_xhat = _per_channel(sum_a) / count, _per_channel(sum_a_xhat) / count
        mean_a_g = _channel_sum(a.to(mean.dtype) * grad_out) / count
        mean_a_pg = mean_a_g - mean_a * mean_g - mean_a_xhat * mean_g_xhat
        # x_hat = s x - s mu: one fused multiply-add per tensor.
        xhat_coef = -gamma * s * s * mean_a_pg
        grad_x = torch.addcmul(-xhat_coef * s * mu, x, xhat_coef * s)
        grad_x = grad_x.addcmul_(dx_a, -s * mean_g_xhat).addcmul_(dx, -s * mean_a_xhat)
        grad_grad_out = dx_a
        if grad_dweight is not None or grad_dbias is not None:
            # grad_dweight . sum(g x_hat) + grad_dbias . sum(g): linear in g, and via x_hat in x,
            # where it adds grad_dweight s P(g). Only a loss on the parameters' gradients gets here.
            w = _per_channel(grad_dweight) if grad_dweight is not None else torch.zeros_like(s)
            b = _per_channel(grad_dbias) if grad_dbias is not None else torch.zeros_like(s)
            grad_grad_out = torch.addcmul(b - w * s * mu, x, w * s).add_(dx_a).to(dx_a.dtype)
            p_coef = w * s * s * mean_g_xhat
            grad_x = grad_x.addcmul_(grad_out, w * s).addcmul_(x, -p_coef).add_(p_coef * mu - w * s * mean_g)
        grad_weight = (s * count * mean_a_pg).view(-1)
        return grad_grad_out, grad_x.to(x.dtype), grad_weight, None, None, None


class _TrainingBatchNorm(Function):
    @staticmethod
    def forward(
        ctx: FunctionCtx,
        x: Tensor,
        weight: Tensor,
        bias: Tensor,
        running_mean: Tensor,
        running_var: Tensor,
        momentum: float,
        eps: float,
    ) -> Tensor:
        out, mean, inv_std = torch.native_batch_norm(x, weight, bias, running_mean, running_var, True, momentum, eps)
        ctx.save_for_backward(x, weight, mean, inv_std)
        ctx.eps = eps
        return out

    @staticmethod
    def backward(ctx: FunctionCtx, grad_out: Tensor) -> tuple[Tensor | None, ...]:
        x, weight, mean, inv_std = ctx.saved_tensors
        # Grad mode is on here only under create_graph=True: only then can a double backward follow.
        backward = _BatchNormBackward.apply if torch.is_grad_enabled() else _native_backward
        dx, dweight, dbias = backward(grad_out, x, weight, mean, inv_std, ctx.eps)
        return dx, dweight, dbias, None, None, None, None


class BatchNorm2d(nn.BatchNorm2d):
    """nn.BatchNorm2d (same parameters, buffers and results) with the cheap double backward
    in training mode. Needs running statistics, as the networks keep.
    """

    def forward(self, x: Tensor) -> Tensor:
        if not self.training:
            return super().forward(x)
        self.num_batches_tracked.add_(1)
        # momentum None: a cumulative average, as in nn.BatchNorm2d.
        momentum = 1.0 / float(self.num_batches_tracked) if self.momentum is None else self.momentum
        return _TrainingBatchNorm.apply(
            x, self.weight, self.bias, self.running_mean, self.running_var, momentum, self.eps
        )
