"""Rotated ROI align (RROIAlign), contrib.

Each output bin averages a grid of bilinear samples taken in the ROI's rotated frame. The
grid size may differ per ROI (adaptive sampling), so ROIs are grouped by grid size and
each group is sampled at once over all its ROIs, channels, bins and grid points; the
data gradient scatters the same bilinear weights back with one bincount per group.
"""
import numpy as np

from ._util import known as _known
from .deformable import bilinear, scatter_add
from .detection import _batch_index, _pooled, _work_dtype
from .registry import Float, Int, Operator, Shape, register, shape_check


@register
class RROIAlign(Operator):
    """Rotated ROI align (contrib).

    ``rois`` (R, 6) rows are ``[batch_index, center_x, center_y, width, height, angle]``
    in image coordinates, ``angle`` in degrees counter-clockwise. Scaled by
    ``spatial_scale`` (width and height at least 1), each ROI is cut into ``pooled_size``
    (h, w) bins in its own frame; a bin averages ``sampling_ratio`` x ``sampling_ratio``
    samples (``sampling_ratio <= 0``: ``ceil(roi size / pooled size)`` per axis) at grid
    cell centres ``(xx, yy)`` relative to the ROI centre, read at ``x = xx * cos + yy *
    sin + cx``, ``y = yy * cos - xx * sin + cy`` by ROIAlign's bilinear rule (0 beyond one
    pixel outside the map, clamped to the map otherwise). Output (R, C, ph, pw).

    MXNet 1.9.1 registers no gradient for this op; here the gradient goes to ``data``
    (the bilinear weights scattered back), none to ``rois``.

    Examples
    --------
    >>> x = mx.nd.arange(16).reshape((1, 1, 4, 4))
    >>> rois = mx.nd.array([[0, 1.5, 1.5, 2, 2, 90]])
    >>> mx.nd.contrib.RROIAlign(x, rois, pooled_size=(2, 2), spatial_scale=1.0,
    ...                         sampling_ratio=1).asnumpy()
    array([[[[ 9.,  5.],
             [10.,  6.]]]], dtype=float32)
    """
    name = '_contrib_RROIAlign'
    params = {
        'pooled_size': Shape(doc='Output size (h, w).'),
        'spatial_scale': Float(low=0.0, high=1.0, doc='Feature-map size / image size.'),
        'sampling_ratio': Int(-1, doc='Samples per bin side; <= 0: adaptive.'),
    }
    nograd_inputs = (1,)
    backward_uses_outputs = False

    def list_arguments(self, p):
        return ['data', 'rois']

    def infer_shape(self, p, in_shapes):
        ph, pw = _pooled(p)
        data, rois = [None if s is None else tuple(s) for s in in_shapes]
        if _known(data):
            shape_check(len(data) == 4, "input 'data' has shape %s; RROIAlign needs 4-D "
                        "feature maps (batch, channel, height, width)", data)
        if _known(rois):
            shape_check(len(rois) == 2 and rois[1] == 6, "input 'rois' has shape %s; "
                        "expected (num_rois, 6) rows of [batch_index, center_x, center_y, "
                        "width, height, angle]", rois)
        if not (_known(data) and _known(rois)):
            return [data, rois], [None]
        return [data, rois], [(rois[0], data[1], ph, pw)]

    def _groups(self, p, x, rois):
        """Per group of ROIs sharing a grid size: (roi indices, flat plane offsets (r, 1,
        1, 1, 1, 1), corners (4, r, ph, pw, gh, gw) tuple, 1 / samples per bin)."""
        ph, pw = _pooled(p)
        n, c, height, width = x.shape
        ct = _work_dtype(x.dtype)
        r = rois.astype(ct)
        scale = ct.type(p.spatial_scale)
        cx, cy = r[:, 1] * scale, r[:, 2] * scale
        rw = np.maximum(r[:, 3] * scale, ct.type(1))
        rh = np.maximum(r[:, 4] * scale, ct.type(1))
        theta = r[:, 5] * ct.type(np.pi / 180.0)
        cos, sin = np.cos(theta), np.sin(theta)
        bin_h, bin_w = rh / ct.type(ph), rw / ct.type(pw)
        if p.sampling_ratio > 0:
            grid = np.full((len(rois), 2), p.sampling_ratio, np.int64)
        else:
            grid = np.stack([np.ceil(rh / ct.type(ph)), np.ceil(rw / ct.type(pw))],
                            1).astype(np.int64)
        batch, ok = _batch_index(rois, n)
        plane = np.where(ok, batch, 0) * c
        for gh, gw in sorted(set(map(tuple, grid.tolist()))):
            sel = np.flatnonzero((grid[:, 0] == gh) & (grid[:, 1] == gw))
            e = (slice(None),) + (None,) * 4
            iy = (np.arange(gh, dtype=ct) + ct.type(0.5)) / ct.type(gh)
            ix = (np.arange(gw, dtype=ct) + ct.type(0.5)) / ct.type(gw)
            yy = (-rh[sel] / 2)[e] + bin_h[sel][e] * (
                np.arange(ph, dtype=ct)[:, None, None, None] + iy[:, None])
            xx = (-rw[sel] / 2)[e] + bin_w[sel][e] * (
                np.arange(pw, dtype=ct)[:, None, None] + ix)
            yy, xx = np.broadcast_arrays(yy, xx)                    # (r, ph, pw, gh, gw)
            xs = xx * cos[sel][e] + yy * sin[sel][e] + cx[sel][e]
            ys = yy * cos[sel][e] - xx * sin[sel][e] + cy[sel][e]
            idx, wt, _, _ = bilinear(ys, xs, height, width, 'align')
            wt[:, ~ok[sel]] = 0
            yield sel, plane[sel], idx, wt, ct.type(1) / ct.type(max(gh * gw, 1))

    def forward(self, p, inputs, outputs, ctx):
        x, rois = inputs
        n, c, height, width = x.shape
        out = outputs[0]
        out[...] = 0
        planes = x.reshape(n * c, height * width)
        chans = np.arange(c)
        for sel, plane, idx, wt, inv in self._groups(p, x, rois):
            total = 0
            for k in range(4):
                # (r, C, ph, pw, gh, gw): channel axis second, as the output is laid out
                vals = planes[(plane[:, None] + chans)[:, :, None, None, None, None],
                              idx[k][:, None]]
                total = total + wt[k][:, None] * vals
            out[sel] = total.sum(axis=(-2, -1)) * inv

    def backward(self, p, ograds, inputs, outputs, ctx):
        x, rois = inputs
        n, c, height, width = x.shape
        chans = np.arange(c)
        grad = np.zeros(x.size, np.float64)
        for sel, plane, idx, wt, inv in self._groups(p, x, rois):
            g = ograds[0][sel][..., None, None] * inv                  # (r, C, ph, pw, 1, 1)
            base = ((plane[:, None] + chans) * (height * width))[:, :, None, None, None, None]
            for k in range(4):
                flat = np.broadcast_to(base + idx[k][:, None], g.shape[:4] + idx.shape[-2:])
                grad += scatter_add(x.size, flat, wt[k][:, None] * g)
        return [grad.reshape(x.shape).astype(x.dtype), None]
