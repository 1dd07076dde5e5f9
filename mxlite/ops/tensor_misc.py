"""Tensor ops of MXNet 1.x that fit no other family: depth_to_space, space_to_depth, diag,
moments, hard_sigmoid, histogram, ravel_multi_index, unravel_index and khatri_rao.

The layout ops (depth/space, diag) are reshapes and transposes of one array, so each
kernel writes a strided view of the input into the output and the gradient is the inverse
re-indexing. The index ops (histogram, ravel/unravel) return integers or counts and have no
gradient (their inputs are in `nograd_inputs`). khatri_rao has no gradient in MXNet 1.9.1;
here it gets one (an einsum over the other factors), since the product is differentiable.
"""
import ast
import string

import numpy as np

from ..base import MXNetError
from ._util import known as _known, normalize_axis, prod as _prod
from .reduce import reduce_axes, reduced_shape
from .registry import Bool, Float, Int, IntOrNone, Operator, Param, Shape, register, \
    shape_check


# ----------------------------------------------------------------------------- depth/space
def _block_size(p):
    shape_check(p.block_size >= 1, 'block_size=%d must be a positive integer', p.block_size)
    return p.block_size


def _depth_to_space(x, b, out):
    """out[n, c, h*b + i, w*b + j] = x[n, (i*b + j)*C' + c, h, w] (MXNet's DCR order)."""
    n, c, h, w = x.shape
    c2 = c // (b * b)
    np.copyto(out.reshape(n, c2, h, b, w, b),
              x.reshape(n, b, b, c2, h, w).transpose(0, 3, 4, 1, 5, 2))
    return out


