/// Ethnic group by GB 3304-1991 code, as the ID card encodes it (two digits).
public struct Nation: Hashable, Sendable, CustomStringConvertible {
    /// The two-digit code, `01`–`56`, `97` or `98`.
    public let code: String
    /// The name as printed on the card: 汉, 蒙古, … (without 族).
    public let name: String

    /// Looks up a code; nil for a code not in GB 3304.
    public init?(code: String) {
        guard let name = Self.table[code] else { return nil }
        self.code = code
        self.name = name
    }

    public var description: String { name }

    /// Every code of GB 3304 with its name.
    public static let table: [String: String] = {
        let names = [
            "汉", "蒙古", "回", "藏", "维吾尔", "苗", "彝", "壮", "布依", "朝鲜",
            "满", "侗", "瑶", "白", "土家", "哈尼", "哈萨克", "傣", "黎", "傈僳",
            "佤", "畲", "高山", "拉祜", "水", "东乡", "纳西", "景颇", "柯尔克孜", "土",
            "达斡尔", "仫佬", "羌", "布朗", "撒拉", "毛南", "仡佬", "锡伯", "阿昌", "普米",
            "塔吉克", "怒", "乌孜别克", "俄罗斯", "鄂温克", "德昂", "保安", "裕固", "京", "塔塔尔",
            "独龙", "鄂伦春", "赫哲", "门巴", "珞巴", "基诺",
        ]
        var table: [String: String] = [:]
        for (index, name) in names.enumerated() {
            table[index + 1 < 10 ? "0\(index + 1)" : "\(index + 1)"] = name
        }
        table["97"] = "其他"
        table["98"] = "外国血统中国籍人士"
        return table
    }()
}
