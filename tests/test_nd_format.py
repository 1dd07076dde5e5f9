"""MXNet's binary NDArray format: golden files, legacy versions, errors and fuzzing."""
import json
import os
import struct
import tracemalloc

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import mxlite as mx
from mxlite.base import MXNetError
from mxlite.ndarray import serialization as ser
from mxlite.ndarray.serialization import dumps, loads

# ---------------------------------------------------------------------- golden tables
FORMAT_FILES = [
    'all_dtypes.nd', 'csr.nd', 'dict_basic.nd', 'dtype_bool.nd', 'dtype_float16.nd',
    'dtype_float32.nd', 'dtype_float64.nd', 'dtype_int32.nd', 'dtype_int64.nd',
    'dtype_int8.nd', 'dtype_uint8.nd', 'empty_dict.nd', 'empty_list.nd', 'keys_special.nd',
    'large_float32.nd', 'list_basic.nd', 'ndim_1_to_5.nd', 'np_shape_2d.nd', 'row_sparse.nd',
    'shape_1.nd', 'single_ndarray.nd', 'sparse_mixed.nd', 'special_values.nd',
    'zero_dim_np_shape.nd', 'zero_size.nd',
]
# (file, container, {key: (shape, dtype)}) for the checkpoints folder
CHECKPOINT_FILES = [
    ('arrays.nd', dict, {'a': ((2, 3), 'float32'), 'b': ((4,), 'int32')}),
    ('list.nd', list, {0: ((2,), 'float32'), 1: ((2, 2), 'float64')}),
    ('bn-0000.params', dict, {'arg:conv_weight': ((4, 1, 3, 3), 'float32'),
                              'aux:bn_moving_var': ((4,), 'float32')}),
    ('mlp-0001.params', dict, {'arg:fc1_weight': ((128, 784), 'float32'),
                               'arg:fc3_bias': ((10,), 'float32')}),
    ('mlp-cb-0001.params', dict, {'arg:fc2_weight': ((64, 128), 'float32')}),
    ('mlp-withopt-0001.params', dict, {'arg:fc2_bias': ((64,), 'float32')}),
]


def _items(loaded):
    return loaded.items() if isinstance(loaded, dict) else enumerate(loaded)


def _bitwise_equal(a, b):
    a, b = np.ascontiguousarray(a), np.ascontiguousarray(b)
    return a.shape == b.shape and a.dtype == b.dtype and a.tobytes() == b.tobytes()


@pytest.fixture
def formats(golden):
    path = golden / 'formats'
    meta = json.loads((path / 'formats.json').read_text())
    with np.load(path / 'expected.npz') as npz:
        expected = {k: npz[k] for k in npz.files}
    return path, {f['file']: f for f in meta['files']}, expected


def test_table_covers_every_format_file(formats):
    path, meta, _ = formats
    assert sorted(p.name for p in path.glob('*.nd')) == sorted(FORMAT_FILES)
    assert sorted(meta) == sorted(FORMAT_FILES)


@pytest.mark.parametrize('name', FORMAT_FILES)
def test_golden_format_file(formats, name, tmp_path):
    path, meta, expected = formats
    raw = (path / name).read_bytes()
    info = meta[name]
    loaded = mx.nd.load(str(path / name))
    # a dict file with no arrays has no names either, so it reads back as a list
    is_dict = info['container'] == 'dict' and info['size_bytes'] > 32
    assert isinstance(loaded, dict if is_dict else list)
    keys = {k.split('::')[1] for k in expected if k.split('::')[0] == name}
    assert {str(k) for k, _ in _items(loaded)} == keys
    for key, arr in _items(loaded):
        want = expected['%s::%s' % (name, key)]
        assert arr.context == mx.cpu(0)
        assert _bitwise_equal(arr.asnumpy(), want), (name, key)
        for part in ('data', 'indices', 'indptr'):
            full = '%s::%s::%s' % (name, key, part)
            if full in expected:
                assert np.array_equal(getattr(arr, part).asnumpy(), expected[full]), full
        if '%s::%s::data' % (name, key) not in expected:
            assert arr.stype == 'default'
    # saving what was loaded gives the same bytes
    np_shape = info['np_shape_semantics']
    assert dumps(loaded, np_shape=np_shape) == raw
    assert mx.nd.load_frombuffer(raw).__class__ is loaded.__class__
    if not np_shape:
        out = tmp_path / name
        mx.nd.save(str(out), loaded)
        assert out.read_bytes() == raw


