"""mx.io.ImageRecordIter: records packed with mx.recordio.pack_img (PNG, so pixels are exact)
read back and checked against NumPy crops, flips and (x - mean) * scale / std.

Covers centre/random crops, resize of the shorter side, mirroring, labels (scalar,
label_width > 1, .lst), round_batch padding and its carry-over into the next epoch,
shuffling and parts, grey/RGBA data shapes, the mean image file and the errors.
"""
import doctest
import os
import sys

import numpy as np
import pytest

import mxlite as mx
from mxlite.base import MXNetError
from mxlite.io import image_record_iter

pytest.importorskip('PIL')

N = 7


def pattern(h, w, c=3, seed=0):
    return np.random.RandomState(seed).randint(0, 256, (h, w, c)).astype(np.uint8)


def write_rec(path, imgs, labels, idx_path=None):
    """A .rec (and .idx) of RGB / grey / RGBA images; pack_img takes OpenCV's BGR(A)."""
    rec = (mx.recordio.MXIndexedRecordIO(idx_path, path, 'w') if idx_path
           else mx.recordio.MXRecordIO(path, 'w'))
    for i, (img, label) in enumerate(zip(imgs, labels)):
        stored = img[:, :, 0] if img.shape[2] == 1 else img[:, :, [2, 1, 0, 3][:img.shape[2]]]
        payload = mx.recordio.pack_img((0, label, i, 0), stored, img_fmt='.png')
        if idx_path:
            rec.write_idx(i, payload)
        else:
            rec.write(payload)
    rec.close()
    return path


@pytest.fixture
def data(tmp_path):
    """N RGB images of different sizes (10+i x 12+2i), labels i, with an index."""
    imgs = [pattern(10 + i, 12 + 2 * i, seed=i) for i in range(N)]
    rec = write_rec(str(tmp_path / 'd.rec'), imgs, [float(i) for i in range(N)],
                    str(tmp_path / 'd.idx'))
    return imgs, rec, str(tmp_path / 'd.idx')


def centre(img, h, w):
    y, x = (img.shape[0] - h) // 2, (img.shape[1] - w) // 2
    return img[y:y + h, x:x + w]


def epoch(it):
    batches = list(it)
    return (np.concatenate([b.data[0].asnumpy() for b in batches]),
            np.concatenate([b.label[0].asnumpy() for b in batches]),
            [b.pad for b in batches])


NORM_CASES = [
    # mean (r, g, b), std (r, g, b), scale: powers of two keep the float32 results exact
    ((0, 0, 0), (1, 1, 1), 1.0),
    ((10, 20, 30), (1, 1, 1), 1.0),
    ((128, 64, 32), (2, 4, 8), 0.5),
    ((123.68, 116.28, 103.53), (58.395, 57.12, 57.375), 1 / 256),
]


@pytest.mark.parametrize('mean,std,scale', NORM_CASES)
def test_centre_crop_and_normalisation(data, mean, std, scale):
    imgs, rec, _ = data
    it = mx.io.ImageRecordIter(path_imgrec=rec, data_shape=(3, 8, 10), batch_size=3,
                               mean_r=mean[0], mean_g=mean[1], mean_b=mean[2], std_r=std[0],
                               std_g=std[1], std_b=std[2], scale=scale)
    assert it.provide_data == [('data', (3, 3, 8, 10))]
    assert it.provide_label == [('softmax_label', (3,))]
    got, labels, pads = epoch(it)
    assert pads == [0, 0, 2] and got.dtype == np.float32
    order = list(range(N)) + [0, 1]
    np.testing.assert_array_equal(labels, order)
    m, s = np.float32(mean).reshape(3, 1, 1), np.float32(std).reshape(3, 1, 1)
    for out, i in zip(got, order):
        x = centre(imgs[i], 8, 10).transpose(2, 0, 1).astype(np.float32)
        np.testing.assert_allclose(out, (x - m) * np.float32(scale) / s, rtol=1e-6, atol=1e-6)
        if scale in (1.0, 0.5):
            np.testing.assert_array_equal(out, (x - m) / s * np.float32(scale))


