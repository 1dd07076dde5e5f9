"""Rectangular slices: slice (alias crop), slice_axis and slice_like.

Each computes one tuple of Python slices from its params and the input shape; forward
copies that region and backward writes the head gradient into a zero array at the region.
"""
import numpy as np

from ._util import known as _known
from .registry import Int, IntOrNone, Operator, Shape, register, shape_check


def _region_shape(shape, index):
    return tuple(len(range(*s.indices(n))) for s, n in zip(index, shape)) + \
        tuple(shape[len(index):])


class _Slicer(Operator):
    """Shared rule: `index(p, shape)` -> tuple of slices into the (first) input."""
    backward_uses_outputs = False

    def index(self, p, shape, other=None):
        raise NotImplementedError

    def infer_shape(self, p, in_shapes):
        # one input (slice, slice_axis); slice_like also reads its second input's shape
        src = in_shapes[0]
        if not _known(src):
            return in_shapes, [None]
        return [tuple(src)], [self.out_shape(p, tuple(src))]

    def out_shape(self, p, shape, other=None):
        out = _region_shape(shape, self.index(p, shape, other))
        shape_check(all(d > 0 for d in out), "the slice of input 'data' of shape %s is empty "
                    "(result shape %s); check begin/end", tuple(shape), out)
        return out

    def forward(self, p, inputs, outputs, ctx):
        x = inputs[0]
        other = inputs[1].shape if len(inputs) > 1 else None
        index = self.index(p, x.shape, other)
        ctx.state['index'] = index
        ctx.state['shape'] = x.shape
        outputs[0][...] = x[index]

    def backward(self, p, ograds, inputs, outputs, ctx):
        g = ograds[0]
        grad = np.zeros(ctx.state['shape'], g.dtype)
        grad[ctx.state['index']] = g
        return [grad] + [np.zeros_like(x) for x in inputs[1:]]


@register
class Slice(_Slicer):
    """Slice `begin:end:step` per leading axis, as Python does (None = from the start/end).

    `begin`, `end` (and `step`, if given) have one entry per sliced axis; axes after them
    are kept whole. Negative indices count from the end.

    Examples
    --------
    >>> import mxlite as mx
    >>> x = mx.nd.arange(12).reshape((3, 4))
    >>> mx.nd.slice(x, begin=(0, 1), end=(2, None)).asnumpy().tolist()
    [[1.0, 2.0, 3.0], [5.0, 6.0, 7.0]]
    """
    name = 'slice'
    aliases = ('crop',)
    params = {'begin': Shape(), 'end': Shape(), 'step': Shape(())}
    backward_uses_inputs = False

    def index(self, p, shape, other=None):
        begin, end, step = tuple(p.begin), tuple(p.end), tuple(p.step)
        shape_check(len(begin) == len(end), 'begin=%s and end=%s must have the same length',
                    begin, end)
        shape_check(not step or len(step) == len(begin), 'step=%s must be empty or as long as '
                    'begin=%s', step, begin)
        shape_check(len(begin) <= len(shape), "begin=%s slices %d axes but input 'data' of "
                    "shape %s has %d", begin, len(begin), tuple(shape), len(shape))
        out = []
        for i, (b, e) in enumerate(zip(begin, end)):
            s = step[i] if step else None
            shape_check(s != 0, 'step=%s: a step of 0 is not allowed (axis %d)', step, i)
            out.append(slice(b, e, s))
        return tuple(out)


@register
class SliceAxis(_Slicer):
    """Slice `begin:end` along one `axis` (end None = to the end; negatives count back).

    Examples
    --------
    >>> import mxlite as mx
    >>> mx.nd.slice_axis(mx.nd.zeros((3, 4)), axis=1, begin=1, end=3).shape
    (3, 2)
    """
    name = 'slice_axis'
    params = {'axis': Int(), 'begin': Int(), 'end': IntOrNone()}
    backward_uses_inputs = False

    def index(self, p, shape, other=None):
        ndim = len(shape)
        shape_check(-ndim <= p.axis < ndim, "axis=%d is out of range for input 'data' of shape "
                    "%s", p.axis, tuple(shape))
        axis = p.axis % ndim
        n = shape[axis]
        b = p.begin + n if p.begin < 0 else p.begin
        e = n if p.end is None else (p.end + n if p.end < 0 else p.end)
        shape_check(0 <= b < e <= n, "begin=%d, end=%s do not give a non-empty range within "
                    "axis %d of size %d (input 'data' of shape %s)", p.begin, p.end, p.axis,
                    n, tuple(shape))
        return (slice(None),) * axis + (slice(b, e),)


@register
class SliceLike(_Slicer):
    """Slice `data` from the start to the shape of `shape_like` on `axes` (default: all).

    `shape_like` only lends its shape and gets a zero gradient.

    Examples
    --------
    >>> import mxlite as mx
    >>> mx.nd.slice_like(mx.nd.zeros((3, 4)), mx.nd.zeros((2, 2)), axes=(1,)).shape
    (3, 2)
    """
    name = 'slice_like'
    params = {'axes': Shape(())}
    nograd_inputs = (1,)

    def list_arguments(self, p):
        return ['data', 'shape_like']

    def index(self, p, shape, other=None):
        shape, other = tuple(shape), tuple(other)
        if p.axes:
            axes = []
            for a in p.axes:
                shape_check(-len(shape) <= a < len(shape) and a % len(shape) < len(other),
                            "axes=%s: axis %d is out of range for data of shape %s or "
                            "shape_like of shape %s", tuple(p.axes), a, shape, other)
                axes.append(a % len(shape))
        else:
            shape_check(len(shape) == len(other), "data has shape %s but shape_like has shape "
                        "%s; without axes both need the same number of dimensions",
                        shape, other)
            axes = range(len(shape))
        index = [slice(None)] * len(shape)
        for a in axes:
            n = other[a]
            shape_check(n <= shape[a], "shape_like of shape %s is larger than data of shape %s "
                        "on axis %d", other, shape, a)
            index[a] = slice(0, n)
        return tuple(index)

    def infer_shape(self, p, in_shapes):
        src, like = in_shapes
        if not (_known(src) and _known(like)):
            return in_shapes, [None]
        return [tuple(src), tuple(like)], [self.out_shape(p, tuple(src), tuple(like))]

    def infer_type(self, p, in_types):
        return in_types, [in_types[0]]
