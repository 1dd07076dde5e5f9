"""Imperative operator calls: `mx.nd.X` functions made from the operator records."""
import numpy as np

from ..base import MXNetError
from ..context import current_context
from ..ops import registry
from ..ops.calling import order_inputs, split_call
from ..ops.registry import OpContext
from .ndarray import NDArray

_PARAM_CACHE = {}
# mx.profiler puts a function here that runs and times the kernel while it records
# imperative calls (see mxlite/profiler.py); None costs invoke one global lookup
_PROFILE_HOOK = None


def parse_params(op, attrs):
    """Parsed params, cached by their values (imperative loops call the same op often)."""
    try:
        key = (op.name, tuple(sorted(attrs.items())))
        hash(key)
    except TypeError:
        return op.parse_params(attrs)
    p = _PARAM_CACHE.get(key)
    if p is None:
        p = op.parse_params(attrs)
        if len(_PARAM_CACHE) > 4096:
            _PARAM_CACHE.clear()
        _PARAM_CACHE[key] = p
    return p


def _infer(op, p, in_data, out=None):
    from ..base import ShapeError, TypeInferError
    by_values = getattr(op, 'infer_shape_from_values', None)
    try:
        if by_values is not None:   # the output's shape follows from values (boolean_mask)
            out_shapes = by_values(p, in_data)
        else:
            _, out_shapes = op.infer_shape(p, [d.shape for d in in_data])
        _, out_types = op.infer_type(p, [d.dtype for d in in_data])
        if out is not None:   # what inference leaves open, out= decides (_set_value)
            targets = out if isinstance(out, (list, tuple)) else [out]
            out_shapes, out_types = list(out_shapes), list(out_types)
            for k, t in enumerate(targets[:len(out_shapes)]):
                if out_shapes[k] is None:
                    out_shapes[k] = t.shape
                if out_types[k] is None:
                    out_types[k] = t.dtype
        # an output type nobody decides is float32, as in bound graphs (NumPy: float64)
        out_types = [np.float32 if t is None else t for t in out_types]
    except ShapeError as exc:
        raise ShapeError('%s: %s (input shapes: %s)' % (
            op.name, exc, ', '.join(str(d.shape) for d in in_data))) from None
    except TypeInferError as exc:
        raise TypeInferError('%s: %s' % (op.name, exc)) from None
    if any(s is None for s in out_shapes):
        raise MXNetError('%s: could not infer the output shape from inputs %s'
                         % (op.name, [d.shape for d in in_data]))
    return out_shapes, out_types


def invoke(op, inputs, attrs, out=None, ctx=None):
    """Run `op` on NDArrays now; returns an NDArray or a list of them.

    `attrs` may hold Python values or attribute strings. Outputs are fresh arrays unless
    `out` is given; autograd records the call when recording is on.
    """
    if isinstance(op, str):
        op = registry.get(op)
    p = attrs if isinstance(attrs, registry.Params) else parse_params(op, attrs)
    if inputs:
        ctx = inputs[0].context
    elif ctx is None:
        ctx = current_context()
    in_data = [x._data for x in inputs]
    out_shapes, out_types = _infer(op, p, in_data, out)
    xp = ctx.xp
    outs = [xp.empty(s, dtype=t) for s, t in zip(out_shapes, out_types)]
    from .. import autograd
    opctx = OpContext(is_train=autograd.is_training(), xp=xp, ctx=ctx)
    if _PROFILE_HOOK is None:
        op.forward(p, in_data, outs, opctx)
    else:
        _PROFILE_HOOK(op, p, in_data, outs, opctx)
    results = [NDArray(o, ctx) for o in outs]
    if autograd.is_recording():
        autograd._record(op, p, inputs, results, opctx.state)
    nvis = op.num_visible_outputs(p)
    visible = results[:nvis]
    if out is not None:
        targets = out if isinstance(out, (list, tuple)) else [out]
        if len(targets) != len(visible):
            raise MXNetError('%s: out= has %d arrays but the op has %d outputs'
                             % (op.name, len(targets), len(visible)))
        recording = autograd.is_recording()
        for t, r in zip(targets, visible):
            if recording:
                from .. import autograd_tape
                autograd_tape.check_inplace(t)
            if t.shape != r.shape:
                raise MXNetError('%s: out= array has shape %s but the result has shape %s'
                                 % (op.name, t.shape, r.shape))
            t._data[...] = r._data
            if autograd.is_recording():
                t._ag_entry = r._ag_entry
        return out
    return visible[0] if nvis == 1 else visible


def make_function(op, public_name):
    """The mx.nd.<public_name> function of an operator record."""
    def fn(*args, out=None, name=None, ctx=None, **kwargs):
        pos, kw, attrs = split_call(op, args, kwargs, NDArray)
        # as MXNet's generated functions: a None input is left out and the later ones
        # move up (CTCLoss(pred, label, None, label_lengths, use_label_lengths=True))
        pos = [a for a in pos if a is not None]
        p = parse_params(op, attrs)
        ordered, names = order_inputs(op, p, pos, kw)
        for n, x in zip(names, ordered):
            if x is None:
                raise MXNetError("%s: input '%s' is missing; pass it as %s=<NDArray>"
                                 % (op.name, n, n))
        return invoke(op, ordered, p, out=out, ctx=None if ctx is None else ctx)
    fn.__name__ = public_name
    fn.__qualname__ = public_name
    fn.__doc__ = _doc(op)
    return fn


def _doc(op):
    lines = [op.doc or op.name, '', 'Parameters', '----------']
    for key, spec in op.params.items():
        lines.append('%s : %s' % (key, spec.describe()))
        if spec.doc:
            lines.append('    ' + spec.doc)
    return '\n'.join(lines)

