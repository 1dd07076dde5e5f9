"""Optimizer update operators (sgd_update ... multi_mp_sgd_mom_update, all_finite).

One table of single-weight cases (op x parameter variant) run by one harness: the result
(written to ``out=weight``) and every state input, which the op must update in place, are
compared with a float64 NumPy reference of MXNet's documented formula; float32 weights,
and float16 weights with float32 master copies for the mp_* ops. The same cases run
through a bound symbol (states as aux states), through the JSON round trip, and against
mxlite's own Python optimizers. The multi_* ops must equal N single calls. Errors name the
input or parameter at fault. These ops have no gradient.
"""
import numpy as np
import pytest

import mxlite as mx
from mxlite.base import MXNetError, ShapeError, TypeInferError
from mxlite.test_utils import assert_almost_equal


# ----------------------------------------------------------------------------- references
def _clip(x, c):
    return np.clip(x, -c, c) if c >= 0 else x


def _sgd(w, g, st, p):
    G = _clip(p['rescale_grad'] * g, p['clip_gradient'])
    return w - p['lr'] * (G + p['wd'] * w), []


def _sgd_mom(w, g, st, p):
    G = _clip(p['rescale_grad'] * g, p['clip_gradient'])
    mom = p['momentum'] * st[0] - p['lr'] * (G + p['wd'] * w)
    return w + mom, [mom]


def _nag(w, g, st, p):
    G = _clip(p['rescale_grad'] * g, p['clip_gradient']) + p['wd'] * w
    mom = p['momentum'] * st[0] - p['lr'] * G
    return w + p['momentum'] * mom - p['lr'] * G, [mom]


def _master(ref):
    """mp_* reference: `ref` runs on weight32 (the last state); the output is its cast."""
    def run(w, g, st, p):
        new32, states = ref(st[-1], g, st[:-1], p)
        return new32, states + [new32]
    return run


def _adam(w, g, st, p):
    G = _clip(p['rescale_grad'] * g + p['wd'] * w, p['clip_gradient'])
    mean = p['beta1'] * st[0] + (1 - p['beta1']) * G
    var = p['beta2'] * st[1] + (1 - p['beta2']) * G * G
    return w - p['lr'] * mean / (np.sqrt(var) + p['epsilon']), [mean, var]


def _rmsprop(w, g, st, p):
    G = _clip(p['rescale_grad'] * g + p['wd'] * w, p['clip_gradient'])
    n = (1 - p['gamma1']) * G * G + p['gamma1'] * st[0]
    new = w - p['lr'] * G / np.sqrt(n + p['epsilon'])
    return _clip(new, p['clip_weights']), [n]


def _rmspropalex(w, g, st, p):
    G = _clip(p['rescale_grad'] * g + p['wd'] * w, p['clip_gradient'])
    g1 = p['gamma1']
    n = (1 - g1) * G * G + g1 * st[0]
    mean = (1 - g1) * G + g1 * st[1]
    delta = p['gamma2'] * st[2] - p['lr'] * G / np.sqrt(n - mean * mean + p['epsilon'])
    return _clip(w + delta, p['clip_weights']), [n, mean, delta]


def _ftrl(w, g, st, p):
    G = _clip(p['rescale_grad'] * g, p['clip_gradient'])
    z0, n0 = st
    z = z0 + G - (np.sqrt(n0 + G * G) - np.sqrt(n0)) * w / p['lr']
    n = n0 + G * G
    l1 = p['lamda1']
    new = (np.sign(z) * l1 - z) / ((p['beta'] + np.sqrt(n)) / p['lr'] + p['wd'])
    return new * (np.abs(z) > l1), [z, n]


def _ftml(w, g, st, p):
    b1, b2, t = p['beta1'], p['beta2'], p['t']
    G = _clip(p['rescale_grad'] * g + p['wd'] * w, p['clip_grad'])
    d0, v0, z0 = st
    v = b2 * v0 + (1 - b2) * G * G
    d = (1 - b1 ** t) / p['lr'] * (np.sqrt(v / (1 - b2 ** t)) + p['epsilon'])
    z = b1 * z0 + (1 - b1) * G - (d - b1 * d0) * w
    return -z / d, [d, v, z]


def _signsgd(w, g, st, p):
    # rescaling and clipping cannot change a sign: MXNet's kernel applies neither
    return (1 - p['lr'] * p['wd']) * w - p['lr'] * np.sign(g), []


