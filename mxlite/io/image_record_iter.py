"""ImageRecordIter: batches of images from a RecordIO file, as MXNet's native image iterator.

Each record is an image record (`mx.recordio.pack_img`: IRHeader + encoded image). Per
record, in MXNet's order: decode (Pillow or OpenCV, see `mx.image`), resize the shorter
side to `resize`, pad, crop to `data_shape` (centre, random, or a random square of
min_crop_size..max_crop_size resized to data_shape), then per batch: ``(x - mean) * scale /
std`` per channel (or ``(x - mean_img) * scale``), mirror, NCHW float32 in RGB(A) order.
"""
import logging
import os
import struct

import numpy as np

from .. import recordio
from ..base import MXNetError
from .native import MXDataIter

__all__ = ['ImageRecordIter', 'ImageRecordUInt8Iter']

_LOG = logging.getLogger(__name__)


def _image():
    # mx.image on first use: importing it here at load time would make mx.io and
    # mx.image import each other
    from .. import image
    return image

_HEAD = struct.Struct('<II')

# MXNet's augmentation options mxlite does not implement yet, with their no-op defaults:
# a script that changes one gets an error instead of silently weaker augmentation
_UNSUPPORTED = {'max_rotate_angle': 0, 'max_aspect_ratio': 0, 'min_aspect_ratio': None,
                'max_shear_ratio': 0, 'max_random_scale': 1, 'min_random_scale': 1,
                'max_random_area': 1, 'min_random_area': 1, 'max_img_size': 1e10,
                'min_img_size': 0, 'brightness': 0, 'contrast': 0, 'saturation': 0,
                'pca_noise': 0, 'random_h': 0, 'random_s': 0, 'random_l': 0, 'rotate': -1,
                'random_resized_crop': False, 'max_random_contrast': 0,
                'max_random_illumination': 0}
# accepted for compatibility, no effect here (threads, prefetching, devices, logging)
_IGNORED = ('verbose', 'prefetch_buffer', 'ctx', 'device_id',
            'shuffle_chunk_size', 'shuffle_chunk_seed', 'aug_seq', 'num_decode_threads')


def _bool(value):
    if isinstance(value, str):
        return value.strip().lower() in ('1', 'true')
    return bool(value)


def _data_shape(value):
    if isinstance(value, str):
        value = [v for v in value.strip().strip('()[]').split(',') if v.strip()]
    try:
        shape = tuple(int(v) for v in value)
    except (TypeError, ValueError):
        shape = ()
    if len(shape) != 3 or min(shape) <= 0:
        raise ValueError('ImageRecordIter: data_shape must be (channels, height, width) of '
                         'positive sizes, got %r' % (value,))
    if shape[0] not in (1, 3, 4):
        raise ValueError('ImageRecordIter: data_shape %s has %d channels; expected 1 (grey), '
                         '3 (RGB) or 4 (RGBA)' % (shape, shape[0]))
    return shape


def _scan(path):
    """Byte offsets of the records of a .rec file, reading only the part headers."""
    offsets = []
    size = os.path.getsize(path)
    pos = 0
    with open(path, 'rb') as f:
        start = 0
        while pos < size:
            start = pos
            head = f.read(_HEAD.size)
            if len(head) < _HEAD.size:
                break
            magic, lrec = _HEAD.unpack(head)
            if magic != recordio.MAGIC:
                raise MXNetError("ImageRecordIter: '%s' is not a RecordIO file or is corrupt: "
                                 'bad magic 0x%08x at byte offset %d' % (path, magic, pos))
            if lrec >> 29 in (0, 1):        # a whole record or its first part
                offsets.append(pos)
            pos += _HEAD.size + (((lrec & ((1 << 29) - 1)) + 3) & ~3)
            f.seek(pos)
    if pos != size:
        raise MXNetError("ImageRecordIter: '%s' is truncated: the record part at byte offset %d "
                         'runs past the end of the file (%d bytes)' % (path, start, size))
    return np.array(offsets, dtype=np.int64)


