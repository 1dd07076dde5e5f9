"""NDArray behaviours that user code relies on, as tables run by small harnesses: fluent
methods, indexing (views versus copies), out=, DLPack, pickling, mx.nd.array's dtype
rules, the error messages of bad calls, and the mx.nd / mx.sym submodules (linalg,
random, contrib)."""
import pickle

import numpy as np
import pytest

import mxlite as mx
from mxlite.base import MXNetError


def _x():
    return np.arange(12, dtype=np.float32).reshape(3, 4) - 4.5


def _check(got, want, dtype=np.float32):
    assert isinstance(got, mx.nd.NDArray), type(got)
    assert got.shape == want.shape, (got.shape, want.shape)
    assert np.dtype(got.dtype) == np.dtype(dtype)
    np.testing.assert_allclose(got.asnumpy(), want, rtol=1e-6, atol=1e-6)


# ---------------------------------------------------------------------- fluent methods
FLUENT = [
    ('sum(axis=1)', lambda x: x.sum(axis=1), lambda a: a.sum(axis=1)),
    ('sum()', lambda x: x.sum(), lambda a: a.sum().reshape(1)),
    ('mean(axis=0, keepdims)', lambda x: x.mean(axis=0, keepdims=True),
     lambda a: a.mean(axis=0, keepdims=True)),
    ('max(axis=1)', lambda x: x.max(axis=1), lambda a: a.max(axis=1)),
    ('exp()', lambda x: x.exp(), np.exp),
    ('abs()', lambda x: x.abs(), np.abs),
    ('square()', lambda x: x.square(), np.square),
    ('reshape(-1, 2)', lambda x: x.reshape(-1, 2), lambda a: a.reshape(-1, 2)),
    ('reshape((2, -1))', lambda x: x.reshape((2, -1)), lambda a: a.reshape(2, -1)),
    ('reshape(0, -1) keeps dim 0', lambda x: x.reshape(0, -1), lambda a: a.reshape(3, -1)),
    ('flatten()', lambda x: x.reshape(3, 2, 2).flatten(), lambda a: a.reshape(3, 4)),
    ('transpose()', lambda x: x.transpose(), lambda a: a.T),
    ('T', lambda x: x.T, lambda a: a.T),
    ('transpose(axes)', lambda x: x.reshape(3, 2, 2).transpose((2, 0, 1)),
     lambda a: a.reshape(3, 2, 2).transpose(2, 0, 1)),
    ('clip(0, 1)', lambda x: x.clip(0, 1), lambda a: np.clip(a, 0, 1)),
    ('argmax(axis=1) as float', lambda x: x.argmax(axis=1),
     lambda a: a.argmax(axis=1).astype(np.float32)),
    ('one_hot(3)', lambda x: mx.nd.array([0, 2, 1]).one_hot(3), lambda a: np.eye(3)[[0, 2, 1]]),
    ('tile((2, 1))', lambda x: x.tile((2, 1)), lambda a: np.tile(a, (2, 1))),
    ('expand_dims(1)', lambda x: x.expand_dims(1), lambda a: a[:, None]),
    ('squeeze()', lambda x: x.reshape(3, 1, 4).squeeze(), lambda a: a),
    ('swapaxes(0, 1)', lambda x: x.swapaxes(0, 1), lambda a: a.swapaxes(0, 1)),
    ('slice_axis', lambda x: x.slice_axis(axis=1, begin=1, end=3), lambda a: a[:, 1:3]),
    ('astype(int32)', lambda x: x.astype('int32'), lambda a: a.astype(np.int32)),
    ('softmax()', lambda x: x.softmax(),
     lambda a: np.exp(a - a.max(1, keepdims=True)) /
     np.exp(a - a.max(1, keepdims=True)).sum(1, keepdims=True)),
]


@pytest.mark.parametrize('label,method,ref', FLUENT, ids=[f[0] for f in FLUENT])
def test_fluent_methods(label, method, ref):
    a = _x()
    got = method(mx.nd.array(a))
    want = np.asarray(ref(a))
    _check(got, want, dtype=np.int32 if 'int32' in label else np.float32)


