"""mx.io.LibSVMIter against a plain-loop reading of the LibSVM files.

A table of (rows, batch_size) for values, labels, padding and the epochs after reset;
labels from a second file; MXNet's 0-based indices; the byte-range parts of num_parts
against a simulation of MXNet's line splitter; malformed lines named by line number.
"""
import itertools

import numpy as np
import pytest

import mxlite as mx
from mxlite.base import MXNetError


def write(tmp_path, name, lines):
    path = tmp_path / name
    path.write_text(''.join(line + '\n' for line in lines))
    return str(path)


def random_lines(n, width, seed, extras=True):
    """`n` LibSVM lines with sorted random features; some with comments, qid, weight."""
    rng = np.random.RandomState(seed)
    lines = []
    for i in range(n):
        cols = np.sort(rng.choice(width, rng.randint(0, width + 1), replace=False))
        feats = ' '.join('%d:%g' % (c, round(rng.uniform(-3, 3), 3)) for c in cols)
        label = '%g' % rng.randint(-5, 6)
        if extras and i % 3 == 1:
            label += ':0.5 qid:%d' % i
        line = (label + ' ' + feats).strip()
        if extras and i % 4 == 2:
            line += '  # note %d' % i
        lines.append(line)
        if extras and i % 5 == 3:
            lines.append('   ')        # blank lines are not rows
    return lines


def ref_rows(lines, width):
    """(labels, dense rows, column lists) by reading each line with a plain loop."""
    labels, dense, cols = [], [], []
    for line in lines:
        tokens = line.split('#')[0].split()
        if not tokens:
            continue
        labels.append(float(tokens[0].split(':')[0]))
        row = np.zeros(width, dtype=np.float32)
        cs = []
        for tok in tokens[1:]:
            if tok.startswith('qid:'):
                continue
            c, v = tok.split(':')
            row[int(c)] = float(v)
            cs.append(int(c))
        dense.append(row)
        cols.append(cs)
    return np.array(labels, dtype=np.float32), np.array(dense), cols


def ref_epoch_rows(n, bs, epochs):
    """Row order per epoch under MXNet's round_batch: a wrapped epoch's next one starts
    after the wrapped rows, by walking a cursor over the rows one sample at a time."""
    out, cursor, wrapped = [], 0, False
    for _ in range(epochs):
        if not wrapped:
            cursor = 0
        wrapped, batches = False, []
        while not wrapped and cursor < n:
            batch = []
            while len(batch) < bs:
                if cursor == n:
                    cursor, wrapped = 0, True
                batch.append(cursor)
                cursor += 1
            batches.append(batch)
        out.append(batches)
    return out


def pads(epoch_rows):
    """How many rows of each batch come after a wrap (the batch's pad)."""
    res = []
    for batch in epoch_rows:
        wrap = next((i for i in range(1, len(batch)) if batch[i] < batch[i - 1]), None)
        res.append(0 if wrap is None else len(batch) - wrap)
    return res


CASES = [(4, 3), (7, 7), (7, 2), (5, 1), (10, 4), (3, 4), (9, 3)]


@pytest.mark.parametrize('n,bs', CASES)
def test_batches_values_labels_pad_and_epochs(tmp_path, n, bs):
    width = 6
    lines = random_lines(n, width, seed=n * 31 + bs)
    labels, dense, cols = ref_rows(lines, width)
    it = mx.io.LibSVMIter(data_libsvm=write(tmp_path, 'd.t', lines), data_shape=(width,),
                          batch_size=bs)
    assert it.provide_data[0].name == 'data' and it.provide_data[0].shape == (bs, width)
    assert it.provide_label[0].name == 'softmax_label'
    assert it.provide_label[0].shape == (bs,)
    for epoch, want in enumerate(ref_epoch_rows(n, bs, 4)):
        got = list(it)
        assert len(got) == len(want), 'epoch %d' % epoch
        for batch, rows, pad in zip(got, want, pads(want)):
            data = batch.data[0]
            assert isinstance(data, mx.nd.sparse.CSRNDArray) and data.stype == 'csr'
            np.testing.assert_array_equal(data.asnumpy(), dense[rows])
            np.testing.assert_array_equal(batch.label[0].asnumpy(), labels[rows])
            assert batch.pad == pad
            assert batch.index.tolist() == rows
            # the CSR components are the file's entries
            assert data.indices.asnumpy().tolist() == sum((cols[r] for r in rows), [])
            assert data.indptr.asnumpy().tolist() == \
                np.cumsum([0] + [len(cols[r]) for r in rows]).tolist()
        it.reset()


