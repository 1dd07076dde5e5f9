"""Behaviours MXNet 1.9.1's own unit tests rely on (found by running them against mxlite)."""
import os

import numpy as np
import pytest

import mxlite as mx
from mxlite.base import NotImplementedForSymbol


def test_setitem_on_a_0d_array_with_a_full_slice():
    x = mx.nd.zeros(())
    x[:] = np.ones(())
    assert x.asnumpy() == 1


def test_one_element_array_fills_a_scalar_position():
    b = mx.nd.zeros(3)
    b[0] = np.array([47.8], np.float32)
    np.testing.assert_allclose(b.asnumpy(), [47.8, 0, 0], rtol=1e-6)
    with pytest.raises(mx.base.MXNetError, match='cannot assign a value of shape'):
        b[0] = np.array([1.0, 2.0])


@pytest.mark.parametrize('make,value', [(mx.nd.ones, 1), (mx.nd.zeros, 0)])
def test_creation_functions_write_into_out(make, value):
    out = mx.nd.full((2, 2), 7)
    assert make((2, 2), out=out) is out
    np.testing.assert_array_equal(out.asnumpy(), np.full((2, 2), value))


def test_shape_parameters_take_integer_arrays():
    y = mx.nd.ones((1, 3)).broadcast_to(shape=np.array([4, 3]))
    assert y.shape == (4, 3)


@pytest.mark.parametrize('dtype', ['uint8', 'int32'])
def test_integer_division_stays_in_the_dtype_truncated(dtype):
    a = mx.nd.array([7, 9, -7 if dtype == 'int32' else 8], dtype=dtype)
    b = mx.nd.array([2, 4, 2], dtype=dtype)
    q = a / b
    assert q.dtype == np.dtype(dtype)
    expect = np.trunc(a.asnumpy().astype(float) / b.asnumpy()).astype(dtype)
    np.testing.assert_array_equal(q.asnumpy(), expect)
    np.testing.assert_array_equal(mx.nd.broadcast_div(a, b).asnumpy(), expect)


def test_bool_of_a_symbol_raises():
    with pytest.raises(NotImplementedForSymbol, match='bool'):
        bool(mx.sym.var('a'))


def test_set_env_var_returns_the_previous_value():
    key = 'MXLITE_TEST_SET_ENV_VAR'
    os.environ.pop(key, None)
    try:
        assert mx.test_utils.set_env_var(key, 3, default_val='none') == 'none'
        assert mx.test_utils.set_env_var(key, 4) == '3'
        assert os.environ[key] == '4'
    finally:
        os.environ.pop(key, None)


def test_module_binds_with_the_dtype_of_a_data_desc():
    net = mx.sym.FullyConnected(mx.sym.var('data'), num_hidden=3, name='fc')
    mod = mx.mod.Module(net, ('data',), None)
    mod.bind(data_shapes=[mx.io.DataDesc('data', (5, 10), np.float16)])
    mod.init_params()
    mod.forward(mx.io.DataBatch(data=[mx.nd.ones((5, 10), dtype=np.float16)], label=None),
                is_train=False)
    assert mod.get_outputs()[0].dtype == np.float16
    assert mod.get_params()[0]['fc_weight'].dtype == np.float16


def test_get_children_of_a_group_lists_every_node_input():
    data = mx.sym.var('data')
    fc1 = mx.sym.FullyConnected(data=data, name='fc1', num_hidden=10)
    fc2 = mx.sym.FullyConnected(data=fc1, name='fc2', num_hidden=100)
    children = fc2.get_children()
    assert children.list_outputs() == ['fc1_output', 'fc2_weight', 'fc2_bias']
    assert children.get_children().list_outputs() == ['data', 'fc1_weight', 'fc1_bias']
    assert children['fc2_weight'].get_children() is None


def test_fresh_grad_flags_the_variables_backward_reached():
    from mxlite.autograd import mark_variables, record
    x, y = mx.nd.ones((2, 2)), mx.nd.ones((2, 2))
    dx, dy = mx.nd.zeros((2, 2)), mx.nd.zeros((2, 2))
    mark_variables([x, y], [dx, dy])
    assert not x._fresh_grad and not y._fresh_grad
    with record():
        out = (x + 2) + y
    out.backward()
    assert x._fresh_grad and y._fresh_grad
    x._fresh_grad = y._fresh_grad = False
    with record():
        out = (x + 2).detach() + y
    out.backward()
    assert y._fresh_grad and not x._fresh_grad


def _stateful_module():
    cell = mx.rnn.LSTMCell(num_hidden=4, prefix='l0_')
    begin = cell.begin_state(func=mx.sym.Variable)
    _, states = cell.unroll(3, begin_state=begin, inputs=mx.sym.Variable('data'))
    mod = mx.mod.Module(mx.sym.Group(states), label_names=None,
                        state_names=[b.name for b in begin])
    mod.bind(data_shapes=[('data', (2, 3, 5))], label_shapes=None, for_training=False)
    mod.init_params(initializer=mx.init.Uniform(0.5))
    return mod, mx.io.DataBatch(data=[mx.nd.zeros((2, 3, 5))], label=[])


def test_module_set_states_feeds_the_state_inputs():
    mod, batch = _stateful_module()
    mod.set_states(value=1)
    assert all((s.asnumpy() == 1).all() for s in mod.get_states())
    mod.forward(batch)
    first = [o.copy() for o in mod.get_outputs()]
    mod.set_states(states=mod.get_outputs(merge_multi_context=False))
    np.testing.assert_array_equal(mod.get_states()[0].asnumpy(), first[0].asnumpy())
    mod.forward(batch)
    assert not np.allclose(mod.get_outputs()[0].asnumpy(), first[0].asnumpy())
    with pytest.raises(mx.base.MXNetError, match='exactly one of states and value'):
        mod.set_states()
    with pytest.raises(mx.base.MXNetError, match='1 states given but the module has 2'):
        mod.set_states(states=[[mx.nd.zeros((2, 4))]])
