"""mx.nd.sparse: CSRNDArray / RowSparseNDArray (dense fallback) and their file records."""
import pickle

import numpy as np
import pytest

import mxlite as mx
from mxlite.base import MXNetError
from mxlite.ndarray import sparse
from mxlite.ndarray.serialization import dumps, loads

DENSE_CSR = np.array([[1.0, 0, 2.0, 0, 0], [0, 0, 0, 0, 0], [0, 3.0, 0, 0, 0],
                      [0, 0, 0, 4.5, 0]], np.float32)
DENSE_RSP = np.array([[1, 2, 3], [0, 0, 0], [0, 0, 0], [4, 5, 6], [0, 0, 0]], np.float32)


# ---------------------------------------------------------------------- construction table
# (name, builder, expected dense, expected (data, indices, indptr or None), dtype)
CASES = [
    ('csr tuple', lambda: sparse.csr_matrix(([1, 2, 3, 4.5], [0, 2, 1, 3], [0, 2, 2, 3, 4]),
                                            shape=(4, 5)),
     DENSE_CSR, ([1, 2, 3, 4.5], [0, 2, 1, 3], [0, 2, 2, 3, 4]), np.float32),
    ('csr tuple, inferred shape', lambda: sparse.csr_matrix(([1.0], [2], [0, 0, 1])),
     np.array([[0, 0, 0], [0, 0, 1]], np.float32), ([1], [2], [0, 0, 1]), np.float32),
    ('csr from NDArray', lambda: sparse.csr_matrix(mx.nd.array(DENSE_CSR)),
     DENSE_CSR, ([1, 2, 3, 4.5], [0, 2, 1, 3], [0, 2, 2, 3, 4]), np.float32),
    ('csr from float64 numpy', lambda: sparse.csr_matrix(DENSE_CSR.astype(np.float64)),
     DENSE_CSR, ([1, 2, 3, 4.5], [0, 2, 1, 3], [0, 2, 2, 3, 4]), np.float64),
    ('csr from list', lambda: sparse.csr_matrix([[0, 7], [0, 0]]),
     np.array([[0, 7], [0, 0]], np.float32), ([7], [1], [0, 1, 1]), np.float32),
    ('csr COO, duplicates summed', lambda: sparse.csr_matrix(
        ([1.0, 2.0, 5.0], ([0, 0, 1], [1, 1, 0])), shape=(2, 2)),
     np.array([[0, 3], [5, 0]], np.float32), ([3, 5], [1, 0], [0, 1, 2]), np.float32),
    ('csr shape only', lambda: sparse.csr_matrix((2, 3), dtype='int32'),
     np.zeros((2, 3), np.int32), ([], [], [0, 0, 0]), np.int32),
    ('csr via tostype', lambda: mx.nd.array(DENSE_CSR).tostype('csr'),
     DENSE_CSR, ([1, 2, 3, 4.5], [0, 2, 1, 3], [0, 2, 2, 3, 4]), np.float32),
    ('csr via mx.nd.zeros', lambda: mx.nd.zeros((3, 2), stype='csr'),
     np.zeros((3, 2), np.float32), ([], [], [0, 0, 0, 0]), np.float32),
    ('rsp tuple', lambda: sparse.row_sparse_array(([[1, 2, 3], [4, 5, 6]], [0, 3]),
                                                  shape=(5, 3)),
     DENSE_RSP, ([[1, 2, 3], [4, 5, 6]], [0, 3], None), np.float32),
    ('rsp tuple, inferred shape', lambda: sparse.row_sparse_array(
        (np.array([[1, 2]], np.int64), [2])),
     np.array([[0, 0], [0, 0], [1, 2]], np.int64), ([[1, 2]], [2], None), np.int64),
    ('rsp from dense', lambda: sparse.row_sparse_array(mx.nd.array(DENSE_RSP)),
     DENSE_RSP, ([[1, 2, 3], [4, 5, 6]], [0, 3], None), np.float32),
    ('rsp shape only', lambda: sparse.row_sparse_array((3, 2)),
     np.zeros((3, 2), np.float32), (np.zeros((0, 2)), [], None), np.float32),
    ('rsp 1-d', lambda: sparse.row_sparse_array(([5.0], [1]), shape=(3,)),
     np.array([0, 5, 0], np.float32), ([5], [1], None), np.float32),
    ('rsp zeros', lambda: sparse.zeros('row_sparse', (4, 2, 2), dtype='float16'),
     np.zeros((4, 2, 2), np.float16), (np.zeros((0, 2, 2)), [], None), np.float16),
]


@pytest.mark.parametrize('name,build,dense,parts,dtype', CASES, ids=[c[0] for c in CASES])
def test_construction(name, build, dense, parts, dtype):
    arr = build()
    data, indices, indptr = parts
    assert arr.stype == ('csr' if indptr is not None else 'row_sparse')
    assert isinstance(arr, sparse.CSRNDArray if indptr is not None else sparse.RowSparseNDArray)
    assert arr.dtype == dtype and arr.shape == dense.shape
    assert np.array_equal(arr.asnumpy(), dense)
    assert np.array_equal(arr.data.asnumpy(), np.asarray(data, dtype).reshape(arr.data.shape))
    assert arr.data.dtype == dtype
    assert arr.indices.dtype == np.int64 and list(arr.indices.asnumpy()) == list(indices)
    if indptr is not None:
        assert list(arr.indptr.asnumpy()) == list(indptr)
    assert arr.context == mx.cpu(0)
    arr.check_format()
    back = loads(dumps([arr]))[0]
    assert type(back) is type(arr) and np.array_equal(back.asnumpy(), dense)


