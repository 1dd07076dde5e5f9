"""Sequence operators (SequenceMask, SequenceLast, SequenceReverse): a table of cases
(shapes x params x lengths) run by one harness in float32 and float64.

The kernels are vectorised over the batch; the references here are plain loops over batch
and time steps. Each case is checked forward, backward (against a loop reference and
against finite differences), through shape inference (full and partial), symbol JSON,
and the imperative path; the error table checks that bad lengths, shapes and axes are
reported with the op, the input and the shapes.
"""
import doctest
import json
from collections import namedtuple

import numpy as np
import pytest

import mxlite as mx
from optest import assert_json_round_trip
from mxlite.base import MXNetError
from mxlite.ops import registry
from mxlite.ops import sequence as sequence_module
from mxlite.test_utils import check_numeric_gradient, check_symbolic_backward, \
    check_symbolic_forward


# ----------------------------------------------------------------------------- references
def _time_first(x, axis):
    return x if axis == 0 else np.swapaxes(x, 0, 1)


def _lens(x, p, lengths):
    """Per-sequence lengths as ints (the full length when none are used)."""
    axis = p.get('axis', 0)
    if lengths is None:
        return [x.shape[axis]] * x.shape[1 - axis]
    return [int(v) for v in lengths]


def mask_ref(x, p, lengths):
    axis = p.get('axis', 0)
    out = x.copy()
    ot = _time_first(out, axis)
    for b, n in enumerate(_lens(x, p, lengths)):
        for t in range(n, ot.shape[0]):
            ot[t, b] = p.get('value', 0.0)
    return out


def last_ref(x, p, lengths):
    axis = p.get('axis', 0)
    xt = _time_first(x, axis)
    out = np.empty(xt.shape[1:], dtype=x.dtype)
    for b, n in enumerate(_lens(x, p, lengths)):
        out[b] = xt[n - 1, b]
    return out


def reverse_ref(x, p, lengths):
    out = x.copy()
    for b, n in enumerate(_lens(x, p, lengths)):
        for t in range(n):
            out[t, b] = x[n - 1 - t, b]
    return out


# gradients of data for a head gradient g (the ops are linear in data)
def mask_grad(x, g, p, lengths):
    return mask_ref(g, dict(p, value=0.0), lengths)


def last_grad(x, g, p, lengths):
    axis = p.get('axis', 0)
    grad = np.zeros_like(x)
    gt = _time_first(grad, axis)
    for b, n in enumerate(_lens(x, p, lengths)):
        gt[n - 1, b] = g[b]
    return grad


def reverse_grad(x, g, p, lengths):
    return reverse_ref(g, p, lengths)


REFS = {'SequenceMask': (mask_ref, mask_grad), 'SequenceLast': (last_ref, last_grad),
        'SequenceReverse': (reverse_ref, reverse_grad)}

# ----------------------------------------------------------------------------- the table
Case = namedtuple('Case', 'id op params shape lengths')
L = dict(use_sequence_length=True)

