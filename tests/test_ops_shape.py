"""Shape, index and creation operators: one table of cases run by one harness.

Each row names an op, its params, its inputs and a NumPy reference. The harness checks,
per row and dtype: forward (symbolic and imperative) against the reference, gradients
against central differences, shape and dtype inference, and the symbol JSON round trip.
Partial shape inference, error messages and a few behaviours (take's modes, squeeze to
(1,), creation ops) have their own tests below.
"""
import numpy as np
import pytest

import mxlite as mx
from mxlite.base import MXNetError, ShapeError
from mxlite.ops import registry
from mxlite.test_utils import check_numeric_gradient, check_symbolic_backward, \
    check_symbolic_forward

FLOATS = ('float32', 'float64')
ALL = ('float32', 'float64', 'int32')


def _u(*shape):
    return lambda rng: rng.uniform(-2, 2, shape)


def _ints(values):
    return lambda rng: np.array(values, dtype=np.float64)


class Case:
    """op(inputs, **attrs) must equal ref(*inputs); `index` inputs get no gradient."""

    def __init__(self, cid, op, attrs, inputs, ref, index=(), dtypes=FLOATS, grad=True,
                 rtol=1e-6):
        self.id, self.op, self.attrs, self.inputs, self.ref = cid, op, attrs, inputs, ref
        self.index, self.dtypes, self.grad, self.rtol = set(index), dtypes, grad, rtol

    def arrays(self, dtype):
        rng = np.random.RandomState(hash(self.id) % (2 ** 31))
        out = {}
        for name, make in self.inputs:
            a = make(rng)
            if np.issubdtype(np.dtype(dtype), np.integer) and name not in self.index:
                a = np.round(a * 3)
            out[name] = a.astype(dtype)
        return out

    def symbol(self):
        fn = getattr(mx.sym._internal if self.op.startswith('_') else mx.sym, self.op)
        vs = [mx.sym.Variable(n) for n, _ in self.inputs]
        return fn(*vs, name='op', **self.attrs)

    def expected(self, arrays):
        out = self.ref(*[arrays[n] for n, _ in self.inputs])
        return list(out) if isinstance(out, (list, tuple)) else [out]


def _split(x, n, axis):
    return np.split(x, n, axis=axis)


def _take_ref(mode):
    def ref(a, ind, axis=0):
        return np.take(a, ind.astype(np.int64), axis=axis, mode=mode)
    return ref


def _pick(x, idx, axis, keepdims=False, mode='clip'):
    i = idx.astype(np.int64)
    i = np.clip(i, 0, x.shape[axis] - 1) if mode == 'clip' else np.mod(i, x.shape[axis])
    out = np.take_along_axis(x, np.expand_dims(i, axis), axis)
    return out if keepdims else np.squeeze(out, axis)


def _one_hot(ind, depth, on=1.0, off=0.0):
    i = ind.astype(np.int64)
    return np.where(np.arange(depth) == i[..., None], on, off).astype(np.float32)


def _gather_nd(d, ind):
    return d[tuple(ind.astype(np.int64))]