def test_scipy_round_trip():
    scipy_sparse = pytest.importorskip('scipy.sparse')
    mat = scipy_sparse.random(6, 4, density=0.4, format='csr', random_state=0)
    arr = sparse.array(mat)
    assert arr.dtype == np.float64
    assert np.array_equal(arr.asnumpy(), mat.toarray())
    assert np.array_equal(arr.asscipy().toarray(), mat.toarray())


def test_repr_matches_mxnet(golden):
    transcript = (golden / 'transcripts' / 'd_ndarray_repr.stdout.txt').read_text()
    csr = sparse.zeros('csr', (2, 3))
    rsp = sparse.zeros('row_sparse', (3, 2))
    assert repr(csr) == str(csr) == '\n<CSRNDArray 2x3 @cpu(0)>'
    assert repr(rsp) == str(rsp) == '\n<RowSparseNDArray 3x2 @cpu(0)>'
    assert 'str : %s\nrepr: %s\n' % (str(csr), repr(csr)) in transcript
    assert 'str : %s\nrepr: %s\n' % (str(rsp), repr(rsp)) in transcript


# ---------------------------------------------------------------------- golden bytes
def test_saving_matches_golden_sparse_files(golden):
    formats = golden / 'formats'
    csr = sparse.csr_matrix(([1, 2, 3, 4.5], [0, 2, 1, 3], [0, 2, 2, 3, 4]), shape=(4, 5))
    rsp = sparse.row_sparse_array(([[1, 2, 3], [4, 5, 6]], [0, 3]), shape=(5, 3))
    assert dumps([csr]) == (formats / 'csr.nd').read_bytes()
    assert dumps([rsp]) == (formats / 'row_sparse.nd').read_bytes()
    mixed = {
        'dense': mx.nd.array([[1, 2], [3, 4]]),
        'csr64': sparse.csr_matrix((np.array([-1.5, 0.25]), [1, 0], [0, 1, 1, 2]),
                                   shape=(3, 2)),
        'rsp': rsp,
        'rsp_empty': sparse.row_sparse_array((3, 2)),
    }
    assert dumps(mixed) == (formats / 'sparse_mixed.nd').read_bytes()


def test_explicit_zeros_and_aux_dtypes_survive_round_trip():
    values = np.array([0.0, 2.0], np.float32)          # an explicitly stored zero
    aux = [np.array([0, 1, 2], np.int32), np.array([1, 0], np.int32)]
    arr = sparse.CSRNDArray._from_parts(values, aux, (2, 2), mx.cpu())
    raw = dumps([arr])
    back = loads(raw)[0]
    assert list(back.data.asnumpy()) == [0.0, 2.0]
    assert back.indices.dtype == np.int32 and back._aux_types == [np.int32, np.int32]
    assert dumps([back]) == raw


def test_writes_recompute_the_sparse_view():
    arr = sparse.csr_matrix(([1.0, 0.0], [0, 1], [0, 2, 2]), shape=(2, 2))
    assert list(arr.data.asnumpy()) == [1.0, 0.0]
    arr[:] = mx.nd.array([[0, 0], [0, 9]])
    assert list(arr.data.asnumpy()) == [9.0]
    assert list(arr.indptr.asnumpy()) == [0, 0, 1] and list(arr.indices.asnumpy()) == [1]
    rsp = sparse.row_sparse_array(([[1.0]], [0]), shape=(3, 1))
    rsp += 1
    assert list(rsp.indices.asnumpy()) == [0, 1, 2]


# ---------------------------------------------------------------------- conversions
def test_conversions():
    dense = mx.nd.array(DENSE_CSR)
    csr = dense.tostype('csr')
    assert type(csr.tostype('default')) is mx.nd.NDArray
    assert np.array_equal(sparse.cast_storage(csr, 'default').asnumpy(), DENSE_CSR)
    assert csr.tostype('csr') is not csr
    with pytest.raises(ValueError, match='not supported'):
        csr.tostype('row_sparse')
    rsp = dense.tostype('row_sparse')
    assert list(rsp.indices.asnumpy()) == [0, 2, 3]
    with pytest.raises(ValueError, match='not supported'):
        rsp.tostype('csr')
    with pytest.raises(ValueError, match='storage type'):
        sparse.cast_storage(dense, 'coo')
    with pytest.raises(MXNetError, match='2-D'):
        mx.nd.ones((2, 2, 2)).tostype('csr')


