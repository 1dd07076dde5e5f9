"""Assorted MXNet 1.9.1 operators: GroupNorm, cumsum, im2col/col2im, AMP casts,
cast_storage, legacy one-hot/element ops, _square_sum, reset_arrays, multi_sum_sq,
contrib allclose (``random_randint`` and ``choose_element_0index`` are aliases on the
randint and pick records).
"""
import numpy as np

from ._util import known, normalize_axis, prod
from .convolution import col2im as _col2im, im2col as _im2col
from .registry import (Bool, Enum, Float, Int, IntOrNone, Operator, Shape, register,
                       shape_check)


# ----------------------------------------------------------------------------- GroupNorm
@register
class GroupNorm(Operator):
    """Group normalization: the channels of each sample are split into ``num_groups``
    groups, each normalized by its own mean and standard deviation, then scaled and
    shifted by ``gamma`` and ``beta``.

    As in MXNet 1.9.1, ``gamma`` and ``beta`` hold one value per *group*: shape
    ``(num_groups,)``. With ``output_mean_var`` the mean and ``sqrt(var + eps)`` of each
    (sample, group) come out too, shaped ``(N, num_groups)``.

    Examples
    --------
    >>> import mxlite as mx
    >>> x = mx.nd.array([[[1.], [3.], [5.], [9.]]])
    >>> mx.nd.GroupNorm(x, mx.nd.ones((2,)), mx.nd.zeros((2,)), num_groups=2,
    ...                 eps=0).asnumpy().ravel()
    array([-1.,  1., -1.,  1.], dtype=float32)
    """
    name = 'GroupNorm'
    params = {
        'num_groups': Int(1, doc='Number of groups.'),
        'eps': Float(1e-5, doc='Added to the variance.'),
        'output_mean_var': Bool(False, doc='Also output the mean and std.'),
    }

    def list_arguments(self, p):
        return ['data', 'gamma', 'beta']

    def list_outputs(self, p):
        return ['output', 'mean', 'std']

    def num_visible_outputs(self, p):
        return 3 if p.output_mean_var else 1

    def infer_shape(self, p, in_shapes):
        data = in_shapes[0]
        shape_check(p.num_groups >= 1, 'num_groups must be positive, got %d', p.num_groups)
        g = (p.num_groups,)
        for name, s in zip(('gamma', 'beta'), in_shapes[1:]):
            shape_check(s is None or tuple(s) == g,
                        "%s has shape %s; expected (num_groups,) = %s", name, s, g)
        if data is None:
            return [None, g, g], [None, None, None]
        shape_check(len(data) >= 2 and data[1] % p.num_groups == 0,
                    'data of shape %s: its channel axis (1) must divide into num_groups=%d',
                    data, p.num_groups)
        stat = (data[0], p.num_groups)
        return [tuple(data), g, g], [tuple(data), stat, stat]

    def _grouped(self, p, x):
        return x.reshape(x.shape[0], p.num_groups, -1)

    def forward(self, p, inputs, outputs, ctx):
        data, gamma, beta = inputs
        x = self._grouped(p, data).astype(np.float64)
        mean = x.mean(axis=2, keepdims=True)
        std = np.sqrt(x.var(axis=2, keepdims=True) + p.eps)
        xhat = (x - mean) / std
        y = xhat * gamma.reshape(1, -1, 1) + beta.reshape(1, -1, 1)
        outputs[0][...] = y.reshape(data.shape)
        outputs[1][...] = mean[..., 0]
        outputs[2][...] = std[..., 0]

    def backward(self, p, ograds, inputs, outputs, ctx):
        data, gamma, _ = inputs
        x = self._grouped(p, data).astype(np.float64)
        mean = outputs[1][..., None].astype(np.float64)
        std = outputs[2][..., None].astype(np.float64)
        xhat = (x - mean) / std
        dy = self._grouped(p, ograds[0]).astype(np.float64)
        dbeta = dy.sum(axis=(0, 2))
        dgamma = (dy * xhat).sum(axis=(0, 2))
        dxhat = dy * gamma.reshape(1, -1, 1)
        dx = (dxhat - dxhat.mean(axis=2, keepdims=True)
              - xhat * (dxhat * xhat).mean(axis=2, keepdims=True)) / std
        return [dx.reshape(data.shape).astype(data.dtype), dgamma.astype(gamma.dtype),
                dbeta.astype(gamma.dtype)]


