/// A reason kioskd cannot start, worded for the maintainer who reads it.
public struct StartupError: Error, CustomStringConvertible {
    /// What is wrong and what to do.
    public var description: String
    /// The exit status that says it; nil for the usual 1, which systemd restarts on.
    public var exitStatus: Int32?
    /// Whether kioskd can wait it out with a paused screen (an outbox that
    /// does not open yet) rather than stop.
    var pausesKiosk = false

    init(_ description: String, exitStatus: Int32? = nil, pausesKiosk: Bool = false) {
        self.description = description
        self.exitStatus = exitStatus
        self.pausesKiosk = pausesKiosk
    }

    /// sysexits.h EX_DATAERR: kioskd's own data is damaged. The unit does not
    /// restart on it (RestartPreventExitStatus), since a restart would meet
    /// the same damage and hide it behind a loop.
    public static let damagedData: Int32 = 65
}
