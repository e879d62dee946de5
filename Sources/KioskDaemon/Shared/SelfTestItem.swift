/// One line of the self-test's report (`kioskctl selftest`).
struct SelfTestItem: Codable, Sendable {
    var component: String
    var check: String
    var outcome: String
    var detail: String
    /// What to try when it failed.
    var fix: String?
}
