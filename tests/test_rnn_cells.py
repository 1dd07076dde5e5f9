"""mx.rnn: cells unrolled into graphs, the fused cell against its unfused twin (forward and
gradients, same weights), weight packing, modifier cells, checkpoints and the bucketing
sentence iterator. The LSTM LM graph built here must be MXNet's byte for byte."""
import numpy as np
import pytest

import mxlite as mx
from mxlite.base import MXNetError

T, N, I = 4, 3, 5


# ----------------------------------------------------------------------------- helpers
def _run(sym, args, heads_grad=True, seed=0, dtype=np.float64):
    """Forward (train) + backward with a fixed random head gradient; -> outputs, grads."""
    rng = np.random.RandomState(seed)
    arrays = {k: mx.nd.array(v, dtype=dtype) for k, v in args.items()}
    grads = {k: mx.nd.zeros(v.shape, dtype=dtype) for k, v in args.items()}
    ex = sym.bind(mx.cpu(), arrays, args_grad=grads)
    outs = ex.forward(is_train=True)
    heads = [rng.randn(*o.shape) for o in outs]
    if heads_grad:
        ex.backward([mx.nd.array(h, dtype=dtype) for h in heads])
    return [o.asnumpy() for o in outs], {k: g.asnumpy() for k, g in grads.items()}


def _fused_and_unfused(mode, layers, bi, hidden=3):
    fused = mx.rnn.FusedRNNCell(hidden, num_layers=layers, mode=mode, bidirectional=bi,
                                prefix='%s_' % mode)
    stack = fused.unfuse()
    data = mx.sym.var('data')
    f_out, _ = fused.unroll(T, data, layout='TNC', merge_outputs=True,
                            begin_state=fused.begin_state(dtype='float64'))
    u_out, _ = stack.unroll(T, data, layout='TNC', merge_outputs=True,
                            begin_state=stack.begin_state(dtype='float64'))
    return fused, stack, f_out, u_out


FUSED_CASES = [('lstm', 1, False), ('lstm', 2, True), ('gru', 2, False), ('gru', 1, True),
               ('rnn_tanh', 2, True), ('rnn_relu', 1, False)]