@pytest.mark.parametrize('name,container,shapes', CHECKPOINT_FILES)
def test_checkpoint_files(reference, name, container, shapes):
    raw = (reference / 'checkpoints' / name).read_bytes()
    loaded = mx.nd.load(reference / 'checkpoints' / name)
    assert isinstance(loaded, container)
    for key, (shape, dtype) in shapes.items():
        assert loaded[key].shape == shape and loaded[key].dtype == np.dtype(dtype)
    assert dumps(loaded) == raw


def test_arrays_nd_values(reference):
    loaded = mx.nd.load(str(reference / 'checkpoints' / 'arrays.nd'))
    assert np.array_equal(loaded['a'].asnumpy(), np.arange(6, dtype=np.float32).reshape(2, 3))
    assert np.array_equal(loaded['b'].asnumpy(), np.ones(4, np.int32))


def test_every_model_file_round_trips(golden):
    files = sorted(golden.glob('models/*.nd')) + sorted(golden.glob('models/*.params')) \
        + sorted(golden.glob('transcripts/*.params'))
    assert len(files) >= 40
    for path in files:
        raw = path.read_bytes()
        loaded = loads(raw, str(path))
        assert all(a.stype == 'default' for _, a in _items(loaded))
        assert dumps(loaded) == raw, path.name


# ---------------------------------------------------------------------- legacy versions
def test_legacy_v0_file(reference):
    path = reference / 'checkpoints' / 'legacy_ndarray.v0'
    raw = path.read_bytes()
    assert raw[24:28] == struct.pack('<I', 1)       # no magic: ndim comes first
    loaded = mx.nd.load(str(path))
    assert isinstance(loaded, list) and len(loaded) == 6
    for arr in loaded:
        assert arr.shape == (128,) and arr.dtype == np.float32
        assert np.array_equal(arr.asnumpy(), np.arange(128, dtype=np.float32))
    again = dumps(loaded)           # re-saving writes V2, as MXNet does
    assert again[24:28] == struct.pack('<I', ser.V2_MAGIC)
    assert len(again) == 32 + 6 * (4 + 4 + 4 + 8 + 8 + 4 + 512)
    assert all(_bitwise_equal(a.asnumpy(), b.asnumpy()) for a, b in zip(loads(again), loaded))


def _v2_to_v1(record):
    """A V2 dense record rewritten as V1: other magic, no storage type."""
    assert record[:8] == struct.pack('<Ii', ser.V2_MAGIC, 0)
    return struct.pack('<I', ser.V1_MAGIC) + record[8:]


def _v2_to_v0(record):
    ndim = struct.unpack_from('<I', record, 8)[0]
    dims = struct.unpack_from('<%dq' % ndim, record, 12)
    rest = record[12 + 8 * ndim:]
    return struct.pack('<I%dI' % ndim, ndim, *dims) + rest


@pytest.mark.parametrize('convert', [_v2_to_v1, _v2_to_v0], ids=['v1', 'v0'])
@pytest.mark.parametrize('dtype', ['float32', 'float64', 'float16', 'uint8', 'int32', 'int8',
                                   'int64', 'bool'])
def test_legacy_record_versions(convert, dtype):
    value = (np.arange(12).reshape(3, 4) % 3).astype(dtype)
    arr = mx.nd.array(value, dtype=dtype)
    v2 = dumps([arr])
    legacy = v2[:24] + convert(v2[24:])
    (back,) = loads(legacy)
    assert _bitwise_equal(back.asnumpy(), value)
    assert dumps([back]) == v2