def _signum(w, g, st, p):
    G = _clip(p['rescale_grad'] * g, p['clip_gradient']) + p['wd'] * w
    mom = p['momentum'] * st[0] - (1 - p['momentum']) * G
    return (1 - p['lr'] * p['wd_lh']) * w + p['lr'] * np.sign(mom), [mom]


# ----------------------------------------------------------------------------- the table
_COMMON = {'wd': 0.0, 'rescale_grad': 1.0, 'clip_gradient': -1.0}
_SGD = dict(_COMMON, lr=0.1)
_MOM = dict(_COMMON, lr=0.1, momentum=0.9)

# op: (state names, defaults as MXNet 1.9.1 documents them + lr, reference)
OPS = {
    'sgd_update': ((), _SGD, _sgd),
    'sgd_mom_update': (('mom',), _MOM, _sgd_mom),
    'mp_sgd_update': (('weight32',), _SGD, _master(_sgd)),
    'mp_sgd_mom_update': (('mom', 'weight32'), _MOM, _master(_sgd_mom)),
    'nag_mom_update': (('mom',), _MOM, _nag),
    'mp_nag_mom_update': (('mom', 'weight32'), _MOM, _master(_nag)),
    'adam_update': (('mean', 'var'), dict(_COMMON, lr=0.01, beta1=0.9, beta2=0.999,
                                          epsilon=1e-8), _adam),
    'rmsprop_update': (('n',), dict(_COMMON, lr=0.01, gamma1=0.95, epsilon=1e-8,
                                    clip_weights=-1.0), _rmsprop),
    'rmspropalex_update': (('n', 'g', 'delta'), dict(_COMMON, lr=0.01, gamma1=0.95,
                                                     gamma2=0.9, epsilon=1e-8,
                                                     clip_weights=-1.0), _rmspropalex),
    'ftrl_update': (('z', 'n'), dict(_COMMON, lr=0.1, lamda1=0.01, beta=1.0), _ftrl),
    'ftml_update': (('d', 'v', 'z'), dict(lr=0.1, beta1=0.6, beta2=0.999, epsilon=1e-8, t=3,
                                          wd=0.0, rescale_grad=1.0, clip_grad=-1.0), _ftml),
    'signsgd_update': ((), _SGD, _signsgd),
    'signum_update': (('mom',), dict(_MOM, wd_lh=0.0), _signum),
}

VARIANTS = {
    'plain': {},
    'wd': {'wd': 0.05},
    'rescale': {'rescale_grad': 0.25},
    'clip': {'clip_gradient': 0.2},
    'clip0': {'clip_gradient': 0.0},       # the kernels clip whenever clip >= 0
    'all': {'wd': 0.02, 'rescale_grad': -2.0, 'clip_gradient': 0.5},
}
EXTRA = {
    'rmsprop_update': {'clipw': {'clip_weights': 0.3}},
    'rmspropalex_update': {'clipw': {'clip_weights': 0.3}},
    'signum_update': {'wd_lh': {'wd_lh': 0.2, 'wd': 0.01}},
    'ftrl_update': {'l1': {'lamda1': 0.3, 'beta': 2.0, 'wd': 0.1}},
    'ftml_update': {'t1': {'t': 1, 'beta1': 0.5}},
}


def _cases():
    for op in OPS:
        for vid, v in list(VARIANTS.items()) + list(EXTRA.get(op, {}).items()):
            if op == 'ftml_update' and 'clip_gradient' in v:
                v = dict(v)
                v['clip_grad'] = v.pop('clip_gradient')
            yield pytest.param(op, v, id='%s-%s' % (op, vid))


CASES = list(_cases())


def _inputs(op, seed, shape=(3, 4)):
    """weight, grad, states as NumPy arrays (float16 weight/grad for mp_*)."""
    rng = np.random.RandomState(seed)
    states = OPS[op][0]
    w = rng.uniform(-1, 1, shape).astype(np.float32)
    g = rng.uniform(-1, 1, shape).astype(np.float32)
    made = []
    for name in states:
        if name == 'weight32':
            made.append(w.copy())
        elif name in ('n', 'var', 'v'):          # running squares are non-negative
            made.append(rng.uniform(0.5, 1.5, shape).astype(np.float32))
        elif name == 'g' or name == 'd':         # keeps n - g**2 > 0, d > 0
            made.append(rng.uniform(0.1 if name == 'd' else -0.5, 0.5, shape)
                        .astype(np.float32))
        else:
            made.append(rng.uniform(-1, 1, shape).astype(np.float32))
    if op.startswith('mp_'):
        w, g = w.astype(np.float16), g.astype(np.float16)
        made[-1] = w.astype(np.float32)          # the master copy equals the weight
    return w, g, made