CASES = [
    # ---- reshape family
    Case('reshape_codes', 'Reshape', {'shape': (0, -3)}, [('data', _u(2, 3, 4))],
         lambda x: x.reshape(2, 12), dtypes=ALL),
    Case('reshape_m4', 'reshape', {'shape': (-4, 2, -1, -2)}, [('data', _u(6, 4))],
         lambda x: x.reshape(2, 3, 4), dtypes=ALL),
    Case('reshape_reverse', 'Reshape', {'shape': (-1, 0), 'reverse': True},
         [('data', _u(2, 3, 4))], lambda x: x.reshape(6, 4)),
    Case('reshape_legacy', 'Reshape', {'target_shape': (0, 4)}, [('data', _u(2, 3, 4))],
         lambda x: x.reshape(6, 4)),
    Case('reshape_keep_highest', 'Reshape', {'target_shape': (7, 0), 'keep_highest': True},
         [('data', _u(2, 3, 4))], lambda x: x.reshape(2, 12)),
    Case('reshape_like', 'reshape_like', {}, [('lhs', _u(6, 2)), ('rhs', _u(3, 4))],
         lambda a, b: a.reshape(3, 4), index=('rhs',)),
    Case('reshape_like_part', 'reshape_like', {'lhs_begin': 0, 'lhs_end': 1, 'rhs_begin': 1},
         [('lhs', _u(6, 2)), ('rhs', _u(5, 2, 3))], lambda a, b: a.reshape(2, 3, 2),
         index=('rhs',)),
    # ---- join / split
    Case('concat', 'Concat', {'dim': 1}, [('x0', _u(2, 3)), ('x1', _u(2, 4))],
         lambda a, b: np.concatenate([a, b], 1), dtypes=ALL),
    Case('concat_neg', 'concat', {'dim': -1}, [('x0', _u(2, 1, 2)), ('x1', _u(2, 1, 3)),
                                               ('x2', _u(2, 1, 1))],
         lambda a, b, c: np.concatenate([a, b, c], -1)),
    Case('stack', 'stack', {'axis': 1}, [('x0', _u(2, 3)), ('x1', _u(2, 3))],
         lambda a, b: np.stack([a, b], 1), dtypes=ALL),
    Case('stack_last', 'stack', {'axis': -1}, [('x0', _u(2,)), ('x1', _u(2,)), ('x2', _u(2,))],
         lambda a, b, c: np.stack([a, b, c], -1)),
    Case('split', 'SliceChannel', {'num_outputs': 3, 'axis': 1}, [('data', _u(2, 6))],
         lambda x: _split(x, 3, 1), dtypes=ALL),
    Case('split_squeeze', 'split', {'num_outputs': 2, 'axis': 0, 'squeeze_axis': True},
         [('data', _u(2, 3))], lambda x: [x[0], x[1]]),
    Case('split_v2', '_split_v2', {'indices': (0, 1, 3), 'axis': -1}, [('data', _u(2, 5))],
         lambda x: np.split(x, [1, 3], axis=-1)),
    # ---- layout
    Case('transpose', 'transpose', {}, [('data', _u(2, 3, 4))], lambda x: x.T, dtypes=ALL),
    Case('transpose_axes', 'transpose', {'axes': (1, 2, 0)}, [('data', _u(2, 3, 4))],
         lambda x: x.transpose(1, 2, 0)),
    Case('swapaxes', 'swapaxes', {'dim1': 0, 'dim2': -1}, [('data', _u(2, 3, 4))],
         lambda x: np.swapaxes(x, 0, 2), dtypes=ALL),
    Case('expand_dims', 'expand_dims', {'axis': -2}, [('data', _u(2, 3))],
         lambda x: x[:, None, :], dtypes=ALL),
    Case('squeeze', 'squeeze', {'axis': (1,)}, [('data', _u(2, 1, 3, 1))],
         lambda x: x[:, 0]),
    Case('squeeze_all', 'squeeze', {}, [('data', _u(2, 1, 3, 1))], lambda x: x[:, 0, :, 0]),
    Case('flip', 'flip', {'axis': (0, 2)}, [('data', _u(2, 3, 4))],
         lambda x: x[::-1, :, ::-1], dtypes=ALL),
    Case('tile', 'tile', {'reps': (2, 1, 3)}, [('data', _u(2, 3))],
         lambda x: np.tile(x, (2, 1, 3)), dtypes=ALL),
    Case('tile_short', 'tile', {'reps': (2,)}, [('data', _u(2, 3))], lambda x: np.tile(x, 2)),
    Case('repeat', 'repeat', {'repeats': 2, 'axis': 1}, [('data', _u(2, 3))],
         lambda x: np.repeat(x, 2, 1), dtypes=ALL),
    Case('repeat_flat', 'repeat', {'repeats': 3}, [('data', _u(2, 2))],
         lambda x: np.repeat(x, 3)),
    Case('broadcast_to', 'broadcast_to', {'shape': (3, 0, 4)}, [('data', _u(1, 2, 1))],
         lambda x: np.broadcast_to(x, (3, 2, 4)), dtypes=ALL),
    Case('broadcast_axis', 'broadcast_axes', {'axis': (0, -1), 'size': (2, 3)},
         [('data', _u(1, 4, 1))], lambda x: np.broadcast_to(x, (2, 4, 3))),
    Case('broadcast_like', 'broadcast_like', {}, [('lhs', _u(1, 3)), ('rhs', _u(4, 3))],
         lambda a, b: np.broadcast_to(a, (4, 3)), index=('rhs',)),
    Case('broadcast_like_axes', 'broadcast_like', {'lhs_axes': (0,), 'rhs_axes': (1,)},
         [('lhs', _u(1, 3)), ('rhs', _u(2, 5))], lambda a, b: np.broadcast_to(a, (5, 3)),
         index=('rhs',)),
    # ---- dtype / shape info
    Case('cast_f64', 'Cast', {'dtype': 'float64'}, [('data', _u(3, 4))],
         lambda x: x.astype(np.float64), dtypes=ALL, rtol=1e-4),
    Case('cast_int', 'cast', {'dtype': 'int32'}, [('data', _u(3, 4))],
         lambda x: x.astype(np.int32), grad=False),
    Case('zeros_like', 'zeros_like', {}, [('data', _u(2, 3))], np.zeros_like, dtypes=ALL),
    Case('ones_like', 'ones_like', {}, [('data', _u(2, 3))], np.ones_like, dtypes=ALL),
    Case('shape_array', 'shape_array', {}, [('data', _u(2, 3, 1))],
         lambda x: np.array(x.shape, np.int64), grad=False, dtypes=ALL),
    Case('size_array', 'size_array', {}, [('data', _u(2, 3))],
         lambda x: np.array([x.size], np.int64), grad=False),
    # ---- slicing
    Case('slice', 'slice', {'begin': (0, 1), 'end': (2, None)}, [('data', _u(3, 4, 2))],
         lambda x: x[0:2, 1:], dtypes=ALL),
    Case('slice_step', 'slice', {'begin': (None, -1), 'end': (None, 0), 'step': (2, -1)},
         [('data', _u(5, 4))], lambda x: x[::2, -1:0:-1]),
    Case('crop', 'crop', {'begin': (1,), 'end': (-1,)}, [('data', _u(4, 2))],
         lambda x: x[1:-1]),
    Case('slice_axis', 'slice_axis', {'axis': -1, 'begin': -3, 'end': 'None'},
         [('data', _u(2, 4))], lambda x: x[:, -3:], dtypes=ALL),
    Case('slice_like', 'slice_like', {}, [('data', _u(3, 4)), ('shape_like', _u(2, 3))],
         lambda x, y: x[:2, :3], index=('shape_like',)),
    Case('slice_like_axes', 'slice_like', {'axes': (-1,)},
         [('data', _u(3, 4)), ('shape_like', _u(1, 2))], lambda x, y: x[:, :2],
         index=('shape_like',)),
    # ---- index ops
    Case('take', 'take', {}, [('a', _u(5, 3)), ('indices', _ints([[0, 4], [2, 0]]))],
         _take_ref('clip'), index=('indices',), dtypes=ALL),
    Case('take_axis_clip', 'take', {'axis': 1, 'mode': 'clip'},
         [('a', _u(2, 3, 2)), ('indices', _ints([-1, 5, 1, 1]))],
         lambda a, i: _take_ref('clip')(a, i, 1), index=('indices',)),
    Case('take_wrap', 'take', {'axis': -1, 'mode': 'wrap'},
         [('a', _u(2, 3)), ('indices', _ints([-1, 4, 0]))],
         lambda a, i: _take_ref('wrap')(a, i, 1), index=('indices',)),
    Case('batch_take', 'batch_take', {}, [('a', _u(3, 4)), ('indices', _ints([3, 0, 1]))],
         lambda a, i: a[np.arange(3), i.astype(int)], index=('indices',)),
    Case('pick', 'pick', {'axis': 1}, [('data', _u(3, 4)), ('index', _ints([0, 3, 2]))],
         lambda x, i: _pick(x, i, 1), index=('index',), dtypes=ALL),
    Case('pick_keep_wrap', 'pick', {'axis': 0, 'keepdims': True, 'mode': 'wrap'},
         [('data', _u(3, 4)), ('index', _ints([2, -1, 4, 0]))],
         lambda x, i: _pick(x, i, 0, True, 'wrap'), index=('index',)),
    Case('one_hot', 'one_hot', {'depth': 4, 'on_value': 2.0, 'off_value': -1.0},
         [('indices', _ints([[0, 3], [5, -1]]))], lambda i: _one_hot(i, 4, 2.0, -1.0),
         index=('indices',), grad=False),
    Case('where', 'where', {}, [('condition', _ints([[1, 0, 0], [0, 2, 1]])),
                                ('x', _u(2, 3)), ('y', _u(2, 3))],
         lambda c, x, y: np.where(c != 0, x, y), index=('condition',), dtypes=ALL),
    Case('where_rows', 'where', {}, [('condition', _ints([0, 1])), ('x', _u(2, 3)),
                                     ('y', _u(2, 3))],
         lambda c, x, y: np.where(c[:, None] != 0, x, y), index=('condition',)),
    Case('gather_nd', 'gather_nd', {}, [('data', _u(3, 4, 2)),
                                        ('indices', _ints([[0, 2, 2], [1, 3, 1]]))],
         _gather_nd, index=('indices',)),
    Case('scatter_nd', 'scatter_nd', {'shape': (3, 4)},
         [('data', _u(2)), ('indices', _ints([[0, 2], [1, 3]]))],
         lambda d, i: _scatter(d, i, (3, 4)), index=('indices',)),
]


