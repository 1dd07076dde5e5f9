"""SSD-style detection ops (contrib): MultiBoxPrior, MultiBoxTarget, MultiBoxDetection,
box_encode, box_decode and bipartite_matching.

Boxes are ``[xmin, ymin, xmax, ymax]`` (corner format) unless a ``format`` says otherwise.
Every kernel is vectorised over anchors and boxes; the greedy steps (bipartite matching,
non-maximum suppression) loop over matches or candidates, never over anchors one by one.

None of these ops is differentiable in MXNet 1.9.1: their gradients are zeros, so they
are here too (anchors, targets and detections are constants to the network).
"""
import numpy as np

from ._util import known as _known
from .detection import _area, _intersection, _work_dtype
from .registry import Bool, Enum, Float, FloatTuple, Int, Operator, register, shape_check

_FORMATS = ('center', 'corner')


def _zero_grads(inputs):
    return [np.zeros_like(a) for a in inputs]


def _iou(a, b):
    """IoU of corner boxes a (..., 4) and b (..., 4), broadcast; 0 where they miss."""
    inter = _intersection(a, b, 'corner')
    with np.errstate(divide='ignore', invalid='ignore'):
        iou = inter / (_area(a, 'corner') + _area(b, 'corner') - inter)
    return np.where(inter > 0, iou, 0)


def _center(boxes):
    """(cx, cy, w, h) of corner boxes (..., 4)."""
    w = boxes[..., 2] - boxes[..., 0]
    h = boxes[..., 3] - boxes[..., 1]
    return boxes[..., 0] + w / 2, boxes[..., 1] + h / 2, w, h


def _variances(p, what='variances'):
    v = tuple(p.variances)
    shape_check(len(v) == 4, '%s must hold 4 floats, got %s', what, v)
    shape_check(all(x > 0 for x in v), '%s must be positive, got %s', what, v)
    return v


# ----------------------------------------------------------------------------- prior
@register
class MultiBoxPrior(Operator):
    """Generate SSD prior (anchor) boxes for every pixel of a feature map (contrib).

    ``data`` is (N, C, H, W); only its height and width are read. Each pixel ``(r, c)``
    gets ``len(sizes) + len(ratios) - 1`` anchors centred at
    ``((c + offsets[1]) * step_x, (r + offsets[0]) * step_y)``, where ``steps = (step_y,
    step_x)`` defaults (``-1``) to ``(1/H, 1/W)``: first one per size with ``ratios[0]``,
    then one per further ratio with ``sizes[0]``. An anchor of size ``s`` and ratio ``r``
    is ``s * H / W * sqrt(r)`` wide and ``s / sqrt(r)`` high (fractions of the image).
    The output (1, H * W * num_anchors, 4) lists the anchors pixel by pixel (row-major),
    as corners; ``clip`` clamps them to [0, 1]. The gradient is zero.

    Examples
    --------
    >>> x = mx.nd.zeros((1, 3, 1, 2))
    >>> mx.nd.contrib.MultiBoxPrior(x, sizes=(0.5,)).asnumpy()
    array([[[0.125, 0.25 , 0.375, 0.75 ],
            [0.625, 0.25 , 0.875, 0.75 ]]], dtype=float32)
    """
    name = '_contrib_MultiBoxPrior'
    params = {
        'sizes': FloatTuple((1.0,), doc='Anchor sizes, as fractions of the image.'),
        'ratios': FloatTuple((1.0,), doc='Anchor aspect ratios (width / height).'),
        'clip': Bool(False, doc='Clamp anchors to [0, 1].'),
        'steps': FloatTuple((-1.0, -1.0), doc='(y, x) step between centres; -1: 1/size.'),
        'offsets': FloatTuple((0.5, 0.5), doc='(y, x) centre offset within a pixel.'),
    }
    backward_uses_outputs = False

    def _check(self, p):
        shape_check(len(p.sizes) > 0 and all(s > 0 for s in p.sizes),
                    'sizes must be positive floats, got %s', tuple(p.sizes))
        shape_check(len(p.ratios) > 0 and all(r > 0 for r in p.ratios),
                    'ratios must be positive floats, got %s', tuple(p.ratios))
        shape_check(len(p.steps) == 2, 'steps must hold 2 floats (y, x), got %s',
                    tuple(p.steps))
        shape_check(len(p.offsets) == 2, 'offsets must hold 2 floats (y, x), got %s',
                    tuple(p.offsets))

    def infer_shape(self, p, in_shapes):
        self._check(p)
        data = in_shapes[0]
        if data is None or len(data) < 4 or data[2] is None or data[3] is None:
            if data is not None:
                shape_check(len(data) >= 4, "input 'data' has shape %s; MultiBoxPrior "
                            "needs (batch, channel, height, width)", tuple(data))
            return in_shapes, [None]
        shape_check(len(data) == 4, "input 'data' has shape %s; MultiBoxPrior needs "
                    "(batch, channel, height, width)", tuple(data))
        count = data[2] * data[3] * (len(p.sizes) + len(p.ratios) - 1)
        return [tuple(data)], [(1, count, 4)]

    def forward(self, p, inputs, outputs, ctx):
        h, w = inputs[0].shape[2:]
        step_y = p.steps[0] if p.steps[0] > 0 else 1.0 / h
        step_x = p.steps[1] if p.steps[1] > 0 else 1.0 / w
        # half widths/heights of one pixel's anchors, in MXNet's order
        sizes = np.array(p.sizes + (p.sizes[0],) * (len(p.ratios) - 1))
        ratios = np.sqrt(np.array((p.ratios[0],) * len(p.sizes) + p.ratios[1:]))
        half_w = sizes * h / w * ratios / 2
        half_h = sizes / ratios / 2
        cy = (np.arange(h) + p.offsets[0]) * step_y
        cx = (np.arange(w) + p.offsets[1]) * step_x
        cy, cx = cy[:, None, None], cx[None, :, None]                       # (H, W, A)
        boxes = np.stack(np.broadcast_arrays(cx - half_w, cy - half_h,
                                             cx + half_w, cy + half_h), axis=-1)
        if p.clip:
            np.clip(boxes, 0, 1, out=boxes)
        outputs[0][...] = boxes.reshape(outputs[0].shape)

    def backward(self, p, ograds, inputs, outputs, ctx):
        return _zero_grads(inputs)