# ----------------------------------------------------------------------------- cumsum
@register
class Cumsum(Operator):
    """Cumulative sum along ``axis`` (of the flattened array when ``axis`` is None).

    Examples
    --------
    >>> import mxlite as mx
    >>> mx.nd.cumsum(mx.nd.array([[1, 2], [3, 4]]), axis=0).asnumpy()
    array([[1., 2.],
           [4., 6.]], dtype=float32)
    """
    name = '_np_cumsum'
    aliases = ('cumsum',)
    params = {
        'axis': IntOrNone(None, doc='Axis to sum along; None flattens first.'),
        'dtype': Enum(('float16', 'float32', 'float64', 'int32', 'int64', 'int8'), None,
                      allow_none=True, doc='Output (and accumulator) dtype; default: the '
                      "input's."),
    }

    def list_arguments(self, p):
        return ['a']

    def infer_shape(self, p, in_shapes):
        a = in_shapes[0]
        if a is None:
            return in_shapes, [None]
        if p.axis is None:
            return [a], [(prod(a),) if known(a) else None]
        normalize_axis(p.axis, len(a))
        return [a], [tuple(a)]

    def infer_type(self, p, in_types):
        if p.dtype is not None:
            return in_types, [np.dtype(p.dtype)]
        return in_types, [in_types[0]]

    def forward(self, p, inputs, outputs, ctx):
        a = inputs[0]
        if p.axis is None:
            np.cumsum(a.reshape(-1), dtype=outputs[0].dtype, out=outputs[0])
        else:
            np.cumsum(a, axis=normalize_axis(p.axis, a.ndim), dtype=outputs[0].dtype,
                      out=outputs[0])

    def backward(self, p, ograds, inputs, outputs, ctx):
        a, g = inputs[0], ograds[0]
        axis = 0 if p.axis is None else normalize_axis(p.axis, a.ndim)
        # d/da of a cumsum: the reversed cumsum of the head gradient
        rev = np.flip(np.cumsum(np.flip(g, axis), axis=axis), axis)
        return [rev.reshape(a.shape).astype(a.dtype)]


# ----------------------------------------------------------------------------- im2col
def _geometry(p, nd_sp):
    """(kernel, stride, dilate, pad) as tuples of length `nd_sp` (defaults filled)."""
    def fill(v, default):
        return tuple(v) if v else (default,) * nd_sp
    return (tuple(p.kernel), fill(p.stride, 1), fill(p.dilate, 1), fill(p.pad, 0))


def _out_spatial(spatial, kernel, stride, dilate, pad):
    return tuple((n + 2 * q - d * (k - 1) - 1) // s + 1
                 for n, k, s, d, q in zip(spatial, kernel, stride, dilate, pad))


def _check_geometry(p):
    nd_sp = len(p.kernel)
    shape_check(1 <= nd_sp <= 3, 'kernel %s must have 1 to 3 dimensions', p.kernel)
    for name in ('stride', 'dilate', 'pad'):
        v = getattr(p, name)
        shape_check(not v or len(v) == nd_sp, '%s %s must have as many dimensions as '
                    'kernel %s', name, v, p.kernel)
    kernel, stride, dilate, pad = _geometry(p, nd_sp)
    shape_check(all(k > 0 for k in kernel) and all(s > 0 for s in stride)
                and all(d > 0 for d in dilate), 'kernel, stride and dilate must be '
                'positive, got kernel=%s stride=%s dilate=%s', kernel, stride, dilate)
    return kernel, stride, dilate, pad


