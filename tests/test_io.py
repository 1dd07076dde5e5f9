"""mx.io: NDArrayIter's last-batch rules, CSVIter, MNISTIter, the wrappers, MNIST loading.

NDArrayIter cases form one table (samples x batch size x last_batch_handle) checked
against a small model of MXNet 1.9.1's behaviour: the sample ids and pad of every batch
over two epochs.
"""
import gzip
import os
import threading
import urllib.error

import numpy as np
import pytest

import mxlite as mx
from mxlite.io.mnist import load_mnist_dict, read_idx


# ---------------------------------------------------------------------- expected batches
def expected_batches(n, bs, handle, epochs=2):
    """[(sample ids, pad)] per epoch, as MXNet 1.9.1's NDArrayIter yields them."""
    out, carry = [], []
    for _ in range(epochs):
        batches = []
        stream = list(range(n))
        if handle == 'roll_over' and carry:
            first = carry + stream[:bs - len(carry)]
            if len(first) == bs:
                batches.append((first, len(carry)))
                stream = stream[bs - len(carry):]
                carry = []
            else:       # still too short: kept again
                carry, stream = first, []
        for start in range(0, len(stream), bs):
            chunk = stream[start:start + bs]
            if len(chunk) == bs:
                batches.append((chunk, 0))
            elif handle == 'pad':
                fill = [i % n for i in range(bs - len(chunk))]
                batches.append((chunk + fill, bs - len(chunk)))
            elif handle == 'roll_over':
                carry = chunk
        out.append(batches)
    return out


NDITER_CASES = [(n, bs, h) for n, bs in [(10, 3), (12, 4), (7, 10), (5, 12), (1000, 128)]
                for h in ('pad', 'discard', 'roll_over')]


@pytest.mark.parametrize('n,bs,handle', NDITER_CASES,
                         ids=['%d-%d-%s' % c for c in NDITER_CASES])
def test_ndarrayiter_last_batch(n, bs, handle):
    data = np.arange(n, dtype='float32')[:, None] * np.ones((1, 3), 'float32')
    label = np.arange(n)
    it = mx.io.NDArrayIter(data, label, batch_size=bs, last_batch_handle=handle)
    for epoch, want in enumerate(expected_batches(n, bs, handle)):
        if epoch:
            it.reset()
        got = [(b.data[0].asnumpy()[:, 0].astype(int).tolist(), b.pad) for b in it]
        assert got == want, 'epoch %d' % epoch
    for batch in expected_batches(n, bs, handle, 1)[0]:
        assert len(batch[0]) == bs


def test_ndarrayiter_batches_are_views_and_labels_float32():
    data = np.random.rand(10, 4).astype('float32')
    label = np.arange(10, dtype='int64')
    it = mx.io.NDArrayIter(data, label, batch_size=4)
    first = it.next()
    assert np.shares_memory(first.data[0]._data, data)          # float32 input not copied
    assert first.label[0].dtype == np.float32                     # labels become float32
    np.testing.assert_array_equal(first.label[0].asnumpy(), [0, 1, 2, 3])
    nd = mx.nd.array(np.random.rand(6, 2))
    second = mx.io.NDArrayIter(nd, batch_size=2).next()
    assert np.shares_memory(second.data[0]._data, nd._data)
    assert first.index is None and first.bucket_key is None


def test_ndarrayiter_names_and_descs():
    a, b = np.zeros((8, 2), 'float32'), np.zeros((8, 3, 2), 'float32')
    it = mx.io.NDArrayIter([a, b], [np.zeros(8)], batch_size=4)
    assert [d.name for d in it.provide_data] == ['_0_data', '_1_data']
    assert [d.shape for d in it.provide_data] == [(4, 2), (4, 3, 2)]
    assert it.provide_label == [('softmax_label', (4,))]
    it = mx.io.NDArrayIter({'zeta': a, 'alpha': b}, {'y': np.zeros(8)}, batch_size=2,
                           data_name='ignored', label_name='ignored')
    assert [d.name for d in it.provide_data] == ['alpha', 'zeta']      # sorted, as MXNet
    batch = it.next()
    assert [d.shape for d in batch.data] == [(2, 3, 2), (2, 2)]
    it = mx.io.NDArrayIter(a, batch_size=4, data_name='x')
    assert it.provide_data[0].name == 'x' and it.provide_label == []
    assert it.next().label == []
    desc = it.provide_data[0]
    assert (desc.dtype, desc.layout) == (np.float32, 'NCHW')


