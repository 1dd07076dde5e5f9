"""`mx.sym.X` functions made from the operator records."""
from ..attribute import AttrScope
from ..base import MXNetError
from ..graph.ir import Node, caller_line
from ..name import NameManager
from ..ops.calling import order_inputs, split_call
from ..ops.registry import attrs_to_strings


def make_function(op, public_name):
    """The mx.sym.<public_name> function of an operator record."""
    from .symbol import Symbol
    hint = public_name.lower()

    def fn(*args, name=None, attr=None, **kwargs):
        pos, kw, values = split_call(op, args, kwargs, Symbol)
        str_attrs = attrs_to_strings(values)
        name = NameManager.current().get(name, hint)
        line = caller_line()
        try:
            p = op.parse_params(str_attrs, name)
        except MXNetError as exc:
            raise type(exc)('%s (created at %s)' % (exc, line) if line else str(exc)) from None
        ordered, names = order_inputs(op, p, pos, kw, name)
        inputs = []
        for input_name, sym in zip(names, ordered):
            if sym is None:
                var_attrs = dict(str_attrs)
                var_attrs.update(op.auto_var_attrs.get(input_name, {}))
                inputs.append((Node(None, '%s_%s' % (name, input_name), var_attrs), 0))
            elif len(sym._entries) != 1:
                raise MXNetError("%s '%s': input '%s' is a group of %d outputs; pass one of "
                                 "them (sym[i])" % (op.name, name, input_name, len(sym._entries)))
            else:
                inputs.append(sym._entries[0])
        node_attrs = AttrScope.current().get(attr)
        node_attrs.update(str_attrs)
        node = Node(op, name, node_attrs, inputs, user_line=line)
        node._params = p
        return Symbol([(node, k) for k in range(op.num_visible_outputs(p))])

    fn.__name__ = public_name
    fn.__qualname__ = public_name
    from ..ndarray.register import _doc
    fn.__doc__ = _doc(op)
    return fn

