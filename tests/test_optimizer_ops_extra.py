"""AdamW, LAMB, preloaded multi-SGD, GroupAdaGrad and multi_lars update operators.

One table of single-weight cases (op x parameter variant x dtype) run by one harness: the
output (written with ``out=weight``) and every state, which must change in place, against
float64 NumPy references of the documented formulas. The fused/multi ops must equal N
single calls; a few multi-step results are pinned from MXNet 1.9.1 itself. Symbol bind
== imperative, JSON round trip, shape/type inference (partial too), errors, and the
Python LAMB/LARS optimizers against these kernels.
"""
import numpy as np
import pytest

import mxlite as mx
from mxlite.base import MXNetError, ShapeError, TypeInferError
from mxlite.test_utils import assert_almost_equal

I = mx.nd._internal


# ----------------------------------------------------------------------------- references
def _clip(x, c):
    return np.clip(x, -c, c) if c >= 0 else x


def _moments(g, m, v, b1, b2, scale, clip):
    G = _clip(scale * g, clip)
    return b1 * m + (1 - b1) * G, b2 * v + (1 - b2) * G * G


def r_adamw(w, g, st, p, scale):
    m, v = _moments(g, st[0], st[1], p['beta1'], p['beta2'], scale, p['clip_gradient'])
    new = w - p['eta'] * (p['lr'] * m / (np.sqrt(v) + p['epsilon']) + p['wd'] * w)
    return new, [m, v]


def r_lamb1(w, g, st, p):
    m, v = _moments(g, st[0], st[1], p['beta1'], p['beta2'], p['rescale_grad'],
                    p['clip_gradient'])
    mh, vh = m, v
    if p['bias_correction']:
        mh, vh = m / (1 - p['beta1'] ** p['t']), v / (1 - p['beta2'] ** p['t'])
    return mh / (np.sqrt(vh) + p['epsilon']) + p['wd'] * w, [m, v]


def r_lamb2(w, d, r1, r2, p):
    if p['lower_bound'] >= 0:
        r1 = max(r1, p['lower_bound'])
    if p['upper_bound'] >= 0:
        r1 = min(r1, p['upper_bound'])
    ratio = r1 / r2 if r1 != 0 and r2 != 0 else 1.0
    return w - p['lr'] * ratio * d


def r_group_adagrad(w, g, st, p):
    G = _clip(p['rescale_grad'] * g, p['clip_gradient'])
    h = st[0] + (G * G).mean(axis=1, keepdims=True)
    return w - p['lr'] * G / np.sqrt(h + p['epsilon']), [h]


def r_lars(lrs, ws, gs, wds, p):
    out = lrs.copy()
    for i in range(len(lrs)):        # a plain loop, unlike the kernel
        if ws[i] > 0 and gs[i] > 0:
            wn, gn = np.sqrt(ws[i]), np.sqrt(gs[i])
            out[i] = lrs[i] * p['eta'] * wn / (gn * p['rescale_grad'] + wds[i] * wn
                                               + p['eps'])
    return out


# ----------------------------------------------------------------------------- single table
ADAMW = dict(lr=0.1, beta1=0.9, beta2=0.999, epsilon=1e-8, wd=0.0, eta=1.0,
             clip_gradient=-1.0)
LAMB1 = dict(beta1=0.9, beta2=0.999, epsilon=1e-6, t=1, bias_correction=True, wd=0.0,
             rescale_grad=1.0, clip_gradient=-1.0)
