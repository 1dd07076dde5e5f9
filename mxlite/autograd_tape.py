"""The autograd tape: recorded operator calls, and backward passes over them.

Every imperative call made while `autograd.record()` is on becomes a `_Node` holding the
operator record, its parsed params, the entries of its inputs (where each input came from)
and the arrays the kernel read and wrote. An NDArray's ``_ag_entry`` says where it came
from: ``(node, k)`` for output k of a recorded node, a `_Var` for an array marked with
`attach_grad`/`mark_variables`, or None for a constant. There is no global tape list: a
graph lives as long as the arrays that lead to it, like MXNet's.

`backward` walks the reachable nodes in reverse recording order, calls each record's
``backward(p, ograds, inputs, outputs, ctx)`` and routes the input gradients along the
entries, summing where a value was used more than once. `grad(..., create_graph=True)`
runs the walk again with gradient rules written as recorded mx.nd calls (the `_DIFF`
table below), so the gradients are themselves differentiable.
"""
import itertools
import weakref

import numpy as np

from . import autograd
from .base import MXNetError, attr_to_str
from .ndarray.ndarray import NDArray
from .ops.registry import OpContext

__all__ = ['record_op', 'mark_variables', 'backward', 'grad', 'get_symbol', 'Function',
           'check_inplace']

_NODE_IDS = itertools.count()
_VAR_IDS = itertools.count()
_CONST_IDS = itertools.count()
_REQS = ('write', 'add', 'null')

_FREED_MSG = ("the computational graph of this array was freed by an earlier backward(); "
              "pass retain_graph=True to the first backward() (or autograd.grad) to "
              "differentiate the same graph more than once")
_INPLACE_MSG = ("Assigning to NDArrays that are already in a computational graph will cause "
                "undefined behavior when evaluating gradients. Please call backward first "
                "to clear the graph or do this outside of a record section. Also note that "
                "you cannot use inplace operations like +=, *=, relu(x, out=x), y[idx]=x, "
                "etc inside a record section.")


class _Var:
    """A marked variable: gradients flowing here go to the array's `.grad`."""
    __slots__ = ('ref', 'name')

    def __init__(self, arr):
        self.ref = weakref.ref(arr)
        self.name = 'var%d' % next(_VAR_IDS)


class _Node:
    """One recorded operator call."""
    __slots__ = ('op', 'p', 'ins', 'in_data', 'out_data', 'state', 'ctx', 'seq', 'freed')

    def __init__(self, op, p, ins, in_data, out_data, state, ctx):
        self.op, self.p, self.ins = op, p, ins
        self.in_data, self.out_data = in_data, out_data
        self.state, self.ctx = state, ctx
        self.seq = next(_NODE_IDS)
        self.freed = False

    def free(self):
        self.freed = True
        self.ins, self.in_data, self.out_data, self.state = (), None, None, None


def _live(entry):
    """The entry, or None when it points into a graph that backward has freed."""
    if type(entry) is tuple and entry[0].freed:
        return None
    return entry


def record_op(op, p, inputs, outputs, state):
    """Record one imperative call (called by `invoke` while recording)."""
    ins = [x._ag_entry for x in inputs]
    for i, e in enumerate(ins):
        if type(e) is tuple and e[0].freed:
            ins[i] = None
    ctx = inputs[0]._ctx if inputs else (outputs[0]._ctx if outputs else None)
    node = _Node(op, p, ins, [x._data for x in inputs], [o._data for o in outputs], state, ctx)
    for k, o in enumerate(outputs):
        o._ag_entry = (node, k)
    return node


def in_graph(arr):
    """True when `arr` is a marked variable or the output of a live recorded graph."""
    e = arr._ag_entry
    if e is None:
        return False
    if isinstance(e, _Var):
        return arr._grad_req != 'null'
    return not e[0].freed


def check_inplace(arr):
    """Raise as MXNet does when a recorded in-place write targets an array in a graph.

    Call it (while recording) before `x += y`, `op(..., out=x)` or `x[idx] = y` write
    into `x`.
    """
    if in_graph(arr):
        raise MXNetError(_INPLACE_MSG)


