"""The array modules behind contexts: NumPy always, CuPy only when asked for."""
from .base import MXNetError

_cupy = None


def cupy():
    """Import CuPy on first use so that `import mxlite` stays light."""
    global _cupy
    if _cupy is None:
        try:
            import cupy as cp  # noqa: F401  (optional dependency)
        except ImportError as exc:
            raise MXNetError('mx.gpu() needs CuPy: install cupy-cuda12x (or the build for your '
                             'CUDA) and a GPU driver; no GPU backend is present') from exc
        _cupy = cp
    return _cupy


def num_gpus():
    try:
        return cupy().cuda.runtime.getDeviceCount()
    except Exception:  # no cupy or no driver: zero GPUs
        return 0


def require_gpu(device_id):
    count = num_gpus()
    if device_id >= count:
        raise MXNetError('mx.gpu(%d) is not available: %s' % (
            device_id, 'no GPU backend is present (install CuPy and a CUDA driver)'
            if count == 0 else 'only %d GPU(s) found' % count))


def array_module(arr):
    """numpy or cupy, whichever owns `arr`."""
    if type(arr).__module__.startswith('cupy'):
        return cupy()
    import numpy
    return numpy


# ----------------------------------------------------------------------------- BLAS threads
# NumPy's bundled OpenBLAS runs every large GEMM on all cores and then keeps its workers
# spinning for a while; on a machine shared with other work that makes it many times
# slower (benchmarks/README.md, finding 1). These let a user pin it, e.g. to one thread.
_BLAS_SYMBOLS = (('scipy_openblas_set_num_threads64_', 'scipy_openblas_get_num_threads64_'),
                 ('scipy_openblas_set_num_threads', 'scipy_openblas_get_num_threads'),
                 ('openblas_set_num_threads64_', 'openblas_get_num_threads64_'),
                 ('openblas_set_num_threads', 'openblas_get_num_threads'))
_blas = []   # [_OpenBLAS] once looked up; [None] when there is no OpenBLAS to control


class _OpenBLAS:
    """The OpenBLAS library NumPy loaded, with the calls mxlite makes into it."""

    def __init__(self, lib, set_name, get_name):
        import ctypes
        self.lib = lib
        self.set_threads, self.get_threads = getattr(lib, set_name), getattr(lib, get_name)
        self.set_threads.restype, self.get_threads.restype = None, ctypes.c_int
        self.set_threads.argtypes, self.get_threads.argtypes = [ctypes.c_int], []
        # re-reading the environment and restarting the worker threads is how a new
        # OPENBLAS_THREAD_TIMEOUT takes effect once the library is loaded
        self.can_restart = all(hasattr(lib, name) for name in
                               ('openblas_read_env', 'blas_thread_shutdown_'))


def _openblas():
    """The OpenBLAS that NumPy loaded (an _OpenBLAS), or None (another BLAS, or a system
    without /proc/self/maps)."""
    if not _blas:
        import ctypes
        import numpy  # noqa: F401  (loads its BLAS)
        found = None
        try:
            with open('/proc/self/maps') as maps:
                paths = sorted({line.split()[-1] for line in maps
                                if 'openblas' in line.lower() and '/' in line})
        except OSError:
            paths = []
        for path in paths:
            try:
                lib = ctypes.CDLL(path)
            except OSError:
                continue
            for set_name, get_name in _BLAS_SYMBOLS:
                if hasattr(lib, set_name) and hasattr(lib, get_name):
                    found = _OpenBLAS(lib, set_name, get_name)
                    break
            if found:
                break
        _blas.append(found)
    return _blas[0]


def get_blas_threads():
    """Threads NumPy's OpenBLAS uses for one operation, or None if it cannot be read."""
    blas = _openblas()
    return None if blas is None else int(blas.get_threads())


def set_blas_threads(n):
    """Make NumPy's OpenBLAS use `n` threads (n >= 1); returns the previous count, or None
    (and changes nothing) when NumPy's BLAS is not an OpenBLAS mxlite can reach.

    ``MXLITE_BLAS_THREADS=n`` in the environment does the same at ``import mxlite``.
    One thread is often the faster choice on a machine shared with other work.
    """
    n = int(n)
    if n < 1:
        raise MXNetError('set_blas_threads: need at least 1 thread, got %d' % n)
    blas = _openblas()
    if blas is None:
        return None
    previous = int(blas.get_threads())
    blas.set_threads(n)
    return previous


def apply_env_blas_threads(environ=None):
    """Honour MXLITE_BLAS_THREADS (called by ``import mxlite``)."""
    import os
    import warnings
    value = (os.environ if environ is None else environ).get('MXLITE_BLAS_THREADS', '')
    if not value.strip():
        return
    if not value.strip().isdigit() or int(value) < 1:   # warn: import must not fail
        warnings.warn("MXLITE_BLAS_THREADS must be a positive integer, got '%s'; ignored"
                      % value, RuntimeWarning)
    elif set_blas_threads(int(value)) is None:
        warnings.warn('MXLITE_BLAS_THREADS is set but NumPy does not use an OpenBLAS that '
                      'mxlite can control; the setting has no effect', RuntimeWarning)


# OpenBLAS keeps each idle worker spinning for 2**28 cycles (~0.1 s) after a GEMM, which
# holds every core busy through the memory-bound passes between GEMMs. That is right for
# a run of back-to-back small GEMMs (an MLP step: a short spin costs it 20%), wrong once
# mxlite splits those passes across the cores itself (ops/_workspace.parallel): the slice
# on a spinning core then runs at half speed. So the first split pass shortens the spin.
BLAS_SPIN_LOG2 = 14   # 2**14 cycles, a few microseconds: enough for back-to-back GEMMs
_spin_shortened = []


def shorten_blas_spin(log2_cycles=BLAS_SPIN_LOG2):
    """Make OpenBLAS's idle workers sleep after 2**log2_cycles cycles (4..30) instead of
    2**28; returns True when done (now or before). Once per process and never when the
    user set OPENBLAS_THREAD_TIMEOUT. It restarts OpenBLAS's worker threads, as OpenBLAS
    itself does before a fork; a thread inside a BLAS call meanwhile could hang that
    restart, so it is only done while the calling thread is the process's only one."""
    import os
    import threading
    if _spin_shortened:
        return _spin_shortened[0]
    blas = _openblas()
    done = False
    if blas is not None and blas.can_restart and threading.active_count() == 1 and \
            'OPENBLAS_THREAD_TIMEOUT' not in os.environ:
        os.environ['OPENBLAS_THREAD_TIMEOUT'] = str(int(log2_cycles))
        try:
            blas.lib.openblas_read_env()    # keeps the value in OpenBLAS's own state
        finally:
            del os.environ['OPENBLAS_THREAD_TIMEOUT']   # child processes do not inherit it
        blas.lib.blas_thread_shutdown_()    # the next GEMM starts workers with the new spin
        done = True
    _spin_shortened.append(done)
    return done
