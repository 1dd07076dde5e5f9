"""Internal operators that Gluon-exported graphs (``HybridBlock.export``) contain.

``_rnn_param_concat`` (the flat parameter vector of a fused RNN layer),
``_zeros_without_dtype`` (begin states whose dtype comes from the consumer), the identity
family (``_identity_with_attr_like_rhs``, ``_CrossDeviceCopy``, ``_copyto``), the
placeholders ``_NoGradient`` and ``_set_value``, the assignment ops behind NDArray
``__setitem__`` (``_slice_assign``, ``_slice_assign_scalar``, ``_scatter_set_nd``; the
``_crop_assign*`` names are MXNet's aliases), ``_grad_add`` and ``_sample_unique_zipfian``.

MXNet 1.9.1 registers no gradient for the assignment ops or ``_grad_add``; mxlite gives
them the obvious ones (the replaced region gets no gradient from ``lhs``) so graphs that
contain them can still be trained.
"""
import numpy as np

from ._util import known as _known
from .concat import Concat
from .gather import GatherND
from .init_ops import _Init
from .registry import Float, Int, Operator, Shape, Str, register, shape_check
from .slicing import Slice, _region_shape

# MXNet's dtype flags (mshadow type enum) as written in `dtype` int attributes
_TYPE_FLAGS = {0: 'float32', 1: 'float64', 2: 'float16', 3: 'uint8', 4: 'int32', 5: 'int8',
               6: 'int64', 7: 'bool'}


@register
class RNNParamConcat(Concat):
    """Concat for the flat parameter vector of a fused RNN layer (``gluon.rnn.LSTM``).

    Forward and gradient are Concat's. Shape inference also works backwards: when the
    output size along `dim` is known (the RNN op derives it from its data), inputs whose
    size is unknown share the remainder equally (a deferred ``i2h_weight`` gets its size).

    Examples
    --------
    >>> import mxlite as mx
    >>> a, b = mx.sym.var('a'), mx.sym.var('b')
    >>> s = mx.sym._internal._rnn_param_concat(a, b, num_args=2, dim=0)
    >>> s.infer_shape(a=(4,), b=(3,))[1]
    [(7,)]
    """
    name = '_rnn_param_concat'
    aliases = ()
    params = {'num_args': Int(), 'dim': Int(1)}
    hidden = True

    def infer_shape(self, p, in_shapes, out_shapes=None):
        self._check_num_args(p, in_shapes)
        out = out_shapes[0] if out_shapes else None
        unknown = [i for i, s in enumerate(in_shapes) if s is None]
        if out is not None and unknown and len(unknown) < len(in_shapes):
            first = tuple(next(s for s in in_shapes if s is not None))
            axis = p.dim % len(first)
            rest = sum(int(s[axis]) for s in in_shapes if s is not None)
            residual = out[axis] - rest
            shape_check(residual > 0 and residual % len(unknown) == 0,
                        'the known inputs have %d of the %d entries the output of shape %s '
                        'has along dim=%d; the remaining %d cannot be shared by %d unknown '
                        'input(s)', rest, out[axis], tuple(out), p.dim, residual, len(unknown))
            size = residual // len(unknown)
            in_shapes = [tuple(size if k == axis else d for k, d in enumerate(first))
                         if s is None else s for s in in_shapes]
        return super().infer_shape(p, in_shapes, out_shapes)


@register
class ZerosWithoutDtype(_Init):
    """Zeros of `shape` whose dtype (`dtype`, an MXNet type flag) may be left to the graph.

    ``dtype=-1`` (the default) leaves the type to the consumer (an RNN's begin state gets
    the data's dtype); nothing decides it, the buffer is float32. A 0 in `shape` is an
    unknown dimension, also taken from the consumer.

    Examples
    --------
    >>> import mxlite as mx
    >>> mx.nd._internal._zeros_without_dtype(shape=(2,), dtype=0).asnumpy().tolist()
    [0.0, 0.0]
    """
    name = '_zeros_without_dtype'
    params = {'shape': Shape(()), 'ctx': Str(''), 'dtype': Int(-1)}
    zero_means_unknown = True
    hidden = True

    def infer_type(self, p, in_types):
        if p.dtype == -1:
            return [], [None]
        shape_check(p.dtype in _TYPE_FLAGS, 'dtype=%d is not a known type flag (expected -1 '
                    'or one of %s)', p.dtype, sorted(_TYPE_FLAGS))
        return [], [np.dtype(_TYPE_FLAGS[p.dtype])]

    def forward(self, p, inputs, outputs, ctx):
        outputs[0].fill(0)