CASES = [
    Case('mask_identity', 'SequenceMask', {}, (4, 3, 2), None),
    Case('mask_lengths', 'SequenceMask', L, (4, 3, 2), [1, 4, 0]),
    Case('mask_value', 'SequenceMask', dict(L, value=-2.5), (4, 3), [2, 3, 4]),
    Case('mask_axis1', 'SequenceMask', dict(L, axis=1, value=7), (3, 5, 2), [5, 2, 3]),
    Case('mask_axis1_4d', 'SequenceMask', dict(L, axis=1), (2, 4, 2, 3), [1, 3]),
    Case('mask_fractional', 'SequenceMask', L, (4, 2, 2), [2.9, 1.2]),
    Case('mask_axis1_nolen', 'SequenceMask', dict(axis=1), (3, 4, 2), None),
    Case('last_full', 'SequenceLast', {}, (4, 3, 2), None),
    Case('last_full_axis1', 'SequenceLast', dict(axis=1), (3, 4, 2), None),
    Case('last_lengths', 'SequenceLast', L, (4, 3, 2), [1, 4, 2]),
    Case('last_2d', 'SequenceLast', L, (5, 3), [5, 1, 3]),
    Case('last_axis1', 'SequenceLast', dict(L, axis=1), (3, 4, 2), [4, 1, 2]),
    Case('last_axis1_4d', 'SequenceLast', dict(L, axis=1), (2, 3, 2, 2), [3, 2]),
    Case('last_fractional', 'SequenceLast', L, (4, 2), [1.5, 3.99]),
    Case('reverse_full', 'SequenceReverse', {}, (4, 3, 2), None),
    Case('reverse_lengths', 'SequenceReverse', L, (5, 4, 2), [5, 1, 0, 3]),
    Case('reverse_2d', 'SequenceReverse', L, (4, 3), [2, 4, 3]),
    Case('reverse_4d', 'SequenceReverse', L, (3, 2, 2, 2), [2, 3]),
]
IDS = [c.id for c in CASES]
DTYPES = [np.float32, np.float64]


# ----------------------------------------------------------------------------- harness
def build(case):
    """mx.sym.<op>(data[, sequence_length]) named 'op'."""
    fn = getattr(mx.sym, case.op)
    inputs = {'data': mx.sym.var('data')}
    if case.lengths is not None:
        inputs['sequence_length'] = mx.sym.var('sequence_length')
    return fn(name='op', **inputs, **case.params)


def arrays(case, dtype, seed=0):
    out = {'data': np.random.RandomState(seed).standard_normal(case.shape).astype(dtype)}
    if case.lengths is not None:
        out['sequence_length'] = np.array(case.lengths, dtype=dtype)
    return out


def expected(case, a):
    return REFS[case.op][0](a['data'], case.params, a.get('sequence_length'))


def head_grad(case, a, seed=3):
    shape = expected(case, a).shape
    return np.random.RandomState(seed).standard_normal(shape).astype(a['data'].dtype)


@pytest.mark.parametrize('dtype', DTYPES, ids=['float32', 'float64'])
@pytest.mark.parametrize('case', CASES, ids=IDS)
def test_forward_matches_loop_reference(case, dtype):
    sym = build(case)
    a = arrays(case, dtype)
    out = check_symbolic_forward(sym, a, [expected(case, a)], rtol=0, atol=0, dtype=dtype)
    assert out[0].dtype == dtype


@pytest.mark.parametrize('req', ['write', 'add'])
@pytest.mark.parametrize('dtype', DTYPES, ids=['float32', 'float64'])
@pytest.mark.parametrize('case', CASES, ids=IDS)
def test_backward_matches_loop_reference(case, dtype, req):
    sym = build(case)
    a = arrays(case, dtype)
    g = head_grad(case, a)
    want = {'data': REFS[case.op][1](a['data'], g, case.params, a.get('sequence_length'))}
    reqs = {'data': req}
    if case.lengths is not None:
        # the lengths get no gradient: their (zero-filled) gradient array stays untouched
        want['sequence_length'] = np.zeros(len(case.lengths), dtype=dtype)
        reqs['sequence_length'] = 'write'
    check_symbolic_backward(sym, a, [g], want, grad_req=reqs, rtol=0, atol=1e-6,
                            dtype=dtype)


@pytest.mark.parametrize('case', CASES, ids=IDS)
def test_gradient_matches_finite_differences(case):
    a = arrays(case, np.float64, seed=1)
    check_numeric_gradient(build(case), a, grad_nodes=['data'], numeric_eps=1e-5, rtol=1e-6,
                           atol=1e-8, dtype=np.float64)


