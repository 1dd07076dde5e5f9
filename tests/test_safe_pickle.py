"""Optimizer .states pickles: MXNet's files load, nothing else runs, dumps match MXNet."""
import io
import os
import pickle
import subprocess
import sys
import types

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import mxlite as mx
from mxlite import safe_pickle
from mxlite.base import MXNetError
from mxlite.ndarray.serialization import save_raw_bytes
from mxlite.safe_pickle import PickledObject, dump_states, load_states

MLP_PARAMS = ['fc1_weight', 'fc1_bias', 'fc2_weight', 'fc2_bias', 'fc3_weight', 'fc3_bias']


@pytest.fixture
def states_file(reference):
    return reference / 'checkpoints' / 'mlp-withopt-0001.states'


def test_golden_states_load(states_file, reference):
    states = load_states(str(states_file))
    params = mx.nd.load(str(reference / 'checkpoints' / 'mlp-withopt-0001.params'))
    assert sorted(states) == list(range(6))
    for index, name in enumerate(MLP_PARAMS):
        momentum = states[index]
        assert isinstance(momentum, mx.nd.NDArray)
        assert momentum.shape == params['arg:' + name].shape
        assert momentum.dtype == np.float32 and momentum.context == mx.cpu(0)
        assert np.isfinite(momentum.asnumpy()).all()


def test_golden_states_dump_is_byte_identical(states_file):
    raw = states_file.read_bytes()
    assert dump_states(load_states(raw)) == raw


@pytest.mark.parametrize('kind', ['path', 'pathlike', 'bytes', 'bytearray', 'file'])
def test_input_kinds(states_file, kind):
    source = {'path': lambda: str(states_file), 'pathlike': lambda: states_file,
              'bytes': states_file.read_bytes,
              'bytearray': lambda: bytearray(states_file.read_bytes()),
              'file': lambda: open(states_file, 'rb')}[kind]()
    try:
        assert len(load_states(source)) == 6
    finally:
        if hasattr(source, 'close'):
            source.close()


def test_round_trip_of_common_state_shapes():
    states = {0: None, 1: mx.nd.ones((2, 3)), 2: (mx.nd.zeros((2,)), mx.nd.array([1, 2])),
              3: mx.nd.array([1, 2], dtype='float16'),
              4: mx.nd.sparse.row_sparse_array(([[1.0, 2.0]], [1]), shape=(3, 2))}
    back = load_states(dump_states(states))
    assert back[0] is None and isinstance(back[2], tuple)
    assert np.array_equal(back[1].asnumpy(), np.ones((2, 3), np.float32))
    assert np.array_equal(back[2][1].asnumpy(), [1, 2])
    assert back[3].dtype == np.float16
    assert back[4].stype == 'row_sparse' and list(back[4].indices.asnumpy()) == [1]


def test_shared_arrays_stay_shared():
    arr = mx.nd.ones((2,))
    back = load_states(dump_states({0: arr, 1: arr}))
    assert back[0] is back[1]


def test_dump_rejects_unknown_objects():
    with pytest.raises(TypeError, match=r"states\[0\].*object"):
        dump_states({0: object()})


# ---------------------------------------------------------------------- MXNet-made pickles
@pytest.fixture
def fake_mxnet(monkeypatch):
    """Importable stand-ins for MXNet's classes, so the C pickler writes what MXNet writes."""
    def module(name, **attrs):
        mod = types.ModuleType(name)
        for key, cls in attrs.items():
            cls.__module__, cls.__qualname__, cls.__name__ = name, key, key
            setattr(mod, key, cls)
        monkeypatch.setitem(sys.modules, name, mod)
        return mod

    class NDArray:
        def __init__(self, handle=None):
            self.raw = handle

        def __reduce__(self):        # MXNet: (NDArray, (None,), {'handle': raw bytes})
            return (NDArray, (None,), {'handle': bytearray(self.raw)})

    class SGD:
        pass

    class FactorScheduler:
        pass

    class Context:
        def __init__(self):
            self.device_typeid, self.device_id, self._old_ctx = 1, 0, None

    for name in ('mxnet', 'mxnet.ndarray', 'mxnet.optimizer'):
        module(name)
    module('mxnet.ndarray.ndarray', NDArray=NDArray)
    module('mxnet.optimizer.optimizer', SGD=SGD)
    module('mxnet.lr_scheduler', FactorScheduler=FactorScheduler)
    module('mxnet.context', Context=Context)
    return types.SimpleNamespace(NDArray=NDArray, SGD=SGD, FactorScheduler=FactorScheduler,
                                 Context=Context)


