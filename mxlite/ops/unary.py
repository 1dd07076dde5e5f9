"""Elementwise math on one array (exp, log, sqrt, trig, rounding, erf, gamma, ...) and clip.

Every function is one row of `UNARY`: its forward, its gradient written as a formula of
the input ``x``, the output ``y`` and the head gradient ``g``, and what that formula reads
(so the memory planner knows whether ``x`` must outlive the forward pass). The records
are made from the rows; the special functions (erfinv, gamma, gammaln, digamma) are
vectorised NumPy here because scipy is not a dependency.
"""
import math

import numpy as np

from ._util import relu_into, sigmoid as _sigmoid
from .activation import erf
from .registry import Float, Operator, register

_SQRT_PI = math.sqrt(math.pi)


# ----------------------------------------------------------------------------- special
# Lanczos approximation (g = 7, 9 terms): ~1e-15 relative accuracy for Re(x) >= 0.5.
_LANCZOS_G = 7.0
_LANCZOS = (0.99999999999980993, 676.5203681218851, -1259.1392167224028,
            771.32342877765313, -176.61502916214059, 12.507343278686905,
            -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7)


def _lgamma_right(x):
    """log|Gamma(x)| for x >= 0.5 (float64)."""
    z = x - 1.0
    acc = np.full_like(z, _LANCZOS[0])
    for i, c in enumerate(_LANCZOS[1:], start=1):
        acc += c / (z + i)
    t = z + _LANCZOS_G + 0.5
    return 0.5 * math.log(2 * math.pi) + (z + 0.5) * np.log(t) - t + np.log(acc)


def _is_pole(x):
    return (x <= 0) & (x == np.floor(x))


def gammaln(x):
    """log|Gamma(x)| elementwise (float64); +inf at 0 and the negative integers."""
    x = np.asarray(x, dtype=np.float64)
    left = x < 0.5
    with np.errstate(divide='ignore', invalid='ignore'):
        right = _lgamma_right(np.where(left, 1.0 - x, x))
        # reflection: Gamma(x) Gamma(1-x) = pi / sin(pi x)
        refl = math.log(math.pi) - np.log(np.abs(np.sin(math.pi * x))) - right
    out = np.where(left, refl, right)
    out[_is_pole(x)] = np.inf
    return out


def gamma(x):
    """Gamma(x) elementwise (float64); nan at the negative integers, +-inf at 0."""
    x = np.asarray(x, dtype=np.float64)
    with np.errstate(over='ignore', invalid='ignore'):
        mag = np.exp(gammaln(x))
    # Gamma is negative on (-1, 0), (-3, -2), ...: where floor(x) is odd
    neg = (x < 0) & (np.mod(np.floor(x), 2) == 1)
    out = np.where(neg, -mag, mag)
    pole = _is_pole(x)
    out[pole] = np.where(x[pole] == 0, np.copysign(np.inf, x[pole]), np.nan)
    return out


def digamma(x):
    """psi(x) = d/dx log Gamma(x) elementwise (float64); nan at the poles."""
    x = np.asarray(x, dtype=np.float64)
    left = x < 0.5
    z = np.where(left, 1.0 - x, x)
    # shift z up by 10 with the recurrence psi(z) = psi(z + 1) - 1/z, then the series
    acc = np.zeros_like(z)
    for k in range(10):
        acc += 1.0 / (z + k)
    y = z + 10.0
    inv2 = 1.0 / (y * y)
    series = inv2 * (1 / 12. - inv2 * (1 / 120. - inv2 * (1 / 252. - inv2 * (
        1 / 240. - inv2 * (1 / 132.)))))
    psi = np.log(y) - 0.5 / y - series - acc
    with np.errstate(divide='ignore', invalid='ignore'):
        psi = np.where(left, psi - math.pi / np.tan(math.pi * x), psi)
    psi[_is_pole(x)] = np.nan
    return psi


