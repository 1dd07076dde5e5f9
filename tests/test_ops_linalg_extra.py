"""linalg potri, trmm, trsm, gelqf, syevd, extracttrian and maketrian: a table of cases
(op x params x batch shape) run by one harness in float32 and float64.

The references are plain per-matrix loops: explicit inverses and products for the
triangular ops (on A's triangle only: the inputs carry noise in the other triangle, which
the ops must ignore), a Householder LQ written out with LAPACK's sign rule for gelqf, and
numpy's eigh with MXNet's sign rule for syevd (checked against invariants too). Each case
is checked forward, backward (finite differences in float64, and float32 against float64),
through shape inference (full, partial, and backwards from the output), symbol JSON, the
imperative path and autograd; the error table checks that bad shapes, offsets, dtypes and
singular systems are reported with the op, the input and the shapes.
"""
import doctest
import itertools
import json
from collections import namedtuple

import numpy as np
import pytest

import mxlite as mx
from optest import assert_json_round_trip
from mxlite.base import MXNetError, ShapeError, TypeInferError
from mxlite.ops import linalg_extra as linalg_module
from mxlite.ops import registry
from mxlite.test_utils import check_numeric_gradient, check_symbolic_backward, \
    check_symbolic_forward

N, K = 3, 4          # triangular ops: A is N x N, B has K on its free axis


# ----------------------------------------------------------------------------- references
def _each(batch):
    """Index tuples of every matrix of a batch (one empty tuple when there is none)."""
    return list(np.ndindex(*batch)) if batch else [()]


def _tri(a, lower):
    return np.tril(a) if lower else np.triu(a)


def potri_ref(a, p):
    out = np.empty_like(a)
    for i in _each(a.shape[:-2]):
        t = _tri(a[i], p.get('lower', True))
        out[i] = np.linalg.inv(t @ t.T if p.get('lower', True) else t.T @ t)
    return [out]


def _op_a(a, p):
    t = _tri(a, p.get('lower', True))
    return t.T if p.get('transpose', False) else t


def trmm_ref(a, b, p):
    out = np.empty_like(b)
    for i in _each(a.shape[:-2]):
        t = _op_a(a[i], p)
        out[i] = p.get('alpha', 1.0) * (b[i] @ t if p.get('rightside') else t @ b[i])
    return [out]


def trsm_ref(a, b, p):
    out = np.empty_like(b)
    for i in _each(a.shape[:-2]):
        inv = np.linalg.inv(_op_a(a[i], p))
        rhs = p.get('alpha', 1.0) * b[i]
        out[i] = rhs @ inv if p.get('rightside') else inv @ rhs
    return [out]


def _householder_lq(a):
    """LQ of one m x n matrix (m <= n) by Householder reflections from the right, with
    LAPACK's dlarfg rule: the new diagonal entry is -sign(alpha) * norm, and a row already
    reduced is left alone."""
    m, n = a.shape
    r = a.astype(np.float64).copy()
    q = np.eye(n)
    for i in range(m):
        x = r[i, i:].copy()
        if not np.any(x[1:]):
            continue
        beta = -np.copysign(np.linalg.norm(x), x[0])
        v = x
        v[0] -= beta
        h = np.eye(n)
        h[i:, i:] -= 2.0 * np.outer(v, v) / (v @ v)
        r = r @ h
        q = h @ q
    return np.tril(r[:, :m]), q[:m]


def gelqf_ref(a, p):
    qs, ls = np.empty_like(a), np.empty(a.shape[:-1] + (a.shape[-2],), a.dtype)
    for i in _each(a.shape[:-2]):
        ls[i], qs[i] = _householder_lq(a[i])
    return [qs, ls]


def syevd_ref(a, p):
    us, ls = np.empty_like(a), np.empty(a.shape[:-1], a.dtype)
    for i in _each(a.shape[:-2]):
        w, v = np.linalg.eigh(a[i].astype(np.float64))
        u = v.T
        for row in u:
            if row[np.argmax(np.abs(row))] < 0:
                row *= -1
        us[i], ls[i] = u, w
    return [us, ls]


