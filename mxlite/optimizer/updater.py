"""Updater: applies an optimizer to (index, grad, weight) and owns the optimizer states.

`get_states` / `set_states` read and write MXNet 1.9.1's ``.states`` format: a pickle
(protocol 4) of ``{index: state}`` -- or ``(states, optimizer)`` with
``dump_optimizer=True`` -- in which every NDArray is MXNet's
``mxnet.ndarray.ndarray.NDArray`` carrying its bytes in MXNet's raw NDArray format, and
optimizers / lr schedulers are pickled under their MXNet class paths. Files written here
therefore load in MXNet 1.x, and MXNet's files load here.

Loading refuses classes other than the NDArray, optimizer and scheduler classes and plain
Python containers, so a ``.states`` file cannot run arbitrary code on load.
"""
import copyreg
import io
import pickle

import numpy as np

from ..base import MXNetError
from ..ndarray.ndarray import NDArray

__all__ = ['Updater', 'get_updater']

_MX_NDARRAY = ('mxnet.ndarray.ndarray', 'NDArray')
_MX_OPTIMIZER_MODULE = 'mxnet.optimizer.optimizer'
_MX_SCHEDULER_MODULE = 'mxnet.lr_scheduler'


class Updater:
    """Update weights with an optimizer, keeping one optimizer state per index.

    ``updater(index, grad, weight)`` creates the state of `index` on first use and then
    calls ``optimizer.update_multi_precision``. `index`, `grad` and `weight` may also be
    equal-length lists (as `mx.model` passes them).

    Parameters
    ----------
    optimizer : Optimizer

    Examples
    --------
    >>> import mxlite as mx
    >>> updater = mx.optimizer.Updater(mx.optimizer.SGD(learning_rate=0.5, momentum=0.9))
    >>> w = mx.nd.array([1.0])
    >>> updater(0, mx.nd.array([1.0]), w)
    >>> updater(0, mx.nd.array([1.0]), w)
    >>> w.asnumpy(), updater.states[0].asnumpy()
    (array([-0.45], dtype=float32), array([-0.95], dtype=float32))
    """

    def __init__(self, optimizer):
        self.optimizer = optimizer
        self.states = {}
        self.states_synced = {}
        self.aggregate_updates = getattr(optimizer, 'aggregate_num', 0) > 0

    def __call__(self, index, grad, weight):
        if isinstance(index, (list, tuple)):
            indices, grads, weights = list(index), list(grad), list(weight)
            if not len(indices) == len(grads) == len(weights):
                raise MXNetError('Updater: %d indices, %d gradients and %d weights; expected '
                                 'as many of each' % (len(indices), len(grads), len(weights)))
        else:
            indices, grads, weights = [index], [grad], [weight]
        if weights:
            self.optimizer._set_current_context(weights[0].context.device_id)
        for i, idx in enumerate(indices):
            if isinstance(idx, bytes):
                indices[i] = idx = idx.decode()
            if idx not in self.states:
                self.states[idx] = self.optimizer.create_state_multi_precision(idx, weights[i])
                self.states_synced[idx] = True
            elif not self.states_synced.get(idx, False):
                self.states[idx] = self.sync_state_context(self.states[idx], weights[i].context)
                self.states_synced[idx] = True
        for idx, g, w in zip(indices, grads, weights):
            self.optimizer.update_multi_precision(idx, w, g, self.states[idx])

    def sync_state_context(self, state, context):
        """Move a state (NDArray, or tuple/list of them) to `context`."""
        if isinstance(state, NDArray):
            return state.as_in_context(context)
        if isinstance(state, (tuple, list)):
            synced = [self.sync_state_context(one, context) for one in state]
            return tuple(synced) if isinstance(state, tuple) else synced
        return state

    def set_states(self, states):
        """Load states from the bytes `get_states` (or MXNet's Updater) produced."""
        loaded = loads_states(states)
        if isinstance(loaded, tuple) and len(loaded) == 2 and isinstance(loaded[0], dict):
            self.states, self.optimizer = loaded
        elif isinstance(loaded, dict):
            self.states = loaded
        else:
            raise MXNetError('optimizer states must be a dict of index -> state (or a '
                             '(states, optimizer) pair), got %s' % type(loaded).__name__)
        self.states_synced = dict.fromkeys(self.states.keys(), False)

    def get_states(self, dump_optimizer=False):
        """The states as bytes (MXNet's ``.states`` format).

        Parameters
        ----------
        dump_optimizer : bool, default False
            Also save the optimizer (learning rate, schedule, update counts).
        """
        return dumps_states((self.states, self.optimizer) if dump_optimizer else self.states)


def get_updater(optimizer):
    """An `Updater` for `optimizer` (what KVStore and `mx.model` call).

    Examples
    --------
    >>> import mxlite as mx
    >>> updater = mx.optimizer.get_updater(mx.optimizer.create('sgd', learning_rate=1.0))
    >>> w = mx.nd.array([1.0]); updater(0, mx.nd.array([0.25]), w); w.asnumpy()
    array([0.75], dtype=float32)
    """
    return Updater(optimizer)


# ---------------------------------------------------------------------- writing
class _MXNetNDArray:
    """Stands for mxnet.ndarray.ndarray.NDArray in a pickle stream (never instantiated)."""


