"""mx.kv: local stores sum pushes from several devices, pull into every output, apply an
optimizer on push after set_optimizer, and reject bad keys/shapes without changing state."""
import numpy as np
import pytest

import mxlite as mx
from mxlite.base import MXNetError

SHAPE = (2, 3)


def _dev_values(n, scale=1.0):
    """One array per device (cpu(0), cpu(1), ...), value (i+1)*scale."""
    return [mx.nd.ones(SHAPE, ctx=mx.cpu(i)) * ((i + 1) * scale) for i in range(n)]


@pytest.mark.parametrize('kv_type', ['local', 'device', 'local_allreduce_cpu', 'nccl'])
def test_create_local_types(kv_type):
    kv = mx.kv.create(kv_type)
    assert (kv.type, kv.rank, kv.num_workers) == (kv_type, 0, 1)
    assert isinstance(kv, mx.kvstore.KVStore)
    assert kv.is_capable(mx.kv.KVStoreBase.OPTIMIZER)


@pytest.mark.parametrize('kv_type', ['dist_sync', 'dist_async', 'dist_device_sync', 'horovod'])
def test_distributed_types_are_refused(kv_type):
    with pytest.raises(MXNetError, match="distributed training.*use 'local'"):
        mx.kv.create(kv_type)


def test_create_errors():
    with pytest.raises(MXNetError, match="did you mean 'local'"):
        mx.kv.create('locl')
    with pytest.raises(TypeError):
        mx.kv.create(3)


@pytest.mark.parametrize('key', [3, 'fc1_weight'])
@pytest.mark.parametrize('ndev', [1, 2, 4])
def test_push_sums_and_pull_broadcasts(key, ndev):
    kv = mx.kv.create('local')
    kv.init(key, mx.nd.zeros(SHAPE))
    kv.push(key, _dev_values(ndev))
    outs = [mx.nd.zeros(SHAPE, ctx=mx.cpu(i)) for i in range(3)]
    kv.pull(key, out=outs)
    expect = sum(range(1, ndev + 1))
    for out in outs:
        assert np.all(out.asnumpy() == expect)
    # a second push replaces, it does not accumulate
    kv.push(key, _dev_values(ndev, 0.5))
    kv.pull(key, out=outs[0])
    assert np.all(outs[0].asnumpy() == expect * 0.5)


def test_lists_of_keys():
    kv = mx.kv.create('local')
    keys = [5, 7, 9]
    kv.init(keys, [mx.nd.ones(SHAPE) * k for k in keys])
    outs = [mx.nd.zeros(SHAPE) for _ in keys]
    kv.pull(keys, out=outs)
    assert [o.asnumpy()[0, 0] for o in outs] == [5, 7, 9]
    kv.push(keys, [_dev_values(2), mx.nd.ones(SHAPE), _dev_values(3)])
    outs2 = [[mx.nd.zeros(SHAPE), mx.nd.zeros(SHAPE)] for _ in keys]
    kv.pull(keys, out=outs2)
    assert [o[1].asnumpy()[0, 0] for o in outs2] == [3, 1, 6]
    # the same key twice in one push is summed too
    kv.push([5, 5], [mx.nd.ones(SHAPE), mx.nd.ones(SHAPE) * 2])
    kv.pull(5, out=outs[0])
    assert outs[0].asnumpy()[0, 0] == 3


def test_init_copies_the_value():
    kv = mx.kv.create('local')
    src = mx.nd.ones(SHAPE)
    kv.init('w', src)
    src[:] = 5
    out = mx.nd.zeros(SHAPE)
    kv.pull('w', out=out)
    assert np.all(out.asnumpy() == 1)


def test_pushpull_and_broadcast():
    kv = mx.kv.create('device')
    kv.init(0, mx.nd.zeros(SHAPE))
    grads = _dev_values(2)
    kv.pushpull(0, grads, out=grads)
    for g in grads:
        assert np.all(g.asnumpy() == 3)
    outs = [mx.nd.zeros(SHAPE), mx.nd.zeros(SHAPE)]
    kv.broadcast('b', mx.nd.ones(SHAPE) * 4, out=outs)
    assert all(np.all(o.asnumpy() == 4) for o in outs)
    kv.row_sparse_pull('b', out=outs[0], row_ids=mx.nd.array([0]))
    assert np.all(outs[0].asnumpy() == 4)


