"""Layout and broadcast ops: transpose, SwapAxis, expand_dims, squeeze, reverse, tile, repeat,
broadcast_to/_axis/_like, plus Cast and the shape-only outputs (zeros_like, shape_array ...).

Most of them are a pure re-indexing of one input, so they share `_Layout`: a shape rule, a
forward that writes the re-indexed view into the output, and a backward that maps the
gradient back (a transpose, a reshape, or a sum over the copies for tile/repeat/broadcast).
"""
import numpy as np

from ._util import known as _known, reduce_to
from .registry import DType, Int, IntOrNone, Operator, Shape, register, shape_check


def _axis(axis, ndim, what, shape, extra=0):
    """`axis` normalised for an array of `ndim` dims (+`extra` for new-axis ops)."""
    n = ndim + extra
    shape_check(-n <= axis < max(n, 1), "%s=%d is out of range for input 'data' of shape %s "
                "(valid: %d..%d)", what, axis, tuple(shape), -n, n - 1)
    return axis % n if n else 0


class _Layout(Operator):
    """One input, one output whose shape follows from the input's and the params."""
    backward_uses_inputs = False
    backward_uses_outputs = False

    def shape_rule(self, p, shape):
        raise NotImplementedError

    def apply(self, p, x):
        raise NotImplementedError

    def grad(self, p, g, shape):
        raise NotImplementedError

    def infer_shape(self, p, in_shapes):
        src = in_shapes[0]
        if not _known(src):
            return in_shapes, [None]
        return [tuple(src)], [tuple(self.shape_rule(p, tuple(src)))]

    def forward(self, p, inputs, outputs, ctx):
        x = inputs[0]
        ctx.state['shape'] = x.shape
        outputs[0][...] = self.apply(p, x)

    def backward(self, p, ograds, inputs, outputs, ctx):
        return [self.grad(p, ograds[0], ctx.state['shape'])]


class _Broadcast(_Layout):
    """broadcast_to, broadcast_axis: size-1 dimensions repeated to the shape rule's sizes;
    the gradient sums over the copies."""

    def apply(self, p, x):
        return np.broadcast_to(x, self.shape_rule(p, x.shape))

    def grad(self, p, g, shape):
        return reduce_to(g, shape)


class _Reshaped(_Layout):
    """Only the shape changes (expand_dims, squeeze): the values are copied as they are, or
    shared when the planner runs the op in place; the gradient is reshaped back."""
    inplace = ((0, 0),)

    def forward(self, p, inputs, outputs, ctx):
        from .reshape import copy_reshaped
        ctx.state['shape'] = inputs[0].shape
        copy_reshaped(inputs[0], outputs[0])

    def grad(self, p, g, shape):
        return g.reshape(shape)


# ----------------------------------------------------------------------------- permutations
@register
class Transpose(_Layout):
    """Permute the dimensions: output axis i is input axis ``axes[i]`` (default: reversed).

    Examples
    --------
    >>> import mxlite as mx
    >>> mx.nd.transpose(mx.nd.zeros((2, 3, 4)), axes=(1, 0, 2)).shape
    (3, 2, 4)
    """
    name = 'transpose'
    params = {'axes': Shape(())}

    def perm(self, p, ndim, shape):
        if not p.axes:
            return tuple(range(ndim))[::-1]
        shape_check(len(p.axes) == ndim, 'axes=%s has %d entries but input \'data\' of shape %s '
                    'has %d dimension(s)', tuple(p.axes), len(p.axes), tuple(shape), ndim)
        perm = tuple(_axis(a, ndim, 'axes entry', shape) for a in p.axes)
        shape_check(sorted(perm) == list(range(ndim)), 'axes=%s is not a permutation of the %d '
                    'dimensions of input \'data\' of shape %s', tuple(p.axes), ndim, tuple(shape))
        return perm

    def shape_rule(self, p, shape):
        return tuple(shape[a] for a in self.perm(p, len(shape), shape))

    def apply(self, p, x):
        return x.transpose(self.perm(p, x.ndim, x.shape))

    def grad(self, p, g, shape):
        return g.transpose(np.argsort(self.perm(p, len(shape), shape)))


@register
class SwapAxis(_Layout):
    """Swap two dimensions, `dim1` and `dim2`.

    Examples
    --------
    >>> import mxlite as mx
    >>> mx.nd.swapaxes(mx.nd.zeros((2, 3, 4)), dim1=0, dim2=2).shape
    (4, 3, 2)
    """
    name = 'SwapAxis'
    aliases = ('swapaxes',)
    params = {'dim1': Int(0), 'dim2': Int(0)}

    def perm(self, p, ndim, shape):
        a = _axis(p.dim1, ndim, 'dim1', shape)
        b = _axis(p.dim2, ndim, 'dim2', shape)
        perm = list(range(ndim))
        perm[a], perm[b] = perm[b], perm[a]
        return perm

    def shape_rule(self, p, shape):
        return tuple(shape[a] for a in self.perm(p, len(shape), shape))

    def apply(self, p, x):
        return x.transpose(self.perm(p, x.ndim, x.shape))

    def grad(self, p, g, shape):
        return g.transpose(self.perm(p, len(shape), shape))


