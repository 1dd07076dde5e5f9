"""Sparse NDArrays (``mx.nd.sparse``): CSR matrices and row-sparse arrays.

**Dense fallback.** `CSRNDArray` and `RowSparseNDArray` keep their full dense value in
``_data``, like any NDArray, so every operator, indexing and in-place update works on them
unchanged (results of operators are dense NDArrays, where MXNet would sometimes return a
sparse one). The sparse view -- ``.data``, ``.indices``, ``.indptr`` -- is derived from
the dense value: the components an array was built or loaded with are kept (so explicit
zeros, index order and aux dtypes survive a load/save round trip byte for byte) for as
long as they still describe the dense value, and are recomputed from it once the array
has been written to. ``.data``/``.indices``/``.indptr`` return copies, not views.

Because of the fallback the dense size must fit in memory; arrays whose dense form would
need more than `DENSE_FALLBACK_LIMIT` bytes are refused with a clear error.
"""
import numpy as np

from ..base import MXNetError, np_dtype
from ..context import Context, current_context
from .ndarray import NDArray, _to_context
from .ndarray import array as _dense_array

__all__ = ['BaseSparseNDArray', 'CSRNDArray', 'RowSparseNDArray', 'csr_matrix',
           'row_sparse_array', 'cast_storage', 'zeros', 'empty', 'array', 'retain',
           'SparseFormatError', 'DENSE_FALLBACK_LIMIT']

DENSE_FALLBACK_LIMIT = 1 << 31      # bytes; the dense copy of a sparse array
_AUX_DTYPE = np.dtype(np.int64)     # MXNet's default index type for both formats


class SparseFormatError(MXNetError, ValueError):
    """Sparse components that do not describe a valid array."""


def _check_dense_size(shape, dtype):
    nbytes = np.dtype(dtype).itemsize
    for d in shape:
        nbytes *= int(d)
    if nbytes > DENSE_FALLBACK_LIMIT:
        raise SparseFormatError(
            'shape %s of %s needs %d bytes as a dense array, more than '
            'mxlite.ndarray.sparse.DENSE_FALLBACK_LIMIT (%d): mxlite stores sparse arrays '
            'densely' % (tuple(shape), np.dtype(dtype).name, nbytes, DENSE_FALLBACK_LIMIT))


def _host(x):
    """A NumPy array from an NDArray, NumPy array or nested list."""
    if isinstance(x, NDArray):
        return x.asnumpy()
    if hasattr(x, 'get') and not isinstance(x, np.ndarray):
        return x.get()
    return np.asarray(x)


def _index_array(x, what):
    """A 1-D int64 index array from any integer array-like."""
    host = _host(x)
    if host.ndim > 1:
        raise SparseFormatError('%s must be 1-D, got shape %s' % (what, host.shape))
    if host.size and host.dtype.kind == 'f' and np.all(np.mod(host, 1) == 0):
        host = host.astype(np.int64)   # e.g. mx.nd.array([0, 2]) is float32
    if host.size and host.dtype.kind not in 'iu':
        raise SparseFormatError('%s must hold integers, got dtype %s' % (what, host.dtype.name))
    return host.astype(_AUX_DTYPE).reshape(-1)


def _default_dtype(src, dtype):
    # MXNet keeps the dtype of NumPy / NDArray sources and uses float32 for the rest
    if dtype is not None:
        return np_dtype(dtype)
    if isinstance(src, (NDArray, np.ndarray)) or hasattr(src, 'tocsr'):
        return np.dtype(src.dtype)
    return np.dtype(np.float32)


def _ctx(ctx):
    return current_context() if ctx is None else Context(ctx)


def _shape_tuple(arg):
    return (isinstance(arg, tuple) and len(arg) > 0
            and all(isinstance(d, (int, np.integer)) and not isinstance(d, bool) for d in arg))


