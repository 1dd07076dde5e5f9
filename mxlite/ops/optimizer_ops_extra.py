"""More optimizer update operators: AdamW, LAMB (two phases and fused), the preloaded
multi-SGD family (learning rates and weight decays as tensors), GroupAdaGrad and
multi_lars.

Conventions are those of optimizer_ops.py: the new weight is the output (pass
``out=weight``), every state input (moments, history, the float32 master copy
``weight32``) is updated IN PLACE, the weight input is never written, and there is no
gradient. Per-weight inputs come in groups (``weight_0, grad_0, mean_0, var_0,
weight_1, ...``) followed by shared ones (``rescale_grad``; ``lrs, wds``). In the
single-weight ops, states that end the input list are auxiliary states (as MXNet lists
mutable inputs); where a non-state input follows them (AdamW's ``rescale_grad``) they stay
arguments, because mxlite's graph takes aux states as trailing inputs only.

Checked against MXNet 1.9.1 on random data. Where MXNet 1.9.1's CPU build fails
(_multi_adamw_update, _multi_lamb_update and the preloaded ops without ``out=``;
group_adagrad_update has no CPU kernel) the formulas are those of the single-weight ops
and MXNet's documentation.
"""
import math

import numpy as np

from ..base import TypeInferError
from .optimizer_ops import (_CLIP, _EPS, _F32, _LR, _MOM, _RESCALE, _WD, _Update, _ema,
                            _merge_shapes, _merge_types, _scaled, _sgd)
from .registry import Bool, Float, FloatTuple, Int, Shape, register, shape_check

_B1 = Float(0.9, doc='Decay of the first moment.')
_B2 = Float(0.999, doc='Decay of the second moment.')
_ETA = Float(doc='Multiplier of the whole step (the schedule), weight decay included.')
_LAMB_EPS = Float(1e-6, doc='Added to the denominator.')
_BIAS = Bool(True, doc='Divide the moments by 1 - beta**t.')
_LOWER = Float(-1.0, doc='Lower bound of the weight norm r1; off when negative.')
_UPPER = Float(-1.0, doc='Upper bound of the weight norm r1; off when negative.')
_NUM_W = Int(1, doc='Number of weights updated.')


# ----------------------------------------------------------------------------- kernels
def _finite_scale(x):
    """The value of a one-element rescale tensor, or None when the step must be skipped
    (0, NaN or inf: MXNet then leaves weight and states untouched)."""
    v = float(x.reshape(-1)[0])
    return v if math.isfinite(v) and v != 0.0 else None


def _adamw(xp, w, g, mean, var, out, lr, eta, wd, scale, clip, b1, b2, eps):
    """``G = clip(scale * g)``; moments as Adam; ``out = w - eta * (lr * mean /
    (sqrt(var) + eps) + wd * w)`` (no bias correction: the optimizer folds it into lr)."""
    s = _scaled(xp, g, scale, clip, mean.dtype)
    _ema(mean, s, b1)
    _ema(var, xp.square(s), b2)
    xp.sqrt(var, out=s)
    s += eps
    xp.divide(mean, s, out=s)
    s *= lr
    if wd:
        s += w * wd
    s *= eta
    xp.subtract(w, s, out=out)


def _lamb1(xp, w, g, mean, var, out, p, t, wd):
    """LAMB's direction: moments as Adam, then ``out = m_hat / (sqrt(v_hat) + epsilon)
    + wd * w`` (hats: bias corrected when bias_correction)."""
    s = _scaled(xp, g, p.rescale_grad, p.clip_gradient, mean.dtype)
    _ema(mean, s, p.beta1)
    _ema(var, xp.square(s), p.beta2)
    mscale = vscale = 1.0
    if p.bias_correction:
        mscale, vscale = 1. / (1. - p.beta1 ** t), 1. / (1. - p.beta2 ** t)
    xp.multiply(var, vscale, out=s)
    xp.sqrt(s, out=s)
    s += p.epsilon
    xp.divide(mean * mscale, s, out=s)
    if wd:
        s += w * wd
    out[...] = s


