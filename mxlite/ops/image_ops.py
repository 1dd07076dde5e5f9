"""MXNet's OpenCV-backed image internals as operators: ``_cvimdecode``, ``_cvimread``,
``_cvimresize``, ``_cvcopyMakeBorder`` and the legacy ``_imdecode``.

They are thin records over `mxlite.image` (decoding with Pillow or OpenCV, imported only
when an op runs; resizing in NumPy with OpenCV's sampling rules). A decoded image's shape
depends on the encoded bytes, so the decoders give their output shape from the values
(`infer_shape_from_values`, the imperative path); in a bound graph it stays unknown, as in
MXNet, whose decoders are imperative-only too. None of them has a gradient.
"""
import numpy as np

from .registry import Any, Bool, Float, FloatTuple, Int, Operator, Str, register, shape_check


def _image():
    from .. import image        # imported at call time: keeps `import mxlite` light
    return image


class _ImageOp(Operator):
    hidden = True
    backward_uses_inputs = False
    backward_uses_outputs = False

    def backward(self, p, ograds, inputs, outputs, ctx):
        return [None] * len(inputs)

    @property
    def nograd_inputs(self):
        return (0,)


class _Decoder(_ImageOp):
    """Decodes once for the shape and keeps the pixels for the forward that follows."""
    _cache = None

    def _pixels(self, p, in_data):
        raise NotImplementedError

    def infer_shape(self, p, in_shapes):
        return in_shapes, [None]

    def infer_shape_from_values(self, p, in_data):
        img = self._pixels(p, in_data)
        self._cache = (p, [id(x) for x in in_data], img)
        return [img.shape]

    def infer_type(self, p, in_types):
        return in_types, [np.dtype(np.uint8)]

    def forward(self, p, inputs, outputs, ctx):
        cache, self._cache = self._cache, None
        if cache is not None and cache[0] is p and cache[1] == [id(x) for x in inputs]:
            img = cache[2]
        else:
            img = self._pixels(p, inputs)
        outputs[0][...] = img


@register
class CvImDecode(_Decoder):
    """Decode the encoded image in a uint8 array `buf` to an HWC uint8 image
    (``flag`` 1 colour, 0 grey, -1 as stored; ``to_rgb`` False keeps OpenCV's BGR).

    Examples
    --------
    >>> import io, numpy as np, mxlite as mx
    >>> from PIL import Image
    >>> f = io.BytesIO()
    >>> Image.fromarray(np.full((2, 3, 3), 7, np.uint8)).save(f, format='PNG')
    >>> buf = mx.nd.array(np.frombuffer(f.getvalue(), np.uint8), dtype='uint8')
    >>> mx.nd._internal._cvimdecode(buf).shape
    (2, 3, 3)
    """
    name = '_cvimdecode'
    params = {'flag': Int(1), 'to_rgb': Bool(True)}

    def list_arguments(self, p):
        return ['buf']

    def _pixels(self, p, in_data):
        buf = np.ascontiguousarray(in_data[0], dtype=np.uint8).tobytes()
        return _image()._decode(buf, p.flag, p.to_rgb, '_cvimdecode')


@register
class CvImRead(_Decoder):
    """Read and decode the image file `filename` to an HWC uint8 image (see
    ``_cvimdecode`` for `flag` and `to_rgb`).

    Examples
    --------
    >>> import numpy as np, mxlite as mx
    >>> from PIL import Image
    >>> Image.fromarray(np.zeros((2, 3), np.uint8)).save('tmp_cvimread.png')
    >>> mx.nd._internal._cvimread(filename='tmp_cvimread.png', flag=0).shape
    (2, 3, 1)
    """
    name = '_cvimread'
    params = {'filename': Str(), 'flag': Int(1), 'to_rgb': Bool(True)}

    def list_arguments(self, p):
        return []

    def _pixels(self, p, in_data):
        return _image()._np(_image().imread(p.filename, p.flag, p.to_rgb))


@register
class CvImResize(_ImageOp):
    """Resize an HWC (or HW) image to width `w` and height `h` with OpenCV's `interp`
    codes (0 nearest, 1 bilinear, 2 bicubic, 3 area, 4 Lanczos-4, 9 auto, 10 random).

    Examples
    --------
    >>> import numpy as np, mxlite as mx
    >>> img = mx.nd.array(np.arange(16).reshape(4, 4, 1), dtype='uint8')
    >>> mx.nd._internal._cvimresize(img, w=2, h=2).asnumpy()[:, :, 0].tolist()
    [[3, 5], [11, 13]]
    """
    name = '_cvimresize'
    params = {'w': Int(), 'h': Int(), 'interp': Int(1)}

    def list_arguments(self, p):
        return ['src']

    def infer_shape(self, p, in_shapes):
        shape_check(p.w > 0 and p.h > 0, 'w=%d and h=%d must be positive', p.w, p.h)
        src = in_shapes[0]
        if src is None:
            return in_shapes, [None]
        shape_check(len(src) in (2, 3), "input 'src' has shape %s; expected an HWC or HW "
                    'image', tuple(src))
        return in_shapes, [(p.h, p.w) + tuple(src[2:])]

    def forward(self, p, inputs, outputs, ctx):
        image = _image()
        src = inputs[0]
        interp = image._get_interp_method(p.interp, (src.shape[0], src.shape[1], p.h, p.w))
        outputs[0][...] = image._resize(src, p.w, p.h, interp)


