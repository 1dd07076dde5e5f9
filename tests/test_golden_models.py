"""Whole MXNet 1.9.1 models (golden/models): load their checkpoints here and reproduce
MXNet's inference outputs, training outputs, gradients, one SGD update, and three steps
of training from the initial parameters. Tolerances come from the corpus's manifest."""
import json

import numpy as np
import pytest

from conftest import GOLDEN

import mxlite as mx


def _models():
    path = GOLDEN / 'models' / 'manifest.json'
    if not path.exists():
        return ['<golden corpus absent>']
    return [m['name'] for m in json.loads(path.read_text())['models']]


def _spec(golden, name):
    for m in json.loads((golden / 'models' / 'manifest.json').read_text())['models']:
        if m['name'] == name:
            return m
    raise KeyError(name)


def _close(actual, expected, tol, what):
    np.testing.assert_allclose(np.asarray(actual, dtype=np.float64),
                               np.asarray(expected, dtype=np.float64),
                               rtol=tol['rtol'], atol=tol['atol'], err_msg=what)


def _module(sym, spec, for_training, inputs_need_grad=False):
    mod = mx.mod.Module(symbol=sym, data_names=['data'], label_names=['softmax_label'],
                        context=mx.cpu())
    mod.bind(data_shapes=[('data', tuple(spec['data_shapes'][0][1]))],
             label_shapes=[('softmax_label', tuple(spec['label_shapes'][0][1]))],
             for_training=for_training, inputs_need_grad=inputs_need_grad)
    return mod


def _sgd(mod):
    mod.init_optimizer(kvstore='local', optimizer='sgd',
                       optimizer_params={'learning_rate': 0.1, 'momentum': 0.9, 'wd': 1e-4})


# ResNet inference (is_train=False): MXNet's recorded output is wrong. Its oneDNN inference
# path fuses BatchNorm+ReLU in place and overwrote conv0's output, which the residual add
# stage1_unit1_add still reads: feeding that add the output of stage1_unit1_relu1 instead
# of conv0 reproduces MXNet's "expected" output to 4.5e-8. The same model's training-mode
# outputs, gradients and updates match MXNet to 1e-4, and every node agrees with its
# formula. We do not copy the bug; the case is kept as a strict known difference.
_KNOWN_INFERENCE_GAPS = {'resnet': 'MXNet 1.9.1 oneDNN inference overwrites conv0 (see comment above)'}


def _inference_params():
    return [pytest.param(n, marks=pytest.mark.xfail(reason=_KNOWN_INFERENCE_GAPS[n], strict=True))
            if n in _KNOWN_INFERENCE_GAPS else n for n in _models()]


@pytest.mark.parametrize('name', _inference_params())
def test_inference_matches_mxnet(golden, name):
    spec = _spec(golden, name)
    prefix = str(golden / 'models' / name)
    sym, arg, aux = mx.model.load_checkpoint(prefix, 3)
    assert sym.tojson() == (golden / 'models' / (name + '-symbol.json')).read_text()
    mod = _module(sym, spec, for_training=False)
    mod.set_params(arg, aux)
    inp = mx.nd.load(prefix + '-input.nd')
    mod.forward(mx.io.DataBatch(data=[inp['data']], label=[inp['softmax_label']]),
                is_train=False)
    expected = mx.nd.load(prefix + '-expected.nd')
    for out_name, out in zip(sym.list_outputs(), mod.get_outputs()):
        _close(out.asnumpy(), expected[out_name].asnumpy(), spec['inference_tolerance'],
               '%s inference output %s' % (name, out_name))


def _trainable():
    return [n for n in _models() if n in ('mlp', 'lenet', 'resnet', 'inception', 'lstm_lm',
                                          '<golden corpus absent>')]


@pytest.mark.parametrize('name', _trainable())
def test_train_step_matches_mxnet(golden, name):
    """Training outputs, raw gradients and one SGD update from the 0003 parameters."""
    spec = _spec(golden, name)
    tol = spec['train_step_tolerance']
    prefix = str(golden / 'models' / name)
    sym, arg, aux = mx.model.load_checkpoint(prefix, 3)
    need_grad = bool(spec['inputs_need_grad'])
    mod = _module(sym, spec, for_training=True, inputs_need_grad=need_grad)
    mod.set_params(arg, aux)
    _sgd(mod)
    assert mod._optimizer.rescale_grad == pytest.approx(spec['rescale_grad'])
    inp = mx.nd.load(prefix + '-input.nd')
    mod.forward(mx.io.DataBatch(data=[inp['data']], label=[inp['softmax_label']]),
                is_train=True)
    train_outputs = mx.nd.load(prefix + '-train-outputs.nd')
    for out_name, out in zip(sym.list_outputs(), mod.get_outputs()):
        _close(out.asnumpy(), train_outputs[out_name].asnumpy(), tol['train_outputs'],
               '%s training output %s' % (name, out_name))
    mod.backward()
    grads = mx.nd.load(prefix + '-grads.nd')
    group = mod._exec_group
    for pname, g in zip(group.param_names, group.grad_arrays):
        _close(g[0].asnumpy(), grads[pname].asnumpy(), tol['grads'],
               '%s gradient of %s' % (name, pname))
    if need_grad:
        _close(mod.get_input_grads()[0].asnumpy(), grads['data'].asnumpy(), tol['grads'],
               '%s gradient of data' % name)
    mod.update()
    argu, auxu = mod.get_params()
    updated = mx.nd.load(prefix + '-updated.params')
    for key, value in updated.items():
        kind, pname = key.split(':', 1)
        mine = (argu if kind == 'arg' else auxu)[pname]
        _close(mine.asnumpy(), value.asnumpy(), tol['updated'], '%s updated %s' % (name, key))


@pytest.mark.parametrize('name', _trainable())
def test_three_training_steps_from_initial_params(golden, name):
    spec = _spec(golden, name)
    tol = spec['train_step_tolerance']['three_step_training_from_0000']
    prefix = str(golden / 'models' / name)
    sym, arg0, aux0 = mx.model.load_checkpoint(prefix, 0)
    mod = _module(sym, spec, for_training=True)
    mod.set_params(arg0, aux0)
    _sgd(mod)
    batches = mx.nd.load(prefix + '-trainbatches.nd')
    for i in range(3):
        batch = mx.io.DataBatch(data=[batches['data%d' % i]],
                                label=[batches['softmax_label%d' % i]])
        mod.forward(batch, is_train=True)
        mod.backward()
        mod.update()
    arg3, aux3 = mod.get_params()
    _, want_arg, want_aux = mx.model.load_checkpoint(prefix, 3)
    for table, want in ((arg3, want_arg), (aux3, want_aux)):
        for pname, value in want.items():
            _close(table[pname].asnumpy(), value.asnumpy(), tol,
                   '%s after 3 steps: %s' % (name, pname))
