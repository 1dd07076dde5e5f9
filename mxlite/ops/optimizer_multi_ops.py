"""Optimizer update operators over many weights at once (multi_sgd_update,
multi_sgd_mom_update, multi_mp_sgd_update, multi_mp_sgd_mom_update) and the finiteness
checks (all_finite, multi_all_finite) that mixed-precision training runs before them.

The single-weight kernels, parameter specs and conventions are in optimizer_ops.py.
"""
import numpy as np

from ..base import TypeInferError
from .optimizer_ops import _CLIP, _F32, _MOM, _RESCALE, _Update, _sgd
from .registry import Bool, FloatTuple, Int, Operator, register, shape_check


# ----------------------------------------------------------------------------- multi weight
class _MultiUpdate(_Update):
    """``num_weights`` SGD updates in one call; inputs interleave per weight
    (``weight_i, grad_i[, mom_i][, weight32_i]``) and the states are updated in place."""
    per = ('weight', 'grad')
    momentum = False

    def list_arguments(self, p):
        return ['%s_%d' % (n, i) for i in range(p.num_weights) for n in self.per]

    def list_auxiliary_states(self, p):
        return []

    def list_outputs(self, p):
        n = p.num_weights
        return ['output'] if n == 1 else ['output%d' % i for i in range(n)]

    def _groups(self, p, count):
        shape_check(p.num_weights >= 1, 'num_weights must be at least 1, got %d',
                    p.num_weights)
        for key, what in (('lrs', 'learning rate'), ('wds', 'weight decay')):
            values = getattr(p, key)
            shape_check(values is not None and len(values) == p.num_weights,
                        '%s has %d value(s) but num_weights=%d; expected one %s per weight',
                        key, 0 if values is None else len(values), p.num_weights, what)
        k = len(self.per)
        return [range(k * i, k * i + k) for i in range(p.num_weights)]

    def forward(self, p, inputs, outputs, ctx):
        xp, k = ctx.xp, len(self.per)
        momentum = p.momentum if self.momentum else 0.0
        for i, out in enumerate(outputs):
            group = inputs[k * i:k * i + k]
            mom = group[2] if self.momentum else None
            if self.master:   # as mp_sgd(_mom)_update: the master copy, then the cast
                _sgd(xp, group[-1], group[1], group[-1], p.lrs[i], p.wds[i],
                     p.rescale_grad, p.clip_gradient, mom, momentum)
                out[...] = group[-1]
            else:
                _sgd(xp, group[0], group[1], out, p.lrs[i], p.wds[i], p.rescale_grad,
                     p.clip_gradient, mom, momentum)


_LRS = FloatTuple(doc='Learning rates, one per weight.')
_WDS = FloatTuple(doc='Weight decays, one per weight.')
_NUM_W = Int(1, doc='Number of weights updated.')
_MULTI = {'lrs': _LRS, 'wds': _WDS, 'rescale_grad': _RESCALE, 'clip_gradient': _CLIP,
          'num_weights': _NUM_W}
_MULTI_MOM = {'lrs': _LRS, 'wds': _WDS, 'momentum': _MOM, 'rescale_grad': _RESCALE,
              'clip_gradient': _CLIP, 'num_weights': _NUM_W}


@register
class MultiSGDUpdate(_MultiUpdate):
    """`sgd_update` of ``num_weights`` weights: inputs ``weight_0, grad_0, weight_1, ...``,
    per-weight ``lrs`` and ``wds``; returns the new weights.

    Examples
    --------
    >>> import mxlite as mx
    >>> w0, w1 = mx.nd.array([1.0]), mx.nd.array([2.0, 2.0])
    >>> g0, g1 = mx.nd.ones((1,)), mx.nd.ones((2,))
    >>> _ = mx.nd.multi_sgd_update(w0, g0, w1, g1, lrs=(0.5, 0.25), wds=(0.0, 0.0),
    ...                            num_weights=2, out=[w0, w1])
    >>> w0.asnumpy(), w1.asnumpy()
    (array([0.5], dtype=float32), array([1.75, 1.75], dtype=float32))
    """
    name = 'multi_sgd_update'
    params = _MULTI


@register
class MultiSGDMomUpdate(_MultiUpdate):
    """`sgd_mom_update` of ``num_weights`` weights: inputs ``weight_i, grad_i, mom_i``
    interleaved; every ``mom_i`` is updated in place.

    Examples
    --------
    >>> import mxlite as mx
    >>> w, g, m = mx.nd.array([1.0]), mx.nd.array([1.0]), mx.nd.zeros((1,))
    >>> out = mx.nd.multi_sgd_mom_update(w, g, m, lrs=(0.1,), wds=(0.0,), momentum=0.9)
    >>> float(m.asscalar()), float(out.asscalar())
    (-0.10000000149011612, 0.8999999761581421)
    """
    name = 'multi_sgd_mom_update'
    params = _MULTI_MOM
    per = ('weight', 'grad', 'mom')
    momentum = True