class _Identity(Operator):
    """One output equal to input 0 (its shape and dtype); the gradient passes through."""
    hidden = True
    backward_uses_inputs = False
    backward_uses_outputs = False

    def forward(self, p, inputs, outputs, ctx):
        np.copyto(outputs[0], inputs[0])

    def backward(self, p, ograds, inputs, outputs, ctx):
        return [ograds[0]] + [np.zeros_like(x) for x in inputs[1:]]


@register
class IdentityWithAttrLikeRhs(_Identity):
    """`lhs` unchanged, with the shape and dtype of `rhs` (which gets no gradient).

    Examples
    --------
    >>> import mxlite as mx
    >>> f = mx.nd._internal._identity_with_attr_like_rhs
    >>> f(mx.nd.ones((2,)), mx.nd.zeros((2,))).asnumpy().tolist()
    [1.0, 1.0]
    """
    name = '_identity_with_attr_like_rhs'
    nograd_inputs = (1,)
    inplace = ((0, 0),)

    def list_arguments(self, p):
        return ['lhs', 'rhs']


@register
class CrossDeviceCopy(_Identity):
    """Copy `data` (MXNet inserts it between devices; here a plain copy).

    Examples
    --------
    >>> import mxlite as mx
    >>> mx.nd._internal._CrossDeviceCopy(mx.nd.ones((2,))).asnumpy().tolist()
    [1.0, 1.0]
    """
    name = '_CrossDeviceCopy'


@register
class CopyTo(_Identity):
    """Copy `data` into a new array.

    Examples
    --------
    >>> import mxlite as mx
    >>> mx.nd._internal._copyto(mx.nd.array([1, 2])).asnumpy().tolist()
    [1.0, 2.0]
    """
    name = '_copyto'


class _Filled(Operator):
    """No inputs; one output whose shape (and dtype) the consumer decides."""
    hidden = True
    backward_uses_inputs = False
    backward_uses_outputs = False

    def list_arguments(self, p):
        return []

    def infer_shape(self, p, in_shapes, out_shapes=None):
        return [], [out_shapes[0] if out_shapes else None]

    def infer_type(self, p, in_types):
        return [], [None]

    def backward(self, p, ograds, inputs, outputs, ctx):
        return []


@register
class NoGradient(_Filled):
    """A zeros placeholder standing for "no gradient flows here"; its shape comes from
    its consumer.

    Examples
    --------
    >>> import mxlite as mx
    >>> mx.sym._internal._NoGradient().list_arguments()
    []
    """
    name = '_NoGradient'

    def forward(self, p, inputs, outputs, ctx):
        outputs[0].fill(0)


@register
class SetValue(_Filled):
    """An array filled with the scalar `src`; its shape comes from its consumer.

    Examples
    --------
    >>> import mxlite as mx
    >>> mx.sym._internal._set_value(src=3.0, name='v').list_outputs()
    ['v_output']
    """
    name = '_set_value'
    params = {'src': Float()}

    def forward(self, p, inputs, outputs, ctx):
        outputs[0].fill(p.src)


@register
class GradAdd(Operator):
    """``lhs + rhs`` of equal shapes (what MXNet uses to sum gradients); both get the
    head gradient.

    Examples
    --------
    >>> import mxlite as mx
    >>> mx.nd._internal._grad_add(mx.nd.ones((2,)), mx.nd.ones((2,))).asnumpy().tolist()
    [2.0, 2.0]
    """
    name = '_grad_add'
    hidden = True
    inplace = ((0, 0), (1, 0))
    backward_uses_inputs = False
    backward_uses_outputs = False

    def list_arguments(self, p):
        return ['lhs', 'rhs']

    def forward(self, p, inputs, outputs, ctx):
        np.add(inputs[0], inputs[1], out=outputs[0])

    def backward(self, p, ograds, inputs, outputs, ctx):
        return [ograds[0], ograds[0]]