VARIANTS = {
    '_adamw_update': {'plain': ({}, 1.0), 'wd': ({'wd': 0.1, 'eta': 0.5}, 1.0),
                      'rescale': ({}, -2.5), 'clip': ({'clip_gradient': 0.3}, 0.5),
                      'clip0': ({'clip_gradient': 0.0}, 1.0),
                      'all': ({'wd': 0.02, 'clip_gradient': 0.4, 'beta1': 0.5,
                               'beta2': 0.7, 'epsilon': 1e-3}, 3.0)},
    'lamb_update_phase1': {'plain': {}, 't3': {'t': 3, 'wd': 0.1},
                           'nobias': {'bias_correction': False, 'wd': 0.01},
                           'rescale': {'rescale_grad': -2.0, 't': 2},
                           'clip': {'clip_gradient': 0.2, 'rescale_grad': 0.5, 't': 5}},
    '_contrib_group_adagrad_update': {'plain': {}, 'clip': {'clip_gradient': 0.3},
                                      'rescale': {'rescale_grad': 0.5, 'epsilon': 0.1}},
}
CASES = [pytest.param(op, vid, dt, id='%s-%s-%s' % (op, vid, dt))
         for op in VARIANTS for vid in VARIANTS[op]
         for dt in ('float32', 'mp')
         if not (dt == 'mp' and op == '_contrib_group_adagrad_update')]


def _data(seed, shape=(3, 4), n_states=2):
    rng = np.random.RandomState(seed)
    w = rng.uniform(-1, 1, shape).astype(np.float32)
    g = rng.uniform(-1, 1, shape).astype(np.float32)
    st = [rng.uniform(-1, 1, shape).astype(np.float32),
          rng.uniform(0.5, 1.5, shape).astype(np.float32)][:n_states]
    return w, g, st


def _nd(a, dtype=None):
    return mx.nd.array(a, dtype=dtype or a.dtype)


def _run_single(op, vid, dt):
    """(output, updated states, expected output, expected states, the weight after)."""
    mp = dt == 'mp'
    if op == '_contrib_group_adagrad_update':
        w, g, _ = _data(1)
        st = [np.random.RandomState(2).uniform(0, 1, (3, 1)).astype(np.float32)]
        p = dict(lr=0.1, rescale_grad=1.0, clip_gradient=-1.0, epsilon=1e-5)
        p.update(VARIANTS[op][vid])
        ref = r_group_adagrad(w.astype(np.float64), g.astype(np.float64), st, p)
        weight, states = _nd(w), [_nd(s) for s in st]
        out = mx.nd.contrib.group_adagrad_update(weight, _nd(g), *states, out=weight, **p)
        return out, states, ref, w
    w, g, st = _data(0)
    if mp:                          # float16 weight and grad, float32 master copy
        w, g = w.astype(np.float16), g.astype(np.float16)
    w64, g64 = w.astype(np.float64), g.astype(np.float64)
    weight, states = _nd(w), [_nd(s) for s in st]
    w32 = [_nd(w.astype(np.float32))] if mp else []
    if op == '_adamw_update':
        kw, scale = VARIANTS[op][vid]
        p = dict(ADAMW, **kw)
        fn = I._mp_adamw_update if mp else I._adamw_update
        out = fn(weight, _nd(g), *states, *w32, mx.nd.array([scale]), out=weight, **p)
        ref = r_adamw(w64, g64, st, p, scale)
    else:
        p = dict(LAMB1, **VARIANTS[op][vid])
        fn = mx.nd.mp_lamb_update_phase1 if mp else mx.nd.lamb_update_phase1
        out = fn(weight, _nd(g), *states, *w32, **p)
        ref = r_lamb1(w64, g64, st, p)
    return out, states + w32, ref, w


@pytest.mark.parametrize('op, vid, dt', CASES)
def test_single_forward_and_in_place_states(op, vid, dt):
    out, states, (e_out, e_st), w = _run_single(op, vid, dt)
    mp = dt == 'mp'
    if op == 'lamb_update_phase1':   # the direction, float32 for mp; the weight untouched
        assert out.dtype == np.float32
        assert_almost_equal(out.asnumpy(), e_out, rtol=1e-5, atol=1e-5)
    else:
        tol = dict(rtol=2e-3, atol=2e-3) if mp else dict(rtol=1e-5, atol=1e-6)
        assert out.dtype == (np.float16 if mp else np.float32)
        assert_almost_equal(out.asnumpy(), e_out.astype(out.dtype), **tol)
        if mp:                       # the master copy holds the exact update
            assert_almost_equal(states[-1].asnumpy(), e_out, rtol=1e-5, atol=1e-6)
    for s, e in zip(states, e_st):
        assert_almost_equal(s.asnumpy(), e, rtol=1e-5, atol=1e-6)