def _lamb2(xp, w, g, r1, r2, out, lr, lower, upper):
    """``out = w - lr * ratio * g`` with ``ratio = r1 / r2``, r1 first clamped to
    [lower, upper] (each bound when >= 0); ratio 1 when r1 or r2 is 0."""
    if lower >= 0:
        r1 = max(r1, lower)
    if upper >= 0:
        r1 = min(r1, upper)
    ratio = r1 / r2 if r1 != 0 and r2 != 0 else 1.0
    xp.subtract(w, g * (lr * ratio), out=out)


def _norm(xp, x):
    """L2 norm as a Python float, summed in float32 at least."""
    flat = x.reshape(-1)
    if flat.dtype.itemsize < 4:
        flat = flat.astype(np.float32)
    return math.sqrt(float(xp.dot(flat, flat)))


# ----------------------------------------------------------------------------- base
class _Grouped(_Update):
    """Inputs: ``count`` groups of the slots in ``per``, then the ``shared`` inputs.

    Each slot is ``(name, shape kind, dtype kind)``; shape kind ``'same'`` (the group's
    weight shape) or ``'one'`` (shape (1,)); dtype kind ``'w'`` (the weight's), ``'s'``
    (float32 in the mp_* ops, else the weight's) or ``'f32'``. Shared inputs are
    ``(name, shape kind, dtype kind)`` with shape kind ``'one'`` or ``'count'`` ((count,)).
    ``aux`` trailing slots of a single-weight op are auxiliary states. ``step(p, xp, i,
    group, out, shared)`` updates group i (for mp_* ops on weight32, then cast)."""
    per = ()
    shared = ()
    count_param = None       # 'num_weights' / 'num_tensors'; None: a single-weight op
    tuples = ()              # tuple params with one value per weight
    aux = 0
    out_kind = 'w'

    def _count(self, p):
        if self.count_param is None:
            return 1
        n = getattr(p, self.count_param)
        shape_check(n >= 1, '%s must be at least 1, got %d', self.count_param, n)
        for key in self.tuples:
            values = getattr(p, key)
            shape_check(len(values) == n, '%s has %d value(s) but %s=%d; expected one per '
                        'weight', key, len(values), self.count_param, n)
        return n

    def _names(self, p):
        if self.count_param is None:
            names = [s[0] for s in self.per]
        else:
            names = ['%s_%d' % (s[0], i) for i in range(self._count(p)) for s in self.per]
        return names + [s[0] for s in self.shared]

    def list_arguments(self, p):
        names = self._names(p)
        return names[:len(names) - self.aux]

    def list_auxiliary_states(self, p):
        return self._names(p)[len(self._names(p)) - self.aux:]

    def list_outputs(self, p):
        n = self._count(p)
        return ['output'] if n == 1 else ['output%d' % i for i in range(n)]

    def _slots(self, p):
        """(index, shape kind, dtype kind, group or None) for every input."""
        k, n, out = len(self.per), self._count(p), []
        for i in range(n):
            out += [(k * i + j, s[1], s[2], i) for j, s in enumerate(self.per)]
        out += [(k * n + j, s[1], s[2], None) for j, s in enumerate(self.shared)]
        return out

    def infer_shape(self, p, in_shapes):
        names, n, outs = self._input_names(p, len(in_shapes)), self._count(p), []
        slots = self._slots(p)
        shapes = list(in_shapes)
        for i in range(n):
            group = [s[0] for s in slots if s[3] == i and s[1] == 'same']
            shapes, merged = _merge_shapes(names, shapes, self.name, group)
            outs.append(merged)
        for idx, kind, _, _ in slots:
            if kind == 'same':
                continue
            want = (1,) if kind == 'one' else (n,)
            got = shapes[idx]
            shape_check(got is None or (len(got) == 1 and got[0] in (None, want[0])),
                        "input '%s' has shape %s; %s expects %s", names[idx],
                        None if got is None else tuple(got), self.name, want)
            shapes[idx] = want
        return shapes, outs

    def infer_type(self, p, in_types):
        names, n = self._input_names(p, len(in_types)), self._count(p)
        slots = self._slots(p)
        types, outs = list(in_types), []
        for i in range(n):
            lo = [s for s in slots if s[3] == i]
            shared_slots = [s[0] for s in lo if s[2] == 'w' or (s[2] == 's' and
                                                                 not self.master)]
            fixed = [s[0] for s in lo if s[2] == 'f32' or (s[2] == 's' and self.master)]
            types, dt = _merge_types(names, types, self.name, shared_slots, fixed)
            outs.append(_F32 if self.out_kind == 's' and self.master else dt)
        for idx, _, kind, grp in slots:
            if grp is None:
                if types[idx] is not None and np.dtype(types[idx]) != _F32:
                    raise TypeInferError("input '%s' has dtype %s; %s takes it in float32"
                                         % (names[idx], np.dtype(types[idx]).name,
                                            self.name))
                types[idx] = _F32
        return types, outs

    def _shared_values(self, arrays):
        return arrays

    def forward(self, p, inputs, outputs, ctx):
        k, n = len(self.per), len(outputs)
        shared = self._shared_values(inputs[k * n:])
        for i, out in enumerate(outputs):
            group = list(inputs[k * i:k * i + k])
            if self.master:   # work on weight32 (the last slot), then cast it out
                w32 = group[-1]
                group[0] = w32
                if self.step(p, ctx.xp, i, group, w32, shared) is not False:
                    out[...] = w32
                else:
                    out[...] = inputs[k * i]
            elif self.step(p, ctx.xp, i, group, out, shared) is False:
                out[...] = group[0]


