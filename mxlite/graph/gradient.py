"""The gradient pass: which nodes run backward, and where each input gradient goes.

Walking the graph from the heads backwards, a node takes part when a gradient reaches one
of its outputs (or it is a loss head, which makes its own). Each input gradient it makes is
routed to an argument's gradient array or to the gradient buffer of an intermediate value;
the first contribution to a value writes and later ones add, so values used more than
once get the sum of their gradients.
"""


class Target:
    """Where one input gradient of a backward step goes."""
    __slots__ = ('kind', 'name', 'entry', 'mode')

    def __init__(self, kind, name, entry, mode):
        self.kind, self.name, self.entry, self.mode = kind, name, entry, mode

    def __repr__(self):
        return 'Target(%s %s, %s)' % (self.kind, self.name or self.entry, self.mode)


class Step:
    __slots__ = ('node', 'targets')

    def __init__(self, node, targets):
        self.node, self.targets = node, targets


class BackwardPlan:
    """steps: backward Steps in execution order; head_needs_grad: head entries fed from
    out_grads; grad_entries: entries whose gradient buffers backward reads or writes."""

    def __init__(self, steps, head_needs_grad, grad_entries, written_entries):
        self.steps = steps
        self.head_needs_grad = head_needs_grad
        self.grad_entries = grad_entries
        self.written_entries = written_entries


def is_loss(node):
    """A loss head makes its own gradient (some ops decide per parameters: is_loss_for)."""
    decide = getattr(node.op, 'is_loss_for', None)
    return decide(node.params) if decide is not None else node.op.is_loss


def needs_grad(graph, reqs):
    """Per entry: does any argument with a gradient request feed it?"""
    flags = [False] * graph.num_entries
    for i, node in enumerate(graph.nodes):
        if node.op is None:
            flags[graph.row_ptr[i]] = reqs.get(node.name, 'null') != 'null'
            continue
        skip = set(node.op.nograd_inputs)
        aux = set(node.aux_input_indices())
        flag = any(flags[e] for slot, e in enumerate(graph.input_entries(i))
                   if slot not in skip and slot not in aux)
        for e in graph.output_entries(i):
            flags[e] = flag
    return flags


def plan_backward(graph, reqs):
    """A BackwardPlan, or None when no argument wants a gradient."""
    flags = needs_grad(graph, reqs)
    if not any(flags[graph.row_ptr[i]] for i in graph.arg_nodes):
        return None
    head_nodes = {graph.index[id(n)] for n, _ in graph.head_entries}
    signal = [False] * graph.num_entries
    head_needs_grad = set()
    for i, (node, _) in zip(graph.heads, graph.head_entries):
        if node.op is not None and not is_loss(node) and flags[i]:
            signal[i] = True
            head_needs_grad.add(i)
    written = set(head_needs_grad)
    arg_seen = set()
    steps = []
    grad_entries = set()
    for i in range(len(graph.nodes) - 1, -1, -1):
        node = graph.nodes[i]
        if node.op is None:
            continue
        outs = graph.output_entries(i)
        active = any(signal[e] for e in outs) or (is_loss(node) and i in head_nodes)
        if not active or not flags[outs[0]]:
            continue
        grad_entries.update(outs)
        skip = set(node.op.nograd_inputs) | set(node.aux_input_indices())
        targets = []
        for slot, e in enumerate(graph.input_entries(i)):
            src = node.inputs[slot][0]
            if slot in skip or not flags[e]:
                targets.append(None)
                continue
            if src.op is None:
                req = reqs.get(src.name, 'null')
                mode = req if src.name not in arg_seen else 'add'
                arg_seen.add(src.name)
                targets.append(Target('arg', src.name, e, mode))
            else:
                mode = 'write' if e not in written else 'add'
                written.add(e)
                signal[e] = True
                targets.append(Target('entry', None, e, mode))
        steps.append(Step(i, targets))
    return BackwardPlan(steps, head_needs_grad, grad_entries, written)