def test_adamw_skips_on_bad_rescale():
    w, g, st = _data(3)
    for bad in (0.0, np.nan, np.inf):
        states = [_nd(s) for s in st]
        out = I._adamw_update(_nd(w), _nd(g), *states, mx.nd.array([bad]), lr=0.1, eta=1.)
        assert_almost_equal(out.asnumpy(), w, rtol=0, atol=0)     # the weight, unchanged
        for s, e in zip(states, st):
            assert_almost_equal(s.asnumpy(), e, rtol=0, atol=0)
        w16 = _nd(w.astype(np.float16))
        w32 = _nd(w)
        out = I._mp_adamw_update(w16, _nd(g.astype(np.float16)), *[_nd(s) for s in st],
                                 w32, mx.nd.array([bad]), lr=0.1, eta=1., out=w16)
        assert_almost_equal(w32.asnumpy(), w, rtol=0, atol=0)
        assert_almost_equal(out.asnumpy(), w.astype(np.float16), rtol=0, atol=0)


def test_lamb_phase2_table():
    w = np.array([[0.5, -1.0], [2.0, 0.25]], np.float32)
    d = np.array([[0.1, 0.3], [-0.2, 0.4]], np.float32)
    base = dict(lr=0.1, lower_bound=-1.0, upper_bound=-1.0)
    for r1, r2, kw in [(1.5, 2.0, {}), (1.5, 2.0, {'lower_bound': 2.0}),
                       (1.5, 2.0, {'upper_bound': 1.0}), (0.0, 2.0, {}), (1.5, 0.0, {}),
                       (0.0, 2.0, {'lower_bound': 0.5}), (1.5, 2.0, {'upper_bound': 0.0}),
                       (-1.5, 2.0, {})]:
        p = dict(base, **kw)
        e = r_lamb2(w.astype(np.float64), d.astype(np.float64), r1, r2, p)
        out = mx.nd.lamb_update_phase2(_nd(w), _nd(d), mx.nd.array([r1]), mx.nd.array([r2]),
                                       **p)
        assert_almost_equal(out.asnumpy(), e, rtol=1e-6, atol=1e-7)
        w16, w32 = _nd(w.astype(np.float16)), _nd(w)
        out = mx.nd.mp_lamb_update_phase2(w16, _nd(d), mx.nd.array([r1]),
                                          mx.nd.array([r2]), w32, out=w16, **p)
        assert out.dtype == np.float16
        assert_almost_equal(w32.asnumpy(), e, rtol=1e-6, atol=1e-7)
        assert_almost_equal(w16.asnumpy(), e.astype(np.float16), rtol=1e-3, atol=1e-3)


def test_multi_lars_table():
    rng = np.random.RandomState(1)
    lrs, ws, gs = (rng.uniform(0.1, 1, 6), rng.uniform(0, 4, 6), rng.uniform(0, 4, 6))
    wds = rng.uniform(0, 0.1, 6)
    ws[1], gs[2], ws[3] = 0.0, 0.0, -1.0
    for kw in ({'eta': 0.7, 'eps': 1e-3, 'rescale_grad': 0.5}, {'eta': 1.0, 'eps': 0.0},
               {'eta': 0.1, 'eps': 0.5, 'rescale_grad': -1.0}):
        p = dict({'rescale_grad': 1.0}, **kw)
        for dt in (np.float32, np.float64):
            arrs = [a.astype(dt) for a in (lrs, ws, gs, wds)]
            out = mx.nd.multi_lars(*[_nd(a) for a in arrs], **kw)
            assert out.dtype == dt
            assert_almost_equal(out.asnumpy(), r_lars(*[a.astype(np.float64) for a in arrs],
                                                      p), rtol=1e-5, atol=1e-7)


# ----------------------------------------------------------------------------- MXNet pins
W0 = np.array([0.5, -1.0, 0.25, 2.0], np.float32)
GS = [np.array([0.3, -0.2, 0.8, -1.5], np.float32),
      np.array([-0.1, 0.4, 0.6, 0.2], np.float32),
      np.array([1.0, -0.7, 0.05, 0.3], np.float32)]


