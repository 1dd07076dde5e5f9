"""Tests for mxlite/test_utils_helpers.py, reached as mx.test_utils.X like MXNet users do.

Expected tolerance tables and behaviours were read off MXNet 1.9.1's mx.test_utils.
"""
import os
import sys

import numpy as np
import pytest

import mxlite as mx
from mxlite import test_utils as tu

F16, F32, F64 = np.dtype('float16'), np.dtype('float32'), np.dtype('float64')
INTS = ['bool', 'int8', 'uint8', 'int32', 'uint32', 'int64', 'uint64']


# ------------------------------------------------------------------------ tolerances

@pytest.mark.parametrize('dtype,rtol,atol', [
    (F16, 1e-2, 1e-1), (F32, 1e-4, 1e-3), (F64, 1e-5, 1e-20)] + [(d, 0, 0) for d in INTS])
def test_default_tolerance_tables(dtype, rtol, atol):
    assert tu.default_rtols()[np.dtype(dtype)] == rtol
    assert tu.default_atols()[np.dtype(dtype)] == atol
    assert tu.get_rtol(None, np.dtype(dtype)) == rtol
    assert tu.get_atol(None, np.dtype(dtype)) == atol


def test_numeric_eps_and_small_getters():
    assert tu.default_numeric_eps() == {F16: 0.015625, F32: 0.001953125, F64: 6.103515625e-05}
    assert tu.get_rtol() == 1e-5 and tu.get_atol() == 1e-20
    assert tu.get_rtol(0.3) == 0.3 and tu.get_atol(0.4, F16) == 0.4
    assert tu.get_etol() == 0 and tu.get_etol(0.5) == 0.5


@pytest.mark.parametrize('make', [np.zeros, lambda s, dtype: mx.nd.zeros(s, dtype=dtype)])
@pytest.mark.parametrize('dtype', ['float16', 'float32', 'float64', 'int32', 'uint8'])
def test_effective_dtype(make, dtype):
    assert tu.effective_dtype(make((2,), dtype=dtype)) == np.dtype(dtype)


def test_get_tolerance_number_dict_default():
    a = np.zeros(3, np.float16)
    assert tu.get_tolerance(a, None, tu.default_rtols()) == 0.01
    assert tu.get_tolerance(a, 0.5, tu.default_rtols()) == 0.5
    assert tu.get_tolerance(a, {F16: 0.3}, tu.default_rtols()) == 0.3
    assert tu.get_tolerance(a, {F32: 0.3}, tu.default_rtols()) == 0.01   # falls back


@pytest.mark.parametrize('x,y,rtol,atol,expect', [
    (np.zeros(2, np.float16), np.zeros(2), None, None, (0.01, 0.1)),
    (np.zeros(2, np.float32), np.zeros(2), None, None, (1e-4, 1e-3)),
    (np.zeros(2, np.float32), np.zeros(2), 0.1, {F32: 7}, (0.1, 7)),
    (np.zeros(2, np.int32), np.zeros(2), None, None, (1e-5, 1e-20)),
    (np.zeros(2, np.int32), np.zeros(2, np.int8), None, None, (0, 0)),
    (2.0, 2.0, None, None, (1e-5, 1e-20)),
    (3, 3, None, None, (0, 0)),
    (mx.nd.zeros(2, dtype='float16'), np.zeros(2), None, None, (0.01, 0.1)),
])
def test_get_tols_takes_the_looser(x, y, rtol, atol, expect):
    assert tu.get_tols(x, y, rtol, atol) == expect


# ------------------------------------------------------------------------ comparisons

def test_assert_allclose():
    tu.assert_allclose(np.array([1.0, np.nan]), np.array([1.0, np.nan]))
    tu.assert_allclose(mx.nd.array([1.0, 2]), mx.nd.array([1.0, 2]))
    with pytest.raises(AssertionError):
        tu.assert_allclose(np.array([1.0, 2]), np.array([1.0, 2.1]))
    with pytest.raises(AssertionError):
        tu.assert_allclose(np.array([1.0, np.nan]), np.array([1.0, np.nan]), equal_nan=False)