def _params(op, variant):
    p = dict(OPS[op][1])
    p.update(variant)
    return p


def _expected(op, w, g, states, p):
    new, st = OPS[op][2](w.astype(np.float64), g.astype(np.float64),
                         [s.astype(np.float64) for s in states], p)
    return new, st


def _nd(a):
    return mx.nd.array(a, dtype=a.dtype)


def _tol(dtype):
    return dict(rtol=2e-3, atol=2e-3) if dtype == np.float16 else dict(rtol=1e-5, atol=1e-6)


# ----------------------------------------------------------------------------- forward
@pytest.mark.parametrize('op, variant', CASES)
def test_forward_out_weight_and_states_in_place(op, variant):
    w, g, states = _inputs(op, 1)
    p = _params(op, variant)
    new, new_states = _expected(op, w, g, states, p)
    weight, grad, st = _nd(w), _nd(g), [_nd(s) for s in states]
    st_buffers = [s._data for s in st]
    res = getattr(mx.nd, op)(weight, grad, *st, out=weight, **p)
    assert res is weight and weight.dtype == w.dtype
    assert_almost_equal(weight.asnumpy(), new.astype(w.dtype), **_tol(w.dtype))
    for name, s, buf, e in zip(OPS[op][0], st, st_buffers, new_states):
        assert s._data is buf, name                    # updated in place, not replaced
        assert_almost_equal(s.asnumpy(), e.astype(np.float32), names=(name, 'expected'),
                            **_tol(np.float32))
    assert_almost_equal(grad.asnumpy(), g, rtol=0, atol=0)   # the gradient is only read


@pytest.mark.parametrize('op', list(OPS))
def test_without_out_the_weight_is_untouched(op):
    w, g, states = _inputs(op, 2)
    p = _params(op, {'wd': 0.01} if op != 'ftml_update' else {})
    weight = _nd(w)
    res = getattr(mx.nd, op)(weight, _nd(g), *[_nd(s) for s in states], **p)
    assert res is not weight and res.shape == w.shape and res.dtype == w.dtype
    assert_almost_equal(weight.asnumpy(), w, rtol=0, atol=0)
    new, _ = _expected(op, w, g, states, p)
    assert_almost_equal(res.asnumpy(), new.astype(w.dtype), **_tol(w.dtype))


@pytest.mark.parametrize('op', ['sgd_mom_update', 'adam_update', 'mp_sgd_mom_update'])
def test_states_by_keyword_and_repeated_steps(op):
    """Three steps with states passed by name: the in-place state carries over."""
    w, g, states = _inputs(op, 3)
    p = _params(op, {'wd': 0.01})
    names = OPS[op][0]
    weight, st = _nd(w), [_nd(s) for s in states]
    ref_w, ref_st = w.astype(np.float64), [s.astype(np.float64) for s in states]
    for _ in range(3):
        getattr(mx.nd, op)(weight=weight, grad=_nd(g), out=weight, **p,
                           **dict(zip(names, st)))
        ref_w, ref_st = OPS[op][2](ref_w, g.astype(np.float64), ref_st, p)
    assert_almost_equal(weight.asnumpy(), ref_w.astype(w.dtype), **_tol(w.dtype))
    for s, e in zip(st, ref_st):
        assert_almost_equal(s.asnumpy(), e.astype(np.float32), rtol=1e-5, atol=1e-6)


# ----------------------------------------------------------------------------- symbolic
def _symbol(op, p):
    names = OPS[op][0]
    vs = [mx.sym.var('weight'), mx.sym.var('grad')] + [mx.sym.var(n) for n in names]
    return getattr(mx.sym, op)(*vs, name='upd', **p)


