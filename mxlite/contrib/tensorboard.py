"""TensorBoard callbacks for `Module.fit`, writing event files with
`mxlite.tensorboard_writer` (no TensorFlow or tensorboard package needed to write).

* `LogMetricsCallback` is MXNet 1.x's ``mx.contrib.tensorboard.LogMetricsCallback``: a
  batch-end or eval-end callback logging each metric as a scalar at step = epoch.
* `TensorBoardCallback` logs more: per-batch and per-epoch metrics, histograms of the
  weights at each epoch end and of the gradients every few batches, and the network
  graph once.

View the logs with ``tensorboard --logdir <logging_dir>``.
"""
from ..tensorboard_writer import SummaryWriter

__all__ = ['LogMetricsCallback', 'TensorBoardCallback']


class LogMetricsCallback:
    """Log the metric's values to TensorBoard: a ``batch_end_callback`` or
    ``eval_end_callback`` for `Module.fit`.

    Each call writes every ``(name, value)`` of ``param.eval_metric`` as a scalar with
    tag ``name`` (``prefix-name`` when a prefix is given) at step ``param.epoch``, as
    MXNet 1.x did; so, used per batch, an epoch's values share one step.

    Parameters
    ----------
    logging_dir : str
        Folder for the event file; give train and validation callbacks different folders
        (or prefixes) to see them as separate runs.
    prefix : str, optional
        Prepended to each tag, e.g. ``'train'`` gives ``train-accuracy``.

    Examples
    --------
    >>> import tempfile, mxlite as mx
    >>> logdir = tempfile.mkdtemp()
    >>> train_cb = mx.contrib.tensorboard.LogMetricsCallback(logdir, prefix='train')
    >>> # mod.fit(train_iter, batch_end_callback=train_cb, ...)
    """

    def __init__(self, logging_dir, prefix=None):
        self.prefix = prefix
        self.summary_writer = SummaryWriter(logging_dir)

    def __call__(self, param):
        if param.eval_metric is None:
            return
        for name, value in param.eval_metric.get_name_value():
            if self.prefix is not None:
                name = '%s-%s' % (self.prefix, name)
            self.summary_writer.add_scalar(name, value, global_step=param.epoch)
        self.summary_writer.flush()

    def close(self):
        """Close the event file."""
        self.summary_writer.close()


def _local_module(param):
    """The module that called a batch-end callback, from the BatchEndParam's locals."""
    mod = (getattr(param, 'locals', None) or {}).get('self')
    # a BucketingModule trains through its current bucket's Module
    return getattr(mod, '_curr_module', None) or mod


def _input_shapes(mod):
    shapes = {}
    for desc in list(getattr(mod, 'data_shapes', None) or []) + \
            list(getattr(mod, 'label_shapes', None) or []):
        name = getattr(desc, 'name', None) or desc[0]
        shapes[name] = tuple(getattr(desc, 'shape', None) or desc[1])
    return shapes


