"""_contrib_hawkesll, the CSR graph ops (edge_id, getnnz, dgl_adjacency, dgl_subgraph), the
quantization helpers (dequantize, requantize, calibrate_entropy) and _scatter_*: values vs
NumPy loop references and MXNet 1.9.1-pinned results, numeric gradients, shapes, JSON,
errors."""
import numpy as np
import pytest

import mxlite as mx
from mxlite.test_utils import assert_almost_equal, check_numeric_gradient
from optest import assert_json_round_trip

nd = mx.nd


# ----------------------------------------------------------------------------- hawkesll
def hawkes_ref(mu, alpha, beta, state, lags, marks, vl, mt):
    """Plain per-sample loop."""
    N, K = mu.shape
    lls, states = [], []
    for n in range(N):
        s = state[n].astype(float).copy()
        last = np.zeros(K)
        t = ll = 0.0
        for j in range(int(vl[n])):
            c = marks[n, j]
            t += lags[n, j]
            d = t - last[c]
            ed = np.exp(-beta[c] * d)
            ll += np.log(mu[n, c] + alpha[c] * beta[c] * s[c] * ed) \
                - (mu[n, c] * d + alpha[c] * s[c] * (1 - ed))
            s[c] = 1 + s[c] * ed
            last[c] = t
        d = mt[n] - last
        ed = np.exp(-beta * d)
        ll -= np.sum(mu[n] * d + alpha * s * (1 - ed))
        lls.append(ll)
        states.append(s * ed)
    return np.array(lls), np.array(states)


def hawkes_inputs(N, K, T, seed, dtype='float64'):
    rs = np.random.RandomState(seed)
    marks = rs.randint(0, K, (N, T)).astype(np.int32)
    vl = rs.randint(0, T + 1, N).astype(dtype)
    lags = rs.uniform(0.1, 1, (N, T)).astype(dtype)
    mt = (lags.sum(1) + 1).astype(dtype)
    return [rs.uniform(0.5, 1.5, (N, K)).astype(dtype), rs.uniform(0.1, 0.6, K).astype(dtype),
            rs.uniform(0.5, 2, K).astype(dtype), rs.uniform(0, 1, (N, K)).astype(dtype),
            lags, marks, vl, mt]


HAWKES_NAMES = ['lda', 'alpha', 'beta', 'state', 'lags', 'marks', 'valid_length', 'max_time']


@pytest.mark.parametrize('N,K,T,seed', [(1, 1, 1, 0), (3, 2, 5, 1), (4, 3, 7, 2), (2, 4, 0, 3)])
@pytest.mark.parametrize('dtype', ['float32', 'float64'])
def test_hawkesll_forward(N, K, T, seed, dtype):
    ins = hawkes_inputs(N, K, T, seed, dtype)
    ll, st = nd.contrib.hawkesll(*[nd.array(x, dtype=x.dtype) for x in ins])
    rll, rst = hawkes_ref(*ins)
    tol = 1e-4 if dtype == 'float32' else 1e-10
    assert ll.dtype == np.dtype(dtype) and ll.shape == (N,) and st.shape == (N, K)
    assert_almost_equal(ll.asnumpy(), rll, rtol=tol, atol=tol)
    assert_almost_equal(st.asnumpy(), rst, rtol=tol, atol=tol)
    # symbolic bind gives the imperative result
    syms = [mx.sym.var(n) for n in HAWKES_NAMES]
    s = mx.sym.contrib.hawkesll(*syms)
    assert s.list_arguments() == HAWKES_NAMES
    ex = s.bind(mx.cpu(), {n: nd.array(x, dtype=x.dtype) for n, x in zip(HAWKES_NAMES, ins)})
    outs = ex.forward()
    assert_almost_equal(outs[0].asnumpy(), ll.asnumpy())
    assert_json_round_trip(s)


