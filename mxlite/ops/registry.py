"""The operator record: one class per operator, registered once, used by mx.sym and mx.nd.

An operator subclasses `Operator` and declares, side by side:

* ``name``/``aliases`` and ``params`` — a typed schema (`Int`, `Float`, `Bool`, `Str`,
  `Shape`, ...). Attribute strings (as written in symbol JSON) and Python values are both
  accepted; parsed values come to the methods as a `Params` object (``p.num_hidden``).
* ``list_arguments(p)``, ``list_outputs(p)``, ``list_auxiliary_states(p)`` — input/output
  names (``FullyConnected(name='fc1')`` auto-creates ``fc1_weight``, ``fc1_bias``).
* ``infer_shape(p, in_shapes)`` -> ``(in_shapes, out_shapes)`` over arguments then aux
  states; unknown shapes are ``None``. Raise `ShapeError` via `shape_check`.
* ``infer_type(p, in_types)`` -> ``(in_types, out_types)``; default: all the same dtype.
* ``forward(p, inputs, outputs, ctx)`` — writes into the preallocated ``outputs``.
* ``backward(p, ograds, inputs, outputs, ctx)`` -> one gradient array (or None) per
  input. ``ctx.state`` carries what forward saved for backward (a mask, a batch mean).

The executor and the imperative path only ever talk to these methods.
"""
import ast
import inspect

import numpy as np

from ..base import MXNetError, ShapeError, TypeInferError, attr_to_str, did_you_mean, np_dtype

__all__ = ['Operator', 'register', 'get', 'find', 'all_ops', 'Params', 'OpContext',
           'Int', 'Float', 'Bool', 'Str', 'Enum', 'Shape', 'IntOrNone', 'FloatOrNone',
           'DType', 'FloatTuple', 'Any', 'shape_check', 'REQUIRED']

REQUIRED = object()


# ----------------------------------------------------------------------------- params
class Param:
    """One typed parameter: parses a Python value or MXNet's attribute string."""
    kind = 'any'

    def __init__(self, default=REQUIRED, doc=''):
        self.default = default
        self.doc = doc

    @property
    def required(self):
        return self.default is REQUIRED

    def parse(self, value):
        if isinstance(value, str):
            return self.from_str(value)
        return self.from_value(value)

    def from_str(self, text):
        return text

    def from_value(self, value):
        return value

    def describe(self):
        default = 'required' if self.required else 'default=%r' % (self.default,)
        return '%s, %s' % (self.kind, default)


class Any(Param):
    pass


class Int(Param):
    kind = 'int'

    def from_str(self, text):
        try:
            return int(text)
        except ValueError:
            return int(float(text))

    def from_value(self, value):
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer, float)):
            raise ValueError('expected an integer')
        if float(value) != int(value):
            raise ValueError('expected an integer')
        return int(value)


class IntOrNone(Int):
    kind = 'int or None'

    def from_str(self, text):
        return None if text in ('None', '') else super().from_str(text)

    def from_value(self, value):
        return None if value is None else super().from_value(value)


class Float(Param):
    """A float, optionally bounded to [low, high] (Dropout's p)."""
    kind = 'float'

    def __init__(self, default=REQUIRED, doc='', low=None, high=None):
        super().__init__(default, doc)
        self.low, self.high = low, high
        if low is not None or high is not None:
            self.kind = 'float in [%s, %s]' % (low, high)

    def _bounded(self, value):
        if (self.low is not None and value < self.low) or \
                (self.high is not None and value > self.high):
            raise ValueError('expected a value in [%s, %s]' % (self.low, self.high))
        return value

    def from_str(self, text):
        return self._bounded(float(text))

    def from_value(self, value):
        if isinstance(value, bool) or not isinstance(value, (int, float, np.number)):
            raise ValueError('expected a number')
        return self._bounded(float(value))


class FloatOrNone(Float):
    kind = 'float or None'

    def from_str(self, text):
        return None if text in ('None', '') else super().from_str(text)

    def from_value(self, value):
        return None if value is None else super().from_value(value)


