"""PSROIPooling (contrib, R-FCN): a table of cases run by one harness in float32 and
float64 — forward against a loop reference and against values recorded from MXNet 1.9.1,
the gradient against central finite differences, shape inference, JSON, the imperative
path and error messages.
"""
import doctest
import itertools
import math
from collections import namedtuple

import numpy as np
import pytest

import mxlite as mx
from mxlite.base import MXNetError
from mxlite.test_utils import check_numeric_gradient

ROIS = np.array([[0, 0.3, 1.2, 4.6, 3.5], [1, 2.5, 0.5, 3.5, 4.4],
                 [1, -2, -1, 9, 9], [0, 3, 3, 2, 2]])


def make_data(seed, shape=(2, 8, 5, 6)):
    return np.random.RandomState(seed).rand(*shape)


PINNED_PARAMS = [dict(spatial_scale=0.7, output_dim=2, pooled_size=2),
                 dict(spatial_scale=0.5, output_dim=2, pooled_size=3, group_size=2)]
# recorded from MXNet 1.9.1 (float32) on make_data(7), ROIS with PINNED_PARAMS[i]
PINNED = {
    ('PSROIPooling', 0): [
        np.array([[[[0.31903 , 0.456511],
                    [0.383987, 0.534887]],
                 
                   [[0.535716, 0.527813],
                    [0.492962, 0.576615]]],
                 
                 
                  [[[0.490081, 0.574257],
                    [0.477737, 0.42941 ]],
                 
                   [[0.606357, 0.593643],
                    [0.29545 , 0.31507 ]]],
                 
                 
                  [[[0.550724, 0.423276],
                    [0.391954, 0.556247]],
                 
                   [[0.403053, 0.694764],
                    [0.453556, 0.272186]]],
                 
                 
                  [[[0.288146, 0.459093],
                    [0.741847, 0.599854]],
                 
                   [[0.44153 , 0.771442],
                    [0.276317, 0.89561 ]]]]),
    ],
    ('PSROIPooling', 1): [
        np.array([[[[0.288714, 0.425985, 0.472505],
                    [0.50112 , 0.072051, 0.572625],
                    [0.636852, 0.704022, 0.373501]],
                 
                   [[0.378362, 0.685907, 0.844627],
                    [0.532645, 0.796951, 0.992558],
                    [0.305524, 0.328682, 0.828347]]],
                 
                 
                  [[[0.587653, 0.652569, 0.205043],
                    [0.754053, 0.648342, 0.164977],
                    [0.881819, 0.826097, 0.137821]],
                 
                   [[0.440635, 0.557148, 0.430513],
                    [0.14723 , 0.343318, 0.437197],
                    [0.634356, 0.47852 , 0.673715]]],
                 
                 
                  [[[0.578701, 0.652569, 0.571601],
                    [0.488691, 0.497021, 0.369388],
                    [0.350414, 0.412724, 0.396611]],
                 
                   [[0.198294, 0.557148, 0.67232 ],
                    [0.22977 , 0.407424, 0.742704],
                    [0.592353, 0.384157, 0.28797 ]]],
                 
                 
                  [[[0.072051, 0.072051, 0.313995],
                    [0.072051, 0.072051, 0.313995],
                    [0.945048, 0.945048, 0.717242]],
                 
                   [[0.796951, 0.796951, 0.940661],
                    [0.796951, 0.796951, 0.940661],
                    [0.206286, 0.206286, 0.636502]]]]),
    ],
}


def _c_round(v):
    return math.floor(v + 0.5) if v >= 0 else -math.floor(-v + 0.5)


