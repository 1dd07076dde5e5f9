"""mx.image: decode, resize, crop and augment images; ImageIter (MXNet 1.9.1's ``mx.image``).

Images are NDArrays in HWC layout (height, width, channels), uint8 after decoding and RGB
unless ``to_rgb=False`` asks for OpenCV's BGR.

* Decoding uses Pillow, or OpenCV when Pillow is missing, imported on first use (so
  ``import mxlite`` stays light); without either, `MXNetError` says what to install.
* Resizing is done here in NumPy with OpenCV's sampling rules (pixel-centre alignment,
  replicated borders, Keys cubic with a = -0.75, box-filter area, Lanczos-4), so results do
  not depend on which codec is installed. OpenCV computes uint8 linear/cubic resizes in
  fixed point; mxlite in float32 and rounds, so a pixel can differ from OpenCV's by 1.
* Random choices come from Python's `random` module as in MXNet (`random.seed` makes
  them repeat); `LightingAug` draws from `numpy.random` as MXNet's does.

Interpolation codes (``interp``): 0 nearest, 1 bilinear, 2 bicubic, 3 area, 4 Lanczos-4,
9 = cubic to enlarge / area to shrink / bilinear otherwise, 10 = one of 0-4 at random.
"""
import io
import json
import numbers
import os
import random

import numpy as np

from .base import MXNetError
from .context import cpu
from .ndarray.ndarray import NDArray

__all__ = ['imdecode', 'imread', 'imresize', 'scale_down', 'resize_short', 'fixed_crop',
           'random_crop', 'center_crop', 'color_normalize', 'random_size_crop',
           'Augmenter', 'SequentialAug', 'RandomOrderAug', 'ResizeAug', 'ForceResizeAug',
           'RandomCropAug', 'RandomSizedCropAug', 'CenterCropAug', 'BrightnessJitterAug',
           'ContrastJitterAug', 'SaturationJitterAug', 'HueJitterAug', 'ColorJitterAug',
           'LightingAug', 'ColorNormalizeAug', 'RandomGrayAug', 'HorizontalFlipAug',
           'CastAug', 'CreateAugmenter', 'ImageIter']


# ---------------------------------------------------------------------- codec
def _codec(what):
    """('pil', PIL.Image) or ('cv2', cv2): Pillow first, OpenCV as the fallback."""
    try:
        from PIL import Image
        return 'pil', Image
    except ImportError:
        pass
    try:
        import cv2
        return 'cv2', cv2
    except ImportError:
        raise MXNetError('%s needs an image codec: install Pillow (pip install Pillow) or '
                         'OpenCV (pip install opencv-python-headless)' % what) from None


def _decode(buf, flag=1, to_rgb=True, what='mx.image.imdecode'):
    """Bytes of an encoded image -> uint8 HWC numpy array (1, 3 or 4 channels).

    flag 0: grey (H, W, 1); 1 (or > 0): colour (H, W, 3); -1: as stored (alpha kept).
    """
    kind, mod = _codec(what)
    if kind == 'pil':
        try:
            pil = mod.open(io.BytesIO(buf))
            pil.load()
        except Exception as exc:    # Pillow raises several types for undecodable data
            raise MXNetError('%s: cannot decode %d bytes as an image (%s: %s)'
                             % (what, len(buf), type(exc).__name__, exc)) from None
        if flag >= 0 and pil.getexif().get(0x0112, 1) != 1:
            from PIL import ImageOps        # OpenCV applies EXIF orientation; so do we
            pil = ImageOps.exif_transpose(pil)
        if flag == 0:
            mode = 'L'
        elif flag > 0:
            mode = 'RGB'
        elif pil.mode in ('L', '1') or pil.mode.startswith('I'):
            mode = 'L'
        else:
            mode = 'RGBA' if ('A' in pil.mode or 'transparency' in pil.info) else 'RGB'
        arr = np.asarray(pil if pil.mode == mode else pil.convert(mode))
        if arr.ndim == 2:
            arr = arr[:, :, None]
        if not to_rgb and arr.shape[2] >= 3:
            arr = arr[:, :, [2, 1, 0, 3][:arr.shape[2]]]
        return np.ascontiguousarray(arr)
    arr = mod.imdecode(np.frombuffer(buf, dtype=np.uint8), int(flag))
    if arr is None:
        raise MXNetError('%s: cannot decode %d bytes as an image (OpenCV could not read '
                         'them)' % (what, len(buf)))
    if arr.ndim == 2:
        arr = arr[:, :, None]
    if to_rgb and arr.shape[2] >= 3:
        arr = arr[:, :, [2, 1, 0, 3][:arr.shape[2]]]
    return np.ascontiguousarray(arr)


