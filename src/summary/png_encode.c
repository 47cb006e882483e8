/* PNG encoding for image summaries, through libpng as TF's png::WriteImageToBuffer does:
 * 8-bit samples, no interlacing, zlib's default compression, libpng's default filters. */
#include <png.h>
#include <setjmp.h>
#include <zlib.h>
#include "summary/summary_internal.h"

static void write_fn(png_structp png, png_bytep data, png_size_t n) {
  rill__pb_buf *out = png_get_io_ptr(png);
  rill__pb_put_raw(out, data, n);
  if (!rill__pb_buf_ok(out)) png_error(png, "out of memory");
}

static void flush_fn(png_structp png) { (void)png; }

/* libpng reports through longjmp; the default handler would also print to stderr. */
static void error_fn(png_structp png, png_const_charp msg) {
  (void)msg;
  png_longjmp(png, 1);
}

static void warning_fn(png_structp png, png_const_charp msg) {
  (void)png;
  (void)msg;
}

bool rill__png_encode(const uint8_t *pixels, int w, int h, int channels, rill__pb_buf *out) {
  static const int color_types[5] = {0, PNG_COLOR_TYPE_GRAY, PNG_COLOR_TYPE_GRAY_ALPHA, PNG_COLOR_TYPE_RGB,
                                     PNG_COLOR_TYPE_RGB_ALPHA};
  if (w <= 0 || h <= 0 || channels < 1 || channels > 4) return false;
  size_t start = out->len;
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, error_fn, warning_fn);
  if (!png) return false;
  png_infop info = png_create_info_struct(png);
  if (!info) {
    png_destroy_write_struct(&png, NULL);
    return false;
  }
  if (setjmp(png_jmpbuf(png))) {
    png_destroy_write_struct(&png, &info);
    if (rill__pb_buf_ok(out)) out->len = start;
    return false;
  }
  png_set_write_fn(png, out, write_fn, flush_fn);
  png_set_compression_level(png, Z_DEFAULT_COMPRESSION);
  png_set_IHDR(png, info, (png_uint_32)w, (png_uint_32)h, 8, color_types[channels], PNG_INTERLACE_NONE,
               PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  png_write_info(png, info);
  size_t stride = (size_t)w * (size_t)channels;
  for (int y = 0; y < h; y++) png_write_row(png, (png_const_bytep)(pixels + (size_t)y * stride));
  png_write_end(png, info);
  png_destroy_write_struct(&png, &info);
  return rill__pb_buf_ok(out);
}
