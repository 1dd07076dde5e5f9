"""`_index`: NDArray.__getitem__ recorded by autograd (a copy with a scatter gradient)."""
import itertools

import numpy as np

from .registry import Int, Operator, register

_KEYS = {}
_COUNTER = itertools.count()


def register_key(key):
    """Keys (slices, arrays) are not attribute strings: park them and pass an id."""
    kid = next(_COUNTER)
    _KEYS[kid] = key
    if len(_KEYS) > 100000:
        for old in sorted(_KEYS)[:50000]:
            del _KEYS[old]
    return kid


@register
class Index(Operator):
    """x[key] as an operator, so that autograd can send gradients back through it."""
    name = '_index'
    hidden = True
    params = {'key': Int()}
    backward_uses_outputs = False

    def infer_shape(self, p, in_shapes):
        probe = np.empty(in_shapes[0], dtype=np.bool_)[_KEYS[p.key]]
        return in_shapes, [np.shape(probe)]

    def forward(self, p, inputs, outputs, ctx):
        outputs[0][...] = inputs[0][_KEYS[p.key]]

    def backward(self, p, ograds, inputs, outputs, ctx):
        grad = np.zeros_like(inputs[0])
        np.add.at(grad, _KEYS[p.key], ograds[0])
        return [grad]