class Bool(Param):
    kind = 'boolean'

    def from_str(self, text):
        low = text.strip().lower()
        if low in ('true', '1'):
            return True
        if low in ('false', '0'):
            return False
        raise ValueError('expected True or False')

    def from_value(self, value):
        if isinstance(value, (bool, np.bool_, int, np.integer)):
            return bool(value)
        raise ValueError('expected True or False')


class Str(Param):
    kind = 'string'

    def from_value(self, value):
        return str(value)


class Enum(Param):
    """One of a fixed set of strings (act_type, pool_type, ...)."""

    def __init__(self, choices, default=REQUIRED, doc='', allow_none=False):
        super().__init__(default, doc)
        self.choices = tuple(choices)
        self.allow_none = allow_none
        self.kind = '{%s}' % ', '.join("'%s'" % c for c in self.choices)

    def from_str(self, text):
        if self.allow_none and text == 'None':
            return None
        if text not in self.choices:
            raise ValueError("'%s' is not one of %s%s" % (text, list(self.choices),
                                                            did_you_mean(text, self.choices)))
        return text

    def from_value(self, value):
        if value is None and self.allow_none:
            return None
        return self.from_str(str(value))


class Shape(Param):
    """A tuple of ints; accepts '(2, 3)', '[2,3]', '2', (2, 3), 2. ``None`` allowed as '()'."""
    kind = 'Shape(tuple)'

    def __init__(self, default=REQUIRED, doc='', allow_none=False):
        super().__init__(default, doc)
        self.allow_none = allow_none

    def from_str(self, text):
        text = text.strip()
        if text in ('None', ''):
            if self.allow_none:
                return None
            return ()
        try:
            value = ast.literal_eval(text)
        except (ValueError, SyntaxError) as exc:
            raise ValueError('expected a shape like (2, 3)') from exc
        return self.from_value(value)

    def from_value(self, value):
        if value is None:
            return None if self.allow_none else ()
        if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
            return (int(value),)
        if isinstance(value, np.ndarray) and value.ndim == 1 and value.dtype.kind in 'iu':
            value = value.tolist()   # MXNet takes any sequence of ints
        if isinstance(value, (tuple, list)):
            out = []
            for v in value:
                if v is None:
                    out.append(None)
                elif isinstance(v, (int, np.integer)) and not isinstance(v, bool):
                    out.append(int(v))
                else:
                    raise ValueError('expected a tuple of integers')
            return tuple(out)
        raise ValueError('expected a shape like (2, 3)')


class FloatTuple(Param):
    kind = 'tuple of floats'

    def from_str(self, text):
        value = ast.literal_eval(text.strip())
        return self.from_value(value)

    def from_value(self, value):
        if isinstance(value, (int, float)):
            return (float(value),)
        return tuple(float(v) for v in value)


class DType(Param):
    """A dtype name; None allowed where MXNet says so."""
    kind = 'dtype'

    def __init__(self, default=REQUIRED, doc='', allow_none=False):
        super().__init__(default, doc)
        self.allow_none = allow_none

    def from_str(self, text):
        if text == 'None':
            if self.allow_none:
                return None
            raise ValueError('a dtype is required')
        return np_dtype(text).name

    def from_value(self, value):
        if value is None and self.allow_none:
            return None
        return np_dtype(value).name


class Params:
    """Parsed parameter values of one node, as attributes (``p.kernel``)."""

    def __init__(self, values):
        # plain instance attributes: kernels read them every step, at dict speed
        self.__dict__.update(values)
        self.__dict__['_values'] = values

    def __setattr__(self, name, value):
        raise AttributeError('Params are read-only')

    def get(self, name, default=None):
        return self._values.get(name, default)

    def as_dict(self):
        return dict(self._values)

    def __repr__(self):
        return 'Params(%s)' % ', '.join('%s=%r' % kv for kv in sorted(self._values.items()))


