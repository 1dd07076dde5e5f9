"""`Custom`: runs an operator written in Python (`mx.operator.CustomOp`) in graphs and
imperatively.

One record serves every registered op_type: its names, shapes and dtypes come from the
registered `CustomOpProp`, made from the node's keyword arguments (all strings, as MXNet
passes them). The `CustomOp` instance is created on a node's first forward and kept in
the node's state, so an executor makes one per node, like MXNet's bind.
"""
import numpy as np

from ..base import MXNetError, ShapeError, TypeInferError, attr_to_str, did_you_mean
from .registry import Operator, Params, Str, register

_PROPS = {}


def _registry():
    from .. import operator
    return operator


def _prop(p):
    """The CustomOpProp instance for these params (cached per op_type, class and kwargs)."""
    op_type = p.op_type
    cls = _registry().registered_prop(op_type)
    if cls is None:
        names = _registry().registered_names()
        raise MXNetError("Custom: op_type '%s' is not registered%s; register a CustomOpProp "
                         "subclass with @mx.operator.register('%s') first (registered: %s)"
                         % (op_type, did_you_mean(op_type, names), op_type,
                            ', '.join(names) or 'none'))
    kwargs = {k: v for k, v in p.as_dict().items() if k != 'op_type'}
    key = (op_type, cls, tuple(sorted(kwargs.items())))
    prop = _PROPS.get(key)
    if prop is None:
        try:
            prop = cls(**kwargs)
        except TypeError as exc:
            raise MXNetError("Custom '%s': %s(**%s) failed: %s" % (
                op_type, cls.__name__, kwargs, exc)) from None
        if len(_PROPS) > 1024:
            _PROPS.clear()
        _PROPS[key] = prop
    return prop


def _shape_or_none(shape, partial):
    shape = tuple(int(d) for d in shape)
    if partial and (len(shape) == 0 or 0 in shape):
        return None
    return shape


def _check_len(what, got, expected, op_type, names):
    if len(got) != expected:
        raise ShapeError("Custom '%s': infer_%s returned %d entries for %s, expected %d (%s)"
                         % (op_type, what[0], len(got), what[1], expected, ', '.join(names)))


