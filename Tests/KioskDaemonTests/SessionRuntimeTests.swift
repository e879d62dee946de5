import AgentAuth
import Crypto
import Drivers
import Foundation
import HardwareSim
import KioskCore
@testable import KioskDaemon
import Logging
import Outbox
import Synchronization
import TestSupport
import Uplink
import Testing

/// The scanner's neighbour: hands back pages with recognisable bytes.
final class StackedPages: PageScanner {
    let scans = Mutex(0)
    func scanPages(progress: @escaping @Sendable (_ page: Int, _ percent: Int) -> Void) async throws(DeviceError) -> [ScannedPage] {
        let count = scans.withLock { $0 += 1; return $0 }
        progress(1, 50)
        return [ScannedPage(number: 1, width: 1240, height: 1754, resolution: 150, mode: .gray, mediaType: "image/jpeg",
                            data: [0xFF, 0xD8, UInt8(count)] + Array(repeating: 0xC7, count: 2048), looksBlank: false, scanDuration: .milliseconds(800))]
    }
}

/// A station's session runtime for tests: the shipped catalogue and calendar,
/// a real outbox sealing to `key`, and the parts given.
struct TestStation {
    let runtime: SessionRuntime
    let outbox: Outbox

    init(_ folder: String, sealingTo key: Curve25519.KeyAgreement.PublicKey = Curve25519.KeyAgreement.PrivateKey().publicKey, agents: String? = nil,
         printer: (any ReceiptPrinter)? = nil, scanner: any PageScanner = StackedPages(), platform: HTTPPlatformClient? = nil) throws {
        outbox = try Outbox(directory: folder + "/outbox", platformKey: PlatformPublicKey(key), settings: .init(stationCode: "340104001"))
        let services = try StationServices(config: shippedConfig(folder, agents: agents), stateDirectory: folder + "/state", logger: Logger(label: "test"))
        runtime = SessionRuntime(reducer: services.reducer(), phrasebooks: try Phrasebooks.load(uiDirectory: ConfigTests.repositoryRoot + "/ui"), store: outbox, printer: printer, scanner: scanner, pins: services.pinChecker,
                                 lookup: ApplicantLookup(salt: Array(repeating: 7, count: 32)), platform: platform, logger: Logger(label: "test"))
    }
}

