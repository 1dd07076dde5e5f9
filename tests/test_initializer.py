"""mx.init: shapes and statistics of the random initializers, name dispatch, the
``__init__`` attribute, dumps/create round trips, Load, Mixed and FusedRNN's packing.

Random values come from np.random (seeded by mx.random.seed), so statistics -- not
MXNet's exact numbers -- are checked.
"""
import logging
import math

import numpy as np
import pytest

import mxlite as mx
from mxlite.base import MXNetError

Desc = mx.init.InitDesc


def _fill(init, name, shape, dtype='float32', attrs=None):
    arr = mx.nd.full(shape, 7.0, dtype=dtype)
    init(Desc(name, attrs=attrs), arr)
    return arr.asnumpy()


# (initializer, weight shape, check(values))
def _uniform_check(bound):
    def check(v):
        assert np.abs(v).max() <= bound * (1 + 1e-6)
        assert abs(v.mean()) < bound * 0.05
        assert v.std() == pytest.approx(bound / math.sqrt(3), rel=0.05)
    return check


def _normal_check(sigma):
    def check(v):
        assert abs(v.mean()) < sigma * 0.05
        assert v.std() == pytest.approx(sigma, rel=0.05)
    return check


def _xavier_scale(shape, factor_type, magnitude):
    hw = float(np.prod(shape[2:])) if len(shape) > 2 else 1.0
    fan_in, fan_out = shape[1] * hw, shape[0] * hw
    factor = {'avg': (fan_in + fan_out) / 2, 'in': fan_in, 'out': fan_out}[factor_type]
    return math.sqrt(magnitude / factor)


RANDOM_CASES = [
    (mx.init.Uniform(), (200, 100), _uniform_check(0.07)),
    (mx.init.Uniform(scale=0.5), (50, 20, 3, 3), _uniform_check(0.5)),
    (mx.init.Normal(), (200, 100), _normal_check(0.01)),
    (mx.init.Normal(sigma=2.0), (100, 50, 2), _normal_check(2.0)),
    (mx.init.Xavier(), (300, 100), _uniform_check(_xavier_scale((300, 100), 'avg', 3))),
    (mx.init.Xavier(rnd_type='gaussian', factor_type='in', magnitude=2), (64, 32, 3, 3),
     _normal_check(_xavier_scale((64, 32, 3, 3), 'in', 2))),
    (mx.init.Xavier(factor_type='out', magnitude=6), (40, 500),
     _uniform_check(_xavier_scale((40, 500), 'out', 6))),
    (mx.init.MSRAPrelu(), (128, 64, 3, 3),
     _normal_check(_xavier_scale((128, 64, 3, 3), 'avg', 2 / (1 + 0.25 ** 2)))),
    (mx.init.MSRAPrelu(factor_type='in', slope=0.0), (256, 300),
     _normal_check(_xavier_scale((256, 300), 'in', 2.0))),
]


@pytest.mark.parametrize('init,shape,check', RANDOM_CASES,
                         ids=['%s-%d' % (type(c[0]).__name__, i)
                              for i, c in enumerate(RANDOM_CASES)])
@pytest.mark.parametrize('dtype', ['float32', 'float64'])
def test_random_weights(init, shape, check, dtype):
    values = _fill(init, 'conv_weight', shape, dtype)
    assert values.shape == shape and values.dtype == np.dtype(dtype)
    check(values.astype(np.float64))


@pytest.mark.parametrize('shape,scale,rand_type', [((8, 20), 1.414, 'uniform'),
                                                   ((20, 8), 1.0, 'normal'),
                                                   ((6, 2, 3, 3), 0.5, 'uniform')])
def test_orthogonal(shape, scale, rand_type):
    v = _fill(mx.init.Orthogonal(scale=scale, rand_type=rand_type), 'fc_weight', shape)
    flat = v.reshape(shape[0], -1).astype(np.float64) / scale
    gram = flat @ flat.T if flat.shape[0] <= flat.shape[1] else flat.T @ flat
    np.testing.assert_allclose(gram, np.eye(gram.shape[0]), atol=1e-5)


def test_seeded_draws_repeat():
    mx.random.seed(11)
    a = _fill(mx.init.Xavier(), 'fc_weight', (5, 6))
    mx.random.seed(11)
    b = _fill(mx.init.Xavier(), 'fc_weight', (5, 6))
    np.testing.assert_array_equal(a, b)


