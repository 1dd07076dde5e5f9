"""mx.optimizer and mx.lr_scheduler against straightforward NumPy versions of MXNet's formulas.

One table of optimizer configurations, crossed with rescale_grad x clip_gradient x wd x
lr_mult, each run for several updates against a float64 reference; then the registry,
multipliers, multi-precision, states files (MXNet's own .states file round-trips byte for
byte) and the golden one-step SGD update of whole models recorded with MXNet 1.9.1. The
Updater's states with every optimizer, and forged states files, are in test_safe_pickle.
"""
import collections
import itertools
import json
import math
import pickle

import numpy as np
import pytest

import mxlite as mx
from mxlite.base import MXNetError

SHAPE = (4, 5)
STEPS = 3


# ---------------------------------------------------------------------- references
def _kclip(x, c):
    """Fused-kernel clipping: only for a positive bound."""
    return np.clip(x, -c, c) if c else x


def _pclip(x, c):
    """Python-side clipping: whenever the bound is not None."""
    return x if c is None else np.clip(x, -c, c)


def ref_sgd(p, w, g, st, t, lr, wd, rg, c):
    G = _kclip(rg * g, c)
    if p.get('momentum', 0.0) == 0:
        return w - lr * (G + wd * w)
    st['mom'] = p['momentum'] * st.get('mom', 0) - lr * (G + wd * w)
    return w + st['mom']


def ref_nag(p, w, g, st, t, lr, wd, rg, c):
    G = _kclip(rg * g, c) + wd * w
    if p.get('momentum', 0.0) == 0:
        return w - lr * G
    st['mom'] = p['momentum'] * st.get('mom', 0) - lr * G
    return w + p['momentum'] * st['mom'] - lr * G


def ref_signum(p, w, g, st, t, lr, wd, rg, c):
    mu = p.get('momentum', 0.9)
    if mu == 0:
        return (1 - lr * wd) * w - lr * np.sign(g)
    st['mom'] = mu * st.get('mom', 0) - (1 - mu) * (_kclip(rg * g, c) + wd * w)
    return (1 - lr * p.get('wd_lh', 0.0)) * w + lr * np.sign(st['mom'])


def ref_dcasgd(p, w, g, st, t, lr, wd, rg, c):
    G = _pclip(rg * g, c)
    prev = st.get('prev', w0_of(st, w))
    step = -lr * (G + wd * w + p.get('lamda', 0.04) * G * G * (w - prev))
    if p.get('momentum', 0.0):
        st['mom'] = p['momentum'] * st.get('mom', 0) + step
        step = st['mom']
    st['prev'] = w
    return w + step


def w0_of(st, w):
    return st.setdefault('w0', w)


def ref_adam(p, w, g, st, t, lr, wd, rg, c):
    b1, b2, eps = p.get('beta1', 0.9), p.get('beta2', 0.999), p.get('epsilon', 1e-8)
    G = _kclip(rg * g + wd * w, c)
    st['m'] = b1 * st.get('m', 0) + (1 - b1) * G
    st['v'] = b2 * st.get('v', 0) + (1 - b2) * G * G
    lr_t = lr * math.sqrt(1 - b2 ** t) / (1 - b1 ** t)
    return w - lr_t * st['m'] / (np.sqrt(st['v']) + eps)


def ref_adamax(p, w, g, st, t, lr, wd, rg, c):
    b1, b2 = p.get('beta1', 0.9), p.get('beta2', 0.999)
    G = _pclip(rg * g + wd * w, c)
    st['m'] = b1 * st.get('m', 0) + (1 - b1) * G
    st['u'] = np.maximum(b2 * st.get('u', 0), np.abs(G))
    return w - lr / (1 - b1 ** t) * st['m'] / st['u']


