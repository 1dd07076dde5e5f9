"""The rest of MXNet 1.x's linalg family: potri, trmm, trsm, gelqf, syevd, extracttrian
and maketrian (the products, inverses and factorizations not in ops/matrix.py).

As in MXNet, every op works on the trailing two axes and treats leading axes as a batch;
the kernels are batched numpy calls (matmul, solve, qr, eigh), never a Python loop over
matrices. The triangular ops read only the triangle that `lower` names (BLAS and LAPACK do
the same), so the other triangle of A never matters and gets a zero gradient. Gradients
are the closed forms of Seeger et al., "Auto-differentiating linear algebra" (the paper
MXNet's own kernels follow), written here with numpy. Only float32 and float64 are
accepted, as in MXNet.
"""
import functools

import numpy as np

from ..base import MXNetError, TypeInferError
from ._util import known as _known
from .matrix import matmul_into
from .registry import Bool, Float, Int, Operator, register, shape_check


# ----------------------------------------------------------------------------- helpers
def _t(x):
    return np.swapaxes(x, -1, -2)


def _tri(a, lower):
    """The triangle of `a` that the op reads (the rest is zero)."""
    return np.tril(a) if lower else np.triu(a)


def _ograd(g, like):
    """A head gradient, or zeros when nothing flows into that output."""
    return np.zeros(like.shape, like.dtype) if g is None else g


def _solve(a, b, op):
    """a^-1 @ b for batches of square `a`; a singular `a` is an MXNetError naming `op`."""
    try:
        return np.linalg.solve(a, b)
    except np.linalg.LinAlgError:
        raise MXNetError('%s: A is singular (a zero on the diagonal of its triangle, or '
                         'a rank-deficient matrix); the system cannot be solved'
                         % op) from None


def _sym_from_lower(m):
    """The symmetric matrix with `m`'s lower triangle (and diagonal)."""
    return np.tril(m) + _t(np.tril(m, -1))


class _Linalg(Operator):
    """Shared rules: inputs of float32/float64 (MXNet's LAPACK kernels take no other)."""

    def list_arguments(self, p):
        return ['A']

    def infer_type(self, p, in_types):
        in_types, out_types = super().infer_type(p, in_types)
        names = self.list_arguments(p)
        for name, t in zip(names, in_types):
            if t is not None and np.dtype(t) not in (np.float32, np.float64):
                raise TypeInferError("input '%s' has dtype %s; %s supports float32 and "
                                     "float64 only" % (name, np.dtype(t).name, self.name))
        return in_types, out_types

    def _matrices(self, a, what='A'):
        shape_check(len(a) >= 2, "input '%s' has shape %s; %s needs a tensor of matrices "
                    "(2 or more dimensions)", what, tuple(a), self.name)

    def _square(self, a, what='A'):
        self._matrices(a, what)
        shape_check(a[-1] == a[-2], "input '%s' has shape %s; %s needs square matrices in "
                    "the last two axes", what, tuple(a), self.name)


