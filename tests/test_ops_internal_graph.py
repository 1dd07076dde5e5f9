"""Internal operators of Gluon-exported graphs (mxlite/ops/internal_graph_ops.py): values
vs NumPy, gradients vs finite differences, shapes (also backwards), types, JSON round
trip, imperative == symbolic, errors, and an exported Gluon LSTM bound and run."""
import doctest
import json

import numpy as np
import pytest

import mxlite as mx
from mxlite.base import MXNetError
from mxlite.ops import internal_graph_ops
from mxlite.test_utils import assert_almost_equal, check_numeric_gradient

RNG = np.random.RandomState(3)
I = mx.sym._internal
V = mx.sym.var


# ----------------------------------------------------------------------------- references
def ref_slice_assign(lhs, rhs, region):
    out = lhs.copy()
    out[region] = rhs
    return out


def ref_scatter_set(lhs, rhs, ind):
    out = lhs.copy()
    for j in range(ind.shape[1]):  # one coordinate at a time
        out[tuple(int(c) for c in ind[:, j])] = rhs[j]
    return out


L34 = RNG.randn(3, 4)
R22 = RNG.randn(2, 2)
R2 = RNG.randn(2, 1)
IND = np.array([[0, 2], [1, 3]], dtype=np.float64)
RHS_ND = RNG.randn(2)

# name -> (symbol builder, {input: array}, reference(inputs) -> output, grad nodes)
CASES = {
    'rnn_param_concat': (lambda: I._rnn_param_concat(V('a'), V('b'), V('c'), num_args=3, dim=0),
                         {'a': RNG.randn(4), 'b': RNG.randn(3), 'c': RNG.randn(2)},
                         lambda d: np.concatenate([d['a'], d['b'], d['c']]), ['a', 'b', 'c']),
    'rnn_param_concat_dim1': (lambda: I._rnn_param_concat(V('a'), V('b'), num_args=2),
                              {'a': RNG.randn(2, 3), 'b': RNG.randn(2, 1)},
                              lambda d: np.concatenate([d['a'], d['b']], 1), ['a', 'b']),
    'identity_like_rhs': (lambda: I._identity_with_attr_like_rhs(V('lhs'), V('rhs')),
                          {'lhs': L34, 'rhs': np.zeros((3, 4))}, lambda d: d['lhs'], ['lhs']),
    'cross_device_copy': (lambda: I._CrossDeviceCopy(V('data')), {'data': L34},
                          lambda d: d['data'], ['data']),
    'copyto': (lambda: I._copyto(V('data')), {'data': L34}, lambda d: d['data'], ['data']),
    'grad_add': (lambda: I._grad_add(V('lhs'), V('rhs')), {'lhs': L34, 'rhs': L34 * 2},
                 lambda d: d['lhs'] + d['rhs'], ['lhs', 'rhs']),
    'slice_assign': (lambda: I._slice_assign(V('lhs'), V('rhs'), begin=(0, 1), end=(2, 3)),
                     {'lhs': L34, 'rhs': R22},
                     lambda d: ref_slice_assign(d['lhs'], d['rhs'], np.s_[0:2, 1:3]),
                     ['lhs', 'rhs']),
    'slice_assign_step': (lambda: I._slice_assign(V('lhs'), V('rhs'), begin=(None, -1),
                                                  end=(2, 0), step=(1, -2)),
                          {'lhs': L34, 'rhs': R22},
                          lambda d: ref_slice_assign(d['lhs'], d['rhs'], np.s_[:2, -1:0:-2]),
                          ['lhs', 'rhs']),
    'crop_assign': (lambda: I._crop_assign(V('lhs'), V('rhs'), begin=(1, 2), end=(3, 3)),
                    {'lhs': L34, 'rhs': R2},
                    lambda d: ref_slice_assign(d['lhs'], d['rhs'], np.s_[1:3, 2:3]),
                    ['lhs', 'rhs']),
    'slice_assign_scalar': (lambda: I._slice_assign_scalar(V('data'), scalar=2.5, begin=(0, 1),
                                                           end=(2, None), step=(1, 2)),
                            {'data': L34},
                            lambda d: ref_slice_assign(d['data'], 2.5, np.s_[0:2, 1::2]),
                            ['data']),
    'crop_assign_scalar': (lambda: I._crop_assign_scalar(V('data'), begin=(1,), end=(3,)),
                           {'data': L34}, lambda d: ref_slice_assign(d['data'], 0, np.s_[1:3]),
                           ['data']),
    'scatter_set_nd': (lambda: I._scatter_set_nd(V('lhs'), V('rhs'), V('indices'), shape=(3, 4)),
                       {'lhs': L34, 'rhs': RHS_ND, 'indices': IND},
                       lambda d: ref_scatter_set(d['lhs'], d['rhs'], d['indices']),
                       ['lhs', 'rhs']),
}
DTYPES = [np.float32, np.float64]


