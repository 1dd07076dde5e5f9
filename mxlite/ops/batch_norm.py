"""BatchNorm: a fused forward/backward kernel reproducing MXNet 1.9.1's observed behaviour.

What MXNet 1.9.1 (CPU build) does, and so what this does:

* training forward (``is_train`` and not ``use_global_stats``) normalises with the batch
  mean and the biased batch variance;
* the moving statistics are updated in the BACKWARD pass, with the biased variance:
  ``moving = moving * momentum + batch * (1 - momentum)``; a training forward that is not
  followed by backward leaves them unchanged;
* ``fix_gamma=True`` uses gamma = 1, writes ones into the bound gamma array during a
  training forward, and gives gamma a zero gradient;
* inference (or ``use_global_stats``) normalises with the moving statistics;
* the hidden outputs are the mean and the inverse standard deviation
  ``1 / sqrt(var + eps)`` that were used (visible with ``output_mean_var=True``).
"""
import numpy as np

from ._util import normalize_axis
from .registry import Bool, Float, FloatOrNone, Int, Operator, register, shape_check


def _acc(dtype):
    return np.dtype(np.float32) if np.dtype(dtype) == np.float16 else np.dtype(dtype)


def view3(x, axis):
    """x as (before, channels, after) so statistics reduce over axes 0 and 2; channels-last
    data becomes (before, channels) instead, where numpy broadcasts much faster."""
    shape = x.shape
    pre = int(np.prod(shape[:axis], dtype=np.int64))
    post = int(np.prod(shape[axis + 1:], dtype=np.int64))
    if post == 1:
        return x.reshape(pre, shape[axis])
    return x.reshape(pre, shape[axis], post)


def per_channel(v, x3):
    """A (channels,) vector shaped to broadcast against a view3 array."""
    return v[None, :] if x3.ndim == 2 else v[None, :, None]


def channel_sum(x3):
    """Sum of a view3 array over everything but the channel axis."""
    if x3.ndim == 2:   # a ones-vector GEMV is the fastest column sum
        return np.ones(x3.shape[0], x3.dtype) @ x3
    return x3.sum(axis=2).sum(axis=0)


def channel_dot(a3, b3):
    """Per-channel sum of a * b without materialising the product."""
    # plain einsum loops fuse the multiply and the sum; optimize=True is 10x slower here
    return np.einsum('ic,ic->c' if a3.ndim == 2 else 'icj,icj->c', a3, b3)


