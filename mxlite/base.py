"""Shared foundations: the error type, dtype tables and attribute string forms."""
import difflib
import json

import numpy as np

__all__ = ['MXNetError', 'string_types', 'numeric_types', 'integer_types']

string_types = (str,)
numeric_types = (float, int, np.generic)
integer_types = (int, np.integer)


class MXNetError(RuntimeError):
    """The error MXNet raises; mxlite raises it (or a subclass) for every framework failure."""


class NotImplementedForSymbol(MXNetError):
    """An NDArray-only method called on a Symbol (asnumpy, wait_to_read, ...)."""

    def __init__(self, function, alias=None, *args):
        name = getattr(function, '__name__', function)
        super().__init__('Function %s is not implemented for Symbol and only available in '
                         'NDArray.' % (alias or name))


class ShapeError(MXNetError, ValueError):
    """A shape that does not fit an operator, at infer_shape/bind time."""


class TypeInferError(MXNetError, TypeError):
    """A dtype that does not fit an operator."""


# MXNet's integer dtype flags, as written in .nd files and `__dtype__` attributes.
DTYPE_NP_TO_MX = {
    np.dtype('float32'): 0, np.dtype('float64'): 1, np.dtype('float16'): 2,
    np.dtype('uint8'): 3, np.dtype('int32'): 4, np.dtype('int8'): 5,
    np.dtype('int64'): 6, np.dtype('bool'): 7, np.dtype('int16'): 8,
    np.dtype('uint16'): 9, np.dtype('uint32'): 10, np.dtype('uint64'): 11,
}
DTYPE_MX_TO_NP = {v: k for k, v in DTYPE_NP_TO_MX.items()}


def py_str(x):
    """`x` as str (bytes are decoded as UTF-8), as MXNet's helper of the same name."""
    return x.decode('utf-8') if isinstance(x, bytes) else str(x)


def _as_list(obj):
    """`obj` itself when it is a list or tuple, else [obj] (MXNet's helper)."""
    return obj if isinstance(obj, (list, tuple)) else [obj]


def np_dtype(dtype):
    """Normalise anything MXNet accepts as a dtype (name, numpy type, flag) to np.dtype."""
    if dtype is None:
        return np.dtype('float32')
    if isinstance(dtype, (int, np.integer)) and not isinstance(dtype, bool):
        return DTYPE_MX_TO_NP[int(dtype)]
    try:
        return np.dtype(dtype)
    except TypeError as exc:
        raise MXNetError('unknown dtype %r' % (dtype,)) from exc


def did_you_mean(word, candidates):
    """' (did you mean 'x'?)' for the closest candidate, or ''."""
    close = difflib.get_close_matches(word, list(candidates), n=1, cutoff=0.6)
    return " (did you mean '%s'?)" % close[0] if close else ''


def json_spec(spec, args, kwargs, what):
    """For the create() functions: the ``(args, kwargs)`` to call create with again when
    the string `spec` is JSON -- ``'["name", {...}]'`` or ``'{"name": ..., ...}'`` -- or
    None when it is not. A JSON spec takes no other arguments (ValueError naming `what`).
    """
    if not spec.startswith(('[', '{')):
        return None
    if args or kwargs:
        raise ValueError('a JSON %s takes no extra arguments' % what)
    if spec.startswith('['):
        name, kwargs = json.loads(spec)
        return (name,), kwargs
    return (), json.loads(spec)


def attr_to_str(value):
    """The string MXNet's Python frontend stores for an operator keyword argument."""
    if isinstance(value, str):
        return value
    if isinstance(value, np.dtype):
        return value.name
    if isinstance(value, type) and issubclass(value, np.generic):
        return np.dtype(value).name
    if isinstance(value, np.generic):
        value = value.item()
    return str(value)
