"""The fused RNN operator: a table of modes x layers x directions x options, each run by
one harness against a plain NumPy reference (sample by sample, step by step, written
independently of the kernel), against central finite differences, through shape and
dtype inference (partial shapes), the JSON round trip, the imperative path, and errors.
MXNet's own outputs for four configurations are checked by tests/test_golden_ops.py."""
from collections import namedtuple

import numpy as np
import pytest

import mxlite as mx
from mxlite.base import MXNetError
from mxlite.ops.rnn import rnn_param_layout, rnn_param_size
from mxlite.test_utils import check_numeric_gradient

GATES = {'rnn_relu': 1, 'rnn_tanh': 1, 'lstm': 4, 'gru': 3}


# ----------------------------------------------------------------------------- reference
def _sig(x):
    return 1.0 / (1.0 + np.exp(-x))


def _split_params(mode, L, D, I, H, P, flat):
    """Per (layer, dir): dict of matrices, walking the packed vector independently."""
    G = GATES[mode]
    hout = P or H
    pos = 0
    out = {}

    def take(shape):
        nonlocal pos
        n = int(np.prod(shape))
        v = flat[pos:pos + n].reshape(shape)
        pos += n
        return v
    for layer in range(L):
        n_in = I if layer == 0 else D * hout
        for d in range(D):
            w = {'Wx': take((G * H, n_in)), 'Wh': take((G * H, hout))}
            if P:
                w['Wr'] = take((P, H))
            out[(layer, d)] = w
    for layer in range(L):
        for d in range(D):
            out[(layer, d)]['bx'] = take((G * H,))
            out[(layer, d)]['bh'] = take((G * H,))
    assert pos == flat.size
    return out


def _cell(mode, w, x, h, c, H, clip):
    """One step for one sample (vectors)."""
    a = w['Wx'] @ x + w['bx']
    r = w['Wh'] @ h + w['bh']
    if mode == 'rnn_tanh':
        return np.tanh(a + r), None
    if mode == 'rnn_relu':
        return np.maximum(a + r, 0), None
    if mode == 'gru':
        rg = _sig(a[:H] + r[:H])
        z = _sig(a[H:2 * H] + r[H:2 * H])
        n = np.tanh(a[2 * H:] + rg * r[2 * H:])
        return (1 - z) * n + z * h, None
    s = a + r
    i, f, g, o = _sig(s[:H]), _sig(s[H:2 * H]), np.tanh(s[2 * H:3 * H]), _sig(s[3 * H:])
    c = f * c + i * g
    if clip is not None:
        c = np.clip(c, clip[0], clip[1])
    h = o * np.tanh(c)
    if 'Wr' in w:
        h = w['Wr'] @ h
    return h, c


def rnn_reference(case, x, flat, h0, c0, lengths=None):
    T, N, I = x.shape
    L, D, H, P = case.layers, 2 if case.bi else 1, case.H, case.proj
    hout = P or H
    W = _split_params(case.mode, L, D, I, H, P, flat)
    out = np.zeros((T, N, D * hout))
    hy, cy = np.zeros_like(h0), (np.zeros_like(c0) if c0 is not None else None)
    for n in range(N):
        tn = T if lengths is None else int(lengths[n])
        seq = [x[t, n] for t in range(tn)]
        for layer in range(L):
            outs = []
            for d in range(D):
                k = layer * D + d
                h, c = h0[k, n], (c0[k, n] if c0 is not None else None)
                steps = range(tn) if d == 0 else range(tn - 1, -1, -1)
                ys = [None] * tn
                for t in steps:
                    h, c = _cell(case.mode, W[(layer, d)], seq[t], h, c, H, case.clip)
                    ys[t] = h
                hy[k, n] = h
                if cy is not None:
                    cy[k, n] = c
                outs.append(ys)
            seq = [np.concatenate([o[t] for o in outs]) for t in range(tn)]
        for t in range(tn):
            out[t, n] = seq[t]
    return out, hy, cy