@pytest.mark.parametrize('case', CASES, ids=IDS)
def test_infer_shape_full_and_partial(case):
    sym = build(case)
    out_shape = expected(case, arrays(case, np.float64)).shape
    names = ['data'] + (['sequence_length'] if case.lengths is not None else [])
    assert sym.list_arguments() == names
    assert sym.list_outputs() == ['op_output']
    # data alone fills in the lengths' shape (batch,)
    arg_shapes, out_shapes, aux_shapes = sym.infer_shape(data=case.shape)
    batch = case.shape[1 - case.params.get('axis', 0)]
    assert arg_shapes == [case.shape] + [(batch,)] * (len(names) - 1)
    assert out_shapes == [out_shape] and aux_shapes == []
    # nothing known, or only the lengths: nothing inferred (() as MXNet writes unknown)
    # and no error
    assert sym.infer_shape_partial()[1] == [()]
    if case.lengths is not None:
        arg_shapes, out_shapes, _ = sym.infer_shape_partial(sequence_length=(batch,))
        assert arg_shapes == [(), (batch,)] and out_shapes == [()]


@pytest.mark.parametrize('case', [c for c in CASES if c.op != 'SequenceLast'],
                         ids=[c.id for c in CASES if c.op != 'SequenceLast'])
def test_infer_shape_backwards_from_the_output(case):
    """Mask and Reverse keep the data's shape, so a known output gives the data's."""
    y = mx.sym.var('y')
    sym = build(case) + y
    arg_shapes, out_shapes, _ = sym.infer_shape(y=case.shape)
    assert arg_shapes[0] == case.shape and out_shapes == [case.shape]


@pytest.mark.parametrize('case', CASES, ids=IDS)
def test_json_round_trip(case):
    sym = build(case)
    text = assert_json_round_trip(sym)
    node = json.loads(text)['nodes'][-1]
    assert node['op'] == case.op
    assert node.get('attrs', {}) == {k: str(v) for k, v in case.params.items()}


@pytest.mark.parametrize('case', CASES, ids=IDS)
def test_imperative_call_equals_symbolic_bind(case):
    a = arrays(case, np.float32)
    nd_in = [mx.nd.array(a[n], dtype=np.float32) for n in build(case).list_arguments()]
    out = getattr(mx.nd, case.op)(*nd_in, **case.params).asnumpy()
    ex = build(case).bind(mx.cpu(), args={k: mx.nd.array(v) for k, v in a.items()})
    np.testing.assert_array_equal(out, ex.forward()[0].asnumpy())
    np.testing.assert_array_equal(out, expected(case, a))


@pytest.mark.parametrize('case', CASES, ids=IDS)
def test_autograd_gradient_equals_reference(case):
    a = arrays(case, np.float32)
    x = mx.nd.array(a['data'])
    x.attach_grad()
    extra = [] if case.lengths is None else [mx.nd.array(a['sequence_length'])]
    g = head_grad(case, a)
    with mx.autograd.record():
        y = getattr(mx.nd, case.op)(x, *extra, **case.params)
    y.backward(mx.nd.array(g))
    want = REFS[case.op][1](a['data'], g, case.params, a.get('sequence_length'))
    np.testing.assert_array_equal(x.grad.asnumpy(), want)


# ----------------------------------------------------------------------------- specifics
def test_parameters_and_defaults_are_mxnets():
    ops = registry.all_ops()
    assert list(ops['SequenceMask'].params) == ['use_sequence_length', 'value', 'axis']
    assert list(ops['SequenceLast'].params) == ['use_sequence_length', 'axis']
    assert list(ops['SequenceReverse'].params) == ['use_sequence_length', 'axis']
    p = ops['SequenceMask'].parse_params({})
    assert (p.use_sequence_length, p.value, p.axis) == (False, 0.0, 0)
    for name in ('SequenceMask', 'SequenceLast', 'SequenceReverse'):
        assert ops[name].nograd_inputs == (1,)
        assert ops[name].list_outputs(p) == ['output']


