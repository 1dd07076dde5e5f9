"""TensorBoard event files, written (and read back) with nothing but the standard library
and NumPy.

An event file is a sequence of TFRecords; each record holds one serialized ``Event``
protocol buffer. Both layers are small enough to write by hand, so mxlite needs neither
TensorFlow, ``tensorboard`` nor ``protobuf`` to produce logs that TensorBoard reads:

* TFRecord framing: ``uint64 length | uint32 masked_crc32c(length) | data |
  uint32 masked_crc32c(data)``, little endian, CRC-32C (Castagnoli) from a 256-entry
  table.
* Protocol buffers, the few messages TensorBoard's scalar, histogram and graph tabs read:
  ``Event{wall_time=1, step=2, file_version=3 | graph_def=4 | summary=5}``,
  ``Summary{value=1: Value{tag=1, simple_value=2 | histo=5}}``,
  ``HistogramProto{min=1, max=2, num=3, sum=4, sum_squares=5, bucket_limit=6,
  bucket=7}`` and ``GraphDef{node=1: NodeDef{name=1, op=2, input=3, attr=5}}``.

`SummaryWriter` is the user-facing class (its method names follow mxboard's, which MXNet
1.x's ``mx.contrib.tensorboard`` used); `read_events` decodes a file or a log folder
again, checking every CRC, for tests and for scripts without TensorBoard installed.

Examples
--------
>>> import tempfile, mxlite.tensorboard_writer as tbw
>>> logdir = tempfile.mkdtemp()
>>> with tbw.SummaryWriter(logdir) as sw:
...     sw.add_scalar('loss', 0.5, global_step=3)
>>> [(e['step'], e['summary'][0]['tag']) for e in tbw.read_events(logdir) if 'summary' in e]
[(3, 'loss')]
"""
import json
import os
import socket
import struct
import time
import weakref

import numpy as np

from .base import MXNetError

__all__ = ['SummaryWriter', 'read_events', 'crc32c', 'masked_crc32c', 'encode_event',
           'scalar_summary', 'histogram_summary', 'histogram_proto', 'graph_def']

# ---------------------------------------------------------------------- CRC-32C


def _make_crc_table():
    poly = 0x82F63B78  # Castagnoli polynomial, bit-reversed
    table = []
    for n in range(256):
        c = n
        for _ in range(8):
            c = (c >> 1) ^ poly if c & 1 else c >> 1
        table.append(c)
    return tuple(table)


_CRC_TABLE = _make_crc_table()