@pytest.mark.parametrize('op, variant', [c for c in CASES if c.id.endswith('-all')])
def test_symbol_bind_equals_imperative_and_mutates_aux(op, variant):
    w, g, states = _inputs(op, 4)
    p = _params(op, variant)
    names = list(OPS[op][0])
    sym = _symbol(op, p)
    assert sym.list_arguments() == ['weight', 'grad']
    assert sym.list_auxiliary_states() == names          # MXNet's mutable inputs
    assert sym.list_outputs() == ['upd_output']
    imp_states = [_nd(s) for s in states]
    imp = getattr(mx.nd, op)(_nd(w), _nd(g), *imp_states, **p)
    aux = {n: _nd(s) for n, s in zip(names, states)}
    ex = sym.bind(mx.cpu(), {'weight': _nd(w), 'grad': _nd(g)}, aux_states=aux)
    out = ex.forward(is_train=False)[0]
    assert_almost_equal(out.asnumpy(), imp.asnumpy(), rtol=0, atol=0)
    for n, s in zip(names, imp_states):
        assert_almost_equal(ex.aux_dict[n].asnumpy(), s.asnumpy(), rtol=0, atol=0)
        assert ex.aux_dict[n] is aux[n]                   # the caller's array was updated
    js = sym.tojson()
    assert mx.sym.load_json(js).tojson() == js


@pytest.mark.parametrize('op', list(OPS))
def test_shape_and_type_inference(op):
    names = OPS[op][0]
    p = _params(op, {})
    sym = getattr(mx.sym, op)(name='u', **p)
    assert sym.list_arguments() == ['u_weight', 'u_grad']
    assert sym.list_auxiliary_states() == ['u_%s' % n for n in names]
    # one known input gives every other shape, forwards and backwards
    known = 'u_%s' % (names[-1] if names else 'grad')
    args, outs, aux = sym.infer_shape_partial(**{known: (2, 3)})
    assert args == [(2, 3)] * 2 and outs == [(2, 3)] and aux == [(2, 3)] * len(names)
    args, outs, aux = sym.infer_shape_partial()
    assert outs == [()]
    with pytest.raises(ShapeError, match=r"input 'grad' has shape \(3, 2\) but 'weight' "
                                         r"has shape \(2, 3\)"):
        sym.infer_shape(u_weight=(2, 3), u_grad=(3, 2))
    if op.startswith('mp_'):
        args, outs, aux = sym.infer_type(u_weight='float16')
        assert args == [np.float16] * 2 and outs == [np.float16]
        assert aux == [np.float32] * len(names)           # mom and weight32 stay float32
    else:
        args, outs, aux = sym.infer_type(u_grad='float64')
        assert args + outs + aux == [np.float64] * (3 + len(names))


_R = 'required'
_TAIL = [('wd', 0.0), ('rescale_grad', 1.0), ('clip_gradient', -1.0)]
SCHEMAS = {   # MXNet 1.9.1's parameters of each op, in order, with their defaults
    'sgd_update': [('lr', _R)] + _TAIL + [('lazy_update', True)],
    'sgd_mom_update': [('lr', _R), ('momentum', 0.0)] + _TAIL + [('lazy_update', True)],
    'mp_sgd_update': [('lr', _R)] + _TAIL + [('lazy_update', True)],
    'mp_sgd_mom_update': [('lr', _R), ('momentum', 0.0)] + _TAIL + [('lazy_update', True)],
    'nag_mom_update': [('lr', _R), ('momentum', 0.0)] + _TAIL,
    'mp_nag_mom_update': [('lr', _R), ('momentum', 0.0)] + _TAIL,
    'adam_update': [('lr', _R), ('beta1', 0.9), ('beta2', 0.999), ('epsilon', 1e-8)] +
    _TAIL + [('lazy_update', True)],
    'rmsprop_update': [('lr', _R), ('gamma1', 0.95), ('epsilon', 1e-8)] + _TAIL +
    [('clip_weights', -1.0)],
    'rmspropalex_update': [('lr', _R), ('gamma1', 0.95), ('gamma2', 0.9),
                           ('epsilon', 1e-8)] + _TAIL + [('clip_weights', -1.0)],
    'ftrl_update': [('lr', _R), ('lamda1', 0.01), ('beta', 1.0)] + _TAIL,
    'ftml_update': [('lr', _R), ('beta1', 0.6), ('beta2', 0.999), ('epsilon', 1e-8),
                    ('t', _R), ('wd', 0.0), ('rescale_grad', 1.0), ('clip_grad', -1.0)],
    'signsgd_update': [('lr', _R)] + _TAIL,
    'signum_update': [('lr', _R), ('momentum', 0.0)] + _TAIL + [('wd_lh', 0.0)],
    'multi_sgd_update': [('lrs', _R), ('wds', _R), ('rescale_grad', 1.0),
                         ('clip_gradient', -1.0), ('num_weights', 1)],
    'multi_sgd_mom_update': [('lrs', _R), ('wds', _R), ('momentum', 0.0),
                             ('rescale_grad', 1.0), ('clip_gradient', -1.0),
                             ('num_weights', 1)],
    'multi_mp_sgd_update': [('lrs', _R), ('wds', _R), ('rescale_grad', 1.0),
                            ('clip_gradient', -1.0), ('num_weights', 1)],
    'multi_mp_sgd_mom_update': [('lrs', _R), ('wds', _R), ('momentum', 0.0),
                                ('rescale_grad', 1.0), ('clip_gradient', -1.0),
                                ('num_weights', 1)],
    'all_finite': [('init_output', True)],
    'multi_all_finite': [('num_arrays', 1), ('init_output', True)],
}


