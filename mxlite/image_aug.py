"""Kernels of MXNet's default record augmenter (``aug_default``), in NumPy.

`mx.io.ImageRecordIter` applies them to each decoded uint8 HWC image, in MXNet's order:
an affine warp (rotation, shear, aspect ratio, scale, on a ``fill_value`` background),
padding, a crop (or a random-resized crop), colour jitter (brightness, contrast,
saturation in random order), HSL jitter, PCA lighting noise. Every step works on uint8
pixels and rounds and clips after itself, as MXNet's OpenCV code does.

The Python-side augmenters (`mx.image.BrightnessJitterAug`, ..., `CreateAugmenter`) live in
`mxlite/image.py`; they work on float images and do not round.

Everything is whole-image array work: the warp maps every output pixel back to the source
at once (inverse mapping) and samples with 4 taps; no loops over pixels.
"""
import numpy as np

__all__ = ['affine_matrix', 'warp_affine', 'rgb_to_hls', 'hls_to_rgb', 'hls_jitter',
           'color_jitter', 'pca_lighting', 'PCA_EIGVAL', 'PCA_EIGVEC']

# ImageNet's RGB eigen-decomposition (AlexNet's lighting noise), the one MXNet uses
PCA_EIGVAL = np.array([55.46, 4.794, 1.148])
PCA_EIGVEC = np.array([[-0.5675, 0.7192, 0.4009], [-0.5808, -0.0045, -0.8140],
                       [-0.5836, -0.6948, 0.4203]])

_LUMA = np.array([0.299, 0.587, 0.114])


def _round_u8(x):
    # OpenCV's saturate_cast<uchar>: round to nearest, then clip to 0..255
    return np.clip(np.rint(x), 0, 255).astype(np.uint8)


def affine_matrix(angle, shear, scale, ratio, src_w, src_h, out_w, out_h):
    """MXNet's forward 2x3 matrix (source (x, y) -> output (x, y)) of the default warp.

    The linear part rotates by `angle` degrees, shears ``(x, y) -> (x + shear * y, y)``
    and stretches by ``ws = ratio * hs``, ``hs = 2 * scale / (1 + ratio)`` (so `ratio` is
    the width/height change and `scale` their mean); the translation puts the image
    centre, taken as ``M @ (src_w, src_h) / 2``, at ``(out_w, out_h) / 2``.

    Examples
    --------
    >>> affine_matrix(0, 0.5, 1, 1, 4, 4, 4, 4)[0].tolist()      # x + 0.5 * y - 1
    [1.0, 0.5, -1.0]
    """
    a, b = np.cos(np.deg2rad(angle)), np.sin(np.deg2rad(angle))
    hs = 2.0 * scale / (1.0 + ratio)
    ws = ratio * hs
    m = np.array([[hs * a - shear * b * ws, hs * b + shear * a * ws, 0.0],
                  [-b * ws, a * ws, 0.0]])
    m[0, 2] = (out_w - (m[0, 0] * src_w + m[0, 1] * src_h)) / 2.0
    m[1, 2] = (out_h - (m[1, 0] * src_w + m[1, 1] * src_h)) / 2.0
    return m


def warp_affine(img, m, out_w, out_h, interp=1, fill=255):
    """``out(p) = img(inverse(m) @ p)`` for every output pixel p (OpenCV's warpAffine).

    `img` is HWC uint8; pixel centres sit at integer coordinates. ``interp=0`` takes the
    nearest pixel; anything else samples bilinearly (MXNet's cubic/Lanczos warps are
    sampled bilinearly here). Taps outside the image read `fill`, so edges blend into
    the background as with OpenCV's constant border.

    Examples
    --------
    >>> img = np.arange(9, dtype=np.uint8).reshape(3, 3, 1)
    >>> shift = np.array([[1.0, 0, 1], [0, 1, 0]])       # one pixel to the right
    >>> warp_affine(img, shift, 3, 3, fill=7)[:, :, 0].tolist()
    [[7, 0, 1], [7, 3, 4], [7, 6, 7]]
    """
    h, w, c = img.shape
    full = np.vstack([np.asarray(m, np.float64), [0.0, 0.0, 1.0]])
    inv = np.linalg.inv(full)
    ys, xs = np.mgrid[0:out_h, 0:out_w].astype(np.float64)
    sx = inv[0, 0] * xs + inv[0, 1] * ys + inv[0, 2]
    sy = inv[1, 0] * xs + inv[1, 1] * ys + inv[1, 2]
    src = img.astype(np.float32)
    fill = np.float32(fill)
    if interp == 0:
        taps = [(np.floor(sx + 0.5), np.floor(sy + 0.5), None)]
    else:
        x0, y0 = np.floor(sx), np.floor(sy)
        fx, fy = (sx - x0).astype(np.float32), (sy - y0).astype(np.float32)
        taps = [(x0, y0, (1 - fx) * (1 - fy)), (x0 + 1, y0, fx * (1 - fy)),
                (x0, y0 + 1, (1 - fx) * fy), (x0 + 1, y0 + 1, fx * fy)]
    out = np.zeros((out_h, out_w, c), np.float32)
    for tx, ty, wt in taps:        # 1 or 4 taps, each over the whole image
        inside = (tx >= 0) & (tx < w) & (ty >= 0) & (ty < h)
        ix = np.clip(tx, 0, w - 1).astype(np.intp)
        iy = np.clip(ty, 0, h - 1).astype(np.intp)
        val = np.where(inside[:, :, None], src[iy, ix], fill)
        out += val if wt is None else val * wt[:, :, None]
    return _round_u8(out)