def _np(src):
    """The numpy array behind an NDArray (no copy on cpu), or np.asarray of anything else."""
    if isinstance(src, NDArray):
        data = src._data
        return data if isinstance(data, np.ndarray) else src.asnumpy()
    return np.asarray(src)


def _out(arr, out=None):
    if out is not None:
        out._data[...] = arr
        return out
    return NDArray(arr, cpu())


def imdecode(buf, flag=1, to_rgb=True, out=None):
    """Decodes an encoded image (JPEG, PNG, ...) into an HWC uint8 NDArray.

    Parameters
    ----------
    buf : bytes, bytearray, numpy.ndarray or NDArray of uint8
        The encoded image.
    flag : int, default 1
        1 for colour (3 channels), 0 for greyscale (1 channel), -1 to keep what is stored
        (e.g. an alpha channel).
    to_rgb : bool, default True
        RGB channel order (MXNet's); False gives BGR (OpenCV's).
    out : NDArray, optional
        Where to write the result (its shape must match).

    Examples
    --------
    >>> import io
    >>> from PIL import Image
    >>> f = io.BytesIO()
    >>> Image.fromarray(np.full((2, 3, 3), (10, 20, 30), np.uint8)).save(f, format='PNG')
    >>> img = mx.image.imdecode(f.getvalue())
    >>> img.shape, img.dtype.__name__, img.asnumpy()[0, 0].tolist()
    ((2, 3, 3), 'uint8', [10, 20, 30])
    >>> mx.image.imdecode(f.getvalue(), to_rgb=False).asnumpy()[0, 0].tolist()
    [30, 20, 10]
    """
    if isinstance(buf, NDArray):
        buf = buf.asnumpy()
    if isinstance(buf, np.ndarray):
        buf = np.ascontiguousarray(buf, dtype=np.uint8).tobytes()
    elif isinstance(buf, (bytearray, memoryview)):
        buf = bytes(buf)
    elif not isinstance(buf, bytes):
        raise ValueError('imdecode: buf must be bytes, bytearray, numpy.ndarray or NDArray, '
                         'not %s (encode a str to bytes first)' % type(buf).__name__)
    return _out(_decode(buf, flag, to_rgb), out)


def imread(filename, flag=1, to_rgb=True, out=None):
    """Reads and decodes an image file into an HWC uint8 NDArray (see `imdecode`).

    Examples
    --------
    >>> from PIL import Image
    >>> Image.fromarray(np.zeros((2, 3), np.uint8)).save('tmp.png')
    >>> mx.image.imread('tmp.png').shape, mx.image.imread('tmp.png', flag=0).shape
    ((2, 3, 3), (2, 3, 1))
    """
    filename = os.fspath(filename)
    if not os.path.isfile(filename):
        raise FileNotFoundError("mx.image.imread: image file '%s' does not exist" % filename)
    with open(filename, 'rb') as fin:
        data = fin.read()
    return _out(_decode(data, flag, to_rgb, "mx.image.imread('%s')" % filename), out)


