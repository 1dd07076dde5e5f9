"""Spatial ops (GridGenerator, BilinearSampler, SpatialTransformer, contrib BilinearResize2D
and AdaptiveAvgPooling2D): tables of cases run by one harness in float32 and float64.

Every kernel is compared with a plain NumPy reference written as loops over output pixels
(slow but obviously right) and every gradient with central finite differences; shape
inference, symbol JSON, the imperative path and error messages come from the same table.
A few values recorded from MXNet 1.9.1 itself pin the coordinate conventions.
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
def _affine_grid(theta, th, tw):
    n = theta.shape[0]
    out = np.zeros((n, 2, th, tw))
    for b, i, j in itertools.product(range(n), range(th), range(tw)):
        xt = -1 + 2.0 * j / (tw - 1)
        yt = -1 + 2.0 * i / (th - 1)
        m = theta[b].reshape(2, 3)
        out[b, :, i, j] = m @ [xt, yt, 1.0]
    return out


def grid_ref(a, p):
    if p['transform_type'] == 'affine':
        return _affine_grid(a[0], *p['target_shape'])
    flow = a[0]
    n, _, h, w = flow.shape
    out = np.zeros(flow.shape)
    for b, i, j in itertools.product(range(n), range(h), range(w)):
        out[b, 0, i, j] = (flow[b, 0, i, j] + j) / ((w - 1) / 2) - 1
        out[b, 1, i, j] = (flow[b, 1, i, j] + i) / ((h - 1) / 2) - 1
    return out


def _pixel(data, b, c, y, x):
    h, w = data.shape[2:]
    return data[b, c, y, x] if 0 <= y < h and 0 <= x < w else 0.0


def sampler_ref(a, p):
    data, grid = a[0], a[1]
    n, c, h, w = data.shape
    oh, ow = grid.shape[2:]
    out = np.zeros((n, c, oh, ow))
    for b, ch, i, j in itertools.product(range(n), range(c), range(oh), range(ow)):
        x = (grid[b, 0, i, j] + 1) * (w - 1) / 2
        y = (grid[b, 1, i, j] + 1) * (h - 1) / 2
        x0, y0 = math.floor(x), math.floor(y)
        fx, fy = x - x0, y - y0
        out[b, ch, i, j] = ((1 - fy) * (1 - fx) * _pixel(data, b, ch, y0, x0)
                            + (1 - fy) * fx * _pixel(data, b, ch, y0, x0 + 1)
                            + fy * (1 - fx) * _pixel(data, b, ch, y0 + 1, x0)
                            + fy * fx * _pixel(data, b, ch, y0 + 1, x0 + 1))
    return out


def st_ref(a, p):
    return sampler_ref([a[0], _affine_grid(a[1], *p['target_shape'])], p)


def _source(i, size_in, size_out, align):
    """MXNet's source coordinate of output pixel i along one axis."""
    if size_out <= 1:
        return 0.0
    if align:
        return i * (size_in - 1) / (size_out - 1)
    return max((i + 0.5) * size_in / size_out - 0.5, 0.0)


def _lerp_1d(line, pos):
    lo = int(pos)
    hi = lo + 1 if lo < len(line) - 1 else lo
    frac = pos - lo
    return (1 - frac) * line[lo] + frac * line[hi]


def _resize_size(p, shape, like=None):
    h, w = shape[2:]
    mode = p.get('mode', 'size')
    if mode == 'size':
        oh = int(p['scale_height'] * h) if 'scale_height' in p else p.get('height', 1)
        ow = int(p['scale_width'] * w) if 'scale_width' in p else p.get('width', 1)
        return oh, ow
    if mode == 'like':
        return like.shape[2:]
    if mode == 'odd_scale':
        return tuple(int(s * d) if d % 2 == 0 else int(s * (d - 1)) + 1
                     for s, d in ((p['scale_height'], h), (p['scale_width'], w)))
    step = {'to_even_down': lambda d: d - d % 2, 'to_even_up': lambda d: d + d % 2,
            'to_odd_down': lambda d: d - 1 + d % 2, 'to_odd_up': lambda d: d + 1 - d % 2}
    return step[mode](h), step[mode](w)