def rgb_to_hls(img):
    """uint8 RGB -> uint8 HLS as OpenCV stores it: H in 0..180 (degrees / 2), L, S in 0..255.

    Examples
    --------
    >>> rgb_to_hls(np.array([[[255, 0, 0], [0, 0, 255], [128, 128, 128]]], np.uint8)).tolist()
    [[[0, 128, 255], [120, 128, 255], [0, 128, 0]]]
    """
    rgb = img[..., :3].astype(np.float32) / np.float32(255)
    r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    vmax, vmin = rgb.max(axis=-1), rgb.min(axis=-1)
    diff = vmax - vmin
    light = (vmax + vmin) * 0.5
    grey = diff <= np.finfo(np.float32).eps
    safe = np.where(grey, 1, diff)
    sat = np.where(light < 0.5, diff / np.where(grey, 1, vmax + vmin),
                   diff / np.where(grey, 1, 2 - vmax - vmin))
    hue = np.where(vmax == r, (g - b) * 60 / safe,
                   np.where(vmax == g, (b - r) * 60 / safe + 120, (r - g) * 60 / safe + 240))
    hue = np.where(hue < 0, hue + 360, hue)
    hue, sat = np.where(grey, 0, hue), np.where(grey, 0, sat)
    return np.stack([_round_u8(hue * 0.5), _round_u8(light * 255), _round_u8(sat * 255)],
                    axis=-1)


# for each 60-degree sector of hue: which of (p2, p1, falling, rising) is r, g, b
_SECTORS = np.array([[0, 3, 1], [2, 0, 1], [1, 0, 3], [1, 2, 0], [3, 1, 0], [0, 1, 2]])


def hls_to_rgb(hls):
    """uint8 HLS (OpenCV's 8-bit layout, see `rgb_to_hls`) -> uint8 RGB.

    Examples
    --------
    >>> hls_to_rgb(np.array([[[60, 128, 255], [0, 200, 0]]], np.uint8)).tolist()
    [[[1, 255, 1], [200, 200, 200]]]
    """
    hls = hls.astype(np.float32)
    hue = hls[..., 0] / np.float32(30)           # 0..180 -> sectors 0..6
    light, sat = hls[..., 1] / np.float32(255), hls[..., 2] / np.float32(255)
    p2 = np.where(light <= 0.5, light * (1 + sat), light + sat - light * sat)
    p1 = 2 * light - p2
    hue = np.mod(hue, 6)
    sector = np.minimum(np.floor(hue), 5).astype(np.intp)
    frac = hue - sector
    tab = np.stack([p2, p1, p1 + (p2 - p1) * (1 - frac), p1 + (p2 - p1) * frac], axis=-1)
    rgb = np.take_along_axis(tab, _SECTORS[sector], axis=-1)
    rgb = np.where((sat == 0)[..., None], light[..., None], rgb)
    return _round_u8(rgb * 255)


def hls_jitter(img, dh, dl, ds):
    """Adds (dh, dl, ds) to the 8-bit H, L, S of an RGB(A) image, clipped to 0..180 / 0..255.

    Examples
    --------
    >>> hls_jitter(np.array([[[200, 40, 40]]], np.uint8), 60, 0, 0).tolist()   # red -> green
    [[[40, 200, 40]]]
    """
    hls = rgb_to_hls(img).astype(np.int32) + np.array([dh, dl, ds], np.int32)
    hls = np.clip(hls, 0, [180, 255, 255]).astype(np.uint8)
    out = img.copy()
    out[..., :3] = hls_to_rgb(hls)
    return out


def _grey(rgb):
    # OpenCV's RGB -> grey, rounded to uint8
    return _round_u8(rgb[..., :3].astype(np.float32) @ _LUMA.astype(np.float32))


def color_jitter(img, alpha_b, alpha_c, alpha_s, order=(0, 1, 2)):
    """Brightness (``x * alpha_b``), contrast (blend with the mean grey level by alpha_c)
    and saturation (blend with each pixel's grey by alpha_s), applied in `order`
    (0 brightness, 1 contrast, 2 saturation), each rounded to uint8 as in MXNet.

    Examples
    --------
    >>> img = np.array([[[100, 50, 0], [200, 150, 100]]], np.uint8)
    >>> color_jitter(img, 1.5, 1, 1, order=(0,)).tolist()
    [[[150, 75, 0], [255, 225, 150]]]
    """
    out = img.copy()
    rgb = out[..., :3]
    for step in order:
        x = rgb.astype(np.float32)
        if step == 0:
            rgb[...] = _round_u8(x * np.float32(alpha_b))
        elif step == 1:
            grey_mean = (_grey(rgb) if rgb.shape[-1] == 3 else rgb).mean(dtype=np.float64)
            rgb[...] = _round_u8(x * np.float32(alpha_c) + np.float32((1 - alpha_c) * grey_mean))
        elif step == 2 and rgb.shape[-1] == 3:
            grey = _grey(rgb).astype(np.float32)[..., None]
            rgb[...] = _round_u8(x * np.float32(alpha_s) + grey * np.float32(1 - alpha_s))
    return out


def pca_lighting(img, alpha, eigval=PCA_EIGVAL, eigvec=PCA_EIGVEC):
    """Adds ``eigvec @ (alpha * eigval)`` to the RGB channels, truncated to int and clipped.

    MXNet adds the float offset to each int pixel and stores it through an int, so the
    sum is truncated towards zero, not rounded.

    Examples
    --------
    >>> pca_lighting(np.full((1, 1, 3), 100, np.uint8), np.array([0.1, 0, 0])).tolist()
    [[[96, 96, 96]]]
    """
    offset = np.asarray(eigvec, np.float64) @ (np.asarray(alpha) * np.asarray(eigval))
    out = img.copy()
    out[..., :3] = np.clip(np.trunc(img[..., :3] + offset.astype(np.float32)), 0, 255)
    return out
