"""Spatial sampling and resizing: GridGenerator, BilinearSampler, SpatialTransformer, and
the contrib resizers BilinearResize2D and AdaptiveAvgPooling2D.

Sampling (BilinearSampler, SpatialTransformer) gathers the four neighbours of every output
pixel from the input flattened to (N, C, H*W), with a neighbour outside the image reading
zero; the data gradient scatters back with one ``bincount`` over all four neighbours.

Both resizers are separable: each output row is a fixed weighted sum of input rows, and each
output column of input columns, so the whole op is ``A_h @ x @ A_w.T`` with two small dense
matrices built once per call. The gradient is ``A_h.T @ g @ A_w``.

The legacy ops keep MXNet's hidden outputs (GridGenerator ``grid_dst``, BilinearSampler
``tmp``, SpatialTransformer ``grid_dst`` and ``grid_src``) so that output counts and symbol
JSON (``node_row_ptr``) agree with MXNet 1.9.1.
"""
import numpy as np

from ._util import known as _known
from .pooling import BoolOrNone
from .registry import (Bool, Enum, FloatOrNone, Int, Operator, Shape, register,
                       shape_check)


def _work_dtype(dtype):
    """float16 is computed in float32 (as MXNet accumulates it), other floats as they are."""
    return np.dtype(np.float32) if np.dtype(dtype).itemsize < 4 else np.dtype(dtype)


# ----------------------------------------------------------------------------- sampling
def _neighbours(grid, height, width):
    """The four bilinear neighbours of each grid point (grid in [-1, 1], shape (N, 2, P)).

    Returns a list of (flat index, valid, weight) per neighbour, each (N, P), and the
    pixel-space fractions (fx, fy). An invalid neighbour's index is clipped into the image
    (so that gathering is safe) and its value must be read as zero.
    """
    x = (grid[:, 0] + 1) * (width - 1) / 2
    y = (grid[:, 1] + 1) * (height - 1) / 2
    out = []
    corners = []
    for coord, size in ((x, width), (y, height)):
        # clip only for the integer corner: far-away points have no valid corner either way,
        # and NaN stays NaN in the weights (MXNet's output is NaN there too)
        safe = np.clip(np.where(np.isfinite(coord), coord, -2), -2, size + 1)
        lo = np.floor(safe)
        frac = coord - lo
        lo = lo.astype(np.intp)
        corners.append((lo, frac, size))
    (x0, fx, _), (y0, fy, _) = corners
    for dy in (0, 1):
        yi = y0 + dy
        vy = (yi >= 0) & (yi < height)
        wy = fy if dy else 1 - fy
        for dx in (0, 1):
            xi = x0 + dx
            valid = vy & (xi >= 0) & (xi < width)
            index = np.clip(yi, 0, height - 1) * width + np.clip(xi, 0, width - 1)
            out.append((index, valid, wy * (fx if dx else 1 - fx)))
    return out, fx, fy


def _gather(flat, index, valid):
    """flat (N, C, H*W), index/valid (N, P) -> values (N, C, P), zero where not valid."""
    vals = np.take_along_axis(flat, index[:, None, :], axis=2)
    return np.where(valid[:, None, :], vals, 0)


def bilinear_sample(data, grid, out):
    """Sample data (N, C, H, W) at grid (N, 2, Ho, Wo) into out (N, C, Ho, Wo)."""
    n, c, h, w = data.shape
    wt = _work_dtype(data.dtype)
    flat = data.reshape(n, c, h * w).astype(wt, copy=False)
    nbrs, _, _ = _neighbours(grid.reshape(n, 2, -1).astype(wt, copy=False), h, w)
    acc = 0
    for index, valid, weight in nbrs:
        acc = acc + _gather(flat, index, valid) * weight[:, None, :]
    out[...] = acc.reshape(out.shape)


