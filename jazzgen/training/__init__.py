"""Training, for each mode: a prepared jazz corpus or a text file in, a bundle out, through the lm
core's loop with the mode's judge (its baseline and figures); fine-tuning from a bundle; a
logged sweep of jazz models. Imports TensorFlow when a run starts."""

from jazzgen.exports import lazy_names

__getattr__, __dir__, __all__ = lazy_names(
    __name__,
    {
        "train_jazz": "train",
        "train_text": "train",
        "DEFAULT_VARIANTS": "sweep",
        "Variant": "sweep",
        "run_sweep": "sweep",
        "sweep_table": "sweep",
    },
)
