"""Learning-rate schedules: ``mx.lr_scheduler``, MXNet 1.9.1's classes and formulas.

A scheduler is a callable ``sched(num_update) -> lr``; an optimizer calls it with its
update count (the largest number of updates applied to any one weight). Schedulers keep
state (``base_lr`` changes as they decay), exactly as MXNet's do, so one instance belongs
to one optimizer.

Quirk kept from MXNet: an optimizer created with both ``learning_rate`` and
``lr_scheduler`` writes its learning rate into ``lr_scheduler.base_lr``. Factor and
MultiFactor schedules decay from that value; Poly and Cosine schedules captured
``base_lr`` when they were built and keep decaying from that original value.
"""
import logging
from math import cos, pi

__all__ = ['LRScheduler', 'FactorScheduler', 'MultiFactorScheduler', 'PolyScheduler',
           'CosineScheduler']


class LRScheduler:
    """Base class of learning-rate schedules, with optional warm-up.

    Parameters
    ----------
    base_lr : float, default 0.01
        The learning rate the schedule starts from (after warm-up).
    warmup_steps : int, default 0
        Number of updates spent warming up before the schedule proper starts.
    warmup_begin_lr : float, default 0
        Learning rate at update 0 of the warm-up.
    warmup_mode : {'linear', 'constant'}, default 'linear'
        'linear' rises in equal steps from `warmup_begin_lr` to `base_lr`;
        'constant' stays at `warmup_begin_lr` for the whole warm-up.

    Examples
    --------
    >>> import mxlite as mx
    >>> class Halve(mx.lr_scheduler.LRScheduler):
    ...     def __call__(self, num_update):
    ...         return self.base_lr / 2
    >>> Halve(base_lr=0.1)(5)
    0.05
    """

    def __init__(self, base_lr=0.01, warmup_steps=0, warmup_begin_lr=0, warmup_mode='linear'):
        self.base_lr = base_lr
        if not isinstance(warmup_steps, int):
            raise TypeError('warmup_steps must be an int, got %r' % (warmup_steps,))
        self.warmup_steps = warmup_steps
        self.warmup_final_lr = base_lr
        self.warmup_begin_lr = warmup_begin_lr
        if self.warmup_begin_lr > self.warmup_final_lr:
            raise ValueError('Base lr has to be higher than warmup_begin_lr')
        if self.warmup_steps < 0:
            raise ValueError('Warmup steps has to be positive or 0')
        if warmup_mode not in ('linear', 'constant'):
            raise ValueError("Supports only linear and constant modes of warmup, got %r"
                             % (warmup_mode,))
        self.warmup_mode = warmup_mode

    def get_warmup_lr(self, num_update):
        """Learning rate during warm-up (`num_update` < `warmup_steps`)."""
        if num_update >= self.warmup_steps:
            raise ValueError('update %d is past the %d warm-up steps'
                             % (num_update, self.warmup_steps))
        if self.warmup_mode == 'linear':
            increase = ((self.warmup_final_lr - self.warmup_begin_lr)
                        * float(num_update) / float(self.warmup_steps))
            return self.warmup_begin_lr + increase
        return self.warmup_begin_lr

    def __call__(self, num_update):
        raise NotImplementedError('an LRScheduler subclass must define __call__')


class FactorScheduler(LRScheduler):
    """Multiply the learning rate by `factor` every `step` updates.

    ``lr = base_lr * factor ** floor((num_update - 1) / step)``, never below
    `stop_factor_lr`.

    Parameters
    ----------
    step : int
        Updates between two reductions (>= 1).
    factor : float, default 1
        Reduction factor (<= 1).
    stop_factor_lr : float, default 1e-8
        The learning rate stops decreasing at this value.
    base_lr, warmup_steps, warmup_begin_lr, warmup_mode
        See `LRScheduler`.

    Examples
    --------
    >>> import mxlite as mx
    >>> s = mx.lr_scheduler.FactorScheduler(step=2, factor=0.5, base_lr=1.0)
    >>> [s(n) for n in (1, 2, 3, 4, 5)]
    [1.0, 1.0, 0.5, 0.5, 0.25]
    """

    def __init__(self, step, factor=1, stop_factor_lr=1e-8, base_lr=0.01, warmup_steps=0,
                 warmup_begin_lr=0, warmup_mode='linear'):
        super().__init__(base_lr, warmup_steps, warmup_begin_lr, warmup_mode)
        if step < 1:
            raise ValueError('Schedule step must be greater or equal than 1 round')
        if factor > 1.0:
            raise ValueError('Factor must be no more than 1 to make lr reduce')
        self.step = step
        self.factor = factor
        self.stop_factor_lr = stop_factor_lr
        self.count = 0

    def __call__(self, num_update):
        if num_update < self.warmup_steps:
            return self.get_warmup_lr(num_update)
        # a loop, not an if: resuming at a late update applies every missed reduction
        while num_update > self.count + self.step:
            self.count += self.step
            self.base_lr *= self.factor
            if self.base_lr < self.stop_factor_lr:
                self.base_lr = self.stop_factor_lr
                logging.info('Update[%d]: now learning rate arrived at %0.5e, will not '
                             'change in the future', num_update, self.base_lr)
            else:
                logging.info('Update[%d]: Change learning rate to %0.5e',
                             num_update, self.base_lr)
        return self.base_lr