# ---------------------------------------------------------------------- validation
def _validate_csr(values, indptr, indices, shape):
    if len(shape) != 2:
        raise SparseFormatError('a CSR array must be 2-D, got shape %s' % (shape,))
    rows, cols = shape
    if values.ndim != 1 or indices.ndim != 1 or indptr.ndim != 1:
        raise SparseFormatError('CSR data, indices and indptr must be 1-D, got %d-D, %d-D '
                                'and %d-D' % (values.ndim, indices.ndim, indptr.ndim))
    nnz = values.shape[0]
    if indices.shape[0] != nnz:
        raise SparseFormatError('CSR has %d values but %d column indices'
                                % (nnz, indices.shape[0]))
    if indptr.shape[0] == 0 and nnz == 0:
        return              # an unfilled CSR array: no rows stored at all
    if indptr.shape[0] != rows + 1:
        raise SparseFormatError('CSR indptr has %d entries; expected rows + 1 = %d'
                                % (indptr.shape[0], rows + 1))
    if indptr[0] != 0 or indptr[-1] != nnz:
        raise SparseFormatError('CSR indptr must start at 0 and end at nnz = %d, got %d..%d'
                                % (nnz, indptr[0], indptr[-1]))
    if np.any(np.diff(indptr) < 0):
        raise SparseFormatError('CSR indptr must be non-decreasing')
    if nnz and (indices.min() < 0 or indices.max() >= cols):
        raise SparseFormatError('CSR column indices must lie in [0, %d), got %d..%d'
                                % (cols, indices.min(), indices.max()))


def _validate_rsp(values, indices, shape):
    if len(shape) < 1:
        raise SparseFormatError('a row_sparse array needs at least 1 dimension')
    if indices.ndim != 1:
        raise SparseFormatError('row_sparse indices must be 1-D, got %d-D' % indices.ndim)
    expect = (indices.shape[0],) + tuple(shape[1:])
    if values.shape != expect:
        raise SparseFormatError('row_sparse data has shape %s; expected %s for %d stored '
                                'rows of an array of shape %s'
                                % (values.shape, expect, indices.shape[0], tuple(shape)))
    if indices.size and (indices.min() < 0 or indices.max() >= shape[0]):
        raise SparseFormatError('row_sparse indices must lie in [0, %d), got %d..%d'
                                % (shape[0], indices.min(), indices.max()))


# ---------------------------------------------------------------------- classes
class BaseSparseNDArray(NDArray):
    """Common base of the sparse NDArrays (dense fallback; see the module docstring)."""
    __slots__ = ('_parts',)
    _STYPE = None

    def __init__(self, data, ctx=None, parts=None):
        super().__init__(data, ctx)
        self._parts = parts     # (values, [aux arrays]) last known to describe _data

    @property
    def stype(self):
        return self._STYPE

    def _stored(self):
        """(values, [aux arrays]) as NumPy arrays describing the current dense value.

        The stored components are reused while they still expand to exactly the dense
        value; otherwise they are recomputed from it (keeping the aux dtypes).
        """
        host = self._data if isinstance(self._data, np.ndarray) else self._data.get()
        parts = self._parts
        if parts is not None and parts[0].dtype == host.dtype:
            expanded = self._expand(parts[0], parts[1], host.shape)
            if _bitwise_equal(expanded, host):
                return parts
        aux_dtypes = [a.dtype for a in parts[1]] if parts is not None else None
        parts = self._compress(host, aux_dtypes)
        self._parts = parts
        return parts

    def _new(self, dense, ctx, parts):
        return type(self)(_to_context(dense, ctx, copy=False), ctx, parts)

    def _moved(self, ctx, dtype=None):
        values, aux = self._stored()
        host = self.asnumpy()
        if dtype is not None:
            host, values = host.astype(dtype), values.astype(dtype)
        return self._new(host, ctx, (values.copy(), [a.copy() for a in aux]))

    def _aux_nd(self, i):
        return NDArray(_to_context(self._stored()[1][i].copy(), self._ctx, copy=False),
                       self._ctx)

    @property
    def data(self):
        """The stored values as a dense NDArray (a copy)."""
        return NDArray(_to_context(self._stored()[0].copy(), self._ctx, copy=False),
                       self._ctx)

    @property
    def _aux_types(self):
        return [a.dtype.type for a in self._stored()[1]]

    def copy(self):
        return self._moved(self._ctx)

    def astype(self, dtype, copy=True):
        dtype = np_dtype(dtype)
        if not copy and self._data.dtype == dtype:
            return self
        return self._moved(self._ctx, dtype)

    def copyto(self, other):
        if isinstance(other, Context):
            return self._moved(other)
        return super().copyto(other)

    def as_in_context(self, context):
        return self if context == self._ctx else self._moved(context)

    def tostype(self, stype):
        """Convert to another storage type ('default' gives a dense NDArray).

        As in MXNet, converting between 'csr' and 'row_sparse' is not supported.
        """
        return cast_storage(self, stype)

    def check_format(self, full_check=True):
        """Raise `SparseFormatError` if the stored components are inconsistent."""
        values, aux = self._stored()
        self._validate(values, aux, self.shape)

    def __repr__(self):
        return '\n<%s %s @%s>' % (type(self).__name__, 'x'.join(str(n) for n in self.shape),
                                  self._ctx)

    __str__ = __repr__

    def __getstate__(self):
        state = super().__getstate__()
        values, aux = self._stored()
        state['parts'] = (values, list(aux))
        return state

    def __setstate__(self, state):
        super().__setstate__(state)
        self._parts = state.get('parts')

    @classmethod
    def _from_parts(cls, values, aux, shape, ctx):
        """Validate components and build the array (dense fallback included)."""
        shape = tuple(int(d) for d in shape)
        cls._validate(values, aux, shape)
        _check_dense_size(shape, values.dtype)
        dense = cls._expand(values, aux, shape)
        return cls(_to_context(dense, ctx, copy=False), ctx, (values, list(aux)))