def test_gpu_context_loads_on_cpu():
    raw = bytearray(dumps({'w': mx.nd.ones((2, 2))}))
    ctx_at = 24 + 4 + 4 + 4 + 16
    assert struct.unpack_from('<ii', raw, ctx_at) == (1, 0)
    struct.pack_into('<ii', raw, ctx_at, 2, 3)           # gpu(3)
    loaded = loads(bytes(raw))
    assert loaded['w'].context == mx.cpu(0)
    assert np.array_equal(loaded['w'].asnumpy(), np.ones((2, 2), np.float32))


def test_none_record_loads_as_empty_array():
    # MXNet's uninitialised ("none") array: magic, stype, ndim 0, and nothing else
    raw = struct.pack('<QQQ', ser.LIST_MAGIC, 0, 1) + struct.pack('<IiI', ser.V2_MAGIC, 0, 0) \
        + struct.pack('<Q', 0)
    (arr,) = loads(raw)
    assert arr.shape == (0,)


# ---------------------------------------------------------------------- writing
ROUND_TRIP = [
    ((2, 3), 'float32'), ((5,), 'float64'), ((2, 2, 2), 'float16'), ((7,), 'uint8'),
    ((3, 1), 'int32'), ((4,), 'int8'), ((2, 3), 'int64'), ((6,), 'bool'), ((0, 3), 'float32'),
    ((1, 1, 1, 1, 1, 2), 'float32'), ((), 'float32'), ((2, 0), 'int64'),
]


@pytest.mark.parametrize('shape,dtype', ROUND_TRIP)
def test_save_load_round_trip(tmp_path, shape, dtype):
    value = (np.random.standard_normal(shape) * 10).astype(dtype)
    path = tmp_path / 'x.nd'
    mx.nd.save(path, {'x': mx.nd.array(value, dtype=dtype), 'y': mx.nd.array(value.T,
                                                                             dtype=dtype)})
    loaded = mx.nd.load(str(path))
    assert _bitwise_equal(loaded['x'].asnumpy(), value)
    assert _bitwise_equal(loaded['y'].asnumpy(), np.ascontiguousarray(value.T))
    magic = struct.unpack_from('<I', path.read_bytes(), 24)[0]
    assert magic == (ser.V3_MAGIC if shape == () else ser.V2_MAGIC)


def test_save_non_contiguous_view_and_big_endian_source():
    base = mx.nd.array(np.arange(12).reshape(3, 4))
    view = mx.nd.NDArray(base._data[:, 1:3])
    big = mx.nd.NDArray(np.arange(4, dtype='>i4'))
    loaded = loads(dumps([view, big]))
    assert np.array_equal(loaded[0].asnumpy(), np.arange(12).reshape(3, 4)[:, 1:3])
    assert loaded[1].dtype == np.int32 and list(loaded[1].asnumpy()) == [0, 1, 2, 3]


def test_single_ndarray_and_tuple_save_as_list():
    assert isinstance(loads(dumps(mx.nd.ones((1,)))), list)
    assert len(loads(dumps((mx.nd.ones((1,)), mx.nd.zeros((2,)))))) == 2


@pytest.mark.parametrize('data,error,words', [
    ([np.ones(2)], TypeError, ['element 0', 'numpy.ndarray', 'NDArray']),
    ({'a': 1.0}, TypeError, ["'a'", 'float']),
    ({1: mx.nd.ones((1,))}, TypeError, ['keys must be str', 'int']),
    (42, TypeError, ['int']),
    ([mx.nd.NDArray(np.ones(2, np.complex64))], MXNetError, ['complex64']),
    ({'\ud800': mx.nd.ones((1,))}, MXNetError, ['UTF-8']),
])
def test_save_rejects_bad_input_and_keeps_old_file(tmp_path, data, error, words):
    path = tmp_path / 'keep.nd'
    mx.nd.save(str(path), [mx.nd.ones((3,))])
    before = path.read_bytes()
    with pytest.raises(error) as info:
        mx.nd.save(str(path), data)
    for word in words:
        assert word in str(info.value)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ['keep.nd']


