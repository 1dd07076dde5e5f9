"""Index-driven ops: take, batch_take, pick, one_hot, where, gather_nd, scatter_nd.

Index inputs may be any dtype (MXNet passes float32 indices); they are truncated toward
zero, as a C cast does, and never get a gradient. Gradients that gather must scatter-add
back, since an index may repeat: `scatter_add_rows` does that with one sort and
`np.add.reduceat`, which is much faster than `np.add.at` on older NumPy.
"""
import numpy as np

from ..base import MXNetError, TypeInferError
from ._util import known as _known
from .registry import Bool, DType, Enum, Float, Int, IntOrNone, Operator, Shape, register, \
    shape_check


def as_index(indices, size, mode, what):
    """Integer positions in [0, size) from (possibly float) `indices` under `mode`."""
    idx = indices.astype(np.int64) if indices.dtype != np.int64 else indices
    if mode == 'wrap':
        return np.mod(idx, size)
    if mode == 'raise':
        if idx.size and (idx.min() < -size or idx.max() >= size):
            bad = idx[(idx < -size) | (idx >= size)].reshape(-1)[0]
            raise MXNetError('%s: index %d is out of bounds for an axis of size %d (mode=raise)'
                             % (what, bad, size))
        return np.where(idx < 0, idx + size, idx)
    return np.clip(idx, 0, size - 1)


def scatter_add_rows(target, rows, values):
    """target[rows[k]] += values[k] for every k, with repeated rows summed (2-D target)."""
    if rows.size == 0:
        return target
    order = np.argsort(rows, kind='stable')
    srt = rows[order]
    starts = np.flatnonzero(np.r_[True, srt[1:] != srt[:-1]])
    target[srt[starts]] += np.add.reduceat(values[order], starts, axis=0)
    return target


def _index_types(in_types, data_slot=0):
    """Output takes the data dtype; an unknown index dtype defaults to the data's."""
    dtype = in_types[data_slot]
    new = [dtype if t is None else t for t in in_types]
    return new, [dtype]


@register
class Take(Operator):
    """Take slices of `a` along `axis` at positions `indices`.

    The output shape is ``a.shape[:axis] + indices.shape + a.shape[axis+1:]``. Positions
    out of range are clipped (``mode='clip'``), wrapped (``'wrap'``) or rejected
    (``'raise'``). The gradient of `a` sums over repeated indices.

    Examples
    --------
    >>> import mxlite as mx
    >>> a = mx.nd.array([[1, 2], [3, 4], [5, 6]])
    >>> mx.nd.take(a, mx.nd.array([2, 0, 7])).asnumpy().tolist()
    [[5.0, 6.0], [1.0, 2.0], [5.0, 6.0]]
    """
    name = 'take'
    params = {'axis': Int(0), 'mode': Enum(('clip', 'raise', 'wrap'), 'clip')}
    nograd_inputs = (1,)
    backward_uses_outputs = False

    def list_arguments(self, p):
        return ['a', 'indices']

    def infer_shape(self, p, in_shapes):
        a, ind = in_shapes
        if not (_known(a) and _known(ind)):
            return in_shapes, [None]
        shape_check(-len(a) <= p.axis < len(a), "axis=%d is out of range for input 'a' of "
                    "shape %s", p.axis, tuple(a))
        axis = p.axis % len(a)
        return [tuple(a), tuple(ind)], [tuple(a[:axis]) + tuple(ind) + tuple(a[axis + 1:])]

    def infer_type(self, p, in_types):
        return _index_types(in_types)

    def forward(self, p, inputs, outputs, ctx):
        a, ind = inputs
        axis = p.axis % a.ndim
        idx = as_index(ind, a.shape[axis], p.mode, 'take')
        ctx.state['idx'] = idx
        np.take(a, idx, axis=axis, out=outputs[0])

    def backward(self, p, ograds, inputs, outputs, ctx):
        a, ind = inputs
        axis = p.axis % a.ndim
        idx = ctx.state['idx'].reshape(-1)
        g = ograds[0]
        pre = int(np.prod(a.shape[:axis], dtype=np.int64))
        post = int(np.prod(a.shape[axis + 1:], dtype=np.int64))
        # rows of the (axis, pre*post) layout are what one index selects
        g3 = g.reshape(pre, idx.size, post).transpose(1, 0, 2).reshape(idx.size, pre * post)
        acc = np.zeros((a.shape[axis], pre * post), dtype=g.dtype)
        scatter_add_rows(acc, idx, g3)
        grad = acc.reshape(a.shape[axis], pre, post).transpose(1, 0, 2).reshape(a.shape)
        return [grad, np.zeros_like(ind)]