def _mxnet_shuffle_orders(n, epochs, seed):
    """MXNet's order: idx shuffled in place, data re-indexed by it, at init and each reset."""
    np.random.seed(seed)
    idx = np.arange(n)
    data = np.arange(n)
    orders = []
    for _ in range(epochs):
        np.random.shuffle(idx)
        data = data[idx]
        orders.append(data.copy())
    return orders


@pytest.mark.parametrize('handle', ['pad', 'discard'])
def test_ndarrayiter_shuffle_matches_mxnet_order(handle):
    n, bs = 11, 4
    data = np.arange(n, dtype='float32')[:, None]
    orders = _mxnet_shuffle_orders(n, 3, seed=3)
    np.random.seed(3)
    it = mx.io.NDArrayIter(data, np.arange(n), batch_size=bs, shuffle=True,
                           last_batch_handle=handle)
    for epoch in range(3):
        if epoch:
            it.reset()
        batches = list(it)
        got = np.concatenate([b.data[0].asnumpy()[:, 0] for b in batches]).astype(int)
        labels = np.concatenate([b.label[0].asnumpy() for b in batches]).astype(int)
        want = orders[epoch][:len(batches) * bs] if handle == 'discard' else \
            np.concatenate([orders[epoch], orders[epoch][:(-n) % bs]])
        np.testing.assert_array_equal(got, want)
        np.testing.assert_array_equal(labels, got)       # data and labels stay paired


def test_ndarrayiter_shuffle_casts_to_float32_and_hard_reset():
    it = mx.io.NDArrayIter(mx.nd.array(np.arange(6), dtype='int32'), batch_size=4,
                           shuffle=True, last_batch_handle='roll_over')
    assert it.provide_data[0].dtype == np.float32
    assert len(list(it)) == 1
    it.hard_reset()                                   # forgets the rolled-over tail
    assert [b.pad for b in it] == [0]


def test_ndarrayiter_iter_next_protocol():
    it = mx.io.NDArrayIter(np.arange(5, dtype='float32'), batch_size=2)
    seen = []
    while it.iter_next():
        seen.append((it.getdata()[0].asnumpy().tolist(), it.getpad()))
    assert seen == [([0, 1], 0), ([2, 3], 0), ([4, 0], 1)]
    with pytest.raises(mx.MXNetError, match='reset'):
        it.getdata()


NDITER_ERRORS = [
    (dict(last_batch_handle='rollover'), ValueError, "did you mean 'roll_over'"),
    (dict(batch_size=0), ValueError, 'batch_size'),
    (dict(label=np.zeros(3)), ValueError, "'softmax_label' has 3 samples"),
    (dict(data=None), ValueError, 'data must be given'),
    (dict(data='text'), TypeError, 'inputs must be'),
    (dict(data=[object()]), TypeError, "invalid type 'object'"),
]


@pytest.mark.parametrize('kwargs,exc,pattern', NDITER_ERRORS,
                         ids=[e[2][:20] for e in NDITER_ERRORS])
def test_ndarrayiter_errors(kwargs, exc, pattern):
    args = dict(data=np.zeros((5, 2), 'float32'), batch_size=2)
    args.update(kwargs)
    with pytest.raises(exc, match=pattern):
        mx.io.NDArrayIter(**args)


# ---------------------------------------------------------------------- DataDesc, DataBatch
def test_datadesc_and_databatch():
    desc = mx.io.DataDesc('data', (4, 3, 8, 8), 'float16', 'NHWC')
    name, shape = desc
    assert (name, shape) == ('data', (4, 3, 8, 8)) and desc == ('data', (4, 3, 8, 8))
    assert repr(desc) == 'DataDesc[data,(4, 3, 8, 8),float16,NHWC]'
    assert mx.io.DataDesc.get_batch_axis(None) == 0
    assert mx.io.DataDesc.get_batch_axis('TNC') == 1
    descs = mx.io.DataDesc.get_list([('a', (1,)), ('b', (2,))], [('a', 'int32'), ('b', 'f')])
    assert [(d.name, d.dtype) for d in descs] == [('a', 'int32'), ('b', 'f')]
    assert mx.io.DataDesc.get_list([('a', (1,))], None)[0].dtype == np.float32
    batch = mx.io.DataBatch([mx.nd.ones((2, 3))], pad=1)
    assert str(batch) == 'DataBatch: data shapes: [(2, 3)] label shapes: None'
    with pytest.raises(TypeError, match='list of NDArrays'):
        mx.io.DataBatch(mx.nd.ones((2, 3)))


