"""mx.image: decoding, OpenCV-rule resizing, crops, augmenters and ImageIter.

Images are small synthetic arrays with known values, stored as PNG (lossless) so every
pixel can be checked exactly. Resizes are checked against a per-pixel loop written from
OpenCV's documented sampling rules; crops, flips and normalisation against NumPy slicing
and arithmetic. Tests that decode or encode need Pillow and skip without it.
"""
import doctest
import io
import json
import math
import random
import subprocess
import sys

import numpy as np
import pytest

import mxlite as mx
from mxlite import _image_iter, image
from mxlite.base import MXNetError


def _pil():
    return pytest.importorskip('PIL.Image')


def png(arr):
    """PNG bytes of an RGB (H, W, 3), RGBA (H, W, 4) or grey (H, W) uint8 array."""
    Image = _pil()
    f = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(arr)).save(f, format='PNG')
    return f.getvalue()


def pattern(h, w, c=3, seed=0):
    return np.random.RandomState(seed).randint(0, 256, (h, w, c)).astype(np.uint8)


def nd(arr):
    return mx.nd.array(arr, dtype=arr.dtype)


# ----------------------------------------------------------------------------- decoding
def test_imdecode_colour_orders_and_input_types():
    img = pattern(5, 7)
    buf = png(img)
    raw = np.frombuffer(buf, np.uint8)
    for src in (buf, bytearray(buf), raw, nd(raw)):
        out = mx.image.imdecode(src)
        assert out.dtype == np.uint8 and out.shape == (5, 7, 3)
        np.testing.assert_array_equal(out.asnumpy(), img)
    np.testing.assert_array_equal(mx.image.imdecode(buf, to_rgb=False).asnumpy(), img[:, :, ::-1])
    dest = mx.nd.zeros((5, 7, 3), dtype='uint8')
    assert mx.image.imdecode(buf, out=dest) is dest
    np.testing.assert_array_equal(dest.asnumpy(), img)


def test_imdecode_grey_and_unchanged():
    grey = pattern(4, 6, 1)[:, :, 0]
    buf = png(grey)
    for flag in (0, -1):
        np.testing.assert_array_equal(mx.image.imdecode(buf, flag=flag).asnumpy(), grey[:, :, None])
    np.testing.assert_array_equal(mx.image.imdecode(buf).asnumpy(),
                                  np.repeat(grey[:, :, None], 3, 2))
    rgba = pattern(3, 4, 4)
    np.testing.assert_array_equal(mx.image.imdecode(png(rgba), flag=-1).asnumpy(), rgba)
    np.testing.assert_array_equal(mx.image.imdecode(png(rgba), flag=-1, to_rgb=False).asnumpy(),
                                  rgba[:, :, [2, 1, 0, 3]])
    np.testing.assert_array_equal(mx.image.imdecode(png(rgba)).asnumpy(), rgba[:, :, :3])
    # colour -> grey is the usual luma, within the codec's rounding
    img = pattern(4, 4)
    luma = img.astype(float) @ [0.299, 0.587, 0.114]
    got = mx.image.imdecode(png(img), flag=0).asnumpy()[:, :, 0]
    assert np.abs(got - luma).max() <= 1


def test_imread_and_errors(tmp_path):
    img = pattern(3, 5)
    path = tmp_path / 'a.png'
    path.write_bytes(png(img))
    np.testing.assert_array_equal(mx.image.imread(str(path)).asnumpy(), img)
    np.testing.assert_array_equal(mx.image.imread(path, to_rgb=0).asnumpy(), img[:, :, ::-1])
    with pytest.raises(FileNotFoundError, match="image file '.*missing.png' does not exist"):
        mx.image.imread(str(tmp_path / 'missing.png'))
    with pytest.raises(MXNetError, match='cannot decode 9 bytes as an image'):
        mx.image.imdecode(b'not a png')
    with pytest.raises(ValueError, match='buf must be bytes.*not str'):
        mx.image.imdecode('a string')


