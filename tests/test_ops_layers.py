"""Layer operators (FullyConnected, Flatten, Convolution, Deconvolution, Pooling, UpSampling,
Pad, Embedding): tables of shapes x params, run by one harness in float32 and float64.

Every fast kernel is compared with a plain NumPy reference written as direct loops over
output positions (slow but obviously right), and every gradient with central finite
differences. Shape inference, symbol JSON, the imperative path and error messages are
checked from the same table.
"""
import itertools
import json
from collections import namedtuple

import numpy as np
import pytest

import mxlite as mx
from optest import assert_json_round_trip
from mxlite.base import MXNetError
from mxlite.test_utils import check_numeric_gradient, check_symbolic_forward


# ----------------------------------------------------------------------------- references
def _tup(v, nd, default):
    return tuple(v) if v else (default,) * nd


def fc_ref(a, p):
    x, w = a[0], a[1]
    x2 = x.reshape(x.shape[0], -1) if p.get('flatten', True) else x
    y = x2 @ w.T
    return y + a[2] if len(a) > 2 else y


def flatten_ref(a, p):
    return a[0].reshape(a[0].shape[0], -1)


def conv_ref(a, p):
    x, w = a[0], a[1]
    b = None if p.get('no_bias', False) else a[2]
    k = tuple(p['kernel'])
    nd = len(k)
    stride, dilate, pad = (_tup(p.get('stride'), nd, 1), _tup(p.get('dilate'), nd, 1),
                           _tup(p.get('pad'), nd, 0))
    groups = p.get('num_group', 1)
    n, c = x.shape[:2]
    f = w.shape[0]
    xp = np.pad(x, [(0, 0), (0, 0)] + [(q, q) for q in pad])
    osp = [(xp.shape[2 + i] - dilate[i] * (k[i] - 1) - 1) // stride[i] + 1 for i in range(nd)]
    out = np.zeros((n, f) + tuple(osp))
    cg, fg = c // groups, f // groups
    for i, j in itertools.product(range(n), range(f)):
        g = j // fg
        for o in np.ndindex(*osp):
            acc = 0.0
            for ci, kk in itertools.product(range(cg), np.ndindex(*k)):
                idx = tuple(o[d] * stride[d] + kk[d] * dilate[d] for d in range(nd))
                acc += xp[(i, g * cg + ci) + idx] * w[(j, ci) + kk]
            out[(i, j) + o] = acc + (0 if b is None else b[j])
    return out


def deconv_ref(a, p):
    x, w = a[0], a[1]
    b = a[2] if not p.get('no_bias', True) else None
    k = tuple(p['kernel'])
    nd = len(k)
    stride, dilate = _tup(p.get('stride'), nd, 1), _tup(p.get('dilate'), nd, 1)
    pad, adj = _tup(p.get('pad'), nd, 0), _tup(p.get('adj'), nd, 0)
    groups = p.get('num_group', 1)
    n, c = x.shape[:2]
    fg = w.shape[1]
    cg = c // groups
    isp = x.shape[2:]
    full = [stride[d] * (isp[d] - 1) + dilate[d] * (k[d] - 1) + 1 for d in range(nd)]
    if p.get('target_shape'):
        t = p['target_shape']
        pad = tuple((full[d] - t[d] + 1) // 2 for d in range(nd))
        adj = tuple((full[d] - t[d]) % 2 for d in range(nd))
    y = np.zeros((n, fg * groups) + tuple(f + a_ for f, a_ in zip(full, adj)))
    for i, ci in itertools.product(range(n), range(c)):
        g = ci // cg
        for o in np.ndindex(*isp):
            for j, kk in itertools.product(range(fg), np.ndindex(*k)):
                idx = tuple(o[d] * stride[d] + kk[d] * dilate[d] for d in range(nd))
                y[(i, g * fg + j) + idx] += x[(i, ci) + o] * w[(ci, j) + kk]
    y = y[(slice(None), slice(None)) + tuple(slice(q, s - q) for q, s in zip(pad, y.shape[2:]))]
    return y if b is None else y + b.reshape((1, -1) + (1,) * nd)


def pool_ref(a, p):
    """MXNet's pooling, one window at a time: windows are clipped to the input; avg divides
    by the window clipped to the padded input (or the real elements, count_include_pad=0)."""
    x = a[0]
    sp = x.shape[2:]
    nd = len(sp)
    if p.get('global_pool'):
        k, stride, pad = sp, (1,) * nd, (0,) * nd
    else:
        k = tuple(p['kernel'])
        stride, pad = _tup(p.get('stride'), nd, 1), _tup(p.get('pad'), nd, 0)
    conv = p.get('pooling_convention', 'valid')
    kind = p.get('pool_type', 'max')
    include = p.get('count_include_pad', True)
    osp = []
    for s_, k_, st, q in zip(sp, k, stride, pad):
        if p.get('global_pool'):
            osp.append(1)
        elif conv == 'valid':
            osp.append((s_ + 2 * q - k_) // st + 1)
        elif conv == 'full':
            osp.append(int(np.ceil((s_ + 2 * q - k_) / st)) + 1)
        else:
            osp.append(int(np.ceil((s_ + 2 * q) / st)))
    out = np.zeros(x.shape[:2] + tuple(osp))
    for i, j in itertools.product(range(x.shape[0]), range(x.shape[1])):
        for o in np.ndindex(*osp):
            lo, hi, cnt = [], [], 1
            for d in range(nd):
                start = o[d] * stride[d] - pad[d]
                cnt *= min(start + k[d], sp[d] + pad[d]) - start
                lo.append(max(start, 0))
                hi.append(min(start + k[d], sp[d]))
            win = x[(i, j) + tuple(slice(l_, h_) for l_, h_ in zip(lo, hi))]
            if kind == 'max':
                v = win.max()
            elif kind == 'sum':
                v = win.sum()
            elif kind == 'avg':
                v = win.sum() / (cnt if include else win.size)
            else:
                v = np.power((win ** p['p_value']).sum(), 1.0 / p['p_value'])
            out[(i, j) + o] = v
    return out


def upsampling_ref(a, p):
    s = p['scale']
    if p['sample_type'] == 'bilinear':
        k = 2 * s - s % 2
        q = int(np.ceil((s - 1) / 2))
        c = a[0].shape[1]
        return deconv_ref(a, {'kernel': (k, k), 'stride': (s, s), 'pad': (q, q),
                              'num_group': c})
    oh, ow = a[0].shape[2] * s, a[0].shape[3] * s
    ups = [x.repeat(oh // x.shape[2], axis=2).repeat(ow // x.shape[3], axis=3) for x in a]
    if p.get('multi_input_mode', 'concat') == 'sum':
        return sum(ups)
    return np.concatenate(ups, axis=1)


def pad_ref(a, p):
    w = p['pad_width']
    pairs = [(w[2 * i], w[2 * i + 1]) for i in range(a[0].ndim)]
    if p['mode'] == 'constant':
        return np.pad(a[0], pairs, mode='constant', constant_values=p.get('constant_value', 0))
    return np.pad(a[0], pairs, mode=p['mode'])


def embedding_ref(a, p):
    idx = np.clip(a[0].astype(np.int64), 0, p['input_dim'] - 1)
    return a[1][idx]


def nhwc(ref):
    """A channel-first reference applied to channel-last data (and weight), NHWC out."""
    def run(a, p):
        moved = [np.moveaxis(v, -1, 1) if v.ndim > 2 else v for v in a]
        q = dict(p)
        q.pop('layout')
        return np.moveaxis(ref(moved, q), 1, -1)
    return run


# ----------------------------------------------------------------------------- the table
Case = namedtuple('Case', 'id op params args ref')
# args: (name, shape) in list_arguments order. Names without the 'op_' prefix are
# variables passed by the test (by keyword 'data', or positionally for UpSampling);
# 'op_*' ones are auto-created by mx.sym.<op>.


def _c(cid, op, params, args, ref):
    return Case(cid, op, params, args, ref)


W, B = 'op_weight', 'op_bias'
CASES = [
    _c('fc_basic', 'FullyConnected', dict(num_hidden=4),
       [('data', (3, 5)), (W, (4, 5)), (B, (4,))], fc_ref),
    _c('fc_no_bias', 'FullyConnected', dict(num_hidden=3, no_bias=True),
       [('data', (2, 6)), (W, (3, 6))], fc_ref),
    _c('fc_flatten_4d', 'FullyConnected', dict(num_hidden=2),
       [('data', (2, 2, 2, 3)), (W, (2, 12)), (B, (2,))], fc_ref),
    _c('fc_no_flatten', 'FullyConnected', dict(num_hidden=5, flatten=False),
       [('data', (2, 3, 4)), (W, (5, 4)), (B, (5,))], fc_ref),
    _c('flatten_3d', 'Flatten', {}, [('data', (2, 3, 4))], flatten_ref),
    _c('flatten_alias', 'flatten', {}, [('data', (2, 3, 2, 2))], flatten_ref),
    _c('conv1d', 'Convolution', dict(kernel=(3,), num_filter=4),
       [('data', (2, 3, 8)), (W, (4, 3, 3)), (B, (4,))], conv_ref),
    _c('conv1d_s2_p1_d2', 'Convolution', dict(kernel=(3,), stride=(2,), pad=(1,), dilate=(2,),
                                              num_filter=2),
       [('data', (2, 2, 9)), (W, (2, 2, 3)), (B, (2,))], conv_ref),
    _c('conv2d', 'Convolution', dict(kernel=(3, 3), num_filter=3),
       [('data', (2, 3, 5, 5)), (W, (3, 3, 3, 3)), (B, (3,))], conv_ref),
    _c('conv2d_s2_p1', 'Convolution', dict(kernel=(3, 3), stride=(2, 2), pad=(1, 1),
                                           num_filter=2),
       [('data', (2, 2, 6, 5)), (W, (2, 2, 3, 3)), (B, (2,))], conv_ref),
    _c('conv2d_rect_dilate', 'Convolution', dict(kernel=(2, 3), stride=(1, 2), pad=(1, 0),
                                                 dilate=(2, 1), num_filter=2),
       [('data', (1, 3, 6, 7)), (W, (2, 3, 2, 3)), (B, (2,))], conv_ref),
    _c('conv2d_group', 'Convolution', dict(kernel=(3, 3), num_filter=4, num_group=2),
       [('data', (2, 4, 5, 4)), (W, (4, 2, 3, 3)), (B, (4,))], conv_ref),
    _c('conv2d_depthwise', 'Convolution', dict(kernel=(3, 3), pad=(1, 1), num_filter=3,
                                               num_group=3, no_bias=True),
       [('data', (1, 3, 4, 4)), (W, (3, 1, 3, 3))], conv_ref),
    _c('conv2d_1x1', 'Convolution', dict(kernel=(1, 1), num_filter=5, no_bias=True),
       [('data', (2, 3, 4, 4)), (W, (5, 3, 1, 1))], conv_ref),
    _c('conv2d_1x1_group', 'Convolution', dict(kernel=(1, 1), num_filter=4, num_group=2),
       [('data', (2, 4, 3, 3)), (W, (4, 2, 1, 1)), (B, (4,))], conv_ref),
    _c('conv2d_1x1_stride', 'Convolution', dict(kernel=(1, 1), stride=(2, 2), num_filter=2),
       [('data', (1, 3, 5, 5)), (W, (2, 3, 1, 1)), (B, (2,))], conv_ref),
    _c('conv3d', 'Convolution', dict(kernel=(2, 3, 2), stride=(1, 2, 1), pad=(1, 1, 0),
                                     num_filter=2),
       [('data', (1, 2, 3, 5, 4)), (W, (2, 2, 2, 3, 2)), (B, (2,))], conv_ref),
    _c('conv2d_nhwc', 'Convolution', dict(kernel=(3, 2), pad=(1, 0), num_filter=3,
                                          num_group=1, layout='NHWC'),
       [('data', (2, 4, 5, 2)), (W, (3, 3, 2, 2)), (B, (3,))], nhwc(conv_ref)),
    _c('conv1d_nwc_group', 'Convolution', dict(kernel=(3,), num_filter=4, num_group=2,
                                               layout='NWC'),
       [('data', (2, 6, 4)), (W, (4, 3, 2)), (B, (4,))], nhwc(conv_ref)),
    _c('deconv2d', 'Deconvolution', dict(kernel=(3, 3), num_filter=2),
       [('data', (2, 3, 3, 3)), (W, (3, 2, 3, 3))], deconv_ref),
    _c('deconv2d_bias', 'Deconvolution', dict(kernel=(2, 2), num_filter=3, no_bias=False),
       [('data', (2, 2, 3, 3)), (W, (2, 3, 2, 2)), (B, (3,))], deconv_ref),
    _c('deconv2d_s2_p1_adj', 'Deconvolution', dict(kernel=(3, 3), stride=(2, 2), pad=(1, 1),
                                                   adj=(1, 1), num_filter=2),
       [('data', (1, 2, 3, 4)), (W, (2, 2, 3, 3))], deconv_ref),
    _c('deconv2d_group_dilate', 'Deconvolution', dict(kernel=(2, 3), dilate=(2, 1),
                                                      num_filter=4, num_group=2),
       [('data', (1, 4, 3, 3)), (W, (4, 2, 2, 3))], deconv_ref),
    _c('deconv2d_target', 'Deconvolution', dict(kernel=(4, 4), stride=(2, 2),
                                                target_shape=(8, 7), num_filter=2),
       [('data', (1, 2, 4, 4)), (W, (2, 2, 4, 4))], deconv_ref),
    _c('deconv1d', 'Deconvolution', dict(kernel=(3,), stride=(2,), num_filter=2,
                                         no_bias=False),
       [('data', (2, 3, 4)), (W, (3, 2, 3)), (B, (2,))], deconv_ref),
    _c('deconv3d', 'Deconvolution', dict(kernel=(2, 2, 2), stride=(2, 1, 1), num_filter=2),
       [('data', (1, 2, 2, 2, 3)), (W, (2, 2, 2, 2, 2))], deconv_ref),
    _c('deconv2d_nhwc', 'Deconvolution', dict(kernel=(2, 2), stride=(2, 2), num_filter=3,
                                              layout='NHWC'),
       [('data', (1, 3, 2, 2)), (W, (2, 2, 2, 3))], nhwc(deconv_ref)),
    _c('pool_max_k2s2', 'Pooling', dict(kernel=(2, 2), stride=(2, 2), pool_type='max'),
       [('data', (2, 3, 6, 5))], pool_ref),
    _c('pool_max_k3s2p1', 'Pooling', dict(kernel=(3, 3), stride=(2, 2), pad=(1, 1)),
       [('data', (1, 2, 7, 6))], pool_ref),
    _c('pool_avg_k3s2p1', 'Pooling', dict(kernel=(3, 3), stride=(2, 2), pad=(1, 1),
                                          pool_type='avg'),
       [('data', (2, 2, 7, 7))], pool_ref),
    _c('pool_avg_exclude_pad', 'Pooling', dict(kernel=(3, 3), stride=(2, 2), pad=(1, 1),
                                               pool_type='avg', count_include_pad=False),
       [('data', (2, 2, 6, 7))], pool_ref),
    _c('pool_sum_k2s1', 'Pooling', dict(kernel=(2, 2), pool_type='sum'),
       [('data', (1, 3, 4, 5))], pool_ref),
    _c('pool_max_full', 'Pooling', dict(kernel=(3, 3), stride=(2, 2),
                                        pooling_convention='full'),
       [('data', (1, 2, 6, 6))], pool_ref),
    _c('pool_avg_full', 'Pooling', dict(kernel=(2, 2), stride=(2, 2), pool_type='avg',
                                        pooling_convention='full'),
       [('data', (1, 2, 7, 6))], pool_ref),
    _c('pool_lp2', 'Pooling', dict(kernel=(2, 2), pool_type='lp', p_value=2),
       [('data', (1, 2, 4, 4))], pool_ref),
    _c('pool_lp1_stride', 'Pooling', dict(kernel=(2, 3), stride=(2, 1), pool_type='lp',
                                          p_value=1),
       [('data', (1, 2, 5, 4))], pool_ref),
    _c('pool_global_max', 'Pooling', dict(global_pool=True, pool_type='max'),
       [('data', (2, 3, 4, 5))], pool_ref),
    _c('pool_global_avg_kernel', 'Pooling', dict(global_pool=True, kernel=(1, 1),
                                                 pool_type='avg'),
       [('data', (2, 3, 3, 3))], pool_ref),
    _c('pool_global_sum_1d', 'Pooling', dict(global_pool=True, pool_type='sum'),
       [('data', (2, 3, 5))], pool_ref),
    _c('pool_global_lp2', 'Pooling', dict(global_pool=True, pool_type='lp', p_value=2),
       [('data', (1, 2, 3, 3))], pool_ref),
    _c('pool1d_max', 'Pooling', dict(kernel=(3,), stride=(2,)),
       [('data', (2, 3, 9))], pool_ref),
    _c('pool1d_max_same', 'Pooling', dict(kernel=(3,), stride=(2,), pooling_convention='same'),
       [('data', (2, 2, 8))], pool_ref),
    _c('pool3d_avg', 'Pooling', dict(kernel=(2, 2, 2), stride=(2, 2, 2), pool_type='avg'),
       [('data', (1, 2, 4, 4, 4))], pool_ref),
    _c('pool3d_max_pad', 'Pooling', dict(kernel=(2, 3, 2), pad=(1, 1, 0)),
       [('data', (1, 1, 3, 4, 3))], pool_ref),
    _c('pool_max_nhwc', 'Pooling', dict(kernel=(2, 2), stride=(2, 1), layout='NHWC'),
       [('data', (2, 4, 5, 3))], nhwc(pool_ref)),
    _c('pool_avg_nwc', 'Pooling', dict(kernel=(3,), pad=(1,), pool_type='avg', layout='NWC'),
       [('data', (2, 5, 3))], nhwc(pool_ref)),
    _c('upsampling_nearest_x2', 'UpSampling', dict(scale=2, sample_type='nearest'),
       [('arg0', (1, 2, 3, 3))], upsampling_ref),
    _c('upsampling_nearest_x3', 'UpSampling', dict(scale=3, sample_type='nearest'),
       [('arg0', (2, 1, 2, 2))], upsampling_ref),
    _c('upsampling_concat', 'UpSampling', dict(scale=2, sample_type='nearest'),
       [('arg0', (1, 2, 2, 2)), ('arg1', (1, 1, 4, 4)), ('arg2', (1, 1, 1, 2))],
       upsampling_ref),
    _c('upsampling_sum', 'UpSampling', dict(scale=2, sample_type='nearest',
                                            multi_input_mode='sum'),
       [('arg0', (1, 2, 2, 3)), ('arg1', (1, 2, 4, 6))], upsampling_ref),
    _c('upsampling_bilinear', 'UpSampling', dict(scale=2, sample_type='bilinear',
                                                 num_filter=2),
       [('data', (1, 2, 3, 3)), ('weight', (2, 1, 4, 4))], upsampling_ref),
    _c('upsampling_bilinear_x3', 'UpSampling', dict(scale=3, sample_type='bilinear',
                                                    num_filter=1),
       [('data', (1, 1, 2, 2)), ('weight', (1, 1, 5, 5))], upsampling_ref),
    _c('pad_constant', 'Pad', dict(mode='constant', constant_value=0.5,
                                   pad_width=(0, 0, 0, 0, 1, 1, 2, 2)),
       [('data', (1, 2, 3, 3))], pad_ref),
    _c('pad_edge', 'Pad', dict(mode='edge', pad_width=(0, 0, 0, 0, 1, 2, 3, 0)),
       [('data', (1, 2, 3, 3))], pad_ref),
    _c('pad_reflect', 'Pad', dict(mode='reflect', pad_width=(0, 0, 0, 0, 2, 1, 2, 1)),
       [('data', (1, 2, 3, 4))], pad_ref),
    _c('pad_reflect_5d', 'pad', dict(mode='reflect', pad_width=(0, 0, 0, 0, 1, 1, 0, 1, 1, 2)),
       [('data', (1, 1, 2, 3, 3))], pad_ref),
    _c('pad_edge_5d', 'Pad', dict(mode='edge', pad_width=(0, 0, 0, 0, 2, 0, 1, 1, 0, 1)),
       [('data', (1, 2, 2, 2, 2))], pad_ref),
    _c('embedding', 'Embedding', dict(input_dim=10, output_dim=4),
       [('data', (2, 3)), (W, (10, 4))], embedding_ref),
    _c('embedding_1d', 'Embedding', dict(input_dim=5, output_dim=3),
       [('data', (7,)), (W, (5, 3))], embedding_ref),
]
IDS = [c.id for c in CASES]
DTYPES = [np.float32, np.float64]
TOL = {np.float32: (1e-4, 1e-5), np.float64: (1e-10, 1e-12)}


# ----------------------------------------------------------------------------- harness
def params_for(case, dtype):
    """Embedding's weight dtype is a parameter (MXNet rejects a float64 weight otherwise)."""
    if case.op == 'Embedding':
        return dict(case.params, dtype=np.dtype(dtype).name)
    return case.params


def build(case, dtype=np.float32):
    """mx.sym.<op>(...) with the case's variables; 'op_*' arguments are auto-created."""
    fn = getattr(mx.sym, case.op)
    given = [n for n, _ in case.args if not n.startswith('op_')]
    params = params_for(case, dtype)
    with mx.name.NameManager():
        if case.op == 'UpSampling':
            return fn(*[mx.sym.var(n) for n in given], name='op', **params)
        return fn(name='op', **{n: mx.sym.var(n) for n in given}, **params)


def inputs(case, dtype, seed=0):
    rng = np.random.RandomState(seed)
    out = {}
    for name, shape in case.args:
        if case.op == 'Embedding' and name == 'data':
            out[name] = rng.randint(0, case.params['input_dim'], size=shape).astype(dtype)
        else:
            out[name] = rng.standard_normal(shape).astype(dtype)
    return out


def expected(case, arrays):
    ref_in = [arrays[n].astype(np.float64) for n, _ in case.args]
    return case.ref(ref_in, case.params)


@pytest.mark.parametrize('dtype', DTYPES, ids=['float32', 'float64'])
@pytest.mark.parametrize('case', CASES, ids=IDS)
def test_forward_matches_loop_reference(case, dtype):
    sym = build(case, dtype)
    assert sym.list_arguments() == [n for n, _ in case.args]
    arrays = inputs(case, dtype)
    rtol, atol = TOL[dtype]
    out = check_symbolic_forward(sym, arrays, [expected(case, arrays)], rtol=rtol, atol=atol,
                                 dtype=dtype)
    assert out[0].dtype == dtype


@pytest.mark.parametrize('case', CASES, ids=IDS)
def test_gradient_matches_finite_differences(case):
    sym = build(case, np.float64)
    arrays = inputs(case, np.float64, seed=1)
    nodes = [n for n, _ in case.args if not (case.op == 'Embedding' and n == 'data')]
    check_numeric_gradient(sym, arrays, grad_nodes=nodes, numeric_eps=1e-5, rtol=1e-5,
                           atol=1e-7, dtype=np.float64)


@pytest.mark.parametrize('case', CASES, ids=IDS)
def test_infer_shape_fills_parameters(case):
    sym = build(case)
    given = {n: s for n, s in case.args if not n.startswith('op_')}
    arg_shapes, out_shapes, aux_shapes = sym.infer_shape(**given)
    assert arg_shapes == [s for _, s in case.args]
    arrays = inputs(case, np.float64)
    assert out_shapes == [expected(case, arrays).shape]
    assert aux_shapes == []
    # nothing known: nothing inferred, and no error
    arg_shapes, out_shapes, _ = sym.infer_shape_partial()
    assert out_shapes == [None] or out_shapes == [()]


@pytest.mark.parametrize('case', CASES, ids=IDS)
def test_json_round_trip(case):
    assert_json_round_trip(build(case))


@pytest.mark.parametrize('case', CASES, ids=IDS)
def test_imperative_call_matches_reference(case):
    arrays = inputs(case, np.float32)
    nd_in = [mx.nd.array(arrays[n], dtype=np.float32) for n, _ in case.args]
    out = getattr(mx.nd, case.op)(*nd_in, **case.params)
    np.testing.assert_allclose(out.asnumpy(), expected(case, arrays), rtol=1e-4, atol=1e-5)


# ----------------------------------------------------------------------------- specifics
def test_max_pooling_has_a_hidden_workspace_output_like_mxnet_onednn():
    data = mx.sym.var('data')
    for params, rows in [(dict(kernel=(2, 2), pool_type='max'), [0, 1, 3]),
                         (dict(kernel=(2, 2), pool_type='avg'), [0, 1, 2]),
                         (dict(global_pool=True, pool_type='max'), [0, 1, 2]),
                         (dict(kernel=(2, 2), layout='NHWC'), [0, 1, 2])]:
        sym = mx.sym.Pooling(data, name='p', **params)
        assert sym.list_outputs() == ['p_output']
        assert json.loads(sym.tojson())['node_row_ptr'] == rows


def _data_grad(sym, x, head=None):
    """(output, gradient of data) through an executor, head gradient of ones by default."""
    xa = mx.nd.array(x, dtype=x.dtype)
    gx = mx.nd.zeros(x.shape, dtype=x.dtype)
    ex = sym.bind(mx.cpu(), args={'data': xa}, args_grad={'data': gx})
    out = ex.forward(is_train=True)[0]
    ex.backward([mx.nd.ones(out.shape, dtype=x.dtype) if head is None else head])
    return out.asnumpy(), gx.asnumpy()


def test_max_pooling_gradient_goes_to_first_maximum():
    sym = mx.sym.Pooling(mx.sym.var('data'), kernel=(2, 2), stride=(2, 2), pool_type='max')
    _, grad = _data_grad(sym, np.zeros((1, 1, 2, 4), dtype=np.float32))  # all ties
    assert grad.tolist() == [[[[1, 0, 1, 0], [0, 0, 0, 0]]]]
    sym = mx.sym.Pooling(mx.sym.var('data'), global_pool=True, pool_type='max')
    _, grad = _data_grad(sym, np.array([[[3, 1, 3]]], dtype=np.float32))
    assert grad.tolist() == [[[1, 0, 0]]]


def test_avg_pooling_full_convention_float32_gradient_quirk():
    """MXNet 1.9.1 (oneDNN) divides the overhanging windows' gradient by the whole kernel
    in float32 while its forward divides by the clipped window; float64 stays exact."""
    sym = mx.sym.Pooling(mx.sym.var('data'), kernel=(2, 2), stride=(2, 2), pool_type='avg',
                         pooling_convention='full')
    for dtype, corner in [(np.float32, 0.25), (np.float64, 1.0)]:
        out, grad = _data_grad(sym, np.ones((1, 1, 7, 7), dtype=dtype))
        assert out[0, 0, 3, 3] == 1.0
        assert grad[0, 0, 6, 6] == corner


def test_deconvolution_defaults_to_no_bias():
    sym = mx.sym.Deconvolution(mx.sym.var('data'), kernel=(2, 2), num_filter=3, name='d')
    assert sym.list_arguments() == ['data', 'd_weight']
    sym = mx.sym.Convolution(mx.sym.var('data'), kernel=(2, 2), num_filter=3, name='c')
    assert sym.list_arguments() == ['data', 'c_weight', 'c_bias']


def test_auto_created_weights_copy_op_attrs():
    sym = mx.sym.FullyConnected(mx.sym.var('data'), num_hidden=4, name='fc')
    nodes = json.loads(sym.tojson())['nodes']
    assert nodes[1]['name'] == 'fc_weight' and nodes[1]['attrs'] == {'num_hidden': '4'}


def test_embedding_clips_indices_and_gives_data_no_gradient():
    w = mx.nd.array(np.arange(12).reshape(4, 3))
    idx = mx.nd.array([-3, 0, 3, 9, 2.7])
    out = mx.nd.Embedding(idx, w, input_dim=4, output_dim=3)
    np.testing.assert_array_equal(out.asnumpy()[:, 0], [0, 0, 9, 9, 6])
    sym = mx.sym.Embedding(mx.sym.var('data'), input_dim=4, output_dim=3, name='e')
    ex = sym.bind(mx.cpu(), args={'data': idx, 'e_weight': w},
                  args_grad={'e_weight': mx.nd.zeros((4, 3))},
                  grad_req={'data': 'null', 'e_weight': 'write'})
    ex.forward(is_train=True)
    ex.backward([mx.nd.ones((5, 3))])
    np.testing.assert_array_equal(ex.grad_dict['e_weight'].asnumpy()[:, 0], [2, 0, 1, 2])


def test_embedding_dtype_param_sets_weight_and_output_dtype():
    sym = mx.sym.Embedding(mx.sym.var('data'), input_dim=4, output_dim=3, dtype='float64',
                           name='e')
    arg_types, out_types, _ = sym.infer_type(data=np.int32)
    assert [np.dtype(t) for t in arg_types] == [np.int32, np.float64]
    assert [np.dtype(t) for t in out_types] == [np.float64]


def test_convolution_writes_into_a_preallocated_output():
    """The executor's planned buffer is filled in place (no rebinding of outputs)."""
    sym = mx.sym.Convolution(mx.sym.var('data'), kernel=(3, 3), num_filter=2, name='c')
    ex = sym.simple_bind(mx.cpu(), data=(1, 1, 4, 4))
    buf = ex.outputs[0]
    for name, arr in ex.arg_dict.items():
        arr[:] = np.random.randn(*arr.shape)
    ex.forward()
    assert ex.outputs[0] is buf or np.shares_memory(ex.outputs[0]._data, buf._data)


# ----------------------------------------------------------------------------- errors
ERRORS = [
    ('fc_weight', lambda d: mx.sym.FullyConnected(d, num_hidden=4, name='fc'),
     dict(data=(3, 5), fc_weight=(4, 6)), ['FullyConnected', 'fc', '(3, 5)', '(4, 6)', '(4, 5)']),
    ('fc_bias', lambda d: mx.sym.FullyConnected(d, num_hidden=4, name='fc'),
     dict(data=(3, 5), fc_bias=(5,)), ['FullyConnected', 'fc', 'bias', '(5,)']),
    ('conv_ndim', lambda d: mx.sym.Convolution(d, kernel=(3, 3), num_filter=2, name='cv'),
     dict(data=(2, 3, 5)), ['Convolution', 'cv', '(2, 3, 5)', '4-D']),
    ('conv_group', lambda d: mx.sym.Convolution(d, kernel=(1, 1), num_filter=4, num_group=2,
                                                name='cv'),
     dict(data=(2, 3, 5, 5)), ['Convolution', 'cv', 'num_group=2', '(2, 3, 5, 5)']),
    ('conv_too_small', lambda d: mx.sym.Convolution(d, kernel=(3, 3), num_filter=2, name='cv'),
     dict(data=(1, 1, 2, 5)), ['Convolution', 'cv', 'exceeds', '(1, 1, 2, 5)']),
    ('conv_weight', lambda d: mx.sym.Convolution(d, kernel=(3, 3), num_filter=2, name='cv'),
     dict(data=(1, 3, 5, 5), cv_weight=(2, 2, 3, 3)),
     ['Convolution', 'cv', '(2, 2, 3, 3)', '(2, 3, 3, 3)']),
    ('conv_stride_len', lambda d: mx.sym.Convolution(d, kernel=(3, 3), stride=(1, 1, 1),
                                                     num_filter=2, name='cv'),
     dict(data=(1, 3, 5, 5)), ['Convolution', 'stride', '(1, 1, 1)']),
    ('deconv_target', lambda d: mx.sym.Deconvolution(d, kernel=(3, 3), target_shape=(20, 20),
                                                     num_filter=2, name='dc'),
     dict(data=(1, 3, 4, 4)), ['Deconvolution', 'dc', 'target_shape', '(20, 20)']),
    ('deconv_adj', lambda d: mx.sym.Deconvolution(d, kernel=(3, 3), adj=(1, 1),
                                                  num_filter=2, name='dc'),
     dict(data=(1, 3, 4, 4)), ['Deconvolution', 'adj', 'stride']),
    ('pool_big_kernel', lambda d: mx.sym.Pooling(d, kernel=(5, 5), name='pl'),
     dict(data=(1, 1, 3, 3)), ['Pooling', 'pl', 'exceeds']),
    ('pool_ndim', lambda d: mx.sym.Pooling(d, kernel=(2, 2), name='pl'),
     dict(data=(1, 1, 3, 3, 3)), ['Pooling', 'pl', 'kernel (2, 2)']),
    ('pool_lp', lambda d: mx.sym.Pooling(d, kernel=(2, 2), pool_type='lp', name='pl'),
     dict(data=(1, 1, 3, 3)), ['Pooling', 'pl', 'p_value']),
    ('pool_same_2d', lambda d: mx.sym.Pooling(d, kernel=(2, 2), pooling_convention='same',
                                              name='pl'),
     dict(data=(1, 1, 3, 3)), ['Pooling', 'pl', 'same']),
    ('upsampling_divide', lambda d: mx.sym.UpSampling(d, mx.sym.var('e'), scale=2,
                                                      sample_type='nearest', name='up'),
     dict(data=(1, 1, 3, 3), e=(1, 1, 4, 4)), ['UpSampling', 'up', '(1, 1, 4, 4)']),
    ('upsampling_sum_channels', lambda d: mx.sym.UpSampling(
        d, mx.sym.var('e'), scale=1, sample_type='nearest', multi_input_mode='sum', name='up'),
     dict(data=(1, 1, 3, 3), e=(1, 2, 3, 3)), ['UpSampling', 'up', 'sum']),
    ('pad_width', lambda d: mx.sym.Pad(d, mode='constant', pad_width=(0, 0, 1, 1), name='pd'),
     dict(data=(1, 1, 3, 3)), ['Pad', 'pd', 'pad_width', '(0, 0, 1, 1)']),
    ('pad_reflect', lambda d: mx.sym.Pad(d, mode='reflect', pad_width=(0, 0, 0, 0, 3, 3, 0, 0),
                                         name='pd'),
     dict(data=(1, 1, 3, 3)), ['Pad', 'pd', 'reflect', '(1, 1, 3, 3)']),
    ('embedding_weight', lambda d: mx.sym.Embedding(d, input_dim=5, output_dim=3, name='em'),
     dict(data=(2,), em_weight=(3, 5)), ['Embedding', 'em', '(3, 5)', '(5, 3)']),
]


@pytest.mark.parametrize('build_fn,shapes,words', [e[1:] for e in ERRORS],
                         ids=[e[0] for e in ERRORS])
def test_shape_errors_name_the_op_and_shapes(build_fn, shapes, words):
    sym = build_fn(mx.sym.var('data'))
    with pytest.raises(MXNetError) as info:
        sym.infer_shape(**shapes)
    for word in words:
        assert word in str(info.value), (word, str(info.value))


@pytest.mark.parametrize('call,words', [
    (lambda d: mx.sym.Convolution(d, kernel=(3, 3)), ['Convolution', 'num_filter']),
    (lambda d: mx.sym.Pooling(d, kernel=(2, 2), pool_type='maxx'),
     ['Pooling', 'pool_type', "did you mean 'max'"]),
    (lambda d: mx.sym.Convolution(d, kernel=(3, 3), num_filter=2, layout='NCHWX'),
     ['Convolution', 'layout']),
    (lambda d: mx.sym.FullyConnected(d, num_hiden=3), ['FullyConnected', 'num_hidden']),
    (lambda d: mx.sym.UpSampling(d, scale=2), ['UpSampling', 'sample_type']),
    (lambda d: mx.sym.Pad(d, mode='wrap', pad_width=(0, 0)), ['Pad', 'mode']),
], ids=['missing', 'enum', 'layout', 'typo', 'upsampling_type', 'pad_mode'])
def test_param_errors_name_the_op_and_param(call, words):
    with pytest.raises(MXNetError) as info:
        call(mx.sym.var('data'))
    for word in words:
        assert word in str(info.value), (word, str(info.value))


def test_imperative_shape_error_names_the_op():
    with pytest.raises(MXNetError) as info:
        mx.nd.FullyConnected(mx.nd.ones((2, 3)), mx.nd.ones((4, 5)), mx.nd.ones(4),
                             num_hidden=4)
    assert 'FullyConnected' in str(info.value) and '(4, 5)' in str(info.value)


# ----------------------------------------------------------------------------- golden
GOLDEN_PREFIXES = ('fc_', 'conv', 'deconv', 'pool', 'upsampling', 'pad_', 'embedding',
                   'flatten')


def test_golden_layer_cases(golden):
    """MXNet 1.9.1's recorded cases for these ops (also run one by one by test_golden_ops)."""
    from golden import case_ids, run_golden_case
    ids = [c for c in case_ids(golden) if c.startswith(GOLDEN_PREFIXES)]
    assert len(ids) >= 40
    for cid in ids:
        run_golden_case(golden, cid)