def _scatter(d, ind, shape):
    out = np.zeros(shape, d.dtype)
    out[tuple(ind.astype(np.int64))] = d
    return out


ROWS = [(c, dt) for c in CASES for dt in c.dtypes]


@pytest.mark.parametrize('case,dtype', ROWS, ids=['%s-%s' % (c.id, d) for c, d in ROWS])
def test_forward(case, dtype):
    arrays = case.arrays(dtype)
    expected = case.expected(arrays)
    sym = case.symbol()
    check_symbolic_forward(sym, arrays, expected, rtol=1e-6, atol=1e-7, dtype=None)
    got = getattr(mx.nd._internal, case.op)(
        *[mx.nd.array(arrays[n], dtype=arrays[n].dtype) for n, _ in case.inputs], **case.attrs)
    got = got if isinstance(got, list) else [got]
    for g, e in zip(got, expected):
        assert g.dtype == e.dtype or case.op in ('one_hot',), (g.dtype, e.dtype)
        np.testing.assert_allclose(g.asnumpy(), e, rtol=1e-6, atol=1e-7)


GRAD_CASES = [c for c in CASES if c.grad]


@pytest.mark.parametrize('case', GRAD_CASES, ids=[c.id for c in GRAD_CASES])
def test_numeric_gradient(case):
    arrays = case.arrays('float64')
    nodes = [n for n, _ in case.inputs if n not in case.index]
    check_numeric_gradient(case.symbol(), arrays, grad_nodes=nodes, numeric_eps=1e-4,
                           rtol=case.rtol, atol=1e-6, dtype=np.float64)


