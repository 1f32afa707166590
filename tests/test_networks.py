import pytest
import torch

from singan_lite.networks import Critic, Generator, crop, scale_width, window_context


def test_width_doubles_every_four_scales_and_is_capped():
    assert [scale_width(s) for s in range(9)] == [32, 32, 32, 32, 64, 64, 64, 64, 128]
    assert scale_width(20) == 128


@pytest.mark.parametrize("size", [(25, 34), (40, 17), (64, 64)])
def test_generator_keeps_size_and_adds_a_residual(size):
    generator = Generator(32).eval()
    previous = torch.rand(2, 3, *size) * 2 - 1
    noise = torch.randn(2, 3, *size)
    out = generator(noise, previous)
    assert out.shape == previous.shape
    assert not torch.equal(out, previous)
    assert (out - previous).abs().max() <= 1.0  # tanh-bounded residual


def test_critic_is_markovian_with_an_11px_receptive_field():
    critic = Critic(32).eval()
    image = torch.zeros(1, 3, 30, 30, requires_grad=True)
    scores = critic(image)
    assert scores.shape == (1, 1, 20, 20)
    scores[0, 0, 10, 10].backward()
    touched = image.grad[0].abs().sum(0).nonzero()
    height = touched[:, 0].max() - touched[:, 0].min() + 1
    width = touched[:, 1].max() - touched[:, 1].min() + 1
    assert (height.item(), width.item()) == (11, 11)


def test_generator_window_matches_the_whole_scale():
    generator = Generator(32).eval()
    previous = torch.rand(1, 3, 40, 50)
    noise = torch.randn(1, 3, 40, 50)
    whole = generator(noise, previous)
    window = generator(noise, previous, (7, 12, 20, 16))
    torch.testing.assert_close(window, whole[..., 7:27, 12:28])


def test_a_shallower_generator_keeps_the_size_and_sees_a_smaller_window():
    generator = Generator(32, convs=3).eval()
    previous = torch.zeros(1, 3, 30, 30)
    noise = torch.zeros(1, 3, 30, 30, requires_grad=True)
    out = generator(noise, previous)
    assert out.shape == previous.shape
    out[0, :, 15, 15].sum().backward()
    touched = noise.grad[0].abs().sum(0).nonzero()
    assert (touched.min(0).values.tolist(), touched.max(0).values.tolist()) == ([12, 12], [18, 18])


@pytest.mark.parametrize("convs", [2, 3, 5])
def test_a_window_with_the_widest_context_matches_the_whole_scale_at_any_depth(convs):
    """Tiles and training windows cut a context PADDING wide for every generator, shallow or not."""
    generator = Generator(16, convs=convs).eval()
    size = (40, 50)
    previous, noise = torch.rand(1, 3, *size), torch.randn(1, 3, *size)
    whole = generator(noise, previous)
    for window in [(0, 0, 12, 9), (7, 12, 20, 16), (30, 41, 10, 9)]:
        context, in_context = window_context(window, size)
        part = generator(crop(noise, context), crop(previous, context), in_context)
        torch.testing.assert_close(part, crop(whole, window))


def test_without_batch_norm_the_untrained_residual_is_not_vanishing():
    """He initialisation keeps the signal alive through five unnormalised layers; N(0, 0.02) would not."""
    torch.manual_seed(0)
    generator = Generator(32, batch_norm=False)
    assert not any(isinstance(layer, torch.nn.BatchNorm2d) for layer in generator.modules())
    previous = torch.zeros(1, 3, 40, 40)
    residual = generator(torch.randn(1, 3, 40, 40), previous)
    assert residual.std() > 0.05
    critic = Critic(32, batch_norm=False)
    assert not any(isinstance(layer, torch.nn.BatchNorm2d) for layer in critic.modules())
    assert critic(torch.randn(1, 3, 30, 30)).std() > 0.05