def ref_nadam(p, w, g, st, t, lr, wd, rg, c):
    b1, b2, eps, sd = 0.9, 0.999, 1e-8, 0.004
    G = _pclip(rg * g + wd * w, c)
    mu_t = b1 * (1 - 0.5 * 0.96 ** (t * sd))
    mu_t1 = b1 * (1 - 0.5 * 0.96 ** ((t + 1) * sd))
    st['sched'] = st.get('sched', 1.0) * mu_t
    sched_next = st['sched'] * mu_t1
    st['m'] = b1 * st.get('m', 0) + (1 - b1) * G
    st['v'] = b2 * st.get('v', 0) + (1 - b2) * G * G
    m_bar = (1 - mu_t) * G / (1 - st['sched']) + mu_t1 * st['m'] / (1 - sched_next)
    return w - lr * m_bar / (np.sqrt(st['v'] / (1 - b2 ** t)) + eps)


def ref_adagrad(p, w, g, st, t, lr, wd, rg, c):
    G = _pclip(rg * g, c)
    st['h'] = st.get('h', 0) + G * G
    return w - lr * (G / np.sqrt(st['h'] + p.get('eps', 1e-7)) + wd * w)


def ref_adadelta(p, w, g, st, t, lr, wd, rg, c):
    rho, eps = p.get('rho', 0.9), p.get('epsilon', 1e-5)
    G = _pclip(rg * g, c)
    st['ag'] = rho * st.get('ag', 0) + (1 - rho) * G * G
    delta = np.sqrt(st.get('ad', 0) + eps) / np.sqrt(st['ag'] + eps) * G
    st['ad'] = rho * st.get('ad', 0) + (1 - rho) * delta * delta
    return w - (delta + wd * w)


def ref_rmsprop(p, w, g, st, t, lr, wd, rg, c):
    g1, g2, eps = p.get('gamma1', 0.9), p.get('gamma2', 0.9), p.get('epsilon', 1e-8)
    G = _kclip(rg * g + wd * w, c)
    st['n'] = (1 - g1) * G * G + g1 * st.get('n', 0)
    if p.get('centered'):
        st['g'] = (1 - g1) * G + g1 * st.get('g', 0)
        st['d'] = g2 * st.get('d', 0) - lr * G / np.sqrt(st['n'] - st['g'] ** 2 + eps)
        w = w + st['d']
    else:
        w = w - lr * G / np.sqrt(st['n'] + eps)
    cw = p.get('clip_weights')
    return np.clip(w, -cw, cw) if cw else w


def ref_ftml(p, w, g, st, t, lr, wd, rg, c):
    b1, b2, eps = p.get('beta1', 0.6), p.get('beta2', 0.999), p.get('epsilon', 1e-8)
    G = _kclip(rg * g + wd * w, c)
    st['v'] = b2 * st.get('v', 0) + (1 - b2) * G * G
    d_t = (1 - b1 ** t) / lr * (np.sqrt(st['v'] / (1 - b2 ** t)) + eps)
    st['z'] = b1 * st.get('z', 0) + (1 - b1) * G - (d_t - b1 * st.get('d', 0)) * w
    st['d'] = d_t
    return -st['z'] / d_t


def ref_ftrl(p, w, g, st, t, lr, wd, rg, c):
    l1, beta = p.get('lamda1', 0.01), p.get('beta', 1)
    G = _kclip(rg * g, c)
    n = st.get('n', 0)
    st['z'] = st.get('z', 0) + G - (np.sqrt(n + G * G) - np.sqrt(n)) * w / lr
    st['n'] = n + G * G
    z = st['z']
    return (np.sign(z) * l1 - z) / ((beta + np.sqrt(st['n'])) / lr + wd) * (np.abs(z) > l1)


def ref_lamb(p, w, g, st, t, lr, wd, rg, c):
    b1, b2, eps = p.get('beta1', 0.9), p.get('beta2', 0.999), p.get('epsilon', 1e-6)
    G = _kclip(rg * g, c)
    st['m'] = b1 * st.get('m', 0) + (1 - b1) * G
    st['v'] = b2 * st.get('v', 0) + (1 - b2) * G * G
    m, v = st['m'], st['v']
    if p.get('bias_correction', True):
        m, v = m / (1 - b1 ** t), v / (1 - b2 ** t)
    r = m / (np.sqrt(v) + eps) + wd * w
    r1, r2 = np.linalg.norm(w), np.linalg.norm(r)
    if p.get('lower_bound') is not None:
        r1 = max(r1, p['lower_bound'])
    if p.get('upper_bound') is not None:
        r1 = min(r1, p['upper_bound'])
    ratio = r1 / r2 if r1 > 0 and r2 > 0 else 1.0
    return w - lr * ratio * r


