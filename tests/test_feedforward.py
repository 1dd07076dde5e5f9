"""mx.model.FeedForward (MXNet's deprecated model API) over Module: training from arrays and
iterators, predict / score equal to Module's, checkpoints, create(), callbacks, errors."""
import doctest
import logging
import os
import pickle
import warnings

import numpy as np
import pytest

import mxlite as mx
import mxlite.feedforward as feedforward_module
from mxlite.base import MXNetError

CLASSES = 3


def mlp(data_name='data'):
    net = mx.sym.FullyConnected(mx.sym.var(data_name), num_hidden=16, name='fc1')
    net = mx.sym.Activation(net, act_type='relu', name='relu1')
    net = mx.sym.FullyConnected(net, num_hidden=CLASSES, name='fc2')
    return mx.sym.SoftmaxOutput(net, name='softmax')


def blobs(n, seed):
    """A separable problem: the class is the argmax of a fixed linear map, with a margin
    (points near a class boundary are left out)."""
    w = np.random.RandomState(0).randn(6, CLASSES).astype('float32')
    x = np.random.RandomState(seed).randn(4 * n, 6).astype('float32')
    scores = np.sort(x.dot(w), axis=1)
    x = x[scores[:, -1] - scores[:, -2] > 1.0][:n]
    assert len(x) == n
    return x, x.dot(w).argmax(axis=1).astype('float32')


X, Y = blobs(320, 1)
XV, YV = blobs(100, 2)


def make(symbol=None, **kwargs):
    """A FeedForward, its DeprecationWarning silenced (test_deprecation_warning checks it)."""
    kwargs.setdefault('num_epoch', 8)
    kwargs.setdefault('numpy_batch_size', 32)
    kwargs.setdefault('learning_rate', 0.3)
    kwargs.setdefault('momentum', 0.9)
    kwargs.setdefault('initializer', mx.init.Xavier())
    with warnings.catch_warnings():
        warnings.simplefilter('ignore', DeprecationWarning)
        return mx.model.FeedForward(mlp() if symbol is None else symbol, **kwargs)


def accuracy(probs, labels):
    return float((probs.argmax(axis=1) == labels).mean())


@pytest.fixture(scope='module')
def trained():
    np.random.seed(0)
    model = make()
    model.fit(X, Y)
    return model


def module_for(model, batch_size):
    """A plain Module holding `model`'s parameters: the reference for predict/score."""
    mod = mx.mod.Module(mlp())
    mod.bind(data_shapes=[('data', (batch_size, 6))],
             label_shapes=[('softmax_label', (batch_size,))], for_training=False)
    mod.set_params(model.arg_params, model.aux_params)
    return mod


# ---------------------------------------------------------------------- construction
def test_deprecation_warning_once_per_construction_at_the_callers_line():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always')
        model = mx.model.FeedForward(mlp(), num_epoch=1)
    deprecations = [w for w in caught if issubclass(w.category, DeprecationWarning)]
    assert len(deprecations) == 1
    assert 'FeedForward has been deprecated' in str(deprecations[0].message)
    assert 'mxnet.mod.Module' in str(deprecations[0].message)
    assert deprecations[0].filename == __file__
    assert model.ctx == [mx.cpu()] and model.arg_params is None and model.begin_epoch == 0
    assert isinstance(model.initializer, mx.init.Uniform)
    assert 'FeedForward' in mx.model.__all__


def test_keyword_arguments_go_to_the_optimizer(monkeypatch):
    import mxlite.optimizer as opt
    seen = {}
    real_create = opt.create

    def spy(name, **kwargs):
        seen.update(kwargs, name=name)
        return real_create(name, **kwargs)
    monkeypatch.setattr(opt, 'create', spy)
    model = make(num_epoch=1, learning_rate=0.05, momentum=0.8, wd=1e-3, numpy_batch_size=40)
    model.fit(X, Y)
    assert seen['name'] == 'sgd'
    assert (seen['learning_rate'], seen['momentum'], seen['wd']) == (0.05, 0.8, 1e-3)
    assert seen['rescale_grad'] == pytest.approx(1.0 / 40)    # 1/batch_size, as MXNet


