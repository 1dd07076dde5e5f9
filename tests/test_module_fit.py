"""Module: the two classic tutorial programs, MXNet's fit log, several contexts, errors."""
import logging
import re

import numpy as np
import pytest

import mxlite as mx
from mxlite.base import MXNetError


def mlp_sym(hidden=(16,), classes=4):
    net = mx.sym.var('data')
    for i, h in enumerate(hidden):
        net = mx.sym.FullyConnected(net, num_hidden=h, name='fc%d' % (i + 1))
        net = mx.sym.Activation(net, act_type='relu', name='relu%d' % (i + 1))
    net = mx.sym.FullyConnected(net, num_hidden=classes, name='fc%d' % (len(hidden) + 1))
    return mx.sym.SoftmaxOutput(net, name='softmax')


def toy_data(seed=7):
    rng = np.random.RandomState(seed)
    W = rng.randn(10, 4).astype('float32')
    X = rng.randn(1000, 10).astype('float32')
    y = X.dot(W).argmax(axis=1).astype('float32')
    Xv = rng.randn(100, 10).astype('float32')
    yv = Xv.dot(W).argmax(axis=1).astype('float32')
    return X, y, Xv, yv


def test_intermediate_level_loop_trains():
    X, y, _, _ = toy_data()
    train = mx.io.NDArrayIter(X, y, batch_size=50, shuffle=True)
    mod = mx.mod.Module(mlp_sym())
    mod.bind(data_shapes=train.provide_data, label_shapes=train.provide_label)
    mod.init_params()
    mod.init_optimizer(optimizer_params={'learning_rate': 0.1, 'momentum': 0.9})
    metric = mx.metric.create('acc')
    for _ in range(5):
        for batch in train:
            mod.forward(batch)
            mod.update_metric(metric, batch.label)
            mod.backward()
            mod.update()
        name, value = metric.get_name_value()[0]
        metric.reset()
        train.reset()
    assert name == 'accuracy' and value > 0.8


def _normalise(line):
    line = re.sub(r'Speed: [0-9.]+ samples/sec', 'Speed: S samples/sec', line)
    line = re.sub(r'Time cost=[0-9.]+', 'Time cost=T', line)
    return re.sub(r'=[0-9]+\.[0-9]+', '=V', line)


def test_fit_log_lines_and_order_match_mxnet(reference, tmp_path, caplog, monkeypatch):
    """The transcript program of MXNet 1.9.1 (b_module_fit.py): same lines, same order."""
    monkeypatch.chdir(tmp_path)
    X, y, Xv, yv = toy_data()
    train = mx.io.NDArrayIter(X, y, batch_size=10, shuffle=False)
    val = mx.io.NDArrayIter(Xv, yv, batch_size=10)
    mod = mx.mod.Module(mlp_sym(), context=mx.cpu())
    with caplog.at_level(logging.INFO):
        mod.fit(train, eval_data=val, optimizer='sgd',
                optimizer_params={'learning_rate': 0.1, 'momentum': 0.9},
                eval_metric='acc', num_epoch=3, initializer=mx.init.Xavier(),
                batch_end_callback=mx.callback.Speedometer(10, frequent=20),
                epoch_end_callback=mx.callback.do_checkpoint('fit_ckpt'))
    got = [_normalise('%s:%s:%s' % (r.levelname, r.name, r.getMessage()))
           for r in caplog.records]
    want = [_normalise(line) for line in
            (reference / 'golden' / 'transcripts' / 'b_module_fit.stderr.txt')
            .read_text().splitlines() if line.startswith('INFO:root:')]
    assert got == want
    assert '\t' in caplog.records[0].getMessage()  # Speedometer's tab-separated fields
    for epoch in (1, 2, 3):
        assert (tmp_path / ('fit_ckpt-%04d.params' % epoch)).exists()
    sym, args, _ = mx.model.load_checkpoint('fit_ckpt', 3)
    assert sorted(args) == ['fc1_bias', 'fc1_weight', 'fc2_bias', 'fc2_weight']
    assert sym.tojson() == (reference / 'golden' / 'transcripts' /
                            'fit_ckpt-symbol.json').read_text()
    score = mod.score(val, 'acc')
    assert score[0][0] == 'accuracy' and score[0][1] > 0.7


