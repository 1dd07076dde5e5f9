"""Shape and dtype inference over a Graph, forwards and backwards, to a fixed point.

Each operator's rule may fill in unknown input shapes (FullyConnected gives its weight's
shape from the data's) as well as output shapes; the pass sweeps the graph until nothing
changes. Every failure names the node, the op, the input and both shapes.
"""
import ast

import numpy as np

from ..base import MXNetError, ShapeError, TypeInferError, np_dtype


def _fmt_inputs(node, values):
    try:
        names = node.input_names()
    except Exception:  # an unparseable op still gets a message
        names = []
    parts = []
    for i, v in enumerate(values):
        label = names[i] if i < len(names) else 'input%d' % i
        parts.append('%s=%s' % (label, 'unknown' if v is None else str(v)))
    return ', '.join(parts)


def variable_shape(node):
    """The `__shape__` attribute of a variable, or None; dims of 0 mean unknown (None)."""
    text = node.attrs.get('__shape__')
    if not text:
        return None
    shape = tuple(ast.literal_eval(text))
    if any(d == 0 or d is None for d in shape):
        return None
    return shape


def _merge(values, eid, new, graph, node, slot, kind):
    """Store `new` for entry `eid`; -> True if it changed. Conflicts raise."""
    if new is None:
        return False
    old = values[eid]
    if old is None:
        values[eid] = tuple(new) if kind == 'shape' else new
        return True
    same = tuple(old) == tuple(new) if kind == 'shape' else old == new
    if not same:
        names = node.input_names()
        label = names[slot] if slot < len(names) else 'input %d' % slot
        src = node.inputs[slot][0]
        err = ShapeError if kind == 'shape' else TypeInferError
        raise err("%s: input '%s' (%s) has %s %s but the operator expects %s" % (
            node.where(), label, src.name, kind, _fmt(old, kind), _fmt(new, kind)))
    return False


def _fmt(v, kind):
    return str(tuple(v)) if kind == 'shape' else np.dtype(v).name


def _run_pass(graph, values, rule, kind):
    nodes = graph.nodes
    for _ in range(len(nodes) + 1):
        changed = False
        for i, node in enumerate(nodes):
            if node.op is None:
                continue
            in_e = graph.input_entries(i)
            out_e = graph.output_entries(i)
            ins = [values[e] for e in in_e]
            outs = [values[e] for e in out_e]
            try:
                new_in, new_out = rule(node, ins, outs)
            except (ShapeError, TypeInferError) as exc:
                err = type(exc)
                raise err('%s: %s. Input %ss: %s' % (node.where(), exc, kind,
                                                      _fmt_inputs(node, ins))) from None
            except MXNetError:
                raise
            except (ValueError, TypeError, IndexError, ZeroDivisionError) as exc:
                err = ShapeError if kind == 'shape' else TypeInferError
                raise err('%s: cannot infer %s: %s. Input %ss: %s' % (
                    node.where(), kind, exc, kind, _fmt_inputs(node, ins))) from None
            for slot, (e, v) in enumerate(zip(in_e, new_in)):
                changed |= _merge(values, e, v, graph, node, slot, kind)
            for k, (e, v) in enumerate(zip(out_e, new_out)):
                if v is None:
                    continue
                old = values[e]
                if old is not None and (tuple(old) != tuple(v) if kind == 'shape' else old != v):
                    err = ShapeError if kind == 'shape' else TypeInferError
                    raise err('%s: output %d has %s %s but is expected to be %s' % (
                        node.where(), k, kind, _fmt(v, kind), _fmt(old, kind)))
                if old is None:
                    values[e] = tuple(v) if kind == 'shape' else v
                    changed = True
        if not changed:
            break
    return values


def infer_shapes(graph, known):
    """Entry shapes (tuple or None) given {variable name: shape}."""
    values = [None] * graph.num_entries
    for i, node in enumerate(graph.nodes):
        if node.op is None:
            shape = known.get(node.name)
            if shape is None:
                shape = variable_shape(node)
            if shape is not None:
                values[graph.row_ptr[i]] = tuple(int(d) for d in shape)

    def rule(node, ins, outs):
        if _takes_out_shapes(node.op) and any(o is not None for o in outs):
            return node.op.infer_shape(node.params, ins, outs)
        return node.op.infer_shape(node.params, ins)
    return _run_pass(graph, values, rule, 'shape')


_TAKES_OUT = {}


def _takes_out_shapes(op):
    """Does op.infer_shape accept known output shapes (to infer inputs backwards)?"""
    key = type(op)
    if key not in _TAKES_OUT:
        import inspect
        try:
            _TAKES_OUT[key] = 'out_shapes' in inspect.signature(op.infer_shape).parameters
        except (TypeError, ValueError):
            _TAKES_OUT[key] = False
    return _TAKES_OUT[key]


def infer_types(graph, known):
    """Entry dtypes (np.dtype or None) given {variable name: dtype}."""
    values = [None] * graph.num_entries
    for i, node in enumerate(graph.nodes):
        if node.op is None:
            dtype = known.get(node.name)
            if dtype is None and '__dtype__' in node.attrs:
                dtype = np_dtype(int(node.attrs['__dtype__']))
            if dtype is not None:
                values[graph.row_ptr[i]] = np_dtype(dtype)

    def rule(node, ins, outs):
        new_in, new_out = node.op.infer_type(node.params, ins)
        return ([None if t is None else np_dtype(t) for t in new_in],
                [None if t is None else np_dtype(t) for t in new_out])
    return _run_pass(graph, values, rule, 'dtype')
