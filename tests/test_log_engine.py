"""mx.log and mx.engine (kept so MXNet programs that call them run unchanged)."""
import doctest
import logging

import pytest

import mxlite as mx


@pytest.mark.parametrize('module', ['log', 'engine'])
def test_module_examples(module):
    assert doctest.testmod(getattr(mx, module)).failed == 0


def test_get_logger_writes_glog_style_lines(tmp_path):
    path = tmp_path / 'run.log'
    log = mx.log.get_logger('mxlite-test-file', filename=str(path), level=mx.log.INFO)
    log.info('epoch %d done', 3)
    log.debug('hidden')
    for handler in log.handlers:
        handler.flush()
    text = path.read_text()
    assert 'epoch 3 done' in text and 'hidden' not in text
    assert text.startswith('I') and 'test_log_engine.py:test_get_logger_writes' in text
    # configured once: a second call adds no handler
    assert mx.log.get_logger('mxlite-test-file') is log and len(log.handlers) == 1
    assert mx.log.getLogger('mxlite-test-file') is log
    assert mx.log.WARNING == logging.WARNING


def test_bulk_restores_the_previous_size():
    mx.engine.set_bulk_size(4)
    with mx.engine.bulk(32):
        assert mx.engine.set_bulk_size(32) == 32
    assert mx.engine.set_bulk_size(4) == 4