def _bitwise_equal(a, b):
    if a.shape != b.shape or a.dtype != b.dtype:
        return False
    a = np.ascontiguousarray(a).reshape(-1).view(np.uint8)
    b = np.ascontiguousarray(b).reshape(-1).view(np.uint8)
    return bool(np.array_equal(a, b))


class CSRNDArray(BaseSparseNDArray):
    """A 2-D array in compressed sparse row format (dense fallback, see module docs).

    Examples
    --------
    >>> import mxlite as mx
    >>> a = mx.nd.sparse.csr_matrix(([1.0, 2.0], [1, 0], [0, 1, 2]), shape=(2, 3))
    >>> a
    <BLANKLINE>
    <CSRNDArray 2x3 @cpu(0)>
    >>> a.indices.asnumpy()
    array([1, 0])
    """
    __slots__ = ()
    _STYPE = 'csr'

    @property
    def indices(self):
        """Column index of every stored value (int64 NDArray, a copy)."""
        return self._aux_nd(1)

    @property
    def indptr(self):
        """Row ``i`` holds stored values ``indptr[i]:indptr[i+1]`` (int64 NDArray)."""
        return self._aux_nd(0)

    @staticmethod
    def _validate(values, aux, shape):
        _validate_csr(values, aux[0], aux[1], shape)

    @staticmethod
    def _expand(values, aux, shape):
        indptr, indices = aux
        dense = np.zeros(shape, dtype=values.dtype)
        if values.size:
            rows = np.repeat(np.arange(shape[0]), np.diff(indptr).astype(np.int64))
            dense[rows, indices] = values
        return dense

    @staticmethod
    def _compress(host, aux_dtypes=None):
        if host.ndim != 2:
            raise SparseFormatError('a CSR array must be 2-D, got shape %s' % (host.shape,))
        ptr_dt, idx_dt = aux_dtypes or (_AUX_DTYPE, _AUX_DTYPE)
        rows, cols = np.nonzero(host)
        indptr = np.zeros(host.shape[0] + 1, dtype=ptr_dt)
        np.cumsum(np.bincount(rows, minlength=host.shape[0]), out=indptr[1:])
        return host[rows, cols].copy(), [indptr, cols.astype(idx_dt)]

    def asscipy(self):
        """This matrix as a ``scipy.sparse.csr_matrix`` (needs SciPy)."""
        import scipy.sparse
        values, (indptr, indices) = self._stored()
        if indptr.size == 0:
            indptr = np.zeros(self.shape[0] + 1, dtype=indptr.dtype)
        return scipy.sparse.csr_matrix((values.copy(), indices.copy(), indptr.copy()),
                                       shape=self.shape)

    def __getitem__(self, key):
        # as in MXNet: an int or a step-1 slice of rows gives a new CSRNDArray
        if isinstance(key, (int, np.integer)) and not isinstance(key, bool):
            key = int(key)
            begin = key + self.shape[0] if key < 0 else key
            if not 0 <= begin < self.shape[0]:
                raise IndexError('index %d is out of bounds for a CSRNDArray with %d rows'
                                 % (key, self.shape[0]))
            key = slice(begin, begin + 1)
        if isinstance(key, slice):
            if key.step not in (None, 1):
                raise ValueError('CSRNDArray only supports continuous slicing on axis 0')
            if key.start is None and key.stop is None:
                return self
            begin, end, _ = key.indices(self.shape[0])
            return cast_storage(NDArray(self._data[begin:max(begin, end)], self._ctx), 'csr')
        if isinstance(key, tuple):
            raise ValueError('Multi-dimension indexing is not supported for CSRNDArray')
        raise ValueError('Undefined behaviour for CSRNDArray index %r' % (key,))