@register
class Custom(Operator):
    """Apply a custom operator implemented in Python (frontend `mx.operator`).

    Parameters
    ----------
    op_type : str, required
        The name the operator's `CustomOpProp` was registered under with
        `mx.operator.register`.
    **kwargs
        Any other keyword arguments; passed, as strings, to the prop's constructor.

    Examples
    --------
    >>> import mxlite as mx
    >>> class Twice(mx.operator.CustomOp):
    ...     def forward(self, is_train, req, in_data, out_data, aux):
    ...         self.assign(out_data[0], req[0], in_data[0] * 2)
    ...     def backward(self, req, out_grad, in_data, out_data, in_grad, aux):
    ...         self.assign(in_grad[0], req[0], out_grad[0] * 2)
    >>> @mx.operator.register('doc_twice')
    ... class TwiceProp(mx.operator.CustomOpProp):
    ...     def create_operator(self, ctx, shapes, dtypes):
    ...         return Twice()
    >>> mx.nd.Custom(mx.nd.array([1., 2.]), op_type='doc_twice').asnumpy()
    array([2., 4.], dtype=float32)
    """
    name = 'Custom'
    params = {'op_type': Str(doc='Name of the registered custom operator.')}
    # one record serves every op_type, so "is this a loss" is asked per node: is_loss_for
    is_loss = False

    # ---- schema: op_type plus any string kwargs
    def parse_params(self, kwargs, node_name=None):
        values = {}
        for key, value in kwargs.items():
            if key.startswith('__') or key in ('name', 'attr'):
                continue
            values[key] = attr_to_str(value)
        if 'op_type' not in values:
            raise MXNetError("%s: required parameter 'op_type' (string) is missing; pass "
                             "op_type='<name given to mx.operator.register>'"
                             % self._where(node_name))
        p = Params(values)
        _prop(p)  # unknown op types fail here, where the node is made
        return p

    def params_to_attrs(self, p):
        """Attribute strings for a symbol node (everything is already a string)."""
        return p.as_dict()

    def is_loss_for(self, p):
        """A custom op whose prop says need_top_grad=False makes its own head gradient."""
        return not _prop(p).need_top_grad_

    # ---- names
    def list_arguments(self, p):
        return list(_prop(p).list_arguments())

    def list_outputs(self, p):
        return list(_prop(p).list_outputs())

    def list_auxiliary_states(self, p):
        return list(_prop(p).list_auxiliary_states())

    # ---- inference, delegated to the prop
    def infer_shape(self, p, in_shapes):
        prop = _prop(p)
        args, outs, auxs = (prop.list_arguments(), prop.list_outputs(),
                            prop.list_auxiliary_states())
        nargs = len(args)
        partial = any(s is None for s in in_shapes[:nargs])
        query = [[] if s is None else list(s) for s in in_shapes[:nargs]]
        try:
            ret = prop.infer_shape(query)
        except MXNetError:
            raise
        except Exception as exc:
            # unknown shapes reach the prop as [] (as in MXNet); props read the first
            # argument's shape, so while that is unknown, wait for the next sweep
            if nargs and in_shapes[0] is None:
                return in_shapes, [None] * len(outs)
            raise ShapeError("Custom '%s': %s.infer_shape(%s) raised %s: %s" % (
                p.op_type, type(prop).__name__, query, type(exc).__name__, exc)) from None
        ret = list(ret)
        if len(ret) not in (2, 3):
            raise ShapeError("Custom '%s': infer_shape must return (in_shapes, out_shapes"
                             "[, aux_shapes]), got %d values" % (p.op_type, len(ret)))
        new_in, new_out = list(ret[0]), list(ret[1])
        new_aux = list(ret[2]) if len(ret) == 3 else []
        _check_len(('shape', 'arguments'), new_in, nargs, p.op_type, args)
        _check_len(('shape', 'outputs'), new_out, len(outs), p.op_type, outs)
        if len(new_aux) != len(auxs):
            if auxs or new_aux:
                _check_len(('shape', 'aux states'), new_aux, len(auxs), p.op_type, auxs)
        shapes_in = [_shape_or_none(s, partial) for s in new_in + new_aux]
        return shapes_in, [_shape_or_none(s, partial) for s in new_out]

    def infer_type(self, p, in_types):
        prop = _prop(p)
        nargs = len(prop.list_arguments())
        nout = len(prop.list_outputs())
        known = next((t for t in in_types if t is not None), None)
        if known is None:
            return in_types, [None] * nout
        query = [np.dtype(known if t is None else t).type for t in in_types[:nargs]]
        try:
            ret = list(prop.infer_type(query))
        except MXNetError:
            raise
        except Exception as exc:
            raise TypeInferError("Custom '%s': %s.infer_type(%s) raised %s: %s" % (
                p.op_type, type(prop).__name__, query, type(exc).__name__, exc)) from None
        new_in, new_out = list(ret[0]), list(ret[1])
        new_aux = list(ret[2]) if len(ret) > 2 else []
        conv = [None if t is None else np.dtype(t) for t in new_in + new_aux]
        conv += [None] * (len(in_types) - len(conv))
        return conv[:len(in_types)], [None if t is None else np.dtype(t) for t in new_out]

    # ---- kernels
    def _operator(self, p, inputs, ctx):
        op = ctx.state.get('custom_op')
        if op is None:
            from ..context import current_context
            device = ctx.ctx if ctx.ctx is not None else current_context()
            op = _prop(p).create_operator(device, [list(x.shape) for x in inputs],
                                          [x.dtype.type for x in inputs])
            ctx.state['custom_op'] = op
        return op

    def forward(self, p, inputs, outputs, ctx):
        from .. import autograd
        from ..ndarray.ndarray import NDArray
        op = self._operator(p, inputs, ctx)
        nargs = len(self.list_arguments(p))
        device = ctx.ctx

        def wrap(xs):
            return [NDArray(x, device) for x in xs]
        with autograd.pause(train_mode=ctx.is_train):
            op.forward(is_train=ctx.is_train, req=['write'] * len(outputs),
                       in_data=wrap(inputs[:nargs]), out_data=wrap(outputs),
                       aux=wrap(inputs[nargs:]))

    def backward(self, p, ograds, inputs, outputs, ctx):
        from .. import autograd
        from ..ndarray.ndarray import NDArray
        op = ctx.state.get('custom_op')
        if op is None:
            raise MXNetError("Custom '%s': backward called before forward" % p.op_type)
        nargs = len(self.list_arguments(p))
        device = ctx.ctx
        xp = ctx.xp
        grads = [xp.zeros_like(x) for x in inputs[:nargs]]
        ograds = [xp.zeros_like(o) if g is None else g for g, o in zip(ograds, outputs)]

        def wrap(xs):
            return [NDArray(x, device) for x in xs]
        with autograd.pause(train_mode=ctx.is_train):
            op.backward(req=['write'] * nargs, out_grad=wrap(ograds),
                        in_data=wrap(inputs[:nargs]), out_data=wrap(outputs),
                        in_grad=wrap(grads), aux=wrap(inputs[nargs:]))
        return grads + [None] * (len(inputs) - nargs)