def test_resize_shorter_side(tmp_path):
    # 8x12 images, resize=4: a 2x shrink, i.e. 2x2 block means (halves rounded up)
    imgs = [pattern(8, 12, seed=i) for i in range(2)] + [pattern(12, 8, seed=5)]
    rec = write_rec(str(tmp_path / 'r.rec'), imgs, [0.0, 1.0, 2.0])
    it = mx.io.ImageRecordIter(path_imgrec=rec, data_shape=(3, 4, 4), batch_size=3, resize=4)
    got = it.next().data[0].asnumpy()
    for out, img in zip(got, imgs):
        h, w = img.shape[0] // 2, img.shape[1] // 2
        small = np.floor(img.reshape(h, 2, w, 2, 3).astype(float).mean(axis=(1, 3)) + 0.5)
        np.testing.assert_array_equal(out, centre(small, 4, 4).transpose(2, 0, 1))
    # other interpolations go through mx.image's resampler
    it = mx.io.ImageRecordIter(path_imgrec=rec, data_shape=(3, 5, 5), batch_size=3, resize=6,
                               inter_method=2)
    got = it.next().data[0].asnumpy()
    small = mx.image.imresize(mx.nd.array(imgs[2], dtype='uint8'), 6, 9, 2).asnumpy()
    np.testing.assert_array_equal(got[2], centre(small, 5, 5).transpose(2, 0, 1))


def test_random_crop_and_mirror_are_seeded(data):
    imgs, rec, _ = data

    def run(seed, **kw):
        it = mx.io.ImageRecordIter(path_imgrec=rec, data_shape=(3, 6, 6), batch_size=N,
                                   rand_crop=True, rand_mirror=True, seed=seed, **kw)
        out = [it.next().data[0].asnumpy()]
        it.reset()
        out.append(it.next().data[0].asnumpy())
        return out

    a, b = run(3), run(3, preprocess_threads=1)        # the thread count changes nothing
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x, y)
    assert not np.array_equal(a[0], a[1])              # new draws each epoch
    assert not np.array_equal(a[0], run(4)[0])
    seen_flip = seen_plain = 0
    for batch in a:
        for i, out in enumerate(batch):
            img = imgs[i].transpose(2, 0, 1).astype(np.float32)
            hits = set()
            for y in range(img.shape[1] - 5):
                for x in range(img.shape[2] - 5):
                    win = img[:, y:y + 6, x:x + 6]
                    if np.array_equal(out, win):
                        hits.add('plain')
                    if np.array_equal(out, win[:, :, ::-1]):
                        hits.add('flip')
            assert hits, 'sample %d is not a crop of its image' % i
            seen_flip += 'flip' in hits
            seen_plain += 'plain' in hits
    assert seen_flip and seen_plain
    it = mx.io.ImageRecordIter(path_imgrec=rec, data_shape=(3, 6, 6), batch_size=2, mirror=True)
    np.testing.assert_array_equal(it.next().data[0].asnumpy()[1],
                                  centre(imgs[1], 6, 6)[:, ::-1].transpose(2, 0, 1))


def test_pad_and_crop_size_range(tmp_path):
    img = pattern(6, 8, seed=3)
    rec = write_rec(str(tmp_path / 'p.rec'), [img], [0.0])
    # pad 2 with fill 7 on each side: 10x12, centre 10x10 crop keeps 2 padded rows/cols
    got = mx.io.ImageRecordIter(path_imgrec=rec, data_shape=(3, 10, 10), batch_size=1, pad=2,
                                fill_value=7).next().data[0].asnumpy()[0]
    padded = np.pad(img, ((2, 2), (2, 2), (0, 0)), constant_values=7)
    np.testing.assert_array_equal(got, padded[:, 1:11].transpose(2, 0, 1))
    # a centred 6x6 square, shrunk to 3x3 by nearest (every second pixel)
    got = mx.io.ImageRecordIter(path_imgrec=rec, data_shape=(3, 3, 3), batch_size=1,
                                min_crop_size=6, max_crop_size=6, inter_method=0).next()
    np.testing.assert_array_equal(got.data[0].asnumpy()[0],
                                  img[:, 1:7][::2, ::2].transpose(2, 0, 1))
    # random square sizes in [3, 6], each resized to data_shape
    it = mx.io.ImageRecordIter(path_imgrec=rec, data_shape=(3, 3, 3), batch_size=1,
                               min_crop_size=3, max_crop_size=6, rand_crop=True, inter_method=10)
    for _ in range(5):
        assert it.next().data[0].shape == (1, 3, 3, 3)
        it.reset()
    with pytest.raises(ValueError, match='set both min_crop_size and max_crop_size'):
        mx.io.ImageRecordIter(path_imgrec=rec, data_shape=(3, 3, 3), batch_size=1,
                              max_crop_size=6)


