"""Optimizer update operators: sgd_update, adam_update, ... (the multi-weight ones and
all_finite are in optimizer_multi_ops.py).

MXNet's fused update kernels as operators. Each returns the new weight (callers pass
``out=weight``) and updates its state inputs (momentum, moments, the float32 master copy
``weight32`` ...) IN PLACE, as MXNet's mutable inputs: kernels get the NDArrays' own
buffers, so writing into ``inputs[i]`` is what the user sees. The weight input itself is
never written. The formulas are those of mxlite's Python optimizers (mxlite/optimizer),
written again here because operators sit below the optimizer package:

* the gradient is rescaled, then clipped whenever ``clip_gradient >= 0`` (0 clips it to
  zero, as MXNet's kernels do; the Python optimizers never pass 0);
* weight decay enters outside the clipped gradient for the SGD family and Ftrl, inside it
  (before clipping) for Adam, RMSProp and FTML, after clipping for NAG and Signum;
* ``lazy_update`` only matters for row_sparse gradients; here it is accepted and ignored.

In symbols, the states of the single-weight ops are auxiliary states (MXNet lists mutable
inputs that way). The multi_* ops interleave their states with weights and gradients
(``weight_0, grad_0, mom_0, weight_1, ...``); mxlite's graph takes aux states as trailing
inputs only, so there they stay arguments. None of these ops has a gradient.
"""
import numpy as np

from ..base import MXNetError, TypeInferError
from .registry import Bool, Float, Int, Operator, register, shape_check

_F32 = np.dtype(np.float32)


# shared parameter specs (Param objects hold no state, so ops can share them)
_LR = Float(doc='Learning rate.')
_WD = Float(0.0, doc='Weight decay (L2 penalty coefficient).')
_RESCALE = Float(1.0, doc='Multiply the gradient by this first.')
_CLIP = Float(-1.0, doc='Clip the rescaled gradient to [-clip_gradient, clip_gradient]; '
                        'off when negative.')
_LAZY = Bool(True, doc='Lazy update of row_sparse gradients (dense here: no effect).')
_MOM = Float(0.0, doc='Decay rate of the momentum.')
_EPS = Float(1e-8, doc='Added to the denominator.')
_CLIP_W = Float(-1.0, doc='Clip the new weight to [-clip_weights, clip_weights]; off when '
                          'negative.')
_SGD = {'lr': _LR, 'wd': _WD, 'rescale_grad': _RESCALE, 'clip_gradient': _CLIP,
        'lazy_update': _LAZY}
_SGD_MOM = {'lr': _LR, 'momentum': _MOM, 'wd': _WD, 'rescale_grad': _RESCALE,
            'clip_gradient': _CLIP, 'lazy_update': _LAZY}
_NAG = {'lr': _LR, 'momentum': _MOM, 'wd': _WD, 'rescale_grad': _RESCALE,
        'clip_gradient': _CLIP}


# ----------------------------------------------------------------------------- kernels
# Each takes the array module, parameters as numbers, and buffers; it mutates the states
# and writes the new weight into `out` (an output buffer, or the master copy w itself).
def _scaled(xp, g, rescale, clip, dtype, w=None, wd=0.0):
    """rescale * g (+ wd * w), clipped when clip >= 0, as a new array of `dtype`."""
    s = xp.multiply(g, rescale, dtype=dtype)
    if wd:
        s += xp.multiply(w, wd, dtype=dtype)
    if clip >= 0:
        xp.clip(s, -clip, clip, out=s)
    return s


def _lr_step(xp, g, lr, rescale, clip, dtype):
    """lr * clip(rescale * g): one multiply when there is no clipping."""
    if clip < 0:
        return xp.multiply(g, lr * rescale, dtype=dtype)
    s = _scaled(xp, g, rescale, clip, dtype)
    s *= lr
    return s


def _decayed(xp, w, factor, out):
    """out = factor * w (a copy when factor is 1; nothing when out is w)."""
    if factor != 1.:
        xp.multiply(w, factor, out=out)
    elif out is not w:
        out[...] = w


def _ema(avg, x, decay):
    """avg = decay * avg + (1 - decay) * x."""
    avg *= decay
    avg += x * (1. - decay)


