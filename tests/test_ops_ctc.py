"""CTCLoss (and its names ctc_loss, contrib.CTCLoss, contrib.ctc_loss): a table of cases
run by one harness in float32 and float64.

The reference enumerates every alignment (path of classes over the frames) of tiny
inputs, collapses it (merge repeats, drop blanks) and sums the probability of those that
spell the label, so it shares nothing with the kernel's forward-backward recursion. The
gradient is checked against central finite differences in float64, with a random head
gradient (CTCLoss scales its gradient by it, unlike the *Output heads).
"""
import doctest
import itertools
import json
from collections import namedtuple

import numpy as np
import pytest

import mxlite as mx
from optest import assert_json_round_trip
from mxlite.base import MXNetError
from mxlite.ops import ctc as ctc_module
from mxlite.test_utils import check_numeric_gradient, check_symbolic_forward


# ----------------------------------------------------------------------------- reference
def brute_force_ctc(x, labels, params, data_len=None, label_len=None):
    """-log p(label | x) per sample by enumerating all C**T paths (T, C tiny)."""
    T, N, C = x.shape
    first = params.get('blank_label', 'first') == 'first'
    blank, pad = (0, 0) if first else (C - 1, -1)
    e = np.exp(x - x.max(axis=2, keepdims=True))
    prob = e / e.sum(axis=2, keepdims=True)
    out = np.zeros(N)
    for n in range(N):
        row = [int(v) for v in labels[n]]
        if label_len is not None:
            target = row[:int(label_len[n])]
        else:
            target = row[:row.index(pad)] if pad in row else row
        t_n = T if data_len is None else int(data_len[n])
        total = 0.0
        for path in itertools.product(range(C), repeat=t_n):
            merged = [k for i, k in enumerate(path) if i == 0 or k != path[i - 1]]
            if [k for k in merged if k != blank] == target:
                total += np.prod([prob[t, n, k] for t, k in enumerate(path)])
        # a label that no path spells: MXNet's CPU kernel reports 0
        out[n] = -np.log(total) if total > 0 else 0.0
    return out


# ----------------------------------------------------------------------------- the table
Case = namedtuple('Case', 'id shape labels params data_len label_len')
CASES = [
    Case('first_padded', (4, 3, 4), [[1, 2, 0], [3, 0, 0], [1, 1, 0]], {}, None, None),
    Case('first_full_rows', (4, 2, 3), [[1, 2], [2, 2]], {}, None, None),
    Case('last_padded', (4, 2, 4), [[0, 1, -1], [2, 2, -1]],
         dict(blank_label='last'), None, None),
    Case('data_lengths', (4, 3, 3), [[1, 2], [2, 0], [1, 0]],
         dict(use_data_lengths=True), [4, 2, 3], None),
    Case('label_lengths', (4, 2, 4), [[3, 1, 0], [2, 2, 2]],
         dict(use_label_lengths=True), None, [2, 1]),
    Case('both_lengths_last', (5, 2, 3), [[1, 0, 1], [0, 1, -1]],
         dict(use_data_lengths=True, use_label_lengths=True, blank_label='last'),
         [3, 5], [1, 2]),
    Case('infeasible_and_empty', (2, 3, 3), [[1, 1], [0, 0], [2, 0]], {}, None, None),
    Case('zero_frames', (3, 2, 3), [[0, 0], [1, 0]], dict(use_data_lengths=True), [0, 0],
         None),
    Case('alias_ctc_loss', (3, 2, 3), [[1, 0], [2, 1]], {}, None, None),
]
IDS = [c.id for c in CASES]
DTYPES = [np.float32, np.float64]
OPS = {'alias_ctc_loss': 'ctc_loss'}


# ----------------------------------------------------------------------------- harness
def arg_names(case):
    names = ['data', 'label']
    if case.params.get('use_data_lengths'):
        names.append('data_lengths')
    if case.params.get('use_label_lengths'):
        names.append('label_lengths')
    return names


def build(case, fn=None):
    fn = fn or getattr(mx.sym, OPS.get(case.id, 'CTCLoss'))
    return fn(*[mx.sym.var(n) for n in arg_names(case)], name='ctc', **case.params)


def inputs(case, dtype, seed=0):
    rng = np.random.RandomState(seed)
    arrays = {'data': (rng.standard_normal(case.shape) * 1.5).astype(dtype),
              'label': np.array(case.labels, dtype=dtype)}
    if case.data_len is not None:
        arrays['data_lengths'] = np.array(case.data_len, dtype=dtype)
    if case.label_len is not None:
        arrays['label_lengths'] = np.array(case.label_len, dtype=dtype)
    return arrays


def expected(case, arrays):
    return brute_force_ctc(arrays['data'].astype(np.float64), arrays['label'], case.params,
                           case.data_len, case.label_len)


def nd_call(case, arrays, dtype=np.float32, fn=None):
    fn = fn or getattr(mx.nd, OPS.get(case.id, 'CTCLoss'))
    return fn(*[mx.nd.array(arrays[n], dtype=dtype) for n in arg_names(case)], **case.params)