def bilinear_sample_backward(g, data, grid, need_data=True, need_grid=True):
    """Gradients of `bilinear_sample` for data and grid (None where not needed)."""
    n, c, h, w = data.shape
    wt = _work_dtype(data.dtype)
    flat = data.reshape(n, c, h * w).astype(wt, copy=False)
    gf = g.reshape(n, c, -1).astype(wt, copy=False)
    p = gf.shape[2]
    nbrs, fx, fy = _neighbours(grid.reshape(n, 2, -1).astype(wt, copy=False), h, w)
    gdata = ggrid = None
    if need_data:
        # one bincount per neighbour (bincount beats np.add.at several times over; one
        # neighbour at a time keeps the index arrays to the output's size)
        base = (np.arange(n * c) * (h * w)).reshape(n, c, 1)
        gdata = np.zeros(n * c * h * w)
        for index, valid, weight in nbrs:
            gdata += np.bincount((base + index[:, None, :]).ravel(),
                                 weights=(gf * np.where(valid, weight, 0)[:, None]).ravel(),
                                 minlength=n * c * h * w)
        gdata = gdata.reshape(data.shape).astype(data.dtype, copy=False)
    if need_grid:
        v00, v01, v10, v11 = (_gather(flat, index, valid) for index, valid, _ in nbrs)
        # d out / d x (pixels) = (1-fy)(v01-v00) + fy(v11-v10); likewise for y
        dx = ((1 - fy)[:, None] * (v01 - v00) + fy[:, None] * (v11 - v10)) * gf
        dy = ((1 - fx)[:, None] * (v10 - v00) + fx[:, None] * (v11 - v01)) * gf
        ggrid = np.empty((n, 2, p), wt)
        ggrid[:, 0] = dx.sum(axis=1) * ((w - 1) / 2)
        ggrid[:, 1] = dy.sum(axis=1) * ((h - 1) / 2)
        ggrid = ggrid.reshape(grid.shape).astype(grid.dtype, copy=False)
    return gdata, ggrid


def _target_grid(th, tw, dtype):
    """The destination grid (3, th*tw): rows x, y in [-1, 1] (row-major pixels) and ones.
    A size of 1 divides by zero and gives NaN, as in MXNet."""
    with np.errstate(divide='ignore', invalid='ignore'):
        xs = -1.0 + np.arange(tw) * (2.0 / (tw - 1) if tw > 1 else np.inf)
        ys = -1.0 + np.arange(th) * (2.0 / (th - 1) if th > 1 else np.inf)
    grid = np.empty((3, th, tw))
    grid[0] = xs[None, :]
    grid[1] = ys[:, None]
    grid[2] = 1.0
    return grid.reshape(3, th * tw).astype(dtype)


def _check_target(target):
    shape_check(len(target) == 2 and all(t is not None and t > 0 for t in target),
                'target_shape must be two positive sizes (H, W), got %s', tuple(target))


# ----------------------------------------------------------------------------- operators
@register
class GridGenerator(Operator):
    """Sampling grid for `BilinearSampler`, with coordinates normalised to [-1, 1].

    ``transform_type='affine'``: ``data`` holds one 2x3 affine matrix per sample, shape
    (N, 6); output ``(N, 2, H, W)`` with ``(H, W) = target_shape``, where channel 0 is x
    and channel 1 is y of ``theta @ [x_t, y_t, 1]`` over the target's normalised pixel
    grid (``x_t = -1 + 2 j / (W - 1)``, corners at -1 and 1).

    ``transform_type='warp'``: ``data`` is an optical flow (N, 2, H, W) in pixels; the
    output is ``(flow + (j, i))`` normalised to [-1, 1] by ``(W-1)/2`` and ``(H-1)/2``.

    A target side of 1 gives NaN coordinates, as in MXNet 1.9.1 (it divides by zero).

    Examples
    --------
    >>> theta = mx.nd.array([[1, 0, 0, 0, 1, 0]])
    >>> grid = mx.nd.GridGenerator(theta, transform_type='affine', target_shape=(2, 3))
    >>> grid.asnumpy()[0, 0]                          # x of each target pixel
    array([[-1.,  0.,  1.],
           [-1.,  0.,  1.]], dtype=float32)
    """
    name = 'GridGenerator'
    params = {
        'transform_type': Enum(('affine', 'warp'), doc='affine: data is (N, 6); warp: data '
                                                       'is an optical flow (N, 2, H, W).'),
        'target_shape': Shape((0, 0), doc='Output (H, W); required for affine.'),
    }
    backward_uses_inputs = False
    backward_uses_outputs = False

    def list_outputs(self, p):
        return ['output', 'grid_dst']

    def num_visible_outputs(self, p):
        return 1

    def infer_shape(self, p, in_shapes):
        data = in_shapes[0]
        if not _known(data):
            return in_shapes, [None, None]
        data = tuple(data)
        if p.transform_type == 'affine':
            shape_check(len(data) == 2 and data[1] == 6, "input 'data' has shape %s; affine "
                        "GridGenerator needs one 2x3 matrix per sample: (batch, 6)", data)
            _check_target(p.target_shape)
            th, tw = p.target_shape
            return [data], [(data[0], 2, th, tw), (3, th * tw)]
        shape_check(len(data) == 4 and data[1] == 2, "input 'data' has shape %s; warp "
                    "GridGenerator needs an optical flow (batch, 2, H, W)", data)
        return [data], [data, (2,) + data[2:]]

    def forward(self, p, inputs, outputs, ctx):
        data, out, dst = inputs[0], outputs[0], outputs[1]
        if p.transform_type == 'affine':
            n = data.shape[0]
            th, tw = p.target_shape
            dst[...] = _target_grid(th, tw, dst.dtype)
            out[...] = np.matmul(data.reshape(n, 2, 3), dst).reshape(out.shape)
            return
        h, w = data.shape[2:]
        dst[0] = np.arange(w)[None, :]
        dst[1] = np.arange(h)[:, None]
        with np.errstate(divide='ignore', invalid='ignore'):
            out[...] = (data + dst) / self._half_sizes(h, w, out.dtype) - 1

    @staticmethod
    def _half_sizes(h, w, dtype):
        return np.array([(w - 1) / 2, (h - 1) / 2], dtype).reshape(1, 2, 1, 1)

    def backward(self, p, ograds, inputs, outputs, ctx):
        g = ograds[0]
        if p.transform_type == 'affine':
            n = g.shape[0]
            th, tw = p.target_shape
            dst = _target_grid(th, tw, g.dtype)
            return [np.matmul(g.reshape(n, 2, th * tw), dst.T).reshape(n, 6)]
        with np.errstate(divide='ignore', invalid='ignore'):
            return [g / self._half_sizes(g.shape[2], g.shape[3], g.dtype)]


