"""Region proposals of a Faster R-CNN RPN (contrib Proposal, MultiProposal).

Per image, as MXNet 1.9.1's CPU kernel: anchors (ratios outer, scales inner, around a
``feature_stride`` square) are laid over every feature-map cell (row-major cells, anchors
innermost), moved by the predicted deltas, clipped to the image, and the ones narrower or
lower than ``rpn_min_size * scale`` get score -1 (and are grown by that size); cells
outside ``im_info``'s height/width (in stride units) also get -1. The boxes are sorted by
score (descending), the first ``rpn_pre_nms_top_n`` go through greedy NMS (pixel-inclusive
IoU, suppress when IoU > threshold) until ``rpn_post_nms_top_n`` are kept, and when fewer
survive the kept list is repeated cyclically to fill the output. All arithmetic is float32,
in MXNet's order, so that NMS decisions agree. The ops have no gradient (zeros).
"""
import numpy as np

from ..base import MXNetError
from ._util import known as _known
from .registry import Bool, Float, FloatTuple, Int, Operator, register, shape_check

_F = np.float32


def _anchors(stride, ratios, scales):
    """(len(ratios) * len(scales), 4) anchors [x1, y1, x2, y2] around (0, 0, s-1, s-1)."""
    base = _F(stride)
    w = h = base                                     # x2 - x1 + 1 of the base box
    ctr = _F(0.5) * (base - _F(1))
    out = []
    for r in ratios:
        size_ratio = (w * h) / _F(r)
        ws = np.round(np.sqrt(size_ratio, dtype=_F))
        hs = np.round(ws * _F(r))
        for s in scales:
            sw, sh = ws * _F(s), hs * _F(s)
            out.append([ctr - _F(0.5) * (sw - _F(1)), ctr - _F(0.5) * (sh - _F(1)),
                        ctr + _F(0.5) * (sw - _F(1)), ctr + _F(0.5) * (sh - _F(1))])
    return np.array(out, dtype=_F)


def _proposals(p, cls, deltas, info):
    """One image: (H*W*A, 5) clipped boxes with scores, in MXNet's cell order."""
    num_a = cls.shape[0] // 2
    hgt, wid = cls.shape[1:]
    anchors = _anchors(p.feature_stride, p.ratios, p.scales)
    sx = (np.arange(wid, dtype=_F) * _F(p.feature_stride))
    sy = (np.arange(hgt, dtype=_F) * _F(p.feature_stride))
    # (H, W, A, 4) anchor boxes; (H, W, A) scores and deltas
    boxes = anchors[None, None] + np.stack(np.broadcast_arrays(
        sx[None, :, None], sy[:, None, None], sx[None, :, None], sy[:, None, None]), -1)
    score = cls[num_a:].transpose(1, 2, 0).astype(_F)
    d = deltas.reshape(num_a, 4, hgt, wid).transpose(2, 3, 0, 1).astype(_F)
    im_h, im_w, im_scale = (_F(v) for v in info[:3])
    one, half = _F(1), _F(0.5)
    if p.iou_loss:
        pred = boxes + d
    else:
        bw = boxes[..., 2] - boxes[..., 0] + one
        bh = boxes[..., 3] - boxes[..., 1] + one
        cx = boxes[..., 0] + half * (bw - one)
        cy = boxes[..., 1] + half * (bh - one)
        pcx = d[..., 0] * bw + cx
        pcy = d[..., 1] * bh + cy
        pw = np.exp(d[..., 2]) * bw
        ph = np.exp(d[..., 3]) * bh
        pred = np.stack([pcx - half * (pw - one), pcy - half * (ph - one),
                         pcx + half * (pw - one), pcy + half * (ph - one)], -1)
    lim = np.array([im_w - one, im_h - one, im_w - one, im_h - one], _F)
    pred = np.maximum(np.minimum(pred, lim), _F(0))
    # cells past the real (unpadded) image in stride units
    real_h = int(im_h / _F(p.feature_stride))
    real_w = int(im_w / _F(p.feature_stride))
    if real_h > hgt or real_w > wid:
        raise MXNetError("input 'im_info' row %s: an image of %g x %g pixels at "
                         "feature_stride %d needs a %d x %d feature map, but cls_prob's is "
                         "%d x %d" % (list(map(float, info[:3])), im_h, im_w,
                                      p.feature_stride, real_h, real_w, hgt, wid))
    rows, cols = np.arange(hgt)[:, None, None], np.arange(wid)[None, :, None]
    score = np.where((rows >= real_h) | (cols >= real_w), _F(-1), score)
    # too small: score -1, box grown by min_size / 2 on each side
    min_size = _F(p.rpn_min_size) * im_scale
    iw = pred[..., 2] - pred[..., 0] + one
    ih = pred[..., 3] - pred[..., 1] + one
    small = (iw < min_size) | (ih < min_size)
    grow = (half * min_size) * np.array([-1, -1, 1, 1], _F)
    pred = np.where(small[..., None], pred + grow, pred)
    score = np.where(small, _F(-1), score)
    return np.concatenate([pred, score[..., None]], -1).reshape(-1, 5).astype(_F)


