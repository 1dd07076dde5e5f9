"""mx.optimizer.LARS against a float64 NumPy version of MXNet 1.9.1's documented formula.

A table of configurations (momentum, eta, eps) crossed with rescale_grad x clip_gradient x
wd x parameter name, several steps each; then momentum correction under a scheduler,
zero norms, multi-precision, the registry, bad calls and a Module.fit run.
"""
import itertools

import numpy as np
import pytest

import mxlite as mx
from mxlite.base import MXNetError

SHAPE = (4, 5)
STEPS = 4


def ref_lars(p, w, g, st, lr, wd, rg, clip, lars_on, momentum_scale=1.0):
    """One LARS step in float64; `st` carries the momentum between steps."""
    eta, eps = p.get('eta', 0.001), p.get('eps', 0.0)
    if lars_on:
        w_norm = np.sqrt((w * w).sum())
        g_norm = np.sqrt(((rg * g) ** 2).sum())
        if w_norm > 0 and g_norm > 0:
            lr = lr * eta * w_norm / (g_norm + wd * w_norm + eps)
    G = rg * g
    if clip:                       # MXNet passes clip_gradient only when it is truthy
        G = np.clip(G, -clip, clip)
    momentum = p.get('momentum', 0.0)
    if momentum == 0:
        return w - lr * (G + wd * w)
    st['mom'] = momentum * momentum_scale * st.get('mom', 0.0) - lr * (G + wd * w)
    return w + st['mom']


CONFIGS = [
    {},
    {'momentum': 0.9},
    {'momentum': 0.9, 'eta': 0.05, 'eps': 1e-3},
    {'eta': 0.02, 'eps': 0.5},
]
# name -> (does LARS scale it, does weight decay apply): MXNet's LARS decays only
# '_weight' names and leaves names ending in gamma/beta/bias at the plain rate
NAMES = {'fc_weight': (True, True), 'fc_bias': (False, False), 'bn_gamma': (False, False),
         'conv_kernel': (True, False), None: (True, True)}
VARIANTS = list(itertools.product([1.0, 0.25], [None, 0.3], [0.0, 0.05]))


def _run(kwargs, rescale, clip, wd, name, lr=2.0, lr_mult=1.0, steps=STEPS, seed=0):
    rng = np.random.RandomState(seed)
    w0 = rng.uniform(-1, 1, SHAPE)
    grads = [rng.uniform(-2, 2, SHAPE) for _ in range(steps)]
    idx2name = {} if name is None else {0: name}
    opt = mx.optimizer.create('lars', learning_rate=lr, rescale_grad=rescale,
                              clip_gradient=clip, wd=wd, param_idx2name=idx2name, **kwargs)
    opt.set_lr_mult({0: lr_mult})
    weight = mx.nd.array(w0)
    buffer = weight._data
    state = opt.create_state(0, weight)
    lars_on, decays = NAMES[name]
    expect, st = w0.copy(), {}
    for t, g in enumerate(grads, 1):
        opt.update(0, weight, mx.nd.array(g), state)
        expect = ref_lars(kwargs, expect, g, st, lr * lr_mult, wd if decays else 0.0,
                          rescale, clip, lars_on)
        np.testing.assert_allclose(weight.asnumpy(), expect, rtol=2e-5, atol=2e-6,
                                   err_msg='%s %s step %d' % (kwargs, name, t))
    assert weight._data is buffer, 'the update must write into the weight buffer'
    return opt, state


@pytest.mark.parametrize('rescale,clip,wd', VARIANTS)
@pytest.mark.parametrize('kwargs', CONFIGS, ids=lambda c: '-'.join(map(str, c.items())))
def test_update_matches_formula(kwargs, rescale, clip, wd):
    _run(kwargs, rescale, clip, wd, 'fc_weight')


@pytest.mark.parametrize('name', list(NAMES), ids=str)
@pytest.mark.parametrize('kwargs', CONFIGS[:2], ids=['plain', 'momentum'])
def test_names_choose_scaling_and_decay(kwargs, name):
    _run(kwargs, 0.5, None, 0.1, name, lr_mult=0.5)


def test_the_trust_ratio_changes_the_step():
    """A weight of norm 5 and a gradient of norm 1: the step is eta * 5 times SGD's."""
    opt = mx.optimizer.LARS(learning_rate=0.1, eta=0.01)
    w, g = mx.nd.array([3.0, 4.0]), mx.nd.array([0.6, 0.8])
    opt.update(0, w, g, opt.create_state(0, w))
    np.testing.assert_allclose(w.asnumpy(), [3 - 0.1 * 0.05 * 0.6, 4 - 0.1 * 0.05 * 0.8],
                               rtol=1e-6)


