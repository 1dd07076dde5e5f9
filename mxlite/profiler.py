"""mx.profiler: time every operator and write a chrome://tracing file, as MXNet's does.

``set_config(...)`` then ``set_state('run')`` records one event per operator call --
executor forward and backward steps (``profile_symbolic``) and ``mx.nd`` calls
(``profile_imperative``) -- with the op name, the node name, the start time and the
duration, plus the events of your own `Task`, `Frame`, `Event`, `Counter` and `Marker`
objects. ``dump()`` writes them to the configured file in the Trace Event format that
chrome://tracing (and Perfetto) read; ``dumps()`` returns per-operator totals as MXNet's
aggregate table (``aggregate_stats=True``).

How it costs nothing when stopped: the executor only leaves its plain loop for the
instrumented one of `mxlite.debug` while ``debug._PROFILE`` is set, which happens only
while the profiler runs; ``mx.nd`` checks ``register._PROFILE_HOOK`` once per call.

Differences from MXNet, by design:

* ``profile_memory`` and ``profile_api`` are accepted and have no effect: NumPy owns
  the memory and there is no C API to time.
* Backward events are named ``_backward_<op>``, as MXNet's backward nodes are; the time
  of a backward event is the gradient kernel's, not the accumulation into ``grad_req='add'``
  arrays that follows it. Imperative gradients (``autograd.backward``) are not recorded.
* ``continuous_dump=True`` rewrites the file at every ``set_state('stop')`` rather than
  every ``dump_period`` seconds (there is no background thread).
* On a GPU each operator is synchronised before its end time is taken, so the times are
  the kernels' and not the launches'.
"""
import json
import os
import threading
import time
import warnings

from .base import MXNetError, did_you_mean

__all__ = ['set_config', 'set_state', 'dump', 'dumps', 'pause', 'resume', 'dump_profile',
           'profiler_set_config', 'profiler_set_state', 'Domain', 'Task', 'Frame', 'Event',
           'Counter', 'Marker']

_clock = time.perf_counter_ns
_get_ident = threading.get_ident
_T0 = _clock()   # trace timestamps count from here, in microseconds

# set_config's options and MXNet's defaults; each set_config call starts from these
_DEFAULTS = {'filename': 'profile.json', 'profile_all': False, 'profile_symbolic': True,
             'profile_imperative': True, 'profile_memory': True, 'profile_api': True,
             'continuous_dump': False, 'dump_period': 1.0, 'aggregate_stats': False,
             'profile_process': 'worker'}
_SORT_KEYS = ('total', 'avg', 'min', 'max', 'count')

_config = dict(_DEFAULTS)
_state = 'stop'
_paused = False
_recording = False     # running and not paused: user objects record
_aggregate = False     # _recording and aggregate_stats
# (ph, name, category, start ns, duration ns or None, process (label or Context),
#  thread ident, args (dict, a node name, or None))
_events = []
_stats = {}            # (category, name) -> [count, total ns, min ns, max ns]
_lock = threading.Lock()


# ---------------------------------------------------------------------- recording
def _sync(ctx):
    if ctx is not None and ctx.device_type == 'gpu':
        ctx.xp.cuda.Device(ctx.device_id).synchronize()


def _add_stat(cat, name, dur):
    s = _stats.get((cat, name))
    if s is None:
        _stats[(cat, name)] = [1, dur, dur, dur]
        return
    s[0] += 1
    s[1] += dur
    if dur < s[2]:
        s[2] = dur
    if dur > s[3]:
        s[3] = dur


def _record_step(node, backward, t0, ctx):
    """Called by debug.run_forward/run_backward right after a step's kernel, with the
    time taken before it."""
    _sync(ctx)
    dur = _clock() - t0
    name = '_backward_' + node.op.name if backward else node.op.name
    _events.append(('X', name, 'operator', t0, dur, ctx, _get_ident(), node.name))
    if _aggregate:
        _add_stat('operator', name, dur)


def _run_imperative(op, p, in_data, outs, opctx):
    """Runs one mx.nd kernel for ndarray.register.invoke while imperative ops are profiled."""
    t0 = _clock()
    op.forward(p, in_data, outs, opctx)
    _sync(opctx.ctx)
    dur = _clock() - t0
    _events.append(('X', op.name, 'operator', t0, dur, opctx.ctx, _get_ident(), None))
    if _aggregate:
        _add_stat('operator', op.name, dur)


