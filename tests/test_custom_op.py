"""mx.operator custom ops: in bound graphs (numeric gradient check), as mx.nd.Custom under
autograd, shape/type/aux delegation to the prop, a custom softmax loss that trains."""
import json

import numpy as np
import pytest

import mxlite as mx
from mxlite import autograd
from mxlite.base import MXNetError
from mxlite.test_utils import assert_almost_equal, check_numeric_gradient


# ----------------------------------------------------------------------------- the ops
class ScaledMul(mx.operator.CustomOp):
    def __init__(self, scale):
        super().__init__()
        self.scale = scale

    def forward(self, is_train, req, in_data, out_data, aux):
        self.assign(out_data[0], req[0], in_data[0] * in_data[1] * self.scale)

    def backward(self, req, out_grad, in_data, out_data, in_grad, aux):
        g = out_grad[0] * self.scale
        self.assign(in_grad[0], req[0], g * in_data[1])
        self.assign(in_grad[1], req[1], g * in_data[0])


@mx.operator.register('test_scaled_mul')
class ScaledMulProp(mx.operator.CustomOpProp):
    def __init__(self, scale='1'):
        super().__init__(need_top_grad=True)
        assert isinstance(scale, str)  # MXNet passes every keyword argument as a string
        self.scale = float(scale)

    def list_arguments(self):
        return ['lhs', 'rhs']

    def infer_shape(self, in_shape):
        return [in_shape[0], in_shape[0]], [in_shape[0]], []

    def create_operator(self, ctx, in_shapes, in_dtypes):
        return ScaledMul(self.scale)


class Dense(mx.operator.CustomOp):
    """y = tanh(x W^T); counts its forward calls in an aux state."""

    def forward(self, is_train, req, in_data, out_data, aux):
        x, w = in_data
        self.assign(out_data[0], req[0], mx.nd.tanh(mx.nd.dot(x, w, transpose_b=True)))
        aux[0][:] += 1

    def backward(self, req, out_grad, in_data, out_data, in_grad, aux):
        x, w = in_data
        y = out_data[0]
        gz = out_grad[0] * (1 - y * y)
        self.assign(in_grad[0], req[0], mx.nd.dot(gz, w))
        self.assign(in_grad[1], req[1], mx.nd.dot(gz, x, transpose_a=True))


@mx.operator.register('test_dense')
class DenseProp(mx.operator.CustomOpProp):
    def __init__(self, num_hidden):
        super().__init__()
        self.num_hidden = int(num_hidden)

    def list_arguments(self):
        return ['data', 'weight']

    def list_auxiliary_states(self):
        return ['count']

    def infer_shape(self, in_shape):
        data = in_shape[0]
        weight = [self.num_hidden, data[1]]  # filled in from the data, as FullyConnected does
        return [data, weight], [[data[0], self.num_hidden]], [[1]]

    def create_operator(self, ctx, in_shapes, in_dtypes):
        return Dense()


class SoftmaxLoss(mx.operator.CustomOp):
    def forward(self, is_train, req, in_data, out_data, aux):
        x = in_data[0].asnumpy()
        e = np.exp(x - x.max(axis=1, keepdims=True))
        self.assign(out_data[0], req[0], mx.nd.array(e / e.sum(axis=1, keepdims=True)))

    def backward(self, req, out_grad, in_data, out_data, in_grad, aux):
        label = in_data[1].asnumpy().astype(int)
        y = out_data[0].asnumpy().copy()
        y[np.arange(label.shape[0]), label] -= 1.0
        self.assign(in_grad[0], req[0], mx.nd.array(y))
        self.assign(in_grad[1], req[1], 0)


@mx.operator.register('test_softmax_loss')
class SoftmaxLossProp(mx.operator.CustomOpProp):
    def __init__(self):
        super().__init__(need_top_grad=False)

    def list_arguments(self):
        return ['data', 'label']

    def infer_shape(self, in_shape):
        data = in_shape[0]
        return [data, [data[0]]], [data], []

    def create_operator(self, ctx, in_shapes, in_dtypes):
        return SoftmaxLoss()