def test_auto_created_lengths_variable_and_attr_strings():
    sym = mx.sym.SequenceMask(mx.sym.var('x'), use_sequence_length=True, value=1, name='m')
    assert sym.list_arguments() == ['x', 'm_sequence_length']
    node = json.loads(sym.tojson())['nodes'][-1]
    assert node['attrs'] == {'use_sequence_length': 'True', 'value': '1'}
    # a JSON file with attribute strings as MXNet writes them loads and runs
    loaded = mx.sym.load_json(sym.tojson())
    ex = loaded.bind(mx.cpu(), args={'x': mx.nd.ones((3, 2)),
                                     'm_sequence_length': mx.nd.array([1, 2])})
    assert ex.forward()[0].asnumpy().tolist() == [[1, 1], [1, 1], [1, 1]]


def test_integer_lengths_and_integer_data():
    x = mx.nd.array(np.arange(6).reshape(3, 2), dtype=np.int32)
    lens = mx.nd.array([1, 3], dtype=np.int32)
    out = mx.nd.SequenceMask(x, lens, use_sequence_length=True, value=-1)
    assert out.dtype == np.int32
    assert out.asnumpy().tolist() == [[0, 1], [-1, 3], [-1, 5]]
    x64 = mx.nd.array(np.arange(6).reshape(3, 2), dtype=np.float64)
    out = mx.nd.SequenceLast(x64, lens, use_sequence_length=True)
    assert out.dtype == np.float64 and out.asnumpy().tolist() == [0.0, 5.0]


def test_infer_type_takes_any_lengths_dtype():
    sym = mx.sym.SequenceReverse(mx.sym.var('d'), mx.sym.var('l'), use_sequence_length=True)
    arg_types, out_types, _ = sym.infer_type(d=np.float64)
    assert [np.dtype(t) for t in arg_types] == [np.float64, np.float64]
    arg_types, out_types, _ = sym.infer_type(d=np.float16, l=np.int32)
    assert [np.dtype(t) for t in arg_types] == [np.float16, np.int32]
    assert [np.dtype(t) for t in out_types] == [np.float16]


def test_reverse_leaves_the_padding_in_place_and_is_its_own_inverse():
    x = np.arange(10, dtype=np.float32).reshape(5, 2)
    lens = mx.nd.array([3, 0])
    once = mx.nd.SequenceReverse(mx.nd.array(x), lens, use_sequence_length=True)
    assert once.asnumpy()[:, 0].tolist() == [4, 2, 0, 6, 8]
    assert once.asnumpy()[:, 1].tolist() == x[:, 1].tolist()
    twice = mx.nd.SequenceReverse(once, lens, use_sequence_length=True)
    np.testing.assert_array_equal(twice.asnumpy(), x)


def test_docstring_examples_run():
    finder = doctest.DocTestFinder(exclude_empty=True)
    runner = doctest.DocTestRunner(optionflags=doctest.NORMALIZE_WHITESPACE)
    tests = [t for t in finder.find(sequence_module, globs={'mx': mx, 'np': np}) if t.examples]
    assert {t.name.split('.')[-1] for t in tests} >= {'SequenceMask', 'SequenceLast',
                                                      'SequenceReverse'}
    for t in tests:
        runner.run(t)
    assert runner.failures == 0


# ----------------------------------------------------------------------------- errors
def _nd(op, shape, lengths=None, **params):
    def call():
        extra = [] if lengths is None else [mx.nd.array(lengths)]
        if extra:
            params.setdefault('use_sequence_length', True)
        return getattr(mx.nd, op)(mx.nd.ones(shape), *extra, **params)
    return call


def _sym(op, shapes, **params):
    def call():
        sym = getattr(mx.sym, op)(mx.sym.var('data'), mx.sym.var('len'), name='s', **params)
        return sym.infer_shape(**shapes)
    return call