# ----------------------------------------------------------------------------- AdamW
_ADAMW = {'lr': _LR, 'beta1': _B1, 'beta2': _B2, 'epsilon': _EPS, 'wd': _WD, 'eta': _ETA,
          'clip_gradient': _CLIP}
_MULTI_ADAMW = {'lrs': FloatTuple(doc='Learning rates, one per weight.'),
                'beta1': _B1, 'beta2': _B2, 'epsilon': _EPS,
                'wds': FloatTuple(doc='Weight decays, one per weight.'),
                'etas': FloatTuple(doc='Step multipliers, one per weight.'),
                'clip_gradient': _CLIP, 'num_weights': _NUM_W}
_W, _G = ('weight', 'same', 'w'), ('grad', 'same', 'w')
_MEAN, _VAR = ('mean', 'same', 's'), ('var', 'same', 's')
_W32 = ('weight32', 'same', 's')
_RESCALE_IN = (('rescale_grad', 'one', 'f32'),)


class _AdamWBase(_Grouped):
    shared = _RESCALE_IN

    def step(self, p, xp, i, group, out, shared):
        scale = _finite_scale(shared[0])
        if scale is None:
            return False
        if self.count_param is None:
            lr, wd, eta = p.lr, p.wd, p.eta
        else:
            lr, wd, eta = p.lrs[i], p.wds[i], p.etas[i]
        _adamw(xp, group[0], group[1], group[2], group[3], out, lr, eta, wd, scale,
               p.clip_gradient, p.beta1, p.beta2, p.epsilon)
        return True


@register
class AdamWUpdate(_AdamWBase):
    """AdamW step (decoupled weight decay); ``mean`` and ``var`` are updated in place.

    ``rescale_grad`` is a one-element float32 tensor (so that loss scaling can change it
    without a new graph). With ``G = clip(rescale_grad * grad)``::

        mean = beta1 * mean + (1 - beta1) * G
        var  = beta2 * var + (1 - beta2) * G**2
        out  = weight - eta * (lr * mean / (sqrt(var) + epsilon) + wd * weight)

    When ``rescale_grad`` is 0, NaN or inf the step is skipped: the states keep their
    values and the output is the weight (MXNet leaves the output unwritten).

    Examples
    --------
    >>> import mxlite as mx
    >>> w, m, v = mx.nd.array([1.0]), mx.nd.zeros((1,)), mx.nd.zeros((1,))
    >>> _ = mx.nd._internal._adamw_update(w, mx.nd.array([2.0]), m, v, mx.nd.array([0.5]),
    ...                                   lr=0.1, eta=1.0, beta1=0.5, beta2=0.75, out=w)
    >>> float(m.asscalar()), float(v.asscalar()), round(float(w.asscalar()), 5)
    (0.5, 0.25, 0.9)
    """
    name = '_adamw_update'
    params = _ADAMW
    per = (_W, _G, _MEAN, _VAR)