_SLICE = {'begin': Shape(), 'end': Shape(), 'step': Shape(())}


def _index(p, shape):
    """The region begin:end:step as Python slices (slice's own rule and checks)."""
    return Slice.index(None, p, shape)


@register
class SliceAssign(Operator):
    """`lhs` with the region ``begin:end:step`` replaced by `rhs` (the region's shape).

    Examples
    --------
    >>> import mxlite as mx
    >>> mx.nd._internal._slice_assign(mx.nd.zeros((2, 3)), mx.nd.ones((2, 1)),
    ...                               begin=(0, 1), end=(2, 2)).asnumpy().tolist()
    [[0.0, 1.0, 0.0], [0.0, 1.0, 0.0]]
    """
    name = '_slice_assign'
    aliases = ('_crop_assign',)
    params = dict(_SLICE)
    hidden = True
    inplace = ((0, 0),)
    backward_uses_inputs = False
    backward_uses_outputs = False

    def list_arguments(self, p):
        return ['lhs', 'rhs']

    def infer_shape(self, p, in_shapes, out_shapes=None):
        lhs, rhs = in_shapes
        if lhs is None and out_shapes:
            lhs = out_shapes[0]
        if not _known(lhs):
            return in_shapes, [None]
        lhs = tuple(lhs)
        region = _region_shape(lhs, _index(p, lhs))
        shape_check(rhs is None or tuple(rhs) == region, "input 'rhs' has shape %s but the "
                    "region begin=%s end=%s step=%s of 'lhs' (shape %s) has shape %s", rhs,
                    p.begin, p.end, p.step, lhs, region)
        return [lhs, region], [lhs]

    def forward(self, p, inputs, outputs, ctx):
        lhs, rhs = inputs
        out = outputs[0]
        if out is not lhs:
            np.copyto(out, lhs)
        out[_index(p, lhs.shape)] = rhs

    def backward(self, p, ograds, inputs, outputs, ctx):
        g = ograds[0]
        index = _index(p, g.shape)
        glhs = g.copy()
        glhs[index] = 0
        return [glhs, g[index].copy()]


@register
class SliceAssignScalar(Operator):
    """`data` with the region ``begin:end:step`` set to `scalar`.

    Examples
    --------
    >>> import mxlite as mx
    >>> mx.nd._internal._slice_assign_scalar(mx.nd.zeros((3,)), scalar=2, begin=(1,),
    ...                                      end=(None,)).asnumpy().tolist()
    [0.0, 2.0, 2.0]
    """
    name = '_slice_assign_scalar'
    aliases = ('_crop_assign_scalar',)
    params = dict(_SLICE, scalar=Float(0.0))
    hidden = True
    inplace = ((0, 0),)
    backward_uses_inputs = False
    backward_uses_outputs = False

    def infer_shape(self, p, in_shapes, out_shapes=None):
        src = in_shapes[0]
        if src is None and out_shapes:
            src = out_shapes[0]
        if not _known(src):
            return in_shapes, [None]
        src = tuple(src)
        _index(p, src)   # raises for bad begin/end/step
        return [src], [src]

    def forward(self, p, inputs, outputs, ctx):
        out = outputs[0]
        if out is not inputs[0]:
            np.copyto(out, inputs[0])
        out[_index(p, out.shape)] = p.scalar

    def backward(self, p, ograds, inputs, outputs, ctx):
        grad = ograds[0].copy()
        grad[_index(p, grad.shape)] = 0
        return [grad]