def _record_user(ph, name, cat, t0, dur, where, args=None):
    _events.append((ph, name, cat, t0, dur, where, _get_ident(), args))
    if _aggregate and dur is not None:
        _add_stat(cat, name, dur)


def _reset():
    """Back to the state at import: stopped, default config, nothing recorded (tests)."""
    global _state, _paused
    _state, _paused = 'stop', False
    _config.clear()
    _config.update(_DEFAULTS)
    del _events[:]
    _stats.clear()
    _apply()


def _apply():
    """Point the executor and mx.nd hooks at the recorders, or take them away."""
    global _recording, _aggregate
    from . import debug
    from .ndarray import register
    on = _state == 'run' and not _paused
    every = _config['profile_all']
    _recording = on
    _aggregate = on and _config['aggregate_stats']
    debug._PROFILE = _record_step if on and (every or _config['profile_symbolic']) else None
    register._PROFILE_HOOK = \
        _run_imperative if on and (every or _config['profile_imperative']) else None


# ---------------------------------------------------------------------- control
def _as_bool(key, value):
    if isinstance(value, str) and value.strip().lower() in ('true', '1', 'false', '0'):
        return value.strip().lower() in ('true', '1')
    if isinstance(value, (bool, int)) and value in (0, 1):
        return bool(value)
    raise MXNetError('set_config: %s expects True or False, got %r' % (key, value))


def _check_process(fn, profile_process):
    if profile_process == 'worker':
        return
    if profile_process == 'server':
        raise MXNetError("%s: profile_process='server' needs a distributed kvstore server, "
                         "which mxlite does not have; use 'worker'" % fn)
    raise MXNetError("%s: profile_process must be 'worker' or 'server', got %r"
                     % (fn, profile_process))


def set_config(**kwargs):
    """Configure the profiler (keyword arguments only).

    Options left out take their defaults again, as in MXNet.

    Parameters
    ----------
    filename : str, default 'profile.json'
        Where `dump` writes the trace.
    profile_all : bool, default False
        Record every kind of event (overrides the two below).
    profile_symbolic : bool, default True
        Record executor forward/backward steps.
    profile_imperative : bool, default True
        Record ``mx.nd`` operator calls.
    profile_memory, profile_api : bool, default True
        Accepted for compatibility; mxlite records neither.
    continuous_dump : bool, default False
        Rewrite the file whenever the profiler is stopped.
    dump_period : float, default 1.0
        Accepted for compatibility (seconds between dumps in MXNet).
    aggregate_stats : bool, default False
        Keep per-operator totals for `dumps`.
    profile_process : {'worker'}
        Which process to configure; mxlite has no kvstore server.

    Raises
    ------
    MXNetError
        An unknown option, or a value of the wrong kind; the configuration is unchanged.

    Examples
    --------
    >>> import mxlite as mx
    >>> mx.profiler.set_config(profile_all=True, aggregate_stats=True,
    ...                        filename='profile.json')
    >>> try:
    ...     mx.profiler.set_config(profile_symbol=True)
    ... except mx.MXNetError as err:
    ...     print(str(err).split(';')[0])
    set_config: unknown option 'profile_symbol' (did you mean 'profile_symbolic'?)
    """
    new = dict(_DEFAULTS)
    for key, value in kwargs.items():
        if key not in _DEFAULTS:
            raise MXNetError("set_config: unknown option '%s'%s; the options are %s"
                             % (key, did_you_mean(key, _DEFAULTS), ', '.join(sorted(_DEFAULTS))))
        if key == 'filename':
            if not isinstance(value, (str, os.PathLike)):
                raise MXNetError('set_config: filename must be a string, got %r' % (value,))
            value = os.fspath(value)
        elif key == 'dump_period':
            try:
                value = float(value)
            except (TypeError, ValueError):
                value = -1.0
            if not value > 0:
                raise MXNetError('set_config: dump_period must be a positive number of '
                                 'seconds, got %r' % (kwargs[key],))
        elif key == 'profile_process':
            _check_process('set_config', value)
        else:
            value = _as_bool(key, value)
        new[key] = value
    _config.clear()
    _config.update(new)
    _apply()


def set_state(state='stop', profile_process='worker'):
    """Start (``'run'``) or stop (``'stop'``) recording.

    Examples
    --------
    >>> import mxlite as mx
    >>> mx.profiler.set_state('run')
    >>> _ = mx.nd.ones((2, 2)) * 2
    >>> mx.profiler.set_state('stop')
    """
    global _state, _paused
    _check_process('set_state', profile_process)
    if state not in ('run', 'stop'):
        raise MXNetError("set_state: state must be 'run' or 'stop', got %r" % (state,))
    was = _state
    _state, _paused = state, False
    _apply()
    if was == 'run' and state == 'stop' and _config['continuous_dump']:
        dump(finished=False)


