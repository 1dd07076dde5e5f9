"""LibSVMIter: mini-batches of CSR rows from LibSVM text files (MXNet's `mx.io.LibSVMIter`).

Files are read whole at construction into one CSR table (values, column indices, row
pointers); each batch gathers its rows from it. Batches are `CSRNDArray` objects made by
`mx.nd.sparse.csr_matrix`, which in mxlite keeps a dense copy (see `mxlite.ndarray.sparse`):
the sparse components are exactly the file's, while operators see the dense value.
"""
import os

import numpy as np

from ..base import MXNetError
from ..ndarray.ndarray import NDArray
from ..ndarray.sparse import csr_matrix
from .csv_iter import _shape
from .native import MXDataIter

__all__ = ['LibSVMIter']


class LibSVMFormatError(MXNetError, ValueError):
    """A line of a LibSVM file that cannot be read."""


def _no_file(value):
    return value is None or value == 'NULL'


def _files(spec, what):
    """The files `spec` names: a file, a directory (its files, by name) or 'a;b'."""
    out = []
    for part in str(spec).split(';'):
        if not part:
            continue
        if os.path.isdir(part):
            names = sorted(n for n in os.listdir(part)
                           if os.path.isfile(os.path.join(part, n)))
            out.extend(os.path.join(part, n) for n in names)
        elif os.path.isfile(part):
            out.append(part)
        else:
            raise FileNotFoundError("LibSVMIter: %s '%s' does not exist" % (what, part))
    if not out:
        raise MXNetError("LibSVMIter: %s '%s' holds no files" % (what, spec))
    return out


def _bad(path, lineno, msg, *args):
    raise LibSVMFormatError("LibSVMIter: %s line %d: %s" % (path, lineno, msg % args))


def _number(convert, text):
    """convert(text), or None when it is not a number of that kind."""
    try:
        return convert(text)
    except ValueError:
        return None


def _parse_line(path, lineno, text, cols, values):
    """The label of one line, its features appended to `cols`/`values`; None if blank.

    A line is ``label[:weight] [qid:N] index:value ... [# comment]``; the weight and the
    query id are read past, as MXNet's parser reads past them.
    """
    tokens = text.split('#', 1)[0].split()
    if not tokens:
        return None
    label = _number(float, tokens[0].split(':', 1)[0])
    if label is None:
        _bad(path, lineno, 'the label %r is not a number', tokens[0])
    start = 2 if len(tokens) > 1 and tokens[1].startswith('qid:') else 1
    for token in tokens[start:]:
        index, sep, value = token.partition(':')
        if not sep:
            _bad(path, lineno, 'feature %r is not index:value', token)
        col = _number(int, index)
        if col is None or col < 0:
            _bad(path, lineno, 'feature %r: the index must be a non-negative integer', token)
        val = _number(float, value)
        if val is None:
            _bad(path, lineno, 'feature %r: the value is not a number', token)
        cols.append(col)
        values.append(val)
    return label


def _read(spec, what):
    """Every row of the files: (labels, values, cols, indptr, line numbers, sources, parts).

    ``starts`` holds each row's byte offset in the concatenated files and ``at_file_start``
    whether it opens its file, for the byte-range partitioning of `_part_of`.
    """
    labels, values, cols, indptr = [], [], [], [0]
    where, starts, at_file_start = [], [], []
    offset = 0
    paths = _files(spec, what)
    for f, path in enumerate(paths):
        first = True
        with open(path, 'rb') as stream:
            for lineno, raw in enumerate(stream, 1):
                text = raw.decode('utf-8', errors='replace')
                label = _parse_line(path, lineno, text, cols, values)
                if label is not None:
                    labels.append(label)
                    indptr.append(len(cols))
                    where.append((f, lineno))
                    starts.append(offset)
                    at_file_start.append(first)
                first = False
                offset += len(raw)
    return {'labels': np.array(labels, dtype=np.float32),
            'values': np.array(values, dtype=np.float32),
            'cols': np.array(cols, dtype=np.int64),
            'indptr': np.array(indptr, dtype=np.int64),
            'where': where, 'paths': paths, 'total_bytes': offset,
            'starts': np.array(starts, dtype=np.int64),
            'at_file_start': np.array(at_file_start, dtype=bool)}


