from __future__ import annotations

import numpy as np

from cratedig.media.peaks import onset_peaks


def test_attacks_closer_than_50_ms_are_one_onset() -> None:
    fps = 100.0
    onset = np.zeros(300)
    onset[[50, 53, 150, 250]] = [1.0, 0.8, 1.0, 0.9]  # 53 is 30 ms after 50
    assert onset_peaks(onset, fps, share=0.3).tolist() == [50, 150, 250]


def test_weak_bumps_under_the_share_are_not_onsets() -> None:
    onset = np.zeros(300)
    onset[10:300:20] = 1.0  # loud onsets every 200 ms
    onset[260] = 0.2  # between two loud ones, 100 ms from each
    strong = list(range(10, 300, 20))
    assert onset_peaks(onset, 100.0, share=0.5).tolist() == strong
    assert onset_peaks(onset, 100.0, share=0.1).tolist() == sorted([*strong, 260])


def test_silence_has_no_onsets() -> None:
    assert onset_peaks(np.zeros(100), 100.0, share=0.3).size == 0
    assert onset_peaks(np.zeros(0), 100.0, share=0.3).size == 0
