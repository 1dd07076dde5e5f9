"""`python -m mxlite`: info, verify, convert and plot on MXNet 1.9.1's checkpoint files."""
import os
import shutil
import struct
import subprocess
import sys

import numpy as np
import pytest

import mxlite as mx
from mxlite.__main__ import main

V2_MAGIC = 0xF993FAC9


@pytest.fixture
def ckpt(reference):
    return reference / 'checkpoints'


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def _copy_model(ckpt, tmp_path, name='mlp', epoch=1):
    shutil.copy(ckpt / ('%s-symbol.json' % name), tmp_path / ('m-symbol.json'))
    shutil.copy(ckpt / ('%s-%04d.params' % (name, epoch)), tmp_path / ('m-%04d.params' % epoch))
    return tmp_path / 'm'


def _record_magic(path):
    with open(path, 'rb') as f:
        head = f.read(28)
    return struct.unpack_from('<I', head, 24)[0]


# ---------------------------------------------------------------------- info
def test_info_mlp(ckpt, capsys):
    code, out, err = run(capsys, 'info', ckpt / 'mlp', 1)
    assert code == 0 and err == ''
    lines = out.splitlines()
    assert 'Inputs:' in lines and '  data' in lines and '  softmax_label' in lines
    assert '  softmax_output' in lines
    row = [ln for ln in lines if ln.split()[:1] == ['fc1_weight']][0]
    assert row.split() == ['fc1_weight', '(128,', '784)', 'float32', '100,352']
    assert 'Total parameters: 109,386 (427.3 KiB)' in out
    ops = {ln.split()[0]: ln.split()[1] for ln in lines
           if ln.split()[:1] in (['FullyConnected'], ['Activation'], ['SoftmaxOutput'])}
    assert ops == {'FullyConnected': '3', 'Activation': '2', 'SoftmaxOutput': '1'}
    assert '437,918' in out and '2,009' in out and 'NDArray file V2' in out


def test_info_with_data_shape_shows_shapes_and_aux_states(ckpt, capsys):
    code, out, _ = run(capsys, 'info', ckpt / 'bn', 0, '--data-shape', 'data=2,1,5,5')
    assert code == 0
    assert '  data  (2, 1, 5, 5)' in out and '  softmax_label  (2,)' in out
    assert '  softmax_output  (2, 2)' in out
    assert 'Auxiliary states (2):' in out and 'bn_moving_var' in out
    assert 'Total parameters: 130 (520 bytes)' in out


# ---------------------------------------------------------------------- verify
def test_verify_reference_checkpoints(ckpt, capsys):
    code, out, _ = run(capsys, 'verify', ckpt / 'mlp', 1, '--data-shape', 'data=32,784')
    assert code == 0 and 'OK: 6 parameters' in out
    code, out, _ = run(capsys, 'verify', ckpt / 'bn', 0)
    assert code == 0 and 'OK: 8 parameters (6 arguments, 2 aux states) match' in out
    code, out, _ = run(capsys, 'verify', ckpt / 'bn', 0, '--data-shape', 'data=(4,1,5,5)')
    assert code == 0


def test_verify_wrong_data_shape_is_a_mismatch(ckpt, capsys):
    code, out, _ = run(capsys, 'verify', ckpt / 'mlp', 1, '--data-shape', 'data=1,700')
    assert code == 1
    assert ("mismatch: 'fc1_weight' has shape (128, 784) in the file but the symbol expects "
            "(128, 700)") in out
    assert 'FAILED: 1 problem' in out


def test_verify_reports_missing_extra_and_mismatched(ckpt, tmp_path, capsys):
    prefix = _copy_model(ckpt, tmp_path)
    params = mx.nd.load(str(prefix) + '-0001.params')
    del params['arg:fc3_bias']
    params['arg:fc9_weight'] = mx.nd.zeros((2, 2))
    params['arg:fc2_weight'] = mx.nd.zeros((64, 100))
    mx.nd.save(str(prefix) + '-0001.params', params)
    code, out, _ = run(capsys, 'verify', prefix, 1, '--data-shape', 'data=8,784')
    assert code == 1
    assert "missing: argument 'fc3_bias' (10,) is not in the file" in out
    assert 'extra: arg:fc9_weight (2, 2) is in the file but not used by the symbol' in out
    assert ("mismatch: 'fc2_weight' has shape (64, 100) in the file but the symbol expects "
            "(64, 128)") in out
    assert 'FAILED: 3 problems' in out


