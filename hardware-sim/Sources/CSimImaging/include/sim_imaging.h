#ifndef SIM_IMAGING_H
#define SIM_IMAGING_H

#include <stddef.h>

/* What the printer simulator draws with, from Debian's libraries rather than
 * kioskd's own encoders, so a bug in kioskd's QR or PNG code cannot hide in
 * the simulated receipts (a real printer's firmware has its own encoder too). */

/* Encodes `data` as a QR code at error-correction level 0 (L) … 3 (H), the
 * smallest version that holds it (libqrencode). Returns the side in modules
 * and sets *modules (side × side bytes, 1 = dark; free with sim_free), or
 * returns -1 when the data does not fit. */
int sim_qr_encode(const unsigned char *data, int length, int level, unsigned char **modules);

/* Writes a 1-bit greyscale PNG (libpng) of `pixels` (width × height bytes,
 * nonzero = black) into memory. libpng reports errors by longjmp; this
 * wrapper catches them. Returns 0 and sets *out (free with sim_free) and
 * *out_size, or -1. */
int sim_png_encode(const unsigned char *pixels, int width, int height, unsigned char **out, size_t *out_size);

void sim_free(void *pointer);

#endif
