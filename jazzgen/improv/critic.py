"""A learned critic that picks the likeliest-real of several sampled takes (best of N).

A logistic regression over jazzgen.music.line_features of 8-bar windows, fitted (by
jazzgen.judge.critic) to tell the model's own lines from the real solos it trained on, over the
same progressions. Sampling best_of takes per solo and keeping the one whose windows the critic
finds most like real ones moves a model's output toward what it learnt, BebopNet-style, at
best_of times the sampling cost; choosing every 8 bars, all takes going on from the best so far
(jazzgen.improv.improvise.Selection), applies the choice to each window. Stored in the bundle as
critic.json; NumPy only.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from jazzgen.errors import DataError
from jazzgen.files.fileio import read_json, shown, write_text_atomic
from jazzgen.music.line_features import feature_names, features
from jazzgen.music.solo import Solo
from jazzgen.music.windows import windows

CRITIC = "critic.json"
WINDOW_BARS = 8


@dataclass(frozen=True)
class Critic:
    """A standardised logistic regression: P(generated) = sigmoid((x - mean) / scale @ coef + intercept)."""

    mean: tuple[float, ...]
    scale: tuple[float, ...]
    coef: tuple[float, ...]
    intercept: float
    fitted_on: dict  # what it was fitted on, for the card: solos, windows, held-out accuracy

    def realness(self, solo: Solo) -> float:
        """The mean probability, over the solo's 8-bar 4/4 windows, that a window is real (0.5
        for a solo without such a window: the critic has nothing to say)."""
        rows = window_features(solo)  # (windows, features)
        if not len(rows):
            return 0.5
        z = (rows - np.array(self.mean)) / np.array(self.scale) @ np.array(self.coef) + self.intercept
        return float(np.mean(1.0 / (1.0 + np.exp(z))))  # the probability of the real class

    def save(self, bundle: str | Path) -> Path:
        path = Path(bundle) / CRITIC
        write_text_atomic(
            path, json.dumps({"kind": "jazzgen critic", "features": feature_names()} | asdict(self))
        )
        return path


def load_critic(bundle: str | Path) -> Critic | None:
    """The bundle's critic, or None when it has none."""
    path = Path(bundle) / CRITIC
    if not path.exists():
        return None
    data = read_json(path, 2**22, "fit it again with `jazzgen critic`")
    try:
        if data["kind"] != "jazzgen critic" or data["features"] != feature_names():
            raise ValueError("it was fitted on other features")
        size = len(feature_names())
        parts = [tuple(float(v) for v in data[k]) for k in ("mean", "scale", "coef")]
        if any(len(p) != size for p in parts) or min(parts[1]) <= 0:
            raise ValueError("its arrays do not match the features")
        return Critic(*parts, float(data["intercept"]), dict(data["fitted_on"]))
    except (KeyError, TypeError, ValueError) as err:
        raise DataError(
            f"{shown(path)}: not a jazzgen critic ({err}); fit it again with `jazzgen critic`"
        ) from None


def window_features(solo: Solo) -> np.ndarray:
    """(windows, features) of the solo's 8-bar 4/4 windows."""
    rows = [features(w) for w in windows(solo, WINDOW_BARS)]
    return np.array(rows).reshape(len(rows), len(feature_names()))
