"""Detection ops: ROIPooling, and the contrib ROIAlign, box_iou and box_nms.

ROIPooling loops over the ROIs; inside one ROI the max over every bin is taken in two
separable passes (over the columns of each column-bin, then over the rows of each
row-bin) on a channels-last copy of the ROI's box, so that every reduction runs over
contiguous memory. The backward pass finds the first position of each maximum the same
way (MXNet's strict '>' scan keeps the first), so the forward pass stays lean.

ROIAlign is separable: every sample's bilinear weight is (weight along y) * (weight along
x), and a bin averages a grid of samples, so one ROI's output is ``A_y @ x @ A_x.T`` with
two small matrices per ROI (``A_y[bin, row]`` sums the y-weights of that bin's samples).
The matrices are built for all ROIs at once; the products run per image, batched over its
ROIs.

box_nms is greedy (each kept box suppresses later ones), so it loops over the candidates in
score order; the IoUs against later boxes are computed for a block of candidates at once,
vectorised over the batch, and each greedy step only combines boolean rows.

ROIPooling and box_nms keep MXNet's hidden outputs (``maxidx``, filled with -1 here since
the argmax is found again in backward; box_nms's kept-index record) so that output counts
and symbol JSON agree with MXNet 1.9.1.
"""
import numpy as np

from ..base import MXNetError
from ._util import known as _known, prod as _prod
from .registry import Bool, Enum, Float, Int, Operator, Shape, register, shape_check


def _work_dtype(dtype):
    return np.dtype(np.float32) if np.dtype(dtype).itemsize < 4 else np.dtype(dtype)


def _pooled(p):
    size = tuple(p.pooled_size)
    shape_check(len(size) == 2 and all(s is not None and s > 0 for s in size),
                'pooled_size must be two positive ints (h, w), got %s', size)
    return size


def _roi_shapes(in_shapes, what):
    """Checked (data, rois) shapes, or None when either is unknown."""
    data, rois = in_shapes[0], in_shapes[1]
    if _known(data):
        shape_check(len(data) == 4, "input 'data' has shape %s; %s needs 4-D feature maps "
                    "(batch, channel, height, width)", tuple(data), what)
    if _known(rois):
        shape_check(len(rois) == 2 and rois[1] == 5, "input 'rois' has shape %s; expected "
                    "(num_rois, 5) rows of [batch_index, x1, y1, x2, y2]", tuple(rois))
    if not (_known(data) and _known(rois)):
        return None
    return tuple(data), tuple(rois)


def _batch_index(rois, n):
    """Batch index of each ROI (truncated like a C cast) and whether it names an image."""
    b = np.trunc(rois[:, 0]).astype(np.int64)
    return b, (b >= 0) & (b < n)


