"""Buffer planning for bound graphs, after MXNet's: liveness, in-place reuse, co-sharing.

Forward values and gradients are planned together on one timeline (forward steps, then
backward steps). A value lives from the step that writes it to the last step that reads
it: a forward consumer, or the backward step of a node whose op declares that its
gradient reads it (`backward_uses_inputs/outputs`). A gradient lives from its first
writer to its producer's backward step. Storage of dead values serves later ones by
MXNet's matching rule, and ops that allow it write over an input dying at that step.
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


class MemoryPlan:
    """Where every value lives: `storage[key]` is a block id for key ('v', entry) (a
    forward value) or ('g', entry) (the gradient of an entry); `sizes[block]` its bytes;
    `lifetime[key]` the (first, last) step using it on one timeline where forward step i
    is node i and backward step k comes at len(nodes) + k; `inplace` lists (new, old) keys
    that share a block because new overwrites old at the step where old dies; `fused`
    lists (value, other) keys of AddFusions (graph/fuse.py): value is added into other's
    storage, so the two share it while both live."""

    def __init__(self):
        self.storage, self.sizes, self.lifetime, self.inplace = {}, {}, {}, []
        self.fused = []
        self.offsets = {}   # byte offset of a key inside its block, when not 0


def _lifetimes(graph, backward_plan):
    n = len(graph.nodes)
    end = float(n + (len(backward_plan.steps) if backward_plan else 0) + 1)
    life = {}
    for i, node in enumerate(graph.nodes):
        if node.op is not None:
            for e in graph.output_entries(i):
                life[('v', e)] = [i, i]
        for e in graph.input_entries(i):
            if ('v', e) in life:
                life[('v', e)][1] = max(life[('v', e)][1], i)
    for e in graph.heads:
        if ('v', e) in life:
            life[('v', e)][1] = end
    if backward_plan is None:
        return life
    first = {}
    for k, step in enumerate(backward_plan.steps):
        t = n + k
        op = graph.nodes[step.node].op
        used = (graph.input_entries(step.node) if op.backward_uses_inputs else []) + \
            (graph.output_entries(step.node) if op.backward_uses_outputs else [])
        for e in used:
            if ('v', e) in life:
                life[('v', e)][1] = max(life[('v', e)][1], t)
        for tgt in step.targets:
            if tgt is not None and tgt.kind == 'entry':
                first.setdefault(tgt.entry, t)
    step_time = {step.node: n + k for k, step in enumerate(backward_plan.steps)}
    for e in backward_plan.grad_entries:
        born = n - 0.5 if e in backward_plan.head_needs_grad else first.get(e)
        if born is not None:  # a gradient nobody writes is a constant zero, not planned
            life[('g', e)] = [born, step_time.get(_producer(graph, e), end)]
    return life


def plan_memory(graph, shapes, types, backward_plan=None, share=True, arena=None,
                fusions=()):
    """A MemoryPlan for forward values and gradients on one timeline.

    Pure planning over the IR (no arrays), testable alone: two keys get the same block
    only if their lifetimes do not overlap, or the second overwrites the first in place
    at the step where the first dies (an op that declares `inplace`). Freed blocks serve
    later values by MXNet's matching rule (`match_block`); then, if it is smaller (or
    `arena` is true), one arena with every value at an offset replaces those blocks.
    `fusions` (AddFusions, applied only when sharing) put a producer's output in the
    storage of the value it is added into."""
    plan = MemoryPlan()
    plan.lifetime = life = _lifetimes(graph, backward_plan)
    n = len(graph.nodes)
    live, free = {}, []
    into = {('v', f.value): ('v', f.other) for f in fusions} if share else {}
    summed = {('v', graph.row_ptr[f.add]): ('v', f.other) for f in fusions} if share else {}
    for key in sorted(life, key=lambda k: (life[k][0], k[0] == 'g', k[1])):
        born, dies = life[key]
        e = key[1]
        nbytes = _nbytes(shapes[e], types[e] or np.float32)
        if share:
            for other in [k for k in live if life[k][1] < born]:
                free.append(live.pop(other))
        sid = None
        if key in into:   # added into a live value: no storage, and no life of its own
            plan.storage[key] = plan.storage[into[key]]
            plan.fused.append((key, into[key]))
            continue
        if key in summed:  # the add's output is the buffer that already holds the sum
            sid = live.pop(summed[key])
            plan.inplace.append((key, summed[key]))
        if sid is None and share:
            old = _inplace_source(graph, backward_plan, key, born, n, live, life, shapes,
                                  types)
            if old is not None:
                sid = live.pop(old)
                plan.inplace.append((key, old))
        if sid is None and share:
            sid = match_block([(plan.sizes[b], b) for b in free], nbytes)
            if sid is not None:
                free.remove(sid)
                plan.sizes[sid] = max(plan.sizes[sid], nbytes)  # grow a smaller block
        if sid is None:
            sid = len(plan.sizes)
            plan.sizes[sid] = max(nbytes, 1)
        plan.storage[key] = sid
        live[key] = sid
    if share:
        _repack(plan, shapes, types, force=bool(arena))
    return plan


def _repack(plan, shapes, types, force=False):
    """Replace the walk's blocks with one arena holding every value at a fixed offset,
    when that needs less memory. The walk decides blocks as values appear, so a small
    value can take (and grow) a block that a later large value then cannot use, and a
    block holds one value at a time; knowing every lifetime up front, values whose lives
    do not overlap are packed side by side. In-place pairs stay together as one group."""
    group = {key: key for key in plan.storage}

    def root(k):
        while group[k] != k:
            group[k] = group[group[k]]
            k = group[k]
        return k
    for new, old in plan.inplace + plan.fused:
        group[root(new)] = root(old)
    members = {}
    for key in plan.storage:
        members.setdefault(root(key), []).append(key)
    groups = list(members.values())
    items = [(min(plan.lifetime[k][0] for k in keys),
              max(plan.lifetime[k][1] for k in keys),
              max(_nbytes(shapes[k[1]], types[k[1]] or np.float32) for k in keys))
             for keys in groups]
    total, offsets = pack_offsets(items)
    if force or total < sum(plan.sizes.values()):
        plan.sizes = {0: max(total, 1)}
        plan.storage = {k: 0 for keys in groups for k in keys}
        plan.offsets = {k: off for keys, off in zip(groups, offsets) for k in keys}


ALIGN = 64  # bytes: every value in an arena starts on a cache line


def pack_offsets(items):
    """Offsets in one arena for (born, dies, nbytes) items such that items whose lives
    overlap (one dying at step t and one born at t do overlap) get disjoint byte ranges.
    Largest first; each goes into the tightest gap left by the items it overlaps in time,
    or above them all. Returns (arena bytes, offset per item)."""
    order = sorted(range(len(items)), key=lambda i: (-items[i][2], items[i][0], items[i][1]))
    placed = []        # (born, dies, start, end) of items already given an offset
    offsets = [0] * len(items)
    total = 0
    for i in order:
        born, dies, nbytes = items[i]
        size = -(-max(nbytes, 1) // ALIGN) * ALIGN
        busy = sorted((lo, hi) for b, d, lo, hi in placed if b <= dies and born <= d)
        best = gap = None
        top = 0
        for lo, hi in busy:
            if lo - top >= size and (gap is None or lo - top < gap):
                best, gap = top, lo - top
            top = max(top, hi)
        if best is None:
            best = top
        offsets[i] = best
        placed.append((born, dies, best, best + size))
        total = max(total, best + size)
    return total, offsets


def _inplace_source(graph, backward_plan, key, born, n, live, life, shapes, types):
    """The live key that `key` may overwrite in place at its first step, or None."""
    kind, e = key
    if kind == 'v':
        node = graph.nodes[born]
        ins = graph.input_entries(born)
        k = e - graph.row_ptr[born]
        for in_slot, out_slot in node.op.inplace:
            if out_slot != k or in_slot >= len(ins):
                continue
            src = ('v', ins[in_slot])
            # same size and type, as MXNet: Flatten and Reshape then run in place too
            if src in live and life[src][1] == born and ins.count(ins[in_slot]) == 1 and \
                    _same_size(shapes, src[1], e) and types[src[1]] == types[e]:
                return src
        return None
    if born < n:
        return None
    step = backward_plan.steps[int(born) - n]
    targets = [t for t in step.targets if t is not None]
    # only a step with a single input gradient: its kernel returns that gradient before
    # it is written over the (then dead) output gradient
    if len(targets) != 1 or targets[0].kind != 'entry' or targets[0].entry != e or \
            targets[0].mode != 'write':
        return None
    slot = step.targets.index(targets[0])
    outs = graph.output_entries(step.node)
    for in_slot, out_slot in graph.nodes[step.node].op.inplace:
        if in_slot == slot and out_slot < len(outs):
            src = ('g', outs[out_slot])
            if src in live and life[src][1] == born and _same_size(shapes, src[1], e) and \
                    types[src[1]] == types[e]:
                return src
    return None


def _same_size(shapes, a, b):
    return int(np.prod(shapes[a], dtype=np.int64)) == int(np.prod(shapes[b], dtype=np.int64))


def allocate(graph, shapes, types, var_arrays, backward_plan, xp, share=True, pool=None,
             fusions=()):
    """-> (buffers per entry, gradient buffers {entry: array}, stats).

    Variable entries alias the bound arrays. With a SharedPool (executors that never run
    at the same time) each plan is one arena, so a smaller executor's arena fits in a
    larger one's block."""
    plan = plan_memory(graph, shapes, types, backward_plan, share, arena=pool is not None,
                       fusions=fusions)
    if pool is None:
        blocks = {sid: xp.zeros(size, dtype=np.uint8) for sid, size in plan.sizes.items()}
    else:
        pool.begin()
        blocks = {sid: pool.claim(plan.sizes[sid], xp)
                  for sid in sorted(plan.sizes, key=lambda k: -plan.sizes[k])}

    def view(key, sid):
        e = key[1]
        dtype = np.dtype(types[e] if types[e] is not None else np.float32)
        start = plan.offsets.get(key, 0)
        raw = blocks[sid][start:start + _nbytes(shapes[e], dtype)]
        return raw.view(dtype).reshape(shapes[e])
    bufs = [None] * graph.num_entries
    grads = {}
    naive = naive_grad = 0
    for i, node in enumerate(graph.nodes):
        if node.op is None:
            bufs[graph.row_ptr[i]] = var_arrays[node.name]
    for (kind, e), sid in plan.storage.items():
        if kind == 'v':
            bufs[e] = view((kind, e), sid)
            naive += int(bufs[e].nbytes)
        else:
            grads[e] = view((kind, e), sid)
    if backward_plan is not None:
        for e in backward_plan.grad_entries:
            dtype = np.dtype(types[e] if types[e] is not None else np.float32)
            naive_grad += _nbytes(shapes[e], dtype)
            if e not in grads:  # no step writes it: it reads as zeros
                grads[e] = xp.zeros(shapes[e], dtype=dtype)
    total = sum(plan.sizes.values())
    applied = {value for value, _ in plan.fused}
    stats = {'forward_bytes': total, 'grad_bytes': 0, 'planned_bytes': total,
             'naive_bytes': naive, 'naive_grad_bytes': naive_grad,
             'inplace': len(plan.inplace),
             'fused': [f for f in fusions if ('v', f.value) in applied]}
    if pool is not None:
        stats['pool_bytes'] = pool.total
    return bufs, grads, stats


def _producer(graph, e):
    lo, hi = 0, len(graph.nodes)
    while lo < hi:  # row_ptr is sorted: find node i with row_ptr[i] <= e < row_ptr[i+1]
        mid = (lo + hi) // 2
        if graph.row_ptr[mid + 1] <= e:
            lo = mid + 1
        else:
            hi = mid
    return lo


def describe(stats, kept_bytes=0):
    """MXNet-style summary lines of a memory plan; `kept_bytes` (held by operators between
    forward and backward, outside the plan) gets a line of its own when not zero."""
    mb = 1.0 / (1 << 20)
    naive = stats['naive_bytes'] + stats.get('naive_grad_bytes', 0)
    total = stats['forward_bytes'] + stats.get('grad_bytes', 0)
    lines = ['Memory plan: %.2f MB for values and gradients (%.2f MB without sharing, '
             '%d written in place)' % (total * mb, naive * mb, stats['inplace'])]
    if kept_bytes:
        lines.append('Kept by operators for backward (outside the plan): %.2f MB'
                     % (kept_bytes * mb))
    lines.append('Total %d MB allocated' % int(round(total * mb)))
    return '\n'.join(lines) + '\n'
