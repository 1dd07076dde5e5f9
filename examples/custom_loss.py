"""Train the MNIST MLP (784-128-64-10) with a hand-written loss, three ways, next to the
built-in SoftmaxOutput:

* ``softmax``   the baseline: ``SoftmaxOutput`` as the graph's head.
* ``makeloss``  the cross-entropy written with graph ops and wrapped in ``MakeLoss``; the
                prediction travels beside it as a second, gradient-blocked head:
                ``mx.sym.Group([MakeLoss(loss), BlockGrad(softmax)])``.
* ``custom``    the cross-entropy as a Python operator (``mx.operator.CustomOp`` with
                ``need_top_grad=False``) used through ``mx.sym.Custom``.
* ``autograd``  no graph at all: ``mx.autograd.record`` around NDArray calls, the loss's
                ``backward()``, and an ``mx.optimizer`` Updater.

All four start from the same parameters and see the same batches, so they reach the same
accuracy. MNIST is read from $MXLITE_DATA_DIR/mnist. Run ``python examples/custom_loss.py
--help`` for the options.
"""
import argparse
import logging
import time

import numpy as np

import mxlite as mx

NUM_CLASSES = 10
LAYERS = (('fc1', 128), ('fc2', 64), ('fc3', NUM_CLASSES))


# ---------------------------------------------------------------------- the network
def mlp_scores(data):
    """The MLP up to its class scores (logits): three FullyConnected layers, ReLU between."""
    net = mx.sym.Flatten(data=data)
    for i, (name, hidden) in enumerate(LAYERS):
        net = mx.sym.FullyConnected(data=net, num_hidden=hidden, name=name)
        if i + 1 < len(LAYERS):
            net = mx.sym.Activation(data=net, act_type='relu', name='relu%d' % (i + 1))
    return net


def softmax_output_net():
    """Baseline: the built-in loss head."""
    return mx.sym.SoftmaxOutput(mlp_scores(mx.sym.var('data')), name='softmax')


def makeloss_net():
    """Cross-entropy from graph ops in MakeLoss, plus a BlockGrad'ed prediction head.

    Output 0 is the per-sample loss (what training differentiates); output 1, named
    'pred_output', is the softmax prediction, which BlockGrad keeps out of the gradient.
    Metrics pick it with ``output_names=['pred_output']``.
    """
    scores = mlp_scores(mx.sym.var('data'))
    label = mx.sym.var('softmax_label')
    # -log softmax(scores)[label], per sample; log_softmax keeps it finite
    nll = -mx.sym.pick(mx.sym.log_softmax(scores, axis=1), label, axis=1)
    loss = mx.sym.MakeLoss(nll, name='ce')
    pred = mx.sym.BlockGrad(mx.sym.softmax(scores, axis=1), name='pred')
    return mx.sym.Group([loss, pred])


class SoftmaxCrossEntropy(mx.operator.CustomOp):
    """Forward: class probabilities. Backward: their cross-entropy gradient, p - onehot."""

    def forward(self, is_train, req, in_data, out_data, aux):
        scores = in_data[0].asnumpy()
        e = np.exp(scores - scores.max(axis=1, keepdims=True))
        self.assign(out_data[0], req[0], mx.nd.array(e / e.sum(axis=1, keepdims=True)))

    def backward(self, req, out_grad, in_data, out_data, in_grad, aux):
        # a loss: out_grad is not used (need_top_grad=False); per-sample gradient, the
        # optimizer's rescale_grad divides by the batch size as for SoftmaxOutput
        prob = out_data[0].asnumpy()
        label = in_data[1].asnumpy().astype(np.int64)
        grad = prob.copy()
        grad[np.arange(len(label)), label] -= 1
        self.assign(in_grad[0], req[0], mx.nd.array(grad))
        self.assign(in_grad[1], req[1], mx.nd.zeros(in_data[1].shape))


@mx.operator.register('softmax_ce_loss')
class SoftmaxCrossEntropyProp(mx.operator.CustomOpProp):
    def __init__(self):
        super().__init__(need_top_grad=False)

    def list_arguments(self):
        return ['data', 'label']

    def list_outputs(self):
        return ['output']

    def infer_shape(self, in_shape):
        data_shape = in_shape[0]
        return [data_shape, (data_shape[0],)], [data_shape], []

    def create_operator(self, ctx, in_shapes, in_dtypes):
        return SoftmaxCrossEntropy()


def custom_op_net():
    """The loss as a Python operator: output 'softmax_output' holds the probabilities."""
    scores = mlp_scores(mx.sym.var('data'))
    return mx.sym.Custom(data=scores, label=mx.sym.var('softmax_label'),
                         op_type='softmax_ce_loss', name='softmax')


# ---------------------------------------------------------------------- data and setup
def load_data(num_train=None, num_test=None):
    """MNIST as numpy arrays (images scaled to [0, 1]), optionally cut to a subset."""
    mnist = mx.test_utils.get_mnist()
    return (mnist['train_data'][:num_train], mnist['train_label'][:num_train],
            mnist['test_data'][:num_test], mnist['test_label'][:num_test])


