"""Matrix products on BLAS: dot, batch_dot, and the linalg family (gemm, gemm2, syrk,
potrf, sumlogdiag, inverse, det, slogdet, extractdiag, makediag).

`dot` follows MXNet's N-d rule: the lhs is viewed as a matrix whose columns are its last
axis (its first axis with transpose_a), the rhs as one whose rows are its first axis (its
last axis with transpose_b); the other axes of both make up the output.
"""
import numpy as np

from .registry import Bool, Enum, Float, Int, Operator, register, shape_check


def matmul_into(a, b, out):
    """out[...] = a @ b, letting BLAS write into `out` when its layout allows."""
    if (type(out) is np.ndarray and out.flags.c_contiguous
            and out.dtype == np.result_type(a, b) and out.shape == a.shape[:-1] + b.shape[-1:]
            and not np.may_share_memory(out, a) and not np.may_share_memory(out, b)):
        np.matmul(a, b, out=out)
    else:
        out[...] = np.matmul(a, b)
    return out


# ----------------------------------------------------------------------------- dot
def _dot_parts(lshape, rshape, ta, tb):
    """-> (lhs output dims, contracted size on lhs, on rhs, rhs output dims)."""
    if ta:
        l_out, l_k = tuple(lshape[1:]), lshape[0]
    else:
        l_out, l_k = tuple(lshape[:-1]), lshape[-1]
    if tb:
        r_out, r_k = tuple(rshape[:-1]), rshape[-1]
    else:
        r_out, r_k = tuple(rshape[1:]), rshape[0]
    return l_out, l_k, r_k, r_out


def _as_matrices(lhs, rhs, ta, tb):
    """2-D views (M, K) and (K, N) of the operands (transposed views, no copies)."""
    a = lhs.reshape(lhs.shape[0], -1).T if ta else lhs.reshape(-1, lhs.shape[-1])
    b = rhs.reshape(-1, rhs.shape[-1]).T if tb else rhs.reshape(rhs.shape[0], -1)
    return a, b


class _DotBase(Operator):
    params = {
        'transpose_a': Bool(False, doc='Use the transpose of the lhs.'),
        'transpose_b': Bool(False, doc='Use the transpose of the rhs.'),
        'forward_stype': Enum(('default', 'row_sparse', 'csr'), None, allow_none=True,
                              doc='Storage type of the output (only dense is produced).'),
    }
    backward_uses_outputs = False

    def list_arguments(self, p):
        return ['lhs', 'rhs']