@pytest.mark.parametrize('case', GRAD_CASES, ids=[c.id for c in GRAD_CASES])
def test_index_inputs_get_no_gradient(case):
    """Index-like inputs are nograd_inputs; a requested gradient stays zero."""
    op = registry.get(case.op)
    names = [n for n, _ in case.inputs]
    assert {names[i] for i in op.nograd_inputs} <= case.index | {'shape_like', 'rhs'}
    if not case.index:
        return
    arrays = case.arrays('float64')
    outs = case.expected(arrays)
    expected = {n: np.zeros_like(arrays[n]) for n in case.index}
    check_symbolic_backward(case.symbol(), arrays, [np.ones_like(o) for o in outs], expected,
                            dtype=np.float64)


@pytest.mark.parametrize('case', CASES, ids=[c.id for c in CASES])
def test_infer_shape_and_type(case):
    arrays = case.arrays('float32')
    expected = case.expected(arrays)
    sym = case.symbol()
    shapes = {n: arrays[n].shape for n, _ in case.inputs}
    arg_shapes, out_shapes, aux_shapes = sym.infer_shape(**shapes)
    assert out_shapes == [e.shape for e in expected]
    assert arg_shapes == [shapes[n] for n in sym.list_arguments()]
    _, out_types, _ = sym.infer_type(**{n: np.float32 for n, _ in case.inputs})
    assert [np.dtype(t) for t in out_types] == [e.dtype for e in expected]