# ----------------------------------------------------------------------------- potri
@register
class LinalgPotri(_Linalg):
    """Inverse of a symmetric positive-definite matrix from its Cholesky factor.

    For a triangular `A` with positive diagonal (the output of `potrf`), the result is
    ``A^-T @ A^-1`` if `lower` (the default) or ``A^-1 @ A^-T`` otherwise: if ``B =
    A @ A^T`` then ``potri(A) = B^-1``. Only the triangle `lower` names is read. Leading
    axes are a batch. Solving with the factor (`trsm`) is cheaper and more accurate when
    the inverse itself is not needed.

    Parameters
    ----------
    A : NDArray or Symbol
        Triangular matrices (..., n, n).
    lower : bool, default True
        A is lower triangular (else upper). MXNet accepts it although its generated
        signature does not list it.

    Examples
    --------
    >>> import mxlite as mx
    >>> mx.nd.linalg.potri(mx.nd.array([[2., 0.], [0.5, 2.]])).asnumpy()
    array([[ 0.265625, -0.0625  ],
           [-0.0625  ,  0.25    ]], dtype=float32)
    """
    name = '_linalg_potri'
    aliases = ('linalg_potri',)
    params = {'lower': Bool(True, doc='A is lower triangular (else upper).')}

    def infer_shape(self, p, in_shapes, out_shapes=None):
        a = in_shapes[0]
        if not _known(a) and out_shapes and _known(out_shapes[0]):
            a = out_shapes[0]       # the output has A's shape: infer it backwards
        if not _known(a):
            return in_shapes, [None]
        self._square(a)
        return [tuple(a)], [tuple(a)]

    def forward(self, p, inputs, outputs, ctx):
        a = _tri(inputs[0], p.lower)
        n = a.shape[-1]
        inv = _solve(a, np.broadcast_to(np.eye(n, dtype=a.dtype), a.shape), self.name)
        r = np.matmul(_t(inv), inv) if p.lower else np.matmul(inv, _t(inv))
        outputs[0][...] = _sym_from_lower(r)     # exactly symmetric, as LAPACK's potri

    def backward(self, p, ograds, inputs, outputs, ctx):
        # lower: out = (L L^T)^-1 = P, so dL = -tril(P (G + G^T) P L) (P L = L^-T);
        # upper: out = (U^T U)^-1, dU = -triu(U P (G + G^T) P)
        a, pm = _tri(inputs[0], p.lower), outputs[0]
        g = _ograd(ograds[0], pm)
        s = g + _t(g)
        if p.lower:
            ga = -np.tril(np.matmul(np.matmul(pm, s), np.matmul(pm, a)))
        else:
            ga = -np.triu(np.matmul(np.matmul(a, pm), np.matmul(s, pm)))
        return [ga.astype(inputs[0].dtype, copy=False)]


# ----------------------------------------------------------------------------- trmm/trsm
_TRIANG_PARAMS = {
    'transpose': Bool(False, doc='Use the transpose of the triangular matrix.'),
    'rightside': Bool(False, doc='Put the triangular matrix on the right of B.'),
    'lower': Bool(True, doc='A is lower triangular (else upper).'),
    'alpha': Float(1.0, doc='Scalar factor of the result.'),
}


class _Triangular(_Linalg):
    """trmm and trsm: a triangular A (..., n, n) and a matrix B; the output has B's shape.

    With ``rightside=False`` A acts on B's rows (B is (..., n, k)); with
    ``rightside=True`` on its columns (B is (..., k, n))."""
    params = _TRIANG_PARAMS

    def list_arguments(self, p):
        return ['A', 'B']

    def infer_shape(self, p, in_shapes, out_shapes=None):
        a, b = in_shapes
        if not _known(b) and out_shapes and _known(out_shapes[0]):
            b = out_shapes[0]                     # the output has B's shape
        if _known(b):
            self._matrices(b, 'B')
            n = b[-1] if p.rightside else b[-2]
            want = tuple(b[:-2]) + (n, n)
            if not _known(a):
                a = want                          # A follows from B
            self._square(a)
            shape_check(len(a) == len(b) and tuple(a[:-2]) == tuple(b[:-2]),
                        "input 'A' has shape %s but input 'B' has shape %s; the batch "
                        "dimensions (all but the last two) must be equal", tuple(a), tuple(b))
            shape_check(a[-1] == n, "input 'A' has shape %s but input 'B' has shape %s "
                        "(rightside=%s): A's size %d must equal B's %s %d", tuple(a),
                        tuple(b), p.rightside, a[-1],
                        'column count' if p.rightside else 'row count', n)
            return [tuple(a), tuple(b)], [tuple(b)]
        if _known(a):
            self._square(a)
        return in_shapes, [None]

    def _op_a(self, p, a):
        """op(A): A's triangle, transposed when asked."""
        t = _tri(a, p.lower)
        return _t(t) if p.transpose else t

    def _grad_a(self, p, g_op, a):
        """Gradient of A from that of op(A): undo the transpose, keep the triangle."""
        g = _t(g_op) if p.transpose else g_op
        return _tri(g, p.lower).astype(a.dtype, copy=False)


