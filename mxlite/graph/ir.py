"""The graph IR: plain nodes with op, name, attrs and inputs, and an indexed view of a graph.

A value in the graph is an *entry* ``(node, output_index)``. `Graph` numbers the nodes in
topological order (depth-first, inputs in order — the order MXNet writes in JSON) and the
entries with ``node_row_ptr`` as MXNet does, so passes can keep per-entry lists.
"""
import os
import sys

_PKG_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def caller_line():
    """'file:line' of the first frame outside mxlite (where the user built a node)."""
    frame = sys._getframe(1)
    while frame is not None:
        filename = frame.f_code.co_filename
        if not filename.startswith(_PKG_DIR):
            return '%s:%d' % (filename, frame.f_lineno)
        frame = frame.f_back
    return None


class Node:
    """One operator application, or a variable (op is None)."""
    __slots__ = ('op', 'name', 'attrs', 'inputs', '_params', 'user_line', 'subgraphs')

    def __init__(self, op, name, attrs=None, inputs=(), user_line=None, subgraphs=None):
        self.op = op
        self.name = name
        self.attrs = dict(attrs) if attrs else {}
        self.inputs = list(inputs)
        self._params = None
        self.user_line = user_line
        # control-flow ops (_foreach, _while_loop, _cond) carry their bodies as Symbols
        self.subgraphs = list(subgraphs) if subgraphs else None

    @property
    def is_variable(self):
        return self.op is None

    @property
    def params(self):
        """Parsed operator parameters (cached; attrs must not change after first use)."""
        if self._params is None:
            op_attrs = {k: v for k, v in self.attrs.items() if not k.startswith('__')}
            p = self.op.parse_params(op_attrs, self.name)
            if self.subgraphs:   # the kernels read their bodies as p.subgraphs
                p = type(p)(dict(p.as_dict(), subgraphs=tuple(self.subgraphs)))
            self._params = p
        return self._params

    def num_outputs(self):
        return 1 if self.op is None else self.op.num_outputs(self.params)

    def num_visible_outputs(self):
        return 1 if self.op is None else self.op.num_visible_outputs(self.params)

    def output_names(self):
        if self.op is None:
            return [self.name]
        return ['%s_%s' % (self.name, n) for n in self.op.list_outputs(self.params)]

    def input_names(self):
        """Names of this op's inputs: arguments then aux states."""
        p = self.params
        return list(self.op.list_arguments(p)) + list(self.op.list_auxiliary_states(p))

    def aux_input_indices(self):
        p = self.params
        nargs = len(self.op.list_arguments(p))
        return range(nargs, nargs + len(self.op.list_auxiliary_states(p)))

    def where(self):
        """"Op 'name'" plus the user's line, for error messages."""
        text = "%s '%s'" % (self.op.name if self.op else 'Variable', self.name)
        if self.user_line:
            text += ' (created at %s)' % self.user_line
        return text

    def __repr__(self):
        return '<Node %s %s>' % (self.op.name if self.op else 'null', self.name)


def topo_order(heads):
    """Nodes reachable from head entries, depth-first post-order, inputs left to right."""
    order = []
    seen = set()
    for head, _ in heads:
        if id(head) in seen:
            continue
        stack = [(head, 0)]
        seen.add(id(head))
        while stack:
            node, i = stack[-1]
            if i < len(node.inputs):
                stack[-1] = (node, i + 1)
                child = node.inputs[i][0]
                if id(child) not in seen:
                    seen.add(id(child))
                    stack.append((child, 0))
            else:
                stack.pop()
                order.append(node)
    return order


class Graph:
    """An indexed, read-only view of the nodes reachable from `heads`.

    nodes:        topological order
    index:        id(node) -> position
    row_ptr:      entry id of (node i, output k) is row_ptr[i] + k
    heads:        entry ids of the outputs
    arg_nodes:    positions of variables that are arguments (not aux states)
    aux_nodes:    positions of variables used as aux states
    """

    def __init__(self, heads):
        self.head_entries = list(heads)
        self.nodes = topo_order(self.head_entries)
        self.index = {id(n): i for i, n in enumerate(self.nodes)}
        self.row_ptr = [0]
        for n in self.nodes:
            self.row_ptr.append(self.row_ptr[-1] + n.num_outputs())
        self.num_entries = self.row_ptr[-1]
        self.heads = [self.entry(n, k) for n, k in self.head_entries]
        aux_vars = set()
        for n in self.nodes:
            if n.op is not None:
                for i in n.aux_input_indices():
                    aux_vars.add(id(n.inputs[i][0]))
        self.arg_nodes = [i for i, n in enumerate(self.nodes)
                          if n.op is None and id(n) not in aux_vars]
        self.aux_nodes = [i for i, n in enumerate(self.nodes)
                          if n.op is None and id(n) in aux_vars]

    def entry(self, node, k=0):
        return self.row_ptr[self.index[id(node)]] + k

    def input_entries(self, i):
        return [self.entry(n, k) for n, k in self.nodes[i].inputs]

    def output_entries(self, i):
        return list(range(self.row_ptr[i], self.row_ptr[i + 1]))

    def arg_names(self):
        return [self.nodes[i].name for i in self.arg_nodes]

    def aux_names(self):
        return [self.nodes[i].name for i in self.aux_nodes]

    def consumers(self):
        """entry id -> list of (node position, input slot) that read it."""
        users = [[] for _ in range(self.num_entries)]
        for i, n in enumerate(self.nodes):
            for slot, (src, k) in enumerate(n.inputs):
                users[self.entry(src, k)].append((i, slot))
        return users


def describe_users(graph, var_name):
    """"used by FullyConnected 'fc' (created at x.py:3)" for error messages, or ''."""
    users = []
    for node in graph.nodes:
        if node.op is None:
            continue
        names = node.input_names()
        for slot, (src, _) in enumerate(node.inputs):
            if src.op is None and src.name == var_name:
                label = names[slot] if slot < len(names) else 'input %d' % slot
                users.append("input '%s' of %s" % (label, node.where()))
    return ' (the %s)' % '; '.join(users) if users else ''
