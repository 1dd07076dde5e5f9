"""Detection ops (ROIPooling, contrib ROIAlign, box_iou, box_nms): tables of cases run by
one harness in float32 and float64.

Every kernel is compared with a plain NumPy reference written as loops (over ROIs, bins,
samples and boxes: slow but obviously right), the differentiable ones with central finite
differences; shape inference, symbol JSON, the imperative path and error messages come from
the same table. A few values recorded from MXNet 1.9.1 itself pin its conventions
(rounding, bins, sampling, suppression order).
"""
import itertools
import json
import math
from collections import namedtuple

import numpy as np
import pytest

import mxlite as mx
from optest import assert_json_round_trip
from mxlite.base import MXNetError
from mxlite.test_utils import check_numeric_gradient, check_symbolic_forward


# ----------------------------------------------------------------------------- references
def _c_round(v):
    """C's round(): halves away from zero."""
    return math.floor(v + 0.5) if v >= 0 else -math.floor(-v + 0.5)


def roipool_ref(a, p, dtype):
    """Returns (output, list of (roi, c, i, j, flat index of the max in data))."""
    data, rois = a
    n, c, h, w = data.shape
    ph, pw = p['pooled_size']
    ct = np.float32 if dtype == np.float32 else np.float64   # MXNet computes in the dtype
    out = np.zeros((len(rois), c, ph, pw))
    hits = []
    for r, roi in enumerate(rois):
        b = int(roi[0])
        if not 0 <= b < n:
            continue
        x1, y1, x2, y2 = (_c_round(float(ct(v) * ct(p['spatial_scale']))) for v in roi[1:])
        bh = ct(max(y2 - y1 + 1, 1)) / ct(ph)
        bw = ct(max(x2 - x1 + 1, 1)) / ct(pw)
        for ch, i, j in itertools.product(range(c), range(ph), range(pw)):
            hs = min(max(int(math.floor(ct(i) * bh)) + y1, 0), h)
            he = min(max(int(math.ceil(ct(i + 1) * bh)) + y1, 0), h)
            ws = min(max(int(math.floor(ct(j) * bw)) + x1, 0), w)
            we = min(max(int(math.ceil(ct(j + 1) * bw)) + x1, 0), w)
            best, where = -np.inf, None
            for y, x in itertools.product(range(hs, he), range(ws, we)):
                if data[b, ch, y, x] > best:
                    best, where = data[b, ch, y, x], ((b * c + ch) * h + y) * w + x
            if where is not None:
                out[r, ch, i, j] = best
                hits.append((r, ch, i, j, where))
    return out, hits


def _bilinear(plane, y, x):
    """One ROIAlign sample (MXNet/Detectron rules at the borders)."""
    h, w = plane.shape
    if y < -1.0 or y > h or x < -1.0 or x > w:
        return 0.0
    y, x = max(y, 0.0), max(x, 0.0)
    y0, x0 = int(y), int(x)
    if y0 >= h - 1:
        y0 = y1 = h - 1
        y = float(y0)
    else:
        y1 = y0 + 1
    if x0 >= w - 1:
        x0 = x1 = w - 1
        x = float(x0)
    else:
        x1 = x0 + 1
    ly, lx = y - y0, x - x0
    return ((1 - ly) * (1 - lx) * plane[y0, x0] + (1 - ly) * lx * plane[y0, x1]
            + ly * (1 - lx) * plane[y1, x0] + ly * lx * plane[y1, x1])


def roialign_ref(a, p, dtype=None):
    data, rois = a
    n, c, h, w = data.shape
    ph, pw = p['pooled_size']
    ps = p.get('position_sensitive', False)
    aligned = p.get('aligned', False)
    ratio = p.get('sample_ratio', -1)
    cout = c // (ph * pw) if ps else c
    out = np.zeros((len(rois), cout, ph, pw))
    for r, roi in enumerate(rois):
        b = int(roi[0])
        if b < 0:
            continue
        off = 0.5 if aligned else 0.0
        x1, y1, x2, y2 = (v * p['spatial_scale'] - off for v in roi[1:])
        rw, rh = x2 - x1, y2 - y1
        if not aligned:
            rw, rh = max(rw, 1.0), max(rh, 1.0)
        gh = ratio if ratio > 0 else math.ceil(rh / ph)
        gw = ratio if ratio > 0 else math.ceil(rw / pw)
        for ch, i, j in itertools.product(range(cout), range(ph), range(pw)):
            src = (ch * ph + i) * pw + j if ps else ch
            total = 0.0
            for iy, ix in itertools.product(range(gh), range(gw)):
                y = y1 + i * rh / ph + (iy + 0.5) * rh / ph / gh
                x = x1 + j * rw / pw + (ix + 0.5) * rw / pw / gw
                total += _bilinear(data[b, src], y, x)
            out[r, ch, i, j] = total / max(gh * gw, 1)
    return out


