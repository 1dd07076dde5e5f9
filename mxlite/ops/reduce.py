"""Reductions: sum, mean, prod, nansum, nanprod, max, min, norm (over axes, with keepdims
and exclude) and the index reductions argmax, argmin, argmax_channel.

Shapes follow MXNet 1.x: reducing every axis without keepdims gives shape ``(1,)``, not a
0-d array; ``axis=()`` (or no axis) means every axis, whatever ``exclude`` says.
"""
import numpy as np

from ..base import ShapeError
from .random_ops import DTypeChoice
from .registry import Bool, Int, IntOrNone, Operator, Shape, register, shape_check


# ----------------------------------------------------------------------------- axes
def reduce_axes(ndim, axis, exclude=False):
    """Sorted tuple of the axes reduced for `axis` (None, int or tuple) and `exclude`."""
    if axis is None or (isinstance(axis, tuple) and len(axis) == 0):
        return tuple(range(ndim))
    if isinstance(axis, int):
        axis = (axis,)
    axes = []
    for a in axis:
        shape_check(-ndim <= a < ndim, 'reduction axis %d is out of range for an input of '
                    '%d dimension(s)', a, ndim)
        axes.append(a % ndim)
    shape_check(len(set(axes)) == len(axes), 'reduction axes %s have duplicates', tuple(axis))
    if exclude:
        return tuple(i for i in range(ndim) if i not in axes)
    return tuple(sorted(axes))


def reduced_shape(shape, axes, keepdims):
    """MXNet's output shape: reduced axes dropped (or 1 with keepdims); never 0-d."""
    if keepdims:
        return tuple(1 if i in axes else n for i, n in enumerate(shape))
    out = tuple(n for i, n in enumerate(shape) if i not in axes)
    return out or (1,)


def _kept(shape, axes):
    return tuple(1 if i in axes else n for i, n in enumerate(shape))


def _spread(g, x_shape, axes):
    """The head gradient of a reduction broadcast back to the input's shape (a view)."""
    return np.broadcast_to(g.reshape(_kept(x_shape, axes)), x_shape)


def _acc_dtype(x):
    # float16 sums accumulate in float32 (MXNet's safe accumulation); ints keep their type
    return np.float32 if x.dtype == np.float16 else None


# ----------------------------------------------------------------------------- sum family
def _prod_others(x, axes):
    """For every element, the product of the other elements of its reduction group.

    Exact where x has zeros (y / x is not): move the reduced axes last, flatten them, and
    multiply exclusive cumulative products from the left and from the right.
    """
    nd = x.ndim
    rest = [i for i in range(nd) if i not in axes]
    perm = rest + list(axes)
    xt = np.transpose(x, perm)
    lead = xt.shape[:len(rest)]
    flat = xt.reshape(lead + (-1,))
    ones = np.ones(lead + (1,), dtype=x.dtype)
    left = np.cumprod(np.concatenate([ones, flat[..., :-1]], axis=-1), axis=-1)
    right = np.cumprod(np.concatenate([ones, flat[..., :0:-1]], axis=-1), axis=-1)[..., ::-1]
    others = (left * right).reshape(xt.shape)
    return np.transpose(others, np.argsort(perm))


def _grad_sum(x, y, g, axes):
    return _spread(g, x.shape, axes)


def _grad_mean(x, y, g, axes):
    n = 1
    for a in axes:
        n *= x.shape[a]
    return _spread(g, x.shape, axes) / max(n, 1)


def _grad_prod(x, y, g, axes):
    if np.all(x != 0):
        return _spread(g, x.shape, axes) * (_spread(y, x.shape, axes) / x)
    return _spread(g, x.shape, axes) * _prod_others(x, axes)


def _grad_nansum(x, y, g, axes):
    return _spread(g, x.shape, axes) * ~np.isnan(x)


def _grad_nanprod(x, y, g, axes):
    valid = ~np.isnan(x)
    return _grad_prod(np.where(valid, x, 1), y, g, axes) * valid


def _grad_extreme(x, y, g, axes):
    # every element equal to the extreme gets the whole head gradient, as in MXNet
    return _spread(g, x.shape, axes) * (x == _spread(y, x.shape, axes))


def _mean(x, axis, keepdims, dtype=None):
    if x.dtype.kind in 'iub':
        return np.mean(x, axis=axis, keepdims=keepdims, dtype=np.float64)
    return np.mean(x, axis=axis, keepdims=keepdims, dtype=dtype)


# name -> (reduce(x, axis, keepdims, dtype), gradient(x, y, g, axes), aliases, doc)
REDUCE = {
    'sum': (np.sum, _grad_sum, ('sum_axis',), 'the sum'),
    'mean': (_mean, _grad_mean, (), 'the mean'),
    'prod': (np.prod, _grad_prod, (), 'the product'),
    'nansum': (np.nansum, _grad_nansum, (), 'the sum, treating NaN as zero'),
    'nanprod': (np.nanprod, _grad_nanprod, (), 'the product, treating NaN as one'),
    'max': (lambda x, axis, keepdims, dtype=None: np.max(x, axis=axis, keepdims=keepdims),
            _grad_extreme, ('max_axis',), 'the maximum'),
    'min': (lambda x, axis, keepdims, dtype=None: np.min(x, axis=axis, keepdims=keepdims),
            _grad_extreme, ('min_axis',), 'the minimum'),
}