# ----------------------------------------------------------------------------- target
def _greedy_match(score, valid, limit=None):
    """Greedy bipartite matching over (B, N, M) scores: repeatedly take the best remaining
    pair whose row and column are both free (first in row-major order on ties) while its
    ``valid`` is true; at most ``limit`` pairs. Returns row -> column and
    column -> row (-1: unmatched), both int64."""
    bsz, n, m = score.shape
    rows = np.full((bsz, n), -1, np.int64)
    cols = np.full((bsz, m), -1, np.int64)
    work = np.where(valid, score, -np.inf).astype(np.float64)
    live = valid.reshape(bsz, -1).any(axis=1)
    steps = min(n, m) if limit is None else min(n, m, limit)
    b_all = np.arange(bsz)
    for _ in range(steps):
        if not live.any():
            break
        flat = work.reshape(bsz, -1).argmax(axis=1)
        best = work.reshape(bsz, -1)[b_all, flat]
        live &= best > -np.inf
        b = b_all[live]
        r, c = flat[live] // m, flat[live] % m
        rows[b, r] = c
        cols[b, c] = r
        work[b, r, :] = -np.inf      # a matched row and column take no further part
        work[b, :, c] = -np.inf
    return rows, cols


@register
class MultiBoxTarget(Operator):
    """Training targets for SSD: match anchors to ground truth boxes (contrib).

    Inputs: ``anchor`` (1, A, 4) corner boxes, ``label`` (B, L, W >= 5) rows
    ``[class, xmin, ymin, xmax, ymax, ...]`` (a row whose class is -1 ends an image's
    boxes) and ``cls_pred`` (B, num_classes, A) class scores (read only for mining).

    Each ground truth box first takes the free anchor it overlaps most (greedy over the
    IoU matrix, best pair first, IoU > 1e-6); with ``overlap_threshold > 0`` every other
    anchor then takes its best box when their IoU exceeds the threshold. Matched anchors
    are positive. With ``negative_mining_ratio > 0`` only the hardest unmatched anchors
    whose best IoU is below ``negative_mining_thresh`` become negatives (lowest softmax
    background probability first, ``max(ratio * positives, minimum_negative_samples)`` of
    them); the rest get ``ignore_label``. Without mining every unmatched anchor is
    negative. MXNet 1.9.1's CPU kernel ignores ``minimum_negative_samples``; here it is
    applied as documented (the default, 0, gives the same results).

    Outputs: ``loc_target`` (B, A*4) the box offsets ``((gx-ax)/aw/v0, (gy-ay)/ah/v1,
    log(gw/aw)/v2, log(gh/ah)/v3)`` of positive anchors (centres and sizes, ``v`` the
    ``variances``), ``loc_mask`` (B, A*4) 1 at positives, and ``cls_target`` (B, A): class
    + 1 for positives, 0 for negatives, ``ignore_label`` otherwise. As MXNet 1.9.1 does,
    an image with no ground truth gets ``ignore_label`` for every anchor. The gradient is
    zero.

    Examples
    --------
    >>> anchor = mx.nd.array([[[0, 0, 0.5, 0.5], [0.5, 0.5, 1, 1]]])
    >>> label = mx.nd.array([[[1, 0.1, 0.1, 0.5, 0.5]]])
    >>> cls_pred = mx.nd.zeros((1, 3, 2))
    >>> loc, mask, cls = mx.nd.contrib.MultiBoxTarget(anchor, label, cls_pred)
    >>> cls.asnumpy()
    array([[2., 0.]], dtype=float32)
    >>> mask.asnumpy()
    array([[1., 1., 1., 1., 0., 0., 0., 0.]], dtype=float32)
    """
    name = '_contrib_MultiBoxTarget'
    params = {
        'overlap_threshold': Float(0.5, doc='IoU above which an anchor is positive.'),
        'ignore_label': Float(-1.0, doc='cls_target of anchors that are ignored.'),
        'negative_mining_ratio': Float(-1.0, doc='Negatives per positive; -1: no mining.'),
        'negative_mining_thresh': Float(0.5, doc='Mined negatives overlap less than this.'),
        'minimum_negative_samples': Int(0, doc='Mine at least this many negatives.'),
        'variances': FloatTuple((0.1, 0.1, 0.2, 0.2), doc='Box offset scales.'),
    }
    backward_uses_outputs = False

    def list_arguments(self, p):
        return ['anchor', 'label', 'cls_pred']

    def list_outputs(self, p):
        return ['loc_target', 'loc_mask', 'cls_target']

    def infer_shape(self, p, in_shapes):
        _variances(p)
        anchor, label, pred = in_shapes
        if _known(anchor):
            shape_check(len(anchor) == 3 and anchor[0] == 1 and anchor[2] == 4,
                        "input 'anchor' has shape %s; expected (1, num_anchors, 4)",
                        tuple(anchor))
        if _known(label):
            shape_check(len(label) == 3 and label[2] >= 5, "input 'label' has shape %s; "
                        "expected (batch, num_labels, >=5) rows of [class, xmin, ymin, "
                        "xmax, ymax]", tuple(label))
        if _known(pred):
            shape_check(len(pred) == 3, "input 'cls_pred' has shape %s; expected (batch, "
                        "num_classes, num_anchors)", tuple(pred))
        if not (_known(anchor) and _known(label) and _known(pred)):
            return in_shapes, [None] * 3
        shape_check(pred[2] == anchor[1], "input 'cls_pred' has shape %s but 'anchor' has "
                    "shape %s; expected cls_pred.shape[2] == num_anchors %d", tuple(pred),
                    tuple(anchor), anchor[1])
        shape_check(pred[0] == label[0], "input 'cls_pred' has shape %s but 'label' has "
                    "shape %s; expected the same batch size", tuple(pred), tuple(label))
        bsz, num = label[0], anchor[1]
        return ([tuple(anchor), tuple(label), tuple(pred)],
                [(bsz, num * 4), (bsz, num * 4), (bsz, num)])

    def forward(self, p, inputs, outputs, ctx):
        anchor, label, pred = inputs
        v = np.array(_variances(p))
        loc_t, loc_m, cls_t = outputs
        bsz, num = cls_t.shape
        anchors = anchor.reshape(num, 4).astype(np.float64)
        loc_t[...] = 0
        loc_m[...] = 0
        cls_t[...] = p.ignore_label
        for b in range(bsz):
            lab = label[b].astype(np.float64)
            end = np.nonzero(lab[:, 0] == -1)[0]
            lab = lab[:end[0] if len(end) else len(lab)]
            if not len(lab):
                continue
            iou = _iou(anchors[:, None, :], lab[None, :, 1:5])              # (A, G)
            match, _ = _greedy_match(iou[None], iou[None] > 1e-6, None)
            match = match[0]
            best = iou.max(axis=1)
            if p.overlap_threshold > 0:
                extra = (match < 0) & (best > p.overlap_threshold)
                match = np.where(extra, iou.argmax(axis=1), match)
            pos = match >= 0
            neg = ~pos
            if p.negative_mining_ratio > 0:
                neg = self._mine(p, pred[b], pos, best)
            cls_t[b, neg] = 0
            cls_t[b, pos] = lab[match[pos], 0] + 1
            ax, ay, aw, ah = _center(anchors[pos])
            gx, gy, gw, gh = _center(lab[match[pos], 1:5])
            with np.errstate(divide='ignore', invalid='ignore'):
                t = np.stack([(gx - ax) / aw / v[0], (gy - ay) / ah / v[1],
                              np.log(gw / aw) / v[2], np.log(gh / ah) / v[3]], axis=1)
            loc_t[b].reshape(num, 4)[pos] = t
            loc_m[b].reshape(num, 4)[pos] = 1

    @staticmethod
    def _mine(p, pred, pos, best):
        """Negatives: the unmatched anchors with the lowest background probability among
        those overlapping every box less than negative_mining_thresh."""
        num = len(pos)
        npos = int(pos.sum())
        want = int(npos * p.negative_mining_ratio)
        want = min(max(want, p.minimum_negative_samples), num - npos)
        neg = np.zeros(num, bool)
        cand = np.nonzero(~pos & (best < p.negative_mining_thresh))[0]
        if want <= 0 or not len(cand):
            return neg
        s = pred[:, cand].astype(np.float64)
        s = np.exp(s - s.max(axis=0))
        bg = s[0] / s.sum(axis=0)
        neg[cand[np.argsort(bg, kind='stable')[:want]]] = True
        return neg

    def backward(self, p, ograds, inputs, outputs, ctx):
        return _zero_grads(inputs)


