from collections.abc import Callable

import pytest
import torch
from torch import nn

from singan_lite import preset
from singan_lite.networks import Critic, Generator, crop, window_context
from singan_lite.speed import (
    BF16_MIN_PIXELS,
    HALVES_MAX_PIXELS,
    SMALL_WINDOW_SHARE,
    CoarserSamples,
    SpeedPolicy,
    native_bf16,
    recalibrate_batch_norm,
    window_size,
)

CPU = torch.device("cpu")


def _policy(size: tuple[int, int], crop_size: int | None, bf16: bool = False, device: torch.device = CPU):
    return SpeedPolicy.for_scale(preset("fast", crop_size=crop_size, bf16=bf16), device, size)


@pytest.mark.parametrize("size", [(16, 22), (40, 30), (96, 96), (97, 140), (200, 20)])
@pytest.mark.parametrize("crop_size", [None, 16, 32, 96])
def test_windows_lie_inside_the_scale_and_are_never_larger_than_the_crop(size, crop_size):
    policy = _policy(size, crop_size)
    height, width = window_size(size, crop_size)
    assert height <= size[0] and width <= size[1]
    if crop_size is not None:
        assert height <= crop_size and width <= crop_size
    rng = torch.Generator().manual_seed(0)
    image = torch.arange(size[0] * size[1], dtype=torch.float32).view(1, 1, *size)
    for _ in range(20):
        window = policy.random_window(rng)
        assert crop(image, window).shape[-2:] == (height, width)
        if window is not None:
            top, left, _, _ = window
            assert 0 <= top <= size[0] - height and 0 <= left <= size[1] - width


@pytest.mark.parametrize("window", [(0, 0, 12, 12), (4, 3, 12, 12), (9, 20, 12, 12), (18, 30, 12, 12), (0, 0, 30, 42)])
def test_a_generator_on_a_windows_context_gives_the_whole_scale_pass_exactly(window):
    size = (30, 42)
    generator = Generator(8, batch_norm=False).eval()
    noise, previous = torch.randn(1, 3, *size), torch.randn(1, 3, *size)
    context, in_context = window_context(window, size)
    assert context[2] <= window[2] + 10 and context[3] <= window[3] + 10  # the reach only, not the scale
    with torch.no_grad():
        whole = crop(generator(noise, previous), window)
        from_context = generator(crop(noise, context), crop(previous, context), in_context)
    assert torch.equal(whole, from_context)


@pytest.mark.parametrize(
    ("size", "share", "alpha"),
    [((16, 22), 1.0, 10.0), ((188, 250), 96 * 96 / (188 * 250), 10.0), ((768, 1024), 96 * 96 / (768 * 1024), 100.0)],
)
def test_windows_under_an_eighth_of_the_scale_train_with_the_small_window_weight(size, share, alpha):
    policy = _policy(size, 96)
    assert policy.window_share == pytest.approx(share)
    assert (policy.window_share < SMALL_WINDOW_SHARE) == (alpha == 100.0)
    assert policy.reconstruction_weight(preset("fast")) == alpha
    # The paper's recipe trains whole scales and has no small-window weight: alpha everywhere.
    paper = preset("paper")
    assert SpeedPolicy.for_scale(paper, CPU, size).reconstruction_weight(paper) == paper.alpha
    assert policy.reconstruction_weight(preset("fast", small_window_alpha=None)) == preset("fast").alpha


def test_no_window_has_no_context():
    assert window_context(None, (30, 42)) == (None, None)


def test_a_scale_no_larger_than_the_crop_trains_whole_and_draws_nothing():
    rng = torch.Generator().manual_seed(0)
    state = rng.get_state()
    for policy in (_policy((40, 30), None), _policy((40, 30), 40), _policy((40, 30), 96)):
        assert not policy.trains_on_windows
        assert policy.random_window(rng) is None
    assert torch.equal(rng.get_state(), state)


def test_windows_reach_every_corner_of_the_scale():
    policy = _policy((20, 24), 16)
    assert policy.trains_on_windows
    rng = torch.Generator().manual_seed(0)
    corners = {policy.random_window(rng)[:2] for _ in range(400)}
    assert {(0, 0), (0, 8), (4, 0), (4, 8)} <= corners