@Suite("The session runtime against a real outbox and the printer simulator", .serialized, .timeLimit(.minutes(2)))
struct SessionRuntimeTests {
    @Test("A visit: the receipt is printed only after the outbox committed, carries that tracking number, and the case is then found by card")
    func visit() async throws {
        let folder = temporaryDirectory()
        // The receipt printer on a real TCP wire, the simulator at the far end.
        let wire = try TCPWire(port: 0)
        let simulator = try ReceiptPrinterSimulator(outputDirectory: folder + "/printed")
        let printer = ESCPOSPrinter(
            connection: DeviceConnection(identity: DeviceIdentity(kind: .receiptPrinter, model: "generic-80", port: try DevicePort(parsing: wire.portString)),
                                         logger: Logger(label: "test")),
            settings: ESCPOSPrinter.Settings(), logger: Logger(label: "test"))
        let serving = Task { await wire.serve(simulator) }
        let running = Task { await printer.run() }
        defer {
            serving.cancel()
            running.cancel()
            wire.stop()
        }
        #expect(await eventually(within: .seconds(20)) { printer.connection.isConnected })

        let agentsFile = folder + "/agents.json"
        try #"{"agents": [{"id": "agent01", "name": "王建国", "card_number": "340104198001010311", "pin_hash": "\#(try PINHasher.hash(pin: "246810", logN: 14))"}]}"#
            .write(toFile: agentsFile, atomically: true, encoding: .utf8)
        let station = try TestStation(folder, agents: agentsFile, printer: printer)
        let (runtime, outbox) = (station.runtime, station.outbox)
        defer { try? outbox.close() }
        await SessionRuntimePlatformTests.toMaterials(runtime, online: false)
        #expect(await runtime.state.screen == .materials)
        for material in ["hukou_book", "bank_card"] {
            await runtime.touch(.scan(materialID: material))
            #expect(await eventually(within: .seconds(20)) { await runtime.state.visit?.materials[material] != nil }, "\(material) was not scanned")
        }
        await runtime.touch(.next)
        #expect(await runtime.state.screen == .review)
        await runtime.touch(.submit)
        #expect(await eventually(within: .seconds(20)) { await runtime.state.screen == .receipt })
        let tracking = try #require(await runtime.state.visit?.lastTrackingNumber)

        // Durable before printed: the row is there, and the printed receipt carries its number.
        let row = try #require(try outbox.application(try TrackingNumber(tracking)))
        #expect(row.serviceName == "高龄津贴申领" && row.applicantMasked == "张*兰")
        #expect(await eventually(within: .seconds(20)) { simulator.receipts.filter(\.complete).count == 1 })
        let printed = try #require(simulator.receipts.first).text
        #expect(printed.contains(tracking), "\(printed)")
        #expect(printed.contains("承诺办结日期"))
        #expect(!printed.contains("张秀兰") && !printed.contains("340104194503120520"))
        #expect(try outbox.auditEntries(trackingNumber: tracking).map(\.action) == ["created", "scanned", "scanned", "receipted"])

        // 我的办件: found again by the card, with nothing but a slow hash of the number kept.
        await runtime.touch(.next)
        await runtime.touch(.skipRating)
        await runtime.touch(.myCases)
        #expect(await eventually(within: .seconds(20)) { if case .myCases = await runtime.state.screen { true } else { false } })
        guard case .myCases(let cases) = await runtime.state.screen else { return }
        #expect(cases.map(\.trackingNumber) == [tracking] && cases.first?.status == SessionText(.caseQueued))

        // The printer out of paper: the application is saved all the same and its number stays on screen.
        await runtime.touch(.next)
        simulator.paperOut()
        await runtime.touch(.menu(.search("高龄")))
        await runtime.touch(.choose(code: "0500012000"))
        await runtime.touch(.next)
        await runtime.touch(.next)
        await runtime.touch(.scan(materialID: "hukou_book"))
        #expect(await eventually(within: .seconds(20)) { await runtime.state.visit?.materials["hukou_book"] != nil })
        await runtime.touch(.scan(materialID: "bank_card"))
        #expect(await eventually(within: .seconds(20)) { await runtime.state.visit?.materials["bank_card"] != nil })
        await runtime.touch(.next)
        await runtime.touch(.submit)
        #expect(await eventually(within: .seconds(20)) { await runtime.screen.frame.message?.contains("回执没有打印出来（回执打印机缺纸）") == true })
        let second = try #require(await runtime.state.visit?.lastTrackingNumber)
        #expect(second != tracking)
        #expect(try outbox.application(try TrackingNumber(second)) != nil)
        #expect(await runtime.screen.frame.message?.contains(second) == true)

        await runtime.touch(.endSession)
        #expect(await runtime.state.visit == nil)

        // An agent prints the first receipt again, marked as a reprint.
        simulator.loadPaper()
        let agent = ResidentIdentity(
            cardType: .residentID, name: "王建国", gender: .male, nation: Nation(code: "01"), birthDate: CalendarDate(yyyymmdd: "19800101")!,
            address: "安徽省合肥市蜀山区", number: "340104198001010311", issuingAuthority: "合肥市公安局蜀山分局",
            validFrom: CalendarDate(yyyymmdd: "20150601")!, validUntil: .longTerm, photo: [])
        await runtime.send(.cardPresented(agent, now: Date().timeIntervalSince1970))
        await runtime.touch(.agentPIN("246810"))
        #expect(await eventually(within: .seconds(20)) { await runtime.state.screen == .agentConsole })
        await runtime.touch(.agentStationCases)
        #expect(await eventually(within: .seconds(20)) { if case .stationCases = await runtime.state.screen { true } else { false } })
        await runtime.touch(.agentReprint(trackingNumber: tracking))
        // (The second receipt may also come out now: a printer finishes a job once paper is loaded.)
        #expect(await eventually(within: .seconds(20)) { simulator.receipts.contains { $0.complete && $0.text.contains("重印") && $0.text.contains(tracking) } },
                "\(simulator.receipts.map(\.text))")
        #expect(try outbox.auditEntries(trackingNumber: tracking).last?.action == "reprint")
        await runtime.touch(.agentLogout)
        await printer.shutdown(grace: .milliseconds(100))
    }
}

