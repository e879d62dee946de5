import GRDB

/// The outbox's tables, created and changed by named migrations in order:
/// a kiosk that has run any earlier version is brought forward on opening.
extension Outbox {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("2026-11-26 create applications and attachments") { db in
            try db.execute(sql: """
                CREATE TABLE application (
                    id INTEGER PRIMARY KEY,
                    tracking_number TEXT NOT NULL UNIQUE,
                    idempotency_key TEXT NOT NULL UNIQUE,
                    service_code TEXT NOT NULL,
                    service_name TEXT NOT NULL,
                    applicant_masked TEXT NOT NULL,
                    state TEXT NOT NULL,
                    created_at REAL NOT NULL,
                    attempts INTEGER NOT NULL DEFAULT 0,
                    next_attempt_at REAL,
                    last_error TEXT,
                    case_number TEXT,
                    acknowledged_at REAL,
                    platform_status TEXT,
                    platform_status_detail TEXT,
                    envelope BLOB,
                    envelope_sha256 TEXT NOT NULL,
                    bytes INTEGER NOT NULL,
                    problem TEXT
                );
                CREATE INDEX application_due ON application(state, next_attempt_at);
                CREATE TABLE attachment (
                    application_id INTEGER NOT NULL REFERENCES application(id) ON DELETE CASCADE,
                    position INTEGER NOT NULL,
                    file_name TEXT NOT NULL UNIQUE,
                    bytes INTEGER NOT NULL,
                    sha256 TEXT NOT NULL,
                    uploaded_bytes INTEGER NOT NULL DEFAULT 0,
                    PRIMARY KEY (application_id, position)
                );
                CREATE TABLE tracking_sequence (day TEXT PRIMARY KEY, last INTEGER NOT NULL);
                """)
        }
        registerAuditMigration(&migrator)
        migrator.registerMigration("2026-11-27 applicant lookup key") { db in
            try db.execute(sql: """
                ALTER TABLE application ADD COLUMN applicant_key TEXT;
                CREATE INDEX application_applicant ON application(applicant_key) WHERE applicant_key IS NOT NULL;
                """)
        }
        migrator.registerMigration("2026-11-27 ratings") { db in
            // 好差评, one per case; sent once the platform has given the case its number.
            try db.execute(sql: """
                CREATE TABLE rating (
                    tracking_number TEXT PRIMARY KEY,
                    satisfaction INTEGER NOT NULL,
                    reasons TEXT NOT NULL,
                    rated_at REAL NOT NULL,
                    sent_at REAL,
                    last_error TEXT
                )
                """)
        }
        migrator.registerMigration("2026-11-27 receipts kept for reprinting") { db in
            // The receipt as printed: masked, nothing personal (docs/outbox.md).
            try db.execute(sql: "ALTER TABLE application ADD COLUMN receipt TEXT")
        }
        migrator.registerMigration("2026-11-27 summary from indexes") { db in
            // /healthz, kioskctl status and every metrics scrape ask for the summary: with
            // 100,000 queued, scanning the table (envelopes and all) took 140 ms. The due
            // index now also covers the age and the bytes waiting; the last error and the
            // flagged rows have partial indexes (empty while all is well, so enqueues pay nothing).
            try db.execute(sql: """
                DROP INDEX application_due;
                CREATE INDEX application_due ON application(state, next_attempt_at, created_at, bytes);
                CREATE INDEX application_flagged ON application(id) WHERE problem IS NOT NULL;
                CREATE INDEX application_erred ON application(next_attempt_at) WHERE last_error IS NOT NULL AND state != 'acknowledged';
                """)
        }
        migrator.registerMigration("2026-12-04 rating comments and the receipt printer's journal") { db in
            // A rating's 文字评价 waits sealed to the platform's key (it may name people), bound to comment_id.
            // Which receipts came out of the printer, so a reprint after a restart still says 重印.
            try db.execute(sql: """
                ALTER TABLE rating ADD COLUMN comment TEXT;
                ALTER TABLE rating ADD COLUMN comment_id TEXT;
                CREATE TABLE receipt_print (receipt_id TEXT PRIMARY KEY, state TEXT NOT NULL, updated_at REAL NOT NULL);
                """)
        }
        migrator.registerMigration("2026-12-05 agent lock-outs") { db in
            // Wrong PINs and locks outlive a restart: a thief cannot reset them by pulling the plug.
            try db.execute(sql: """
                CREATE TABLE agent_lockout (agent_id TEXT PRIMARY KEY, failures INTEGER NOT NULL, locked_until REAL, locks INTEGER NOT NULL);
                """)
        }
        migrator.registerMigration("2026-12-08 case events") { db in
            // The platform's events about the station's cases (docs/platform-api.yaml, the event stream), each
            // kept once under the platform's id, and the cursor past the last one applied: both in the
            // transaction that applies them. `state`: applied, waiting (its case not acknowledged yet:
            // applied with the acknowledgement) or flagged (it did not read, or names a case the station
            // does not hold). On the application, what the latest events said beyond status and detail.
            try db.execute(sql: """
                CREATE TABLE case_event (
                    id INTEGER PRIMARY KEY,
                    tracking_number TEXT,
                    case_number TEXT,
                    kind TEXT,
                    at TEXT,
                    detail TEXT,
                    requested TEXT,
                    ems_number TEXT,
                    fee_fen INTEGER,
                    state TEXT NOT NULL,
                    problem TEXT
                );
                CREATE INDEX case_event_case ON case_event(tracking_number, state);
                CREATE TABLE case_event_cursor (id INTEGER PRIMARY KEY CHECK (id = 1), last_event_id INTEGER NOT NULL);
                ALTER TABLE application ADD COLUMN requested TEXT;
                ALTER TABLE application ADD COLUMN ems_number TEXT;
                ALTER TABLE application ADD COLUMN fee_fen INTEGER;
                ALTER TABLE application ADD COLUMN fee_paid INTEGER;
                """)
        }
        return migrator
    }
}
