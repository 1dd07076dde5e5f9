"""MXNet 1.x's binary NDArray format (``mx.nd.save`` / ``mx.nd.load``), byte for byte.

Layout (all integers little-endian)::

    file    := u64 0x112 | u64 0 | u64 n | record * n | u64 k | name * k   (k is 0 or n)
    name    := u64 len | utf-8 bytes
    record  := u32 magic | i32 stype | [shape sshape]  (sparse only)
               | shape | i32 dev_type | i32 dev_id | i32 type_flag
               | (i32 aux_type | shape aux_shape) * naux  (sparse only)
               | values | aux values * naux
    shape   := u32 ndim | i64 dim * ndim

``magic`` is 0xF993FAC9 (V2) or 0xF993FACA (V3: saved under numpy shape semantics, where
ndim 0 is a 0-d array). Older records are read too: V1 (0xF993FAC8) has no stype, and V0
has no magic at all: its first u32 is ndim and the dims are u32. A record whose shape is
"none" (ndim 0 before V3, ndim -1 in V3) stops after the shape.

Reading never trusts a size field: every count, shape and length is checked against the
bytes that remain before anything is allocated, and any problem raises `MXNetError`
naming the source, the byte offset and what was wrong. Nothing is returned half-loaded.
"""
import mmap
import os
import struct
import sys

import numpy as np

from ..base import DTYPE_MX_TO_NP, DTYPE_NP_TO_MX, MXNetError
from ..context import Context
from .ndarray import NDArray

__all__ = ['save', 'load', 'load_frombuffer', 'dumps', 'loads', 'save_raw_bytes',
           'load_raw_bytes']

LIST_MAGIC = 0x112
V1_MAGIC = 0xF993FAC8
V2_MAGIC = 0xF993FAC9
V3_MAGIC = 0xF993FACA
MAX_NDIM = 32
# storage type codes and how many aux arrays each has (csr: indptr, indices; rsp: indices)
STYPE_CODES = {'default': 0, 'row_sparse': 1, 'csr': 2}
STYPE_NAMES = {v: k for k, v in STYPE_CODES.items()}
_NUM_AUX = {0: 0, 1: 1, 2: 2}
_DEV_TYPES = (1, 2, 3, 5)          # cpu, gpu, cpu_pinned, cpu_shared
_MAX_ELEMENTS = 1 << 53            # beyond this even a zero-size shape is nonsense

_U32 = struct.Struct('<I')
_I32 = struct.Struct('<i')
_U64 = struct.Struct('<Q')
_I64 = struct.Struct('<q')


# ---------------------------------------------------------------------- reading
class _Reader:
    """A cursor over an immutable buffer that fails with the source name and offset."""

    def __init__(self, buf, source):
        self.buf = memoryview(buf).cast('B')
        self.pos = 0
        self.source = source
        self.where = ''     # "array 2 of 5" while a record is being read

    @property
    def left(self):
        return len(self.buf) - self.pos

    def fail(self, what, pos=None):
        pos = self.pos if pos is None else pos
        where = ' (%s)' % self.where if self.where else ''
        raise MXNetError('cannot load NDArray file %r: %s at byte %d%s'
                         % (self.source, what, pos, where))

    def need(self, nbytes, what):
        if nbytes > self.left:
            self.fail('truncated: %s needs %d bytes but only %d remain'
                      % (what, nbytes, self.left))

    def _unpack(self, fmt, what):
        self.need(fmt.size, what)
        value = fmt.unpack_from(self.buf, self.pos)[0]
        self.pos += fmt.size
        return value

    def u32(self, what):
        return self._unpack(_U32, what)

    def i32(self, what):
        return self._unpack(_I32, what)

    def u64(self, what):
        return self._unpack(_U64, what)

    def take(self, nbytes, what):
        self.need(nbytes, what)
        out = self.buf[self.pos:self.pos + nbytes]
        self.pos += nbytes
        return out

    def shape(self, what, np_shape=False, dim32=False, ndim=None):
        """A TShape: u32 ndim (unless given) then ndim int64 (or legacy uint32) dims.

        Returns None for a "none" shape (MXNet's uninitialised array).
        """
        start = self.pos
        if ndim is None:
            ndim = self.u32('the ndim of ' + what)
        if np_shape and ndim == 0xFFFFFFFF:      # -1: unknown shape in np semantics
            return None
        if ndim > MAX_NDIM:
            self.fail('%s has ndim %d, more than the %d MXNet supports'
                      % (what, ndim, MAX_NDIM), start)
        if ndim == 0 and not np_shape:           # legacy: ndim 0 means "none"
            return None
        fmt = '<%d%s' % (ndim, 'I' if dim32 else 'q')
        self.need(struct.calcsize(fmt), 'the %d dims of %s' % (ndim, what))
        dims = struct.unpack_from(fmt, self.buf, self.pos)
        if any(d < 0 for d in dims):
            self.fail('%s has a negative dimension: %s' % (what, dims), self.pos)
        nonzero = 1
        for d in dims:
            nonzero *= max(d, 1)
        if nonzero > _MAX_ELEMENTS:
            self.fail('%s %s is impossibly large' % (what, dims), self.pos)
        self.pos += struct.calcsize(fmt)
        return tuple(dims)

    def values(self, shape, dtype, what):
        """Read a C-order array of `shape` (size checked before allocating)."""
        count = 1
        for d in shape:
            count *= d
        nbytes = count * dtype.itemsize
        self.need(nbytes, '%s of shape %s and dtype %s' % (what, shape, dtype.name))
        if count == 0:
            return np.zeros(shape, dtype=dtype)
        raw = np.frombuffer(self.buf, dtype=dtype.newbyteorder('<'), count=count,
                            offset=self.pos)
        self.pos += nbytes
        if dtype == np.bool_:               # canonicalise bytes other than 0/1
            return (raw.view(np.uint8) != 0).reshape(shape)
        return raw.astype(dtype, copy=True).reshape(shape)