# ----------------------------------------------------------------------------- contexts
class OpContext:
    """What a kernel gets besides its arrays.

    is_train: training pass (Dropout drops, BatchNorm uses batch statistics).
    state:    a dict kept per node between forward and backward.
    xp:       the array module (numpy or cupy) of this device.
    rng:      a numpy Generator for this device, seeded by mx.random.seed.
    req:      in backward, per input: 'write' / 'add' / 'null' ('null': nobody reads that
              gradient, so the kernel may return None for it); None means all are needed.
              In forward, per output, only for ops with `forward_accumulates`: 'add'
              means add the result into the output array; None means write.
    shared:   a dict shared by every step of one executor (None for imperative calls),
              for budgets that span nodes (Convolution's kept im2col columns).
    grad_dst: in backward, per input, the array its gradient will be written to when
              req is 'write' (else None), or None altogether. A kernel may compute a
              gradient straight into it and return that same array (no copy follows);
              it must not write there before it has finished reading its inputs.
    """
    __slots__ = ('is_train', 'state', 'xp', 'ctx', 'req', 'grad_dst', 'shared')

    def __init__(self, is_train=False, state=None, xp=np, ctx=None, req=None):
        self.is_train = is_train
        self.state = {} if state is None else state
        self.xp = xp
        self.ctx = ctx
        self.req = req
        self.grad_dst = None
        self.shared = None

    def dst(self, slot):
        """Where input `slot`'s gradient may be written directly, or None."""
        return None if self.grad_dst is None else self.grad_dst[slot]

    def needs(self, slot):
        """Is the gradient of input `slot` wanted (see `req`)?"""
        return self.req is None or self.req[slot] != 'null'

    @property
    def rng(self):
        from .. import random as _random
        return _random.generator(self.ctx)


def shape_check(cond, message, *args):
    """Raise ShapeError(message % args) unless cond; the caller adds op and node names."""
    if not cond:
        raise ShapeError(message % args if args else message)