def _bind(sym, data, dtype):
    loc = {k: mx.nd.array(v, dtype=dtype if k != 'indices' else np.float32)
           for k, v in data.items()}
    ex = sym.bind(mx.cpu(), loc)
    return ex.forward()[0].asnumpy()


@pytest.mark.parametrize('dtype', DTYPES)
@pytest.mark.parametrize('case', sorted(CASES))
def test_forward_vs_numpy(case, dtype):
    build, data, ref, _ = CASES[case]
    out = _bind(build(), data, dtype)
    assert out.dtype == dtype
    tol = 1e-6 if dtype == np.float32 else 1e-12
    assert_almost_equal(out, ref(data).astype(dtype), rtol=tol, atol=tol)


@pytest.mark.parametrize('case', sorted(CASES))
def test_imperative_matches_symbolic(case):
    build, data, _, _ = CASES[case]
    sym = build()
    op = getattr(mx.nd._internal, json.loads(sym.tojson())['nodes'][-1]['op'])
    attrs = {k: v for k, v in json.loads(sym.tojson())['nodes'][-1].get('attrs', {}).items()}
    args = [mx.nd.array(data[n], dtype=np.float64) for n in sym.list_arguments()]
    out = op(*args, **attrs)
    assert_almost_equal(out.asnumpy(), _bind(sym, data, np.float64), rtol=0, atol=0)


@pytest.mark.parametrize('case', sorted(CASES))
def test_gradient_vs_numerical(case):
    build, data, _, grad_nodes = CASES[case]
    check_numeric_gradient(build(), dict(data), grad_nodes=grad_nodes, numeric_eps=1e-6,
                           rtol=1e-5, atol=1e-7, dtype=np.float64)


@pytest.mark.parametrize('case', sorted(CASES))
def test_json_round_trip(case):
    sym = CASES[case][0]()
    text = sym.tojson()
    assert mx.sym.load_json(text).tojson() == text


def test_crop_assign_is_an_alias_written_as_slice_assign():
    # MXNet 1.9.1 writes the canonical op name for the _crop_assign* aliases
    nodes = json.loads(CASES['crop_assign'][0]().tojson())['nodes']
    assert nodes[-1]['op'] == '_slice_assign'
    nodes = json.loads(CASES['crop_assign_scalar'][0]().tojson())['nodes']
    assert nodes[-1]['op'] == '_slice_assign_scalar'
    from mxlite.ops import registry
    ops = registry.all_ops()
    assert ops['_crop_assign'] is ops['_slice_assign']
    assert ops['_crop_assign_scalar'] is ops['_slice_assign_scalar']


def test_slice_assign_gradient_split():
    # lhs gets the head gradient outside the region, rhs the region itself
    lhs, rhs = mx.nd.array(L34), mx.nd.array(R22)
    lhs.attach_grad()
    rhs.attach_grad()
    head = mx.nd.array(np.arange(12.).reshape(3, 4) + 1)
    with mx.autograd.record():
        out = mx.nd._internal._slice_assign(lhs, rhs, begin=(0, 1), end=(2, 3))
    out.backward(head)
    expect = head.asnumpy().copy()
    expect[0:2, 1:3] = 0
    assert_almost_equal(lhs.grad.asnumpy(), expect)
    assert_almost_equal(rhs.grad.asnumpy(), head.asnumpy()[0:2, 1:3])


