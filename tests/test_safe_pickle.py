"""Optimizer .states pickles: MXNet's files load, nothing else runs, dumps match MXNet.

Then the same through `Updater.get_states`/`set_states`: every optimizer and lr scheduler
round-trips, and forged files raise MXNetError and leave the updater untouched.
"""
import io
import os
import pickle
import subprocess
import sys
import types
import warnings

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


# ---------------------------------------------------------------------- Updater states
def test_updater_has_one_states_reader():
    # .states files are read and written by mxlite.safe_pickle only
    from mxlite.optimizer import updater as updater_module
    assert not [v for v in vars(updater_module).values()
                if isinstance(v, type) and issubclass(v, (pickle.Unpickler, pickle._Pickler))]
    assert updater_module.load_states is safe_pickle.load_states
    assert updater_module.dump_states is safe_pickle.dump_states


_SCHEDULERS = {
    'none': lambda: None,
    'factor': lambda: mx.lr_scheduler.FactorScheduler(step=2, factor=0.5, base_lr=0.3),
    'multifactor': lambda: mx.lr_scheduler.MultiFactorScheduler(step=[2, 4], factor=0.1,
                                                                base_lr=0.5, warmup_steps=1),
    'poly': lambda: mx.lr_scheduler.PolyScheduler(max_update=10, base_lr=0.2, pwr=2),
    'cosine': lambda: mx.lr_scheduler.CosineScheduler(max_update=10, base_lr=0.2),
}


def _trained_updater(name='sgd', sched='none', steps=3, **kwargs):
    kw = dict(kwargs)
    if _SCHEDULERS[sched]() is not None:
        kw['lr_scheduler'] = _SCHEDULERS[sched]()
    dtype = 'float16' if kw.get('multi_precision') else 'float32'
    with warnings.catch_warnings():     # learning_rate overriding the scheduler's base_lr
        warnings.simplefilter('ignore')
        opt = mx.optimizer.create(name, param_idx2name={0: 'a_weight', 1: 'a_bias'},
                                  wd=0.01, **kw)
    updater = mx.optimizer.get_updater(opt)
    weights = [mx.nd.ones((2, 3), dtype=dtype), mx.nd.ones((3,), dtype=dtype)]
    for _ in range(steps):
        updater([0, 1], [mx.nd.ones((2, 3), dtype=dtype) * 0.1,
                         mx.nd.ones((3,), dtype=dtype) * -0.2], weights)
    return updater, weights


@pytest.mark.parametrize('name', ['sgd', 'nag', 'adam', 'rmsprop'])
def test_multi_precision_states_round_trip(name):
    updater, _ = _trained_updater(name, momentum=0.9, multi_precision=True) \
        if name in ('sgd', 'nag') else _trained_updater(name, multi_precision=True)
    assert isinstance(updater.states[0], tuple)
    blob = updater.get_states(dump_optimizer=True)
    fresh = mx.optimizer.get_updater(mx.optimizer.SGD())
    fresh.set_states(blob)
    assert fresh.optimizer.multi_precision is True
    assert fresh.get_states(dump_optimizer=True) == blob


@pytest.mark.parametrize('sched', sorted(_SCHEDULERS))
@pytest.mark.parametrize('name', sorted(mx.optimizer.Optimizer.opt_registry))
def test_every_optimizer_and_scheduler_round_trips(name, sched):
    updater, weights = _trained_updater(name, sched)
    blob = updater.get_states(dump_optimizer=True)
    fresh = mx.optimizer.get_updater(mx.optimizer.SGD())
    fresh.set_states(blob)
    got = fresh.optimizer
    assert type(got) is type(updater.optimizer) and got is not updater.optimizer
    if sched != 'none':
        assert type(got.lr_scheduler) is type(updater.optimizer.lr_scheduler)
    assert got._index_update_count is got._all_index_update_counts[0]
    assert fresh.get_states(dump_optimizer=True) == blob
    assert fresh.aggregate_updates == updater.aggregate_updates
    # training goes on identically
    copies = [w.copy() for w in weights]
    grads = [mx.nd.ones((2, 3)) * 0.3, mx.nd.ones((3,)) * 0.1]
    for step in range(2):
        mx.random.seed(step)            # SGLD draws noise
        updater([0, 1], grads, weights)
        mx.random.seed(step)
        fresh([0, 1], grads, copies)
    for w, c in zip(weights, copies):
        np.testing.assert_array_equal(w.asnumpy(), c.asnumpy())


def _record(updater):
    from mxlite.optimizer.updater import optimizer_to_record
    return optimizer_to_record(updater.optimizer)


