"""Operators of mxlite/ops/misc_ops_a.py: forward vs NumPy loops, gradients, shapes,
JSON round trip, imperative == symbolic, errors."""
import numpy as np
import pytest

import mxlite as mx
from mxlite.base import MXNetError
from mxlite.test_utils import assert_almost_equal, check_numeric_gradient

RNG = np.random.RandomState(7)


# ----------------------------------------------------------------------------- references
def ref_groupnorm(x, gamma, beta, g, eps):
    n, c = x.shape[:2]
    out = np.empty(x.shape)
    mean, std = np.empty((n, g)), np.empty((n, g))
    cg = c // g
    for i in range(n):
        for j in range(g):
            blk = x[i, j * cg:(j + 1) * cg].astype(np.float64)
            m = blk.sum() / blk.size
            v = ((blk - m) ** 2).sum() / blk.size
            mean[i, j], std[i, j] = m, np.sqrt(v + eps)
            out[i, j * cg:(j + 1) * cg] = (blk - m) / std[i, j] * gamma[j] + beta[j]
    return out, mean, std


def ref_im2col(x, kernel, stride, dilate, pad):
    n, c = x.shape[:2]
    xp = np.pad(x, [(0, 0), (0, 0)] + [(q, q) for q in pad])
    out_sp = [(s + 2 * q - d * (k - 1) - 1) // t + 1
              for s, k, t, d, q in zip(x.shape[2:], kernel, stride, dilate, pad)]
    rows = []
    for ch in range(c):
        for kidx in np.ndindex(*kernel):
            vals = np.empty((n,) + tuple(out_sp))
            for oidx in np.ndindex(*out_sp):
                pos = tuple(o * t + k * d for o, t, k, d in zip(oidx, stride, kidx, dilate))
                vals[(slice(None),) + oidx] = xp[(slice(None), ch) + pos]
            rows.append(vals.reshape(n, -1))
    return np.stack(rows, axis=1)


def ref_col2im(cols, c, size, kernel, stride, dilate, pad):
    n = cols.shape[0]
    padded = [s + 2 * q for s, q in zip(size, pad)]
    img = np.zeros((n, c) + tuple(padded))
    out_sp = [(s + 2 * q - d * (k - 1) - 1) // t + 1
              for s, k, t, d, q in zip(size, kernel, stride, dilate, pad)]
    r = 0
    for ch in range(c):
        for kidx in np.ndindex(*kernel):
            for li, oidx in enumerate(np.ndindex(*out_sp)):
                pos = tuple(o * t + k * d for o, t, k, d in zip(oidx, stride, kidx, dilate))
                img[(slice(None), ch) + pos] += cols[:, r, li]
            r += 1
    return img[(slice(None), slice(None)) + tuple(slice(q, q + s) for q, s in zip(pad, size))]


# ----------------------------------------------------------------------------- table
# name -> (symbol builder, {input: array}, reference(inputs) -> list of outputs, grad nodes)
def _gn(**kw):
    return lambda: mx.sym.GroupNorm(mx.sym.var('data'), mx.sym.var('gamma'),
                                    mx.sym.var('beta'), **kw)


X4 = RNG.randn(2, 6, 3, 2)
G3, B3 = RNG.rand(3) + 0.5, RNG.randn(3)
GEO = dict(kernel=(2, 3), stride=(2, 1), dilate=(1, 2), pad=(1, 1))
IMG = RNG.randn(2, 3, 5, 6)
COLS = ref_im2col(IMG, (2, 3), (2, 1), (1, 2), (1, 1))
A3 = RNG.randn(3, 4, 2)

