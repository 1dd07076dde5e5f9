"""Optimizer ``.states`` files: MXNet's pickles, read without running any code.

MXNet's ``Module.save_optimizer_states`` writes ``pickle.dumps(states)`` (or
``pickle.dumps((states, optimizer))`` with ``dump_optimizer=True``), where ``states`` maps
a parameter index to ``None``, an NDArray or a tuple of NDArrays, and every NDArray is
pickled as ``mxnet.ndarray.ndarray.NDArray`` with the state ``{'handle': bytearray(raw
record)}`` -- one record of the binary NDArray format.

`load_states` uses a restricted unpickler: `find_class` admits only plain containers,
MXNet's array classes (read back as mxlite NDArrays), inert placeholders for MXNet
optimizer / lr_scheduler / Context objects and a checked subset of NumPy scalar and array
reconstruction. Anything else -- ``os.system``, ``builtins.eval``, ... -- raises
`MXNetError` naming the class before it could be called. Optimizer objects come back as
`PickledObject` (a dict of their attributes that remembers the MXNet class);
`mxlite.optimizer.Updater.set_states` rebuilds an optimizer from one, setting only the
attributes its class is known to have.

`dump_states` writes the pickle MXNet 1.9.1 writes (protocol 4), byte for byte.
"""
import io
import os
import pickle
import pickletools

import numpy as np

from .base import MXNetError
from .context import Context
from .ndarray.ndarray import NDArray
from .ndarray.serialization import load_raw_bytes, save_raw_bytes

__all__ = ['load_states', 'dump_states', 'PickledObject']

_NDARRAY_CLASSES = {
    ('mxnet.ndarray.ndarray', 'NDArray'), ('mxnet.ndarray', 'NDArray'),
    ('mxnet.ndarray.sparse', 'CSRNDArray'), ('mxnet.ndarray.sparse', 'RowSparseNDArray'),
    ('mxnet.numpy.multiarray', 'ndarray'), ('mxnet.numpy', 'ndarray'),
}
_RECORD_MODULES = ('mxnet.optimizer', 'mxnet.lr_scheduler')
_CONTEXT_CLASSES = {('mxnet.context', 'Context'), ('mxnet.device', 'Device')}
_LATIN1 = ('latin1', 'latin-1', 'iso-8859-1', 'iso8859-1')
_MXNET_NDARRAY = ('mxnet.ndarray.ndarray', 'NDArray')


class PickledObject(dict):
    """The attributes of an MXNet object (an optimizer, an lr scheduler) from a pickle.

    A plain dict of the object's ``__dict__`` that also remembers the MXNet class, so
    `dump_states` can write it back as that class.

    Examples
    --------
    >>> from mxlite.safe_pickle import PickledObject
    >>> opt = PickledObject('mxnet.optimizer.optimizer', 'SGD', {'lr': 0.1})
    >>> opt.mxnet_class, opt['lr']
    ('mxnet.optimizer.optimizer.SGD', 0.1)
    """
    __slots__ = ('mxnet_module', 'mxnet_name')

    def __init__(self, module, name, attrs=()):
        super().__init__(attrs)
        self.mxnet_module = module
        self.mxnet_name = name

    @property
    def mxnet_class(self):
        return '%s.%s' % (self.mxnet_module, self.mxnet_name)

    def __repr__(self):
        return 'PickledObject(%r, %r, %s)' % (self.mxnet_module, self.mxnet_name,
                                             dict.__repr__(self))

    def __reduce__(self):
        return (PickledObject, (self.mxnet_module, self.mxnet_name, dict(self)))


# ---------------------------------------------------------------------- placeholders
class _Stub:
    """An inert object the unpickler builds in place of a class it must not import."""
    _mx_module = _mx_name = None

    def __new__(cls, *args, **kwargs):
        obj = object.__new__(cls)
        obj.args, obj.state = args, None
        return obj

    def __init__(self, *args, **kwargs):
        pass

    def __setstate__(self, state):
        self.state = state


class _NDArrayStub(_Stub):
    """MXNet's NDArray: ``NDArray(None)`` then ``__setstate__({'handle': bytes})``."""
    source = '<pickle>'
    result = None

    def __setstate__(self, state):
        handle = state.get('handle') if isinstance(state, dict) else None
        if handle is None:
            if not (isinstance(state, dict) and 'handle' in state):
                raise MXNetError('pickled NDArray has state %r; expected {"handle": bytes}'
                                 % (type(state).__name__,))
            return
        if not isinstance(handle, (bytes, bytearray)):
            raise MXNetError('pickled NDArray handle is a %s, expected bytes'
                             % type(handle).__name__)
        self.result = load_raw_bytes(bytes(handle), self.source + ' (pickled NDArray)')


