"""The Optimizer base class, the registry (`register`, `create`) and the in-place kernel helpers.

Every built-in optimizer updates the weight's own buffer (``weight._data``) in place with
NumPy ``out=`` arithmetic. The few intermediates an update needs live in scratch buffers
owned by the optimizer and reused for every parameter and every step, so a training step
allocates no per-parameter temporaries.

Attribute names follow MXNet 1.9.1's Optimizer (``lr``, ``wd``, ``lr_mult``, ``wd_mult``,
``idx2name``, ``sym_info``, ``_index_update_count`` ...) so that optimizers pickled by MXNet
(``.states`` files saved with ``dump_optimizer=True``) load here and the other way round.
"""
import warnings

import numpy as np

from ..base import MXNetError, did_you_mean
from ..ndarray.ndarray import NDArray, zeros

__all__ = ['Optimizer', 'register', 'create', 'Test']


class UnknownOptimizerError(MXNetError, ValueError):
    """`create` was given a name that no registered optimizer has."""


class Optimizer:
    """The base class of all optimizers.

    Parameters
    ----------
    rescale_grad : float, default 1.0
        Gradients are multiplied by this before use; `Module` sets ``1/batch_size``.
    param_idx2name : dict of int to str, optional
        Names of the parameters by update index. When given, parameters whose names do not
        end in ``_weight`` or ``_gamma`` (biases, BatchNorm betas) get no weight decay, as in
        MXNet.
    wd : float, default 0.0
        L2 weight decay coefficient.
    clip_gradient : float, optional
        Clip the (rescaled) gradient into ``[-clip_gradient, clip_gradient]``.
    learning_rate : float, optional
        Initial learning rate; 0.01 when neither it nor `lr_scheduler` is given. If both
        are given, the scheduler's ``base_lr`` is overwritten with it (with a warning).
    lr_scheduler : LRScheduler, optional
        Schedule called with the update count to give the learning rate.
    sym : Symbol, optional
        The network; its variables' ``__lr_mult__``/``__wd_mult__`` attributes set the
        per-parameter multipliers.
    begin_num_update : int, default 0
        Update count to start from (when resuming training).
    multi_precision : bool, default False
        Keep a float32 master copy of float16 weights and update that.
    param_dict : dict of int to Parameter, optional
        Gluon parameters by index; their ``lr_mult``/``wd_mult`` take precedence.

    Examples
    --------
    >>> import mxlite as mx
    >>> @mx.optimizer.register
    ... class PlainSGD(mx.optimizer.Optimizer):
    ...     def update(self, index, weight, grad, state):
    ...         self._update_count(index)
    ...         weight[:] -= self._get_lr(index) * self.rescale_grad * grad
    >>> opt = mx.optimizer.create('plainsgd', learning_rate=0.5)
    >>> w, g = mx.nd.array([1.0, 2.0]), mx.nd.array([1.0, 1.0])
    >>> opt.update(0, w, g, opt.create_state(0, w))
    >>> w.asnumpy()
    array([0.5, 1.5], dtype=float32)
    """

    opt_registry = {}

    def __init__(self, rescale_grad=1., param_idx2name=None, wd=0., clip_gradient=None,
                 learning_rate=None, lr_scheduler=None, sym=None, begin_num_update=0,
                 multi_precision=False, param_dict=None):
        self.rescale_grad = rescale_grad
        self.lr_scheduler = lr_scheduler
        if lr_scheduler is None and learning_rate is None:
            learning_rate = 0.01
        self.lr = learning_rate
        if lr_scheduler is not None and learning_rate is not None:
            if lr_scheduler.base_lr != learning_rate:
                warnings.warn('learning rate from ``lr_scheduler`` has been overwritten by '
                              '``learning_rate`` in optimizer.', UserWarning, stacklevel=3)
                lr_scheduler.base_lr = learning_rate
        self.wd = wd
        self.lr_mult = {}
        self.wd_mult = {}
        self.begin_num_update = begin_num_update
        self.num_update = begin_num_update
        # update counts per device, so several devices updating the same index count once
        self._all_index_update_counts = {0: {}}
        self._index_update_count = self._all_index_update_counts[0]
        self.clip_gradient = clip_gradient
        self.multi_precision = multi_precision
        self.aggregate_num = 0
        if param_idx2name is None:
            param_idx2name = {}
        if not isinstance(param_idx2name, dict):
            raise TypeError('param_idx2name should be a dict of param indexes to names, got %s'
                            % type(param_idx2name).__name__)
        self.idx2name = param_idx2name.copy()
        self.sym_info = (sym.attr_dict(), sym.list_arguments()) if sym is not None else ()
        self.param_dict = param_dict if param_dict else {}
        self.allow_np_array = False
        self.set_lr_mult({})
        self.set_wd_mult({})

    # ------------------------------------------------------------------ registry
    @staticmethod
    def register(klass):
        """Register an Optimizer subclass under its lower-cased class name."""
        if not isinstance(klass, type):
            raise TypeError('register expects a class, got %r' % (klass,))
        name = klass.__name__.lower()
        old = Optimizer.opt_registry.get(name)
        if old is not None and old is not klass:
            warnings.warn('WARNING: New optimizer %s.%s is overriding existing optimizer %s.%s'
                          % (klass.__module__, klass.__name__, old.__module__, old.__name__),
                          stacklevel=2)
        Optimizer.opt_registry[name] = klass
        return klass

    @staticmethod
    def create_optimizer(name, **kwargs):
        """Instantiate the optimizer registered as `name` (case-insensitive)."""
        if not isinstance(name, str):
            raise TypeError('optimizer name must be a str, got %r' % (name,))
        klass = Optimizer.opt_registry.get(name.lower())
        if klass is None:
            raise UnknownOptimizerError('Cannot find optimizer %s%s' % (
                name, did_you_mean(name.lower(), Optimizer.opt_registry)))
        return klass(**kwargs)

    # ------------------------------------------------------------------ learning rate
    @property
    def learning_rate(self):
        """The current learning rate (from the scheduler when there is one)."""
        if self.lr_scheduler is not None:
            return self.lr_scheduler(self.num_update)
        return self.lr

    def set_learning_rate(self, lr):
        """Set the learning rate; not allowed when an lr_scheduler drives it."""
        if self.lr_scheduler is not None:
            raise UserWarning('LRScheduler of the optimizer has already been defined. Note '
                              'that set_learning_rate can mutate the value of the learning '
                              'rate of the optimizer only when the LRScheduler of the '
                              'optimizer is undefined.')
        self.lr = lr

    def set_lr_scale(self, args_lrscale):  # pylint: disable=unused-argument
        """[Deprecated] Use `set_lr_mult`."""
        raise DeprecationWarning('set_lr_scale is deprecated; use set_lr_mult')

    def set_lr_mult(self, args_lr_mult):
        """Set per-parameter learning-rate multipliers (by name or index).

        Multipliers from the symbol's ``__lr_mult__`` attributes come first; entries of
        `args_lr_mult` override them.
        """
        self.lr_mult = {}
        for name, value in self._sym_mults('__lr_mult__'):
            self.lr_mult[name] = value
        self.lr_mult.update(args_lr_mult)

    def set_wd_mult(self, args_wd_mult):
        """Set per-parameter weight-decay multipliers (by name or index).

        Names from `param_idx2name` that end neither in ``_weight`` nor ``_gamma`` get 0;
        then the symbol's ``__wd_mult__`` attributes; then `args_wd_mult`.
        """
        self.wd_mult = {}
        for name in self.idx2name.values():
            if not (name.endswith('_weight') or name.endswith('_gamma')):
                self.wd_mult[name] = 0.0
        for name, value in self._sym_mults('__wd_mult__'):
            self.wd_mult[name] = value
        self.wd_mult.update(args_wd_mult)

    def _sym_mults(self, key):
        if not self.sym_info:
            return []
        attr, arg_names = self.sym_info
        return [(name, float(attr[name][key])) for name in arg_names
                if name in attr and key in attr[name]]

    def _set_current_context(self, device_id):
        """Count updates separately for each device (see `_update_count`)."""
        if device_id not in self._all_index_update_counts:
            self._all_index_update_counts[device_id] = {}
        self._index_update_count = self._all_index_update_counts[device_id]

    def _update_count(self, index):
        """Count one more update of `index` (or of each index of a list)."""
        for idx in index if isinstance(index, (list, tuple)) else (index,):
            count = self._index_update_count.get(idx, self.begin_num_update) + 1
            self._index_update_count[idx] = count
            self.num_update = max(count, self.num_update)

    def _get_lrs(self, indices):
        lr = self.lr_scheduler(self.num_update) if self.lr_scheduler is not None else self.lr
        return [lr * self._mult(index, self.lr_mult, 'lr_mult') for index in indices]

    def _get_lr(self, index):
        """The learning rate of parameter `index` (scheduler x multiplier)."""
        return self._get_lrs([index])[0]

    def _get_wds(self, indices):
        return [self.wd * self._mult(index, self.wd_mult, 'wd_mult') for index in indices]

    def _get_wd(self, index):
        """The weight decay of parameter `index` (wd x multiplier)."""
        return self._get_wds([index])[0]

    def _mult(self, index, table, attr):
        # gluon Parameter first, then the index itself, then its name
        if index in self.param_dict:
            return getattr(self.param_dict[index], attr)
        if index in table:
            return table[index]
        if index in self.idx2name:
            return table.get(self.idx2name[index], 1.0)
        return 1.0

    # ------------------------------------------------------------------ states and updates
    def create_state(self, index, weight):
        """The optimizer state of one weight (None when the method keeps none)."""
        return None

    def create_state_multi_precision(self, index, weight):
        """`create_state`, plus a float32 master copy for float16 weights if asked for.

        Returns ``(weight32, state)`` when `multi_precision` is on and the weight is
        float16, else ``create_state(index, weight)``.
        """
        if self.multi_precision and weight.dtype == np.float16:
            master = weight.astype(np.float32)
            return (master, self.create_state(index, master))
        if weight.dtype == np.float16 and not self.multi_precision:
            warnings.warn('Accumulating with float16 in optimizer can lead to poor accuracy '
                          'or slow convergence. Consider using multi_precision=True option '
                          'of the optimizer', stacklevel=2)
        return self.create_state(index, weight)

    def update(self, index, weight, grad, state):
        """Update `weight` in place from `grad` and `state` (subclasses define it)."""
        raise NotImplementedError('%s does not define update()' % type(self).__name__)

    def update_multi_precision(self, index, weight, grad, state):
        """`update`, going through the float32 master copy for float16 weights."""
        if isinstance(index, (list, tuple)):
            for i, w, g, s in zip(index, weight, grad, state):
                self.update_multi_precision(i, w, g, s)
            return
        if self.multi_precision and weight.dtype == np.float16:
            master, inner = state
            self.update(index, master, grad.astype(np.float32), inner)
            weight._data[...] = master._data
        else:
            self.update(index, weight, grad, state)

    # ------------------------------------------------------------------ pickling
    def __getstate__(self):
        state = self.__dict__.copy()
        state.pop('param_dict', None)   # gluon Parameters are re-attached by the Trainer
        state.pop('_scratch', None)     # reusable buffers, not state
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)
        self.param_dict = {}
        # pickles from older MXNet versions lack the per-device counters
        if '_all_index_update_counts' not in state:
            self._all_index_update_counts = {0: state.get('_index_update_count', {})}
            self._index_update_count = self._all_index_update_counts[0]

    # ------------------------------------------------------------------ kernel helpers
    def _buf(self, slot, like, dtype=None):
        """A scratch array shaped like `like`, reused across parameters and steps."""
        scratch = self.__dict__.get('_scratch')
        if scratch is None:
            scratch = self.__dict__['_scratch'] = {}
        dtype = like.dtype if dtype is None else np.dtype(dtype)
        key = (slot, dtype, type(like))
        flat = scratch.get(key)
        if flat is None or flat.size < like.size:
            xp = np if isinstance(like, np.ndarray) else _array_module(like)
            flat = scratch[key] = xp.empty(max(like.size, 1), dtype=dtype)
        return flat[:like.size].reshape(like.shape)

    def _kernel_clip(self):
        """Clip bound as MXNet's fused update kernels see it (off for None, 0, < 0)."""
        c = self.clip_gradient
        return float(c) if c and c >= 0 else None

    def _python_clip(self):
        """Clip bound of the optimizers MXNet writes in Python (off only for None)."""
        return None if self.clip_gradient is None else float(self.clip_gradient)

    def _start(self, index, weight, grad):
        """The start every update shares: ``(w, g, lr, wd)``.

        Checks the arguments (so a bad call fails before anything is counted or written),
        counts the update, and returns the weight's and gradient's buffers with this
        parameter's learning rate (read after counting, so a scheduler sees the new count)
        and weight decay.
        """
        w, g = _check_pair(self, index, weight, grad)
        self._update_count(index)
        return w, g, self._get_lr(index), self._get_wd(index)

    def _rescaled(self, w, g, clip=None, wd=0.0):
        """rescale_grad * g (+ wd * w), clipped to `clip`, in scratch slot 0 (uses slot 1)."""
        s = self._buf(0, w)
        np.multiply(g, self.rescale_grad, out=s)
        if wd:
            _add_decay(s, w, wd, self._buf(1, w))
        if clip is not None:
            np.clip(s, -clip, clip, out=s)
        return s


