"""Crop and SVMOutput: tables of cases run by one harness in float32 and float64.

Crop is compared with a loop over output pixels and its gradient with finite differences
(crop_like included: its gradient is zero). SVMOutput's forward is the identity; its
gradient is compared with a per-element loop of MXNet's documented rule and with finite
differences of the SVM objective written out in NumPy, and shown to ignore the head
gradient.
"""
import doctest
import itertools
from collections import namedtuple

import numpy as np
import pytest

import mxlite as mx
from mxlite.base import MXNetError
from mxlite.ops import legacy_heads
from mxlite.test_utils import (check_numeric_gradient, check_symbolic_backward,
                               check_symbolic_forward)


# ----------------------------------------------------------------------------- Crop
def crop_ref(x, like_shape, params):
    n, c, H, W = x.shape
    h, w = like_shape[2:4] if like_shape is not None else params['h_w']
    if params.get('center_crop'):
        y0, x0 = (H - h) // 2, (W - w) // 2
    else:
        y0, x0 = params.get('offset', (0, 0))
    out = np.zeros((n, c, h, w), dtype=x.dtype)
    for i, j, a, b in itertools.product(range(n), range(c), range(h), range(w)):
        out[i, j, a, b] = x[i, j, y0 + a, x0 + b]
    return out


CropCase = namedtuple('CropCase', 'id data like params')
CROP_CASES = [
    CropCase('h_w_offset', (2, 3, 5, 6), None, dict(h_w=(3, 2), offset=(1, 4))),
    CropCase('h_w_origin', (1, 2, 4, 4), None, dict(h_w=(2, 3))),
    CropCase('h_w_center', (2, 1, 7, 6), None, dict(h_w=(4, 3), center_crop=True)),
    CropCase('like_offset', (2, 2, 6, 5), (1, 3, 4, 2), dict(offset=(2, 3))),
    CropCase('like_center_odd', (1, 3, 6, 7), (1, 1, 3, 4), dict(center_crop=True)),
    CropCase('like_same_size', (2, 2, 3, 3), (2, 5, 3, 3), {}),
    CropCase('h_w_full', (1, 1, 3, 4), None, dict(h_w=(3, 4))),
]
CROP_IDS = [c.id for c in CROP_CASES]
DTYPES = [np.float32, np.float64]


def crop_args(case):
    return ['arg0'] if case.like is None else ['arg0', 'arg1']


def crop_sym(case):
    with mx.name.NameManager():
        return mx.sym.Crop(*[mx.sym.var(n) for n in crop_args(case)], name='crop',
                           **case.params)


def crop_inputs(case, dtype, seed=0):
    rng = np.random.RandomState(seed)
    arrays = {'arg0': rng.standard_normal(case.data).astype(dtype)}
    if case.like is not None:
        arrays['arg1'] = rng.standard_normal(case.like).astype(dtype)
    return arrays


@pytest.mark.parametrize('dtype', DTYPES, ids=['float32', 'float64'])
@pytest.mark.parametrize('case', CROP_CASES, ids=CROP_IDS)
def test_crop_forward_matches_loop_reference(case, dtype):
    sym = crop_sym(case)
    assert sym.list_arguments() == crop_args(case)
    arrays = crop_inputs(case, dtype)
    want = crop_ref(arrays['arg0'], case.like, case.params)
    out = check_symbolic_forward(sym, arrays, [want], rtol=0, atol=0, dtype=dtype)
    assert out[0].dtype == dtype


@pytest.mark.parametrize('case', CROP_CASES, ids=CROP_IDS)
def test_crop_gradient_matches_finite_differences(case):
    check_numeric_gradient(crop_sym(case), crop_inputs(case, np.float64, seed=1),
                           grad_nodes=crop_args(case), numeric_eps=1e-6, rtol=1e-6,
                           atol=1e-9, dtype=np.float64)