@register
class BilinearSampler(Operator):
    """Bilinear sampling of ``data`` (N, C, H, W) at the points of ``grid`` (N, 2, Ho, Wo).

    ``grid[:, 0]`` is x and ``grid[:, 1]`` is y, normalised so that -1 and 1 are the
    centres of the first and last pixels. Each output value mixes the four neighbouring
    pixels; a neighbour outside the image counts as zero. The output is (N, C, Ho, Wo).
    The gradient flows to ``data`` and to ``grid`` (the grid gradient is the derivative of
    the interpolation; it jumps where a coordinate crosses a pixel centre).

    ``cudnn_off`` is accepted and ignored.

    Examples
    --------
    >>> data = mx.nd.array([[[[1, 2], [3, 4]]]])
    >>> grid = mx.nd.array([[[[0.0]], [[0.0]]]])     # the image centre
    >>> mx.nd.BilinearSampler(data, grid).asnumpy()
    array([[[[2.5]]]], dtype=float32)
    """
    name = 'BilinearSampler'
    params = {'cudnn_off': BoolOrNone(None, doc='Ignored (no cuDNN here).')}
    backward_uses_outputs = False

    def list_arguments(self, p):
        return ['data', 'grid']

    def list_outputs(self, p):
        return ['output', 'tmp']

    def num_visible_outputs(self, p):
        return 1

    def infer_shape(self, p, in_shapes):
        data, grid = in_shapes
        if _known(data):
            shape_check(len(data) == 4, "input 'data' has shape %s; BilinearSampler needs "
                        "4-D data (batch, channel, height, width)", tuple(data))
        if _known(grid):
            shape_check(len(grid) == 4 and grid[1] == 2, "input 'grid' has shape %s; "
                        "expected (batch, 2, out_height, out_width)", tuple(grid))
        if not (_known(data) and _known(grid)):
            return in_shapes, [None, None]
        data, grid = tuple(data), tuple(grid)
        shape_check(data[0] == grid[0], "input 'data' has shape %s but 'grid' has shape %s; "
                    "expected the same batch size", data, grid)
        return [data, grid], [data[:2] + grid[2:], (grid[0], grid[2], grid[3], 2)]

    def forward(self, p, inputs, outputs, ctx):
        data, grid = inputs
        bilinear_sample(data, grid, outputs[0])
        outputs[1][...] = np.moveaxis(grid, 1, 3)   # MXNet's cuDNN layout of the grid

    def backward(self, p, ograds, inputs, outputs, ctx):
        gd, gg = bilinear_sample_backward(ograds[0], inputs[0], inputs[1],
                                          ctx.needs(0), ctx.needs(1))
        return [gd, gg]


