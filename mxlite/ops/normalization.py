"""Normalisation layers besides BatchNorm: `LayerNorm`, `InstanceNorm`, `L2Normalization`
and `LRN` (local response normalisation across channels).

LayerNorm and InstanceNorm share one kernel: normalise over a set of axes, then scale and
shift per channel. Hidden outputs (mean, std, norm) follow MXNet's output lists so that
saved graphs have the same number of entries per node.
"""
import numpy as np

from ._util import normalize_axis
from .registry import Bool, Enum, Float, Int, Operator, register, shape_check


def _acc(dtype):
    return np.dtype(np.float32) if np.dtype(dtype) == np.float16 else np.dtype(dtype)


def _moments(x, axes, eps):
    """(mean, 1/sqrt(var + eps)) over `axes`, kept as broadcastable arrays."""
    mean = x.mean(axis=axes, keepdims=True)
    diff = x - mean
    var = np.square(diff).mean(axis=axes, keepdims=True)
    return mean, 1.0 / np.sqrt(var + x.dtype.type(eps)), diff


def _norm_backward(g, xhat, istd, scale, axes):
    """Input gradient of xhat = (x - mean) * istd followed by * scale, over `axes`."""
    dxhat = g * scale
    return istd * (dxhat - dxhat.mean(axis=axes, keepdims=True)
                   - xhat * (dxhat * xhat).mean(axis=axes, keepdims=True))


def _bcast(vec, ndim, axis):
    shape = [1] * ndim
    shape[axis] = -1
    return vec.reshape(shape)


class _AffineNorm(Operator):
    """Normalise over some axes of data, then gamma * xhat + beta along one axis."""

    def list_arguments(self, p):
        return ['data', 'gamma', 'beta']

    def param_axis(self, p, ndim):
        raise NotImplementedError

    def norm_axes(self, p, ndim):
        raise NotImplementedError

    def stat_shape(self, p, data):
        raise NotImplementedError

    def infer_shape(self, p, in_shapes):
        data = in_shapes[0]
        n_out = self.num_outputs(p)
        if data is None:
            return in_shapes, [None] * n_out
        data = tuple(data)
        axis = self.param_axis(p, len(data))
        chan = (data[axis],)
        for name, s in zip(('gamma', 'beta'), in_shapes[1:]):
            shape_check(s is None or tuple(s) == chan,
                        "input '%s' has shape %s but data has shape %s; expected %s "
                        "(axis %d)", name, s, data, chan, axis)
        stat = self.stat_shape(p, data)
        return [data, chan, chan], [data, stat, stat]

    def infer_type(self, p, in_types):
        known = next((t for t in in_types if t is not None), None)
        if known is None:
            return in_types, [None] * 3
        return [known] * 3, [known] * 3

    def forward(self, p, inputs, outputs, ctx):
        x, gamma, beta = inputs
        acc = _acc(x.dtype)
        xa = x.astype(acc, copy=False)
        axes = self.norm_axes(p, x.ndim)
        axis = self.param_axis(p, x.ndim)
        mean, istd, diff = _moments(xa, axes, p.eps)
        diff *= istd
        diff *= _bcast(gamma.astype(acc, copy=False), x.ndim, axis)
        diff += _bcast(beta.astype(acc, copy=False), x.ndim, axis)
        outputs[0][...] = diff
        self.write_stats(p, outputs, mean, istd)
        ctx.state.update(mean=mean, istd=istd)

    def write_stats(self, p, outputs, mean, istd):
        outputs[1][...] = mean.reshape(outputs[1].shape)
        outputs[2][...] = (1.0 / istd).reshape(outputs[2].shape)

    def backward(self, p, ograds, inputs, outputs, ctx):
        x, gamma, beta = inputs
        acc = _acc(x.dtype)
        xa = x.astype(acc, copy=False)
        g = ograds[0].astype(acc, copy=False)
        axes = self.norm_axes(p, x.ndim)
        axis = self.param_axis(p, x.ndim)
        mean, istd = ctx.state['mean'], ctx.state['istd']
        xhat = (xa - mean) * istd
        other = tuple(i for i in range(x.ndim) if i != axis)
        dgamma = (g * xhat).sum(axis=other)
        dbeta = g.sum(axis=other)
        dx = _norm_backward(g, xhat, istd, _bcast(gamma.astype(acc, copy=False), x.ndim,
                                                  axis), axes)
        return [dx.astype(x.dtype, copy=False), dgamma.astype(gamma.dtype, copy=False),
                dbeta.astype(beta.dtype, copy=False)]