def _edges(box, fmt):
    if fmt == 'corner':
        return box[0], box[1], box[2], box[3]
    return box[0] - box[2] / 2, box[1] - box[3] / 2, box[0] + box[2] / 2, box[1] + box[3] / 2


def _iou(a, b, fmt):
    al, at, ar, ab = _edges(a, fmt)
    bl, bt, br, bb = _edges(b, fmt)
    inter = max(min(ar, br) - max(al, bl), 0) * max(min(ab, bb) - max(at, bt), 0)
    if inter <= 0:
        return 0.0
    area = [(r - l) * (bo - t) if r >= l and bo >= t else 0.0
            for l, t, r, bo in ((al, at, ar, ab), (bl, bt, br, bb))]
    return inter / (area[0] + area[1] - inter)


def box_iou_ref(a, p, dtype=None):
    lhs, rhs = a
    left, right = lhs.reshape(-1, 4), rhs.reshape(-1, 4)
    out = np.array([[_iou(x, y, p.get('format', 'corner')) for y in right] for x in left])
    return out.reshape(lhs.shape[:-1] + rhs.shape[:-1])


def box_nms_full(data, p):
    """(output, source row of each output row or -1), both per flattened batch."""
    k, width = data.shape[-2:]
    rows = data.reshape(-1, k, width)
    cs, si, ii = p.get('coord_start', 2), p.get('score_index', 1), p.get('id_index', -1)
    topk, thresh = p.get('topk', -1), p.get('overlap_thresh', 0.5)
    fin, fout = p.get('in_format', 'corner'), p.get('out_format', 'corner')
    out = -np.ones(rows.shape)
    src = -np.ones(rows.shape[:2], dtype=int)
    for b, boxes in enumerate(rows):
        if topk == 0:
            out[b], src[b] = boxes, np.arange(k) + b * k
            continue
        cand = [i for i in range(k) if boxes[i, si] > p.get('valid_thresh', 0.0)
                and (ii < 0 or boxes[i, ii] != p.get('background_id', -1))]
        cand = sorted(cand, key=lambda i: -boxes[i, si])[:topk if topk > 0 else k]
        kept = []
        for i in cand:
            if not any(_iou(boxes[j, cs:cs + 4], boxes[i, cs:cs + 4], fin) > thresh
                       and (ii < 0 or p.get('force_suppress', False)
                            or int(boxes[j, ii]) == int(boxes[i, ii])) for j in kept):
                kept.append(i)
        for row, i in enumerate(kept):
            out[b, row] = boxes[i]
            if fin != fout:
                l, t, r, bo = _edges(boxes[i, cs:cs + 4], fin)
                out[b, row, cs:cs + 4] = (((l + r) / 2, (t + bo) / 2, r - l, bo - t)
                                          if fout == 'center' else (l, t, r, bo))
            src[b, row] = i + b * k
    return out.reshape(data.shape), src.reshape(data.shape[:-1])


def box_nms_ref(a, p, dtype=None):
    return box_nms_full(a[0], p)[0]


# ----------------------------------------------------------------------------- inputs
def _distinct(shape, seed=0):
    """Values 0.1 apart in a random order: no ties, so every max moves smoothly."""
    return np.random.RandomState(seed).permutation(int(np.prod(shape))).reshape(shape) * 0.1


def _normal(shape, seed=0):
    return np.random.RandomState(seed).standard_normal(shape)


def _boxes(batch, n, width=6, seed=0):
    rng = np.random.RandomState(seed)
    out = np.zeros(batch + (n, width))
    out[..., 0] = rng.randint(-1, 3, batch + (n,))
    out[..., 1] = np.round(rng.uniform(-0.2, 1.0, batch + (n,)), 1)    # ties on purpose
    xy = rng.uniform(0, 1, batch + (n, 2))
    out[..., 2:4] = xy
    out[..., 4:6] = xy + rng.uniform(0.1, 0.6, batch + (n, 2))
    return np.round(out, 3)