def test_hawkesll_mxnet_pinned():
    """MXNet 1.9.1's output and gradients (head gradient [1, 2]) for a fixed case."""
    lda = np.array([[1.0488134622573853, 1.2151893377304077, 1.1027634143829346],
                    [1.044883131980896, 0.9236547946929932, 1.145894169807434]])
    state = np.array([[0.4375872015953064, 0.891772985458374, 0.9636627435684204],
                      [0.3834415078163147, 0.7917250394821167, 0.5288949012756348]])
    lags = np.array([[0.6112400889396667, 0.9330369830131531, 0.1639324575662613,
                      0.17841637134552002], [0.11819655448198318, 0.8493578433990479,
                                             0.8003410696983337, 0.8830109238624573]])
    args = [nd.array(lda), nd.array([0.2, 0.5, 0.3]), nd.array([1.0, 2.0, 0.7]),
            nd.array(state), nd.array(lags), nd.array([[0, 1, 0, 2], [2, 2, 1, 0]], dtype='int32'),
            nd.array([4, 2]), nd.array([5.0, 3.0])]
    for a in args[:3]:
        a.attach_grad()
    with mx.autograd.record():
        ll, st = nd.contrib.hawkesll(*args)
    ll.backward(nd.array([1.0, 2.0]))
    assert_almost_equal(ll.asnumpy(), [-18.213755, -9.940143], rtol=1e-5)
    assert_almost_equal(st.asnumpy(), [[0.052551765, 0.001036803, 0.14221379],
                                       [0.019090427, 0.00196249, 0.43884507]], rtol=1e-5)
    assert_almost_equal(args[0].grad.asnumpy(), [[-3.204023, -4.203711, -4.135538],
                                                 [-6.0, -6.0, -2.880394]], rtol=1e-5)
    assert_almost_equal(args[1].grad.asnumpy(), [-2.5319624, -3.4055452, -4.4283333], rtol=1e-5)
    assert_almost_equal(args[2].grad.asnumpy(), [-0.060044616, -0.041501, -0.45524397],
                        rtol=1e-4)


@pytest.mark.parametrize('N,K,T,seed', [(2, 2, 4, 5), (3, 3, 6, 6)])
def test_hawkesll_numeric_gradient(N, K, T, seed):
    ins = hawkes_inputs(N, K, T, seed)
    s = mx.sym.contrib.hawkesll(*[mx.sym.var(n) for n in HAWKES_NAMES])[0]
    loc = dict(zip(HAWKES_NAMES, ins))
    check_numeric_gradient(s, loc, grad_nodes=['lda', 'alpha', 'beta'], numeric_eps=1e-6,
                           rtol=1e-4, atol=1e-6, dtype=np.float64)


def test_hawkesll_shapes_and_errors():
    s = mx.sym.contrib.hawkesll(*[mx.sym.var(n) for n in HAWKES_NAMES])
    args, outs, _ = s.infer_shape(lda=(4, 3), lags=(4, 6))
    assert args == [(4, 3), (3,), (3,), (4, 3), (4, 6), (4, 6), (4,), (4,)]
    assert outs == [(4,), (4, 3)]
    with pytest.raises(mx.base.MXNetError, match="'alpha' has shape"):
        s.infer_shape(lda=(4, 3), lags=(4, 6), alpha=(2,))
    with pytest.raises(mx.base.MXNetError, match="'lags' has shape"):
        s.infer_shape(lda=(4, 3), lags=(5, 6))


# ----------------------------------------------------------------------------- graph ops
GRAPH = np.array([[1, 0, 0, 2], [3, 0, 4, 0], [0, 5, 0, 0], [0, 6, 7, 0]], dtype=np.int64)


def csr(x):
    return nd.sparse.csr_matrix(x)


