"""The toy examples run in real TensorFlow (tf.compat.v1), for the numbers test_examples.c
compares with: the same programs as examples/toy_classifier.c and examples/custom_loss.c, same
data (numpy RandomState(1)), same batches. Run: python tf_reference.py

Output with TF 2.21 (CPU):
  toy_classifier: w1 before [[-0.8113182 1.4845988 0.06532937] [-2.4427042 0.0992484 0.5912243]]
    cross entropy after 0/1000/2000/3000/4000 steps: 1.89805 0.655075 0.626172 0.615096 0.610309
    w1 after [[0.02476984 0.56948686 1.6921942] [-2.197735 -0.23668918 1.1143897]]
    w2 after [[-0.45544702] [0.4911092] [-0.9811033]]
  custom_loss: loss on all data after 0/1000/.../5000 steps:
    5.97624 1.3289 0.678134 0.433495 0.155118 0.0511094
    w1 = [[1.020029] [1.0490419]]
"""
import numpy as np
import tensorflow.compat.v1 as tf
from numpy.random import RandomState

tf.disable_eager_execution()


def toy_classifier():
    g = tf.Graph()
    with g.as_default():
        w1 = tf.Variable(tf.random_normal([2, 3], stddev=1, seed=1))
        w2 = tf.Variable(tf.random_normal([3, 1], stddev=1, seed=1))
        x = tf.placeholder(tf.float32, shape=(None, 2), name='x-input')
        y_ = tf.placeholder(tf.float32, shape=(None, 1), name='y-input')
        y = tf.sigmoid(tf.matmul(tf.matmul(x, w1), w2))
        cross_entropy = -tf.reduce_mean(y_ * tf.log(tf.clip_by_value(y, 1e-10, 1.0)) +
                                        (1 - y_) * tf.log(tf.clip_by_value(1 - y, 1e-10, 1.0)))
        train_step = tf.train.AdamOptimizer(0.001).minimize(cross_entropy)
        rdm = RandomState(1)
        X = rdm.rand(128, 2)
        Y = [[int(x1 + x2 < 1)] for (x1, x2) in X]
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            print('w1 before training:\n%s' % sess.run(w1))
            print('w2 before training:\n%s' % sess.run(w2))
            for i in range(5000):
                start = (i * 8) % 128
                end = min(start + 8, 128)
                sess.run(train_step, feed_dict={x: X[start:end], y_: Y[start:end]})
                if i % 1000 == 0:
                    print('After %d training step(s), cross entropy on all data is %g' %
                          (i, sess.run(cross_entropy, feed_dict={x: X, y_: Y})))
            print('w1 after training:\n%s' % sess.run(w1))
            print('w2 after training:\n%s' % sess.run(w2))


def custom_loss():
    g = tf.Graph()
    with g.as_default():
        X = tf.placeholder(tf.float32, [None, 2], name='Input-X')
        y_ = tf.placeholder(tf.float32, [None, 1], name='Input-y')
        w1 = tf.Variable(tf.random_normal([2, 1], stddev=1, seed=1))
        y = tf.matmul(X, w1)
        loss = tf.reduce_mean(tf.where(tf.greater(y, y_), (y - y_) * 1, (y_ - y) * 10))
        train_step = tf.train.AdamOptimizer(0.001).minimize(loss)
        rdm = RandomState(1)
        train_X = rdm.rand(128, 2)
        train_y = np.array([[mm + nn + rdm.rand() / 10.0 - 0.05] for mm, nn in train_X])
        perm = RandomState(1)  # custom_loss --seed 1
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            for ii in range(5000):
                if ii % 1000 == 0:
                    print('After %d training step(s), loss on all data is %g' %
                          (ii, sess.run(loss, feed_dict={X: train_X, y_: train_y})))
                batch = perm.permutation(128)[:8]
                sess.run(train_step, feed_dict={X: train_X[batch], y_: train_y[batch]})
            print('After 5000 training step(s), loss on all data is %g' %
                  sess.run(loss, feed_dict={X: train_X, y_: train_y}))
            print('w1 = %s' % sess.run(w1))


if __name__ == '__main__':
    toy_classifier()
    custom_loss()
