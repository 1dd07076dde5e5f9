"""SSD contrib ops (MultiBoxPrior, MultiBoxTarget, MultiBoxDetection, box_encode,
box_decode, bipartite_matching): tables of cases run by one harness in float32 and float64.

Each kernel is compared with a plain NumPy reference written as loops over anchors, boxes
and pairs (slow but obviously right) and with outputs recorded from MXNet 1.9.1 on the same
inputs (PINNED: made by running MXNet on `make_inputs`, whose RandomState stream is fixed
across NumPy versions). Shape inference, symbol JSON, the imperative path, the zero
gradients and error messages come from the same table.
"""
import doctest
import math
from collections import namedtuple

import numpy as np
import pytest

import mxlite as mx
from optest import assert_json_round_trip
from mxlite.base import MXNetError


# ----------------------------------------------------------------------------- inputs
def _boxes(rng, *shape):
    """Random corner boxes inside [0, 1]."""
    lo = rng.rand(*shape, 2) * 0.7
    return np.concatenate([lo, lo + 0.05 + rng.rand(*shape, 2) * 0.4], axis=-1)


def make_inputs(op, seed):
    rng = np.random.RandomState(seed)
    if op == 'MultiBoxPrior':
        return [np.zeros((1, 2, 2, 3), 'f4')]
    if op == 'MultiBoxTarget':
        anchor = _boxes(rng, 1, 10)
        label = np.full((2, 3, 5), -1.0)
        label[0, :2, 0] = [0, 2]
        label[0, :2, 1:] = anchor[0, [2, 7]] + rng.randn(2, 4) * 0.05
        label[1, :1, 0] = 1
        label[1, :1, 1:] = _boxes(rng, 1)
        return [anchor, label, rng.randn(2, 3, 10)]
    if op == 'MultiBoxDetection':
        anchor = _boxes(rng, 1, 10)
        e = np.exp(rng.randn(2, 3, 10) * 2)
        return [e / e.sum(axis=1, keepdims=True), rng.randn(2, 40) * 0.5, anchor]
    if op == 'bipartite_matching':
        s = rng.rand(2, 5, 4)
        s[0, 0, :2] = s[0, 1, :2] = 0.95       # ties: row-major order decides
        return [s]
    if op == 'box_encode':
        samples = rng.choice([-1.0, 0.0, 1.0], size=(2, 6))
        return [samples, rng.randint(0, 3, size=(2, 6)).astype(float), _boxes(rng, 2, 6),
                _boxes(rng, 2, 3), rng.randn(4) * 0.1, rng.rand(4) + 0.5]
    if op == 'box_decode':
        return [rng.randn(2, 5, 4) * 0.5, rng.rand(1, 5, 4) + 0.1]
    raise KeyError(op)


PINNED_PARAMS = {
    'MultiBoxPrior': [dict(sizes=(0.5, 0.25), ratios=(1, 2, 0.5)),
                      dict(sizes=(0.9,), ratios=(2,), clip=True, steps=(0.3, 0.2),
                           offsets=(0.2, 0.7))],
    'MultiBoxTarget': [dict(), dict(overlap_threshold=0.2, negative_mining_ratio=2,
                                    negative_mining_thresh=0.4, variances=(0.1, 0.2, 0.3, 0.4),
                                    ignore_label=-2)],
    'MultiBoxDetection': [dict(), dict(clip=False, threshold=0.3, nms_threshold=0.2,
                                       force_suppress=True, nms_topk=3),
                          dict(nms_threshold=0.1, variances=(0.2, 0.1, 0.4, 0.3))],
    'bipartite_matching': [dict(threshold=0.3), dict(threshold=0.6, is_ascend=True),
                           dict(threshold=0.1, topk=1)],
    'box_encode': [dict()],
    'box_decode': [dict(), dict(std0=0.1, std1=0.2, std2=0.3, std3=2.0, clip=0.5,
                                format='corner')],
}


