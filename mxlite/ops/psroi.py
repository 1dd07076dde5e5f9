"""Position-sensitive ROI pooling (R-FCN), contrib.

Every output value is the mean of one rectangle of one input channel, so both passes run
on summed-area tables: the forward pass reads each bin's sum from four corners of the
cumulative sum of its channel, and the backward pass writes each bin's share into four
corners of a difference array that two cumulative sums turn back into the gradient. Both
are vectorised over all ROIs, channels and bins at once.
"""
import numpy as np

from .detection import _batch_index, _roi_shapes, _work_dtype
from .registry import Float, Int, Operator, register, shape_check


def _c_round(v):
    """C's round(): halves away from zero (np.round would take them to even)."""
    return np.sign(v) * np.floor(np.abs(v) + v.dtype.type(0.5))


@register
class PSROIPooling(Operator):
    """Position-sensitive ROI average pooling (R-FCN) (contrib).

    ``data`` is (N, output_dim * group_size**2, H, W) and ``rois`` (R, 5) rows are
    ``[batch_index, x1, y1, x2, y2]`` in image coordinates. A ROI spans
    ``round(x1) * spatial_scale`` to ``(round(x2) + 1) * spatial_scale`` (rounding halves
    away from zero; at least 0.1 wide and high) and is cut into ``pooled_size`` x
    ``pooled_size`` bins; bin ``(i, j)`` covers rows ``floor(i * bin_h + y0)`` to
    ``ceil((i + 1) * bin_h + y0)`` (clipped to the map; columns alike). Output channel
    ``c`` of bin ``(i, j)`` averages input channel ``(c * group_size + gi) * group_size +
    gj`` over the bin, with ``gi = floor(i * group_size / pooled_size)`` (``gj`` alike);
    ``group_size=0`` means ``pooled_size``. An empty bin, or a ROI whose batch index
    names no image, gives 0. The output is (R, output_dim, pooled_size, pooled_size);
    the gradient goes to ``data`` only, spread evenly over each bin.

    The channel count must be ``output_dim * group_size**2`` (MXNet 1.9.1 does not check
    it and reads past the data when it is smaller).

    Examples
    --------
    >>> x = mx.nd.arange(36).reshape((1, 4, 3, 3))
    >>> rois = mx.nd.array([[0, 0, 0, 2, 2]])
    >>> mx.nd.contrib.PSROIPooling(x, rois, spatial_scale=1.0, output_dim=1,
    ...                            pooled_size=2).asnumpy()
    array([[[[ 2., 12.],
             [23., 33.]]]], dtype=float32)
    """
    name = '_contrib_PSROIPooling'
    params = {
        'spatial_scale': Float(doc='Feature-map size / image size.'),
        'output_dim': Int(doc='Output channels.'),
        'pooled_size': Int(doc='Bins per side of each ROI.'),
        'group_size': Int(0, doc='Position groups per side; 0: pooled_size.'),
    }
    nograd_inputs = (1,)
    backward_uses_outputs = False

    def list_arguments(self, p):
        return ['data', 'rois']

    @staticmethod
    def _group(p):
        shape_check(p.pooled_size > 0, 'pooled_size must be positive, got %d', p.pooled_size)
        shape_check(p.output_dim > 0, 'output_dim must be positive, got %d', p.output_dim)
        shape_check(p.group_size >= 0, 'group_size must be >= 0, got %d', p.group_size)
        return p.group_size or p.pooled_size

    def infer_shape(self, p, in_shapes):
        group = self._group(p)
        shapes = _roi_shapes(in_shapes, 'PSROIPooling')
        if shapes is None:
            return in_shapes, [None]
        data, rois = shapes
        need = p.output_dim * group * group
        shape_check(data[1] == need, "input 'data' has shape %s: PSROIPooling with "
                    "output_dim=%d and group_size=%d needs output_dim * group_size**2 = %d "
                    "channels, got %d", data, p.output_dim, group, need, data[1])
        k = p.pooled_size
        return [data, rois], [(rois[0], p.output_dim, k, k)]

    def _bins(self, p, x, rois):
        """Per ROI and bin: image, clipped [start, end) rows and columns, source channels
        (R, D, k, k) and 1/area (0 for an empty bin or a ROI naming no image)."""
        n, c, h, w = x.shape
        k, group = p.pooled_size, self._group(p)
        ct = _work_dtype(x.dtype)
        box = _c_round(rois[:, 1:5].astype(ct))
        scale = ct.type(p.spatial_scale)
        x0, y0 = box[:, 0] * scale, box[:, 1] * scale
        x1, y1 = (box[:, 2] + 1) * scale, (box[:, 3] + 1) * scale
        tenth = ct.type(0.1)
        bin_h = np.maximum(y1 - y0, tenth) / ct.type(k)
        bin_w = np.maximum(x1 - x0, tenth) / ct.type(k)
        i = np.arange(k, dtype=ct)[None, :]
        spans = []
        for lo, size, limit in ((y0, bin_h, h), (x0, bin_w, w)):
            start = np.floor(i * size[:, None] + lo[:, None]).astype(np.int64)
            end = np.ceil((i + 1) * size[:, None] + lo[:, None]).astype(np.int64)
            spans.append((np.clip(start, 0, limit), np.clip(end, 0, limit)))     # (R, k)
        (hs, he), (ws, we) = spans
        g = np.clip(np.arange(k) * group // k, 0, group - 1)
        chan = ((np.arange(p.output_dim)[:, None, None] * group + g[:, None]) * group
                + g[None, :])                                                   # (D, k, k)
        area = (he - hs)[:, :, None] * (we - ws)[:, None, :]                   # (R, k, k)
        batch, ok = _batch_index(rois, n)
        with np.errstate(divide='ignore'):
            inv = np.where((area > 0) & ok[:, None, None], 1.0 / area, 0.0)
        return np.where(ok, batch, 0), hs, he, ws, we, chan, inv

    @staticmethod
    def _corners(b, hs, he, ws, we, chan):
        """Broadcast (R, D, k, k) indices of a bin's four corners in the (N, C, H+1, W+1)
        table, with the sign each corner takes in the bin's sum."""
        b = b[:, None, None, None]
        ch = chan[None]
        rows = (hs[:, None, :, None], he[:, None, :, None])
        cols = (ws[:, None, None, :], we[:, None, None, :])
        return [((b, ch, rows[a], cols[c]), 1 if a == c else -1)
                for a in (0, 1) for c in (0, 1)]

    def forward(self, p, inputs, outputs, ctx):
        x, rois = inputs
        n, c, h, w = x.shape
        b, hs, he, ws, we, chan, inv = self._bins(p, x, rois)
        table = np.zeros((n, c, h + 1, w + 1), np.float64)
        np.cumsum(np.cumsum(x, axis=2, dtype=np.float64), axis=3, out=table[:, :, 1:, 1:])
        total = 0
        for index, sign in self._corners(b, hs, he, ws, we, chan):
            total = total + sign * table[index]
        outputs[0][...] = total * inv[:, None]

    def backward(self, p, ograds, inputs, outputs, ctx):
        x, rois = inputs
        n, c, h, w = x.shape
        b, hs, he, ws, we, chan, inv = self._bins(p, x, rois)
        share = ograds[0].astype(np.float64) * inv[:, None]                     # (R, D, k, k)
        diff = np.zeros((n, c, h + 1, w + 1), np.float64)
        for (bi, ch, row, col), sign in self._corners(b, hs, he, ws, we, chan):
            flat = np.ravel_multi_index(np.broadcast_arrays(bi, ch, row, col), diff.shape)
            diff.ravel()[:] += np.bincount(flat.ravel(), weights=(sign * share).ravel(),
                                           minlength=diff.size)
        grad = np.cumsum(np.cumsum(diff, axis=2), axis=3)[:, :, :h, :w]
        return [grad.astype(x.dtype), None]
