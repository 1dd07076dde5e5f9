"""Control-flow operators whose bodies are subgraphs: _foreach, _while_loop, _cond.

The node carries its bodies as Symbols (``node.subgraphs``, seen by the kernels as
``p.subgraphs``), in MXNet's symbol-JSON layout. The ``*_locs`` attributes say which
node input feeds which body input (positions in the body's ``list_inputs()``, or in
the node's inputs for _while_loop/_cond). The kernels run a body with mxlite's own
executor, bound once per input shape and kept in ``ctx.state``, and loop in Python over
the time axis / iterations; backward replays the steps in reverse through the body's
backward, carrying the loop-state gradients and summing the parameter gradients.
Users build these nodes with ``mx.sym.contrib.foreach`` / ``while_loop`` / ``cond``.
"""
import numpy as np

from ..base import MXNetError
from .registry import Int, Operator, Shape, register, shape_check


def _out_names(n):
    return ['output'] if n == 1 else ['output%d' % i for i in range(n)]


def _body(p, k, op):
    subs = p.get('subgraphs')
    if not subs or len(subs) <= k:
        raise MXNetError('%s: the node has no subgraph %d (its body); build it with '
                         'mx.sym.contrib.%s or load it from JSON that has a "subgraphs" '
                         'list' % (op, k, op.strip('_')))
    return subs[k]


def _sub_inputs(sym):
    """(graph, positions of the body's input variables in list_inputs() order)."""
    from ..graph.ir import Graph
    g = Graph(sym._entries)
    return g, [i for i, n in enumerate(g.nodes) if n.op is None]


def _sub_infer(sym, values, kind):
    """Infer a body: `values` per body input (None = unknown) -> (inputs, outputs)."""
    from ..graph import infer
    g, var_pos = _sub_inputs(sym)
    known = {g.nodes[i].name: v for i, v in zip(var_pos, values) if v is not None}
    run = infer.infer_shapes if kind == 'shape' else infer.infer_types
    res = run(g, known)
    return [res[g.row_ptr[i]] for i in var_pos], [res[e] for e in g.heads]


def _same(a, b, kind):
    if a is None or b is None:
        return True
    return tuple(a) == tuple(b) if kind == 'shape' else np.dtype(a) == np.dtype(b)


def _fmt(v, kind):
    return str(tuple(v)) if kind == 'shape' else np.dtype(v).name


class _Runner:
    """A body bound to its own arrays; `run` copies inputs in and returns the outputs."""

    def __init__(self, sym, ctx, arrays, with_grad):
        from ..context import cpu
        from ..executor import Executor
        from ..ndarray.ndarray import NDArray
        ctx = ctx or cpu()
        self.names = sym.list_inputs()
        arg_names = sym.list_arguments()
        aux_names = set(sym.list_auxiliary_states())
        own = {n: NDArray(np.array(a, copy=True), ctx) for n, a in zip(self.names, arrays)}
        grads = {n: NDArray(np.zeros_like(own[n]._data), ctx) for n in arg_names} \
            if with_grad else None
        self.ex = Executor(sym, ctx, {n: own[n] for n in arg_names}, grads,
                           'write' if with_grad else 'null',
                           {n: own[n] for n in own if n in aux_names})
        self.slots = [own[n]._data for n in self.names]
        self.grads = [grads.get(n)._data if grads and n in grads else None
                      for n in self.names]
        self.ctx = ctx

    def run(self, arrays, is_train):
        for dst, src in zip(self.slots, arrays):
            dst[...] = src
        return [o._data for o in self.ex.forward(is_train=is_train)]

    def backward(self, arrays, ograds):
        """Gradients of the body's inputs (None for aux states) at inputs `arrays`."""
        from ..ndarray.ndarray import NDArray
        self.run(arrays, True)
        self.ex.backward([NDArray(np.ascontiguousarray(g), self.ctx) for g in ograds])
        return [None if g is None else g.copy() for g in self.grads]


