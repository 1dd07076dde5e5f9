"""Joining and splitting along an axis: Concat, stack, SliceChannel (split), _split_v2.

Gradients are the inverse layout change: Concat's splits the head gradient back into the
pieces, SliceChannel's concatenates the pieces' gradients (zeros for unused outputs).
"""
import numpy as np

from ._util import known as _known
from .registry import Bool, Int, Operator, Shape, register, shape_check


def _axis(axis, ndim, what, shape):
    shape_check(-ndim <= axis < ndim, "%s=%d is out of range for input of shape %s "
                "(%d dimension(s))", what, axis, tuple(shape), ndim)
    return axis % ndim


class _Joined(Operator):
    """Concat and stack: `num_args` inputs named arg0, arg1, ... joined into one output."""
    key_var_num_args = 'num_args'
    backward_uses_inputs = False
    backward_uses_outputs = False

    def list_arguments(self, p):
        return ['arg%d' % i for i in range(p.num_args)]

    @staticmethod
    def _check_num_args(p, in_shapes):
        shape_check(len(in_shapes) == p.num_args, 'num_args=%d but %d inputs were given',
                    p.num_args, len(in_shapes))


@register
class Concat(_Joined):
    """Join `num_args` arrays along axis `dim`; all other dimensions must agree.

    Shape inference fills in what the other inputs (and, when known, the output) decide:
    the non-`dim` dimensions of every input, and an input's `dim` size from the output's.

    Examples
    --------
    >>> import mxlite as mx
    >>> mx.nd.Concat(mx.nd.zeros((2, 3)), mx.nd.ones((2, 4)), dim=1).shape
    (2, 7)
    """
    name = 'Concat'
    aliases = ('concat',)
    params = {'num_args': Int(), 'dim': Int(1)}

    def infer_shape(self, p, in_shapes, out_shapes=None):
        self._check_num_args(p, in_shapes)
        out = out_shapes[0] if out_shapes else None
        entries = [('input arg%d' % i, s) for i, s in enumerate(in_shapes)] + [('output', out)]
        first = next(((lbl, tuple(s)) for lbl, s in entries if s is not None), None)
        if first is None:
            return in_shapes, [None]
        ndim = len(first[1])
        axis = _axis(p.dim, ndim, 'dim', first[1])
        common = [None] * ndim  # every dim but `axis`, agreed over inputs and output
        owner = [None] * ndim
        for label, s in entries:
            if s is None:
                continue
            s = tuple(s)
            shape_check(len(s) == ndim, '%s has shape %s but %s has shape %s; all inputs need '
                        'the same number of dimensions', label, s, first[0], first[1])
            for k, d in enumerate(s):
                if k == axis or d is None:
                    continue
                if common[k] is None:
                    common[k], owner[k] = d, (label, s)
                else:
                    shape_check(common[k] == d, '%s has shape %s but %s has shape %s; all '
                                'dimensions except dim=%d must agree', label, s,
                                owner[k][0], owner[k][1], p.dim)
        sizes = [None if s is None else s[axis] for s in in_shapes]
        total = out[axis] if out is not None else None
        missing = [i for i, n in enumerate(sizes) if n is None]
        if len(missing) == 1 and total is not None:  # the output decides the one unknown
            sizes[missing[0]] = total - sum(n for n in sizes if n is not None)
            shape_check(sizes[missing[0]] > 0, 'inputs of shapes %s do not fit the output '
                        'shape %s along dim=%d', in_shapes, tuple(out), p.dim)
        new_in = []
        for s, n in zip(in_shapes, sizes):
            filled = tuple(n if k == axis else d for k, d in enumerate(common))
            new_in.append(filled if _known(filled) or s is not None else s)
        out_dim = sum(sizes) if all(n is not None for n in sizes) else None
        if total is not None and out_dim is not None:
            shape_check(total == out_dim, 'inputs of shapes %s sum to %d along dim=%d but the '
                        'output has %d', [tuple(s) for s in new_in], out_dim, p.dim, total)
        out_shape = tuple(out_dim if k == axis else d for k, d in enumerate(common))
        return new_in, [out_shape if _known(out_shape) else out]

    def forward(self, p, inputs, outputs, ctx):
        axis = p.dim % inputs[0].ndim
        ctx.state['sections'] = np.cumsum([x.shape[axis] for x in inputs])[:-1]
        np.concatenate(inputs, axis=axis, out=outputs[0])

    def backward(self, p, ograds, inputs, outputs, ctx):
        g = ograds[0]
        return np.split(g, ctx.state['sections'], axis=p.dim % g.ndim)


@register
class Stack(_Joined):
    """Join `num_args` arrays of the same shape along a new axis `axis`.

    Examples
    --------
    >>> import mxlite as mx
    >>> mx.nd.stack(mx.nd.zeros((2, 3)), mx.nd.ones((2, 3)), axis=1).shape
    (2, 2, 3)
    """
    name = 'stack'
    params = {'axis': Int(0), 'num_args': Int()}

    def infer_shape(self, p, in_shapes, out_shapes=None):
        self._check_num_args(p, in_shapes)
        common, owner = None, None
        for i, s in enumerate(in_shapes):
            if s is None:
                continue
            s = tuple(s)
            if common is None:
                common, owner = s, 'input arg%d' % i
                continue
            shape_check(len(s) == len(common) and all(
                a is None or b is None or a == b for a, b in zip(s, common)),
                'input arg%d has shape %s but %s has shape %s; all inputs need the same shape',
                i, s, owner, common)
            common = tuple(a if a is not None else b for a, b in zip(common, s))
        out = out_shapes[0] if out_shapes else None
        if out is not None and common is None:
            axis = _axis(p.axis, len(out), 'axis', out)
            common = tuple(d for k, d in enumerate(out) if k != axis)
        if common is None:
            return in_shapes, [None]
        ndim = len(common) + 1
        shape_check(-ndim <= p.axis < ndim, 'axis=%d is out of range for stacking inputs of '
                    'shape %s (valid: %d..%d)', p.axis, tuple(common), -ndim, ndim - 1)
        axis = p.axis % ndim
        res = common[:axis] + (p.num_args,) + common[axis:]
        known = _known(common)
        return ([common if known else s for s in in_shapes],
                [res if known else out])

    def forward(self, p, inputs, outputs, ctx):
        np.stack(inputs, axis=p.axis % outputs[0].ndim, out=outputs[0])

    def backward(self, p, ograds, inputs, outputs, ctx):
        g = ograds[0]
        moved = np.moveaxis(g, p.axis % g.ndim, 0)
        return [moved[i] for i in range(p.num_args)]


