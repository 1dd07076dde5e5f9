"""The classic symbol/bind/executor walkthrough, checked against MXNet 1.9.1's transcript."""
import pickle

import numpy as np
import pytest

import mxlite as mx
from mxlite.base import MXNetError
from mxlite.test_utils import (assert_almost_equal, check_numeric_gradient,
                               check_symbolic_backward, check_symbolic_forward)


def _seed_graph():
    A = mx.sym.Variable('A')
    B = mx.sym.Variable('B')
    C = A * B
    D = mx.sym.Variable('D')
    return A, B, D, C + D


def _transcript(reference, name):
    return (reference / 'golden' / 'transcripts' / name).read_text()


def test_walkthrough_prints_what_mxnet_prints(reference, capsys):
    with mx.name.NameManager():
        A, B, D, E = _seed_graph()
    a, b, d = mx.nd.array([1]), mx.nd.array([4]), mx.nd.array([1])
    grad_a = mx.nd.zeros(1)
    ex = E.bind(ctx=mx.cpu(), args={'A': a, 'B': b, 'D': d}, args_grad={'A': grad_a})
    ex.forward(is_train=True)
    print(ex.outputs[0].asnumpy())
    ex.backward(out_grads=mx.nd.ones(1))
    print(ex.grad_dict['A'].asnumpy())
    print(ex.outputs)
    print(ex.grad_dict)
    print(E.list_arguments(), E.list_outputs())
    print(E.tojson())
    assert capsys.readouterr().out == _transcript(reference, 'a_seed.stdout.txt')


def test_debug_str_matches_mxnet(reference):
    data = mx.sym.var('data')
    net = mx.sym.FullyConnected(data, num_hidden=128, name='fc1')
    net = mx.sym.Activation(net, act_type='relu', name='relu1')
    net = mx.sym.FullyConnected(net, num_hidden=64, name='fc2')
    net = mx.sym.Activation(net, act_type='relu', name='relu2')
    net = mx.sym.FullyConnected(net, num_hidden=10, name='fc3')
    net = mx.sym.SoftmaxOutput(net, name='softmax')
    assert net.debug_str() + '\n' == _transcript(reference, 'e_mlp_debug_str.stdout.txt')


def test_ndarray_repr_matches_mxnet(reference):
    arrs = [mx.nd.array([1.5]), mx.nd.array([1, 2, 3]), mx.nd.array([[1, 2, 3], [4, 5, 6]]),
            mx.nd.arange(24).reshape((2, 3, 4)),
            mx.nd.array(np.linspace(-1, 1, 100).reshape(10, 10)), mx.nd.arange(2000),
            mx.nd.array([[0.1, 1e-8], [123456.789, -3.0]]),
            mx.nd.array([1.5, 2.5], dtype='float64'), mx.nd.array([0.1, 65504], dtype='float16'),
            mx.nd.array([1, -2, 3], dtype='int32'), mx.nd.array([2**40, -7], dtype='int64'),
            mx.nd.array([0, 255, 7], dtype='uint8'), mx.nd.array([-128, 5], dtype='int8'),
            mx.nd.array([True, False], dtype='bool'),
            mx.nd.array(np.zeros((0, 3), dtype='float32')), mx.nd.ones((2, 2, 2, 2))]
    lines = []
    for a in arrs:
        lines.append('--- shape=%s dtype=%s' % (a.shape, np.dtype(a.dtype).name))
        lines.append('str : ' + str(a))
        lines.append('repr: ' + repr(a))
    expected = _transcript(reference, 'd_ndarray_repr.stdout.txt')
    got = '\n'.join(lines) + '\n'
    assert expected.startswith(got)


def test_grad_dict_has_none_without_buffer():
    _, _, _, E = _seed_graph()
    ex = E.bind(mx.cpu(), {'A': mx.nd.array([1]), 'B': mx.nd.array([4]), 'D': mx.nd.array([1])},
                args_grad={'A': mx.nd.zeros(1)})
    assert ex.grad_dict['B'] is None and ex.grad_dict['D'] is None


