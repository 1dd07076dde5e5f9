"""Legacy and variant layer ops that old symbol JSON files still name.

BatchNorm_v1, Convolution_v1 and Pooling_v1 are MXNet's pre-1.0 layers; SyncBatchNorm and
BatchNormWithReLU are contrib variants of BatchNorm. Each delegates to the current
record (BatchNorm, Convolution, Pooling) with its own, smaller parameter set, so a file
written by an old MXNet binds and runs with the numbers MXNet 1.9.1 gives for it.

Behaviour kept from MXNet 1.9.1 (checked against it):

* BatchNorm_v1 and SyncBatchNorm output the batch *variance* as ``var`` (BatchNorm and
  BatchNormWithReLU output the inverse standard deviation there).
* BatchNorm_v1 with ``fix_gamma`` writes ones into the bound gamma at inference too.
* Pooling_v1 ``avg`` divides every window by the whole kernel size (also windows that
  hang over the input's end with ``pooling_convention='full'``), and ``max`` pads with
  zeros (not -inf) where ``pad`` is given. It takes 4-D (and here also 5-D) input.
"""
import numpy as np

from .batch_norm import BatchNorm
from .convolution import Convolution
from .pooling import Pooling
from .registry import (Bool, Enum, Float, Int, Operator, Params, Shape, Str, register,
                       shape_check)
from ._util import relu_into

_BN_COMMON = {
    'eps': Float(1e-3, doc='Epsilon to prevent division by 0.'),
    'momentum': Float(0.9, doc='Momentum for the moving average.'),
    'fix_gamma': Bool(True, doc='Fix gamma to 1 while training.'),
    'use_global_stats': Bool(False, doc='Use the moving statistics in training too.'),
    'output_mean_var': Bool(False, doc='Also output the mean and the variance.'),
}
_BN_DEFAULTS = {'axis': 1, 'cudnn_off': False, 'min_calib_range': None,
                'max_calib_range': None}


class _BatchNormVariant(BatchNorm):
    """BatchNorm with a different parameter set: fills in what BatchNorm reads."""
    # output 'var' holds the variance (True) or the inverse std as in BatchNorm (False)
    var_output = True

    def _full(self, p):
        values = dict(_BN_DEFAULTS)
        values.update(p.as_dict())
        return Params(values)

    def infer_shape(self, p, in_shapes):
        return super().infer_shape(self._full(p), in_shapes)

    def infer_type(self, p, in_types):
        return super().infer_type(self._full(p), in_types)

    def forward(self, p, inputs, outputs, ctx):
        super().forward(self._full(p), inputs, outputs, ctx)
        if self.var_output:
            outputs[2][...] = ctx.state['var']

    def backward(self, p, ograds, inputs, outputs, ctx):
        return super().backward(self._full(p), ograds, inputs, outputs, ctx)


@register
class BatchNorm_v1(_BatchNormVariant):
    """Batch normalization, MXNet's legacy version (channel axis 1).

    As BatchNorm without ``axis`` and ``cudnn_off``; the optional ``var`` output is the
    batch variance. With ``fix_gamma`` the bound gamma is set to ones at inference too.

    Examples
    --------
    >>> x = mx.nd.array([[1., 2.], [3., 4.]])
    >>> g, b = mx.nd.ones((2,)), mx.nd.zeros((2,))
    >>> mm, mv = mx.nd.zeros((2,)), mx.nd.ones((2,))
    >>> mx.nd.BatchNorm_v1(x, g, b, mm, mv, eps=0).asnumpy()
    array([[1., 2.],
           [3., 4.]], dtype=float32)
    """
    name = 'BatchNorm_v1'
    params = dict(_BN_COMMON)

    def forward(self, p, inputs, outputs, ctx):
        if p.fix_gamma and not ctx.is_train:
            inputs[1][...] = 1   # MXNet's v1 kernel writes the fixed gamma here as well
        super().forward(p, inputs, outputs, ctx)


@register
class SyncBatchNorm(_BatchNormVariant):
    """Batch normalization synchronised across devices; with one device (always here)
    it is BatchNorm on channel axis 1. ``ndev`` and ``key`` are accepted and kept.

    The optional ``var`` output is the batch variance, as in MXNet.

    Examples
    --------
    >>> x = mx.nd.array([[1., 2.], [3., 4.]])
    >>> g, b = mx.nd.ones((2,)), mx.nd.zeros((2,))
    >>> mm, mv = mx.nd.zeros((2,)), mx.nd.ones((2,))
    >>> mx.nd.contrib.SyncBatchNorm(x, g, b, mm, mv, key='bn0', eps=0).asnumpy()
    array([[1., 2.],
           [3., 4.]], dtype=float32)
    """
    name = '_contrib_SyncBatchNorm'
    params = dict(_BN_COMMON, ndev=Int(1, doc='Number of devices (one here).'),
                  key=Str(doc='Key that ties the synchronised copies together.'))