def test_old_mxnet_optimizer_pickle_gets_defaults():
    # older MXNet versions had no per-device counters, aggregation or np-array flag
    updater, _ = _trained_updater('sgd', 'factor', momentum=0.9)
    rec = _record(updater)
    for name in ('_all_index_update_counts', 'aggregate_num', 'allow_np_array',
                 'lazy_update', 'multi_precision'):
        del rec[name]
    del rec['lr_scheduler']['warmup_final_lr']
    fresh = mx.optimizer.get_updater(mx.optimizer.SGD())
    fresh.set_states(safe_pickle.dump_states((updater.states, rec)))
    opt = fresh.optimizer
    assert opt._all_index_update_counts == {0: {0: 3, 1: 3}}
    assert opt._all_index_update_counts[0] is opt._index_update_count
    assert (opt.aggregate_num, opt.lazy_update, opt.multi_precision) == (0, True, False)
    assert opt.lr_scheduler.warmup_final_lr == opt.lr_scheduler.base_lr
    assert opt.param_dict == {}


def test_user_registered_optimizer_round_trips(monkeypatch):
    class HalfSGD(mx.optimizer.SGD):
        def __init__(self, half=0.5, **kwargs):
            super().__init__(**kwargs)
            self.half = half
            self.history = [1, (2.5, 'x')]
    monkeypatch.setitem(mx.optimizer.Optimizer.opt_registry, 'halfsgd', HalfSGD)
    updater, _ = _trained_updater('halfsgd', momentum=0.9, half=0.25)
    blob = updater.get_states(dump_optimizer=True)
    assert b'mxnet.optimizer.optimizer\x94\x8c\x07HalfSGD' in blob
    fresh = mx.optimizer.get_updater(mx.optimizer.SGD())
    fresh.set_states(blob)
    assert type(fresh.optimizer) is HalfSGD
    assert fresh.optimizer.half == 0.25 and fresh.optimizer.momentum == 0.9
    assert fresh.optimizer.history == [1, (2.5, 'x')]
    assert fresh.get_states(dump_optimizer=True) == blob
    # even a user class only takes public plain-data attributes that hide nothing
    for name, value in (('update', 1), ('_private', 1), ('__class__', 'x'),
                        ('half2', mx.lr_scheduler.FactorScheduler(step=1))):
        rec = _record(updater)
        rec[name] = value
        if isinstance(value, mx.lr_scheduler.LRScheduler):
            rec[name] = safe_pickle.PickledObject('mxnet.lr_scheduler', 'FactorScheduler',
                                                  vars(value))
        with pytest.raises(MXNetError, match='refusing to set attribute|must be'):
            fresh.set_states(safe_pickle.dump_states((updater.states, rec)))


# ---------------------------------------------------------------------- forged files
def _with_record(edit):
    """A (states, optimizer) file from a trained SGD whose optimizer record `edit` forges."""
    def make(tmp_path):
        updater, _ = _trained_updater('sgd', 'multifactor', momentum=0.9)
        rec = _record(updater)
        states = dict(updater.states)
        rec = edit(rec, states) or rec
        return safe_pickle.dump_states((states, rec))
    return make


def _set(key, value):
    def edit(rec, states):
        rec[key] = value
    return edit


def _set_sched(key, value):
    def edit(rec, states):
        rec['lr_scheduler'][key] = value
    return edit


def _rename(module, name):
    def edit(rec, states):
        return safe_pickle.PickledObject(module, name, rec)
    return edit


def _drop(key):
    def edit(rec, states):
        del rec[key]
    return edit


def _state(value):
    def edit(rec, states):
        states[0] = value
    return edit