def test_edge_id_getnnz_adjacency_mxnet_pinned():
    g = csr(GRAPH)
    e = nd.contrib.edge_id(g, nd.array([0, 0, 1, 1, 2, 3, 9]), nd.array([0, 1, 0, 1, 1, 2, 0]))
    assert e.asnumpy().tolist() == [1, -1, 3, -1, 5, 7, -1]      # MXNet: the first 6
    assert e.dtype == np.int64
    assert nd.contrib.getnnz(g).asnumpy().tolist() == [7]
    assert nd.contrib.getnnz(g, axis=1).asnumpy().tolist() == [2, 2, 1, 2]
    assert nd.contrib.getnnz(g).dtype == np.int64
    adj = nd.contrib.dgl_adjacency(g)
    assert adj.dtype == np.float32
    assert adj.asnumpy().tolist() == (GRAPH != 0).astype(np.float32).tolist()
    with pytest.raises(mx.base.MXNetError, match='axis=0 is not supported'):
        nd.contrib.getnnz(g, axis=0)


def subgraph_ref(graph, verts):
    n = len(verts)
    new, old = np.zeros((n, n), graph.dtype), np.zeros((n, n), graph.dtype)
    k = 0
    for a in range(n):
        for b in range(n):
            if graph[verts[a], verts[b]]:
                new[a, b], old[a, b] = k, graph[verts[a], verts[b]]
                k += 1
    return new, old


@pytest.mark.parametrize('vert_sets', [[[0, 1, 2]], [[0, 1, 2], [1, 3]], [[0, 1, 2, 3], [2]]])
@pytest.mark.parametrize('mapping', [True, False])
def test_dgl_subgraph(vert_sets, mapping):
    vs = [nd.array(v, dtype='int64') for v in vert_sets]
    outs = nd.contrib.dgl_subgraph(csr(GRAPH), *vs, return_mapping=mapping)
    outs = outs if isinstance(outs, list) else [outs]
    n = len(vert_sets)
    assert len(outs) == n * (2 if mapping else 1)
    for i, v in enumerate(vert_sets):
        new, old = subgraph_ref(GRAPH, v)
        assert outs[i].asnumpy().tolist() == new.tolist()
        if mapping:
            assert outs[n + i].asnumpy().tolist() == old.tolist()
    # MXNet 1.9.1 for [0, 1, 2]: new ids [[0,0,0],[1,0,2],[0,3,0]], mapping [[1,0,0],[3,0,4],[0,5,0]]
    g = mx.sym.var('g')
    s = mx.sym.contrib.dgl_subgraph(g, *[mx.sym.var('v%d' % i) for i in range(n)],
                                    return_mapping=mapping)
    assert len(s.list_outputs()) == len(outs)
    shapes = s.infer_shape(g=(4, 4), **{'v%d' % i: (len(v),) for i, v in enumerate(vert_sets)})[1]
    assert shapes == [(len(v), len(v)) for v in vert_sets] * (2 if mapping else 1)
    assert_json_round_trip(s)


def test_dgl_subgraph_mxnet_pinned_and_errors():
    new, old = nd.contrib.dgl_subgraph(csr(GRAPH), nd.array([0, 1, 2], dtype='int64'),
                                       return_mapping=True)
    assert new.asnumpy().tolist() == [[0, 0, 0], [1, 0, 2], [0, 3, 0]]
    assert old.asnumpy().tolist() == [[1, 0, 0], [3, 0, 4], [0, 5, 0]]
    with pytest.raises(mx.base.MXNetError, match='vertex ids'):
        nd.contrib.dgl_subgraph(csr(GRAPH), nd.array([0, 7], dtype='int64'), return_mapping=False)
    with pytest.raises(mx.base.MXNetError, match='1-D array of vertex ids'):
        mx.sym.contrib.dgl_subgraph(mx.sym.var('g'), mx.sym.var('v'), return_mapping=False
                                    ).infer_shape(g=(4, 4), v=(2, 2))
    with pytest.raises(mx.base.MXNetError, match='return_mapping'):
        nd.contrib.dgl_subgraph(csr(GRAPH), nd.array([0], dtype='int64'))


