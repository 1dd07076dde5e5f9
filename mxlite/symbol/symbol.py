"""Symbol: a declarative graph. Build it from Variables and operators, then bind it.

A Symbol is a list of output entries ``(Node, index)`` of the graph IR; composing,
grouping and indexing make new Symbols that share nodes.
"""
import warnings

from ..attribute import AttrScope
from ..base import (DTYPE_NP_TO_MX, MXNetError, NotImplementedForSymbol, did_you_mean,
                    np_dtype, numeric_types)
from ..graph import infer
from ..graph.ir import Graph, Node, caller_line, topo_order

__all__ = ['Symbol', 'Variable', 'var', 'Group', 'load', 'load_json', 'fromjson']


class Symbol:
    """Symbolic graph outputs.

    Examples
    --------
    >>> import mxlite as mx
    >>> a = mx.sym.Variable('a'); b = mx.sym.Variable('b')
    >>> c = a * b + 1
    >>> c.list_arguments()
    ['a', 'b']
    """
    __slots__ = ('_entries', '__weakref__')

    def __init__(self, entries):
        self._entries = list(entries)

    # ------------------------------------------------------------------ identity
    @property
    def name(self):
        if len(self._entries) != 1:
            return None
        return self._entries[0][0].name

    def __repr__(self):
        name = self.name
        if name is None:
            return '<Symbol group [%s]>' % ', '.join(s.name or '?' for s in self)
        return '<Symbol %s>' % name

    def __iter__(self):
        return (Symbol([e]) for e in self._entries)

    def __len__(self):
        return len(self._entries)

    def __copy__(self):
        return self.__deepcopy__(None)

    def __deepcopy__(self, memo):
        return Symbol(_copy_graph(self._entries, {}))

    def copy(self):
        return self.__deepcopy__(None)

    def __getstate__(self):
        return {'json': self.tojson()}

    def __setstate__(self, state):
        from .json_format import json_to_heads
        self._entries = json_to_heads(state['json'])

    def __bool__(self):
        return True

    __hash__ = object.__hash__

    # ------------------------------------------------------------------ listing
    def _graph(self):
        return Graph(self._entries)

    def list_arguments(self):
        return self._graph().arg_names()

    def list_auxiliary_states(self):
        return self._graph().aux_names()

    def list_inputs(self):
        return [n.name for n in topo_order(self._entries) if n.op is None]

    def list_outputs(self):
        out = []
        for node, k in self._entries:
            out.append(node.output_names()[k])
        return out

    def get_internals(self):
        """Every visible output of every node, in topological order."""
        entries = []
        for node in topo_order(self._entries):
            for k in range(node.num_visible_outputs()):
                entries.append((node, k))
        return Symbol(entries)

    def get_children(self):
        """The inputs of this symbol's node(s) as one grouped symbol (for a group, those of
        every output's node in turn), or None when there are none (variables)."""
        inputs = [e for node, _ in self._entries if node.op is not None for e in node.inputs]
        return Symbol(inputs) if inputs else None

    def _single(self, what):
        if len(self._entries) != 1:
            raise MXNetError('%s needs a symbol with one output; this one has %d (%s)'
                             % (what, len(self._entries), ', '.join(self.list_outputs())))
        return self._entries[0]

    def __getitem__(self, index):
        if isinstance(index, str):
            names = self.list_outputs()
            matches = [i for i, n in enumerate(names) if n == index]
            if not matches:
                raise ValueError("no output named '%s'%s; outputs are %s"
                                 % (index, did_you_mean(index, names), names))
            if len(matches) > 1:
                raise ValueError("there are several outputs named '%s'" % index)
            index = matches[0]
        if isinstance(index, slice):
            return Symbol(self._entries[index])
        if not -len(self._entries) <= index < len(self._entries):
            raise IndexError('output index %d out of range (the symbol has %d outputs)'
                             % (index, len(self._entries)))
        return Symbol([self._entries[index]])

    # ------------------------------------------------------------------ fluent extras
    def reshape(self, *shape, **kwargs):
        """Fluent Reshape: ``s.reshape((0, -1))``, ``s.reshape(0, -1)`` or
        ``s.reshape(shape=(0, -1), reverse=True)``; MXNet's 0/-1/-2/-3/-4 codes apply."""
        from . import Reshape
        if 'shape' not in kwargs and shape:
            kwargs['shape'] = shape[0] if len(shape) == 1 and \
                isinstance(shape[0], (tuple, list)) else shape
        return Reshape(self, **kwargs)

    def astype(self, dtype):
        """Fluent Cast: ``s.astype('float16')``."""
        from . import Cast
        return Cast(self, dtype=dtype)

    def __bool__(self):   # `if sym:` is a bug in user code; MXNet says so
        raise NotImplementedForSymbol('__bool__', 'bool')

    # ------------------------------------------------------------------ backends
    def optimize_for(self, backend, args=None, aux=None, ctx=None, **kwargs):
        """MXNet's subgraph partitioning. mxlite's executor fuses on its own and has no
        backends: the known MXNet backend names give the symbol back unchanged, others
        raise as MXNet does."""
        if backend not in _KNOWN_BACKENDS:
            raise MXNetError("optimize_for: backend '%s' cannot be found (mxlite has no "
                             "subgraph backends; %s are accepted and change nothing)"
                             % (backend, ', '.join(sorted(_KNOWN_BACKENDS))))
        return self

    def get_backend_symbol(self, backend):
        """The symbol as `optimize_for` would give it for `backend`."""
        return self.optimize_for(backend)

    # ------------------------------------------------------------------ attributes
    def attr(self, key):
        node, _ = self._single('attr')
        return node.attrs.get(key)

    def list_attr(self, recursive=False):
        if recursive:
            raise DeprecationWarning('list_attr(recursive=True) is gone; use attr_dict()')
        node, _ = self._single('list_attr')
        return dict(node.attrs)

    def attr_dict(self):
        return {n.name: dict(n.attrs) for n in topo_order(self._entries) if n.attrs}

    def _set_attr(self, **kwargs):
        for node, _ in self._entries:
            for key, value in kwargs.items():
                if not isinstance(value, str):
                    raise ValueError('attribute values must be strings, got %r for %s'
                                     % (value, key))
                node.attrs[key] = value
                node._params = None

    # ------------------------------------------------------------------ composition
    def __call__(self, *args, **kwargs):
        """A copy of this graph with its free variables replaced by other symbols."""
        name = kwargs.pop('name', None)
        s = self.copy()
        s._compose(*args, name=name, **kwargs)
        return s

    def _compose(self, *args, name=None, **kwargs):
        if args and kwargs:
            raise TypeError('compose accepts positional or keyword arguments, not both')
        arg_names = self.list_arguments()
        mapping = {}
        if args:
            if len(args) > len(arg_names):
                raise MXNetError('compose: %d symbols given for %d arguments (%s)'
                                 % (len(args), len(arg_names), ', '.join(arg_names)))
            for key, value in zip(arg_names, args):
                mapping[key] = value
        for key, value in kwargs.items():
            if key not in arg_names:
                raise MXNetError("compose: the symbol has no argument '%s'%s; arguments are %s"
                                 % (key, did_you_mean(key, arg_names), ', '.join(arg_names)))
            mapping[key] = value
        replace = {}
        for key, value in mapping.items():
            if not isinstance(value, Symbol):
                raise TypeError('compose: argument %s must be a Symbol, got %s'
                                % (key, type(value).__name__))
            replace[key] = value._single('compose')
        for node in topo_order(self._entries):
            node.inputs = [replace.get(src.name, (src, k)) if src.op is None else (src, k)
                           for src, k in node.inputs]
        self._entries = [replace.get(n.name, (n, k)) if n.op is None else (n, k)
                         for n, k in self._entries]
        if name is not None and len(self._entries) == 1:
            self._entries[0][0].name = name

    # ------------------------------------------------------------------ inference
    def _known_from(self, args, kwargs, what):
        arg_names = self.list_arguments()
        known = {}
        if args:
            if len(args) > len(arg_names):
                raise MXNetError('%s: %d values given for %d arguments' % (
                    what, len(args), len(arg_names)))
            for key, value in zip(arg_names, args):
                if value is not None:
                    known[key] = value
        inputs = set(self.list_inputs())
        for key, value in kwargs.items():
            if key not in inputs:
                raise MXNetError("%s: '%s' is not an input of the symbol%s; inputs are %s" % (
                    what, key, did_you_mean(key, inputs), ', '.join(sorted(inputs))))
            if value is not None:
                known[key] = value
        return known

    def _infer_shape_impl(self, partial, args, kwargs):
        known = {k: tuple(v) for k, v in self._known_from(args, kwargs, 'infer_shape').items()}
        g = self._graph()
        shapes = infer.infer_shapes(g, known)
        arg = [shapes[g.row_ptr[i]] for i in g.arg_nodes]
        aux = [shapes[g.row_ptr[i]] for i in g.aux_nodes]
        out = [shapes[e] for e in g.heads]
        if not partial and any(s is None for s in arg + aux + out):
            missing = [g.nodes[i].name for i, s in zip(g.arg_nodes, arg) if s is None]
            warnings.warn('Cannot decide shape for the following arguments (0s in shape '
                          'means unknown dimensions). Consider providing them as input: %s'
                          % ', '.join('%s: ()' % m for m in missing), stacklevel=3)
            return None, None, None
        fill = (lambda s: () if s is None else s)
        return [fill(s) for s in arg], [fill(s) for s in out], [fill(s) for s in aux]

    def infer_shape(self, *args, **kwargs):
        """(arg_shapes, out_shapes, aux_shapes) from some known input shapes.

        Returns (None, None, None) with a warning when the shapes cannot all be decided.
        """
        return self._infer_shape_impl(False, args, kwargs)

    def infer_shape_partial(self, *args, **kwargs):
        """Like infer_shape, but unknown shapes come back as ()."""
        return self._infer_shape_impl(True, args, kwargs)

    def infer_type(self, *args, **kwargs):
        """(arg_types, out_types, aux_types) as numpy types from some known input dtypes."""
        known = {k: np_dtype(v) for k, v in self._known_from(args, kwargs, 'infer_type').items()}
        g = self._graph()
        types = infer.infer_types(g, known)
        arg = [types[g.row_ptr[i]] for i in g.arg_nodes]
        aux = [types[g.row_ptr[i]] for i in g.aux_nodes]
        out = [types[e] for e in g.heads]
        if any(t is None for t in arg + aux + out):
            return None, None, None
        as_type = (lambda t: t.type)
        return [as_type(t) for t in arg], [as_type(t) for t in out], [as_type(t) for t in aux]

    def infer_type_partial(self, *args, **kwargs):
        known = {k: np_dtype(v) for k, v in self._known_from(args, kwargs, 'infer_type').items()}
        g = self._graph()
        types = infer.infer_types(g, known)
        conv = (lambda t: None if t is None else t.type)
        return ([conv(types[g.row_ptr[i]]) for i in g.arg_nodes],
                [conv(types[e]) for e in g.heads],
                [conv(types[g.row_ptr[i]]) for i in g.aux_nodes])

    # ------------------------------------------------------------------ serialisation
    def tojson(self):
        """The graph as MXNet's JSON text (identical to what MXNet 1.9.1 writes)."""
        from .json_format import graph_to_json
        return graph_to_json(self._entries)

    def save(self, fname, remove_amp_cast=True):
        from ..util_io import atomic_write_text
        atomic_write_text(fname, self.tojson())

    def debug_str(self):
        """A listing of every node, its inputs and attributes, in MXNet's layout."""
        lines = ['Symbol Outputs:']
        for i, (node, k) in enumerate(self._entries):
            lines.append('\toutput[%d]=%s(%d)' % (i, node.name, k))
        aux_inputs = set()
        for node in topo_order(self._entries):
            if node.op is not None:
                for i in node.aux_input_indices():
                    aux_inputs.add(id(node.inputs[i][0]))
        for node in topo_order(self._entries):
            if node.op is None:
                lines.append('Variable:%s' % node.name)
                continue
            lines.append('--------------------')
            lines.append('Op:%s, Name=%s' % (node.op.name, node.name))
            lines.append('Inputs:')
            for i, (src, k) in enumerate(node.inputs):
                version = ' version=%d' % (1 if id(src) in aux_inputs else 0) \
                    if src.op is None else ''
                lines.append('\targ[%d]=%s(%d)%s' % (i, src.name, k, version))
            op_attrs = {a: v for a, v in node.attrs.items()}
            if op_attrs:
                lines.append('Attrs:')
                for a in sorted(op_attrs):
                    lines.append('\t%s=%s' % (a, op_attrs[a]))
        return '\n'.join(lines) + '\n'

    # ------------------------------------------------------------------ running
    def simple_bind(self, ctx, grad_req='write', type_dict=None, stype_dict=None,
                    group2ctx=None, shared_arg_names=None, shared_exec=None,
                    shared_buffer=None, **kwargs):
        """Bind with freshly allocated (zero) arrays whose shapes come from `kwargs`."""
        from ..executor import simple_bind
        return simple_bind(self, ctx, grad_req=grad_req, type_dict=type_dict,
                           group2ctx=group2ctx, shared_exec=shared_exec,
                           shared_arg_names=shared_arg_names, shared_buffer=shared_buffer,
                           shapes=kwargs)

    def bind(self, ctx, args, args_grad=None, grad_req='write', aux_states=None,
             group2ctx=None, shared_exec=None):
        """An Executor computing this symbol on the given argument arrays."""
        from ..executor import Executor
        return Executor(self, ctx, args, args_grad, grad_req, aux_states, group2ctx,
                        shared_exec)

    def eval(self, ctx=None, **kwargs):
        """Bind to the given NDArrays, run forward, and return the outputs."""
        from ..context import current_context
        ex = self.bind(ctx or current_context(), kwargs)
        return ex.forward()

    def gradient(self, wrt):
        raise MXNetError('Symbol.gradient is not supported (it was never implemented in '
                         'MXNet 1.x either); bind and call backward instead')

    # ------------------------------------------------------------------ arithmetic
    # the op names are the ones MXNet 1.9.1's Symbol calls: auto-names follow them
    # ('_plusscalar0' but '_greater_scalar0', as in MXNet)
    def _binary(self, other, op, scalar_op, reverse=False):
        from . import _internal
        if isinstance(other, Symbol):
            args = (other, self) if reverse else (self, other)
            return getattr(_internal, op)(*args)
        if isinstance(other, numeric_types):
            return getattr(_internal, scalar_op)(self, scalar=other)
        return NotImplemented

    def __add__(self, o):
        return self._binary(o, '_Plus', '_PlusScalar')

    __radd__ = __add__

    def __sub__(self, o):
        return self._binary(o, '_Minus', '_MinusScalar')

    def __rsub__(self, o):
        return self._binary(o, '_Minus', '_RMinusScalar', True)

    def __mul__(self, o):
        return self._binary(o, '_Mul', '_MulScalar')

    __rmul__ = __mul__

    def __truediv__(self, o):
        return self._binary(o, '_Div', '_DivScalar')

    def __rtruediv__(self, o):
        return self._binary(o, '_Div', '_RDivScalar', True)

    __div__ = __truediv__
    __rdiv__ = __rtruediv__

    def __mod__(self, o):
        return self._binary(o, '_Mod', '_ModScalar')

    def __rmod__(self, o):
        return self._binary(o, '_Mod', '_RModScalar', True)

    def __pow__(self, o):
        return self._binary(o, '_Power', '_PowerScalar')

    def __rpow__(self, o):
        return self._binary(o, '_Power', '_rpower_scalar', True)

    def __neg__(self):
        return self.__mul__(-1.0)

    def __abs__(self):
        from . import abs as _abs
        return _abs(self)

    def __eq__(self, o):
        return self._binary(o, '_equal', '_equal_scalar')

    def __ne__(self, o):
        return self._binary(o, '_not_equal', '_not_equal_scalar')

    def __gt__(self, o):
        return self._binary(o, '_greater', '_greater_scalar')

    def __ge__(self, o):
        return self._binary(o, '_greater_equal', '_greater_equal_scalar')

    def __lt__(self, o):
        return self._binary(o, '_lesser', '_lesser_scalar')

    def __le__(self, o):
        return self._binary(o, '_lesser_equal', '_lesser_equal_scalar')


