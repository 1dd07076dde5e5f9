"""Backward kernels skip input gradients nobody reads (a first layer's data gradient)."""
import numpy as np
import pytest

import mxlite as mx
from mxlite.ops import registry
from mxlite.ops.registry import OpContext


@pytest.mark.parametrize('op_name,attrs,shapes', [
    ('FullyConnected', {'num_hidden': 3}, [(4, 5), (3, 5), (3,)]),
    ('Convolution', {'num_filter': 2, 'kernel': (3, 3)}, [(1, 1, 6, 6), (2, 1, 3, 3), (2,)]),
])
def test_null_request_returns_no_gradient(op_name, attrs, shapes):
    op = registry.get(op_name)
    p = op.parse_params(attrs)
    rng = np.random.RandomState(0)
    ins = [rng.randn(*s).astype(np.float32) for s in shapes]
    out_shape = op.infer_shape(p, shapes)[1][0]
    outs = [np.zeros(out_shape, np.float32)]
    op.forward(p, ins, outs, OpContext())
    g = [np.ones(out_shape, np.float32)]
    full = op.backward(p, g, ins, outs, OpContext(is_train=True))
    skipped = op.backward(p, g, ins, outs, OpContext(is_train=True,
                                                     req=['null', 'write', 'write']))
    assert skipped[0] is None and full[0] is not None
    np.testing.assert_allclose(skipped[1], full[1], rtol=1e-6)


def test_executor_marks_unwanted_data_gradient_null():
    data = mx.sym.var('data')
    net = mx.sym.FullyConnected(data, num_hidden=3, name='fc')
    ex = net.simple_bind(mx.cpu(), data=(2, 4), grad_req={'fc_weight': 'write',
                                                         'fc_bias': 'write'})
    ex.forward(is_train=True)
    ex.backward(mx.nd.ones((2, 3)))
    step = ex._bwd_steps[0]
    assert step[5].req[0] == 'null' and step[5].req[1] == 'write'
    assert ex.grad_dict['data'] is None
    np.testing.assert_allclose(ex.grad_dict['fc_bias'].asnumpy(), [2, 2, 2])


def test_convolution_keeps_only_small_im2col_columns(monkeypatch):
    """Columns kept for backward live outside the memory plan: only small ones are kept."""
    from mxlite.ops import convolution
    net = mx.sym.Convolution(mx.sym.var('data'), kernel=(3, 3), num_filter=4, name='c')
    ex = net.simple_bind(mx.cpu(), data=(2, 3, 8, 8))
    ex.arg_dict['data'][:] = np.random.rand(2, 3, 8, 8)
    ex.arg_dict['c_weight'][:] = np.random.rand(4, 3, 3, 3)
    ex.forward(is_train=True)
    ex.backward(mx.nd.ones((2, 4, 6, 6)))
    kept_grad = ex.grad_dict['c_weight'].asnumpy().copy()
    state = ex._states[ex._fwd_steps[0][5]]
    assert 'cols' in state
    monkeypatch.setattr(convolution, 'KEEP_COLS_BYTES', 16)
    ex.forward(is_train=True)
    assert 'cols' not in state
    ex.backward(mx.nd.ones((2, 4, 6, 6)))  # recomputed columns, same gradient
    np.testing.assert_allclose(ex.grad_dict['c_weight'].asnumpy(), kept_grad, rtol=1e-6)
