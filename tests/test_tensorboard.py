"""TensorBoard event files: framing and protobuf encoding, the callbacks during a tiny
Module.fit, read back with mxlite's own decoder and, when installed, TensorBoard's."""
import struct

import numpy as np
import pytest

import mxlite as mx
from mxlite import tensorboard_writer as tbw
from mxlite.base import MXNetError
from mxlite.contrib.tensorboard import LogMetricsCallback, TensorBoardCallback


def _event_accumulator(path):
    """TensorBoard's EventAccumulator over `path`, loaded, or skip when not installed."""
    try:
        from tensorboard.backend.event_processing import event_accumulator
    except ImportError as exc:
        pytest.skip('the optional tensorboard package is not installed (%s); mxlite writes '
                    'event files without it, this only cross-checks the reader' % exc)
    acc = event_accumulator.EventAccumulator(str(path), size_guidance={
        event_accumulator.SCALARS: 0, event_accumulator.HISTOGRAMS: 0})
    acc.Reload()
    return acc


def _fit(tmp_path, callbacks, num_epoch=2, batch_size=20, n=60):
    rng = np.random.RandomState(1)
    X = rng.randn(n, 5).astype('float32')
    y = (X[:, 0] > 0).astype('float32')
    train = mx.io.NDArrayIter(X, y, batch_size=batch_size)
    val = mx.io.NDArrayIter(X[:20], y[:20], batch_size=batch_size)
    data = mx.sym.var('data')
    fc1 = mx.sym.FullyConnected(data, num_hidden=4, name='fc1')
    act = mx.sym.Activation(fc1, act_type='relu', name='relu1')
    fc2 = mx.sym.FullyConnected(act, num_hidden=2, name='fc2')
    net = mx.sym.SoftmaxOutput(fc2, name='softmax')
    mod = mx.mod.Module(net)
    mod.fit(train, eval_data=val, num_epoch=num_epoch, eval_metric='acc',
            optimizer_params={'learning_rate': 0.1}, **callbacks)
    return mod, net


# ---------------------------------------------------------------------- low level
def test_crc32c_known_vectors():
    assert tbw.crc32c(b'') == 0
    assert tbw.crc32c(b'123456789') == 0xE3069283
    assert tbw.crc32c(b'\x00' * 32) == 0x8A9136AA
    assert tbw.crc32c(b'456789', tbw.crc32c(b'123')) == 0xE3069283  # incremental


def test_record_framing_layout():
    data = b'hello event'
    rec = tbw.frame_record(data)
    assert len(rec) == 8 + 4 + len(data) + 4
    assert struct.unpack('<Q', rec[:8])[0] == len(data)
    assert struct.unpack('<I', rec[8:12])[0] == tbw.masked_crc32c(rec[:8])
    assert rec[12:-4] == data
    assert struct.unpack('<I', rec[-4:])[0] == tbw.masked_crc32c(data)


def test_event_encoding_round_trip():
    ev = tbw.decode_event(tbw.encode_event(12.5, 7, summary=tbw.scalar_summary('a/b', 0.25)))
    assert ev == {'wall_time': 12.5, 'step': 7,
                  'summary': [{'tag': 'a/b', 'simple_value': 0.25}]}
    assert tbw.decode_event(tbw.encode_event(1.0, -3))['step'] == -3  # int64 varint


def test_histogram_counts_and_edge_cases():
    values = np.array([0.0, 1.0, 1.0, 2.0, 3.0, np.nan, np.inf])
    h = tbw.decode_event(tbw.encode_event(
        0.0, 1, summary=tbw.histogram_summary('h', values, bins=3)))['summary'][0]['histo']
    assert (h['min'], h['max'], h['num'], h['sum'], h['sum_squares']) == (0, 3, 5, 7, 15)
    assert h['bucket_limit'] == [1.0, 2.0, 3.0] and h['bucket'] == [1.0, 2.0, 2.0]
    const = tbw._decode_histo(tbw.histogram_proto(np.full(4, 2.0)))
    assert const['bucket_limit'] == [2.0] and const['bucket'] == [4.0]
    empty = tbw._decode_histo(tbw.histogram_proto(np.array([np.nan])))
    assert empty['num'] == 0


