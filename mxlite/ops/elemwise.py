"""Binary arithmetic: same-shape (elemwise_*), broadcasting (broadcast_*), with a scalar
(_plus_scalar ...), and n-ary sums (add_n). One table row per function; the records are
built from the rows so every family shares one shape rule and one gradient rule."""
import numpy as np

from ._util import broadcast_shapes, reduce_to
from .registry import Bool, Float, Int, Operator, register, shape_check


def _zeros_like(x):
    return np.zeros_like(x)


# name -> (forward(a, b, out), d/da(a, b, y, g) or None, d/db(a, b, y, g) or None)
# A gradient of None means "no gradient" (comparisons); they are written as closures so that
# each rule reads like its formula.
BINARY = {
    'add': (np.add, lambda a, b, y, g: g, lambda a, b, y, g: g),
    'sub': (np.subtract, lambda a, b, y, g: g, lambda a, b, y, g: -g),
    'mul': (np.multiply, lambda a, b, y, g: g * b, lambda a, b, y, g: g * a),
    'div': (np.divide, lambda a, b, y, g: g / b, lambda a, b, y, g: -g * a / (b * b)),
    'mod': (np.fmod, lambda a, b, y, g: g, lambda a, b, y, g: -g * np.trunc(a / b)),
    'power': (np.power, lambda a, b, y, g: g * b * np.power(a, b - 1),
              lambda a, b, y, g: g * y * np.log(np.where(a > 0, a, 1))),
    'maximum': (np.maximum, lambda a, b, y, g: g * (a >= b), lambda a, b, y, g: g * (a < b)),
    'minimum': (np.minimum, lambda a, b, y, g: g * (a <= b), lambda a, b, y, g: g * (a > b)),
    'hypot': (np.hypot, lambda a, b, y, g: g * a / y, lambda a, b, y, g: g * b / y),
    'equal': (np.equal, None, None),
    'not_equal': (np.not_equal, None, None),
    'greater': (np.greater, None, None),
    'greater_equal': (np.greater_equal, None, None),
    'lesser': (np.less, None, None),
    'lesser_equal': (np.less_equal, None, None),
    'logical_and': (np.logical_and, None, None),
    'logical_or': (np.logical_or, None, None),
    'logical_xor': (np.logical_xor, None, None),
}

# elemwise_<fn> names and aliases as MXNet registers them
ELEMWISE_NAMES = {
    'add': ('elemwise_add', ('_add', '_plus', '_Plus')),
    'sub': ('elemwise_sub', ('_sub', '_minus', '_Minus')),
    'mul': ('elemwise_mul', ('_mul', '_Mul')),
    'div': ('elemwise_div', ('_div', '_Div')),
    'mod': ('_mod', ('_Mod',)),
    'power': ('_power', ('_Power',)),
    'maximum': ('_maximum', ('_Maximum',)),
    'minimum': ('_minimum', ('_Minimum',)),
    'hypot': ('_hypot', ('_Hypot',)),
    'equal': ('_equal', ('_Equal',)),
    'not_equal': ('_not_equal', ('_Not_Equal',)),
    'greater': ('_greater', ('_Greater',)),
    'greater_equal': ('_greater_equal', ('_Greater_Equal',)),
    'lesser': ('_lesser', ('_Lesser',)),
    'lesser_equal': ('_lesser_equal', ('_Lesser_Equal',)),
    'logical_and': ('_logical_and', ('_Logical_And',)),
    'logical_or': ('_logical_or', ('_Logical_Or',)),
    'logical_xor': ('_logical_xor', ('_Logical_Xor',)),
}

BROADCAST_ALIASES = {'add': ('broadcast_plus',), 'sub': ('broadcast_minus',)}


def _is_compare(fn):
    return BINARY[fn][1] is None


def _binary_forward(fn, compare):
    def forward(self, p, inputs, outputs, ctx):
        out = outputs[0]
        if compare:  # comparisons return 0/1 in the input dtype, as MXNet does
            out[...] = fn(inputs[0], inputs[1])
        elif out.dtype.kind in 'iu' and fn is np.divide:
            # integer arrays divide as C does in their own dtype (truncated), as in MXNet
            fn(inputs[0], inputs[1], out=out, casting='unsafe')
        else:
            fn(inputs[0], inputs[1], out=out)
    return forward