# ---------------------------------------------------------------------- resampling
_A = -0.75      # the Keys cubic parameter OpenCV uses


def _axis_taps(n_in, n_out, mode):
    """Source indices and weights (n_out, taps) to resample one axis of n_in to n_out."""
    scale = n_in / n_out
    d = np.arange(n_out, dtype=np.float64)
    if mode == 'nearest':       # OpenCV's nearest takes floor(d * scale), no half-pixel
        idx = np.minimum(np.floor(d * scale), n_in - 1)[:, None]
        return idx.astype(np.intp), np.ones((n_out, 1), np.float32)
    if mode == 'area':          # shrinking: average of the source cells each output covers
        lo = d * scale
        idx = np.floor(lo)[:, None] + np.arange(int(np.ceil(scale)) + 1)
        w = np.minimum(idx + 1, (lo + scale)[:, None]) - np.maximum(idx, lo[:, None])
        w = np.where(idx < n_in, np.clip(w, 0, None), 0)
        w /= w.sum(axis=1, keepdims=True)
        return np.minimum(idx, n_in - 1).astype(np.intp), w.astype(np.float32)
    if mode == 'area_up':       # OpenCV's area rule when enlarging: a sharpened linear
        base = np.floor(d * scale)
        f = (d + 1) - (base + 1) / scale
        f = np.where(f <= 0, 0.0, f - np.floor(f))
    else:                       # the source position of each output pixel centre
        pos = (d + 0.5) * scale - 0.5
        base = np.floor(pos)
        f = pos - base
    if mode in ('linear', 'area_up'):
        offsets, w = [0, 1], [1 - f, f]
    elif mode == 'cubic':
        g = 1 - f
        w0 = ((_A * (f + 1) - 5 * _A) * (f + 1) + 8 * _A) * (f + 1) - 4 * _A
        w1 = ((_A + 2) * f - (_A + 3)) * f * f + 1
        w2 = ((_A + 2) * g - (_A + 3)) * g * g + 1
        offsets, w = [-1, 0, 1, 2], [w0, w1, w2, 1 - w0 - w1 - w2]
    else:                       # lanczos4: sinc(t) sinc(t/4) over 8 taps, normalised
        offsets = list(range(-3, 5))
        t = f[:, None] + 3 - np.arange(8)
        k = np.sinc(t) * np.sinc(t / 4)
        w = list((k / k.sum(axis=1, keepdims=True)).T)
    idx = np.clip(base[:, None] + np.array(offsets), 0, n_in - 1).astype(np.intp)
    return idx, np.stack(w, axis=1).astype(np.float32)


_MODES = {0: 'nearest', 1: 'linear', 2: 'cubic', 3: 'area', 4: 'lanczos'}


def _resize(img, w, h, interp):
    """Resize a numpy HW[C] image to (h, w); `interp` already resolved to 0-4."""
    H, W = img.shape[:2]
    if w <= 0 or h <= 0:
        raise MXNetError('imresize: the target size must be positive, got w=%d h=%d' % (w, h))
    if (H, W) == (h, w):
        return img.copy()
    mode = _MODES[interp]
    if mode == 'area' and (W < w or H < h):
        mode = 'area_up'
    out = img.astype(np.float32)
    for axis, n_in, n_out in ((0, H, h), (1, W, w)):
        if n_in == n_out and mode != 'area_up':
            continue
        idx, wt = _axis_taps(n_in, n_out, mode)
        bshape = (-1,) + (1,) * (out.ndim - 1 - axis)
        acc = np.take(out, idx[:, 0], axis=axis) * wt[:, 0].reshape(bshape)
        for t in range(1, idx.shape[1]):    # a loop over taps (2-16), never over pixels
            acc += np.take(out, idx[:, t], axis=axis) * wt[:, t].reshape(bshape)
        out = acc
    if np.issubdtype(img.dtype, np.integer):
        info = np.iinfo(img.dtype)      # OpenCV's fixed-point kernels round halves up
        return np.clip(np.floor(out + 0.5), info.min, info.max).astype(img.dtype)
    return out.astype(img.dtype, copy=False)