def ref_test(p, w, g, st, t, lr, wd, rg, c):
    return w + rg * g


# name, constructor kwargs, reference, default learning rate of the class
CONFIGS = [
    ('sgd', {}, ref_sgd, 0.01),
    ('sgd', {'momentum': 0.9}, ref_sgd, 0.01),
    ('nag', {}, ref_nag, 0.01),
    ('nag', {'momentum': 0.9}, ref_nag, 0.01),
    ('signum', {'momentum': 0.9, 'wd_lh': 0.01}, ref_signum, 0.01),
    ('signum', {'momentum': 0.0}, ref_signum, 0.01),
    ('dcasgd', {}, ref_dcasgd, 0.01),
    ('dcasgd', {'momentum': 0.9, 'lamda': 0.5}, ref_dcasgd, 0.01),
    ('adam', {}, ref_adam, 0.001),
    ('adamax', {}, ref_adamax, 0.002),
    ('nadam', {}, ref_nadam, 0.001),
    ('adagrad', {}, ref_adagrad, 0.01),
    ('adadelta', {}, ref_adadelta, 0.01),
    ('rmsprop', {}, ref_rmsprop, 0.001),
    ('rmsprop', {'centered': True, 'clip_weights': 0.6}, ref_rmsprop, 0.001),
    ('ftml', {}, ref_ftml, 0.01),
    ('ftrl', {}, ref_ftrl, 0.1),
    ('lamb', {}, ref_lamb, 0.001),
    ('lamb', {'bias_correction': False, 'lower_bound': 2.5, 'upper_bound': 3.0}, ref_lamb,
     0.001),
    ('test', {}, ref_test, 0.01),
]
VARIANTS = list(itertools.product([1.0, 0.25], [None, 0.3], [0.0, 0.05], [1.0, 0.5]))


def _run(name, kwargs, ref, default_lr, rescale, clip, wd, lr_mult, lr=None, steps=STEPS):
    rng = np.random.RandomState(hash((name, str(kwargs))) % 2 ** 31)
    w0 = rng.uniform(-1, 1, SHAPE)
    grads = [rng.uniform(-2, 2, SHAPE) for _ in range(steps)]
    args = dict(kwargs, rescale_grad=rescale, clip_gradient=clip, wd=wd,
                param_idx2name={0: 'fc_weight'})
    if lr is not None:
        args['learning_rate'] = lr
    opt = mx.optimizer.create(name, **args)
    opt.set_lr_mult({'fc_weight': lr_mult})
    weight = mx.nd.array(w0)
    buffer = weight._data
    state = opt.create_state(0, weight)
    expect, st = w0.copy(), {}
    base_lr = default_lr if lr is None else lr
    for t, g in enumerate(grads, 1):
        opt.update(0, weight, mx.nd.array(g), state)
        expect = ref(kwargs, expect, g, st, t, base_lr * lr_mult, wd, rescale, clip)
        np.testing.assert_allclose(weight.asnumpy(), expect, rtol=2e-4, atol=2e-5,
                                   err_msg='%s %s step %d' % (name, kwargs, t))
    assert weight._data is buffer, 'the update must write into the weight buffer'
    return opt, state


@pytest.mark.parametrize('rescale,clip,wd,lr_mult', VARIANTS)
@pytest.mark.parametrize('name,kwargs,ref,default_lr', CONFIGS,
                         ids=['%s-%d' % (c[0], i) for i, c in enumerate(CONFIGS)])
def test_update_matches_formula(name, kwargs, ref, default_lr, rescale, clip, wd, lr_mult):
    _run(name, kwargs, ref, default_lr, rescale, clip, wd, lr_mult)


@pytest.mark.parametrize('name,kwargs,ref,default_lr', CONFIGS[:4] + CONFIGS[8:9],
                         ids=lambda v: str(v) if isinstance(v, str) else None)
def test_update_with_given_learning_rate(name, kwargs, ref, default_lr):
    _run(name, kwargs, ref, default_lr, 0.5, None, 0.01, 1.0, lr=0.3, steps=5)