def test_constant_zero_one():
    assert np.all(_fill(mx.init.Zero(), 'w_weight', (3, 2)) == 0)
    assert np.all(_fill(mx.init.One(), 'w_weight', (3, 2)) == 1)
    assert np.all(_fill(mx.init.Constant(0.25), 'w_weight', (3, 2)) == 0.25)
    row = _fill(mx.init.Constant(mx.nd.array([1, 2])), 'w_weight', (3, 2))
    assert row.tolist() == [[1, 2]] * 3
    assert mx.init.Constant(np.array([1.5, 2.0])).dumps() == \
        '["constant", {"value": [1.5, 2.0]}]'


def test_bilinear_matches_loop_formula():
    shape = (2, 1, 4, 5)
    got = _fill(mx.init.Bilinear(), 'up_weight', shape)
    f = math.ceil(shape[3] / 2.)
    c = (2 * f - 1 - f % 2) / (2. * f)
    expect = np.zeros(int(np.prod(shape)), dtype='float32')
    for i in range(expect.size):
        x = i % shape[3]
        y = (i // shape[3]) % shape[2]
        expect[i] = (1 - abs(x / f - c)) * (1 - abs(y / f - c))
    np.testing.assert_allclose(got, expect.reshape(shape), rtol=1e-6)


def test_lstm_bias():
    v = _fill(mx.init.LSTMBias(forget_bias=2.0), 'lstm_bias', (12,), attrs=None)
    assert v.tolist() == [0.0] * 12        # the name ends in bias: zero, not LSTMBias
    desc_attrs = {'__init__': mx.init.LSTMBias(forget_bias=2.0).dumps()}
    v = _fill(mx.init.Xavier(), 'lstm_i2h_bias', (12,), attrs=desc_attrs)
    assert v.tolist() == [0] * 3 + [2] * 3 + [0] * 6


# ---------------------------------------------------------------------- dispatch
DISPATCH = [('fc1_bias', 0.0), ('bn_gamma', 1.0), ('bn_beta', 0.0), ('bn_moving_mean', 0.0),
            ('bn_moving_var', 1.0), ('bn_moving_inv_var', 0.0), ('bn_moving_avg', 0.0),
            ('data_min', 0.0), ('data_max', 1.0), ('fc1_weight', 0.5)]


@pytest.mark.parametrize('name,value', DISPATCH)
@pytest.mark.parametrize('as_desc', [True, False])
def test_name_dispatch(name, value, as_desc):
    arr = mx.nd.full((3, 4), 7.0)
    init = mx.init.Constant(0.5)
    init(Desc(name) if as_desc else name, arr)
    assert np.all(arr.asnumpy() == value)


def test_legacy_name_patterns():
    init = mx.init.Uniform()
    arr = mx.nd.zeros((1, 1, 4, 4))
    init('upsampling0_weight', arr)
    np.testing.assert_allclose(arr.asnumpy(), _fill(mx.init.Bilinear(), 'up_weight', (1, 1, 4, 4)))
    loc = mx.nd.ones((6,))
    init('stn_loc_bias', loc)
    assert loc.asnumpy().tolist() == [1, 0, 0, 0, 1, 0]
    w = mx.nd.ones((6, 3))
    init('stn_loc_weight', w)
    assert np.all(w.asnumpy() == 0)


def test_unknown_names_and_bad_arguments():
    with pytest.raises(ValueError, match='Unknown initialization pattern for foo'):
        mx.init.Uniform()(Desc('foo'), mx.nd.zeros((2,)))
    with pytest.raises(ValueError, match='Unknown initialization pattern'):
        mx.init.Uniform()('foo', mx.nd.zeros((2,)))
    with pytest.raises(ValueError, match='requires at least 2D'):
        mx.init.Xavier()(Desc('fc_weight'), mx.nd.zeros((3,)))
    with pytest.raises(TypeError):
        mx.init.Uniform()('fc_weight', np.zeros((2,)))
    with pytest.raises(ValueError, match='factor type'):
        mx.init.Xavier(factor_type='sum')(Desc('fc_weight'), mx.nd.zeros((3, 3)))


def test_init_attribute_overrides_name():
    arr = mx.nd.full((2, 2), 7.0)
    mx.init.Xavier()(Desc('fc_weight', attrs={'__init__': '["zero", {}]'}), arr)
    assert np.all(arr.asnumpy() == 0)
    # a bias with a Constant initializer attached to its variable
    bias = mx.sym.Variable('fc_bias', init=mx.init.Constant(0.3))
    attrs = bias.attr_dict()['fc_bias']
    arr = mx.nd.zeros((3,))
    mx.init.Uniform()(Desc('fc_bias', attrs=attrs), arr)
    np.testing.assert_allclose(arr.asnumpy(), 0.3)


def test_batchnorm_aux_attrs_from_symbol():
    net = mx.sym.BatchNorm(mx.sym.Variable('data'), name='bn')
    attrs = net.attr_dict()
    init = mx.init.Xavier()
    mean, var = mx.nd.full((4,), 5.0), mx.nd.full((4,), 5.0)
    init(Desc('bn_moving_mean', attrs=attrs.get('bn_moving_mean', {})), mean)
    init(Desc('bn_moving_var', attrs=attrs.get('bn_moving_var', {})), var)
    assert np.all(mean.asnumpy() == 0) and np.all(var.asnumpy() == 1)


def test_global_init_is_recorded():
    desc = Desc('fc_weight')
    init = mx.init.Normal()
    init(desc, mx.nd.zeros((2, 2)))
    assert desc.global_init is init


# ---------------------------------------------------------------------- registry
ALL_INITS = [mx.init.Zero(), mx.init.One(), mx.init.Constant(3.0), mx.init.Uniform(0.2),
             mx.init.Normal(0.3), mx.init.Orthogonal(scale=2.0, rand_type='normal'),
             mx.init.Xavier('gaussian', 'in', 2), mx.init.MSRAPrelu('out', 0.1),
             mx.init.Bilinear(), mx.init.LSTMBias(0.5),
             mx.init.FusedRNN(mx.init.Xavier(), 4, 2, 'lstm', True, 1.5)]


@pytest.mark.parametrize('init', ALL_INITS, ids=lambda i: type(i).__name__)
def test_dumps_create_roundtrip(init):
    text = init.dumps()
    again = mx.init.create(text)
    assert type(again) is type(init)
    assert again.dumps() == text


def test_create_forms():
    init = mx.init.Normal()
    assert mx.init.create(init) is init
    assert isinstance(mx.init.create('zeros'), mx.init.Zero)
    assert isinstance(mx.init.create('ONES'), mx.init.One)
    assert mx.init.create('xavier', magnitude=4).magnitude == 4.0
    assert mx.init.create('{"initializer": "normal", "sigma": 0.5}').sigma == 0.5
    with pytest.raises(MXNetError, match="did you mean 'xavier'") as err:
        mx.init.create('xavir')
    assert isinstance(err.value, ValueError)
    assert mx.init.Xavier().dumps() == \
        '["xavier", {"rnd_type": "uniform", "factor_type": "avg", "magnitude": 3}]'
    assert mx.init.MSRAPrelu().dumps() == \
        '["msraprelu", {"factor_type": "avg", "slope": 0.25}]'


def test_register_custom():
    @mx.init.register
    class Fives(mx.init.Initializer):
        def _init_weight(self, _, arr):
            arr[:] = 5
    arr = mx.nd.zeros((2,))
    mx.init.Uniform()(Desc('w_weight', attrs={'__init__': Fives().dumps()}), arr)
    assert arr.asnumpy().tolist() == [5, 5]
    with pytest.raises(TypeError):
        mx.init.register(object)


def test_verbose_logging(caplog):
    init = mx.init.One().set_verbosity(True)
    with caplog.at_level(logging.INFO):
        init(Desc('fc_weight'), mx.nd.zeros((4,)))
    assert 'Initialized fc_weight as weight: 1.0' in caplog.text


# ---------------------------------------------------------------------- Load / Mixed
def test_load(tmp_path):
    params = {'arg:fc_weight': mx.nd.ones((2, 3)) * 4, 'aux:bn_moving_var': mx.nd.ones((3,))}
    fname = str(tmp_path / 'p.params')
    mx.nd.save(fname, params)
    for source in (params, fname):
        init = mx.init.Load(source, default_init=mx.init.Constant(9), verbose=True)
        w, other = mx.nd.zeros((2, 3)), mx.nd.zeros((2,))
        init('fc_weight', w)
        init('other_weight', other)
        assert np.all(w.asnumpy() == 4) and np.all(other.asnumpy() == 9)
    with pytest.raises(MXNetError, match='Shape mismatch'):
        mx.init.Load(params)('fc_weight', mx.nd.zeros((3, 2)))
    with pytest.raises(MXNetError, match='no default Initializer'):
        mx.init.Load(params)('missing_weight', mx.nd.zeros((3, 2)))


def test_mixed():
    init = mx.init.Mixed(['.*_bias$', 'fc2_.*', '.*'],
                         [mx.init.Constant(1.0), mx.init.Constant(2.0), mx.init.Zero()])
    out = {}
    for name in ('fc2_bias', 'fc2_weight', 'fc1_weight'):
        arr = mx.nd.full((2,), 7.0)
        init(name, arr)
        out[name] = arr.asnumpy()[0]
    # Constant applies to the name's pattern: a *_bias gets the bias rule (0)
    assert out == {'fc2_bias': 0.0, 'fc2_weight': 2.0, 'fc1_weight': 0.0}
    with pytest.raises(ValueError, match='did not match any pattern'):
        mx.init.Mixed(['a'], [mx.init.Zero()])('b_weight', mx.nd.zeros((1,)))
    with pytest.raises(ValueError):
        mx.init.Mixed(['a', 'b'], [mx.init.Zero()])


# ---------------------------------------------------------------------- FusedRNN
def _rnn_pieces(mode, layers, inp, hidden, bidir):
    gates = {'rnn_relu': 1, 'rnn_tanh': 1, 'lstm': 4, 'gru': 3}[mode]
    dirs = 2 if bidir else 1
    weights, biases = [], []
    for layer in range(layers):
        width = inp if layer == 0 else hidden * dirs
        for _ in range(dirs):
            weights += [('i2h', gates * hidden * width), ('h2h', gates * hidden * hidden)]
            biases += [('i2h_b', gates * hidden), ('h2h_b', gates * hidden)]
    return gates, weights + biases


@pytest.mark.parametrize('mode,layers,bidir', [('lstm', 2, True), ('gru', 1, False),
                                               ('rnn_tanh', 3, False), ('lstm', 1, False)])
def test_fused_rnn_layout(mode, layers, bidir):
    inp, hidden = 5, 3
    gates, pieces = _rnn_pieces(mode, layers, inp, hidden, bidir)
    size = sum(n for _, n in pieces)
    init = mx.init.FusedRNN(mx.init.One(), hidden, layers, mode, bidirectional=bidir,
                            forget_bias=2.5)
    arr = mx.nd.full((size,), 7.0)
    init._init_weight(Desc('rnn_parameters'), arr)
    values = arr.asnumpy()
    pos = 0
    for kind, n in pieces:
        part = values[pos:pos + n]
        pos += n
        if kind in ('i2h', 'h2h'):
            assert np.all(part == 1), kind
        else:
            expect = np.zeros(n)
            if mode == 'lstm':                   # forget gate: second block of `hidden`
                expect[hidden:2 * hidden] = 2.5
            np.testing.assert_array_equal(part, expect)
    try:
        from mxlite.ops.rnn import rnn_param_size
    except ImportError:
        return
    assert rnn_param_size(mode, layers, inp, hidden, bidir) == size


def test_fused_rnn_uses_global_init_and_checks_size():
    init = mx.init.FusedRNN(None, 2, 1, 'gru')
    gates, pieces = _rnn_pieces('gru', 1, 4, 2, False)
    arr = mx.nd.zeros((sum(n for _, n in pieces),))
    mx.init.One()(Desc('gru_parameters', attrs={'__init__': init.dumps()}), arr)
    assert arr.asnumpy()[:gates * 2 * (4 + 2)].tolist() == [1.0] * (gates * 2 * 6)
    assert np.all(arr.asnumpy()[gates * 2 * 6:] == 0)
    with pytest.raises(MXNetError, match='FusedRNN'):
        init._init_weight(Desc('x'), mx.nd.zeros((7,)))
