"""Softmax family: `softmax`, `log_softmax`, `softmin`, `SoftmaxActivation` and
`softmax_cross_entropy`.

One numerically stable kernel (subtract the max, exponentiate in place, divide by the sum)
serves all of them and the loss head `SoftmaxOutput` (ops/loss.py). float16 inputs are
computed in float32, as MXNet accumulates them.
"""
import numpy as np

from ._util import normalize_axis
from .registry import Bool, DType, Enum, FloatOrNone, Int, Operator, register, shape_check


def _acc_dtype(dtype):
    return np.dtype(np.float32) if np.dtype(dtype) == np.float16 else np.dtype(dtype)


def softmax_into(x, axis, out=None, temperature=None, log=False):
    """Stable (log-)softmax of `x` along `axis`, written into `out` (allocated if None).

    `out` may be `x` itself. Returns `out`.
    """
    if out is None or out.dtype != _acc_dtype(x.dtype) or out is x and x.dtype == np.float16:
        work = np.empty(x.shape, _acc_dtype(x.dtype))
    else:
        work = out
    rows = x.ndim == 2 and axis in (1, -1) and x.dtype == work.dtype and \
        x.dtype in (np.float32, np.float64) and type(x) is np.ndarray
    np.subtract(x, _row_max(x) if rows else x.max(axis=axis, keepdims=True), out=work,
                casting='unsafe')
    if temperature is not None and temperature != 1.0:
        work /= work.dtype.type(temperature)
    if log:
        lse = np.log(np.exp(work).sum(axis=axis, keepdims=True))
        work -= lse
    else:
        np.exp(work, out=work)
        work /= _row_sum(work) if rows else work.sum(axis=axis, keepdims=True)
    if out is None:
        return work.astype(x.dtype, copy=False)
    if work is not out:
        out[...] = work
    return out


def _row_max(x):
    """x.max(axis=1, keepdims=True) for 2-D x; numpy reduces a short last axis row by
    row, so for few columns reduce the transposed copy along its first axis (3x faster
    for 10 classes)."""
    if x.shape[1] > 16:
        return x.max(axis=1, keepdims=True)
    return np.maximum.reduce(np.ascontiguousarray(x.T), axis=0)[:, None]


def _row_sum(x):
    """x.sum(axis=1, keepdims=True) for 2-D float x, as a GEMV with ones (4x faster)."""
    return np.dot(x, np.ones((x.shape[1], 1), x.dtype))


def softmax_grad(y, g, axis, temperature=None, log=False):
    """Input gradient of (log-)softmax from its output `y` and head gradient `g`."""
    dt = _acc_dtype(y.dtype)
    y = y.astype(dt, copy=False)
    g = g.astype(dt, copy=False)
    if log:   # d/dx log_softmax: g - softmax * sum(g)
        grad = g - np.exp(y) * g.sum(axis=axis, keepdims=True)
    else:     # d/dx softmax: y * (g - sum(g * y))
        grad = g - (g * y).sum(axis=axis, keepdims=True)
        grad *= y
    if temperature is not None and temperature != 1.0:
        grad /= dt.type(temperature)
    return grad


def _length_mask(length, shape, axis):
    """Boolean mask, True where the position along `axis` is below `length`."""
    pos = np.arange(shape[axis]).reshape((-1,) + (1,) * (len(shape) - axis - 1))
    return pos < np.expand_dims(length.astype(np.int64), axis)