# ----------------------------------------------------------------------------- detection
@register
class MultiBoxDetection(Operator):
    """Turn SSD class probabilities and box offsets into detections (contrib).

    Inputs: ``cls_prob`` (B, num_classes, A) with class 0 the background, ``loc_pred``
    (B, A*4) offsets and ``anchor`` (1, A, 4) corner boxes. Each anchor takes its most
    probable non-background class; it is a candidate if that probability reaches
    ``threshold``. Its box is decoded as ``centre = a_centre + (v0*dx, v1*dy) * a_size``,
    ``size = a_size * exp(v2*dw, v3*dh)`` (``v`` the ``variances``), clamped to [0, 1]
    with ``clip``. Candidates are sorted by score (ties keep anchor order), cut to the
    first ``nms_topk`` (-1: all) and suppressed greedily: a box removes every later box of
    the same class (any class with ``force_suppress``) whose IoU with it is at least
    ``nms_threshold``.

    The output (B, A, 6) has rows ``[class_id, score, xmin, ymin, xmax, ymax]`` with
    ``class_id`` counted without the background: the first ``nms_topk`` candidates in
    score order (class_id -1 if suppressed), then, as MXNet 1.9.1 writes them, the other
    candidates in anchor order with class_id -1, then rows of -1. As in MXNet 1.9.1
    on CPU, ``background_id`` is accepted but class 0 is always the background. The
    gradient is zero.

    Examples
    --------
    >>> cls_prob = mx.nd.array([[[0.1, 0.8], [0.9, 0.2]]])
    >>> loc_pred = mx.nd.zeros((1, 8))
    >>> anchor = mx.nd.array([[[0, 0, 0.5, 0.5], [0.5, 0.5, 1, 1]]])
    >>> mx.nd.contrib.MultiBoxDetection(cls_prob, loc_pred, anchor).asnumpy()
    array([[[0. , 0.9, 0. , 0. , 0.5, 0.5],
            [0. , 0.2, 0.5, 0.5, 1. , 1. ]]], dtype=float32)
    """
    name = '_contrib_MultiBoxDetection'
    params = {
        'clip': Bool(True, doc='Clamp boxes to [0, 1].'),
        'threshold': Float(0.01, doc='Lowest score of a detection.'),
        'background_id': Int(0, doc='Background class (class 0 is used, as MXNet).'),
        'nms_threshold': Float(0.5, doc='IoU at which a lower-scored box is removed.'),
        'force_suppress': Bool(False, doc='Suppress across classes too.'),
        'variances': FloatTuple((0.1, 0.1, 0.2, 0.2), doc='Box offset scales.'),
        'nms_topk': Int(-1, doc='Keep this many candidates before NMS; -1: all.'),
    }
    backward_uses_outputs = False

    def list_arguments(self, p):
        return ['cls_prob', 'loc_pred', 'anchor']

    def infer_shape(self, p, in_shapes):
        _variances(p)
        prob, loc, anchor = in_shapes
        if _known(prob):
            shape_check(len(prob) == 3, "input 'cls_prob' has shape %s; expected (batch, "
                        "num_classes, num_anchors)", tuple(prob))
        if _known(loc):
            shape_check(len(loc) == 2, "input 'loc_pred' has shape %s; expected (batch, "
                        "num_anchors * 4)", tuple(loc))
        if _known(anchor):
            shape_check(len(anchor) == 3 and anchor[0] == 1 and anchor[2] == 4,
                        "input 'anchor' has shape %s; expected (1, num_anchors, 4)",
                        tuple(anchor))
        if not (_known(prob) and _known(loc) and _known(anchor)):
            return in_shapes, [None]
        num = anchor[1]
        shape_check(prob[2] == num, "input 'cls_prob' has shape %s but 'anchor' has shape "
                    "%s; expected cls_prob.shape[2] == num_anchors %d", tuple(prob),
                    tuple(anchor), num)
        shape_check(loc[0] == prob[0] and loc[1] == num * 4, "input 'loc_pred' has shape "
                    "%s; expected (%d, %d) for cls_prob %s and %d anchors", tuple(loc),
                    prob[0], num * 4, tuple(prob), num)
        return [tuple(prob), tuple(loc), tuple(anchor)], [(prob[0], num, 6)]

    def forward(self, p, inputs, outputs, ctx):
        prob, loc, anchor = inputs
        out = outputs[0]
        bsz, ncls, num = prob.shape
        v = _variances(p)
        wt = _work_dtype(prob.dtype)
        ax, ay, aw, ah = _center(anchor.reshape(num, 4).astype(wt))
        out[...] = -1
        if ncls < 2:
            return
        for b in range(bsz):
            scores = prob[b, 1:]
            cls = scores.argmax(axis=0)                    # first maximum, as MXNet's '>'
            score = scores[cls, np.arange(num)]
            idx = np.nonzero(score >= p.threshold)[0]
            if not len(idx):
                continue
            idx = idx[np.argsort(-score[idx], kind='stable')]
            d = loc[b].reshape(num, 4)[idx].astype(wt)
            cx = d[:, 0] * wt.type(v[0]) * aw[idx] + ax[idx]
            cy = d[:, 1] * wt.type(v[1]) * ah[idx] + ay[idx]
            hw = np.exp(d[:, 2] * wt.type(v[2])) * aw[idx] / 2
            hh = np.exp(d[:, 3] * wt.type(v[3])) * ah[idx] / 2
            boxes = np.stack([cx - hw, cy - hh, cx + hw, cy + hh], axis=1)
            if p.clip:
                np.clip(boxes, 0, 1, out=boxes)
            ids = cls[idx].astype(np.int64)
            keep = len(idx) if not 0 < p.nms_topk < len(idx) else p.nms_topk
            alive = _nms(boxes[:keep], ids[:keep], p.nms_threshold, p.force_suppress)
            rows = out[b, :keep]
            rows[:, 0] = np.where(alive, ids[:keep], -1)
            rows[:, 1] = score[idx[:keep]]
            rows[:, 2:] = boxes[:keep]
            if keep < len(idx):
                # MXNet 1.9.1 leaves the candidates past nms_topk in anchor order (the
                # unsorted list it sorted from), marked -1
                back = np.argsort(idx, kind='stable')[keep:]
                rest = out[b, keep:len(idx)]
                rest[:, 0] = -1
                rest[:, 1] = score[idx[back]]
                rest[:, 2:] = boxes[back]

    def backward(self, p, ograds, inputs, outputs, ctx):
        return _zero_grads(inputs)


