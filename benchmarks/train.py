"""mxlite Module.fit training benchmark, measured exactly as the peers' mx_bench.py.

usage: python benchmarks/train.py [--loop] MODEL     MODEL: mlp | lenet | resnet-small

The model name is the LAST argument, so the script joins the peers' table:

    EXTRA='mxlite=python benchmarks/train.py' ../shared/peers/run.sh mlp

Same synthetic data (common.mlp_data / lenet_data), batch 128, SGD lr 0.01 momentum 0.9,
Xavier init, 'acc' metric, Speedometer(128, 100) and a per-batch timer callback, one epoch,
shuffling NDArrayIter with last_batch_handle='discard'. Prints one `RESULT {json}` line in
common.report()'s format. `--loop` runs the intermediate-level loop (forward_backward,
update, update_metric) instead of fit, to see what fit itself costs.

The peers' common.py is imported from $PEERS_DIR (default ../shared/peers relative to the
repository root). resnet-small (a CIFAR-style ResNet-20 on 3x28x28, 2,560 samples) has no
peer counterpart; it is here to track the convolution/BatchNorm path.
"""
import logging
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
PEERS = os.environ.get('PEERS_DIR', os.path.join(REPO, '..', 'shared', 'peers'))
sys.path.insert(0, REPO)
sys.path.insert(0, PEERS)

from common import BATCH, BatchTimer, lenet_data, mlp_data, report  # noqa: E402
import numpy as np  # noqa: E402
import mxlite as mx  # noqa: E402

RESNET_SMALL_N = 2560


def build(model):
    """(symbol, X, y) for one of the benchmark models: the peers' layers, MXNet's names."""
    if model == 'mlp':   # the peers' MLP: (N, 784) data straight into fc1 (no Flatten)
        X, y = mlp_data()
        h = mx.sym.var('data')
        for i, n in enumerate((128, 64), 1):
            h = mx.sym.FullyConnected(h, num_hidden=n, name='fc%d' % i)
            h = mx.sym.Activation(h, act_type='relu', name='relu%d' % i)
        h = mx.sym.FullyConnected(h, num_hidden=10, name='fc3')
        return mx.sym.SoftmaxOutput(h, name='softmax'), X, y
    if model == 'lenet':
        X, y = lenet_data()
        return mx.models.lenet(num_classes=10), X, y
    if model == 'resnet-small':
        r = np.random.default_rng(0)
        X = r.random((RESNET_SMALL_N, 3, 28, 28), dtype=np.float32)
        y = r.integers(0, 10, RESNET_SMALL_N).astype(np.int64)
        return mx.models.resnet(num_classes=10, num_layers=20, image_shape=(3, 28, 28)), X, y
    raise SystemExit('unknown model %r: use mlp, lenet or resnet-small' % model)


def train_fit(mod, it, callbacks):
    mod.fit(it, num_epoch=1, optimizer='sgd',
            optimizer_params={'learning_rate': 0.01, 'momentum': 0.9},
            initializer=mx.init.Xavier(), eval_metric='acc', batch_end_callback=callbacks)


def train_loop(mod, it, callbacks):
    """The intermediate-level API loop that fit runs, without fit's extras."""
    mod.bind(data_shapes=it.provide_data, label_shapes=it.provide_label)
    mod.init_params(initializer=mx.init.Xavier())
    mod.init_optimizer(optimizer='sgd', optimizer_params={'learning_rate': 0.01,
                                                          'momentum': 0.9})
    metric = mx.metric.create('acc')
    for nbatch, batch in enumerate(it):
        mod.forward_backward(batch)
        mod.update()
        mod.update_metric(metric, batch.label)
        param = mx.model.BatchEndParam(epoch=0, nbatch=nbatch, eval_metric=metric,
                                       locals=None)
        for cb in callbacks:
            cb(param)
    it.reset()


def main(argv):
    model = argv[-1]
    loop = '--loop' in argv[:-1]
    logging.basicConfig(level=logging.INFO)
    mx.random.seed(0)
    net, X, y = build(model)
    it = mx.io.NDArrayIter(X, y.astype('float32'), BATCH, shuffle=True,
                           last_batch_handle='discard')
    nb = len(X) // BATCH
    bt = BatchTimer()
    callbacks = [lambda param: bt.tick(), mx.callback.Speedometer(BATCH, 100)]
    mod = mx.mod.Module(net, context=mx.cpu())
    t0 = time.perf_counter()
    (train_loop if loop else train_fit)(mod, it, callbacks)
    dt = time.perf_counter() - t0
    report('mxlite-' + mx.__version__, model, 'Module.loop' if loop else 'Module.fit',
           nb * BATCH, dt, bt.steady(), bt.t[0] - t0,
           extra={'train_acc': mod.score(it, 'acc')[0][1]})


if __name__ == '__main__':
    main(sys.argv[1:])
