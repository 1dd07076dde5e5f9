"""Assorted MXNet 1.9.1 ops: a KL sparsity regulariser, FlowNet correlation, FFT, count
sketch, gradient-shaping identities (gradientmultiplier, straight-through estimators) and
SparseEmbedding.

fft, ifft and count_sketch exist only on GPU in MXNet 1.9.1; here they run on the CPU
with the same layout: fft maps real ``(..., d)`` to ``(..., 2d)`` holding (real, imag)
pairs, ifft maps ``(..., 2d)`` pairs back to the real part ``(..., d)``, both
unnormalised (ifft(fft(x)) == d * x), as cuFFT computes them.
"""
import numpy as np

from .embedding import Embedding
from .registry import Bool, Float, Int, Operator, register, shape_check
from ._util import known, write


# ----------------------------------------------------------------------------- KL sparsity
@register
class IdentityAttachKLSparseReg(Operator):
    """Identity in forward; in backward adds the gradient of a KL-divergence sparsity
    penalty on the mean activation of each unit (channel axis 1).

    The aux state ``moving_avg`` (shape ``(channels,)``) follows the batch mean
    ``rho_hat`` of each unit: ``moving_avg = momentum * moving_avg + (1 - momentum) *
    rho_hat``, updated in backward; the data gradient is then ``ograd + penalty *
    (-sparseness_target / moving_avg + (1 - sparseness_target) / (1 - moving_avg))``.
    Activations are expected in (0, 1) (after a sigmoid).

    Examples
    --------
    >>> x = mx.nd.array([[0.1, 0.5], [0.3, 0.2]])
    >>> mx.nd.IdentityAttachKLSparseReg(x, mx.nd.zeros((2,))).asnumpy()
    array([[0.1, 0.5],
           [0.3, 0.2]], dtype=float32)
    """
    name = 'IdentityAttachKLSparseReg'
    params = {
        'sparseness_target': Float(0.1, doc='The sparseness target rho.', low=0, high=1),
        'penalty': Float(0.001, doc='Weight of the sparsity penalty.'),
        'momentum': Float(0.9, doc='Momentum of the moving average of the activation.'),
    }
    auto_var_attrs = {'moving_avg': {'__init__': '["zero", {}]'}}
    backward_uses_outputs = False

    def list_auxiliary_states(self, p):
        return ['moving_avg']

    def infer_shape(self, p, in_shapes):
        data, avg = in_shapes
        if data is None:
            return in_shapes, [None]
        data = tuple(data)
        shape_check(len(data) >= 2, "input 'data' has shape %s; expected at least 2 "
                    "dimensions (batch, units, ...)", data)
        shape_check(avg is None or tuple(avg) == data[1:2], "aux 'moving_avg' has shape %s "
                    "but data has shape %s; expected %s", avg, data, data[1:2])
        return [data, data[1:2]], [data]

    def infer_type(self, p, in_types):
        t = in_types[0]
        return [t, t], [t]

    def forward(self, p, inputs, outputs, ctx):
        write(outputs[0], inputs[0])

    def backward(self, p, ograds, inputs, outputs, ctx):
        x, avg = inputs
        axes = (0,) + tuple(range(2, x.ndim))
        rho_hat = x.mean(axis=axes, dtype=np.float64)
        avg[...] = p.momentum * avg + (1 - p.momentum) * rho_hat
        rho, a = p.sparseness_target, avg.astype(np.float64)
        reg = p.penalty * (-rho / a + (1 - rho) / (1 - a))
        reg = reg.reshape((1, -1) + (1,) * (x.ndim - 2))
        return [(ograds[0] + reg).astype(x.dtype, copy=False), None]