def _sgd(xp, w, g, out, lr, wd, rescale, clip, mom=None, momentum=0.0):
    """SGD on `w` (weight or master copy): with ``G = clip(rescale * g)``,
    ``mom = momentum * mom - lr * wd * w - lr * G; out = w + mom``, or without momentum
    ``out = (1 - lr * wd) * w - lr * G``. `out` may be `w` (the master copy)."""
    s = _lr_step(xp, g, lr, rescale, clip, w.dtype)
    if mom is None:
        _decayed(xp, w, 1. - lr * wd, out)
        out -= s
        return
    mom *= momentum
    mom -= s
    if wd:
        mom -= w * (lr * wd)
    xp.add(w, mom, out=out)


def _nag(xp, w, g, out, lr, wd, rescale, clip, mom, momentum):
    """NAG: ``G = clip(rescale * g) + wd * w; mom = momentum * mom - lr * G;
    out = w + momentum * mom - lr * G``."""
    s = _scaled(xp, g, rescale, clip, w.dtype)
    if wd:
        s += w * wd
    s *= lr
    mom *= momentum
    mom -= s
    xp.subtract(w, s, out=out)
    out += mom * momentum


# ----------------------------------------------------------------------------- inference
def _merge_shapes(names, shapes, op, group):
    """One shape for the inputs in `group`, which must be equal (None dims are unknown).
    Returns (shapes with the merged one filled in, the merged shape or None)."""
    merged, first = None, None
    for i in group:
        s = None if shapes[i] is None else tuple(shapes[i])
        if s is not None and merged is not None:
            shape_check(len(s) == len(merged) and all(
                a is None or b is None or a == b for a, b in zip(s, merged)),
                "input '%s' has shape %s but '%s' has shape %s; %s expects equal shapes",
                names[i], s, names[first], tuple(shapes[first]), op)
            merged = tuple(b if a is None else a for a, b in zip(s, merged))
        elif s is not None:
            merged, first = s, i
    out = list(shapes)
    for i in group:
        out[i] = merged if merged is not None else shapes[i]
    return out, merged


def _merge_types(names, types, op, float_slots, fixed32=()):
    """Inputs in `float_slots` share one dtype; those in `fixed32` must be float32.
    Returns (types, the shared dtype or None)."""
    shared, first = None, None
    for i in float_slots:
        t = None if types[i] is None else np.dtype(types[i])
        if t is not None and shared is not None and t != shared:
            raise TypeInferError("input '%s' has dtype %s but '%s' has dtype %s; %s expects "
                                 "the same dtype" % (names[i], t.name, names[first],
                                                     shared.name, op))
        if t is not None and shared is None:
            shared, first = t, i
    out = list(types)
    for i in fixed32:
        if types[i] is not None and np.dtype(types[i]) != _F32:
            raise TypeInferError("input '%s' has dtype %s; %s keeps it in float32 (the "
                                 "master copy of a float16 weight and its states)"
                                 % (names[i], np.dtype(types[i]).name, op))
        out[i] = _F32
    for i in float_slots:
        out[i] = shared
    return out, shared


class _Update(Operator):
    """Inputs in groups of one weight, its gradient and its states, one output per group.

    Shapes are equal within a group; dtypes too, except that the mp_* ops (``master``)
    keep the states, weight32 included, in float32. Not differentiable (MXNet registers
    no gradient). ``update(p, xp, w, g, states, out)`` is the single-weight kernel; for
    mp_* ops it runs on the master copy (``w`` = ``out`` = weight32)."""
    states = ()
    master = False
    backward_uses_inputs = False
    backward_uses_outputs = False

    def list_arguments(self, p):
        return ['weight', 'grad']

    def list_auxiliary_states(self, p):
        return list(self.states)

    def _groups(self, p, count):
        return [range(count)]

    def infer_shape(self, p, in_shapes):
        names, outs = self._input_names(p, len(in_shapes)), []
        for group in self._groups(p, len(in_shapes)):
            in_shapes, merged = _merge_shapes(names, in_shapes, self.name, group)
            outs.append(merged)
        return in_shapes, outs

    def infer_type(self, p, in_types):
        names, outs = self._input_names(p, len(in_types)), []
        for group in self._groups(p, len(in_types)):
            lo, hi = group[0], group[-1] + 1
            if self.master:
                slots = ((lo, lo + 1), range(lo + 2, hi))
            else:
                slots = (group, ())
            in_types, shared = _merge_types(names, in_types, self.name, *slots)
            outs.append(shared)
        return in_types, outs

    def forward(self, p, inputs, outputs, ctx):
        w, g, states = inputs[0], inputs[1], inputs[2:]
        if self.master:   # update weight32 in place, then cast it into the output
            self.update(p, ctx.xp, states[-1], g, states[:-1], states[-1])
            outputs[0][...] = states[-1]
        else:
            self.update(p, ctx.xp, w, g, states, outputs[0])

    def backward(self, p, ograds, inputs, outputs, ctx):
        raise MXNetError('%s has no gradient (MXNet registers none for it)' % self.name)