def test_pinned_mxnet_adamw_three_steps():
    w, m, v = _nd(W0), mx.nd.zeros(4), mx.nd.zeros(4)
    for g in GS:
        I._adamw_update(w, _nd(g), m, v, mx.nd.array([0.5]), lr=0.1, eta=0.8, wd=0.05,
                        clip_gradient=0.3, beta1=0.8, beta2=0.9, out=w)
    assert_almost_equal(w.asnumpy(), [0.31900367, -0.83625162, 0.05230390, 1.83269346],
                        rtol=1e-5, atol=1e-6)
    assert_almost_equal(m.asnumpy(), [0.0712, -0.0408, 0.0914, 0.0076], rtol=1e-5,
                        atol=1e-6)
    assert_almost_equal(v.asnumpy(), [0.0110475, 0.01341, 0.0154525, 0.01044], rtol=1e-5,
                        atol=1e-7)
    w16, w32, m, v = _nd(W0.astype(np.float16)), _nd(W0), mx.nd.zeros(4), mx.nd.zeros(4)
    for g in GS:
        I._mp_adamw_update(w16, _nd(g.astype(np.float16)), m, v, w32, mx.nd.array([2.0]),
                           lr=0.05, eta=1.0, wd=0.1, out=w16)
    # MXNet keeps beta2 as float32: 1 - beta2 is 1.3e-5 off, sqrt(var) 6e-6 (relative)
    assert_almost_equal(w32.asnumpy(), [-0.01397420, -0.57533252, -0.32939917, 1.76967549],
                        rtol=1e-5, atol=5e-6)


LAMB_PIN = [0.35256004, -0.95320302, 0.04264387, 2.06775236]


def test_pinned_mxnet_lamb_three_steps():
    w, m, v = _nd(W0), mx.nd.zeros(4), mx.nd.zeros(4)
    for t, g in enumerate(GS, 1):
        d = mx.nd.lamb_update_phase1(w, _nd(g), m, v, t=t, wd=0.01, rescale_grad=2.0,
                                     clip_gradient=1.0)
        mx.nd.lamb_update_phase2(w, d, w.norm().reshape((1,)), d.norm().reshape((1,)),
                                 lr=0.05, upper_bound=2.0, out=w)
    assert_almost_equal(w.asnumpy(), LAMB_PIN, rtol=1e-5, atol=1e-6)
    assert_almost_equal(m.asnumpy(), [0.1306, -0.0604, 0.181, 0.015], rtol=1e-5, atol=1e-6)
    w, m, v = _nd(W0), mx.nd.zeros(4), mx.nd.zeros(4)
    for t, g in enumerate(GS, 1):
        I._multi_lamb_update(w, _nd(g), m, v, learning_rates=(0.05,), wds=(0.01,),
                             step_count=(t,), rescale_grad=2.0, clip_gradient=1.0,
                             upper_bound=2.0, out=[w])
    assert_almost_equal(w.asnumpy(), LAMB_PIN, rtol=1e-5, atol=1e-6)


def test_pinned_mxnet_preloaded_and_lars():
    w16, w32, m = _nd(W0.astype(np.float16)), _nd(W0), mx.nd.zeros(4)
    for g in GS:
        mx.nd.preloaded_multi_mp_sgd_mom_update(
            w16, _nd(g.astype(np.float16)), m, w32, mx.nd.array([0.2]), mx.nd.array([0.1]),
            momentum=0.9, rescale_grad=0.5, clip_gradient=0.3, out=[w16])
    assert_almost_equal(w32.asnumpy(), [0.32460654, -0.85221851, -0.05343478, 1.86989224],
                        rtol=1e-5, atol=1e-6)
    assert_almost_equal(m.asnumpy(), [-0.10018183, 0.09258091, -0.11623478, -0.10771259],
                        rtol=1e-5, atol=1e-6)
    out = mx.nd.multi_lars(mx.nd.array([0.1, 0.2, 0.3, 0.4]), mx.nd.array([4., 0., 9., 1.]),
                           mx.nd.array([1., 2., 0.25, -1.]), mx.nd.array([0.01, 0., 0.1, 0.]),
                           eta=0.5, eps=0.01, rescale_grad=2.)
    assert_almost_equal(out.asnumpy(), [0.04926109, 0.2, 0.34351149, 0.4], rtol=1e-5,
                        atol=1e-7)


