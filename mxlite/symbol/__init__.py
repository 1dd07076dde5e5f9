"""mx.sym: Symbol, Variable, Group, JSON load/save and every operator as a graph node."""
import sys
import types

from .symbol import Group, Symbol, Variable, fromjson, load, load_json, var

_internal = types.ModuleType(__name__ + '._internal', 'Every operator, internal names too.')
sys.modules[_internal.__name__] = _internal


def _populate():
    from .register import populate
    populate(sys.modules[__name__], _internal)


_populate()

from .. import _binary_api  # noqa: E402
_binary_api.install(sys.modules[__name__], _internal, Symbol, symbolic=True)


def __getattr__(name):
    if name in ('random', 'sparse', 'linalg', 'contrib', 'op'):
        import importlib
        try:
            return importlib.import_module('.' + name, __name__)
        except ModuleNotFoundError:
            pass
    raise AttributeError("module 'mxlite.symbol' has no attribute '%s'" % name)