# ----------------------------------------------------------------------------- variables
def _as_list(value, what):
    if isinstance(value, NDArray):
        return [value], True
    if value is None:
        return None, False
    value = list(value)
    for i, v in enumerate(value):
        if v is not None and not isinstance(v, NDArray):
            raise TypeError('%s[%d] must be an NDArray, got %s' % (what, i, type(v).__name__))
    return value, False


def mark_variables(variables, gradients, grad_reqs='write'):
    """Mark arrays as variables whose gradients backward() writes into `gradients`."""
    variables, _ = _as_list(variables, 'variables')
    gradients, _ = _as_list(gradients, 'gradients')
    if len(variables) != len(gradients):
        raise MXNetError('mark_variables: %d variables but %d gradient arrays'
                         % (len(variables), len(gradients)))
    reqs = [grad_reqs] * len(variables) if isinstance(grad_reqs, str) else list(grad_reqs)
    if len(reqs) != len(variables):
        raise MXNetError('mark_variables: %d variables but %d grad_reqs'
                         % (len(variables), len(reqs)))
    for i, (v, g, r) in enumerate(zip(variables, gradients, reqs)):
        if r not in _REQS:
            raise MXNetError("mark_variables: grad_req '%s' is not one of 'write', 'add', "
                             "'null'" % (r,))
        if g.shape != v.shape:
            raise MXNetError('mark_variables: gradient %d has shape %s but the variable has '
                             'shape %s' % (i, g.shape, v.shape))
    for v, g, r in zip(variables, gradients, reqs):
        v._grad = g
        v._grad_req = r
        v._ag_entry = _Var(v)


# ----------------------------------------------------------------------------- the walk
def _key(entry):
    return id(entry) if isinstance(entry, _Var) else (id(entry[0]), entry[1])


def _head_entries(heads):
    entries = []
    for i, h in enumerate(heads):
        e = h._ag_entry
        if e is None:
            raise MXNetError(
                'backward: head %d is not the output of a computation recorded by '
                'autograd.record() (or it was detached), so there is nothing to '
                'differentiate; compute it inside `with autograd.record():`' % i)
        if type(e) is tuple and e[0].freed:
            raise MXNetError('backward: head %d: %s' % (i, _FREED_MSG))
        entries.append(e)
    return entries


def _reachable(entries):
    """Recorded nodes reachable from `entries`, in recording order."""
    seen = {}
    stack = [e[0] for e in entries if type(e) is tuple]
    while stack:
        n = stack.pop()
        if id(n) in seen:
            continue
        seen[id(n)] = n
        for e in n.ins:
            if type(e) is tuple and id(e[0]) not in seen:
                stack.append(e[0])
    return sorted(seen.values(), key=lambda n: n.seq)


def _plan(nodes, is_target):
    """Which nodes must run backward, and every variable met on the way."""
    needs, variables = {}, {}
    for n in nodes:
        if n.freed:
            raise MXNetError('backward: %s' % _FREED_MSG)
        skip = n.op.nograd_inputs
        flag = False
        for slot, e in enumerate(n.ins):
            if e is None:
                continue
            if isinstance(e, _Var):
                variables[id(e)] = e
                hit = is_target(e)
            else:
                hit = needs[id(e[0])] or is_target(e)
            if hit and slot not in skip:
                flag = True
        needs[id(n)] = flag
    return needs, variables


class _NumpyMode:
    """First-order backward on raw arrays with the records' own backward kernels."""

    def __init__(self, train_mode):
        self.train_mode = train_mode

    @staticmethod
    def head_grad(head, given):
        if given is None:
            return head._ctx.xp.ones_like(head._data)
        return given._data

    @staticmethod
    def zeros(data, ctx):
        return ctx.xp.zeros_like(data)

    @staticmethod
    def add(a, b):
        return a + b

    def run_node(self, n, ograds):
        octx = OpContext(is_train=self.train_mode, state=n.state,
                         xp=n.ctx.xp if n.ctx is not None else np, ctx=n.ctx)
        return n.op.backward(n.p, ograds, n.in_data, n.out_data, octx)