# recorded from MXNet 1.9.1 (float32) on make_inputs(op, 7) with PINNED_PARAMS[op][i]
PINNED = {
    ('MultiBoxPrior', 0): [
        np.array([[[ 0.      ,  0.      ,  0.333333,  0.5     ],
                   [ 0.083333,  0.125   ,  0.25    ,  0.375   ],
                   [-0.069036,  0.073223,  0.402369,  0.426777],
                   [ 0.048816, -0.103553,  0.284518,  0.603553],
                   [ 0.333333,  0.      ,  0.666667,  0.5     ],
                   [ 0.416667,  0.125   ,  0.583333,  0.375   ],
                   [ 0.264298,  0.073223,  0.735702,  0.426777],
                   [ 0.382149, -0.103553,  0.617851,  0.603553],
                   [ 0.666667,  0.      ,  1.      ,  0.5     ],
                   [ 0.75    ,  0.125   ,  0.916667,  0.375   ],
                   [ 0.597631,  0.073223,  1.069036,  0.426777],
                   [ 0.715482, -0.103553,  0.951184,  0.603553],
                   [ 0.      ,  0.5     ,  0.333333,  1.      ],
                   [ 0.083333,  0.625   ,  0.25    ,  0.875   ],
                   [-0.069036,  0.573223,  0.402369,  0.926777],
                   [ 0.048816,  0.396447,  0.284518,  1.103553],
                   [ 0.333333,  0.5     ,  0.666667,  1.      ],
                   [ 0.416667,  0.625   ,  0.583333,  0.875   ],
                   [ 0.264298,  0.573223,  0.735702,  0.926777],
                   [ 0.382149,  0.396447,  0.617851,  1.103553],
                   [ 0.666667,  0.5     ,  1.      ,  1.      ],
                   [ 0.75    ,  0.625   ,  0.916667,  0.875   ],
                   [ 0.597631,  0.573223,  1.069036,  0.926777],
                   [ 0.715482,  0.396447,  0.951184,  1.103553]]]),
    ],
    ('MultiBoxPrior', 1): [
        np.array([[[0.      , 0.      , 0.564264, 0.378198],
                   [0.      , 0.      , 0.764264, 0.378198],
                   [0.115736, 0.      , 0.964264, 0.378198],
                   [0.      , 0.041802, 0.564264, 0.678198],
                   [0.      , 0.041802, 0.764264, 0.678198],
                   [0.115736, 0.041802, 0.964264, 0.678198]]]),
    ],
    ('MultiBoxTarget', 0): [
        np.array([[ 0.      ,  0.      ,  0.      ,  0.      ,  0.      ,  0.      ,  0.      ,  0.      ,
                   -1.975478,  1.936266,  0.494591,  3.536383,  0.      ,  0.      ,  0.      ,  0.      ,
                    0.      ,  0.      ,  0.      ,  0.      ,  0.      ,  0.      ,  0.      ,  0.      ,
                    0.      ,  0.      ,  0.      ,  0.      ,  3.319088, -0.330636, -1.34365 ,  0.096059,
                    0.      ,  0.      ,  0.      ,  0.      ,  0.      ,  0.      ,  0.      ,  0.      ],
                  [ 1.28404 , -3.066959, -1.408981, -3.338194,  0.      ,  0.      ,  0.      ,  0.      ,
                    0.      ,  0.      ,  0.      ,  0.      ,  0.      ,  0.      ,  0.      ,  0.      ,
                    0.      ,  0.      ,  0.      ,  0.      ,  0.      ,  0.      ,  0.      ,  0.      ,
                    0.      ,  0.      ,  0.      ,  0.      ,  0.      ,  0.      ,  0.      ,  0.      ,
                    0.      ,  0.      ,  0.      ,  0.      ,  0.      ,  0.      ,  0.      ,  0.      ]]),
        np.array([[0., 0., 0., 0., 0., 0., 0., 0., 1., 1., 1., 1., 0., 0., 0., 0., 0., 0., 0., 0., 0., 0., 0.,
                   0., 0., 0., 0., 0., 1., 1., 1., 1., 0., 0., 0., 0., 0., 0., 0., 0.],
                  [1., 1., 1., 1., 0., 0., 0., 0., 0., 0., 0., 0., 0., 0., 0., 0., 0., 0., 0., 0., 0., 0., 0.,
                   0., 0., 0., 0., 0., 0., 0., 0., 0., 0., 0., 0., 0., 0., 0., 0., 0.]]),
        np.array([[0., 0., 1., 0., 0., 0., 0., 3., 0., 0.],
                  [2., 0., 0., 0., 0., 0., 0., 0., 0., 0.]]),
    ],
    ('MultiBoxTarget', 1): [
        np.array([[ 0.      ,  0.      ,  0.      ,  0.      , -0.907303,  3.256183,  0.181735,  0.941768,
                   -1.975478,  0.968133,  0.329727,  1.768192,  0.      ,  0.      ,  0.      ,  0.      ,
                    0.      ,  0.      ,  0.      ,  0.      ,  0.      ,  0.      ,  0.      ,  0.      ,
                    0.      ,  0.      ,  0.      ,  0.      ,  3.319088, -0.165318, -0.895766,  0.04803 ,
                    0.      ,  0.      ,  0.      ,  0.      ,  0.      ,  0.      ,  0.      ,  0.      ],
                  [ 1.28404 , -1.53348 , -0.939321, -1.669097,  0.      ,  0.      ,  0.      ,  0.      ,
                    0.      ,  0.      ,  0.      ,  0.      ,  0.      ,  0.      ,  0.      ,  0.      ,
                    0.      ,  0.      ,  0.      ,  0.      ,  0.      ,  0.      ,  0.      ,  0.      ,
                    0.      ,  0.      ,  0.      ,  0.      ,  0.      ,  0.      ,  0.      ,  0.      ,
                    0.      ,  0.      ,  0.      ,  0.      ,  0.      ,  0.      ,  0.      ,  0.      ]]),
        np.array([[0., 0., 0., 0., 1., 1., 1., 1., 1., 1., 1., 1., 0., 0., 0., 0., 0., 0., 0., 0., 0., 0., 0.,
                   0., 0., 0., 0., 0., 1., 1., 1., 1., 0., 0., 0., 0., 0., 0., 0., 0.],
                  [1., 1., 1., 1., 0., 0., 0., 0., 0., 0., 0., 0., 0., 0., 0., 0., 0., 0., 0., 0., 0., 0., 0.,
                   0., 0., 0., 0., 0., 0., 0., 0., 0., 0., 0., 0., 0., 0., 0., 0., 0.]]),
        np.array([[-2.,  3.,  1.,  0.,  0.,  0.,  0.,  3.,  0.,  0.],
                  [ 2., -2.,  0.,  0., -2., -2., -2., -2., -2., -2.]]),
    ],
    ('MultiBoxDetection', 0): [
        np.array([[[ 1.      ,  0.940937,  0.650319,  0.012824,  0.915204,  0.176643],
                   [ 1.      ,  0.940069,  0.006845,  0.525219,  0.370655,  0.994316],
                   [ 0.      ,  0.936189,  0.682384,  0.372354,  1.      ,  0.469905],
                   [ 1.      ,  0.926089,  0.467177,  0.570042,  0.59941 ,  0.806004],
                   [ 0.      ,  0.886684,  0.26402 ,  0.076983,  0.455357,  0.298398],
                   [ 0.      ,  0.807605,  0.344983,  0.061022,  0.652955,  0.395506],
                   [ 0.      ,  0.690703,  0.208698,  0.623581,  0.403572,  1.      ],
                   [ 1.      ,  0.64752 ,  0.31034 ,  0.494931,  0.440691,  0.774603],
                   [ 0.      ,  0.237434,  0.140012,  0.317141,  0.533653,  0.497791],
                   [-1.      ,  0.046646,  0.165648,  0.34657 ,  0.518625,  0.597475]],
                 
                  [[ 1.      ,  0.968769,  0.492172,  0.574023,  0.605096,  0.839744],
                   [ 0.      ,  0.946621,  0.036488,  0.533442,  0.329278,  0.909692],
                   [ 1.      ,  0.94549 ,  0.191186,  0.320092,  0.502694,  0.574317],
                   [ 0.      ,  0.751877,  0.697798,  0.373745,  1.      ,  0.47183 ],
                   [ 1.      ,  0.749501,  0.350834,  0.060949,  0.603009,  0.361252],
                   [ 0.      ,  0.578822,  0.297893,  0.504603,  0.430259,  0.787702],
                   [ 0.      ,  0.574064,  0.215174,  0.585223,  0.42111 ,  1.      ],
                   [ 0.      ,  0.50854 ,  0.15507 ,  0.328454,  0.476228,  0.490354],
                   [ 0.      ,  0.13877 ,  0.287487,  0.052904,  0.468784,  0.303995],
                   [ 1.      ,  0.045797,  0.641708,  0.010942,  0.91823 ,  0.187422]]]),
    ],
    ('MultiBoxDetection', 1): [
        np.array([[[ 1.      ,  0.940937,  0.650319,  0.012824,  0.915204,  0.176643],
                   [ 1.      ,  0.940069,  0.006845,  0.525219,  0.370655,  0.994316],
                   [ 0.      ,  0.936189,  0.682384,  0.372354,  1.116649,  0.469905],
                   [-1.      ,  0.807605,  0.344983,  0.061022,  0.652955,  0.395506],
                   [-1.      ,  0.926089,  0.467177,  0.570042,  0.59941 ,  0.806004],
                   [-1.      ,  0.886684,  0.26402 ,  0.076983,  0.455357,  0.298398],
                   [-1.      ,  0.690703,  0.208698,  0.623581,  0.403572,  1.040048],
                   [-1.      ,  0.940937,  0.650319,  0.012824,  0.915204,  0.176643],
                   [-1.      , -1.      , -1.      , -1.      , -1.      , -1.      ],
                   [-1.      , -1.      , -1.      , -1.      , -1.      , -1.      ]],
                 
                  [[ 1.      ,  0.968769,  0.492172,  0.574023,  0.605096,  0.839744],
                   [ 0.      ,  0.946621,  0.036488,  0.533442,  0.329278,  0.909692],
                   [ 1.      ,  0.94549 ,  0.191186,  0.320092,  0.502694,  0.574317],
                   [-1.      ,  0.749501,  0.350834,  0.060949,  0.603009,  0.361252],
                   [-1.      ,  0.94549 ,  0.191186,  0.320092,  0.502694,  0.574317],
                   [-1.      ,  0.968769,  0.492172,  0.574023,  0.605096,  0.839744],
                   [-1.      ,  0.574064,  0.215174,  0.585223,  0.42111 ,  1.015705],
                   [-1.      ,  0.50854 ,  0.15507 ,  0.328454,  0.476228,  0.490354],
                   [-1.      , -1.      , -1.      , -1.      , -1.      , -1.      ],
                   [-1.      , -1.      , -1.      , -1.      , -1.      , -1.      ]]]),
    ],
    ('MultiBoxDetection', 2): [
        np.array([[[ 1.      ,  0.940937,  0.648435,  0.01196 ,  0.899873,  0.177507],
                   [ 1.      ,  0.940069,  0.      ,  0.514803,  0.407006,  1.      ],
                   [ 0.      ,  0.936189,  0.679661,  0.373723,  1.      ,  0.468536],
                   [ 1.      ,  0.926089,  0.458892,  0.572546,  0.59142 ,  0.8035  ],
                   [ 0.      ,  0.886684,  0.261236,  0.081568,  0.445247,  0.293813],
                   [-1.      ,  0.807605,  0.334627,  0.064809,  0.700315,  0.391718],
                   [ 0.      ,  0.690703,  0.215689,  0.615285,  0.409091,  1.      ],
                   [-1.      ,  0.64752 ,  0.313307,  0.492288,  0.432863,  0.777245],
                   [ 0.      ,  0.237434,  0.128822,  0.315851,  0.562309,  0.499081],
                   [-1.      ,  0.046646,  0.141419,  0.34297 ,  0.533708,  0.601075]],
                 
                  [[ 1.      ,  0.968769,  0.507513,  0.568886,  0.604162,  0.844882],
                   [ 0.      ,  0.946621,  0.019549,  0.545603,  0.314931,  0.897531],
                   [ 1.      ,  0.94549 ,  0.194407,  0.315583,  0.499934,  0.578826],
                   [ 0.      ,  0.751877,  0.708175,  0.374992,  1.      ,  0.470584],
                   [ 1.      ,  0.749501,  0.350784,  0.07205 ,  0.595969,  0.350151],
                   [ 0.      ,  0.578822,  0.288565,  0.501048,  0.411846,  0.791257],
                   [-1.      ,  0.574064,  0.228412,  0.572913,  0.444395,  1.      ],
                   [ 0.      ,  0.50854 ,  0.158928,  0.331676,  0.44747 ,  0.487132],
                   [ 0.      ,  0.13877 ,  0.307531,  0.050293,  0.472739,  0.306606],
                   [ 1.      ,  0.045797,  0.63156 ,  0.00663 ,  0.905578,  0.191733]]]),
    ],
    ('bipartite_matching', 0): [
        np.array([[ 0.,  1., -1.,  3.,  2.],
                  [ 1.,  0., -1.,  3.,  2.]]),
        np.array([[0., 1., 4., 3.],
                  [1., 0., 4., 3.]]),
    ],
    ('bipartite_matching', 1): [
        np.array([[ 2., -1.,  0.,  1.,  3.],
                  [-1.,  1.,  2.,  0.,  3.]]),
        np.array([[2., 3., 0., 4.],
                  [3., 1., 2., 4.]]),
    ],
    ('bipartite_matching', 2): [
        np.array([[ 0.,  1., -1., -1., -1.],
                  [ 1.,  0., -1., -1., -1.]]),
        np.array([[ 0.,  1., -1., -1.],
                  [ 1.,  0., -1., -1.]]),
    ],
    ('box_encode', 0): [
        np.array([[[ 0.      ,  0.      ,  0.      ,  0.      ],
                   [ 0.      ,  0.      ,  0.      ,  0.      ],
                   [-0.304973, -0.856259, -0.686711,  0.108704],
                   [ 0.      ,  0.      ,  0.      ,  0.      ],
                   [ 0.      ,  0.      ,  0.      ,  0.      ],
                   [ 1.972015,  4.202338, -0.060721,  0.822996]],
                 
                  [[ 0.      ,  0.      ,  0.      ,  0.      ],
                   [ 0.      ,  0.      ,  0.      ,  0.      ],
                   [-0.766236, -1.47612 , -0.209083, -0.853404],
                   [-0.15224 ,  0.338578,  0.607926, -0.294455],
                   [-0.012947, -0.358265,  0.977665, -0.773537],
                   [ 0.      ,  0.      ,  0.      ,  0.      ]]]),
        np.array([[[0., 0., 0., 0.],
                   [0., 0., 0., 0.],
                   [1., 1., 1., 1.],
                   [0., 0., 0., 0.],
                   [0., 0., 0., 0.],
                   [1., 1., 1., 1.]],
                 
                  [[0., 0., 0., 0.],
                   [0., 0., 0., 0.],
                   [1., 1., 1., 1.],
                   [1., 1., 1., 1.],
                   [1., 1., 1., 1.],
                   [0., 0., 0., 0.]]]),
    ],
    ('box_decode', 0): [
        np.array([[[ 0.607501,  0.294862,  0.892593,  1.326075],
                   [-0.134337,  0.39757 ,  0.599716,  0.656624],
                   [ 0.542399, -0.026985,  0.683031,  0.715879],
                   [ 0.423594,  0.504566,  1.358425,  0.883136],
                   [-0.052057,  0.351503,  0.742413,  0.507717]],
                 
                  [[ 0.628915, -0.088608,  0.86001 ,  2.231269],
                   [ 0.205864, -0.02456 ,  0.805554,  0.173831],
                   [ 0.549449, -0.758973,  0.682082,  0.624734],
                   [-0.434973,  0.724634, -0.058994,  1.286882],
                   [-1.101353,  0.511707,  0.573575,  0.795936]]]),
    ],
    ('box_decode', 1): [
        np.array([[[ 0.49391 ,  1.055706,  0.260222,  0.80724 ],
                   [ 0.514025,  0.566359,  0.726003,  0.583041],
                   [ 0.484025,  0.199742,  0.190292,  0.796106],
                   [ 0.642946,  0.791432,  1.058653,  0.788335],
                   [ 0.156751,  0.379084,  0.71889 ,  0.363063]],
                 
                  [[ 0.48724 ,  1.05749 ,  0.267819,  0.784949],
                   [ 0.528144,  0.555796,  0.727647,  0.56558 ],
                   [ 0.480955, -0.157695,  0.192337,  1.009546],
                   [ 0.64616 ,  0.792244,  0.962472,  0.785412],
                   [ 0.038828,  0.387727,  0.741932,  0.334688]]]),
    ],
}