CASES = {
    'groupnorm': (_gn(num_groups=3), {'data': X4, 'gamma': G3, 'beta': B3},
                  lambda d: ref_groupnorm(d['data'], d['gamma'], d['beta'], 3, 1e-5)[:1],
                  ['data', 'gamma', 'beta']),
    'groupnorm_1d_eps': (_gn(num_groups=2, eps=1e-2), {'data': RNG.randn(3, 4),
                                                        'gamma': G3[:2], 'beta': B3[:2]},
                         lambda d: ref_groupnorm(d['data'], d['gamma'], d['beta'], 2,
                                                 1e-2)[:1], ['data', 'gamma', 'beta']),
    'groupnorm_meanvar': (_gn(num_groups=3, output_mean_var=True),
                          {'data': X4, 'gamma': G3, 'beta': B3},
                          lambda d: list(ref_groupnorm(d['data'], d['gamma'], d['beta'], 3,
                                                       1e-5)), None),
    'cumsum_flat': (lambda: mx.sym.cumsum(mx.sym.var('a')), {'a': A3},
                    lambda d: [np.cumsum(d['a'])], ['a']),
    'cumsum_axis': (lambda: mx.sym.cumsum(mx.sym.var('a'), axis=-2), {'a': A3},
                    lambda d: [np.cumsum(d['a'], axis=1)], ['a']),
    'im2col_2d': (lambda: mx.sym.im2col(mx.sym.var('data'), **GEO), {'data': IMG},
                  lambda d: [ref_im2col(d['data'], (2, 3), (2, 1), (1, 2), (1, 1))],
                  ['data']),
    'im2col_plain': (lambda: mx.sym.im2col(mx.sym.var('data'), kernel=(2, 2)),
                     {'data': IMG}, lambda d: [ref_im2col(d['data'], (2, 2), (1, 1), (1, 1),
                                                          (0, 0))], ['data']),
    'im2col_3d': (lambda: mx.sym.im2col(mx.sym.var('data'), kernel=(2, 1, 2), pad=(0, 1, 0)),
                  {'data': RNG.randn(1, 2, 3, 2, 3)},
                  lambda d: [ref_im2col(d['data'], (2, 1, 2), (1, 1, 1), (1, 1, 1),
                                        (0, 1, 0))], ['data']),
    'col2im_2d': (lambda: mx.sym.col2im(mx.sym.var('data'), output_size=(5, 6), **GEO),
                  {'data': COLS}, lambda d: [ref_col2im(d['data'], 3, (5, 6), (2, 3), (2, 1),
                                                        (1, 2), (1, 1))], ['data']),
    'fill_element_0index': (lambda: mx.sym.fill_element_0index(
        mx.sym.var('lhs'), mx.sym.var('mhs'), mx.sym.var('rhs')),
        {'lhs': RNG.randn(3, 4), 'mhs': RNG.randn(3), 'rhs': np.array([1., 3., 0.])},
        lambda d: [_fill_ref(d)], ['lhs', 'mhs']),
    'choose_element_0index': (lambda: mx.sym.choose_element_0index(
        mx.sym.var('data'), mx.sym.var('index')),
        {'data': RNG.randn(3, 4), 'index': np.array([1., 3., 0.])},
        lambda d: [d['data'][np.arange(3), d['index'].astype(int)]], ['data']),
    'square_sum': (lambda: mx.sym._internal._square_sum(mx.sym.var('a'), axis=1),
                   {'a': A3}, lambda d: [(d['a'] ** 2).sum(axis=1)], ['a']),
    'square_sum_keep': (lambda: mx.sym._internal._square_sum(mx.sym.var('a'), axis=(0, 2),
                                                              keepdims=True),
                        {'a': A3}, lambda d: [(d['a'] ** 2).sum(axis=(0, 2), keepdims=True)],
                        ['a']),
    'square_sum_all': (lambda: mx.sym._internal._square_sum(mx.sym.var('a')),
                       {'a': A3}, lambda d: [np.array([(d['a'] ** 2).sum()])], ['a']),
    'square_sum_exclude': (lambda: mx.sym._internal._square_sum(mx.sym.var('a'), axis=1,
                                                                 exclude=True),
                           {'a': A3}, lambda d: [(d['a'] ** 2).sum(axis=(0, 2))], ['a']),
    'cast_storage': (lambda: mx.sym.cast_storage(mx.sym.var('a'), stype='row_sparse'),
                     {'a': A3}, lambda d: [d['a']], ['a']),
    'amp_cast': (lambda: mx.sym.amp_cast(mx.sym.var('a'), dtype='float64'),
                 {'a': A3}, lambda d: [d['a']], ['a']),
    'multi_sum_sq': (lambda: mx.sym.multi_sum_sq(mx.sym.var('a'), mx.sym.var('b'),
                                                 num_arrays=2),
                     {'a': A3, 'b': X4}, lambda d: [np.array([(d['a'] ** 2).sum(),
                                                              (d['b'] ** 2).sum()])], None),
    'allclose': (lambda: mx.sym.contrib.allclose(mx.sym.var('a'), mx.sym.var('b')),
                 {'a': A3, 'b': A3 + 1e-9}, lambda d: [np.array(1)], None),
}