@pytest.mark.parametrize('op', list(SCHEMAS))
def test_schema_matches_mxnet(op):
    from mxlite.ops import registry
    params = registry.get(op).params
    assert list(params) == [k for k, _ in SCHEMAS[op]]
    for key, default in SCHEMAS[op]:
        spec = params[key]
        if default == _R:
            assert spec.required, key
        else:
            assert spec.default == pytest.approx(default), key
    assert hasattr(mx.nd, op) and hasattr(mx.sym, op)


# ----------------------------------------------------------------------------- Python optimizers
def _flat(state):
    if state is None:
        return []
    if isinstance(state, (tuple, list)):
        return [x for s in state for x in _flat(s)]
    return [state]


OPTIMIZERS = [
    # (optimizer, its kwargs, op, op params given the learning rate after t steps)
    ('sgd', {'momentum': 0.0}, 'sgd_update', lambda lr, t: {}),
    ('sgd', {'momentum': 0.9}, 'sgd_mom_update', lambda lr, t: {'momentum': 0.9}),
    ('nag', {'momentum': 0.9}, 'nag_mom_update', lambda lr, t: {'momentum': 0.9}),
    ('adam', {}, 'adam_update',
     lambda lr, t: {'lr': lr * np.sqrt(1 - 0.999 ** t) / (1 - 0.9 ** t)}),
    ('rmsprop', {'gamma1': 0.9}, 'rmsprop_update', lambda lr, t: {'gamma1': 0.9}),
    ('rmsprop', {'centered': True, 'clip_weights': 0.8}, 'rmspropalex_update',
     lambda lr, t: {'gamma1': 0.9, 'gamma2': 0.9, 'clip_weights': 0.8}),
    ('ftrl', {'lamda1': 0.02}, 'ftrl_update', lambda lr, t: {'lamda1': 0.02}),
    ('ftml', {}, 'ftml_update', lambda lr, t: {'t': t}),
    ('signum', {'momentum': 0.9, 'wd_lh': 0.1}, 'signum_update',
     lambda lr, t: {'momentum': 0.9, 'wd_lh': 0.1}),
    ('signum', {'momentum': 0.0}, 'signsgd_update', lambda lr, t: {}),
]


@pytest.mark.parametrize('name, kwargs, op, extra', OPTIMIZERS,
                         ids=['%s-%s' % (o[0], o[2]) for o in OPTIMIZERS])
