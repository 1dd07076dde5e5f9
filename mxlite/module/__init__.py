"""mx.mod: Module and friends — symbols with parameters, trained with fit()."""
from .base_module import BaseModule
from .module import Module

__all__ = ['BaseModule', 'Module']


def __getattr__(name):
    import importlib
    homes = {'BucketingModule': 'bucketing_module', 'SequentialModule': 'sequential_module',
             'PythonModule': 'python_module', 'PythonLossModule': 'python_module'}
    if name in homes:
        module = importlib.import_module('.' + homes[name], __name__)
        return getattr(module, name)
    raise AttributeError("module 'mxlite.module' has no attribute '%s'" % name)
