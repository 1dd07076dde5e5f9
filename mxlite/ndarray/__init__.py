"""mx.nd: NDArray, its creation functions and every operator as an imperative call."""
import sys
import types

from .ndarray import (NDArray, arange, array, as_nd, concatenate, empty, from_numpy, full,
                      moveaxis, ones, onehot_encode, waitall, zeros)
from .register import invoke

_internal = types.ModuleType(__name__ + '._internal', 'Every operator, internal names too.')
sys.modules[_internal.__name__] = _internal


def _populate():
    from .register import populate
    populate(sys.modules[__name__], _internal)


_populate()

from .. import _binary_api  # noqa: E402
_binary_api.install(sys.modules[__name__], _internal, NDArray)
from .. import _fluent  # noqa: E402
_fluent.install(NDArray, sys.modules[__name__])


def eye(N, M=0, k=0, ctx=None, dtype=None, **kwargs):
    """A 2-D array with ones on the k-th diagonal."""
    return _internal._eye(N=N, M=M, k=k, ctx=ctx, dtype=dtype or 'float32', **kwargs)


def linspace(start, stop, num, endpoint=True, ctx=None, dtype=None):
    """`num` evenly spaced values from start to stop."""
    return _internal._linspace(start=start, stop=stop, num=num, endpoint=endpoint, ctx=ctx,
                               dtype=dtype or 'float32')


def save(fname, data):
    """Save an NDArray, a list of them, or a str->NDArray dict in MXNet's binary format."""
    from .serialization import save as _save
    return _save(fname, data)


def load(fname):
    """Load what `save` (or MXNet 1.x) wrote: a list or a dict of NDArrays."""
    from .serialization import load as _load
    return _load(fname)


def load_frombuffer(buf):
    from .serialization import load_frombuffer as _lfb
    return _lfb(buf)


def __getattr__(name):
    # submodules load on first use to keep `import mxlite` quick
    if name in ('random', 'sparse', 'linalg', 'contrib', 'utils', 'op'):
        import importlib
        try:
            return importlib.import_module('.' + name, __name__)
        except ModuleNotFoundError:
            pass
    raise AttributeError("module 'mxlite.ndarray' has no attribute '%s'" % name)