@register
class BatchTake(Operator):
    """``out[i] = a[i, indices[i]]`` for a 2-D `a` (indices clipped into range).

    Examples
    --------
    >>> import mxlite as mx
    >>> a = mx.nd.array([[1, 2], [3, 4]])
    >>> mx.nd.batch_take(a, mx.nd.array([1, 0])).asnumpy().tolist()
    [2.0, 3.0]
    """
    name = 'batch_take'
    nograd_inputs = (1,)
    backward_uses_outputs = False

    def list_arguments(self, p):
        return ['a', 'indices']

    def infer_shape(self, p, in_shapes):
        a, ind = in_shapes
        if not _known(a):
            return in_shapes, [None]
        shape_check(len(a) >= 1, "input 'a' of shape %s needs at least one dimension", a)
        rows = int(np.prod(a[:-1], dtype=np.int64))
        shape_check(ind is None or int(np.prod(ind, dtype=np.int64)) == rows,
                    "indices of shape %s must have one entry per row of 'a' of shape %s",
                    ind, tuple(a))
        out = tuple(ind) if _known(ind) else tuple(a[:-1]) or (1,)
        return [tuple(a), out], [out]

    def infer_type(self, p, in_types):
        return _index_types(in_types)

    def forward(self, p, inputs, outputs, ctx):
        a, ind = inputs
        a2 = a.reshape(-1, a.shape[-1])
        idx = as_index(ind.reshape(-1), a.shape[-1], 'clip', 'batch_take')
        ctx.state['idx'] = idx
        outputs[0][...] = a2[np.arange(a2.shape[0]), idx].reshape(outputs[0].shape)

    def backward(self, p, ograds, inputs, outputs, ctx):
        a, ind = inputs
        grad = np.zeros((int(np.prod(a.shape[:-1], dtype=np.int64)), a.shape[-1]),
                        ograds[0].dtype)
        grad[np.arange(grad.shape[0]), ctx.state['idx']] = ograds[0].reshape(-1)
        return [grad.reshape(a.shape), np.zeros_like(ind)]


@register
class Pick(Operator):
    """Pick one element along `axis` per position: ``out[i, j] = data[i, index[i, j], j]``.

    `index` has `data`'s shape without `axis` (or with size 1 there). Out-of-range positions
    are clipped or wrapped by `mode`; `keepdims` keeps `axis` with size 1.

    Examples
    --------
    >>> import mxlite as mx
    >>> x = mx.nd.array([[1, 2], [3, 4], [5, 6]])
    >>> mx.nd.pick(x, mx.nd.array([0, 1, 1]), axis=1).asnumpy().tolist()
    [1.0, 4.0, 6.0]
    """
    name = 'pick'
    aliases = ('choose_element_0index',)   # MXNet's legacy name
    params = {'axis': IntOrNone(-1), 'keepdims': Bool(False),
              'mode': Enum(('clip', 'wrap'), 'clip')}
    nograd_inputs = (1,)
    backward_uses_outputs = False

    def list_arguments(self, p):
        return ['data', 'index']

    def _axis(self, p, shape):
        shape_check(p.axis is not None, 'axis=None is not supported; give the axis to pick '
                    'along')
        shape_check(-len(shape) <= p.axis < len(shape), "axis=%d is out of range for input "
                    "'data' of shape %s", p.axis, tuple(shape))
        return p.axis % len(shape)

    def infer_shape(self, p, in_shapes):
        data, index = in_shapes
        if not _known(data):
            return in_shapes, [None]
        data = tuple(data)
        axis = self._axis(p, data)
        reduced = data[:axis] + data[axis + 1:]
        kept = data[:axis] + (1,) + data[axis + 1:]
        if _known(index):
            shape_check(tuple(index) in (reduced, kept), "index has shape %s but data of shape "
                        "%s with axis=%d needs index of shape %s", tuple(index), data, p.axis,
                        reduced)
        else:
            index = reduced
        return [data, tuple(index)], [kept if p.keepdims else reduced]

    def infer_type(self, p, in_types):
        return _index_types(in_types)

    def forward(self, p, inputs, outputs, ctx):
        data, index = inputs
        axis = self._axis(p, data.shape)
        kept = data.shape[:axis] + (1,) + data.shape[axis + 1:]
        idx = as_index(index, data.shape[axis], p.mode, 'pick').reshape(kept)
        ctx.state['idx'] = idx
        outputs[0][...] = np.take_along_axis(data, idx, axis).reshape(outputs[0].shape)

    def backward(self, p, ograds, inputs, outputs, ctx):
        data, index = inputs
        idx = ctx.state['idx']
        grad = np.zeros(data.shape, ograds[0].dtype)
        np.put_along_axis(grad, idx, ograds[0].reshape(idx.shape), p.axis % data.ndim)
        return [grad, np.zeros_like(index)]