# ----------------------------------------------------------------------------- shapes/types
def test_shapes_partial_and_backwards():
    s = I._slice_assign(V('lhs'), V('rhs'), begin=(0, 1), end=(2, 3))
    args, outs, _ = s.infer_shape(lhs=(3, 4))
    assert args == [(3, 4), (2, 2)] and outs == [(3, 4)]
    s = I._slice_assign_scalar(V('data'), begin=(1,), end=(None,))
    assert s.infer_shape(data=(5, 2))[1] == [(5, 2)]
    s = I._identity_with_attr_like_rhs(V('lhs'), V('rhs'))
    assert s.infer_shape(rhs=(2, 3))[0] == [(2, 3), (2, 3)]
    s = I._scatter_set_nd(V('lhs'), V('rhs'), V('indices'), shape=(3, 4))
    assert s.infer_shape(indices=(2, 5))[0] == [(3, 4), (5,), (2, 5)]
    assert s.infer_shape(indices=(1, 5))[0] == [(3, 4), (5, 4), (1, 5)]
    s = I._grad_add(V('lhs'), V('rhs'))
    assert s.infer_shape_partial(lhs=(2, 3))[0] == [(2, 3), (2, 3)]


def test_rnn_param_concat_infers_unknown_inputs_from_output():
    a, b, c = V('a'), V('b'), V('c')
    cat = I._rnn_param_concat(a, b, c, num_args=3, dim=0)
    assert cat.infer_shape(a=(4,), b=(3,), c=(2,))[1] == [(9,)]
    # the consumer fixes the output size: two unknown inputs share the remainder
    s = mx.sym.elemwise_add(cat, V('w'))
    args, outs, _ = s.infer_shape(a=(4,), w=(10,))
    assert args == [(4,), (3,), (3,), (10,)] and outs == [(10,)]
    with pytest.raises(MXNetError, match='cannot be shared'):
        s.infer_shape(a=(4,), w=(9,))


def test_zeros_without_dtype_type_from_consumer():
    z = I._zeros_without_dtype(shape=(2, 0))
    assert json.loads(z.tojson())['nodes'][-1]['attrs'] == {'shape': '(2, 0)'}
    s = mx.sym.elemwise_add(z, V('x'))
    args, outs, _ = s.infer_type(x=np.float64)
    assert args == [np.float64] and outs == [np.float64]
    ex = s.simple_bind(mx.cpu(), x=(2, 3), type_dict={'x': np.float64})
    ex.arg_dict['x'][:] = 1
    out = ex.forward()[0].asnumpy()
    assert out.dtype == np.float64 and out.shape == (2, 3) and (out == 1).all()
    # alone, nothing decides the type (MXNet leaves it unknown too); the buffer is float32
    assert z.infer_type() == (None, None, None)
    ex = I._zeros_without_dtype(shape=(2, 3)).simple_bind(mx.cpu())
    assert ex.forward()[0].dtype == np.float32
    assert I._zeros_without_dtype(shape=(2,), dtype=1).infer_type()[1] == [np.float64]
    out = mx.nd._internal._zeros_without_dtype(shape=(2,), dtype=4)
    assert out.dtype == np.int32 and out.asnumpy().tolist() == [0, 0]


@pytest.mark.parametrize('op,kw,value', [('_NoGradient', {}, 0.0),
                                         ('_set_value', {'src': 3.5}, 3.5)])
def test_placeholders_take_shape_from_consumer(op, kw, value):
    sym = getattr(I, op)(**kw)
    assert sym.list_arguments() == []
    s = mx.sym.elemwise_add(sym, V('x'))
    assert s.infer_shape(x=(2, 3))[1] == [(2, 3)]
    ex = s.simple_bind(mx.cpu(), x=(2, 3))
    ex.arg_dict['x'][:] = 1
    assert_almost_equal(ex.forward()[0].asnumpy(), np.full((2, 3), 1 + value))
    assert mx.sym.load_json(sym.tojson()).tojson() == sym.tojson()