def _nms(dets, thresh, limit):
    """Greedy NMS over score-sorted `dets`; indices kept, at most `limit`."""
    x1, y1, x2, y2 = dets[:, 0], dets[:, 1], dets[:, 2], dets[:, 3]
    one, zero, th = _F(1), _F(0), _F(thresh)
    area = (x2 - x1 + one) * (y2 - y1 + one)
    alive = np.ones(len(dets), bool)
    keep = []
    for i in range(len(dets)):
        if len(keep) >= limit:
            break
        if not alive[i]:
            continue
        keep.append(i)
        j = slice(i + 1, None)
        w = np.maximum(zero, np.minimum(x2[i], x2[j]) - np.maximum(x1[i], x1[j]) + one)
        h = np.maximum(zero, np.minimum(y2[i], y2[j]) - np.maximum(y1[i], y1[j]) + one)
        inter = w * h
        ovr = inter / (area[i] + area[j] - inter)
        alive[j] &= ~(ovr > th)
    return np.array(keep, np.int64)


def _image(p, cls, deltas, info, batch, rois, scores):
    dets = _proposals(p, cls, deltas, info)
    count = len(dets)
    pre = count if p.rpn_pre_nms_top_n <= 0 else min(p.rpn_pre_nms_top_n, count)
    post = min(p.rpn_post_nms_top_n, pre)
    order = np.argsort(-dets[:, 4], kind='stable')[:pre]
    dets = dets[order]
    keep = _nms(dets, p.threshold, post)
    # fewer survivors than rows: repeat the kept boxes cyclically
    pick = keep[np.arange(len(rois)) % len(keep)]
    rois[:, 0] = batch
    rois[:, 1:] = dets[pick, :4]
    if scores is not None:
        scores[:, 0] = dets[pick, 4]


class _ProposalBase(Operator):
    params = {
        'rpn_pre_nms_top_n': Int(6000, doc='Boxes kept (by score) before NMS.'),
        'rpn_post_nms_top_n': Int(300, doc='Boxes kept after NMS.'),
        'threshold': Float(0.7, doc='NMS IoU above which a box is suppressed.'),
        'rpn_min_size': Int(16, doc='Minimum box height/width (times im_info scale).'),
        'scales': FloatTuple((4.0, 8.0, 16.0, 32.0), doc='Anchor scales.'),
        'ratios': FloatTuple((0.5, 1.0, 2.0), doc='Anchor aspect ratios (h / w).'),
        'feature_stride': Int(16, doc='Image pixels per feature-map cell.'),
        'output_score': Bool(False, doc='Also return the scores.'),
        'iou_loss': Bool(False, doc='Deltas are corner offsets (IoU loss), not '
                                    'centre/size encodings.'),
    }
    backward_uses_inputs = False
    backward_uses_outputs = False

    def list_arguments(self, p):
        return ['cls_prob', 'bbox_pred', 'im_info']

    def list_outputs(self, p):
        return ['output', 'score']

    def num_visible_outputs(self, p):
        return 2 if p.output_score else 1

    def _rows(self, p, batch):
        raise NotImplementedError

    def infer_shape(self, p, in_shapes):
        shape_check(p.rpn_post_nms_top_n > 0, 'rpn_post_nms_top_n must be positive, got %d',
                    p.rpn_post_nms_top_n)
        shape_check(len(p.scales) > 0 and len(p.ratios) > 0,
                    'scales and ratios must not be empty')
        shape_check(p.feature_stride > 0, 'feature_stride must be positive, got %d',
                    p.feature_stride)
        cls = in_shapes[0]
        if not _known(cls):
            return in_shapes, [None, None]
        num_a = len(p.scales) * len(p.ratios)
        shape_check(len(cls) == 4 and cls[1] == 2 * num_a, "input 'cls_prob' has shape %s; "
                    "expected (batch, 2 * num_anchors, height, width) with num_anchors = "
                    "len(scales) * len(ratios) = %d", tuple(cls), num_a)
        n, _, h, w = cls
        want = [tuple(cls), (n, 4 * num_a, h, w), (n, 3)]
        for name, got, exp in zip(('bbox_pred', 'im_info'), in_shapes[1:], want[1:]):
            shape_check(got is None or tuple(got) == exp,
                        "input '%s' has shape %s; expected %s for cls_prob of shape %s",
                        name, got, exp, tuple(cls))
        rows = self._rows(p, n)
        return want, [(rows, 5), (rows, 1)]

    def infer_type(self, p, in_types):
        for i, t in enumerate(in_types):
            if t is not None and np.dtype(t) != np.float32:
                raise MXNetError("%s: input '%s' has dtype %s; only float32 is supported"
                                 % (self.name, self.list_arguments(p)[i], np.dtype(t).name))
        return [np.dtype(np.float32)] * 3, [np.dtype(np.float32)] * 2

    def forward(self, p, inputs, outputs, ctx):
        cls, deltas, info = (np.asarray(a) for a in inputs)
        n = cls.shape[0]
        post = p.rpn_post_nms_top_n
        rois, scores = outputs[0], outputs[1]
        for b in range(n):  # images are independent; the kernel is vectorised within one
            sl = slice(b * post, (b + 1) * post)
            _image(p, cls[b], deltas[b], info[b], b, rois[sl], scores[sl])

    def backward(self, p, ograds, inputs, outputs, ctx):
        # MXNet writes zero gradients to all three inputs (no None: grad_req='write'
        # buffers must be cleared, as MXNet's kernel does)
        return [np.zeros_like(a) for a in inputs]