# ---------------------------------------------------------------------- indexing
GETITEM = [
    ('x[1]', lambda: 1),
    ('x[-1]', lambda: -1),
    ('x[1:3]', lambda: slice(1, 3)),
    ('x[:, 1:3]', lambda: (slice(None), slice(1, 3))),
    ('x[::-1]', lambda: slice(None, None, -1)),
    ('x[:, ::-2]', lambda: (slice(None), slice(None, None, -2))),
    ('x[0:3:2]', lambda: slice(0, 3, 2)),
    ('x[..., 1]', lambda: (Ellipsis, 1)),
    ('x[None, 1]', lambda: (None, 1)),
    ('x[idx NDArray]', lambda: mx.nd.array([0, 2])),
    ('x[idx numpy]', lambda: np.array([2, 0, 2])),
    ('x[idx list]', lambda: [1, 0]),
    ('x[rows, cols]', lambda: (mx.nd.array([0, 1]), mx.nd.array([1, 3]))),
    ('x[bool mask]', lambda: np.array([True, False, True])),
]


def _np_key(key):
    if isinstance(key, mx.nd.NDArray):
        return key.asnumpy().astype(np.int64)
    if isinstance(key, tuple):
        return tuple(_np_key(k) for k in key)
    return key


@pytest.mark.parametrize('label,key', GETITEM, ids=[g[0] for g in GETITEM])
def test_getitem(label, key):
    a = _x()
    k = key()
    _check(mx.nd.array(a)[k], a[_np_key(k)])


@pytest.mark.parametrize('shape,key', [((3,), 1), ((3, 4), (1, 2))], ids=['1d', '2d'])
def test_integer_index_on_every_axis_gives_one_element(shape, key):
    a = np.arange(int(np.prod(shape)), dtype=np.float32).reshape(shape)
    got = mx.nd.array(a)[key]
    assert got.shape == (1,)
    assert got.asscalar() == a[key]


SETITEM = [
    ('row = vector (broadcast)', 1, lambda: mx.nd.array([1, 2, 3, 4])),
    ('all = row vector', slice(None), lambda: mx.nd.array([1, 2, 3, 4])),
    ('all = column', slice(None), lambda: mx.nd.array([[1], [2], [3]])),
    ('block = scalar', (slice(1, None), slice(2, None)), lambda: 7.0),
    ('cols = numpy', (slice(None), slice(1, 3)), lambda: np.ones((3, 2))),
    ('reversed rows = array', slice(None, None, -1), lambda: mx.nd.array(_x())),
    ('strided cols = scalar', (slice(None), slice(None, None, -2)), lambda: -1.0),
    ('fancy rows = scalar', mx.nd.array([0, 2]), lambda: 0.0),
    ('fancy rows = row', np.array([2, 0]), lambda: mx.nd.array([5, 6, 7, 8])),
    ('ellipsis = scalar', Ellipsis, lambda: 3.0),
]


@pytest.mark.parametrize('label,key,value', SETITEM, ids=[s[0] for s in SETITEM])
def test_setitem(label, key, value):
    a = _x()
    x = mx.nd.array(a)
    v = value()
    x[key] = v
    a[_np_key(key)] = v.asnumpy() if isinstance(v, mx.nd.NDArray) else v
    _check(x, a)


VIEWS = [  # (label, make the result from x, shares memory with x as in MXNet)
    ('x[1:3]', lambda x: x[1:3], True),
    ('x[1]', lambda x: x[1], True),
    ('x[-2:]', lambda x: x[-2:], True),
    ('x.reshape(-1, 2)', lambda x: x.reshape(-1, 2), True),
    ('x[:, 1:3]', lambda x: x[:, 1:3], False),
    ('x[::-1]', lambda x: x[::-1], False),
    ('x[0:3:2]', lambda x: x[0:3:2], False),
    ('x[idx]', lambda x: x[mx.nd.array([0, 1])], False),
    ('x.copy()', lambda x: x.copy(), False),
    ('x.T', lambda x: x.T, False),
]


