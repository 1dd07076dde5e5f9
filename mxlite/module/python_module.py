"""Modules written in Python: `PythonModule` (no parameters, computation in Python) and
`PythonLossModule` (a loss whose input gradient comes from a Python function).

They are meant to sit at the end of a `SequentialModule`: the module before them is bound
with its outputs as this module's data, and gets this module's input gradient as its output
gradient in backward.
"""
import logging

from ..base import MXNetError
from .base_module import BaseModule

__all__ = ['PythonModule', 'PythonLossModule']


def _desc_name(desc):
    return desc[0] if isinstance(desc, (tuple, list)) else desc.name


class PythonModule(BaseModule):
    """A module without parameters whose computation is written in Python.

    Subclasses implement `forward`, `backward`, `get_outputs`, `get_input_grads` and
    `_compute_output_shapes`. Parameter and optimizer calls are no-ops.

    Parameters
    ----------
    data_names : list of str
    label_names : list of str or None
    output_names : list of str
    logger : logging.Logger, default logging
    """

    def __init__(self, data_names, label_names, output_names, logger=logging):
        super().__init__(logger=logger)
        self._data_names = list(data_names)
        self._label_names = list(label_names) if label_names is not None else None
        self._output_names = list(output_names)
        self._data_shapes = None
        self._label_shapes = None
        self._output_shapes = None

    # ------------------------------------------------------------------ properties
    @property
    def data_names(self):
        return self._data_names

    @property
    def label_names(self):
        return self._label_names or []

    @property
    def output_names(self):
        return self._output_names

    @property
    def data_shapes(self):
        return self._data_shapes

    @property
    def label_shapes(self):
        return self._label_shapes

    @property
    def output_shapes(self):
        return self._output_shapes

    # ------------------------------------------------------------------ no parameters
    def get_params(self):
        return {}, {}

    def init_params(self, initializer=None, arg_params=None, aux_params=None,
                    allow_missing=False, force_init=False, allow_extra=False):
        """Nothing to initialise; marks the module ready."""
        self.params_initialized = True

    def init_optimizer(self, kvstore='local', optimizer='sgd',
                       optimizer_params=(('learning_rate', 0.01),), force_init=False):
        """Nothing to optimise; marks the module ready."""
        self.optimizer_initialized = True

    def update(self):
        """No parameters, so nothing to update."""

    def update_metric(self, eval_metric, labels, pre_sliced=False):
        """Update `eval_metric` with `labels` and this module's outputs (when bound with
        labels)."""
        if self._label_shapes is None:
            return
        if pre_sliced:
            raise MXNetError('%s does not support pre-sliced labels' % type(self).__name__)
        eval_metric.update(labels, self.get_outputs())

    # ------------------------------------------------------------------ binding
    def bind(self, data_shapes, label_shapes=None, for_training=True,
             inputs_need_grad=False, force_rebind=False, shared_module=None,
             grad_req='write'):
        """Record the shapes (names must match data_names / label_names) and compute the
        output shapes."""
        if self.binded and not force_rebind:
            self.logger.warning('Already bound, ignoring bind()')
            return
        if grad_req != 'write':
            raise MXNetError("%s supports only grad_req='write', got %r"
                             % (type(self).__name__, grad_req))
        given = [_desc_name(d) for d in data_shapes]
        if given != self._data_names:
            raise MXNetError('%s.bind: data shapes are given for %s but data_names is %s '
                             '(add the module with auto_wiring=True to rename inputs)'
                             % (type(self).__name__, given, self._data_names))
        if label_shapes is not None:
            given = [_desc_name(d) for d in label_shapes]
            if self._label_names is None or given != self._label_names:
                raise MXNetError('%s.bind: label shapes are given for %s but label_names is %s'
                                 % (type(self).__name__, given, self._label_names))
        self.for_training = for_training
        self.inputs_need_grad = inputs_need_grad
        self._data_shapes = list(data_shapes)
        self._label_shapes = list(label_shapes) if label_shapes is not None else None
        self._output_shapes = self._compute_output_shapes()
        self.binded = True

    def _compute_output_shapes(self):
        """[(output name, shape)] from self._data_shapes / self._label_shapes."""
        raise NotImplementedError()


