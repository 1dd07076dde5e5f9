"""mx.viz.print_summary reproduces MXNet 1.9.1's table."""
import mxlite as mx


def test_print_summary_lenet_matches_mxnet(reference, capsys):
    data = mx.sym.var('data')
    net = mx.sym.Convolution(data, kernel=(5, 5), num_filter=6, name='conv1')
    net = mx.sym.Activation(net, act_type='tanh', name='act1')
    net = mx.sym.Pooling(net, pool_type='max', kernel=(2, 2), stride=(2, 2), name='pool1')
    net = mx.sym.Convolution(net, kernel=(5, 5), num_filter=16, name='conv2')
    net = mx.sym.Activation(net, act_type='tanh', name='act2')
    net = mx.sym.Pooling(net, pool_type='max', kernel=(2, 2), stride=(2, 2), name='pool2')
    net = mx.sym.Flatten(net, name='flatten')
    net = mx.sym.FullyConnected(net, num_hidden=120, name='fc1')
    net = mx.sym.Activation(net, act_type='tanh', name='act3')
    net = mx.sym.FullyConnected(net, num_hidden=84, name='fc2')
    net = mx.sym.Activation(net, act_type='tanh', name='act4')
    net = mx.sym.FullyConnected(net, num_hidden=10, name='fc3')
    net = mx.sym.SoftmaxOutput(net, name='softmax')
    print(mx.viz.print_summary(net, shape={'data': (1, 1, 28, 28)}))
    expected = (reference / 'golden' / 'transcripts' / 'c_print_summary_lenet.stdout.txt')
    assert capsys.readouterr().out == expected.read_text()