def _trian_positions(n, offset, lower):
    """(i, j) of the triangle in MXNet's storage order, by enumeration: a lower triangle
    row by row, an upper one column by column."""
    k = abs(offset)
    if offset < 0 or (offset == 0 and lower):
        return [(i, j) for i in range(n) for j in range(n) if i - j >= k]
    return [(i, j) for j in range(n) for i in range(n) if j - i >= k]


def extracttrian_ref(a, p):
    pos = _trian_positions(a.shape[-1], p.get('offset', 0), p.get('lower', True))
    out = np.empty(a.shape[:-2] + (len(pos),), a.dtype)
    for i in _each(a.shape[:-2]):
        out[i] = [a[i][r, c] for r, c in pos]
    return [out]


def maketrian_ref(a, p):
    t = a.shape[-1]
    m = int(round((np.sqrt(8 * t + 1) - 1) / 2))
    n = m + abs(p.get('offset', 0))
    pos = _trian_positions(n, p.get('offset', 0), p.get('lower', True))
    out = np.zeros(a.shape[:-1] + (n, n), a.dtype)
    for i in _each(a.shape[:-1]):
        for v, (r, c) in zip(a[i], pos):
            out[i][r, c] = v
    return [out]


REFS = {'potri': potri_ref, 'trmm': trmm_ref, 'trsm': trsm_ref, 'gelqf': gelqf_ref,
        'syevd': syevd_ref, 'extracttrian': extracttrian_ref, 'maketrian': maketrian_ref}


# ----------------------------------------------------------------------------- inputs
def _noisy_triangular(rng, batch, n, lower, diag_low=1.5):
    """Well-conditioned triangular matrices, with noise in the triangle the ops ignore."""
    a = rng.standard_normal(batch + (n, n)) * 0.5
    idx = np.arange(n)
    a[..., idx, idx] = diag_low + rng.random_sample(batch + (n,))
    noise = rng.standard_normal(batch + (n, n)) * 3.0
    return _tri(a, lower) + (np.triu(noise, 1) if lower else np.tril(noise, -1))


def make_inputs(case, dtype, seed=0):
    """{input name: array} for a case, well conditioned for its op."""
    rng = np.random.RandomState(seed)
    p, batch = case.params, case.batch
    if case.op == 'potri':
        a = _noisy_triangular(rng, batch, N, p.get('lower', True))
        out = {'A': a}
    elif case.op in ('trmm', 'trsm'):
        a = _noisy_triangular(rng, batch, N, p.get('lower', True))
        bshape = (K, N) if p.get('rightside') else (N, K)
        out = {'A': a, 'B': rng.standard_normal(batch + bshape)}
    elif case.op == 'gelqf':
        out = {'A': rng.standard_normal(batch + case.core)}
    elif case.op == 'syevd':
        n = case.core[0]
        q, _ = np.linalg.qr(rng.standard_normal(batch + (n, n)))
        lam = np.arange(n) * 1.5 - 2.0 + rng.random_sample(batch + (n,)) * 0.5
        a = np.matmul(q * lam[..., None, :], np.swapaxes(q, -1, -2))
        out = {'A': 0.5 * (a + np.swapaxes(a, -1, -2))}
    else:
        out = {'A': rng.standard_normal(batch + case.core)}
    return {k: v.astype(dtype) for k, v in out.items()}


def expected(case, a):
    args = [a[n] for n in ('A', 'B') if n in a]
    return [r.astype(args[0].dtype) for r in REFS[case.op](*args, case.params)]


# ----------------------------------------------------------------------------- the table
Case = namedtuple('Case', 'id op params core batch')
_TRI = [{}, dict(transpose=True), dict(rightside=True), dict(lower=False, alpha=2.5),
        dict(rightside=True, transpose=True, lower=False, alpha=-0.7)]