@pytest.mark.skipif(not native_bf16(CPU), reason="this CPU has no native bf16 instructions")
def test_bf16_on_a_native_bf16_cpu_only_where_asked_and_on_windows_large_enough():
    assert _policy((40, 40), 96, bf16=True).bf16
    assert not _policy((40, 40), 96, bf16=False).bf16
    # A large scale trained on small windows computes on small maps: fp32.
    assert not _policy((200, 200), 16, bf16=True).bf16
    assert not _policy((31, 33), None, bf16=True).bf16
    assert 31 * 33 < BF16_MIN_PIXELS <= 32 * 32
    assert _policy((32, 32), None, bf16=True).bf16


def test_no_bf16_where_it_would_be_emulated():
    assert not _policy((200, 200), 96, bf16=True, device=torch.device("cuda")).bf16
    assert _policy((200, 200), 96, bf16=True).bf16 == native_bf16(CPU)


# What torch reports on the three kinds of CPU measured: AMD Zen 3 (AVX2 alone), an Intel Xeon
# whose AVX-512 comes without bf16, and AMD Zen 4 (AVX512-BF16).
ZEN3 = {"avx2": True}
AVX512_WITHOUT_BF16 = {"avx2": True, "avx512_f": True}
ZEN4 = {"avx2": True, "avx512_f": True, "avx512_bf16": True}


@pytest.mark.parametrize(
    ("capabilities", "bf16", "channels_last"),
    [(ZEN3, False, False), (AVX512_WITHOUT_BF16, False, True), (ZEN4, True, True)],
)
def test_precision_and_layout_follow_the_cpu(monkeypatch, capabilities, bf16, channels_last):
    # The decision for kinds of CPU other than this machine's: only the capability list is stood in.
    monkeypatch.setattr(torch.cpu, "get_capabilities", lambda: capabilities)
    policy = _policy((96, 96), 96, bf16=True)
    assert (policy.bf16, policy.channels_last) == (bf16, channels_last)
    # Below 32x32 px no CPU trains in bf16; channels-last stays only where fp32 gains from it.
    small = _policy((20, 27), None, bf16=True)
    assert (small.bf16, small.channels_last) == (False, channels_last and not bf16)
    # A recipe that does not ask for the speed settings (`paper`) keeps fp32 in the default layout.
    plain = _policy((96, 96), 96, bf16=False)
    assert (plain.bf16, plain.channels_last) == (False, False)
    assert not _policy((96, 96), 96, bf16=True, device=torch.device("cuda")).channels_last


def test_steps_run_in_halves_on_a_cpu_on_small_windows_without_batch_norm():
    assert 79 * 81 < HALVES_MAX_PIXELS < 96 * 96
    assert _policy((40, 60), None).steps_in_halves
    assert _policy((200, 200), 80).steps_in_halves  # the window, not the scale, sets a step's size
    assert not _policy((200, 200), 96).steps_in_halves
    assert not _policy((40, 60), None, device=torch.device("cuda")).steps_in_halves
    with_batch_norm = preset("fast", batch_norm=True)
    assert not SpeedPolicy.for_scale(with_batch_norm, CPU, (40, 60)).steps_in_halves


def test_autocast_follows_the_decision():
    x = torch.randn(4, 4)
    with SpeedPolicy((40, 40), "cpu", None, None, bf16=True, steps_in_halves=False).autocast():
        assert (x @ x).dtype == torch.bfloat16
    with SpeedPolicy((40, 40), "cpu", None, None, bf16=False, steps_in_halves=False).autocast():
        assert (x @ x).dtype == torch.float32


def test_channels_last_while_training_and_the_layout_is_restored_to_contiguous():
    nets = (Generator(8), Critic(8))
    SpeedPolicy((40, 40), "cpu", None, None, bf16=False, steps_in_halves=False).set_training_layout(nets)
    assert all(p.is_contiguous() for net in nets for p in net.parameters())
    policy = SpeedPolicy((40, 40), "cpu", None, None, bf16=False, steps_in_halves=False, channels_last=True)
    policy.set_training_layout(nets)
    convs = [m.weight for net in nets for m in net.modules() if isinstance(m, nn.Conv2d)]
    assert all(w.is_contiguous(memory_format=torch.channels_last) and not w.is_contiguous() for w in convs)
    policy.restore_layout(nets)
    assert all(p.is_contiguous() for net in nets for p in net.parameters())