class PythonLossModule(PythonModule):
    """A loss module: outputs its input unchanged, and in backward sets its input
    gradient to ``grad_func(scores, labels)``.

    Parameters
    ----------
    name : str, default 'pyloss'
        The output is named ``name + '_output'``.
    data_names : tuple of str, default ('data',)
        Exactly one data input (the scores).
    label_names : tuple of str, default ('softmax_label',)
        Exactly one label.
    logger : logging.Logger, default logging
    grad_func : callable, optional
        ``grad_func(scores, labels) -> gradient of the scores`` (NDArray or array-like of
        the scores' shape). Without it, subclass and override `_backward_impl`. As with
        MXNet's loss outputs, return the per-sample gradient: `Module` divides by the batch
        size through the optimizer's ``rescale_grad``.

    Examples
    --------
    >>> import mxlite as mx
    >>> def softmax_ce_grad(scores, labels):
    ...     return mx.nd.softmax(scores) - mx.nd.one_hot(labels, scores.shape[1])
    >>> loss = mx.mod.PythonLossModule(grad_func=softmax_ce_grad)
    >>> loss.bind(data_shapes=[('data', (2, 3))], label_shapes=[('softmax_label', (2,))])
    >>> loss.forward(mx.io.DataBatch([mx.nd.zeros((2, 3))], [mx.nd.array([0, 2])]))
    >>> loss.backward()
    >>> loss.get_input_grads()[0].shape
    (2, 3)
    """

    def __init__(self, name='pyloss', data_names=('data',), label_names=('softmax_label',),
                 logger=logging, grad_func=None):
        if len(data_names) != 1 or label_names is None or len(label_names) != 1:
            raise MXNetError('PythonLossModule takes exactly one data and one label name, '
                             'got data_names=%s label_names=%s' % (data_names, label_names))
        if grad_func is not None and not callable(grad_func):
            raise TypeError('grad_func must be callable, got %s' % type(grad_func).__name__)
        super().__init__(data_names, label_names, [name + '_output'], logger=logger)
        self._name = name
        self._scores = None
        self._labels = None
        self._scores_grad = None
        self._grad_func = grad_func

    def _compute_output_shapes(self):
        return [(self._name + '_output', tuple(self._data_shapes[0][1]))]

    def forward(self, data_batch, is_train=None):
        """Keep the scores (the output) and, when training, the labels."""
        self._scores = data_batch.data[0]
        if is_train is None:
            is_train = self.for_training
        if is_train:
            if not data_batch.label:
                raise MXNetError('PythonLossModule.forward: training needs a label in the '
                                 'batch')
            self._labels = data_batch.label[0]

    def get_outputs(self, merge_multi_context=True):
        if not merge_multi_context:
            raise MXNetError('PythonLossModule keeps one context: use merge_multi_context=True')
        return [self._scores]

    def backward(self, out_grads=None):
        """Compute the scores' gradient (a loss takes no output gradient)."""
        if out_grads is not None:
            raise MXNetError('PythonLossModule is a loss: backward takes no out_grads')
        if not self.for_training:
            raise MXNetError('re-bind with for_training=True to run backward')
        self._backward_impl()

    def _backward_impl(self):
        """Set self._scores_grad from self._scores and self._labels."""
        if self._grad_func is None:
            raise NotImplementedError('PythonLossModule needs grad_func, or a subclass that '
                                      'overrides _backward_impl')
        from ..ndarray.ndarray import NDArray, array
        grad = self._grad_func(self._scores, self._labels)
        if not isinstance(grad, NDArray):
            grad = array(grad)
        if tuple(grad.shape) != tuple(self._scores.shape):
            raise MXNetError('PythonLossModule: grad_func returned shape %s for scores of '
                             'shape %s' % (tuple(grad.shape), tuple(self._scores.shape)))
        self._scores_grad = grad

    def get_input_grads(self, merge_multi_context=True):
        if not merge_multi_context:
            raise MXNetError('PythonLossModule keeps one context: use merge_multi_context=True')
        return [self._scores_grad]

    def install_monitor(self, mon):
        raise NotImplementedError('PythonLossModule has no executors to monitor')
