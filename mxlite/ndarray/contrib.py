"""mx.nd.contrib: the small part of MXNet's contrib namespace that mxlite provides.

* `isinf`, `isnan`, `isfinite`: elementwise tests (1.0 where true, 0.0 elsewhere), built
  from ordinary operators.
* `foreach`, `cond`: MXNet's control-flow helpers for NDArrays, which simply run Python
  (autograd records what they do).
* every registered ``_contrib_<name>`` operator or alias as ``<name>`` (``ctc_loss``,
  ``boolean_mask``, ``index_copy``, ``arange_like``, ... : ``mx.nd.contrib.__all__``
  lists them). MXNet contrib operators not listed there are not implemented.

Examples
--------
>>> import mxlite as mx, numpy as np
>>> mx.nd.contrib.isfinite(mx.nd.array([1., np.inf, np.nan])).asnumpy()
array([1., 0., 0.], dtype=float32)
"""
import sys as _sys

import numpy as _np

from ..base import MXNetError
from .._namespace import populate_prefixed as _populate_prefixed
from .ndarray import NDArray
from .register import make_function as _make_function

__all__ = ['isinf', 'isnan', 'isfinite', 'foreach', 'cond']

PREFIX = '_contrib_'


def isinf(data):
    """1.0 where `data` is +inf or -inf, 0.0 elsewhere.

    Examples
    --------
    >>> import mxlite as mx, numpy as np
    >>> mx.nd.contrib.isinf(mx.nd.array([-np.inf, 0., np.inf])).asnumpy()
    array([1., 0., 1.], dtype=float32)
    """
    return data.abs() == _np.inf


def isnan(data):
    """1.0 where `data` is NaN, 0.0 elsewhere (NaN is the only value unequal to itself).

    Examples
    --------
    >>> import mxlite as mx, numpy as np
    >>> mx.nd.contrib.isnan(mx.nd.array([np.nan, 1.])).asnumpy()
    array([1., 0.], dtype=float32)
    """
    return data != data


def isfinite(data):
    """1.0 where `data` is neither infinite nor NaN, 0.0 elsewhere."""
    from . import logical_and
    return logical_and(data == data, data.abs() != _np.inf)


def _flatten(obj, what):
    if isinstance(obj, NDArray):
        return [obj], True
    if isinstance(obj, (list, tuple)) and all(isinstance(x, NDArray) for x in obj):
        return list(obj), False
    raise MXNetError('foreach: %s must be an NDArray or a list of NDArrays, got %r'
                     % (what, type(obj).__name__))


def foreach(body, data, init_states):
    """Run ``body(data[i], states) -> (outputs, states)`` over the first axis of `data`.

    Parameters
    ----------
    body : callable
        Takes one slice of `data` (an NDArray, or a list when `data` is a list) and the
        states; returns ``(outputs, new_states)``.
    data : NDArray or list of NDArray
        Iterated over axis 0 (all with the same length).
    init_states : NDArray or list of NDArray
        The states of the first step.

    Returns
    -------
    (outputs, states)
        The per-step outputs stacked on a new axis 0 (an NDArray or a list, as `body`
        returned them), and the final states.

    Examples
    --------
    >>> import mxlite as mx
    >>> step = lambda x, s: (x + s, x + s)
    >>> outs, total = mx.nd.contrib.foreach(step, mx.nd.array([1., 2., 3.]),
    ...                                     mx.nd.array([0.]))
    >>> outs.asnumpy().ravel(), total.asnumpy()
    (array([1., 3., 6.], dtype=float32), array([6.], dtype=float32))
    """
    from . import stack
    items, single_data = _flatten(data, 'data')
    length = items[0].shape[0]
    for x in items:
        if x.shape[0] != length:
            raise MXNetError('foreach: every data array must have the same length on axis '
                             '0; got %s' % [tuple(d.shape) for d in items])
    states = init_states
    _flatten(states, 'init_states')
    steps = []
    single_out = True
    for i in range(length):
        step_data = items[0][i] if single_data else [x[i] for x in items]
        outs, states = body(step_data, states)
        outs, single_out = _flatten(outs, 'the outputs of body')
        steps.append(outs)
    if not steps:
        raise MXNetError('foreach: data has length 0')
    stacked = [stack(*[s[k] for s in steps], axis=0) for k in range(len(steps[0]))]
    return (stacked[0] if single_out else stacked), states


def cond(pred, then_func, else_func):
    """``then_func()`` if the one-element NDArray `pred` is non-zero, else ``else_func()``.

    Examples
    --------
    >>> import mxlite as mx
    >>> a, b = mx.nd.array([1.]), mx.nd.array([2.])
    >>> mx.nd.contrib.cond(a < b, lambda: a + b, lambda: a - b).asnumpy()
    array([3.], dtype=float32)
    """
    if not isinstance(pred, NDArray) or pred.size != 1:
        raise MXNetError('cond: pred must be an NDArray of one element, got %r'
                         % (getattr(pred, 'shape', type(pred).__name__),))
    return then_func() if bool(pred.asscalar()) else else_func()


__all__ += _populate_prefixed(_sys.modules[__name__], _make_function, PREFIX)

from .contrib_updates import *  # noqa: E402,F401,F403  (adamw_update, multi_lamb_update, ...)
from . import contrib_updates as _updates  # noqa: E402
__all__ += _updates.__all__
