import Drivers
import HardwareSim
import KioskCore
import Testing

@Suite("The printer simulator renders what the encoder sends", .serialized, .timeLimit(.minutes(1)))
struct ReceiptPrinterSimulatorTests {
    @Test("a receipt sent over TCP is saved as text and PNG; zbarimg reads the tracking URL from its QR code")
    func renders() async throws {
        let folder = temporaryDirectory()
        let printer = try ReceiptPrinterSimulator(dotsPerLine: 576, outputDirectory: folder)
        let wire = try TCPWire(port: 0)
        let receipt = sampleReceipt()
        try await serving(printer, on: wire) {
            let transport = try await Transports.open(DevicePort(parsing: wire.portString))
            defer { transport.close() }
            let bytes = try ESCPOSEncoder(profile: .generic80).encode(ReceiptLayout.document(receipt, columns: 48))
            try await transport.write(bytes, timeout: .seconds(5))
            #expect(await eventually { printer.receipts.count == 1 })
        }
        let printed = try #require(printer.receipts.first)
        #expect(printed.complete)
        for fragment in ["申请回执", receipt.trackingNumber, receipt.serviceName, "承诺办结日期：2026年12月8日", "[QR \(receipt.trackingURL)]"] {
            #expect(printed.text.contains(fragment), "missing \(fragment) in\n\(printed.text)")
        }
        #expect(try decodeQR(try #require(printed.imagePath)) == receipt.trackingURL)
    }

    @Test("QR codes of every size this simulator supports decode back to their content", arguments: [1, 20, 60, 120, 200])
    func qrSizes(_ length: Int) async throws {
        let folder = temporaryDirectory()
        let printer = try ReceiptPrinterSimulator(dotsPerLine: 576, outputDirectory: folder)
        let wire = try TCPWire(port: 0)
        let content = String(String(repeating: "https://zwfw.example.gov.cn/track/", count: 10).prefix(length))
        try await serving(printer, on: wire) {
            let transport = try await Transports.open(DevicePort(parsing: wire.portString))
            defer { transport.close() }
            try await transport.write(ESCPOS.initialize + ESCPOS.qrCode(Array(content.utf8), moduleSize: 4) + ESCPOS.cut(), timeout: .seconds(5))
            #expect(await eventually { printer.receipts.count == 1 })
        }
        #expect(try decodeQR(try #require(printer.receipts.first?.imagePath)) == content)
    }
}