def test_assert_almost_equal_ignore_nan():
    a = np.array([1.0, np.nan, 3])
    tu.assert_almost_equal_ignore_nan(a, np.array([1.0, 5, np.nan]))
    assert np.isnan(a[1])                                  # input left untouched
    with pytest.raises(AssertionError):
        tu.assert_almost_equal_ignore_nan(a, np.array([2.0, 5, np.nan]))
    # default tolerance follows the dtype: float16 allows 1e-2 relative
    tu.assert_almost_equal_ignore_nan(np.array([1.0], np.float16), np.array([1.005], np.float16))


def test_assert_almost_equal_with_err():
    a, b = np.array([1., 2, 3, 4]), np.array([1., 2, 3, 5])     # 25% mismatch
    tu.assert_almost_equal_with_err(a, a)
    tu.assert_almost_equal_with_err(a, b, etol=0.3)
    with pytest.raises(AssertionError, match=r'Error rate 0\.25.*\n.*maximum error: \(3,\)'):
        tu.assert_almost_equal_with_err(a, b, etol=0.2)
    with pytest.raises(AssertionError, match='exceeds etol=0'):
        tu.assert_almost_equal_with_err(a, b, names=('x', 'y'))
    tu.assert_almost_equal_with_err(a, b, atol=1.0, rtol=0)


def test_location_error():
    a, b = np.array([[1., 2], [3, 4]]), np.array([[1., 2], [3, 5]])
    assert tu.locationError(a, b, (1, 1), ('x', 'y')) == \
        'Location of error: (1, 1), x=4.00000000, y=5.00000000'
    assert tu.locationError(a, b, (1, 1), ('x', 'y'), maxError=True).startswith(
        'Location of maximum error: (1, 1)')


def test_same_array_detects_shared_memory():
    x = mx.nd.ones((2, 3))
    assert tu.same_array(x, x)
    assert tu.same_array(x, x[:])                     # full view: same memory, same shape
    assert not tu.same_array(x, x.copy())
    assert not tu.same_array(x, x[0:1])               # part of it: not the same array
    assert not tu.same_array(x, x.reshape((3, 2)))
    y = mx.nd.ones((4, 3))
    assert not tu.same_array(y[0:2], y[2:4])
    np.testing.assert_array_equal(x.asnumpy(), np.ones((2, 3)))   # nothing was mutated


def test_same_symbol_structure():
    a, b = mx.sym.var('a'), mx.sym.var('b')
    assert tu.same_symbol_structure(a + b, mx.sym.var('x') + mx.sym.var('y'))
    assert not tu.same_symbol_structure(a + b, a * b)
    assert tu.same_symbol_structure(mx.sym.relu(a), mx.sym.relu(a, name='foo'))


def test_compare_ndarray_tuple():
    one = mx.nd.ones(2)
    tu.compare_ndarray_tuple((one, None, (mx.nd.ones(1),)), (one + 1e-4, None, (mx.nd.ones(1),)))
    tu.compare_ndarray_tuple(one, one)
    tu.compare_ndarray_tuple(None, None)
    with pytest.raises(AssertionError):
        tu.compare_ndarray_tuple((one,), (mx.nd.zeros(2),))
    with pytest.raises(AssertionError):
        tu.compare_ndarray_tuple((one,), (one + 1e-4,), rtol=1e-7, atol=1e-7)


# ------------------------------------------------------------------------ reductions

@pytest.mark.parametrize('axis', [None, 0, 1, -1, (0, 2), [2, 0], (), (1, -1)])
@pytest.mark.parametrize('keepdims', [True, False])
@pytest.mark.parametrize('func', [np.sum, np.max, np.prod, np.mean])
def test_np_reduce_equals_numpy(axis, keepdims, func):
    d = np.random.RandomState(0).rand(2, 3, 4)
    got = tu.np_reduce(d, axis, keepdims, func)
    ax = tuple(axis) if isinstance(axis, list) else axis
    np.testing.assert_allclose(got, func(d, axis=ax, keepdims=keepdims), rtol=1e-12)
    assert np.shape(got) == np.shape(func(d, axis=ax, keepdims=keepdims))