# ----------------------------------------------------------------------------- ROIPooling
@register
class ROIPooling(Operator):
    """Max pooling over regions of interest (Fast R-CNN).

    ``rois`` (R, 5) rows are ``[batch_index, x1, y1, x2, y2]`` in image coordinates; each
    is scaled by ``spatial_scale`` and rounded (half away from zero) to feature-map pixels,
    the inclusive box is cut into ``pooled_size`` bins (bin ``i`` spans
    ``floor(i*h/ph)`` to ``ceil((i+1)*h/ph)`` rows from the box start, clipped to the
    map) and each bin takes its maximum. The output is (R, C, ph, pw); an empty bin gives 0.
    The gradient goes to ``data`` only, at the first position of each bin's maximum.

    A ROI whose batch index is negative or past the batch gives zeros, as MXNet 1.9.1
    does on CPU (the index is truncated, so 0.7 means image 0).

    Examples
    --------
    >>> x = mx.nd.arange(16).reshape((1, 1, 4, 4))
    >>> rois = mx.nd.array([[0, 0, 0, 3, 3], [0, 1, 1, 2, 2]])
    >>> mx.nd.ROIPooling(x, rois, pooled_size=(2, 2), spatial_scale=1.0).asnumpy()[:, 0]
    array([[[ 5.,  7.],
            [13., 15.]],
    <BLANKLINE>
           [[ 5.,  6.],
            [ 9., 10.]]], dtype=float32)
    """
    name = 'ROIPooling'
    params = {
        'pooled_size': Shape(doc='Output (h, w) of each ROI.'),
        'spatial_scale': Float(low=0.0, high=1.0, doc='Feature-map size / image size.'),
    }
    nograd_inputs = (1,)
    backward_uses_outputs = False

    def list_arguments(self, p):
        return ['data', 'rois']

    def list_outputs(self, p):
        return ['output', 'maxidx']

    def num_visible_outputs(self, p):
        return 1

    def infer_shape(self, p, in_shapes):
        ph, pw = _pooled(p)
        shapes = _roi_shapes(in_shapes, 'ROIPooling')
        if shapes is None:
            return in_shapes, [None, None]
        data, rois = shapes
        out = (rois[0], data[1], ph, pw)
        return [data, rois], [out, out]

    @staticmethod
    def _bins(p, rois, height, width, ct):
        """Per ROI and bin: clipped [start, end) rows (R, ph) and columns (R, pw)."""
        ph, pw = p.pooled_size
        box = rois[:, 1:5].astype(ct) * ct.type(p.spatial_scale)
        # C's round(): halves away from zero (np.round would take them to even)
        box = (np.sign(box) * np.floor(np.abs(box) + ct.type(0.5))).astype(np.int64)
        x1, y1, x2, y2 = box.T
        spans = []
        for lo, hi, pooled, limit in ((y1, y2, ph, height), (x1, x2, pw, width)):
            bin_size = np.maximum(hi - lo + 1, 1).astype(ct) / ct.type(pooled)
            k = np.arange(pooled, dtype=ct)
            start = np.floor(k[None, :] * bin_size[:, None]).astype(np.int64)
            end = np.ceil((k[None, :] + 1) * bin_size[:, None]).astype(np.int64)
            spans.append((np.clip(start + lo[:, None], 0, limit),
                          np.clip(end + lo[:, None], 0, limit)))
        return spans

    def _pool(self, p, x, rois, with_arg):
        """Yield (roi, max (C, ph, pw), empty bins (ph, pw), flat argmax into x or None)
        for every ROI that names an image."""
        n, c, h, w = x.shape
        (hs, he), (ws, we) = self._bins(p, rois, h, w, _work_dtype(x.dtype))
        batch, ok = _batch_index(rois, n)
        chans = np.arange(c)
        for r in np.nonzero(ok)[0]:
            h0, h1, w0, w1 = hs[r].min(), he[r].max(), ws[r].min(), we[r].max()
            # columns first, channels last: each bin's max is then a max over leading-axis
            # slices, which NumPy runs over contiguous rows
            cols = np.ascontiguousarray(x[batch[r], :, h0:h1, w0:w1].transpose(2, 1, 0))
            m1, c1 = _bin_max(cols, ws[r] - w0, we[r] - w0, with_arg)         # (pw, hr, C)
            m1 = np.ascontiguousarray(m1.transpose(1, 0, 2))
            best, r1 = _bin_max(m1, hs[r] - h0, he[r] - h0, with_arg)         # (ph, pw, C)
            empty = (he[r] <= hs[r])[:, None] | (we[r] <= ws[r])[None, :]
            flat = None
            if with_arg:
                col = np.take_along_axis(c1.transpose(1, 0, 2), r1, axis=0)
                flat = ((batch[r] * c + chans) * h + h0 + r1) * w + w0 + col
                flat = flat.transpose(2, 0, 1)
            yield r, best.transpose(2, 0, 1), empty, flat

    def forward(self, p, inputs, outputs, ctx):
        x, rois = inputs
        out = outputs[0]
        out[...] = 0
        for r, best, empty, _ in self._pool(p, x, rois, False):
            out[r] = np.where(empty, 0, best)
        outputs[1][...] = -1       # hidden; the argmax is found again in backward

    def backward(self, p, ograds, inputs, outputs, ctx):
        x, rois = inputs
        g = ograds[0]
        index, weight = [], []
        for r, _, empty, flat in self._pool(p, x, rois, True):
            index.append(flat[:, ~empty])
            weight.append(g[r][:, ~empty])
        if not index:
            return [np.zeros_like(x), None]
        gx = np.bincount(np.concatenate(index, axis=None),
                         weights=np.concatenate(weight, axis=None), minlength=x.size)
        return [gx.reshape(x.shape).astype(x.dtype, copy=False), None]