# ----------------------------------------------------------------------------- references
def _iou(a, b):
    iw = min(a[2], b[2]) - max(a[0], b[0])
    ih = min(a[3], b[3]) - max(a[1], b[1])
    if iw <= 0 or ih <= 0:
        return 0.0
    inter = iw * ih
    return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter)


def _cwh(box):
    w, h = box[2] - box[0], box[3] - box[1]
    return box[0] + w / 2, box[1] + h / 2, w, h


def prior_ref(a, p):
    h, w = a[0].shape[2:]
    sizes, ratios = p.get('sizes', (1,)), p.get('ratios', (1,))
    steps, offsets = p.get('steps', (-1, -1)), p.get('offsets', (0.5, 0.5))
    sy = steps[0] if steps[0] > 0 else 1 / h
    sx = steps[1] if steps[1] > 0 else 1 / w
    shapes = [(s, ratios[0]) for s in sizes] + [(sizes[0], r) for r in ratios[1:]]
    out = []
    for r in range(h):
        for c in range(w):
            cy, cx = (r + offsets[0]) * sy, (c + offsets[1]) * sx
            for s, ratio in shapes:
                bw = s * h / w * math.sqrt(ratio) / 2
                bh = s / math.sqrt(ratio) / 2
                box = [cx - bw, cy - bh, cx + bw, cy + bh]
                if p.get('clip', False):
                    box = [min(max(v, 0), 1) for v in box]
                out.append(box)
    return [np.array([out])]