class RowSparseNDArray(BaseSparseNDArray):
    """An array whose rows are all zero except the stored ones (dense fallback).

    Examples
    --------
    >>> import mxlite as mx
    >>> a = mx.nd.sparse.row_sparse_array(([[1.0, 2.0]], [2]), shape=(3, 2))
    >>> a.asnumpy()
    array([[0., 0.],
           [0., 0.],
           [1., 2.]], dtype=float32)
    """
    __slots__ = ()
    _STYPE = 'row_sparse'

    @property
    def indices(self):
        """Index of every stored row (int64 NDArray, a copy)."""
        return self._aux_nd(0)

    @staticmethod
    def _validate(values, aux, shape):
        _validate_rsp(values, aux[0], shape)

    @staticmethod
    def _expand(values, aux, shape):
        dense = np.zeros(shape, dtype=values.dtype)
        if values.size:
            dense[aux[0]] = values
        return dense

    @staticmethod
    def _compress(host, aux_dtypes=None):
        if host.ndim < 1:
            raise SparseFormatError('a row_sparse array needs at least 1 dimension')
        (idx_dt,) = aux_dtypes or (_AUX_DTYPE,)
        width = int(np.prod(host.shape[1:], dtype=np.int64))
        keep = (host.reshape(host.shape[0], width) != 0).any(axis=1)
        rows = np.flatnonzero(keep)
        return host[rows].copy(), [rows.astype(idx_dt)]

    def retain(self, indices):
        """Keep only the rows listed in `indices` (see `retain`)."""
        return retain(self, indices)

    def __getitem__(self, key):
        if isinstance(key, slice) and key == slice(None):
            return self
        raise ValueError('RowSparseNDArray only supports [:] for __getitem__')


_CLASSES = {'csr': CSRNDArray, 'row_sparse': RowSparseNDArray}


def _from_stored(stype, values, aux, shape, ctx):
    """Build a sparse array from components read from a file (used by serialization)."""
    return _CLASSES[stype]._from_parts(values, aux, shape, ctx)


# ---------------------------------------------------------------------- creation
def cast_storage(data, stype):
    """Convert an NDArray to storage type `stype` ('default', 'csr' or 'row_sparse').

    Examples
    --------
    >>> import mxlite as mx
    >>> c = mx.nd.sparse.cast_storage(mx.nd.array([[0, 1], [0, 0]]), 'csr')
    >>> c.stype, c.data.asnumpy()
    ('csr', array([1.], dtype=float32))
    """
    if not isinstance(data, NDArray):
        raise TypeError('cast_storage expects an NDArray, got %s' % type(data).__name__)
    if stype == 'default':
        return NDArray(data._data.copy(), data._ctx)
    if stype not in _CLASSES:
        raise ValueError("unknown storage type %r; expected 'default', 'csr' or "
                         "'row_sparse'" % (stype,))
    if data.stype == stype:
        return data.copy()
    if data.stype != 'default':
        raise ValueError('cast_storage from %s to %s is not supported' % (data.stype, stype))
    cls = _CLASSES[stype]
    host = data.asnumpy()
    return cls(_to_context(host, data._ctx, copy=False), data._ctx, cls._compress(host))


def _csr_from_coo(values, rows, cols, shape, dtype):
    rows, cols = _index_array(rows, 'row'), _index_array(cols, 'col')
    if shape is None:
        shape = (int(rows.max()) + 1 if rows.size else 0,
                 int(cols.max()) + 1 if cols.size else 0)
    _check_dense_size(shape, dtype)
    if rows.size and (rows.min() < 0 or rows.max() >= shape[0] or cols.min() < 0
                      or cols.max() >= shape[1]):
        raise SparseFormatError('COO coordinates out of bounds for shape %s' % (shape,))
    dense = np.zeros(shape, dtype=dtype)
    np.add.at(dense, (rows, cols), values)      # duplicates are summed, as in SciPy
    return dense