@register
class SGDUpdate(_Update):
    """SGD step: ``weight - lr * (clip(rescale_grad * grad) + wd * weight)``.

    Returns the new weight; pass ``out=weight`` to update in place.

    Examples
    --------
    >>> import mxlite as mx
    >>> w = mx.nd.array([1.0, 2.0])
    >>> _ = mx.nd.sgd_update(w, mx.nd.array([1.0, -1.0]), lr=0.5, out=w)
    >>> w.asnumpy()
    array([0.5, 2.5], dtype=float32)
    """
    name = 'sgd_update'
    params = _SGD

    def update(self, p, xp, w, g, states, out):
        _sgd(xp, w, g, out, p.lr, p.wd, p.rescale_grad, p.clip_gradient)


@register
class SGDMomUpdate(_Update):
    """SGD with momentum; ``mom`` is updated in place.

    With ``G = clip(rescale_grad * grad)``::

        mom = momentum * mom - lr * wd * weight - lr * G
        out = weight + mom

    Examples
    --------
    >>> import mxlite as mx
    >>> w, mom = mx.nd.array([1.0]), mx.nd.array([0.5])
    >>> _ = mx.nd.sgd_mom_update(w, mx.nd.array([1.0]), mom, lr=0.1, momentum=0.9, out=w)
    >>> mom.asnumpy(), w.asnumpy()
    (array([0.35], dtype=float32), array([1.35], dtype=float32))
    """
    name = 'sgd_mom_update'
    params = _SGD_MOM
    states = ('mom',)

    def update(self, p, xp, w, g, states, out):
        _sgd(xp, w, g, out, p.lr, p.wd, p.rescale_grad, p.clip_gradient,
             states[0], p.momentum)


@register
class MPSGDUpdate(SGDUpdate):
    """`sgd_update` of a float32 master copy ``weight32`` (updated in place); the output
    is the new master copy cast to the weight's dtype (usually float16).

    Examples
    --------
    >>> import mxlite as mx
    >>> w = mx.nd.array([1.0], dtype='float16'); w32 = w.astype('float32')
    >>> _ = mx.nd.mp_sgd_update(w, mx.nd.array([1e-4], dtype='float16'), w32, lr=1.0,
    ...                         out=w)
    >>> float(w32.asscalar()) < 1.0, float(w.asscalar())
    (True, 1.0)
    """
    name = 'mp_sgd_update'
    states = ('weight32',)
    master = True


@register
class MPSGDMomUpdate(SGDMomUpdate):
    """`sgd_mom_update` of a float32 master copy: ``mom`` and ``weight32`` are updated in
    place; the output is ``weight32`` cast to the weight's dtype.

    Examples
    --------
    >>> import mxlite as mx
    >>> w = mx.nd.array([1.0], dtype='float16')
    >>> mom, w32 = mx.nd.zeros((1,)), w.astype('float32')
    >>> out = mx.nd.mp_sgd_mom_update(w, mx.nd.array([2.0], dtype='float16'), mom, w32,
    ...                               lr=0.25, momentum=0.9)
    >>> out.dtype.__name__, float(out.asscalar()), float(mom.asscalar())
    ('float16', 0.5, -0.5)
    """
    name = 'mp_sgd_mom_update'
    states = ('mom', 'weight32')
    master = True


@register
class NAGMomUpdate(_Update):
    """Nesterov momentum step; ``mom`` is updated in place.

    With ``G = clip(rescale_grad * grad) + wd * weight``::

        mom = momentum * mom - lr * G
        out = weight + momentum * mom - lr * G

    Examples
    --------
    >>> import mxlite as mx
    >>> w, mom = mx.nd.array([1.0]), mx.nd.zeros((1,))
    >>> out = mx.nd.nag_mom_update(w, mx.nd.array([1.0]), mom, lr=0.1, momentum=0.5)
    >>> round(float(out.asscalar()), 6), float(mom.asscalar())
    (0.85, -0.10000000149011612)
    """
    name = 'nag_mom_update'
    params = _NAG
    states = ('mom',)

    def update(self, p, xp, w, g, states, out):
        _nag(xp, w, g, out, p.lr, p.wd, p.rescale_grad, p.clip_gradient, states[0],
             p.momentum)


