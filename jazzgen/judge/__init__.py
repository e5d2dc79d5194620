"""How good a model is, on material it did not train on: bits a note (pitch and rhythm apart) and
per character next to the n-gram baseline (evaluate), and the musical measures of generated
solos against real ones over the same progressions, with a classifier two-sample test (quality,
metrics, two_sample); and the critic a sampler chooses its best take with (critic). Takes bundles
and solos; gives reports."""

from jazzgen.exports import lazy_names

__getattr__, __dir__, __all__ = lazy_names(
    __name__,
    {
        "CriticSettings": "critic",
        "fit_critic": "critic",
        "evaluate_jazz": "evaluate",
        "evaluate_text": "evaluate",
        "QualitySettings": "quality",
        "quality_report": "quality",
    },
)