@pytest.mark.parametrize('dtype', DTYPES, ids=['float32', 'float64'])
@pytest.mark.parametrize('case', CASES, ids=IDS)
def test_forward_matches_brute_force(case, dtype):
    sym = build(case)
    assert sym.list_arguments() == arg_names(case)
    arrays = inputs(case, dtype)
    rtol, atol = (1e-5, 1e-6) if dtype == np.float32 else (1e-10, 1e-12)
    out = check_symbolic_forward(sym, arrays, [expected(case, arrays)], rtol=rtol, atol=atol,
                                 dtype=dtype)
    assert out[0].dtype == dtype


@pytest.mark.parametrize('case', CASES, ids=IDS)
def test_gradient_matches_finite_differences(case):
    arrays = inputs(case, np.float64, seed=1)
    check_numeric_gradient(build(case), arrays, grad_nodes=['data'], numeric_eps=1e-6,
                           rtol=1e-5, atol=1e-8, dtype=np.float64)


@pytest.mark.parametrize('case', CASES, ids=IDS)
def test_imperative_matches_executor_and_autograd(case):
    arrays = inputs(case, np.float32, seed=2)
    head = np.random.RandomState(3).uniform(0.5, 2.0, case.shape[1]).astype(np.float32)
    ex = build(case).bind(mx.cpu(), args={k: mx.nd.array(v) for k, v in arrays.items()},
                          args_grad={'data': mx.nd.zeros(case.shape)},
                          grad_req={'data': 'write'})
    loss = ex.forward(is_train=True)[0].asnumpy()
    ex.backward([mx.nd.array(head)])
    np.testing.assert_allclose(nd_call(case, arrays).asnumpy(), loss, rtol=1e-6)
    x = mx.nd.array(arrays['data'])
    x.attach_grad()
    with mx.autograd.record():
        rest = [mx.nd.array(arrays[n]) for n in arg_names(case)[1:]]
        out = getattr(mx.nd, OPS.get(case.id, 'CTCLoss'))(x, *rest, **case.params)
    out.backward(mx.nd.array(head))
    np.testing.assert_allclose(out.asnumpy(), loss, rtol=1e-6)
    np.testing.assert_allclose(x.grad.asnumpy(), ex.grad_dict['data'].asnumpy(), rtol=1e-5,
                               atol=1e-7)


@pytest.mark.parametrize('case', CASES, ids=IDS)
def test_json_round_trip(case):
    assert_json_round_trip(build(case))


# ----------------------------------------------------------------------------- specifics
def test_gradient_is_softmax_minus_occupancy_and_zero_after_data_length():
    case = CASES[3]          # data_lengths [4, 2, 3]
    arrays = inputs(case, np.float64)
    ex = build(case).bind(mx.cpu(), args={k: mx.nd.array(v, dtype=np.float64)
                                          for k, v in arrays.items()},
                          args_grad={'data': mx.nd.zeros(case.shape, dtype=np.float64)},
                          grad_req={'data': 'write'})
    ex.forward(is_train=True)
    ex.backward([mx.nd.ones((3,), dtype=np.float64)])
    g = ex.grad_dict['data'].asnumpy()
    assert np.all(g[2:, 1] == 0) and np.all(g[3:, 2] == 0) and np.any(g[3, 0] != 0)
    # softmax rows sum to one and so does the occupancy of each live frame
    np.testing.assert_allclose(g[:2].sum(axis=2), 0, atol=1e-12)


def test_infeasible_label_reports_zero_loss_and_gradient():
    x = mx.nd.array(np.random.randn(2, 1, 3))
    x.attach_grad()
    with mx.autograd.record():
        loss = mx.nd.CTCLoss(x, mx.nd.array([[1, 1]]))      # needs 3 frames, has 2
    loss.backward()
    assert loss.asnumpy().tolist() == [0.0]
    assert not x.grad.asnumpy().any()


def test_names_outputs_and_hidden_gradient_output():
    data, label = mx.sym.var('data'), mx.sym.var('label')
    sym = mx.sym.CTCLoss(data, label, mx.sym.var('dl'), use_data_lengths=True, name='c')
    assert sym.list_arguments() == ['data', 'label', 'dl']
    assert sym.list_outputs() == ['c_output0']
    assert json.loads(sym.tojson())['node_row_ptr'][-1] == 5   # two outputs, one visible
    assert json.loads(sym.tojson())['nodes'][-1]['op'] == 'CTCLoss'
    auto = mx.sym.CTCLoss(data, label, use_label_lengths=True, name='c')
    assert auto.list_arguments() == ['data', 'label', 'c_label_lengths']
    assert mx.sym.ctc_loss(data, label).tojson().count('"CTCLoss"') == 1


def test_contrib_names_compute_the_same_loss():
    arrays = inputs(CASES[0], np.float32)
    want = nd_call(CASES[0], arrays).asnumpy()
    for fn in (mx.nd.contrib.CTCLoss, mx.nd.contrib.ctc_loss, mx.nd.ctc_loss):
        np.testing.assert_array_equal(nd_call(CASES[0], arrays, fn=fn).asnumpy(), want)
    sym = build(CASES[0], fn=mx.sym.contrib.ctc_loss)
    assert mx.sym.load_json(sym.tojson()).tojson() == sym.tojson()