def _to_rows(cols, n, nd_sp):
    """(C, k..., N, o...) -> (N, C*K, L)."""
    perm = (nd_sp + 1, 0) + tuple(range(1, nd_sp + 1)) + tuple(range(nd_sp + 2, cols.ndim))
    return cols.transpose(perm).reshape(n, -1, prod(cols.shape[nd_sp + 2:]))


def _from_rows(rows, c, kernel, out_sp):
    """(N, C*K, L) -> (C, k..., N, o...), contiguous."""
    nd_sp = len(kernel)
    x = rows.reshape((rows.shape[0], c) + tuple(kernel) + tuple(out_sp))
    perm = (1,) + tuple(range(2, nd_sp + 2)) + (0,) + tuple(range(nd_sp + 2, x.ndim))
    return np.ascontiguousarray(x.transpose(perm))


def _unfold(x, kernel, stride, dilate, pad, out):
    nd_sp = len(kernel)
    spatial = x.shape[2:]
    xp = np.pad(x, [(0, 0), (0, 0)] + [(q, q) for q in pad]) if any(pad) else x
    out_sp = _out_spatial(spatial, kernel, stride, dilate, pad)
    cols = _im2col(np.ascontiguousarray(xp), kernel, stride, dilate, out_sp)
    out[...] = _to_rows(cols, x.shape[0], nd_sp)
    return out


def _fold(rows, c, spatial, kernel, stride, dilate, pad, dtype):
    out_sp = _out_spatial(spatial, kernel, stride, dilate, pad)
    padded = tuple(n + 2 * q for n, q in zip(spatial, pad))
    cols = _from_rows(rows, c, kernel, out_sp)
    img = _col2im(cols, (rows.shape[0], c) + padded, kernel, stride, dilate, out_sp, dtype)
    crop = (slice(None), slice(None)) + tuple(slice(q, q + n) for q, n in zip(pad, spatial))
    return img[crop]


_GEOMETRY = {
    'kernel': Shape(doc='Sliding kernel size: (w,), (h, w) or (d, h, w).'),
    'stride': Shape((), doc='Step between blocks; 1 per dimension by default.'),
    'dilate': Shape((), doc='Spacing of kernel points; 1 per dimension by default.'),
    'pad': Shape((), doc='Zero padding on both sides; none by default.'),
}


@register
class Im2col(Operator):
    """Sliding blocks of an (N, C, *spatial) array as columns: the output is
    ``(N, C * prod(kernel), L)`` with L the number of block positions.

    Examples
    --------
    >>> import mxlite as mx
    >>> x = mx.nd.arange(9).reshape((1, 1, 3, 3))
    >>> mx.nd.im2col(x, kernel=(2, 2)).asnumpy()[0]
    array([[0., 1., 3., 4.],
           [1., 2., 4., 5.],
           [3., 4., 6., 7.],
           [4., 5., 7., 8.]], dtype=float32)
    """
    name = 'im2col'
    params = dict(_GEOMETRY)

    def infer_shape(self, p, in_shapes):
        kernel, stride, dilate, pad = _check_geometry(p)
        data = in_shapes[0]
        if data is None:
            return in_shapes, [None]
        shape_check(len(data) == len(kernel) + 2, 'data of shape %s needs %d dimensions '
                    '(N, C, spatial) for kernel %s', data, len(kernel) + 2, kernel)
        if not known(data[2:]) or data[1] is None:
            return [data], [None]
        out_sp = _out_spatial(data[2:], kernel, stride, dilate, pad)
        shape_check(all(o > 0 for o in out_sp), 'kernel %s (dilate %s) does not fit data '
                    'of shape %s padded by %s', kernel, dilate, data, pad)
        return [tuple(data)], [(data[0], data[1] * prod(kernel), prod(out_sp))]

    def forward(self, p, inputs, outputs, ctx):
        _unfold(inputs[0], *_check_geometry(p), out=outputs[0])

    def backward(self, p, ograds, inputs, outputs, ctx):
        x = inputs[0]
        return [_fold(ograds[0], x.shape[1], x.shape[2:], *_check_geometry(p), x.dtype)]

    backward_uses_outputs = False