@pytest.mark.parametrize('label,make,shares', VIEWS, ids=[v[0] for v in VIEWS])
def test_views_share_memory(label, make, shares):
    x = mx.nd.array(_x())
    before = x.asnumpy().copy()
    y = make(x)
    y[:] = 100.0
    if shares:
        assert (x.asnumpy() == 100).sum() == y.size
        # and the other way: writes to x show through the view
        x[:] = -1
        assert (y.asnumpy() == -1).all()
    else:
        np.testing.assert_array_equal(x.asnumpy(), before)


# ---------------------------------------------------------------------- out=
OUT = [
    ('exp', lambda x, o: mx.nd.exp(x, out=o), lambda a: np.exp(a), (3, 4)),
    ('sum axis', lambda x, o: mx.nd.sum(x, axis=1, out=o), lambda a: a.sum(1), (3,)),
    ('dot', lambda x, o: mx.nd.dot(x, x, transpose_b=True, out=o), lambda a: a @ a.T,
     (3, 3)),
    ('broadcast_add', lambda x, o: mx.nd.broadcast_add(x, mx.nd.ones((1, 4)), out=o),
     lambda a: a + 1, (3, 4)),
    ('elemwise_mul', lambda x, o: mx.nd.elemwise_mul(x, x, out=o), lambda a: a * a, (3, 4)),
    ('relu', lambda x, o: mx.nd.relu(x, out=o), lambda a: np.maximum(a, 0), (3, 4)),
    ('random.uniform', lambda x, o: mx.nd.random.uniform(2, 2, out=o),
     lambda a: np.full((3, 4), 2.0), (3, 4)),
    ('into a view', lambda x, o: mx.nd.negative(x[1:2], out=o[0:1]), None, (3, 4)),
]


@pytest.mark.parametrize('label,call,ref,shape', OUT, ids=[o[0] for o in OUT])
def test_out_argument(label, call, ref, shape):
    a = _x()
    x = mx.nd.array(a)
    out = mx.nd.zeros(shape)
    got = call(x, out)
    if ref is None:   # wrote into the view: row 0 of out changed, the rest did not
        np.testing.assert_allclose(out.asnumpy()[0], -a[1])
        assert (out.asnumpy()[1:] == 0).all()
        return
    assert got is out
    np.testing.assert_allclose(out.asnumpy(), ref(a), rtol=1e-5)


def test_out_with_other_dtype_casts():
    out = mx.nd.zeros((2,), dtype='float64')
    mx.nd.exp(mx.nd.array([0., 1.]), out=out)
    assert np.dtype(out.dtype) == np.float64
    np.testing.assert_allclose(out.asnumpy(), np.exp([0., 1.]), rtol=1e-6)


# ---------------------------------------------------------------------- DLPack, pickle
def test_dlpack_to_numpy_shares_memory():
    x = mx.nd.array(_x())
    a = np.from_dlpack(x)
    np.testing.assert_array_equal(a, _x())
    x[:] = 3.0
    assert (a == 3.0).all()
    # and back: a new NDArray from the NumPy view
    np.testing.assert_array_equal(mx.nd.array(a).asnumpy(), x.asnumpy())
    assert type(x.to_dlpack_for_read()).__name__ == 'PyCapsule'
    assert type(x.to_dlpack_for_write()).__name__ == 'PyCapsule'


def test_dlpack_module_functions():
    x = mx.nd.array(_x())
    y = mx.nd.from_dlpack(mx.nd.to_dlpack_for_read(x))
    np.testing.assert_array_equal(y.asnumpy(), x.asnumpy())
    z = mx.nd.from_dlpack(mx.nd.to_dlpack_for_write(x))
    z[:] = 1
    assert (x.asnumpy() == 1).all()


PICKLE = [
    ('float32 2-d', lambda: mx.nd.array(_x())),
    ('int32', lambda: mx.nd.array([1, 2, 3], dtype='int32')),
    ('float64', lambda: mx.nd.array([0.1], dtype='float64')),
    ('uint8 3-d', lambda: mx.nd.ones((2, 1, 3), dtype='uint8')),
    ('empty', lambda: mx.nd.zeros((0, 3))),
    ('a view', lambda: mx.nd.array(_x())[1:3]),
]