def target_ref(a, p):
    anchor, label, pred = a
    thr = p.get('overlap_threshold', 0.5)
    ignore = p.get('ignore_label', -1)
    ratio = p.get('negative_mining_ratio', -1)
    v = p.get('variances', (0.1, 0.1, 0.2, 0.2))
    anchors = anchor[0]
    num = len(anchors)
    loc, mask = np.zeros((len(label), num * 4)), np.zeros((len(label), num * 4))
    cls = np.full((len(label), num), float(ignore))
    for b, lab in enumerate(label):
        gts = []
        for row in lab:
            if row[0] == -1:
                break
            gts.append(row)
        if not gts:
            continue
        iou = [[_iou(an, g[1:5]) for g in gts] for an in anchors]
        match, used = [-1] * num, set()
        while True:       # each box takes its best free anchor, best pair first
            best, pick = 1e-6, None
            for i in range(num):
                for j in range(len(gts)):
                    if match[i] < 0 and j not in used and iou[i][j] > best:
                        best, pick = iou[i][j], (i, j)
            if pick is None:
                break
            match[pick[0]] = pick[1]
            used.add(pick[1])
        best_iou = [max(row) for row in iou]
        if thr > 0:
            for i in range(num):
                if match[i] < 0 and best_iou[i] > thr:
                    match[i] = int(np.argmax(iou[i]))
        npos = sum(m >= 0 for m in match)
        if ratio > 0:
            want = min(max(int(npos * ratio), p.get('minimum_negative_samples', 0)),
                       num - npos)
            cand = [i for i in range(num) if match[i] < 0
                    and best_iou[i] < p.get('negative_mining_thresh', 0.5)]
            bg = {}
            for i in cand:
                e = np.exp(pred[b, :, i] - pred[b, :, i].max())
                bg[i] = e[0] / e.sum()
            negatives = sorted(cand, key=lambda i: bg[i])[:max(want, 0)]
        else:
            negatives = [i for i in range(num) if match[i] < 0]
        for i in negatives:
            cls[b, i] = 0
        for i in range(num):
            if match[i] < 0:
                continue
            g = gts[match[i]]
            cls[b, i] = g[0] + 1
            ax, ay, aw, ah = _cwh(anchors[i])
            gx, gy, gw, gh = _cwh(g[1:5])
            loc[b, 4 * i:4 * i + 4] = [(gx - ax) / aw / v[0], (gy - ay) / ah / v[1],
                                       math.log(gw / aw) / v[2], math.log(gh / ah) / v[3]]
            mask[b, 4 * i:4 * i + 4] = 1
    return [loc, mask, cls]


