"""Key-value store for data-parallel training on one machine: ``mx.kv`` / ``mx.kvstore``.

A `KVStore` holds one array per key. ``push`` sums the values given for a key (one per
device) and either stores the sum or, after ``set_optimizer``, applies the optimizer to
the stored weight with the sum as gradient -- MXNet's local kvstore semantics. ``pull``
copies the stored array into every output.

Only single-machine types exist here ('local', 'device' and their variants, which all
behave the same on NumPy); 'dist_*' types raise a clear error. Gradient compression is
accepted and ignored: values are summed exactly.
"""
import numpy as np

from .base import MXNetError, did_you_mean
from .ndarray.ndarray import NDArray

__all__ = ['KVStoreBase', 'KVStore', 'create']

_LOCAL_TYPES = ('local', 'device', 'local_update_cpu', 'local_allreduce_cpu',
                'local_allreduce_device', 'nccl')
_DIST_PREFIXES = ('dist', 'horovod', 'byteps', 'p3')


class KVStoreBase:
    """Base of key-value stores, with the capability query `mx.model` uses.

    Examples
    --------
    >>> import mxlite as mx
    >>> mx.kv.create('local').is_capable(mx.kv.KVStoreBase.OPTIMIZER)
    True
    """

    OPTIMIZER = 'optimizer'
    kv_registry = {}

    @staticmethod
    def register(klass):
        """Register a KVStoreBase subclass so that `create` knows its lower-cased name."""
        if not (isinstance(klass, type) and issubclass(klass, KVStoreBase)):
            raise TypeError('can only register a KVStoreBase subclass, got %r' % (klass,))
        KVStoreBase.kv_registry[klass.__name__.lower()] = klass
        return klass

    def is_capable(self, capability):
        """Whether this store supports `capability` (only OPTIMIZER is known)."""
        if capability.lower() == KVStoreBase.OPTIMIZER:
            return True
        raise MXNetError('Unknown capability: %s' % capability)