def _type_flag(reader, what):
    start = reader.pos
    flag = reader.i32('the type flag of ' + what)
    if flag not in DTYPE_MX_TO_NP:
        reader.fail('%s has unknown type flag %d (known: %s)'
                    % (what, flag, sorted(DTYPE_MX_TO_NP)), start)
    return DTYPE_MX_TO_NP[flag]


def _read_context(reader):
    start = reader.pos
    dev_type = reader.i32('the device type')
    dev_id = reader.i32('the device id')
    if dev_type not in _DEV_TYPES or dev_id < 0:
        reader.fail('invalid context (device type %d, id %d)' % (dev_type, dev_id), start)


def _none_array():
    # MXNet's "none" NDArray (no shape, no data) has no mxlite twin; an empty float32
    # array is the closest thing that still behaves like an array.
    return NDArray(np.zeros((0,), np.float32), Context('cpu', 0))


def _read_record(reader):
    """One array record; arrays saved on any device come back on cpu(0), as in MXNet."""
    start = reader.pos
    magic = reader.u32('the array magic')
    stype = 0
    if magic in (V2_MAGIC, V3_MAGIC):
        np_shape = magic == V3_MAGIC
        stype_pos = reader.pos
        stype = reader.i32('the storage type')
        if stype not in _NUM_AUX:
            reader.fail('unknown storage type %d (expected 0 dense, 1 row_sparse, 2 csr)'
                        % stype, stype_pos)
        if np_shape and stype != 0:
            reader.fail('a sparse array in a V3 (numpy shape) record', stype_pos)
        sshape = reader.shape('the stored shape') if _NUM_AUX[stype] else None
        shape = reader.shape('the shape', np_shape=np_shape)
    elif magic == V1_MAGIC:
        shape = reader.shape('the shape')
    else:
        # V0: the magic is really ndim, followed by uint32 dims
        if magic > MAX_NDIM:
            reader.fail('bad array magic 0x%08X (expected 0x%08X, or a legacy ndim <= %d)'
                        % (magic, V2_MAGIC, MAX_NDIM), start)
        shape = reader.shape('the shape', dim32=True, ndim=magic)
    if shape is None:
        return _none_array()
    _read_context(reader)
    dtype = _type_flag(reader, 'the array')
    if stype == 0:
        return NDArray(reader.values(shape, dtype, 'the array data'), Context('cpu', 0))
    return _read_sparse(reader, stype, shape, sshape, dtype, start)


def _read_sparse(reader, stype, shape, sshape, dtype, start):
    from . import sparse
    if sshape is None:
        reader.fail('a sparse array with no stored shape', start)
    headers = []
    for i in range(_NUM_AUX[stype]):
        aux_type = _type_flag(reader, 'aux array %d' % i)
        if aux_type.kind not in 'iu':
            reader.fail('aux array %d has non-integer dtype %s' % (i, aux_type.name))
        headers.append((aux_type, reader.shape('the shape of aux array %d' % i) or (0,)))
    values = reader.values(sshape, dtype, 'the stored values')
    aux = [reader.values(shp, dt, 'aux array %d' % i) for i, (dt, shp) in enumerate(headers)]
    try:
        return sparse._from_stored(STYPE_NAMES[stype], values, aux, shape, Context('cpu', 0))
    except MXNetError as exc:
        reader.fail('invalid %s array: %s' % (STYPE_NAMES[stype], exc), start)


