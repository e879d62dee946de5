/// The station's agents (代办员) as the maintainer registers them in
/// `agents.json`: each agent's ID card is their agent card, and their PIN is
/// kept only as a salted, slow hash (`kioskctl agent hash-pin` makes one).
///
///     {"agents": [{"id": "agent01", "name": "王建国", "card_number": "34010419800101031X",
///                  "pin_hash": "scrypt$15$8$1$…$…"}]}
public struct AgentDirectory: Sendable, Equatable {
    public struct Entry: Sendable, Equatable {
        public var agent: RegisteredAgent
        /// `scrypt$logN$r$p$salt-base64$hash-base64`.
        public var pinHash: String
        public init(agent: RegisteredAgent, pinHash: String) {
            self.agent = agent
            self.pinHash = pinHash
        }
    }

    public var entries: [Entry]

    public init(entries: [Entry]) { self.entries = entries }

    public var agents: [RegisteredAgent] { entries.map(\.agent) }

    public func pinHash(for agentID: String) -> String? { entries.first { $0.agent.id == agentID }?.pinHash }

    /// Reads an agents file, refusing it with the agent and field at fault.
    public static func load(json bytes: [UInt8]) throws(DataFileError) -> AgentDirectory {
        let root: JSONNode
        do { root = try JSONNode.parse(bytes) } catch {
            throw DataFileError(file: "agents", line: error.line, item: nil, field: "", message: "not valid JSON at column \(error.column): \(error.message)")
        }
        let top = try FieldReader(file: "agents", node: root)
        try top.onlyKeys(["$schema", "agents"])
        var entries: [Entry] = []
        for base in try top.objects("agents") {
            var reader = base
            let id = try reader.identifier("id")
            reader.item = id
            reader.path = ""
            try reader.onlyKeys(["id", "name", "card_number", "pin_hash"])
            let number = try reader.string("card_number")
            do { _ = try ResidentIDNumber(number) } catch {
                throw reader.fail("must be the agent's 18-character ID number: \(error.message)", key: "card_number", at: reader.node["card_number"])
            }
            let hash = try reader.string("pin_hash")
            guard PINHashFormat(hash) != nil else {
                throw reader.fail("must be a hash made by `kioskctl agent hash-pin` (scrypt$15$8$1$salt$hash), never the PIN itself", key: "pin_hash", at: reader.node["pin_hash"])
            }
            guard !entries.contains(where: { $0.agent.id == id || $0.agent.cardNumber == number }) else {
                throw reader.fail("the id or the card number is already registered for another agent", key: "id", at: reader.node["id"])
            }
            entries.append(Entry(agent: RegisteredAgent(id: id, cardNumber: number, name: try reader.string("name")), pinHash: hash))
        }
        return AgentDirectory(entries: entries)
    }
}

/// The parts of a stored PIN hash.
public struct PINHashFormat: Sendable, Equatable {
    /// log2 of scrypt's N.
    public var logN: Int
    public var blockSize: Int
    public var parallelism: Int
    public var salt: String
    public var hash: String

    /// Parses `scrypt$15$8$1$salt$hash`.
    public init?(_ text: String) {
        let parts = text.split(separator: "$", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 6, parts[0] == "scrypt", let logN = Int(parts[1]), (14...20).contains(logN), let r = Int(parts[2]), (1...16).contains(r),
              let p = Int(parts[3]), (1...4).contains(p), parts[4].count >= 16, parts[5].count >= 32 else { return nil }
        self.logN = logN
        blockSize = r
        parallelism = p
        salt = parts[4]
        hash = parts[5]
    }
}

/// Wrong PINs lock an agent out: after `limit` wrong tries in a row, for
/// `lockSeconds` (5 and 15 minutes), and each lock that follows another with
/// no right PIN between lasts twice the last, up to a day. It outlives
/// sessions (a thief cannot reset it by walking away) and, kept in the state
/// database (``AgentLockoutStore``), restarts. Kept per agent; time is given, not read.
public struct AgentLockout: Sendable, Equatable {
    public var limit = 5
    public var lockSeconds: Double = 15 * 60
    public static let longestLock: Double = 24 * 3600
    private var records: [String: AgentLockoutRecord] = [:]

    public init(limit: Int = 5, lockSeconds: Double = 15 * 60, records: [AgentLockoutRecord] = []) {
        self.limit = limit
        self.lockSeconds = lockSeconds
        for record in records { self.records[record.agentID] = record }
    }

    /// Until when the agent is locked out, if they are at `now`.
    public func locked(_ agentID: String, now: Double) -> Double? {
        records[agentID]?.lockedUntil.flatMap { $0 > now ? $0 : nil }
    }

    /// Every agent locked out at `now`, and until when.
    public func lockedAgents(now: Double) -> [(agentID: String, until: Double)] {
        records.values.compactMap { record in locked(record.agentID, now: now).map { (record.agentID, $0) } }.sorted { $0.agentID < $1.agentID }
    }

    /// The agent's standing, as kept.
    public func record(of agentID: String) -> AgentLockoutRecord { records[agentID] ?? AgentLockoutRecord(agentID: agentID) }

    /// Records a check's outcome and says what to tell the agent. While
    /// locked, even the right PIN is refused (and not counted).
    public mutating func record(_ agentID: String, correct: Bool, now: Double) -> AgentPINResult {
        if let until = locked(agentID, now: now) { return .locked(until: until) }
        var record = record(of: agentID)
        // A lock that ran out: the tries start again; the next lock remembers this one.
        if record.lockedUntil != nil { (record.lockedUntil, record.failures) = (nil, 0) }
        defer { records[agentID] = record }
        if correct {
            record = AgentLockoutRecord(agentID: agentID)
            return .accepted
        }
        record.failures += 1
        guard record.failures >= limit else { return .wrong(triesLeft: limit - record.failures) }
        let until = now + min(lockSeconds * Double(1 << min(record.locks, 16)), Self.longestLock)
        record.locks += 1
        record.lockedUntil = until
        return .locked(until: until)
    }
}

/// One agent's standing in the lock-out, as the state database keeps it.
public struct AgentLockoutRecord: Sendable, Equatable {
    public var agentID: String
    /// Wrong PINs in a row since the last right one or the last lock.
    public var failures: Int
    /// Until when the agent is locked out (Unix seconds), if a lock was set.
    public var lockedUntil: Double?
    /// Locks in a row with no right PIN between: the next lasts 2^locks × the first.
    public var locks: Int

    public init(agentID: String, failures: Int = 0, lockedUntil: Double? = nil, locks: Int = 0) {
        self.agentID = agentID
        self.failures = failures
        self.lockedUntil = lockedUntil
        self.locks = locks
    }
}

/// Where the lock-out is kept across restarts (the outbox's database).
public protocol AgentLockoutStore: Sendable {
    func agentLockouts() throws -> [AgentLockoutRecord]
    func keep(_ record: AgentLockoutRecord) throws
}
