"""Inference speed of the model zoo at small input sizes: batch 1 and 64.

usage: python benchmarks/inference.py [--batches 1,64] [--seconds S] [--json] [MODEL ...]

Each model is bound for inference (simple_bind, grad_req='null'); every iteration copies a
fresh random batch into `data` and runs forward(is_train=False), then reads the output
back as NumPy (what serving code does). Three warm-up iterations, then iterations until
S seconds (default 1.5) or at least 5 have run; the table gives the median latency per
batch and samples/s from the median.
"""
import json
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import numpy as np  # noqa: E402
import mxlite as mx  # noqa: E402

M = mx.models
# name -> (builder, data shape without batch)
MODELS = {
    'mlp': (lambda: M.mlp(num_classes=10), (784,)),
    'lenet': (lambda: M.lenet(num_classes=10), (1, 28, 28)),
    'alexnet': (lambda: M.alexnet(num_classes=100), (3, 112, 112)),
    'vgg-16': (lambda: M.vgg(num_classes=10, num_layers=16), (3, 32, 32)),
    'resnet-20-cifar': (lambda: M.resnet(num_classes=10, num_layers=20,
                                         image_shape=(3, 28, 28)), (3, 28, 28)),
    'resnet-18-v1': (lambda: M.resnet_v1(num_classes=10, num_layers=18,
                                         image_shape=(3, 32, 32)), (3, 32, 32)),
    'resnet-50-v2': (lambda: M.resnet(num_classes=100, num_layers=50,
                                      image_shape=(3, 64, 64)), (3, 64, 64)),
    'inception-bn': (lambda: M.inception_bn(num_classes=100), (3, 64, 64)),
    'mobilenet': (lambda: M.mobilenet(num_classes=100), (3, 64, 64)),
}


def measure(name, batch, seconds):
    build, shape = MODELS[name]
    net = build()
    ex = net.simple_bind(mx.cpu(), grad_req='null', data=(batch,) + shape)
    rng = np.random.default_rng(0)
    for k, a in ex.arg_dict.items():
        if k not in ('data', 'softmax_label'):
            a[:] = (rng.standard_normal(a.shape) * 0.05).astype(np.float32)
    for a in ex.aux_dict.values():   # moving_var: ones keep BatchNorm in range
        a[:] = 1.0
    inputs = [rng.random((batch,) + shape, dtype=np.float32) for _ in range(4)]
    data = ex.arg_dict['data']
    times = []
    t_end = None
    k = 0
    while True:
        t0 = time.perf_counter()
        data[:] = inputs[k % 4]
        out = ex.forward(is_train=False)[0].asnumpy()
        t1 = time.perf_counter()
        k += 1
        if k <= 3:
            continue
        if t_end is None:
            t_end = t0 + seconds
        times.append(t1 - t0)
        if t1 >= t_end and len(times) >= 5:
            break
    assert out.shape[0] == batch and np.isfinite(out).all()
    med = statistics.median(times)
    return {'model': name, 'batch': batch, 'input': 'x'.join(map(str, shape)),
            'iterations': len(times), 'latency_ms': round(med * 1e3, 3),
            'samples_per_s': round(batch / med, 1),
            'min_latency_ms': round(min(times) * 1e3, 3)}


def main(argv):
    batches = [1, 64]
    seconds = 1.5
    if '--batches' in argv:
        i = argv.index('--batches')
        batches = [int(b) for b in argv[i + 1].split(',')]
        argv = argv[:i] + argv[i + 2:]
    if '--seconds' in argv:
        i = argv.index('--seconds')
        seconds = float(argv[i + 1])
        argv = argv[:i] + argv[i + 2:]
    as_json = '--json' in argv
    names = [a for a in argv if not a.startswith('--')] or list(MODELS)
    unknown = [n for n in names if n not in MODELS]
    if unknown:
        raise SystemExit('unknown model %s; known: %s' % (unknown[0], ', '.join(MODELS)))
    rows = [measure(n, b, seconds) for n in names for b in batches]
    if as_json:
        for r in rows:
            print(json.dumps(r))
        return
    print('| model | input | batch | latency ms (median) | samples/s | iterations |')
    print('|---|---|---|---|---|---|')
    for r in rows:
        print('| %s | %s | %d | %.2f | %.0f | %d |' % (
            r['model'], r['input'], r['batch'], r['latency_ms'], r['samples_per_s'],
            r['iterations']))


if __name__ == '__main__':
    main(sys.argv[1:])