ROIS = np.array([[0, 0.5, 0.6, 5.4, 3.5], [1, 2, 1, 7, 5], [0, 3, 3, 2, 2],
                 [1, -3, -3, 100, 100], [0, 1.5, 2.5, 6.5, 3.5], [1, 4, 4, 4, 4],
                 [-1, 0, 0, 3, 3], [2, 0, 0, 3, 3], [0.7, 0, 1, 7, 5]])
ROIS_ALIGNED = np.array([[0, 0.5, 0.6, 5.4, 3.5], [1, 2, 1, 7, 5], [1, -3, -3, 30, 30],
                         [0, 1.5, 2.5, 6.5, 3.5], [-1, 0, 0, 3, 3]])
L_BOXES = np.array([[0, 0, 1, 1], [0.5, 0.5, 2, 2], [1, 1, 0, 0], [0.2, 0.1, 0.6, 1.5]])
R_BOXES = np.array([[[0, 0, 1, 1], [0, 0, 0, 0], [0.2, 0.2, 0.3, 0.3]],
                    [[1, 1, 0.5, 0.5], [0.4, 0.3, 1.8, 1.1], [3, 3, 4, 4]]])


# ----------------------------------------------------------------------------- cases
Case = namedtuple('Case', 'id op params args ref grads')


def _c(cid, op, params, args, ref, grads=('data',)):
    return Case(cid, op, params, args, ref, list(grads))


def _roipool_out(a, p, dtype):
    return roipool_ref(a, p, dtype)[0]


CASES = [
    _c('roipool', 'ROIPooling', dict(pooled_size=(3, 2), spatial_scale=1.0),
       [('data', _distinct((2, 2, 6, 8))), ('rois', ROIS)], _roipool_out),
    _c('roipool_scaled', 'ROIPooling', dict(pooled_size=(2, 4), spatial_scale=0.5),
       [('data', _distinct((2, 1, 6, 8), 1)), ('rois', ROIS * [1, 2, 2, 2, 2])], _roipool_out),
    _c('roipool_fine_bins', 'ROIPooling', dict(pooled_size=(7, 5), spatial_scale=0.8),
       [('data', _distinct((2, 2, 6, 8), 2)), ('rois', ROIS)], _roipool_out),
    _c('roialign', 'contrib.ROIAlign', dict(pooled_size=(3, 2), spatial_scale=1.0),
       [('data', _normal((2, 2, 6, 8))), ('rois', ROIS[:7])], roialign_ref),
    _c('roialign_ratio2', 'contrib.ROIAlign',
       dict(pooled_size=(2, 3), spatial_scale=0.7, sample_ratio=2),
       [('data', _normal((2, 2, 6, 8), 1)), ('rois', ROIS[:7])], roialign_ref),
    _c('roialign_aligned', 'contrib.ROIAlign',
       dict(pooled_size=(3, 3), spatial_scale=0.9, aligned=True),
       [('data', _normal((2, 1, 6, 8), 2)), ('rois', ROIS_ALIGNED)], roialign_ref),
    _c('roialign_aligned_ratio1', 'contrib.ROIAlign',
       dict(pooled_size=(2, 2), spatial_scale=0.6, aligned=True, sample_ratio=1),
       [('data', _normal((2, 2, 5, 7), 3)), ('rois', ROIS_ALIGNED)], roialign_ref),
    _c('roialign_position_sensitive', 'contrib.ROIAlign',
       dict(pooled_size=(2, 2), spatial_scale=0.5, position_sensitive=True),
       [('data', _normal((2, 8, 4, 5), 4)), ('rois', ROIS_ALIGNED)], roialign_ref),
    _c('box_iou', 'contrib.box_iou', {}, [('lhs', L_BOXES), ('rhs', R_BOXES)], box_iou_ref,
       ()),
    _c('box_iou_center', 'contrib.box_iou', dict(format='center'),
       [('lhs', L_BOXES), ('rhs', R_BOXES)], box_iou_ref, ()),
    _c('nms', 'contrib.box_nms', {}, [('data', _boxes((2,), 10))], box_nms_ref, ()),
    _c('nms_2d', 'contrib.box_nms', dict(overlap_thresh=0.3), [('data', _boxes((), 10, 6, 1))],
       box_nms_ref, ()),
    _c('nms_classes', 'contrib.box_nms', dict(id_index=0, overlap_thresh=0.2),
       [('data', _boxes((2,), 10, 6, 2))], box_nms_ref, ()),
    _c('nms_background_topk', 'contrib.box_nms',
       dict(id_index=0, background_id=0, topk=4, overlap_thresh=0.2),
       [('data', _boxes((2,), 10, 6, 3))], box_nms_ref, ()),
    _c('nms_force', 'contrib.box_nms', dict(id_index=0, force_suppress=True,
                                            overlap_thresh=0.25, valid_thresh=0.3),
       [('data', _boxes((2,), 10, 6, 4))], box_nms_ref, ()),
    _c('nms_topk0_identity', 'contrib.box_nms', dict(topk=0), [('data', _boxes((2,), 5))],
       box_nms_ref, ()),
    _c('nms_center_formats', 'contrib.box_nms',
       dict(in_format='center', out_format='corner', overlap_thresh=0.2),
       [('data', _boxes((2,), 10, 6, 5))], box_nms_ref, ()),
    _c('nms_layout', 'contrib.box_nms',
       dict(score_index=0, id_index=6, coord_start=1, overlap_thresh=0.3, out_format='center'),
       [('data', _boxes((2, 1), 9, 7, 6)[..., [1, 2, 3, 4, 5, 6, 0]])], box_nms_ref, ()),
]
IDS = [c.id for c in CASES]
DTYPES = [np.float32, np.float64]
TOL = {np.float32: (1e-4, 1e-5), np.float64: (1e-10, 1e-12)}


