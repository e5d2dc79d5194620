"""The language-model core, the same for jazz and text, knowing nothing of music: settings
(config), vocabularies, training windows (dataset), bundles on disk, the NumPy runtime a sampler
steps through, sampling, the n-gram baseline. Takes id sequences (TokenData); gives bundles and
token probabilities.

What this package's __init__ names never imports TensorFlow: generation runs on it. The Keras
model (jazzgen.lm.model), the training loop (jazzgen.lm.loop) and train_model (jazzgen.lm.train)
import it when they run; training and evaluation import them by name."""

from jazzgen.exports import lazy_names

__getattr__, __dir__, __all__ = lazy_names(
    __name__,
    {
        "BundleMeta": "bundle",
        "load_bundle_meta": "bundle",
        "load_weights_npz": "bundle",
        "CELLS": "config",
        "LOSSES": "config",
        "MODEL_OPTION_FIELDS": "config",
        "TRAIN_OPTION_FIELDS": "config",
        "STRATEGIES": "config",
        "ModelConfig": "config",
        "RunConfig": "config",
        "TokenizerConfig": "config",
        "TrainConfig": "config",
        "TokenData": "dataset",
        "KneserNey": "ngram",
        "NumpyLM": "numpy_lm",
        "one_blas_thread": "numpy_lm",
        "SamplingConfig": "sampling",
        "draw": "sampling",
        "probabilities": "sampling",
        "Vocab": "vocab",
    },
)
