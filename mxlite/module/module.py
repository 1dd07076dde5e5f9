"""Module: a symbol with its parameters, bound executors and an optimizer."""
import logging
import os

from ..base import MXNetError, did_you_mean
from ..context import Context, cpu
from ..ndarray.ndarray import NDArray
from .base_module import BaseModule, _input_name_lists
from .executor_group import DataParallelExecutorGroup

__all__ = ['Module']


def _create_kvstore(kvstore, num_device, arg_params):
    """(kvstore or None, update_on_kvstore) as MXNet decides them: a single device with a
    local store needs no kvstore at all."""
    from .. import kvstore as kvs
    update_on_kvstore = bool(int(os.getenv('MXNET_UPDATE_ON_KVSTORE', '1')))
    if kvstore is None:
        kv = None
    elif isinstance(kvstore, kvs.KVStore):
        kv = kvstore
    elif isinstance(kvstore, str):
        if num_device == 1 and 'dist' not in kvstore:
            kv = None
        else:
            kv = kvs.create(kvstore)
            if kvstore == 'local':
                max_size = max(int(p.size) for p in arg_params.values()) if arg_params else 0
                if max_size > 1024 * 1024 * 16:
                    update_on_kvstore = False
    else:
        raise TypeError('kvstore must be a KVStore, a str or None')
    if kv is None:
        update_on_kvstore = False
    return kv, update_on_kvstore


def _descs(shapes):
    from ..io import DataDesc
    if shapes is None:
        return None
    out = []
    for s in shapes:
        out.append(s if isinstance(s, DataDesc) else DataDesc(*s))
    return out