class Probe(mx.operator.CustomOp):
    calls = []

    def forward(self, is_train, req, in_data, out_data, aux):
        Probe.calls.append((is_train, autograd.is_recording(), tuple(req)))
        self.assign(out_data[0], req[0], in_data[0].astype('float64') * 2)

    def backward(self, req, out_grad, in_data, out_data, in_grad, aux):
        self.assign(in_grad[0], req[0], out_grad[0] * 2)


@mx.operator.register('test_probe')
class ProbeProp(mx.operator.CustomOpProp):
    def infer_type(self, in_type):
        return in_type, [np.float64], []

    def create_operator(self, ctx, in_shapes, in_dtypes):
        assert isinstance(ctx, mx.Context)
        assert in_shapes == [[2, 3]] and in_dtypes == [np.float32]
        return Probe()


# ----------------------------------------------------------------------------- graphs
def test_bound_graph_numeric_gradient():
    a, b = mx.sym.var('a'), mx.sym.var('b')
    out = mx.sym.Custom(a, b, op_type='test_scaled_mul', scale=2.5, name='sm')
    assert out.list_arguments() == ['a', 'b']
    assert out.list_outputs() == ['sm_output']
    rng = np.random.RandomState(0)
    loc = [rng.uniform(-1, 1, (3, 4)), rng.uniform(-1, 1, (3, 4))]
    ex = out.bind(mx.cpu(), {'a': mx.nd.array(loc[0]), 'b': mx.nd.array(loc[1])})
    assert_almost_equal(ex.forward()[0].asnumpy(), loc[0] * loc[1] * 2.5, rtol=1e-5)
    check_numeric_gradient(out, loc, dtype=np.float64, rtol=1e-4)


def test_weight_shape_inferred_aux_updated_and_numeric_gradient():
    data = mx.sym.var('data')
    net = mx.sym.Custom(data=data, op_type='test_dense', num_hidden=3, name='dense')
    assert net.list_arguments() == ['data', 'dense_weight']
    assert net.list_auxiliary_states() == ['dense_count']
    arg_shapes, out_shapes, aux_shapes = net.infer_shape(data=(4, 5))
    assert arg_shapes == [(4, 5), (3, 5)] and out_shapes == [(4, 3)] and aux_shapes == [(1,)]
    assert net.infer_shape_partial()[1] == [()]  # unknown data: nothing inferred, no error
    ex = net.simple_bind(mx.cpu(), data=(4, 5))
    ex.arg_dict['data'][:] = np.random.RandomState(1).uniform(-1, 1, (4, 5))
    ex.arg_dict['dense_weight'][:] = np.random.RandomState(2).uniform(-1, 1, (3, 5))
    ex.forward(is_train=True)
    ex.forward(is_train=False)
    assert ex.aux_dict['dense_count'].asnumpy()[0] == 2
    rng = np.random.RandomState(3)
    check_numeric_gradient(net, [rng.uniform(-1, 1, (4, 5)), rng.uniform(-1, 1, (3, 5))],
                           aux_states=[np.zeros(1)], dtype=np.float64, rtol=1e-4)


def test_json_round_trip_keeps_string_kwargs():
    a, b = mx.sym.var('a'), mx.sym.var('b')
    out = mx.sym.Custom(a, b, op_type='test_scaled_mul', scale=3, name='sm')
    text = out.tojson()
    attrs = [n for n in json.loads(text)['nodes'] if n['op'] == 'Custom'][0]['attrs']
    assert attrs == {'op_type': 'test_scaled_mul', 'scale': '3'}
    back = mx.sym.load_json(text)
    assert back.tojson() == text
    ex = back.bind(mx.cpu(), {'a': mx.nd.array([1., 2.]), 'b': mx.nd.array([3., 4.])})
    assert_almost_equal(ex.forward()[0].asnumpy(), [9., 24.])


