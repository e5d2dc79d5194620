"""Sampling text from a text bundle: characters or words, one sample per line, in NumPy."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from jazzgen.errors import UsageError
from jazzgen.lm.bundle import load_bundle_meta
from jazzgen.lm.numpy_lm import NumpyLM, one_blas_thread
from jazzgen.lm.sampling import SamplingConfig, draw, probabilities
from jazzgen.tokens.text import detokenize, tokenize


def sample_text(
    model: str | Path,
    n: int = 1,
    prime: str = "",
    max_len: int = 200,
    sampling: SamplingConfig = SamplingConfig(),
) -> list[str]:
    """n samples that start with prime and stop at the model's end token or after max_len tokens."""
    meta = load_bundle_meta(model)
    settings = meta.config.tokenizer
    if settings.kind != "text":
        raise UsageError(f"{model}: a jazz model; use `jazzgen generate -m {model}` for it")
    if not 1 <= n <= 10_000 or max_len < 1:
        raise UsageError("-n must be 1 to 10000 and --max-len at least 1")
    prime_tokens = [t for t in tokenize(prime, settings) if t != settings.end_token] if prime else []
    unknown = [t for t in prime_tokens if t not in meta.vocab]
    if unknown:
        raise UsageError(f"--prime: {unknown[0]!r} is not in the model's vocabulary")
    lm = NumpyLM.load(model, meta)
    ids = meta.vocab.ids([settings.start_token, *prime_tokens])
    with one_blas_thread():
        state = lm.initial_state(n)
        for token_id in ids:
            logits, state = lm.step(np.full(n, token_id), state)
        samples = _continue(lm, meta.vocab, logits, state, n, max_len, sampling, settings.end_token)
    return [detokenize(prime_tokens + s, settings).rstrip("\n") for s in samples]


def _continue(lm, vocab, logits, state, n, max_len, sampling, end_token) -> list[list[str]]:
    rng = np.random.default_rng(sampling.seed)
    allowed = np.ones(len(vocab), bool)
    allowed[:2] = False  # never <pad> or <unk>
    mask = np.broadcast_to(allowed, (n, len(vocab)))
    out, done = [[] for _ in range(n)], np.zeros(n, bool)
    for _ in range(max_len):
        ids = draw(probabilities(logits, sampling, mask), rng)
        for i, token_id in enumerate(ids):
            token = vocab.tokens[token_id]
            if not done[i]:
                done[i] = token == end_token
                if not done[i]:
                    out[i].append(token)
        if done.all():
            break
        logits, state = lm.step(ids, state)
    return out