@register
class Dot(_DotBase):
    """Dot product of two arrays.

    For 2-D inputs this is the matrix product; for 1-D inputs the inner product (shape
    (1,)); for N-d inputs the last axis of `lhs` is contracted with the first axis of
    `rhs`: ``dot(x, y)[i, j, a, b] = sum(x[i, j, :] * y[:, a, b])``. `transpose_a`
    contracts the first axis of `lhs` instead, `transpose_b` the last axis of `rhs`.

    Parameters
    ----------
    lhs, rhs : NDArray or Symbol
        The operands.
    transpose_a, transpose_b : bool, default False
        Transpose the lhs / rhs (as matrices) before multiplying.
    forward_stype : {None, 'default', 'row_sparse', 'csr'}
        Accepted for compatibility; the output is always dense.

    Examples
    --------
    >>> import mxlite as mx
    >>> a = mx.nd.ones((2, 3)); b = mx.nd.ones((3, 4))
    >>> mx.nd.dot(a, b).shape
    (2, 4)
    >>> mx.nd.dot(a, a, transpose_b=True).asnumpy()
    array([[3., 3.],
           [3., 3.]], dtype=float32)
    """
    name = 'dot'

    def infer_shape(self, p, in_shapes):
        lhs, rhs = in_shapes
        if lhs is None or rhs is None:
            return in_shapes, [None]
        ta, tb = p.transpose_a, p.transpose_b
        shape_check(len(lhs) > 0 and len(rhs) > 0, 'dot does not take 0-d arrays: lhs %s, '
                    'rhs %s', lhs, rhs)
        if len(lhs) == 1 and len(rhs) == 1:
            shape_check(not ta and not tb, 'vectors cannot be transposed (lhs %s, rhs %s)',
                        lhs, rhs)
            shape_check(lhs[0] == rhs[0], 'lhs has shape %s but rhs has shape %s; the '
                        'vectors need the same length', lhs, rhs)
            return in_shapes, [(1,)]
        l_out, l_k, r_k, r_out = _dot_parts(lhs, rhs, ta, tb)
        shape_check(l_k == r_k, 'lhs has shape %s but rhs has shape %s (transpose_a=%s, '
                    'transpose_b=%s): the contracted dimensions %d and %d differ',
                    tuple(lhs), tuple(rhs), ta, tb, l_k, r_k)
        out = (l_out if len(lhs) > 1 else ()) + (r_out if len(rhs) > 1 else ())
        return in_shapes, [out]

    def forward(self, p, inputs, outputs, ctx):
        a, b = _as_matrices(inputs[0], inputs[1], p.transpose_a, p.transpose_b)
        out = outputs[0]
        if out.flags.c_contiguous:  # then the reshape is a view: BLAS writes into out
            matmul_into(a, b, out.reshape(a.shape[0], b.shape[1]))
        else:
            out[...] = np.dot(a, b).reshape(out.shape)

    def backward(self, p, ograds, inputs, outputs, ctx):
        lhs, rhs = inputs
        ta, tb = p.transpose_a, p.transpose_b
        a, b = _as_matrices(lhs, rhs, ta, tb)
        g = ograds[0].reshape(a.shape[0], b.shape[1])
        # d a = g b^T, d b = a^T g; then undo the views (transposes) of _as_matrices
        ga = np.dot(b, g.T) if ta else np.dot(g, b.T)      # (K, M) if ta else (M, K)
        gb = np.dot(g.T, a) if tb else np.dot(a.T, g)      # (N, K) if tb else (K, N)
        return [ga.reshape(lhs.shape), gb.reshape(rhs.shape)]


def _batch_op(x, t):
    return np.swapaxes(x, -1, -2) if t else x


def _batch_grads(a, b, g, ta, tb, alpha=1.0):
    """Gradients of alpha * op(a) @ op(b) for batched matrices."""
    oa, ob = _batch_op(a, ta), _batch_op(b, tb)
    if ta:
        ga = np.matmul(ob, np.swapaxes(g, -1, -2))
    else:
        ga = np.matmul(g, np.swapaxes(ob, -1, -2))
    if tb:
        gb = np.matmul(np.swapaxes(g, -1, -2), oa)
    else:
        gb = np.matmul(np.swapaxes(oa, -1, -2), g)
    if alpha != 1.0:
        ga *= alpha
        gb *= alpha
    return ga, gb


def _batch_shape(lhs, rhs, ta, tb, what='batch_dot'):
    shape_check(len(lhs) >= 3 and len(lhs) == len(rhs), '%s needs inputs of the same '
                'number of dimensions (at least 3), got lhs %s and rhs %s', what, tuple(lhs),
                tuple(rhs))
    shape_check(tuple(lhs[:-2]) == tuple(rhs[:-2]), 'lhs has shape %s but rhs has shape %s; '
                'the batch dimensions differ', tuple(lhs), tuple(rhs))
    m, k1 = (lhs[-1], lhs[-2]) if ta else (lhs[-2], lhs[-1])
    k2, n = (rhs[-1], rhs[-2]) if tb else (rhs[-2], rhs[-1])
    shape_check(k1 == k2, 'lhs has shape %s but rhs has shape %s (transpose_a=%s, '
                'transpose_b=%s): the contracted dimensions %d and %d differ',
                tuple(lhs), tuple(rhs), ta, tb, k1, k2)
    return tuple(lhs[:-2]) + (m, n)