@register
class OneHot(Operator):
    """One-hot vectors of length `depth`: `on_value` at each index, `off_value` elsewhere.

    Indices outside ``[0, depth)`` give a row of `off_value`. No gradient.

    Examples
    --------
    >>> import mxlite as mx
    >>> mx.nd.one_hot(mx.nd.array([1, 0]), depth=3).asnumpy().tolist()
    [[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]]
    """
    name = 'one_hot'
    params = {'depth': Int(), 'on_value': Float(1.0), 'off_value': Float(0.0),
              'dtype': DType('float32')}
    nograd_inputs = (0,)
    backward_uses_inputs = False
    backward_uses_outputs = False

    def list_arguments(self, p):
        return ['indices']

    def infer_shape(self, p, in_shapes):
        ind = in_shapes[0]
        shape_check(p.depth > 0, 'depth=%d must be positive', p.depth)
        if not _known(ind):
            return in_shapes, [None]
        return [tuple(ind)], [tuple(ind) + (p.depth,)]

    def infer_type(self, p, in_types):
        t = in_types[0]
        return [np.dtype(np.float32) if t is None else t], [np.dtype(p.dtype)]

    def forward(self, p, inputs, outputs, ctx):
        out = outputs[0].reshape(-1, p.depth)
        out.fill(p.off_value)
        idx = inputs[0].reshape(-1).astype(np.int64)
        rows = np.flatnonzero((idx >= 0) & (idx < p.depth))
        out[rows, idx[rows]] = p.on_value
        if not np.shares_memory(out, outputs[0]):
            outputs[0][...] = out.reshape(outputs[0].shape)
        ctx.state['shape'] = inputs[0].shape
        ctx.state['dtype'] = inputs[0].dtype

    def backward(self, p, ograds, inputs, outputs, ctx):
        return [np.zeros(ctx.state['shape'], ctx.state['dtype'])]


@register
class Where(Operator):
    """Elements of `x` where `condition` is nonzero, else of `y`.

    `condition` has the shape of `x` and `y`, or is 1-D with one entry per row
    (``x.shape[0]``). `x` and `y` get the head gradient where they were chosen.

    Examples
    --------
    >>> import mxlite as mx
    >>> c = mx.nd.array([1, 0])
    >>> mx.nd.where(c, mx.nd.ones((2, 2)), mx.nd.zeros((2, 2))).asnumpy().tolist()
    [[1.0, 1.0], [0.0, 0.0]]
    """
    name = 'where'
    nograd_inputs = (0,)
    backward_uses_outputs = False

    def list_arguments(self, p):
        return ['condition', 'x', 'y']

    def infer_shape(self, p, in_shapes):
        cond, x, y = in_shapes
        shape_check(not (_known(x) and _known(y)) or tuple(x) == tuple(y),
                    'x has shape %s but y has shape %s; they need the same shape',
                    None if x is None else tuple(x), None if y is None else tuple(y))
        xy = tuple(x) if _known(x) else (tuple(y) if _known(y) else None)
        if xy is None:
            return in_shapes, [None]
        if _known(cond):
            cond = tuple(cond)
            shape_check(cond == xy or (len(cond) == 1 and cond[0] == xy[0]),
                        'condition has shape %s but x and y have shape %s; condition needs '
                        'their shape or shape (%d,)', cond, xy, xy[0])
        return [cond, xy, xy], [xy]

    def infer_type(self, p, in_types):
        cond, x, y = in_types
        if x is not None and y is not None and x != y:
            raise TypeInferError('x has dtype %s but y has dtype %s; they need the same dtype'
                                 % (np.dtype(x).name, np.dtype(y).name))
        t = x if x is not None else y
        return [t if cond is None else cond, t, t], [t]

    @staticmethod
    def _mask(cond, ndim):
        mask = cond != 0
        return mask.reshape(mask.shape + (1,) * (ndim - mask.ndim))

    def forward(self, p, inputs, outputs, ctx):
        cond, x, y = inputs
        np.copyto(outputs[0], np.where(self._mask(cond, x.ndim), x, y))

    def backward(self, p, ograds, inputs, outputs, ctx):
        cond, x, y = inputs
        g = ograds[0]
        mask = self._mask(cond, x.ndim)
        zero = g.dtype.type(0)
        return [np.zeros_like(cond), np.where(mask, g, zero), np.where(mask, zero, g)]


