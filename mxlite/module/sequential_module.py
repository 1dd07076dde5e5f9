"""SequentialModule: modules chained so that each one's outputs are the next one's data.

Forward runs the modules in order, handing ``get_outputs()`` of one to the next as the
batch's data (the labels travel with the batch unchanged). Backward runs them in reverse,
handing ``get_input_grads()`` of one to the previous one as its output gradients, so every
module but the first is bound with ``inputs_need_grad=True`` when training.

Two options of `add` decide the wiring, as in MXNet 1.9.1:

* ``take_labels=True``: the module is bound with the label shapes and updates the
  evaluation metric (normally only the last, loss-computing module).
* ``auto_wiring=True``: the previous module's outputs are renamed to this module's
  `data_names` (in order) when binding. Without it, this module's `data_names` must be
  the previous module's output names (``'fc1_output'`` and the like).
"""
import copy
import logging

from ..base import MXNetError
from ..io import DataDesc
from .base_module import BaseModule

__all__ = ['SequentialModule']


def _known_param_names(module):
    """The parameter and aux names `module` owns, or None when it cannot say."""
    names = getattr(module, '_param_names', None)
    aux = getattr(module, '_aux_names', None)
    if names is not None and aux is not None:
        return set(names) | set(aux)
    from .python_module import PythonModule
    if isinstance(module, PythonModule):
        return set()
    if module.binded and module.params_initialized:
        arg_params, aux_params = module.get_params()
        return set(arg_params) | set(aux_params)
    return None


