"""mx.metric: evaluation metrics with MXNet 1.9.1's names, registry and numbers.

``mx.metric.create('acc')``, ``create(['acc', 'ce'])``, ``create(my_function)``; every
metric has local counters (``sum_metric``/``num_inst``, cleared by `reset_local`) and
global ones (``global_sum_metric``/``global_num_inst``, cleared by `reset`).
"""
from .base import (CompositeEvalMetric, CustomEvalMetric, CustomMetric, EvalMetric, alias,
                   check_label_shapes, create, np, register)
from .classification import F1, MCC, PCC, Accuracy, TopKAccuracy
from .regression import (MAE, MSE, RMSE, Caffe, CrossEntropy, Loss, NegativeLogLikelihood,
                         PearsonCorrelation, Perplexity, Torch)

__all__ = ['EvalMetric', 'CompositeEvalMetric', 'CustomMetric', 'CustomEvalMetric',
           'Accuracy', 'TopKAccuracy', 'F1', 'MCC', 'PCC', 'Perplexity', 'MAE', 'MSE',
           'RMSE', 'CrossEntropy', 'NegativeLogLikelihood', 'PearsonCorrelation', 'Loss',
           'Torch', 'Caffe', 'check_label_shapes', 'create', 'register', 'alias', 'np']