@register
class BatchDot(_DotBase):
    """Batched matrix product: ``out[i] = dot(lhs[i], rhs[i])``.

    `lhs` has shape (B, M, K) (or (B, K, M) with transpose_a), `rhs` (B, K, N) (or
    (B, N, K) with transpose_b); the result has shape (B, M, N). More leading batch
    dimensions are allowed when both inputs have them.

    Parameters
    ----------
    lhs, rhs : NDArray or Symbol
        The operands, with the same batch dimensions.
    transpose_a, transpose_b : bool, default False
        Transpose the last two axes of lhs / rhs first.
    forward_stype : {None, 'default', 'row_sparse', 'csr'}
        Accepted for compatibility; the output is always dense.

    Examples
    --------
    >>> import mxlite as mx
    >>> mx.nd.batch_dot(mx.nd.ones((2, 3, 4)), mx.nd.ones((2, 4, 5))).shape
    (2, 3, 5)
    """
    name = 'batch_dot'

    def infer_shape(self, p, in_shapes):
        lhs, rhs = in_shapes
        if lhs is None or rhs is None:
            return in_shapes, [None]
        return in_shapes, [_batch_shape(lhs, rhs, p.transpose_a, p.transpose_b)]

    def forward(self, p, inputs, outputs, ctx):
        matmul_into(_batch_op(inputs[0], p.transpose_a), _batch_op(inputs[1], p.transpose_b),
                    outputs[0])

    def backward(self, p, ograds, inputs, outputs, ctx):
        ga, gb = _batch_grads(inputs[0], inputs[1], ograds[0], p.transpose_a, p.transpose_b)
        return [ga, gb]


# ----------------------------------------------------------------------------- linalg
def _rows_last(x, axis):
    """Move the matrix-row axis to position -2 (linalg ops take `axis` for it)."""
    axis %= x.ndim
    return x if axis == x.ndim - 2 else np.moveaxis(x, axis, -2)


def _rows_back(x, axis, ndim):
    axis %= ndim
    return x if axis == ndim - 2 else np.moveaxis(x, -2, axis)


def _moved_shape(shape, axis):
    """The shape after _rows_last."""
    shape = list(shape)
    rows = shape.pop(axis % len(shape))
    shape.insert(len(shape) - 1, rows)
    return tuple(shape)


def _unmoved_shape(shape, axis):
    """The shape after _rows_back."""
    shape = list(shape)
    rows = shape.pop(len(shape) - 2)
    shape.insert(axis % (len(shape) + 1), rows)
    return tuple(shape)


def _gemm_shape(a, b, ta, tb, axis, what):
    shape_check(len(a) >= 2 and len(b) >= 2, '%s needs matrices (2 or more dimensions), got '
                'A %s and B %s', what, tuple(a), tuple(b))
    shape_check(-len(a) <= axis < len(a), 'axis %d is out of range for A of shape %s',
                axis, tuple(a))
    ma, mb = _moved_shape(a, axis), _moved_shape(b, axis)
    out = _batch_shape(ma, mb, ta, tb, what) if len(ma) > 2 else None
    if out is None:
        shape_check(len(mb) == 2, '%s: A %s and B %s need the same number of dimensions',
                    what, tuple(a), tuple(b))
        m, k1 = (ma[1], ma[0]) if ta else (ma[0], ma[1])
        k2, n = (mb[1], mb[0]) if tb else (mb[0], mb[1])
        shape_check(k1 == k2, '%s: A has shape %s but B has shape %s (transpose_a=%s, '
                    'transpose_b=%s): the contracted dimensions %d and %d differ', what,
                    tuple(a), tuple(b), ta, tb, k1, k2)
        out = (m, n)
    return _unmoved_shape(out, axis)


_GEMM_PARAMS = {
    'transpose_a': Bool(False, doc='Multiply with the transpose of A.'),
    'transpose_b': Bool(False, doc='Multiply with the transpose of B.'),
    'alpha': Float(1.0, doc='Scalar factor of the product.'),
}