def detection_ref(a, p):
    prob, loc, anchor = a
    v = p.get('variances', (0.1, 0.1, 0.2, 0.2))
    topk = p.get('nms_topk', -1)
    bsz, ncls, num = prob.shape
    out = np.full((bsz, num, 6), -1.0)
    for b in range(bsz):
        cands = []
        for i in range(num):
            cid, score = 0, -1.0
            for j in range(1, ncls):
                if prob[b, j, i] > score:
                    cid, score = j, prob[b, j, i]
            if score < p.get('threshold', 0.01):
                continue
            ax, ay, aw, ah = _cwh(anchor[0, i])
            d = loc[b, 4 * i:4 * i + 4]
            cx, cy = d[0] * v[0] * aw + ax, d[1] * v[1] * ah + ay
            hw, hh = math.exp(d[2] * v[2]) * aw / 2, math.exp(d[3] * v[3]) * ah / 2
            box = [cx - hw, cy - hh, cx + hw, cy + hh]
            if p.get('clip', True):
                box = [min(max(x, 0), 1) for x in box]
            cands.append([cid - 1, score] + box)
        order = sorted(range(len(cands)), key=lambda k: -cands[k][1])
        keep = len(cands) if not 0 < topk < len(cands) else topk
        rows = [list(cands[k]) for k in order[:keep]]
        for i in range(len(rows)):
            for j in range(i + 1, len(rows)):
                if rows[i][0] < 0 or rows[j][0] < 0:
                    continue
                same = p.get('force_suppress', False) or rows[i][0] == rows[j][0]
                if same and _iou(rows[i][2:], rows[j][2:]) >= p.get('nms_threshold', 0.5):
                    rows[j][0] = -1
        # MXNet's rows past nms_topk: the other candidates in anchor order, id -1
        rows += [[-1] + cands[k][1:] for k in range(keep, len(cands))]
        if rows:
            out[b, :len(rows)] = rows
    return [out]


