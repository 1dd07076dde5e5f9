"""mx.sym.linalg: linear algebra on Symbols (batched over leading axes).

Each function is the ``_linalg_<name>`` operator under its short name, as in MXNet 1.x:
``gemm``, ``gemm2``, ``potrf``, ``syrk``, ``sumlogdiag``, ``inverse``, ``det``,
``slogdet``, ``extractdiag``, ``makediag`` (and any other ``_linalg_*`` operator that is
registered). Matrices are the last two axes; leading axes are a batch.

Examples
--------
>>> import mxlite as mx
>>> a, b = mx.sym.var('a'), mx.sym.var('b')
>>> c = mx.sym.linalg.gemm2(a, b, transpose_b=True)
>>> c.infer_shape(a=(4, 2, 3), b=(4, 5, 3))[1]
[(4, 2, 5)]
"""
import sys as _sys

from .._namespace import populate_prefixed as _populate_prefixed
from .register import make_function as _make_function

PREFIX = '_linalg_'


__all__ = _populate_prefixed(_sys.modules[__name__], _make_function, PREFIX)