def _fill_ref(d):
    out = d['lhs'].copy()
    for i, j in enumerate(d['rhs'].astype(int)):
        out[i, j] = d['mhs'][i]
    return out


def _nd_call(sym, arrays, dtype):
    """The same op called imperatively through mx.nd (inputs in list_arguments order)."""
    import json
    node = json.loads(sym.tojson())['nodes'][-1]
    op = node['op']
    fn = getattr(mx.nd._internal, op)
    return fn(*[mx.nd.array(arrays[n], dtype=dtype) for n in sym.list_arguments()],
              **node.get('attrs', {}))


@pytest.mark.parametrize('dtype', ['float32', 'float64'])
@pytest.mark.parametrize('case', sorted(CASES))
def test_forward(case, dtype):
    build, arrays, ref, _ = CASES[case]
    s = build()
    ex = s.bind(mx.cpu(), {n: mx.nd.array(arrays[n], dtype=dtype) for n in s.list_arguments()})
    outs = ex.forward()
    expected = ref(arrays)
    assert len(outs) == len(expected)
    for o, e in zip(outs, expected):
        assert o.shape == np.shape(e)
        tol = 1e-10 if o.dtype == np.float64 and dtype == 'float64' else 1e-4
        assert_almost_equal(o.asnumpy().astype(np.float64), e, rtol=tol, atol=tol)
    # imperative == symbolic
    nd_out = _nd_call(s, arrays, dtype)
    nd_out = nd_out if isinstance(nd_out, list) else [nd_out]
    for a, b in zip(nd_out, outs):
        assert_almost_equal(a.asnumpy(), b.asnumpy())
    # shape inference from the inputs alone, and the JSON round trip
    shapes = {n: arrays[n].shape for n in s.list_arguments()}
    assert s.infer_shape(**shapes)[1] == [np.shape(e) for e in expected]
    assert mx.sym.load_json(s.tojson()).tojson() == s.tojson()


@pytest.mark.parametrize('case', sorted(k for k, v in CASES.items() if v[3]))
def test_numeric_gradient(case):
    build, arrays, _, nodes = CASES[case]
    check_numeric_gradient(build(), arrays, grad_nodes=nodes, numeric_eps=1e-6, rtol=1e-5,
                           atol=1e-7, dtype=np.float64)


