"""Broken programs and the messages they get: a table run by one harness.

Each row is a small wrong program and the parts its error message must contain. For
errors about a node (shapes, dtypes, parameters, NaN) the parts are the operator, the
node, the input, the expected and the actual value; the user's line that created the
node (this file's name and the line marked ``# <- line``) is checked by a separate
``-line`` test. Parts that belong in a message but are missing today are listed per row
and checked by a ``-missing`` test marked xfail(strict=True) with the reason, so a fix
turns it into a failure that asks for the mark to go.
"""
import inspect
import os
from collections import namedtuple

import numpy as np
import pytest

import mxlite as mx
from mxlite.base import MXNetError

THIS_FILE = os.path.basename(__file__)

Row = namedtuple('Row', 'id program exc parts line missing xfail')


def row(id, program, exc, parts, line=True, missing=None, xfail=None):
    """`line`: True (the message names the marked line), False (no node involved) or a
    reason string (it should, and does not: xfail). `missing`: (reason, [parts]) wanted
    but absent. `xfail`: a reason when the program raises no fitting error at all."""
    return Row(id, program, exc, parts, line, missing, xfail)


def _marked_line(program):
    lines, start = inspect.getsourcelines(program)
    for k, text in enumerate(lines):
        if '# <- line' in text:
            return start + k
    raise AssertionError('%s has no "# <- line" marker' % program.__name__)


def _message(r):
    with pytest.raises(r.exc) as info:
        r.program()
    return str(info.value)


# ---------------------------------------------------------------------- shapes per layer
data = mx.sym.var('data')


def fc_weight_mismatch():
    fc1 = mx.sym.FullyConnected(data, num_hidden=8, name='fc1')
    fc2 = mx.sym.FullyConnected(fc1, num_hidden=3, name='fc2')  # <- line
    fc2.simple_bind(mx.cpu(), data=(4, 10), fc2_weight=(3, 5))


def fc_bias_mismatch_at_bind():
    fc = mx.sym.FullyConnected(data, num_hidden=3, name='fc')  # <- line
    fc.bind(mx.cpu(), {'data': mx.nd.ones((2, 4)), 'fc_weight': mx.nd.ones((3, 4)),
                       'fc_bias': mx.nd.ones((4,))})


def conv_channels_mismatch():
    conv = mx.sym.Convolution(data, kernel=(3, 3), num_filter=4, name='conv1')  # <- line
    conv.simple_bind(mx.cpu(), data=(2, 3, 8, 8), conv1_weight=(4, 2, 3, 3))


def pooling_kernel_too_large():
    pool = mx.sym.Pooling(data, kernel=(5, 5), pool_type='max', name='pool1')  # <- line
    pool.simple_bind(mx.cpu(), data=(2, 3, 3, 3))


def batchnorm_gamma_shape():
    bn = mx.sym.BatchNorm(data, name='bn1')  # <- line
    bn.simple_bind(mx.cpu(), data=(2, 3, 4, 4), bn1_gamma=(4,))


def concat_mismatched_dims():
    cat = mx.sym.Concat(mx.sym.var('a'), mx.sym.var('b'), dim=1, name='cat')  # <- line
    cat.simple_bind(mx.cpu(), a=(2, 3), b=(3, 3))


def elemwise_add_shapes():
    out = mx.sym.elemwise_add(mx.sym.var('a'), mx.sym.var('b'), name='plus')  # <- line
    out.simple_bind(mx.cpu(), a=(2, 3), b=(3, 3))


def symbol_plus_shapes():
    out = mx.sym.var('a') + mx.sym.var('b')  # <- line
    out.simple_bind(mx.cpu(), a=(2, 3), b=(3, 3))


def reshape_impossible():
    out = mx.sym.Reshape(data, shape=(5, -1), name='rs')  # <- line
    out.simple_bind(mx.cpu(), data=(2, 3))


def embedding_weight():
    out = mx.sym.Embedding(data, input_dim=10, output_dim=4, name='emb')  # <- line
    out.simple_bind(mx.cpu(), data=(2, 3), emb_weight=(10, 5))


def deconvolution_weight():
    out = mx.sym.Deconvolution(data, kernel=(3, 3), num_filter=4, name='deconv1')  # <- line
    out.simple_bind(mx.cpu(), data=(2, 3, 8, 8), deconv1_weight=(2, 4, 3, 3))


def softmax_label_length():
    out = mx.sym.SoftmaxOutput(data, name='softmax')  # <- line
    out.infer_shape(data=(5, 3), softmax_label=(4,))