@register
class LayerNorm(_AffineNorm):
    """Layer normalization along one axis: ``gamma * (x - mean) / sqrt(var + eps) + beta``.

    The statistics are taken over ``axis`` only; gamma and beta have shape
    (data.shape[axis],). With ``output_mean_var`` the mean and the standard deviation
    ``sqrt(var + eps)`` (shape of data with ``axis`` set to 1) are also returned.

    Parameters
    ----------
    data, gamma, beta : Symbol or NDArray
    axis : int, default -1
    eps : float, default 1e-5
    output_mean_var : bool, default False

    Examples
    --------
    >>> import mxlite as mx
    >>> out = mx.nd.LayerNorm(mx.nd.array([[1., 3.]]), mx.nd.ones((2,)), mx.nd.zeros((2,)))
    >>> out.asnumpy().round(3)
    array([[-1.,  1.]], dtype=float32)
    """
    name = 'LayerNorm'
    params = {
        'axis': Int(-1, doc='The axis to perform layer normalization.'),
        'eps': Float(1e-5, doc='An epsilon parameter to prevent division by 0.'),
        'output_mean_var': Bool(False, doc='Output the mean and std as well.'),
    }
    backward_uses_outputs = False

    def list_outputs(self, p):
        return ['output', 'mean', 'std']

    def num_visible_outputs(self, p):
        return 3 if p.output_mean_var else 1

    def param_axis(self, p, ndim):
        return normalize_axis(p.axis, ndim)

    def norm_axes(self, p, ndim):
        return (normalize_axis(p.axis, ndim),)

    def stat_shape(self, p, data):
        axis = normalize_axis(p.axis, len(data))
        return data[:axis] + (1,) + data[axis + 1:]


@register
class InstanceNorm(_AffineNorm):
    """Instance normalization: each sample and channel normalised over its spatial axes.

    ``out = gamma * (x - mean) / sqrt(var + eps) + beta`` with mean and var taken over
    axes 2, 3, ... of each (sample, channel); gamma and beta have shape (channels,).

    Parameters
    ----------
    data : Symbol or NDArray
        Shape (batch, channels, spatial...).
    gamma, beta : Symbol or NDArray
    eps : float, default 1e-3

    Examples
    --------
    >>> import mxlite as mx
    >>> x = mx.nd.array([[[1., 3.]]])
    >>> mx.nd.InstanceNorm(x, mx.nd.ones((1,)), mx.nd.zeros((1,))).asnumpy().round(3)
    array([[[-1.,  1.]]], dtype=float32)
    """
    name = 'InstanceNorm'
    params = {'eps': Float(1e-3, doc='An epsilon parameter to prevent division by 0.')}
    backward_uses_outputs = False

    def list_outputs(self, p):
        return ['output', 'mean', 'var']

    def num_visible_outputs(self, p):
        return 1

    def infer_shape(self, p, in_shapes):
        data = in_shapes[0]
        shape_check(data is None or len(data) >= 3, "input 'data' has shape %s; expected "
                    "(batch, channels, spatial...) with at least 3 dimensions", data)
        return super().infer_shape(p, in_shapes)

    def param_axis(self, p, ndim):
        return 1

    def norm_axes(self, p, ndim):
        return tuple(range(2, ndim))

    def stat_shape(self, p, data):
        return tuple(data[:2])

    def write_stats(self, p, outputs, mean, istd):
        outputs[1][...] = mean.reshape(outputs[1].shape)
        outputs[2][...] = (1.0 / np.square(istd) - p.eps).reshape(outputs[2].shape)