@pytest.mark.parametrize('shape', [(3, 1), (2, 1, 4), (), (2, 3, 4), (4,), (1, 3, 4)])
def test_collapse_sum_like_reverses_broadcast(shape):
    a = np.random.RandomState(1).rand(2, 3, 4)
    got = tu.collapse_sum_like(a, shape)
    assert np.shape(got) == shape
    # summing a broadcast of ones gives how many times each target element was repeated
    ones = np.ones(shape)
    np.testing.assert_allclose(tu.collapse_sum_like(np.broadcast_to(ones, a.shape), shape),
                               ones * (a.size / ones.size))
    np.testing.assert_allclose(np.sum(got), a.sum())
    with pytest.raises(ValueError, match='does not broadcast'):
        tu.collapse_sum_like(a, (5,))


# ------------------------------------------------------------------------ generators

def test_random_sample_and_coords():
    np.random.seed(3)
    s = tu.random_sample(range(10), 4)
    assert len(s) == 4 and len(set(s)) == 4 and set(s) <= set(range(10))
    assert sorted(tu.random_sample([1, 2, 3], 3)) == [1, 2, 3]
    with pytest.raises(AssertionError):
        tu.random_sample([1, 2, 3], 5)
    pts = {tu.rand_coord_2d(0, 3, 5, 7) for _ in range(300)}
    assert pts == {(x, y) for x in range(3) for y in (5, 6)}


def test_random_uniform_arrays():
    a, b = tu.random_uniform_arrays((2, 3), (4,))
    assert a.shape == (2, 3) and b.shape == (4,) and a.dtype == np.float32
    assert ((a >= 0) & (a < 1)).all()
    (c,) = tu.random_uniform_arrays((50,), low=5, high=6, dtype='float64')
    assert c.dtype == np.float64 and ((c >= 5) & (c < 6)).all()
    assert tu.random_uniform_arrays(())[0].shape == ()


def test_create_2d_tensor_and_vector():
    t = tu.create_2d_tensor(3, 4)
    assert isinstance(t, mx.nd.NDArray) and t.dtype == np.int64
    np.testing.assert_array_equal(t.asnumpy(), np.arange(3)[:, None] * np.ones((1, 4)))
    assert tu.create_2d_tensor(3, 4, np.float32).dtype == np.float32
    v = tu.create_vector(5)
    np.testing.assert_array_equal(v.asnumpy(), np.arange(5))
    assert v.dtype == np.int64 and tu.create_vector(5, np.float32).dtype == np.float32


def test_create_sparse_array():
    np.random.seed(0)
    c = tu.create_sparse_array((4, 5), 'csr', density=0.5)
    assert c.stype == 'csr' and c.shape == (4, 5) and c.dtype == np.float32
    r = tu.create_sparse_array((4, 5), 'row_sparse', data_init=7, rsp_indices=[2, 0],
                               dtype='float64', modifier_func=lambda v: v * 2)
    assert r.stype == 'row_sparse' and r.dtype == np.float64
    np.testing.assert_array_equal(r.indices.asnumpy(), [0, 2])
    np.testing.assert_array_equal(r.asnumpy(), np.array([14, 0, 14, 0])[:, None] * np.ones(5))
    full = tu.create_sparse_array((3, 4), 'csr', data_init=3, modifier_func=lambda v: v + 1,
                                  density=1.0)
    np.testing.assert_array_equal(full.asnumpy(), np.full((3, 4), 4.0))
    with pytest.raises(AssertionError, match='Unknown storage type: default'):
        tu.create_sparse_array((4, 5), 'default')