@register
class Col2im(Operator):
    """The transpose of `im2col`: sums columns ``(N, C * prod(kernel), L)`` back into an
    image ``(N, C, *output_size)`` (overlapping blocks add up).

    Examples
    --------
    >>> import mxlite as mx
    >>> mx.nd.col2im(mx.nd.ones((1, 4, 4)), output_size=(3, 3), kernel=(2, 2)).asnumpy()[0, 0]
    array([[1., 2., 1.],
           [2., 4., 2.],
           [1., 2., 1.]], dtype=float32)
    """
    name = 'col2im'
    params = dict(output_size=Shape(doc='Spatial size of the image.'), **_GEOMETRY)

    def infer_shape(self, p, in_shapes):
        kernel, stride, dilate, pad = _check_geometry(p)
        shape_check(len(p.output_size) == len(kernel), 'output_size %s must have as many '
                    'dimensions as kernel %s', p.output_size, kernel)
        out_sp = _out_spatial(p.output_size, kernel, stride, dilate, pad)
        shape_check(all(o > 0 for o in out_sp), 'kernel %s does not fit output_size %s',
                    kernel, p.output_size)
        data = in_shapes[0]
        if data is None:
            return in_shapes, [None]
        shape_check(len(data) == 3, 'data of shape %s must be 3-D (N, C * prod(kernel), L)',
                    data)
        k = prod(kernel)
        shape_check(data[1] is None or data[1] % k == 0, 'data of shape %s: axis 1 must be '
                    'a multiple of prod(kernel) = %d', data, k)
        shape_check(data[2] is None or data[2] == prod(out_sp), 'data of shape %s: axis 2 '
                    'must be the number of blocks, %d', data, prod(out_sp))
        c = None if data[1] is None else data[1] // k
        return [tuple(data)], [(data[0], c) + tuple(p.output_size)]

    def forward(self, p, inputs, outputs, ctx):
        geo = _check_geometry(p)
        rows = inputs[0]
        c = rows.shape[1] // prod(geo[0])
        outputs[0][...] = _fold(rows, c, tuple(p.output_size), *geo, rows.dtype)

    def backward(self, p, ograds, inputs, outputs, ctx):
        g = ograds[0]
        return [_unfold(g, *_check_geometry(p), out=np.empty_like(inputs[0]))]

    backward_uses_outputs = False


# ----------------------------------------------------------------------------- AMP casts
_CASTABLE = ('float16', 'float32', 'bfloat16')
_AMP_DTYPES = ('bfloat16', 'float16', 'float32', 'float64', 'int32', 'int64', 'int8', 'uint8')


@register
class AmpCast(Operator):
    """Cast for automatic mixed precision: float32/float16 inputs become ``dtype``;
    inputs of any other dtype (float64, integers) pass through unchanged.

    Examples
    --------
    >>> import mxlite as mx
    >>> mx.nd.amp_cast(mx.nd.ones((2,)), dtype='float16').dtype.__name__
    'float16'
    >>> mx.nd.amp_cast(mx.nd.ones((2,), dtype='int32'), dtype='float16').dtype.__name__
    'int32'
    """
    name = 'amp_cast'
    params = {'dtype': Enum(_AMP_DTYPES, doc='Output dtype.')}

    def infer_type(self, p, in_types):
        t = in_types[0]
        if t is None:
            return in_types, [None]
        return in_types, [np.dtype(p.dtype) if np.dtype(t).name in _CASTABLE else t]

    def forward(self, p, inputs, outputs, ctx):
        outputs[0][...] = inputs[0]

    def backward(self, p, ograds, inputs, outputs, ctx):
        return [ograds[0].astype(inputs[0].dtype)]

    backward_uses_outputs = False


