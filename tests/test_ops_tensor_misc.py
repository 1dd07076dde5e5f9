"""depth_to_space, space_to_depth, diag, moments, hard_sigmoid, histogram,
ravel_multi_index, unravel_index and khatri_rao: a table of cases run by one harness.

Each case is checked forward against a plain-loop (or independent NumPy) reference, the
imperative call against a bound symbol, the symbol JSON round trip, and, for the
differentiable ops, the gradient against finite differences in float64. Separate tables
cover shape inference (full, partial, backwards) and errors, whose messages must name the
problem.
"""
import doctest
import itertools
from collections import namedtuple

import numpy as np
import pytest

import mxlite as mx
from mxlite.base import MXNetError
from mxlite.ops import registry, tensor_misc
from mxlite.test_utils import assert_almost_equal, check_numeric_gradient

# ----------------------------------------------------------------------------- references
def d2s_ref(x, b):
    n, c, h, w = x.shape
    c2 = c // (b * b)
    out = np.empty((n, c2, h * b, w * b), x.dtype)
    for i_n, c_, hh, ww, i, j in itertools.product(range(n), range(c2), range(h), range(w),
                                                   range(b), range(b)):
        out[i_n, c_, hh * b + i, ww * b + j] = x[i_n, (i * b + j) * c2 + c_, hh, ww]
    return out


