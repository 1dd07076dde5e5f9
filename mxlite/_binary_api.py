"""`mx.nd.maximum(a, b)`-style functions that accept arrays or scalars on either side.

MXNet defines these in Python for both frontends; each picks the broadcast op, the scalar
op, or computes directly when both sides are numbers.
"""
import operator

# public name -> (array-array op, array-scalar op, scalar-array op or None, python function)
BINARY_FUNCS = {
    'add': ('broadcast_add', '_plus_scalar', '_plus_scalar', operator.add),
    'subtract': ('broadcast_sub', '_minus_scalar', '_rminus_scalar', operator.sub),
    'multiply': ('broadcast_mul', '_mul_scalar', '_mul_scalar', operator.mul),
    'divide': ('broadcast_div', '_div_scalar', '_rdiv_scalar', operator.truediv),
    'true_divide': ('broadcast_div', '_div_scalar', '_rdiv_scalar', operator.truediv),
    'modulo': ('broadcast_mod', '_mod_scalar', '_rmod_scalar', operator.mod),
    'power': ('broadcast_power', '_power_scalar', '_rpower_scalar', operator.pow),
    'maximum': ('broadcast_maximum', '_maximum_scalar', '_maximum_scalar', max),
    'minimum': ('broadcast_minimum', '_minimum_scalar', '_minimum_scalar', min),
    'hypot': ('broadcast_hypot', '_hypot_scalar', '_hypot_scalar',
              lambda a, b: (a * a + b * b) ** 0.5),
    'equal': ('broadcast_equal', '_equal_scalar', '_equal_scalar', lambda a, b: a == b),
    'not_equal': ('broadcast_not_equal', '_not_equal_scalar', '_not_equal_scalar',
                  lambda a, b: a != b),
    'greater': ('broadcast_greater', '_greater_scalar', '_lesser_scalar', lambda a, b: a > b),
    'greater_equal': ('broadcast_greater_equal', '_greater_equal_scalar',
                      '_lesser_equal_scalar', lambda a, b: a >= b),
    'lesser': ('broadcast_lesser', '_lesser_scalar', '_greater_scalar', lambda a, b: a < b),
    'lesser_equal': ('broadcast_lesser_equal', '_lesser_equal_scalar',
                     '_greater_equal_scalar', lambda a, b: a <= b),
    'logical_and': ('broadcast_logical_and', '_logical_and_scalar', '_logical_and_scalar',
                    lambda a, b: a and b),
    'logical_or': ('broadcast_logical_or', '_logical_or_scalar', '_logical_or_scalar',
                   lambda a, b: a or b),
    'logical_xor': ('broadcast_logical_xor', '_logical_xor_scalar', '_logical_xor_scalar',
                    lambda a, b: bool(a) != bool(b)),
}


def install(namespace, internal, array_type, symbolic=False):
    """Define the functions in `namespace` (a module) using ops from `internal`."""
    for name, (both, right_scalar, left_scalar, pyfn) in BINARY_FUNCS.items():
        if symbolic and name in ('add', 'subtract', 'multiply', 'divide', 'true_divide',
                                 'modulo', 'equal', 'not_equal', 'greater', 'greater_equal',
                                 'lesser', 'lesser_equal', 'logical_and', 'logical_or',
                                 'logical_xor'):
            continue  # mx.sym has only the arithmetic helpers MXNet's symbol.py defines
        setattr(namespace, name, _make(name, both, right_scalar, left_scalar, pyfn, internal,
                                       array_type))
    if symbolic:
        namespace.pow = namespace.power


def _make(name, both, right_scalar, left_scalar, pyfn, internal, array_type):
    def fn(lhs, rhs, out=None, **kwargs):
        lhs_arr = isinstance(lhs, array_type)
        rhs_arr = isinstance(rhs, array_type)
        extra = {} if out is None else {'out': out}
        extra.update(kwargs)
        if lhs_arr and rhs_arr:
            return getattr(internal, both)(lhs, rhs, **extra)
        if lhs_arr:
            return getattr(internal, right_scalar)(lhs, scalar=float(rhs), **extra)
        if rhs_arr:
            return getattr(internal, left_scalar)(rhs, scalar=float(lhs), **extra)
        return pyfn(lhs, rhs)
    fn.__name__ = name
    fn.__doc__ = ('%s of two arrays (with broadcasting), of an array and a scalar, or of two '
                  'numbers.' % name)
    return fn
