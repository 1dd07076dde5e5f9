"""SequentialModule, PythonModule and PythonLossModule: chained modules train exactly as
the equivalent single Module does."""
import logging

import numpy as np
import pytest

import mxlite as mx
from mxlite.base import MXNetError

BATCH = 20


def _toy(n=200, dim=10, classes=3, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, dim)).astype(np.float32)
    w = rng.standard_normal((dim, classes)).astype(np.float32)
    y = np.argmax(x @ w, axis=1).astype(np.float32)
    return x, y


def _iter(x, y):
    return mx.io.NDArrayIter(x, y, BATCH, shuffle=False)


def _body(data):
    fc1 = mx.sym.FullyConnected(data, num_hidden=16, name='fc1')
    return mx.sym.Activation(fc1, act_type='relu', name='relu1')


def _head(data):
    return mx.sym.FullyConnected(data, num_hidden=3, name='fc2')


def _single():
    net = mx.sym.SoftmaxOutput(_head(_body(mx.sym.var('data'))), name='softmax')
    return mx.mod.Module(net, logger=logging.getLogger('test'))


def _initial_params():
    mod = _single()
    mod.bind(data_shapes=[('data', (BATCH, 10))], label_shapes=[('softmax_label', (BATCH,))])
    mx.random.seed(1)
    mod.init_params(mx.init.Xavier())
    args, auxs = mod.get_params()
    return {k: v.copy() for k, v in args.items()}, auxs


def _sequential(auto_wiring=True):
    seq = mx.mod.SequentialModule(logger=logging.getLogger('test'))
    seq.add(mx.mod.Module(_body(mx.sym.var('data')), label_names=None))
    if auto_wiring:
        net2 = mx.sym.SoftmaxOutput(_head(mx.sym.var('hidden')), name='softmax')
        seq.add(mx.mod.Module(net2, data_names=['hidden']), take_labels=True,
                auto_wiring=True)
    else:
        # without auto wiring, data names are the previous module's output names
        net2 = mx.sym.SoftmaxOutput(_head(mx.sym.var('relu1_output')), name='softmax')
        seq.add(mx.mod.Module(net2, data_names=['relu1_output']), take_labels=True)
    return seq


def _softmax_ce_grad(scores, labels):
    # the per-sample gradient SoftmaxOutput writes; the optimizer divides by the batch size
    return mx.nd.softmax(scores) - mx.nd.one_hot(labels, scores.shape[1])


def _with_python_loss():
    seq = mx.mod.SequentialModule(logger=logging.getLogger('test'))
    seq.add(mx.mod.Module(_head(_body(mx.sym.var('data'))), label_names=None))
    seq.add(mx.mod.PythonLossModule(grad_func=_softmax_ce_grad), take_labels=True,
            auto_wiring=True)
    return seq


def _fit(mod, x, y, arg_params, epochs=3):
    mod.fit(_iter(x, y), num_epoch=epochs, optimizer='sgd',
            optimizer_params={'learning_rate': 0.1, 'momentum': 0.9},
            arg_params={k: v.copy() for k, v in arg_params.items()}, eval_metric='acc')
    args, _ = mod.get_params()
    return {k: v.asnumpy() for k, v in args.items()}


@pytest.mark.parametrize('make', [
    lambda: _sequential(auto_wiring=True),
    lambda: _sequential(auto_wiring=False),
    _with_python_loss,
], ids=['auto_wiring', 'named_outputs', 'python_loss'])
def test_chain_trains_like_single_module(make):
    x, y = _toy()
    init, _ = _initial_params()
    want = _fit(_single(), x, y, init)
    got = _fit(make(), x, y, init)
    assert sorted(got) == sorted(want)
    for name in want:
        np.testing.assert_allclose(got[name], want[name], rtol=1e-4, atol=1e-5,
                                   err_msg=name)
    # the training moved the parameters and learnt the toy problem
    assert not np.allclose(want['fc1_weight'], init['fc1_weight'].asnumpy())


def test_python_loss_chain_learns():
    x, y = _toy()
    seq = _with_python_loss()
    seq.fit(_iter(x, y), num_epoch=8, optimizer='sgd', initializer=mx.init.Xavier(),
            optimizer_params={'learning_rate': 0.1, 'momentum': 0.9})
    (name, acc), = seq.score(_iter(x, y), 'acc')
    assert name == 'accuracy' and acc > 0.9
    assert seq.output_names == ['pyloss_output']
    assert seq.output_shapes == [('pyloss_output', (BATCH, 3))]