@register
class MPNAGMomUpdate(NAGMomUpdate):
    """`nag_mom_update` of a float32 master copy (``mom``, ``weight32`` updated in place).

    With ``wd != 0`` MXNet 1.9.1's kernel stores a momentum whose decay term reads the
    already updated ``weight32`` (the weight itself is right); here ``mom`` follows the
    NAG formula, as `nag_mom_update` and the Python NAG optimizer do.

    Examples
    --------
    >>> import mxlite as mx
    >>> w = mx.nd.array([1.0], dtype='float16')
    >>> mom, w32 = mx.nd.zeros((1,)), w.astype('float32')
    >>> out = mx.nd.mp_nag_mom_update(w, mx.nd.array([1.0], dtype='float16'), mom, w32,
    ...                               lr=0.5, momentum=0.5)
    >>> float(out.asscalar()), float(w32.asscalar())
    (0.25, 0.25)
    """
    name = 'mp_nag_mom_update'
    states = ('mom', 'weight32')
    master = True


@register
class AdamUpdate(_Update):
    """Adam step without bias correction (the Python optimizer folds it into ``lr``);
    ``mean`` and ``var`` are updated in place.

    With ``G = clip(rescale_grad * grad + wd * weight)``::

        mean = beta1 * mean + (1 - beta1) * G
        var  = beta2 * var + (1 - beta2) * G**2
        out  = weight - lr * mean / (sqrt(var) + epsilon)

    Examples
    --------
    >>> import mxlite as mx
    >>> w, m, v = mx.nd.array([1.0]), mx.nd.zeros((1,)), mx.nd.zeros((1,))
    >>> out = mx.nd.adam_update(w, mx.nd.array([2.0]), m, v, lr=0.1, beta1=0.5, beta2=0.75)
    >>> float(m.asscalar()), float(v.asscalar()), round(float(out.asscalar()), 5)
    (1.0, 1.0, 0.9)
    """
    name = 'adam_update'
    params = {'lr': _LR, 'beta1': Float(0.9, doc='Decay of the first moment.'),
              'beta2': Float(0.999, doc='Decay of the second moment.'), 'epsilon': _EPS,
              'wd': _WD, 'rescale_grad': _RESCALE, 'clip_gradient': _CLIP,
              'lazy_update': _LAZY}
    states = ('mean', 'var')

    def update(self, p, xp, w, g, states, out):
        mean, var = states
        s = _scaled(xp, g, p.rescale_grad, p.clip_gradient, w.dtype, w, p.wd)
        _ema(mean, s, p.beta1)
        _ema(var, xp.square(s), p.beta2)
        xp.sqrt(var, out=s)
        s += p.epsilon
        xp.divide(mean, s, out=s)
        s *= p.lr
        xp.subtract(w, s, out=out)


def _clip_weight(xp, out, bound):
    if bound >= 0:
        xp.clip(out, -bound, bound, out=out)


@register
class RMSPropUpdate(_Update):
    """RMSProp (Tieleman & Hinton); ``n`` is updated in place.

    With ``G = clip(rescale_grad * grad + wd * weight)``::

        n   = (1 - gamma1) * G**2 + gamma1 * n
        out = weight - lr * G / sqrt(n + epsilon)

    then clipped to ``[-clip_weights, clip_weights]`` when ``clip_weights >= 0``.

    Examples
    --------
    >>> import mxlite as mx
    >>> w, n = mx.nd.array([1.0]), mx.nd.zeros((1,))
    >>> out = mx.nd.rmsprop_update(w, mx.nd.array([2.0]), n, lr=0.1, gamma1=0.75)
    >>> float(n.asscalar()), round(float(out.asscalar()), 5)
    (1.0, 0.8)
    """
    name = 'rmsprop_update'
    params = {'lr': _LR, 'gamma1': Float(0.95, doc='Decay of the mean square.'),
              'epsilon': _EPS, 'wd': _WD, 'rescale_grad': _RESCALE, 'clip_gradient': _CLIP,
              'clip_weights': _CLIP_W}
    states = ('n',)

    def update(self, p, xp, w, g, states, out):
        n = states[0]
        s = _scaled(xp, g, p.rescale_grad, p.clip_gradient, w.dtype, w, p.wd)
        _ema(n, xp.square(s), p.gamma1)
        s /= xp.sqrt(n + p.epsilon)
        s *= p.lr
        xp.subtract(w, s, out=out)
        _clip_weight(xp, out, p.clip_weights)


