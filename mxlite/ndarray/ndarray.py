"""NDArray: a mutable array on a context, wrapping a NumPy (or CuPy) array without copies.

Views share memory as in MXNet: ``x[1:3]``, ``x[2]`` and ``x.reshape(...)`` write through
to ``x``. Arithmetic broadcasts (unlike symbols, where ``a + b`` needs equal shapes).
"""
import numpy as np

from ..base import MXNetError, np_dtype, numeric_types
from ..context import Context, current_context

__all__ = ['NDArray', 'array', 'empty', 'zeros', 'ones', 'full', 'arange', 'waitall',
           'from_numpy', 'as_nd', 'concatenate', 'moveaxis', 'onehot_encode']

_DEFAULT_DTYPE = np.float32


class NDArray:
    """A fixed-size multi-dimensional array on a device.

    Examples
    --------
    >>> import mxlite as mx
    >>> x = mx.nd.array([[1, 2], [3, 4]])
    >>> (x * 2).asnumpy()
    array([[2., 4.],
           [6., 8.]], dtype=float32)
    """
    __slots__ = ('_data', '_ctx', '_grad', '_grad_req', '_ag_entry', '_fresh', '__weakref__')
    # numpy defers binary operators to us when an NDArray is on the right
    __array_priority__ = 1000.0

    def __init__(self, data, ctx=None):
        self._data = data
        self._ctx = ctx if ctx is not None else current_context()
        self._grad = None
        self._grad_req = 'null'
        self._ag_entry = None

    # ------------------------------------------------------------------ properties
    @property
    def _fresh_grad(self):
        """Whether a backward pass wrote this variable's gradient since the flag was last
        cleared (MXNet's flag; Gluon-style trainers read and reset it)."""
        return getattr(self, '_fresh', False)

    @_fresh_grad.setter
    def _fresh_grad(self, value):
        self._fresh = bool(value)

    @property
    def shape(self):
        return self._data.shape

    @property
    def dtype(self):
        return self._data.dtype.type

    @property
    def context(self):
        return self._ctx

    ctx = context

    @property
    def size(self):
        return int(self._data.size)

    @property
    def ndim(self):
        return self._data.ndim

    @property
    def stype(self):
        return 'default'

    @property
    def handle(self):
        return self._data

    @property
    def T(self):
        if self.ndim > 2:
            raise MXNetError('Only 2D or lower dimensional NDArray supports transpose (.T)')
        return self.transpose()

    @property
    def grad(self):
        return self._grad

    @property
    def writable(self):
        return self._data.flags.writeable

    # ------------------------------------------------------------------ conversion
    def asnumpy(self):
        """A NumPy copy of the data."""
        data = self._data
        if not isinstance(data, np.ndarray):
            return data.get()
        return np.array(data, copy=True)

    def asscalar(self):
        if self.size != 1:
            raise ValueError('The current array is not a scalar (shape %s)' % (self.shape,))
        return self.asnumpy().reshape(-1)[0]

    def item(self):
        return self.asscalar().item()

    def tolist(self):
        """The values as (nested) Python lists."""
        return self.asnumpy().tolist()

    def slice_assign(self, rhs, begin, end, step):
        """self[begin:end:step] = rhs (per axis; None keeps an axis whole), in place."""
        from .register import invoke
        return invoke('_slice_assign', [self, rhs],
                      {'begin': begin, 'end': end, 'step': step}, out=self)

    def slice_assign_scalar(self, value, begin, end, step):
        """self[begin:end:step] = value, in place."""
        from .register import invoke
        return invoke('_slice_assign_scalar', [self],
                      {'scalar': value, 'begin': begin, 'end': end, 'step': step}, out=self)

    def astype(self, dtype, copy=True):
        dtype = np_dtype(dtype)
        if not copy and self._data.dtype == dtype:
            return self
        if _recording():  # keep the gradient path
            return _invoke('Cast', [self], {'dtype': dtype.name})
        return NDArray(self._data.astype(dtype), self._ctx)

    def copy(self):
        if _recording():
            return _invoke('_copy', [self], {})
        return NDArray(self._data.copy(), self._ctx)

    def copyto(self, other):
        """Copy into an NDArray (shapes must match) or onto a new array on a Context."""
        if isinstance(other, Context):
            if _recording() and other == self._ctx:
                return _invoke('_copy', [self], {})
            return NDArray(_to_context(self._data, other, copy=True), other)
        if isinstance(other, NDArray):
            if other is self:
                return other
            if other.shape != self.shape:
                raise MXNetError('copyto: shape mismatch, source %s vs target %s'
                                 % (self.shape, other.shape))
            other._data[...] = _to_context(self._data, other._ctx, copy=False)
            return other
        raise TypeError('copyto does not support type %s' % type(other))

    def as_in_context(self, context):
        if context == self._ctx:
            return self
        return self.copyto(context)

    def as_nd_ndarray(self):
        return self

    def as_np_ndarray(self):
        return self

    def tostype(self, stype):
        if stype == 'default':
            return self
        from . import sparse
        return sparse.cast_storage(self, stype)

    def wait_to_read(self):
        """Computation is synchronous here, so the data is always ready."""

    def wait_to_write(self):
        pass

    def __array__(self, dtype=None, copy=None):
        data = self._data if isinstance(self._data, np.ndarray) else self._data.get()
        return data if dtype is None else data.astype(dtype)

    def __dlpack__(self, stream=None):
        return self._data.__dlpack__()

    def __dlpack_device__(self):
        return self._data.__dlpack_device__()

    def to_dlpack_for_read(self):
        """A DLPack capsule sharing this array's memory (writable where NumPy allows)."""
        try:  # a versioned capsule carries the writable flag (NumPy >= 2)
            return self._data.__dlpack__(max_version=(1, 0))
        except TypeError:
            return self._data.__dlpack__()

    to_dlpack_for_write = to_dlpack_for_read

    # ------------------------------------------------------------------ printing
    def __repr__(self):
        shape = 'x'.join(str(n) for n in self.shape)
        return '\n%s\n<%s %s @%s>' % (str(self.asnumpy()), type(self).__name__, shape, self._ctx)

    __str__ = __repr__

    # ------------------------------------------------------------------ pickling
    def __getstate__(self):
        return {'data': self.asnumpy(), 'ctx': (self._ctx.device_type, self._ctx.device_id)}

    def __setstate__(self, state):
        ctx = Context(*state['ctx'])
        self._ctx = ctx
        self._data = _to_context(state['data'], ctx, copy=False)
        self._grad = None
        self._grad_req = 'null'
        self._ag_entry = None

    # ------------------------------------------------------------------ reshape
    def reshape(self, *shape, **kwargs):
        """A view with a new shape; understands MXNet's 0, -1, -2, -3, -4 codes."""
        reverse = kwargs.pop('reverse', False)
        if 'shape' in kwargs:
            shape = kwargs.pop('shape')
        elif len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = shape[0]
        if kwargs:
            raise TypeError('reshape got unexpected keyword arguments %s' % sorted(kwargs))
        from ..ops.shape_codes import resolve_reshape
        target = resolve_reshape(self.shape, tuple(shape), reverse)
        if _recording():
            return _invoke('Reshape', [self], {'shape': target})
        return NDArray(self._data.reshape(target), self._ctx)

    def reshape_like(self, other):
        return self.reshape(other.shape)

    # ------------------------------------------------------------------ indexing
    def __getitem__(self, key):
        from . import indexing
        return indexing.getitem(self, key)

    def __setitem__(self, key, value):
        from . import indexing
        indexing.setitem(self, key, value)

    def __len__(self):
        if self.ndim == 0:
            raise TypeError('len() of a 0-d NDArray')
        return self.shape[0]

    def __iter__(self):
        for i in range(self.shape[0] if self.ndim else 0):
            yield self[i]

    def __bool__(self):
        if self.size == 1:
            return bool(self.asnumpy().reshape(-1)[0])
        if self.size == 0:
            return False
        raise ValueError('The truth value of an NDArray with multiple elements is ambiguous.')

    def __hash__(self):
        return id(self)

    # ------------------------------------------------------------------ autograd
    def attach_grad(self, grad_req='write', stype=None):
        """Allocate a gradient buffer so autograd computes d(head)/d(self) into `.grad`."""
        from .. import autograd
        grad = NDArray(self._ctx.xp.zeros_like(self._data), self._ctx)
        autograd.mark_variables([self], [grad], grad_req)

    def detach(self):
        return NDArray(self._data, self._ctx)

    def backward(self, out_grad=None, retain_graph=False, train_mode=True):
        from .. import autograd
        autograd.backward([self], None if out_grad is None else [out_grad],
                          retain_graph=retain_graph, train_mode=train_mode)

    # ------------------------------------------------------------------ arithmetic
    def _binary(self, other, op, scalar_op, reverse_scalar_op=None, reverse=False):
        if isinstance(other, NDArray):
            args = [other, self] if reverse else [self, other]
            return _invoke(op, args, {})
        if isinstance(other, numeric_types) or (isinstance(other, np.ndarray) and other.ndim == 0):
            name = reverse_scalar_op if reverse else scalar_op
            return _invoke(name, [self], {'scalar': float(other)})
        if isinstance(other, (np.ndarray, list, tuple)):
            other = array(other, ctx=self._ctx, dtype=self.dtype)
            return self._binary(other, op, scalar_op, reverse_scalar_op, reverse)
        return NotImplemented

    def __add__(self, o):
        return self._binary(o, 'broadcast_add', '_plus_scalar', '_plus_scalar')

    def __radd__(self, o):
        return self._binary(o, 'broadcast_add', '_plus_scalar', '_plus_scalar', True)

    def __sub__(self, o):
        return self._binary(o, 'broadcast_sub', '_minus_scalar')

    def __rsub__(self, o):
        return self._binary(o, 'broadcast_sub', '_minus_scalar', '_rminus_scalar', True)

    def __mul__(self, o):
        return self._binary(o, 'broadcast_mul', '_mul_scalar', '_mul_scalar')

    def __rmul__(self, o):
        return self._binary(o, 'broadcast_mul', '_mul_scalar', '_mul_scalar', True)

    def __truediv__(self, o):
        return self._binary(o, 'broadcast_div', '_div_scalar')

    def __rtruediv__(self, o):
        return self._binary(o, 'broadcast_div', '_div_scalar', '_rdiv_scalar', True)

    __div__ = __truediv__
    __rdiv__ = __rtruediv__

    def __mod__(self, o):
        return self._binary(o, 'broadcast_mod', '_mod_scalar')

    def __rmod__(self, o):
        return self._binary(o, 'broadcast_mod', '_mod_scalar', '_rmod_scalar', True)

    def __pow__(self, o):
        return self._binary(o, 'broadcast_power', '_power_scalar')

    def __rpow__(self, o):
        return self._binary(o, 'broadcast_power', '_power_scalar', '_rpower_scalar', True)

    def __neg__(self):
        return _invoke('negative', [self], {})

    def __pos__(self):
        return self

    def __abs__(self):
        return _invoke('abs', [self], {})

    def __eq__(self, o):
        return self._binary(o, 'broadcast_equal', '_equal_scalar', '_equal_scalar', True)

    def __ne__(self, o):
        return self._binary(o, 'broadcast_not_equal', '_not_equal_scalar',
                            '_not_equal_scalar', True)

    def __gt__(self, o):
        return self._binary(o, 'broadcast_greater', '_greater_scalar')

    def __ge__(self, o):
        return self._binary(o, 'broadcast_greater_equal', '_greater_equal_scalar')

    def __lt__(self, o):
        return self._binary(o, 'broadcast_lesser', '_lesser_scalar')

    def __le__(self, o):
        return self._binary(o, 'broadcast_lesser_equal', '_lesser_equal_scalar')

    def _inplace(self, o, op, scalar_op):
        if not self.writable:
            raise MXNetError('trying to modify a read-only NDArray')
        if _recording():
            from .. import autograd_tape
            autograd_tape.check_inplace(self)
            result = self._binary(o, op, scalar_op)
            if result is NotImplemented:
                return result
            self._data[...] = result._data
            self._ag_entry = result._ag_entry
            return self
        xp_fn = _INPLACE_FN[op]
        other = o._data if isinstance(o, NDArray) else o
        xp_fn(self._data, other, out=self._data, casting='unsafe')
        return self

    def __iadd__(self, o):
        return self._inplace(o, 'broadcast_add', '_plus_scalar')

    def __isub__(self, o):
        return self._inplace(o, 'broadcast_sub', '_minus_scalar')

    def __imul__(self, o):
        return self._inplace(o, 'broadcast_mul', '_mul_scalar')

    def __itruediv__(self, o):
        return self._inplace(o, 'broadcast_div', '_div_scalar')

    __idiv__ = __itruediv__

    def __imod__(self, o):
        return self._inplace(o, 'broadcast_mod', '_mod_scalar')


