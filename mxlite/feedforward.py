"""mx.model.FeedForward: MXNet's deprecated pre-Module training API, as a thin layer over
`mx.mod.Module`.

Old tutorials and user code build a `FeedForward(symbol, num_epoch=..., learning_rate=...)`
and call `fit(X, y)` with NumPy arrays, `predict`, `score`, `save` and `FeedForward.load`.
Everything here turns those calls into Module calls: the training loop, its log lines and
callbacks are `BaseModule.fit`'s, prediction is `BaseModule.iter_predict`, scoring is
`BaseModule.score` and the files are `mx.model.save_checkpoint`'s. What this file adds is
only what FeedForward did differently: NumPy inputs wrapped in `NDArrayIter`s, keyword
arguments handed to the optimizer, `epoch_size`, and parameters kept on the model object
between calls.
"""
import logging
import warnings

import numpy as np

from .base import MXNetError, did_you_mean
from .io import DataDesc, DataIter, NDArrayIter, ResizeIter
from .ndarray.ndarray import NDArray

__all__ = ['FeedForward']

_DEPRECATION = ('mxnet.model.FeedForward has been deprecated. '
                'Please use mxnet.mod.Module instead.')


def _default_initializer():
    from .initializer import Uniform
    return Uniform(0.01)


def _desc_name(desc):
    return desc.name if isinstance(desc, DataDesc) else desc[0]


def _is_log_validation(callback):
    from .callback import LogValidationMetricsCallback
    return isinstance(callback, LogValidationMetricsCallback)


def _without_log_validation(callbacks):
    """`Module.fit` logs `Validation-<metric>` lines itself; MXNet's default eval-end
    callback (LogValidationMetricsCallback) would log each line twice, so it is dropped."""
    if callbacks is None or _is_log_validation(callbacks):
        return None
    if isinstance(callbacks, (list, tuple)):
        kept = [cb for cb in callbacks if not _is_log_validation(cb)]
        return kept or None
    return callbacks


def _copy_params(params):
    return {name: arr.copy() for name, arr in params.items()}


