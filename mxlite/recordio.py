"""MXNet's RecordIO (``.rec`` / ``.idx``) in pure Python, byte-compatible with MXNet 1.9.1.

A ``.rec`` file is a sequence of records; each record is one or more parts::

    part    := u32 magic 0xced7230a | u32 lrec | data[len] | zero pad to a multiple of 4
    lrec    := cflag << 29 | len          (len < 2**29; all integers little-endian)

``cflag`` is 0 for a record stored whole. MXNet's writer looks for the magic word at
every 4-byte-aligned offset of the payload (so that a reader scanning a file for record
starts never mistakes payload for a header); where it finds one it cuts the payload there
and drops those 4 bytes: the pieces are written as parts with cflag 1 (first), 2 (middle)
and 3 (last), and a reader joins them with the magic word between. Pieces before the
last are multiples of 4 bytes long, so only the last one is padded.

A ``.idx`` file is text, one ``key<TAB>byte offset<LF>`` line per record.

``pack``/``unpack`` add MXNet's 24-byte image-record header (struct ``IfQQ``: flag,
label, id, id2); when ``flag > 0`` the label is an array of ``flag`` float32 values
stored right after the header. ``pack_img``/``unpack_img`` also need an image codec:
OpenCV (``cv2``, as MXNet uses) or else Pillow, both optional and imported on first use.
"""
import io
import numbers
import os
import struct
from collections import namedtuple

import numpy as np

from .base import MXNetError

__all__ = ['MXRecordIO', 'MXIndexedRecordIO', 'IRHeader', 'pack', 'unpack', 'pack_img',
           'unpack_img']

MAGIC = 0xced7230a
_MAGIC_BYTES = struct.pack('<I', MAGIC)
_HEAD = struct.Struct('<II')          # magic, lrec
_LEN_BITS = 29
_LEN_MASK = (1 << _LEN_BITS) - 1
_MAX_RECORD = 1 << _LEN_BITS          # MXNet's writer refuses records this long or longer

IRHeader = namedtuple('HEADER', ['flag', 'label', 'id', 'id2'])
IRHeader.__doc__ = """The header of an image record (an alias of ``HEADER``, as in MXNet).

Parameters
----------
flag : int
    Free for the user when the label is a number; `pack` sets it to the label's length
    when the label is an array.
label : float or array of float
    The label(s) of the record.
id : int
    Usually a unique id of the record (unsigned 64-bit).
id2 : int
    Higher-order bits of the id; usually 0.
"""
# '<' pins the little-endian layout MXNet writes on x86/ARM; 'IfQQ' needs no padding there
_IR_FORMAT = '<IfQQ'
_IR_SIZE = struct.calcsize(_IR_FORMAT)      # 24


def _as_bytes(buf, what):
    if isinstance(buf, str):        # MXNet's Python 2-era examples write str records
        return buf.encode('utf-8')
    try:
        return memoryview(buf).cast('B')
    except TypeError:
        raise TypeError('%s must be bytes-like (bytes, bytearray, memoryview) or str, '
                        'not %s' % (what, type(buf).__name__)) from None


