"""NDArrayIter: mini-batches over in-memory arrays, with MXNet 1.9.1's last-batch rules."""
from collections import OrderedDict

import numpy as np

from ..base import MXNetError, did_you_mean
from ..context import current_context
from ..ndarray.ndarray import NDArray, array as nd_array
from .base import DataBatch, DataDesc, DataIter

__all__ = ['NDArrayIter']

_LAST_BATCH_HANDLES = ('pad', 'discard', 'roll_over')


def _as_ndarray(value, name, zero_copy):
    """An NDArray for one input; float32 NumPy arrays on a CPU context are wrapped, not copied."""
    if isinstance(value, NDArray):
        return value
    ctx = current_context()
    if (zero_copy and isinstance(value, np.ndarray) and value.dtype == np.float32
            and ctx.device_type != 'gpu'):
        return NDArray(np.ascontiguousarray(value), ctx)
    try:
        # MXNet converts every non-NDArray input with mx.nd.array, i.e. to float32
        return nd_array(value)
    except Exception as exc:
        raise TypeError("NDArrayIter: invalid type '%s' for input '%s'; expected an NDArray, "
                        "a numpy.ndarray or an array-like (%s)"
                        % (type(value).__name__, name, exc)) from None


def _init_data(data, allow_empty, default_name, zero_copy=True):
    """Normalise data/label arguments to a name-sorted list of (name, NDArray)."""
    if data is None:
        if not allow_empty:
            raise ValueError('NDArrayIter: data must be given (an array, a list or a dict '
                             'of arrays)')
        data = []
    if isinstance(data, (np.ndarray, NDArray)):
        data = [data]
    if isinstance(data, (list, tuple)):
        if not data and not allow_empty:
            raise ValueError('NDArrayIter: data is an empty list')
        if len(data) == 1:
            data = OrderedDict([(default_name, data[0])])
        else:
            data = OrderedDict(('_%d_%s' % (i, default_name), d) for i, d in enumerate(data))
    if not isinstance(data, dict):
        raise TypeError('NDArrayIter: inputs must be an NDArray, a numpy.ndarray, a list of '
                        'them or a dict with them as values; got %s' % type(data).__name__)
    out = []
    for name, value in data.items():
        arr = _as_ndarray(value, name, zero_copy)
        if arr.ndim == 0:
            raise ValueError("NDArrayIter: input '%s' is a scalar; it needs a batch axis"
                             % name)
        out.append((name, arr))
    return sorted(out, key=lambda kv: kv[0])


