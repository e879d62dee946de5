extension ApplicationSubmission {
    /// The GB/T 39046 办事申请 record of a visit's matter: applicant and
    /// certificate, the form (`form`, typed or from the card), how the result
    /// comes, the agent's consent, and each material scanned or obtained
    /// otherwise. Nil when the visit has no matter chosen or no applicant.
    static func record(of visit: Visit, form values: [String: String], agent: RegisteredAgent?, regionCode: String) -> ApplicationSubmission? {
        guard let choice = visit.choice else { return nil }
        let applicantName: String, certificateType: String, certificateName: String, certificateNumber: String
        if let enterprise = visit.enterprise {
            applicantName = enterprise.name
            certificateType = CertificateType.unifiedSocialCreditCode
            certificateName = "统一社会信用代码"
            certificateNumber = enterprise.creditCode.value
        } else if let resident = visit.resident {
            applicantName = resident.name
            certificateType = resident.certificate.code
            certificateName = resident.certificate.chinese
            certificateNumber = resident.number
        } else {
            return nil
        }
        var form = values
        form["delivery"] = visit.delivery?.rawValue ?? DeliveryMethod.stationPickup.rawValue
        if visit.delivery == .post { form["postal_address"] = visit.postalAddress }
        if let consent = visit.consent {
            form["proxy_consent"] = "agent \(consent.agentID) consent by \(consent.residentMasked) at \(Int(consent.at))"
        }
        form["items"] = choice.items.map(\.code).joined(separator: ",")
        var byOther: [String: String] = [:]
        var attachments: [Attachment] = []
        for material in choice.materials {
            switch visit.materials[material.id] {
            case .scanned(let pages)?:
                attachments += pages.map { Attachment(material: material.id, mediaType: $0.mediaType, data: $0.data) }
            case .eCertificate(let type)?: byOther[material.id] = "e_certificate:\(type)"
            case .platform?: byOther[material.id] = "platform"
            case nil: break
            }
        }
        return ApplicationSubmission(
            serviceCode: choice.items.count == 1 ? choice.items[0].implementationCode : choice.code, serviceName: choice.name,
            applicantName: applicantName, applicantCertificateType: certificateType, applicantCertificateName: certificateName,
            applicantCertificateNumber: certificateNumber,
            phone: form["phone"], agent: agent?.masked, form: form, materialsByOther: byOther, channel: ApplicationChannel.selfServiceTerminal,
            regionCode: regionCode, attachments: attachments)
    }
}
