"""The large-image benchmark reads each scale's pace from `train`'s progress bars."""

from benchmarks.large_training import ms_per_iteration


def test_each_scales_pace_comes_from_the_last_state_of_its_bar():
    log = (
        "scale 1/3:  50%|#####     | 100/200 [00:04<00:04, 25.0it/s]\r"
        "scale 1/3: 100%|##########| 200/200 [00:08<00:00, 25.0it/s, d_fake=0.1]\n"
        "scale 2/3: 100%|##########| 50/50 [00:05<00:00, 10.0it/s]\n"
        "scale 3/3:  40%|####      | 20/50 [01:02<01:33, 0.3it/s]\n"
    )
    assert ms_per_iteration(log) == [40, 100, 3100]


def test_a_log_without_progress_bars_has_no_pace():
    assert ms_per_iteration("saved model.safetensors (3 scales)\n") == []