@register
class LinalgTrmm(_Triangular):
    """Multiplication with a triangular matrix: ``alpha * op(A) @ B``
    (``alpha * B @ op(A)`` with ``rightside=True``).

    ``op(A)`` is A's triangle (the lower one unless ``lower=False``; the other entries
    are ignored), transposed if `transpose`. Leading axes are a batch; the output has B's
    shape.

    Parameters
    ----------
    A : NDArray or Symbol
        Triangular matrices (..., n, n).
    B : NDArray or Symbol
        Matrices (..., n, k), or (..., k, n) with ``rightside=True``.
    transpose, rightside : bool, default False
    lower : bool, default True
    alpha : float, default 1.0

    Examples
    --------
    >>> import mxlite as mx
    >>> A = mx.nd.array([[1., 0.], [1., 1.]]); B = mx.nd.ones((2, 3))
    >>> mx.nd.linalg.trmm(A, B, alpha=2.0).asnumpy()
    array([[2., 2., 2.],
           [4., 4., 4.]], dtype=float32)
    """
    name = '_linalg_trmm'
    aliases = ('linalg_trmm',)
    backward_uses_outputs = False

    def forward(self, p, inputs, outputs, ctx):
        a, b = inputs
        op_a = self._op_a(p, a)
        out = outputs[0]
        if p.rightside:
            matmul_into(b, op_a, out)
        else:
            matmul_into(op_a, b, out)
        if p.alpha != 1.0:
            out *= out.dtype.type(p.alpha)

    def backward(self, p, ograds, inputs, outputs, ctx):
        a, b = inputs
        g = _ograd(ograds[0], b) * b.dtype.type(p.alpha)
        op_a = self._op_a(p, a)
        ga = gb = None
        if ctx.needs(0):
            g_op = np.matmul(_t(b), g) if p.rightside else np.matmul(g, _t(b))
            ga = self._grad_a(p, g_op, a)
        if ctx.needs(1):
            gb = np.matmul(g, _t(op_a)) if p.rightside else np.matmul(_t(op_a), g)
        return [ga, gb]


@register
class LinalgTrsm(_Triangular):
    """Solves a triangular system: ``out`` with ``op(A) @ out = alpha * B``
    (``out @ op(A) = alpha * B`` with ``rightside=True``).

    ``op(A)`` is A's triangle (the lower one unless ``lower=False``; the other entries
    are ignored), transposed if `transpose`. Leading axes are a batch; the output has B's
    shape. A zero on the diagonal makes the system singular: that raises an error here
    (MXNet's BLAS call returns infinities instead).

    Parameters
    ----------
    A : NDArray or Symbol
        Triangular matrices (..., n, n).
    B : NDArray or Symbol
        Right-hand sides (..., n, k), or (..., k, n) with ``rightside=True``.
    transpose, rightside : bool, default False
    lower : bool, default True
    alpha : float, default 1.0

    Examples
    --------
    >>> import mxlite as mx
    >>> A = mx.nd.array([[1., 0.], [1., 1.]])
    >>> B = mx.nd.array([[2., 2., 2.], [4., 4., 4.]])
    >>> mx.nd.linalg.trsm(A, B, alpha=0.5).asnumpy()
    array([[1., 1., 1.],
           [1., 1., 1.]], dtype=float32)
    """
    name = '_linalg_trsm'
    aliases = ('linalg_trsm',)

    def forward(self, p, inputs, outputs, ctx):
        a, b = inputs
        op_a = self._op_a(p, a)
        rhs = b * b.dtype.type(p.alpha) if p.alpha != 1.0 else b
        if p.rightside:   # out op(A) = rhs  <=>  op(A)^T out^T = rhs^T
            outputs[0][...] = _t(_solve(_t(op_a), _t(rhs), self.name))
        else:
            outputs[0][...] = _solve(op_a, rhs, self.name)

    def backward(self, p, ograds, inputs, outputs, ctx):
        # left:  op(A) C = alpha B  ->  Y = op(A)^-T G, dB = alpha Y, d op(A) = -Y C^T
        # right: C op(A) = alpha B  ->  Y = G op(A)^-T, dB = alpha Y, d op(A) = -C^T Y
        a, b = inputs
        c = outputs[0]
        g = _ograd(ograds[0], c)
        op_a = self._op_a(p, a)
        if p.rightside:
            y = _t(_solve(op_a, _t(g), self.name))
        else:
            y = _solve(_t(op_a), g, self.name)
        ga = gb = None
        if ctx.needs(0):
            g_op = -(np.matmul(_t(c), y) if p.rightside else np.matmul(y, _t(c)))
            ga = self._grad_a(p, g_op, a)
        if ctx.needs(1):
            gb = (y * y.dtype.type(p.alpha)).astype(b.dtype, copy=False)
        return [ga, gb]