def _get_interp_method(interp, sizes=()):
    """Resolve 9 (by sizes (old_h, old_w, new_h, new_w)) and 10 (random) to 0-4."""
    if interp == 9:
        if not sizes:
            return 2
        oh, ow, nh, nw = sizes
        if nh > oh and nw > ow:
            return 2
        if nh < oh and nw < ow:
            return 3
        return 1
    if interp == 10:
        return random.randint(0, 4)
    if interp not in (0, 1, 2, 3, 4):
        raise ValueError('Unknown interp method %r: expected 0 (nearest), 1 (bilinear), '
                         '2 (bicubic), 3 (area), 4 (lanczos4), 9 (auto) or 10 (random)'
                         % (interp,))
    return interp


def imresize(src, w, h, interp=1, out=None):
    """Resizes an HWC image to width `w` and height `h` (dtype kept).

    Examples
    --------
    >>> img = mx.nd.array(np.arange(16).reshape(4, 4, 1), dtype='uint8')
    >>> mx.image.imresize(img, 2, 2).asnumpy()[:, :, 0].tolist()
    [[3, 5], [11, 13]]
    """
    arr = _np(src)
    sizes = (arr.shape[0], arr.shape[1], int(h), int(w))
    return _out(_resize(arr, int(w), int(h), _get_interp_method(interp, sizes)), out)


def scale_down(src_size, size):
    """Shrinks a crop `size` (w, h) to fit `src_size` (w, h), keeping its aspect ratio.

    Examples
    --------
    >>> mx.image.scale_down((640, 480), (720, 120))
    (640, 106)
    """
    w, h = size
    sw, sh = src_size
    if sh < h:
        w, h = float(w * sh) / h, sh
    if sw < w:
        w, h = sw, float(h * sw) / w
    return int(w), int(h)


def resize_short(src, size, interp=2):
    """Resizes the shorter edge to `size`, the other in proportion (floored).

    Examples
    --------
    >>> mx.image.resize_short(mx.nd.zeros((100, 200, 3), dtype='uint8'), 50).shape
    (50, 100, 3)
    """
    h, w = src.shape[:2]
    if h > w:
        new_h, new_w = size * h // w, size
    else:
        new_h, new_w = size, size * w // h
    return imresize(src, new_w, new_h, interp=_get_interp_method(interp, (h, w, new_h, new_w)))


def fixed_crop(src, x0, y0, w, h, size=None, interp=2):
    """Crops the (w, h) box at (x0, y0); resizes it to `size` (w, h) when given and different.

    Examples
    --------
    >>> img = mx.nd.array(np.arange(16).reshape(4, 4, 1), dtype='uint8')
    >>> mx.image.fixed_crop(img, 1, 2, 2, 1).asnumpy()[:, :, 0].tolist()
    [[9, 10]]
    """
    arr = _np(src)
    if x0 < 0 or y0 < 0 or w <= 0 or h <= 0 or x0 + w > arr.shape[1] or y0 + h > arr.shape[0]:
        raise MXNetError('fixed_crop: the box x0=%d y0=%d w=%d h=%d does not fit in an image of '
                         'width %d and height %d' % (x0, y0, w, h, arr.shape[1], arr.shape[0]))
    out = arr[y0:y0 + h, x0:x0 + w]
    if size is not None and (w, h) != tuple(size):
        sizes = (h, w, size[1], size[0])
        return _out(_resize(out, size[0], size[1], _get_interp_method(interp, sizes)))
    return _out(out.copy())


