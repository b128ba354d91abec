"""The chart colours stay apart for readers with colour-vision deficiency: improvement (blue), concern (orange)
and normal variation (grey) simulated for protanopia, deuteranopia and tritanopia (Machado, Oliveira and
Fernandes 2009, severity 1.0) are still at least a clear CIE76 distance apart, and each differs from white."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from isokpi.charts import BAD, GOOD, NEUTRAL

# Machado et al. (2009), severity 1.0, on linear RGB.
DEFICIENCIES = {
    "protanopia": [[0.152286, 1.052583, -0.204868], [0.114503, 0.786281, 0.099216], [-0.003882, -0.048116, 1.051998]],
    "deuteranopia": [[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413], [-0.011820, 0.042940, 0.968881]],
    "tritanopia": [[1.255528, -0.076749, -0.178779], [-0.078411, 0.930809, 0.147602], [0.004733, 0.691367, 0.303900]],
    "typical": [[1, 0, 0], [0, 1, 0], [0, 0, 1]],
}
MIN_DISTANCE = 20  # CIE76 ΔE: 2.3 is just noticeable; 20 reads as another colour at a glance


def linear(hex_colour: str) -> np.ndarray:
    srgb = np.array([int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)])
    return np.where(srgb <= 0.04045, srgb / 12.92, ((srgb + 0.055) / 1.055) ** 2.4)


def lab(rgb_linear: np.ndarray) -> np.ndarray:
    xyz = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]]) @ rgb_linear
    xyz = xyz / np.array([0.95047, 1.0, 1.08883])
    f = np.where(xyz > (6 / 29) ** 3, np.cbrt(xyz), xyz / (3 * (6 / 29) ** 2) + 4 / 29)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def seen(hex_colour: str, deficiency: str) -> np.ndarray:
    return lab(np.clip(np.array(DEFICIENCIES[deficiency]) @ linear(hex_colour), 0, 1))


@pytest.mark.parametrize("deficiency", DEFICIENCIES)
def test_improvement_concern_and_normal_variation_stay_apart(deficiency):
    colours = {"improvement": GOOD, "concern": BAD, "normal variation": NEUTRAL, "background": "#ffffff"}
    distances = {
        (a, b): float(np.linalg.norm(seen(colours[a], deficiency) - seen(colours[b], deficiency)))
        for a, b in itertools.combinations(colours, 2)
    }
    close = {pair: round(d, 1) for pair, d in distances.items() if d < MIN_DISTANCE}
    assert close == {}


def test_the_simulation_tells_red_from_green_only_for_typical_vision():
    """The check can fail: pure red and green, far apart for typical vision, nearly merge for deuteranopia."""
    red, green = "#d62728", "#2ca02c"
    typical = np.linalg.norm(seen(red, "typical") - seen(green, "typical"))
    deutan = np.linalg.norm(seen(red, "deuteranopia") - seen(green, "deuteranopia"))
    assert typical > 80 and deutan < MIN_DISTANCE
