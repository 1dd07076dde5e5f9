"""mx.nd.random: draw arrays from distributions, as MXNet 1.x's Python API does.

Scalar parameters call the ``_random_<d>`` operators (shape defaults to ``(1,)``, the
context to the current one); NDArray parameters call ``_sample_<d>``, drawing `shape`
samples per element. Every stream comes from the context's Generator, so
``mx.random.seed(n)`` makes the draws reproducible.
"""
import numbers
import sys

import numpy as np

from .._namespace import populate_prefixed
from ..base import MXNetError
from ..context import Context, current_context
from ..ops import registry
from .ndarray import NDArray
from .register import invoke, make_function

__all__ = ['uniform', 'normal', 'randn', 'poisson', 'exponential', 'gamma', 'multinomial',
           'negative_binomial', 'generalized_negative_binomial', 'shuffle', 'randint']

_NUMBERS = (numbers.Number, np.generic)


def _helper(dist, params, shape, dtype, ctx, out, kwargs, names=None):
    """Dispatch to _random_<dist> (numbers) or _sample_<dist> (NDArrays)."""
    if isinstance(params[0], NDArray):
        for v in params[1:]:
            if not isinstance(v, NDArray):
                raise MXNetError('Distribution parameters must all have the same type, but '
                                 'got both %s and %s.' % (type(params[0]).__name__,
                                                          type(v).__name__))
        attrs = dict(kwargs)
        if shape is not None:
            attrs['shape'] = shape
        if dtype is not None:
            attrs['dtype'] = dtype
        elif out is not None:
            attrs['dtype'] = np.dtype(out.dtype).name
        return invoke('_sample_' + dist, list(params), attrs, out=out)
    if isinstance(params[0], _NUMBERS):
        for v in params[1:]:
            if not isinstance(v, _NUMBERS):
                raise MXNetError('Distribution parameters must all have the same type, but '
                                 'got both %s and %s.' % (type(params[0]).__name__,
                                                          type(v).__name__))
        if ctx is None:
            ctx = out.context if out is not None else current_context()
        if shape is None:
            shape = out.shape if out is not None else (1,)
        if dtype is None and out is not None:
            dtype = np.dtype(out.dtype).name
        op = registry.get('_random_' + dist)
        names = names or [n for n in op.params if n not in ('shape', 'ctx', 'dtype')]
        attrs = dict(zip(names, params))
        attrs.update(kwargs)
        attrs['shape'] = shape
        if dtype is not None:
            attrs['dtype'] = dtype
        return invoke(op, [], attrs, out=out, ctx=Context(ctx))
    raise MXNetError('Distribution parameters must be either NDArray or numbers, but got %s.'
                     % type(params[0]).__name__)


def uniform(low=0, high=1, shape=None, dtype=None, ctx=None, out=None, **kwargs):
    """Draws samples from a uniform distribution on [low, high).

    Parameters
    ----------
    low, high : float or NDArray
        The interval. NDArrays (of equal shapes) give one distribution per element.
    shape : int or tuple of int, optional
        Samples to draw: the output shape for scalar parameters (default (1,)), the
        draws per distribution for NDArray parameters (output ``low.shape + shape``).
    dtype : {'float16', 'float32', 'float64'}, optional
        Output dtype, float32 by default.
    ctx : Context, optional
        Where the output lives (scalar parameters only); the current context by default.
    out : NDArray, optional
        Write the samples here.

    Examples
    --------
    >>> import mxlite as mx
    >>> mx.nd.random.uniform(-1, 1, shape=(2, 3)).shape
    (2, 3)
    >>> mx.nd.random.uniform(mx.nd.array([0., 10.]), mx.nd.array([1., 11.]), shape=4).shape
    (2, 4)
    """
    return _helper('uniform', [low, high], shape, dtype, ctx, out, kwargs)


def normal(loc=0, scale=1, shape=None, dtype=None, ctx=None, out=None, **kwargs):
    """Draws samples from a normal distribution with mean `loc` and std `scale`.

    Parameters are as for `uniform`.

    Examples
    --------
    >>> import mxlite as mx
    >>> mx.nd.random.normal(0, 1, shape=(2,)).shape
    (2,)
    """
    return _helper('normal', [loc, scale], shape, dtype, ctx, out, kwargs)