@register
class LinalgGemm2(Operator):
    """Matrix product ``out = alpha * op(A) @ op(B)`` over the trailing matrix axes.

    ``op`` transposes when `transpose_a` / `transpose_b` are set. Leading axes are batch
    axes. `axis` names the axis holding the matrix rows (default -2; the columns are
    always the last axis).

    Parameters
    ----------
    A, B : NDArray or Symbol
        The operands.
    transpose_a, transpose_b : bool, default False
    alpha : float, default 1.0
    axis : int, default -2

    Examples
    --------
    >>> import mxlite as mx
    >>> mx.nd.linalg_gemm2(mx.nd.ones((2, 3)), mx.nd.ones((3, 4)), alpha=2.0).asnumpy()[0]
    array([6., 6., 6., 6.], dtype=float32)
    """
    name = '_linalg_gemm2'
    aliases = ('linalg_gemm2',)
    params = dict(_GEMM_PARAMS, axis=Int(-2, doc='Axis of the matrix rows.'))
    backward_uses_outputs = False

    def list_arguments(self, p):
        return ['A', 'B']

    def infer_shape(self, p, in_shapes):
        a, b = in_shapes
        if a is None or b is None:
            return in_shapes, [None]
        return in_shapes, [_gemm_shape(a, b, p.transpose_a, p.transpose_b, p.axis,
                                       self.name)]

    def _product(self, p, a, b):
        a, b = _rows_last(a, p.axis), _rows_last(b, p.axis)
        r = np.matmul(_batch_op(a, p.transpose_a), _batch_op(b, p.transpose_b))
        if p.alpha != 1.0:
            r *= r.dtype.type(p.alpha)
        return r

    def forward(self, p, inputs, outputs, ctx):
        r = self._product(p, inputs[0], inputs[1])
        outputs[0][...] = _rows_back(r, p.axis, r.ndim)

    def backward(self, p, ograds, inputs, outputs, ctx):
        a, b = inputs[0], inputs[1]
        g = _rows_last(ograds[0], p.axis)
        ga, gb = _batch_grads(_rows_last(a, p.axis), _rows_last(b, p.axis), g,
                              p.transpose_a, p.transpose_b, p.alpha)
        return [_rows_back(ga, p.axis, a.ndim).astype(a.dtype, copy=False),
                _rows_back(gb, p.axis, b.ndim).astype(b.dtype, copy=False)]


@register
class LinalgGemm(LinalgGemm2):
    """General matrix multiply-add: ``out = alpha * op(A) @ op(B) + beta * C``.

    Parameters
    ----------
    A, B, C : NDArray or Symbol
        The operands; C has the shape of the product.
    transpose_a, transpose_b : bool, default False
    alpha, beta : float, default 1.0
    axis : int, default -2
        Axis of the matrix rows.

    Examples
    --------
    >>> import mxlite as mx
    >>> a = mx.nd.ones((2, 2)); c = mx.nd.ones((2, 2))
    >>> mx.nd.linalg_gemm(a, a, c, alpha=1.0, beta=10.0).asnumpy()[0]
    array([12., 12.], dtype=float32)
    """
    name = '_linalg_gemm'
    aliases = ('linalg_gemm',)
    params = dict(_GEMM_PARAMS, beta=Float(1.0, doc='Scalar factor of C.'),
                  axis=Int(-2, doc='Axis of the matrix rows.'))
    backward_uses_inputs = True

    def list_arguments(self, p):
        return ['A', 'B', 'C']

    def infer_shape(self, p, in_shapes):
        a, b, c = in_shapes
        if a is None or b is None:
            return in_shapes, [c]
        out = _gemm_shape(a, b, p.transpose_a, p.transpose_b, p.axis, self.name)
        shape_check(c is None or tuple(c) == out, 'C has shape %s but op(A) @ op(B) has '
                    'shape %s', c, out)
        return [a, b, out], [out]

    def forward(self, p, inputs, outputs, ctx):
        r = self._product(p, inputs[0], inputs[1])
        r = _rows_back(r, p.axis, r.ndim)
        c = inputs[2]
        np.add(r, c * c.dtype.type(p.beta) if p.beta != 1.0 else c, out=outputs[0])

    def backward(self, p, ograds, inputs, outputs, ctx):
        ga, gb = super().backward(p, ograds, inputs[:2], outputs, ctx)
        gc = ograds[0] * ograds[0].dtype.type(p.beta)
        return [ga, gb, gc.astype(inputs[2].dtype, copy=False)]


