"""MXNet 1.9.1's tolerance defaults in mx.test_utils: None means the looser of the two
dtypes' defaults (float16 1e-2/1e-1, float32 1e-4/1e-3, float64 1e-5/1e-20), and
check_consistency compares every run with the most precise one."""
import numpy as np
import pytest

import mxlite as mx
from mxlite.test_utils import assert_almost_equal, check_consistency, check_numeric_gradient


@pytest.mark.parametrize('dtype,off,ok', [
    (np.float16, 5e-3, True), (np.float16, 5e-1, False),
    (np.float32, 5e-4, True), (np.float32, 5e-2, False),
    (np.float64, 5e-6, True), (np.float64, 5e-4, False),
])
def test_assert_almost_equal_defaults_follow_the_dtype(dtype, off, ok):
    a = np.ones(3, dtype)
    b = (a.astype(np.float64) + off).astype(dtype)
    if ok:
        assert_almost_equal(a, b)
    else:
        with pytest.raises(AssertionError, match='not equal'):
            assert_almost_equal(a, b)


def test_almost_equal_use_broadcast():
    assert mx.test_utils.almost_equal(np.ones((2, 3)), np.ones(3))
    assert not mx.test_utils.almost_equal(np.ones((2, 3)), np.ones(3), use_broadcast=False)


def test_check_numeric_gradient_with_defaults():
    x = mx.sym.var('x')
    check_numeric_gradient(mx.sym.tanh(x) * x, [np.random.RandomState(0).rand(3, 4)])


def _net():
    return mx.sym.FullyConnected(mx.sym.var('data'), num_hidden=3, name='fc')


def test_check_consistency_compares_with_the_most_precise_run():
    ctx_list = [{'ctx': mx.cpu(), 'data': (2, 4), 'type_dict': {'data': np.float32}},
                {'ctx': mx.cpu(), 'data': (2, 4), 'type_dict': {'data': np.float64}}]
    results = check_consistency(_net(), ctx_list)
    assert results[1][0][0].dtype == np.float64
    # a reference that disagrees fails, or only warns without raise_on_err
    outs, grads = results[1]
    bad = ([o + 1 for o in outs], grads)
    with pytest.raises(AssertionError):
        check_consistency(_net(), ctx_list, ground_truth=bad)
    check_consistency(_net(), ctx_list, ground_truth=bad, raise_on_err=False)
    check_consistency(_net(), ctx_list, tol=1e-3)   # the older keyword
