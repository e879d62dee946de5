#include "sim_imaging.h"

#include <png.h>
#include <qrencode.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

int sim_qr_encode(const unsigned char *data, int length, int level, unsigned char **modules) {
    static const QRecLevel levels[] = {QR_ECLEVEL_L, QR_ECLEVEL_M, QR_ECLEVEL_Q, QR_ECLEVEL_H};
    if (level < 0 || level > 3 || length <= 0) return -1;
    QRcode *code = QRcode_encodeData(length, data, 0, levels[level]);
    if (code == NULL) return -1;
    int side = code->width;
    unsigned char *out = malloc((size_t)side * (size_t)side);
    if (out == NULL) {
        QRcode_free(code);
        return -1;
    }
    for (int i = 0; i < side * side; i++) out[i] = code->data[i] & 1;
    QRcode_free(code);
    *modules = out;
    return side;
}

struct buffer {
    unsigned char *bytes;
    size_t size, capacity;
    int failed;
};

static void append(png_structp png, png_bytep data, png_size_t length) {
    struct buffer *buffer = png_get_io_ptr(png);
    if (buffer->size + length > buffer->capacity) {
        size_t capacity = buffer->capacity ? buffer->capacity * 2 : 4096;
        while (capacity < buffer->size + length) capacity *= 2;
        unsigned char *grown = realloc(buffer->bytes, capacity);
        if (grown == NULL) {
            buffer->failed = 1;
            png_error(png, "out of memory");
        }
        buffer->bytes = grown;
        buffer->capacity = capacity;
    }
    memcpy(buffer->bytes + buffer->size, data, length);
    buffer->size += length;
}

static void flush(png_structp png) { (void)png; }

int sim_png_encode(const unsigned char *pixels, int width, int height, unsigned char **out, size_t *out_size) {
    if (width <= 0 || height <= 0) return -1;
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    if (png == NULL) return -1;
    png_infop info = png_create_info_struct(png);
    struct buffer buffer = {0};
    size_t row_bytes = ((size_t)width + 7) / 8;
    unsigned char *row = calloc(row_bytes, 1);
    if (info == NULL || row == NULL || setjmp(png_jmpbuf(png))) {
        png_destroy_write_struct(&png, info ? &info : NULL);
        free(buffer.bytes);
        free(row);
        return -1;
    }
    png_set_write_fn(png, &buffer, append, flush);
    png_set_IHDR(png, info, (png_uint_32)width, (png_uint_32)height, 1, PNG_COLOR_TYPE_GRAY, PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_write_info(png, info);
    for (int y = 0; y < height; y++) {
        memset(row, 0xFF, row_bytes);  /* 1 = white in greyscale */
        for (int x = 0; x < width; x++) {
            if (pixels[(size_t)y * (size_t)width + (size_t)x]) row[x / 8] &= (unsigned char)~(0x80 >> (x % 8));
        }
        png_write_row(png, row);
    }
    png_write_end(png, NULL);
    png_destroy_write_struct(&png, &info);
    free(row);
    *out = buffer.bytes;
    *out_size = buffer.size;
    return 0;
}

void sim_free(void *pointer) { free(pointer); }