# ----------------------------------------------------------------------------- small linalg
class _SquareUnary(Operator):
    """linalg ops on one batch of square matrices (trailing two axes).

    `out_shape` says what each output is: ``'matrix'`` (shaped like A) or ``'scalar'``
    (one value per matrix: A's batch shape, or (1,) when A is a single matrix); ops whose
    outputs are neither define `infer_shape` themselves.
    """
    out_shape = None

    def list_arguments(self, p):
        return ['A']

    def _check_square(self, a):
        shape_check(len(a) >= 2 and a[-1] == a[-2], '%s needs square matrices in the last '
                    'two axes, got A of shape %s', self.name, tuple(a))

    def infer_shape(self, p, in_shapes):
        a = in_shapes[0]
        num_out = len(self.list_outputs(p))
        if a is None:
            return in_shapes, [None] * num_out
        self._check_square(a)
        out = a if self.out_shape == 'matrix' else (tuple(a[:-2]) or (1,))
        return in_shapes, [out] * num_out


@register
class LinalgSyrk(_SquareUnary):
    """``out = alpha * A @ A^T`` (or ``alpha * A^T @ A`` with transpose=True).

    Examples
    --------
    >>> import mxlite as mx
    >>> mx.nd.linalg_syrk(mx.nd.ones((2, 3))).asnumpy()
    array([[3., 3.],
           [3., 3.]], dtype=float32)
    """
    name = '_linalg_syrk'
    aliases = ('linalg_syrk',)
    params = {'transpose': Bool(False, doc='Use A^T @ A.'),
              'alpha': Float(1.0, doc='Scalar factor.')}
    backward_uses_outputs = False

    def infer_shape(self, p, in_shapes):
        a = in_shapes[0]
        if a is None:
            return in_shapes, [None]
        shape_check(len(a) >= 2, '%s needs matrices, got A of shape %s', self.name, a)
        n = a[-1] if p.transpose else a[-2]
        return in_shapes, [tuple(a[:-2]) + (n, n)]

    def forward(self, p, inputs, outputs, ctx):
        a = inputs[0]
        at = np.swapaxes(a, -1, -2)
        r = np.matmul(at, a) if p.transpose else np.matmul(a, at)
        np.multiply(r, a.dtype.type(p.alpha), out=outputs[0])

    def backward(self, p, ograds, inputs, outputs, ctx):
        a, g = inputs[0], ograds[0]
        gs = g + np.swapaxes(g, -1, -2)
        ga = np.matmul(a, gs) if p.transpose else np.matmul(gs, a)
        return [(ga * p.alpha).astype(a.dtype, copy=False)]


@register
class LinalgSumlogdiag(_SquareUnary):
    """Sum of the logarithms of the diagonal of each square matrix.

    Examples
    --------
    >>> import mxlite as mx
    >>> float(mx.nd.linalg_sumlogdiag(mx.nd.array([[1., 0.], [0., 1.]])).asnumpy()[0])
    0.0
    """
    name = '_linalg_sumlogdiag'
    aliases = ('linalg_sumlogdiag',)
    backward_uses_outputs = False
    out_shape = 'scalar'

    def forward(self, p, inputs, outputs, ctx):
        d = np.diagonal(inputs[0], axis1=-2, axis2=-1)
        outputs[0][...] = np.log(d).sum(axis=-1).reshape(outputs[0].shape)

    def backward(self, p, ograds, inputs, outputs, ctx):
        a = inputs[0]
        g = ograds[0].reshape(a.shape[:-2])
        ga = np.zeros_like(a)
        d = np.diagonal(a, axis1=-2, axis2=-1)
        idx = np.arange(a.shape[-1])
        ga[..., idx, idx] = g[..., None] / d
        return [ga]