def state():
    """The profiler's state: ``'run'`` or ``'stop'`` (paused still counts as running)."""
    return _state


def pause(profile_process='worker'):
    """Stop recording for a while without leaving the ``'run'`` state; see `resume`."""
    global _paused
    _check_process('pause', profile_process)
    _paused = True
    _apply()


def resume(profile_process='worker'):
    """Record again after `pause`."""
    global _paused
    _check_process('resume', profile_process)
    _paused = False
    _apply()


# ---------------------------------------------------------------------- output
def _us(ns):
    return round(ns / 1000.0, 3)


def _trace(events):
    """The Trace Event JSON object (chrome://tracing) of recorded events."""
    pids, tids, out = {}, {}, []
    for ph, name, cat, t0, dur, where, tid, args in events:
        if not isinstance(where, str):    # a Context: one process row per device
            where = '%s/%d' % (where.device_type, where.device_id)
        pid = pids.setdefault(where, len(pids))
        ev = {'name': name, 'cat': cat, 'ph': ph, 'ts': _us(t0 - _T0), 'pid': pid,
              'tid': tids.setdefault(tid, len(tids))}
        if dur is not None:
            ev['dur'] = _us(dur)
        if ph == 'i':
            ev['s'] = {'global': 'g', 'process': 'p'}.get(args['scope'], 't')
        if isinstance(args, str):
            ev['args'] = {'node': args}
        elif args is not None:
            ev['args'] = args
        out.append(ev)
    meta = [{'name': 'process_name', 'ph': 'M', 'pid': pid, 'args': {'name': label}}
            for label, pid in pids.items()]
    return {'traceEvents': meta + out, 'displayTimeUnit': 'ms'}


def dump(finished=True, profile_process='worker'):
    """Write the recorded events to the configured file as chrome://tracing JSON.

    Parameters
    ----------
    finished : bool, default True
        True: this trace is complete; the events are written and then forgotten, so the
        next `dump` starts a new file. False: they are kept, and a later dump writes
        them again together with newer ones.

    Examples
    --------
    >>> import json, os, tempfile
    >>> import mxlite as mx
    >>> path = os.path.join(tempfile.mkdtemp(), 'trace.json')
    >>> mx.profiler.set_config(profile_imperative=True, filename=path)
    >>> mx.profiler.set_state('run')
    >>> _ = mx.nd.relu(mx.nd.array([-1.0, 2.0]))
    >>> mx.profiler.set_state('stop')
    >>> mx.profiler.dump()
    >>> trace = json.load(open(path))
    >>> [(e['name'], e['cat']) for e in trace['traceEvents'] if e['ph'] == 'X']
    [('relu', 'operator')]
    """
    _check_process('dump', profile_process)
    with _lock:
        events = list(_events)
        if finished:
            del _events[:len(events)]
    trace = _trace(events)
    # one event per line: readable, and far smaller than indented JSON
    text = '{\n"traceEvents": [\n%s\n],\n"displayTimeUnit": "ms"\n}\n' % ',\n'.join(
        json.dumps(e) for e in trace['traceEvents'])
    with open(_config['filename'], 'w') as f:
        f.write(text)


def dump_profile():
    """Deprecated MXNet name of ``dump(finished=True)``."""
    warnings.warn('profiler.dump_profile() is deprecated; use profiler.dump()',
                  DeprecationWarning, stacklevel=2)
    dump(True)


def _fmt_table(cats):
    lines = ['', 'Profile Statistics:',
             '\tNote the difference in units for different entries.']
    row = '%-25s%16s %16s %16s %16s %16s'
    for cat, rows in cats.items():
        lines += [cat, '=================',
                  row % ('Name', 'Total Count', 'Time (ms)', 'Min Time (ms)',
                         'Max Time (ms)', 'Avg Time (ms)'),
                  row % ('----', '-----------', '---------', '-------------',
                         '-------------', '-------------')]
        for name, (count, total, lo, hi) in rows:
            lines.append('%-25s%16d %16.4f %16.4f %16.4f %16.4f'
                         % (name, count, total / 1e6, lo / 1e6, hi / 1e6, total / 1e6 / count))
        lines.append('')
    return '\n'.join(lines) + '\n'


