"""IdentityAttachKLSparseReg, Correlation, contrib fft/ifft, count_sketch,
gradientmultiplier, round_ste, sign_ste and SparseEmbedding.

One table of cases run by one harness (forward vs a NumPy reference written with plain
loops, finite-difference gradients in float64, shapes, JSON round trip, nd == sym), then
op-specific checks: values pinned from MXNet 1.9.1, gradient rules that finite
differences cannot see (straight-through, scaled), and errors.
"""
import doctest
import itertools
from collections import namedtuple

import numpy as np
import pytest

import mxlite as mx
from mxlite.base import MXNetError
from mxlite.ops import misc_ops_b
from mxlite.test_utils import (assert_almost_equal, check_numeric_gradient,
                               check_symbolic_backward, check_symbolic_forward)


# ----------------------------------------------------------------------------- references
def correlation_ref(a, b, kernel_size=1, max_displacement=1, stride1=1, stride2=1,
                    pad_size=0, is_multiply=True):
    n, c, h, w = a.shape
    k, md, q = kernel_size, max_displacement, pad_size
    kr = (k - 1) // 2
    border = md + kr
    ap = np.pad(a, ((0, 0), (0, 0), (q, q), (q, q)))
    bp = np.pad(b, ((0, 0), (0, 0), (q, q), (q, q)))
    oh = -(-(h + 2 * q - 2 * border) // stride1)
    ow = -(-(w + 2 * q - 2 * border) // stride1)
    r = md // stride2
    g = 2 * r + 1
    out = np.zeros((n, g * g, oh, ow))
    for i, j, d in itertools.product(range(oh), range(ow), range(g * g)):
        y1, x1 = i * stride1 + md, j * stride1 + md
        y2, x2 = y1 + (d // g - r) * stride2, x1 + (d % g - r) * stride2
        pa = ap[:, :, y1:y1 + k, x1:x1 + k]
        pb = bp[:, :, y2:y2 + k, x2:x2 + k]
        v = pa * pb if is_multiply else np.abs(pa - pb)
        out[:, d, i, j] = v.sum(axis=(1, 2, 3)) / (k * k * c)
    return out


def fft_ref(x):
    d = x.shape[-1]
    out = np.zeros(x.shape[:-1] + (2 * d,))
    for k in range(d):
        z = sum(x[..., n] * np.exp(-2j * np.pi * k * n / d) for n in range(d))
        out[..., 2 * k], out[..., 2 * k + 1] = z.real, z.imag
    return out


def ifft_ref(x):
    d = x.shape[-1] // 2
    z = x[..., 0:2 * d:2] + 1j * x[..., 1:2 * d:2]
    out = np.zeros(x.shape[:-1] + (d,))
    for n in range(d):
        out[..., n] = sum(z[..., k] * np.exp(2j * np.pi * k * n / d) for k in range(d)).real
    return out


def count_sketch_ref(x, h, s, out_dim):
    out = np.zeros((x.shape[0], out_dim))
    for i in range(x.shape[1]):
        out[:, int(h[0, i])] += s[0, i] * x[:, i]
    return out


# ----------------------------------------------------------------------------- the table
Case = namedtuple('Case', 'id op params inputs ref grad_nodes')


def _rand(shape, seed):
    return np.random.RandomState(seed).standard_normal(shape)


CASES = [
    Case('corr_default', 'Correlation', {}, lambda: dict(data1=_rand((2, 2, 5, 6), 1),
                                                         data2=_rand((2, 2, 5, 6), 2)),
         lambda i, **p: correlation_ref(i['data1'], i['data2'], **p), ['data1', 'data2']),
    Case('corr_k3_strides_pad', 'Correlation',
         dict(kernel_size=3, max_displacement=2, stride1=2, stride2=2, pad_size=2),
         lambda: dict(data1=_rand((1, 3, 5, 6), 3), data2=_rand((1, 3, 5, 6), 4)),
         lambda i, **p: correlation_ref(i['data1'], i['data2'], **p), ['data1', 'data2']),
    Case('corr_absdiff', 'Correlation',
         dict(kernel_size=3, max_displacement=3, stride2=2, pad_size=3, is_multiply=False),
         lambda: dict(data1=_rand((1, 2, 4, 5), 5), data2=_rand((1, 2, 4, 5), 6)),
         lambda i, **p: correlation_ref(i['data1'], i['data2'], **p), ['data1', 'data2']),
    Case('fft_2d', 'contrib.fft', {}, lambda: dict(data=_rand((3, 8), 7)),
         lambda i, **p: fft_ref(i['data']), ['data']),
    Case('fft_4d_odd', 'contrib.fft', dict(compute_size=4),
         lambda: dict(data=_rand((2, 2, 3, 5), 8)),
         lambda i, **p: fft_ref(i['data']), ['data']),
    Case('ifft_2d', 'contrib.ifft', {}, lambda: dict(data=_rand((3, 8), 9)),
         lambda i, **p: ifft_ref(i['data']), ['data']),
    Case('ifft_odd_last', 'contrib.ifft', {}, lambda: dict(data=_rand((2, 3, 7), 10)),
         lambda i, **p: ifft_ref(i['data']), ['data']),
    Case('count_sketch', 'contrib.count_sketch', dict(out_dim=4),
         lambda: dict(data=_rand((3, 6), 11), h=np.array([[0, 3, 1, 3, 2, 0.]]),
                      s=np.array([[1, -1, 1, 1, -1, -1.]])),
         lambda i, out_dim: count_sketch_ref(i['data'], i['h'], i['s'], out_dim), ['data']),
    Case('sparse_embedding', 'contrib.SparseEmbedding', dict(input_dim=5, output_dim=3),
         lambda: dict(data=np.array([[4, 0, 2], [2, 2, 1.]]), weight=_rand((5, 3), 12)),
         lambda i, **p: i['weight'][i['data'].astype(int)], ['weight']),
    Case('kl_identity', 'IdentityAttachKLSparseReg', {},
         lambda: dict(data=np.random.RandomState(13).rand(3, 4)),
         lambda i, **p: i['data'], None),
    Case('round_ste', 'contrib.round_ste', {},
         lambda: dict(data=np.array([-2.5, -1.5, -0.6, 0.4, 0.5, 1.5, 2.5])),
         lambda i, **p: np.sign(i['data']) * np.floor(np.abs(i['data']) + 0.5), None),
    Case('sign_ste', 'contrib.sign_ste', {},
         lambda: dict(data=np.array([-2., 0., 0.3, 5.])),
         lambda i, **p: np.sign(i['data']), None),
    Case('gradientmultiplier', 'contrib.gradientmultiplier', dict(scalar=-2.5),
         lambda: dict(data=_rand((2, 3), 14)), lambda i, **p: i['data'], None),
]
IDS = [c.id for c in CASES]
DTYPES = [np.float32, np.float64]


def _fn(namespace, op):
    for part in op.split('.'):
        namespace = getattr(namespace, part)
    return namespace


def params_for(case, dtype=np.float64):
    if case.op == 'contrib.SparseEmbedding':   # the weight's dtype is a parameter
        return dict(case.params, dtype=np.dtype(dtype).name)
    return case.params


def make_sym(case, dtype=np.float64):
    names = list(case.inputs())
    if case.op == 'IdentityAttachKLSparseReg':
        names = ['data']
    return _fn(mx.sym, case.op)(*[mx.sym.var(n) for n in names], name='op',
                                **params_for(case, dtype))


def aux_for(case, arrays):
    if case.op == 'IdentityAttachKLSparseReg':
        return {'op_moving_avg': np.full(arrays['data'].shape[1], 0.5)}
    return None


@pytest.mark.parametrize('dtype', DTYPES, ids=['float32', 'float64'])
@pytest.mark.parametrize('case', CASES, ids=IDS)
def test_forward_matches_reference_and_nd(case, dtype):
    arrays = {k: v.astype(dtype) for k, v in case.inputs().items()}
    want = case.ref({k: v.astype(np.float64) for k, v in arrays.items()}, **case.params)
    sym = make_sym(case, dtype)
    tol = 1e-4 if dtype == np.float32 else 1e-10
    check_symbolic_forward(sym, arrays, [want], rtol=tol, atol=tol,
                           aux_states=aux_for(case, arrays), dtype=dtype)
    nd_inputs = [mx.nd.array(v, dtype=dtype) for v in arrays.values()]
    if case.op == 'IdentityAttachKLSparseReg':
        nd_inputs.append(mx.nd.zeros(arrays['data'].shape[1:2], dtype=dtype))
    got = _fn(mx.nd, case.op)(*nd_inputs, **params_for(case, dtype))
    assert got.dtype == dtype
    assert_almost_equal(got.asnumpy(), want, rtol=tol, atol=tol)


@pytest.mark.parametrize('case', [c for c in CASES if c.grad_nodes], ids=lambda c: c.id)
def test_gradient_matches_finite_differences(case):
    check_numeric_gradient(make_sym(case), case.inputs(), grad_nodes=case.grad_nodes,
                           numeric_eps=1e-6, rtol=1e-5, atol=1e-8, dtype=np.float64)


@pytest.mark.parametrize('case', CASES, ids=IDS)
def test_shapes_and_json_round_trip(case):
    sym = make_sym(case)
    arrays = case.inputs()
    want = case.ref(arrays, **case.params)
    _, outs, _ = sym.infer_shape(**{k: v.shape for k, v in arrays.items()})
    assert outs == [want.shape]
    text = sym.tojson()
    assert mx.sym.load_json(text).tojson() == text
    assert mx.sym.load_json(text).list_outputs() == ['op_output']


# ----------------------------------------------------------------------------- pinned
def test_correlation_pinned_mxnet_values():
    rs = np.random.RandomState(1)
    a, b = rs.randn(1, 2, 5, 6).astype('f'), rs.randn(1, 2, 5, 6).astype('f')
    for params, out4, ga4, gb4 in [
            ({}, [0.42764902, 0.3535185, -0.20319375, -0.15665634], [0, 0, 0, 0],
             [0.38060346, 0.1386966, 0.20913172, -0.6829807]),
            (dict(kernel_size=3, max_displacement=2, stride1=2, stride2=2, pad_size=2),
             [-0.04413328, -0.13613626, -0.10134727, 0.01436155],
             [0.02752704, -0.07221168, 0.02999236, -0.03048827],
             [-0.19573209, 0.15696503, -0.1345133, 0.09788418]),
            (dict(max_displacement=1, is_multiply=False, pad_size=1),
             [1.1580031, 0.50425494, 0.6076722, 0.95908713],
             [-0.48513, 0.12825283, 1.2174722, 1.775093],
             [0.10780668, -0.8438662, -1.2156134, 1.2379183])]:
        sym = mx.sym.Correlation(mx.sym.var('a'), mx.sym.var('b'), **params)
        ex = sym.simple_bind(mx.cpu(), a=a.shape, b=b.shape)
        ex.arg_dict['a'][:] = a
        ex.arg_dict['b'][:] = b
        ex.forward(is_train=True)
        out = ex.outputs[0].asnumpy()
        ex.backward(mx.nd.array(np.linspace(-1, 1, out.size).reshape(out.shape)))
        assert_almost_equal(out.ravel()[:4], out4, rtol=1e-4, atol=1e-6)
        assert_almost_equal(ex.grad_dict['a'].asnumpy().ravel()[:4], ga4, rtol=1e-4,
                            atol=1e-6)
        assert_almost_equal(ex.grad_dict['b'].asnumpy().ravel()[:4], gb4, rtol=1e-4,
                            atol=1e-6)


def test_kl_sparse_reg_gradient_and_moving_avg_pinned_mxnet():
    sym = mx.sym.IdentityAttachKLSparseReg(mx.sym.var('data'), name='k', penalty=0.5,
                                           sparseness_target=0.2, momentum=0.7)
    assert sym.list_auxiliary_states() == ['k_moving_avg']
    assert sym.infer_shape(data=(2, 3, 4))[2] == [(3,)]
    ex = sym.simple_bind(mx.cpu(), data=(2, 3))
    ex.arg_dict['data'][:] = np.array([[0.1, 0.5, 0.9], [0.3, 0.2, 0.6]])
    ex.aux_dict['k_moving_avg'][:] = 0.5
    ex.forward(is_train=True)
    ex.backward(mx.nd.ones((2, 3)))
    # values from MXNet 1.9.1: the average moves in backward, then gives the penalty
    assert_almost_equal(ex.aux_dict['k_moving_avg'].asnumpy(), [0.41, 0.455, 0.575],
                        rtol=1e-5)
    assert_almost_equal(ex.grad_dict['data'].asnumpy(),
                        np.tile([1.4340637, 1.5141647, 1.7672634], (2, 1)), rtol=1e-5)
    ex.forward(is_train=False)
    assert_almost_equal(ex.aux_dict['k_moving_avg'].asnumpy(), [0.41, 0.455, 0.575],
                        rtol=1e-5)


def test_straight_through_and_multiplier_gradients_pinned_mxnet():
    # MXNet 1.9.1: d/dx (2 round_ste(x) + 3 sign_ste(x) - 4 * gm(x)) == [1, 1]
    x = mx.nd.array([1.5, -0.3])
    x.attach_grad()
    with mx.autograd.record():
        y = mx.nd.contrib.round_ste(x) * 2 + mx.nd.contrib.sign_ste(x) * 3 + \
            mx.nd.contrib.gradientmultiplier(x, scalar=-4)
    y.backward()
    np.testing.assert_array_equal(x.grad.asnumpy(), [1, 1])
    g = np.arange(6.).reshape(2, 3)
    for op, params, want in [('contrib.gradientmultiplier', dict(scalar=-2.5), -2.5 * g),
                             ('contrib.round_ste', {}, g), ('contrib.sign_ste', {}, g)]:
        sym = _fn(mx.sym, op)(mx.sym.var('data'), **params)
        check_symbolic_backward(sym, {'data': np.ones((2, 3))}, [g], [want],
                                dtype=np.float64)
    # round_ste on integers and halves away from zero, as MXNet
    got = mx.nd.contrib.round_ste(mx.nd.array([-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 0.4]))
    np.testing.assert_array_equal(got.asnumpy(), [-3, -2, -1, 1, 2, 3, 0])
    ints = mx.nd.contrib.gradientmultiplier(mx.nd.array([1, 2], dtype='int32'), scalar=2.5)
    assert ints.dtype == np.int32 and ints.asnumpy().tolist() == [1, 2]


def test_fft_ifft_round_trip_is_unnormalised():
    x = np.random.RandomState(0).standard_normal((2, 6)).astype('f')
    y = mx.nd.contrib.fft(mx.nd.array(x))
    assert y.shape == (2, 12)
    assert_almost_equal(mx.nd.contrib.ifft(y).asnumpy(), 6 * x, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(mx.nd.contrib.fft(mx.nd.array([[1., 2., 3., 4.]])).asnumpy(),
                               [[10, 0, -2, 2, -2, 0, -2, -2]], atol=1e-6)


def test_sparse_embedding_gradient_accumulates_repeated_rows():
    sym = mx.sym.contrib.SparseEmbedding(mx.sym.var('data'), input_dim=4, output_dim=2,
                                         dtype='float64', name='e')
    assert sym.list_arguments() == ['data', 'e_weight']
    g = np.arange(6.).reshape(3, 2)
    want = np.zeros((4, 2))
    for i, row in enumerate([1, 1, 3]):
        want[row] += g[i]
    check_symbolic_backward(sym, {'data': np.array([1., 1., 3.]),
                                  'e_weight': np.ones((4, 2))}, [g],
                            {'e_weight': want}, dtype=np.float64)


# ----------------------------------------------------------------------------- errors
ERRORS = [
    ('corr_even_kernel', lambda: mx.sym.Correlation(
        mx.sym.var('a'), mx.sym.var('b'), kernel_size=2).infer_shape(
        a=(1, 2, 6, 6), b=(1, 2, 6, 6)), 'kernel_size \\(2\\) must be odd'),
    ('corr_too_small', lambda: mx.sym.Correlation(
        mx.sym.var('a'), mx.sym.var('b'), max_displacement=2).infer_shape(
        a=(1, 2, 3, 3), b=(1, 2, 3, 3)), 'too small for max_displacement=2'),
    ('corr_mismatch', lambda: mx.sym.Correlation(mx.sym.var('a'), mx.sym.var('b')).infer_shape(
        a=(1, 2, 5, 5), b=(1, 3, 5, 5)), "'data1' has shape .* 'data2' has shape"),
    ('corr_3d', lambda: mx.sym.Correlation(mx.sym.var('a'), mx.sym.var('b')).infer_shape(
        a=(1, 5, 5), b=(1, 5, 5)), "'data1' has shape .* expected 4-D"),
    ('fft_1d', lambda: mx.sym.contrib.fft(mx.sym.var('data')).infer_shape(data=(5,)),
     'at least 2 dimensions'),
    ('sketch_h_shape', lambda: mx.sym.contrib.count_sketch(
        mx.sym.var('data'), mx.sym.var('h'), mx.sym.var('s'), out_dim=3).infer_shape(
        data=(2, 6), h=(1, 5)), "'h' has shape \\(1, 5\\) .* expected \\(1, 6\\)"),
    ('sketch_bucket', lambda: mx.nd.contrib.count_sketch(
        mx.nd.ones((1, 2)), mx.nd.array([[0, 3]]), mx.nd.ones((1, 2)), out_dim=3),
     'outside \\[0, out_dim=3\\)'),
    ('sketch_out_dim', lambda: mx.sym.contrib.count_sketch(
        mx.sym.var('data'), mx.sym.var('h'), mx.sym.var('s')), "required parameter 'out_dim'"),
    ('kl_target', lambda: mx.sym.IdentityAttachKLSparseReg(
        mx.sym.var('data'), sparseness_target=1.5), "'sparseness_target'"),
    ('kl_aux_shape', lambda: mx.sym.IdentityAttachKLSparseReg(
        mx.sym.var('data'), name='k').infer_shape(data=(2, 3), k_moving_avg=(4,)),
     "'moving_avg' has shape \\(4,\\)"),
    ('gm_unknown', lambda: mx.sym.contrib.gradientmultiplier(mx.sym.var('data'), scale=2),
     "unknown parameter 'scale'"),
]


@pytest.mark.parametrize('make,match', [e[1:] for e in ERRORS], ids=[e[0] for e in ERRORS])
def test_errors_name_the_problem(make, match):
    with pytest.raises(MXNetError, match=match):
        make()


def test_docstring_examples():
    assert doctest.testmod(misc_ops_b, extraglobs={'mx': mx}).failed == 0