# ----------------------------------------------------------------------------- Correlation
@register
class Correlation(Operator):
    """FlowNet's correlation layer: compares patches of ``data1`` with displaced patches
    of ``data2``.

    Both inputs are ``(N, C, H, W)``, zero-padded by ``pad_size``. Output channel
    ``dy_i * G + dx_i`` (``G = 2 * (max_displacement // stride2) + 1``) holds, for every
    ``stride1``-th position, the sum over a ``kernel_size`` square patch and all channels
    of ``data1 * data2`` displaced by ``((dy_i, dx_i) - G // 2) * stride2`` (or of
    ``|data1 - data2|`` with ``is_multiply=False``), divided by ``kernel_size**2 * C``.
    Output size per axis: ``ceil((X + 2*pad_size - 2*border) / stride1)`` with
    ``border = max_displacement + (kernel_size - 1) // 2``.

    Examples
    --------
    >>> a = mx.nd.ones((1, 2, 3, 3))
    >>> mx.nd.Correlation(a, a * 2, max_displacement=1, pad_size=1).shape
    (1, 9, 3, 3)
    """
    name = 'Correlation'
    params = {
        'kernel_size': Int(1, doc='Side of the compared patches.'),
        'max_displacement': Int(1, doc='Largest displacement compared.'),
        'stride1': Int(1, doc='Stride over data1 positions.'),
        'stride2': Int(1, doc='Stride between compared displacements.'),
        'pad_size': Int(0, doc='Zero padding of both inputs.'),
        'is_multiply': Bool(True, doc='Multiply (True) or take absolute differences.'),
    }
    backward_uses_outputs = False

    def list_arguments(self, p):
        return ['data1', 'data2']

    def _geometry(self, p, shape):
        """(grid G, radius, out_h, out_w) for a (N, C, H, W) input."""
        shape_check(p.kernel_size >= 1 and p.stride1 >= 1 and p.stride2 >= 1,
                    'kernel_size (%d), stride1 (%d) and stride2 (%d) must be positive',
                    p.kernel_size, p.stride1, p.stride2)
        shape_check(p.kernel_size % 2 == 1, 'Correlation: kernel_size (%d) must be odd',
                    p.kernel_size)
        shape_check(p.max_displacement >= 0 and p.pad_size >= 0,
                    'max_displacement (%d) and pad_size (%d) must be >= 0',
                    p.max_displacement, p.pad_size)
        border = p.max_displacement + (p.kernel_size - 1) // 2
        sizes = []
        for x in shape[2:]:
            span = x + 2 * p.pad_size - 2 * border
            sizes.append(-(-span // p.stride1) if span > 0 else 0)
        shape_check(min(sizes) >= 1, 'Correlation: input shape %s padded by %d is too small '
                    'for max_displacement=%d and kernel_size=%d (output size %s)',
                    tuple(shape), p.pad_size, p.max_displacement, p.kernel_size, tuple(sizes))
        radius = p.max_displacement // p.stride2
        return 2 * radius + 1, radius, sizes[0], sizes[1]

    def infer_shape(self, p, in_shapes):
        a, b = (None if s is None else tuple(s) for s in in_shapes)
        for name, s in (('data1', a), ('data2', b)):
            shape_check(s is None or len(s) == 4, "input '%s' has shape %s; expected 4-D "
                        "(N, C, H, W)", name, s)
        shape_check(a is None or b is None or a == b, "input 'data1' has shape %s but "
                    "'data2' has shape %s; expected equal shapes", a, b)
        data = a if a is not None else b
        if not known(data):
            return [data, data], [None]
        g, _, oh, ow = self._geometry(p, data)
        return [data, data], [(data[0], g * g, oh, ow)]

    def _setup(self, p, x):
        g, radius, oh, ow = self._geometry(p, x.shape)
        k, s1, md = p.kernel_size, p.stride1, p.max_displacement
        # rows/cols of the padded input that data1's patches cover
        lh, lw = (oh - 1) * s1 + k, (ow - 1) * s1 + k
        # pad enough at the end that every displaced patch is inside (zeros beyond)
        q = p.pad_size
        extra_h = max(0, md + lh + md - (x.shape[2] + 2 * q))
        extra_w = max(0, md + lw + md - (x.shape[3] + 2 * q))
        pads = ((0, 0), (0, 0), (q, q + extra_h), (q, q + extra_w))
        shifts = [((i // g - radius) * p.stride2, (i % g - radius) * p.stride2)
                  for i in range(g * g)]
        return pads, shifts, (lh, lw), (oh, ow)

    @staticmethod
    def _patch_sum(m, k, s1, out_hw):
        """Sum of m (N, LH, LW) over k x k patches at stride s1 -> (N, oh, ow)."""
        oh, ow = out_hw
        acc = None
        for dy in range(k):
            for dx in range(k):
                part = m[:, dy:dy + (oh - 1) * s1 + 1:s1, dx:dx + (ow - 1) * s1 + 1:s1]
                acc = part.copy() if acc is None else acc + part
        return acc

    @staticmethod
    def _spread(g, k, s1, lhw):
        """Transpose of _patch_sum: g (N, oh, ow) -> (N, LH, LW)."""
        oh, ow = g.shape[1:]
        out = np.zeros((g.shape[0],) + tuple(lhw), g.dtype)
        for dy in range(k):
            for dx in range(k):
                out[:, dy:dy + (oh - 1) * s1 + 1:s1, dx:dx + (ow - 1) * s1 + 1:s1] += g
        return out

    def forward(self, p, inputs, outputs, ctx):
        x1, x2 = inputs
        pads, shifts, (lh, lw), ohw = self._setup(p, x1)
        acc = np.float32 if x1.dtype == np.float16 else x1.dtype
        a = np.pad(x1.astype(acc, copy=False), pads)
        b = np.pad(x2.astype(acc, copy=False), pads)
        md, k = p.max_displacement, p.kernel_size
        norm = 1.0 / (k * k * x1.shape[1])
        base = a[:, :, md:md + lh, md:md + lw]
        out = outputs[0]
        # one vectorised pass per displacement: all images, channels and positions at once
        for i, (sy, sx) in enumerate(shifts):
            other = b[:, :, md + sy:md + sy + lh, md + sx:md + sx + lw]
            m = (base * other).sum(axis=1) if p.is_multiply else \
                np.abs(base - other).sum(axis=1)
            out[:, i] = self._patch_sum(m, k, p.stride1, ohw) * norm

    def backward(self, p, ograds, inputs, outputs, ctx):
        x1, x2 = inputs
        pads, shifts, (lh, lw), _ = self._setup(p, x1)
        acc = np.float32 if x1.dtype == np.float16 else x1.dtype
        a = np.pad(x1.astype(acc, copy=False), pads)
        b = np.pad(x2.astype(acc, copy=False), pads)
        ga, gb = np.zeros_like(a), np.zeros_like(b)
        md, k = p.max_displacement, p.kernel_size
        norm = 1.0 / (k * k * x1.shape[1])
        g = ograds[0].astype(acc, copy=False)
        base = a[:, :, md:md + lh, md:md + lw]
        gbase = ga[:, :, md:md + lh, md:md + lw]
        for i, (sy, sx) in enumerate(shifts):
            e = self._spread(g[:, i] * norm, k, p.stride1, (lh, lw))[:, None]
            win = (slice(None), slice(None), slice(md + sy, md + sy + lh),
                   slice(md + sx, md + sx + lw))
            other = b[win]
            if p.is_multiply:
                gbase += e * other
                gb[win] += e * base
            else:
                sg = e * np.sign(base - other)
                gbase += sg
                gb[win] -= sg
        crop = (slice(None), slice(None), slice(p.pad_size, p.pad_size + x1.shape[2]),
                slice(p.pad_size, p.pad_size + x1.shape[3]))
        return [ga[crop].astype(x1.dtype), gb[crop].astype(x2.dtype)]


# ----------------------------------------------------------------------------- FFT
class _FFTBase(Operator):
    params = {'compute_size': Int(128, doc='Rows transformed per batch (no effect here).')}
    backward_uses_inputs = False
    backward_uses_outputs = False

    def infer_shape(self, p, in_shapes):
        data = in_shapes[0]
        if data is None:
            return in_shapes, [None]
        data = tuple(data)
        shape_check(len(data) >= 2, "%s: input 'data' has shape %s; expected at least 2 "
                    "dimensions", self.name, data)
        last = data[-1]
        out = None if last is None else (last * 2 if self.forward_fft else last // 2)
        return [data], [data[:-1] + (out,)]

    def infer_type(self, p, in_types):
        t = in_types[0]
        if t is not None:
            shape_check(np.dtype(t).kind == 'f', '%s: input dtype %s is not a float type',
                        self.name, np.dtype(t).name)
        return in_types, [t]

    @staticmethod
    def _pairs(z, out):
        """Complex z -> interleaved (real, imag) pairs in out."""
        v = out.reshape(out.shape[:-1] + (-1, 2))
        v[..., 0] = z.real
        v[..., 1] = z.imag

    @staticmethod
    def _complex(x):
        """Interleaved pairs (..., 2d [+1]) -> complex (..., d)."""
        d = x.shape[-1] // 2
        v = x[..., :2 * d].reshape(x.shape[:-1] + (d, 2))
        return v[..., 0] + 1j * v[..., 1]


@register
class FFT(_FFTBase):
    """1-D discrete Fourier transform of real data over the last axis.

    ``(..., d)`` -> ``(..., 2d)`` with the real and imaginary part of each frequency next
    to each other. Unnormalised; the gradient is the exact transpose.

    Examples
    --------
    >>> mx.nd.contrib.fft(mx.nd.array([[1., 2., 3., 4.]])).asnumpy()
    array([[10.,  0., -2.,  2., -2.,  0., -2., -2.]], dtype=float32)
    """
    name = '_contrib_fft'
    forward_fft = True

    def forward(self, p, inputs, outputs, ctx):
        self._pairs(np.fft.fft(inputs[0], axis=-1), outputs[0])

    def backward(self, p, ograds, inputs, outputs, ctx):
        # y = F x with F[k, n] = exp(-2 pi i k n / d): x_grad = Re(conj(F)^T g) = d * Re(ifft)
        g = self._complex(ograds[0])
        d = g.shape[-1]
        return [(np.fft.ifft(g, axis=-1).real * d).astype(ograds[0].dtype, copy=False)]


@register
class IFFT(_FFTBase):
    """Inverse 1-D discrete Fourier transform over the last axis, real part kept.

    ``(..., 2d)`` interleaved (real, imag) pairs -> ``(..., d)``. Unnormalised, as
    cuFFT: ``ifft(fft(x)) == d * x``.

    Examples
    --------
    >>> y = mx.nd.contrib.fft(mx.nd.array([[1., 2., 3., 4.]]))
    >>> mx.nd.contrib.ifft(y).asnumpy()
    array([[ 4.,  8., 12., 16.]], dtype=float32)
    """
    name = '_contrib_ifft'
    forward_fft = False

    def forward(self, p, inputs, outputs, ctx):
        z = self._complex(inputs[0])
        outputs[0][...] = np.fft.ifft(z, axis=-1).real * z.shape[-1]

    def backward(self, p, ograds, inputs, outputs, ctx):
        # y_n = Re(sum_k z_k exp(+2 pi i k n / d)): d y / d re z_k, d y / d im z_k are the
        # real and imaginary parts of fft(g)
        x = inputs[0]
        grad = np.zeros(x.shape, ograds[0].dtype)
        d = ograds[0].shape[-1]
        self._pairs(np.fft.fft(ograds[0], axis=-1), grad[..., :2 * d])
        return [grad]

    backward_uses_inputs = True


# ----------------------------------------------------------------------------- count sketch
@register
class CountSketch(Operator):
    """Count sketch projection of 2-D data: ``out[n, h[i]] += s[i] * data[n, i]``.

    ``h`` (hash buckets in ``[0, out_dim)``) and ``s`` (signs, +1 or -1) have shape
    ``(1, in_dim)`` and get no gradient; the data gradient is ``s * ograd[:, h]``.

    Examples
    --------
    >>> x = mx.nd.array([[1., 2., 3.]])
    >>> h, s = mx.nd.array([[0, 2, 0]]), mx.nd.array([[1, -1, 1]])
    >>> mx.nd.contrib.count_sketch(x, h, s, out_dim=3).asnumpy()
    array([[ 4.,  0., -2.]], dtype=float32)
    """
    name = '_contrib_count_sketch'
    params = {
        'out_dim': Int(doc='Dimension of the sketch.'),
        'processing_batch_size': Int(32, doc='Rows per batch (no effect here).'),
    }
    nograd_inputs = (1, 2)
    backward_uses_outputs = False

    def list_arguments(self, p):
        return ['data', 'h', 's']

    def infer_shape(self, p, in_shapes):
        shape_check(p.out_dim > 0, 'count_sketch: out_dim (%d) must be positive', p.out_dim)
        data, h, s = (None if x is None else tuple(x) for x in in_shapes)
        if data is None:
            return [data, h, s], [None]
        shape_check(len(data) == 2, "count_sketch: input 'data' has shape %s; expected "
                    "2-D (batch, in_dim)", data)
        want = (1, data[1])
        for name, x in (('h', h), ('s', s)):
            shape_check(x is None or x == want, "count_sketch: input '%s' has shape %s but "
                        "data has shape %s; expected %s", name, x, data, want)
        return [data, want, want], [(data[0], p.out_dim)]

    @staticmethod
    def _hash(p, h):
        idx = h.reshape(-1).astype(np.int64)
        shape_check(idx.size == 0 or (idx.min() >= 0 and idx.max() < p.out_dim),
                    'count_sketch: h holds buckets outside [0, out_dim=%d)', p.out_dim)
        return idx

    def forward(self, p, inputs, outputs, ctx):
        x, h, s = inputs
        out = outputs[0]
        out.fill(0)
        sx = x * s.reshape(1, -1)
        np.add.at(out, (slice(None), self._hash(p, h)), sx)

    def backward(self, p, ograds, inputs, outputs, ctx):
        x, h, s = inputs
        return [(ograds[0][:, self._hash(p, h)] * s.reshape(1, -1)).astype(x.dtype,
                                                                           copy=False),
                None, None]


# ----------------------------------------------------------------------------- identities
class _Identityish(Operator):
    backward_uses_inputs = False
    backward_uses_outputs = False
    inplace = ((0, 0),)


@register
class GradientMultiplier(_Identityish):
    """Identity in forward; multiplies the gradient by ``scalar`` (``-1`` makes a
    gradient reversal layer).

    Examples
    --------
    >>> mx.nd.contrib.gradientmultiplier(mx.nd.array([1., 2.]), scalar=-1.).asnumpy()
    array([1., 2.], dtype=float32)
    """
    name = '_contrib_gradientmultiplier'
    params = {'scalar': Float(1.0, doc='Factor applied to the gradient.'),
              'is_int': Bool(True, doc='Whether scalar is an integer (no effect here).')}

    def forward(self, p, inputs, outputs, ctx):
        write(outputs[0], inputs[0])

    def backward(self, p, ograds, inputs, outputs, ctx):
        g = ograds[0]
        return [(g * p.scalar).astype(g.dtype, copy=False)]


@register
class RoundSTE(_Identityish):
    """Rounds to the nearest integer (halves away from zero); the gradient passes
    straight through unchanged (straight-through estimator).

    Examples
    --------
    >>> mx.nd.contrib.round_ste(mx.nd.array([-1.5, 0.4, 0.5, 2.5])).asnumpy()
    array([-2.,  0.,  1.,  3.], dtype=float32)
    """
    name = '_contrib_round_ste'

    def forward(self, p, inputs, outputs, ctx):
        x = inputs[0]
        if x.dtype.kind != 'f':
            write(outputs[0], x)
            return
        # np.round sends halves to even; MXNet's round sends them away from zero
        np.copysign(np.floor(np.abs(x) + 0.5), x, out=outputs[0])

    def backward(self, p, ograds, inputs, outputs, ctx):
        return [ograds[0]]


@register
class SignSTE(_Identityish):
    """Sign (-1, 0 or 1); the gradient passes straight through unchanged.

    Examples
    --------
    >>> mx.nd.contrib.sign_ste(mx.nd.array([-2., 0., 0.5])).asnumpy()
    array([-1.,  0.,  1.], dtype=float32)
    """
    name = '_contrib_sign_ste'

    def forward(self, p, inputs, outputs, ctx):
        np.sign(inputs[0], out=outputs[0])
        if outputs[0].dtype.kind == 'f':
            outputs[0] += 0.0   # -0.0 (from -0.0 input) prints as 0, as in MXNet

    def backward(self, p, ograds, inputs, outputs, ctx):
        return [ograds[0]]


# ----------------------------------------------------------------------------- embedding
@register
class SparseEmbedding(Embedding):
    """Embedding with a row-sparse weight gradient in MXNet; the same lookup here, with a
    dense weight gradient (the values are the same).

    Examples
    --------
    >>> w = mx.nd.array([[0, 0], [1, 1], [2, 2]])
    >>> mx.nd.contrib.SparseEmbedding(mx.nd.array([2, 0]), w, input_dim=3,
    ...                               output_dim=2).asnumpy()
    array([[2., 2.],
           [0., 0.]], dtype=float32)
    """
    name = '_contrib_SparseEmbedding'
