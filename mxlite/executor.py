"""Executor: a symbol bound to arrays and compiled into a flat plan of kernel calls.

`bind` runs the graph passes once (shape and dtype inference, the gradient pass, buffer
planning) and produces two lists of steps whose input and output buffers are already
resolved; `forward` and `backward` only walk those lists.
"""
import numpy as np

from . import debug as _debug
from .base import MXNetError, did_you_mean, np_dtype
from .context import Context
from .graph import fuse, infer, memory
from .graph.gradient import plan_backward
from .graph.ir import Graph, describe_users
from .ndarray.ndarray import NDArray
from .ops.registry import OpContext

__all__ = ['Executor', 'simple_bind']

_REQS = ('write', 'add', 'null', 'inplace')


def assign_grads(targets, grads):
    """Write (or add) each input gradient of a backward step into its planned target."""
    for tgt, gval in zip(targets, grads):
        if tgt is None or gval is None:
            continue
        dst, mode = tgt
        if mode == 'write':
            if dst is not gval:
                np.copyto(dst, gval, casting='unsafe')
        else:
            np.add(dst, gval, out=dst, casting='unsafe')


def _as_list(what, value, names, allow_none, graph=None):
    """A list/dict/None of arrays -> list aligned with `names` (None where absent)."""
    if value is None:
        return [None] * len(names)
    if isinstance(value, dict):
        unknown = [k for k in value if k not in names]
        if unknown:
            raise MXNetError("bind: %s has '%s', which is not an input of the symbol%s; "
                             "expected names: %s" % (what, unknown[0],
                                                     did_you_mean(unknown[0], names),
                                                     ', '.join(names)))
        out = [value.get(n) for n in names]
    else:
        out = list(value)
        if len(out) != len(names):
            raise MXNetError('bind: %s has %d arrays but the symbol has %d (%s)'
                             % (what, len(out), len(names), ', '.join(names)))
    for n, a in zip(names, out):
        if a is None:
            if not allow_none:
                users = describe_users(graph, n) if graph is not None else ''
                raise MXNetError("bind: %s: no array given for '%s'%s; every one of %s "
                                 "needs an NDArray" % (what, n, users, ', '.join(names)))
        elif not isinstance(a, NDArray):
            raise TypeError("bind: %s['%s'] must be an NDArray, got %s"
                            % (what, n, type(a).__name__))
    return out


def _grad_reqs(grad_req, names, grads):
    if isinstance(grad_req, str):
        reqs = [grad_req] * len(names)
    elif isinstance(grad_req, dict):
        unknown = [k for k in grad_req if k not in names]
        if unknown:
            raise MXNetError("bind: grad_req names '%s', which is not an argument%s"
                             % (unknown[0], did_you_mean(unknown[0], names)))
        reqs = [grad_req.get(n, 'null') for n in names]
    else:
        reqs = list(grad_req)
        if len(reqs) != len(names):
            raise MXNetError('bind: grad_req has %d entries for %d arguments'
                             % (len(reqs), len(names)))
    for n, r in zip(names, reqs):
        if r not in _REQS:
            raise MXNetError("bind: grad_req '%s' for argument '%s' is not one of "
                             "'write', 'add', 'null'" % (r, n))
    # no buffer, no gradient
    return ['null' if g is None else ('write' if r == 'inplace' else r)
            for r, g in zip(reqs, grads)]


def _at_node(exc, node, what='forward'):
    """`exc` (raised inside a kernel) with the node named, unless it names it already."""
    where = node.where()
    text = str(exc)
    if where in text:
        return exc
    try:
        return type(exc)('%s (%s): %s' % (where, what, text))
    except TypeError:   # an error type with another constructor
        return MXNetError('%s (%s): %s' % (where, what, text))