def erfinv(y):
    """Inverse error function elementwise (float64): +-inf at +-1, nan outside [-1, 1]."""
    y = np.asarray(y, dtype=np.float64)
    inside = np.abs(y) < 1
    yc = np.where(inside, y, 0.0)
    # Winitzki's closed form (~2e-3 relative), then Newton steps on erf(x) = y
    a = 0.147
    ln = np.log1p(-yc * yc)
    t = 2 / (math.pi * a) + ln / 2
    x = np.copysign(np.sqrt(np.sqrt(t * t - ln / a) - t), yc)
    for _ in range(3):
        x -= (erf(x) - yc) / (2 / _SQRT_PI * np.exp(-x * x))
    with np.errstate(invalid='ignore'):
        edge = np.where(np.abs(y) == 1, np.copysign(np.inf, y), np.nan)
    return np.where(inside, x, edge)


# ----------------------------------------------------------------------------- forwards
def _uf(ufunc):
    """A NumPy ufunc as a forward that writes into `out`."""
    def fwd(x, out):
        ufunc(x, out=out)
    return fwd


def _f64(fn):
    """A float64 special function as a forward (cast into `out`)."""
    def fwd(x, out):
        out[...] = fn(x.astype(np.float64))
    return fwd


def _rsqrt(x, out):
    np.sqrt(x, out=out)
    np.reciprocal(out, out=out)


def _rcbrt(x, out):
    np.cbrt(x, out=out)
    np.reciprocal(out, out=out)


def _round_half_away(x, out):
    # C's round(): halves go away from zero (numpy's round goes to even). x - trunc(x) is
    # exact, so this is right even where x + 0.5 would round.
    t = np.trunc(x)
    out[...] = t + np.where(np.abs(x - t) >= 0.5, np.sign(x), 0).astype(x.dtype)


def _softsign(x, out):
    np.divide(x, 1 + np.abs(x), out=out)


def _logical_not(x, out):
    out[...] = x == 0


def _zero(x, y, g):
    return np.zeros_like(g)


_LN2, _LN10 = math.log(2), math.log(10)

