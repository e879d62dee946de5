import CImageCodecs
import CZlib
import KioskCore

/// Compresses scanned pages: JPEG for grey and colour (quality 75: a 300 dpi
/// A4 grey page of text lands well under 500 KB), PNG for lineart. Raw pages
/// never leave memory.
public enum PageEncoder {
    /// JPEG quality for grey and colour pages.
    public static let jpegQuality: Int32 = 75

    /// The compressed page and its media type.
    public static func encode(_ page: RawPage) throws(DeviceError) -> (data: [UInt8], mediaType: String) {
        switch page.mode {
        case .lineart:
            // SANE's 1 is black; PNG greyscale's 1 is white.
            let rows = page.pixels.map { ~$0 }
            return (PNG.encode(width: page.width, height: page.height, bitDepth: 1, rows: rows, deflate: zlibDeflate), "image/png")
        case .gray, .color:
            var output: UnsafeMutablePointer<UInt8>?
            var size = 0
            var message = [CChar](repeating: 0, count: 256)
            let status = page.pixels.withUnsafeBufferPointer { pixels in
                kiosk_jpeg_compress(pixels.baseAddress, Int32(page.width), Int32(page.height), page.mode == .gray ? 1 : 3,
                                    jpegQuality, Int32(page.resolution), &output, &size, &message, message.count)
            }
            guard status == 0, let output else {
                throw DeviceError(.internalError, "compressing a scanned page failed: \(String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))")
            }
            defer { kiosk_jpeg_free(output) }
            return (Array(UnsafeBufferPointer(start: output, count: size)), "image/jpeg")
        }
    }

    /// zlib's compress2 at level 6.
    @Sendable static func zlibDeflate(_ data: [UInt8]) -> [UInt8] {
        var length = compressBound(uLong(data.count))
        var output = [UInt8](repeating: 0, count: Int(length))
        let status = data.withUnsafeBufferPointer { input in compress2(&output, &length, input.baseAddress, uLong(data.count), 6) }
        guard status == Z_OK else { return PNG.zlibStored(data) }
        return Array(output[0..<Int(length)])
    }
}