def test_no_codec_says_what_to_install(monkeypatch):
    for mod in ('PIL', 'PIL.Image', 'cv2'):
        monkeypatch.setitem(sys.modules, mod, None)      # makes the import fail
    with pytest.raises(MXNetError, match=r'imdecode needs an image codec: install Pillow '
                                         r'\(pip install Pillow\) or OpenCV'):
        mx.image.imdecode(b'\x89PNG')


def test_opencv_fallback(monkeypatch):
    """Without Pillow, OpenCV decodes: BGR out of cv2.imdecode, grey as (H, W)."""
    import types
    img, grey = pattern(3, 4), pattern(3, 4, 1)[:, :, 0]
    calls = []

    def fake_imdecode(buf, flag):
        calls.append(flag)
        data = bytes(buf)
        if data == b'broken':
            return None
        return grey if data == b'grey' else img[:, :, ::-1]

    monkeypatch.setitem(sys.modules, 'PIL', None)
    monkeypatch.setitem(sys.modules, 'cv2', types.SimpleNamespace(imdecode=fake_imdecode))
    np.testing.assert_array_equal(mx.image.imdecode(b'rgb').asnumpy(), img)
    np.testing.assert_array_equal(mx.image.imdecode(b'rgb', to_rgb=False).asnumpy(),
                                  img[:, :, ::-1])
    np.testing.assert_array_equal(mx.image.imdecode(b'grey', flag=0).asnumpy(), grey[:, :, None])
    assert calls == [1, 1, 0]
    with pytest.raises(MXNetError, match='cannot decode 6 bytes as an image \\(OpenCV'):
        mx.image.imdecode(b'broken')


def test_import_mxlite_does_not_load_pillow():
    code = ('import sys, mxlite as mx; mx.image; mx.io.ImageRecordIter; '
            "assert 'PIL' not in sys.modules and 'cv2' not in sys.modules")
    subprocess.run([sys.executable, '-c', code], check=True)


# ----------------------------------------------------------------------------- resizing
def _kernel(interp, f):
    """(offsets, weights) of one output pixel at fractional source position f (loop form)."""
    if interp == 1:
        return [0, 1], [1 - f, f]
    if interp == 2:
        a = -0.75

        def k(t):
            t = abs(t)
            if t <= 1:
                return (a + 2) * t ** 3 - (a + 3) * t ** 2 + 1
            return a * t ** 3 - 5 * a * t ** 2 + 8 * a * t - 4 * a if t < 2 else 0.0
        return [-1, 0, 1, 2], [k(f + 1), k(f), k(1 - f), k(2 - f)]
    offs = list(range(-3, 5))           # lanczos4

    def lz(t):
        if t == 0:
            return 1.0
        return math.sin(math.pi * t) * math.sin(math.pi * t / 4) / (math.pi ** 2 * t * t / 4)
    w = [lz(o - f) for o in offs]
    return offs, [x / sum(w) for x in w]


def _axis_weights(n_in, n_out, interp, shrink_both):
    """Per output index: {source index: weight} following OpenCV's rules, one at a time."""
    scale = n_in / n_out
    rows = []
    for d in range(n_out):
        taps = {}
        if interp == 0:
            taps[min(int(math.floor(d * scale)), n_in - 1)] = 1.0
        elif interp == 3 and shrink_both:
            lo, hi = d * scale, (d + 1) * scale
            for s in range(int(math.floor(lo)), int(math.ceil(hi))):
                if s < n_in:
                    taps[s] = taps.get(s, 0) + max(0.0, min(s + 1, hi) - max(s, lo))
            total = sum(taps.values())
            taps = {s: v / total for s, v in taps.items()}
        else:
            if interp == 3:             # enlarging with INTER_AREA
                base = math.floor(d * scale)
                f = (d + 1) - (base + 1) / scale
                f = 0.0 if f <= 0 else f - math.floor(f)
                offs, w = [0, 1], [1 - f, f]
            else:
                pos = (d + 0.5) * scale - 0.5
                base = math.floor(pos)
                offs, w = _kernel(interp, pos - base)
            for o, wt in zip(offs, w):
                s = min(max(base + o, 0), n_in - 1)
                taps[s] = taps.get(s, 0) + wt
        rows.append(taps)
    return rows