# ---------------------------------------------------------------------- parameters
def dropout_p_out_of_range():
    out = mx.sym.Dropout(data, p=1.5, name='drop')  # <- line
    exe = out.simple_bind(mx.cpu(), data=(2, 3))
    exe.forward(is_train=True)


def dropout_mode_typo():
    mx.sym.Dropout(data, mode='alwayz', name='drop')  # <- line


def activation_bad_value():
    mx.sym.Activation(data, act_type='rleu', name='act')  # <- line


def leaky_relu_bad_float():
    mx.sym.LeakyReLU(data, slope='abc', name='lrelu')  # <- line


def param_name_typo():
    mx.sym.FullyConnected(data, num_hiden=3, name='fc')  # <- line


# ---------------------------------------------------------------------- bind and forward
def _fc():
    return mx.sym.FullyConnected(data, num_hidden=3, name='fc')  # <- line


def _fc_args():
    return {'data': mx.nd.ones((2, 4)), 'fc_weight': mx.nd.ones((3, 4)),
            'fc_bias': mx.nd.ones((3,))}


def bind_missing_argument():
    args = _fc_args()
    del args['fc_bias']
    _fc().bind(mx.cpu(), args)


bind_missing_argument.marker_from = _fc


def simple_bind_missing_shape():
    _fc().simple_bind(mx.cpu())


simple_bind_missing_shape.marker_from = _fc


def bind_argument_typo():
    args = _fc_args()
    args['dat'] = args.pop('data')
    _fc().bind(mx.cpu(), args)


def bind_grad_typo():
    _fc().bind(mx.cpu(), _fc_args(), args_grad={'fc_wieght': mx.nd.ones((3, 4))})


def bind_grad_shape():
    _fc().bind(mx.cpu(), _fc_args(), args_grad={'fc_weight': mx.nd.ones((3, 5))})


def bind_aux_typo():
    bn = mx.sym.BatchNorm(data, name='bn')
    bn.bind(mx.cpu(), {'data': mx.nd.ones((2, 3)), 'bn_gamma': mx.nd.ones((3,)),
                       'bn_beta': mx.nd.ones((3,))},
            aux_states={'bn_moving_men': mx.nd.ones((3,)), 'bn_moving_var': mx.nd.ones((3,))})


def simple_bind_shape_typo():
    _fc().simple_bind(mx.cpu(), dta=(2, 4))


def simple_bind_grad_req_typo():
    _fc().simple_bind(mx.cpu(), data=(2, 4), grad_req={'fc_wieght': 'write'})


def forward_argument_typo():
    exe = _fc().simple_bind(mx.cpu(), data=(2, 4))
    exe.forward(dta=mx.nd.ones((2, 4)))


# ---------------------------------------------------------------------- dtypes
def dtype_mismatch_type_dict():
    out = mx.sym.elemwise_add(mx.sym.var('a'), mx.sym.var('b'), name='plus')  # <- line
    out.simple_bind(mx.cpu(), a=(2, 3), b=(2, 3), type_dict={'a': 'float32', 'b': 'float64'})


def dtype_mismatch_bind():
    out = mx.sym.elemwise_add(mx.sym.var('a'), mx.sym.var('b'), name='plus')  # <- line
    out.bind(mx.cpu(), {'a': mx.nd.ones((2, 3)), 'b': mx.nd.ones((2, 3), dtype='float64')})


# ---------------------------------------------------------------------- NaN check
def nan_in_custom_loss_forward():
    x = mx.sym.var('x')
    loss = mx.sym.MakeLoss(mx.sym.log(x - 2, name='mylog'), name='loss')  # <- line
    exe = loss.bind(mx.cpu(), {'x': mx.nd.ones((3,))})
    with mx.debug.nan_check():
        exe.forward()


def nan_in_custom_loss_backward():
    x = mx.sym.var('x')
    loss = mx.sym.MakeLoss(mx.sym.sqrt(x, name='root'), name='loss')  # <- line
    exe = loss.simple_bind(mx.cpu(), x=(3,))
    exe.arg_dict['x'][:] = 0
    with mx.debug.nan_check():
        exe.forward(is_train=True)
        exe.backward()


class _BadLoss(mx.operator.CustomOp):
    """A loss whose forward makes NaN with NumPy, or with mx.nd (checked imperatively)."""

    def __init__(self, use_nd):
        super().__init__()
        self.use_nd = use_nd

    def forward(self, is_train, req, in_data, out_data, aux):
        if self.use_nd:
            value = mx.nd.log(in_data[0] - 10)  # <- line
        else:
            value = mx.nd.array(np.log(in_data[0].asnumpy() - 10))
        self.assign(out_data[0], req[0], value)

    def backward(self, req, out_grad, in_data, out_data, in_grad, aux):
        self.assign(in_grad[0], req[0], out_grad[0])