def _encode_record(buf):
    """The bytes MXNet's writer emits for one payload (see the module docstring)."""
    n = len(buf)
    if n >= _MAX_RECORD:
        raise MXNetError('RecordIO records must be shorter than 2**29 bytes; this one has '
                         '%d' % n)
    aligned = n & ~3
    # every 4-byte-aligned position holding the magic word, found without a Python loop
    cuts = []
    if aligned:         # (older NumPy refuses frombuffer on an empty buffer)
        words = np.frombuffer(buf, dtype='<u4', count=aligned // 4)
        cuts = (np.flatnonzero(words == MAGIC) * 4).tolist()
    out = []
    start = 0
    for cut in cuts:
        out.append(_HEAD.pack(MAGIC, ((1 if start == 0 else 2) << _LEN_BITS) | (cut - start)))
        out.append(buf[start:cut])
        start = cut + 4
    out.append(_HEAD.pack(MAGIC, ((3 if cuts else 0) << _LEN_BITS) | (n - start)))
    out.append(buf[start:])
    out.append(b'\0' * (-n % 4))
    return b''.join(out)


class MXRecordIO:
    """Reads or writes a RecordIO file record by record, as MXNet's ``MXRecordIO``.

    Parameters
    ----------
    uri : str or os.PathLike
        Path of the ``.rec`` file (a local file; MXNet's ``s3://``/``hdfs://`` are not
        supported).
    flag : {'r', 'w'}
        ``'r'`` to read; ``'w'`` to write (the file is created or truncated).

    Notes
    -----
    The file is opened by the constructor; ``close()`` closes it and ``reset()`` reopens
    it (reading starts again from the first record; writing truncates the file again).
    ``read()`` returns the next record as ``bytes``, or None at the end of the file.
    ``tell()`` gives the byte offset of the next record in either mode.

    A record object pickles (e.g. into DataLoader worker processes): the copy reopens
    the file from the start if the original was open. Unlike MXNet, pickling leaves the
    original open, and an open writer refuses to pickle because its copy would truncate
    the file being written. As in MXNet, a reader inherited by another process must
    ``reset()`` (or ``seek`` an indexed one) before reading, so that the two processes
    do not share one file offset.

    Examples
    --------
    >>> record = mx.recordio.MXRecordIO('tmp.rec', 'w')
    >>> for i in range(3):
    ...     record.write(b'record_%d' % i)
    >>> record.close()
    >>> record = mx.recordio.MXRecordIO('tmp.rec', 'r')
    >>> record.read(), record.read(), record.read(), record.read()
    (b'record_0', b'record_1', b'record_2', None)
    >>> record.close()
    """

    def __init__(self, uri, flag):
        self.uri = os.fspath(uri)
        self.flag = flag
        self.pid = None
        self.is_open = False
        self.writable = flag == 'w'
        self._file = None
        self.open()

    # ------------------------------------------------------------------ lifecycle
    def open(self):
        """Opens the record file (called by the constructor and by `reset`)."""
        if self.flag not in ('r', 'w'):
            raise ValueError("Invalid flag %r: MXRecordIO takes 'r' (read) or 'w' (write)"
                             % (self.flag,))
        self.close()
        self._file = open(self.uri, 'wb' if self.flag == 'w' else 'rb')
        self.writable = self.flag == 'w'
        self.pid = os.getpid()
        self.is_open = True

    def close(self):
        """Closes the record file; closing twice is harmless."""
        if not getattr(self, 'is_open', False):
            return
        self.is_open = False
        self.pid = None
        self._file.close()
        self._file = None

    def __del__(self):
        try:
            self.close()
        except Exception:       # interpreter shutdown: nothing useful left to do
            pass

    def reset(self):
        """Reopens the file: reading restarts at the first record, writing truncates."""
        self.close()
        self.open()

    def __getstate__(self):
        if self.is_open and self.writable:
            raise MXNetError('cannot pickle %s %r while it is open for writing: the copy '
                             "would reopen it with 'w' and truncate it; close() it first"
                             % (type(self).__name__, self.uri))
        state = dict(self.__dict__)
        state['_file'] = None
        state['pid'] = None
        return state

    def __setstate__(self, state):
        was_open = state['is_open']
        self.__dict__.update(state)
        self.is_open = False
        if was_open:
            self.open()

    def _check(self, writing, allow_reset=False):
        name = type(self).__name__
        if not self.is_open:
            raise MXNetError('%s %r is closed; call reset() or open() to reopen it'
                             % (name, self.uri))
        if writing != self.writable:
            raise MXNetError("%s %r was opened with flag %r: cannot %s it"
                             % (name, self.uri, self.flag, 'write' if writing else 'read'))
        if self.pid != os.getpid():
            # a forked child shares the parent's file offset; MXNet forbids this as well
            if allow_reset:
                self.reset()
            else:
                raise MXNetError('%s %r was opened in process %d and is used in process '
                                 '%d; call reset() in the new process first'
                                 % (name, self.uri, self.pid, os.getpid()))

    # ------------------------------------------------------------------ records
    def tell(self):
        """The byte offset in the file where the next record will be read or written."""
        if not self.is_open:
            raise MXNetError('%s %r is closed' % (type(self).__name__, self.uri))
        return self._file.tell()

    def write(self, buf):
        """Appends `buf` (bytes-like; str is UTF-8 encoded) as one record."""
        self._check(writing=True)
        self._file.write(_encode_record(_as_bytes(buf, 'the record')))

    def read(self):
        """The next record as bytes, or None at the end of the file.

        Raises `MXNetError` naming the file and the byte offset for a corrupt or
        truncated record, and leaves the read position at that record's start.
        """
        self._check(writing=False)
        f = self._file
        start = f.tell()
        try:
            return self._read_parts(f, start)
        except MXNetError:
            f.seek(start)
            raise

    def _fail(self, what, offset):
        raise MXNetError('invalid RecordIO file %r: %s at byte offset %d'
                         % (self.uri, what, offset))

    def _read_parts(self, f, start):
        pieces = []
        pos = start
        while True:
            head = f.read(_HEAD.size)
            if not head and not pieces:
                return None
            if len(head) < _HEAD.size:
                self._fail('truncated: a record header needs 8 bytes but %d remain%s'
                           % (len(head), ' (the record started with a cflag-1 part at '
                              'offset %d and has no last part)' % start if pieces else ''),
                           pos)
            magic, lrec = _HEAD.unpack(head)
            if magic != MAGIC:
                self._fail('bad magic 0x%08x (expected 0x%08x)' % (magic, MAGIC), pos)
            cflag, length = lrec >> _LEN_BITS, lrec & _LEN_MASK
            # MXNet writes 0 (whole) or 1, 2.., 3; anything else is a broken file
            expected = (0, 1) if not pieces else (2, 3)
            if cflag not in expected:
                self._fail('part with continuation flag %d where %s was expected'
                           % (cflag, ' or '.join(map(str, expected))), pos)
            padded = (length + 3) & ~3
            body = f.read(padded)
            if len(body) < padded:
                self._fail('truncated: the record needs %d bytes (%d padded) but %d remain'
                           % (length, padded, len(body)), pos)
            pieces.append(body[:length] if padded != length else body)
            pos += _HEAD.size + padded
            if cflag in (0, 3):
                return pieces[0] if len(pieces) == 1 else _MAGIC_BYTES.join(pieces)


class MXIndexedRecordIO(MXRecordIO):
    r"""A RecordIO file with a ``.idx`` index of record offsets, for random access.

    Parameters
    ----------
    idx_path : str or os.PathLike
        Path of the index file: text lines ``key<TAB>offset``.
    uri : str or os.PathLike
        Path of the ``.rec`` file.
    flag : {'r', 'w'}
        ``'r'`` to read; ``'w'`` to write (both files are created or truncated).
    key_type : callable, default int
        Converts the keys read from (and given to ``write_idx`` for) the index.

    Notes
    -----
    ``keys`` is the list of keys in file order and ``idx`` maps each key to its byte
    offset, as in MXNet. ``write_idx(key, buf)`` appends a record and its index line;
    ``read_idx(key)`` = ``seek(key)`` then ``read()``. Sequential ``read()``/``write()``
    work too.

    Examples
    --------
    >>> record = mx.recordio.MXIndexedRecordIO('tmp.idx', 'tmp.rec', 'w')
    >>> for i in range(3):
    ...     record.write_idx(i, b'record_%d' % i)
    >>> record.close()
    >>> with open('tmp.idx') as f:
    ...     f.read()
    '0\t0\n1\t16\n2\t32\n'
    >>> record = mx.recordio.MXIndexedRecordIO('tmp.idx', 'tmp.rec', 'r')
    >>> record.keys
    [0, 1, 2]
    >>> record.read_idx(2), record.read_idx(0)
    (b'record_2', b'record_0')
    >>> record.close()
    """

    def __init__(self, idx_path, uri, flag, key_type=int):
        self.idx_path = os.fspath(idx_path)
        self.idx = {}
        self.keys = []
        self.key_type = key_type
        self.fidx = None
        super().__init__(uri, flag)

    def open(self):
        """Opens the record file and the index (reading the index in 'r' mode)."""
        super().open()
        self.idx = {}
        self.keys = []
        try:
            if self.writable:
                self.fidx = open(self.idx_path, 'w', encoding='utf-8', newline='\n')
            else:
                self.fidx = open(self.idx_path, 'r', encoding='utf-8')
                self._load_index()
        except BaseException:
            super().close()
            if self.fidx is not None:
                self.fidx.close()
                self.fidx = None
            raise

    def _load_index(self):
        for lineno, line in enumerate(self.fidx, 1):
            fields = line.strip().split('\t')
            if fields == ['']:
                continue            # a blank line (e.g. a trailing one) holds no entry
            try:
                if len(fields) < 2:
                    raise ValueError('expected key<TAB>offset')
                key, offset = self.key_type(fields[0]), int(fields[1])
            except ValueError as exc:
                raise MXNetError('invalid RecordIO index %r line %d %r: %s'
                                 % (self.idx_path, lineno, line.rstrip('\n'), exc)) from None
            self.keys.append(key)       # a repeated key is listed twice, as in MXNet
            self.idx[key] = offset

    def close(self):
        """Closes the record file and the index."""
        if not getattr(self, 'is_open', False):
            return
        super().close()
        if self.fidx is not None:
            self.fidx.close()
            self.fidx = None

    def __getstate__(self):
        state = super().__getstate__()
        state['fidx'] = None
        return state

    def seek(self, idx):
        """Moves the read position to the record with key `idx` (read mode only)."""
        self._check(writing=False, allow_reset=True)
        try:
            pos = self.idx[idx]
        except KeyError:
            raise KeyError('key %r is not in the RecordIO index %r (%d keys)'
                           % (idx, self.idx_path, len(self.idx))) from None
        self._file.seek(pos)

    def read_idx(self, idx):
        """The record with key `idx`, as bytes."""
        self.seek(idx)
        return self.read()

    def write_idx(self, idx, buf):
        """Appends `buf` as a record and records its offset under key `idx`."""
        key = self.key_type(idx)
        self._check(writing=True)
        pos = self.tell()
        self.write(buf)
        self.fidx.write('%s\t%d\n' % (key, pos))
        self.idx[key] = pos
        self.keys.append(key)


# ---------------------------------------------------------------------- image records
def pack(header, s):
    """Packs a header and a payload into an image record (bytes).

    Parameters
    ----------
    header : IRHeader or 4-sequence
        ``(flag, label, id, id2)``. A number label is stored in the header (and `flag` is
        set to 0); an array label is stored as float32 values after the header, with
        `flag` set to its length and the header's label to 0.
    s : bytes
        The payload (e.g. an encoded image).

    Examples
    --------
    >>> rec = mx.recordio.pack(mx.recordio.IRHeader(0, [1, 2.5], 7, 0), b'data')
    >>> len(rec)
    36
    >>> header, payload = mx.recordio.unpack(rec)
    >>> header.flag, header.label.tolist(), header.id, payload
    (2, [1.0, 2.5], 7, b'data')
    """
    header = IRHeader(*header)
    s = bytes(_as_bytes(s, 'the payload'))
    if isinstance(header.label, numbers.Number):
        header = header._replace(flag=0)
    else:
        label = np.asarray(header.label, dtype=np.float32)
        header = header._replace(flag=label.size, label=0)
        s = label.astype('<f4').tobytes() + s
    try:
        return struct.pack(_IR_FORMAT, *header) + s
    except struct.error as exc:
        raise MXNetError('cannot pack IRHeader%s: %s (flag and id/id2 are unsigned 32- and '
                         '64-bit integers, label a float)' % (tuple(header), exc)) from None


def unpack(s):
    """Splits an image record into its `IRHeader` and payload.

    The label is a float, or (when ``flag > 0``) a float32 array of ``flag`` values.

    Examples
    --------
    >>> header, payload = mx.recordio.unpack(mx.recordio.pack((0, 3.0, 1, 0), b'x'))
    >>> header, payload
    (HEADER(flag=0, label=3.0, id=1, id2=0), b'x')
    """
    s = bytes(_as_bytes(s, 'the record'))
    if len(s) < _IR_SIZE:
        raise MXNetError('image record is %d bytes, shorter than the %d-byte IRHeader'
                         % (len(s), _IR_SIZE))
    header = IRHeader(*struct.unpack(_IR_FORMAT, s[:_IR_SIZE]))
    s = s[_IR_SIZE:]
    if header.flag > 0:
        if len(s) < 4 * header.flag:
            raise MXNetError('image record says it has %d float32 labels (%d bytes) but '
                             'only %d bytes follow the header'
                             % (header.flag, 4 * header.flag, len(s)))
        header = header._replace(label=np.frombuffer(s, '<f4', header.flag)
                                 .astype(np.float32))
        s = s[header.flag * 4:]
    return header, s


_NO_CODEC = ('mx.recordio.%s needs an image codec: install OpenCV '
             '(pip install opencv-python-headless) or Pillow (pip install Pillow)')


def _codec(func):
    """('cv2', module) or ('pil', PIL.Image); OpenCV first, as MXNet uses it."""
    try:
        import cv2
        return 'cv2', cv2
    except ImportError:
        pass
    try:
        from PIL import Image
        return 'pil', Image
    except ImportError:
        raise MXNetError(_NO_CODEC % func) from None


def pack_img(header, img, quality=95, img_fmt='.jpg'):
    """Encodes an image and packs it with `header` into an image record.

    Parameters
    ----------
    header : IRHeader or 4-sequence
        See `pack`.
    img : numpy.ndarray
        uint8 image in OpenCV's layout: (H, W) grey, (H, W, 3) BGR or (H, W, 4) BGRA.
    quality : int, default 95
        JPEG quality (0-100); for PNG the zlib compression level (0-9, larger values are
        clipped to 9).
    img_fmt : str, default '.jpg'
        The encoding, as a file extension ('.jpg', '.png', ...).

    Needs OpenCV (``cv2``) or Pillow; raises `MXNetError` saying what to install when
    neither is importable.
    """
    kind, mod = _codec('pack_img')
    if hasattr(img, 'asnumpy'):
        img = img.asnumpy()
    img = np.asarray(img)
    fmt = img_fmt.upper()
    if kind == 'cv2':
        params = []
        if fmt in ('.JPG', '.JPEG'):
            params = [mod.IMWRITE_JPEG_QUALITY, quality]
        elif fmt == '.PNG':
            params = [mod.IMWRITE_PNG_COMPRESSION, quality]
        ok, buf = mod.imencode(img_fmt, img, params)
        if not ok:
            raise MXNetError('pack_img: OpenCV failed to encode a %s %s image as %r'
                             % (img.shape, img.dtype, img_fmt))
        data = buf.tobytes()
    else:
        data = _pil_encode(mod, img, quality, img_fmt)
    return pack(header, data)


def unpack_img(s, iscolor=-1):
    """Unpacks an image record into its `IRHeader` and decoded image.

    Parameters
    ----------
    s : bytes
        A record made by `pack_img`.
    iscolor : int, default -1
        OpenCV's ``imdecode`` flag: -1 keeps the stored channels (grey stays (H, W),
        alpha is kept), 0 gives (H, W) grey, 1 gives (H, W, 3) BGR.

    Returns
    -------
    header : IRHeader
    img : numpy.ndarray or None
        uint8 image in OpenCV's BGR layout; None when the payload cannot be decoded (as
        ``cv2.imdecode`` returns, so MXNet code that checks for None keeps working).
    """
    header, s = unpack(s)
    kind, mod = _codec('unpack_img')
    if kind == 'cv2':
        img = mod.imdecode(np.frombuffer(s, dtype=np.uint8), iscolor)
    else:
        img = _pil_decode(mod, s, iscolor)
    return header, img


def _pil_encode(Image, img, quality, img_fmt):
    fmt = Image.registered_extensions().get(img_fmt.lower())
    if fmt is None:
        raise MXNetError('pack_img: Pillow does not know the image format %r' % (img_fmt,))
    if img.dtype != np.uint8:
        raise MXNetError('pack_img: the Pillow codec encodes uint8 images only, not %s; '
                         'install OpenCV for other dtypes' % img.dtype)
    if img.ndim == 3 and img.shape[2] == 1:
        img = img[:, :, 0]
    if img.ndim == 3 and img.shape[2] in (3, 4):
        # OpenCV's channel order is BGR(A); Pillow's is RGB(A)
        img = img[:, :, [2, 1, 0, 3][:img.shape[2]]]
    elif img.ndim != 2:
        raise MXNetError('pack_img: expected an (H, W), (H, W, 3) or (H, W, 4) image, got '
                         'shape %s' % (img.shape,))
    pil = Image.fromarray(np.ascontiguousarray(img))
    options = {}
    if fmt == 'JPEG':
        options['quality'] = int(quality)
        if pil.mode == 'RGBA':      # JPEG has no alpha; OpenCV drops it too
            pil = pil.convert('RGB')
    elif fmt == 'PNG':
        options['compress_level'] = int(min(max(quality, 0), 9))
    out = io.BytesIO()
    pil.save(out, format=fmt, **options)
    return out.getvalue()


def _pil_decode(Image, data, iscolor):
    try:
        pil = Image.open(io.BytesIO(data))
        pil.load()
    except Exception:       # Pillow raises several types for bad data; cv2 returns None
        return None
    if iscolor == 0:
        return np.asarray(pil.convert('L'))
    if iscolor > 0:
        return np.ascontiguousarray(np.asarray(pil.convert('RGB'))[:, :, ::-1])
    # unchanged: grey stays grey, alpha stays; other modes become RGB(A) as OpenCV does
    if pil.mode == 'L' or pil.mode.startswith('I;16'):
        return np.asarray(pil)
    has_alpha = 'A' in pil.mode or 'transparency' in pil.info
    arr = np.asarray(pil.convert('RGBA' if has_alpha else 'RGB'))
    return np.ascontiguousarray(arr[:, :, [2, 1, 0, 3][:arr.shape[2]]])