@register
class AmpMulticast(Operator):
    """Cast for automatic mixed precision over ``num_outputs`` inputs: their float32 and
    float16 members all become the widest such type (float32 if any is float32), or with
    ``cast_narrow`` the narrowest (float16 if any is float16); other dtypes pass.

    MXNet 1.9.1 seeds the search with the first input's dtype when not ``cast_narrow``
    (so ``(float64, float16)`` gives ``(float64, float64)``); mxlite does the same.

    Examples
    --------
    >>> import mxlite as mx
    >>> a, b = mx.nd.ones((2,), dtype='float16'), mx.nd.ones((2,))
    >>> [x.dtype.__name__ for x in mx.nd.amp_multicast(a, b, num_outputs=2)]
    ['float32', 'float32']
    """
    name = 'amp_multicast'
    key_var_num_args = 'num_outputs'
    params = {
        'num_outputs': Int(doc='Number of input/output pairs.'),
        'cast_narrow': Bool(False, doc='Cast to the narrowest type instead of the widest.'),
    }

    def list_arguments(self, p):
        return ['data_%d' % i for i in range(p.num_outputs)]

    def list_outputs(self, p):
        return ['output%d' % i for i in range(p.num_outputs)]

    def infer_shape(self, p, in_shapes):
        return in_shapes, list(in_shapes)

    def infer_type(self, p, in_types):
        if any(t is None for t in in_types):
            return in_types, [None] * len(in_types)
        names = [np.dtype(t).name for t in in_types]
        target = 'float32' if p.cast_narrow else names[0]
        for n in names:
            if p.cast_narrow and n == 'float16':
                target = 'float16'
            elif not p.cast_narrow and n == 'float32':
                target = 'float32'
        return in_types, [np.dtype(target) if n in _CASTABLE else np.dtype(n)
                          for n in names]

    def forward(self, p, inputs, outputs, ctx):
        for x, out in zip(inputs, outputs):
            out[...] = x

    def backward(self, p, ograds, inputs, outputs, ctx):
        return [g.astype(x.dtype) for g, x in zip(ograds, inputs)]

    backward_uses_outputs = False


# ----------------------------------------------------------------------------- storage
@register
class CastStorage(Operator):
    """Change the storage type (``'default'``, ``'csr'``, ``'row_sparse'``).

    mxlite computes on dense arrays, so as a graph node this is the identity; sparse
    NDArrays come from `mx.nd.sparse.cast_storage` / ``NDArray.tostype``.

    Examples
    --------
    >>> import mxlite as mx
    >>> s = mx.sym.cast_storage(mx.sym.var('x'), stype='csr')
    >>> s.list_arguments()
    ['x']
    """
    name = 'cast_storage'
    params = {'stype': Enum(('csr', 'default', 'row_sparse'), doc='Output storage type.')}

    def forward(self, p, inputs, outputs, ctx):
        outputs[0][...] = inputs[0]

    def backward(self, p, ograds, inputs, outputs, ctx):
        return [ograds[0]]

    backward_uses_inputs = False
    backward_uses_outputs = False


# ----------------------------------------------------------------------------- legacy
@register
class OnehotEncode(Operator):
    """Legacy one-hot: row ``i`` of the output (shaped like ``rhs``) is 1 at column
    ``lhs[i]``, 0 elsewhere. `mx.nd.onehot_encode(indices, out)` calls it.

    Examples
    --------
    >>> import mxlite as mx
    >>> out = mx.nd.zeros((2, 3))
    >>> mx.nd._internal._onehot_encode(mx.nd.array([2, 0]), out).asnumpy()
    array([[0., 0., 1.],
           [1., 0., 0.]], dtype=float32)
    """
    name = '_onehot_encode'
    nograd_inputs = (0, 1)

    def list_arguments(self, p):
        return ['lhs', 'rhs']

    def infer_shape(self, p, in_shapes):
        lhs, rhs = in_shapes
        if lhs is not None and rhs is not None:
            shape_check(len(rhs) == 2 and len(lhs) == 1 and lhs[0] == rhs[0],
                        'lhs of shape %s and rhs of shape %s: expected (n,) indices and '
                        'an (n, depth) output', lhs, rhs)
        return in_shapes, [None if rhs is None else tuple(rhs)]

    def infer_type(self, p, in_types):
        return in_types, [in_types[1]]

    def forward(self, p, inputs, outputs, ctx):
        idx, out = inputs[0].astype(np.int64), outputs[0]
        out[...] = 0
        out[np.arange(out.shape[0]), idx] = 1

    def backward(self, p, ograds, inputs, outputs, ctx):
        return [np.zeros_like(inputs[0]), np.zeros_like(inputs[1])]


