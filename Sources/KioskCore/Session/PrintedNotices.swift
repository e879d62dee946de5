/// What the kiosk prints besides the receipt, as pure functions of the visit
/// and the catalogue: the 办事指南, the 一次性告知单 of a case that is not
/// complete yet, and the application form an agent has signed. Their words
/// are Chinese whatever the screen's language: they are the printed record.
extension Notice {
    /// An item's (or a bundle's) whole 办事指南.
    public static func guide(for choice: ServiceChoice, settings: SessionSettings) -> Notice {
        let materials = choice.materials
        var sections = [Section("办理条件", choice.conditions.map(\.text))]
        sections.append(Section("申请材料", materials.filter(\.required).map { "\($0.name)（\($0.particulars)）" }))
        let optional = materials.filter { !$0.required }
        if !optional.isEmpty { sections.append(Section("可选材料", optional.map { "\($0.name)（\($0.particulars)）" })) }
        sections.append(Section("办理时限", choice.items.map(\.limitsText)))
        sections.append(Section("收费", choice.items.map { $0.fee.text + ($0.fee.note.map { "（\($0)）" } ?? "") }))
        sections.append(Section("结果送达", [choice.delivery.map(\.chinese).joined(separator: "、")]))
        sections.append(Section("设定依据", Array(Set(choice.items.flatMap(\.legalBasis))).sorted()))
        sections.append(Section("咨询与投诉", choice.items.map { "咨询电话 \($0.consultationPhone)；监督投诉电话 \($0.complaintPhone)" }))
        return Notice(title: "办事指南", stationName: settings.stationName, serviceName: choice.name, sections: sections,
                      qrCode: settings.guideURL(choice.code), qrCaption: "扫码查看办事指南", footer: ["本站电话 \(settings.stationPhone)"])
    }

    /// The 一次性告知单: what is missing and where each is obtained, the day booked to come back (if any), whom to call.
    public static func incomplete(_ visit: Visit, missing: [MissingRequirement], reservation: Reservation?, on today: CalendarDate,
                                  settings: SessionSettings) -> Notice {
        let materials = visit.choice?.materials ?? []
        let lines = missing.map { requirement -> String in
            switch requirement {
            case .material(let id, let name):
                let material = materials.first { $0.id == id }
                let how = material.map { "（\($0.particulars)）" } ?? ""
                return name + how + (material?.obtainFrom.map { "：到\($0)办理" } ?? "")
            case .field(_, let label, _): return "申请表“\(label)”需填写或更正"
            case .postalAddress: return "邮寄送达需要收件地址"
            case .applicant: return "申请人不符合办理要求，请咨询工作人员"
            }
        }
        var sections = [Section("申请人", [visit.resident?.maskedName ?? visit.enterprise?.name ?? ""]), Section("还需补齐", lines)]
        if let reservation {
            sections.append(Section("预约办理日期", ["\(reservation.date.chinese)，请带齐以上材料再来一次"] + (reservation.reference.map { ["预约号：\($0)"] } ?? [])))
        }
        sections.append(Section("告知日期", [today.chinese]))
        let phone = visit.choice?.items.first?.consultationPhone
        return Notice(title: "一次性告知单", stationName: settings.stationName, serviceName: visit.choice?.name ?? "", sections: sections,
                      qrCode: visit.choice.flatMap { settings.guideURL($0.code) }, qrCaption: "扫码查看办事指南",
                      footer: ["本站电话 \(settings.stationPhone)"] + (phone.map { ["事项咨询电话 \($0)"] } ?? []) + ["以上材料已一次性告知，补齐后只需再来一次"])
    }
}

extension ServiceItem {
    /// 法定 and 承诺 limits as the guide prints them.
    var limitsText: String {
        let promised = isImmediate ? "即办件：当场办结" : "承诺\(promisedLimit.workingDays)个工作日内办结"
        return "\(name)：法定\(statutoryLimit.workingDays)个工作日，\(promised)"
    }
}

extension SessionSettings {
    /// Where the QR code of an item's guide points; nil when the station has no guide address.
    func guideURL(_ code: String) -> String? { guideURLBase.isEmpty ? nil : guideURLBase + code }
}

extension ApplicationForm {
    /// The application form an agent prints on A4 for the resident to sign: the applicant and their
    /// certificate, every field, how the result comes, the materials, the declaration.
    static func forSignature(_ visit: Visit, form values: [String: String], number: String, agent: RegisteredAgent?, settings: SessionSettings) -> ApplicationForm? {
        guard let choice = visit.choice else { return nil }
        var fields: [Field] = []
        if let resident = visit.resident {
            fields += [Field("申请人", resident.name), Field("证件类型", resident.certificate.chinese), Field("证件号码", resident.number)]
        } else if let enterprise = visit.enterprise {
            fields += [Field("申请单位", enterprise.name), Field("统一社会信用代码", enterprise.creditCode.value)]
        }
        for field in choice.formFields where field.fromIdentity != .name && field.fromIdentity != .idNumber {
            fields.append(Field(field.label, values[field.id] ?? ""))
        }
        let delivery = visit.delivery ?? .stationPickup
        fields.append(Field("结果送达", delivery.chinese))
        if delivery == .post, let address = visit.postalAddress { fields.append(Field("邮寄地址", address)) }
        let provided = choice.materials.compactMap { material -> String? in
            switch visit.materials[material.id] {
            case .scanned(let pages)?: "\(material.name)（扫描\(pages.count)页）"
            case .eCertificate?: "\(material.name)（电子证照）"
            case .platform?: "\(material.name)（平台调取）"
            case nil: nil
            }
        }
        fields.append(Field("已交材料", provided.isEmpty ? "无" : provided.joined(separator: "、")))
        var declaration = "本人承诺以上信息及所交材料真实、有效，如有虚假，愿承担相应法律责任。"
        var signatures = ["申请人（签字）"]
        if let agent {
            declaration += "本人委托本站代办员\(agent.masked)代为办理本事项。"
            signatures.append("代办人（签字）")
        }
        return ApplicationForm(title: "\(choice.name)申请表", trackingNumber: number, stationName: settings.stationName, fields: fields,
                               declaration: declaration, signatures: signatures)
    }
}