def _runner(ctx, k, sym, arrays, with_grad):
    """The cached runner of body `k` for these input shapes and dtypes."""
    key = ('body', k, with_grad) + tuple((a.shape, a.dtype.str) for a in arrays)
    r = ctx.state.get(key)
    if r is None:
        r = ctx.state[key] = _Runner(sym, ctx.ctx, arrays, with_grad)
    return r


def _first(*values):
    return next((v for v in values if v is not None), None)


# --------------------------------------------------------------------------- foreach
@register
class Foreach(Operator):
    """Run a body subgraph over axis 0 of its data inputs, carrying loop states.

    Inputs are the data arrays, then the initial states, then the body's other free
    inputs (parameters); outputs are the per-step outputs stacked on axis 0, then the
    final states. Built by ``mx.sym.contrib.foreach``.

    Examples
    --------
    >>> import mxlite as mx
    >>> outs, st = mx.sym.contrib.foreach(lambda x, s: (x + s[0], [x + s[0]]),
    ...                                   mx.sym.var('x'), [mx.sym.var('s')])
    >>> g = mx.sym.Group([outs, st[0]])
    >>> r = g.eval(x=mx.nd.array([[1.], [2.], [3.]]), s=mx.nd.array([0.]))
    >>> r[0].asnumpy().ravel().tolist(), r[1].asnumpy().tolist()
    ([1.0, 3.0, 6.0], [6.0])
    """
    name = '_foreach'
    hidden = True
    key_var_num_args = 'num_args'
    params = {'num_args': Int(), 'num_outputs': Int(), 'num_out_data': Int(),
              'in_state_locs': Shape(), 'in_data_locs': Shape(), 'remain_locs': Shape()}

    def list_arguments(self, p):
        return ['data%d' % i for i in range(p.num_args - 1)]

    def list_outputs(self, p):
        return _out_names(p.num_outputs)

    def _body_values(self, p, ins, time_axis):
        """Node inputs -> per-body-input values (a data input loses its time axis)."""
        nd, ns = len(p.in_data_locs), len(p.in_state_locs)
        vals = [None] * (p.num_args - 1)
        for j, loc in enumerate(p.in_data_locs):
            v = ins[j]
            vals[loc] = None if v is None else time_axis(v)
        for j, loc in enumerate(p.in_state_locs):
            vals[loc] = ins[nd + j]
        for j, loc in enumerate(p.remain_locs):
            vals[loc] = ins[nd + ns + j]
        return vals

    def _infer(self, p, ins, kind):
        sym = _body(p, 0, self.name)
        nd, ns = len(p.in_data_locs), len(p.in_state_locs)
        if kind == 'shape':
            for j, s in enumerate(ins[:nd]):
                shape_check(s is None or len(s) >= 1, 'foreach: data input %d has shape %s; '
                            'it needs a time axis 0 to iterate over', j, s)
        vals = self._body_values(p, ins, (lambda v: tuple(v)[1:]) if kind == 'shape'
                                 else (lambda v: v))
        body_in, body_out = _sub_infer(sym, vals, kind)
        length = next((s[0] for s in ins[:nd] if s is not None), None) \
            if kind == 'shape' else None
        new_in = list(ins)
        for j, loc in enumerate(p.in_state_locs):   # a state keeps its shape and dtype
            got, init = body_out[p.num_out_data + j], ins[nd + j]
            if not _same(init, got, kind):
                raise (MXNetError if kind != 'shape' else _shape_error())(
                    'foreach: loop state %d (%s) has %s %s on entry but the body returns '
                    '%s %s; the body must keep each state\'s %s'
                    % (j, sym.list_inputs()[loc], kind, _fmt(init, kind), kind,
                       _fmt(got, kind), kind))
            new_in[nd + j] = _first(init, got, body_in[loc])
        for j, loc in enumerate(p.remain_locs):
            new_in[nd + ns + j] = _first(ins[nd + ns + j], body_in[loc])
        for j, loc in enumerate(p.in_data_locs):
            if new_in[j] is None and body_in[loc] is not None:
                new_in[j] = (length,) + tuple(body_in[loc]) if kind == 'shape' \
                    and length is not None else (body_in[loc] if kind != 'shape' else None)
        outs = []
        for k, o in enumerate(body_out):
            if kind == 'shape' and k < p.num_out_data:
                o = None if o is None or length is None else (length,) + tuple(o)
            outs.append(o)
        return new_in, outs

    def infer_shape(self, p, in_shapes):
        return self._infer(p, in_shapes, 'shape')

    def infer_type(self, p, in_types):
        return self._infer(p, in_types, 'dtype')

    def forward(self, p, inputs, outputs, ctx):
        sym = _body(p, 0, self.name)
        nd, ns = len(p.in_data_locs), len(p.in_state_locs)
        length = inputs[0].shape[0] if nd else 0
        vals = self._body_values(p, inputs, lambda v: v[0])
        steps = []
        for t in range(length):
            for j, loc in enumerate(p.in_data_locs):
                vals[loc] = inputs[j][t]
            r = _runner(ctx, 0, sym, vals, False)
            if ctx.is_train:
                steps.append(list(vals))
            outs = r.run(vals, ctx.is_train)
            for k in range(p.num_out_data):
                outputs[k][t] = outs[k]
            for j, loc in enumerate(p.in_state_locs):
                vals[loc] = outs[p.num_out_data + j].copy()
        for j in range(ns):
            outputs[p.num_out_data + j][...] = vals[p.in_state_locs[j]] if length else \
                inputs[nd + j]
        ctx.state['steps'] = steps

    def backward(self, p, ograds, inputs, outputs, ctx):
        sym = _body(p, 0, self.name)
        nd, ns = len(p.in_data_locs), len(p.in_state_locs)
        grads = [np.zeros_like(a) for a in inputs]
        carry = [ograds[p.num_out_data + j] for j in range(ns)]
        for t in reversed(range(len(ctx.state.get('steps', ())))):
            vals = ctx.state['steps'][t]
            r = _runner(ctx, 0, sym, vals, True)
            body_g = r.backward(vals, [ograds[k][t] for k in range(p.num_out_data)] + carry)
            for j, loc in enumerate(p.in_data_locs):
                if body_g[loc] is not None:
                    grads[j][t] = body_g[loc]
            carry = [body_g[loc] if body_g[loc] is not None else np.zeros_like(vals[loc])
                     for loc in p.in_state_locs]
            for j, loc in enumerate(p.remain_locs):
                if body_g[loc] is not None:
                    grads[nd + ns + j] += body_g[loc]
        for j in range(ns):
            grads[nd + j][...] = carry[j]
        return grads


