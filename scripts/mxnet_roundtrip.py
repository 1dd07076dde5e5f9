#!/usr/bin/env python3
"""Round trip of mxlite's files through the real MXNet 1.9.1 (and back).

    python3 scripts/mxnet_roundtrip.py [--mxnet-python PATH] [--workdir DIR] [--keep]

1. mxlite trains a small MLP (with BatchNorm, SGD + momentum) and a LeNet (Adam) with
   ``Module.fit`` on synthetic data and writes checkpoints (symbol JSON, ``.params``,
   ``.states``), plus ``.nd`` files of every dtype, a dict and a list.
2. This same file runs under MXNet's Python (``--child JOB``): MXNet loads everything
   (``mx.model.load_checkpoint``, ``Module.load(..., load_optimizer_states=True)``,
   ``mx.nd.load``), predicts on a fixed input, re-saves every file, writes the same
   ``.nd`` contents from plain NumPy values, and trains one more batch from the loaded
   optimizer states.
3. Back in mxlite: MXNet's outputs against mxlite's (rtol 1e-5), MXNet's re-saved and
   freshly written files byte for byte against mxlite's originals, and every file MXNet
   wrote loaded in mxlite. A summary table is printed; the exit status is 0 only when
   every check passes.

The functions taking ``mx`` run unchanged on both sides (``mx`` is ``mxlite`` here and
``mxnet`` in the child), so the child never imports mxlite and the parent never imports
mxnet. Inputs and outputs cross between the two as ``.npy``/``.npz`` files, so value
checks do not depend on the format under test.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import traceback

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
DEFAULT_MXNET_PYTHON = os.path.join(os.environ.get('PEERS_HOME', '/tmp/peers-venvs'),
                                    'mxnet', 'bin', 'python')
RTOL, ATOL = 1e-5, 1e-6
EPOCH = 1
TRAIN_BATCH, N_TRAIN, N_INFER = 16, 64, 8

MODELS = {
    'mlp': {'data_shape': [20], 'optimizer': 'sgd',
            'optimizer_params': {'learning_rate': 0.1, 'momentum': 0.9, 'wd': 1e-4}},
    'lenet': {'data_shape': [1, 28, 28], 'optimizer': 'adam',
              'optimizer_params': {'learning_rate': 0.002, 'wd': 1e-4}},
}


# ---------------------------------------------------------------- code run by both sides
def states_to_arrays(states):
    """{index: NDArray | (NDArray, ...) | None} -> {'<index>/<k>': ndarray} (sorted)."""
    flat = {}
    for index in sorted(states):
        value = states[index]
        parts = [] if value is None else (list(value) if isinstance(value, (tuple, list))
                                          else [value])
        flat['%d/n' % index] = np.array(len(parts))
        for k, part in enumerate(parts):
            flat['%d/%d' % (index, k)] = part.asnumpy()
    return flat


def params_to_arrays(arg_params, aux_params):
    out = {'arg:' + k: v.asnumpy() for k, v in arg_params.items()}
    out.update({'aux:' + k: v.asnumpy() for k, v in aux_params.items()})
    return out


def predict(mx, prefix, epoch, x):
    """Inference on `x` from a checkpoint, through Module.load and through an executor."""
    mod = mx.mod.Module.load(prefix, epoch, context=mx.cpu())
    mod.bind(data_shapes=[('data', x.shape)], for_training=False)
    mod.forward(mx.io.DataBatch([mx.nd.array(x, dtype=x.dtype)]), is_train=False)
    by_module = mod.get_outputs()[0].asnumpy()

    sym, arg_params, aux_params = mx.model.load_checkpoint(prefix, epoch)
    exe = sym.simple_bind(ctx=mx.cpu(), grad_req='null', data=x.shape)
    exe.copy_params_from(arg_params, aux_params, allow_extra_params=True)
    exe.arg_dict['data'][:] = mx.nd.array(x, dtype=x.dtype)
    exe.forward(is_train=False)
    return {'module': by_module, 'executor': exe.outputs[0].asnumpy()}


def resume(mx, prefix, epoch, spec, x, y, out_prefix):
    """Module.load with optimizer states, re-save, then train one batch and save again.

    Returns the loaded optimizer states, and the parameters and states after the batch.
    """
    mod = mx.mod.Module.load(prefix, epoch, load_optimizer_states=True, context=mx.cpu())
    mod.bind(data_shapes=[('data', x.shape)], label_shapes=[('softmax_label', y.shape)],
             for_training=True)
    mod.init_optimizer(kvstore='local', optimizer=spec['optimizer'],
                       optimizer_params=dict(spec['optimizer_params']))
    loaded = states_to_arrays(mod._updater.states)
    mod.save_checkpoint(out_prefix, epoch, save_optimizer_states=True)
    # the other writer: mx.model.save_checkpoint from what load_checkpoint returned
    sym, arg_params, aux_params = mx.model.load_checkpoint(prefix, epoch)
    mx.model.save_checkpoint(out_prefix + '-model', epoch, sym, arg_params, aux_params)

    batch = mx.io.DataBatch([mx.nd.array(x, dtype=x.dtype)], [mx.nd.array(y, dtype=y.dtype)])
    mod.forward_backward(batch)
    mod.update()
    # MXNet's BatchNorm backward writes the moving mean/var without telling the engine,
    # so without this wait get_params() may read them before the update (a race).
    mx.nd.waitall()
    arg_params, aux_params = mod.get_params()
    mod.save_checkpoint(out_prefix, epoch + 1, save_optimizer_states=True)
    return {'loaded_states': loaded, 'params': params_to_arrays(arg_params, aux_params),
            'states': states_to_arrays(mod._updater.states)}


OPT_ATTRS = ('lr', 'wd', 'rescale_grad', 'clip_gradient', 'num_update', 'begin_num_update',
             'multi_precision', 'momentum', 'beta1', 'beta2', 'epsilon', 'lazy_update',
             'aggregate_num', 'lr_mult', 'wd_mult', 'idx2name', '_index_update_count')


def load_dumped_optimizer(mx, path, spec):
    """set_states on a ``(states, optimizer)`` pickle (Updater.get_states(True)).

    Returns the updater and a JSON-able view of the optimizer it now holds.
    """
    updater = mx.optimizer.get_updater(mx.optimizer.create(spec['optimizer']))
    with open(path, 'rb') as f:
        updater.set_states(f.read())
    opt = updater.optimizer
    view = {'class': type(opt).__name__}
    for name in OPT_ATTRS:
        value = getattr(opt, name, '<absent>')
        if isinstance(value, dict):
            value = sorted((str(k), v) for k, v in value.items())
        view[name] = value
    return updater, json.loads(json.dumps(view))


def nd_structure(data):
    """mx.nd.load's result -> (kind, [(key, ndarray)])."""
    if isinstance(data, dict):
        return 'dict', [(k, v.asnumpy()) for k, v in data.items()]
    return 'list', [(str(i), v.asnumpy()) for i, v in enumerate(data)]