# ---------------------------------------------------------------------- CSVIter
def _write_csv(path, rows):
    with open(path, 'w') as f:
        for row in rows:
            f.write(','.join(str(v) for v in np.ravel(row)) + '\n')
    return str(path)


@pytest.mark.parametrize('round_batch', [True, False])
def test_csviter(tmp_path, round_batch):
    data = np.arange(7 * 4, dtype='float32').reshape(7, 2, 2)
    labels = np.arange(7, dtype='float32') * 10
    it = mx.io.CSVIter(data_csv=_write_csv(tmp_path / 'd.csv', data), data_shape=(2, 2),
                       label_csv=_write_csv(tmp_path / 'l.csv', labels[:, None]),
                       batch_size=3, round_batch=round_batch)
    assert it.provide_data == [('data', (3, 2, 2))]
    assert it.provide_label == [('softmax_label', (3,))]
    batches = list(it)
    assert [b.pad for b in batches] == [0, 0, 2]
    last = batches[-1]
    if round_batch:        # filled from the start of the file
        np.testing.assert_array_equal(last.data[0].asnumpy(), data[[6, 0, 1]])
        np.testing.assert_array_equal(last.label[0].asnumpy(), labels[[6, 0, 1]])
        np.testing.assert_array_equal(last.index, [6, 0, 1])
    else:                  # the previous batch's rows stay in the padded slots
        np.testing.assert_array_equal(last.data[0].asnumpy(), data[[6, 4, 5]])
    it.reset()
    second = list(it)
    starts = [int(b.label[0].asnumpy()[0] / 10) for b in second]
    # round_batch: the next epoch begins after the wrapped samples, as in MXNet
    assert starts == ([2, 5] if round_batch else [0, 3, 6])
    assert [b.pad for b in second] == ([0, 1] if round_batch else [0, 0, 2])


def test_csviter_defaults_and_errors(tmp_path):
    path = _write_csv(tmp_path / 'd.csv', np.ones((4, 3)))
    it = mx.io.CSVIter(data_csv=path, data_shape=(3,), batch_size=2, dtype='int32')
    batch = it.next()
    assert batch.label[0].shape == (2,) and not batch.label[0].asnumpy().any()
    assert batch.data[0].dtype == np.int32
    with pytest.raises(mx.MXNetError, match='rows of 3 values but its shape'):
        mx.io.CSVIter(data_csv=path, data_shape=(2,), batch_size=2)
    with pytest.raises(FileNotFoundError, match='missing.csv'):
        mx.io.CSVIter(data_csv=str(tmp_path / 'missing.csv'), data_shape=(3,), batch_size=2)
    with pytest.raises(TypeError):
        mx.io.CSVIter(path, (3,), 2)                       # keyword arguments only
    short = _write_csv(tmp_path / 'l.csv', np.ones((2, 1)))
    with pytest.raises(mx.MXNetError, match='has 2 rows'):
        mx.io.CSVIter(data_csv=path, data_shape=(3,), label_csv=short, batch_size=2)


# ---------------------------------------------------------------------- MNIST
def _raw_test_set(mnist_dir):
    return (read_idx(mnist_dir / 't10k-images-idx3-ubyte.gz'),
            read_idx(mnist_dir / 't10k-labels-idx1-ubyte.gz'))


