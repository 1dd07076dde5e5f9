"""Where a training step's time goes: per-operator forward/backward kernel time and the
Module phases around them (iterator, forward, backward, update, metric).

usage: python benchmarks/opprofile.py [--batches N] MODEL     MODEL: mlp | lenet | resnet-small

Kernels are timed by wrapping each registered operator's forward/backward before the
module binds (the executor then calls the wrappers), so the numbers add the timer's own
cost (~1 us per call) and nothing else. The rest of each phase is framework overhead.
"""
import os
import sys
import time
from collections import defaultdict

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import train  # noqa: E402  (sets up sys.path for mxlite and the peers' common.py)
from train import BATCH, mx  # noqa: E402

KERNEL = defaultdict(float)
CALLS = defaultdict(int)


def _wrap(op, which):
    fn = getattr(op, which)
    key = (op.name, which)
    clock = time.perf_counter

    def timed(*args):
        t = clock()
        try:
            return fn(*args)
        finally:
            KERNEL[key] += clock() - t
            CALLS[key] += 1
    setattr(op, which, timed)


def instrument():
    from mxlite.ops import registry
    seen = set()
    for op in registry.all_ops().values():
        if id(op) not in seen:
            seen.add(id(op))
            _wrap(op, 'forward')
            _wrap(op, 'backward')


def main(argv):
    model = argv[-1]
    nb = int(argv[argv.index('--batches') + 1]) if '--batches' in argv else 60
    instrument()
    mx.random.seed(0)
    net, X, y = train.build(model)
    it = mx.io.NDArrayIter(X, y.astype('float32'), BATCH, shuffle=True,
                           last_batch_handle='discard')
    mod = mx.mod.Module(net, context=mx.cpu())
    mod.bind(data_shapes=it.provide_data, label_shapes=it.provide_label)
    mod.init_params(initializer=mx.init.Xavier())
    mod.init_optimizer(optimizer='sgd', optimizer_params={'learning_rate': 0.01,
                                                          'momentum': 0.9})
    metric = mx.metric.create('acc')
    phase = defaultdict(float)
    clock = time.perf_counter
    batches = iter(it)
    for k in range(nb + 5):
        if k == 5:   # warm-up done: count from here
            KERNEL.clear()
            CALLS.clear()
            phase.clear()
            t_all = clock()
        t0 = clock()
        try:
            batch = next(batches)
        except StopIteration:
            it.reset()
            batches = iter(it)
            batch = next(batches)
        t1 = clock()
        mod.forward(batch, is_train=True)
        t2 = clock()
        mod.backward()
        t3 = clock()
        mod.update()
        t4 = clock()
        mod.update_metric(metric, batch.label)
        t5 = clock()
        for name, a, b in (('iterator', t0, t1), ('forward', t1, t2), ('backward', t2, t3),
                           ('update', t3, t4), ('metric', t4, t5)):
            phase[name] += b - a
    total = clock() - t_all
    ms = 1e3 / nb
    print('%s: %d batches of %d, %.2f ms/batch, %.0f samples/s'
          % (model, nb, BATCH, total * ms, nb * BATCH / total))
    print()
    print('| phase | ms/batch | share | of which kernels | overhead ms/batch |')
    print('|---|---|---|---|---|')
    kern = {'forward': sum(v for (o, w), v in KERNEL.items() if w == 'forward'),
            'backward': sum(v for (o, w), v in KERNEL.items() if w == 'backward')}
    for name in ('iterator', 'forward', 'backward', 'update', 'metric'):
        k = kern.get(name)
        print('| %s | %.3f | %.0f%% | %s | %s |'
              % (name, phase[name] * ms, 100 * phase[name] / total,
                 '-' if k is None else '%.3f' % (k * ms),
                 '-' if k is None else '%.3f' % ((phase[name] - k) * ms)))
    rest = total - sum(phase.values())
    print('| (loop) | %.3f | %.0f%% | - | - |' % (rest * ms, 100 * rest / total))
    print()
    print('| operator | pass | calls/batch | ms/batch | share of step |')
    print('|---|---|---|---|---|')
    for (op, which), v in sorted(KERNEL.items(), key=lambda kv: -kv[1]):
        print('| %s | %s | %.0f | %.3f | %.1f%% |'
              % (op, which, CALLS[(op, which)] / nb, v * ms, 100 * v / total))


if __name__ == '__main__':
    main(sys.argv[1:])