def test_momentum_state_is_mxnets():
    opt, state = _run('sgd', {'momentum': 0.9}, ref_sgd, 0.01, 1.0, None, 0.0, 1.0)
    assert isinstance(state, mx.nd.NDArray) and state.shape == SHAPE
    _, states = _run('adam', {}, ref_adam, 0.001, 1.0, None, 0.0, 1.0)
    assert isinstance(states, tuple) and len(states) == 2
    assert mx.optimizer.SGD().create_state(0, mx.nd.zeros((2,))) is None


def test_sgld_statistics():
    mx.random.seed(3)
    lr = 0.01
    opt = mx.optimizer.SGLD(learning_rate=lr, wd=0.1)
    w = mx.nd.ones((200, 100))
    g = mx.nd.ones((200, 100)) * 2
    opt.update(0, w, g, opt.create_state(0, w))
    delta = w.asnumpy() - 1.0
    drift = -lr / 2 * (2 + 0.1)
    assert abs(delta.mean() - drift) < 5e-3
    assert abs(delta.std() - math.sqrt(lr)) < 5e-3


# ---------------------------------------------------------------------- base behaviour
def test_create_and_registry():
    assert type(mx.optimizer.create('SGD')).__name__ == 'SGD'
    assert isinstance(mx.optimizer.Optimizer.create_optimizer('adam'), mx.optimizer.Adam)
    for name in ('sgd', 'nag', 'adam', 'adagrad', 'adadelta', 'rmsprop', 'adamax', 'nadam',
                 'signum', 'ftml', 'ftrl', 'sgld', 'dcasgd', 'lamb', 'ccsgd', 'test'):
        assert name in mx.optimizer.Optimizer.opt_registry
    with pytest.raises(MXNetError, match="did you mean 'adagrad'") as err:
        mx.optimizer.create('adagrd')
    assert isinstance(err.value, ValueError)
    assert mx.optimizer.FTRL is mx.optimizer.Ftrl
    assert mx.optimizer.optimizer.SGD is mx.optimizer.SGD


def test_defaults():
    assert mx.optimizer.SGD().lr == 0.01
    assert mx.optimizer.Adam().lr == 0.001
    assert mx.optimizer.RMSProp().gamma1 == 0.9 and mx.optimizer.RMSProp().lr == 0.001
    assert mx.optimizer.Ftrl().lr == 0.1
    assert mx.optimizer.Adamax().lr == 0.002
    opt = mx.optimizer.Optimizer()
    assert (opt.rescale_grad, opt.wd, opt.clip_gradient, opt.num_update) == (1.0, 0.0, None, 0)


def test_wd_only_for_weights_and_gammas_when_names_are_known():
    names = {0: 'fc_weight', 1: 'fc_bias', 2: 'bn_gamma', 3: 'bn_beta', 4: 'bn_moving_mean'}
    opt = mx.optimizer.SGD(wd=0.1, param_idx2name=names)
    assert [opt._get_wd(i) for i in range(5)] == [0.1, 0.0, 0.1, 0.0, 0.0]
    # without names every index gets wd
    assert mx.optimizer.SGD(wd=0.1)._get_wd(1) == 0.1
    w = mx.nd.ones((3,))
    opt.update(1, w, mx.nd.zeros((3,)), None)
    assert np.all(w.asnumpy() == 1.0)


def test_multipliers_from_symbol_attrs_and_args():
    weight = mx.sym.Variable('fc1_weight', lr_mult=2.0, wd_mult=0.5)
    net = mx.sym.FullyConnected(mx.sym.Variable('data'), weight=weight, num_hidden=3,
                                name='fc1')
    names = {0: 'fc1_weight', 1: 'fc1_bias'}
    opt = mx.optimizer.SGD(learning_rate=0.1, wd=0.01, sym=net, param_idx2name=names)
    assert opt._get_lr(0) == pytest.approx(0.2) and opt._get_wd(0) == pytest.approx(0.005)
    assert opt._get_lr(1) == pytest.approx(0.1) and opt._get_wd(1) == 0.0
    opt.set_lr_mult({'fc1_bias': 3.0})
    assert opt._get_lr(1) == pytest.approx(0.3)
    assert opt._get_lr(0) == pytest.approx(0.2)          # symbol attrs are kept
    opt.set_wd_mult({1: 2.0})                             # by index
    assert opt._get_wd(1) == pytest.approx(0.02)


