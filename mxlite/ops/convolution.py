"""Convolution and Deconvolution (1-D, 2-D, 3-D, grouped, dilated), on im2col + GEMM.

The column buffer is laid out so that one BLAS call does the work and the gradients need
no extra copy of it. Two layouts, picked per geometry by `_plan`:

    cols[g, (c, k1..kd), (n, o1..od)] = x_padded[n, g*Cg + c, o*stride + k*dilate]
    cols[g, (c, k1..kd), (o1..od, n)]   (batch innermost: 'chwn', for small feature maps)

Forward is ``W[g] @ cols[g]`` (one GEMM per group, or one per image straight into the
output); the weight gradient is ``dY[g] @ cols[g].T``; the data gradient is
``W[g].T @ dY[g]`` folded back by col2im, which loops over kernel positions only (at most
27 for a 3x3x3 kernel), never over the batch or pixels. Deconvolution is the transpose:
its forward is convolution's data gradient and its data gradient is convolution's forward.

Channel-last layouts (NWC, NHWC, NDHWC) run on channel-first views of the same memory.
"""
import functools

import numpy as np
from numpy.lib.stride_tricks import as_strided

from ._util import prod as _prod
from ._workspace import gemm_parallel, parallel, scratch
from .registry import Bool, Enum, Int, Operator, Shape, register, shape_check

LAYOUTS = ('NCDHW', 'NCHW', 'NCW', 'NDHWC', 'NHWC', 'NWC')
_DEFAULT_LAYOUT = {1: 'NCW', 2: 'NCHW', 3: 'NCDHW'}


# ----------------------------------------------------------------------------- kernels
def _interior(before, sizes, lead=1, tail=0):
    """Index of the unpadded part: `lead` leading and `tail` trailing axes are whole."""
    return ((slice(None),) * lead + tuple(slice(b, b + s) for b, s in zip(before, sizes))
            + (slice(None),) * tail)


def _fill_border(buf, first, before, sizes, after, value):
    """Set the padding of the spatial axes starting at axis `first` to `value`."""
    for i, (b, a, s) in enumerate(zip(before, after, sizes)):
        lead = (slice(None),) * (first + i)
        if b:
            buf[lead + (slice(0, b),)] = value
        if a:
            buf[lead + (slice(b + s, b + s + a),)] = value


def pad_zeros(x, before, after=None, slot=None, value=0):
    """x (N, C, *spatial) with `value` added on each spatial side; x itself if none.

    With `slot` the result lives in a scratch array (only its border is filled)."""
    after = before if after is None else after
    if not any(before) and not any(after):
        return x
    sizes = x.shape[2:]
    shape = x.shape[:2] + tuple(s + b + a for s, b, a in zip(sizes, before, after))
    if slot is None:
        out = np.full(shape, value, dtype=x.dtype)
    else:
        out = scratch(slot, shape, x.dtype)
        _fill_border(out, 2, before, sizes, after, value)
    out[_interior(before, sizes, 2)] = x
    return out


def crop(x, before, size):
    """The inverse of pad_zeros: x[..., before:before+size] on each spatial axis (a view)."""
    if not any(before) and tuple(x.shape[2:]) == tuple(size):
        return x
    return x[_interior(before, size, 2)]


def _windows(x, kernel, stride, dilate, out_sp):
    """Read-only view (C, k1..kd, N, o1..od) of a padded x (N, C, *spatial)."""
    sn, sc = x.strides[:2]
    ss = x.strides[2:]
    shape = (x.shape[1],) + tuple(kernel) + (x.shape[0],) + tuple(out_sp)
    strides = ((sc,) + tuple(s * d for s, d in zip(ss, dilate)) + (sn,)
               + tuple(s * t for s, t in zip(ss, stride)))
    return as_strided(x, shape, strides, writeable=False)


def _windows_chwn(xt, kernel, stride, dilate, out_sp):
    """Read-only view (C, k1..kd, o1..od, N) of a padded xt (C, *spatial, N)."""
    ss = xt.strides[1:-1]
    shape = (xt.shape[0],) + tuple(kernel) + tuple(out_sp) + (xt.shape[-1],)
    strides = ((xt.strides[0],) + tuple(s * d for s, d in zip(ss, dilate))
               + tuple(s * t for s, t in zip(ss, stride)) + (xt.strides[-1],))
    return as_strided(xt, shape, strides, writeable=False)


def _col_buffer(size, dtype, slot, state):
    """A flat work array of `size` elements: scratch `slot`, or kept in state['cols'] (a
    training forward keeps its columns for backward)."""
    if state is None:
        return scratch(slot, (size,), dtype)
    flat = state.get('cols')
    if flat is None or flat.size != size or flat.dtype != dtype:
        flat = state['cols'] = np.empty(size, dtype)
    return flat