def test_adam_is_fused_with_the_given_settings():
    optimiser = SpeedPolicy.adam(Critic(8), lr=5e-4, betas=(0.5, 0.999))
    assert optimiser.defaults["fused"]
    assert optimiser.defaults["lr"] == 5e-4 and optimiser.defaults["betas"] == (0.5, 0.999)


def _numbered_draws() -> tuple[list[int], Callable[[int, torch.Generator], torch.Tensor]]:
    """Draws whose samples are numbered 0, 1, 2, ... in the order drawn, and the sizes asked for."""
    asked = []

    def draw(num: int, rng: torch.Generator) -> torch.Tensor:
        first = sum(asked)
        asked.append(num)
        return torch.arange(first, first + num, dtype=torch.float32).view(num, 1, 1, 1).expand(num, 3, 2, 2)

    return asked, draw


def test_without_a_bank_every_call_draws_a_fresh_sample():
    asked, draw = _numbered_draws()
    samples = CoarserSamples(draw, None)
    rng = torch.Generator().manual_seed(0)
    picks = [samples.next(rng) for _ in range(3)]
    assert asked == [1, 1, 1]
    assert [pick[0, 0, 0, 0].item() for pick in picks] == [0, 1, 2]


def test_a_bank_is_drawn_once_at_the_first_call_and_picked_from_at_random():
    asked, draw = _numbered_draws()
    samples = CoarserSamples(draw, 4)
    assert asked == []
    rng = torch.Generator().manual_seed(0)
    picks = [samples.next(rng) for _ in range(40)]
    assert asked == [4]
    assert all(pick.shape == (1, 3, 2, 2) for pick in picks)
    assert {pick[0, 0, 0, 0].item() for pick in picks} == {0, 1, 2, 3}


def test_recalibration_leaves_a_network_without_batch_norm_alone():
    runs = []
    recalibrate_batch_norm(Generator(8, batch_norm=False), lambda: runs.append(1), passes=4)
    assert runs == []


def test_recalibration_weighs_every_whole_scale_pass_equally_and_keeps_the_momentum():
    torch.manual_seed(0)
    generator = Generator(8, batch_norm=True)
    first_norm = generator.body[0][1]
    inputs = [torch.randn(1, 3, 12, 12) * (1 + k) for k in range(5)]
    seen = []
    first_norm.register_forward_hook(lambda module, args, output: seen.append(args[0].mean(dim=(0, 2, 3))))
    passes = iter(inputs)
    recalibrate_batch_norm(generator, lambda: generator(next(passes), torch.zeros(1, 3, 12, 12)), passes=5)
    torch.testing.assert_close(first_norm.running_mean, torch.stack(seen).mean(0))
    assert first_norm.momentum == 0.1


@pytest.mark.skipif(not native_bf16(CPU), reason="this CPU has no native bf16 instructions")
def test_a_window_under_32x32_stays_in_fp32_however_many_fakes_a_step_makes():
    config = preset("fast", coarsest_batch=4)
    size = (16, 22)
    assert 4 * size[0] * size[1] >= BF16_MIN_PIXELS > size[0] * size[1]
    assert not SpeedPolicy.for_scale(config, CPU, size, fakes=4).bf16
    assert SpeedPolicy.for_scale(config, CPU, (32, 32), fakes=1).bf16


def test_halves_count_every_fake_of_a_step():
    config = preset("fast")
    size = (60, 60)
    assert size[0] * size[1] <= HALVES_MAX_PIXELS < 2 * size[0] * size[1]
    assert SpeedPolicy.for_scale(config, CPU, size, fakes=1).steps_in_halves
    assert not SpeedPolicy.for_scale(config, CPU, size, fakes=2).steps_in_halves
