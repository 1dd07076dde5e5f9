"""CSVIter: mini-batches from CSV files, with the batch loader's round_batch rules."""
import os

import numpy as np

from ..base import MXNetError
from .native import MXDataIter

__all__ = ['CSVIter']


def _shape(value, what):
    if isinstance(value, str):
        text = value.strip().strip('()[]')
        value = [int(v) for v in text.split(',') if v.strip()]
    elif isinstance(value, (int, np.integer)):
        value = [int(value)]
    shape = tuple(int(v) for v in value)
    if not shape or any(s <= 0 for s in shape):
        raise ValueError('CSVIter: %s must be a non-empty shape of positive sizes, got %r'
                         % (what, value))
    return shape


def _read_csv(path, shape, dtype, what):
    if not os.path.isfile(path):
        raise FileNotFoundError("CSVIter: %s '%s' does not exist" % (what, path))
    try:
        # floats parse straight to float32; integers through float64 (exact to 2**53)
        parse = np.float32 if dtype == np.float32 else np.float64
        rows = np.loadtxt(path, delimiter=',', dtype=parse, ndmin=2)
    except ValueError as exc:
        raise MXNetError("CSVIter: cannot parse %s '%s' as comma-separated numbers: %s"
                         % (what, path, exc)) from None
    width = int(np.prod(shape))
    if rows.shape[0] and rows.shape[1] != width:
        raise MXNetError("CSVIter: %s '%s' has rows of %d values but its shape %s needs %d"
                         % (what, path, rows.shape[1], shape, width))
    return rows.astype(dtype).reshape((rows.shape[0],) + shape)


class CSVIter(MXDataIter):
    """Iterate over rows of CSV files in mini-batches (MXNet's `mx.io.CSVIter`).

    Each row of `data_csv` is one sample reshaped to `data_shape`; each row of
    `label_csv` one label of `label_shape` (all labels are 0 without a label file).
    Labels of shape (1,) come out as a (batch_size,) array. The files are read whole at
    construction. Unknown keyword arguments are ignored, as MXNet ignores them.

    Parameters
    ----------
    data_csv : str
        Path of the data file.
    data_shape : tuple of int
        Shape of one sample.
    label_csv : str, default 'NULL'
        Path of the label file; 'NULL' for none.
    label_shape : tuple of int, default (1,)
    batch_size : int
    round_batch : bool, default True
        Complete the last batch with samples from the start of the file (`pad` counts
        them) and begin the next epoch after them, as MXNet does. When False the last
        batch keeps the previous batch's rows in its padded slots.
    dtype : {None, 'float32', 'int32', 'int64'}, default None
        Type of the values (None: float32).
    prefetch_buffer, ctx : ignored
        MXNet's prefetching options, accepted for compatibility.
    data_name : str, default 'data'
    label_name : str, default 'softmax_label'

    Examples
    --------
    >>> import os, tempfile
    >>> import mxlite as mx
    >>> path = os.path.join(tempfile.mkdtemp(), 'data.csv')
    >>> with open(path, 'w') as f:
    ...     _ = f.write('1,2\\n3,4\\n5,6\\n')
    >>> it = mx.io.CSVIter(data_csv=path, data_shape=(2,), batch_size=2)
    >>> [(b.data[0].asnumpy().tolist(), b.pad) for b in it]
    [([[1.0, 2.0], [3.0, 4.0]], 0), ([[5.0, 6.0], [1.0, 2.0]], 1)]
    """

    def __init__(self, *, data_csv, data_shape, batch_size, label_csv='NULL',
                 label_shape=(1,), round_batch=True, dtype=None, prefetch_buffer=4,
                 ctx='gpu', data_name='data', label_name='softmax_label', **kwargs):
        if int(batch_size) < 1:
            raise ValueError('CSVIter: batch_size must be >= 1, got %r' % (batch_size,))
        self._bs = int(batch_size)
        self._round = bool(round_batch) if not isinstance(round_batch, str) else \
            round_batch.lower() in ('1', 'true')
        value_dtype = np.float32 if dtype is None else np.dtype(dtype)
        if value_dtype not in (np.float32, np.int32, np.int64):
            raise ValueError("CSVIter: dtype must be None, 'float32', 'int32' or 'int64', "
                             "got %r" % (dtype,))
        data_shape = _shape(data_shape, 'data_shape')
        label_shape = _shape(label_shape, 'label_shape')
        self._data = _read_csv(data_csv, data_shape, value_dtype, 'data_csv')
        n = self._data.shape[0]
        if n == 0:
            raise MXNetError("CSVIter: data_csv '%s' has no rows" % data_csv)
        if label_csv is None or label_csv == 'NULL':
            self._label = np.zeros((n,) + label_shape, dtype=value_dtype)
        else:
            self._label = _read_csv(label_csv, label_shape, value_dtype, 'label_csv')
            if self._label.shape[0] < n:
                raise MXNetError("CSVIter: label_csv '%s' has %d rows but data_csv '%s' has %d"
                                 % (label_csv, self._label.shape[0], data_csv, n))
        self._buf_data = np.zeros((self._bs,) + data_shape, dtype=value_dtype)
        self._buf_label = np.zeros((self._bs,) + label_shape, dtype=value_dtype)
        self._pos = 0
        self._overflow = 0
        super(CSVIter, self).__init__(data_name=data_name, label_name=label_name)

    def _before_first(self):
        if not self._round or self._overflow == 0:
            self._pos = 0
        else:
            # the wrapped samples were this epoch's start: continue after them
            self._overflow = 0

    def _fill(self, top, start, count):
        self._buf_data[top:top + count] = self._data[start:start + count]
        self._buf_label[top:top + count] = self._label[start:start + count]
        return np.arange(start, start + count)

    def _advance(self):
        if self._overflow:
            return None
        n = self._data.shape[0]
        top = min(self._bs, n - self._pos)
        if top <= 0:
            return None
        index = [self._fill(0, self._pos, top)]
        self._pos += top
        pad = 0
        if top < self._bs:
            if self._round:
                need = self._bs - top
                if need > n:
                    raise MXNetError('CSVIter: round_batch needs at least batch_size - %d = %d '
                                     'samples, the file has %d' % (top, need, n))
                index.append(self._fill(top, 0, need))
                self._pos = need
                self._overflow = need
                pad = need
            else:
                pad = self._bs - top
                index.append(np.zeros(pad, dtype=np.int64))
        return self._buf_data.copy(), self._buf_label.copy(), pad, np.concatenate(index)
