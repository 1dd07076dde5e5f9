"""BaseModule: the training loop (`fit`), scoring and prediction shared by every module.

The order of events in `fit` is MXNet 1.9.1's, so logs and callbacks line up with it:
per batch forward_backward, update, update_metric, then batch callbacks; per epoch the
`Train-<metric>` and `Time cost` lines, the epoch callbacks, then validation.
"""
import logging
import time

import numpy as np

from ..base import MXNetError
from ..model import BatchEndParam

__all__ = ['BaseModule', 'as_list']


def as_list(obj):
    if obj is None:
        return []
    return list(obj) if isinstance(obj, (list, tuple)) else [obj]


def _check_input_names(symbol, names, typename, throw):
    """Data names must be arguments of the symbol; label names only warn (MXNet's rule)."""
    args = symbol.list_arguments()
    for name in names:
        if name in args:
            continue
        candidates = [arg for arg in args if not arg.endswith('_weight') and
                      not arg.endswith('_bias') and not arg.endswith('_gamma') and
                      not arg.endswith('_beta')]
        msg = ("You created Module with Module(..., %s_names=%s) but input with name '%s' is "
               "not found in symbol.list_arguments(). Did you mean one of:\n\t%s"
               % (typename, list(names), name, '\n\t'.join(candidates)))
        if throw:
            raise ValueError(msg)
        logging.warning(msg)


def _input_name_lists(symbol, data_names, label_names, state_names, fixed_param_names):
    """The input name arguments of Module/BucketingModule as four lists (None -> []), each
    checked against the symbol's arguments (unknown label names only warn, as in MXNet)."""
    lists = [list(names) if names is not None else []
             for names in (data_names, label_names, state_names, fixed_param_names)]
    for names, typename, throw in zip(lists, ('data', 'label', 'state', 'fixed_param'),
                                      (True, False, True, True)):
        _check_input_names(symbol, names, typename, throw)
    return lists