_INPLACE_FN = {'broadcast_add': np.add, 'broadcast_sub': np.subtract,
               'broadcast_mul': np.multiply, 'broadcast_div': np.true_divide,
               'broadcast_mod': np.fmod}


def _recording():
    from .. import autograd
    return autograd.is_recording()


def _invoke(op_name, inputs, attrs, out=None):
    from .register import invoke
    return invoke(op_name, inputs, attrs, out=out)


def _to_context(data, ctx, copy):
    """Move a backend array to ctx's array module."""
    xp = ctx.xp
    if xp is np:
        if not isinstance(data, np.ndarray) and hasattr(data, 'get'):
            return data.get()
        return np.array(data, copy=True) if copy else np.asarray(data)
    return xp.array(data, copy=True) if copy else xp.asarray(data)


# ---------------------------------------------------------------------- creation
def _ctx(ctx):
    return current_context() if ctx is None else Context(ctx)


def array(source_array, ctx=None, dtype=None):
    """An NDArray from any array-like. NumPy/list data become float32 unless `dtype` says.

    Examples
    --------
    >>> import mxlite as mx
    >>> mx.nd.array([1, 2, 3]).dtype
    <class 'numpy.float32'>
    """
    ctx = _ctx(ctx)
    if isinstance(source_array, NDArray):
        dtype = source_array.dtype if dtype is None else dtype
        data = source_array._data
    else:
        data = source_array
    dtype = _DEFAULT_DTYPE if dtype is None else np_dtype(dtype)
    if not isinstance(data, np.ndarray) and hasattr(data, '__cuda_array_interface__'):
        data = data.get()
    try:
        host = np.array(data, dtype=dtype, copy=True)
    except (TypeError, ValueError) as exc:
        raise MXNetError('mx.nd.array: cannot convert %s to an array of %s: %s'
                         % (type(source_array).__name__, np.dtype(dtype).name, exc)) from None
    return NDArray(_to_context(host, ctx, copy=False), ctx)