_REDUCE_DOC = """Computes %s of array elements over the given axes.

Parameters
----------
data : NDArray or Symbol
    The input.
axis : int or tuple of int, optional
    The axes to reduce. None or () reduces every axis, into shape (1,).
keepdims : bool, default False
    Keep the reduced axes as dimensions of size one.
exclude : bool, default False
    Reduce over the axes that are NOT in `axis`.

Examples
--------
>>> import mxlite as mx
>>> x = mx.nd.array([[1., 2.], [3., 4.]])
>>> mx.nd.%s(x, axis=1).shape
(2,)
>>> mx.nd.%s(x).shape
(1,)
"""


class _Reduce(Operator):
    """A reduction over axes; `fn` reduces, `grad` spreads the head gradient back."""
    params = {
        'axis': Shape(None, allow_none=True, doc='The axis or axes to reduce.'),
        'keepdims': Bool(False, doc='Keep reduced axes as size-one dimensions.'),
        'exclude': Bool(False, doc='Reduce over the axes NOT in axis.'),
    }
    fn = None
    grad = None

    def axes(self, p, ndim):
        return reduce_axes(ndim, p.axis, p.exclude)

    def infer_shape(self, p, in_shapes):
        data = in_shapes[0]
        if data is None:
            return in_shapes, [None]
        data = tuple(data)
        return [data], [reduced_shape(data, self.axes(p, len(data)), p.keepdims)]

    def forward(self, p, inputs, outputs, ctx):
        x, out = inputs[0], outputs[0]
        axes = self.axes(p, x.ndim)
        with np.errstate(all='ignore'):
            r = type(self).fn(x, axis=axes, keepdims=True, dtype=_acc_dtype(x))
        np.copyto(out, np.reshape(r, out.shape), casting='unsafe')

    def backward(self, p, ograds, inputs, outputs, ctx):
        x = inputs[0]
        axes = self.axes(p, x.ndim)
        with np.errstate(all='ignore'):
            gx = type(self).grad(x, outputs[0], ograds[0], axes)
        return [np.asarray(gx).astype(x.dtype)]


def _make_reduce(name, fn, grad, aliases, what):
    attrs = {'name': name, 'aliases': aliases, 'fn': staticmethod(fn),
             'grad': staticmethod(grad), 'doc': _REDUCE_DOC % (what, name, name)}
    if name in ('sum', 'mean', 'nansum'):
        attrs['backward_uses_outputs'] = False
    register(type('Reduce_' + name, (_Reduce,), attrs))


for _name, (_fn, _grad, _aliases, _what) in REDUCE.items():
    _make_reduce(_name, _fn, _grad, _aliases, _what)


# ----------------------------------------------------------------------------- norm
@register
class Norm(Operator):
    """Computes the L1 or L2 norm of the array elements over the given axes.

    ``ord=2`` is the Euclidean norm (the Frobenius norm when two axes are given);
    ``ord=1`` is the sum of absolute values. Without `axis` the norm of the whole array is
    returned with shape (1,).

    The L2 gradient at a zero norm is zero here (MXNet 1.9.1 divides by zero and gives NaN).

    Parameters
    ----------
    data : NDArray or Symbol
        The input.
    ord : int, default 2
        1 or 2.
    axis : int or tuple of int, optional
        The axes to reduce; None or () reduces every axis.
    out_dtype : {None, 'float16', 'float32', 'float64', 'int32', 'int64', 'int8'}
        The output dtype; None keeps the input's.
    keepdims : bool, default False
        Keep the reduced axes as size-one dimensions.

    Examples
    --------
    >>> import mxlite as mx
    >>> mx.nd.norm(mx.nd.array([[3., 4.]])).asnumpy()
    array([5.], dtype=float32)
    """
    name = 'norm'
    params = {
        'ord': Int(2, doc='Order of the norm: 1 or 2.'),
        'axis': Shape(None, allow_none=True, doc='The axis or axes to reduce.'),
        'out_dtype': DTypeChoice(('float16', 'float32', 'float64', 'int64', 'int32', 'int8'),
                                 None, allow_none=True, doc='The output dtype.'),
        'keepdims': Bool(False, doc='Keep reduced axes as size-one dimensions.'),
    }

    def _check(self, p):
        if p.ord not in (1, 2):
            raise ShapeError('norm supports ord=1 and ord=2 only, got ord=%d' % p.ord)

    def infer_shape(self, p, in_shapes):
        self._check(p)
        data = in_shapes[0]
        if data is None:
            return in_shapes, [None]
        data = tuple(data)
        return [data], [reduced_shape(data, reduce_axes(len(data), p.axis), p.keepdims)]

    def infer_type(self, p, in_types):
        t = in_types[0]
        if p.out_dtype is not None:
            return in_types, [np.dtype(p.out_dtype)]
        return in_types, [t]

    def forward(self, p, inputs, outputs, ctx):
        self._check(p)
        x, out = inputs[0], outputs[0]
        axes = reduce_axes(x.ndim, p.axis)
        xf = x.astype(np.float32) if x.dtype.kind != 'f' or x.dtype == np.float16 else x
        if p.ord == 1:
            r = np.sum(np.abs(xf), axis=axes, keepdims=True)
        else:
            r = np.sqrt(np.sum(np.square(xf), axis=axes, keepdims=True))
        np.copyto(out, r.reshape(out.shape), casting='unsafe')

    def backward(self, p, ograds, inputs, outputs, ctx):
        x = inputs[0]
        axes = reduce_axes(x.ndim, p.axis)
        g = _spread(ograds[0].astype(x.dtype, copy=False), x.shape, axes)
        if p.ord == 1:
            return [(g * np.sign(x)).astype(x.dtype, copy=False)]
        y = _spread(outputs[0].astype(x.dtype, copy=False), x.shape, axes)
        with np.errstate(divide='ignore', invalid='ignore'):
            gx = np.where(y != 0, g * x / y, 0)
        return [gx.astype(x.dtype, copy=False)]