class FeedForward:
    """MXNet 1.x's deprecated model class: train and run a single-output network.

    Construction emits a `DeprecationWarning`, as MXNet's does; new code should use
    `mx.mod.Module`, which this class drives for every computation.

    Parameters
    ----------
    symbol : Symbol
        The network, usually ending in a loss layer such as `SoftmaxOutput`.
    ctx : Context or list of Context, optional
        Devices for training (data parallel over a list); prediction and scoring use the
        first. Default ``mx.cpu()``.
    num_epoch : int, optional
        Epochs to train; `fit` needs it.
    epoch_size : int, optional
        Batches per epoch. By default one pass over the training data; when given, an
        epoch is that many batches and the next epoch continues where it stopped,
        restarting the data when it runs out.
    optimizer : str or Optimizer, default 'sgd'
    initializer : Initializer, default ``mx.init.Uniform(0.01)``
        For the parameters that `arg_params` / `aux_params` do not give.
    numpy_batch_size : int, default 128
        Batch size for NumPy / NDArray inputs (capped at the number of samples).
    arg_params, aux_params : dict of str to NDArray, optional
        Starting parameters (e.g. from `mx.model.load_checkpoint`); after `fit` they hold
        the trained values.
    allow_extra_params : bool, default False
        Let `predict` / `score` ignore names in `arg_params` / `aux_params` that the
        symbol does not use (otherwise an error). `fit` drops them in any case, as MXNet's
        did.
    begin_epoch : int, default 0
        The first epoch number of `fit` (`load` sets it to the loaded epoch).
    **kwargs
        Optimizer parameters: ``learning_rate``, ``momentum``, ``wd``, ``lr_scheduler``,
        ... (``rescale_grad`` defaults to 1/batch_size, as in MXNet).

    Notes
    -----
    Where this differs from MXNet 1.9.1's class: `score` with array input raises (MXNet
    scored against all-zero labels); a validation pair ``eval_data=(X, y)`` is read in
    order with the last batch padded (MXNet shuffled it and rolled the last partial batch
    over to the next epoch), so the validation number is reproducible; `predict` /
    `score` re-read the current `arg_params` on every call (MXNet kept the parameters of
    its first call for later calls of the same shapes); a callable `symbol` (MXNet's
    undocumented `sym_gen`) is refused in favour of `mx.mod.BucketingModule`; the class
    is not a scikit-learn estimator.

    Examples
    --------
    >>> import warnings
    >>> import numpy as np
    >>> import mxlite as mx
    >>> rng = np.random.RandomState(0)
    >>> X = rng.randn(200, 4).astype('float32')
    >>> y = (X[:, 0] > 0).astype('float32')
    >>> net = mx.sym.FullyConnected(mx.sym.var('data'), num_hidden=2, name='fc')
    >>> net = mx.sym.SoftmaxOutput(net, name='softmax')
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter('ignore', DeprecationWarning)
    ...     model = mx.model.FeedForward(net, num_epoch=10, numpy_batch_size=20,
    ...                                  learning_rate=0.5, initializer=mx.init.Xavier())
    >>> np.random.seed(0)
    >>> model.fit(X, y)
    >>> model.predict(X[:3]).shape
    (3, 2)
    >>> model.score(mx.io.NDArrayIter(X, y, batch_size=50)) > 0.95
    True
    """

    def __init__(self, symbol, ctx=None, num_epoch=None, epoch_size=None, optimizer='sgd',
                 initializer=None, numpy_batch_size=128, arg_params=None,
                 aux_params=None, allow_extra_params=False, begin_epoch=0, **kwargs):
        from .context import Context, cpu
        from .symbol import Symbol
        warnings.warn(_DEPRECATION, DeprecationWarning, stacklevel=2)
        if not isinstance(symbol, Symbol):
            if callable(symbol):
                raise TypeError('FeedForward: a callable symbol (sym_gen) is not supported; '
                                'use mx.mod.BucketingModule for networks that change with '
                                'the input')
            raise TypeError('FeedForward: symbol must be a Symbol, got %s'
                            % type(symbol).__name__)
        args = symbol.list_arguments()
        duplicated = sorted({name for name in args if args.count(name) > 1})
        if duplicated:
            raise MXNetError("FeedForward: the symbol has several arguments named %s; give "
                             "the layers distinct names (name=...) so each parameter has "
                             "its own" % ', '.join("'%s'" % n for n in duplicated))
        if ctx is None:
            ctx = [cpu()]
        elif isinstance(ctx, Context):
            ctx = [ctx]
        self.symbol = symbol
        self.ctx = list(ctx)
        self.num_epoch = num_epoch
        self.epoch_size = epoch_size
        self.kwargs = kwargs.copy()
        self.optimizer = optimizer
        self.initializer = _default_initializer() if initializer is None else initializer
        self.numpy_batch_size = numpy_batch_size
        self.arg_params = arg_params
        self.aux_params = aux_params
        self.allow_extra_params = allow_extra_params
        self.begin_epoch = begin_epoch
        self._pred_module = None      # (key, Module) bound for predict/score; see _predictor

    def __getstate__(self):
        state = self.__dict__.copy()
        state['_pred_module'] = None   # executors are rebuilt on demand, not pickled
        return state

    # ------------------------------------------------------------------ inputs
    def _init_iter(self, X, y, is_train, caller):
        """A DataIter for X: a DataIter as it is; an array (with labels y) in an
        NDArrayIter of `numpy_batch_size` (shuffled, last batch rolled over, for training;
        in order and padded otherwise)."""
        if isinstance(X, DataIter):
            return X
        if not isinstance(X, (np.ndarray, NDArray)):
            raise TypeError('FeedForward.%s: X must be a DataIter, an NDArray or a '
                            'numpy.ndarray, got %s' % (caller, type(X).__name__))
        if y is None:
            if is_train:
                raise ValueError('FeedForward.%s: X is an array but y (the labels) is '
                                 'missing; pass y=<array of %d labels> or a DataIter that '
                                 'yields labels' % (caller, X.shape[0]))
            y = np.zeros(X.shape[0], dtype=np.float32)
        if not isinstance(y, (np.ndarray, NDArray)):
            raise TypeError('FeedForward.%s: y must be an NDArray or a numpy.ndarray when X '
                            'is an array, got %s' % (caller, type(y).__name__))
        if X.ndim == 0 or X.shape[0] == 0:
            raise ValueError('FeedForward.%s: X has no samples (shape %s)'
                             % (caller, tuple(X.shape)))
        if X.shape[0] != y.shape[0]:
            raise ValueError('FeedForward.%s: X has %d samples but y has %d labels; they must '
                             'match' % (caller, X.shape[0], y.shape[0]))
        if y.ndim == 2 and y.shape[1] == 1:
            y = y.reshape((y.shape[0],))
        if y.ndim != 1:
            raise ValueError('FeedForward.%s: y has shape %s; labels must be 1-D (or 2-D '
                             'with one column)' % (caller, tuple(y.shape)))
        batch_size = min(X.shape[0], self.numpy_batch_size)
        if is_train:
            return NDArrayIter(X, y, batch_size, shuffle=True, last_batch_handle='roll_over')
        return NDArrayIter(X, y, batch_size, shuffle=False, last_batch_handle='pad')

    def _init_eval_iter(self, eval_data):
        """eval_data as a DataIter: a DataIter, or a pair (X, y) of arrays (or lists)."""
        if eval_data is None or isinstance(eval_data, DataIter):
            return eval_data
        if not isinstance(eval_data, (tuple, list)) or len(eval_data) != 2:
            raise TypeError('FeedForward.fit: eval_data must be a DataIter or a pair (X, y) '
                            'of arrays, got %s' % type(eval_data).__name__)
        X, y = eval_data
        if X is None:
            raise ValueError('FeedForward.fit: eval_data=(X, y) has X=None')
        if y is None and isinstance(X, DataIter):
            return X
        if y is None:
            raise ValueError('FeedForward.fit: eval_data=(X, y) has y=None; validation '
                             'needs the labels')
        X = np.array(X) if isinstance(X, list) else X
        y = np.array(y) if isinstance(y, list) else y
        return self._init_iter(X, y, is_train=False, caller='fit (eval_data)')

    def _io_names(self, data_iter, caller):
        """(data names, label names) the iterator provides, checked against the symbol."""
        args = self.symbol.list_arguments()
        data_names = [_desc_name(d) for d in data_iter.provide_data]
        label_names = [_desc_name(d) for d in (data_iter.provide_label or [])]
        for name in data_names:
            if name not in args:
                raise MXNetError("FeedForward.%s: the data is named '%s' but the symbol has no "
                                 "such input%s (arguments: %s); array inputs are always "
                                 "named 'data'" % (caller, name, did_you_mean(name, args),
                                                   ', '.join(args)))
        return data_names, label_names

    # ------------------------------------------------------------------ training
    def fit(self, X, y=None, eval_data=None, eval_metric='acc', epoch_end_callback=None,
            batch_end_callback=None, kvstore='local', logger=None, work_load_list=None,
            monitor=None, eval_end_callback=None, eval_batch_end_callback=None):
        """Train for epochs `begin_epoch` .. `num_epoch` - 1 with `Module.fit`.

        Parameters
        ----------
        X : DataIter, NDArray or numpy.ndarray
            Training data; an array needs the labels `y` (ignored for a DataIter).
        y : NDArray or numpy.ndarray, optional
        eval_data : DataIter or (X, y) pair, optional
            Validation data, scored after every epoch.
        eval_metric : str or EvalMetric, default 'acc'
        epoch_end_callback, batch_end_callback : callable or list of callables, optional
            Called as in `Module.fit` (e.g. `mx.callback.do_checkpoint`,
            `mx.callback.Speedometer`).
        kvstore : str or KVStore, default 'local'
        logger : logging.Logger, optional
        work_load_list : list of float, optional
            Share of each context in `ctx` of the batch.
        monitor : Monitor, optional
        eval_end_callback, eval_batch_end_callback : callable or list, optional
            Called after / during each validation. The `Validation-<metric>` log lines are
            written by `Module.fit` in any case (MXNet's default eval_end_callback,
            `LogValidationMetricsCallback`, is therefore not run a second time).
        """
        from .module import Module
        if self.num_epoch is None:
            raise ValueError('FeedForward.fit: num_epoch is not set; create the model with '
                             'FeedForward(..., num_epoch=N)')
        data = self._init_iter(X, y, is_train=True, caller='fit')
        eval_iter = self._init_eval_iter(eval_data)
        data_names, label_names = self._io_names(data, 'fit')
        if self.epoch_size is not None:
            data = ResizeIter(data, self.epoch_size, reset_internal=False)
        module = Module(self.symbol, data_names=data_names, label_names=label_names,
                        logger=logger if logger is not None else logging, context=self.ctx,
                        work_load_list=work_load_list)
        # MXNet's FeedForward keeps the given parameters, initialises the missing ones and
        # drops names the symbol does not use
        inputs = set(data_names) | set(label_names)
        param_names = [n for n in self.symbol.list_arguments() if n not in inputs]
        aux_names = self.symbol.list_auxiliary_states()
        arg_params = {k: v for k, v in (self.arg_params or {}).items() if k in param_names}
        aux_params = {k: v for k, v in (self.aux_params or {}).items() if k in aux_names}
        module.fit(data, eval_data=eval_iter, eval_metric=eval_metric,
                   epoch_end_callback=epoch_end_callback,
                   batch_end_callback=batch_end_callback, kvstore=kvstore,
                   optimizer=self.optimizer, optimizer_params=self.kwargs,
                   eval_end_callback=_without_log_validation(eval_end_callback),
                   eval_batch_end_callback=eval_batch_end_callback,
                   initializer=self.initializer, arg_params=arg_params,
                   aux_params=aux_params, allow_missing=True, begin_epoch=self.begin_epoch,
                   num_epoch=self.num_epoch, monitor=monitor)
        trained_args, trained_auxs = module.get_params()
        self.arg_params = _copy_params(trained_args)
        self.aux_params = _copy_params(trained_auxs)

    # ------------------------------------------------------------------ inference
    def _predictor(self, data_iter, caller, with_labels):
        """A Module bound for inference on `data_iter`'s shapes (first context) holding
        the current `arg_params` / `aux_params`; kept between calls with the same
        shapes. Labels are bound (and read from the batches) only `with_labels`: scoring
        needs them, prediction does not (MXNet's predict did not read them either)."""
        from .module import Module
        if not self.arg_params:
            raise MXNetError('FeedForward.%s: the model has no parameters; call fit(), '
                             'FeedForward.load(), or pass arg_params' % caller)
        data_names, given_labels = self._io_names(data_iter, caller)
        arg_params, aux_params = self.arg_params, self.aux_params or {}
        args = self.symbol.list_arguments()
        aux_names = self.symbol.list_auxiliary_states()
        if not self.allow_extra_params:
            for given, names, what in ((arg_params, args, 'arg_params'),
                                       (aux_params, aux_names, 'aux_params')):
                for key in given:
                    if key not in names:
                        raise MXNetError("FeedForward.%s: %s has '%s', which the symbol does "
                                         "not use%s; pass allow_extra_params=True to ignore "
                                         "it" % (caller, what, key, did_you_mean(key, names)))
        label_names = given_labels if with_labels else []
        label_descs = list(data_iter.provide_label or []) if with_labels else []
        # arguments that are neither data, bound labels nor parameters: labels that
        # inference leaves unset (the iterator's, or a loss layer's '<name>_label');
        # anything else is a parameter nobody gave a value
        unset = [n for n in args if n not in data_names and n not in label_names
                 and n not in arg_params]
        missing = [n for n in unset if n not in given_labels and not n.endswith('label')]
        missing += [n for n in aux_names if n not in aux_params]
        if missing:
            raise MXNetError('FeedForward.%s: no value for %s in arg_params / aux_params; '
                             'fit the model or give every parameter'
                             % (caller, ', '.join("'%s'" % n for n in missing)))
        key = (tuple(tuple(d) for d in data_iter.provide_data),
               tuple(tuple(d) for d in label_descs))
        if self._pred_module is None or self._pred_module[0] != key:
            module = Module(self.symbol, data_names=data_names, label_names=label_names,
                            state_names=unset, context=self.ctx[0])
            module.bind(data_shapes=data_iter.provide_data,
                        label_shapes=label_descs or None, for_training=False)
            self._pred_module = (key, module)
        module = self._pred_module[1]
        module.set_params({k: v for k, v in arg_params.items() if k in args},
                          {k: v for k, v in aux_params.items() if k in aux_names})
        return module

    def predict(self, X, num_batch=None, return_data=False, reset=True):
        """The network's outputs for X, on the first context, padding removed.

        Parameters
        ----------
        X : DataIter, NDArray or numpy.ndarray
        num_batch : int, optional
            Stop after this many batches (all by default).
        return_data : bool, default False
            Also return the data and labels the outputs belong to.
        reset : bool, default True
            Reset the iterator first.

        Returns
        -------
        numpy.ndarray (a list of them for several outputs); with `return_data`, the tuple
        (outputs, data, label), each an array or a list of arrays.
        """
        data_iter = self._init_iter(X, None, is_train=False, caller='predict')
        module = self._predictor(data_iter, 'predict', with_labels=False)
        outputs, data, labels = [], [], []
        for outs, _, batch in module.iter_predict(data_iter, num_batch=num_batch,
                                                  reset=reset):
            outputs.append([o.asnumpy() for o in outs])
            if return_data:
                real = batch.data[0].shape[0] - (batch.pad or 0)
                data.append([d[0:real].asnumpy() for d in batch.data])
                labels.append([lab[0:real].asnumpy() for lab in (batch.label or [])])
        if not outputs:
            raise MXNetError('FeedForward.predict: the iterator yielded no batch (was it '
                             'exhausted? predict resets it unless reset=False)')

        def merge(batches):
            merged = [np.concatenate(parts) for parts in zip(*batches)]
            return merged[0] if len(merged) == 1 else merged
        if return_data:
            return merge(outputs), merge(data), merge(labels)
        return merge(outputs)

    def score(self, X, eval_metric='acc', num_batch=None, batch_end_callback=None,
              reset=True):
        """The metric's value over X (a DataIter with labels), via `Module.score`.

        Returns the value as MXNet's FeedForward did: ``eval_metric.get()[1]``, a float
        (a list for a composite metric).
        """
        from . import metric as _metric
        if not isinstance(X, DataIter):
            raise ValueError('FeedForward.score: X must be a DataIter that yields labels, got '
                             '%s; for arrays use mx.io.NDArrayIter(X, y, batch_size)'
                             % type(X).__name__)
        if not isinstance(eval_metric, _metric.EvalMetric):
            eval_metric = _metric.create(eval_metric)
        module = self._predictor(X, 'score', with_labels=True)
        module.score(X, eval_metric, num_batch=num_batch,
                     batch_end_callback=batch_end_callback, reset=reset)
        return eval_metric.get()[1]

    # ------------------------------------------------------------------ files
    def save(self, prefix, epoch=None, remove_amp_cast=True):
        """Write `prefix-symbol.json` and `prefix-%04d.params` (epoch defaults to
        `num_epoch`), the files `FeedForward.load` and `mx.model.load_checkpoint` read."""
        from .model import save_checkpoint
        if epoch is None:
            epoch = self.num_epoch
        if epoch is None:
            raise ValueError('FeedForward.save: give epoch=N (num_epoch is not set either)')
        save_checkpoint(prefix, epoch, self.symbol, self.arg_params or {},
                        self.aux_params or {}, remove_amp_cast=remove_amp_cast)

    @staticmethod
    def load(prefix, epoch, ctx=None, **kwargs):
        """A FeedForward from a checkpoint, with `begin_epoch` = `epoch` so that `fit`
        continues from there; other keyword arguments go to the constructor."""
        from .model import load_checkpoint
        symbol, arg_params, aux_params = load_checkpoint(prefix, epoch)
        return FeedForward(symbol, ctx=ctx, arg_params=arg_params, aux_params=aux_params,
                           begin_epoch=epoch, **kwargs)

    @staticmethod
    def create(symbol, X, y=None, ctx=None, num_epoch=None, epoch_size=None,
               optimizer='sgd', initializer=None, eval_data=None, eval_metric='acc',
               epoch_end_callback=None, batch_end_callback=None, kvstore='local',
               logger=None, work_load_list=None, eval_end_callback=None,
               eval_batch_end_callback=None, **kwargs):
        """Construct a FeedForward and `fit` it in one call; returns the trained model.

        Keyword arguments not named here go to the constructor (``numpy_batch_size``,
        ``arg_params``, ...) and from there to the optimizer (``learning_rate``, ...).
        """
        model = FeedForward(symbol, ctx=ctx, num_epoch=num_epoch, epoch_size=epoch_size,
                            optimizer=optimizer, initializer=initializer, **kwargs)
        model.fit(X, y, eval_data=eval_data, eval_metric=eval_metric,
                  epoch_end_callback=epoch_end_callback,
                  batch_end_callback=batch_end_callback, kvstore=kvstore, logger=logger,
                  work_load_list=work_load_list, eval_end_callback=eval_end_callback,
                  eval_batch_end_callback=eval_batch_end_callback)
        return model
