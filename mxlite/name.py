"""Automatic names for symbols: `fullyconnected0`, `_plus1`, and `mx.name.Prefix`."""
import threading

__all__ = ['NameManager', 'Prefix']


class NameManager:
    """Gives each unnamed symbol `<hint><counter>`; use as a `with` block to scope counters.

    Examples
    --------
    >>> import mxlite as mx
    >>> with mx.name.NameManager():
    ...     mx.sym.FullyConnected(mx.sym.var('x'), num_hidden=2).name
    'fullyconnected0'
    """
    _local = threading.local()

    def __init__(self):
        self._counter = {}
        self._old_manager = None

    def get(self, name, hint):
        if name:
            return name
        count = self._counter.get(hint, 0)
        self._counter[hint] = count + 1
        return '%s%d' % (hint, count)

    def __enter__(self):
        self._old_manager = NameManager.current()
        NameManager._local.current = self
        return self

    def __exit__(self, *exc):
        NameManager._local.current = self._old_manager

    @staticmethod
    def current():
        cur = getattr(NameManager._local, 'current', None)
        if cur is None:
            cur = NameManager._local.current = NameManager()
        return cur


class Prefix(NameManager):
    """A NameManager that puts `prefix` before every name it gives."""

    def __init__(self, prefix):
        super().__init__()
        self._prefix = prefix

    def get(self, name, hint):
        return self._prefix + super().get(name, hint)