def dumps(reset=False, format='table', sort_by='total', ascending=False):
    """Per-operator totals since the start (or the last reset), as a printable string.

    Needs ``set_config(aggregate_stats=True)``. Each row is one name in one category
    (``operator`` for op calls, a domain's name for its tasks and frames, ``event`` for
    `Event`): the number of calls and the total, min, max and average time in ms.

    Parameters
    ----------
    reset : bool, default False
        Forget the totals after printing them.
    format : {'table', 'json'}
    sort_by : {'total', 'avg', 'min', 'max', 'count'}
    ascending : bool, default False

    Examples
    --------
    >>> import mxlite as mx
    >>> mx.profiler.set_config(aggregate_stats=True)
    >>> mx.profiler.set_state('run')
    >>> a = mx.nd.ones((3,))
    >>> for _ in range(4):
    ...     _ = mx.nd.relu(a)
    >>> mx.profiler.set_state('stop')
    >>> print(mx.profiler.dumps(reset=True, sort_by='count'))   # doctest: +ELLIPSIS
    <BLANKLINE>
    Profile Statistics:
    	Note the difference in units for different entries.
    operator
    =================
    Name                          Total Count        Time (ms)    Min Time (ms) ...
    ----                          -----------        ---------    ------------- ...
    relu                                    4 ...
    <BLANKLINE>
    <BLANKLINE>
    """
    if format not in ('table', 'json'):
        raise MXNetError("dumps: format must be 'table' or 'json', got %r" % (format,))
    if sort_by not in _SORT_KEYS:
        raise MXNetError('dumps: sort_by must be one of %s, got %r'
                         % (', '.join(_SORT_KEYS), sort_by))
    if not _config['aggregate_stats']:
        warnings.warn('profiler.dumps(): aggregate_stats is off, so there are no totals; '
                      'call profiler.set_config(aggregate_stats=True, ...) before running',
                      stacklevel=2)
    key = {'total': lambda s: s[1], 'avg': lambda s: s[1] / s[0], 'min': lambda s: s[2],
           'max': lambda s: s[3], 'count': lambda s: s[0]}[sort_by]
    with _lock:
        stats = {k: list(v) for k, v in _stats.items()}
        if reset:
            _stats.clear()
    cats = {}   # operators first, then the other categories by name; rows by name
    for (cat, name), s in sorted(stats.items(), key=lambda kv: (kv[0][0] != 'operator',
                                                                kv[0])):
        cats.setdefault(cat, []).append((name, s))
    for rows in cats.values():   # stable: equal keys stay in name order
        rows.sort(key=lambda r: key(r[1]), reverse=not ascending)
    if format == 'table':
        return _fmt_table(cats)
    ms = lambda ns: round(ns / 1e6, 4)   # noqa: E731
    out = {cat: {name: {'Total Count': c, 'Total Time': ms(t), 'Min Time': ms(lo),
                        'Max Time': ms(hi), 'Avg Time': ms(t / c)}
                 for name, (c, t, lo, hi) in rows}
           for cat, rows in cats.items()}
    return json.dumps({'Time': out, 'Memory': {}, 'Unit': {'Time': 'ms', 'Memory': 'kB'}},
                      indent=4)


def profiler_set_config(mode='symbolic', filename='profile.json'):
    """Deprecated MXNet form: ``set_config(profile_<mode>=True, filename=filename)``.

    `mode` is ``'symbolic'``, ``'imperative'``, ``'api'``, ``'memory'`` or ``'all'``.
    """
    warnings.warn('profiler.profiler_set_config() is deprecated; use profiler.set_config()',
                  DeprecationWarning, stacklevel=2)
    modes = ('symbolic', 'imperative', 'api', 'memory', 'all')
    if mode not in modes:
        raise MXNetError('profiler_set_config: mode must be one of %s, got %r'
                         % (', '.join(modes), mode))
    set_config(**{'profile_' + mode: True, 'filename': filename})


def profiler_set_state(state='stop'):
    """Deprecated MXNet name of `set_state`."""
    warnings.warn('profiler.profiler_set_state() is deprecated; use profiler.set_state()',
                  DeprecationWarning, stacklevel=2)
    set_state(state)


