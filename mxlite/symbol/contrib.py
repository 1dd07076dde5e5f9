"""mx.sym.contrib: the small part of MXNet's contrib namespace that mxlite provides.

* `isinf`, `isnan`, `isfinite`: elementwise tests (1.0 where true, 0.0 elsewhere), built
  from ordinary operators, so they save to and load from symbol JSON as those operators.
* every registered ``_contrib_<name>`` operator or alias as ``<name>`` (``ctc_loss``,
  ``index_copy``, ``arange_like``, ... : ``mx.sym.contrib.__all__`` lists them).
* control flow: `foreach`, `while_loop`, `cond` build ``_foreach`` / ``_while_loop`` /
  ``_cond`` nodes whose bodies are subgraph Symbols, laid out in JSON as MXNet does.

Examples
--------
>>> import mxlite as mx, numpy as np
>>> x = mx.sym.var('x')
>>> mx.sym.contrib.isnan(x).eval(x=mx.nd.array([np.nan, 1.]))[0].asnumpy()
array([1., 0.], dtype=float32)
"""
import sys as _sys

import numpy as _np

from .._namespace import populate_prefixed as _populate_prefixed
from .register import make_function as _make_function

__all__ = ['isinf', 'isnan', 'isfinite']

PREFIX = '_contrib_'


def isinf(data):
    """1.0 where `data` is +inf or -inf, 0.0 elsewhere."""
    from . import abs as _abs
    return _abs(data) == _np.inf


def isnan(data):
    """1.0 where `data` is NaN, 0.0 elsewhere (NaN is the only value unequal to itself)."""
    return data != data


def isfinite(data):
    """1.0 where `data` is neither infinite nor NaN, 0.0 elsewhere.

    Examples
    --------
    >>> import mxlite as mx, numpy as np
    >>> x = mx.sym.var('x')
    >>> mx.sym.contrib.isfinite(x).eval(x=mx.nd.array([np.inf, 2., np.nan]))[0].asnumpy()
    array([0., 1., 0.], dtype=float32)
    """
    from . import abs as _abs, broadcast_logical_and
    return broadcast_logical_and(data == data, _abs(data) != _np.inf)


__all__ += _populate_prefixed(_sys.modules[__name__], _make_function, PREFIX)


def _scale_symbol(rescale_grad):
    from . import Symbol, full
    return rescale_grad if isinstance(rescale_grad, Symbol) else \
        full(shape=(1,), val=rescale_grad)


def adamw_update(weight, grad, mean, var, rescale_grad, lr, eta, beta1=0.9, beta2=0.999,
                 epsilon=1e-8, wd=0, clip_gradient=-1, name=None, **kwargs):
    """An AdamW update node; a float `rescale_grad` becomes a (1,) constant input."""
    from . import _internal
    return _internal._adamw_update(weight, grad, mean, var, _scale_symbol(rescale_grad),
                                   lr=lr, eta=eta, beta1=beta1, beta2=beta2,
                                   epsilon=epsilon, wd=wd, clip_gradient=clip_gradient,
                                   name=name, **kwargs)


def mp_adamw_update(weight, grad, mean, var, weight32, rescale_grad, lr, eta, beta1=0.9,
                    beta2=0.999, epsilon=1e-8, wd=0, clip_gradient=-1, name=None, **kwargs):
    """An AdamW update node on a float32 master copy `weight32`."""
    from . import _internal
    return _internal._mp_adamw_update(weight, grad, mean, var, weight32,
                                      _scale_symbol(rescale_grad), lr=lr, eta=eta,
                                      beta1=beta1, beta2=beta2, epsilon=epsilon, wd=wd,
                                      clip_gradient=clip_gradient, name=name, **kwargs)


__all__ += ['adamw_update', 'mp_adamw_update']


# ------------------------------------------------------------------------ control flow
# A body is traced once inside AttrScope(__subgraph_name__=<unique name>): the nodes it
# creates carry that name, so anything else it reaches (a variable, or a node built
# outside the body) is an input of the subgraph. Outside op nodes are cut off and
# become variables named after their output ('exp0_output'), as MXNet does.
_SUBGRAPH_COUNT = {}


def _unique_subgraph_name(name):
    from ..attribute import AttrScope
    outer = AttrScope.current()._attr.get('__subgraph_name__', '')
    if outer:
        name = outer + '$' + name
    k = _SUBGRAPH_COUNT.get(name, 0)
    _SUBGRAPH_COUNT[name] = k + 1
    return name + str(k)


