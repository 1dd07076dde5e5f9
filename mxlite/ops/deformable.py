"""Deformable convolution (DCNv1, DCNv2) and deformable PS-ROI pooling, contrib.

Every op here reads the input at fractional positions by bilinear interpolation. One
helper, `bilinear`, turns a batch of positions into four corner indices, four weights and
the weights' derivatives along each axis, following the border rule of the op at hand
(they differ in MXNet 1.9.1, see `bilinear`). The forward passes gather the corners with
NumPy fancy indexing over all images, pixels and taps at once; the data gradients scatter
the same weights back with one `np.bincount`; the position gradients (offset, trans) are
the corner values times the weight derivatives.

Deformable convolution samples im2col-style columns (C, kh*kw, N*Ho*Wo) at the offset
kernel positions, then runs one GEMM per group, as `convolution.py` does for the plain
case; its weight and bias gradients are the plain convolution's.
"""
import numpy as np

from ._util import known as _known
from .detection import _batch_index, _work_dtype
from .registry import Bool, Enum, Float, Int, Operator, Shape, register, shape_check


# ----------------------------------------------------------------------------- bilinear
def bilinear(h, w, height, width, style):
    """Corners of bilinear sampling at rows `h` and columns `w` (float arrays of one shape).

    Returns ``(idx, wt, dh, dw)``, each of shape (4,) + h.shape: flat indices ``row * width
    + col`` of the corners (always inside the map, so they can be gathered), their weights
    (0 for a corner or point that reads nothing) and the weights' derivatives along h and w.
    `style` is the border rule:

    * 'dcn'  (DeformableConvolution): a point reads only when 0 <= h < height (w alike);
      past the last row it reads the last row (the position is clamped there).
    * 'mdcn' (ModulatedDeformableConvolution): a point reads when -1 < h < height; corners
      outside the map read 0.
    * 'align' (ROIAlign, RROIAlign): a point reads when -1 <= h <= height; h is clamped to
      [0, height - 1] first (no derivative where it was clamped).
    * 'clamped' (DeformablePSROIPooling): the caller has clamped the point into the map;
      corners are floor and ceil, derivatives are taken as if nothing was clamped.
    """
    ct = h.dtype.type
    one = ct(1)
    if style == 'mdcn':
        ok = (h > -1) & (w > -1) & (h < height) & (w < width)
    elif style == 'dcn':
        ok = (h >= 0) & (w >= 0) & (h < height) & (w < width)
    elif style == 'align':
        ok = (h >= -1) & (w >= -1) & (h <= height) & (w <= width)
    else:
        ok = np.ones(h.shape, bool)
    axes = []
    for v, size in ((h, height), (w, width)):
        grad = np.ones(v.shape, h.dtype)
        if style == 'align':
            grad[v <= 0] = 0
            v = np.maximum(v, 0)
        lo = np.floor(v)
        if style in ('dcn', 'align'):
            # at or past the last row the sample is the last row itself
            last = lo >= size - 1
            lo = np.where(last, ct(size - 1), lo)
            hi = np.where(last, lo, lo + 1)
            frac = np.where(last, ct(0), v - lo)
            grad[last] = 0
        elif style == 'clamped':
            hi = np.ceil(v)
            frac = v - lo
        else:
            hi = lo + 1
            frac = v - lo
        axes.append((lo, hi, frac, grad, size))
    (h0, h1, lh, gh, _), (w0, w1, lw, gw, _) = axes
    rows, cols = (h0, h0, h1, h1), (w0, w1, w0, w1)
    wt = np.stack([(one - lh) * (one - lw), (one - lh) * lw, lh * (one - lw), lh * lw])
    dh = np.stack([-(one - lw), -lw, one - lw, lw]) * gh
    dw = np.stack([-(one - lh), one - lh, -lh, lh]) * gw
    idx = np.empty(wt.shape, np.int64)
    for c in range(4):
        inside = ok & (rows[c] >= 0) & (rows[c] <= height - 1) & \
            (cols[c] >= 0) & (cols[c] <= width - 1)
        for a in (wt, dh, dw):
            a[c][~inside] = 0
        r = np.clip(rows[c], 0, height - 1).astype(np.int64)
        idx[c] = r * width + np.clip(cols[c], 0, width - 1).astype(np.int64)
    return idx, wt, dh, dw