def test_corrupt_and_truncated_files_name_the_offset(tmp_path):
    with tbw.SummaryWriter(tmp_path) as sw:
        sw.add_scalar('x', 1.0, global_step=1)
        path = sw.path
    raw = bytearray(open(path, 'rb').read())
    first = 16 + struct.unpack('<Q', raw[:8])[0]
    bad = tmp_path / 'events.out.tfevents.bad'
    raw[first + 14] ^= 0xFF
    bad.write_bytes(bytes(raw))
    with pytest.raises(MXNetError, match=r'bad data CRC .* offset %d' % first):
        tbw.read_events(bad)
    short = tmp_path / 'events.out.tfevents.short'
    short.write_bytes(open(path, 'rb').read()[:-3])
    with pytest.raises(MXNetError, match=r'truncated record at offset %d' % first):
        tbw.read_events(short)


def test_writer_refuses_after_close(tmp_path):
    sw = tbw.SummaryWriter(tmp_path)
    sw.close()
    with pytest.raises(MXNetError, match='closed'):
        sw.add_scalar('x', 1.0)


def test_graph_def_from_symbol_with_shapes():
    data = mx.sym.var('data')
    conv = mx.sym.Convolution(data, kernel=(3, 3), num_filter=2, name='conv')
    out = mx.sym.FullyConnected(mx.sym.flatten(conv, name='flat'), num_hidden=3, name='fc')
    gd = tbw._decode_graph(tbw.graph_def(out, {'data': (1, 1, 5, 5)}))
    nodes = {n['name']: n for n in gd['node']}
    assert list(nodes) == ['data', 'conv_weight', 'conv_bias', 'conv', 'flat', 'fc_weight',
                           'fc_bias', 'fc']
    assert nodes['conv']['op'] == 'Convolution' and nodes['data']['op'] == 'null'
    assert nodes['conv']['input'] == ['data', 'conv_weight', 'conv_bias']
    assert nodes['conv']['attr']['kernel'] == '(3, 3)'
    assert nodes['conv']['attr']['_output_shapes'] == [(1, 2, 3, 3)]
    assert nodes['fc_weight']['attr']['_output_shapes'] == [(3, 18)]
    # from JSON text: the same nodes, no shapes
    gd2 = tbw._decode_graph(tbw.graph_def(out.tojson()))
    assert [n['name'] for n in gd2['node']] == list(nodes)
    assert '_output_shapes' not in gd2['node'][3]['attr']


def test_graph_def_multi_output_inputs():
    parts = mx.sym.split(mx.sym.var('x'), num_outputs=2, name='sp')
    out = mx.sym.elemwise_add(parts[0], parts[1], name='add')
    gd = tbw._decode_graph(tbw.graph_def(out))
    assert gd['node'][-1]['input'] == ['sp', 'sp:1']


# ---------------------------------------------------------------------- callbacks in fit
def test_log_metrics_callback_in_fit(tmp_path):
    train_dir, val_dir = tmp_path / 'train', tmp_path / 'val'
    assert mx.contrib.tensorboard.LogMetricsCallback is LogMetricsCallback
    train_cb = mx.contrib.tensorboard.LogMetricsCallback(str(train_dir), prefix='train')
    val_cb = LogMetricsCallback(str(val_dir))
    _fit(tmp_path, dict(batch_end_callback=train_cb, eval_end_callback=val_cb))
    events = [e for e in tbw.read_events(train_dir) if 'summary' in e]
    assert events[0]['step'] == 0 and events[-1]['step'] == 1  # step is the epoch
    assert len(events) == 6  # 3 batches x 2 epochs
    assert {e['summary'][0]['tag'] for e in events} == {'train-accuracy'}
    val = [(e['step'], e['summary'][0]['tag']) for e in tbw.read_events(val_dir)
           if 'summary' in e]
    assert val == [(0, 'accuracy'), (1, 'accuracy')]
    assert tbw.read_events(train_dir)[0]['file_version'] == 'brain.Event:2'


def _fit_with_tensorboard(tmp_path):
    tb = TensorBoardCallback(str(tmp_path / 'tb'), histogram_every=2)
    seen = []

    def record(param):  # what the metric said at each batch, for comparison
        seen.append(dict(param.eval_metric.get_name_value()))
    mod, net = _fit(tmp_path, dict(batch_end_callback=[tb, record], epoch_end_callback=tb,
                                   eval_end_callback=tb))
    tb.close()
    return tb, mod, net, seen