def test_update_count_and_scheduler():
    sched = mx.lr_scheduler.FactorScheduler(step=2, factor=0.5, base_lr=1.0)
    opt = mx.optimizer.SGD(lr_scheduler=sched)
    assert opt.lr is None and opt.learning_rate == 1.0
    w, g = mx.nd.zeros((1,)), mx.nd.ones((1,))
    lrs = []
    for _ in range(5):
        before = w.asnumpy()[0]
        opt.update(0, w, g, None)
        lrs.append(before - w.asnumpy()[0])
    np.testing.assert_allclose(lrs, [1, 1, 0.5, 0.5, 0.25], rtol=1e-6)
    assert opt.num_update == 5 and opt._index_update_count == {0: 5}
    with pytest.raises(UserWarning):
        opt.set_learning_rate(0.1)
    plain = mx.optimizer.SGD(learning_rate=0.1)
    plain.set_learning_rate(0.2)
    assert plain.learning_rate == 0.2


def test_learning_rate_overrides_scheduler_base_lr():
    sched = mx.lr_scheduler.FactorScheduler(step=10, base_lr=0.5)
    with pytest.warns(UserWarning, match='overwritten'):
        mx.optimizer.Adam(lr_scheduler=sched)        # Adam passes its 0.001 default
    assert sched.base_lr == 0.001


def test_begin_num_update_and_devices():
    opt = mx.optimizer.Adam(begin_num_update=10)
    w = mx.nd.zeros((2,))
    opt.update(0, w, mx.nd.ones((2,)), opt.create_state(0, w))
    assert opt._index_update_count[0] == 11 and opt.num_update == 11
    opt._set_current_context(1)
    opt._update_count(0)
    assert opt._all_index_update_counts == {0: {0: 11}, 1: {0: 11}}


def test_bad_update_changes_nothing():
    opt = mx.optimizer.SGD(momentum=0.9)
    w = mx.nd.ones((2, 3))
    state = opt.create_state(0, w)
    with pytest.raises(MXNetError, match=r'weight has shape \(2, 3\) but grad has shape'):
        opt.update(0, w, mx.nd.ones((3, 2)), state)
    assert np.all(w.asnumpy() == 1) and np.all(state.asnumpy() == 0)
    assert opt.num_update == 0
    with pytest.raises(TypeError):
        opt.update(0, w, np.ones((2, 3)), state)


def test_updates_do_not_touch_the_gradient():
    for name in ('sgd', 'adam', 'rmsprop', 'adadelta', 'ftrl', 'lamb'):
        opt = mx.optimizer.create(name, rescale_grad=0.5, wd=0.1)
        w, g = mx.nd.ones((3,)), mx.nd.array([1.0, -2.0, 3.0])
        opt.update(0, w, g, opt.create_state(0, w))
        assert g.asnumpy().tolist() == [1.0, -2.0, 3.0], name


@pytest.mark.parametrize('name,kwargs', [('sgd', {'momentum': 0.9}), ('sgd', {}),
                                         ('nag', {'momentum': 0.9}), ('adam', {})])
def test_multi_precision(name, kwargs):
    w16 = mx.nd.array(np.linspace(-1, 1, 6).reshape(2, 3), dtype='float16')
    g16 = mx.nd.array(np.full((2, 3), 0.01), dtype='float16')
    opt = mx.optimizer.create(name, multi_precision=True, learning_rate=0.1, **kwargs)
    ref = mx.optimizer.create(name, learning_rate=0.1, **kwargs)
    w32 = w16.astype('float32')
    state = opt.create_state_multi_precision(0, w16)
    ref_state = ref.create_state(0, w32)
    masters = [s for s in (state if isinstance(state, tuple) else ())
               if isinstance(s, mx.nd.NDArray) and s.shape == w16.shape
               and s.dtype == np.float32 and np.allclose(s.asnumpy(), w32.asnumpy())]
    assert masters, 'multi-precision state must hold a float32 master copy'
    if name in ('sgd', 'nag'):          # MXNet's order for these two: (momentum, weight32)
        assert state[1] is masters[0]
    for _ in range(3):
        opt.update_multi_precision(0, w16, g16, state)
        ref.update(0, w32, g16.astype('float32'), ref_state)
    assert w16.dtype == np.float16
    np.testing.assert_allclose(w16.asnumpy(), w32.asnumpy().astype(np.float16), atol=1e-3)


