"""mx.autograd: recording scopes, backward/grad against finite differences, grad_req,
retain_graph, second-order gradients, get_symbol and autograd.Function."""
import numpy as np
import pytest

import mxlite as mx
from mxlite import autograd
from mxlite.base import MXNetError
from mxlite.test_utils import assert_almost_equal


def nd64(a):
    return mx.nd.array(a, dtype='float64')


def numeric_grads(fn, arrays, head, eps=1e-6):
    """d sum(fn(arrays) * head) / d arrays by central differences (float64)."""
    grads = []
    for i, a in enumerate(arrays):
        g = np.zeros_like(a)
        it = np.nditer(a, flags=['multi_index'])
        for _ in it:
            idx = it.multi_index
            vals = []
            for sign in (1, -1):
                pert = [b.copy() for b in arrays]
                pert[i][idx] += sign * eps
                vals.append(float((fn(*[nd64(b) for b in pert]).asnumpy() * head).sum()))
            g[idx] = (vals[0] - vals[1]) / (2 * eps)
        grads.append(g)
    return grads


def check_grad(fn, shapes, seed=0, positive=False):
    rng = np.random.RandomState(seed)
    arrays = [rng.uniform(0.5, 1.5, s) if positive else rng.uniform(-1, 1, s) for s in shapes]
    xs = [nd64(a) for a in arrays]
    for x in xs:
        x.attach_grad()
    with autograd.record():
        y = fn(*xs)
    head = rng.normal(size=y.shape)
    y.backward(nd64(head))
    expected = numeric_grads(fn, arrays, head)
    for i, (x, e) in enumerate(zip(xs, expected)):
        assert_almost_equal(x.grad.asnumpy(), e, rtol=1e-5, atol=1e-7,
                            names=('autograd_%d' % i, 'numeric_%d' % i))


# name -> (function of NDArrays, input shapes, inputs kept positive)
CASES = {
    'mul_add': (lambda a, b: a * b + a, [(2, 3), (2, 3)], False),
    'broadcast_arith': (lambda a, b: a * b - mx.nd.exp(b) / (a * a + 1),
                        [(3, 1, 4), (2, 4)], False),
    'broadcast_ops': (lambda a, b: mx.nd.broadcast_mul(a, b) + mx.nd.broadcast_sub(b, a),
                      [(2, 1), (1, 3)], False),
    'scalars': (lambda a: 2 / a + 3 - a * 4 + (1 - a) ** 2 + a / 5, [(4,)], True),
    'power': (lambda a, b: a ** b + a ** 3, [(3,), (3,)], True),
    'unary_chain': (lambda a: mx.nd.tanh(mx.nd.sin(a)) * mx.nd.sigmoid(a) + mx.nd.log(a * a + 1),
                    [(2, 3)], False),
    'sqrt_abs': (lambda a: mx.nd.sqrt(a) + mx.nd.square(a) * mx.nd.relu(a), [(5,)], True),
    'reuse': (lambda a: a * a * a - a, [(3, 2)], False),
    'slicing': (lambda a: a[1:3] * 2 + a[0] * a[2], [(4, 3)], False),
    'column_index': (lambda a: a[:, 1] * a[:, 0], [(3, 2)], False),
    'reduce': (lambda a: mx.nd.sum(a * a, axis=1) + mx.nd.mean(a, axis=1), [(3, 4)], False),
    'reshape': (lambda a, b: a.reshape((6,)) * b.reshape(6), [(2, 3), (3, 2)], False),
    'dot': (lambda a, b: mx.nd.dot(a, b), [(2, 3), (3, 4)], False),
    'fully_connected': (lambda x, w, b: mx.nd.FullyConnected(x, w, b, num_hidden=3),
                        [(2, 4), (3, 4), (3,)], False),
    'activation': (lambda a: mx.nd.Activation(a, act_type='softrelu'), [(2, 2)], False),
}


@pytest.mark.parametrize('case', sorted(CASES))
def test_gradient_matches_finite_differences(case):
    fn, shapes, positive = CASES[case]
    check_grad(fn, shapes, positive=positive)


# ----------------------------------------------------------------------------- scopes
def test_scopes_and_flags():
    assert not autograd.is_recording() and not autograd.is_training()
    with autograd.record():
        assert autograd.is_recording() and autograd.is_training()
        with autograd.pause():
            assert not autograd.is_recording() and not autograd.is_training()
            with autograd.train_mode():
                assert autograd.is_training() and not autograd.is_recording()
        with autograd.predict_mode():
            assert autograd.is_recording() and not autograd.is_training()
    with autograd.record(train_mode=False):
        assert autograd.is_recording() and not autograd.is_training()
    assert not autograd.is_recording() and not autograd.is_training()
    assert autograd.set_recording(True) is False
    assert autograd.set_training(True) is False
    assert autograd.set_recording(False) is True
    assert autograd.set_training(False) is True


