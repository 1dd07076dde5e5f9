"""The memory planner never lets two live values share storage, and sharing changes no
result (random graphs, forward-only and training)."""
import numpy as np
import pytest

import mxlite as mx
from mxlite.graph import memory
from mxlite.graph.gradient import plan_backward
from mxlite.graph.infer import infer_shapes, infer_types
from mxlite.graph.ir import Graph

UNARY = ['negative', '_copy']
BINARY = ['elemwise_add', 'elemwise_mul', 'elemwise_sub', 'broadcast_add']


def random_graph(rng, n_nodes, n_vars=3):
    values = [mx.sym.var('v%d' % i) for i in range(n_vars)]
    for _ in range(n_nodes):
        if rng.rand() < 0.3:
            op = getattr(mx.sym._internal, UNARY[rng.randint(len(UNARY))])
            values.append(op(values[rng.randint(len(values))]))
        else:
            op = getattr(mx.sym._internal, BINARY[rng.randint(len(BINARY))])
            a, b = rng.randint(len(values), size=2)
            values.append(op(values[a], values[b]))
    heads = [values[-1]] + [values[i] for i in rng.choice(len(values) - n_vars, 2) + n_vars]
    return mx.sym.Group(heads)


def check_no_overlap(graph, storage, pinned, inplace):
    n = len(graph.nodes)
    born, last = {}, {}
    for i, node in enumerate(graph.nodes):
        for e in graph.output_entries(i):
            born[e] = i
            last.setdefault(e, i)
        for e in graph.input_entries(i):
            last[e] = max(last.get(e, -1), i)
    for e in list(graph.heads) + list(pinned):
        last[e] = n
    allowed = set(inplace)
    by_sid = {}
    for e, sid in enumerate(storage):
        if sid is not None:
            by_sid.setdefault(sid, []).append(e)
    for entries in by_sid.values():
        for a in entries:
            for b in entries:
                if born[a] >= born[b] or a == b:
                    continue
                # a is born first; b may only take the storage once a is dead, or in place
                # at the very step that reads a for the last time
                ok = born[b] > last[a] or (born[b] == last[a] and (b, a) in allowed)
                assert ok, ('entries %d and %d share storage while both live (%d-%d, %d-%d)'
                            % (a, b, born[a], last[a], born[b], last[b]))


@pytest.mark.parametrize('seed', range(25))
@pytest.mark.parametrize('training', [False, True])
def test_random_graphs_never_share_live_values(seed, training):
    rng = np.random.RandomState(seed)
    sym = random_graph(rng, n_nodes=rng.randint(3, 25))
    graph = Graph(sym._entries)
    shapes = infer_shapes(graph, {n: (3, 4) for n in sym.list_arguments()})
    types = infer_types(graph, {n: np.float32 for n in sym.list_arguments()})
    reqs = {n: ('write' if training else 'null') for n in sym.list_arguments()}
    bp = plan_backward(graph, reqs)
    pinned = memory.pinned_for_backward(graph, bp)
    storage, _, inplace = memory.plan_storage(graph, shapes, types, pinned)
    check_no_overlap(graph, storage, pinned, inplace)
    # and the numbers agree with an unshared run
    args = {n: mx.nd.array(rng.randn(3, 4)) for n in sym.list_arguments()}
    grads = {n: mx.nd.zeros((3, 4)) for n in args} if training else None
    ex = sym.bind(mx.cpu(), args, args_grad=grads)
    outs = [o.asnumpy().copy() for o in ex.forward(is_train=training)]
    ref = []
    for i, head in enumerate(sym):
        own = {n: args[n] for n in head.list_arguments()}
        ref.append(head.bind(mx.cpu(), own).forward()[0].asnumpy())
    for o, r in zip(outs, ref):
        np.testing.assert_allclose(o, r, rtol=1e-6)
    if training:
        ex.backward([mx.nd.ones(o.shape) for o in outs])
        for name, g in grads.items():
            assert np.isfinite(g.asnumpy()).all()


def test_inference_plan_is_smaller_than_naive():
    data = mx.sym.var('data')
    net = data
    for i in range(6):
        net = mx.sym.FullyConnected(net, num_hidden=64, name='fc%d' % i)
        net = mx.sym.Activation(net, act_type='relu', name='relu%d' % i)
    ex = net.simple_bind(mx.cpu(), data=(32, 64), grad_req='null')
    stats = ex._plan_stats
    assert stats['forward_bytes'] < stats['naive_bytes'] / 2
    assert 'Total' in ex.debug_str().splitlines()[-1]
