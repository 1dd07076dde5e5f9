"""MobileNet v1 (Howard et al., 2017): a 3x3 stem, then 13 depthwise-separable blocks
(3x3 depthwise conv, 1x1 pointwise conv, each followed by BatchNorm and ReLU), global
average pooling and one classifier; MXNet's example names (conv_<i>[_dw]_conv2d,
_batchnorm, _relu)."""
from .. import symbol as sym

# (pointwise filters, depthwise stride) for blocks conv_2 ... conv_14
_BLOCKS = [(64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2), (512, 1), (512, 1),
           (512, 1), (512, 1), (512, 1), (1024, 2), (1024, 1)]


def _conv(x, num_filter, kernel=(1, 1), stride=(1, 1), pad=(0, 0), num_group=1, name=''):
    x = sym.Convolution(data=x, num_filter=num_filter, kernel=kernel, num_group=num_group,
                        stride=stride, pad=pad, no_bias=True, name=name + '_conv2d')
    x = sym.BatchNorm(data=x, fix_gamma=True, name=name + '_batchnorm')
    return sym.Activation(data=x, act_type='relu', name=name + '_relu')


def mobilenet(num_classes=1000, alpha=1.0, **kwargs):
    """MobileNet v1 with width multiplier `alpha` (4.2M parameters at alpha=1).

    >>> import mxlite as mx
    >>> mx.models.mobilenet(10, alpha=0.25).infer_shape(data=(1, 3, 32, 32))[1]
    [(1, 10)]
    """
    def w(n):
        return max(1, int(n * alpha))
    x = _conv(sym.Variable('data'), w(32), (3, 3), (2, 2), (1, 1), name='conv_1')
    channels = w(32)
    for i, (nf, stride) in enumerate(_BLOCKS, 2):
        x = _conv(x, channels, (3, 3), (stride, stride), (1, 1), num_group=channels,
                  name='conv_%d_dw' % i)
        x = _conv(x, w(nf), name='conv_%d' % i)
        channels = w(nf)
    x = sym.Pooling(data=x, global_pool=True, kernel=(7, 7), pool_type='avg', name='pool')
    x = sym.Flatten(data=x, name='flatten')
    fc = sym.FullyConnected(data=x, num_hidden=num_classes, name='fc')
    return sym.SoftmaxOutput(data=fc, name='softmax')
