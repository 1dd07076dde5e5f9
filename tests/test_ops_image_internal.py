"""The image internals _cvimdecode, _cvimread, _cvimresize, _cvcopyMakeBorder and _imdecode:
values vs Pillow / NumPy references, shapes, JSON, errors."""
import io

import numpy as np
import pytest

import mxlite as mx
from optest import assert_json_round_trip

Image = pytest.importorskip('PIL.Image')
nd = mx.nd


def png(arr):
    f = io.BytesIO()
    Image.fromarray(arr).save(f, format='PNG')
    return f.getvalue()


IMG = np.random.RandomState(0).randint(0, 256, (5, 7, 3)).astype(np.uint8)


@pytest.mark.parametrize('flag,to_rgb', [(1, True), (1, False), (0, True)])
def test_cvimdecode_and_cvimread(tmp_path, flag, to_rgb):
    data = png(IMG)
    buf = nd.array(np.frombuffer(data, np.uint8), dtype='uint8')
    out = nd._internal._cvimdecode(buf, flag=flag, to_rgb=to_rgb)
    if flag == 0:
        ref = np.asarray(Image.fromarray(IMG).convert('L'))[:, :, None]
    else:
        ref = IMG if to_rgb else IMG[:, :, ::-1]
    assert out.dtype == np.uint8 and out.shape == ref.shape
    assert out.asnumpy().tolist() == ref.tolist()
    path = tmp_path / 'a.png'
    path.write_bytes(data)
    got = nd._internal._cvimread(filename=str(path), flag=flag, to_rgb=to_rgb)
    assert got.asnumpy().tolist() == ref.tolist()


def test_decoders_errors():
    with pytest.raises(mx.base.MXNetError, match='cannot decode'):
        nd._internal._cvimdecode(nd.array([1, 2, 3], dtype='uint8'))
    with pytest.raises(FileNotFoundError, match='does not exist'):
        nd._internal._cvimread(filename='/nonexistent/x.png')


@pytest.mark.parametrize('w,h,interp', [(3, 2, 0), (14, 10, 1), (4, 3, 2), (3, 2, 3), (9, 8, 9)])
def test_cvimresize(w, h, interp):
    out = nd._internal._cvimresize(nd.array(IMG, dtype='uint8'), w=w, h=h, interp=interp)
    ref = mx.image.imresize(nd.array(IMG, dtype='uint8'), w, h, interp=interp)
    assert out.shape == (h, w, 3) and out.dtype == np.uint8
    assert out.asnumpy().tolist() == ref.asnumpy().tolist()
    if interp == 0 and (w, h) == (3, 2):    # nearest, by hand: OpenCV's floor(i * scale)
        rows = np.floor(np.arange(h) * 5 / h).astype(int)
        cols = np.floor(np.arange(w) * 7 / w).astype(int)
        assert out.asnumpy().tolist() == IMG[rows][:, cols].tolist()
    s = mx.sym._internal._cvimresize(mx.sym.var('src'), w=w, h=h, interp=interp)
    assert s.infer_shape(src=(5, 7, 3))[1] == [(h, w, 3)]
    assert_json_round_trip(s)


def test_cvimresize_errors():
    with pytest.raises(mx.base.MXNetError, match='must be positive'):
        nd._internal._cvimresize(nd.array(IMG, dtype='uint8'), w=0, h=2)
    with pytest.raises(mx.base.MXNetError, match='HWC or HW'):
        nd._internal._cvimresize(nd.zeros((1, 2, 3, 4)), w=2, h=2)


BORDER = [(0, 'constant'), (1, 'edge'), (2, 'symmetric'), (3, 'wrap'), (4, 'reflect')]


@pytest.mark.parametrize('btype,mode', BORDER)
@pytest.mark.parametrize('dtype', ['uint8', 'float32'])
def test_cvcopymakeborder(btype, mode, dtype):
    src = IMG.astype(dtype)
    out = nd._internal._cvcopyMakeBorder(nd.array(src, dtype=dtype), 1, 2, 3, 0, type=btype,
                                         value=9)
    kw = {'constant_values': 9} if mode == 'constant' else {}
    ref = np.pad(src, [(1, 2), (3, 0), (0, 0)], mode=mode, **kw)
    assert out.dtype == np.dtype(dtype) and out.shape == (8, 10, 3)
    assert out.asnumpy().tolist() == ref.tolist()
    # OpenCV's reflect (type 2) repeats the edge pixel; reflect-101 (type 4) does not
    if btype == 2:
        assert out.asnumpy()[0].tolist() == out.asnumpy()[1].tolist()
    s = mx.sym._internal._cvcopyMakeBorder(mx.sym.var('src'), top=1, bot=2, left=3, right=0,
                                           type=btype)
    assert s.infer_shape(src=(5, 7, 3))[1] == [(8, 10, 3)]
    assert_json_round_trip(s)


def test_cvcopymakeborder_values_and_errors():
    out = nd._internal._cvcopyMakeBorder(nd.array(IMG, dtype='uint8'), 1, 0, 0, 0,
                                         values=(1, 2, 3)).asnumpy()
    assert out[0].tolist() == [[1, 2, 3]] * 7
    assert out[1:].tolist() == IMG.tolist()
    with pytest.raises(mx.base.MXNetError, match='not a border type'):
        nd._internal._cvcopyMakeBorder(nd.array(IMG, dtype='uint8'), 1, 1, 1, 1, type=7)
    with pytest.raises(mx.base.MXNetError, match='must not be negative'):
        nd._internal._cvcopyMakeBorder(nd.array(IMG, dtype='uint8'), -1, 1, 1, 1)


def test_legacy_imdecode():
    data = png(IMG)
    kw = dict(index=0, x0=0, y0=0, x1=0, y1=0, c=3, size=len(data), str_img=data)
    out = nd._internal._imdecode(nd.zeros((0,)), **kw)
    assert out.shape == (1, 3, 5, 7) and out.dtype == np.float32
    assert out.asnumpy()[0].tolist() == IMG.transpose(2, 0, 1).astype(np.float32).tolist()
    crop = dict(kw, x0=1, y0=2, x1=4, y1=5)
    mean = np.full((3, 3, 3), 10, np.float32)
    out = nd._internal._imdecode(nd.array(mean), **crop)
    ref = IMG[2:5, 1:4].transpose(2, 0, 1).astype(np.float32) - 10
    assert out.asnumpy()[0].tolist() == ref.tolist()
    with pytest.raises(mx.base.MXNetError, match="'mean' has shape"):
        nd._internal._imdecode(nd.zeros((2,)), **crop)
    with pytest.raises(mx.base.MXNetError, match='does not fit'):
        nd._internal._imdecode(nd.zeros((0,)), **dict(kw, x1=50, y1=50))
