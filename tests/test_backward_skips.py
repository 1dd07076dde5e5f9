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


def test_kept_im2col_columns_stay_within_the_executor_budget(monkeypatch):
    """Over all its convolutions an executor keeps at most KEEP_COLS_TOTAL bytes of
    columns (first come, first served); the others recompute, with the same gradients."""
    from mxlite.ops import convolution
    net = mx.sym.var('data')
    for i in range(3):
        net = mx.sym.Convolution(net, kernel=(3, 3), pad=(1, 1), num_filter=4,
                                 name='c%d' % i)
    net = mx.sym.MakeLoss(mx.sym.sum(net))
    rng = np.random.RandomState(0)
    args = {n: rng.rand(*s) for n, s in zip(net.list_arguments(),
                                            net.infer_shape(data=(2, 4, 8, 8))[0])}
    one = 4 * 9 * 2 * 64 * 4      # bytes of one node's columns
    grads = {}
    for total, kept_nodes in ((10 * one, 3), (2 * one, 2), (0, 0)):
        monkeypatch.setattr(convolution, 'KEEP_COLS_TOTAL', total)
        ex = net.simple_bind(mx.cpu(), data=(2, 4, 8, 8))
        for n, v in args.items():
            ex.arg_dict[n][:] = v
        for _ in range(2):
            ex.forward(is_train=True)
            ex.backward()
        kept = [s for s in ex._states if s is not None and 'cols' in s]
        assert len(kept) == kept_nodes
        assert ex._op_shared.get('kept_cols_bytes', 0) == kept_nodes * one
        report = ex.debug_str().splitlines()
        assert report[-1].startswith('Total ')
        assert ('Kept by operators for backward (outside the plan): %.2f MB'
                % (kept_nodes * one / 2 ** 20) in report) == bool(kept_nodes)
        ex.forward(is_train=False)     # inference drops them and gives the budget back
        assert ex._op_shared.get('kept_cols_bytes', 0) == 0
        grads[total] = {n: g.asnumpy().copy() for n, g in ex.grad_dict.items()}
    for n in args:
        np.testing.assert_allclose(grads[0][n], grads[10 * one][n], rtol=1e-5)
        np.testing.assert_allclose(grads[2 * one][n], grads[10 * one][n], rtol=1e-5)
