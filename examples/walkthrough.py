"""The classic MXNet symbol walkthrough: build, bind, forward, backward."""
import mxlite as mx

A = mx.sym.Variable('A'); B = mx.sym.Variable('B'); C = A * B
D = mx.sym.Variable('D'); E = C + D
a = mx.nd.array([1]); b = mx.nd.array([4]); d = mx.nd.array([1])
grad_a = mx.nd.empty(1)
ex = E.bind(ctx=mx.cpu(), args={'A': a, 'B': b, 'D': d}, args_grad={'A': grad_a})
ex.forward(is_train=True)
print(ex.outputs[0].asnumpy())        # [5.]
ex.backward(out_grads=mx.nd.ones(1))
print(ex.grad_dict['A'].asnumpy())    # [4.]