def _bin_max(a, start, end, with_arg):
    """Max of a[s:e] over axis 0 for every bin [s, e), and with `with_arg` the index of
    its first maximum (as MXNet's strict '>' scan finds it); empty bins give 0."""
    m = np.zeros((len(start),) + a.shape[1:], a.dtype)
    arg = np.zeros(m.shape, np.int64) if with_arg else None
    for j, (s, e) in enumerate(zip(start, end)):
        if e > s:
            m[j] = a[s:e].max(axis=0)
            if with_arg:      # backwards, so that the first position equal to the max wins
                arg[j] = s
                for k in range(e - 1, s - 1, -1):
                    np.copyto(arg[j], k, where=a[k] == m[j])
    return m, arg


# ----------------------------------------------------------------------------- ROIAlign
def _align_weights(start, bin_size, grid, pooled, size):
    """(R, pooled, size): per ROI and bin, the summed bilinear weights of the bin's samples
    along one axis (MXNet's rule: a sample outside [-1, size] counts zero, one in
    [-1, 0] reads the edge pixel)."""
    r = start.shape[0]
    g_max = int(grid.max()) if r else 1
    k = np.arange(pooled)[None, :, None]
    i = np.arange(g_max)[None, None, :]
    pos = (start[:, None, None] + k * bin_size[:, None, None]
           + (i + 0.5) * bin_size[:, None, None] / grid[:, None, None])     # (R, pooled, G)
    use = (i < grid[:, None, None]) & (pos >= -1.0) & (pos <= size)
    pos = np.maximum(pos, 0.0)
    lo = np.floor(np.minimum(pos, size)).astype(np.int64)
    edge = lo >= size - 1
    lo = np.where(edge, size - 1, lo)
    hi = np.where(edge, size - 1, lo + 1)
    frac = np.where(edge, 0.0, pos - lo)
    rowbase = (np.arange(r)[:, None, None] * pooled + k) * size
    idx = np.concatenate([(rowbase + lo).ravel(), (rowbase + hi).ravel()])
    wts = np.concatenate([np.where(use, 1 - frac, 0).ravel(), np.where(use, frac, 0).ravel()])
    return np.bincount(idx, weights=wts, minlength=r * pooled * size).reshape(r, pooled, size)