@register
class MultiMPSGDUpdate(_MultiUpdate):
    """`mp_sgd_update` of ``num_weights`` weights: inputs ``weight_i, grad_i, weight32_i``
    interleaved; every float32 ``weight32_i`` is updated in place.

    Examples
    --------
    >>> import mxlite as mx
    >>> w = mx.nd.array([1.0], dtype='float16'); w32 = w.astype('float32')
    >>> out = mx.nd.multi_mp_sgd_update(w, mx.nd.array([1.0], dtype='float16'), w32,
    ...                                 lrs=(0.5,), wds=(0.0,))
    >>> out.dtype.__name__, float(w32.asscalar())
    ('float16', 0.5)
    """
    name = 'multi_mp_sgd_update'
    params = _MULTI
    per = ('weight', 'grad', 'weight32')
    master = True


@register
class MultiMPSGDMomUpdate(_MultiUpdate):
    """`mp_sgd_mom_update` of ``num_weights`` weights: inputs ``weight_i, grad_i, mom_i,
    weight32_i`` interleaved; ``mom_i`` and ``weight32_i`` are updated in place.

    Examples
    --------
    >>> import mxlite as mx
    >>> w = mx.nd.array([1.0], dtype='float16'); w32 = w.astype('float32')
    >>> m = mx.nd.zeros((1,))
    >>> out = mx.nd.multi_mp_sgd_mom_update(w, mx.nd.array([1.0], dtype='float16'), m,
    ...                                     w32, lrs=(0.5,), wds=(0.0,), momentum=0.9)
    >>> float(m.asscalar()), float(out.asscalar())
    (-0.5, 0.5)
    """
    name = 'multi_mp_sgd_mom_update'
    params = _MULTI_MOM
    per = ('weight', 'grad', 'mom', 'weight32')
    momentum = True
    master = True


# ----------------------------------------------------------------------------- finiteness
def _finite(xp, x):
    # min and max propagate NaN and reach +-inf: two passes, no boolean temporary
    return x.size == 0 or bool(xp.isfinite(x.min()) and xp.isfinite(x.max()))


class _Finite(Operator):
    """Writes 1.0 into a one-element float32 output when every input value is finite,
    else 0.0 (mixed precision training skips a step on overflow with it)."""

    backward = _Update.backward
    backward_uses_inputs = backward_uses_outputs = False

    def infer_shape(self, p, in_shapes):
        return in_shapes, [(1,)]

    def infer_type(self, p, in_types):
        names = self._input_names(p, len(in_types))
        for n, t in zip(names, in_types):
            if t is not None and np.dtype(t).kind != 'f':
                raise TypeInferError("input '%s' has dtype %s; %s takes floating point "
                                     "arrays only" % (n, np.dtype(t).name, self.name))
        return in_types, [_F32]

    def forward(self, p, inputs, outputs, ctx):
        # (init_output: see AllFinite; the output here is always a fresh buffer)
        outputs[0][...] = 1.0 if all(_finite(ctx.xp, x) for x in inputs) else 0.0


_INIT_OUTPUT = Bool(True, doc='Start the output from 1 (MXNet: otherwise only a 0 is '
                              'ever written, into an out= array).')


@register
class AllFinite(_Finite):
    """``[1.0]`` when every value of ``data`` is finite (no NaN, no +-inf), else ``[0.0]``.

    The output is a one-element float32 array. ``init_output=False`` is accepted; in
    MXNet it leaves a finite result's ``out=`` untouched so that several calls AND into
    one flag, but mxlite's operators write a fresh result, so it behaves as True.

    Examples
    --------
    >>> import mxlite as mx
    >>> mx.nd.all_finite(mx.nd.array([1.0, 2.0])).asnumpy()
    array([1.], dtype=float32)
    >>> mx.nd.all_finite(mx.nd.array([1.0, float('inf')])).asnumpy()
    array([0.], dtype=float32)
    """
    name = 'all_finite'
    params = {'init_output': _INIT_OUTPUT}


@register
class MultiAllFinite(_Finite):
    """`all_finite` over ``num_arrays`` arrays (``array_0, array_1, ...``): ``[1.0]``
    when all their values are finite, else ``[0.0]``.

    Examples
    --------
    >>> import mxlite as mx
    >>> a, b = mx.nd.array([1.0]), mx.nd.array([[float('nan')]])
    >>> mx.nd.multi_all_finite(a, b, num_arrays=2).asnumpy()
    array([0.], dtype=float32)
    """
    name = 'multi_all_finite'
    params = {'num_arrays': Int(1, doc='Number of arrays.'), 'init_output': _INIT_OUTPUT}

    def list_arguments(self, p):
        return ['array_%d' % i for i in range(p.num_arrays)]
