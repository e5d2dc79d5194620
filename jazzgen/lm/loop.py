"""One training loop for every tf.distribute strategy: the default one, Mirrored, MultiWorkerMirrored.

Each step runs through `strategy.run` over `strategy.experimental_distribute_dataset` (Keras 3's
model.fit fails under MultiWorkerMirroredStrategy, keras-team/keras#20585). The loss is the mean
cross-entropy in nats over every non-padding target of the global batch; the token count is
summed across replicas first, so the mean is exact however the batch is split. The trainer knows
nothing about music or text: it sees id windows (jazzgen.lm.dataset).

Gradient clipping: Keras clips each replica's share of the gradient before the shares are summed,
so each share is clipped to clipnorm / replicas, which bounds the summed norm by clipnorm and
equals global clipping with one replica. The optimizer is Adam, or AdamW when the run has a
weight decay (make_optimizer).

With carry_state (one replica), the windows are lanes of one stream (dataset.carried_windows),
visited in order, and each batch starts from the states the batch before ended with
(_CarriedSteps).
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from jazzgen.errors import UsageError
from jazzgen.files.fileio import write_bytes_atomic, write_text_atomic
from jazzgen.lm.bundle import EMBEDDING, import_weights
from jazzgen.lm.checkpoint import Epoch, RunState, check_resumable, restore_checkpoint, save_checkpoint
from jazzgen.lm.config import RunConfig, TrainConfig
from jazzgen.lm.dataset import (
    PAD_ID,
    TokenData,
    Windows,
    carried_windows,
    epoch_order,
    make_windows,
    whole_sequences,
)
from jazzgen.lm.model import build_model, carrying_view, load_tensorflow_quietly, states_per_layer
from jazzgen.lm.runlog import ProgressLine, history_csv, loss_png


@dataclass(frozen=True)
class Worker:
    """This process's place in a TF_CONFIG cluster (index 0 of 1 without one)."""

    index: int = 0
    count: int = 1
    is_chief: bool = True


@dataclass(frozen=True)
class FitResult:
    model: object  # keras.Model holding the best weights
    config: RunConfig  # with vocab_size filled in
    state: RunState
    worker: Worker
    seconds: float  # training time, validation excluded
    tokens_per_second: float
    mix: Mix | None = None  # a fine-tune's blend with its starting weights


MIX_WEIGHTS = (0.0, 0.25, 0.5, 0.75, 1.0)  # shares of the trained weights tried, the rest the start's


@dataclass(frozen=True)
class Mix:
    """A fine-tune's weights blended with the weights it started from (weight-space ensembling,
    as in WiSE-FT): weight * trained + (1 - weight) * start, the weight of MIX_WEIGHTS whose blend
    predicts best what a sampler chooses in the validation data (TokenData.sampled: a jazz solo's
    notes, not the bars and chords it is given), each sequence scored whole from a fresh state as
    `jazzgen evaluate` scores it. On a few solos a full fine-tune forgets some of
    what the base knew; a blend keeps it. weight 0: the data did not improve the start."""

    weight: float
    losses: tuple[tuple[float, float], ...]  # (weight, validation nats per sampled token), each tried
    val_loss: float  # the chosen blend's validation loss as training counts it


def worker_from_env() -> Worker:
    """This worker's index and the cluster size, from TF_CONFIG."""
    raw = os.environ.get("TF_CONFIG", "")
    if not raw.strip():
        return Worker()
    try:
        spec = json.loads(raw)
        cluster, task = spec.get("cluster", {}), spec["task"]
        workers = len(cluster.get("worker", ())) + len(cluster.get("chief", ()))
        kind, index = task["type"], int(task["index"])
    except (ValueError, KeyError, TypeError, AttributeError) as err:
        raise UsageError(
            f"TF_CONFIG is not valid cluster JSON ({err}); see tf.distribute's TF_CONFIG docs"
        ) from None
    chief = kind == "chief" or (kind == "worker" and index == 0 and "chief" not in cluster)
    rank = index + (1 if kind == "worker" and "chief" in cluster else 0)
    return Worker(rank, max(workers, 1), chief)


def make_strategy(name: str, worker: Worker):
    """The tf.distribute strategy for --strategy auto|mirrored|multiworker."""
    import tensorflow as tf

    if name == "multiworker" or (name == "auto" and worker.count > 1):
        if not os.environ.get("TF_CONFIG", "").strip():
            raise UsageError(
                "--strategy multiworker needs TF_CONFIG naming the cluster and this worker's task"
            )
        return tf.distribute.MultiWorkerMirroredStrategy()
    if name == "mirrored" or (name == "auto" and len(tf.config.list_logical_devices("GPU")) > 1):
        return tf.distribute.MirroredStrategy()
    return tf.distribute.get_strategy()