class _GraphMode(_NumpyMode):
    """Backward whose gradient computation is itself recorded (create_graph=True)."""

    @staticmethod
    def head_grad(head, given):
        if given is None:
            return NDArray(head._ctx.xp.ones_like(head._data), head._ctx)
        return given

    @staticmethod
    def zeros(data, ctx):
        return NDArray(ctx.xp.zeros_like(data), ctx)

    def run_node(self, n, ograds):
        rule = _DIFF.get(n.op.name)
        if rule is None:
            raise MXNetError(
                "autograd.grad(create_graph=True): operator '%s' has no differentiable "
                "gradient here, so its gradient cannot be recorded for higher-order "
                "differentiation (supported: elementwise and broadcasting arithmetic, "
                "unary math, Activation, sum, mean, dot, add_n and reshapes)" % n.op.name)
        ins = [_wrap(d, e, n.ctx) for d, e in zip(n.in_data, n.ins)]
        outs = [_wrap(d, (n, k), n.ctx) for k, d in enumerate(n.out_data)]
        return rule(n.p, ograds, ins, outs)


def _wrap(data, entry, ctx):
    arr = NDArray(data, ctx)
    arr._ag_entry = _live(entry)
    return arr


def _walk(heads, head_grads, is_target, mode, train_mode):
    """Run backward from `heads`; -> ({entry key: gradient}, nodes, variables)."""
    entries = _head_entries(heads)
    nodes = _reachable(entries)
    needs, variables = _plan(nodes, is_target)
    for e in entries:
        if isinstance(e, _Var):
            variables[id(e)] = e
    grads = {}

    def accumulate(key, g):
        grads[key] = g if key not in grads else mode.add(grads[key], g)

    for h, e, hg in zip(heads, entries, head_grads):
        if hg is not None and hg.shape != h.shape:
            raise MXNetError('backward: head gradient has shape %s but the head has shape %s'
                             % (hg.shape, h.shape))
        accumulate(_key(e), mode.head_grad(h, hg))
    prev = None
    if isinstance(mode, _GraphMode):
        prev = (autograd.set_recording(True), autograd.set_training(train_mode))
    try:
        for n in reversed(nodes):
            if not needs[id(n)]:
                continue
            keys = [(id(n), k) for k in range(len(n.out_data))]
            if not any(k in grads for k in keys):
                continue
            # keep the gradients of requested intermediate values; drop the rest as we go
            ograds = [grads.get(k) if is_target((n, k[1])) else grads.pop(k, None)
                      for k in keys]
            ograds = [mode.zeros(d, n.ctx) if g is None else g
                      for g, d in zip(ograds, n.out_data)]
            in_grads = mode.run_node(n, ograds)
            skip = n.op.nograd_inputs
            for slot, (e, g) in enumerate(zip(n.ins, in_grads)):
                if g is None or e is None or slot in skip:
                    continue
                if is_target(e) or (type(e) is tuple and needs[id(e[0])]):
                    accumulate(_key(e), g)
    finally:
        if prev is not None:
            autograd.set_recording(prev[0])
            autograd.set_training(prev[1])
    return grads, nodes, variables


def _normalize_heads(heads, head_grads):
    heads, _ = _as_list(heads, 'heads')
    if not heads:
        raise MXNetError('backward: no heads given')
    if head_grads is None:
        head_grads = [None] * len(heads)
    else:
        head_grads, _ = _as_list(head_grads, 'head_grads')
        if len(head_grads) != len(heads):
            raise MXNetError('backward: %d heads but %d head gradients'
                             % (len(heads), len(head_grads)))
    return heads, head_grads