# name -> (forward(x, out), gradient(x, y, g) or None for "zero", reads, aliases)
# `reads` says what the gradient needs: 'x' (input), 'y' (output), 'xy' or '' (nothing).
UNARY = {
    'exp': (_uf(np.exp), lambda x, y, g: g * y, 'y', ()),
    'log': (_uf(np.log), lambda x, y, g: g / x, 'x', ()),
    'log2': (_uf(np.log2), lambda x, y, g: g / (x * _LN2), 'x', ()),
    'log10': (_uf(np.log10), lambda x, y, g: g / (x * _LN10), 'x', ()),
    'log1p': (_uf(np.log1p), lambda x, y, g: g / (1 + x), 'x', ()),
    'expm1': (_uf(np.expm1), lambda x, y, g: g * np.exp(x), 'x', ()),
    'sqrt': (_uf(np.sqrt), lambda x, y, g: g * 0.5 / y, 'y', ()),
    'rsqrt': (_rsqrt, lambda x, y, g: g * -0.5 / (x * np.sqrt(x)), 'x', ()),
    'cbrt': (_uf(np.cbrt), lambda x, y, g: g / (3 * y * y), 'y', ()),
    'rcbrt': (_rcbrt, lambda x, y, g: g * (-1.0 / 3) / (x * np.cbrt(x)), 'x', ()),
    'square': (_uf(np.square), lambda x, y, g: g * 2 * x, 'x', ()),
    'abs': (_uf(np.abs), lambda x, y, g: g * np.sign(x), 'x', ()),
    'sign': (_uf(np.sign), None, '', ()),
    'reciprocal': (_uf(np.reciprocal), lambda x, y, g: -g / (x * x), 'x', ()),
    'round': (_round_half_away, None, '', ()),
    'rint': (_uf(np.rint), None, '', ()),
    'floor': (_uf(np.floor), None, '', ()),
    'ceil': (_uf(np.ceil), None, '', ()),
    'trunc': (_uf(np.trunc), None, '', ()),
    'fix': (_uf(np.trunc), None, '', ()),
    'sin': (_uf(np.sin), lambda x, y, g: g * np.cos(x), 'x', ()),
    'cos': (_uf(np.cos), lambda x, y, g: -g * np.sin(x), 'x', ()),
    'tan': (_uf(np.tan), lambda x, y, g: g * (1 + y * y), 'y', ()),
    'arcsin': (_uf(np.arcsin), lambda x, y, g: g / np.sqrt(1 - x * x), 'x', ()),
    'arccos': (_uf(np.arccos), lambda x, y, g: -g / np.sqrt(1 - x * x), 'x', ()),
    'arctan': (_uf(np.arctan), lambda x, y, g: g / (1 + x * x), 'x', ()),
    'sinh': (_uf(np.sinh), lambda x, y, g: g * np.cosh(x), 'x', ()),
    'cosh': (_uf(np.cosh), lambda x, y, g: g * np.sinh(x), 'x', ()),
    'tanh': (_uf(np.tanh), lambda x, y, g: g * (1 - y * y), 'y', ()),
    'arcsinh': (_uf(np.arcsinh), lambda x, y, g: g / np.sqrt(x * x + 1), 'x', ()),
    'arccosh': (_uf(np.arccosh), lambda x, y, g: g / np.sqrt(x * x - 1), 'x', ()),
    'arctanh': (_uf(np.arctanh), lambda x, y, g: g / (1 - x * x), 'x', ()),
    'degrees': (_uf(np.degrees), lambda x, y, g: g * (180 / math.pi), '', ()),
    'radians': (_uf(np.radians), lambda x, y, g: g * (math.pi / 180), '', ()),
    'sigmoid': (_sigmoid, lambda x, y, g: g * y * (1 - y), 'y', ()),
    'relu': (relu_into, lambda x, y, g: g * (y > 0), 'y', ()),
    'softsign': (_softsign, lambda x, y, g: g / np.square(1 + np.abs(x)), 'x', ()),
    'erf': (_f64(erf), lambda x, y, g: g * (2 / _SQRT_PI) * np.exp(-np.square(x)), 'x', ()),
    'erfinv': (_f64(erfinv), lambda x, y, g: g * (_SQRT_PI / 2) * np.exp(np.square(y)),
               'y', ()),
    'gamma': (_f64(gamma), lambda x, y, g: g * y * digamma(x), 'xy', ()),
    'gammaln': (_f64(gammaln), lambda x, y, g: g * digamma(x), 'x', ()),
    'logical_not': (_logical_not, None, '', ()),
}

_DOCS = {
    'exp': 'exponential', 'log': 'natural logarithm', 'log2': 'base-2 logarithm',
    'log10': 'base-10 logarithm', 'log1p': 'log(1 + x)', 'expm1': 'exp(x) - 1',
    'sqrt': 'square root', 'rsqrt': '1 / sqrt(x)', 'cbrt': 'cube root',
    'rcbrt': '1 / cbrt(x)', 'square': 'x * x', 'abs': 'absolute value',
    'sign': 'sign (-1, 0 or 1)', 'reciprocal': '1 / x',
    'round': 'nearest integer, halves away from zero',
    'rint': 'nearest integer, halves to even', 'floor': 'floor', 'ceil': 'ceiling',
    'trunc': 'integer part (towards zero)', 'fix': 'rounding towards zero',
    'sin': 'sine', 'cos': 'cosine', 'tan': 'tangent', 'arcsin': 'inverse sine',
    'arccos': 'inverse cosine', 'arctan': 'inverse tangent', 'sinh': 'hyperbolic sine',
    'cosh': 'hyperbolic cosine', 'tanh': 'hyperbolic tangent',
    'arcsinh': 'inverse hyperbolic sine', 'arccosh': 'inverse hyperbolic cosine',
    'arctanh': 'inverse hyperbolic tangent', 'degrees': 'radians to degrees',
    'radians': 'degrees to radians', 'sigmoid': '1 / (1 + exp(-x))',
    'relu': 'max(x, 0)', 'softsign': 'x / (1 + |x|)', 'erf': 'the error function',
    'erfinv': 'the inverse error function', 'gamma': 'the gamma function',
    'gammaln': 'log of the absolute value of the gamma function',
    'logical_not': '1 where x == 0, else 0 (in the dtype of x)',
}


