"""The last contrib and sparse helpers of MXNet 1.9.1: Hawkes log-likelihood, the DGL graph
ops over CSR matrices, the int8/uint8 quantization helpers and the ``_scatter_*`` ops.

**Sparse inputs are dense here.** mxlite's CSR arrays keep their dense value (see
`mxlite.ndarray.sparse`) and kernels see only that, so a *stored* entry is a nonzero
entry. The graph ops follow: in ``edge_id``/``getnnz``/``dgl_*`` an edge exists where the
matrix is nonzero, and the outputs are dense arrays holding what MXNet's CSR outputs hold
(``dgl_subgraph`` numbers the new edges from 0 as MXNet does, so the first new edge reads
as an empty entry in the dense value; its ``return_mapping`` output keeps the original
ids). The ``_scatter_*`` ops apply to stored entries only in MXNet; on a dense array every
entry is stored, so they are the plain ops (x + s, x - s, lhs / rhs).
"""
import numpy as np

from ..base import MXNetError
from ._util import known as _known
from .registry import (Bool, Enum, Float, FloatOrNone, Int, IntOrNone, Operator,
                       register, shape_check)


# ----------------------------------------------------------------------------- hawkesll
def _hawkes(mu, alpha, beta, state, lags, marks, valid_length, max_time, grads=False):
    """Log-likelihood (N,), final state (N, K) and, with grads, d ll / d (mu, alpha, beta)
    per sample: (N, K) each (forward-mode; the state recursion depends on beta only)."""
    N, K = mu.shape
    rows = np.arange(N)
    s = state.astype(np.float64).copy()
    last = np.zeros((N, K))
    t = np.zeros(N)
    ll = np.zeros(N)
    ds = np.zeros((N, K))                       # d state[n, k] / d beta[k]
    g_mu, g_al, g_be = (np.zeros((N, K)) for _ in range(3))
    for j in range(lags.shape[1]):              # a loop over events, vectorised over batch
        on = j < valid_length
        if not on.any():
            break
        c = marks[:, j].astype(np.intp)
        r, c = rows[on], c[on]
        t[on] += lags[on, j]
        d = t[r] - last[r, c]
        m, a, b = mu[r, c], alpha[c], beta[c]
        sc, dsc = s[r, c], ds[r, c]
        ed = np.exp(-b * d)
        lam = m + a * b * sc * ed
        ll[r] += np.log(lam) - (m * d + a * sc * (1 - ed))
        if grads:
            g_mu[r, c] += 1 / lam - d
            g_al[r, c] += b * sc * ed / lam - sc * (1 - ed)
            g_be[r, c] += (a * ed * (sc + b * dsc - b * sc * d) / lam
                           - a * (dsc * (1 - ed) + sc * d * ed))
            ds[r, c] = dsc * ed - sc * d * ed
        s[r, c] = 1 + sc * ed
        last[r, c] = t[r]
    d = max_time[:, None] - last                # the compensator after the last event
    ed = np.exp(-beta[None, :] * d)
    ll -= (mu * d + alpha * s * (1 - ed)).sum(axis=1)
    if grads:
        g_mu -= d
        g_al -= s * (1 - ed)
        g_be -= alpha * (ds * (1 - ed) + s * d * ed)
    return ll, s * ed, (g_mu, g_al, g_be)