@register
class Reverse(_Layout):
    """Reverse the order of elements along the given axes (``flip`` is the same op).

    Examples
    --------
    >>> import mxlite as mx
    >>> mx.nd.flip(mx.nd.array([[1, 2], [3, 4]]), axis=1).asnumpy().tolist()
    [[2.0, 1.0], [4.0, 3.0]]
    """
    name = 'reverse'
    aliases = ('flip',)
    params = {'axis': Shape()}

    def axes(self, p, shape):
        return tuple(_axis(a, len(shape), 'axis', shape) for a in p.axis)

    def shape_rule(self, p, shape):
        self.axes(p, shape)
        return shape

    def apply(self, p, x):
        return np.flip(x, self.axes(p, x.shape))

    def grad(self, p, g, shape):
        return np.flip(g, self.axes(p, shape))


# ----------------------------------------------------------------------------- new / removed axes
@register
class ExpandDims(_Reshaped):
    """Insert a dimension of size 1 at `axis` (negative counts from the new end).

    Examples
    --------
    >>> import mxlite as mx
    >>> mx.nd.expand_dims(mx.nd.zeros((2, 3)), axis=-1).shape
    (2, 3, 1)
    """
    name = 'expand_dims'
    params = {'axis': Int()}

    def shape_rule(self, p, shape):
        a = _axis(p.axis, len(shape), 'axis', shape, extra=1)
        return shape[:a] + (1,) + shape[a:]


@register
class Squeeze(_Reshaped):
    """Remove dimensions of size 1: those in `axis`, or all of them when `axis` is None.

    A result with no dimensions left has shape ``(1,)``, as in MXNet 1.x.

    Examples
    --------
    >>> import mxlite as mx
    >>> mx.nd.squeeze(mx.nd.zeros((2, 1, 3, 1)), axis=1).shape
    (2, 3, 1)
    """
    name = 'squeeze'
    params = {'axis': Shape(None, allow_none=True)}

    def shape_rule(self, p, shape):
        if p.axis is None:
            drop = {i for i, d in enumerate(shape) if d == 1}
        else:
            drop = set()
            for a in p.axis:
                k = _axis(a, len(shape), 'axis', shape)
                shape_check(shape[k] == 1, 'axis=%s: dimension %d of input \'data\' of shape %s '
                            'has size %d; only size-1 dimensions can be squeezed',
                            tuple(p.axis), k, tuple(shape), shape[k])
                shape_check(k not in drop, 'axis=%s names dimension %d twice',
                            tuple(p.axis), k)
                drop.add(k)
        out = tuple(d for i, d in enumerate(shape) if i not in drop)
        return out or (1,)


# ----------------------------------------------------------------------------- copies
@register
class Tile(_Layout):
    """Repeat the whole array `reps` times along each axis (like numpy.tile).

    Shorter `reps` are padded with 1s in front; a longer one adds leading axes to the input.

    Examples
    --------
    >>> import mxlite as mx
    >>> mx.nd.tile(mx.nd.zeros((2, 3)), reps=(1, 2, 3)).shape
    (1, 4, 9)
    """
    name = 'tile'
    params = {'reps': Shape()}

    @staticmethod
    def _aligned(p, shape):
        reps = tuple(p.reps)
        shape_check(all(r > 0 for r in reps), 'reps=%s must be positive', reps)
        n = max(len(reps), len(shape))
        return (1,) * (n - len(shape)) + tuple(shape), (1,) * (n - len(reps)) + reps

    def shape_rule(self, p, shape):
        if not p.reps:
            return shape
        s, r = self._aligned(p, shape)
        return tuple(a * b for a, b in zip(s, r))

    def apply(self, p, x):
        return np.tile(x, p.reps) if p.reps else x

    def grad(self, p, g, shape):
        if not p.reps:
            return g
        s, r = self._aligned(p, shape)
        # the output interleaves (rep, size) per axis; summing the rep axes undoes the tiling
        split = [n for pair in zip(r, s) for n in pair]
        return g.reshape(split).sum(axis=tuple(range(0, 2 * len(s), 2))).reshape(shape)


