"""Solos as token streams, and data sets of them: value tokens (bar lines, chord changes and
chord-relative note values, in a scheme of SCHEMES) encoded and decoded, corpora prepared from
files and read back checked, the text tokenizer, and what inspect shows of one file. Takes
Solo records and files; gives tokens and the lm core's TokenData."""

from jazzgen.exports import lazy_names

__getattr__, __dir__, __all__ = lazy_names(
    __name__,
    {
        "is_corpus": "corpus",
        "load_jazz_data": "corpus",
        "read_corpus": "corpus",
        "decode": "decoding",
        "in_scheme": "decoding",
        "describe": "inspection",
        "format_text": "inspection",
        "PrepareSummary": "preparation",
        "prepare": "preparation",
        "load_text_data": "text",
        "text_tokenizer": "text",
        "GAPS": "values",
        "PLACED": "values",
        "POSITIONS": "values",
        "SCHEMES": "values",
        "encode": "values",
        "scheme_of": "values",
        "token_kind": "values",
    },
)
