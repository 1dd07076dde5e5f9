"""Activation functions: `Activation` (relu, sigmoid, tanh, softrelu, softsign) and
`LeakyReLU` (leaky, prelu, rrelu, elu, selu, gelu).

Each function is a table row: a forward formula and a gradient formula written in terms of
what backward keeps (the output for Activation, so that the op can run in place; the input
for LeakyReLU, as MXNet does)."""
import math

import numpy as np

from ._util import relu_into, sigmoid as _sigmoid
from ._workspace import parallel_flat
from .registry import Enum, Float, Operator, register, shape_check


def _compute_dtype(x):
    """float16 kernels compute in float32, as MXNet does (its AccType)."""
    return np.float32 if x.dtype == np.float16 else x.dtype


# ----------------------------------------------------------------------------- erf
def _erf_series_coefs(n):
    # erf(x) = 2/sqrt(pi) * exp(-x^2) * x * sum_k (2x^2)^k / (2k+1)!!  (all terms positive)
    coefs = [1.0]
    for k in range(1, n):
        coefs.append(coefs[-1] / (2 * k + 1))
    return coefs[::-1]


_ERF_SERIES = _erf_series_coefs(36)

# Chebyshev fit of erfc (Numerical Recipes' erfcc): fractional error below 1.2e-7
_ERFC_CHEB = (0.17087277, -0.82215223, 1.48851587, -1.13520398, 0.27886807, -0.18628806,
              0.09678418, 0.37409196, 1.00002368, -1.26551223)


def _erf_f32(x):
    """erf in float32 arithmetic, ~3e-7 absolute error: one exp and a Horner chain."""
    a = np.abs(x)
    t = 1.0 / (1.0 + 0.5 * a)
    poly = np.full_like(t, _ERFC_CHEB[0])
    for c in _ERFC_CHEB[1:]:
        poly *= t
        poly += c
    poly -= a * a
    np.exp(poly, out=poly)
    poly *= t          # erfc(|x|)
    np.subtract(1.0, poly, out=poly)
    return np.copysign(poly, x)


def erf(x):
    """The error function, elementwise, without scipy.

    float64: positive-term series below |x| = 2 and the Laplace continued fraction for
    erfc above (~1e-15 absolute error). float32/float16: a Chebyshev fit of erfc computed
    in float32 (~3e-7 absolute error, several times faster).
    """
    x = np.asarray(x)
    if x.dtype in (np.float32, np.float16):
        return _erf_f32(x.astype(np.float32, copy=False)).astype(x.dtype, copy=False)
    a = np.abs(x.astype(np.float64))
    small = a < 2.0
    s = np.where(small, a, 0.0)
    z = 2.0 * s * s
    acc = np.full_like(s, _ERF_SERIES[0])
    for c in _ERF_SERIES[1:]:
        acc *= z
        acc += c
    acc *= s
    acc *= np.exp(-s * s)
    acc *= 2.0 / math.sqrt(math.pi)
    if not small.all():
        b = np.where(small, 2.0, a)
        f = b.copy()
        for k in range(40, 0, -1):
            np.divide(k / 2.0, f, out=f)
            f += b
        tail = np.exp(-b * b)
        tail /= f
        tail *= -1.0 / math.sqrt(math.pi)
        tail += 1.0
        acc = np.where(small, acc, tail)
    return np.copysign(acc, x)


# ----------------------------------------------------------------------------- Activation
def _softrelu(x, out):
    np.logaddexp(0, x, out=out)
    return out


def _softsign(x, out):
    np.divide(x, 1 + np.abs(x), out=out)
    return out


def _relu_grad(y, out):
    return np.greater(y, 0, out=out)   # 0/1 in out's dtype: a bool operand would cast later


def _sigmoid_grad(y, out):
    np.subtract(1, y, out=out)
    return np.multiply(out, y, out=out)


def _tanh_grad(y, out):
    np.multiply(y, y, out=out)
    return np.subtract(1, out, out=out)


def _softrelu_grad(y, out):
    # y = log(1 + e^x)  =>  dy/dx = sigmoid(x) = 1 - e^-y
    np.negative(y, out=out)
    np.expm1(out, out=out)
    return np.negative(out, out=out)