def pack(kind, items):
    """(kind, items) -> npz-able dict that keeps key order and kind."""
    out = {'__kind__': np.array(kind), '__keys__': np.array([k for k, _ in items] or [''])}
    out.update(('v%d' % i, v) for i, (_, v) in enumerate(items))
    return out


def unpack(npz):
    kind = str(npz['__kind__'])
    keys = [str(k) for k in npz['__keys__']]
    n = sum(1 for name in npz.files if name.startswith('v'))
    return kind, [(keys[i], npz['v%d' % i]) for i in range(n)]


def rebuild(mx, kind, items):
    arrays = [(k, mx.nd.array(v, dtype=v.dtype)) for k, v in items]
    return dict(arrays) if kind == 'dict' else [a for _, a in arrays]


def savez(path, arrays):
    np.savez(path, **{k.replace('/', '|'): v for k, v in arrays.items()})


def loadz(path):
    with np.load(path, allow_pickle=False) as z:
        return {k.replace('|', '/'): z[k] for k in z.files}


# ---------------------------------------------------------------- the MXNet child
def child_main(job_path):
    import mxnet as mx
    with open(job_path) as f:
        job = json.load(f)
    out = job['out_dir']
    info = {'mxnet_version': mx.__version__, 'numpy_version': np.__version__}
    for name, spec in job['models'].items():
        src = job['models'][name]['prefix']
        dst = os.path.join(out, name)
        x = np.load(spec['infer_x'])
        for route, value in predict(mx, src, EPOCH, x).items():
            np.save('%s-pred-%s.npy' % (dst, route), value)
        res = resume(mx, src, EPOCH, spec, np.load(spec['resume_x']),
                     np.load(spec['resume_y']), dst)
        for key, arrays in res.items():
            savez('%s-%s.npz' % (dst, key), arrays)
        updater, view = load_dumped_optimizer(mx, spec['prefix'] + '-opt.states', spec)
        with open(dst + '-opt.states', 'wb') as f:
            f.write(updater.get_states(dump_optimizer=True))
        with open(dst + '-opt.json', 'w') as f:
            json.dump(view, f)
        savez(dst + '-opt-states.npz', states_to_arrays(updater.states))
        # MXNet's prediction from the checkpoint it wrote itself after the extra batch
        for route, value in predict(mx, dst, EPOCH + 1, x).items():
            np.save('%s-pred2-%s.npy' % (dst, route), value)
    os.makedirs(os.path.join(out, 'nd_resaved'), exist_ok=True)
    os.makedirs(os.path.join(out, 'nd_fresh'), exist_ok=True)
    os.makedirs(os.path.join(out, 'nd_values'), exist_ok=True)
    for fname, values in job['nd_files'].items():
        loaded = mx.nd.load(os.path.join(job['nd_dir'], fname))
        kind, items = nd_structure(loaded)
        np.savez(os.path.join(out, 'nd_values', fname + '.npz'), **pack(kind, items))
        mx.nd.save(os.path.join(out, 'nd_resaved', fname), loaded)
        with np.load(values, allow_pickle=False) as z:
            mx.nd.save(os.path.join(out, 'nd_fresh', fname), rebuild(mx, *unpack(z)))
    with open(os.path.join(out, 'info.json'), 'w') as f:
        json.dump(info, f)
    return 0