def run_folder(output: Path, worker: Worker) -> Path:
    """Where checkpoints and history live while training: NAME.run beside the bundle (the chief),
    .NAME.worker-K.run for the other workers of a cluster."""
    if worker.is_chief:
        return output.with_name(output.name + ".run")
    return output.with_name(f".{output.name}.worker-{worker.index}.run")


def fit(
    data: TokenData,
    config: RunConfig,
    output: Path,
    resume: bool = False,
    progress: bool = True,
    on_epoch: Callable[[Epoch], None] | None = None,
    initial_weights: dict | None = None,
) -> FitResult:
    """Train a model on data (see the module doc); checkpoints go to run_folder(output).

    on_epoch(row) is called after each epoch's checkpoint is written; initial_weights (plain names,
    jazzgen.lm.bundle) start the model instead of a random initialisation (fine-tuning).
    """
    worker = worker_from_env()
    run_dir = run_folder(Path(output), worker)
    if resume:
        check_resumable(run_dir)  # before TensorFlow is imported
    load_tensorflow_quietly()
    import keras

    strategy = make_strategy(config.train.strategy, worker)  # before any other TensorFlow op
    config = _with_vocab(config, data)
    run_dir.mkdir(parents=True, exist_ok=True)
    train = config.train
    _check_carry(train, strategy, initial_weights)
    windows = carried_windows if train.carry_state else make_windows
    train_windows = windows(data.train, train.seq_len, train.batch_size, data.learned)
    val_windows = windows(data.val, train.seq_len, train.batch_size, data.learned) if data.val else None
    steps = len(train_windows) // train.batch_size
    keras.utils.set_random_seed(train.seed)
    with strategy.scope():
        model = build_model(config.model, states=train.carry_state)
        if initial_weights is not None:
            import_weights(model, initial_weights, config)
        start = [v.numpy() for v in model.trainable_variables] if initial_weights is not None else None
        optimizer = make_optimizer(train, steps, strategy.num_replicas_in_sync, model)
        optimizer.build(model.trainable_variables)
    state = (
        restore_checkpoint(run_dir, model, optimizer, config, data.fingerprint()) if resume else RunState()
    )
    if state.stale >= train.patience:  # a run that stopped early, resumed: it gets its patience afresh
        state = replace(state, stale=0)
    step_fns = (
        _CarriedSteps(strategy, model, optimizer, config.model)
        if train.carry_state
        else _StepFunctions(strategy, model, optimizer)
    )
    show = ProgressLine(train.epochs, steps) if progress and worker.is_chief else None
    for epoch in range(state.epochs_done + 1, train.epochs + 1):
        if state.stale >= train.patience:
            break
        row = _run_epoch(step_fns, train, train_windows, val_windows, epoch, show)
        state = state.after(row, [v.numpy() for v in model.trainable_variables])
        save_checkpoint(run_dir, model, optimizer, state, config, data.fingerprint())
        if worker.is_chief:
            _write_history(run_dir, state)
        if on_epoch:
            on_epoch(row)
    for variable, best in zip(model.trainable_variables, state.best_weights):
        variable.assign(best)
    mix = None
    if train.blend and initial_weights is not None and val_windows is not None and val_windows.tokens:
        judged = _judged_windows(data, strategy.num_replicas_in_sync)
        if judged[0].tokens:
            ends = (start, state.best_weights)
            mix = _blend(step_fns, model, ends, judged, val_windows, train.batch_size)
    seconds = sum(e.seconds for e in state.history)
    speed = sum(e.tokens_per_second * e.seconds for e in state.history) / max(seconds, 1e-9)
    return FitResult(model, config, state, worker, seconds, speed, mix)


def _check_carry(train: TrainConfig, strategy, initial_weights) -> None:
    """UsageError where carry_state cannot run: it needs one replica and a run from scratch."""
    if not train.carry_state:
        return
    if strategy.num_replicas_in_sync > 1:
        raise UsageError(
            f"--carry-state trains on one replica, not {strategy.num_replicas_in_sync}; "
            "train with --strategy auto on one machine"
        )
    if initial_weights is not None:
        raise UsageError("--carry-state trains a model from scratch; leave out --init")


BLEND_WIDTH = 4096  # tokens of a validation sequence scored in one window when a blend is judged
BLEND_LOGITS = 1 << 26  # most logits one batch of that scoring holds (256 MB)


