"""Contrib ops of MXNet 1.x (``mx.nd.contrib.X`` / ``mx.sym.contrib.X``): boolean_mask,
index_copy, index_array, arange_like, quadratic and div_sqrt_dim.

Each record is named ``_contrib_<name>``, which is how MXNet writes it into symbol JSON
and how mxlite files it under the contrib namespaces.

boolean_mask is the one op whose output shape depends on input *values* (how many entries
of the mask are nonzero). Shape inference over shapes alone cannot know it, so
`infer_shape` says so with an error (as MXNet's symbolic executor cannot bind it either),
and `infer_shape_from_values` gives the shape from the arrays themselves for the
imperative call. (The imperative path, `mxlite.ndarray.register._infer`, has to ask for
it: until it does, ``mx.nd.contrib.boolean_mask`` raises that same shape error.)
"""
import numpy as np

from ..base import MXNetError
from ._util import known as _known, normalize_axis
from .registry import Float, Int, IntOrNone, Operator, Shape, Str, register, shape_check


# ----------------------------------------------------------------------------- boolean_mask
@register
class BooleanMask(Operator):
    """The slices of `data` along `axis` where the 1-D `index` is nonzero.

    `index` has one entry per position of `data` along `axis`; the output keeps the
    selected slices in order, so its size along `axis` is the number of nonzero entries
    (which is why the output shape depends on the values of `index`: the op runs
    imperatively, and a symbol using it cannot be bound). `data` gets the head gradient
    at the selected positions and zero elsewhere; `index` gets none.

    Examples
    --------
    >>> import mxlite as mx
    >>> data = mx.nd.array([[1, 2, 3], [4, 5, 6], [7, 8, 9]])
    >>> mx.nd.contrib.boolean_mask(data, mx.nd.array([0, 1, 1])).asnumpy().tolist()
    [[4.0, 5.0, 6.0], [7.0, 8.0, 9.0]]
    """
    name = '_contrib_boolean_mask'
    params = {'axis': Int(0, doc='The axis of data to mask along.')}
    nograd_inputs = (1,)
    backward_uses_outputs = False

    def list_arguments(self, p):
        return ['data', 'index']

    @staticmethod
    def _check(p, data, index):
        axis = normalize_axis(p.axis, len(data), 'axis')
        shape_check(len(index) == 1 and index[0] == data[axis], "input 'index' has shape %s "
                    "but input 'data' of shape %s with axis=%d needs index of shape (%d,)",
                    tuple(index), tuple(data), p.axis, data[axis])
        return axis

    def infer_shape(self, p, in_shapes):
        data, index = in_shapes
        if not (_known(data) and _known(index)):
            return in_shapes, [None]
        self._check(p, data, index)
        shape_check(False, "the output's size along axis %d is the number of nonzero entries "
                    "of 'index', which shapes alone cannot tell; call "
                    'mx.nd.contrib.boolean_mask imperatively (a symbol using it cannot be '
                    'bound)', p.axis)

    def infer_shape_from_values(self, p, in_data):
        """Output shapes from the input arrays (the imperative path)."""
        data, index = in_data
        axis = self._check(p, data.shape, index.shape)
        out = list(data.shape)
        out[axis] = int(np.count_nonzero(index))
        return [tuple(out)]

    def infer_type(self, p, in_types):
        data, index = in_types  # the mask may have any dtype; unknown, it takes data's
        return [data, data if index is None else index], [data]

    def forward(self, p, inputs, outputs, ctx):
        data, index = inputs
        axis = normalize_axis(p.axis, data.ndim, 'axis')
        rows = np.flatnonzero(index)
        ctx.state['rows'] = rows
        np.take(data, rows, axis=axis, out=outputs[0])

    def backward(self, p, ograds, inputs, outputs, ctx):
        data, index = inputs
        axis = normalize_axis(p.axis, data.ndim, 'axis')
        rows = ctx.state['rows'] if 'rows' in ctx.state else np.flatnonzero(index)
        grad = np.zeros(data.shape, ograds[0].dtype)
        where = [slice(None)] * data.ndim
        where[axis] = rows
        grad[tuple(where)] = ograds[0]
        return [grad, None]