def csr_matrix(arg1, shape=None, ctx=None, dtype=None):
    """Create a `CSRNDArray`.

    Parameters
    ----------
    arg1 : tuple, NDArray, numpy.ndarray, scipy.sparse matrix or CSRNDArray
        ``(data, indices, indptr)``; ``(data, (row, col))`` (COO; duplicates summed);
        ``(M, N)`` for an all-zero matrix; or a dense 2-D array to compress.
    shape : tuple of int, optional
        Inferred from the components when omitted.
    ctx : Context, optional
    dtype : str or numpy dtype, optional
        Defaults to the dtype of NumPy/NDArray data, else float32.

    Examples
    --------
    >>> import mxlite as mx
    >>> m = mx.nd.sparse.csr_matrix(([3.0], [2], [0, 0, 1]), shape=(2, 4))
    >>> m.asnumpy()
    array([[0., 0., 0., 0.],
           [0., 0., 3., 0.]], dtype=float32)
    """
    ctx = _ctx(ctx)
    if _shape_tuple(arg1) and len(arg1) == 2:
        return zeros('csr', arg1, ctx=ctx, dtype=dtype)
    if isinstance(arg1, tuple) and len(arg1) == 3:
        data, indices, indptr = arg1
        dtype = _default_dtype(data, dtype)
        values = _host(data).astype(dtype).reshape(-1)
        indices, indptr = _index_array(indices, 'indices'), _index_array(indptr, 'indptr')
        if shape is None:
            shape = (max(indptr.shape[0] - 1, 0),
                     int(indices.max()) + 1 if indices.size else 0)
        return CSRNDArray._from_parts(values, [indptr, indices], shape, ctx)
    if isinstance(arg1, tuple) and len(arg1) == 2 and isinstance(arg1[1], tuple):
        data, (rows, cols) = arg1
        dtype = _default_dtype(data, dtype)
        dense = _csr_from_coo(_host(data).astype(dtype).reshape(-1), rows, cols, shape, dtype)
        return cast_storage(NDArray(dense, Context('cpu', 0)), 'csr').as_in_context(ctx)
    if isinstance(arg1, tuple):
        raise ValueError('csr_matrix: a tuple must be (data, indices, indptr), '
                         '(data, (row, col)) or a 2-D shape, got %d items' % len(arg1))
    if isinstance(arg1, CSRNDArray):
        return arg1._moved(ctx, None if dtype is None else np_dtype(dtype))
    if hasattr(arg1, 'tocsr'):          # a scipy.sparse matrix
        src = arg1.tocsr()
        return csr_matrix((src.data, src.indices, src.indptr), shape=src.shape, ctx=ctx,
                          dtype=_default_dtype(src, dtype))
    dense = _dense_array(arg1, ctx=ctx, dtype=_default_dtype(arg1, dtype))
    if shape is not None and tuple(shape) != dense.shape:
        raise ValueError('csr_matrix: shape %s does not match the data shape %s'
                         % (tuple(shape), dense.shape))
    if dense.ndim != 2:
        raise ValueError('csr_matrix needs 2-D data, got shape %s' % (dense.shape,))
    return cast_storage(dense, 'csr')


def row_sparse_array(arg1, shape=None, ctx=None, dtype=None):
    """Create a `RowSparseNDArray`.

    Parameters
    ----------
    arg1 : tuple, NDArray, numpy.ndarray or RowSparseNDArray
        ``(data, indices)`` where ``data[i]`` is row ``indices[i]``; a shape tuple for
        an all-zero array; or a dense array to compress.
    shape : tuple of int, optional
        Inferred as ``(max(indices) + 1,) + data.shape[1:]`` when omitted.
    ctx : Context, optional
    dtype : str or numpy dtype, optional

    Examples
    --------
    >>> import mxlite as mx
    >>> r = mx.nd.sparse.row_sparse_array(([[1, 2]], [1]), shape=(3, 2))
    >>> r.indices.asnumpy(), r.shape
    (array([1]), (3, 2))
    """
    ctx = _ctx(ctx)
    if _shape_tuple(arg1):
        return zeros('row_sparse', arg1, ctx=ctx, dtype=dtype)
    if isinstance(arg1, tuple) and len(arg1) == 2:
        data, indices = arg1
        dtype = _default_dtype(data, dtype)
        values = _host(data).astype(dtype)
        indices = _index_array(indices, 'indices')
        if values.ndim == 0 or (values.ndim == 1 and shape is not None and len(shape) > 1):
            raise SparseFormatError('row_sparse data must have one row per index, got '
                                    'shape %s' % (values.shape,))
        if shape is None:
            shape = (int(indices.max()) + 1 if indices.size else 0,) + values.shape[1:]
        return RowSparseNDArray._from_parts(values, [indices], shape, ctx)
    if isinstance(arg1, tuple):
        raise ValueError('row_sparse_array: a tuple must be (data, indices) or a shape')
    if isinstance(arg1, RowSparseNDArray):
        return arg1._moved(ctx, None if dtype is None else np_dtype(dtype))
    dense = _dense_array(arg1, ctx=ctx, dtype=_default_dtype(arg1, dtype))
    if shape is not None and tuple(shape) != dense.shape:
        raise ValueError('row_sparse_array: shape %s does not match the data shape %s'
                         % (tuple(shape), dense.shape))
    return cast_storage(dense, 'row_sparse')