@register
class FillElement0Index(Operator):
    """Legacy: a copy of matrix ``lhs`` with ``out[i, rhs[i]] = mhs[i]``.

    Examples
    --------
    >>> import mxlite as mx
    >>> mx.nd.fill_element_0index(mx.nd.zeros((2, 3)), mx.nd.array([7, 8]),
    ...                           mx.nd.array([1, 0])).asnumpy()
    array([[0., 7., 0.],
           [8., 0., 0.]], dtype=float32)
    """
    name = 'fill_element_0index'
    nograd_inputs = (2,)

    def list_arguments(self, p):
        return ['lhs', 'mhs', 'rhs']

    def infer_shape(self, p, in_shapes):
        lhs, mhs, rhs = in_shapes
        if lhs is not None:
            shape_check(len(lhs) == 2, 'lhs of shape %s must be a matrix', lhs)
            row = (lhs[0],)
            for name, s in (('mhs', mhs), ('rhs', rhs)):
                shape_check(s is None or tuple(s) == row, '%s has shape %s; expected %s '
                            '(one entry per row of lhs)', name, s, row)
            return [tuple(lhs), row, row], [tuple(lhs)]
        return in_shapes, [None]

    def forward(self, p, inputs, outputs, ctx):
        lhs, mhs, rhs = inputs
        out = outputs[0]
        out[...] = lhs
        out[np.arange(lhs.shape[0]), rhs.astype(np.int64)] = mhs

    def backward(self, p, ograds, inputs, outputs, ctx):
        g, rows, cols = ograds[0], np.arange(inputs[0].shape[0]), inputs[2].astype(np.int64)
        glhs = g.copy()
        glhs[rows, cols] = 0
        return [glhs, g[rows, cols].astype(inputs[1].dtype), np.zeros_like(inputs[2])]


# ----------------------------------------------------------------------------- sums
@register
class SquareSum(Operator):
    """``sum(data ** 2)`` over ``axis`` (MXNet's kernel for row-sparse arrays; mxlite's
    arrays are dense, so any input works).

    Examples
    --------
    >>> import mxlite as mx
    >>> mx.nd._internal._square_sum(mx.nd.array([[1, 2], [3, 4]]), axis=1).asnumpy()
    array([ 5., 25.], dtype=float32)
    """
    name = '_square_sum'
    params = {
        'axis': Shape(None, allow_none=True, doc='Axes to reduce; None: all.'),
        'keepdims': Bool(False, doc='Keep the reduced axes with size 1.'),
        'exclude': Bool(False, doc='Reduce over the axes not in axis.'),
    }

    def _axes(self, p, ndim):
        if p.axis is None or p.axis == ():
            axes = tuple(range(ndim))
            return () if p.exclude else axes
        axes = tuple(sorted({normalize_axis(a, ndim) for a in p.axis}))
        return tuple(i for i in range(ndim) if i not in axes) if p.exclude else axes

    def infer_shape(self, p, in_shapes):
        data = in_shapes[0]
        if data is None:
            return in_shapes, [None]
        axes = self._axes(p, len(data))
        if p.keepdims:
            out = tuple(1 if i in axes else d for i, d in enumerate(data))
        else:
            out = tuple(d for i, d in enumerate(data) if i not in axes) or (1,)
        return [tuple(data)], [out]

    def forward(self, p, inputs, outputs, ctx):
        x = inputs[0]
        s = np.square(x).sum(axis=self._axes(p, x.ndim), keepdims=p.keepdims)
        outputs[0][...] = np.reshape(s, outputs[0].shape)

    def backward(self, p, ograds, inputs, outputs, ctx):
        x = inputs[0]
        axes = self._axes(p, x.ndim)
        g = ograds[0].reshape(tuple(1 if i in axes else d for i, d in enumerate(x.shape)))
        return [(2 * x * g).astype(x.dtype)]

    backward_uses_outputs = False