def _nms(boxes, ids, thresh, force):
    """Greedy NMS over boxes already in score order: which survive. Without `force` the
    classes never interact, so each class runs alone (fewer IoU pairs)."""
    if force:
        return _nms_one(boxes, thresh)
    alive = np.ones(len(boxes), bool)
    for c in np.unique(ids):
        sel = np.nonzero(ids == c)[0]              # still in score order
        alive[sel] = _nms_one(boxes[sel], thresh)
    return alive


def _nms_one(boxes, thresh):
    """Greedy NMS of one group (boxes in score order): which survive. A small group gets
    its whole IoU matrix at once and the greedy pass only combines boolean rows; a large
    one goes survivor by survivor, one IoU row over the boxes still left per step."""
    k = len(boxes)
    if k <= 2048:
        over = _iou(boxes[:, None], boxes[None, :]) >= thresh
        alive = np.ones(k, bool)
        for i in range(k - 1):
            if alive[i]:
                alive[i + 1:] &= ~over[i, i + 1:]
        return alive
    alive = np.zeros(k, bool)
    rest = np.arange(k)
    while len(rest):
        top, rest = rest[0], rest[1:]
        alive[top] = True
        rest = rest[_iou(boxes[top], boxes[rest]) < thresh]
    return alive


# ----------------------------------------------------------------------------- encode/decode
@register
class BoxEncode(Operator):
    """Encode matched reference boxes as offsets from their anchors (contrib).

    ``samples`` (B, N): > 0.5 marks a positive anchor; ``matches`` (B, N) the index of its
    box in ``refs`` (B, M, 4); ``anchors`` (B, N, 4) and ``refs`` are corner boxes;
    ``means`` and ``stds`` (4,) normalise the offsets. For a positive anchor the first
    output (B, N, 4) is ``((gx-ax)/aw, (gy-ay)/ah, log(gw/aw), log(gh/ah))`` minus
    ``means``, divided by ``stds`` (centres and sizes); the second output (B, N, 4) is 1
    there. Other anchors get 0 in both. The gradient is zero.

    Examples
    --------
    >>> samples = mx.nd.array([[1, 0]])
    >>> matches = mx.nd.array([[0, 0]])
    >>> anchors = mx.nd.array([[[0, 0, 2, 2], [1, 1, 2, 2]]])
    >>> refs = mx.nd.array([[[1, 1, 3, 3]]])
    >>> means, stds = mx.nd.zeros(4), mx.nd.ones(4)
    >>> t, m = mx.nd.contrib.box_encode(samples, matches, anchors, refs, means, stds)
    >>> t.asnumpy()
    array([[[0.5, 0.5, 0. , 0. ],
            [0. , 0. , 0. , 0. ]]], dtype=float32)
    """
    name = '_contrib_box_encode'
    backward_uses_outputs = False

    def list_arguments(self, p):
        return ['samples', 'matches', 'anchors', 'refs', 'means', 'stds']

    def list_outputs(self, p):
        return ['output0', 'output1']

    def infer_shape(self, p, in_shapes):
        samples, matches, anchors, refs, means, stds = in_shapes
        for name, s in (('means', means), ('stds', stds)):
            if _known(s):
                shape_check(tuple(s) == (4,), "input '%s' has shape %s; expected (4,)",
                            name, tuple(s))
        for name, s in (('anchors', anchors), ('refs', refs)):
            if _known(s):
                shape_check(len(s) == 3 and s[2] == 4, "input '%s' has shape %s; expected "
                            "(batch, num_boxes, 4)", name, tuple(s))
        if _known(anchors):
            want = tuple(anchors[:2])
            for name, s in (('samples', samples), ('matches', matches)):
                if _known(s):
                    shape_check(tuple(s) == want, "input '%s' has shape %s but 'anchors' "
                                "has shape %s; expected %s", name, tuple(s),
                                tuple(anchors), want)
            samples = matches = want
        if not all(_known(s) for s in (samples, matches, anchors, refs)):
            return in_shapes, [None, None]
        shape_check(refs[0] == anchors[0], "input 'refs' has shape %s but 'anchors' has "
                    "shape %s; expected the same batch size", tuple(refs), tuple(anchors))
        out = tuple(anchors)
        return [tuple(samples), tuple(matches), out, tuple(refs), (4,), (4,)], [out, out]

    def forward(self, p, inputs, outputs, ctx):
        samples, matches, anchors, refs, means, stds = inputs
        bsz, n = samples.shape
        m = refs.shape[1]
        wt = _work_dtype(anchors.dtype)
        pos = samples > 0.5
        idx = np.clip(matches.astype(np.int64), 0, max(m - 1, 0))
        ref = np.take_along_axis(refs.astype(wt), idx[:, :, None], axis=1)   # (B, N, 4)
        ax, ay, aw, ah = _center(anchors.astype(wt))
        gx, gy, gw, gh = _center(ref)
        with np.errstate(divide='ignore', invalid='ignore'):
            t = np.stack([(gx - ax) / aw, (gy - ay) / ah,
                          np.log(gw / aw), np.log(gh / ah)], axis=-1)
        t = (t - means.astype(wt)) / stds.astype(wt)
        outputs[0][...] = np.where(pos[:, :, None], t, 0)
        outputs[1][...] = np.broadcast_to(pos[:, :, None], outputs[1].shape)

    def backward(self, p, ograds, inputs, outputs, ctx):
        return _zero_grads(inputs)


