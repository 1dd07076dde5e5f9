"""Augmentation: mx.image's jitter/lighting/grey augmenters and CreateAugmenter against NumPy
formulas with seeded draws, and the uint8 kernels of mxlite.image_aug (affine warp, HLS,
colour jitter, PCA noise) that ImageRecordIter's default augmenter uses, against plain-loop
and colorsys references.
"""
import colorsys
import doctest
import random

import numpy as np
import pytest

import mxlite as mx
from mxlite import image_aug

RNG = np.random.RandomState(0)
IMG = RNG.randint(0, 256, (6, 7, 3)).astype(np.float32)
GREY = np.array([0.299, 0.587, 0.114])


# ---------------------------------------------------------------- mx.image augmenters
def _brightness(x, v):
    return x * (1 + random.uniform(-v, v))


def _contrast(x, v):
    a = 1 + random.uniform(-v, v)
    return x * a + (1 - a) * (x * GREY).sum() * 3 / x.size


def _saturation(x, v):
    a = 1 + random.uniform(-v, v)
    return x * a + (1 - a) * (x * GREY).sum(axis=2, keepdims=True)


def _hue(x, v):
    a = random.uniform(-v, v)
    to_yiq = np.array([[0.299, 0.587, 0.114], [0.596, -0.274, -0.321], [0.211, -0.523, 0.311]])
    from_yiq = np.array([[1.0, 0.956, 0.621], [1.0, -0.272, -0.647], [1.0, -1.107, 1.705]])
    rot = np.array([[1, 0, 0], [0, np.cos(a * np.pi), -np.sin(a * np.pi)],
                    [0, np.sin(a * np.pi), np.cos(a * np.pi)]])
    return x @ (from_yiq @ rot @ to_yiq).T


def _gray(x, p):
    if random.random() < p:
        return (x @ np.array([0.21, 0.72, 0.07]))[..., None].repeat(3, axis=2)
    return x


# (augmenter class, parameter, reference drawing from `random` in the same order)
CASES = [(mx.image.BrightnessJitterAug, 0.4, _brightness),
         (mx.image.ContrastJitterAug, 0.4, _contrast),
         (mx.image.SaturationJitterAug, 0.4, _saturation),
         (mx.image.HueJitterAug, 0.3, _hue),
         (mx.image.RandomGrayAug, 0.5, _gray)]


@pytest.mark.parametrize('cls,val,ref', CASES, ids=[c[0].__name__ for c in CASES])
@pytest.mark.parametrize('seed', [0, 1, 2])
def test_augmenter_vs_formula(cls, val, ref, seed):
    random.seed(seed)
    got = cls(val)(mx.nd.array(IMG)).asnumpy()
    random.seed(seed)
    np.testing.assert_allclose(got, ref(IMG.astype(np.float64), val), rtol=1e-5, atol=1e-3)


@pytest.mark.parametrize('cls,val,ref', CASES, ids=[c[0].__name__ for c in CASES])
def test_identity_parameters(cls, val, ref):
    out = cls(0)(mx.nd.array(IMG)).asnumpy()
    # MXNet's rounded YIQ matrices are inverses only to within a level of 255
    np.testing.assert_allclose(out, IMG, atol=1.0 if cls is mx.image.HueJitterAug else 1e-3)


def test_lighting_vs_formula():
    eigval, eigvec = image_aug.PCA_EIGVAL, image_aug.PCA_EIGVEC
    np.random.seed(5)
    got = mx.image.LightingAug(0.1, eigval, eigvec)(mx.nd.array(IMG)).asnumpy()
    np.random.seed(5)
    alpha = np.random.normal(0, 0.1, 3)
    np.testing.assert_allclose(got, IMG + eigvec @ (alpha * eigval), rtol=1e-5, atol=1e-3)
    np.testing.assert_allclose(mx.image.LightingAug(0, eigval, eigvec)(mx.nd.array(IMG))
                               .asnumpy(), IMG)


def test_color_jitter_is_random_order_of_the_three():
    aug = mx.image.ColorJitterAug(0.2, 0.3, 0.4)
    assert [type(t).__name__ for t in aug.ts] == ['BrightnessJitterAug', 'ContrastJitterAug',
                                                  'SaturationJitterAug']
    seen = set()
    for seed in range(6):
        random.seed(seed)
        out = aug(mx.nd.array(IMG)).asnumpy()
        order = [type(t).__name__ for t in aug.ts]      # shuffled in place, as MXNet
        random.seed(seed)
        random.shuffle([0, 1, 2])                       # the shuffle's own draws
        ref = IMG.astype(np.float64)
        for name in order:
            ref = {'BrightnessJitterAug': _brightness, 'ContrastJitterAug': _contrast,
                   'SaturationJitterAug': _saturation}[name](ref, {'BrightnessJitterAug': 0.2,
                                                                   'ContrastJitterAug': 0.3,
                                                                   'SaturationJitterAug': 0.4}[name])
        np.testing.assert_allclose(out, ref, rtol=1e-5, atol=1e-2)
        seen.add(tuple(order))
    assert len(seen) > 1
    assert mx.image.ColorJitterAug(0, 0.1, 0).ts[0].contrast == 0.1
    assert len(mx.image.ColorJitterAug(0, 0, 0).ts) == 0