# ----------------------------------------------------------------------------- the table
Case = namedtuple('Case', 'mode layers bi H proj clip seq states T N I')
CASES = [
    Case('lstm', 1, False, 3, None, None, False, True, 4, 2, 3),
    Case('lstm', 2, True, 2, None, None, False, True, 3, 2, 3),
    Case('gru', 2, False, 3, None, None, False, False, 4, 2, 2),
    Case('gru', 1, True, 2, None, None, True, True, 4, 3, 2),
    Case('rnn_tanh', 2, True, 2, None, None, False, True, 3, 2, 3),
    Case('rnn_relu', 1, False, 3, None, None, True, True, 4, 3, 2),
    Case('lstm', 2, True, 3, 2, None, False, True, 3, 2, 2),        # LSTMP
    Case('lstm', 1, False, 3, None, (-0.4, 0.4), False, True, 4, 2, 2),
    Case('lstm', 2, True, 2, None, None, True, False, 4, 3, 2),
]


def _ids(c):
    return '%s-L%d%s%s%s%s%s' % (c.mode, c.layers, '-bi' if c.bi else '',
                                 '-proj%d' % c.proj if c.proj else '',
                                 '-clip' if c.clip else '', '-seqlen' if c.seq else '',
                                 '-states' if c.states else '')


def _attrs(c):
    kw = dict(state_size=c.H, num_layers=c.layers, bidirectional=c.bi, mode=c.mode,
              state_outputs=c.states)
    if c.proj:
        kw['projection_size'] = c.proj
    if c.clip:
        kw['lstm_state_clip_min'], kw['lstm_state_clip_max'] = c.clip
    if c.seq:
        kw['use_sequence_length'] = True
    return kw


def _symbol(c):
    return mx.sym.RNN(data=mx.sym.var('data'), name='rnn', **_attrs(c))


def _inputs(c, dtype, seed=0):
    rng = np.random.RandomState(seed)
    D = 2 if c.bi else 1
    hout = c.proj or c.H
    loc = {'data': rng.randn(c.T, c.N, c.I),
           'rnn_parameters': rng.randn(rnn_param_size(c.mode, c.layers, c.I, c.H, c.bi,
                                                      c.proj)) * 0.6,
           'rnn_state': rng.randn(c.layers * D, c.N, hout) * 0.5}
    if c.mode == 'lstm':
        loc['rnn_state_cell'] = rng.randn(c.layers * D, c.N, c.H) * 0.5
    loc = {k: v.astype(dtype) for k, v in loc.items()}
    if c.seq:
        loc['rnn_sequence_length'] = np.array([c.T, 1, c.T - 1][:c.N], dtype=dtype)
    return loc


@pytest.mark.parametrize('dtype', [np.float32, np.float64])
@pytest.mark.parametrize('case', CASES, ids=_ids)
def test_forward_matches_reference(case, dtype):
    sym = _symbol(case)
    loc = _inputs(case, dtype)
    ex = sym.bind(mx.cpu(), {k: mx.nd.array(v, dtype=dtype) for k, v in loc.items()},
                  grad_req='null')
    outs = [o.asnumpy() for o in ex.forward(is_train=False)]
    want = rnn_reference(case, loc['data'].astype(np.float64),
                         loc['rnn_parameters'].astype(np.float64),
                         loc['rnn_state'].astype(np.float64),
                         loc['rnn_state_cell'].astype(np.float64) if case.mode == 'lstm'
                         else None, loc.get('rnn_sequence_length'))
    tol = 1e-5 if dtype == np.float32 else 1e-10
    assert len(outs) == len(sym.list_outputs())
    for got, exp in zip(outs, want):
        assert got.dtype == dtype
        np.testing.assert_allclose(got, exp, rtol=tol, atol=tol)
    # a training pass gives the same values (no dropout here)
    for got, again in zip(outs, ex.forward(is_train=True)):
        np.testing.assert_allclose(again.asnumpy(), got, rtol=0, atol=0)


