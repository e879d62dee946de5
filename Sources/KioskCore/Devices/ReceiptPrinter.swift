import Synchronization

/// A receipt printer: a ``Device`` that prints ``Receipt``s and knows which
/// it has printed, so a reprint after a fault says 重印 and a receipt is
/// never silently printed twice.
public protocol ReceiptPrinter: Device {
    /// Prints a receipt. Refused (nothing printed) when the printer is
    /// faulted or the receipt was printed before and this is not a reprint.
    /// A receipt whose earlier attempt failed part-way is printed as a reprint.
    func printReceipt(_ receipt: Receipt) async throws(DeviceError) -> PrintOutcome
    /// Prints a notice (一次性告知单, 办事指南): no journal, a second copy is just another copy.
    func printNotice(_ notice: Notice) async throws(DeviceError)
    /// Asks the printer for its status now.
    func refreshStatus() async -> DeviceStatus
}

/// An A4 printer: documents laid out in lines (a form for signature, a guide), printed as PDF.
public protocol DocumentPrinter: Device {
    /// Prints `document` and waits until the spooler has it; `title` names the job (no personal data).
    func printDocument(_ document: PrintDocument, title: String) async throws(DeviceError)
}

/// How a print went.
public struct PrintOutcome: Sendable, Hashable {
    /// The receipt printed.
    public var receiptID: String
    /// Whether it was marked 重印 (reprint).
    public var reprint: Bool
    /// Conditions worth telling someone about, such as paper low.
    public var warnings: Set<DeviceCondition>

    /// Creates an outcome.
    public init(receiptID: String, reprint: Bool, warnings: Set<DeviceCondition>) {
        self.receiptID = receiptID
        self.reprint = reprint
        self.warnings = warnings
    }
}

/// What a printer remembers about each receipt it was given.
public protocol ReceiptJournal: Sendable {
    /// The receipt's state, nil if never attempted.
    func state(of receiptID: String) -> ReceiptPrintState?
    /// Records the receipt's state.
    func record(_ receiptID: String, _ state: ReceiptPrintState)
}

/// Where a receipt stands.
public enum ReceiptPrintState: String, Sendable, Hashable {
    /// Printed completely.
    case printed
    /// An attempt failed; some of it may have come out, so the next print is a reprint.
    case unprinted
}

/// A journal in memory, lost on restart. (The outbox keeps the lasting record
/// of which applications were receipted.)
public final class MemoryReceiptJournal: ReceiptJournal {
    private let states = Mutex<[String: ReceiptPrintState]>([:])

    /// Creates an empty journal.
    public init() {}

    public func state(of receiptID: String) -> ReceiptPrintState? { states.withLock { $0[receiptID] } }

    public func record(_ receiptID: String, _ state: ReceiptPrintState) { states.withLock { $0[receiptID] = state } }
}
