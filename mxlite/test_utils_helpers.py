"""More of MXNet's ``mx.test_utils``: tolerance tables, comparison helpers, array and
matrix generators, and small test fixtures (`environment`, `retry`, `discard_stderr`,
`DummyIter`).

Everything here is re-exported by `mxlite.test_utils`, so code written for MXNet 1.9.1
(``from mxnet.test_utils import *``) finds the same names with the same signatures.

Tolerances follow MXNet's per-dtype tables: when a comparison gets ``rtol=None`` or
``atol=None`` it uses the entry for the less precise of the two operands' dtypes.
"""
import contextlib
import functools
import json
import os
import sys

import numpy as np

from .io.base import DataIter
from .ndarray.ndarray import NDArray, array

__all__ = ['set_env_var', 'default_rtols', 'default_atols', 'default_numeric_eps', 'effective_dtype',
           'get_tolerance', 'get_rtol', 'get_atol', 'get_etol', 'get_tols', 'assert_allclose',
           'assert_almost_equal_ignore_nan', 'assert_almost_equal_with_err', 'locationError',
           'same_array', 'same_symbol_structure', 'compare_ndarray_tuple', 'np_reduce',
           'collapse_sum_like', 'random_sample', 'rand_coord_2d', 'random_uniform_arrays',
           'create_2d_tensor', 'create_vector', 'create_sparse_array',
           'create_sparse_array_zd', 'shuffle_csr_column_indices', 'assign_each',
           'assign_each2', 'checkShapes', 'get_identity_mat', 'get_identity_mat_batch',
           'new_matrix_with_real_eigvals_2d', 'new_matrix_with_real_eigvals_nd',
           'new_orthonormal_matrix_2d', 'new_sym_matrix_with_real_eigvals_2d',
           'new_sym_matrix_with_real_eigvals_nd', 'environment', 'retry', 'discard_stderr',
           'DummyIter']

_INT_KINDS = ('bool', 'int8', 'uint8', 'int32', 'uint32', 'int64', 'uint64')


def assert_almost_equal(*args, **kwargs):
    # imported at call time: mxlite.test_utils imports this module at its end
    from .test_utils import assert_almost_equal as check
    return check(*args, **kwargs)


def _host(x):
    """A numpy view of an NDArray, array-like or scalar."""
    if isinstance(x, NDArray):
        return x.asnumpy()
    return np.asarray(x)


# ---------------------------------------------------------------------------- tolerances

def default_rtols():
    """Relative tolerance per dtype used when a comparison is given ``rtol=None``.

    Examples
    --------
    >>> import numpy as np
    >>> from mxlite.test_utils import default_rtols
    >>> default_rtols()[np.dtype('float32')]
    0.0001
    """
    table = {np.dtype(np.float16): 1e-2, np.dtype(np.float32): 1e-4,
             np.dtype(np.float64): 1e-5}
    table.update((np.dtype(k), 0) for k in _INT_KINDS)
    return table


def default_atols():
    """Absolute tolerance per dtype used when a comparison is given ``atol=None``."""
    table = {np.dtype(np.float16): 1e-1, np.dtype(np.float32): 1e-3,
             np.dtype(np.float64): 1e-20}
    table.update((np.dtype(k), 0) for k in _INT_KINDS)
    return table


def default_numeric_eps():
    """Finite-difference step per floating dtype (powers of two, so steps are exact)."""
    return {np.dtype(np.float16): 2.0 ** -6, np.dtype(np.float32): 2.0 ** -9,
            np.dtype(np.float64): 2.0 ** -14}


def effective_dtype(dat):
    """The dtype whose tolerances apply to `dat` (its own dtype: mxlite computes float32 in
    float32, never in a reduced-precision mode such as TF32)."""
    if isinstance(dat, NDArray):
        return np.dtype(dat.dtype)
    return np.asarray(dat).dtype if not hasattr(dat, 'dtype') else np.dtype(dat.dtype)


def _lookup(table, dtype):
    dtype = np.dtype(dtype)
    if dtype in table:
        return table[dtype]
    if dtype.kind in 'biu':          # integer types missing from a user table: exact
        return 0
    raise KeyError('no default tolerance for dtype %s' % dtype)