def test_mnistiter_flat_and_image(mnist_dir):
    images, labels = _raw_test_set(mnist_dir)
    it = mx.io.MNISTIter(image=str(mnist_dir / 't10k-images-idx3-ubyte.gz'),
                         label=str(mnist_dir / 't10k-labels-idx1-ubyte.gz'),
                         batch_size=300, shuffle=False, flat=True, silent=True)
    assert it.provide_data == [('data', (300, 784))]
    assert it.provide_label == [('softmax_label', (300,))]
    batches = list(it)
    assert len(batches) == 33 and all(b.pad == 0 for b in batches)  # remainder skipped
    np.testing.assert_array_equal(batches[1].data[0].asnumpy(),
                                  images[300:600].reshape(300, 784) / np.float32(256))
    np.testing.assert_array_equal(batches[1].label[0].asnumpy(), labels[300:600])
    it.reset()
    assert len(list(it)) == 33
    # the path without .gz finds the compressed file; images keep their 2-D shape
    it = mx.io.MNISTIter(image=str(mnist_dir / 't10k-images-idx3-ubyte'),
                         label=str(mnist_dir / 't10k-labels-idx1-ubyte'), batch_size=50,
                         num_parts=3, part_index=1, shuffle=False, silent=True)
    batch = it.next()
    assert batch.data[0].shape == (50, 1, 28, 28)
    np.testing.assert_array_equal(batch.label[0].asnumpy(), labels[3333:3383])
    assert sum(1 for _ in it) + 1 == (6666 - 3333) // 50
    with pytest.raises(ValueError, match='read-only'):
        batch.data[0]._data[...] = 0


def test_mnistiter_shuffle_keeps_pairs(mnist_dir):
    images, labels = _raw_test_set(mnist_dir)
    kwargs = dict(image=str(mnist_dir / 't10k-images-idx3-ubyte.gz'),
                  label=str(mnist_dir / 't10k-labels-idx1-ubyte.gz'), batch_size=1000,
                  flat=True, silent=True, seed=5)
    batches = list(mx.io.MNISTIter(**kwargs))
    again = list(mx.io.MNISTIter(**kwargs))
    np.testing.assert_array_equal(batches[0].label[0].asnumpy(), again[0].label[0].asnumpy())
    key = np.random.RandomState(0).rand(784)
    lookup = dict(zip(np.round(images.reshape(-1, 784) @ key, 6), labels))
    data = np.concatenate([b.data[0].asnumpy() for b in batches]) * 256
    got = np.concatenate([b.label[0].asnumpy() for b in batches])
    assert not np.array_equal(got, labels)                          # shuffled
    np.testing.assert_array_equal([lookup[k] for k in np.round(data @ key, 6)], got)


def test_read_idx_errors(tmp_path):
    bad = tmp_path / 'bad-idx1-ubyte'
    bad.write_bytes(b'\x01\x02\x03\x04')
    with pytest.raises(mx.MXNetError, match='not an idx file'):
        read_idx(bad)
    short = tmp_path / 'short-idx1-ubyte.gz'
    with gzip.open(short, 'wb') as f:
        f.write(bytes([0, 0, 8, 1, 0, 0, 0, 5, 1, 2]))
    with pytest.raises(mx.MXNetError, match='truncated'):
        read_idx(short)
    with pytest.raises(FileNotFoundError, match='nowhere'):
        mx.io.MNISTIter(image=str(tmp_path / 'nowhere'), label=str(bad))


def _link_mnist(src, dst):
    dst.mkdir(parents=True)
    for name in os.listdir(src):
        if name.endswith('.gz'):
            os.symlink(src / name, dst / name)


def test_load_mnist_dict(mnist_dir, tmp_path, monkeypatch):
    mnist = load_mnist_dict(mnist_dir)
    assert mnist['train_data'].shape == (22699, 1, 28, 28)
    assert mnist['test_data'].shape == (10000, 1, 28, 28)
    assert mnist['test_label'].shape == (10000,)
    assert all(v.dtype == np.float32 for v in mnist.values())
    images, labels = _raw_test_set(mnist_dir)
    np.testing.assert_array_equal(mnist['test_data'][:5, 0],
                                  images[:5].astype(np.float32) / 255)
    assert mnist['test_data'].max() == 1.0
    np.testing.assert_array_equal(mnist['test_label'], labels)
    # found through $MXLITE_DATA_DIR/mnist
    _link_mnist(mnist_dir, tmp_path / 'data' / 'mnist')
    monkeypatch.setenv('MXLITE_DATA_DIR', str(tmp_path / 'data'))
    monkeypatch.setattr('urllib.request.urlopen', _no_network)
    assert load_mnist_dict()['train_label'].shape == (22699,)


def _no_network(*args, **kwargs):
    raise urllib.error.URLError('offline')