def random_crop(src, size, interp=2):
    """Crops a random `size` (w, h) box (scaled down to fit, then resized back to `size`).

    Returns
    -------
    (NDArray, (x0, y0, w, h)) : the crop and the box taken from `src`.
    """
    h, w = src.shape[:2]
    new_w, new_h = scale_down((w, h), size)
    x0 = random.randint(0, w - new_w)
    y0 = random.randint(0, h - new_h)
    return fixed_crop(src, x0, y0, new_w, new_h, size, interp), (x0, y0, new_w, new_h)


def center_crop(src, size, interp=2):
    """Crops the central `size` (w, h) box (scaled down to fit, then resized back to `size`).

    Returns
    -------
    (NDArray, (x0, y0, w, h)) : the crop and the box taken from `src`.

    Examples
    --------
    >>> out, box = mx.image.center_crop(mx.nd.zeros((6, 8, 3), dtype='uint8'), (4, 2))
    >>> out.shape, box
    ((2, 4, 3), (2, 2, 4, 2))
    """
    h, w = src.shape[:2]
    new_w, new_h = scale_down((w, h), size)
    x0 = int((w - new_w) / 2)
    y0 = int((h - new_h) / 2)
    return fixed_crop(src, x0, y0, new_w, new_h, size, interp), (x0, y0, new_w, new_h)


def random_size_crop(src, size, area, ratio, interp=2, **kwargs):
    """Crops a random box of random area fraction and aspect ratio, resized to `size`.

    `area` is the (min, max) fraction of the image area (a number means (area, 1)),
    `ratio` the (min, max) width/height ratio, drawn log-uniformly. After 10 failed
    draws it falls back to `center_crop`.
    """
    h, w = src.shape[:2]
    if 'min_area' in kwargs:        # the name older MXNet used
        area = kwargs.pop('min_area')
    if kwargs:
        raise TypeError('random_size_crop: unexpected arguments %s' % sorted(kwargs))
    if isinstance(area, numbers.Number):
        area = (area, 1.0)
    for _ in range(10):
        target = random.uniform(area[0], area[1]) * h * w
        new_ratio = np.exp(random.uniform(np.log(ratio[0]), np.log(ratio[1])))
        new_w = int(round(np.sqrt(target * new_ratio)))
        new_h = int(round(np.sqrt(target / new_ratio)))
        if new_w <= w and new_h <= h:
            x0 = random.randint(0, w - new_w)
            y0 = random.randint(0, h - new_h)
            return fixed_crop(src, x0, y0, new_w, new_h, size, interp), (x0, y0, new_w, new_h)
    return center_crop(src, size, interp)


def color_normalize(src, mean, std=None):
    """``(src - mean) / std``; in place for a floating-point NDArray, as in MXNet.

    Examples
    --------
    >>> img = mx.nd.array([[[10., 20., 30.]]])
    >>> mx.image.color_normalize(img, mx.nd.array([1, 2, 3]), mx.nd.array([3, 3, 3])).asnumpy()
    array([[[3., 6., 9.]]], dtype=float32)
    """
    if not (isinstance(src, NDArray) and np.issubdtype(src._data.dtype, np.floating)):
        src = NDArray(_np(src).astype(np.float32), cpu())
    if mean is not None:
        src -= mean if isinstance(mean, (NDArray, numbers.Number)) else np.asarray(mean)
    if std is not None:
        src /= std if isinstance(std, (NDArray, numbers.Number)) else np.asarray(std)
    return src


# ---------------------------------------------------------------------- augmenters
class Augmenter:
    """Base class of image augmenters: ``aug(src) -> NDArray``; `dumps` describes it as JSON.

    Examples
    --------
    >>> mx.image.ResizeAug(224).dumps()
    '["resizeaug", {"size": 224, "interp": 2}]'
    """

    def __init__(self, **kwargs):
        self._kwargs = {}
        for k, v in kwargs.items():
            if isinstance(v, NDArray):
                v = v.asnumpy()
            if isinstance(v, np.ndarray):
                v = v.tolist()
            self._kwargs[k] = v

    def dumps(self):
        """``'["<classname lowercased>", {kwargs}]'``."""
        return json.dumps([type(self).__name__.lower(), self._kwargs])

    def __call__(self, src):
        raise NotImplementedError('%s must implement __call__' % type(self).__name__)