def test_zero_learning_rate_keeps_given_parameters_and_initialises_the_rest():
    start = make(num_epoch=1)
    start.fit(X, Y)
    given = {'fc1_weight': start.arg_params['fc1_weight'],
             'fc1_bias': start.arg_params['fc1_bias'],
             'unused_weight': mx.nd.ones((2, 2))}     # dropped by fit, as MXNet does
    model = make(num_epoch=2, learning_rate=0.0, arg_params=given)
    model.fit(X, Y)
    assert sorted(model.arg_params) == ['fc1_bias', 'fc1_weight', 'fc2_bias', 'fc2_weight']
    for name in ('fc1_weight', 'fc1_bias'):
        np.testing.assert_array_equal(model.arg_params[name].asnumpy(), given[name].asnumpy())
    assert np.abs(model.arg_params['fc2_weight'].asnumpy()).sum() > 0   # initialised


# ---------------------------------------------------------------------- training
def test_fit_numpy_reaches_high_accuracy(trained):
    assert accuracy(trained.predict(XV), YV) > 0.95
    assert {k: v.shape for k, v in trained.arg_params.items()} == {
        'fc1_weight': (16, 6), 'fc1_bias': (16,), 'fc2_weight': (3, 16), 'fc2_bias': (3,)}
    assert trained.aux_params == {}


def test_fit_iterator_and_ndarray_input_and_column_labels():
    np.random.seed(1)
    model = make()
    model.fit(mx.io.NDArrayIter(X, Y, batch_size=32, shuffle=True))
    assert model.score(mx.io.NDArrayIter(XV, YV, batch_size=25)) > 0.95
    np.random.seed(1)
    model = make()
    model.fit(mx.nd.array(X), mx.nd.array(Y.reshape(-1, 1)))
    assert accuracy(model.predict(mx.nd.array(XV)), YV) > 0.95


def test_batch_norm_aux_params_are_trained_and_used():
    net = mx.sym.FullyConnected(mx.sym.var('data'), num_hidden=16, name='fc1')
    net = mx.sym.BatchNorm(net, name='bn1')
    net = mx.sym.Activation(net, act_type='relu')
    net = mx.sym.SoftmaxOutput(mx.sym.FullyConnected(net, num_hidden=CLASSES, name='fc2'),
                               name='softmax')
    np.random.seed(2)
    model = make(net, num_epoch=4, learning_rate=0.1)
    model.fit(X, Y)
    assert sorted(model.aux_params) == ['bn1_moving_mean', 'bn1_moving_var']
    assert np.abs(model.aux_params['bn1_moving_mean'].asnumpy()).sum() > 0
    assert accuracy(model.predict(XV), YV) > 0.9


def test_eval_data_pair_and_every_callback(caplog):
    batches, epochs, eval_ends, eval_batches = [], [], [], []

    def on_epoch(epoch, sym, arg, aux):
        epochs.append((epoch, sym is not None, sorted(arg), aux))

    def on_eval_end(param):
        eval_ends.append((param.epoch, param.eval_metric.get()[0]))
    np.random.seed(3)
    model = make(num_epoch=3, numpy_batch_size=64)
    with caplog.at_level(logging.INFO):
        model.fit(X, Y, eval_data=(XV, list(YV)), eval_metric='acc',
                  batch_end_callback=lambda p: batches.append((p.epoch, p.nbatch)),
                  epoch_end_callback=on_epoch, eval_end_callback=on_eval_end,
                  eval_batch_end_callback=lambda p: eval_batches.append(p.nbatch))
    assert batches == [(e, b) for e in range(3) for b in range(5)]    # 320 / 64
    assert [e[0] for e in epochs] == [0, 1, 2]
    assert epochs[0][1:] == (True, ['fc1_bias', 'fc1_weight', 'fc2_bias', 'fc2_weight'], {})
    assert eval_ends == [(0, 'accuracy'), (1, 'accuracy'), (2, 'accuracy')]
    assert eval_batches == [0, 1] * 3                                  # 100 / 64, padded
    validation = [r.getMessage() for r in caplog.records if 'Validation-' in r.getMessage()]
    assert [v.split(' ')[0] for v in validation] == ['Epoch[0]', 'Epoch[1]', 'Epoch[2]']
    assert float(validation[-1].split('=')[1]) > 0.9


def test_default_eval_end_callback_does_not_log_twice(caplog):
    np.random.seed(4)
    model = make(num_epoch=1)
    with caplog.at_level(logging.INFO):
        model.fit(X, Y, eval_data=(XV, YV),
                  eval_end_callback=mx.callback.LogValidationMetricsCallback())
    assert sum('Validation-accuracy' in r.getMessage() for r in caplog.records) == 1


