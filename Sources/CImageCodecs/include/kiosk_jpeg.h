#ifndef KIOSK_JPEG_H
#define KIOSK_JPEG_H

#include <stddef.h>

/* Compresses 8-bit grey (components = 1) or RGB (components = 3) pixels to a
 * baseline JPEG in memory. libjpeg reports errors by calling exit() unless the
 * caller takes over with setjmp; this wrapper does that, so a bad image is an
 * error message, never the end of kioskd.
 * Returns 0 and sets *out (free with kiosk_jpeg_free) and *out_size, or
 * returns -1 and writes a message into error (error_size bytes). */
int kiosk_jpeg_compress(const unsigned char *pixels, int width, int height, int components,
                        int quality, int dpi, unsigned char **out, size_t *out_size,
                        char *error, size_t error_size);

/* Decompresses a JPEG to 8-bit grey or RGB pixels (*components says which). */
int kiosk_jpeg_decompress(const unsigned char *data, size_t size, unsigned char **pixels,
                          int *width, int *height, int *components, char *error, size_t error_size);

void kiosk_jpeg_free(void *pointer);

#endif
