"""NDArray and Context basics of the symbolic core (issue: the walkthrough foundations)."""
import pickle

import numpy as np
import pytest

import mxlite as mx
from mxlite.base import MXNetError


def test_contexts():
    assert mx.cpu() == mx.cpu(0) and mx.cpu(1) != mx.cpu(0)
    assert str(mx.cpu(2)) == 'cpu(2)' and mx.current_context() == mx.cpu(0)
    with mx.Context('cpu', 3):
        assert mx.current_context() == mx.cpu(3)
        assert mx.nd.zeros((2,)).context == mx.cpu(3)
    assert mx.current_context() == mx.cpu(0)
    assert isinstance(mx.context.Context('cpu'), mx.Context)


def test_gpu_without_backend_is_a_clear_error():
    if mx.num_gpus() > 0:
        pytest.skip('a GPU backend is present here')
    with pytest.raises(MXNetError, match='GPU|CuPy'):
        mx.gpu(0)


@pytest.mark.parametrize('source,dtype,expected', [
    ([1, 2, 3], None, np.float32),
    (np.arange(3), None, np.float32),
    (np.arange(3.0), None, np.float32),
    (np.arange(3), 'int32', np.int32),
    ([1.5], 'float64', np.float64),
    ([True, False], 'bool', np.bool_),
])
def test_array_dtype_rules(source, dtype, expected):
    assert mx.nd.array(source, dtype=dtype).dtype == expected


def test_creation_and_properties():
    x = mx.nd.full((2, 3), 7, dtype='int32')
    assert (x.shape, x.size, x.ndim, x.dtype) == ((2, 3), 6, 2, np.int32)
    assert mx.nd.ones((2, 2)).T.shape == (2, 2)
    assert mx.nd.arange(0, 6, 2).asnumpy().tolist() == [0, 2, 4]
    assert mx.nd.arange(3, repeat=2).asnumpy().tolist() == [0, 0, 1, 1, 2, 2]
    assert mx.nd.concat(mx.nd.ones((1, 2)), mx.nd.zeros((1, 2)), dim=0).shape == (2, 2)
    assert mx.nd.array([3.5]).asscalar() == 3.5
    with pytest.raises(ValueError):
        mx.nd.ones(2).asscalar()
    assert mx.nd.empty((2, 2)).shape == (2, 2)


def test_views_share_memory_on_first_axis_and_reshape():
    x = mx.nd.zeros((4, 3))
    x[1:3] = 5
    row = x[2]
    row[:] = 9
    assert x.asnumpy()[2].tolist() == [9, 9, 9]
    x[1:2][:] = 1
    assert x.asnumpy()[1].tolist() == [1, 1, 1]
    flat = x.reshape((-1,))
    flat[0] = 42
    assert x.asnumpy()[0, 0] == 42
    assert x.reshape((0, -1)).shape == (4, 3)
    assert x.reshape((-3,)).shape == (12,)
    assert x.reshape((-4, 2, -1, 3)).shape == (2, 2, 3)
    assert mx.nd.zeros((2, 3, 4)).reshape((-2,)).shape == (2, 3, 4)
    assert mx.nd.zeros((2, 3, 4)).reshape((-1, 0), reverse=True).shape == (6, 4)
    with pytest.raises(MXNetError, match='Reshape'):
        x.reshape((5, -1))


def test_arithmetic_broadcasting_inplace_and_comparison():
    a = mx.nd.array([[1, 2], [3, 4]])
    b = mx.nd.array([10, 20])
    assert (a + b).asnumpy().tolist() == [[11, 22], [13, 24]]
    assert (2 - a).asnumpy().tolist() == [[1, 0], [-1, -2]]
    assert (a ** 2).asnumpy().tolist() == [[1, 4], [9, 16]]
    assert (1 / a).asnumpy()[0, 1] == 0.5
    assert (a > 2).asnumpy().tolist() == [[0, 0], [1, 1]]
    assert (a == a).asnumpy().all()
    c = a.copy()
    c += b
    c *= 2
    assert c.asnumpy().tolist() == [[22, 44], [26, 48]]
    assert a.asnumpy().tolist() == [[1, 2], [3, 4]]  # copy was independent
    with pytest.raises(MXNetError, match='broadcast'):
        a + mx.nd.ones((3,))


def test_copyto_astype_as_in_context_pickle_repr():
    a = mx.nd.array([1, 2, 3])
    b = mx.nd.zeros(3)
    a.copyto(b)
    assert b.asnumpy().tolist() == [1, 2, 3]
    c = a.copyto(mx.cpu(1))
    assert c.context == mx.cpu(1)
    assert a.as_in_context(mx.cpu(0)) is a
    assert a.astype('int32').dtype == np.int32
    with pytest.raises(MXNetError, match='shape'):
        a.copyto(mx.nd.zeros(4))
    d = pickle.loads(pickle.dumps(a))
    assert d.asnumpy().tolist() == [1, 2, 3] and d.context == a.context
    assert repr(mx.nd.ones((2, 2))).endswith('<NDArray 2x2 @cpu(0)>')
    a.wait_to_read()
    mx.nd.waitall()


def test_nd_op_errors_name_the_op_and_argument():
    with pytest.raises(MXNetError, match="FullyConnected.*num_hiden.*num_hidden"):
        mx.nd.FullyConnected(mx.nd.ones((2, 3)), mx.nd.ones((4, 3)), mx.nd.ones(4),
                             num_hiden=4)
    with pytest.raises(MXNetError, match="FullyConnected: input 'weight' is missing"):
        mx.nd.FullyConnected(mx.nd.ones((2, 3)), num_hidden=4)
    with pytest.raises(MXNetError, match="act_type.*'rleu'.*relu"):
        mx.nd.Activation(mx.nd.ones(2), act_type='rleu')


@pytest.mark.parametrize('stype,shape', [('csr', (5, 4)), ('row_sparse', (6, 3))])
def test_rand_sparse_ndarray(stype, shape):
    from mxlite.test_utils import rand_sparse_ndarray
    np.random.seed(1)
    arr, parts = rand_sparse_ndarray(shape, stype, density=0.5)
    assert arr.stype == stype and arr.shape == shape
    dense = arr.asnumpy()
    if stype == 'csr':
        data, indices, indptr = parts
        rebuilt = np.zeros(shape, dtype=np.float32)
        for r in range(shape[0]):
            rebuilt[r, indices[indptr[r]:indptr[r + 1]]] = data[indptr[r]:indptr[r + 1]]
    else:
        data, indices = parts
        rebuilt = np.zeros(shape, dtype=np.float32)
        rebuilt[indices] = data
    np.testing.assert_array_equal(dense, rebuilt)
    assert arr.tostype('default').asnumpy().tolist() == dense.tolist()