def _fn(namespace, op):
    for part in op.split('.'):
        namespace = getattr(namespace, part)
    return namespace


def build(case):
    with mx.name.NameManager():
        return _fn(mx.sym, case.op)(*[mx.sym.var(n) for n, _ in case.args], name='op',
                                    **case.params)


def arrays_of(case, dtype):
    return {n: np.asarray(v, dtype=dtype) for n, v in case.args}


def expected(case, arrays, dtype):
    return case.ref([arrays[n].astype(np.float64) for n, _ in case.args], case.params, dtype)


# ----------------------------------------------------------------------------- harness
@pytest.mark.parametrize('dtype', DTYPES, ids=['float32', 'float64'])
@pytest.mark.parametrize('case', CASES, ids=IDS)
def test_forward_matches_loop_reference(case, dtype):
    sym = build(case)
    assert sym.list_arguments() == [n for n, _ in case.args]
    arrays = arrays_of(case, dtype)
    rtol, atol = TOL[dtype]
    out = check_symbolic_forward(sym, arrays, [expected(case, arrays, dtype)], rtol=rtol,
                                 atol=atol, dtype=dtype)
    assert out[0].dtype == dtype


@pytest.mark.parametrize('case', [c for c in CASES if c.grads], ids=[c.id for c in CASES
                                                                     if c.grads])
def test_gradient_matches_finite_differences(case):
    check_numeric_gradient(build(case), arrays_of(case, np.float64), grad_nodes=case.grads,
                           numeric_eps=1e-5, rtol=1e-5, atol=1e-7, dtype=np.float64)


@pytest.mark.parametrize('case', CASES, ids=IDS)
def test_infer_shape(case):
    sym = build(case)
    shapes = {n: np.shape(v) for n, v in case.args}
    arg_shapes, out_shapes, aux_shapes = sym.infer_shape(**shapes)
    assert arg_shapes == [np.shape(v) for _, v in case.args]
    assert out_shapes == [expected(case, arrays_of(case, np.float64), np.float64).shape]
    assert aux_shapes == []
    assert sym.infer_shape_partial()[1] in ([None], [()])
    if len(case.args) == 2:
        first = case.args[0][0]
        assert sym.infer_shape_partial(**{first: shapes[first]})[1] in ([None], [()])


@pytest.mark.parametrize('case', CASES, ids=IDS)
def test_json_round_trip(case):
    assert_json_round_trip(build(case))


@pytest.mark.parametrize('case', CASES, ids=IDS)
def test_imperative_call_equals_bound_symbol(case):
    arrays = arrays_of(case, np.float32)
    nd_out = _fn(mx.nd, case.op)(*[mx.nd.array(arrays[n]) for n, _ in case.args],
                                 **case.params)
    ex = build(case).bind(mx.cpu(), args={k: mx.nd.array(v) for k, v in arrays.items()})
    np.testing.assert_array_equal(nd_out.asnumpy(), ex.forward()[0].asnumpy())