def resize_ref(img, w, h, interp):
    H, W = img.shape[:2]
    shrink = W >= w and H >= h
    wy = _axis_weights(H, h, interp, shrink)
    wx = _axis_weights(W, w, interp, shrink)
    out = np.zeros((h, w) + img.shape[2:])
    for y in range(h):
        for x in range(w):
            for sy, a in wy[y].items():
                for sx, b in wx[x].items():
                    out[y, x] += a * b * img[sy, sx].astype(float)
    if img.dtype == np.uint8:
        return np.clip(np.floor(out + 0.5), 0, 255).astype(np.uint8)
    return out


RESIZE_CASES = [
    # (H, W), (new_w, new_h)
    ((6, 8), (4, 3)), ((6, 8), (16, 12)), ((5, 7), (3, 9)), ((7, 5), (11, 4)),
    ((9, 9), (4, 4)), ((4, 6), (6, 4)),
]


@pytest.mark.parametrize('interp', [0, 1, 2, 3, 4])
@pytest.mark.parametrize('sizes', RESIZE_CASES, ids=str)
@pytest.mark.parametrize('dtype', ['uint8', 'float32'])
def test_imresize_matches_opencv_rules(sizes, interp, dtype):
    (H, W), (w, h) = sizes
    img = pattern(H, W, 2, seed=H * W).astype(dtype)
    out = mx.image.imresize(nd(img), w, h, interp=interp)
    assert out.shape == (h, w, 2) and out.dtype == np.dtype(dtype)
    ref = resize_ref(img, w, h, interp)
    if dtype == 'uint8':        # float32 accumulation may land a rounding half differently
        diff = np.abs(out.asnumpy().astype(int) - ref.astype(int))
        assert diff.max() <= 1 and (diff > 0).mean() < 0.05
    else:
        np.testing.assert_allclose(out.asnumpy(), ref, rtol=1e-5, atol=1e-3)


def test_imresize_exact_cases():
    img = pattern(8, 12)
    # halving: linear and area are the 2x2 block mean, halves rounded up (OpenCV's rule)
    block = img.reshape(4, 2, 6, 2, 3).astype(float).mean(axis=(1, 3))
    expect = np.floor(block + 0.5).astype(np.uint8)
    for interp in (1, 3):
        np.testing.assert_array_equal(mx.image.imresize(nd(img), 6, 4, interp).asnumpy(), expect)
    # nearest picks floor(i * scale); doubling repeats each pixel
    np.testing.assert_array_equal(mx.image.imresize(nd(img), 4, 4, 0).asnumpy(), img[::2, ::3])
    np.testing.assert_array_equal(mx.image.imresize(nd(img), 24, 16, 0).asnumpy(),
                                  img.repeat(2, 0).repeat(2, 1))
    # a constant image stays constant; bilinear keeps a linear ramp away from the borders
    const = np.full((5, 7, 3), 77, np.uint8)
    for interp in range(5):
        assert (mx.image.imresize(nd(const), 10, 3, interp).asnumpy() == 77).all()
    ramp = np.tile(np.arange(16, dtype=np.float32) * 4, (3, 1))[:, :, None]
    out = mx.image.imresize(nd(ramp), 32, 3, 1).asnumpy()[0, 1:-1, 0]
    np.testing.assert_allclose(out, (np.arange(32)[1:-1] + 0.5) * 2 - 2, atol=1e-5)
    # OpenCV's cubic (a = -0.75), worked by hand on a step 0,0,100,100,.. doubled: output
    # 1 sits at source 0.25 (100 k(1.75)), 2 at 0.75 (100 k(1.25)), 3 at 1.25
    # (100 (k(0.75) + k(1.75))), with k(0.75) = 0.26171875, k(1.25) = -0.10546875,
    # k(1.75) = -0.03515625
    step = np.array([[0, 0, 100, 100, 100, 100]], np.float32)[:, :, None]
    out = mx.image.imresize(nd(step), 12, 1, 2).asnumpy()[0, :, 0]
    np.testing.assert_allclose(out[:4], [0, -3.515625, -10.546875, 22.65625], atol=1e-4)
    # same size is a copy
    same = mx.image.imresize(nd(img), 12, 8)
    np.testing.assert_array_equal(same.asnumpy(), img)