@register
class HawkesLL(Operator):
    """Log-likelihood of marked self-exciting (Hawkes) point processes with exponential
    kernels, one sequence per row, and the process state after each sequence.

    Inputs: `lda` (N, K) background intensities, `alpha` (K,) branching ratios, `beta`
    (K,) decay rates, `state` (N, K) initial states, `lags` (N, T) inter-arrival times,
    `marks` (N, T) int32 marks in [0, K), `valid_length` (N,) events used per row and
    `max_time` (N,) the end of each observation window. Outputs: the log-likelihood (N,)
    and the state at `max_time` (N, K). Gradients flow to `lda`, `alpha` and `beta` from
    the log-likelihood (as in MXNet, the other inputs take none).

    Examples
    --------
    >>> import mxlite as mx
    >>> f = lambda *a: mx.nd.array(a)
    >>> ll, st = mx.nd.contrib.hawkesll(f([1.0]).reshape((1, 1)), f(0.5), f(1.0),
    ...     f([0.0]).reshape((1, 1)), f([1.0]).reshape((1, 1)),
    ...     mx.nd.array([[0]], dtype='int32'), f(1), f(2.0))
    >>> round(float(ll.asnumpy()[0]), 4)   # log(1) - 1 - (1 + 0.5 * (1 - e^-1))
    -2.3161
    """
    name = '_contrib_hawkesll'
    nograd_inputs = (3, 4, 5, 6, 7)
    backward_uses_outputs = False

    def list_arguments(self, p):
        return ['lda', 'alpha', 'beta', 'state', 'lags', 'marks', 'valid_length', 'max_time']

    def list_outputs(self, p):
        return ['output', 'out_state']

    def infer_shape(self, p, in_shapes):
        lda, alpha, beta, state, lags, marks, vl, mt = in_shapes
        nk = lda if lda is not None else state
        nt = lags if lags is not None else marks
        if not (_known(nk) and _known(nt)):
            return in_shapes, [None, None]
        nk, nt = tuple(nk), tuple(nt)
        shape_check(len(nk) == 2, "input 'lda' has shape %s; expected (N, K)", nk)
        shape_check(len(nt) == 2 and nt[0] == nk[0], "input 'lags' has shape %s but 'lda' "
                    "has shape %s; expected (N, T) with N == %d", nt, nk, nk[0])
        want = [nk, nk[1:], nk[1:], nk, nt, nt, nk[:1], nk[:1]]
        names = self.list_arguments(p)
        for name, s, w in zip(names, in_shapes, want):
            shape_check(s is None or tuple(s) == w, "input '%s' has shape %s; expected %s "
                        "(lda is %s, lags is %s)", name, s, w, nk, nt)
        return want, [nk[:1], nk]

    def infer_type(self, p, in_types):
        known = next((t for i, t in enumerate(in_types) if t is not None and i != 5), None)
        if known is None:
            return in_types, [None, None]
        types = [known] * 8
        types[5] = np.dtype(np.int32) if in_types[5] is None else in_types[5]
        return types, [known, known]

    def forward(self, p, inputs, outputs, ctx):
        f64 = [np.asarray(x, np.float64) for x in inputs]
        ll, st, _ = _hawkes(*f64[:5], inputs[5], f64[6], f64[7])
        outputs[0][...] = ll
        outputs[1][...] = st

    def backward(self, p, ograds, inputs, outputs, ctx):
        f64 = [np.asarray(x, np.float64) for x in inputs]
        _, _, (g_mu, g_al, g_be) = _hawkes(*f64[:5], inputs[5], f64[6], f64[7], grads=True)
        w = np.asarray(ograds[0], np.float64)[:, None]
        dt = inputs[0].dtype
        return [(w * g_mu).astype(dt), (w * g_al).sum(0).astype(dt),
                (w * g_be).sum(0).astype(dt)] + [None] * 5


# ----------------------------------------------------------------------------- CSR graph ops
class _NoGrad(Operator):
    """Index-like results: no gradient flows back (MXNet registers none)."""
    backward_uses_inputs = False
    backward_uses_outputs = False

    def backward(self, p, ograds, inputs, outputs, ctx):
        return [None] * len(inputs)

    @property
    def nograd_inputs(self):
        return tuple(range(64))


def _matrix(shape, what):
    shape_check(len(shape) == 2, "input '%s' has shape %s; expected a 2-D (CSR) matrix",
                what, tuple(shape))
    return tuple(shape)


