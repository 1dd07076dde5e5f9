"""Pooling (max, avg, sum, lp; 1-D, 2-D, 3-D; valid/full/same conventions; global).

Every kernel loops over the kernel positions only (9 steps for 3x3) and does whole-array
work at each one: the window element at kernel position k of every output pixel is the
strided slice ``x_padded[..., k : k + stride*(out-1)+1 : stride]``. The gradient does the
same walk in reverse. Max pooling sends its gradient to the first position in each window
that holds the maximum, as MXNet does.

With oneDNN (the build the MXNet 1.9.1 reference used) max pooling has a second, hidden
output named ``workspace`` (int32, the output's shape); it is kept here so that node
output counts and symbol JSON agree with MXNet. Its content is not used.
"""
import numpy as np

from ._workspace import parallel, scratch
from .convolution import pad_zeros
from .registry import Bool, Enum, IntOrNone, Operator, Shape, register, shape_check

LAYOUTS = ('NCDHW', 'NCHW', 'NCW', 'NDHWC', 'NHWC', 'NWC')
_CHANNEL_FIRST = ('NCW', 'NCHW', 'NCDHW')


class BoolOrNone(Bool):
    kind = 'boolean or None'

    def from_str(self, text):
        return None if text in ('None', '') else super().from_str(text)

    def from_value(self, value):
        return None if value is None else super().from_value(value)


def _lowest(dtype):
    dtype = np.dtype(dtype)
    return np.finfo(dtype).min if dtype.kind == 'f' else np.iinfo(dtype).min


def _window(kidx, stride, out_sp):
    """Index of the kernel-position-`kidx` element of every window (a strided slice)."""
    return (Ellipsis,) + tuple(slice(k, k + s * (o - 1) + 1, s)
                               for k, s, o in zip(kidx, stride, out_sp))


def _root(a, p):
    if p == 1:
        return a
    if p == 2:
        return np.sqrt(a)
    if p == 3:
        return np.cbrt(a)
    return np.power(a, 1.0 / p)


def _lp_grad(g, x, y, p):
    """d y / d x * g for y = (sum x^p)^(1/p): g * (x / y)^(p-1), 0 where y == 0."""
    if p == 1:
        return np.broadcast_to(g, np.broadcast_shapes(g.shape, x.shape))
    with np.errstate(divide='ignore', invalid='ignore'):
        r = np.power(x / y, p - 1)
    return np.where(y == 0, 0, g * r)