def _binary_backward(da, db):
    def backward(self, p, ograds, inputs, outputs, ctx):
        a, b = inputs
        g = ograds[0]
        y = outputs[0] if outputs else None
        if da is None:
            return [np.zeros_like(a), np.zeros_like(b)]
        return [reduce_to(da(a, b, y, g), a.shape).astype(a.dtype, copy=False),
                reduce_to(db(a, b, y, g), b.shape).astype(b.dtype, copy=False)]
    return backward


class _Binary(Operator):
    def list_arguments(self, p):
        return ['lhs', 'rhs']


class _ElemwiseBinary(_Binary):
    inplace = ((0, 0), (1, 0))

    def infer_shape(self, p, in_shapes):
        lhs, rhs = in_shapes
        shape_check(lhs is None or rhs is None or tuple(lhs) == tuple(rhs),
                    "lhs has shape %s but rhs has shape %s; elemwise ops need equal shapes "
                    "(use broadcast_%s to broadcast)", lhs, rhs, self.fn)
        known = lhs if lhs is not None else rhs
        return [known, known], [known]


class _BroadcastBinary(_Binary):
    def infer_shape(self, p, in_shapes):
        lhs, rhs = in_shapes
        if lhs is None or rhs is None:
            return in_shapes, [None]
        return in_shapes, [broadcast_shapes(lhs, rhs)]


def _make_binary(fn, base, name, aliases):
    forward, da, db = BINARY[fn]
    cls = type(name, (base,), {
        'name': name, 'aliases': tuple(aliases), 'fn': fn,
        'forward': _binary_forward(forward, _is_compare(fn)),
        'backward': _binary_backward(da, db),
        'doc': '%s of lhs and rhs, elementwise%s.' % (
            fn, ' with broadcasting' if base is _BroadcastBinary else ''),
    })
    if fn in ('add', 'sub'):  # these gradients read only the inputs' shapes and dtypes
        cls.backward_uses_inputs = False
    if fn not in ('power', 'hypot'):
        cls.backward_uses_outputs = False
    register(cls)


for _fn, (_name, _aliases) in ELEMWISE_NAMES.items():
    _make_binary(_fn, _ElemwiseBinary, _name, _aliases)
    _make_binary(_fn, _BroadcastBinary, 'broadcast_' + _fn, BROADCAST_ALIASES.get(_fn, ()))


# ----------------------------------------------------------------------------- scalar
# name -> (forward(x, s), gradient(x, s, y, g) or None, aliases)
SCALAR = {
    '_plus_scalar': (lambda x, s: x + s, lambda x, s, y, g: g, ('_PlusScalar',)),
    '_minus_scalar': (lambda x, s: x - s, lambda x, s, y, g: g, ('_MinusScalar',)),
    '_rminus_scalar': (lambda x, s: s - x, lambda x, s, y, g: -g, ('_RMinusScalar',)),
    '_mul_scalar': (lambda x, s: x * s, lambda x, s, y, g: g * s, ('_MulScalar',)),
    '_div_scalar': (lambda x, s: x / s, lambda x, s, y, g: g / s, ('_DivScalar',)),
    '_rdiv_scalar': (lambda x, s: s / x, lambda x, s, y, g: -g * s / (x * x), ('_RDivScalar',)),
    '_mod_scalar': (lambda x, s: np.fmod(x, s), lambda x, s, y, g: g, ('_ModScalar',)),
    '_rmod_scalar': (lambda x, s: np.fmod(s, x), lambda x, s, y, g: -g * np.trunc(s / x),
                     ('_RModScalar',)),
    '_power_scalar': (lambda x, s: np.power(x, s),
                      lambda x, s, y, g: g * s * np.power(x, s - 1), ('_PowerScalar',)),
    '_rpower_scalar': (lambda x, s: np.power(s, x),
                       lambda x, s, y, g: g * y * np.log(s), ('_RPowerScalar',)),
    '_maximum_scalar': (lambda x, s: np.maximum(x, s), lambda x, s, y, g: g * (x >= s),
                        ('_MaximumScalar',)),
    '_minimum_scalar': (lambda x, s: np.minimum(x, s), lambda x, s, y, g: g * (x <= s),
                        ('_MinimumScalar',)),
    '_hypot_scalar': (lambda x, s: np.hypot(x, s), lambda x, s, y, g: g * x / y,
                      ('_HypotScalar',)),
    '_equal_scalar': (lambda x, s: x == s, None, ('_EqualScalar',)),
    '_not_equal_scalar': (lambda x, s: x != s, None, ('_NotEqualScalar',)),
    '_greater_scalar': (lambda x, s: x > s, None, ('_GreaterScalar',)),
    '_greater_equal_scalar': (lambda x, s: x >= s, None, ('_GreaterEqualScalar',)),
    '_lesser_scalar': (lambda x, s: x < s, None, ('_LesserScalar',)),
    '_lesser_equal_scalar': (lambda x, s: x <= s, None, ('_LesserEqualScalar',)),
    '_logical_and_scalar': (lambda x, s: np.logical_and(x, s), None, ('_LogicalAndScalar',)),
    '_logical_or_scalar': (lambda x, s: np.logical_or(x, s), None, ('_LogicalOrScalar',)),
    '_logical_xor_scalar': (lambda x, s: np.logical_xor(x, s), None, ('_LogicalXorScalar',)),
}