def from_numpy(ndarray, zero_copy=True):
    """Wrap a NumPy array (sharing memory when zero_copy and it is C-contiguous)."""
    if zero_copy and ndarray.flags.c_contiguous:
        return NDArray(ndarray, current_context())
    return NDArray(np.array(ndarray), current_context())


def _shape(shape):
    if isinstance(shape, (int, np.integer)):
        return (int(shape),)
    return tuple(int(s) for s in shape)


def empty(shape, ctx=None, dtype=None, stype=None):
    """An uninitialised NDArray (filled with zeros here, so results are reproducible)."""
    ctx = _ctx(ctx)
    return NDArray(ctx.xp.zeros(_shape(shape), dtype=np_dtype(dtype)), ctx)


def zeros(shape, ctx=None, dtype=None, stype=None, out=None, **kwargs):
    if out is not None:   # MXNet's creation ops take out= like any operator
        out._data[...] = 0
        return out
    ctx = _ctx(ctx)
    arr = NDArray(ctx.xp.zeros(_shape(shape), dtype=np_dtype(dtype)), ctx)
    return arr.tostype(stype) if stype not in (None, 'default') else arr


def ones(shape, ctx=None, dtype=None, out=None, **kwargs):
    if out is not None:
        out._data[...] = 1
        return out
    ctx = _ctx(ctx)
    return NDArray(ctx.xp.ones(_shape(shape), dtype=np_dtype(dtype)), ctx)


