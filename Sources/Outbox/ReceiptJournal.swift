import GRDB
import KioskCore

/// The receipt printer's journal, kept with the applications: which receipts
/// came out whole and which failed part-way, so a reprint says 重印 after a
/// restart as before it.
extension Outbox: ReceiptJournal {
    public func state(of receiptID: String) -> ReceiptPrintState? {
        do {
            return try pool.read { db in
                try String.fetchOne(db, sql: "SELECT state FROM receipt_print WHERE receipt_id = ?", arguments: [receiptID]).flatMap(ReceiptPrintState.init(rawValue:))
            }
        } catch {
            logger.error("the receipt printer's journal could not be read: \(error)")
            return nil
        }
    }

    public func record(_ receiptID: String, _ state: ReceiptPrintState) {
        do {
            try pool.write { db in
                try db.execute(sql: "INSERT OR REPLACE INTO receipt_print (receipt_id, state, updated_at) VALUES (?, ?, ?)",
                               arguments: [receiptID, state.rawValue, settings.now()])
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
            try Row.fetchAll(db, sql: "SELECT agent_id, failures, locked_until, locks FROM agent_lockout").map { row in
                AgentLockoutRecord(agentID: row["agent_id"], failures: row["failures"], lockedUntil: row["locked_until"], locks: row["locks"])
            }
        }
    }

    public func keep(_ record: AgentLockoutRecord) throws {
        try pool.write { db in
            try db.execute(sql: "INSERT OR REPLACE INTO agent_lockout (agent_id, failures, locked_until, locks) VALUES (?, ?, ?, ?)",
                           arguments: [record.agentID, record.failures, record.lockedUntil, record.locks])
        }
    }
}
