"""MNIST accuracies MXNet 1.9.1 reaches with the same settings (batch 100, momentum 0.9),
on ../shared/datasets/mnist (the real test set, the first 22,699 training images).
Slow (about a minute); deselect with -m 'not slow'."""
import importlib.util
import pathlib

import pytest

import mxlite as mx

EXAMPLE = pathlib.Path(__file__).resolve().parent.parent / 'examples' / 'train_mnist.py'


def _train_mnist():
    spec = importlib.util.spec_from_file_location('train_mnist', EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
@pytest.mark.parametrize('argv,minimum', [
    (['--epochs', '10', '--lr', '0.01'], 0.92),                      # MXNet: 0.93
    (['--epochs', '10', '--lr', '0.1', '--xavier'], 0.96),           # MXNet: 0.9675
    (['--network', 'lenet', '--epochs', '4', '--lr', '0.1', '--xavier'], 0.98),  # MXNet: 0.98
], ids=['mlp-default-init', 'mlp-xavier', 'lenet'])
def test_mnist_reaches_mxnet_accuracy(mnist_dir, monkeypatch, argv, minimum):
    monkeypatch.setenv('MXLITE_DATA_DIR', str(mnist_dir.parent))
    mx.random.seed(42)
    accuracy = _train_mnist().main(argv)
    assert accuracy >= minimum