ERRORS = [
    ('ROIPooling', dict(pooled_size=(2, 2), spatial_scale=1.0), [(1, 2, 4, 4), (3, 4)],
     r"'rois' has shape \(3, 4\); expected \(num_rois, 5\)"),
    ('ROIPooling', dict(pooled_size=(2, 2), spatial_scale=1.0), [(2, 4, 4), (3, 5)],
     r"'data' has shape \(2, 4, 4\); ROIPooling needs 4-D"),
    ('ROIPooling', dict(pooled_size=(2,), spatial_scale=1.0), [(1, 2, 4, 4), (3, 5)],
     r'pooled_size must be two positive ints'),
    ('ROIPooling', dict(pooled_size=(2, 2), spatial_scale=2.0), [(1, 2, 4, 4), (3, 5)],
     r"invalid value 2.0 for parameter 'spatial_scale'.*\[0.0, 1.0\]"),
    ('ROIPooling', dict(pooled_size=(2, 2)), [(1, 2, 4, 4), (3, 5)],
     r"required parameter 'spatial_scale'"),
    ('contrib.ROIAlign', dict(pooled_size=(2, 2), spatial_scale=1.0,
                              position_sensitive=True), [(1, 6, 4, 4), (3, 5)],
     r'6 channels must be a multiple of pooled_size h\*w = 4'),
    ('contrib.ROIAlign', dict(pooled_size=(2, 2), spatial_scale=1.5), [(1, 2, 4, 4), (3, 5)],
     r"invalid value 1.5 for parameter 'spatial_scale'"),
    ('contrib.box_iou', {}, [(3, 5), (2, 4)], r"'lhs' has shape \(3, 5\)"),
    ('contrib.box_iou', {}, [(3, 4), (4,)], r"'rhs' has shape \(4,\)"),
    ('contrib.box_iou', dict(format='xywh'), [(3, 4), (2, 4)], r"'xywh' is not one of"),
    ('contrib.box_nms', {}, [(3, 4)], r'rows of 4 values, but a box needs at least 5'),
    ('contrib.box_nms', dict(id_index=1), [(3, 5)], r'needs at least 6 .*class id'),
    ('contrib.box_nms', {}, [(6,)], r"'data' has shape \(6,\); box_nms needs at least 2-D"),
    ('contrib.box_nms', dict(score_index=3), [(3, 6)],
     r'score_index=3 must be in 0..5 and outside the coordinates 2..5'),
    ('contrib.box_nms', dict(coord_start=3), [(3, 6)],
     r'coord_start=3: coordinates 3..6 do not fit in rows of 6 values'),
    ('contrib.box_nms', dict(id_index=1, score_index=1, coord_start=2), [(3, 7)],
     r'id_index=1 must be .* not score_index'),
]


@pytest.mark.parametrize('op, params, shapes, pattern', ERRORS,
                         ids=['%s-%d' % (e[0], i) for i, e in enumerate(ERRORS)])
def test_errors_name_the_problem(op, params, shapes, pattern):
    with pytest.raises(MXNetError, match=pattern):
        _fn(mx.nd, op)(*[mx.nd.zeros(s) for s in shapes], **params)


# ----------------------------------------------------------------------------- ROIPooling
ARANGE = np.arange(2 * 2 * 6 * 8.0).reshape(2, 2, 6, 8)


