"""BucketingModule: one Module per bucket (e.g. per sequence length), all sharing the
parameters, gradients, optimizer and memory of the default bucket's Module.

`sym_gen(bucket_key)` returns ``(symbol, data_names, label_names)`` for a bucket. The
default bucket is bound first; every other bucket is bound on first use with
``shared_module=<default bucket's module>``, so its executors take the parameter and
gradient arrays of the default bucket's executors, and draw their intermediate buffers
from the same memory pool (only one bucket runs at a time). Make the default bucket the
largest one, as MXNet recommends, and the other buckets need no new memory.

As in MXNet, that sharing means a bucket's outputs (`get_outputs`) stay valid only until
another bucket runs forward: read or copy them first (`fit` and `score` do).
"""
import logging

from ..base import MXNetError
from ..context import cpu
from .base_module import BaseModule, _input_name_lists
from .module import Module

__all__ = ['BucketingModule']


class BucketingModule(BaseModule):
    """A module that switches between symbols of different input shapes (buckets).

    Parameters
    ----------
    sym_gen : callable
        ``sym_gen(bucket_key) -> (symbol, data_names, label_names)``.
    default_bucket_key : any hashable
        The bucket bound first (its module owns the shared parameters and memory);
        normally the largest bucket.
    logger : logging.Logger
    context : Context or list of Context, default cpu()
    work_load_list : list of float, optional
    fixed_param_names : list of str, optional
    state_names : list of str, optional
    group2ctxs, compression_params : accepted for compatibility

    Examples
    --------
    >>> import mxlite as mx
    >>> def sym_gen(seq_len):
    ...     data = mx.sym.var('data')
    ...     net = mx.sym.FullyConnected(mx.sym.Reshape(data, shape=(-1, 1)), num_hidden=2,
    ...                                 name='fc')
    ...     return net, ('data',), None
    >>> mod = mx.mod.BucketingModule(sym_gen, default_bucket_key=4)
    >>> mod.bind(data_shapes=[('data', (3, 4))], for_training=False)
    >>> mod.init_params()
    >>> mod.forward(mx.io.DataBatch([mx.nd.ones((3, 2))], bucket_key=2,
    ...                             provide_data=[('data', (3, 2))]))
    >>> mod.get_outputs()[0].shape
    (6, 2)
    """

    def __init__(self, sym_gen, default_bucket_key=None, logger=logging, context=None,
                 work_load_list=None, fixed_param_names=None, state_names=None,
                 group2ctxs=None, compression_params=None):
        super().__init__(logger=logger)
        if default_bucket_key is None:
            raise MXNetError('BucketingModule needs a default_bucket_key')
        if context is None:
            context = cpu()
        self._default_bucket_key = default_bucket_key
        self._sym_gen = sym_gen
        symbol, data_names, label_names = self._call_sym_gen(default_bucket_key)
        _, _, state_names, fixed_param_names = _input_name_lists(
            symbol, data_names, label_names, state_names, fixed_param_names)
        self._compression_params = compression_params
        self._fixed_param_names = fixed_param_names
        self._state_names = state_names
        self._context = context
        self._work_load_list = work_load_list
        self._group2ctxs = group2ctxs
        self._buckets = {}
        self._curr_module = None
        self._curr_bucket_key = None
        self._params_dirty = False
        self._monitor = None
        self._grad_req = None
        self._arg_params = None   # set by load() before binding
        self._aux_params = None

    def _call_sym_gen(self, bucket_key):
        out = self._sym_gen(bucket_key)
        if not isinstance(out, (tuple, list)) or len(out) != 3:
            raise MXNetError('sym_gen(%r) must return (symbol, data_names, label_names), got '
                             '%r' % (bucket_key, type(out).__name__))
        return out

    def _reset_bind(self):
        self.binded = False
        self._buckets = {}
        self._curr_module = None
        self._curr_bucket_key = None

    def _new_module(self, bucket_key):
        symbol, data_names, label_names = self._call_sym_gen(bucket_key)
        return Module(symbol, data_names, label_names, logger=self.logger,
                      context=self._context, work_load_list=self._work_load_list,
                      fixed_param_names=self._fixed_param_names,
                      state_names=self._state_names, group2ctxs=self._group2ctxs,
                      compression_params=self._compression_params)

    # ------------------------------------------------------------------ properties
    @property
    def default_bucket_key(self):
        return self._default_bucket_key

    @property
    def data_names(self):
        if self.binded:
            return self._curr_module.data_names
        _, data_names, _ = self._call_sym_gen(self._default_bucket_key)
        return list(data_names) if data_names is not None else []

    @property
    def output_names(self):
        if self.binded:
            return self._curr_module.output_names
        symbol, _, _ = self._call_sym_gen(self._default_bucket_key)
        return symbol.list_outputs()

    @property
    def data_shapes(self):
        assert self.binded
        return self._curr_module.data_shapes

    @property
    def label_shapes(self):
        assert self.binded
        return self._curr_module.label_shapes

    @property
    def output_shapes(self):
        assert self.binded
        return self._curr_module.output_shapes

    @property
    def symbol(self):
        assert self.binded
        return self._curr_module.symbol

    # ------------------------------------------------------------------ params
    def get_params(self):
        """(arg_params, aux_params), the same for every bucket."""
        assert self.binded and self.params_initialized, 'bind and init_params first'
        self._curr_module._params_dirty = self._params_dirty
        params = self._curr_module.get_params()
        self._params_dirty = False
        return params

    def set_params(self, arg_params, aux_params, allow_missing=False, force_init=True,
                   allow_extra=False):
        def assign(args, auxs, extra):
            self._curr_module.set_params(args, auxs, allow_missing=True,
                                         force_init=force_init, allow_extra=extra)
        self._set_params_assigning(assign, arg_params, aux_params, allow_missing, force_init,
                                   allow_extra)

    def init_params(self, initializer=None, arg_params=None, aux_params=None,
                    allow_missing=False, force_init=False, allow_extra=False):
        """Initialize the parameters (through the current bucket, which shares them)."""
        if self.params_initialized and not force_init:
            return
        assert self.binded, 'call bind before initializing the parameters'
        # (the current module picks Uniform(0.01) when given nothing, as MXNet's does)
        self._curr_module.init_params(initializer=initializer, arg_params=arg_params,
                                      aux_params=aux_params, allow_missing=allow_missing,
                                      force_init=force_init, allow_extra=allow_extra)
        self._params_dirty = False
        self.params_initialized = True

    def get_states(self, merge_multi_context=True):
        assert self.binded and self.params_initialized
        return self._curr_module.get_states(merge_multi_context=merge_multi_context)

    def set_states(self, states=None, value=None):
        assert self.binded and self.params_initialized
        self._curr_module.set_states(states, value)

    # ------------------------------------------------------------------ binding
    def bind(self, data_shapes, label_shapes=None, for_training=True,
             inputs_need_grad=False, force_rebind=False, shared_module=None,
             grad_req='write'):
        """Bind the default bucket's module (the one every other bucket shares from)."""
        if self.params_initialized and self.binded:
            arg_params, aux_params = self.get_params()
        else:
            arg_params, aux_params = self._arg_params, self._aux_params
        if force_rebind:
            self._reset_bind()
        if self.binded:
            self.logger.warning('Already bound, ignoring bind()')
            return
        if shared_module is not None:
            raise MXNetError('shared_module for BucketingModule is not supported')
        module = self._new_module(self._default_bucket_key)
        module.bind(data_shapes, label_shapes, for_training, inputs_need_grad,
                    force_rebind=False, shared_module=None, grad_req=grad_req)
        self.for_training = for_training
        self.inputs_need_grad = inputs_need_grad
        self._grad_req = grad_req
        self.binded = True
        self._curr_module = module
        self._curr_bucket_key = self._default_bucket_key
        self._buckets = {self._default_bucket_key: module}
        if self.params_initialized and arg_params is not None:
            self.set_params(arg_params, aux_params)

    def switch_bucket(self, bucket_key, data_shapes, label_shapes=None):
        """Make `bucket_key` current, binding its module (sharing with the default
        bucket's) the first time it is seen."""
        assert self.binded, 'call bind before switching bucket'
        module = self._buckets.get(bucket_key)
        if module is None or not module.binded:
            if data_shapes is None:
                raise MXNetError('switch_bucket: bucket %r is not bound yet; give its '
                                 'data_shapes' % (bucket_key,))
            default = self._buckets[self._default_bucket_key]
            module = module or self._new_module(bucket_key)
            module.bind(data_shapes, label_shapes, default.for_training,
                        default.inputs_need_grad, force_rebind=False, shared_module=default,
                        grad_req=self._grad_req)
            if self._monitor is not None:
                module.install_monitor(self._monitor)
            if default.optimizer_initialized:
                module.borrow_optimizer(default)
            self._buckets[bucket_key] = module
        self._curr_module = module
        self._curr_bucket_key = bucket_key

    # ------------------------------------------------------------------ optimizer
    def init_optimizer(self, kvstore='local', optimizer='sgd',
                       optimizer_params=(('learning_rate', 0.01),), force_init=False):
        if self._init_optimizer_skipped(force_init):
            return
        self._curr_module.init_optimizer(kvstore, optimizer, optimizer_params,
                                         force_init=force_init)
        for mod in self._buckets.values():
            if mod is not self._curr_module:
                mod.borrow_optimizer(self._curr_module)
        self.optimizer_initialized = True

    # ------------------------------------------------------------------ computation
    def prepare(self, data_batch, sparse_row_id_fn=None):
        """Bind the batch's bucket ahead of time (the current bucket stays current)."""
        assert self.binded and self.params_initialized
        original = self._curr_bucket_key
        self.switch_bucket(self._bucket_key(data_batch), *self._batch_shapes(data_batch))
        self._curr_module.prepare(data_batch, sparse_row_id_fn=sparse_row_id_fn)
        self.switch_bucket(original, None, None)

    def forward(self, data_batch, is_train=None):
        """Switch to the batch's bucket (``data_batch.bucket_key``) and run forward."""
        assert self.binded and self.params_initialized, 'bind and init_params first'
        self.switch_bucket(self._bucket_key(data_batch), *self._batch_shapes(data_batch))
        self._curr_module.forward(data_batch, is_train=is_train)

    def _bucket_key(self, data_batch):
        """The batch's bucket_key, or the default bucket's when it has none."""
        key = getattr(data_batch, 'bucket_key', None)
        return self._default_bucket_key if key is None else key

    def _batch_shapes(self, data_batch):
        """(data shapes, label shapes) of a batch: its provide_* or its arrays' shapes."""
        default = self._buckets[self._default_bucket_key]
        data = data_batch.provide_data or [
            (n, tuple(d.shape)) for n, d in zip(default.data_names, data_batch.data or [])]
        label = data_batch.provide_label
        if not label and data_batch.label and default.label_names:
            label = [(n, tuple(x.shape)) for n, x in zip(default.label_names,
                                                         data_batch.label)]
        return data, label or None

    def backward(self, out_grads=None):
        assert self.binded and self.params_initialized
        self._curr_module.backward(out_grads=out_grads)

    def update(self):
        assert self.binded and self.params_initialized and self.optimizer_initialized
        self._params_dirty = True
        self._curr_module.update()

    def get_outputs(self, merge_multi_context=True):
        assert self.binded and self.params_initialized
        return self._curr_module.get_outputs(merge_multi_context=merge_multi_context)

    def get_input_grads(self, merge_multi_context=True):
        assert self.binded and self.params_initialized and self.inputs_need_grad
        return self._curr_module.get_input_grads(merge_multi_context=merge_multi_context)

    def update_metric(self, eval_metric, labels, pre_sliced=False):
        assert self.binded and self.params_initialized
        self._curr_module.update_metric(eval_metric, labels, pre_sliced)

    def install_monitor(self, mon):
        assert self.binded
        self._monitor = mon
        for mod in self._buckets.values():
            mod.install_monitor(mon)

    # ------------------------------------------------------------------ checkpoints
    def save_checkpoint(self, prefix, epoch, remove_amp_cast=False):
        """Write the default bucket's symbol and the (shared) parameters."""
        if not self._buckets:
            raise MXNetError('an unbound BucketingModule cannot be saved')
        assert self.binded and self.params_initialized
        self._save_symbol_and_params(self._buckets[self._default_bucket_key].symbol, prefix,
                                     epoch)

    @staticmethod
    def load(prefix, epoch, sym_gen=None, default_bucket_key=None, **kwargs):
        """A BucketingModule whose parameters come from ``prefix-%04d.params``; they are
        given to the executors when it is bound."""
        from ..model import load_checkpoint
        if sym_gen is None or default_bucket_key is None:
            raise MXNetError('BucketingModule.load needs sym_gen and default_bucket_key')
        _, args, auxs = load_checkpoint(prefix, epoch)
        mod = BucketingModule(sym_gen=sym_gen, default_bucket_key=default_bucket_key,
                              **kwargs)
        mod._use_loaded_params(args, auxs)
        return mod

    # memory the buckets planned together (see the module docstring)
    def _memory_stats(self):
        """{bucket_key: executor plan stats} of every bound bucket (first context)."""
        return {k: m._exec_group.execs[0]._plan_stats for k, m in self._buckets.items()}