def get_tolerance(dat, tol, default_tol):
    """The tolerance for comparing `dat`: `tol` itself when it is a number, its entry for
    dat's dtype when it is a dict (falling back to `default_tol`), `default_tol`'s entry
    when it is None."""
    dtype = effective_dtype(dat)
    if tol is None:
        return _lookup(default_tol, dtype)
    if isinstance(tol, dict):
        return tol[dtype] if dtype in tol else _lookup(default_tol, dtype)
    return tol


def get_rtol(rtol=None, dtype=np.dtype(np.float64)):
    """`rtol`, or the default relative tolerance of `dtype` when `rtol` is None."""
    return _lookup(default_rtols(), dtype) if rtol is None else rtol


def get_atol(atol=None, dtype=np.dtype(np.float64)):
    """`atol`, or the default absolute tolerance of `dtype` when `atol` is None."""
    return _lookup(default_atols(), dtype) if atol is None else atol


def get_etol(etol=None):
    """`etol` (tolerated fraction of mismatching elements), 0 when None."""
    return 0 if etol is None else etol


def get_tols(x, y, rtol, atol):
    """(rtol, atol) for comparing x with y: the looser of the two operands' tolerances.

    Examples
    --------
    >>> import numpy as np
    >>> from mxlite.test_utils import get_tols
    >>> get_tols(np.zeros(2, np.float16), np.zeros(2), None, None)
    (0.01, 0.1)
    """
    rtol = max(get_tolerance(x, rtol, default_rtols()), get_tolerance(y, rtol, default_rtols()))
    atol = max(get_tolerance(x, atol, default_atols()), get_tolerance(y, atol, default_atols()))
    return rtol, atol


# ---------------------------------------------------------------------------- comparisons

def assert_allclose(a, b, rtol=1e-07, atol=0, equal_nan=True):
    """Raise AssertionError unless ``|a - b| <= atol + rtol * |b|`` everywhere (NaNs in the
    same places count as equal by default)."""
    assert_almost_equal(_host(a), _host(b), rtol=rtol, atol=atol, equal_nan=equal_nan)


def assert_almost_equal_ignore_nan(a, b, rtol=None, atol=None, names=('a', 'b')):
    """`assert_almost_equal` on copies of a and b in which every position that is NaN in
    either array is zeroed in both (the inputs are not modified)."""
    a = np.array(_host(a), copy=True)
    b = np.array(_host(b), copy=True)
    rtol, atol = get_tols(a, b, rtol, atol)
    nan_mask = np.logical_or(np.isnan(a), np.isnan(b))
    a[nan_mask] = 0
    b[nan_mask] = 0
    assert_almost_equal(a, b, rtol=rtol, atol=atol, names=names)


def locationError(a, b, index, names, maxError=False):
    """A one-line description of the element at `index` where a and b disagree.

    Examples
    --------
    >>> import numpy as np
    >>> from mxlite.test_utils import locationError
    >>> locationError(np.array([1., 2.]), np.array([1., 3.]), (1,), ('x', 'y'))
    'Location of error: (1,), x=2.00000000, y=3.00000000'
    """
    return 'Location of %serror: %s, %s=%.8f, %s=%.8f' % (
        'maximum ' if maxError else '', str(index), names[0], float(a[index]),
        names[1], float(b[index]))


def assert_almost_equal_with_err(a, b, rtol=None, atol=None, etol=None, names=('a', 'b'),
                                 equal_nan=False, mismatches=(10, 10)):
    """Like `assert_almost_equal`, but pass while the fraction of mismatching elements is
    below `etol` (default 0: any mismatch fails). `mismatches[0]` bounds how many
    mismatching elements the message lists."""
    a, b = _host(a), _host(b)
    rtol, atol = get_tols(a, b, rtol, atol)
    etol = get_etol(etol)
    a64, b64 = np.broadcast_arrays(a.astype(np.float64), b.astype(np.float64))
    close = np.isclose(a64, b64, rtol=rtol, atol=atol, equal_nan=equal_nan)
    if close.all():
        return
    bad = np.argwhere(~close)
    rate = len(bad) / float(close.size)
    if rate < etol:
        return
    with np.errstate(divide='ignore', invalid='ignore'):
        err = np.abs(a64 - b64) / (atol + rtol * np.abs(b64))
    err = np.where(np.isnan(err) | ~np.isfinite(err), np.inf, err)
    err = np.where(close, -1.0, err)
    worst = tuple(int(i) for i in np.unravel_index(np.argmax(err), err.shape))
    lines = ['Items are not equal:',
             'Error rate %f exceeds etol=%g (rtol=%g, atol=%g; %d of %d elements differ).'
             % (rate, etol, rtol, atol, len(bad), close.size),
             locationError(a64, b64, worst, names, maxError=True)]
    lines += [' ' + locationError(a64, b64, tuple(int(i) for i in idx), names)
              for idx in bad[:max(int(mismatches[0]), 0)]]
    raise AssertionError('\n'.join(lines))