class KVStore(KVStoreBase):
    """A single-machine key-value store (create it with `mx.kv.create`).

    Examples
    --------
    >>> import mxlite as mx
    >>> kv = mx.kv.create('local')
    >>> kv.init(3, mx.nd.zeros((2,)))
    >>> kv.push(3, [mx.nd.ones((2,)), mx.nd.ones((2,)) * 2])    # from two devices
    >>> out = mx.nd.zeros((2,)); kv.pull(3, out=out); out.asnumpy()
    array([3., 3.], dtype=float32)
    >>> kv.set_optimizer(mx.optimizer.SGD(learning_rate=0.1))
    >>> kv.push(3, mx.nd.ones((2,))); kv.pull(3, out=out); out.asnumpy()
    array([2.9, 2.9], dtype=float32)
    """

    def __init__(self, kv_type='local'):
        self._type = kv_type
        self._store = {}
        self._merge = {}
        self._updater = None
        self._compression_params = None

    # ------------------------------------------------------------------ info
    @property
    def type(self):
        """The type string this store was created with."""
        return self._type

    @property
    def rank(self):
        """Rank of this worker: always 0 on one machine."""
        return 0

    @property
    def num_workers(self):
        """Number of workers: always 1 on one machine."""
        return 1

    # ------------------------------------------------------------------ data
    def init(self, key, value):
        """Initialize `key` (or each key of a list) with a copy of `value`."""
        pairs = _pairs(key, value, 'init')
        for k, vals in pairs:
            if len(vals) != 1:
                raise MXNetError('KVStore.init: key %r was given %d values; init takes one '
                                 'value per key' % (k, len(vals)))
            if k in self._store:
                raise MXNetError('KVStore.init: duplicate init of key %r' % (k,))
        seen = set()
        for k, _ in pairs:
            if k in seen:
                raise MXNetError('KVStore.init: duplicate init of key %r' % (k,))
            seen.add(k)
        for k, vals in pairs:
            self._store[k] = vals[0].copy()

    def push(self, key, value, priority=0):
        """Push values; those of one key (e.g. one per device) are summed.

        Without an updater the sum replaces the stored value; with one (see
        `set_optimizer`) the updater is called as ``updater(key, sum, stored)``.
        """
        grouped = self._grouped(key, value, 'push')
        for k, vals in grouped:
            stored = self._store[k]
            merged = vals[0] if len(vals) == 1 else self._sum(k, vals)
            if self._updater is not None:
                self._updater(k, merged, stored)
            else:
                stored._data[...] = _host(merged, stored)

    def pull(self, key, out=None, priority=0, ignore_sparse=True):
        """Copy the stored value of `key` (or of each key of a list) into `out`."""
        if out is None:
            raise MXNetError('KVStore.pull needs out= (the arrays to copy into)')
        grouped = self._grouped(key, out, 'pull')
        for k, outs in grouped:
            stored = self._store[k]
            for dst in outs:
                if dst is not stored:
                    dst._data[...] = _host(stored, dst)

    def pushpull(self, key, value, out=None, priority=0):
        """`push` then, when `out` is given, `pull` into it."""
        self.push(key, value, priority)
        if out is not None:
            self.pull(key, out, priority)

    def broadcast(self, key, value, out, priority=0):
        """`init` the keys with `value`, then `pull` into `out`."""
        self.init(key, value)
        self.pull(key, out=out, priority=priority)

    def row_sparse_pull(self, key, out=None, priority=0, row_ids=None):
        """Pull (values are dense here, so every row is pulled)."""
        self.pull(key, out=out, priority=priority)

    # ------------------------------------------------------------------ optimizer
    def set_gradient_compression(self, compression_params):
        """Accepted for compatibility and ignored: gradients are summed exactly.

        Parameters
        ----------
        compression_params : dict
            E.g. ``{'type': '2bit', 'threshold': 0.5}``.
        """
        if not isinstance(compression_params, dict) or 'type' not in compression_params:
            raise MXNetError("compression_params must be a dict with a 'type' entry, got %r"
                             % (compression_params,))
        self._compression_params = dict(compression_params)

    def set_optimizer(self, optimizer):
        """Apply `optimizer` to stored values on every push (update on the kvstore)."""
        from .optimizer import Optimizer, get_updater
        if not isinstance(optimizer, Optimizer):
            raise TypeError('set_optimizer expects an Optimizer, got %s'
                            % type(optimizer).__name__)
        self._set_updater(get_updater(optimizer))

    def _set_updater(self, updater):
        """Use ``updater(key, merged_value, stored_value)`` on push."""
        self._updater = updater

    def save_optimizer_states(self, fname, dump_optimizer=False):
        """Save the optimizer states (MXNet's ``.states`` format) to `fname`."""
        if self._updater is None:
            raise MXNetError('Cannot save optimizer states: no optimizer was set on this '
                             'kvstore (call set_optimizer first)')
        with open(fname, 'wb') as fout:
            fout.write(self._updater.get_states(dump_optimizer))

    def load_optimizer_states(self, fname):
        """Load optimizer states saved by `save_optimizer_states` (or by MXNet)."""
        if self._updater is None:
            raise MXNetError('Cannot load optimizer states: no optimizer was set on this '
                             'kvstore (call set_optimizer first)')
        with open(fname, 'rb') as fin:
            self._updater.set_states(fin.read())

    def _barrier(self):
        """Workers synchronise here in distributed training; nothing to wait for here."""

    def _send_command_to_servers(self, head, body):
        """There are no servers on one machine."""

    # ------------------------------------------------------------------ helpers
    def _grouped(self, key, value, verb):
        """[(key, [NDArray, ...])] with every key known and every shape checked."""
        pairs = _pairs(key, value, verb)
        merged = {}
        for k, vals in pairs:
            if k not in self._store:
                raise MXNetError('KVStore.%s: key %r has not been initialized (call init '
                                 'first)' % (verb, k))
            shape = self._store[k].shape
            for v in vals:
                if v.shape != shape:
                    raise MXNetError('KVStore.%s: key %r holds shape %s but a value has '
                                     'shape %s' % (verb, k, shape, v.shape))
            merged.setdefault(k, []).extend(vals)
        return list(merged.items())

    def _sum(self, k, vals):
        stored = self._store[k]
        buf = self._merge.get(k)
        if buf is None:
            buf = self._merge[k] = NDArray(np.empty_like(stored._data)
                                           if isinstance(stored._data, np.ndarray)
                                           else stored._data.copy(), stored.context)
        data = buf._data
        data[...] = _host(vals[0], stored)
        for v in vals[1:]:
            src = _host(v, stored)
            if src.dtype == data.dtype:
                np.add(data, src, out=data)
            else:
                data += src
        return buf


