"""A small model zoo built with ``mx.sym``: the networks of MXNet's image-classification
examples, with the same layer names, so checkpoints made with them load here.

Each function returns a Symbol ending in ``SoftmaxOutput(name='softmax')``; bind it with
``data`` of shape ``(batch,) + image_shape`` and ``softmax_label`` of shape ``(batch,)``.

>>> import mxlite as mx
>>> net = mx.models.get_symbol('resnet', num_classes=10, num_layers=20, image_shape=(3, 28, 28))
>>> net.infer_shape(data=(2, 3, 28, 28))[1]
[(2, 10)]
"""
from .simple import alexnet, lenet, mlp, vgg
from .resnet import resnet, resnet_v1
from .inception_bn import inception_bn
from .mobilenet import mobilenet

__all__ = ['mlp', 'lenet', 'alexnet', 'vgg', 'resnet', 'resnet_v1', 'inception_bn',
           'mobilenet', 'get_symbol', 'num_params', 'MODELS']

MODELS = {
    'mlp': mlp, 'lenet': lenet, 'alexnet': alexnet, 'vgg': vgg,
    'resnet': resnet, 'resnet-v2': resnet, 'resnet-v1': resnet_v1, 'resnet_v1': resnet_v1,
    'inception-bn': inception_bn, 'inception_bn': inception_bn, 'mobilenet': mobilenet,
}


def get_symbol(name, **kwargs):
    """The network called `name` (a key of ``MODELS``, e.g. 'resnet-v1', 'vgg'), built
    with keyword arguments such as ``num_classes``, ``num_layers`` and ``image_shape``.

    >>> import mxlite as mx
    >>> mx.models.get_symbol('vgg', num_classes=10, num_layers=11).list_outputs()
    ['softmax_output']
    """
    try:
        fn = MODELS[name]
    except KeyError:
        raise ValueError("unknown model '%s'; known models: %s"
                         % (name, ', '.join(sorted(MODELS)))) from None
    return fn(**kwargs)


def num_params(symbol, data_shape, label_name='softmax_label'):
    """Number of learnable values (arguments other than data and label) when `symbol` is
    bound with ``data`` of shape `data_shape`; auxiliary states (moving mean/var) are not
    counted, as in the usual published figures.

    >>> import mxlite as mx
    >>> mx.models.num_params(mx.models.mlp(), (1, 784))
    109386
    """
    arg_shapes, _, _ = symbol.infer_shape(data=tuple(data_shape))
    total = 0
    for name, shape in zip(symbol.list_arguments(), arg_shapes):
        if name in ('data', label_name):
            continue
        n = 1
        for d in shape:
            n *= d
        total += n
    return total