# ----------------------------------------------------------------------------- specifics
def test_groupnorm_mxnet_values_and_shapes():
    # MXNet 1.9.1: gamma/beta are per group, std = sqrt(var + eps)
    x = mx.nd.array(np.arange(24).reshape(2, 4, 3) / 10.)
    out, mean, std = mx.nd.GroupNorm(x, mx.nd.ones((2,)), mx.nd.zeros((2,)), num_groups=2,
                                     output_mean_var=True)
    assert_almost_equal(mean.asnumpy(), [[0.25, 0.85], [1.45, 2.05]], rtol=1e-6)
    assert_almost_equal(std.asnumpy(), np.full((2, 2), 0.17081179), rtol=1e-6)
    s = mx.sym.GroupNorm(mx.sym.var('data'), num_groups=2, name='groupnorm0')
    assert s.list_arguments() == ['data', 'groupnorm0_gamma', 'groupnorm0_beta']
    # gamma and beta follow from num_groups before the data shape is known
    assert s.infer_shape_partial()[0][1:] == [(2,), (2,)]
    assert s.list_outputs()[0].endswith('_output') and len(s.list_outputs()) == 1
    assert len(mx.sym.GroupNorm(mx.sym.var('d'), num_groups=2,
                                output_mean_var=True).list_outputs()) == 3
    arg, out_s, _ = s.infer_shape(data=(2, 4, 3, 5))
    assert arg[1:] == [(2,), (2,)] and out_s == [(2, 4, 3, 5)]
    with pytest.raises(MXNetError, match='num_groups'):
        s.infer_shape(data=(2, 5, 3))
    with pytest.raises(MXNetError, match='gamma'):
        mx.nd.GroupNorm(x, mx.nd.ones((4,)), mx.nd.zeros((2,)), num_groups=2)


def test_cumsum_dtypes_and_shapes():
    ints = mx.nd.array([[1, 2], [3, 4]], dtype='int32')
    assert mx.nd.cumsum(ints).dtype == np.int32
    r = mx.nd.cumsum(mx.nd.array([[1, 2], [3, 4]]), axis=1, dtype='float64')
    assert r.dtype == np.float64 and r.asnumpy().tolist() == [[1, 3], [3, 7]]
    s = mx.sym.cumsum(mx.sym.var('a'))
    assert s.list_arguments() == ['a'] and '"_np_cumsum"' in s.tojson()
    assert s.infer_shape(a=(3, 4))[1] == [(12,)]
    with pytest.raises(MXNetError, match='axis 2'):
        mx.sym.cumsum(mx.sym.var('a'), axis=2).infer_shape(a=(3, 4))
    with pytest.raises(MXNetError, match='dtype'):
        mx.nd.cumsum(ints, dtype='uint16')


def test_im2col_col2im_shapes_and_errors():
    a = mx.sym.var('a')
    # values checked against MXNet 1.9.1
    assert mx.sym.im2col(a, kernel=(2, 2), stride=(2, 1), pad=(1, 0), dilate=(1, 2)) \
        .infer_shape(a=(2, 3, 7, 8))[1] == [(2, 12, 24)]
    c = mx.sym.col2im(a, kernel=(2, 2), output_size=(3, 3))
    assert c.infer_shape(a=(2, 8, 4))[1] == [(2, 2, 3, 3)]
    # partially known shapes (0: unknown) flow through
    assert c.infer_shape_partial(a=(2, 0, 4))[1] == [(2, 0, 3, 3)]
    assert mx.sym.im2col(a, kernel=(2, 2)).infer_shape_partial(a=(0, 3, 4, 4))[1] == \
        [(0, 12, 9)]
    x = np.arange(2 * 3 * 5 * 6).reshape(2, 3, 5, 6).astype(np.float32)
    o = mx.nd.im2col(mx.nd.array(x), kernel=(2, 3), stride=(2, 1), pad=(1, 1), dilate=(1, 2))
    w = np.arange(o.size).reshape(o.shape)
    assert o.shape == (2, 18, 12) and (o.asnumpy() * w).sum() == 7804890.0
    with pytest.raises(MXNetError, match='stride'):
        mx.sym.im2col(a, kernel=(2, 2), stride=(1,)).infer_shape(a=(1, 1, 4, 4))
    with pytest.raises(MXNetError, match='needs 4 dimensions'):
        mx.sym.im2col(a, kernel=(2, 2)).infer_shape(a=(1, 4, 4))
    with pytest.raises(MXNetError, match='does not fit'):
        mx.sym.im2col(a, kernel=(5, 5)).infer_shape(a=(1, 1, 4, 4))
    with pytest.raises(MXNetError, match='number of blocks'):
        c.infer_shape(a=(2, 8, 5))
    with pytest.raises(MXNetError, match='multiple of prod'):
        c.infer_shape(a=(2, 7, 4))
    with pytest.raises(MXNetError, match="'kernel'"):
        mx.sym.im2col(a)


