// swift-tools-version: 6.1
import PackageDescription

// Arrows point one way (docs/architecture.md draws them):
//   kioskd, kioskctl -> KioskDaemon -> Drivers, Outbox, Uplink, AgentAuth -> KioskCore
// KioskCore holds the rules and the ports; it imports no C library, no NIO, no
// GRDB and no Foundation. Uplink drains KioskCore's ForwardingQueue and does not
// import Outbox. hardware-sim is the far end of each wire, with its own codecs.
let strict: [SwiftSetting] = [.swiftLanguageMode(.v6)]

let package = Package(
    name: "kioskd",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "kioskd", targets: ["kioskd"]),
        .executable(name: "kioskctl", targets: ["kioskctl"]),
        .executable(name: "hardware-sim", targets: ["hardware-sim"]),
        .library(name: "KioskCore", targets: ["KioskCore"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-configuration", from: "1.4.0", traits: [.defaults, "YAML"]),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-websocket", from: "2.8.1"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.35.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
    ],
    targets: [
        // System libraries. libcups ships no pkg-config file: the module map links "cups".
        .systemLibrary(name: "CLibUSB", pkgConfig: "libusb-1.0", providers: [.apt(["libusb-1.0-0-dev"])]),
        .systemLibrary(name: "CCups", providers: [.apt(["libcups2-dev"])]),
        .systemLibrary(name: "CSane", pkgConfig: "sane-backends", providers: [.apt(["libsane-dev"])]),
        .systemLibrary(name: "CZlib", providers: [.apt(["zlib1g-dev"])]),
        // Zinnia, the handwriting recogniser (its model: Debian's tegaki-zinnia-simplified-chinese).
        .systemLibrary(name: "CZinnia", pkgConfig: "zinnia", providers: [.apt(["libzinnia-dev"])]),
        // libjpeg through a C wrapper: its errors longjmp, which Swift cannot.
        .target(name: "CImageCodecs", linkerSettings: [.linkedLibrary("jpeg")]),

        .target(name: "KioskCore", swiftSettings: strict),
        // POSIX plumbing shared by the drivers and the simulators: descriptors
        // with deadlines, sockets. No device protocol lives here.
        .target(name: "SystemIO", swiftSettings: strict),
        .target(
            name: "Drivers",
            dependencies: [
                "KioskCore", "SystemIO", "CLibUSB", "CCups", "CSane", "CZlib", "CImageCodecs", "CZinnia",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        // The station's memory: a durable, sealed queue of applications on SQLite.
        .target(
            name: "Outbox",
            dependencies: [
                "KioskCore", "SystemIO",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "CryptoExtras", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        // The road to the platform: its HTTP link (SwiftNIO) and the forwarder, which drains
        // any ForwardingQueue (KioskCore's port; the Outbox implements it).
        .target(
            name: "Uplink",
            dependencies: [
                "KioskCore", "SystemIO",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        // Agent PINs: scrypt hashes and the lock-out.
        .target(
            name: "AgentAuth",
            dependencies: [
                "KioskCore", "SystemIO",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "CryptoExtras", package: "swift-crypto"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "KioskDaemon",
            dependencies: [
                "KioskCore", "SystemIO", "Drivers", "Outbox", "Uplink", "AgentAuth",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Configuration", package: "swift-configuration"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "kioskd",
            dependencies: [
                "KioskDaemon", "KioskCore", "SystemIO",
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "kioskctl",
            dependencies: [
                "KioskCore", "KioskDaemon", "Drivers", "SystemIO", "Outbox", "AgentAuth",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strict
        ),

        // The far end of the wire: simulators that speak each device's protocol.
        // The printer simulator draws QR codes and PNGs with Debian's libqrencode and
        // libpng (through a C wrapper: libpng's errors longjmp), not kioskd's encoders.
        .target(name: "CSimImaging", path: "hardware-sim/Sources/CSimImaging", linkerSettings: [.linkedLibrary("qrencode"), .linkedLibrary("png16")]),
        .target(
            name: "HardwareSim",
            dependencies: [
                "SystemIO", "KioskCore", "CImageCodecs", "CSimImaging",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "CryptoExtras", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            path: "hardware-sim/Sources/HardwareSim",
            swiftSettings: strict
        ),
        .executableTarget(
            name: "hardware-sim",
            dependencies: [
                "HardwareSim", "SystemIO",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "hardware-sim/Sources/hardware-sim",
            swiftSettings: strict
        ),

        // Benchmarks print ratios against a baseline measured in the same run (make bench).
        .executableTarget(
            name: "kioskd-bench",
            dependencies: [
                "Drivers", "HardwareSim", "KioskCore", "SystemIO", "Outbox", "Uplink",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Benchmarks/kioskd-bench",
            swiftSettings: strict
        ),

        .target(name: "TestSupport", dependencies: ["KioskCore", "SystemIO"], path: "Tests/TestSupport", swiftSettings: strict),
        .testTarget(name: "KioskCoreTests", dependencies: ["KioskCore", "TestSupport"], swiftSettings: strict),
        .testTarget(
            name: "OutboxTests",
            dependencies: ["Outbox", "Uplink", "AgentAuth", "HardwareSim", "TestSupport", "OutboxTestSupport", .product(name: "Crypto", package: "swift-crypto"),
                           .product(name: "CryptoExtras", package: "swift-crypto")],
            swiftSettings: strict
        ),
        .target(
            name: "OutboxTestSupport", dependencies: ["Outbox", "KioskCore", .product(name: "Crypto", package: "swift-crypto")],
            path: "Tests/OutboxTestSupport", swiftSettings: strict
        ),
        .testTarget(
            name: "UplinkTests",
            dependencies: ["Uplink", "Outbox", "HardwareSim", "TestSupport", "OutboxTestSupport", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: strict
        ),
        .testTarget(name: "DriversTests", dependencies: ["Drivers", "HardwareSim", "TestSupport"], swiftSettings: strict),
        .testTarget(
            name: "KioskDaemonTests",
            dependencies: [
                "KioskDaemon", "AgentAuth", "HardwareSim", "TestSupport",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "HummingbirdWSClient", package: "hummingbird-websocket"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "EndToEndTests",
            dependencies: [
                "HardwareSim", "TestSupport", "Outbox", "KioskCore",
                .product(name: "Crypto", package: "swift-crypto"), .product(name: "CryptoExtras", package: "swift-crypto"), .product(name: "GRDB", package: "GRDB.swift"),
            ],
            swiftSettings: strict
        ),
    ]
)