def test_operations_outside_record_are_not_recorded():
    x = mx.nd.ones((2,))
    x.attach_grad()
    y = x * 2
    assert y._ag_entry is None
    with autograd.record():
        with autograd.pause():
            z = x * 3
    assert z._ag_entry is None
    with pytest.raises(MXNetError, match='not the output of a computation recorded'):
        y.backward()


def test_train_mode_reaches_kernels():
    x = mx.nd.ones((200,))
    x.attach_grad()
    with autograd.record(train_mode=False):
        y = mx.nd.Dropout(x, p=0.5)
    assert (y.asnumpy() == 1).all()
    with autograd.record():
        y = mx.nd.Dropout(x, p=0.5)
    out = y.asnumpy()
    assert set(np.unique(out)) <= {0.0, 2.0} and (out == 0).any()
    y.backward()
    assert_almost_equal(x.grad.asnumpy(), out)  # the same mask scales the gradient
    with autograd.record():
        with autograd.predict_mode():
            y = mx.nd.Dropout(x, p=0.5)
    assert (y.asnumpy() == 1).all()


# ----------------------------------------------------------------------------- grad_req
def test_attach_grad_write_and_add():
    x = nd64([1., 2., 3.])
    x.attach_grad()
    for _ in range(2):
        with autograd.record():
            y = x * x
        y.backward()
    assert_almost_equal(x.grad.asnumpy(), [2., 4., 6.])  # write overwrites
    x.attach_grad(grad_req='add')
    for _ in range(3):
        with autograd.record():
            y = x * x
        y.backward()
    assert_almost_equal(x.grad.asnumpy(), [6., 12., 18.])  # add accumulates


def test_mark_variables_with_own_buffers_and_null():
    x, w = nd64([1., 2.]), nd64([3., 4.])
    gx, gw = mx.nd.zeros(2, dtype='float64'), mx.nd.ones(2, dtype='float64')
    autograd.mark_variables([x, w], [gx, gw], grad_reqs=['write', 'null'])
    with autograd.record():
        y = x * w
    y.backward()
    assert x.grad is gx
    assert_almost_equal(gx.asnumpy(), [3., 4.])
    assert_almost_equal(gw.asnumpy(), [1., 1.])  # null: untouched
    with pytest.raises(MXNetError, match='grad_req'):
        autograd.mark_variables([x], [gx], 'sometimes')
    with pytest.raises(MXNetError, match='2 variables but 1'):
        autograd.mark_variables([x, w], [gx])


def test_head_grads_and_multiple_heads():
    x = nd64([1., 2.])
    x.attach_grad()
    with autograd.record():
        a = x * 3
        b = x * x
    autograd.backward([a, b], [nd64([1., 10.]), None])
    assert_almost_equal(x.grad.asnumpy(), [3. + 2., 30. + 4.])
    with autograd.record():
        c = x * x
    c.backward(nd64([0.5, 0.5]))
    assert_almost_equal(x.grad.asnumpy(), [1., 2.])
    with autograd.record():
        c = x * x
    with pytest.raises(MXNetError, match='shape'):
        c.backward(nd64([1., 2., 3.]))


def test_backward_needs_a_variable():
    x = nd64([1., 2.])
    with autograd.record():
        y = x * 2
    with pytest.raises(MXNetError, match='require gradients'):
        y.backward()


def test_variable_not_reached_gets_zero_gradient_and_unused_untouched():
    x, w = nd64([1., 2.]), nd64([5., 5.])
    x.attach_grad()
    w.attach_grad()
    w.grad[:] = 7
    with autograd.record():
        y = x * 2
    y.backward()
    assert_almost_equal(x.grad.asnumpy(), [2., 2.])
    assert_almost_equal(w.grad.asnumpy(), [7., 7.])


# ----------------------------------------------------------------------------- retain_graph
def test_second_backward_needs_retain_graph():
    x = nd64([1., 2.])
    x.attach_grad()
    with autograd.record():
        y = mx.nd.exp(x) * x
    y.backward(retain_graph=True)
    first = x.grad.asnumpy()
    y.backward()
    assert_almost_equal(x.grad.asnumpy(), first)
    with pytest.raises(MXNetError, match='retain_graph=True'):
        y.backward()


def test_freed_intermediate_is_a_constant_in_new_recordings():
    x = nd64([1., 2.])
    x.attach_grad()
    with autograd.record():
        y = x * x
    y.backward()
    with autograd.record():
        z = y * x  # y's graph is gone: it is a constant now
    z.backward()
    assert_almost_equal(x.grad.asnumpy(), [1., 4.])