# ----------------------------------------------------------------------------- sampling
def test_sample_unique_zipfian():
    s = I._sample_unique_zipfian(range_max=50, shape=(4, 6))
    assert s.list_outputs() == ['_sample_unique_zipfian0_output0',
                                '_sample_unique_zipfian0_output1']
    assert s.infer_shape()[1] == [(4, 6), (4,)]
    assert s.infer_type()[1] == [np.int64, np.int64]
    mx.random.seed(11)
    samples, tries = mx.nd._internal._sample_unique_zipfian(range_max=50, shape=(4, 6))
    smp, tr = samples.asnumpy(), tries.asnumpy()
    assert smp.dtype == np.int64 and tr.dtype == np.int64
    assert ((smp >= 0) & (smp < 50)).all() and (tr >= 6).all()
    assert all(len(set(row)) == 6 for row in smp.tolist())
    # every class can come out; small classes are the likely ones (log-uniform)
    mx.random.seed(5)
    many = mx.nd._internal._sample_unique_zipfian(range_max=5, shape=(300, 5))[0].asnumpy()
    assert sorted(set(many.ravel().tolist())) == [0, 1, 2, 3, 4]
    first = mx.nd._internal._sample_unique_zipfian(range_max=1000, shape=(400, 1))[0]
    freq = np.bincount(first.asnumpy().ravel(), minlength=1000)
    p0 = np.log(2) / np.log(1001)   # P(0) = log(2/1) / log(range_max + 1)
    assert abs(freq[0] / 400 - p0) < 0.06
    assert freq[:10].sum() > freq[500:].sum()


# ----------------------------------------------------------------------------- errors
def test_errors_name_the_problem():
    with pytest.raises(MXNetError, match="'rhs' has shape"):
        I._slice_assign(V('lhs'), V('rhs'), begin=(0,), end=(2,)).infer_shape(
            lhs=(3, 4), rhs=(3, 4))
    with pytest.raises(MXNetError, match='begin'):
        I._slice_assign_scalar(V('data'), begin=(0, 0, 0), end=(1, 1, 1)).infer_shape(
            data=(3, 4))
    with pytest.raises(MXNetError, match="required parameter 'src'"):
        I._set_value()
    with pytest.raises(MXNetError, match='range_max'):
        mx.nd._internal._sample_unique_zipfian(range_max=3, shape=(1, 5))
    with pytest.raises(MXNetError, match='2-D'):
        mx.nd._internal._sample_unique_zipfian(range_max=3, shape=(5,))
    with pytest.raises(MXNetError, match='dtype=42'):
        I._zeros_without_dtype(shape=(2,), dtype=42).infer_type()
    with pytest.raises(MXNetError, match="'lhs' has shape"):
        I._scatter_set_nd(V('lhs'), V('rhs'), V('indices'), shape=(3, 4)).infer_shape(
            lhs=(2, 2), indices=(2, 2))
    with pytest.raises(MXNetError, match='except dim=1 must agree'):
        I._rnn_param_concat(V('a'), V('b'), num_args=2).infer_shape(a=(2, 3), b=(3, 3))


# ----------------------------------------------------------------------------- Gluon export
# gluon.rnn.LSTM(5, input_size=4) in a HybridBlock (prefix 'net_'), exported by MXNet 1.9.1
LSTM_JSON = (
    '{"nodes":[{"op":"null","name":"data","inputs":[]},{"op":"null","name":"net_lstm0_l0_i2'
    'h_weight","attrs":{"__dtype__":"0","__lr_mult__":"1.0","__shape__":"(20, 4)","__storag'
    'e_type__":"0","__wd_mult__":"1.0"},"inputs":[]},{"op":"Reshape","name":"net_lstm0_resh'
    'ape0","attrs":{"shape":"-1"},"inputs":[[1,0,0]]},{"op":"null","name":"net_lstm0_l0_h2h'
    '_weight","attrs":{"__dtype__":"0","__lr_mult__":"1.0","__shape__":"(20, 5)","__storage'
    '_type__":"0","__wd_mult__":"1.0"},"inputs":[]},{"op":"Reshape","name":"net_lstm0_resha'
    'pe1","attrs":{"shape":"-1"},"inputs":[[3,0,0]]},{"op":"null","name":"net_lstm0_l0_i2h_'
    'bias","attrs":{"__dtype__":"0","__init__":"zeros","__lr_mult__":"1.0","__shape__":"(20'
    ',)","__storage_type__":"0","__wd_mult__":"1.0"},"inputs":[]},{"op":"Reshape","name":"n'
    'et_lstm0_reshape2","attrs":{"shape":"-1"},"inputs":[[5,0,0]]},{"op":"null","name":"net'
    '_lstm0_l0_h2h_bias","attrs":{"__dtype__":"0","__init__":"zeros","__lr_mult__":"1.0","_'
    '_shape__":"(20,)","__storage_type__":"0","__wd_mult__":"1.0"},"inputs":[]},{"op":"Resh'
    'ape","name":"net_lstm0_reshape3","attrs":{"shape":"-1"},"inputs":[[7,0,0]]},{"op":"_rn'
    'n_param_concat","name":"net_lstm0__rnn_param_concat0","attrs":{"dim":"0","num_args":"4'
    '"},"inputs":[[2,0,0],[4,0,0],[6,0,0],[8,0,0]]},{"op":"_zeros","name":"net_net_lstm0_h0'
    '_0","attrs":{"__layout__":"LNC","dtype":"float32","shape":"(1, 0, 5)"},"inputs":[]},{"'
    'op":"_zeros","name":"net_net_lstm0_h0_1","attrs":{"__layout__":"LNC","dtype":"float32"'
    ',"shape":"(1, 0, 5)"},"inputs":[]},{"op":"RNN","name":"net_lstm0_rnn0","attrs":{"bidir'
    'ectional":"False","lstm_state_clip_max":"None","lstm_state_clip_min":"None","lstm_stat'
    'e_clip_nan":"False","mode":"lstm","num_layers":"1","p":"0","projection_size":"None","s'
    'tate_outputs":"True","state_size":"5","use_sequence_length":"False"},"inputs":[[0,0,0]'
    ',[9,0,0],[10,0,0],[11,0,0]]}],"arg_nodes":[0,1,3,5,7],"node_row_ptr":[0,1,2,3,4,5,6,7,'
    '8,9,10,11,12,15],"heads":[[12,0,0]],"attrs":{"mxnet_version":["int",10901]}}')