def _split_copy(dst, src):
    """dst[...] = src in slices of the first axis longer than one (of the first two)."""
    lead = (slice(None),) if dst.ndim > 1 and dst.shape[0] == 1 else ()

    def part(lo, hi):
        idx = lead + (slice(lo, hi),)
        np.copyto(dst[idx], src[idx])
    parallel(part, dst.shape[len(lead)], dst.nbytes)


def im2col(x, kernel, stride, dilate, out_sp, slot='cols', state=None):
    """Columns (C, k1..kd, N, o1..od) of a padded x (N, C, *spatial), in scratch `slot`,
    or in a buffer kept in `state`."""
    view = _windows(x, kernel, stride, dilate, out_sp)
    cols = _col_buffer(view.size, x.dtype, slot, state).reshape(view.shape)
    _split_copy(cols, view)
    return cols


@functools.lru_cache(maxsize=512)
def _taps(kernel, stride, dilate, out_sp):
    """((kernel index, slices of the padded input its column block adds into), ...);
    cached: building them cost ~3 us per kernel position."""
    return tuple((kidx, tuple(slice(k * d, k * d + t * (o - 1) + 1, t)
                              for k, d, t, o in zip(kidx, dilate, stride, out_sp)))
                 for kidx in np.ndindex(*kernel))


def col2im(cols, x_shape, kernel, stride, dilate, out_sp, dtype, out=None):
    """Sum columns (C, k1..kd, N, o1..od) into zeros of shape (N, C, *spatial) (or `out`),
    channels in slices on several threads."""
    if out is None:
        out = np.empty(x_shape, dtype=dtype)
    view = out.swapaxes(0, 1)  # (C, N, *spatial), so each column block adds without a copy
    taps = _taps(tuple(kernel), tuple(stride), tuple(dilate), tuple(out_sp))

    def part(lo, hi):
        dst, src = view[lo:hi], cols[lo:hi]
        dst.fill(0)
        for kidx, win in taps:
            dst[(slice(None), slice(None)) + win] += src[(slice(None),) + kidx]
    parallel(part, cols.shape[0], cols.nbytes)
    return out