def backward(heads, head_grads=None, retain_graph=False, train_mode=True):
    """Gradients of `heads` into the `.grad` of every marked variable they depend on."""
    heads, head_grads = _normalize_heads(heads, head_grads)

    def is_target(e):
        if not isinstance(e, _Var):
            return False
        arr = e.ref()
        return arr is not None and arr._grad is not None and arr._grad_req != 'null'

    grads, nodes, variables = _walk(heads, head_grads, is_target, _NumpyMode(train_mode),
                                    train_mode)
    targets = [v for v in variables.values() if is_target(v)]
    if not targets:
        raise MXNetError('backward: there are no inputs in the computational graph that '
                         'require gradients; call attach_grad() on an input before '
                         'recording')
    for v in targets:
        arr = v.ref()
        g = grads.get(id(v))
        dst = arr._grad._data
        if arr._grad_req == 'write':
            dst[...] = 0 if g is None else g
        elif g is not None:  # 'add'
            dst += g.astype(dst.dtype, copy=False)
        if g is not None:
            arr._fresh_grad = True
    if not retain_graph:
        for n in nodes:
            n.free()


def grad(heads, variables, head_grads=None, retain_graph=None, create_graph=False,
         train_mode=True):
    """Gradients of `heads` with respect to `variables`, returned (`.grad` is untouched).

    With ``create_graph=True`` the gradient computation is recorded, so the results can
    be differentiated again (second-order gradients).
    """
    heads, head_grads = _normalize_heads(heads, head_grads)
    single = isinstance(variables, NDArray)
    variables, _ = _as_list(variables, 'variables')
    keys = []
    for i, v in enumerate(variables):
        e = _live(v._ag_entry)
        if e is None:
            raise MXNetError('grad: variable %d is not in a computational graph; call '
                             'attach_grad() on it before recording the computation' % i)
        keys.append(_key(e))
    wanted = set(keys)
    if retain_graph is None:
        retain_graph = create_graph

    def is_target(e):
        return _key(e) in wanted

    mode = _GraphMode(train_mode) if create_graph else _NumpyMode(train_mode)
    grads, nodes, _ = _walk(heads, head_grads, is_target, mode, train_mode)
    out = []
    for v, k in zip(variables, keys):
        g = grads.get(k)
        if g is None:
            out.append(NDArray(v._ctx.xp.zeros_like(v._data), v._ctx))
        elif isinstance(g, NDArray):
            out.append(g)
        else:
            res = v._ctx.xp.array(g, dtype=v._data.dtype, copy=True)
            out.append(NDArray(res.reshape(v.shape), v._ctx))
    if not retain_graph:
        for n in nodes:
            n.free()
    return out[0] if single else out


# ----------------------------------------------------------------------------- symbol
def get_symbol(x):
    """The recorded computation that produced `x`, as a Symbol.

    Marked variables become variables named ``var<N>``; inputs that were not recorded
    (constants) become variables named ``null<N>``; operator nodes are named
    ``node_<N>``.
    """
    from .graph.ir import Node as GNode
    from .symbol.symbol import Symbol
    e = _live(x._ag_entry)
    if e is None:
        raise MXNetError('get_symbol: the array was not computed inside autograd.record() '
                         '(or its graph was freed by backward); nothing to convert')
    memo = {}

    def var_node(entry):
        if entry is None:
            return GNode(None, 'null%d' % next(_CONST_IDS))
        if id(entry) not in memo:
            memo[id(entry)] = GNode(None, entry.name)
        return memo[id(entry)]

    def build(root):
        stack = [root]
        while stack:
            n = stack[-1]
            if id(n) in memo:
                stack.pop()
                continue
            if n.freed:
                raise MXNetError('get_symbol: %s' % _FREED_MSG)
            pending = [ie[0] for ie in n.ins if type(ie) is tuple and id(ie[0]) not in memo]
            if pending:
                stack.extend(pending)
                continue
            stack.pop()
            if getattr(n.op, 'no_symbol', False):
                raise MXNetError("get_symbol: the graph contains %s, which has no symbolic "
                                 "form" % n.op.name)
            inputs = [(memo[id(ie[0])], ie[1]) if type(ie) is tuple else (var_node(ie), 0)
                      for ie in n.ins]
            gnode = GNode(n.op, 'node_%d' % n.seq, _attrs(n.op, n.p), inputs)
            gnode._params = n.p
            memo[id(n)] = gnode
        return memo[id(root)]

    if isinstance(e, _Var):
        return Symbol([(var_node(e), 0)])
    return Symbol([(build(e[0]), e[1])])


