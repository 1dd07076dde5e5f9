"""BucketingModule: buckets share the default bucket's parameters, gradients, optimizer
and memory (the pool after visiting every bucket stays within 10% of the largest single
bucket's plan); results equal a plain Module's; the LSTM LM example learns."""
import importlib.util
import pathlib

import numpy as np
import pytest

import mxlite as mx
from mxlite.base import MXNetError

V, E, H, B = 30, 8, 16, 4
ROOT = pathlib.Path(__file__).resolve().parent.parent


def _sym_gen(fused):
    cell = mx.rnn.FusedRNNCell(H, num_layers=2, mode='lstm', prefix='lstm_') if fused \
        else mx.rnn.LSTMCell(H, prefix='lstm_')

    def sym_gen(seq_len):
        data = mx.sym.var('data')
        label = mx.sym.var('softmax_label')
        x = mx.sym.Embedding(data, input_dim=V, output_dim=E, name='embed')
        cell.reset()
        if fused:
            out, _ = cell.unroll(seq_len, mx.sym.swapaxes(x, dim1=0, dim2=1), layout='TNC',
                                 merge_outputs=True)
            out = mx.sym.swapaxes(out, dim1=0, dim2=1)
        else:
            out, _ = cell.unroll(seq_len, x, layout='NTC', merge_outputs=True)
        pred = mx.sym.FullyConnected(mx.sym.Reshape(out, shape=(-1, H)), num_hidden=V,
                                     name='pred')
        sym = mx.sym.SoftmaxOutput(pred, mx.sym.Reshape(label, shape=(-1,)), name='softmax')
        return sym, ('data',), ('softmax_label',)
    return sym_gen


def _batch(seq_len, seed=0):
    rng = np.random.RandomState(seed + seq_len)
    data = mx.nd.array(rng.randint(0, V, size=(B, seq_len)))
    label = mx.nd.array(rng.randint(0, V, size=(B, seq_len)))
    return mx.io.DataBatch([data], [label], bucket_key=seq_len,
                           provide_data=[mx.io.DataDesc('data', (B, seq_len))],
                           provide_label=[mx.io.DataDesc('softmax_label', (B, seq_len))])


def _module(fused, buckets=(4, 7, 12), default=12):
    mod = mx.mod.BucketingModule(_sym_gen(fused), default_bucket_key=default)
    mod.bind([('data', (B, default))], [('softmax_label', (B, default))])
    mx.random.seed(0)
    mod.init_params(mx.init.Xavier())
    mod.init_optimizer(optimizer='sgd', optimizer_params={'learning_rate': 0.1})
    for k in buckets:
        mod.forward_backward(_batch(k))
        mod.update()
    return mod


@pytest.mark.parametrize('fused', [False, True], ids=['unrolled', 'fused'])
def test_buckets_share_parameters_gradients_and_optimizer(fused):
    mod = _module(fused)
    assert sorted(mod._buckets) == [4, 7, 12]
    groups = [m._exec_group for m in mod._buckets.values()]
    ref = groups[0]
    for g in groups[1:]:
        assert g.param_names == ref.param_names
        for a, b in zip(g.param_arrays, ref.param_arrays):
            assert a[0]._data is b[0]._data
        for a, b in zip(g.grad_arrays, ref.grad_arrays):
            assert a[0]._data is b[0]._data
    updaters = {id(m._updater) for m in mod._buckets.values()}
    assert len(updaters) == 1


@pytest.mark.parametrize('fused', [False, True], ids=['unrolled', 'fused'])
def test_memory_after_all_buckets_stays_near_the_largest_plan(fused):
    from mxlite.graph import memory
    if not hasattr(memory, 'SharedPool'):
        pytest.skip('needs the executor memory-pool hook (simple_bind shared_exec -> '
                    'graph.memory.SharedPool), not in this tree yet')
    mod = _module(fused, buckets=(3, 5, 8, 12, 9, 4))
    stats = mod._memory_stats()
    plans = {k: s['forward_bytes'] + s['grad_bytes'] for k, s in stats.items()}
    largest = max(plans.values())
    pools = {id(m._exec_group.execs[0]._mem_pool) for m in mod._buckets.values()}
    assert len(pools) == 1
    total = mod._buckets[12]._exec_group.execs[0]._mem_pool.total
    assert total == max(s['pool_bytes'] for s in stats.values())
    assert total <= 1.1 * largest, (total, plans)
    assert sum(plans.values()) > 2 * largest     # what unshared executors would hold