def test_detach_stops_gradient():
    x = nd64([1., 2.])
    x.attach_grad()
    with autograd.record():
        y = x * x
        z = y.detach() * x
    z.backward()
    assert_almost_equal(x.grad.asnumpy(), [1., 4.])


def test_loss_head_needs_no_head_gradient():
    data = nd64([[1., 2., 0.], [0., 1., 3.]])
    label = nd64([1, 2])
    data.attach_grad()
    with autograd.record():
        out = mx.nd.SoftmaxOutput(data, label)
    out.backward()
    p = np.exp(data.asnumpy())
    p /= p.sum(axis=1, keepdims=True)
    p[[0, 1], [1, 2]] -= 1
    assert_almost_equal(data.grad.asnumpy(), p)


# ----------------------------------------------------------------------------- in-place
def test_check_inplace_follows_mxnet():
    from mxlite.autograd_tape import check_inplace
    x = nd64([1., 2.])
    check_inplace(x)  # not in a graph: allowed
    x.attach_grad()
    with pytest.raises(MXNetError, match='already in a computational graph'):
        check_inplace(x)
    with autograd.record():
        y = x * 2
    with pytest.raises(MXNetError, match='inplace operations'):
        check_inplace(y)
    y.backward()
    check_inplace(y)  # graph freed: y is an ordinary array again


def test_inplace_update_of_a_variable_while_recording_raises():
    x = nd64([1., 2.])
    x.attach_grad()
    with autograd.record():
        with pytest.raises(MXNetError, match='computational graph'):
            x += 1
    assert x.asnumpy().tolist() == [1.0, 2.0]  # the failed write changed nothing


# ----------------------------------------------------------------------------- grad()
def test_grad_returns_gradients_without_touching_dot_grad():
    x = nd64([1., 2., 3.])
    x.attach_grad()
    with autograd.record():
        y = mx.nd.sin(x) * x
    g = autograd.grad(y, x)
    assert isinstance(g, mx.nd.NDArray)
    xs = x.asnumpy()
    assert_almost_equal(g.asnumpy(), np.cos(xs) * xs + np.sin(xs))
    assert (x.grad.asnumpy() == 0).all()
    with pytest.raises(MXNetError, match='retain_graph'):
        autograd.grad(y, [x])  # freed by the first call (retain_graph defaults to False)


def test_grad_of_intermediate_and_unreached():
    x, w = nd64([2., 3.]), nd64([1., 1.])
    x.attach_grad()
    w.attach_grad()
    with autograd.record():
        h = x * x
        y = h * 3
    gh, gw = autograd.grad(y, [h, w], retain_graph=True)
    assert_almost_equal(gh.asnumpy(), [3., 3.])
    assert_almost_equal(gw.asnumpy(), [0., 0.])
    with pytest.raises(MXNetError, match='not in a computational graph'):
        autograd.grad(y, [nd64([1., 2.])])


def test_second_order_power():
    x = nd64([1., 2., -1.5])
    x.attach_grad()
    with autograd.record():
        y = x ** 3
        dx = autograd.grad(y, [x], create_graph=True)[0]
    assert_almost_equal(dx.asnumpy(), 3 * x.asnumpy() ** 2)
    dx.backward()
    assert_almost_equal(x.grad.asnumpy(), 6 * x.asnumpy())


def test_second_order_mxnet_example_and_third_order():
    x = mx.nd.ones((1,))
    x.attach_grad()
    with autograd.record():
        z = mx.nd.elemwise_add(mx.nd.exp(x), x)
    dx = autograd.grad(z, [x], create_graph=True)[0]
    assert_almost_equal(dx.asnumpy(), [np.e + 1], rtol=1e-6)
    dx.backward()
    assert_almost_equal(x.grad.asnumpy(), [np.e], rtol=1e-6)

    x = nd64([0.3, 0.7])
    x.attach_grad()
    with autograd.record():
        y = mx.nd.sin(x) * x
        d1 = autograd.grad(y, [x], create_graph=True)[0]
        d2 = autograd.grad(d1, [x], create_graph=True)[0]
    d2.backward()
    xs = x.asnumpy()
    assert_almost_equal(d2.asnumpy(), 2 * np.cos(xs) - xs * np.sin(xs))
    assert_almost_equal(x.grad.asnumpy(), -3 * np.sin(xs) - xs * np.cos(xs))


