"""The model zoo (mxlite.models): shapes at small inputs, parameter counts against the
published figures, MXNet's layer names, and a forward pass at a tiny size."""
import numpy as np
import pytest

import mxlite as mx
from mxlite import models

# (id, builder, kwargs, data shape, learnable values). Figures: MLP/LeNet counted by hand;
# VGG-16 138,357,544 and ResNet-50 25,557,032 (the papers / torchvision); AlexNet 62.4M at
# 227x227 (6x6 maps into fc1; 224x224 gives 5x5 maps, 50.8M); MobileNet v1 4,231,976;
# ResNet-18 as MXNet builds it: 11,689,512 plus a 1x1 projection (+BN) on stage 1's first
# unit (4,224), because MXNet projects the first unit of every stage.
COUNTS = [
    ('mlp', models.mlp, {}, (1, 784), 109386),
    ('lenet', models.lenet, {}, (1, 1, 28, 28), 431080),
    ('alexnet-224', models.alexnet, {}, (1, 3, 224, 224), 50844008),
    ('alexnet-227', models.alexnet, {}, (1, 3, 227, 227), 62378344),
    ('vgg16', models.vgg, {'num_layers': 16}, (1, 3, 224, 224), 138357544),
    ('resnet50-v1', models.resnet_v1, {'num_layers': 50}, (1, 3, 224, 224), 25557032),
    ('resnet18-v1', models.resnet_v1, {'num_layers': 18}, (1, 3, 224, 224), 11689512 + 4224),
    ('mobilenet', models.mobilenet, {}, (1, 3, 224, 224), 4231976),
]

# published figures for which the exact count depends on the variant: within 1 %
APPROX = [
    ('resnet50-v2', models.resnet, {'num_layers': 50}, (1, 3, 224, 224), 25.6e6),
    ('resnet18-v2', models.resnet, {'num_layers': 18}, (1, 3, 224, 224), 11.7e6),
    ('inception-bn', models.inception_bn, {}, (1, 3, 224, 224), 11.3e6),
    ('vgg16-bn', models.vgg, {'num_layers': 16, 'batch_norm': True}, (1, 3, 224, 224),
     138.37e6),
]

# (id, builder, kwargs, data shape, names that must be arguments): small inputs
SMALL = [
    ('mlp', models.mlp, {'num_classes': 7}, (2, 1, 28, 28), ['fc1_weight', 'fc3_bias']),
    ('lenet', models.lenet, {'num_classes': 7}, (2, 1, 28, 28),
     ['conv1_weight', 'conv2_bias', 'fc1_weight', 'fc2_weight']),
    ('alexnet', models.alexnet, {'num_classes': 7}, (2, 3, 67, 67),
     ['conv1_weight', 'conv5_bias', 'fc1_weight', 'fc3_bias']),
    ('vgg11', models.vgg, {'num_classes': 7, 'num_layers': 11}, (2, 3, 32, 32),
     ['conv1_1_weight', 'conv5_2_bias', 'fc6_weight', 'fc8_bias']),
    ('vgg16-bn', models.vgg, {'num_classes': 7, 'batch_norm': True}, (2, 3, 32, 32),
     ['conv4_3_weight', 'bn4_3_gamma', 'fc7_weight']),
    ('resnet20-cifar', models.resnet, {'num_classes': 7, 'num_layers': 20,
                                       'image_shape': (3, 28, 28)}, (2, 3, 28, 28),
     ['bn_data_gamma', 'conv0_weight', 'stage3_unit3_conv2_weight', 'stage2_unit1_sc_weight',
      'bn1_beta', 'fc1_weight']),
    ('resnet164-cifar', models.resnet, {'num_classes': 7, 'num_layers': 164,
                                        'image_shape': (3, 28, 28)}, (2, 3, 28, 28),
     ['stage1_unit18_conv3_weight']),
    ('resnet18-v2-32', models.resnet, {'num_classes': 7, 'num_layers': 18,
                                       'image_shape': (3, 32, 32)}, (2, 3, 32, 32),
     ['stage4_unit2_bn2_gamma', 'stage4_unit1_sc_weight']),
    ('resnet50-v2-64', models.resnet, {'num_classes': 7, 'num_layers': 50,
                                       'image_shape': (3, 64, 64)}, (2, 3, 64, 64),
     ['bn0_gamma', 'stage4_unit3_conv3_weight']),
    ('resnet50-v1-64', models.resnet_v1, {'num_classes': 7, 'num_layers': 50,
                                          'image_shape': (3, 64, 64)}, (2, 3, 64, 64),
     ['stage1_unit1_conv1sc_weight', 'stage1_unit1_sc_gamma', 'stage4_unit3_bn3_beta']),
    ('inception-bn-96', models.inception_bn, {'num_classes': 7}, (2, 3, 96, 96),
     ['conv_1_weight', 'bn_2_red_gamma', 'conv_3a_double_3x3_1_weight',
      'conv_5b_proj_bias', 'fc1_weight']),
    ('inception-bn-28', models.inception_bn, {'num_classes': 7, 'image_shape': (3, 28, 28)},
     (2, 3, 28, 28), ['conv_3c_3x3_weight', 'conv_5b_1x1_weight']),
    ('mobilenet', models.mobilenet, {'num_classes': 7, 'alpha': 0.25}, (2, 3, 32, 32),
     ['conv_1_conv2d_weight', 'conv_2_dw_conv2d_weight', 'conv_14_batchnorm_gamma',
      'fc_weight']),
]