# ---------------------------------------------------------------- mxlite side: writing
def build_symbol(mx, name):
    data = mx.sym.var('data')
    if name == 'mlp':
        net = mx.sym.FullyConnected(data, num_hidden=32, name='fc1')
        net = mx.sym.BatchNorm(net, name='bn1')
        net = mx.sym.Activation(net, act_type='relu', name='relu1')
        net = mx.sym.FullyConnected(net, num_hidden=10, name='fc2')
    else:
        net = mx.sym.Convolution(data, kernel=(5, 5), num_filter=8, name='conv1')
        net = mx.sym.Activation(net, act_type='tanh', name='tanh1')
        net = mx.sym.Pooling(net, pool_type='max', kernel=(2, 2), stride=(2, 2), name='pool1')
        net = mx.sym.Convolution(net, kernel=(5, 5), num_filter=16, name='conv2')
        net = mx.sym.Activation(net, act_type='tanh', name='tanh2')
        net = mx.sym.Pooling(net, pool_type='max', kernel=(2, 2), stride=(2, 2), name='pool2')
        net = mx.sym.Flatten(net, name='flatten')
        net = mx.sym.FullyConnected(net, num_hidden=64, name='fc1')
        net = mx.sym.Activation(net, act_type='tanh', name='tanh3')
        net = mx.sym.FullyConnected(net, num_hidden=10, name='fc2')
    return mx.sym.SoftmaxOutput(net, name='softmax')


def train_and_save(mx, name, spec, workdir, rng):
    shape = tuple(spec['data_shape'])
    x = rng.standard_normal((N_TRAIN,) + shape).astype(np.float32)
    proj = rng.standard_normal((int(np.prod(shape)), 10))
    y = np.argmax(x.reshape(N_TRAIN, -1) @ proj, axis=1).astype(np.float32)
    mx.random.seed(7)
    it = mx.io.NDArrayIter(x, y, batch_size=TRAIN_BATCH, shuffle=False,
                           label_name='softmax_label')
    mod = mx.mod.Module(build_symbol(mx, name), context=mx.cpu())
    mod.fit(it, num_epoch=EPOCH, optimizer=spec['optimizer'],
            optimizer_params=dict(spec['optimizer_params']),
            initializer=mx.init.Xavier(magnitude=2.0))
    prefix = os.path.join(workdir, 'mxlite', name)
    mod.save_checkpoint(prefix, EPOCH, save_optimizer_states=True)
    # the (states, optimizer) pickle that gluon's Trainer.save_states writes
    with open(prefix + '-opt.states', 'wb') as f:
        f.write(mod._updater.get_states(dump_optimizer=True))
    paths = {'prefix': prefix}
    for key, arr in (('infer_x', rng.standard_normal((N_INFER,) + shape)),
                     ('resume_x', rng.standard_normal((TRAIN_BATCH,) + shape)),
                     ('resume_y', rng.integers(0, 10, TRAIN_BATCH))):
        paths[key] = os.path.join(workdir, 'inputs', '%s-%s.npy' % (name, key))
        np.save(paths[key], arr.astype(np.float32))
    return paths