@register
class SpatialTransformer(Operator):
    """Affine spatial transformer: ``BilinearSampler(data, GridGenerator(loc))``.

    ``loc`` (N, 6) holds one 2x3 affine matrix per sample (usually from a localisation
    network initialised to the identity); the output is (N, C, *target_shape). Gradients
    flow to ``data`` and ``loc``. Only ``transform_type='affine'`` and
    ``sampler_type='bilinear'`` exist, as in MXNet; ``cudnn_off`` is ignored.

    Examples
    --------
    >>> data = mx.nd.arange(16).reshape((1, 1, 4, 4))
    >>> loc = mx.nd.array([[1, 0, 0, 0, 1, 0]])          # identity
    >>> out = mx.nd.SpatialTransformer(data, loc, target_shape=(4, 4),
    ...                                transform_type='affine', sampler_type='bilinear')
    >>> out.asnumpy().round(4)[0, 0, 1]
    array([4., 5., 6., 7.], dtype=float32)
    """
    name = 'SpatialTransformer'
    params = {
        'target_shape': Shape((0, 0), doc='Output (H, W).'),
        'transform_type': Enum(('affine',), doc='Transformation type.'),
        'sampler_type': Enum(('bilinear',), doc='Sampling type.'),
        'cudnn_off': BoolOrNone(None, doc='Ignored (no cuDNN here).'),
    }

    def list_arguments(self, p):
        return ['data', 'loc']

    def list_outputs(self, p):
        return ['output', 'grid_dst', 'grid_src']

    def num_visible_outputs(self, p):
        return 1

    def infer_shape(self, p, in_shapes):
        data, loc = in_shapes
        if _known(data):
            shape_check(len(data) == 4, "input 'data' has shape %s; SpatialTransformer needs "
                        "4-D data (batch, channel, height, width)", tuple(data))
        if _known(loc):
            shape_check(len(loc) == 2 and loc[1] == 6, "input 'loc' has shape %s; expected "
                        "one 2x3 affine matrix per sample: (batch, 6)", tuple(loc))
        if not (_known(data) and _known(loc)):
            return in_shapes, [None, None, None]
        data, loc = tuple(data), tuple(loc)
        shape_check(data[0] == loc[0], "input 'data' has shape %s but 'loc' has shape %s; "
                    "expected the same batch size", data, loc)
        _check_target(p.target_shape)
        th, tw = p.target_shape
        return [data, loc], [data[:2] + (th, tw), (3, th * tw), (data[0], 2, th * tw)]

    def forward(self, p, inputs, outputs, ctx):
        data, loc = inputs
        out, dst, src = outputs
        n = data.shape[0]
        th, tw = p.target_shape
        dst[...] = _target_grid(th, tw, dst.dtype)
        src[...] = np.matmul(loc.reshape(n, 2, 3), dst)
        bilinear_sample(data, src.reshape(n, 2, th, tw), out)

    def backward(self, p, ograds, inputs, outputs, ctx):
        data = inputs[0]
        dst, src = outputs[1], outputs[2]
        n = data.shape[0]
        th, tw = p.target_shape
        gd, gg = bilinear_sample_backward(ograds[0], data, src.reshape(n, 2, th, tw),
                                          ctx.needs(0), ctx.needs(1))
        gloc = None
        if gg is not None:
            gloc = np.matmul(gg.reshape(n, 2, th * tw), dst.T).reshape(n, 6)
        return [gd, gloc]


# ----------------------------------------------------------------------------- resizing
def _bilinear_matrix(size_in, size_out, align_corners, dtype):
    """(size_out, size_in): output row i = sum_k A[i, k] * input row k (MXNet's rule)."""
    if size_out > 1:
        scale = (size_in - 1) / (size_out - 1) if align_corners else size_in / size_out
    else:
        scale = 0.0
    dst = np.arange(size_out, dtype=np.float64)
    src = scale * dst if align_corners else np.maximum(scale * (dst + 0.5) - 0.5, 0.0)
    lo = src.astype(np.intp)                      # src >= 0: truncation is floor
    lam = src - lo
    hi = np.where(lo < size_in - 1, lo + 1, lo)
    mat = np.zeros((size_out, size_in))
    rows = np.arange(size_out)
    np.add.at(mat, (rows, lo), 1 - lam)
    np.add.at(mat, (rows, hi), lam)
    return mat.astype(dtype)


def _separable(mh, x, mw, out=None):
    """mh @ x @ mw.T over the last two axes of x (N, C, H, W), as two plain GEMMs
    (numpy's broadcasting matmul takes a slow loop for a stack of small products)."""
    t = np.tensordot(x, mw, axes=([3], [1]))                 # (N, C, H, OW)
    y = np.moveaxis(np.tensordot(mh, t, axes=([1], [2])), 0, 2)
    if out is None:
        return y
    out[...] = y
    return out