class Executor:
    """A bound symbol. Made by `Symbol.bind` / `Symbol.simple_bind`.

    Examples
    --------
    >>> import mxlite as mx
    >>> a, b = mx.sym.var('a'), mx.sym.var('b')
    >>> ex = (a * b).bind(mx.cpu(), {'a': mx.nd.array([2.]), 'b': mx.nd.array([3.])},
    ...                   args_grad={'a': mx.nd.zeros(1)})
    >>> ex.forward(is_train=True)[0].asnumpy()
    array([6.], dtype=float32)
    >>> ex.backward(mx.nd.ones(1)); ex.grad_dict['a'].asnumpy()
    array([3.], dtype=float32)
    """

    def __init__(self, symbol, ctx, args, args_grad=None, grad_req='write', aux_states=None,
                 group2ctx=None, shared_exec=None):
        self._symbol = symbol
        self._ctx = Context(ctx) if not isinstance(ctx, Context) else ctx
        self._group2ctx = group2ctx
        # memory pool: shared with `shared_exec` (an executor that never runs at the same
        # time as this one, e.g. another bucket of a BucketingModule), as in MXNet
        same_dev = shared_exec is not None and shared_exec._ctx == self._ctx
        self._mem_pool = shared_exec._mem_pool if same_dev else memory.SharedPool()
        graph = Graph(symbol._entries)
        self._graph = graph
        arg_names = graph.arg_names()
        aux_names = graph.aux_names()
        self._arg_names, self._aux_names = arg_names, aux_names
        self.arg_arrays = _as_list('args', args, arg_names, False, graph)
        self.grad_arrays = _as_list('args_grad', args_grad, arg_names, True)
        self.aux_arrays = _as_list('aux_states', aux_states, aux_names, False, graph)
        self._grad_req = _grad_reqs(grad_req, arg_names, self.grad_arrays)
        for n, a, g in zip(arg_names, self.arg_arrays, self.grad_arrays):
            if g is not None and g.shape != a.shape:
                raise MXNetError("bind: gradient array for '%s' has shape %s but the argument "
                                 "has shape %s" % (n, g.shape, a.shape))
        self._monitor = None
        self._monitor_all = False
        self._nan_check = _debug.env_nan_check()   # MXLITE_NAN_CHECK=1
        self._forwarded = False
        self._compile()

    # ------------------------------------------------------------------ compile
    def _compile(self):
        g = self._graph
        known_shapes = {}
        known_types = {}
        for n, a in zip(self._arg_names + self._aux_names, self.arg_arrays + self.aux_arrays):
            known_shapes[n] = a.shape
            known_types[n] = a._data.dtype
        shapes = infer.infer_shapes(g, known_shapes)
        types = infer.infer_types(g, known_types)
        missing = [g.nodes[i].name for i, n in enumerate(g.nodes)
                   if n.op is not None and any(shapes[e] is None for e in g.output_entries(i))]
        if missing:
            raise MXNetError('bind: could not infer the output shapes of %s'
                             % ', '.join(missing))
        self._shapes, self._types = shapes, types
        xp = self._ctx.xp
        var_arrays = {}
        for n, a in zip(self._arg_names + self._aux_names, self.arg_arrays + self.aux_arrays):
            var_arrays[n] = a._data
        reqs = dict(zip(self._arg_names, self._grad_req))
        self._backward_plan = plan_backward(g, reqs)
        fusions = fuse.add_fusions(g, shapes, types) \
            if self._backward_plan is None and fuse.enabled() else ()
        self._buffers, self._grad_buffers, self._plan_stats = memory.allocate(
            g, shapes, types, var_arrays, self._backward_plan, xp, pool=self._mem_pool,
            fusions=fusions)
        fused = self._plan_stats.pop('fused')
        self._plan_stats['fused'] = len(fused)
        adds_into = {f.producer for f in fused}
        done_by_producer = {f.add for f in fused}
        bufs = self._buffers
        self._states = [dict() if n.op is not None else None for n in g.nodes]
        self._op_shared = {}
        steps = []
        for i, node in enumerate(g.nodes):
            if node.op is None:
                continue
            octx = OpContext(False, self._states[i], xp, self._ctx)
            octx.shared = self._op_shared
            forward = node.op.forward
            if i in adds_into:    # add into the buffer already holding the other operand
                octx.req = ['add'] + ['write'] * (len(g.output_entries(i)) - 1)
            elif i in done_by_producer:
                forward = _sum_already_written
            steps.append((forward, node.params,
                          [bufs[e] for e in g.input_entries(i)],
                          [bufs[e] for e in g.output_entries(i)], octx, i))
        self._fwd_steps = steps
        self._bwd_steps = self._compile_backward()
        self.outputs = [NDArray(bufs[e], self._ctx) for e in g.heads]

    def _compile_backward(self):
        bp = self._backward_plan
        if bp is None:
            return []
        g = self._graph
        bufs = self._buffers
        grad_of_arg = dict(zip(self._arg_names, self.grad_arrays))
        gbufs = self._grad_buffers
        steps = []
        for item in bp.steps:
            i = item.node
            node = g.nodes[i]
            octx = OpContext(True, self._states[i], self._ctx.xp, self._ctx)
            ograds = [gbufs[e] for e in g.output_entries(i)]
            targets = []
            for slot, tgt in enumerate(item.targets):
                if tgt is None:
                    targets.append(None)
                elif tgt.kind == 'arg':
                    targets.append((grad_of_arg[tgt.name]._data, tgt.mode))
                else:
                    targets.append((gbufs[tgt.entry], tgt.mode))
            # kernels may skip input gradients nobody reads (a first layer's data)
            octx.req = ['null' if t is None else t[1] for t in targets]
            octx.grad_dst = [t[0] if t is not None and t[1] == 'write' and
                             type(t[0]) is np.ndarray and t[0].flags.c_contiguous else None
                             for t in targets]
            steps.append((node.op.backward, node.params, ograds,
                          [bufs[e] for e in g.input_entries(i)],
                          [bufs[e] for e in g.output_entries(i)], octx, targets, i))
        return steps

    # ------------------------------------------------------------------ running
    def forward(self, is_train=False, **kwargs):
        """Run the graph; keyword arrays are first copied into the bound arguments."""
        if kwargs:
            arg_dict = self.arg_dict
            for name, value in kwargs.items():
                if name not in arg_dict:
                    raise MXNetError("forward: '%s' is not an argument%s; arguments are %s"
                                     % (name, did_you_mean(name, arg_dict),
                                        ', '.join(self._arg_names)))
                dst = arg_dict[name]
                src = value._data if isinstance(value, NDArray) else np.asarray(value)
                if tuple(src.shape) != dst.shape:
                    raise MXNetError("forward: '%s' has shape %s but the executor was bound "
                                     "with shape %s (use reshape to change it)"
                                     % (name, tuple(src.shape), dst.shape))
                dst._data[...] = src
        if self._monitor is None and not (self._nan_check or _debug._NAN_CHECK or
                                          _debug._PROFILE):
            i = None
            try:
                for fwd, p, ins, outs, octx, i in self._fwd_steps:
                    octx.is_train = is_train
                    fwd(p, ins, outs, octx)
            except MXNetError as exc:   # a kernel's value check: say which node
                raise _at_node(exc, self._graph.nodes[i]) from None
        else:
            _debug.run_forward(self, is_train)   # monitor, NaN check and/or profiler
        self._forwarded = True
        self._last_train = is_train
        return self.outputs

    def backward(self, out_grads=None, is_train=True):
        """Gradients of the heads into the bound gradient arrays.

        `out_grads` (one per output) is the head gradient; loss outputs (SoftmaxOutput,
        MakeLoss, ...) need none and ignore it.
        """
        bp = self._backward_plan
        if bp is None:
            return
        if not self._forwarded:
            raise MXNetError('backward() called before forward(); run forward(is_train=True) '
                             'first')
        g = self._graph
        if out_grads is not None and isinstance(out_grads, NDArray):
            out_grads = [out_grads]
        for k, e in enumerate(g.heads):
            buf = self._grad_buffers.get(e) if e in bp.head_needs_grad else None
            if buf is None:
                continue
            if out_grads is None or k >= len(out_grads) or out_grads[k] is None:
                raise MXNetError(
                    "backward: output %d ('%s') is not a loss, so it needs a head gradient: "
                    "pass out_grads=[...] with one array per output, or wrap the output in "
                    "MakeLoss to make it a loss" % (k, self._symbol.list_outputs()[k]))
            src = out_grads[k]
            src = src._data if isinstance(src, NDArray) else np.asarray(src)
            if tuple(src.shape) != buf.shape:
                raise MXNetError('backward: out_grads[%d] has shape %s but output %d has shape '
                                 '%s' % (k, tuple(src.shape), k, buf.shape))
            buf[...] = src
        if self._monitor is not None or self._nan_check or _debug._NAN_CHECK or \
                _debug._PROFILE:
            _debug.run_backward(self, is_train)   # monitor, NaN check and/or profiler
            return
        i = None
        try:
            for bwd, p, ograds, ins, outs, octx, targets, i in self._bwd_steps:
                octx.is_train = is_train
                assign_grads(targets, bwd(p, ograds, ins, outs, octx))
        except MXNetError as exc:
            raise _at_node(exc, self._graph.nodes[i], 'backward') from None

    # ------------------------------------------------------------------ dictionaries
    @property
    def arg_dict(self):
        return dict(zip(self._arg_names, self.arg_arrays))

    @property
    def grad_dict(self):
        return dict(zip(self._arg_names, self.grad_arrays))

    @property
    def aux_dict(self):
        return dict(zip(self._aux_names, self.aux_arrays))

    @property
    def output_dict(self):
        return dict(zip(self._symbol.list_outputs(), self.outputs))

    @property
    def symbol(self):
        return self._symbol

    def copy_params_from(self, arg_params, aux_params=None, allow_extra_params=False):
        """Copy values into the bound arrays by name (all checked before any is written)."""
        plan = []
        for params, table, what in ((arg_params, self.arg_dict, 'argument'),
                                    (aux_params or {}, self.aux_dict, 'aux state')):
            for name, value in params.items():
                if name not in table:
                    if allow_extra_params:
                        continue
                    raise MXNetError("copy_params_from: '%s' is not an %s of the executor%s"
                                     % (name, what, did_you_mean(name, table)))
                if tuple(value.shape) != table[name].shape:
                    raise MXNetError("copy_params_from: '%s' has shape %s, expected %s"
                                     % (name, tuple(value.shape), table[name].shape))
                plan.append((table[name], value))
        for dst, value in plan:
            dst._data[...] = value._data if isinstance(value, NDArray) else value

    def set_monitor_callback(self, callback, monitor_all=False):
        """Call callback(name, NDArray) on every output (and input, if monitor_all).

        As in MXNet, forward outputs are named ``<node>_<output>``, inputs (monitor_all)
        ``<node>_<input>`` plus the variable's own name, and gradients computed in
        backward ``<node>_backward_<k>``.
        """
        self._monitor = callback
        self._monitor_all = monitor_all

    def reshape(self, partial_shaping=False, allow_up_sizing=False, **kwargs):
        """A new executor for new input shapes, sharing this one's arrays where it can."""
        # shapes follow from the new ones where they can; the rest keep their current shape
        partial_args, _, partial_aux = self._symbol.infer_shape_partial(**kwargs)
        known = dict(kwargs)
        for n, a, s in zip(self._arg_names + self._aux_names,
                           self.arg_arrays + self.aux_arrays, partial_args + partial_aux):
            if s == () and n not in known:
                known[n] = a.shape
        new_shapes, _, new_aux = self._symbol.infer_shape(**known)
        if new_shapes is None:
            raise MXNetError('reshape: cannot infer all shapes from %s' % kwargs)

        def remake(arrays, shapes, names, what):
            out = []
            for n, a, s in zip(names, arrays, shapes):
                if a is None:
                    out.append(None)
                    continue
                if a.shape == tuple(s):
                    out.append(a)
                    continue
                if n not in kwargs and not partial_shaping:
                    raise MXNetError("reshape: the shape of %s '%s' changes from %s to %s; "
                                     "pass partial_shaping=True to allow it"
                                     % (what, n, a.shape, tuple(s)))
                size = int(np.prod(s))
                if size <= a.size:
                    # share memory with the original, as MXNet does
                    out.append(NDArray(a._data.reshape(-1)[:size].reshape(s), a.context))
                elif allow_up_sizing:
                    out.append(NDArray(np.zeros(s, dtype=a._data.dtype), a.context))
                else:
                    raise MXNetError("reshape: %s '%s' grows from %s to %s; pass "
                                     "allow_up_sizing=True" % (what, n, a.shape, tuple(s)))
            return out
        args = remake(self.arg_arrays, new_shapes, self._arg_names, 'argument')
        grads = remake(self.grad_arrays, new_shapes, self._arg_names, 'gradient')
        aux = remake(self.aux_arrays, new_aux, self._aux_names, 'aux state')
        reqs = dict(zip(self._arg_names, self._grad_req))
        return Executor(self._symbol, self._ctx, args, grads, reqs, aux, self._group2ctx)

    def debug_str(self):
        """The symbol's listing plus the memory plan, ending 'Total N MB allocated'."""
        return self._symbol.debug_str() + memory.describe(
            self._plan_stats, self._op_shared.get('kept_cols_bytes', 0))