@mx.operator.register('broken_programs_bad_loss')
class _BadLossProp(mx.operator.CustomOpProp):
    def __init__(self, use_nd='0'):
        super().__init__(need_top_grad=False)
        self.use_nd = use_nd == '1'

    def create_operator(self, ctx, shapes, dtypes):
        return _BadLoss(self.use_nd)


def nan_in_custom_op_loss():
    x = mx.sym.var('x')
    loss = mx.sym.Custom(x, op_type='broken_programs_bad_loss', name='myloss')  # <- line
    exe = loss.bind(mx.cpu(), {'x': mx.nd.ones((3,))})
    with np.errstate(invalid='ignore'), mx.debug.nan_check():
        exe.forward()


def nan_in_custom_op_loss_nd():
    x = mx.sym.var('x')
    loss = mx.sym.Custom(x, op_type='broken_programs_bad_loss', use_nd=1, name='myloss')
    exe = loss.bind(mx.cpu(), {'x': mx.nd.ones((3,))})
    with mx.debug.nan_check():
        exe.forward()


nan_in_custom_op_loss_nd.marker_from = _BadLoss.forward


# ---------------------------------------------------------------------- Module
def _module():
    fc = mx.sym.FullyConnected(data, num_hidden=3, name='fc')
    return mx.mod.Module(mx.sym.SoftmaxOutput(fc, name='softmax'))  # <- line


def _bound_module():
    mod = _module()
    mod.bind(data_shapes=[('data', (5, 4))], label_shapes=[('softmax_label', (5,))])
    mod.init_params()
    return mod


def module_label_shape_at_bind():
    _module().bind(data_shapes=[('data', (5, 4))], label_shapes=[('softmax_label', (4,))])


module_label_shape_at_bind.marker_from = _module


def module_label_wrong_length_forward():
    mod = _bound_module()
    mod.forward(mx.io.DataBatch([mx.nd.ones((5, 4))], [mx.nd.ones((4,))]))


module_label_wrong_length_forward.marker_from = _module


def iterator_label_wrong_length():
    mx.io.NDArrayIter(np.ones((10, 4), 'float32'), np.zeros(9, 'float32'), batch_size=5)


def update_before_init_optimizer():
    _bound_module().update()


def _fit(**kwargs):
    it = mx.io.NDArrayIter(np.ones((10, 4), 'float32'), np.zeros(10, 'float32'), batch_size=5)
    _module().fit(it, num_epoch=1, **kwargs)


def unknown_optimizer():
    mx.optimizer.create('adamm')


def unknown_optimizer_in_fit():
    _fit(optimizer='sgdd')


def kernel_value_error_at_forward():
    """A check that only the values can fail (a length past the sequence's end)."""
    lengths = mx.sym.var('lengths')
    last = mx.sym.SequenceLast(data, lengths, use_sequence_length=True, name='last')  # <- line
    exe = last.simple_bind(mx.cpu(), data=(4, 2, 3), lengths=(2,))
    exe.arg_dict['lengths'][:] = np.array([2, 9])
    exe.forward()


def kernel_value_error_under_a_monitor():
    """The same value check on the monitored (slower) executor path."""
    lengths = mx.sym.var('lengths')
    last = mx.sym.SequenceLast(data, lengths, use_sequence_length=True, name='last')  # <- line
    exe = last.simple_bind(mx.cpu(), data=(4, 2, 3), lengths=(2,))
    exe.arg_dict['lengths'][:] = np.array([2, 9])
    mon = mx.mon.Monitor(1)
    mon.install(exe)
    mon.tic()
    exe.forward()


def input_needs_a_flag_positional():
    mx.nd.SequenceMask(mx.nd.ones((3, 2)), mx.nd.array([1, 2]))


def input_needs_a_flag_keyword():
    mx.sym.SequenceMask(data, sequence_length=mx.sym.var('lengths'), name='mask')


def unknown_metric():
    mx.metric.create('acuracy')


def unknown_metric_in_fit():
    _fit(eval_metric='acuracy')


def unknown_initializer():
    mx.init.create('xavierr')


def initializer_name_in_init_params():
    mod = _module()
    mod.bind(data_shapes=[('data', (5, 4))], label_shapes=[('softmax_label', (5,))])
    mod.init_params(initializer='xavierr')


# ---------------------------------------------------------------------- the table

