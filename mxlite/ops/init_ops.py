"""Creation ops with no inputs: _zeros, _ones, _full, _arange, _linspace, _eye.

These are what `mx.sym.zeros(...)`, `mx.sym.arange(...)` (and MXNet's `mx.nd._internal`)
build; the output's shape and dtype come from the params alone.
"""
import math

import numpy as np

from .registry import Bool, DType, Float, FloatOrNone, Int, Operator, Shape, Str, register, \
    shape_check


class _Init(Operator):
    """No inputs; one output whose shape and dtype come from params."""
    backward_uses_inputs = False
    backward_uses_outputs = False

    def list_arguments(self, p):
        return []

    def out_shape(self, p):
        return tuple(p.shape)

    # a 0 in `shape` means "unknown dimension" (MXNet's legacy convention, used by the
    # begin states of mx.rnn cells): the output shape is then left to the graph pass,
    # which takes it from the consumer; the kernel fills whatever buffer it is given
    zero_means_unknown = False

    def infer_shape(self, p, in_shapes, out_shapes=None):
        shape = self.out_shape(p)
        if self.zero_means_unknown and any(d == 0 for d in shape):
            known = out_shapes[0] if out_shapes else None
            if known is not None:
                shape_check(len(known) == len(shape) and all(
                    d in (0, k) for d, k in zip(shape, known)), 'shape=%s (0 = unknown) does '
                    'not fit the shape %s its consumer needs', shape, tuple(known))
            return [], [known]
        shape_check(all(d is not None and d >= 0 for d in shape), 'shape=%s must have '
                    'non-negative sizes', shape)
        return [], [shape]

    def infer_type(self, p, in_types):
        return [], [np.dtype(p.dtype)]

    def backward(self, p, ograds, inputs, outputs, ctx):
        return []


_CREATE = {'shape': Shape(()), 'ctx': Str(''), 'dtype': DType('float32')}


@register
class Zeros(_Init):
    """An array of zeros of `shape` and `dtype` (``mx.sym.zeros`` builds this).

    Examples
    --------
    >>> import mxlite as mx
    >>> mx.nd._internal._zeros(shape=(2,)).asnumpy().tolist()
    [0.0, 0.0]
    """
    name = '_zeros'
    params = dict(_CREATE)
    zero_means_unknown = True

    def forward(self, p, inputs, outputs, ctx):
        outputs[0].fill(0)


@register
class Ones(_Init):
    """An array of ones of `shape` and `dtype` (``mx.sym.ones`` builds this).

    Examples
    --------
    >>> import mxlite as mx
    >>> mx.nd._internal._ones(shape=(2,), dtype='int32').asnumpy().tolist()
    [1, 1]
    """
    name = '_ones'
    params = dict(_CREATE)
    zero_means_unknown = True

    def forward(self, p, inputs, outputs, ctx):
        outputs[0].fill(1)


@register
class Full(_Init):
    """An array of `shape` and `dtype` filled with `value` (``mx.sym.full`` builds this).

    Examples
    --------
    >>> import mxlite as mx
    >>> mx.nd._internal._full(shape=(2,), value=3.5).asnumpy().tolist()
    [3.5, 3.5]
    """
    name = '_full'
    params = dict(_CREATE, value=Float())
    zero_means_unknown = True

    def forward(self, p, inputs, outputs, ctx):
        outputs[0].fill(p.value)


@register
class Arange(_Init):
    """Evenly spaced values ``start, start+step, ...`` below `stop`, each `repeat` times.

    With `stop` None the range is ``[0, start)``. Values are computed in the output dtype as
    ``start + i * step``, as MXNet does.

    Examples
    --------
    >>> import mxlite as mx
    >>> mx.nd._internal._arange(start=1, stop=4, repeat=2).asnumpy().tolist()
    [1.0, 1.0, 2.0, 2.0, 3.0, 3.0]
    """
    name = '_arange'
    params = {'start': Float(), 'stop': FloatOrNone(None), 'step': Float(1.0),
              'repeat': Int(1), 'infer_range': Bool(False), 'ctx': Str(''),
              'dtype': DType('float32')}

    @staticmethod
    def _range(p):
        start, stop = (0.0, p.start) if p.stop is None else (p.start, p.stop)
        return start, stop

    def out_shape(self, p):
        shape_check(p.step != 0, 'step=0 is not allowed')
        shape_check(p.repeat > 0, 'repeat=%d must be positive', p.repeat)
        shape_check(not p.infer_range or p.stop is not None, 'infer_range=True (taking stop '
                    'from the output shape) is not supported; give stop')
        start, stop = self._range(p)
        n = int(math.ceil((stop - start) / p.step))
        shape_check(n > 0, 'start=%s, stop=%s, step=%s give an empty range', p.start, p.stop,
                    p.step)
        return (n * p.repeat,)

    def forward(self, p, inputs, outputs, ctx):
        start, _ = self._range(p)
        out = outputs[0]
        dt = out.dtype.type
        n = out.shape[0] // p.repeat
        values = np.arange(n, dtype=out.dtype) * dt(p.step) + dt(start)
        out[...] = np.repeat(values, p.repeat) if p.repeat > 1 else values


@register
class Linspace(_Init):
    """`num` evenly spaced values from `start` to `stop` (inclusive when `endpoint`).

    Examples
    --------
    >>> import mxlite as mx
    >>> mx.nd._internal._linspace(start=0, stop=1, num=3).asnumpy().tolist()
    [0.0, 0.5, 1.0]
    """
    name = '_linspace'
    params = {'start': Float(), 'stop': Float(), 'num': Int(), 'endpoint': Bool(True),
              'ctx': Str(''), 'dtype': DType('float32')}

    def out_shape(self, p):
        shape_check(p.num > 0, 'num=%d must be positive', p.num)
        return (p.num,)

    def forward(self, p, inputs, outputs, ctx):
        outputs[0][...] = np.linspace(p.start, p.stop, p.num, endpoint=p.endpoint)


@register
class Eye(_Init):
    """An `N` x `M` matrix (M=0 means N) with ones on diagonal `k`, zeros elsewhere.

    Examples
    --------
    >>> import mxlite as mx
    >>> mx.nd._internal._eye(N=2, M=3, k=1).asnumpy().tolist()
    [[0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]
    """
    name = '_eye'
    params = {'N': Int(), 'M': Int(0), 'k': Int(0), 'ctx': Str(''), 'dtype': DType('float32')}

    def out_shape(self, p):
        shape_check(p.N > 0 and p.M >= 0, 'N=%d must be positive and M=%d non-negative',
                    p.N, p.M)
        return (p.N, p.M or p.N)

    def forward(self, p, inputs, outputs, ctx):
        out = outputs[0]
        out[...] = np.eye(out.shape[0], out.shape[1], p.k, dtype=out.dtype)