def test_labels_width_and_imglist(tmp_path):
    imgs = [pattern(6, 6, seed=i) for i in range(3)]
    rec = write_rec(str(tmp_path / 'm.rec'), imgs, [[i, 10 * i, -i] for i in range(3)])
    it = mx.io.ImageRecordIter(path_imgrec=rec, data_shape=(3, 6, 6), batch_size=3,
                               label_width=3)
    assert it.provide_label == [('softmax_label', (3, 3))]
    np.testing.assert_array_equal(it.next().label[0].asnumpy(),
                                  [[i, 10 * i, -i] for i in range(3)])
    with pytest.raises(MXNetError, match=r'record at byte offset 0 of .*m.rec.* has 3 labels '
                                         r'but label_width is 2'):
        mx.io.ImageRecordIter(path_imgrec=rec, data_shape=(3, 6, 6), batch_size=3,
                              label_width=2)
    scalar = write_rec(str(tmp_path / 's.rec'), imgs, [5.0, 6.0, 7.0])
    with pytest.raises(MXNetError, match='has a single label but label_width is 2'):
        mx.io.ImageRecordIter(path_imgrec=scalar, data_shape=(3, 6, 6), batch_size=3,
                              label_width=2)
    lst = tmp_path / 'x.lst'
    lst.write_text(''.join('%d\t%d\t%d\tx%d.png\n' % (i, 100 + i, 200 + i, i) for i in range(3)))
    it = mx.io.ImageRecordIter(path_imgrec=scalar, path_imglist=str(lst), data_shape=(3, 6, 6),
                               batch_size=3, label_width=2)
    np.testing.assert_array_equal(it.next().label[0].asnumpy(),
                                  [[100 + i, 200 + i] for i in range(3)])
    lst.write_text('0\t1\t2\tx.png\n')
    with pytest.raises(MXNetError, match='record at byte offset .* has id 1, which is not in '
                                         'path_imglist'):
        mx.io.ImageRecordIter(path_imgrec=scalar, path_imglist=str(lst), data_shape=(3, 6, 6),
                              batch_size=3, label_width=2)


def test_round_batch_carries_into_next_epoch(data):
    _, rec, _ = data
    it = mx.io.ImageRecordIter(path_imgrec=rec, data_shape=(3, 6, 6), batch_size=3)
    seen = []
    for _ in range(3):
        seen.append([(b.label[0].asnumpy().tolist(), b.pad, b.index.tolist()) for b in it])
        it.reset()
    # 7 records: the wrapped 0, 1 of epoch 1 are not read again at the start of epoch 2
    assert seen[0] == [([0, 1, 2], 0, [0, 1, 2]), ([3, 4, 5], 0, [3, 4, 5]),
                       ([6, 0, 1], 2, [6, 0, 1])]
    assert [s[0] for s in seen[1]] == [[2, 3, 4], [5, 6, 0]]
    assert [s[1] for s in seen[1]] == [0, 1]
    assert [s[0] for s in seen[2]] == [[1, 2, 3], [4, 5, 6]]
    it = mx.io.ImageRecordIter(path_imgrec=rec, data_shape=(3, 6, 6), batch_size=3,
                               round_batch=False, mean_r=9, mean_g=9, mean_b=9)
    batches = list(it)
    assert [b.pad for b in batches] == [0, 0, 2]
    assert (batches[2].data[0].asnumpy()[1:] == 0).all()
    assert batches[2].label[0].asnumpy().tolist() == [6, 0, 0]
    it.reset()
    assert [b.label[0].asnumpy()[0] for b in it] == [0, 3, 6]
    assert mx.io.ImageRecordIter(path_imgrec=rec, data_shape=(3, 6, 6), batch_size=12
                                 ).next().index.tolist() == [0, 1, 2, 3, 4, 5, 6, 0, 1, 2, 3, 4]
    with pytest.raises(MXNetError, match='round_batch needs 8 more records to fill the last '
                                         'batch but the data has 7'):
        mx.io.ImageRecordIter(path_imgrec=rec, data_shape=(3, 6, 6), batch_size=15)