_TRIAN = [({}, 10), (dict(lower=False), 10), (dict(offset=1), 6), (dict(offset=-2), 3)]
BASE = ([('potri', {}, None), ('potri', dict(lower=False), None)] +
        [('trmm', p, None) for p in _TRI] + [('trsm', p, None) for p in _TRI] +
        [('gelqf', {}, (3, 5)), ('gelqf', {}, (4, 4)), ('syevd', {}, (4,)),
         ('syevd', {}, (1,))] +
        [('extracttrian', p, (4, 4)) for p, _ in _TRIAN] +
        [('maketrian', p, (t,)) for p, t in _TRIAN])
BATCHES = [(), (3,), (2, 2)]


def _case_id(op, params, core, batch):
    parts = [op] + ['%s=%s' % kv for kv in sorted(params.items())]
    if core is not None:
        parts.append('x'.join(map(str, core)))
    return '-'.join(parts) + '-b' + ('x'.join(map(str, batch)) or '0')


CASES = [Case(_case_id(op, p, core, b), op, p, core, b)
         for (op, p, core), b in itertools.product(BASE, BATCHES)]
IDS = [c.id for c in CASES]
DTYPES = [np.float32, np.float64]
TOL = {np.float32: dict(rtol=1e-4, atol=1e-5), np.float64: dict(rtol=1e-9, atol=1e-11)}


# ----------------------------------------------------------------------------- harness
def build(case, wrap=None):
    """mx.sym.linalg.<op>(A[, B]) named 'op'; `wrap` maps the A variable first."""
    fn = getattr(mx.sym.linalg, case.op)
    a = mx.sym.var('A')
    inputs = [wrap(a) if wrap else a] + ([mx.sym.var('B')] if case.op in ('trmm', 'trsm')
                                         else [])
    return fn(*inputs, name='op', **case.params)


def _symmetrised(case):
    """syevd's gradient is the symmetric one: differentiate it through (A + A^T) / 2."""
    if case.op != 'syevd':
        return build(case)
    nd = len(case.batch) + 2
    axes = tuple(range(nd - 2)) + (nd - 1, nd - 2)
    return build(case, lambda a: 0.5 * (a + mx.sym.transpose(a, axes=axes)))


def head_grads(case, a, seed=7):
    rng = np.random.RandomState(seed)
    return [rng.standard_normal(o.shape).astype(o.dtype) for o in expected(case, a)]


@pytest.mark.parametrize('dtype', DTYPES, ids=['float32', 'float64'])
@pytest.mark.parametrize('case', CASES, ids=IDS)
def test_forward_matches_loop_reference(case, dtype):
    a = make_inputs(case, dtype)
    outs = check_symbolic_forward(build(case), a, expected(case, a), dtype=dtype,
                                  **TOL[dtype])
    assert all(o.dtype == dtype for o in outs)


@pytest.mark.parametrize('case', CASES, ids=IDS)
def test_gradient_matches_finite_differences(case):
    a = make_inputs(case, np.float64, seed=1)
    check_numeric_gradient(_symmetrised(case), a, numeric_eps=1e-6, rtol=1e-5, atol=1e-7,
                           dtype=np.float64)


@pytest.mark.parametrize('case', CASES, ids=IDS)
def test_float32_backward_matches_float64(case):
    a64 = make_inputs(case, np.float64, seed=2)
    g64 = head_grads(case, a64)
    names = list(a64)
    ex = build(case).bind(mx.cpu(), args={k: mx.nd.array(v, dtype=np.float64)
                                          for k, v in a64.items()},
                          args_grad={k: mx.nd.zeros(v.shape, dtype=np.float64)
                                     for k, v in a64.items()})
    ex.forward(is_train=True)
    ex.backward([mx.nd.array(g, dtype=np.float64) for g in g64])
    want = {k: ex.grad_dict[k].asnumpy() for k in names}
    a32 = {k: v.astype(np.float32) for k, v in a64.items()}
    check_symbolic_backward(build(case), a32, [g.astype(np.float32) for g in g64], want,
                            rtol=2e-3, atol=2e-4, dtype=np.float32)