def test_backward_without_head_grad_on_non_loss_raises_and_executor_stays_usable():
    _, _, _, E = _seed_graph()
    ex = E.bind(mx.cpu(), {'A': mx.nd.array([1]), 'B': mx.nd.array([4]), 'D': mx.nd.array([1])},
                args_grad={'A': mx.nd.zeros(1)})
    ex.forward(is_train=True)
    with pytest.raises(MXNetError, match='out_grads.*MakeLoss'):
        ex.backward()
    ex.backward(mx.nd.ones(1))
    assert ex.grad_dict['A'].asnumpy().tolist() == [4.0]


def test_backward_before_forward_raises():
    _, _, _, E = _seed_graph()
    ex = E.simple_bind(mx.cpu(), A=(1,), B=(1,), D=(1,))
    with pytest.raises(MXNetError, match='before forward'):
        ex.backward(mx.nd.ones(1))


def test_grad_req_add_accumulates():
    _, _, _, E = _seed_graph()
    ex = E.bind(mx.cpu(), {'A': mx.nd.array([1]), 'B': mx.nd.array([4]), 'D': mx.nd.array([1])},
                args_grad={'A': mx.nd.zeros(1)}, grad_req='add')
    for _ in range(3):
        ex.forward(is_train=True)
        ex.backward(mx.nd.ones(1))
    assert ex.grad_dict['A'].asnumpy().tolist() == [12.0]


@pytest.mark.parametrize('grad_req', [['write', 'null', 'add'], {'A': 'write', 'D': 'add'}])
def test_grad_req_as_list_and_dict(grad_req):
    _, _, _, E = _seed_graph()
    grads = [mx.nd.zeros(1), mx.nd.zeros(1), mx.nd.zeros(1)]
    ex = E.bind(mx.cpu(), [mx.nd.array([2]), mx.nd.array([5]), mx.nd.array([1])],
                args_grad=grads, grad_req=grad_req)
    ex.forward(is_train=True)
    ex.backward(mx.nd.ones(1))
    assert grads[0].asnumpy().tolist() == [5.0]
    assert grads[2].asnumpy().tolist() == [1.0]


def test_wrong_grad_req_and_missing_argument_errors():
    _, _, _, E = _seed_graph()
    args = {'A': mx.nd.array([1]), 'B': mx.nd.array([4])}
    with pytest.raises(MXNetError, match="'D'"):
        E.bind(mx.cpu(), args)
    args['D'] = mx.nd.array([1])
    with pytest.raises(MXNetError, match="grad_req 'wrte'"):
        E.bind(mx.cpu(), args, args_grad={'A': mx.nd.zeros(1)}, grad_req='wrte')


def test_shape_mismatch_error_names_node_and_shapes():
    _, _, _, E = _seed_graph()
    with pytest.raises(MXNetError) as err:
        E.bind(mx.cpu(), {'A': mx.nd.ones(2), 'B': mx.nd.ones(3), 'D': mx.nd.ones(2)})
    msg = str(err.value)
    assert "elemwise_mul '_mul" in msg and '(2,)' in msg and '(3,)' in msg


def test_simple_bind_allocates_zeros_and_infer_shape():
    _, _, _, E = _seed_graph()
    ex = E.simple_bind(mx.cpu(), A=(2, 3), B=(2, 3), D=(2, 3))
    for arr in list(ex.arg_dict.values()) + list(ex.grad_dict.values()):
        assert arr.shape == (2, 3) and not arr.asnumpy().any()
    assert E.infer_shape(A=(2, 3)) == ([(2, 3), (2, 3), (2, 3)], [(2, 3)], [])
    assert E.infer_shape_partial(B=(4,))[0] == [(4,), (4,), (4,)]


def test_infer_shape_incomplete_returns_none_with_warning():
    x = mx.sym.var('x')
    y = mx.sym.var('y')
    s = mx.sym.broadcast_add(x, y)
    with pytest.warns(UserWarning, match='Cannot decide shape'):
        assert s.infer_shape(x=(2, 3)) == (None, None, None)
    assert s.infer_shape_partial(x=(2, 3)) == ([(2, 3), ()], [()], [])