def test_interrupted_save_leaves_old_file(tmp_path, monkeypatch):
    path = tmp_path / 'w.params'
    mx.nd.save(str(path), {'a': mx.nd.ones((2,))})
    before = path.read_bytes()

    def crash(src, dst):
        raise OSError(28, 'No space left on device')
    monkeypatch.setattr(os, 'replace', crash)
    with pytest.raises(MXNetError, match='No space left'):
        mx.nd.save(str(path), {'a': mx.nd.zeros((1000,))})
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ['w.params']


def test_save_bad_path_type():
    with pytest.raises(TypeError, match='fname'):
        mx.nd.save(3, [])


# ---------------------------------------------------------------------- errors
def _list_basic():
    return dumps([mx.nd.array([[-1, -0.5, 0], [0.5, 1, 1.5]]),
                  mx.nd.array([3, -1, 7, 0], dtype='int32')])


def _patch(raw, offset, fmt, value):
    out = bytearray(raw)
    struct.pack_into(fmt, out, offset, value)
    return bytes(out)


# (name, make bytes from a valid 2-array list file, offset, words in the message)
CORRUPT = [
    ('empty file', lambda r: b'', 0, ['truncated', 'file magic']),
    ('wrong file magic', lambda r: _patch(r, 0, '<Q', 0x113), 0, ['bad magic 0x113']),
    ('text file', lambda r: b'{"nodes": []}' + b' ' * 40, 0, ['not an MXNet NDArray file']),
    ('huge count', lambda r: _patch(r, 16, '<Q', 1 << 60), 16, ['array count']),
    ('bad array magic', lambda r: _patch(r, 24, '<I', 0xDEADBEEF), 24, ['0xDEADBEEF']),
    ('bad stype', lambda r: _patch(r, 28, '<i', 7), 28, ['storage type 7']),
    ('ndim too big', lambda r: _patch(r, 32, '<I', 40), 32, ['ndim 40']),
    ('negative dim', lambda r: _patch(r, 36, '<q', -2), 36, ['negative']),
    ('huge dim', lambda r: _patch(r, 36, '<q', 1 << 40), 64, ['truncated', 'needs']),
    ('bad device', lambda r: _patch(r, 52, '<i', 9), 52, ['device type 9']),
    ('bad type flag', lambda r: _patch(r, 60, '<i', 99), 60, ['type flag 99']),
    ('truncated data', lambda r: r[:80], 64, ['truncated', 'array data', '16 remain']),
    ('truncated 2nd', lambda r: r[:118], 116, ['array 1 of 2', 'type flag']),
    ('no name count', lambda r: r[:-8], len(_list_basic()) - 8, ['name count']),
    ('name mismatch', lambda r: r[:-8] + struct.pack('<Q', 1), len(_list_basic()) - 8,
     ['1 names for 2 arrays']),
]


@pytest.mark.parametrize('name,make,offset,words', CORRUPT, ids=[c[0] for c in CORRUPT])
def test_corrupt_file_error_names_file_and_offset(tmp_path, name, make, offset, words):
    path = tmp_path / 'broken.nd'
    path.write_bytes(make(_list_basic()))
    with pytest.raises(MXNetError) as info:
        mx.nd.load(str(path))
    message = str(info.value)
    assert str(path) in message
    assert 'at byte %d' % offset in message, message
    for word in words:
        assert word in message, message


def test_bad_utf8_name():
    raw = dumps({'ab': mx.nd.ones((1,))})
    with pytest.raises(MXNetError, match='UTF-8'):
        loads(raw[:-2] + b'\xff\xfe')


def test_missing_file_is_mxnet_error(tmp_path):
    with pytest.raises(MXNetError, match='nope.nd'):
        mx.nd.load(str(tmp_path / 'nope.nd'))


def test_forged_huge_shapes_do_not_allocate():
    raw = _list_basic()
    forged = [_patch(raw, 36, '<q', 1 << 40),                  # dense: 2**40 rows
              _patch(_patch(raw, 36, '<q', 0), 44, '<q', 1 << 62),   # zero-size, huge
              _patch(raw, 16, '<Q', (1 << 64) - 1)]            # count
    tracemalloc.start()
    try:
        for blob in forged:
            with pytest.raises(MXNetError):
                loads(blob)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 1 << 20


