"""Sampling from a trained bundle, in NumPy, without TensorFlow: jazz solos improvised one-to-many
over any chord progression (bars and chords forced, note values sampled), and text. Takes a
bundle and a lead sheet (or a prime); gives Solo records (or text)."""

from jazzgen.exports import lazy_names

__getattr__, __dir__, __all__ = lazy_names(
    __name__,
    {
        "RHYTHM_TEMPERATURE": "generation",
        "generate": "generation",
        "generate_variations": "generation",
        "improvise_over": "generation",
        "load_model": "generation",
        "sample_text": "text_sample",
    },
)