def _host(src, dst):
    """src's buffer, moved to dst's array module when they differ (numpy vs cupy)."""
    data = src._data
    if type(data) is type(dst._data):
        return data
    return src.as_in_context(dst.context)._data


def _pairs(key, value, verb):
    """Normalise (key, value) to [(key, [NDArray, ...])], checking types."""
    if isinstance(key, (list, tuple)):
        if not isinstance(value, (list, tuple)) or len(value) != len(key):
            raise MXNetError('KVStore.%s: %d keys need a list of %d values'
                             % (verb, len(key), len(key)))
        pairs = [(_key(k, verb), _values(v, k, verb)) for k, v in zip(key, value)]
        kinds = {type(k) for k, _ in pairs}
        if len(kinds) > 1:
            raise MXNetError('KVStore.%s: keys must be all int or all str, got %r'
                             % (verb, list(key)))
        return pairs
    return [(_key(key, verb), _values(value, key, verb))]


def _key(k, verb):
    if isinstance(k, (int, np.integer)) and not isinstance(k, bool):
        return int(k)
    if isinstance(k, str):
        return k
    raise MXNetError('KVStore.%s: keys must be int or str, got %r' % (verb, k))


def _values(v, k, verb):
    vals = [v] if isinstance(v, NDArray) else list(v) if isinstance(v, (list, tuple)) else None
    if not vals or not all(isinstance(one, NDArray) for one in vals):
        raise MXNetError('KVStore.%s: the value of key %r must be an NDArray or a non-empty '
                         'list of NDArrays, got %r' % (verb, k, type(v).__name__))
    return vals


def create(name='local'):
    """Create a key-value store.

    Parameters
    ----------
    name : str, default 'local'
        'local', 'device' (and 'local_update_cpu', 'local_allreduce_cpu',
        'local_allreduce_device', 'nccl', which behave the same here). Distributed types
        ('dist_sync', 'dist_async', 'dist_device_sync', 'horovod', ...) are not supported.

    Examples
    --------
    >>> import mxlite as mx
    >>> kv = mx.kv.create('device')
    >>> kv.type, kv.rank, kv.num_workers
    ('device', 0, 1)
    """
    if not isinstance(name, str):
        raise TypeError('name must be a string, got %r' % (name,))
    if name.lower() in KVStoreBase.kv_registry:
        return KVStoreBase.kv_registry[name.lower()]()
    if name in _LOCAL_TYPES:
        return KVStore(name)
    if name.startswith(_DIST_PREFIXES):
        raise MXNetError("kvstore '%s' is for distributed training across machines, which "
                         "mxlite does not support; use 'local' or 'device' (data parallel "
                         "over the contexts of one machine)" % name)
    raise MXNetError('Unknown KVStore type %r%s; expected one of %s'
                     % (name, did_you_mean(name, _LOCAL_TYPES), ', '.join(_LOCAL_TYPES)))