class TensorBoardCallback:
    """Log a `Module.fit` run to TensorBoard: metrics, weight and gradient histograms and
    the network graph.

    Pass the same object as ``batch_end_callback`` and ``epoch_end_callback`` (and, for
    validation metrics, as ``eval_end_callback``); it tells the calls apart by their
    arguments and by the caller's locals. What it writes:

    ============================  =========================  ==============================
    tag                           step                       when
    ============================  =========================  ==============================
    ``train/<metric>``            batches seen (0, 1, ...)   each batch (the metric so far)
    ``epoch/train-<metric>``      epoch                      epoch end (whole-epoch value)
    ``epoch/validation-<metric>`` epoch                      eval end
    ``grads/<param>`` (histo)     batches seen               every `histogram_every` batches
    ``weights/<param>`` (histo)   epoch                      epoch end (from arg_params)
    ``aux/<name>`` (histo)        epoch                      epoch end (from aux_params)
    graph                         --                         once, at the first call
    ============================  =========================  ==============================

    Gradients are read from the module's executor group (``locals['self']._exec_group``,
    summed over devices) right after the update, i.e. the batch's own gradients.

    Parameters
    ----------
    logdir : str
        Folder for the event file.
    symbol : Symbol, optional
        The network to draw; by default the module's (or the epoch-end callback's) symbol.
    histogram_every : int or None
        Write gradient histograms every this many batches; 0 or None: never.
    weight_histograms : bool
        Write weight (and aux state) histograms at each epoch end.
    bins : int
        Buckets per histogram.

    Examples
    --------
    >>> import tempfile, mxlite as mx
    >>> from mxlite.contrib.tensorboard import TensorBoardCallback
    >>> tb = TensorBoardCallback(tempfile.mkdtemp(), histogram_every=20)
    >>> # mod.fit(train_iter, eval_data=val_iter, batch_end_callback=tb,
    >>> #         epoch_end_callback=tb, eval_end_callback=tb, num_epoch=5)
    >>> tb.close()
    """

    def __init__(self, logdir, symbol=None, histogram_every=100, weight_histograms=True,
                 bins=30):
        self.writer = SummaryWriter(logdir)
        self.symbol = symbol
        self.histogram_every = histogram_every
        self.weight_histograms = weight_histograms
        self.bins = bins
        self.step = 0  # training batches seen, over all epochs
        self._graph_written = False
        self._train_metric = None

    # the same object serves as batch-end (1 argument) and epoch-end (4 arguments) callback
    def __call__(self, *args):
        if len(args) == 4:
            return self.epoch_end(*args)
        if len(args) != 1:
            raise TypeError('TensorBoardCallback takes a BatchEndParam (batch or eval end) '
                            'or (epoch, symbol, arg_params, aux_params), got %d arguments'
                            % len(args))
        (param,) = args
        scope = getattr(param, 'locals', None) or {}
        if 'train_data' not in scope and ('eval_data' in scope or 'eval_batch' in scope):
            return self.eval_end(param)
        return self.batch_end(param)

    def batch_end(self, param):
        """Log the batch's metric values and, every `histogram_every` batches, gradients."""
        mod = _local_module(param)
        self._write_graph(getattr(mod, 'symbol', None), _input_shapes(mod))
        if param.eval_metric is not None:
            self._train_metric = param.eval_metric
            for name, value in param.eval_metric.get_name_value():
                self.writer.add_scalar('train/%s' % name, value, global_step=self.step)
        if self.histogram_every and self.step % self.histogram_every == 0:
            group = getattr(mod, '_exec_group', None)
            grads = getattr(group, 'grad_arrays', None) or []
            for name, per_device in zip(getattr(group, 'param_names', []), grads):
                arrays = [g.asnumpy() for g in per_device if g is not None]
                if arrays:
                    self.writer.add_histogram('grads/%s' % name, sum(arrays[1:], arrays[0]),
                                              global_step=self.step, bins=self.bins)
        self.step += 1

    def epoch_end(self, epoch, symbol=None, arg_params=None, aux_params=None):
        """Log the epoch's training metric and the weights' histograms."""
        self._write_graph(symbol, {})
        metric = self._train_metric
        if metric is not None:
            values = metric.get_global_name_value() if hasattr(
                metric, 'get_global_name_value') else metric.get_name_value()
            for name, value in values:
                self.writer.add_scalar('epoch/train-%s' % name, value, global_step=epoch)
        if self.weight_histograms:
            for kind, params in (('weights', arg_params), ('aux', aux_params)):
                for name in sorted(params or {}):
                    self.writer.add_histogram('%s/%s' % (kind, name), params[name],
                                              global_step=epoch, bins=self.bins)
        self.writer.flush()

    def eval_end(self, param):
        """Log validation metric values at step ``param.epoch``."""
        if param.eval_metric is None:
            return
        for name, value in param.eval_metric.get_name_value():
            self.writer.add_scalar('epoch/validation-%s' % name, value,
                                   global_step=param.epoch)
        self.writer.flush()

    def _write_graph(self, symbol, shapes):
        if self._graph_written:
            return
        symbol = self.symbol if self.symbol is not None else symbol
        if symbol is None:
            return
        self.writer.add_graph(symbol, shapes)
        self._graph_written = True

    def close(self):
        """Flush and close the event file."""
        self.writer.close()