@register
class LinalgPotrf(_SquareUnary):
    """Cholesky factor of each symmetric positive-definite matrix: L (lower triangular,
    A = L L^T) or, with ``lower=False``, U = L^T (upper, A = U^T U).

    Examples
    --------
    >>> import mxlite as mx
    >>> mx.nd.linalg_potrf(mx.nd.array([[4., 2.], [2., 2.]])).asnumpy()
    array([[2., 0.],
           [1., 1.]], dtype=float32)
    >>> mx.nd.linalg.potrf(mx.nd.array([[4., 2.], [2., 2.]]), lower=False).asnumpy()
    array([[2., 1.],
           [0., 1.]], dtype=float32)
    """
    name = '_linalg_potrf'
    aliases = ('linalg_potrf',)
    params = {'lower': Bool(True, doc='Return the lower factor L; else the upper U = L^T.')}
    backward_uses_inputs = False
    out_shape = 'matrix'

    def forward(self, p, inputs, outputs, ctx):
        L = np.linalg.cholesky(inputs[0])
        outputs[0][...] = L if p.lower else np.swapaxes(L, -1, -2)

    def backward(self, p, ograds, inputs, outputs, ctx):
        # dA = 1/2 L^-T Phi(L^T dL) L^-1, symmetrised; Phi keeps the lower triangle and
        # halves the diagonal (an upper factor's gradient is the lower one's transposed)
        L, g = outputs[0].astype(np.float64), ograds[0].astype(np.float64)
        if not p.lower:
            L, g = np.swapaxes(L, -1, -2), np.swapaxes(g, -1, -2)
        p_ = np.matmul(np.swapaxes(L, -1, -2), g)
        p_ = np.tril(p_) - 0.5 * np.eye(L.shape[-1]) * p_
        linv = np.linalg.inv(L)
        s = np.matmul(np.matmul(np.swapaxes(linv, -1, -2), p_), linv)
        ga = 0.5 * (s + np.swapaxes(s, -1, -2))
        return [ga.astype(inputs[0].dtype)]


@register
class LinalgInverse(_SquareUnary):
    """Inverse of each square matrix.

    Examples
    --------
    >>> import mxlite as mx
    >>> mx.nd.linalg_inverse(mx.nd.array([[2., 0.], [0., 4.]])).asnumpy()
    array([[0.5 , 0.  ],
           [0.  , 0.25]], dtype=float32)
    """
    name = '_linalg_inverse'
    aliases = ('linalg_inverse',)
    backward_uses_inputs = False
    out_shape = 'matrix'

    def forward(self, p, inputs, outputs, ctx):
        outputs[0][...] = np.linalg.inv(inputs[0])

    def backward(self, p, ograds, inputs, outputs, ctx):
        y = outputs[0]
        yt = np.swapaxes(y, -1, -2)
        return [-np.matmul(np.matmul(yt, ograds[0]), yt)]


@register
class LinalgDet(_SquareUnary):
    """Determinant of each square matrix.

    Examples
    --------
    >>> import mxlite as mx
    >>> float(mx.nd.linalg_det(mx.nd.array([[2., 1.], [1., 3.]])).asnumpy()[0])
    5.0
    """
    name = '_linalg_det'
    aliases = ('linalg_det',)
    out_shape = 'scalar'

    def forward(self, p, inputs, outputs, ctx):
        outputs[0][...] = np.linalg.det(inputs[0]).reshape(outputs[0].shape)

    def backward(self, p, ograds, inputs, outputs, ctx):
        a = inputs[0]
        det = outputs[0].reshape(a.shape[:-2])
        g = ograds[0].reshape(a.shape[:-2])
        # d det / dA = det * A^-T
        inv_t = np.swapaxes(np.linalg.inv(a), -1, -2)
        return [((g * det)[..., None, None] * inv_t).astype(a.dtype, copy=False)]