def test_forged_sparse_shape_is_refused():
    csr = mx.nd.sparse.csr_matrix(([1.0], [0], [0, 1]), shape=(1, 2))
    raw = bytearray(dumps([csr]))
    # magic, stype, stored shape (u32 + i64), then the logical shape's dims at byte 48
    struct.pack_into('<qq', raw, 48, 1, 1 << 40)
    wrong_rows = bytearray(raw)
    struct.pack_into('<qq', wrong_rows, 48, 1 << 20, 2)
    tracemalloc.start()
    try:
        with pytest.raises(MXNetError, match='DENSE_FALLBACK_LIMIT'):
            loads(bytes(raw))
        with pytest.raises(MXNetError, match='indptr'):
            loads(bytes(wrong_rows))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 1 << 20


def test_loads_rejects_non_buffer():
    with pytest.raises(MXNetError):
        loads(12345)
    with pytest.raises(TypeError):
        mx.nd.load_frombuffer('not bytes')


# ---------------------------------------------------------------------- fuzzing
_SEEDS = []


def _seeds():
    if not _SEEDS:
        csr = mx.nd.sparse.csr_matrix(([1.0, 2.0, 3.0], [0, 2, 1], [0, 2, 2, 3]), shape=(3, 3))
        rsp = mx.nd.sparse.row_sparse_array(([[1.0, 2.0]], [1]), shape=(3, 2))
        _SEEDS.extend([
            _list_basic(),
            dumps({'a b': mx.nd.array([1, 2], dtype='float16'), 'c': mx.nd.ones((2, 1))}),
            dumps({'csr': csr, 'rsp': rsp, 'dense': mx.nd.zeros((0, 2))}),
            dumps([mx.nd.NDArray(np.array(3.5, np.float32))]),
        ])
        v2 = dumps([mx.nd.array([[1, 2], [3, 4]])])
        _SEEDS.append(v2[:24] + _v2_to_v0(v2[24:]))
        _SEEDS.append(v2[:24] + _v2_to_v1(v2[24:]))
    return _SEEDS


_INTERESTING = [0, 1, 2, 7, 0x7F, 0xFF, 0xFFFF, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF,
                ser.V1_MAGIC, ser.V2_MAGIC, ser.V3_MAGIC]


@st.composite
def _mutated(draw):
    raw = bytearray(_seeds()[draw(st.integers(0, 5))])
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(['cut', 'byte', 'word', 'insert', 'delete']))
        pos = draw(st.integers(0, max(len(raw) - 1, 0)))
        if kind == 'cut':
            raw = raw[:pos]
        elif kind == 'byte' and raw:
            raw[pos] = draw(st.integers(0, 255))
        elif kind == 'word' and len(raw) >= 4:
            pos = min(pos, len(raw) - 4)
            struct.pack_into('<I', raw, pos, draw(st.sampled_from(_INTERESTING)))
        elif kind == 'insert':
            raw[pos:pos] = draw(st.binary(min_size=1, max_size=16))
        elif kind == 'delete':
            del raw[pos:pos + draw(st.integers(1, 16))]
    return bytes(raw)


@settings(max_examples=200, deadline=None, suppress_health_check=list(HealthCheck))
@given(blob=_mutated())
def test_fuzz_mutated_files_only_raise_mxnet_error(blob):
    try:
        result = loads(blob, 'fuzz.nd')
    except MXNetError as exc:
        assert 'fuzz.nd' in str(exc) and 'at byte' in str(exc)
        return
    assert isinstance(result, (list, dict))
    assert all(isinstance(a, mx.nd.NDArray) for _, a in _items(result))


@settings(max_examples=100, deadline=None)
@given(body=st.binary(max_size=200))
def test_fuzz_random_bodies_only_raise_mxnet_error(body):
    header = struct.pack('<QQQ', ser.LIST_MAGIC, 0, 1)
    try:
        loads(header + body)
    except MXNetError:
        pass