# ----------------------------------------------------------------------------- arg reductions
def arg_reduced_shape(shape, axis, keepdims):
    """MXNet's shape for argmax/argmin: no axis (or a 1-d input) gives (1,)."""
    ndim = len(shape)
    if axis is None or ndim == 1:
        return (1,) * ndim if keepdims else (1,)
    shape_check(-ndim <= axis < ndim, 'axis %d is out of range for an input of %d '
                'dimension(s)', axis, ndim)
    axis %= ndim
    if keepdims:
        return tuple(1 if i == axis else n for i, n in enumerate(shape))
    return tuple(n for i, n in enumerate(shape) if i != axis)


class _ArgReduce(Operator):
    params = {
        'axis': IntOrNone(None, doc='The axis to reduce; None uses the flattened input.'),
        'keepdims': Bool(False, doc='Keep the reduced axis as a size-one dimension.'),
    }
    backward_uses_inputs = False
    backward_uses_outputs = False
    fn = None

    def infer_shape(self, p, in_shapes):
        data = in_shapes[0]
        if data is None:
            return in_shapes, [None]
        return [tuple(data)], [arg_reduced_shape(tuple(data), p.axis, p.keepdims)]

    def forward(self, p, inputs, outputs, ctx):
        x, out = inputs[0], outputs[0]
        if p.axis is None:
            r = type(self).fn(x.reshape(-1))
        else:
            r = type(self).fn(x, axis=p.axis)
        np.copyto(out, np.reshape(r, out.shape), casting='unsafe')

    def backward(self, p, ograds, inputs, outputs, ctx):
        return [np.zeros_like(inputs[0])]


_ARG_DOC = """Returns the indices of the %s values along an axis, in the input's dtype.

Ties go to the first occurrence.

Parameters
----------
data : NDArray or Symbol
    The input.
axis : int or None, default None
    The axis to reduce; None searches the flattened input (result shape (1,)).
keepdims : bool, default False
    Keep the reduced axis as a dimension of size one.

Examples
--------
>>> import mxlite as mx
>>> mx.nd.%s(mx.nd.array([[1., 5., 3.], [4., 2., 6.]]), axis=1).asnumpy()
array([%s], dtype=float32)
"""


@register
class ArgMax(_ArgReduce):
    __doc__ = _ARG_DOC % ('maximum', 'argmax', '1., 2.')
    name = 'argmax'
    fn = staticmethod(np.argmax)


@register
class ArgMin(_ArgReduce):
    __doc__ = _ARG_DOC % ('minimum', 'argmin', '0., 1.')
    name = 'argmin'
    fn = staticmethod(np.argmin)


@register
class ArgMaxChannel(Operator):
    """Returns the index of the maximum along the last axis, in the input's dtype.

    Parameters
    ----------
    data : NDArray or Symbol
        The input, e.g. of shape (batch, num_channel).

    Examples
    --------
    >>> import mxlite as mx
    >>> mx.nd.argmax_channel(mx.nd.array([[0., 1., 2.], [3., 4., 5.]])).asnumpy()
    array([2., 2.], dtype=float32)
    """
    name = 'argmax_channel'
    backward_uses_inputs = False
    backward_uses_outputs = False

    def infer_shape(self, p, in_shapes):
        data = in_shapes[0]
        if data is None:
            return in_shapes, [None]
        return [tuple(data)], [arg_reduced_shape(tuple(data), -1, False)]

    def forward(self, p, inputs, outputs, ctx):
        r = np.argmax(inputs[0], axis=-1)
        np.copyto(outputs[0], np.reshape(r, outputs[0].shape), casting='unsafe')

    def backward(self, p, ograds, inputs, outputs, ctx):
        return [np.zeros_like(inputs[0])]