@register
class EdgeId(_NoGrad):
    """``output[i] = data[u[i], v[i]]`` where that entry is stored (nonzero here), else -1.

    Examples
    --------
    >>> import mxlite as mx
    >>> g = mx.nd.sparse.csr_matrix(mx.nd.array([[1, 0], [0, 2]]).asnumpy())
    >>> mx.nd.contrib.edge_id(g, mx.nd.array([0, 0, 1]), mx.nd.array([0, 1, 1])).asnumpy()
    array([ 1., -1.,  2.], dtype=float32)
    """
    name = '_contrib_edge_id'

    def list_arguments(self, p):
        return ['data', 'u', 'v']

    def infer_shape(self, p, in_shapes):
        data, u, v = in_shapes
        if data is not None:
            _matrix(data, 'data')
        uv = u if u is not None else v
        if uv is None:
            return in_shapes, [None]
        for name, s in (('u', u), ('v', v)):
            shape_check(s is None or (len(s) == 1 and tuple(s) == tuple(uv)), "input '%s' "
                        'has shape %s; u and v must be 1-D of one length (u %s, v %s)',
                        name, s, u, v)
        return [data, tuple(uv), tuple(uv)], [tuple(uv)]

    def infer_type(self, p, in_types):
        dt = in_types[0]
        return [dt, in_types[1] or dt, in_types[2] or dt], [dt]

    def forward(self, p, inputs, outputs, ctx):
        data, u, v = inputs
        u = u.astype(np.int64)
        v = v.astype(np.int64)
        inside = (u >= 0) & (u < data.shape[0]) & (v >= 0) & (v < data.shape[1])
        vals = data[np.where(inside, u, 0), np.where(inside, v, 0)]
        outputs[0][...] = np.where(inside & (vals != 0), vals, -1)


@register
class GetNNZ(_NoGrad):
    """The number of stored (here: nonzero) entries of a CSR matrix: all of them
    (``axis=None``, shape (1,)) or per row (``axis=1``); int64. As in MXNet 1.9.1,
    ``axis=0`` is refused.

    Examples
    --------
    >>> import mxlite as mx
    >>> g = mx.nd.sparse.csr_matrix(mx.nd.array([[1, 0], [3, 2]]).asnumpy())
    >>> mx.nd.contrib.getnnz(g).asnumpy(), mx.nd.contrib.getnnz(g, axis=1).asnumpy()
    (array([3]), array([1, 2]))
    """
    name = '_contrib_getnnz'
    params = {'axis': IntOrNone(None)}

    def infer_shape(self, p, in_shapes):
        shape_check(p.axis in (None, 1, -1) or p.axis == 0, 'axis=%s is out of range for a '
                    '2-D matrix', p.axis)
        shape_check(p.axis != 0, 'getnnz with axis=0 is not supported (MXNet 1.9.1 neither); '
                    'use axis=None or axis=1')
        data = in_shapes[0]
        if data is None:
            return in_shapes, [(1,)] if p.axis is None else [None]
        data = _matrix(data, 'data')
        return [data], [(1,) if p.axis is None else (data[0],)]

    def infer_type(self, p, in_types):
        return in_types, [np.dtype(np.int64)]

    def forward(self, p, inputs, outputs, ctx):
        nz = inputs[0] != 0
        outputs[0][...] = nz.sum() if p.axis is None else nz.sum(axis=1)


@register
class DGLAdjacency(_NoGrad):
    """The adjacency matrix of a DGL graph (a CSR of edge ids): 1.0 (float32) where an
    edge is stored (nonzero here), 0 elsewhere.

    Examples
    --------
    >>> import mxlite as mx
    >>> g = mx.nd.array([[0, 3], [5, 0]], dtype='int64')
    >>> mx.nd.contrib.dgl_adjacency(g).asnumpy().tolist()
    [[0.0, 1.0], [1.0, 0.0]]
    """
    name = '_contrib_dgl_adjacency'

    def infer_shape(self, p, in_shapes):
        if in_shapes[0] is None:
            return in_shapes, [None]
        s = _matrix(in_shapes[0], 'data')
        return [s], [s]

    def infer_type(self, p, in_types):
        return in_types, [np.dtype(np.float32)]

    def forward(self, p, inputs, outputs, ctx):
        outputs[0][...] = inputs[0] != 0