def s2d_ref(x, b):
    n, c, h, w = x.shape
    out = np.empty((n, c * b * b, h // b, w // b), x.dtype)
    for i_n, c_, hh, ww, i, j in itertools.product(range(n), range(c), range(h // b),
                                                   range(w // b), range(b), range(b)):
        out[i_n, (i * b + j) * c + c_, hh, ww] = x[i_n, c_, hh * b + i, ww * b + j]
    return out


def diag_ref(x, k=0, axis1=0, axis2=1):
    if x.ndim == 1:
        n = x.shape[0] + abs(k)
        out = np.zeros((n, n), x.dtype)
        for i, v in enumerate(x):
            out[i + max(0, -k), i + max(0, k)] = v
        return out
    a1, a2 = axis1 % x.ndim, axis2 % x.ndim
    rest = [d for i, d in enumerate(x.shape) if i not in (a1, a2)]
    s1, s2 = x.shape[a1], x.shape[a2]
    size = max(0, min(s1 + min(k, 0), s2 - max(k, 0)))
    out = np.empty(tuple(rest) + (size,), x.dtype)
    for idx in itertools.product(*[range(d) for d in rest]):
        for t in range(size):
            full = list(idx)
            pos = sorted([(a1, t + max(0, -k)), (a2, t + max(0, k))])
            for a, v in pos:
                full.insert(a, v)
            out[idx + (t,)] = x[tuple(full)]
    return out


def moments_ref(x, axes=None, keepdims=False):
    ax = tuple(range(x.ndim)) if axes is None else tuple(a % x.ndim for a in axes)
    mean = np.mean(x.astype(np.float64), axis=ax, keepdims=keepdims)
    var = np.var(x.astype(np.float64), axis=ax, keepdims=keepdims)
    if mean.ndim == 0:
        mean, var = mean.reshape(1), var.reshape(1)
    return [mean.astype(x.dtype), var.astype(x.dtype)]


def hard_sigmoid_ref(x, alpha=0.2, beta=0.5):
    out = np.empty_like(x)
    for i, v in np.ndenumerate(x):
        out[i] = min(1.0, max(0.0, alpha * float(v) + beta))
    return out


def histogram_ref(x, bins=None, bin_cnt=None, range=None):
    if bins is not None:
        counts, edges = np.histogram(x, bins=bins)
    else:
        counts, edges = np.histogram(x, bins=bin_cnt, range=range)
    return [counts.astype(np.int64), edges.astype(x.dtype)]


def ravel_ref(data, shape):
    dims = (10 ** 6,) + tuple(shape[1:]) if shape[0] == -1 else tuple(shape)
    return np.ravel_multi_index(tuple(data.astype(np.int64)), dims).astype(data.dtype)


def unravel_ref(data, shape):
    dims = (10 ** 6,) + tuple(shape[1:]) if shape[0] == -1 else tuple(shape)
    return np.stack(np.unravel_index(data.astype(np.int64), dims)).astype(data.dtype)


def khatri_rao_ref(*mats):
    cols = []
    for k in range(mats[0].shape[1]):
        col = np.ones(1, mats[0].dtype)
        for m in mats:
            col = np.kron(col, m[:, k])
        cols.append(col)
    return np.stack(cols, axis=1)


# ----------------------------------------------------------------------------- the table
# op: mx.nd / mx.sym function name; make(dtype) -> input arrays; ref(*inputs) -> outputs;
# grad: check the gradient numerically (float64)
Case = namedtuple('Case', 'id op params make ref grad')


def _rand(*shape):
    return lambda dt: [np.random.uniform(-1, 1, shape).astype(dt)]


CASES = [
    Case('d2s_b2', 'depth_to_space', {'block_size': 2}, _rand(2, 8, 2, 3),
         lambda x: [d2s_ref(x, 2)], True),
    Case('d2s_b3', 'depth_to_space', {'block_size': 3}, _rand(1, 9, 1, 2),
         lambda x: [d2s_ref(x, 3)], True),
    Case('d2s_b1', 'depth_to_space', {'block_size': 1}, _rand(1, 2, 2, 2),
         lambda x: [x.copy()], True),
    Case('s2d_b2', 'space_to_depth', {'block_size': 2}, _rand(2, 3, 4, 6),
         lambda x: [s2d_ref(x, 2)], True),
    Case('s2d_b3', 'space_to_depth', {'block_size': 3}, _rand(1, 2, 3, 6),
         lambda x: [s2d_ref(x, 3)], True),
    Case('diag_2d', 'diag', {}, _rand(3, 4), lambda x: [diag_ref(x)], True),
    Case('diag_2d_k1', 'diag', {'k': 1}, _rand(3, 4), lambda x: [diag_ref(x, 1)], True),
    Case('diag_2d_km2', 'diag', {'k': -2}, _rand(3, 4), lambda x: [diag_ref(x, -2)], True),
    Case('diag_2d_edge', 'diag', {'k': 4}, _rand(3, 4), lambda x: [diag_ref(x, 4)], False),
    Case('diag_1d', 'diag', {}, _rand(3), lambda x: [diag_ref(x)], True),
    Case('diag_1d_k2', 'diag', {'k': 2}, _rand(3), lambda x: [diag_ref(x, 2)], True),
    Case('diag_1d_km1', 'diag', {'k': -1}, _rand(2), lambda x: [diag_ref(x, -1)], True),
    Case('diag_3d', 'diag', {}, _rand(2, 3, 4), lambda x: [diag_ref(x)], True),
    Case('diag_3d_axes', 'diag', {'k': 1, 'axis1': -1, 'axis2': 0}, _rand(3, 2, 4),
         lambda x: [diag_ref(x, 1, -1, 0)], True),
    Case('diag_4d_axes', 'diag', {'k': -1, 'axis1': 1, 'axis2': 3}, _rand(2, 3, 2, 4),
         lambda x: [diag_ref(x, -1, 1, 3)], True),
    Case('moments_all', 'moments', {}, _rand(3, 4), lambda x: moments_ref(x), True),
    Case('moments_ax0', 'moments', {'axes': (0,)}, _rand(3, 4),
         lambda x: moments_ref(x, (0,)), True),
    Case('moments_ax12_keep', 'moments', {'axes': (1, -1), 'keepdims': True}, _rand(2, 3, 4),
         lambda x: moments_ref(x, (1, -1), True), True),
    Case('moments_keep_all', 'moments', {'keepdims': True}, _rand(2, 3),
         lambda x: moments_ref(x, None, True), True),
    # values kept away from the kinks at x = -2.5 and 2.5 (and -1, 1 for alpha=0.5, beta=0)
    Case('hard_sigmoid', 'hard_sigmoid', {},
         lambda dt: [np.array([[-4., -2., -0.3], [0.2, 2.2, 3.5]], dt)],
         lambda x: [hard_sigmoid_ref(x)], True),
    Case('hard_sigmoid_ab', 'hard_sigmoid', {'alpha': 0.5, 'beta': 0.0},
         lambda dt: [np.array([-3., -0.5, 0.4, 0.9, 1.7], dt)],
         lambda x: [hard_sigmoid_ref(x, 0.5, 0.0)], True),
    Case('hist_cnt', 'histogram', {'bin_cnt': 5, 'range': (0, 5)},
         lambda dt: [np.array([[0, 1], [2, 2], [3, 4], [5, 7]], dt)],
         lambda x: histogram_ref(x, bin_cnt=5, range=(0, 5)), False),
    Case('hist_cnt_rand', 'histogram', {'bin_cnt': 7, 'range': (-0.8, 0.6)}, _rand(50),
         lambda x: histogram_ref(x, bin_cnt=7, range=(-0.8, 0.6)), False),
    Case('hist_bins', 'histogram', {},
         lambda dt: [np.array([0, 1, 2, 2, 2.1, 3, 4, -1], dt), np.array([0., 2.1, 3.], dt)],
         lambda x, b: histogram_ref(x, bins=b), False),
    Case('hist_bins_rand', 'histogram', {},
         lambda dt: [np.random.uniform(-1, 1, (4, 5)).astype(dt),
                     np.array([-0.9, -0.5, 0., 0.1, 0.75], dt)],
         lambda x, b: histogram_ref(x, bins=b), False),
    Case('ravel', 'ravel_multi_index', {'shape': (7, 6)},
         lambda dt: [np.array([[3, 6, 6], [4, 5, 1]], dt)],
         lambda d: [ravel_ref(d, (7, 6))], False),
    Case('ravel_3d_lead', 'ravel_multi_index', {'shape': (-1, 3, 5)},
         lambda dt: [np.array([[0, 2, 9], [1, 2, 0], [4, 0, 3]], dt)],
         lambda d: [ravel_ref(d, (-1, 3, 5))], False),
    Case('unravel', 'unravel_index', {'shape': (7, 6)},
         lambda dt: [np.array([22, 41, 37], dt)], lambda d: [unravel_ref(d, (7, 6))], False),
    Case('unravel_2d_lead', 'unravel_index', {'shape': (-1, 4, 3)},
         lambda dt: [np.array([[0, 5, 11], [12, 30, 59]], dt)],
         lambda d: [unravel_ref(d, (-1, 4, 3))], False),
    Case('khatri_rao_2', 'khatri_rao', {}, lambda dt: [np.random.uniform(-1, 1, (2, 3)).astype(dt),
                                                       np.random.uniform(-1, 1, (4, 3)).astype(dt)],
         lambda *m: [khatri_rao_ref(*m)], True),
    Case('khatri_rao_3', 'khatri_rao', {}, lambda dt: [np.random.uniform(-1, 1, (2, 2)).astype(dt),
                                                       np.random.uniform(-1, 1, (3, 2)).astype(dt),
                                                       np.random.uniform(-1, 1, (2, 2)).astype(dt)],
         lambda *m: [khatri_rao_ref(*m)], True),
    Case('khatri_rao_1', 'khatri_rao', {}, _rand(3, 2), lambda m: [m.copy()], True),
]
IDS = [c.id for c in CASES]
DTYPES = [np.float32, np.float64]


def _as_list(v):
    return list(v) if isinstance(v, (list, tuple)) else [v]


def _symbol(case, n_inputs):
    names = ['in%d' % i for i in range(n_inputs)]
    return getattr(mx.sym, case.op)(*[mx.sym.var(n) for n in names], name='op',
                                    **case.params), names


def _bind_forward(sym, names, arrays):
    args = {n: mx.nd.array(a, dtype=a.dtype) for n, a in zip(names, arrays)}
    ex = sym.bind(mx.cpu(), args=args, grad_req='null')
    return [o.asnumpy() for o in ex.forward(is_train=False)]


@pytest.mark.parametrize('dtype', DTYPES, ids=['float32', 'float64'])
@pytest.mark.parametrize('case', CASES, ids=IDS)
def test_forward_imperative_symbolic_json(case, dtype):
    arrays = case.make(dtype)
    expected = _as_list(case.ref(*arrays))
    nd_out = _as_list(getattr(mx.nd, case.op)(*[mx.nd.array(a, dtype=a.dtype) for a in arrays],
                                             **case.params))
    assert len(nd_out) == len(expected)
    for got, exp in zip(nd_out, expected):
        assert got.dtype == exp.dtype, (got.dtype, exp.dtype)
        assert got.shape == exp.shape, (got.shape, exp.shape)
        assert_almost_equal(got.asnumpy(), exp, rtol=1e-5, atol=1e-6)
    sym, names = _symbol(case, len(arrays))
    for got, imp in zip(_bind_forward(sym, names, arrays), nd_out):
        np.testing.assert_array_equal(got, imp.asnumpy())
    _, out_shapes, _ = sym.infer_shape(**{n: a.shape for n, a in zip(names, arrays)})
    assert [tuple(s) for s in out_shapes] == [e.shape for e in expected]
    _, out_types, _ = sym.infer_type(**{n: a.dtype for n, a in zip(names, arrays)})
    assert [np.dtype(t) for t in out_types] == [e.dtype for e in expected]
    js = sym.tojson()
    again = mx.sym.load_json(js)
    assert again.tojson() == js
    for got, imp in zip(_bind_forward(again, names, arrays), nd_out):
        np.testing.assert_array_equal(got, imp.asnumpy())


@pytest.mark.parametrize('case', [c for c in CASES if c.grad], ids=[c.id for c in CASES
                                                                    if c.grad])
def test_gradient_matches_finite_differences(case):
    arrays = case.make(np.float64)
    sym, _ = _symbol(case, len(arrays))
    check_numeric_gradient(sym, arrays, numeric_eps=1e-6, rtol=1e-5, atol=1e-7,
                           dtype=np.float64)


@pytest.mark.parametrize('case', [c for c in CASES if c.grad], ids=[c.id for c in CASES
                                                                    if c.grad])
def test_autograd_gradient_equals_executor_gradient(case):
    arrays = case.make(np.float64)
    xs = [mx.nd.array(a, dtype=a.dtype) for a in arrays]
    for x in xs:
        x.attach_grad()
    with mx.autograd.record():
        outs = _as_list(getattr(mx.nd, case.op)(*xs, **case.params))
    heads = [mx.nd.array(np.random.normal(size=o.shape), dtype=o.dtype) for o in outs]
    mx.autograd.backward(outs, heads)
    sym, names = _symbol(case, len(arrays))
    args = {n: mx.nd.array(a, dtype=a.dtype) for n, a in zip(names, arrays)}
    grads = {n: mx.nd.zeros(a.shape, dtype=a.dtype) for n, a in zip(names, arrays)}
    ex = sym.bind(mx.cpu(), args=args, args_grad=grads)
    ex.forward(is_train=True)
    ex.backward(heads)
    for n, x in zip(names, xs):
        assert_almost_equal(grads[n].asnumpy(), x.grad.asnumpy(), rtol=1e-12, atol=1e-12)


def test_depth_to_space_matches_the_documented_example():
    x = mx.nd.arange(24).reshape((1, 4, 2, 3))
    assert mx.nd.depth_to_space(x, 2).asnumpy()[0, 0].tolist() == [
        [0, 6, 1, 7, 2, 8], [12, 18, 13, 19, 14, 20], [3, 9, 4, 10, 5, 11],
        [15, 21, 16, 22, 17, 23]]
    back = mx.nd.space_to_depth(mx.nd.depth_to_space(x, 2), 2)
    np.testing.assert_array_equal(back.asnumpy(), x.asnumpy())


def test_moments_float16_accumulates_in_float32():
    x = np.full(4096, 1000.0, np.float16)
    x[::2] = 1001.0
    mean, var = mx.nd.moments(mx.nd.array(x, dtype=np.float16))
    assert mean.dtype == np.float16 and var.dtype == np.float16
    assert float(mean.asnumpy()[0]) == 1000.5 and float(var.asnumpy()[0]) == 0.25


def test_moments_gradient_of_one_output_alone():
    x = np.random.uniform(-1, 1, (3, 4))
    mean, var = mx.sym.moments(mx.sym.var('x'), axes=(1,))
    check_numeric_gradient(var, [x], numeric_eps=1e-6, rtol=1e-5, atol=1e-7, dtype=np.float64)
    check_numeric_gradient(mean, [x], numeric_eps=1e-6, rtol=1e-5, atol=1e-7,
                           dtype=np.float64)


def test_hard_sigmoid_may_run_in_place_and_keeps_integer_dtype():
    assert (0, 0) in registry.get('hard_sigmoid').inplace
    y = mx.nd.hard_sigmoid(mx.nd.array([-10, 0, 10], dtype=np.int32), alpha=1.0, beta=0.0)
    assert y.dtype == np.int32 and y.asnumpy().tolist() == [0, 0, 1]


def test_histogram_front_end_spellings():
    x = mx.nd.array([0.5, 1.5, 1.7, 2.0, 3.0])
    counts, edges = mx.nd.histogram(x, bins=2, range=(0, 3))   # mx.nd.histogram(a, bins, range)
    assert counts.asnumpy().tolist() == [1, 4] and edges.asnumpy().tolist() == [0, 1.5, 3]
    counts, edges = mx.nd.histogram(x, 4)                        # range from the data
    exp_c, exp_e = np.histogram(x.asnumpy(), bins=4)
    assert counts.asnumpy().tolist() == exp_c.tolist()
    assert_almost_equal(edges.asnumpy(), exp_e.astype(np.float32))
    # low == high: widened by 0.5 each way, as MXNet does
    counts, edges = mx.nd.histogram(mx.nd.array([2.0, 2.0]), bin_cnt=2, range=(2, 2))
    assert counts.asnumpy().tolist() == [0, 2] and edges.asnumpy().tolist() == [1.5, 2.0, 2.5]
    # NaN and out-of-range values are not counted
    counts, _ = mx.nd.histogram(mx.nd.array([np.nan, -1, 0.5, 9]), bin_cnt=1, range=(0, 1))
    assert counts.asnumpy().tolist() == [1]
    sym = mx.sym.histogram(mx.sym.var('x'), bin_cnt=3, range=(0, 1))
    assert '"op": "_histogram"' in sym.tojson()
    assert sym.list_arguments() == ['x']
    assert mx.sym.histogram(mx.sym.var('x'), mx.sym.var('b')).list_arguments() == ['x', 'b']


def test_ravel_unravel_round_trip_and_truncate_toward_zero():
    flat = np.arange(0, 60, 7).astype(np.float32)
    multi = mx.nd.unravel_index(mx.nd.array(flat), shape=(3, 4, 5))
    back = mx.nd.ravel_multi_index(multi, shape=(3, 4, 5))
    np.testing.assert_array_equal(back.asnumpy(), flat)
    # float indices are truncated (a C cast), as MXNet reads them
    assert mx.nd.ravel_multi_index(mx.nd.array([[1.9], [2.7]]), shape=(4, 5)).asnumpy() \
        .tolist() == [7.0]
    # a negative flat index: the quotient truncates toward zero (C division)
    assert mx.nd.unravel_index(mx.nd.array([-7], dtype=np.int64), shape=(-1, 5)).asnumpy() \
        .ravel().tolist() == [-1, -2]


def test_integer_ops_have_no_gradient_path():
    x = mx.nd.array([[1, 2], [0, 3]])
    x.attach_grad()
    with mx.autograd.record():
        y = mx.nd.sum(mx.nd.ravel_multi_index(x, shape=(2, 4))) + mx.nd.sum(x)
    y.backward()
    # only the sum contributes: ravel_multi_index sends nothing back
    np.testing.assert_array_equal(x.grad.asnumpy(), np.ones((2, 2)))


def test_khatri_rao_documented_example():
    a = mx.nd.array([[1, -1], [2, -3]])
    b = mx.nd.array([[1, 4], [2, 5], [3, 6]])
    assert mx.nd.khatri_rao(a, b).asnumpy().tolist() == [
        [1, -4], [2, -5], [3, -6], [2, -12], [4, -15], [6, -18]]
    sym = mx.sym.khatri_rao(mx.sym.var('a'), mx.sym.var('b'), mx.sym.var('c'))
    assert sym.list_arguments() == ['a', 'b', 'c']
    assert '"num_args": "3"' in sym.tojson()


# ----------------------------------------------------------------------------- shapes
SHAPES = [
    # (symbol builder, known input shapes, expected arg shapes, expected out shapes)
    ('d2s_backwards', lambda: mx.sym.depth_to_space(mx.sym.var('x'), block_size=2)
     + mx.sym.var('y'), {'y': (1, 2, 4, 6)}, [(1, 8, 2, 3), (1, 2, 4, 6)], [(1, 2, 4, 6)]),
    ('s2d_backwards', lambda: mx.sym.space_to_depth(mx.sym.var('x'), block_size=2)
     + mx.sym.var('y'), {'y': (1, 8, 2, 3)}, [(1, 2, 4, 6), (1, 8, 2, 3)], [(1, 8, 2, 3)]),
    ('ravel_backwards', lambda: mx.sym.ravel_multi_index(mx.sym.var('x'), shape=(3, 4))
     + mx.sym.var('y'), {'y': (5,)}, [(2, 5), (5,)], [(5,)]),
    ('unravel_backwards', lambda: mx.sym.unravel_index(mx.sym.var('x'), shape=(3, 4))
     + mx.sym.var('y'), {'y': (2, 5, 6)}, [(5, 6), (2, 5, 6)], [(2, 5, 6)]),
    ('hist_cnt_no_data', lambda: mx.sym.histogram(mx.sym.var('x'), bin_cnt=4, range=(0, 1)),
     {}, [None], [(4,), (5,)]),
]


@pytest.mark.parametrize('build,known,args,outs', [s[1:] for s in SHAPES],
                         ids=[s[0] for s in SHAPES])
def test_partial_and_backward_shape_inference(build, known, args, outs):
    arg_shapes, out_shapes, _ = build().infer_shape_partial(**known)
    norm = [None if not s else tuple(s) for s in arg_shapes]
    assert norm == args
    assert [tuple(s) for s in out_shapes] == outs


@pytest.mark.parametrize('op,params', [('depth_to_space', {'block_size': 2}),
                                       ('diag', {}), ('moments', {}), ('hard_sigmoid', {}),
                                       ('unravel_index', {'shape': (2, 3)})])
def test_unknown_input_leaves_outputs_unknown(op, params):
    sym = getattr(mx.sym, op)(mx.sym.var('x'), **params)
    _, out_shapes, _ = sym.infer_shape_partial()
    assert all(not s for s in out_shapes)


# ----------------------------------------------------------------------------- errors
def _nd(op, *shapes, **params):
    return lambda: getattr(mx.nd, op)(*[mx.nd.ones(s) for s in shapes], **params)


def _sym(op, *shapes, **params):
    def call():
        names = ['in%d' % i for i in range(len(shapes))]
        sym = getattr(mx.sym, op)(*[mx.sym.var(n) for n in names], name='node', **params)
        return sym.infer_shape(**dict(zip(names, shapes)))
    return call


ERRORS = [
    ('d2s_channels', _nd('depth_to_space', (1, 3, 2, 2), block_size=2), MXNetError,
     r"'data' has shape \(1, 3, 2, 2\): its 3 channels are not a multiple of block_size\^2"),
    ('d2s_ndim', _sym('depth_to_space', (4, 2, 2), block_size=2), MXNetError,
     r"depth_to_space 'node'.*needs a 4-D"),
    ('d2s_block0', _nd('depth_to_space', (1, 4, 2, 2), block_size=0), MXNetError,
     r'block_size=0 must be a positive'),
    ('d2s_block_missing', _nd('depth_to_space', (1, 4, 2, 2)), MXNetError,
     r"required parameter 'block_size'"),
    ('s2d_spatial', _nd('space_to_depth', (1, 1, 3, 4), block_size=2), MXNetError,
     r'height 3 and width 4 must be multiples of block_size=2'),
    ('diag_0d', _sym('diag', ()), MXNetError, r'0-D; diag needs a 1-D'),
    ('diag_same_axes', _nd('diag', (2, 3), axis1=1, axis2=-1), MXNetError,
     r'axis1=1 and axis2=-1 name the same axis'),
    ('diag_axis_range', _nd('diag', (2, 3), axis2=2), MXNetError, r'axis2 2 is out of range'),
    ('diag_k_range', _nd('diag', (2, 3), k=4), MXNetError,
     r'k=4 is out of range for axes of sizes 2 and 3.*-2 <= k <= 3'),
    ('moments_axis', _nd('moments', (2, 3), axes=(2,)), MXNetError,
     r'reduction axis 2 is out of range'),
    ('hard_sigmoid_alpha', _nd('hard_sigmoid', (2,), alpha='x'), MXNetError,
     r"invalid value 'x' for parameter 'alpha'"),
    ('hist_range_alone', lambda: mx.nd.histogram(mx.nd.ones(3), mx.nd.array([0, 1]),
                                                 range=(0, 1)), MXNetError,
     r'range=\(0.0, 1.0\) is given without bin_cnt'),
    ('hist_range_order', _nd('histogram', (3,), bin_cnt=2, range=(1, 0)), MXNetError,
     r"parameter 'range'.*low 1 is greater than high 0"),
    ('hist_range_len', _nd('histogram', (3,), bin_cnt=2, range=(0, 1, 2)), MXNetError,
     r'expected \(low, high\), got 3 values'),
    ('hist_cnt0', _nd('histogram', (3,), bin_cnt=0, range=(0, 1)), MXNetError,
     r'bin_cnt=0 must be positive'),
    ('hist_bins_2d', _nd('histogram', (3,), (2, 2)), MXNetError,
     r"'bins' has shape \(2, 2\); it must be 1-D with at least two edges"),
    ('hist_bins_missing', _nd('histogram', (3,)), MXNetError, r"input 'bins' is missing"),
    ('ravel_no_shape', _nd('ravel_multi_index', (2, 3)), MXNetError,
     r'ravel_multi_index needs shape='),
    ('ravel_rows', _sym('ravel_multi_index', (3, 4), shape=(2, 5)), MXNetError,
     r"'data' has shape \(3, 4\) but shape=\(2, 5\) needs data of shape \(2, N\)"),
    ('ravel_bad_dim', _nd('ravel_multi_index', (2, 3), shape=(4, -1)), MXNetError,
     r'only the first may be -1'),
    ('unravel_zero_dim', _nd('unravel_index', (3,), shape=(4, 0)), MXNetError,
     r'must have positive dimensions'),
    ('khatri_rao_cols', _sym('khatri_rao', (2, 3), (4, 2)), MXNetError,
     r"'arg1' has shape \(4, 2\) but 'arg0' has shape \(2, 3\); all inputs need the same "
     r'number of columns'),
    ('khatri_rao_1d', _nd('khatri_rao', (2, 3), (4,)), MXNetError,
     r"'arg1' has shape \(4,\); khatri_rao needs matrices"),
]


@pytest.mark.parametrize('call,exc,match', [e[1:] for e in ERRORS], ids=[e[0] for e in ERRORS])
def test_errors_name_the_problem(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


def test_docstring_examples_run():
    finder = doctest.DocTestFinder(exclude_empty=True)
    runner = doctest.DocTestRunner(optionflags=doctest.NORMALIZE_WHITESPACE)
    tests = [t for t in finder.find(tensor_misc, globs={'mx': mx, 'np': np}) if t.examples]
    assert {t.name.split('.')[-1] for t in tests} >= {
        'DepthToSpace', 'SpaceToDepth', 'Diag', 'Moments', 'HardSigmoid', 'Histogram',
        'RavelMultiIndex', 'UnravelIndex', 'KhatriRao'}
    for t in tests:
        runner.run(t)
    assert runner.failures == 0