# ---------------------------------------------------------------------- Updater and states
def test_updater_lists_and_states_roundtrip():
    opt = mx.optimizer.SGD(learning_rate=0.1, momentum=0.9)
    updater = mx.optimizer.get_updater(opt)
    ws = [mx.nd.ones((2,)), mx.nd.ones((3,))]
    gs = [mx.nd.ones((2,)), mx.nd.ones((3,)) * 2]
    updater([0, 1], gs, ws)
    updater((0, 1), gs, ws)
    np.testing.assert_allclose(ws[0].asnumpy(), 1 - 0.1 - 0.19, rtol=1e-6)
    blob = updater.get_states()
    other = mx.optimizer.get_updater(mx.optimizer.SGD(learning_rate=0.1, momentum=0.9))
    other.set_states(blob)
    assert sorted(other.states) == [0, 1]
    np.testing.assert_allclose(other.states[1].asnumpy(), updater.states[1].asnumpy())
    assert other.get_states() == blob


def test_states_with_optimizer_roundtrip():
    sched = mx.lr_scheduler.MultiFactorScheduler(step=[2], factor=0.1, base_lr=0.5)
    opt = mx.optimizer.Adam(learning_rate=0.5, lr_scheduler=sched, wd=0.01,
                            param_idx2name={0: 'a_weight'})
    updater = mx.optimizer.get_updater(opt)
    w = mx.nd.ones((2,))
    for _ in range(3):
        updater(0, mx.nd.ones((2,)), w)
    blob = updater.get_states(dump_optimizer=True)
    assert b'mxnet.optimizer.optimizer' in blob and b'mxnet.lr_scheduler' in blob
    fresh = mx.optimizer.get_updater(mx.optimizer.SGD())
    fresh.set_states(blob)
    got = fresh.optimizer
    assert isinstance(got, mx.optimizer.Adam) and got.num_update == 3
    assert isinstance(got.lr_scheduler, mx.lr_scheduler.MultiFactorScheduler)
    assert got.idx2name == {0: 'a_weight'} and got.param_dict == {}
    w2 = w.copy()
    fresh(0, mx.nd.ones((2,)), w2)
    updater(0, mx.nd.ones((2,)), w)
    np.testing.assert_allclose(w2.asnumpy(), w.asnumpy())


def test_mxnet_states_file_roundtrips_byte_for_byte(reference):
    blob = (reference / 'checkpoints' / 'mlp-withopt-0001.states').read_bytes()
    updater = mx.optimizer.get_updater(mx.optimizer.SGD(momentum=0.9))
    updater.set_states(blob)
    assert sorted(updater.states) == list(range(6))
    assert updater.states[0].shape == (128, 784)
    assert updater.get_states() == blob


def test_states_refuse_foreign_classes_and_garbage():
    updater = mx.optimizer.get_updater(mx.optimizer.SGD())
    evil = pickle.dumps({0: collections.OrderedDict(a=1)})
    with pytest.raises(MXNetError, match='refusing to unpickle collections.OrderedDict'):
        updater.set_states(evil)
    with pytest.raises(MXNetError, match='cannot load optimizer states'):
        updater.set_states(b'not a pickle')
    with pytest.raises(TypeError):
        updater.set_states(12)
    assert updater.states == {}


# ---------------------------------------------------------------------- golden SGD step
def _fix_gamma_names(symbol_json):
    nodes = json.loads(symbol_json)['nodes']
    names = set()
    for node in nodes:
        if node['op'] == 'BatchNorm' and node.get('attrs', {}).get('fix_gamma', 'True') == 'True':
            gamma = nodes[node['inputs'][1][0]]['name']
            names.add(gamma)
    return names


