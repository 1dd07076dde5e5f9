"""Operators written in Python: `CustomOp`, `CustomOpProp` and `register`.

A custom operator is two classes. The *prop* (a `CustomOpProp` subclass, registered under
a name with `@mx.operator.register('name')`) describes the operator: its argument, output
and auxiliary-state names, shape and dtype inference, and whether backward needs the
gradient of the outputs. Its `create_operator` makes the *op* (a `CustomOp` subclass),
whose `forward` and `backward` compute on NDArrays. Use it as
``mx.sym.Custom(data, op_type='name', **kwargs)`` in a graph or
``mx.nd.Custom(data, op_type='name', **kwargs)`` imperatively; keyword arguments reach
the prop's constructor as strings, as in MXNet.

Examples
--------
>>> import mxlite as mx
>>> class Square(mx.operator.CustomOp):
...     def forward(self, is_train, req, in_data, out_data, aux):
...         self.assign(out_data[0], req[0], in_data[0] * in_data[0])
...     def backward(self, req, out_grad, in_data, out_data, in_grad, aux):
...         self.assign(in_grad[0], req[0], 2 * in_data[0] * out_grad[0])
>>> @mx.operator.register('doc_square')
... class SquareProp(mx.operator.CustomOpProp):
...     def create_operator(self, ctx, in_shapes, in_dtypes):
...         return Square()
>>> mx.nd.Custom(mx.nd.array([1., 2.]), op_type='doc_square').asnumpy()
array([1., 4.], dtype=float32)
"""
from .base import MXNetError

__all__ = ['CustomOp', 'CustomOpProp', 'register', 'get_all_registered_operators',
           'registered_prop']

_REGISTRY = {}


class CustomOp:
    """Base class of a Python operator's computation (made by `CustomOpProp.create_operator`).

    `forward` and `backward` receive lists of NDArrays that wrap the operator's buffers;
    write results with `assign` so that the request ('write', 'add', 'null') is honoured.
    """

    def __init__(self):
        pass

    def forward(self, is_train, req, in_data, out_data, aux):
        """Compute `out_data` from `in_data` (and `aux`); `req[i]` says how to write out i."""
        raise NotImplementedError('%s.forward is not implemented' % type(self).__name__)

    def backward(self, req, out_grad, in_data, out_data, in_grad, aux):
        """Compute `in_grad` from `out_grad`; `req[i]` says how to write in_grad i."""
        raise NotImplementedError('%s.backward is not implemented' % type(self).__name__)

    def assign(self, dst, req, src):
        """Write `src` into `dst` according to `req`: 'null' skips, 'add' accumulates."""
        if req == 'null':
            return
        if req in ('write', 'inplace'):
            dst[:] = src
        elif req == 'add':
            dst[:] += src
        else:
            raise MXNetError("CustomOp.assign: unknown req '%s'; expected 'write', "
                             "'inplace', 'add' or 'null'" % (req,))


class CustomOpProp:
    """Base class of a Python operator's description; register subclasses with `register`.

    Parameters
    ----------
    need_top_grad : bool, default True
        Whether backward uses the gradient of the outputs. An operator that makes its
        own gradient (a loss) sets it to False; it can then be a loss head of a graph.
    """

    def __init__(self, need_top_grad=True):
        self.need_top_grad_ = need_top_grad

    def infer_shape(self, in_shape):
        """-> (argument shapes, output shapes, aux shapes); default: all like input 0."""
        return in_shape, (in_shape[0],) * len(self.list_outputs()), ()

    def infer_type(self, in_type):
        """-> (argument dtypes, output dtypes, aux dtypes); default: all like input 0."""
        return (in_type, [in_type[0]] * len(self.list_outputs()),
                [in_type[0]] * len(self.list_auxiliary_states()))

    def infer_storage_type(self, in_stype):
        return (in_stype, ['default'] * len(self.list_outputs()),
                ['default'] * len(self.list_auxiliary_states()))

    def infer_storage_type_backward(self, ograd_stype, in_stype, out_stype, igrad_stype,
                                    aux_stype):
        return (['default'] * len(ograd_stype), ['default'] * len(in_stype),
                ['default'] * len(out_stype), ['default'] * len(igrad_stype),
                ['default'] * len(aux_stype))

    def list_outputs(self):
        return ['output']

    def list_arguments(self):
        return ['data']

    def list_auxiliary_states(self):
        return []

    def declare_backward_dependency(self, out_grad, in_data, out_data):
        """The arrays backward reads (here for compatibility; memory is not pruned by it)."""
        deps = []
        if self.need_top_grad_:
            deps.extend(out_grad)
        deps.extend(in_data)
        deps.extend(out_data)
        return deps

    def create_operator(self, ctx, in_shapes, in_dtypes):
        """Make the `CustomOp` that computes this operator for these shapes and dtypes."""
        raise NotImplementedError('%s.create_operator is not implemented'
                                  % type(self).__name__)


def register(reg_name):
    """Class decorator: register a `CustomOpProp` subclass as op_type `reg_name`.

    Registering a name again replaces the earlier class (handy when re-running code).
    """
    if not isinstance(reg_name, str) or not reg_name:
        raise MXNetError('operator.register: the name must be a non-empty string, got %r'
                         % (reg_name,))

    def do_register(prop_cls):
        if not (isinstance(prop_cls, type) and issubclass(prop_cls, CustomOpProp)):
            raise MXNetError("operator.register('%s'): %r is not a subclass of "
                             "mx.operator.CustomOpProp" % (reg_name, prop_cls))
        _REGISTRY[reg_name] = prop_cls
        return prop_cls
    return do_register


def registered_prop(op_type):
    """The CustomOpProp class registered as `op_type`, or None."""
    return _REGISTRY.get(op_type)


def registered_names():
    return sorted(_REGISTRY)


def get_all_registered_operators():
    """Names of every built-in operator (custom op types are reached through 'Custom')."""
    from .ops import registry
    return sorted(registry.all_ops())