def test_graph_ops_shapes_json_errors():
    s = mx.sym.contrib.edge_id(mx.sym.var('d'), mx.sym.var('u'), mx.sym.var('v'))
    assert s.infer_shape(d=(4, 4), u=(5,))[1] == [(5,)]
    assert_json_round_trip(s)
    with pytest.raises(mx.base.MXNetError, match="'v' has shape"):
        s.infer_shape(d=(4, 4), u=(5,), v=(3,))
    with pytest.raises(mx.base.MXNetError, match='2-D'):
        s.infer_shape(d=(4, 4, 1), u=(5,))
    a = mx.sym.contrib.dgl_adjacency(mx.sym.var('d'))
    assert a.infer_shape(d=(3, 3))[1] == [(3, 3)]
    assert a.infer_type(d=np.int64)[1] == [np.float32]
    assert_json_round_trip(a)
    n = mx.sym.contrib.getnnz(mx.sym.var('d'), axis=1)
    assert n.infer_shape(d=(3, 5))[1] == [(3,)]
    assert_json_round_trip(n)


# ----------------------------------------------------------------------------- quantization
@pytest.mark.parametrize('dtype,lo,hi', [('int8', -2.0, 3.0), ('int8', -1.0, 0.5),
                                         ('uint8', 0.0, 3.0), ('uint8', -1.0, 3.0)])
def test_dequantize(dtype, lo, hi):
    info = np.iinfo(dtype)
    q = np.arange(info.min, info.max + 1, 17).astype(dtype)
    out = nd.contrib.dequantize(nd.array(q, dtype=dtype), nd.array([lo]), nd.array([hi]))
    if dtype == 'int8':
        ref = q * (max(abs(lo), abs(hi)) / 127.0)
    else:
        ref = q * ((hi - lo) / 255.0) + lo
    assert out.dtype == np.float32
    assert_almost_equal(out.asnumpy(), ref, rtol=1e-6, atol=1e-6)
    s = mx.sym.contrib.dequantize(mx.sym.var('d'), mx.sym.var('lo'), mx.sym.var('hi'))
    assert s.infer_shape(d=(3, 4))[0] == [(3, 4), (1,), (1,)]
    assert_json_round_trip(s)


def test_dequantize_int8_zero_and_sign_match_mxnet():
    # MXNet 1.9.1 (oneDNN): [-128, -5, 0, 7, 127] over [-2, 3] -> 0 stays 0, signs kept
    out = nd.contrib.dequantize(nd.array([-128, -5, 0, 7, 127], dtype='int8'),
                                nd.array([-2.0]), nd.array([3.0])).asnumpy()
    assert out[2] == 0 and np.all(np.sign(out) == [-1, -1, 0, 1, 1])
    assert_almost_equal(out, [-3.0117648, -0.11764706, 0.0, 0.16470589, 2.9882352], rtol=1e-2)


def requantize_ref(q, lo, hi, out_type, cmin, cmax):
    real = [x * max(abs(lo), abs(hi)) / 2147483647.0 for x in q.tolist()]
    if out_type == 'auto':
        out_type = 'uint8' if cmin is not None and cmin >= 0 else 'int8'
    if cmin is None:
        cmin, cmax = min(real), max(real)
    res = []
    for r in real:
        if out_type == 'uint8':
            res.append(min(max(np.floor(r * 255 / cmax + 0.5), 0), 255))
        else:
            top = max(abs(cmin), abs(cmax))
            res.append(min(max(np.sign(r) * np.floor(abs(r) * 127 / top + 0.5), -127), 127))
    if out_type == 'int8':
        top = max(abs(cmin), abs(cmax))
        cmin, cmax = -top, top
    return np.array(res), out_type, cmin, cmax


@pytest.mark.parametrize('kw', [{}, dict(min_calib_range=-1.0, max_calib_range=2.0),
                                dict(out_type='uint8', min_calib_range=0.0, max_calib_range=2.0),
                                dict(out_type='auto', min_calib_range=0.5, max_calib_range=2.0),
                                dict(out_type='auto')])