def test_verify_without_data_shape_says_what_it_could_not_check(ckpt, tmp_path, capsys):
    # fc2's weight only conflicts with the shapes that follow from the input's
    prefix = _copy_model(ckpt, tmp_path)
    params = mx.nd.load(str(prefix) + '-0001.params')
    params['arg:fc2_weight'] = mx.nd.zeros((64, 100))
    mx.nd.save(str(prefix) + '-0001.params', params)
    code, out, _ = run(capsys, 'verify', prefix, 1)
    assert code == 0 and 'give the input shapes (--data-shape data=...)' in out
    code, out, _ = run(capsys, 'verify', prefix, 1, '--data-shape', 'data=1,784')
    assert code == 1 and "mismatch: 'fc2_weight'" in out
    prefix = _copy_model(ckpt, tmp_path, 'bn', 0)
    params = mx.nd.load(str(prefix) + '-0000.params')
    params['arg:bn_gamma'] = mx.nd.ones((5,))     # the convolution has 4 channels
    mx.nd.save(str(prefix) + '-0000.params', params)
    code, out, _ = run(capsys, 'verify', prefix, 0, '--data-shape', 'data=1,1,5,5')
    assert code == 1
    assert ("mismatch: 'bn_gamma' has shape (5,) in the file but the symbol expects (4,)"
            in out)


def test_verify_aux_state_stored_as_argument(ckpt, tmp_path, capsys):
    prefix = _copy_model(ckpt, tmp_path, 'bn', 0)
    params = mx.nd.load(str(prefix) + '-0000.params')
    params['arg:bn_moving_var'] = params.pop('aux:bn_moving_var')
    mx.nd.save(str(prefix) + '-0000.params', params)
    code, out, _ = run(capsys, 'verify', prefix, 0)
    assert code == 1
    assert "misplaced: 'bn_moving_var' is stored as arg:bn_moving_var" in out


# ---------------------------------------------------------------------- convert
def test_convert_legacy_v0_to_v2(ckpt, tmp_path, capsys):
    src = ckpt / 'legacy_ndarray.v0'
    dst = tmp_path / 'new.nd'
    code, out, _ = run(capsys, 'convert', src, dst)
    assert code == 0
    assert 'NDArray file V0, 6 arrays (list)' in out and 'NDArray file V2' in out
    assert _record_magic(dst) == V2_MAGIC
    old, new = mx.nd.load(str(src)), mx.nd.load(str(dst))
    assert len(old) == len(new) == 6
    for a, b in zip(old, new):
        assert a.dtype == b.dtype
        np.testing.assert_array_equal(a.asnumpy(), b.asnumpy())


def test_convert_current_files_is_byte_identical(ckpt, tmp_path, capsys):
    for name in ('arrays.nd', 'mlp-0001.params', 'mlp-symbol.json', 'bn-symbol.json'):
        code, _, _ = run(capsys, 'convert', ckpt / name, tmp_path / name)
        assert code == 0
        assert (tmp_path / name).read_bytes() == (ckpt / name).read_bytes(), name


def test_convert_legacy_symbol_json(tmp_path, capsys):
    legacy = tmp_path / 'old-symbol.json'
    legacy.write_text('''{
      "nodes": [
        {"op": "null", "param": {}, "name": "data", "inputs": [], "backward_source_id": -1},
        {"op": "null", "param": {}, "name": "fc_weight", "inputs": [],
         "backward_source_id": -1},
        {"op": "null", "param": {}, "name": "fc_bias", "inputs": [],
         "backward_source_id": -1},
        {"op": "FullyConnected", "param": {"no_bias": "False", "num_hidden": "4"},
         "name": "fc", "inputs": [[0, 0], [1, 0], [2, 0]], "backward_source_id": -1}
      ],
      "arg_nodes": [0, 1, 2],
      "heads": [[3, 0]]
    }''')
    dst = tmp_path / 'new-symbol.json'
    code, out, _ = run(capsys, 'convert', legacy, dst)
    assert code == 0 and "legacy layout" in out and '4 nodes' in out
    text = dst.read_text()
    assert '"attrs": {"mxnet_version": ["int", 10901]}' in text and '"param"' not in text
    sym = mx.sym.load(str(dst))
    assert sym.list_arguments() == ['data', 'fc_weight', 'fc_bias']
    assert sym.tojson() == text


