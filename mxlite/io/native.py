"""MXDataIter: the behaviour of MXNet's C++-backed iterators (CSVIter, MNISTIter, ...).

In MXNet these are C++ objects behind one Python wrapper; here each is a Python class
whose `_advance` produces the next batch as NumPy arrays. The wrapper reproduces what
users see: the first batch is read at construction (to learn the shapes), labels of
shape (batch, 1) are returned as (batch,), data and label names default to
'data' / 'softmax_label', and arrays live on cpu(0).
"""
import numpy as np

from ..base import MXNetError, np_dtype
from ..context import cpu
from ..ndarray.ndarray import NDArray
from .base import DataBatch, DataDesc, DataIter

__all__ = ['MXDataIter']

_OUT_DTYPES = (None, 'float16', 'float32', 'float64', 'int32', 'int64', 'int8', 'uint8')


class MXDataIter(DataIter):
    """Base class of the native-style iterators (`CSVIter`, `MNISTIter`).

    Subclasses implement ``_before_first()`` and ``_advance()``, which returns
    ``(data, label, pad, index)`` as NumPy arrays for the next batch, or None at the end.

    Parameters
    ----------
    data_name : str, default 'data'
    label_name : str, default 'softmax_label'
    dtype : str or None
        Cast data and labels to this type (MXNet's ``dtype`` iterator parameter); None
        keeps them.

    Examples
    --------
    >>> import numpy as np
    >>> import mxlite as mx
    >>> class Two(mx.io.MXDataIter):
    ...     def __init__(self):
    ...         self.n = 0
    ...         super().__init__()
    ...     def _before_first(self):
    ...         self.n = 0
    ...     def _advance(self):
    ...         self.n += 1
    ...         if self.n > 2:
    ...             return None
    ...         return np.full((4, 3), self.n, 'float32'), np.zeros((4, 1), 'float32'), 0, None
    >>> it = Two()
    >>> it.provide_data
    [DataDesc[data,(4, 3),<class 'numpy.float32'>,NCHW]]
    >>> it.provide_label
    [DataDesc[softmax_label,(4,),<class 'numpy.float32'>,NCHW]]
    >>> [float(b.data[0].asnumpy()[0, 0]) for b in it]
    [1.0, 2.0]
    """

    def __init__(self, data_name='data', label_name='softmax_label', dtype=None):
        super(MXDataIter, self).__init__()
        if dtype is not None and str(np_dtype(dtype)) not in _OUT_DTYPES:
            raise ValueError('%s: dtype must be one of %s, got %r'
                             % (type(self).__name__, list(_OUT_DTYPES), dtype))
        self._out_dtype = None if dtype is None else np_dtype(dtype)
        self._ctx = cpu()
        self._current = None
        self._debug_skip_load = False
        self._debug_at_begin = True
        self.first_batch = None
        self.first_batch = self.next()
        data = self.first_batch.data[0]
        label = self.first_batch.label[0]
        self.provide_data = [DataDesc(data_name, data.shape, data.dtype)]
        self.provide_label = [DataDesc(label_name, label.shape, label.dtype)]
        self.batch_size = data.shape[0]

    # ------------------------------------------------------------------ subclass hooks
    def _before_first(self):
        raise NotImplementedError

    def _advance(self):
        raise NotImplementedError

    # ------------------------------------------------------------------ protocol
    def debug_skip_load(self):
        """Return the first batch forever (to time a network without the loading cost)."""
        self._debug_skip_load = True

    def reset(self):
        self._debug_at_begin = True
        self.first_batch = None
        self._before_first()

    def _step(self):
        current = self._advance()
        if current is None:
            return False
        self._current = current
        return True

    def _batch(self):
        return DataBatch(data=[self.getdata()], label=[self.getlabel()], pad=self.getpad(),
                         index=self.getindex())

    def next(self):
        if self._debug_skip_load and not self._debug_at_begin:
            return self._batch()
        if self.first_batch is not None:
            batch, self.first_batch = self.first_batch, None
            return batch
        self._debug_at_begin = False
        if self._step():
            return self._batch()
        raise StopIteration

    def iter_next(self):
        # MXNet returns True here without consuming the preloaded first batch, so a loop
        # over iter_next() never ends; consuming it is the documented intent
        if self.first_batch is not None:
            self.first_batch = None
            return True
        return self._step()

    def _current_or_fail(self):
        if self._current is None:
            raise MXNetError('%s: no current batch; call next() or iter_next() first'
                             % type(self).__name__)
        return self._current

    def getdata(self):
        data = self._current_or_fail()[0]
        if self._out_dtype is not None and data.dtype != self._out_dtype:
            data = data.astype(self._out_dtype)
        return NDArray(data, self._ctx)

    def getlabel(self):
        label = self._current_or_fail()[1]
        if label.ndim > 1 and label.shape[1] == 1:
            # MXNet returns (batch, 1) labels as (batch,)
            label = label.reshape(label.shape[0])
        if self._out_dtype is not None and label.dtype != self._out_dtype:
            label = label.astype(self._out_dtype)
        return NDArray(label, self._ctx)

    def getpad(self):
        return int(self._current_or_fail()[2])

    def getindex(self):
        index = self._current_or_fail()[3]
        return None if index is None else np.array(index, dtype=np.uint64)