def test_iter_protocol(data):
    _, rec, _ = data
    it = mx.io.ImageRecordIter(path_imgrec=rec, data_shape=(3, 6, 6), batch_size=4)
    n = 0
    while it.iter_next():
        assert it.getdata().shape == (4, 3, 6, 6) and it.getlabel().shape == (4,)
        n += 1
    assert n == 2 and it.getpad() == 1
    it.reset()
    assert len(list(it)) == 2


def test_shuffle_and_parts(data):
    _, rec, idx = data

    def orders(**kw):
        it = mx.io.ImageRecordIter(path_imgrec=rec, data_shape=(3, 6, 6), batch_size=1, **kw)
        out = []
        for _ in range(3):
            out.append([int(b.label[0].asnumpy()[0]) for b in it])
            it.reset()
        return out

    a = orders(shuffle=True, seed=1)
    assert a == orders(shuffle=True, seed=1)
    assert all(sorted(o) == list(range(N)) for o in a) and len({tuple(o) for o in a}) == 3
    assert orders(shuffle=True, seed=2) != a
    assert orders(shuffle=True, seed=1, path_imgidx=idx) == a      # same records, same draws
    for kw in ({}, {'path_imgidx': idx}):
        parts = [orders(num_parts=3, part_index=k, round_batch=False, **kw)[0] for k in range(3)]
        assert sorted(sum(parts, [])) == list(range(N)) and all(parts)
    with_idx = [orders(num_parts=2, part_index=k, path_imgidx=idx)[0] for k in range(2)]
    assert with_idx == [[0, 1, 2, 3], [4, 5, 6]]
    with pytest.raises(ValueError, match='0 <= part_index < num_parts'):
        orders(num_parts=2, part_index=2)


def test_grey_rgba_and_uint8(tmp_path):
    grey = [pattern(6, 7, 1, seed=i) for i in range(2)]
    rec = write_rec(str(tmp_path / 'g.rec'), grey, [0.0, 1.0])
    it = mx.io.ImageRecordIter(path_imgrec=rec, data_shape=(1, 4, 5), batch_size=2, mean_r=100,
                               std_r=2)
    got = it.next().data[0].asnumpy()
    for out, img in zip(got, grey):
        np.testing.assert_array_equal(out[0], (centre(img, 4, 5)[:, :, 0] - np.float32(100)) / 2)
    # colour data_shape on grey images: the grey value in all three channels
    got = mx.io.ImageRecordIter(path_imgrec=rec, data_shape=(3, 4, 5), batch_size=2).next()
    np.testing.assert_array_equal(got.data[0].asnumpy()[0],
                                  np.repeat(centre(grey[0], 4, 5).transpose(2, 0, 1), 3, 0))
    rgba = [pattern(5, 5, 4, seed=9)]
    rec = write_rec(str(tmp_path / 'a.rec'), rgba, [3.0])
    it = mx.io.ImageRecordIter(path_imgrec=rec, data_shape=(4, 5, 5), batch_size=1, mean_a=1)
    expect = rgba[0].transpose(2, 0, 1) - np.float32([0, 0, 0, 1])[:, None, None]
    np.testing.assert_array_equal(it.next().data[0].asnumpy()[0], expect)
    # RGBA data_shape on RGB images: an opaque alpha channel is added
    rgb = write_rec(str(tmp_path / 'c.rec'), [rgba[0][:, :, :3]], [3.0])
    got = mx.io.ImageRecordIter(path_imgrec=rgb, data_shape=(4, 5, 5), batch_size=1).next()
    np.testing.assert_array_equal(got.data[0].asnumpy()[0, :3],
                                  rgba[0][:, :, :3].transpose(2, 0, 1))
    assert (got.data[0].asnumpy()[0, 3] == 255).all()
    for cls, kw in ((mx.io.ImageRecordIter, {'dtype': 'uint8'}), (mx.io.ImageRecordUInt8Iter, {})):
        it = cls(path_imgrec=rec, data_shape=(3, 5, 5), batch_size=1, mean_r=50, **kw)
        b = it.next()
        assert b.data[0].dtype == np.uint8 and b.label[0].dtype == np.float32
        np.testing.assert_array_equal(b.data[0].asnumpy()[0], rgba[0][:, :, :3].transpose(2, 0, 1))


