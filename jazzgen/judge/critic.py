"""Fitting a bundle's critic (jazzgen.improv.critic): the model's own lines against the real solos
it trained on, over the same progressions, 8-bar windows described by jazzgen.music.line_features.

    critic = fit_critic("trained/jazz", "corpus/wjazzd", CriticSettings(progressions=200))
    critic.save("trained/jazz")                                # trained/jazz/critic.json

Only training solos are used (the split is rebuilt from the bundle, as quality does), so the
validation solos stay unseen by model and critic alike. No TensorFlow.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from jazzgen.errors import DataError, UsageError
from jazzgen.improv.critic import WINDOW_BARS, Critic, window_features
from jazzgen.improv.generation import (
    ECHO,
    default_rhythm_temperature,
    echo_of,
    improvise_over,
    load_model,
)
from jazzgen.judge.quality import chosen_windows, training_split
from jazzgen.judge.two_sample import FOLDS
from jazzgen.lm.sampling import SamplingConfig
from jazzgen.music.windows import windows
from jazzgen.tokens.decoding import decode


@dataclass(frozen=True)
class CriticSettings:
    """progressions: 32-bar windows of training solos to generate over (each gives 4 windows a side)."""

    progressions: int = 200
    seed: int = 0
    temperature: float = 1.0
    rhythm_temperature: float | None = None  # None: the model's default (improv.generation)
    instrument: str | int = "tenor sax"
    echo: float | None = None  # the sampler's echo (improvise.Echo); None: generate's default

    def __post_init__(self):
        echo_of(self.echo)
        if not 10 <= self.progressions <= 5000:
            raise UsageError(f"-n {self.progressions}: give 10 to 5000 progressions")


def fit_critic(
    model_path: str | Path, corpus: str | Path, settings: CriticSettings = CriticSettings()
) -> Critic:
    """A critic for the bundle (see the module doc), with its held-out accuracy in fitted_on."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    lm, meta = load_model(model_path)
    train, _ = training_split(corpus, meta)
    real = [w for entry in train for w in windows(decode(list(entry.tokens), source=entry.source), 32)]
    if len(real) < 10:
        raise DataError(
            f"--corpus {corpus}: its training solos hold {len(real)} 32-bar 4/4 windows; a critic needs 10"
        )
    chosen = chosen_windows(real, settings.progressions, settings.seed)
    generated = [_take(lm, meta.vocab, window, settings, i) for i, window in enumerate(chosen)]
    x_real, real_groups = _rows(chosen)
    x_generated, generated_groups = _rows(generated)
    x = np.concatenate([x_real, x_generated])
    y = np.concatenate([np.zeros(len(x_real), int), np.ones(len(x_generated), int)])
    scaler = StandardScaler().fit(x)
    model = LogisticRegression(C=1.0, max_iter=2000).fit(scaler.transform(x), y)
    scale = np.where(scaler.scale_ > 0, scaler.scale_, 1.0)
    fitted_on = {
        "model": str(model_path),
        "corpus": str(corpus),
        "progressions": len(chosen),
        "windows": {"real": len(x_real), "generated": len(x_generated)},
        "window_bars": WINDOW_BARS,
        "held_out_accuracy": round(
            _held_out_accuracy(x, y, np.concatenate([real_groups, generated_groups])), 4
        ),
        "temperature": settings.temperature,
        "rhythm_temperature": settings.rhythm_temperature or default_rhythm_temperature(meta.vocab),
        "echo": ECHO if settings.echo is None else settings.echo,
    }
    return Critic(
        tuple(scaler.mean_.tolist()),
        tuple(scale.tolist()),
        tuple(model.coef_[0].tolist()),
        float(model.intercept_[0]),
        fitted_on,
    )


def _take(lm, vocab, window, settings: CriticSettings, index: int):
    """One solo generated over a real window's progression."""
    sheet = replace(window, notes=())
    sampling = SamplingConfig(settings.temperature, seed=settings.seed + index)
    return improvise_over(
        lm,
        vocab,
        sheet,
        sampling,
        1,
        settings.instrument,
        rhythm_temperature=settings.rhythm_temperature,
        echo=echo_of(settings.echo),
    )[0]


def _rows(solos) -> tuple[np.ndarray, np.ndarray]:
    """The 8-bar windows' features of each solo, and the solo's index for each window."""
    parts = [window_features(s) for s in solos]
    return np.concatenate(parts), np.concatenate([np.full(len(p), i) for i, p in enumerate(parts)])


def _held_out_accuracy(x: np.ndarray, y: np.ndarray, groups: np.ndarray) -> float:
    """Balanced accuracy of the critic's kind of classifier on held-out progressions (a real
    window and the take over it share a fold)."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import balanced_accuracy_score
    from sklearn.model_selection import GroupKFold, cross_val_predict
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    model = make_pipeline(StandardScaler(), LogisticRegression(C=1.0, max_iter=2000))
    predicted = cross_val_predict(model, x, y, cv=GroupKFold(FOLDS), groups=groups)
    return float(balanced_accuracy_score(y, predicted))