def _attrs(op, p):
    hook = getattr(op, 'params_to_attrs', None)
    if hook is not None:
        return hook(p)
    attrs = {}
    for k, v in p.as_dict().items():
        spec = op.params.get(k)
        if v is None or (spec is not None and not spec.required and _same(v, spec.default)):
            continue  # defaults stay implicit, as in a symbol the user wrote
        attrs[k] = attr_to_str(v)
    return attrs


def _same(a, b):
    try:
        return type(a) is type(b) and bool(a == b)
    except (TypeError, ValueError):
        return False


# ----------------------------------------------------------------------------- Function
class _FunctionOp:
    """Adapts an `autograd.Function` to the record interface the tape calls."""
    name = '_CustomFunction'
    nograd_inputs = ()
    is_loss = False
    no_symbol = True

    def __init__(self, func, num_inputs):
        self.func = func
        self.num_inputs = num_inputs

    def backward(self, p, ograds, inputs, outputs, ctx):
        with autograd.pause(train_mode=ctx.is_train):
            rets = self.func.backward(*[NDArray(g, ctx.ctx) for g in ograds])
        if isinstance(rets, NDArray):
            rets = (rets,)
        rets = list(rets)
        if len(rets) != self.num_inputs:
            raise MXNetError('%s.backward returned %d gradients but forward took %d inputs'
                             % (type(self.func).__name__, len(rets), self.num_inputs))
        out = []
        for i, (r, x) in enumerate(zip(rets, inputs)):
            if not isinstance(r, NDArray):
                raise MXNetError('%s.backward must return NDArrays; gradient %d is %s'
                                 % (type(self.func).__name__, i, type(r).__name__))
            if r.shape != x.shape:
                raise MXNetError('%s.backward: gradient %d has shape %s but input %d has '
                                 'shape %s' % (type(self.func).__name__, i, r.shape, i,
                                               x.shape))
            out.append(r._data)
        return out


class Function:
    """Custom differentiation: write `forward` and `backward` yourself.

    `forward(*inputs)` runs without recording and returns NDArray(s); `backward(
    *output_grads)` returns one gradient per input. Use `save_for_backward` to keep
    arrays for backward. Each instance may be called once.

    Examples
    --------
    >>> import mxlite as mx
    >>> class Sigmoid(mx.autograd.Function):
    ...     def forward(self, x):
    ...         y = 1 / (1 + mx.nd.exp(-x))
    ...         self.save_for_backward(y)
    ...         return y
    ...     def backward(self, dy):
    ...         y, = self.saved_tensors
    ...         return dy * y * (1 - y)
    >>> x = mx.nd.array([0.]); x.attach_grad()
    >>> with mx.autograd.record():
    ...     y = Sigmoid()(x)
    >>> y.backward(); x.grad.asnumpy()
    array([0.25], dtype=float32)
    """

    def __init__(self):
        self._used = False
        self.saved_tensors = ()

    def save_for_backward(self, *args):
        self.saved_tensors = args

    def forward(self, *inputs):
        raise NotImplementedError

    def backward(self, *output_grads):
        raise NotImplementedError

    def __call__(self, *inputs):
        if self._used:
            raise MXNetError('each autograd.Function instance can only be called once; '
                             'create a new instance')
        self._used = True
        prev = autograd.set_recording(False)
        try:
            outputs = self.forward(*inputs)
        finally:
            autograd.set_recording(prev)
        single = isinstance(outputs, NDArray)
        outs = [outputs] if single else list(outputs)
        for i, o in enumerate(outs):
            if not isinstance(o, NDArray):
                raise MXNetError('%s.forward must return NDArrays; output %d is %s'
                                 % (type(self).__name__, i, type(o).__name__))
        if autograd.is_recording():
            # outputs that alias an input get their own handle, so the input keeps its entry
            outs = [o if all(o is not x for x in inputs) else NDArray(o._data, o._ctx)
                    for o in outs]
            record_op(_FunctionOp(self, len(inputs)), None, list(inputs), outs, {})
        return outs[0] if single else tuple(outs) if isinstance(outputs, tuple) else outs