@pytest.mark.parametrize('case', CASES, ids=IDS)
def test_infer_shape_full_and_partial(case):
    sym = build(case)
    a = make_inputs(case, np.float64)
    outs = expected(case, a)
    names = list(a)
    assert sym.list_arguments() == names
    n_out = len(outs)
    assert sym.list_outputs() == (['op_output'] if n_out == 1 else
                                  ['op_output0', 'op_output1'])
    arg_shapes, out_shapes, aux_shapes = sym.infer_shape(**{k: v.shape for k, v in a.items()})
    assert arg_shapes == [a[n].shape for n in names]
    assert out_shapes == [o.shape for o in outs] and aux_shapes == []
    # nothing known: nothing inferred (() as MXNet writes unknown) and no error
    assert sym.infer_shape_partial()[1] == [()] * n_out
    if 'B' in a:
        # B alone gives A's shape and the output's
        arg_shapes, out_shapes, _ = sym.infer_shape_partial(B=a['B'].shape)
        assert arg_shapes == [a['A'].shape, a['B'].shape]
        assert out_shapes == [outs[0].shape]
        # A alone does not give the output
        assert sym.infer_shape_partial(A=a['A'].shape)[1] == [()]


BACKWARD_SHAPE_OPS = ('potri', 'trmm', 'trsm', 'gelqf', 'syevd')


@pytest.mark.parametrize('case', [c for c in CASES if c.op in BACKWARD_SHAPE_OPS],
                         ids=[c.id for c in CASES if c.op in BACKWARD_SHAPE_OPS])
def test_infer_shape_backwards_from_the_output(case):
    """As in MXNet: the first output's shape gives the inputs' shapes."""
    a = make_inputs(case, np.float64)
    out0 = expected(case, a)[0].shape
    sym = build(case)
    head = sym[0] if len(sym.list_outputs()) > 1 else sym
    arg_shapes, out_shapes, _ = (head + mx.sym.var('y')).infer_shape(y=out0)
    assert arg_shapes[:len(a)] == [v.shape for v in a.values()]
    assert out_shapes == [out0]


@pytest.mark.parametrize('case', CASES, ids=IDS)
def test_json_round_trip(case):
    sym = build(case)
    text = assert_json_round_trip(sym)
    node = json.loads(text)['nodes'][-1]
    assert node['op'] == '_linalg_' + case.op
    assert node.get('attrs', {}) == {k: str(v) for k, v in case.params.items()}


@pytest.mark.parametrize('case', CASES, ids=IDS)
def test_imperative_call_equals_symbolic_bind(case):
    a = make_inputs(case, np.float32)
    nd_in = [mx.nd.array(v) for v in a.values()]
    outs = getattr(mx.nd.linalg, case.op)(*nd_in, **case.params)
    outs = outs if isinstance(outs, (list, tuple)) else [outs]
    ex = build(case).bind(mx.cpu(), args={k: mx.nd.array(v) for k, v in a.items()})
    for got, want in zip(outs, ex.forward()):
        np.testing.assert_array_equal(got.asnumpy(), want.asnumpy())


@pytest.mark.parametrize('case', CASES[::3], ids=IDS[::3])
def test_autograd_gradient_equals_executor_gradient(case):
    a = make_inputs(case, np.float64, seed=3)
    g = head_grads(case, a)
    xs = {k: mx.nd.array(v, dtype=np.float64) for k, v in a.items()}
    for x in xs.values():
        x.attach_grad()
    with mx.autograd.record():
        outs = getattr(mx.nd.linalg, case.op)(*xs.values(), **case.params)
    outs = list(outs) if isinstance(outs, (list, tuple)) else [outs]
    mx.autograd.backward(outs, [mx.nd.array(h, dtype=np.float64) for h in g])
    ex = build(case).bind(mx.cpu(), args={k: mx.nd.array(v, dtype=np.float64)
                                          for k, v in a.items()},
                          args_grad={k: mx.nd.zeros(v.shape, dtype=np.float64)
                                     for k, v in a.items()})
    ex.forward(is_train=True)
    ex.backward([mx.nd.array(h, dtype=np.float64) for h in g])
    for k, x in xs.items():
        np.testing.assert_allclose(x.grad.asnumpy(), ex.grad_dict[k].asnumpy(), rtol=1e-12,
                                   atol=1e-12)


