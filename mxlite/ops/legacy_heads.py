"""Two older layers of MXNet 1.x kept for the models that use them: `Crop` (FCN-style
cropping of a feature map to a size or to another input's size) and `SVMOutput` (a loss
head with the L2- or L1-SVM gradient).
"""
import numpy as np

from ..base import MXNetError
from ._util import known, prod
from .registry import Bool, Float, Int, Operator, Shape, register, shape_check


# ----------------------------------------------------------------------------- Crop
@register
class Crop(Operator):
    """Crops the height and width of a 4-D input (N, C, H, W).

    With one input (``num_args=1``) the window has the size ``h_w``; with two
    (``num_args=2``) it has the height and width (axes 2 and 3) of the second input,
    ``crop_like``, whose values are not read. The window starts at ``offset`` (y, x), or
    is centred with ``center_crop=True`` (offset ``((H - h) // 2, (W - w) // 2)``).

    The gradient puts the output gradient back into the window and zeros around it;
    ``crop_like`` gets a zero gradient, as in MXNet. (MXNet marks Crop deprecated in
    favour of ``slice``; it stays for the FCN models that use it.)

    Parameters
    ----------
    *data : Symbol or NDArray
        data, and optionally crop_like (named arg0 and arg1).
    num_args : int
        1 or 2, set from the number of inputs.
    offset : Shape(tuple), default (0, 0)
    h_w : Shape(tuple), default (0, 0)
    center_crop : bool, default False

    Examples
    --------
    >>> import mxlite as mx
    >>> x = mx.nd.arange(16).reshape((1, 1, 4, 4))
    >>> mx.nd.Crop(x, h_w=(2, 2), offset=(1, 2)).asnumpy()[0, 0]
    array([[ 6.,  7.],
           [10., 11.]], dtype=float32)
    >>> mx.nd.Crop(x, mx.nd.zeros((1, 1, 2, 2)), center_crop=True).asnumpy()[0, 0]
    array([[ 5.,  6.],
           [ 9., 10.]], dtype=float32)
    """
    name = 'Crop'
    params = {
        'num_args': Int(doc='Number of inputs: 1 crops to h_w, 2 to the height and width '
                            'of the second input (crop_like).'),
        'offset': Shape((0, 0), doc='Crop offset coordinate: (y, x).'),
        'h_w': Shape((0, 0), doc='Crop height and width: (h, w), with one input.'),
        'center_crop': Bool(False, doc='Centre the window instead of using offset.'),
    }
    key_var_num_args = 'num_args'
    backward_uses_inputs = False      # forward keeps the shapes and the offset
    backward_uses_outputs = False

    def list_arguments(self, p):
        return ['arg%d' % i for i in range(p.num_args)]

    def _window(self, p, data, like):
        """(h, w, y0, x0) of the crop of `data` (N, C, H, W), checked; None if unknown."""
        if p.num_args == 1:
            shape_check(len(p.h_w) == 2, 'h_w=%s; expected (height, width)', p.h_w)
            h, w = p.h_w
        else:
            if like is None:
                return None
            shape_check(len(like) >= 4, "input 'arg1' (crop_like) has shape %s; expected "
                        "4 dimensions (its axes 2 and 3 give the crop size)", like)
            h, w = like[2], like[3]
        if not known(data) or h is None or w is None:
            return None
        H, W = data[2], data[3]
        if p.num_args == 1:
            shape_check(1 <= h <= H and 1 <= w <= W, 'h_w=%s does not fit in data of '
                        'shape %s; expected 1 <= h <= %d and 1 <= w <= %d', p.h_w, data, H, W)
        else:
            shape_check(h <= H and w <= W, "input 'arg1' (crop_like) has shape %s but data "
                        "has shape %s; the crop (%d, %d) must fit in (%d, %d)",
                        like, data, h, w, H, W)
        if p.center_crop:
            return h, w, (H - h) // 2, (W - w) // 2
        shape_check(len(p.offset) == 2, 'offset=%s; expected (y, x)', p.offset)
        y0, x0 = p.offset
        shape_check(0 <= y0 <= H - h and 0 <= x0 <= W - w,
                    'offset=%s puts the (%d, %d) crop outside data of shape %s; expected '
                    '0 <= y <= %d and 0 <= x <= %d', p.offset, h, w, data, H - h, W - w)
        return h, w, y0, x0

    def infer_shape(self, p, in_shapes):
        shapes = [None if s is None else tuple(s) for s in in_shapes]
        shape_check(p.num_args in (1, 2), 'num_args=%d; Crop takes 1 input (crop to h_w) '
                    'or 2 (crop to the size of the second)', p.num_args)
        shape_check(len(shapes) == p.num_args, 'num_args=%d but %d inputs were given',
                    p.num_args, len(shapes))
        data = shapes[0]
        if data is None:
            return shapes, [None]
        shape_check(len(data) == 4, "input 'arg0' (data) has shape %s; Crop needs 4-D "
                    "input (batch, channel, height, width)", data)
        win = self._window(p, data, shapes[1] if p.num_args > 1 else None)
        if win is None:
            return shapes, [None]
        return shapes, [data[:2] + win[:2]]

    def forward(self, p, inputs, outputs, ctx):
        x = inputs[0]
        like = inputs[1].shape if p.num_args > 1 else None
        h, w, y0, x0 = self._window(p, x.shape, like)
        outputs[0][...] = x[:, :, y0:y0 + h, x0:x0 + w]
        ctx.state['crop'] = (x.shape, like, (y0, x0))

    def backward(self, p, ograds, inputs, outputs, ctx):
        g = ograds[0]
        shape, like, (y0, x0) = ctx.state['crop']
        dst = ctx.dst(0)
        dx = np.zeros(shape, dtype=g.dtype) if dst is None else dst
        if dst is not None:
            dx[...] = 0
        dx[:, :, y0:y0 + g.shape[2], x0:x0 + g.shape[3]] = g
        grads = [dx]
        if p.num_args > 1:
            # crop_like only lends its shape: a zero gradient, as MXNet writes
            grads.append(np.zeros(like, dtype=g.dtype) if ctx.needs(1) else None)
        return grads


