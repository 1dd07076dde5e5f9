"""Inception with Batch Normalization (Ioffe & Szegedy, 2015), as MXNet's example builds
it: every convolution is conv_<name> -> bn_<name> -> relu_<name>."""
from .. import symbol as sym

_EPS = 1e-10 + 1e-5
_BN_MOM = 0.9
_FIX_GAMMA = False


def _conv_factory(x, num_filter, kernel, stride=(1, 1), pad=(0, 0), name=None, suffix=''):
    tag = '%s%s' % (name, suffix)
    x = sym.Convolution(data=x, num_filter=num_filter, kernel=kernel, stride=stride, pad=pad,
                        name='conv_' + tag)
    x = sym.BatchNorm(data=x, fix_gamma=_FIX_GAMMA, eps=_EPS, momentum=_BN_MOM,
                      name='bn_' + tag)
    return sym.Activation(data=x, act_type='relu', name='relu_' + tag)


def _inception_a(x, n1x1, n3x3red, n3x3, nd3x3red, nd3x3, pool, proj, name):
    """Four branches at the same resolution: 1x1, 1x1->3x3, 1x1->3x3->3x3, pool->1x1."""
    c1 = _conv_factory(x, n1x1, (1, 1), name='%s_1x1' % name)
    c3 = _conv_factory(x, n3x3red, (1, 1), name='%s_3x3' % name, suffix='_reduce')
    c3 = _conv_factory(c3, n3x3, (3, 3), pad=(1, 1), name='%s_3x3' % name)
    cd = _conv_factory(x, nd3x3red, (1, 1), name='%s_double_3x3' % name, suffix='_reduce')
    cd = _conv_factory(cd, nd3x3, (3, 3), pad=(1, 1), name='%s_double_3x3_0' % name)
    cd = _conv_factory(cd, nd3x3, (3, 3), pad=(1, 1), name='%s_double_3x3_1' % name)
    p = sym.Pooling(data=x, kernel=(3, 3), stride=(1, 1), pad=(1, 1), pool_type=pool,
                    name='%s_pool_%s_pool' % (pool, name))
    cp = _conv_factory(p, proj, (1, 1), name='%s_proj' % name)
    return sym.Concat(c1, c3, cd, cp, name='ch_concat_%s_chconcat' % name)


def _inception_b(x, n3x3red, n3x3, nd3x3red, nd3x3, name):
    """Grid reduction: strided 3x3, strided double 3x3 and a strided max-pool, concatenated."""
    c3 = _conv_factory(x, n3x3red, (1, 1), name='%s_3x3' % name, suffix='_reduce')
    c3 = _conv_factory(c3, n3x3, (3, 3), pad=(1, 1), stride=(2, 2), name='%s_3x3' % name)
    cd = _conv_factory(x, nd3x3red, (1, 1), name='%s_double_3x3' % name, suffix='_reduce')
    cd = _conv_factory(cd, nd3x3, (3, 3), pad=(1, 1), name='%s_double_3x3_0' % name)
    cd = _conv_factory(cd, nd3x3, (3, 3), pad=(1, 1), stride=(2, 2),
                       name='%s_double_3x3_1' % name)
    p = sym.Pooling(data=x, kernel=(3, 3), stride=(2, 2), pad=(1, 1), pool_type='max',
                    name='max_pool_%s_pool' % name)
    return sym.Concat(c3, cd, p, name='ch_concat_%s_chconcat' % name)


def inception_bn(num_classes=1000, image_shape=(3, 224, 224), **kwargs):
    """Inception-BN for ImageNet-sized inputs (3x224x224; works down to about 3x64x64
    since the last pooling is global), or the small CIFAR variant for height <= 28.

    >>> import mxlite as mx
    >>> mx.models.inception_bn(10, (3, 28, 28)).infer_shape(data=(1, 3, 28, 28))[1]
    [(1, 10)]
    """
    data = sym.Variable('data')
    if image_shape[1] <= 28:
        x = _conv_factory(data, 96, (3, 3), pad=(1, 1), name='1')
        x = _inception_a_small(x, 32, 32, '3a')
        x = _inception_a_small(x, 32, 48, '3b')
        x = _inception_b_small(x, 80, '3c')
        x = _inception_a_small(x, 112, 48, '4a')
        x = _inception_a_small(x, 96, 64, '4b')
        x = _inception_a_small(x, 80, 80, '4c')
        x = _inception_a_small(x, 48, 96, '4d')
        x = _inception_b_small(x, 96, '4e')
        x = _inception_a_small(x, 176, 160, '5a')
        x = _inception_a_small(x, 176, 160, '5b')
    else:
        x = _conv_factory(data, 64, (7, 7), stride=(2, 2), pad=(3, 3), name='1')
        x = sym.Pooling(data=x, kernel=(3, 3), stride=(2, 2), pool_type='max', name='pool_1')
        x = _conv_factory(x, 64, (1, 1), name='2_red')
        x = _conv_factory(x, 192, (3, 3), pad=(1, 1), name='2')
        x = sym.Pooling(data=x, kernel=(3, 3), stride=(2, 2), pool_type='max', name='pool_2')
        x = _inception_a(x, 64, 64, 64, 64, 96, 'avg', 32, '3a')
        x = _inception_a(x, 64, 64, 96, 64, 96, 'avg', 64, '3b')
        x = _inception_b(x, 128, 160, 64, 96, '3c')
        x = _inception_a(x, 224, 64, 96, 96, 128, 'avg', 128, '4a')
        x = _inception_a(x, 192, 96, 128, 96, 128, 'avg', 128, '4b')
        x = _inception_a(x, 160, 128, 160, 128, 160, 'avg', 128, '4c')
        x = _inception_a(x, 96, 128, 192, 160, 192, 'avg', 128, '4d')
        x = _inception_b(x, 128, 192, 192, 256, '4e')
        x = _inception_a(x, 352, 192, 320, 160, 224, 'avg', 128, '5a')
        x = _inception_a(x, 352, 192, 320, 192, 224, 'max', 128, '5b')
    x = sym.Pooling(data=x, global_pool=True, kernel=(7, 7), pool_type='avg',
                    name='global_pool')
    x = sym.Flatten(data=x, name='flatten')
    fc1 = sym.FullyConnected(data=x, num_hidden=num_classes, name='fc1')
    return sym.SoftmaxOutput(data=fc1, name='softmax')


def _inception_a_small(x, n1x1, n3x3, name):
    c1 = _conv_factory(x, n1x1, (1, 1), name='%s_1x1' % name)
    c3 = _conv_factory(x, n3x3, (3, 3), pad=(1, 1), name='%s_3x3' % name)
    return sym.Concat(c1, c3, name='ch_concat_%s_chconcat' % name)


def _inception_b_small(x, n3x3, name):
    c3 = _conv_factory(x, n3x3, (3, 3), pad=(0, 0), stride=(2, 2), name='%s_3x3' % name)
    p = sym.Pooling(data=x, kernel=(3, 3), stride=(2, 2), pool_type='max',
                    name='max_pool_%s_pool' % name)
    return sym.Concat(c3, p, name='ch_concat_%s_chconcat' % name)