def test_roipooling_matches_values_recorded_from_mxnet():
    rois = mx.nd.array([[0, 0.5, 0.6, 5.4, 3.5], [1, 2, 1, 7, 5], [0, 3, 3, 2, 2],
                        [1, -3, -3, 100, 100]])
    out = mx.nd.ROIPooling(mx.nd.array(ARANGE), rois, pooled_size=(3, 2),
                           spatial_scale=1.0).asnumpy()[:, 0]
    assert out.tolist() == [[[19, 21], [27, 29], [35, 37]], [[116, 119], [132, 135], [140, 143]],
                            [[27, 27], [27, 27], [27, 27]], [[143, 0], [0, 0], [0, 0]]]
    # C's round() takes halves away from zero: x 0.5 -> 1, y 1.5 -> 2, 2.5 -> 3
    one = mx.nd.ROIPooling(mx.nd.array(ARANGE), mx.nd.array([[0, 0.5, 1.5, 2.5, 2.5]]),
                           pooled_size=(1, 1), spatial_scale=1.0).asnumpy()
    assert one.ravel().tolist() == [27, 75]
    # batch index: truncated, and one outside the batch gives zeros
    idx = mx.nd.ROIPooling(mx.nd.array(ARANGE), mx.nd.array([[0.7, 0, 0, 3, 3], [1.9, 0, 0, 3, 3],
                                                             [2, 0, 0, 3, 3], [-1, 0, 0, 3, 3]]),
                           pooled_size=(1, 1), spatial_scale=1.0).asnumpy()
    assert idx.reshape(4, 2).tolist() == [[27, 75], [123, 171], [0, 0], [0, 0]]


def test_roipooling_ties_send_the_gradient_to_the_first_maximum():
    data = mx.nd.ones((1, 1, 4, 4))
    data.attach_grad()
    with mx.autograd.record():
        out = mx.nd.ROIPooling(data, mx.nd.array([[0, 0, 0, 3, 3]]), pooled_size=(2, 2),
                               spatial_scale=1.0)
    out.backward()
    want = np.zeros((4, 4))
    want[0::2, 0::2] = 1
    np.testing.assert_array_equal(data.grad.asnumpy()[0, 0], want)


def test_roipooling_gradient_accumulates_over_rois_and_matches_the_reference():
    case = CASES[IDS.index('roipool')]
    arrays = arrays_of(case, np.float32)
    head = np.random.RandomState(5).standard_normal((len(ROIS), 2, 3, 2))
    data, rois = mx.nd.array(arrays['data']), mx.nd.array(arrays['rois'])
    data.attach_grad()
    rois.attach_grad()
    with mx.autograd.record():
        out = mx.nd.ROIPooling(data, rois, **case.params)
    out.backward(mx.nd.array(head))
    want = np.zeros(arrays['data'].size)
    for r, ch, i, j, flat in roipool_ref([arrays['data'], arrays['rois']], case.params,
                                         np.float32)[1]:
        want[flat] += head[r, ch, i, j]
    np.testing.assert_allclose(data.grad.asnumpy().ravel(), want, rtol=1e-6)
    assert not rois.grad.asnumpy().any()


# ----------------------------------------------------------------------------- ROIAlign
def test_roialign_matches_values_recorded_from_mxnet():
    rois = mx.nd.array([[0, 0.5, 0.6, 5.4, 3.5], [1, 2, 1, 7, 5], [0, 3, 3, 2, 2]])
    out = mx.nd.contrib.ROIAlign(mx.nd.array(ARANGE), rois, pooled_size=(2, 3),
                                 spatial_scale=0.5).asnumpy()[:, 0]
    np.testing.assert_allclose(out, [[[5.9583, 6.775, 7.5917], [11.7583, 12.575, 13.3917]],
                                     [[105.4167, 106.25, 107.0833],
                                      [113.4167, 114.25, 115.0833]],
                                     [[15.6667, 16.0, 16.3333], [19.6667, 20.0, 20.3333]]],
                               atol=1e-3)
    aligned = mx.nd.contrib.ROIAlign(mx.nd.array(ARANGE), mx.nd.array([[0, 2.5, 2.5, 3.5, 3.5]]),
                                     pooled_size=(2, 3), spatial_scale=0.5, aligned=True)
    np.testing.assert_allclose(aligned.asnumpy()[0, 0], [[7.8333, 8.0, 8.1667],
                                                         [9.8333, 10.0, 10.1667]], atol=1e-3)


def test_roialign_aligned_rejects_rois_without_area():
    with pytest.raises(MXNetError, match=r'positive width and height; ROI 1 '):
        mx.nd.contrib.ROIAlign(mx.nd.ones((1, 1, 4, 4)),
                               mx.nd.array([[0, 0, 0, 2, 2], [0, 2, 2, 2, 2]]),
                               pooled_size=(2, 2), spatial_scale=0.5, aligned=True)