def _to_group_rows(a, groups, slot):
    """(N, G*Cg, *sp) -> (G, Cg, N*prod(sp)) in scratch `slot`: the GEMM operand layout."""
    n, c = a.shape[:2]
    rows = scratch(slot, (c, n, _prod(a.shape[2:])), a.dtype)
    _split_copy(rows, a.reshape(n, c, -1).swapaxes(0, 1))
    return rows.reshape(groups, c // groups, -1)


def _bias_shape(nd):
    return (1, -1) + (1,) * nd


def _write(out, value, bias=None):
    """out[...] = value (+ bias along axis 1) in one pass."""
    if bias is None:
        out[...] = value
    else:
        np.add(value, bias.reshape(_bias_shape(out.ndim - 2)), out=out)


def _store(out, value, bias, accumulate):
    """out = value + bias, or out += value + bias with `accumulate` (bias must then already
    be in value: the caller adds it to its GEMM scratch, which is cheaper than out); in
    slices of channels on several threads."""
    def part(lo, hi):
        o, v = out[:, lo:hi], value[:, lo:hi]
        if accumulate:
            np.add(o, v, out=o, casting='unsafe')
        else:
            _write(o, v, None if bias is None else bias[lo:hi])
    parallel(part, out.shape[1], out.nbytes)


def _gmm(a, b, out=None):
    """Per-group matmul of (G, m, k) and (G, k, n); a plain 2-D GEMM for one group (NumPy's
    stacked matmul was ~1.5x slower than the 2-D call for a stack of one)."""
    if a.shape[0] == 1:
        return np.matmul(a[0], b[0], out=None if out is None else out[0])[None]
    return np.matmul(a, b, out=out)


def _is_pointwise(kernel, stride, pad):
    return all(k == 1 for k in kernel) and all(s == 1 for s in stride) and not any(pad)


KEEP_COLS_BYTES = 32 << 20  # per node; beyond this, backward recomputes its columns
KEEP_COLS_TOTAL = 128 << 20  # per executor, over all its convolutions


def _may_keep(ctx, nbytes):
    """May this node keep `nbytes` of columns? Within the per-node limit and, first come
    first served, the executor's total (`ctx.shared['kept_cols_bytes']` counts it)."""
    if nbytes > KEEP_COLS_BYTES:
        return False
    if 'cols' in ctx.state or ctx.shared is None:
        return True   # already counted, or an imperative call (nothing else to share)
    total = ctx.shared.get('kept_cols_bytes', 0) + nbytes
    if total > KEEP_COLS_TOTAL:
        return False
    ctx.shared['kept_cols_bytes'] = total
    return True


def _cols_bytes(x, w, out, groups):
    """Bytes of the im2col columns conv_forward would build."""
    return x.shape[1] * _prod(w.shape[2:]) * x.shape[0] * _prod(out.shape[2:]) * \
        x.dtype.itemsize


# ----------------------------------------------------------------------------- plans
# How one convolution lays out its columns. NumPy copies strided data one inner run at a
# time (~7 ns per run), so the layout that makes runs long wins:
#  * 'chwn' moves the batch axis innermost, (C, *spatial, N): every run of the im2col copy
#    and of col2im's adds is (o_w *) N elements long, at the price of transposing data,
#    output and their gradients (~1 ns per element). It pays for small feature maps.
#  * otherwise columns are (C*K, N, O) with runs of o_w. With groups == 1 the forward may
#    run one GEMM per image straight into out[n] (no (F, N, O) -> (N, F, O) pass), the
#    bias rides in the GEMM as a row of ones, and the weight gradient of a small weight
#    sums per-image GEMMs (one tall-skinny GEMM over N*O uses BLAS badly).
PER_IMAGE_MIN_PIXELS = 48      # per-image GEMMs need this many output pixels per image
DW_PER_IMAGE_MAX = 1 << 14     # weight gradients up to this many elements sum per image
DW_CHUNK = 1 << 20             # elements of the per-image partial weight gradients at once
FORCE = {}                     # tests pin a choice: {'chwn': bool, 'per_image': bool, ...}


def _plan(x_shape, f, kernel, out_sp, groups, has_bias):
    """(chwn, aug, per_image, dw_per_image) for one geometry (see above)."""
    n, c = x_shape[:2]
    pixels = _prod(out_sp)
    chwn = FORCE.get('chwn')
    if chwn is None:
        runs = c * _prod(kernel) * n * _prod(out_sp[:-1])
        chwn = n >= 8 and 5 * runs > _prod(x_shape) + n * f * pixels
    if chwn:
        return (True, False, False, False)
    one = groups == 1
    per_image = one and FORCE.get('per_image', pixels >= PER_IMAGE_MIN_PIXELS)
    dw_per_image = one and FORCE.get(
        'dw_per_image', f * (c * _prod(kernel) + 1) <= DW_PER_IMAGE_MAX)
    # the row of ones costs a copy of the weight per call: only for weights small next to
    # the output (LeNet's first layer), not for a batch of one through a wide layer
    aug = has_bias and (per_image or dw_per_image) and 4 * c * _prod(kernel) <= n * pixels
    return (False, aug, per_image, dw_per_image)


def _cols_nfirst(x, kernel, stride, dilate, pad, out_sp, aug, state):
    """im2col columns as a (C*K [+1], N*O) matrix; with `aug` the last row is ones."""
    xp = pad_zeros(x, pad, slot='pad')
    view = _windows(xp, kernel, stride, dilate, out_sp)
    npix = x.shape[0] * _prod(out_sp)
    flat = _col_buffer(view.size + (npix if aug else 0), x.dtype, 'cols', state)
    _split_copy(flat[:view.size].reshape(view.shape), view)
    if aug:
        flat[view.size:] = 1
    return flat.reshape(-1, npix)


def _batch_last(dst, x):
    """dst (C, *spatial, N) = x (N, C, *spatial) moved, channels in slices on several
    threads. When an image is a multiple of 4 KB the N source rows read side by side share
    one L1 cache set (8 ways), so the copy goes 8 images at a time there (3-4x faster)."""
    n = x.shape[0]
    step = n if x.strides[0] % 4096 else 8

    def part(lo, hi):
        for s in range(0, n, step):
            np.copyto(dst[lo:hi, ..., s:s + step], np.moveaxis(x[s:s + step, lo:hi], 0, -1))
    parallel(part, x.shape[1], x.nbytes)


def _cols_chwn(x, kernel, stride, dilate, pad, out_sp, state):
    """im2col columns (C*K, O*N) of x (N, C, *spatial) in the batch-innermost layout:
    x moved to (C, *padded, N), then the windows copied, channels in slices."""
    n, c = x.shape[:2]
    xt = scratch('pad', (c,) + tuple(s + 2 * q for s, q in zip(x.shape[2:], pad)) + (n,),
                 x.dtype)
    inner = xt[_interior(pad, x.shape[2:], 1, 1)]
    step = n if x.strides[0] % 4096 else 8   # see _batch_last
    view = _windows_chwn(xt, kernel, stride, dilate, out_sp)
    cols = _col_buffer(view.size, x.dtype, 'cols', state).reshape(view.shape)

    def part(lo, hi):
        _fill_border(xt[lo:hi], 1, pad, x.shape[2:], pad, 0)
        for s in range(0, n, step):
            np.copyto(inner[lo:hi, ..., s:s + step], np.moveaxis(x[s:s + step, lo:hi], 0, -1))
        np.copyto(cols[lo:hi], view[lo:hi])
    parallel(part, c, cols.nbytes)
    return cols.reshape(c * _prod(kernel), -1)


def conv_forward(x, w, bias, stride, dilate, pad, groups, out, keep=None, accumulate=False):
    """out (N, F, *o) = conv(x (N, C, *i), w (F, C/groups, *k)) + bias; channel-first.
    With `keep` (a dict), the im2col columns stay there for conv_backward; with
    `accumulate` the result is added into out."""
    n, c = x.shape[:2]
    f = w.shape[0]
    kernel = w.shape[2:]
    out_sp = tuple(out.shape[2:])
    cg, fg = c // groups, f // groups
    npix = _prod(out_sp)
    if _is_pointwise(kernel, stride, pad):
        # a 1x1 convolution is a batched matrix product over the pixels, no columns needed
        y = np.matmul(w.reshape(groups, fg, cg), x.reshape(n, groups, cg, -1))
        if accumulate and bias is not None:
            y.reshape(n, f, -1)[...] += bias.reshape(f, 1)
        _store(out, y.reshape(out.shape), bias, accumulate)
        return
    plan = _plan(x.shape, f, kernel, out_sp, groups, bias is not None)
    chwn, aug, per_image = plan[:3]
    if keep is not None:
        keep['cols_valid'] = plan
    wm = w.reshape(groups, fg, -1)
    if chwn:
        cols = _cols_chwn(x, kernel, stride, dilate, pad, out_sp, keep)
    else:
        cols = _cols_nfirst(x, kernel, stride, dilate, pad, out_sp, aug, keep)
        if aug:  # the bias is the weight of the row of ones
            wm = np.concatenate([w.reshape(f, -1), bias.reshape(f, 1)], axis=1)[None]
            bias = None
        if per_image and not accumulate and out.dtype == x.dtype and \
                out.flags.c_contiguous:
            per = cols.reshape(-1, n, npix).swapaxes(0, 1)
            out3 = out.reshape(n, f, npix)
            gemm_parallel(lambda lo, hi: np.matmul(wm[0], per[lo:hi], out=out3[lo:hi]), n,
                          out.nbytes, f * npix * wm.shape[2])
            if bias is not None:
                out += bias.reshape(_bias_shape(len(out_sp)))
            return
    y = scratch('gemm', (groups, fg, cols.shape[1]), x.dtype)
    _gmm(wm, cols.reshape(groups, -1, cols.shape[1]), out=y)
    if accumulate and bias is not None:
        y.reshape(f, -1)[...] += bias.reshape(f, 1)
    if chwn:
        value = np.moveaxis(y.reshape((f,) + out_sp + (n,)), -1, 0)
    else:
        value = y.reshape((f, n) + out_sp).swapaxes(0, 1)
    _store(out, value, bias, accumulate)


def _dw_per_image(g3, m3):
    """sum_n g3[n] @ m3[:, n].T for g3 (N, F, O), m3 (R, N, O): (F, R), a few images at a
    time so the partial products stay small (slices of images on threads)."""
    n, f = g3.shape[:2]
    step = max(1, DW_CHUNK // (f * m3.shape[0]))
    parts = {}

    def part(lo, hi):
        total = None
        for s in range(lo, hi, step):
            e = min(hi, s + step)
            p = np.matmul(g3[s:e], m3[:, s:e].transpose(1, 2, 0)).sum(axis=0)
            total = p if total is None else np.add(total, p, out=total)
        parts[lo] = total
    gemm_parallel(part, n, g3.nbytes + m3.nbytes, f * m3.shape[0] * m3.shape[2])
    total = None
    for lo in sorted(parts):   # a fixed order: the same sum for the same thread count
        total = parts[lo] if total is None else np.add(total, parts[lo], out=total)
    return total


def conv_backward(x, w, g, stride, dilate, pad, groups, need_bias, need_dx=True, kept=None,
                  dx_out=None):
    """(dx, dw, dbias or None) of conv_forward, given the output gradient g; dx is None
    when not needed (a first layer: col2im is half the backward cost). dx goes into
    `dx_out` (x's shape and dtype) where the layout allows, written after all reads."""
    n, c = x.shape[:2]
    f = w.shape[0]
    kernel = w.shape[2:]
    out_sp = tuple(g.shape[2:])
    cg, fg = c // groups, f // groups
    nd = len(kernel)
    ck = c * _prod(kernel)
    if _is_pointwise(kernel, stride, pad):
        db = g.sum(axis=(0,) + tuple(range(2, 2 + nd))) if need_bias else None
        x4 = x.reshape(n, groups, cg, -1)
        g4 = g.reshape(n, groups, fg, -1)
        dx = np.matmul(w.reshape(groups, fg, cg).swapaxes(1, 2), g4).reshape(x.shape)
        dw = np.einsum('ngfo,ngco->gfc', g4, x4, optimize=True).reshape(w.shape)
        return dx, dw.astype(w.dtype, copy=False), db
    plan = _plan(x.shape, f, kernel, out_sp, groups, need_bias)
    chwn, aug, _, dw_per_image = plan
    kept_ok = kept is not None and kept.pop('cols_valid', None) == plan
    db = None
    if chwn:
        gt = scratch('gemm', (f,) + out_sp + (n,), g.dtype)
        _batch_last(gt, g)
        gt = gt.reshape(groups, fg, -1)
        if need_bias:
            db = gt.reshape(f, -1).sum(axis=1)
        cols = kept['cols'].reshape(ck, -1) if kept_ok else \
            _cols_chwn(x, kernel, stride, dilate, pad, out_sp, None)
    else:
        cols = kept['cols'].reshape(-1, n * _prod(out_sp)) if kept_ok else \
            _cols_nfirst(x, kernel, stride, dilate, pad, out_sp, aug, None)
        gt = None
    if need_bias and not chwn and not (aug and dw_per_image):   # else from gt / the ones
        db = g.sum(axis=(0,) + tuple(range(2, 2 + nd)))
    if dw_per_image:
        dwa = _dw_per_image(g.reshape(n, f, -1), cols.reshape(cols.shape[0], n, -1))
        dw = dwa[:, :ck].reshape(w.shape)
        db = dwa[:, ck] if aug else db
    else:
        if gt is None:
            gt = _to_group_rows(g, groups, 'gemm')  # (G, Fg, N*O)
        # computed as (cols @ dY^T)^T: BLAS runs that orientation 5-30% faster for these
        # short-and-wide operands (LeNet's second layer: 4.0 -> 2.9 ms)
        dw = _gmm(cols[:ck].reshape(groups, ck // groups, -1), gt.swapaxes(1, 2))
        dw = dw.swapaxes(1, 2).reshape(w.shape)
    if not need_dx:
        return None, dw, db
    if gt is None:
        gt = _to_group_rows(g, groups, 'gemm')
    dcols = cols[:ck].reshape(groups, ck // groups, -1)  # columns no longer needed
    _gmm(w.reshape(groups, fg, -1).swapaxes(1, 2), gt, out=dcols)
    padded = tuple(s + 2 * q for s, q in zip(x.shape[2:], pad))
    if not chwn:
        dxp = col2im(dcols.reshape((c,) + tuple(kernel) + (n,) + out_sp), (n, c) + padded,
                     kernel, stride, dilate, out_sp, x.dtype, None if any(pad) else dx_out)
        return crop(dxp, pad, x.shape[2:]), dw, db
    # col2im in (C, *spatial, N): every add is a run of (o_w *) N elements; then the
    # batch axis goes back in front, channels in slices
    dxt = scratch('pad', (c,) + padded + (n,), x.dtype)
    blocks = dcols.reshape((c,) + tuple(kernel) + out_sp + (n,))
    inner = _interior(pad, x.shape[2:], 1, 1)
    taps = _taps(tuple(kernel), tuple(stride), tuple(dilate), out_sp)
    dx = np.empty(x.shape, x.dtype) if dx_out is None else dx_out

    def part(lo, hi):
        dst, src = dxt[lo:hi], blocks[lo:hi]
        dst.fill(0)
        for kidx, win in taps:
            dst[(slice(None),) + win] += src[(slice(None),) + kidx]
        np.copyto(dx[:, lo:hi], np.moveaxis(dst[inner], -1, 0))
    parallel(part, c, blocks.nbytes)
    return dx, dw, db


def deconv_forward(x, w, bias, stride, dilate, pad, groups, out):
    """out (N, F, *o) = the transpose of conv of x (N, C, *i) with w (C, F/groups, *k)."""
    n, c = x.shape[:2]
    kernel = w.shape[2:]
    fg = w.shape[1]
    f = fg * groups
    cg = c // groups
    in_sp = x.shape[2:]
    xt = _to_group_rows(x, groups, 'pad')  # (G, Cg, N*I)
    cols = scratch('cols', (groups, fg * _prod(kernel), xt.shape[2]), x.dtype)
    _gmm(w.reshape(groups, cg, -1).swapaxes(1, 2), xt, out=cols)
    padded = (n, f) + tuple(o + 2 * p for o, p in zip(out.shape[2:], pad))
    full = col2im(cols.reshape((f,) + tuple(kernel) + (n,) + tuple(in_sp)), padded,
                  kernel, stride, dilate, in_sp, x.dtype, out=scratch('gemm', padded, x.dtype))
    _write(out, crop(full, pad, out.shape[2:]), bias)


def deconv_backward(x, w, g, stride, dilate, pad, groups, need_bias):
    """(dx, dw, dbias or None) of deconv_forward."""
    n, c = x.shape[:2]
    kernel = w.shape[2:]
    nd = len(kernel)
    cg = c // groups
    in_sp = x.shape[2:]
    db = g.sum(axis=(0,) + tuple(range(2, 2 + nd))) if need_bias else None
    cols = im2col(pad_zeros(g, pad, slot='pad'), kernel, stride, dilate, in_sp)
    cols = cols.reshape(groups, -1, n * _prod(in_sp))  # (G, Fg*K, N*I)
    wg = w.reshape(groups, cg, -1)
    dx = _gmm(wg, cols).reshape((groups * cg, n) + tuple(in_sp)).swapaxes(0, 1)
    xt = _to_group_rows(x, groups, 'gemm')
    dw = _gmm(cols, xt.swapaxes(1, 2)).swapaxes(1, 2).reshape(w.shape)  # see conv_backward
    return dx, dw, db


# ----------------------------------------------------------------------------- records
def _conv_params(deconv):
    params = {
        'kernel': Shape(doc='Convolution kernel size: (w,), (h, w) or (d, h, w).'),
        'stride': Shape((), doc='Stride; defaults to 1 in each dimension.'),
        'dilate': Shape((), doc='Dilation; defaults to 1 in each dimension.'),
        'pad': Shape((), doc='Zero padding on both sides; defaults to 0.'),
    }
    if deconv:
        params['adj'] = Shape((), doc='Extra size added to one side of the output.')
        params['target_shape'] = Shape((), doc='Output spatial shape; overrides pad and adj.')
    params['num_filter'] = Int(doc='Number of output channels.')
    params['num_group'] = Int(1, doc='Number of groups the channels are split into.')
    params['workspace'] = Int(512 if deconv else 1024, doc='Workspace limit in MB (unused).')
    params['no_bias'] = Bool(deconv, doc='Whether to disable the bias.')
    params['cudnn_tune'] = Enum(('fastest', 'limited_workspace', 'off'), None,
                                allow_none=True, doc='cuDNN algorithm choice (unused).')
    params['cudnn_off'] = Bool(False, doc='Turn off cuDNN (unused).')
    params['layout'] = Enum(LAYOUTS, None, allow_none=True,
                            doc='Data layout; default NCW, NCHW or NCDHW by kernel size.')
    return params


class _ConvBase(Operator):
    """Shared geometry, layout handling and argument names of Convolution/Deconvolution."""
    deconv = False
    backward_uses_outputs = False

    def list_arguments(self, p):
        return ['data', 'weight'] if p.no_bias else ['data', 'weight', 'bias']

    # ---- geometry
    def geometry(self, p):
        """(nd, stride, dilate, pad) with defaults filled in; errors for bad lengths."""
        nd = len(p.kernel)
        shape_check(1 <= nd <= 3, 'kernel %s must have 1, 2 or 3 dimensions', p.kernel)
        shape_check(all(k > 0 for k in p.kernel), 'kernel %s must be positive', p.kernel)
        out = [nd]
        for name, default in (('stride', 1), ('dilate', 1), ('pad', 0)):
            value = getattr(p, name)
            if not value:
                value = (default,) * nd
            shape_check(len(value) == nd, '%s %s must have as many dimensions as kernel %s',
                        name, value, p.kernel)
            shape_check(all(v >= (1 if default else 0) for v in value),
                        '%s %s must be %s', name, value, 'positive' if default else '>= 0')
            out.append(tuple(value))
        return tuple(out)

    def layout(self, p, nd):
        layout = p.layout or _DEFAULT_LAYOUT[nd]
        shape_check(len(layout) == nd + 2, 'layout %s does not fit a %d-D kernel %s',
                    layout, nd, p.kernel)
        return layout

    @staticmethod
    def _to_cf(shape, channel_last):
        """A shape in its layout -> channel-first order."""
        if shape is None or not channel_last:
            return shape
        return (shape[0], shape[-1]) + tuple(shape[1:-1])

    @staticmethod
    def _from_cf(shape, channel_last):
        if shape is None or not channel_last:
            return shape
        return (shape[0],) + tuple(shape[2:]) + (shape[1],)

    def infer_shape(self, p, in_shapes):
        shapes = [None if s is None else tuple(s) for s in in_shapes]
        nd, stride, dilate, pad = self.geometry(p)
        layout = self.layout(p, nd)
        last = layout.endswith('C')
        f, groups = p.num_filter, p.num_group
        shape_check(f > 0 and groups > 0, 'num_filter (%d) and num_group (%d) must be positive',
                    f, groups)
        shape_check(f % groups == 0, 'num_filter (%d) must be divisible by num_group (%d)',
                    f, groups)
        if not p.no_bias:
            shape_check(shapes[2] is None or shapes[2] == (f,),
                        'bias has shape %s but expected (%d,) (num_filter=%d)', shapes[2], f, f)
            shapes[2] = (f,)
        data = shapes[0]
        if data is None:
            return shapes, [None]
        shape_check(len(data) == nd + 2,
                    'data has shape %s but a %d-D kernel %s needs a %d-D input (%s)',
                    data, nd, p.kernel, nd + 2, layout)
        data_cf = self._to_cf(data, last)
        c = data_cf[1]
        shape_check(c % groups == 0, 'data has %d channels (shape %s), not divisible by '
                    'num_group=%d', c, data, groups)
        if self.deconv:
            wshape_cf = (c, f // groups) + tuple(p.kernel)
            out_sp, _, _ = self.output_spatial(p, data_cf[2:], stride, dilate, pad)
        else:
            wshape_cf = (f, c // groups) + tuple(p.kernel)
            out_sp = []
            for i, (size, k, s, d, q) in enumerate(zip(data_cf[2:], p.kernel, stride, dilate,
                                                       pad)):
                dk = d * (k - 1) + 1
                shape_check(dk <= size + 2 * q, 'data has shape %s: dilated kernel size %d '
                            'exceeds the padded input size %d on spatial axis %d',
                            data, dk, size + 2 * q, i)
                out_sp.append((size + 2 * q - dk) // s + 1)
        wshape = self._from_cf(wshape_cf, last)
        shape_check(shapes[1] is None or shapes[1] == wshape,
                    'data has shape %s but weight has shape %s; expected weight shape %s '
                    '(num_filter=%d, num_group=%d, kernel=%s)',
                    data, shapes[1], wshape, f, groups, p.kernel)
        shapes[1] = wshape
        out = self._from_cf((data_cf[0], f) + tuple(out_sp), last)
        return shapes, [out]

    # ---- kernels
    def _views(self, p, inputs):
        """Channel-first views of data and weight, plus the geometry."""
        nd, stride, dilate, pad = self.geometry(p)
        last = self.layout(p, nd).endswith('C')
        x, w = inputs[0], inputs[1]
        if last:
            x, w = np.moveaxis(x, -1, 1), np.moveaxis(w, -1, 1)
        if x.dtype == np.float16:  # BLAS has no half precision: compute in float32
            x, w = x.astype(np.float32), w.astype(np.float32)
        return x, w, last, stride, dilate, pad

    def backward(self, p, ograds, inputs, outputs, ctx):
        x, w, last, stride, dilate, pad = self._views(p, inputs)
        g = ograds[0]
        if last:
            g = np.moveaxis(g, -1, 1)
        g = g.astype(x.dtype, copy=False)
        pad = self.effective_pad(p, x, stride, dilate, pad)
        if self.deconv:
            dx, dw, db = deconv_backward(x, w, g, stride, dilate, pad, p.num_group,
                                         not p.no_bias)
        else:
            # the data gradient goes straight into the executor's array where offered
            dst = ctx.dst(0)
            if last or dst is None or dst.dtype != x.dtype or dst.shape != x.shape:
                dst = None
            dx, dw, db = conv_backward(x, w, g, stride, dilate, pad, p.num_group,
                                       not p.no_bias, need_dx=ctx.needs(0), kept=ctx.state,
                                       dx_out=dst)
        if last:
            dx = None if dx is None else np.moveaxis(dx, 1, -1)
            dw = np.moveaxis(dw, 1, -1)
        dtype = inputs[0].dtype
        grads = [None if dx is None else dx.astype(dtype, copy=False),
                 dw.astype(dtype, copy=False)]
        if not p.no_bias:
            grads.append(db.astype(dtype, copy=False))
        return grads

    def effective_pad(self, p, x, stride, dilate, pad):
        return pad


@register
class Convolution(_ConvBase):
    """Computes a 1-D, 2-D or 3-D convolution (cross-correlation), with optional groups.

    For a 2-D input ``data`` of shape ``(N, C, H, W)`` and ``weight`` of shape
    ``(num_filter, C // num_group, kh, kw)`` the output has shape
    ``(N, num_filter, out_h, out_w)`` with
    ``out_h = floor((H + 2*pad[0] - dilate[0]*(kh-1) - 1) / stride[0]) + 1``
    (the same rule for every spatial axis). ``bias`` (shape ``(num_filter,)``) is added
    unless ``no_bias=True``. The channel-last layouts NWC, NHWC and NDHWC also take the
    weight channel-last: ``(num_filter, kh, kw, C // num_group)``.

    Examples
    --------
    >>> x = mx.nd.ones((1, 3, 5, 5))
    >>> w = mx.nd.ones((2, 3, 3, 3))
    >>> y = mx.nd.Convolution(x, w, kernel=(3, 3), num_filter=2, no_bias=True)
    >>> y.shape, float(y.asnumpy()[0, 0, 0, 0])
    ((1, 2, 3, 3), 27.0)
    """
    name = 'Convolution'
    params = _conv_params(False)
    forward_accumulates = True

    def forward(self, p, inputs, outputs, ctx):
        x, w, last, stride, dilate, pad = self._views(p, inputs)
        out = outputs[0]
        out_cf = np.moveaxis(out, -1, 1) if last else out
        bias = None if p.no_bias else inputs[2].astype(x.dtype, copy=False)
        # a training pass keeps small im2col columns for backward (saves one im2col per
        # step); large ones would hold memory outside the executor's plan, so they are
        # recomputed instead
        keep = None
        if ctx.is_train and _may_keep(ctx, _cols_bytes(x, w, out_cf, p.num_group)):
            keep = ctx.state
        else:
            dropped = ctx.state.pop('cols', None)
            ctx.state.pop('cols_valid', None)
            if dropped is not None and ctx.shared is not None:
                ctx.shared['kept_cols_bytes'] -= dropped.nbytes
        # req 'add': the executor fused a following elemwise_add into this node
        accumulate = ctx.req is not None and ctx.req[0] == 'add'
        conv_forward(x, w, bias, stride, dilate, pad, p.num_group, out_cf, keep=keep,
                     accumulate=accumulate)


@register
class Deconvolution(_ConvBase):
    """Computes the transposed convolution (the gradient of Convolution w.r.t. its data).

    For a 2-D input ``data`` of shape ``(N, C, H, W)`` and ``weight`` of shape
    ``(C, num_filter // num_group, kh, kw)`` the output has shape
    ``(N, num_filter, out_h, out_w)`` with
    ``out_h = stride[0]*(H-1) + dilate[0]*(kh-1) + 1 - 2*pad[0] + adj[0]``.
    When ``target_shape`` is given, pad and adj are computed so that the output has
    that spatial shape. As in MXNet 1.x, ``no_bias`` defaults to True.

    Examples
    --------
    >>> x = mx.nd.ones((1, 1, 2, 2))
    >>> w = mx.nd.ones((1, 1, 3, 3))
    >>> mx.nd.Deconvolution(x, w, kernel=(3, 3), num_filter=1).shape
    (1, 1, 4, 4)
    """
    name = 'Deconvolution'
    params = _conv_params(True)
    deconv = True

    def pad_adj(self, p, in_sp, stride, dilate, pad):
        """(pad, adj) actually used: from target_shape when it is set, else from params."""
        nd = len(p.kernel)
        target = tuple(p.target_shape)
        if target and any(target):
            shape_check(len(target) == nd, 'target_shape %s must have as many dimensions '
                        'as kernel %s', target, p.kernel)
            pads, adjs = [], []
            for i, (size, k, s, d, t) in enumerate(zip(in_sp, p.kernel, stride, dilate,
                                                       target)):
                full = s * (size - 1) + d * (k - 1) + 1
                shape_check(full >= t, 'target_shape %s is too big for input spatial shape '
                            '%s: at most %d on axis %d', target, tuple(in_sp), full, i)
                pads.append((full - t + 1) // 2)
                adjs.append((full - t) % 2)
            return tuple(pads), tuple(adjs)
        adj = tuple(p.adj) if p.adj else (0,) * nd
        shape_check(len(adj) == nd, 'adj %s must have as many dimensions as kernel %s',
                    adj, p.kernel)
        shape_check(all(0 <= a < s for a, s in zip(adj, stride)),
                    'adj %s must be smaller than stride %s', adj, stride)
        return pad, adj

    def output_spatial(self, p, in_sp, stride, dilate, pad):
        pad, adj = self.pad_adj(p, in_sp, stride, dilate, pad)
        out = []
        for i, (size, k, s, d, q, a) in enumerate(zip(in_sp, p.kernel, stride, dilate, pad,
                                                      adj)):
            o = s * (size - 1) + d * (k - 1) + 1 - 2 * q + a
            shape_check(o > 0, 'output size %d on spatial axis %d is not positive '
                        '(input %s, kernel %s, stride %s, pad %s)', o, i, tuple(in_sp),
                        p.kernel, stride, pad)
            out.append(o)
        return out, pad, adj

    def effective_pad(self, p, x, stride, dilate, pad):
        return self.pad_adj(p, x.shape[2:], stride, dilate, pad)[0]

    def forward(self, p, inputs, outputs, ctx):
        x, w, last, stride, dilate, pad = self._views(p, inputs)
        pad = self.effective_pad(p, x, stride, dilate, pad)
        out = outputs[0]
        out_cf = np.moveaxis(out, -1, 1) if last else out
        bias = None if p.no_bias else inputs[2].astype(x.dtype, copy=False)
        deconv_forward(x, w, bias, stride, dilate, pad, p.num_group, out_cf)