def test_mean_image_file(data, tmp_path):
    imgs, rec, _ = data
    path = str(tmp_path / 'mean.nd')
    it = mx.io.ImageRecordIter(path_imgrec=rec, data_shape=(3, 6, 6), batch_size=2,
                               mean_img=path, scale=0.5)
    expect = np.mean([centre(img, 6, 6).transpose(2, 0, 1).astype(np.float64) for img in imgs],
                     axis=0).astype(np.float32)
    saved = mx.nd.load(path)
    assert list(saved) == ['mean_img']
    np.testing.assert_allclose(saved['mean_img'].asnumpy(), expect, rtol=1e-6)
    x = centre(imgs[0], 6, 6).transpose(2, 0, 1).astype(np.float32)
    np.testing.assert_allclose(it.next().data[0].asnumpy()[0], (x - expect) * 0.5, rtol=1e-5,
                               atol=1e-5)
    stamp = os.stat(path).st_mtime_ns
    again = mx.io.ImageRecordIter(path_imgrec=rec, data_shape=(3, 6, 6), batch_size=2,
                                  mean_img=path, scale=0.5)       # now loaded from the file
    np.testing.assert_allclose(again.next().data[0].asnumpy()[0], (x - expect) * 0.5,
                               rtol=1e-5, atol=1e-5)
    assert os.stat(path).st_mtime_ns == stamp
    with pytest.raises(MXNetError, match=r"mean_img '.*mean.nd' has shape \(3, 6, 6\) but "
                                         r"data_shape is \(3, 4, 4\)"):
        mx.io.ImageRecordIter(path_imgrec=rec, data_shape=(3, 4, 4), batch_size=2, mean_img=path)


def test_errors(data, tmp_path, monkeypatch):
    imgs, rec, _ = data
    kw = dict(data_shape=(3, 6, 6), batch_size=2)
    with pytest.raises(FileNotFoundError, match="path_imgrec '.*missing.rec' does not exist"):
        mx.io.ImageRecordIter(path_imgrec=str(tmp_path / 'missing.rec'), **kw)
    with pytest.raises(MXNetError, match="path_imgrec '.*' is a directory"):
        mx.io.ImageRecordIter(path_imgrec=str(tmp_path), **kw)
    with pytest.raises(ValueError, match='path_imgrec \\(the .rec file\\) is required'):
        mx.io.ImageRecordIter(**kw)
    with pytest.raises(ValueError, match=r'data_shape \(2, 6, 6\) has 2 channels; expected 1 '
                                         r'\(grey\), 3 \(RGB\) or 4 \(RGBA\)'):
        mx.io.ImageRecordIter(path_imgrec=rec, data_shape=(2, 6, 6), batch_size=2)
    with pytest.raises(ValueError, match='data_shape must be \\(channels, height, width\\)'):
        mx.io.ImageRecordIter(path_imgrec=rec, data_shape=(6, 6), batch_size=2)
    grey = write_rec(str(tmp_path / 'g.rec'), [pattern(6, 6, 1)], [0.0])
    with pytest.raises(MXNetError, match=r'record at byte offset 0 of .*g.rec.* decodes to 1 '
                                         r'channels but data_shape asks for 4'):
        mx.io.ImageRecordIter(path_imgrec=grey, data_shape=(4, 6, 6), batch_size=2)
    with pytest.raises(MXNetError, match=r'record at byte offset 0 of .*d.rec.* is 10x12 \(HxW\) '
                                         r'after resize/pad, smaller than the 11x11 crop; set '
                                         r'resize'):
        mx.io.ImageRecordIter(path_imgrec=rec, data_shape=(3, 11, 11), batch_size=2)
    with pytest.raises(MXNetError, match=r"max_random_contrast=0.5 are not implemented"):
        mx.io.ImageRecordIter(path_imgrec=rec, max_random_contrast=0.5, **kw)
    mx.io.ImageRecordIter(path_imgrec=rec, max_rotate_angle=0, preprocess_threads=8,
                          rand_crop='1', **kw)          # defaults and strings are fine
    with pytest.raises(TypeError):
        mx.io.ImageRecordIter(rec, (3, 6, 6), 2)          # keyword arguments only, as MXNet
    bad = tmp_path / 'bad.rec'
    good = open(rec, 'rb').read()
    bad.write_bytes(good[:len(good) - 10])
    with pytest.raises(MXNetError, match=r"'.*bad.rec' is truncated: the record part at byte "
                                         r"offset \d+ runs past the end"):
        mx.io.ImageRecordIter(path_imgrec=str(bad), **kw)
    bad.write_bytes(b'\0' * 16)
    with pytest.raises(MXNetError, match='bad magic 0x00000000 at byte offset 0'):
        mx.io.ImageRecordIter(path_imgrec=str(bad), **kw)
    broken = write_rec(str(tmp_path / 'broken.rec'), [], [])
    writer = mx.recordio.MXRecordIO(broken, 'w')
    writer.write(mx.recordio.pack((0, 1.0, 0, 0), b'not an image'))
    writer.close()
    with pytest.raises(MXNetError, match=r"ImageRecordIter \(record at byte offset 0 of "
                                         r"'.*broken.rec'\): cannot decode"):
        mx.io.ImageRecordIter(path_imgrec=broken, **kw)
    for mod in ('PIL', 'PIL.Image', 'cv2'):
        monkeypatch.setitem(sys.modules, mod, None)
    with pytest.raises(MXNetError, match=r'needs an image codec: install Pillow'):
        mx.io.ImageRecordIter(path_imgrec=rec, **kw)