@register
class ScatterSetND(Operator):
    """`lhs` (of `shape`) with the entries at `indices` set to `rhs` (``gather_nd``'s
    layout: ``rhs.shape == indices.shape[1:] + shape[M:]``).

    Examples
    --------
    >>> import mxlite as mx
    >>> mx.nd._internal._scatter_set_nd(mx.nd.zeros((3,)), mx.nd.array([5, 7]),
    ...                                 mx.nd.array([[0, 2]]), shape=(3,)).asnumpy().tolist()
    [5.0, 0.0, 7.0]
    """
    name = '_scatter_set_nd'
    params = {'shape': Shape()}
    hidden = True
    nograd_inputs = (2,)
    inplace = ((0, 0),)
    backward_uses_outputs = False

    def list_arguments(self, p):
        return ['lhs', 'rhs', 'indices']

    def infer_shape(self, p, in_shapes):
        lhs, rhs, ind = in_shapes
        out = tuple(p.shape)
        shape_check(lhs is None or tuple(lhs) == out, "input 'lhs' has shape %s but "
                    "shape=%s", lhs, out)
        if _known(ind):
            ind = tuple(ind)
            shape_check(len(ind) >= 1 and ind[0] <= len(out), "indices of shape %s index %s "
                        "axes, but shape=%s has %d", ind, ind[0] if ind else 0, out, len(out))
            expect = ind[1:] + out[ind[0]:]
            shape_check(rhs is None or tuple(rhs) == expect, "input 'rhs' has shape %s but "
                        "indices of shape %s with shape=%s need shape %s", rhs, ind, out,
                        expect)
            rhs = expect
        return [out, rhs, ind], [out]

    def infer_type(self, p, in_types):
        dtype = in_types[0] if in_types[0] is not None else in_types[1]
        new = [dtype, dtype, in_types[2] if in_types[2] is not None else dtype]
        return new, [dtype]

    def forward(self, p, inputs, outputs, ctx):
        lhs, rhs, ind = inputs
        out = outputs[0]
        if out is not lhs:
            np.copyto(out, lhs)
        out[GatherND.coords(ind, out.shape)] = rhs.reshape(ind.shape[1:] +
                                                           out.shape[ind.shape[0]:])

    def backward(self, p, ograds, inputs, outputs, ctx):
        _, rhs, ind = inputs
        g = ograds[0]
        coords = GatherND.coords(ind, g.shape)
        glhs = g.copy()
        glhs[coords] = 0
        return [glhs, g[coords].reshape(rhs.shape), None]


@register
class SampleUniqueZipfian(Operator):
    """Draw ``shape[1]`` distinct classes in ``[0, range_max)`` per row of ``shape[0]``,
    from the log-uniform (Zipfian) base distribution
    ``P(k) = log((k + 2) / (k + 1)) / log(range_max + 1)``.

    Outputs: the samples (int64, `shape`) and, per row, how many draws it took to find
    that many distinct classes (int64, ``(shape[0],)``), as sampled softmax needs.

    Examples
    --------
    >>> import mxlite as mx
    >>> s, n = mx.nd._internal._sample_unique_zipfian(range_max=10, shape=(2, 3))
    >>> s.shape, n.shape, s.asnumpy().dtype.name
    ((2, 3), (2,), 'int64')
    """
    name = '_sample_unique_zipfian'
    params = {'range_max': Int(), 'shape': Shape(())}
    hidden = True
    backward_uses_inputs = False
    backward_uses_outputs = False

    def list_arguments(self, p):
        return []

    def list_outputs(self, p):
        return ['output0', 'output1']

    def infer_shape(self, p, in_shapes):
        shape = tuple(p.shape)
        shape_check(len(shape) == 2, 'shape=%s must be 2-D (batch size, samples per row)',
                    shape)
        shape_check(0 < shape[1] <= p.range_max, 'shape=%s asks for %d distinct classes per '
                    'row but range_max=%d', shape, shape[1], p.range_max)
        return [], [shape, (shape[0],)]

    def infer_type(self, p, in_types):
        return [], [np.dtype(np.int64), np.dtype(np.int64)]

    def forward(self, p, inputs, outputs, ctx):
        samples, tries = outputs
        rng = ctx.rng
        rows, k = samples.shape
        log_range = np.log1p(p.range_max)
        for r in range(rows):   # rows are independent; each is vectorised by chunks
            drawn = np.empty(0, np.int64)
            chunk = 2 * k
            while True:
                u = rng.random(chunk)
                new = (np.exp(u * log_range) - 1).astype(np.int64)
                drawn = np.concatenate([drawn, np.minimum(new, p.range_max - 1)])
                vals, first = np.unique(drawn, return_index=True)
                if vals.size >= k:
                    order = np.sort(first)[:k]   # draw positions of the first k distinct
                    samples[r] = drawn[order]
                    tries[r] = order[-1] + 1
                    break
                chunk *= 2

    def backward(self, p, ograds, inputs, outputs, ctx):
        return []