# ----------------------------------------------------------------------------- L2Normalization
@register
class L2Normalization(Operator):
    """Divides by the L2 norm: ``x / sqrt(sum(x ** 2) + eps)``.

    ``mode='instance'`` sums over everything but the batch axis; ``'channel'`` over axis
    1 (each position separately); ``'spatial'`` over axes 2, 3, ... (each sample and
    channel separately). The norm is a hidden second output.

    Parameters
    ----------
    data : Symbol or NDArray
    eps : float, default 1e-10
    mode : {'channel', 'instance', 'spatial'}, default 'instance'

    Examples
    --------
    >>> import mxlite as mx
    >>> mx.nd.L2Normalization(mx.nd.array([[3., 4.]])).asnumpy()
    array([[0.6, 0.8]], dtype=float32)
    """
    name = 'L2Normalization'
    params = {
        'eps': Float(1e-10, doc='A small constant for numerical stability.'),
        'mode': Enum(('channel', 'instance', 'spatial'), 'instance',
                     doc='Specify the dimension along which to compute L2 norm.'),
    }
    backward_uses_inputs = False

    def list_outputs(self, p):
        return ['output', 'norm']

    def num_visible_outputs(self, p):
        return 1

    @staticmethod
    def _axes(p, ndim):
        if p.mode == 'instance':
            return tuple(range(1, ndim))
        if p.mode == 'channel':
            return (1,)
        return tuple(range(2, ndim))

    def infer_shape(self, p, in_shapes):
        data = in_shapes[0]
        if data is None:
            return in_shapes, [None, None]
        data = tuple(data)
        need = 2 if p.mode != 'spatial' else 3
        shape_check(len(data) >= need, "input 'data' has shape %s; mode '%s' needs at least "
                    "%d dimensions", data, p.mode, need)
        axes = self._axes(p, len(data))
        norm = tuple(n for i, n in enumerate(data) if i not in axes)
        return [data], [data, norm]

    def forward(self, p, inputs, outputs, ctx):
        x = inputs[0]
        acc = _acc(x.dtype)
        xa = x.astype(acc, copy=False)
        axes = self._axes(p, x.ndim)
        norm = np.sqrt(np.square(xa).sum(axis=axes, keepdims=True) + acc.type(p.eps))
        outputs[0][...] = xa / norm
        outputs[1][...] = norm.reshape(outputs[1].shape)
        ctx.state['norm'] = norm

    def backward(self, p, ograds, inputs, outputs, ctx):
        y = outputs[0]
        acc = _acc(y.dtype)
        ya = y.astype(acc, copy=False)
        g = ograds[0].astype(acc, copy=False)
        axes = self._axes(p, y.ndim)
        norm = ctx.state['norm']
        dx = (g - ya * (g * ya).sum(axis=axes, keepdims=True)) / norm
        return [dx.astype(y.dtype, copy=False)]


# ----------------------------------------------------------------------------- LRN
def _channel_window_sum(a, nsize):
    """Sum over a window of `nsize` channels (axis 1) centred on each channel, zero-padded.

    Shifted in-place adds: nsize - 1 passes, far cheaper than a cumsum along axis 1.
    """
    half = nsize // 2
    out = a.copy()
    c = a.shape[1]
    for k in range(1, half + 1):
        if k >= c:
            break
        out[:, k:] += a[:, :c - k]       # the channel k below
        if k <= nsize - 1 - half:
            out[:, :c - k] += a[:, k:]   # the channel k above
    return out


@register
class LRN(Operator):
    """Local response normalisation across channels (AlexNet).

    ``out = x / (knorm + alpha / nsize * sum_{window} x ** 2) ** beta``, the sum taken over
    ``nsize`` neighbouring channels centred on each channel.

    Parameters
    ----------
    data : Symbol or NDArray
        Shape (batch, channels, ...).
    alpha : float, default 1e-4
    beta : float, default 0.75
    knorm : float, default 2.0
    nsize : int, required
        Normalisation window width in channels (odd).

    Examples
    --------
    >>> import mxlite as mx
    >>> mx.nd.LRN(mx.nd.ones((1, 3, 1, 1)), nsize=3).shape
    (1, 3, 1, 1)
    """
    name = 'LRN'
    params = {
        'alpha': Float(1e-4, doc='The variance scaling parameter.'),
        'beta': Float(0.75, doc='The power parameter.'),
        'knorm': Float(2.0, doc='The parameter k.'),
        'nsize': Int(doc='normalization window width in elements.'),
    }
    backward_uses_outputs = False

    def list_outputs(self, p):
        return ['output', 'tmp_norm']

    def num_visible_outputs(self, p):
        return 1

    def infer_shape(self, p, in_shapes):
        data = in_shapes[0]
        shape_check(data is None or len(data) >= 2, "input 'data' has shape %s; expected "
                    "(batch, channels, ...)", data)
        shape_check(p.nsize >= 1, 'nsize must be positive, got %d', p.nsize)
        return in_shapes, [data, data]

    def forward(self, p, inputs, outputs, ctx):
        x = inputs[0]
        acc = _acc(x.dtype)
        xa = x.astype(acc, copy=False)
        scale = _channel_window_sum(np.square(xa), p.nsize)
        scale *= acc.type(p.alpha / p.nsize)
        scale += acc.type(p.knorm)
        outputs[1][...] = scale
        outputs[0][...] = xa * np.power(scale, acc.type(-p.beta))
        ctx.state['scale'] = scale

    def backward(self, p, ograds, inputs, outputs, ctx):
        x = inputs[0]
        acc = _acc(x.dtype)
        xa = x.astype(acc, copy=False)
        g = ograds[0].astype(acc, copy=False)
        scale = ctx.state['scale']
        powed = np.power(scale, acc.type(-p.beta))
        # d out_j / d x_i = delta_ij s_j^-b - 2 a b / n * x_i x_j s_j^(-b-1) for i in window(j)
        inner = g * xa * powed / scale
        dx = g * powed - acc.type(2.0 * p.alpha * p.beta / p.nsize) * xa * \
            _channel_window_sum(inner, p.nsize)
        return [dx.astype(x.dtype, copy=False)]