def test_random_randint_alias():
    x = mx.nd.random_randint(low=2, high=5, shape=(50,))
    assert x.dtype == np.int32 and x.asnumpy().min() >= 2 and x.asnumpy().max() < 5
    y = mx.nd.random.randint(0, 10, shape=(3, 2))
    assert y.shape == (3, 2)
    s = mx.sym.random_randint(low=0, high=3, shape=(2,))
    assert '"_random_randint"' in s.tojson()
    assert mx.sym.load_json(s.tojson()).tojson() == s.tojson()


def test_amp_types():
    a, b, c = mx.sym.var('a'), mx.sym.var('b'), mx.sym.var('c')
    names = lambda ts: [np.dtype(t).name for t in ts]  # noqa: E731
    # (inputs, cast_narrow) -> outputs, as MXNet 1.9.1 infers them
    table = [
        (('float16', 'float32', 'float16'), False, ('float32', 'float32', 'float32')),
        (('float16', 'float32', 'float16'), True, ('float16', 'float16', 'float16')),
        (('float64', 'float16', 'float16'), False, ('float64', 'float64', 'float64')),
        (('float64', 'float16', 'float16'), True, ('float64', 'float16', 'float16')),
        (('int32', 'float16', 'float16'), False, ('int32', 'int32', 'int32')),
        (('uint8', 'float32', 'float16'), True, ('uint8', 'float16', 'float16')),
        (('int32', 'float64', 'float32'), True, ('int32', 'float64', 'float32')),
    ]
    for ins, narrow, outs in table:
        s = mx.sym.amp_multicast(a, b, c, num_outputs=3, cast_narrow=narrow)
        assert names(s.infer_type(a=ins[0], b=ins[1], c=ins[2])[1]) == list(outs)
    for t, out in (('float32', 'float16'), ('float64', 'float64'), ('int32', 'int32')):
        assert names(mx.sym.amp_cast(a, dtype='float16').infer_type(a=t)[1]) == [out]
    r = mx.nd.amp_multicast(mx.nd.ones((2,), dtype='float16'), mx.nd.ones((3,)),
                            num_outputs=2)
    assert [x.dtype for x in r] == [np.float32, np.float32] and r[1].shape == (3,)
    x = mx.nd.ones((2,), dtype='float16')
    x.attach_grad()
    with mx.autograd.record():
        y = mx.nd.amp_cast(x, dtype='float32')
    y.backward(mx.nd.array([2., 3.]))
    assert x.grad.dtype == np.float16 and x.grad.asnumpy().tolist() == [2, 3]
    with pytest.raises(MXNetError, match='dtype'):
        mx.nd.amp_cast(x, dtype='complex64')


def test_cast_storage_and_onehot():
    s = mx.sym.cast_storage(mx.sym.var('x'), stype='csr')
    assert mx.sym.load_json(s.tojson()).tojson() == s.tojson()
    with pytest.raises(MXNetError, match='stype'):
        mx.sym.cast_storage(mx.sym.var('x'), stype='dense')
    # sparse NDArrays come from the sparse module, as tostype gives them
    c = mx.nd.sparse.cast_storage(mx.nd.array([[0, 1], [0, 0]]), 'csr')
    assert c.stype == 'csr' and c.asnumpy().tolist() == [[0, 1], [0, 0]]
    out = mx.nd.zeros((3, 4))
    mx.nd._internal._onehot_encode(mx.nd.array([1, 3, 0]), out, out=out)
    assert out.asnumpy().tolist() == np.eye(4)[[1, 3, 0]].tolist()
    assert mx.nd.onehot_encode(mx.nd.array([2, 0]), mx.nd.zeros((2, 3))).asnumpy() \
        .tolist() == [[0, 0, 1], [1, 0, 0]]
    with pytest.raises(MXNetError, match='lhs of shape'):
        mx.nd._internal._onehot_encode(mx.nd.array([1, 2]), mx.nd.zeros((3, 4)))
    with pytest.raises(MXNetError, match='mhs has shape'):
        mx.nd.fill_element_0index(mx.nd.zeros((3, 4)), mx.nd.ones((2,)), mx.nd.ones((3,)))