# ----------------------------------------------------------------------------- specifics
def test_parameters_defaults_and_names_are_mxnets():
    ops = registry.all_ops()
    tri = ['transpose', 'rightside', 'lower', 'alpha']
    assert list(ops['_linalg_trmm'].params) == tri
    assert list(ops['_linalg_trsm'].params) == tri
    p = ops['_linalg_trsm'].parse_params({})
    assert (p.transpose, p.rightside, p.lower, p.alpha) == (False, False, True, 1.0)
    assert list(ops['_linalg_potri'].params) == ['lower']
    assert ops['_linalg_potri'].parse_params({}).lower is True
    for name in ('_linalg_extracttrian', '_linalg_maketrian'):
        assert list(ops[name].params) == ['offset', 'lower']
        q = ops[name].parse_params({})
        assert (q.offset, q.lower) == (0, True)
    assert ops['_linalg_gelqf'].params == {} and ops['_linalg_syevd'].params == {}
    for name in ('potri', 'trmm', 'trsm', 'gelqf', 'extracttrian', 'maketrian'):
        assert ops['linalg_' + name] is ops['_linalg_' + name]
        assert hasattr(mx.nd, 'linalg_' + name) and hasattr(mx.sym, 'linalg_' + name)
    # MXNet registers syevd without the 'linalg_syevd' alias
    assert 'linalg_syevd' not in ops and not hasattr(mx.nd, 'linalg_syevd')
    assert mx.sym.linalg.trsm(mx.sym.var('a'), mx.sym.var('b')).list_arguments() == ['a', 'b']


def test_mxnet_documented_examples():
    """The values printed in MXNet's operator documentation."""
    a = mx.nd.array([[[1., 2., 3.], [4., 5., 6.]], [[7., 8., 9.], [10., 11., 12.]]],
                    dtype='float64')
    q, l_ = mx.nd.linalg.gelqf(a)
    np.testing.assert_allclose(q.asnumpy(), [[[-0.26726124, -0.53452248, -0.80178373],
                                              [0.87287156, 0.21821789, -0.43643578]],
                                             [[-0.50257071, -0.57436653, -0.64616234],
                                              [0.7620735, 0.05862104, -0.64483142]]],
                               atol=1e-7)
    np.testing.assert_allclose(l_.asnumpy(), [[[-3.74165739, 0.], [-8.55235974, 1.96396101]],
                                              [[-13.92838828, 0.],
                                               [-19.09768702, 0.52758934]]], atol=1e-7)
    u, lam = mx.nd.linalg.syevd(mx.nd.array([[[1., 2.], [2., 4.]], [[1., 2.], [2., 5.]]],
                                            dtype='float64'))
    np.testing.assert_allclose(u.asnumpy(), [[[0.89442719, -0.4472136],
                                              [0.4472136, 0.89442719]],
                                             [[0.92387953, -0.38268343],
                                              [0.38268343, 0.92387953]]], atol=1e-7)
    np.testing.assert_allclose(lam.asnumpy(), [[0., 5.], [0.17157288, 5.82842712]],
                               atol=1e-7)
    inv = mx.nd.linalg.potri(mx.nd.array([[[2., 0.], [0.5, 2.]], [[4., 0.], [1., 4.]]]))
    np.testing.assert_allclose(inv.asnumpy(), [[[0.265625, -0.0625], [-0.0625, 0.25]],
                                               [[0.06640625, -0.015625],
                                                [-0.015625, 0.0625]]], rtol=1e-6)
    a2 = mx.nd.array([[[1., 2.], [3., 4.]], [[5., 6.], [7., 8.]]])
    assert mx.nd.linalg.extracttrian(a2).asnumpy().tolist() == [[1, 3, 4], [5, 7, 8]]
    assert mx.nd.linalg.extracttrian(a2[0], lower=False).asnumpy().tolist() == [1, 2, 4]
    assert mx.nd.linalg.extracttrian(a2[0], offset=1).asnumpy().tolist() == [2]
    assert mx.nd.linalg.maketrian(mx.nd.array([1., 2., 3.]), offset=-1).asnumpy().tolist() \
        == [[0, 0, 0], [1, 0, 0], [2, 3, 0]]