@register
class Repeat(_Layout):
    """Repeat each element `repeats` times along `axis` (flattened first if axis is None).

    Examples
    --------
    >>> import mxlite as mx
    >>> mx.nd.repeat(mx.nd.array([[1, 2]]), repeats=2, axis=1).asnumpy().tolist()
    [[1.0, 1.0, 2.0, 2.0]]
    """
    name = 'repeat'
    params = {'repeats': Int(), 'axis': IntOrNone(None)}

    def shape_rule(self, p, shape):
        shape_check(p.repeats > 0, 'repeats=%d must be positive', p.repeats)
        if p.axis is None:
            n = 1
            for d in shape:
                n *= d
            return (n * p.repeats,)
        a = _axis(p.axis, len(shape), 'axis', shape)
        return shape[:a] + (shape[a] * p.repeats,) + shape[a + 1:]

    def apply(self, p, x):
        return np.repeat(x, p.repeats, axis=p.axis)

    def grad(self, p, g, shape):
        if p.axis is None:
            return g.reshape(-1, p.repeats).sum(axis=1).reshape(shape)
        a = p.axis % len(shape)
        return g.reshape(shape[:a + 1] + (p.repeats,) + shape[a + 1:]).sum(axis=a + 1)


@register
class BroadcastTo(_Broadcast):
    """Broadcast size-1 dimensions to `shape`; a 0 in `shape` keeps the input's size.

    Examples
    --------
    >>> import mxlite as mx
    >>> mx.nd.broadcast_to(mx.nd.zeros((1, 3)), shape=(4, 0)).shape
    (4, 3)
    """
    name = 'broadcast_to'
    params = {'shape': Shape(())}

    def shape_rule(self, p, shape):
        target = tuple(p.shape)
        shape_check(len(target) == len(shape), 'shape=%s has %d dimension(s) but input '
                    '\'data\' has shape %s', target, len(target), shape)
        out = []
        for i, (d, t) in enumerate(zip(shape, target)):
            t = d if t == 0 else t
            shape_check(d == t or d == 1, 'cannot broadcast input \'data\' of shape %s to '
                        'shape=%s: dimension %d has size %d (only size 1 broadcasts)',
                        shape, target, i, d)
            out.append(t)
        return tuple(out)


@register
class BroadcastAxis(_Broadcast):
    """Broadcast the size-1 dimensions `axis` to the sizes `size`.

    Examples
    --------
    >>> import mxlite as mx
    >>> mx.nd.broadcast_axis(mx.nd.zeros((1, 3, 1)), axis=(0, 2), size=(2, 4)).shape
    (2, 3, 4)
    """
    name = 'broadcast_axis'
    aliases = ('broadcast_axes',)
    params = {'axis': Shape(()), 'size': Shape(())}

    def shape_rule(self, p, shape):
        shape_check(len(p.axis) == len(p.size), 'axis=%s and size=%s must have the same length',
                    tuple(p.axis), tuple(p.size))
        out = list(shape)
        for a, n in zip(p.axis, p.size):
            k = _axis(a, len(shape), 'axis', shape)
            shape_check(shape[k] == 1 or shape[k] == n, 'axis=%s: dimension %d of input '
                        '\'data\' of shape %s has size %d; only size-1 dimensions broadcast',
                        tuple(p.axis), k, shape, shape[k])
            out[k] = n
        return tuple(out)


@register
class BroadcastLike(Operator):
    """Broadcast `lhs` to the shape of `rhs` (or only `lhs_axes` to rhs's `rhs_axes`).

    `rhs` only lends its shape and gets a zero gradient.

    Examples
    --------
    >>> import mxlite as mx
    >>> mx.nd.broadcast_like(mx.nd.zeros((1, 3)), mx.nd.zeros((4, 3))).shape
    (4, 3)
    """
    name = 'broadcast_like'
    params = {'lhs_axes': Shape(None, allow_none=True), 'rhs_axes': Shape(None, allow_none=True)}
    nograd_inputs = (1,)
    backward_uses_outputs = False

    def list_arguments(self, p):
        return ['lhs', 'rhs']

    def infer_shape(self, p, in_shapes):
        lhs, rhs = in_shapes
        if not (_known(lhs) and _known(rhs)):
            return in_shapes, [None]
        lhs, rhs = tuple(lhs), tuple(rhs)
        if p.lhs_axes is None and p.rhs_axes is None:
            shape_check(len(lhs) == len(rhs), "lhs has shape %s but rhs has shape %s; they need "
                        "the same number of dimensions", lhs, rhs)
            pairs = [(i, i) for i in range(len(lhs))]
        else:
            la, ra = tuple(p.lhs_axes or ()), tuple(p.rhs_axes or ())
            shape_check(len(la) == len(ra) and la, 'lhs_axes=%s and rhs_axes=%s must be given '
                        'together, with the same length', p.lhs_axes, p.rhs_axes)
            pairs = [(_axis(a, len(lhs), 'lhs_axes entry', lhs),
                      _axis(b, len(rhs), 'rhs_axes entry', rhs)) for a, b in zip(la, ra)]
        out = list(lhs)
        for i, j in pairs:
            shape_check(lhs[i] == rhs[j] or lhs[i] == 1, 'cannot broadcast lhs of shape %s like '
                        'rhs of shape %s: lhs dimension %d has size %d (only size 1 broadcasts)',
                        lhs, rhs, i, lhs[i])
            out[i] = rhs[j]
        return [lhs, rhs], [tuple(out)]

    def infer_type(self, p, in_types):
        return in_types, [in_types[0]]

    def forward(self, p, inputs, outputs, ctx):
        outputs[0][...] = np.broadcast_to(inputs[0], outputs[0].shape)

    def backward(self, p, ograds, inputs, outputs, ctx):
        lhs, rhs = inputs
        return [reduce_to(ograds[0], lhs.shape), np.zeros_like(rhs)]