@pytest.mark.parametrize('label,make', PICKLE, ids=[p[0] for p in PICKLE])
def test_pickle_round_trip(label, make):
    x = make()
    y = pickle.loads(pickle.dumps(x))
    assert isinstance(y, mx.nd.NDArray)
    assert y.shape == x.shape and np.dtype(y.dtype) == np.dtype(x.dtype)
    assert y.context == x.context
    np.testing.assert_array_equal(y.asnumpy(), x.asnumpy())
    if y.size:
        y[:] = 0
        assert x.asnumpy().any()   # the copy is independent


# ---------------------------------------------------------------------- mx.nd.array dtypes
DTYPES = [  # (source, dtype argument, dtype of the result): MXNet 1.9.1's rules
    ('numpy int64', lambda: np.arange(3), None, np.float32),
    ('numpy float64', lambda: np.arange(3.), None, np.float32),
    ('numpy float16', lambda: np.ones(2, np.float16), None, np.float32),
    ('numpy uint8', lambda: np.ones(2, np.uint8), None, np.float32),
    ('python ints', lambda: [1, 2], None, np.float32),
    ('python scalar list', lambda: [[1.5]], None, np.float32),
    ('numpy int64, dtype=int32', lambda: np.arange(3), 'int32', np.int32),
    ('list, dtype=float64', lambda: [1, 2], 'float64', np.float64),
    ('list, dtype=np.uint8', lambda: [1, 2], np.uint8, np.uint8),
    ('NDArray int32 keeps int32', lambda: mx.nd.array([1], dtype='int32'), None, np.int32),
    ('NDArray, dtype=float16', lambda: mx.nd.array([1]), 'float16', np.float16),
]


@pytest.mark.parametrize('label,source,dtype,want', DTYPES, ids=[d[0] for d in DTYPES])
def test_array_dtype_rules(label, source, dtype, want):
    src = source()
    x = mx.nd.array(src) if dtype is None else mx.nd.array(src, dtype=dtype)
    assert np.dtype(x.dtype) == np.dtype(want)
    ref = src.asnumpy() if isinstance(src, mx.nd.NDArray) else np.asarray(src)
    np.testing.assert_array_equal(x.asnumpy(), ref.astype(want))


def test_array_does_not_alias_its_source():
    a = np.ones(3, np.float32)
    x = mx.nd.array(a)
    a[:] = 5
    assert (x.asnumpy() == 1).all()


# ---------------------------------------------------------------------- errors
def _x_nd():
    return mx.nd.array(_x())


ERRORS = [  # (label, bad call, exception type, substrings the message must contain)
    ('unknown param', lambda: mx.nd.sum(_x_nd(), axsi=1), MXNetError,
     ['sum', "'axsi'", "did you mean 'axis'"]),
    ('unknown param, fluent', lambda: _x_nd().sum(axsi=1), MXNetError,
     ['sum', "'axsi'", "did you mean 'axis'"]),
    ('unknown param, layer', lambda: mx.nd.FullyConnected(
        _x_nd(), mx.nd.ones((2, 4)), num_hiden=2, no_bias=True), MXNetError,
     ['FullyConnected', "'num_hiden'", "'num_hidden'"]),
    ('unknown param, symbol', lambda: mx.sym.Convolution(
        mx.sym.var('d'), kernel=(3, 3), num_filtr=4), MXNetError,
     ['Convolution', "'num_filtr'", "'num_filter'"]),
    ('bad param value', lambda: mx.nd.sum(_x_nd(), axis='a'), MXNetError,
     ['sum', "'axis'", "'a'"]),
    ('missing param', lambda: _x_nd().clip(0), MXNetError, ['clip', "'a_max'"]),
    ('missing input', lambda: mx.nd.dot(_x_nd()), MXNetError, ['dot', "'rhs'"]),
    ('bad dtype, op', lambda: mx.nd.Cast(_x_nd(), dtype='foo'), MXNetError,
     ['Cast', "'dtype'", "'foo'"]),
    ('bad dtype, one_hot', lambda: mx.nd.one_hot(mx.nd.array([1]), depth=3, dtype='foo'),
     MXNetError, ['one_hot', "'dtype'", "'foo'"]),
    ('bad dtype, array', lambda: mx.nd.array([1], dtype='foo'), MXNetError,
     ['dtype', "'foo'"]),
    ('bad dtype, zeros', lambda: mx.nd.zeros((2,), dtype='foo'), MXNetError,
     ['dtype', "'foo'"]),
    ('bad dtype, astype', lambda: _x_nd().astype('foo'), MXNetError, ['dtype', "'foo'"]),
    ('cannot broadcast', lambda: mx.nd.broadcast_add(_x_nd(), mx.nd.ones((2,))),
     MXNetError, ['broadcast_add', '(3, 4)', '(2,)']),
    ('cannot broadcast, operator +', lambda: _x_nd() + mx.nd.ones((2,)), MXNetError,
     ['(3, 4)', '(2,)']),
    ('elemwise shapes differ', lambda: mx.nd.elemwise_add(_x_nd(), mx.nd.ones((2,))),
     MXNetError, ['elemwise_add', 'lhs', 'rhs', '(3, 4)', '(2,)']),
    ('axis out of range', lambda: mx.nd.sum(_x_nd(), axis=5), MXNetError,
     ['sum', 'axis 5', '(3, 4)']),
    ('reshape size', lambda: _x_nd().reshape(5, 5), MXNetError,
     ['Reshape', '(5, 5)', '(3, 4)']),
    ('reshape keyword', lambda: _x_nd().reshape((2, 6), revrse=True), TypeError,
     ['reshape', 'revrse']),
    ('out= wrong shape', lambda: mx.nd.exp(_x_nd(), out=mx.nd.zeros((2,))), MXNetError,
     ['exp', 'out', '(2,)', '(3, 4)']),
    ('setitem cannot broadcast', lambda: _x_nd().__setitem__(slice(None), mx.nd.ones((2, 4))),
     MXNetError, ['(2, 4)', '(3, 4)']),
    ('index out of range', lambda: _x_nd()[5], IndexError, ['5']),
]