def special_values(dtype, shape, rng):
    dtype = np.dtype(dtype)
    n = int(np.prod(shape))
    if dtype == np.bool_:
        flat = rng.integers(0, 2, n).astype(bool)
    elif dtype.kind in 'iu':
        info = np.iinfo(dtype)
        flat = rng.integers(info.min, info.max, n, dtype=dtype, endpoint=True)
        special = [info.min, info.max, 0]
        flat[:len(special)] = special[:n]
    else:
        info = np.finfo(dtype)
        flat = (rng.standard_normal(n) * 100).astype(dtype)
        special = [np.inf, -np.inf, np.nan, -0.0, info.max, info.tiny,
                   info.smallest_subnormal]
        flat[:len(special)] = special[:n]
    return flat.reshape(shape)


ND_DTYPES = ['float32', 'float64', 'float16', 'uint8', 'int8', 'int32', 'int64', 'bool']


def nd_contents(rng):
    """{file name: (kind, [(key, ndarray)])} for the .nd files."""
    files = {}
    for i, dt in enumerate(ND_DTYPES):
        files['%s.nd' % dt] = ('single', [('0', special_values(dt, (2, 3, 4 + i), rng))])
    files['dict.nd'] = ('dict', [
        ('arg:fc1_weight', special_values('float32', (4, 3), rng)),
        ('aux:bn1_moving_var', special_values('float64', (5,), rng)),
        ('labels', special_values('int64', (6,), rng)),
        ('mask', special_values('bool', (2, 2), rng)),
        ('h\u00e4lf', special_values('float16', (1, 1, 3), rng)),
        ('pixels', special_values('uint8', (2, 3, 3, 2), rng)),
    ])
    files['list.nd'] = ('list', [
        (str(i), special_values(dt, shape, rng))
        for i, (dt, shape) in enumerate([('float32', (7,)), ('int8', (3, 1)),
                                         ('float16', (2, 2, 2)), ('int32', (1,)),
                                         ('uint8', (4, 4)), ('float64', (1, 2, 1, 2, 1))])])
    return files


def write_nd_files(mx, workdir, rng):
    nd_dir = os.path.join(workdir, 'mxlite', 'nd')
    val_dir = os.path.join(workdir, 'inputs', 'nd_values')
    os.makedirs(nd_dir, exist_ok=True)
    os.makedirs(val_dir, exist_ok=True)
    files, value_paths = nd_contents(rng), {}
    for fname, (kind, items) in files.items():
        data = rebuild(mx, 'dict' if kind == 'dict' else 'list', items)
        mx.nd.save(os.path.join(nd_dir, fname), data[0] if kind == 'single' else data)
        value_paths[fname] = os.path.join(val_dir, fname + '.npz')
        np.savez(value_paths[fname], **pack('dict' if kind == 'dict' else 'list', items))
    return nd_dir, files, value_paths


# ---------------------------------------------------------------- comparisons
class Report:
    def __init__(self):
        self.rows = []

    def add(self, check, ok, detail=''):
        self.rows.append((check, bool(ok), detail))

    def guard(self, check, fn):
        """Run fn() -> (ok, detail); an exception is a failed check, not a crash."""
        try:
            ok, detail = fn()
        except Exception as exc:  # noqa: BLE001 -- reported in the table
            traceback.print_exc()
            ok, detail = False, '%s: %s' % (type(exc).__name__, str(exc).splitlines()[0]
                                            if str(exc) else '')
        self.add(check, ok, detail)

    def print(self):
        width = max(len(r[0]) for r in self.rows)
        print('\n%-*s  %-6s  %s' % (width, 'check', 'result', 'detail'))
        print('-' * (width + 60))
        for check, ok, detail in self.rows:
            print('%-*s  %-6s  %s' % (width, check, 'PASS' if ok else 'FAIL', detail))
        failed = sum(1 for r in self.rows if not r[1])
        print('-' * (width + 60))
        print('%d checks, %d passed, %d failed' % (len(self.rows), len(self.rows) - failed,
                                                   failed))
        return failed == 0