@pytest.mark.parametrize('case', CASES, ids=[c.id for c in CASES])
def test_json_round_trip(case):
    sym = case.symbol()
    js = sym.tojson()
    again = mx.sym.load_json(js)
    assert again.tojson() == js
    assert again.list_arguments() == sym.list_arguments()
    assert again.list_outputs() == sym.list_outputs()


# ----------------------------------------------------------------------------- partial shapes
def test_stack_and_where_fill_unknown_inputs():
    a, b, c = mx.sym.var('a'), mx.sym.var('b'), mx.sym.var('c')
    args, outs, _ = mx.sym.stack(a, b, axis=1).infer_shape(a=(2, 3))
    assert args == [(2, 3), (2, 3)] and outs == [(2, 2, 3)]
    args, outs, _ = mx.sym.where(c, a, b).infer_shape_partial(b=(4, 5))
    assert args == [(), (4, 5), (4, 5)] and outs == [(4, 5)]


def test_concat_partial():
    a, b = mx.sym.var('a'), mx.sym.var('b')
    args, outs, _ = mx.sym.Concat(a, b, dim=1).infer_shape_partial(a=(2, 3))
    assert args == [(2, 3), ()] and outs == [()]
    op = registry.get('Concat')
    p = op.parse_params({'num_args': 2, 'dim': 1})
    # unknown dims (None) are filled from the other input and from the output
    ins, outs = op.infer_shape(p, [(2, None), (None, 4)])
    assert ins == [(2, None), (2, 4)] and outs == [None]
    ins, outs = op.infer_shape(p, [(2, None), None], [(2, 7)])
    assert outs == [(2, 7)] and ins[0] == (2, None)
    ins, outs = op.infer_shape(p, [(2, 3), None], [(2, 7)])
    assert ins == [(2, 3), (2, 4)] and outs == [(2, 7)]


def test_reshape_and_split_backward_inference():
    op = registry.get('Reshape')
    p = op.parse_params({'shape': (2, 3, 4)})
    assert op.infer_shape(p, [(None, 4)], [(2, 3, 4)]) == ([(6, 4)], [(2, 3, 4)])
    assert op.infer_shape(p, [None]) == ([None], [None])
    sc = registry.get('SliceChannel')
    p = sc.parse_params({'num_outputs': 2, 'axis': 1})
    assert sc.infer_shape(p, [None], [(2, 3), (2, 3)]) == ([(2, 6)], [(2, 3), (2, 3)])


def test_creation_ops_bind_without_inputs():
    z = mx.sym._internal._zeros(shape=(2, 3), dtype='int32', name='z')
    r = mx.sym._internal._arange(start=2, stop=5, step=0.5, name='r')
    e = mx.sym._internal._eye(N=3, k=-1, dtype='float64', name='e')
    f = mx.sym._internal._full(shape=(2,), value=7, name='f')
    g = mx.sym.Group([z, r, e, f, mx.sym._internal._ones(shape=(1, 2)),
                      mx.sym._internal._linspace(start=0, stop=1, num=4, endpoint=False)])
    assert mx.sym.load_json(g.tojson()).tojson() == g.tojson()
    _, shapes, _ = g.infer_shape()
    assert shapes == [(2, 3), (6,), (3, 3), (2,), (1, 2), (4,)]
    outs = g.bind(mx.cpu(), {}).forward()
    want = [np.zeros((2, 3), np.int32), np.arange(2, 5, 0.5, dtype=np.float32),
            np.eye(3, k=-1), np.full(2, 7, np.float32), np.ones((1, 2), np.float32),
            np.linspace(0, 1, 4, endpoint=False).astype(np.float32)]
    for o, w in zip(outs, want):
        assert o.dtype == w.dtype
        np.testing.assert_array_equal(o.asnumpy(), w)
    rep = mx.nd._internal._arange(start=3, repeat=2, dtype='int64').asnumpy()
    np.testing.assert_array_equal(rep, [0, 0, 1, 1, 2, 2])