# ----------------------------------------------------------------------------- gelqf
@register
class LinalgGelqf(_Linalg):
    """LQ factorization ``A = L @ Q`` of matrices with no more rows than columns.

    For A of shape (..., m, n) with m <= n and full rank m, Q (..., m, n) has orthonormal
    rows (``Q @ Q^T = I``) and L (..., m, m) is lower triangular. The outputs are
    ``(Q, L)`` in that order. Signs follow LAPACK's Householder convention, as in MXNet
    (this is numpy's QR of A^T, transposed): L's diagonal is not forced positive.

    Parameters
    ----------
    A : NDArray or Symbol
        Matrices (..., m, n), m <= n.

    Examples
    --------
    >>> import mxlite as mx
    >>> Q, L = mx.nd.linalg.gelqf(mx.nd.array([[1., 2., 3.], [4., 5., 6.]], dtype='float64'))
    >>> L.asnumpy().round(6)
    array([[-3.741657,  0.      ],
           [-8.55236 ,  1.963961]])
    >>> Q.asnumpy().round(6)
    array([[-0.267261, -0.534522, -0.801784],
           [ 0.872872,  0.218218, -0.436436]])
    """
    name = '_linalg_gelqf'
    aliases = ('linalg_gelqf',)
    backward_uses_inputs = False

    def list_outputs(self, p):
        return ['output0', 'output1']

    def infer_shape(self, p, in_shapes, out_shapes=None):
        a = in_shapes[0]
        if not _known(a) and out_shapes and _known(out_shapes[0]):
            a = out_shapes[0]                     # Q has A's shape
        if not _known(a):
            return in_shapes, [None, None]
        self._matrices(a)
        shape_check(a[-2] <= a[-1], "input 'A' has shape %s; %s needs matrices with no "
                    "more rows than columns (%d > %d)", tuple(a), self.name, a[-2], a[-1])
        return [tuple(a)], [tuple(a), tuple(a[:-1]) + (a[-2],)]

    def forward(self, p, inputs, outputs, ctx):
        q, r = np.linalg.qr(_t(inputs[0]))        # A^T = q r  =>  A = r^T q^T
        outputs[0][...] = _t(q)
        outputs[1][...] = _t(r)

    def backward(self, p, ograds, inputs, outputs, ctx):
        # dA = L^-T (dQ + copyLTU(M) Q), M = L^T dL - dQ Q^T; copyLTU mirrors M's lower
        # triangle into its upper one
        q, lm = outputs
        dq, dl = _ograd(ograds[0], q), _ograd(ograds[1], lm)
        m = np.matmul(_t(lm), dl) - np.matmul(dq, _t(q))
        rhs = dq + np.matmul(_sym_from_lower(m), q)
        return [_solve(_t(lm), rhs, self.name).astype(q.dtype, copy=False)]


# ----------------------------------------------------------------------------- syevd
# floor of an eigengap in the gradient (MXNet's values): equal eigenvalues give a large
# but finite gradient instead of inf/nan
_GAP_EPS = {np.dtype(np.float32): 1e-30, np.dtype(np.float64): 1e-100}