@register
class BatchNorm(Operator):
    """Batch normalization over the channel axis.

    ``out = gamma * (data - mean) / sqrt(var + eps) + beta`` with the batch statistics in
    training and the moving statistics at inference. See the module notes for how the
    moving statistics and ``fix_gamma`` behave (as in MXNet 1.9.1).

    Parameters
    ----------
    data : Symbol or NDArray
    gamma, beta : Symbol or NDArray
        Per-channel scale and shift, shape (channels,).
    moving_mean, moving_var : Symbol or NDArray
        Auxiliary states, shape (channels,); initialised to zeros and ones.
    eps : float, default 1e-3
    momentum : float, default 0.9
    fix_gamma : bool, default True
    use_global_stats : bool, default False
    output_mean_var : bool, default False
        Also output the mean and the inverse standard deviation.
    axis : int, default 1
        The channel axis.
    cudnn_off : bool, default False
        Accepted for compatibility; no effect.

    Examples
    --------
    >>> import mxlite as mx
    >>> x = mx.nd.array([[1., 2.], [3., 4.]])
    >>> g, b = mx.nd.ones((2,)), mx.nd.zeros((2,))
    >>> mm, mv = mx.nd.zeros((2,)), mx.nd.ones((2,))
    >>> mx.nd.BatchNorm(x, g, b, mm, mv).asnumpy().round(2)   # inference: moving stats
    array([[1., 2.],
           [3., 4.]], dtype=float32)
    """
    name = 'BatchNorm'
    params = {
        'eps': Float(1e-3, doc='Epsilon to prevent division by 0.'),
        'momentum': Float(0.9, doc='Momentum for the moving average.'),
        'fix_gamma': Bool(True, doc='Fix gamma to 1 while training.'),
        'use_global_stats': Bool(False, doc='Use the moving statistics instead of the '
                                            'batch statistics in training too.'),
        'output_mean_var': Bool(False, doc='Output the mean and inverse std.'),
        'axis': Int(1, doc='The channel axis.'),
        'cudnn_off': Bool(False, doc='Do not use cuDNN (no effect here).'),
        'min_calib_range': FloatOrNone(None, doc='Quantization calibration (unused).'),
        'max_calib_range': FloatOrNone(None, doc='Quantization calibration (unused).'),
    }
    auto_var_attrs = {'moving_mean': {'__init__': '["zero", {}]'},
                      'moving_var': {'__init__': '["one", {}]'}}
    backward_uses_outputs = False   # mean and inverse std are kept in ctx.state
    # the kernel reads each element before writing it: inference may run in place
    inplace = ((0, 0),)

    def list_arguments(self, p):
        return ['data', 'gamma', 'beta']

    def list_outputs(self, p):
        return ['output', 'mean', 'var']

    def list_auxiliary_states(self, p):
        return ['moving_mean', 'moving_var']

    def num_visible_outputs(self, p):
        return 3 if p.output_mean_var else 1

    def infer_shape(self, p, in_shapes):
        data = in_shapes[0]
        if data is None:
            # the channel count can come from any per-channel input
            known = next((s for s in in_shapes[1:] if s is not None), None)
            shapes = [None] + [known if s is None else s for s in in_shapes[1:]]
            return shapes, [None, known, known]
        data = tuple(data)
        shape_check(len(data) >= 1, "input 'data' has shape %s; expected at least 1 "
                    "dimension", data)
        shape_check(-len(data) <= p.axis < len(data), "axis %d is out of range for data "
                    "of shape %s", p.axis, data)
        axis = normalize_axis(p.axis, len(data))
        chan = (data[axis],)
        names = ['gamma', 'beta', 'moving_mean', 'moving_var']
        for name, s in zip(names, in_shapes[1:]):
            shape_check(s is None or tuple(s) == chan,
                        "input '%s' has shape %s but data has shape %s; expected %s "
                        "(channels on axis %d)", name, s, data, chan, axis)
        return [data] + [chan] * 4, [data, chan, chan]

    def infer_type(self, p, in_types):
        data = in_types[0]
        if data is None:
            return in_types, [None] * 3
        param = _acc(data)   # float16 data keeps float32 parameters, as in MXNet
        return [data] + [param] * 4, [np.dtype(data), param, param]

    def forward(self, p, inputs, outputs, ctx):
        x, gamma, beta, mmean, mvar = inputs
        out, out_mean, out_istd = outputs
        axis = normalize_axis(p.axis, x.ndim)
        acc = _acc(x.dtype)
        x3 = view3(x, axis).astype(acc, copy=False)
        train = ctx.is_train and not p.use_global_stats
        if p.fix_gamma:
            if ctx.is_train:
                gamma[...] = 1   # MXNet overwrites the bound gamma with ones
            g = np.ones(gamma.shape, acc)
        else:
            g = gamma.astype(acc, copy=False)
        # write (x - mean) straight into the output buffer, then scale and shift in place
        direct = out.dtype == acc and out.flags.c_contiguous
        y3 = view3(out, axis) if direct else np.empty(x3.shape, acc)
        if train:
            count = x3.size // x3.shape[1]
            mean = channel_sum(x3) / count
            np.subtract(x3, per_channel(mean, x3), out=y3)
            var = channel_dot(y3, y3) / count
        else:
            mean = mmean.astype(acc, copy=True)
            var = mvar.astype(acc, copy=True)
            np.subtract(x3, per_channel(mean, x3), out=y3)
        istd = 1.0 / np.sqrt(var + acc.type(p.eps))
        y3 *= per_channel(g * istd, x3)
        y3 += per_channel(beta.astype(acc, copy=False), x3)
        if not direct:
            out[...] = y3.reshape(out.shape)
        out_mean[...] = mean
        out_istd[...] = istd
        ctx.state.update(mean=mean, var=var, istd=istd, train=train)

    def backward(self, p, ograds, inputs, outputs, ctx):
        x, gamma, beta, mmean, mvar = inputs
        st = ctx.state
        axis = normalize_axis(p.axis, x.ndim)
        acc = _acc(x.dtype)
        x3 = view3(x, axis).astype(acc, copy=False)
        g3 = view3(ograds[0], axis).astype(acc, copy=False)
        mean, istd = st['mean'], st['istd']
        gam = np.ones(gamma.shape, acc) if p.fix_gamma else gamma.astype(acc, copy=False)
        dbeta = channel_sum(g3)
        # centre first: sum(g * x) - mean * sum(g) would cancel badly when |mean| >> std
        xc = np.subtract(x3, per_channel(mean, x3), dtype=acc)
        dgamma = channel_dot(g3, xc) * istd
        a = gam * istd
        if st['train']:
            count = x3.size // x3.shape[1]
            # dx = a * (g - dbeta/M) - xc * a * istd * dgamma / M, built in the xc buffer
            xc *= per_channel(-a * istd * dgamma / count, x3)
            xc += per_channel(-a * dbeta / count, x3)
            xc += g3 * per_channel(a, x3)
            dx = xc
            if ctx.is_train:
                # MXNet updates the moving statistics here, with the biased variance
                m = p.momentum
                mmean[...] = mmean * m + st['mean'] * (1 - m)
                mvar[...] = mvar * m + st['var'] * (1 - m)
        else:
            dx = g3 * per_channel(a, x3)
        if p.fix_gamma:
            dgamma = np.zeros_like(dgamma)
        return [dx.reshape(x.shape).astype(x.dtype, copy=False),
                dgamma.astype(gamma.dtype, copy=False), dbeta.astype(beta.dtype, copy=False),
                None, None]
