"""mx.mon.Monitor: what it records, when, under which names, and how it prints (MXNet 1.9.1)."""
import logging
import math

import numpy as np
import pytest

import mxlite as mx


def _mlp():
    data = mx.sym.var('data')
    fc1 = mx.sym.FullyConnected(data, num_hidden=4, name='fc1')
    act = mx.sym.Activation(fc1, act_type='relu', name='relu1')
    fc2 = mx.sym.FullyConnected(act, num_hidden=3, name='fc2')
    return mx.sym.SoftmaxOutput(fc2, name='softmax')


def _bound(net=None, batch=2):
    net = net or _mlp()
    ex = net.simple_bind(mx.cpu(), data=(batch, 5))
    rng = np.random.RandomState(0)
    for name, arr in ex.arg_dict.items():
        if name == 'softmax_label':
            arr[:] = np.arange(batch) % 3
        else:
            arr[:] = rng.uniform(-1, 1, arr.shape)
    return ex


def _rms(a):
    a = np.asarray(a, dtype=np.float64)
    return np.sqrt((a ** 2).sum()) / math.sqrt(a.size)


def _run(mon, ex, train=True):
    mon.tic()
    ex.forward(is_train=train)
    if train:
        ex.backward()
    return mon.toc()


def test_default_stat_is_norm_over_sqrt_size_and_text_ends_with_tab():
    ex = _bound()
    mon = mx.mon.Monitor(1, pattern='fc1_output')
    mon.install(ex)
    res = _run(mon, ex, train=False)
    assert [(s, n) for s, n, _ in res] == [(1, 'fc1_output')]
    text = res[0][2]
    assert text.endswith('\t') and text.count('\t') == 1
    # the value: recompute fc1's output from the arguments
    a = ex.arg_dict
    fc1 = a['data'].asnumpy() @ a['fc1_weight'].asnumpy().T + a['fc1_bias'].asnumpy()
    assert float(text) == pytest.approx(_rms(fc1), rel=1e-5)
    assert text == str(np.float32(float(text))) + '\t'


def test_forward_outputs_then_backward_gradients_then_arguments():
    ex = _bound()
    mon = mx.mon.Monitor(1)
    mon.install(ex)
    names = [n for _, n, _ in _run(mon, ex)]
    forward = ['fc1_output', 'relu1_output', 'fc2_output', 'softmax_output']
    assert names[:4] == forward
    grads = [n for n in names if '_backward_' in n]
    # SoftmaxOutput's data gradient (none for the label), FC2's three, ReLU's, FC1's three
    assert grads == ['softmax_backward_0', 'fc2_backward_0', 'fc2_backward_1',
                     'fc2_backward_2', 'relu1_backward_0', 'fc1_backward_0', 'fc1_backward_1',
                     'fc1_backward_2']
    # a gradient that goes nowhere (no gradient array for data) is not reported
    ex2 = _mlp().simple_bind(mx.cpu(), grad_req={'fc1_weight': 'write'}, data=(2, 5))
    mon2 = mx.mon.Monitor(1, pattern='fc1_backward')
    mon2.install(ex2)
    assert [n for _, n, _ in _run(mon2, ex2)] == ['fc1_backward_1']
    # toc appends every argument (and aux state) in list_arguments order
    assert names[-len(ex._arg_names):] == _mlp().list_arguments()


def test_gradient_stats_match_the_gradient_arrays():
    ex = _bound()
    mon = mx.mon.Monitor(1, pattern='.*backward.*')
    mon.install(ex)
    res = dict((n, float(t)) for _, n, t in _run(mon, ex))
    assert res['fc1_backward_1'] == pytest.approx(_rms(ex.grad_dict['fc1_weight'].asnumpy()),
                                                  rel=1e-5)
    assert res['fc2_backward_2'] == pytest.approx(_rms(ex.grad_dict['fc2_bias'].asnumpy()),
                                                  rel=1e-5)


def test_monitor_all_adds_inputs_with_node_and_variable_names():
    ex = _bound()
    mon = mx.mon.Monitor(1, monitor_all=True)
    mon.install(ex)
    names = [n for _, n, _ in _run(mon, ex, train=False)]
    # inputs of fc1: each variable under its own name and as <node>_<input>
    assert names[:7] == ['data', 'fc1_weight', 'fc1_bias', 'fc1_data', 'fc1_weight',
                         'fc1_bias', 'fc1_output']
    assert 'relu1_data' in names and 'softmax_label' in names
    plain = mx.mon.Monitor(1)
    ex2 = _bound()
    plain.install(ex2)
    assert 'fc1_data' not in [n for _, n, _ in _run(plain, ex2, train=False)]


def test_interval_counts_batches_from_tic():
    ex = _bound()
    mon = mx.mon.Monitor(3, pattern='fc2_output')
    mon.install(ex)
    steps = []
    for _ in range(7):
        steps.extend(s for s, _, _ in _run(mon, ex))
    assert steps == [1, 4, 7]
    assert mon.step == 7


