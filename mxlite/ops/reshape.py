"""Reshape (with MXNet's special codes and the legacy target_shape) and reshape_like.

Both only change how the same elements are laid out: forward copies (or, when the planner
gives the output the input's buffer, does nothing) and backward reshapes the gradient back.
"""
import numpy as np

from ..base import ShapeError
from ._util import known as _known
from .registry import Bool, IntOrNone, Operator, Shape, register, shape_check
from .shape_codes import resolve_reshape


def _size(shape):
    n = 1
    for d in shape:
        n *= d
    return n


def same_buffer(a, b):
    """True when `a` and `b` start at the same memory (an in-place planned output)."""
    return a is b or (a.size and a.__array_interface__['data'][0]
                      == b.__array_interface__['data'][0] and a.dtype == b.dtype)


def copy_reshaped(x, out):
    if not same_buffer(x, out):
        out[...] = x.reshape(out.shape)


def reshaped_grad(g, shape, ctx):
    """The gradient `g` reshaped to the input's `shape`; the executor's target array itself
    when the gradient was planned in place there (nothing to copy)."""
    dst = ctx.dst(0)
    if dst is not None and same_buffer(dst, g):
        return dst
    return g.reshape(shape)


def _legacy_target(p, src):
    """The deprecated `target_shape` (0 = infer one dim) with `keep_highest`."""
    out = list(p.target_shape)
    start = 0
    if p.keep_highest:
        shape_check(len(out) >= 1, 'keep_highest needs a non-empty target_shape')
        out[0] = src[0]
        start = 1
    zeros = [i for i in range(start, len(out)) if out[i] == 0]
    shape_check(len(zeros) <= 1, 'target_shape %s may contain at most one 0 (the dimension '
                'to infer)', tuple(p.target_shape))
    if zeros:
        out[zeros[0]] = 1
        rest = _size(out)
        shape_check(rest and _size(src) % rest == 0,
                    'cannot infer the 0 in target_shape %s for input shape %s',
                    tuple(p.target_shape), tuple(src))
        out[zeros[0]] = _size(src) // rest
    return tuple(out)


def _fill_one_unknown(partial, total):
    """Fill the single None dim of `partial` so that it holds `total` elements, if possible."""
    if partial is None or sum(d is None for d in partial) != 1:
        return partial
    known = _size([d for d in partial if d is not None])
    if known == 0 or total % known:
        return partial
    return tuple(total // known if d is None else d for d in partial)


@register
class Reshape(Operator):
    """Reshape an array to `shape` without changing its elements.

    `shape` may use MXNet's special codes: ``0`` copies the input dimension, ``-1`` infers
    one dimension, ``-2`` copies all remaining dimensions, ``-3`` merges two consecutive
    dimensions, ``-4`` splits one dimension into the two values that follow it (one of which
    may be ``-1``). With ``reverse=True`` the codes are matched from the right.
    ``target_shape``/``keep_highest`` are the deprecated spelling (0 means "infer").

    Examples
    --------
    >>> import mxlite as mx
    >>> mx.nd.Reshape(mx.nd.zeros((2, 3, 4)), shape=(-4, 1, 2, -2)).shape
    (1, 2, 3, 4)
    >>> mx.nd.reshape(mx.nd.zeros((2, 3, 4)), shape=(-1, 0), reverse=True).shape
    (6, 4)
    """
    name = 'Reshape'
    aliases = ('reshape',)
    params = {
        'shape': Shape(()), 'reverse': Bool(False),
        'target_shape': Shape((), doc='deprecated: use shape'),
        'keep_highest': Bool(False, doc='deprecated: with target_shape, keep dimension 0'),
    }
    inplace = ((0, 0),)
    backward_uses_inputs = False
    backward_uses_outputs = False

    def out_shape(self, p, src):
        if p.shape:
            return resolve_reshape(src, p.shape, p.reverse)
        if p.target_shape:
            return _legacy_target(p, src)
        raise ShapeError("parameter 'shape' is empty; give the target shape, e.g. shape=(0, -1)")

    def infer_shape(self, p, in_shapes, out_shapes=None):
        src = in_shapes[0]
        out = out_shapes[0] if out_shapes else None
        if _known(src):
            res = self.out_shape(p, src)
            shape_check(not _known(out) or tuple(out) == res,
                        "reshaping input 'data' of shape %s with shape=%s gives %s, but the "
                        "output is expected to have shape %s", tuple(src), p.shape, res, out)
            return [tuple(src)], [res]
        if _known(out):  # one unknown input dim follows from the output's size (as MXNet)
            return [_fill_one_unknown(src, _size(out))], [tuple(out)]
        return [src], [None]

    def forward(self, p, inputs, outputs, ctx):
        ctx.state['shape'] = inputs[0].shape
        copy_reshaped(inputs[0], outputs[0])

    def backward(self, p, ograds, inputs, outputs, ctx):
        return [reshaped_grad(ograds[0], ctx.state['shape'], ctx)]


@register
class ReshapeLike(Operator):
    """Reshape `lhs` to the shape of `rhs`, or splice part of rhs's shape into lhs's.

    ``lhs.shape[lhs_begin:lhs_end]`` is replaced by ``rhs.shape[rhs_begin:rhs_end]``
    (``None`` means the start / end); the sizes must agree. `rhs` gets a zero gradient.

    Examples
    --------
    >>> import mxlite as mx
    >>> mx.nd.reshape_like(mx.nd.zeros((6,)), mx.nd.zeros((2, 3))).shape
    (2, 3)
    """
    name = 'reshape_like'
    params = {'lhs_begin': IntOrNone(None), 'lhs_end': IntOrNone(None),
              'rhs_begin': IntOrNone(None), 'rhs_end': IntOrNone(None)}
    nograd_inputs = (1,)
    backward_uses_outputs = False

    def list_arguments(self, p):
        return ['lhs', 'rhs']

    @staticmethod
    def _range(begin, end, ndim, what):
        b = 0 if begin is None else begin
        e = ndim if end is None else end
        b = b + ndim if b < 0 else b
        e = e + ndim if e < 0 else e
        shape_check(0 <= b <= e <= ndim, "%s_begin=%s, %s_end=%s do not give a valid range "
                    "for an input of %d dimension(s)", what, begin, what, end, ndim)
        return b, e

    def infer_shape(self, p, in_shapes):
        lhs, rhs = in_shapes
        if not (_known(lhs) and _known(rhs)):
            return in_shapes, [None]
        lb, le = self._range(p.lhs_begin, p.lhs_end, len(lhs), 'lhs')
        rb, re_ = self._range(p.rhs_begin, p.rhs_end, len(rhs), 'rhs')
        out = tuple(lhs[:lb]) + tuple(rhs[rb:re_]) + tuple(lhs[le:])
        shape_check(_size(out) == _size(lhs), "lhs of shape %s (size %d) cannot take the "
                    "shape %s (size %d) from rhs of shape %s", tuple(lhs), _size(lhs), out,
                    _size(out), tuple(rhs))
        return [tuple(lhs), tuple(rhs)], [out]

    def infer_type(self, p, in_types):
        return in_types, [in_types[0]]

    def forward(self, p, inputs, outputs, ctx):
        copy_reshaped(inputs[0], outputs[0])

    def backward(self, p, ograds, inputs, outputs, ctx):
        lhs, rhs = inputs
        return [ograds[0].reshape(lhs.shape), np.zeros_like(rhs)]
