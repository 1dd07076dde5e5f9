"""Variable-length sequence ops: SequenceMask, SequenceLast, SequenceReverse.

Data is time-major by default: ``axis=0`` is time and the batch is on axis 1 (``axis=1``
swaps the two). With ``use_sequence_length=True`` a second input ``sequence_length`` of
shape ``(batch,)`` gives each sequence's length; MXNet passes it in the data's dtype, so
the values are truncated to integers as a C cast does. Without it every sequence has the
full length. Lengths outside ``[0, max_len]`` (``[1, max_len]`` for SequenceLast, which
needs a step to pick) raise an error naming the batch index; MXNet does not check them
and reads out of bounds.

Every kernel works on a time-major view (``np.swapaxes`` for ``axis=1``, no copy) and
handles the whole batch at once: a ``(time, batch)`` mask from ``arange(T)[:, None] <
lengths`` or a ``(time, batch)`` table of source steps used as a fancy index. The lengths
never get a gradient.
"""
import numpy as np

from ..backend import array_module
from ..base import MXNetError
from .registry import Bool, Float, Int, Operator, register, shape_check


def _time_major(a, axis):
    """A (time, batch, ...) view of `a`, whose time axis is `axis` (0 or 1)."""
    return a if axis == 0 else a.swapaxes(0, 1)


def _lengths(op, p, inputs, low=0):
    """The int64 sequence lengths of a call, checked to lie in [low, T]; None without them."""
    if not p.use_sequence_length:
        return None
    data, raw = inputs[0], inputs[1]
    steps = data.shape[p.axis]
    xp = array_module(raw)
    if raw.dtype.kind == 'f' and not bool(xp.isfinite(raw).all()):
        b = int(xp.argmin(xp.isfinite(raw)))
        raise MXNetError("%s: input 'sequence_length' holds %s at batch index %d; expected "
                         "lengths in [%d, %d]" % (op.name, float(raw[b]), b, low, steps))
    lens = raw.astype(np.int64)
    if lens.size:
        bad = (lens < low) | (lens > steps)
        if bool(bad.any()):
            b = int(xp.argmax(bad))
            raise MXNetError(
                "%s: input 'sequence_length' holds %d at batch index %d, outside [%d, %d]: "
                "input 'data' of shape %s has %d steps on axis %d%s"
                % (op.name, int(lens[b]), b, low, steps, tuple(data.shape), steps, p.axis,
                   ' and every sequence needs at least one' if low else ''))
    return lens


class _SequenceOp(Operator):
    """What the three ops share: inputs, the axis rule, shape and dtype inference."""
    nograd_inputs = (1,)
    backward_uses_outputs = False
    # the time axes accepted (SequenceReverse: 0 only, as in MXNet 1.9.1)
    axes = (0, 1)
    # the output has the data's shape (SequenceLast drops the time axis)
    keeps_shape = True

    def list_arguments(self, p):
        return ['data', 'sequence_length'] if p.use_sequence_length else ['data']

    def _check_axis(self, p):
        shape_check(p.axis in self.axes, 'axis=%d is not supported: %s supports %s only '
                    '(the time axis; the batch axis is the other of the first two)%s',
                    p.axis, self.name, ' or '.join('axis=%d' % a for a in self.axes),
                    '; swap the first two axes of the data (swapaxes) to put time first'
                    if self.axes == (0,) else '')

    def _out_shape(self, p, data):
        return data

    def infer_shape(self, p, in_shapes, out_shapes=None):
        self._check_axis(p)
        shapes = [None if s is None else tuple(s) for s in in_shapes]
        data = shapes[0]
        if data is None and self.keeps_shape and out_shapes and out_shapes[0] is not None:
            data = shapes[0] = tuple(out_shapes[0])   # inferred backwards from the output
        if data is None:
            return shapes, [None]
        shape_check(len(data) >= 2, "input 'data' has shape %s; %s needs at least 2 "
                    "dimensions (time and batch)", data, self.name)
        if p.use_sequence_length:
            batch = data[1 - p.axis]
            want = (batch,)
            shape_check(shapes[1] is None or shapes[1] == want,
                        "input 'sequence_length' has shape %s but input 'data' of shape %s "
                        "has batch size %d on axis %d; expected sequence_length of shape %s",
                        shapes[1], data, batch, 1 - p.axis, want)
            shapes[1] = want
        return shapes, [self._out_shape(p, data)]

    def infer_type(self, p, in_types):
        # lengths may come in any dtype (an int32 array too); unknown ones take the data's
        dtype = in_types[0]
        if dtype is None:
            return list(in_types), [None]
        return [dtype] + [dtype if t is None else t for t in in_types[1:]], [dtype]


