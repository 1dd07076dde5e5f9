"""Train the classic MXNet MLP (784-128-64-10) on MNIST with Module.fit and print the log.

MNIST is read from $MXLITE_DATA_DIR/mnist (the four idx .gz files), downloaded there when
missing and the machine is online. Options: --network lenet, --epochs, --lr, --xavier.
"""
import argparse
import logging

import mxlite as mx


def mlp():
    data = mx.sym.Variable('data')
    data = mx.sym.Flatten(data=data)
    fc1 = mx.sym.FullyConnected(data=data, name='fc1', num_hidden=128)
    act1 = mx.sym.Activation(data=fc1, name='relu1', act_type='relu')
    fc2 = mx.sym.FullyConnected(data=act1, name='fc2', num_hidden=64)
    act2 = mx.sym.Activation(data=fc2, name='relu2', act_type='relu')
    fc3 = mx.sym.FullyConnected(data=act2, name='fc3', num_hidden=10)
    return mx.sym.SoftmaxOutput(data=fc3, name='softmax')


def lenet():
    data = mx.sym.Variable('data')
    conv1 = mx.sym.Convolution(data=data, kernel=(5, 5), num_filter=20)
    tanh1 = mx.sym.Activation(data=conv1, act_type='tanh')
    pool1 = mx.sym.Pooling(data=tanh1, pool_type='max', kernel=(2, 2), stride=(2, 2))
    conv2 = mx.sym.Convolution(data=pool1, kernel=(5, 5), num_filter=50)
    tanh2 = mx.sym.Activation(data=conv2, act_type='tanh')
    pool2 = mx.sym.Pooling(data=tanh2, pool_type='max', kernel=(2, 2), stride=(2, 2))
    flatten = mx.sym.Flatten(data=pool2)
    fc1 = mx.sym.FullyConnected(data=flatten, num_hidden=500)
    tanh3 = mx.sym.Activation(data=fc1, act_type='tanh')
    fc2 = mx.sym.FullyConnected(data=tanh3, num_hidden=10)
    return mx.sym.SoftmaxOutput(data=fc2, name='softmax')


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--network', choices=['mlp', 'lenet'], default='mlp')
    parser.add_argument('--epochs', type=int, default=10)
    parser.add_argument('--batch-size', type=int, default=100)
    parser.add_argument('--lr', type=float, default=0.01)
    parser.add_argument('--xavier', action='store_true',
                        help='Xavier(magnitude=2.24) instead of the default Uniform(0.01)')
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format='%(levelname)s:%(name)s:%(message)s')
    mnist = mx.test_utils.get_mnist()
    train = mx.io.NDArrayIter(mnist['train_data'], mnist['train_label'], args.batch_size,
                              shuffle=True)
    val = mx.io.NDArrayIter(mnist['test_data'], mnist['test_label'], args.batch_size)
    net = mlp() if args.network == 'mlp' else lenet()
    mod = mx.mod.Module(net, context=mx.cpu())
    init = mx.init.Xavier(magnitude=2.24) if args.xavier else mx.init.Uniform(0.01)
    mod.fit(train, eval_data=val, optimizer='sgd',
            optimizer_params={'learning_rate': args.lr, 'momentum': 0.9},
            initializer=init, eval_metric='acc', num_epoch=args.epochs,
            batch_end_callback=mx.callback.Speedometer(args.batch_size, 100))
    score = mod.score(val, 'acc')
    print('final validation %s=%.4f' % score[0])
    return score[0][1]


if __name__ == '__main__':
    main()
