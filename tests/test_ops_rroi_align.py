"""RROIAlign (contrib, rotated ROI align): a table of cases run by one harness in float32
and float64 — forward against a plain loop reference and values recorded from MXNet
1.9.1, the data gradient against finite differences (MXNet 1.9.1 has none), shapes, JSON,
the imperative path and errors.
"""
import itertools
import math
from collections import namedtuple

import numpy as np
import pytest

import mxlite as mx
from mxlite.base import MXNetError
from mxlite.test_utils import assert_almost_equal, check_numeric_gradient
from optest import assert_json_round_trip


def sample_ref(img, y, x):
    height, width = img.shape
    if y < -1 or y > height or x < -1 or x > width:
        return 0.0
    y, x = max(y, 0.0), max(x, 0.0)
    y0, x0 = int(y), int(x)
    if y0 >= height - 1:
        y0 = y1 = height - 1
        y = float(y0)
    else:
        y1 = y0 + 1
    if x0 >= width - 1:
        x0 = x1 = width - 1
        x = float(x0)
    else:
        x1 = x0 + 1
    ly, lx = y - y0, x - x0
    return ((1 - ly) * (1 - lx) * img[y0, x0] + (1 - ly) * lx * img[y0, x1]
            + ly * (1 - lx) * img[y1, x0] + ly * lx * img[y1, x1])


def rroi_ref(data, rois, p):
    ph, pw = p['pooled_size']
    sr = p.get('sampling_ratio', -1)
    out = np.zeros((len(rois), data.shape[1], ph, pw))
    for r, roi in enumerate(rois):
        b = int(roi[0])
        cx, cy = roi[1] * p['spatial_scale'], roi[2] * p['spatial_scale']
        rw = max(roi[3] * p['spatial_scale'], 1.0)
        rh = max(roi[4] * p['spatial_scale'], 1.0)
        t = roi[5] * math.pi / 180
        gh = sr if sr > 0 else math.ceil(rh / ph)
        gw = sr if sr > 0 else math.ceil(rw / pw)
        for c, i, j in itertools.product(range(data.shape[1]), range(ph), range(pw)):
            acc = 0.0
            for a, e in itertools.product(range(gh), range(gw)):
                yy = -rh / 2 + i * rh / ph + (a + 0.5) * rh / ph / gh
                xx = -rw / 2 + j * rw / pw + (e + 0.5) * rw / pw / gw
                x = xx * math.cos(t) + yy * math.sin(t) + cx
                y = yy * math.cos(t) - xx * math.sin(t) + cy
                acc += sample_ref(data[b, c], y, x)
            out[r, c, i, j] = acc / max(gh * gw, 1)
    return out


ROIS = np.array([[0, 4, 3, 5, 3, 30], [1, 2.5, 4.5, 7, 2.2, -75], [0, 6, 6, 1, 0.5, 180],
                 [1, 3, 3, 12, 9, 45], [0, -1, 8, 4, 4, 10], [0, 4, 4, 3.3, 2.1, 0]])
# inside the map and off integer sampling points: the gradient check has no kinks nearby
INNER = np.array([[0, 4.1, 3.2, 3.3, 2.6, 31], [1, 3.3, 4.15, 4.4, 2.2, -73],
                  [1, 4.05, 3.35, 2.9, 2.3, 0]])
Case = namedtuple('Case', 'id params')
CASES = [
    Case('adaptive', dict(pooled_size=(2, 2), spatial_scale=1.0)),
    Case('ratio2', dict(pooled_size=(3, 2), spatial_scale=0.5, sampling_ratio=2)),
    Case('wide_ratio0', dict(pooled_size=(1, 4), spatial_scale=0.9, sampling_ratio=0)),
    Case('ratio3', dict(pooled_size=(2, 3), spatial_scale=0.8, sampling_ratio=3)),
]
IDS = [c.id for c in CASES]
DTYPES = [np.float32, np.float64]


def make_data(seed=0):
    return np.random.RandomState(seed).randn(2, 3, 8, 9)


def build(case):
    with mx.name.NameManager():
        return mx.sym.contrib.RROIAlign(mx.sym.var('data'), mx.sym.var('rois'), name='op',
                                        **case.params)


@pytest.mark.parametrize('dtype', DTYPES)
@pytest.mark.parametrize('case', CASES, ids=IDS)
def test_forward(case, dtype):
    data = make_data()
    args = {'data': mx.nd.array(data, dtype=dtype), 'rois': mx.nd.array(ROIS, dtype=dtype)}
    got = build(case).bind(mx.cpu(), args=args, grad_req='null').forward()[0].asnumpy()
    tol = 1e-5 if dtype == np.float32 else 1e-12
    assert got.dtype == dtype
    assert_almost_equal(got, rroi_ref(data, ROIS, case.params), rtol=tol, atol=tol)
    nd = mx.nd.contrib.RROIAlign(args['data'], args['rois'], **case.params)
    assert_almost_equal(nd.asnumpy(), got, rtol=0, atol=0)


@pytest.mark.parametrize('case', CASES, ids=IDS)
def test_gradient(case):
    check_numeric_gradient(build(case), {'data': make_data(1), 'rois': INNER},
                           numeric_eps=1e-6, rtol=1e-6, atol=1e-9, grad_nodes=['data'],
                           dtype=np.float64)


@pytest.mark.parametrize('case', CASES, ids=IDS)
def test_shapes_and_json(case):
    sym = build(case)
    arg, out, aux = sym.infer_shape(data=(2, 3, 8, 9), rois=(6, 6))
    assert arg == [(2, 3, 8, 9), (6, 6)] and aux == []
    assert out == [(6, 3) + case.params['pooled_size']]
    _, out, _ = sym.infer_shape_partial(data=(2, 3, 8, 9))
    assert out[0] in (None, ())
    assert_json_round_trip(sym)


def test_matches_mxnet_pinned():
    d = mx.nd.array(np.cos(np.arange(60)).reshape(1, 2, 5, 6))
    r = mx.nd.array([[0, 2.5, 2, 3, 2, 30], [0, 3, 2.4, 5.5, 1.5, -120]])
    got = mx.nd.contrib.RROIAlign(d, r, pooled_size=(2, 2), spatial_scale=0.9)
    want = [[[[0.5086322, -0.5878164], [0.3242267, -0.6967748]],
             [[0.7631127, 0.5363506], [0.8262756, 0.3741377]]],
            [[[-0.8019181, 0.1319246], [-0.7508378, 0.4767567]],
             [[-0.2225947, 0.8122609], [0.1774294, 0.7027621]]]]  # MXNet 1.9.1
    assert_almost_equal(got.asnumpy(), np.array(want), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize('kwargs, shapes, match', [
    (dict(pooled_size=(2, 2)), dict(data=(1, 2, 5, 5), rois=(3, 5)), "'rois' has shape"),
    (dict(pooled_size=(2, 2)), dict(data=(1, 2, 5), rois=(3, 6)), "'data' has shape"),
    (dict(pooled_size=(2,)), dict(data=(1, 2, 5, 5), rois=(3, 6)), 'pooled_size'),
])
def test_errors(kwargs, shapes, match):
    sym = mx.sym.contrib.RROIAlign(spatial_scale=1.0, name='rr', **kwargs)
    with pytest.raises(MXNetError, match=match):
        sym.infer_shape(**{'rr_' + k: v for k, v in shapes.items()})


def test_spatial_scale_bounded_like_mxnet():
    with pytest.raises(MXNetError, match='spatial_scale'):
        mx.sym.contrib.RROIAlign(pooled_size=(2, 2), spatial_scale=1.5)
