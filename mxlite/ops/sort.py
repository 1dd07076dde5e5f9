"""Ordering: sort, argsort and topk (values, indices, a mask, or both).

Orders are stable: equal elements keep their input order, ascending or descending (MXNet's
CPU kernel is stable for short rows; for long rows its tie order is unspecified).
`sort` and `topk(ret_typ='value')` keep the indices as a hidden second output, which
backward uses to send each head gradient back to the element it came from.
"""
import numpy as np

from .registry import Bool, DType, Enum, Int, IntOrNone, Operator, register, shape_check


def stable_argsort(x, axis, ascend):
    """Indices that sort `x` along `axis`; ties keep their order in both directions."""
    if ascend:
        return np.argsort(x, axis=axis, kind='stable')
    # sort the reversed array ascending, reverse the result: descending, ties in order
    n = x.shape[axis]
    idx = np.argsort(np.flip(x, axis), axis=axis, kind='stable')
    return (n - 1) - np.flip(idx, axis)


def stable_topk_indices(x, k, axis, ascend):
    """The first k indices of stable_argsort(x, axis, ascend), without a full sort.

    A partition finds each row's k-th value; everything strictly better is taken, then the
    earliest elements equal to it fill the remaining places; only those k are sorted.
    """
    n = x.shape[axis]
    if k * 8 > n or x.dtype.kind not in 'fiu' or (x.dtype.kind == 'f' and np.isnan(x).any()):
        idx = stable_argsort(x, axis, ascend)
        return idx[(slice(None),) * axis + (slice(0, k),)]
    xm = np.moveaxis(x, axis, -1)
    rows = xm.reshape(-1, n)
    kth = k - 1 if ascend else n - k
    thr = np.partition(rows, kth, axis=1)[:, kth:kth + 1]
    better = rows < thr if ascend else rows > thr
    tie = rows == thr
    room = k - better.sum(axis=1, keepdims=True)
    chosen = better | (tie & (np.cumsum(tie, axis=1) <= room))
    cand = np.nonzero(chosen)[1].reshape(-1, k)  # ascending index order within each row
    order = stable_argsort(np.take_along_axis(rows, cand, axis=1), 1, ascend)
    idx = np.take_along_axis(cand, order, axis=1)
    return np.moveaxis(idx.reshape(xm.shape[:-1] + (k,)), -1, axis)


def _axis_and_view(x, axis):
    """(array, axis) to sort along: the flattened array when axis is None."""
    if axis is None:
        return x.reshape(-1), 0
    return x, axis % x.ndim


def _check_axis(axis, shape):
    if axis is not None:
        shape_check(-len(shape) <= axis < len(shape), 'axis %d is out of range for an input '
                    'of shape %s', axis, tuple(shape))


def _scatter_back(g, idx, x_shape, axis):
    """Gradient of a gather along `axis`: g goes back to the positions idx came from."""
    grad = np.zeros(int(np.prod(x_shape)) if axis is None else x_shape, dtype=g.dtype)
    if axis is None:
        grad[idx.reshape(-1)] = g.reshape(-1)
        return grad.reshape(x_shape)
    np.put_along_axis(grad, idx, g, axis=axis)
    return grad


def _sorted_shape(shape, axis):
    if axis is None:
        return (int(np.prod(shape)),)
    return tuple(shape)


# ----------------------------------------------------------------------------- sort
@register
class Sort(Operator):
    """Sorts the array along an axis.

    Parameters
    ----------
    data : NDArray or Symbol
        The input.
    axis : int or None, default -1
        The axis to sort along; None sorts the flattened array.
    is_ascend : bool, default True
        Ascending (True) or descending (False) order.

    Examples
    --------
    >>> import mxlite as mx
    >>> mx.nd.sort(mx.nd.array([[3., 1., 2.]])).asnumpy()
    array([[1., 2., 3.]], dtype=float32)
    >>> mx.nd.sort(mx.nd.array([[3., 1., 2.]]), is_ascend=False).asnumpy()
    array([[3., 2., 1.]], dtype=float32)
    """
    name = 'sort'
    params = {
        'axis': IntOrNone(-1, doc='Axis to sort along; None flattens the input.'),
        'is_ascend': Bool(True, doc='Sort in ascending order.'),
    }
    backward_uses_inputs = False

    def list_outputs(self, p):
        return ['output0', 'output1']

    def num_visible_outputs(self, p):
        return 1

    def infer_shape(self, p, in_shapes):
        data = in_shapes[0]
        if data is None:
            return in_shapes, [None, None]
        _check_axis(p.axis, data)
        out = _sorted_shape(data, p.axis)
        return [tuple(data)], [out, out]

    def infer_type(self, p, in_types):
        return in_types, [in_types[0], np.dtype(np.int64) if in_types[0] is not None else None]

    def forward(self, p, inputs, outputs, ctx):
        x, axis = _axis_and_view(inputs[0], p.axis)
        idx = stable_argsort(x, axis, p.is_ascend)
        outputs[1][...] = idx
        outputs[0][...] = np.take_along_axis(x, idx, axis=axis)

    def backward(self, p, ograds, inputs, outputs, ctx):
        x = inputs[0]
        axis = None if p.axis is None else p.axis % x.ndim
        return [_scatter_back(ograds[0], outputs[1].astype(np.int64, copy=False), x.shape,
                              axis).astype(x.dtype, copy=False)]