@register
class LinalgSlogdet(_SquareUnary):
    """Sign and log of the absolute value of the determinant of each square matrix.

    Examples
    --------
    >>> import mxlite as mx
    >>> sign, logdet = mx.nd.linalg_slogdet(mx.nd.array([[2., 0.], [0., 3.]]))
    >>> float(sign.asnumpy()[0])
    1.0
    """
    name = '_linalg_slogdet'
    aliases = ('linalg_slogdet',)

    out_shape = 'scalar'

    def list_outputs(self, p):
        return ['output0', 'output1']   # MXNet's names (slogdet0_output0: sign, _output1: log)

    def forward(self, p, inputs, outputs, ctx):
        sign, logdet = np.linalg.slogdet(inputs[0])
        outputs[0][...] = np.reshape(sign, outputs[0].shape)
        outputs[1][...] = np.reshape(logdet, outputs[1].shape)

    def backward(self, p, ograds, inputs, outputs, ctx):
        a = inputs[0]
        g = ograds[1] if len(ograds) > 1 and ograds[1] is not None else np.zeros(
            outputs[1].shape, a.dtype)
        inv_t = np.swapaxes(np.linalg.inv(a), -1, -2)
        return [(g.reshape(a.shape[:-2])[..., None, None] * inv_t).astype(a.dtype,
                                                                          copy=False)]


@register
class LinalgExtractdiag(_SquareUnary):
    """The `offset`-th diagonal of each square matrix.

    Examples
    --------
    >>> import mxlite as mx
    >>> mx.nd.linalg_extractdiag(mx.nd.array([[1., 2.], [3., 4.]])).asnumpy()
    array([1., 4.], dtype=float32)
    """
    name = '_linalg_extractdiag'
    aliases = ('linalg_extractdiag',)
    params = {'offset': Int(0, doc='Diagonal offset (positive: above the main one).')}
    backward_uses_outputs = False

    def infer_shape(self, p, in_shapes):
        a = in_shapes[0]
        if a is None:
            return in_shapes, [None]
        self._check_square(a)
        n = a[-1] - abs(p.offset)
        shape_check(n > 0, 'offset %d is outside matrices of shape %s', p.offset, tuple(a))
        return in_shapes, [tuple(a[:-2]) + (n,)]

    def forward(self, p, inputs, outputs, ctx):
        outputs[0][...] = np.diagonal(inputs[0], offset=p.offset, axis1=-2, axis2=-1)

    def backward(self, p, ograds, inputs, outputs, ctx):
        a = inputs[0]
        ga = np.zeros_like(a)
        n = ograds[0].shape[-1]
        rows = np.arange(n) + max(-p.offset, 0)
        cols = np.arange(n) + max(p.offset, 0)
        ga[..., rows, cols] = ograds[0]
        return [ga]


@register
class LinalgMakediag(Operator):
    """Square matrices with the input vectors on their `offset`-th diagonal.

    Examples
    --------
    >>> import mxlite as mx
    >>> mx.nd.linalg_makediag(mx.nd.array([1., 2.])).asnumpy()
    array([[1., 0.],
           [0., 2.]], dtype=float32)
    """
    name = '_linalg_makediag'
    aliases = ('linalg_makediag',)
    params = {'offset': Int(0, doc='Diagonal offset (positive: above the main one).')}
    backward_uses_inputs = False
    backward_uses_outputs = False

    def list_arguments(self, p):
        return ['A']

    def infer_shape(self, p, in_shapes):
        a = in_shapes[0]
        if a is None:
            return in_shapes, [None]
        n = a[-1] + abs(p.offset)
        return in_shapes, [tuple(a[:-1]) + (n, n)]

    def _index(self, p, n):
        return np.arange(n) + max(-p.offset, 0), np.arange(n) + max(p.offset, 0)

    def forward(self, p, inputs, outputs, ctx):
        out = outputs[0]
        out[...] = 0
        rows, cols = self._index(p, inputs[0].shape[-1])
        out[..., rows, cols] = inputs[0]

    def backward(self, p, ograds, inputs, outputs, ctx):
        rows, cols = self._index(p, inputs[0].shape[-1])
        return [ograds[0][..., rows, cols]]