def close(a, b, exact=False):
    """(ok, detail) for two arrays: same dtype and shape, and values within tolerance."""
    a, b = np.asarray(a), np.asarray(b)
    if a.shape != b.shape or a.dtype != b.dtype:
        return False, 'shape/dtype %s %s vs %s %s' % (a.shape, a.dtype, b.shape, b.dtype)
    if exact or a.dtype.kind not in 'fc':
        same = np.ascontiguousarray(a).tobytes() == np.ascontiguousarray(b).tobytes()
        return same, 'bit-identical' if same else 'values differ'
    err = np.abs(a.astype(np.float64) - b.astype(np.float64))
    ok = bool(np.all(err <= ATOL + RTOL * np.abs(b.astype(np.float64))))
    return ok, 'max abs err %.2e' % (float(err.max()) if err.size else 0.0)


def close_dicts(a, b, exact=False):
    if list(a) != list(b):
        only = sorted(set(a) ^ set(b))
        return False, ('keys in one only: %s' % only[:5]) if only else 'key order differs'
    worst, bad = 0.0, []
    for key in a:
        ok, detail = close(a[key], b[key], exact)
        if not ok:
            bad.append('%s (%s)' % (key, detail))
        if detail.startswith('max abs err'):
            worst = max(worst, float(detail.split()[-1]))
    if bad:
        return False, '; '.join(bad[:3]) + (' ...' if len(bad) > 3 else '')
    return True, '%d entries, %s' % (len(a), 'bit-identical' if exact
                                    else 'max abs err %.2e' % worst)


def same_bytes(path_a, path_b):
    with open(path_a, 'rb') as f:
        a = f.read()
    with open(path_b, 'rb') as f:
        b = f.read()
    if a == b:
        return True, 'identical, %d bytes' % len(a)
    first = next((i for i, (p, q) in enumerate(zip(a, b)) if p != q), min(len(a), len(b)))
    return False, ('%d vs %d bytes, first difference at byte %d: %r vs %r'
                   % (len(a), len(b), first, a[first:first + 24], b[first:first + 24]))