def test_create_sparse_array_zd():
    r = tu.create_sparse_array_zd((4, 5), 'row_sparse', 0.5, data_init=1, rsp_indices=[1, 3])
    np.testing.assert_array_equal(r.asnumpy().any(axis=1), [False, True, False, True])
    assert not tu.create_sparse_array_zd((4, 5), 'row_sparse', 0.5).asnumpy().any()
    z = tu.create_sparse_array_zd((4, 5), 'csr', 0.0)
    assert z.stype == 'csr' and not z.asnumpy().any()


def test_shuffle_csr_column_indices_keeps_value():
    np.random.seed(5)
    dense = np.arange(1, 41, dtype=np.float32).reshape(4, 10)
    c = mx.nd.array(dense).tostype('csr')
    s = tu.shuffle_csr_column_indices(c)
    np.testing.assert_array_equal(s.asnumpy(), dense)
    np.testing.assert_array_equal(s.indptr.asnumpy(), c.indptr.asnumpy())
    idx = s.indices.asnumpy()
    assert any((np.diff(idx[i * 10:(i + 1) * 10]) < 0).any() for i in range(4))  # unsorted
    assert all(sorted(idx[i * 10:(i + 1) * 10]) == list(range(10)) for i in range(4))


def test_assign_each():
    x = np.array([[1, 2], [3, 4]])
    np.testing.assert_array_equal(tu.assign_each(x, lambda v: v * 10), x * 10)
    assert tu.assign_each(x, lambda v: v * 10).dtype == np.float64
    copy = tu.assign_each(x, None)
    assert copy.dtype == x.dtype and copy is not x and (copy == x).all()
    np.testing.assert_array_equal(tu.assign_each(mx.nd.array(x), lambda v: -v), -x)
    np.testing.assert_array_equal(
        tu.assign_each2(np.array([1, 2]), np.array([1.5, 2]), lambda a, b: a + b), [2.5, 4])
    np.testing.assert_array_equal(tu.assign_each2(x, x, None), x)


def test_check_shapes_and_identities():
    tu.checkShapes(np.ones((2, 3)), np.ones((2, 3)))
    with pytest.raises(AssertionError, match=r'\(2, 3\).*\(3, 2\)'):
        tu.checkShapes(np.ones((2, 3)), np.ones((3, 2)))
    i = tu.get_identity_mat(3)
    assert isinstance(i, mx.nd.NDArray) and i.dtype == np.float32
    np.testing.assert_array_equal(i.asnumpy(), np.eye(3))
    np.testing.assert_array_equal(tu.get_identity_mat_batch(3).asnumpy(), np.stack([np.eye(3)] * 2))


@pytest.mark.parametrize('n', [1, 2, 5])
def test_matrix_generators_2d(n):
    np.random.seed(n)
    q = tu.new_orthonormal_matrix_2d(n)
    np.testing.assert_allclose(q @ q.T, np.eye(n), atol=1e-12)
    np.testing.assert_allclose(q.T @ q, np.eye(n), atol=1e-12)
    m = tu.new_matrix_with_real_eigvals_2d(n)
    ev = np.linalg.eigvals(m)
    assert m.shape == (n, n) and m.dtype == np.float64
    np.testing.assert_allclose(ev.imag, 0, atol=1e-8)
    assert ((np.abs(ev.real) >= 1 - 1e-8) & (np.abs(ev.real) <= 10 + 1e-8)).all()
    assert np.linalg.cond(m) < 1e3
    s = tu.new_sym_matrix_with_real_eigvals_2d(n)
    np.testing.assert_array_equal(s, s.T)
    ev = np.linalg.eigvalsh(s)
    assert ((np.abs(ev) >= 1 - 1e-8) & (np.abs(ev) <= 10 + 1e-8)).all()