@register
class LinalgSyevd(_Linalg):
    """Eigendecomposition of symmetric matrices: ``A = U^T @ diag(L) @ U``.

    For symmetric A (..., n, n) the outputs are ``(U, L)``: U (..., n, n) is orthonormal
    with the eigenvectors as its ROWS (``U @ A = diag(L) @ U``), L (..., n) holds the
    eigenvalues in ascending order. Only A's lower triangle is read. Each eigenvector's
    sign is fixed as MXNet fixes it: its entry of largest magnitude (the first such on a
    tie) is positive.

    The gradient is defined for distinct eigenvalues only. As in MXNet it is the
    symmetric one (A is taken to be symmetric), so a finite-difference check must
    perturb A symmetrically (e.g. differentiate through ``(X + X^T) / 2``).

    Parameters
    ----------
    A : NDArray or Symbol
        Symmetric matrices (..., n, n).

    Examples
    --------
    >>> import mxlite as mx
    >>> U, L = mx.nd.linalg.syevd(mx.nd.array([[1., 2.], [2., 4.]], dtype='float64'))
    >>> L.asnumpy().round(6)
    array([0., 5.])
    >>> U.asnumpy().round(6)
    array([[ 0.894427, -0.447214],
           [ 0.447214,  0.894427]])
    """
    name = '_linalg_syevd'      # MXNet registers no 'linalg_syevd' alias
    backward_uses_inputs = False

    def list_outputs(self, p):
        return ['output0', 'output1']

    def infer_shape(self, p, in_shapes, out_shapes=None):
        a = in_shapes[0]
        if not _known(a) and out_shapes and _known(out_shapes[0]):
            a = out_shapes[0]                     # U has A's shape
        if not _known(a):
            return in_shapes, [None, None]
        self._square(a)
        return [tuple(a)], [tuple(a), tuple(a[:-1])]

    def forward(self, p, inputs, outputs, ctx):
        w, v = np.linalg.eigh(inputs[0])         # columns of v are the eigenvectors
        u = _t(v)
        if u.shape[-1]:
            big = np.argmax(np.abs(u), axis=-1)[..., None]
            flip = np.take_along_axis(u, big, axis=-1) < 0
            u = np.where(flip, -u, u)
        outputs[0][...] = u
        outputs[1][...] = w

    def backward(self, p, ograds, inputs, outputs, ctx):
        # dA = U^T Y U with Y_ii = dL_i and, off the diagonal, the symmetric
        # Y_ij = (X_ij - X_ji) / (2 (L_i - L_j)) for i > j, X = dU U^T
        u, lam = outputs
        du, dlam = _ograd(ograds[0], u), _ograd(ograds[1], lam)
        x = np.matmul(du, _t(u))
        gap = lam[..., :, None] - lam[..., None, :]          # >= 0 below the diagonal
        gap = 2 * np.maximum(gap, u.dtype.type(_GAP_EPS[u.dtype]))
        y = np.tril((x - _t(x)) / gap, -1)
        y = y + _t(y)
        n = u.shape[-1]
        y[..., np.arange(n), np.arange(n)] = dlam
        return [np.matmul(np.matmul(_t(u), y), u).astype(u.dtype, copy=False)]


# ----------------------------------------------------------------------------- triangles
@functools.lru_cache(maxsize=64)
def _trian_index(n, offset, lower):
    """(rows, cols) of the triangle's entries in MXNet's storage order.

    A lower triangle (offset < 0, or offset 0 with lower) is stored row by row; an upper
    one is stored as the lower triangle of the transpose, i.e. column by column."""
    k = abs(offset)
    r, c = np.tril_indices(n - k)
    rows, cols = (r + k, c) if offset < 0 or (offset == 0 and lower) else (c, r + k)
    rows.setflags(write=False)
    cols.setflags(write=False)
    return rows, cols


_TRIAN_PARAMS = {
    'offset': Int(0, doc='Diagonal offset: 0 the main diagonal, k > 0 the k-th above '
                         '(upper triangle), k < 0 the k-th below (lower triangle).'),
    'lower': Bool(True, doc='With offset 0: the lower triangle (else the upper).'),
}