@register
class MPAdamWUpdate(_AdamWBase):
    """`_adamw_update` of a float32 master copy: ``mean``, ``var`` and ``weight32`` are
    updated in place; the output is ``weight32`` cast to the weight's dtype.

    Examples
    --------
    >>> import mxlite as mx
    >>> w = mx.nd.array([1.0], dtype='float16'); w32 = w.astype('float32')
    >>> m, v = mx.nd.zeros((1,)), mx.nd.zeros((1,))
    >>> out = mx.nd._internal._mp_adamw_update(w, mx.nd.array([1.0], dtype='float16'), m,
    ...     v, w32, mx.nd.array([1.0]), lr=0.5, eta=1.0, beta1=0.0, beta2=0.0)
    >>> out.dtype.__name__, round(float(w32.asscalar()), 4)
    ('float16', 0.5)
    """
    name = '_mp_adamw_update'
    params = _ADAMW
    per = (_W, _G, _MEAN, _VAR, _W32)
    master = True


@register
class MultiAdamWUpdate(_AdamWBase):
    """`_adamw_update` of ``num_weights`` weights: inputs ``weight_i, grad_i, mean_i,
    var_i`` interleaved, then one shared ``rescale_grad``; per-weight ``lrs``, ``wds``,
    ``etas``.

    Examples
    --------
    >>> import mxlite as mx
    >>> w, m, v = mx.nd.array([1.0]), mx.nd.zeros((1,)), mx.nd.zeros((1,))
    >>> out = mx.nd._internal._multi_adamw_update(w, mx.nd.array([1.0]), m, v,
    ...     mx.nd.array([1.0]), lrs=(0.5,), wds=(0.0,), etas=(1.0,), beta1=0.0, beta2=0.0)
    >>> round(float(out.asscalar()), 4)
    0.5
    """
    name = '_multi_adamw_update'
    params = _MULTI_ADAMW
    per = (_W, _G, _MEAN, _VAR)
    count_param = 'num_weights'
    tuples = ('lrs', 'wds', 'etas')


@register
class MultiMPAdamWUpdate(MultiAdamWUpdate):
    """`_mp_adamw_update` of ``num_weights`` weights: inputs ``weight_i, grad_i, mean_i,
    var_i, weight32_i`` interleaved, then ``rescale_grad``.

    Examples
    --------
    >>> import mxlite as mx
    >>> w = mx.nd.array([1.0], dtype='float16'); w32 = w.astype('float32')
    >>> m, v = mx.nd.zeros((1,)), mx.nd.zeros((1,))
    >>> out = mx.nd._internal._multi_mp_adamw_update(w, mx.nd.array([1.0], dtype='float16'),
    ...     m, v, w32, mx.nd.array([1.0]), lrs=(0.5,), wds=(0.0,), etas=(1.0,), beta1=0.0,
    ...     beta2=0.0)
    >>> out.dtype.__name__, round(float(w32.asscalar()), 4)
    ('float16', 0.5)
    """
    name = '_multi_mp_adamw_update'
    per = (_W, _G, _MEAN, _VAR, _W32)
    master = True


# ----------------------------------------------------------------------------- LAMB
_LAMB1 = {'beta1': _B1, 'beta2': _B2, 'epsilon': _LAMB_EPS,
          't': Int(doc='Number of this update (from 1), for the bias correction.'),
          'bias_correction': _BIAS, 'wd': Float(doc='Weight decay.'),
          'rescale_grad': _RESCALE, 'clip_gradient': _CLIP}
_LAMB2 = {'lr': _LR, 'lower_bound': _LOWER, 'upper_bound': _UPPER}


