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