@pytest.mark.parametrize('label,call,exc,parts', ERRORS, ids=[e[0] for e in ERRORS])
def test_errors_name_the_op_and_argument(label, call, exc, parts):
    with pytest.raises(exc) as info:
        call()
    msg = str(info.value)
    for part in parts:
        assert part in msg, (part, msg)


def test_dtype_mismatch_names_the_arguments():
    with pytest.raises(MXNetError) as info:
        mx.nd.FullyConnected(mx.nd.ones((2, 3), dtype='int32'), mx.nd.ones((2, 3)),
                             num_hidden=2, no_bias=True)
    msg = str(info.value)
    assert 'FullyConnected' in msg and "'weight'" in msg and "'data'" in msg, msg


# ---------------------------------------------------------------------- submodules
LINALG = [  # (name, inputs, params, numpy reference)
    ('gemm', [(2, 3, 4), (2, 4, 5), (2, 3, 5)], dict(alpha=2.0, beta=0.5),
     lambda a, b, c: 2 * a @ b + 0.5 * c),
    ('gemm2', [(2, 3, 4), (2, 5, 4)], dict(transpose_b=True),
     lambda a, b: a @ b.transpose(0, 2, 1)),
    ('syrk', [(3, 4)], dict(alpha=1.5), lambda a: 1.5 * a @ a.T),
    ('potrf', ['spd'], {}, np.linalg.cholesky),
    ('sumlogdiag', ['spd'], {}, lambda a: np.log(np.diag(a)).sum().reshape(1)),
    ('inverse', ['spd'], {}, np.linalg.inv),
    ('det', [(2, 3, 3)], {}, np.linalg.det),
    ('slogdet', [(2, 3, 3)], {}, lambda a: list(np.linalg.slogdet(a))),
    ('extractdiag', [(2, 3, 3)], dict(offset=1), lambda a: np.diagonal(a, 1, 1, 2)),
    ('makediag', [(2, 3)], {}, lambda a: np.stack([np.diag(r) for r in a])),
]


def _linalg_inputs(specs):
    rng = np.random.default_rng(3)
    out = []
    for s in specs:
        if s == 'spd':
            m = rng.standard_normal((4, 4))
            out.append((m @ m.T + 4 * np.eye(4)).astype(np.float32))
        else:
            out.append(rng.standard_normal(s).astype(np.float32))
    return out