# MXNet's Symbol has these NDArray methods only to raise a clear error
_NDARRAY_ONLY = ('asnumpy', 'asscalar', 'wait_to_read', 'detach', 'backward',
                 'as_in_context', 'as_nd_ndarray', 'as_np_ndarray')
_KNOWN_BACKENDS = frozenset(('MKLDNN', 'ONEDNN', 'MKLDNN_QUANTIZE', 'ONEDNN_QUANTIZE',
                             'TensorRT', 'default'))


def _ndarray_only(name):
    def method(self, *args, **kwargs):
        raise NotImplementedForSymbol(name)
    method.__name__ = name
    method.__doc__ = 'NDArray only: raises NotImplementedForSymbol, as in MXNet.'
    return method


for _name in _NDARRAY_ONLY:
    if not hasattr(Symbol, _name):
        setattr(Symbol, _name, _ndarray_only(_name))


def _copy_graph(entries, memo):
    """Copies of the nodes reachable from entries; -> the copied entries."""
    for node in topo_order(entries):
        new = Node(node.op, node.name, node.attrs,
                   [(memo[id(src)], k) for src, k in node.inputs], node.user_line,
                   node.subgraphs)
        new._params = node._params
        memo[id(node)] = new
    return [(memo[id(n)], k) for n, k in entries]