def _shape_error():
    from ..base import ShapeError
    return ShapeError


# --------------------------------------------------------------------------- while_loop
def _loop_var_pos(p):
    """Node-input position of each loop variable (through the func body's inputs)."""
    return [p.func_input_locs[loc] for loc in p.func_var_locs]


@register
class WhileLoop(Operator):
    """Run a func subgraph while a cond subgraph gives a nonzero scalar.

    Subgraph 0 is the condition, subgraph 1 the step function (step outputs, then the
    new loop variables). At most `max_iterations` steps run; the step outputs are
    stacked on axis 0 to `max_iterations` rows, the rows of steps that did not run are
    zero (MXNet leaves them unset). Built by ``mx.sym.contrib.while_loop``.

    Examples
    --------
    >>> import mxlite as mx
    >>> i = mx.sym.var('i')
    >>> outs, st = mx.sym.contrib.while_loop(lambda i: i < 3, lambda i: (i * 10, [i + 1]),
    ...                                      [i], max_iterations=4)
    >>> r = mx.sym.Group([outs, st[0]]).eval(i=mx.nd.array([0.]))
    >>> r[0].asnumpy().ravel().tolist(), r[1].asnumpy().tolist()
    ([0.0, 10.0, 20.0, 0.0], [3.0])
    """
    name = '_while_loop'
    hidden = True
    key_var_num_args = 'num_args'
    params = {'num_args': Int(), 'num_outputs': Int(), 'num_out_data': Int(),
              'max_iterations': Int(), 'cond_input_locs': Shape(),
              'func_input_locs': Shape(), 'func_var_locs': Shape()}

    def list_arguments(self, p):
        return ['data%d' % i for i in range(p.num_args - 2)]

    def list_outputs(self, p):
        return _out_names(p.num_outputs)

    def _infer(self, p, ins, kind):
        func = _body(p, 1, self.name)
        var_pos = _loop_var_pos(p)
        vals = [ins[loc] for loc in p.func_input_locs]
        body_in, body_out = _sub_infer(func, vals, kind)
        new_in = list(ins)
        for loc, v in zip(p.func_input_locs, body_in):
            if new_in[loc] is None:
                new_in[loc] = v
        for j, pos in enumerate(var_pos):
            got = body_out[p.num_out_data + j]
            if not _same(new_in[pos], got, kind):
                raise (MXNetError if kind != 'shape' else _shape_error())(
                    'while_loop: loop variable %d (%s) has %s %s on entry but func returns '
                    '%s %s; func must keep each loop variable\'s %s'
                    % (j, func.list_inputs()[p.func_var_locs[j]], kind,
                       _fmt(new_in[pos], kind), kind, _fmt(got, kind), kind))
            if new_in[pos] is None:
                new_in[pos] = got
        outs = list(body_out[:p.num_out_data])
        if kind == 'shape':
            outs = [None if o is None else (p.max_iterations,) + tuple(o) for o in outs]
        outs += [new_in[pos] for pos in var_pos]
        return new_in, outs

    def infer_shape(self, p, in_shapes):
        return self._infer(p, in_shapes, 'shape')

    def infer_type(self, p, in_types):
        return self._infer(p, in_types, 'dtype')

    def forward(self, p, inputs, outputs, ctx):
        cond, func = _body(p, 0, self.name), _body(p, 1, self.name)
        var_pos = _loop_var_pos(p)
        cur = list(inputs)
        steps = []
        for k in range(p.num_out_data):
            outputs[k][...] = 0
        for t in range(p.max_iterations):
            cvals = [cur[loc] for loc in p.cond_input_locs]
            pred = _runner(ctx, 0, cond, cvals, False).run(cvals, False)[0]
            if not pred.ravel()[0]:
                break
            fvals = [cur[loc] for loc in p.func_input_locs]
            if ctx.is_train:
                steps.append(fvals)
            outs = _runner(ctx, 1, func, fvals, False).run(fvals, ctx.is_train)
            for k in range(p.num_out_data):
                outputs[k][t] = outs[k]
            cur = list(cur)
            for j, pos in enumerate(var_pos):
                cur[pos] = outs[p.num_out_data + j].copy()
        for j, pos in enumerate(var_pos):
            outputs[p.num_out_data + j][...] = cur[pos]
        ctx.state['steps'] = steps

    def backward(self, p, ograds, inputs, outputs, ctx):
        func = _body(p, 1, self.name)
        var_pos = _loop_var_pos(p)
        grads = [np.zeros_like(a) for a in inputs]
        carry = [ograds[p.num_out_data + j] for j in range(len(var_pos))]
        steps = ctx.state.get('steps', ())
        for t in reversed(range(len(steps))):
            fvals = steps[t]
            body_g = _runner(ctx, 1, func, fvals, True).backward(
                fvals, [ograds[k][t] for k in range(p.num_out_data)] + carry)
            new_carry = [np.zeros_like(c) for c in carry]
            for i, loc in enumerate(p.func_input_locs):
                if body_g[i] is None:
                    continue
                if loc in var_pos:   # flows to the previous step's loop variable
                    new_carry[var_pos.index(loc)] += body_g[i]
                else:
                    grads[loc] += body_g[i]
            carry = new_carry
        for j, pos in enumerate(var_pos):
            grads[pos] += carry[j]
        return grads


