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
from ..image_aug import (affine_matrix, color_jitter, hls_jitter, pca_lighting,
                         warp_affine)
from .native import MXDataIter

__all__ = ['ImageRecordIter', 'ImageRecordUInt8Iter']

_LOG = logging.getLogger(__name__)


def _image():
    # mx.image on first use: importing it here at load time would make mx.io and
    # mx.image import each other
    from .. import image
    return image

_HEAD = struct.Struct('<II')

# options of MXNet's older iterators (ImageRecordIter_v1) that aug_default does not have,
# with their no-op defaults: a script that changes one gets an error, not silently less
# augmentation
_UNSUPPORTED = {'max_random_contrast': 0, 'max_random_illumination': 0}
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

    max_rotate_angle : int, default 0
        Rotate by a random whole number of degrees in [-v, v]. `rotate` (> 0) fixes the
        angle instead; ``rotate_list='0,90,180'`` picks one of those.
    max_shear_ratio : float, default 0
        Shear ``(x, y) -> (x + m y, y)`` with m uniform in [-v, v].
    max_aspect_ratio, min_aspect_ratio : float, default 0, None
        Stretch width/height by a ratio uniform in [min, max] (min None: [1 - v, 1 + v]).
    max_random_scale, min_random_scale : float, default 1
        Scale both sides by s uniform in [min, max]; the output is ``s * (w, h)``.
    max_img_size, min_img_size : float, default 1e10, 0
        Clamp the warped width and height.
    fill_value : int, default 255
        Background of the warp and of `pad`.
    random_resized_crop : bool, default False
        Instead of the scale/aspect warp, crop a box of area fraction in
        [min_random_area, max_random_area] and aspect ratio in the aspect range (10 tries,
        else the centre crop), resized to data_shape. Excludes rand_crop, the random
        scale and the crop sizes.
    brightness, contrast, saturation : float, default 0
        Jitter factors ``1 + uniform(-v, v)``, applied in random order.
    random_h, random_s, random_l : int, default 0
        Add ``int(v * (2 u - 1))`` (u = (u1 + 4 u2) / 5) to OpenCV's 8-bit H (0-180), S, L.
    pca_noise : float, default 0
        AlexNet lighting noise with standard deviation v (ImageNet's eigenvectors).

    Notes
    -----
    Per image, as MXNet's default augmenter: resize, affine warp, pad, crop (random
    resized, square-size range, random or centre), colour jitter, HSL jitter, PCA noise;
    each step rounds to uint8 as MXNet's OpenCV code does (kernels in
    `mxlite.image_aug`). Warps with cubic/Lanczos interp are sampled bilinearly. The
    random order and draws are mxlite's own, not MXNet's (reproducible by `seed_aug`).
    ``max_random_contrast``/``max_random_illumination`` (older iterators) raise.

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
                 label_name='softmax_label', preprocess_threads=4, max_rotate_angle=0,
                 rotate=-1, max_shear_ratio=0.0, max_aspect_ratio=0.0, min_aspect_ratio=None,
                 max_random_scale=1.0, min_random_scale=1.0, max_img_size=1e10,
                 min_img_size=0.0, random_resized_crop=False, max_random_area=1.0,
                 min_random_area=1.0, brightness=0.0, contrast=0.0, saturation=0.0,
                 pca_noise=0.0, random_h=0, random_s=0, random_l=0, **kwargs):
        name = type(self).__name__
        self._pool = None
        self._threads = max(1, int(preprocess_threads))
        rotate_list = kwargs.pop('rotate_list', '')
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
        self._setup_aug(dict(
            max_rotate_angle=max_rotate_angle, rotate=rotate, rotate_list=rotate_list,
            max_shear_ratio=max_shear_ratio, max_aspect_ratio=max_aspect_ratio,
            min_aspect_ratio=min_aspect_ratio, max_random_scale=max_random_scale,
            min_random_scale=min_random_scale, max_img_size=max_img_size,
            min_img_size=min_img_size, random_resized_crop=random_resized_crop,
            max_random_area=max_random_area, min_random_area=min_random_area,
            brightness=brightness, contrast=contrast, saturation=saturation,
            pca_noise=pca_noise, random_h=random_h, random_s=random_s, random_l=random_l))
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

    def _setup_aug(self, opt):
        """Parses and checks the options of the warp, resized crop and colour steps."""
        name = type(self).__name__
        f = {k: (None if v is None or v == 'None' else float(v)) for k, v in opt.items()
             if k not in ('rotate_list', 'random_resized_crop')}
        self._max_rot, self._rotate = int(f['max_rotate_angle']), int(f['rotate'])
        self._rot_list = [int(v) for v in str(opt['rotate_list']).strip('()[] ').split(',')
                          if v.strip()]
        self._shear = f['max_shear_ratio']
        if f['min_aspect_ratio'] is None:       # MXNet: 1 -/+ max_aspect_ratio
            self._aspect = (1 - f['max_aspect_ratio'], 1 + f['max_aspect_ratio'])
        else:
            self._aspect = (f['min_aspect_ratio'], f['max_aspect_ratio'])
        self._scale_range = (f['min_random_scale'], f['max_random_scale'])
        self._img_size = (f['min_img_size'], f['max_img_size'])
        self._rrc = _bool(opt['random_resized_crop'])
        self._area = (f['min_random_area'], f['max_random_area'])
        self._jitter = (f['brightness'], f['contrast'], f['saturation'])
        self._pca = f['pca_noise']
        self._hsl = (int(f['random_h']), int(f['random_s']), int(f['random_l']))
        turns = self._max_rot > 0 or self._shear > 0 or self._rotate > 0 or self._rot_list
        self._warp_on = bool(turns) if self._rrc else bool(
            turns or self._scale_range != (1, 1) or self._aspect != (1, 1)
            or self._img_size != (0, 1e10))
        self._rrc_on = self._rrc and (self._area != (1, 1) or self._aspect != (1, 1))
        if self._rrc and (self._scale_range != (1, 1) or self._crop_range != (-1, -1)
                          or self._rand_crop):
            raise MXNetError('%s: random_resized_crop=True conflicts with min_random_scale, '
                             'max_random_scale, min_crop_size, max_crop_size and rand_crop; got '
                             'random scale %s, crop sizes %s, rand_crop=%s'
                             % (name, self._scale_range, self._crop_range, self._rand_crop))
        if self._rrc_on and not (self._aspect[0] > 0 and self._aspect[0] <= self._aspect[1]
                                 and self._area[0] <= self._area[1]):
            raise MXNetError('%s: random_resized_crop needs 0 < min_aspect_ratio <= '
                             'max_aspect_ratio and min_random_area <= max_random_area; got '
                             'aspect ratio range %s and area range %s'
                             % (name, self._aspect, self._area))
        if self._scale_range[0] > self._scale_range[1]:
            raise MXNetError('%s: min_random_scale (%g) must not exceed max_random_scale (%g)'
                             % ((name,) + self._scale_range))
        if min(self._jitter + (self._pca, self._shear) + self._hsl) < 0:
            raise MXNetError('%s: brightness, contrast, saturation, pca_noise, max_shear_ratio '
                             'and random_h/s/l must be >= 0' % name)
        self._colour_on = max(self._jitter + (self._pca,)) > 0 or any(self._hsl)
        if self._shape[0] == 1 and (self._jitter[2] > 0 or self._pca > 0 or any(self._hsl)):
            raise MXNetError('%s: saturation, pca_noise and random_h/s/l need colour images, '
                             'but data_shape %s has 1 channel' % (name, self._shape))
        self._extra = self._warp_on or self._rrc_on or self._colour_on

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
        u_size, u_y, u_x, u_interp = draws[:4]
        # the warp, resized crop and colour steps draw from their own per-image stream
        rng = np.random.default_rng(int(draws[4])) if self._extra else None
        rows, cols = img.shape[:2]
        if self._resize_to > 0:
            if rows > cols:
                nh, nw = self._resize_to * rows // cols, self._resize_to
            else:
                nh, nw = self._resize_to, self._resize_to * cols // rows
            img = _image()._resize(img, nw, nh, self._interp((rows, cols, nh, nw), u_interp))
        if self._warp_on:
            img = self._warp(img, rng, offset)
        if self._pad > 0:
            p = self._pad
            img = np.pad(img, ((p, p), (p, p), (0, 0)), constant_values=self._fill)
        cropped = self._resized_crop(img, rng) if self._rrc_on else None
        img = self._crop(img, offset, u_size, u_y, u_x, u_interp) if cropped is None else cropped
        return self._colour(img, rng) if self._colour_on else img

    def _warp(self, img, rng, offset):
        """MXNet's random affine warp: rotation, shear, aspect ratio and scale."""
        shear = (rng.random() * 2 - 1) * self._shear
        angle = int(rng.integers(-self._max_rot, self._max_rot + 1))
        if self._rotate > 0:
            angle = self._rotate
        if self._rot_list:
            angle = self._rot_list[int(rng.integers(len(self._rot_list)))]
        scale = ratio = 1.0
        if not self._rrc:
            lo, hi = self._scale_range
            scale = rng.random() * (hi - lo) + lo
            lo, hi = self._aspect
            ratio = rng.random() * (hi - lo) + lo
        rows, cols = img.shape[:2]
        lo, hi = self._img_size
        new_w, new_h = max(lo, min(hi, scale * cols)), max(lo, min(hi, scale * rows))
        if int(new_w) < 1 or int(new_h) < 1:
            raise MXNetError('%s: %s warps to %gx%g (HxW) with random scale %g; raise '
                             'min_random_scale or min_img_size' % (
                                 type(self).__name__, self._where(offset), new_h, new_w, scale))
        m = affine_matrix(angle, shear, scale, ratio, cols, rows, new_w, new_h)
        interp = self._interp((rows, cols, int(new_h), int(new_w)), rng.random())
        return warp_affine(img, m, int(new_w), int(new_h), interp, self._fill)

    def _resized_crop(self, img, rng):
        """A box of random area fraction and aspect ratio (10 tries), resized to data_shape;
        None when no try fits (the centre crop follows, as in MXNet)."""
        rows, cols = img.shape[:2]
        _, h, w = self._shape
        for _ in range(10):
            target = rows * cols * rng.uniform(*self._area)
            ratio = rng.uniform(*self._aspect)
            ch = int(np.floor(np.sqrt(target / ratio) + 0.5))
            cw = int(np.floor(np.sqrt(target * ratio) + 0.5))
            if rng.random() > 0.5:
                ch, cw = cw, ch
            if 0 < ch <= rows and 0 < cw <= cols:
                y = int(rng.integers(0, rows - ch + 1))
                x = int(rng.integers(0, cols - cw + 1))
                interp = self._interp((ch, cw, h, w), rng.random())
                return _image()._resize(img[y:y + ch, x:x + cw], w, h, interp)
        return None

    def _colour(self, img, rng):
        """Colour jitter (random order), HSL jitter, PCA noise: MXNet's order, on uint8."""
        b, c, s = self._jitter
        if b > 0 or c > 0 or s > 0:
            alphas = 1 + rng.uniform(-b, b), 1 + rng.uniform(-c, c), 1 + rng.uniform(-s, s)
            img = color_jitter(img, *alphas, order=rng.permutation(3))
        if any(self._hsl):
            # MXNet's (u1 + 4 u2) / 5: a triangular-ish draw that makes extremes rarer;
            # int() truncates towards zero as C++ does
            u = (rng.random(3) + 4 * rng.random(3)) / 5
            dh, ds, dl = (int(u[i] * v * 2 - v) for i, v in enumerate(self._hsl))
            img = hls_jitter(img, dh, dl, ds)
        if self._pca > 0:
            img = pca_lighting(img, rng.normal(0, self._pca, 3))
        return img

    def _crop(self, img, offset, u_size, u_y, u_x, u_interp):
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
        if self._extra:         # one seed per image: threads then cannot change results
            seeds = self._aug_rng.integers(0, 2 ** 52, len(offsets)).astype(np.float64)
            draws = np.concatenate([draws, seeds[:, None]], axis=1)
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