# ----------------------------------------------------------------------------- multi == N
SHAPES = [(3, 4), (5,), (2, 1, 3)]


def _groups(seed, mp):
    rng = np.random.RandomState(seed)
    out = []
    for s in SHAPES:
        w = rng.uniform(-1, 1, s).astype(np.float32)
        g = rng.uniform(-1, 1, s).astype(np.float32)
        st = [rng.uniform(-1, 1, s).astype(np.float32), rng.uniform(0.5, 1.5, s)
              .astype(np.float32)]
        if mp:
            w, g = w.astype(np.float16), g.astype(np.float16)
        out.append((w, g, st))
    return out


@pytest.mark.parametrize('mp', [False, True])
@pytest.mark.parametrize('kind', ['adamw', 'lamb', 'sgd', 'sgd_mom'])
def test_multi_equals_single_calls(kind, mp):
    n = len(SHAPES)
    data = _groups(7, mp)
    lrs, wds = (0.1, 0.05, 0.2), (0.0, 0.1, 0.02)
    flat, singles, outs = [], [], []
    for i, (w, g, st) in enumerate(data):
        ins = [_nd(w), _nd(g)]
        if kind in ('adamw', 'lamb'):
            ins += [_nd(s) for s in st]
        elif kind == 'sgd_mom':
            ins += [_nd(st[0])]
        if mp:
            ins += [_nd(w.astype(np.float32))]
        flat += ins
        singles.append([a.copy() for a in ins])
    if kind == 'adamw':
        kw = dict(beta1=0.8, clip_gradient=0.5)
        extra = dict(lrs=lrs, wds=wds, etas=(1.0, 0.5, 2.0), num_weights=n)
        res = (I._multi_mp_adamw_update if mp else I._multi_adamw_update)(
            *flat, mx.nd.array([0.7]), **extra, **kw)
        for i, ins in enumerate(singles):
            fn = I._mp_adamw_update if mp else I._adamw_update
            outs.append(fn(*ins, mx.nd.array([0.7]), lr=lrs[i], wd=wds[i],
                           eta=extra['etas'][i], **kw))
    elif kind == 'lamb':
        kw = dict(rescale_grad=0.5, clip_gradient=0.4, lower_bound=0.5, upper_bound=3.0)
        steps = (1, 4, 2)
        res = (I._multi_mp_lamb_update if mp else I._multi_lamb_update)(
            *flat, learning_rates=lrs, wds=wds, step_count=steps, num_tensors=n, **kw)
        p1 = mx.nd.mp_lamb_update_phase1 if mp else mx.nd.lamb_update_phase1
        p2 = mx.nd.mp_lamb_update_phase2 if mp else mx.nd.lamb_update_phase2
        for i, ins in enumerate(singles):
            d = p1(*ins, t=steps[i], wd=wds[i], rescale_grad=0.5, clip_gradient=0.4)
            master = ins[-1] if mp else ins[0]
            r1 = master.norm().reshape((1,)).astype(d.dtype)
            r2 = d.norm().reshape((1,))
            args = [ins[0], d, r1, r2] + ([ins[-1]] if mp else [])
            outs.append(p2(*args, lr=lrs[i], lower_bound=0.5, upper_bound=3.0))
    else:
        mom = kind == 'sgd_mom'
        kw = dict(rescale_grad=0.5, clip_gradient=0.3, **({'momentum': 0.9} if mom else {}))
        name = 'preloaded_multi_%s%s_update' % ('mp_' if mp else '', kind)
        res = getattr(mx.nd, name)(*flat, mx.nd.array(lrs), mx.nd.array(wds),
                                   num_weights=n, **kw)
        ref = getattr(mx.nd, name[len('preloaded_'):])(*[a for s in singles for a in s],
                                                        lrs=lrs, wds=wds, num_weights=n,
                                                        **kw)
        outs = list(ref)
    assert len(res) == n
    for i in range(n):
        assert res[i].dtype == (np.float16 if mp else np.float32)
        assert_almost_equal(res[i].asnumpy(), outs[i].asnumpy(), rtol=1e-6, atol=1e-6)
        k = len(singles[i])
        for a, b in zip(flat[k * i:k * i + k], singles[i]):   # states moved the same way
            assert_almost_equal(a.asnumpy(), b.asnumpy(), rtol=1e-6, atol=1e-6)


