"""DeformableConvolution (DCNv1) and ModulatedDeformableConvolution (DCNv2), contrib: a
table of geometries run by one harness in float32 and float64 — forward against a plain
loop reference, against plain Convolution when offsets are zero (and the mask one), and
against values recorded from MXNet 1.9.1; gradients of data, offset, mask, weight and
bias against finite differences; shape inference, JSON, the imperative path, errors.
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

OPS = {'dcn': 'DeformableConvolution', 'mdcn': 'ModulatedDeformableConvolution'}


# ----------------------------------------------------------------------------- reference
def sample_ref(img, h, w, style):
    """One bilinear read of the 2-D map `img` at (h, w), by each op's border rule."""
    height, width = img.shape
    if style == 'dcn':
        if not (0 <= h < height and 0 <= w < width):
            return 0.0
        h0, w0 = math.floor(h), math.floor(w)
        if h0 >= height - 1:
            h0, h = height - 1, float(height - 1)
        if w0 >= width - 1:
            w0, w = width - 1, float(width - 1)
        h1, w1 = min(h0 + 1, height - 1), min(w0 + 1, width - 1)
    else:
        if not (-1 < h < height and -1 < w < width):
            return 0.0
        h0, w0 = math.floor(h), math.floor(w)
        h1, w1 = h0 + 1, w0 + 1
    lh, lw = h - h0, w - w0

    def at(r, c):
        return img[r, c] if 0 <= r < height and 0 <= c < width else 0.0
    return ((1 - lh) * (1 - lw) * at(h0, w0) + (1 - lh) * lw * at(h0, w1)
            + lh * (1 - lw) * at(h1, w0) + lh * lw * at(h1, w1))


def deform_conv_ref(style, x, offset, mask, weight, bias, g):
    n, c, _, _ = x.shape
    f, cg, kh, kw = weight.shape
    ho, wo = offset.shape[2:]
    groups, dg = g['num_group'], g['num_deformable_group']
    cd, fg = c // dg, f // groups
    out = np.zeros((n, f, ho, wo))
    for b, y, xo, o in itertools.product(range(n), range(ho), range(wo), range(f)):
        grp = o // fg
        acc = 0.0 if bias is None else bias[o]
        for ci, i, j in itertools.product(range(cg), range(kh), range(kw)):
            ch = grp * cg + ci
            d, tap = ch // cd, i * kw + j
            hh = y * g['stride'][0] - g['pad'][0] + i * g['dilate'][0] \
                + offset[b, (d * kh * kw + tap) * 2, y, xo]
            ww = xo * g['stride'][1] - g['pad'][1] + j * g['dilate'][1] \
                + offset[b, (d * kh * kw + tap) * 2 + 1, y, xo]
            v = sample_ref(x[b, ch], hh, ww, style)
            if mask is not None:
                v *= mask[b, d * kh * kw + tap, y, xo]
            acc += weight[o, ci, i, j] * v
        out[b, o, y, xo] = acc
    return out


# ----------------------------------------------------------------------------- cases
Case = namedtuple('Case', 'id n c h w geom')
CASES = [
    Case('3x3_pad1', 2, 3, 5, 4, dict(kernel=(3, 3), stride=(1, 1), dilate=(1, 1), pad=(1, 1),
                                      num_filter=4, num_group=1, num_deformable_group=1)),
    Case('stride_dilate', 1, 4, 7, 6, dict(kernel=(2, 3), stride=(2, 1), dilate=(2, 1),
                                           pad=(1, 0), num_filter=2, num_group=2,
                                           num_deformable_group=2)),
    Case('1x1_dg4_nobias', 2, 4, 3, 3, dict(kernel=(1, 1), stride=(1, 1), dilate=(1, 1),
                                            pad=(0, 0), num_filter=3, num_group=1,
                                            num_deformable_group=4, no_bias=True)),
    Case('groups4', 1, 4, 4, 5, dict(kernel=(2, 2), stride=(1, 2), dilate=(1, 1), pad=(1, 1),
                                     num_filter=4, num_group=4, num_deformable_group=1)),
]
IDS = [c.id for c in CASES]
DTYPES = [np.float32, np.float64]


def out_hw(case):
    g = case.geom
    return tuple((s + 2 * p - (d * (k - 1) + 1)) // t + 1 for s, p, d, k, t in
                 zip((case.h, case.w), g['pad'], g['dilate'], g['kernel'], g['stride']))


