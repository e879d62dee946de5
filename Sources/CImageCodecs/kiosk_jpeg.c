#include "kiosk_jpeg.h"

/* jpeglib.h needs FILE and size_t declared first. */
#include <stdio.h>
#include <setjmp.h>
#include <jpeglib.h>
#include <stdlib.h>
#include <string.h>

struct kiosk_error {
    struct jpeg_error_mgr manager;
    jmp_buf jump;
    char *message;
    size_t message_size;
};

static void kiosk_error_exit(j_common_ptr info) {
    struct kiosk_error *error = (struct kiosk_error *)info->err;
    char text[JMSG_LENGTH_MAX];
    (*info->err->format_message)(info, text);
    snprintf(error->message, error->message_size, "%s", text);
    longjmp(error->jump, 1);
}

int kiosk_jpeg_compress(const unsigned char *pixels, int width, int height, int components,
                        int quality, int dpi, unsigned char **out, size_t *out_size,
                        char *message, size_t message_size) {
    struct jpeg_compress_struct info;
    struct kiosk_error error;
    unsigned char *buffer = NULL;
    unsigned long size = 0;

    info.err = jpeg_std_error(&error.manager);
    error.manager.error_exit = kiosk_error_exit;
    error.message = message;
    error.message_size = message_size;
    if (setjmp(error.jump)) {
        jpeg_destroy_compress(&info);
        free(buffer);
        return -1;
    }
    jpeg_create_compress(&info);
    jpeg_mem_dest(&info, &buffer, &size);
    info.image_width = (JDIMENSION)width;
    info.image_height = (JDIMENSION)height;
    info.input_components = components;
    info.in_color_space = components == 1 ? JCS_GRAYSCALE : JCS_RGB;
    jpeg_set_defaults(&info);
    jpeg_set_quality(&info, quality, TRUE);
    info.density_unit = 1; /* dots per inch */
    info.X_density = (UINT16)dpi;
    info.Y_density = (UINT16)dpi;
    jpeg_start_compress(&info, TRUE);
    while (info.next_scanline < info.image_height) {
        JSAMPROW row = (JSAMPROW)(pixels + (size_t)info.next_scanline * (size_t)width * (size_t)components);
        jpeg_write_scanlines(&info, &row, 1);
    }
    jpeg_finish_compress(&info);
    jpeg_destroy_compress(&info);
    *out = buffer;
    *out_size = size;
    return 0;
}

int kiosk_jpeg_decompress(const unsigned char *data, size_t size, unsigned char **pixels,
                          int *width, int *height, int *components, char *message, size_t message_size) {
    struct jpeg_decompress_struct info;
    struct kiosk_error error;
    unsigned char *image = NULL;

    info.err = jpeg_std_error(&error.manager);
    error.manager.error_exit = kiosk_error_exit;
    error.message = message;
    error.message_size = message_size;
    if (setjmp(error.jump)) {
        jpeg_destroy_decompress(&info);
        free(image);
        return -1;
    }
    jpeg_create_decompress(&info);
    jpeg_mem_src(&info, data, (unsigned long)size);
    jpeg_read_header(&info, TRUE);
    info.out_color_space = info.num_components == 1 ? JCS_GRAYSCALE : JCS_RGB;
    jpeg_start_decompress(&info);
    size_t stride = (size_t)info.output_width * (size_t)info.output_components;
    image = malloc(stride * info.output_height);
    if (image == NULL) {
        snprintf(message, message_size, "out of memory for a %ux%u image", info.output_width, info.output_height);
        jpeg_destroy_decompress(&info);
        return -1;
    }
    while (info.output_scanline < info.output_height) {
        JSAMPROW row = image + (size_t)info.output_scanline * stride;
        jpeg_read_scanlines(&info, &row, 1);
    }
    *width = (int)info.output_width;
    *height = (int)info.output_height;
    *components = info.output_components;
    jpeg_finish_decompress(&info);
    jpeg_destroy_decompress(&info);
    *pixels = image;
    return 0;
}

void kiosk_jpeg_free(void *pointer) { free(pointer); }