def test_interp_auto_and_errors():
    gim = image._get_interp_method
    assert gim(9, (4, 4, 8, 8)) == 2 and gim(9, (8, 8, 4, 4)) == 3 and gim(9, (4, 8, 8, 4)) == 1
    random.seed(3)
    assert {gim(10) for _ in range(200)} == {0, 1, 2, 3, 4}
    with pytest.raises(ValueError, match='Unknown interp method 7'):
        mx.image.imresize(nd(pattern(4, 4)), 2, 2, interp=7)
    with pytest.raises(MXNetError, match='target size must be positive'):
        mx.image.imresize(nd(pattern(4, 4)), 0, 2)


# ----------------------------------------------------------------------------- crops
def test_scale_down_and_resize_short():
    assert mx.image.scale_down((640, 480), (720, 120)) == (640, 106)
    assert mx.image.scale_down((100, 50), (80, 60)) == (66, 50)
    assert mx.image.scale_down((100, 100), (80, 60)) == (80, 60)
    assert mx.image.resize_short(nd(pattern(10, 25)), 4).shape == (4, 10, 3)
    assert mx.image.resize_short(nd(pattern(25, 10)), 4).shape == (10, 4, 3)
    img = pattern(8, 12)
    np.testing.assert_array_equal(mx.image.resize_short(nd(img), 4, interp=3).asnumpy(),
                                  mx.image.imresize(nd(img), 6, 4, 3).asnumpy())


def test_fixed_center_random_crops():
    img = pattern(6, 9)
    np.testing.assert_array_equal(mx.image.fixed_crop(nd(img), 2, 1, 4, 3).asnumpy(),
                                  img[1:4, 2:6])
    np.testing.assert_array_equal(mx.image.fixed_crop(nd(img), 2, 1, 4, 3, size=(8, 6), interp=0)
                                  .asnumpy(), img[1:4, 2:6].repeat(2, 0).repeat(2, 1))
    out, box = mx.image.center_crop(nd(img), (4, 2))
    assert box == (2, 2, 4, 2)
    np.testing.assert_array_equal(out.asnumpy(), img[2:4, 2:6])
    out, box = mx.image.center_crop(nd(img), (12, 8), interp=1)      # larger: scaled to fit
    assert box == (0, 0, 9, 6) and out.shape == (8, 12, 3)
    random.seed(5)
    boxes = set()
    for _ in range(40):
        out, (x0, y0, w, h) = mx.image.random_crop(nd(img), (3, 2))
        assert (w, h) == (3, 2) and 0 <= x0 <= 6 and 0 <= y0 <= 4
        np.testing.assert_array_equal(out.asnumpy(), img[y0:y0 + 2, x0:x0 + 3])
        boxes.add((x0, y0))
    assert len(boxes) > 10
    random.seed(5)
    box = mx.image.random_crop(nd(img), (3, 2))[1]
    random.seed(5)              # MXNet's draws: x0 then y0, from Python's random
    assert box == (random.randint(0, 6), random.randint(0, 4), 3, 2)
    with pytest.raises(MXNetError, match='does not fit in an image of width 9 and height 6'):
        mx.image.fixed_crop(nd(img), 7, 0, 4, 2)


def test_random_size_crop():
    img = pattern(20, 30)
    random.seed(1)
    for _ in range(20):
        out, (x0, y0, w, h) = mx.image.random_size_crop(nd(img), (8, 6), (0.3, 1.0),
                                                        (0.75, 1.333), interp=1)
        assert out.shape == (6, 8, 3)
        assert 0.25 * 600 <= w * h <= 600 and x0 + w <= 30 and y0 + h <= 20
        np.testing.assert_array_equal(
            out.asnumpy(), mx.image.imresize(nd(img[y0:y0 + h, x0:x0 + w]), 8, 6, 1).asnumpy())
    # impossible ratios fall back to a centre crop
    out, box = mx.image.random_size_crop(nd(img), (8, 6), 1.0, (50, 60), min_area=0.9)
    assert box == mx.image.center_crop(nd(img), (8, 6))[1]