def _golden_models(golden):
    manifest = json.loads((golden / 'models' / 'manifest.json').read_text())
    return [m for m in manifest['models'] if 'grads' in m['files']]


def test_golden_one_sgd_step(golden):
    """Module's update (SGD lr 0.1, momentum 0.9, wd 1e-4, fresh momentum) on every model."""
    models = _golden_models(golden)
    assert models
    for model in models:
        files = {k: golden / 'models' / v for k, v in model['files'].items()}
        params = mx.nd.load(str(files['params']))
        grads = mx.nd.load(str(files['grads']))
        updated = mx.nd.load(str(files['updated']))
        fixed = _fix_gamma_names(files['symbol'].read_text())
        names = [n for n in model['arg_names'] if 'arg:' + n in params]
        opt = mx.optimizer.create('sgd', learning_rate=0.1, momentum=0.9, wd=1e-4,
                                  rescale_grad=model['rescale_grad'],
                                  param_idx2name=dict(enumerate(names)))
        updater = mx.optimizer.get_updater(opt)
        weights = [params['arg:' + n].copy() for n in names]
        for n, w in zip(names, weights):
            if n in fixed:
                w[:] = 1.0          # BatchNorm(fix_gamma) writes ones into gamma in forward
        updater(list(range(len(names))), [grads[n] for n in names], weights)
        tol = model['train_step_tolerance']['updated']
        for n, w in zip(names, weights):
            np.testing.assert_allclose(w.asnumpy(), updated['arg:' + n].asnumpy(),
                                       rtol=tol['rtol'], atol=tol['atol'],
                                       err_msg='%s: %s' % (model['name'], n))


# ---------------------------------------------------------------------- lr schedulers
def _warm(n, steps, begin, final, mode):
    return begin + (final - begin) * n / steps if mode == 'linear' else begin


@pytest.mark.parametrize('mode', ['linear', 'constant'])
def test_factor_scheduler(mode):
    s = mx.lr_scheduler.FactorScheduler(step=3, factor=0.5, stop_factor_lr=0.1, base_lr=1.0,
                                        warmup_steps=4, warmup_begin_lr=0.2,
                                        warmup_mode=mode)
    for n in range(0, 30):
        if n < 4:
            expect = _warm(n, 4, 0.2, 1.0, mode)
        else:
            expect = max(1.0 * 0.5 ** max(0, math.ceil((n - 3) / 3)), 0.1)
        assert s(n) == pytest.approx(expect), n


def test_multifactor_scheduler():
    s = mx.lr_scheduler.MultiFactorScheduler(step=[5, 8], factor=0.1, base_lr=1.0,
                                             warmup_steps=2, warmup_begin_lr=0.5)
    got = [s(n) for n in range(12)]
    expect = [0.5, 0.75] + [1.0] * 4 + [0.1] * 3 + [0.01] * 3
    np.testing.assert_allclose(got, expect, rtol=1e-9)
    # jumping ahead applies every missed step (resuming training)
    s2 = mx.lr_scheduler.MultiFactorScheduler(step=[5, 8], factor=0.1, base_lr=1.0)
    assert s2(20) == pytest.approx(0.01)


@pytest.mark.parametrize('warmup', [0, 3])
def test_poly_and_cosine_schedulers(warmup):
    poly = mx.lr_scheduler.PolyScheduler(max_update=20, base_lr=2.0, pwr=2, final_lr=0.1,
                                         warmup_steps=warmup, warmup_begin_lr=0.5)
    cos = mx.lr_scheduler.CosineScheduler(max_update=20, base_lr=2.0, final_lr=0.1,
                                          warmup_steps=warmup, warmup_begin_lr=0.5)
    for n in range(25):
        if n < warmup:
            assert poly(n) == pytest.approx(_warm(n, warmup, 0.5, 2.0, 'linear'))
            assert cos(n) == pytest.approx(_warm(n, warmup, 0.5, 2.0, 'linear'))
            continue
        frac = (min(n, 20) - warmup) / (20 - warmup)
        assert poly(n) == pytest.approx(0.1 + 1.9 * (1 - frac) ** 2), n
        assert cos(n) == pytest.approx(0.1 + 1.9 * (1 + math.cos(math.pi * frac)) / 2), n