@register
class LambUpdatePhase1(_Grouped):
    """LAMB, first phase: updates ``mean`` and ``var`` in place and returns the step
    direction ``g`` (not the weight). With ``G = clip(rescale_grad * grad)``::

        mean = beta1 * mean + (1 - beta1) * G
        var  = beta2 * var + (1 - beta2) * G**2
        g    = mean_hat / (sqrt(var_hat) + epsilon) + wd * weight

    where ``mean_hat = mean / (1 - beta1**t)``, ``var_hat = var / (1 - beta2**t)`` when
    ``bias_correction``, else the moments themselves. `lamb_update_phase2` applies ``g``.

    Examples
    --------
    >>> import mxlite as mx
    >>> w, m, v = mx.nd.array([1.0]), mx.nd.zeros((1,)), mx.nd.zeros((1,))
    >>> g = mx.nd.lamb_update_phase1(w, mx.nd.array([2.0]), m, v, t=1, wd=0.5,
    ...                              epsilon=0.0)
    >>> round(float(g.asscalar()), 4), round(float(m.asscalar()), 4)
    (1.5, 0.2)
    """
    name = 'lamb_update_phase1'
    params = _LAMB1
    per = (_W, _G, _MEAN, _VAR)
    aux = 2

    def step(self, p, xp, i, group, out, shared):
        w, g, mean, var = group[:4]
        _lamb1(xp, w, g, mean, var, out, p, p.t, p.wd)


@register
class MPLambUpdatePhase1(LambUpdatePhase1):
    """`lamb_update_phase1` with a float32 master copy: ``mean`` and ``var`` are updated
    in place, ``weight32`` is read (for the decay term), and ``g`` is float32.

    Examples
    --------
    >>> import mxlite as mx
    >>> w = mx.nd.array([1.0], dtype='float16'); w32 = w.astype('float32')
    >>> m, v = mx.nd.zeros((1,)), mx.nd.zeros((1,))
    >>> g = mx.nd.mp_lamb_update_phase1(w, mx.nd.array([2.0], dtype='float16'), m, v, w32,
    ...                                 t=1, wd=0.5, epsilon=0.0)
    >>> g.dtype.__name__, round(float(g.asscalar()), 4)
    ('float32', 1.5)
    """
    name = 'mp_lamb_update_phase1'
    per = (_W, _G, _MEAN, _VAR, _W32)
    aux = 3
    master = True
    out_kind = 's'

    def forward(self, p, inputs, outputs, ctx):
        # the output is the direction, not the weight: no cast of weight32 into it
        w, g, mean, var, w32 = inputs
        _lamb1(ctx.xp, w32, g, mean, var, outputs[0], p, p.t, p.wd)


@register
class LambUpdatePhase2(_Grouped):
    """LAMB, second phase: ``weight - lr * ratio * g`` with ``ratio = r1 / r2``.

    ``r1`` (the weight's L2 norm) and ``r2`` (``g``'s) are one-element tensors; r1 is
    first clamped to ``[lower_bound, upper_bound]`` (each bound only when >= 0), and the
    ratio is 1 when r1 or r2 is 0.

    Examples
    --------
    >>> import mxlite as mx
    >>> w = mx.nd.array([3.0, 4.0])
    >>> out = mx.nd.lamb_update_phase2(w, mx.nd.array([1.0, 1.0]), w.norm().reshape((1,)),
    ...                                mx.nd.array([10.0]), lr=0.2)
    >>> out.asnumpy()
    array([2.9, 3.9], dtype=float32)
    """
    name = 'lamb_update_phase2'
    params = _LAMB2
    per = (_W, ('g', 'same', 's'), ('r1', 'one', 's'), ('r2', 'one', 's'))

    def step(self, p, xp, i, group, out, shared):
        w, g, r1, r2 = group[:4]
        _lamb2(xp, w, g, float(r1.reshape(-1)[0]), float(r2.reshape(-1)[0]), out, p.lr,
               p.lower_bound, p.upper_bound)


@register
class MPLambUpdatePhase2(LambUpdatePhase2):
    """`lamb_update_phase2` on a float32 master copy: ``weight32`` is updated in place
    and the output is its cast to the weight's dtype; ``g``, ``r1``, ``r2`` are float32.

    Examples
    --------
    >>> import mxlite as mx
    >>> w = mx.nd.array([3.0, 4.0], dtype='float16'); w32 = w.astype('float32')
    >>> out = mx.nd.mp_lamb_update_phase2(w, mx.nd.array([1.0, 1.0]), mx.nd.array([5.0]),
    ...                                   mx.nd.array([10.0]), w32, lr=0.2)
    >>> out.dtype.__name__, w32.asnumpy()
    ('float16', array([2.9, 3.9], dtype=float32))
    """
    name = 'mp_lamb_update_phase2'
    per = LambUpdatePhase2.per + (_W32,)
    aux = 1
    master = True