@pytest.mark.parametrize('fused', [False, True], ids=['unrolled', 'fused'])
def test_each_bucket_computes_what_a_plain_module_computes(fused):
    mod = _module(fused)
    arg, aux = mod.get_params()
    for k in (7, 12, 4):   # other buckets ran in between: shared memory must not leak
        batch = _batch(k, seed=5)
        mod.forward(batch, is_train=True)
        mod.backward()
        got = mod.get_outputs()[0].asnumpy()
        got_grads = [g[0].asnumpy().copy() for g in mod._curr_module._exec_group.grad_arrays]
        sym, _, _ = _sym_gen(fused)(k)
        plain = mx.mod.Module(sym)
        plain.bind(batch.provide_data, batch.provide_label)
        plain.set_params(arg, aux)
        plain.forward(batch, is_train=True)
        plain.backward()
        np.testing.assert_allclose(got, plain.get_outputs()[0].asnumpy(), rtol=1e-6)
        for a, b in zip(got_grads, plain._exec_group.grad_arrays):
            np.testing.assert_allclose(a, b[0].asnumpy(), rtol=1e-5, atol=1e-7)


def test_update_in_one_bucket_is_seen_by_all():
    mod = _module(False)
    before = mod.get_params()[0]['pred_weight'].asnumpy().copy()
    mod.forward_backward(_batch(4, seed=9))
    mod.update()
    after = mod.get_params()[0]['pred_weight'].asnumpy()
    assert not np.allclose(before, after)
    default_w = mod._buckets[12]._exec_group.param_arrays[
        mod._buckets[12]._exec_group.param_names.index('pred_weight')][0].asnumpy()
    np.testing.assert_array_equal(default_w, after)


def test_prepare_binds_ahead_and_keeps_the_current_bucket():
    mod = _module(False, buckets=(4,))
    mod.forward(_batch(12))
    mod.prepare(_batch(6))
    assert 6 in mod._buckets and mod._curr_bucket_key == 12
    assert mod.data_shapes[0].shape == (B, 12)
    mod.forward(_batch(6))
    assert mod.output_shapes == [('softmax_output', (B * 6, V))]


def test_checkpoint_round_trip(tmp_path):
    mod = _module(False)
    prefix = str(tmp_path / 'bucket')
    mod.save_checkpoint(prefix, 2)
    loaded = mx.mod.BucketingModule.load(prefix, 2, sym_gen=_sym_gen(False),
                                         default_bucket_key=12)
    loaded.bind([('data', (B, 12))], [('softmax_label', (B, 12))], for_training=False)
    batch = _batch(7, seed=3)
    mod.forward(batch, is_train=False)
    loaded.forward(batch, is_train=False)
    np.testing.assert_allclose(loaded.get_outputs()[0].asnumpy(),
                               mod.get_outputs()[0].asnumpy(), rtol=1e-6)


def test_errors():
    with pytest.raises(MXNetError, match='default_bucket_key'):
        mx.mod.BucketingModule(_sym_gen(False))
    with pytest.raises(MXNetError, match='sym_gen'):
        mx.mod.BucketingModule(lambda k: mx.sym.var('data'), default_bucket_key=3)
    mod = mx.mod.BucketingModule(_sym_gen(False), default_bucket_key=5)
    with pytest.raises(MXNetError, match='shared_module'):
        mod.bind([('data', (B, 5))], [('softmax_label', (B, 5))], shared_module=mod)


def _example():
    spec = importlib.util.spec_from_file_location('lstm_lm', ROOT / 'examples' / 'lstm_lm.py')
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_lstm_lm_example_perplexity_falls():
    """A small, fast version of examples/lstm_lm.py (same code, smaller corpus and net)."""
    lm = _example()
    history = lm.train(num_epochs=3, batch_size=16, buckets=(8, 14, 22), vocab=300,
                       num_embed=16, num_hidden=32, max_sentences=2500, lr=0.3)
    assert len(history) == 3
    train_ppl = [t for t, _ in history]
    val_ppl = [v for _, v in history]
    assert train_ppl[0] > train_ppl[1] > train_ppl[2], history
    assert val_ppl[0] > val_ppl[1] > val_ppl[2], history
    assert train_ppl[2] < 150      # far below the vocabulary size (chance level is 300)
