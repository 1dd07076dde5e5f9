"""mx.engine: MXNet's engine bulking controls. mxlite runs operators synchronously and
already plans a whole graph at bind time, so bulking has nothing to batch; the calls are
kept (with MXNet's return values) so that programs using them run unchanged.

Examples
--------
>>> import mxlite as mx
>>> with mx.engine.bulk(16):
...     y = mx.nd.ones(2) + 1
>>> mx.engine.set_bulk_size(15) >= 0
True
"""
import contextlib

__all__ = ['set_bulk_size', 'bulk']

_BULK_SIZE = [0]


def set_bulk_size(size):
    """Set the bulk size; returns the previous one (no effect on execution here)."""
    previous, _BULK_SIZE[0] = _BULK_SIZE[0], int(size)
    return previous


@contextlib.contextmanager
def bulk(size):
    """Within the block the bulk size is `size`; restored afterwards."""
    previous = set_bulk_size(size)
    try:
        yield
    finally:
        set_bulk_size(previous)