# ----------------------------------------------------------------------------- index_copy
@register
class IndexCopy(Operator):
    """`old_tensor` with row ``index_vector[i]`` replaced by row i of `new_tensor`.

    `index_vector` is 1-D with one entry per row of `new_tensor`; rows beyond the first
    axis must match `old_tensor`'s. Indices must lie in ``[0, old_tensor.shape[0])``.
    Gradients: `old_tensor` gets the head gradient except on the replaced rows,
    `new_tensor` gets the head gradient of the rows it was copied to.

    Examples
    --------
    >>> import mxlite as mx
    >>> x = mx.nd.zeros((4, 2))
    >>> t = mx.nd.array([[1, 2], [3, 4]])
    >>> mx.nd.contrib.index_copy(x, mx.nd.array([3, 0]), t).asnumpy().tolist()
    [[3.0, 4.0], [0.0, 0.0], [0.0, 0.0], [1.0, 2.0]]
    """
    name = '_contrib_index_copy'
    nograd_inputs = (1,)
    backward_uses_outputs = False

    def list_arguments(self, p):
        return ['old_tensor', 'index_vector', 'new_tensor']

    def infer_shape(self, p, in_shapes, out_shapes=None):
        old, index, new = [None if s is None else tuple(s) for s in in_shapes]
        out = out_shapes[0] if out_shapes else None
        if old is None and out is not None:
            old = tuple(out)
        if _known(index):
            shape_check(len(index) == 1, "input 'index_vector' has shape %s; it must be 1-D",
                        index)
        if _known(new) and _known(index):
            shape_check(new[:1] == index, "input 'new_tensor' has shape %s but 'index_vector' "
                        'has shape %s; they need one index per row of new_tensor', new, index)
        if _known(old) and _known(new):
            shape_check(len(old) == len(new) and old[1:] == new[1:], "input 'new_tensor' has "
                        "shape %s but 'old_tensor' has shape %s; all dimensions after the "
                        'first must agree', new, old)
            shape_check(old[0] >= new[0], "input 'new_tensor' has %d rows but 'old_tensor' "
                        'only %d', new[0], old[0])
        if old is not None and new is None and _known(index):
            new = index + old[1:]
        if new is not None and index is None:
            index = new[:1]
        return [old, index, new], [old]

    def infer_type(self, p, in_types):
        old, index, new = in_types
        dt = old if old is not None else new
        if old is not None and new is not None and old != new:
            from ..base import TypeInferError
            raise TypeInferError("input 'new_tensor' has dtype %s but 'old_tensor' has dtype %s;"
                                 ' they need the same dtype' % (np.dtype(new).name,
                                                                np.dtype(old).name))
        return [dt, dt if index is None else index, dt], [dt]

    @staticmethod
    def _rows(index, size):
        rows = index.astype(np.int64).reshape(-1)
        if rows.size and (rows.min() < 0 or rows.max() >= size):
            bad = rows[(rows < 0) | (rows >= size)][0]
            raise MXNetError('_contrib_index_copy: index %d is out of range for old_tensor '
                             'with %d rows' % (bad, size))
        return rows

    def forward(self, p, inputs, outputs, ctx):
        old, index, new = inputs
        out = outputs[0]
        rows = self._rows(index, old.shape[0])
        if out is not old:
            np.copyto(out, old)
        out[rows] = new

    def backward(self, p, ograds, inputs, outputs, ctx):
        old, index, new = inputs
        g = ograds[0]
        rows = self._rows(index, old.shape[0])
        g_old = g.copy()
        g_old[rows] = 0
        return [g_old, None, g[rows]]


# ----------------------------------------------------------------------------- index_array
@register
class IndexArray(Operator):
    """The index of every element: for `data` of shape ``(d1, ..., dn)`` an int64 array of
    shape ``(d1, ..., dn, n)`` with ``out[i1, ..., in, :] = [i1, ..., in]``.

    With `axes` only those coordinates are kept, in that order: the last axis then has
    ``len(axes)`` entries. No gradient (the values do not depend on `data`).

    Examples
    --------
    >>> import mxlite as mx
    >>> mx.nd.contrib.index_array(mx.nd.ones((2, 2))).asnumpy().tolist()
    [[[0, 0], [0, 1]], [[1, 0], [1, 1]]]
    >>> mx.nd.contrib.index_array(mx.nd.ones((2, 3)), axes=(1,)).asnumpy()[..., 0].tolist()
    [[0, 1, 2], [0, 1, 2]]
    """
    name = '_contrib_index_array'
    params = {'axes': Shape(None, allow_none=True,
                            doc='The axes whose coordinates are returned (default: all).')}
    nograd_inputs = (0,)
    backward_uses_inputs = False
    backward_uses_outputs = False

    @staticmethod
    def _axes(p, ndim):
        if p.axes is None:
            return tuple(range(ndim))
        return tuple(normalize_axis(a, ndim, 'axes entry') for a in p.axes)

    def infer_shape(self, p, in_shapes):
        data = in_shapes[0]
        if not _known(data):
            return in_shapes, [None]
        data = tuple(data)
        return [data], [data + (len(self._axes(p, len(data))),)]

    def infer_type(self, p, in_types):
        return in_types, [np.dtype(np.int64)]

    def forward(self, p, inputs, outputs, ctx):
        shape = inputs[0].shape
        out = outputs[0]
        for k, a in enumerate(self._axes(p, len(shape))):
            coord = np.arange(shape[a], dtype=out.dtype).reshape(
                (-1,) + (1,) * (len(shape) - a - 1))
            out[..., k] = coord  # broadcast over the other axes

    def backward(self, p, ograds, inputs, outputs, ctx):
        return [np.zeros_like(inputs[0])]