class _DtypeStub(_Stub):
    """numpy.dtype(spec, align, copy) plus its state, limited to plain number types."""

    def dtype(self):
        spec = self.args[0] if self.args else None
        if not isinstance(spec, str):
            raise MXNetError('pickled numpy dtype spec %r is not allowed' % (spec,))
        dt = np.dtype(spec)
        if dt.kind not in 'biufc' or dt.fields is not None or dt.subdtype is not None:
            raise MXNetError('pickled numpy dtype %r is not allowed (only numbers)' % spec)
        state = self.state
        if state is not None:
            if not (isinstance(state, tuple) and len(state) >= 5 and state[2] is None
                    and state[3] is None and state[4] is None):
                raise MXNetError('pickled numpy dtype %r has an unsupported state' % spec)
            if state[1] in ('<', '>'):
                dt = dt.newbyteorder(state[1])
        return dt


class _Value(_Stub):
    """A finished NumPy value, held so that no NumPy object (whose __setstate__ would
    accept forged state) exists while the pickle is still being read."""

    def __init__(self, result):
        self.result = result

    def __setstate__(self, state):
        raise MXNetError('pickled numpy value does not take a state')


class _ArrayStub(_Stub):
    """numpy's _reconstruct(ndarray, ...) + __setstate__, checked before allocating."""
    result = None

    def __setstate__(self, state):
        if not (isinstance(state, tuple) and len(state) == 5):
            raise MXNetError('pickled numpy array has an unsupported state')
        _, shape, dtype, fortran, raw = state
        if isinstance(raw, str):
            raw = raw.encode('latin-1')
        self.result = _checked_array(raw, dtype, shape, 'F' if fortran else 'C')


def _checked_array(raw, dtype, shape, order):
    """An array from raw bytes, with the size checked before anything is allocated."""
    if not isinstance(dtype, _DtypeStub) or not isinstance(raw, (bytes, bytearray)) or \
            not isinstance(shape, tuple) or not all(isinstance(d, int) and d >= 0
                                                    for d in shape):
        raise MXNetError('pickled numpy array with unsupported dtype, shape or data')
    dtype = dtype.dtype()
    count = 1
    for d in shape:
        count *= d
    if count * dtype.itemsize != len(raw):
        raise MXNetError('pickled numpy array: shape %s of %s needs %d bytes, found %d'
                         % (shape, dtype, count * dtype.itemsize, len(raw)))
    flat = np.frombuffer(bytes(raw), dtype=dtype, count=count)
    return flat.reshape(shape, order='F' if order == 'F' else 'C').copy()


def _np_scalar(dtype, raw=None):
    if not isinstance(dtype, _DtypeStub):
        raise MXNetError('pickled numpy scalar has an unsupported dtype')
    dtype = dtype.dtype()
    if isinstance(raw, str):
        raw = raw.encode('latin-1')
    if not isinstance(raw, (bytes, bytearray)) or len(raw) != dtype.itemsize:
        raise MXNetError('pickled numpy scalar of %s has bad data' % dtype)
    return _Value(np.frombuffer(bytes(raw), dtype=dtype)[0])


def _np_frombuffer(buf, dtype, shape, order='C'):
    # protocol 5 writes arrays as numpy's _frombuffer(buffer, dtype, shape, order)
    return _Value(_checked_array(buf, dtype, shape, order))


def _np_reconstruct(subtype, shape=None, typecode=None):
    if subtype is not np.ndarray:
        raise MXNetError('pickled numpy array subclass %r is not allowed' % (subtype,))
    return _ArrayStub()


def _bytes_args(kind, args):
    if not args:
        return b''
    if isinstance(args[0], (bytes, bytearray)) and len(args) == 1:
        return bytes(args[0])
    if isinstance(args[0], str) and len(args) == 2 and str(args[1]).lower() in _LATIN1:
        return args[0].encode('latin-1')
    raise MXNetError('pickled %s(...) with arguments of types %s is not allowed'
                     % (kind, [type(a).__name__ for a in args]))