# ----------------------------------------------------------------------------- symbols
SYM_CASES = {
    '_adamw_update': (lambda: dict(lr=0.1, eta=1.0), ['weight', 'grad', 'mean', 'var',
                                                      'rescale_grad'], []),
    '_mp_adamw_update': (lambda: dict(lr=0.1, eta=1.0),
                         ['weight', 'grad', 'mean', 'var', 'weight32', 'rescale_grad'], []),
    'lamb_update_phase1': (lambda: dict(t=2, wd=0.1), ['weight', 'grad'], ['mean', 'var']),
    'mp_lamb_update_phase1': (lambda: dict(t=2, wd=0.1), ['weight', 'grad'],
                              ['mean', 'var', 'weight32']),
    'lamb_update_phase2': (lambda: dict(lr=0.1), ['weight', 'g', 'r1', 'r2'], []),
    'mp_lamb_update_phase2': (lambda: dict(lr=0.1), ['weight', 'g', 'r1', 'r2'],
                              ['weight32']),
    '_contrib_group_adagrad_update': (lambda: dict(lr=0.1), ['weight', 'grad'],
                                      ['history']),
    'multi_lars': (lambda: dict(eta=1.0, eps=0.1),
                   ['lrs', 'weights_sum_sq', 'grads_sum_sq', 'wds'], []),
    'preloaded_multi_sgd_mom_update': (
        lambda: dict(num_weights=2, momentum=0.9),
        ['weight_0', 'grad_0', 'mom_0', 'weight_1', 'grad_1', 'mom_1', 'lrs', 'wds'], []),
    '_multi_mp_lamb_update': (
        lambda: dict(num_tensors=2, learning_rates=(0.1, 0.2), wds=(0., 0.),
                     step_count=(1, 2)),
        ['%s_%d' % (n, i) for i in range(2)
         for n in ('weight', 'grad', 'mean', 'var', 'weight32')], []),
}


def _op_fn(mod, op):
    ns = mod._internal if op.startswith('_') else mod
    return getattr(ns, op)


def _value(name, shape, mp, rng):
    if name in ('lrs', 'wds') and shape == (2,):
        return mx.nd.array(rng.uniform(0.01, 0.2, shape))
    if name in ('rescale_grad', 'r1', 'r2'):
        return mx.nd.array([rng.uniform(0.5, 2)])
    dt = np.float16 if mp and name.split('_')[0] in ('weight', 'grad') else np.float32
    lo = 0.1 if 'sum_sq' in name or name.split('_')[0] in ('var', 'history') else -1
    return mx.nd.array(rng.uniform(lo, 1, shape), dtype=dt)