@pytest.mark.parametrize('case', COUNTS, ids=[c[0] for c in COUNTS])
def test_parameter_count_exact(case):
    _, build, kwargs, shape, expected = case
    assert models.num_params(build(**kwargs), shape) == expected


@pytest.mark.parametrize('case', APPROX, ids=[c[0] for c in APPROX])
def test_parameter_count_close_to_published(case):
    _, build, kwargs, shape, expected = case
    n = models.num_params(build(**kwargs), shape)
    assert abs(n - expected) / expected < 0.01, n


@pytest.mark.parametrize('case', SMALL, ids=[c[0] for c in SMALL])
def test_infer_shape_small_input(case):
    _, build, kwargs, shape, names = case
    net = build(**kwargs)
    arg_shapes, out_shapes, aux_shapes = net.infer_shape(data=shape)
    assert out_shapes == [(shape[0], 7)]
    assert all(s is not None for s in arg_shapes + aux_shapes)
    args = dict(zip(net.list_arguments(), arg_shapes))
    assert args['softmax_label'] == (shape[0],)
    for name in names:
        assert name in args, name
    assert net.list_outputs() == ['softmax_output']
    # BatchNorm moving statistics are auxiliary states, never arguments
    assert not any(n.endswith(('moving_mean', 'moving_var')) for n in args)
    assert len(net.list_auxiliary_states()) % 2 == 0


def test_resnet_v2_unit_layout():
    """A pre-activation unit: BN-ReLU-conv twice, projection from the first activation."""
    net = models.resnet(num_classes=10, num_layers=20, image_shape=(3, 28, 28))
    ops = [(n['op'], n['name']) for n in __import__('json').loads(net.tojson())['nodes']
           if n['op'] != 'null']
    names = [n for _, n in ops]
    i = names.index('stage2_unit1_bn1')
    assert [o for o, _ in ops[i:i + 6]] == ['BatchNorm', 'Activation', 'Convolution',
                                            'BatchNorm', 'Activation', 'Convolution']
    assert ops[i + 6] == ('Convolution', 'stage2_unit1_sc')
    assert ops[i + 7][0] == 'elemwise_add'
    assert names[:2] == ['bn_data', 'conv0'] and names[-4:] == ['pool1', names[-3], 'fc1',
                                                                 'softmax']


def test_json_round_trip():
    net = models.inception_bn(num_classes=10, image_shape=(3, 28, 28))
    s = net.tojson()
    assert mx.sym.load_json(s).tojson() == s


@pytest.mark.parametrize('name,kwargs,shape', [
    ('resnet-v1', {'num_layers': 18, 'image_shape': (3, 32, 32)}, (2, 3, 32, 32)),
    ('resnet', {'num_layers': 20, 'image_shape': (3, 28, 28)}, (2, 3, 28, 28)),
    ('mobilenet', {'alpha': 0.25}, (2, 3, 32, 32)),
    ('inception-bn', {'image_shape': (3, 28, 28)}, (2, 3, 28, 28)),
    ('lenet', {}, (2, 1, 28, 28)),
])
def test_forward_backward_tiny(name, kwargs, shape):
    """The zoo's layer parameters are accepted by the operators, and training runs."""
    net = models.get_symbol(name, num_classes=5, **kwargs)
    ex = net.simple_bind(mx.cpu(), data=shape)
    rng = np.random.default_rng(0)
    for k, a in ex.arg_dict.items():
        a[:] = rng.standard_normal(a.shape).astype(np.float32) * 0.1
    ex.arg_dict['softmax_label'][:] = np.array([1, 3], dtype=np.float32)
    out = ex.forward(is_train=True)[0].asnumpy()
    assert out.shape == (2, 5)
    np.testing.assert_allclose(out.sum(axis=1), 1.0, rtol=1e-5)
    ex.backward()
    grads = [g.asnumpy() for n, g in ex.grad_dict.items()
             if g is not None and n not in ('data', 'softmax_label')]
    assert all(np.isfinite(g).all() for g in grads)
    assert any(np.abs(g).sum() > 0 for g in grads)


def test_errors_name_the_problem():
    with pytest.raises(ValueError, match='unknown model .*resnt.*known models'):
        models.get_symbol('resnt')
    with pytest.raises(ValueError, match='num_layers must be one of'):
        models.resnet(num_layers=42)
    with pytest.raises(ValueError, match='no CIFAR network with 21 layers'):
        models.resnet(num_layers=21, image_shape=(3, 28, 28))
    with pytest.raises(ValueError, match='num_layers must be one of'):
        models.vgg(num_layers=17)


def test_lazy_attribute():
    assert mx.models is models
    assert models.get_symbol('vgg', num_classes=3, num_layers=11).infer_shape(
        data=(1, 3, 32, 32))[1] == [(1, 3)]