# ----------------------------------------------------------------------------- SVMOutput
@register
class SVMOutput(Operator):
    """Identity in the forward pass; a one-vs-rest SVM gradient in the backward pass.

    ``data`` is (..., classes) and ``label`` holds class indices of shape ``data.shape[:-1]``.
    With ``t = +1`` at the label's class and ``-1`` elsewhere and ``m = margin - t * data``,
    the gradient for data is, where ``m > 0`` (zero elsewhere):

    * L2-SVM (default, squared hinge): ``-2 * regularization_coefficient * t * m``;
    * L1-SVM (``use_linear=True``, hinge): ``-regularization_coefficient * t``.

    It is not divided by the batch size. The head gradient is ignored and the label gets
    no gradient, as for the other ``*Output`` heads. A label is cast to an integer by
    truncation; one outside ``[0, classes)`` makes every class a negative.

    Parameters
    ----------
    data : Symbol or NDArray
    label : Symbol or NDArray
    margin : float, default 1.0
    regularization_coefficient : float, default 1.0
    use_linear : bool, default False

    Examples
    --------
    >>> import mxlite as mx
    >>> x = mx.nd.array([[0.5, -2.0, 0.2]])
    >>> x.attach_grad()
    >>> with mx.autograd.record():
    ...     y = mx.nd.SVMOutput(x, mx.nd.array([0]))
    >>> y.backward()
    >>> x.grad.asnumpy()       # class 0: -2 * (1 - 0.5); class 2: 2 * (1 + 0.2)
    array([[-1. ,  0. ,  2.4]], dtype=float32)
    """
    name = 'SVMOutput'
    params = {
        'margin': Float(1.0, doc='The margin of the hinge.'),
        'regularization_coefficient': Float(1.0, doc='Scales the gradient (the trade-off '
                                                     'between the error and the weights).'),
        'use_linear': Bool(False, doc='Use the L1-SVM objective (hinge); default L2-SVM '
                                      '(squared hinge).'),
    }
    nograd_inputs = (1,)
    is_loss = True
    inplace = ((0, 0),)

    def list_arguments(self, p):
        return ['data', 'label']

    def infer_shape(self, p, in_shapes):
        data, label = (None if s is None else tuple(s) for s in in_shapes)
        if data is None:
            return [data, label], [None]
        shape_check(len(data) >= 1, "input 'data' has shape %s; expected (..., classes)", data)
        expected = data[:-1]
        shape_check(label is None or label == expected,
                    "input 'label' has shape %s but data has shape %s; expected %s (the "
                    "data's shape without the class axis)", label, data, expected)
        return [data, expected], [data]

    def infer_type(self, p, in_types):
        data, label = in_types
        if data is None:
            return in_types, [None]
        # a label of class indices may be of any type
        return [data, data if label is None else label], [data]

    def forward(self, p, inputs, outputs, ctx):
        if outputs[0] is not inputs[0]:
            outputs[0][...] = inputs[0]

    def backward(self, p, ograds, inputs, outputs, ctx):
        y, label = outputs[0], inputs[1]
        classes = y.shape[-1] if y.ndim else 1
        rows = prod(y.shape[:-1])
        if label.size != rows:
            raise MXNetError('SVMOutput: label has %d elements but data of shape %s needs '
                             '%d (one per row)' % (label.size, y.shape, rows))
        out = y.reshape(rows, classes)
        k = np.asarray(label).reshape(-1).astype(np.int64)
        dt = y.dtype.type
        sign = np.where(np.arange(classes)[None, :] == k[:, None], dt(1), dt(-1))
        m = dt(p.margin) - sign * out                  # > 0 where the hinge is active
        scale = -dt(p.regularization_coefficient) * sign
        if p.use_linear:
            grad = np.where(m > 0, scale, dt(0))
        else:
            grad = np.where(m > 0, dt(2) * scale * m, dt(0))
        return [grad.astype(y.dtype, copy=False).reshape(y.shape), None]
