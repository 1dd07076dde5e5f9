"""Fusing ``op(...) + y`` into the op, for forward-only executors.

A residual block ends in ``elemwise_add(conv_out, shortcut)``. Computed plainly, the
convolution's output needs a buffer of its own while the shortcut is still alive, so both
full-size activations coexist. When the convolution can add into its output
(`Operator.forward_accumulates`) and nothing else reads the shortcut afterwards, the
convolution adds straight into the shortcut's buffer and the addition has nothing left to
do — MXNet's oneDNN backend does the same ('sum' post-op) at inference. This removes one
full-size buffer per residual block and one pass over it.

Only forward-only graphs (no backward plan) are fused: there, what the monitor sees as the
op's output is already the sum, as in MXNet's fused graphs. ``MXLITE_FUSE=0`` turns it off.
"""
import os
from collections import namedtuple

ADD_OPS = ('elemwise_add',)

AddFusion = namedtuple('AddFusion', 'producer add value other')
AddFusion.__doc__ = """`producer` (node) adds its output `value` (entry) into the buffer
of `other` (entry); node `add` then has nothing to compute: its output is `other`'s
buffer."""


def enabled():
    return os.environ.get('MXLITE_FUSE', '1') != '0'


def add_fusions(graph, shapes, types):
    """The AddFusions that are safe in a forward-only pass over `graph`, at most one per
    add node and per producer."""
    users = graph.consumers()
    heads = set(graph.heads)
    producer = {}
    for i, node in enumerate(graph.nodes):
        for e in graph.output_entries(i):
            producer[e] = i
    found = []
    for a, node in enumerate(graph.nodes):
        if node.op is None or node.op.name not in ADD_OPS:
            continue
        ins = graph.input_entries(a)
        if len(ins) != 2 or ins[0] == ins[1]:
            continue
        for slot in (0, 1):
            fusion = _fusable(graph, shapes, types, users, heads, producer, a, ins, slot)
            if fusion is not None:
                found.append(fusion)
                break
    return found


def _fusable(graph, shapes, types, users, heads, producer, a, ins, slot):
    """An AddFusion if the add node `a` can be folded into the producer of input `slot`."""
    value, other = ins[slot], ins[1 - slot]
    c = producer[value]
    op = graph.nodes[c].op
    if op is None or not op.forward_accumulates or value != graph.row_ptr[c]:
        return None
    if (1 - slot, 0) not in graph.nodes[a].op.inplace:
        return None
    if value in heads or other in heads or len(users[value]) != 1:
        return None
    if graph.nodes[producer[other]].op is None:
        return None   # a bound argument: never written over
    if producer[other] >= c or other in graph.input_entries(c):
        return None   # the other operand must exist before, and not feed, the producer
    # nobody but the add may read `other` once the producer has added into it
    if any(i != a and i >= c for i, _ in users[other]):
        return None
    if shapes[value] != shapes[other] or types[value] != types[other]:
        return None
    return AddFusion(c, a, value, other)