def _mx_class_path(cls):
    """MXNet's module path for mxlite's optimizer and scheduler classes, else None."""
    module = getattr(cls, '__module__', '')
    if cls is _MXNetNDArray:
        return _MX_NDARRAY
    if module.startswith('mxlite.optimizer'):
        return _MX_OPTIMIZER_MODULE, cls.__name__
    if module == 'mxlite.lr_scheduler':
        return _MX_SCHEDULER_MODULE, cls.__name__
    return None


class _StatesPickler(pickle._Pickler):  # pylint: disable=protected-access
    # The pure-Python pickler writes the same bytes as the C one; it is used because only
    # it lets us name a class by a module path that is not importable here (mxnet's).

    def reducer_override(self, obj):
        if isinstance(obj, NDArray):
            from ..ndarray.serialization import save_raw_bytes
            # MXNet's NDArray.__reduce__: NDArray(None), then __setstate__({'handle': ...})
            return (_MXNetNDArray, (None,), {'handle': bytearray(save_raw_bytes(obj))})
        return NotImplemented

    def save_global(self, obj, name=None):
        path = _mx_class_path(obj) if isinstance(obj, type) else None
        if path is None:
            return super().save_global(obj, name)
        if self.proto < 4:
            raise pickle.PicklingError('optimizer states are written with protocol 4')
        self.save(path[0])
        self.save(path[1])
        self.write(pickle.STACK_GLOBAL)
        self.memoize(obj)
        return None


def dumps_states(obj):
    """Pickle optimizer states the way MXNet 1.9.1 does (protocol 4)."""
    buf = io.BytesIO()
    _StatesPickler(buf, protocol=4).dump(obj)
    return buf.getvalue()


# ---------------------------------------------------------------------- reading
class _PendingNDArray:
    """An MXNet NDArray met while unpickling; becomes an mxlite NDArray afterwards."""

    def __init__(self, handle=None):
        self.raw = handle

    def __setstate__(self, state):
        self.raw = state.get('handle') if isinstance(state, dict) else None


_SAFE_BUILTINS = {'bytearray', 'set', 'frozenset', 'list', 'dict', 'tuple', 'complex',
                  'float', 'int', 'str', 'bytes', 'bool', 'slice', 'range', 'object'}


class _StatesUnpickler(pickle.Unpickler):
    def find_class(self, module, name):
        if (module, name) in (_MX_NDARRAY, ('mxnet.ndarray', 'NDArray'),
                              ('mxlite.ndarray.ndarray', 'NDArray')):
            return _PendingNDArray if module.startswith('mxnet') else NDArray
        if module.startswith('mxnet.optimizer') or module.startswith('mxlite.optimizer'):
            from .base import Optimizer
            klass = Optimizer.opt_registry.get(name.lower())
            if klass is None or klass.__name__ != name:
                raise MXNetError('optimizer states name optimizer class %s.%s, which mxlite '
                                 'does not have' % (module, name))
            return klass
        if module in ('mxnet.lr_scheduler', 'mxlite.lr_scheduler'):
            from .. import lr_scheduler
            klass = getattr(lr_scheduler, name, None)
            if not isinstance(klass, type):
                raise MXNetError('optimizer states name scheduler class %s.%s, which mxlite '
                                 'does not have' % (module, name))
            return klass
        if module == 'builtins' and name in _SAFE_BUILTINS:
            return super().find_class(module, name)
        if module == 'copyreg' and name in ('_reconstructor', '__newobj__'):
            return getattr(copyreg, name)
        if module.startswith('numpy') and name in ('dtype', 'scalar', '_reconstruct',
                                                   'ndarray', 'float32', 'float64', 'int64'):
            return super().find_class(module, name)
        raise MXNetError('refusing to load class %s.%s from optimizer states: only NDArrays, '
                         'optimizers and lr schedulers are expected' % (module, name))


def _resolve(obj, seen):
    """Replace every _PendingNDArray inside obj (dicts, lists, tuples, attributes)."""
    if isinstance(obj, _PendingNDArray):
        if obj.raw is None:
            return None
        from ..ndarray.serialization import load_raw_bytes
        return load_raw_bytes(bytes(obj.raw), source='optimizer states')
    if id(obj) in seen:
        return obj
    seen.add(id(obj))
    if isinstance(obj, dict):
        for key in list(obj):
            obj[key] = _resolve(obj[key], seen)
    elif isinstance(obj, list):
        obj[:] = [_resolve(one, seen) for one in obj]
    elif isinstance(obj, tuple):
        return tuple(_resolve(one, seen) for one in obj)
    elif hasattr(obj, '__dict__') and not isinstance(obj, (type, NDArray, np.ndarray)):
        _resolve(obj.__dict__, seen)
    return obj


def loads_states(data):
    """Unpickle optimizer states written by `dumps_states` or by MXNet 1.x."""
    if isinstance(data, str):
        data = data.encode('latin-1')
    try:
        loaded = _StatesUnpickler(io.BytesIO(data)).load()
    except MXNetError:
        raise
    except Exception as exc:
        raise MXNetError('cannot read optimizer states: %s: %s'
                         % (type(exc).__name__, exc)) from exc
    return _resolve(loaded, set())