def _parse(reader):
    start = reader.pos
    magic = reader.u64('the file magic')
    if magic != LIST_MAGIC:
        reader.fail('not an MXNet NDArray file: bad magic 0x%X (expected 0x%X)'
                    % (magic, LIST_MAGIC), start)
    reader.u64('the reserved header field')
    count_pos = reader.pos
    count = reader.u64('the array count')
    if count * 4 > reader.left:          # every record takes at least 4 bytes
        reader.fail('array count %d is impossible with %d bytes left'
                    % (count, reader.left), count_pos)
    arrays = []
    for i in range(count):
        reader.where = 'array %d of %d' % (i, count)
        arrays.append(_read_record(reader))
    reader.where = ''
    names_pos = reader.pos
    nnames = reader.u64('the name count')
    if nnames not in (0, count):
        reader.fail('%d names for %d arrays' % (nnames, count), names_pos)
    names = []
    for i in range(nnames):
        reader.where = 'name %d of %d' % (i, nnames)
        length = reader.u64('the name length')
        raw = reader.take(length, 'the name')
        try:
            names.append(bytes(raw).decode('utf-8'))
        except UnicodeDecodeError as exc:
            reader.fail('name is not valid UTF-8 (%s)' % exc.reason, reader.pos - length)
    reader.where = ''
    if nnames:
        return dict(zip(names, arrays))
    return arrays


def loads(buf, source='<buffer>'):
    """Parse the bytes of an MXNet NDArray file into a list or dict of NDArrays.

    Parameters
    ----------
    buf : bytes, bytearray or memoryview
        The file contents.
    source : str
        Name used in error messages.

    Returns
    -------
    list of NDArray, or dict of str to NDArray
        A dict when the file stores names, otherwise a list. Sparse records give
        `CSRNDArray` / `RowSparseNDArray`.

    Raises
    ------
    MXNetError
        If the bytes are truncated or corrupt; the message names the offset.

    Examples
    --------
    >>> import mxlite as mx
    >>> from mxlite.ndarray.serialization import dumps, loads
    >>> loads(dumps({'w': mx.nd.ones((2,))}))['w'].asnumpy()
    array([1., 1.], dtype=float32)
    """
    try:
        reader = _Reader(buf, source)
    except TypeError as exc:
        raise MXNetError('cannot load NDArray data from %s: %s'
                         % (type(buf).__name__, exc)) from None
    try:
        return _parse(reader)
    except MXNetError:
        raise
    except (RecursionError, MemoryError, ValueError, TypeError, OverflowError) as exc:
        # a safety net: every expected problem is checked above
        reader.fail('corrupt data (%s: %s)' % (type(exc).__name__, exc))
    finally:
        try:
            reader.buf.release()    # lets load() close its memory map right away
        except BufferError:
            pass


def load_frombuffer(buf):
    """Load a list or dict of NDArrays from the bytes of an MXNet NDArray file.

    Examples
    --------
    >>> import mxlite as mx
    >>> from mxlite.ndarray.serialization import dumps
    >>> mx.nd.load_frombuffer(dumps([mx.nd.zeros((1,))]))[0].shape
    (1,)
    """
    if not isinstance(buf, (bytes, bytearray, memoryview)):
        raise TypeError('load_frombuffer expects bytes, got %s' % type(buf).__name__)
    return loads(buf, '<buffer>')


def load(fname):
    """Load what `mx.nd.save` (mxlite's or MXNet 1.x's) wrote.

    Parameters
    ----------
    fname : str or os.PathLike
        Path of a ``.nd`` / ``.params`` file (any record version MXNet 1.9.1 reads).

    Returns
    -------
    list of NDArray, or dict of str to NDArray

    Examples
    --------
    >>> import mxlite as mx, os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), 'x.nd')
    >>> mx.nd.save(path, {'a': mx.nd.array([1, 2])})
    >>> mx.nd.load(path)['a'].asnumpy()
    array([1., 2.], dtype=float32)
    """
    path = _check_fname(fname, 'load')
    try:
        with open(path, 'rb') as f:
            try:        # map the file: arrays are copied out of it, so memory stays ~1x
                buf = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
            except (OSError, ValueError):       # empty file, pipe, no mmap support
                buf = f.read()
    except OSError as exc:
        raise MXNetError('cannot load NDArray file %r: %s' % (path, exc.strerror or exc)) from exc
    try:
        return loads(buf, path)
    finally:
        if isinstance(buf, mmap.mmap):
            try:
                buf.close()
            except BufferError:     # a view still lives in a traceback; GC closes it
                pass


