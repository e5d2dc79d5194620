"""A classifier two-sample test: can a plain classifier tell generated lines from real ones?

    result = two_sample_test(real_windows, generated_windows, groups, seed=0)

Each side is a list of short windows (8 bars of 4/4) described by jazzgen.music.line_features. A
standardised logistic regression is trained to tell them apart, with grouped cross-validation:
`groups[i]` names the real solo the i-th pair comes from, and a real solo's windows and the
windows generated over its progression are always in the same fold, so the classifier never
meets a progression in training that it is tested on. Its held-out balanced accuracy and ROC
AUC say how far apart the two sides are (0.5: indistinguishable); the features whose
coefficients separate them most are reported with both sides' means. A second opinion comes from
gradient-boosted trees on the same folds: they see interactions between features that a linear
model misses, and a sampler tuned against a linear critic cannot hide from them by moving the
linear model's features alone. The same test between two
halves of the real windows (split by solo) is the sanity check: it should come out near 0.5.

Needs scikit-learn; no TensorFlow.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from jazzgen.errors import DataError
from jazzgen.music.line_features import feature_names, features
from jazzgen.music.solo import Solo

FOLDS = 5
TOP_FEATURES = 8


@dataclass(frozen=True)
class TwoSampleResult:
    """Held-out balanced accuracy and AUC, the windows on each side, and the features that
    separate the sides most: (name, real mean, generated mean, standardised coefficient)."""

    accuracy: float
    auc: float
    real: int
    generated: int
    separating: tuple[tuple[str, float, float, float], ...]
    boosted_accuracy: float = float("nan")  # the gradient-boosted trees' second opinion
    boosted_auc: float = float("nan")

    def as_dict(self) -> dict:
        return {
            "accuracy": round(self.accuracy, 4),
            "auc": round(self.auc, 4),
            "boosted": {"accuracy": round(self.boosted_accuracy, 4), "auc": round(self.boosted_auc, 4)},
            "real_windows": self.real,
            "generated_windows": self.generated,
            "separating_features": [
                {"feature": n, "real": round(r, 4), "generated": round(g, 4), "coefficient": round(c, 3)}
                for n, r, g, c in self.separating
            ],
        }


def two_sample_test(
    real: list[Solo],
    generated: list[Solo],
    real_groups: list[str],
    generated_groups: list[str],
    seed: int = 0,
) -> TwoSampleResult:
    """How well a classifier tells `generated` from `real` on held-out groups (see the module doc)."""
    x_real, x_generated = _matrix(real), _matrix(generated)
    return _test(x_real, x_generated, list(real_groups), list(generated_groups), seed)


def real_vs_real(real: list[Solo], groups: list[str], seed: int = 0) -> TwoSampleResult:
    """The same test between two halves of the real windows, split by group (the sanity check)."""
    names = sorted(set(groups))
    rng = np.random.default_rng(seed)
    second = set(rng.permutation(names)[len(names) // 2 :].tolist())
    x = _matrix(real)
    first_half = [i for i, g in enumerate(groups) if g not in second]
    second_half = [i for i, g in enumerate(groups) if g in second]
    return _test(
        x[first_half], x[second_half], [groups[i] for i in first_half], [groups[i] for i in second_half], seed
    )


def _matrix(windows: list[Solo]) -> np.ndarray:
    return np.array([features(w) for w in windows]).reshape(len(windows), len(feature_names()))


def _test(
    x_real: np.ndarray,
    x_generated: np.ndarray,
    real_groups: list[str],
    generated_groups: list[str],
    seed: int,
) -> TwoSampleResult:
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import balanced_accuracy_score, roc_auc_score
    from sklearn.model_selection import GroupKFold
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    x = np.concatenate([x_real, x_generated])
    y = np.concatenate([np.zeros(len(x_real), int), np.ones(len(x_generated), int)])
    groups = np.array(real_groups + generated_groups)
    folds = min(FOLDS, len(set(groups)))
    if folds < 2 or len(x_real) < 2 or len(x_generated) < 2:
        raise DataError(
            f"a two-sample test needs windows from at least 2 solos on each side "
            f"({len(set(groups))} solos, {len(x_real)} real and {len(x_generated)} generated windows)"
        )
    model = make_pipeline(StandardScaler(), LogisticRegression(C=1.0, max_iter=2000))
    split = list(GroupKFold(folds).split(x, y, groups))
    scores = _held_out_scores(model, x, y, split)
    boosted = _held_out_scores(_boosted(seed), x, y, split)
    model.fit(x, y)
    return TwoSampleResult(
        float(balanced_accuracy_score(y, scores > 0.5)),
        float(roc_auc_score(y, scores)),
        len(x_real),
        len(x_generated),
        _separating(model[-1].coef_[0], x_real, x_generated),
        float(balanced_accuracy_score(y, boosted > 0.5)),
        float(roc_auc_score(y, boosted)),
    )


def _held_out_scores(model, x: np.ndarray, y: np.ndarray, split) -> np.ndarray:
    """Each row's probability of being generated, from the model fitted on the other folds."""
    scores = np.full(len(y), 0.5)
    for train, test in split:
        if len(set(y[train])) == 2:
            scores[test] = model.fit(x[train], y[train]).predict_proba(x[test])[:, 1]
    return scores


def _boosted(seed: int):
    from sklearn.ensemble import HistGradientBoostingClassifier

    return HistGradientBoostingClassifier(
        max_iter=150, learning_rate=0.05, max_leaf_nodes=8, l2_regularization=1.0, random_state=seed
    )


def _separating(coefficients: np.ndarray, x_real: np.ndarray, x_generated: np.ndarray):
    order = np.argsort(-np.abs(coefficients))[:TOP_FEATURES]
    names = feature_names()
    return tuple(
        (names[i], float(x_real[:, i].mean()), float(x_generated[:, i].mean()), float(coefficients[i]))
        for i in order
    )