def test_epoch_size_and_begin_epoch():
    seen = []
    model = make(num_epoch=4, epoch_size=3, begin_epoch=1, numpy_batch_size=64)
    np.random.seed(5)
    model.fit(X, Y, batch_end_callback=lambda p: seen.append((p.epoch, p.nbatch)))
    # 3 batches an epoch though one pass has 5; epochs 1..3
    assert seen == [(e, b) for e in (1, 2, 3) for b in range(3)]


def test_create_trains_and_returns_the_model():
    np.random.seed(6)
    with warnings.catch_warnings():
        warnings.simplefilter('ignore', DeprecationWarning)
        model = mx.model.FeedForward.create(mlp(), X, Y, num_epoch=8, learning_rate=0.3,
                                            momentum=0.9, numpy_batch_size=32,
                                            initializer=mx.init.Xavier(),
                                            eval_data=(XV, YV))
    assert isinstance(model, mx.model.FeedForward)
    assert model.numpy_batch_size == 32 and model.kwargs['learning_rate'] == 0.3
    assert accuracy(model.predict(XV), YV) > 0.95


# ---------------------------------------------------------------------- inference
@pytest.mark.parametrize('batch_size', [32, 100, 128])
def test_predict_equals_module_predict(trained, batch_size):
    trained.numpy_batch_size = batch_size
    try:
        out = trained.predict(XV)
    finally:
        trained.numpy_batch_size = 32
    size = min(batch_size, len(XV))
    ref = module_for(trained, size).predict(mx.io.NDArrayIter(XV, YV, batch_size=size))
    assert isinstance(out, np.ndarray) and out.shape == (len(XV), CLASSES)
    np.testing.assert_array_equal(out, ref.asnumpy())
    # an iterator without labels works too (the loss layer's label is left unset)
    np.testing.assert_array_equal(trained.predict(mx.io.NDArrayIter(XV, batch_size=size)), out)


def test_predict_return_data_and_num_batch(trained):
    out, data, label = trained.predict(XV, return_data=True)
    np.testing.assert_array_equal(data, XV)                 # in order, padding removed
    np.testing.assert_array_equal(label, np.zeros(len(XV)))  # array X: zero labels, as MXNet
    it = mx.io.NDArrayIter(XV, YV, batch_size=32)
    out2, data2, label2 = trained.predict(it, num_batch=2, return_data=True)
    assert out2.shape == (64, CLASSES)
    np.testing.assert_array_equal(out2, out[:64])
    np.testing.assert_array_equal(label2, YV[:64])


def test_predict_several_outputs_gives_a_list(trained):
    net = mlp()
    group = mx.sym.Group([net, mx.sym.BlockGrad(net.get_internals()['fc2_output'], name='raw')])
    model = make(group, arg_params=trained.arg_params, aux_params={})
    probs, raw = model.predict(XV)
    np.testing.assert_allclose(probs, trained.predict(XV), rtol=1e-6)
    e = np.exp(raw - raw.max(axis=1, keepdims=True))
    np.testing.assert_allclose(probs, e / e.sum(axis=1, keepdims=True), rtol=1e-5, atol=1e-7)


def test_score_matches_predict_and_module_score(trained):
    it = mx.io.NDArrayIter(XV, YV, batch_size=20)
    value = trained.score(it)
    assert value == pytest.approx(accuracy(trained.predict(XV), YV))
    name_value = module_for(trained, 20).score(it, 'acc')
    assert name_value == [('accuracy', value)]
    calls = []
    composite = mx.metric.CompositeEvalMetric([mx.metric.Accuracy(), mx.metric.CrossEntropy()])
    values = trained.score(it, composite, num_batch=3,
                           batch_end_callback=lambda p: calls.append(p.nbatch))
    assert calls == [0, 1, 2] and len(values) == 2 and values[1] > 0


def test_predict_uses_current_params_after_refit(trained):
    model = make(num_epoch=1, arg_params=trained.arg_params, aux_params={})
    before = model.predict(XV)
    np.testing.assert_array_equal(before, trained.predict(XV))
    model.arg_params = {k: v * 0 for k, v in model.arg_params.items()}
    np.testing.assert_allclose(model.predict(XV), np.full((len(XV), CLASSES), 1 / CLASSES),
                               rtol=1e-6)