def load_raw_bytes(buf, source='<buffer>'):
    """One NDArray from a single record (MXNet's ``MXNDArrayLoadFromRawBytes``).

    This is what the ``'handle'`` of a pickled MXNet NDArray holds.

    Examples
    --------
    >>> import mxlite as mx
    >>> from mxlite.ndarray.serialization import load_raw_bytes, save_raw_bytes
    >>> load_raw_bytes(save_raw_bytes(mx.nd.ones((2,)))).shape
    (2,)
    """
    try:
        reader = _Reader(buf, source)
    except TypeError as exc:
        raise MXNetError('cannot load an NDArray from %s: %s' % (type(buf).__name__, exc))
    try:
        return _read_record(reader)
    except MXNetError:
        raise
    except (RecursionError, MemoryError, ValueError, TypeError, OverflowError) as exc:
        reader.fail('corrupt data (%s: %s)' % (type(exc).__name__, exc))


# ---------------------------------------------------------------------- writing
def _np_shape_active():
    # follow mx.util.np_shape() when that module exists and has been imported
    util = sys.modules.get('mxlite.util')
    probe = getattr(util, 'is_np_shape', None)
    return bool(probe()) if callable(probe) else False


def _shape_bytes(shape):
    return _U32.pack(len(shape)) + struct.pack('<%dq' % len(shape), *shape)


def _dtype_flag(dtype, what):
    flag = DTYPE_NP_TO_MX.get(np.dtype(dtype).newbyteorder('='))
    if flag is None:
        raise MXNetError('cannot save %s: dtype %s has no MXNet type flag (supported: %s)'
                         % (what, np.dtype(dtype).name,
                            ', '.join(d.name for d in DTYPE_NP_TO_MX)))
    return flag


def _le_bytes(array):
    """C-order little-endian bytes of a host array, without a copy when possible."""
    array = np.ascontiguousarray(array, dtype=array.dtype.newbyteorder('<'))
    return memoryview(array).cast('B') if array.size else b''


def _host(data):
    return data if isinstance(data, np.ndarray) else data.get()


def _record_chunks(arr, what, np_shape=False):
    """The byte chunks of one record, in order (data chunks are zero-copy views)."""
    stype = STYPE_CODES.get(arr.stype)
    if stype is None:
        raise MXNetError('cannot save %s: unknown storage type %r' % (what, arr.stype))
    ctx = arr.context
    ctx_bytes = _I32.pack(ctx.device_typeid) + _I32.pack(ctx.device_id)
    if stype == 0:
        host = _host(arr._data)
        # V3 for numpy shape semantics, and for 0-d arrays, which only V3 can hold
        magic = V3_MAGIC if (np_shape or host.ndim == 0) else V2_MAGIC
        return [_U32.pack(magic) + _I32.pack(0) + _shape_bytes(host.shape) + ctx_bytes
                + _I32.pack(_dtype_flag(host.dtype, what)), _le_bytes(host)]
    values, aux = arr._stored()
    head = [_U32.pack(V2_MAGIC), _I32.pack(stype), _shape_bytes(values.shape),
            _shape_bytes(arr.shape), ctx_bytes, _I32.pack(_dtype_flag(values.dtype, what))]
    for a in aux:
        head.append(_I32.pack(_dtype_flag(a.dtype, what + ' (aux)')) + _shape_bytes(a.shape))
    return [b''.join(head), _le_bytes(values)] + [_le_bytes(a) for a in aux]


def _typename(value):
    cls = type(value)
    return cls.__name__ if cls.__module__ == 'builtins' else '%s.%s' % (cls.__module__,
                                                                      cls.__qualname__)