@register
class RMSPropAlexUpdate(_Update):
    """Centered RMSProp (Graves); ``n``, ``g`` and ``delta`` are updated in place.

    With ``G = clip(rescale_grad * grad + wd * weight)``::

        n     = (1 - gamma1) * G**2 + gamma1 * n
        g     = (1 - gamma1) * G + gamma1 * g
        delta = gamma2 * delta - lr * G / sqrt(n - g**2 + epsilon)
        out   = weight + delta

    then clipped to ``[-clip_weights, clip_weights]`` when ``clip_weights >= 0``.

    Examples
    --------
    >>> import mxlite as mx
    >>> w = mx.nd.array([1.0])
    >>> n, g, delta = mx.nd.zeros((1,)), mx.nd.zeros((1,)), mx.nd.zeros((1,))
    >>> out = mx.nd.rmspropalex_update(w, mx.nd.array([2.0]), n, g, delta, lr=0.1,
    ...                                gamma1=0.5)
    >>> float(n.asscalar()), float(g.asscalar()), round(float(out.asscalar()), 5)
    (2.0, 1.0, 0.8)
    """
    name = 'rmspropalex_update'
    params = {'lr': _LR, 'gamma1': Float(0.95, doc='Decay of the mean and mean square.'),
              'gamma2': Float(0.9, doc='Momentum of delta.'), 'epsilon': _EPS, 'wd': _WD,
              'rescale_grad': _RESCALE, 'clip_gradient': _CLIP, 'clip_weights': _CLIP_W}
    states = ('n', 'g', 'delta')

    def update(self, p, xp, w, g, states, out):
        n, mean, delta = states
        s = _scaled(xp, g, p.rescale_grad, p.clip_gradient, w.dtype, w, p.wd)
        _ema(n, xp.square(s), p.gamma1)
        _ema(mean, s, p.gamma1)
        denom = n - xp.square(mean)
        denom += p.epsilon
        with np.errstate(invalid='ignore'):   # states that break n >= g**2 give NaN
            s /= xp.sqrt(denom)
        s *= p.lr
        delta *= p.gamma2
        delta -= s
        xp.add(w, delta, out=out)
        _clip_weight(xp, out, p.clip_weights)


@register
class FtrlUpdate(_Update):
    """FTRL-proximal; ``z`` and ``n`` are updated in place.

    With ``G = clip(rescale_grad * grad)``::

        z  += G - (sqrt(n + G**2) - sqrt(n)) * weight / lr
        n  += G**2
        out = (sign(z) * lamda1 - z) / ((beta + sqrt(n)) / lr + wd) * (abs(z) > lamda1)

    Examples
    --------
    >>> import mxlite as mx
    >>> w, z, n = mx.nd.zeros((2,)), mx.nd.zeros((2,)), mx.nd.zeros((2,))
    >>> out = mx.nd.ftrl_update(w, mx.nd.array([1.0, 0.001]), z, n, lr=0.1)
    >>> out.asnumpy().round(4), z.asnumpy()
    (array([-0.0495,  0.    ], dtype=float32), array([1.   , 0.001], dtype=float32))
    """
    name = 'ftrl_update'
    params = {'lr': _LR, 'lamda1': Float(0.01, doc='L1 regularisation.'),
              'beta': Float(1.0, doc='Per-coordinate learning rate offset.'),
              'wd': _WD, 'rescale_grad': _RESCALE, 'clip_gradient': _CLIP}
    states = ('z', 'n')

    def update(self, p, xp, w, g, states, out):
        z, n = states
        s = _scaled(xp, g, p.rescale_grad, p.clip_gradient, w.dtype)
        sq = xp.square(s)
        old = xp.sqrt(n)
        n += sq
        new = xp.sqrt(n)
        z += s
        z -= (new - old) * w / p.lr
        new += p.beta
        new /= p.lr
        if p.wd:
            new += p.wd
        xp.sign(z, out=s)
        s *= p.lamda1
        s -= z
        s /= new
        xp.multiply(s, xp.abs(z) > p.lamda1, out=out)