class _SoftmaxBase(Operator):
    params = {
        'axis': Int(-1, doc='The axis along which to compute softmax.'),
        'temperature': FloatOrNone(None, doc='Temperature parameter in softmax.'),
        'dtype': DType(None, allow_none=True,
                       doc='Output data type (float16, float32 or float64); default: the '
                           'input type.'),
        'use_length': Bool(False, doc='Whether to use the length input as a mask over '
                                      'the data input.'),
    }
    nograd_inputs = (1,)
    backward_uses_inputs = False
    log = False
    negate = False

    def list_arguments(self, p):
        return ['data', 'length'] if p.use_length else ['data']

    def infer_shape(self, p, in_shapes):
        data = in_shapes[0]
        if data is None:
            return in_shapes, [None]
        data = tuple(data)
        if p.use_length:
            axis = normalize_axis(p.axis, len(data))
            lshape = data[:axis] + data[axis + 1:]
            length = in_shapes[1]
            shape_check(length is None or tuple(length) == lshape,
                        "input 'length' has shape %s but data has shape %s; expected %s "
                        "(data without axis %d)", length, data, lshape, axis)
            return [data, lshape], [data]
        return [data], [data]

    def infer_type(self, p, in_types):
        data = in_types[0]
        out = p.dtype if p.dtype is not None else data
        types = list(in_types)
        if p.use_length and types[1] is None:
            types[1] = np.dtype(np.int32) if data is None else data
        return types, [None if out is None else np.dtype(out)]

    def forward(self, p, inputs, outputs, ctx):
        x = inputs[0]
        axis = normalize_axis(p.axis, x.ndim)
        if self.negate:
            x = -x
        out = outputs[0]
        if p.use_length:
            mask = _length_mask(inputs[1], x.shape, axis)
            xm = np.where(mask, x.astype(_acc_dtype(x.dtype), copy=False), -np.inf)
            res = softmax_into(xm, axis, None, p.temperature, self.log)
            # rows of length 0 give nan; MXNet writes 0 outside the valid part
            out[...] = np.where(mask, res, 0)
            ctx.state['mask'] = mask
        else:
            softmax_into(x, axis, out, p.temperature, self.log)

    def backward(self, p, ograds, inputs, outputs, ctx):
        y = outputs[0]
        axis = normalize_axis(p.axis, y.ndim)
        g = ograds[0]
        mask = ctx.state.get('mask') if p.use_length else None
        if mask is not None:
            g = np.where(mask, g, 0)
        grad = softmax_grad(y, g, axis, p.temperature, self.log)
        if mask is not None:
            grad = np.where(mask, grad, 0)
        if self.negate:
            grad = -grad
        grad = grad.astype(inputs[0].dtype, copy=False)
        return [grad, None] if p.use_length else [grad]


@register
class Softmax(_SoftmaxBase):
    """Softmax along an axis: exp(x / T) / sum(exp(x / T), axis).

    Parameters
    ----------
    data : Symbol or NDArray
    length : Symbol or NDArray
        Only with ``use_length=True``: the number of valid entries along ``axis`` per row
        (shape of data without ``axis``); positions beyond it get 0.
    axis : int, default -1
    temperature : float or None, default None (1)
    dtype : {None, 'float16', 'float32', 'float64'}
        The output type; by default the input's.
    use_length : bool, default False

    Examples
    --------
    >>> import mxlite as mx
    >>> mx.nd.softmax(mx.nd.array([[1., 1.]])).asnumpy()
    array([[0.5, 0.5]], dtype=float32)
    """
    name = 'softmax'


@register
class LogSoftmax(_SoftmaxBase):
    """Log of the softmax along an axis, computed stably: x - logsumexp(x, axis).

    Parameters are those of `softmax`.

    Examples
    --------
    >>> import mxlite as mx
    >>> mx.nd.log_softmax(mx.nd.array([[0., 0.]])).asnumpy()
    array([[-0.6931472, -0.6931472]], dtype=float32)
    """
    name = 'log_softmax'
    log = True


@register
class Softmin(_SoftmaxBase):
    """Softmin along an axis: softmax of -x.

    Parameters are those of `softmax`.

    Examples
    --------
    >>> import mxlite as mx
    >>> mx.nd.softmin(mx.nd.array([[0., 0.]])).asnumpy()
    array([[0.5, 0.5]], dtype=float32)
    """
    name = 'softmin'
    negate = True


