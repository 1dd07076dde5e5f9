"""Fast paths of the MLP step against plain NumPy formulations on random inputs: the 2-D
softmax, SoftmaxOutput's common-case gradient, and gradients written straight into the
executor's arrays."""
import numpy as np
import pytest

import mxlite as mx
from mxlite.ops.fully_connected import FullyConnected
from mxlite.ops.loss import SoftmaxOutput
from mxlite.ops.registry import OpContext
from mxlite.ops.softmax import softmax_into

SHAPES = [(128, 10), (5, 17), (3, 1), (4, 16), (2, 1000)]
DTYPES = [np.float32, np.float64]


def _softmax_ref(x):
    x = x.astype(np.float64)
    e = np.exp(x - x.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


@pytest.mark.parametrize('shape', SHAPES)
@pytest.mark.parametrize('dtype', DTYPES)
@pytest.mark.parametrize('spread', [1.0, 1e4])   # 1e4: rows far apart must not underflow
def test_softmax_rows_match_reference(shape, dtype, spread):
    rng = np.random.RandomState(0)
    x = (rng.randn(*shape) * spread).astype(dtype)
    out = np.empty_like(x)
    got = softmax_into(x, 1, out=out)
    assert got is out
    np.testing.assert_allclose(got, _softmax_ref(x), rtol=1e-5, atol=1e-6)
    assert np.isfinite(got).all()
    np.testing.assert_allclose(softmax_into(x, -1), _softmax_ref(x), rtol=1e-5, atol=1e-6)


def _softmax_output_grads(x, label, **params):
    op = SoftmaxOutput()
    p = op.parse_params(params)
    y = np.empty_like(x)
    op.forward(p, [x, label], [y], OpContext())
    dst = np.full_like(x, np.nan)
    ctx = OpContext(True)
    ctx.grad_dst = [dst, None]
    return y, op.backward(p, [None], [x, label], [y], ctx)[0], dst


@pytest.mark.parametrize('shape', [(128, 10), (7, 3), (1, 1)])
@pytest.mark.parametrize('dtype', DTYPES)
def test_softmax_output_common_gradient_is_softmax_minus_one_hot(shape, dtype):
    rng = np.random.RandomState(1)
    x = rng.randn(*shape).astype(dtype)
    label = rng.randint(0, shape[1], shape[0]).astype(dtype)
    y, grad, dst = _softmax_output_grads(x, label)
    want = _softmax_ref(x)
    want[np.arange(shape[0]), label.astype(int)] -= 1
    np.testing.assert_allclose(grad, want, rtol=1e-5, atol=1e-6)
    assert grad is dst   # written straight into the executor's array
    # the general path (not taken for plain params) gives the same numbers
    _, general, _ = _softmax_output_grads(x, label, use_ignore=True, ignore_label=-7)
    np.testing.assert_allclose(grad, general, rtol=1e-6, atol=1e-7)


def test_softmax_output_out_of_range_labels_take_the_general_path():
    x = np.random.RandomState(2).randn(4, 3).astype(np.float32)
    label = np.array([0, 5, -1, 2], np.float32)   # rows 1 and 2 subtract nothing
    _, grad, _ = _softmax_output_grads(x, label)
    want = _softmax_ref(x)
    want[0, 0] -= 1
    want[3, 2] -= 1
    np.testing.assert_allclose(grad, want, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize('no_bias', [False, True])
@pytest.mark.parametrize('flatten,shape', [(True, (6, 2, 3)), (False, (2, 3, 5)),
                                           (True, (4, 5))])
@pytest.mark.parametrize('dtype', DTYPES)
def test_fully_connected_gradients_into_targets(no_bias, flatten, shape, dtype):
    rng = np.random.RandomState(3)
    op = FullyConnected()
    p = op.parse_params({'num_hidden': 4, 'no_bias': no_bias, 'flatten': flatten})
    x = rng.randn(*shape).astype(dtype)
    in_units = int(np.prod(shape[1:])) if flatten else shape[-1]
    w = rng.randn(4, in_units).astype(dtype)
    b = rng.randn(4).astype(dtype)
    inputs = [x, w] if no_bias else [x, w, b]
    x2 = x.reshape(shape[0], -1) if flatten else x.reshape(-1, shape[-1])
    out = np.empty(((shape[0],) if flatten else shape[:-1]) + (4,), dtype)
    ctx = OpContext()
    for _ in range(2):   # the second call reuses the views kept in ctx.state
        op.forward(p, inputs, [out], ctx)
        want = x2 @ w.T + (0 if no_bias else b)
        np.testing.assert_allclose(out.reshape(want.shape), want, rtol=1e-5, atol=1e-6)
        x[...] = rng.randn(*shape)
        x2 = x.reshape(shape[0], -1) if flatten else x.reshape(-1, shape[-1])
    g = rng.randn(*out.shape).astype(dtype)
    plain = op.backward(p, [g], inputs, [out], OpContext(True))
    dsts = [np.full_like(a, np.nan) for a in inputs]
    ctx = OpContext(True)
    ctx.grad_dst = dsts
    direct = op.backward(p, [g], inputs, [out], ctx)
    g2 = g.reshape(-1, 4)
    want = [(g2 @ w).reshape(x.shape), g2.T @ x2] + ([] if no_bias else [g2.sum(axis=0)])
    for got, ref, dst, other in zip(direct, want, dsts, plain):
        assert got is dst
        np.testing.assert_allclose(got, ref, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(other, ref, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize('req', ['write', 'add'])
def test_executor_gradients_with_and_without_direct_targets(req):
    """'write' targets are filled by the kernels, 'add' ones accumulate after them."""
    rng = np.random.RandomState(4)
    data = mx.sym.var('data')
    net = mx.sym.FullyConnected(data, num_hidden=5, name='fc1')
    net = mx.sym.Activation(net, act_type='relu')
    net = mx.sym.FullyConnected(net, num_hidden=3, name='fc2')
    net = mx.sym.SoftmaxOutput(net, name='softmax')
    shapes = dict(zip(net.list_arguments(), net.infer_shape(data=(8, 6))[0]))
    args = {n: mx.nd.array(rng.randn(*s)) for n, s in shapes.items()}
    args['softmax_label'] = mx.nd.array(rng.randint(0, 3, 8))
    start = {n: rng.randn(*s) for n, s in shapes.items()}
    grads = {n: mx.nd.array(start[n]) for n in shapes}
    ex = net.bind(mx.cpu(), args, args_grad=grads, grad_req=req)
    ex.forward(is_train=True)
    ex.backward()
    # the reference: the same graph with every gradient computed by hand
    x, w1, b1 = (args[n].asnumpy().astype(np.float64) for n in ('data', 'fc1_weight', 'fc1_bias'))
    w2, b2 = args['fc2_weight'].asnumpy(), args['fc2_bias'].asnumpy()
    h = np.maximum(x @ w1.T + b1, 0)
    dy = _softmax_ref(h @ w2.T + b2)
    dy[np.arange(8), args['softmax_label'].asnumpy().astype(int)] -= 1
    dh = (dy @ w2) * (h > 0)
    want = {'fc2_weight': dy.T @ h, 'fc2_bias': dy.sum(0), 'fc1_weight': dh.T @ x,
            'fc1_bias': dh.sum(0), 'data': dh @ w1}
    for n, ref in want.items():
        if req == 'add':
            ref = ref + start[n]
        np.testing.assert_allclose(grads[n].asnumpy(), ref, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize('size', [100, 8191, 8192, 65536 + 3, 3 * 65536])
@pytest.mark.parametrize('dtype', [np.float32, np.float64, np.float16],
                         ids=['f32', 'f64', 'f16'])
@pytest.mark.parametrize('where', ['fresh', 'in_place', 'strided'])
def test_relu_blocks_match_maximum_with_zero(size, dtype, where):
    """relu_into runs against a cached zeros block: the same values as np.maximum(x, 0),
    NaN kept, at block edges, in place and on non-contiguous views."""
    from mxlite.ops._util import relu_into
    rng = np.random.default_rng(size)
    base = rng.standard_normal(size * (2 if where == 'strided' else 1)).astype(dtype)
    base[rng.random(base.size) < 0.01] = np.nan
    x = base[::2] if where == 'strided' else base
    expect = np.maximum(x.astype(np.float64), 0)
    out = x if where == 'in_place' else np.full(x.shape, 7, dtype)
    got = relu_into(x, out)
    assert got is out
    np.testing.assert_array_equal(got.astype(np.float64), expect)
    # the cached block stays zeros for the next call
    y = -np.abs(rng.standard_normal(size)).astype(dtype)
    assert not relu_into(y, np.empty_like(y)).any()
