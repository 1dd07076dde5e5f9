"""MNIST: the idx file reader, MXNet's MNISTIter, and a loader that finds or fetches the files.

The four MNIST files use the idx format: a big-endian header (magic number, then one
int32 per dimension) followed by the raw uint8 values. They are usually gzip-compressed;
both forms are read here.
"""
import gzip
import hashlib
import logging
import os
import pathlib
import tempfile

import numpy as np

from ..base import MXNetError
from .native import MXDataIter

__all__ = ['MNISTIter', 'read_idx', 'load_mnist_dict', 'MNIST_FILES', 'MNIST_MIRRORS']

_LOG = logging.getLogger(__name__)

# file stem -> md5 of the official gzip file
MNIST_FILES = {
    'train_data': ('train-images-idx3-ubyte', 'f68b3c2dcbeaaa9fbdd348bbdeb94873'),
    'train_label': ('train-labels-idx1-ubyte', 'd53e105ee54ea40749a09fcbcd1e9432'),
    'test_data': ('t10k-images-idx3-ubyte', '9fb629c4189551a2d022fa330f9573f3'),
    'test_label': ('t10k-labels-idx1-ubyte', 'ec29112dd5afa0611ce80d1b7f02629c'),
}
MNIST_MIRRORS = (
    'https://ossci-datasets.s3.amazonaws.com/mnist/',
    'https://storage.googleapis.com/cvdf-datasets/mnist/',
    'http://yann.lecun.com/exdb/mnist/',
)
_IDX_TYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: '>i2', 0x0C: '>i4', 0x0D: '>f4',
              0x0E: '>f8'}


def _resolve(path):
    """`path`, or `path`.gz / `path` without .gz when only that one exists."""
    path = os.fspath(path)
    if os.path.isfile(path):
        return path
    alt = path[:-3] if path.endswith('.gz') else path + '.gz'
    if os.path.isfile(alt):
        return alt
    raise FileNotFoundError("MNIST file '%s' not found (nor '%s')" % (path, alt))


def _read_bytes(path):
    with open(path, 'rb') as f:
        raw = f.read()
    if raw[:2] == b'\x1f\x8b':
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError) as exc:
            raise MXNetError("'%s' is a damaged gzip file: %s" % (path, exc)) from None
    return raw


def read_idx(path, start=None, end=None):
    """Read an idx file (gzip-compressed or not) into a NumPy array.

    Parameters
    ----------
    path : str or path-like
        The file; ``x.gz`` is used when ``x`` does not exist, and the other way round.
    start, end : int, optional
        Read only items ``start:end`` along the first axis.

    Returns
    -------
    numpy.ndarray
        Shaped as the header says (uint8 for MNIST).

    Examples
    --------
    >>> import gzip, os, tempfile
    >>> import numpy as np
    >>> from mxlite.io.mnist import read_idx
    >>> path = os.path.join(tempfile.mkdtemp(), 'labels-idx1-ubyte.gz')
    >>> with gzip.open(path, 'wb') as f:
    ...     _ = f.write(bytes([0, 0, 8, 1, 0, 0, 0, 3, 7, 2, 1]))
    >>> read_idx(path)
    array([7, 2, 1], dtype=uint8)
    """
    path = _resolve(path)
    raw = _read_bytes(path)
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in _IDX_TYPES:
        raise MXNetError("'%s' is not an idx file (bad magic number %s)"
                         % (path, raw[:4].hex()))
    ndim = raw[3]
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise MXNetError("'%s' is truncated: its header needs %d bytes, the file has %d"
                         % (path, header, len(raw)))
    shape = tuple(int(v) for v in np.frombuffer(raw, '>i4', ndim, 4))
    dtype = np.dtype(_IDX_TYPES[raw[2]])
    item = int(np.prod(shape[1:], dtype=np.int64)) * dtype.itemsize
    count = shape[0] if shape else 1
    if len(raw) < header + count * item:
        raise MXNetError("'%s' is truncated: %d items of %d bytes need %d bytes after the "
                         "header, the file has %d (it breaks at offset %d)"
                         % (path, count, item, count * item, len(raw) - header, len(raw)))
    start = 0 if start is None else start
    end = count if end is None else end
    data = np.frombuffer(raw, dtype, (end - start) * item // dtype.itemsize,
                         header + start * item)
    return data.reshape((end - start,) + shape[1:]).astype(dtype.newbyteorder('='))