def test_forward_gets_is_train_and_runs_unrecorded_and_infer_type():
    Probe.calls.clear()
    x = mx.nd.ones((2, 3))
    y = mx.nd.Custom(x, op_type='test_probe')
    assert y.dtype == np.float64
    x.attach_grad()
    with autograd.record():
        y = mx.nd.Custom(x, op_type='test_probe')
    y.backward()
    assert_almost_equal(x.grad.asnumpy(), np.full((2, 3), 2.))
    assert Probe.calls == [(False, False, ('write',)), (True, False, ('write',))]
    sym = mx.sym.Custom(mx.sym.var('x'), op_type='test_probe')
    _, out_types, _ = sym.infer_type(x=np.float32)
    assert out_types == [np.float64]


# ----------------------------------------------------------------------------- imperative
def test_nd_custom_under_autograd_matches_numeric():
    rng = np.random.RandomState(4)
    a0, b0 = rng.uniform(-1, 1, (2, 3)), rng.uniform(-1, 1, (2, 3))
    a, b = mx.nd.array(a0, dtype='float64'), mx.nd.array(b0, dtype='float64')
    a.attach_grad()
    b.attach_grad()
    with autograd.record():
        y = mx.nd.Custom(a, b, op_type='test_scaled_mul', scale='0.5')
        z = mx.nd.sum(y * y)
    sym = autograd.get_symbol(z)  # a recorded Custom call becomes a Custom node
    assert 'Custom' in sym.tojson()
    z.backward()
    # d/da sum((0.5ab)^2) = 0.5 a b^2
    assert_almost_equal(a.grad.asnumpy(), 0.5 * a0 * b0 ** 2)
    assert_almost_equal(b.grad.asnumpy(), 0.5 * b0 * a0 ** 2)


def test_custom_in_create_graph_is_named():
    x = mx.nd.array([1., 2.])
    x.attach_grad()
    with autograd.record():
        y = mx.nd.Custom(x, x, op_type='test_scaled_mul')
    with pytest.raises(MXNetError, match="'Custom'"):
        autograd.grad(y, [x], create_graph=True)


def test_assign_requests():
    op = mx.operator.CustomOp()
    dst = mx.nd.ones(3)
    op.assign(dst, 'null', mx.nd.array([5., 5., 5.]))
    assert_almost_equal(dst.asnumpy(), [1., 1., 1.])
    op.assign(dst, 'add', mx.nd.array([1., 2., 3.]))
    assert_almost_equal(dst.asnumpy(), [2., 3., 4.])
    op.assign(dst, 'write', mx.nd.array([7., 8., 9.]))
    assert_almost_equal(dst.asnumpy(), [7., 8., 9.])
    with pytest.raises(MXNetError, match='req'):
        op.assign(dst, 'sideways', dst)


def test_prop_defaults():
    prop = mx.operator.CustomOpProp()
    assert prop.need_top_grad_ is True
    assert prop.list_arguments() == ['data'] and prop.list_outputs() == ['output']
    assert prop.infer_shape([[2, 3]]) == ([[2, 3]], ([2, 3],), ())
    assert prop.infer_type([np.float32]) == ([np.float32], [np.float32], [])
    assert prop.declare_backward_dependency([1], [2], [3]) == [1, 2, 3]
    assert mx.operator.CustomOpProp(need_top_grad=False).declare_backward_dependency(
        [1], [2], [3]) == [2, 3]
    assert 'FullyConnected' in mx.operator.get_all_registered_operators()


# ----------------------------------------------------------------------------- errors
def test_errors_name_the_problem():
    x = mx.nd.ones(2)
    with pytest.raises(MXNetError, match="'test_scaled_mull' is not registered.*test_scaled_mul"):
        mx.nd.Custom(x, x, op_type='test_scaled_mull')
    with pytest.raises(MXNetError, match="op_type"):
        mx.sym.Custom(mx.sym.var('x'))
    with pytest.raises(MXNetError, match='DenseProp'):
        mx.nd.Custom(x, op_type='test_dense', num_hidden=2, bogus=1)
    with pytest.raises(MXNetError, match='not a subclass'):
        mx.operator.register('test_bad')(object)
    with pytest.raises(MXNetError, match="test_dense"):
        # data must be 2-D: the prop's infer_shape fails on the known shape
        mx.sym.Custom(mx.sym.var('d'), op_type='test_dense', num_hidden=2).infer_shape(d=(3,))


