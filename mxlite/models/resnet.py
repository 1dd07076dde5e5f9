"""Residual networks (He et al.): v1 (post-activation, "Deep Residual Learning") and v2
(pre-activation, "Identity Mappings"), laid out and named as MXNet's examples
(conv0, stage<i>_unit<j>_conv<k>/_bn<k>/_relu<k>, bn1, pool1, fc1, softmax).

Inputs with height <= 28 get the CIFAR networks (3 stages, depth 6n+2 basic or 9n+2
bottleneck blocks); larger inputs get the ImageNet networks (18, 34, 50, 101, 152, 200,
269 layers), with a 3x3 stem instead of 7x7 + max-pool when height <= 32.
"""
from .. import symbol as sym

_IMAGENET_UNITS = {18: [2, 2, 2, 2], 34: [3, 4, 6, 3], 50: [3, 4, 6, 3], 101: [3, 4, 23, 3],
                   152: [3, 8, 36, 3], 200: [3, 24, 36, 3], 269: [3, 30, 48, 8]}


def _config(num_layers, image_shape):
    """-> (units per stage, filters [stem, stage1, ...], bottleneck)."""
    height = image_shape[1]
    if height <= 28:
        if (num_layers - 2) % 9 == 0 and num_layers >= 164:
            return [(num_layers - 2) // 9] * 3, [16, 64, 128, 256], True
        if (num_layers - 2) % 6 == 0 and num_layers < 164:
            return [(num_layers - 2) // 6] * 3, [16, 16, 32, 64], False
        raise ValueError('resnet: no CIFAR network with %d layers (use 6n+2 < 164 or '
                         '9n+2 >= 164)' % num_layers)
    if num_layers not in _IMAGENET_UNITS:
        raise ValueError('resnet: num_layers must be one of %s for inputs larger than '
                         '28x28, got %d' % (sorted(_IMAGENET_UNITS), num_layers))
    if num_layers >= 50:
        return _IMAGENET_UNITS[num_layers], [64, 256, 512, 1024, 2048], True
    return _IMAGENET_UNITS[num_layers], [64, 64, 128, 256, 512], False


def _bn(x, name, bn_mom, fix_gamma=False):
    return sym.BatchNorm(data=x, fix_gamma=fix_gamma, eps=2e-5, momentum=bn_mom, name=name)


def _conv(x, num_filter, kernel, stride, name, workspace):
    pad = (kernel[0] // 2, kernel[1] // 2)
    return sym.Convolution(data=x, num_filter=num_filter, kernel=kernel, stride=stride,
                           pad=pad, no_bias=True, workspace=workspace, name=name)


def _unit_v2(x, nf, stride, dim_match, name, bottleneck, bn_mom, ws):
    """Pre-activation unit: BN-ReLU before each conv; the identity path is untouched."""
    act1 = sym.Activation(data=_bn(x, name + '_bn1', bn_mom), act_type='relu',
                          name=name + '_relu1')
    if bottleneck:
        mid = int(nf * 0.25)
        y = _conv(act1, mid, (1, 1), (1, 1), name + '_conv1', ws)
        y = sym.Activation(data=_bn(y, name + '_bn2', bn_mom), act_type='relu',
                           name=name + '_relu2')
        y = _conv(y, mid, (3, 3), stride, name + '_conv2', ws)
        y = sym.Activation(data=_bn(y, name + '_bn3', bn_mom), act_type='relu',
                           name=name + '_relu3')
        y = _conv(y, nf, (1, 1), (1, 1), name + '_conv3', ws)
    else:
        y = _conv(act1, nf, (3, 3), stride, name + '_conv1', ws)
        y = sym.Activation(data=_bn(y, name + '_bn2', bn_mom), act_type='relu',
                           name=name + '_relu2')
        y = _conv(y, nf, (3, 3), (1, 1), name + '_conv2', ws)
    shortcut = x if dim_match else _conv(act1, nf, (1, 1), stride, name + '_sc', ws)
    return y + shortcut


def _unit_v1(x, nf, stride, dim_match, name, bottleneck, bn_mom, ws):
    """Post-activation unit: conv-BN(-ReLU), the sum then ReLU; projection shortcut has BN."""
    if bottleneck:
        mid = int(nf * 0.25)
        y = _conv(x, mid, (1, 1), stride, name + '_conv1', ws)
        y = sym.Activation(data=_bn(y, name + '_bn1', bn_mom), act_type='relu',
                           name=name + '_relu1')
        y = _conv(y, mid, (3, 3), (1, 1), name + '_conv2', ws)
        y = sym.Activation(data=_bn(y, name + '_bn2', bn_mom), act_type='relu',
                           name=name + '_relu2')
        y = _bn(_conv(y, nf, (1, 1), (1, 1), name + '_conv3', ws), name + '_bn3', bn_mom)
    else:
        y = _conv(x, nf, (3, 3), stride, name + '_conv1', ws)
        y = sym.Activation(data=_bn(y, name + '_bn1', bn_mom), act_type='relu',
                           name=name + '_relu1')
        y = _bn(_conv(y, nf, (3, 3), (1, 1), name + '_conv2', ws), name + '_bn2', bn_mom)
    if dim_match:
        shortcut = x
    else:
        shortcut = _bn(_conv(x, nf, (1, 1), stride, name + '_conv1sc', ws), name + '_sc',
                       bn_mom)
    return sym.Activation(data=y + shortcut, act_type='relu', name=name + '_relu')


def _build(version, num_classes, num_layers, image_shape, bn_mom, workspace):
    image_shape = tuple(int(d) for d in image_shape)
    units, filters, bottleneck = _config(num_layers, image_shape)
    unit = _unit_v2 if version == 2 else _unit_v1
    data = sym.Variable('data')
    if version == 2:   # normalise the raw input (gamma fixed at 1)
        data = _bn(data, 'bn_data', bn_mom, fix_gamma=True)
    if image_shape[1] <= 32:   # small images: 3x3 stem, no down-sampling
        body = _conv(data, filters[0], (3, 3), (1, 1), 'conv0', workspace)
        if version == 1:
            body = sym.Activation(data=_bn(body, 'bn0', bn_mom), act_type='relu',
                                  name='relu0')
    else:
        body = _conv(data, filters[0], (7, 7), (2, 2), 'conv0', workspace)
        body = sym.Activation(data=_bn(body, 'bn0', bn_mom), act_type='relu', name='relu0')
        body = sym.Pooling(data=body, kernel=(3, 3), stride=(2, 2), pad=(1, 1),
                           pool_type='max', name='pool0')
    for i, n in enumerate(units):
        stride = (1, 1) if i == 0 else (2, 2)
        body = unit(body, filters[i + 1], stride, False, 'stage%d_unit1' % (i + 1),
                    bottleneck, bn_mom, workspace)
        for j in range(n - 1):
            body = unit(body, filters[i + 1], (1, 1), True,
                        'stage%d_unit%d' % (i + 1, j + 2), bottleneck, bn_mom, workspace)
    if version == 2:   # the last unit's output is not yet normalised
        body = sym.Activation(data=_bn(body, 'bn1', bn_mom), act_type='relu', name='relu1')
    pool = sym.Pooling(data=body, global_pool=True, kernel=(7, 7), pool_type='avg',
                       name='pool1')
    flat = sym.Flatten(data=pool)
    fc1 = sym.FullyConnected(data=flat, num_hidden=num_classes, name='fc1')
    return sym.SoftmaxOutput(data=fc1, name='softmax')


def resnet(num_classes=1000, num_layers=50, image_shape=(3, 224, 224), bn_mom=0.9,
           workspace=256, **kwargs):
    """ResNet v2 (pre-activation), MXNet's default ``resnet`` example symbol.

    >>> import mxlite as mx
    >>> net = mx.models.resnet(num_classes=10, num_layers=20, image_shape=(3, 28, 28))
    >>> net.infer_shape(data=(1, 3, 28, 28))[1]
    [(1, 10)]
    """
    return _build(2, num_classes, num_layers, image_shape, bn_mom, workspace)


def resnet_v1(num_classes=1000, num_layers=50, image_shape=(3, 224, 224), bn_mom=0.9,
              workspace=256, **kwargs):
    """ResNet v1 (post-activation, BN after every conv and on projection shortcuts);
    ResNet-50 has the paper's 25.6M parameters.

    >>> import mxlite as mx
    >>> net = mx.models.resnet_v1(num_classes=10, num_layers=18, image_shape=(3, 32, 32))
    >>> net.infer_shape(data=(1, 3, 32, 32))[1]
    [(1, 10)]
    """
    return _build(1, num_classes, num_layers, image_shape, bn_mom, workspace)