TABLE = [
    row('fc_weight', fc_weight_mismatch, MXNetError,
        ["FullyConnected 'fc2'", 'weight', '(3, 5)', 'expected weight shape (3, 8)',
         'data=(4, 8)']),
    row('fc_bias_bind', fc_bias_mismatch_at_bind, MXNetError,
        ["FullyConnected 'fc'", 'bias', '(4,)', 'expected (3,)']),
    row('conv_channels', conv_channels_mismatch, MXNetError,
        ["Convolution 'conv1'", 'weight', '(4, 2, 3, 3)', '(4, 3, 3, 3)', '(2, 3, 8, 8)']),
    row('pool_kernel', pooling_kernel_too_large, MXNetError,
        ["Pooling 'pool1'", 'kernel size 5', 'input size 3', 'data=(2, 3, 3, 3)']),
    row('batchnorm_gamma', batchnorm_gamma_shape, MXNetError,
        ["BatchNorm 'bn1'", "'gamma'", '(4,)', 'expected (3,)', '(2, 3, 4, 4)']),
    row('concat_dims', concat_mismatched_dims, MXNetError,
        ["Concat 'cat'", 'arg1', '(3, 3)', '(2, 3)', 'dim=1']),
    row('elemwise_add', elemwise_add_shapes, MXNetError,
        ["elemwise_add 'plus'", 'lhs', 'rhs', '(2, 3)', '(3, 3)']),
    row('symbol_plus', symbol_plus_shapes, MXNetError,
        ["elemwise_add '_plus", 'lhs', 'rhs', '(2, 3)', '(3, 3)', 'broadcast_add']),
    row('reshape', reshape_impossible, MXNetError,
        ["Reshape 'rs'", '(2, 3)', '(5, -1)', 'data=(2, 3)']),
    row('embedding', embedding_weight, MXNetError,
        ["Embedding 'emb'", 'weight', '(10, 5)', 'expected (10, 4)']),
    row('deconvolution', deconvolution_weight, MXNetError,
        ["Deconvolution 'deconv1'", 'weight', '(2, 4, 3, 3)', '(3, 4, 3, 3)']),
    row('softmax_label', softmax_label_length, MXNetError,
        ["SoftmaxOutput 'softmax'", "'label'", '(4,)', 'expected (5,)']),
    row('dropout_p_range', dropout_p_out_of_range, MXNetError,
        ["Dropout 'drop'", "'p'", '1.5']),
    row('dropout_mode', dropout_mode_typo, MXNetError,
        ["Dropout 'drop'", "'mode'", "'alwayz'", "did you mean 'always'"]),
    row('activation_value', activation_bad_value, MXNetError,
        ["Activation 'act'", "'act_type'", "'rleu'", "did you mean 'relu'"]),
    row('leaky_relu_float', leaky_relu_bad_float, MXNetError,
        ["LeakyReLU 'lrelu'", "'slope'", "'abc'", 'float']),
    row('param_typo', param_name_typo, MXNetError,
        ["FullyConnected 'fc'", "'num_hiden'", "did you mean 'num_hidden'"]),
    row('bind_missing', bind_missing_argument, MXNetError,
        ['bind', "'fc_bias'", "FullyConnected 'fc'"]),
    row('simple_bind_missing', simple_bind_missing_shape, MXNetError,
        ['simple_bind', 'data', "FullyConnected 'fc'"]),
    row('bind_typo', bind_argument_typo, MXNetError,
        ["'dat'", "did you mean 'data'"], line=False),
    row('bind_grad_typo', bind_grad_typo, MXNetError,
        ['args_grad', "'fc_wieght'", "did you mean 'fc_weight'"], line=False),
    row('bind_grad_shape', bind_grad_shape, MXNetError,
        ["'fc_weight'", '(3, 5)', '(3, 4)'], line=False),
    row('bind_aux_typo', bind_aux_typo, MXNetError,
        ['aux_states', "'bn_moving_men'", "did you mean 'bn_moving_mean'"], line=False),
    row('simple_bind_typo', simple_bind_shape_typo, MXNetError,
        ["'dta'", "did you mean 'data'"], line=False),
    row('simple_bind_grad_req_typo', simple_bind_grad_req_typo, MXNetError,
        ["'fc_wieght'", "did you mean 'fc_weight'"], line=False),
    row('forward_typo', forward_argument_typo, MXNetError,
        ['forward', "'dta'", "did you mean 'data'"], line=False),
    row('dtype_type_dict', dtype_mismatch_type_dict, MXNetError,
        ["elemwise_add 'plus'", "'rhs'", 'float64', 'float32']),
    row('dtype_bind', dtype_mismatch_bind, MXNetError,
        ["elemwise_add 'plus'", "'rhs'", 'float64', 'float32']),
    row('nan_forward', nan_in_custom_loss_forward, MXNetError,
        ['NaN check', "log 'mylog'", 'forward', "'mylog_output'", '3 NaN']),
    row('nan_backward', nan_in_custom_loss_backward, MXNetError,
        ['NaN check', "sqrt 'root'", 'backward', "input 'data'", "'x'", '+inf']),
    row('nan_custom_op', nan_in_custom_op_loss, MXNetError,
        ['NaN check', "Custom 'myloss'", 'forward', 'NaN']),
    row('nan_custom_op_nd', nan_in_custom_op_loss_nd, MXNetError,
        ['NaN check', 'mx.nd.log', 'NaN', "Custom 'myloss'"]),
    row('module_label_bind', module_label_shape_at_bind, MXNetError,
        ["SoftmaxOutput 'softmax'", "'softmax_label'", '(4,)', '(5,)']),
    row('module_label_forward', module_label_wrong_length_forward, MXNetError,
        ['label', '(4,)', '(5,)', "'softmax_label'", "SoftmaxOutput 'softmax'"]),
    row('iterator_label', iterator_label_wrong_length, ValueError,
        ["'softmax_label'", '9', '10'], line=False),
    row('update_first', update_before_init_optimizer, MXNetError,
        ['update()', 'init_optimizer'], line=False),
    row('optimizer_name', unknown_optimizer, MXNetError,
        ['adamm', "did you mean 'adam'"], line=False),
    row('optimizer_name_fit', unknown_optimizer_in_fit, MXNetError,
        ['sgdd', "did you mean 'sgd'"], line=False),
    row('kernel_value_at_forward', kernel_value_error_at_forward, MXNetError,
        ['SequenceLast', "'last'", '(forward)', 'sequence_length', '9', '(4, 2, 3)']),
    row('kernel_value_monitored', kernel_value_error_under_a_monitor, MXNetError,
        ['SequenceLast', "'last'", '(forward)', 'sequence_length', '9']),
    row('input_needs_flag', input_needs_a_flag_positional, MXNetError,
        ['SequenceMask', 'got 2 inputs', 'set use_sequence_length=True to pass sequence_length'],
        line=False),
    row('input_needs_flag_kw', input_needs_a_flag_keyword, MXNetError,
        ["'mask'", "unknown input 'sequence_length'", 'set use_sequence_length=True'],
        line=False),
    row('metric_name', unknown_metric, ValueError,
        ["'acuracy'", "did you mean 'accuracy'"], line=False),
    row('metric_name_fit', unknown_metric_in_fit, ValueError,
        ["'acuracy'", "did you mean 'accuracy'"], line=False),
    row('initializer_name', unknown_initializer, MXNetError,
        ['xavierr', "did you mean 'xavier'"], line=False),
    row('initializer_name_module', initializer_name_in_init_params, (MXNetError, TypeError),
        ['xavierr', "did you mean 'xavier'"], line=False),
]