@register
class FTMLUpdate(_Update):
    """Follow the Moving Leader at step ``t``; ``d``, ``v`` and ``z`` are updated in place.

    With ``G = clip(rescale_grad * grad + wd * weight, clip_grad)``::

        v   = beta2 * v + (1 - beta2) * G**2
        d_t = (1 - beta1**t) / lr * (sqrt(v / (1 - beta2**t)) + epsilon)
        z   = beta1 * z + (1 - beta1) * G - (d_t - beta1 * d) * weight
        d   = d_t
        out = -z / d_t

    Examples
    --------
    >>> import mxlite as mx
    >>> w = mx.nd.array([1.0])
    >>> d, v, z = mx.nd.zeros((1,)), mx.nd.zeros((1,)), mx.nd.zeros((1,))
    >>> out = mx.nd.ftml_update(w, mx.nd.array([1.0]), d, v, z, lr=0.1, t=1)
    >>> round(float(out.asscalar()), 3)
    0.9
    """
    name = 'ftml_update'
    params = {'lr': _LR, 'beta1': Float(0.6, doc='Decay of z.'),
              'beta2': Float(0.999, doc='Decay of the mean square v.'), 'epsilon': _EPS,
              't': Int(doc='Number of this update (from 1).'), 'wd': _WD,
              'rescale_grad': _RESCALE,
              'clip_grad': Float(-1.0, doc='Clip the rescaled gradient to '
                                           '[-clip_grad, clip_grad]; off when negative.')}
    states = ('d', 'v', 'z')

    def update(self, p, xp, w, g, states, out):
        d, v, z = states
        b1, b2, t = p.beta1, p.beta2, p.t
        s = _scaled(xp, g, p.rescale_grad, p.clip_grad, w.dtype, w, p.wd)
        _ema(v, xp.square(s), b2)
        # t = 0 divides 0 by 0, as in MXNet (NaN weights)
        with np.errstate(divide='ignore', invalid='ignore'):
            d_t = xp.sqrt(v * (1. / (1. - b2 ** t)))
            d_t += p.epsilon
            d_t *= (1. - b1 ** t) / p.lr
            _ema(z, s, b1)
            d *= b1
            z -= (d_t - d) * w
            d[...] = d_t
            xp.divide(z, d_t, out=out)
        xp.negative(out, out=out)


@register
class SignSGDUpdate(_Update):
    """signSGD: ``out = (1 - lr * wd) * weight - lr * sign(grad)``.

    Rescaling and clipping do not change a sign, so they are not applied (a negative
    ``rescale_grad`` or ``clip_gradient=0`` is ignored too, as in MXNet's kernel).

    Examples
    --------
    >>> import mxlite as mx
    >>> out = mx.nd.signsgd_update(mx.nd.array([1.0, 1.0]), mx.nd.array([3.0, -0.5]),
    ...                            lr=0.1)
    >>> out.asnumpy()
    array([0.9, 1.1], dtype=float32)
    """
    name = 'signsgd_update'
    params = {'lr': _LR, 'wd': _WD, 'rescale_grad': _RESCALE, 'clip_gradient': _CLIP}

    def update(self, p, xp, w, g, states, out):
        s = xp.sign(g)
        s *= p.lr
        _decayed(xp, w, 1. - p.lr * p.wd, out)
        out -= s


@register
class SignumUpdate(_Update):
    """Signum: signSGD on a momentum; ``mom`` (the negated momentum) is updated in place.

    With ``G = clip(rescale_grad * grad) + wd * weight``::

        mom = momentum * mom - (1 - momentum) * G
        out = (1 - lr * wd_lh) * weight + lr * sign(mom)

    Examples
    --------
    >>> import mxlite as mx
    >>> mom = mx.nd.zeros((2,))
    >>> out = mx.nd.signum_update(mx.nd.array([1.0, 1.0]), mx.nd.array([3.0, -0.5]), mom,
    ...                           lr=0.1, momentum=0.9)
    >>> out.asnumpy(), mom.asnumpy()
    (array([0.9, 1.1], dtype=float32), array([-0.3 ,  0.05], dtype=float32))
    """
    name = 'signum_update'
    params = {'lr': _LR, 'momentum': _MOM, 'wd': _WD, 'rescale_grad': _RESCALE,
              'clip_gradient': _CLIP,
              'wd_lh': Float(0.0, doc='Decoupled weight decay, outside the sign.')}
    states = ('mom',)

    def update(self, p, xp, w, g, states, out):
        mom = states[0]
        s = _scaled(xp, g, p.rescale_grad, p.clip_gradient, w.dtype)
        if p.wd:
            s += w * p.wd
        s *= 1. - p.momentum
        mom *= p.momentum
        mom -= s
        xp.sign(mom, out=s)
        s *= p.lr
        _decayed(xp, w, 1. - p.lr * p.wd_lh, out)
        out += s