def _make_doc(name):
    return ('Computes the %s of the input, elementwise.\n\n'
            'Parameters\n----------\ndata : NDArray or Symbol\n    The input array.\n\n'
            'Examples\n--------\n>>> import mxlite as mx\n'
            '>>> mx.nd.%s(mx.nd.array([0.5, 1.0])).shape\n(2,)\n') % (_DOCS[name], name)


class _Unary(Operator):
    """One input, one output of the same shape and dtype."""
    fwd = None
    grad = None

    def forward(self, p, inputs, outputs, ctx):
        x, out = inputs[0], outputs[0]
        if x.dtype.kind != 'f':
            # integer arrays: compute in float64, truncate back (MXNet keeps the dtype)
            tmp = np.empty(x.shape, dtype=np.float64)
            with np.errstate(all='ignore'):
                type(self).fwd(x.astype(np.float64), tmp)
            np.copyto(out, tmp, casting='unsafe')
            return
        with np.errstate(divide='ignore', invalid='ignore', over='ignore'):
            type(self).fwd(x, out)

    def backward(self, p, ograds, inputs, outputs, ctx):
        x, g = inputs[0], ograds[0]
        grad = type(self).grad
        if grad is None:
            return [np.zeros_like(x)]
        y = outputs[0] if outputs else None
        with np.errstate(divide='ignore', invalid='ignore', over='ignore'):
            gx = grad(x, y, g)
        return [np.asarray(gx).astype(x.dtype, copy=False)]


def _make_unary(name, fwd, grad, reads, aliases):
    attrs = {
        'name': name, 'aliases': tuple(aliases), 'doc': _make_doc(name),
        'fwd': staticmethod(fwd), 'grad': staticmethod(grad) if grad else None,
        'backward_uses_inputs': 'x' in reads,
        'backward_uses_outputs': 'y' in reads,
        # the output may overwrite the input only when backward does not read the input
        'inplace': () if 'x' in reads else ((0, 0),),
    }
    register(type('Unary_' + name, (_Unary,), attrs))


for _name, (_fwd, _grad, _reads, _aliases) in UNARY.items():
    _make_unary(_name, _fwd, _grad, _reads, _aliases)


# ----------------------------------------------------------------------------- clip
@register
class Clip(Operator):
    """Clips (limits) the values of an array to ``[a_min, a_max]``.

    The gradient passes through where ``a_min <= x <= a_max`` and is zero elsewhere.

    Parameters
    ----------
    data : NDArray or Symbol
        The input array.
    a_min : float, required
        Lower bound.
    a_max : float, required
        Upper bound.

    Examples
    --------
    >>> import mxlite as mx
    >>> mx.nd.clip(mx.nd.array([-2., 0.5, 3.]), a_min=-1, a_max=1).asnumpy()
    array([-1. ,  0.5,  1. ], dtype=float32)
    """
    name = 'clip'
    params = {'a_min': Float(doc='Minimum value'), 'a_max': Float(doc='Maximum value')}
    backward_uses_outputs = False

    def forward(self, p, inputs, outputs, ctx):
        x = inputs[0]
        lo, hi = x.dtype.type(p.a_min), x.dtype.type(p.a_max)
        np.minimum(np.maximum(x, lo), hi, out=outputs[0])

    def backward(self, p, ograds, inputs, outputs, ctx):
        x = inputs[0]
        lo, hi = x.dtype.type(p.a_min), x.dtype.type(p.a_max)
        return [(ograds[0] * ((x >= lo) & (x <= hi))).astype(x.dtype, copy=False)]