def test_color_normalize_in_place():
    src = mx.nd.array(pattern(2, 3).astype(np.float32))
    expect = (src.asnumpy() - [1, 2, 3]) / np.float32(4)
    out = mx.image.color_normalize(src, mx.nd.array([1, 2, 3]), mx.nd.array([4, 4, 4]))
    assert out is src
    np.testing.assert_array_equal(src.asnumpy(), expect)
    raw = nd(pattern(2, 3))             # integer input: a float32 copy, the input kept
    out = mx.image.color_normalize(raw, 10.0)
    assert out.dtype == np.float32 and raw.dtype == np.uint8
    np.testing.assert_array_equal(out.asnumpy(), raw.asnumpy() - 10.0)


# ----------------------------------------------------------------------------- augmenters
def test_augmenters_geometry():
    img = nd(pattern(8, 10))
    a = img.asnumpy()
    np.testing.assert_array_equal(mx.image.HorizontalFlipAug(1)(img).asnumpy(), a[:, ::-1])
    assert mx.image.HorizontalFlipAug(0)(img) is img
    np.testing.assert_array_equal(mx.image.CenterCropAug((4, 4))(img).asnumpy(), a[2:6, 3:7])
    assert mx.image.ForceResizeAug((5, 7))(img).shape == (7, 5, 3)
    assert mx.image.ResizeAug(4)(img).shape == (4, 5, 3)
    out = mx.image.CastAug()(img)
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out.asnumpy(), a)
    random.seed(2)
    crop = mx.image.RandomCropAug((4, 3))(img).asnumpy()
    random.seed(2)
    x0, y0 = random.randint(0, 6), random.randint(0, 5)
    np.testing.assert_array_equal(crop, a[y0:y0 + 3, x0:x0 + 4])
    assert mx.image.RandomSizedCropAug((4, 4), 0.5, (0.8, 1.25))(img).shape == (4, 4, 3)


def test_augmenters_colour():
    src = mx.nd.array(pattern(4, 5).astype(np.float32))
    a = src.asnumpy().astype(np.float64)
    coef = np.array([0.299, 0.587, 0.114])
    for cls, val in ((mx.image.BrightnessJitterAug, 0.3), (mx.image.ContrastJitterAug, 0.3),
                     (mx.image.SaturationJitterAug, 0.3)):
        random.seed(7)
        out = cls(val)(src).asnumpy()
        random.seed(7)
        alpha = 1.0 + random.uniform(-val, val)
        if cls is mx.image.BrightnessJitterAug:
            expect = a * alpha
        elif cls is mx.image.ContrastJitterAug:
            expect = a * alpha + (1 - alpha) * (a @ coef).mean()
        else:
            expect = a * alpha + (1 - alpha) * (a @ coef)[:, :, None]
        np.testing.assert_allclose(out, expect, rtol=1e-5, atol=1e-3)
    # a hue rotation turns the chroma (I, Q) and keeps the luma (Y), up to the 3-decimal
    # YIQ matrices' rounding
    to_yiq = np.array([[0.299, 0.587, 0.114], [0.596, -0.274, -0.321], [0.211, -0.523, 0.311]])
    np.testing.assert_allclose(mx.image.HueJitterAug(1e-9)(src).asnumpy(), a, atol=1.0)
    random.seed(8)
    out = mx.image.HueJitterAug(0.5)(src).asnumpy() @ to_yiq.T
    random.seed(8)
    theta = random.uniform(-0.5, 0.5) * np.pi
    yiq = a @ to_yiq.T
    rotated = yiq[..., 1:] @ np.array([[np.cos(theta), np.sin(theta)],
                                       [-np.sin(theta), np.cos(theta)]])
    np.testing.assert_allclose(out[..., 0], yiq[..., 0], atol=1.0)
    np.testing.assert_allclose(out[..., 1:], rotated, atol=1.5)
    grey = mx.image.RandomGrayAug(1)(src).asnumpy()
    np.testing.assert_allclose(grey, np.repeat((a @ [0.21, 0.72, 0.07])[:, :, None], 3, 2),
                               rtol=1e-5)
    np.random.seed(4)
    eigval, eigvec = np.array([3.0, 2.0, 1.0]), np.eye(3)
    out = mx.image.LightingAug(0.1, eigval, eigvec)(src).asnumpy()
    np.random.seed(4)
    np.testing.assert_allclose(out, a + np.random.normal(0, 0.1, 3) * eigval, rtol=1e-5)
    out = mx.image.ColorNormalizeAug([1, 2, 3], [2, 2, 2])(src.copy()).asnumpy()
    np.testing.assert_allclose(out, (a - [1, 2, 3]) / 2, rtol=1e-6)
    random.seed(0)
    jitter = mx.image.ColorJitterAug(0.1, 0.1, 0.1)
    assert len(jitter.ts) == 3 and jitter(src).shape == (4, 5, 3)