@register
class MultiLambUpdate(_Grouped):
    """Both LAMB phases for ``num_tensors`` weights: inputs ``weight_i, grad_i, mean_i,
    var_i`` interleaved; per-tensor ``learning_rates``, ``wds`` and ``step_count`` (t).

    For each tensor: ``g`` as `lamb_update_phase1`, ``r1 = ||weight||``, ``r2 = ||g||``,
    then `lamb_update_phase2` with ``lower_bound``/``upper_bound``.

    Examples
    --------
    >>> import mxlite as mx
    >>> w, m, v = mx.nd.array([3.0, 4.0]), mx.nd.zeros((2,)), mx.nd.zeros((2,))
    >>> out = mx.nd._internal._multi_lamb_update(w, mx.nd.array([1.0, 1.0]), m, v,
    ...     learning_rates=(0.1,), wds=(0.0,), step_count=(1,))
    >>> out.asnumpy().round(4)
    array([2.6464, 3.6464], dtype=float32)
    """
    name = '_multi_lamb_update'
    params = {'learning_rates': FloatTuple(doc='Learning rates, one per tensor.'),
              'beta1': _B1, 'beta2': _B2, 'epsilon': _LAMB_EPS,
              'wds': FloatTuple(doc='Weight decays, one per tensor.'),
              'rescale_grad': _RESCALE, 'lower_bound': _LOWER, 'upper_bound': _UPPER,
              'clip_gradient': _CLIP, 'bias_correction': _BIAS,
              'step_count': Shape(doc='Update count t of each tensor.'),
              'num_tensors': Int(1, doc='Number of tensors updated.')}
    per = (_W, _G, _MEAN, _VAR)
    count_param = 'num_tensors'
    tuples = ('learning_rates', 'wds', 'step_count')

    def step(self, p, xp, i, group, out, shared):
        w, g, mean, var = group[:4]
        direction = xp.empty(mean.shape, mean.dtype)
        _lamb1(xp, w, g, mean, var, direction, p, p.step_count[i], p.wds[i])
        _lamb2(xp, w, direction, _norm(xp, w), _norm(xp, direction), out,
               p.learning_rates[i], p.lower_bound, p.upper_bound)


@register
class MultiMPLambUpdate(MultiLambUpdate):
    """`_multi_lamb_update` on float32 master copies: inputs ``weight_i, grad_i, mean_i,
    var_i, weight32_i`` interleaved; states and ``weight32_i`` are updated in place.

    Examples
    --------
    >>> import mxlite as mx
    >>> w = mx.nd.array([3.0, 4.0], dtype='float16'); w32 = w.astype('float32')
    >>> m, v = mx.nd.zeros((2,)), mx.nd.zeros((2,))
    >>> out = mx.nd._internal._multi_mp_lamb_update(w, mx.nd.ones((2,), dtype='float16'),
    ...     m, v, w32, learning_rates=(0.1,), wds=(0.0,), step_count=(1,))
    >>> out.dtype.__name__, w32.asnumpy().round(4)
    ('float16', array([2.6464, 3.6464], dtype=float32))
    """
    name = '_multi_mp_lamb_update'
    per = (_W, _G, _MEAN, _VAR, _W32)
    master = True


# ----------------------------------------------------------------------------- preloaded
_LRS_WDS = (('lrs', 'count', 'f32'), ('wds', 'count', 'f32'))


class _Preloaded(_Grouped):
    """multi_(mp_)sgd(_mom)_update with ``lrs`` and ``wds`` as float32 tensors of shape
    (num_weights,) after the per-weight inputs."""
    shared = _LRS_WDS
    count_param = 'num_weights'
    momentum = False

    def _shared_values(self, arrays):
        return [a.tolist() for a in arrays]   # read once (device arrays on GPU)

    def step(self, p, xp, i, group, out, shared):
        lrs, wds = shared
        mom = group[2] if self.momentum else None
        _sgd(xp, group[0], group[1], out, lrs[i], wds[i], p.rescale_grad,
             p.clip_gradient, mom, p.momentum if self.momentum else 0.0)


