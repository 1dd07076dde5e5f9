"""mx.sym: Symbol, Variable, Group, JSON load/save and every operator as a graph node."""
import sys
import types

from .symbol import Group, Symbol, Variable, fromjson, load, load_json, var

_internal = types.ModuleType(__name__ + '._internal', 'Every operator, internal names too.')
sys.modules[_internal.__name__] = _internal


def _populate():
    from .._namespace import populate
    from .register import make_function
    populate(sys.modules[__name__], _internal, make_function)


_populate()

from .. import _binary_api  # noqa: E402
_binary_api.install(sys.modules[__name__], _internal, Symbol, symbolic=True)
from .. import _fluent  # noqa: E402
_fluent.install(Symbol, sys.modules[__name__])


def zeros(shape, dtype=None, **kwargs):
    """A symbol of zeros (the `_zeros` op)."""
    return _internal._zeros(shape=shape, dtype=dtype or 'float32', **kwargs)


def ones(shape, dtype=None, **kwargs):
    return _internal._ones(shape=shape, dtype=dtype or 'float32', **kwargs)


def full(shape, val, dtype=None, **kwargs):
    return _internal._full(shape=shape, value=val, dtype=dtype or 'float32', **kwargs)


def arange(start, stop=None, step=1.0, repeat=1, infer_range=False, name=None, dtype=None):
    return _internal._arange(start=start, stop=stop, step=step, repeat=repeat, name=name,
                             dtype=dtype or 'float32')


def eye(N, M=0, k=0, dtype=None, **kwargs):
    return _internal._eye(N=N, M=M, k=k, dtype=dtype or 'float32', **kwargs)


def linspace(start, stop, num, endpoint=True, name=None, dtype=None):
    return _internal._linspace(start=start, stop=stop, num=num, endpoint=endpoint, name=name,
                               dtype=dtype or 'float32')


def split_v2(ary, indices_or_sections, axis=0, squeeze_axis=False, name=None):
    """Split along `axis` into equal sections (an int) or at the given indices (a tuple)."""
    from ..base import MXNetError
    if isinstance(indices_or_sections, int):
        indices, sections = [], indices_or_sections   # lists: MXNet's JSON writes '[0, 2]'
    elif isinstance(indices_or_sections, tuple):
        indices, sections = [0] + list(indices_or_sections), 0
    else:
        raise MXNetError('split_v2: indices_or_sections must be an int or a tuple of ints, '
                         'got %r' % (indices_or_sections,))
    return _internal._split_v2(ary, indices=indices, axis=axis, squeeze_axis=squeeze_axis,
                               sections=sections, name=name)


def __getattr__(name):
    if name in ('random', 'sparse', 'linalg', 'contrib', 'op'):
        import importlib
        try:
            return importlib.import_module('.' + name, __name__)
        except ModuleNotFoundError:
            pass
    raise AttributeError("module 'mxlite.symbol' has no attribute '%s'" % name)