def _safe_bytearray(*args):
    return bytearray(_bytes_args('bytearray', args))


def _safe_bytes(*args):
    return _bytes_args('bytes', args)


def _codecs_encode(obj, encoding='utf-8', errors='strict'):
    # protocol 2 writes bytes as _codecs.encode(str, 'latin1')
    if not isinstance(obj, str) or str(encoding).lower() not in _LATIN1:
        raise MXNetError('pickled _codecs.encode(%s, %r) is not allowed'
                         % (type(obj).__name__, encoding))
    return obj.encode('latin-1')


def _reconstructor(cls, base, state):
    # protocol 0/1 objects: only our placeholders, built without running any __init__
    if not (isinstance(cls, type) and issubclass(cls, _Stub) and base is object):
        raise MXNetError('pickled copyreg._reconstructor(%r) is not allowed' % (cls,))
    obj = cls.__new__(cls)
    if state is not None:
        obj.args = (state,)
    return obj


class _Safe:
    """An admitted function that a forged BUILD cannot modify (no __dict__, no setattr)."""
    __slots__ = ('_fn',)

    def __init__(self, fn):
        object.__setattr__(self, '_fn', fn)

    def __call__(self, *args):
        return self._fn(*args)

    def __setattr__(self, name, value):
        raise AttributeError('read-only')


_BUILTINS = {'tuple': tuple, 'list': list, 'dict': dict, 'set': set, 'frozenset': frozenset,
             'complex': complex, 'object': object, 'bytearray': _Safe(_safe_bytearray),
             'bytes': _Safe(_safe_bytes)}
_ALLOWED = {('_codecs', 'encode'): _Safe(_codecs_encode),
            ('copyreg', '_reconstructor'): _Safe(_reconstructor),
            ('copy_reg', '_reconstructor'): _Safe(_reconstructor),
            ('numpy', 'dtype'): _DtypeStub, ('numpy', 'ndarray'): np.ndarray}
for _mod in ('builtins', '__builtin__'):
    _ALLOWED.update({(_mod, k): v for k, v in _BUILTINS.items()})
for _mod in ('numpy.core.multiarray', 'numpy._core.multiarray'):
    _ALLOWED.update({(_mod, 'scalar'): _Safe(_np_scalar),
                     (_mod, '_reconstruct'): _Safe(_np_reconstruct)})
for _mod in ('numpy.core.numeric', 'numpy._core.numeric'):
    _ALLOWED[(_mod, '_frombuffer')] = _Safe(_np_frombuffer)


class _SafeUnpickler(pickle.Unpickler):
    def __init__(self, file, source):
        super().__init__(file)
        self._source = source
        self._classes = {}

    def find_class(self, module, name):
        key = (module, name)
        if key in _ALLOWED:
            return _ALLOWED[key]
        if key in _NDARRAY_CLASSES:
            key = _MXNET_NDARRAY
        elif not (key in _CONTEXT_CLASSES or any(
                module == m or module.startswith(m + '.') for m in _RECORD_MODULES)):
            raise MXNetError('refusing to unpickle %s.%s from %s: a .states file may only '
                             'hold MXNet NDArrays, optimizer records, numbers and plain '
                             'containers' % (module, name, self._source))
        if key not in self._classes:
            if key == _MXNET_NDARRAY:
                attrs, base = {'source': self._source}, _NDArrayStub
            else:
                attrs, base = {'_mx_module': module, '_mx_name': name}, _Stub
            self._classes[key] = type('Placeholder', (base,), attrs)
        return self._classes[key]

    def persistent_load(self, pid):
        raise MXNetError('refusing persistent id %r in %s' % (pid, self._source))


def _resolve(obj, memo):
    """Replace placeholders by mxlite objects, keeping shared references shared."""
    key = id(obj)
    if key in memo:
        return memo[key]
    if isinstance(obj, (_NDArrayStub, _ArrayStub, _Value)):
        out = memo[key] = obj.result
    elif isinstance(obj, _DtypeStub):
        out = memo[key] = obj.dtype()
    elif isinstance(obj, _Stub):
        state = obj.state
        if isinstance(state, tuple) and len(state) == 2 and isinstance(state[0], dict):
            state = state[0]            # (dict state, slot state)
        if (obj._mx_module, obj._mx_name) in _CONTEXT_CLASSES and isinstance(state, dict):
            out = memo[key] = Context(int(state.get('device_typeid', 1)),
                                      int(state.get('device_id', 0)))
            return out
        out = memo[key] = PickledObject(obj._mx_module, obj._mx_name)
        if isinstance(state, dict):
            for k, v in state.items():
                out[_resolve(k, memo)] = _resolve(v, memo)
    elif isinstance(obj, list):
        out = memo[key] = []
        out.extend(_resolve(v, memo) for v in obj)
    elif isinstance(obj, dict):
        out = memo[key] = {}
        for k, v in obj.items():
            out[_resolve(k, memo)] = _resolve(v, memo)
    elif isinstance(obj, (tuple, set, frozenset)):
        out = memo[key] = type(obj)(_resolve(v, memo) for v in obj)
    else:
        out = obj
    return out


