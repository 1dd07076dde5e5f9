"""SGD and its relatives: SGD (momentum), NAG, Signum/signSGD, SGLD, DCASGD.

Formulas are MXNet 1.9.1's update kernels (``sgd_update``, ``sgd_mom_update``,
``nag_mom_update``, ``signum_update``...), where the gradient is rescaled *before* it is
clipped: ``g = clip(rescale_grad * grad, clip_gradient)``. Everything is written into the
weight and state buffers in place.
"""
import math

import numpy as np

from .base import Optimizer, _add_decay, _zeros_like, register

__all__ = ['SGD', 'ccSGD', 'NAG', 'Signum', 'SGLD', 'DCASGD']


def _lr_step(opt, w, g, lr):
    """lr * clip(rescale_grad * g) in scratch slot 0 (one multiply when not clipping)."""
    clip = opt._kernel_clip()
    s = opt._buf(0, w)
    if clip is None:
        np.multiply(g, lr * opt.rescale_grad, out=s)
    else:
        np.multiply(g, opt.rescale_grad, out=s)
        np.clip(s, -clip, clip, out=s)
        s *= lr
    return s


def _sgd_plain(opt, w, g, lr, wd):
    """weight = (1 - lr*wd) * weight - lr * clip(rescale_grad * grad)."""
    s = _lr_step(opt, w, g, lr)
    if wd:
        w *= 1.0 - lr * wd
    w -= s


class _MomentumOptimizer(Optimizer):
    """SGD, NAG and Signum: one momentum array per weight, or none when momentum is 0."""

    def create_state(self, index, weight):
        if self.momentum != 0.0:
            return _zeros_like(weight)
        return None


class _MasterCopyMixin:
    """SGD and NAG keep (state, weight32) for float16 weights: MXNet's order for them."""

    def create_state_multi_precision(self, index, weight):
        if self.multi_precision and weight.dtype == np.float16:
            master = weight.astype(np.float32)
            return (self.create_state(index, master), master)
        return Optimizer.create_state_multi_precision(self, index, weight)

    def update_multi_precision(self, index, weight, grad, state):
        if isinstance(index, (list, tuple)):
            for i, w, g, s in zip(index, weight, grad, state):
                self.update_multi_precision(i, w, g, s)
            return
        if self.multi_precision and weight.dtype == np.float16 and isinstance(state, tuple):
            inner, master = state
            # the gradient in float32 first, as MXNet's mp kernels read it (a float16
            # gradient made the step's products float16: one ulp off)
            self.update(index, master, grad.astype(np.float32), inner)
            weight._data[...] = master._data
        else:
            self.update(index, weight, grad, state)


@register
class SGD(_MasterCopyMixin, _MomentumOptimizer):
    """Stochastic gradient descent with momentum and weight decay.

    With ``g = clip(rescale_grad * grad, clip_gradient)``::

        state  = momentum * state - lr * (g + wd * weight)
        weight = weight + state

    and without momentum ``weight = weight - lr * (g + wd * weight)``.

    Parameters
    ----------
    momentum : float, default 0.0
        Momentum; 0 keeps no state.
    lazy_update : bool, default True
        Only affects row_sparse gradients in MXNet; gradients here are dense, so the
        update is always the standard one.
    multi_precision : bool, default False
        Update a float32 master copy of float16 weights.
    **kwargs
        See `Optimizer` (learning_rate defaults to 0.01).

    Examples
    --------
    >>> import mxlite as mx
    >>> opt = mx.optimizer.SGD(learning_rate=0.1, momentum=0.9)
    >>> w = mx.nd.array([1.0, -1.0]); state = opt.create_state(0, w)
    >>> opt.update(0, w, mx.nd.array([1.0, 1.0]), state)
    >>> w.asnumpy()
    array([ 0.9, -1.1], dtype=float32)
    """

    def __init__(self, momentum=0.0, lazy_update=True, **kwargs):
        super().__init__(**kwargs)
        self.momentum = momentum
        self.lazy_update = lazy_update
        self.aggregate_num = 4

    def update(self, index, weight, grad, state):
        if isinstance(index, (list, tuple)):
            for i, w, g, s in zip(index, weight, grad, state):
                self.update(i, w, g, s)
            return
        w, g, lr, wd = self._start(index, weight, grad)
        if state is None:
            _sgd_plain(self, w, g, lr, wd)
            return
        mom = state._data
        momentum = self.momentum if self.momentum > 0 else 0.0
        s = _lr_step(self, w, g, lr)
        mom *= momentum
        mom -= s
        if wd:
            np.multiply(w, lr * wd, out=s)
            mom -= s
        w += mom