def psroi_ref(data, rois, p, dtype=np.float64):
    """Returns (output, list of (roi, c, i, j, image, channel, rows, cols))."""
    n, _, h, w = data.shape
    k = p['pooled_size']
    group = p.get('group_size', 0) or k
    ct = np.float32 if dtype == np.float32 else np.float64  # bins computed in the dtype
    out = np.zeros((len(rois), p['output_dim'], k, k))
    bins = []
    for r, roi in enumerate(rois):
        b = int(roi[0])
        if not 0 <= b < n:
            continue
        scale = ct(p['spatial_scale'])
        x0, y0 = ct(_c_round(roi[1])) * scale, ct(_c_round(roi[2])) * scale
        x1, y1 = ct(_c_round(roi[3]) + 1) * scale, ct(_c_round(roi[4]) + 1) * scale
        bh, bw = max(y1 - y0, ct(0.1)) / ct(k), max(x1 - x0, ct(0.1)) / ct(k)
        for c, i, j in itertools.product(range(p['output_dim']), range(k), range(k)):
            hs = min(max(math.floor(ct(i) * bh + y0), 0), h)
            he = min(max(math.ceil(ct(i + 1) * bh + y0), 0), h)
            ws = min(max(math.floor(ct(j) * bw + x0), 0), w)
            we = min(max(math.ceil(ct(j + 1) * bw + x0), 0), w)
            gi, gj = min(i * group // k, group - 1), min(j * group // k, group - 1)
            ch = (c * group + gi) * group + gj
            if he > hs and we > ws:
                out[r, c, i, j] = data[b, ch, hs:he, ws:we].mean()
                bins.append((r, c, i, j, b, ch, slice(hs, he), slice(ws, we)))
    return out, bins


Case = namedtuple('Case', 'id params data rois')
CASES = [Case('pinned-%d' % i, p, make_data(7), ROIS) for i, p in enumerate(PINNED_PARAMS)]
CASES += [
    Case('pooled1', dict(spatial_scale=1.0, output_dim=3, pooled_size=1), make_data(1,
                                                                                  (1, 3, 4, 4)),
         np.array([[0, 0, 0, 3, 3], [0, 1, 1, 1.4, 2.6]])),
    Case('group3_pooled2', dict(spatial_scale=0.25, output_dim=1, pooled_size=2,
                                group_size=3), make_data(2, (2, 9, 6, 5)),
         np.array([[1, 0, 0, 19, 23], [0, 4, 4, 12, 8], [5, 0, 0, 4, 4], [-1, 0, 0, 4, 4.]])),
    Case('half_rounding', dict(spatial_scale=0.5, output_dim=1, pooled_size=2),
         make_data(3, (1, 4, 6, 6)), np.array([[0, 0.5, 1.5, 6.5, -0.5], [0, 2.5, 2.5, 8.5, 9]])),
]
IDS = [c.id for c in CASES]
DTYPES = [np.float32, np.float64]
TOL = {np.float32: (1e-5, 1e-6), np.float64: (1e-12, 1e-12)}


def build(case):
    with mx.name.NameManager():
        return mx.sym.contrib.PSROIPooling(mx.sym.var('data'), mx.sym.var('rois'), name='op',
                                           **case.params)


def run(case, dtype):
    return mx.nd.contrib.PSROIPooling(mx.nd.array(case.data, dtype=dtype),
                                      mx.nd.array(case.rois, dtype=dtype), **case.params)


@pytest.mark.parametrize('dtype', DTYPES, ids=['float32', 'float64'])
@pytest.mark.parametrize('case', CASES, ids=IDS)
def test_forward_matches_loop_reference(case, dtype):
    data = case.data.astype(dtype)
    want, _ = psroi_ref(data.astype(np.float64), case.rois.astype(dtype), case.params, dtype)
    got = run(case, dtype).asnumpy()
    assert got.dtype == dtype
    np.testing.assert_allclose(got, want, *TOL[dtype])


@pytest.mark.parametrize('i', range(len(PINNED)))
def test_forward_matches_values_recorded_from_mxnet(i):
    got = run(CASES[i], np.float32).asnumpy()
    np.testing.assert_allclose(got, PINNED[('PSROIPooling', i)][0], rtol=1e-5, atol=2e-6)


@pytest.mark.parametrize('case', CASES, ids=IDS)
def test_gradient_matches_finite_differences(case):
    check_numeric_gradient(build(case), {'data': case.data, 'rois': case.rois},
                           grad_nodes=['data'], numeric_eps=1e-4, rtol=1e-5, atol=1e-7,
                           dtype=np.float64)


@pytest.mark.parametrize('case', CASES, ids=IDS)
def test_gradient_matches_the_reference_bins(case):
    head = np.random.RandomState(5).rand(len(case.rois), case.params['output_dim'],
                                         case.params['pooled_size'], case.params['pooled_size'])
    _, bins = psroi_ref(case.data, case.rois, case.params)
    want = np.zeros(case.data.shape)
    for r, c, i, j, b, ch, rows, cols in bins:
        area = (rows.stop - rows.start) * (cols.stop - cols.start)
        want[b, ch, rows, cols] += head[r, c, i, j] / area
    data = mx.nd.array(case.data, dtype='float64')
    rois = mx.nd.array(case.rois, dtype='float64')
    data.attach_grad()
    rois.attach_grad()
    with mx.autograd.record():
        out = mx.nd.contrib.PSROIPooling(data, rois, **case.params)
    out.backward(mx.nd.array(head, dtype='float64'))
    np.testing.assert_allclose(data.grad.asnumpy(), want, rtol=1e-12, atol=1e-14)
    assert not rois.grad.asnumpy().any()


def test_gradient_matches_values_recorded_from_mxnet():
    case = CASES[0]
    head = np.random.RandomState(0).rand(4, 2, 2, 2)
    data = mx.nd.array(case.data)
    data.attach_grad()
    with mx.autograd.record():
        out = mx.nd.contrib.PSROIPooling(data, mx.nd.array(case.rois), **case.params)
    out.backward(mx.nd.array(head))
    g = data.grad.asnumpy()
    # MXNet 1.9.1 on the same call: the gradient summed per channel, and image 1 channel 3
    np.testing.assert_allclose(g.sum(axis=(0, 2, 3)), [
        1.650969, 2.571172, 2.315998, 2.888459, 2.492166, 2.785311, 1.234658, 2.533665],
        rtol=1e-5)
    a, b, c = 0.132224, 0.240975, 0.108752
    np.testing.assert_allclose(g[1, 3], [[0, 0, 0, 0, 0, 0], [0, 0, 0, 0, 0, 0],
                                         [0, 0, a, a, 0, 0], [0, 0, b, b, c, c],
                                         [0, 0, c, c, c, c]], rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize('case', CASES, ids=IDS)
def test_infer_shape(case):
    sym = build(case)
    k = case.params['pooled_size']
    arg, out, aux = sym.infer_shape(data=case.data.shape, rois=case.rois.shape)
    assert arg == [case.data.shape, case.rois.shape]
    assert out == [(len(case.rois), case.params['output_dim'], k, k)]
    assert aux == []
    assert sym.infer_shape_partial()[1] in ([None], [()])
    assert sym.infer_shape_partial(data=case.data.shape)[1] in ([None], [()])


@pytest.mark.parametrize('case', CASES, ids=IDS)
def test_json_round_trip(case):
    sym = build(case)
    text = sym.tojson()
    assert mx.sym.load_json(text).tojson() == text
    assert mx.sym.load_json(text).list_arguments() == ['data', 'rois']


@pytest.mark.parametrize('case', CASES, ids=IDS)
def test_imperative_call_equals_bound_symbol(case):
    ex = build(case).bind(mx.cpu(), args={'data': mx.nd.array(case.data),
                                          'rois': mx.nd.array(case.rois)})
    np.testing.assert_array_equal(ex.forward()[0].asnumpy(),
                                  run(case, np.float32).asnumpy())


ERRORS = [
    (dict(spatial_scale=1.0, output_dim=3, pooled_size=2), [(1, 8, 4, 4), (2, 5)],
     r"'data' has shape \(1, 8, 4, 4\).*needs output_dim \* group_size\*\*2 = 12 channels"),
    (dict(spatial_scale=1.0, output_dim=2, pooled_size=2), [(1, 8, 4, 4), (2, 4)],
     r"'rois' has shape \(2, 4\); expected \(num_rois, 5\)"),
    (dict(spatial_scale=1.0, output_dim=2, pooled_size=2), [(8, 4, 4), (2, 5)],
     r"'data' has shape \(8, 4, 4\); PSROIPooling needs 4-D"),
    (dict(spatial_scale=1.0, output_dim=2, pooled_size=0), [(1, 8, 4, 4), (2, 5)],
     r'pooled_size must be positive'),
    (dict(spatial_scale=1.0, pooled_size=2), [(1, 8, 4, 4), (2, 5)],
     r"required parameter 'output_dim'"),
]


@pytest.mark.parametrize('params, shapes, pattern', ERRORS,
                         ids=[str(i) for i in range(len(ERRORS))])
def test_errors_name_the_problem(params, shapes, pattern):
    with pytest.raises(MXNetError, match=pattern):
        mx.nd.contrib.PSROIPooling(*[mx.nd.zeros(s) for s in shapes], **params)


def test_name_and_signature_match_mxnet():
    sym = mx.sym.contrib.PSROIPooling(spatial_scale=1, output_dim=2, pooled_size=2, name='x')
    assert sym.list_arguments() == ['x_data', 'x_rois']
    assert sym.list_outputs() == ['x_output']


def test_docstring_examples_run():
    from mxlite.ops import psroi
    assert doctest.testmod(psroi, extraglobs={'mx': mx}).failed == 0