def resize_ref(a, p):
    x = a[0]
    n, c, h, w = x.shape
    oh, ow = _resize_size(p, x.shape, a[1] if len(a) > 1 else None)
    align = p.get('align_corners', True)
    out = np.zeros((n, c, oh, ow))
    for b, ch, i, j in itertools.product(range(n), range(c), range(oh), range(ow)):
        ys, xs = _source(i, h, oh, align), _source(j, w, ow, align)
        rows = [_lerp_1d(x[b, ch, r], xs) for r in range(h)]
        out[b, ch, i, j] = _lerp_1d(rows, ys)
    return out


def aap_ref(a, p):
    x = a[0]
    size = p.get('output_size', ())
    size = (size,) if isinstance(size, int) else tuple(size)
    oh, ow = {0: (1, 1), 1: size * 2}.get(len(size), size)
    n, c, h, w = x.shape
    out = np.zeros((n, c, oh, ow))
    for i, j in itertools.product(range(oh), range(ow)):
        r0, r1 = math.floor(i * h / oh), math.ceil((i + 1) * h / oh)
        c0, c1 = math.floor(j * w / ow), math.ceil((j + 1) * w / ow)
        out[:, :, i, j] = x[:, :, r0:r1, c0:c1].mean(axis=(2, 3))
    return out


# ----------------------------------------------------------------------------- inputs
def _grid_off_kinks(rng, shape, height, width, lo=-1.6, hi=1.6):
    """Normalised grid whose pixel coordinates stay 0.15 away from whole pixels, so the
    bilinear weights are smooth under the finite-difference step; some fall outside."""
    n, _, oh, ow = shape
    px = rng.randint(int(lo * width), int(hi * width), (n, oh, ow)) / 2 + rng.uniform(
        0.15, 0.35, (n, oh, ow))
    py = rng.randint(int(lo * height), int(hi * height), (n, oh, ow)) / 2 + rng.uniform(
        0.15, 0.35, (n, oh, ow))
    return np.stack([px / ((width - 1) / 2) - 1, py / ((height - 1) / 2) - 1], axis=1)


# near-identity transforms whose sample points (3x4 target, 5x6 data) all stay >= 0.14
# pixels away from whole pixels: the finite differences then see no kink
LOC = np.array([[0.9, 0.23, 0.2, 0.01, 0.99, -0.26],
                [1.17, 0.01, 0.1, 0.04, 1.13, -0.24]])


def make_inputs(case, dtype, seed=0):
    rng = np.random.RandomState(seed)
    out = {}
    for name, shape in case.args:
        if name == 'grid':
            data = dict(case.args)['data']
            out[name] = _grid_off_kinks(rng, shape, data[2], data[3])
        elif name == 'loc':
            out[name] = LOC[:shape[0]]
        else:
            out[name] = rng.standard_normal(shape)
    return {k: v.astype(dtype) for k, v in out.items()}


# ----------------------------------------------------------------------------- cases
Case = namedtuple('Case', 'id op params args ref grads')


def _c(cid, op, params, args, ref, grads=None):
    return Case(cid, op, params, args, ref, [n for n, _ in args] if grads is None else grads)