def bipartite_ref(a, p):
    x = a[0]
    n, m = x.shape[-2:]
    flat = x.reshape(-1, n, m)
    rows_out, cols_out = np.full((len(flat), n), -1.0), np.full((len(flat), m), -1.0)
    for b, s in enumerate(flat):
        pairs = sorted(((s[i, j], i, j) for i in range(n) for j in range(m)),
                       key=lambda t: t[0] if p.get('is_ascend') else -t[0])
        count = 0
        for score, i, j in pairs:
            topk = p.get('topk', -1)
            if topk > 0 and count > topk:     # MXNet counts before adding: topk + 1 pairs
                break
            ok = score < p['threshold'] if p.get('is_ascend') else score > p['threshold']
            if ok and rows_out[b, i] < 0 and cols_out[b, j] < 0:
                rows_out[b, i], cols_out[b, j] = j, i
                count += 1
    return [rows_out.reshape(x.shape[:-1]), cols_out.reshape(x.shape[:-2] + (m,))]


def encode_ref(a, p):
    samples, matches, anchors, refs, means, stds = a
    out, mask = np.zeros(anchors.shape), np.zeros(anchors.shape)
    for b, i in np.ndindex(samples.shape):
        if samples[b, i] > 0.5:
            ax, ay, aw, ah = _cwh(anchors[b, i])
            gx, gy, gw, gh = _cwh(refs[b, int(matches[b, i])])
            t = [(gx - ax) / aw, (gy - ay) / ah, math.log(gw / aw), math.log(gh / ah)]
            out[b, i] = [(t[k] - means[k]) / stds[k] for k in range(4)]
            mask[b, i] = 1
    return [out, mask]


def decode_ref(a, p):
    data, anchors = a
    std = [p.get('std%d' % k, 1.0) for k in range(4)]
    clip = p.get('clip', -1.0)
    out = np.zeros(data.shape)
    for b, i in np.ndindex(data.shape[:2]):
        an = anchors[0, i]
        ax, ay, aw, ah = _cwh(an) if p.get('format', 'center') == 'corner' else an
        d = [data[b, i, k] * std[k] for k in range(4)]
        if clip > 0:
            d[2], d[3] = min(d[2], clip), min(d[3], clip)
        cx, cy = d[0] * aw + ax, d[1] * ah + ay
        hw, hh = math.exp(d[2]) * aw / 2, math.exp(d[3]) * ah / 2
        out[b, i] = [cx - hw, cy - hh, cx + hw, cy + hh]
    return [out]


REFS = {'MultiBoxPrior': prior_ref, 'MultiBoxTarget': target_ref,
        'MultiBoxDetection': detection_ref, 'bipartite_matching': bipartite_ref,
        'box_encode': encode_ref, 'box_decode': decode_ref}

# ----------------------------------------------------------------------------- table
Case = namedtuple('Case', 'id op params seed')
CASES = [Case('%s-%d' % (op, i), op, params, 7)
         for op, plist in PINNED_PARAMS.items() for i, params in enumerate(plist)]
CASES += [
    Case('MultiBoxPrior-plain', 'MultiBoxPrior', {}, 0),
    Case('MultiBoxTarget-no-threshold', 'MultiBoxTarget', dict(overlap_threshold=0), 1),
    Case('MultiBoxTarget-minimum-negatives', 'MultiBoxTarget',
         dict(negative_mining_ratio=1, minimum_negative_samples=4), 2),
    Case('MultiBoxDetection-topk', 'MultiBoxDetection', dict(nms_topk=5, threshold=0.2), 3),
    Case('bipartite_matching-4d', 'bipartite_matching', dict(threshold=0.5, topk=2), 4),
    Case('box_decode-clip', 'box_decode', dict(clip=0.1, std2=2.0), 5),
]
IDS = [c.id for c in CASES]
DTYPES = [np.float32, np.float64]
TOL = {np.float32: (1e-4, 1e-5), np.float64: (1e-10, 1e-12)}


def build(case):
    fn = getattr(mx.sym.contrib, case.op)
    op = mx.ops.registry.get('_contrib_' + case.op)
    names = op.list_arguments(op.parse_params(case.params))
    with mx.name.NameManager():
        return fn(*[mx.sym.var(n) for n in names], name='op', **case.params)


def inputs_of(case, dtype):
    arrays = make_inputs(case.op, case.seed)
    if case.id == 'bipartite_matching-4d':
        arrays = [np.random.RandomState(4).rand(2, 2, 4, 3)]
    return [np.asarray(x, dtype) for x in arrays]


def run(case, arrays):
    outs = getattr(mx.nd.contrib, case.op)(*[mx.nd.array(x, dtype=x.dtype) for x in arrays],
                                           **case.params)
    return [o.asnumpy() for o in (outs if isinstance(outs, (list, tuple)) else [outs])]


# ----------------------------------------------------------------------------- harness
@pytest.mark.parametrize('dtype', DTYPES, ids=['float32', 'float64'])
@pytest.mark.parametrize('case', CASES, ids=IDS)
def test_forward_matches_loop_reference(case, dtype):
    arrays = inputs_of(case, dtype)
    got = run(case, arrays)
    want = REFS[case.op]([a.astype(np.float64) for a in arrays], case.params)
    rtol, atol = TOL[dtype]
    assert len(got) == len(want)
    for g, w in zip(got, want):
        assert g.dtype == dtype and g.shape == w.shape
        np.testing.assert_allclose(g, w, rtol=rtol, atol=atol)


@pytest.mark.parametrize('key', sorted(PINNED), ids=['%s-%d' % k for k in sorted(PINNED)])
def test_forward_matches_values_recorded_from_mxnet(key):
    op, i = key
    got = run(Case('', op, PINNED_PARAMS[op][i], 7), inputs_of(Case('', op, {}, 7),
                                                                 np.float32))
    assert len(got) == len(PINNED[key])
    for g, w in zip(got, PINNED[key]):
        np.testing.assert_allclose(g, w, rtol=1e-5, atol=2e-6)