def scatter_add(size, index, weights):
    """A float64 vector of `size` with `weights` summed at flat `index` (one bincount)."""
    return np.bincount(index.ravel(), weights=weights.ravel().astype(np.float64),
                       minlength=size)


# ----------------------------------------------------------------------------- convolution
class _DeformableConvBase(Operator):
    """Geometry, shapes and kernels shared by DCNv1 and DCNv2 (the latter has a mask)."""
    modulated = False
    style = 'dcn'
    backward_uses_outputs = False

    def list_arguments(self, p):
        names = ['data', 'offset'] + (['mask'] if self.modulated else []) + ['weight']
        return names if p.no_bias else names + ['bias']

    def geometry(self, p):
        kernel = tuple(p.kernel)
        shape_check(len(kernel) == 2 and all(k > 0 for k in kernel),
                    '%s supports 2-D kernels only: kernel must be two positive ints (h, w), '
                    'got %s', self.name, kernel)
        shape_check(p.layout in (None, 'NCHW'), "%s supports layout 'NCHW' only, got %s",
                    self.name, p.layout)
        out = [kernel]
        for name, default in (('stride', 1), ('dilate', 1), ('pad', 0)):
            value = tuple(getattr(p, name)) or (default,) * 2
            shape_check(len(value) == 2 and all(v >= (1 if default else 0) for v in value),
                        '%s %s must be two %s ints (h, w)', name, value,
                        'positive' if default else 'non-negative')
            out.append(value)
        for name in ('num_filter', 'num_group', 'num_deformable_group'):
            shape_check(getattr(p, name) > 0, '%s must be positive, got %d', name,
                        getattr(p, name))
        shape_check(p.num_filter % p.num_group == 0,
                    'num_filter (%d) must be divisible by num_group (%d)',
                    p.num_filter, p.num_group)
        return out

    def infer_shape(self, p, in_shapes):
        kernel, stride, dilate, pad = self.geometry(p)
        shapes = [None if s is None else tuple(s) for s in in_shapes]
        names = self.list_arguments(p)
        f, groups, dg = p.num_filter, p.num_group, p.num_deformable_group
        taps = kernel[0] * kernel[1]
        if not p.no_bias:
            b = shapes[-1]
            shape_check(not _known(b) or b == (f,), "input 'bias' has shape %s but expected "
                        "(%d,) (num_filter=%d)", b, f, f)
            shapes[-1] = (f,)
        data = shapes[0]
        if not _known(data):
            return shapes, [None]
        shape_check(len(data) == 4, "input 'data' has shape %s; %s needs 4-D NCHW data",
                    data, self.name)
        n, c, height, width = data
        shape_check(c % groups == 0, "input 'data' has %d channels, not divisible by "
                    "num_group=%d", c, groups)
        shape_check(c % dg == 0, "input 'data' has %d channels, not divisible by "
                    "num_deformable_group=%d", c, dg)
        out_sp = tuple((s + 2 * pd - (d * (k - 1) + 1)) // st + 1 for s, pd, d, k, st in
                       zip((height, width), pad, dilate, kernel, stride))
        shape_check(all(o > 0 for o in out_sp), "input 'data' has shape %s: kernel %s "
                    "(dilate %s, pad %s) does not fit; output would be %s", data, kernel,
                    dilate, pad, out_sp)
        want = {'offset': (n, dg * 2 * taps) + out_sp, 'mask': (n, dg * taps) + out_sp,
                'weight': (f, c // groups) + kernel}
        for i, name in enumerate(names):
            if name in want:
                s = shapes[i]
                shape_check(not _known(s) or s == want[name], "input '%s' has shape %s but "
                            "expected %s (data %s, kernel %s, num_deformable_group=%d, "
                            "num_group=%d)", name, s, want[name], data, kernel, dg, groups)
                shapes[i] = want[name]
        return shapes, [(n, f) + out_sp]

    # ---- kernels
    def _split(self, p, inputs):
        x, offset = inputs[0], inputs[1]
        mask = inputs[2] if self.modulated else None
        w = inputs[3 if self.modulated else 2]
        return x, offset, mask, w

    def _sample(self, p, x, offset):
        """Sampling corners (4, N, dg, K, P) and the data as (N, dg, H*W, C/dg)."""
        kernel, stride, dilate, pad = self.geometry(p)
        n, c, height, width = x.shape
        dg, taps = p.num_deformable_group, kernel[0] * kernel[1]
        out_sp = offset.shape[2:]
        ct = _work_dtype(x.dtype)
        off = offset.reshape(n, dg, taps, 2, -1).astype(ct, copy=False)
        ki, kj = np.divmod(np.arange(taps), kernel[1])
        oi, oj = np.divmod(np.arange(out_sp[0] * out_sp[1]), out_sp[1])
        base_h = (oi * stride[0] - pad[0])[None, :] + (ki * dilate[0])[:, None]  # (K, P)
        base_w = (oj * stride[1] - pad[1])[None, :] + (kj * dilate[1])[:, None]
        h = off[:, :, :, 0] + base_h.astype(ct)
        w = off[:, :, :, 1] + base_w.astype(ct)
        corners = bilinear(h, w, height, width, self.style)
        xt = x.reshape(n, dg, c // dg, height * width).swapaxes(2, 3)
        return corners, xt

    @staticmethod
    def _gather(xt, idx):
        """xt (N, dg, HW, Cd) at corner indices idx (N, dg, K, P) -> (N, dg, K, P, Cd)."""
        n, dg = xt.shape[:2]
        return xt[np.arange(n)[:, None, None, None], np.arange(dg)[None, :, None, None], idx]

    def _columns(self, xt, corners, ct):
        idx, wt = corners[0], corners[1]
        cols = 0
        for c in range(4):
            cols = cols + wt[c][..., None] * self._gather(xt, idx[c]).astype(ct, copy=False)
        return cols                                                  # (N, dg, K, P, Cd)

    @staticmethod
    def _to_gemm(cols, groups):
        """(N, dg, K, P, Cd) -> (G, Cg*K, N*P), channel-major as the weight is laid out."""
        n, dg, k, pix, cd = cols.shape
        out = cols.transpose(1, 4, 2, 0, 3).reshape(dg * cd, k, n, pix)
        return out.reshape(groups, -1, n * pix)

    @staticmethod
    def _from_gemm(cols, shape):
        n, dg, k, pix, cd = shape
        return cols.reshape(dg, cd, k, n, pix).transpose(3, 0, 2, 4, 1)

    def forward(self, p, inputs, outputs, ctx):
        x, offset, mask, w = self._split(p, inputs)
        ct = _work_dtype(x.dtype)
        corners, xt = self._sample(p, x, offset)
        cols = self._columns(xt, corners, ct)
        if mask is not None:
            n, dg, k = cols.shape[:3]
            cols = cols * mask.reshape(n, dg, k, -1, 1).astype(ct, copy=False)
        groups, f = p.num_group, p.num_filter
        out = np.matmul(w.reshape(groups, f // groups, -1).astype(ct, copy=False),
                        self._to_gemm(cols, groups))                 # (G, F/G, N*P)
        n = x.shape[0]
        out = out.reshape(f, n, -1).swapaxes(0, 1)
        if not p.no_bias:
            out = out + inputs[-1].astype(ct, copy=False)[None, :, None]
        outputs[0][...] = out.reshape(outputs[0].shape)

    def backward(self, p, ograds, inputs, outputs, ctx):
        x, offset, mask, w = self._split(p, inputs)
        ct = _work_dtype(x.dtype)
        n, c, height, width = x.shape
        groups, f = p.num_group, p.num_filter
        (idx, wt, dwh, dww), xt = self._sample(p, x, offset)
        raw = self._columns(xt, (idx, wt), ct)                       # unmasked columns
        shape = raw.shape
        cols = raw
        if mask is not None:
            m = mask.reshape(shape[:3] + (-1, 1)).astype(ct, copy=False)
            cols = raw * m
        dy = ograds[0].astype(ct, copy=False).reshape(n, f, -1).swapaxes(0, 1)
        dy = dy.reshape(groups, f // groups, -1)                     # (G, F/G, N*P)
        wg = w.reshape(groups, f // groups, -1).astype(ct, copy=False)
        dw = np.matmul(dy, self._to_gemm(cols, groups).swapaxes(1, 2)).reshape(w.shape)
        dcols = self._from_gemm(np.matmul(wg.swapaxes(1, 2), dy), shape)
        grads = {}
        if mask is not None:
            grads['mask'] = (dcols * raw).sum(-1).reshape(mask.shape)
            dcols = dcols * m
        # data: every corner takes its weight's share of its column's gradient
        dg, cd = shape[1], shape[4]
        rows = (np.arange(n)[:, None, None, None] * dg
                + np.arange(dg)[None, :, None, None]) * (height * width)
        flat = ((rows + idx)[..., None] * cd + np.arange(cd))        # (4, N, dg, K, P, Cd)
        share = wt[..., None] * dcols
        dxt = scatter_add(n * dg * height * width * cd, flat, share)
        grads['data'] = dxt.reshape(n, dg, height * width, cd).swapaxes(2, 3).reshape(x.shape)
        # offset: the corner values times the weights' derivatives, summed over channels
        doff = np.zeros(shape[:4] + (2,), ct)
        for k in range(4):
            val = (self._gather(xt, idx[k]).astype(ct, copy=False) * dcols).sum(-1)
            doff[..., 0] += dwh[k] * val
            doff[..., 1] += dww[k] * val
        grads['offset'] = doff.swapaxes(3, 4).reshape(offset.shape)
        grads['weight'] = dw
        if not p.no_bias:
            grads['bias'] = ograds[0].sum(axis=(0, 2, 3), dtype=ct)
        return [None if name not in grads else grads[name].astype(inputs[i].dtype, copy=False)
                for i, name in enumerate(self.list_arguments(p))]


def _dcn_params(modulated):
    params = {
        'kernel': Shape(doc='Kernel size (h, w).'),
        'stride': Shape((), doc='Stride (h, w); defaults to 1.'),
        'dilate': Shape((), doc='Dilation (h, w); defaults to 1.'),
        'pad': Shape((), doc='Zero padding (h, w); defaults to 0.'),
        'num_filter': Int(doc='Number of output channels.'),
        'num_group': Int(1, doc='Groups the channels are split into.'),
        'num_deformable_group': Int(1, doc='Groups of channels sharing one offset field.'),
        'workspace': Int(1024, doc='Workspace limit in MB (unused).'),
        'no_bias': Bool(False, doc='Whether to disable the bias.'),
    }
    if modulated:
        params['im2col_step'] = Int(64, doc='Images per im2col pass in MXNet (unused here).')
    params['layout'] = Enum(('NCDHW', 'NCHW', 'NCW'), None, allow_none=True,
                            doc="Data layout; only 'NCHW' is supported.")
    return params


@register
class DeformableConvolution(_DeformableConvBase):
    """Deformable convolution (DCNv1, Dai et al. 2017) (contrib).

    Like a 2-D `Convolution`, but kernel tap ``(i, j)`` of output pixel ``(y, x)`` reads
    the input at ``(y * stride - pad + i * dilate + dy, x * stride - pad + j * dilate +
    dx)`` by bilinear interpolation, where ``dy, dx`` come from ``offset`` (N,
    num_deformable_group * 2 * kh * kw, Ho, Wo): channel ``(g * kh * kw + i * kw + j) * 2``
    holds ``dy`` for the channels of deformable group ``g``, the next one ``dx``. A point
    reads only when ``0 <= row < H`` and ``0 <= col < W`` (else 0); at or past the last
    row or column it reads that row or column. Gradients go to data, offset, weight and
    bias. Only 'NCHW' is supported.

    Examples
    --------
    >>> x = mx.nd.arange(9).reshape((1, 1, 3, 3))
    >>> offset = mx.nd.full((1, 2, 3, 3), 0.5)
    >>> mx.nd.contrib.DeformableConvolution(x, offset, mx.nd.ones((1, 1, 1, 1)),
    ...     mx.nd.zeros(1), kernel=(1, 1), num_filter=1).asnumpy()
    array([[[[2. , 3. , 3.5],
             [5. , 6. , 6.5],
             [6.5, 7.5, 8. ]]]], dtype=float32)
    """
    name = '_contrib_DeformableConvolution'
    params = _dcn_params(False)


@register
class ModulatedDeformableConvolution(_DeformableConvBase):
    """Modulated deformable convolution (DCNv2, Zhu et al. 2018) (contrib).

    `DeformableConvolution` with a ``mask`` (N, num_deformable_group * kh * kw, Ho, Wo)
    that scales each sampled value (channel ``g * kh * kw + i * kw + j`` for tap ``(i, j)``
    of deformable group ``g``). A point reads when ``-1 < row < H`` and ``-1 < col < W``;
    corners outside the map read 0. Gradients go to data, offset, mask, weight and bias.

    Examples
    --------
    >>> x = mx.nd.arange(9).reshape((1, 1, 3, 3))
    >>> offset = mx.nd.full((1, 2, 3, 3), 0.5)
    >>> mask = mx.nd.full((1, 1, 3, 3), 2)
    >>> mx.nd.contrib.ModulatedDeformableConvolution(x, offset, mask,
    ...     mx.nd.ones((1, 1, 1, 1)), mx.nd.zeros(1), kernel=(1, 1), num_filter=1).asnumpy()
    array([[[[ 4. ,  6. ,  3.5],
             [10. , 12. ,  6.5],
             [ 6.5,  7.5,  4. ]]]], dtype=float32)
    """
    name = '_contrib_ModulatedDeformableConvolution'
    params = _dcn_params(True)
    modulated = True
    style = 'mdcn'


# ----------------------------------------------------------------------------- PS-ROI pooling
def _c_round(v):
    """C's round(): halves away from zero."""
    return np.sign(v) * np.floor(np.abs(v) + v.dtype.type(0.5))


@register
class DeformablePSROIPooling(Operator):
    """Deformable position-sensitive ROI pooling (Deformable R-FCN) (contrib).

    ``data`` is (N, output_dim * group_size**2, H, W); ``rois`` (R, 5) rows are
    ``[batch_index, x1, y1, x2, y2]`` in image coordinates and ``trans`` (R, 2 *
    num_classes, part_size, part_size) moves each bin (absent when ``no_trans``). A ROI
    spans ``round(x1) * spatial_scale - 0.5`` to ``(round(x2) + 1) * spatial_scale - 0.5``
    (at least 0.1; rows alike) and is cut into ``pooled_size`` x ``pooled_size`` bins.
    Bin ``(i, j)`` of output channel ``c`` is shifted by ``trans_std * trans[r, 2 * cls +
    {0: x, 1: y}, pi, pj] * roi_{width, height}`` with ``cls = c // (output_dim //
    num_classes)``, ``pi = floor(i / pooled_size * part_size)`` (``pj`` alike), and
    averages ``sample_per_part**2`` bilinear samples of input channel ``(c * group_size +
    gi) * group_size + gj`` (``gi = floor(i * group_size / pooled_size)``); samples more
    than half a pixel outside the map are skipped, the others are clamped into it, and a
    bin with no sample is 0. ``part_size=0`` means ``pooled_size``. Output (R,
    output_dim, pooled_size, pooled_size); gradients go to ``data`` and ``trans``.

    Examples
    --------
    >>> x = mx.nd.arange(16).reshape((1, 1, 4, 4))
    >>> rois = mx.nd.array([[0, 0, 0, 3, 3]])
    >>> mx.nd.contrib.DeformablePSROIPooling(x, rois, spatial_scale=1.0, output_dim=1,
    ...     group_size=1, pooled_size=2, sample_per_part=2, no_trans=True).asnumpy()
    array([[[[ 1.25,  3.  ],
             [ 8.25, 10.  ]]]], dtype=float32)
    """
    name = '_contrib_DeformablePSROIPooling'
    params = {
        'spatial_scale': Float(doc='Feature-map size / image size.'),
        'output_dim': Int(doc='Output channels.'),
        'group_size': Int(doc='Position groups per side.'),
        'pooled_size': Int(doc='Bins per side of each ROI.'),
        'part_size': Int(0, doc='Cells per side of trans; 0: pooled_size.'),
        'sample_per_part': Int(1, doc='Samples per side of each bin.'),
        'trans_std': Float(0.0, doc='Scale of trans.'),
        'no_trans': Bool(False, doc='Pool without trans (the input is then absent).'),
    }
    nograd_inputs = (1,)
    backward_uses_outputs = False

    def list_arguments(self, p):
        return ['data', 'rois'] if p.no_trans else ['data', 'rois', 'trans']

    def list_outputs(self, p):
        return ['output', 'top_count']

    def num_visible_outputs(self, p):
        return 1

    @staticmethod
    def _check(p):
        for name in ('output_dim', 'group_size', 'pooled_size', 'sample_per_part'):
            shape_check(getattr(p, name) > 0, '%s must be positive, got %d', name,
                        getattr(p, name))
        shape_check(p.part_size >= 0, 'part_size must be >= 0, got %d', p.part_size)
        return p.part_size or p.pooled_size

    def infer_shape(self, p, in_shapes):
        part = self._check(p)
        shapes = [None if s is None else tuple(s) for s in in_shapes]
        data, rois = shapes[0], shapes[1]
        if _known(data):
            need = p.output_dim * p.group_size ** 2
            shape_check(len(data) == 4 and data[1] == need, "input 'data' has shape %s: "
                        "DeformablePSROIPooling needs 4-D maps with output_dim * "
                        "group_size**2 = %d channels", data, need)
        if _known(rois):
            shape_check(len(rois) == 2 and rois[1] == 5, "input 'rois' has shape %s; expected "
                        "(num_rois, 5) rows of [batch_index, x1, y1, x2, y2]", rois)
        if not p.no_trans and _known(shapes[2]):
            tr = shapes[2]
            ok = (len(tr) == 4 and tr[1] > 0 and tr[1] % 2 == 0 and tr[2:] == (part, part)
                  and p.output_dim % (tr[1] // 2) == 0
                  and (not _known(rois) or tr[0] == rois[0]))
            shape_check(ok, "input 'trans' has shape %s; expected (num_rois, 2 * "
                        "num_classes, %d, %d) with output_dim=%d divisible by num_classes",
                        tr, part, part, p.output_dim)
        if not (_known(data) and _known(rois)):
            return shapes, [None, None]
        k = p.pooled_size
        out = (rois[0], p.output_dim, k, k)
        return shapes, [out, out]

    def _samples(self, p, x, rois, trans):
        """Corners (4, R, D, k, k, S, S) of every sample, sample validity, count per bin,
        and what the trans gradient needs (class/part indices and ROI sizes)."""
        part = self._check(p)
        n, c, height, width = x.shape
        k, s, group, dim = p.pooled_size, p.sample_per_part, p.group_size, p.output_dim
        ct = _work_dtype(x.dtype)
        box = _c_round(rois[:, 1:5].astype(ct))
        scale, half = ct.type(p.spatial_scale), ct.type(0.5)
        x0, y0 = box[:, 0] * scale - half, box[:, 1] * scale - half
        x1, y1 = (box[:, 2] + 1) * scale - half, (box[:, 3] + 1) * scale - half
        roi_w = np.maximum(x1 - x0, ct.type(0.1))
        roi_h = np.maximum(y1 - y0, ct.type(0.1))
        bin_w, bin_h = roi_w / ct.type(k), roi_h / ct.type(k)
        idx = np.arange(k)
        cell = np.floor(idx.astype(ct) / ct.type(k) * ct.type(part)).astype(np.int64)
        classes = 1 if p.no_trans else trans.shape[1] // 2
        cls = np.arange(dim) // (dim // classes)                              # (D,)
        r = len(rois)
        if p.no_trans:
            tx = ty = np.zeros((r, dim, k, k), ct)
        else:
            tr = trans.astype(ct, copy=False)
            sel = (np.arange(r)[:, None, None, None], 2 * cls[None, :, None, None],
                   cell[None, None, :, None], cell[None, None, None, :])
            tx = tr[sel] * ct.type(p.trans_std)
            ty = tr[sel[:1] + (sel[1] + 1,) + sel[2:]] * ct.type(p.trans_std)
        fr = np.arange(s, dtype=ct)
        ex = (slice(None), None, None, None, None, None)
        wstart = (idx.astype(ct)[None, None, None, :] * bin_w[:, None, None, None]
                  + x0[:, None, None, None] + tx * roi_w[:, None, None, None])
        hstart = (idx.astype(ct)[None, None, :, None] * bin_h[:, None, None, None]
                  + y0[:, None, None, None] + ty * roi_h[:, None, None, None])
        ws = wstart[..., None, None] + fr[None, :] * (bin_w / ct.type(s))[ex]
        hs = hstart[..., None, None] + fr[:, None] * (bin_h / ct.type(s))[ex]
        ws, hs = np.broadcast_arrays(ws, hs)
        valid = ((ws >= -half) & (ws <= ct.type(width) - half)
                 & (hs >= -half) & (hs <= ct.type(height) - half))
        batch, ok = _batch_index(rois, n)
        valid &= ok[ex]
        corners = bilinear(np.clip(hs, 0, height - 1), np.clip(ws, 0, width - 1), height,
                           width, 'clamped')
        for a in corners[1:]:
            a[:, ~valid] = 0
        g = np.clip(idx * group // k, 0, group - 1)
        chan = (np.arange(dim)[:, None, None] * group + g[:, None]) * group + g[None, :]
        plane = (np.where(ok, batch, 0)[:, None, None, None] * c + chan[None]) * \
            (height * width)                                                  # (R, D, k, k)
        count = valid.sum(axis=(-2, -1))
        return corners, plane[..., None, None], count, (cls, cell, roi_w, roi_h, classes)

    def forward(self, p, inputs, outputs, ctx):
        x, rois = inputs[0], inputs[1]
        trans = None if p.no_trans else inputs[2]
        (idx, wt, _, _), plane, count, _ = self._samples(p, x, rois, trans)
        flat = x.reshape(-1)
        ct = wt.dtype
        total = sum(wt[c] * flat[plane + idx[c]].astype(ct, copy=False) for c in range(4))
        total = total.sum(axis=(-2, -1))
        outputs[0][...] = np.where(count > 0, total / np.maximum(count, 1), 0)
        outputs[1][...] = count

    def backward(self, p, ograds, inputs, outputs, ctx):
        x, rois = inputs[0], inputs[1]
        trans = None if p.no_trans else inputs[2]
        (idx, wt, dh, dw), plane, count, (cls, cell, roi_w, roi_h, classes) = \
            self._samples(p, x, rois, trans)
        ct = wt.dtype
        share = np.where(count > 0, ograds[0].astype(ct, copy=False) / np.maximum(count, 1),
                         0)[..., None, None]                                  # (R, D, k, k, 1, 1)
        dx = scatter_add(x.size, plane + idx, wt * share).reshape(x.shape)
        grads = [dx.astype(x.dtype), None]
        if p.no_trans:
            return grads
        flat = x.reshape(-1)
        vals = [flat[plane + idx[c]].astype(ct, copy=False) for c in range(4)]
        gx = sum(dw[c] * vals[c] for c in range(4)) * share
        gy = sum(dh[c] * vals[c] for c in range(4)) * share
        std = ct.type(p.trans_std)
        gx = gx.sum(axis=(-2, -1)) * std * roi_w[:, None, None, None]         # (R, D, k, k)
        gy = gy.sum(axis=(-2, -1)) * std * roi_h[:, None, None, None]
        r, part = len(rois), trans.shape[2]
        k = p.pooled_size
        # many (channel, bin) pairs share one trans cell: sum them with one bincount
        base = ((np.arange(r)[:, None, None, None] * classes + cls[None, :, None, None]) * 2
                * part + cell[None, None, :, None]) * part + cell[None, None, None, :]
        base = np.broadcast_to(base, (r, len(cls), k, k))
        dtr = (scatter_add(trans.size, base, gx)
               + scatter_add(trans.size, base + part * part, gy))
        grads.append(dtr.reshape(trans.shape).astype(trans.dtype))
        return grads
