"""mx.nd: NDArray, its creation functions and every operator as an imperative call."""
import sys
import types

from .ndarray import (NDArray, arange, array, as_nd, concatenate, empty, from_numpy, full,
                      moveaxis, ones, onehot_encode, waitall, zeros)
from .register import invoke
from .sparse import cast_storage   # sparse in, sparse out (the op record alone gives dense)

_internal = types.ModuleType(__name__ + '._internal', 'Every operator, internal names too.')
sys.modules[_internal.__name__] = _internal


def _populate():
    from .._namespace import populate
    from .register import make_function
    populate(sys.modules[__name__], _internal, make_function)


_populate()

from .. import _binary_api  # noqa: E402
_binary_api.install(sys.modules[__name__], _internal, NDArray)
from .. import _fluent  # noqa: E402
_fluent.install(NDArray, sys.modules[__name__])


def split_v2(ary, indices_or_sections, axis=0, squeeze_axis=False):
    """Split `ary` along `axis` into equal sections (an int) or at the given indices (a
    tuple, as numpy.split); a list of NDArrays.

    Examples
    --------
    >>> import mxlite as mx
    >>> [a.asnumpy().tolist() for a in mx.nd.split_v2(mx.nd.arange(5), (2,))]
    [[0.0, 1.0], [2.0, 3.0, 4.0]]
    """
    from ..base import MXNetError
    if isinstance(indices_or_sections, int):
        size = ary.shape[axis]
        if indices_or_sections <= 0 or size % indices_or_sections:
            raise MXNetError('split_v2: axis %d of size %d does not split into %d equal '
                             'sections' % (axis, size, indices_or_sections))
        step = size // indices_or_sections
        indices = [k * step for k in range(indices_or_sections)]
    elif isinstance(indices_or_sections, tuple):
        indices = [0] + list(indices_or_sections)
    else:
        raise MXNetError('split_v2: indices_or_sections must be an int or a tuple of ints, '
                         'got %r' % (indices_or_sections,))
    out = _internal._split_v2(ary, indices=tuple(indices), axis=axis,
                              squeeze_axis=squeeze_axis, sections=0)
    return out if isinstance(out, list) else [out]


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


class _Capsule:
    """Presents a DLPack capsule to numpy.from_dlpack (which wants an object)."""

    def __init__(self, capsule):
        self._capsule = capsule

    def __dlpack__(self, stream=None, max_version=None, dl_device=None, copy=None):
        return self._capsule

    def __dlpack_device__(self):
        return (1, 0)  # CPU


def to_dlpack_for_read(data):
    """A DLPack capsule sharing `data`'s memory."""
    return data.to_dlpack_for_read()


to_dlpack_for_write = to_dlpack_for_read


def from_dlpack(dlpack):
    """An NDArray sharing the memory of a DLPack capsule or of any object with __dlpack__."""
    import numpy as _np
    source = dlpack if hasattr(dlpack, '__dlpack__') else _Capsule(dlpack)
    return NDArray(_np.from_dlpack(source))
