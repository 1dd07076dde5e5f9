"""examples/custom_loss.py, fast: a custom cross-entropy written with MakeLoss, as a
CustomOp and with autograd trains the MNIST MLP as SoftmaxOutput does (a 10,000-image
subset, 3 epochs)."""
import importlib.util
import pathlib

import numpy as np
import pytest

import mxlite as mx

EXAMPLE = pathlib.Path(__file__).resolve().parent.parent / 'examples' / 'custom_loss.py'
BATCH = 100


def _load_example():
    spec = importlib.util.spec_from_file_location('custom_loss_example', EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope='module')
def example():
    return _load_example()


_CACHE = {}


@pytest.fixture
def setup(example, mnist_dir, monkeypatch):
    """(data, args, initial params, baseline accuracy, baseline module), made once."""
    if 'setup' not in _CACHE:
        monkeypatch.setenv('MXLITE_DATA_DIR', str(mnist_dir.parent))
        data = example.load_data(10000, 2000)
        args = example.parse_args(['--epochs', '3', '--batch-size', str(BATCH),
                                   '--lr', '0.1'])
        params = example.initial_params(args.batch_size, args.seed)
        baseline, base_mod = example.train_module(example.softmax_output_net(), data,
                                                  params, args)
        assert baseline > 0.9
        _CACHE['setup'] = data, args, params, baseline, base_mod
    return _CACHE['setup']


def test_custom_op_matches_softmax_output(example, setup):
    data, args, params, baseline, _ = setup
    acc, mod = example.train_module(example.custom_op_net(), data, params, args)
    assert abs(acc - baseline) <= 0.02, (acc, baseline)
    assert mod.output_names == ['softmax_output']


def test_autograd_matches_softmax_output(example, setup):
    data, args, params, baseline, _ = setup
    acc, weights = example.train_autograd(data, params, args)
    assert abs(acc - baseline) <= 0.02, (acc, baseline)
    assert sorted(weights) == sorted(params)


def test_makeloss_group_matches_softmax_output(example, setup):
    data, args, params, baseline, _ = setup
    metric = mx.metric.Accuracy(output_names=['pred_output'])
    acc, mod = example.train_module(example.makeloss_net(), data, params, args, metric)
    assert abs(acc - baseline) <= 0.02, (acc, baseline)
    # predict returns both heads; the second is the prediction, not the loss
    test = mx.io.NDArrayIter(data[2], data[3], BATCH)
    loss, pred = mod.predict(test)
    np.testing.assert_allclose(pred.asnumpy().sum(axis=1), 1, rtol=1e-5)
    assert abs(example.accuracy(pred.asnumpy(), data[3]) - acc) < 1e-6


def _batch(data, n=BATCH):
    return mx.io.DataBatch([mx.nd.array(data[0][:n])], [mx.nd.array(data[1][:n])])


def _grads(net, params, batch, out_grads=None):
    mod = mx.mod.Module(net)
    mod.bind(data_shapes=[('data', batch.data[0].shape)],
             label_shapes=[('softmax_label', batch.label[0].shape)])
    mod.init_params(arg_params={k: v.copy() for k, v in params.items()})
    mod.forward(batch, is_train=True)
    mod.backward(out_grads)
    return {n: g[0].asnumpy() for n, g in zip(mod._exec_group.param_names,
                                              mod._exec_group.grad_arrays)}


@pytest.mark.parametrize('way', ['makeloss', 'custom'])
def test_loss_gradients_equal_softmax_output(example, setup, way):
    data, _, params, _, _ = setup
    batch = _batch(data)
    want = _grads(example.softmax_output_net(), params, batch)
    if way == 'makeloss':
        # no head gradients: the MakeLoss head makes its own, the BlockGrad head stops it
        got = _grads(example.makeloss_net(), params, batch)
    else:
        got = _grads(example.custom_op_net(), params, batch)
    for name in want:
        np.testing.assert_allclose(got[name], want[name], rtol=1e-4, atol=1e-6,
                                   err_msg=name)


def test_makeloss_predict_returns_prediction_head(example, setup):
    data, _, _, baseline, base_mod = setup
    trained, _ = base_mod.get_params()
    test = mx.io.NDArrayIter(data[2], data[3], BATCH)
    want = base_mod.predict(test).asnumpy()
    net = example.makeloss_net()
    assert net.list_outputs() == ['ce_output', 'pred_output']
    mod = mx.mod.Module(net)
    mod.bind(data_shapes=test.provide_data, label_shapes=test.provide_label,
             for_training=False)
    mod.set_params(trained, {})
    loss, pred = mod.predict(test)
    np.testing.assert_allclose(pred.asnumpy(), want, rtol=1e-5, atol=1e-6)
    nll = -np.log(want[np.arange(len(want)), data[3].astype(int)])
    np.testing.assert_allclose(loss.asnumpy(), nll, rtol=1e-3, atol=1e-5)
    (_, acc), = mod.score(test, mx.metric.Accuracy(output_names=['pred_output']))
    assert abs(acc - baseline) < 1e-6
    # the prediction head alone (net[1]) needs no label and gives the same prediction
    predictor = mx.mod.Module(net[1], label_names=None)
    predictor.bind(data_shapes=test.provide_data, for_training=False)
    predictor.set_params(trained, {})
    np.testing.assert_allclose(predictor.predict(test).asnumpy(), want, rtol=1e-5,
                               atol=1e-6)