@pytest.mark.parametrize('name,specs,params,ref', LINALG, ids=[c[0] for c in LINALG])
def test_linalg_nd_and_sym(name, specs, params, ref):
    inputs = _linalg_inputs(specs)
    want = ref(*[a.astype(np.float64) for a in inputs])
    want = want if isinstance(want, list) else [want]
    got = getattr(mx.nd.linalg, name)(*[mx.nd.array(a) for a in inputs], **params)
    got = got if isinstance(got, list) else [got]
    for g, w in zip(got, want):
        np.testing.assert_allclose(g.asnumpy(), np.asarray(w).reshape(g.shape), rtol=1e-4,
                                   atol=1e-4)
    # the symbol version builds the same op, and evaluates to the same values
    names = ['a%d' % i for i in range(len(inputs))]
    sym = getattr(mx.sym.linalg, name)(*[mx.sym.var(n) for n in names], **params)
    assert mx.sym.load_json(sym.tojson()).tojson() == sym.tojson()
    assert '"op": "_linalg_%s"' % name in sym.tojson()
    outs = sym.eval(**{n: mx.nd.array(a) for n, a in zip(names, inputs)})
    for o, g in zip(outs, got):
        np.testing.assert_allclose(o.asnumpy(), g.asnumpy(), rtol=1e-6)


def test_linalg_namespace_lists_the_ops():
    for mod in (mx.nd.linalg, mx.sym.linalg):
        assert {'gemm', 'gemm2', 'potrf', 'syrk', 'sumlogdiag', 'inverse', 'det', 'slogdet',
                'extractdiag', 'makediag'} <= set(mod.__all__)


SYM_RANDOM = [  # (label, symbol, bound input arrays, output shape, check on the values)
    ('uniform', lambda: mx.sym.random.uniform(2, 3, shape=(50, 4)), {}, (50, 4),
     lambda v: (v >= 2).all() and (v < 3).all()),
    ('normal', lambda: mx.sym.random.normal(5, 0.1, shape=(200,)), {}, (200,),
     lambda v: abs(v.mean() - 5) < 0.05),
    ('randn', lambda: mx.sym.random.randn(3, 7, loc=1), {}, (3, 7), lambda v: True),
    ('exponential', lambda: mx.sym.random.exponential(2, shape=(500,)), {}, (500,),
     lambda v: (v >= 0).all() and 1.5 < v.mean() < 2.5),
    ('gamma', lambda: mx.sym.random.gamma(2, 0.5, shape=(500,)), {}, (500,),
     lambda v: (v > 0).all() and 0.8 < v.mean() < 1.2),
    ('poisson', lambda: mx.sym.random.poisson(4, shape=(500,)), {}, (500,),
     lambda v: (v == np.round(v)).all() and 3.5 < v.mean() < 4.5),
    ('randint', lambda: mx.sym.random.randint(0, 5, shape=(100,)), {}, (100,),
     lambda v: v.dtype == np.int32 and v.min() >= 0 and v.max() < 5),
    ('sample uniform', lambda: mx.sym.random.uniform(mx.sym.var('lo'), mx.sym.var('hi'),
                                                     shape=3),
     {'lo': np.array([0., 10.]), 'hi': np.array([1., 11.])}, (2, 3),
     lambda v: (v[0] < 1).all() and (v[1] >= 10).all()),
    ('sample normal', lambda: mx.sym.random.normal(mx.sym.var('mu'), mx.sym.var('sd')),
     {'mu': np.array([0., 100.]), 'sd': np.array([1., 1.])}, (2,),
     lambda v: v[1] > 90),
    ('multinomial', lambda: mx.sym.random.multinomial(mx.sym.var('p'), shape=4),
     {'p': np.array([[0., 1., 0.], [1., 0., 0.]])}, (2, 4),
     lambda v: (v[0] == 1).all() and (v[1] == 0).all()),
    ('shuffle', lambda: mx.sym.random.shuffle(mx.sym.var('d')),
     {'d': np.arange(10.)}, (10,), lambda v: sorted(v) == list(range(10))),
    ('normal_like', lambda: mx.sym.random.normal_like(mx.sym.var('d')),
     {'d': np.zeros((2, 5))}, (2, 5), lambda v: True),
]