# ---------------------------------------------------------------------- user objects
class Domain:
    """A group for your own tasks, frames, counters and markers: their category in the
    trace (and in `dumps`), and one process row in chrome://tracing.

    Examples
    --------
    >>> import mxlite as mx
    >>> d = mx.profiler.Domain('data')
    >>> d.new_task('decode'), d.new_counter('queued', 0)
    (Task(data:decode), Counter(data:queued=0))
    """

    def __init__(self, name):
        self.name = str(name)

    def new_task(self, name):
        return Task(self, name)

    def new_frame(self, name):
        return Frame(self, name)

    def new_counter(self, name, value=None):
        return Counter(self, name, value)

    def new_marker(self, name):
        return Marker(self, name)

    def __str__(self):
        return self.name

    def __repr__(self):
        return 'Domain(%s)' % self.name


class _Duration:
    """Something timed from start() to stop(); recorded at stop() while the profiler
    runs. Also a `with` block."""

    def __init__(self, domain, name):
        self.domain, self.name = domain, str(name)
        self._t0 = None

    def _where(self):
        return self.domain.name

    def start(self):
        self._t0 = _clock()

    def stop(self):
        if self._t0 is None:
            raise MXNetError("%r: stop() called before start()" % self)
        t0, self._t0 = self._t0, None
        if _recording:
            where = self._where()
            _record_user('X', self.name, where, t0, _clock() - t0, where)

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop()

    def __str__(self):
        return self.name

    def __repr__(self):
        return '%s(%s:%s)' % (type(self).__name__, self._where(), self.name)


class Task(_Duration):
    """A named piece of work in a `Domain`, timed from `start` to `stop`.

    Examples
    --------
    >>> import mxlite as mx
    >>> mx.profiler.set_config(aggregate_stats=True)
    >>> mx.profiler.set_state('run')
    >>> task = mx.profiler.Task(mx.profiler.Domain('io'), 'load')
    >>> task.start(); task.stop()
    >>> mx.profiler.set_state('stop')
    >>> print(mx.profiler.dumps(reset=True).strip().split('\\n')[-1].split()[:2])
    ['load', '1']
    """


class Frame(_Duration):
    """Like `Task`, for a repeated unit of work (one batch, one iteration)."""


class Event(_Duration):
    """A named duration without a domain (category ``event``); `start` and `stop`."""

    def __init__(self, name):
        super().__init__(None, name)

    def _where(self):
        return 'event'


class Counter:
    """A value that changes over time; each change is a counter event in the trace.

    Parameters
    ----------
    domain : Domain
    name : str
    value : int, optional
        The starting value (recorded when the profiler is running).

    Examples
    --------
    >>> import mxlite as mx
    >>> c = mx.profiler.Counter(mx.profiler.Domain('data'), 'queued', 2)
    >>> c.increment(3); c.decrement(); c += 10
    >>> c.value
    14
    """

    def __init__(self, domain, name, value=None):
        self.domain, self.name = domain, str(name)
        self.value = 0
        if value is not None:
            self.set_value(value)

    def set_value(self, value):
        """Set the value."""
        self.value = int(value)
        if _recording:
            _record_user('C', self.name, self.domain.name, _clock(), None, self.domain.name,
                         {self.name: self.value})

    def increment(self, delta=1):
        """Add `delta` to the value."""
        self.set_value(self.value + int(delta))

    def decrement(self, delta=1):
        """Subtract `delta` from the value."""
        self.set_value(self.value - int(delta))

    def __iadd__(self, delta):
        self.increment(delta)
        return self

    def __isub__(self, delta):
        self.decrement(delta)
        return self

    def __repr__(self):
        return 'Counter(%s:%s=%d)' % (self.domain.name, self.name, self.value)


class Marker:
    """An instant in time, shown as a tick in the trace.

    Examples
    --------
    >>> import mxlite as mx
    >>> m = mx.profiler.Marker(mx.profiler.Domain('train'), 'epoch end')
    >>> m.mark()             # recorded only while the profiler runs
    """
    _SCOPES = ('global', 'process', 'thread', 'task', 'marker')

    def __init__(self, domain, name):
        self.domain, self.name = domain, str(name)

    def mark(self, scope='process'):
        """Record the instant; `scope` is 'global', 'process', 'thread', 'task' or 'marker'."""
        if scope not in self._SCOPES:
            raise MXNetError('Marker.mark: scope must be one of %s, got %r'
                             % (', '.join(self._SCOPES), scope))
        if _recording:
            _record_user('i', self.name, self.domain.name, _clock(), None, self.domain.name,
                         {'scope': scope})

    def __repr__(self):
        return 'Marker(%s:%s)' % (self.domain.name, self.name)
