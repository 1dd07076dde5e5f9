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


_IDLE_SPIN = '''
import os, sys, time
import numpy as np
from mxlite import backend
a = np.random.RandomState(0).rand(600, 600).astype(np.float32)

def idle_cpu():
    """CPU seconds the process burns while its main thread sleeps after a GEMM."""
    a @ a
    start = time.process_time()
    time.sleep(0.3)
    return time.process_time() - start

before = idle_cpu()
done = backend.shorten_blas_spin(int(sys.argv[1]))
after = idle_cpu()
exact = np.allclose(a @ a, a.astype(np.float64) @ a.astype(np.float64), rtol=1e-4)
print(before, done, after, 'OPENBLAS_THREAD_TIMEOUT' in os.environ, exact,
      backend.shorten_blas_spin(20))
'''


def _idle_spin(env_timeout=None, log2=4):
    env = {k: v for k, v in os.environ.items() if k != 'OPENBLAS_THREAD_TIMEOUT'}
    env['MXLITE_BLAS_THREADS'] = '2'
    if env_timeout is not None:
        env['OPENBLAS_THREAD_TIMEOUT'] = env_timeout
    out = subprocess.run([sys.executable, '-c', _IDLE_SPIN, str(log2)], env=env,
                         capture_output=True, text=True, check=True).stdout.split()
    return float(out[0]), out[1] == 'True', float(out[2]), out[3] == 'True', \
        out[4] == 'True', out[5] == 'True'


@needs_openblas
@pytest.mark.skipif(backend._openblas() is None or not backend._openblas().can_restart,
                    reason="this OpenBLAS cannot restart its workers")
def test_shorten_blas_spin_stops_idle_workers_burning_cpu():
    """After a GEMM OpenBLAS's workers spin ~0.1 s; shortened, they sleep at once, the
    GEMMs after the restart are still right, and the variable does not leak to children."""
    before, done, after, leaked, exact, again = _idle_spin()
    assert done and exact and not leaked
    assert again   # a second call reports the first call's result and changes nothing
    assert after < 0.03, (before, after)


@needs_openblas
def test_shorten_blas_spin_leaves_a_users_openblas_thread_timeout_alone():
    _, done, _, leaked, exact, _ = _idle_spin(env_timeout='28')
    assert not done and exact and leaked   # leaked: the user's own variable stays


def test_shorten_blas_spin_is_skipped_while_other_threads_run():
    """Another thread could be inside a GEMM while OpenBLAS restarts its workers: the
    spin stays as it is, and the decision holds for the process."""
    code = '''
import threading
from mxlite import backend
stop = threading.Event()
t = threading.Thread(target=stop.wait)
t.start()
first = backend.shorten_blas_spin()
stop.set(); t.join()
print(first, backend.shorten_blas_spin())
'''
    out = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True,
                         check=True).stdout.split()
    assert out == ['False', 'False']