def test_make_loss_wrapper_trains_without_head_gradient():
    case = CASES[0]
    arrays = inputs(case, np.float32)
    sym = mx.sym.MakeLoss(build(case))
    ex = sym.simple_bind(mx.cpu(), data=case.shape, label=(3, 3))
    ex.arg_dict['data'][:] = arrays['data']
    ex.arg_dict['label'][:] = arrays['label']
    ex.forward(is_train=True)
    ex.backward()
    plain = build(case).bind(mx.cpu(), args={k: mx.nd.array(v) for k, v in arrays.items()},
                             args_grad={'data': mx.nd.zeros(case.shape)},
                             grad_req={'data': 'write'})
    plain.forward(is_train=True)
    plain.backward([mx.nd.ones((3,))])
    np.testing.assert_allclose(ex.grad_dict['data'].asnumpy(),
                               plain.grad_dict['data'].asnumpy(), rtol=1e-6)


def test_infer_shape_and_type_from_partial_inputs():
    sym = mx.sym.CTCLoss(mx.sym.var('data'), mx.sym.var('label'), mx.sym.var('dl'),
                         mx.sym.var('ll'), use_data_lengths=True, use_label_lengths=True)
    args, outs, _ = sym.infer_shape(data=(6, 4, 5), label=(4, 3))
    assert args == [(6, 4, 5), (4, 3), (4,), (4,)] and outs == [(4,)]
    args, outs, _ = sym.infer_shape_partial(label=(4, 3))
    assert outs == [(4,)] and args[2] == (4,)
    args, outs, _ = sym.infer_shape_partial()
    assert outs == [()] or outs == [None]
    args, outs, _ = sym.infer_type(data=np.float64, label=np.int32)
    assert [np.dtype(t) for t in args] == [np.float64, np.int32, np.float64, np.float64]
    assert [np.dtype(t) for t in outs] == [np.float64]


def test_inference_forward_gives_the_loss():
    case = CASES[2]
    arrays = inputs(case, np.float32)
    np.testing.assert_allclose(nd_call(case, arrays).asnumpy(), expected(case, arrays),
                               rtol=1e-5)


def test_docstring_examples_run():
    assert doctest.testmod(ctc_module).failed == 0


# ----------------------------------------------------------------------------- errors
SHAPE_ERRORS = [
    ('data_2d', {}, dict(data=(4, 5), label=(4, 2)), ['CTCLoss', "'data'", '(4, 5)', '3']),
    ('label_3d', {}, dict(data=(4, 2, 5), label=(2, 2, 1)), ["'label'", '(2, 2, 1)']),
    ('batch', {}, dict(data=(4, 2, 5), label=(3, 2)), ["'label'", '(3, 2)', 'batch size']),
    ('label_too_long', {}, dict(data=(3, 2, 5), label=(2, 4)), ['(2, 4)', 'cannot exceed']),
    ('lengths_shape', dict(use_label_lengths=True),
     dict(data=(4, 2, 5), label=(2, 2), ll=(3,)), ["'label_lengths'", '(3,)']),
]


@pytest.mark.parametrize('params,shapes,words', [e[1:] for e in SHAPE_ERRORS],
                         ids=[e[0] for e in SHAPE_ERRORS])
def test_shape_errors_name_the_input_and_shapes(params, shapes, words):
    ins = [mx.sym.var('data'), mx.sym.var('label')] + ([mx.sym.var('ll')] if 'll' in shapes
                                                        else [])
    sym = mx.sym.CTCLoss(*ins, name='c', **params)
    with pytest.raises(MXNetError) as info:
        sym.infer_shape(**shapes)
    for word in words:
        assert word in str(info.value), (word, str(info.value))


@pytest.mark.parametrize('labels,params,extra,match', [
    ([[1, 7]], {}, [], r'label\[0, 1\] = 7 is not a class'),
    ([[-2, 1]], dict(blank_label='last'), [], r'label\[0, 0\] = -2'),
    ([[1, 2]], dict(use_data_lengths=True), [[5]], r'data_lengths\[0\] = 5 is outside'),
    ([[1, 2]], dict(use_label_lengths=True), [[3]], r'label_lengths\[0\] = 3 is outside'),
], ids=['class_range', 'negative_last', 'data_len', 'label_len'])
def test_runtime_value_errors(labels, params, extra, match):
    x = mx.nd.zeros((4, 1, 4))
    with pytest.raises(MXNetError, match=match):
        mx.nd.CTCLoss(x, mx.nd.array(labels), *[mx.nd.array(e[0:1]) for e in extra],
                      **params)


def test_param_and_input_count_errors():
    with pytest.raises(MXNetError, match="blank_label.*did you mean 'last'"):
        mx.sym.CTCLoss(mx.sym.var('d'), mx.sym.var('l'), blank_label='lst')
    with pytest.raises(MXNetError, match='takes 2'):
        mx.nd.CTCLoss(mx.nd.zeros((3, 1, 3)), mx.nd.zeros((1, 1)), mx.nd.ones((1,)))