def _read_input(bytes_or_file):
    if isinstance(bytes_or_file, (bytes, bytearray, memoryview)):
        return bytes(bytes_or_file), '<bytes>'
    if isinstance(bytes_or_file, (str, os.PathLike)):
        path = os.fspath(bytes_or_file)
        try:
            with open(path, 'rb') as f:
                return f.read(), path
        except OSError as exc:
            raise MXNetError('cannot read optimizer states %r: %s'
                             % (path, exc.strerror or exc)) from exc
    if hasattr(bytes_or_file, 'read'):
        data = bytes_or_file.read()
        if not isinstance(data, (bytes, bytearray)):
            raise TypeError('load_states needs a binary file, got %s from read()'
                            % type(data).__name__)
        return bytes(data), getattr(bytes_or_file, 'name', '<file>')
    raise TypeError('load_states expects bytes, a path or a binary file, got %s'
                    % type(bytes_or_file).__name__)


_MEMO_PUTS = ('PUT', 'BINPUT', 'LONG_BINPUT')


def _prescan(data, source):
    """Walk the opcodes without executing anything, before the real unpickler runs.

    genops checks every length against the bytes present (so a forged length cannot
    make the unpickler preallocate), and we refuse memo indices beyond the file size:
    the C unpickler grows its memo table to the largest index it is given.
    """
    for op, arg, pos in pickletools.genops(io.BytesIO(data)):
        if op.name in _MEMO_PUTS and arg > len(data):
            raise MXNetError('cannot load optimizer states from %s: memo index %d at byte '
                             '%d is impossible in a %d-byte pickle'
                             % (source, arg, pos, len(data)))


def load_states(bytes_or_file):
    """Unpickle an MXNet optimizer ``.states`` file without running code from it.

    Parameters
    ----------
    bytes_or_file : bytes, str, os.PathLike or binary file
        The pickle, a path to it or an open binary file.

    Returns
    -------
    object
        What was pickled, with MXNet NDArrays as mxlite NDArrays: usually a dict of
        index to NDArray / tuple of NDArrays / None, or ``(states, optimizer)`` where
        the optimizer is a `PickledObject`.

    Raises
    ------
    MXNetError
        For a corrupt pickle or one naming a class outside the allowed set.

    Examples
    --------
    >>> import mxlite as mx
    >>> from mxlite.safe_pickle import dump_states, load_states
    >>> load_states(dump_states({0: mx.nd.ones((2,))}))[0].asnumpy()
    array([1., 1.], dtype=float32)
    """
    data, source = _read_input(bytes_or_file)
    try:
        _prescan(data, source)
        raw = _SafeUnpickler(io.BytesIO(data), source).load()
        return _resolve(raw, {})
    except MXNetError:
        raise
    except Exception as exc:        # anything a malformed pickle can raise
        raise MXNetError('cannot load optimizer states from %s: corrupt or unsupported '
                         'pickle (%s: %s)' % (source, type(exc).__name__, exc)) from None


# ---------------------------------------------------------------------- writing
class _GlobalRef:
    """A module-level name written into the pickle without importing it."""
    _cache = {}

    def __new__(cls, module, name):
        key = (module, name)
        if key not in cls._cache:
            obj = object.__new__(cls)
            obj.module, obj.name = module, name
            cls._cache[key] = obj
        return cls._cache[key]

    def __call__(self, *args):      # pickle insists that a reduce function is callable
        raise TypeError('%s.%s is only a name written into a pickle'
                        % (self.module, self.name))


class _NDArrayOut:
    __slots__ = ('array',)

    def __init__(self, array):
        self.array = array


