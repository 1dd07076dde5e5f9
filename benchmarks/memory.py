"""Planned executor memory for big networks, naive vs planned, next to MXNet's figures.

usage: python benchmarks/memory.py [--batch 32] [--json] [MODEL ...]
       MODEL: resnet-50 (v2, MXNet's default 'resnet'), vgg-16, inception-bn (default: all
       three), or resnet-50-v1, resnet-18, alexnet, mobilenet.

Each model is bound with simple_bind on data (batch, 3, 224, 224) twice: for training
(grad_req 'write' on the parameters, 'null' on data and label, as Module binds) and for
inference (grad_req 'null'). Binding only plans and reserves zero-filled blocks (untouched
pages cost no RAM), so this runs in seconds and little memory.

The figures are the executor's internal values (operator outputs and the gradients of
intermediate values) as `debug_str()` totals them ('Total N MB allocated'); parameters,
their gradients and auxiliary states are listed separately, since MXNet's debug_str
leaves them out too. 'naive' gives every value and gradient its own block; the inference
lower bound is the largest set of values that must coexist at one forward step. MXNet 1.9.1's totals for batch 32 (its memory-planning notes):
training 2640 / 2427 / 1398 MB and inference 226 / 910 / 167 MB for ResNet-50 / VGG-16 /
Inception-BN.
"""
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import mxlite as mx  # noqa: E402

MB = float(1 << 20)
MODELS = {
    'resnet-50': lambda: mx.models.resnet(num_layers=50),
    'vgg-16': lambda: mx.models.vgg(num_layers=16),
    'inception-bn': lambda: mx.models.inception_bn(),
    'resnet-50-v1': lambda: mx.models.resnet_v1(num_layers=50),
    'resnet-18': lambda: mx.models.resnet(num_layers=18),
    'alexnet': lambda: mx.models.alexnet(),
    'mobilenet': lambda: mx.models.mobilenet(),
}
MXNET_MB = {'resnet-50': (2640, 226), 'vgg-16': (2427, 910), 'inception-bn': (1398, 167)}


def _total_mb(ex):
    """The 'Total N MB allocated' figure of the executor's debug_str."""
    last = ex.debug_str().strip().splitlines()[-1]
    assert last.startswith('Total ') and last.endswith(' MB allocated'), last
    return int(last.split()[1])


def _lower_bound_mb(ex):
    """Peak of the bytes that must be live at once in a forward pass (each step's live
    values, its outputs, and its inputs unless the op may overwrite them): no plan for
    this graph and step order can use less. Reads executor internals; None if they moved.
    """
    try:
        from mxlite.graph import memory
        g = ex._graph
        n = len(g.nodes)
        last = [-1] * g.num_entries
        for i in range(n):
            for e in g.input_entries(i):
                last[e] = max(last[e], i)
        for e in g.heads:
            last[e] = n
        size = {}
        start = {}
        for i, node in enumerate(g.nodes):
            if node.op is None:
                continue
            for e in g.output_entries(i):
                start[e] = i
                size[e] = memory._nbytes(ex._shapes[e], ex._types[e] or 'float32')
                last[e] = max(last[e], i)
        peak = 0
        for i, node in enumerate(g.nodes):
            if node.op is None:
                continue
            live = sum(size[e] for e in start if start[e] <= i <= last[e])
            ins, outs = g.input_entries(i), g.output_entries(i)
            for src, dst in node.op.inplace:
                e = ins[src] if src < len(ins) else None
                if e in start and last[e] == i and size[e] >= size[outs[dst]]:
                    live -= size[outs[dst]]
            peak = max(peak, live)
        return round(peak / MB)
    except (AttributeError, KeyError, TypeError, IndexError):
        return None


def plan(name, batch):
    net = MODELS[name]()
    shape = (batch, 3, 224, 224)
    out = {'model': name, 'batch': batch}
    for mode in ('training', 'inference'):
        if mode == 'training':
            req = {n: ('null' if n in ('data', 'softmax_label') else 'write')
                   for n in net.list_arguments()}
        else:
            req = 'null'
        t0 = time.perf_counter()
        ex = net.simple_bind(mx.cpu(), grad_req=req, data=shape)
        bind_s = time.perf_counter() - t0
        st = ex._plan_stats
        params = sum(a.size * 4 for n, a in ex.arg_dict.items()
                     if n not in ('data', 'softmax_label'))
        grads = sum(g.size * 4 for n, g in ex.grad_dict.items() if g is not None)
        aux = sum(a.size * 4 for a in ex.aux_dict.values())
        naive_values = st['naive_bytes']
        naive_grads = st.get('naive_grad_bytes', 0) if mode == 'training' else 0
        planned = st.get('planned_bytes', st['forward_bytes'] + st.get('grad_bytes', 0))
        out[mode] = {
            'naive_mb': round((naive_values + naive_grads) / MB),
            'naive_values_mb': round(naive_values / MB),
            'naive_grads_mb': round(naive_grads / MB),
            'planned_mb': round(planned / MB), 'total_mb': _total_mb(ex),
            'lower_bound_mb': _lower_bound_mb(ex) if mode == 'inference' else None,
            'inplace': st['inplace'], 'params_mb': round(params / MB),
            'param_grads_mb': round(grads / MB), 'aux_mb': round(aux / MB),
            'bind_s': round(bind_s, 2),
        }
        del ex
    return out


def main(argv):
    batch = 32
    if '--batch' in argv:
        i = argv.index('--batch')
        batch = int(argv[i + 1])
        argv = argv[:i] + argv[i + 2:]
    as_json = '--json' in argv
    names = [a for a in argv if not a.startswith('--')] or ['resnet-50', 'vgg-16',
                                                             'inception-bn']
    rows = [plan(n, batch) for n in names]
    if as_json:
        for r in rows:
            print(json.dumps(r))
        return
    print('Executor memory at batch %d, data 3x224x224 (MB; internal values = operator '
          'outputs + gradients of intermediate values)' % batch)
    print()
    print('| model | mode | naive (values + gradients) | planned = debug_str total | saved '
          '| MXNet 1.9.1 | planned / MXNet | inference lower bound | in place '
          '| params + param grads + aux |')
    print('|---|---|---|---|---|---|---|---|---|---|')
    for r in rows:
        for k, mode in enumerate(('training', 'inference')):
            m = r[mode]
            ref = MXNET_MB.get(r['model'], (None, None))[k] if batch == 32 else None
            print('| %s | %s | %d (%d + %d) | %d | %.0f%% | %s | %s | %s | %d | %d + %d + %d |'
                  % (r['model'], mode, m['naive_mb'], m['naive_values_mb'],
                     m['naive_grads_mb'], m['total_mb'],
                     100.0 * (1 - m['planned_mb'] / max(m['naive_mb'], 1)),
                     '-' if ref is None else ref,
                     '-' if ref is None else '%.2fx' % (m['total_mb'] / ref),
                     '-' if m['lower_bound_mb'] is None else m['lower_bound_mb'],
                     m['inplace'], m['params_mb'], m['param_grads_mb'], m['aux_mb']))


if __name__ == '__main__':
    main(sys.argv[1:])
