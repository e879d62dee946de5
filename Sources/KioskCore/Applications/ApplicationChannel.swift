/// 申报来源 and 评价渠道 (GB/T 39046): where an application or a rating came from.
public enum ApplicationChannel {
    /// 政务大厅自助终端: a self-service kiosk.
    public static let selfServiceTerminal = "5"
}