def test_mxnet_documented_example(tmp_path):
    lines = ['1.0 0:0.5 2:1.2', '-2.0', '-3.0 0:0.6 1:2.4 2:1.2', '4 2:-1.2']
    it = mx.io.LibSVMIter(data_libsvm=write(tmp_path, 'data.t', lines), data_shape=(3,),
                          batch_size=3)
    first, second = it.next(), it.next()
    assert np.allclose(first.data[0].asnumpy(), [[0.5, 0, 1.2], [0, 0, 0], [0.6, 2.4, 1.2]])
    assert first.label[0].asnumpy().tolist() == [1.0, -2.0, -3.0]
    assert np.allclose(second.data[0].asnumpy(), [[0, 0, -1.2], [0.5, 0, 1.2], [0, 0, 0]])
    assert second.label[0].asnumpy().tolist() == [4.0, 1.0, -2.0] and second.pad == 2
    with pytest.raises(StopIteration):
        it.next()


def test_labels_from_a_separate_file(tmp_path):
    data = ['0 0:1 1:2', '0 2:3', '0', '0 1:4']
    label = ['9 1:0.5', '9', '9 0:1 1:2', '9 0:-1']
    it = mx.io.LibSVMIter(data_libsvm=write(tmp_path, 'd.t', data), data_shape=(3,),
                          label_libsvm=write(tmp_path, 'l.t', label), label_shape=(2,),
                          batch_size=2)
    assert it.provide_label[0].shape == (2, 2)
    batches = list(it)
    want = [[[0, 0.5], [0, 0]], [[1, 2], [-1, 0]]]
    assert len(batches) == 2
    for batch, expect in zip(batches, want):
        assert batch.label[0].stype == 'csr'
        assert batch.label[0].asnumpy().tolist() == expect   # leading 9s are ignored
    assert batches[1].data[0].asnumpy().tolist() == [[0, 0, 0], [0, 4, 0]]


def test_indices_are_zero_based_as_written(tmp_path):
    one_based = ['1 1:0.5 3:2.0', '2 2:1.0']
    path = write(tmp_path, 'one.t', one_based)
    with pytest.raises(MXNetError, match=r"one.t line 1: feature index 3 is out of range "
                                         r"for data_shape \(3,\).*0-based"):
        mx.io.LibSVMIter(data_libsvm=path, data_shape=(3,), batch_size=2)
    it = mx.io.LibSVMIter(data_libsvm=path, data_shape=(4,), batch_size=2)
    assert it.next().data[0].asnumpy().tolist() == [[0, 0.5, 0, 2.0], [0, 0, 1.0, 0]]