def _judged_windows(data: TokenData, replicas: int) -> tuple[Windows, int]:
    """The validation sequences whole, each from a fresh state, their sampled tokens scored; and
    the rows a batch of them takes (within BLEND_LOGITS, a multiple of the replicas)."""
    width = min(BLEND_WIDTH, max(len(s) for s in data.val))
    rows = max(replicas, BLEND_LOGITS // (width * len(data.vocab)) // replicas * replicas)
    return whole_sequences(data.val, width, rows, data.sampled), rows


def _blend(
    fns, model, ends: tuple[list, list], judged: tuple[Windows, int], val: Windows, batch_size: int
) -> Mix:
    """Leave model holding the blend of ends (start, trained) that the judged windows (with their
    batch rows) score best (see Mix)."""
    losses = []
    for weight in MIX_WEIGHTS:
        _assign_blend(model, ends, weight)
        losses.append((weight, _mean_loss(fns, *judged)))
    best = min(losses, key=lambda pair: (pair[1], -pair[0]))[0]  # a tie goes to the trained side
    _assign_blend(model, ends, best)
    return Mix(best, tuple(losses), _mean_loss(fns, val, batch_size))


def _assign_blend(model, ends: tuple[list, list], weight: float) -> None:
    start, trained = ends
    for variable, a, b in zip(model.trainable_variables, start, trained):
        variable.assign(weight * b + (1.0 - weight) * a)


def _with_vocab(config: RunConfig, data: TokenData) -> RunConfig:
    size = len(data.vocab)
    if config.model.vocab_size not in (0, size):
        raise UsageError(
            f"the model config asks for {config.model.vocab_size} tokens but the data has {size}"
        )
    return replace(config, model=replace(config.model, vocab_size=size), tokenizer=data.tokenizer)


def make_optimizer(train: TrainConfig, steps_per_epoch: int, replicas: int, model):
    """Adam on the cosine schedule; AdamW when train.weight_decay > 0 (see not_decayed). Weight
    decay 0 keeps plain Adam, so a run or checkpoint from before the option behaves as it did."""
    import keras

    schedule = keras.optimizers.schedules.CosineDecay(
        train.lr, decay_steps=max(1, steps_per_epoch * train.epochs), alpha=train.min_lr_fraction
    )
    clipnorm = train.clipnorm / replicas
    if not train.weight_decay:
        return keras.optimizers.Adam(schedule, global_clipnorm=clipnorm)
    # Keras' AdamW: each step, before the Adam update, w -= w * weight_decay * lr(step)
    optimizer = keras.optimizers.AdamW(schedule, weight_decay=train.weight_decay, global_clipnorm=clipnorm)
    optimizer.exclude_from_weight_decay(var_list=not_decayed(model))  # before it is built
    return optimizer


def not_decayed(model) -> list:
    """The variables weight decay leaves alone: the embedding and every bias.

    A bias adds no capacity that decay should curb, and pulling it to 0 undoes what it holds:
    an LSTM's forget-gate bias starts at 1 to keep memory, and the logits' bias holds the tokens'
    log frequencies. The embedding row of a rare token (a rare word, a rare jazz value) gets a
    gradient only in the windows it is in but would be decayed every step, shrinking towards 0
    between its visits; --input-dropout regularizes the embedding instead. Decayed: the input and
    recurrent kernels of every recurrent layer and the logits' kernel (minGPT's choice too: its
    weight matrices, not its embeddings or biases)."""
    return [model.get_layer(EMBEDDING).embeddings] + [
        v for v in model.trainable_variables if v.name == "bias"
    ]


def _masked_nats(logits, targets):
    """(summed nats, target count) of logits (batch, time, vocab) over the non-padding targets."""
    import tensorflow as tf

    mask = tf.cast(tf.not_equal(targets, PAD_ID), tf.float32)  # (batch, time)
    nats = tf.nn.sparse_softmax_cross_entropy_with_logits(targets, tf.cast(logits, tf.float32))
    return tf.reduce_sum(nats * mask), tf.reduce_sum(mask)


class _StepFunctions:
    """The distributed training and evaluation steps. Each returns (summed nats, target count)."""

    def __init__(self, strategy, model, optimizer):
        import tensorflow as tf

        self.strategy, self.model, self.optimizer = strategy, model, optimizer
        self.train_step = tf.function(self._train_step)
        self.eval_step = tf.function(self._eval_step)

    def _nats(self, inputs, targets, training: bool):
        return _masked_nats(self.model(inputs, training=training), targets)

    def _replica_train(self, inputs, targets):
        import tensorflow as tf

        with tf.GradientTape() as tape:
            total, count = self._nats(inputs, targets, True)
            global_count = tf.distribute.get_replica_context().all_reduce("SUM", count)
            loss = total / tf.maximum(global_count, 1.0)
        variables = self.model.trainable_variables
        self.optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables))
        return total, count

    def _replica_eval(self, inputs, targets):
        return self._nats(inputs, targets, False)

    def _train_step(self, inputs, targets):
        return self._reduce(self.strategy.run(self._replica_train, args=(inputs, targets)))

    def _eval_step(self, inputs, targets):
        return self._reduce(self.strategy.run(self._replica_eval, args=(inputs, targets)))

    def _reduce(self, parts):
        return tuple(self.strategy.reduce("SUM", part, axis=None) for part in parts)

    def order(self, windows: Windows, seed: int, epoch: int) -> np.ndarray:
        """The order an epoch visits the training windows in."""
        return epoch_order(len(windows), seed, epoch)

    def restart(self) -> None:
        """Called before each pass over a set of windows (the carrying steps zero their states)."""

    def batches(self, windows: Windows, order: np.ndarray, batch_size: int):
        """The windows in order, as distributed global batches."""
        import tensorflow as tf

        dataset = tf.data.Dataset.from_tensor_slices((windows.inputs[order], windows.targets[order]))
        options = tf.data.Options()
        options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
        dataset = dataset.batch(batch_size, drop_remainder=True).with_options(options).prefetch(2)
        return self.strategy.experimental_distribute_dataset(dataset)