def _odd_even(size, mode):
    odd = size % 2 == 1
    return {'to_even_down': size - 1 if odd else size, 'to_even_up': size + 1 if odd else size,
            'to_odd_down': size if odd else size - 1,
            'to_odd_up': size if odd else size + 1}[mode]


@register
class BilinearResize2D(Operator):
    """Resize 4-D data (N, C, H, W) with bilinear interpolation (contrib).

    The output size depends on ``mode``: ``'size'`` uses ``height``/``width``, or the
    input size times ``scale_height``/``scale_width`` (truncated) where given;
    ``'odd_scale'`` scales an even side by the scale and an odd side as
    ``(side - 1) * scale + 1``; ``'like'`` takes H and W of a second input ``like``;
    ``'to_even_down'``, ``'to_even_up'``, ``'to_odd_down'`` and ``'to_odd_up'`` move each
    side to the nearest even or odd size.

    ``align_corners=True`` (the default in MXNet 1.9.1) maps the corner pixels onto each
    other: output pixel ``i`` samples input position ``i * (H - 1) / (OH - 1)``. With
    ``align_corners=False`` it samples ``(i + 0.5) * H / OH - 0.5``, clamped at 0. An
    output side of 1 samples the first row/column in both conventions, as MXNet does.

    MXNet 1.9.1 decides the output width by whether ``scale_height`` is given (a bug:
    ``scale_width`` alone is ignored and ``scale_height`` alone fails); here each scale
    governs its own side, as the documentation describes. ``like`` gets no gradient.

    Examples
    --------
    >>> x = mx.nd.array([[[[0, 2], [4, 6]]]])
    >>> mx.nd.contrib.BilinearResize2D(x, height=3, width=3).asnumpy()
    array([[[[0., 1., 2.],
             [2., 3., 4.],
             [4., 5., 6.]]]], dtype=float32)
    """
    name = '_contrib_BilinearResize2D'
    params = {
        'height': Int(1, doc='Output height (mode size, unless scale_height is given).'),
        'width': Int(1, doc='Output width (mode size, unless scale_width is given).'),
        'scale_height': FloatOrNone(None, doc='Scale of the height (modes size, odd_scale).'),
        'scale_width': FloatOrNone(None, doc='Scale of the width (modes size, odd_scale).'),
        'mode': Enum(('like', 'odd_scale', 'size', 'to_even_down', 'to_even_up',
                      'to_odd_down', 'to_odd_up'), 'size', doc='How the size is chosen.'),
        'align_corners': Bool(True, doc='Map corner pixel centres onto each other.'),
    }
    backward_uses_outputs = False
    nograd_inputs = (1,)

    def list_arguments(self, p):
        return ['data', 'like'] if p.mode == 'like' else ['data']

    def _out_size(self, p, data, like):
        h, w = data[2], data[3]
        if p.mode == 'size':
            # MXNet computes scale * size in float32, then truncates
            oh = (int(np.float32(p.scale_height) * np.float32(h))
                  if p.scale_height is not None else p.height)
            ow = (int(np.float32(p.scale_width) * np.float32(w))
                  if p.scale_width is not None else p.width)
        elif p.mode == 'odd_scale':
            shape_check(p.scale_height is not None and p.scale_width is not None,
                        "mode='odd_scale' needs scale_height and scale_width")
            oh, ow = (int(np.float32(s) * np.float32(d)) if d % 2 == 0
                      else int(np.float32(s) * np.float32(d - 1)) + 1
                      for s, d in ((p.scale_height, h), (p.scale_width, w)))
        elif p.mode == 'like':
            oh, ow = like[2], like[3]
        else:
            oh, ow = _odd_even(h, p.mode), _odd_even(w, p.mode)
        shape_check(oh > 0 and ow > 0, "input 'data' has shape %s: mode=%s gives an output "
                    "of %dx%d; both sides must be positive", tuple(data), p.mode, oh, ow)
        return oh, ow

    def infer_shape(self, p, in_shapes):
        data = in_shapes[0]
        like = in_shapes[1] if p.mode == 'like' else None
        if _known(data):
            shape_check(len(data) == 4, "input 'data' has shape %s; BilinearResize2D needs "
                        "4-D data (batch, channel, height, width)", tuple(data))
        if like is not None and _known(like):
            shape_check(len(like) == 4, "input 'like' has shape %s; expected 4-D "
                        "(batch, channel, height, width)", tuple(like))
        if not _known(data) or (p.mode == 'like' and not _known(like)):
            return in_shapes, [None]
        oh, ow = self._out_size(p, tuple(data), like)
        return [tuple(s) for s in in_shapes], [tuple(data[:2]) + (oh, ow)]

    def _matrices(self, p, in_hw, out_hw, dtype):
        wt = _work_dtype(dtype)
        return (_bilinear_matrix(in_hw[0], out_hw[0], p.align_corners, wt),
                _bilinear_matrix(in_hw[1], out_hw[1], p.align_corners, wt))

    def forward(self, p, inputs, outputs, ctx):
        x, out = inputs[0], outputs[0]
        mh, mw = self._matrices(p, x.shape[2:], out.shape[2:], x.dtype)
        _separable(mh, x.astype(mh.dtype, copy=False), mw, out)

    def backward(self, p, ograds, inputs, outputs, ctx):
        g, x = ograds[0], inputs[0]
        mh, mw = self._matrices(p, x.shape[2:], g.shape[2:], x.dtype)
        gx = _separable(mh.T, g.astype(mh.dtype, copy=False), mw.T).astype(x.dtype, copy=False)
        return [gx] + [None] * (len(inputs) - 1)