def _softsign_grad(y, out):
    # y = x / (1 + |x|)  =>  dy/dx = 1 / (1 + |x|)^2 = (1 - |y|)^2
    np.abs(y, out=out)
    np.subtract(1, out, out=out)
    return np.square(out, out=out)


# act_type -> (forward(x, out), dy/dx(y, out) from the output y written into out; backward
# then multiplies by the output gradient in place: whole-array temporaries cost more than
# the arithmetic here)
ACTIVATIONS = {
    'relu': (relu_into, _relu_grad),
    'sigmoid': (_sigmoid, _sigmoid_grad),
    'tanh': (lambda x, out: np.tanh(x, out=out), _tanh_grad),
    'softrelu': (_softrelu, _softrelu_grad),
    'softsign': (_softsign, _softsign_grad),
}
_BLOCK = 1 << 17   # elements per block when the gradient overwrites the output gradient
# relu is one cheap pass over data that the previous op just left in this core's cache:
# slices on other cores only add traffic (Inception-BN inference: 5.3 -> 12.9 ms)
_NOT_SPLIT = ('relu',)


def _grad_into(deriv, y, g, dst, split=True):
    """dst = g * deriv(y), all C-contiguous, in slices on several threads if `split`. When
    dst is g's own memory (an in-place gradient), blocks go through a small buffer so that
    g is read before it is overwritten."""
    if not np.may_share_memory(dst, g) and not np.may_share_memory(dst, y):
        def part(ys, gs, ds):
            deriv(ys, ds)
            np.multiply(ds, gs, out=ds)
    else:
        def part(ys, gs, ds):
            tmp = np.empty(min(_BLOCK, ys.size), ds.dtype)
            for s in range(0, ys.size, _BLOCK):
                t = tmp[:min(_BLOCK, ys.size - s)]
                deriv(ys[s:s + _BLOCK], t)
                np.multiply(t, gs[s:s + _BLOCK], out=ds[s:s + _BLOCK])
    if split:
        parallel_flat(part, y, g, dst)
    else:
        part(y.reshape(-1), g.reshape(-1), dst.reshape(-1))
    return dst


@register
class Activation(Operator):
    """Applies an activation function elementwise.

    ``relu``: max(x, 0); ``sigmoid``: 1 / (1 + exp(-x)); ``tanh``; ``softrelu``:
    log(1 + exp(x)); ``softsign``: x / (1 + |x|).

    Parameters
    ----------
    data : Symbol or NDArray
        The input array.
    act_type : {'relu', 'sigmoid', 'softrelu', 'softsign', 'tanh'}, required
        The activation function.

    Examples
    --------
    >>> import mxlite as mx
    >>> mx.nd.Activation(mx.nd.array([-1., 2.]), act_type='relu').asnumpy()
    array([0., 2.], dtype=float32)
    """
    name = 'Activation'
    params = {'act_type': Enum(('relu', 'sigmoid', 'softrelu', 'softsign', 'tanh'),
                               doc='Activation function to be applied.')}
    inplace = ((0, 0),)
    backward_uses_inputs = False   # every gradient is written in terms of the output

    def forward(self, p, inputs, outputs, ctx):
        x, out = inputs[0], outputs[0]
        fwd = ACTIVATIONS[p.act_type][0]
        if _compute_dtype(x) != x.dtype:
            out[...] = fwd(x.astype(np.float32), np.empty(x.shape, np.float32))
        elif x.flags.c_contiguous and out.flags.c_contiguous and \
                p.act_type not in _NOT_SPLIT:
            parallel_flat(fwd, x, out)
        else:
            fwd(x, out)

    def backward(self, p, ograds, inputs, outputs, ctx):
        y, g = outputs[0], ograds[0]
        deriv = ACTIVATIONS[p.act_type][1]
        dst = ctx.dst(0)   # the executor's gradient array, written in place when offered
        if dst is not None and dst.dtype == y.dtype == g.dtype == _compute_dtype(y) and \
                dst.shape == y.shape and y.flags.c_contiguous and g.flags.c_contiguous:
            return [_grad_into(deriv, y, g, dst, p.act_type not in _NOT_SPLIT)]
        if _compute_dtype(y) != y.dtype:
            y, g = y.astype(np.float32), g.astype(np.float32)
        grad = deriv(y, np.empty(y.shape, y.dtype))
        grad = np.multiply(grad, g, out=grad)
        return [grad.astype(outputs[0].dtype, copy=False)]