def test_tensorboard_callback_own_decoder(tmp_path):
    tb, mod, net, seen = _fit_with_tensorboard(tmp_path)
    events = tbw.read_events(tb.writer.path)
    by_tag = {}
    for e in events:
        for v in e.get('summary', []):
            by_tag.setdefault(v['tag'], []).append((e['step'], v))
    # per-batch metric: one point per batch, steps counting across epochs
    assert [s for s, _ in by_tag['train/accuracy']] == list(range(6))
    np.testing.assert_allclose([v['simple_value'] for _, v in by_tag['train/accuracy']],
                               [d['accuracy'] for d in seen], rtol=1e-6)
    assert [s for s, _ in by_tag['epoch/train-accuracy']] == [0, 1]
    assert [s for s, _ in by_tag['epoch/validation-accuracy']] == [0, 1]
    # gradient histograms every 2 batches, weight histograms per epoch
    assert [s for s, _ in by_tag['grads/fc1_weight']] == [0, 2, 4]
    assert all(v['histo']['sum_squares'] > 0 for _, v in by_tag['grads/fc1_weight'])
    assert [s for s, _ in by_tag['weights/fc2_bias']] == [0, 1]
    arg_params, _ = mod.get_params()
    last = by_tag['weights/fc1_weight'][-1][1]['histo']
    w = arg_params['fc1_weight'].asnumpy().astype(np.float64)
    assert last['num'] == w.size and sum(last['bucket']) == w.size
    np.testing.assert_allclose([last['min'], last['max'], last['sum']],
                               [w.min(), w.max(), w.sum()], rtol=1e-6)
    assert not [t for t in by_tag if t.startswith('aux/')]  # this net has no aux states
    # the graph, once, with shapes from the module's data and label
    graphs = [e['graph_def'] for e in events if 'graph_def' in e]
    assert len(graphs) == 1
    nodes = {n['name']: n for n in graphs[0]['node']}
    assert set(nodes) == set(net.list_arguments()) | {'fc1', 'relu1', 'fc2', 'softmax'}
    assert nodes['fc2']['input'] == ['relu1', 'fc2_weight', 'fc2_bias']
    assert nodes['fc1']['attr']['_output_shapes'] == [(20, 4)]
    assert nodes['softmax_label']['attr']['_output_shapes'] == [(20,)]


def test_tensorboard_callback_read_by_tensorboard(tmp_path):
    tb, mod, net, seen = _fit_with_tensorboard(tmp_path)
    acc = _event_accumulator(tb.writer.path)
    tags = acc.Tags()
    assert {'train/accuracy', 'epoch/train-accuracy',
            'epoch/validation-accuracy'} <= set(tags['scalars'])
    assert {'grads/fc1_weight', 'weights/fc1_weight'} <= set(tags['histograms'])
    assert tags['graph'] is True
    scalars = acc.Scalars('train/accuracy')
    assert [s.step for s in scalars] == list(range(6))
    np.testing.assert_allclose([s.value for s in scalars], [d['accuracy'] for d in seen],
                               rtol=1e-6)
    hist = acc.Histograms('weights/fc1_weight')
    assert [h.step for h in hist] == [0, 1]
    w = mod.get_params()[0]['fc1_weight'].asnumpy()
    assert hist[-1].histogram_value.num == w.size
    np.testing.assert_allclose(hist[-1].histogram_value.max, w.max(), rtol=1e-6)
    graph = acc.Graph()
    by_name = {n.name: n for n in graph.node}
    assert by_name['fc1'].op == 'FullyConnected'
    assert list(by_name['fc2'].input) == ['relu1', 'fc2_weight', 'fc2_bias']
    assert by_name['fc1'].attr['num_hidden'].s == b'4'
    assert [d.size for d in by_name['fc1'].attr['_output_shapes'].list.shape[0].dim] == [20, 4]


def test_log_metrics_callback_read_by_tensorboard(tmp_path):
    cb = LogMetricsCallback(str(tmp_path / 'lm'), prefix='train')
    _fit(tmp_path, dict(batch_end_callback=cb))
    cb.close()
    acc = _event_accumulator(cb.summary_writer.path)
    assert acc.Tags()['scalars'] == ['train-accuracy']
    assert [s.step for s in acc.Scalars('train-accuracy')] == [0, 0, 0, 1, 1, 1]


def test_tensorboard_callback_rejects_odd_calls(tmp_path):
    tb = TensorBoardCallback(str(tmp_path))
    with pytest.raises(TypeError, match='BatchEndParam'):
        tb(1, 2)
    tb.close()