ERRORS = [
    ('mask_too_long', _nd('SequenceMask', (3, 2), [1, 4]),
     MXNetError, r"SequenceMask: input 'sequence_length' holds 4 at batch index 1, outside "
                 r"\[0, 3\]: input 'data' of shape \(3, 2\) has 3 steps on axis 0"),
    ('last_too_long_axis1', _nd('SequenceLast', (2, 3), [3, 5], axis=1),
     MXNetError, r"SequenceLast: .*'sequence_length' holds 5 at batch index 1.*\(2, 3\) has "
                 r"3 steps on axis 1"),
    ('reverse_too_long', _nd('SequenceReverse', (2, 2, 1), [3, 1]),
     MXNetError, r"SequenceReverse: .*holds 3 .*\(2, 2, 1\) has 2 steps"),
    ('last_zero_length', _nd('SequenceLast', (3, 2), [0, 1]),
     MXNetError, r"SequenceLast: .*holds 0 at batch index 0, outside \[1, 3\].*at least one"),
    ('negative_length', _nd('SequenceMask', (3, 2), [2, -1]),
     MXNetError, r"SequenceMask: .*holds -1 at batch index 1, outside \[0, 3\]"),
    ('nan_length', _nd('SequenceMask', (3, 2), [np.nan, 1]),
     MXNetError, r"SequenceMask: input 'sequence_length' holds nan at batch index 0"),
    ('nd_lengths_shape', _nd('SequenceMask', (3, 2), [1, 2, 3]),
     MXNetError, r"SequenceMask: input 'sequence_length' has shape \(3,\) but input 'data' of "
                 r"shape \(3, 2\) has batch size 2 on axis 1; expected .* of shape \(2,\)"),
    ('sym_lengths_shape', _sym('SequenceLast', dict(data=(4, 3, 2), len=(4,)),
                               use_sequence_length=True),
     MXNetError, r"SequenceLast 's'.*'sequence_length' has shape \(4,\) but input 'data' of "
                 r"shape \(4, 3, 2\) has batch size 3"),
    ('sym_lengths_shape_axis1', _sym('SequenceMask', dict(data=(4, 3, 2), len=(3, 1)),
                                     use_sequence_length=True, axis=1),
     MXNetError, r"'sequence_length' has shape \(3, 1\) .*batch size 4 on axis 0"),
    ('data_1d', _nd('SequenceLast', (3,)),
     MXNetError, r"input 'data' has shape \(3,\); SequenceLast needs at least 2 dimensions"),
    ('reverse_axis1', _nd('SequenceReverse', (3, 2), axis=1),
     MXNetError, r"axis=1 is not supported: SequenceReverse supports axis=0 only"),
    ('mask_axis2', _nd('SequenceMask', (3, 2, 2), axis=2),
     MXNetError, r"axis=2 is not supported: SequenceMask supports axis=0 or axis=1 only"),
    ('last_axis_neg', _nd('SequenceLast', (3, 2), axis=-1),
     MXNetError, r"axis=-1 is not supported: SequenceLast"),
    ('bad_flag', _nd('SequenceMask', (3, 2), use_sequence_length='maybe'),
     MXNetError, r"invalid value 'maybe' for parameter 'use_sequence_length'"),
    ('unknown_param', _nd('SequenceLast', (3, 2), value=1.0),
     MXNetError, r"SequenceLast: unknown parameter 'value'"),
    ('lengths_without_flag', lambda: mx.nd.SequenceMask(mx.nd.ones((3, 2)),
                                                        mx.nd.array([1, 2])),
     MXNetError, r"SequenceMask: got 2 inputs but it takes 1 \(data\)"),
]


@pytest.mark.parametrize('call, exc, pattern', [e[1:] for e in ERRORS],
                         ids=[e[0] for e in ERRORS])
def test_errors_name_the_problem(call, exc, pattern):
    with pytest.raises(exc, match=pattern):
        call()


def test_bad_lengths_raise_at_executor_forward():
    sym = mx.sym.SequenceLast(mx.sym.var('data'), use_sequence_length=True, name='last')
    ex = sym.bind(mx.cpu(), args={'data': mx.nd.ones((3, 2)),
                                  'last_sequence_length': mx.nd.array([2, 9])})
    with pytest.raises(MXNetError, match=r"holds 9 at batch index 1, outside \[1, 3\]"):
        ex.forward()
