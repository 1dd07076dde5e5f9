"""How `mx.nd.X(...)` and `mx.sym.X(...)` calls map to an operator's inputs and params.

Both frontends share this so that they accept the same arguments: arrays (NDArray or
Symbol) given positionally or by input name are inputs; everything else is a parameter,
positionally in the order of the op's schema after the inputs, or by keyword.
"""
from ..base import MXNetError, did_you_mean


def argument_names(op, p=None):
    """Input names of `op` (arguments then aux), using defaults when params are unknown."""
    if p is not None:
        return list(op.list_arguments(p)) + list(op.list_auxiliary_states(p))
    names = getattr(op, 'arg_names', None)
    if names is not None:
        return list(names)
    try:
        from .registry import Params
        defaults = {k: (None if v.required else v.default) for k, v in op.params.items()}
        if op.key_var_num_args:
            defaults[op.key_var_num_args] = 1
        dp = Params(defaults)
        return list(op.list_arguments(dp)) + list(op.list_auxiliary_states(dp))
    except Exception:  # list_arguments needs a required param: only 'data' is certain
        return ['data']


def split_call(op, args, kwargs, array_type):
    """-> (positional inputs, {name: keyword input}, {param: value}) for one call."""
    pos_inputs, kw_inputs, attrs = [], {}, {}
    param_names = list(op.params)
    pos_params = []
    for value in args:
        if isinstance(value, array_type):
            if pos_params:
                raise MXNetError('%s: input array given after positional parameters' % op.name)
            pos_inputs.append(value)
        elif isinstance(value, (list, tuple)) and value and all(
                isinstance(v, array_type) for v in value) and op.key_var_num_args:
            pos_inputs.extend(value)
        elif value is None and not pos_params:
            pos_inputs.append(None)
        else:
            pos_params.append(value)
    free_params = [n for n in param_names if n != op.key_var_num_args]
    if len(pos_params) > len(free_params):
        raise MXNetError('%s: too many positional arguments' % op.name)
    for name, value in zip(free_params, pos_params):
        attrs[name] = value
    for key, value in kwargs.items():
        if isinstance(value, array_type):
            kw_inputs[key] = value
        elif isinstance(value, (list, tuple)) and value and all(
                isinstance(v, array_type) for v in value) and op.key_var_num_args:
            pos_inputs.extend(value)
        elif value is None and key not in op.params:
            continue  # an input passed as None: absent
        else:
            if key in attrs:
                raise MXNetError("%s: parameter '%s' given twice" % (op.name, key))
            attrs[key] = value
    while pos_inputs and pos_inputs[-1] is None:
        pos_inputs.pop()
    if op.key_var_num_args and op.key_var_num_args not in attrs:
        attrs[op.key_var_num_args] = len(pos_inputs) + len(kw_inputs)
    return pos_inputs, kw_inputs, attrs


def _enabling_flag(op, p, accepts):
    """'; set use_x=True to pass ...' when turning one False boolean parameter on gives an
    input list that `accepts` (SequenceMask's sequence_length needs use_sequence_length)."""
    from .registry import Bool, Params
    if p is None:
        return ''
    values = p.as_dict()
    for key, spec in op.params.items():
        if not isinstance(spec, Bool) or values.get(key) is not False:
            continue
        try:
            more = argument_names(op, Params(dict(values, **{key: True})))
        except Exception:   # a flag the op cannot take alone: no hint
            continue
        if accepts(more):
            extra = [n for n in more if n not in argument_names(op, p)]
            return ' (set %s=True to pass %s)' % (key, ', '.join(extra))
    return ''


def order_inputs(op, p, pos_inputs, kw_inputs, node_name=None):
    """Inputs in the op's order; missing ones are None. Unknown keyword inputs raise."""
    names = argument_names(op, p)
    if op.key_var_num_args:
        given = list(pos_inputs) + [kw_inputs[k] for k in kw_inputs]
        return given + [None] * (len(names) - len(given)), names
    if len(pos_inputs) > len(names):
        raise MXNetError('%s: got %d inputs but it takes %d (%s)%s' % (
            op._where(node_name), len(pos_inputs), len(names), ', '.join(names),
            _enabling_flag(op, p, lambda more: len(more) >= len(pos_inputs))))
    ordered = list(pos_inputs) + [None] * (len(names) - len(pos_inputs))
    for key, value in kw_inputs.items():
        if key not in names:
            hint = _enabling_flag(op, p, lambda more, key=key: key in more) or \
                did_you_mean(key, names)
            raise MXNetError("%s: unknown input '%s'%s; inputs are %s" % (
                op._where(node_name), key, hint, ', '.join(names)))
        idx = names.index(key)
        if ordered[idx] is not None:
            raise MXNetError("%s: input '%s' given twice" % (op._where(node_name), key))
        ordered[idx] = value
    return ordered, names