def test_auto_names_and_outputs():
    with mx.name.NameManager():
        a = mx.sym.var('a')
        b = a + 1
        c = a * a
        d = b - c
    assert b.name == '_plusscalar0' and c.name == '_mul0' and d.name == '_minus0'
    assert d.list_outputs() == ['_minus0_output']
    with mx.name.Prefix('net_'):
        e = a * 2
    assert e.name.startswith('net_')


def test_group_internals_children_getitem():
    a = mx.sym.var('a')
    b = mx.sym.var('b')
    c = mx.sym.elemwise_add(a, b, name='c')
    d = mx.sym.elemwise_mul(c, b, name='d')
    g = mx.sym.Group([c, d])
    assert g.list_outputs() == ['c_output', 'd_output']
    internals = d.get_internals()
    assert internals.list_outputs() == ['a', 'b', 'c_output', 'd_output']
    assert internals['c_output'].name == 'c'
    assert d.get_children().list_outputs() == ['c_output', 'b']
    assert g[1].name == 'd'
    assert a.get_children() is None
    assert d.list_inputs() == ['a', 'b']


def test_variable_attrs_attr_scope_and_set_attr():
    w = mx.sym.Variable('w', shape=(3, 4), lr_mult=2.0, wd_mult=0.5, dtype='float16',
                        init='zeros', __foo__='bar')
    assert w.list_attr() == {'__shape__': '(3, 4)', '__lr_mult__': '2.0', '__wd_mult__': '0.5',
                             '__dtype__': '2', '__init__': 'zeros', '__foo__': 'bar'}
    with mx.AttrScope(ctx_group='dev1', group='4'):
        x = mx.sym.var('x')
        y = x * 2
    assert x.attr('ctx_group') == 'dev1' and y.attr('group') == '4'
    y._set_attr(mood='happy')
    assert y.attr_dict()[y.name]['mood'] == 'happy'
    with pytest.raises(ValueError, match='double underscores'):
        mx.sym.Variable('z', foo='bar')


def test_compose_by_call():
    x = mx.sym.var('x')
    y = mx.sym.var('y')
    f = mx.sym.elemwise_mul(x, x, name='sq')
    g = f(x=y * 3)
    assert g.list_arguments() == ['y']
    out = g.eval(y=mx.nd.array([2.0]))[0]
    assert out.asnumpy().tolist() == [36.0]
    assert f.list_arguments() == ['x']  # the original is untouched


def test_json_roundtrip_save_load_pickle_copy(tmp_path):
    _, _, _, E = _seed_graph()
    path = tmp_path / 'e-symbol.json'
    E.save(str(path))
    loaded = mx.sym.load(str(path))
    assert loaded.tojson() == E.tojson()
    assert pickle.loads(pickle.dumps(E)).tojson() == E.tojson()
    assert E.copy().tojson() == E.tojson()


def test_unknown_operator_in_json_names_op_and_node():
    text = ('{"nodes": [{"op": "null", "name": "x", "inputs": []}, {"op": "FancyOp", '
            '"name": "fancy1", "inputs": [[0, 0, 0]]}], "arg_nodes": [0], "heads": [[1, 0, 0]]}')
    with pytest.raises(MXNetError, match="FancyOp.*fancy1"):
        mx.sym.load_json(text)


def test_legacy_json_layouts():
    text = ('{"nodes": [{"op": "null", "name": "x", "param": {}, "inputs": []}, '
            '{"op": "_plus_scalar", "name": "p", "param": {"scalar": "2"}, '
            '"inputs": [[0, 0]]}], "arg_nodes": [0], "heads": [[1, 0]]}')
    s = mx.sym.load_json(text)
    assert s.eval(x=mx.nd.array([1.0]))[0].asnumpy().tolist() == [3.0]