def _optimizer(fake):
    sched = fake.FactorScheduler()
    sched.__dict__.update(step=10, factor=0.5, base_lr=0.1, stop_factor_lr=1e-8)
    sgd = fake.SGD()
    sgd.__dict__.update(lr=0.1, wd=1e-4, momentum=0.9, rescale_grad=0.125,
                        lr_scheduler=sched, idx2name={0: 'fc_weight', 1: 'fc_bias'},
                        lr_mult={}, wd_mult={'fc_bias': 0.0}, num_update=3,
                        sym_info=({}, ['data', 'fc_weight']), ctx=fake.Context())
    return sgd


def test_states_with_optimizer_from_mxnet(fake_mxnet):
    weight = mx.nd.array([[1, 2], [3, 4]])
    states = {0: fake_mxnet.NDArray(save_raw_bytes(weight)),
              1: (fake_mxnet.NDArray(save_raw_bytes(mx.nd.ones((2,)))), None)}
    raw = pickle.dumps((states, _optimizer(fake_mxnet)), protocol=4)
    loaded, opt = load_states(raw)
    assert np.array_equal(loaded[0].asnumpy(), weight.asnumpy())
    assert loaded[1][1] is None
    assert isinstance(opt, PickledObject) and isinstance(opt, dict)
    assert opt.mxnet_class == 'mxnet.optimizer.optimizer.SGD'
    assert opt['momentum'] == 0.9 and opt['idx2name'] == {0: 'fc_weight', 1: 'fc_bias'}
    assert opt['lr_scheduler'].mxnet_class == 'mxnet.lr_scheduler.FactorScheduler'
    assert opt['lr_scheduler']['factor'] == 0.5
    assert opt['ctx'] == mx.cpu(0)
    # and mxlite writes exactly what MXNet wrote
    assert dump_states((loaded, opt)) == raw


@pytest.mark.parametrize('protocol', [0, 2, 3, 4, 5])
def test_every_pickle_protocol(fake_mxnet, protocol):
    states = {3: fake_mxnet.NDArray(save_raw_bytes(mx.nd.array([5, 6], dtype='int64')))}
    raw = pickle.dumps((states, _optimizer(fake_mxnet)), protocol=protocol)
    loaded, opt = load_states(raw)
    assert list(loaded[3].asnumpy()) == [5, 6] and opt['num_update'] == 3


def test_numpy_values_in_optimizer(fake_mxnet):
    sgd = fake_mxnet.SGD()
    sgd.__dict__.update(lr=np.float32(0.5), counts=np.arange(3, dtype='>i4'),
                        dt=np.dtype('float16'))
    for protocol in (2, 4, 5):
        opt = load_states(pickle.dumps(sgd, protocol=protocol))
        assert opt['lr'] == np.float32(0.5) and opt['lr'].dtype == np.float32
        assert list(opt['counts']) == [0, 1, 2] and opt['dt'] == np.float16


# ---------------------------------------------------------------------- refusing code
class _Evil:
    def __init__(self, func, *args):
        self.func, self.args = func, args

    def __reduce__(self):
        return self.func, self.args


@pytest.mark.parametrize('protocol', [0, 2, 4, 5])
@pytest.mark.parametrize('func', [os.system, eval, exec, subprocess.check_call, getattr,
                                  safe_pickle._reconstructor],
                         ids=lambda f: f.__name__)