def _flatten(args, what):
    """Nested lists of Symbols -> (flat list, format to rebuild them)."""
    from .symbol import Symbol
    if isinstance(args, Symbol):
        return [args], None
    if not isinstance(args, (list, tuple)):
        raise TypeError('%s must be a Symbol or a (nested) list of Symbols, got %s'
                        % (what, type(args).__name__))
    flat, fmt = [], []
    for a in args:
        f, sub = _flatten(a, what)
        flat.extend(f)
        fmt.append(sub)
    return flat, fmt


def _regroup(flat, fmt):
    if fmt is None:
        return flat[0], flat[1:]
    out = []
    for sub in fmt:
        item, flat = _regroup(flat, sub)
        out.append(item)
    return out, flat


def _loop_var(sym, what):
    """A body-side variable standing for the outer value `sym` ('<name>-<index>')."""
    from .symbol import var
    if len(sym._entries) != 1:
        raise ValueError('%s: each element must be a single-output Symbol; got a group '
                         'of %d outputs' % (what, len(sym._entries)))
    node, k = sym._entries[0]
    return var('%s-%d' % (node.name, k))


def _trace(fn, args, sgname):
    """Call fn(*args) with the body's scope set (the result is returned as is)."""
    from ..attribute import AttrScope
    with AttrScope(__subgraph_name__=sgname):
        return fn(*args)


def _cut(outputs, sgname):
    """The body as its own Symbol, plus {body input name: outer entry}.

    Heads that are variables or outside nodes are wrapped in identity (so every head is
    a body node); variables get fresh copies; outside op nodes become variables.
    """
    from ..attribute import AttrScope
    from ..graph.ir import Node, topo_order
    from . import identity
    from .symbol import Symbol
    heads = []
    for s in outputs:
        node, k = s._entries[0]
        if node.op is None or node.attrs.get('__subgraph_name__') != sgname:
            with AttrScope(__subgraph_name__=sgname):
                s = identity(s)
        heads.append(s._entries[0])
    memo, outer = {}, {}

    def entry_of(src, k):
        if src.op is not None and src.attrs.get('__subgraph_name__') != sgname:
            key = (id(src), k)
            if key not in memo:
                name = src.output_names()[k]
                memo[key] = Node(None, name)
                _claim(outer, name, (src, k))
            return memo[key], 0
        return memo[id(src)], k

    for node in topo_order(heads):
        if node.op is None:
            memo[id(node)] = Node(None, node.name, node.attrs, user_line=node.user_line)
            _claim(outer, node.name, (node, 0))
        elif node.attrs.get('__subgraph_name__') == sgname:
            new = Node(node.op, node.name, node.attrs,
                       [entry_of(src, k) for src, k in node.inputs], node.user_line,
                       node.subgraphs)
            new._params = node._params
            memo[id(node)] = new
    body = Symbol([(memo[id(n)], k) for n, k in heads])
    return body, {n: outer[n] for n in body.list_inputs()}


def _claim(outer, name, entry):
    old = outer.get(name)
    if old is not None and (id(old[0]), old[1]) != (id(entry[0]), entry[1]):
        raise ValueError("control flow: two different inputs of the body are both named "
                         "'%s'; the body's inputs need unique names" % name)
    outer[name] = entry


def _locs_attr(locs):
    return '[%s]' % ', '.join(str(i) for i in locs)


def _make_node(op_name, inputs, attrs, subgraphs, num_outputs):
    from ..attribute import AttrScope
    from ..graph.ir import Node, caller_line
    from ..name import NameManager
    from ..ops import registry
    from .symbol import Symbol
    op = registry.get(op_name)
    name = NameManager.current().get(None, op_name)
    node_attrs = AttrScope.current().get(None)
    node_attrs.update(attrs)
    node = Node(op, name, node_attrs, inputs, caller_line(), subgraphs)
    node.params   # parse now: a bad attribute fails here, where the user built it
    return Symbol([(node, k) for k in range(num_outputs)])