# ----------------------------------------------------------------------------- dtype / shape
@register
class Cast(Operator):
    """Convert to `dtype` (floats to integers truncate toward zero); the gradient is cast back.

    Examples
    --------
    >>> import mxlite as mx
    >>> mx.nd.cast(mx.nd.array([1.7, -2.5]), dtype='int32').asnumpy().tolist()
    [1, -2]
    """
    name = 'Cast'
    aliases = ('cast',)
    params = {'dtype': DType()}
    backward_uses_inputs = False
    backward_uses_outputs = False

    def infer_type(self, p, in_types):
        return in_types, [np.dtype(p.dtype)]

    def forward(self, p, inputs, outputs, ctx):
        ctx.state['dtype'] = inputs[0].dtype
        outputs[0][...] = inputs[0]

    def backward(self, p, ograds, inputs, outputs, ctx):
        return [ograds[0].astype(ctx.state['dtype'], copy=False)]


class _Filled(Operator):
    """An output of the input's shape and dtype filled with a constant; zero gradient."""
    value = 0
    backward_uses_inputs = False
    backward_uses_outputs = False

    def forward(self, p, inputs, outputs, ctx):
        outputs[0].fill(self.value)

    def backward(self, p, ograds, inputs, outputs, ctx):
        return [np.zeros_like(ograds[0])]


@register
class ZerosLike(_Filled):
    """An array of zeros with the shape and dtype of the input.

    Examples
    --------
    >>> import mxlite as mx
    >>> mx.nd.zeros_like(mx.nd.ones((2, 2))).asnumpy().tolist()
    [[0.0, 0.0], [0.0, 0.0]]
    """
    name = 'zeros_like'
    value = 0


@register
class OnesLike(_Filled):
    """An array of ones with the shape and dtype of the input.

    Examples
    --------
    >>> import mxlite as mx
    >>> mx.nd.ones_like(mx.nd.zeros((2,))).asnumpy().tolist()
    [1.0, 1.0]
    """
    name = 'ones_like'
    value = 1


class _ShapeInfo(Operator):
    """int64 outputs describing the input's shape; the input gets a zero gradient."""
    backward_uses_inputs = False
    backward_uses_outputs = False

    def infer_type(self, p, in_types):
        return in_types, [np.dtype(np.int64)]

    def forward(self, p, inputs, outputs, ctx):
        ctx.state['shape'] = inputs[0].shape
        ctx.state['dtype'] = inputs[0].dtype
        outputs[0][...] = self.values(inputs[0].shape)

    def backward(self, p, ograds, inputs, outputs, ctx):
        return [np.zeros(ctx.state['shape'], ctx.state['dtype'])]


@register
class ShapeArray(_ShapeInfo):
    """The input's shape as a 1-D int64 array.

    Examples
    --------
    >>> import mxlite as mx
    >>> mx.nd.shape_array(mx.nd.zeros((2, 3))).asnumpy().tolist()
    [2, 3]
    """
    name = 'shape_array'

    def infer_shape(self, p, in_shapes):
        src = in_shapes[0]
        return in_shapes, [None if src is None else (len(src),)]

    def values(self, shape):
        return shape


@register
class SizeArray(_ShapeInfo):
    """The input's number of elements as a 1-element int64 array.

    Examples
    --------
    >>> import mxlite as mx
    >>> mx.nd.size_array(mx.nd.zeros((2, 3))).asnumpy().tolist()
    [6]
    """
    name = 'size_array'

    def infer_shape(self, p, in_shapes):
        return in_shapes, [(1,)]

    def values(self, shape):
        return int(np.prod(shape, dtype=np.int64))
