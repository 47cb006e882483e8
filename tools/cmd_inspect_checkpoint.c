/* `rill inspect-checkpoint PATH [--tensor NAME] [--all-tensors] [--all-tensor-names]`: prints a
 * checkpoint's tensors as TF's inspect_checkpoint tool does (python -m
 * tensorflow.python.tools.inspect_checkpoint):
 *   no option           "name (DT_FLOAT) [2,3]" per tensor (CheckpointReader's debug string)
 *   --tensor NAME       "tensor: name (float32) [2, 3]" and its value
 *   --all-tensors       that for every tensor
 *   --all-tensor-names  the "tensor: ..." lines without values
 * each followed by "# Total number of params: N". PATH is a checkpoint prefix, or a directory
 * (its latest checkpoint). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <rill/rill.h>
#include "io/bundle.h"

int rill_cmd_inspect_checkpoint(int argc, char **argv);

static void print_shape(rill_shape s, const char *sep) {
  if (s.rank < 0) {
    printf("<unknown>");
    return;
  }
  printf("[");
  for (int d = 0; d < s.rank; d++) printf("%s%lld", d ? sep : "", (long long)s.dims[d]);
  printf("]");
}

static void print_header(const rill_checkpoint_reader *r, int i) {
  printf("tensor: %s (%s) ", rill_checkpoint_reader_name(r, i),
         rill_checkpoint_dtype_name(rill_checkpoint_reader_dtype(r, i)));
  print_shape(rill_checkpoint_reader_shape(r, i), ", ");
  printf("\n");
}

static void print_value(rill_checkpoint_reader *r, int i, rill_status *st) {
  rill_tensor *t = rill_checkpoint_reader_get_tensor(r, rill_checkpoint_reader_name(r, i), st);
  if (!t) {
    printf("<%s: %s>\n", rill_code_name(rill_status_code(st)), rill_status_message(st));
    return;
  }
  size_t cap = 1 << 16;
  char *buf = malloc(cap);
  if (buf) printf("%s\n", rill_tensor_str(t, buf, cap));
  free(buf);
  rill_tensor_unref(t);
}

static int usage(void) {
  fprintf(stderr, "usage: rill inspect-checkpoint PATH [--tensor NAME] [--all-tensors] [--all-tensor-names]\n");
  return 2;
}

int rill_cmd_inspect_checkpoint(int argc, char **argv) {
  const char *path = NULL, *tensor = NULL;
  bool all = false, all_names = false;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--tensor") && i + 1 < argc)
      tensor = argv[++i];
    else if (!strcmp(argv[i], "--all-tensors"))
      all = true;
    else if (!strcmp(argv[i], "--all-tensor-names"))
      all_names = true;
    else if (argv[i][0] != '-' && !path)
      path = argv[i];
    else
      return usage();
  }
  if (!path) return usage();
  rill_status *st = rill_status_new();
  rill_checkpoint_reader *r = rill_checkpoint_reader_new(path, st);
  if (!r) {
    fprintf(stderr, "rill inspect-checkpoint: %s: %s\n", rill_code_name(rill_status_code(st)), rill_status_message(st));
    rill_status_delete(st);
    return 1;
  }
  int n = rill_checkpoint_reader_size(r), rc = 0;
  long long params = 0;
  for (int i = 0; i < n; i++) {
    long long e = rill_shape_num_elements(rill_checkpoint_reader_shape(r, i));
    params += e > 0 ? e : 0;
  }
  if (all || all_names) {
    for (int i = 0; i < n; i++) {
      print_header(r, i);
      if (all) print_value(r, i, st);
    }
  } else if (!tensor) {
    for (int i = 0; i < n; i++) {
      char buf[48];
      printf("%s (%s) ", rill_checkpoint_reader_name(r, i),
             rill__tf_dtype_enum_name(rill_checkpoint_reader_dtype(r, i), buf, sizeof buf));
      print_shape(rill_checkpoint_reader_shape(r, i), ",");
      printf("\n");
    }
    printf("\n");
  } else {
    int i = rill_checkpoint_reader_find(r, tensor);
    if (i < 0) {
      printf("Tensor %s not found in checkpoint\n", tensor);
      rc = 1;
    } else {
      print_header(r, i);
      print_value(r, i, st);
    }
  }
  if (!rc) printf("# Total number of params: %lld\n", params);
  rill_checkpoint_reader_delete(r);
  rill_status_delete(st);
  return rc;
}