@pytest.mark.parametrize('zero', ['weight', 'grad'])
def test_zero_norm_keeps_the_plain_rate(zero):
    opt = mx.optimizer.LARS(learning_rate=0.5, eta=1e-6, momentum=0.9)
    w = mx.nd.zeros((3,)) if zero == 'weight' else mx.nd.array([1.0, 2.0, 3.0])
    g = mx.nd.zeros((3,)) if zero == 'grad' else mx.nd.array([1.0, 1.0, 1.0])
    before = w.asnumpy().copy()
    opt.update(0, w, g, opt.create_state(0, w))
    np.testing.assert_allclose(w.asnumpy(), before - 0.5 * g.asnumpy(), rtol=1e-6)


@pytest.mark.parametrize('correction', [True, False])
def test_momentum_correction_under_a_scheduler(correction):
    """Every parameter's momentum is scaled by lr_now / lr_before once the rate halves."""
    sched = mx.lr_scheduler.FactorScheduler(step=2, factor=0.5, base_lr=1.0)
    opt = mx.optimizer.LARS(learning_rate=1.0, lr_scheduler=sched, momentum=0.9, eta=0.1,
                            momentum_correction=correction)
    rng = np.random.RandomState(3)
    ws = [rng.uniform(-1, 1, (3, 2)), rng.uniform(-1, 1, (5,))]
    nds = [mx.nd.array(w) for w in ws]
    states = [opt.create_state(i, w) for i, w in enumerate(nds)]
    refs, sts = [w.copy() for w in ws], [{}, {}]
    last = [None, None]
    for _ in range(5):
        for i in range(2):
            g = rng.uniform(-1, 1, ws[i].shape)
            opt.update(i, nds[i], mx.nd.array(g), states[i])
            lr = sched(opt.num_update)
            scale = lr / last[i] if (correction and last[i]) else 1.0
            last[i] = lr
            refs[i] = ref_lars({'momentum': 0.9, 'eta': 0.1}, refs[i], g, sts[i], lr, 0.0,
                               1.0, None, True, momentum_scale=scale)
            np.testing.assert_allclose(nds[i].asnumpy(), refs[i], rtol=2e-5, atol=2e-6)
    assert opt.cur_lr == sched(opt.num_update) < 1.0


def test_multi_precision_updates_a_float32_master():
    w16 = mx.nd.array(np.linspace(-1, 1, 6).reshape(2, 3), dtype='float16')
    g16 = mx.nd.array(np.full((2, 3), 0.01), dtype='float16')
    opt = mx.optimizer.LARS(multi_precision=True, learning_rate=1.0, momentum=0.9, eta=0.1)
    ref = mx.optimizer.LARS(learning_rate=1.0, momentum=0.9, eta=0.1)
    w32 = w16.astype('float32')
    state = opt.create_state_multi_precision(0, w16)
    assert isinstance(state, tuple) and state[1].dtype == np.float32   # (mom, master)
    ref_state = ref.create_state(0, w32)
    for _ in range(3):
        opt.update_multi_precision(0, w16, g16, state)
        ref.update(0, w32, g16.astype('float32'), ref_state)
    assert w16.dtype == np.float16
    np.testing.assert_allclose(state[1].asnumpy(), w32.asnumpy(), rtol=1e-6)
    np.testing.assert_allclose(w16.asnumpy(), w32.asnumpy().astype(np.float16), atol=1e-3)


def test_registry_defaults_and_states():
    opt = mx.optimizer.create('LARS')
    assert type(opt) is mx.optimizer.LARS
    assert (opt.momentum, opt.lazy_update, opt.eta, opt.eps, opt.momentum_correction,
            opt.lr) == (0.0, True, 0.001, 0, True, 0.01)
    w = mx.nd.ones((2,))
    assert opt.create_state(0, w) is None
    mom = mx.optimizer.LARS(momentum=0.5).create_state(0, w)
    assert mom.shape == (2,) and not mom.asnumpy().any()