# --------------------------------------------------------------------------- cond
@register
class Cond(Operator):
    """Run the then or the else subgraph, as the pred subgraph's scalar is nonzero or not.

    Subgraphs: 0 the predicate, 1 the then branch, 2 the else branch; both branches give
    outputs of the same shapes and dtypes. Gradients flow through the branch taken (the
    inputs only the other branch reads get zeros). Built by ``mx.sym.contrib.cond``.

    Examples
    --------
    >>> import mxlite as mx
    >>> a = mx.sym.var('a')
    >>> c = mx.sym.contrib.cond(a > 0, lambda: a * 2, lambda: a - 5)
    >>> c.eval(a=mx.nd.array([3.]))[0].asnumpy(), c.eval(a=mx.nd.array([-3.]))[0].asnumpy()
    (array([6.], dtype=float32), array([-8.], dtype=float32))
    """
    name = '_cond'
    hidden = True
    key_var_num_args = 'num_args'
    params = {'num_args': Int(), 'num_outputs': Int(), 'cond_input_locs': Shape(),
              'then_input_locs': Shape(), 'else_input_locs': Shape()}
    nograd_inputs = ()

    def list_arguments(self, p):
        return ['data%d' % i for i in range(p.num_args - 3)]

    def list_outputs(self, p):
        return _out_names(p.num_outputs)

    def _infer(self, p, ins, kind):
        new_in = list(ins)
        results = []
        for k, locs in ((0, p.cond_input_locs), (1, p.then_input_locs),
                        (2, p.else_input_locs)):
            body_in, body_out = _sub_infer(_body(p, k, self.name),
                                           [ins[loc] for loc in locs], kind)
            for loc, v in zip(locs, body_in):
                if new_in[loc] is None:
                    new_in[loc] = v
            results.append(body_out)
        outs = []
        for i, (a, b) in enumerate(zip(results[1], results[2])):
            if not _same(a, b, kind):
                raise (MXNetError if kind != 'shape' else _shape_error())(
                    'cond: output %d has %s %s in then_func but %s in else_func; both '
                    'branches must give outputs of the same %s'
                    % (i, kind, _fmt(a, kind), _fmt(b, kind), kind))
            outs.append(a if a is not None else b)
        return new_in, outs

    def infer_shape(self, p, in_shapes):
        return self._infer(p, in_shapes, 'shape')

    def infer_type(self, p, in_types):
        return self._infer(p, in_types, 'dtype')

    def _branch(self, p, inputs, ctx):
        cvals = [inputs[loc] for loc in p.cond_input_locs]
        pred = _runner(ctx, 0, _body(p, 0, self.name), cvals, False).run(cvals, False)[0]
        return (1, p.then_input_locs) if pred.ravel()[0] else (2, p.else_input_locs)

    def forward(self, p, inputs, outputs, ctx):
        k, locs = self._branch(p, inputs, ctx)
        vals = [inputs[loc] for loc in locs]
        outs = _runner(ctx, k, _body(p, k, self.name), vals, False).run(vals, ctx.is_train)
        for dst, src in zip(outputs, outs):
            dst[...] = src
        ctx.state['branch'] = k

    def backward(self, p, ograds, inputs, outputs, ctx):
        k = ctx.state.get('branch') or self._branch(p, inputs, ctx)[0]
        locs = (None, p.then_input_locs, p.else_input_locs)[k]
        vals = [inputs[loc] for loc in locs]
        body_g = _runner(ctx, k, _body(p, k, self.name), vals, True).backward(vals, ograds)
        grads = [np.zeros_like(a) for a in inputs]
        for loc, g in zip(locs, body_g):
            if g is not None:
                grads[loc] += g
        return grads
