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
_blas = []   # [(set, get)] once looked up; [None] when there is no OpenBLAS to control


def _openblas():
    """(set, get) functions of the OpenBLAS that NumPy loaded, or None (another BLAS, or a
    system without /proc/self/maps)."""
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
                    setter, getter = getattr(lib, set_name), getattr(lib, get_name)
                    setter.restype, getter.restype = None, ctypes.c_int
                    setter.argtypes, getter.argtypes = [ctypes.c_int], []
                    found = (setter, getter)
                    break
            if found:
                break
        _blas.append(found)
    return _blas[0]


def get_blas_threads():
    """Threads NumPy's OpenBLAS uses for one operation, or None if it cannot be read."""
    blas = _openblas()
    return None if blas is None else int(blas[1]())


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
    previous = int(blas[1]())
    blas[0](n)
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