class _RecordOut:
    __slots__ = ('ref', 'state')

    def __init__(self, ref, state):
        self.ref, self.state = ref, state


_NONE_ARGS = (None,)   # one object, so repeated NDArrays share the memo entry as in MXNet


class _MXNetPickler(pickle._Pickler):
    """The pure-Python pickler, taught to name MXNet classes that are not importable."""
    dispatch = dict(pickle._Pickler.dispatch)

    def _save_ref(self, ref):
        if self.proto >= 4:
            self.save(ref.module)
            self.save(ref.name)
            self.write(pickle.STACK_GLOBAL)
        else:
            self.write(pickle.GLOBAL + ref.module.encode('utf-8') + b'\n'
                       + ref.name.encode('utf-8') + b'\n')
        self.memoize(ref)

    def _save_ndarray(self, out):
        # what MXNet's NDArray.__reduce__ gives: (NDArray, (None,), {'handle': bytes})
        state = {'handle': bytearray(save_raw_bytes(out.array))}
        self.save_reduce(_GlobalRef(*_MXNET_NDARRAY), _NONE_ARGS, state, obj=out)

    def _save_record(self, out):
        # what object.__reduce_ex__(2+) gives: NEWOBJ of the class, then BUILD
        self.save(out.ref)
        self.save(())
        self.write(pickle.NEWOBJ)
        self.memoize(out)
        self.save(out.state)
        self.write(pickle.BUILD)

    dispatch[_GlobalRef] = _save_ref
    dispatch[_NDArrayOut] = _save_ndarray
    dispatch[_RecordOut] = _save_record


def _prepare(obj, memo, path):
    """Map mxlite objects to what MXNet would pickle, keeping shared references shared."""
    key = id(obj)
    if key in memo:
        return memo[key][0]
    if obj is None or isinstance(obj, (bool, int, float, complex, str, bytes)):
        return obj
    if isinstance(obj, np.generic) and obj.dtype.kind in 'biufc':
        return obj.item()
    if isinstance(obj, NDArray):
        out = _NDArrayOut(obj)
    elif isinstance(obj, PickledObject):
        out = _RecordOut(_GlobalRef(obj.mxnet_module, obj.mxnet_name), {})
        out.state.update((_prepare(k, memo, path), _prepare(v, memo, '%s.%s' % (path, k)))
                         for k, v in obj.items())
    elif isinstance(obj, Context):
        out = _RecordOut(_GlobalRef('mxnet.context', 'Context'),
                         {'device_typeid': obj.device_typeid, 'device_id': obj.device_id,
                          '_old_ctx': None})
    elif isinstance(obj, dict):
        out = {_prepare(k, memo, path): _prepare(v, memo, '%s[%r]' % (path, k))
               for k, v in obj.items()}
    elif isinstance(obj, list):
        out = [_prepare(v, memo, '%s[%d]' % (path, i)) for i, v in enumerate(obj)]
    elif isinstance(obj, (tuple, set, frozenset)):
        out = type(obj)(_prepare(v, memo, '%s[%d]' % (path, i)) for i, v in enumerate(obj))
    else:
        raise TypeError('dump_states: %s is a %s; optimizer states may hold NDArrays, '
                        'numbers, strings, None, PickledObject and dict/list/tuple of them'
                        % (path, type(obj).__name__))
    memo[key] = (out, obj)      # keep obj alive so its id is not reused
    return out


def dump_states(states):
    """Pickle optimizer states the way MXNet 1.9.1 does, readable by MXNet itself.

    NDArrays are written as ``mxnet.ndarray.ndarray.NDArray`` with their raw record,
    `PickledObject` values as the MXNet class they came from and `Context` as
    ``mxnet.context.Context`` (protocol 4, as MXNet writes under Python 3.8+).

    Parameters
    ----------
    states : object
        Usually a dict of index to NDArray / tuple of NDArrays / None, or a
        ``(states, optimizer)`` pair as `load_states` returns it.

    Returns
    -------
    bytes

    Examples
    --------
    >>> import mxlite as mx
    >>> from mxlite.safe_pickle import dump_states
    >>> blob = dump_states({0: mx.nd.zeros((3,))})
    >>> b'mxnet.ndarray.ndarray' in blob
    True
    """
    prepared = _prepare(states, {}, 'states')
    buf = io.BytesIO()
    _MXNetPickler(buf, protocol=4).dump(prepared)
    return buf.getvalue()