@Suite("The session runtime and the platform: e-certificates and 12345", .serialized, .timeLimit(.minutes(2)))
struct SessionRuntimePlatformTests {
    static let resident = ResidentIdentity(
        cardType: .residentID, name: "张秀兰", gender: .female, nation: Nation(code: "01"), birthDate: CalendarDate(yyyymmdd: "19450312")!,
        address: "安徽省合肥市蜀山区笔架山街道示例村3组12号", number: "340104194503120520", issuingAuthority: "合肥市公安局蜀山分局",
        validFrom: CalendarDate(yyyymmdd: "20150601")!, validUntil: .longTerm, photo: [])

    func runtime(_ folder: String, sealingTo key: Curve25519.KeyAgreement.PublicKey, platform: PlatformSimulator) throws -> (SessionRuntime, Outbox, HTTPPlatformClient) {
        let client = try HTTPPlatformClient(baseURL: platform.url, tls: nil)
        let station = try TestStation(folder, sealingTo: key, platform: client)
        return (station.runtime, station.outbox, client)
    }

    /// Wang Jianguo's card, 高龄津贴申领, the form filled: the materials screen.
    static func toMaterials(_ runtime: SessionRuntime, online: Bool = true) async {
        if online { await runtime.send(.networkChanged(online: true)) }
        await runtime.send(.cardPresented(resident, now: Date().timeIntervalSince1970))
        await runtime.touch(.menu(.search("高龄")))
        await runtime.touch(.choose(code: "0500012000"))
        await runtime.touch(.next)
        await runtime.touch(.setField(id: "phone", value: "13912345678"))
        await runtime.touch(.setField(id: "bank_account", value: "6222020200112233446"))
        await runtime.touch(.next)
    }

    @Test("With consent, the platform's e-certificates stand in for both papers; the consent reached it sealed; a complaint reaches 12345 with its contact sealed")
    func eCertificatesAndComplaint() async throws {
        let folder = temporaryDirectory()
        let key = Curve25519.KeyAgreement.PrivateKey()
        let platform = try PlatformSimulator(privateKey: .x25519(key), outputDirectory: folder + "/platform", port: UInt16(TCPListening.unusedPort()))
        try platform.start()
        defer { platform.stop() }
        platform.holdECertificates(["居民户口簿", "社会保障卡"], for: Self.resident.number)
        let (runtime, outbox, client) = try runtime(folder, sealingTo: key.publicKey, platform: platform)
        defer { try? outbox.close() }

        await Self.toMaterials(runtime)
        await runtime.touch(.consentToECertificateLookup)
        #expect(await eventually(within: .seconds(20)) { await runtime.state.visit?.materials.count == 2 })
        #expect(await runtime.state.visit?.materials["hukou_book"] == .eCertificate("居民户口簿"))
        await runtime.touch(.next)
        #expect(await runtime.state.screen == .review, "no paper was needed")

        await runtime.touch(.endSession)
        // The card is taken, and placed again: a card left on the reader starts no new visit.
        await runtime.send(.cardRemoved(now: Date().timeIntervalSince1970))
        await runtime.send(.cardPresented(Self.resident, now: Date().timeIntervalSince1970))
        await runtime.touch(.startConsultation(.complaint))
        await runtime.touch(.sendConsultation(text: "养老金到账时间比告知的晚了两个月", phone: "13912345678"))
        #expect(await eventually(within: .seconds(20)) { if case .consultationSent = await runtime.state.screen { true } else { false } })
        #expect(await runtime.state.screen == .consultationSent(reference: "12345-1"))
        let received = try #require(platform.consultations.first)
        #expect(received.kind == "投诉" && received.content == "养老金到账时间比告知的晚了两个月")
        #expect(received.contact["id_number"] == Self.resident.number && received.contact["phone"] == "13912345678")
        await client.shutdown()
    }