def test_code_is_never_run(tmp_path, protocol, func):
    marker = tmp_path / 'pwned'
    args = {os.system: ('touch %s' % marker,), eval: ('open(%r, "w")' % str(marker),),
            exec: ('open(%r, "w")' % str(marker),), getattr: ('abc', 'upper'),
            subprocess.check_call: (['touch', str(marker)],)}.get(func, ('x',))
    payload = pickle.dumps({0: _Evil(func, *args)}, protocol=protocol)
    with pytest.raises(MXNetError, match='refusing to unpickle') as info:
        load_states(payload)
    # the message names the class (protocols < 3 write Python 2 module names)
    assert '.%s from' % func.__name__ in str(info.value)
    assert not marker.exists()


@pytest.mark.parametrize('value,pattern', [
    (np.array([1, 'a'], dtype=object), 'dtype'),
    (_Evil(bytearray, 1 << 40), 'bytearray'),
    (_Evil(bytes, 1 << 40), 'bytes'),
])
def test_dangerous_values_are_refused(value, pattern):
    with pytest.raises(MXNetError, match=pattern):
        load_states(pickle.dumps(value, protocol=4))


def test_forged_memo_index_does_not_allocate():
    # LONG_BINPUT 1.4e9 would make the C unpickler zero a 11 GB memo table
    payload = b'\x80\x04N' + b'r' + (1392741524).to_bytes(4, 'little') + b'.'
    with pytest.raises(MXNetError, match='memo index 1392741524 at byte 3'):
        load_states(payload)


def test_forged_build_cannot_modify_allowed_functions():
    # bytearray global, then BUILD(None, {'_fn': builtins.list}) on it
    payload = (b'\x80\x02cbuiltins\nbytearray\nN}X\x03\x00\x00\x00_fncbuiltins\nlist\n'
               b's\x86b.')
    with pytest.raises(MXNetError):
        load_states(payload)
    assert load_states(pickle.dumps(bytearray(b'ok'))) == bytearray(b'ok')


def test_forged_ndarray_handle_is_checked(fake_mxnet):
    bad = fake_mxnet.NDArray(b'\xc9\xfa\x93\xf9' + b'\x00' * 3)
    with pytest.raises(MXNetError, match='pickled NDArray'):
        load_states(pickle.dumps({0: bad}))


@pytest.mark.parametrize('cut', [0, 1, 2, 10, 60, 100, 5000, -200, -3, -1])
def test_truncated_states_file(states_file, tmp_path, cut):
    path = tmp_path / 'cut.states'
    path.write_bytes(states_file.read_bytes()[:cut])
    with pytest.raises(MXNetError) as info:
        load_states(str(path))
    assert str(path) in str(info.value)


def test_not_a_pickle():
    with pytest.raises(MXNetError, match='corrupt'):
        load_states(b'\x12\x01' + b'\x00' * 30)
    with pytest.raises(TypeError):
        load_states(12)


_SMALL = []


def _small():
    if not _SMALL:
        _SMALL.append(dump_states({0: mx.nd.array([[1, 2]]), 1: (mx.nd.ones((2,)), None),
                                   2: PickledObject('mxnet.optimizer.optimizer', 'SGD',
                                                    {'lr': 0.1, 'wd': 0.0})}))
    return _SMALL[0]


@settings(max_examples=200, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.data())
def test_fuzz_mutated_states_only_raise_mxnet_error(data):
    raw = bytearray(_small())
    for _ in range(data.draw(st.integers(1, 3))):
        pos = data.draw(st.integers(0, len(raw) - 1))
        kind = data.draw(st.sampled_from(['cut', 'byte', 'insert']))
        if kind == 'cut':
            raw = raw[:pos]
            break
        if kind == 'byte':
            raw[pos] = data.draw(st.integers(0, 255))
        else:
            raw[pos:pos] = data.draw(st.binary(min_size=1, max_size=8))
    try:
        load_states(bytes(raw))
    except MXNetError:
        pass


def test_load_states_reads_file_object_name(states_file):
    with open(states_file, 'rb') as f:
        data = f.read()
    with pytest.raises(MXNetError, match='<bytes>'):
        load_states(data[:50])
    with pytest.raises(MXNetError, match='<file>'):
        load_states(io.BytesIO(data[:50]))