class BaseModule:
    """The interface and the high-level loops (`fit`, `score`, `predict`) of modules."""

    def __init__(self, logger=logging):
        self.logger = logger
        self.binded = False
        self.for_training = False
        self.inputs_need_grad = False
        self.params_initialized = False
        self.optimizer_initialized = False
        self._symbol = None
        self._total_exec_bytes = 0

    # ------------------------------------------------------------------ high level
    def forward_backward(self, data_batch):
        """forward(is_train=True) then backward()."""
        self.forward(data_batch, is_train=True)
        self.backward()

    def score(self, eval_data, eval_metric, num_batch=None, batch_end_callback=None,
              score_end_callback=None, reset=True, epoch=0, sparse_row_id_fn=None):
        """Run the model over `eval_data` and return the metric's name/value pairs."""
        from .. import metric as _metric
        assert self.binded and self.params_initialized, 'bind and init_params first'
        if reset:
            eval_data.reset()
        if not isinstance(eval_metric, _metric.EvalMetric):
            eval_metric = _metric.create(eval_metric)
        eval_metric.reset()
        actual_num_batch = 0
        for nbatch, eval_batch in self._inference_batches(eval_data, num_batch,
                                                          sparse_row_id_fn):
            self._update_metric_with(eval_metric, eval_batch)
            if batch_end_callback is not None:
                params = BatchEndParam(epoch=epoch, nbatch=nbatch, eval_metric=eval_metric,
                                       locals=locals())
                for callback in as_list(batch_end_callback):
                    callback(params)
            actual_num_batch += 1
        if score_end_callback:
            params = BatchEndParam(epoch=epoch, nbatch=actual_num_batch,
                                   eval_metric=eval_metric, locals=locals())
            for callback in as_list(score_end_callback):
                callback(params)
        return eval_metric.get_name_value()

    def iter_predict(self, eval_data, num_batch=None, reset=True, sparse_row_id_fn=None):
        """Yield (outputs without padding, batch index, batch) for each batch."""
        assert self.binded and self.params_initialized, 'bind and init_params first'
        if reset:
            eval_data.reset()
        for nbatch, eval_batch in self._inference_batches(eval_data, num_batch,
                                                          sparse_row_id_fn):
            yield self._unpadded_outputs(eval_batch), nbatch, eval_batch

    def predict(self, eval_data, num_batch=None, merge_batches=True, reset=True,
                always_output_list=False, sparse_row_id_fn=None):
        """Outputs over a whole iterator (or one batch of arrays), padding removed."""
        from ..ndarray.ndarray import NDArray, concatenate
        from .. import io as _io
        assert self.binded and self.params_initialized, 'bind and init_params first'
        if isinstance(eval_data, (NDArray, np.ndarray)):
            if isinstance(eval_data, np.ndarray):
                from ..ndarray.ndarray import array
                eval_data = array(eval_data)
            self.forward(_io.DataBatch([eval_data]))
            return self.get_outputs()[0]
        if reset:
            eval_data.reset()
        output_list = []
        for _, eval_batch in self._inference_batches(eval_data, num_batch, sparse_row_id_fn):
            output_list.append([out.copy() for out in self._unpadded_outputs(eval_batch)])
        if not output_list:
            return output_list
        if merge_batches:
            num_outputs = len(output_list[0])
            for out in output_list:
                if len(out) != num_outputs:
                    raise MXNetError('Cannot merge batches, as num of outputs is not the same '
                                     'in mini-batches. Maybe bucketing is used?')
            merged = [concatenate([out[i] for out in output_list])
                      for i in range(num_outputs)]
            if num_outputs == 1 and not always_output_list:
                return merged[0]
            return merged
        return output_list

    def fit(self, train_data, eval_data=None, eval_metric='acc', epoch_end_callback=None,
            batch_end_callback=None, kvstore='local', optimizer='sgd',
            optimizer_params=(('learning_rate', 0.01),), eval_end_callback=None,
            eval_batch_end_callback=None, initializer=None, arg_params=None,
            aux_params=None, allow_missing=False, force_rebind=False, force_init=False,
            begin_epoch=0, num_epoch=None, validation_metric=None, monitor=None,
            sparse_row_id_fn=None):
        """Train: bind, init_params, init_optimizer, then `num_epoch` passes over the data.

        Logs `Epoch[i] Train-<metric>=...`, `Epoch[i] Time cost=...` and
        `Epoch[i] Validation-<metric>=...` as MXNet does.
        """
        from .. import metric as _metric
        from ..initializer import Uniform
        if num_epoch is None:
            raise ValueError('please specify number of epochs')
        if initializer is None:
            initializer = Uniform(0.01)
        self._check_iterator(train_data)
        self.bind(data_shapes=train_data.provide_data, label_shapes=train_data.provide_label,
                  for_training=True, force_rebind=force_rebind)
        if monitor is not None:
            self.install_monitor(monitor)
        self.init_params(initializer=initializer, arg_params=arg_params,
                         aux_params=aux_params, allow_missing=allow_missing,
                         force_init=force_init)
        self.init_optimizer(kvstore=kvstore, optimizer=optimizer,
                            optimizer_params=optimizer_params)
        if validation_metric is None:
            validation_metric = eval_metric
        if not isinstance(eval_metric, _metric.EvalMetric):
            eval_metric = _metric.create(eval_metric)
        progress = _progress_display(train_data)
        for epoch in range(begin_epoch, num_epoch):
            tic = time.time()
            eval_metric.reset()
            nbatch = 0
            data_iter = iter(train_data)
            end_of_batch = False
            try:
                next_data_batch = next(data_iter)
            except StopIteration:
                raise MXNetError('fit: the training iterator yielded no batch in epoch %d'
                                 % epoch) from None
            eval_name_vals = []
            while not end_of_batch:
                data_batch = next_data_batch
                if monitor is not None:
                    monitor.tic()
                self.forward_backward(data_batch)
                self.update()
                self._update_metric_with(eval_metric, data_batch)
                try:
                    next_data_batch = next(data_iter)
                    self.prepare(next_data_batch, sparse_row_id_fn=sparse_row_id_fn)
                except StopIteration:
                    end_of_batch = True
                if monitor is not None:
                    monitor.toc_print()
                if end_of_batch:
                    eval_name_vals = eval_metric.get_global_name_value()
                if batch_end_callback is not None:
                    params = BatchEndParam(epoch=epoch, nbatch=nbatch, eval_metric=eval_metric,
                                           locals=locals())
                    for callback in as_list(batch_end_callback):
                        callback(params)
                if progress is not None:
                    progress(epoch, nbatch)
                nbatch += 1
            for name, val in eval_name_vals:
                self.logger.info('Epoch[%d] Train-%s=%f', epoch, name, val)
            toc = time.time()
            self.logger.info('Epoch[%d] Time cost=%.3f', epoch, (toc - tic))
            arg_params_, aux_params_ = self.get_params()
            self.set_params(arg_params_, aux_params_)
            if epoch_end_callback is not None:
                for callback in as_list(epoch_end_callback):
                    callback(epoch, self.symbol, arg_params_, aux_params_)
            if eval_data:
                res = self.score(eval_data, validation_metric,
                                 score_end_callback=eval_end_callback,
                                 batch_end_callback=eval_batch_end_callback, epoch=epoch)
                for name, val in res:
                    self.logger.info('Epoch[%d] Validation-%s=%f', epoch, name, val)
            train_data.reset()

    def _inference_batches(self, eval_data, num_batch, sparse_row_id_fn):
        """(nbatch, batch) for the first `num_batch` batches of `eval_data` (all when None),
        each prepared and run forward for inference: the loop of score and predict."""
        for nbatch, eval_batch in enumerate(eval_data):
            if num_batch is not None and nbatch == num_batch:
                break
            self.prepare(eval_batch, sparse_row_id_fn=sparse_row_id_fn)
            self.forward(eval_batch, is_train=False)
            yield nbatch, eval_batch

    def _unpadded_outputs(self, batch):
        """The current outputs without the batch's padding rows (views, not copies)."""
        pad = batch.pad or 0
        return [out[0:out.shape[0] - pad] for out in self.get_outputs()]

    def _update_metric_with(self, eval_metric, batch):
        """update_metric with a batch's labels (a list of batches: pre-sliced labels)."""
        if isinstance(batch, list):
            self.update_metric(eval_metric, [b.label for b in batch], pre_sliced=True)
        else:
            self.update_metric(eval_metric, batch.label)

    def _check_iterator(self, data_iter):
        """Fail early, with names, when an iterator's inputs do not match the module's."""
        if not hasattr(data_iter, 'provide_data'):
            raise TypeError('fit expects a DataIter (with provide_data), got %s'
                            % type(data_iter).__name__)
        given = [d[0] if isinstance(d, tuple) else d.name for d in data_iter.provide_data]
        if len(given) != len(self.data_names):
            raise MXNetError('the data iterator provides %d data arrays (%s) but the module '
                             'expects %d (%s)' % (len(given), ', '.join(given),
                                                  len(self.data_names),
                                                  ', '.join(self.data_names)))

    # ------------------------------------------------------------------ properties
    @property
    def symbol(self):
        return self._symbol

    # ------------------------------------------------------------------ interface
    def prepare(self, data_batch, sparse_row_id_fn=None):
        """Hook before a batch is used (sparse row pulls in MXNet); nothing to do here."""

    def install_monitor(self, mon):
        raise NotImplementedError()

    def get_params(self):
        raise NotImplementedError()

    def set_params(self, arg_params, aux_params, allow_missing=False, force_init=True,
                   allow_extra=False):
        self.init_params(initializer=None, arg_params=arg_params, aux_params=aux_params,
                         allow_missing=allow_missing, force_init=force_init,
                         allow_extra=allow_extra)

    # ------------------------------------------------------------------ shared by subclasses
    def _set_params_assigning(self, assign, arg_params, aux_params, allow_missing, force_init,
                              allow_extra):
        """`set_params` as MXNet's Module and BucketingModule do it.

        Without `allow_missing` it is `init_params` (every name checked, nothing changed on
        error). With it, ``assign(arg_params, aux_params, allow_extra)`` writes the given
        arrays as they are (absent names keep their values) and the copies this module
        keeps are marked stale (``_params_dirty``).
        """
        if not allow_missing:
            self.init_params(initializer=None, arg_params=arg_params, aux_params=aux_params,
                             allow_missing=allow_missing, force_init=force_init,
                             allow_extra=allow_extra)
            return
        if self.params_initialized and not force_init:
            logging.warning('Parameters already initialized and force_init=False. '
                            'set_params call ignored.')
            return
        assign(arg_params, aux_params, allow_extra)
        self._params_dirty = True
        self.params_initialized = True

    def _init_optimizer_skipped(self, force_init, note='ignoring.'):
        """The start of every `init_optimizer`: bound and initialised, or fail; True (after
        MXNet's warning, whose ending differs by module) when there is already an optimizer
        and `force_init` is off."""
        assert self.binded and self.params_initialized, 'bind and init_params first'
        if self.optimizer_initialized and not force_init:
            self.logger.warning('optimizer already initialized, ' + note)
            return True
        return False

    def _save_symbol_and_params(self, symbol, prefix, epoch):
        """`prefix-symbol.json`, then `prefix-%04d.params` through `save_params`: the files
        of a checkpoint, written as MXNet's modules write them."""
        symbol.save('%s-symbol.json' % prefix)
        param_name = '%s-%04d.params' % (prefix, epoch)
        self.save_params(param_name)
        logging.info('Saved checkpoint to "%s"', param_name)

    def _use_loaded_params(self, arg_params, aux_params):
        """Keep parameters read from a checkpoint before binding; `bind` hands them to the
        executors."""
        self._arg_params = arg_params
        self._aux_params = aux_params
        self.params_initialized = True

    def save_params(self, fname):
        """Save parameters as `arg:name` / `aux:name` in MXNet's .params format."""
        from ..model import _params_save_dict
        from ..ndarray import save
        save(fname, _params_save_dict(*self.get_params()))

    def load_params(self, fname):
        """Load a .params file (every key checked before anything is set)."""
        from ..model import split_params
        from ..ndarray import load
        arg_params, aux_params = split_params(load(fname), fname)
        self.set_params(arg_params, aux_params)

    def get_states(self, merge_multi_context=True):
        assert self.binded and self.params_initialized
        return []

    def set_states(self, states=None, value=None):
        assert self.binded and self.params_initialized


def _progress_display(train_data):
    """A one-line progress display for long fits, on when MXLITE_PROGRESS=1."""
    import os
    import sys
    if os.environ.get('MXLITE_PROGRESS') != '1':
        return None
    total = getattr(train_data, 'num_data', None)
    batch = getattr(train_data, 'batch_size', None)
    nbatches = -(-total // batch) if total and batch else None

    def show(epoch, nbatch):
        done = nbatch + 1
        if nbatches:
            width = 30
            filled = int(width * done / nbatches)
            sys.stderr.write('\rEpoch %d [%s%s] %d/%d' % (epoch, '=' * filled,
                                                           '.' * (width - filled), done,
                                                           nbatches))
            if done >= nbatches:
                sys.stderr.write('\n')
        else:
            sys.stderr.write('\rEpoch %d batch %d' % (epoch, done))
        sys.stderr.flush()
    return show
