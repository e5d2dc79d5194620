"""What a training run shows and leaves behind: a progress line, history.csv and a loss-curve PNG."""

from __future__ import annotations

import csv
import io
import sys
import time
from dataclasses import asdict, fields
from typing import TextIO

from jazzgen.lm.checkpoint import Epoch


class ProgressLine:
    """One stderr line per epoch, redrawn in place: bar, loss (nats/token) and tokens per second."""

    def __init__(self, epochs: int, steps: int, stream: TextIO | None = None, width: int = 24):
        self.epochs, self.steps, self.width = epochs, steps, width
        self.stream = stream or sys.stderr
        self.started = time.perf_counter()
        self.last_drawn = 0.0

    def start_epoch(self) -> None:
        self.started = time.perf_counter()

    def update(self, epoch: int, step: int, loss: float, tokens: int, final: bool = False) -> None:
        now = time.perf_counter()
        if not final and now - self.last_drawn < 0.25 and step < self.steps:
            return
        self.last_drawn = now
        done = int(self.width * step / max(self.steps, 1))
        speed = tokens / max(now - self.started, 1e-9)
        line = (
            f"\repoch {epoch}/{self.epochs} [{'#' * done}{'-' * (self.width - done)}] "
            f"{step}/{self.steps}  loss {loss:.4f}  {speed:,.0f} tokens/s"
        )
        self.stream.write(line)
        self.stream.flush()

    def end_epoch(self, row: Epoch) -> None:
        val = f"  val {row.val_loss:.4f}" if row.val_loss is not None else ""
        self.stream.write(
            f"\repoch {row.epoch}/{self.epochs}  loss {row.train_loss:.4f}{val}  "
            f"{row.tokens_per_second:,.0f} tokens/s  {row.seconds:.0f} s" + " " * 20 + "\n"
        )
        self.stream.flush()


def history_csv(history: tuple[Epoch, ...]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, [f.name for f in fields(Epoch)], lineterminator="\n")
    writer.writeheader()
    for row in history:
        writer.writerow(
            {
                k: ("" if v is None else round(v, 6) if isinstance(v, float) else v)
                for k, v in asdict(row).items()
            }
        )
    return out.getvalue()


def loss_png(history: tuple[Epoch, ...], title: str = "") -> bytes:
    """A PNG of training and validation loss (nats per token) against epoch."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    figure = Figure(figsize=(6, 4), dpi=100)
    axes = figure.subplots()
    epochs = [row.epoch for row in history]
    axes.plot(epochs, [row.train_loss for row in history], marker="o", label="training")
    val = [(row.epoch, row.val_loss) for row in history if row.val_loss is not None]
    if val:
        axes.plot(*zip(*val), marker="o", label="validation")
    axes.set_xlabel("epoch")
    axes.set_ylabel("loss (nats per token)")
    axes.set_title(title)
    axes.grid(alpha=0.3)
    axes.legend()
    out = io.BytesIO()
    figure.savefig(out, format="png")
    return out.getvalue()