class _Scalar(Operator):
    params = {'scalar': Float(1.0), 'is_int': Bool(True)}
    inplace = ((0, 0),)
    backward_uses_outputs = False


def _scalar_value(x, s):
    """The scalar in the array's dtype (MXNet casts it; integer arrays see an int)."""
    return x.dtype.type(s)


def _make_scalar(name, fwd, grad, aliases):
    def forward(self, p, inputs, outputs, ctx):
        x = inputs[0]
        outputs[0][...] = fwd(x, _scalar_value(x, p.scalar))

    def backward(self, p, ograds, inputs, outputs, ctx):
        x = inputs[0]
        if grad is None:
            return [np.zeros_like(x)]
        y = outputs[0] if outputs else None
        return [np.asarray(grad(x, _scalar_value(x, p.scalar), y, ograds[0]), dtype=x.dtype)]

    cls = type(name, (_Scalar,), {'name': name, 'aliases': aliases, 'forward': forward,
                                  'backward': backward,
                                  'doc': '%s of an array and a scalar.' % name.strip('_')})
    if name in ('_rpower_scalar', '_hypot_scalar'):
        cls.backward_uses_outputs = True
    register(cls)


for _name, (_fwd, _grad, _aliases) in SCALAR.items():
    _make_scalar(_name, _fwd, _grad, _aliases)


# ----------------------------------------------------------------------------- n-ary sum
@register
class AddN(Operator):
    """Sum of any number of arrays of the same shape."""
    name = 'add_n'
    aliases = ('ElementWiseSum', '_sum')  # _sum is not registered by MXNet; harmless
    params = {'num_args': Int()}
    key_var_num_args = 'num_args'
    inplace = ((0, 0),)
    backward_uses_inputs = False
    backward_uses_outputs = False

    def list_arguments(self, p):
        return ['arg%d' % i for i in range(p.num_args)]

    def forward(self, p, inputs, outputs, ctx):
        out = outputs[0]
        if len(inputs) == 1:
            out[...] = inputs[0]
            return
        np.add(inputs[0], inputs[1], out=out)
        for x in inputs[2:]:
            np.add(out, x, out=out)

    def backward(self, p, ograds, inputs, outputs, ctx):
        return [ograds[0]] * p.num_args


@register
class Negative(Operator):
    """-x elementwise."""
    name = 'negative'
    inplace = ((0, 0),)
    backward_uses_inputs = False
    backward_uses_outputs = False

    def forward(self, p, inputs, outputs, ctx):
        np.negative(inputs[0], out=outputs[0])

    def backward(self, p, ograds, inputs, outputs, ctx):
        return [-ograds[0]]


@register
class Identity(Operator):
    """Copies its input (`_copy`); gradient passes through."""
    name = '_copy'
    aliases = ('identity',)
    inplace = ((0, 0),)
    backward_uses_inputs = False
    backward_uses_outputs = False

    def forward(self, p, inputs, outputs, ctx):
        if outputs[0] is not inputs[0]:
            outputs[0][...] = inputs[0]

    def backward(self, p, ograds, inputs, outputs, ctx):
        return [ograds[0]]
