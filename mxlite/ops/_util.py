"""Small helpers shared by operator kernels."""
import numpy as np

from ..base import ShapeError


def reduce_to(grad, shape, xp=np):
    """Sum `grad` over the axes that were broadcast to reach it from `shape`."""
    shape = tuple(shape)
    if grad.shape == shape:
        return grad
    extra = grad.ndim - len(shape)
    axes = tuple(range(extra)) + tuple(
        i + extra for i, n in enumerate(shape) if n == 1 and grad.shape[i + extra] != 1)
    out = grad.sum(axis=axes, keepdims=True) if axes else grad
    return out.reshape(shape)


def broadcast_shapes(lhs, rhs):
    """numpy's broadcast rule with MXNet's wording when shapes do not fit."""
    ndim = max(len(lhs), len(rhs))
    a = (1,) * (ndim - len(lhs)) + tuple(lhs)
    b = (1,) * (ndim - len(rhs)) + tuple(rhs)
    out = []
    for i, (x, y) in enumerate(zip(a, b)):
        if x == y or y == 1:
            out.append(x)
        elif x == 1:
            out.append(y)
        else:
            raise ShapeError('shapes %s and %s cannot be broadcast together (axis %d: %d vs %d)'
                             % (tuple(lhs), tuple(rhs), i, x, y))
    return tuple(out)


def known(shape):
    """True when `shape` is given and none of its dimensions is unknown (None)."""
    return shape is not None and all(d is not None for d in shape)


def prod(dims):
    """The product of `dims` as a Python int (1 for no dims), free of numpy overflow."""
    n = 1
    for d in dims:
        n *= int(d)
    return n


def sigmoid(x, out):
    """1 / (1 + exp(-x)) into `out` (which may be `x`), without overflow warnings for
    large |x|; returns `out`."""
    np.negative(x, out=out)
    with np.errstate(over='ignore'):
        np.exp(out, out=out)
    out += 1
    np.reciprocal(out, out=out)
    return out


# np.maximum against a scalar takes NumPy's slow broadcast loop (0.38 ns per float32 here,
# 4x an add); against a zeros array of the same length it takes the SIMD loop. So relu runs
# block by block against one cached zeros block (2.4-2.7x faster from 1 MB up).
_ZERO_BLOCK = 1 << 16
_ZEROS = {}


def relu_into(x, out):
    """out = max(x, 0) (NaN stays NaN, as MXNet's relu); x and out of one shape."""
    if x.size < 2 * 4096 or x.dtype.kind != 'f' or not (x.flags.c_contiguous and
                                                        out.flags.c_contiguous):
        return np.maximum(x, 0, out=out)
    zeros = _ZEROS.get(x.dtype)
    if zeros is None:
        zeros = _ZEROS[x.dtype] = np.zeros(_ZERO_BLOCK, x.dtype)
    xf, of = x.reshape(-1), out.reshape(-1)
    for s in range(0, xf.size, _ZERO_BLOCK):
        e = min(xf.size, s + _ZERO_BLOCK)
        np.maximum(xf[s:e], zeros[:e - s], out=of[s:e])
    return out


def write(out, value):
    """Copy `value` into the preallocated buffer `out` (a no-op if it is already there)."""
    if out is not value:
        out[...] = value


def normalize_axis(axis, ndim, what='axis'):
    if not -ndim <= axis < max(ndim, 1):
        raise ShapeError('%s %d is out of range for an input of %d dimension(s)'
                         % (what, axis, ndim))
    return axis % ndim if ndim else 0