# ---------------------------------------------------------------------- errors (exit 2)
def test_missing_files(ckpt, tmp_path, capsys):
    code, out, err = run(capsys, 'info', tmp_path / 'nothing', 3)
    assert code == 2 and out == ''
    assert "cannot find the symbol file '%s'" % (tmp_path / 'nothing-symbol.json') in err
    shutil.copy(ckpt / 'mlp-symbol.json', tmp_path / 'x-symbol.json')
    code, _, err = run(capsys, 'verify', tmp_path / 'x', 7)
    assert code == 2 and 'x-0007.params' in err
    code, _, err = run(capsys, 'convert', tmp_path / 'none.nd', tmp_path / 'o.nd')
    assert code == 2 and 'cannot find the input file' in err
    assert not (tmp_path / 'o.nd').exists()


def test_corrupt_files(ckpt, tmp_path, capsys):
    data = (ckpt / 'mlp-0001.params').read_bytes()
    (tmp_path / 'cut-0001.params').write_bytes(data[:1000])
    shutil.copy(ckpt / 'mlp-symbol.json', tmp_path / 'cut-symbol.json')
    code, _, err = run(capsys, 'info', tmp_path / 'cut', 1)
    assert code == 2 and 'truncated' in err and 'cut-0001.params' in err
    code, _, err = run(capsys, 'convert', tmp_path / 'cut-0001.params', tmp_path / 'o.nd')
    assert code == 2 and 'truncated' in err and not (tmp_path / 'o.nd').exists()
    (tmp_path / 'bad-symbol.json').write_text('{"nodes": [')
    shutil.copy(ckpt / 'mlp-0001.params', tmp_path / 'bad-0001.params')
    code, _, err = run(capsys, 'verify', tmp_path / 'bad', 1)
    assert code == 2 and 'not valid symbol JSON' in err
    code, _, err = run(capsys, 'convert', ckpt / 'mlp-withopt-0001.states', tmp_path / 'o.nd')
    assert code == 2 and 'not an MXNet NDArray file' in err


def test_bad_arguments(ckpt, capsys):
    assert run(capsys, )[0] == 2
    code, _, err = run(capsys, 'info', ckpt / 'mlp', 1, '--data-shape', 'data')
    assert code == 2 and 'NAME=D1,D2' in err
    code, _, err = run(capsys, 'info', ckpt / 'mlp', 'one')
    assert code == 2
    code, _, err = run(capsys, 'verify', ckpt / 'mlp', 1, '--data-shape', 'dat=1,784')
    assert code == 2 and "'dat'" in err


# ---------------------------------------------------------------------- plot, entry point
def test_plot_text_and_html(ckpt, tmp_path, capsys):
    code, out, _ = run(capsys, 'plot', ckpt / 'mlp', '--data-shape', 'data=1,784')
    assert code == 0
    assert out.splitlines()[1].split()[1:] == ['fc1', 'FullyConnected', '128', '128']
    code, out, _ = run(capsys, 'plot', ckpt / 'bn-symbol.json', '--format', 'html',
                       '-o', tmp_path / 'bn.html')
    assert code == 0 and (tmp_path / 'bn.html').read_text().startswith('<!DOCTYPE html>')


def test_python_dash_m_entry_point(ckpt):
    env = dict(os.environ)
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env['PYTHONPATH'] = root + os.pathsep + env.get('PYTHONPATH', '')
    proc = subprocess.run([sys.executable, '-m', 'mxlite', 'verify', str(ckpt / 'mlp'), '1'],
                          capture_output=True, text=True, env=env, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert 'OK: 6 parameters' in proc.stdout
    proc = subprocess.run([sys.executable, '-m', 'mxlite', 'info', str(ckpt / 'nope'), '1'],
                          capture_output=True, text=True, env=env, timeout=60)
    assert proc.returncode == 2 and 'error' in proc.stderr and proc.stdout == ''