def Variable(name, attr=None, shape=None, lr_mult=None, wd_mult=None, dtype=None,
             init=None, stype=None, **kwargs):
    """A named input of a graph (data, label or parameter).

    Examples
    --------
    >>> import mxlite as mx
    >>> w = mx.sym.Variable('w', shape=(3, 4), lr_mult=2.0)
    >>> w.attr('__shape__'), w.attr('__lr_mult__')
    ('(3, 4)', '2.0')
    """
    if not isinstance(name, str):
        raise TypeError('Variable name must be a string, got %r' % (name,))
    attrs = AttrScope.current().get(attr)
    if shape is not None:
        attrs['__shape__'] = str(tuple(shape))
    if lr_mult is not None:
        attrs['__lr_mult__'] = str(lr_mult)
    if wd_mult is not None:
        attrs['__wd_mult__'] = str(wd_mult)
    if dtype is not None:
        attrs['__dtype__'] = str(DTYPE_NP_TO_MX[np_dtype(dtype)])
    if init is not None:
        attrs['__init__'] = init if isinstance(init, str) else init.dumps()
    if stype is not None:
        attrs['__storage_type__'] = str({'default': 0, 'row_sparse': 1, 'csr': 2}[stype])
    for key, value in kwargs.items():
        if key.startswith('__') and key.endswith('__'):
            attrs[key] = str(value)
        else:
            raise ValueError('Attribute name=%s is not supported. Additional attributes must '
                             'start and end with double underscores, e.g, __yourattr__' % key)
    return Symbol([(Node(None, name, attrs, user_line=caller_line()), 0)])


var = Variable


def Group(symbols):
    """One symbol whose outputs are the outputs of all `symbols`, in order."""
    if not symbols or any(not isinstance(s, Symbol) for s in symbols):
        raise TypeError('Group expects a non-empty list of Symbols')
    entries = []
    for s in symbols:
        entries.extend(s._entries)
    return Symbol(entries)


def load_json(json_str):
    """A Symbol from MXNet symbol JSON text."""
    from .json_format import json_to_heads
    if not isinstance(json_str, str):
        raise TypeError('load_json expects a string')
    return Symbol(json_to_heads(json_str))


fromjson = load_json


def load(fname):
    """A Symbol from an MXNet `prefix-symbol.json` file."""
    from .json_format import json_to_heads
    try:
        with open(fname, 'r', encoding='utf-8') as f:
            text = f.read()
    except OSError as exc:
        raise MXNetError('cannot read symbol file %s: %s' % (fname, exc)) from None
    return Symbol(json_to_heads(text, source=str(fname)))