# ----------------------------------------------------------------------------- behaviours
def test_take_gradient_accumulates_repeats_and_modes():
    a = np.random.randn(4, 3)
    ind = np.array([[3, 3, 0], [7, -2, 3]], dtype=np.float32)
    g = np.random.randn(2, 3, 3)
    for mode, pos in (('clip', np.clip(ind.astype(int), 0, 3)), ('wrap', np.mod(ind, 4))):
        x = mx.sym.var('a')
        s = mx.sym.take(x, mx.sym.var('i'), mode=mode)
        want = np.zeros_like(a)
        np.add.at(want, pos.astype(int).reshape(-1), g.reshape(-1, 3))
        check_symbolic_backward(s, {'a': a, 'i': ind}, [g], {'a': want}, rtol=1e-10,
                                dtype=np.float64)
    with pytest.raises(MXNetError, match='out of bounds'):
        mx.nd.take(mx.nd.array(a), mx.nd.array([4]), mode='raise')
    got = mx.nd.take(mx.nd.array(a), mx.nd.array([-1]), mode='raise').asnumpy()
    np.testing.assert_allclose(got, a[[-1]].astype(np.float32))


def test_take_backward_large_is_fast_and_exact():
    op = registry.get('take')
    p = op.parse_params({'axis': 1})
    a = np.zeros((8, 1000, 4), np.float32)
    idx = np.random.randint(0, 1000, size=(5000,)).astype(np.float32)
    ctx = registry.OpContext()
    out = np.empty((8, 5000, 4), np.float32)
    op.forward(p, [a, idx], [out], ctx)
    g = np.random.randn(8, 5000, 4).astype(np.float32)
    grad = op.backward(p, [g], [a, idx], [out], ctx)[0]
    want = np.zeros((1000, 8, 4))
    np.add.at(want, idx.astype(int), g.transpose(1, 0, 2))
    np.testing.assert_allclose(grad, want.transpose(1, 0, 2), rtol=1e-4, atol=1e-4)


def test_squeeze_everything_leaves_one_dim():
    assert mx.nd.squeeze(mx.nd.zeros((1, 1))).shape == (1,)


def test_cast_keeps_gradient_dtype_of_input():
    x = mx.sym.var('x')
    s = mx.sym.Cast(x, dtype='float16')
    data = np.random.randn(2, 3).astype(np.float32)
    head = np.random.randn(2, 3).astype(np.float16)
    grads = check_symbolic_backward(s, {'x': data}, [head], {'x': head.astype(np.float32)},
                                    dtype=None)
    assert grads['x'].dtype == np.float32


def test_one_hot_dtype_and_index_dtype():
    out = mx.nd.one_hot(mx.nd.array([1, 2], dtype='int32'), depth=3, dtype='int64')
    assert out.dtype == np.int64
    np.testing.assert_array_equal(out.asnumpy(), [[0, 1, 0], [0, 0, 1]])


