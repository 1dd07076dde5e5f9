"""mx.sym.random: random-number nodes in a graph, as MXNet 1.x's Python API builds them.

Numbers as distribution parameters make a ``_random_<d>`` node (``shape`` is the output
shape); Symbols make a ``_sample_<d>`` node drawing ``shape`` samples per element of the
parameter arrays (output ``param.shape + shape``). Draws come from the executor's
Generator, so ``mx.random.seed(n)`` before binding makes them reproducible.

Examples
--------
>>> import mxlite as mx
>>> noise = mx.sym.random.normal(0, 1, shape=(2, 3))
>>> noise.infer_shape()[1]
[(2, 3)]
>>> mu, sigma = mx.sym.var('mu'), mx.sym.var('sigma')
>>> mx.sym.random.normal(mu, sigma, shape=4).infer_shape(mu=(2,), sigma=(2,))[1]
[(2, 4)]
"""
import numbers
import sys

import numpy as np

from .._namespace import populate_prefixed
from ..base import MXNetError
from ..ops import registry
from .register import make_function
from .symbol import Symbol

__all__ = ['uniform', 'normal', 'randn', 'poisson', 'exponential', 'gamma', 'multinomial',
           'negative_binomial', 'generalized_negative_binomial', 'shuffle', 'randint']

_NUMBERS = (numbers.Number, np.generic)


def _internal(name):
    return getattr(sys.modules['mxlite.symbol']._internal, name)


def _helper(dist, params, shape, dtype, kwargs):
    """A _random_<dist> node (number parameters) or a _sample_<dist> node (Symbols)."""
    attrs = dict(kwargs)
    if shape is not None:
        attrs['shape'] = shape
    if dtype is not None:
        attrs['dtype'] = dtype
    kinds = (Symbol, _NUMBERS)
    for kind in kinds:
        if isinstance(params[0], kind):
            for v in params[1:]:
                if not isinstance(v, kind):
                    raise MXNetError('random.%s: distribution parameters must all have the '
                                     'same type, but got both %s and %s'
                                     % (dist, type(params[0]).__name__, type(v).__name__))
            if kind is Symbol:
                return _internal('_sample_' + dist)(*params, **attrs)
            op = registry.get('_random_' + dist)
            names = [n for n in op.params if n not in ('shape', 'ctx', 'dtype')]
            attrs.update(zip(names, params))
            return _internal('_random_' + dist)(**attrs)
    raise MXNetError('random.%s: distribution parameters must be Symbols or numbers, got %s'
                     % (dist, type(params[0]).__name__))


def uniform(low=0, high=1, shape=None, dtype=None, **kwargs):
    """Samples from the uniform distribution on [low, high).

    Parameters
    ----------
    low, high : float or Symbol
        Numbers: one distribution, output shape `shape`. Symbols (same shape): one
        distribution per element, output ``low.shape + shape``.
    shape : int or tuple of int, optional
    dtype : {'float16', 'float32', 'float64'}, optional
        float32 by default.
    name, attr : optional
        Node name and attributes.

    Examples
    --------
    >>> import mxlite as mx
    >>> mx.sym.random.uniform(-1, 1, shape=(3,)).infer_shape()[1]
    [(3,)]
    """
    return _helper('uniform', [low, high], shape, dtype, kwargs)


def normal(loc=0, scale=1, shape=None, dtype=None, **kwargs):
    """Samples from the normal distribution of mean `loc` and standard deviation `scale`.

    Parameters are as for `uniform`.
    """
    return _helper('normal', [loc, scale], shape, dtype, kwargs)


def randn(*shape, **kwargs):
    """Standard normal samples of shape `shape` (`loc`, `scale`, `dtype` keywords allowed).

    Examples
    --------
    >>> import mxlite as mx
    >>> mx.sym.random.randn(2, 3).infer_shape()[1]
    [(2, 3)]
    """
    loc = kwargs.pop('loc', 0)
    scale = kwargs.pop('scale', 1)
    dtype = kwargs.pop('dtype', None)
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    return _helper('normal', [loc, scale], tuple(shape) if shape else None, dtype, kwargs)


def poisson(lam=1, shape=None, dtype=None, **kwargs):
    """Samples from the Poisson distribution of rate `lam` (as floats)."""
    return _helper('poisson', [lam], shape, dtype, kwargs)


def exponential(scale=1, shape=None, dtype=None, **kwargs):
    """Samples from the exponential distribution of scale `scale` (rate ``1/scale``)."""
    return _helper('exponential', [1.0 / scale], shape, dtype, kwargs)


def gamma(alpha=1, beta=1, shape=None, dtype=None, **kwargs):
    """Samples from the gamma distribution of shape `alpha` and scale `beta`."""
    return _helper('gamma', [alpha, beta], shape, dtype, kwargs)


def negative_binomial(k=1, p=1, shape=None, dtype=None, **kwargs):
    """Failures before `k` successes of probability `p` (as floats)."""
    return _helper('negative_binomial', [k, p], shape, dtype, kwargs)


def generalized_negative_binomial(mu=1, alpha=1, shape=None, dtype=None, **kwargs):
    """Negative binomial samples of mean `mu` and dispersion `alpha` (as floats)."""
    return _helper('generalized_negative_binomial', [mu, alpha], shape, dtype, kwargs)


def multinomial(data, shape=None, get_prob=False, dtype='int32', **kwargs):
    """Category indices drawn from the distributions along the last axis of `data`.

    With ``get_prob=True`` the node has two outputs: the samples and their log-likelihood.

    Examples
    --------
    >>> import mxlite as mx
    >>> s = mx.sym.random.multinomial(mx.sym.var('p'), shape=2)
    >>> s.infer_shape(p=(3, 4))[1]
    [(3, 2)]
    """
    if not isinstance(data, Symbol):
        raise MXNetError('random.multinomial: data must be a Symbol, got %s'
                         % type(data).__name__)
    attrs = dict(kwargs, get_prob=get_prob, dtype=dtype)
    if shape is not None:
        attrs['shape'] = shape
    return _internal('_sample_multinomial')(data, **attrs)


def shuffle(data, **kwargs):
    """`data` with its first axis randomly permuted."""
    return _internal('_shuffle')(data, **kwargs)


def randint(low, high, shape=None, dtype=None, **kwargs):
    """Integers drawn uniformly from [low, high) (int32 by default).

    Examples
    --------
    >>> import mxlite as mx
    >>> mx.sym.random.randint(0, 10, shape=(2, 2)).infer_type()[1]
    [<class 'numpy.int32'>]
    """
    if not isinstance(low, _NUMBERS) or not isinstance(high, _NUMBERS):
        raise MXNetError('random.randint: low and high must be integers, got %s and %s'
                         % (type(low).__name__, type(high).__name__))
    return _helper('randint', [low, high], shape, dtype, kwargs)


# `_random_<d>_like` ops: samples shaped like their input, e.g. normal_like(x)
__all__ += populate_prefixed(sys.modules[__name__], make_function, '_random_', '_like')