def test_poly_keeps_its_original_base_lr_under_an_optimizer():
    poly = mx.lr_scheduler.PolyScheduler(max_update=10, base_lr=1.0, pwr=1)
    with pytest.warns(UserWarning):
        opt = mx.optimizer.SGD(learning_rate=0.5, lr_scheduler=poly)
    assert poly.base_lr == 0.5
    opt.num_update = 5
    assert opt.learning_rate == pytest.approx(0.5)    # decays from the original 1.0


def test_scheduler_errors():
    with pytest.raises(ValueError):
        mx.lr_scheduler.FactorScheduler(step=0)
    with pytest.raises(ValueError):
        mx.lr_scheduler.FactorScheduler(step=2, factor=1.5)
    with pytest.raises(ValueError):
        mx.lr_scheduler.MultiFactorScheduler(step=[3, 3])
    with pytest.raises(ValueError):
        mx.lr_scheduler.PolyScheduler(max_update=0)
    with pytest.raises(ValueError):
        mx.lr_scheduler.LRScheduler(base_lr=0.1, warmup_begin_lr=0.2)
    with pytest.raises(ValueError):
        mx.lr_scheduler.LRScheduler(warmup_mode='cubic')
    with pytest.raises(NotImplementedError):
        mx.lr_scheduler.LRScheduler()(1)


@pytest.mark.parametrize('name', ['sgd', 'nag', 'adam', 'rmsprop'])
def test_list_update_equals_one_by_one(name):
    """update_multi_precision with lists (as Module/Updater may pass) updates every
    weight exactly as separate calls do."""
    shapes = [(3,), (2, 4)]
    results = []
    for together in (True, False):
        opt = mx.optimizer.create(name, learning_rate=0.1, momentum=0.9) \
            if name in ('sgd', 'nag') else mx.optimizer.create(name, learning_rate=0.1)
        ws = [mx.nd.array(np.arange(np.prod(s), dtype=np.float32).reshape(s)) for s in shapes]
        states = [opt.create_state_multi_precision(i, w) for i, w in enumerate(ws)]
        for step in range(2):
            gs = [mx.nd.array(np.random.RandomState(step + i).randn(*s))
                  for i, s in enumerate(shapes)]
            if together:
                opt.update_multi_precision([0, 1], ws, gs, states)
            else:
                for i in range(2):
                    opt.update_multi_precision(i, ws[i], gs[i], states[i])
        results.append([w.asnumpy() for w in ws])
    for a, b in zip(*results):
        np.testing.assert_allclose(a, b, rtol=1e-6)


@pytest.mark.parametrize('momentum', [0.0, 0.9])
def test_sgd_multi_precision_matches_the_mp_update_operator(momentum):
    """SGD with float16 weights and a float32 master copy steps exactly as MXNet's
    mp_sgd(_mom)_update kernels: the float16 gradient is read as float32."""
    rng = np.random.RandomState(3)
    w16 = mx.nd.array(rng.randn(300), dtype='float16')
    g16 = mx.nd.array(rng.randn(300) * 3, dtype='float16')
    opt = mx.optimizer.SGD(learning_rate=0.37, momentum=momentum, wd=0.01,
                           multi_precision=True, rescale_grad=0.5)
    state = opt.create_state_multi_precision(0, w16)
    ref_w, ref_w32 = w16.copy(), w16.astype('float32')
    ref_mom = mx.nd.zeros(300)
    for _ in range(3):
        opt.update_multi_precision(0, w16, g16, state)
        kw = dict(lr=0.37, wd=0.01, rescale_grad=0.5, out=ref_w)
        if momentum:
            mx.nd.mp_sgd_mom_update(ref_w, g16, ref_mom, ref_w32, momentum=momentum, **kw)
        else:
            mx.nd.mp_sgd_update(ref_w, g16, ref_w32, **kw)
    master = state[1]
    np.testing.assert_array_equal(master.asnumpy(), ref_w32.asnumpy())
    np.testing.assert_array_equal(w16.asnumpy(), ref_w.asnumpy())