def _sum_already_written(p, inputs, outputs, ctx):
    """The forward of an add fused into its operand's producer (graph/fuse.py)."""


def simple_bind(symbol, ctx, grad_req='write', type_dict=None, group2ctx=None,
                shared_exec=None, shared_arg_names=None, shared_buffer=None, shapes=None):
    """Bind `symbol` with zero-filled arrays whose shapes are inferred from `shapes`."""
    shapes = dict(shapes or {})
    arg_shapes, _, aux_shapes = symbol.infer_shape_partial(**shapes)
    arg_names = symbol.list_arguments()
    aux_names = symbol.list_auxiliary_states()
    undecided = [n for n, s in zip(arg_names + aux_names, arg_shapes + aux_shapes)
                 if s == () and n not in shapes]
    if undecided:
        graph = Graph(symbol._entries)
        raise MXNetError('simple_bind: cannot infer the shapes of %s from the given shapes %s; '
                         'pass them as keyword arguments (name=shape)'
                         % (', '.join("'%s'%s" % (n, describe_users(graph, n))
                                      for n in undecided), shapes))
    type_dict = {k: np_dtype(v) for k, v in (type_dict or {}).items()}
    arg_types, _, aux_types = symbol.infer_type_partial(**type_dict)
    ctx = Context(ctx)
    xp = ctx.xp
    if isinstance(grad_req, str):
        reqs = {n: grad_req for n in arg_names}
    elif isinstance(grad_req, dict):
        unknown = [k for k in grad_req if k not in arg_names]
        if unknown:
            raise MXNetError("simple_bind: grad_req names '%s', which is not an argument%s"
                             % (unknown[0], did_you_mean(unknown[0], arg_names)))
        reqs = {n: grad_req.get(n, 'null') for n in arg_names}
    else:
        reqs = dict(zip(arg_names, grad_req))
    shared_args = shared_exec.arg_dict if shared_exec is not None else {}
    shared_grads = shared_exec.grad_dict if shared_exec is not None else {}
    shared_aux = shared_exec.aux_dict if shared_exec is not None else {}
    if shared_arg_names is not None:
        shared_args = {k: v for k, v in shared_args.items() if k in shared_arg_names}

    def make(name, shape, dtype, pool):
        dtype = np.dtype(dtype if dtype is not None else np.float32)
        old = pool.get(name)
        if old is not None and old.shape == tuple(shape) and old._data.dtype == dtype:
            return old
        return NDArray(xp.zeros(shape, dtype=dtype), ctx)
    args = [make(n, s, t, shared_args) for n, s, t in zip(arg_names, arg_shapes, arg_types)]
    grads = [make(n, s, t, shared_grads) if reqs.get(n, 'null') != 'null' else None
             for n, s, t in zip(arg_names, arg_shapes, arg_types)]
    aux = [make(n, s, t, shared_aux) for n, s, t in zip(aux_names, aux_shapes, aux_types)]
    return Executor(symbol, ctx, args, grads, reqs, aux, group2ctx, shared_exec=shared_exec)