def test_roialign_negative_batch_index_gives_zeros_and_no_gradient():
    data = mx.nd.ones((1, 1, 4, 4))
    data.attach_grad()
    with mx.autograd.record():
        out = mx.nd.contrib.ROIAlign(data, mx.nd.array([[-1, 0, 0, 2, 2], [0, 0, 0, 2, 2]]),
                                     pooled_size=(2, 2), spatial_scale=1.0)
    out.backward()
    assert out.asnumpy()[0].tolist() == [[[0, 0], [0, 0]]]
    assert out.asnumpy()[1].tolist() == [[[1, 1], [1, 1]]]
    assert data.grad.asnumpy().sum() == pytest.approx(4.0)


def test_roi_ops_in_a_bound_graph_train_the_layer_below():
    data = mx.sym.var('data')
    conv = mx.sym.Convolution(data, kernel=(3, 3), pad=(1, 1), num_filter=4, name='conv')
    rois = mx.sym.var('rois')
    head = (mx.sym.ROIPooling(conv, rois, pooled_size=(2, 2), spatial_scale=0.5)
            + mx.sym.contrib.ROIAlign(conv, rois, pooled_size=(2, 2), spatial_scale=0.5))
    ex = head.simple_bind(mx.cpu(), data=(2, 3, 8, 8), rois=(3, 5))
    rng = np.random.RandomState(0)
    for name, arr in ex.arg_dict.items():
        arr[:] = rng.standard_normal(arr.shape)
    ex.arg_dict['rois'][:] = [[0, 0, 0, 10, 10], [1, 2, 4, 14, 12], [0, 6, 6, 15, 15]]
    out = ex.forward(is_train=True)[0]
    assert out.shape == (3, 4, 2, 2)
    ex.backward(mx.nd.ones(out.shape))
    assert np.abs(ex.grad_dict['conv_weight'].asnumpy()).sum() > 0
    assert not ex.grad_dict['rois'].asnumpy().any()


# ----------------------------------------------------------------------------- boxes
NMS_DATA = np.array([[[0, 0.9, 0.1, 0.1, 0.5, 0.5], [1, 0.8, 0.12, 0.1, 0.5, 0.5],
                      [0, 0.7, 0.11, 0.1, 0.5, 0.5], [0, 0.0, 0.1, 0.1, 0.2, 0.2],
                      [-1, 0.95, 0.6, 0.6, 0.9, 0.9], [2, 0.9, 0.3, 0.6, 0.9, 0.9]]])
F = [-1.0] * 6


@pytest.mark.parametrize('params, rows', [
    ({}, [[-1, 0.95, 0.6, 0.6, 0.9, 0.9], [0, 0.9, 0.1, 0.1, 0.5, 0.5],
          [2, 0.9, 0.3, 0.6, 0.9, 0.9], F, F, F]),
    # with classes, id -1 is the default background and goes; other classes never clash
    (dict(id_index=0), [[0, 0.9, 0.1, 0.1, 0.5, 0.5], [2, 0.9, 0.3, 0.6, 0.9, 0.9],
                        [1, 0.8, 0.12, 0.1, 0.5, 0.5], F, F, F]),
    (dict(id_index=0, background_id=0, topk=3), [[-1, 0.95, 0.6, 0.6, 0.9, 0.9],
                                                  [2, 0.9, 0.3, 0.6, 0.9, 0.9],
                                                  [1, 0.8, 0.12, 0.1, 0.5, 0.5], F, F, F]),
    (dict(topk=0), NMS_DATA[0].tolist()),
])
def test_box_nms_matches_results_recorded_from_mxnet(params, rows):
    out = mx.nd.contrib.box_nms(mx.nd.array(NMS_DATA), **params).asnumpy()
    np.testing.assert_allclose(out[0], rows, atol=1e-6)


def test_box_nms_gradient_follows_the_kept_rows():
    data = mx.nd.array(NMS_DATA)
    data.attach_grad()
    with mx.autograd.record():
        out = mx.nd.contrib.box_nms(data, id_index=0)
    out.backward(mx.nd.array(np.arange(36.0).reshape(1, 6, 6)))
    want = np.zeros((6, 6))
    want[0], want[5], want[1] = np.arange(0, 6), np.arange(6, 12), np.arange(12, 18)
    np.testing.assert_array_equal(data.grad.asnumpy()[0], want)   # as MXNet 1.9.1 gives


@pytest.mark.parametrize('case', [c for c in CASES if c.op == 'contrib.box_nms'],
                         ids=[c.id for c in CASES if c.op == 'contrib.box_nms'])
