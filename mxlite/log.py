"""mx.log: MXNet's logger helper, on the standard logging module.

`get_logger(name, filename=None, filemode=None, level=WARNING)` configures a named logger
once (a stream handler, or a file handler when `filename` is given) and returns it; the
lines read like glog's: ``I1126 22:02:25 1234 file.py:func:12] message`` (colour only
when the stream is a terminal).

Examples
--------
>>> import mxlite as mx
>>> log = mx.log.get_logger('demo', level=mx.log.INFO)
>>> log.level == mx.log.INFO
True
"""
import logging
import sys
from logging import CRITICAL, DEBUG, ERROR, INFO, NOTSET, WARNING  # noqa: F401

__all__ = ['get_logger', 'getLogger', 'CRITICAL', 'DEBUG', 'ERROR', 'INFO', 'NOTSET',
           'WARNING']

_LETTER = {CRITICAL: 'C', ERROR: 'E', WARNING: 'W', INFO: 'I', DEBUG: 'D'}
_COLOUR = {CRITICAL: '\x1b[35m', ERROR: '\x1b[31m', WARNING: '\x1b[33m', INFO: '\x1b[32m',
           DEBUG: '\x1b[34m'}


class _GlogFormatter(logging.Formatter):
    """glog-style lines, as MXNet's formatter writes them."""

    def __init__(self, colour):
        super().__init__('%(message)s')
        self.colour = colour

    def format(self, record):
        head = '%s%s %d %s:%s:%d]' % (
            _LETTER.get(record.levelno, 'U'), self.formatTime(record, '%m%d %H:%M:%S'),
            record.process, record.filename, record.funcName, record.lineno)
        if self.colour:
            head = '%s%s\x1b[0m' % (_COLOUR.get(record.levelno, ''), head)
        return '%s %s' % (head, super().format(record))


def get_logger(name=None, filename=None, filemode=None, level=WARNING):
    """A logger `name` with one handler (set up on the first call for that name)."""
    logger = logging.getLogger(name)
    if name is not None and not getattr(logger, '_mxlite_configured', False):
        logger._mxlite_configured = True
        if filename:
            handler = logging.FileHandler(filename, filemode or 'a')
            handler.setFormatter(_GlogFormatter(False))
        else:
            handler = logging.StreamHandler()
            handler.setFormatter(_GlogFormatter(sys.stderr.isatty()))
        logger.addHandler(handler)
        logger.setLevel(level)
    return logger


def getLogger(name=None, filename=None, filemode=None, level=WARNING):  # noqa: N802
    """Deprecated spelling of `get_logger` (MXNet keeps it too)."""
    return get_logger(name, filename, filemode, level)
