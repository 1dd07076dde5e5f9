"""Fast paths of the convolution, pooling and activation kernels against plain NumPy.

Each kernel picks a layout or shortcut by shape (see the plan notes in
mxlite/ops/convolution.py and mxlite/ops/pooling.py). Every choice is pinned here in
turn and compared with a direct formulation (a loop over kernel positions, in float64)
on random inputs: odd sizes, padding, stride, dilation, groups, 1-D to 3-D, float32 and
float64, and channel-last layouts through the operator.
"""
import itertools

import numpy as np
import pytest

import mxlite as mx
from mxlite.ops import _workspace as workspace
from mxlite.ops import convolution as conv
from mxlite.ops import registry
from mxlite.ops.registry import OpContext


# ----------------------------------------------------------------------------- references
def _taps(kernel, dilate, stride, out_sp):
    """(kernel index, slices of the padded input it reads for every output pixel)."""
    for kidx in np.ndindex(*kernel):
        yield kidx, (Ellipsis,) + tuple(slice(k * d, k * d + t * (o - 1) + 1, t)
                                        for k, d, t, o in zip(kidx, dilate, stride, out_sp))


def _out_sp(x, kernel, stride, dilate, pad):
    return tuple((s + 2 * p - d * (k - 1) - 1) // t + 1
                 for s, k, t, d, p in zip(x.shape[2:], kernel, stride, dilate, pad))


def ref_conv(x, w, b, stride, dilate, pad, groups):
    """Forward by the definition: a sum over kernel positions of per-group channel mixes."""
    kernel = w.shape[2:]
    out_sp = _out_sp(x, kernel, stride, dilate, pad)
    xp = np.pad(x, [(0, 0), (0, 0)] + [(p, p) for p in pad])
    n, c = x.shape[:2]
    f = w.shape[0]
    cg, fg = c // groups, f // groups
    y = np.zeros((n, f) + out_sp)
    for kidx, win in _taps(kernel, dilate, stride, out_sp):
        part = xp[win]
        for g in range(groups):
            wk = w[(slice(g * fg, (g + 1) * fg), slice(None)) + kidx]
            y[:, g * fg:(g + 1) * fg] += np.einsum('nc...,fc->nf...',
                                                   part[:, g * cg:(g + 1) * cg], wk)
    if b is not None:
        y += b.reshape((1, -1) + (1,) * len(kernel))
    return y


def ref_conv_grads(x, w, g, stride, dilate, pad, groups):
    """(dx, dw, db) by the definition: each kernel position's contribution, transposed."""
    kernel = w.shape[2:]
    out_sp = g.shape[2:]
    xp = np.pad(x, [(0, 0), (0, 0)] + [(p, p) for p in pad])
    dxp = np.zeros_like(xp)
    dw = np.zeros_like(w)
    n, c = x.shape[:2]
    f = w.shape[0]
    cg, fg = c // groups, f // groups
    for kidx, win in _taps(kernel, dilate, stride, out_sp):
        part = xp[win]
        for gi in range(groups):
            fs, cs = slice(gi * fg, (gi + 1) * fg), slice(gi * cg, (gi + 1) * cg)
            dw[(fs, slice(None)) + kidx] = np.einsum('nfo,nco->fc', g[:, fs].reshape(n, fg, -1),
                                                     part[:, cs].reshape(n, cg, -1))
            dxp[win][:, cs] += np.einsum('nf...,fc->nc...', g[:, fs], w[(fs, slice(None)) + kidx])
    inner = tuple(slice(p, p + s) for p, s in zip(pad, x.shape[2:]))
    db = g.sum(axis=(0,) + tuple(range(2, g.ndim)))
    return dxp[(Ellipsis,) + inner], dw, db