@pytest.mark.parametrize('case', CROP_CASES, ids=CROP_IDS)
def test_crop_shape_json_and_imperative(case):
    sym = crop_sym(case)
    given = dict(arg0=case.data) if case.like is None else dict(arg0=case.data,
                                                                 arg1=case.like)
    arrays = crop_inputs(case, np.float32)
    want = crop_ref(arrays['arg0'], case.like, case.params)
    args, outs, aux = sym.infer_shape(**given)
    assert args == [case.data] + ([case.like] if case.like else []) and outs == [want.shape]
    text = sym.tojson()
    assert mx.sym.load_json(text).tojson() == text
    got = mx.nd.Crop(*[mx.nd.array(arrays[n]) for n in crop_args(case)], **case.params)
    np.testing.assert_array_equal(got.asnumpy(), want)


def test_crop_backward_pads_with_zeros_and_zeroes_crop_like():
    x = mx.nd.ones((1, 1, 4, 4))
    like = mx.nd.ones((1, 1, 2, 2))
    x.attach_grad()
    like.attach_grad()
    like.grad[:] = 7
    with mx.autograd.record():
        y = mx.nd.Crop(x, like, offset=(1, 1))
    y.backward(mx.nd.full((1, 1, 2, 2), 3.0))
    want = np.zeros((4, 4))
    want[1:3, 1:3] = 3
    np.testing.assert_array_equal(x.grad.asnumpy()[0, 0], want)
    assert not like.grad.asnumpy().any()
    # an executor's crop_like gradient array is overwritten with zeros too
    grads = {'a': mx.nd.zeros((1, 1, 4, 4)), 'b': mx.nd.full((1, 1, 2, 2), 7.0)}
    ex = mx.sym.Crop(mx.sym.var('a'), mx.sym.var('b'), offset=(1, 1)).bind(
        mx.cpu(), args={'a': x, 'b': like}, args_grad=grads)
    ex.forward(is_train=True)
    ex.backward([mx.nd.full((1, 1, 2, 2), 3.0)])
    np.testing.assert_array_equal(grads['a'].asnumpy()[0, 0], want)
    assert not grads['b'].asnumpy().any()


def test_crop_partial_shapes_and_num_args():
    a, b = mx.sym.var('a'), mx.sym.var('b')
    sym = mx.sym.Crop(a, b)
    assert sym.list_arguments() == ['a', 'b']
    assert '"num_args": "2"' in sym.tojson()
    _, outs, _ = sym.infer_shape_partial(a=(1, 2, 5, 5))
    assert outs == [()] or outs == [None]
    _, outs, _ = sym.infer_shape_partial(b=(1, 2, 3, 3))
    assert outs == [()] or outs == [None]


CROP_ERRORS = [
    ('data_3d', dict(h_w=(2, 2)), dict(arg0=(1, 4, 4)), ["'arg0'", '(1, 4, 4)', '4-D']),
    ('h_w_big', dict(h_w=(5, 2)), dict(arg0=(1, 1, 4, 4)), ['h_w=(5, 2)', '(1, 1, 4, 4)']),
    ('h_w_zero', {}, dict(arg0=(1, 1, 4, 4)), ['h_w=(0, 0)', '1 <= h <= 4']),
    ('offset_out', dict(h_w=(2, 2), offset=(3, 0)), dict(arg0=(1, 1, 4, 4)),
     ['offset=(3, 0)', '0 <= y <= 2']),
    ('like_big', {}, dict(arg0=(1, 1, 4, 4), arg1=(1, 1, 5, 2)),
     ["'arg1'", '(1, 1, 5, 2)', 'must fit']),
    ('like_2d', {}, dict(arg0=(1, 1, 4, 4), arg1=(5, 2)), ["'arg1'", '(5, 2)', '4 dim']),
]


@pytest.mark.parametrize('params,shapes,words', [e[1:] for e in CROP_ERRORS],
                         ids=[e[0] for e in CROP_ERRORS])