@register
class ccSGD(SGD):  # pylint: disable=invalid-name
    """[Deprecated] The same as `SGD`; kept because old scripts name it.

    Examples
    --------
    >>> import mxlite as mx
    >>> type(mx.optimizer.create('ccsgd')).__name__
    'ccSGD'
    """


@register
class NAG(_MasterCopyMixin, _MomentumOptimizer):
    """Nesterov accelerated gradient.

    With ``G = clip(rescale_grad * grad, clip_gradient) + wd * weight``::

        state  = momentum * state - lr * G
        weight = weight + momentum * state - lr * G

    (MXNet 1.9.1's ``nag_mom_update``; without momentum it is plain SGD.)

    Parameters
    ----------
    momentum : float, default 0.0
    multi_precision : bool, default False
    **kwargs
        See `Optimizer`.

    Examples
    --------
    >>> import mxlite as mx
    >>> opt = mx.optimizer.NAG(learning_rate=0.1, momentum=0.5)
    >>> w = mx.nd.array([1.0]); s = opt.create_state(0, w)
    >>> opt.update(0, w, mx.nd.array([1.0]), s)
    >>> round(float(w.asscalar()), 6)
    0.85
    """

    def __init__(self, momentum=0.0, **kwargs):
        super().__init__(**kwargs)
        self.momentum = momentum

    def update(self, index, weight, grad, state):
        w, g, lr, wd = self._start(index, weight, grad)
        if state is None:
            _sgd_plain(self, w, g, lr, wd)
            return
        momentum = self.momentum if self.momentum > 0 else 0.0
        s = self._rescaled(w, g, self._kernel_clip())
        _add_decay(s, w, wd, self._buf(1, w))   # after clipping, as MXNet's kernel does
        mom = state._data
        s *= lr                      # s = lr * G
        mom *= momentum
        mom -= s
        w -= s
        np.multiply(mom, momentum, out=s)
        w += s


