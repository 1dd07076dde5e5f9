"""Buffer planning for bound graphs, after MXNet's: liveness, in-place reuse, co-sharing.

Each operator output needs storage from the step that writes it to the last step that
reads it. Values that backward reads (inputs and outputs of nodes that run backward) stay
alive to the end. Storage freed by a dead value is reused by later values (best fit by
size), and an op that allows it writes its output over an input that dies at that step.
Gradient buffers of intermediate values are planned the same way over the backward steps.
"""
import numpy as np


def _nbytes(shape, dtype):
    return int(np.prod(shape, dtype=np.int64)) * np.dtype(dtype).itemsize


MATCH_RANGE = 16  # as MXNET_EXEC_MATCH_RANGE: blocks within 16x of a request may serve it


def match_block(free, nbytes):
    """MXNet's allocator rule over free (size, id) pairs: the smallest block at least
    `nbytes` and at most 16x larger; else the largest smaller block down to nbytes/16,
    which the caller grows (planning happens before allocation, so growing is free)."""
    larger = [(size, i) for size, i in free if nbytes <= size <= nbytes * MATCH_RANGE]
    if larger:
        return min(larger)[1]
    smaller = [(size, i) for size, i in free if nbytes / MATCH_RANGE <= size < nbytes]
    if smaller:
        return max(smaller)[1]
    return None


class _Pool:
    """Blocks of raw storage handed out by best fit and taken back when values die.

    Planning only records block sizes; `materialize` then allocates them (from a
    SharedPool, largest first, when one is given) and `view` gives the typed views."""

    def __init__(self, xp, shared=None):
        self.xp = xp
        self.shared = shared  # a SharedPool to draw the blocks from, or None
        self.sizes = []       # bytes of each planned block
        self.free = []        # indices into sizes
        self.blocks = None    # raw uint8 arrays, after materialize()

    def take(self, nbytes):
        best = match_block([(self.sizes[i], i) for i in self.free], nbytes)
        if best is not None:
            self.free.remove(best)
            self.sizes[best] = max(self.sizes[best], int(nbytes))  # grow a smaller block
            return best
        self.sizes.append(max(int(nbytes), 1))
        return len(self.sizes) - 1

    def give(self, idx):
        self.free.append(idx)

    def materialize(self):
        if self.shared is None:
            self.blocks = [self.xp.zeros(n, dtype=np.uint8) for n in self.sizes]
            return
        self.blocks = [None] * len(self.sizes)
        for idx in sorted(range(len(self.sizes)), key=lambda k: -self.sizes[k]):
            self.blocks[idx] = self.shared.claim(self.sizes[idx], self.xp)

    def view(self, idx, shape, dtype):
        n = _nbytes(shape, dtype)
        return self.blocks[idx][:n].view(dtype).reshape(shape)

    @property
    def total(self):
        return sum(self.sizes)


class SharedPool:
    """Raw blocks shared by executors that never run at the same time (the buckets of a
    BucketingModule: each is bound with ``shared_exec=<default bucket's executor>``).

    Each executor claims distinct blocks for its own values (`begin` starts its claims),
    taking the smallest free block that fits before allocating a new one; so a bucket no
    larger than the ones already bound needs no new memory.
    """

    def __init__(self):
        self.blocks = []
        self._taken = set()

    def begin(self):
        """Start the claims of a new executor (its forward then its gradient values)."""
        self._taken = set()

    def claim(self, nbytes, xp):
        nbytes = max(int(nbytes), 1)
        best = None
        for i, b in enumerate(self.blocks):
            if i not in self._taken and b.nbytes >= nbytes and (
                    best is None or b.nbytes < self.blocks[best].nbytes):
                best = i
        if best is None:
            self.blocks.append(xp.zeros(nbytes, dtype=np.uint8))
            best = len(self.blocks) - 1
        self._taken.add(best)
        return self.blocks[best]

    @property
    def total(self):
        return sum(int(b.nbytes) for b in self.blocks)