def test_pattern_matches_at_the_start_and_sort_orders_by_name():
    ex = _bound()
    mon = mx.mon.Monitor(1, pattern='.*weight|.*output', sort=True)
    mon.install(ex)
    names = [n for _, n, _ in _run(mon, ex, train=False)]
    assert names == sorted(names)
    assert set(names) == {'fc1_output', 'relu1_output', 'fc2_output', 'softmax_output',
                          'fc1_weight', 'fc2_weight'}
    mon = mx.mon.Monitor(1, pattern='output')   # re.match: anchored at the start
    ex2 = _bound()
    mon.install(ex2)
    assert _run(mon, ex2, train=False) == []


def test_aux_states_are_reported_at_toc():
    data = mx.sym.var('data')
    net = mx.sym.BatchNorm(mx.sym.FullyConnected(data, num_hidden=4, name='fc'), name='bn')
    ex = net.simple_bind(mx.cpu(), data=(3, 5))
    ex.aux_dict['bn_moving_var'][:] = 4.0
    mon = mx.mon.Monitor(1, pattern='bn_moving')
    mon.install(ex)
    res = _run(mon, ex, train=False)
    assert [(n, t) for _, n, t in res] == [('bn_moving_mean', '0.0\t'),
                                          ('bn_moving_var', '4.0\t')]


def test_custom_stat_func_lists_and_arrays():
    ex = _bound()

    def stats(x):
        return [mx.nd.max(x), mx.nd.min(x)]
    mon = mx.mon.Monitor(1, stat_func=stats, pattern='data')
    mon.install(ex)
    (_, _, text), = _run(mon, ex, train=False)
    d = ex.arg_dict['data'].asnumpy()
    parts = text.split('\t')
    assert parts[2] == '' and float(parts[0]) == pytest.approx(d.max())
    assert float(parts[1]) == pytest.approx(d.min())
    mon = mx.mon.Monitor(1, stat_func=lambda x: mx.nd.abs(x), pattern='fc2_bias')
    mon.install(ex)
    (_, _, text), = _run(mon, ex, train=False)
    assert text == str(np.abs(ex.arg_dict['fc2_bias'].asnumpy())) + '\t'
    bad = mx.mon.Monitor(1, stat_func=lambda x: 1.0, pattern='data')
    bad.install(ex)
    bad.tic()
    with pytest.raises(TypeError, match='stat_func'):
        bad.toc()


def test_toc_without_tic_is_empty_and_inactive_batches_record_nothing():
    ex = _bound()
    mon = mx.mon.Monitor(2)
    mon.install(ex)
    assert mon.toc() == []
    _run(mon, ex)
    assert _run(mon, ex) == []          # batch 2 is not collected
    assert mon.queue == []


def test_toc_print_logs_mxnet_lines(caplog):
    ex = _bound()
    mon = mx.mon.Monitor(1, pattern='fc1_output')
    mon.install(ex)
    mon.tic()
    ex.forward()
    with caplog.at_level(logging.INFO):
        mon.toc_print()
    (record,) = caplog.records
    msg = record.getMessage()
    assert msg.startswith('Batch:       1 fc1_output' + ' ' * 20 + ' ')
    assert msg.endswith('\t')
    assert msg == 'Batch: {:7d} {:30s} {:s}'.format(1, 'fc1_output', msg[46:])


def test_one_monitor_on_several_executors():
    ex1, ex2 = _bound(), _bound()
    mon = mx.mon.Monitor(1, pattern='fc2_output')
    mon.install(ex1)
    mon.install(ex2)
    mon.tic()
    ex1.forward()
    ex2.forward()
    assert [n for _, n, _ in mon.toc()] == ['fc2_output', 'fc2_output']


def test_module_install_monitor_and_fit(caplog):
    net = _mlp()
    X = np.random.RandomState(1).rand(20, 5).astype('float32')
    y = (np.arange(20) % 3).astype('float32')
    it = mx.io.NDArrayIter(X, y, batch_size=10)
    mod = mx.mod.Module(net)
    mod.bind(data_shapes=it.provide_data, label_shapes=it.provide_label)
    mod.init_params()
    mon = mx.mon.Monitor(1, pattern='fc2_output')
    mod.install_monitor(mon)
    assert len(mon.exes) == 1
    batch = next(iter(it))
    mon.tic()
    mod.forward(batch, is_train=False)
    (step, name, _), = mon.toc()
    assert (step, name) == (1, 'fc2_output')
    # fit calls tic/toc_print around every batch
    mod2 = mx.mod.Module(net)
    mon2 = mx.mon.Monitor(2, pattern='softmax_output')
    with caplog.at_level(logging.INFO):
        mod2.fit(it, num_epoch=1, monitor=mon2, optimizer='sgd')
    lines = [r.getMessage() for r in caplog.records if r.getMessage().startswith('Batch:')]
    assert lines and lines[0].startswith('Batch:       1 softmax_output')
    assert len(lines) == 1                # 2 batches, interval 2


def test_removing_the_monitor_restores_the_plain_loop(monkeypatch):
    ex = _bound()
    mon = mx.mon.Monitor(1)
    mon.install(ex)
    _run(mon, ex)
    ex.set_monitor_callback(None)
    from mxlite import debug

    def fail(*a, **k):
        raise AssertionError('slow path used')
    monkeypatch.setattr(debug, 'run_forward', fail)
    monkeypatch.setattr(debug, 'run_backward', fail)
    ex.forward(is_train=True)
    ex.backward()