def test_reset_arrays_and_multi_sum_sq():
    a, b = mx.nd.ones((2, 3)), mx.nd.array([1., 2.], dtype='float64')
    mx.nd.reset_arrays(a, b, num_arrays=2)
    assert (a.asnumpy() == 0).all() and (b.asnumpy() == 0).all()
    r = mx.nd.multi_sum_sq(mx.nd.array(A3), mx.nd.array(X4, dtype='float64'), num_arrays=2)
    assert r.dtype == np.float32 and r.shape == (2,)
    # MXNet 1.9.1 value
    x = mx.nd.array(np.arange(24).reshape(2, 4, 3) / 10.)
    assert_almost_equal(mx.nd.multi_sum_sq(x, x * 2, num_arrays=2).asnumpy(),
                        [43.24, 172.96], rtol=1e-5)
    s = mx.sym.multi_sum_sq(mx.sym.var('a'), mx.sym.var('b'), num_arrays=2)
    assert s.infer_type(a='float16', b='float64')[1] == [np.float32]
    with pytest.raises(MXNetError, match='num_arrays'):
        mx.nd.multi_sum_sq(mx.nd.ones((2,)), num_arrays='x')


def test_allclose():
    f = mx.nd.contrib.allclose
    a = mx.nd.array([1., np.nan, 3.])
    assert f(a, a).asscalar() == 1 and f(a, a).dtype == np.uint8 and f(a, a).shape == ()
    assert f(a, a, equal_nan=False).asscalar() == 0
    assert f(a, a + 1e-3).asscalar() == 0
    assert f(a, a + 1e-3, atol=1e-2).asscalar() == 1
    assert f(mx.nd.array([100.]), mx.nd.array([100.5]), rtol=1e-2).asscalar() == 1
    with pytest.raises(MXNetError, match='rtol'):
        f(a, a, rtol='x')


def test_docstring_examples_run():
    import doctest
    from mxlite.ops import misc_ops_a
    finder = doctest.DocTestFinder(exclude_empty=True)
    runner = doctest.DocTestRunner(optionflags=doctest.NORMALIZE_WHITESPACE)
    tests = [t for t in finder.find(misc_ops_a, globs={'mx': mx, 'np': np}) if t.examples]
    assert len(tests) >= 8
    for t in tests:
        runner.run(t)
    assert runner.failures == 0


def test_groupnorm_gradient_pinned_from_mxnet():
    x = mx.nd.array(np.arange(24).reshape(2, 4, 3) ** 1.5 / 10.)
    g, b = mx.nd.array([2., 3.]), mx.nd.array([.5, -1])
    for a in (x, g, b):
        a.attach_grad()
    with mx.autograd.record():
        y = mx.nd.GroupNorm(x, g, b, num_groups=2)
    y.backward(mx.nd.array(np.sin(np.arange(24)).reshape(2, 4, 3)))
    assert_almost_equal(x.grad.asnumpy().ravel()[:4], [-3.6376462, 1.3924332, 3.0947728,
                                                       0.9370581], rtol=1e-5, atol=1e-6)
    assert_almost_equal(g.grad.asnumpy(), [-4.8677983, -2.7914166], rtol=1e-5)
    assert_almost_equal(b.grad.asnumpy(), [0.45135015, 0.5284556], rtol=1e-5)
