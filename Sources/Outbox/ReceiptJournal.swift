import GRDB
import KioskCore

/// The receipt printer's journal, kept with the applications: which receipts
/// came out whole and which failed part-way, so a reprint says 重印 after a
/// restart as before it.
extension Outbox: ReceiptJournal {
    public func state(of receiptID: String) -> ReceiptPrintState? {
        do {
            return try pool.read { db in
                try ReceiptPrintRow.fetchOne(db, key: receiptID).flatMap { ReceiptPrintState(rawValue: $0.state) }
            }
        } catch {
            logger.error("the receipt printer's journal could not be read: \(error)")
            return nil
        }
    }

    public func record(_ receiptID: String, _ state: ReceiptPrintState) {
        do {
            try pool.write { db in
                try ReceiptPrintRow(receiptId: receiptID, state: state.rawValue, updatedAt: settings.now()).insert(db, onConflict: .replace)
            }
        } catch {
            // The receipt prints all the same; a later copy of it might not say 重印.
            logger.error("the receipt printer's journal could not be written (\(receiptID) \(state.rawValue)): \(error)")
        }
    }
}

/// The agents' PIN lock-out, kept with the applications (and as durably: FULL sync).
extension Outbox: AgentLockoutStore {
    public func agentLockouts() throws -> [AgentLockoutRecord] {
        try pool.read { db in
            try AgentLockoutRow.fetchAll(db).map { AgentLockoutRecord(agentID: $0.agentId, failures: $0.failures, lockedUntil: $0.lockedUntil, locks: $0.locks) }
        }
    }

    public func keep(_ record: AgentLockoutRecord) throws {
        try pool.write { db in
            try AgentLockoutRow(agentId: record.agentID, failures: record.failures, lockedUntil: record.lockedUntil, locks: record.locks)
                .insert(db, onConflict: .replace)
        }
    }
}
