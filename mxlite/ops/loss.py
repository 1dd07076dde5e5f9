"""Loss heads and gradient plumbing: `SoftmaxOutput`, `LinearRegressionOutput`,
`LogisticRegressionOutput`, `MAERegressionOutput`, `MakeLoss`, `BlockGrad` and
`smooth_l1`.

Loss heads (``is_loss = True``) make their own gradient in backward: they ignore the head
gradient and never write one for their label, as in MXNet.
"""
import numpy as np

from ..base import MXNetError
from ._util import prod as _prod, sigmoid
from .registry import Bool, Enum, Float, Operator, register, shape_check
from .softmax import softmax_into


# ----------------------------------------------------------------------------- SoftmaxOutput
@register
class SoftmaxOutput(Operator):
    """Softmax in the forward pass, cross-entropy gradient in the backward pass.

    The output is the softmax of ``data``. The gradient written for ``data`` is
    ``(output - one_hot(label)) * grad_scale``, divided by the batch size only when
    ``normalization='batch'`` (or by the number of non-ignored labels with
    ``'valid'``); rows whose label equals ``ignore_label`` get zero gradient when
    ``use_ignore``. With ``multi_output`` the gradient is also divided by the number of
    positions per sample (d1*d2*...) unless ``normalization='valid'``, as MXNet 1.9.1
    does. With ``smooth_alpha`` the target puts ``1 - smooth_alpha`` on the label
    and spreads ``smooth_alpha`` over the other classes. The head gradient is ignored and
    the label gets no gradient.

    Shapes: by default data is (batch, ...) and softmax runs over everything after the
    batch axis (flattened); the label is (batch,). With ``preserve_shape`` softmax runs over
    the last axis and the label has the data's shape without it. With ``multi_output``
    data is (batch, classes, d1, ...) with softmax over axis 1, and the label is
    (batch, d1*d2*...) (also accepted: (batch, d1, d2, ...)).

    ``out_grad=True`` multiplies the gradient by the head gradient elementwise, as
    MXNet's documentation describes (MXNet 1.9.1 itself mishandles this flag).

    Parameters
    ----------
    data : Symbol or NDArray
    label : Symbol or NDArray
        Class indices (float or int).
    grad_scale : float, default 1.0
    ignore_label : float, default -1.0
    multi_output : bool, default False
    use_ignore : bool, default False
    preserve_shape : bool, default False
    normalization : {'batch', 'null', 'valid'}, default 'null'
    out_grad : bool, default False
    smooth_alpha : float, default 0.0

    Examples
    --------
    >>> import mxlite as mx
    >>> mx.nd.SoftmaxOutput(mx.nd.array([[0., 0.]]), mx.nd.array([1.])).asnumpy()
    array([[0.5, 0.5]], dtype=float32)
    """
    name = 'SoftmaxOutput'
    aliases = ('Softmax',)
    params = {
        'grad_scale': Float(1.0, doc='Scales the gradient by a float factor.'),
        'ignore_label': Float(-1.0, doc='The instances whose labels == ignore_label are '
                                        'ignored during backward, if use_ignore is True.'),
        'multi_output': Bool(False, doc='Softmax over axis 1 at every position.'),
        'use_ignore': Bool(False, doc='If set, ignore_label is honoured in backward.'),
        'preserve_shape': Bool(False, doc='Softmax over the last axis only.'),
        'normalization': Enum(('batch', 'null', 'valid'), 'null',
                              doc='How the gradient is normalised.'),
        'out_grad': Bool(False, doc='Multiply the gradient with the head gradient.'),
        'smooth_alpha': Float(0.0, doc='Label smoothing: the mass moved from the label to '
                                       'the other classes.'),
    }
    nograd_inputs = (1,)
    is_loss = True
    backward_uses_inputs = True   # the label
    inplace = ((0, 0),)

    def list_arguments(self, p):
        return ['data', 'label']

    def is_loss_for(self, p):
        """With out_grad=True the node needs the head gradient like any other output."""
        return not p.out_grad

    def infer_shape(self, p, in_shapes):
        data, label = in_shapes
        if data is None:
            return in_shapes, [None]
        data = tuple(data)
        if p.multi_output:
            shape_check(len(data) >= 2, "input 'data' has shape %s; multi_output needs "
                        "(batch, classes, ...)", data)
            rest = int(np.prod(data[2:], dtype=np.int64))
            flat = (data[0], rest)
            full = (data[0],) + data[2:]
            keep1 = data[:1] + (1,) + data[2:]
            if label is None:
                label = flat
            shape_check(tuple(label) in (flat, full, keep1),
                        "input 'label' has shape %s but data has shape %s; expected %s or "
                        "%s with multi_output", tuple(label), data, flat, full)
        else:
            expected = data[:-1]
            if label is None:
                label = expected
            shape_check(tuple(label) == expected,
                        "input 'label' has shape %s but data has shape %s; expected %s",
                        tuple(label), data, expected)
        return [data, tuple(label)], [data]

    def infer_type(self, p, in_types):
        data, label = in_types
        if data is None:
            data = label
        return [data, label if label is not None else data], [data]

    @staticmethod
    def _view3(p, shape):
        """(rows, classes, positions) that the softmax axis 1 of which is the class axis."""
        if p.multi_output:
            return (shape[0], shape[1], _prod(shape[2:]))
        if p.preserve_shape:
            return (_prod(shape[:-1]), shape[-1], 1)
        return (shape[0], _prod(shape[1:]), 1)

    def forward(self, p, inputs, outputs, ctx):
        x, out = inputs[0], outputs[0]
        v = self._view3(p, x.shape)
        if v[2] == 1:
            v = v[:2]    # (rows, classes): the fast 2-D softmax
        if out.flags.c_contiguous and out.dtype == x.dtype != np.float16:
            softmax_into(x.reshape(v), 1, out=out.reshape(v))   # views of out's memory
            return
        out[...] = softmax_into(x.reshape(v), 1).reshape(x.shape)

    def backward(self, p, ograds, inputs, outputs, ctx):
        x, label = inputs
        y = outputs[0]
        rows, classes, pos = self._view3(p, y.shape)
        if self._plain(p, pos) and y.ndim == 2 and y.dtype != np.float16:
            fast = self._plain_backward(y, label, ctx.dst(0))
            if fast is not None:
                return [fast, None]
        lab = label.reshape(-1)
        if lab.size != rows * pos:
            raise MXNetError('SoftmaxOutput: label has %d elements but data of shape %s '
                             'needs %d' % (lab.size, x.shape, rows * pos))
        dt = np.dtype(np.float32) if y.dtype == np.float16 else y.dtype
        grad = y.reshape(rows, classes, pos).astype(dt, copy=True)
        idx = lab.astype(np.int64).reshape(rows, pos)
        alpha = p.smooth_alpha
        # target: 1 - alpha at the label, alpha / (classes - 1) elsewhere
        if alpha != 0.0 and classes > 1:
            grad -= alpha / (classes - 1)
            hit = 1.0 - alpha - alpha / (classes - 1)
        else:
            hit = 1.0
        ok = (idx >= 0) & (idx < classes)  # out-of-range labels subtract nothing
        r, q = np.nonzero(ok)
        grad[r, idx[r, q], q] -= hit
        scale = p.grad_scale
        if p.use_ignore:
            grad *= (lab.reshape(rows, pos) != p.ignore_label)[:, None, :]
        if p.multi_output and p.normalization != 'valid':
            scale /= pos  # MXNet averages over the positions of multi_output
        if p.normalization == 'batch':
            scale /= x.shape[0]
        elif p.normalization == 'valid':
            valid = int(np.count_nonzero(lab != p.ignore_label)) if p.use_ignore else lab.size
            scale /= max(valid, 1)
        if scale != 1.0:
            grad *= dt.type(scale)
        grad = grad.reshape(x.shape)
        if p.out_grad and ograds and ograds[0] is not None:
            grad *= ograds[0]
        return [grad.astype(x.dtype, copy=False), None]

    @staticmethod
    def _plain(p, pos):
        """The common case: one label per row, no smoothing, ignoring or scaling."""
        return (pos == 1 and p.smooth_alpha == 0.0 and not p.use_ignore and
                p.normalization == 'null' and p.grad_scale == 1.0 and not p.out_grad)

    @staticmethod
    def _plain_backward(y, label, dst):
        """softmax - one_hot(label) for (rows, classes) y, or None when some label is out
        of range (the general path then skips those rows)."""
        idx = label.reshape(-1).astype(np.intp)
        if idx.size and (idx.min() < 0 or idx.max() >= y.shape[1]):
            return None
        grad = np.empty_like(y) if dst is None else dst
        np.copyto(grad, y)
        grad[np.arange(len(idx)), idx] -= 1
        return grad