def _part_of(table, num_parts):
    """The part of each row when the bytes are cut into `num_parts` equal ranges.

    As MXNet's (dmlc) line splitter: a cut moves forward to the start of the next line,
    so a line belongs to the range its first byte falls in, a line starting exactly on a
    cut to the range before it, except at the start of a file.
    """
    if num_parts == 1:
        return np.zeros(table['starts'].shape, dtype=np.int64)
    step = max(-(-table['total_bytes'] // num_parts), 1)
    starts = table['starts']
    part = np.where(table['at_file_start'], starts // step, -(-starts // step) - 1)
    return np.clip(part, 0, num_parts - 1)


def _check_columns(table, width, what, shape_name):
    cols = table['cols']
    if not cols.size or cols.max() < width:
        return
    bad = int(np.argmax(cols >= width))
    row = int(np.searchsorted(table['indptr'], bad, side='right')) - 1
    f, lineno = table['where'][row]
    _bad(table['paths'][f], lineno, 'feature index %d is out of range for %s %s (%s '
         'indices are 0-based: a 1-based file needs a %s one larger)',
         int(cols[bad]), shape_name, (width,), what, shape_name)


def _gather(table, rows):
    """CSR components (values, cols, indptr) of the given rows, in that order."""
    indptr = table['indptr']
    begin, lengths = indptr[rows], indptr[rows + 1] - indptr[rows]
    out_ptr = np.zeros(len(rows) + 1, dtype=np.int64)
    np.cumsum(lengths, out=out_ptr[1:])
    # position k of the batch reads source entry begin[row] + (k - out_ptr[row])
    src = np.repeat(begin - out_ptr[:-1], lengths) + np.arange(out_ptr[-1])
    return table['values'][src], table['cols'][src], out_ptr


class LibSVMIter(MXDataIter):
    """Iterate over LibSVM files in mini-batches of CSR rows (MXNet's `mx.io.LibSVMIter`).

    Each line ``label index:value index:value ...`` is one sample of `data_shape`;
    feature indices are 0-based and taken as written, as MXNet reads them (a 1-based
    file therefore leaves column 0 empty, and its largest index needs a `data_shape`
    one larger). Blank lines, ``# comments``, a ``label:weight`` weight and a
    ``qid:N`` token are read past. Without `label_libsvm` the label is each line's first
    number, a dense (batch_size,) array; with it, the label is the features of the
    matching line of that file, a CSR batch of `label_shape` (that file's own leading
    labels are ignored). Unknown keyword arguments are ignored, as MXNet ignores them.

    Parameters
    ----------
    data_libsvm : str
        A file, a directory (all its files, in name order) or several paths joined by ';'.
    data_shape : tuple of int
        ``(num_features,)``; 1-D.
    batch_size : int
    label_libsvm : str, default 'NULL'
        Label file ('NULL' or None for labels from `data_libsvm`).
    label_shape : tuple of int, default (1,)
        ``(1,)`` without a label file; the label width (more than 1) with one.
    num_parts, part_index : int, default 1, 0
        Read only part `part_index` of `num_parts`: MXNet cuts the bytes of the files
        into equal ranges, each line going to the range it starts in, so parts hold about
        the same bytes, not the same number of lines. The label file's rows are those
        matching the data rows of the part.
    round_batch : bool, default True
        Complete the last batch with samples from the start (`pad` counts them) and
        begin the next epoch after them, as MXNet's batch loader does. MXNet supports only
        True here: with False, a row count that batch_size does not divide is refused.
    dtype : str, optional
        Type of the values (float32 by default).
    prefetch_buffer, ctx : ignored
        MXNet's prefetching options, accepted for compatibility.
    data_name : str, default 'data'
    label_name : str, default 'softmax_label'

    Notes
    -----
    Batches hold `CSRNDArray` data (and labels, with a label file) built by
    `mx.nd.sparse.csr_matrix`: ``.indices``/``.indptr``/``.data`` are the file's entries
    in file order (MXNet expects each row's indices ascending and keeps them as written;
    so does this), while the array stores a dense copy, as all sparse arrays in mxlite do.
    Malformed lines and out-of-range indices raise `MXNetError` naming the file and line.

    Examples
    --------
    >>> import os, tempfile
    >>> import mxlite as mx
    >>> path = os.path.join(tempfile.mkdtemp(), 'data.t')
    >>> with open(path, 'w') as f:
    ...     _ = f.write('1 0:0.5 2:1.5\\n-2\\n3 1:2.0\\n')
    >>> it = mx.io.LibSVMIter(data_libsvm=path, data_shape=(3,), batch_size=2)
    >>> batch = it.next()
    >>> batch.data[0].stype, batch.data[0].asnumpy().tolist(), batch.label[0].asnumpy().tolist()
    ('csr', [[0.5, 0.0, 1.5], [0.0, 0.0, 0.0]], [1.0, -2.0])
    >>> batch = it.next()
    >>> batch.data[0].asnumpy().tolist(), batch.pad
    ([[0.0, 2.0, 0.0], [0.5, 0.0, 1.5]], 1)
    """

    def __init__(self, *, data_libsvm, data_shape, batch_size, label_libsvm='NULL',
                 label_shape=(1,), num_parts=1, part_index=0, round_batch=True,
                 prefetch_buffer=4, ctx='gpu', dtype=None, data_name='data',
                 label_name='softmax_label', **kwargs):
        if int(batch_size) < 1:
            raise ValueError('LibSVMIter: batch_size must be >= 1, got %r' % (batch_size,))
        self._bs = int(batch_size)
        self._round = bool(round_batch) if not isinstance(round_batch, str) else \
            round_batch.lower() in ('1', 'true')
        num_parts, part_index = int(num_parts), int(part_index)
        if num_parts < 1 or not 0 <= part_index < num_parts:
            raise ValueError('LibSVMIter: need num_parts >= 1 and 0 <= part_index < '
                             'num_parts, got num_parts=%d, part_index=%d'
                             % (num_parts, part_index))
        data_shape = _shape(data_shape, 'data_shape')
        label_shape = (1,) if label_shape is None and _no_file(label_libsvm) \
            else _shape(label_shape, 'label_shape')
        if len(data_shape) != 1:
            raise ValueError('LibSVMIter: data_shape must be 1-D (the number of features), '
                             'got %s' % (data_shape,))
        if _no_file(label_libsvm):
            if label_shape != (1,):
                raise ValueError('LibSVMIter: label_shape must be (1,) without label_libsvm '
                                 '(the label is each line\'s first number), got %s'
                                 % (label_shape,))
        elif len(label_shape) != 1 or label_shape[0] < 2:
            raise ValueError('LibSVMIter: with label_libsvm, label_shape must be 1-D and '
                             'wider than (1,), as in MXNet, got %s' % (label_shape,))
        self._data = _read(data_libsvm, 'data_libsvm')
        _check_columns(self._data, data_shape[0], 'data', 'data_shape')
        total = len(self._data['where'])
        self._rows = np.flatnonzero(_part_of(self._data, num_parts) == part_index)
        if not self._rows.size:
            raise MXNetError("LibSVMIter: data_libsvm '%s' has no rows%s" % (
                data_libsvm, '' if num_parts == 1 else
                ' in part %d of %d (%d rows in all)' % (part_index, num_parts, total)))
        self._label = None
        if not _no_file(label_libsvm):
            self._label = _read(label_libsvm, 'label_libsvm')
            _check_columns(self._label, label_shape[0], 'label', 'label_shape')
            if len(self._label['where']) != total:
                raise MXNetError("LibSVMIter: label_libsvm '%s' has %d rows but data_libsvm "
                                 "'%s' has %d" % (label_libsvm, len(self._label['where']),
                                                  data_libsvm, total))
        n = self._rows.size
        if not self._round and n % self._bs:
            raise MXNetError('LibSVMIter: round_batch=False needs batch_size (%d) to divide '
                             'the %d rows: MXNet\'s sparse batch loader cannot pad the last '
                             'batch' % (self._bs, n))
        self._width, self._label_width = data_shape[0], label_shape[0]
        self._pos = 0
        self._overflow = 0
        super(LibSVMIter, self).__init__(data_name=data_name, label_name=label_name,
                                         dtype=dtype)

    def _before_first(self):
        if not self._round or self._overflow == 0:
            self._pos = 0
        else:
            # the wrapped samples were this epoch's start: continue after them
            self._overflow = 0

    def _advance(self):
        if self._overflow:
            return None
        n = self._rows.size
        top = min(self._bs, n - self._pos)
        if top <= 0:
            return None
        picks = [np.arange(self._pos, self._pos + top)]
        self._pos += top
        pad = self._bs - top
        if pad:
            if pad > n:
                raise MXNetError('LibSVMIter: round_batch needs at least batch_size - %d = %d '
                                 'samples, the data has %d' % (top, pad, n))
            picks.append(np.arange(pad))
            self._pos = self._overflow = pad
        rows = self._rows[np.concatenate(picks)]
        dtype = self._out_dtype or np.float32
        data = csr_matrix(_gather(self._data, rows), shape=(self._bs, self._width),
                          dtype=dtype)
        if self._label is None:
            label = NDArray(self._data['labels'][rows].astype(dtype), self._ctx)
        else:
            label = csr_matrix(_gather(self._label, rows),
                               shape=(self._bs, self._label_width), dtype=dtype)
        return data, label, pad, rows

    def getdata(self):
        return self._current_or_fail()[0]

    def getlabel(self):
        return self._current_or_fail()[1]