@pytest.mark.parametrize('op', list(SYM_CASES))
def test_symbol_bind_json_and_inference(op):
    kw, args, aux = SYM_CASES[op][0](), SYM_CASES[op][1], SYM_CASES[op][2]
    sym = _op_fn(mx.sym, op)(name='u', **kw)
    assert sym.list_arguments() == ['u_' + a for a in args]
    assert sym.list_auxiliary_states() == ['u_' + a for a in aux]
    js = sym.tojson()
    assert mx.sym.load_json(js).tojson() == js
    # partial: the first weight's shape alone gives the group's shapes and the output
    first = 'u_' + args[0]
    shp = (2, 3)
    a_sh, o_sh, x_sh = sym.infer_shape_partial(**{first: shp})
    assert o_sh[0] == shp
    if op == '_contrib_group_adagrad_update':
        assert x_sh == [(2, 1)]
    # full bind vs the imperative call with equal copies
    mp = '_mp_' in op or op.startswith('mp_')
    rng = np.random.RandomState(0)
    names = args + aux
    shapes = dict(zip(sym.list_arguments() + sym.list_auxiliary_states(),
                      [None] * len(names)))
    wshape = {'multi_lars': (4,)}.get(op, (2, 3))
    a_sh, _, x_sh = sym.infer_shape(**{first: wshape} if 'num' not in str(kw) else
                                    {'u_weight_0': wshape, 'u_weight_1': (5,)})
    vals = [_value(n, s, mp, rng) for n, s in zip(names, list(a_sh) + list(x_sh))]
    copies = [v.copy() for v in vals]
    ex = sym.bind(mx.cpu(), dict(zip(sym.list_arguments(), vals[:len(args)])),
                  aux_states=dict(zip(sym.list_auxiliary_states(), vals[len(args):])))
    res = ex.forward(is_train=False)
    imp = _op_fn(mx.nd, op)(*copies, **kw)
    imp = imp if isinstance(imp, list) else [imp]
    for a, b in zip(res, imp):
        assert a.dtype == b.dtype
        assert_almost_equal(a.asnumpy(), b.asnumpy(), rtol=0, atol=0)
    for a, b in zip(vals, copies):        # states moved the same way in both paths
        assert_almost_equal(a.asnumpy(), b.asnumpy(), rtol=0, atol=0)


def test_type_inference():
    s = mx.sym._internal._mp_adamw_update(name='u', lr=0.1, eta=1.)
    a, o, _ = s.infer_type(u_weight='float16')
    assert a == [np.float16, np.float16] + [np.float32] * 4 and o == [np.float16]
    s = mx.sym.mp_lamb_update_phase1(name='u', t=1, wd=0.)
    a, o, x = s.infer_type(u_weight='float16')
    assert o == [np.float32] and x == [np.float32] * 3
    s = mx.sym.lamb_update_phase2(name='u', lr=0.1)
    a, o, _ = s.infer_type(u_weight='float64')
    assert a == [np.float64] * 4 and o == [np.float64]
    s = mx.sym.preloaded_multi_sgd_update(name='u', num_weights=1)
    a, o, _ = s.infer_type(u_weight_0='float64')
    assert a == [np.float64, np.float64, np.float32, np.float32]


# ----------------------------------------------------------------------------- errors
def test_errors_name_the_problem():
    z = mx.nd.zeros
    with pytest.raises(ShapeError, match=r"input 'grad' has shape \(3,\) but 'weight'"):
        I._adamw_update(z(2), z(3), z(2), z(2), mx.nd.ones(1), lr=0.1, eta=1.)
    with pytest.raises(ShapeError, match=r"input 'rescale_grad' has shape \(2,\)"):
        I._adamw_update(z(2), z(2), z(2), z(2), mx.nd.ones(2), lr=0.1, eta=1.)
    with pytest.raises(TypeInferError, match="input 'rescale_grad' has dtype float64"):
        I._adamw_update(z(2), z(2), z(2), z(2), mx.nd.ones(1, dtype='float64'), lr=0.1,
                        eta=1.)
    with pytest.raises(MXNetError, match="required parameter 'eta'"):
        I._adamw_update(z(2), z(2), z(2), z(2), mx.nd.ones(1), lr=0.1)
    with pytest.raises(MXNetError, match="required parameter 't'"):
        mx.nd.lamb_update_phase1(z(2), z(2), z(2), z(2), wd=0.)
    with pytest.raises(ShapeError, match=r"etas has 1 value\(s\) but num_weights=2"):
        I._multi_adamw_update(*[z(2)] * 8, mx.nd.ones(1), lrs=(.1, .1), wds=(0, 0),
                              etas=(1,), num_weights=2)
    with pytest.raises(ShapeError, match=r"step_count has 1 value\(s\) but num_tensors=2"):
        I._multi_lamb_update(*[z(2)] * 8, learning_rates=(.1, .1), wds=(0, 0),
                             step_count=(1,), num_tensors=2)
    with pytest.raises(ShapeError, match=r"input 'lrs' has shape \(1,\); "
                                         r"preloaded_multi_sgd_update expects \(2,\)"):
        mx.nd.preloaded_multi_sgd_update(*[z(2)] * 4, mx.nd.ones(1), mx.nd.ones(2),
                                         num_weights=2)
    with pytest.raises(ShapeError, match=r"input 'r1' has shape \(3,\)"):
        mx.nd.lamb_update_phase2(z(3), z(3), z(3), z(1), lr=0.1)
    with pytest.raises(TypeInferError, match="input 'weight32' has dtype float16"):
        mx.nd.mp_lamb_update_phase2(z(3, dtype='float16'), z(3), z(1), z(1),
                                    z(3, dtype='float16'), lr=0.1)
    with pytest.raises(ShapeError, match="takes 2-D weights"):
        mx.nd.contrib.group_adagrad_update(z(3), z(3), z((3, 1)), lr=0.1)
    with pytest.raises(ShapeError, match=r"input 'history' has shape \(2,\)"):
        mx.nd.contrib.group_adagrad_update(z((2, 3)), z((2, 3)), z(2), lr=0.1)
    with pytest.raises(ShapeError, match=r"input 'wds' has shape \(3,\) but 'lrs'"):
        mx.nd.multi_lars(z(2), z(2), z(2), z(3), eta=1., eps=0.)
    with pytest.raises(MXNetError, match='has no gradient'):
        x = mx.nd.ones(2)
        x.attach_grad()
        with mx.autograd.record():
            y = mx.nd.multi_lars(x, x, x, x, eta=1., eps=0.)
        y.backward()