@register
class BoxDecode(Operator):
    """Decode box offsets against anchors into corner boxes (contrib).

    ``data`` (B, N, 4) holds offsets ``(dx, dy, dw, dh)``; ``anchors`` (1, N, 4) are in
    ``format`` ('center': ``[x, y, w, h]``, 'corner': ``[xmin, ymin, xmax, ymax]``). The
    box centre is ``a_centre + (dx*std0, dy*std1) * a_size`` and its size
    ``a_size * exp(dw*std2, dh*std3)``, where ``dw*std2`` and ``dh*std3`` are first capped
    at ``clip`` when ``clip > 0``. The output (B, N, 4) is always in corner format.
    The gradient is zero, as in MXNet 1.9.1.

    Examples
    --------
    >>> data = mx.nd.array([[[0.5, 0, 0, 0]]])
    >>> anchors = mx.nd.array([[[1, 1, 2, 2]]])
    >>> mx.nd.contrib.box_decode(data, anchors).asnumpy()
    array([[[1., 0., 3., 2.]]], dtype=float32)
    """
    name = '_contrib_box_decode'
    params = {
        'std0': Float(1.0, doc='Scale of dx.'),
        'std1': Float(1.0, doc='Scale of dy.'),
        'std2': Float(1.0, doc='Scale of dw.'),
        'std3': Float(1.0, doc='Scale of dh.'),
        'clip': Float(-1.0, doc='Cap on the scaled dw, dh when > 0.'),
        'format': Enum(_FORMATS, 'center', doc='Encoding of the anchors.'),
    }
    backward_uses_outputs = False

    def list_arguments(self, p):
        return ['data', 'anchors']

    def infer_shape(self, p, in_shapes):
        data, anchors = in_shapes
        if _known(data):
            shape_check(len(data) == 3 and data[2] == 4, "input 'data' has shape %s; "
                        "expected (batch, num_boxes, 4)", tuple(data))
        if _known(anchors):
            shape_check(len(anchors) == 3 and anchors[0] == 1 and anchors[2] == 4,
                        "input 'anchors' has shape %s; expected (1, num_boxes, 4)",
                        tuple(anchors))
        if not (_known(data) and _known(anchors)):
            return in_shapes, [None]
        shape_check(data[1] == anchors[1], "input 'data' has shape %s but 'anchors' has "
                    "shape %s; expected the same number of boxes", tuple(data),
                    tuple(anchors))
        return [tuple(data), tuple(anchors)], [tuple(data)]

    def _anchor(self, p, anchors, wt):
        a = anchors.astype(wt, copy=False)
        if p.format == 'corner':
            return _center(a)
        return a[..., 0], a[..., 1], a[..., 2], a[..., 3]

    def _scaled(self, p, data, wt):
        d = data.astype(wt, copy=False)
        s = np.array([p.std0, p.std1, p.std2, p.std3], wt)
        d = d * s
        if p.clip > 0:
            d[..., 2:] = np.minimum(d[..., 2:], wt.type(p.clip))
        return d

    def forward(self, p, inputs, outputs, ctx):
        data, anchors = inputs
        wt = _work_dtype(data.dtype)
        ax, ay, aw, ah = self._anchor(p, anchors, wt)
        d = self._scaled(p, data, wt)
        cx, cy = d[..., 0] * aw + ax, d[..., 1] * ah + ay
        hw, hh = np.exp(d[..., 2]) * aw / 2, np.exp(d[..., 3]) * ah / 2
        outputs[0][...] = np.stack([cx - hw, cy - hh, cx + hw, cy + hh], axis=-1)

    def backward(self, p, ograds, inputs, outputs, ctx):
        return _zero_grads(inputs)