# ----------------------------------------------------------------------------- arange_like
@register
class ArangeLike(Operator):
    """Evenly spaced values shaped like `data`: ``start, start + step, ...`` in row-major
    order, each value `repeat` times.

    With `axis` the output is 1-D with ``data.shape[axis]`` entries. The output has
    `data`'s dtype; only `data`'s shape is read. No gradient.

    Examples
    --------
    >>> import mxlite as mx
    >>> x = mx.nd.zeros((2, 3))
    >>> mx.nd.contrib.arange_like(x).asnumpy().tolist()
    [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]]
    >>> mx.nd.contrib.arange_like(x, start=1, step=2, axis=-1).asnumpy().tolist()
    [1.0, 3.0, 5.0]
    """
    name = '_contrib_arange_like'
    params = {'start': Float(0.0, doc='Start of the interval (included).'),
              'step': Float(1.0, doc='Spacing between values.'),
              'repeat': Int(1, doc='How many times each value is repeated.'),
              'ctx': Str('', doc='Context of the output (imperative calls only).'),
              'axis': IntOrNone(None, doc='Arange along this axis of data only (1-D output).')}
    nograd_inputs = (0,)
    backward_uses_inputs = False
    backward_uses_outputs = False

    def infer_shape(self, p, in_shapes):
        shape_check(p.repeat >= 1, 'repeat=%d must be positive', p.repeat)
        data = in_shapes[0]
        if not _known(data):
            return in_shapes, [None]
        data = tuple(data)
        if p.axis is None:
            return [data], [data]
        return [data], [(data[normalize_axis(p.axis, len(data), 'axis')],)]

    def forward(self, p, inputs, outputs, ctx):
        out = outputs[0]
        pos = np.arange(out.size, dtype=np.float64)
        if p.repeat > 1:
            pos = np.floor_divide(pos, p.repeat)
        np.copyto(out, (p.start + pos * p.step).reshape(out.shape), casting='unsafe')

    def backward(self, p, ograds, inputs, outputs, ctx):
        return [np.zeros_like(inputs[0])]


# ----------------------------------------------------------------------------- elementwise
@register
class Quadratic(Operator):
    """``a * x**2 + b * x + c`` elementwise; the gradient is ``2 * a * x + b``.

    Examples
    --------
    >>> import mxlite as mx
    >>> x = mx.nd.array([[1, 2], [3, 4]])
    >>> mx.nd.contrib.quadratic(x, a=1, b=2, c=3).asnumpy().tolist()
    [[6.0, 11.0], [18.0, 27.0]]
    """
    name = '_contrib_quadratic'
    params = {'a': Float(0.0, doc='Coefficient of the quadratic term.'),
              'b': Float(0.0, doc='Coefficient of the linear term.'),
              'c': Float(0.0, doc='Constant term.')}
    backward_uses_outputs = False

    def forward(self, p, inputs, outputs, ctx):
        x, out = inputs[0], outputs[0]
        dt = x.dtype.type if x.dtype.kind == 'f' else np.float64
        y = x * dt(p.a)       # Horner: (a x + b) x + c
        y += dt(p.b)
        y *= x
        y += dt(p.c)
        np.copyto(out, y, casting='unsafe')

    def backward(self, p, ograds, inputs, outputs, ctx):
        x, g = inputs[0], ograds[0]
        dt = g.dtype.type
        slope = x * dt(2 * p.a)
        slope += dt(p.b)
        return [(g * slope).astype(x.dtype, copy=False)]


@register
class DivSqrtDim(Operator):
    """``data / sqrt(data.shape[-1])``: the scaling of attention scores by the square root
    of the last dimension.

    Examples
    --------
    >>> import mxlite as mx
    >>> mx.nd.contrib.div_sqrt_dim(mx.nd.ones((1, 4))).asnumpy().tolist()
    [[0.5, 0.5, 0.5, 0.5]]
    """
    name = '_contrib_div_sqrt_dim'
    inplace = ((0, 0),)
    backward_uses_inputs = False
    backward_uses_outputs = False

    @staticmethod
    def _scale(shape, dtype):
        shape_check(len(shape) >= 1, "input 'data' is 0-D; div_sqrt_dim needs a last axis")
        dt = dtype.type if dtype.kind == 'f' else np.float64
        return dt(1.0 / np.sqrt(shape[-1])) if shape[-1] else dt(np.inf)

    def infer_shape(self, p, in_shapes, out_shapes=None):
        data = in_shapes[0]
        if data is None and out_shapes and out_shapes[0] is not None:
            data = out_shapes[0]
        if data is None:
            return in_shapes, [None]
        shape_check(len(data) >= 1, "input 'data' is 0-D; div_sqrt_dim needs a last axis")
        return [tuple(data)], [tuple(data)]

    def forward(self, p, inputs, outputs, ctx):
        x = inputs[0]
        np.copyto(outputs[0], x * self._scale(x.shape, x.dtype), casting='unsafe')

    def backward(self, p, ograds, inputs, outputs, ctx):
        g = ograds[0]
        return [g * self._scale(g.shape, g.dtype)]
