/// What an ID-card reader tells the session.
public enum CardEvent: Sendable, CustomStringConvertible {
    /// A card was placed and read; its identity checks out.
    case presented(ResidentIdentity)
    /// A card was read but fails its checks (expired, number and birth date
    /// disagree): the resident is told why, and it is not used.
    case refused(ResidentIdentity, IdentityError)
    /// A card is on the reader but cannot be read; the reader keeps trying.
    case unreadable(DeviceError)
    /// The card was taken off (or the reader went away with it on).
    case removed

    /// Masked: safe for logs.
    public var description: String {
        switch self {
        case .presented(let identity): "card presented: \(identity.cardType.rawValue) \(identity.maskedNumber)"
        case .refused(let identity, let error): "card refused: \(identity.maskedNumber): \(error.message)"
        case .unreadable(let error): "card unreadable: \(error.message)"
        case .removed: "card removed"
        }
    }
}

/// An ID-card reader: a ``Device`` that reports cards placed and removed.
///
/// ```swift
/// for await event in reader.cardEvents() {
///     if case .presented(let resident) = event { session.identify(resident) }
/// }
/// ```
public protocol CardReader: Device {
    /// Card events from now on, one stream per caller.
    func cardEvents() -> AsyncStream<CardEvent>
}