def full(shape, val, ctx=None, dtype=None, out=None):
    ctx = _ctx(ctx)
    if out is not None:
        out._data[...] = val
        return out
    return NDArray(ctx.xp.full(_shape(shape), val, dtype=np_dtype(dtype)), ctx)


def arange(start, stop=None, step=1.0, repeat=1, infer_range=None, ctx=None, dtype=None):
    """Evenly spaced values, like numpy.arange, each repeated `repeat` times."""
    ctx = _ctx(ctx)
    dtype = np_dtype(dtype)
    if stop is None:
        start, stop = 0, start
    data = np.arange(start, stop, step, dtype=np.float64).astype(dtype)
    if repeat != 1:
        data = np.repeat(data, repeat)
    return NDArray(_to_context(data, ctx, copy=False), ctx)


def as_nd(value, ctx=None):
    return value if isinstance(value, NDArray) else array(value, ctx=ctx)


def concatenate(arrays, axis=0, always_copy=True):
    if not arrays:
        raise MXNetError('concatenate needs at least one array')
    ctx = arrays[0].context
    return NDArray(ctx.xp.concatenate([a._data for a in arrays], axis=axis), ctx)


def moveaxis(tensor, source, destination):
    return NDArray(np.ascontiguousarray(np.moveaxis(tensor._data, source, destination)),
                   tensor.context)


def onehot_encode(indices, out):
    data = out._data
    data[...] = 0
    data[np.arange(data.shape[0]), indices.asnumpy().astype(np.int64)] = 1
    return out


def waitall():
    """Wait for all pending work (there is none: kernels run synchronously)."""