class SequentialAug(Augmenter):
    """Applies `ts` (a list of augmenters) in order."""

    def __init__(self, ts):
        super().__init__()
        self.ts = ts

    def dumps(self):
        return [type(self).__name__.lower(), [t.dumps() for t in self.ts]]

    def __call__(self, src):
        for aug in self.ts:
            src = aug(src)
        return src


class RandomOrderAug(SequentialAug):
    """Applies `ts` in a random order (shuffled with `random.shuffle` on every call)."""

    def __call__(self, src):
        random.shuffle(self.ts)
        return super().__call__(src)


class ResizeAug(Augmenter):
    """Resizes the shorter edge to `size` (`resize_short`)."""

    def __init__(self, size, interp=2):
        super().__init__(size=size, interp=interp)
        self.size, self.interp = size, interp

    def __call__(self, src):
        return resize_short(src, self.size, self.interp)


class ForceResizeAug(Augmenter):
    """Resizes to `size` (w, h), ignoring the aspect ratio."""

    def __init__(self, size, interp=2):
        super().__init__(size=size, interp=interp)
        self.size, self.interp = size, interp

    def __call__(self, src):
        sizes = (src.shape[0], src.shape[1], self.size[1], self.size[0])
        return imresize(src, self.size[0], self.size[1], _get_interp_method(self.interp, sizes))


class RandomCropAug(Augmenter):
    """A random `size` (w, h) crop (`random_crop`)."""

    def __init__(self, size, interp=2):
        super().__init__(size=size, interp=interp)
        self.size, self.interp = size, interp

    def __call__(self, src):
        return random_crop(src, self.size, self.interp)[0]


class RandomSizedCropAug(Augmenter):
    """A crop of random area and aspect ratio, resized to `size` (`random_size_crop`)."""

    def __init__(self, size, area, ratio, interp=2, **kwargs):
        super().__init__(size=size, area=area, ratio=ratio, interp=interp)
        self.size, self.area, self.ratio, self.interp = size, area, ratio, interp
        self.kwargs = kwargs
        if 'min_area' in kwargs:
            self.area = kwargs.pop('min_area')

    def __call__(self, src):
        return random_size_crop(src, self.size, self.area, self.ratio, self.interp,
                                **self.kwargs)[0]


class CenterCropAug(Augmenter):
    """The central `size` (w, h) crop (`center_crop`)."""

    def __init__(self, size, interp=2):
        super().__init__(size=size, interp=interp)
        self.size, self.interp = size, interp

    def __call__(self, src):
        return center_crop(src, self.size, self.interp)[0]


_GREY_COEF = np.array([0.299, 0.587, 0.114], dtype=np.float32)


def _float(src):
    arr = _np(src)
    return arr if np.issubdtype(arr.dtype, np.floating) else arr.astype(np.float32)


class BrightnessJitterAug(Augmenter):
    """Multiplies by ``1 + uniform(-brightness, brightness)``."""

    def __init__(self, brightness):
        super().__init__(brightness=brightness)
        self.brightness = brightness

    def __call__(self, src):
        alpha = 1.0 + random.uniform(-self.brightness, self.brightness)
        return _out(_float(src) * np.float32(alpha))


class ContrastJitterAug(Augmenter):
    """Blends with the image's mean grey level: ``alpha * src + (1 - alpha) * mean_grey``."""

    def __init__(self, contrast):
        super().__init__(contrast=contrast)
        self.contrast = contrast

    def __call__(self, src):
        alpha = 1.0 + random.uniform(-self.contrast, self.contrast)
        arr = _float(src)
        grey = (arr * _GREY_COEF).sum(dtype=np.float32) * 3.0 / arr.size
        return _out(arr * np.float32(alpha) + np.float32((1.0 - alpha) * grey))