def test_equals_python_optimizer(name, kwargs, op, extra):
    """Two steps of mx.optimizer.<name> and two op calls give the same weights."""
    rng = np.random.RandomState(7)
    w = rng.uniform(-1, 1, (5, 3)).astype(np.float32)
    grads = [rng.uniform(-1, 1, w.shape).astype(np.float32) for _ in range(2)]
    lr, wd, rescale, clip = 0.05, 0.01, 0.5, 0.3
    opt = mx.optimizer.create(name, learning_rate=lr, wd=wd, rescale_grad=rescale,
                              clip_gradient=clip, **kwargs)
    weight = _nd(w)
    state = opt.create_state(0, weight)
    states = [_nd(s.asnumpy()) for s in _flat(state)]
    mine = _nd(w)
    for t, g in enumerate(grads, 1):
        opt.update(0, weight, _nd(g), state)
        p = {'lr': lr, 'wd': wd, 'rescale_grad': rescale,
             ('clip_grad' if op == 'ftml_update' else 'clip_gradient'): clip}
        p.update(extra(lr, t))
        getattr(mx.nd, op)(mine, _nd(g), *states, out=mine, **p)
    assert_almost_equal(mine.asnumpy(), weight.asnumpy(), rtol=1e-5, atol=1e-6)
    for s, ref in zip(states, _flat(state)):
        assert_almost_equal(s.asnumpy(), ref.asnumpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize('momentum, op', [(0.0, 'mp_sgd_update'),
                                          (0.9, 'mp_sgd_mom_update')])
def test_equals_sgd_on_the_master_copy(momentum, op):
    """mp_* = the SGD optimizer's update of the float32 master copy, cast to float16.

    (The gradient is cast to float32 first, as MXNet's kernel does; mxlite's SGD with
    multi_precision=True multiplies the float16 gradient in float16, one ulp apart.)"""
    rng = np.random.RandomState(8)
    w = rng.uniform(-1, 1, (4, 3)).astype(np.float16)
    g = rng.uniform(-1, 1, w.shape).astype(np.float16)
    opt = mx.optimizer.SGD(learning_rate=0.1, momentum=momentum, wd=0.01, clip_gradient=0.4,
                           rescale_grad=0.5, multi_precision=True)
    inner, master = opt.create_state_multi_precision(0, _nd(w))
    mine = _nd(w)
    states = [_nd(s.asnumpy()) for s in _flat(inner) + [master]]
    opt.update(0, master, _nd(g.astype(np.float32)), inner)
    p = {'lr': 0.1, 'wd': 0.01, 'clip_gradient': 0.4, 'rescale_grad': 0.5}
    if momentum:
        p['momentum'] = momentum
    getattr(mx.nd, op)(mine, _nd(g), *states, out=mine, **p)
    assert mine.dtype == np.float16
    assert_almost_equal(mine.asnumpy(), master.asnumpy().astype(np.float16), rtol=0, atol=0)
    for s, ref in zip(states, _flat(inner) + [master]):
        assert_almost_equal(s.asnumpy(), ref.asnumpy(), rtol=1e-6, atol=1e-7)


# ----------------------------------------------------------------------------- multi_*
MULTI = {
    # op: (single op, per-weight inputs, extra params)
    'multi_sgd_update': ('sgd_update', ('weight', 'grad'), {}),
    'multi_sgd_mom_update': ('sgd_mom_update', ('weight', 'grad', 'mom'), {'momentum': 0.8}),
    'multi_mp_sgd_update': ('mp_sgd_update', ('weight', 'grad', 'weight32'), {}),
    'multi_mp_sgd_mom_update': ('mp_sgd_mom_update', ('weight', 'grad', 'mom', 'weight32'),
                                {'momentum': 0.8}),
}
_SHAPES = [(3,), (2, 4), (5, 1, 2)]


def _group(op, shape, seed):
    single = MULTI[op][0]
    w, g, states = _inputs(single, seed, shape)
    return [w, g] + states


@pytest.mark.parametrize('op', list(MULTI))
@pytest.mark.parametrize('clip', [-1.0, 0.3])
def test_multi_equals_single_calls(op, clip):
    single, per, extra = MULTI[op]
    lrs, wds = (0.1, 0.05, 0.2), (0.0, 0.01, 0.1)
    groups = [_group(op, s, 10 + i) for i, s in enumerate(_SHAPES)]
    multi_in = [[_nd(a) for a in grp] for grp in groups]
    single_in = [[_nd(a) for a in grp] for grp in groups]
    common = dict(extra, rescale_grad=0.5, clip_gradient=clip)
    weights = [grp[0] for grp in multi_in]
    res = getattr(mx.nd, op)(*[a for grp in multi_in for a in grp], out=weights, lrs=lrs,
                             wds=wds, num_weights=3, **common)
    assert res is weights
    for i, grp in enumerate(single_in):
        getattr(mx.nd, single)(*grp, out=grp[0], lr=lrs[i], wd=wds[i], **common)
        for k, name in enumerate(per):
            if name == 'grad':
                continue
            assert_almost_equal(multi_in[i][k].asnumpy(), grp[k].asnumpy(), rtol=0, atol=0,
                                names=('%s_%d' % (name, i), 'single'))


@pytest.mark.parametrize('op', list(MULTI))
def test_multi_symbol(op):
    single, per, extra = MULTI[op]
    sym = getattr(mx.sym, op)(lrs=(0.1, 0.2), wds=(0.0, 0.0), num_weights=2, name='m',
                              **extra)
    names = ['m_%s_%d' % (n, i) for i in range(2) for n in per]
    assert sym.list_arguments() == names
    assert sym.list_outputs() == ['m_output0', 'm_output1']
    js = sym.tojson()
    assert mx.sym.load_json(js).tojson() == js
    args, outs, _ = sym.infer_shape_partial(m_grad_0=(2, 3))
    assert args[:len(per)] == [(2, 3)] * len(per) and outs == [(2, 3), ()]
    args, outs, _ = sym.infer_type(m_weight_0='float16', m_weight_1='float16')
    assert outs == [np.float16, np.float16]
    if 'weight32' in per:
        assert args[per.index('weight32')] == np.float32
    # bound and run: the same as the imperative call
    groups = [_group(op, s, 20 + i) for i, s in enumerate(_SHAPES[:2])]
    flat = [a for grp in groups for a in grp]
    ex = sym.bind(mx.cpu(), {n: _nd(a) for n, a in zip(names, flat)})
    outs = ex.forward()
    imp = getattr(mx.nd, op)(*[_nd(a) for a in flat], lrs=(0.1, 0.2), wds=(0.0, 0.0),
                             num_weights=2, **extra)
    for o, r in zip(outs, imp):
        assert_almost_equal(o.asnumpy(), r.asnumpy(), rtol=0, atol=0)
    assert mx.sym.multi_sgd_update(lrs=(0.1,), wds=(0.0,), name='one').list_outputs() == \
        ['one_output']


# ----------------------------------------------------------------------------- all_finite
@pytest.mark.parametrize('dtype', ['float16', 'float32', 'float64'])
@pytest.mark.parametrize('bad, expected', [(None, 1.0), (np.nan, 0.0), (np.inf, 0.0),
                                           (-np.inf, 0.0)])
def test_all_finite(dtype, bad, expected):
    x = np.random.RandomState(0).uniform(-1e3, 1e3, (4, 5)).astype(dtype)
    if bad is not None:
        x[2, 3] = bad
    for init in (True, False):
        out = mx.nd.all_finite(_nd(x), init_output=init)
        assert out.shape == (1,) and out.dtype == np.float32
        assert out.asnumpy()[0] == expected
    ys = [_nd(np.ones((2,), dtype)), _nd(x), _nd(np.zeros((0, 3), dtype))]
    out = mx.nd.multi_all_finite(*ys, num_arrays=3)
    assert out.shape == (1,) and out.asnumpy()[0] == expected


def test_all_finite_misc():
    # an empty array is finite
    assert mx.nd.all_finite(mx.nd.zeros((0,))).asscalar() == 1.0
    flag = mx.nd.zeros((1,))
    assert mx.nd.all_finite(mx.nd.ones((3,)), out=flag) is flag and flag.asscalar() == 1.0
    sym = mx.sym.all_finite(name='f')
    assert sym.list_arguments() == ['f_data'] and sym.list_outputs() == ['f_output']
    assert sym.infer_shape_partial()[1] == [(1,)]
    assert sym.infer_type(f_data='float16')[1] == [np.float32]
    sym = mx.sym.multi_all_finite(num_arrays=2, name='f')
    assert sym.list_arguments() == ['f_array_0', 'f_array_1']
    args, outs, _ = sym.infer_shape(f_array_0=(2, 3), f_array_1=(4,))
    assert outs == [(1,)]
    js = sym.tojson()
    assert mx.sym.load_json(js).tojson() == js
    ex = sym.bind(mx.cpu(), {'f_array_0': mx.nd.ones((2, 3)),
                             'f_array_1': mx.nd.array([1, np.nan, 2, 3])})
    assert ex.forward()[0].asscalar() == 0.0


# ----------------------------------------------------------------------------- errors
def test_errors_name_the_problem():
    one = mx.nd.ones((2, 3))
    with pytest.raises(MXNetError, match="input 'mom' is missing"):
        mx.nd.sgd_mom_update(one, one, lr=0.1)
    with pytest.raises(MXNetError, match="required parameter 'lr'"):
        mx.nd.sgd_update(one, one)
    with pytest.raises(MXNetError, match="required parameter 't'"):
        mx.nd.ftml_update(one, one, one, one, one, lr=0.1)
    with pytest.raises(MXNetError, match="unknown parameter 'clip_gradient'.*clip_grad"):
        mx.nd.ftml_update(one, one, one, one, one, lr=0.1, t=1, clip_gradient=1.0)
    with pytest.raises(ShapeError, match=r"input 'grad' has shape \(3,\) but 'weight'"):
        mx.nd.sgd_update(one, mx.nd.ones((3,)), lr=0.1)
    with pytest.raises(ShapeError, match=r"input 'var' has shape \(2,\)"):
        mx.nd.adam_update(one, one, one, mx.nd.ones((2,)), lr=0.1)
    with pytest.raises(TypeInferError, match="input 'mean' has dtype float64 but 'weight' "
                                             "has dtype float32"):
        mx.nd.adam_update(one, one, one.astype('float64'), one, lr=0.1)
    h = mx.nd.ones((2, 3), dtype='float16')
    with pytest.raises(TypeInferError, match="input 'weight32' has dtype float16"):
        mx.nd.mp_sgd_update(h, h, h, lr=0.1)
    with pytest.raises(TypeInferError, match="input 'grad' has dtype float32 but 'weight' "
                                             "has dtype float16"):
        mx.nd.mp_sgd_update(h, one, one, lr=0.1)
    # multi_*: counts of inputs, learning rates and weight decays
    with pytest.raises(MXNetError, match=r"got 4 inputs but it takes 2 \(weight_0, grad_0\)"):
        mx.nd.multi_sgd_update(one, one, one, one, lrs=(0.1, 0.1), wds=(0, 0))
    with pytest.raises(MXNetError, match="input 'grad_1' is missing"):
        mx.nd.multi_sgd_update(one, one, one, lrs=(0.1, 0.1), wds=(0, 0), num_weights=2)
    with pytest.raises(ShapeError, match="lrs has 1 value.* num_weights=2"):
        mx.nd.multi_sgd_update(one, one, one, one, lrs=(0.1,), wds=(0, 0), num_weights=2)
    with pytest.raises(ShapeError, match="wds has 3 value.* num_weights=2"):
        mx.nd.multi_sgd_mom_update(one, one, one, one, one, one, lrs=(0.1, 0.1),
                                   wds=(0, 0, 0), num_weights=2)
    with pytest.raises(ShapeError, match=r"input 'mom_1' has shape \(3,\) but 'weight_1'"):
        mx.nd.multi_sgd_mom_update(one, one, one, one, one, mx.nd.ones((3,)),
                                   lrs=(0.1, 0.1), wds=(0, 0), num_weights=2)
    with pytest.raises(TypeInferError, match="input 'weight32_0' has dtype float16"):
        mx.nd.multi_mp_sgd_update(h, h, h, lrs=(0.1,), wds=(0.0,))
    with pytest.raises(TypeInferError, match="input 'data' has dtype int32; all_finite"):
        mx.nd.all_finite(mx.nd.ones((2,), dtype='int32'))
    with pytest.raises(MXNetError, match=r"got 2 inputs but it takes 1 \(array_0\)"):
        mx.nd.multi_all_finite(one, one)
    with pytest.raises(ShapeError, match=r"grad_0"):
        mx.sym.multi_sgd_update(lrs=(0.1,), wds=(0.0,), name='m').infer_shape(
            m_weight_0=(2,), m_grad_0=(3,))


def test_failed_call_changes_nothing():
    w, mom = mx.nd.ones((2,)), mx.nd.full((2,), 0.5)
    with pytest.raises(ShapeError):
        mx.nd.sgd_mom_update(w, mx.nd.ones((3,)), mom, lr=0.1, momentum=0.9, out=w)
    assert (w.asnumpy() == 1).all() and (mom.asnumpy() == 0.5).all()


def test_no_gradient():
    x = mx.nd.ones((2,))
    x.attach_grad()
    with mx.autograd.record():
        y = mx.nd.sgd_update(x, mx.nd.ones((2,)), lr=0.1)
    with pytest.raises(MXNetError, match='sgd_update has no gradient'):
        y.backward()
    sym = mx.sym.all_finite(mx.sym.var('x'))
    ex = sym.simple_bind(mx.cpu(), x=(2,))
    ex.forward(is_train=True)
    with pytest.raises(MXNetError, match='all_finite has no gradient'):
        ex.backward(mx.nd.ones((1,)))