@pytest.mark.parametrize('case', CASES, ids=IDS)
def test_gradient_is_zero_as_in_mxnet(case):
    arrays = [mx.nd.array(x) for x in inputs_of(case, np.float64)]
    for a in arrays:
        a.attach_grad()
    with mx.autograd.record():
        outs = getattr(mx.nd.contrib, case.op)(*arrays, **case.params)
        outs = outs if isinstance(outs, (list, tuple)) else [outs]
        loss = mx.nd.add_n(*[o.sum() for o in outs])
    loss.backward()
    for a in arrays:
        assert not a.grad.asnumpy().any()


@pytest.mark.parametrize('case', CASES, ids=IDS)
def test_infer_shape_full_and_partial(case):
    sym = build(case)
    arrays = inputs_of(case, np.float64)
    shapes = dict(zip(sym.list_arguments(), [a.shape for a in arrays]))
    arg_shapes, out_shapes, aux_shapes = sym.infer_shape(**shapes)
    assert arg_shapes == [a.shape for a in arrays]
    assert out_shapes == [o.shape for o in run(case, arrays)]
    assert aux_shapes == []
    partial = sym.infer_shape_partial()[1]
    assert all(s in (None, ()) for s in partial)


@pytest.mark.parametrize('case', CASES, ids=IDS)
def test_json_round_trip(case):
    assert_json_round_trip(build(case))


@pytest.mark.parametrize('case', CASES, ids=IDS)
def test_imperative_call_equals_bound_symbol(case):
    arrays = inputs_of(case, np.float32)
    sym = build(case)
    ex = sym.bind(mx.cpu(), args={n: mx.nd.array(a) for n, a in
                                  zip(sym.list_arguments(), arrays)})
    for got, want in zip(ex.forward(), run(case, arrays)):
        np.testing.assert_array_equal(got.asnumpy(), want)


# ----------------------------------------------------------------------------- names
def test_names_and_outputs_match_mxnet():
    sym = mx.sym.contrib
    v = mx.sym.var
    assert sym.MultiBoxPrior(v('d'), name='x').list_outputs() == ['x_output']
    target = sym.MultiBoxTarget(name='x')
    assert target.list_arguments() == ['x_anchor', 'x_label', 'x_cls_pred']
    assert target.list_outputs() == ['x_loc_target', 'x_loc_mask', 'x_cls_target']
    assert sym.MultiBoxDetection(name='x').list_arguments() == [
        'x_cls_prob', 'x_loc_pred', 'x_anchor']
    enc = sym.box_encode(name='x')
    assert enc.list_arguments() == ['x_samples', 'x_matches', 'x_anchors', 'x_refs',
                                    'x_means', 'x_stds']
    assert enc.list_outputs() == ['x_output0', 'x_output1']
    assert sym.box_decode(name='x').list_arguments() == ['x_data', 'x_anchors']
    bip = sym.bipartite_matching(name='x', threshold=0.1)
    assert bip.list_outputs() == ['x_output0', 'x_output1']
    # MXNet writes only the parameters the user gave into the JSON
    prior = sym.MultiBoxPrior(v('d'), sizes=(0.5, 0.25), ratios=[1, 2])
    attrs = [n for n in mx.sym.load_json(prior.tojson()).tojson().split('\n')
             if 'sizes' in n or 'ratios' in n]
    assert any('"(0.5, 0.25)"' in a for a in attrs) and any('"[1, 2]"' in a for a in attrs)


def test_minimum_negative_samples_is_applied_as_documented():
    anchor = np.array([[[0, 0, .1, .1], [.2, .2, .3, .3], [.4, .4, .5, .5], [.6, .6, .7, .7]]])
    label = np.array([[[1, 0, 0, .1, .1]]])
    pred = np.zeros((1, 2, 4))
    pred[0, 1] = [0, 3, 1, 2]          # hardest negatives: anchor 1, then 3
    cls = mx.nd.contrib.MultiBoxTarget(mx.nd.array(anchor), mx.nd.array(label),
                                       mx.nd.array(pred), negative_mining_ratio=1,
                                       minimum_negative_samples=2)[2].asnumpy()
    np.testing.assert_array_equal(cls, [[2, 0, -1, 0]])


def test_detection_without_foreground_classes_gives_minus_one():
    prob = mx.nd.ones((1, 1, 3))
    out = mx.nd.contrib.MultiBoxDetection(prob, mx.nd.zeros((1, 12)),
                                          mx.nd.array(make_inputs('MultiBoxTarget', 0)[0][:, :3]))
    np.testing.assert_array_equal(out.asnumpy(), -np.ones((1, 3, 6)))


def test_ssd_head_graph_binds_and_runs():
    data = mx.sym.var('data')
    feat = mx.sym.Convolution(data, num_filter=4, kernel=(1, 1), name='feat')
    anchors = mx.sym.contrib.MultiBoxPrior(feat, sizes=(0.3,), ratios=(1, 2))
    cls = mx.sym.Convolution(feat, num_filter=2 * 2, kernel=(1, 1), name='cls')
    cls = mx.sym.reshape(mx.sym.transpose(cls, axes=(0, 2, 3, 1)), shape=(0, -1, 2))
    cls_prob = mx.sym.softmax(mx.sym.transpose(cls, axes=(0, 2, 1)), axis=1)
    loc = mx.sym.Flatten(mx.sym.transpose(
        mx.sym.Convolution(feat, num_filter=2 * 4, kernel=(1, 1), name='loc'),
        axes=(0, 2, 3, 1)))
    det = mx.sym.contrib.MultiBoxDetection(cls_prob, loc, anchors)
    ex = det.simple_bind(mx.cpu(), data=(2, 3, 4, 4), grad_req='null')
    for arr in ex.arg_arrays:
        arr[:] = np.random.RandomState(0).rand(*arr.shape) * 0.1
    out = ex.forward()[0].asnumpy()
    assert out.shape == (2, 32, 6)
    assert set(np.unique(out[:, :, 0])) <= {-1.0, 0.0}


