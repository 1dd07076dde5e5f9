"""mx.image.ImageIter: batches of augmented images from a .rec file, a .lst list or a list.

Kept apart from image.py (which re-exports it) so each file stays short; it takes
image.py's functions at call time, so either module can be imported first.
"""
import logging
import numbers
import os
import random

import numpy as np

from . import recordio
from .base import MXNetError, did_you_mean, np_dtype
from .context import cpu
from .io.base import DataBatch, DataDesc, DataIter
from .ndarray.ndarray import NDArray

__all__ = ['ImageIter']


def _np(src):
    return src.asnumpy() if isinstance(src, NDArray) else np.asarray(src)

_LOG = logging.getLogger(__name__)
_HANDLES = ('pad', 'discard', 'roll_over')
_DTYPES = ('int32', 'float32', 'int64', 'float64')


class ImageIter(DataIter):
    """Image data iterator with augmentation (MXNet's `mx.image.ImageIter`).

    Reads images from a RecordIO file (`path_imgrec`, made by ``im2rec`` or
    `mx.recordio.pack_img`), from image files named by a ``.lst`` file (`path_imglist`:
    ``index<TAB>label(s)<TAB>path`` per line, paths relative to `path_root`) or by
    `imglist` (a list of ``[label(s)..., path]``). Each image is decoded to RGB, passed
    through `aug_list` (default: ``CreateAugmenter(data_shape, **kwargs)``) and
    transposed to CHW; batches are ``(batch_size,) + data_shape`` arrays of `dtype`.

    Parameters
    ----------
    batch_size : int
    data_shape : tuple of int
        (3, height, width): the augmenters must produce images of this size.
    label_width : int, default 1
        Labels per image; label batches are (batch_size,) for 1, else
        (batch_size, label_width).
    path_imgrec, path_imglist, path_root, path_imgidx : str, optional
        Sources, as described above. With a list file and a .rec file together, labels
        come from the list and the images from the .rec (by index; needs `path_imgidx`).
    shuffle : bool, default False
        Shuffle the order every epoch (Python's `random.shuffle`; needs `path_imgidx`
        for a .rec file).
    part_index, num_parts : int, default 0, 1
        Read only the part_index-th of num_parts equal slices (distributed training).
    aug_list : list of Augmenter, optional
    imglist : list, optional
    data_name, label_name : str, default 'data', 'softmax_label'
    dtype : {'float32', 'float64', 'int32', 'int64'}, default 'float32'
    last_batch_handle : {'pad', 'discard', 'roll_over'}, default 'pad'
        'pad' fills the last batch from the start of the data (`pad` counts those),
        'discard' drops it, 'roll_over' keeps it to open the next epoch.
    **kwargs
        Passed to `CreateAugmenter` when `aug_list` is None (resize, rand_crop,
        rand_mirror, mean, std, ...).

    Examples
    --------
    >>> import os, tempfile
    >>> rec = mx.recordio.MXRecordIO(os.path.join(tempfile.mkdtemp(), 'tiny.rec'), 'w')
    >>> for i in range(3):
    ...     img = np.full((6, 8, 3), 40 * i, np.uint8)
    ...     rec.write(mx.recordio.pack_img((0, float(i), i, 0), img, img_fmt='.png'))
    >>> rec.close()
    >>> it = mx.image.ImageIter(2, (3, 4, 4), path_imgrec=rec.uri)
    >>> [(b.data[0].shape, b.label[0].asnumpy().tolist(), b.pad) for b in it]
    [((2, 3, 4, 4), [0.0, 1.0], 0), ((2, 3, 4, 4), [2.0, 0.0], 1)]
    """

    def __init__(self, batch_size, data_shape, label_width=1, path_imgrec=None,
                 path_imglist=None, path_root=None, path_imgidx=None, shuffle=False,
                 part_index=0, num_parts=1, aug_list=None, imglist=None, data_name='data',
                 label_name='softmax_label', dtype='float32', last_batch_handle='pad',
                 **kwargs):
        super().__init__(batch_size)
        if not (path_imgrec or path_imglist or isinstance(imglist, list)):
            raise ValueError('ImageIter: give path_imgrec, path_imglist or imglist (a list)')
        if np_dtype(dtype).name not in _DTYPES:
            raise ValueError('ImageIter: dtype must be one of %s, got %r' % (list(_DTYPES), dtype))
        if last_batch_handle not in _HANDLES:
            raise ValueError('ImageIter: last_batch_handle must be one of %s, got %r%s'
                             % (list(_HANDLES), last_batch_handle,
                                did_you_mean(str(last_batch_handle), _HANDLES)))
        if int(batch_size) != batch_size or batch_size < 1:
            raise ValueError('ImageIter: batch_size must be a positive integer, got %r'
                             % (batch_size,))
        self.dtype = np_dtype(dtype).name
        self.imgrec = None
        self.imgidx = None
        if path_imgrec:
            for path in (path_imgrec, path_imgidx):
                if path and not os.path.isfile(path):
                    raise FileNotFoundError("ImageIter: '%s' does not exist" % path)
            if path_imgidx:
                self.imgrec = recordio.MXIndexedRecordIO(path_imgidx, path_imgrec, 'r')
                self.imgidx = list(self.imgrec.keys)
            else:
                self.imgrec = recordio.MXRecordIO(path_imgrec, 'r')
        imgkeys = None
        if path_imglist:
            self.imglist, imgkeys = self._read_list(path_imglist)
        elif isinstance(imglist, list):
            self.imglist, imgkeys = self._from_list(imglist)
        else:
            self.imglist = None
        self.path_root = path_root
        self.check_data_shape(data_shape)
        self.data_shape = tuple(int(d) for d in data_shape)
        self.batch_size = int(batch_size)
        self.label_width = int(label_width)
        self.provide_data = [DataDesc(data_name, (self.batch_size,) + self.data_shape,
                                      np.dtype(self.dtype).type)]
        label_shape = (self.batch_size,) if self.label_width == 1 else \
            (self.batch_size, self.label_width)
        self.provide_label = [DataDesc(label_name, label_shape, np.dtype(self.dtype).type)]
        self.shuffle = shuffle
        if self.imgrec is None:
            self.seq = imgkeys
        elif shuffle or num_parts > 1 or path_imgidx:
            if self.imgidx is None:
                raise ValueError('ImageIter: shuffle or num_parts > 1 with a .rec file needs '
                                 'its index: pass path_imgidx')
            self.seq = self.imgidx
        else:
            self.seq = None
        if num_parts > 1:
            if not 0 <= part_index < num_parts:
                raise ValueError('ImageIter: part_index must be in [0, num_parts=%d), got %d'
                                 % (num_parts, part_index))
            step = len(self.seq) // num_parts
            self.seq = self.seq[part_index * step:(part_index + 1) * step]
        if aug_list is None:
            from .image import CreateAugmenter
            aug_list = CreateAugmenter(data_shape, **kwargs)
        self.auglist = aug_list
        self.cur = 0
        self._allow_read = True
        self.last_batch_handle = last_batch_handle
        self.num_image = len(self.seq) if self.seq is not None else None
        self._cache_data = self._cache_label = self._cache_idx = None
        self._batch = None
        self.reset()

    # ------------------------------------------------------------------ sources
    def _read_list(self, path):
        if not os.path.isfile(path):
            raise FileNotFoundError("ImageIter: image list '%s' does not exist" % path)
        result, keys = {}, []
        with open(path) as fin:
            for lineno, line in enumerate(fin, 1):
                fields = line.strip().split('\t')
                if fields == ['']:
                    continue
                try:
                    if len(fields) < 3:
                        raise ValueError('expected index<TAB>label(s)<TAB>path')
                    key = int(fields[0])
                    label = np.array([float(x) for x in fields[1:-1]], dtype=self.dtype)
                except ValueError as exc:
                    raise MXNetError("ImageIter: image list '%s' line %d %r: %s"
                                     % (path, lineno, line.rstrip('\n'), exc)) from None
                result[key] = (label, fields[-1])
                keys.append(key)
        return result, keys

    def _from_list(self, imglist):
        result, keys = {}, []
        for index, img in enumerate(imglist, 1):
            key = str(index)
            if len(img) > 2:
                label = np.array(img[:-1], dtype=self.dtype)
            elif isinstance(img[0], numbers.Number):
                label = np.array([img[0]], dtype=self.dtype)
            else:
                label = np.array(_np(img[0]), dtype=self.dtype).reshape(-1)
            result[key] = (label, img[-1])
            keys.append(key)
        return result, keys

    # ------------------------------------------------------------------ epoch control
    def reset(self):
        """Start a new epoch (reshuffling when `shuffle`); keeps a rolled-over tail."""
        if self.seq is not None and self.shuffle:
            random.shuffle(self.seq)
        if self.last_batch_handle != 'roll_over' or self._cache_data is None:
            if self.imgrec is not None:
                self.imgrec.reset()
            self.cur = 0
        self._allow_read = True

    def hard_reset(self):
        """Start again from the first image, forgetting a rolled-over tail."""
        if self.seq is not None and self.shuffle:
            random.shuffle(self.seq)
        if self.imgrec is not None:
            self.imgrec.reset()
        self.cur = 0
        self._allow_read = True
        self._cache_data = self._cache_label = self._cache_idx = None

    def next_sample(self):
        """The next (label, encoded image bytes); StopIteration at the end of the data."""
        if not self._allow_read:
            raise StopIteration
        if self.seq is not None:
            if self.cur >= self.num_image:
                if self.last_batch_handle != 'discard':
                    self.cur = 0
                raise StopIteration
            idx = self.seq[self.cur]
            self.cur += 1
            if self.imgrec is not None:
                header, img = recordio.unpack(self.imgrec.read_idx(idx))
                if self.imglist is None:
                    return header.label, img
                return self.imglist[idx][0], img
            label, fname = self.imglist[idx]
            return label, self.read_image(fname)
        s = self.imgrec.read()
        if s is None:
            if self.last_batch_handle != 'discard':
                self.imgrec.reset()
            raise StopIteration
        header, img = recordio.unpack(s)
        return header.label, img

    # ------------------------------------------------------------------ batches
    def _batchify(self, batch_data, batch_label, start=0):
        i = start
        try:
            while i < self.batch_size:
                label, s = self.next_sample()
                data = self.imdecode(s)
                try:
                    self.check_valid_image(data)
                except RuntimeError as exc:     # MXNet skips such images too
                    _LOG.debug('Invalid image, skipping: %s', exc)
                    continue
                data = self.augmentation_transform(data)
                datum = _np(self.postprocess_data(data))
                if datum.shape != self.data_shape:
                    raise MXNetError('ImageIter: an augmented image has shape %s (CHW) but '
                                     'data_shape is %s; the augmenters must crop or resize '
                                     'to it' % (datum.shape, self.data_shape))
                batch_data[i] = datum
                label = np.asarray(_np(label), dtype=self.dtype).reshape(-1)
                if label.size != self.label_width:
                    raise MXNetError('ImageIter: an image has %d label(s) but label_width is '
                                     '%d' % (label.size, self.label_width))
                batch_label[i] = label if self.label_width > 1 else label[0]
                i += 1
        except StopIteration:
            if not i:
                raise
        return i

    def next(self):
        """The next DataBatch; StopIteration at the end of the epoch."""
        if self._cache_data is not None:
            batch_data, batch_label, i = self._cache_data, self._cache_label, self._cache_idx
        else:
            batch_data = np.zeros((self.batch_size,) + self.data_shape, dtype=self.dtype)
            batch_label = np.zeros(self.provide_label[0].shape, dtype=self.dtype)
            i = self._batchify(batch_data, batch_label)
        pad = self.batch_size - i
        if pad:
            if self.last_batch_handle == 'discard':
                raise StopIteration
            if self.last_batch_handle == 'roll_over' and self._cache_data is None:
                self._cache_data, self._cache_label, self._cache_idx = \
                    batch_data, batch_label, i
                raise StopIteration
            self._batchify(batch_data, batch_label, i)
            if self.last_batch_handle == 'pad':
                self._allow_read = False
            else:
                self._cache_data = self._cache_label = self._cache_idx = None
        return DataBatch([NDArray(batch_data, cpu())], [NDArray(batch_label, cpu())], pad=pad)

    # DataIter's iter_next/getdata/getlabel/getpad protocol, over `next`
    def iter_next(self):
        try:
            self._batch = self.next()
        except StopIteration:
            self._batch = None
        return self._batch is not None

    def _current(self):
        if self._batch is None:
            raise MXNetError('ImageIter: no current batch; call iter_next() first')
        return self._batch

    def getdata(self):
        return self._current().data

    def getlabel(self):
        return self._current().label

    def getpad(self):
        return self._current().pad

    # ------------------------------------------------------------------ hooks
    def check_data_shape(self, data_shape):
        """Raises ValueError unless `data_shape` is (3, height, width)."""
        if len(data_shape) != 3:
            raise ValueError('ImageIter: data_shape must have 3 dimensions (channels, height, '
                             'width), got %s' % (tuple(data_shape),))
        if data_shape[0] != 3:
            raise ValueError('ImageIter: data_shape %s has %d channel(s), but images are '
                             'decoded as colour (3 channels): use data_shape=(3, %d, %d)'
                             % (tuple(data_shape), data_shape[0], data_shape[1],
                                data_shape[2]))

    def check_valid_image(self, data):
        """Raises MXNetError for an empty image."""
        if len(data.shape) == 0 or 0 in data.shape:
            raise MXNetError('ImageIter: decoded an empty image (shape %s)' % (data.shape,))

    def imdecode(self, s):
        """Decodes one image, naming the record or file when it is broken."""
        from .image import imdecode
        try:
            return imdecode(s)
        except MXNetError as exc:
            if self.seq is not None:
                idx = self.seq[(self.cur % self.num_image) - 1]
            else:
                idx = None
            if self.imglist is not None and idx is not None:
                where = "file '%s'" % self.imglist[idx][1]
            elif idx is not None:
                where = 'record index %s' % (idx,)
            else:
                where = "a record of '%s'" % self.imgrec.uri
            raise MXNetError('ImageIter: broken image, %s: %s' % (where, exc)) from None

    def read_image(self, fname):
        """The bytes of image file `fname` (relative to `path_root`)."""
        path = os.path.join(self.path_root, fname) if self.path_root else fname
        if not os.path.isfile(path):
            raise FileNotFoundError("ImageIter: image file '%s' does not exist" % path)
        with open(path, 'rb') as fin:
            return fin.read()

    def augmentation_transform(self, data):
        """Applies the augmenters in order."""
        for aug in self.auglist:
            data = aug(data)
        return data

    def postprocess_data(self, datum):
        """HWC -> CHW."""
        return NDArray(np.ascontiguousarray(_np(datum).transpose(2, 0, 1)), cpu())