def zeros(stype, shape, ctx=None, dtype=None, **kwargs):
    """An all-zero array of storage type `stype` (nothing stored).

    Examples
    --------
    >>> import mxlite as mx
    >>> z = mx.nd.sparse.zeros('row_sparse', (4, 2))
    >>> z.stype, z.indices.shape
    ('row_sparse', (0,))
    """
    ctx = _ctx(ctx)
    dtype = np_dtype(dtype)
    shape = (int(shape),) if isinstance(shape, (int, np.integer)) else tuple(shape)
    if stype == 'default':
        return NDArray(ctx.xp.zeros(shape, dtype=dtype), ctx)
    if stype == 'csr':
        if len(shape) != 2:
            raise ValueError('a CSR array must be 2-D, got shape %s' % (shape,))
        aux = [np.zeros(shape[0] + 1, _AUX_DTYPE), np.zeros(0, _AUX_DTYPE)]
        return CSRNDArray._from_parts(np.zeros(0, dtype), aux, shape, ctx)
    if stype == 'row_sparse':
        return RowSparseNDArray._from_parts(np.zeros((0,) + shape[1:], dtype),
                                            [np.zeros(0, _AUX_DTYPE)], shape, ctx)
    raise ValueError("unknown storage type %r; expected 'default', 'csr' or 'row_sparse'"
                     % (stype,))


def empty(stype, shape, ctx=None, dtype=None):
    """Same as `zeros` (mxlite never hands out uninitialised memory)."""
    return zeros(stype, shape, ctx=ctx, dtype=dtype)


def array(source_array, ctx=None, dtype=None):
    """A sparse array from a `CSRNDArray`, `RowSparseNDArray` or scipy.sparse matrix.

    For dense sources use `csr_matrix`, `row_sparse_array` or `NDArray.tostype`.

    Examples
    --------
    >>> import mxlite as mx
    >>> a = mx.nd.sparse.zeros('csr', (2, 2))
    >>> mx.nd.sparse.array(a).stype
    'csr'
    """
    if isinstance(source_array, CSRNDArray) or hasattr(source_array, 'tocsr'):
        return csr_matrix(source_array, ctx=ctx, dtype=dtype)
    if isinstance(source_array, RowSparseNDArray):
        return row_sparse_array(source_array, ctx=ctx, dtype=dtype)
    raise ValueError('mx.nd.sparse.array expects a CSRNDArray, RowSparseNDArray or '
                     'scipy.sparse matrix, got %s; use csr_matrix / row_sparse_array for '
                     'dense data' % type(source_array).__name__)


def retain(data, indices):
    """Keep only the rows of a `RowSparseNDArray` whose index is in `indices`.

    Examples
    --------
    >>> import mxlite as mx
    >>> r = mx.nd.sparse.row_sparse_array(([[1.0], [2.0]], [0, 2]), shape=(3, 1))
    >>> mx.nd.sparse.retain(r, mx.nd.array([2])).indices.asnumpy()
    array([2])
    """
    if not isinstance(data, RowSparseNDArray):
        raise TypeError('retain expects a RowSparseNDArray, got %s' % type(data).__name__)
    values, (rows,) = data._stored()
    keep = np.isin(rows, _index_array(indices, 'indices'))
    return RowSparseNDArray._from_parts(values[keep].copy(), [rows[keep].copy()],
                                        data.shape, data._ctx)


def __getattr__(name):
    # other mx.nd.sparse operators run on the dense fallback
    from .. import ndarray as _nd
    if not name.startswith('_') and hasattr(_nd, name):
        return getattr(_nd, name)
    raise AttributeError("module 'mxlite.ndarray.sparse' has no attribute '%s'" % name)
