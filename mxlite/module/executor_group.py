"""Data parallelism: one executor per context, each on its slice of the batch."""
import numpy as np

from ..base import MXNetError
from ..ndarray.ndarray import NDArray, concatenate


def _names_shapes(descs):
    out = []
    for d in descs:
        if hasattr(d, 'dtype') and hasattr(d, 'name'):   # a DataDesc (itself a tuple)
            out.append((d.name, tuple(d.shape), np.dtype(d.dtype)))
        elif isinstance(d, (tuple, list)):
            out.append((d[0], tuple(d[1]), np.dtype(d[2]) if len(d) > 2 else None))
        else:
            out.append((d.name, tuple(d.shape), np.dtype(getattr(d, 'dtype', np.float32))))
    return out


def split_batch(batch_size, work_load_list):
    """Slices of the batch axis proportional to work_load_list (MXNet's rounding)."""
    total = float(sum(work_load_list))
    counts = [int(round(w * batch_size / total)) for w in work_load_list]
    counts[-1] = batch_size - sum(counts[:-1])
    if any(c <= 0 for c in counts):
        raise MXNetError('batch size %d is too small to split over %d contexts (%s)'
                         % (batch_size, len(work_load_list), work_load_list))
    slices, start = [], 0
    for c in counts:
        slices.append(slice(start, start + c))
        start += c
    return slices


