"""mxlite: the Apache MXNet 1.x Python API on NumPy. ``import mxlite as mx``."""
__version__ = '0.1.0'

from . import base
from .base import MXNetError
from .context import Context, cpu, cpu_pinned, current_context, gpu, num_gpus
from . import ndarray
from . import ndarray as nd
from . import random
from . import autograd
from . import backend as _backend

_backend.apply_env_blas_threads()   # MXLITE_BLAS_THREADS, when set


def __getattr__(name):
    # heavier subpackages load on first use, keeping `import mxlite` fast
    import importlib
    lazy = {'sym': 'symbol', 'symbol': 'symbol', 'executor': 'executor', 'mod': 'module',
            'module': 'module', 'io': 'io', 'metric': 'metric', 'optimizer': 'optimizer',
            'opt': 'optimizer', 'init': 'initializer', 'initializer': 'initializer',
            'lr_scheduler': 'lr_scheduler', 'callback': 'callback', 'model': 'model',
            'kv': 'kvstore', 'kvstore': 'kvstore', 'test_utils': 'test_utils',
            'name': 'name', 'attribute': 'attribute', 'viz': 'visualization',
            'visualization': 'visualization', 'mon': 'monitor', 'monitor': 'monitor',
            'operator': 'operator', 'rnn': 'rnn', 'models': 'models', 'recordio': 'recordio',
            'profiler': 'profiler', 'util': 'util', 'debug': 'debug', 'gluon': 'gluon',
            'engine': 'engine', 'contrib': 'contrib', 'image': 'image', 'AttrScope': None,
            'runtime': 'runtime', 'log': 'log',
            'Context': None}
    if name == 'AttrScope':
        from .attribute import AttrScope
        return AttrScope
    if name in lazy and lazy[name]:
        try:
            module = importlib.import_module('.' + lazy[name], __name__)
        except ModuleNotFoundError as exc:
            if exc.name == __name__ + '.' + lazy[name]:
                raise AttributeError("mxlite has no '%s' yet" % name) from None
            raise
        globals()[name] = module
        return module
    raise AttributeError("module 'mxlite' has no attribute '%s'" % name)
