"""Dropout, with MXNet's hidden mask output."""
import numpy as np

from .registry import Bool, Enum, Float, Operator, Shape, register, shape_check


@register
class Dropout(Operator):
    """Randomly zeroes elements with probability ``p`` and scales the rest by 1 / (1 - p).

    Active in training (``mode='training'``) or always (``mode='always'``); otherwise the
    identity. ``axes`` shares one random draw along the listed axes (variational dropout).
    The mask (already scaled) is a hidden second output, as in MXNet; the generator is the
    one seeded by ``mx.random.seed``.

    Parameters
    ----------
    data : Symbol or NDArray
    p : float, default 0.5
        Fraction of the input that gets dropped out during training.
    mode : {'always', 'training'}, default 'training'
    axes : Shape, default ()
        Axes along which the mask is shared.
    cudnn_off : bool or None, default False
        Accepted for compatibility; no effect.

    Examples
    --------
    >>> import mxlite as mx
    >>> mx.nd.Dropout(mx.nd.ones((2, 2)), p=0.5).asnumpy()   # inference: identity
    array([[1., 1.],
           [1., 1.]], dtype=float32)
    """
    name = 'Dropout'
    params = {
        'p': Float(0.5, doc='Fraction of the input that gets dropped out during training.',
                   low=0.0, high=1.0),
        'mode': Enum(('always', 'training'), 'training',
                     doc="Whether to only turn on dropout during training or always."),
        'axes': Shape((), doc='Axes for variational dropout kernel.'),
        'cudnn_off': Bool(False, doc='Whether to turn off cuDNN (no effect here).'),
    }
    inplace = ((0, 0),)
    backward_uses_inputs = False
    backward_uses_outputs = False   # the compact mask is kept in ctx.state

    def list_outputs(self, p):
        return ['output', 'mask']

    def num_visible_outputs(self, p):
        return 1

    def infer_shape(self, p, in_shapes):
        data = in_shapes[0]
        if data is not None:
            for a in p.axes:
                shape_check(-len(data) <= a < len(data), "axes entry %d is out of range for "
                            "data of shape %s", a, tuple(data))
        return in_shapes, [data, data]

    def forward(self, p, inputs, outputs, ctx):
        x, out, mask_out = inputs[0], outputs[0], outputs[1]
        active = (ctx.is_train or p.mode == 'always') and p.p > 0
        if not active:
            ctx.state['mask'] = None
            mask_out[...] = 1
            if out is not x:
                out[...] = x
            return
        shape = list(x.shape)
        for a in p.axes:
            shape[a % x.ndim] = 1
        # Generator.random draws float32 or float64 only
        dt = x.dtype if x.dtype in (np.float32, np.float64) else np.dtype(np.float32)
        if p.p >= 1.0:
            mask = np.zeros(shape, x.dtype)
        else:
            keep = ctx.rng.random(tuple(shape), dtype=dt) >= p.p
            mask = keep.astype(x.dtype)
            mask *= x.dtype.type(1.0 / (1.0 - p.p))
        ctx.state['mask'] = mask
        mask_out[...] = mask
        np.multiply(x, mask, out=out)

    def backward(self, p, ograds, inputs, outputs, ctx):
        mask = ctx.state.get('mask')
        if mask is None:
            return [ograds[0]]
        return [ograds[0] * mask]