def test_two_contexts_equal_one_context():
    X, y, _, _ = toy_data()
    results = []
    for ctx in ([mx.cpu(0)], [mx.cpu(0), mx.cpu(1)]):
        train = mx.io.NDArrayIter(X, y, batch_size=20)
        mod = mx.mod.Module(mlp_sym(), context=ctx)
        mx.random.seed(3)
        mod.fit(train, num_epoch=2, initializer=mx.init.Xavier(),
                optimizer_params={'learning_rate': 0.1, 'momentum': 0.9})
        results.append({k: v.asnumpy() for k, v in mod.get_params()[0].items()})
    for name in results[0]:
        np.testing.assert_allclose(results[0][name], results[1][name], rtol=1e-4, atol=1e-5)


def test_checkpoint_with_optimizer_states_round_trip(tmp_path):
    X, y, _, _ = toy_data()
    train = mx.io.NDArrayIter(X, y, batch_size=50)
    mod = mx.mod.Module(mlp_sym())
    mod.fit(train, num_epoch=1, optimizer_params={'learning_rate': 0.1, 'momentum': 0.9})
    prefix = str(tmp_path / 'ck')
    mod.save_checkpoint(prefix, 1, save_optimizer_states=True)
    loaded = mx.mod.Module.load(prefix, 1, load_optimizer_states=True)
    loaded.bind(data_shapes=train.provide_data, label_shapes=train.provide_label)
    loaded.init_optimizer(optimizer_params={'learning_rate': 0.1, 'momentum': 0.9})
    a, _ = mod.get_params()
    b, _ = loaded.get_params()
    for k in a:
        np.testing.assert_array_equal(a[k].asnumpy(), b[k].asnumpy())
    batch = next(iter(train))
    for m in (mod, loaded):
        m.forward_backward(batch)
        m.update()
    a, _ = mod.get_params()
    b, _ = loaded.get_params()
    for k in a:  # same momentum state -> same step
        np.testing.assert_allclose(a[k].asnumpy(), b[k].asnumpy(), rtol=1e-6)


def test_predict_returns_prediction_not_padding():
    X, y, _, _ = toy_data()
    it = mx.io.NDArrayIter(X[:95], y[:95], batch_size=10)
    mod = mx.mod.Module(mlp_sym())
    mod.bind(data_shapes=it.provide_data, label_shapes=it.provide_label, for_training=False)
    mod.init_params()
    out = mod.predict(it)
    assert out.shape == (95, 4)
    np.testing.assert_allclose(out.asnumpy().sum(axis=1), 1.0, rtol=1e-5)


def test_bad_input_errors_leave_module_usable():
    X, y, _, _ = toy_data()
    it = mx.io.NDArrayIter(X, y, batch_size=10)
    mod = mx.mod.Module(mlp_sym())
    mod.bind(data_shapes=it.provide_data, label_shapes=it.provide_label)
    mod.init_params()
    with pytest.raises(MXNetError, match='init_optimizer'):
        mod.update()
    with pytest.raises(Exception, match='sgdd|did you mean'):
        mod.init_optimizer(optimizer='sgdd')
    with pytest.raises(Exception, match='accuracyy|did you mean'):
        mx.metric.create('accuracyy')
    before = {k: v.asnumpy().copy() for k, v in mod.get_params()[0].items()}
    wrong = {k: mx.nd.array(v) for k, v in before.items()}
    wrong['fc2_bias'] = mx.nd.zeros(4) + 5
    wrong['fc1_weight'] = mx.nd.ones((3, 3))
    with pytest.raises(MXNetError, match="'fc1_weight' has shape"):
        mod.set_params(wrong, {})
    after = mod.get_params()[0]
    for k in before:
        np.testing.assert_array_equal(before[k], after[k].asnumpy())
    bad = mx.io.DataBatch(data=[mx.nd.ones((10, 7))], label=[mx.nd.ones((10,))])
    with pytest.raises(MXNetError, match='fc1'):
        mod.forward(bad)
    mod.forward(next(iter(it)))  # still works with the right shapes
    two = mx.io.NDArrayIter({'data': X, 'extra': X}, y, batch_size=10)
    with pytest.raises(MXNetError, match='2 data arrays'):
        mx.mod.Module(mlp_sym()).fit(two, num_epoch=1)