class SaturationJitterAug(Augmenter):
    """Blends each pixel with its grey level: ``alpha * src + (1 - alpha) * grey``."""

    def __init__(self, saturation):
        super().__init__(saturation=saturation)
        self.saturation = saturation

    def __call__(self, src):
        alpha = 1.0 + random.uniform(-self.saturation, self.saturation)
        arr = _float(src)
        grey = (arr * _GREY_COEF).sum(axis=2, keepdims=True)
        return _out(arr * np.float32(alpha) + grey * np.float32(1.0 - alpha))


class HueJitterAug(Augmenter):
    """Rotates the hue by ``uniform(-hue, hue) * 180`` degrees (in YIQ space)."""
    _TO_YIQ = np.array([[0.299, 0.587, 0.114], [0.596, -0.274, -0.321],
                        [0.211, -0.523, 0.311]])
    _FROM_YIQ = np.array([[1.0, 0.956, 0.621], [1.0, -0.272, -0.647], [1.0, -1.107, 1.705]])

    def __init__(self, hue):
        super().__init__(hue=hue)
        self.hue = hue

    def __call__(self, src):
        alpha = random.uniform(-self.hue, self.hue)
        u, w = np.cos(alpha * np.pi), np.sin(alpha * np.pi)
        rot = np.array([[1.0, 0.0, 0.0], [0.0, u, -w], [0.0, w, u]])
        t = (self._FROM_YIQ @ rot @ self._TO_YIQ).T.astype(np.float32)
        return _out(_float(src) @ t)


class ColorJitterAug(RandomOrderAug):
    """Brightness, contrast and saturation jitter (those > 0), in random order."""

    def __init__(self, brightness, contrast, saturation):
        ts = []
        if brightness > 0:
            ts.append(BrightnessJitterAug(brightness))
        if contrast > 0:
            ts.append(ContrastJitterAug(contrast))
        if saturation > 0:
            ts.append(SaturationJitterAug(saturation))
        super().__init__(ts)


class LightingAug(Augmenter):
    """AlexNet-style PCA lighting noise: adds ``eigvec @ (alpha * eigval)``.

    ``alpha`` is drawn from ``numpy.random.normal(0, alphastd, 3)`` on every call.
    """

    def __init__(self, alphastd, eigval, eigvec):
        super().__init__(alphastd=alphastd, eigval=eigval, eigvec=eigvec)
        self.alphastd = alphastd
        self.eigval, self.eigvec = np.asarray(eigval), np.asarray(eigvec)

    def __call__(self, src):
        alpha = np.random.normal(0, self.alphastd, size=(3,))
        rgb = np.dot(self.eigvec * alpha, self.eigval)
        return _out(_float(src) + rgb.astype(np.float32))


class ColorNormalizeAug(Augmenter):
    """``(src - mean) / std`` per channel (`color_normalize`)."""

    def __init__(self, mean, std):
        super().__init__(mean=mean, std=std)
        self.mean = None if mean is None else NDArray(np.asarray(_np(mean), np.float32), cpu())
        self.std = None if std is None else NDArray(np.asarray(_np(std), np.float32), cpu())

    def __call__(self, src):
        return color_normalize(src, self.mean, self.std)


class RandomGrayAug(Augmenter):
    """With probability `p`, replaces each channel by the pixel's grey level."""
    _MAT = np.array([[0.21, 0.21, 0.21], [0.72, 0.72, 0.72], [0.07, 0.07, 0.07]], np.float32)

    def __init__(self, p):
        super().__init__(p=p)
        self.p = p

    def __call__(self, src):
        if random.random() < self.p:
            return _out(_float(src) @ self._MAT)
        return src