_REC = safe_pickle.PickledObject
_FORGED = {
    # what the unpickler itself refuses
    'huge_memo_index': (lambda tmp: b'\x80\x04}r' + (10 ** 9).to_bytes(4, 'little') + b'.',
                        'memo index 1000000000'),
    'bytearray_1e10': (lambda tmp: pickle.dumps({0: _Evil(bytearray, 10 ** 10)}, protocol=4),
                       r'bytearray\(\.\.\.\) with arguments of types \[.int.\]'),
    'bytes_1e10': (lambda tmp: pickle.dumps({0: _Evil(bytes, 10 ** 10)}, protocol=2),
                   'bytes'),
    'os_system': (lambda tmp: pickle.dumps({0: _Evil(os.system, 'touch %s' % (tmp / 'pwned'))},
                                           protocol=4),
                  r'refusing to unpickle (posix|nt)\.system'),
    'eval': (lambda tmp: pickle.dumps({0: _Evil(eval, 'open(%r, "w")' % str(tmp / 'pwned'))},
                                      protocol=0), 'refusing to unpickle __builtin__.eval'),
    'range_1e12': (lambda tmp: pickle.dumps({0: range(10 ** 12)}, protocol=4),
                   'refusing to unpickle builtins.range'),
    'object_array': (lambda tmp: pickle.dumps({0: np.array([1, 'a'], dtype=object)}),
                     'dtype'),
    'truncated': (lambda tmp: _with_record(lambda r, s: None)(tmp)[:-40], 'corrupt'),
    # what the optimizer rebuild refuses
    'opt_dunder_class': (_with_record(_set('__class__', 'x')),
                         r"refusing to set attribute str '__class__' on SGD"),
    'opt_dunder_dict': (_with_record(_set('__dict__', {'lr': 1.0})),
                        r"refusing to set attribute str '__dict__'"),
    'opt_method_name': (_with_record(_set('update', 0)), "refusing to set attribute str 'update'"),
    'opt_scratch': (_with_record(_set('_scratch', {})), "'_scratch'"),
    'opt_int_attr_name': (_with_record(_set(7, 0)), 'refusing to set attribute int 7'),
    'opt_lr_str': (_with_record(_set('lr', '0.1')), r'SGD\.lr must be a number'),
    'opt_num_update_float': (_with_record(_set('num_update', 3.5)), 'must be an integer'),
    'opt_lr_mult_object': (_with_record(_set('lr_mult', _REC('mxnet.optimizer', 'SGD'))),
                           r'lr_mult must be a dict'),
    'opt_param_dict': (_with_record(_set('param_dict', {0: 1})), 'an empty dict'),
    'opt_sym_info': (_with_record(_set('sym_info', ({'a': 1}, []))), 'sym_info'),
    'opt_missing': (_with_record(_drop('momentum')), "lacks its attribute 'momentum'"),
    'opt_unknown_class': (_with_record(_rename('mxnet.optimizer.optimizer', 'Evil')),
                          'not a registered mxlite optimizer'),
    'opt_case_mismatch': (_with_record(_rename('mxnet.optimizer.optimizer', 'sgd')),
                          'not a registered'),
    'opt_foreign_module': (_with_record(_rename('os', 'system')), 'refusing to unpickle os'),
    'opt_is_a_dict': (_with_record(lambda r, s: dict(r)), 'a pickled mxnet.optimizer'),
    'opt_is_a_scheduler': (_with_record(_rename('mxnet.lr_scheduler', 'SGD')),
                           'a pickled mxnet.optimizer'),
    'sched_module_name': (_with_record(_set('lr_scheduler', _REC('mxnet.lr_scheduler',
                                                                 'logging'))),
                          'mxlite.lr_scheduler does not have'),
    'sched_function_name': (_with_record(_set('lr_scheduler', _REC('mxnet.lr_scheduler',
                                                                   'cos'))),
                            'does not have'),
    'sched_is_optimizer': (_with_record(_set('lr_scheduler', _REC('mxnet.optimizer', 'SGD'))),
                           'lr_scheduler must be None or a pickled mxnet.lr_scheduler'),
    'sched_dunder_call': (_with_record(_set_sched('__call__', 1)), "'__call__'"),
    'sched_step_str': (_with_record(_set_sched('step', 'x')), r'step must be a list'),
    'sched_warmup_mode': (_with_record(_set_sched('warmup_mode', 'exec')), 'warmup_mode'),
    'state_record': (_with_record(_state(_REC('mxnet.optimizer', 'SGD'))),
                     'the state of index 0 must be'),
    'state_dict': (_with_record(_state({'a': 1})), 'the state of index 0'),
    'state_str': (_with_record(_state(('x',))), r'the state of index 0\[0\]'),
    'states_not_dict': (lambda tmp: safe_pickle.dump_states([mx.nd.ones((2,))]),
                        'the states must be a dict'),
    'states_key': (lambda tmp: safe_pickle.dump_states({(1,): None}), 'a states key'),
}


def _snapshot(updater):
    return (updater.get_states(dump_optimizer=True), dict(updater.states),
            updater.optimizer, dict(updater.optimizer.__dict__), dict(updater.states_synced),
            updater.aggregate_updates)


@pytest.mark.parametrize('case', sorted(_FORGED))
def test_forged_states_raise_and_change_nothing(case, tmp_path):
    make, pattern = _FORGED[case]
    payload = make(tmp_path)
    updater, weights = _trained_updater('adam', 'factor')
    before = _snapshot(updater)
    with pytest.raises(MXNetError, match=pattern):
        updater.set_states(payload)
    after = _snapshot(updater)
    assert after[0] == before[0]
    assert all(a is b for a, b in zip(after[1].values(), before[1].values()))
    assert after[1].keys() == before[1].keys()
    assert after[2] is before[2] and after[3] == before[3] and after[4:] == before[4:]
    assert not (tmp_path / 'pwned').exists()
    updater([0, 1], [mx.nd.ones((2, 3)), mx.nd.ones((3,))], weights)   # still usable


def test_valid_optimizer_is_not_installed_with_bad_states():
    updater, _ = _trained_updater('sgd', momentum=0.9)
    good, _ = _trained_updater('adam')
    rec = _record(good)
    mine = updater.optimizer
    with pytest.raises(MXNetError, match='state of index 1'):
        updater.set_states(safe_pickle.dump_states(({0: None, 1: 'x'}, rec)))
    assert updater.optimizer is mine


def test_set_states_does_not_take_a_path(tmp_path):
    updater, _ = _trained_updater('sgd', momentum=0.9)
    path = tmp_path / 'a.states'
    path.write_bytes(updater.get_states())
    fresh = mx.optimizer.get_updater(mx.optimizer.SGD())
    with pytest.raises(MXNetError):
        fresh.set_states(str(path))        # a str is pickle data (latin-1), as in MXNet
    fresh.set_states(path.read_bytes())
    assert sorted(fresh.states) == [0, 1]
