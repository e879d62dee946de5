import Foundation
import KioskCore

/// Names a station's serial devices by what they are, whatever ttyUSBn the
/// kernel gave them at this boot: a udev rule per device, matched on its USB
/// bridge's ids and serial number (or, for bridges without one, the USB port
/// it is plugged into), makes /dev/kioskd/idcard-reader and the like.
public enum StableNames {
    /// The folder of the links the rules make.
    public static let folder = "/dev/kioskd"

    /// The link a device gets: /dev/kioskd/idcard-reader, /dev/kioskd/receipt-printer, …
    public static func link(for kind: DeviceKind) -> String {
        folder + "/" + kind.rawValue.replacingOccurrences(of: "_", with: "-")
    }

    /// The USB device a serial port's tty hangs off, as sysfs describes it.
    public struct USBParent: Sendable, Equatable {
        public var vendorID: String
        public var productID: String
        public var serialNumber: String?
        /// The device's place on the bus (1-2, 1-1.4): the same USB socket gives the same path.
        public var portPath: String
    }

    /// The USB device under the tty at `devicePath` (/dev/ttyUSB0, or a link to it), read from `sys`;
    /// nil for a port that is not on USB (a built-in UART, a pty).
    public static func usbParent(ofTTY devicePath: String, sys: String = "/sys") -> USBParent? {
        let name = URL(fileURLWithPath: devicePath).resolvingSymlinksInPath().lastPathComponent
        let manager = FileManager.default
        // /sys/class/tty/NAME links to the tty's own folder, under its USB device's folders.
        guard var folder = try? manager.destinationOfSymbolicLink(atPath: "\(sys)/class/tty/\(name)") else { return nil }
        if !folder.hasPrefix("/") {
            folder = URL(fileURLWithPath: "\(sys)/class/tty/\(folder)").standardizedFileURL.path
        }
        func attribute(_ file: String, in directory: String) -> String? {
            guard let data = manager.contents(atPath: directory + "/" + file) else { return nil }
            let text = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            return text.isEmpty ? nil : text
        }
        var directory = folder
        while directory.count > sys.count, directory != "/" {
            if let vendor = attribute("idVendor", in: directory), let product = attribute("idProduct", in: directory) {
                return USBParent(vendorID: vendor, productID: product, serialNumber: attribute("serial", in: directory),
                                 portPath: URL(fileURLWithPath: directory).lastPathComponent)
            }
            directory = URL(fileURLWithPath: directory).deletingLastPathComponent().path
        }
        return nil
    }

    /// The udev rule that names the tty under `parent` as `kind`'s link, for kioskd's group; nil when
    /// the ids read from the device are not the four hex digits USB ids are.
    public static func rule(for kind: DeviceKind, parent: USBParent) -> String? {
        let hex = { (id: String) in id.count == 4 && id.allSatisfy(\.isHexDigit) }
        guard hex(parent.vendorID), hex(parent.productID) else { return nil }
        var match = "SUBSYSTEM==\"tty\", ATTRS{idVendor}==\"\(parent.vendorID)\", ATTRS{idProduct}==\"\(parent.productID)\""
        // A serial number goes into the rule only if udev would take it literally; otherwise, and
        // for bridges without one, the USB socket the device is plugged into tells it apart.
        if let serial = parent.serialNumber, plain(serial) {
            match += ", ATTRS{serial}==\"\(serial)\""
        } else if plain(parent.portPath) {
            match += ", KERNELS==\"\(parent.portPath)\""
        } else {
            return nil
        }
        let linkName = String(link(for: kind).dropFirst("/dev/".count))
        return match + ", SYMLINK+=\"\(linkName)\", GROUP=\"kioskd\", MODE=\"0660\""
    }

    private static func plain(_ value: String) -> Bool {
        !value.isEmpty && value.count <= 126 && value.unicodeScalars.allSatisfy { $0.isASCII && (CharacterSet.alphanumerics.contains($0) || "._-:".unicodeScalars.contains($0)) }
    }
}
