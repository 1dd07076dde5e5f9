"""Pad: constant, edge or reflect padding of every axis, with a gradient for each mode."""
import numpy as np

from .registry import Enum, Float, Operator, Shape, register, shape_check


@register
class Pad(Operator):
    """Pads an array with a constant, its edge values, or its reflection.

    ``pad_width`` has two numbers per axis, ``(before_0, after_0, before_1, after_1,
    ...)``. MXNet pads 4-D and 5-D arrays and leaves the first two axes (batch,
    channel) unpadded; mxlite accepts any number of axes. ``reflect`` mirrors about the
    first and last values (``[1, 2, 3]`` padded by 2 on the left gives ``[3, 2, 1, 2,
    3]``) and needs each pad to be smaller than the axis. The gradient of ``edge`` and
    ``reflect`` adds the padded positions' gradients back to the values they copy.

    Examples
    --------
    >>> x = mx.nd.ones((1, 1, 2, 2))
    >>> mx.nd.Pad(x, mode='constant', pad_width=(0, 0, 0, 0, 1, 1, 1, 1)).shape
    (1, 1, 4, 4)
    """
    name = 'Pad'
    aliases = ('pad',)
    params = {
        'mode': Enum(('constant', 'edge', 'reflect'), 'constant', doc='Padding mode.'),
        'pad_width': Shape(doc='(before, after) pad sizes of every axis, flattened.'),
        'constant_value': Float(0.0, doc='Value of the padding in constant mode.'),
    }
    backward_uses_inputs = False
    backward_uses_outputs = False

    @staticmethod
    def _pairs(p, ndim):
        width = tuple(p.pad_width)
        shape_check(len(width) == 2 * ndim, 'pad_width %s must have 2 values per axis of '
                    'the %d-D input (%d values)', width, ndim, 2 * ndim)
        shape_check(all(w >= 0 for w in width), 'pad_width %s must not be negative', width)
        return [(width[2 * i], width[2 * i + 1]) for i in range(ndim)]

    def infer_shape(self, p, in_shapes):
        data = in_shapes[0]
        if data is None:
            return in_shapes, [None]
        data = tuple(data)
        pairs = self._pairs(p, len(data))
        if p.mode == 'reflect':
            for i, (n, (b, a)) in enumerate(zip(data, pairs)):
                shape_check(max(b, a) < n or (b == a == 0), 'data has shape %s: reflect pad '
                            '%s on axis %d must be smaller than the axis size %d',
                            data, (b, a), i, n)
        if p.mode == 'edge':
            for i, (n, (b, a)) in enumerate(zip(data, pairs)):
                shape_check(n > 0 or (b == a == 0), 'data has shape %s: cannot edge-pad '
                            'the empty axis %d', data, i)
        return in_shapes, [tuple(n + b + a for n, (b, a) in zip(data, pairs))]

    def forward(self, p, inputs, outputs, ctx):
        x = inputs[0]
        out = outputs[0]
        pairs = self._pairs(p, x.ndim)
        ctx.state['shape'] = x.shape
        inner = tuple(slice(b, b + n) for n, (b, _) in zip(x.shape, pairs))
        if p.mode == 'constant':
            out.fill(p.constant_value)
            out[inner] = x
        else:
            out[...] = np.pad(x, pairs, mode=p.mode)

    def backward(self, p, ograds, inputs, outputs, ctx):
        g = ograds[0]
        shape = ctx.state['shape'] if 'shape' in ctx.state else inputs[0].shape
        pairs = self._pairs(p, len(shape))
        if p.mode == 'constant':
            return [g[tuple(slice(b, b + n) for n, (b, _) in zip(shape, pairs))].copy()]
        # fold one axis at a time: its padded positions add onto the values they copied
        for axis, (n, (b, a)) in enumerate(zip(shape, pairs)):
            if not b and not a:
                continue
            g = np.moveaxis(g, axis, 0)
            dx = g[b:b + n].copy()
            if p.mode == 'edge':
                if b:
                    dx[0] += g[:b].sum(axis=0)
                if a:
                    dx[n - 1] += g[b + n:].sum(axis=0)
            else:  # reflect: padded position j before the data copies x[b - j]
                if b:
                    dx[1:b + 1] += g[b - 1::-1]
                if a:
                    dx[n - 1 - a:n - 1] += g[b + n:][::-1]
            g = np.moveaxis(dx, 0, axis)
        return [np.ascontiguousarray(g)]