def test_copy_astype_context_and_pickle():
    csr = sparse.csr_matrix(([1.0, 2.0], [1, 0], [0, 1, 2]), shape=(2, 2))
    for other in (csr.copy(), csr.astype('float64'), csr.as_in_context(mx.cpu(1)),
                  csr.copyto(mx.cpu(2)), sparse.array(csr), pickle.loads(pickle.dumps(csr))):
        assert isinstance(other, sparse.CSRNDArray) and other is not csr
        assert np.array_equal(other.asnumpy(), csr.asnumpy())
        assert list(other.indices.asnumpy()) == [1, 0]
    assert csr.astype('float64').dtype == np.float64
    assert csr.as_in_context(mx.cpu(1)).context == mx.cpu(1)
    assert csr.astype('float32', copy=False) is csr
    rsp = sparse.row_sparse_array(([[1.0]], [1]), shape=(2, 1))
    assert isinstance(pickle.loads(pickle.dumps(rsp)), sparse.RowSparseNDArray)


def test_operators_fall_back_to_dense():
    csr = sparse.csr_matrix(([1.0, 2.0], [1, 0], [0, 1, 2]), shape=(2, 2))
    out = csr * 2 + 1
    assert type(out) is mx.nd.NDArray
    assert np.array_equal(out.asnumpy(), np.array([[1, 3], [5, 1]], np.float32))


def test_getitem():
    csr = sparse.csr_matrix(mx.nd.array(DENSE_CSR))
    assert csr[:] is csr
    rows = csr[2:4]
    assert isinstance(rows, sparse.CSRNDArray) and rows.shape == (2, 5)
    assert np.array_equal(rows.asnumpy(), DENSE_CSR[2:4])
    assert np.array_equal(csr[-1].asnumpy(), DENSE_CSR[3:4])
    with pytest.raises(ValueError):
        csr[::2]
    with pytest.raises(ValueError):
        csr[1, 2]
    with pytest.raises(IndexError):
        csr[4]
    rsp = sparse.row_sparse_array(mx.nd.array(DENSE_RSP))
    assert rsp[:] is rsp
    with pytest.raises(ValueError):
        rsp[1]


def test_retain_zeros_empty_array():
    rsp = sparse.row_sparse_array(([[1.0], [2.0], [3.0]], [0, 2, 4]), shape=(5, 1))
    kept = sparse.retain(rsp, mx.nd.array([2, 4]))
    assert list(kept.indices.asnumpy()) == [2, 4] and kept.shape == (5, 1)
    assert list(rsp.retain([0]).data.asnumpy().ravel()) == [1.0]
    assert sparse.empty('csr', (2, 2)).stype == 'csr'
    assert type(sparse.zeros('default', (2,))) is mx.nd.NDArray
    with pytest.raises(ValueError, match='csr_matrix'):
        sparse.array(mx.nd.ones((2, 2)))
    with pytest.raises(ValueError):
        sparse.zeros('csr', (2, 2, 2))


# ---------------------------------------------------------------------- invalid input
INVALID = [
    ('indptr not rows+1', lambda: sparse.csr_matrix(([1.0], [0], [0, 1]), shape=(3, 2)),
     'indptr'),
    ('indptr decreasing', lambda: sparse.csr_matrix(([1.0, 2.0], [0, 1], [0, 2, 1, 2]),
                                                    shape=(3, 2)), 'non-decreasing'),
    ('indptr end != nnz', lambda: sparse.csr_matrix(([1.0], [0], [0, 0, 0]), shape=(2, 2)),
     'nnz'),
    ('column out of range', lambda: sparse.csr_matrix(([1.0], [5], [0, 1]), shape=(1, 2)),
     r'\[0, 2\)'),
    ('values vs indices', lambda: sparse.csr_matrix(([1.0, 2.0], [0], [0, 2]), shape=(1, 2)),
     'column indices'),
    ('float indices', lambda: sparse.csr_matrix(([1.0], [0.5], [0, 1]), shape=(1, 2)),
     'integers'),
    ('row out of range', lambda: sparse.row_sparse_array(([[1.0]], [3]), shape=(2, 1)),
     r'\[0, 2\)'),
    ('rsp data shape', lambda: sparse.row_sparse_array(([[1.0, 2.0]], [0]), shape=(2, 3)),
     'expected'),
    ('dense too big', lambda: sparse.zeros('csr', (1 << 20, 1 << 20)),
     'DENSE_FALLBACK_LIMIT'),
]


@pytest.mark.parametrize('name,build,pattern', INVALID, ids=[c[0] for c in INVALID])
def test_invalid_components(name, build, pattern):
    with pytest.raises(sparse.SparseFormatError, match=pattern) as info:
        build()
    assert isinstance(info.value, MXNetError) and isinstance(info.value, ValueError)


def test_nd_cast_storage_gives_the_sparse_types():
    dense = mx.nd.array([[0, 1], [2, 0]])
    csr = mx.nd.cast_storage(dense, 'csr')
    assert csr.stype == 'csr'
    assert mx.nd.cast_storage(dense, 'row_sparse').stype == 'row_sparse'
    back = mx.nd.cast_storage(csr, 'default')
    assert back.stype == 'default'
    np.testing.assert_array_equal(back.asnumpy(), dense.asnumpy())