def test_sequential_and_random_order():
    seq = mx.image.SequentialAug([mx.image.BrightnessJitterAug(0), mx.image.RandomGrayAug(1)])
    np.testing.assert_allclose(seq(mx.nd.array(IMG)).asnumpy()[..., 0], IMG @ [0.21, 0.72, 0.07],
                               rtol=1e-5)
    assert seq.dumps()[0] == 'sequentialaug'


def test_create_augmenter_colour_options():
    augs = mx.image.CreateAugmenter((3, 4, 4), rand_crop=True, rand_resize=True,
                                    brightness=0.1, contrast=0.1, saturation=0.1, hue=0.1,
                                    pca_noise=0.1, rand_gray=0.2, inter_method=1, mean=True,
                                    std=True)
    assert [type(a).__name__ for a in augs] == [
        'RandomSizedCropAug', 'CastAug', 'ColorJitterAug', 'HueJitterAug', 'LightingAug',
        'RandomGrayAug', 'ColorNormalizeAug']
    assert augs[0].interp == 1 and augs[0].area == 0.08
    np.testing.assert_allclose(augs[4].eigval, image_aug.PCA_EIGVAL)
    random.seed(0)
    np.random.seed(0)
    out = mx.nd.array(RNG.randint(0, 256, (9, 9, 3)), dtype='uint8')
    for a in augs:
        out = a(out)
    assert out.shape == (4, 4, 3) and out.dtype == np.float32


def test_random_size_crop_box():
    src = mx.nd.array(np.arange(20 * 30 * 3).reshape(20, 30, 3) % 251, dtype='uint8')
    for seed in range(5):
        random.seed(seed)
        out, (x0, y0, w, h) = mx.image.random_size_crop(src, (8, 6), (0.2, 0.6), (0.5, 2))
        assert out.shape == (6, 8, 3)
        assert 0.2 * 600 * 0.8 <= w * h <= 0.6 * 600 * 1.2 and x0 + w <= 30 and y0 + h <= 20
        random.seed(seed)       # the same draws in the same order
        area = random.uniform(0.2, 0.6) * 600
        ratio = np.exp(random.uniform(np.log(0.5), np.log(2)))
        assert (w, h) == (int(round(np.sqrt(area * ratio))), int(round(np.sqrt(area / ratio))))


# ---------------------------------------------------------------- uint8 kernels
def _warp_loop(img, m, ow, oh, fill):
    """Bilinear inverse-map warp, one pixel at a time."""
    inv = np.linalg.inv(np.vstack([m, [0, 0, 1]]))
    out = np.zeros((oh, ow, img.shape[2]))
    for y in range(oh):
        for x in range(ow):
            sx, sy, _ = inv @ [x, y, 1]
            x0, y0 = int(np.floor(sx)), int(np.floor(sy))
            for dx, dy in ((0, 0), (1, 0), (0, 1), (1, 1)):
                wt = (1 - abs(sx - x0 - dx)) * (1 - abs(sy - y0 - dy))
                xi, yi = x0 + dx, y0 + dy
                inside = 0 <= xi < img.shape[1] and 0 <= yi < img.shape[0]
                out[y, x] += wt * (img[yi, xi] if inside else fill)
    return np.clip(np.rint(out), 0, 255).astype(np.uint8)


U8 = RNG.randint(0, 256, (5, 6, 3)).astype(np.uint8)


@pytest.mark.parametrize('angle,shear,scale,ratio', [
    (0, 0, 1, 1), (90, 0, 1, 1), (17, 0, 1, 1), (0, 0.3, 1, 1), (-8, 0.1, 1.3, 0.8),
    (30, -0.2, 0.7, 1.25)])
def test_warp_vs_loop(angle, shear, scale, ratio):
    ow, oh = int(scale * 6), int(scale * 5)
    m = image_aug.affine_matrix(angle, shear, scale, ratio, 6, 5, scale * 6, scale * 5)
    got = image_aug.warp_affine(U8, m, ow, oh, 1, 200)
    ref = _warp_loop(U8.astype(np.float64), m, ow, oh, 200)
    assert np.abs(got.astype(int) - ref).max() <= 1     # float32 vs float64 rounding