def compare_model(mx, rep, name, spec, paths, workdir):
    mine = os.path.join(workdir, 'mxlite', name)
    theirs = os.path.join(workdir, 'mxnet', name)
    x = np.load(paths['infer_x'])
    ref = predict(mx, mine, EPOCH, x)
    ours_resume = resume(mx, mine, EPOCH, spec, np.load(paths['resume_x']),
                         np.load(paths['resume_y']), os.path.join(workdir, 'mxlite_resume',
                                                                  name))
    for route in ('module', 'executor'):
        rep.guard('%s: MXNet predict (%s) == mxlite' % (name, route), lambda route=route:
                  close(np.load('%s-pred-%s.npy' % (theirs, route)), ref[route]))
    ep = '%04d' % EPOCH
    for suffix, label in (('-symbol.json', 'symbol JSON'), ('-%s.params' % ep, '.params'),
                          ('-%s.states' % ep, '.states')):
        rep.guard('%s: MXNet Module.save_checkpoint %s bytes' % (name, label),
                  lambda s=suffix: same_bytes(mine + s, theirs + s))
    for suffix, label in (('-symbol.json', 'symbol JSON'), ('-%s.params' % ep, '.params')):
        rep.guard('%s: MXNet model.save_checkpoint %s bytes' % (name, label),
                  lambda s=suffix: same_bytes(mine + s, theirs + '-model' + s))
    rep.guard('%s: optimizer states as loaded by MXNet' % name, lambda: close_dicts(
        loadz(theirs + '-loaded_states.npz'), ours_resume['loaded_states'], exact=True))
    rep.guard('%s: one more batch, params (MXNet vs mxlite)' % name, lambda: close_dicts(
        loadz(theirs + '-params.npz'), ours_resume['params']))
    rep.guard('%s: one more batch, optimizer states' % name, lambda: close_dicts(
        loadz(theirs + '-states.npz'), ours_resume['states']))

    def dumped_optimizer():
        with open(theirs + '-opt.json') as f:
            theirs_view = json.load(f)
        updater, mine_view = load_dumped_optimizer(mx, mine + '-opt.states', spec)
        diff = sorted(k for k in set(theirs_view) | set(mine_view)
                      if theirs_view.get(k) != mine_view.get(k))
        if diff:
            return False, '; '.join('%s: MXNet %r, mxlite %r' % (k, theirs_view.get(k),
                                                                  mine_view.get(k))
                                    for k in diff[:3])
        ok, detail = close_dicts(loadz(theirs + '-opt-states.npz'),
                                 states_to_arrays(updater.states), exact=True)
        return ok, ('%s %s, states %s' % (theirs_view['class'], 'attrs equal', detail)
                    if ok else detail)
    rep.guard('%s: (states, optimizer) pickle read by MXNet' % name, dumped_optimizer)
    rep.guard('%s: MXNet get_states(dump_optimizer=True) bytes' % name,
              lambda: same_bytes(mine + '-opt.states', theirs + '-opt.states'))

    def mxnet_dumped_optimizer_in_mxlite():
        with open(theirs + '-opt.json') as f:
            theirs_view = json.load(f)
        updater, view = load_dumped_optimizer(mx, theirs + '-opt.states', spec)
        if view != theirs_view:
            return False, 'optimizer differs after loading MXNet\'s pickle'
        return close_dicts(states_to_arrays(updater.states),
                           loadz(theirs + '-opt-states.npz'), exact=True)
    rep.guard('%s: mxlite loads MXNet (states, optimizer)' % name,
              mxnet_dumped_optimizer_in_mxlite)

    # files MXNet wrote, read by mxlite
    def mxnet_checkpoint_in_mxlite():
        sym, arg_params, aux_params = mx.model.load_checkpoint(theirs, EPOCH + 1)
        want = loadz(theirs + '-params.npz')
        ok, detail = close_dicts(params_to_arrays(arg_params, aux_params), want, exact=True)
        if not ok:
            return ok, 'params: ' + detail
        if sym.tojson() != mx.sym.load(mine + '-symbol.json').tojson():
            return False, 'symbol differs from the original'
        states = mx.safe_pickle.load_states(theirs + '-%04d.states' % (EPOCH + 1))
        ok, detail = close_dicts(states_to_arrays(states), loadz(theirs + '-states.npz'),
                                 exact=True)
        return ok, ('symbol, %s' % detail) if ok else 'states: ' + detail
    rep.guard('%s: mxlite loads MXNet checkpoint+states' % name, mxnet_checkpoint_in_mxlite)

    def mxlite_predicts_on_mxnet_checkpoint():
        got = predict(mx, theirs, EPOCH + 1, x)
        want = np.load('%s-pred2-module.npy' % theirs)
        ok1, d1 = close(got['module'], want)
        ok2, d2 = close(got['executor'], np.load('%s-pred2-executor.npy' % theirs))
        return ok1 and ok2, 'module %s, executor %s' % (d1, d2)
    rep.guard('%s: mxlite predict on MXNet checkpoint' % name,
              mxlite_predicts_on_mxnet_checkpoint)

    def mxlite_resumes_mxnet_states():
        # mxlite continues from MXNet's re-saved epoch-1 files: same as from its own
        other = resume(mx, theirs, EPOCH, spec, np.load(paths['resume_x']),
                       np.load(paths['resume_y']),
                       os.path.join(workdir, 'mxlite_resume', name + '-from-mxnet'))
        return close_dicts(other['params'], ours_resume['params'], exact=True)
    rep.guard('%s: mxlite Module.load(MXNet files, states)' % name,
              mxlite_resumes_mxnet_states)