def _address(arr):
    if hasattr(arr, '__array_interface__'):
        return arr.__array_interface__['data'][0]
    return arr.data.ptr                      # cupy


def same_array(array1, array2):
    """True when two NDArrays are the same memory seen with the same shape, so that writing
    through one changes the other element for element (as MXNet's check by mutation
    finds; a differently shaped view of the same buffer does not count)."""
    d1, d2 = array1._data, array2._data
    if d1 is d2:
        return True
    return (d1.shape == d2.shape and d1.dtype == d2.dtype and d1.strides == d2.strides
            and _address(d1) == _address(d2))


def same_symbol_structure(sym1, sym2):
    """True when the two graphs run the same operator at every node position they share
    (names and attributes are ignored; variables compare as 'null')."""
    nodes1 = json.loads(sym1.tojson())['nodes']
    nodes2 = json.loads(sym2.tojson())['nodes']
    return all(n1['op'] == n2['op'] for n1, n2 in zip(nodes1, nodes2))


def compare_ndarray_tuple(t1, t2, rtol=None, atol=None):
    """Assert that two (possibly nested) tuples of NDArrays are almost equal, pairwise;
    None on either side is skipped."""
    if t1 is None or t2 is None:
        return
    if isinstance(t1, NDArray):
        a, b = t1.asnumpy(), t2.asnumpy()
        r, t = get_tols(a, b, rtol, atol)
        assert_almost_equal(a, b, rtol=r, atol=t)
        return
    for s1, s2 in zip(t1, t2):
        compare_ndarray_tuple(s1, s2, rtol, atol)


# ---------------------------------------------------------------------------- reductions

def np_reduce(dat, axis, keepdims, numpy_reduce_func):
    """Reduce `dat` over `axis` (None: all axes; int; or a list/tuple of axes) with a
    NumPy reducer that only needs to accept a single int axis and ``keepdims``.

    Examples
    --------
    >>> import numpy as np
    >>> from mxlite.test_utils import np_reduce
    >>> np_reduce(np.arange(6.).reshape(2, 3), [0, 1], True, np.sum)
    array([[15.]])
    """
    if axis is None:
        axes = tuple(range(dat.ndim))
    elif isinstance(axis, (int, np.integer)):
        axes = (int(axis),)
    else:
        axes = tuple(int(a) for a in axis)
    axes = sorted({a % dat.ndim if dat.ndim else a for a in axes}, reverse=True)
    ret = dat
    for ax in axes:
        ret = numpy_reduce_func(ret, axis=ax, keepdims=True)
    if not keepdims and axes:
        ret = np.squeeze(ret, axis=tuple(axes))
        if isinstance(ret, np.ndarray) and ret.ndim == 0:
            ret = ret[()]
    return ret


def collapse_sum_like(a, shape):
    """Sum `a` down to `shape` (which must broadcast to a.shape): the reverse of
    broadcasting, as the gradient of a broadcast input needs.

    Examples
    --------
    >>> import numpy as np
    >>> from mxlite.test_utils import collapse_sum_like
    >>> collapse_sum_like(np.ones((2, 3)), (3,))
    array([2., 2., 2.])
    """
    shape = tuple(shape)
    if a.shape == shape:
        return a
    if len(shape) > a.ndim:
        raise ValueError('shape %s has more dimensions than %s' % (shape, a.shape))
    padded = (1,) * (a.ndim - len(shape)) + shape
    for want, have in zip(padded, a.shape):
        if want not in (1, have):
            raise ValueError('shape %s does not broadcast to %s' % (shape, a.shape))
    axes = tuple(i for i, (want, have) in enumerate(zip(padded, a.shape)) if want != have)
    ret = a.sum(axis=axes, keepdims=True).reshape(shape)
    return ret[()] if shape == () else ret