def test_augmenter_dumps():
    assert json.loads(mx.image.CenterCropAug((4, 3)).dumps()) == ['centercropaug',
                                                                  {'size': [4, 3], 'interp': 2}]
    assert json.loads(mx.image.ColorNormalizeAug(mx.nd.array([1, 2, 3]), None).dumps()) == \
        ['colornormalizeaug', {'mean': [1.0, 2.0, 3.0], 'std': None}]
    seq = mx.image.SequentialAug([mx.image.CastAug()])
    assert seq.dumps() == ['sequentialaug', ['["castaug", {"type": "float32"}]']]


CREATE_CASES = [
    (dict(), ['CenterCropAug', 'CastAug']),
    (dict(resize=10, rand_crop=True, rand_mirror=True),
     ['ResizeAug', 'RandomCropAug', 'HorizontalFlipAug', 'CastAug']),
    (dict(rand_crop=True, rand_resize=True, mean=True, std=True),
     ['RandomSizedCropAug', 'CastAug', 'ColorNormalizeAug']),
    (dict(brightness=0.1, hue=0.1, pca_noise=0.1, rand_gray=0.2, mean=np.zeros(3)),
     ['CenterCropAug', 'CastAug', 'ColorJitterAug', 'HueJitterAug', 'LightingAug',
      'RandomGrayAug', 'ColorNormalizeAug']),
]


@pytest.mark.parametrize('kwargs,names', CREATE_CASES)
def test_create_augmenter(kwargs, names):
    augs = mx.image.CreateAugmenter((3, 4, 6), **kwargs)
    assert [type(a).__name__ for a in augs] == names
    crop = augs[names.index([n for n in names if 'Crop' in n][0])]
    assert crop.size == (6, 4)
    if kwargs.get('mean') is True:
        np.testing.assert_allclose(augs[-1].mean.asnumpy(), [123.68, 116.28, 103.53], rtol=1e-6)
        np.testing.assert_allclose(augs[-1].std.asnumpy(), [58.395, 57.12, 57.375], rtol=1e-6)


def test_create_augmenter_errors():
    with pytest.raises(ValueError, match='rand_resize=True needs rand_crop=True'):
        mx.image.CreateAugmenter((3, 4, 4), rand_resize=True)
    with pytest.raises(ValueError, match='mean must be True, None or an array of 1 or 3'):
        mx.image.CreateAugmenter((3, 4, 4), mean=np.zeros(4))


# ----------------------------------------------------------------------------- ImageIter
N_IMG = 5


@pytest.fixture
def recfile(tmp_path):
    """N_IMG RGB images (6+i x 8), labels i and [i, 10 i], as .rec + .idx (PNG payloads)."""
    _pil()
    imgs = [pattern(6 + i, 8, seed=i) for i in range(N_IMG)]
    paths = {}
    for kind, label in (('one', lambda i: float(i)), ('two', lambda i: [i, 10.0 * i])):
        rec = mx.recordio.MXIndexedRecordIO(str(tmp_path / (kind + '.idx')),
                                            str(tmp_path / (kind + '.rec')), 'w')
        for i, img in enumerate(imgs):
            # pack_img takes OpenCV's BGR layout
            rec.write_idx(i, mx.recordio.pack_img((0, label(i), i, 0), img[:, :, ::-1],
                                                  img_fmt='.png'))
        rec.close()
        paths[kind] = (str(tmp_path / (kind + '.rec')), str(tmp_path / (kind + '.idx')))
    return imgs, paths