# ----------------------------------------------------------------------------- errors
ERRORS = [
    ('Concat', {'dim': 1}, [(2, 3), (3, 3)], ['Concat', 'arg1', '(3, 3)', '(2, 3)', 'dim=1']),
    ('Concat', {'dim': 2}, [(2, 3), (2, 3)], ['Concat', 'dim=2', '(2, 3)']),
    ('stack', {'axis': 0}, [(2, 3), (2, 4)], ['stack', 'arg1', '(2, 4)', '(2, 3)']),
    ('Reshape', {'shape': (5, -1)}, [(2, 3)], ['Reshape', '(2, 3)']),
    ('Reshape', {}, [(2, 3)], ['Reshape', "'shape'"]),
    ('SliceChannel', {'num_outputs': 4}, [(2, 6)], ['SliceChannel', 'num_outputs=4', '6']),
    ('SliceChannel', {'num_outputs': 2, 'axis': 0, 'squeeze_axis': True}, [(4, 2)],
     ['squeeze_axis', '(4, 2)']),
    ('transpose', {'axes': (0, 0, 1)}, [(2, 3, 4)], ['transpose', 'axes=(0, 0, 1)', '(2, 3, 4)']),
    ('transpose', {'axes': (1, 0)}, [(2, 3, 4)], ['axes=(1, 0)', '(2, 3, 4)']),
    ('SwapAxis', {'dim1': 0, 'dim2': 3}, [(2, 3)], ['SwapAxis', 'dim2=3', '(2, 3)']),
    ('expand_dims', {'axis': 4}, [(2, 3)], ['expand_dims', 'axis=4', '(2, 3)']),
    ('squeeze', {'axis': (0,)}, [(2, 3)], ['squeeze', 'axis=(0,)', '(2, 3)']),
    ('broadcast_to', {'shape': (4, 5)}, [(2, 5)], ['broadcast_to', 'shape=(4, 5)', '(2, 5)']),
    ('broadcast_axis', {'axis': (1,), 'size': (3,)}, [(2, 5)], ['broadcast_axis', '(2, 5)']),
    ('slice', {'begin': (0, 0, 0), 'end': (1, 1, 1)}, [(2, 3)], ['slice', 'begin=(0, 0, 0)',
                                                              '(2, 3)']),
    ('slice', {'begin': (2,), 'end': (1,)}, [(3, 3)], ['slice', 'empty', '(3, 3)']),
    ('slice_axis', {'axis': 1, 'begin': 2, 'end': 9}, [(2, 3)], ['slice_axis', 'end=9', '(2, 3)']),
    ('take', {'axis': 2}, [(2, 3), (4,)], ['take', 'axis=2', '(2, 3)']),
    ('pick', {'axis': 1}, [(2, 3), (3,)], ['pick', 'index', '(3,)', '(2, 3)']),
    ('where', {}, [(2,), (2, 3), (2, 4)], ['where', '(2, 3)', '(2, 4)']),
    ('where', {}, [(3,), (2, 3), (2, 3)], ['where', 'condition', '(3,)']),
    ('tile', {'reps': (0, 1)}, [(2, 3)], ['tile', 'reps=(0, 1)']),
    ('repeat', {'repeats': 2, 'axis': 2}, [(2, 3)], ['repeat', 'axis=2', '(2, 3)']),
]


@pytest.mark.parametrize('op,attrs,shapes,words', ERRORS,
                         ids=['%s-%d' % (e[0], i) for i, e in enumerate(ERRORS)])
def test_shape_errors_name_op_param_and_shapes(op, attrs, shapes, words):
    names = ['in%d' % i for i in range(len(shapes))]
    sym = getattr(mx.sym, op)(*[mx.sym.var(n) for n in names], name='bad', **attrs)
    with pytest.raises(ShapeError) as info:
        sym.infer_shape(**dict(zip(names, shapes)))
    msg = str(info.value)
    assert "'bad'" in msg
    for w in words:
        assert w in msg, (w, msg)
    with pytest.raises(ShapeError) as info:
        getattr(mx.nd, op)(*[mx.nd.zeros(s) for s in shapes], **attrs)
    for w in words:
        assert w in str(info.value), (w, str(info.value))


def test_bad_params_are_rejected_with_names():
    with pytest.raises(MXNetError, match="take.*mode.*'bogus'"):
        mx.sym.take(mx.sym.var('a'), mx.sym.var('i'), mode='bogus')
    with pytest.raises(MXNetError, match="slice_axis.*required parameter 'axis'"):
        mx.sym.slice_axis(mx.sym.var('a'), begin=0, end=1)
    with pytest.raises(MXNetError, match="Reshape.*unknown parameter 'shap'"):
        mx.sym.Reshape(mx.sym.var('a'), shap=(1,))