# ---------------------------------------------------------------------------- generators

def random_sample(population, k):
    """k distinct elements of `population`, chosen with NumPy's global random state."""
    population = list(population)
    assert 0 <= k <= len(population), 'sample larger than population'
    picks = np.random.permutation(len(population))[:k]
    return [population[int(i)] for i in picks]


def rand_coord_2d(x_low, x_high, y_low, y_high):
    """A random integer point (x, y) with x_low <= x < x_high and y_low <= y < y_high."""
    return (int(np.random.randint(x_low, x_high)), int(np.random.randint(y_low, y_high)))


def random_uniform_arrays(*shapes, **kwargs):
    """A list of numpy arrays, one per shape, uniform in [low, high) (keywords `low`=0,
    `high`=1, `dtype`='float32'); always a list, even for one shape."""
    low = kwargs.pop('low', 0.0)
    high = kwargs.pop('high', 1.0)
    dtype = kwargs.pop('dtype', 'float32')
    if kwargs:
        raise TypeError('unexpected keyword arguments: %s' % sorted(kwargs))
    return [np.asarray(np.random.uniform(low, high, size=s), dtype=dtype) for s in shapes]


def create_2d_tensor(rows, columns, dtype=np.int64):
    """An NDArray of shape (rows, columns) whose row i holds the value i everywhere."""
    data = np.repeat(np.arange(rows).reshape(rows, 1), columns, axis=1)
    return array(data.astype(dtype), dtype=dtype)


def create_vector(size, dtype=np.int64):
    """The NDArray [0, 1, ..., size-1]."""
    return array(np.arange(size).astype(dtype), dtype=dtype)


def _apply_each(values, function, dtype):
    return np.vectorize(function, otypes=[np.dtype(dtype)])(values) if values.size else values


def create_sparse_array(shape, stype, data_init=None, rsp_indices=None, dtype=None,
                        modifier_func=None, density=0.5, shuffle_csr_indices=False):
    """A random 'csr' or 'row_sparse' NDArray (mxlite's dense-backed sparse arrays).

    `density` is the fraction of stored entries (csr) or rows (row_sparse, unless
    `rsp_indices` names the rows); `data_init` fixes the stored values; `modifier_func`
    is then applied to each stored value; `shuffle_csr_indices` stores each csr row's
    column indices in random order.
    """
    from .test_utils import rand_sparse_ndarray
    dtype = np.dtype(np.float32 if dtype is None else dtype)
    if stype == 'row_sparse':
        if rsp_indices is not None:
            rsp_indices = sorted(set(int(i) for i in rsp_indices))
        arr, (values, indices) = rand_sparse_ndarray(
            shape, stype, density=density, dtype=dtype, data_init=data_init,
            rsp_indices=rsp_indices)
        if modifier_func is None:
            return arr
        from .ndarray import sparse
        return sparse.row_sparse_array((_apply_each(values, modifier_func, dtype), indices),
                                       shape=shape, dtype=dtype)
    if stype == 'csr':
        arr, (values, indices, indptr) = rand_sparse_ndarray(
            shape, stype, density=density, dtype=dtype, data_init=data_init)
        if modifier_func is not None:
            from .ndarray import sparse
            arr = sparse.csr_matrix((_apply_each(values, modifier_func, dtype), indices,
                                     indptr), shape=shape, dtype=dtype)
        return shuffle_csr_column_indices(arr) if shuffle_csr_indices else arr
    raise AssertionError('Unknown storage type: %s' % stype)


def create_sparse_array_zd(shape, stype, density, data_init=None, rsp_indices=None,
                           dtype=None, modifier_func=None, shuffle_csr_indices=False):
    """`create_sparse_array` that may give an all-zero array: a row_sparse array stores
    exactly the rows in `rsp_indices` (none when it is None); a csr array uses
    `density`, and density 0 stores nothing."""
    if stype == 'row_sparse':
        rsp_indices = [] if rsp_indices is None else rsp_indices
        density = 0.0
    return create_sparse_array(shape, stype, data_init=data_init, rsp_indices=rsp_indices,
                               dtype=dtype, modifier_func=modifier_func, density=density,
                               shuffle_csr_indices=shuffle_csr_indices)