@register
class SoftmaxActivation(Operator):
    """Softmax over each instance or over channels (deprecated in MXNet; use `softmax`).

    ``mode='instance'`` applies softmax over all of each sample (the data flattened to
    (batch, -1)); ``mode='channel'`` applies it along axis 1 at every position.

    Parameters
    ----------
    data : Symbol or NDArray
    mode : {'channel', 'instance'}, default 'instance'

    Examples
    --------
    >>> import mxlite as mx
    >>> mx.nd.SoftmaxActivation(mx.nd.array([[0., 0.]])).asnumpy()
    array([[0.5, 0.5]], dtype=float32)
    """
    name = 'SoftmaxActivation'
    params = {'mode': Enum(('channel', 'instance'), 'instance',
                           doc='Softmax over each instance or over channels.')}
    backward_uses_inputs = False
    inplace = ((0, 0),)

    @staticmethod
    def _view(p, x):
        if p.mode == 'instance':
            return x.reshape(x.shape[0], -1), 1
        return x, 1

    def forward(self, p, inputs, outputs, ctx):
        x, axis = self._view(p, inputs[0])
        out = outputs[0]
        res = softmax_into(x, axis)
        out[...] = res.reshape(out.shape)

    def backward(self, p, ograds, inputs, outputs, ctx):
        y, axis = self._view(p, outputs[0])
        g = ograds[0].reshape(y.shape)
        grad = softmax_grad(y, g, axis).reshape(outputs[0].shape)
        return [grad.astype(outputs[0].dtype, copy=False)]


@register
class SoftmaxCrossEntropy(Operator):
    """Softmax cross-entropy summed over the batch: sum_i -log softmax(data_i)[label_i].

    The output has shape (1,). The gradient for data is (softmax(data) - one_hot(label))
    times the head gradient; label gets none.

    Parameters
    ----------
    data : Symbol or NDArray
        Scores of shape (batch, classes).
    label : Symbol or NDArray
        Class indices of shape (batch,).

    Examples
    --------
    >>> import mxlite as mx
    >>> out = mx.nd.softmax_cross_entropy(mx.nd.array([[0., 0.]]), mx.nd.array([1.]))
    >>> round(float(out.asnumpy()[0]), 4)
    0.6931
    """
    name = 'softmax_cross_entropy'
    nograd_inputs = (1,)
    backward_uses_outputs = False

    def list_arguments(self, p):
        return ['data', 'label']

    def infer_shape(self, p, in_shapes):
        data, label = in_shapes
        if data is None:
            return in_shapes, [(1,)]
        data = tuple(data)
        shape_check(len(data) == 2, "input 'data' has shape %s; expected 2 dimensions "
                    "(batch, classes)", data)
        shape_check(label is None or tuple(label) == data[:1],
                    "input 'label' has shape %s but data has shape %s; expected %s",
                    label, data, data[:1])
        return [data, data[:1]], [(1,)]

    def infer_type(self, p, in_types):
        data, label = in_types
        return [data, label if label is not None else data], [data]

    def forward(self, p, inputs, outputs, ctx):
        x, label = inputs
        logp = softmax_into(x, 1, log=True)
        idx = label.astype(np.int64).reshape(-1, 1)
        picked = np.take_along_axis(logp, np.clip(idx, 0, x.shape[1] - 1), axis=1)
        outputs[0][...] = -picked.sum()

    def backward(self, p, ograds, inputs, outputs, ctx):
        x, label = inputs
        grad = softmax_into(x, 1)
        rows = np.arange(x.shape[0])
        idx = label.astype(np.int64).ravel()
        ok = (idx >= 0) & (idx < x.shape[1])
        grad[rows[ok], idx[ok]] -= 1
        if ograds and ograds[0] is not None:
            grad *= ograds[0].reshape(())
        return [grad.astype(x.dtype, copy=False), None]