# ----------------------------------------------------------------------------- operator
class Operator:
    """Base class of every operator record. See the module docstring for the contract."""
    name = None
    aliases = ()
    params = {}
    # name of the param that counts variadic inputs (Concat's num_args); None if fixed.
    key_var_num_args = None
    # inputs whose gradient is never computed (labels, indices)
    nograd_inputs = ()
    # loss heads ignore out_grads; backward() may run without them
    is_loss = False
    # (input index, output index) pairs whose buffers may be shared
    inplace = ()
    # forward honours ctx.req == ['add', ...]: adds into outputs[0] instead of writing it
    # (the executor then fuses a following elemwise_add into this op at inference)
    forward_accumulates = False
    # what backward reads: 'inputs', 'outputs', both, or none (drives memory planning)
    backward_uses_inputs = True
    backward_uses_outputs = True
    # attrs added to auto-created variables, e.g. {'moving_mean': {'__init__': '["zero", {}]'}}
    auto_var_attrs = {}
    # hidden from the public mx.sym / mx.nd namespaces (backward ops, internals)
    hidden = False
    doc = ''

    # ---- schema
    def parse_params(self, kwargs, node_name=None):
        """Parsed Params from a dict of strings or Python values; errors name the op."""
        values = {}
        for key, value in kwargs.items():
            spec = self.params.get(key)
            if spec is None:
                if key.startswith('__') or key in ('name', 'attr', 'ctx'):
                    continue
                raise MXNetError("%s: unknown parameter '%s'%s; valid parameters: %s" % (
                    self._where(node_name), key, did_you_mean(key, self.params),
                    ', '.join(sorted(self.params)) or 'none'))
            try:
                values[key] = spec.parse(value)
            except (ValueError, TypeError, SyntaxError, MXNetError) as exc:
                raise MXNetError("%s: invalid value %r for parameter '%s' (%s): %s" % (
                    self._where(node_name), value, key, spec.describe(), exc)) from None
        for key, spec in self.params.items():
            if key not in values:
                if spec.required:
                    raise MXNetError("%s: required parameter '%s' (%s) is missing" % (
                        self._where(node_name), key, spec.kind))
                values[key] = spec.default
        return Params(values)

    def _input_names(self, p, count):
        try:
            names = list(self.list_arguments(p)) + list(self.list_auxiliary_states(p))
        except Exception:  # names depend on params we cannot read: fall back to positions
            names = []
        return names + ['input %d' % i for i in range(len(names), count)]

    def _where(self, node_name):
        return "%s '%s'" % (self.name, node_name) if node_name else self.name

    # ---- names
    def list_arguments(self, p):
        return ['data']

    def list_outputs(self, p):
        return ['output']

    def list_auxiliary_states(self, p):
        return []

    def num_outputs(self, p):
        return len(self.list_outputs(p))

    def num_visible_outputs(self, p):
        """Outputs a user sees; the rest are internal (kept for backward)."""
        return self.num_outputs(p)

    def num_inputs(self, p):
        return len(self.list_arguments(p)) + len(self.list_auxiliary_states(p))

    # ---- inference
    def infer_shape(self, p, in_shapes):
        """Default: one output with the shape of the first known input; all inputs equal."""
        known = next((s for s in in_shapes if s is not None), None)
        if known is None:
            return in_shapes, [None] * self.num_outputs(p)
        for i, s in enumerate(in_shapes):
            shape_check(s is None or tuple(s) == tuple(known),
                        "input %d has shape %s but input 0 has shape %s; expected equal shapes",
                        i, s, known)
        return [known] * len(in_shapes), [known] * self.num_outputs(p)

    def infer_type(self, p, in_types):
        known = next((t for t in in_types if t is not None), None)
        if known is None:
            return in_types, [None] * self.num_outputs(p)
        first = next(i for i, t in enumerate(in_types) if t is not None)
        for i, t in enumerate(in_types):
            if t is not None and t != known:
                names = self._input_names(p, len(in_types))
                raise TypeInferError("input '%s' has dtype %s but input '%s' has dtype %s; "
                                     "expected the same dtype (cast one with astype or Cast)"
                                     % (names[i], np.dtype(t).name, names[first],
                                        np.dtype(known).name))
        return [known] * len(in_types), [known] * self.num_outputs(p)

    # ---- kernels
    def forward(self, p, inputs, outputs, ctx):
        raise NotImplementedError('%s has no forward kernel' % self.name)

    def backward(self, p, ograds, inputs, outputs, ctx):
        raise MXNetError('operator %s has no gradient' % self.name)

    has_backward = True

    def __repr__(self):
        return '<Operator %s>' % self.name


_OPS = {}


def register(cls):
    """Class decorator: register an Operator subclass under its name and aliases."""
    op = cls() if isinstance(cls, type) else cls
    if not op.name:
        raise ValueError('operator %r has no name' % cls)
    for key in (op.name,) + tuple(op.aliases):
        if key in _OPS and _OPS[key] is not op:
            raise ValueError('operator name %s registered twice' % key)
        _OPS[key] = op
    if not op.doc:
        op.doc = inspect.getdoc(cls) or ''
    return cls


def find(name):
    _ensure_loaded()
    return _OPS.get(name)


def get(name, node_name=None):
    """The operator called `name`, or an MXNetError naming it (and the node)."""
    op = find(name)
    if op is None:
        where = " (node '%s')" % node_name if node_name else ''
        raise MXNetError("unknown operator '%s'%s%s" % (name, where, did_you_mean(name, _OPS)))
    return op


def all_ops():
    """{name or alias: Operator} of everything registered."""
    _ensure_loaded()
    return dict(_OPS)


_loaded = False


def _ensure_loaded():
    global _loaded
    if not _loaded:
        _loaded = True
        from . import _all  # noqa: F401  (imports every op module, which registers)


def attrs_to_strings(kwargs):
    """{key: attribute string} as MXNet's frontend stores them (an explicit None is 'None')."""
    return {k: attr_to_str(v) for k, v in kwargs.items()}
