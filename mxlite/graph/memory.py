"""Buffer planning for bound graphs: one buffer per value, with statistics.

Every operator output gets a buffer sized from the inferred shape; variables use the
arrays the user bound. `describe` reports the plan in MXNet's `Total N MB allocated` form.
"""
import numpy as np


def _nbytes(shape, dtype):
    return int(np.prod(shape, dtype=np.int64)) * np.dtype(dtype).itemsize


def allocate(graph, shapes, types, var_arrays, backward_plan, xp):
    """-> (buffers per entry, stats). Variable entries alias the bound arrays."""
    bufs = [None] * graph.num_entries
    total = 0
    for i, node in enumerate(graph.nodes):
        if node.op is None:
            bufs[graph.row_ptr[i]] = var_arrays[node.name]
            continue
        for e in graph.output_entries(i):
            dtype = types[e] if types[e] is not None else np.float32
            bufs[e] = xp.zeros(shapes[e], dtype=dtype)
            total += _nbytes(shapes[e], dtype)
    return bufs, {'forward_bytes': total, 'naive_bytes': total}


def allocate_grads(graph, shapes, types, plan, xp):
    """Gradient buffers of intermediate values: entry id -> array (zeros)."""
    out = {}
    for e in sorted(plan.grad_entries):
        dtype = types[e] if types[e] is not None else np.float32
        out[e] = xp.zeros(shapes[e], dtype=dtype)
    return out


def describe(stats):
    mb = stats['forward_bytes'] / float(1 << 20)
    return 'Total %d MB allocated\n' % int(round(mb))
