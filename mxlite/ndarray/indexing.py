"""NDArray indexing with MXNet's rules: contiguous basic indexing gives a view that shares
memory (``x[1:3]``, ``x[2]``, ``x[1:2, :]``); anything else gives a copy."""
import numpy as np

from ..base import MXNetError
from .ndarray import NDArray


def _convert_key(key):
    """Replace NDArrays inside an index by NumPy arrays (advanced indexing)."""
    if isinstance(key, NDArray):
        return key.asnumpy().astype(np.int64)
    if isinstance(key, tuple):
        return tuple(_convert_key(k) for k in key)
    if isinstance(key, list):
        return np.asarray(key, dtype=np.int64)
    return key


def _is_basic(key):
    items = key if isinstance(key, tuple) else (key,)
    return all(k is None or k is Ellipsis or isinstance(k, (slice, int, np.integer))
               for k in items)


def getitem(arr, key):
    from .. import autograd
    key = _convert_key(key)
    if autograd.is_recording():
        return _recorded_getitem(arr, key)
    try:
        result = arr._data[key]
    except IndexError as exc:
        raise IndexError('NDArray of shape %s: %s' % (arr.shape, exc)) from None
    if not isinstance(result, arr.context.xp.ndarray) or result.ndim == 0:
        # an integer on every axis: MXNet 1.x gives a one-element array, not a scalar
        return NDArray(arr.context.xp.array(result).reshape(1), arr.context)
    if _is_basic(key) and result.flags.c_contiguous:
        return NDArray(result, arr.context)  # a view: writes go through to arr
    return NDArray(arr.context.xp.array(result, copy=True), arr.context)


def _recorded_getitem(arr, key):
    """Indexing under autograd: a differentiable copy through the `_index` op."""
    from .register import invoke
    from ..ops.indexing_op import register_key
    return invoke('_index', [arr], {'key': register_key(key)})


def setitem(arr, key, value):
    if not arr.writable:
        raise MXNetError('trying to assign to a read-only NDArray')
    from .. import autograd
    if autograd.is_recording():
        from .. import autograd_tape
        autograd_tape.check_inplace(arr)
    key = _convert_key(key)
    if arr.ndim == 0 and key == slice(None):   # x[:] = v on a 0-d array, as MXNet allows
        key = Ellipsis
    if isinstance(value, NDArray):
        value = value._data
    elif not np.isscalar(value):
        value = np.asarray(value)
    try:
        try:
            arr._data[key] = value
        except ValueError:
            if np.size(value) != 1:
                raise
            arr._data[key] = np.reshape(value, ())   # a one-element array fills as a scalar
    except ValueError as exc:
        raise MXNetError('cannot assign a value of shape %s to NDArray[%s] of shape %s: %s' % (
            np.shape(value), key, arr._data[key].shape if _is_basic(key) else '?', exc)) from None