def test_forward_backward_input_grads_and_outputs():
    x, y = _toy(n=BATCH)
    init, _ = _initial_params()
    batch = mx.io.DataBatch([mx.nd.array(x)], [mx.nd.array(y)])
    single = _single()
    single.bind(data_shapes=[('data', x.shape)], label_shapes=[('softmax_label', y.shape)],
                inputs_need_grad=True)
    single.init_params(arg_params=init)
    seq = _sequential()
    seq.bind(data_shapes=[('data', x.shape)], label_shapes=[('softmax_label', y.shape)],
             inputs_need_grad=True)
    seq.init_params(arg_params=init)
    for mod in (single, seq):
        mod.forward(batch, is_train=True)
        mod.backward()
    np.testing.assert_allclose(seq.get_outputs()[0].asnumpy(),
                               single.get_outputs()[0].asnumpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(seq.get_input_grads()[0].asnumpy(),
                               single.get_input_grads()[0].asnumpy(), rtol=1e-5, atol=1e-6)
    assert seq.data_names == ['data'] and seq.output_names == ['softmax_output']
    assert seq.label_names == ['softmax_label']
    assert [d[0] for d in seq.data_shapes] == ['data']
    assert [d[0] for d in seq.label_shapes] == ['softmax_label']


def test_predict_score_and_params_round_trip(tmp_path):
    x, y = _toy()
    init, _ = _initial_params()
    seq = _sequential()
    _fit(seq, x, y, init, epochs=1)
    pred = seq.predict(_iter(x, y))
    assert pred.shape == (len(x), 3)
    np.testing.assert_allclose(pred.asnumpy().sum(axis=1), 1, rtol=1e-5)
    fname = str(tmp_path / 'seq.params')
    seq.save_params(fname)
    other = _sequential()
    other.bind(data_shapes=[('data', (BATCH, 10))],
               label_shapes=[('softmax_label', (BATCH,))], for_training=False)
    other.load_params(fname)
    np.testing.assert_allclose(other.predict(_iter(x, y)).asnumpy(), pred.asnumpy(),
                               rtol=1e-6)
    assert seq.score(_iter(x, y), 'acc') == other.score(_iter(x, y), 'acc')


def test_batch_size_change_reshapes_every_module():
    x, y = _toy(n=BATCH)
    init, _ = _initial_params()
    seq = _sequential()
    seq.bind(data_shapes=[('data', x.shape)], label_shapes=[('softmax_label', y.shape)],
             for_training=False)
    seq.init_params(arg_params=init)
    small = mx.io.DataBatch([mx.nd.array(x[:5])], [mx.nd.array(y[:5])],
                            provide_data=[('data', (5, 10))],
                            provide_label=[('softmax_label', (5,))])
    seq.forward(small, is_train=False)
    assert seq.get_outputs()[0].shape == (5, 3)


def test_errors():
    seq = mx.mod.SequentialModule()
    with pytest.raises(MXNetError, match='take_lables'):
        seq.add(mx.mod.Module(_body(mx.sym.var('data')), label_names=None), take_lables=True)
    with pytest.raises(MXNetError, match='add modules first'):
        seq.bind(data_shapes=[('data', (2, 10))])
    # two modules owning the same parameter name
    seq = mx.mod.SequentialModule()
    seq.add(mx.mod.Module(_body(mx.sym.var('data')), label_names=None))
    seq.add(mx.mod.Module(_body(mx.sym.var('x')), data_names=['x'], label_names=None),
            auto_wiring=True)
    seq.bind(data_shapes=[('data', (2, 16))])
    with pytest.raises(MXNetError, match="'fc1_bias' is in both module 0 and module 1"):
        seq.init_params()
    # a parameter no module owns
    seq = _sequential()
    seq.bind(data_shapes=[('data', (2, 10))], label_shapes=[('softmax_label', (2,))])
    init, _ = _initial_params()
    with pytest.raises(MXNetError, match="'fc3_weight'.*allow_extra"):
        seq.init_params(arg_params=dict(init, fc3_weight=mx.nd.zeros((1,))))
    seq.init_params(arg_params=dict(init, fc3_weight=mx.nd.zeros((1,))), allow_extra=True)
    # wiring without renaming: names must match
    seq = mx.mod.SequentialModule()
    seq.add(mx.mod.Module(_body(mx.sym.var('data')), label_names=None))
    seq.add(mx.mod.PythonLossModule())
    with pytest.raises(MXNetError, match="relu1_output.*auto_wiring"):
        seq.bind(data_shapes=[('data', (2, 10))], label_shapes=[('softmax_label', (2,))])


def test_python_loss_module_alone():
    loss = mx.mod.PythonLossModule(name='ce', grad_func=_softmax_ce_grad)
    assert loss.output_names == ['ce_output']
    loss.bind(data_shapes=[('data', (2, 3))], label_shapes=[('softmax_label', (2,))])
    loss.init_params()
    loss.init_optimizer()
    assert loss.get_params() == ({}, {})
    scores = mx.nd.array([[1., 2., 3.], [0., 0., 0.]])
    loss.forward(mx.io.DataBatch([scores], [mx.nd.array([2, 0])]))
    assert loss.get_outputs()[0] is scores
    loss.backward()
    p = np.exp([1., 2., 3.]) / np.exp([1., 2., 3.]).sum()
    want = np.array([p - [0, 0, 1], np.full(3, 1 / 3.) - [1, 0, 0]])
    np.testing.assert_allclose(loss.get_input_grads()[0].asnumpy(), want, rtol=1e-5)
    metric = mx.metric.Accuracy()
    loss.update_metric(metric, [mx.nd.array([2, 0])])
    assert metric.get() == ('accuracy', 1.0)
    with pytest.raises(MXNetError, match='no out_grads'):
        loss.backward(out_grads=[scores])
    with pytest.raises(MXNetError, match='exactly one data'):
        mx.mod.PythonLossModule(data_names=('a', 'b'))
    with pytest.raises(NotImplementedError, match='grad_func'):
        plain = mx.mod.PythonLossModule()
        plain.bind(data_shapes=[('data', (2, 3))], label_shapes=[('softmax_label', (2,))])
        plain.forward(mx.io.DataBatch([scores], [mx.nd.array([2, 0])]))
        plain.backward()


def test_grad_func_may_return_numpy():
    loss = mx.mod.PythonLossModule(grad_func=lambda s, l: np.ones(s.shape, np.float32))
    loss.bind(data_shapes=[('data', (2, 3))], label_shapes=[('softmax_label', (2,))])
    loss.forward(mx.io.DataBatch([mx.nd.zeros((2, 3))], [mx.nd.zeros((2,))]))
    loss.backward()
    grad = loss.get_input_grads()[0]
    assert isinstance(grad, mx.nd.NDArray) and grad.asnumpy().sum() == 6
