"""``mx.optimizer.optimizer``: MXNet 1.x kept every optimizer in this module; same names here."""
from .base import Optimizer, Test, create, register  # noqa: F401
from .sgd import DCASGD, NAG, SGD, SGLD, Signum, ccSGD  # noqa: F401
from .adaptive import (FTML, FTRL, LAMB, AdaDelta, AdaGrad, Adam, Adamax, Ftrl,  # noqa: F401
                       Nadam, RMSProp)
from .lars import LARS  # noqa: F401
from .updater import Updater, get_updater  # noqa: F401
