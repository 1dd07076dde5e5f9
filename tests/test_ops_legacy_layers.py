"""BatchNorm_v1, Convolution_v1, Pooling_v1, SyncBatchNorm and BatchNormWithReLU.

Each case is run by one harness: forward against an independent NumPy reference (loops
for pooling), gradients against finite differences (float64), shapes, the JSON round
trip and nd == sym. A network JSON written by MXNet 1.9.1 with the legacy op names is
loaded and run against values pinned from MXNet 1.9.1.
"""
import doctest
import itertools
from collections import namedtuple

import numpy as np
import pytest

import mxlite as mx
from mxlite.base import MXNetError
from mxlite.ops import legacy_layers
from mxlite.test_utils import (assert_almost_equal, check_numeric_gradient,
                               check_symbolic_forward)

DTYPES = [np.float32, np.float64]


# ----------------------------------------------------------------------------- references
def pool_v1_ref(x, kernel, stride, pad, pool_type, convention, global_pool=False):
    n, c, h, w = x.shape
    if global_pool:
        kernel, stride, pad = (h, w), (1, 1), (0, 0)
    rnd = (lambda v: -(-v // 1)) if convention == 'full' else (lambda v: v // 1)
    oh = int(rnd((h + 2 * pad[0] - kernel[0]) / stride[0])) + 1
    ow = int(rnd((w + 2 * pad[1] - kernel[1]) / stride[1])) + 1
    xp = np.pad(x, ((0, 0), (0, 0), (pad[0], pad[0]), (pad[1], pad[1])))   # zeros
    out = np.zeros((n, c, oh, ow), x.dtype)
    for i, j in itertools.product(range(oh), range(ow)):
        y0, x0 = i * stride[0], j * stride[1]
        win = xp[:, :, y0:y0 + kernel[0], x0:x0 + kernel[1]]   # the overhang is cut off
        if pool_type == 'max':
            out[:, :, i, j] = win.max(axis=(2, 3))
        elif pool_type == 'sum':
            out[:, :, i, j] = win.sum(axis=(2, 3))
        else:   # v1 divides by the whole kernel, whatever the window holds
            out[:, :, i, j] = win.sum(axis=(2, 3)) / (kernel[0] * kernel[1])
    return out


def bn_ref(x, gamma, beta, eps, fix_gamma):
    axes = (0,) + tuple(range(2, x.ndim))
    shape = (1, -1) + (1,) * (x.ndim - 2)
    mean, var = x.mean(axis=axes), x.var(axis=axes)
    g = np.ones_like(gamma) if fix_gamma else gamma
    y = (x - mean.reshape(shape)) / np.sqrt(var.reshape(shape) + eps) * g.reshape(shape) \
        + beta.reshape(shape)
    return y, mean, var


def conv_ref(x, w, b, pad, stride):
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    kh, kw = w.shape[2:]
    oh = (xp.shape[2] - kh) // stride + 1
    ow = (xp.shape[3] - kw) // stride + 1
    out = np.zeros((x.shape[0], w.shape[0], oh, ow))
    for i, j in itertools.product(range(oh), range(ow)):
        patch = xp[:, :, i * stride:i * stride + kh, j * stride:j * stride + kw]
        out[:, :, i, j] = np.einsum('nchw,fchw->nf', patch, w) + b
    return out


# ----------------------------------------------------------------------------- pooling
PoolCase = namedtuple('PoolCase', 'id shape params')
POOL_CASES = [
    PoolCase('max_valid', (2, 2, 5, 6), dict(kernel=(2, 2), stride=(2, 2), pool_type='max')),
    PoolCase('max_pad_zero', (1, 2, 5, 5), dict(kernel=(3, 3), stride=(2, 2), pad=(1, 1),
                                                pool_type='max')),
    PoolCase('max_full', (1, 1, 5, 5), dict(kernel=(2, 2), stride=(2, 2), pool_type='max',
                                            pooling_convention='full')),
    PoolCase('avg_full', (2, 1, 5, 5), dict(kernel=(2, 2), stride=(2, 2), pool_type='avg',
                                            pooling_convention='full')),
    PoolCase('avg_pad', (1, 2, 5, 4), dict(kernel=(3, 3), stride=(2, 1), pad=(1, 1),
                                           pool_type='avg')),
    PoolCase('sum_full', (1, 2, 5, 5), dict(kernel=(2, 3), stride=(2, 2), pool_type='sum',
                                            pooling_convention='full')),
    PoolCase('global_avg', (2, 3, 4, 5), dict(global_pool=True, pool_type='avg')),
    PoolCase('global_max', (2, 3, 4, 5), dict(global_pool=True, pool_type='max')),
]


def pool_ref_for(case, x):
    p = case.params
    return pool_v1_ref(x, p.get('kernel', (1, 1)), p.get('stride', (1, 1)),
                       p.get('pad', (0, 0)), p['pool_type'],
                       p.get('pooling_convention', 'valid'), p.get('global_pool', False))


def pool_input(case, dtype, seed=0):
    # distinct values (no ties in max) around zero (so zero padding can win)
    rng = np.random.RandomState(seed)
    n = int(np.prod(case.shape))
    return (rng.permutation(n).reshape(case.shape) - n / 2.0).astype(dtype) / n


@pytest.mark.parametrize('dtype', DTYPES, ids=['float32', 'float64'])
@pytest.mark.parametrize('case', POOL_CASES, ids=[c.id for c in POOL_CASES])
def test_pooling_v1_forward_shape_json_nd(case, dtype):
    x = pool_input(case, dtype)
    want = pool_ref_for(case, x)
    sym = mx.sym.Pooling_v1(mx.sym.var('data'), name='pool', **case.params)
    assert sym.list_outputs() == ['pool_output']
    _, outs, _ = sym.infer_shape(data=case.shape)
    assert outs == [want.shape]
    check_symbolic_forward(sym, {'data': x}, [want], rtol=1e-5, atol=1e-6, dtype=dtype)
    text = sym.tojson()
    assert mx.sym.load_json(text).tojson() == text
    got = mx.nd.Pooling_v1(mx.nd.array(x, dtype=dtype), **case.params)
    assert_almost_equal(got.asnumpy(), want, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize('case', POOL_CASES, ids=[c.id for c in POOL_CASES])
def test_pooling_v1_gradient(case):
    sym = mx.sym.Pooling_v1(mx.sym.var('data'), **case.params)
    check_numeric_gradient(sym, {'data': pool_input(case, np.float64, seed=2)},
                           numeric_eps=1e-6, rtol=1e-5, atol=1e-8, dtype=np.float64)


def test_pooling_v1_pinned_mxnet_values():
    x = mx.nd.array(np.arange(25).reshape(1, 1, 5, 5) - 10)
    got = mx.nd.Pooling_v1(x, kernel=(2, 2), stride=(2, 2), pool_type='avg',
                           pooling_convention='full').asnumpy()[0, 0]
    np.testing.assert_allclose(got, [[-7, -5, -1.75], [3, 5, 3.25], [5.25, 6.25, 3.5]])
    got = mx.nd.Pooling_v1(x, kernel=(3, 3), stride=(2, 2), pad=(1, 1)).asnumpy()[0, 0]
    np.testing.assert_allclose(got, [[0, 0, 0], [6, 8, 9], [11, 13, 14]])


# ----------------------------------------------------------------------------- batch norm
BNCase = namedtuple('BNCase', 'id op extra var_is_variance relu')
BN_CASES = [
    BNCase('v1', 'BatchNorm_v1', {}, True, False),
    BNCase('sync', 'contrib.SyncBatchNorm', dict(key='bn0', ndev=1), True, False),
    BNCase('with_relu', 'contrib.BatchNormWithReLU', {}, False, True),
]


def bn_sym(case, **kw):
    fn = mx.sym
    for part in case.op.split('.'):
        fn = getattr(fn, part)
    return fn(mx.sym.var('data'), name='bn', **dict(case.extra, **kw))


def bn_arrays(dtype, seed=0):
    rng = np.random.RandomState(seed)
    return dict(data=rng.standard_normal((2, 3, 2, 3)).astype(dtype),
                bn_gamma=(rng.rand(3) + 0.5).astype(dtype),
                bn_beta=rng.standard_normal(3).astype(dtype))


@pytest.mark.parametrize('fix_gamma', [False, True])
@pytest.mark.parametrize('case', BN_CASES, ids=[c.id for c in BN_CASES])
def test_batchnorm_variants_training_forward_and_outputs(case, fix_gamma):
    arrays = bn_arrays(np.float64)
    sym = bn_sym(case, fix_gamma=fix_gamma, output_mean_var=True, eps=1e-3)
    assert sym.list_arguments() == ['data', 'bn_gamma', 'bn_beta']
    assert sym.list_auxiliary_states() == ['bn_moving_mean', 'bn_moving_var']
    assert sym.list_outputs() == ['bn_output', 'bn_mean', 'bn_var']
    ex = sym.simple_bind(mx.cpu(), data=(2, 3, 2, 3), type_dict={'data': np.float64})
    for k, v in arrays.items():
        ex.arg_dict[k][:] = v
    ex.forward(is_train=True)
    y, mean, var = bn_ref(arrays['data'], arrays['bn_gamma'], arrays['bn_beta'], 1e-3,
                          fix_gamma)
    if case.relu:
        y = np.maximum(y, 0)
    assert_almost_equal(ex.outputs[0].asnumpy(), y, rtol=1e-6, atol=1e-8)
    assert_almost_equal(ex.outputs[1].asnumpy(), mean, rtol=1e-6, atol=1e-8)
    want_var = var if case.var_is_variance else 1 / np.sqrt(var + 1e-3)
    assert_almost_equal(ex.outputs[2].asnumpy(), want_var, rtol=1e-6, atol=1e-8)
    text = sym.tojson()
    assert mx.sym.load_json(text).tojson() == text


@pytest.mark.parametrize('case', BN_CASES, ids=[c.id for c in BN_CASES])
def test_batchnorm_variants_gradient(case):
    sym = bn_sym(case, fix_gamma=False)
    check_numeric_gradient(sym, bn_arrays(np.float64, seed=3),
                           aux_states={'bn_moving_mean': np.zeros(3),
                                       'bn_moving_var': np.ones(3)},
                           numeric_eps=1e-6, rtol=1e-4, atol=1e-7, dtype=np.float64)


@pytest.mark.parametrize('case', BN_CASES, ids=[c.id for c in BN_CASES])
def test_batchnorm_variants_inference_nd_equals_sym(case):
    arrays = bn_arrays(np.float32)
    mm, mv = np.array([0.1, -0.2, 0.3], 'f'), np.array([1.5, 0.5, 2.0], 'f')
    y = (arrays['data'] - mm.reshape(1, 3, 1, 1)) / np.sqrt(mv.reshape(1, 3, 1, 1) + 1e-3) \
        * arrays['bn_gamma'].reshape(1, 3, 1, 1) + arrays['bn_beta'].reshape(1, 3, 1, 1)
    if case.relu:
        y = np.maximum(y, 0)
    sym = bn_sym(case, fix_gamma=False)
    check_symbolic_forward(sym, arrays, [y], aux_states={'bn_moving_mean': mm,
                                                          'bn_moving_var': mv},
                           rtol=1e-5, atol=1e-6)
    fn = mx.nd
    for part in case.op.split('.'):
        fn = getattr(fn, part)
    got = fn(*[mx.nd.array(arrays[k]) for k in ('data', 'bn_gamma', 'bn_beta')],
             mx.nd.array(mm), mx.nd.array(mv), fix_gamma=False, **case.extra)
    assert_almost_equal(got.asnumpy(), y, rtol=1e-5, atol=1e-6)


def test_batchnorm_v1_pinned_mxnet_values_and_fix_gamma_write():
    rng = np.random.RandomState(0)
    x = rng.randn(2, 3, 4, 4).astype('f')
    g, b = rng.rand(3).astype('f') + 0.5, rng.randn(3).astype('f')
    sym = mx.sym.BatchNorm_v1(mx.sym.var('data'), name='bn', fix_gamma=False,
                              output_mean_var=True)
    ex = sym.simple_bind(mx.cpu(), data=x.shape)
    ex.arg_dict['data'][:] = x
    ex.arg_dict['bn_gamma'][:] = g
    ex.arg_dict['bn_beta'][:] = b
    ex.aux_dict['bn_moving_var'][:] = 0   # as MXNet's simple_bind leaves it
    ex.forward(is_train=True)
    # values from MXNet 1.9.1
    assert_almost_equal(ex.outputs[0].asnumpy().ravel()[:3], [1.2086873, -0.58052766,
                                                              0.1784789], rtol=1e-5)
    assert_almost_equal(ex.outputs[2].asnumpy(), [0.8713472, 1.0127478, 1.1872511],
                        rtol=1e-5)
    ex.backward([mx.nd.array(x * 0.3 + 1), mx.nd.zeros(3), mx.nd.zeros(3)])
    assert_almost_equal(ex.grad_dict['bn_gamma'].asnumpy(), [8.956078, 9.656228, 10.455858],
                        rtol=1e-5)
    assert_almost_equal(ex.aux_dict['bn_moving_var'].asnumpy(),
                        [0.08713474, 0.1012748, 0.11872514], rtol=1e-5)
    # fix_gamma: MXNet's v1 writes ones into gamma at inference as well
    sym = mx.sym.BatchNorm_v1(mx.sym.var('data'), name='bn')
    ex = sym.simple_bind(mx.cpu(), data=x.shape)
    ex.arg_dict['bn_gamma'][:] = g
    ex.forward(is_train=False)
    np.testing.assert_array_equal(ex.arg_dict['bn_gamma'].asnumpy(), np.ones(3))


def test_batchnorm_v1_param_set_is_mxnets():
    assert set(mx.ops.registry.get('BatchNorm_v1').params) == {
        'eps', 'momentum', 'fix_gamma', 'use_global_stats', 'output_mean_var'}
    with pytest.raises(MXNetError, match="unknown parameter 'axis'"):
        mx.sym.BatchNorm_v1(mx.sym.var('data'), axis=1)
    with pytest.raises(MXNetError, match="required parameter 'key'"):
        mx.sym.contrib.SyncBatchNorm(mx.sym.var('data'))
    with pytest.raises(MXNetError, match="'gamma' has shape"):
        mx.sym.BatchNorm_v1(mx.sym.var('data'), name='bn').infer_shape(
            data=(2, 3, 4), bn_gamma=(4,))


def test_batchnorm_v1_partial_shape_from_gamma():
    sym = mx.sym.BatchNorm_v1(mx.sym.var('data'), name='bn')
    args, _, aux = sym.infer_shape_partial(bn_gamma=(5,))
    assert args[2] == (5,) and aux == [(5,), (5,)]


# ----------------------------------------------------------------------------- convolution
@pytest.mark.parametrize('dtype', DTYPES, ids=['float32', 'float64'])
@pytest.mark.parametrize('pad,stride', [(0, 1), (1, 2)])
def test_convolution_v1_forward_gradient_json(pad, stride, dtype):
    rng = np.random.RandomState(4)
    arrays = dict(data=rng.standard_normal((2, 3, 5, 5)).astype(dtype),
                  c_weight=rng.standard_normal((2, 3, 3, 3)).astype(dtype),
                  c_bias=rng.standard_normal(2).astype(dtype))
    sym = mx.sym.Convolution_v1(mx.sym.var('data'), kernel=(3, 3), num_filter=2,
                                pad=(pad, pad), stride=(stride, stride), name='c')
    want = conv_ref(arrays['data'], arrays['c_weight'], arrays['c_bias'], pad, stride)
    check_symbolic_forward(sym, arrays, [want], rtol=1e-4, atol=1e-4, dtype=dtype)
    assert sym.infer_shape(data=(2, 3, 5, 5))[1] == [want.shape]
    text = sym.tojson()
    assert mx.sym.load_json(text).tojson() == text
    got = mx.nd.Convolution_v1(*[mx.nd.array(arrays[k], dtype=dtype) for k in arrays],
                               kernel=(3, 3), num_filter=2, pad=(pad, pad),
                               stride=(stride, stride))
    assert_almost_equal(got.asnumpy(), want, rtol=1e-4, atol=1e-4)
    if dtype == np.float64:
        check_numeric_gradient(sym, arrays, numeric_eps=1e-6, rtol=1e-5, atol=1e-7,
                               dtype=np.float64)


def test_convolution_v1_errors():
    with pytest.raises(MXNetError, match='kernel .* 2 or 3 dimensions'):
        mx.sym.Convolution_v1(mx.sym.var('data'), kernel=(3,), num_filter=2).infer_shape(
            data=(1, 2, 5))
    with pytest.raises(MXNetError, match="'NCW' is not one of"):
        mx.sym.Convolution_v1(mx.sym.var('data'), kernel=(3,), num_filter=2, layout='NCW')
    with pytest.raises(MXNetError, match='weight has shape'):
        mx.sym.Convolution_v1(mx.sym.var('data'), kernel=(3, 3), num_filter=2,
                              name='c').infer_shape(data=(1, 2, 5, 5), c_weight=(2, 3, 3, 3))


def test_pooling_v1_errors():
    with pytest.raises(MXNetError, match="'lp' is not one of"):
        mx.sym.Pooling_v1(mx.sym.var('data'), kernel=(2, 2), pool_type='lp')
    with pytest.raises(MXNetError, match="unknown parameter 'count_include_pad'"):
        mx.sym.Pooling_v1(mx.sym.var('data'), kernel=(2, 2), count_include_pad=False)
    with pytest.raises(MXNetError, match='expected 4-D'):
        mx.sym.Pooling_v1(mx.sym.var('data'), kernel=(2,)).infer_shape(data=(1, 2, 5))
    with pytest.raises(MXNetError, match='kernel size 6 exceeds'):
        mx.sym.Pooling_v1(mx.sym.var('data'), kernel=(6, 2)).infer_shape(data=(1, 2, 5, 5))


# ----------------------------------------------------------------------------- MXNet JSON
# written by MXNet 1.9.1: Convolution_v1 -> BatchNorm_v1 -> Pooling_v1 -> sigmoid ->
# Flatten -> IdentityAttachKLSparseReg
LEGACY_JSON = (
    '{"nodes": [{"op": "null", "name": "data", "inputs": []}, {"op": "null", "name": '
    '"conv_weight", "attrs": {"kernel": "(3, 3)", "num_filter": "2", "pad": "(1, 1)"}, '
    '"inputs": []}, {"op": "null", "name": "conv_bias", "attrs": {"kernel": "(3, 3)", '
    '"num_filter": "2", "pad": "(1, 1)"}, "inputs": []}, {"op": "Convolution_v1", "name": '
    '"conv", "attrs": {"kernel": "(3, 3)", "num_filter": "2", "pad": "(1, 1)"}, "inputs": '
    '[[0, 0, 0], [1, 0, 0], [2, 0, 0]]}, {"op": "null", "name": "bn_gamma", "attrs": '
    '{"fix_gamma": "False"}, "inputs": []}, {"op": "null", "name": "bn_beta", "attrs": '
    '{"fix_gamma": "False"}, "inputs": []}, {"op": "null", "name": "bn_moving_mean", '
    '"attrs": {"__init__": "[\\"zero\\", {}]", "fix_gamma": "False"}, "inputs": []}, '
    '{"op": "null", "name": "bn_moving_var", "attrs": {"__init__": "[\\"one\\", {}]", '
    '"fix_gamma": "False"}, "inputs": []}, {"op": "BatchNorm_v1", "name": "bn", "attrs": '
    '{"fix_gamma": "False"}, "inputs": [[3, 0, 0], [4, 0, 0], [5, 0, 0], [6, 0, 1], '
    '[7, 0, 1]]}, {"op": "Pooling_v1", "name": "pool", "attrs": {"kernel": "(2, 2)", '
    '"pool_type": "avg", "pooling_convention": "full", "stride": "(2, 2)"}, "inputs": '
    '[[8, 0, 0]]}, {"op": "sigmoid", "name": "sigmoid0", "inputs": [[9, 0, 0]]}, {"op": '
    '"Flatten", "name": "flat", "inputs": [[10, 0, 0]]}, {"op": "null", "name": '
    '"kl_moving_avg", "attrs": {"__init__": "[\\"zero\\", {}]", "penalty": "0.01"}, '
    '"inputs": []}, {"op": "IdentityAttachKLSparseReg", "name": "kl", "attrs": {"penalty": '
    '"0.01"}, "inputs": [[11, 0, 0], [12, 0, 1]]}], "arg_nodes": [0, 1, 2, 4, 5, 6, 7, 12], '
    '"node_row_ptr": [0, 1, 2, 3, 4, 5, 6, 7, 8, 11, 12, 13, 14, 15, 16], "heads": '
    '[[13, 0, 0]], "attrs": {"mxnet_version": ["int", 10901]}}')


def test_mxnet_written_legacy_json_binds_and_matches_mxnet():
    sym = mx.sym.load_json(LEGACY_JSON)
    assert mx.sym.load_json(sym.tojson()).tojson() == sym.tojson()
    x = (np.arange(2 * 3 * 5 * 5).reshape(2, 3, 5, 5) % 7 - 3.) / 3
    w = (np.arange(2 * 3 * 3 * 3).reshape(2, 3, 3, 3) % 5 - 2.) / 4
    ex = sym.simple_bind(mx.cpu(), data=x.shape)
    ex.arg_dict['data'][:] = x
    ex.arg_dict['conv_weight'][:] = w
    ex.arg_dict['conv_bias'][:] = [0.5, -0.5]
    ex.arg_dict['bn_gamma'][:] = [1.5, 0.5]
    ex.arg_dict['bn_beta'][:] = [0.1, -0.2]
    ex.aux_dict['bn_moving_mean'][:] = 0
    ex.aux_dict['bn_moving_var'][:] = 1
    ex.aux_dict['kl_moving_avg'][:] = 0.5
    ex.forward(is_train=True)
    # values from MXNet 1.9.1
    out = ex.outputs[0].asnumpy()
    assert out.shape == (2, 18)
    assert_almost_equal(out.ravel()[::3], [
        0.667162, 0.4201, 0.607482, 0.429134, 0.508304, 0.416012, 0.470331, 0.655768,
        0.335643, 0.439571, 0.411026, 0.510788], rtol=1e-4, atol=1e-6)
    ex.backward(mx.nd.ones(out.shape))
    assert_almost_equal(ex.grad_dict['data'].asnumpy().ravel()[::17], [
        0.000156, -0.006704, -0.002162, -0.001021, 0.005371, -0.000824, 0.000955, 0.000864,
        -0.005127], rtol=1e-3, atol=2e-6)
    assert_almost_equal(ex.aux_dict['kl_moving_avg'].asnumpy()[:4],
                        [0.506875, 0.516147, 0.496628, 0.503793], rtol=1e-4)
    assert_almost_equal(ex.aux_dict['bn_moving_mean'].asnumpy(), [0.053333, -0.047833],
                        rtol=1e-4)
    ex.forward(is_train=False)
    assert_almost_equal(ex.outputs[0].asnumpy().ravel()[::3][:4],
                        [0.819815, 0.573522, 0.703537, 0.377674], rtol=1e-4)


def test_docstring_examples():
    assert doctest.testmod(legacy_layers, extraglobs={'mx': mx}).failed == 0
