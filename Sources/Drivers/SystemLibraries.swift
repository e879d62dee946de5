import CCups
import CLibUSB
import CSane

/// The system libraries the drivers link, for `kioskctl version` and bug reports.
public enum SystemLibraries {
    /// Name and version of each: libusb as loaded, libcups and the SANE API as built against.
    public static var versions: [(name: String, version: String)] {
        [
            ("libusb", libusbVersion()),
            ("libcups", "\(CUPS_VERSION_MAJOR).\(CUPS_VERSION_MINOR).\(CUPS_VERSION_PATCH)"),
            ("SANE API", "\(SANE_CURRENT_MAJOR).\(SANE_CURRENT_MINOR)"),
        ]
    }
}
