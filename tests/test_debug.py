"""mx.debug NaN/Inf check: stops at the first operator producing a non-finite value."""
import inspect

import numpy as np
import pytest

import mxlite as mx
from mxlite import debug
from mxlite.ndarray import register


def _line_of(marker):
    src, start = inspect.getsourcelines(_chain)
    for k, text in enumerate(src):
        if marker in text:
            return '%s:%d' % (__file__, start + k)
    raise AssertionError(marker)


def _chain():
    data = mx.sym.var('data')
    fc = mx.sym.FullyConnected(data, num_hidden=3, name='fc1')
    lg = mx.sym.log(fc, name='lg')                          # MARK-log
    root = mx.sym.sqrt(lg, name='root')                     # MARK-sqrt
    return mx.sym.MakeLoss(mx.sym.sum(root, name='total'), name='loss')


def _bind(weight=1.0, bias=0.0):
    ex = _chain().simple_bind(mx.cpu(), data=(2, 4))
    ex.arg_dict['data'][:] = 1.0
    ex.arg_dict['fc1_weight'][:] = weight
    ex.arg_dict['fc1_bias'][:] = bias
    return ex


@pytest.fixture(autouse=True)
def _check_off():
    prev = debug.set_nan_check(False)
    yield
    debug.set_nan_check(prev)
    assert register.invoke is not None and not hasattr(register.invoke, '__wrapped__')


def test_off_by_default_nan_flows_through():
    assert not mx.debug.is_nan_check()
    ex = _bind(weight=-1.0)
    out = ex.forward(is_train=True)[0].asnumpy()
    assert np.isnan(out).all()


def test_forward_names_op_node_line_and_output():
    ex = _bind(weight=-1.0)                 # fc1 < 0, so log gives NaN first
    with mx.debug.nan_check():
        with pytest.raises(mx.MXNetError) as info:
            ex.forward(is_train=True)
    err = info.value
    assert isinstance(err, debug.NaNCheckError)
    msg = str(err)
    assert "log 'lg'" in msg and 'forward' in msg and "output 0 ('lg_output')" in msg
    assert _line_of('MARK-log') in msg
    assert '6 NaN among 6 values' in msg
    assert (err.op, err.node, err.phase) == ('log', 'lg', 'forward')
    assert err.user_line == _line_of('MARK-log')


def test_inf_is_caught_and_the_first_op_is_blamed():
    ex = _bind(weight=0.0)                 # log(0) = -inf, then sqrt(-inf) = NaN
    with mx.debug.nan_check():
        with pytest.raises(mx.MXNetError, match=r"log 'lg'.*6 -inf among 6 values, "
                                                r"first at index \(0, 0\)"):
            ex.forward()


def test_backward_names_the_input_gradient():
    # forward finite: fc1 = 1, log = 0, sqrt(0) = 0; backward: d sqrt at 0 is inf
    ex = _bind(weight=0.0, bias=1.0)
    with mx.debug.nan_check():
        ex.forward(is_train=True)
        with pytest.raises(mx.MXNetError) as info:
            ex.backward()
    err = info.value
    msg = str(err)
    assert "sqrt 'root'" in msg and 'backward' in msg
    assert "gradient of input 'data' (fed by 'lg_output')" in msg
    assert _line_of('MARK-sqrt') in msg
    assert (err.op, err.node, err.phase) == ('sqrt', 'root', 'backward')


def test_nan_in_an_argument_is_reported_as_such():
    ex = _bind()
    ex.arg_dict['data'][0, 1] = np.nan
    with mx.debug.nan_check():
        with pytest.raises(mx.MXNetError, match=r"argument 'data' holds 1 NaN among 8 "
                                                r"values, first at index \(0, 1\)"):
            ex.forward()


def test_nan_in_a_head_gradient_is_reported():
    data = mx.sym.var('data')
    ex = mx.sym.relu(data, name='r').simple_bind(mx.cpu(), data=(2,))
    with mx.debug.nan_check():
        ex.forward(is_train=True)
        with pytest.raises(mx.MXNetError, match=r"head gradient of output 0 \('r_output'\)"):
            ex.backward(mx.nd.array([1.0, np.inf]))