def centre(img, h, w):
    y, x = (img.shape[0] - h) // 2, (img.shape[1] - w) // 2
    return img[y:y + h, x:x + w]


def test_imageiter_pixels_labels_and_padding(recfile):
    imgs, paths = recfile
    mean, std = np.array([10, 20, 30], np.float32), np.array([2, 4, 8], np.float32)
    it = mx.image.ImageIter(2, (3, 4, 6), path_imgrec=paths['one'][0], mean=mean, std=std)
    assert it.provide_data == [('data', (2, 3, 4, 6))]
    assert it.provide_label == [('softmax_label', (2,))]
    batches = list(it)
    assert [b.pad for b in batches] == [0, 0, 1]
    order = [0, 1, 2, 3, 4, 0]
    data = np.concatenate([b.data[0].asnumpy() for b in batches])
    label = np.concatenate([b.label[0].asnumpy() for b in batches])
    for got, i in zip(data, order):
        expect = ((centre(imgs[i], 4, 6).astype(np.float32) - mean) / std).transpose(2, 0, 1)
        np.testing.assert_array_equal(got, expect)
    np.testing.assert_array_equal(label, order)
    with pytest.raises(StopIteration):
        it.next()
    it.reset()
    assert len(list(it)) == 3


def test_imageiter_label_width_and_last_batch(recfile):
    imgs, paths = recfile
    rec, idx = paths['two']
    it = mx.image.ImageIter(2, (3, 4, 4), label_width=2, path_imgrec=rec, path_imgidx=idx,
                            last_batch_handle='discard')
    assert it.provide_label == [('softmax_label', (2, 2))]
    labels = [b.label[0].asnumpy().tolist() for b in it]
    assert labels == [[[0, 0], [1, 10]], [[2, 20], [3, 30]]]
    it = mx.image.ImageIter(2, (3, 4, 4), label_width=2, path_imgrec=rec, path_imgidx=idx,
                            last_batch_handle='roll_over')
    first = [b.label[0].asnumpy()[:, 0].tolist() for b in it]
    it.reset()
    second = [(b.label[0].asnumpy()[:, 0].tolist(), b.pad) for b in it]
    assert first == [[0, 1], [2, 3]]
    # the tail (4) opens the next epoch, which then reads all 5 images; MXNet reports
    # pad = batch_size - (rolled-over samples) on that first batch
    assert second == [([4, 0], 1), ([1, 2], 0), ([3, 4], 0)]
    with pytest.raises(MXNetError, match="has 2 label\\(s\\) but label_width is 1"):
        mx.image.ImageIter(2, (3, 4, 4), path_imgrec=rec).next()


def test_imageiter_shuffle_is_seeded(recfile):
    _, paths = recfile
    rec, idx = paths['one']

    def epoch_orders(seed):
        random.seed(seed)
        it = mx.image.ImageIter(5, (3, 4, 4), path_imgrec=rec, path_imgidx=idx, shuffle=True,
                                rand_crop=True, rand_mirror=True)
        out = []
        for _ in range(3):
            b = it.next()
            out.append((b.label[0].asnumpy().tolist(), b.data[0].asnumpy()))
            it.reset()
        return out

    a, b = epoch_orders(11), epoch_orders(11)
    for (la, da), (lb, db) in zip(a, b):
        assert la == lb and sorted(la) == [0, 1, 2, 3, 4]
        np.testing.assert_array_equal(da, db)
    assert len({tuple(la) for la, _ in a}) > 1
    with pytest.raises(ValueError, match='needs its index: pass path_imgidx'):
        mx.image.ImageIter(2, (3, 4, 4), path_imgrec=rec, shuffle=True)