_PRE = {'rescale_grad': _RESCALE, 'clip_gradient': _CLIP, 'num_weights': _NUM_W}
_PRE_MOM = {'momentum': _MOM, 'rescale_grad': _RESCALE, 'clip_gradient': _CLIP,
            'num_weights': _NUM_W}
_MOM_SLOT = ('mom', 'same', 's')


@register
class PreloadedMultiSGDUpdate(_Preloaded):
    """`sgd_update` of ``num_weights`` weights whose learning rates and weight decays are
    tensors: inputs ``weight_0, grad_0, weight_1, ..., lrs, wds``.

    Examples
    --------
    >>> import mxlite as mx
    >>> w0, w1 = mx.nd.array([1.0]), mx.nd.array([2.0])
    >>> _ = mx.nd.preloaded_multi_sgd_update(w0, mx.nd.ones((1,)), w1, mx.nd.ones((1,)),
    ...     mx.nd.array([0.5, 0.25]), mx.nd.zeros((2,)), num_weights=2, out=[w0, w1])
    >>> w0.asnumpy(), w1.asnumpy()
    (array([0.5], dtype=float32), array([1.75], dtype=float32))
    """
    name = 'preloaded_multi_sgd_update'
    params = _PRE
    per = (_W, _G)


@register
class PreloadedMultiSGDMomUpdate(_Preloaded):
    """`sgd_mom_update` of ``num_weights`` weights: inputs ``weight_i, grad_i, mom_i``
    interleaved, then ``lrs, wds``; every ``mom_i`` is updated in place.

    Examples
    --------
    >>> import mxlite as mx
    >>> w, m = mx.nd.array([1.0]), mx.nd.zeros((1,))
    >>> out = mx.nd.preloaded_multi_sgd_mom_update(w, mx.nd.ones((1,)), m,
    ...     mx.nd.array([0.5]), mx.nd.zeros((1,)), momentum=0.9)
    >>> float(m.asscalar()), float(out.asscalar())
    (-0.5, 0.5)
    """
    name = 'preloaded_multi_sgd_mom_update'
    params = _PRE_MOM
    per = (_W, _G, _MOM_SLOT)
    momentum = True


@register
class PreloadedMultiMPSGDUpdate(_Preloaded):
    """`mp_sgd_update` of ``num_weights`` weights: inputs ``weight_i, grad_i, weight32_i``
    interleaved, then ``lrs, wds``; every ``weight32_i`` is updated in place.

    Examples
    --------
    >>> import mxlite as mx
    >>> w = mx.nd.array([1.0], dtype='float16'); w32 = w.astype('float32')
    >>> out = mx.nd.preloaded_multi_mp_sgd_update(w, mx.nd.ones((1,), dtype='float16'),
    ...     w32, mx.nd.array([0.5]), mx.nd.zeros((1,)))
    >>> out.dtype.__name__, float(w32.asscalar())
    ('float16', 0.5)
    """
    name = 'preloaded_multi_mp_sgd_update'
    params = _PRE
    per = (_W, _G, _W32)
    master = True


@register
class PreloadedMultiMPSGDMomUpdate(_Preloaded):
    """`mp_sgd_mom_update` of ``num_weights`` weights: inputs ``weight_i, grad_i, mom_i,
    weight32_i`` interleaved, then ``lrs, wds``; moms and master copies updated in place.

    Examples
    --------
    >>> import mxlite as mx
    >>> w = mx.nd.array([1.0], dtype='float16'); w32 = w.astype('float32')
    >>> m = mx.nd.zeros((1,))
    >>> out = mx.nd.preloaded_multi_mp_sgd_mom_update(w, mx.nd.ones((1,), dtype='float16'),
    ...     m, w32, mx.nd.array([0.5]), mx.nd.zeros((1,)), momentum=0.9)
    >>> float(m.asscalar()), float(out.asscalar())
    (-0.5, 0.5)
    """
    name = 'preloaded_multi_mp_sgd_mom_update'
    params = _PRE_MOM
    per = (_W, _G, _MOM_SLOT, _W32)
    momentum = True
    master = True