def foreach(body, data, init_states, name='foreach'):
    """Run `body` over axis 0 of `data`, carrying states: a ``_foreach`` node.

    ``out, states = body(data_t, states)`` for each slice ``data_t = data[t]``; the
    outputs of all steps are stacked on axis 0 and the last states are returned.
    `data` and `init_states` may be Symbols or (nested) lists of Symbols.

    Returns
    -------
    (outputs, states) shaped like what `body` returns.

    Examples
    --------
    >>> import mxlite as mx
    >>> step = lambda x, s: (x * s[0], [s[0] + 1])
    >>> outs, st = mx.sym.contrib.foreach(step, mx.sym.var('x'), [mx.sym.var('s')])
    >>> r = mx.sym.Group([outs, st[0]]).eval(x=mx.nd.array([[1.], [1.], [1.]]),
    ...                                      s=mx.nd.array([1.]))
    >>> r[0].asnumpy().ravel().tolist(), r[1].asnumpy().tolist()
    ([1.0, 2.0, 3.0], [4.0])
    """
    flat_data, data_fmt = _flatten(data, 'foreach data')
    flat_init, state_fmt = _flatten(init_states, 'foreach init_states')
    sgname = _unique_subgraph_name(name)
    with _scope(sgname):
        data_vars = [_loop_var(s, 'foreach data') for s in flat_data]
        state_vars = [_loop_var(s, 'foreach init_states') for s in flat_init]
    out, states = _trace(body, (_regroup(data_vars, data_fmt)[0],
                                _regroup(state_vars, state_fmt)[0]), sgname)
    flat_out, out_fmt = _flatten(out, 'the output of foreach body')
    flat_states, new_fmt = _flatten(states, 'the states foreach body returns')
    if new_fmt != state_fmt:
        raise ValueError('foreach: body returned %d states in a different structure than '
                         'init_states (%d states); it must return them as it gets them'
                         % (len(flat_states), len(flat_init)))
    g, outer = _cut(flat_out + flat_states, sgname)
    names = g.list_inputs()
    data_locs = _locs_of(names, data_vars, 'foreach: data', 'the loop body')
    state_locs = _locs_of(names, state_vars, 'foreach: state', 'the loop body')
    own = set(data_locs) | set(state_locs)
    remain = [i for i in range(len(names)) if i not in own]
    inputs = [s._entries[0] for s in flat_data + flat_init] + \
        [outer[names[i]] for i in remain]
    n_out = len(flat_out) + len(flat_states)
    ret = _make_node('_foreach', inputs, {
        'num_args': str(len(inputs) + 1), 'num_outputs': str(n_out),
        'num_out_data': str(len(flat_out)), 'in_state_locs': _locs_attr(state_locs),
        'in_data_locs': _locs_attr(data_locs), 'remain_locs': _locs_attr(remain)},
        [g], n_out)
    outs = _regroup([ret[i] for i in range(len(flat_out))], out_fmt)[0] \
        if flat_out else []
    sts = _regroup([ret[len(flat_out) + i] for i in range(len(flat_states))], state_fmt)[0]
    return outs, sts


def _scope(sgname):
    from ..attribute import AttrScope
    return AttrScope(__subgraph_name__=sgname)


def _locs_of(names, variables, what, where):
    locs = []
    for i, v in enumerate(variables):
        if v.name not in names:
            raise ValueError('%s %d (%s) is not used in %s; every one must be'
                             % (what, i, v.name, where))
        locs.append(names.index(v.name))
    return locs


def while_loop(cond, func, loop_vars, max_iterations=None, name='while_loop'):
    """Run `func` while `cond` is true, at most `max_iterations` times: a ``_while_loop``.

    ``cond(*loop_vars)`` gives a one-element Symbol; ``out, new_vars = func(*loop_vars)``.
    The step outputs are stacked on axis 0 to `max_iterations` rows (rows of steps that
    did not run are zero); the loop variables' last values come second.

    Examples
    --------
    >>> import mxlite as mx
    >>> outs, (i, s) = mx.sym.contrib.while_loop(
    ...     lambda i, s: i < 3, lambda i, s: (s, [i + 1, s * 2]),
    ...     [mx.sym.var('i'), mx.sym.var('s')], max_iterations=5)
    >>> r = mx.sym.Group([outs, s]).eval(i=mx.nd.array([0.]), s=mx.nd.array([1.]))
    >>> r[0].asnumpy().ravel().tolist(), r[1].asnumpy().tolist()
    ([1.0, 2.0, 4.0, 0.0, 0.0], [8.0])
    """
    if max_iterations is None:
        raise ValueError('while_loop: max_iterations is required for symbols (the '
                         'outputs have max_iterations rows)')
    flat_vars, var_fmt = _flatten(loop_vars, 'while_loop loop_vars')
    cond_name = _unique_subgraph_name(name + '_cond')
    func_name = _unique_subgraph_name(name + '_func')
    with _scope(cond_name):
        cvars = [_loop_var(s, 'while_loop loop_vars') for s in flat_vars]
    pred = _trace(cond, _as_args(_regroup(cvars, var_fmt)[0], var_fmt), cond_name)
    flat_pred, _ = _flatten(pred, 'the output of while_loop cond')
    if len(flat_pred) != 1:
        raise ValueError('while_loop: cond must return one Symbol, got %d' % len(flat_pred))
    cond_g, cond_outer = _cut(flat_pred, cond_name)
    with _scope(func_name):
        fvars = [_loop_var(s, 'while_loop loop_vars') for s in flat_vars]
    res = _trace(func, _as_args(_regroup(fvars, var_fmt)[0], var_fmt), func_name)
    if not isinstance(res, (list, tuple)) or len(res) != 2:
        raise ValueError('while_loop: func must return (step_output, new_loop_vars)')
    flat_out, out_fmt = _flatten(res[0], 'the step output of while_loop func')
    flat_new, new_fmt = _flatten(res[1], 'the loop_vars while_loop func returns')
    if len(flat_new) != len(flat_vars):
        raise ValueError('while_loop: func returned %d loop variables for %d loop_vars'
                         % (len(flat_new), len(flat_vars)))
    func_g, func_outer = _cut(flat_out + flat_new, func_name)
    # node inputs: the cond body's inputs, then the func body's; loop variables appear
    # once, other inputs once per body (MXNet's order)
    inputs, var_at = [], {}
    var_names = [v.name for v in cvars]

    def locs(g, outer):
        out = []
        for n in g.list_inputs():
            if n in var_names:
                j = var_names.index(n)
                if j not in var_at:
                    var_at[j] = len(inputs)
                    inputs.append(flat_vars[j]._entries[0])
                out.append(var_at[j])
            else:
                out.append(len(inputs))
                inputs.append(outer[n])
        return out
    cond_locs = locs(cond_g, cond_outer)
    func_locs = locs(func_g, func_outer)
    var_locs = _locs_of(func_g.list_inputs(), fvars, 'while_loop: loop_vars', 'func')
    n_out = len(flat_out) + len(flat_new)
    ret = _make_node('_while_loop', inputs, {
        'num_args': str(len(inputs) + 2), 'num_outputs': str(n_out),
        'num_out_data': str(len(flat_out)), 'max_iterations': str(int(max_iterations)),
        'cond_input_locs': _locs_attr(cond_locs), 'func_input_locs': _locs_attr(func_locs),
        'func_var_locs': _locs_attr(var_locs)}, [cond_g, func_g], n_out)
    outs = _regroup([ret[i] for i in range(len(flat_out))], out_fmt)[0] \
        if flat_out else []
    new = _regroup([ret[len(flat_out) + i] for i in range(len(flat_new))], var_fmt)[0]
    return outs, new


