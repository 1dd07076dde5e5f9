"""Adaptive optimizers: Adam, Adamax, Nadam, AdaGrad, AdaDelta, RMSProp, FTML, Ftrl, LAMB.

Each follows MXNet 1.9.1's formula, including where weight decay enters (in the gradient
before clipping for Adam, RMSProp, FTML, Adamax, Nadam; outside it for AdaGrad, AdaDelta,
Ftrl, LAMB) and which clipping rule applies: the fused-kernel optimizers (Adam, RMSProp,
FTML, Ftrl, LAMB) clip only for a positive ``clip_gradient``, the ones MXNet writes in
Python (AdaGrad, AdaDelta, Adamax, Nadam) clip whenever it is not None.

Differences from MXNet, on purpose: MXNet's Adam, RMSProp and AdaDelta overwrite the
caller's gradient array with the rescaled gradient; here the gradient is left untouched.
States are created in the weight's dtype (MXNet makes AdaGrad/RMSProp/AdaDelta/Ftrl states
float32 whatever the weight's dtype; identical for float32 weights).
"""
import math

import numpy as np

from .base import (Optimizer, _add_decay, _check_pair, _ema, _ema_square, _zero_states,
                   _zeros_like, register)

__all__ = ['Adam', 'Adamax', 'Nadam', 'AdaGrad', 'AdaDelta', 'RMSProp', 'FTML', 'Ftrl',
           'FTRL', 'LAMB']