def _params():
    main, lines, missing = [], [], []
    for r in TABLE:
        strict = pytest.mark.xfail(strict=True, reason=r.xfail) if r.xfail else ()
        main.append(pytest.param(r, id=r.id, marks=strict))
        if r.line is not False and not r.xfail:
            marks = pytest.mark.xfail(strict=True, reason=r.line) \
                if isinstance(r.line, str) else ()
            lines.append(pytest.param(r, id=r.id + '-line', marks=marks))
        if r.missing and not r.xfail:
            missing.append(pytest.param(r, id=r.id + '-missing',
                                        marks=pytest.mark.xfail(strict=True,
                                                                reason=r.missing[0])))
    return main, lines, missing


MAIN, LINES, MISSING = _params()


@pytest.mark.parametrize('r', MAIN)
def test_message_names_the_parts(r):
    msg = _message(r)
    absent = [p for p in r.parts if p not in msg]
    assert not absent, 'message lacks %s:\n%s' % (absent, msg)


@pytest.mark.parametrize('r', LINES)
def test_message_names_the_user_line(r):
    program = getattr(r.program, 'marker_from', r.program)
    where = '%s:%d' % (THIS_FILE, _marked_line(program))
    msg = _message(r)
    assert where in msg, 'message lacks %s:\n%s' % (where, msg)


def test_failed_bind_changes_nothing():
    """A bind that fails on a typo leaves the arrays the user passed as they were."""
    args = _fc_args()
    args['dat'] = args.pop('data')
    before = {k: v.asnumpy().copy() for k, v in args.items()}
    with pytest.raises(MXNetError):
        _fc().bind(mx.cpu(), args)
    assert sorted(args) == sorted(before)
    for k, v in args.items():
        np.testing.assert_array_equal(v.asnumpy(), before[k])
