"""MXLITE_BLAS_THREADS and backend.set_blas_threads: pinning NumPy's OpenBLAS threads."""
import os
import subprocess
import sys
import warnings

import numpy as np
import pytest

from mxlite import backend
from mxlite.base import MXNetError

needs_openblas = pytest.mark.skipif(
    backend.get_blas_threads() is None,
    reason="NumPy's BLAS here is not an OpenBLAS that mxlite can reach")


@pytest.fixture
def restore_threads():
    before = backend.get_blas_threads()
    yield
    if before is not None:
        backend.set_blas_threads(before)


@needs_openblas
@pytest.mark.parametrize('n', [1, 2, 3])
def test_set_then_get(n, restore_threads):
    first = backend.get_blas_threads()
    assert backend.set_blas_threads(n) == first
    assert backend.get_blas_threads() == n
    a = np.random.RandomState(0).rand(300, 200).astype(np.float32)
    np.testing.assert_allclose(a @ a.T, (a.astype(np.float64) @ a.T.astype(np.float64)),
                               rtol=1e-4)


def test_set_rejects_less_than_one():
    with pytest.raises(MXNetError, match='at least 1 thread, got 0'):
        backend.set_blas_threads(0)


@needs_openblas
def test_environment_variable(restore_threads):
    backend.apply_env_blas_threads({'MXLITE_BLAS_THREADS': '1'})
    assert backend.get_blas_threads() == 1
    backend.set_blas_threads(2)
    backend.apply_env_blas_threads({})            # unset: nothing changes
    assert backend.get_blas_threads() == 2
    with pytest.warns(RuntimeWarning, match="positive integer, got 'two'"):
        backend.apply_env_blas_threads({'MXLITE_BLAS_THREADS': 'two'})
    assert backend.get_blas_threads() == 2


@needs_openblas
def test_import_applies_the_variable():
    env = dict(os.environ, MXLITE_BLAS_THREADS='1')
    code = 'import mxlite; from mxlite import backend; print(backend.get_blas_threads())'
    with warnings.catch_warnings():
        out = subprocess.run([sys.executable, '-c', code], env=env, capture_output=True,
                             text=True, check=True).stdout
    assert out.strip() == '1'