    @Test("A completeness failure books a working day with the platform, the resident's contact sealed; nothing is submitted")
    func reservation() async throws {
        let folder = temporaryDirectory()
        let key = Curve25519.KeyAgreement.PrivateKey()
        let platform = try PlatformSimulator(privateKey: .x25519(key), outputDirectory: folder + "/platform", port: UInt16(TCPListening.unusedPort()))
        try platform.start()
        defer { platform.stop() }
        let (runtime, outbox, client) = try runtime(folder, sealingTo: key.publicKey, platform: platform)
        defer { try? outbox.close() }
        await runtime.send(.networkChanged(online: true))
        await runtime.send(.cardPresented(Self.resident, now: Date().timeIntervalSince1970))
        await runtime.touch(.menu(.search("低保")))
        await runtime.touch(.choose(code: "0500007000"))
        await runtime.touch(.next)
        // What the card cannot answer (income, property), the resident confirms.
        #expect(await runtime.state.screen == .conditions)
        for index in 0..<2 { await runtime.touch(.confirmCondition(index: index, met: true)) }
        await runtime.touch(.next)
        for (field, value) in [("phone", "13912345678"), ("household_size", "3"), ("monthly_income", "1200"), ("bank_account", "6222020200112233446")] {
            await runtime.touch(.setField(id: field, value: value))
        }
        await runtime.touch(.next)
        for material in ["hukou_book", "bank_card"] {
            await runtime.touch(.scan(materialID: material))
            #expect(await eventually(within: .seconds(20)) { await runtime.state.visit?.materials[material] != nil })
        }
        await runtime.touch(.next)
        guard case .incomplete(_, let dates) = await runtime.state.screen else { Issue.record("not incomplete: \(await runtime.state.screen)"); return }
        await runtime.touch(.reserve(dates[1]))
        #expect(await eventually(within: .seconds(20)) { if case .reserved = await runtime.state.screen { true } else { false } })
        let booked = try #require(platform.reservations.first)
        #expect(booked.serviceCode == "0500007000" && booked.date == dates[1].description)
        #expect(booked.missing == ["缺少材料：家庭收入及财产状况声明", "缺少材料：家庭经济状况核对授权书"])
        #expect(booked.contact["id_number"] == Self.resident.number)
        #expect(try outbox.applications().isEmpty, "a case that would bounce is not submitted")
        await client.shutdown()
    }

    @Test("A consent the platform cannot open (sealed to the wrong key) ends in a clear message and the paper way, not a hang")
    func wrongKey() async throws {
        let folder = temporaryDirectory()
        let platform = try PlatformSimulator(privateKey: .x25519(Curve25519.KeyAgreement.PrivateKey()), outputDirectory: folder + "/platform", port: UInt16(TCPListening.unusedPort()))
        try platform.start()
        defer { platform.stop() }
        platform.holdECertificates(["居民户口簿"], for: Self.resident.number)
        let (runtime, outbox, client) = try runtime(folder, sealingTo: Curve25519.KeyAgreement.PrivateKey().publicKey, platform: platform)
        defer { try? outbox.close() }
        await Self.toMaterials(runtime)
        await runtime.touch(.consentToECertificateLookup)
        #expect(await eventually(within: .seconds(20)) { await runtime.screen.frame.message == "电子证照暂时查不到，请扫描纸质材料。" })
        #expect(await runtime.state.visit?.materials.isEmpty == true)
        await runtime.touch(.scan(materialID: "hukou_book"))
        #expect(await eventually(within: .seconds(20)) { await runtime.state.visit?.materials["hukou_book"] != nil })
        await client.shutdown()
    }
}

/// A scanner that reports how far it is and finishes when told.
final class HeldScanner: PageScanner {
    let released = Mutex(false)
    func scanPages(progress: @escaping @Sendable (_ page: Int, _ percent: Int) -> Void) async throws(DeviceError) -> [ScannedPage] {
        progress(1, 40)
        while !released.withLock({ $0 }) { try? await Task.sleep(for: .milliseconds(10)) }
        return try await StackedPages().scanPages { _, _ in }
    }
}

@Suite("The scanning screen shows how far the scan is", .serialized)
struct ScanProgressTests {
    @Test("The scanner's progress reaches the screen while it scans, and goes with the scan")
    func progress() async throws {
        let folder = temporaryDirectory()
        let scanner = HeldScanner()
        let station = try TestStation(folder, scanner: scanner)
        let runtime = station.runtime
        defer { try? station.outbox.close() }
        await SessionRuntimePlatformTests.toMaterials(runtime, online: false)
        await runtime.touch(.scan(materialID: "hukou_book"))
        #expect(await eventually(within: .seconds(20)) {
            guard case .scanning(let scanning) = await runtime.screen.view else { return false }
            return scanning.scanProgress == PageProgress(page: 1, percent: 40)
        })
        scanner.released.withLock { $0 = true }
        #expect(await eventually(within: .seconds(20)) { await runtime.screen.view.name == .materials })
        let shown = String(decoding: try HTTPRoutes.encoder.encode(await runtime.screen), as: UTF8.self)
        #expect(!shown.contains("scan_progress"), "\(shown)")
    }
}