@register
class Adam(Optimizer):
    """Adam.

    At step ``t`` of a weight, with ``g = clip(rescale_grad * grad + wd * weight)``::

        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g**2
        weight -= lr * sqrt(1 - beta2**t) / (1 - beta1**t) * m / (sqrt(v) + epsilon)

    Parameters
    ----------
    learning_rate : float, default 0.001
    beta1 : float, default 0.9
    beta2 : float, default 0.999
    epsilon : float, default 1e-8
    lazy_update : bool, default True
        Only matters for row_sparse gradients in MXNet; dense here.
    **kwargs
        See `Optimizer`.

    Examples
    --------
    >>> import mxlite as mx
    >>> opt = mx.optimizer.Adam(learning_rate=0.1)
    >>> w = mx.nd.array([1.0]); s = opt.create_state(0, w)
    >>> opt.update(0, w, mx.nd.array([5.0]), s)
    >>> round(float(w.asscalar()), 4)
    0.9
    """

    def __init__(self, learning_rate=0.001, beta1=0.9, beta2=0.999, epsilon=1e-8,
                 lazy_update=True, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.lazy_update = lazy_update

    def create_state(self, index, weight):
        return _zero_states(weight, 2)   # mean, variance

    def update(self, index, weight, grad, state):
        w, g, lr, wd = self._start(index, weight, grad)
        t = self._index_update_count[index]
        lr *= math.sqrt(1. - self.beta2 ** t) / (1. - self.beta1 ** t)
        s = self._rescaled(w, g, self._kernel_clip(), wd)
        mean, var = state[0]._data, state[1]._data
        tmp = self._buf(1, w)
        _ema(mean, s, self.beta1, tmp)
        _ema_square(var, s, self.beta2, s)   # s is not needed after this
        np.sqrt(var, out=s)
        s += self.epsilon
        np.divide(mean, s, out=s)
        s *= lr
        w -= s


@register
class Adamax(Optimizer):
    """AdaMax, Adam with the infinity norm.

    With ``g = clip(rescale_grad * grad + wd * weight)`` at step ``t``::

        m = beta1 * m + (1 - beta1) * g
        u = maximum(beta2 * u, abs(g))
        weight -= lr / (1 - beta1**t) * m / u

    Parameters
    ----------
    learning_rate : float, default 0.002
    beta1 : float, default 0.9
    beta2 : float, default 0.999
    **kwargs
        See `Optimizer`.

    Examples
    --------
    >>> import mxlite as mx
    >>> opt = mx.optimizer.Adamax(learning_rate=0.1)
    >>> w = mx.nd.array([1.0]); s = opt.create_state(0, w)
    >>> opt.update(0, w, mx.nd.array([-3.0]), s)
    >>> round(float(w.asscalar()), 4)
    1.1
    """

    def __init__(self, learning_rate=0.002, beta1=0.9, beta2=0.999, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.beta1 = beta1
        self.beta2 = beta2

    def create_state(self, index, weight):
        return _zero_states(weight, 2)   # mean, infinity norm

    def update(self, index, weight, grad, state):
        w, g, lr, wd = self._start(index, weight, grad)
        t = self._index_update_count[index]
        lr /= 1. - self.beta1 ** t
        s = self._rescaled(w, g, self._python_clip(), wd)
        m, u = state[0]._data, state[1]._data
        _ema(m, s, self.beta1, self._buf(1, w))
        u *= self.beta2
        np.abs(s, out=s)
        np.maximum(u, s, out=u)
        np.divide(m, u, out=s)
        s *= lr
        w -= s


@register
class Nadam(Optimizer):
    """Nesterov Adam.

    With ``g = clip(rescale_grad * grad + wd * weight)`` at step ``t``::

        mu_t   = beta1 * (1 - 0.5 * 0.96**(t * schedule_decay))
        mu_t1  = beta1 * (1 - 0.5 * 0.96**((t + 1) * schedule_decay))
        m_schedule = m_schedule * mu_t
        m = beta1 * m + (1 - beta1) * g;   v = beta2 * v + (1 - beta2) * g**2
        m_bar = (1 - mu_t) * g / (1 - m_schedule) + mu_t1 * m / (1 - m_schedule * mu_t1)
        weight -= lr * m_bar / (sqrt(v / (1 - beta2**t)) + epsilon)

    As in MXNet, ``m_schedule`` is one number shared by all weights (it advances at each
    weight's update).

    Parameters
    ----------
    learning_rate : float, default 0.001
    beta1 : float, default 0.9
    beta2 : float, default 0.999
    epsilon : float, default 1e-8
    schedule_decay : float, default 0.004
    **kwargs
        See `Optimizer`.

    Examples
    --------
    >>> import mxlite as mx
    >>> opt = mx.optimizer.Nadam(learning_rate=0.1)
    >>> w = mx.nd.array([1.0]); s = opt.create_state(0, w)
    >>> opt.update(0, w, mx.nd.array([1.0]), s)
    >>> float(w.asscalar()) < 1.0
    True
    """

    def __init__(self, learning_rate=0.001, beta1=0.9, beta2=0.999, epsilon=1e-8,
                 schedule_decay=0.004, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.schedule_decay = schedule_decay
        self.m_schedule = 1.

    def create_state(self, index, weight):
        return _zero_states(weight, 2)   # mean, variance

    def update(self, index, weight, grad, state):
        w, g, lr, wd = self._start(index, weight, grad)
        t = self._index_update_count[index]
        s = self._rescaled(w, g, self._python_clip(), wd)
        mu_t = self.beta1 * (1. - 0.5 * pow(0.96, t * self.schedule_decay))
        mu_t1 = self.beta1 * (1. - 0.5 * pow(0.96, (t + 1) * self.schedule_decay))
        self.m_schedule = self.m_schedule * mu_t
        m_schedule_next = self.m_schedule * mu_t1
        m, v = state[0]._data, state[1]._data
        tmp = self._buf(1, w)
        _ema(m, s, self.beta1, tmp)
        _ema_square(v, s, self.beta2, tmp)
        # m_bar into s, the denominator into tmp
        s *= (1. - mu_t) / (1. - self.m_schedule)
        np.multiply(m, mu_t1 / (1. - m_schedule_next), out=tmp)
        s += tmp
        np.multiply(v, 1. / (1. - pow(self.beta2, t)), out=tmp)
        np.sqrt(tmp, out=tmp)
        tmp += self.epsilon
        s /= tmp
        s *= lr
        w -= s


@register
class AdaGrad(Optimizer):
    """AdaGrad.

    With ``g = clip(rescale_grad * grad)``::

        history += g**2
        weight  -= lr * (g / sqrt(history + eps) + wd * weight)

    Parameters
    ----------
    eps : float, default 1e-7
        Added to the history before the square root.
    **kwargs
        See `Optimizer`.

    Examples
    --------
    >>> import mxlite as mx
    >>> opt = mx.optimizer.AdaGrad(learning_rate=0.1)
    >>> w = mx.nd.array([1.0]); s = opt.create_state(0, w)
    >>> opt.update(0, w, mx.nd.array([2.0]), s)
    >>> round(float(w.asscalar()), 4)
    0.9
    """

    def __init__(self, eps=1e-7, **kwargs):
        super().__init__(**kwargs)
        self.float_stable_eps = eps

    def create_state(self, index, weight):
        return _zeros_like(weight)   # history

    def update(self, index, weight, grad, state):
        w, g, lr, wd = self._start(index, weight, grad)
        s = self._rescaled(w, g, self._python_clip())
        hist = state._data
        tmp = self._buf(1, w)
        np.square(s, out=tmp)
        hist += tmp
        np.add(hist, self.float_stable_eps, out=tmp)
        np.sqrt(tmp, out=tmp)
        s /= tmp
        _add_decay(s, w, wd, tmp)
        s *= lr
        w -= s


@register
class AdaDelta(Optimizer):
    """AdaDelta (the learning rate is not used).

    With ``g = clip(rescale_grad * grad)``::

        acc_g     = rho * acc_g + (1 - rho) * g**2
        delta     = sqrt(acc_delta + epsilon) / sqrt(acc_g + epsilon) * g
        acc_delta = rho * acc_delta + (1 - rho) * delta**2
        weight   -= delta + wd * weight

    Parameters
    ----------
    rho : float, default 0.9
    epsilon : float, default 1e-5
    **kwargs
        See `Optimizer`.

    Examples
    --------
    >>> import mxlite as mx
    >>> opt = mx.optimizer.AdaDelta()
    >>> w = mx.nd.array([1.0]); s = opt.create_state(0, w)
    >>> opt.update(0, w, mx.nd.array([1.0]), s)
    >>> float(w.asscalar()) < 1.0
    True
    """

    def __init__(self, rho=0.90, epsilon=1e-5, **kwargs):
        super().__init__(**kwargs)
        self.rho = rho
        self.epsilon = epsilon

    def create_state(self, index, weight):
        return _zero_states(weight, 2)   # accumulated g, delta

    def update(self, index, weight, grad, state):
        # (no _start: AdaDelta reads no learning rate, so it never calls the scheduler)
        w, g = _check_pair(self, index, weight, grad)
        wd = self._get_wd(index)
        self._update_count(index)
        s = self._rescaled(w, g, self._python_clip())
        acc_g, acc_delta = state[0]._data, state[1]._data
        tmp = self._buf(1, w)
        _ema_square(acc_g, s, self.rho, tmp)
        # delta into s
        np.add(acc_delta, self.epsilon, out=tmp)
        np.sqrt(tmp, out=tmp)
        s *= tmp
        np.add(acc_g, self.epsilon, out=tmp)
        np.sqrt(tmp, out=tmp)
        s /= tmp
        _ema_square(acc_delta, s, self.rho, tmp)
        _add_decay(s, w, wd, tmp)
        w -= s


@register
class RMSProp(Optimizer):
    """RMSProp: Tieleman & Hinton's (``centered=False``) or Graves's (``centered=True``).

    With ``g = clip(rescale_grad * grad + wd * weight)``, non-centered::

        n = (1 - gamma1) * g**2 + gamma1 * n
        weight -= lr * g / sqrt(n + epsilon)

    centered::

        n = (1 - gamma1) * g**2 + gamma1 * n
        m = (1 - gamma1) * g + gamma1 * m
        delta = gamma2 * delta - lr * g / sqrt(n - m**2 + epsilon)
        weight += delta

    then, if `clip_weights`, the weight is clipped into ``[-clip_weights, clip_weights]``.

    Parameters
    ----------
    learning_rate : float, default 0.001
    gamma1 : float, default 0.9
        Decay of the moving averages.
    gamma2 : float, default 0.9
        Momentum of the centered version.
    epsilon : float, default 1e-8
    centered : bool, default False
    clip_weights : float, optional
    **kwargs
        See `Optimizer`.

    Examples
    --------
    >>> import mxlite as mx
    >>> opt = mx.optimizer.RMSProp(learning_rate=0.01)
    >>> w = mx.nd.array([1.0]); s = opt.create_state(0, w)
    >>> opt.update(0, w, mx.nd.array([1.0]), s)
    >>> round(float(w.asscalar()), 4)
    0.9684
    """

    def __init__(self, learning_rate=0.001, gamma1=0.9, gamma2=0.9, epsilon=1e-8,
                 centered=False, clip_weights=None, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.gamma1 = gamma1
        self.gamma2 = gamma2
        self.centered = centered
        self.epsilon = epsilon
        self.clip_weights = clip_weights

    def create_state(self, index, weight):
        if self.centered:
            return _zero_states(weight, 3)   # n, g, delta
        return _zero_states(weight, 1)   # n

    def update(self, index, weight, grad, state):
        w, g, lr, wd = self._start(index, weight, grad)
        s = self._rescaled(w, g, self._kernel_clip(), wd)
        g1 = self.gamma1
        n = state[0]._data
        tmp = self._buf(1, w)
        _ema_square(n, s, g1, tmp)
        if not self.centered:
            np.add(n, self.epsilon, out=tmp)
            np.sqrt(tmp, out=tmp)
            s /= tmp
            s *= lr
            w -= s
        else:
            mean, delta = state[1]._data, state[2]._data
            _ema(mean, s, g1, tmp)
            np.square(mean, out=tmp)
            np.subtract(n, tmp, out=tmp)
            tmp += self.epsilon
            np.sqrt(tmp, out=tmp)
            s /= tmp
            s *= lr
            delta *= self.gamma2
            delta -= s
            w += delta
        cw = self.clip_weights
        if cw and cw >= 0:
            np.clip(w, -cw, cw, out=w)


@register
class FTML(Optimizer):
    """Follow the Moving Leader.

    With ``g = clip(rescale_grad * grad + wd * weight)`` at step ``t``::

        v   = beta2 * v + (1 - beta2) * g**2
        d_t = (1 - beta1**t) / lr * (sqrt(v / (1 - beta2**t)) + epsilon)
        z   = beta1 * z + (1 - beta1) * g - (d_t - beta1 * d) * weight
        d   = d_t
        weight = -z / d_t

    Parameters
    ----------
    beta1 : float, default 0.6
    beta2 : float, default 0.999
    epsilon : float, default 1e-8
    **kwargs
        See `Optimizer`.

    Examples
    --------
    >>> import mxlite as mx
    >>> opt = mx.optimizer.FTML(learning_rate=0.1)
    >>> w = mx.nd.array([1.0]); s = opt.create_state(0, w)
    >>> opt.update(0, w, mx.nd.array([1.0]), s)
    >>> round(float(w.asscalar()), 3)
    0.9
    """

    def __init__(self, beta1=0.6, beta2=0.999, epsilon=1e-8, **kwargs):
        super().__init__(**kwargs)
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon

    def create_state(self, index, weight):
        return _zero_states(weight, 3)   # d, v, z

    def update(self, index, weight, grad, state):
        w, g, lr, wd = self._start(index, weight, grad)
        t = self._index_update_count[index]
        s = self._rescaled(w, g, self._kernel_clip(), wd)
        b1, b2 = self.beta1, self.beta2
        d, v, z = state[0]._data, state[1]._data, state[2]._data
        tmp = self._buf(1, w)
        _ema_square(v, s, b2, tmp)
        np.multiply(v, 1. / (1. - b2 ** t), out=tmp)
        np.sqrt(tmp, out=tmp)
        tmp += self.epsilon
        tmp *= (1. - b1 ** t) / lr          # tmp = d_t
        _ema(z, s, b1, s)
        d *= b1
        np.subtract(tmp, d, out=s)
        s *= w
        z -= s
        d[...] = tmp
        np.divide(z, tmp, out=w)
        np.negative(w, out=w)


@register
class Ftrl(Optimizer):
    """FTRL-proximal.

    With ``g = clip(rescale_grad * grad)``::

        z += g - (sqrt(n + g**2) - sqrt(n)) * weight / lr
        n += g**2
        weight = (sign(z) * lamda1 - z) / ((beta + sqrt(n)) / lr + wd) * (abs(z) > lamda1)

    Parameters
    ----------
    lamda1 : float, default 0.01
        L1 regularisation.
    learning_rate : float, default 0.1
    beta : float, default 1
    **kwargs
        See `Optimizer`.

    Examples
    --------
    >>> import mxlite as mx
    >>> opt = mx.optimizer.Ftrl()
    >>> w = mx.nd.array([0.0, 0.0]); s = opt.create_state(0, w)
    >>> opt.update(0, w, mx.nd.array([1.0, 0.001]), s)
    >>> w.asnumpy().round(4)
    array([-0.0495,  0.    ], dtype=float32)
    """

    def __init__(self, lamda1=0.01, learning_rate=0.1, beta=1, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.lamda1 = lamda1
        self.beta = beta

    def create_state(self, index, weight):
        return _zero_states(weight, 2)   # z, n

    def update(self, index, weight, grad, state):
        w, g, lr, wd = self._start(index, weight, grad)
        s = self._rescaled(w, g, self._kernel_clip())
        z, n = state[0]._data, state[1]._data
        old = self._buf(1, w)
        new = self._buf(2, w)
        np.sqrt(n, out=old)
        np.square(s, out=new)
        n += new
        np.sqrt(n, out=new)
        np.subtract(new, old, out=old)
        old *= w
        old /= lr
        z += s
        z -= old
        # weight from z and sqrt(n) (in `new`)
        new += self.beta
        new /= lr
        if wd:
            new += wd
        np.sign(z, out=s)
        s *= self.lamda1
        s -= z
        s /= new
        np.abs(z, out=old)
        keep = self._buf(3, w, dtype=bool)
        np.greater(old, self.lamda1, out=keep)
        np.multiply(s, keep, out=w)


FTRL = Ftrl


@register
class LAMB(Optimizer):
    """LAMB: layer-wise adaptive moments for large batches.

    With ``g = clip(rescale_grad * grad)`` at step ``t``::

        m = beta1 * m + (1 - beta1) * g;   v = beta2 * v + (1 - beta2) * g**2
        r = m_hat / (sqrt(v_hat) + epsilon) + wd * weight
            (m_hat, v_hat bias-corrected when bias_correction, else m, v)
        r1 = ||weight|| clamped to [lower_bound, upper_bound] when given;  r2 = ||r||
        weight -= lr * (r1 / r2 if r1 > 0 and r2 > 0 else 1) * r

    Parameters
    ----------
    learning_rate : float, default 0.001
    beta1 : float, default 0.9
    beta2 : float, default 0.999
    epsilon : float, default 1e-6
    lower_bound, upper_bound : float, optional
        Bounds of the weight norm used in the trust ratio.
    bias_correction : bool, default True
    **kwargs
        See `Optimizer`.

    Examples
    --------
    >>> import mxlite as mx
    >>> opt = mx.optimizer.LAMB(learning_rate=0.1)
    >>> w = mx.nd.array([3.0, 4.0]); s = opt.create_state(0, w)
    >>> opt.update(0, w, mx.nd.array([1.0, 1.0]), s)
    >>> w.asnumpy().round(4)
    array([2.6464, 3.6464], dtype=float32)
    """

    def __init__(self, learning_rate=0.001, beta1=0.9, beta2=0.999, epsilon=1e-6,
                 lower_bound=None, upper_bound=None, bias_correction=True, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.lower_bound = lower_bound
        self.upper_bound = upper_bound
        self.bias_correction = bias_correction

    def create_state(self, index, weight):
        return _zero_states(weight, 2)   # mean, variance

    def update(self, index, weight, grad, state):
        w, g, lr, wd = self._start(index, weight, grad)
        t = self._index_update_count[index]
        s = self._rescaled(w, g, self._kernel_clip())
        b1, b2 = self.beta1, self.beta2
        m, v = state[0]._data, state[1]._data
        tmp = self._buf(1, w)
        _ema(m, s, b1, tmp)
        _ema_square(v, s, b2, s)   # s is not needed after this
        mean_scale, var_scale = 1., 1.
        if self.bias_correction:
            mean_scale, var_scale = 1. / (1. - b1 ** t), 1. / (1. - b2 ** t)
        np.multiply(v, var_scale, out=tmp)
        np.sqrt(tmp, out=tmp)
        tmp += self.epsilon
        np.multiply(m, mean_scale, out=s)
        s /= tmp
        _add_decay(s, w, wd, tmp)
        r1 = float(np.sqrt(np.vdot(w, w)))
        r2 = float(np.sqrt(np.vdot(s, s)))
        if self.lower_bound is not None and self.lower_bound >= 0:
            r1 = max(r1, self.lower_bound)
        if self.upper_bound is not None and self.upper_bound >= 0:
            r1 = min(r1, self.upper_bound)
        if r1 != 0 and r2 != 0:
            lr *= r1 / r2
        s *= lr
        w -= s