@pytest.mark.parametrize('case', CASES, ids=_ids)
def test_gradient_matches_finite_differences(case):
    loc = _inputs(case, np.float64, seed=1)
    nodes = [k for k in loc if k != 'rnn_sequence_length']
    check_numeric_gradient(_symbol(case), loc, grad_nodes=nodes, dtype=np.float64,
                           numeric_eps=1e-6, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize('case', CASES, ids=_ids)
def test_shape_inference_fills_parameters_and_states(case):
    sym = _symbol(case)
    D = 2 if case.bi else 1
    hout = case.proj or case.H
    args, outs, aux = sym.infer_shape(data=(case.T, case.N, case.I))
    shapes = dict(zip(sym.list_arguments(), args))
    assert shapes['rnn_parameters'] == (rnn_param_size(case.mode, case.layers, case.I,
                                                       case.H, case.bi, case.proj),)
    assert shapes['rnn_state'] == (case.layers * D, case.N, hout)
    if case.mode == 'lstm':
        assert shapes['rnn_state_cell'] == (case.layers * D, case.N, case.H)
    if case.seq:
        assert shapes['rnn_sequence_length'] == (case.N,)
    want = [(case.T, case.N, D * hout)]
    if case.states:
        want.append((case.layers * D, case.N, hout))
        if case.mode == 'lstm':
            want.append((case.layers * D, case.N, case.H))
    assert outs == want and aux == []
    # without the data shape nothing is known; with it given as a partial pass, all is
    part_args, part_outs, _ = sym.infer_shape_partial()
    assert all(s == () for s in part_args)
    _, types, _ = sym.infer_type(data='float64')
    assert all(np.dtype(t) == np.float64 for t in types)


@pytest.mark.parametrize('case', CASES, ids=_ids)
def test_json_round_trip_and_names(case):
    sym = _symbol(case)
    assert mx.sym.load_json(sym.tojson()).tojson() == sym.tojson()
    names = ['data', 'rnn_parameters', 'rnn_state']
    if case.mode == 'lstm':
        names.append('rnn_state_cell')
    if case.seq:
        names.append('rnn_sequence_length')
    assert sym.list_arguments() == names
    outs = ['rnn_output']
    if case.states:
        outs += ['rnn_state_output'] + (['rnn_statecell_output'] if case.mode == 'lstm'
                                        else [])
    assert sym.list_outputs() == outs


def test_layout_matches_the_packed_order():
    lay = rnn_param_layout('lstm', 2, 5, 3, bidirectional=True)
    order = sorted(((sl.start, key, kind) for key, parts in lay.items()
                    for kind, (sl, _) in parts.items()))
    kinds = [(key, kind) for _, key, kind in order]
    assert kinds[:4] == [((0, 0), 'i2h_weight'), ((0, 0), 'h2h_weight'),
                         ((0, 1), 'i2h_weight'), ((0, 1), 'h2h_weight')]
    assert kinds[8] == ((0, 0), 'i2h_bias') and kinds[9] == ((0, 0), 'h2h_bias')
    assert lay[(1, 0)]['i2h_weight'][1] == (12, 6)
    # MXNet's size formula: (I + H + 2) * G*H*D + (L-1) * (D*H + H + 2) * G*H*D
    assert rnn_param_size('lstm', 2, 5, 3, True) == (5 + 3 + 2) * 24 + (6 + 3 + 2) * 24


def test_imperative_call_and_autograd():
    case = CASES[1]
    loc = _inputs(case, np.float32)
    arrs = {k: mx.nd.array(v) for k, v in loc.items()}
    out = mx.nd.RNN(arrs['data'], arrs['rnn_parameters'], arrs['rnn_state'],
                    arrs['rnn_state_cell'], **_attrs(case))
    assert isinstance(out, list) and len(out) == 3
    ex = _symbol(case).bind(mx.cpu(), arrs)
    np.testing.assert_allclose(out[0].asnumpy(), ex.forward()[0].asnumpy(), rtol=1e-6)
    x = arrs['data']
    x.attach_grad()
    with mx.autograd.record():
        y = mx.nd.RNN(x, arrs['rnn_parameters'], arrs['rnn_state'], arrs['rnn_state_cell'],
                      state_size=2, num_layers=2, bidirectional=True, mode='lstm')
    y.backward(mx.nd.ones(y.shape))
    assert x.grad.shape == x.shape and np.abs(x.grad.asnumpy()).sum() > 0


def test_dropout_between_layers():
    case = Case('gru', 3, False, 4, None, None, False, False, 5, 3, 3)
    sym = mx.sym.RNN(data=mx.sym.var('data'), name='rnn', p=0.5, **_attrs(case))
    plain = _symbol(case)
    loc = _inputs(case, np.float32)
    args = {k: mx.nd.array(v) for k, v in loc.items()}
    ex = sym.bind(mx.cpu(), args)
    ref = plain.bind(mx.cpu(), args).forward()[0].asnumpy()
    np.testing.assert_allclose(ex.forward(is_train=False)[0].asnumpy(), ref, rtol=1e-6)
    mx.random.seed(3)
    a = ex.forward(is_train=True)[0].asnumpy()
    mx.random.seed(3)
    b = ex.forward(is_train=True)[0].asnumpy()
    np.testing.assert_array_equal(a, b)
    assert np.abs(a - ref).max() > 1e-3
    # the gradient uses the same masks as the forward pass
    grads = {'data': mx.nd.zeros(loc['data'].shape)}
    exg = sym.bind(mx.cpu(), args, args_grad=grads, grad_req={'data': 'write'})
    exg.forward(is_train=True)
    exg.backward(mx.nd.ones((case.T, case.N, case.H)))
    assert np.isfinite(grads['data'].asnumpy()).all()


def test_sequence_length_pads_with_zeros_and_keeps_last_state():
    case = CASES[5]
    loc = _inputs(case, np.float64)
    ex = _symbol(case).bind(mx.cpu(), {k: mx.nd.array(v, dtype=np.float64)
                                       for k, v in loc.items()})
    out, hy = [o.asnumpy() for o in ex.forward()]
    assert np.all(out[1:, 1] == 0) and np.all(out[3:, 2] == 0)
    np.testing.assert_allclose(hy[0, 1], out[0, 1])
    np.testing.assert_allclose(hy[0, 2], out[2, 2])


@pytest.mark.parametrize('attrs, shapes, message', [
    (dict(mode='lstm', state_size=4, num_layers=1), {'data': (3, 2)}, 'must be 3-D'),
    (dict(mode='lstm', state_size=4, num_layers=1),
     {'data': (3, 2, 5), 'rnn_parameters': (10,)}, "'parameters' has shape (10,)"),
    (dict(mode='gru', state_size=4, num_layers=2),
     {'data': (3, 2, 5), 'rnn_state': (1, 2, 4)}, "'state' has shape (1, 2, 4)"),
    (dict(mode='gru', state_size=4, num_layers=1, projection_size=2), {'data': (3, 2, 5)},
     "projection_size is only supported with mode='lstm'"),
    (dict(mode='lstm', state_size=4, num_layers=1, lstm_state_clip_min=-1.0),
     {'data': (3, 2, 5)}, 'given together'),
])
def test_errors_name_the_op_and_the_mismatch(attrs, shapes, message):
    sym = mx.sym.RNN(data=mx.sym.var('data'), name='rnn', **attrs)
    with pytest.raises(MXNetError) as err:
        sym.infer_shape(**shapes)
    assert 'RNN' in str(err.value) and message in str(err.value)


def test_bad_params_are_rejected():
    with pytest.raises(MXNetError, match="mode"):
        mx.sym.RNN(data=mx.sym.var('data'), mode='lstn', state_size=2, num_layers=1)
    with pytest.raises(MXNetError, match="state_size"):
        mx.sym.RNN(data=mx.sym.var('data'), mode='lstm', num_layers=1)