def test_crop_shape_errors_name_the_problem(params, shapes, words):
    sym = mx.sym.Crop(*[mx.sym.var(n) for n in sorted(shapes)], name='cr', **params)
    with pytest.raises(MXNetError) as info:
        sym.infer_shape(**shapes)
    for word in ['Crop', 'cr'] + words:
        assert word in str(info.value), (word, str(info.value))


def test_crop_num_args_must_be_one_or_two():
    ins = [mx.sym.var('a%d' % i) for i in range(3)]
    with pytest.raises(MXNetError, match='num_args=3'):
        mx.sym.Crop(*ins).infer_shape(a0=(1, 1, 4, 4), a1=(1, 1, 2, 2), a2=(1, 1, 2, 2))


# ----------------------------------------------------------------------------- SVMOutput
def svm_grad_ref(out, label, params):
    """MXNet's documented per-element rule, one element at a time."""
    margin = params.get('margin', 1.0)
    reg = params.get('regularization_coefficient', 1.0)
    linear = params.get('use_linear', False)
    o = out.reshape(-1, out.shape[-1])
    k = label.reshape(-1)
    g = np.zeros_like(o)
    for r, c in itertools.product(range(o.shape[0]), range(o.shape[1])):
        if c == int(k[r]):
            if margin > o[r, c]:
                g[r, c] = -reg if linear else -2 * reg * (margin - o[r, c])
        elif margin > -o[r, c]:
            g[r, c] = reg if linear else 2 * reg * (margin + o[r, c])
    return g.reshape(out.shape)


def svm_objective(x, label, params):
    """The SVM loss whose derivative SVMOutput's gradient is: sum of (squared) hinges."""
    margin = params.get('margin', 1.0)
    reg = params.get('regularization_coefficient', 1.0)
    x2 = x.reshape(-1, x.shape[-1])
    t = np.where(np.arange(x2.shape[1]) == label.reshape(-1, 1).astype(int), 1.0, -1.0)
    hinge = np.maximum(margin - t * x2, 0)
    return reg * (hinge if params.get('use_linear') else hinge ** 2).sum()


SvmCase = namedtuple('SvmCase', 'id data labels params')
SVM_CASES = [
    SvmCase('l2_default', (4, 3), [0, 2, 1, 1], {}),
    SvmCase('l1_linear', (4, 3), [2, 0, 1, 0], dict(use_linear=True)),
    SvmCase('l2_margin_reg', (3, 5), [4, 0, 2], dict(margin=0.5,
                                                     regularization_coefficient=2.5)),
    SvmCase('l1_margin_reg', (3, 4), [1, 3, 0], dict(margin=2.0, use_linear=True,
                                                     regularization_coefficient=0.3)),
    SvmCase('l2_3d', (2, 3, 4), [[0, 1, 3], [2, 2, 0]], {}),
    SvmCase('out_of_range_label', (2, 3), [5, -1], {}),
]
SVM_IDS = [c.id for c in SVM_CASES]


def svm_sym():
    return mx.sym.SVMOutput(mx.sym.var('data'), mx.sym.var('label'), name='svm')


def svm_inputs(case, dtype, seed=0):
    rng = np.random.RandomState(seed)
    return {'data': (rng.standard_normal(case.data) * 1.5).astype(dtype),
            'label': np.array(case.labels, dtype=dtype)}


def svm_case_sym(case):
    return mx.sym.SVMOutput(mx.sym.var('data'), mx.sym.var('label'), name='svm',
                            **case.params)


@pytest.mark.parametrize('dtype', DTYPES, ids=['float32', 'float64'])
@pytest.mark.parametrize('case', SVM_CASES, ids=SVM_IDS)
def test_svm_forward_is_identity_and_gradient_follows_the_rule(case, dtype):
    sym = svm_case_sym(case)
    arrays = svm_inputs(case, dtype)
    check_symbolic_forward(sym, arrays, [arrays['data']], rtol=0, atol=0, dtype=dtype)
    head = np.random.RandomState(5).standard_normal(case.data)    # ignored
    want = svm_grad_ref(arrays['data'].astype(np.float64), arrays['label'], case.params)
    tol = 1e-6 if dtype == np.float32 else 1e-12
    check_symbolic_backward(sym, arrays, [head], {'data': want}, rtol=tol, atol=tol,
                            dtype=dtype)


