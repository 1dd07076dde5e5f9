"""Imperative gradients: record operations on NDArrays, then run backward through them.

This module holds the recording switches used by every imperative call; the tape and the
backward pass live in `mxlite.autograd_tape` (loaded when recording starts).
"""
import threading

__all__ = ['record', 'pause', 'train_mode', 'predict_mode', 'is_recording', 'is_training',
           'set_recording', 'set_training', 'mark_variables', 'backward', 'grad',
           'get_symbol', 'Function']

_state = threading.local()


def is_recording():
    return getattr(_state, 'recording', False)


def is_training():
    return getattr(_state, 'training', False)


def set_recording(is_recording):  # noqa: F811  (MXNet's name)
    prev = globals()['is_recording']()
    _state.recording = bool(is_recording)
    return prev


def set_training(train_mode):
    prev = is_training()
    _state.training = bool(train_mode)
    return prev


class _Scope:
    def __init__(self, recording, training):
        self._enter_rec, self._enter_train = recording, training
        self._prev = None

    def __enter__(self):
        self._prev = (is_recording(), is_training())
        if self._enter_rec is not None:
            set_recording(self._enter_rec)
        if self._enter_train is not None:
            set_training(self._enter_train)
        return self

    def __exit__(self, *exc):
        set_recording(self._prev[0])
        set_training(self._prev[1])


def record(train_mode=True):
    """Scope in which imperative calls are recorded for `backward` (training mode by default).

    Examples
    --------
    >>> import mxlite as mx
    >>> x = mx.nd.array([1., 2.]); x.attach_grad()
    >>> with mx.autograd.record():
    ...     y = x * x
    >>> y.backward(); x.grad.asnumpy()
    array([2., 4.], dtype=float32)
    """
    return _Scope(True, train_mode)


def pause(train_mode=False):
    return _Scope(False, train_mode)


def train_mode():
    return _Scope(None, True)


def predict_mode():
    return _Scope(None, False)


def _tape():
    from . import autograd_tape
    return autograd_tape


def _record(op, p, inputs, outputs, state):
    _tape().record_op(op, p, inputs, outputs, state)


def mark_variables(variables, gradients, grad_reqs='write'):
    return _tape().mark_variables(variables, gradients, grad_reqs)


def backward(heads, head_grads=None, retain_graph=False, train_mode=True):
    return _tape().backward(heads, head_grads, retain_graph, train_mode)


def grad(heads, variables, head_grads=None, retain_graph=None, create_graph=False,
         train_mode=True):
    return _tape().grad(heads, variables, head_grads, retain_graph, create_graph, train_mode)


def get_symbol(x):
    return _tape().get_symbol(x)


def __getattr__(name):
    if name == 'Function':
        return _tape().Function
    raise AttributeError(name)