class _ArrayList(Operator):
    """Ops over ``num_arrays`` inputs ``array_0, array_1, ...`` of any shapes."""
    key_var_num_args = 'num_arrays'
    params = {'num_arrays': Int(doc='Number of input arrays.')}

    def list_arguments(self, p):
        return ['array_%d' % i for i in range(p.num_arrays)]


@register
class ResetArrays(_ArrayList):
    """Sets every input array to zero, in place; it has no outputs.

    Examples
    --------
    >>> import mxlite as mx
    >>> a, b = mx.nd.ones((2,)), mx.nd.ones((3,))
    >>> _ = mx.nd.reset_arrays(a, b, num_arrays=2)
    >>> a.asnumpy(), b.asnumpy()
    (array([0., 0.], dtype=float32), array([0., 0., 0.], dtype=float32))
    """
    name = 'reset_arrays'
    has_backward = False

    def list_outputs(self, p):
        return []

    def infer_shape(self, p, in_shapes):
        return in_shapes, []

    def infer_type(self, p, in_types):
        return in_types, []

    def forward(self, p, inputs, outputs, ctx):
        for x in inputs:
            x[...] = 0


@register
class MultiSumSq(_ArrayList):
    """The sum of squares of each of ``num_arrays`` arrays, as a float32 vector.

    Examples
    --------
    >>> import mxlite as mx
    >>> mx.nd.multi_sum_sq(mx.nd.array([1, 2]), mx.nd.array([[3]]), num_arrays=2).asnumpy()
    array([5., 9.], dtype=float32)
    """
    name = 'multi_sum_sq'
    has_backward = False

    def infer_shape(self, p, in_shapes):
        return in_shapes, [(p.num_arrays,)]

    def infer_type(self, p, in_types):
        return in_types, [np.dtype(np.float32)]

    def forward(self, p, inputs, outputs, ctx):
        for i, x in enumerate(inputs):
            flat = x.reshape(-1).astype(np.float64)
            outputs[0][i] = np.dot(flat, flat)


@register
class Allclose(Operator):
    """1 (uint8, shape ``()``) when ``|a - b| <= atol + rtol * |b|`` everywhere (NaNs
    equal each other when ``equal_nan``), else 0.

    Examples
    --------
    >>> import mxlite as mx
    >>> int(mx.nd.contrib.allclose(mx.nd.array([1, 2]), mx.nd.array([1, 2.0000001])).asscalar())
    1
    """
    name = '_contrib_allclose'
    params = {
        'rtol': Float(1e-5, doc='Relative tolerance.'),
        'atol': Float(1e-8, doc='Absolute tolerance.'),
        'equal_nan': Bool(True, doc='Treat NaNs in the same places as equal.'),
    }
    nograd_inputs = (0, 1)

    def list_arguments(self, p):
        return ['a', 'b']

    def infer_shape(self, p, in_shapes):
        return in_shapes, [()]

    def infer_type(self, p, in_types):
        return in_types, [np.dtype(np.uint8)]

    def forward(self, p, inputs, outputs, ctx):
        a, b = (x.astype(np.float64) for x in inputs)
        with np.errstate(invalid='ignore'):
            close = np.abs(a - b) <= p.atol + p.rtol * np.abs(b)
        if p.equal_nan:
            close |= np.isnan(a) & np.isnan(b)
        outputs[0][...] = bool(close.all())

    def backward(self, p, ograds, inputs, outputs, ctx):
        return [np.zeros_like(inputs[0]), np.zeros_like(inputs[1])]