@pytest.mark.parametrize('label,make,inputs,shape,check', SYM_RANDOM,
                         ids=[r[0] for r in SYM_RANDOM])
def test_sym_random(label, make, inputs, shape, check):
    sym = make()
    assert mx.sym.load_json(sym.tojson()).tojson() == sym.tojson()
    args = {k: mx.nd.array(v) for k, v in inputs.items()}
    mx.random.seed(7)
    first = sym.eval(**args)[0].asnumpy()
    assert first.shape == shape
    assert check(first)
    mx.random.seed(7)
    np.testing.assert_array_equal(sym.eval(**args)[0].asnumpy(), first)


def test_sym_random_names_and_errors():
    assert mx.sym.random.uniform(shape=(2,), name='u').name == 'u'
    assert '"op": "_random_uniform"' in mx.sym.random.uniform(shape=(2,)).tojson()
    assert '"op": "_sample_normal"' in mx.sym.random.normal(
        mx.sym.var('a'), mx.sym.var('b')).tojson()
    with pytest.raises(MXNetError, match='same type'):
        mx.sym.random.normal(mx.sym.var('a'), 1.0)
    with pytest.raises(MXNetError, match='integers'):
        mx.sym.random.randint(mx.sym.var('a'), 3)


CONTRIB = [  # (name, input, expected)
    ('isinf', [1., np.inf, -np.inf, np.nan], [0., 1., 1., 0.]),
    ('isnan', [1., np.inf, -np.inf, np.nan], [0., 0., 0., 1.]),
    ('isfinite', [1., np.inf, -np.inf, np.nan], [1., 0., 0., 0.]),
]


@pytest.mark.parametrize('name,data,want', CONTRIB, ids=[c[0] for c in CONTRIB])
def test_contrib_tests_nd_and_sym(name, data, want):
    x = mx.nd.array(data)
    _check(getattr(mx.nd.contrib, name)(x), np.array(want, np.float32))
    sym = getattr(mx.sym.contrib, name)(mx.sym.var('x'))
    assert mx.sym.load_json(sym.tojson()).tojson() == sym.tojson()
    _check(sym.eval(x=x)[0], np.array(want, np.float32))


def test_contrib_foreach_and_cond():
    data = mx.nd.array(np.arange(6.).reshape(3, 2))

    def step(x, states):
        total = states[0] + x
        return [total, total * 2], [total]
    outs, states = mx.nd.contrib.foreach(step, data, [mx.nd.zeros((2,))])
    np.testing.assert_allclose(outs[0].asnumpy(), np.cumsum(np.arange(6.).reshape(3, 2), 0))
    np.testing.assert_allclose(outs[1].asnumpy(), 2 * outs[0].asnumpy())
    np.testing.assert_allclose(states[0].asnumpy(), [6., 9.])
    # gradients flow through the Python loop under autograd
    data.attach_grad()
    with mx.autograd.record():
        outs, _ = mx.nd.contrib.foreach(lambda x, s: (x * s, s + 1), data, mx.nd.ones((2,)))
        loss = outs.sum()
    loss.backward()
    np.testing.assert_allclose(data.grad.asnumpy(), [[1, 1], [2, 2], [3, 3]])
    one, two = mx.nd.array([1.]), mx.nd.array([2.])
    assert mx.nd.contrib.cond(one > two, lambda: one, lambda: two) is two
    with pytest.raises(MXNetError, match='one element'):
        mx.nd.contrib.cond(mx.nd.ones((2,)), lambda: one, lambda: two)


def test_none_positional_input_is_left_out_as_in_mxnet():
    """mx.nd functions drop a None input and move the later ones up (MXNet's generated
    functions do), so the optional middle input of CTCLoss can be skipped positionally."""
    pred = mx.nd.array(np.random.RandomState(0).randn(4, 2, 5))
    label = mx.nd.array([[1, 2], [3, 0]])
    lengths = mx.nd.array([2, 1])
    skipped = mx.nd.CTCLoss(pred, label, None, lengths, use_label_lengths=True)
    named = mx.nd.CTCLoss(pred, label, label_lengths=lengths, use_label_lengths=True)
    np.testing.assert_array_equal(skipped.asnumpy(), named.asnumpy())
    # a trailing None is left out too
    np.testing.assert_array_equal(mx.nd.relu(mx.nd.array([-1, 2]), None).asnumpy(), [0, 2])