class ImageRecordIter(MXDataIter):
    """Iterate over an image RecordIO file in augmented batches (MXNet's `mx.io.ImageRecordIter`).

    Keyword arguments only, as in MXNet. Data batches are ``(batch_size,) + data_shape``
    float32 in RGB order; labels come from the record headers (``(batch_size,)`` for
    ``label_width=1``, else ``(batch_size, label_width)``), or from `path_imglist`.

    Parameters
    ----------
    path_imgrec : str
        The .rec file (``im2rec`` or `mx.recordio.pack_img` records).
    data_shape : tuple of int
        (channels, height, width); channels 1 decodes grey, 3 RGB, 4 RGBA.
    batch_size : int
    label_width : int, default 1
    path_imgidx : str, default ''
        The .idx file; optional (the record offsets are otherwise read from the .rec).
    path_imglist : str, default ''
        A .lst file (``index<TAB>labels<TAB>path``); its labels replace the records',
        matched by the record header's id.
    shuffle : bool, default False
        A new random order every epoch, drawn from `seed`.
    seed : int, default 0
    num_parts, part_index : int, default 1, 0
        Read only one part of the file (by bytes as MXNet's splitter, or by record count
        with `path_imgidx`).
    round_batch : bool, default True
        Complete the last batch from the start of the next pass (`pad` counts those
        samples; the next epoch continues after them). False pads with zeros.
    resize : int, default -1
        Resize the shorter side to this first (-1: no).
    rand_crop : bool, default False
        Crop at a random position instead of the centre.
    max_crop_size, min_crop_size : int, default -1
        When set, crop a random square of this size range, then resize to data_shape.
    pad : int, default 0
        Pad every side by this many pixels of `fill_value` (before cropping).
    fill_value : int, default 255
    rand_mirror : bool, default False
        Mirror each image left-right with probability 1/2. `mirror`: always.
    inter_method : int, default 1
        Interpolation of resizes (see `mx.image`: 0-4, 9 auto, 10 random).
    mean_r, mean_g, mean_b, mean_a : float, default 0
    std_r, std_g, std_b, std_a : float, default 1
    scale : float, default 1
        Output ``(x - mean) * scale / std`` per channel.
    mean_img : str, default ''
        A mean image file (`mx.nd.save` of {'mean_img': (C, H, W)}); when the file does
        not exist it is computed over the data (after cropping) and saved, as MXNet does.
        Output is then ``(x - mean_img) * scale``.
    seed_aug : int, optional
        Seed of the crop/mirror draws (default: `seed`).
    dtype : {None, 'float32', 'uint8'}, default None
        'uint8' outputs the raw pixels (no normalisation), as ImageRecordUInt8Iter.
    data_name, label_name : str, default 'data', 'softmax_label'
    preprocess_threads : int, default 4
        Threads that decode and resize (results do not depend on it).
    prefetch_buffer, verbose, ctx, device_id, ... :
        Accepted and ignored.

    Notes
    -----
    MXNet's rotation/shear/scale, colour (brightness, contrast, saturation, HSL, PCA)
    and random-resized-crop options are not implemented: setting one raises
    `MXNetError` (use `mx.image.ImageIter` with an aug_list for those). The random
    order and crops are mxlite's own draws, not MXNet's (reproducible by `seed`).

    Examples
    --------
    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), 'tiny.rec')
    >>> rec = mx.recordio.MXRecordIO(path, 'w')
    >>> for i in range(3):
    ...     img = np.full((4, 6, 3), 10 * i, np.uint8)
    ...     rec.write(mx.recordio.pack_img((0, float(i), i, 0), img, img_fmt='.png'))
    >>> rec.close()
    >>> it = mx.io.ImageRecordIter(path_imgrec=path, data_shape=(3, 4, 4), batch_size=2,
    ...                            mean_r=5, mean_g=5, mean_b=5)
    >>> [(b.data[0].asnumpy()[:, 0, 0, 0].tolist(), b.label[0].asnumpy().tolist(), b.pad)
    ...  for b in it]
    [([-5.0, 5.0], [0.0, 1.0], 0), ([15.0, -5.0], [2.0, 0.0], 1)]
    """

    def __init__(self, *, path_imgrec='', data_shape=None, batch_size=None, label_width=1,
                 path_imgidx='', path_imglist='', shuffle=False, seed=0, num_parts=1,
                 part_index=0, round_batch=True, resize=-1, rand_crop=False,
                 max_crop_size=-1, min_crop_size=-1, pad=0, fill_value=255,
                 rand_mirror=False, mirror=False, inter_method=1, mean_img='', mean_r=0.0,
                 mean_g=0.0, mean_b=0.0, mean_a=0.0, std_r=1.0, std_g=1.0, std_b=1.0,
                 std_a=1.0, scale=1.0, seed_aug=None, dtype=None, data_name='data',
                 label_name='softmax_label', preprocess_threads=4, **kwargs):
        name = type(self).__name__
        self._pool = None
        self._threads = max(1, int(preprocess_threads))
        self._check_unsupported(kwargs)
        if not path_imgrec:
            raise ValueError('%s: path_imgrec (the .rec file) is required' % name)
        if os.path.isdir(path_imgrec):
            raise MXNetError("%s: path_imgrec '%s' is a directory; mxlite reads one .rec file"
                             % (name, path_imgrec))
        for what, path in (('path_imgrec', path_imgrec), ('path_imgidx', path_imgidx),
                           ('path_imglist', path_imglist)):
            if path and not os.path.isfile(path):
                raise FileNotFoundError("%s: %s '%s' does not exist" % (name, what, path))
        if data_shape is None or batch_size is None:
            raise ValueError('%s: data_shape and batch_size are required' % name)
        self._shape = _data_shape(data_shape)
        self._bs = int(batch_size)
        self._width = int(label_width)
        if self._bs < 1 or self._width < 1:
            raise ValueError('%s: batch_size and label_width must be >= 1, got %r and %r'
                             % (name, batch_size, label_width))
        num_parts, part_index = int(num_parts), int(part_index)
        if num_parts < 1 or not 0 <= part_index < num_parts:
            raise ValueError('%s: need num_parts >= 1 and 0 <= part_index < num_parts, got '
                             'num_parts=%d part_index=%d' % (name, num_parts, part_index))
        if dtype not in (None, 'float32', 'uint8', np.float32, np.uint8):
            raise ValueError("%s: dtype must be None, 'float32' or 'uint8', got %r"
                             % (name, dtype))
        self._raw = dtype in ('uint8', np.uint8)
        self._inter = int(inter_method)
        _image()._get_interp_method(self._inter if self._inter != 10 else 0)    # validates it
        self._resize_to = int(resize)
        self._rand_crop = _bool(rand_crop)
        self._crop_range = (int(min_crop_size), int(max_crop_size))
        if self._crop_range != (-1, -1) and not 0 < self._crop_range[0] <= self._crop_range[1]:
            raise ValueError('%s: set both min_crop_size and max_crop_size, with 0 < '
                             'min_crop_size <= max_crop_size; got %d and %d'
                             % ((name,) + self._crop_range))
        self._pad, self._fill = int(pad), int(fill_value)
        self._mirror, self._rand_mirror = _bool(mirror), _bool(rand_mirror)
        c = self._shape[0]
        self._mean = np.array([mean_r, mean_g, mean_b, mean_a][:c] if c > 1 else [mean_r],
                              np.float32).reshape(c, 1, 1)
        self._std = np.array([std_r, std_g, std_b, std_a][:c] if c > 1 else [std_r],
                             np.float32).reshape(c, 1, 1)
        self._scale = np.float32(scale)
        self._shuffle, self._round = _bool(shuffle), _bool(round_batch)
        self._shuffle_rng = np.random.default_rng([int(seed), 0])
        self._aug_rng = np.random.default_rng([int(seed if seed_aug is None else seed_aug), 1])
        self._label_map = self._read_imglist(path_imglist) if path_imglist else None
        self._open(path_imgrec, path_imgidx, num_parts, part_index)
        self._mean_img = None
        if mean_img and not self._raw:
            self._mean_img = self._load_mean(mean_img)
        self._order = self._records
        self._new_pass()
        self._overflow = 0
        super().__init__(data_name=data_name, label_name=label_name)

    # ------------------------------------------------------------------ setup
    def _check_unsupported(self, kwargs):
        bad = []
        for key, value in kwargs.items():
            if key in _UNSUPPORTED:
                default = _UNSUPPORTED[key]
                if isinstance(default, bool):
                    changed = _bool(value) != default
                elif default is None:
                    changed = value is not None
                else:
                    changed = float(value) != default
                if changed:
                    bad.append('%s=%r' % (key, value))
            elif key not in _IGNORED:
                _LOG.debug('%s: ignoring unknown argument %s=%r', type(self).__name__, key,
                           value)
        if bad:
            raise MXNetError('%s: augmentation option(s) %s are not implemented in mxlite; '
                             'leave them at their defaults, or use mx.image.ImageIter with an '
                             'aug_list for such augmentation' % (type(self).__name__,
                                                                 ', '.join(bad)))

    def _read_imglist(self, path):
        labels = {}
        with open(path) as fin:
            for lineno, line in enumerate(fin, 1):
                fields = line.strip().split('\t')
                if fields == ['']:
                    continue
                try:
                    if len(fields) != self._width + 2:
                        raise ValueError('expected index, %d label(s) and a path separated by '
                                         'tabs (label_width=%d)' % (self._width, self._width))
                    labels[int(fields[0])] = np.array(fields[1:-1], dtype=np.float32)
                except ValueError as exc:
                    raise MXNetError("%s: image list '%s' line %d: %s"
                                     % (type(self).__name__, path, lineno, exc)) from None
        return labels

    def _open(self, path, path_idx, num_parts, part_index):
        if path_idx:
            self._rec = recordio.MXIndexedRecordIO(path_idx, path, 'r')
            offsets = np.unique(np.array(list(self._rec.idx.values()), dtype=np.int64))
            step = -(-len(offsets) // num_parts)
            offsets = offsets[part_index * step:(part_index + 1) * step]
        else:
            self._rec = recordio.MXRecordIO(path, 'r')
            offsets = _scan(path)
            # dmlc's splitter: equal byte ranges (4-byte aligned); a part owns the
            # records that start inside its range
            step = -(-os.path.getsize(path) // num_parts)
            step = (step + 3) // 4 * 4
            offsets = offsets[(offsets >= part_index * step)
                              & (offsets < (part_index + 1) * step)]
        if len(offsets) == 0:
            raise MXNetError("%s: '%s' has no records%s" % (
                type(self).__name__, path,
                '' if num_parts == 1 else ' in part %d of %d' % (part_index, num_parts)))
        self._records = offsets

    def _load_mean(self, path):
        from ..ndarray import load, save
        from ..ndarray.ndarray import NDArray
        if os.path.isfile(path):
            loaded = load(path)
            arr = (loaded.get('mean_img', next(iter(loaded.values())))
                   if isinstance(loaded, dict) else loaded[0]).asnumpy()
            if arr.shape != self._shape:
                raise MXNetError("%s: mean_img '%s' has shape %s but data_shape is %s"
                                 % (type(self).__name__, path, arr.shape, self._shape))
            return arr.astype(np.float32)
        _LOG.info('%s: mean_img %s not found, computing it over %d images',
                  type(self).__name__, path, len(self._records))
        total = np.zeros(self._shape, np.float64)
        c, h, w = self._shape
        chunk = np.zeros((self._bs, h, w, c), np.uint8)
        for start in range(0, len(self._records), self._bs):
            offsets = self._records[start:start + self._bs]
            self._images(offsets, chunk)
            total += chunk[:len(offsets)].sum(axis=0, dtype=np.float64).transpose(2, 0, 1)
        mean = (total / len(self._records)).astype(np.float32)
        save(path, {'mean_img': NDArray(mean)})
        _LOG.info('%s: saved the mean image to %s', type(self).__name__, path)
        return mean

    # ------------------------------------------------------------------ one record
    def _where(self, offset):
        return "record at byte offset %d of '%s'" % (offset, self._rec.uri)

    def _read(self, offset):
        """(IRHeader, payload, float32 labels) of the record at offset (main thread: I/O)."""
        self._rec._file.seek(offset)
        header, payload = recordio.unpack(self._rec.read())
        if self._label_map is not None:
            try:
                label = self._label_map[header.id]
            except KeyError:
                raise MXNetError('%s: %s has id %d, which is not in path_imglist'
                                 % (type(self).__name__, self._where(offset), header.id)) from None
        elif header.flag > 0:
            if header.flag != self._width:
                raise MXNetError('%s: %s has %d labels but label_width is %d'
                                 % (type(self).__name__, self._where(offset), header.flag,
                                    self._width))
            label = header.label
        else:
            if self._width != 1:
                raise MXNetError('%s: %s has a single label but label_width is %d (pack the '
                                 'labels as an array, or give path_imglist)'
                                 % (type(self).__name__, self._where(offset), self._width))
            label = np.array([header.label], np.float32)
        return header, payload, label

    def _decode(self, offset, payload, draws):
        """The decoded, resized, padded and cropped HWC uint8 image (thread-safe: the
        random draws in [0, 1) are made beforehand, so threads do not change results)."""
        c = self._shape[0]
        img = _image()._decode(payload, {1: 0, 3: 1, 4: -1}[c], True,
                               '%s (%s)' % (type(self).__name__, self._where(offset)))
        if img.shape[2] != c:
            if c != 4 or img.shape[2] != 3:
                raise MXNetError('%s: %s decodes to %d channels but data_shape asks for %d'
                                 % (type(self).__name__, self._where(offset), img.shape[2], c))
            img = np.concatenate([img, np.full(img.shape[:2] + (1,), 255, np.uint8)], axis=2)
        return self._augment(img, offset, draws)

    def _interp(self, sizes, draw):
        if self._inter == 10:
            return min(int(draw * 5), 4)
        return _image()._get_interp_method(self._inter, sizes)

    def _augment(self, img, offset, draws):
        u_size, u_y, u_x, u_interp = draws
        rows, cols = img.shape[:2]
        if self._resize_to > 0:
            if rows > cols:
                nh, nw = self._resize_to * rows // cols, self._resize_to
            else:
                nh, nw = self._resize_to, self._resize_to * cols // rows
            img = _image()._resize(img, nw, nh, self._interp((rows, cols, nh, nw), u_interp))
        if self._pad > 0:
            p = self._pad
            img = np.pad(img, ((p, p), (p, p), (0, 0)), constant_values=self._fill)
        rows, cols = img.shape[:2]
        _, h, w = self._shape
        lo, hi = self._crop_range
        size = (h, w) if hi == -1 else (min(lo + int(u_size * (hi - lo + 1)), hi),) * 2
        if rows < size[0] or cols < size[1]:
            raise MXNetError('%s: %s is %dx%d (HxW) after resize/pad, smaller than the %dx%d '
                             'crop; set resize (the shorter side) to at least %d'
                             % (type(self).__name__, self._where(offset), rows, cols,
                                size[0], size[1], max(size)))
        y, x = rows - size[0], cols - size[1]
        if self._rand_crop:
            y, x = min(int(u_y * (y + 1)), y), min(int(u_x * (x + 1)), x)
        else:
            y, x = y // 2, x // 2
        img = img[y:y + size[0], x:x + size[1]]
        if size != (h, w):
            img = _image()._resize(img, w, h, self._interp((size[0], size[1], h, w), u_interp))
        return img

    def _images(self, offsets, out):
        """Reads the records at `offsets` into out[:len(offsets)]; labels and ids returned.

        Reading stays in this thread (one file handle); decoding and resizing, which
        release the GIL in Pillow and NumPy, run on `preprocess_threads` threads.
        """
        records = [self._read(offset) for offset in offsets]
        draws = self._aug_rng.random((len(offsets), 4))
        jobs = [(offset, rec[1], d) for offset, rec, d in zip(offsets, records, draws)]
        if self._threads > 1 and len(jobs) > 1:
            if self._pool is None:
                from concurrent.futures import ThreadPoolExecutor
                self._pool = ThreadPoolExecutor(self._threads, 'ImageRecordIter')
            images = self._pool.map(lambda job: self._decode(*job), jobs)
        else:
            images = (self._decode(*job) for job in jobs)
        for i, img in enumerate(images):
            out[i] = img
        return [rec[2] for rec in records], [rec[0].id for rec in records]

    def __del__(self):
        pool = getattr(self, '_pool', None)
        if pool is not None:
            pool.shutdown(wait=False)

    # ------------------------------------------------------------------ batches
    def _new_pass(self):
        if self._shuffle:
            self._order = self._shuffle_rng.permutation(self._records)
        self._pos = 0

    def _before_first(self):
        if not self._round or self._overflow == 0:
            self._new_pass()
        else:
            self._overflow = 0      # the wrapped samples opened this epoch: go on after them

    def _advance(self):
        if self._overflow:
            return None
        take = list(self._order[self._pos:self._pos + self._bs])
        if not take:
            return None
        self._pos += len(take)
        pad = self._bs - len(take)
        if pad and self._round:
            self._new_pass()
            if pad > len(self._order):
                raise MXNetError('%s: round_batch needs %d more records to fill the last batch '
                                 'but the data has %d; lower batch_size or set round_batch=0'
                                 % (type(self).__name__, pad, len(self._order)))
            take += list(self._order[:pad])
            self._pos = self._overflow = pad
        c, h, w = self._shape
        images = np.zeros((self._bs, h, w, c), np.uint8)
        labels = np.zeros((self._bs, self._width), np.float32)
        index = np.zeros(self._bs, np.uint64)
        got_labels, ids = self._images(take, images)
        labels[:len(take)] = got_labels
        index[:len(take)] = ids
        data = np.empty((self._bs, c, h, w), np.uint8 if self._raw else np.float32)
        data[...] = images.transpose(0, 3, 1, 2)
        if not self._raw:           # in place, in MXNet's order of operations
            data -= self._mean if self._mean_img is None else self._mean_img
            data *= self._scale
            if self._mean_img is None:
                data /= self._std
        # MXNet normalises at the source pixel, then writes it mirrored
        flip = np.ones(self._bs, bool) if self._mirror else \
            (self._aug_rng.random(self._bs) < 0.5 if self._rand_mirror else None)
        if flip is not None:
            flip[len(take):] = False
            data[flip] = data[flip][..., ::-1]
        if pad and not self._round:
            data[len(take):] = 0
        return data, labels, pad, index


class ImageRecordUInt8Iter(ImageRecordIter):
    """`ImageRecordIter` with ``dtype='uint8'``: raw pixels, no mean/std normalisation."""

    def __init__(self, **kwargs):
        kwargs['dtype'] = 'uint8'
        super().__init__(**kwargs)