@pytest.mark.parametrize('shape', [(3, 3), (2, 3, 3), (2, 2, 4, 4), (0, 2, 2)])
def test_matrix_generators_nd(shape):
    m = tu.new_matrix_with_real_eigvals_nd(shape)
    s = tu.new_sym_matrix_with_real_eigvals_nd(shape)
    assert m.shape == shape and s.shape == shape
    if m.size:
        np.testing.assert_allclose(np.linalg.eigvals(m).imag, 0, atol=1e-8)
        np.testing.assert_array_equal(s, np.swapaxes(s, -1, -2))
    with pytest.raises(AssertionError, match='square'):
        tu.new_matrix_with_real_eigvals_nd((2, 3, 4))


# ------------------------------------------------------------------------ fixtures

def test_environment_sets_and_restores(monkeypatch):
    monkeypatch.delenv('MXL_T_FOO', raising=False)
    monkeypatch.setenv('MXL_T_BAR', 'b')
    with tu.environment('MXL_T_FOO', '1'):
        assert os.environ['MXL_T_FOO'] == '1'
    assert 'MXL_T_FOO' not in os.environ
    with tu.environment({'MXL_T_FOO': '2', 'MXL_T_BAR': None}):
        assert os.environ['MXL_T_FOO'] == '2' and 'MXL_T_BAR' not in os.environ
    assert 'MXL_T_FOO' not in os.environ and os.environ['MXL_T_BAR'] == 'b'
    with pytest.raises(RuntimeError):
        with tu.environment({'MXL_T_FOO': '3', 'MXL_T_BAR': 'c'}):
            raise RuntimeError('body failed')
    assert 'MXL_T_FOO' not in os.environ and os.environ['MXL_T_BAR'] == 'b'
    with pytest.raises(AssertionError, match='one dict arg or two args'):
        with tu.environment('MXL_T_FOO', '1', 'x'):
            pass
    with pytest.raises(TypeError):
        with tu.environment('MXL_T_FOO', 5):
            pass
    assert 'MXL_T_FOO' not in os.environ


def test_retry():
    calls = []

    @tu.retry(3)
    def flaky():
        calls.append(1)
        assert len(calls) >= 3, 'not yet'
        return 'done'
    assert flaky() == 'done' and len(calls) == 3 and flaky.__name__ == 'flaky'

    calls.clear()

    @tu.retry(2)
    def always_fails():
        calls.append(1)
        raise AssertionError('boom%d' % len(calls))
    with pytest.raises(AssertionError, match='boom2'):
        always_fails()
    assert len(calls) == 2

    calls.clear()

    @tu.retry(3)
    def other_error():
        calls.append(1)
        raise ValueError('v')
    with pytest.raises(ValueError):
        other_error()
    assert len(calls) == 1                       # only AssertionError is retried
    with pytest.raises(AssertionError):
        tu.retry(0)


def test_discard_stderr(capfd):
    with tu.discard_stderr():
        sys.stderr.write('hidden-py\n')
        sys.stderr.flush()
        os.write(2, b'hidden-fd\n')
    sys.stderr.write('visible\n')
    sys.stderr.flush()
    err = capfd.readouterr().err
    assert 'visible' in err and 'hidden' not in err


def test_dummy_iter_repeats_first_batch():
    real = mx.io.NDArrayIter(np.arange(20.).reshape(10, 2), np.arange(10.), batch_size=4)
    d = tu.DummyIter(real)
    assert isinstance(d, mx.io.DataIter) and d.batch_size == 4
    assert d.provide_data == real.provide_data and d.provide_label == real.provide_label
    first = d.next()
    np.testing.assert_array_equal(first.data[0].asnumpy(), np.arange(8.).reshape(4, 2))
    assert next(d) is first and iter(d) is d
    seen = 0
    for batch in d:
        assert batch is first
        seen += 1
        if seen == 6:
            break
    d.reset()
    assert d.next() is first


def test_star_import_exposes_all_helpers():
    import mxlite.test_utils_helpers as helpers
    ns = {}
    exec('from mxlite.test_utils import *', ns)
    missing = [n for n in helpers.__all__ if n not in ns]
    assert not missing, missing


def test_docstring_examples_run():
    import doctest
    import mxlite.test_utils_helpers as helpers
    result = doctest.testmod(helpers, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0 and result.attempted > 0