def compare_nd(mx, rep, workdir, files):
    mine = os.path.join(workdir, 'mxlite', 'nd')
    theirs = os.path.join(workdir, 'mxnet')
    for fname, (kind, items) in files.items():
        kind = 'dict' if kind == 'dict' else 'list'

        def mxnet_read():
            with np.load(os.path.join(theirs, 'nd_values', fname + '.npz')) as z:
                got_kind, got = unpack(z)
            if got_kind != kind or [k for k, _ in got] != [k for k, _ in items]:
                return False, 'structure %s %s vs %s %s' % (got_kind, [k for k, _ in got],
                                                            kind, [k for k, _ in items])
            return close_dicts(dict(got), dict(items), exact=True)
        rep.guard('%s: MXNet mx.nd.load values' % fname, mxnet_read)
        for sub, label in (('nd_resaved', 're-saved'), ('nd_fresh', 'written from numpy')):
            path = os.path.join(theirs, sub, fname)
            rep.guard('%s: MXNet %s bytes' % (fname, label),
                      lambda path=path: same_bytes(os.path.join(mine, fname), path))

            def mxlite_read(path=path):
                got_kind, got = nd_structure(mx.nd.load(path))
                if got_kind != kind or [k for k, _ in got] != [k for k, _ in items]:
                    return False, 'structure differs: %s %s' % (got_kind,
                                                                [k for k, _ in got])
                return close_dicts(dict(got), dict(items), exact=True)
            rep.guard('%s: mxlite loads MXNet %s' % (fname, label), mxlite_read)


# ---------------------------------------------------------------- driver
def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--mxnet-python', default=os.environ.get('MXNET_PYTHON',
                                                             DEFAULT_MXNET_PYTHON),
                    help='a Python with mxnet 1.9.1 (default: %(default)s)')
    ap.add_argument('--workdir', help='where to write the files (default: a temp dir)')
    ap.add_argument('--keep', action='store_true', help='keep the temp dir')
    ap.add_argument('--child', help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        return child_main(args.child)

    if not os.path.isfile(args.mxnet_python):
        print('FAIL: no Python with MXNet at %s (pass --mxnet-python, or run '
              '`bash /work/shared/peers/setup.sh mxnet`)' % args.mxnet_python)
        return 2

    sys.path.insert(0, REPO)
    import logging
    import mxlite as mx
    import mxlite.safe_pickle  # noqa: F401 -- mx.safe_pickle.load_states
    logging.basicConfig(level=logging.WARNING)

    workdir = args.workdir or tempfile.mkdtemp(prefix='mxnet_roundtrip_')
    for sub in ('mxlite', 'mxnet', 'mxlite_resume', 'inputs'):
        os.makedirs(os.path.join(workdir, sub), exist_ok=True)
    rng = np.random.default_rng(20240601)
    job = {'out_dir': os.path.join(workdir, 'mxnet'), 'models': {}}
    print('[1/3] mxlite: training and writing files in %s' % workdir)
    for name, spec in MODELS.items():
        job['models'][name] = dict(spec, **train_and_save(mx, name, spec, workdir, rng))
    job['nd_dir'], nd_files, job['nd_files'] = write_nd_files(mx, workdir, rng)
    job_path = os.path.join(workdir, 'job.json')
    with open(job_path, 'w') as f:
        json.dump(job, f, indent=1)

    print('[2/3] MXNet (%s): loading, predicting, re-saving' % args.mxnet_python)
    env = {k: v for k, v in os.environ.items() if k not in ('PYTHONPATH', 'PYTHONHOME')}
    proc = subprocess.run([args.mxnet_python, os.path.abspath(__file__), '--child', job_path],
                          env=env, cwd=workdir, capture_output=True, text=True, timeout=900)
    if proc.returncode != 0:
        print(proc.stdout[-4000:], proc.stderr[-8000:], sep='\n')
        print('FAIL: the MXNet child exited with status %d' % proc.returncode)
        return 2
    with open(os.path.join(workdir, 'mxnet', 'info.json')) as f:
        info = json.load(f)

    print('[3/3] mxlite: comparing')
    rep = Report()
    for name in MODELS:
        compare_model(mx, rep, name, MODELS[name], job['models'][name], workdir)
    compare_nd(mx, rep, workdir, nd_files)
    print('\nmxlite %s (numpy %s) vs MXNet %s (numpy %s)'
          % (getattr(mx, '__version__', '?'), np.__version__, info['mxnet_version'],
             info['numpy_version']))
    ok = rep.print()
    if not args.workdir and not args.keep:
        shutil.rmtree(workdir, ignore_errors=True)
    else:
        print('files kept in %s' % workdir)
    return 0 if ok else 1


if __name__ == '__main__':
    sys.exit(main())
