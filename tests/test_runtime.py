"""mx.runtime: MXNet 1.9.1's feature names and API, reporting what mxlite has here."""
import platform
import sys

import numpy as np
import pytest

import mxlite as mx
from mxlite import backend

MXNET_191_NAMES = [
    'CUDA', 'CUDNN', 'NCCL', 'CUDA_RTC', 'TENSORRT', 'CPU_SSE', 'CPU_SSE2', 'CPU_SSE3',
    'CPU_SSE4_1', 'CPU_SSE4_2', 'CPU_SSE4A', 'CPU_AVX', 'CPU_AVX2', 'OPENMP', 'SSE', 'F16C',
    'JEMALLOC', 'BLAS_OPEN', 'BLAS_ATLAS', 'BLAS_MKL', 'BLAS_APPLE', 'LAPACK', 'MKLDNN',
    'OPENCV', 'CAFFE', 'PROFILER', 'DIST_KVSTORE', 'CXX14', 'INT64_TENSOR_SIZE',
    'SIGNAL_HANDLER', 'DEBUG', 'TVM_OP']
NEVER = ['CUDNN', 'NCCL', 'CUDA_RTC', 'TENSORRT', 'CPU_SSE4A', 'OPENMP', 'JEMALLOC',
         'MKLDNN', 'OPENCV', 'CAFFE', 'DIST_KVSTORE', 'CXX14', 'SIGNAL_HANDLER', 'DEBUG',
         'TVM_OP']


def test_names_order_and_types():
    features = mx.runtime.Features()
    assert list(features.keys()) == MXNET_191_NAMES
    for name, feature in features.items():
        assert isinstance(feature, mx.runtime.Feature)
        assert feature.name == name and isinstance(feature.enabled, bool)
        assert repr(feature) == ('\u2714 ' if feature.enabled else '\u2716 ') + name
    assert repr(features) == str(list(features.values()))
    assert features['CUDA'].name == 'CUDA'


def test_one_shared_instance_that_a_second_call_keeps():
    first = mx.runtime.Features()
    assert mx.runtime.Features() is first and len(first) == len(MXNET_191_NAMES)
    assert isinstance(first, dict)


@pytest.mark.parametrize('name', ['cudnn', 'CuDnn', 'CUDNN'])
def test_is_enabled_any_case(name):
    assert mx.runtime.Features().is_enabled(name) is False


@pytest.mark.parametrize('name', ['CPU', 'gpu', 'ONEDNN', ''])
def test_unknown_names_raise_as_in_mxnet(name):
    with pytest.raises(RuntimeError, match=r"Feature '%s' is unknown, known features are: "
                                           r"\['CUDA', 'CUDNN'" % name.upper()):
        mx.runtime.Features().is_enabled(name)


def test_what_mxlite_has():
    f = mx.runtime.Features()
    for name in NEVER:
        assert not f.is_enabled(name), name
    assert f.is_enabled('LAPACK')
    assert f.is_enabled('INT64_TENSOR_SIZE') == (sys.maxsize > 2 ** 32)
    assert f.is_enabled('CUDA') == (backend.num_gpus() > 0)
    blas = np.show_config(mode='dicts')['Build Dependencies']['blas']['name'].lower() \
        if np.lib.NumpyVersion(np.__version__) >= '1.26.0' else None
    if blas is not None:
        assert f.is_enabled('BLAS_OPEN') == ('openblas' in blas)
        assert f.is_enabled('BLAS_MKL') == ('mkl' in blas)
    if platform.machine().lower() in ('x86_64', 'amd64'):
        assert f.is_enabled('CPU_SSE2') and f.is_enabled('SSE')   # every x86-64 CPU has it
    else:
        assert not any(f.is_enabled(n) for n in ('CPU_SSE', 'CPU_SSE2', 'CPU_AVX'))


def test_feature_list_is_fresh_and_matches():
    listed = mx.runtime.feature_list()
    assert [f.name for f in listed] == MXNET_191_NAMES
    assert listed == list(mx.runtime.Features().values())
    assert mx.runtime.feature_list() is not listed


def test_detection_follows_the_backend(monkeypatch):
    from mxlite import runtime
    monkeypatch.setattr(backend, 'num_gpus', lambda: 2)
    monkeypatch.setattr(backend, '_openblas', lambda: None)
    monkeypatch.setattr(runtime, '_numpy_blas_name', lambda: 'mkl-sdl')
    monkeypatch.setattr(runtime, '_numpy_cpu_features', lambda: {})
    got = {f.name: f.enabled for f in runtime.feature_list()}
    assert got['CUDA'] and got['BLAS_MKL'] and not got['BLAS_OPEN']
    assert not got['CPU_SSE2'] and not got['CUDNN']
    monkeypatch.setattr(backend, 'num_gpus', lambda: 0)
    monkeypatch.setattr(runtime, '_numpy_blas_name', lambda: 'accelerate')
    got = {f.name: f.enabled for f in runtime.feature_list()}
    assert not got['CUDA'] and got['BLAS_APPLE'] and not got['BLAS_MKL']


def test_reachable_as_mx_runtime_and_lightweight():
    import mxlite.runtime
    assert mx.runtime is mxlite.runtime
    assert mxlite.runtime.__all__ == ['Feature', 'Features', 'feature_list']