@register
class Signum(_MomentumOptimizer):
    """Signum: the sign of a momentum of the gradient (signSGD without momentum).

    With ``g = clip(rescale_grad * grad, clip_gradient)``::

        state  = momentum * state - (1 - momentum) * (g + wd * weight)
        weight = (1 - lr * wd_lh) * weight + lr * sign(state)

    The state holds the *negated* momentum, as MXNet's kernel stores it. Without momentum
    (signSGD): ``weight = (1 - lr * wd) * weight - lr * sign(grad)``.

    Parameters
    ----------
    learning_rate : float, default 0.01
    momentum : float, default 0.9
    wd_lh : float, default 0.0
        Decoupled weight decay, applied outside the sign.
    **kwargs
        See `Optimizer`.

    Examples
    --------
    >>> import mxlite as mx
    >>> opt = mx.optimizer.Signum(learning_rate=0.1)
    >>> w = mx.nd.array([1.0, 1.0]); s = opt.create_state(0, w)
    >>> opt.update(0, w, mx.nd.array([3.0, -0.5]), s)
    >>> w.asnumpy()
    array([0.9, 1.1], dtype=float32)
    """

    def __init__(self, learning_rate=0.01, momentum=0.9, wd_lh=0.0, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.momentum = momentum
        self.wd_lh = wd_lh

    def update(self, index, weight, grad, state):
        w, g, lr, wd = self._start(index, weight, grad)
        if state is None:
            # signSGD: rescale and clip cannot change a sign
            s = self._buf(0, w)
            np.sign(g, out=s)
            s *= lr
            if wd:
                w *= 1.0 - lr * wd
            w -= s
            return
        momentum = self.momentum if self.momentum > 0 else 0.0
        s = self._rescaled(w, g, self._kernel_clip())
        _add_decay(s, w, wd, self._buf(1, w))
        mom = state._data
        s *= 1.0 - momentum
        mom *= momentum
        mom -= s
        np.sign(mom, out=s)
        s *= lr
        if self.wd_lh:
            w *= 1.0 - lr * self.wd_lh
        w += s


@register
class SGLD(Optimizer):
    """Stochastic gradient Langevin dynamics.

    With ``g = clip(rescale_grad * grad, clip_gradient)``::

        weight = weight - lr / 2 * (g + wd * weight) + N(0, sqrt(lr))

    The noise comes from mxlite's random stream of the weight's context
    (`mx.random.seed` makes it reproducible; it cannot equal MXNet's numbers).

    Examples
    --------
    >>> import mxlite as mx
    >>> mx.random.seed(0)
    >>> opt = mx.optimizer.SGLD(learning_rate=1e-6)
    >>> w = mx.nd.zeros((1000,))
    >>> opt.update(0, w, mx.nd.zeros((1000,)), None)
    >>> 0.0005 < float(w.asnumpy().std()) < 0.0015
    True
    """

    def update(self, index, weight, grad, state):
        from ..random import generator
        w, g, lr, wd = self._start(index, weight, grad)
        s = self._rescaled(w, g, self._python_clip())
        _add_decay(s, w, wd, self._buf(1, w))
        s *= -lr / 2
        w += s
        gen = generator(weight.context)
        if isinstance(w, np.ndarray) and w.dtype in (np.float32, np.float64):
            gen.standard_normal(dtype=w.dtype, out=s)
        else:
            s[...] = gen.standard_normal(w.shape)
        s *= math.sqrt(lr)
        w += s


@register
class DCASGD(Optimizer):
    """Delay-compensated asynchronous SGD.

    With ``g = clip(rescale_grad * grad, clip_gradient)`` and ``prev`` the weight before
    the previous update::

        step   = -lr * (g + wd * weight + lamda * g * g * (weight - prev))
        state  = momentum * state + step        (state is step when momentum is 0)
        prev   = weight
        weight = weight + state

    Parameters
    ----------
    momentum : float, default 0.0
    lamda : float, default 0.04
        Scale of the delay compensation.
    **kwargs
        See `Optimizer`.

    Examples
    --------
    >>> import mxlite as mx
    >>> opt = mx.optimizer.DCASGD(learning_rate=0.1)
    >>> w = mx.nd.array([1.0]); s = opt.create_state(0, w)
    >>> opt.update(0, w, mx.nd.array([1.0]), s)
    >>> w.asnumpy()
    array([0.9], dtype=float32)
    """

    def __init__(self, momentum=0.0, lamda=0.04, **kwargs):
        super().__init__(**kwargs)
        self.momentum = momentum
        self.weight_previous = {}
        self.lamda = lamda

    def create_state(self, index, weight):
        mom = None if self.momentum == 0.0 else _zeros_like(weight)
        return (mom, weight.copy())

    def update(self, index, weight, grad, state):
        w, g, lr, wd = self._start(index, weight, grad)
        s = self._rescaled(w, g, self._python_clip())
        mom, prev = state
        t = self._buf(1, w)
        np.subtract(w, prev._data, out=t)
        t *= s
        t *= s
        t *= self.lamda
        t += s
        if wd:
            np.multiply(w, wd, out=s)
            t += s
        t *= -lr
        if mom is not None:
            # (MXNet 1.9.1 tests `if mom:`, which fails for arrays of more than one value)
            mom._data *= self.momentum
            mom._data += t
            t = mom._data
        prev._data[...] = w
        w += t