def test_executor_dicts_copy_params_and_reshape():
    x = mx.sym.var('x')
    w = mx.sym.var('w')
    s = mx.sym.broadcast_mul(x, w, name='m')
    ex = s.simple_bind(mx.cpu(), x=(4, 3), w=(1, 3))
    ex.copy_params_from({'w': mx.nd.array([[1, 2, 3]])})
    ex.forward(x=np.ones((4, 3)))
    assert ex.output_dict['m_output'].asnumpy().tolist() == [[1, 2, 3]] * 4
    with pytest.raises(MXNetError, match="'v'"):
        ex.copy_params_from({'v': mx.nd.ones((1, 3))})
    small = ex.reshape(x=(2, 3))
    assert small.arg_dict['w'] is ex.arg_dict['w']
    small.arg_dict['x'][:] = 7
    assert ex.arg_dict['x'].asnumpy()[:2].tolist() == [[7, 7, 7]] * 2  # shares memory
    with pytest.raises(MXNetError, match='allow_up_sizing'):
        ex.reshape(x=(8, 3))
    with pytest.raises(MXNetError, match="shape"):
        ex.forward(x=np.ones((5, 3)))


ARITH = [
    ('add', lambda a, b: a + b), ('sub', lambda a, b: a - b), ('mul', lambda a, b: a * b),
    ('div', lambda a, b: a / b), ('pow', lambda a, b: a ** b),
    ('radd', lambda a, b: 2.0 + a), ('rsub', lambda a, b: 3.0 - a), ('rdiv', lambda a, b: 2.0 / a),
    ('rpow', lambda a, b: 2.0 ** a), ('neg', lambda a, b: -a + b), ('sq', lambda a, b: a * a * b),
    ('maxs', lambda a, b: mx.sym.maximum(a, 0.9) if isinstance(a, mx.sym.Symbol) else
     np.maximum(a, 0.9)),
]


@pytest.mark.parametrize('name,fn', ARITH, ids=[a[0] for a in ARITH])
@pytest.mark.parametrize('shape', [(3,), (2, 3)])
def test_arithmetic_graphs_forward_and_numeric_gradient(name, fn, shape):
    if name == 'maxs' and not hasattr(mx.sym, 'maximum'):
        pytest.skip('mx.sym.maximum not registered yet')
    rng = np.random.RandomState(0)
    a_val = rng.uniform(0.5, 1.5, shape)
    b_val = rng.uniform(0.5, 1.5, shape)
    a, b = mx.sym.var('a'), mx.sym.var('b')
    out = fn(a, b)
    if 'b' not in out.list_arguments():
        out = out + b * 0
    expected = fn(a_val, b_val) + (0 * b_val)
    check_symbolic_forward(out, {'a': a_val, 'b': b_val}, [expected], rtol=1e-5, dtype=np.float64)
    check_numeric_gradient(out, {'a': a_val, 'b': b_val}, numeric_eps=1e-5, rtol=1e-4,
                           dtype=np.float64)


def test_check_symbolic_backward_with_shared_input():
    a = mx.sym.var('a')
    s = a * a + a
    x = np.array([1.0, -2.0, 3.0])
    check_symbolic_backward(s, [x], [np.ones(3)], [2 * x + 1], dtype=np.float64)


def test_assert_almost_equal_reports_location():
    with pytest.raises(AssertionError, match=r'\(1,\)'):
        assert_almost_equal(np.array([1.0, 2.0]), np.array([1.0, 2.5]))


def test_legacy_bare_hidden_attrs_are_upgraded():
    text = ('{"nodes": [{"op": "null", "name": "x", "inputs": []}, {"op": "_plus_scalar", '
            '"name": "p", "attr": {"scalar": "2", "ctx_group": "dev1", "lr_mult": "0.5"}, '
            '"inputs": [[0, 0]]}], "arg_nodes": [0], "heads": [[1, 0]]}')
    s = mx.sym.load_json(text)
    assert s.attr_dict()['p'] == {'scalar': '2', '__ctx_group__': 'dev1', '__lr_mult__': '0.5'}
    assert s.eval(x=mx.nd.array([1.0]))[0].asnumpy().tolist() == [3.0]