# ----------------------------------------------------------------------------- others
@register
class GroupAdagradUpdate(_Grouped):
    """AdaGrad with one accumulated square per row of a 2-D weight; ``history`` (shape
    ``(rows, 1)``) is updated in place. With ``G = clip(rescale_grad * grad)``::

        history += mean(G**2, axis=1, keepdims=True)
        out = weight - lr * G / sqrt(history + epsilon)

    Examples
    --------
    >>> import mxlite as mx
    >>> w, h = mx.nd.ones((2, 2)), mx.nd.zeros((2, 1))
    >>> out = mx.nd.contrib.group_adagrad_update(w, mx.nd.array([[3., 4.], [0., 1.]]), h,
    ...                                          lr=1.0, epsilon=0.0)
    >>> h.asnumpy().ravel(), out.asnumpy().round(4)
    (array([12.5,  0.5], dtype=float32), array([[ 0.1515, -0.1314],
           [ 1.    , -0.4142]], dtype=float32))
    """
    name = '_contrib_group_adagrad_update'
    params = {'lr': _LR, 'rescale_grad': _RESCALE, 'clip_gradient': _CLIP,
              'epsilon': Float(1e-5, doc='Added to the history under the square root.')}
    per = (_W, _G, ('history', 'hist', 's'))
    aux = 1

    def infer_shape(self, p, in_shapes):
        names = self._input_names(p, len(in_shapes))
        shapes, merged = _merge_shapes(names, list(in_shapes), self.name, (0, 1))
        shape_check(merged is None or len(merged) == 2,
                    "input 'weight' has shape %s; %s takes 2-D weights (one history value "
                    'per row)', merged, self.name)
        hist = shapes[2]
        if merged is not None:
            want = (merged[0], 1)
            shape_check(hist is None or (len(hist) == 2 and hist[1] in (None, 1) and
                                         hist[0] in (None, want[0])),
                        "input 'history' has shape %s; %s expects %s for weight shape %s",
                        None if hist is None else tuple(hist), self.name, want, merged)
            shapes[2] = want
        return shapes, [merged]

    def step(self, p, xp, i, group, out, shared):
        w, g, hist = group
        s = _scaled(xp, g, p.rescale_grad, p.clip_gradient, w.dtype)
        hist += xp.mean(xp.square(s), axis=1, keepdims=True)
        s /= xp.sqrt(hist + p.epsilon)
        s *= p.lr
        xp.subtract(w, s, out=out)


@register
class MultiLars(_Grouped):
    """Layer-wise learning rates of LARS from squared norms (one entry per layer)::

        w_norm = sqrt(weights_sum_sq);  g_norm = sqrt(grads_sum_sq)
        out = lrs * eta * w_norm / (g_norm * rescale_grad + wds * w_norm + eps)
              where weights_sum_sq > 0 and grads_sum_sq > 0, else lrs

    Examples
    --------
    >>> import mxlite as mx
    >>> mx.nd.multi_lars(mx.nd.array([0.1, 0.1]), mx.nd.array([4.0, 0.0]),
    ...                  mx.nd.array([1.0, 1.0]), mx.nd.zeros((2,)), eta=1.0,
    ...                  eps=0.0).asnumpy()
    array([0.2, 0.1], dtype=float32)
    """
    name = 'multi_lars'
    params = {'eta': Float(doc='LARS coefficient.'),
              'eps': Float(doc='Added to the denominator.'), 'rescale_grad': _RESCALE}
    per = (('lrs', 'same', 'w'), ('weights_sum_sq', 'same', 'w'),
           ('grads_sum_sq', 'same', 'w'), ('wds', 'same', 'w'))

    def step(self, p, xp, i, group, out, shared):
        lrs, ws, gs, wds = group
        with np.errstate(invalid='ignore', divide='ignore'):   # masked out below
            w_norm, g_norm = xp.sqrt(ws), xp.sqrt(gs)
            ratio = p.eta * w_norm / (g_norm * p.rescale_grad + wds * w_norm + p.eps)
        out[...] = xp.where((ws > 0) & (gs > 0), lrs * ratio, lrs)