@register
class ArgSort(Operator):
    """Returns the indices that would sort the array along an axis.

    Parameters
    ----------
    data : NDArray or Symbol
        The input.
    axis : int or None, default -1
        The axis to sort along; None sorts the flattened array.
    is_ascend : bool, default True
        Ascending (True) or descending (False) order.
    dtype : dtype, default 'float32'
        The dtype of the indices.

    Examples
    --------
    >>> import mxlite as mx
    >>> mx.nd.argsort(mx.nd.array([[0.3, 0.2, 0.4]])).asnumpy()
    array([[1., 0., 2.]], dtype=float32)
    """
    name = 'argsort'
    params = {
        'axis': IntOrNone(-1, doc='Axis to sort along; None flattens the input.'),
        'is_ascend': Bool(True, doc='Sort in ascending order.'),
        'dtype': DType('float32', doc='The dtype of the output indices.'),
    }
    backward_uses_inputs = False
    backward_uses_outputs = False

    def infer_shape(self, p, in_shapes):
        data = in_shapes[0]
        if data is None:
            return in_shapes, [None]
        _check_axis(p.axis, data)
        return [tuple(data)], [_sorted_shape(data, p.axis)]

    def infer_type(self, p, in_types):
        return in_types, [np.dtype(p.dtype)]

    def forward(self, p, inputs, outputs, ctx):
        x, axis = _axis_and_view(inputs[0], p.axis)
        outputs[0][...] = stable_argsort(x, axis, p.is_ascend)

    def backward(self, p, ograds, inputs, outputs, ctx):
        return [np.zeros_like(inputs[0])]


# ----------------------------------------------------------------------------- topk
@register
class TopK(Operator):
    """Returns the top k elements along an axis: values, indices, a mask, or both.

    ``ret_typ='value'`` gives the k values; ``'indices'`` their positions (in `dtype`);
    ``'mask'`` an array shaped like the input with 1 at the chosen positions; ``'both'``
    the values and the indices. ``is_ascend=True`` picks the k smallest instead. ``k < 1``
    takes every element (a full sort).

    Parameters
    ----------
    data : NDArray or Symbol
        The input.
    axis : int or None, default -1
        The axis to search; None uses the flattened input.
    k : int, default 1
        How many elements to return.
    ret_typ : {'value', 'indices', 'mask', 'both'}, default 'indices'
        What to return.
    is_ascend : bool, default False
        Return the smallest (True) or the largest (False) elements.
    dtype : dtype, default 'float32'
        The dtype of the indices.

    Examples
    --------
    >>> import mxlite as mx
    >>> x = mx.nd.array([[0.3, 0.2, 0.4], [0.1, 0.3, 0.2]])
    >>> mx.nd.topk(x, k=2).asnumpy()
    array([[2., 0.],
           [1., 2.]], dtype=float32)
    >>> mx.nd.topk(x, k=1, ret_typ='value').asnumpy()
    array([[0.4],
           [0.3]], dtype=float32)
    """
    name = 'topk'
    params = {
        'axis': IntOrNone(-1, doc='Axis to search; None flattens the input.'),
        'k': Int(1, doc='Number of elements to return; k < 1 returns all.'),
        'ret_typ': Enum(('value', 'indices', 'mask', 'both'), 'indices',
                        doc='Return values, indices, a mask or both.'),
        'is_ascend': Bool(False, doc='Return the smallest elements instead.'),
        'dtype': DType('float32', doc='The dtype of the indices.'),
    }
    backward_uses_inputs = False

    def list_outputs(self, p):
        if p.ret_typ in ('value', 'both'):
            return ['output0', 'output1']
        return ['output']

    def num_visible_outputs(self, p):
        return 2 if p.ret_typ == 'both' else 1

    def _k(self, p, shape):
        n = int(np.prod(shape)) if p.axis is None else shape[p.axis % len(shape)]
        k = n if p.k < 1 else p.k
        shape_check(k <= n, 'k=%d is larger than the %d elements along the axis (shape %s)',
                    k, n, tuple(shape))
        return k

    def infer_shape(self, p, in_shapes):
        data = in_shapes[0]
        n_out = len(self.list_outputs(p))
        if data is None:
            return in_shapes, [None] * n_out
        data = tuple(data)
        _check_axis(p.axis, data)
        k = self._k(p, data)
        if p.ret_typ == 'mask':
            return [data], [data]
        if p.axis is None:
            out = (k,)
        else:
            axis = p.axis % len(data)
            out = data[:axis] + (k,) + data[axis + 1:]
        return [data], [out] * n_out

    def infer_type(self, p, in_types):
        t = in_types[0]
        if p.ret_typ == 'indices':
            return in_types, [np.dtype(p.dtype)]
        if p.ret_typ == 'mask':
            return in_types, [t]
        # 'value' keeps exact int64 indices as its hidden output
        idx_t = np.dtype(p.dtype) if p.ret_typ == 'both' else np.dtype(np.int64)
        return in_types, [t, idx_t]

    def forward(self, p, inputs, outputs, ctx):
        data = inputs[0]
        x, axis = _axis_and_view(data, p.axis)
        k = self._k(p, data.shape)
        idx = stable_topk_indices(x, k, axis, p.is_ascend)
        if p.ret_typ == 'mask':
            mask = np.zeros(x.shape, dtype=outputs[0].dtype)
            np.put_along_axis(mask, idx, 1, axis=axis)
            outputs[0][...] = mask.reshape(outputs[0].shape)
            return
        if p.ret_typ == 'indices':
            outputs[0][...] = idx
            return
        outputs[0][...] = np.take_along_axis(x, idx, axis=axis)
        outputs[1][...] = idx

    def backward(self, p, ograds, inputs, outputs, ctx):
        x = inputs[0]
        if p.ret_typ in ('indices', 'mask'):
            return [np.zeros_like(x)]
        axis = None if p.axis is None else p.axis % x.ndim
        idx = outputs[1].astype(np.int64, copy=False)
        return [_scatter_back(ograds[0], idx, x.shape, axis).astype(x.dtype, copy=False)]
