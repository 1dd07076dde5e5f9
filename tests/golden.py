"""Runs one case of MXNet 1.9.1's golden operator corpus (golden/manifest.json) here.

The procedure is the corpus's own (see `conventions.procedure` in the manifest): load the
symbol JSON, bind the recorded inputs, forward, backward with the recorded head gradient
(or none, for losses), and compare outputs, gradients, aux states and in-place inputs.
"""
import json

import numpy as np

import mxlite as mx

_MANIFEST = {}


def manifest(golden):
    key = str(golden)
    if key not in _MANIFEST:
        with open(golden / 'manifest.json') as f:
            _MANIFEST[key] = json.load(f)
    return _MANIFEST[key]


def case_ids(golden_path):
    if not (golden_path / 'manifest.json').exists():
        return []
    return [c['id'] for c in manifest(golden_path)['cases']]


def find_case(golden, case_id):
    for c in manifest(golden)['cases']:
        if c['id'] == case_id:
            return c
    raise KeyError(case_id)


def _close(actual, expected, rtol, atol, what):
    actual = np.asarray(actual)
    expected = np.asarray(expected)
    assert actual.shape == expected.shape, '%s: shape %s, MXNet %s' % (
        what, actual.shape, expected.shape)
    if rtol == 0 and atol == 0:
        rtol, atol = 1e-6, 1e-7  # MXNet's bit-exact cases: allow last-ulp differences
    np.testing.assert_allclose(actual.astype(np.float64), expected.astype(np.float64),
                               rtol=rtol, atol=atol, err_msg=what)


def run_golden_case(golden, case_id):
    """Bind and run one golden case; AssertionError describes the first mismatch."""
    case = find_case(golden, case_id)
    data = np.load(golden / case['npz'])
    sym = mx.sym.load_json(case['symbol_json'])
    assert sym.tojson() == case['symbol_json'], 'symbol JSON round trip differs'
    assert sym.list_arguments() == case['inputs']
    assert sym.list_auxiliary_states() == case['aux']
    args = {n: mx.nd.array(data['in:' + n], dtype=data['in:' + n].dtype) for n in case['inputs']}
    reqs = case['grad_req']
    grads = {n: mx.nd.zeros(args[n].shape, dtype=args[n].dtype)
             for n in case['inputs'] if reqs.get(n) == 'write'}
    aux = {n: mx.nd.array(data['aux_before:' + n], dtype=data['aux_before:' + n].dtype)
           for n in case['aux']}
    ex = sym.bind(mx.cpu(), args=args, args_grad=grads, grad_req=reqs, aux_states=aux)
    outs = ex.forward(is_train=case['is_train'])
    rtol, atol = case['rtol'], case['atol']
    for i, o in enumerate(outs):
        assert o.dtype == np.dtype(case['output_dtypes'][i]), 'output %d dtype %s, MXNet %s' % (
            i, np.dtype(o.dtype).name, case['output_dtypes'][i])
        _close(o.asnumpy(), data['out:%d' % i], rtol, atol, 'output %d' % i)
    if case['backward'] != 'none':
        if case['backward'] == 'head_grad':
            ex.backward([mx.nd.array(data['head_grad:%d' % i], dtype=data['head_grad:%d' % i].dtype)
                         for i in range(len(outs))])
        else:
            ex.backward()
        for n in grads:
            _close(grads[n].asnumpy(), data['grad:' + n], rtol, atol, 'gradient of %s' % n)
    for n in case['aux']:
        _close(ex.aux_dict[n].asnumpy(), data['aux_after:' + n], rtol, atol, 'aux %s after' % n)
    for key in data.files:
        if key.startswith('in_after:'):
            n = key[len('in_after:'):]
            _close(args[n].asnumpy(), data[key], rtol, atol, 'input %s after (in place)' % n)
    return case


def build_like_mxnet(case):
    """The case's symbol built through mx.sym.<op>(...) the way the corpus built it."""
    call = case['call']
    op = case['op']
    fn = getattr(mx.sym._internal if op.startswith('_') else mx.sym, op)
    pos = [mx.sym.Variable(n) for n in call['positional']]
    kw = {k: mx.sym.Variable(n) for k, n in call['keyword'].items()}
    return fn(*pos, name=call['name'], **kw, **case['attrs'])
