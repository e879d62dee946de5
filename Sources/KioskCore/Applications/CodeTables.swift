/// 申请者证件类型代码 (GA/T 2000.156, as GB/T 39046 applications carry it)
/// for the certificates a station's applicants hold.
public enum CertificateType {
    /// 统一社会信用代码: an enterprise or organisation, served by an agent.
    public static let unifiedSocialCreditCode = "001"
    /// 居民身份证.
    public static let residentID = "111"
    /// 其他: the permits, until the platform's code table names them (docs/identity.md).
    public static let other = "990"
}

/// 申报来源 and 评价渠道 (GB/T 39046): where an application or a rating came from.
public enum ApplicationChannel {
    /// 政务大厅自助终端: a self-service kiosk.
    public static let selfServiceTerminal = "5"
}