def _space_to_depth(x, b, out):
    """The inverse of `_depth_to_space`."""
    n, c, h, w = x.shape
    np.copyto(out.reshape(n, b, b, c, h // b, w // b),
              x.reshape(n, c, h // b, b, w // b, b).transpose(0, 3, 5, 1, 2, 4))
    return out


class _BlockLayout(Operator):
    params = {'block_size': Int(doc='Blocks of [block_size, block_size] are moved.')}
    backward_uses_inputs = False
    backward_uses_outputs = False

    def infer_shape(self, p, in_shapes, out_shapes=None):
        b = _block_size(p)
        data = in_shapes[0]
        out = out_shapes[0] if out_shapes else None
        if not _known(data) and _known(out):  # run the rule backwards from the output
            shape_check(len(out) == 4, "the output has shape %s; %s works on 4-D (N, C, H, W) "
                        "arrays", tuple(out), self.name)
            data = self.inverse_rule(tuple(out), b)
        if not _known(data):
            return in_shapes, [None]
        data = tuple(data)
        shape_check(len(data) == 4, "input 'data' has shape %s; %s needs a 4-D (N, C, H, W) "
                    "array", data, self.name)
        return [data], [self.rule(data, b)]


@register
class DepthToSpace(_BlockLayout):
    """Moves blocks of channels into space: (N, C, H, W) -> (N, C/b^2, H*b, W*b).

    With ``b = block_size`` the channels are read as ``(b, b, C/b^2)`` (depth, then column,
    then row: ONNX's DCR mode), so ``out[n, c, h*b + i, w*b + j] = data[n, (i*b + j)*C/b^2
    + c, h, w]``. ``C`` must be a multiple of ``b*b``. The inverse is `space_to_depth`.

    Examples
    --------
    >>> import mxlite as mx
    >>> x = mx.nd.arange(8).reshape((1, 8, 1, 1))
    >>> mx.nd.depth_to_space(x, block_size=2).asnumpy()[0].tolist()
    [[[0.0, 2.0], [4.0, 6.0]], [[1.0, 3.0], [5.0, 7.0]]]
    """
    name = 'depth_to_space'

    def rule(self, shape, b):
        n, c, h, w = shape
        shape_check(c % (b * b) == 0, "input 'data' has shape %s: its %d channels are not a "
                    "multiple of block_size^2 = %d", shape, c, b * b)
        return (n, c // (b * b), h * b, w * b)

    def inverse_rule(self, shape, b):
        n, c, h, w = shape
        shape_check(h % b == 0 and w % b == 0, 'the output has shape %s; its height and width '
                    'must be multiples of block_size=%d', shape, b)
        return (n, c * b * b, h // b, w // b)

    def forward(self, p, inputs, outputs, ctx):
        _depth_to_space(inputs[0], p.block_size, outputs[0])

    def backward(self, p, ograds, inputs, outputs, ctx):
        g = ograds[0]
        b = p.block_size
        n, c, h, w = g.shape
        return [_space_to_depth(g, b, np.empty((n, c * b * b, h // b, w // b), g.dtype))]


@register
class SpaceToDepth(_BlockLayout):
    """Moves blocks of space into channels: (N, C, H, W) -> (N, C*b^2, H/b, W/b).

    The inverse of `depth_to_space`: ``out[n, (i*b + j)*C + c, h, w] = data[n, c, h*b + i,
    w*b + j]`` with ``b = block_size``. ``H`` and ``W`` must be multiples of ``b``.

    Examples
    --------
    >>> import mxlite as mx
    >>> x = mx.nd.arange(4).reshape((1, 1, 2, 2))
    >>> mx.nd.space_to_depth(x, block_size=2).asnumpy().reshape(-1).tolist()
    [0.0, 1.0, 2.0, 3.0]
    """
    name = 'space_to_depth'

    def rule(self, shape, b):
        n, c, h, w = shape
        shape_check(h % b == 0 and w % b == 0, "input 'data' has shape %s: its height %d and "
                    "width %d must be multiples of block_size=%d", shape, h, w, b)
        return (n, c * b * b, h // b, w // b)

    def inverse_rule(self, shape, b):
        n, c, h, w = shape
        shape_check(c % (b * b) == 0, 'the output has shape %s; its %d channels are not a '
                    'multiple of block_size^2 = %d', shape, c, b * b)
        return (n, c // (b * b), h * b, w * b)

    def forward(self, p, inputs, outputs, ctx):
        _space_to_depth(inputs[0], p.block_size, outputs[0])

    def backward(self, p, ograds, inputs, outputs, ctx):
        g = ograds[0]
        b = p.block_size
        n, c, h, w = g.shape
        return [_depth_to_space(g, b, np.empty((n, c // (b * b), h * b, w * b), g.dtype))]


# ----------------------------------------------------------------------------- diag
@register
class Diag(Operator):
    """Extracts a diagonal, or builds a diagonal matrix from a vector.

    A 1-D input of length n gives an (n+|k|, n+|k|) matrix with the input on diagonal `k`
    (k > 0 above the main diagonal, k < 0 below) and zeros elsewhere. An input of two or
    more dimensions gives its diagonal `k` over axes `axis1` and `axis2`: those two axes
    are removed and one axis, the diagonal, is appended (as ``numpy.diagonal``). For
    sizes (S1, S2) of those axes, k must lie in [-S1, S2].

    Examples
    --------
    >>> import mxlite as mx
    >>> x = mx.nd.array([[1, 2, 3], [4, 5, 6]])
    >>> mx.nd.diag(x).asnumpy().tolist(), mx.nd.diag(x, k=1).asnumpy().tolist()
    ([1.0, 5.0], [2.0, 6.0])
    >>> mx.nd.diag(mx.nd.array([1, 2]), k=-1).asnumpy().tolist()
    [[0.0, 0.0, 0.0], [1.0, 0.0, 0.0], [0.0, 2.0, 0.0]]
    """
    name = 'diag'
    params = {'k': Int(0, doc='The diagonal: 0 is the main one, k > 0 above, k < 0 below.'),
              'axis1': Int(0, doc='First axis of the 2-D sub-arrays (ignored for 1-D input).'),
              'axis2': Int(1, doc='Second axis of the 2-D sub-arrays (ignored for 1-D input).')}
    backward_uses_inputs = False
    backward_uses_outputs = False

    @staticmethod
    def _axes(p, shape):
        nd = len(shape)
        a1 = normalize_axis(p.axis1, nd, 'axis1')
        a2 = normalize_axis(p.axis2, nd, 'axis2')
        shape_check(a1 != a2, 'axis1=%d and axis2=%d name the same axis of input of shape %s',
                    p.axis1, p.axis2, tuple(shape))
        s1, s2 = shape[a1], shape[a2]
        shape_check(-s1 <= p.k <= s2, 'k=%d is out of range for axes of sizes %d and %d of '
                    "input 'data' of shape %s; expected %d <= k <= %d", p.k, s1, s2,
                    tuple(shape), -s1, s2)
        return a1, a2, max(0, min(s1 + min(p.k, 0), s2 - max(p.k, 0)))

    def infer_shape(self, p, in_shapes):
        data = in_shapes[0]
        if not _known(data):
            return in_shapes, [None]
        data = tuple(data)
        shape_check(len(data) >= 1, "input 'data' is 0-D; diag needs a 1-D or larger array")
        if len(data) == 1:
            n = data[0] + abs(p.k)
            return [data], [(n, n)]
        a1, a2, size = self._axes(p, data)
        rest = tuple(d for i, d in enumerate(data) if i not in (a1, a2))
        return [data], [rest + (size,)]

    @staticmethod
    def _diag_index(size, k):
        rows = np.arange(size) + max(0, -k)
        return rows, rows + k

    def forward(self, p, inputs, outputs, ctx):
        x, out = inputs[0], outputs[0]
        if x.ndim == 1:
            out.fill(0)
            rows, cols = self._diag_index(x.shape[0], p.k)
            out[rows, cols] = x
        else:
            a1, a2, _ = self._axes(p, x.shape)
            np.copyto(out, np.diagonal(x, p.k, a1, a2))

    def backward(self, p, ograds, inputs, outputs, ctx):
        x, g = inputs[0], ograds[0]
        if x.ndim == 1:
            return [np.diagonal(g, p.k).copy()]
        a1, a2, size = self._axes(p, x.shape)
        grad = np.zeros(x.shape, g.dtype)
        rows, cols = self._diag_index(size, p.k)
        # a writable view with the two axes last; the diagonal then is [..., rows, cols]
        np.moveaxis(grad, (a1, a2), (-2, -1))[..., rows, cols] = g
        return [grad]


# ----------------------------------------------------------------------------- moments
@register
class Moments(Operator):
    """The mean and the (biased) variance of `data` over `axes`: two outputs.

    ``axes=None`` reduces every axis. Without `keepdims` the reduced axes are dropped
    (reducing all of them gives shape ``(1,)``, as MXNet's reductions do). float16 input
    is accumulated in float32.

    Examples
    --------
    >>> import mxlite as mx
    >>> mean, var = mx.nd.moments(mx.nd.array([[1, 2, 3], [4, 5, 6]]), axes=(0,))
    >>> mean.asnumpy().tolist(), var.asnumpy().tolist()
    ([2.5, 3.5, 4.5], [2.25, 2.25, 2.25])
    """
    name = 'moments'
    params = {'axes': Shape(None, allow_none=True,
                            doc='Axes along which to compute mean and variance.'),
              'keepdims': Bool(False, doc='Keep reduced axes as size-one dimensions.')}

    def list_outputs(self, p):
        return ['output0', 'output1']  # MXNet names them so: mean, then var

    def infer_shape(self, p, in_shapes):
        data = in_shapes[0]
        if not _known(data):
            return in_shapes, [None, None]
        data = tuple(data)
        out = reduced_shape(data, reduce_axes(len(data), p.axes), p.keepdims)
        return [data], [out, out]

    def forward(self, p, inputs, outputs, ctx):
        x = inputs[0]
        axes = reduce_axes(x.ndim, p.axes)
        xs = x.astype(np.float32) if x.dtype == np.float16 else x
        mean = xs.mean(axis=axes, keepdims=True)
        dev = xs - mean
        np.square(dev, out=dev)
        var = dev.mean(axis=axes, keepdims=True)
        np.copyto(outputs[0], mean.reshape(outputs[0].shape), casting='unsafe')
        np.copyto(outputs[1], var.reshape(outputs[1].shape), casting='unsafe')

    def backward(self, p, ograds, inputs, outputs, ctx):
        x = inputs[0]
        axes = reduce_axes(x.ndim, p.axes)
        kept = tuple(1 if i in axes else d for i, d in enumerate(x.shape))
        n = max(_prod(x.shape[a] for a in axes), 1)
        gm, gv = ograds
        mean = outputs[0].reshape(kept)
        # d mean / dx = 1/n; d var / dx = 2 (x - mean) / n
        grad = np.zeros(x.shape, x.dtype)
        if gv is not None:
            grad += (x - mean) * (gv.reshape(kept) * (2.0 / n)).astype(x.dtype)
        if gm is not None:
            grad += (gm.reshape(kept) / n).astype(x.dtype)
        return [grad]


# ----------------------------------------------------------------------------- hard_sigmoid
@register
class HardSigmoid(Operator):
    """``max(0, min(1, alpha * x + beta))`` elementwise.

    The gradient is `alpha` where the output lies strictly between 0 and 1, else 0.

    Examples
    --------
    >>> import mxlite as mx
    >>> mx.nd.hard_sigmoid(mx.nd.array([-5, 0, 1, 5])).asnumpy().tolist()
    [0.0, 0.5, 0.699999988079071, 1.0]
    """
    name = 'hard_sigmoid'
    params = {'alpha': Float(0.2, doc='Slope of the hard sigmoid.'),
              'beta': Float(0.5, doc='Bias of the hard sigmoid.')}
    # the gradient reads only the output, so the output may overwrite the input
    inplace = ((0, 0),)
    backward_uses_inputs = False

    def forward(self, p, inputs, outputs, ctx):
        x, out = inputs[0], outputs[0]
        dt = x.dtype.type if x.dtype.kind == 'f' else np.float64
        y = x * dt(p.alpha)
        y += dt(p.beta)
        np.clip(y, 0, 1, out=y)
        np.copyto(out, y, casting='unsafe')

    def backward(self, p, ograds, inputs, outputs, ctx):
        y, g = outputs[0], ograds[0]
        inside = (y > 0) & (y < 1)
        return [np.where(inside, g * g.dtype.type(p.alpha), g.dtype.type(0))]


# ----------------------------------------------------------------------------- histogram
class _Range(Param):
    """(low, high) with low <= high, or None."""
    kind = 'tuple of 2 floats or None'

    def from_str(self, text):
        text = text.strip()
        return None if text in ('None', '') else self.from_value(ast.literal_eval(text))

    def from_value(self, value):
        if value is None:
            return None
        pair = tuple(float(v) for v in value)
        if len(pair) != 2:
            raise ValueError('expected (low, high), got %d values' % len(pair))
        if pair[0] > pair[1]:
            raise ValueError('low %g is greater than high %g' % pair)
        return pair


def _bin_of(x, edges):
    """Bin of each value for sorted `edges` (the last bin closed); -1 outside."""
    nb = edges.shape[0] - 1
    idx = np.searchsorted(edges, x, side='right') - 1
    idx[x == edges[-1]] = nb - 1
    idx[(x < edges[0]) | (x > edges[-1]) | np.isnan(x)] = -1
    return idx


@register
class Histogram(Operator):
    """Counts of `data` (flattened) per bin: returns ``(counts, bin_edges)``.

    Give either ``bin_cnt`` equal bins over ``range=(low, high)`` (values outside are
    ignored; with low == high the range is widened by 0.5 each way), or a 1-D input `bins`
    of increasing edges. Every bin is half-open except the last, which includes its right
    edge (as ``numpy.histogram``). Counts are int64; the edges have `data`'s dtype.
    ``bins=<int>``, the spelling of ``mx.nd.histogram(a, bins=10, range=None)``, is read
    as ``bin_cnt``, and ``bin_cnt`` without ``range`` takes the range of the data (as that
    front end does). No gradient.

    Examples
    --------
    >>> import mxlite as mx
    >>> x = mx.nd.array([[0, 1], [2, 2], [3, 4]])
    >>> counts, edges = mx.nd.histogram(x, bin_cnt=5, range=(0, 5))
    >>> counts.asnumpy().tolist(), edges.asnumpy().tolist()
    ([1, 1, 2, 1, 1], [0.0, 1.0, 2.0, 3.0, 4.0, 5.0])
    >>> mx.nd.histogram(x, mx.nd.array([0., 2.1, 3.]))[0].asnumpy().tolist()
    [4, 1]
    """
    name = '_histogram'
    aliases = ('histogram',)
    params = {'bin_cnt': IntOrNone(None, doc='Number of bins for the uniform case.'),
              'range': _Range(None, doc='The lower and upper range of the bins.')}
    nograd_inputs = (0, 1)
    backward_uses_inputs = False
    backward_uses_outputs = False

    def parse_params(self, kwargs, node_name=None):
        if 'bins' in kwargs and 'bin_cnt' not in kwargs:
            kwargs = dict(kwargs)
            kwargs['bin_cnt'] = kwargs.pop('bins')
        return super().parse_params(kwargs, node_name)

    def list_arguments(self, p):
        return ['data'] if p.bin_cnt is not None else ['data', 'bins']

    def list_outputs(self, p):
        return ['output0', 'output1']

    def infer_shape(self, p, in_shapes):
        if p.bin_cnt is not None:
            shape_check(p.bin_cnt >= 1, 'bin_cnt=%d must be positive', p.bin_cnt)
            return in_shapes, [(p.bin_cnt,), (p.bin_cnt + 1,)]
        shape_check(p.range is None, 'range=%s is given without bin_cnt; give both, or give '
                    "the bin edges as input 'bins'", p.range)
        bins = in_shapes[1]
        if not _known(bins):
            return in_shapes, [None, None]
        bins = tuple(bins)
        shape_check(len(bins) == 1 and bins[0] >= 2, "input 'bins' has shape %s; it must be "
                    "1-D with at least two edges", bins)
        return in_shapes, [(bins[0] - 1,), bins]

    def infer_type(self, p, in_types):
        dt = in_types[0]
        if len(in_types) == 2 and dt is not None and in_types[1] is None:
            in_types = [dt, dt]
        return in_types, [np.dtype(np.int64), dt]

    def forward(self, p, inputs, outputs, ctx):
        x = inputs[0].reshape(-1)
        counts, edges = outputs
        if p.bin_cnt is None:
            edges[...] = inputs[1]
            idx = _bin_of(x, inputs[1].astype(x.dtype, copy=False))
        else:
            if p.range is not None:
                lo, hi = p.range
            else:
                lo, hi = (float(x.min()), float(x.max())) if x.size else (0.0, 1.0)
            if lo == hi:
                lo, hi = lo - 0.5, hi + 0.5
            n = p.bin_cnt
            i = np.arange(n + 1, dtype=np.float64)
            np.copyto(edges, (hi * i + (n - i) * lo) / n, casting='unsafe')
            idx = _bin_of(x, edges)
        np.copyto(counts, np.bincount(idx[idx >= 0], minlength=counts.shape[0]))

    def backward(self, p, ograds, inputs, outputs, ctx):
        return [np.zeros_like(a) for a in inputs]


# ----------------------------------------------------------------------------- ravel
def _ravel_shape(p, what):
    shape = p.shape
    shape_check(shape is not None and len(shape) > 0, '%s needs shape=(d0, d1, ...), the '
                'shape the indices refer to', what)
    shape_check(all(d is not None and d > 0 for d in shape[1:]) and
                shape[0] is not None and (shape[0] > 0 or shape[0] == -1),
                'shape=%s must have positive dimensions (only the first may be -1)', shape)
    return shape


def _as_int(a):
    # C-style truncation, as MXNet casts float indices
    return a.astype(np.int64) if a.dtype != np.int64 else a


@register
class RavelMultiIndex(Operator):
    """Flat indices from a batch of multi-indices: column ``j`` of `data` (shape
    ``(len(shape), N)``) is one multi-index into an array of `shape`; the output has shape
    ``(N,)`` and `data`'s dtype. The first dimension of `shape` may be -1 (it is never
    used). Indices are not checked against `shape`. No gradient.

    Examples
    --------
    >>> import mxlite as mx
    >>> a = mx.nd.array([[3, 6, 6], [4, 5, 1]])
    >>> mx.nd.ravel_multi_index(a, shape=(7, 6)).asnumpy().tolist()
    [22.0, 41.0, 37.0]
    """
    name = '_ravel_multi_index'
    aliases = ('ravel_multi_index',)
    params = {'shape': Shape(None, allow_none=True,
                             doc='Shape of the array into which the multi-indices apply.')}
    nograd_inputs = (0,)
    backward_uses_inputs = False
    backward_uses_outputs = False

    def infer_shape(self, p, in_shapes, out_shapes=None):
        shape = _ravel_shape(p, 'ravel_multi_index')
        data = in_shapes[0]
        out = out_shapes[0] if out_shapes else None
        if data is None and out is not None and len(out) == 1:
            data = (len(shape), out[0])
        if data is None:
            return in_shapes, [None]
        data = tuple(data)
        shape_check(len(data) == 2 and data[0] == len(shape), "input 'data' has shape %s but "
                    'shape=%s needs data of shape (%d, N): one row per dimension',
                    data, shape, len(shape))
        return [data], [(data[1],)]

    def forward(self, p, inputs, outputs, ctx):
        idx = _as_int(inputs[0])
        strides = np.ones(len(p.shape), dtype=np.int64)
        strides[:-1] = np.cumprod(np.asarray(p.shape[:0:-1], dtype=np.int64))[::-1]
        np.copyto(outputs[0], strides @ idx, casting='unsafe')

    def backward(self, p, ograds, inputs, outputs, ctx):
        return [np.zeros_like(inputs[0])]


@register
class UnravelIndex(Operator):
    """Multi-indices from flat indices: the inverse of `ravel_multi_index`.

    `data` of any shape gives an output of shape ``(len(shape),) + data.shape`` in `data`'s
    dtype; ``out[:, i]`` is the multi-index of flat index ``data[i]``. The first dimension
    of `shape` may be -1 (it is never used: the leading index takes what is left). No
    gradient.

    Examples
    --------
    >>> import mxlite as mx
    >>> mx.nd.unravel_index(mx.nd.array([22, 41, 37]), shape=(7, 6)).asnumpy().tolist()
    [[3.0, 6.0, 6.0], [4.0, 5.0, 1.0]]
    """
    name = '_unravel_index'
    aliases = ('unravel_index',)
    params = {'shape': Shape(None, allow_none=True,
                             doc='Shape of the array into which the multi-indices apply.')}
    nograd_inputs = (0,)
    backward_uses_inputs = False
    backward_uses_outputs = False

    def infer_shape(self, p, in_shapes, out_shapes=None):
        shape = _ravel_shape(p, 'unravel_index')
        data = in_shapes[0]
        out = out_shapes[0] if out_shapes else None
        if data is None and out is not None:
            shape_check(len(out) >= 1 and out[0] == len(shape), 'the output has shape %s but '
                        'shape=%s needs %d rows', tuple(out), shape, len(shape))
            data = tuple(out[1:])
        if data is None:
            return in_shapes, [None]
        data = tuple(data)
        return [data], [(len(shape),) + data]

    def forward(self, p, inputs, outputs, ctx):
        idx = _as_int(inputs[0]).copy()
        out = outputs[0]
        for j in range(len(p.shape) - 1, 0, -1):
            d = p.shape[j]
            # C division truncates toward zero (MXNet's kernel); numpy's // floors
            q = np.where(idx < 0, -(-idx // d), idx // d)
            np.copyto(out[j], idx - q * d, casting='unsafe')
            idx = q
        np.copyto(out[0], idx, casting='unsafe')

    def backward(self, p, ograds, inputs, outputs, ctx):
        return [np.zeros_like(inputs[0])]


# ----------------------------------------------------------------------------- khatri_rao
@register
class KhatriRao(Operator):
    """Column-wise Kronecker product of `num_args` matrices ``A_i`` of shape ``(M_i, N)``.

    The output has shape ``(M_1 * ... * M_n, N)``; its column k is
    ``kron(A_1[:, k], ..., A_n[:, k])`` (the first matrix varies slowest). MXNet 1.9.1 has
    no gradient for it; here each ``A_i`` gets the head gradient contracted with the other
    factors.

    Examples
    --------
    >>> import mxlite as mx
    >>> a = mx.nd.array([[1, -1], [2, -3]])
    >>> b = mx.nd.array([[1, 4], [2, 5], [3, 6]])
    >>> mx.nd.khatri_rao(a, b).asnumpy()[:, 1].tolist()
    [-4.0, -5.0, -6.0, -12.0, -15.0, -18.0]
    """
    name = 'khatri_rao'
    params = {'num_args': Int(doc='Number of input matrices.')}
    key_var_num_args = 'num_args'
    backward_uses_outputs = False

    def list_arguments(self, p):
        return ['arg%d' % i for i in range(p.num_args)]

    def infer_shape(self, p, in_shapes):
        shape_check(p.num_args >= 1, 'num_args=%d must be at least 1', p.num_args)
        shape_check(len(in_shapes) == p.num_args, 'num_args=%d but %d inputs were given',
                    p.num_args, len(in_shapes))
        if not all(_known(s) for s in in_shapes):
            return in_shapes, [None]
        shapes = [tuple(s) for s in in_shapes]
        for i, s in enumerate(shapes):
            shape_check(len(s) == 2, "input 'arg%d' has shape %s; khatri_rao needs matrices "
                        '(2-D)', i, s)
            shape_check(s[1] == shapes[0][1], "input 'arg%d' has shape %s but 'arg0' has shape "
                        '%s; all inputs need the same number of columns', i, s, shapes[0])
        return shapes, [(_prod(s[0] for s in shapes), shapes[0][1])]

    def forward(self, p, inputs, outputs, ctx):
        acc = inputs[0]
        for b in inputs[1:]:
            acc = (acc[:, None, :] * b[None, :, :]).reshape(-1, acc.shape[1])
        np.copyto(outputs[0], acc, casting='unsafe')

    def backward(self, p, ograds, inputs, outputs, ctx):
        n = len(inputs)
        if n > 25:
            raise MXNetError('khatri_rao: the gradient supports at most 25 inputs, got %d' % n)
        letters = string.ascii_lowercase[:n]
        g = ograds[0].reshape(tuple(a.shape[0] for a in inputs) + (ograds[0].shape[1],))
        grads = []
        for i in range(n):
            if not ctx.needs(i):
                grads.append(None)
                continue
            others = [j for j in range(n) if j != i]
            spec = '%sz,%s->%sz' % (letters, ','.join(letters[j] + 'z' for j in others),
                                    letters[i])
            if not others:
                spec = '%sz->%sz' % (letters, letters[i])
            grads.append(np.einsum(spec, g, *[inputs[j] for j in others], optimize=True)
                         .astype(inputs[i].dtype, copy=False))
        return grads