class NDArrayIter(DataIter):
    """Iterate over NumPy arrays or NDArrays in mini-batches (MXNet's `mx.io.NDArrayIter`).

    Batches are views of the source when not shuffling (no copy per batch). NumPy
    float32 input is wrapped without a copy; other NumPy dtypes become float32 and
    labels too, as in MXNet. With ``shuffle=True`` the order is drawn from NumPy's global
    RNG exactly as MXNet 1.9.1 draws it (``np.random.seed`` reproduces MXNet's batches),
    each batch is gathered from the source, and every input is float32 (MXNet's shuffle
    converts with ``mx.nd.array``).

    Parameters
    ----------
    data : array, list of arrays or dict of str to array
        Inputs; one array is named `data_name`, a list gives ``_0_<data_name>``,
        ``_1_<data_name>``, ...; a dict names them (sorted by name, as in MXNet).
    label : array, list of arrays or dict, optional
        Labels, named after `label_name` the same way.
    batch_size : int, default 1
    shuffle : bool, default False
        Shuffle the samples on construction and on every `reset`.
    last_batch_handle : {'pad', 'discard', 'roll_over'}, default 'pad'
        The last incomplete batch is filled from the start of the data ('pad', with
        `pad` counting the filled samples), dropped ('discard'), or kept for the next
        epoch, whose first batch starts with it ('roll_over').
    data_name : str, default 'data'
    label_name : str, default 'softmax_label'

    Examples
    --------
    >>> import numpy as np
    >>> import mxlite as mx
    >>> it = mx.io.NDArrayIter(np.arange(10, dtype='float32').reshape(5, 2),
    ...                        np.arange(5), batch_size=2)
    >>> [(b.data[0].shape, b.pad) for b in it]
    [((2, 2), 0), ((2, 2), 0), ((2, 2), 1)]
    >>> it.provide_label
    [DataDesc[softmax_label,(2,),<class 'numpy.float32'>,NCHW]]
    """

    def __init__(self, data, label=None, batch_size=1, shuffle=False,
                 last_batch_handle='pad', data_name='data', label_name='softmax_label'):
        super(NDArrayIter, self).__init__(batch_size)
        if last_batch_handle not in _LAST_BATCH_HANDLES:
            raise ValueError("NDArrayIter: last_batch_handle must be one of %s, got %r%s"
                             % (list(_LAST_BATCH_HANDLES), last_batch_handle,
                                did_you_mean(str(last_batch_handle), _LAST_BATCH_HANDLES)))
        if int(batch_size) != batch_size or batch_size < 1:
            raise ValueError('NDArrayIter: batch_size must be a positive integer, got %r'
                             % (batch_size,))
        batch_size = int(batch_size)
        self.data = _init_data(data, allow_empty=False, default_name=data_name)
        self.label = _init_data(label, allow_empty=True, default_name=label_name)
        self.num_data = self.data[0][1].shape[0]
        for name, arr in self.data + self.label:
            if arr.shape[0] < self.num_data:
                raise ValueError("NDArrayIter: input '%s' has %d samples but '%s' has %d; "
                                 "every input needs at least as many as the first"
                                 % (name, arr.shape[0], self.data[0][0], self.num_data))
        if shuffle:
            self.data = [(k, _float32(v)) for k, v in self.data]
            self.label = [(k, _float32(v)) for k, v in self.label]
        self.idx = np.arange(self.num_data)
        self._perm = None       # sample order after shuffles; None = identity (views)
        self.shuffle = shuffle
        self.last_batch_handle = last_batch_handle
        self.batch_size = batch_size
        self.cursor = -batch_size
        self._cache_data = None
        self._cache_label = None
        self.reset()
        self.data_list = [x[1] for x in self.data] + [x[1] for x in self.label]
        self.num_source = len(self.data_list)

    # ------------------------------------------------------------------ description
    @property
    def provide_data(self):
        """DataDesc of each data input, batch axis set to batch_size."""
        return [DataDesc(k, (self.batch_size,) + tuple(v.shape[1:]), v.dtype)
                for k, v in self.data]

    @property
    def provide_label(self):
        """DataDesc of each label input, batch axis set to batch_size."""
        return [DataDesc(k, (self.batch_size,) + tuple(v.shape[1:]), v.dtype)
                for k, v in self.label]

    # ------------------------------------------------------------------ epoch control
    def hard_reset(self):
        """Go back to the start, forgetting any rolled-over samples."""
        if self.shuffle:
            self._shuffle_data()
        self.cursor = -self.batch_size
        self._cache_data = None
        self._cache_label = None

    def reset(self):
        """Start a new epoch (reshuffling when `shuffle`); keeps a rolled-over tail."""
        if self.shuffle:
            self._shuffle_data()
        if (self.last_batch_handle == 'roll_over'
                and self.num_data - self.batch_size < self.cursor < self.num_data):
            # the cached tail (num_data - cursor samples) opens the next epoch
            self.cursor = self.cursor - self.num_data - self.batch_size
        else:
            self.cursor = -self.batch_size

    def iter_next(self):
        self.cursor += self.batch_size
        return self.cursor < self.num_data

    def next(self):
        if not self.iter_next():
            raise StopIteration
        data = self.getdata()
        label = self.getlabel()
        if data[0].shape[0] != self.batch_size:
            # incomplete last batch ('discard' / 'roll_over'): keep it for the next epoch
            self._cache_data = data
            self._cache_label = label
            raise StopIteration
        return DataBatch(data=data, label=label, pad=self.getpad(), index=None)

    # ------------------------------------------------------------------ batches
    def _shuffle_data(self):
        # MXNet shuffles `idx` in place and re-indexes the already shuffled data with it;
        # composing the permutations reproduces its order without copying the data
        np.random.shuffle(self.idx)
        self._perm = self.idx.copy() if self._perm is None else self._perm[self.idx]

    def _take(self, arr, start, end):
        raw = arr._data
        if self._perm is None:
            return NDArray(raw[start:end], arr.context)
        rows = self._perm[start:end]
        if not isinstance(raw, np.ndarray):
            rows = arr.context.xp.asarray(rows)
        return NDArray(raw[rows], arr.context)

    def _getdata(self, data_source, start=None, end=None):
        start = 0 if start is None else start
        if end is None:
            end = self.num_data
        return [self._take(arr, start, end) for _, arr in data_source]

    @staticmethod
    def _concat(first, second):
        if not first or not second:
            return first if first else second
        return [NDArray(a.context.xp.concatenate([a._data, b._data], axis=0), a.context)
                for a, b in zip(first, second)]

    @staticmethod
    def _tile(data, repeats):
        return [NDArray(a.context.xp.concatenate([a._data] * repeats, axis=0), a.context)
                for a in data]

    def _batchify(self, data_source):
        if self.cursor >= self.num_data:
            raise MXNetError('NDArrayIter: the epoch is over; call reset() first')
        if self.last_batch_handle == 'roll_over' and -self.batch_size < self.cursor < 0:
            # first batch after a roll-over: cached tail + the head of the new epoch
            if self._cache_data is None and self._cache_label is None:
                raise MXNetError('NDArrayIter: roll_over expected the previous epoch\'s tail '
                                 'to be cached; was the last batch skipped with iter_next()?')
            if self._cache_data is not None:
                cache, self._cache_data = self._cache_data, None
            else:
                cache, self._cache_label = self._cache_label, None
            return self._concat(cache, self._getdata(data_source,
                                                     end=self.cursor + self.batch_size))
        if self.last_batch_handle == 'pad' and self.cursor + self.batch_size > self.num_data:
            pad = self.batch_size - self.num_data + self.cursor
            first = self._getdata(data_source, start=self.cursor)
            if pad > self.num_data:
                second = self._tile(self._getdata(data_source, end=self.num_data),
                                    pad // self.num_data)
                if pad % self.num_data:
                    second = self._concat(second, self._getdata(
                        data_source, end=pad % self.num_data))
            else:
                second = self._getdata(data_source, end=pad)
            return self._concat(first, second)
        end = min(self.cursor + self.batch_size, self.num_data)
        return self._getdata(data_source, self.cursor, end)

    def getdata(self):
        return self._batchify(self.data)

    def getlabel(self):
        return self._batchify(self.label)

    def getpad(self):
        if self.last_batch_handle == 'pad' and self.cursor + self.batch_size > self.num_data:
            return self.cursor + self.batch_size - self.num_data
        if self.last_batch_handle == 'roll_over' and -self.batch_size < self.cursor < 0:
            # MXNet reports the number of rolled-over samples here
            return -self.cursor
        return 0


def _float32(arr):
    if arr.dtype == np.float32:
        return arr
    return NDArray(arr._data.astype(np.float32), arr.context)
