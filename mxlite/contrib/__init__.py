"""``mx.contrib``: experimental parts of the MXNet 1.x API.

``mx.contrib.tensorboard`` holds the TensorBoard callbacks; ``mx.contrib.nd`` /
``mx.contrib.ndarray`` and ``mx.contrib.sym`` / ``mx.contrib.symbol`` are the same modules
as ``mx.nd.contrib`` and ``mx.sym.contrib``. Submodules load on first use.
"""
import importlib

__all__ = ['tensorboard', 'ndarray', 'nd', 'symbol', 'sym']

_LAZY = {'tensorboard': '.tensorboard', 'ndarray': '..ndarray.contrib',
         'nd': '..ndarray.contrib', 'symbol': '..symbol.contrib', 'sym': '..symbol.contrib'}


def __getattr__(name):
    if name in _LAZY:
        module = importlib.import_module(_LAZY[name], __name__)
        globals()[name] = module
        return module
    raise AttributeError("module 'mxlite.contrib' has no attribute '%s'" % name)