@pytest.mark.parametrize('mode, layers, bi', FUSED_CASES)
def test_unfused_cells_match_the_fused_op(mode, layers, bi):
    fused, stack, f_out, u_out = _fused_and_unfused(mode, layers, bi)
    rng = np.random.RandomState(1)
    f_args = dict(zip(f_out.list_arguments(),
                      f_out.infer_shape(data=(T, N, I))[0]))
    packed = rng.uniform(-0.5, 0.5, f_args['%s_parameters' % mode])
    x = rng.randn(T, N, I)
    # fused weights -> per-gate pieces -> the unfused cells' i2h/h2h arrays
    pieces = fused.unpack_weights({'%s_parameters' % mode: mx.nd.array(packed,
                                                                       dtype=np.float64)})
    u_params = stack.pack_weights(pieces)
    assert sorted(u_params) == sorted(a for a in u_out.list_arguments() if a != 'data')
    f_res, f_grads = _run(f_out, {'data': x, '%s_parameters' % mode: packed})
    u_res, u_grads = _run(u_out, dict({k: v.asnumpy() for k, v in u_params.items()}, data=x))
    np.testing.assert_allclose(u_res[0], f_res[0], rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(u_grads['data'], f_grads['data'], rtol=1e-9, atol=1e-12)
    # unfused gradients, packed the same way, are the fused op's parameter gradient
    back = fused.pack_weights(stack.unpack_weights(
        {k: mx.nd.array(v, dtype=np.float64) for k, v in u_grads.items() if k != 'data'}))
    np.testing.assert_allclose(back['%s_parameters' % mode].asnumpy(),
                               f_grads['%s_parameters' % mode], rtol=1e-9, atol=1e-12)


def test_fused_states_outputs_match_unfused_states():
    fused = mx.rnn.FusedRNNCell(3, num_layers=2, mode='lstm', get_next_state=True,
                                prefix='lstm_')
    stack = fused.unfuse()
    data = mx.sym.var('data')
    with pytest.warns(UserWarning, match='NTC layout'):
        f_out, f_states = fused.unroll(T, data, layout='NTC', merge_outputs=True,
                                       begin_state=fused.begin_state(dtype='float64'))
    u_out, u_states = stack.unroll(T, data, layout='NTC', merge_outputs=True,
                                   begin_state=stack.begin_state(dtype='float64'))
    assert [s.attr('__layout__') for s in f_states] == ['LNC', 'LNC']
    f_sym = mx.sym.Group([f_out] + f_states)
    u_sym = mx.sym.Group([u_out] + u_states)
    rng = np.random.RandomState(2)
    size = f_sym.infer_shape(data=(N, T, I))[0][1][0]
    packed = rng.uniform(-0.5, 0.5, size)
    u_params = stack.pack_weights(fused.unpack_weights(
        {'lstm_parameters': mx.nd.array(packed, dtype=np.float64)}))
    x = rng.randn(N, T, I)
    f_res, _ = _run(f_sym, {'data': x, 'lstm_parameters': packed}, heads_grad=False)
    u_res, _ = _run(u_sym, dict({k: v.asnumpy() for k, v in u_params.items()}, data=x),
                    heads_grad=False)
    np.testing.assert_allclose(u_res[0], f_res[0], rtol=1e-10)
    # fused hy is (layers, N, H); the stack's states are [h0, c0, h1, c1]
    np.testing.assert_allclose(f_res[1][0], u_res[1], rtol=1e-10)
    np.testing.assert_allclose(f_res[1][1], u_res[3], rtol=1e-10)
    np.testing.assert_allclose(f_res[2][1], u_res[4], rtol=1e-10)


def test_lstm_lm_graph_is_mxnets(golden):
    """The golden lstm_lm model was built by MXNet's mx.rnn.LSTMCell; ours writes the same
    JSON, including the `_zeros` begin states of shape (0, 16)."""
    data = mx.sym.Variable('data')
    label = mx.sym.Variable('softmax_label')
    with mx.name.NameManager():
        embed = mx.sym.Embedding(data=data, input_dim=20, output_dim=8, name='embed')
        cell = mx.rnn.LSTMCell(16, prefix='lstm_')
        out, _ = cell.unroll(5, inputs=embed, layout='NTC', merge_outputs=True)
        pred = mx.sym.Reshape(out, shape=(-1, 16), name='reshape_pred')
        pred = mx.sym.FullyConnected(data=pred, num_hidden=20, name='pred')
        label = mx.sym.Reshape(label, shape=(-1,), name='reshape_label')
        sym = mx.sym.SoftmaxOutput(data=pred, label=label, name='softmax')
    assert sym.tojson() == (golden / 'models' / 'lstm_lm-symbol.json').read_text()
    # and it runs: the begin states take their batch size from their consumers
    args, outs, _ = sym.infer_shape(data=(4, 5), softmax_label=(4, 5))
    assert outs == [(20, 20)]


@pytest.mark.parametrize('make', [
    lambda: mx.rnn.RNNCell(4, prefix='rnn_'),
    lambda: mx.rnn.RNNCell(4, activation='relu', prefix='rnn_'),
    lambda: mx.rnn.LSTMCell(4, prefix='lstm_'),
    lambda: mx.rnn.GRUCell(4, prefix='gru_'),
])
def test_step_by_step_equals_unroll_and_layouts_agree(make):
    cell = make()
    x = np.random.RandomState(3).randn(N, T, I)
    data = mx.sym.var('data')
    ntc, _ = cell.unroll(T, data, layout='NTC', merge_outputs=True,
                         begin_state=cell.begin_state(dtype='float64'))
    cell2 = make()
    tnc, _ = cell2.unroll(T, mx.sym.swapaxes(data, dim1=0, dim2=1), layout='TNC',
                          merge_outputs=True, begin_state=cell2.begin_state(dtype='float64'))
    cell3 = make()
    steps, _ = cell3.unroll(T, data, layout='NTC', merge_outputs=False,
                            begin_state=cell3.begin_state(dtype='float64'))
    assert isinstance(steps, list) and len(steps) == T
    shapes = dict(zip(ntc.list_arguments(), ntc.infer_shape(data=x.shape)[0]))
    rng = np.random.RandomState(4)
    args = {k: rng.randn(*s) * 0.5 for k, s in shapes.items() if k != 'data'}
    args['data'] = x
    a = _run(ntc, args, heads_grad=False)[0][0]
    b = _run(tnc, args, heads_grad=False)[0][0]
    c = _run(mx.sym.Group(steps), args, heads_grad=False)[0]
    np.testing.assert_allclose(a, b.transpose(1, 0, 2), rtol=1e-12)
    np.testing.assert_allclose(a, np.stack(c, axis=1), rtol=1e-12)


def test_param_names_state_info_and_begin_state():
    cell = mx.rnn.LSTMCell(8, prefix='lstm_')
    assert sorted(cell.params._params) == ['lstm_h2h_bias', 'lstm_h2h_weight',
                                           'lstm_i2h_bias', 'lstm_i2h_weight']
    assert cell.params.get('i2h_bias').attr('__init__') == '["lstmbias", {"forget_bias": 1.0}]'
    assert cell.state_info == [{'shape': (0, 8), '__layout__': 'NC'}] * 2
    states = cell.begin_state()
    assert [s.name for s in states] == ['lstm_begin_state_0', 'lstm_begin_state_1']
    fused = mx.rnn.FusedRNNCell(8, num_layers=2, bidirectional=True, mode='gru')
    assert fused.state_info == [{'shape': (4, 0, 8), '__layout__': 'LNC'}]
    assert fused.params.get('parameters').name == 'gru_parameters'
    assert '"fusedrnn"' in fused.params.get('parameters').attr('__init__')
    shared = mx.rnn.RNNParams('shared_')
    a = mx.rnn.GRUCell(4, prefix='a_', params=shared)
    b = mx.rnn.GRUCell(4, prefix='b_', params=shared)
    assert a._iW is b._iW and a._iW.name == 'shared_i2h_weight'


def test_unpack_pack_round_trip_names():
    cell = mx.rnn.GRUCell(2, prefix='gru_')
    rng = np.random.RandomState(5)
    args = {'gru_i2h_weight': mx.nd.array(rng.randn(6, 3)), 'gru_i2h_bias': mx.nd.zeros(6),
            'gru_h2h_weight': mx.nd.array(rng.randn(6, 2)), 'gru_h2h_bias': mx.nd.ones(6)}
    pieces = cell.unpack_weights(args)
    assert sorted(pieces) == sorted('gru_%s%s_%s' % (g, gate, k) for g in ('i2h', 'h2h')
                                    for gate in ('_r', '_z', '_o') for k in ('weight', 'bias'))
    np.testing.assert_array_equal(pieces['gru_i2h_z_weight'].asnumpy(),
                                  args['gru_i2h_weight'].asnumpy()[2:4])
    back = cell.pack_weights(pieces)
    for k in args:
        np.testing.assert_array_equal(back[k].asnumpy(), args[k].asnumpy())
    fused = mx.rnn.FusedRNNCell(2, num_layers=1, mode='gru', prefix='gru_')
    with pytest.raises(MXNetError, match='does not fit'):
        fused.unpack_weights({'gru_parameters': mx.nd.zeros(7)})


def test_modifier_cells():
    data = mx.sym.var('data')
    x = np.random.RandomState(6).randn(N, T, 4)
    base = mx.rnn.RNNCell(4, prefix='rnn_')
    plain, _ = base.unroll(T, data, merge_outputs=True)
    shapes = dict(zip(plain.list_arguments(), plain.infer_shape(data=x.shape)[0]))
    rng = np.random.RandomState(7)
    args = {k: rng.randn(*s) * 0.5 for k, s in shapes.items() if k != 'data'}
    args['data'] = x
    want = _run(plain, args, heads_grad=False, dtype=np.float32)[0][0]

    res = mx.rnn.ResidualCell(mx.rnn.RNNCell(4, prefix='rnn_'))
    out, _ = res.unroll(T, data, merge_outputs=True)
    np.testing.assert_allclose(_run(out, args, heads_grad=False, dtype=np.float32)[0][0], want + x, rtol=1e-5)
    steps, _ = mx.rnn.ResidualCell(mx.rnn.RNNCell(4, prefix='rnn_')).unroll(
        T, data, merge_outputs=False)
    assert steps[0].name.endswith('_plus_residual')

    zone = mx.rnn.ZoneoutCell(mx.rnn.RNNCell(4, prefix='rnn_'), zoneout_outputs=0.5,
                              zoneout_states=0.5)
    out, _ = zone.unroll(T, data, merge_outputs=True)
    ex = out.bind(mx.cpu(), {k: mx.nd.array(v) for k, v in args.items()})
    np.testing.assert_allclose(ex.forward(is_train=False)[0].asnumpy(), want, rtol=1e-5)
    assert not np.allclose(ex.forward(is_train=True)[0].asnumpy(), want)

    wrapped = mx.rnn.RNNCell(4, prefix='rnn_')
    zone = mx.rnn.ZoneoutCell(wrapped, zoneout_states=0.1)
    with pytest.raises(MXNetError, match='modifier'):
        wrapped.begin_state()
    assert len(zone.begin_state()) == 1
    with pytest.raises(MXNetError, match='unfuse'):
        mx.rnn.ZoneoutCell(mx.rnn.FusedRNNCell(4))

    stack = mx.rnn.SequentialRNNCell()
    stack.add(mx.rnn.RNNCell(4, prefix='rnn_'))
    stack.add(mx.rnn.DropoutCell(0.5, prefix='drop_'))
    out, _ = stack.unroll(T, data, merge_outputs=True)
    assert 'Dropout' in out.tojson()
    np.testing.assert_allclose(_run(out, args, heads_grad=False, dtype=np.float32)[0][0].shape, want.shape)


def test_bidirectional_cell():
    bi = mx.rnn.BidirectionalCell(mx.rnn.GRUCell(3, prefix='l_'), mx.rnn.GRUCell(3, prefix='r_'))
    data = mx.sym.var('data')
    out, states = bi.unroll(T, data, merge_outputs=True)
    assert out.name == 'bi_out' and len(states) == 2 and len(states[0]) == 1
    assert out.infer_shape(data=(N, T, I))[1] == [(N, T, 6)]
    outs, _ = bi.unroll(T, data, merge_outputs=False)
    assert [o.name for o in outs] == ['bi_t%d' % t for t in range(T)]
    with pytest.raises(NotImplementedError):
        bi(data, bi.begin_state())


def test_rnn_checkpoints_store_unpacked_weights(tmp_path):
    fused = mx.rnn.FusedRNNCell(2, num_layers=1, mode='lstm', prefix='lstm_')
    out, _ = fused.unroll(3, mx.sym.var('data'), layout='TNC')
    size = out.infer_shape(data=(3, 2, 4))[0][1][0]
    packed = mx.nd.array(np.arange(size, dtype=np.float32))
    prefix = str(tmp_path / 'lm')
    mx.rnn.save_rnn_checkpoint(fused, prefix, 3, out, {'lstm_parameters': packed}, {})
    saved = mx.nd.load(prefix + '-0003.params')
    assert 'arg:lstm_l0_i2h_f_weight' in saved and 'arg:lstm_parameters' not in saved
    sym, arg, aux = mx.rnn.load_rnn_checkpoint(fused, prefix, 3)
    np.testing.assert_array_equal(arg['lstm_parameters'].asnumpy(), packed.asnumpy())
    callback = mx.rnn.do_rnn_checkpoint([fused], prefix, period=2)
    callback(0, out, {'lstm_parameters': packed}, {})
    callback(1, out, {'lstm_parameters': packed}, {})
    assert (tmp_path / 'lm-0002.params').exists() and not (tmp_path / 'lm-0001.params').exists()


def test_encode_sentences():
    coded, vocab = mx.rnn.encode_sentences([['a', 'b'], ['b', 'c', 'a']], invalid_label=0,
                                           start_label=1)
    assert coded == [[1, 2], [2, 3, 1]] and vocab['\n'] == 0
    coded, vocab = mx.rnn.encode_sentences([['a', 'zz']], vocab=dict(vocab),
                                           unknown_token='<unk>')
    assert coded == [[1, 4]] and vocab['<unk>'] == 4
    with pytest.raises(KeyError, match='zz'):
        mx.rnn.encode_sentences([['zz']], vocab={'a': 0})


def test_bucket_sentence_iter():
    rng = np.random.RandomState(8)
    sents = [list(rng.randint(1, 9, size=n)) for n in [2, 3, 3, 5, 5, 5, 9, 2, 4, 4]]
    it = mx.rnn.BucketSentenceIter(sents, batch_size=2, buckets=[3, 5], invalid_label=0)
    assert it.default_bucket_key == 5
    assert it.provide_data[0].shape == (2, 5) and it.provide_label[0].name == 'softmax_label'
    seen = []
    for batch in it:
        d, lab = batch.data[0].asnumpy(), batch.label[0].asnumpy()
        assert d.shape == (2, batch.bucket_key) == batch.provide_data[0].shape
        np.testing.assert_array_equal(lab[:, :-1], d[:, 1:])
        assert np.all(lab[:, -1] == 0)
        seen.append(batch.bucket_key)
    assert sorted(seen) == [3, 3, 5, 5]   # 3 sentences of length <= 3 fill one batch + one
    it.reset()
    assert len(list(it)) == 4
    tn = mx.rnn.BucketSentenceIter(sents, batch_size=2, buckets=[3, 5], layout='TN')
    assert next(iter(tn)).data[0].shape[1] == 2
    with pytest.raises(ValueError, match='layout'):
        mx.rnn.BucketSentenceIter(sents, batch_size=2, buckets=[3], layout='TC')
