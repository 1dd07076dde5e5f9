"""Activations, normalisation, dropout, softmax and loss heads.

Most checks are one table of cases run by one harness: forward against a NumPy reference
(float16/32/64), the gradient against central differences (float64), shape inference
from the data shape alone, and the symbol JSON round trip. Loss heads are checked against
their documented gradient formula; BatchNorm, Dropout and rrelu get their own tests for
the state they keep.
"""
import math

import numpy as np
import pytest

import mxlite as mx
from mxlite.base import MXNetError
from mxlite.test_utils import assert_almost_equal, check_numeric_gradient

_erf = np.vectorize(math.erf)
SELU_A, SELU_L = 1.6732632423543772848170429916717, 1.0507009873554804934193349852946


# ----------------------------------------------------------------------------- references
def _softmax(x, axis=-1, t=1.0):
    e = np.exp((x - x.max(axis=axis, keepdims=True)) / t)
    return e / e.sum(axis=axis, keepdims=True)


def _chan(v, ndim, axis=1):
    shape = [1] * ndim
    shape[axis] = -1
    return v.reshape(shape)


def _lrn(x, alpha, beta, knorm, n):
    c = x.shape[1]
    s = np.zeros_like(x)
    for i in range(c):
        lo, hi = max(0, i - n // 2), min(c, i + n // 2 + 1)
        s[:, i] = (x[:, lo:hi] ** 2).sum(axis=1)
    return x / (knorm + alpha / n * s) ** beta


def _norm(x, axes, eps):
    m = x.mean(axis=axes, keepdims=True)
    v = x.var(axis=axes, keepdims=True)
    return (x - m) / np.sqrt(v + eps)


def _bn_infer(a, eps=1e-3, fix_gamma=True, axis=1):
    x = a['data']
    g = np.ones_like(a['op_gamma']) if fix_gamma else a['op_gamma']
    nd = x.ndim
    return (_chan(g, nd, axis) * (x - _chan(a['op_moving_mean'], nd, axis))
            / np.sqrt(_chan(a['op_moving_var'], nd, axis) + eps) + _chan(a['op_beta'], nd, axis))


def _l2(x, axes, eps=1e-10):
    return x / np.sqrt((x * x).sum(axis=axes, keepdims=True) + eps)


# ----------------------------------------------------------------------------- the table
# (id, op, params, data shape, reference(args) -> output, options)
# options: grad (numeric gradient check, default True), train (forward in training mode),
# rtol16 (float16 tolerance), init (per-argument value makers)
CASES = [
    ('relu', 'Activation', {'act_type': 'relu'}, (3, 4), lambda a: np.maximum(a['data'], 0), {}),
    ('sigmoid', 'Activation', {'act_type': 'sigmoid'}, (3, 4),
     lambda a: 1 / (1 + np.exp(-a['data'])), {}),
    ('tanh', 'Activation', {'act_type': 'tanh'}, (2, 5), lambda a: np.tanh(a['data']), {}),
    ('softrelu', 'Activation', {'act_type': 'softrelu'}, (3, 4),
     lambda a: np.log1p(np.exp(a['data'])), {}),
    ('softsign', 'Activation', {'act_type': 'softsign'}, (2, 3, 2),
     lambda a: a['data'] / (1 + np.abs(a['data'])), {}),
    ('leaky', 'LeakyReLU', {'slope': 0.1}, (3, 4),
     lambda a: np.where(a['data'] > 0, a['data'], 0.1 * a['data']), {}),
    ('elu', 'LeakyReLU', {'act_type': 'elu', 'slope': 0.5}, (3, 4),
     lambda a: np.where(a['data'] > 0, a['data'], 0.5 * np.expm1(a['data'])), {}),
    ('selu', 'LeakyReLU', {'act_type': 'selu'}, (3, 4),
     lambda a: SELU_L * np.where(a['data'] > 0, a['data'], SELU_A * np.expm1(a['data'])),
     {'grad': False}),   # MXNet's selu gradient is not the derivative; see test_selu_grad
    ('gelu', 'LeakyReLU', {'act_type': 'gelu'}, (3, 4),
     lambda a: 0.5 * a['data'] * (1 + _erf(a['data'] / np.sqrt(2))), {}),
    ('prelu', 'LeakyReLU', {'act_type': 'prelu'}, (2, 3, 4),
     lambda a: np.where(a['data'] > 0, a['data'], _chan(a['op_gamma'], 3) * a['data']),
     {'init': {'op_gamma': lambda s: np.random.uniform(0.1, 0.5, s)}}),
    ('rrelu_infer', 'LeakyReLU', {'act_type': 'rrelu'}, (3, 4),
     lambda a: np.where(a['data'] > 0, a['data'], (0.125 + 0.334) / 2 * a['data']),
     {'grad': False}),
    ('softmax', 'softmax', {}, (3, 4), lambda a: _softmax(a['data']), {}),
    ('softmax_axis0_t', 'softmax', {'axis': 0, 'temperature': 2.0}, (3, 4),
     lambda a: _softmax(a['data'], 0, 2.0), {}),
    ('log_softmax', 'log_softmax', {'axis': 1}, (2, 3, 2),
     lambda a: np.log(_softmax(a['data'], 1)), {}),
    ('softmin', 'softmin', {}, (2, 4), lambda a: _softmax(-a['data']), {}),
    ('softmaxact_instance', 'SoftmaxActivation', {}, (2, 2, 3),
     lambda a: _softmax(a['data'].reshape(2, -1)).reshape(2, 2, 3), {}),
    ('softmaxact_channel', 'SoftmaxActivation', {'mode': 'channel'}, (2, 3, 2),
     lambda a: _softmax(a['data'], 1), {}),
    ('l2_instance', 'L2Normalization', {}, (3, 4), lambda a: _l2(a['data'], (1,)), {}),
    ('l2_channel', 'L2Normalization', {'mode': 'channel'}, (2, 3, 2),
     lambda a: _l2(a['data'], (1,)), {}),
    ('l2_spatial', 'L2Normalization', {'mode': 'spatial'}, (2, 2, 2, 2),
     lambda a: _l2(a['data'], (2, 3)), {}),
    ('lrn', 'LRN', {'nsize': 3}, (1, 4, 2, 2),
     lambda a: _lrn(a['data'], 1e-4, 0.75, 2.0, 3), {}),
    ('lrn_params', 'LRN', {'nsize': 5, 'alpha': 0.1, 'beta': 0.5, 'knorm': 1.0}, (1, 6, 2),
     lambda a: _lrn(a['data'], 0.1, 0.5, 1.0, 5), {}),
    ('instancenorm', 'InstanceNorm', {}, (2, 2, 3),
     lambda a: _chan(a['op_gamma'], 3) * _norm(a['data'], (2,), 1e-3) + _chan(a['op_beta'], 3),
     {}),
    ('layernorm', 'LayerNorm', {}, (3, 4),
     lambda a: a['op_gamma'] * _norm(a['data'], (1,), 1e-5) + a['op_beta'], {}),
    ('layernorm_axis1', 'LayerNorm', {'axis': 1, 'eps': 1e-3}, (2, 3, 2),
     lambda a: _chan(a['op_gamma'], 3) * _norm(a['data'], (1,), 1e-3) + _chan(a['op_beta'], 3),
     {}),
    ('batchnorm_infer', 'BatchNorm', {'fix_gamma': False}, (3, 2, 2), lambda a: _bn_infer(
        a, fix_gamma=False), {'grad': False}),
    ('batchnorm_infer_fix', 'BatchNorm', {}, (3, 2, 2), lambda a: _bn_infer(a),
     {'grad': False}),
    ('batchnorm_infer_last', 'BatchNorm', {'axis': -1, 'eps': 1e-5}, (2, 3), lambda a: _bn_infer(
        a, 1e-5, True, 1), {'grad': False}),
    ('smooth_l1', 'smooth_l1', {'scalar': 2.0}, (3, 4), lambda a: np.where(
        np.abs(a['data']) < 0.25, 0.5 * 4 * a['data'] ** 2, np.abs(a['data']) - 0.125), {}),
    ('blockgrad', 'BlockGrad', {}, (2, 3), lambda a: a['data'], {'grad': False}),
    ('dropout_infer', 'Dropout', {'p': 0.3}, (2, 3), lambda a: a['data'], {'grad': False}),
]
IDS = [c[0] for c in CASES]
DTYPES = [np.float16, np.float32, np.float64]


def _build(op, params):
    return getattr(mx.sym, op)(data=mx.sym.var('data'), name='op', **params)


def _inputs(sym, shape, opts, dtype):
    """Values for every argument and aux state, shapes inferred from the data alone."""
    arg_shapes, _, aux_shapes = sym.infer_shape(data=shape)
    arg_types, _, aux_types = sym.infer_type(data=dtype)   # BatchNorm: float16 -> float32
    init = opts.get('init', {})
    names = sym.list_arguments() + sym.list_auxiliary_states()
    values = {}
    for name, s, t in zip(names, arg_shapes + aux_shapes, arg_types + aux_types):
        if name in init:
            v = init[name](s)
        elif name.endswith('_var'):
            v = np.random.uniform(0.5, 1.5, s)
        else:
            # keep away from the kinks of relu-like functions for finite differences
            v = np.random.uniform(-1, 1, s)
            v = np.where(np.abs(v) < 0.05, 0.3, v)
        values[name] = v.astype(t)
    return values


def _run_forward(sym, values, is_train=False):
    args = {n: mx.nd.array(values[n], dtype=values[n].dtype) for n in sym.list_arguments()}
    aux = {n: mx.nd.array(values[n], dtype=values[n].dtype)
           for n in sym.list_auxiliary_states()}
    ex = sym.bind(mx.cpu(), args=args, aux_states=aux, grad_req='null')
    return [o.asnumpy() for o in ex.forward(is_train=is_train)]


@pytest.mark.parametrize('dtype', DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize('case', CASES, ids=IDS)
def test_forward_matches_numpy(case, dtype):
    _, op, params, shape, ref, opts = case
    sym = _build(op, params)
    values = _inputs(sym, shape, opts, dtype)
    out = _run_forward(sym, values)[0]
    assert out.dtype == np.dtype(dtype)
    expected = ref({k: v.astype(np.float64) for k, v in values.items()})
    tol = {np.float16: 2e-2, np.float32: 1e-5, np.float64: 1e-10}[dtype]
    assert_almost_equal(out, expected, rtol=tol, atol=tol)


@pytest.mark.parametrize('case', [c for c in CASES if c[5].get('grad', True)],
                         ids=[c[0] for c in CASES if c[5].get('grad', True)])
def test_gradient_matches_finite_differences(case):
    _, op, params, shape, ref, opts = case
    sym = _build(op, params)
    values = _inputs(sym, shape, opts, np.float64)
    aux = {n: values[n] for n in sym.list_auxiliary_states()} or None
    loc = {n: values[n] for n in sym.list_arguments()}
    check_numeric_gradient(sym, loc, aux_states=aux, numeric_eps=1e-5, rtol=1e-4, atol=1e-6,
                           dtype=np.float64)


@pytest.mark.parametrize('case', CASES, ids=IDS)
def test_shape_inference_and_json_round_trip(case):
    _, op, params, shape, ref, opts = case
    sym = _build(op, params)
    arg_shapes, out_shapes, aux_shapes = sym.infer_shape(data=shape)
    assert None not in arg_shapes and None not in aux_shapes
    assert out_shapes == [shape]
    assert sym.infer_shape_partial()[1] in ([None], [()])   # nothing known: unknown output
    js = sym.tojson()
    assert mx.sym.load_json(js).tojson() == js


# ----------------------------------------------------------------------------- partial shapes
@pytest.mark.parametrize('op, params, known, expect', [
    ('BatchNorm', {}, {'data': (4, 3, 5)}, {'op_gamma': (3,), 'op_moving_var': (3,)}),
    ('BatchNorm', {'axis': -1}, {'data': (4, 3, 5)}, {'op_beta': (5,), 'op_moving_mean': (5,)}),
    ('LeakyReLU', {'act_type': 'prelu'}, {'data': (2, 6, 3)}, {'op_gamma': (6,)}),
    ('LayerNorm', {'axis': 0}, {'data': (7, 3)}, {'op_gamma': (7,)}),
    ('InstanceNorm', {}, {'data': (2, 5, 3)}, {'op_beta': (5,)}),
    ('SoftmaxOutput', {}, {'data': (8, 10)}, {'op_label': (8,)}),
    ('SoftmaxOutput', {'preserve_shape': True}, {'data': (2, 3, 4)}, {'op_label': (2, 3)}),
    ('SoftmaxOutput', {'multi_output': True}, {'data': (2, 3, 4, 5)}, {'op_label': (2, 20)}),
    ('LinearRegressionOutput', {}, {'data': (8, 1)}, {'op_label': (8,)}),
    ('LogisticRegressionOutput', {}, {'data': (8, 3)}, {'op_label': (8, 3)}),
    ('softmax', {'use_length': True, 'axis': 1}, {'data': (2, 5, 3)}, {'op_length': (2, 3)}),
])
def test_partial_shapes_filled_in(op, params, known, expect):
    sym = _build(op, params)
    arg_shapes, out_shapes, aux_shapes = sym.infer_shape(**known)
    shapes = dict(zip(sym.list_arguments() + sym.list_auxiliary_states(),
                      arg_shapes + aux_shapes))
    for name, s in expect.items():
        assert shapes[name] == s
    assert out_shapes[0] == known['data']


def test_multi_output_label_forms_accepted():
    sym = _build('SoftmaxOutput', {'multi_output': True})
    for label in [(2, 20), (2, 4, 5), (2, 1, 4, 5)]:
        assert sym.infer_shape(data=(2, 3, 4, 5), op_label=label)[1] == [(2, 3, 4, 5)]


# ----------------------------------------------------------------------------- errors
@pytest.mark.parametrize('op, params, shapes, words', [
    ('BatchNorm', {}, {'data': (2, 3), 'op_gamma': (4,)}, ['BatchNorm', 'gamma', '(4,)', '(3,)']),
    ('LeakyReLU', {'act_type': 'prelu'}, {'data': (2, 3), 'op_gamma': (5,)},
     ['LeakyReLU', 'gamma', '(5,)']),
    ('SoftmaxOutput', {}, {'data': (4, 5), 'op_label': (3,)}, ['SoftmaxOutput', 'label', '(3,)',
                                                              '(4, 5)']),
    ('LayerNorm', {}, {'data': (4, 5), 'op_beta': (4,)}, ['LayerNorm', 'beta', '(4,)']),
    ('LinearRegressionOutput', {}, {'data': (4, 5), 'op_label': (3, 5)},
     ['LinearRegressionOutput', 'label', '(3, 5)']),
    ('InstanceNorm', {}, {'data': (4, 5)}, ['InstanceNorm', '(4, 5)']),
])
def test_shape_errors_name_op_and_shapes(op, params, shapes, words):
    sym = _build(op, params)
    with pytest.raises(MXNetError) as err:
        sym.infer_shape(**shapes)
    for w in words:
        assert w in str(err.value)


@pytest.mark.parametrize('op, params, words', [
    ('Activation', {'act_type': 'rleu'}, ['Activation', 'act_type', 'relu']),
    ('Activation', {}, ['Activation', 'act_type', 'missing']),
    ('LeakyReLU', {'act_type': 'swish'}, ['LeakyReLU', 'swish']),
    ('BatchNorm', {'momentum': 'fast'}, ['BatchNorm', 'momentum']),
    ('SoftmaxOutput', {'normalization': 'mean'}, ['SoftmaxOutput', 'normalization']),
    ('Dropout', {'prob': 0.5}, ['Dropout', 'prob']),
])
def test_param_errors_name_op(op, params, words):
    with pytest.raises(MXNetError) as err:
        _build(op, params)
    for w in words:
        assert w in str(err.value)


# ----------------------------------------------------------------------------- loss heads
def _loss_grad(sym, values):
    args = {n: mx.nd.array(v, dtype=v.dtype) for n, v in values.items()}
    grads = {'data': mx.nd.zeros(values['data'].shape, dtype=values['data'].dtype)}
    reqs = {n: ('write' if n == 'data' else 'null') for n in values}
    ex = sym.bind(mx.cpu(), args=args, args_grad=grads, grad_req=reqs)
    out = ex.forward(is_train=True)[0].asnumpy()
    ex.backward()
    return out, grads['data'].asnumpy()


def _onehot(label, classes):
    return np.eye(classes)[label.astype(int)]


SOFTMAX_OUTPUT_CASES = [
    ({}, 1.0),
    ({'grad_scale': 3.0}, 3.0),
    ({'normalization': 'batch'}, 1 / 6),
    ({'normalization': 'valid', 'use_ignore': True, 'ignore_label': 2}, None),
    ({'use_ignore': True, 'ignore_label': 1}, 1.0),
    ({'smooth_alpha': 0.3}, 1.0),
]


@pytest.mark.parametrize('dtype', [np.float32, np.float64], ids=['float32', 'float64'])
@pytest.mark.parametrize('params, scale', SOFTMAX_OUTPUT_CASES,
                         ids=[str(c[0]) for c in SOFTMAX_OUTPUT_CASES])
def test_softmax_output_gradient_formula(params, scale, dtype):
    x = np.random.normal(size=(6, 4)).astype(dtype)
    label = np.array([0, 1, 2, 3, 2, 1], dtype=dtype)
    sym = mx.sym.SoftmaxOutput(data=mx.sym.var('data'), label=mx.sym.var('label'), **params)
    out, grad = _loss_grad(sym, {'data': x, 'label': label})
    p = _softmax(x.astype(np.float64))
    assert_almost_equal(out, p, rtol=1e-5, atol=1e-6)
    alpha = params.get('smooth_alpha', 0.0)
    target = _onehot(label, 4) * (1 - alpha - alpha / 3) + alpha / 3
    expect = p - target
    if params.get('use_ignore'):
        keep = label != params['ignore_label']
        expect *= keep[:, None]
        if scale is None:
            scale = 1.0 / keep.sum()
    assert_almost_equal(grad, expect * scale, rtol=1e-5, atol=1e-6)


def test_softmax_output_multi_output_and_preserve_shape():
    x = np.random.normal(size=(2, 3, 4))
    label = np.array([[0, 1, 2, 1], [2, 2, 0, 1]], dtype=np.float64)
    sym = mx.sym.SoftmaxOutput(data=mx.sym.var('data'), label=mx.sym.var('label'),
                               multi_output=True)
    out, grad = _loss_grad(sym, {'data': x, 'label': label})
    p = _softmax(x, 1)
    assert_almost_equal(out, p)
    # MXNet divides the multi_output gradient by the positions per sample (here 4)
    expect = (p - np.moveaxis(_onehot(label, 3), -1, 1)) / 4
    assert_almost_equal(grad, expect, atol=1e-12)
    label2 = np.array([[0, 1, 2], [2, 2, 3]], dtype=np.float64)
    sym = mx.sym.SoftmaxOutput(data=mx.sym.var('data'), label=mx.sym.var('label'),
                               preserve_shape=True)
    out, grad = _loss_grad(sym, {'data': x, 'label': label2})
    assert_almost_equal(out, _softmax(x, -1))
    assert_almost_equal(grad, _softmax(x, -1) - _onehot(label2, 4), atol=1e-12)


@pytest.mark.parametrize('op, params, fwd, dfn', [
    ('LinearRegressionOutput', {}, lambda x: x, lambda y, l: y - l),
    ('LinearRegressionOutput', {'grad_scale': 2.0}, lambda x: x, lambda y, l: 2 * (y - l)),
    ('MAERegressionOutput', {}, lambda x: x, lambda y, l: np.sign(y - l)),
    ('LogisticRegressionOutput', {}, lambda x: 1 / (1 + np.exp(-x)), lambda y, l: y - l),
])
def test_regression_outputs_gradient_formula(op, params, fwd, dfn):
    x = np.random.normal(size=(4, 3))
    label = np.random.uniform(size=(4, 3))
    sym = getattr(mx.sym, op)(data=mx.sym.var('data'), label=mx.sym.var('label'), **params)
    out, grad = _loss_grad(sym, {'data': x, 'label': label})
    assert_almost_equal(out, fwd(x))
    # divided by the number of outputs per sample, as MXNet does
    assert_almost_equal(grad, dfn(fwd(x), label) / 3, atol=1e-12)


def test_regression_output_takes_flat_label_for_single_output():
    sym = mx.sym.LinearRegressionOutput(data=mx.sym.var('data'), label=mx.sym.var('label'))
    out, grad = _loss_grad(sym, {'data': np.array([[1.0], [2.0]]),
                                 'label': np.array([0.5, 3.0])})
    assert_almost_equal(grad, [[0.5], [-1.0]])


@pytest.mark.parametrize('params, expect', [
    ({}, lambda x: np.ones_like(x)),
    ({'grad_scale': 2.0}, lambda x: 2 * np.ones_like(x)),
    ({'normalization': 'batch'}, lambda x: np.ones_like(x) / x.shape[0]),
    ({'normalization': 'valid', 'valid_thresh': 0.2},
     lambda x: np.ones_like(x) / (x > 0.2).sum()),
])
def test_makeloss_gradient(params, expect):
    x = np.random.normal(size=(4, 3))
    sym = mx.sym.MakeLoss(mx.sym.var('data'), **params)
    out, grad = _loss_grad(sym, {'data': x})
    assert_almost_equal(out, x)
    assert_almost_equal(grad, expect(x))


def test_make_loss_elemwise_gives_ones():
    x = np.random.normal(size=(2, 3))
    out, grad = _loss_grad(mx.sym.make_loss(mx.sym.var('data')), {'data': x})
    assert_almost_equal(out, x)
    assert_almost_equal(grad, np.ones_like(x))


def test_softmax_cross_entropy():
    x = np.random.normal(size=(3, 5))
    label = np.array([1, 0, 4], dtype=np.float64)
    sym = mx.sym.softmax_cross_entropy(mx.sym.var('data'), mx.sym.var('label'))
    assert sym.infer_shape(data=(3, 5))[1] == [(1,)]
    p = _softmax(x)
    out = _run_forward(sym, {'data': x, 'label': label})[0]
    assert_almost_equal(out, [-np.log(p[np.arange(3), [1, 0, 4]]).sum()])
    check_numeric_gradient(sym, {'data': x, 'label': label}, grad_nodes=['data'],
                           numeric_eps=1e-5, rtol=1e-4, dtype=np.float64)


def test_blockgrad_stops_gradient():
    x = mx.sym.var('x')
    sym = x * 2 + mx.sym.stop_gradient(x * 3)
    gx = mx.nd.zeros((2,))
    ex = sym.bind(mx.cpu(), args={'x': mx.nd.array([1., 2.])}, args_grad={'x': gx})
    ex.forward(is_train=True)
    ex.backward(mx.nd.ones((2,)))
    assert_almost_equal(gx.asnumpy(), [2., 2.])


# ----------------------------------------------------------------------------- activations
def test_selu_grad_is_mxnets():
    x = np.array([-2.0, -0.5, 0.5, 1.5])
    sym = mx.sym.LeakyReLU(mx.sym.var('data'), act_type='selu')
    g = mx.nd.zeros((4,), dtype='float64')
    ex = sym.bind(mx.cpu(), args={'data': mx.nd.array(x, dtype='float64')}, args_grad=[g])
    y = ex.forward(is_train=True)[0].asnumpy()
    ex.backward(mx.nd.ones((4,), dtype='float64'))
    assert_almost_equal(g.asnumpy(), np.where(x > 0, SELU_L, SELU_L * (y + SELU_A)))


def test_rrelu_training_draws_slopes_and_backward_uses_them():
    mx.random.seed(3)
    x = -np.ones((50, 40))
    sym = mx.sym.LeakyReLU(mx.sym.var('data'), act_type='rrelu', lower_bound=0.1,
                           upper_bound=0.3)
    assert sym.list_outputs() == ['leakyrelu0_output'] or len(sym.list_outputs()) == 1
    g = mx.nd.zeros(x.shape, dtype='float64')
    ex = sym.bind(mx.cpu(), args={'data': mx.nd.array(x, dtype='float64')}, args_grad=[g])
    y = ex.forward(is_train=True)[0].asnumpy()
    slopes = -y
    assert slopes.min() >= 0.1 and slopes.max() <= 0.3 and slopes.std() > 0.03
    ex.backward(mx.nd.ones(x.shape, dtype='float64'))
    assert_almost_equal(g.asnumpy(), slopes)


def test_gelu_erf_accuracy():
    from mxlite.ops.activation import erf
    xs = np.linspace(-7, 7, 5001)
    ref = _erf(xs)
    assert np.abs(erf(xs) - ref).max() < 1e-14
    assert np.abs(erf(xs.astype(np.float32)) - ref).max() < 1e-6


def test_softmax_use_length():
    x = np.random.normal(size=(2, 4))
    length = np.array([2, 4], dtype=np.float64)
    sym = mx.sym.softmax(mx.sym.var('data'), mx.sym.var('length'), use_length=True)
    out = _run_forward(sym, {'data': x, 'length': length})[0]
    assert_almost_equal(out[0], np.r_[_softmax(x[0, :2]), 0, 0])
    assert_almost_equal(out[1], _softmax(x[1]))
    check_numeric_gradient(sym, {'data': x, 'length': length}, grad_nodes=['data'],
                           numeric_eps=1e-5, rtol=1e-4, dtype=np.float64)


def test_softmax_dtype_param():
    sym = mx.sym.softmax(mx.sym.var('data'), dtype='float64')
    assert sym.infer_type(data=np.float32)[1] == [np.float64]


def test_extreme_logits_are_stable():
    x = np.array([[1000., 0., -1000.]], dtype=np.float32)
    for op in ('softmax', 'log_softmax'):
        out = _run_forward(getattr(mx.sym, op)(mx.sym.var('data')), {'data': x})[0]
        assert np.isfinite(out).all()
    sym = mx.sym.SoftmaxOutput(data=mx.sym.var('data'), label=mx.sym.var('label'))
    out, grad = _loss_grad(sym, {'data': x, 'label': np.array([2.], np.float32)})
    assert np.isfinite(grad).all() and grad[0, 2] == -1


# ----------------------------------------------------------------------------- BatchNorm
def _bn_bind(x, gamma, beta, mm, mv, **params):
    sym = mx.sym.BatchNorm(data=mx.sym.var('data'), name='bn', **params)
    args = {'data': mx.nd.array(x, dtype=x.dtype), 'bn_gamma': mx.nd.array(gamma, dtype=x.dtype),
            'bn_beta': mx.nd.array(beta, dtype=x.dtype)}
    grads = {k: mx.nd.zeros(v.shape, dtype=x.dtype) for k, v in args.items()}
    aux = {'bn_moving_mean': mx.nd.array(mm, dtype=x.dtype),
           'bn_moving_var': mx.nd.array(mv, dtype=x.dtype)}
    return sym, sym.bind(mx.cpu(), args=args, args_grad=grads, aux_states=aux), args, grads


def test_batchnorm_training_statistics_and_moving_update_in_backward():
    x = np.random.normal(2, 3, size=(8, 3, 2, 2))
    gamma, beta = np.array([1.5, 0.5, 2.0]), np.array([0.1, -0.2, 0.3])
    mm, mv = np.zeros(3), np.ones(3)
    sym, ex, args, grads = _bn_bind(x, gamma, beta, mm, mv, fix_gamma=False, momentum=0.8,
                                    output_mean_var=True)
    assert sym.list_outputs() == ['bn_output', 'bn_mean', 'bn_var']
    out, mean, istd = [o.asnumpy() for o in ex.forward(is_train=True)]
    bm, bv = x.mean(axis=(0, 2, 3)), x.var(axis=(0, 2, 3))
    assert_almost_equal(out, _chan(gamma, 4) * _norm(x, (0, 2, 3), 1e-3) + _chan(beta, 4))
    assert_almost_equal(mean, bm)
    assert_almost_equal(istd, 1 / np.sqrt(bv + 1e-3))
    # forward alone leaves the moving statistics; backward updates them (biased variance)
    assert_almost_equal(ex.aux_dict['bn_moving_mean'].asnumpy(), mm)
    ex.backward([mx.nd.ones(x.shape, dtype='float64'), mx.nd.zeros((3,), dtype='float64'),
                 mx.nd.zeros((3,), dtype='float64')])
    assert_almost_equal(ex.aux_dict['bn_moving_mean'].asnumpy(), 0.8 * mm + 0.2 * bm)
    assert_almost_equal(ex.aux_dict['bn_moving_var'].asnumpy(), 0.8 * mv + 0.2 * bv)
    # inference uses the moving statistics
    out = ex.forward(is_train=False)[0].asnumpy()
    expect = _bn_infer({'data': x, 'op_gamma': gamma, 'op_beta': beta,
                        'op_moving_mean': 0.8 * mm + 0.2 * bm,
                        'op_moving_var': 0.8 * mv + 0.2 * bv}, fix_gamma=False)
    assert_almost_equal(out, expect)


def test_batchnorm_fix_gamma_writes_ones_and_zero_grad():
    x = np.random.normal(size=(4, 2))
    _, ex, args, grads = _bn_bind(x, np.array([3., 4.]), np.zeros(2), np.zeros(2), np.ones(2))
    ex.forward(is_train=False)
    assert_almost_equal(args['bn_gamma'].asnumpy(), [3., 4.])   # inference leaves it
    ex.forward(is_train=True)
    assert_almost_equal(args['bn_gamma'].asnumpy(), [1., 1.])
    ex.backward(mx.nd.array(np.random.normal(size=x.shape), dtype='float64'))
    assert_almost_equal(grads['bn_gamma'].asnumpy(), [0., 0.])


@pytest.mark.parametrize('params, shape', [
    ({'fix_gamma': False}, (4, 3, 2)),
    ({'fix_gamma': False, 'axis': -1}, (3, 2, 3)),
    ({'fix_gamma': False, 'use_global_stats': True}, (3, 2, 2)),
    ({}, (5, 2)),
])
def test_batchnorm_numeric_gradient(params, shape):
    sym = mx.sym.BatchNorm(data=mx.sym.var('data'), name='bn', **params)
    values = _inputs(sym, shape, {}, np.float64)
    aux = {n: values[n] for n in sym.list_auxiliary_states()}
    loc = {n: values[n] for n in sym.list_arguments()}
    if not params.get('fix_gamma', True):
        grad_nodes = None
    else:
        grad_nodes = ['data', 'bn_beta']
        loc['bn_gamma'] = np.ones_like(loc['bn_gamma'])
    check_numeric_gradient(sym, loc, aux_states=aux, numeric_eps=1e-5, rtol=1e-4, atol=1e-6,
                           grad_nodes=grad_nodes, dtype=np.float64)


def test_batchnorm_float16_keeps_float32_params():
    sym = mx.sym.BatchNorm(data=mx.sym.var('data'), name='bn')
    arg_types, out_types, aux_types = sym.infer_type(data=np.float16)
    assert arg_types == [np.float16, np.float32, np.float32]
    assert aux_types == [np.float32, np.float32] and out_types == [np.float16]


def test_batchnorm_json_has_three_outputs_and_aux_init_attrs():
    import json
    sym = mx.sym.BatchNorm(data=mx.sym.var('data'), name='bn')
    js = json.loads(sym.tojson())
    assert js['node_row_ptr'][-1] - js['node_row_ptr'][-2] == 3
    attrs = {n['name']: n.get('attrs', {}) for n in js['nodes']}
    assert attrs['bn_moving_mean']['__init__'] == '["zero", {}]'
    assert attrs['bn_moving_var']['__init__'] == '["one", {}]'


# ----------------------------------------------------------------------------- Dropout
def _dropout_ex(x, **params):
    sym = mx.sym.Dropout(mx.sym.var('data'), **params)
    g = mx.nd.zeros(x.shape)
    return sym, sym.bind(mx.cpu(), args={'data': mx.nd.array(x)}, args_grad=[g]), g


def test_dropout_training_mask_scale_and_gradient():
    mx.random.seed(7)
    x = np.random.uniform(1, 2, size=(200, 100)).astype(np.float32)
    sym, ex, g = _dropout_ex(x, p=0.3)
    assert len(sym.list_outputs()) == 1
    y = ex.forward(is_train=True)[0].asnumpy()
    kept = y != 0
    assert abs(kept.mean() - 0.7) < 0.02
    assert_almost_equal(y[kept], x[kept] / 0.7, rtol=1e-6)
    hg = np.random.normal(size=x.shape).astype(np.float32)
    ex.backward(mx.nd.array(hg))
    assert_almost_equal(g.asnumpy(), np.where(kept, hg / 0.7, 0), rtol=1e-6, atol=1e-7)
    # inference: identity, and gradient passes through
    assert_almost_equal(ex.forward(is_train=False)[0].asnumpy(), x)


def test_dropout_seeded_axes_and_always_mode():
    x = np.ones((4, 50), np.float32)
    mx.random.seed(11)
    _, ex, _ = _dropout_ex(x, p=0.5, axes=(1,))
    a = ex.forward(is_train=True)[0].asnumpy()
    assert all(len(np.unique(row)) == 1 for row in a)   # shared along axis 1
    mx.random.seed(11)
    b = ex.forward(is_train=True)[0].asnumpy()
    assert_almost_equal(a, b)
    _, ex, _ = _dropout_ex(x, p=0.5, mode='always')
    assert (ex.forward(is_train=False)[0].asnumpy() == 0).any()


# ----------------------------------------------------------------------------- imperative
def test_imperative_calls():
    x = mx.nd.array([[-1., 0.5, 2.]])
    assert_almost_equal(mx.nd.Activation(x, act_type='relu').asnumpy(), [[0., 0.5, 2.]])
    assert_almost_equal(mx.nd.softmax(x).asnumpy(), _softmax(x.asnumpy()))
    assert_almost_equal(mx.nd.Softmax(x, mx.nd.array([1.])).asnumpy(), _softmax(x.asnumpy()))
    out = mx.nd.BatchNorm(x.reshape((3, 1)), mx.nd.ones((1,)), mx.nd.zeros((1,)),
                          mx.nd.zeros((1,)), mx.nd.ones((1,)))
    assert_almost_equal(out.asnumpy().ravel(), x.asnumpy().ravel() / np.sqrt(1.001), rtol=1e-5)


@pytest.mark.parametrize('shape', [(3, 4), (3, 4, 4, 5)])
@pytest.mark.parametrize('gamma_kind', ['channel', 'sample_channel', 'one'])
def test_prelu_gamma_broadcasts_on_axes_0_and_1_as_mxnet(shape, gamma_kind):
    """MXNet matches gamma's axes from the right against data axes 1 and 0: (C,), (N, C)
    and (1,) all work; the gamma gradient is reduced to gamma's shape."""
    from mxlite.test_utils import check_numeric_gradient, check_symbolic_forward
    rng = np.random.RandomState(0)
    gam = {'channel': rng.rand(4), 'sample_channel': rng.rand(3, 4),
           'one': rng.rand(1)}[gamma_kind]
    xa = rng.uniform(-1, 1, shape)
    g_b = gam.reshape(gam.shape + (1,) * (len(shape) - 2)) if gam.ndim == 2 else \
        (gam.reshape((1, -1) + (1,) * (len(shape) - 2)) if gam.size > 1 else gam)
    y = mx.sym.LeakyReLU(data=mx.sym.var('x'), gamma=mx.sym.var('g'), act_type='prelu')
    check_symbolic_forward(y, [xa, gam], [np.where(xa > 0, xa, xa * g_b)], dtype=np.float64)
    check_numeric_gradient(y, [xa, gam], numeric_eps=1e-5, rtol=1e-4, atol=1e-6,
                           dtype=np.float64)


def test_prelu_gamma_that_does_not_broadcast_is_named():
    y = mx.sym.LeakyReLU(data=mx.sym.var('x'), gamma=mx.sym.var('g'), act_type='prelu')
    with pytest.raises(mx.base.MXNetError, match=r"gamma' has shape \(5,\)"):
        y.infer_shape(x=(3, 4), g=(5,))