@register
class DGLSubgraph(_NoGrad):
    """The subgraphs of `graph` induced by each vertex array in `data`.

    For every 1-D vertex array (sorted ascending, as MXNet requires) the output is the
    (n, n) matrix of the edges among those vertices with new edge ids 0, 1, ... in row
    order; with ``return_mapping=True`` further outputs give the same edges with their
    original ids. ``num_args`` counts `graph` and the vertex arrays.

    Examples
    --------
    >>> import mxlite as mx
    >>> g = mx.nd.array([[1, 0, 2], [3, 0, 4], [0, 5, 0]], dtype='int64')
    >>> sub, ids = mx.nd.contrib.dgl_subgraph(g, mx.nd.array([1, 2], dtype='int64'),
    ...                                       return_mapping=True)
    >>> ids.asnumpy().tolist(), sub.asnumpy().tolist()
    ([[0, 4], [5, 0]], [[0, 0], [1, 0]])
    """
    name = '_contrib_dgl_subgraph'
    params = {'num_args': Int(), 'return_mapping': Bool()}
    key_var_num_args = 'num_args'

    def list_arguments(self, p):
        return ['graph'] + ['data%d' % i for i in range(p.num_args - 1)]

    def list_outputs(self, p):
        n = p.num_args - 1
        names = ['output%d' % i for i in range(n)]
        return names + (['mapping%d' % i for i in range(n)] if p.return_mapping else [])

    def _check(self, p, count):
        shape_check(p.num_args >= 2, 'num_args=%d must be at least 2 (the graph and one '
                    'vertex array)', p.num_args)
        shape_check(count == p.num_args, 'num_args=%d but %d inputs were given',
                    p.num_args, count)

    def infer_shape(self, p, in_shapes):
        self._check(p, len(in_shapes))
        if in_shapes[0] is not None:
            _matrix(in_shapes[0], 'graph')
        outs = []
        for i, s in enumerate(in_shapes[1:]):
            shape_check(s is None or len(s) == 1, "input 'data%d' has shape %s; expected a "
                        '1-D array of vertex ids', i, s)
            outs.append(None if s is None else (s[0], s[0]))
        return in_shapes, outs * (2 if p.return_mapping else 1)

    def infer_type(self, p, in_types):
        return in_types, [in_types[0]] * self.num_outputs(p)

    def forward(self, p, inputs, outputs, ctx):
        graph = inputs[0]
        n = len(inputs) - 1
        for i, verts in enumerate(inputs[1:]):
            verts = verts.astype(np.int64)
            if verts.size and (verts.min() < 0 or verts.max() >= graph.shape[0]):
                raise MXNetError('dgl_subgraph: vertex ids of data%d must lie in [0, %d), '
                                 'got [%d, %d]' % (i, graph.shape[0], verts.min(),
                                                   verts.max()))
            sub = graph[np.ix_(verts, verts)]
            stored = sub != 0
            new = np.zeros(sub.shape, outputs[i].dtype)
            new[stored] = np.arange(int(stored.sum()))      # row-major = CSR order
            outputs[i][...] = new
            if p.return_mapping:
                outputs[n + i][...] = sub


# ----------------------------------------------------------------------------- quantization
_INT32_MAX = 2147483647.0


def _range_check(in_shapes, names):
    for name, s in zip(names, in_shapes):
        shape_check(s is None or tuple(s) in ((1,), ()), "input '%s' has shape %s; expected "
                    'a one-element range (1,)', name, s)


