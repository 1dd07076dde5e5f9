"""mx.optimizer: MXNet 1.9.1's optimizers, the registry and the Updater used by KVStore.

Examples
--------
>>> import mxlite as mx
>>> opt = mx.optimizer.create('sgd', learning_rate=0.1, momentum=0.9, wd=1e-4)
>>> updater = mx.optimizer.get_updater(opt)
>>> w, g = mx.nd.ones((2, 2)), mx.nd.ones((2, 2))
>>> updater(0, g, w)
>>> float(w.asnumpy()[0, 0])
0.8999900221824646
"""
from .base import Optimizer, Test, create, register
from .sgd import DCASGD, NAG, SGD, SGLD, Signum, ccSGD
from .adaptive import (FTML, FTRL, LAMB, AdaDelta, AdaGrad, Adam, Adamax, Ftrl, Nadam,
                       RMSProp)
from .lars import LARS
from .updater import Updater, get_updater
from . import optimizer  # noqa: F401  (mx.optimizer.optimizer.X, as in MXNet)

__all__ = ['Optimizer', 'register', 'create', 'Updater', 'get_updater', 'Test', 'SGD',
           'ccSGD', 'NAG', 'Signum', 'SGLD', 'DCASGD', 'Adam', 'AdaGrad', 'AdaDelta',
           'RMSProp', 'Adamax', 'Nadam', 'FTML', 'Ftrl', 'FTRL', 'LAMB', 'LARS']
