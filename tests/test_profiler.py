"""mx.profiler: executor and mx.nd operator events, the chrome://tracing file, the
aggregate table, user objects (Task/Frame/Event/Counter/Marker), configuration errors,
the legacy API, and that a stopped profiler leaves the hot paths untouched.
"""
import doctest
import json
import warnings

import numpy as np
import pytest

import mxlite as mx
from mxlite import debug, profiler
from mxlite.ndarray import register

STEPS = 3


@pytest.fixture(autouse=True)
def fresh_profiler(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    profiler._reset()
    yield
    profiler._reset()


def mlp_executor():
    data = mx.sym.var('data')
    net = mx.sym.FullyConnected(data, num_hidden=8, name='fc1')
    net = mx.sym.Activation(net, act_type='relu', name='relu1')
    net = mx.sym.FullyConnected(net, num_hidden=3, name='fc2')
    net = mx.sym.SoftmaxOutput(net, name='softmax')
    ex = net.simple_bind(mx.cpu(), data=(4, 5), softmax_label=(4,))
    rng = np.random.RandomState(0)
    for name, arr in ex.arg_dict.items():
        arr[:] = rng.randint(0, 3, arr.shape) if name == 'softmax_label' \
            else rng.uniform(-1, 1, arr.shape)
    return ex


# forward order of the MLP's operator nodes, and their ops
NODES = [('fc1', 'FullyConnected'), ('relu1', 'Activation'), ('fc2', 'FullyConnected'),
         ('softmax', 'SoftmaxOutput')]


def train_steps(ex, n=STEPS):
    for _ in range(n):
        ex.forward(is_train=True)
        ex.backward()


def load_trace(path='profile.json'):
    with open(path) as f:
        trace = json.load(f)
    assert set(trace) == {'traceEvents', 'displayTimeUnit'}
    assert trace['displayTimeUnit'] == 'ms'
    return trace['traceEvents']


def op_events(events):
    return [e for e in events if e.get('cat') == 'operator']


def table_rows(text):
    """{(category, name): count} of a dumps() table."""
    rows, cat = {}, None
    lines = text.split('\n')
    for line, after in zip(lines, lines[1:] + ['']):
        if after.startswith('====='):
            cat = line
        elif cat and line and not line.startswith(('=====', 'Name ', '----')):
            parts = line.split()
            rows[(cat, ' '.join(parts[:-5]))] = int(parts[-5])
    return rows


# ---------------------------------------------------------------------- executor events
def test_mlp_trace_has_one_forward_and_one_backward_event_per_node_per_step():
    ex = mlp_executor()
    profiler.set_config(profile_all=True, filename='mlp.json')
    profiler.set_state('run')
    train_steps(ex)
    profiler.set_state('stop')
    profiler.dump()
    events = load_trace('mlp.json')
    ops = op_events(events)
    per_step = [(node, op) for node, op in NODES] + \
               [(node, '_backward_' + op) for node, op in reversed(NODES)]
    assert [(e['args']['node'], e['name']) for e in ops] == per_step * STEPS
    for e in ops:
        assert e['ph'] == 'X' and e['dur'] >= 0 and e['ts'] >= 0
        assert isinstance(e['pid'], int) and isinstance(e['tid'], int)
    starts = [e['ts'] for e in ops]
    assert starts == sorted(starts)
    # each event ends before the next one starts (they run one after another)
    for a, b in zip(ops, ops[1:]):
        assert a['ts'] + a['dur'] <= b['ts'] + 1e-3
    meta = [e for e in events if e['ph'] == 'M']
    assert meta == [{'name': 'process_name', 'ph': 'M', 'pid': ops[0]['pid'],
                     'args': {'name': 'cpu/0'}}]


def test_profiled_run_gives_the_same_numbers():
    plain, profiled = mlp_executor(), mlp_executor()
    train_steps(plain, 1)
    profiler.set_state('run')
    train_steps(profiled, 1)
    profiler.set_state('stop')
    np.testing.assert_array_equal(plain.outputs[0].asnumpy(), profiled.outputs[0].asnumpy())
    for name in ('fc1_weight', 'fc2_bias'):
        np.testing.assert_array_equal(plain.grad_dict[name].asnumpy(),
                                      profiled.grad_dict[name].asnumpy())


def test_profiler_works_with_a_monitor_and_the_nan_check():
    ex = mlp_executor()
    seen = []
    ex.set_monitor_callback(lambda name, arr: seen.append(name))
    profiler.set_state('run')
    with mx.debug.nan_check():
        train_steps(ex, 1)
    profiler.set_state('stop')
    profiler.dump()
    assert len(op_events(load_trace())) == 2 * len(NODES)
    assert 'fc1_output' in seen


def test_module_fit_is_profiled():
    data = mx.sym.var('data')
    net = mx.sym.SoftmaxOutput(mx.sym.FullyConnected(data, num_hidden=2, name='fc'),
                               name='softmax')
    it = mx.io.NDArrayIter(np.ones((8, 3), 'float32'), np.zeros(8, 'float32'), batch_size=4)
    mod = mx.mod.Module(net)
    profiler.set_config(profile_symbolic=True, profile_imperative=False,
                        aggregate_stats=True)
    profiler.set_state('run')
    mod.fit(it, num_epoch=1)
    profiler.set_state('stop')
    rows = table_rows(profiler.dumps())
    assert rows[('operator', 'FullyConnected')] >= 2
    assert rows[('operator', '_backward_FullyConnected')] == 2


# ---------------------------------------------------------------------- stopped = untouched
def test_stopped_or_paused_profiler_records_nothing_and_unhooks():
    ex = mlp_executor()
    assert debug._PROFILE is None and register._PROFILE_HOOK is None
    train_steps(ex, 1)
    mx.nd.relu(mx.nd.ones((2,)))
    profiler.set_state('run')
    assert debug._PROFILE is not None and register._PROFILE_HOOK is not None
    profiler.pause()
    assert debug._PROFILE is None and register._PROFILE_HOOK is None
    train_steps(ex, 1)
    mx.nd.relu(mx.nd.ones((2,)))
    profiler.Task(profiler.Domain('d'), 't').start()
    profiler.resume()
    ex.forward()
    profiler.set_state('stop')
    assert debug._PROFILE is None and register._PROFILE_HOOK is None
    train_steps(ex, 1)
    mx.nd.relu(mx.nd.ones((2,)))
    profiler.dump()
    assert [e['args']['node'] for e in load_trace() if e['ph'] != 'M'] == \
        [node for node, _ in NODES]


# ---------------------------------------------------------------------- imperative
@pytest.mark.parametrize('flags, expect_nd, expect_exe', [
    (dict(), True, True),                              # MXNet's defaults record both
    (dict(profile_imperative=False), False, True),
    (dict(profile_symbolic=False), True, False),
    (dict(profile_symbolic=False, profile_imperative=False), False, False),
    (dict(profile_symbolic=False, profile_imperative=False, profile_all=True), True, True),
])
def test_imperative_and_symbolic_switches(flags, expect_nd, expect_exe):
    ex = mlp_executor()
    profiler.set_config(**flags)
    profiler.set_state('run')
    x = mx.nd.array([[-1.0, 2.0]])
    y = mx.nd.relu(x) * 3
    mx.nd.FullyConnected(y, mx.nd.ones((4, 2)), mx.nd.zeros((4,)), num_hidden=4)
    ex.forward()
    profiler.set_state('stop')
    profiler.dump()
    ops = op_events(load_trace())
    nd = [e['name'] for e in ops if 'args' not in e]
    exe = [e['args']['node'] for e in ops if 'args' in e]
    assert nd == (['relu', '_mul_scalar', 'FullyConnected'] if expect_nd else [])
    assert exe == ([node for node, _ in NODES] if expect_exe else [])


# ---------------------------------------------------------------------- aggregate table
def test_dumps_table_counts_every_op():
    ex = mlp_executor()
    profiler.set_config(aggregate_stats=True)
    profiler.set_state('run')
    train_steps(ex)
    for _ in range(5):
        mx.nd.relu(mx.nd.ones((3,)))
    profiler.set_state('stop')
    text = profiler.dumps()
    lines = text.split('\n')
    assert lines[1:7] == [
        'Profile Statistics:', '\tNote the difference in units for different entries.',
        'operator', '=================',
        'Name                          Total Count        Time (ms)    Min Time (ms)    '
        'Max Time (ms)    Avg Time (ms)',
        '----                          -----------        ---------    -------------    '
        '-------------    -------------']
    assert table_rows(text) == {
        ('operator', 'FullyConnected'): 2 * STEPS, ('operator', 'Activation'): STEPS,
        ('operator', 'SoftmaxOutput'): STEPS,
        ('operator', '_backward_FullyConnected'): 2 * STEPS,
        ('operator', '_backward_Activation'): STEPS,
        ('operator', '_backward_SoftmaxOutput'): STEPS, ('operator', 'relu'): 5}
    for line in lines[7:]:
        if line:
            count, total, lo, hi, avg = [float(v) for v in line.split()[1:]]
            assert 0 <= lo <= avg <= hi <= total + 1e-4
            assert abs(avg * count - total) <= 1e-4 * count
    # reset=True prints, then forgets
    assert table_rows(profiler.dumps(reset=True)) != {}
    assert table_rows(profiler.dumps()) == {}


@pytest.mark.parametrize('sort_by, column', [
    ('total', 'Total Time'), ('avg', 'Avg Time'), ('min', 'Min Time'),
    ('max', 'Max Time'), ('count', 'Total Count')])
@pytest.mark.parametrize('ascending', [False, True])
def test_dumps_json_and_sorting(sort_by, column, ascending):
    ex = mlp_executor()
    profiler.set_config(aggregate_stats=True)
    profiler.set_state('run')
    train_steps(ex, 2)
    profiler.set_state('stop')
    out = json.loads(profiler.dumps(format='json', sort_by=sort_by, ascending=ascending))
    assert out['Unit']['Time'] == 'ms'
    ops = out['Time']['operator']
    assert ops['FullyConnected']['Total Count'] == 4
    assert ops['_backward_SoftmaxOutput']['Total Count'] == 2
    values = [v[column] for v in ops.values()]
    assert values == sorted(values, reverse=not ascending)
    table = profiler.dumps(sort_by=sort_by, ascending=ascending)
    assert list(table_rows(table)) == [('operator', name) for name in ops]


def test_dumps_without_aggregate_stats_warns():
    profiler.set_state('run')
    mx.nd.relu(mx.nd.ones((2,)))
    profiler.set_state('stop')
    with pytest.warns(UserWarning, match='aggregate_stats is off'):
        assert table_rows(profiler.dumps()) == {}


@pytest.mark.parametrize('kwargs, match', [
    (dict(format='csv'), "format must be 'table' or 'json', got 'csv'"),
    (dict(sort_by='mean'), "sort_by must be one of total, avg, min, max, count, got 'mean'"),
])
def test_dumps_bad_arguments(kwargs, match):
    with pytest.raises(mx.MXNetError, match=match):
        profiler.dumps(**kwargs)


# ---------------------------------------------------------------------- dump
def test_dump_finished_false_keeps_events_and_true_forgets_them():
    profiler.set_state('run')
    mx.nd.relu(mx.nd.ones((2,)))
    profiler.dump(finished=False)
    assert [e['name'] for e in op_events(load_trace())] == ['relu']
    mx.nd.sigmoid(mx.nd.ones((2,)))
    profiler.dump()
    assert [e['name'] for e in op_events(load_trace())] == ['relu', 'sigmoid']
    profiler.dump()
    assert op_events(load_trace()) == []


def test_continuous_dump_writes_at_stop():
    profiler.set_config(continuous_dump=True, filename='cont.json')
    profiler.set_state('run')
    mx.nd.relu(mx.nd.ones((2,)))
    profiler.set_state('stop')
    assert [e['name'] for e in op_events(load_trace('cont.json'))] == ['relu']


# ---------------------------------------------------------------------- user objects
def test_user_objects_appear_in_trace_and_table():
    profiler.set_config(aggregate_stats=True)
    dom = profiler.Domain('pipeline')
    task, frame = dom.new_task('decode'), profiler.Frame(dom, 'batch')
    event = profiler.Event('wait')
    counter = dom.new_counter('queued', 5)          # before run: not recorded
    marker = profiler.Marker(dom, 'epoch end')
    profiler.set_state('run')
    for _ in range(2):
        task.start()
        task.stop()
    with frame:
        event.start()
        event.stop()
    counter.increment(2)
    counter -= 4
    counter.set_value(10)
    marker.mark()
    marker.mark('global')
    profiler.set_state('stop')
    profiler.dump()
    events = load_trace()
    by_name = {}
    for e in events:
        by_name.setdefault(e['name'], []).append(e)
    assert [e['cat'] for e in by_name['decode']] == ['pipeline', 'pipeline']
    assert by_name['batch'][0]['ph'] == 'X' and by_name['batch'][0]['dur'] >= 0
    assert by_name['wait'][0]['cat'] == 'event'
    assert [(e['ph'], e['args']) for e in by_name['queued']] == \
        [('C', {'queued': 7}), ('C', {'queued': 3}), ('C', {'queued': 10})]
    assert [(e['ph'], e['s']) for e in by_name['epoch end']] == [('i', 'p'), ('i', 'g')]
    names = {e['args']['name'] for e in events if e['ph'] == 'M'}
    assert names == {'pipeline', 'event'}
    # the frame encloses the event
    f, w = by_name['batch'][0], by_name['wait'][0]
    assert f['ts'] <= w['ts'] and w['ts'] + w['dur'] <= f['ts'] + f['dur'] + 1e-3
    assert table_rows(profiler.dumps()) == {
        ('pipeline', 'decode'): 2, ('pipeline', 'batch'): 1, ('event', 'wait'): 1}
    assert counter.value == 10


@pytest.mark.parametrize('call, match', [
    (lambda: profiler.Task(profiler.Domain('d'), 't').stop(),
     r"Task\(d:t\): stop\(\) called before start\(\)"),
    (lambda: profiler.Marker(profiler.Domain('d'), 'm').mark('local'),
     "scope must be one of global, process, thread, task, marker, got 'local'"),
])
def test_user_object_errors(call, match):
    with pytest.raises(mx.MXNetError, match=match):
        call()


# ---------------------------------------------------------------------- configuration
@pytest.mark.parametrize('kwargs, match', [
    (dict(profile_symbol=True), "unknown option 'profile_symbol' \\(did you mean "
     "'profile_symbolic'\\?\\); the options are aggregate_stats, "),
    (dict(file_name='x.json'), "unknown option 'file_name' \\(did you mean 'filename'"),
    (dict(profile_all='yes please'), "profile_all expects True or False, got 'yes please'"),
    (dict(aggregate_stats=2), 'aggregate_stats expects True or False, got 2'),
    (dict(filename=3), 'filename must be a string, got 3'),
    (dict(dump_period=0), 'dump_period must be a positive number of seconds, got 0'),
    (dict(profile_process='ps'), "profile_process must be 'worker' or 'server', got 'ps'"),
    (dict(profile_process='server'), 'needs a distributed kvstore server'),
])
def test_set_config_rejects_bad_options_and_keeps_the_old_config(kwargs, match):
    profiler.set_config(filename='kept.json', aggregate_stats=True)
    with pytest.raises(mx.MXNetError, match=match):
        profiler.set_config(**dict(dict(profile_imperative=False), **kwargs))
    assert profiler._config['filename'] == 'kept.json'
    assert profiler._config['profile_imperative'] is True


def test_set_config_accepts_mxnet_string_values_and_resets_the_rest():
    profiler.set_config(profile_all='True', aggregate_stats='1', filename='a.json')
    assert profiler._config['profile_all'] is True
    assert profiler._config['aggregate_stats'] is True
    profiler.set_config(filename='b.json')
    assert profiler._config == dict(profiler._DEFAULTS, filename='b.json')


@pytest.mark.parametrize('state', ['start', 'running', 1, None])
def test_set_state_rejects_bad_states(state):
    with pytest.raises(mx.MXNetError, match="state must be 'run' or 'stop'"):
        profiler.set_state(state)
    assert profiler.state() == 'stop'


def test_legacy_api():
    ex = mlp_executor()
    with pytest.warns(DeprecationWarning):
        profiler.profiler_set_config(mode='all', filename='legacy.json')
    assert profiler._config['profile_all'] is True
    with warnings.catch_warnings():
        warnings.simplefilter('ignore', DeprecationWarning)
        profiler.profiler_set_state('run')
        ex.forward()
        profiler.profiler_set_state('stop')
        profiler.dump_profile()
        with pytest.raises(mx.MXNetError, match="mode must be one of symbolic, imperative"):
            profiler.profiler_set_config(mode='everything')
    assert [e['args']['node'] for e in op_events(load_trace('legacy.json'))] == \
        [node for node, _ in NODES]


def test_mx_profiler_is_exposed():
    assert mx.profiler is profiler
    for name in profiler.__all__:
        assert hasattr(mx.profiler, name)


def test_docstring_examples_run():
    finder = doctest.DocTestFinder(exclude_empty=True)
    runner = doctest.DocTestRunner(optionflags=doctest.NORMALIZE_WHITESPACE |
                                   doctest.ELLIPSIS)
    tests = [t for t in finder.find(profiler, globs={'mx': mx}) if t.examples]
    assert {t.name.split('.')[-1] for t in tests} >= {
        'set_config', 'set_state', 'dump', 'dumps', 'Domain', 'Task', 'Counter', 'Marker'}
    for t in tests:
        profiler._reset()      # each example starts from a stopped, empty profiler
        runner.run(t)
    assert runner.failures == 0