def _chunks(rois, per_roi, budget=1 << 22):
    """Slices of `rois` (indices) small enough that chunk * per_roi stays under budget."""
    step = max(1, budget // max(per_roi, 1))
    return [rois[i:i + step] for i in range(0, len(rois), step)]


@register
class ROIAlign(Operator):
    """Region-of-interest align (Mask R-CNN): bilinear samples averaged per bin (contrib).

    ``rois`` (R, 5) rows are ``[batch_index, x1, y1, x2, y2]``, scaled by
    ``spatial_scale`` (not rounded). Each ROI is cut into ``pooled_size`` bins; a bin
    averages ``sample_ratio`` x ``sample_ratio`` bilinear samples at the centres of an
    even sub-grid (``ceil(roi_h / ph)`` x ``ceil(roi_w / pw)`` when ``sample_ratio <= 0``).
    Without ``aligned`` a ROI is at least 1x1; with ``aligned=True`` coordinates are
    shifted by -0.5 (pixel centres, Detectron2) and every ROI must have a positive size.
    ``position_sensitive=True`` (R-FCN) reads bin ``(i, j)`` of output channel ``c`` from
    input channel ``(c * ph + i) * pw + j``, so the output has ``C / (ph * pw)`` channels.
    The output is (R, C', ph, pw); the gradient goes to ``data`` only.

    A ROI with a negative batch index gives zeros. (MXNet 1.9.1 documents this but also
    zeroes one value of another ROI and may corrupt memory; that bug is not reproduced.)

    Examples
    --------
    >>> x = mx.nd.arange(16).reshape((1, 1, 4, 4))
    >>> rois = mx.nd.array([[0, 0, 0, 2, 2]])
    >>> mx.nd.contrib.ROIAlign(x, rois, pooled_size=(1, 1), spatial_scale=1.0).asnumpy()
    array([[[[5.]]]], dtype=float32)
    """
    name = '_contrib_ROIAlign'
    params = {
        'pooled_size': Shape(doc='Output (h, w) of each ROI.'),
        'spatial_scale': Float(low=0.0, high=1.0, doc='Feature-map size / image size.'),
        'sample_ratio': Int(-1, doc='Samples per bin along each axis; <= 0: adaptive.'),
        'position_sensitive': Bool(False, doc='R-FCN position-sensitive pooling.'),
        'aligned': Bool(False, doc='Shift by half a pixel (Detectron2 alignment).'),
    }
    nograd_inputs = (1,)
    backward_uses_outputs = False

    def list_arguments(self, p):
        return ['data', 'rois']

    def infer_shape(self, p, in_shapes):
        ph, pw = _pooled(p)
        shapes = _roi_shapes(in_shapes, 'ROIAlign')
        if shapes is None:
            return in_shapes, [None]
        data, rois = shapes
        channels = data[1]
        if p.position_sensitive:
            shape_check(channels % (ph * pw) == 0, "input 'data' has shape %s: with "
                        "position_sensitive=True its %d channels must be a multiple of "
                        "pooled_size h*w = %d", data, channels, ph * pw)
            channels //= ph * pw
        return [data, rois], [(rois[0], channels, ph, pw)]

    def _weights(self, p, rois, height, width):
        """(Wy (R, ph, H), Wx (R, pw, W), 1/count (R,)) in float64."""
        ph, pw = p.pooled_size
        box = rois[:, 1:5].astype(np.float64) * p.spatial_scale - (0.5 if p.aligned else 0.0)
        x1, y1, x2, y2 = box.T
        rw, rh = x2 - x1, y2 - y1
        if p.aligned:
            bad = np.nonzero(((rw <= 0) | (rh <= 0)) & (rois[:, 0] >= 0))[0]
            if len(bad):
                raise MXNetError('ROIAlign: with aligned=True every ROI needs a positive '
                                 'width and height; ROI %d (%s) has %gx%g after scaling'
                                 % (bad[0], rois[bad[0]].tolist(), rw[bad[0]], rh[bad[0]]))
        else:
            rw, rh = np.maximum(rw, 1.0), np.maximum(rh, 1.0)
        grids = []
        for extent, pooled in ((rh, ph), (rw, pw)):
            grid = (np.full(extent.shape, p.sample_ratio) if p.sample_ratio > 0
                    else np.ceil(extent / pooled))
            grids.append(np.maximum(grid, 1).astype(np.int64))
        wy = _align_weights(y1, rh / ph, grids[0], ph, height)
        wx = _align_weights(x1, rw / pw, grids[1], pw, width)
        return wy, wx, 1.0 / (grids[0] * grids[1])

    def _groups(self, rois, n):
        """(image, ROI indices) for each image that some valid ROI names."""
        batch, ok = _batch_index(rois, n)
        return [(b, np.nonzero(ok & (batch == b))[0]) for b in np.unique(batch[ok])]

    def forward(self, p, inputs, outputs, ctx):
        x, rois = inputs
        out = outputs[0]
        n, c, h, w = x.shape
        ph, pw = p.pooled_size
        wt = _work_dtype(x.dtype)
        wy, wx, inv = (a.astype(wt) for a in self._weights(p, rois, h, w))
        out[...] = 0
        for b, idx in self._groups(rois, n):
            xb = x[b].astype(wt, copy=False)
            if p.position_sensitive:
                xs = xb.reshape(-1, ph, pw, h, w)
                res = np.einsum('rph,cpqhw,rqw->rcpq', wy[idx], xs, wx[idx], optimize=True)
                out[idx] = res * inv[idx, None, None, None]
                continue
            xt = xb.transpose(1, 0, 2).reshape(h, c * w)                 # (H, C*W)
            for part in _chunks(idx, ph * c * w):
                v = (wy[part].reshape(-1, h) @ xt).reshape(len(part), ph * c, w)
                res = np.matmul(v, wx[part].transpose(0, 2, 1))            # (r, ph*C, pw)
                res = res.reshape(len(part), ph, c, pw).transpose(0, 2, 1, 3)
                out[part] = res * inv[part, None, None, None]

    def backward(self, p, ograds, inputs, outputs, ctx):
        x, rois = inputs
        g = ograds[0]
        n, c, h, w = x.shape
        ph, pw = p.pooled_size
        wt = _work_dtype(x.dtype)
        wy, wx, inv = (a.astype(wt) for a in self._weights(p, rois, h, w))
        gx = np.zeros(x.shape, wt)
        for b, idx in self._groups(rois, n):
            gs = g[idx].astype(wt) * inv[idx, None, None, None]              # (r, C', ph, pw)
            if p.position_sensitive:
                part = np.einsum('rph,rcpq,rqw->cpqhw', wy[idx], gs, wx[idx], optimize=True)
                gx[b] += part.reshape(c, h, w)
                continue
            acc = np.zeros((h, c * w), wt)
            for part in _chunks(np.arange(len(idx)), ph * c * w):
                gp = np.ascontiguousarray(gs[part].transpose(0, 2, 1, 3))   # (r, ph, C, pw)
                u = np.matmul(gp.reshape(len(part), ph * c, pw), wx[idx[part]])
                acc += wy[idx[part]].reshape(-1, h).T @ u.reshape(-1, c * w)
            gx[b] += acc.reshape(h, c, w).transpose(1, 0, 2)
        return [gx.astype(x.dtype, copy=False), None]


# ----------------------------------------------------------------------------- boxes
_FORMATS = ('center', 'corner')


def _extent(boxes, axis, fmt):
    """(low, high) edges along x (axis 0) or y (axis 1) of boxes [..., 4]."""
    a, b = boxes[..., axis], boxes[..., axis + 2]
    if fmt == 'corner':
        return a, b
    return a - b / 2, a + b / 2


def _area(boxes, fmt):
    """Box areas; a box with negative width or height has area 0 (as MXNet)."""
    if fmt == 'corner':
        bw, bh = boxes[..., 2] - boxes[..., 0], boxes[..., 3] - boxes[..., 1]
    else:
        bw, bh = boxes[..., 2], boxes[..., 3]
    return np.where((bw < 0) | (bh < 0), 0, bw * bh)


def _intersection(a, b, fmt):
    """Overlap area of boxes a and b (broadcast against each other)."""
    inter = 1
    for axis in (0, 1):
        alo, ahi = _extent(a, axis, fmt)
        blo, bhi = _extent(b, axis, fmt)
        inter = inter * np.maximum(np.minimum(ahi, bhi) - np.maximum(alo, blo), 0)
    return inter


@register
class BoxIoU(Operator):
    """Intersection over union of every pair of boxes in ``lhs`` and ``rhs`` (contrib).

    ``lhs`` (..., 4) and ``rhs`` (..., 4) hold boxes as ``[xmin, ymin, xmax, ymax]``
    (``format='corner'``) or ``[x, y, width, height]`` (``'center'``); the output has
    shape ``lhs.shape[:-1] + rhs.shape[:-1]``. Pairs that do not overlap give 0; a box of
    negative size has area 0. The gradient is zero for both inputs, as in MXNet.

    Examples
    --------
    >>> a = mx.nd.array([[0, 0, 2, 2]])
    >>> b = mx.nd.array([[1, 1, 3, 3], [4, 4, 5, 5]])
    >>> mx.nd.contrib.box_iou(a, b).asnumpy()
    array([[0.14285715, 0.        ]], dtype=float32)
    """
    name = '_contrib_box_iou'
    params = {'format': Enum(_FORMATS, 'corner', doc='Box encoding.')}
    backward_uses_inputs = False
    backward_uses_outputs = False

    def list_arguments(self, p):
        return ['lhs', 'rhs']

    def infer_shape(self, p, in_shapes):
        for name, s in zip(('lhs', 'rhs'), in_shapes):
            if _known(s):
                shape_check(len(s) >= 2 and s[-1] == 4, "input '%s' has shape %s; expected "
                            "at least 2-D with a last dimension of 4", name, tuple(s))
        lhs, rhs = in_shapes
        if not (_known(lhs) and _known(rhs)):
            return in_shapes, [None]
        return [tuple(lhs), tuple(rhs)], [tuple(lhs[:-1]) + tuple(rhs[:-1])]

    def forward(self, p, inputs, outputs, ctx):
        lhs, rhs = inputs
        ctx.state['shapes'] = (lhs.shape, rhs.shape)
        wt = _work_dtype(lhs.dtype)
        a = lhs.reshape(-1, 1, 4).astype(wt, copy=False)
        b = rhs.reshape(1, -1, 4).astype(wt, copy=False)
        inter = _intersection(a, b, p.format)
        with np.errstate(divide='ignore', invalid='ignore'):
            iou = inter / (_area(a, p.format) + _area(b, p.format) - inter)
        outputs[0][...] = np.where(inter > 0, iou, 0).reshape(outputs[0].shape)

    def backward(self, p, ograds, inputs, outputs, ctx):
        return [np.zeros(s, ograds[0].dtype) for s in ctx.state['shapes']]


@register
class BoxNMS(Operator):
    """Non-maximum suppression over boxes, per batch element (contrib).

    ``data`` is (..., N, K): every leading axis is a batch axis, and each of the N rows
    holds a box with its score at ``score_index``, four coordinates from ``coord_start``
    (``in_format`` 'corner' or 'center') and optionally a class id at ``id_index``.

    Rows with ``score > valid_thresh`` (and, with ``id_index``, a class other than
    ``background_id``) are sorted by score (descending, ties in input order); only the
    first ``topk`` take part (``-1``: all). Going down that list, a box suppresses every
    later one whose IoU with it exceeds ``overlap_thresh`` (only boxes of the same class
    unless ``force_suppress``). The kept rows come first in the output, in score order,
    coordinates in ``out_format``; every other row is filled with -1. The output has the
    input's shape. ``topk=0`` returns the input unchanged (MXNet's rule).

    The gradient of a kept output row goes back to the input row it came from; other
    input rows get zero.

    MXNet 1.9.1 leaves a kept box in its input format when its first coordinate is
    negative (its -1 filler test); here every kept box is converted, as documented.

    Examples
    --------
    >>> boxes = mx.nd.array([[0, 0.9, 0, 0, 2, 2],
    ...                      [0, 0.8, 0.1, 0.1, 2, 2],
    ...                      [1, 0.7, 3, 3, 4, 4]])
    >>> mx.nd.contrib.box_nms(boxes, overlap_thresh=0.5).asnumpy()
    array([[ 0. ,  0.9,  0. ,  0. ,  2. ,  2. ],
           [ 1. ,  0.7,  3. ,  3. ,  4. ,  4. ],
           [-1. , -1. , -1. , -1. , -1. , -1. ]], dtype=float32)
    """
    name = '_contrib_box_nms'
    aliases = ('_contrib_box_non_maximum_suppression',)
    params = {
        'overlap_thresh': Float(0.5, doc='IoU above which the lower-scored box goes.'),
        'valid_thresh': Float(0.0, doc='Keep only boxes scoring above this.'),
        'topk': Int(-1, doc='Consider only the topk best boxes; -1: all.'),
        'coord_start': Int(2, doc='Index of the first of the 4 coordinates.'),
        'score_index': Int(1, doc='Index of the score.'),
        'id_index': Int(-1, doc='Index of the class id; -1: no classes.'),
        'background_id': Int(-1, doc='Class id dropped before suppression.'),
        'force_suppress': Bool(False, doc='Suppress across classes too.'),
        'in_format': Enum(_FORMATS, 'corner', doc='Input box encoding.'),
        'out_format': Enum(_FORMATS, 'corner', doc='Output box encoding.'),
    }
    backward_uses_inputs = False
    backward_uses_outputs = False

    def list_outputs(self, p):
        return ['output0', 'output1']

    def num_visible_outputs(self, p):
        return 1

    def infer_shape(self, p, in_shapes):
        data = in_shapes[0]
        if not _known(data):
            return in_shapes, [None, None]
        data = tuple(data)
        shape_check(len(data) >= 2, "input 'data' has shape %s; box_nms needs at least 2-D "
                    "data (..., num_boxes, box_width)", data)
        width = data[-1]
        need = 6 if p.id_index > 0 else 5
        shape_check(width >= need, "input 'data' has shape %s: rows of %d values, but a box "
                    "needs at least %d (score and 4 coordinates%s)", data, width, need,
                    ', class id' if need == 6 else '')
        cs, si, ii = p.coord_start, p.score_index, p.id_index
        shape_check(0 <= cs and cs + 3 < width, 'coord_start=%d: coordinates %d..%d do not '
                    'fit in rows of %d values', cs, cs, cs + 3, width)
        shape_check(0 <= si < width and not cs <= si <= cs + 3, 'score_index=%d must be in '
                    '0..%d and outside the coordinates %d..%d', si, width - 1, cs, cs + 3)
        if ii >= 0:
            shape_check(ii < width and not cs <= ii <= cs + 3 and ii != si, 'id_index=%d '
                        'must be in 0..%d, outside the coordinates %d..%d and not '
                        'score_index', ii, width - 1, cs, cs + 3)
        return [data], [data, data[:-1] + (1,)]

    def forward(self, p, inputs, outputs, ctx):
        data = inputs[0]
        k, width = data.shape[-2:]
        bsz = _prod(data.shape[:-2])
        x = data.reshape(bsz, k, width)
        out = outputs[0].reshape(bsz, k, width)
        record = np.arange(bsz * k).reshape(bsz, k)
        topk = k if p.topk < 0 else min(k, p.topk)
        if topk < 1:
            out[...] = x
        else:
            record = self._suppress(p, x, out, topk)
        ctx.state['record'] = record
        outputs[1][...] = record.reshape(outputs[1].shape)

    def _suppress(self, p, x, out, topk):
        bsz, k, _ = x.shape
        cs, fmt = p.coord_start, p.in_format
        scores = x[:, :, p.score_index]
        valid = scores > p.valid_thresh
        if p.id_index >= 0:
            valid &= x[:, :, p.id_index] != p.background_id
        order = np.argsort(np.where(valid, -scores, np.inf), axis=1, kind='stable')
        boxes = np.take_along_axis(x, order[:, :, None], axis=1)             # by score
        count = np.minimum(valid.sum(axis=1), topk)
        alive = np.arange(k)[None, :] < count[:, None]
        span = int(count.max()) if count.size else 0  # later boxes never take part
        wt = _work_dtype(x.dtype)
        coords = boxes[:, :span, cs:cs + 4].astype(wt)
        areas = _area(coords, fmt)
        classes = None
        if p.id_index >= 0 and not p.force_suppress:
            classes = np.trunc(boxes[:, :span, p.id_index])
        thresh = p.overlap_thresh
        # IoU rows against the later boxes are computed a block of reference boxes at a
        # time; the greedy pass itself then only combines precomputed masks
        block = max(1, (1 << 22) // max(bsz * span, 1))
        for b0 in range(0, span - 1, block):
            b1 = min(b0 + block, span - 1)
            ref_box, later = coords[:, b0:b1, None], coords[:, None, b0:]
            inter = _intersection(ref_box, later, fmt)
            with np.errstate(divide='ignore', invalid='ignore'):
                over = inter / (areas[:, b0:b1, None] + areas[:, None, b0:] - inter) > thresh
            if classes is not None:
                over &= classes[:, b0:b1, None] == classes[:, None, b0:]
            for i in range(b0, b1):
                ref = alive[:, i]
                if ref.any():
                    alive[:, i + 1:span] &= ~(over[:, i - b0, i + 1 - b0:] & ref[:, None])
        # kept boxes move to the front of their batch row, in score order
        bi, ki = np.nonzero(alive)
        dest = (np.cumsum(alive, axis=1) - 1)[bi, ki]
        out[...] = -1
        out[bi, dest] = boxes[bi, ki]
        if p.in_format != p.out_format and len(bi):
            out[bi, dest, cs:cs + 4] = self._convert(boxes[bi, ki, cs:cs + 4], p.out_format)
        record = np.full((bsz, k), -1, np.int64)
        record[bi, dest] = order[bi, ki] + bi * k
        return record

    @staticmethod
    def _convert(c, to):
        a, b, e, f = c[:, 0], c[:, 1], c[:, 2], c[:, 3]
        if to == 'center':
            return np.stack([(a + e) / 2, (b + f) / 2, e - a, f - b], axis=1)
        return np.stack([a - e / 2, b - f / 2, a + e / 2, b + f / 2], axis=1)

    def backward(self, p, ograds, inputs, outputs, ctx):
        g = ograds[0]
        width = g.shape[-1]
        record = ctx.state['record'].ravel()
        gf = g.reshape(-1, width)
        gx = np.zeros_like(gf)
        kept = record >= 0
        gx[record[kept]] = gf[kept]
        return [gx.reshape(g.shape)]
