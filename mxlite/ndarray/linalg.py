"""mx.nd.linalg: linear algebra on NDArrays (batched over leading axes).

Each function is the ``_linalg_<name>`` operator under its short name, as in MXNet 1.x:
``gemm``, ``gemm2``, ``potrf``, ``syrk``, ``sumlogdiag``, ``inverse``, ``det``,
``slogdet``, ``extractdiag``, ``makediag`` (and any other ``_linalg_*`` operator that is
registered). Matrices are the last two axes; leading axes are a batch.

Examples
--------
>>> import mxlite as mx
>>> a = mx.nd.array([[1., 2.], [3., 4.]])
>>> mx.nd.linalg.gemm2(a, a, transpose_b=True).asnumpy()
array([[ 5., 11.],
       [11., 25.]], dtype=float32)
>>> mx.nd.linalg.det(a).asnumpy()
array([-2.], dtype=float32)
"""
import sys as _sys

from .._namespace import populate_prefixed as _populate_prefixed
from .register import make_function as _make_function

PREFIX = '_linalg_'


__all__ = _populate_prefixed(_sys.modules[__name__], _make_function, PREFIX)