class HorizontalFlipAug(Augmenter):
    """With probability `p`, mirrors the image left to right."""

    def __init__(self, p):
        super().__init__(p=p)
        self.p = p

    def __call__(self, src):
        if random.random() < self.p:
            return _out(np.ascontiguousarray(_np(src)[:, ::-1]))
        return src


class CastAug(Augmenter):
    """Casts to `typ` (float32 by default)."""

    def __init__(self, typ='float32'):
        super().__init__(type=typ)
        self.typ = typ

    def __call__(self, src):
        return src.astype(self.typ) if isinstance(src, NDArray) else \
            _out(np.asarray(src).astype(self.typ))


def CreateAugmenter(data_shape, resize=0, rand_crop=False, rand_resize=False, rand_mirror=False,
                    mean=None, std=None, brightness=0, contrast=0, saturation=0, hue=0,
                    pca_noise=0, rand_gray=0, inter_method=2):
    """The standard augmenter list for classification.

    In order: `ResizeAug` (when ``resize > 0``), a crop to ``data_shape``'s (w, h)
    (`RandomSizedCropAug` with area 0.08-1 and ratio 3/4-4/3 when `rand_resize`,
    `RandomCropAug` when `rand_crop`, `CenterCropAug` otherwise), `HorizontalFlipAug(0.5)`
    (when `rand_mirror`), `CastAug`, colour/hue jitter, lighting noise, random grey and
    `ColorNormalizeAug` (when `mean` or `std`; True selects the ImageNet statistics).

    Examples
    --------
    >>> [type(a).__name__ for a in mx.image.CreateAugmenter((3, 224, 224), resize=256,
    ...                                                     rand_mirror=True, mean=True)]
    ['ResizeAug', 'CenterCropAug', 'HorizontalFlipAug', 'CastAug', 'ColorNormalizeAug']
    """
    auglist = []
    if resize > 0:
        auglist.append(ResizeAug(resize, inter_method))
    crop_size = (data_shape[2], data_shape[1])
    if rand_resize:
        if not rand_crop:
            raise ValueError('CreateAugmenter: rand_resize=True needs rand_crop=True')
        auglist.append(RandomSizedCropAug(crop_size, 0.08, (3.0 / 4.0, 4.0 / 3.0), inter_method))
    elif rand_crop:
        auglist.append(RandomCropAug(crop_size, inter_method))
    else:
        auglist.append(CenterCropAug(crop_size, inter_method))
    if rand_mirror:
        auglist.append(HorizontalFlipAug(0.5))
    auglist.append(CastAug())
    if brightness or contrast or saturation:
        auglist.append(ColorJitterAug(brightness, contrast, saturation))
    if hue:
        auglist.append(HueJitterAug(hue))
    if pca_noise > 0:       # ImageNet's RGB eigen-decomposition (AlexNet's lighting noise)
        eigval = np.array([55.46, 4.794, 1.148])
        eigvec = np.array([[-0.5675, 0.7192, 0.4009], [-0.5808, -0.0045, -0.8140],
                           [-0.5836, -0.6948, 0.4203]])
        auglist.append(LightingAug(pca_noise, eigval, eigvec))
    if rand_gray > 0:
        auglist.append(RandomGrayAug(rand_gray))
    mean = _stat(mean, [123.68, 116.28, 103.53], 'mean')
    std = _stat(std, [58.395, 57.12, 57.375], 'std')
    if mean is not None or std is not None:
        auglist.append(ColorNormalizeAug(mean, std))
    return auglist


def _stat(value, imagenet, what):
    if value is True:
        return np.array(imagenet, np.float32)
    if value is None or value is False:
        return None
    arr = _np(value)
    if arr.ndim != 1 or arr.shape[0] not in (1, 3):
        raise ValueError('CreateAugmenter: %s must be True, None or an array of 1 or 3 values, '
                         'got shape %s' % (what, arr.shape))
    return arr


from ._image_iter import ImageIter  # noqa: E402  (it uses the functions above)
