"""Flatten: collapse every axis but the first, (N, d1, ..., dk) -> (N, d1*...*dk)."""
from ._util import prod
from .registry import Operator, register
from .reshape import copy_reshaped, reshaped_grad


@register
class Flatten(Operator):
    """Flattens the input to two dimensions, keeping the first axis.

    An input of shape ``(N, d1, d2, ..., dk)`` becomes ``(N, d1*d2*...*dk)``; a 1-D input
    of shape ``(N,)`` becomes ``(N, 1)``. The gradient is reshaped back.

    Examples
    --------
    >>> mx.nd.Flatten(mx.nd.ones((2, 3, 4))).shape
    (2, 12)
    """
    name = 'Flatten'
    aliases = ('flatten',)
    params = {}
    inplace = ((0, 0),)
    backward_uses_inputs = False
    backward_uses_outputs = False

    def infer_shape(self, p, in_shapes):
        data = in_shapes[0]
        if data is None:
            return in_shapes, [None]
        data = tuple(data)
        if not data:
            return in_shapes, [(1, 1)]
        return in_shapes, [(data[0], prod(data[1:]))]

    def forward(self, p, inputs, outputs, ctx):
        ctx.state['shape'] = inputs[0].shape
        copy_reshaped(inputs[0], outputs[0])   # nothing to do when planned in place

    def backward(self, p, ograds, inputs, outputs, ctx):
        shape = ctx.state.get('shape')
        if shape is None:
            shape = inputs[0].shape
        return [reshaped_grad(ograds[0], shape, ctx)]
