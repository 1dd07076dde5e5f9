"""Inference fusion of `conv(...) + y` (graph/fuse.py): when it applies, what it saves,
and that it never changes a result."""
import numpy as np
import pytest

import mxlite as mx


def _unit(data, name, shortcut_conv=False, read_later=False):
    """A pre-activation residual unit: BN-ReLU-conv-BN-ReLU-conv + shortcut."""
    bn = mx.sym.BatchNorm(data, fix_gamma=False, name=name + '_bn1')
    act = mx.sym.Activation(bn, act_type='relu', name=name + '_relu1')
    conv1 = mx.sym.Convolution(act, num_filter=4, kernel=(3, 3), pad=(1, 1),
                               no_bias=True, name=name + '_conv1')
    act2 = mx.sym.Activation(conv1, act_type='relu', name=name + '_relu2')
    conv2 = mx.sym.Convolution(act2, num_filter=4, kernel=(3, 3), pad=(1, 1),
                               name=name + '_conv2')
    shortcut = data
    if shortcut_conv:
        shortcut = mx.sym.Convolution(act, num_filter=4, kernel=(1, 1), no_bias=True,
                                      name=name + '_sc')
    out = conv2 + shortcut
    if read_later:   # the shortcut is read again after the sum: must not be overwritten
        out = out * mx.sym.sigmoid(shortcut)
    return out


def _net(kind):
    data = mx.sym.var('data')
    stem = mx.sym.Convolution(data, num_filter=4, kernel=(3, 3), pad=(1, 1), name='stem')
    if kind == 'identity':      # shortcut = the unit's input (an op output)
        return _unit(_unit(stem, 'u1'), 'u2')
    if kind == 'conv_shortcut':  # shortcut = a 1x1 conv
        return _unit(stem, 'u1', shortcut_conv=True)
    if kind == 'variable':      # shortcut = a bound argument: never written over
        return _unit(data, 'u1')
    if kind == 'read_later':
        return _unit(stem, 'u1', read_later=True)
    if kind == 'conv_is_head':  # the conv's own output is also an output
        conv = mx.sym.Convolution(stem, num_filter=4, kernel=(3, 3), pad=(1, 1), name='c')
        return mx.sym.Group([conv + stem, conv])
    raise ValueError(kind)


# kind -> additions folded into their convolution at inference
CASES = {'identity': 2, 'conv_shortcut': 1, 'variable': 0, 'read_later': 0,
         'conv_is_head': 0}


def _run(sym, inputs, params, fuse, monkeypatch, grad_req='null'):
    monkeypatch.setenv('MXLITE_FUSE', '1' if fuse else '0')
    ex = sym.simple_bind(mx.cpu(), grad_req=grad_req, data=inputs.shape)
    for name, arr in ex.arg_dict.items():
        arr[:] = inputs if name == 'data' else params[name]
    for name, arr in ex.aux_dict.items():
        arr[:] = params[name]
    outs = [o.asnumpy().copy() for o in ex.forward(is_train=False)]
    again = [o.asnumpy().copy() for o in ex.forward(is_train=False)]   # rerun: same
    return ex, outs, again


@pytest.mark.parametrize('kind', sorted(CASES))
def test_fused_inference_matches_unfused(kind, monkeypatch):
    sym = _net(kind)
    rng = np.random.RandomState(0)
    x = rng.randn(2, 4, 6, 6).astype(np.float32)
    arg_shapes, _, aux_shapes = sym.infer_shape(data=x.shape)
    params = {n: rng.randn(*s).astype(np.float32)
              for n, s in zip(sym.list_arguments(), arg_shapes) if n != 'data'}
    params.update({n: rng.rand(*s).astype(np.float32) + 0.5
                   for n, s in zip(sym.list_auxiliary_states(), aux_shapes)})
    fused, got, again = _run(sym, x, params, True, monkeypatch)
    plain, want, _ = _run(sym, x, params, False, monkeypatch)
    assert fused._plan_stats['fused'] == CASES[kind]
    assert plain._plan_stats['fused'] == 0
    for a, b, c in zip(got, want, again):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)
        np.testing.assert_array_equal(a, c)
    if CASES[kind]:
        assert fused._plan_stats['planned_bytes'] <= plain._plan_stats['planned_bytes']


def test_training_executors_are_not_fused(monkeypatch):
    monkeypatch.setenv('MXLITE_FUSE', '1')
    sym = _net('identity')
    ex = sym.simple_bind(mx.cpu(), data=(2, 4, 6, 6))
    assert ex._plan_stats['fused'] == 0


def test_fusion_brings_resnet50_inference_under_mxnet(monkeypatch):
    """MXNet 1.9.1 (oneDNN, which fuses the same additions) plans 226 MB for ResNet-50
    inference at batch 32; without fusion the graph needs at least 220 MB live at once
    and packs into ~245."""
    monkeypatch.setenv('MXLITE_FUSE', '1')
    net = mx.models.resnet(num_layers=50)
    ex = net.simple_bind(mx.cpu(), grad_req='null', data=(32, 3, 224, 224))
    assert ex._plan_stats['fused'] == 16
    total = int(ex.debug_str().strip().splitlines()[-1].split()[1])
    assert total <= 226
