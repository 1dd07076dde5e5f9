"""`mx.AttrScope`: attributes attached to every symbol created inside a `with` block."""
import threading

from .base import MXNetError

__all__ = ['AttrScope']


class AttrScope:
    """Attach string attributes (e.g. ctx_group, lr_mult) to symbols created in the scope.

    Examples
    --------
    >>> import mxlite as mx
    >>> with mx.AttrScope(ctx_group='dev1'):
    ...     x = mx.sym.var('x')
    >>> x.attr('ctx_group')
    'dev1'
    """
    _local = threading.local()

    def __init__(self, **kwargs):
        self._old_scope = None
        for value in kwargs.values():
            if not isinstance(value, str):
                raise MXNetError('AttrScope values must be strings, got %r' % (value,))
        self._attr = kwargs

    def get(self, attr):
        """The scope's attributes merged under `attr` (explicit values win)."""
        if not self._attr:
            return dict(attr) if attr else {}
        merged = dict(self._attr)
        if attr:
            merged.update(attr)
        return merged

    def __enter__(self):
        self._old_scope = AttrScope.current()
        attr = dict(self._old_scope._attr)
        attr.update(self._attr)
        self._attr = attr
        AttrScope._local.current = self
        return self

    def __exit__(self, *exc):
        AttrScope._local.current = self._old_scope

    @staticmethod
    def current():
        cur = getattr(AttrScope._local, 'current', None)
        if cur is None:
            cur = AttrScope._local.current = AttrScope()
        return cur