# ----------------------------------------------------------------------------- optimizers
@pytest.mark.parametrize('kw', [{}, {'wd': 0.05, 'clip_gradient': 0.5, 'rescale_grad': 2.},
                                {'bias_correction': False, 'lower_bound': 0.1,
                                 'upper_bound': 1.0}])
def test_python_lamb_equals_fused_kernel(kw):
    """mxlite's LAMB optimizer, three steps, == _multi_lamb_update with the same t."""
    opt = mx.optimizer.LAMB(learning_rate=0.05, **kw)
    w = _nd(W0)
    state = opt.create_state(0, w)
    wk, m, v = _nd(W0), mx.nd.zeros(4), mx.nd.zeros(4)
    kk = {k: kw[k] for k in ('clip_gradient', 'rescale_grad', 'bias_correction',
                             'lower_bound', 'upper_bound') if k in kw}
    for t, g in enumerate(GS, 1):
        opt.update(0, w, _nd(g), state)
        I._multi_lamb_update(wk, _nd(g), m, v, learning_rates=(0.05,),
                             wds=(kw.get('wd', 0.),), step_count=(t,), out=[wk], **kk)
    assert_almost_equal(w.asnumpy(), wk.asnumpy(), rtol=1e-5, atol=1e-6)
    assert_almost_equal(state[0].asnumpy(), m.asnumpy(), rtol=1e-5, atol=1e-7)


def test_python_lars_learning_rate_equals_multi_lars():
    """LARS's layer learning rate (eta, eps, wd, rescale_grad) == multi_lars's."""
    opt = mx.optimizer.create('lars', learning_rate=0.1, eta=0.5, eps=0.01, wd=0.02,
                              rescale_grad=0.5)
    w, g = _nd(W0), _nd(GS[0])
    w_before = W0.astype(np.float64)
    opt.update(0, w, g, opt.create_state(0, w))
    G = 0.5 * GS[0].astype(np.float64)
    lr_used = np.mean((w_before - w.asnumpy()) / (G + 0.02 * w_before))
    lr_k = mx.nd.multi_lars(mx.nd.array([0.1]), mx.nd.array([(W0 ** 2).sum()]),
                            mx.nd.array([(GS[0] ** 2).sum()]), mx.nd.array([0.02]), eta=0.5,
                            eps=0.01, rescale_grad=0.5)
    assert_almost_equal(np.array([lr_used]), lr_k.asnumpy(), rtol=1e-4, atol=1e-7)
