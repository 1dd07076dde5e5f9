"""mx.sym.contrib: the small part of MXNet's contrib namespace that mxlite provides.

* `isinf`, `isnan`, `isfinite`: elementwise tests (1.0 where true, 0.0 elsewhere), built
  from ordinary operators, so they save to and load from symbol JSON as those operators.
* every registered ``_contrib_<name>`` operator or alias as ``<name>`` (``ctc_loss``,
  ``index_copy``, ``arange_like``, ... : ``mx.sym.contrib.__all__`` lists them). The
  control-flow subgraph operators ``foreach`` / ``while_loop`` / ``cond`` are not
  implemented for symbols, nor are contrib operators missing from that list.

Examples
--------
>>> import mxlite as mx, numpy as np
>>> x = mx.sym.var('x')
>>> mx.sym.contrib.isnan(x).eval(x=mx.nd.array([np.nan, 1.]))[0].asnumpy()
array([1., 0.], dtype=float32)
"""
import sys as _sys

import numpy as _np

from .._namespace import populate_prefixed as _populate_prefixed
from .register import make_function as _make_function

__all__ = ['isinf', 'isnan', 'isfinite']

PREFIX = '_contrib_'


def isinf(data):
    """1.0 where `data` is +inf or -inf, 0.0 elsewhere."""
    from . import abs as _abs
    return _abs(data) == _np.inf


def isnan(data):
    """1.0 where `data` is NaN, 0.0 elsewhere (NaN is the only value unequal to itself)."""
    return data != data


def isfinite(data):
    """1.0 where `data` is neither infinite nor NaN, 0.0 elsewhere.

    Examples
    --------
    >>> import mxlite as mx, numpy as np
    >>> x = mx.sym.var('x')
    >>> mx.sym.contrib.isfinite(x).eval(x=mx.nd.array([np.inf, 2., np.nan]))[0].asnumpy()
    array([0., 1., 0.], dtype=float32)
    """
    from . import abs as _abs, broadcast_logical_and
    return broadcast_logical_and(data == data, _abs(data) != _np.inf)


__all__ += _populate_prefixed(_sys.modules[__name__], _make_function, PREFIX)


def _scale_symbol(rescale_grad):
    from . import Symbol, full
    return rescale_grad if isinstance(rescale_grad, Symbol) else \
        full(shape=(1,), val=rescale_grad)


def adamw_update(weight, grad, mean, var, rescale_grad, lr, eta, beta1=0.9, beta2=0.999,
                 epsilon=1e-8, wd=0, clip_gradient=-1, name=None, **kwargs):
    """An AdamW update node; a float `rescale_grad` becomes a (1,) constant input."""
    from . import _internal
    return _internal._adamw_update(weight, grad, mean, var, _scale_symbol(rescale_grad),
                                   lr=lr, eta=eta, beta1=beta1, beta2=beta2,
                                   epsilon=epsilon, wd=wd, clip_gradient=clip_gradient,
                                   name=name, **kwargs)


def mp_adamw_update(weight, grad, mean, var, weight32, rescale_grad, lr, eta, beta1=0.9,
                    beta2=0.999, epsilon=1e-8, wd=0, clip_gradient=-1, name=None, **kwargs):
    """An AdamW update node on a float32 master copy `weight32`."""
    from . import _internal
    return _internal._mp_adamw_update(weight, grad, mean, var, weight32,
                                      _scale_symbol(rescale_grad), lr=lr, eta=eta,
                                      beta1=beta1, beta2=beta2, epsilon=epsilon, wd=wd,
                                      clip_gradient=clip_gradient, name=name, **kwargs)


__all__ += ['adamw_update', 'mp_adamw_update']