@register
class LinalgExtracttrian(_Linalg):
    """The entries of a triangle of each square matrix, as a vector.

    With ``offset=0`` the lower triangle (diagonal included) unless ``lower=False``;
    ``offset=k > 0`` takes the upper triangle from the k-th diagonal above the main one,
    ``k < 0`` the lower triangle from the k-th diagonal below (`lower` is then ignored).
    For n x n matrices and ``m = n - |offset|`` the output has ``m (m + 1) / 2`` entries:
    a lower triangle row by row, an upper one column by column (MXNet's order).
    `maketrian` is the inverse.

    Parameters
    ----------
    A : NDArray or Symbol
        Square matrices (..., n, n).
    offset : int, default 0
    lower : bool, default True

    Examples
    --------
    >>> import mxlite as mx
    >>> A = mx.nd.array([[1., 2.], [3., 4.]])
    >>> mx.nd.linalg.extracttrian(A).asnumpy()
    array([1., 3., 4.], dtype=float32)
    >>> mx.nd.linalg.extracttrian(A, lower=False).asnumpy()
    array([1., 2., 4.], dtype=float32)
    >>> mx.nd.linalg.extracttrian(A, offset=-1).asnumpy()
    array([3.], dtype=float32)
    """
    name = '_linalg_extracttrian'
    aliases = ('linalg_extracttrian',)
    params = _TRIAN_PARAMS
    backward_uses_inputs = False          # the gradient needs A's shape only
    backward_uses_outputs = False

    def infer_shape(self, p, in_shapes):
        a = in_shapes[0]
        if not _known(a):
            return in_shapes, [None]
        self._square(a)
        m = a[-1] - abs(p.offset)
        shape_check(m > 0, 'offset=%d is outside matrices of shape %s; expected |offset| '
                    '< %d', p.offset, tuple(a), a[-1])
        return in_shapes, [tuple(a[:-2]) + (m * (m + 1) // 2,)]

    def forward(self, p, inputs, outputs, ctx):
        rows, cols = _trian_index(inputs[0].shape[-1], p.offset, p.lower)
        outputs[0][...] = inputs[0][..., rows, cols]

    def backward(self, p, ograds, inputs, outputs, ctx):
        a = inputs[0]
        rows, cols = _trian_index(a.shape[-1], p.offset, p.lower)
        ga = np.zeros(a.shape, a.dtype)
        if ograds[0] is not None:
            ga[..., rows, cols] = ograds[0]
        return [ga]


@register
class LinalgMaketrian(_Linalg):
    """Square matrices with the input vectors as one triangle (the inverse of
    `extracttrian`): entries outside the triangle are zero.

    The last axis holds ``t = m (m + 1) / 2`` entries (t must be a triangular number);
    the output matrices are n x n with ``n = m + |offset|``. `offset` and `lower` choose
    the triangle and its storage order as in `extracttrian`.

    Parameters
    ----------
    A : NDArray or Symbol
        Triangles stored as vectors (..., t).
    offset : int, default 0
    lower : bool, default True

    Examples
    --------
    >>> import mxlite as mx
    >>> v = mx.nd.array([1., 2., 3.])
    >>> mx.nd.linalg.maketrian(v).asnumpy()
    array([[1., 0.],
           [2., 3.]], dtype=float32)
    >>> mx.nd.linalg.maketrian(v, offset=1).asnumpy()
    array([[0., 1., 2.],
           [0., 0., 3.],
           [0., 0., 0.]], dtype=float32)
    """
    name = '_linalg_maketrian'
    aliases = ('linalg_maketrian',)
    params = _TRIAN_PARAMS
    backward_uses_inputs = False
    backward_uses_outputs = False

    @staticmethod
    def _side(t):
        """m with m (m + 1) / 2 == t, or None."""
        m = int(round((np.sqrt(8.0 * t + 1) - 1) / 2))
        return m if m * (m + 1) // 2 == t else None

    def infer_shape(self, p, in_shapes):
        a = in_shapes[0]
        if not _known(a):
            return in_shapes, [None]
        shape_check(len(a) >= 1, "input 'A' has shape %s; %s needs at least 1 dimension",
                    tuple(a), self.name)
        m = self._side(a[-1])
        shape_check(m is not None, "input 'A' has shape %s; its last axis (%d) must hold a "
                    "triangle, m (m + 1) / 2 entries for some m (1, 3, 6, 10, ...)",
                    tuple(a), a[-1])
        n = m + abs(p.offset)
        return in_shapes, [tuple(a[:-1]) + (n, n)]

    def forward(self, p, inputs, outputs, ctx):
        out = outputs[0]
        rows, cols = _trian_index(out.shape[-1], p.offset, p.lower)
        out[...] = 0
        out[..., rows, cols] = inputs[0]

    def backward(self, p, ograds, inputs, outputs, ctx):
        a = inputs[0]
        n = self._side(a.shape[-1]) + abs(p.offset)
        rows, cols = _trian_index(n, p.offset, p.lower)
        if ograds[0] is None:
            return [np.zeros(a.shape, a.dtype)]
        return [ograds[0][..., rows, cols].astype(a.dtype, copy=False)]