LSTM_PARAMS = {'net_lstm0_l0_h2h_bias': (20,), 'net_lstm0_l0_h2h_weight': (20, 5),
               'net_lstm0_l0_i2h_bias': (20,), 'net_lstm0_l0_i2h_weight': (20, 4)}
# MXNet 1.9.1's output for the inputs made by _fill_lstm (rounded to 6 decimals)
LSTM_OUT = [
    [[-0.2863, 0.150043, 0.179697, -0.167643, -0.33324],
     [-0.254252, 0.000921, 0.063608, -0.185473, -0.227618]],
    [[-0.237799, -0.216644, -0.13876, -0.185537, -0.034354],
     [-0.131184, -0.171223, -0.314439, -0.011872, 0.105308]],
    [[-0.215243, -0.228202, -0.32159, 0.035332, 0.205008],
     [-0.264998, -0.379848, -0.234668, -0.067423, 0.097958]]]


def _fill_lstm(ex):
    for i, (k, s) in enumerate(sorted(LSTM_PARAMS.items())):
        n = int(np.prod(s))
        ex.arg_dict[k][:] = np.sin(np.arange(n) * 0.37 + i).reshape(s) * 0.5
    ex.arg_dict['data'][:] = np.cos(np.arange(24) * 0.21).reshape(3, 2, 4)


@pytest.mark.parametrize('zeros_op', ['_zeros', '_zeros_without_dtype'])
def test_exported_gluon_lstm_binds_and_runs(zeros_op):
    text = LSTM_JSON
    if zeros_op == '_zeros_without_dtype':   # begin states as graphs that leave dtype open
        graph = json.loads(text)
        for node in graph['nodes']:
            if node['op'] == '_zeros':
                node['op'] = zeros_op
                del node['attrs']['dtype']
        text = json.dumps(graph)
    sym = mx.sym.load_json(text)
    assert mx.sym.load_json(sym.tojson()).tojson() == sym.tojson()
    args, outs, _ = sym.infer_shape(data=(3, 2, 4))
    assert dict(zip(sym.list_arguments(), args)) == dict(LSTM_PARAMS, data=(3, 2, 4))
    ex = sym.simple_bind(mx.cpu(), data=(3, 2, 4))
    _fill_lstm(ex)
    out = ex.forward()[0].asnumpy()
    assert out.shape == (3, 2, 5) and out.dtype == np.float32
    assert_almost_equal(out, np.array(LSTM_OUT), rtol=1e-4, atol=1e-5)


def test_docstring_examples():
    assert doctest.testmod(internal_graph_ops, extraglobs={'mx': mx}).failed == 0
