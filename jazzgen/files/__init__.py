"""Files in and out, for every stage: atomic writes, bounded reads, output folders claimed and
locked, names shown safely in messages. Takes paths and bytes; gives files, or one clear error."""

from jazzgen.exports import lazy_names

__getattr__, __dir__, __all__ = lazy_names(
    __name__,
    {
        "DiskFull": "fileio",
        "atomic_path": "fileio",
        "check_writable": "fileio",
        "clipped": "fileio",
        "json_text": "fileio",
        "one_line": "fileio",
        "read_bytes": "fileio",
        "read_json": "fileio",
        "shown": "fileio",
        "write_bytes_atomic": "fileio",
        "write_text_atomic": "fileio",
        "claim_folder": "outputs",
        "locked": "outputs",
        "write_together": "outputs",
    },
)