def _as_args(grouped, fmt):
    """cond/func take the loop variables as separate arguments."""
    return [grouped] if fmt is None else list(grouped)


def cond(pred, then_func, else_func, name='cond'):
    """``then_func()`` if the one-element `pred` is nonzero, else ``else_func()``: a
    ``_cond`` node. Both functions take no arguments and return Symbols of the same
    shapes (a Symbol or a list of them).

    Examples
    --------
    >>> import mxlite as mx
    >>> a, b = mx.sym.var('a'), mx.sym.var('b')
    >>> c = mx.sym.contrib.cond(a > b, lambda: a - b, lambda: b - a)
    >>> c.eval(a=mx.nd.array([1.]), b=mx.nd.array([4.]))[0].asnumpy()
    array([3.], dtype=float32)
    """
    from .symbol import Symbol
    if not isinstance(pred, Symbol) or len(pred._entries) != 1:
        raise TypeError('cond: pred must be a single-output Symbol')
    pred_name = _unique_subgraph_name(name + '_pred')
    then_name = _unique_subgraph_name(name + '_then')
    else_name = _unique_subgraph_name(name + '_else')
    pred_g, pred_outer = _cut([pred], pred_name)
    then_flat, then_fmt = _flatten(_trace(then_func, (), then_name), 'then_func output')
    else_flat, else_fmt = _flatten(_trace(else_func, (), else_name), 'else_func output')
    if len(then_flat) != len(else_flat):
        raise ValueError('cond: then_func returns %d outputs but else_func returns %d; '
                         'both must return the same number' % (len(then_flat),
                                                                len(else_flat)))
    then_g, then_outer = _cut(then_flat, then_name)
    else_g, else_outer = _cut(else_flat, else_name)
    inputs, at = [], {}

    def locs(g, outer):
        out = []
        for n in g.list_inputs():
            e = outer[n]
            key = (id(e[0]), e[1])
            if key not in at:
                at[key] = len(inputs)
                inputs.append(e)
            out.append(at[key])
        return out
    attrs = {'cond_input_locs': _locs_attr(locs(pred_g, pred_outer)),
             'then_input_locs': _locs_attr(locs(then_g, then_outer)),
             'else_input_locs': _locs_attr(locs(else_g, else_outer))}
    attrs.update(num_args=str(len(inputs) + 3), num_outputs=str(len(then_flat)))
    ret = _make_node('_cond', inputs, attrs, [pred_g, then_g, else_g], len(then_flat))
    if then_fmt is None:
        return ret
    return _regroup([ret[i] for i in range(len(then_flat))], then_fmt)[0]


__all__ += ['foreach', 'while_loop', 'cond']