class _CarriedSteps(_StepFunctions):
    """Steps over carried_windows that go on from the states the batch before ended with: each
    batch row is a lane of one stream, so the model learns from context longer than a window
    (truncated backpropagation through time; no gradient crosses a window's start). The states
    start at zero at every pass, and the windows are visited in order."""

    def __init__(self, strategy, model, optimizer, config):
        import tensorflow as tf

        super().__init__(strategy, model, optimizer)
        self.view = carrying_view(model, config)
        self.shape = (config.layers * states_per_layer(config.cell), config.units)
        self.states = None
        # train_step and eval_step, as the epoch loop calls them, go on from the carried states
        carried_train, carried_eval = (tf.function(f) for f in (self._carried_train, self._carried_eval))
        self.train_step = lambda inputs, targets: self._go_on(carried_train, inputs, targets)
        self.eval_step = lambda inputs, targets: self._go_on(carried_eval, inputs, targets)

    def order(self, windows: Windows, seed: int, epoch: int) -> np.ndarray:
        return np.arange(len(windows))

    def restart(self) -> None:
        self.states = None

    def _go_on(self, step, inputs, targets):
        """(nats, count) of step over the batch from the states the batch before ended with."""
        total, count, self.states = self.strategy.run(step, args=(inputs, targets, self._states(inputs)))
        return total, count

    def _states(self, inputs):
        import tensorflow as tf

        if self.states is None:
            return [tf.zeros((inputs.shape[0], self.shape[1])) for _ in range(self.shape[0])]
        return self.states

    def _carried_nats(self, inputs, targets, states, training: bool):
        import tensorflow as tf

        logits, *ended = self.view([inputs, *states], training=training)
        return (*_masked_nats(logits, targets), [tf.stop_gradient(s) for s in ended])

    def _carried_train(self, inputs, targets, states):
        import tensorflow as tf

        with tf.GradientTape() as tape:
            total, count, ended = self._carried_nats(inputs, targets, states, True)
            loss = total / tf.maximum(count, 1.0)
        variables = self.model.trainable_variables
        self.optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables))
        return total, count, ended

    def _carried_eval(self, inputs, targets, states):
        return self._carried_nats(inputs, targets, states, False)


def _run_epoch(
    fns: _StepFunctions,
    train: TrainConfig,
    windows: Windows,
    val: Windows | None,
    epoch: int,
    show: ProgressLine | None,
) -> Epoch:
    """One pass over the training windows in this epoch's order, then the validation loss."""
    learning_rate = float(fns.optimizer.learning_rate)
    order = fns.order(windows, train.seed, epoch)
    fns.restart()
    total = count = 0.0
    started = time.perf_counter()
    if show:
        show.start_epoch()
    for step, (inputs, targets) in enumerate(fns.batches(windows, order, train.batch_size), 1):
        nats, tokens = fns.train_step(inputs, targets)
        total, count = total + float(nats), count + float(tokens)
        if show:
            show.update(epoch, step, total / max(count, 1), int(count))
    seconds = time.perf_counter() - started
    row = Epoch(
        epoch,
        total / max(count, 1),
        _mean_loss(fns, val, train.batch_size),
        learning_rate,
        seconds,
        count / max(seconds, 1e-9),
    )
    if show:
        show.end_epoch(row)
    return row


def _mean_loss(fns: _StepFunctions, windows: Windows | None, batch_size: int) -> float | None:
    if windows is None or windows.tokens == 0:
        return None
    total = count = 0.0
    fns.restart()
    for inputs, targets in fns.batches(windows, np.arange(len(windows)), batch_size):
        nats, tokens = fns.eval_step(inputs, targets)
        total, count = total + float(nats), count + float(tokens)
    return total / max(count, 1)


def _write_history(run_dir: Path, state: RunState) -> None:
    write_text_atomic(run_dir / "history.csv", history_csv(state.history))
    write_bytes_atomic(run_dir / "loss.png", loss_png(state.history))
