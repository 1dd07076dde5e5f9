"""Regenerate the graph pictures of the documentation (run from the repository root).

    python3 docs/images/make_images.py

Each picture is the SVG that `mx.viz.plot_network_html` draws (no graphviz needed), cut
out of its HTML page. tests/test_docs.py checks that the committed files are current.
"""
import pathlib
import re
import sys

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent))

import mxlite as mx  # noqa: E402


def abd():
    """E = A * B + D, the classic first graph."""
    a, b, d = mx.sym.Variable('A'), mx.sym.Variable('B'), mx.sym.Variable('D')
    return a * b + d, {'A': (2, 3), 'B': (2, 3), 'D': (2, 3)}


def mlp():
    """The two-layer perceptron of the walkthrough, with its loss head."""
    net = mx.sym.FullyConnected(mx.sym.var('data'), num_hidden=64, name='fc1')
    net = mx.sym.Activation(net, act_type='relu', name='relu1')
    net = mx.sym.FullyConnected(net, num_hidden=10, name='fc2')
    return mx.sym.SoftmaxOutput(net, name='softmax'), {'data': (32, 784)}


# file name -> (symbol maker, plot options)
PICTURES = {
    'abd.svg': (abd, {}),
    'mlp.svg': (mlp, {}),
    'mlp_weights.svg': (mlp, {'hide_weights': False}),
}


def render(name):
    """The SVG text of picture `name`."""
    make, options = PICTURES[name]
    with mx.name.NameManager():  # auto names (_mul0, _plus0) independent of earlier code
        sym, shape = make()
    page = mx.viz.plot_network_html(sym, title=name[:-4], shape=shape, **options)
    return re.search(r'<svg.*</svg>', page, re.S).group(0) + '\n'


def main():
    for name in PICTURES:
        (HERE / name).write_text(render(name))
        print('wrote', HERE / name)


if __name__ == '__main__':
    main()