# ----------------------------------------------------------------------------- LeakyReLU
_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_LAMBDA = 1.0507009873554804934193349852946


def _leaky(x, slope):
    if 0 <= slope <= 1:   # max(x, slope * x): two passes instead of a where
        out = np.multiply(x, slope)
        return np.maximum(x, out, out=out)
    return np.where(x > 0, x, x * slope)


def _leaky_grad(x, slope):
    return np.where(x > 0, 1, slope)


def _elu(x, slope):
    return np.where(x > 0, x, slope * np.expm1(np.minimum(x, 0)))


def _elu_grad(x, slope):
    return np.where(x > 0, 1, slope * np.exp(np.minimum(x, 0)))


def _selu(x, slope):
    return _SELU_LAMBDA * np.where(x > 0, x, _SELU_ALPHA * np.expm1(np.minimum(x, 0)))


def _selu_grad(x, slope):
    # MXNet 1.9.1 computes the negative side as lambda * (y + alpha) from the output y,
    # not the true derivative lambda * alpha * exp(x); we reproduce what it computes.
    y = _selu(x, slope)
    return np.where(x > 0, _SELU_LAMBDA, _SELU_LAMBDA * (y + _SELU_ALPHA))


def _gelu(x, slope):
    # the exact (erf) form, which MXNet 1.9.1 uses
    return 0.5 * x * (1 + erf(x * (1 / math.sqrt(2))))


def _gelu_grad(x, slope):
    cdf = 0.5 * (1 + erf(x * (1 / math.sqrt(2))))
    return cdf + x * np.exp(-0.5 * x * x) * (1 / math.sqrt(2 * math.pi))


LEAKY = {'leaky': (_leaky, _leaky_grad), 'elu': (_elu, _elu_grad),
         'selu': (_selu, _selu_grad), 'gelu': (_gelu, _gelu_grad)}


def _gamma_shape(gshape, dshape):
    """prelu's gamma shape expanded to the data's rank, or None when it does not fit.

    As MXNet: gamma's axes are matched from the right against data axes 1 and 0 only (a
    size equal to the data's or 1), every other axis broadcasts: (C,) slopes per channel,
    (N, C) per sample and channel, (1,) one slope."""
    result = [1] * len(dshape)
    s = len(gshape) - 1
    for i in range(len(dshape) - 1, -1, -1):
        if s >= 0 and i <= 1 and gshape[s] in (dshape[i], 1):
            result[i] = gshape[s]
            s -= 1
    return tuple(result) if s == -1 else None


def _gamma_view(gamma, dshape):
    return gamma.reshape(_gamma_shape(gamma.shape, dshape))