@register
class Pooling(Operator):
    """Pools windows of a 1-D, 2-D or 3-D input: max, average, sum or Lp.

    For each spatial axis the output size is ``floor((x + 2*p - k) / s) + 1`` with
    ``pooling_convention='valid'`` (the default), ``ceil((x + 2*p - k) / s) + 1`` with
    ``'full'`` (Caffe's rule) and ``ceil(x / s)`` with ``'same'`` (1-D only, no pad).
    ``global_pool=True`` pools each channel's whole feature map to one value.
    ``avg`` divides by the window size counted inside the padded input unless
    ``count_include_pad=False`` (then by the number of real elements). ``lp`` computes
    ``(sum x^p)^(1/p)`` with ``p_value``.

    MXNet 1.9.1 quirk kept for compatibility: with ``pooling_convention='full'``, avg
    pooling and float32 data, the gradient of a window that hangs over the input's end
    may be divided by the whole kernel size while the forward divided by the clipped
    window (see ``_onednn_full_avg_backward``).

    Examples
    --------
    >>> x = mx.nd.arange(16).reshape((1, 1, 4, 4))
    >>> mx.nd.Pooling(x, kernel=(2, 2), stride=(2, 2), pool_type='max').asnumpy()
    array([[[[ 5.,  7.],
             [13., 15.]]]], dtype=float32)
    """
    name = 'Pooling'
    params = {
        'kernel': Shape((), doc='Pooling kernel size: (w,), (h, w) or (d, h, w).'),
        'pool_type': Enum(('avg', 'lp', 'max', 'sum'), 'max', doc='Pooling type.'),
        'global_pool': Bool(False, doc='Pool over the whole feature map; kernel is ignored.'),
        'cudnn_off': Bool(False, doc='Turn off cuDNN pooling (unused).'),
        'pooling_convention': Enum(('full', 'same', 'valid'), 'valid',
                                   doc='How the output size is rounded.'),
        'stride': Shape((), doc='Stride; defaults to 1 in each dimension.'),
        'pad': Shape((), doc='Padding on both sides; defaults to 0.'),
        'p_value': IntOrNone(None, doc='p of Lp pooling; required when pool_type is lp.'),
        'count_include_pad': BoolOrNone(None, doc='avg only: count padded elements in the '
                                                  'divisor (default True).'),
        'layout': Enum(LAYOUTS, None, allow_none=True,
                       doc='Data layout; default NCW, NCHW or NCDHW by kernel size.'),
    }

    # ---- names and counts
    def _has_workspace(self, p):
        return (p.pool_type == 'max' and 1 <= len(p.kernel) <= 3
                and (p.layout is None or p.layout in _CHANNEL_FIRST))

    def list_outputs(self, p):
        return ['output', 'workspace'] if self._has_workspace(p) else ['output']

    def num_visible_outputs(self, p):
        return 1

    def infer_type(self, p, in_types):
        t = in_types[0]
        outs = [t, np.dtype(np.int32)] if self._has_workspace(p) else [t]
        return in_types, outs

    # ---- geometry
    def _layout(self, p, ndim):
        layout = p.layout or {3: 'NCW', 4: 'NCHW', 5: 'NCDHW'}.get(ndim)
        shape_check(layout is not None and len(layout) == ndim,
                    'data must be 3-D, 4-D or 5-D (layout %s), got %d-D', p.layout, ndim)
        return layout

    def geometry(self, p, spatial):
        """(kernel, stride, pad_before, pad_after, out_spatial) in channel-first order."""
        nd = len(spatial)
        if p.global_pool:
            return tuple(spatial), (1,) * nd, (0,) * nd, (0,) * nd, (1,) * nd
        kernel = tuple(p.kernel)
        shape_check(len(kernel) > 0, 'kernel must be given unless global_pool=True')
        shape_check(len(kernel) == nd, 'kernel %s needs a %d-D input but data has %d '
                    'spatial axes %s', kernel, len(kernel) + 2, nd, tuple(spatial))
        stride = tuple(p.stride) or (1,) * nd
        pad = tuple(p.pad) or (0,) * nd
        shape_check(len(stride) == nd and len(pad) == nd,
                    'stride %s and pad %s must have as many dimensions as kernel %s',
                    stride, pad, kernel)
        shape_check(all(s > 0 for s in stride), 'stride %s must be positive', stride)
        conv = p.pooling_convention
        if conv == 'same':
            shape_check(nd == 1, "pooling_convention='same' supports 1-D pooling only "
                        "(data with 3 dimensions), got kernel %s", kernel)
            shape_check(not any(pad), "pooling_convention='same' does not take pad, got %s",
                        pad)
        out = []
        for i, (x, k, s, q) in enumerate(zip(spatial, kernel, stride, pad)):
            shape_check(k <= x + 2 * q, 'kernel size %d exceeds the input size %d padded to '
                        '%d on spatial axis %d', k, x, x + 2 * q, i)
            if conv == 'valid':
                out.append((x + 2 * q - k) // s + 1)
            elif conv == 'full':
                out.append(-(-(x + 2 * q - k) // s) + 1)
            else:
                out.append(-(-(x + 2 * q) // s))
        after = tuple(q + max(0, (o - 1) * s + k - (x + 2 * q))
                      for x, k, s, q, o in zip(spatial, kernel, stride, pad, out))
        return kernel, stride, pad, after, tuple(out)

    def infer_shape(self, p, in_shapes):
        n_out = 2 if self._has_workspace(p) else 1
        data = in_shapes[0]
        if p.pool_type == 'lp':
            shape_check(p.p_value is not None, "pool_type='lp' needs p_value")
        if data is None:
            return in_shapes, [None] * n_out
        data = tuple(data)
        layout = self._layout(p, len(data))
        last = layout.endswith('C')
        spatial = data[1:-1] if last else data[2:]
        out_sp = self.geometry(p, spatial)[4]
        out = data[:1] + out_sp + data[-1:] if last else data[:2] + out_sp
        return in_shapes, [out] * n_out

    # ---- kernels
    def _views(self, p, x, *others):
        last = self._layout(p, x.ndim).endswith('C')
        if not last:
            return (x,) + others
        return tuple(None if a is None else np.moveaxis(a, -1, 1) for a in (x,) + others)

    def forward(self, p, inputs, outputs, ctx):
        x, out = self._views(p, inputs[0], outputs[0])
        if len(outputs) > 1:
            outputs[1].fill(0)
        kernel, stride, before, after, out_sp = self.geometry(p, x.shape[2:])
        kind = p.pool_type
        if p.global_pool:
            self._global_forward(p, x, out)
            return
        if kind == 'max':
            xp = pad_zeros(x, before, after, slot='pool', value=_lowest(x.dtype))
            wins = [xp[_window(kidx, stride, out_sp)] for kidx in np.ndindex(*kernel)]
            # a training pass records which window position won (the first maximum), so
            # backward scatters the gradient without comparing values again
            if ctx.is_train and len(wins) < 256:
                self._max_with_winner(wins, out, self._argmax_buffer(ctx, out.shape))
                return

            def part_max(lo, hi):   # images lo:hi
                o = out[lo:hi]
                o[...] = wins[0][lo:hi]
                for win in wins[1:]:
                    np.maximum(o, win[lo:hi], out=o)
            parallel(part_max, out.shape[0], out.nbytes * len(wins))
            return
        xp = pad_zeros(x, before, after, slot='pool')
        acc_dtype = np.float32 if x.dtype == np.float16 else x.dtype
        div = self._divisor(p, x.shape[2:], kernel, stride, before, out_sp) \
            if kind == 'avg' else None
        power = p.p_value if kind == 'lp' and p.p_value != 1 else None
        wins = [_window(kidx, stride, out_sp) for kidx in np.ndindex(*kernel)]

        def part(lo, hi):   # images lo:hi, summed straight into out when it can hold them
            o, xs = out[lo:hi], xp[lo:hi]
            acc = o if o.dtype == acc_dtype else np.empty(o.shape, acc_dtype)
            for k, win in enumerate(wins):
                term = xs[win] if power is None else np.power(xs[win], power)
                if k == 0:
                    acc[...] = term
                else:
                    np.add(acc, term, out=acc)
            if div is not None:
                np.divide(acc, div, out=acc)
            elif kind == 'lp':
                acc[...] = _root(acc, p.p_value)
            if acc is not o:
                o[...] = acc
        parallel(part, out.shape[0], out.nbytes * len(wins))

    @staticmethod
    def _max_with_winner(wins, out, arg):
        """out = the maximum over the window views `wins`, arg = the index of the first
        view holding it. Reading a strided window is what costs here, so each is read once:
        win_k > running maximum is found as 'the running maximum changed', which compares
        two contiguous arrays. The running maximum alternates between out and a scratch
        array, ending in out, so it is never copied. Images in slices on several threads."""
        spare = scratch('pool_prev', out.shape, out.dtype)
        won = scratch('pool_won', out.shape, np.bool_)
        code = scratch('pool_code', out.shape, np.uint8)
        steps = len(wins) - 1

        def part(lo, hi):
            bufs = (out[lo:hi], spare[lo:hi])
            w, c, a = won[lo:hi], code[lo:hi], arg[lo:hi]
            cur = bufs[steps % 2]
            cur[...] = wins[0][lo:hi]
            a.fill(0)
            for k, win in enumerate(wins[1:], 1):
                nxt = bufs[(steps - k) % 2]
                np.maximum(cur, win[lo:hi], out=nxt)
                np.not_equal(nxt, cur, out=w)
                # arg = where(won, k, arg); k only grows, so that is max(arg, won * k)
                np.multiply(w.view(np.uint8), np.uint8(k), out=c)
                np.maximum(a, c, out=a)
                cur = nxt
            if out.dtype.kind == 'f' and np.isnan(bufs[0]).any():
                # a NaN changes the running maximum but never wins a '>' comparison:
                # windows holding one get their winner the slow, exact way
                run = bufs[1]
                run[...] = wins[0][lo:hi]
                a.fill(0)
                for k, win in enumerate(wins[1:], 1):
                    np.greater(win[lo:hi], run, out=w)
                    np.maximum(run, win[lo:hi], out=run)
                    np.multiply(w.view(np.uint8), np.uint8(k), out=c)
                    np.maximum(a, c, out=a)
        parallel(part, out.shape[0], out.nbytes * (len(wins) + 2))

    @staticmethod
    def _argmax_buffer(ctx, shape):
        arg = ctx.state.get('argmax')
        if arg is None or arg.shape != shape:
            arg = ctx.state['argmax'] = np.empty(shape, np.uint8)
        ctx.state['argmax_valid'] = True
        return arg

    def _divisor(self, p, spatial, kernel, stride, pad, out_sp):
        """Per-output-pixel window size of avg pooling (an array over the spatial axes)."""
        include = p.count_include_pad is None or p.count_include_pad
        counts = []
        for x, k, s, q, o in zip(spatial, kernel, stride, pad, out_sp):
            start = np.arange(o) * s - q
            if include:  # the window as clipped to the padded input (not the 'full' overhang)
                cnt = np.minimum(start + k, x + q) - start
            else:
                cnt = np.minimum(start + k, x) - np.maximum(start, 0)
            counts.append(np.maximum(cnt, 1))
        div = counts[0]
        for c in counts[1:]:
            div = np.multiply.outer(div, c)
        return div

    def _global_forward(self, p, x, out):
        axes = tuple(range(2, x.ndim))
        kind = p.pool_type
        if kind == 'max':
            out[...] = x.max(axis=axes, keepdims=True)
        elif kind == 'avg':
            out[...] = x.mean(axis=axes, keepdims=True)
        elif kind == 'sum':
            out[...] = x.sum(axis=axes, keepdims=True)
        else:
            out[...] = _root(np.power(x, p.p_value).sum(axis=axes, keepdims=True), p.p_value)

    def backward(self, p, ograds, inputs, outputs, ctx):
        x, y, g = self._views(p, inputs[0], outputs[0], ograds[0])
        dst = ctx.dst(0)   # the executor's gradient array, written in place when offered
        if dst is not None and (dst.shape != inputs[0].shape or dst.dtype != x.dtype):
            dst = None
        if p.global_pool:
            dx = self._global_backward(p, x, y, g)
        else:
            out = None if dst is None else self._views(p, dst)[0]
            dx = self._window_backward(p, x, y, g, ctx.state.pop('argmax_valid', False)
                                       and ctx.state.get('argmax'), out)
            if out is not None and dx is out:
                return [dst]
        if self._layout(p, x.ndim).endswith('C'):
            dx = np.moveaxis(dx, 1, -1)
        return [dx.astype(inputs[0].dtype, copy=False)]

    def _window_backward(self, p, x, y, g, argmax=None, out=None):
        """dx of the windowed kinds; with `out` (x's shape), written there when the windows
        tile the input exactly (then out itself is returned)."""
        kernel, stride, before, after, out_sp = self.geometry(p, x.shape[2:])
        kind = p.pool_type
        if kind == 'max' and argmax is not None and argmax is not False:
            padded = tuple(n + b + a for n, b, a in zip(x.shape[2:], before, after))
            overlap = any(k > s for k, s in zip(kernel, stride))
            # windows that tile the input write every element: no zero fill needed
            tiled = all(k == s and o * s == n
                        for k, o, s, n in zip(kernel, out_sp, stride, padded))
            if tiled and out is not None and padded == tuple(x.shape[2:]):
                dxp = out
            else:
                dxp = (np.empty if tiled else np.zeros)(x.shape[:2] + padded, dtype=x.dtype)
            mask = scratch('pool_mask', g.shape, g.dtype)
            wins = [_window(kidx, stride, out_sp) for kidx in np.ndindex(*kernel)]

            def part(lo, hi):   # images lo:hi
                m, gs, d = mask[lo:hi], g[lo:hi], dxp[lo:hi]
                for k, win in enumerate(wins):
                    np.equal(argmax[lo:hi], k, out=m)   # in g's dtype: no bool cast later
                    if overlap:
                        d[win] += gs * m
                    else:  # each input pixel is in one window: write, do not add
                        np.multiply(gs, m, out=d[win])
            parallel(part, g.shape[0], dxp.nbytes + g.nbytes * 2)
            if dxp is out:
                return out
            return dxp[(Ellipsis,) + tuple(slice(b, b + n)
                                           for b, n in zip(before, x.shape[2:]))]
        fill = _lowest(x.dtype) if kind == 'max' else 0
        xp = pad_zeros(x, before, after, slot='pool', value=fill)
        dxp = np.zeros(xp.shape, dtype=x.dtype)
        if kind == 'max':
            found = np.zeros(y.shape, dtype=bool)
            for kidx in np.ndindex(*kernel):
                win = _window(kidx, stride, out_sp)
                hit = xp[win] == y
                hit &= ~found
                found |= hit
                dxp[win] += np.where(hit, g, 0)
        elif kind in ('avg', 'sum'):
            if kind == 'sum':
                gd = g
            elif self._onednn_full_avg_backward(p, x, g, kernel, stride, before):
                gd = g / float(np.prod(kernel))
            else:
                gd = g / self._divisor(p, x.shape[2:], kernel, stride, before, out_sp)
            for kidx in np.ndindex(*kernel):
                dxp[_window(kidx, stride, out_sp)] += gd
        else:
            for kidx in np.ndindex(*kernel):
                win = _window(kidx, stride, out_sp)
                dxp[win] += _lp_grad(g, xp[win], y, p.p_value)
        return dxp[(Ellipsis,) + tuple(slice(b, b + s) for b, s in zip(before, x.shape[2:]))]

    @staticmethod
    def _onednn_full_avg_backward(p, x, g, kernel, stride, pad):
        """True where MXNet 1.9.1 (oneDNN build) divides the avg-pooling gradient by the
        whole kernel size while its forward divided by the clipped window.

        This happens with pooling_convention='full', count_include_pad (the default),
        float32 data, and an output-gradient shape that oneDNN sees as symmetric: MXNet
        checks the output gradient's spatial sizes, not the input's, before handing the
        backward pass to oneDNN, whose 'include padding' average always divides by the
        kernel size. The golden reference shows it; we reproduce it.
        """
        if p.pooling_convention != 'full' or p.count_include_pad is False:
            return False
        if x.dtype != np.float32 or (p.layout is not None and p.layout not in _CHANNEL_FIRST):
            return False
        return all((o + 2 * q - k) % s == 0
                   for o, k, s, q in zip(g.shape[2:], kernel, stride, pad))

    def _global_backward(self, p, x, y, g):
        kind = p.pool_type
        n, c = x.shape[:2]
        size = int(np.prod(x.shape[2:]))
        if kind == 'max':
            flat = x.reshape(n, c, size)
            first = flat.argmax(axis=2)[..., None]  # the first maximum, as MXNet
            dx = np.zeros((n, c, size), dtype=x.dtype)
            np.put_along_axis(dx, first, g.reshape(n, c, 1), axis=2)
            return dx.reshape(x.shape)
        if kind == 'avg':
            g = g / size
        elif kind == 'lp':
            g = _lp_grad(g, x, y, p.p_value)
        return np.ascontiguousarray(np.broadcast_to(g, x.shape))