# ----------------------------------------------------------------------------- a loss
def _blobs(n=64, seed=0):
    rng = np.random.RandomState(seed)
    label = rng.randint(0, 3, n)
    centers = np.array([[2., 0.], [-1., 1.7], [-1., -1.7]])
    return (centers[label] + rng.normal(0, 0.4, (n, 2))).astype(np.float32), label


def test_custom_softmax_loss_trains_imperatively():
    x, label = _blobs()
    X, L = mx.nd.array(x), mx.nd.array(label)
    w, b = mx.nd.zeros((3, 2)), mx.nd.zeros(3)
    w.attach_grad()
    b.attach_grad()
    for _ in range(30):
        with autograd.record():
            prob = mx.nd.Custom(mx.nd.FullyConnected(X, w, b, num_hidden=3), L,
                                op_type='test_softmax_loss')
        prob.backward()
        w[:] = w - 0.5 / len(x) * w.grad
        b[:] = b - 0.5 / len(x) * b.grad
    acc = (prob.asnumpy().argmax(axis=1) == label).mean()
    assert acc > 0.95


def test_custom_softmax_loss_trains_in_a_bound_graph():
    x, label = _blobs(seed=1)
    data, lab = mx.sym.var('data'), mx.sym.var('label')
    fc = mx.sym.FullyConnected(data, num_hidden=3, name='fc')
    net = mx.sym.Custom(fc, lab, op_type='test_softmax_loss', name='loss')
    ex = net.simple_bind(mx.cpu(), data=x.shape, label=label.shape,
                         grad_req={'fc_weight': 'write', 'fc_bias': 'write'})
    ex.arg_dict['data'][:] = x
    ex.arg_dict['label'][:] = label
    ex.arg_dict['fc_weight'][:] = np.random.RandomState(0).normal(0, 0.01, (3, 2))
    ones = [mx.nd.ones((len(x), 3))]
    for step in range(30):
        ex.forward(is_train=True)
        ex.backward(ones)
        if step == 0:  # a loss ignores the head gradient
            g0 = ex.grad_dict['fc_weight'].asnumpy()
            ex.backward([mx.nd.ones((len(x), 3)) * 7])
            assert_almost_equal(ex.grad_dict['fc_weight'].asnumpy(), g0)
        for name in ('fc_weight', 'fc_bias'):
            ex.arg_dict[name][:] -= 0.5 / len(x) * ex.grad_dict[name]
    prob = ex.forward()[0].asnumpy()
    assert (prob.argmax(axis=1) == label).mean() > 0.95


def test_custom_loss_is_a_loss_head():
    from mxlite.ops import registry
    op = registry.get('Custom')
    assert op.is_loss_for(op.parse_params({'op_type': 'test_softmax_loss'})) is True
    assert op.is_loss_for(op.parse_params({'op_type': 'test_scaled_mul'})) is False
    data, lab = mx.sym.var('data'), mx.sym.var('label')
    net = mx.sym.Custom(data, lab, op_type='test_softmax_loss')
    gx = mx.nd.zeros((2, 3))
    ex = net.bind(mx.cpu(), {'data': mx.nd.array([[1., 2., 3.], [0., 0., 0.]]),
                             'label': mx.nd.array([2, 0])}, args_grad={'data': gx})
    ex.forward(is_train=True)
    ex.backward()  # no head gradient: the op makes its own
    p = ex.outputs[0].asnumpy().copy()
    p[[0, 1], [2, 0]] -= 1
    assert_almost_equal(gx.asnumpy(), p)