def test_second_order_with_broadcast_and_reduce_vs_numeric():
    rng = np.random.RandomState(3)
    a0, b0 = rng.uniform(0.5, 1.5, (2, 3)), rng.uniform(0.5, 1.5, (1, 3))

    def first_grad(a, b):
        a.attach_grad()
        with autograd.record():
            y = mx.nd.sum(mx.nd.tanh(a * b) / b, axis=1) + mx.nd.mean(a * a)
            return autograd.grad(y, [a], create_graph=True)[0]

    a, b = nd64(a0), nd64(b0)
    b.attach_grad()
    with autograd.record():
        ga = first_grad(a, b)
        s = mx.nd.sum(ga * ga)
    s.backward()

    def objective(b_):
        g = first_grad(nd64(a0), b_)
        return mx.nd.sum(g * g)
    expected = numeric_grads(objective, [b0], np.ones(1))[0]
    assert_almost_equal(b.grad.asnumpy(), expected, rtol=1e-5, atol=1e-7)


def test_create_graph_names_op_without_differentiable_gradient():
    x = nd64([[1., 2.]])
    x.attach_grad()
    with autograd.record():
        y = mx.nd.softmax(x)
    with pytest.raises(MXNetError, match="'softmax'"):
        autograd.grad(y, [x], create_graph=True)


# ----------------------------------------------------------------------------- get_symbol
def test_get_symbol_round_trip():
    x = nd64([[0.5, -1.], [2., 0.25]])
    w = nd64([[1., 2.], [3., 4.]])
    c = nd64([1., 2.])
    x.attach_grad()
    w.attach_grad()
    with autograd.record():
        h = mx.nd.dot(x, w) + c
        y = mx.nd.sum(mx.nd.tanh(h) * x, axis=1) * 2
    sym = autograd.get_symbol(y)
    args = sym.list_arguments()
    xname, wname = x._ag_entry.name, w._ag_entry.name
    assert xname.startswith('var') and wname.startswith('var')
    assert set(args) >= {xname, wname} and len(args) == 3
    cname = [a for a in args if a not in (xname, wname)][0]
    assert cname.startswith('null')
    assert mx.sym.load_json(sym.tojson()).tojson() == sym.tojson()
    ex = sym.bind(mx.cpu(), {xname: x, wname: w, cname: c})
    assert_almost_equal(ex.forward()[0].asnumpy(), y.asnumpy())
    # the bound symbol gives the same gradient as the tape
    gx = mx.nd.zeros((2, 2), dtype='float64')
    ex = sym.bind(mx.cpu(), {xname: x, wname: w, cname: c}, args_grad={xname: gx},
                  grad_req={xname: 'write'})
    ex.forward(is_train=True)
    ex.backward(mx.nd.ones(2, dtype='float64'))
    y.backward()
    assert_almost_equal(gx.asnumpy(), x.grad.asnumpy())


def test_get_symbol_errors():
    with pytest.raises(MXNetError, match='not computed inside autograd.record'):
        autograd.get_symbol(mx.nd.ones(2))


# ----------------------------------------------------------------------------- Function
class _Sigmoid(autograd.Function):
    def forward(self, x):
        y = 1 / (1 + mx.nd.exp(-x))
        self.save_for_backward(y)
        return y

    def backward(self, dy):
        y, = self.saved_tensors
        return dy * y * (1 - y)


class _MulAdd(autograd.Function):
    """Two inputs, two outputs: (a * b, a + b)."""

    def forward(self, a, b):
        self.save_for_backward(a, b)
        return a * b, a + b

    def backward(self, g_mul, g_add):
        a, b = self.saved_tensors
        return g_mul * b + g_add, g_mul * a + g_add


def test_function_sigmoid_matches_numeric():
    check_grad(lambda a: _Sigmoid()(a * 2) * a, [(3, 2)])


def test_function_multiple_inputs_and_outputs():
    def fn(a, b):
        p, s = _MulAdd()(a, b)
        return p * 3 + s * s
    check_grad(fn, [(4,), (4,)])


def test_function_runs_forward_unrecorded_and_once():
    seen = []

    class Probe(autograd.Function):
        def forward(self, x):
            seen.append(autograd.is_recording())
            return x * 1

        def backward(self, dy):
            return dy

    f = Probe()
    x = nd64([1.])
    x.attach_grad()
    with autograd.record():
        f(x)
    assert seen == [False]
    with pytest.raises(MXNetError, match='once'):
        f(x)


def test_function_backward_errors_are_clear():
    class Bad(autograd.Function):
        def forward(self, x):
            return x * 2

        def backward(self, dy):
            return dy, dy

    x = nd64([1.])
    x.attach_grad()
    with autograd.record():
        y = Bad()(x)
    with pytest.raises(MXNetError, match='returned 2 gradients'):
        y.backward()