@pytest.mark.parametrize('call,shape', [
    (lambda s: s.reshape((2, -1)), (2, 6)),
    (lambda s: s.reshape(2, -1), (2, 6)),
    (lambda s: s.reshape(shape=(-1, 2), reverse=True), (6, 2)),
    (lambda s: s.reshape((0, -1)), (4, 3)),
    (lambda s: s.reshape((-3,)), (12,)),
])
def test_symbol_fluent_reshape(call, shape):
    x = mx.sym.var('x')
    y = call(x)
    assert y.infer_shape(x=(4, 3))[1] == [shape]
    data = mx.nd.arange(12).reshape((4, 3))
    np.testing.assert_array_equal(y.eval(x=data)[0].asnumpy(),
                                  data.asnumpy().reshape(shape))
    assert mx.sym.load_json(y.tojson()).tojson() == y.tojson()


def test_symbol_fluent_astype_is_a_cast():
    y = mx.sym.var('x').astype('float16')
    assert y.infer_type(x='float32')[1] == [np.float16]
    assert '"op": "Cast"' in y.tojson()
    np.testing.assert_array_equal(y.eval(x=mx.nd.array([1.5, 2]))[0].asnumpy(),
                                  np.array([1.5, 2], np.float16))


def test_ndarray_tolist():
    assert mx.nd.array([[1, 2], [3, 4]]).tolist() == [[1.0, 2.0], [3.0, 4.0]]


# auto-names MXNet 1.9.1 gives to operator-syntax nodes (checked against the real one)
OPERATOR_NAMES = [
    (lambda a, b: a > 0, '_greater_scalar'), (lambda a, b: a >= 0, '_greater_equal_scalar'),
    (lambda a, b: a < 3, '_lesser_scalar'), (lambda a, b: a <= 3, '_lesser_equal_scalar'),
    (lambda a, b: a == 1, '_equal_scalar'), (lambda a, b: a != 1, '_not_equal_scalar'),
    (lambda a, b: 2 ** a, '_rpower_scalar'), (lambda a, b: a + 1, '_plusscalar'),
    (lambda a, b: 1 - a, '_rminusscalar'), (lambda a, b: a * 2, '_mulscalar'),
    (lambda a, b: a ** 2, '_powerscalar'), (lambda a, b: a > b, '_greater'),
    (lambda a, b: a - b, '_minus'), (lambda a, b: 2 / a, '_rdivscalar'),
]


@pytest.mark.parametrize('make,prefix', OPERATOR_NAMES)
def test_operator_syntax_auto_names_match_mxnet(make, prefix):
    a, b = mx.sym.var('a'), mx.sym.var('b')
    name = make(a, b).name
    assert name.rstrip('0123456789') == prefix and name[len(prefix):].isdigit()


@pytest.mark.parametrize('method', ['asnumpy', 'asscalar', 'wait_to_read', 'detach',
                                    'backward', 'as_in_context'])
def test_ndarray_only_methods_raise_as_in_mxnet(method):
    from mxlite.base import NotImplementedForSymbol
    with pytest.raises(NotImplementedForSymbol,
                       match='Function %s is not implemented for Symbol' % method):
        getattr(mx.sym.var('a'), method)()


def test_optimize_for_known_backends_is_a_no_op():
    net = mx.sym.FullyConnected(mx.sym.var('data'), num_hidden=2)
    assert net.optimize_for('MKLDNN') is net
    assert net.get_backend_symbol('ONEDNN') is net
    with pytest.raises(MXNetError, match="backend 'nope' cannot be found"):
        net.optimize_for('nope')


def test_base_helpers_mxnet_tests_import():
    from mxlite.base import _as_list, py_str
    assert py_str(b'abc') == 'abc' and py_str('x') == 'x'
    assert _as_list(3) == [3] and _as_list([1, 2]) == [1, 2] and _as_list((1,)) == (1,)
