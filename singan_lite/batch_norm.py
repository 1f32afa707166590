"""Batch norm whose second derivative is cheap on a CPU.

The critic's gradient penalty differentiates the critic twice, and so batch norm twice.
PyTorch's own double backward of batch norm sums over the batch dimension on its own before
the spatial ones; with one image per batch that is a sum over a dimension of size 1, which
PyTorch's CPU kernels take about 1 ms for per map, several times the cost of the convolution
beside it. Here the double backward is written out in closed form, with every per-channel
mean taken over all of (N, H, W) at once. The forward and the first backward stay PyTorch's
own kernels, so values and first derivatives are PyTorch's, bit for bit.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.autograd import Function
from torch.autograd.function import FunctionCtx

Tensor = torch.Tensor

_NON_CHANNEL_DIMS = (0, 2, 3)


def _per_channel(values: Tensor) -> Tensor:
    return values.view(1, -1, 1, 1)


def _channel_sum(values: Tensor) -> Tensor:
    return values.sum(dim=_NON_CHANNEL_DIMS, keepdim=True)


class _BatchNormBackward(Function):
    """The first backward, (grad_out, x, weight) -> (dx, dweight, dbias), as its own function so
    that its backward, the double backward, can be ours.
    """

    @staticmethod
    def forward(
        ctx: FunctionCtx, grad_out: Tensor, x: Tensor, weight: Tensor, mean: Tensor, inv_std: Tensor, eps: float
    ) -> tuple[Tensor, Tensor, Tensor]:
        ctx.save_for_backward(grad_out, x, weight, mean, inv_std)
        return torch.ops.aten.native_batch_norm_backward(
            grad_out, x, weight, None, None, mean, inv_std, True, eps, [True, True, True]
        )

    @staticmethod
    def backward(
        ctx: FunctionCtx, grad_dx: Tensor | None, grad_dweight: Tensor | None, grad_dbias: Tensor | None
    ) -> tuple[Tensor | None, ...]:
        """With x_hat = (x - mu) s and dx = gamma s (g - <g> - x_hat <g x_hat>), where <.> is a
        channel's mean and g = grad_out, the gradients of sum(a dx) + grad_dweight . dweight +
        grad_dbias . dbias are affine in a, g and x per channel: five channel sums, in fp32.
        """
        grad_out, x, weight, mean, inv_std = ctx.saved_tensors
        dtype = torch.promote_types(x.dtype, torch.float32)
        x_f, g = x.to(dtype), grad_out.to(dtype)
        a = grad_dx.to(dtype) if grad_dx is not None else torch.zeros_like(x_f)
        count = x_f.numel() // x_f.shape[1]
        mu, s, gamma = _per_channel(mean), _per_channel(inv_std), _per_channel(weight)
        mean_a, mean_g = _channel_sum(a) / count, _channel_sum(g) / count
        mean_a_xhat = s * (_channel_sum(a * x_f) / count - mu * mean_a)
        mean_g_xhat = s * (_channel_sum(g * x_f) / count - mu * mean_g)
        mean_a_u = _channel_sum(a * g) / count - mean_a * mean_g - mean_a_xhat * mean_g_xhat
        gs, gs2 = gamma * s, gamma * s * s
        # grad_grad_out = gs * a + xhat_coef * x_hat + constant; grad_x likewise in a, g and x_hat.
        xhat_coef, constant = -gs * mean_a_xhat, -gs * mean_a
        g_coef = -gs2 * mean_a_xhat
        x_xhat_coef = -gs2 * (mean_a_u - 2 * mean_a_xhat * mean_g_xhat)
        x_constant = gs2 * (mean_g_xhat * mean_a + mean_a_xhat * mean_g)
        if grad_dweight is not None:
            w = _per_channel(grad_dweight)
            xhat_coef = xhat_coef + w
            g_coef = g_coef + w * s
            x_xhat_coef = x_xhat_coef - w * s * mean_g_xhat
            x_constant = x_constant - w * s * mean_g
        if grad_dbias is not None:
            constant = constant + _per_channel(grad_dbias)
        # x_hat = s x - s mu: each result is one fused multiply-add per input tensor.
        grad_grad_out = torch.addcmul(constant - xhat_coef * s * mu, x_f, xhat_coef * s).addcmul_(a, gs)
        grad_x = torch.addcmul(x_constant - x_xhat_coef * s * mu, x_f, x_xhat_coef * s)
        grad_x = grad_x.addcmul_(a, -gs2 * mean_g_xhat).addcmul_(g, g_coef)
        grad_weight = (s * count * mean_a_u).view(-1)
        return grad_grad_out.to(grad_out.dtype), grad_x.to(x.dtype), grad_weight, None, None, None


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
        dx, dweight, dbias = _BatchNormBackward.apply(grad_out, x, weight, mean, inv_std, ctx.eps)
        return dx, dweight, dbias, None, None, None, None


class BatchNorm2d(nn.BatchNorm2d):
    """nn.BatchNorm2d (same parameters, buffers and results) with the cheap double backward
    in training mode. Needs a float momentum and running statistics, as the networks use.
    """

    def forward(self, x: Tensor) -> Tensor:
        if not self.training:
            return super().forward(x)
        self.num_batches_tracked.add_(1)
        return _TrainingBatchNorm.apply(
            x, self.weight, self.bias, self.running_mean, self.running_var, self.momentum, self.eps
        )