def test_slogdet_outputs_are_named_as_in_mxnet():
    # MXNet 1.9.1: mx.sym.linalg.slogdet(a).list_outputs() == ['slogdet0_output0', ...]
    out = mx.sym.linalg.slogdet(mx.sym.var('a'), name='slogdet0').list_outputs()
    assert out == ['slogdet0_output0', 'slogdet0_output1']


@pytest.mark.parametrize('lower', [True, False])
def test_potrf_lower_and_upper_factor_with_gradient(lower):
    """MXNet 1.9.1's potrf(lower=False) gives U = L^T (checked against the real one:
    [[4, 2], [2, 3]] -> [[2, 1], [0, 1.4142135]])."""
    from mxlite.test_utils import check_numeric_gradient
    a = np.array([[4., 2.], [2., 3.]])
    out = mx.nd.linalg.potrf(mx.nd.array(a, dtype='float64'), lower=lower).asnumpy()
    L = np.linalg.cholesky(a)
    np.testing.assert_allclose(out, L if lower else L.T, rtol=1e-12)
    rng = np.random.RandomState(1)
    m = rng.randn(3, 3)
    spd = m @ m.T + 3 * np.eye(3)
    x = mx.sym.var('x')
    # symmetrise inside the graph: potrf reads a symmetric matrix
    sym = mx.sym.linalg.potrf(0.5 * (x + mx.sym.transpose(x)), lower=lower)
    check_numeric_gradient(sym, {'x': spd}, numeric_eps=1e-6, rtol=1e-4, atol=1e-6,
                           dtype=np.float64)


def test_out_decides_what_inference_leaves_open():
    """Ops without inputs or with a free dtype: out= gives the shape, float32 the dtype
    (as in bound graphs; NumPy's default would be float64)."""
    b = mx.nd.zeros((2, 3))
    mx.nd._internal._set_value(src=3.0, out=b)
    np.testing.assert_array_equal(b.asnumpy(), np.full((2, 3), 3.0))
    assert mx.nd._internal._zeros_without_dtype(shape=(2,)).dtype == np.float32
    with pytest.raises(mx.base.MXNetError, match='could not infer the output shape'):
        mx.nd._internal._set_value(src=3.0)


@pytest.mark.parametrize('how,shapes', [((2, 5), [(2,), (3,), (5,)]), (2, [(5,), (5,)])])
def test_split_v2_nd_and_sym(how, shapes):
    x = mx.nd.arange(10)
    parts = mx.nd.split_v2(x, how)
    assert [p.shape for p in parts] == shapes
    np.testing.assert_array_equal(np.concatenate([p.asnumpy() for p in parts]), x.asnumpy())
    outs = mx.sym.split_v2(mx.sym.var('a'), how).eval(a=x)
    assert [o.shape for o in outs] == shapes
    with pytest.raises(mx.base.MXNetError, match='int or a tuple'):
        mx.nd.split_v2(x, [2, 5])   # MXNet refuses lists too
    with pytest.raises(mx.base.MXNetError, match='equal'):
        mx.nd.split_v2(x, 3)


def test_split_v2_symbol_json_matches_mxnet():
    # MXNet 1.9.1 writes indices as a list with 0 in front, sections 0
    import json
    node = json.loads(mx.sym.split_v2(mx.sym.var('a'), (2, 5)).tojson())['nodes'][1]
    assert node['attrs'] == {'axis': '0', 'indices': '[0, 2, 5]', 'sections': '0',
                             'squeeze_axis': 'False'}


def test_slice_assign_methods_write_in_place():
    a = mx.nd.zeros((3, 4))
    assert a.slice_assign(mx.nd.ones((2, 2)), (0, 1), (2, 3), (None, None)) is a
    a.slice_assign_scalar(5.0, (2, None), (3, None), (None, None))
    expect = np.zeros((3, 4))
    expect[0:2, 1:3] = 1
    expect[2] = 5
    np.testing.assert_array_equal(a.asnumpy(), expect)