def shuffle_csr_column_indices(csr):
    """A CSR array with the same value whose column indices (with their data) are stored
    in random order within each row: valid CSR need not sort them, and ops must cope."""
    from .ndarray import sparse
    data = csr.data.asnumpy()
    indices = csr.indices.asnumpy()
    indptr = csr.indptr.asnumpy()
    counts = np.diff(indptr)
    row = np.repeat(np.arange(len(counts)), counts)
    order = np.lexsort((np.random.rand(len(indices)), row))   # random within each row
    return sparse.csr_matrix((data[order], indices[order], indptr), shape=csr.shape,
                             dtype=csr.dtype)


def assign_each(the_input, function):
    """A numpy array of ``function(x)`` for every element x of `the_input` (float64), or a
    copy of `the_input` when `function` is None."""
    the_input = _host(the_input)
    if function is None:
        return np.array(the_input, copy=True)
    return np.vectorize(function, otypes=[np.float64])(the_input)


def assign_each2(input1, input2, function):
    """A numpy array of ``function(x, y)`` for paired elements of two same-shaped inputs
    (float64), or a copy of `input1` when `function` is None."""
    input1, input2 = _host(input1), _host(input2)
    assert input1.shape == input2.shape, \
        'shapes differ: %s vs %s' % (input1.shape, input2.shape)
    if function is None:
        return np.array(input1, copy=True)
    return np.vectorize(function, otypes=[np.float64])(input1, input2)


def checkShapes(a, b):
    """Assert that a and b have the same shape."""
    assert a.shape == b.shape, 'Items are not equal: a.shape = %s and b.shape = %s are ' \
        'not equal' % (a.shape, b.shape)


def get_identity_mat(size):
    """The float32 identity matrix of the given size, as an NDArray."""
    return array(np.eye(size, dtype=np.float32))


def get_identity_mat_batch(size):
    """A batch of two float32 identity matrices, shape (2, size, size), as an NDArray."""
    return array(np.stack([np.eye(size, dtype=np.float32)] * 2))


# -------------------------------------------------------------------- matrix generators
# Eigenvalues are drawn with magnitude in [1, 10] and a random sign, and eigenvectors
# from a matrix with condition number <= 2, so results invert and decompose stably.

def _eigvals(n):
    return np.random.uniform(1.0, 10.0, size=n) * np.random.choice([-1.0, 1.0], size=n)


def new_orthonormal_matrix_2d(n):
    """A random n x n float64 matrix Q with orthonormal rows and columns (Q @ Q.T == I).

    Examples
    --------
    >>> import numpy as np
    >>> from mxlite.test_utils import new_orthonormal_matrix_2d
    >>> q = new_orthonormal_matrix_2d(3)
    >>> bool(np.allclose(q @ q.T, np.eye(3)))
    True
    """
    q, r = np.linalg.qr(np.random.randn(n, n))
    signs = np.sign(np.diag(r))
    signs[signs == 0] = 1.0
    return q * signs                 # fixes QR's sign ambiguity: Haar-distributed Q


def new_matrix_with_real_eigvals_2d(n):
    """A random, well-conditioned, generally non-symmetric n x n float64 matrix whose
    eigenvalues are real, with magnitudes between 1 and 10."""
    basis = new_orthonormal_matrix_2d(n) @ np.diag(np.random.uniform(1.0, 2.0, n)) \
        @ new_orthonormal_matrix_2d(n)
    return basis @ np.diag(_eigvals(n)) @ np.linalg.inv(basis)


def new_sym_matrix_with_real_eigvals_2d(n):
    """A random symmetric n x n float64 matrix with eigenvalue magnitudes between 1
    and 10."""
    q = new_orthonormal_matrix_2d(n)
    mat = q @ np.diag(_eigvals(n)) @ q.T
    return (mat + mat.T) / 2         # exactly symmetric despite rounding


def _batched(make, shape):
    shape = tuple(shape)
    assert len(shape) >= 2 and shape[-1] == shape[-2], \
        'need a shape (..., n, n) of square matrices; got %s' % (shape,)
    n = shape[-1]
    batch = int(np.prod(shape[:-2], dtype=np.int64))
    return np.stack([make(n) for _ in range(batch)]).reshape(shape) if batch \
        else np.zeros(shape)