# ----------------------------------------------------------------------------- conv table
# (id, x shape, num_filter, kernel, stride, dilate, pad, groups)
GEOMETRIES = [
    ('lenet1', (9, 1, 12, 12), 4, (5, 5), (1, 1), (1, 1), (0, 0), 1),
    ('lenet2', (9, 4, 8, 8), 6, (5, 5), (1, 1), (1, 1), (0, 0), 1),
    ('odd_pad', (5, 3, 7, 9), 4, (3, 3), (1, 1), (1, 1), (1, 2), 1),
    ('stride', (6, 2, 9, 8), 3, (3, 2), (2, 3), (1, 1), (1, 0), 1),
    ('dilate', (4, 2, 10, 9), 2, (3, 3), (1, 2), (2, 2), (2, 1), 1),
    ('groups', (5, 6, 7, 7), 4, (3, 3), (1, 1), (1, 1), (1, 1), 2),
    ('depthwise', (4, 3, 6, 5), 3, (3, 3), (2, 1), (1, 1), (1, 1), 3),
    ('conv1d', (7, 3, 11), 4, (3,), (2,), (2,), (1,), 1),
    ('conv3d', (3, 2, 5, 4, 6), 3, (2, 3, 2), (1, 2, 1), (1, 1, 2), (1, 1, 0), 1),
    ('one_image', (1, 3, 6, 6), 2, (3, 3), (1, 1), (1, 1), (0, 0), 1),
]
# each plan a kernel may take: forced choices (None = the heuristic's own pick)
PLANS = {
    'chwn': dict(chwn=True),
    'images': dict(chwn=False, per_image=True, dw_per_image=True),
    'gemm': dict(chwn=False, per_image=False, dw_per_image=False),
    'mixed': dict(chwn=False, per_image=True, dw_per_image=False),
    'auto': {},
}
TOL = {np.float32: dict(rtol=2e-4, atol=2e-4), np.float64: dict(rtol=1e-10, atol=1e-10)}