def test_requantize(kw):
    q = np.array([-2147483647, -1000000, 0, 5000000, 300000000, 2147483647], np.int32)
    out, lo, hi = nd.contrib.requantize(nd.array(q, dtype='int32'), nd.array([-4.0]),
                                        nd.array([6.0]), **kw)
    ref, otype, rlo, rhi = requantize_ref(q, -4.0, 6.0, kw.get('out_type', 'int8'),
                                          kw.get('min_calib_range'), kw.get('max_calib_range'))
    assert out.dtype == np.dtype(otype)
    assert out.asnumpy().tolist() == ref.tolist()
    assert_almost_equal(lo.asnumpy(), [rlo], rtol=1e-6)
    assert_almost_equal(hi.asnumpy(), [rhi], rtol=1e-6)


def test_requantize_mxnet_pinned_calibrated():
    q = nd.array([-2147483647, -1000000, 0, 5000000, 2147483647], dtype='int32')
    out, lo, hi = nd.contrib.requantize(q, nd.array([-4.0]), nd.array([6.0]), out_type='uint8',
                                        min_calib_range=0.0, max_calib_range=2.0)
    assert out.asnumpy().tolist() == [0, 0, 0, 2, 255]           # MXNet 1.9.1
    assert (lo.asnumpy().tolist(), hi.asnumpy().tolist()) == ([0.0], [2.0])
    out, lo, hi = nd.contrib.requantize(q, nd.array([-4.0]), nd.array([6.0]),
                                        min_calib_range=-1.0, max_calib_range=2.0)
    assert out.asnumpy().tolist()[1:] == [0, 0, 1, 127]         # MXNet: [-128, 0, 0, 1, 127]
    assert (lo.asnumpy().tolist(), hi.asnumpy().tolist()) == ([-2.0], [2.0])


def test_quantize_helpers_errors_and_json():
    s = mx.sym.contrib.requantize(mx.sym.var('d'), mx.sym.var('lo'), mx.sym.var('hi'),
                                  out_type='auto', min_calib_range=0.0, max_calib_range=1.0)
    assert s.infer_type(d=np.int32)[1] == [np.uint8, np.float32, np.float32]
    assert_json_round_trip(s)
    with pytest.raises(mx.base.MXNetError, match="'out_type'"):
        mx.sym.contrib.requantize(mx.sym.var('d'), mx.sym.var('lo'), mx.sym.var('hi'),
                                  out_type='int4')
    with pytest.raises(mx.base.MXNetError, match='requantize expects int32'):
        s.infer_type(d=np.float32)
    with pytest.raises(mx.base.MXNetError, match="'min_range' has shape"):
        s.infer_shape(d=(3,), lo=(2,))
    with pytest.raises(mx.base.MXNetError, match='dequantize expects int8'):
        nd.contrib.dequantize(nd.array([1.0]), nd.array([0.0]), nd.array([1.0]))