@register
class Proposal(_ProposalBase):
    """Region proposals from an RPN's scores and box deltas, one image (contrib).

    ``cls_prob`` is (1, 2 * A, H, W) (background then foreground scores of the A =
    len(scales) * len(ratios) anchors), ``bbox_pred`` (1, 4 * A, H, W) (dx, dy, dw, dh
    per anchor) and ``im_info`` (1, 3) rows of ``[height, width, scale]``. The output is
    (rpn_post_nms_top_n, 5) rows ``[0, x1, y1, x2, y2]``, plus the (rpn_post_nms_top_n,
    1) scores when ``output_score``. When NMS keeps fewer boxes than rows, the kept boxes
    repeat in order to fill them, as MXNet's CPU kernel does. A batch of more than one
    image is an error (use MultiProposal). No gradient (zeros).

    Examples
    --------
    >>> cls = mx.nd.array([[[[0.2]], [[0.8]]]])
    >>> deltas = mx.nd.zeros((1, 4, 1, 1))
    >>> info = mx.nd.array([[16, 16, 1]])
    >>> mx.nd.contrib.Proposal(cls, deltas, info, scales=(1,), ratios=(1,),
    ...                        rpn_post_nms_top_n=2, rpn_min_size=1).asnumpy()
    array([[ 0.,  0.,  0., 15., 15.],
           [ 0.,  0.,  0., 15., 15.]], dtype=float32)
    """
    name = '_contrib_Proposal'

    def _rows(self, p, batch):
        return p.rpn_post_nms_top_n

    def forward(self, p, inputs, outputs, ctx):
        if inputs[0].shape[0] != 1:
            raise MXNetError("_contrib_Proposal: input 'cls_prob' has batch size %d; "
                             "Proposal handles one image, use MultiProposal for a batch"
                             % inputs[0].shape[0])
        super().forward(p, inputs, outputs, ctx)


@register
class MultiProposal(_ProposalBase):
    """Region proposals for a batch of images (contrib).

    As `Proposal`, image by image: ``cls_prob`` (N, 2 * A, H, W), ``bbox_pred``
    (N, 4 * A, H, W), ``im_info`` (N, 3). The output is (N * rpn_post_nms_top_n, 5), the
    rows of image ``b`` (first column ``b``) in block ``b``, plus the scores
    (N * rpn_post_nms_top_n, 1) when ``output_score``. No gradient (zeros).

    Examples
    --------
    >>> cls = mx.nd.array([[[[0.2]], [[0.8]]], [[[0.5]], [[0.5]]]])
    >>> deltas = mx.nd.zeros((2, 4, 1, 1))
    >>> info = mx.nd.array([[16, 16, 1], [16, 16, 1]])
    >>> rois, score = mx.nd.contrib.MultiProposal(cls, deltas, info, scales=(1,),
    ...     ratios=(1,), rpn_post_nms_top_n=1, rpn_min_size=1, output_score=True)
    >>> rois.asnumpy()
    array([[ 0.,  0.,  0., 15., 15.],
           [ 1.,  0.,  0., 15., 15.]], dtype=float32)
    >>> score.asnumpy().ravel()
    array([0.8, 0.5], dtype=float32)
    """
    name = '_contrib_MultiProposal'

    def _rows(self, p, batch):
        return batch * p.rpn_post_nms_top_n
