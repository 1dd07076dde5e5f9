"""LARS: SGD (with momentum) whose learning rate is scaled layer by layer.

The step itself is MXNet 1.9.1's ``sgd_update`` / ``sgd_mom_update`` (see `SGD`); only the
learning rate of each parameter changes, by the trust ratio of "Large Batch Training of
Convolutional Networks" (You, Gitman and Ginsburg, arXiv:1708.03888).
"""
import math

import numpy as np

from .base import _check_pair, register
from .sgd import _MasterCopyMixin, _MomentumOptimizer, _lr_step, _sgd_plain

__all__ = ['LARS']

# parameters whose names end in these keep the plain learning rate (MXNet's list)
_NO_LARS_SUFFIXES = ('gamma', 'beta', 'bias')


def _norm(x, scale=1.0):
    """L2 norm of a weight or gradient buffer, summed in float32 at least (as MXNet does)."""
    flat = x.reshape(-1)
    if flat.dtype.itemsize < 4:
        flat = flat.astype(np.float32)
    return math.sqrt(float((flat * flat).sum() if not isinstance(flat, np.ndarray)
                           else np.dot(flat, flat))) * scale


@register
class LARS(_MasterCopyMixin, _MomentumOptimizer):
    """Layer-wise adaptive rate scaling: SGD with a learning rate per layer.

    For each parameter with ``w_norm = ||weight||`` and
    ``g_norm = ||rescale_grad * grad||`` (before clipping)::

        if w_norm > 0 and g_norm > 0:
            lr_layer = lr * lr_mult * eta * w_norm / (g_norm + wd * w_norm + eps)
        else:
            lr_layer = lr * lr_mult

    then the `SGD` update runs with ``lr_layer``: with
    ``g = clip(rescale_grad * grad, clip_gradient)``::

        state  = momentum * state - lr_layer * (g + wd * weight)
        weight = weight + state

    (``weight = weight - lr_layer * (g + wd * weight)`` without momentum). Parameters whose
    names end in ``gamma``, ``beta`` or ``bias`` keep ``lr * lr_mult``. Names come from
    `param_idx2name` (`Module` passes them); without a name the index itself, as a
    string, is used. As in MXNet's LARS, weight decay applies only to parameters whose
    names end in ``_weight`` when names are known (unlike other optimizers, not to
    ``_gamma``).

    Parameters
    ----------
    momentum : float, default 0.0
        Momentum; 0 keeps no state.
    lazy_update : bool, default True
        Only affects row_sparse gradients in MXNet; gradients here are dense, so the
        update is always the standard one.
    eta : float, default 0.001
        LARS coefficient: how far the trust ratio scales the learning rate.
    eps : float, default 0
        Added to the denominator of the trust ratio (for tiny gradients).
    momentum_correction : bool, default True
        When the global learning rate changes (an lr_scheduler), scale the momentum by
        ``lr_now / lr_before`` for that update ("Accurate, Large Minibatch SGD", Goyal et
        al., arXiv:1706.02677).
    multi_precision : bool, default False
        Update a float32 master copy of float16 weights.
    **kwargs
        See `Optimizer` (learning_rate defaults to 0.01).

    Notes
    -----
    Momentum correction compares each parameter's global learning rate with the one of
    that parameter's previous update, so every parameter's momentum is corrected once at
    a change of learning rate, as documented. MXNet 1.9.1 keeps a single previous rate for
    the optimizer, so there only the first parameter (or first group of aggregated
    parameters) updated after a change is corrected.

    Examples
    --------
    >>> import mxlite as mx
    >>> opt = mx.optimizer.create('lars', learning_rate=0.1, eta=1.0)
    >>> w = mx.nd.array([3.0, 4.0])          # ||w|| = 5
    >>> g = mx.nd.array([0.6, 0.8])          # ||g|| = 1: lr_layer = 0.1 * 5 / 1
    >>> opt.update(0, w, g, opt.create_state(0, w))
    >>> w.asnumpy().round(4)
    array([2.7, 3.6], dtype=float32)
    """

    def __init__(self, momentum=0.0, lazy_update=True, eta=0.001, eps=0,
                 momentum_correction=True, **kwargs):
        super().__init__(**kwargs)
        self.momentum = momentum
        self.momentum_correction = momentum_correction
        self.lazy_update = lazy_update
        self.aggregate_num = 4
        self.eta = eta
        self.eps = eps
        self.skip = 0          # MXNet's LARS has it (unused); kept for its pickles
        self.last_lr = None    # global learning rate before the latest update
        self.cur_lr = None     # global learning rate of the latest update
        self._last_lrs = {}    # index -> global learning rate of its previous update

    def __getstate__(self):
        state = super().__getstate__()
        state.pop('_last_lrs', None)   # not in MXNet's pickle; cur_lr stands in after load
        return state

    def set_wd_mult(self, args_wd_mult):
        """Set per-parameter weight-decay multipliers (by name or index).

        As `Optimizer.set_wd_mult`, except that only names ending in ``_weight`` keep
        weight decay by default (MXNet's LARS does not decay ``_gamma``).
        """
        self.wd_mult = {}
        for name in self.idx2name.values():
            if not name.endswith('_weight'):
                self.wd_mult[name] = 0.0
        for name, value in self._sym_mults('__wd_mult__'):
            self.wd_mult[name] = value
        self.wd_mult.update(args_wd_mult)

    def _global_lr(self):
        return self.lr_scheduler(self.num_update) if self.lr_scheduler is not None \
            else self.lr

    def _trust_ratio(self, index, w, g, wd):
        """eta * w_norm / (g_norm + wd * w_norm + eps), or 1 (skipped name, zero norm)."""
        name = self.idx2name.get(index, str(index))
        if name.endswith(_NO_LARS_SUFFIXES):
            return 1.0
        w_norm = _norm(w)
        g_norm = _norm(g, abs(self.rescale_grad))
        if w_norm > 0.0 and g_norm > 0.0:
            return self.eta * w_norm / (g_norm + wd * w_norm + self.eps)
        return 1.0

    def _momentum_now(self, index):
        """The momentum of this update, corrected for a change of the global rate."""
        glr = self._global_lr()
        # (a loaded .states file sets the attributes without __init__)
        last_lrs = self.__dict__.setdefault('_last_lrs', {})
        prev = last_lrs.get(index)
        if prev is None:
            prev = glr if self.cur_lr is None else self.cur_lr
        self.last_lr = glr if self.cur_lr is None else self.cur_lr
        self.cur_lr = glr
        last_lrs[index] = glr
        momentum = self.momentum if self.momentum > 0 else 0.0
        if self.momentum_correction and prev != 0:
            momentum *= glr / prev
        return momentum

    def update(self, index, weight, grad, state):
        if isinstance(index, (list, tuple)):
            for i, w, g, s in zip(index, weight, grad, state):
                self.update(i, w, g, s)
            return
        w, g = _check_pair(self, index, weight, grad)
        self._update_count(index)
        lr, wd = self._get_lr(index), self._get_wd(index)
        lr *= self._trust_ratio(index, w, g, wd)
        momentum = self._momentum_now(index)
        if state is None:
            _sgd_plain(self, w, g, lr, wd)
            return
        mom = state._data
        s = _lr_step(self, w, g, lr)
        mom *= momentum
        mom -= s
        if wd:
            np.multiply(w, lr * wd, out=s)
            mom -= s
        w += mom
