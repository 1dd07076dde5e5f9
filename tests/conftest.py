"""Test configuration: where the reference files are, and how their absence is handled.

Tests that read ../shared (MXNet 1.9.1 reference files, MNIST) use the `shared` fixture.
In a user's clone without ../shared they skip with the reason; with
MXLITE_REQUIRE_SHARED=1 (set by .ci/run) a missing ../shared is a failure instead.
"""
import os
import pathlib

import numpy as np
import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
SHARED = pathlib.Path(os.environ.get('MXLITE_SHARED_DIR', ROOT.parent / 'shared'))
REFERENCE = SHARED / 'reference' / 'mxnet-1.9.1'
GOLDEN = REFERENCE / 'golden'


def _need(path):
    if path.exists():
        return path
    reason = '%s is absent (the MXNet 1.9.1 reference files live in ../shared)' % path
    if os.environ.get('MXLITE_REQUIRE_SHARED') == '1':
        pytest.fail(reason + '; MXLITE_REQUIRE_SHARED=1 makes this a failure')
    pytest.skip(reason)


@pytest.fixture
def reference():
    """pathlib.Path of ../shared/reference/mxnet-1.9.1."""
    return _need(REFERENCE)


@pytest.fixture
def golden():
    """pathlib.Path of ../shared/reference/mxnet-1.9.1/golden."""
    return _need(GOLDEN)


@pytest.fixture
def mnist_dir():
    return _need(SHARED / 'datasets' / 'mnist')


@pytest.fixture(autouse=True)
def _seed():
    np.random.seed(0)
    yield