# ----------------------------------------------------------------------------- regression
class _Regression(Operator):
    """Shared parts of the regression heads: identity-like forward, label = data shape."""
    params = {'grad_scale': Float(1.0, doc='Scale the gradient by a float factor.')}
    nograd_inputs = (1,)
    is_loss = True
    inplace = ((0, 0),)

    def list_arguments(self, p):
        return ['data', 'label']

    def infer_shape(self, p, in_shapes):
        data, label = in_shapes
        if data is None:
            return in_shapes, [None]
        data = tuple(data)
        if label is None:
            # a (batch, 1) output takes a (batch,) label by default
            label = data[:1] if len(data) == 2 and data[1] == 1 else data
        label = tuple(label)
        shape_check(len(label) > 0 and len(data) > 0 and label[0] == data[0] and
                    int(np.prod(label)) == int(np.prod(data)),
                    "input 'label' has shape %s but data has shape %s; expected the same "
                    "batch size and number of elements", label, data)
        return [data, label], [data]

    def infer_type(self, p, in_types):
        data, label = in_types
        if data is None:
            data = label
        return [data, label if label is not None else data], [data]

    def transform(self, x, out):
        out[...] = x

    def forward(self, p, inputs, outputs, ctx):
        self.transform(inputs[0], outputs[0])

    def residual_grad(self, diff):
        return diff

    def backward(self, p, ograds, inputs, outputs, ctx):
        y, label = outputs[0], inputs[1]
        # the gradient is averaged over the outputs of one sample, as MXNet does
        per_sample = max(label.size // max(label.shape[0], 1), 1) if label.ndim else 1
        diff = y - label.reshape(y.shape).astype(y.dtype, copy=False)
        grad = self.residual_grad(diff)
        grad *= y.dtype.type(p.grad_scale / per_sample)
        return [grad, None]


@register
class LinearRegressionOutput(_Regression):
    """Identity in the forward pass; squared-error gradient in the backward pass.

    Gradient for data: ``(data - label) * grad_scale / m`` with m the number of outputs
    per sample (label.size / batch size). The head gradient is ignored; the label gets no
    gradient. A (batch, 1) data takes a (batch,) label.

    Parameters
    ----------
    data : Symbol or NDArray
    label : Symbol or NDArray
    grad_scale : float, default 1.0

    Examples
    --------
    >>> import mxlite as mx
    >>> mx.nd.LinearRegressionOutput(mx.nd.array([[2.]]), mx.nd.array([1.])).asnumpy()
    array([[2.]], dtype=float32)
    """
    name = 'LinearRegressionOutput'
    backward_uses_inputs = True


@register
class MAERegressionOutput(_Regression):
    """Identity in the forward pass; absolute-error gradient in the backward pass.

    Gradient for data: ``sign(data - label) * grad_scale / m`` with m the number of
    outputs per sample.

    Parameters
    ----------
    data : Symbol or NDArray
    label : Symbol or NDArray
    grad_scale : float, default 1.0

    Examples
    --------
    >>> import mxlite as mx
    >>> mx.nd.MAERegressionOutput(mx.nd.array([[2.]]), mx.nd.array([1.])).asnumpy()
    array([[2.]], dtype=float32)
    """
    name = 'MAERegressionOutput'

    def residual_grad(self, diff):
        return np.sign(diff)


@register
class LogisticRegressionOutput(_Regression):
    """Sigmoid in the forward pass; logistic-loss gradient in the backward pass.

    Output: ``1 / (1 + exp(-data))``. Gradient for data: ``(output - label) * grad_scale
    / m`` with m the number of outputs per sample.

    Parameters
    ----------
    data : Symbol or NDArray
    label : Symbol or NDArray
    grad_scale : float, default 1.0

    Examples
    --------
    >>> import mxlite as mx
    >>> mx.nd.LogisticRegressionOutput(mx.nd.array([[0.]]), mx.nd.array([1.])).asnumpy()
    array([[0.5]], dtype=float32)
    """
    name = 'LogisticRegressionOutput'

    def transform(self, x, out):
        sigmoid(x, out)


# ----------------------------------------------------------------------------- MakeLoss
@register
class MakeLoss(Operator):
    """Marks its input as a loss: identity forward, a constant gradient backward.

    The gradient for data is ``grad_scale`` everywhere (the head gradient is ignored),
    divided by the batch size with ``normalization='batch'`` or by the number of elements
    greater than ``valid_thresh`` with ``'valid'``.

    Parameters
    ----------
    data : Symbol or NDArray
    grad_scale : float, default 1.0
    valid_thresh : float, default 0.0
    normalization : {'batch', 'null', 'valid'}, default 'null'

    Examples
    --------
    >>> import mxlite as mx
    >>> mx.nd.MakeLoss(mx.nd.array([3.])).asnumpy()
    array([3.], dtype=float32)
    """
    name = 'MakeLoss'
    params = {
        'grad_scale': Float(1.0, doc='Gradient scale as a supplement to the unary and '
                                     'binary operators'),
        'valid_thresh': Float(0.0, doc="clip each element in the array to 0 when it is less "
                                       "than valid_thresh (for normalization='valid')"),
        'normalization': Enum(('batch', 'null', 'valid'), 'null',
                              doc='How the gradient is normalised.'),
    }
    is_loss = True
    inplace = ((0, 0),)
    backward_uses_inputs = False

    def forward(self, p, inputs, outputs, ctx):
        if outputs[0] is not inputs[0]:
            outputs[0][...] = inputs[0]

    def backward(self, p, ograds, inputs, outputs, ctx):
        y = outputs[0]
        scale = p.grad_scale
        if p.normalization == 'batch':
            scale /= y.shape[0] if y.ndim else 1
        elif p.normalization == 'valid':
            scale /= max(int(np.count_nonzero(y > p.valid_thresh)), 1)
        return [np.full(y.shape, scale, dtype=y.dtype)]


@register
class MakeLossElemwise(Operator):
    """Marks its input as a loss (the parameter-free form): identity forward, a gradient
    of ones backward, whatever the head gradient.

    Examples
    --------
    >>> import mxlite as mx
    >>> mx.nd.make_loss(mx.nd.array([3.])).asnumpy()
    array([3.], dtype=float32)
    """
    name = 'make_loss'
    is_loss = True
    inplace = ((0, 0),)
    backward_uses_inputs = False

    def forward(self, p, inputs, outputs, ctx):
        if outputs[0] is not inputs[0]:
            outputs[0][...] = inputs[0]

    def backward(self, p, ograds, inputs, outputs, ctx):
        return [np.ones_like(outputs[0])]


@register
class BlockGrad(Operator):
    """Identity in the forward pass; stops the gradient (zero) in the backward pass.

    Examples
    --------
    >>> import mxlite as mx
    >>> mx.nd.BlockGrad(mx.nd.array([1.])).asnumpy()
    array([1.], dtype=float32)
    """
    name = 'BlockGrad'
    aliases = ('stop_gradient',)
    inplace = ((0, 0),)
    # no gradient flows through, so a BlockGrad head (a prediction grouped beside a loss)
    # needs no head gradient, as in MXNet
    nograd_inputs = (0,)
    backward_uses_inputs = False
    backward_uses_outputs = False

    def forward(self, p, inputs, outputs, ctx):
        if outputs[0] is not inputs[0]:
            outputs[0][...] = inputs[0]

    def backward(self, p, ograds, inputs, outputs, ctx):
        return [np.zeros_like(ograds[0])]


@register
class SmoothL1(Operator):
    """Smooth L1 (Huber-like) function of x with parameter sigma (``scalar``):

    ``0.5 * (sigma * x) ** 2`` if ``|x| < 1 / sigma ** 2``, else ``|x| - 0.5 / sigma ** 2``.

    Parameters
    ----------
    data : Symbol or NDArray
    scalar : float, default 1.0
        sigma.

    Examples
    --------
    >>> import mxlite as mx
    >>> mx.nd.smooth_l1(mx.nd.array([0.5, 2.]), scalar=1.0).asnumpy()
    array([0.125, 1.5  ], dtype=float32)
    """
    name = 'smooth_l1'
    params = {'scalar': Float(1.0, doc='sigma'), 'is_int': Bool(True)}
    inplace = ((0, 0),)
    backward_uses_outputs = False

    def forward(self, p, inputs, outputs, ctx):
        x = inputs[0]
        s2 = x.dtype.type(p.scalar * p.scalar)
        ax = np.abs(x)
        outputs[0][...] = np.where(ax < 1 / s2, 0.5 * s2 * x * x, ax - 0.5 / s2)

    def backward(self, p, ograds, inputs, outputs, ctx):
        x = inputs[0]
        s2 = x.dtype.type(p.scalar * p.scalar)
        d = np.where(np.abs(x) < 1 / s2, s2 * x, np.sign(x))
        return [(d * ograds[0]).astype(x.dtype, copy=False)]