class MultiFactorScheduler(LRScheduler):
    """Multiply the learning rate by `factor` once past each update count in `step`.

    Parameters
    ----------
    step : list of int
        Strictly increasing update counts; the rate drops after each one.
    factor : float, default 1
        Reduction factor (<= 1).
    base_lr, warmup_steps, warmup_begin_lr, warmup_mode
        See `LRScheduler`.

    Examples
    --------
    >>> import mxlite as mx
    >>> s = mx.lr_scheduler.MultiFactorScheduler(step=[2, 4], factor=0.1, base_lr=1.0)
    >>> [round(s(n), 6) for n in (1, 2, 3, 4, 5)]
    [1.0, 1.0, 0.1, 0.1, 0.01]
    """

    def __init__(self, step, factor=1, base_lr=0.01, warmup_steps=0, warmup_begin_lr=0,
                 warmup_mode='linear'):
        super().__init__(base_lr, warmup_steps, warmup_begin_lr, warmup_mode)
        if not isinstance(step, list) or not step:
            raise ValueError('step must be a non-empty list of update counts, got %r'
                             % (step,))
        for i, one in enumerate(step):
            if i != 0 and step[i] <= step[i - 1]:
                raise ValueError('Schedule step must be an increasing integer list')
            if one < 1:
                raise ValueError('Schedule step must be greater or equal than 1 round')
        if factor > 1.0:
            raise ValueError('Factor must be no more than 1 to make lr reduce')
        self.step = step
        self.cur_step_ind = 0
        self.factor = factor
        self.count = 0

    def __call__(self, num_update):
        if num_update < self.warmup_steps:
            return self.get_warmup_lr(num_update)
        while self.cur_step_ind < len(self.step):
            if num_update <= self.step[self.cur_step_ind]:
                return self.base_lr
            self.count = self.step[self.cur_step_ind]
            self.cur_step_ind += 1
            self.base_lr *= self.factor
            logging.info('Update[%d]: Change learning rate to %0.5e', num_update, self.base_lr)
        return self.base_lr


class _DecayScheduler(LRScheduler):
    """PolyScheduler and CosineScheduler: from `base_lr` down to `final_lr` over the
    updates between the warm-up and `max_update`, then `final_lr` for good."""

    def _init_decay(self, max_update, base_lr_orig, final_lr):
        if not isinstance(max_update, int):
            raise TypeError('max_update must be an int, got %r' % (max_update,))
        if max_update < 1:
            raise ValueError('maximum number of updates must be strictly positive')
        self.base_lr_orig = base_lr_orig
        self.max_update = max_update
        self.final_lr = final_lr
        self.max_steps = self.max_update - self.warmup_steps

    def _decay(self, n):
        """The fraction of ``base_lr_orig - final_lr`` left `n` updates after warm-up."""
        raise NotImplementedError

    def __call__(self, num_update):
        if num_update < self.warmup_steps:
            return self.get_warmup_lr(num_update)
        if num_update <= self.max_update:
            self.base_lr = (self.final_lr + (self.base_lr_orig - self.final_lr)
                            * self._decay(num_update - self.warmup_steps))
        return self.base_lr


class PolyScheduler(_DecayScheduler):
    """Polynomial decay to `final_lr` over `max_update` updates.

    ``lr = final_lr + (base_lr - final_lr) * (1 - (n - warmup_steps) / (max_update -
    warmup_steps)) ** pwr`` for ``n <= max_update``; afterwards the last value.

    Parameters
    ----------
    max_update : int
        Update count at which the decay reaches `final_lr`.
    base_lr : float, default 0.01
    pwr : float, default 2
        Power of the polynomial.
    final_lr : float, default 0
    warmup_steps, warmup_begin_lr, warmup_mode
        See `LRScheduler`.

    Examples
    --------
    >>> import mxlite as mx
    >>> s = mx.lr_scheduler.PolyScheduler(max_update=4, base_lr=1.0, pwr=1)
    >>> [s(n) for n in (0, 1, 2, 4, 9)]
    [1.0, 0.75, 0.5, 0.0, 0.0]
    """

    def __init__(self, max_update, base_lr=0.01, pwr=2, final_lr=0, warmup_steps=0,
                 warmup_begin_lr=0, warmup_mode='linear'):
        super().__init__(base_lr, warmup_steps, warmup_begin_lr, warmup_mode)
        self.power = pwr
        self._init_decay(max_update, self.base_lr, final_lr)

    def _decay(self, n):
        return pow(1 - float(n) / float(self.max_steps), self.power)


class CosineScheduler(_DecayScheduler):
    """Cosine decay to `final_lr` over `max_update` updates.

    ``lr = final_lr + (base_lr - final_lr) * (1 + cos(pi * (n - warmup_steps) /
    (max_update - warmup_steps))) / 2`` for ``n <= max_update``; afterwards the last value.

    Parameters
    ----------
    max_update : int
        Update count at which the decay reaches `final_lr`.
    base_lr : float, default 0.01
    final_lr : float, default 0
    warmup_steps, warmup_begin_lr, warmup_mode
        See `LRScheduler`.

    Examples
    --------
    >>> import mxlite as mx
    >>> s = mx.lr_scheduler.CosineScheduler(max_update=10, base_lr=1.0)
    >>> [round(s(n), 4) for n in (0, 5, 10, 20)]
    [1.0, 0.5, 0.0, 0.0]
    """

    def __init__(self, max_update, base_lr=0.01, final_lr=0, warmup_steps=0,
                 warmup_begin_lr=0, warmup_mode='linear'):
        super().__init__(base_lr, warmup_steps, warmup_begin_lr, warmup_mode)
        self._init_decay(max_update, base_lr, final_lr)

    def _decay(self, n):
        # (1 + cos) / 2 scales by a power of two, so the result is bit-identical to
        # MXNet's (base_lr_orig - final_lr) * (1 + cos) / 2
        return (1 + cos(pi * n / self.max_steps)) / 2