class _SplitBase(Operator):
    """Shared by SliceChannel and _split_v2: pieces [start_i, end_i) along `axis`."""
    backward_uses_inputs = False
    backward_uses_outputs = False

    def list_outputs(self, p):
        return ['output%d' % i for i in range(self.num_outputs(p))]

    def bounds(self, p, size):
        raise NotImplementedError

    def infer_shape(self, p, in_shapes, out_shapes=None):
        src = in_shapes[0]
        n = self.num_outputs(p)
        if not _known(src):
            outs = out_shapes or []
            if len(outs) == n and all(_known(o) for o in outs) and not p.squeeze_axis:
                axis = _axis(p.axis, len(outs[0]), 'axis', outs[0])
                size = sum(o[axis] for o in outs)
                return [tuple(size if k == axis else d for k, d in enumerate(outs[0]))], \
                    [tuple(o) for o in outs]
            return in_shapes, [None] * n
        axis = _axis(p.axis, len(src), 'axis', src)
        res = []
        for b, e in self.bounds(p, src[axis]):
            piece = tuple(src[:axis]) + (e - b,) + tuple(src[axis + 1:])
            if p.squeeze_axis:
                shape_check(e - b == 1, "squeeze_axis=True needs pieces of size 1 along axis "
                            "%d, but input 'data' of shape %s gives pieces of size %d",
                            p.axis, tuple(src), e - b)
                piece = piece[:axis] + piece[axis + 1:]
            res.append(piece)
        return [tuple(src)], res

    def forward(self, p, inputs, outputs, ctx):
        x = inputs[0]
        axis = p.axis % x.ndim
        index = [slice(None)] * x.ndim
        ctx.state['shape'] = x.shape
        for (b, e), out in zip(self.bounds(p, x.shape[axis]), outputs):
            index[axis] = slice(b, e)
            piece = x[tuple(index)]
            out[...] = piece.reshape(out.shape)

    def backward(self, p, ograds, inputs, outputs, ctx):
        shape = ctx.state['shape']
        axis = p.axis % len(shape)
        pieces = []
        known = next(g for g in ograds if g is not None)
        for (b, e), g in zip(self.bounds(p, shape[axis]), ograds):
            piece_shape = shape[:axis] + (e - b,) + shape[axis + 1:]
            pieces.append(np.zeros(piece_shape, known.dtype) if g is None
                          else g.reshape(piece_shape))
        return [np.concatenate(pieces, axis=axis)]


@register
class SliceChannel(_SplitBase):
    """Split an array into `num_outputs` equal pieces along `axis`.

    With ``squeeze_axis=True`` (pieces of size 1 only) the split axis is dropped.

    Examples
    --------
    >>> import mxlite as mx
    >>> [o.shape for o in mx.nd.split(mx.nd.zeros((2, 6)), num_outputs=3, axis=1)]
    [(2, 2), (2, 2), (2, 2)]
    """
    name = 'SliceChannel'
    aliases = ('split',)
    params = {'num_outputs': Int(), 'axis': Int(1), 'squeeze_axis': Bool(False)}

    def num_outputs(self, p):
        return p.num_outputs

    def bounds(self, p, size):
        shape_check(p.num_outputs > 0, 'num_outputs=%d must be positive', p.num_outputs)
        shape_check(size % p.num_outputs == 0, "input 'data' has size %d along axis %d, which "
                    "num_outputs=%d does not divide", size, p.axis, p.num_outputs)
        step = size // p.num_outputs
        return [(i * step, (i + 1) * step) for i in range(p.num_outputs)]


@register
class SplitV2(_SplitBase):
    """Split along `axis` at `indices` (starting with 0), or into `sections` equal pieces.

    This is the record behind ``split_v2``; ``indices=(0, 2, 5)`` makes the pieces
    ``[0:2], [2:5], [5:]``.
    """
    name = '_split_v2'
    params = {'indices': Shape(), 'axis': Int(0), 'squeeze_axis': Bool(False),
              'sections': Int(0)}

    def num_outputs(self, p):
        return p.sections if p.sections > 0 else len(p.indices)

    def bounds(self, p, size):
        if p.sections > 0:
            shape_check(size % p.sections == 0, "input 'data' has size %d along axis %d, which "
                        "sections=%d does not divide", size, p.axis, p.sections)
            step = size // p.sections
            return [(i * step, (i + 1) * step) for i in range(p.sections)]
        starts = list(p.indices)
        ends = starts[1:] + [size]
        for b, e in zip(starts, ends):
            shape_check(0 <= b <= e <= size, 'indices=%s are not increasing within the size %d '
                        'of axis %d', tuple(p.indices), size, p.axis)
        return list(zip(starts, ends))