def test_the_other_triangle_is_ignored_and_gets_no_gradient():
    rng = np.random.RandomState(5)
    for op, lower in itertools.product(('potri', 'trmm', 'trsm'), (True, False)):
        a = _noisy_triangular(rng, (2,), N, lower)
        clean = _tri(a, lower)
        extra = [mx.nd.array(rng.standard_normal((2, N, K)), dtype='float64')] \
            if op != 'potri' else []
        fn = getattr(mx.nd.linalg, op)
        outs = []
        for x in (a, clean):
            xa = mx.nd.array(x, dtype='float64')
            xa.attach_grad()
            with mx.autograd.record():
                y = fn(xa, *extra, lower=lower)
            y.backward(mx.nd.ones(y.shape, dtype='float64'))
            outs.append((y.asnumpy(), xa.grad.asnumpy()))
        np.testing.assert_array_equal(outs[0][0], outs[1][0])
        np.testing.assert_array_equal(outs[0][1], outs[1][1])
        other = np.triu(outs[0][1], 1) if lower else np.tril(outs[0][1], -1)
        assert not other.any(), (op, lower)


def test_trsm_undoes_trmm_and_potri_inverts_through_potrf():
    rng = np.random.RandomState(6)
    a = mx.nd.array(_noisy_triangular(rng, (2,), N, True), dtype='float64')
    for p in _TRI:
        b = mx.nd.array(rng.standard_normal((2, K, N) if p.get('rightside') else (2, N, K)),
                        dtype='float64')
        alpha = p.get('alpha', 1.0)
        c = mx.nd.linalg.trmm(a, b, **p)
        back = mx.nd.linalg.trsm(a, c, **dict(p, alpha=1.0 / alpha))
        np.testing.assert_allclose(back.asnumpy(), b.asnumpy(), rtol=1e-10, atol=1e-12)
    m = rng.standard_normal((2, 4, 4))
    spd = mx.nd.array(m @ np.swapaxes(m, -1, -2) + 4 * np.eye(4), dtype='float64')
    inv = mx.nd.linalg.potri(mx.nd.linalg.potrf(spd))
    np.testing.assert_allclose(inv.asnumpy(), np.linalg.inv(spd.asnumpy()), rtol=1e-10,
                               atol=1e-12)
    assert np.array_equal(inv.asnumpy(), np.swapaxes(inv.asnumpy(), -1, -2))


def test_maketrian_inverts_extracttrian():
    a = np.random.RandomState(8).standard_normal((2, 3, 5, 5))
    for p in ({}, dict(lower=False), dict(offset=2), dict(offset=-1), dict(offset=-1,
                                                                           lower=False)):
        v = mx.nd.linalg.extracttrian(mx.nd.array(a), **p)
        back = mx.nd.linalg.maketrian(v, **p).asnumpy()
        k = p.get('offset', 0)
        keep = np.triu(a, k) if k > 0 or (k == 0 and not p.get('lower', True)) else \
            np.tril(a, k)
        np.testing.assert_allclose(back, keep, rtol=1e-6)