def test_load_mnist_dict_offline_error(tmp_path, monkeypatch):
    monkeypatch.setattr('urllib.request.urlopen', _no_network)
    monkeypatch.setenv('MXLITE_DATA_DIR', str(tmp_path / 'env'))
    monkeypatch.setenv('HOME', str(tmp_path / 'home'))
    with pytest.raises(mx.MXNetError) as info:
        load_mnist_dict()
    message = str(info.value)
    assert str(tmp_path / 'env' / 'mnist') in message
    assert str(tmp_path / 'home' / '.mxlite' / 'datasets' / 'mnist') in message
    assert 'offline' in message and 'train-images-idx3-ubyte.gz' in message
    with pytest.raises(mx.MXNetError, match=str(tmp_path / 'given')):
        load_mnist_dict(tmp_path / 'given')


# ---------------------------------------------------------------------- wrappers
def _batches(it):
    return [([d.asnumpy() for d in b.data], [lab.asnumpy() for lab in b.label], b.pad)
            for b in it]


def _assert_same(got, want):
    assert len(got) == len(want)
    for (gd, gl, gp), (wd, wl, wp) in zip(got, want):
        assert gp == wp
        for g, w in zip(gd + gl, wd + wl):
            np.testing.assert_array_equal(g, w)


def _source(n=10, bs=3, **kwargs):
    return mx.io.NDArrayIter(np.arange(n * 2, dtype='float32').reshape(n, 2), np.arange(n),
                             batch_size=bs, **kwargs)


def test_resize_iter():
    want = _batches(_source())                                  # 4 batches, last padded
    resized = mx.io.ResizeIter(_source(), 6)
    got = _batches(resized)
    _assert_same(got, want + want[:2])
    assert resized.provide_data == _source().provide_data and resized.batch_size == 3
    resized.reset()
    _assert_same(_batches(resized), want + want[:2])
    short = mx.io.ResizeIter(_source(), 2, reset_internal=False)
    _assert_same(_batches(short), want[:2])
    short.reset()
    _assert_same(_batches(short), want[2:4])


def test_prefetching_iter_equals_wrapped():
    want = _batches(_source(last_batch_handle='roll_over'))
    reference = _source(last_batch_handle='roll_over')
    list(reference)
    reference.reset()
    want_epoch2 = _batches(reference)
    it = mx.io.PrefetchingIter(_source(last_batch_handle='roll_over'))
    assert it.provide_data == _source().provide_data and it.batch_size == 3
    _assert_same(_batches(it), want)
    it.reset()
    _assert_same(_batches(it), want_epoch2)
    it.close()


def test_prefetching_iter_combines_and_renames():
    a = _source()
    b = mx.io.NDArrayIter(np.ones((10, 4), 'float32'), np.zeros(10), batch_size=3)
    it = mx.io.PrefetchingIter([a, b], rename_data=[{'data': 'x'}, {'data': 'y'}],
                               rename_label=[{'softmax_label': 'la'},
                                             {'softmax_label': 'lb'}])
    assert [d.name for d in it.provide_data] == ['x', 'y']
    assert [d.name for d in it.provide_label] == ['la', 'lb']
    batches = list(it)
    assert len(batches) == 4 and [len(bt.data) for bt in batches] == [2] * 4
    assert batches[0].provide_data[1].shape == (3, 4)
    it.close()


class _Failing(mx.io.DataIter):
    provide_data = [mx.io.DataDesc('data', (1,))]
    provide_label = []

    def next(self):
        raise RuntimeError('disk on fire')


def test_prefetching_iter_errors():
    it = mx.io.PrefetchingIter(_Failing())
    with pytest.raises(RuntimeError, match='disk on fire'):
        it.next()
    it.close()
    mismatch = mx.io.PrefetchingIter([_source(10), _source(4)])
    with pytest.raises(mx.MXNetError, match='different'):
        list(mismatch)
    mismatch.close()
    with pytest.raises(ValueError, match='rename_data'):
        mx.io.PrefetchingIter([_source()], rename_data=[{}, {}])


def test_prefetching_iter_threads_stop():
    before = threading.active_count()
    it = mx.io.PrefetchingIter([_source(), _source()])
    list(it)
    threads = [w.thread for w in it._workers]
    del it
    for thread in threads:
        thread.join(timeout=5)
        assert not thread.is_alive()
    assert threading.active_count() <= before