# ----------------------------------------------------------------------------- create_graph
# Gradient rules written with recorded mx.nd calls: rule(p, ograds, inputs, outputs) ->
# one NDArray (or None) per input. Used only by grad(create_graph=True).
def _nd():
    from . import ndarray
    return ndarray


def _sum_to(g, shape):
    """Sum a broadcast gradient back down to `shape` (recorded)."""
    shape = tuple(shape)
    if g.shape == shape:
        return g
    extra = g.ndim - len(shape)
    axes = tuple(range(extra)) + tuple(i + extra for i, n in enumerate(shape)
                                       if n == 1 and g.shape[i + extra] != 1)
    if axes:
        g = _nd().sum(g, axis=axes, keepdims=True)
    return g.reshape(shape)


def _binary_rule(da, db):
    def rule(p, ograds, ins, outs):
        a, b = ins
        g = ograds[0]
        return [_sum_to(da(a, b, outs[0], g), a.shape), _sum_to(db(a, b, outs[0], g), b.shape)]
    return rule


_BINARY_RULES = {
    'add': (lambda a, b, y, g: g, lambda a, b, y, g: g),
    'sub': (lambda a, b, y, g: g, lambda a, b, y, g: -g),
    'mul': (lambda a, b, y, g: g * b, lambda a, b, y, g: g * a),
    'div': (lambda a, b, y, g: g / b, lambda a, b, y, g: -g * a / (b * b)),
    'power': (lambda a, b, y, g: g * b * a ** (b - 1),
              lambda a, b, y, g: g * y * _nd().log(a)),
    'maximum': (lambda a, b, y, g: g * (a >= b), lambda a, b, y, g: g * (a < b)),
    'minimum': (lambda a, b, y, g: g * (a <= b), lambda a, b, y, g: g * (a > b)),
    'hypot': (lambda a, b, y, g: g * a / y, lambda a, b, y, g: g * b / y),
}
_ELEMWISE = {'add': 'elemwise_add', 'sub': 'elemwise_sub', 'mul': 'elemwise_mul',
             'div': 'elemwise_div', 'power': '_power', 'maximum': '_maximum',
             'minimum': '_minimum', 'hypot': '_hypot'}

# scalar ops: gradient(x, s, y, g)
_SCALAR_RULES = {
    '_plus_scalar': lambda x, s, y, g: g,
    '_minus_scalar': lambda x, s, y, g: g,
    '_rminus_scalar': lambda x, s, y, g: -g,
    '_mul_scalar': lambda x, s, y, g: g * s,
    '_div_scalar': lambda x, s, y, g: g / s,
    '_rdiv_scalar': lambda x, s, y, g: -g * s / (x * x),
    '_power_scalar': lambda x, s, y, g: g * s * x ** (s - 1),
    '_rpower_scalar': lambda x, s, y, g: g * y * float(np.log(s)),
    '_maximum_scalar': lambda x, s, y, g: g * (x >= s),
    '_minimum_scalar': lambda x, s, y, g: g * (x <= s),
}