def test_warp_identity_rotation_and_shear_pixels():
    m = image_aug.affine_matrix(0, 0, 1, 1, 6, 5, 6, 5)
    np.testing.assert_array_equal(image_aug.warp_affine(U8, m, 6, 5), U8)
    # 90 degrees on a square: MXNet centres on M @ (w, h) / 2, so out[y, x] = src[x, n - y]
    # and row 0 comes from outside (fill)
    sq = RNG.randint(0, 256, (4, 4, 3)).astype(np.uint8)
    for interp in (0, 1):
        out = image_aug.warp_affine(sq, image_aug.affine_matrix(90, 0, 1, 1, 4, 4, 4, 4),
                                    4, 4, interp, fill=9)
        np.testing.assert_array_equal(out[0], 9)
        for y in range(1, 4):
            for x in range(4):
                np.testing.assert_array_equal(out[y, x], sq[x, 4 - y])
    # shear 1 on 4 rows: out(x, y) = src(x - y + 2, y), fill where that leaves the image
    out = image_aug.warp_affine(U8[:4], image_aug.affine_matrix(0, 1, 1, 1, 6, 4, 6, 4), 6, 4,
                                fill=3)
    for y in range(4):
        for x in range(6):
            sx = x - y + 2
            np.testing.assert_array_equal(out[y, x], U8[y, sx] if 0 <= sx < 6 else 3)


def test_hls_vs_colorsys():
    pix = RNG.randint(0, 256, (400, 3)).astype(np.uint8)
    hls = image_aug.rgb_to_hls(pix[None])[0].astype(int)
    for (r, g, b), got in zip(pix, hls):
        h, l, s = colorsys.rgb_to_hls(r / 255, g / 255, b / 255)
        if s > 0:
            dh = abs(got[0] - h * 180) % 180
            assert min(dh, 180 - dh) <= 1
        assert abs(got[1] - l * 255) <= 1 and abs(got[2] - s * 255) <= 1
    back = image_aug.hls_to_rgb(hls.astype(np.uint8)[None])[0]
    for (h, l, s), got in zip(hls, back):
        ref = np.array(colorsys.hls_to_rgb(h / 180, l / 255, s / 255)) * 255
        assert np.abs(got - ref).max() <= 1
    assert np.abs(back.astype(int) - pix).max() <= 6       # 8-bit HLS is lossy, as OpenCV's


def test_hls_jitter_directions():
    img = RNG.randint(40, 200, (4, 4, 3)).astype(np.uint8)
    base = image_aug.rgb_to_hls(img).astype(int)
    for d, ch in (((0, 20, 0), 1), ((0, 0, 30), 2)):
        out = image_aug.rgb_to_hls(image_aug.hls_jitter(img, *d)).astype(int)
        assert (out[..., ch] - base[..., ch]).mean() > 0.7 * max(d)
    np.testing.assert_array_equal(image_aug.hls_jitter(img, 0, -255, 0), 0)
    np.testing.assert_array_equal(image_aug.hls_jitter(img, 0, 255, 0), 255)
    rgba = np.concatenate([img, np.full((4, 4, 1), 77, np.uint8)], axis=2)
    assert (image_aug.hls_jitter(rgba, 10, 0, 0)[..., 3] == 77).all()


def test_color_jitter_and_pca_formulas():
    x = U8.astype(np.float64)
    grey = np.rint(x @ GREY)
    cases = {(0,): np.rint(x * 1.3),
             (1,): np.rint(x * 0.7 + 0.3 * grey.mean()),
             (2,): np.rint(x * 1.2 - 0.2 * grey[..., None])}
    for order, ref in cases.items():
        got = image_aug.color_jitter(U8, 1.3, 0.7, 1.2, order)
        assert np.abs(got.astype(int) - np.clip(ref, 0, 255)).max() <= 1
    np.testing.assert_array_equal(image_aug.color_jitter(U8, 1, 1, 1), U8)
    alpha = np.array([0.05, -0.1, 0.2])
    off = image_aug.PCA_EIGVEC @ (alpha * image_aug.PCA_EIGVAL)
    np.testing.assert_array_equal(image_aug.pca_lighting(U8, alpha),
                                  np.clip(np.trunc(x + off), 0, 255))
    np.testing.assert_array_equal(image_aug.pca_lighting(U8, np.zeros(3)), U8)


def test_docstring_examples():
    runner = doctest.DocTestRunner()
    for t in doctest.DocTestFinder(exclude_empty=True).find(image_aug, globs={**vars(image_aug), 'np': np}):
        runner.run(t)
    assert runner.failures == 0 and runner.tries >= 8