def test_module_fit_runs(data):
    _, rec, _ = data
    it = mx.io.ImageRecordIter(path_imgrec=rec, data_shape=(3, 6, 6), batch_size=4, scale=1 / 255)
    net = mx.sym.SoftmaxOutput(mx.sym.FullyConnected(mx.sym.flatten(mx.sym.var('data')),
                                                     num_hidden=N), name='softmax')
    mod = mx.mod.Module(net, context=mx.cpu())
    mod.fit(it, num_epoch=2, optimizer_params={'learning_rate': 0.1})
    assert mod.score(it, 'acc')[0][0] == 'accuracy'


def test_docstring_examples(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    runner = doctest.DocTestRunner(optionflags=doctest.NORMALIZE_WHITESPACE)
    for t in doctest.DocTestFinder(exclude_empty=True).find(image_record_iter,
                                                            globs={'mx': mx, 'np': np}):
        runner.run(t)
    assert runner.failures == 0 and runner.tries >= 5
    assert {'ImageRecordIter', 'ImageRecordUInt8Iter'} <= set(mx.io.__all__)
    assert os.path.basename(image_record_iter.__file__) == 'image_record_iter.py'


# ---------------------------------------------------------------- default augmenter options
AUG_LEVEL3 = dict(max_rotate_angle=10, max_shear_ratio=0.1, max_aspect_ratio=0.25,
                  min_random_scale=0.9, max_random_scale=1.1, random_h=36, random_s=50,
                  random_l=50, brightness=0.4, contrast=0.4, saturation=0.4, pca_noise=0.1,
                  fill_value=127, rand_crop=True, rand_mirror=True)


def test_default_augmenter_options_run_and_are_seeded(data):
    imgs, rec, _ = data

    def run(**kw):
        it = mx.io.ImageRecordIter(path_imgrec=rec, data_shape=(3, 8, 8), batch_size=N,
                                   seed=1, **dict(AUG_LEVEL3, **kw))
        return it.next().data[0].asnumpy()

    a = run()
    assert a.shape == (N, 3, 8, 8) and a.min() >= 0 and a.max() <= 255
    np.testing.assert_array_equal(a, run(preprocess_threads=1))
    assert not np.array_equal(a, run(seed_aug=2))
    # mean/std still apply after the colour steps
    b = run(mean_r=100, mean_g=100, mean_b=100, std_r=2, std_g=2, std_b=2)
    np.testing.assert_allclose(b, (a - 100) / 2)


def test_fixed_rotation_and_identity_options(tmp_path):
    img = pattern(6, 6, seed=9)
    rec = write_rec(str(tmp_path / 'r.rec'), [img], [0.0])
    kw = dict(path_imgrec=rec, data_shape=(3, 6, 6), batch_size=1)
    plain = mx.io.ImageRecordIter(**kw).next().data[0].asnumpy()[0]
    np.testing.assert_array_equal(plain, img.transpose(2, 0, 1))
    # no-op values of every option give the image back
    same = mx.io.ImageRecordIter(min_aspect_ratio=None, max_img_size=1e10, brightness=0,
                                 random_h=0, pca_noise=0, random_resized_crop=False,
                                 **kw).next().data[0].asnumpy()[0]
    np.testing.assert_array_equal(same, plain)
    # rotate=90: out[y, x] = img[x, 6 - y], row 0 from outside (fill_value)
    rot = mx.io.ImageRecordIter(rotate=90, fill_value=5, **kw).next().data[0].asnumpy()[0]
    np.testing.assert_array_equal(rot[:, 0], 5)
    np.testing.assert_array_equal(rot[:, 1:], img[:, ::-1][:, :5].transpose(2, 1, 0))
    rot = mx.io.ImageRecordIter(rotate_list='90', fill_value=5, **kw).next().data[0].asnumpy()
    np.testing.assert_array_equal(rot[0, :, 0], 5)


def test_random_scale_changes_the_warped_size(tmp_path):
    img = np.full((10, 10, 3), 200, np.uint8)
    rec = write_rec(str(tmp_path / 's.rec'), [img], [0.0])
    # scale 0.5 -> a 5x5 image; the 5x5 crop sees no background
    got = mx.io.ImageRecordIter(path_imgrec=rec, data_shape=(3, 5, 5), batch_size=1,
                                min_random_scale=0.5, max_random_scale=0.5,
                                fill_value=0).next().data[0].asnumpy()
    np.testing.assert_array_equal(got, 200)
    # scale 2 keeps a flat image flat in the middle; min_img_size enlarges the canvas
    got = mx.io.ImageRecordIter(path_imgrec=rec, data_shape=(3, 14, 14), batch_size=1,
                                min_img_size=14, fill_value=0).next().data[0].asnumpy()[0]
    assert (got[:, 7, 7] == 200).all() and (got[:, 0, 0] == 0).all()


def test_random_resized_crop_and_colour_ranges(data):
    imgs, rec, _ = data
    it = mx.io.ImageRecordIter(path_imgrec=rec, data_shape=(3, 5, 5), batch_size=N,
                               random_resized_crop=True, min_random_area=0.3, max_random_area=1,
                               max_aspect_ratio=4 / 3, min_aspect_ratio=3 / 4, inter_method=1)
    out = it.next().data[0].asnumpy()
    assert out.shape == (N, 3, 5, 5) and out.min() >= 0 and out.max() <= 255
    # brightness only: each image is the centre crop times one factor in [0.5, 1.5]
    it = mx.io.ImageRecordIter(path_imgrec=rec, data_shape=(3, 6, 6), batch_size=N,
                               brightness=0.5)
    out = it.next().data[0].asnumpy()
    for i in range(N):
        ref = centre(imgs[i], 6, 6).transpose(2, 0, 1).astype(float)
        keep = (ref > 4) & (out[i] < 255)
        ratio = out[i][keep] / ref[keep]
        assert 0.45 <= ratio.min() and ratio.max() <= 1.55 and np.ptp(ratio) < 0.2
    with pytest.raises(MXNetError, match='random_resized_crop=True conflicts with'):
        mx.io.ImageRecordIter(path_imgrec=rec, data_shape=(3, 5, 5), batch_size=1,
                              random_resized_crop=True, rand_crop=True)
    with pytest.raises(MXNetError, match='need colour images'):
        mx.io.ImageRecordIter(path_imgrec=rec, data_shape=(1, 5, 5), batch_size=1, random_h=5)
