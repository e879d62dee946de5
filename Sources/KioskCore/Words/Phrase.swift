/// Every sentence the session says. A phrase's words live in the strings
/// files under `say.` and its name; the comment is the Chinese, for reading
/// the code. Values a template uses are in braces.
public enum Phrase: String, Sendable, CaseIterable, Hashable {
    // How the language writes dates and joins lists.
    /// {year}年{month}月{day}日 (also {month_name}).
    case date
    /// The month names, separated by spaces.
    case monthNames
    /// 、
    case listSeparator
    /// ；
    case clauseSeparator
    /// Between whole sentences: nothing in Chinese, a space in English.
    case sentenceSeparator
    /// 无 (a list with nothing in it).
    case nothing
    /// {text}: words from elsewhere (the platform's reason for a 退回), shown as they came.
    case asGiven

    // Every screen's prompt when nothing more particular was said on it.
    case promptAttract, promptHome, promptBrowse, promptGuide, promptForm, promptMaterials, promptScanning, promptIncomplete,
         promptReserved, promptReview, promptReceipt, promptRating, promptDone, promptMyCases, promptConsultation,
         promptConsultationSent, promptPaused, promptAgentPIN, promptAgentConsole, promptStationCases, promptProxyConsent, promptEnterprise,
         promptConditions, promptIneligible, promptPage

    // Cards and the start of a visit.
    /// {name}，您好。请选择要办理的事项…
    case greeting
    case welcomeBack, kioskInUse, cardTakenPaused
    /// 网络未连通，呼叫没能送出。请到服务窗口找工作人员，或拨打本站电话{phone}。
    case staffCallUnreached
    /// 请取走您的身份证。 / 谢谢，欢迎再来。
    case takeYourCard, cardTakenThanks
    case cardRefusedExpired, cardRefusedDamaged, cardUnreadable
    case elderlyOn, elderlyOnDuringVisit, elderlyOff
    /// {name}，您好。已为您打开长辈模式… (a card of 60 or older)
    case greetingElderly
    /// 您选择了{choice}。 / {label}已填好。 (said back in elderly mode)
    case chosenConfirmed, fieldConfirmed
    /// 本机暂停服务：{reason}。请联系工作人员，电话{phone}。
    case outOfService
    /// Why: the kiosk's records are incomplete.
    case outOfServiceOutbox
    /// Why: the platform's key is not installed, so nothing can be sent.
    case outOfServiceKey
    /// Why: the kiosk's storage is full.
    case outOfServiceDisk
    /// Why: the kiosk's records of applications cannot be opened.
    case outOfServiceUnopened
    /// 您还在办理吗？{seconds}秒后…
    case idleWarning

    // Agents.
    /// 代办员{agent}，请输入密码。
    case agentPINPrompt
    case agentLoggedIn
    /// 已呼叫工作人员… (on every screen).
    case staffCalled
    /// 密码错误，还可尝试{tries}次。
    case pinWrong
    /// 已锁定{minutes}分钟。
    case pinLocked
    case agentBusy, proxyEnded, consentRecorded
    /// {resident}，代办员{agent}将为您代办…
    case proxyConsentPrompt
    case enterprisePrompt, enterpriseNameMissing
    /// 统一社会信用代码有误：{reason}
    case creditCodeWrong
    case creditCodeLength, creditCodeCharacter, creditCodeCheck

    // Choosing a service.
    case chooseLifeEvent, chooseDepartment
    /// 没有找到与“{query}”有关的事项…
    case searchNothing
    /// “{service}”只能由个人申请。
    case onlyPerson
    case onlyOrganisation, noProxy
    /// {service}。办理条件：{conditions}。需要的材料：{materials}。{promise}。…
    case guide
    /// {name}，{form}{copies}份{notes}{platform}: a material as the guide says it.
    case guideMaterial
    /// ，{note} / ，可由平台调取 / 可选材料：{materials}。
    case guideNote, guidePlatform, guideOptional
    /// 原件 / 复印件 / 电子件 / {first}或{second}
    case formOriginal, formCopy, formElectronic, formEither
    /// 不收费 / 收费{yuan}元
    case feeNone, feeAmount

    // Conditions (受理条件): what the card answers, what the resident confirms.
    /// 您今年{age}周岁，本事项要求年满{years}周岁 …
    case ruleAgeAtLeast, ruleAgeBelow, ruleOnlyWomen, ruleOnlyMen, ruleNoHousehold, ruleHouseholdElsewhere, ruleCertificate
    /// {reason}，暂时不能办理“{service}”。{instead}如有疑问…拨打{phone}。
    case ineligible
    /// 您可以改办“{item}”。
    case ineligibleInstead
    case conditionsPrompt
    /// 已确认：{condition}。 / 您不符合“{condition}”这一条件 / 还有{count}条条件没有确认…
    case conditionConfirmed, conditionDenied, conditionsOpen