def test_imageiter_lists_and_parts(recfile, tmp_path):
    imgs, _ = recfile
    root = tmp_path / 'imgs'
    root.mkdir()
    for i, img in enumerate(imgs):
        (root / ('%d.png' % i)).write_bytes(png(img))
    lst = tmp_path / 'x.lst'
    lst.write_text(''.join('%d\t%d\t%d\t%d.png\n' % (i, i, 2 * i, i) for i in range(N_IMG)))
    it = mx.image.ImageIter(5, (3, 6, 8), label_width=2, path_imglist=str(lst),
                            path_root=str(root))
    b = it.next()
    np.testing.assert_array_equal(b.label[0].asnumpy(), [[i, 2 * i] for i in range(N_IMG)])
    for i in range(N_IMG):
        np.testing.assert_array_equal(b.data[0].asnumpy()[i].transpose(1, 2, 0),
                                      centre(imgs[i], 6, 8))
    it = mx.image.ImageIter(2, (3, 6, 8), imglist=[[7.0, '1.png'], [8.0, '3.png']],
                            path_root=str(root))
    b = it.next()
    assert b.label[0].asnumpy().tolist() == [7, 8]
    np.testing.assert_array_equal(b.data[0].asnumpy()[1].transpose(1, 2, 0), centre(imgs[3], 6, 8))
    # iter_next / getdata / getlabel / getpad
    it.reset()
    assert it.iter_next() and it.getpad() == 0 and it.getlabel()[0].shape == (2,)
    assert not it.iter_next()
    parts = [[int(v) for b in mx.image.ImageIter(1, (3, 6, 8), path_imglist=str(lst),
                                                  path_root=str(root), label_width=2,
                                                  num_parts=2, part_index=k)
              for v in b.label[0].asnumpy()[:, 0]] for k in (0, 1)]
    assert parts == [[0, 1], [2, 3]]


def test_imageiter_errors(recfile, tmp_path):
    imgs, paths = recfile
    rec, idx = paths['one']
    with pytest.raises(ValueError, match=r'data_shape \(1, 4, 4\) has 1 channel\(s\), but images '
                                         r'are decoded as colour'):
        mx.image.ImageIter(2, (1, 4, 4), path_imgrec=rec)
    with pytest.raises(ValueError, match='data_shape must have 3 dimensions'):
        mx.image.ImageIter(2, (4, 4), path_imgrec=rec)
    with pytest.raises(FileNotFoundError, match="'.*nope.rec' does not exist"):
        mx.image.ImageIter(2, (3, 4, 4), path_imgrec=str(tmp_path / 'nope.rec'))
    with pytest.raises(ValueError, match='give path_imgrec, path_imglist or imglist'):
        mx.image.ImageIter(2, (3, 4, 4))
    with pytest.raises(ValueError, match="last_batch_handle must be one of.*did you mean 'pad'"):
        mx.image.ImageIter(2, (3, 4, 4), path_imgrec=rec, last_batch_handle='padd')
    it = mx.image.ImageIter(2, (3, 4, 4), path_imgrec=rec, aug_list=[mx.image.CastAug()])
    with pytest.raises(MXNetError, match=r'augmented image has shape \(3, 6, 8\).*data_shape is '
                                         r'\(3, 4, 4\)'):
        it.next()
    bad = tmp_path / 'bad.rec'
    writer = mx.recordio.MXRecordIO(str(bad), 'w')
    writer.write(mx.recordio.pack((0, 1.0, 0, 0), b'garbage'))
    writer.close()
    with pytest.raises(MXNetError, match="broken image, a record of '.*bad.rec': .*cannot decode"):
        mx.image.ImageIter(1, (3, 4, 4), path_imgrec=str(bad)).next()


def test_docstring_examples(tmp_path, monkeypatch):
    _pil()
    monkeypatch.chdir(tmp_path)
    finder = doctest.DocTestFinder(exclude_empty=True)
    runner = doctest.DocTestRunner(optionflags=doctest.NORMALIZE_WHITESPACE)
    for mod in (image, _image_iter):
        for t in finder.find(mod, globs={'mx': mx, 'np': np}):
            runner.run(t)
    assert runner.failures == 0 and runner.tries > 15
    assert set(image.__all__) <= set(dir(mx.image)) and mx.image is image