# unary ops: gradient(x, y, g)
_UNARY_RULES = {
    'negative': lambda x, y, g: -g,
    '_copy': lambda x, y, g: g,
    'exp': lambda x, y, g: g * y,
    'expm1': lambda x, y, g: g * _nd().exp(x),
    'log': lambda x, y, g: g / x,
    'log1p': lambda x, y, g: g / (x + 1),
    'log2': lambda x, y, g: g / (x * float(np.log(2))),
    'log10': lambda x, y, g: g / (x * float(np.log(10))),
    'sqrt': lambda x, y, g: g * 0.5 / y,
    'rsqrt': lambda x, y, g: g * -0.5 * y / x,
    'cbrt': lambda x, y, g: g / (y * y * 3),
    'square': lambda x, y, g: g * 2 * x,
    'reciprocal': lambda x, y, g: -g / (x * x),
    'abs': lambda x, y, g: g * _nd().sign(x),
    'sin': lambda x, y, g: g * _nd().cos(x),
    'cos': lambda x, y, g: -g * _nd().sin(x),
    'tan': lambda x, y, g: g * (y * y + 1),
    'arctan': lambda x, y, g: g / (x * x + 1),
    'sinh': lambda x, y, g: g * _nd().cosh(x),
    'cosh': lambda x, y, g: g * _nd().sinh(x),
    'tanh': lambda x, y, g: g * (1 - y * y),
    'sigmoid': lambda x, y, g: g * y * (1 - y),
    'relu': lambda x, y, g: g * (y > 0),
    'softsign': lambda x, y, g: g / _nd().square(_nd().abs(x) + 1),
}
# rounding and sign have zero gradient
_ZERO_GRAD = ('sign', 'round', 'rint', 'floor', 'ceil', 'trunc', 'fix', 'BlockGrad')

_ACTIVATION_RULES = {
    'relu': _UNARY_RULES['relu'],
    'sigmoid': _UNARY_RULES['sigmoid'],
    'tanh': _UNARY_RULES['tanh'],
    'softrelu': lambda x, y, g: g * _nd().sigmoid(x),
    'softsign': _UNARY_RULES['softsign'],
}


def _reduce_rule(mean):
    def rule(p, ograds, ins, outs):
        from .ops.reduce import reduce_axes
        x = ins[0]
        axes = reduce_axes(x.ndim, p.axis, p.exclude)
        kept = tuple(1 if i in axes else n for i, n in enumerate(x.shape))
        g = _nd().broadcast_to(ograds[0].reshape(kept), shape=x.shape)
        if mean:
            count = int(np.prod([x.shape[a] for a in axes])) or 1
            g = g / count
        return [g]
    return rule


def _dot_rule(p, ograds, ins, outs):
    a, b = ins
    g = ograds[0]
    if a.ndim != 2 or b.ndim != 2:
        raise MXNetError('autograd.grad(create_graph=True): dot is differentiable twice '
                         'only for 2-D inputs here')
    dot = _nd().dot
    ta, tb = p.transpose_a, p.transpose_b
    ga = dot(b, g, transpose_a=tb, transpose_b=True) if ta \
        else dot(g, b, transpose_b=not tb)
    gb = dot(g, a, transpose_a=True, transpose_b=ta) if tb \
        else dot(a, g, transpose_a=not ta)
    return [ga, gb]


def _build_rules():
    rules = {}
    for fn, (da, db) in _BINARY_RULES.items():
        rules['broadcast_' + fn] = rules[_ELEMWISE[fn]] = _binary_rule(da, db)
    for name, f in _SCALAR_RULES.items():
        rules[name] = (lambda f: lambda p, og, ins, outs: [f(ins[0], p.scalar, outs[0],
                                                             og[0])])(f)
    for name, f in _UNARY_RULES.items():
        rules[name] = (lambda f: lambda p, og, ins, outs: [f(ins[0], outs[0], og[0])])(f)
    for name in _ZERO_GRAD:
        rules[name] = lambda p, og, ins, outs: [None] * len(ins)
    rules['Activation'] = lambda p, og, ins, outs: [
        _ACTIVATION_RULES[p.act_type](ins[0], outs[0], og[0])]
    rules['add_n'] = lambda p, og, ins, outs: [og[0]] * len(ins)
    reshape = lambda p, og, ins, outs: [og[0].reshape(ins[0].shape)]  # noqa: E731
    for name in ('Reshape', 'Flatten', 'expand_dims', 'squeeze'):
        rules[name] = reshape
    rules['sum'] = _reduce_rule(False)
    rules['mean'] = _reduce_rule(True)
    rules['dot'] = _dot_rule
    return rules


_DIFF = _build_rules()
