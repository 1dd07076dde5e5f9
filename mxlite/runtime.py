"""mx.runtime: which of MXNet's build features this mxlite can offer, asked at run time.

MXNet 1.9.1 reports the features its native library was compiled with. mxlite compiles
nothing, so each feature says whether the same capability is there now, through NumPy
(and CuPy):

- ``CUDA``: CuPy imports and sees at least one GPU (`mx.context.num_gpus`).
- ``BLAS_OPEN`` / ``BLAS_MKL`` / ``BLAS_APPLE`` / ``BLAS_ATLAS``: the BLAS NumPy uses
  (the OpenBLAS it loaded, else NumPy's build configuration); ``LAPACK``: always, NumPy
  has it.
- ``CPU_SSE`` ... ``CPU_AVX2``, ``SSE``, ``F16C``: the instruction sets this CPU offers
  NumPy's runtime-dispatched kernels (NumPy's own detection; False where it is unknown).
- ``INT64_TENSOR_SIZE``: arrays of more than 2**31 elements (64-bit NumPy).
- ``PROFILER``: `mx.profiler` is present.
- Everything else (CUDNN, NCCL, CUDA_RTC, TENSORRT, OPENMP, JEMALLOC, MKLDNN, OPENCV, CAFFE,
  DIST_KVSTORE, CXX14, SIGNAL_HANDLER, DEBUG, TVM_OP) is False: mxlite has no such
  component.

The names and their order are MXNet 1.9.1's.

Examples
--------
>>> import mxlite as mx
>>> features = mx.runtime.Features()
>>> features.is_enabled('CUDNN'), features.is_enabled('lapack')
(False, True)
>>> features['MKLDNN']
✖ MKLDNN
"""
import collections
import importlib.util
import sys

__all__ = ['Feature', 'Features', 'feature_list']

# MXNet 1.9.1's feature names, in its order (include/mxnet/libinfo.h)
_NAMES = ('CUDA', 'CUDNN', 'NCCL', 'CUDA_RTC', 'TENSORRT', 'CPU_SSE', 'CPU_SSE2',
          'CPU_SSE3', 'CPU_SSE4_1', 'CPU_SSE4_2', 'CPU_SSE4A', 'CPU_AVX', 'CPU_AVX2',
          'OPENMP', 'SSE', 'F16C', 'JEMALLOC', 'BLAS_OPEN', 'BLAS_ATLAS', 'BLAS_MKL',
          'BLAS_APPLE', 'LAPACK', 'MKLDNN', 'OPENCV', 'CAFFE', 'PROFILER', 'DIST_KVSTORE',
          'CXX14', 'INT64_TENSOR_SIZE', 'SIGNAL_HANDLER', 'DEBUG', 'TVM_OP')

# MXNet's CPU feature -> NumPy's name for it (CPU_SSE4A, AMD only, NumPy does not track)
_NUMPY_CPU = {'CPU_SSE': 'SSE', 'CPU_SSE2': 'SSE2', 'CPU_SSE3': 'SSE3',
              'CPU_SSE4_1': 'SSE41', 'CPU_SSE4_2': 'SSE42', 'CPU_AVX': 'AVX',
              'CPU_AVX2': 'AVX2', 'SSE': 'SSE', 'F16C': 'F16C'}


class Feature:
    """One build feature: its `name` and whether it is `enabled`.

    Examples
    --------
    >>> import mxlite as mx
    >>> f = mx.runtime.Features()['LAPACK']
    >>> f.name, f.enabled
    ('LAPACK', True)
    """
    __slots__ = ('_name', '_enabled')

    def __init__(self, name, enabled):
        self._name = str(name)
        self._enabled = bool(enabled)

    @property
    def name(self):
        """Feature name."""
        return self._name

    @property
    def enabled(self):
        """True if this mxlite offers the feature."""
        return self._enabled

    def __repr__(self):
        return ('\u2714 %s' if self._enabled else '\u2716 %s') % self._name

    def __eq__(self, other):
        return isinstance(other, Feature) and (self._name, self._enabled) == \
            (other._name, other._enabled)

    def __hash__(self):
        return hash((self._name, self._enabled))


def _numpy_cpu_features():
    for module in ('numpy._core._multiarray_umath', 'numpy.core._multiarray_umath'):
        try:
            return dict(importlib.import_module(module).__cpu_features__)
        except (ImportError, AttributeError):
            continue
    return {}


def _numpy_blas_name():
    """Lower-case name of the BLAS NumPy was built against ('' if unknown)."""
    import numpy
    try:    # numpy >= 1.26
        config = numpy.show_config(mode='dicts')
        return str(config['Build Dependencies']['blas'].get('name', '')).lower()
    except Exception:  # older NumPy: the build-info dicts of numpy.__config__
        config = getattr(numpy, '__config__', None)
        info = [getattr(config, key, {}) for key in ('blas_opt_info', 'blas_ilp64_opt_info')]
        return ' '.join(str(i.get('libraries', '')) for i in info if isinstance(i, dict)) \
            .lower()


def _detect():
    from . import backend
    enabled = dict.fromkeys(_NAMES, False)
    enabled['CUDA'] = backend.num_gpus() > 0
    cpu = _numpy_cpu_features()
    for name, numpy_name in _NUMPY_CPU.items():
        enabled[name] = bool(cpu.get(numpy_name, False))
    blas = _numpy_blas_name()
    enabled['BLAS_OPEN'] = backend._openblas() is not None or 'openblas' in blas
    enabled['BLAS_MKL'] = 'mkl' in blas
    enabled['BLAS_APPLE'] = 'accelerate' in blas or 'veclib' in blas
    enabled['BLAS_ATLAS'] = 'atlas' in blas
    enabled['LAPACK'] = True
    enabled['INT64_TENSOR_SIZE'] = sys.maxsize > 2 ** 32
    enabled['PROFILER'] = importlib.util.find_spec(__package__ + '.profiler') is not None
    return enabled


def feature_list():
    """The build features, as a list of `Feature` in MXNet 1.9.1's order.

    Examples
    --------
    >>> import mxlite as mx
    >>> features = mx.runtime.feature_list()
    >>> features[0].name, len(features)
    ('CUDA', 32)
    """
    return [Feature(name, on) for name, on in _detect().items()]


class Features(collections.OrderedDict):
    """Feature name -> `Feature`, for every build feature (one shared instance).

    Examples
    --------
    >>> import mxlite as mx
    >>> features = mx.runtime.Features()
    >>> features is mx.runtime.Features()
    True
    >>> features.is_enabled('OPENMP')
    False
    >>> features.is_enabled('NO_SUCH_THING')
    Traceback (most recent call last):
        ...
    RuntimeError: Feature 'NO_SUCH_THING' is unknown, known features are: ['CUDA', ...]
    """
    instance = None

    def __new__(cls):
        # detected once, as MXNet's instance reads its library once
        if cls.instance is None:
            cls.instance = super(Features, cls).__new__(cls)
            super(Features, cls.instance).__init__((f.name, f) for f in feature_list())
        return cls.instance

    def __init__(self):  # pylint: disable=super-init-not-called
        pass  # filled once in __new__; calling Features() again must not clear it

    def __repr__(self):
        return str(list(self.values()))

    def is_enabled(self, feature_name):
        """Whether the feature named `feature_name` (any case) is enabled.

        Raises
        ------
        RuntimeError
            For a name that is not one of the features.
        """
        name = str(feature_name).upper()
        if name not in self:
            raise RuntimeError("Feature '%s' is unknown, known features are: %s"
                               % (name, list(self.keys())))
        return self[name].enabled