# ----------------------------------------------------------------------------- errors
ERRORS = [
    ('MultiBoxPrior', dict(sizes=(0.5, -1)), [(1, 2, 3, 3)], r'sizes must be positive'),
    ('MultiBoxPrior', dict(steps=(0.1,)), [(1, 2, 3, 3)], r'steps must hold 2 floats'),
    ('MultiBoxPrior', {}, [(2, 3, 3)], r"'data' has shape \(2, 3, 3\); MultiBoxPrior needs"),
    ('MultiBoxTarget', {}, [(1, 4, 5), (2, 3, 5), (2, 3, 4)],
     r"'anchor' has shape \(1, 4, 5\); expected \(1, num_anchors, 4\)"),
    ('MultiBoxTarget', {}, [(1, 4, 4), (2, 3, 4), (2, 3, 4)],
     r"'label' has shape \(2, 3, 4\); expected \(batch, num_labels, >=5\)"),
    ('MultiBoxTarget', {}, [(1, 4, 4), (2, 3, 5), (2, 3, 5)],
     r"'cls_pred' has shape \(2, 3, 5\).*num_anchors 4"),
    ('MultiBoxTarget', dict(variances=(0.1, 0.2)), [(1, 4, 4), (2, 3, 5), (2, 3, 4)],
     r'variances must hold 4 floats'),
    ('MultiBoxDetection', {}, [(2, 3, 4), (2, 15), (1, 4, 4)],
     r"'loc_pred' has shape \(2, 15\); expected \(2, 16\)"),
    ('MultiBoxDetection', {}, [(2, 3, 5), (2, 16), (1, 4, 4)],
     r"'cls_prob' has shape \(2, 3, 5\).*num_anchors 4"),
    ('MultiBoxDetection', dict(nms_topk='x'), [(2, 3, 4), (2, 16), (1, 4, 4)],
     r"invalid value 'x' for parameter 'nms_topk'"),
    ('box_encode', {}, [(2, 6), (2, 6), (2, 6, 4), (2, 3, 4), (3,), (4,)],
     r"'means' has shape \(3,\); expected \(4,\)"),
    ('box_encode', {}, [(2, 5), (2, 6), (2, 6, 4), (2, 3, 4), (4,), (4,)],
     r"'samples' has shape \(2, 5\) but 'anchors' has shape \(2, 6, 4\)"),
    ('box_decode', {}, [(2, 5, 4), (1, 6, 4)], r'expected the same number of boxes'),
    ('box_decode', dict(format='xywh'), [(2, 5, 4), (1, 5, 4)], r"'xywh' is not one of"),
    ('bipartite_matching', {}, [(3, 4)], r"required parameter 'threshold'"),
    ('bipartite_matching', dict(threshold=0.1), [(4,)],
     r"'data' has shape \(4,\); bipartite_matching needs at least 2-D"),
]


@pytest.mark.parametrize('op, params, shapes, pattern', ERRORS,
                         ids=['%s-%d' % (e[0], i) for i, e in enumerate(ERRORS)])
def test_errors_name_the_problem(op, params, shapes, pattern):
    with pytest.raises(MXNetError, match=pattern):
        getattr(mx.nd.contrib, op)(*[mx.nd.zeros(s) for s in shapes], **params)


def test_docstring_examples_run():
    from mxlite.ops import multibox
    assert doctest.testmod(multibox, extraglobs={'mx': mx}).failed == 0


def test_large_candidate_sets_suppress_like_the_greedy_definition():
    # over 2048 candidates of one group take the survivor-by-survivor path
    rng = np.random.RandomState(0)
    num = 2300
    anchor = _boxes(rng, 1, num)
    prob = np.stack([np.zeros(num), rng.rand(num) * 0.9 + 0.05])[None]
    out = mx.nd.contrib.MultiBoxDetection(mx.nd.array(prob, dtype='float64'),
                                          mx.nd.zeros((1, num * 4), dtype='float64'),
                                          mx.nd.array(anchor, dtype='float64'),
                                          nms_threshold=0.3, clip=False).asnumpy()[0]
    order = np.argsort(-prob[0, 1], kind='stable')
    boxes = anchor[0, order]
    lo = np.maximum(boxes[:, None, :2], boxes[None, :, :2])
    hi = np.minimum(boxes[:, None, 2:], boxes[None, :, 2:])
    inter = np.prod(np.clip(hi - lo, 0, None), axis=-1)
    area = np.prod(boxes[:, 2:] - boxes[:, :2], axis=-1)
    over = inter / (area[:, None] + area[None, :] - inter) >= 0.3
    alive = np.ones(num, bool)
    for i in range(num):
        if alive[i]:
            alive[i + 1:] &= ~over[i, i + 1:]
    np.testing.assert_array_equal(out[:, 0] == 0, alive)
    np.testing.assert_allclose(out[:, 2:], boxes, rtol=1e-12, atol=1e-12)