class SequentialModule(BaseModule):
    """A chain of modules trained as one: outputs flow forward, input gradients backward.

    Parameters
    ----------
    logger : logging.Logger, default logging

    Examples
    --------
    >>> import mxlite as mx
    >>> net1 = mx.sym.Activation(mx.sym.FullyConnected(mx.sym.var('data'), num_hidden=8,
    ...                                                name='fc1'), act_type='relu')
    >>> net2 = mx.sym.SoftmaxOutput(mx.sym.FullyConnected(mx.sym.var('data'), num_hidden=3,
    ...                                                   name='fc2'), name='softmax')
    >>> seq = mx.mod.SequentialModule()
    >>> _ = seq.add(mx.mod.Module(net1, label_names=None))
    >>> _ = seq.add(mx.mod.Module(net2), take_labels=True, auto_wiring=True)
    >>> seq.bind(data_shapes=[('data', (4, 5))], label_shapes=[('softmax_label', (4,))])
    >>> seq.init_params()
    >>> seq.output_shapes
    [('softmax_output', (4, 3))]
    """

    META_TAKE_LABELS = 'take_labels'
    META_AUTO_WIRING = 'auto_wiring'

    def __init__(self, logger=logging):
        super().__init__(logger=logger)
        self._modules = []
        self._metas = []
        self._label_shapes = None
        self._data_shapes = None
        self._meta_keys = {self.META_TAKE_LABELS, self.META_AUTO_WIRING}

    def add(self, module, **kwargs):
        """Append `module`; keyword options `take_labels` and `auto_wiring` (see the module
        docstring). Returns self, so calls chain. Adding un-binds the whole chain."""
        for key in kwargs:
            if key not in self._meta_keys:
                raise MXNetError("SequentialModule.add: unknown option '%s'; expected one of "
                                 "%s" % (key, sorted(self._meta_keys)))
        if not isinstance(module, BaseModule):
            raise TypeError('SequentialModule.add expects a module (mx.mod.*), got %s'
                            % type(module).__name__)
        self._modules.append(module)
        self._metas.append(dict(kwargs))
        # the chain changed: everything must be bound and initialised again
        self.binded = False
        self.params_initialized = False
        self.optimizer_initialized = False
        return self

    # ------------------------------------------------------------------ properties
    @property
    def data_names(self):
        return self._modules[0].data_names if self._modules else []

    @property
    def label_names(self):
        names = []
        for meta, module in zip(self._metas, self._modules):
            if meta.get(self.META_TAKE_LABELS, False):
                for n in getattr(module, 'label_names', None) or []:
                    if n not in names:
                        names.append(n)
        return names

    @property
    def output_names(self):
        return self._modules[-1].output_names if self._modules else []

    @property
    def data_shapes(self):
        assert self.binded
        return self._modules[0].data_shapes

    @property
    def label_shapes(self):
        assert self.binded
        return self._label_shapes

    @property
    def output_shapes(self):
        assert self.binded
        return self._modules[-1].output_shapes

    # ------------------------------------------------------------------ parameters
    def get_params(self):
        """(arg_params, aux_params) of all the modules, merged into two dicts."""
        assert self.binded and self.params_initialized, 'bind and init_params first'
        arg_params, aux_params = {}, {}
        for module in self._modules:
            arg, aux = module.get_params()
            arg_params.update(arg)
            aux_params.update(aux)
        return arg_params, aux_params

    def init_params(self, initializer=None, arg_params=None, aux_params=None,
                    allow_missing=False, force_init=False, allow_extra=False):
        """Initialise every module's parameters from the merged dicts or `initializer`.

        Parameter names must be unique across the modules. Names in `arg_params` /
        `aux_params` that no module owns raise unless `allow_extra`.
        """
        if self.params_initialized and not force_init:
            return
        assert self.binded, 'call bind before initializing the parameters'
        owners, complete = {}, True
        for i, module in enumerate(self._modules):
            names = _known_param_names(module)
            if names is None:
                complete = False
                continue
            for name in sorted(names):
                if name in owners:
                    raise MXNetError("SequentialModule: parameter '%s' is in both module %d "
                                     "and module %d; parameter names must be unique"
                                     % (name, owners[name], i))
                owners[name] = i
        if complete and not allow_extra:
            for what, given in (('arg_params', arg_params), ('aux_params', aux_params)):
                for name in given or {}:
                    if name not in owners:
                        from ..base import did_you_mean
                        raise MXNetError("init_params: %s has '%s', which is not a parameter "
                                         "of any module%s; pass allow_extra=True to ignore it"
                                         % (what, name, did_you_mean(name, list(owners))))
        for module in self._modules:
            # each module takes its own names from the merged dicts
            module.init_params(initializer=initializer, arg_params=arg_params,
                               aux_params=aux_params, allow_missing=allow_missing,
                               force_init=force_init, allow_extra=True)
        self.params_initialized = True

    # ------------------------------------------------------------------ binding
    def bind(self, data_shapes, label_shapes=None, for_training=True,
             inputs_need_grad=False, force_rebind=False, shared_module=None,
             grad_req='write'):
        """Bind each module on the previous module's output shapes."""
        if self.binded and not force_rebind:
            self.logger.warning('Already bound, ignoring bind()')
            return
        if inputs_need_grad and not for_training:
            raise MXNetError('bind: inputs_need_grad=True needs for_training=True')
        if shared_module is not None:
            raise MXNetError('SequentialModule does not support shared_module')
        if not self._modules:
            raise MXNetError('SequentialModule.bind: add modules first')
        my_data_shapes = data_shapes
        anyone_takes_labels = False
        for i, (module, meta) in enumerate(zip(self._modules, self._metas)):
            if meta.get(self.META_TAKE_LABELS, False):
                my_label_shapes = label_shapes
                anyone_takes_labels = True
            else:
                my_label_shapes = None
            if meta.get(self.META_AUTO_WIRING, False):
                my_data_shapes = self._rewire(module, i, my_data_shapes)
            # later modules pass gradients back, so they need their inputs' gradients
            my_inputs_need_grad = bool(inputs_need_grad or (for_training and i > 0))
            module.bind(data_shapes=my_data_shapes, label_shapes=my_label_shapes,
                        for_training=for_training, inputs_need_grad=my_inputs_need_grad,
                        force_rebind=force_rebind, shared_module=None, grad_req=grad_req)
            my_data_shapes = module.output_shapes
        self._label_shapes = label_shapes if anyone_takes_labels else None
        self.for_training = for_training
        self.inputs_need_grad = inputs_need_grad
        self.binded = True

    @staticmethod
    def _rewire(module, i, shapes):
        names = list(module.data_names)
        if len(names) != len(shapes):
            raise MXNetError('SequentialModule: module %d has %d data names (%s) but the '
                             'previous module gives %d outputs (%s)'
                             % (i, len(names), ', '.join(names), len(shapes),
                                ', '.join(s[0] for s in shapes)))
        return [DataDesc(name, tuple(s[1])) for name, s in zip(names, shapes)]

    # ------------------------------------------------------------------ optimizer
    def init_optimizer(self, kvstore='local', optimizer='sgd',
                       optimizer_params=(('learning_rate', 0.01),), force_init=False):
        """Give each module its own optimizer made from the same settings."""
        if self._init_optimizer_skipped(force_init):
            return
        for module in self._modules:
            module.init_optimizer(kvstore=kvstore, optimizer=optimizer,
                                  optimizer_params=optimizer_params, force_init=force_init)
        self.optimizer_initialized = True

    # ------------------------------------------------------------------ computation
    def forward(self, data_batch, is_train=None):
        """Forward through the chain; each module's outputs become the next one's data."""
        assert self.binded and self.params_initialized, 'bind and init_params first'
        batch = copy.copy(data_batch)
        last = len(self._modules) - 1
        for i, module in enumerate(self._modules):
            module.forward(batch, is_train=is_train)
            if i == last:
                break
            outputs = module.get_outputs()
            batch.data = outputs
            if getattr(batch, 'provide_data', None) is not None:
                # name the new data as the next module will be bound to see it
                if self._metas[i + 1].get(self.META_AUTO_WIRING, False):
                    names = list(self._modules[i + 1].data_names)
                else:
                    names = [name for name, _ in module.output_shapes]
                if len(names) != len(outputs):
                    raise MXNetError('SequentialModule: module %d gives %d outputs but '
                                     'module %d takes %d data arrays'
                                     % (i, len(outputs), i + 1, len(names)))
                batch.provide_data = [DataDesc(n, tuple(o.shape))
                                      for n, o in zip(names, outputs)]

    def backward(self, out_grads=None):
        """Backward through the chain in reverse, passing input gradients down."""
        assert self.binded and self.params_initialized, 'bind and init_params first'
        for i in range(len(self._modules) - 1, -1, -1):
            module = self._modules[i]
            module.backward(out_grads=out_grads)
            if i == 0:
                break
            out_grads = module.get_input_grads()

    def update(self):
        """Every module applies its optimizer."""
        assert self.binded and self.params_initialized and self.optimizer_initialized
        for module in self._modules:
            module.update()

    def get_outputs(self, merge_multi_context=True):
        assert self.binded and self.params_initialized
        return self._modules[-1].get_outputs(merge_multi_context=merge_multi_context)

    def get_input_grads(self, merge_multi_context=True):
        assert self.binded and self.params_initialized
        if not self.inputs_need_grad:
            raise MXNetError('bind with inputs_need_grad=True to get input gradients')
        return self._modules[0].get_input_grads(merge_multi_context=merge_multi_context)

    def update_metric(self, eval_metric, labels, pre_sliced=False):
        """Modules added with take_labels=True update the metric."""
        assert self.binded and self.params_initialized
        for meta, module in zip(self._metas, self._modules):
            if meta.get(self.META_TAKE_LABELS, False):
                module.update_metric(eval_metric, labels, pre_sliced)

    def install_monitor(self, mon):
        assert self.binded
        for module in self._modules:
            module.install_monitor(mon)