def test_factorizations_satisfy_their_definitions():
    rng = np.random.RandomState(9)
    a = rng.standard_normal((3, 4, 6))
    q, l_ = [o.asnumpy() for o in mx.nd.linalg.gelqf(mx.nd.array(a, dtype='float64'))]
    np.testing.assert_allclose(l_ @ q, a, atol=1e-12)
    np.testing.assert_allclose(q @ np.swapaxes(q, -1, -2), np.broadcast_to(np.eye(4),
                                                                          (3, 4, 4)), atol=1e-12)
    assert not np.triu(l_, 1).any()
    s = rng.standard_normal((3, 5, 5))
    s = s + np.swapaxes(s, -1, -2)
    u, lam = [o.asnumpy() for o in mx.nd.linalg.syevd(mx.nd.array(s, dtype='float64'))]
    np.testing.assert_allclose(u @ s, lam[..., :, None] * u, atol=1e-10)
    np.testing.assert_allclose(u @ np.swapaxes(u, -1, -2), np.broadcast_to(np.eye(5),
                                                                          (3, 5, 5)), atol=1e-12)
    assert (np.diff(lam, axis=-1) >= 0).all()
    biggest = np.take_along_axis(u, np.argmax(np.abs(u), axis=-1)[..., None], axis=-1)
    assert (biggest > 0).all()


def test_syevd_gradient_is_symmetric_and_reads_the_lower_triangle():
    rng = np.random.RandomState(10)
    s = make_inputs(Case('s', 'syevd', {}, (4,), (2,)), np.float64)['A']
    noisy = s + np.triu(rng.standard_normal(s.shape), 1)     # the upper triangle is unread
    outs = []
    for x in (s, noisy):
        xa = mx.nd.array(x, dtype='float64')
        xa.attach_grad()
        with mx.autograd.record():
            u, lam = mx.nd.linalg.syevd(xa)
        mx.autograd.backward([u, lam], [mx.nd.array(rng.standard_normal(u.shape),
                                                    dtype='float64'),
                                        mx.nd.array(rng.standard_normal(lam.shape),
                                                    dtype='float64')])
        outs.append((u.asnumpy(), xa.grad.asnumpy()))
    np.testing.assert_allclose(outs[0][0], outs[1][0], atol=1e-12)
    for _, grad in outs:
        np.testing.assert_allclose(grad, np.swapaxes(grad, -1, -2), atol=1e-12)


def test_only_one_output_used_gets_a_gradient():
    """A head gradient for just one output of gelqf/syevd (the other gets none)."""
    x = mx.sym.var('A')
    a = np.random.RandomState(11).standard_normal((2, 3, 5))
    for k in (0, 1):
        sym = mx.sym.sum(mx.sym.linalg.gelqf(x)[k])
        check_numeric_gradient(sym, {'A': a}, numeric_eps=1e-6, rtol=1e-5, atol=1e-7,
                               dtype=np.float64)


def test_docstring_examples_run():
    finder = doctest.DocTestFinder(exclude_empty=True)
    runner = doctest.DocTestRunner(optionflags=doctest.NORMALIZE_WHITESPACE)
    tests = [t for t in finder.find(linalg_module, globs={'mx': mx, 'np': np}) if t.examples]
    assert {t.name.split('.')[-1] for t in tests} >= {
        'LinalgPotri', 'LinalgTrmm', 'LinalgTrsm', 'LinalgGelqf', 'LinalgSyevd',
        'LinalgExtracttrian', 'LinalgMaketrian'}
    for t in tests:
        runner.run(t)
    assert runner.failures == 0


# ----------------------------------------------------------------------------- errors
def _nd(op, *shapes, dtype='float32', **params):
    def call():
        return getattr(mx.nd.linalg, op)(*[mx.nd.ones(s, dtype=dtype) for s in shapes],
                                         **params)
    return call


def _sym(op, **shapes):
    def call():
        args = [mx.sym.var(n) for n in ('A', 'B') if n in shapes]
        return getattr(mx.sym.linalg, op)(*args, name='t').infer_shape(**shapes)
    return call


def _singular():
    a = mx.nd.array([[1., 0.], [3., 0.]])
    return mx.nd.linalg.trsm(a, mx.nd.ones((2, 2)))