def _adaptive_matrix(size_in, size_out, dtype):
    """(size_out, size_in) averaging matrix over bins [floor(i*in/out), ceil((i+1)*in/out))."""
    i = np.arange(size_out)
    start = (i * size_in) // size_out
    end = -((-(i + 1) * size_in) // size_out)
    k = np.arange(size_in)
    inside = (k[None, :] >= start[:, None]) & (k[None, :] < end[:, None])
    return (inside / (end - start)[:, None]).astype(dtype)


@register
class AdaptiveAvgPooling2D(Operator):
    """Average pooling of 4-D data (N, C, H, W) to a fixed output size (contrib).

    ``output_size`` is ``(OH, OW)``, a single int for a square output, or empty for 1x1.
    Output cell ``i`` averages input rows ``floor(i*H/OH)`` to ``ceil((i+1)*H/OH) - 1``
    (cells may overlap when H is not a multiple of OH); likewise for columns. The gradient
    spreads each output gradient evenly over its cell.

    Examples
    --------
    >>> x = mx.nd.arange(16).reshape((1, 1, 4, 4))
    >>> mx.nd.contrib.AdaptiveAvgPooling2D(x, output_size=2).asnumpy()
    array([[[[ 2.5,  4.5],
             [10.5, 12.5]]]], dtype=float32)
    """
    name = '_contrib_AdaptiveAvgPooling2D'
    params = {'output_size': Shape((), doc='(OH, OW), one int for a square, or () for 1x1.')}
    backward_uses_inputs = False
    backward_uses_outputs = False

    def _size(self, p):
        size = tuple(p.output_size)
        shape_check(len(size) <= 2 and all(s is not None and s > 0 for s in size),
                    'output_size must be one or two positive ints, got %s', size)
        return {0: (1, 1), 1: size * 2}.get(len(size), size)

    def infer_shape(self, p, in_shapes):
        data = in_shapes[0]
        oh, ow = self._size(p)
        if not _known(data):
            return in_shapes, [None]
        data = tuple(data)
        shape_check(len(data) == 4, "input 'data' has shape %s; AdaptiveAvgPooling2D needs "
                    "4-D data (batch, channel, height, width)", data)
        return [data], [data[:2] + (oh, ow)]

    def forward(self, p, inputs, outputs, ctx):
        x, out = inputs[0], outputs[0]
        wt = _work_dtype(x.dtype)
        ctx.state['hw'] = x.shape[2:]
        mh = _adaptive_matrix(x.shape[2], out.shape[2], wt)
        mw = _adaptive_matrix(x.shape[3], out.shape[3], wt)
        _separable(mh, x.astype(wt, copy=False), mw, out)

    def backward(self, p, ograds, inputs, outputs, ctx):
        g = ograds[0]
        (h, w), wt = ctx.state['hw'], _work_dtype(g.dtype)
        mh = _adaptive_matrix(h, g.shape[2], wt)
        mw = _adaptive_matrix(w, g.shape[3], wt)
        return [_separable(mh.T, g.astype(wt, copy=False), mw.T).astype(g.dtype, copy=False)]