@register
class BatchNormWithReLU(_BatchNormVariant):
    """BatchNorm followed by relu (the fused op of MXNet's quantization flow).

    Same parameters and outputs as BatchNorm; the gradient flows through the relu
    (zero where the output is zero) and then through the normalization.

    Examples
    --------
    >>> x = mx.nd.array([[1., -2.], [3., 4.]])
    >>> g, b = mx.nd.ones((2,)), mx.nd.zeros((2,))
    >>> mm, mv = mx.nd.zeros((2,)), mx.nd.ones((2,))
    >>> mx.nd.contrib.BatchNormWithReLU(x, g, b, mm, mv, eps=0).asnumpy()
    array([[1., 0.],
           [3., 4.]], dtype=float32)
    """
    name = '_contrib_BatchNormWithReLU'
    params = dict(BatchNorm.params)
    var_output = False
    backward_uses_outputs = True   # the relu mask is read from the output
    inplace = ()

    def _full(self, p):
        return p

    def forward(self, p, inputs, outputs, ctx):
        super().forward(p, inputs, outputs, ctx)
        relu_into(outputs[0], outputs[0])

    def backward(self, p, ograds, inputs, outputs, ctx):
        g = np.where(outputs[0] > 0, ograds[0], 0).astype(ograds[0].dtype, copy=False)
        return super().backward(p, [g] + list(ograds[1:]), inputs, outputs, ctx)


@register
class Convolution_v1(Convolution):
    """Convolution, MXNet's legacy version: the same computation as Convolution (2-D and
    3-D kernels; layouts NCHW, NHWC, NCDHW, NDHWC).

    Examples
    --------
    >>> x = mx.nd.ones((1, 3, 5, 5))
    >>> w = mx.nd.ones((2, 3, 3, 3))
    >>> mx.nd.Convolution_v1(x, w, kernel=(3, 3), num_filter=2, no_bias=True).shape
    (1, 2, 3, 3)
    """
    name = 'Convolution_v1'
    params = dict(Convolution.params, layout=Enum(('NCDHW', 'NCHW', 'NDHWC', 'NHWC'), None,
                                                  allow_none=True, doc='Data layout.'))
    forward_accumulates = False

    def geometry(self, p):
        shape_check(len(p.kernel) in (2, 3), 'Convolution_v1: kernel %s must have 2 or 3 '
                    'dimensions', p.kernel)
        return super().geometry(p)


_POOL = Pooling()


@register
class Pooling_v1(Operator):
    """Pooling, MXNet's legacy version: max, avg or sum over 2-D (or 3-D) windows.

    Unlike Pooling, ``avg`` always divides by the kernel size (padding and the overhang
    of ``pooling_convention='full'`` count as zeros) and ``max`` pads with zeros.

    Examples
    --------
    >>> x = mx.nd.arange(16).reshape((1, 1, 4, 4))
    >>> mx.nd.Pooling_v1(x, kernel=(2, 2), stride=(2, 2), pool_type='avg').asnumpy()
    array([[[[ 2.5,  4.5],
             [10.5, 12.5]]]], dtype=float32)
    """
    name = 'Pooling_v1'
    params = {
        'kernel': Shape((), doc='Pooling kernel size: (h, w) or (d, h, w).'),
        'pool_type': Enum(('avg', 'max', 'sum'), 'max', doc='Pooling type.'),
        'global_pool': Bool(False, doc='Pool over the whole feature map; kernel is ignored.'),
        'pooling_convention': Enum(('full', 'valid'), 'valid',
                                   doc='How the output size is rounded.'),
        'stride': Shape((), doc='Stride; defaults to 1 in each dimension.'),
        'pad': Shape((), doc='Padding on both sides; defaults to 0.'),
    }

    def _inner(self, p, zero_pad):
        """Pooling's params for this node: avg runs as sum (divided here), and max with
        pad runs on an input zero-padded here (zero_pad=True)."""
        kind = 'sum' if p.pool_type == 'avg' and not p.global_pool else p.pool_type
        pad = () if zero_pad else p.pad
        return Params({'kernel': p.kernel, 'pool_type': kind, 'global_pool': p.global_pool,
                       'cudnn_off': False, 'pooling_convention': p.pooling_convention,
                       'stride': p.stride, 'pad': pad, 'p_value': None,
                       'count_include_pad': None, 'layout': None})

    @staticmethod
    def _zero_pad(p):
        return p.pool_type == 'max' and not p.global_pool and any(p.pad)

    def infer_shape(self, p, in_shapes):
        data = in_shapes[0]
        if data is not None:
            shape_check(len(data) in (4, 5), "Pooling_v1: input 'data' has shape %s; "
                        "expected 4-D (N, C, H, W) or 5-D (N, C, D, H, W)", tuple(data))
        _, outs = _POOL.infer_shape(self._inner(p, False), in_shapes)
        return in_shapes, outs[:1]

    def infer_type(self, p, in_types):
        return in_types, [in_types[0]]

    def _padded(self, p, x):
        pad = tuple(p.pad)
        return np.pad(x, ((0, 0), (0, 0)) + tuple((q, q) for q in pad))

    def forward(self, p, inputs, outputs, ctx):
        x = inputs[0]
        zero = self._zero_pad(p)
        if zero:
            x = self._padded(p, x)
        _POOL.forward(self._inner(p, zero), [x], outputs[:1], ctx)
        if p.pool_type == 'avg' and not p.global_pool:
            outputs[0] /= np.prod(p.kernel)

    def backward(self, p, ograds, inputs, outputs, ctx):
        x, g = inputs[0], ograds[0]
        zero = self._zero_pad(p)
        if zero:
            x = self._padded(p, x)
        if p.pool_type == 'avg' and not p.global_pool:
            g = g / np.asarray(np.prod(p.kernel), g.dtype)
        ctx.grad_dst = None   # the padded gradient is cropped below
        dx = _POOL.backward(self._inner(p, zero), [g], [x], outputs[:1], ctx)[0]
        if zero:
            dx = dx[(slice(None), slice(None)) + tuple(slice(q, q + n) for q, n in
                                                       zip(p.pad, inputs[0].shape[2:]))]
        return [np.ascontiguousarray(dx)]