def calibrate_ref(hist, edges, nq):
    """Straight loop: threshold minimising KL(p || q) over candidate central windows."""
    nb = len(hist)
    zero = nb // 2
    best = (np.inf, None)
    for i in range(nq // 2, nb // 2 + 1):
        start, stop = zero - i, zero + i + 1
        sliced = hist[start:stop].astype(float)
        p = sliced.copy()
        p[0] += hist[:start].sum()
        p[-1] += hist[stop:].sum()
        m = len(sliced) // nq
        q = np.zeros(len(sliced))
        for j in range(nq):
            a, b = j * m, (len(sliced) if j == nq - 1 else (j + 1) * m)
            cnt = sum(1 for k in range(a, b) if p[k] != 0)
            for k in range(a, b):
                if p[k] != 0:
                    q[k] = sliced[a:b].sum() / cnt

        def smooth(x):
            z = (x == 0).sum()
            return np.array([1e-4 if v == 0 else v - 1e-4 * z / (len(x) - z) for v in x])
        ps, qs = smooth(p), smooth(q)
        ps, qs = ps / ps.sum(), qs / qs.sum()
        div = sum(a * np.log(a / b) for a, b in zip(ps, qs) if a > 0)
        if div < best[0]:
            best = (div, edges[stop])
    return best


@pytest.mark.parametrize('nb,nq,seed', [(20, 5, 0), (41, 7, 1), (64, 15, 2), (9, 3, 3)])
def test_calibrate_entropy(nb, nq, seed):
    rs = np.random.RandomState(seed)
    hist = np.round(np.exp(-np.linspace(-3, 3, nb) ** 2) * 100 + rs.randint(0, 3, nb))
    hist[rs.randint(0, nb)] = 0
    edges = np.linspace(-2, 2, nb + 1)
    t, d = nd.contrib.calibrate_entropy(nd.array(hist), nd.array(edges), num_quantized_bins=nq)
    rdiv, rt = calibrate_ref(hist, edges.astype(np.float32), nq)
    assert t.shape == (1,) and d.shape == (1,) and t.dtype == np.float32
    assert_almost_equal(t.asnumpy(), [rt], rtol=1e-6)
    assert_almost_equal(d.asnumpy(), [rdiv], rtol=1e-4)


def test_calibrate_entropy_mxnet_pinned_threshold_and_errors():
    hist = [1, 2, 3, 5, 8, 13, 21, 34, 55, 89, 89, 55, 34, 21, 13, 8, 5, 3, 2, 1]
    t, _ = nd.contrib.calibrate_entropy(nd.array(hist), nd.array(np.linspace(-2, 2, 21)),
                                        num_quantized_bins=5)
    assert_almost_equal(t.asnumpy(), [1.2], rtol=1e-6)            # MXNet 1.9.1: 1.2
    s = mx.sym.contrib.calibrate_entropy(mx.sym.var('h'), mx.sym.var('e'))
    assert s.infer_shape(h=(300,), e=(301,))[1] == [(1,), (1,)]
    assert_json_round_trip(s)
    with pytest.raises(mx.base.MXNetError, match="'hist_edges' has shape"):
        s.infer_shape(h=(300,), e=(300,))
    with pytest.raises(mx.base.MXNetError, match='fewer than num_quantized_bins'):
        s.infer_shape(h=(100,), e=(101,))


# ----------------------------------------------------------------------------- _scatter_*
SCATTER = [('_scatter_plus_scalar', lambda x, s: x + s), ('_scatter_minus_scalar',
                                                          lambda x, s: x - s)]


@pytest.mark.parametrize('name,ref', SCATTER)
@pytest.mark.parametrize('dtype', ['float32', 'float64', 'int32'])
def test_scatter_scalar(name, ref, dtype):
    x = np.arange(-3, 9).reshape(3, 4).astype(dtype)
    f = getattr(nd._internal, name)
    out = f(nd.array(x, dtype=dtype), scalar=2.0)
    assert out.dtype == np.dtype(dtype)
    assert out.asnumpy().tolist() == ref(x, x.dtype.type(2)).tolist()
    s = getattr(mx.sym._internal, name)(mx.sym.var('x'), scalar=2.5)
    assert_json_round_trip(s)
    if dtype == 'float64':
        check_numeric_gradient(s, {'x': x + 0.3}, dtype=np.float64)


@pytest.mark.parametrize('dtype', ['float32', 'float64'])
def test_scatter_elemwise_div(dtype):
    rs = np.random.RandomState(0)
    a, b = rs.randn(3, 4).astype(dtype), rs.uniform(0.5, 2, (3, 4)).astype(dtype)
    out = nd._internal._scatter_elemwise_div(nd.array(a, dtype=dtype), nd.array(b, dtype=dtype))
    assert_almost_equal(out.asnumpy(), a / b)
    s = mx.sym._internal._scatter_elemwise_div(mx.sym.var('l'), mx.sym.var('r'))
    assert s.list_arguments() == ['l', 'r']
    assert_json_round_trip(s)
    if dtype == 'float64':
        check_numeric_gradient(s, {'l': a, 'r': b}, dtype=np.float64)
    with pytest.raises(mx.base.MXNetError, match='expected equal shapes'):
        s.infer_shape(l=(3, 4), r=(4, 3))