CASES = [
    _c('grid_affine', 'GridGenerator', dict(transform_type='affine', target_shape=(3, 4)),
       [('data', (2, 6))], grid_ref),
    _c('grid_affine_tall', 'GridGenerator', dict(transform_type='affine', target_shape=(5, 2)),
       [('data', (1, 6))], grid_ref),
    _c('grid_warp', 'GridGenerator', dict(transform_type='warp'),
       [('data', (2, 2, 3, 4))], grid_ref),
    _c('sampler', 'BilinearSampler', {}, [('data', (2, 3, 4, 5)), ('grid', (2, 2, 3, 4))],
       sampler_ref),
    _c('sampler_upsample', 'BilinearSampler', {},
       [('data', (1, 2, 3, 3)), ('grid', (1, 2, 5, 6))], sampler_ref),
    _c('sampler_cudnn_off', 'BilinearSampler', dict(cudnn_off=True),
       [('data', (1, 1, 4, 3)), ('grid', (1, 2, 2, 2))], sampler_ref),
    _c('spatial_transformer', 'SpatialTransformer',
       dict(target_shape=(3, 4), transform_type='affine', sampler_type='bilinear'),
       [('data', (2, 2, 5, 6)), ('loc', (2, 6))], st_ref),
    _c('resize_up', 'contrib.BilinearResize2D', dict(height=6, width=7),
       [('data', (2, 2, 3, 4))], resize_ref),
    _c('resize_down_half_pixel', 'contrib.BilinearResize2D',
       dict(height=2, width=3, align_corners=False), [('data', (1, 2, 5, 7))], resize_ref),
    _c('resize_up_half_pixel', 'contrib.BilinearResize2D',
       dict(height=7, width=5, align_corners=False), [('data', (1, 1, 3, 4))], resize_ref),
    _c('resize_to_one', 'contrib.BilinearResize2D', dict(height=1, width=4),
       [('data', (1, 2, 4, 5))], resize_ref),
    _c('resize_scale', 'contrib.BilinearResize2D', dict(scale_height=1.5, scale_width=0.5),
       [('data', (1, 2, 4, 6))], resize_ref),
    _c('resize_odd_scale', 'contrib.BilinearResize2D',
       dict(mode='odd_scale', scale_height=2.0, scale_width=0.5), [('data', (1, 1, 5, 6))],
       resize_ref),
    _c('resize_like', 'contrib.BilinearResize2D', dict(mode='like'),
       [('data', (2, 1, 3, 4)), ('like', (1, 3, 5, 2))], resize_ref, ['data']),
    _c('resize_to_even_up', 'contrib.BilinearResize2D',
       dict(mode='to_even_up', align_corners=False), [('data', (1, 2, 3, 5))], resize_ref),
    _c('resize_to_odd_down', 'contrib.BilinearResize2D', dict(mode='to_odd_down'),
       [('data', (1, 1, 4, 5))], resize_ref),
    _c('aap', 'contrib.AdaptiveAvgPooling2D', dict(output_size=(2, 3)),
       [('data', (2, 2, 5, 7))], aap_ref),
    _c('aap_square_int', 'contrib.AdaptiveAvgPooling2D', dict(output_size=3),
       [('data', (1, 3, 4, 4))], aap_ref),
    _c('aap_global', 'contrib.AdaptiveAvgPooling2D', {}, [('data', (2, 2, 3, 5))], aap_ref),
    _c('aap_upsample', 'contrib.AdaptiveAvgPooling2D', dict(output_size=(5, 4)),
       [('data', (1, 2, 3, 3))], aap_ref),
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


def expected(case, arrays):
    return case.ref([arrays[n].astype(np.float64) for n, _ in case.args], case.params)


# ----------------------------------------------------------------------------- harness
@pytest.mark.parametrize('dtype', DTYPES, ids=['float32', 'float64'])
@pytest.mark.parametrize('case', CASES, ids=IDS)
def test_forward_matches_loop_reference(case, dtype):
    sym = build(case)
    assert sym.list_arguments() == [n for n, _ in case.args]
    arrays = make_inputs(case, dtype)
    rtol, atol = TOL[dtype]
    out = check_symbolic_forward(sym, arrays, [expected(case, arrays)], rtol=rtol, atol=atol,
                                 dtype=dtype)
    assert out[0].dtype == dtype


@pytest.mark.parametrize('case', CASES, ids=IDS)
def test_gradient_matches_finite_differences(case):
    arrays = make_inputs(case, np.float64, seed=1)
    check_numeric_gradient(build(case), arrays, grad_nodes=case.grads, numeric_eps=1e-6,
                           rtol=1e-5, atol=1e-7, dtype=np.float64)


@pytest.mark.parametrize('case', CASES, ids=IDS)
def test_infer_shape(case):
    sym = build(case)
    shapes = dict(case.args)
    arg_shapes, out_shapes, aux_shapes = sym.infer_shape(**shapes)
    assert arg_shapes == [s for _, s in case.args]
    assert out_shapes == [expected(case, make_inputs(case, np.float64)).shape]
    assert aux_shapes == []
    # nothing known, or only one of two inputs: nothing inferred, and no error
    assert sym.infer_shape_partial()[1] in ([None], [()])
    if len(case.args) == 2:
        first, _ = case.args[0]
        assert sym.infer_shape_partial(**{first: shapes[first]})[1] in ([None], [()])


@pytest.mark.parametrize('case', CASES, ids=IDS)
def test_json_round_trip(case):
    assert_json_round_trip(build(case))


@pytest.mark.parametrize('case', CASES, ids=IDS)
def test_imperative_call_equals_bound_symbol(case):
    arrays = make_inputs(case, np.float32)
    nd_out = _fn(mx.nd, case.op)(*[mx.nd.array(arrays[n]) for n, _ in case.args],
                                 **case.params)
    ex = build(case).bind(mx.cpu(), args={k: mx.nd.array(v) for k, v in arrays.items()})
    np.testing.assert_array_equal(nd_out.asnumpy(), ex.forward()[0].asnumpy())


ERRORS = [
    ('GridGenerator', dict(transform_type='affine', target_shape=(3, 4)), [(2, 5)],
     r"'data' has shape \(2, 5\).*\(batch, 6\)"),
    ('GridGenerator', dict(transform_type='affine'), [(2, 6)],
     r'target_shape must be two positive sizes'),
    ('GridGenerator', dict(transform_type='warp'), [(2, 3, 4, 4)],
     r"'data' has shape \(2, 3, 4, 4\).*optical flow"),
    ('GridGenerator', dict(transform_type='shear'), [(2, 6)],
     r"invalid value 'shear' for parameter 'transform_type'"),
    ('BilinearSampler', {}, [(2, 3, 4, 4), (3, 2, 4, 4)],
     r"'data' has shape \(2, 3, 4, 4\) but 'grid' has shape \(3, 2, 4, 4\).*batch size"),
    ('BilinearSampler', {}, [(2, 3, 4, 4), (2, 3, 4, 4)], r"'grid' has shape .*\(batch, 2, "),
    ('BilinearSampler', {}, [(2, 3, 4), (2, 2, 4, 4)], r"'data' has shape \(2, 3, 4\)"),
    ('SpatialTransformer', dict(target_shape=(3, 3), transform_type='affine',
                                sampler_type='bilinear'), [(2, 1, 4, 4), (2, 4)],
     r"'loc' has shape \(2, 4\)"),
    ('SpatialTransformer', dict(transform_type='affine', sampler_type='bilinear'),
     [(2, 1, 4, 4), (2, 6)], r'target_shape must be two positive sizes \(H, W\), got \(0, 0\)'),
    ('SpatialTransformer', dict(target_shape=(3, 3), transform_type='affine',
                                sampler_type='nearest'), [(2, 1, 4, 4), (2, 6)],
     r"invalid value 'nearest' for parameter 'sampler_type'"),
    ('contrib.BilinearResize2D', dict(height=3, width=3), [(2, 4, 4)],
     r"'data' has shape \(2, 4, 4\).*4-D"),
    ('contrib.BilinearResize2D', dict(mode='odd_scale'), [(1, 1, 4, 4)],
     r"mode='odd_scale' needs scale_height and scale_width"),
    ('contrib.BilinearResize2D', dict(scale_height=0.1, scale_width=1.0), [(1, 1, 4, 4)],
     r'output of 0x4; both sides must be positive'),
    ('contrib.BilinearResize2D', dict(mode='stretch'), [(1, 1, 4, 4)],
     r"'stretch' is not one of"),
    ('contrib.AdaptiveAvgPooling2D', dict(output_size=(2, 2)), [(2, 3, 4)],
     r"'data' has shape \(2, 3, 4\).*4-D"),
    ('contrib.AdaptiveAvgPooling2D', dict(output_size=(1, 2, 3)), [(1, 1, 4, 4)],
     r'output_size must be one or two positive ints'),
]


@pytest.mark.parametrize('op, params, shapes, pattern', ERRORS,
                         ids=['%s-%d' % (e[0], i) for i, e in enumerate(ERRORS)])
def test_errors_name_the_problem(op, params, shapes, pattern):
    with pytest.raises(MXNetError, match=pattern):
        _fn(mx.nd, op)(*[mx.nd.zeros(s) for s in shapes], **params)


# ----------------------------------------------------------------------------- specifics
def test_documented_zoom_and_shift_examples():
    """The two examples of MXNet's BilinearSampler documentation, values as printed there."""
    data = mx.nd.array([[[[1, 4, 3, 6], [1, 8, 8, 9], [0, 4, 1, 5], [1, 0, 1, 3]]]])
    theta = mx.nd.array([[2, 0, 0, 0, 2, 0]])
    grid = mx.nd.GridGenerator(theta, transform_type='affine', target_shape=(4, 4))
    zoom = mx.nd.BilinearSampler(data, grid).asnumpy()[0, 0]
    np.testing.assert_allclose(zoom, [[0, 0, 0, 0], [0, 3.5, 6.5, 0], [0, 1.25, 2.5, 0],
                                      [0, 0, 0, 0]], atol=1e-6)
    flow = np.zeros((1, 2, 4, 4))
    flow[0, 0] = 1
    grid = mx.nd.GridGenerator(mx.nd.array(flow), transform_type='warp')
    shift = mx.nd.BilinearSampler(data, grid).asnumpy()[0, 0]
    np.testing.assert_allclose(shift, [[4, 3, 6, 0], [8, 8, 9, 0], [4, 1, 5, 0], [0, 1, 3, 0]],
                               atol=1e-6)
    st = mx.nd.SpatialTransformer(data, theta, target_shape=(4, 4), transform_type='affine',
                                  sampler_type='bilinear').asnumpy()[0, 0]
    np.testing.assert_allclose(st, zoom, atol=1e-6)


def test_resize_and_adaptive_pooling_match_values_recorded_from_mxnet():
    x = mx.nd.array(np.arange(12.0).reshape(1, 1, 3, 4) ** 1.5)
    corners = mx.nd.contrib.BilinearResize2D(x, height=5, width=3).asnumpy()[0, 0]
    np.testing.assert_allclose(corners, [[0., 1.91421, 5.19615], [4., 7.42643, 11.85821],
                                         [8., 12.93864, 18.52026],
                                         [15.31371, 21.12501, 27.50157],
                                         [22.62742, 29.31139, 36.48287]], atol=1e-4)
    centres = mx.nd.contrib.BilinearResize2D(x, height=2, width=7,
                                             align_corners=False).asnumpy()[0, 0]
    np.testing.assert_allclose(centres, [[2., 2.55182, 3.43472, 4.67032, 5.99067, 7.5516,
                                          8.52718],
                                         [18.97056, 20.42575, 22.75405, 25.2182, 27.71995,
                                          30.34904, 31.99222]], atol=1e-4)
    y = mx.nd.array(np.arange(35.0).reshape(1, 1, 5, 7) ** 1.3)
    pooled = mx.nd.contrib.AdaptiveAvgPooling2D(y, output_size=(2, 3)).asnumpy()[0, 0]
    np.testing.assert_allclose(pooled, [[16.64423, 21.33372, 26.47806],
                                        [56.36465, 62.97858, 69.76759]], atol=1e-4)


@pytest.mark.parametrize('params, shape', [
    (dict(scale_height=0.7, scale_width=0.7), (7, 7)),     # float32 product: 0.7f*10 == 7
    (dict(scale_height=0.5, scale_width=2.0, mode='odd_scale'), (5, 20)),
    (dict(mode='to_even_down'), (10, 10)), (dict(mode='to_odd_up'), (11, 11)),
    (dict(height=3, scale_width=1.5), (3, 15)),      # each scale governs its own side
])
def test_resize_output_sizes(params, shape):
    out = mx.nd.contrib.BilinearResize2D(mx.nd.zeros((1, 1, 10, 10)), **params)
    assert out.shape[2:] == shape


def test_sampler_points_outside_the_image_read_zero_and_get_no_gradient():
    data = mx.nd.array(np.arange(1.0, 13.0).reshape(1, 1, 3, 4))
    grid = mx.nd.array([[[[3.0, -4.0, 0.0]], [[0.0, 0.0, 5.0]]]])
    data.attach_grad()
    grid.attach_grad()
    with mx.autograd.record():
        out = mx.nd.BilinearSampler(data, grid)
    out.backward()
    assert out.asnumpy().tolist() == [[[[0.0, 0.0, 0.0]]]]
    assert not data.grad.asnumpy().any() and not grid.grad.asnumpy().any()


def test_nan_grid_gives_nan_as_mxnet():
    out = mx.nd.BilinearSampler(mx.nd.ones((1, 1, 2, 2)),
                                mx.nd.array([[[[np.nan, 0.0]], [[0.0, 0.0]]]])).asnumpy()
    assert np.isnan(out[0, 0, 0, 0]) and out[0, 0, 0, 1] == 1.0
    # a target side of 1 divides by zero in MXNet's grid: NaN coordinates there too
    grid = mx.nd.GridGenerator(mx.nd.array([[1, 0, 0, 0, 1, 0]]), transform_type='affine',
                               target_shape=(2, 1)).asnumpy()
    assert np.isnan(grid).all()


def test_like_input_of_resize_gets_a_zero_gradient():
    x, like = mx.nd.ones((1, 1, 2, 2)), mx.nd.ones((1, 1, 3, 3))
    x.attach_grad()
    like.attach_grad()
    with mx.autograd.record():
        y = mx.nd.contrib.BilinearResize2D(x, like, mode='like')
    y.backward()
    assert y.shape == (1, 1, 3, 3)
    assert x.grad.asnumpy().sum() == pytest.approx(9.0)
    assert not like.grad.asnumpy().any()


def test_hidden_outputs_match_mxnet_node_rows():
    d = mx.sym.var('data')
    syms = [(mx.sym.GridGenerator(d, transform_type='warp', name='g'), [0, 1, 3]),
            (mx.sym.BilinearSampler(d, mx.sym.var('grid'), name='b'), [0, 1, 2, 4]),
            (mx.sym.SpatialTransformer(d, mx.sym.var('loc'), target_shape=(2, 2),
                                       transform_type='affine', sampler_type='bilinear',
                                       name='s'), [0, 1, 2, 5]),
            (mx.sym.contrib.BilinearResize2D(d, height=2, width=2, name='r'), [0, 1, 2]),
            (mx.sym.contrib.AdaptiveAvgPooling2D(d, output_size=2, name='a'), [0, 1, 2])]
    for sym, rows in syms:
        assert len(sym.list_outputs()) == 1
        assert json.loads(sym.tojson())['node_row_ptr'] == rows
    assert hasattr(mx.nd.contrib, 'BilinearResize2D')
    assert hasattr(mx.sym.contrib, 'AdaptiveAvgPooling2D')


def test_float16_runs_close_to_float32():
    rng = np.random.RandomState(3)
    x = rng.standard_normal((1, 2, 4, 5))
    grid = rng.uniform(-1, 1, (1, 2, 3, 3))
    for fn in (lambda a: mx.nd.BilinearSampler(a, mx.nd.array(grid, dtype=a.dtype)),
               lambda a: mx.nd.contrib.BilinearResize2D(a, height=3, width=7),
               lambda a: mx.nd.contrib.AdaptiveAvgPooling2D(a, output_size=2)):
        half = fn(mx.nd.array(x, dtype='float16'))
        assert half.dtype == np.float16
        np.testing.assert_allclose(half.asnumpy(), fn(mx.nd.array(x)).asnumpy(), atol=1e-2)


def test_spatial_transformer_trains_through_module_style_executor():
    """loc from a FullyConnected layer: simple_bind infers every shape from data alone."""
    data = mx.sym.var('data')
    fc = mx.sym.FullyConnected(mx.sym.flatten(data), num_hidden=6, name='loc')
    st = mx.sym.SpatialTransformer(data, fc, target_shape=(3, 3), transform_type='affine',
                                   sampler_type='bilinear', name='st')
    ex = st.simple_bind(mx.cpu(), data=(2, 1, 4, 4))
    assert ex.arg_dict['loc_weight'].shape == (6, 16)
    ex.arg_dict['data'][:] = np.random.RandomState(0).standard_normal((2, 1, 4, 4))
    ex.arg_dict['loc_bias'][:] = [1, 0, 0, 0, 1, 0]
    out = ex.forward(is_train=True)[0]
    assert out.shape == (2, 1, 3, 3)
    ex.backward(mx.nd.ones(out.shape))
    assert np.abs(ex.grad_dict['loc_bias'].asnumpy()).sum() > 0
