import SystemIO

/// A reason the outbox cannot do what it was asked, worded for whoever acts
/// on it. Callers that react to a kind of failure look at ``code``, never at
/// the words.
///
///     catch let error as OutboxError where error.code == .diskFull { … tell the resident, print nothing }
public struct OutboxError: Error, CustomStringConvertible, Sendable {
    /// The kind of failure. New codes are static members, so adding one breaks no caller.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        /// Stable name, for logs.
        public let rawValue: String
        init(_ rawValue: String) { self.rawValue = rawValue }

        /// The disk is full: nothing was saved, no receipt may be printed.
        public static let diskFull = Code("disk_full")
        /// Nothing can be sealed: the platform's public key was not readable.
        public static let noPlatformKey = Code("no_platform_key")
        /// The platform's key file cannot be read or is not a public key.
        public static let badPlatformKey = Code("bad_platform_key")
        /// There is no outbox where one was looked for.
        public static let notFound = Code("not_found")
        /// The outbox's layout is newer or older than this program knows.
        public static let wrongLayout = Code("wrong_layout")
        /// The database or its folder cannot be opened or created.
        public static let cannotOpen = Code("cannot_open")
        /// A write failed (not for lack of space): nothing was saved.
        public static let writeFailed = Code("write_failed")
        /// The day's tracking numbers are used up.
        public static let numbersExhausted = Code("numbers_exhausted")
        /// The outbox holds less than this station issued (lost, or restored from an
        /// older copy): nothing new is accepted, so no tracking number is issued twice.
        public static let wentBack = Code("went_back")
        /// The database file itself is damaged: it is left as it is, and kioskd does not start on it.
        public static let damagedDatabase = Code("damaged_database")
        /// A stored row cannot be read as what it should be (damaged or tampered with).
        public static let damagedRow = Code("damaged_row")
        /// The application breaks a limit of the platform's: it would be refused, so it is not saved.
        public static let beyondPlatformLimits = Code("beyond_platform_limits")

        /// The code's name.
        public var description: String { rawValue }
    }

    /// The kind of failure.
    public var code: Code
    /// What happened and what to do.
    public var description: String

    /// Creates an error.
    public init(_ code: Code, _ description: String) {
        self.code = code
        self.description = description
    }

    /// A damaged database file, and how to recover without losing what it holds.
    static func damaged(_ directory: String, _ detail: String) -> OutboxError {
        OutboxError(.damagedDatabase, """
            the outbox database \(directory)/outbox.sqlite is damaged (SQLite: \(detail)). kioskd has left it exactly as it is and \
            will not start on it. Copy the folder \(directory) aside for the supplier (it may hold applications not yet sent), then \
            restore the outbox from the station's latest backup; without one, move the damaged folder away: kioskd then starts a \
            new outbox and takes no application until `kioskctl queue accept-loss` (docs/outbox.md)
            """)
    }

    /// The disk is full: said the same way wherever it is noticed.
    static let diskFull = OutboxError(.diskFull, "the kiosk's disk is full: the application was not saved and no receipt was printed. Free space (see `kioskctl queue` for what waits to be sent), then submit again")
}

extension OutboxError {
    /// A durable write that failed while saving an application: a full disk is said so.
    init(_ failure: DurableFiles.Failure) {
        self = failure.isDiskFull ? .diskFull
            : OutboxError(.writeFailed, "the outbox could not save the application (\(failure)); nothing was saved and no receipt was printed")
    }
}