def randn(*shape, **kwargs):
    """Draws standard normal samples of shape `shape` (`loc`, `scale` keywords allowed).

    Examples
    --------
    >>> import mxlite as mx
    >>> mx.nd.random.randn(2, 3, loc=5, scale=1).shape
    (2, 3)
    """
    loc = kwargs.pop('loc', 0)
    scale = kwargs.pop('scale', 1)
    dtype = kwargs.pop('dtype', None)
    ctx = kwargs.pop('ctx', None)
    out = kwargs.pop('out', None)
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    return _helper('normal', [loc, scale], tuple(shape) if shape else None, dtype, ctx, out,
                   kwargs)


def poisson(lam=1, shape=None, dtype=None, ctx=None, out=None, **kwargs):
    """Draws samples from a Poisson distribution of rate `lam` (as floats).

    Examples
    --------
    >>> import mxlite as mx
    >>> mx.nd.random.poisson(4, shape=(3,)).dtype
    <class 'numpy.float32'>
    """
    return _helper('poisson', [lam], shape, dtype, ctx, out, kwargs)


def exponential(scale=1, shape=None, dtype=None, ctx=None, out=None, **kwargs):
    """Draws samples from an exponential distribution of scale `scale` (rate 1/scale).

    Examples
    --------
    >>> import mxlite as mx
    >>> mx.nd.random.exponential(2, shape=(3,)).shape
    (3,)
    """
    return _helper('exponential', [1.0 / scale], shape, dtype, ctx, out, kwargs)


def gamma(alpha=1, beta=1, shape=None, dtype=None, ctx=None, out=None, **kwargs):
    """Draws samples from a gamma distribution of shape `alpha` and scale `beta`.

    Examples
    --------
    >>> import mxlite as mx
    >>> mx.nd.random.gamma(2, 0.5, shape=(3,)).shape
    (3,)
    """
    return _helper('gamma', [alpha, beta], shape, dtype, ctx, out, kwargs)


def negative_binomial(k=1, p=1, shape=None, dtype=None, ctx=None, out=None, **kwargs):
    """Draws the number of failures before `k` successes of probability `p` (as floats).

    Examples
    --------
    >>> import mxlite as mx
    >>> mx.nd.random.negative_binomial(10, 0.5, shape=(2,)).shape
    (2,)
    """
    return _helper('negative_binomial', [k, p], shape, dtype, ctx, out, kwargs)


def generalized_negative_binomial(mu=1, alpha=1, shape=None, dtype=None, ctx=None, out=None,
                                  **kwargs):
    """Draws from a negative binomial of mean `mu` and dispersion `alpha` (as floats).

    Examples
    --------
    >>> import mxlite as mx
    >>> mx.nd.random.generalized_negative_binomial(10, 0.5, shape=(2,)).shape
    (2,)
    """
    return _helper('generalized_negative_binomial', [mu, alpha], shape, dtype, ctx, out,
                   kwargs)


def multinomial(data, shape=None, get_prob=False, out=None, dtype='int32', **kwargs):
    """Draws category indices from the distributions along the last axis of `data`.

    Returns ``[samples, log_likelihood]`` when `get_prob` is True.

    Examples
    --------
    >>> import mxlite as mx
    >>> mx.nd.random.multinomial(mx.nd.array([[0., 1.], [1., 0.]])).asnumpy()
    array([1, 0], dtype=int32)
    """
    attrs = dict(kwargs, get_prob=get_prob, dtype=dtype)
    if shape is not None:
        attrs['shape'] = shape
    return invoke('_sample_multinomial', [data], attrs, out=out)


def shuffle(data, **kwargs):
    """A copy of `data` with its first axis randomly permuted.

    Examples
    --------
    >>> import mxlite as mx
    >>> mx.nd.random.shuffle(mx.nd.arange(4)).shape
    (4,)
    """
    out = kwargs.pop('out', None)
    return invoke('_shuffle', [data], kwargs, out=out)


def randint(low, high, shape=None, dtype=None, ctx=None, out=None, **kwargs):
    """Draws integers uniformly from [low, high) (int32 by default).

    Examples
    --------
    >>> import mxlite as mx
    >>> mx.nd.random.randint(0, 10, shape=(2, 2)).dtype
    <class 'numpy.int32'>
    """
    if not isinstance(low, _NUMBERS) or not isinstance(high, _NUMBERS):
        raise MXNetError('randint: low and high must be integers, got %s and %s'
                         % (type(low).__name__, type(high).__name__))
    return _helper('randint', [low, high], shape, dtype, ctx, out, kwargs)


# `_random_<d>_like` ops: samples shaped like their input, e.g. normal_like(x)
__all__ += populate_prefixed(sys.modules[__name__], make_function, '_random_', '_like')