def _normalise(data):
    """(arrays, names) from an NDArray, a list/tuple of them, or a str -> NDArray dict."""
    if isinstance(data, NDArray):
        return [data], []
    if isinstance(data, dict):
        names, arrays = [], []
        for key, value in data.items():
            if not isinstance(key, str):
                raise TypeError('mx.nd.save: dict keys must be str, got key %r of type %s'
                                % (key, _typename(key)))
            if not isinstance(value, NDArray):
                raise TypeError('mx.nd.save: value for key %r is a %s, expected an NDArray'
                                % (key, _typename(value)))
            names.append(key)
            arrays.append(value)
        return arrays, names
    if isinstance(data, (list, tuple)):
        for i, value in enumerate(data):
            if not isinstance(value, NDArray):
                raise TypeError('mx.nd.save: element %d of the %s is a %s, expected an '
                                'NDArray' % (i, type(data).__name__, _typename(value)))
        return list(data), []
    raise TypeError('mx.nd.save: data must be an NDArray, a list of NDArrays or a dict of '
                    'str to NDArray, got %s' % _typename(data))


def _chunks(data, np_shape=None):
    arrays, names = _normalise(data)
    if np_shape is None:
        np_shape = _np_shape_active()
    yield _U64.pack(LIST_MAGIC) + _U64.pack(0) + _U64.pack(len(arrays))
    for i, arr in enumerate(arrays):
        what = 'array %r' % names[i] if names else 'array %d' % i
        yield from _record_chunks(arr, what, np_shape)
    parts = [_U64.pack(len(names))]
    for name in names:
        try:
            raw = name.encode('utf-8')
        except UnicodeEncodeError as exc:
            raise MXNetError('cannot save key %r: not encodable as UTF-8 (%s)'
                             % (name, exc.reason)) from None
        parts.append(_U64.pack(len(raw)) + raw)
    yield b''.join(parts)


def dumps(data, np_shape=None):
    """The bytes `save` writes for `data`.

    Parameters
    ----------
    data : NDArray, list of NDArray or dict of str to NDArray
    np_shape : bool, optional
        Write V3 records (numpy shape semantics), as MXNet does inside
        ``mx.util.np_shape(True)``. By default follows ``mx.util.is_np_shape()``.
        0-d arrays always get V3 records: no other version can hold them.

    Examples
    --------
    >>> import mxlite as mx
    >>> from mxlite.ndarray.serialization import dumps
    >>> len(dumps([]))
    32
    """
    return b''.join(_chunks(data, np_shape))


def save_raw_bytes(arr):
    """One NDArray as a single record (MXNet's ``MXNDArraySaveRawBytes``).

    Examples
    --------
    >>> import mxlite as mx
    >>> from mxlite.ndarray.serialization import save_raw_bytes
    >>> save_raw_bytes(mx.nd.zeros((1,)))[:4].hex()
    'c9fa93f9'
    """
    if not isinstance(arr, NDArray):
        raise TypeError('save_raw_bytes expects an NDArray, got %s' % type(arr).__name__)
    return b''.join(_record_chunks(arr, 'the array', _np_shape_active()))


def _check_fname(fname, verb):
    if isinstance(fname, os.PathLike):
        fname = os.fspath(fname)
    if not isinstance(fname, str):
        raise TypeError('mx.nd.%s: fname must be a str path, got %s'
                        % (verb, type(fname).__name__))
    return fname


def save(fname, data):
    """Save NDArrays in MXNet 1.x's binary format (the same bytes MXNet 1.9.1 writes).

    The file is written to a temporary name in the same directory and then renamed, so
    an interrupted save never leaves a half-written file behind.

    Parameters
    ----------
    fname : str or os.PathLike
    data : NDArray, list of NDArray or dict of str to NDArray
        A dict is loaded back as a dict; a list or single array as a list.

    Examples
    --------
    >>> import mxlite as mx, os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), 'w.params')
    >>> mx.nd.save(path, {'arg:w': mx.nd.ones((2, 2))})
    >>> os.path.getsize(path)
    101
    """
    path = _check_fname(fname, 'save')
    chunks = list(_chunks(data))          # validate everything before touching the disk
    directory = os.path.dirname(os.path.abspath(path))
    tmp = os.path.join(directory, '.%s.%d.%s.tmp' % (os.path.basename(path), os.getpid(),
                                                    os.urandom(4).hex()))
    # os.open with 0o666 lets the umask decide the mode, as a plain open() would
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, 'O_BINARY', 0),
                     0o666)
    except OSError as exc:
        raise MXNetError('cannot save NDArray file %r: %s' % (path, exc.strerror or exc)) from exc
    try:
        with os.fdopen(fd, 'wb') as f:
            for chunk in chunks:
                f.write(chunk)
        os.replace(tmp, path)
    except BaseException as exc:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        if isinstance(exc, OSError):
            raise MXNetError('cannot save NDArray file %r: %s'
                             % (path, exc.strerror or exc)) from exc
        raise
