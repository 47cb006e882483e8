/* Data sets: MNIST in TF's read_data_sets form (src/data/mnist.c).
 *
 * Reads the four IDX files (train-images-idx3-ubyte, train-labels-idx1-ubyte,
 * t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte, each plain or .gz) from a directory.
 * Fashion-MNIST from Debian's dataset-fashion-mnist is the default directory; real MNIST
 * works the same. Split like TF: the first 5000 training images are the validation set,
 * leaving 55000 for training; 10000 for test. Images are float32 in [0, 1], 784 per row.
 * Ownership: a rill_mnist owns its arrays; free with rill_mnist_delete. Not thread-safe. */
#ifndef RILL_DATA_H
#define RILL_DATA_H

#include "rill/tensor.h"

#ifdef __cplusplus
extern "C" {
#endif

#define RILL_MNIST_DEFAULT_DIR "/usr/share/datasets/fashion-mnist"

typedef struct rill_dataset_split {
  int64_t num_examples;
  float *images;     /* num_examples x 784 */
  uint8_t *labels;   /* num_examples class ids */
  /* next_batch state */
  int64_t *perm;
  int64_t index_in_epoch;
  int64_t epochs_completed;
  uint64_t rng;
} rill_dataset_split;

typedef struct rill_mnist {
  rill_dataset_split train, validation, test;
  bool one_hot;
} rill_mnist;

/* read_data_sets(dir, one_hot). dir NULL = RILL_MNIST_DEFAULT_DIR. Each file is DIR/NAME or,
 * when that is absent, DIR/NAME.gz. validation_size is 5000 in TF. seed drives next_batch's
 * shuffling (0 = a fixed default). Returns NULL with status NOT_FOUND / DATA_LOSS naming the
 * file on a missing or malformed file (bad magic, truncation, corrupt gzip, a label >= 10,
 * image and label counts that differ), INVALID_ARGUMENT when validation_size is not in
 * [0, training images]. Caller owns the result. */
rill_mnist *rill_mnist_read(const char *dir, bool one_hot, int64_t validation_size, uint64_t seed,
                            rill_status *status);
/* Frees the data set and its arrays. Accepts NULL. */
void rill_mnist_delete(rill_mnist *m);

/* next_batch(n) like TF: shuffles at the start and after each epoch (the first epoch's
 * permutation too), and at an epoch's end joins the rest of the old epoch with the start of the
 * new one. Fills images (n x 784 floats) and labels: n int64 ids, or n x 10 float one-hot rows
 * when one_hot (labels then points to floats). Either pointer may be NULL to skip it. A batch
 * larger than the split spans several epochs; an empty split or n <= 0 writes nothing.
 * Deterministic for a given read seed. */
void rill_mnist_next_batch(rill_dataset_split *s, int64_t n, bool one_hot, float *images, void *labels);
/* A whole split as tensors (copies in file order, unaffected by next_batch; caller owns;
 * NULL when out of memory): images [n,784] float32, labels [n] int64 or [n,10] float32
 * one-hot. */
rill_tensor *rill_mnist_images_tensor(const rill_dataset_split *s);
rill_tensor *rill_mnist_labels_tensor(const rill_dataset_split *s, bool one_hot);

#ifdef __cplusplus
}
#endif
#endif