@register
class Dequantize(_NoGrad):
    """int8/uint8 `data` back to float32 with its real range [`min_range`, `max_range`].

    int8 is symmetric: ``out = data * max(|min_range|, |max_range|) / 127``; uint8 is
    affine: ``out = data * (max_range - min_range) / 255 + min_range``.

    Examples
    --------
    >>> import mxlite as mx
    >>> q = mx.nd.array([-127, 0, 127], dtype='int8')
    >>> mx.nd.contrib.dequantize(q, mx.nd.array([-2.0]), mx.nd.array([1.0])).asnumpy()
    array([-2.,  0.,  2.], dtype=float32)
    """
    name = '_contrib_dequantize'
    params = {'out_type': Enum(['float32'], 'float32')}

    def list_arguments(self, p):
        return ['data', 'min_range', 'max_range']

    def infer_shape(self, p, in_shapes):
        _range_check(in_shapes[1:], ['min_range', 'max_range'])
        return [in_shapes[0], (1,), (1,)], [in_shapes[0]]

    def infer_type(self, p, in_types):
        dt = in_types[0]
        if dt is not None and np.dtype(dt) not in (np.dtype(np.int8), np.dtype(np.uint8)):
            from ..base import TypeInferError
            raise TypeInferError("input 'data' has dtype %s; dequantize expects int8 or "
                                 'uint8' % np.dtype(dt).name)
        f32 = np.dtype(np.float32)
        return [dt, f32, f32], [f32]

    def forward(self, p, inputs, outputs, ctx):
        data, lo, hi = inputs[0], float(inputs[1].reshape(-1)[0]), float(inputs[2].reshape(-1)[0])
        x = data.astype(np.float32)
        if data.dtype == np.int8:
            outputs[0][...] = x * np.float32(max(abs(lo), abs(hi)) / 127.0)
        else:
            outputs[0][...] = x * np.float32((hi - lo) / 255.0) + np.float32(lo)


@register
class Requantize(_NoGrad):
    """int32 `data` (the real range [`min_range`, `max_range`] spread over +-(2^31 - 1))
    to int8 or uint8 with a narrower range.

    The range is [`min_calib_range`, `max_calib_range`] when given (symmetric for int8),
    else the range the data actually use. Values are ``round(real * 127 / range)`` for int8
    (clipped to +-127) or ``round(real * 255 / max)`` for uint8 (clipped to [0, 255]),
    rounding halves away from zero. ``out_type='auto'`` means uint8 when a calibrated
    minimum >= 0 is given, else int8. Outputs: the data, min_output, max_output.

    Examples
    --------
    >>> import mxlite as mx
    >>> q = mx.nd.array([-2147483647, 0, 1073741824], dtype='int32')
    >>> out, lo, hi = mx.nd.contrib.requantize(q, mx.nd.array([-1.0]), mx.nd.array([1.0]))
    >>> out.asnumpy(), float(lo.asnumpy()[0]), float(hi.asnumpy()[0])
    (array([-127,    0,   64], dtype=int8), -1.0, 1.0)
    """
    name = '_contrib_requantize'
    params = {'out_type': Enum(['auto', 'int8', 'uint8'], 'int8'),
              'min_calib_range': FloatOrNone(None), 'max_calib_range': FloatOrNone(None)}

    def list_arguments(self, p):
        return ['data', 'min_range', 'max_range']

    def list_outputs(self, p):
        return ['output', 'min_output', 'max_output']

    @staticmethod
    def _out_type(p):
        if p.out_type != 'auto':
            return p.out_type
        return 'uint8' if p.min_calib_range is not None and p.min_calib_range >= 0 else 'int8'

    def infer_shape(self, p, in_shapes):
        _range_check(in_shapes[1:], ['min_range', 'max_range'])
        shape_check((p.min_calib_range is None) == (p.max_calib_range is None),
                    'min_calib_range and max_calib_range must be given together (got %s, %s)',
                    p.min_calib_range, p.max_calib_range)
        return [in_shapes[0], (1,), (1,)], [in_shapes[0], (1,), (1,)]

    def infer_type(self, p, in_types):
        if in_types[0] is not None and np.dtype(in_types[0]) != np.int32:
            from ..base import TypeInferError
            raise TypeInferError("input 'data' has dtype %s; requantize expects int32"
                                 % np.dtype(in_types[0]).name)
        f32, i32 = np.dtype(np.float32), np.dtype(np.int32)
        return [i32, f32, f32], [np.dtype(self._out_type(p)), f32, f32]

    def forward(self, p, inputs, outputs, ctx):
        lo, hi = float(inputs[1].reshape(-1)[0]), float(inputs[2].reshape(-1)[0])
        real = inputs[0].astype(np.float64) * (max(abs(lo), abs(hi)) / _INT32_MAX)
        uint8 = self._out_type(p) == 'uint8'
        if p.min_calib_range is not None:
            out_lo, out_hi = p.min_calib_range, p.max_calib_range
        else:
            out_lo = float(real.min()) if real.size else 0.0
            out_hi = float(real.max()) if real.size else 0.0
        if uint8:
            top = max(out_hi, 0.0)
            scale = 255.0 / top if top > 0 else 0.0
            q = np.clip(np.floor(real * scale + 0.5), 0, 255)
        else:
            top = max(abs(out_lo), abs(out_hi))
            out_lo, out_hi = -top, top
            scale = 127.0 / top if top > 0 else 0.0
            q = np.clip(np.sign(real) * np.floor(np.abs(real) * scale + 0.5), -127, 127)
        outputs[0][...] = q
        outputs[1][...] = out_lo
        outputs[2][...] = out_hi