# ---------------------------------------------------------------------- files
def test_save_load_round_trip_and_continue_training(trained, tmp_path):
    prefix = str(tmp_path / 'mlp')
    trained.save(prefix)                                  # epoch defaults to num_epoch
    assert os.path.exists(prefix + '-symbol.json') and os.path.exists(prefix + '-0008.params')
    with warnings.catch_warnings():
        warnings.simplefilter('ignore', DeprecationWarning)
        loaded = mx.model.FeedForward.load(prefix, 8, numpy_batch_size=7, num_epoch=10,
                                           learning_rate=0.1)
    assert loaded.begin_epoch == 8 and loaded.numpy_batch_size == 7
    assert loaded.symbol.tojson() == trained.symbol.tojson()
    np.testing.assert_array_equal(loaded.predict(XV), trained.predict(XV))
    sym, args, auxs = mx.model.load_checkpoint(prefix, 8)
    assert sorted(args) == sorted(trained.arg_params) and auxs == {}
    epochs = []
    loaded.fit(X, Y, epoch_end_callback=lambda e, *_: epochs.append(e))
    assert epochs == [8, 9]
    trained.save(prefix, epoch=3)
    assert os.path.exists(prefix + '-0003.params')


def test_pickle_round_trip(trained):
    trained.predict(XV[:5])                   # leaves a bound predictor behind
    clone = pickle.loads(pickle.dumps(trained))
    np.testing.assert_array_equal(clone.predict(XV), trained.predict(XV))


# ---------------------------------------------------------------------- errors
ERRORS = [
    # (what is wrong, call, exception, message pattern)
    ('y missing with array X', lambda m: m.fit(X), ValueError, r'y \(the labels\) is missing'),
    ('sample counts differ', lambda m: m.fit(X, Y[:10]), ValueError,
     r'X has 320 samples but y has 10 labels'),
    ('2-D labels', lambda m: m.fit(X, np.zeros((320, 2))), ValueError,
     r'y has shape \(320, 2\); labels must be 1-D'),
    ('X a list', lambda m: m.fit(X.tolist(), Y), TypeError,
     r'X must be a DataIter, an NDArray or a numpy.ndarray, got list'),
    ('y a list', lambda m: m.fit(X, list(Y)), TypeError, r'y must be an NDArray or a numpy'),
    ('no samples', lambda m: m.fit(X[:0], Y[:0]), ValueError, r'X has no samples'),
    ('eval_data a dict', lambda m: m.fit(X, Y, eval_data={'x': XV}), TypeError,
     r'eval_data must be a DataIter or a pair'),
    ('eval_data without labels', lambda m: m.fit(X, Y, eval_data=(XV, None)), ValueError,
     r'y=None; validation needs the labels'),
    ('predict before fit', lambda m: m.predict(XV), MXNetError, r'no parameters; call fit'),
    ('score of an array', lambda m: m.score(XV), ValueError,
     r'X must be a DataIter that yields labels'),
]


@pytest.mark.parametrize('what,call,exc,pattern', ERRORS, ids=[e[0] for e in ERRORS])
def test_bad_input_errors_name_the_problem(what, call, exc, pattern):
    with pytest.raises(exc, match=pattern):
        call(make(num_epoch=1))


def test_missing_num_epoch_and_epoch_for_save(tmp_path):
    model = make(num_epoch=None)
    with pytest.raises(ValueError, match='num_epoch is not set'):
        model.fit(X, Y)
    with pytest.raises(ValueError, match='give epoch=N'):
        model.save(str(tmp_path / 'm'))


def test_inference_parameter_errors(trained):
    extra = dict(trained.arg_params, fc3_weight=mx.nd.ones((1,)))
    with pytest.raises(MXNetError, match=r"arg_params has 'fc3_weight'.*allow_extra_params"):
        make(arg_params=extra).predict(XV)
    np.testing.assert_array_equal(
        make(arg_params=extra, allow_extra_params=True).predict(XV), trained.predict(XV))
    partial = {k: v for k, v in trained.arg_params.items() if k != 'fc2_bias'}
    with pytest.raises(MXNetError, match=r"no value for 'fc2_bias'"):
        make(arg_params=partial).predict(XV)


def test_symbol_errors():
    with pytest.raises(MXNetError, match=r"data is named 'data' but the symbol has no such "
                                          r"input.*arguments: x, fc1_weight"):
        make(mlp('x')).fit(X, Y)
    data = mx.sym.var('data')
    a = mx.sym.FullyConnected(data, num_hidden=2, name='fc')
    b = mx.sym.FullyConnected(data, num_hidden=2, name='fc')
    with pytest.raises(MXNetError, match=r"several arguments named 'fc_bias', 'fc_weight'"):
        make(a + b)
    with pytest.raises(TypeError, match='BucketingModule'):
        make(lambda key: mlp())


def test_docstring_examples_run():
    assert doctest.testmod(feedforward_module).failed == 0