ERRORS = [
    ('potri_not_square', _nd('potri', (2, 3)),
     ShapeError, r"input 'A' has shape \(2, 3\); _linalg_potri needs square matrices"),
    ('potri_vector', _nd('potri', (3,)),
     ShapeError, r"input 'A' has shape \(3,\); _linalg_potri needs a tensor of matrices"),
    ('trmm_not_square', _nd('trmm', (2, 3), (2, 4)),
     ShapeError, r"input 'A' has shape \(2, 3\); _linalg_trmm needs square matrices"),
    ('trmm_rows', _nd('trmm', (3, 3), (2, 4)),
     ShapeError, r"_linalg_trmm: input 'A' has shape \(3, 3\) but input 'B' has shape "
                 r"\(2, 4\) \(rightside=False\): A's size 3 must equal B's row count 2"),
    ('trsm_columns', _nd('trsm', (3, 3), (3, 4), rightside=True),
     ShapeError, r"\(rightside=True\): A's size 3 must equal B's column count 4"),
    ('trsm_batch', _sym('trsm', A=(2, 3, 3), B=(4, 3, 1)),
     ShapeError, r"_linalg_trsm 't'.*input 'A' has shape \(2, 3, 3\) but input 'B' has "
                 r"shape \(4, 3, 1\); the batch dimensions"),
    ('trmm_b_vector', _nd('trmm', (3, 3), (3,)),
     ShapeError, r"input 'B' has shape \(3,\); _linalg_trmm needs a tensor of matrices"),
    ('gelqf_tall', _nd('gelqf', (5, 3)),
     ShapeError, r"input 'A' has shape \(5, 3\); _linalg_gelqf needs matrices with no more "
                 r"rows than columns \(5 > 3\)"),
    ('syevd_not_square', _sym('syevd', A=(2, 3, 4)),
     ShapeError, r"_linalg_syevd 't'.*input 'A' has shape \(2, 3, 4\); _linalg_syevd needs "
                 r"square matrices"),
    ('extracttrian_offset', _nd('extracttrian', (3, 3), offset=3),
     ShapeError, r"offset=3 is outside matrices of shape \(3, 3\); expected \|offset\| < 3"),
    ('extracttrian_not_square', _nd('extracttrian', (3, 4)),
     ShapeError, r"input 'A' has shape \(3, 4\); _linalg_extracttrian needs square"),
    ('maketrian_not_triangle', _nd('maketrian', (2, 4)),
     ShapeError, r"input 'A' has shape \(2, 4\); its last axis \(4\) must hold a triangle"),
    ('int_input', _nd('syevd', (2, 2), dtype='int32'),
     TypeInferError, r"input 'A' has dtype int32; _linalg_syevd supports float32 and float64"),
    ('float16_input', _nd('extracttrian', (2, 2), dtype='float16'),
     TypeInferError, r"dtype float16; _linalg_extracttrian supports float32 and float64"),
    ('singular', _singular,
     MXNetError, r"_linalg_trsm: A is singular"),
    ('unknown_param', _nd('potri', (2, 2), offset=1),
     MXNetError, r"_linalg_potri: unknown parameter 'offset'"),
    ('bad_bool', _nd('trmm', (2, 2), (2, 2), rightside='left'),
     MXNetError, r"invalid value 'left' for parameter 'rightside'"),
    ('bad_offset', _nd('maketrian', (3,), offset=1.5),
     MXNetError, r"invalid value 1.5 for parameter 'offset'"),
]


@pytest.mark.parametrize('call, exc, pattern', [e[1:] for e in ERRORS],
                         ids=[e[0] for e in ERRORS])
def test_errors_name_the_problem(call, exc, pattern):
    with pytest.raises(exc, match=pattern):
        call()


def test_singular_system_raises_at_executor_forward_naming_the_node():
    sym = mx.sym.linalg.trsm(mx.sym.var('A'), mx.sym.var('B'), name='solve')
    ex = sym.bind(mx.cpu(), args={'A': mx.nd.zeros((2, 2)), 'B': mx.nd.ones((2, 2))})
    with pytest.raises(MXNetError, match=r"solve.*A is singular"):
        ex.forward()
