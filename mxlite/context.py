"""Devices: `mx.cpu()` runs on NumPy, `mx.gpu()` on CuPy when it is installed."""
import threading

from .base import MXNetError

__all__ = ['Context', 'cpu', 'gpu', 'current_context', 'num_gpus', 'cpu_pinned']


class Context:
    """A device and its id; also a `with` block that sets the default context.

    Examples
    --------
    >>> import mxlite as mx
    >>> with mx.Context('cpu', 1):
    ...     mx.nd.zeros((2,)).context
    cpu(1)
    """
    devtype2str = {1: 'cpu', 2: 'gpu', 3: 'cpu_pinned', 5: 'cpu_shared'}
    devstr2type = {v: k for k, v in devtype2str.items()}
    _local = threading.local()

    def __init__(self, device_type, device_id=0):
        if isinstance(device_type, Context):
            device_type, device_id = device_type.device_type, device_type.device_id
        if isinstance(device_type, int):
            device_type = self.devtype2str[device_type]
        if device_type not in self.devstr2type:
            raise MXNetError("unknown device type '%s'; expected one of %s"
                             % (device_type, sorted(self.devstr2type)))
        self.device_type = device_type
        self.device_id = int(device_id)
        self._old_ctx = None

    @property
    def device_typeid(self):
        return self.devstr2type[self.device_type]

    @property
    def xp(self):
        """The array module that holds this context's data."""
        if self.device_type == 'gpu':
            from . import backend
            return backend.cupy()
        import numpy
        return numpy

    def __hash__(self):
        return hash((self.device_type, self.device_id))

    def __eq__(self, other):
        return (isinstance(other, Context) and self.device_type == other.device_type
                and self.device_id == other.device_id)

    def __ne__(self, other):
        return not self == other

    def __repr__(self):
        return '%s(%d)' % (self.device_type, self.device_id)

    __str__ = __repr__

    def __enter__(self):
        self._old_ctx = current_context()
        Context._local.value = self
        return self

    def __exit__(self, *exc):
        Context._local.value = self._old_ctx

    def empty_cache(self):
        """Release cached device memory (a no-op on the CPU)."""


def cpu(device_id=0):
    """The CPU context; several ids may be used for data parallelism."""
    return Context('cpu', device_id)


def cpu_pinned(device_id=0):
    return Context('cpu_pinned', device_id)


def gpu(device_id=0):
    """A GPU context. Fails with a clear message when CuPy or a device is missing."""
    from . import backend
    backend.require_gpu(device_id)
    return Context('gpu', device_id)


def num_gpus():
    from . import backend
    return backend.num_gpus()


def current_context():
    """The context used when none is given (cpu(0) unless a `with` block says otherwise)."""
    ctx = getattr(Context._local, 'value', None)
    return ctx if ctx is not None else Context('cpu', 0)