# OpenCV border types -> np.pad modes (BORDER_REFLECT repeats the edge pixel: 'symmetric')
_BORDERS = {0: 'constant', 1: 'edge', 2: 'symmetric', 3: 'wrap', 4: 'reflect'}


@register
class CvCopyMakeBorder(_ImageOp):
    """Pad an HWC image by `top`, `bot`, `left`, `right` pixels with OpenCV's border
    `type`: 0 constant (`values` per channel, else `value`), 1 replicate, 2 reflect
    (``fedcba|abcdef``), 3 wrap, 4 reflect-101 (``gfedcb|abcdef``).

    Examples
    --------
    >>> import numpy as np, mxlite as mx
    >>> img = mx.nd.array([[[1], [2]]], dtype='uint8')
    >>> mx.nd._internal._cvcopyMakeBorder(img, 0, 0, 1, 2, type=1).asnumpy()[0, :, 0]
    array([1, 1, 2, 2, 2], dtype=uint8)
    """
    name = '_cvcopyMakeBorder'
    params = {'top': Int(), 'bot': Int(), 'left': Int(), 'right': Int(), 'type': Int(0),
              'value': Float(0.0), 'values': FloatTuple(())}

    def list_arguments(self, p):
        return ['src']

    def infer_shape(self, p, in_shapes):
        pads = (p.top, p.bot, p.left, p.right)
        shape_check(min(pads) >= 0, 'border sizes (top, bot, left, right) = %s must not be '
                    'negative', pads)
        shape_check(p.type in _BORDERS, 'type=%d is not a border type (0 constant, 1 '
                    'replicate, 2 reflect, 3 wrap, 4 reflect-101)', p.type)
        src = in_shapes[0]
        if src is None:
            return in_shapes, [None]
        shape_check(len(src) in (2, 3), "input 'src' has shape %s; expected an HWC or HW "
                    'image', tuple(src))
        return in_shapes, [(src[0] + p.top + p.bot, src[1] + p.left + p.right)
                           + tuple(src[2:])]

    def forward(self, p, inputs, outputs, ctx):
        src = inputs[0]
        pads = [(p.top, p.bot), (p.left, p.right)] + [(0, 0)] * (src.ndim - 2)
        mode = _BORDERS[p.type]
        if mode != 'constant':
            outputs[0][...] = np.pad(src, pads, mode=mode)
            return
        out = outputs[0]
        chans = src.shape[2] if src.ndim == 3 else 1
        fill = np.full(chans, p.value)
        if p.values:            # per-channel values win; channels beyond them get 0
            fill[:] = 0
            k = min(len(p.values), chans)
            fill[:k] = p.values[:k]
        out[...] = fill.astype(out.dtype) if src.ndim == 3 else out.dtype.type(fill[0])
        out[p.top:p.top + src.shape[0], p.left:p.left + src.shape[1]] = src


@register
class ImDecodeLegacy(_Decoder):
    """The legacy decoder behind MXNet 0.x's ``mx.nd.imdecode``: decode `str_img` (bytes)
    to a float32 (1, c, height, width) batch, cropped to ``[y0:y1, x0:x1]`` when
    ``x1 > x0`` and ``y1 > y0``, with `mean` (c, height, width) subtracted when it is not
    empty. `index` and `size` are kept for compatibility.

    Examples
    --------
    >>> import io, numpy as np, mxlite as mx
    >>> from PIL import Image
    >>> f = io.BytesIO()
    >>> Image.fromarray(np.full((2, 3, 3), 9, np.uint8)).save(f, format='PNG')
    >>> out = mx.nd._internal._imdecode(mx.nd.zeros((0,)), index=0, x0=0, y0=0, x1=0, y1=0,
    ...                                 c=3, size=0, str_img=f.getvalue())
    >>> out.shape, float(out.asnumpy().max())
    ((1, 3, 2, 3), 9.0)
    """
    name = '_imdecode'
    params = {'index': Int(0), 'x0': Int(0), 'y0': Int(0), 'x1': Int(0), 'y1': Int(0),
              'c': Int(3), 'size': Int(0), 'str_img': Any(b'')}

    def list_arguments(self, p):
        return ['mean']

    def infer_type(self, p, in_types):
        return [np.dtype(np.float32)], [np.dtype(np.float32)]

    def _pixels(self, p, in_data):
        shape_check(p.c in (1, 3), 'c=%d must be 1 (grey) or 3 (colour)', p.c)
        buf = p.str_img
        if isinstance(buf, str):
            buf = buf.encode('latin-1')
        img = _image()._decode(bytes(buf), 1 if p.c == 3 else 0, True, '_imdecode')
        if p.x1 > p.x0 and p.y1 > p.y0:
            shape_check(p.y1 <= img.shape[0] and p.x1 <= img.shape[1], 'the crop (x0, y0, x1, '
                        'y1) = %s does not fit the %dx%d image', (p.x0, p.y0, p.x1, p.y1),
                        img.shape[1], img.shape[0])
            img = img[p.y0:p.y1, p.x0:p.x1]
        out = img.transpose(2, 0, 1)[None].astype(np.float32)
        mean = in_data[0] if in_data else None
        if mean is not None and mean.size:
            shape_check(mean.size == out.size, "input 'mean' has shape %s; expected %s",
                        mean.shape, out.shape[1:])
            out = out - mean.reshape(out.shape).astype(np.float32)
        return out