def plan_storage(graph, shapes, types, pinned, share=True):
    """-> (storage id per entry or None for variables, [(entry, kind)] in-place records).

    Pure planning over the IR (no arrays), so it can be tested alone: two entries get the
    same storage id only if their live ranges do not overlap, or the second writes in place
    over the first at the step where the first dies.
    """
    n = len(graph.nodes)
    last_use = [-1] * graph.num_entries
    for i in range(n):
        for e in graph.input_entries(i):
            last_use[e] = max(last_use[e], i)
    for e in graph.heads:
        last_use[e] = n
    for e in pinned:
        last_use[e] = n
    storage = [None] * graph.num_entries
    sizes = {}
    free = []       # (nbytes, storage id)
    next_id = [0]
    inplace = []

    def fresh(nbytes):
        sid = next_id[0]
        next_id[0] += 1
        sizes[sid] = nbytes
        return sid

    for i, node in enumerate(graph.nodes):
        if node.op is None:
            continue
        in_entries = graph.input_entries(i)
        dying = [e for e in set(in_entries) if last_use[e] == i and storage[e] is not None]
        taken_inplace = set()
        for k, e in enumerate(graph.output_entries(i)):
            nbytes = _nbytes(shapes[e], types[e] or np.float32)
            sid = None
            if share:
                for src_slot, out_slot in node.op.inplace:
                    if out_slot != k or src_slot >= len(in_entries):
                        continue
                    src = in_entries[src_slot]
                    if (src in dying and src not in taken_inplace and
                            in_entries.count(src) == 1 and sizes[storage[src]] >= nbytes and
                            shapes[src] == shapes[e] and types[src] == types[e]):
                        sid = storage[src]
                        taken_inplace.add(src)
                        inplace.append((e, src))
                        break
                if sid is None:
                    best = match_block([(sizes[cand], cand) for _, cand in free], nbytes)
                    if best is not None:
                        free[:] = [item for item in free if item[1] != best]
                        sid = best
                        sizes[sid] = max(sizes[sid], nbytes)  # grow a smaller block
            if sid is None:
                sid = fresh(nbytes)
            storage[e] = sid
        if share:
            for e in dying:
                if e not in taken_inplace:
                    free.append((sizes[storage[e]], storage[e]))
        # outputs nobody reads die at once
        for e in graph.output_entries(i):
            if last_use[e] == -1 and share:
                free.append((sizes[storage[e]], storage[e]))
    return storage, sizes, inplace


def pinned_for_backward(graph, backward_plan):
    """Entries backward reads: the inputs and/or outputs of each node that runs backward,
    as its op declares (backward_uses_inputs / backward_uses_outputs). A kernel may still
    look at the shape of an unpinned value: its view keeps shape and dtype."""
    pinned = set()
    if backward_plan is None:
        return pinned
    for step in backward_plan.steps:
        op = graph.nodes[step.node].op
        if op.backward_uses_inputs:
            pinned.update(graph.input_entries(step.node))
        if op.backward_uses_outputs:
            pinned.update(graph.output_entries(step.node))
    return pinned


def allocate(graph, shapes, types, var_arrays, backward_plan, xp, share=True, pool=None):
    """-> (buffers per entry, stats). Variable entries alias the bound arrays.

    With a SharedPool the blocks come from it (largest values first, each taking the
    smallest free block that fits) and stats['pool_bytes'] is the pool's size after."""
    pinned = pinned_for_backward(graph, backward_plan)
    storage, sizes, inplace = plan_storage(graph, shapes, types, pinned, share)
    if pool is None:
        blocks = {sid: xp.zeros(max(size, 1), dtype=np.uint8) for sid, size in sizes.items()}
    else:
        pool.begin()
        blocks = {sid: pool.claim(sizes[sid], xp)
                  for sid in sorted(sizes, key=lambda k: -sizes[k])}
    bufs = [None] * graph.num_entries
    naive = 0
    for i, node in enumerate(graph.nodes):
        if node.op is None:
            bufs[graph.row_ptr[i]] = var_arrays[node.name]
            continue
        for e in graph.output_entries(i):
            dtype = np.dtype(types[e] if types[e] is not None else np.float32)
            nbytes = _nbytes(shapes[e], dtype)
            naive += nbytes
            bufs[e] = blocks[storage[e]][:nbytes].view(dtype).reshape(shapes[e])
    planned = sum(sizes.values())
    stats = {'forward_bytes': planned, 'naive_bytes': naive, 'inplace': len(inplace),
             'grad_bytes': 0, 'naive_grad_bytes': 0}
    if pool is not None:
        stats['pool_bytes'] = pool.total
    return bufs, stats