@register
class SequenceMask(_SequenceOp):
    """Sets the steps past each sequence's length to ``value``.

    `data` has shape ``(max_len, batch, ...)`` (``axis=0``) or ``(batch, max_len, ...)``
    (``axis=1``). With ``use_sequence_length=True``, step ``t`` of sequence ``b`` is
    replaced by ``value`` when ``t >= sequence_length[b]``; otherwise the op is the
    identity. The gradient passes through the kept steps and is zero on masked ones.

    Examples
    --------
    >>> x = mx.nd.array([[1, 2], [3, 4], [5, 6]])        # (time=3, batch=2)
    >>> mx.nd.SequenceMask(x, mx.nd.array([1, 3]), use_sequence_length=True,
    ...                    value=-1).asnumpy()
    array([[ 1.,  2.],
           [-1.,  4.],
           [-1.,  6.]], dtype=float32)
    """
    name = 'SequenceMask'
    params = {
        'use_sequence_length': Bool(False, doc='Take a second input, sequence_length, '
                                               'of shape (batch,).'),
        'value': Float(0.0, doc='The value written past each sequence\'s end.'),
        'axis': Int(0, doc='The time axis: 0 (time, batch, ...) or 1 (batch, time, ...).'),
    }

    @staticmethod
    def _kept(lens, steps):
        """(time, batch) bool: which steps lie inside their sequence."""
        xp = array_module(lens)
        return xp.arange(steps)[:, None] < lens[None, :]

    def forward(self, p, inputs, outputs, ctx):
        out = outputs[0]
        out[...] = inputs[0]
        lens = _lengths(self, p, inputs)
        if lens is not None:
            kept = self._kept(lens, inputs[0].shape[p.axis])
            # boolean index over the leading (time, batch) dims fills whole feature rows
            _time_major(out, p.axis)[~kept] = p.value

    def backward(self, p, ograds, inputs, outputs, ctx):
        grad = ograds[0].copy()
        lens = _lengths(self, p, inputs)
        if lens is not None:
            _time_major(grad, p.axis)[~self._kept(lens, grad.shape[p.axis])] = 0
        return [grad] + [None] * (len(inputs) - 1)


@register
class SequenceLast(_SequenceOp):
    """The last step of each sequence: ``data[sequence_length[b] - 1, b, ...]``.

    `data` has shape ``(max_len, batch, ...)`` (``axis=0``) or ``(batch, max_len, ...)``
    (``axis=1``); the output drops the time axis, ``(batch, ...)``. Without
    ``use_sequence_length`` it is the step ``max_len - 1`` of every sequence. Lengths must
    be at least 1. The gradient goes to the picked step only.

    Examples
    --------
    >>> x = mx.nd.array([[1, 2], [3, 4], [5, 6]])        # (time=3, batch=2)
    >>> mx.nd.SequenceLast(x).asnumpy()
    array([5., 6.], dtype=float32)
    >>> mx.nd.SequenceLast(x, mx.nd.array([1, 2]), use_sequence_length=True).asnumpy()
    array([1., 4.], dtype=float32)
    """
    name = 'SequenceLast'
    params = {
        'use_sequence_length': Bool(False, doc='Take a second input, sequence_length, '
                                               'of shape (batch,).'),
        'axis': Int(0, doc='The time axis: 0 (time, batch, ...) or 1 (batch, time, ...).'),
    }

    keeps_shape = False

    def _out_shape(self, p, data):
        return data[:p.axis] + data[p.axis + 1:]

    def _picked(self, p, inputs):
        """(time index per sequence, batch index) for fancy indexing a time-major view."""
        data = inputs[0]
        xp = array_module(data)
        lens = _lengths(self, p, inputs, low=1)
        batch = data.shape[1 - p.axis]
        last = lens - 1 if lens is not None else xp.full(batch, data.shape[p.axis] - 1)
        return last, xp.arange(batch)

    def forward(self, p, inputs, outputs, ctx):
        if not p.use_sequence_length:
            outputs[0][...] = _time_major(inputs[0], p.axis)[-1]
            return
        outputs[0][...] = _time_major(inputs[0], p.axis)[self._picked(p, inputs)]

    def backward(self, p, ograds, inputs, outputs, ctx):
        data = inputs[0]
        grad = ctx.xp.zeros(data.shape, dtype=ograds[0].dtype)
        # each (step, b) pair is picked once, so plain assignment scatters without sums
        _time_major(grad, p.axis)[self._picked(p, inputs)] = ograds[0]
        return [grad] + [None] * (len(inputs) - 1)


@register
class SequenceReverse(_SequenceOp):
    """Reverses the first ``sequence_length[b]`` steps of each sequence.

    `data` has shape ``(max_len, batch, ...)``; steps past a sequence's length (padding)
    stay where they are. Without ``use_sequence_length`` the whole time axis is reversed.
    Only ``axis=0`` is supported (as in MXNet 1.9.1); any other axis is an error at shape
    inference. The gradient is reversed the same way.

    Examples
    --------
    >>> x = mx.nd.array([[1, 2], [3, 4], [5, 6]])        # (time=3, batch=2)
    >>> mx.nd.SequenceReverse(x, mx.nd.array([2, 3]), use_sequence_length=True).asnumpy()
    array([[3., 6.],
           [1., 4.],
           [5., 2.]], dtype=float32)
    """
    name = 'SequenceReverse'
    params = {
        'use_sequence_length': Bool(False, doc='Take a second input, sequence_length, '
                                               'of shape (batch,).'),
        'axis': Int(0, doc='The time axis; only 0 (time, batch, ...) is supported.'),
    }
    axes = (0,)

    def _reverse(self, p, x, inputs, out):
        """out = x with each sequence's prefix reversed (its own inverse: used both ways)."""
        lens = _lengths(self, p, inputs)
        if lens is None:
            out[...] = x[::-1]
            return out
        xp = array_module(x)
        t = xp.arange(x.shape[0])[:, None]
        # source step of output step t: mirrored inside the sequence, itself in the padding
        src = xp.where(t < lens[None, :], lens[None, :] - 1 - t, t)
        out[...] = x[src, xp.arange(x.shape[1])[None, :]]
        return out

    def forward(self, p, inputs, outputs, ctx):
        self._reverse(p, inputs[0], inputs, outputs[0])

    def backward(self, p, ograds, inputs, outputs, ctx):
        g = ograds[0]
        grad = self._reverse(p, g, inputs, ctx.xp.empty(g.shape, dtype=g.dtype))
        return [grad] + [None] * (len(inputs) - 1)