class Module(BaseModule):
    """A trainable model: bind shapes, initialise parameters and optimizer, then
    forward/backward/update (or `fit`).

    Examples
    --------
    >>> import mxlite as mx
    >>> net = mx.sym.SoftmaxOutput(mx.sym.FullyConnected(mx.sym.var('data'), num_hidden=3),
    ...                            name='softmax')
    >>> mod = mx.mod.Module(net)
    >>> mod.bind(data_shapes=[('data', (4, 5))], label_shapes=[('softmax_label', (4,))])
    >>> mod.init_params()
    >>> mod.output_shapes
    [('softmax_output', (4, 3))]
    """

    def __init__(self, symbol, data_names=('data',), label_names=('softmax_label',),
                 logger=logging, context=None, work_load_list=None, fixed_param_names=None,
                 state_names=None, group2ctxs=None, compression_params=None):
        super().__init__(logger=logger)
        if context is None:
            context = cpu()
        if isinstance(context, Context):
            context = [context]
        self._context = list(context)
        if work_load_list is None:
            work_load_list = [1] * len(self._context)
        if len(work_load_list) != len(self._context):
            raise MXNetError('work_load_list has %d entries for %d contexts'
                             % (len(work_load_list), len(self._context)))
        self._work_load_list = work_load_list
        self._symbol = symbol
        data_names, label_names, state_names, fixed_param_names = _input_name_lists(
            symbol, data_names, label_names, state_names, fixed_param_names)
        arg_names = symbol.list_arguments()
        input_names = data_names + label_names + state_names
        self._param_names = [x for x in arg_names if x not in input_names]
        self._fixed_param_names = fixed_param_names
        self._aux_names = symbol.list_auxiliary_states()
        self._data_names = data_names
        self._label_names = label_names
        self._state_names = state_names
        self._output_names = symbol.list_outputs()
        self._arg_params = None
        self._aux_params = None
        self._params_dirty = False
        self._optimizer = None
        self._kvstore = None
        self._update_on_kvstore = None
        self._updater = None
        self._preload_opt_states = None
        self._grad_req = None
        self._exec_group = None
        self._data_shapes = None
        self._label_shapes = None

    # ------------------------------------------------------------------ loading
    @staticmethod
    def load(prefix, epoch, load_optimizer_states=False, **kwargs):
        """A Module from `prefix-symbol.json` and `prefix-%04d.params` (and `.states`)."""
        from ..model import load_checkpoint
        sym, args, auxs = load_checkpoint(prefix, epoch)
        mod = Module(symbol=sym, **kwargs)
        mod._use_loaded_params(args, auxs)
        if load_optimizer_states:
            mod._preload_opt_states = '%s-%04d.states' % (prefix, epoch)
        return mod

    def save_checkpoint(self, prefix, epoch, save_optimizer_states=False,
                        remove_amp_cast=True):
        """Write the symbol, the parameters and (optionally) the optimizer states."""
        self._save_symbol_and_params(self._symbol, prefix, epoch)
        if save_optimizer_states:
            state_name = '%s-%04d.states' % (prefix, epoch)
            self.save_optimizer_states(state_name)
            logging.info('Saved optimizer state to "%s"', state_name)

    # ------------------------------------------------------------------ properties
    @property
    def data_names(self):
        return self._data_names

    @property
    def label_names(self):
        return self._label_names

    @property
    def output_names(self):
        return self._output_names

    @property
    def data_shapes(self):
        assert self.binded
        return self._data_shapes

    @property
    def label_shapes(self):
        assert self.binded
        return self._label_shapes

    @property
    def output_shapes(self):
        assert self.binded
        return [(n, o.shape) for n, o in zip(self._output_names,
                                             self._exec_group.get_outputs())]

    # ------------------------------------------------------------------ params
    def get_params(self):
        """(arg_params, aux_params): copies of the current parameters."""
        assert self.binded and self.params_initialized, 'bind and init_params first'
        if self._params_dirty:
            self._sync_params_from_devices()
        return self._arg_params, self._aux_params

    def init_params(self, initializer=None, arg_params=None, aux_params=None,
                    allow_missing=False, force_init=False, allow_extra=False):
        """Set every parameter from arg_params/aux_params or the initializer.

        Missing names raise unless allow_missing; unknown names raise unless allow_extra.
        All values are checked before any parameter changes.
        """
        from ..initializer import InitDesc, Uniform
        if self.params_initialized and not force_init:
            logging.warning('Parameters already initialized and force_init=False. '
                            'init_params call ignored.')
            return
        assert self.binded, 'call bind before initializing the parameters'
        if initializer is None and arg_params is None and aux_params is None:
            initializer = Uniform(0.01)
        if isinstance(initializer, str):  # a name such as 'xavier' (errors suggest names)
            from ..initializer import create as create_initializer
            initializer = create_initializer(initializer)
        self._check_extra(arg_params, self._param_names, 'arg_params', allow_extra)
        self._check_extra(aux_params, self._aux_names, 'aux_params', allow_extra)
        if self._arg_params is None:
            self._arg_params = {n: NDArray(a[0]._data.copy(), cpu())
                                for n, a in zip(self._param_names,
                                                self._exec_group.param_arrays)}
        if self._aux_params is None:
            self._aux_params = {n: NDArray(a[0]._data.copy(), cpu())
                                for n, a in zip(self._aux_names, self._exec_group.aux_arrays)}
        attrs = self._symbol.attr_dict()
        staged = []
        for table, given in ((self._arg_params, arg_params), (self._aux_params, aux_params)):
            for name in sorted(table):
                arr = table[name]
                if given is not None and name in given:
                    src = given[name]
                    if tuple(src.shape) != arr.shape:
                        raise MXNetError("init_params: '%s' has shape %s but the module needs "
                                         "%s" % (name, tuple(src.shape), arr.shape))
                    staged.append((arr, src, None))
                elif given is not None and not allow_missing:
                    raise MXNetError("init_params: '%s' is not in the given parameters; pass "
                                     "allow_missing=True to initialize it instead" % name)
                elif initializer is not None:
                    staged.append((arr, None, InitDesc(name, attrs.get(name, None))))
        for arr, src, desc in staged:
            if src is not None:
                arr._data[...] = src._data if isinstance(src, NDArray) else src
            else:
                initializer(desc, arr)
        self.params_initialized = True
        self._params_dirty = False
        self._exec_group.set_params(self._arg_params, self._aux_params,
                                    allow_extra=allow_extra)

    def _check_extra(self, given, names, what, allow_extra):
        if given is None or allow_extra:
            return
        for key in given:
            if key not in names:
                raise MXNetError("init_params: %s has '%s', which is not a parameter of the "
                                 "module%s; pass allow_extra=True to ignore it"
                                 % (what, key, did_you_mean(key, names)))

    def set_params(self, arg_params, aux_params, allow_missing=False, force_init=True,
                   allow_extra=False):
        def assign(args, auxs, extra):
            self._exec_group.set_params(args, auxs or {}, allow_extra=extra)
        self._set_params_assigning(assign, arg_params, aux_params, allow_missing, force_init,
                                   allow_extra)

    def _sync_params_from_devices(self):
        self._exec_group.get_params(self._arg_params, self._aux_params)
        self._params_dirty = False

    # ------------------------------------------------------------------ binding
    def bind(self, data_shapes, label_shapes=None, for_training=True,
             inputs_need_grad=False, force_rebind=False, shared_module=None,
             grad_req='write'):
        """Allocate executors for these input shapes (DataDesc or (name, shape) pairs)."""
        if force_rebind:
            self._reset_bind()
        if self.binded:
            self.logger.warning('Already bound, ignoring bind()')
            return
        data_shapes = _descs(data_shapes)
        label_shapes = _descs(label_shapes)
        self._check_names(data_shapes, self._data_names, 'data')
        if label_shapes is not None:
            self._check_names(label_shapes, self._label_names, 'label')
        shared_group = None
        if shared_module is not None:
            assert shared_module.binded and shared_module.params_initialized
            shared_group = shared_module._exec_group
        group = DataParallelExecutorGroup(
            self._symbol, self._context, self._work_load_list, data_shapes, label_shapes,
            self._param_names, for_training, inputs_need_grad, shared_group,
            fixed_param_names=self._fixed_param_names, grad_req=grad_req,
            state_names=self._state_names)
        # commit only once binding succeeded
        self.for_training = for_training
        self.inputs_need_grad = inputs_need_grad
        self._grad_req = grad_req
        self._data_shapes, self._label_shapes = data_shapes, label_shapes
        self._exec_group = group
        self.binded = True
        if shared_module is not None:
            self.params_initialized = True
            self._arg_params = shared_module._arg_params
            self._aux_params = shared_module._aux_params
        elif self.params_initialized:
            # parameters loaded before binding (Module.load): give them to the executors
            group.set_params(self._arg_params, self._aux_params)

    def _check_names(self, descs, names, what):
        given = [d.name for d in descs]
        if what == 'label' and not names:
            return
        if sorted(given) != sorted(names):
            raise MXNetError('bind: %s shapes are given for %s but the module has %s_names=%s'
                             % (what, given, what, names))

    def _reset_bind(self):
        self.binded = False
        self._exec_group = None
        self._data_shapes = None
        self._label_shapes = None

    def reshape(self, data_shapes, label_shapes=None):
        """Re-bind for new input shapes, keeping parameters (memory shared where possible)."""
        assert self.binded
        if self._params_dirty:
            self._sync_params_from_devices()
        data_shapes = _descs(data_shapes)
        label_shapes = _descs(label_shapes)
        group = DataParallelExecutorGroup(
            self._symbol, self._context, self._work_load_list, data_shapes, label_shapes,
            self._param_names, self.for_training, self.inputs_need_grad, self._exec_group,
            fixed_param_names=self._fixed_param_names, grad_req=self._grad_req,
            state_names=self._state_names)
        for name, arrays in zip(group.param_names, group.param_arrays):
            want = self._arg_params[name].shape if self._arg_params else arrays[0].shape
            if arrays[0].shape != want:
                raise MXNetError(
                    "reshape: with input shapes %s the parameter '%s' would need shape %s, but "
                    "it has shape %s; only the batch size (or shapes that keep every "
                    "parameter's shape) may change" % (
                        [(d.name, d.shape) for d in data_shapes], name, arrays[0].shape, want))
        self._exec_group = group
        self._data_shapes, self._label_shapes = data_shapes, label_shapes

    # ------------------------------------------------------------------ optimizer
    def init_optimizer(self, kvstore='local', optimizer='sgd',
                       optimizer_params=(('learning_rate', 0.01),), force_init=False):
        """Create the optimizer (rescale_grad = 1/batch_size, as MXNet's Module does)."""
        from .. import optimizer as opt
        if self._init_optimizer_skipped(force_init, 'ignoring...'):
            return
        if self._params_dirty:
            self._sync_params_from_devices()
        kv, update_on_kvstore = _create_kvstore(kvstore, len(self._context), self._arg_params)
        batch_size = self._exec_group.batch_size
        if kv is not None and 'dist' in kv.type and '_sync' in kv.type:
            batch_size *= kv.num_workers
        rescale_grad = 1.0 / batch_size
        idx2name = {}
        if update_on_kvstore:
            idx2name.update(enumerate(self._exec_group.param_names))
        else:
            for k in range(len(self._context)):
                idx2name.update({i * len(self._context) + k: n
                                 for i, n in enumerate(self._exec_group.param_names)})
        if isinstance(optimizer, str):
            optimizer_params = dict(optimizer_params)
            if 'rescale_grad' not in optimizer_params:
                optimizer_params['rescale_grad'] = rescale_grad
            optimizer = opt.create(optimizer, sym=self.symbol, param_idx2name=idx2name,
                                   **optimizer_params)
        else:
            if not isinstance(optimizer, opt.Optimizer):
                raise TypeError('optimizer must be a name or an Optimizer, got %s'
                                % type(optimizer).__name__)
            if optimizer.rescale_grad != rescale_grad:
                logging.warning('Optimizer created manually outside Module but rescale_grad '
                                'is not normalized to 1.0/batch_size/num_workers (%s vs. %s). '
                                'Is this intended?', optimizer.rescale_grad, rescale_grad)
            if not optimizer.idx2name:
                optimizer.idx2name = idx2name.copy()
        self._optimizer = optimizer
        self._kvstore = kv
        self._update_on_kvstore = update_on_kvstore
        self._updater = None
        if kv is not None:
            for i, name in enumerate(self._exec_group.param_names):
                kv.init(name, self._arg_params[name])
            if update_on_kvstore:
                kv.set_optimizer(self._optimizer)
        if not update_on_kvstore:
            self._updater = opt.get_updater(optimizer)
        self.optimizer_initialized = True
        if self._preload_opt_states is not None:
            self.load_optimizer_states(self._preload_opt_states)
            self._preload_opt_states = None

    def borrow_optimizer(self, shared_module):
        assert shared_module.optimizer_initialized
        self._optimizer = shared_module._optimizer
        self._kvstore = shared_module._kvstore
        self._update_on_kvstore = shared_module._update_on_kvstore
        self._updater = shared_module._updater
        self.optimizer_initialized = True

    # ------------------------------------------------------------------ computation
    def forward(self, data_batch, is_train=None):
        """Forward on a DataBatch; re-binds for a different batch shape, as MXNet does."""
        assert self.binded and self.params_initialized, 'bind and init_params first'
        from ..io import DataDesc
        curr = tuple(d.shape for d in self._data_shapes)
        data = data_batch.data if not isinstance(data_batch, list) else data_batch[0].data
        if data is None or len(data) != len(self._data_shapes):
            raise MXNetError('forward: the batch has %d data arrays but the module expects '
                             '%d (%s)' % (0 if data is None else len(data),
                                          len(self._data_shapes), ', '.join(self._data_names)))
        new = tuple(tuple(d.shape) for d in data)
        if curr != new:
            provided = getattr(data_batch, 'provide_data', None)
            new_dshape = provided if provided else [
                DataDesc(d.name, s, d.dtype, d.layout) for d, s in zip(self._data_shapes, new)]
            provided_l = getattr(data_batch, 'provide_label', None)
            if provided_l:
                new_lshape = provided_l
            elif getattr(data_batch, 'label', None) and self._label_shapes:
                new_lshape = [DataDesc(d.name, tuple(lab.shape), d.dtype, d.layout)
                              for d, lab in zip(self._label_shapes, data_batch.label)]
            else:
                new_lshape = None
            self.reshape(new_dshape, new_lshape)
        self._exec_group.forward(data_batch, is_train)

    def backward(self, out_grads=None):
        assert self.binded and self.params_initialized, 'bind and init_params first'
        self._exec_group.backward(out_grads=out_grads)

    def update(self):
        """Apply the optimizer to every parameter with its gradient (after backward)."""
        assert self.binded and self.params_initialized
        if not self.optimizer_initialized:
            raise MXNetError('update() called before init_optimizer(); call '
                             'mod.init_optimizer(...) first')
        self._params_dirty = True
        group = self._exec_group
        if self._update_on_kvstore:
            kv = self._kvstore
            for name, weights, grads in zip(group.param_names, group.param_arrays,
                                            group.grad_arrays):
                if grads[0] is None:
                    continue
                kv.push(name, grads)
                kv.pull(name, weights)
            return
        num_device = len(self._context)
        kv = self._kvstore
        indices, all_grads, all_weights = [], [], []
        for i, (weights, grads) in enumerate(zip(group.param_arrays, group.grad_arrays)):
            if grads[0] is None:
                continue
            if kv is not None:
                name = group.param_names[i]
                kv.push(name, grads)
                kv.pull(name, grads)
            for k, (w, g) in enumerate(zip(weights, grads)):
                indices.append(i * num_device + k)
                all_grads.append(g)
                all_weights.append(w)
        if indices:   # one call for all parameters, as MXNet's aggregated updates
            self._updater(indices, all_grads, all_weights)

    def get_states(self, merge_multi_context=True):
        """The values of the state inputs named by `state_names` (e.g. RNN states)."""
        assert self.binded and self.params_initialized
        return self._exec_group.get_states(merge_multi_context)

    def set_states(self, states=None, value=None):
        """Set the state inputs from `states` (per state, one array per device, as
        get_outputs(merge_multi_context=False) gives them) or fill them with `value`."""
        assert self.binded and self.params_initialized
        self._exec_group.set_states(states, value)

    def get_outputs(self, merge_multi_context=True):
        assert self.binded and self.params_initialized
        return self._exec_group.get_outputs(merge_multi_context=merge_multi_context)

    def get_input_grads(self, merge_multi_context=True):
        assert self.binded and self.params_initialized and self.inputs_need_grad
        return self._exec_group.get_input_grads(merge_multi_context=merge_multi_context)

    def update_metric(self, eval_metric, labels, pre_sliced=False):
        self._exec_group.update_metric(eval_metric, labels, pre_sliced)

    def install_monitor(self, mon):
        assert self.binded
        self._exec_group.install_monitor(mon)

    # ------------------------------------------------------------------ optimizer states
    def save_optimizer_states(self, fname):
        """Write the optimizer states as MXNet does (a pickle; see mxlite.safe_pickle)."""
        from ..util_io import atomic_write_bytes
        assert self.optimizer_initialized
        if self._update_on_kvstore:
            self._kvstore.save_optimizer_states(fname)
        else:
            atomic_write_bytes(fname, self._updater.get_states())

    def load_optimizer_states(self, fname):
        assert self.optimizer_initialized
        if self._update_on_kvstore:
            self._kvstore.load_optimizer_states(fname)
        else:
            with open(fname, 'rb') as f:
                self._updater.set_states(f.read())