class DataParallelExecutorGroup:
    """Executors bound on each context, with parameters per context (kept in sync by the
    module's update step)."""

    def __init__(self, symbol, contexts, workload, data_shapes, label_shapes, param_names,
                 for_training, inputs_need_grad, shared_group=None, fixed_param_names=None,
                 grad_req='write', state_names=None):
        self.symbol = symbol
        self.contexts = contexts
        self.workload = workload
        self.param_names = list(param_names)
        self.for_training = for_training
        self.inputs_need_grad = inputs_need_grad
        self.fixed_param_names = set(fixed_param_names or [])
        self.state_names = list(state_names or [])
        self.arg_names = symbol.list_arguments()
        self.aux_names = symbol.list_auxiliary_states()
        self.output_names = symbol.list_outputs()
        self.data_shapes = _names_shapes(data_shapes)
        self.label_shapes = _names_shapes(label_shapes) if label_shapes else []
        self.data_names = [n for n, _, _ in self.data_shapes]
        self.label_names = [n for n, _, _ in self.label_shapes]
        self.batch_size = self.data_shapes[0][1][0]
        for name, shape, _ in self.data_shapes + self.label_shapes:
            if shape and shape[0] != self.batch_size:
                from ..graph.ir import Graph, describe_users
                raise MXNetError(
                    "bind: '%s' has shape %s but the batch size is %d (from '%s' %s), so "
                    "expected %s%s; all inputs need the same batch size" % (
                        name, shape, self.batch_size, self.data_shapes[0][0],
                        self.data_shapes[0][1], (self.batch_size,) + tuple(shape[1:]),
                        describe_users(Graph(symbol._entries), name)))
        self.slices = split_batch(self.batch_size, workload)
        self._grad_req = self._grad_reqs(grad_req)
        self.execs = []
        shared_execs = shared_group.execs if shared_group is not None else [None] * len(contexts)
        for i, ctx in enumerate(contexts):
            self.execs.append(self._bind_one(i, ctx, shared_execs[i]))
        self.param_arrays = [[e.arg_dict[n] for e in self.execs] for n in self.param_names]
        self.grad_arrays = [[e.grad_dict[n] for e in self.execs] for n in self.param_names] \
            if for_training else []
        self.aux_arrays = [[e.aux_dict[n] for e in self.execs] for n in self.aux_names]
        self.data_arrays = [[(s, e.arg_dict[n]) for s, e in zip(self.slices, self.execs)]
                            for n in self.data_names]
        self.label_arrays = [[(s, e.arg_dict[n]) for s, e in zip(self.slices, self.execs)]
                             for n in self.label_names if n in self.arg_names]
        self.input_grad_arrays = [[e.grad_dict[n] for e in self.execs]
                                  for n in self.data_names] if inputs_need_grad else []

    def _grad_reqs(self, grad_req):
        reqs = {}
        for name in self.arg_names:
            if not self.for_training:
                reqs[name] = 'null'
            elif name in self.param_names:
                if name in self.fixed_param_names:
                    reqs[name] = 'null'
                elif isinstance(grad_req, dict):
                    reqs[name] = grad_req.get(name, 'write')
                else:
                    reqs[name] = grad_req
            elif name in self.data_names:
                reqs[name] = grad_req if self.inputs_need_grad and isinstance(grad_req, str) \
                    else ('write' if self.inputs_need_grad else 'null')
            else:
                reqs[name] = 'null'
        return reqs

    def _bind_one(self, i, ctx, shared_exec):
        sl = self.slices[i]
        n = sl.stop - sl.start
        shapes, types = {}, {}
        for name, shape, dtype in self.data_shapes + self.label_shapes:
            if name not in self.arg_names:
                continue
            shapes[name] = (n,) + shape[1:]
            if dtype is not None:
                types[name] = dtype
        return self.symbol.simple_bind(ctx, grad_req=self._grad_req, type_dict=types,
                                       shared_exec=shared_exec, **shapes)

    # ------------------------------------------------------------------ running
    def _load(self, targets, sources, what):
        names = self.data_names if what == 'data' else self.label_names
        if len(sources) != len(targets):
            raise MXNetError('the batch has %d %s arrays but the module was bound with %d (%s)'
                             % (len(sources), what, len(targets),
                                ', '.join(self.data_names if what == 'data'
                                          else self.label_names)))
        for name, per_ctx, src in zip(names, targets, sources):
            data = src._data if isinstance(src, NDArray) else np.asarray(src)
            for sl, dst in per_ctx:
                part = data[sl] if len(per_ctx) > 1 else data
                if part.shape != dst.shape:
                    from ..graph.ir import Graph, describe_users
                    raise MXNetError("%s array '%s' has shape %s but the module is bound to %s%s;"
                                     " bind (or reshape) with the new shape"
                                     % (what, name, tuple(data.shape), dst.shape,
                                        describe_users(Graph(self.symbol._entries), name)))
                np.copyto(dst._data, part, casting='unsafe')

    def forward(self, data_batch, is_train=None):
        self._load(self.data_arrays, data_batch.data, 'data')
        if is_train is None:
            is_train = self.for_training
        if self.label_arrays and data_batch.label is not None and is_train:
            self._load(self.label_arrays, data_batch.label, 'label')
        elif self.label_arrays and data_batch.label:
            self._load(self.label_arrays, data_batch.label, 'label')
        for e in self.execs:
            e.forward(is_train=is_train)

    def backward(self, out_grads=None):
        if not self.for_training:
            raise MXNetError('re-bind with for_training=True to run backward')
        for i, e in enumerate(self.execs):
            grads = None
            if out_grads is not None:
                sl = self.slices[i]
                grads = [g[sl] if len(self.execs) > 1 else g for g in out_grads]
            e.backward(out_grads=grads)

    def get_outputs(self, merge_multi_context=True):
        outputs = [[e.outputs[i] for e in self.execs] for i in range(len(self.output_names))]
        if merge_multi_context:
            return [o[0] if len(o) == 1 else concatenate(o) for o in outputs]
        return outputs

    def get_input_grads(self, merge_multi_context=True):
        if not self.inputs_need_grad:
            raise MXNetError('bind with inputs_need_grad=True to get input gradients')
        if merge_multi_context:
            return [g[0] if len(g) == 1 else concatenate(g) for g in self.input_grad_arrays]
        return self.input_grad_arrays

    def update_metric(self, eval_metric, labels, pre_sliced=False):
        from collections import OrderedDict
        for i, e in enumerate(self.execs):
            if pre_sliced:
                labels_slice = labels[i]
            elif len(self.execs) > 1:
                labels_slice = [lab[self.slices[i]] for lab in labels]
            else:
                labels_slice = labels
            labels_ = OrderedDict(zip(self.label_names, labels_slice))
            preds = OrderedDict(zip(self.output_names, e.outputs))
            eval_metric.update_dict(labels_, preds)

    def get_params(self, arg_params, aux_params):
        """Average each parameter over contexts into the given dicts (on the CPU)."""
        for name, block in zip(self.param_names, self.param_arrays):
            data = block[0]._data if len(block) == 1 else \
                sum(w._data for w in block) / len(block)
            arg_params[name]._data[...] = data
        for name, block in zip(self.aux_names, self.aux_arrays):
            data = block[0]._data if len(block) == 1 else \
                sum(w._data for w in block) / len(block)
            aux_params[name]._data[...] = data

    def set_params(self, arg_params, aux_params, allow_extra=False):
        for e in self.execs:
            e.copy_params_from(arg_params, aux_params, allow_extra_params=allow_extra)

    def get_states(self, merge_multi_context=True):
        """The state inputs (`state_names`): per state, one array per device, or merged
        along the batch axis."""
        states = [[e.arg_dict[name] for e in self.execs] for name in self.state_names]
        if merge_multi_context:
            return [s[0] if len(s) == 1 else concatenate(s) for s in states]
        return states

    def set_states(self, states=None, value=None):
        """Copy `states` ([[state1_dev1, state1_dev2], [state2_dev1, ...]]) into the state
        inputs, or fill them all with `value`."""
        if (states is None) == (value is None):
            raise MXNetError('set_states: give exactly one of states and value')
        if value is not None:
            for name in self.state_names:
                for e in self.execs:
                    e.arg_dict[name][:] = value
            return
        if len(states) != len(self.state_names):
            raise MXNetError('set_states: %d states given but the module has %d (%s)'
                             % (len(states), len(self.state_names),
                                ', '.join(self.state_names)))
        for name, per_device in zip(self.state_names, states):
            per_device = per_device if isinstance(per_device, (list, tuple)) else [per_device]
            for e, src in zip(self.execs, per_device):
                dst = e.arg_dict[name]
                if tuple(src.shape) != dst.shape:
                    raise MXNetError("set_states: state '%s' has shape %s, expected %s"
                                     % (name, tuple(src.shape), dst.shape))
                dst[:] = src

    def install_monitor(self, mon):
        for e in self.execs:
            mon.install(e)