@register
class LeakyReLU(Operator):
    """Leaky rectified linear units and their relatives, elementwise.

    ``leaky``: x if x > 0 else slope * x.
    ``prelu``: like leaky with a learned per-channel slope, the input ``gamma`` of shape
    (channels,) broadcast along axis 1 (shape (1,) shares one slope).
    ``rrelu``: in training the slope of each element is drawn uniformly from
    [lower_bound, upper_bound] (kept in a hidden ``mask`` output for backward); at inference
    the slope is (lower_bound + upper_bound) / 2.
    ``elu``: x if x > 0 else slope * (exp(x) - 1).
    ``selu``: lambda * (x if x > 0 else alpha * (exp(x) - 1)) with the constants of
    Klambauer et al. (2017). Its gradient for x <= 0 is lambda * (y + alpha), which is what
    MXNet 1.9.1 computes (the exact derivative would be y + lambda * alpha).
    ``gelu``: 0.5 * x * (1 + erf(x / sqrt(2))).

    Parameters
    ----------
    data : Symbol or NDArray
        The input array.
    gamma : Symbol or NDArray
        Slopes for ``prelu`` only.
    act_type : {'elu', 'gelu', 'leaky', 'prelu', 'rrelu', 'selu'}, default 'leaky'
    slope : float, default 0.25
        Slope for ``leaky`` and the alpha of ``elu``.
    lower_bound, upper_bound : float, default 0.125, 0.334
        Range of random slopes for ``rrelu``.

    Examples
    --------
    >>> import mxlite as mx
    >>> mx.nd.LeakyReLU(mx.nd.array([-2., 3.]), slope=0.1).asnumpy()
    array([-0.2,  3. ], dtype=float32)
    """
    name = 'LeakyReLU'
    params = {
        'act_type': Enum(('elu', 'gelu', 'leaky', 'prelu', 'rrelu', 'selu'), 'leaky',
                         doc='Activation function to be applied.'),
        'slope': Float(0.25, doc='Init slope for the activation (for leaky and elu).'),
        'lower_bound': Float(0.125, doc='Lower bound of random slope (for rrelu only).'),
        'upper_bound': Float(0.334, doc='Upper bound of random slope (for rrelu only).'),
    }
    backward_uses_outputs = False
    auto_var_attrs = {'gamma': {'__init__': '["Constant", {"value": 0.25}]'}}

    def list_arguments(self, p):
        return ['data', 'gamma'] if p.act_type == 'prelu' else ['data']

    def list_outputs(self, p):
        return ['output', 'mask'] if p.act_type == 'rrelu' else ['output']

    def num_visible_outputs(self, p):
        return 1

    def infer_shape(self, p, in_shapes):
        data = in_shapes[0]
        n_out = self.num_outputs(p)
        if p.act_type != 'prelu':
            return in_shapes, [data] * n_out
        gamma = in_shapes[1]
        if data is None:
            return in_shapes, [None]
        data = tuple(data)
        channels = data[1] if len(data) >= 2 else 1
        if gamma is None:
            gamma = (channels,)
        shape_check(_gamma_shape(tuple(gamma), data) is not None,
                    "input 'gamma' has shape %s, which does not broadcast against data %s "
                    "on its axes 0-1: expected e.g. (%d,) (one slope per channel), (1,) or "
                    "(N, C)", tuple(gamma), data, channels)
        return [data, tuple(gamma)], [data]

    def forward(self, p, inputs, outputs, ctx):
        x = inputs[0]
        xc = x.astype(np.float32) if _compute_dtype(x) != x.dtype else x
        kind = p.act_type
        if kind == 'prelu':
            gamma = _gamma_view(inputs[1].astype(xc.dtype, copy=False), x.shape)
            y = np.where(xc > 0, xc, xc * gamma)
        elif kind == 'rrelu':
            if ctx.is_train:
                slope = ctx.rng.uniform(p.lower_bound, p.upper_bound, size=x.shape)
            else:
                slope = (p.lower_bound + p.upper_bound) / 2.0
            outputs[1][...] = slope
            ctx.state['slope'] = outputs[1].copy()  # the mask buffer may be reused
            y = np.where(xc > 0, xc, xc * slope)
        else:
            y = LEAKY[kind][0](xc, xc.dtype.type(p.slope))
        outputs[0][...] = y

    def backward(self, p, ograds, inputs, outputs, ctx):
        x, g = inputs[0], ograds[0]
        kind = p.act_type
        if kind == 'prelu':
            gamma = inputs[1]
            gv = _gamma_view(gamma, x.shape)
            neg = x <= 0
            dx = g * np.where(neg, gv, 1).astype(x.dtype, copy=False)
            contrib = np.where(neg, g * x, 0)
            axes = tuple(i for i, d in enumerate(gv.shape) if d == 1 and x.shape[i] != 1)
            dgamma = contrib.sum(axis=axes, keepdims=True).reshape(gamma.shape)
            return [dx.astype(x.dtype, copy=False), dgamma.astype(gamma.dtype, copy=False)]
        if kind == 'rrelu':
            dx = g * np.where(x > 0, 1, ctx.state['slope'])
            return [dx.astype(x.dtype, copy=False)]
        xc = x.astype(np.float32) if _compute_dtype(x) != x.dtype else x
        dx = LEAKY[kind][1](xc, xc.dtype.type(p.slope)) * g
        return [dx.astype(x.dtype, copy=False)]
