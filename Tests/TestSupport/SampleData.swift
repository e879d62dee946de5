import KioskCore

/// A plausible receipt; all sample data.
public func sampleReceipt(reprint: Bool = false, applicant: String = "王*国") -> Receipt {
    Receipt(
        id: "R-340104-20261126-0007", trackingNumber: "340104-20261126-0007-K", stationName: "示例镇幸福村为民服务全程代理站",
        serviceName: "城乡居民基本养老保险参保登记", applicant: applicant, agent: "李*",
        submittedAt: "2026年11月26日 10:32",
        materials: [
            .init(name: "居民身份证", how: "电子证照"), .init(name: "户口簿首页及本人页", how: "扫描 2 页"),
            .init(name: "银行账户信息", how: "平台调取"),
        ],
        promise: .by(CalendarDate(year: 2026, month: 12, day: 8)!), delivery: "到本站领取（示例村委会一楼）",
        trackingURL: "https://zwfw.example.gov.cn/track/340104-20261126-0007-K", enquiries: "咨询电话：0551-12345",
        isReprint: reprint)
}

/// A sample form for signature; all sample data.
public func sampleForm() -> ApplicationForm {
    ApplicationForm(
        title: "城乡居民基本养老保险参保登记表", trackingNumber: "340104-20261126-0007-K", stationName: "示例镇幸福村为民服务全程代理站",
        fields: [
            .init("姓名", "王*国"), .init("公民身份号码", "3401**********0519"), .init("参保险种", "城乡居民基本养老保险"),
            .init("缴费档次", "每年 500 元"), .init("联系电话", "139****0000"),
            .init("户籍地址", "安徽省合肥市蜀山区示例街道幸福村三组12号（示例地址，长文本会换行对齐到值的列）"),
        ],
        declaration: "本人承诺所填信息真实有效，如有虚假，愿承担相应法律责任。",
        signatures: ["申请人（签字）", "代办人（签字）"])
}