# In-place building blocks of the update kernels; `tmp` is a scratch array shaped like the
# weight (it may be `x` itself when `x` is not needed afterwards).
def _add_decay(s, w, wd, tmp):
    """s += wd * w (nothing when wd is 0)."""
    if wd:
        np.multiply(w, wd, out=tmp)
        s += tmp


def _ema(avg, x, decay, tmp):
    """avg = decay * avg + (1 - decay) * x."""
    avg *= decay
    np.multiply(x, 1. - decay, out=tmp)
    avg += tmp


def _ema_square(avg, x, decay, tmp):
    """avg = decay * avg + (1 - decay) * x**2."""
    np.square(x, out=tmp)
    tmp *= 1. - decay
    avg *= decay
    avg += tmp


def _zero_states(weight, count):
    """`count` zero arrays like `weight` (moment estimates start at zero)."""
    return tuple(_zeros_like(weight) for _ in range(count))


def _array_module(arr):
    from ..backend import array_module
    return array_module(arr)


def _check_pair(opt, index, weight, grad):
    if not isinstance(weight, NDArray) or not isinstance(grad, NDArray):
        raise TypeError('%s.update(index=%r): weight and grad must be NDArrays, got %s and %s'
                        % (type(opt).__name__, index, type(weight).__name__,
                           type(grad).__name__))
    if weight.shape != grad.shape:
        raise MXNetError('%s.update(index=%r): weight has shape %s but grad has shape %s'
                         % (type(opt).__name__, index, weight.shape, grad.shape))
    return weight._data, grad._data


def _zeros_like(weight, dtype=None):
    return zeros(weight.shape, weight.context, dtype=weight.dtype if dtype is None else dtype)


# convenience aliases, as in MXNet
register = Optimizer.register
create = Optimizer.create_optimizer


@register
class Test(Optimizer):
    """A trivial optimizer for tests: ``weight += rescale_grad * grad``; state = weight.

    Examples
    --------
    >>> import mxlite as mx
    >>> opt = mx.optimizer.Test(rescale_grad=2.0)
    >>> w = mx.nd.zeros((2,)); s = opt.create_state(0, w)
    >>> opt.update(0, w, mx.nd.ones((2,)), s)
    >>> s.asnumpy()
    array([2., 2.], dtype=float32)
    """

    def create_state(self, index, weight):
        return zeros(weight.shape, weight.context)

    def update(self, index, weight, grad, state):
        w, g = _check_pair(self, index, weight, grad)
        w += self._rescaled(w, g)
        state._data[...] = w