@register
class GatherND(Operator):
    """Gather `data` at the coordinates in `indices` (its first axis indexes data's axes).

    With `indices` of shape ``(M, ...)`` the output has shape
    ``indices.shape[1:] + data.shape[M:]``. Negative coordinates count from the end.

    Examples
    --------
    >>> import mxlite as mx
    >>> d = mx.nd.array([[1, 2], [3, 4]])
    >>> mx.nd.gather_nd(d, mx.nd.array([[1, 0], [0, 1]])).asnumpy().tolist()
    [3.0, 2.0]
    """
    name = 'gather_nd'
    nograd_inputs = (1,)
    backward_uses_outputs = False

    def list_arguments(self, p):
        return ['data', 'indices']

    def infer_shape(self, p, in_shapes):
        data, ind = in_shapes
        if not (_known(data) and _known(ind)):
            return in_shapes, [None]
        shape_check(len(ind) >= 1 and ind[0] <= len(data), "indices of shape %s index %s axes, "
                    "but data of shape %s has %d", tuple(ind), ind[0] if ind else 0,
                    tuple(data), len(data))
        out = tuple(ind[1:]) + tuple(data[ind[0]:])
        return [tuple(data), tuple(ind)], [out or (1,)]

    def infer_type(self, p, in_types):
        return _index_types(in_types)

    @staticmethod
    def coords(ind, shape):
        idx = ind.astype(np.int64)
        m = idx.shape[0]
        dims = np.asarray(shape[:m], dtype=np.int64).reshape((m,) + (1,) * (idx.ndim - 1))
        return tuple(np.where(idx < 0, idx + dims, idx))

    def forward(self, p, inputs, outputs, ctx):
        data, ind = inputs
        outputs[0][...] = data[self.coords(ind, data.shape)].reshape(outputs[0].shape)

    def backward(self, p, ograds, inputs, outputs, ctx):
        data, ind = inputs
        m = ind.shape[0]
        flat = np.ravel_multi_index(self.coords(ind, data.shape), data.shape[:m]).reshape(-1)
        rows = int(np.prod(data.shape[:m], dtype=np.int64))
        grad = np.zeros((rows, int(np.prod(data.shape[m:], dtype=np.int64))), ograds[0].dtype)
        scatter_add_rows(grad, flat, ograds[0].reshape(flat.size, -1))
        return [grad.reshape(data.shape), np.zeros_like(ind)]


@register
class ScatterND(Operator):
    """Write `data` into a zero array of `shape` at the coordinates in `indices`.

    The inverse layout of `gather_nd`: ``data.shape == indices.shape[1:] + shape[M:]``.
    When coordinates repeat, one of the values wins (as in MXNet, which leaves it
    unspecified).

    Examples
    --------
    >>> import mxlite as mx
    >>> mx.nd.scatter_nd(mx.nd.array([5, 7]), mx.nd.array([[0, 1]]), shape=(3,)).asnumpy().tolist()
    [5.0, 7.0, 0.0]
    """
    name = 'scatter_nd'
    params = {'shape': Shape()}
    nograd_inputs = (1,)
    backward_uses_outputs = False

    def list_arguments(self, p):
        return ['data', 'indices']

    def infer_shape(self, p, in_shapes):
        data, ind = in_shapes
        out = tuple(p.shape)
        if _known(ind):
            ind = tuple(ind)
            shape_check(len(ind) >= 1 and ind[0] <= len(out), "indices of shape %s index %s "
                        "axes, but shape=%s has %d", ind, ind[0] if ind else 0, out, len(out))
            expect = ind[1:] + out[ind[0]:]
            shape_check(data is None or tuple(data) == expect or (not expect and
                                                                 tuple(data) == (1,)),
                        "data has shape %s but indices of shape %s with shape=%s need data of "
                        "shape %s", data, ind, out, expect)
            data = data if data is not None else (expect or (1,))
        return [data, ind], [out]

    def infer_type(self, p, in_types):
        return _index_types(in_types)

    def forward(self, p, inputs, outputs, ctx):
        data, ind = inputs
        out = outputs[0]
        out.fill(0)
        coords = GatherND.coords(ind, out.shape)
        out[coords] = data.reshape(ind.shape[1:] + out.shape[ind.shape[0]:])

    def backward(self, p, ograds, inputs, outputs, ctx):
        data, ind = inputs
        g = ograds[0]
        return [g[GatherND.coords(ind, g.shape)].reshape(data.shape), np.zeros_like(ind)]