@pytest.mark.parametrize('case', SVM_CASES, ids=SVM_IDS)
def test_svm_gradient_is_the_derivative_of_the_svm_objective(case):
    arrays = svm_inputs(case, np.float64, seed=1)
    x, label = arrays['data'], arrays['label']
    numeric = np.zeros_like(x)
    eps = 1e-6
    for idx in np.ndindex(*x.shape):
        hi, lo = x.copy(), x.copy()
        hi[idx] += eps
        lo[idx] -= eps
        numeric[idx] = (svm_objective(hi, label, case.params) -
                        svm_objective(lo, label, case.params)) / (2 * eps)
    xa = mx.nd.array(x, dtype=np.float64)
    xa.attach_grad()
    with mx.autograd.record():
        y = mx.nd.SVMOutput(xa, mx.nd.array(label, dtype=np.float64), **case.params)
    y.backward()
    np.testing.assert_allclose(xa.grad.asnumpy(), numeric, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize('case', SVM_CASES, ids=SVM_IDS)
def test_svm_shape_json_and_imperative(case):
    sym = svm_case_sym(case)
    args, outs, _ = sym.infer_shape(data=case.data)
    assert args == [case.data, case.data[:-1]] and outs == [case.data]
    text = sym.tojson()
    assert mx.sym.load_json(text).tojson() == text
    arrays = svm_inputs(case, np.float32)
    got = mx.nd.SVMOutput(mx.nd.array(arrays['data']), mx.nd.array(arrays['label']),
                          **case.params)
    np.testing.assert_array_equal(got.asnumpy(), arrays['data'])


def test_svm_is_a_loss_head_and_label_gets_no_gradient():
    x = np.array([[0.5, -2.0, 0.2], [3.0, 0.0, -0.5]], dtype=np.float32)
    label = np.array([0, 1], dtype=np.float32)
    grads = {'data': mx.nd.zeros((2, 3)), 'label': mx.nd.full((2,), 9.0)}
    ex = svm_sym().bind(mx.cpu(), args={'data': mx.nd.array(x), 'label': mx.nd.array(label)},
                        args_grad=grads)
    ex.forward(is_train=True)
    ex.backward()                   # no head gradient needed
    np.testing.assert_allclose(grads['data'].asnumpy(), svm_grad_ref(x, label, {}))
    assert grads['label'].asnumpy().tolist() == [9.0, 9.0]


def test_svm_partial_shapes_and_types():
    sym = svm_sym()
    _, outs, _ = sym.infer_shape_partial(label=(4,))
    assert outs == [()] or outs == [None]
    args, outs, _ = sym.infer_type(data=np.float64)
    assert [np.dtype(t) for t in args + outs] == [np.float64] * 3
    args, _, _ = sym.infer_type(data=np.float32, label=np.int32)
    assert np.dtype(args[1]) == np.int32


def test_svm_errors_name_the_problem():
    with pytest.raises(MXNetError) as info:
        svm_sym().infer_shape(data=(4, 3), label=(4, 1))
    for word in ['SVMOutput', 'svm', "'label'", '(4, 1)', '(4, 3)', '(4,)']:
        assert word in str(info.value), (word, str(info.value))
    with pytest.raises(MXNetError, match="margin.*float"):
        mx.sym.SVMOutput(mx.sym.var('d'), mx.sym.var('l'), margin='wide')
    with pytest.raises(MXNetError, match="use_lienar.*did you mean 'use_linear'"):
        mx.sym.SVMOutput(mx.sym.var('d'), mx.sym.var('l'), use_lienar=True)


def test_docstring_examples_run():
    assert doctest.testmod(legacy_heads).failed == 0