def _part(count, num_parts, part_index):
    # MXNet computes the bounds in double precision and truncates
    start = int(float(count) / num_parts * part_index)
    end = int(float(count) / num_parts * (part_index + 1))
    return start, end


class MNISTIter(MXDataIter):
    """Iterate over the MNIST idx files in mini-batches (MXNet's `mx.io.MNISTIter`).

    Pixels are scaled to [0, 1) by dividing by 256, as MXNet's C++ iterator does
    (`load_mnist_dict` divides by 255, as ``mx.test_utils.get_mnist`` does). Only full
    batches are produced: the remainder of the data set is skipped (`pad` is always 0).
    With `shuffle` the samples are permuted once, at construction, from `seed` (the
    order is reproducible but not the one MXNet's C++ ``std::shuffle`` draws). Unknown
    keyword arguments are ignored, as MXNet ignores them.

    Parameters
    ----------
    image : str, default './train-images-idx3-ubyte'
        Image file (idx3, gzip-compressed or not).
    label : str, default './train-labels-idx1-ubyte'
        Label file (idx1).
    batch_size : int, default 128
    shuffle : bool, default True
    flat : bool, default False
        Data shaped (batch, 784) instead of (batch, 1, 28, 28).
    seed : int, default 0
    silent : bool, default False
        When False, log the number of images and the batch shape (logging, INFO).
    num_parts, part_index : int, default 1, 0
        Read only part `part_index` of `num_parts` equal parts (distributed training).
    dtype : str or None
        Output type (None: float32).
    data_name, label_name : str, default 'data', 'softmax_label'

    Examples
    --------
    >>> import mxlite as mx
    >>> it = mx.io.MNISTIter(image='t10k-images-idx3-ubyte.gz',
    ...                      label='t10k-labels-idx1-ubyte.gz',
    ...                      batch_size=100, flat=True)       # doctest: +SKIP
    >>> it.provide_data                                        # doctest: +SKIP
    [DataDesc[data,(100, 784),<class 'numpy.float32'>,NCHW]]
    """

    def __init__(self, image='./train-images-idx3-ubyte', label='./train-labels-idx1-ubyte',
                 batch_size=128, shuffle=True, flat=False, seed=0, silent=False,
                 num_parts=1, part_index=0, dtype=None, prefetch_buffer=4, ctx='gpu',
                 data_name='data', label_name='softmax_label', **kwargs):
        batch_size = int(batch_size)
        if batch_size < 1:
            raise ValueError('MNISTIter: batch_size must be >= 1, got %d' % batch_size)
        num_parts, part_index = int(num_parts), int(part_index)
        if num_parts < 1 or not 0 <= part_index < num_parts:
            raise ValueError('MNISTIter: need num_parts >= 1 and 0 <= part_index < num_parts, '
                             'got num_parts=%d part_index=%d' % (num_parts, part_index))
        images = read_idx(image)
        labels = read_idx(label)
        # MXNet cuts each file into parts by its own header count
        images = images[slice(*_part(images.shape[0], num_parts, part_index))]
        labels = labels[slice(*_part(labels.shape[0], num_parts, part_index))]
        if images.ndim != 3:
            raise MXNetError("MNISTIter: '%s' holds an array of shape %s; expected images "
                             "(count, rows, cols)" % (image, images.shape))
        if labels.shape[0] != images.shape[0]:
            raise MXNetError("MNISTIter: '%s' has %d labels but '%s' has %d images"
                             % (label, labels.shape[0], image, images.shape[0]))
        count, rows, cols = images.shape
        if shuffle:
            order = np.random.RandomState(int(seed)).permutation(count)
            images, labels = images[order], labels[order]
        # uint8 / 256 is exact in float32, the same values MXNet computes
        pixels = images.astype(np.float32)
        pixels *= np.float32(1.0 / 256.0)
        self._images = pixels.reshape(count, rows * cols) if flat else \
            pixels.reshape(count, 1, rows, cols)
        self._labels = labels.astype(np.float32)
        # batches are views: make writing into one fail rather than change the data set
        self._images.flags.writeable = False
        self._labels.flags.writeable = False
        self._bs = batch_size
        self._loc = 0
        if count < batch_size:
            raise MXNetError('MNISTIter: %d images are fewer than batch_size=%d'
                             % (count, batch_size))
        if not silent:
            shape = '(%d,%d)' % (batch_size, rows * cols) if flat else \
                '[%d,1,%d,%d]' % (batch_size, rows, cols)
            _LOG.info('MNISTIter: load %d images, shuffle=%d, shape=%s', count,
                      int(bool(shuffle)), shape)
        super(MNISTIter, self).__init__(data_name=data_name, label_name=label_name,
                                        dtype=dtype)

    def _before_first(self):
        self._loc = 0

    def _advance(self):
        loc = self._loc
        if loc + self._bs > self._images.shape[0]:
            return None
        self._loc = loc + self._bs
        return self._images[loc:loc + self._bs], self._labels[loc:loc + self._bs], 0, None