def crc32c(data, crc=0):
    """CRC-32C (Castagnoli) of `data`, continuing from `crc`.

    >>> hex(crc32c(b'123456789'))
    '0xe3069283'
    """
    table = _CRC_TABLE
    crc ^= 0xFFFFFFFF
    for b in data:
        crc = table[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def masked_crc32c(data):
    """The CRC TFRecord stores: rotated right by 15 bits plus a constant, so that a CRC
    of data that itself holds CRCs stays well distributed."""
    crc = crc32c(data)
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def frame_record(data):
    """One TFRecord: length, its masked CRC, the data, the data's masked CRC."""
    header = struct.pack('<Q', len(data))
    return b''.join((header, struct.pack('<I', masked_crc32c(header)), data,
                     struct.pack('<I', masked_crc32c(data))))


# ---------------------------------------------------------------------- protobuf encoding
def _varint(n):
    if n < 0:  # int64 fields: two's complement over 10 bytes, as protobuf does
        n += 1 << 64
    out = bytearray()
    while True:
        bits = n & 0x7F
        n >>= 7
        if n:
            out.append(bits | 0x80)
        else:
            out.append(bits)
            return bytes(out)


def _key(field, wire):
    return _varint((field << 3) | wire)


def _int(field, n):
    return _key(field, 0) + _varint(int(n))


def _double(field, x):
    return _key(field, 1) + struct.pack('<d', float(x))


def _float(field, x):
    return _key(field, 5) + struct.pack('<f', float(x))


def _bytes(field, data):
    if isinstance(data, str):
        data = data.encode('utf-8')
    return _key(field, 2) + _varint(len(data)) + data


def _packed_doubles(field, values):
    values = np.asarray(values, dtype='<f8')
    return _bytes(field, values.tobytes())


def encode_event(wall_time=None, step=0, file_version=None, summary=None, graph_def=None):
    """A serialized ``Event``; `summary` and `graph_def` are already serialized bytes."""
    parts = [_double(1, time.time() if wall_time is None else wall_time)]
    if step:
        parts.append(_int(2, step))
    if file_version is not None:
        parts.append(_bytes(3, file_version))
    if graph_def is not None:
        parts.append(_bytes(4, graph_def))
    if summary is not None:
        parts.append(_bytes(5, summary))
    return b''.join(parts)


def scalar_summary(tag, value):
    """A serialized ``Summary`` holding one ``simple_value`` (stored as float32)."""
    return _bytes(1, _bytes(1, tag) + _float(2, value))


def _histogram_counts(values, bins):
    """(min, max, num, sum, sum_squares, bucket_limit, bucket) over the finite values."""
    data = np.asarray(values, dtype=np.float64).ravel()
    finite = np.isfinite(data)
    if not finite.all():
        data = data[finite]
    if data.size == 0:
        return 0.0, 0.0, 0, 0.0, 0.0, [0.0], [0.0]
    lo, hi = float(data.min()), float(data.max())
    if lo == hi:
        counts, limits = np.array([data.size]), np.array([hi])
    else:
        counts, edges = np.histogram(data, bins=bins, range=None if np.ndim(bins) else (lo, hi))
        limits = edges[1:]
    return (lo, hi, int(data.size), float(data.sum()), float(np.dot(data, data)),
            limits, counts)


def histogram_proto(values, bins=30):
    """A serialized ``HistogramProto`` of `values` (non-finite values are left out).

    `bins` is an int (equal-width buckets from min to max) or a sequence of edges, as in
    ``numpy.histogram``; each ``bucket_limit`` is a bucket's right edge.
    """
    lo, hi, num, total, sq, limits, counts = _histogram_counts(values, bins)
    return b''.join((_double(1, lo), _double(2, hi), _double(3, num), _double(4, total),
                     _double(5, sq), _packed_doubles(6, limits), _packed_doubles(7, counts)))


def histogram_summary(tag, values, bins=30):
    """A serialized ``Summary`` holding one histogram."""
    return _bytes(1, _bytes(1, tag) + _bytes(5, histogram_proto(values, bins)))


# ---------------------------------------------------------------------- the network graph
def _shape_proto(shape):
    # TensorShapeProto{dim=2: Dim{size=1}}; an unknown dimension is -1
    return b''.join(_bytes(2, _int(1, -1 if d is None else d)) for d in shape)


def _attr_entry(key, attr_value):
    return _bytes(5, _bytes(1, key) + _bytes(2, attr_value))


def _output_shapes(symbol, shapes, n_nodes):
    """{node index: [shape per visible output]} for a Symbol given input shapes, else {}."""
    if not shapes:
        return {}
    try:
        from .graph.ir import topo_order
        nodes = topo_order(symbol._entries)
        if len(nodes) != n_nodes:
            return {}
        internals = symbol.get_internals()
        _, out_shapes, _ = internals.infer_shape_partial(**shapes)
        by_name = dict(zip(internals.list_outputs(), out_shapes or []))
        result = {}
        for i, node in enumerate(nodes):
            names = node.output_names()[:node.num_visible_outputs()]
            found = [by_name.get(n) for n in names]
            if all(s is not None and len(s) > 0 for s in found):
                result[i] = [tuple(s) for s in found]
        return result
    except (MXNetError, ValueError, TypeError, AttributeError, KeyError):
        # shapes only decorate the graph; a network that cannot infer them still draws
        return {}


def graph_def(symbol, shapes=None):
    """A serialized ``GraphDef`` for TensorBoard's graph tab, from a symbol's JSON.

    Each MXNet node becomes a ``NodeDef`` with its name, its op (``null`` for variables,
    as in the JSON) and its inputs (``name`` or ``name:k`` for output k); its attributes
    are kept as string attrs, and, when `shapes` (input name -> shape) are given, each
    node gets ``_output_shapes`` so TensorBoard labels the edges with tensor shapes.

    Parameters
    ----------
    symbol : Symbol, str or dict
        A symbol, its JSON text or the parsed JSON.
    shapes : dict, optional
        Shapes of the inputs (``{'data': (32, 784)}``).
    """
    if isinstance(symbol, dict):
        doc = symbol
    elif isinstance(symbol, (str, bytes)):
        doc = json.loads(symbol)
    else:
        doc = json.loads(symbol.tojson())
    nodes = doc['nodes']
    out_shapes = {} if isinstance(symbol, (str, bytes, dict)) else \
        _output_shapes(symbol, shapes, len(nodes))
    parts = []
    for i, node in enumerate(nodes):
        body = [_bytes(1, node['name']), _bytes(2, node['op'])]
        for src, k, *_ in node.get('inputs', []):
            src_name = nodes[src]['name']
            body.append(_bytes(3, src_name if k == 0 else '%s:%d' % (src_name, k)))
        attrs = node.get('attrs', node.get('attr', node.get('param', {}))) or {}
        for key in sorted(attrs):
            body.append(_attr_entry(key, _bytes(2, str(attrs[key]))))
        if i in out_shapes:
            # AttrValue{list=1: ListValue{shape=7: TensorShapeProto}}
            shape_list = b''.join(_bytes(7, _shape_proto(s)) for s in out_shapes[i])
            body.append(_attr_entry('_output_shapes', _bytes(1, shape_list)))
        parts.append(_bytes(1, b''.join(body)))
    return b''.join(parts)


# ---------------------------------------------------------------------- the writer
class SummaryWriter:
    """Writes scalars, histograms and a network graph to a TensorBoard event file.

    The file is ``<logdir>/events.out.tfevents.<time>.<host>.<pid>.<n><filename_suffix>``;
    run ``tensorboard --logdir <logdir>`` to view it. No TensorBoard installation is
    needed to write.

    Parameters
    ----------
    logdir : str
        Folder for the event file (created if missing).
    flush_secs : float
        Records are flushed to disk at least this often (and by `flush`/`close`).
    filename_suffix : str
        Appended to the file name.

    Examples
    --------
    >>> import tempfile, numpy as np, mxlite as mx
    >>> from mxlite.tensorboard_writer import SummaryWriter
    >>> sw = SummaryWriter(tempfile.mkdtemp())
    >>> sw.add_scalar('accuracy', 0.9, global_step=1)
    >>> sw.add_histogram('fc1_weight', np.random.randn(100), global_step=1)
    >>> sw.add_graph(mx.sym.FullyConnected(mx.sym.var('data'), num_hidden=2, name='fc'))
    >>> sw.close()
    """

    _counter = 0

    def __init__(self, logdir, flush_secs=10, filename_suffix=''):
        self.logdir = str(logdir)
        os.makedirs(self.logdir, exist_ok=True)
        SummaryWriter._counter += 1
        name = 'events.out.tfevents.%010d.%s.%d.%d%s' % (
            int(time.time()), socket.gethostname(), os.getpid(), SummaryWriter._counter,
            filename_suffix)
        self.path = os.path.join(self.logdir, name)
        self.flush_secs = flush_secs
        self._file = open(self.path, 'wb')
        # the file is closed (and flushed) even if the user never calls close()
        self._finalizer = weakref.finalize(self, self._file.close)
        self._last_flush = time.time()
        self._write(encode_event(file_version='brain.Event:2'))
        self.flush()

    def _write(self, event):
        if self._file.closed:
            raise MXNetError('SummaryWriter: %s is closed' % self.path)
        self._file.write(frame_record(event))
        if time.time() - self._last_flush >= self.flush_secs:
            self.flush()

    def add_scalar(self, tag, value, global_step=None, wall_time=None):
        """Log one scalar `value` (a number, or a one-element array) under `tag`."""
        value = float(np.asarray(getattr(value, 'asnumpy', lambda: value)()).reshape(()))
        self._write(encode_event(wall_time, global_step or 0,
                                 summary=scalar_summary(tag, value)))

    def add_histogram(self, tag, values, global_step=None, bins=30, wall_time=None):
        """Log a histogram of `values` (NDArray or array-like; NaN/Inf left out).

        `bins`: an int (equal-width buckets between min and max) or the bucket edges.
        """
        values = values.asnumpy() if hasattr(values, 'asnumpy') else values
        self._write(encode_event(wall_time, global_step or 0,
                                 summary=histogram_summary(tag, values, bins)))

    def add_graph(self, symbol, shapes=None):
        """Log the network graph of `symbol` (see `graph_def`; shapes label the edges)."""
        self._write(encode_event(graph_def=graph_def(symbol, shapes)))

    def flush(self):
        """Push the records written so far to the file."""
        if not self._file.closed:
            self._file.flush()
        self._last_flush = time.time()

    def close(self):
        """Flush and close the file; the writer cannot be used afterwards."""
        self.flush()
        self._finalizer()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


# ---------------------------------------------------------------------- reading back
def _read_varint(buf, pos):
    result = shift = 0
    while True:
        b = buf[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            return result, pos
        shift += 7


def _fields(buf):
    """[(field number, wire type, value)] of one message; values raw (ints or bytes)."""
    out = []
    pos, end = 0, len(buf)
    while pos < end:
        key, pos = _read_varint(buf, pos)
        field, wire = key >> 3, key & 7
        if wire == 0:
            value, pos = _read_varint(buf, pos)
        elif wire == 1:
            value, pos = buf[pos:pos + 8], pos + 8
        elif wire == 2:
            n, pos = _read_varint(buf, pos)
            value, pos = buf[pos:pos + n], pos + n
        elif wire == 5:
            value, pos = buf[pos:pos + 4], pos + 4
        else:
            raise ValueError('unsupported protobuf wire type %d' % wire)
        out.append((field, wire, value))
    if pos != end:
        raise ValueError('protobuf message overruns its length')
    return out


def _decode_histo(buf):
    h = {'bucket_limit': [], 'bucket': []}
    names = {1: 'min', 2: 'max', 3: 'num', 4: 'sum', 5: 'sum_squares'}
    for field, wire, value in _fields(buf):
        if field in names:
            h[names[field]] = struct.unpack('<d', value)[0]
        elif field in (6, 7):
            key = 'bucket_limit' if field == 6 else 'bucket'
            if wire == 2:  # packed
                h[key].extend(np.frombuffer(bytes(value), dtype='<f8').tolist())
            else:
                h[key].append(struct.unpack('<d', value)[0])
    return h


def _decode_summary(buf):
    values = []
    for field, _, value in _fields(buf):
        if field != 1:
            continue
        item = {}
        for f, _, v in _fields(value):
            if f == 1:
                item['tag'] = bytes(v).decode('utf-8')
            elif f == 2:
                item['simple_value'] = struct.unpack('<f', v)[0]
            elif f == 5:
                item['histo'] = _decode_histo(v)
        values.append(item)
    return values


def _decode_attr_value(buf):
    for f, _, v in _fields(buf):
        if f == 2:
            return bytes(v).decode('utf-8')
        if f == 1:  # ListValue of shapes
            shapes = []
            for lf, _, lv in _fields(v):
                if lf == 7:
                    dims = []
                    for df, _, dv in _fields(lv):
                        if df == 2:
                            size = dict((a, b) for a, _, b in _fields(dv)).get(1, 0)
                            dims.append(size - (1 << 64) if size >= 1 << 63 else size)
                    shapes.append(tuple(dims))
            return shapes
    return None


def _decode_graph(buf):
    nodes = []
    for field, _, value in _fields(buf):
        if field != 1:
            continue
        node = {'name': '', 'op': '', 'input': [], 'attr': {}}
        for f, _, v in _fields(value):
            if f == 1:
                node['name'] = bytes(v).decode('utf-8')
            elif f == 2:
                node['op'] = bytes(v).decode('utf-8')
            elif f == 3:
                node['input'].append(bytes(v).decode('utf-8'))
            elif f == 5:
                entry = dict((a, b) for a, _, b in _fields(v))
                node['attr'][bytes(entry.get(1, b'')).decode('utf-8')] = \
                    _decode_attr_value(entry.get(2, b''))
        nodes.append(node)
    return {'node': nodes}


def decode_event(buf):
    """A dict from one serialized ``Event``: wall_time, step, and file_version,
    summary (a list of {tag, simple_value | histo}) or graph_def ({'node': [...]})."""
    event = {'wall_time': 0.0, 'step': 0}
    for field, _, value in _fields(buf):
        if field == 1:
            event['wall_time'] = struct.unpack('<d', value)[0]
        elif field == 2:
            event['step'] = value - (1 << 64) if value >= 1 << 63 else value
        elif field == 3:
            event['file_version'] = bytes(value).decode('utf-8')
        elif field == 4:
            event['graph_def'] = _decode_graph(value)
        elif field == 5:
            event['summary'] = _decode_summary(value)
    return event


def read_records(path):
    """The data of each TFRecord in `path`; a bad CRC or a truncated record raises
    MXNetError naming the file and the byte offset."""
    with open(path, 'rb') as f:
        buf = f.read()
    pos, out = 0, []
    while pos < len(buf):
        if pos + 12 > len(buf):
            raise MXNetError('%s: truncated record header at offset %d' % (path, pos))
        header = buf[pos:pos + 8]
        (length,) = struct.unpack('<Q', header)
        (crc,) = struct.unpack('<I', buf[pos + 8:pos + 12])
        if crc != masked_crc32c(header):
            raise MXNetError('%s: bad length CRC in the record at offset %d' % (path, pos))
        start = pos + 12
        if start + length + 4 > len(buf):
            raise MXNetError('%s: truncated record at offset %d (needs %d bytes, %d left)'
                             % (path, pos, length + 16, len(buf) - pos))
        data = buf[start:start + length]
        (crc,) = struct.unpack('<I', buf[start + length:start + length + 4])
        if crc != masked_crc32c(data):
            raise MXNetError('%s: bad data CRC in the record at offset %d' % (path, pos))
        out.append(data)
        pos = start + length + 4
    return out


def read_events(path):
    """Decode every event of an event file, or of every event file in a folder (in name
    order), as dicts (see `decode_event`)."""
    path = str(path)
    if os.path.isdir(path):
        files = sorted(os.path.join(path, n) for n in os.listdir(path) if 'tfevents' in n)
    else:
        files = [path]
    events = []
    for name in files:
        for k, data in enumerate(read_records(name)):
            try:
                events.append(decode_event(data))
            except (ValueError, IndexError, struct.error) as exc:
                raise MXNetError('%s: record %d is not a valid Event: %s'
                                 % (name, k, exc)) from None
    return events
