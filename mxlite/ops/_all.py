"""Imports every operator module in this package so that each registers its records."""
import importlib
import pkgutil

from . import __path__ as _ops_path

_SKIP = {'registry', 'calling', 'shape_codes', '_all', '_util'}

for _info in sorted(pkgutil.iter_modules(_ops_path), key=lambda m: m.name):
    if _info.name not in _SKIP and not _info.name.startswith('_'):
        importlib.import_module('.' + _info.name, __package__)