def _data(shape, f, kernel, groups, dtype, seed=0):
    rng = np.random.default_rng(seed)
    c = shape[1]
    x = rng.standard_normal(shape).astype(dtype)
    w = rng.standard_normal((f, c // groups) + kernel).astype(dtype)
    b = rng.standard_normal(f).astype(dtype)
    return x, w, b


@pytest.fixture
def plan(request, monkeypatch):
    monkeypatch.setattr(conv, 'FORCE', dict(PLANS[request.param]))
    return request.param


@pytest.fixture(params=[1, 3], ids=['1thread', '3threads'])
def threads(request, monkeypatch):
    """Kernels cut their passes into slices on threads; 3 makes uneven slices, and every
    array, however small, is cut."""
    monkeypatch.setattr(workspace, 'THREADS', request.param)
    monkeypatch.setattr(workspace, 'PARALLEL_MIN_BYTES', 0 if request.param > 1 else 1 << 20)
    return request.param


def _run(geom, dtype, bias, keep, need_dx=True):
    _, shape, f, kernel, stride, dilate, pad, groups = geom
    x, w, b = _data(shape, f, kernel, groups, dtype)
    b = b if bias else None
    out = np.full((shape[0], f) + _out_sp(x, kernel, stride, dilate, pad), np.nan, dtype)
    state = {} if keep else None
    conv.conv_forward(x, w, b, stride, dilate, pad, groups, out, keep=state)
    g = np.random.default_rng(1).standard_normal(out.shape).astype(dtype)
    grads = conv.conv_backward(x, w, g, stride, dilate, pad, groups, bias, need_dx=need_dx,
                               kept=state)
    return (x, w, b, g), out, grads


@pytest.mark.parametrize('plan', list(PLANS), indirect=True)
@pytest.mark.parametrize('dtype', [np.float32, np.float64], ids=['f32', 'f64'])
@pytest.mark.parametrize('geom', GEOMETRIES, ids=[g[0] for g in GEOMETRIES])
def test_conv_plan_matches_reference(geom, dtype, plan, threads):
    _, _, _, kernel, stride, dilate, pad, groups = geom
    for bias, keep in ((True, True), (False, False)):
        (x, w, b, g), out, (dx, dw, db) = _run(geom, dtype, bias, keep)
        x64, w64, g64 = (a.astype(np.float64) for a in (x, w, g))
        b64 = None if b is None else b.astype(np.float64)
        np.testing.assert_allclose(out, ref_conv(x64, w64, b64, stride, dilate, pad, groups),
                                   **TOL[dtype])
        rdx, rdw, rdb = ref_conv_grads(x64, w64, g64, stride, dilate, pad, groups)
        np.testing.assert_allclose(dx, rdx, **TOL[dtype])
        np.testing.assert_allclose(dw, rdw, **TOL[dtype])
        assert dx.shape == x.shape and dw.shape == w.shape
        if bias:
            np.testing.assert_allclose(db, rdb, **TOL[dtype])
        else:
            assert db is None


@pytest.mark.parametrize('plan', ['chwn', 'images', 'gemm'], indirect=True)
def test_conv_plan_without_data_gradient(plan):
    geom = GEOMETRIES[0]
    _, (dx, dw, db), = _run(geom, np.float64, True, True, need_dx=False)[1:]
    (x, w, b, g), _, (dx2, dw2, db2) = _run(geom, np.float64, True, True)
    assert dx is None
    np.testing.assert_allclose(dw, dw2, rtol=1e-12)
    np.testing.assert_allclose(db, db2, rtol=1e-12)


def test_plan_heuristic_on_lenet_shapes():
    """LeNet's first layer (1 channel, 24x24 outputs) runs per image; the second (20
    channels, 8x8 outputs: im2col runs of 8) moves the batch innermost."""
    first = conv._plan((128, 1, 28, 28), 20, (5, 5), (24, 24), 1, True)
    second = conv._plan((128, 20, 12, 12), 50, (5, 5), (8, 8), 1, True)
    assert first == (False, True, True, True)
    assert second[0] is True
    assert conv._plan((1, 20, 12, 12), 50, (5, 5), (8, 8), 1, True)[0] is False


# ----------------------------------------------------------------------------- through the op
def _op(name, **params):
    op = registry.get(name)
    return op, op.parse_params(params)


@pytest.mark.parametrize('plan', ['chwn', 'images', 'auto'], indirect=True)
@pytest.mark.parametrize('layout,shape,kernel', [
    ('NHWC', (5, 7, 6, 3), (3, 2)),
    ('NWC', (6, 9, 4), (3,)),
    ('NDHWC', (3, 4, 5, 4, 2), (2, 2, 2)),
])
def test_channel_last_layouts_match_channel_first(plan, layout, shape, kernel, threads):
    rng = np.random.default_rng(3)
    x = rng.standard_normal(shape)
    c = shape[-1]
    w = rng.standard_normal((4,) + kernel + (c,))
    b = rng.standard_normal(4)
    pad = (1,) * len(kernel)
    y = mx.nd.Convolution(mx.nd.array(x, dtype='float64'), mx.nd.array(w, dtype='float64'),
                          mx.nd.array(b, dtype='float64'), kernel=kernel, num_filter=4,
                          pad=pad, layout=layout).asnumpy()
    xc, wc = np.moveaxis(x, -1, 1), np.moveaxis(w, -1, 1)
    expect = np.moveaxis(ref_conv(xc, wc, b, (1,) * len(kernel), (1,) * len(kernel), pad, 1),
                         1, -1)
    np.testing.assert_allclose(y, expect, rtol=1e-10, atol=1e-10)


# (id, data shape, params)
ACCUMULATE = [
    ('k3', (4, 3, 7, 6), dict(kernel=(3, 3), num_filter=4, pad=(1, 1))),
    ('k1', (4, 6, 5, 5), dict(kernel=(1, 1), num_filter=3)),
    ('k1_group', (3, 4, 5, 5), dict(kernel=(1, 1), num_filter=6, num_group=2)),
    ('group', (3, 4, 6, 6), dict(kernel=(3, 3), num_filter=6, num_group=2, stride=(2, 1))),
    ('no_bias', (9, 2, 9, 9), dict(kernel=(5, 5), num_filter=3, no_bias=True)),
    ('nhwc', (3, 6, 5, 2), dict(kernel=(3, 3), num_filter=3, layout='NHWC')),
    ('conv1d', (4, 3, 8), dict(kernel=(3,), num_filter=2, dilate=(2,))),
]


@pytest.mark.parametrize('plan', ['chwn', 'images', 'gemm', 'auto'], indirect=True)
@pytest.mark.parametrize('dtype', [np.float32, np.float64], ids=['f32', 'f64'])
@pytest.mark.parametrize('case', ACCUMULATE, ids=[c[0] for c in ACCUMULATE])
def test_forward_accumulates_into_output_when_req_is_add(case, dtype, plan, threads):
    _, shape, params = case
    op, p = _op('Convolution', **params)
    assert op.forward_accumulates
    rng = np.random.default_rng(5)
    names = op.list_arguments(p)
    shapes, (oshape,) = op.infer_shape(p, [shape] + [None] * (len(names) - 1))
    inputs = [rng.standard_normal(s).astype(dtype) for s in shapes]
    plain = np.empty(oshape, dtype)
    op.forward(p, inputs, [plain], OpContext(False))
    before = rng.standard_normal(oshape).astype(dtype)
    out = before.copy()
    op.forward(p, inputs, [out], OpContext(False, req=['add']))
    np.testing.assert_allclose(out, before + plain, **TOL[dtype])
    # and 'write' (or no req) still overwrites
    out = before.copy()
    op.forward(p, inputs, [out], OpContext(True, req=['write']))
    np.testing.assert_allclose(out, plain, **TOL[dtype])


def test_conv_float16_runs_in_float32():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((9, 4, 8, 8)).astype(np.float16)
    w = rng.standard_normal((5, 4, 3, 3)).astype(np.float16)
    b = rng.standard_normal(5).astype(np.float16)
    y = mx.nd.Convolution(mx.nd.array(x, dtype='float16'), mx.nd.array(w, dtype='float16'),
                          mx.nd.array(b, dtype='float16'), kernel=(3, 3), num_filter=5)
    assert y.dtype == np.float16
    expect = ref_conv(x.astype(np.float64), w.astype(np.float64), b.astype(np.float64),
                      (1, 1), (1, 1), (0, 0), 1)
    np.testing.assert_allclose(y.asnumpy().astype(np.float64), expect, rtol=1e-2, atol=5e-2)


def test_kept_columns_are_not_reused_after_a_changed_plan(monkeypatch):
    """A training forward keeps columns in one layout; a backward planned differently
    (here: the plan is switched in between) recomputes instead of misreading them."""
    geom = GEOMETRIES[1]
    _, shape, f, kernel, stride, dilate, pad, groups = geom
    x, w, b = _data(shape, f, kernel, groups, np.float64)
    out = np.empty((shape[0], f) + _out_sp(x, kernel, stride, dilate, pad))
    g = np.random.default_rng(1).standard_normal(out.shape)
    expect = ref_conv_grads(x, w, g, stride, dilate, pad, groups)
    for first, second in itertools.permutations(['chwn', 'images', 'gemm'], 2):
        state = {}
        monkeypatch.setattr(conv, 'FORCE', dict(PLANS[first]))
        conv.conv_forward(x, w, b, stride, dilate, pad, groups, out, keep=state)
        monkeypatch.setattr(conv, 'FORCE', dict(PLANS[second]))
        got = conv.conv_backward(x, w, g, stride, dilate, pad, groups, True, kept=state)
        for a, e in zip(got, expect):
            np.testing.assert_allclose(a, e, rtol=1e-10, atol=1e-10)


# ----------------------------------------------------------------------------- max pooling
def ref_max_pool(x, kernel, stride, pad, out_sp):
    """(y, dx for a gradient g) by windows: the gradient goes to the first maximum in
    row-major window order, as in MXNet."""
    nd = len(kernel)
    lowest = -np.inf
    after = [max(0, (o - 1) * s + k - (n + p)) for o, s, k, n, p in
             zip(out_sp, stride, kernel, x.shape[2:], pad)]
    xp = np.pad(x, [(0, 0), (0, 0)] + [(p, a) for p, a in zip(pad, after)],
                constant_values=lowest)
    windows = np.stack([xp[(Ellipsis,) + tuple(slice(k, k + s * (o - 1) + 1, s)
                                               for k, s, o in zip(kidx, stride, out_sp))]
                        for kidx in np.ndindex(*kernel)])
    y = windows.max(axis=0)
    first = np.argmax(windows == y, axis=0)   # first position holding the maximum

    def grad(g):
        dxp = np.zeros_like(xp)
        for k, kidx in enumerate(np.ndindex(*kernel)):
            win = (Ellipsis,) + tuple(slice(i, i + s * (o - 1) + 1, s)
                                      for i, s, o in zip(kidx, stride, out_sp))
            dxp[win] += np.where(first == k, g, 0)
        return dxp[(Ellipsis,) + tuple(slice(p, p + n) for p, n in zip(pad, x.shape[2:]))]
    return y, grad


# (id, data shape, params): tiling windows, overlapping, gaps, padding, tails, layouts
POOLS = [
    ('k2s2', (4, 3, 8, 6), dict(kernel=(2, 2), stride=(2, 2))),
    ('k2s2_tail', (3, 2, 7, 9), dict(kernel=(2, 2), stride=(2, 2))),
    ('k3s3', (2, 3, 9, 6), dict(kernel=(3, 3), stride=(3, 3))),
    ('k3s2_pad', (3, 2, 7, 7), dict(kernel=(3, 3), stride=(2, 2), pad=(1, 1))),
    ('k2s3_gap', (2, 2, 8, 8), dict(kernel=(2, 2), stride=(3, 3))),
    ('k2s1', (2, 3, 5, 6), dict(kernel=(2, 2), stride=(1, 1))),
    ('k2s2_1d', (3, 4, 9), dict(kernel=(2,), stride=(2,))),
    ('k2s2_3d', (2, 2, 4, 6, 4), dict(kernel=(2, 2, 2), stride=(2, 2, 2))),
    ('k2s2_nhwc', (3, 6, 8, 4), dict(kernel=(2, 2), stride=(2, 2), layout='NHWC')),
]


@pytest.mark.parametrize('ties', [False, True], ids=['distinct', 'ties'])
@pytest.mark.parametrize('dtype', [np.float32, np.float64], ids=['f32', 'f64'])
@pytest.mark.parametrize('case', POOLS, ids=[c[0] for c in POOLS])
def test_max_pooling_matches_window_reference(case, dtype, ties, threads):
    _, shape, params = case
    op, p = _op('Pooling', pool_type='max', **params)
    rng = np.random.default_rng(7)
    # ties: few distinct values, so windows often hold their maximum twice
    x = (rng.integers(-2, 3, shape) if ties else rng.standard_normal(shape)).astype(dtype)
    _, out_shapes = op.infer_shape(p, [shape])
    outs = [np.full(s, np.nan, dtype) for s in out_shapes[:1]] + \
        [np.zeros(s, np.int32) for s in out_shapes[1:]]
    ctx = OpContext(True)
    op.forward(p, [x], outs, ctx)
    g = rng.standard_normal(out_shapes[0]).astype(dtype)
    (dx,) = op.backward(p, [g] + [None] * (len(outs) - 1), [x], outs, ctx)
    last = params.get('layout', 'NCHW').endswith('C')
    xc = np.moveaxis(x, -1, 1) if last else x
    gc = np.moveaxis(g, -1, 1) if last else g
    nd = len(params['kernel'])
    y, grad = ref_max_pool(xc.astype(np.float64), params['kernel'], params['stride'],
                           params.get('pad', (0,) * nd), gc.shape[2:])
    ref_dx = grad(gc.astype(np.float64))
    if last:
        y, ref_dx = np.moveaxis(y, 1, -1), np.moveaxis(ref_dx, 1, -1)
    np.testing.assert_array_equal(outs[0], y.astype(dtype))
    # (overlapping windows sum in the kernel's precision; a wrong winner is off by O(1))
    np.testing.assert_allclose(dx, ref_dx, rtol=1e-6, atol=1e-6)
    # a second backward without a training forward (inference forward) gives the same
    op.forward(p, [x], outs, OpContext(False, state=ctx.state))
    (dx2,) = op.backward(p, [g] + [None] * (len(outs) - 1), [x], outs, ctx)
    np.testing.assert_array_equal(dx2, dx)


# (pool params): kinds whose forward is sliced over images, against the loop reference
POOL_KINDS = [
    dict(kernel=(3, 3), stride=(2, 2), pad=(1, 1), pool_type='avg'),
    dict(kernel=(3, 3), stride=(1, 1), pad=(1, 1), pool_type='avg', count_include_pad=False),
    dict(kernel=(2, 2), stride=(2, 2), pool_type='sum'),
    dict(kernel=(2, 3), stride=(1, 2), pool_type='lp', p_value=2),
    dict(kernel=(3, 3), stride=(2, 2), pad=(1, 1), pool_type='max'),
    dict(kernel=(3, 3), stride=(2, 2), pool_type='avg', layout='NHWC'),
]


@pytest.mark.parametrize('dtype', [np.float32, np.float64, np.float16], ids=['f32', 'f64', 'f16'])
@pytest.mark.parametrize('params', POOL_KINDS, ids=lambda p: '%s_%s' % (
    p['pool_type'], 'x'.join(map(str, p['kernel'])) + ('_nhwc' if 'layout' in p else '')))
def test_pooling_inference_forward_matches_reference(params, dtype, threads):
    from test_ops_layers import pool_ref
    op, p = _op('Pooling', **params)
    last = params.get('layout') == 'NHWC'
    shape = (5, 9, 11, 3) if last else (5, 3, 9, 11)
    x = np.random.default_rng(5).random(shape).astype(dtype)
    _, out_shapes = op.infer_shape(p, [shape])
    outs = [np.full(s, np.nan, dtype) for s in out_shapes[:1]] + \
        [np.zeros(s, np.int32) for s in out_shapes[1:]]
    op.forward(p, [x], outs, OpContext(False))
    xc = np.moveaxis(x, -1, 1) if last else x
    ref = pool_ref([xc.astype(np.float64)], {k: v for k, v in params.items() if k != 'layout'})
    got = np.moveaxis(outs[0], -1, 1) if last else outs[0]
    tol = 2e-3 if dtype == np.float16 else 1e-6
    np.testing.assert_allclose(got.astype(np.float64), ref, rtol=tol, atol=tol)


@pytest.mark.parametrize('kernel', [(1, 3), (2, 2), (3, 3)])
def test_max_pooling_nan_never_wins_the_gradient(kernel, threads):
    """A NaN propagates to the output but, as with a '>' scan over the window positions,
    never takes the gradient from an earlier position (nor does any later one)."""
    op, p = _op('Pooling', pool_type='max', kernel=kernel, stride=kernel)
    rng = np.random.default_rng(11)
    shape = (2, 3, kernel[0] * 3, kernel[1] * 4)
    x = rng.standard_normal(shape).astype(np.float32)
    x[rng.random(shape) < 0.1] = np.nan
    _, out_shapes = op.infer_shape(p, [shape])
    outs = [np.empty(out_shapes[0], np.float32), np.empty(out_shapes[1], np.int32)]
    ctx = OpContext(True)
    op.forward(p, [x], outs, ctx)
    g = rng.standard_normal(out_shapes[0]).astype(np.float32)
    (dx,) = op.backward(p, [g, None], [x], outs, ctx)
    # the scan, window position by window position
    wins = [x[:, :, i::kernel[0], j::kernel[1]] for i, j in np.ndindex(*kernel)]
    running, arg = wins[0].copy(), np.zeros(g.shape, int)
    for k, win in enumerate(wins[1:], 1):
        arg[win > running] = k
        running = np.maximum(running, win)
    np.testing.assert_array_equal(outs[0], running)
    expect = np.zeros_like(x)
    for k, (i, j) in enumerate(np.ndindex(*kernel)):
        expect[:, :, i::kernel[0], j::kernel[1]] = np.where(arg == k, g, 0)
    np.testing.assert_array_equal(dx, expect)


def test_parallel_slices_cover_the_range_once(monkeypatch):
    monkeypatch.setattr(workspace, 'THREADS', 3)
    seen = []
    workspace.parallel(lambda lo, hi: seen.append((lo, hi)), 10, 1 << 30)
    assert sorted(seen) == [(0, 3), (3, 6), (6, 10)]
    # small work, one thread, or a slice calling parallel again: one call, inline
    for n, nbytes in ((10, 10), (1, 1 << 30)):
        seen.clear()
        workspace.parallel(lambda lo, hi: seen.append((lo, hi)), n, nbytes)
        assert seen == [(0, n)]
    inner = []
    workspace.parallel(lambda lo, hi: workspace.parallel(lambda a, b: inner.append((a, b)), 4, 1 << 30),
                  2, 1 << 30)
    assert sorted(inner) == [(0, 4), (0, 4)]


def test_gemm_loops_are_sliced_only_when_blas_runs_each_on_one_thread(monkeypatch):
    monkeypatch.setattr(workspace, 'THREADS', 2)
    seen = []
    small = workspace.BLAS_SINGLE_THREAD_MNK - 1
    workspace.gemm_parallel(lambda lo, hi: seen.append((lo, hi)), 8, 1 << 30, small)
    assert sorted(seen) == [(0, 4), (4, 8)]
    seen.clear()   # OpenBLAS threads each GEMM itself: one call, inline
    workspace.gemm_parallel(lambda lo, hi: seen.append((lo, hi)), 8, 1 << 30, small + 1)
    assert seen == [(0, 8)]


def test_parallel_passes_errors_on(monkeypatch):
    monkeypatch.setattr(workspace, 'THREADS', 2)

    def fail(lo, hi):
        if lo:
            raise ValueError('slice %d' % lo)
    with pytest.raises(ValueError, match='slice'):
        workspace.parallel(fail, 4, 1 << 30)


# ----------------------------------------------------------------------------- gradients in place
ACT_GRADS = {   # dy/dx from the output y
    'relu': lambda y: (y > 0).astype(y.dtype),
    'sigmoid': lambda y: y * (1 - y),
    'tanh': lambda y: 1 - y * y,
    'softrelu': lambda y: -np.expm1(-y),
    'softsign': lambda y: np.square(1 - np.abs(y)),
}


def _backward_ctx(n_inputs, dst):
    ctx = OpContext(True)
    ctx.req = ['write'] * n_inputs
    ctx.grad_dst = dst
    return ctx


@pytest.mark.parametrize('where', ['fresh', 'dst', 'dst_is_ograd', 'dst_is_output'])
@pytest.mark.parametrize('dtype', [np.float32, np.float64, np.float16], ids=['f32', 'f64', 'f16'])
@pytest.mark.parametrize('act', sorted(ACT_GRADS))
def test_activation_gradient_into_the_executor_array(act, dtype, where, monkeypatch, threads):
    """backward writes g * dy/dx into ctx.grad_dst when offered, also when that array is
    the output gradient itself (an in-place gradient) or the output."""
    from mxlite.ops import activation
    monkeypatch.setattr(activation, '_BLOCK', 4096)   # several blocks and a partial one
    op, p = _op('Activation', act_type=act)
    rng = np.random.default_rng(3)
    shape = (3, 7, 1000)   # not a whole number of the kernel's blocks
    x = rng.standard_normal(shape).astype(dtype)
    y = np.empty_like(x)
    op.forward(p, [x], [y], OpContext(True))
    g = rng.standard_normal(shape).astype(dtype)
    expect = (ACT_GRADS[act](y.astype(np.float64)) * g.astype(np.float64))
    y_keep = y.copy()
    dst = {'fresh': None, 'dst': np.full(shape, np.nan, dtype), 'dst_is_ograd': g,
           'dst_is_output': y}[where]
    (dx,) = op.backward(p, [g], [x], [y], _backward_ctx(1, None if dst is None else [dst]))
    if dst is not None and dtype != np.float16:
        assert dx is dst
    tol = dict(rtol=2e-3, atol=2e-3) if dtype == np.float16 else dict(rtol=1e-5, atol=1e-6)
    if where == 'dst_is_output':   # y was overwritten: compare with the saved copy's gradient
        expect = ACT_GRADS[act](y_keep.astype(np.float64)) * g.astype(np.float64)
    np.testing.assert_allclose(dx.astype(np.float64), expect, **tol)


@pytest.mark.parametrize('layout', ['NCHW', 'NHWC'])
def test_pooling_gradient_into_the_executor_array(layout, threads):
    rng = np.random.default_rng(4)
    shape = (4, 6, 8, 3) if layout == 'NHWC' else (4, 3, 6, 8)
    x = rng.standard_normal(shape).astype(np.float32)
    op, p = _op('Pooling', pool_type='max', kernel=(2, 2), stride=(2, 2), layout=layout)
    _, out_shapes = op.infer_shape(p, [shape])
    outs = [np.empty(s, np.float32) for s in out_shapes]
    op.forward(p, [x], outs, OpContext(True))
    g = rng.standard_normal(out_shapes[0]).astype(np.float32)
    ctx = OpContext(True)
    op.forward(p, [x], outs, ctx)
    (fresh,) = op.backward(p, [g] + [None] * (len(outs) - 1), [x], outs, ctx)
    dst = np.full(shape, np.nan, np.float32)
    ctx.grad_dst, ctx.req = [dst], ['write']
    op.forward(p, [x], outs, ctx)
    (dx,) = op.backward(p, [g] + [None] * (len(outs) - 1), [x], outs, ctx)
    assert dx is dst
    np.testing.assert_array_equal(dx, fresh)



@pytest.mark.parametrize('plan', ['chwn', 'images', 'gemm'], indirect=True)
@pytest.mark.parametrize('layout,pad', [('NCHW', (0, 0)), ('NCHW', (1, 1)), ('NHWC', (0, 0))])
def test_conv_data_gradient_into_the_executor_array(plan, layout, pad, threads):
    rng = np.random.default_rng(4)
    shape = (9, 7, 8, 3) if layout == 'NHWC' else (9, 3, 7, 8)
    x = rng.standard_normal(shape).astype(np.float32)
    op, p = _op('Convolution', kernel=(3, 3), num_filter=5, pad=pad, layout=layout)
    names = op.list_arguments(p)
    shapes, (oshape,) = op.infer_shape(p, [shape] + [None] * (len(names) - 1))
    inputs = [x] + [rng.standard_normal(s).astype(np.float32) for s in shapes[1:]]
    g = rng.standard_normal(oshape).astype(np.float32)
    y = np.empty(oshape, np.float32)
    ctx = OpContext(True)
    op.forward(p, inputs, [y], ctx)
    fresh = op.backward(p, [g], inputs, [y], ctx)
    dsts = [np.full(s, np.nan, np.float32) for s in shapes]
    ctx.grad_dst, ctx.req = dsts, ['write'] * len(shapes)
    op.forward(p, inputs, [y], ctx)
    got = op.backward(p, [g], inputs, [y], ctx)
    if layout == 'NCHW' and not any(pad):
        assert got[0] is dsts[0]
    for a, b in zip(got, fresh):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize('content,cpus', [('200000 100000\n', 2), ('max 100000\n', None),
                                          ('50000 100000', 1), ('garbage', None)])
def test_cgroup_quota_caps_the_default_threads(tmp_path, content, cpus):
    path = tmp_path / 'cpu.max'
    path.write_text(content)
    assert workspace._cgroup_cpus(str(path)) == cpus
    assert workspace._cgroup_cpus(str(tmp_path / 'absent')) is None