def test_clean_graph_runs_unchanged_with_the_check():
    ex = _bind(weight=0.5, bias=1.0)
    ref = _bind(weight=0.5, bias=1.0)
    with mx.debug.nan_check():
        out = ex.forward(is_train=True)[0].asnumpy()
        ex.backward()
    ref_out = ref.forward(is_train=True)[0].asnumpy()
    ref.backward()
    np.testing.assert_array_equal(out, ref_out)
    for name in ('fc1_weight', 'fc1_bias', 'data'):
        np.testing.assert_array_equal(ex.grad_dict[name].asnumpy(),
                                      ref.grad_dict[name].asnumpy())


def test_set_nan_check_returns_previous_and_context_restores():
    assert mx.debug.set_nan_check(True) is False
    assert mx.debug.is_nan_check()
    assert mx.debug.set_nan_check(False) is True
    with pytest.raises(ZeroDivisionError):
        with mx.debug.nan_check():
            assert mx.debug.is_nan_check()
            raise ZeroDivisionError
    assert not mx.debug.is_nan_check()
    with mx.debug.nan_check():
        with mx.debug.nan_check(False):
            assert not mx.debug.is_nan_check()
        assert mx.debug.is_nan_check()


def test_environment_variable_is_read_when_the_executor_is_made(monkeypatch):
    monkeypatch.setenv('MXLITE_NAN_CHECK', '1')
    ex = _bind(weight=-1.0)
    monkeypatch.delenv('MXLITE_NAN_CHECK')
    with pytest.raises(mx.MXNetError, match="log 'lg'"):
        ex.forward()
    assert np.isnan(_bind(weight=-1.0).forward()[0].asnumpy()).all()
    monkeypatch.setenv('MXLITE_NAN_CHECK', '0')
    assert not _bind()._nan_check


def test_imperative_calls_are_checked_while_on():
    x = mx.nd.array([-1.0, 4.0])
    assert np.isnan(mx.nd.log(x).asnumpy()[0])
    with mx.debug.nan_check():
        with pytest.raises(mx.MXNetError) as info:
            mx.nd.log(x)                                    # MARK-nd
        assert mx.nd.sqrt(mx.nd.array([4.0])).asscalar() == 2.0
        with pytest.raises(mx.MXNetError, match='_div_scalar'), np.errstate(divide='ignore'):
            _ = mx.nd.array([1.0]) / 0
    msg = str(info.value)
    assert 'mx.nd.log' in msg and '1 NaN among 2 values' in msg
    assert '%s:' % __file__ in msg
    assert np.isnan(mx.nd.log(x).asnumpy()[0])            # off again


def test_integer_outputs_are_not_checked():
    with mx.debug.nan_check():
        out = mx.nd.argmax(mx.nd.array([[1.0, 3.0, 2.0]]), axis=1)
    assert out.asnumpy().tolist() == [1.0]


def test_check_finite_helper():
    mx.debug.check_finite(np.zeros(3))
    with pytest.raises(mx.MXNetError, match=r"w holds 1 \+inf and 1 -inf among 3 values"):
        mx.debug.check_finite(mx.nd.array([np.inf, 0, -np.inf]), 'w')


def test_monitor_and_check_together():
    ex = _bind(weight=-1.0)
    seen = []
    ex.set_monitor_callback(lambda name, arr: seen.append(name))
    with mx.debug.nan_check():
        with pytest.raises(mx.MXNetError, match="log 'lg'"):
            ex.forward()
    assert seen == ['fc1_output']          # stopped before reporting the bad output


def test_default_loop_is_used_when_off(monkeypatch):
    def fail(*a, **k):
        raise AssertionError('slow path used')
    monkeypatch.setattr(debug, 'run_forward', fail)
    monkeypatch.setattr(debug, 'run_backward', fail)
    ex = _bind(weight=0.5, bias=1.0)
    ex.forward(is_train=True)
    ex.backward()