def _dmlc_part_rows(raw_files, num_parts, part):
    """Rows of `part` by simulating MXNet's (dmlc) line splitter on the bytes."""
    blob = b''.join(raw_files)
    file_starts = set(np.cumsum([0] + [len(f) for f in raw_files[:-1]]).tolist())
    step = -(-len(blob) // num_parts)

    def seek(offset):
        if offset >= len(blob) or offset in file_starts:
            return min(offset, len(blob))
        while offset < len(blob) and blob[offset:offset + 1] not in (b'\n', b'\r'):
            offset += 1
        while offset < len(blob) and blob[offset:offset + 1] in (b'\n', b'\r'):
            offset += 1
        return offset

    begin, end = seek(min(step * part, len(blob))), seek(min(step * (part + 1), len(blob)))
    rows, start, row = [], 0, 0
    for f in raw_files:
        for line in f.splitlines(keepends=True):
            if line.split(b'#')[0].strip():
                if begin <= start < end:
                    rows.append(row)
                row += 1
            start += len(line)
    return rows


@pytest.mark.parametrize('num_parts', [1, 2, 3, 5])
def test_parts_cut_the_bytes_like_mxnet(tmp_path, num_parts):
    lines = ['%d %s' % (i, ' '.join('%d:1' % c for c in range(i % 7))) for i in range(23)]
    folder = tmp_path / 'parts'
    folder.mkdir()
    raws = [''.join(l + '\n' for l in lines[:9]).encode(),
            ''.join(l + '\n' for l in lines[9:]).encode()]
    (folder / 'a.t').write_bytes(raws[0])
    (folder / 'b.t').write_bytes(raws[1])
    seen = []
    for part in range(num_parts):
        want = _dmlc_part_rows(raws, num_parts, part)
        if not want:
            with pytest.raises(MXNetError, match='no rows in part %d of %d' % (part,
                                                                               num_parts)):
                mx.io.LibSVMIter(data_libsvm=str(folder), data_shape=(8,), batch_size=1,
                                 num_parts=num_parts, part_index=part)
            continue
        it = mx.io.LibSVMIter(data_libsvm=str(folder), data_shape=(8,), batch_size=1,
                              num_parts=num_parts, part_index=part)
        got = [int(b.label[0].asscalar()) for b in it]
        assert got == want
        seen += got
    assert seen == list(range(23))


# files of 6-byte lines cut into 2 parts of 12 bytes: a line starting exactly on the cut
# goes to the part before it, unless it opens a file
@pytest.mark.parametrize('files,want', [
    ([4], [[0, 1, 2], [3]]),
    ([2, 2], [[0, 1], [2, 3]]),
    ([1, 3], [[0, 1, 2], [3]]),
], ids=['cut-mid-file', 'cut-at-file-start', 'file-start-before-cut'])
def test_parts_at_exact_cuts(tmp_path, files, want):
    folder = tmp_path / 'cuts'
    folder.mkdir()
    raws, label = [], 0
    for i, count in enumerate(files):
        raw = ''.join('%d 0:1\n' % (label + k) for k in range(count)).encode()
        label += count
        (folder / ('f%d.t' % i)).write_bytes(raw)
        raws.append(raw)
    for part in range(2):
        assert _dmlc_part_rows(raws, 2, part) == want[part]
        it = mx.io.LibSVMIter(data_libsvm=str(folder), data_shape=(1,), batch_size=1,
                              num_parts=2, part_index=part)
        assert [int(b.label[0].asscalar()) for b in it] == want[part]


def test_round_batch_false(tmp_path):
    path = write(tmp_path, 'd.t', ['1 0:1', '2 1:1', '3', '4 0:2'])
    it = mx.io.LibSVMIter(data_libsvm=path, data_shape=(2,), batch_size=2, round_batch=False)
    assert [b.label[0].asnumpy().tolist() for b in it] == [[1, 2], [3, 4]]
    with pytest.raises(MXNetError, match=r'round_batch=False needs batch_size \(3\) to '
                                         r'divide the 4 rows'):
        mx.io.LibSVMIter(data_libsvm=path, data_shape=(2,), batch_size=3, round_batch=False)


MALFORMED = [
    (['1 0:1', 'x 0:1'], 2, r"the label 'x' is not a number"),
    (['1 0:1', '', '2 0:1 1'], 3, r"feature '1' is not index:value"),
    (['1 a:1'], 1, r"feature 'a:1': the index must be a non-negative integer"),
    (['1 -1:1'], 1, r"feature '-1:1': the index must be a non-negative integer"),
    (['1 1.5:1'], 1, r"feature '1.5:1': the index"),
    (['1 0:1', '2 0:1', '# c', '3 1:zz'], 4, r"feature '1:zz': the value is not a number"),
    (['1 0:1', '2 9:1'], 2, r'feature index 9 is out of range for data_shape \(3,\)'),
]


@pytest.mark.parametrize('lines,lineno,match', MALFORMED)
def test_malformed_lines_are_named(tmp_path, lines, lineno, match):
    path = write(tmp_path, 'bad.t', lines)
    with pytest.raises(MXNetError, match=r'bad.t line %d: %s' % (lineno, match)):
        mx.io.LibSVMIter(data_libsvm=path, data_shape=(3,), batch_size=1)


def test_bad_arguments(tmp_path):
    path = write(tmp_path, 'd.t', ['1 0:1', '2 1:1'])
    lab = write(tmp_path, 'l.t', ['0 0:1'])
    cases = [
        (dict(data_shape=(2, 2)), ValueError, 'data_shape must be 1-D'),
        (dict(label_shape=(2,)), ValueError, r'label_shape must be \(1,\) without'),
        (dict(label_libsvm=lab), ValueError, r'wider than \(1,\)'),
        (dict(label_libsvm=lab, label_shape=(2,)), MXNetError, "has 1 rows but"),
        (dict(batch_size=0), ValueError, 'batch_size must be >= 1'),
        (dict(batch_size=5), MXNetError, 'round_batch needs at least'),
        (dict(num_parts=2, part_index=2), ValueError, 'part_index < num_parts'),
        (dict(data_libsvm=str(tmp_path / 'nope.t')), FileNotFoundError, 'nope.t'),
    ]
    for extra, exc, match in cases:
        args = dict(data_libsvm=path, data_shape=(2,), batch_size=1)
        args.update(extra)
        with pytest.raises(exc, match=match):
            mx.io.LibSVMIter(**args)


def test_module_trains_on_it(tmp_path):
    rng = np.random.RandomState(0)
    X = (rng.rand(60, 5) > 0.5) * rng.randn(60, 5)
    y = (X.sum(axis=1) > 0).astype(int)
    lines = ['%d %s' % (t, ' '.join('%d:%g' % (c, x[c]) for c in np.flatnonzero(x)))
             for x, t in zip(X, y)]
    it = mx.io.LibSVMIter(data_libsvm=write(tmp_path, 'd.t', lines), data_shape=(5,),
                          batch_size=10, dtype='float32')
    net = mx.sym.SoftmaxOutput(mx.sym.FullyConnected(mx.sym.var('data'), num_hidden=2),
                               name='softmax')
    mod = mx.mod.Module(net)
    mod.fit(it, num_epoch=20, optimizer_params={'learning_rate': 0.5})
    assert dict(mod.score(it, 'acc'))['accuracy'] > 0.8


def test_reference_helpers():
    # the test's own reference of the epoch order, checked by hand on MXNet's 4-row example
    assert ref_epoch_rows(4, 3, 4) == [[[0, 1, 2], [3, 0, 1]], [[2, 3, 0]], [[1, 2, 3]],
                                       [[0, 1, 2], [3, 0, 1]]]
    assert pads([[0, 1, 2], [3, 0, 1]]) == [0, 2]
    assert list(itertools.chain(*ref_epoch_rows(5, 5, 1)[0])) == [0, 1, 2, 3, 4]