# ----------------------------------------------------------------------------- matching
@register
class BipartiteMatching(Operator):
    """Greedy bipartite matching of the rows and columns of a score matrix (contrib).

    ``data`` is (..., N, M): every leading axis is a batch axis. Pairs are visited from
    the best score down (up with ``is_ascend``; ties in row-major order); a pair whose
    row and column are both still free is matched if its score is above ``threshold``
    (below it with ``is_ascend``). Outputs: (..., N) the column matched to each row and
    (..., M) the row matched to each column, -1 where none, in the input's dtype.

    ``topk > 0`` limits the matches to ``topk + 1``: MXNet 1.9.1 checks the count before
    it adds a match, and this keeps its results. The gradient is zero.

    Examples
    --------
    >>> s = mx.nd.array([[0.5, 0.6], [0.1, 0.2], [0.3, 0.4]])
    >>> rows, cols = mx.nd.contrib.bipartite_matching(s, threshold=1e-12)
    >>> rows.asnumpy()
    array([ 1., -1.,  0.], dtype=float32)
    >>> cols.asnumpy()
    array([2., 0.], dtype=float32)
    """
    name = '_contrib_bipartite_matching'
    params = {
        'is_ascend': Bool(False, doc='Lower scores are better.'),
        'threshold': Float(doc='Scores must be above it (below with is_ascend).'),
        'topk': Int(-1, doc='At most topk + 1 matches (MXNet); <= 0: no limit.'),
    }
    backward_uses_outputs = False

    def list_outputs(self, p):
        return ['output0', 'output1']

    def infer_shape(self, p, in_shapes):
        data = in_shapes[0]
        if data is None:
            return in_shapes, [None, None]
        shape_check(len(data) >= 2, "input 'data' has shape %s; bipartite_matching needs "
                    "at least 2-D scores (..., N, M)", tuple(data))
        data = tuple(data)
        return [data], [data[:-1], data[:-2] + data[-1:]]

    def forward(self, p, inputs, outputs, ctx):
        x = inputs[0]
        n, m = x.shape[-2:]
        s = x.reshape(-1, n, m).astype(np.float64)
        if p.is_ascend:     # the same greedy pass, on negated scores
            s, valid = -s, s < p.threshold
        else:
            valid = s > p.threshold
        rows, cols = _greedy_match(s, valid, None if p.topk <= 0 else p.topk + 1)
        outputs[0][...] = rows.reshape(outputs[0].shape)
        outputs[1][...] = cols.reshape(outputs[1].shape)

    def backward(self, p, ograds, inputs, outputs, ctx):
        return _zero_grads(inputs)
