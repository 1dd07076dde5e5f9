"""Plain feed-forward networks: MLP, LeNet, AlexNet, VGG."""
from .. import symbol as sym


def mlp(num_classes=10, **kwargs):
    """Multilayer perceptron 784(any)-128-64-`num_classes` with ReLU.

    Layers fc1, relu1, fc2, relu2, fc3, softmax (MXNet's example names).
    """
    data = sym.Variable('data')
    data = sym.Flatten(data=data)
    fc1 = sym.FullyConnected(data=data, name='fc1', num_hidden=128)
    act1 = sym.Activation(data=fc1, name='relu1', act_type='relu')
    fc2 = sym.FullyConnected(data=act1, name='fc2', num_hidden=64)
    act2 = sym.Activation(data=fc2, name='relu2', act_type='relu')
    fc3 = sym.FullyConnected(data=act2, name='fc3', num_hidden=num_classes)
    return sym.SoftmaxOutput(data=fc3, name='softmax')


def lenet(num_classes=10, **kwargs):
    """LeNet-5 as in MXNet's examples: conv 20 5x5, tanh, max-pool 2, conv 50 5x5, tanh,
    max-pool 2, fc 500, tanh, fc `num_classes` (input 1x28x28)."""
    data = sym.Variable('data')
    conv1 = sym.Convolution(data=data, kernel=(5, 5), num_filter=20, name='conv1')
    tanh1 = sym.Activation(data=conv1, act_type='tanh', name='tanh1')
    pool1 = sym.Pooling(data=tanh1, pool_type='max', kernel=(2, 2), stride=(2, 2),
                        name='pool1')
    conv2 = sym.Convolution(data=pool1, kernel=(5, 5), num_filter=50, name='conv2')
    tanh2 = sym.Activation(data=conv2, act_type='tanh', name='tanh2')
    pool2 = sym.Pooling(data=tanh2, pool_type='max', kernel=(2, 2), stride=(2, 2),
                        name='pool2')
    flatten = sym.Flatten(data=pool2, name='flatten')
    fc1 = sym.FullyConnected(data=flatten, num_hidden=500, name='fc1')
    tanh3 = sym.Activation(data=fc1, act_type='tanh', name='tanh3')
    fc2 = sym.FullyConnected(data=tanh3, num_hidden=num_classes, name='fc2')
    return sym.SoftmaxOutput(data=fc2, name='softmax')


def alexnet(num_classes=1000, **kwargs):
    """AlexNet (single tower, with LRN), input 3x224x224 as in MXNet's example (fc1 then
    sees 256x5x5; at 3x227x227 it sees 256x6x6, the paper's 62.4M parameters)."""
    data = sym.Variable('data')
    # stage 1
    conv1 = sym.Convolution(data=data, kernel=(11, 11), stride=(4, 4), num_filter=96,
                            name='conv1')
    relu1 = sym.Activation(data=conv1, act_type='relu', name='relu1')
    lrn1 = sym.LRN(data=relu1, alpha=0.0001, beta=0.75, knorm=2, nsize=5, name='lrn1')
    pool1 = sym.Pooling(data=lrn1, pool_type='max', kernel=(3, 3), stride=(2, 2),
                        name='pool1')
    # stage 2
    conv2 = sym.Convolution(data=pool1, kernel=(5, 5), pad=(2, 2), num_filter=256,
                            name='conv2')
    relu2 = sym.Activation(data=conv2, act_type='relu', name='relu2')
    lrn2 = sym.LRN(data=relu2, alpha=0.0001, beta=0.75, knorm=2, nsize=5, name='lrn2')
    pool2 = sym.Pooling(data=lrn2, kernel=(3, 3), stride=(2, 2), pool_type='max',
                        name='pool2')
    # stage 3
    x = pool2
    for i, nf in ((3, 384), (4, 384), (5, 256)):
        x = sym.Convolution(data=x, kernel=(3, 3), pad=(1, 1), num_filter=nf,
                            name='conv%d' % i)
        x = sym.Activation(data=x, act_type='relu', name='relu%d' % i)
    pool3 = sym.Pooling(data=x, kernel=(3, 3), stride=(2, 2), pool_type='max',
                        name='pool3')
    # stage 4-5: classifier
    x = sym.Flatten(data=pool3, name='flatten')
    for i in (1, 2):
        x = sym.FullyConnected(data=x, num_hidden=4096, name='fc%d' % i)
        x = sym.Activation(data=x, act_type='relu', name='relu%d' % (5 + i))
        x = sym.Dropout(data=x, p=0.5, name='dropout%d' % i)
    fc3 = sym.FullyConnected(data=x, num_hidden=num_classes, name='fc3')
    return sym.SoftmaxOutput(data=fc3, name='softmax')


_VGG_SPEC = {11: ([1, 1, 2, 2, 2], [64, 128, 256, 512, 512]),
             13: ([2, 2, 2, 2, 2], [64, 128, 256, 512, 512]),
             16: ([2, 2, 3, 3, 3], [64, 128, 256, 512, 512]),
             19: ([2, 2, 4, 4, 4], [64, 128, 256, 512, 512])}


def vgg(num_classes=1000, num_layers=16, batch_norm=False, **kwargs):
    """VGG-11/13/16/19 (Simonyan & Zisserman), optionally with BatchNorm after each conv.

    Layer names conv<stage>_<i>, relu<stage>_<i>, (bn<stage>_<i>), pool<stage>, fc6, fc7,
    fc8 as in MXNet's example; input at least 3x32x32 (five 2x2 poolings).
    """
    if num_layers not in _VGG_SPEC:
        raise ValueError('vgg: num_layers must be one of %s, got %d'
                         % (sorted(_VGG_SPEC), num_layers))
    layers, filters = _VGG_SPEC[num_layers]
    x = sym.Variable('data')
    for s, (n, nf) in enumerate(zip(layers, filters), 1):
        for j in range(1, n + 1):
            x = sym.Convolution(data=x, kernel=(3, 3), pad=(1, 1), num_filter=nf,
                                name='conv%d_%d' % (s, j))
            if batch_norm:
                x = sym.BatchNorm(data=x, name='bn%d_%d' % (s, j))
            x = sym.Activation(data=x, act_type='relu', name='relu%d_%d' % (s, j))
        x = sym.Pooling(data=x, pool_type='max', kernel=(2, 2), stride=(2, 2),
                        name='pool%d' % s)
    x = sym.Flatten(data=x, name='flatten')
    for i in (6, 7):
        x = sym.FullyConnected(data=x, num_hidden=4096, name='fc%d' % i)
        x = sym.Activation(data=x, act_type='relu', name='relu%d' % i)
        x = sym.Dropout(data=x, p=0.5, name='drop%d' % i)
    fc8 = sym.FullyConnected(data=x, num_hidden=num_classes, name='fc8')
    return sym.SoftmaxOutput(data=fc8, name='softmax')