def test_set_optimizer_updates_on_push():
    kv = mx.kv.create('local')
    w0 = np.arange(6, dtype=np.float32).reshape(SHAPE)
    kv.init('fc_weight', mx.nd.array(w0))
    opt = mx.optimizer.SGD(learning_rate=0.1, momentum=0.9, wd=0.01, rescale_grad=0.5)
    kv.set_optimizer(opt)
    ref_opt = mx.optimizer.SGD(learning_rate=0.1, momentum=0.9, wd=0.01, rescale_grad=0.5)
    ref_w = mx.nd.array(w0)
    ref_state = ref_opt.create_state('fc_weight', ref_w)
    out = mx.nd.zeros(SHAPE)
    for step in range(3):
        grads = _dev_values(2, scale=step + 1)
        kv.push('fc_weight', grads)
        ref_opt.update('fc_weight', ref_w, grads[0] + grads[1], ref_state)
        kv.pull('fc_weight', out=out)
        np.testing.assert_allclose(out.asnumpy(), ref_w.asnumpy(), rtol=1e-6)
    assert opt._index_update_count == {'fc_weight': 3}


def test_custom_updater_sees_key_merged_and_stored():
    kv = mx.kv.create('local')
    kv.init(1, mx.nd.ones(SHAPE))
    calls = []

    def updater(key, merged, stored):
        calls.append((key, merged.asnumpy()[0, 0], stored.asnumpy()[0, 0]))
        stored += merged * 10

    kv._set_updater(updater)
    kv.push(1, _dev_values(3))
    out = mx.nd.zeros(SHAPE)
    kv.pull(1, out=out)
    assert calls == [(1, 6.0, 1.0)] and out.asnumpy()[0, 0] == 61


def test_optimizer_states_files(tmp_path):
    kv = mx.kv.create('local')
    kv.init(0, mx.nd.ones(SHAPE))
    with pytest.raises(MXNetError, match='no optimizer'):
        kv.save_optimizer_states(str(tmp_path / 'x.states'))
    kv.set_optimizer(mx.optimizer.Adam(learning_rate=0.01))
    kv.push(0, mx.nd.ones(SHAPE))
    fname = str(tmp_path / 'kv.states')
    kv.save_optimizer_states(fname, dump_optimizer=True)
    other = mx.kv.create('local')
    other.init(0, mx.nd.ones(SHAPE))
    other.set_optimizer(mx.optimizer.SGD())
    other.load_optimizer_states(fname)
    assert isinstance(other._updater.optimizer, mx.optimizer.Adam)
    mean, var = other._updater.states[0]
    np.testing.assert_allclose(mean.asnumpy(), 0.1, rtol=1e-6)
    with pytest.raises(TypeError):
        kv.set_optimizer('sgd')


def test_bad_calls_change_nothing():
    kv = mx.kv.create('local')
    kv.init([0, 1], [mx.nd.ones(SHAPE), mx.nd.ones(SHAPE)])
    with pytest.raises(MXNetError, match='duplicate init'):
        kv.init(0, mx.nd.zeros(SHAPE))
    with pytest.raises(MXNetError, match='not been initialized'):
        kv.push(2, mx.nd.zeros(SHAPE))
    with pytest.raises(MXNetError, match=r'holds shape \(2, 3\) but a value has shape \(3, 2\)'):
        kv.push([0, 1], [mx.nd.zeros(SHAPE), mx.nd.zeros((3, 2))])
    with pytest.raises(MXNetError, match='all int or all str'):
        kv.push([0, 'a'], [mx.nd.zeros(SHAPE), mx.nd.zeros(SHAPE)])
    with pytest.raises(MXNetError, match='must be an NDArray'):
        kv.push(0, np.zeros(SHAPE))
    with pytest.raises(MXNetError, match='needs out='):
        kv.pull(0)
    outs = [mx.nd.zeros(SHAPE), mx.nd.zeros(SHAPE)]
    kv.pull([0, 1], out=outs)
    assert all(np.all(o.asnumpy() == 1) for o in outs)     # key 0 was not overwritten


def test_gradient_compression_is_accepted_and_ignored():
    kv = mx.kv.create('device')
    kv.set_gradient_compression({'type': '2bit', 'threshold': 0.5})
    kv.init(0, mx.nd.zeros(SHAPE))
    kv.push(0, [mx.nd.ones(SHAPE) * 0.1, mx.nd.ones(SHAPE) * 0.2])
    out = mx.nd.zeros(SHAPE)
    kv.pull(0, out=out)
    np.testing.assert_allclose(out.asnumpy(), 0.3, rtol=1e-6)
    with pytest.raises(MXNetError):
        kv.set_gradient_compression('2bit')