    /// 受理后即时办理 (a 即办件: never 当场办结 before the platform has concluded it)
    case promiseSameDay
    /// 承诺{days}个工作日内办结
    case promiseWithin
    /// 承诺办结日期{date}
    case promiseBy
    /// 承诺{days}个工作日内办结（{year}年节假日安排尚未公布…）
    case promiseUnpublished

    // The form.
    case formPrompt
    /// {label}：{problem}
    case fieldProblem
    case fieldRequired, fieldAddress, fieldInteger, fieldPhone, fieldDate, fieldChoice
    /// 最多{max}个字
    case fieldTooLong
    /// 不能小于{min} / 不能大于{max}
    case fieldAtLeast, fieldAtMost
    case fieldIDLength, fieldIDDate, fieldIDCheck, fieldIDCharacters, fieldBankDigits, fieldBankCheck
    case phoneLabel

    // Materials.
    /// 请提供以下材料：{materials}。
    case materialsPrompt, materialsPromptECertificates, materialsPromptOffline
    /// 请将{material}正面朝下放入扫描区。(…共约{pages}页)
    case scanPrompt, scanPromptPages
    /// {material}已扫描{pages}页。(…其中{blank}页空白已略去)
    case scanned, scannedSkippingBlank, scannedPastLimit
    case scanBlank
    /// {material}第{page}页，共{pages}页… / 已删除{material}第{page}页，还剩{pages}页。
    case pageShown, pageDiscarded
    case noScanner, scannerJammed, scannerEmpty, scannerCoverOpen, scannerBusy, scannerWarmingUp, scannerFault
    case eCertificatesOffline, eCertificatesNone, eCertificatesUnavailable, eCertificatesFailed
    /// 已调取电子证照：{materials}…
    case eCertificatesFound
    /// {material}将由平台通过数据共享调取…
    case leftToPlatform
    /// 缺少材料：{material}
    case missingMaterial
    case missingPostalAddress
    /// 还不能提交，否则申请会被退回。{missing}。…
    case incomplete
    /// {missing}。
    case missingSummary
    /// 已为您预约{date}。请带齐：{missing}。
    case reserved
    case reservationUnavailable, reservationFailed

    // Submitting and the receipt.
    /// 材料齐全。{promise}。请核对…
    case reviewPrompt
    /// 正在保存… / 申请已保存，正在报送平台…
    case saving, sending
    /// 申请没有保存成功（{reason}）…
    case notSaved
    case diskFull, kioskFault
    /// {status}。事项：{service}。办件编号{number}。已收材料：{materials}。{promise}。结果{delivery}。咨询电话{phone}。…
    case receiptSpoken
    /// 平台已受理 / 申请已保存在本站，联网后自动报送平台，无需再跑
    case receiptAccepted, receiptSaved
    case deliveryStationPickup, deliveryPost, deliveryElectronic
    /// 回执没有打印出来（{reason}）。您的申请已保存，办件编号{number}…
    case receiptNotPrinted
    /// 补打没有成功：{reason}
    case reprintFailed
    case noReceiptPrinter, receiptPrinterPaperOut, receiptPrinterCoverOpen, receiptPrinterFault
    /// 没有找到{number}的回执
    case receiptNotFound
    case reprinting
    /// Printing notices and forms, and why it failed ({reason}).
    case printingGuide, printingNotice, printingForm, noA4Printer, a4PrinterFault, a4JobCanceled, printFailed

    // Rating, cases, 12345.
    case ratingPrompt, ratingReasonNeeded, ratingThanks
    /// 您选择了“{level}”。请选择原因… / …哪些方面让您满意（可不选）…
    case ratingReasonsPrompt, ratingPraisePrompt
    /// 非常满意 … 非常不满意
    case levelVerySatisfied, levelSatisfied, levelBasicallySatisfied, levelDissatisfied, levelVeryDissatisfied
    /// A case's status: the station's own (待上报, 待工作人员处理 and why), then the platform's (受理 … 待领取).
    case caseQueued, caseQueuedDetail, caseDeadLetter, caseDeadLetterDetail
    case caseAccepted, caseInProgress, caseDone, caseReturned, caseReadyForPickup, caseNotAccepted, casePosted
    /// 需补正：{materials} · EMS单号{number} · 应缴费用{amount}，尚未缴纳 · 已缴费{amount}
    case caseRequested, casePostedNumber, caseFeeDue, caseFeePaid
    /// {service}，{status}。 / {service}，{status}：{detail}。
    case caseSpoken, caseSpokenWithDetail
    case casesNone
    /// 查到{count}件办件。
    case casesFound
    case lookupFailed
    /// 请说明您要{kind}的内容…
    case consultationPrompt
    case kindConsultation, kindComplaint, kindSuggestion, kindHelp
    case consultationEmpty, consultationTooLong, consultationUnavailable, consultationFailed
    /// 已提交，受理编号{reference}。…
    case consultationSent
}