def _smooth(p, eps=1e-4):
    """Move eps of mass onto each empty bin, taken evenly from the nonzero ones."""
    zero = p == 0
    nonzero = p.size - int(zero.sum())
    if nonzero == 0:
        return None
    return p + eps * zero - (eps * zero.sum() / nonzero) * ~zero


@register
class CalibrateEntropy(_NoGrad):
    """The threshold that minimises the KL divergence between a histogram of float values
    and its quantisation to `num_quantized_bins` levels (TensorRT-style int8 calibration).

    `hist` (B,) counts over bins `hist_edges` (B + 1,), symmetric around 0. Each candidate
    keeps the central 2i+1 bins (outliers folded into the end bins), merges them into
    `num_quantized_bins` groups spread back over their nonzero bins, smooths both
    distributions and measures KL(p || q). Outputs: the best threshold (the upper edge of
    the kept bins) and its divergence, each shape (1,), float32.

    Examples
    --------
    >>> import mxlite as mx
    >>> h = mx.nd.array([1, 2, 8, 16, 8, 2, 1])
    >>> t, d = mx.nd.contrib.calibrate_entropy(h, mx.nd.arange(-3.5, 4), num_quantized_bins=3)
    >>> float(t.asnumpy()[0])
    1.5
    """
    name = '_contrib_calibrate_entropy'
    params = {'num_quantized_bins': Int(255)}

    def list_arguments(self, p):
        return ['hist', 'hist_edges']

    def list_outputs(self, p):
        return ['threshold', 'divergence']

    def infer_shape(self, p, in_shapes):
        hist, edges = in_shapes
        shape_check(p.num_quantized_bins >= 1, 'num_quantized_bins=%d must be positive',
                    p.num_quantized_bins)
        if hist is not None and edges is not None:
            shape_check(len(hist) == 1 and tuple(edges) == (hist[0] + 1,), "input "
                        "'hist_edges' has shape %s but 'hist' has shape %s; expected "
                        '(len(hist) + 1,)', edges, hist)
            shape_check(hist[0] >= p.num_quantized_bins, "input 'hist' has %d bins, fewer "
                        'than num_quantized_bins=%d', hist[0], p.num_quantized_bins)
        return in_shapes, [(1,), (1,)]

    def infer_type(self, p, in_types):
        f32 = np.dtype(np.float32)
        return [f32, f32], [f32, f32]

    def forward(self, p, inputs, outputs, ctx):
        hist = inputs[0].astype(np.float64)
        edges = inputs[1]
        nb, nq = hist.size, p.num_quantized_bins
        zero = nb // 2
        best = (np.inf, float(edges[-1]))
        for i in range(nq // 2, nb // 2 + 1):       # a loop over candidate thresholds
            start, stop = zero - i, zero + i + 1
            sliced = hist[start:stop]
            pdist = sliced.copy()
            pdist[0] += hist[:start].sum()
            pdist[-1] += hist[stop:].sum()
            nz = pdist != 0
            merged = sliced.size // nq
            bounds = np.arange(nq + 1) * merged
            bounds[-1] = sliced.size
            sums = np.add.reduceat(sliced, bounds[:-1])
            counts = np.add.reduceat(nz.astype(np.float64), bounds[:-1])
            per = np.divide(sums, counts, out=np.zeros(nq), where=counts != 0)
            q = np.repeat(per, np.diff(bounds)) * nz
            ps, qs = _smooth(pdist), _smooth(q)
            if ps is None or qs is None:
                div = np.inf
            else:
                ps, qs = ps / ps.sum(), qs / qs.sum()
                keep = ps > 0
                div = float(np.sum(ps[keep] * np.log(ps[keep] / qs[keep])))
            if div < best[0]:
                best = (div, float(edges[stop]))
        outputs[0][...] = best[1]
        outputs[1][...] = best[0]


# ----------------------------------------------------------------------------- _scatter_*
class _ScatterScalar(Operator):
    params = {'scalar': Float(1.0), 'is_int': Bool(True)}
    inplace = ((0, 0),)
    backward_uses_inputs = False
    backward_uses_outputs = False
    hidden = True
    sign = 1

    def forward(self, p, inputs, outputs, ctx):
        x = inputs[0]
        np.add(x, x.dtype.type(self.sign * p.scalar), out=outputs[0], casting='unsafe')

    def backward(self, p, ograds, inputs, outputs, ctx):
        return [ograds[0]]


@register
class ScatterPlusScalar(_ScatterScalar):
    """``data + scalar`` on the stored entries (every entry of a dense array).

    Examples
    --------
    >>> import mxlite as mx
    >>> mx.nd._internal._scatter_plus_scalar(mx.nd.array([1, 2]), scalar=3).asnumpy()
    array([4., 5.], dtype=float32)
    """
    name = '_scatter_plus_scalar'


@register
class ScatterMinusScalar(_ScatterScalar):
    """``data - scalar`` on the stored entries (every entry of a dense array).

    Examples
    --------
    >>> import mxlite as mx
    >>> mx.nd._internal._scatter_minus_scalar(mx.nd.array([1, 2]), scalar=3).asnumpy()
    array([-2., -1.], dtype=float32)
    """
    name = '_scatter_minus_scalar'
    sign = -1


@register
class ScatterElemwiseDiv(Operator):
    """``lhs / rhs`` elementwise (on dense arrays; MXNet divides stored entries only).

    Examples
    --------
    >>> import mxlite as mx
    >>> mx.nd._internal._scatter_elemwise_div(mx.nd.array([1, 3]), mx.nd.array([2, 4])).asnumpy()
    array([0.5 , 0.75], dtype=float32)
    """
    name = '_scatter_elemwise_div'
    hidden = True
    backward_uses_outputs = False

    def list_arguments(self, p):
        return ['lhs', 'rhs']

    def forward(self, p, inputs, outputs, ctx):
        with np.errstate(divide='ignore', invalid='ignore'):
            np.divide(inputs[0], inputs[1], out=outputs[0], casting='unsafe')

    def backward(self, p, ograds, inputs, outputs, ctx):
        lhs, rhs = inputs
        g = ograds[0]
        with np.errstate(divide='ignore', invalid='ignore'):
            return [(g / rhs).astype(lhs.dtype), (-g * lhs / (rhs * rhs)).astype(rhs.dtype)]