def new_matrix_with_real_eigvals_nd(shape):
    """A float64 array of shape (..., n, n) of `new_matrix_with_real_eigvals_2d` matrices."""
    return _batched(new_matrix_with_real_eigvals_2d, shape)


def new_sym_matrix_with_real_eigvals_nd(shape):
    """A float64 array of shape (..., n, n) of `new_sym_matrix_with_real_eigvals_2d`
    matrices."""
    return _batched(new_sym_matrix_with_real_eigvals_2d, shape)


# ---------------------------------------------------------------------------- fixtures

@contextlib.contextmanager
def environment(*args):
    """Set environment variables for the body of a ``with`` block and restore the previous
    state afterwards, even when the body raises.

    Call as ``environment(name, value)`` or ``environment({name: value, ...})``; a value
    of None unsets the variable.

    Examples
    --------
    >>> import os
    >>> from mxlite.test_utils import environment
    >>> with environment('MXLITE_DOC_VAR', '1'):
    ...     os.environ['MXLITE_DOC_VAR']
    '1'
    >>> 'MXLITE_DOC_VAR' in os.environ
    False
    """
    if len(args) == 2:
        settings = {args[0]: args[1]}
    elif len(args) == 1 and isinstance(args[0], dict):
        settings = dict(args[0])
    else:
        raise AssertionError('Expecting one dict arg or two args: env var name and value')
    saved = {name: os.environ.get(name) for name in settings}
    try:
        for name, value in settings.items():
            _setenv(name, value)
        yield
    finally:
        for name, value in saved.items():
            _setenv(name, value)


def _setenv(name, value):
    if value is None:
        os.environ.pop(name, None)
    else:
        os.environ[name] = value         # a non-str value raises TypeError, as in MXNet


def retry(n):
    """Decorator: run a stochastic test up to `n` times, stopping at the first run that
    does not raise AssertionError; the last run's AssertionError propagates. Other
    exceptions propagate at once."""
    assert n > 0, 'retry needs n > 0, got %r' % (n,)

    def decorate(f):
        @functools.wraps(f)
        def wrapper(*args, **kwargs):
            for attempt in range(n):
                try:
                    return f(*args, **kwargs)
                except AssertionError:
                    if attempt == n - 1:
                        raise
        return wrapper
    return decorate


@contextlib.contextmanager
def discard_stderr():
    """Discard everything written to standard error inside the ``with`` block: Python's
    ``sys.stderr`` and file descriptor 2 (output of native code) alike."""
    sys.stderr.flush()
    saved_fd = os.dup(2)
    saved_stream = sys.stderr
    with open(os.devnull, 'w') as devnull:
        os.dup2(devnull.fileno(), 2)
        sys.stderr = devnull
        try:
            yield
        finally:
            try:
                sys.stderr.flush()
            finally:
                sys.stderr = saved_stream
                os.dup2(saved_fd, 2)
                os.close(saved_fd)


class DummyIter(DataIter):
    """A data iterator that returns the first batch of `real_iter` forever (it never
    raises StopIteration): for timing a model without the cost of loading data.

    Parameters
    ----------
    real_iter : mx.io.DataIter
        Where the single batch comes from; its ``provide_data``/``provide_label`` and
        ``batch_size`` are copied.

    Examples
    --------
    >>> import numpy as np
    >>> import mxlite as mx
    >>> real = mx.io.NDArrayIter(np.arange(8.).reshape(4, 2), batch_size=2)
    >>> it = mx.test_utils.DummyIter(real)
    >>> it.next() is it.next()
    True
    """

    def __init__(self, real_iter):
        super().__init__(batch_size=real_iter.batch_size)
        self.real_iter = real_iter
        self.provide_data = real_iter.provide_data
        self.provide_label = real_iter.provide_label
        self.batch_size = real_iter.batch_size
        self.the_batch = next(real_iter)

    def __iter__(self):
        return self

    def reset(self):
        pass

    def next(self):
        return self.the_batch

    __next__ = next


def set_env_var(key, val, default_val=''):
    """Set environment variable `key` to `val`; returns its previous value (`default_val`
    when it was unset), as MXNet's helper."""
    previous = os.environ.get(key, default_val)
    os.environ[key] = str(val)
    return previous