# ---------------------------------------------------------------------- load_mnist_dict
def _search_dirs(path):
    if path is not None:
        return [pathlib.Path(path).expanduser()]
    dirs = []
    env = os.environ.get('MXLITE_DATA_DIR')
    if env:
        dirs.append(pathlib.Path(env).expanduser() / 'mnist')
    dirs.append(pathlib.Path('~/.mxlite/datasets/mnist').expanduser())
    return dirs


def _has_file(folder, stem):
    return (folder / (stem + '.gz')).is_file() or (folder / stem).is_file()


def _download(folder, stem, md5):
    """Fetch stem.gz into folder from the first mirror that answers; the error or None."""
    import urllib.error  # only when downloading: keeps `mx.io` quick to import
    import urllib.request
    errors = []
    for mirror in MNIST_MIRRORS:
        url = mirror + stem + '.gz'
        try:
            with urllib.request.urlopen(url, timeout=30) as response:
                payload = response.read()
        except (urllib.error.URLError, OSError, ValueError) as exc:
            errors.append('%s: %s' % (url, exc))
            continue
        if hashlib.md5(payload).hexdigest() != md5:
            errors.append('%s: checksum mismatch' % url)
            continue
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=str(folder), suffix='.part')
        with os.fdopen(fd, 'wb') as f:
            f.write(payload)
        os.replace(tmp, str(folder / (stem + '.gz')))
        return None
    return '; '.join(errors)


def load_mnist_dict(path=None):
    """The MNIST train and test sets as float32 NumPy arrays, downloading them if missing.

    Looks for the four idx files (``train-images-idx3-ubyte.gz`` ...; gzip or not) in
    `path`, else in ``$MXLITE_DATA_DIR/mnist``, else in ``~/.mxlite/datasets/mnist``. When
    no folder has all four, the missing ones are downloaded (checksums verified) into
    the first folder searched; offline, a MXNetError names the folders searched.

    Parameters
    ----------
    path : str or path-like, optional
        The folder holding the files.

    Returns
    -------
    dict
        ``train_data`` and ``test_data`` shaped (N, 1, 28, 28) with pixels / 255 in
        [0, 1] (like ``mx.test_utils.get_mnist``), ``train_label`` and ``test_label``
        shaped (N,); all float32.

    Examples
    --------
    >>> from mxlite.io.mnist import load_mnist_dict
    >>> mnist = load_mnist_dict()                         # doctest: +SKIP
    >>> mnist['test_data'].shape, mnist['test_label'][:3] # doctest: +SKIP
    ((10000, 1, 28, 28), array([7., 2., 1.], dtype=float32))
    """
    dirs = _search_dirs(path)
    stems = [MNIST_FILES[k][0] for k in ('train_data', 'train_label', 'test_data',
                                         'test_label')]
    folder = next((d for d in dirs if all(_has_file(d, s) for s in stems)), None)
    if folder is None:
        folder = dirs[0]
        problems = []
        for key, (stem, md5) in MNIST_FILES.items():
            if not _has_file(folder, stem):
                problem = _download(folder, stem, md5)
                if problem:
                    problems.append(problem)
        if problems:
            raise MXNetError(
                'MNIST files not found in %s and the download failed (%s). Put the four '
                'files (%s) in one of these folders, or pass path=.'
                % (', '.join(str(d) for d in dirs), ' | '.join(problems),
                   ', '.join(s + '.gz' for s in stems)))
    out = {}
    for key, (stem, _) in MNIST_FILES.items():
        arr = read_idx(folder / stem)
        if key.endswith('_data'):
            data = arr.reshape(arr.shape[0], 1, arr.shape[1], arr.shape[2]).astype(np.float32)
            data /= np.float32(255)
            out[key] = data
        else:
            out[key] = arr.astype(np.float32)
    return out