def make_iters(data, batch_size, seed):
    train_x, train_y, test_x, test_y = data
    np.random.seed(seed)    # NDArrayIter shuffles with numpy's global stream
    train = mx.io.NDArrayIter(train_x, train_y, batch_size, shuffle=True)
    test = mx.io.NDArrayIter(test_x, test_y, batch_size)
    return train, test


def initial_params(batch_size, seed):
    """One set of starting parameters (Xavier), shared by every way of training."""
    mod = mx.mod.Module(softmax_output_net())
    mod.bind(data_shapes=[('data', (batch_size, 1, 28, 28))],
             label_shapes=[('softmax_label', (batch_size,))], for_training=False)
    mx.random.seed(seed)
    mod.init_params(mx.init.Xavier(magnitude=2.24))
    args, _ = mod.get_params()
    return {name: value.copy() for name, value in args.items()}


def accuracy(pred, label):
    return float((np.argmax(pred, axis=1) == label).mean())


# ---------------------------------------------------------------------- training
def train_module(net, data, params, args, metric=None):
    """Module.fit on `net` from `params`; returns (test accuracy, module)."""
    train, test = make_iters(data, args.batch_size, args.seed)
    mod = mx.mod.Module(net, context=mx.cpu())
    metric = metric or mx.metric.Accuracy()
    mod.fit(train, num_epoch=args.epochs, optimizer='sgd',
            optimizer_params={'learning_rate': args.lr, 'momentum': 0.9},
            arg_params={k: v.copy() for k, v in params.items()}, eval_metric=metric)
    (_, acc), = mod.score(test, metric)
    return acc, mod


def train_autograd(data, params, args):
    """The same training as NDArray code under autograd; returns (test accuracy, params)."""
    train, test = make_iters(data, args.batch_size, args.seed)
    weights = {k: v.copy() for k, v in params.items()}
    names = sorted(weights)
    for w in weights.values():
        w.attach_grad()
    # Module sets rescale_grad = 1/batch_size; do the same here
    updater = mx.optimizer.get_updater(mx.optimizer.SGD(
        learning_rate=args.lr, momentum=0.9, rescale_grad=1.0 / args.batch_size))

    def scores(x):
        h = mx.nd.Flatten(x)
        for i, (name, hidden) in enumerate(LAYERS):
            h = mx.nd.FullyConnected(h, weights[name + '_weight'], weights[name + '_bias'],
                                     num_hidden=hidden)
            if i + 1 < len(LAYERS):
                h = mx.nd.relu(h)
        return h

    for epoch in range(args.epochs):
        tic = time.time()
        for batch in train:
            x, y = batch.data[0], batch.label[0]
            with mx.autograd.record():
                loss = -mx.nd.pick(mx.nd.log_softmax(scores(x), axis=1), y, axis=1)
            loss.backward()     # head gradient of ones: the gradient of the summed loss
            for i, name in enumerate(names):
                updater(i, weights[name].grad, weights[name])
        train.reset()
        logging.info('autograd: epoch %d took %.2fs', epoch, time.time() - tic)
    preds, labels = [], []
    for batch in test:
        n = batch.data[0].shape[0] - (batch.pad or 0)
        preds.append(mx.nd.softmax(scores(batch.data[0])).asnumpy()[:n])
        labels.append(batch.label[0].asnumpy()[:n])
    return accuracy(np.concatenate(preds), np.concatenate(labels)), weights


def run_all(data, args, ways=('softmax', 'makeloss', 'custom', 'autograd')):
    """{way: test accuracy} for each way of writing the loss."""
    params = initial_params(args.batch_size, args.seed)
    results = {}
    for way in ways:
        tic = time.time()
        if way == 'softmax':
            acc, _ = train_module(softmax_output_net(), data, params, args)
        elif way == 'makeloss':
            metric = mx.metric.Accuracy(output_names=['pred_output'])
            acc, _ = train_module(makeloss_net(), data, params, args, metric)
        elif way == 'custom':
            acc, _ = train_module(custom_op_net(), data, params, args)
        elif way == 'autograd':
            acc, _ = train_autograd(data, params, args)
        else:
            raise ValueError('unknown way %r' % way)
        results[way] = acc
        logging.info('%-9s test accuracy %.4f (%.1fs)', way, acc, time.time() - tic)
    return results


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--epochs', type=int, default=10)
    parser.add_argument('--batch-size', type=int, default=100)
    parser.add_argument('--lr', type=float, default=0.1)
    parser.add_argument('--seed', type=int, default=42)
    parser.add_argument('--num-train', type=int, default=None,
                        help='train on the first N images only')
    parser.add_argument('--num-test', type=int, default=None)
    parser.add_argument('--ways', default='softmax,makeloss,custom,autograd')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format='%(levelname)s:%(name)s:%(message)s')
    data = load_data(args.num_train, args.num_test)
    results = run_all(data, args, ways=args.ways.split(','))
    for way, acc in results.items():
        print('%-9s test accuracy %.4f' % (way, acc))
    return results


if __name__ == '__main__':
    main()