def make_inputs(case, style, seed=0, spread=2.0):
    """Inputs with every sampling position's fraction in [0.2, 0.8] (no kinks nearby)."""
    rng = np.random.RandomState(seed)
    g = case.geom
    taps = g['kernel'][0] * g['kernel'][1]
    dg = g['num_deformable_group']
    ho, wo = out_hw(case)
    offset = (np.round(rng.uniform(-spread, spread, (case.n, dg * 2 * taps, ho, wo)))
              + rng.uniform(0.2, 0.8, (case.n, dg * 2 * taps, ho, wo)))
    vals = {'data': rng.randn(case.n, case.c, case.h, case.w), 'offset': offset,
            'weight': rng.randn(g['num_filter'], case.c // g['num_group'], *g['kernel'])}
    if style == 'mdcn':
        vals['mask'] = rng.uniform(0.1, 1.0, (case.n, dg * taps, ho, wo))
    if not g.get('no_bias'):
        vals['bias'] = rng.randn(g['num_filter'])
    return vals


def build(case, style):
    names = ['data', 'offset'] + (['mask'] if style == 'mdcn' else []) + ['weight']
    if not case.geom.get('no_bias'):
        names.append('bias')
    with mx.name.NameManager():
        op = getattr(mx.sym.contrib, OPS[style])
        return op(*[mx.sym.var(v) for v in names], name='op', **case.geom), names


def reference(case, style, vals):
    return deform_conv_ref(style, vals['data'], vals['offset'], vals.get('mask'),
                           vals['weight'], vals.get('bias'), case.geom)


# ----------------------------------------------------------------------------- harness
@pytest.mark.parametrize('style', sorted(OPS))
@pytest.mark.parametrize('dtype', DTYPES)
@pytest.mark.parametrize('case', CASES, ids=IDS)
def test_forward_matches_loop_and_imperative(case, dtype, style):
    vals = make_inputs(case, style)
    sym, names = build(case, style)
    args = {k: mx.nd.array(vals[k], dtype=dtype) for k in names}
    ex = sym.bind(mx.cpu(), args=args, grad_req='null')
    got = ex.forward()[0].asnumpy()
    want = reference(case, style, vals)
    tol = 1e-4 if dtype == np.float32 else 1e-10
    assert got.dtype == dtype
    assert_almost_equal(got, want, rtol=tol, atol=tol)
    nd = getattr(mx.nd.contrib, OPS[style])(*[args[k] for k in names], **case.geom)
    assert_almost_equal(nd.asnumpy(), got, rtol=0, atol=0)


@pytest.mark.parametrize('style', sorted(OPS))
@pytest.mark.parametrize('case', CASES, ids=IDS)
def test_gradient_numeric(case, style):
    vals = make_inputs(case, style, seed=1)
    sym, names = build(case, style)
    check_numeric_gradient(sym, {k: vals[k] for k in names}, numeric_eps=1e-5, rtol=1e-5,
                           atol=1e-7, dtype=np.float64)


@pytest.mark.parametrize('style', sorted(OPS))
@pytest.mark.parametrize('case', CASES, ids=IDS)
def test_zero_offset_equals_convolution(case, style):
    vals = make_inputs(case, style)
    vals['offset'][...] = 0
    if style == 'mdcn':
        vals['mask'][...] = 1
    sym, names = build(case, style)
    x = {k: mx.nd.array(vals[k], dtype=np.float64) for k in names}
    got = getattr(mx.nd.contrib, OPS[style])(*[x[k] for k in names], **case.geom)
    conv_args = [x['data'], x['weight']] + ([x['bias']] if 'bias' in x else [])
    plain = {k: v for k, v in case.geom.items() if k != 'num_deformable_group'}
    want = mx.nd.Convolution(*conv_args, **plain)
    assert_almost_equal(got.asnumpy(), want.asnumpy(), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize('style', sorted(OPS))
@pytest.mark.parametrize('case', CASES, ids=IDS)
def test_shapes_and_json(case, style):
    sym, names = build(case, style)
    g = case.geom
    ho, wo = out_hw(case)
    taps = g['kernel'][0] * g['kernel'][1]
    dg = g['num_deformable_group']
    arg, out, aux = sym.infer_shape(data=(case.n, case.c, case.h, case.w))
    want = {'data': (case.n, case.c, case.h, case.w), 'offset': (case.n, dg * 2 * taps, ho, wo),
            'mask': (case.n, dg * taps, ho, wo),
            'weight': (g['num_filter'], case.c // g['num_group']) + g['kernel'],
            'bias': (g['num_filter'],)}
    assert dict(zip(sym.list_arguments(), arg)) == {k: want[k] for k in names}
    assert out == [(case.n, g['num_filter'], ho, wo)] and aux == []
    # data unknown: nothing downstream is decided, but the bias still is
    arg, out, _ = sym.infer_shape_partial()
    assert out == [None] or out == [()] or out[0] in (None, ())
    assert_json_round_trip(sym)


# ----------------------------------------------------------------------------- MXNet values
def pinned_inputs():
    x = np.linspace(-1, 1, 2 * 2 * 4 * 4).reshape(2, 2, 4, 4)
    offset = np.sin(np.arange(2 * 8 * 5 * 5)).reshape(2, 8, 5, 5) * 1.3
    weight = np.cos(np.arange(3 * 2 * 2 * 2)).reshape(3, 2, 2, 2)
    mask = np.abs(np.cos(np.arange(2 * 4 * 5 * 5))).reshape(2, 4, 5, 5)
    return x, offset, mask, weight, np.array([0.1, -0.2, 0.3])


# MXNet 1.9.1, float32: output[1, 2] of each op on pinned_inputs(), kernel (2, 2), pad 1
PINNED = {
    'dcn': [[0.3, 0.3, -0.3123826, -0.1696438, -0.2832322],
            [0.0969663, 0.3, 0.3, -0.7867482, 0.3],
            [-0.9307278, -0.7918645, -0.4316912, -0.2909081, -0.8992775],
            [-0.4293275, -0.3840959, -0.906625, -0.7162873, -0.7785006],
            [0.3, -0.3525048, 0.3, -0.4330177, -0.988033]],
    'mdcn': [[0.3, 0.2772351, -0.0562776, 0.106638, 0.3157095],
             [0.1603668, 0.2163163, -0.3384349, -0.2827726, 0.3],
             [-0.7602622, -0.4030125, 0.1380959, -0.558921, -0.2723939],
             [0.1889081, -0.2654241, -0.479168, 0.2352583, -0.5700881],
             [-0.0122958, 0.2974347, 0.3, 0.0937292, 0.0880933]],
}


@pytest.mark.parametrize('style', sorted(OPS))
def test_matches_mxnet_pinned(style):
    x, offset, mask, weight, bias = [mx.nd.array(v) for v in pinned_inputs()]
    args = [x, offset] + ([mask] if style == 'mdcn' else []) + [weight, bias]
    got = getattr(mx.nd.contrib, OPS[style])(*args, kernel=(2, 2), pad=(1, 1), num_filter=3)
    assert_almost_equal(got.asnumpy()[1, 2], np.array(PINNED[style]), rtol=1e-5, atol=2e-6)


def test_border_rules_differ_like_mxnet():
    """DCNv1 reads only inside [0, H) and clamps at the last row; DCNv2 reads inside
    (-1, H) with zeros beyond the map (values recorded from MXNet 1.9.1)."""
    x = mx.nd.arange(1, 10).reshape((1, 1, 3, 3))
    w, b = mx.nd.ones((1, 1, 1, 1)), mx.nd.zeros(1)
    off = mx.nd.zeros((1, 2, 3, 3))
    off[0, 0] = -0.5
    v1 = mx.nd.contrib.DeformableConvolution(x, off, w, b, kernel=(1, 1), num_filter=1)
    v2 = mx.nd.contrib.ModulatedDeformableConvolution(x, off, mx.nd.ones((1, 1, 3, 3)), w, b,
                                                      kernel=(1, 1), num_filter=1)
    assert_almost_equal(v1.asnumpy().ravel(), np.array([0, 0, 0, 2.5, 3.5, 4.5, 5.5, 6.5, 7.5]))
    assert_almost_equal(v2.asnumpy().ravel(),
                        np.array([0.5, 1, 1.5, 2.5, 3.5, 4.5, 5.5, 6.5, 7.5]))
    off[0, 0] = 1.5
    v1 = mx.nd.contrib.DeformableConvolution(x, off, w, b, kernel=(1, 1), num_filter=1)
    assert_almost_equal(v1.asnumpy().ravel(), np.array([5.5, 6.5, 7.5, 7, 8, 9, 0, 0, 0]))


def test_dcn_gradients_match_mxnet_pinned():
    """Data and offset gradients of DCNv1 (MXNet 1.9.1 float32, sum of the output)."""
    x, offset, _, weight, bias = [mx.nd.array(v) for v in pinned_inputs()]
    for a in (x, offset):
        a.attach_grad()
    with mx.autograd.record():
        y = mx.nd.contrib.DeformableConvolution(x, offset, weight, bias, kernel=(2, 2),
                                                pad=(1, 1), num_filter=3)
    y.backward()
    assert_almost_equal(x.grad.asnumpy()[0, 0, 0], np.array(PIN_GRAD['data']), rtol=1e-5,
                        atol=1e-5)
    assert_almost_equal(offset.grad.asnumpy()[0, :, 2, 2], np.array(PIN_GRAD['offset']),
                        rtol=1e-5, atol=1e-5)


PIN_GRAD = {'data': [-0.2442385, -0.8861055, -0.3300071, -0.751752],
            'offset': [6.2873997e-02, 1.5718494e-02, -3.3165514e-04, -8.2926825e-05, 0, 0,
                       -6.7997567e-02, -1.6999399e-02]}


# ----------------------------------------------------------------------------- errors
def test_module_symbol_names():
    sym = mx.sym.contrib.ModulatedDeformableConvolution(kernel=(3, 3), num_filter=2, name='dc')
    assert sym.list_arguments() == ['dc_data', 'dc_offset', 'dc_mask', 'dc_weight', 'dc_bias']
    sym = mx.sym.contrib.DeformableConvolution(kernel=(3, 3), num_filter=2, no_bias=True,
                                               name='dc')
    assert sym.list_arguments() == ['dc_data', 'dc_offset', 'dc_weight']


@pytest.mark.parametrize('kwargs, shapes, match', [
    (dict(kernel=(3,), num_filter=2), dict(data=(1, 2, 5, 5)), '2-D kernels only'),
    (dict(kernel=(3, 3), num_filter=2, layout='NCW'), dict(data=(1, 2, 5, 5)), "'NCHW' only"),
    (dict(kernel=(3, 3), num_filter=3, num_group=2), dict(data=(1, 2, 5, 5)),
     'divisible by num_group'),
    (dict(kernel=(3, 3), num_filter=2, num_deformable_group=3), dict(data=(1, 2, 5, 5)),
     'num_deformable_group=3'),
    (dict(kernel=(3, 3), num_filter=2), dict(data=(1, 2, 5, 5), offset=(1, 9, 3, 3)),
     "input 'offset' has shape"),
    (dict(kernel=(3, 3), num_filter=2), dict(data=(1, 2, 2, 2)), 'does not fit'),
    (dict(kernel=(3, 3), num_filter=2), dict(data=(1, 2, 5)), '4-D NCHW'),
    (dict(kernel=(3, 3), num_filter=2, stride=(0, 1)), dict(data=(1, 2, 5, 5)),
     'stride .* positive'),
])
def test_errors(kwargs, shapes, match):
    sym = mx.sym.contrib.DeformableConvolution(name='dc', **kwargs)
    with pytest.raises(MXNetError, match=match):
        sym.infer_shape(**{'dc_' + k: v for k, v in shapes.items()})


def test_bad_param():
    with pytest.raises(MXNetError, match='num_filter'):
        mx.sym.contrib.DeformableConvolution(kernel=(3, 3))


# ============================================================================= DeformablePSROIPooling
def _c_round(v):
    return math.floor(v + 0.5) if v >= 0 else -math.floor(-v + 0.5)


def psroi_sample_ref(img, h, w):
    height, width = img.shape
    h, w = min(max(h, 0), height - 1), min(max(w, 0), width - 1)
    h0, w0, h1, w1 = math.floor(h), math.floor(w), math.ceil(h), math.ceil(w)
    lh, lw = h - h0, w - w0
    return ((1 - lh) * (1 - lw) * img[h0, w0] + (1 - lh) * lw * img[h0, w1]
            + lh * (1 - lw) * img[h1, w0] + lh * lw * img[h1, w1])


def dpsroi_ref(data, rois, trans, p):
    n, _, height, width = data.shape
    k, group, dim, s = p['pooled_size'], p['group_size'], p['output_dim'], \
        p.get('sample_per_part', 1)
    part = p.get('part_size', 0) or k
    classes = 1 if trans is None else trans.shape[1] // 2
    out = np.zeros((len(rois), dim, k, k))
    for r, roi in enumerate(rois):
        b = int(roi[0])
        x0 = _c_round(roi[1]) * p['spatial_scale'] - 0.5
        y0 = _c_round(roi[2]) * p['spatial_scale'] - 0.5
        x1 = (_c_round(roi[3]) + 1) * p['spatial_scale'] - 0.5
        y1 = (_c_round(roi[4]) + 1) * p['spatial_scale'] - 0.5
        rw, rh = max(x1 - x0, 0.1), max(y1 - y0, 0.1)
        bw, bh = rw / k, rh / k
        for c, i, j in itertools.product(range(dim), range(k), range(k)):
            cls = c // (dim // classes)
            pi, pj = math.floor(i / k * part), math.floor(j / k * part)
            tx = ty = 0.0
            if trans is not None:
                tx = trans[r, 2 * cls, pi, pj] * p.get('trans_std', 0.0)
                ty = trans[r, 2 * cls + 1, pi, pj] * p.get('trans_std', 0.0)
            gi, gj = min(i * group // k, group - 1), min(j * group // k, group - 1)
            ch = (c * group + gi) * group + gj
            vals = []
            for a, e in itertools.product(range(s), range(s)):
                h = i * bh + y0 + ty * rh + a * bh / s
                w = j * bw + x0 + tx * rw + e * bw / s
                if -0.5 <= w <= width - 0.5 and -0.5 <= h <= height - 0.5:
                    vals.append(psroi_sample_ref(data[b, ch], h, w))
            out[r, c, i, j] = np.mean(vals) if vals else 0.0
    return out


PS_ROIS = np.array([[0, 1, 1, 6, 5], [1, 0.3, 2.6, 7.4, 6.5], [0, -3, -2, 4, 9], [1, 5, 5, 5, 5]])
PS_INNER = np.array([[0, 2, 2, 6, 5], [1, 1.3, 1.6, 7.4, 6.5], [0, 3, 2, 5, 6]])
PSCase = namedtuple('PSCase', 'id params classes data_hw rois')
PS_CASES = [
    PSCase('basic', dict(spatial_scale=1.0, output_dim=2, group_size=2, pooled_size=2,
                         trans_std=0.1), 1, (8, 9), PS_ROIS),
    PSCase('parts_samples', dict(spatial_scale=0.5, output_dim=2, group_size=3, pooled_size=3,
                                 part_size=2, sample_per_part=2, trans_std=0.3), 2, (8, 9),
           PS_ROIS * [1, 2, 2, 2, 2]),
    PSCase('classes', dict(spatial_scale=0.8, output_dim=4, group_size=1, pooled_size=3,
                           sample_per_part=3, trans_std=0.2), 2, (7, 8), PS_ROIS),
    PSCase('no_trans', dict(spatial_scale=1.0, output_dim=2, group_size=2, pooled_size=2,
                            sample_per_part=2, no_trans=True), 1, (8, 9), PS_ROIS),
]
PS_IDS = [c.id for c in PS_CASES]


def ps_inputs(case, rois, seed=0, scale=1.0):
    rng = np.random.RandomState(seed)
    p = case.params
    data = rng.randn(2, p['output_dim'] * p['group_size'] ** 2, *case.data_hw)
    part = p.get('part_size', 0) or p['pooled_size']
    trans = None if p.get('no_trans') else rng.randn(len(rois), 2 * case.classes, part,
                                                     part) * scale
    return data, trans


def ps_build(case):
    names = ['data', 'rois'] + ([] if case.params.get('no_trans') else ['trans'])
    with mx.name.NameManager():
        sym = mx.sym.contrib.DeformablePSROIPooling(*[mx.sym.var(v) for v in names],
                                                    name='op', **case.params)
    return sym, names


@pytest.mark.parametrize('dtype', DTYPES)
@pytest.mark.parametrize('case', PS_CASES, ids=PS_IDS)
def test_dpsroi_forward(case, dtype):
    data, trans = ps_inputs(case, case.rois)
    sym, names = ps_build(case)
    vals = {'data': data, 'rois': case.rois, 'trans': trans}
    args = {k: mx.nd.array(vals[k], dtype=dtype) for k in names}
    got = sym.bind(mx.cpu(), args=args, grad_req='null').forward()[0].asnumpy()
    tol = 1e-5 if dtype == np.float32 else 1e-12
    assert got.dtype == dtype and len(sym.list_outputs()) == 1
    assert_almost_equal(got, dpsroi_ref(data, case.rois, trans, case.params), rtol=tol,
                        atol=tol)
    nd = mx.nd.contrib.DeformablePSROIPooling(*[args[k] for k in names], **case.params)
    assert_almost_equal(nd.asnumpy(), got, rtol=0, atol=0)


@pytest.mark.parametrize('case', PS_CASES, ids=PS_IDS)
def test_dpsroi_gradient(case):
    """Data and trans gradients vs finite differences (ROIs and shifts kept inside the map,
    where the clamping has no kink)."""
    data, trans = ps_inputs(case, PS_INNER, seed=2, scale=0.3)
    sym, names = ps_build(case)
    vals = {'data': data, 'rois': PS_INNER, 'trans': trans}
    check_numeric_gradient(sym, {k: vals[k] for k in names}, numeric_eps=1e-6, rtol=1e-5,
                           atol=1e-8, grad_nodes=[n for n in names if n != 'rois'],
                           dtype=np.float64)


@pytest.mark.parametrize('case', PS_CASES, ids=PS_IDS)
def test_dpsroi_shapes_and_json(case):
    sym, names = ps_build(case)
    p = case.params
    part = p.get('part_size', 0) or p['pooled_size']
    shapes = {'data': (2, p['output_dim'] * p['group_size'] ** 2) + case.data_hw,
              'rois': (4, 5), 'trans': (4, 2 * case.classes, part, part)}
    arg, out, _ = sym.infer_shape(**{k: shapes[k] for k in names})
    assert arg == [shapes[k] for k in names]
    assert out == [(4, p['output_dim'], p['pooled_size'], p['pooled_size'])]
    _, out, _ = sym.infer_shape_partial(data=shapes['data'])
    assert out[0] in (None, ())
    assert_json_round_trip(sym)


def test_dpsroi_matches_mxnet_pinned():
    d = mx.nd.array(np.linspace(0, 1, 8 * 5 * 6).reshape(1, 8, 5, 6))
    r = mx.nd.array([[0, 0.5, 1, 4.6, 3.7], [0, 2, 2, 5, 5]])
    t = mx.nd.array(np.sin(np.arange(16)).reshape(2, 2, 2, 2))
    got = mx.nd.contrib.DeformablePSROIPooling(d, r, t, spatial_scale=0.9, output_dim=2,
                                               group_size=2, pooled_size=2, sample_per_part=2,
                                               trans_std=0.2)
    want = [[[[0.0135055, 0.1497847], [0.319974, 0.4689443]],
             [[0.5155975, 0.6518768], [0.8220661, 0.9710363]]],
            [[[0.044537, 0.1931458], [0.3524591, 0.4834085]],
             [[0.5466291, 0.6952379], [0.8545511, 0.9855005]]]]  # MXNet 1.9.1
    assert_almost_equal(got.asnumpy(), np.array(want), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize('kwargs, shapes, match', [
    (dict(output_dim=2, group_size=2, pooled_size=2), dict(data=(1, 7, 5, 5), rois=(1, 5),
                                                           trans=(1, 2, 2, 2)), '8 channels'),
    (dict(output_dim=2, group_size=2, pooled_size=2), dict(data=(1, 8, 5, 5), rois=(1, 4),
                                                           trans=(1, 2, 2, 2)), "'rois'"),
    (dict(output_dim=2, group_size=2, pooled_size=2), dict(data=(1, 8, 5, 5), rois=(1, 5),
                                                           trans=(1, 2, 3, 3)), "'trans'"),
    (dict(output_dim=3, group_size=1, pooled_size=2), dict(data=(1, 3, 5, 5), rois=(1, 5),
                                                           trans=(1, 4, 2, 2)), 'divisible'),
    (dict(output_dim=2, group_size=2, pooled_size=0), dict(data=(1, 8, 5, 5)),
     'pooled_size must be positive'),
])
def test_dpsroi_errors(kwargs, shapes, match):
    sym = mx.sym.contrib.DeformablePSROIPooling(spatial_scale=1.0, name='ps', **kwargs)
    with pytest.raises(MXNetError, match=match):
        sym.infer_shape_partial(**{'ps_' + k: v for k, v in shapes.items()})