def test_list_update_equals_one_by_one():
    rng = np.random.RandomState(1)
    ws = [rng.uniform(-1, 1, s) for s in [(3,), (2, 2), (4,)]]
    gs = [rng.uniform(-1, 1, w.shape) for w in ws]
    names = {0: 'a_weight', 1: 'b_weight', 2: 'a_bias'}
    one = mx.optimizer.LARS(momentum=0.9, wd=0.01, param_idx2name=names, learning_rate=1.)
    many = mx.optimizer.LARS(momentum=0.9, wd=0.01, param_idx2name=names, learning_rate=1.)
    a = [mx.nd.array(w) for w in ws]
    b = [mx.nd.array(w) for w in ws]
    sa = [one.create_state(i, w) for i, w in enumerate(a)]
    sb = [many.create_state(i, w) for i, w in enumerate(b)]
    for _ in range(2):
        for i in range(3):
            one.update(i, a[i], mx.nd.array(gs[i]), sa[i])
        many.update([0, 1, 2], b, [mx.nd.array(g) for g in gs], sb)
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x.asnumpy(), y.asnumpy())


def test_updater_states_roundtrip():
    updater = mx.optimizer.get_updater(mx.optimizer.LARS(momentum=0.9, learning_rate=1.0))
    w = mx.nd.array([1.0, 2.0])
    updater(0, mx.nd.array([0.5, -0.5]), w)
    other = mx.optimizer.get_updater(mx.optimizer.LARS(momentum=0.9, learning_rate=1.0))
    other.set_states(updater.get_states())
    np.testing.assert_array_equal(other.states[0].asnumpy(), updater.states[0].asnumpy())


def test_bad_update_changes_nothing():
    opt = mx.optimizer.LARS(momentum=0.9)
    w = mx.nd.ones((2, 2))
    state = opt.create_state(0, w)
    with pytest.raises(MXNetError, match=r'LARS.update\(index=0\).*\(2, 2\).*\(3,\)'):
        opt.update(0, w, mx.nd.ones((3,)), state)
    with pytest.raises(TypeError, match='must be NDArrays'):
        opt.update(0, w, np.ones((2, 2)), state)
    assert w.asnumpy().tolist() == [[1, 1], [1, 1]] and not state.asnumpy().any()
    assert opt.num_update == 0


def test_module_fit_lowers_the_loss():
    rng = np.random.RandomState(7)
    W = rng.randn(10, 4).astype('float32')
    X = rng.randn(400, 10).astype('float32')
    y = X.dot(W).argmax(axis=1).astype('float32')
    net = mx.sym.FullyConnected(mx.sym.var('data'), num_hidden=16, name='fc1')
    net = mx.sym.Activation(net, act_type='relu')
    net = mx.sym.FullyConnected(net, num_hidden=4, name='fc2')
    net = mx.sym.SoftmaxOutput(net, name='softmax')
    train = mx.io.NDArrayIter(X, y, batch_size=50)
    mod = mx.mod.Module(net)
    mod.bind(data_shapes=train.provide_data, label_shapes=train.provide_label)
    mx.random.seed(1)
    mod.init_params(mx.init.Xavier())
    before = dict(mod.score(train, 'ce'))['cross-entropy']
    train.reset()
    mod.fit(train, num_epoch=8, optimizer='lars',
            optimizer_params={'learning_rate': 1.0, 'momentum': 0.9, 'eta': 0.01,
                              'wd': 1e-4})
    assert isinstance(mod._optimizer, mx.optimizer.LARS)
    after = dict(mod.score(train, 'ce'))['cross-entropy']
    assert after < 0.5 * before, (before, after)


def test_states_with_the_optimizer_round_trip():
    sched = mx.lr_scheduler.FactorScheduler(step=1, factor=0.5, base_lr=1.0)
    opt = mx.optimizer.LARS(momentum=0.9, eta=0.05, eps=1e-4, lr_scheduler=sched,
                            momentum_correction=False)
    updater = mx.optimizer.get_updater(opt)
    ws = [mx.nd.array([1.0, 2.0]), mx.nd.array([[0.5, -1.0]])]
    gs = [mx.nd.array([0.5, -0.5]), mx.nd.array([[0.1, 0.2]])]
    updater([0, 1], gs, ws)
    fresh = mx.optimizer.get_updater(mx.optimizer.SGD())
    fresh.set_states(updater.get_states(dump_optimizer=True))
    got = fresh.optimizer
    assert type(got) is mx.optimizer.LARS
    assert (got.momentum, got.eta, got.eps, got.momentum_correction, got.cur_lr) == \
        (0.9, 0.05, 1e-4, False, opt.cur_lr)
    copies = [w.copy() for w in ws]
    for _ in range(2):
        updater([0, 1], gs, ws)
        fresh([0, 1], gs, copies)
    for w, c in zip(ws, copies):
        np.testing.assert_array_equal(w.asnumpy(), c.asnumpy())