def test_box_nms_gradient_matches_the_reference_rows(case):
    boxes = arrays_of(case, np.float64)['data']
    head = np.random.RandomState(7).standard_normal(boxes.shape)
    x = mx.nd.array(boxes, dtype=np.float64)
    x.attach_grad()
    with mx.autograd.record():
        out = mx.nd.contrib.box_nms(x, **case.params)
    out.backward(mx.nd.array(head, dtype=np.float64))
    src = box_nms_full(boxes, case.params)[1].ravel()
    want = np.zeros((src.size, boxes.shape[-1]))
    rows = head.reshape(src.size, -1)
    want[src[src >= 0]] = rows[src >= 0]
    np.testing.assert_array_equal(x.grad.asnumpy().reshape(want.shape), want)


def test_box_nms_converts_every_kept_box_to_out_format():
    """MXNet 1.9.1 skips boxes whose first coordinate is negative; the documented
    behaviour converts them all."""
    data = mx.nd.array([[0, 0.9, -0.4, 0.2, 0.6, 1.0]])
    out = mx.nd.contrib.box_nms(data, out_format='center').asnumpy()
    np.testing.assert_allclose(out[0], [0, 0.9, 0.1, 0.6, 1.0, 0.8], atol=1e-6)


def test_box_iou_matches_mxnet_and_has_a_zero_gradient():
    lhs = mx.nd.array([[0, 0, 1, 1], [0.5, 0.5, 2, 2], [1, 1, 0, 0]])
    rhs = mx.nd.array([[0, 0, 1, 1], [0, 0, 0, 0], [0.2, 0.2, 0.3, 0.3], [1, 1, 0.5, 0.5]])
    np.testing.assert_allclose(mx.nd.contrib.box_iou(lhs, rhs).asnumpy(),
                               [[1, 0, 0.01, 0], [0.08333, 0, 0, 0], [0, 0, 0, 0]], atol=1e-5)
    lhs.attach_grad()
    rhs.attach_grad()
    with mx.autograd.record():
        out = mx.nd.contrib.box_iou(lhs, rhs, format='center')
    out.backward()
    np.testing.assert_allclose(out.asnumpy(), [[1, 0, 0.09, 0], [0.25, 0, 0.0225, 0.0625],
                                               [0, 0, 0, 0]], atol=1e-5)
    assert not lhs.grad.asnumpy().any() and not rhs.grad.asnumpy().any()


def test_names_hidden_outputs_and_alias_match_mxnet():
    d, r = mx.sym.var('data'), mx.sym.var('rois')
    syms = [(mx.sym.ROIPooling(d, r, pooled_size=(2, 2), spatial_scale=1.0, name='p'),
             'p_output', [0, 1, 2, 4]),
            (mx.sym.contrib.ROIAlign(d, r, pooled_size=(2, 2), spatial_scale=1.0, name='a'),
             'a_output', [0, 1, 2, 3]),
            (mx.sym.contrib.box_iou(d, r, name='i'), 'i_output', [0, 1, 2, 3]),
            (mx.sym.contrib.box_nms(d, name='n'), 'n_output0', [0, 1, 3]),
            (mx.sym.contrib.box_non_maximum_suppression(d, name='m'), 'm_output0', [0, 1, 3])]
    for sym, name, rows in syms:
        assert sym.list_outputs() == [name]
        assert json.loads(sym.tojson())['node_row_ptr'] == rows
    boxes = mx.nd.array(_boxes((), 6))
    np.testing.assert_array_equal(mx.nd.contrib.box_non_maximum_suppression(boxes).asnumpy(),
                                  mx.nd.contrib.box_nms(boxes).asnumpy())


def test_float16_roi_ops_run_close_to_float32():
    x = _normal((2, 2, 6, 8))
    rois = mx.nd.array(ROIS[:6])
    for fn in (lambda a: mx.nd.ROIPooling(a, rois.astype(a.dtype), pooled_size=(2, 2),
                                          spatial_scale=1.0),
               lambda a: mx.nd.contrib.ROIAlign(a, rois.astype(a.dtype), pooled_size=(2, 2),
                                                spatial_scale=1.0)):
        half = fn(mx.nd.array(x, dtype='float16'))
        assert half.dtype == np.float16
        np.testing.assert_allclose(half.asnumpy(), fn(mx.nd.array(x)).asnumpy(), atol=1e-2)