def allocate_grads(graph, shapes, types, plan, xp, share=True, pool=None):
    """Gradient buffers of intermediate values (entry id -> zeros), sharing storage between
    gradients whose backward lifetimes do not overlap (and with other executors' values
    through `pool`, a SharedPool, after the same executor's `allocate`)."""
    # lifetime in backward-step order: from its first writer to its producer's step
    step_of_node = {s.node: k for k, s in enumerate(plan.steps)}
    first = {}
    for k, s in enumerate(plan.steps):
        for t in s.targets:
            if t is not None and t.kind == 'entry':
                first.setdefault(t.entry, k)
    out = {}
    shared = pool
    pool = _Pool(xp, shared)
    events = []
    for e in sorted(plan.grad_entries):
        node = _producer(graph, e)
        start = -1 if e in plan.head_needs_grad else first.get(e)
        end = step_of_node.get(node, len(plan.steps))
        events.append((start if start is not None else -1, end, e))
    live = {}       # entry -> (last backward step reading it, block index)
    views = []
    naive = 0
    for start, end, e in sorted(events, key=lambda x: (x[0], x[2])):
        dtype = np.dtype(types[e] if types[e] is not None else np.float32)
        nbytes = _nbytes(shapes[e], dtype)
        naive += nbytes
        if share:
            for key, (last, idx) in list(live.items()):
                if last < start:
                    pool.give(idx)
                    del live[key]
        # a gradient nobody writes must read as zeros: give it its own block
        if first.get(e) is None and e not in plan.head_needs_grad:
            out[e] = xp.zeros(shapes[e], dtype=dtype)
            continue
        idx = _grad_inplace(graph, plan, start, e, live, shapes, types) if share else None
        if idx is None:
            idx = pool.take(nbytes)
        views.append((e, idx, shapes[e], dtype))
        live[e] = (end, idx)
    pool.materialize()
    for e, idx, shape, dtype in views:
        out[e] = pool.view(idx, shape, dtype)
    out_stats = {'grad_bytes': pool.total, 'naive_grad_bytes': naive}
    if shared is not None:
        out_stats['pool_bytes'] = shared.total
    return out, out_stats


def _grad_inplace(graph, plan, step, e, live, shapes, types):
    """The block of the output gradient that gradient `e` may overwrite at `step`, or None.

    Only for a step with one input gradient, of an op whose forward may run in place
    (Activation, Flatten, Dropout, scalar ops ...): its kernel returns the new gradient
    before it is written, and the output gradient is dead after this step.
    """
    if step < 0:
        return None
    item = plan.steps[step]
    targets = [t for t in item.targets if t is not None]
    if len(targets) != 1 or targets[0].kind != 'entry' or targets[0].entry != e \
            or targets[0].mode != 'write':
        return None
    node = graph.nodes[item.node]
    slot = item.targets.index(targets[0])
    outs = graph.output_entries(item.node)
    for in_slot, out_slot in node.op.inplace:
        if in_slot != slot or out_slot >= len(outs):
            continue
        o = outs[out_slot]
        if o in live and live[o][0] == step and shapes[o] == shapes[e] and \
                types[o] == types[e]:
            return live.pop(o)[1]
    return None


def _producer(graph, e):
    lo, hi = 0, len(graph.nodes)
    while lo < hi:  # row_ptr is sorted: find node i with row_ptr[i] <= e < row_ptr[i+1]
        mid = (lo + hi) // 2
        if graph.row_ptr[mid + 1] <= e:
            lo = mid + 1
        else:
            hi = mid
    return lo


def describe(stats):
    """MXNet-style summary lines of a memory plan."""
    mb = 1.0 / (1 << 20)
    lines = ['Memory plan: forward values %.2f MB planned (naive %.2f MB, %d in place)'
             % (stats['forward_bytes'] * mb, stats['naive_bytes'] * mb, stats['inplace'])]
    if stats.get('naive_grad_bytes'):
        lines.append('Memory plan: gradients %.2f MB planned (naive %.2f MB)'
                     % (stats['grad_bytes'] * mb, stats['naive_grad_bytes'] * mb))
    total = stats['forward_bytes'] + stats.get('grad_bytes', 0)
    lines.append('Total %d MB allocated' % int(round(total * mb)))
    return '\n'.join(lines) + '\n'
